// Folded stacks (`frame;frame;frame weight` per line) of where tasks spent their time.
//
// A line's frames: the task's group (its name when it has no group), then the stack captured
// with its current state when the reader has one (root first), otherwise its open regions
// (outermost first); then, with `--state all`, a leaf naming the state (`[running]`,
// `[runnable]`, `[syscall]`, `[blocked: <reason>]`; `--state blocked` keeps the reason leaf).
// The weight is the time spent there, in the chosen unit.
//
// Invariants:
// - Time is attributed when it ends (state change, region boundary, task end, window end), so
//   in nanoseconds the weights of one state add up exactly to the summary's total of that
//   state over all tasks.
// - Lines are sorted bytewise and unique; zero weights are left out; frame names are escaped
//   (FoldedFrameEscaping).
// - Streaming: live tasks and the trie of distinct stacks only.

import TraceModel

public struct FoldedStacksExporter: TraceExporter {
    struct TaskPath: LiveTaskPayload {
        var groupNode: Int32 = -1
        /// Where the current state's time goes; -1 when the filter leaves this state out.
        var weightNode: Int32 = -1

        init(task: TaskID) {}

        mutating func reuse(for task: TaskID) {
            self = TaskPath(task: task)
        }
    }

    public var options: FoldedOptions
    private var tracker = TaskStateTracker<TaskPath>(startNs: 0)
    private var trie = FoldedStackTrie()
    private struct StackPathKey: Hashable {
        var groupNode: Int32
        var stack: UInt32
    }
    private var stackPaths: [StackPathKey: Int32] = [:]

    public init(options: FoldedOptions = FoldedOptions()) {
        self.options = options
    }

    public mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws {
        tracker = TaskStateTracker(startNs: metadata.startNs)
    }

    public mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws {
        let t = tracker.clamp(event.timeNs)
        switch event.kind {
        case .taskCreated(let id, let parent, let name, let group, _):
            guard !id.isNone else { return }
            let slot = tracker.create(id, parent: parent, name: name, group: group, at: t).slot
            settle(slot, at: t)
            tracker[slot].extra.groupNode = trie.child(0, FoldedStackTrie.key(.named, tracker[slot].groupOrName))
            updateWeightNode(slot, tables: tables)

        case .taskState(let id, let state, let thread, _, let stack):
            guard !id.isNone else { return }
            let slot = taskSlot(id, at: t)
            settle(slot, at: t)
            tracker.changeState(slot, to: state, thread: thread, stack: stack, at: t)
            if state == .ended {
                tracker.remove(slot)
            } else {
                updateWeightNode(slot, tables: tables)
            }

        case .regionBegin(let task, _, let name, let stack):
            guard !task.isNone else { return }
            let slot = taskSlot(task, at: t)
            settle(slot, at: t)
            let parentNode = tracker[slot].regions.last?.tag ?? tracker[slot].extra.groupNode
            tracker.beginRegion(slot, name: name, stack: stack, at: t)
            let last = tracker[slot].regions.count - 1
            tracker[slot].regions[last].tag = trie.child(parentNode, FoldedStackTrie.key(.named, name))
            updateWeightNode(slot, tables: tables)

        case .regionEnd(let task, _, let name):
            guard !task.isNone, let slot = tracker.slot(of: task),
                  let depth = tracker.innermostRegion(slot, named: name) else { return }
            settle(slot, at: t)
            while tracker[slot].regions.count > depth { _ = tracker.popRegion(slot) }
            updateWeightNode(slot, tables: tables)

        case .threadName, .log, .counter, .taskCPU, .actorCreated, .actorEnqueued, .actorAcquired, .actorReleased:
            return
        }
    }

    private mutating func taskSlot(_ id: TaskID, at t: Int64) -> Int {
        let found = tracker.slotCreatingIfNeeded(id, at: t)
        if found.isNew {
            tracker[found.slot].extra.groupNode = trie.child(0, FoldedStackTrie.key(.named, .empty))
        }
        return found.slot
    }

    @inline(__always)
    private mutating func settle(_ slot: Int, at t: Int64) {
        let settled = tracker.settle(slot, at: t)
        let node = tracker[slot].extra.weightNode
        if settled.ns > 0 && node >= 0 { trie.add(node, settled.ns) }
    }

    private mutating func updateWeightNode(_ slot: Int, tables: TraceTables) {
        guard let state = tracker[slot].state, options.state.admits(state) else {
            tracker[slot].extra.weightNode = -1
            return
        }
        let groupNode = tracker[slot].extra.groupNode
        var node: Int32
        let stack = tracker[slot].stateStack
        if !stack.isNone {
            node = stackPath(groupNode: groupNode, stack: stack, tables: tables)
        } else {
            node = tracker[slot].regions.last?.tag ?? groupNode
        }
        if options.state.hasStateLeaf { node = trie.child(node, FoldedStackTrie.leafKey(state)) }
        tracker[slot].extra.weightNode = node
    }

    private mutating func stackPath(groupNode: Int32, stack: StackID, tables: TraceTables) -> Int32 {
        let key = StackPathKey(groupNode: groupNode, stack: stack.raw)
        if let node = stackPaths[key] { return node }
        var node = groupNode
        for frame in tables.stack(stack).reversed() {
            node = trie.child(node, FoldedStackTrie.key(.named, frame.function))
        }
        stackPaths[key] = node
        return node
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        let endNs = max(metadata.endNs, tracker.nowNs)
        for slot in tracker.liveSlotsByTaskID() { settle(slot, at: endNs) }

        var names = FoldedNameCache()
        var lines: [[UInt8]] = []
        var path: [Int32] = []
        for node in 1..<trie.weights.count {
            let ns = trie.weights[node]
            let weight = options.unit == .ns ? ns : (ns + 500) / 1000
            guard weight > 0 else { continue }
            path.removeAll(keepingCapacity: true)
            var n = Int32(node)
            while n > 0 {
                path.append(n)
                n = trie.parents[Int(n)]
            }
            var line: [UInt8] = []
            for (i, n) in path.reversed().enumerated() {
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
        let id = StringID(UInt32(truncatingIfNeeded: frame))
        let text: String
        switch FoldedStackTrie.FrameKind(rawValue: frame >> 32) {
        case .running: text = "[running]"
        case .runnable: text = "[runnable]"
        case .syscall: text = "[syscall]"
        case .blocked:
            let reason = tables.string(id)
            text = reason.isEmpty ? "[blocked]" : "[blocked: " + FoldedFrameEscaping.escape(reason) + "]"
        case .named, nil:
            let name = tables.string(id)
            text = name.isEmpty ? "(unnamed)" : FoldedFrameEscaping.escape(name)
        }
        let bytes = Array(text.utf8)
        cache[frame] = bytes
        return bytes
    }
}
