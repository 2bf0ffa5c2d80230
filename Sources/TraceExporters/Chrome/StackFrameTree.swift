// Chrome's `stackFrames` dictionary, built incrementally from the stacks slices refer to.
//
// Invariants:
// - A node is one frame under one parent: stacks sharing a root path share its nodes, so the
//   dictionary (written once, at the end) grows with distinct frames, not with events.
// - Node ids start at 1 and are assigned in first-use order: deterministic for a given input.

import TraceModel

struct StackFrameTree {
    private struct NodeKey: Hashable {
        var parent: Int32
        var frame: StackFrame
    }
    private var nodes: [(frame: StackFrame, parent: Int32)] = []
    private var nodeIndex: [NodeKey: Int32] = [:]
    /// Leaf node id per StackID raw value; 0 = not built yet.
    private var leafOfStack: [Int32] = []

    var isEmpty: Bool { nodes.isEmpty }

    /// The node id of the stack's leaf frame, or 0 for an empty stack.
    mutating func node(for stack: StackID, tables: TraceTables) -> Int32 {
        let i = Int(stack.raw)
        if i < leafOfStack.count, leafOfStack[i] != 0 { return leafOfStack[i] }
        var parent: Int32 = 0
        for frame in tables.stack(stack).reversed() {
            let key = NodeKey(parent: parent, frame: frame)
            if let id = nodeIndex[key] {
                parent = id
            } else {
                nodes.append((frame, parent))
                let id = Int32(nodes.count)
                nodeIndex[key] = id
                parent = id
            }
        }
        if i >= leafOfStack.count {
            leafOfStack.append(contentsOf: repeatElement(0, count: i + 1 - leafOfStack.count))
        }
        leafOfStack[i] = parent
        return parent
    }

    /// `"stackFrames":{"1":{"name":"main"},"2":{"name":"f (f.swift:3)","parent":"1"}}`
    func write(tables: TraceTables, to output: inout StagingBuffer) {
        output.write("\"stackFrames\":{")
        for (index, node) in nodes.enumerated() {
            if index > 0 { output.write(",\n") }
            output.write(byte: UInt8(ascii: "\""))
            output.write(uint: UInt64(index + 1))
            output.write("\":{\"name\":")
            var name = tables.string(node.frame.function)
            if name.isEmpty { name = "?" }
            if !node.frame.file.isEmpty {
                name += " (\(tables.string(node.frame.file))"
                if node.frame.line != 0 { name += ":\(node.frame.line)" }
                name += ")"
            }
            output.writeJSONString(name)
            if node.parent != 0 {
                output.write(",\"parent\":\"")
                output.write(uint: UInt64(node.parent))
                output.write(byte: UInt8(ascii: "\""))
            }
            output.write(byte: UInt8(ascii: "}"))
        }
        output.write(byte: UInt8(ascii: "}"))
    }
}
