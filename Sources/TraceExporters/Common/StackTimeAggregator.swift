// Where tasks spent their time, as a trie of stacks (StackTrie) weighted in nanoseconds: what
// the folded, pprof and flame graph exporters share.
//
// A task's stack, root first: its group (its name when it has no group); then the stack
// captured with its current state when the reader has one (root first), otherwise its open
// regions (outermost first); then, with `stateLeaves`, a leaf naming the state (`running`,
// `runnable`, `syscall`, `blocked` with its reason).
//
// Invariants:
// - One frame per function: the frame right under the group is left out when it names the
//   group itself (a request task named `GET /ping` in its `GET /ping` region, a goroutine
//   grouped by `main.main` whose stack starts at `main.main`).
// - Time is attributed when it ends (state change, region boundary, task end, window end), so
//   the weights under one state's leaves add up exactly to the summary's total of that state
//   over all tasks.
// - Streaming: live tasks, the trie of distinct stacks and one trie path per distinct
//   (group, stack) pair; never events.

import TraceModel

struct StackTimeAggregator {
    /// What makes two stack frames the same trie frame.
    enum FrameIdentity {
        /// The function's name (folded, flame graph: a line per distinct call path).
        case function
        /// Function, file and line (pprof: locations).
        case location
    }

    struct TaskPath: LiveTaskPayload {
        var groupNode: Int32 = -1
        /// Where the current state's time goes; -1 when the filter leaves this state out.
        var weightNode: Int32 = -1

        init(task: TaskID) {}

        mutating func reuse(for task: TaskID) {
            self = TaskPath(task: task)
        }
    }

    private struct StackPathKey: Hashable {
        var groupNode: Int32
        var stack: UInt32
    }

    let filter: FoldedOptions.StateFilter
    let stateLeaves: Bool
    let identity: FrameIdentity
    private(set) var trie = StackTrie()
    private(set) var locations = StackLocations()
    private var tracker = TaskStateTracker<TaskPath>(startNs: 0)
    private var stackPaths: [StackPathKey: Int32] = [:]

    init(filter: FoldedOptions.StateFilter, stateLeaves: Bool, identity: FrameIdentity) {
        self.filter = filter
        self.stateLeaves = stateLeaves
        self.identity = identity
    }

    mutating func begin(startNs: Int64) {
        tracker = TaskStateTracker(startNs: startNs)
    }

    mutating func consume(_ event: TraceEvent, tables: TraceTables) {
        let t = tracker.clamp(event.timeNs)
        switch event.kind {
        case .taskCreated(let id, let parent, let name, let group, _):
            guard !id.isNone else { return }
            let slot = tracker.create(id, parent: parent, name: name, group: group, at: t).slot
            settle(slot, at: t)
            tracker[slot].extra.groupNode = trie.child(0, StackTrie.key(.named, tracker[slot].groupOrName))
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
            let groupNode = tracker[slot].extra.groupNode
            let parentNode = tracker[slot].regions.last?.tag ?? groupNode
            tracker.beginRegion(slot, name: name, stack: stack, at: t)
            let last = tracker[slot].regions.count - 1
            tracker[slot].regions[last].tag = parentNode == groupNode && name == tracker[slot].groupOrName
                ? groupNode
                : trie.child(parentNode, StackTrie.key(.named, name))
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

    /// Where the attributed time ends: set by `finish`.
    private(set) var endNs: Int64 = 0

    /// Attributes the time of every live task up to `endNs` (or the last event, if later).
    mutating func finish(endNs: Int64) {
        self.endNs = max(endNs, tracker.nowNs)
        for slot in tracker.liveSlotsByTaskID() { settle(slot, at: self.endNs) }
    }

    private mutating func taskSlot(_ id: TaskID, at t: Int64) -> Int {
        let found = tracker.slotCreatingIfNeeded(id, at: t)
        if found.isNew {
            tracker[found.slot].extra.groupNode = trie.child(0, StackTrie.key(.named, .empty))
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
        guard let state = tracker[slot].state, filter.admits(state) else {
            tracker[slot].extra.weightNode = -1
            return
        }
        let groupNode = tracker[slot].extra.groupNode
        var node: Int32
        let stack = tracker[slot].stateStack
        if !stack.isNone {
            node = stackPath(groupNode: groupNode, group: tracker[slot].groupOrName, stack: stack, tables: tables)
        } else {
            node = tracker[slot].regions.last?.tag ?? groupNode
        }
        if stateLeaves { node = trie.child(node, StackTrie.leafKey(state)) }
        tracker[slot].extra.weightNode = node
    }

    private mutating func stackPath(groupNode: Int32, group: StringID, stack: StackID, tables: TraceTables) -> Int32 {
        let key = StackPathKey(groupNode: groupNode, stack: stack.raw)
        if let node = stackPaths[key] { return node }
        var node = groupNode
        let frames = tables.stack(stack)
        // Leaf first; the root frame is left out when it is the group itself.
        var i = frames.count - 1
        if i >= 0 && frames[i].function == group { i -= 1 }
        while i >= 0 {
            let frame = frames[i]
            let key = switch identity {
            case .function: StackTrie.key(.named, frame.function)
            case .location: StackTrie.locationKey(locations.index(of: frame))
            }
            node = trie.child(node, key)
            i -= 1
        }
        stackPaths[key] = node
        return node
    }
}
