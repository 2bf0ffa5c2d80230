// Folded stacks (`frame;frame;frame weight` per line) of where tasks spent their time.
//
// A line's frames: the task's group (its name when it has no group), then the stack captured
// with its current state when the reader has one (root first), otherwise its open regions
// (outermost first); then, with `--state all`, a leaf naming the state (`[running]`,
// `[runnable]`, `[syscall]`, `[blocked: <reason>]`; `--state blocked` keeps the reason leaf).
// The frame under the group is left out when it names the group (StackTimeAggregator). The
// weight is the time spent there, in the chosen unit.
//
// Invariants:
// - Time is attributed when it ends (state change, region boundary, task end, window end), so
//   in nanoseconds the weights of one state add up exactly to the summary's total of that
//   state over all tasks.
// - Lines are sorted bytewise and unique; zero weights are left out; frame names are escaped
//   (FoldedFrameEscaping).
// - Streaming: live tasks and the trie of distinct stacks only.

import TraceModel

public struct FoldedStacksExporter: StackTimeExporter {
    public var options: FoldedOptions
    var stacks: StackTimeAggregator

    public init(options: FoldedOptions = FoldedOptions()) {
        self.options = options
        stacks = Self.stacks(for: options)
    }

    /// Built again at `begin` (StackTimeExporter), so options changed after `init` apply.
    static func stacks(for options: FoldedOptions) -> StackTimeAggregator {
        StackTimeAggregator(filter: options.state, stateLeaves: options.state.hasStateLeaf, identity: .function)
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        stacks.finish(endNs: metadata.endNs)
        let trie = stacks.trie
        var names = FoldedNameCache()
        var lines: [[UInt8]] = []
        var path: [Int32] = []
        for node in 1..<trie.nodeCount {
            let ns = trie.weights[node]
            let weight = options.unit == .ns ? ns : (ns + 500) / 1000
            guard weight > 0 else { continue }
            trie.path(to: Int32(node), into: &path)
            var line: [UInt8] = []
            for (i, n) in path.enumerated() {
                if i > 0 { line.append(UInt8(ascii: ";")) }
                line.append(contentsOf: names.bytes(trie.frames[Int(n)], tables: tables))
            }
            line.append(UInt8(ascii: " "))
            var digits = OutputBuffer()
            digits.write(int: weight)
            line.append(contentsOf: digits.bytes)
            line.append(UInt8(ascii: "\n"))
            lines.append(line)
        }
        lines.sort { $0.lexicographicallyPrecedes($1) }
        for line in lines {
            output.write(bytes: line)
            try output.flushIfNeeded()
        }
    }
}

/// Escaped frame text per trie frame key, built once.
struct FoldedNameCache {
    private var cache: [UInt64: [UInt8]] = [:]

    mutating func bytes(_ frame: UInt64, tables: TraceTables) -> [UInt8] {
        if let bytes = cache[frame] { return bytes }
        let bytes = Array(StackFrameText.text(frame, tables: tables, escape: FoldedFrameEscaping.escape).utf8)
        cache[frame] = bytes
        return bytes
    }
}
