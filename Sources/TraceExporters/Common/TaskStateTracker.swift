// The live state several exporters share: each task's current state and since when, its open
// regions, the open regions of threads, and a clock that never runs backwards.
//
// Invariants:
// - Only live tasks are held: a task that reached `.ended` is removed by its exporter right
//   after handling the end, and its slot is reused. Memory is bounded by live tasks and open
//   regions, never by the number of events.
// - Time is attributed in closed intervals by `settle`: the interval from `stateSinceNs` to
//   the given time goes to the task's `times` and to every region open on the task, then
//   `stateSinceNs` moves forward. Calling `settle` at region boundaries as well as at state
//   changes is what makes a region's exec/wait split exact.
// - `clamp` makes times non-decreasing and never earlier than the window start, so a reader
//   that breaks its ordering promise cannot produce negative durations.
// - `Extra` is the exporter's own per-task payload (Chrome tracks, folded trie nodes, summary
//   sums); the tracker never looks inside it.
// - A slot freed by an ended task is reused in place by the next new task: its region list and
//   payload keep their storage (`LiveTaskPayload.reuse`), so a stream of short tasks allocates
//   nothing per task once the live set reached its high-water mark. What is kept is bounded by
//   that mark: the most tasks live at once and the deepest region stack each slot has held.

import TraceModel

public struct OpenRegion {
    public var name: StringID
    public var stack: StackID
    public var beginNs: Int64
    /// Unique per region instance within a stream.
    public var serial: UInt64
    /// The owning task's state time while this region was open (zero for thread regions).
    public var times = StateTimes()
    /// The exporter's own value for this region (the folded exporter's trie node).
    public var tag: Int32 = -1
}

/// An exporter's per-task payload, made for a new task or recycled from an ended one.
public protocol LiveTaskPayload {
    init(task: TaskID)
    /// Makes the payload of an ended task ready for `task`, as `init(task:)` would, keeping
    /// allocated storage (array capacity) for reuse.
    mutating func reuse(for task: TaskID)
}

public struct LiveTask<Extra: LiveTaskPayload> {
    // Every field but `extra` is set by `begin`, for a new task and a recycled one alike.
    public internal(set) var id = TaskID(0)
    public var parent = TaskID(0)
    public var name = StringID(0)
    public var group = StringID(0)
    public var createdNs: Int64 = 0
    /// Nil until the task's first state change.
    public var state: TaskState?
    public var stateSinceNs: Int64 = 0
    public var stateThread = ThreadID(0)
    public var stateStack = StackID(0)
    /// Innermost last.
    public var regions: [OpenRegion] = []
    public var times = StateTimes()
    public var extra: Extra

    /// What summaries group by: the group, else the name.
    public var groupOrName: StringID { group.isEmpty ? name : group }

    init(id: TaskID, parent: TaskID, name: StringID, group: StringID, at timeNs: Int64) {
        extra = Extra(task: id)
        begin(id: id, parent: parent, name: name, group: group, at: timeNs)
    }

    /// Turns the record of an ended task into that of a new one, as `init` would, keeping the
    /// storage of `regions` and `extra`.
    mutating func reuse(id: TaskID, parent: TaskID, name: StringID, group: StringID, at timeNs: Int64) {
        begin(id: id, parent: parent, name: name, group: group, at: timeNs)
        // (Guarded: removeAll(keepingCapacity:) on an empty array still replaces its buffer.)
        if !regions.isEmpty { regions.removeAll(keepingCapacity: true) }
        times = StateTimes()
        extra.reuse(for: id)
    }

    /// The fields a task starts with, created at `timeNs` with no state yet.
    @inline(__always)
    private mutating func begin(id: TaskID, parent: TaskID, name: StringID, group: StringID, at timeNs: Int64) {
        self.id = id
        self.parent = parent
        self.name = name
        self.group = group
        createdNs = timeNs
        state = nil
        stateSinceNs = timeNs
        stateThread = ThreadID(0)  // not `.none`: a lazily initialized global, per task
        stateStack = StackID(0)
    }
}

public struct TaskStateTracker<Extra: LiveTaskPayload> {
    public typealias Slot = Int

    public private(set) var tasks: [LiveTask<Extra>] = []
    private var slotOfTask = IDMap<Int32>()
    private var freeSlots: [Int32] = []
    private var isLive: [Bool] = []
    public var threadRegions: [ThreadID: [OpenRegion]] = [:]
    public private(set) var nowNs: Int64
    private var nextRegionSerial: UInt64 = 1

    public init(startNs: Int64) {
        self.nowNs = startNs
    }

    /// The event's time, made non-decreasing and not earlier than the window start.
    @inline(__always)
    public mutating func clamp(_ timeNs: Int64) -> Int64 {
        if timeNs > nowNs { nowNs = timeNs }
        return nowNs
    }

    public var liveTaskCount: Int { slotOfTask.count }

    @inline(__always)
    public func slot(of id: TaskID) -> Slot? {
        guard let s = slotOfTask[id.raw] else { return nil }
        return Int(s)
    }

    /// Access to a live task's record. Reads borrow it in place: a `get` would copy the whole
    /// record (retaining its region list and the exporter's payload) for every field read.
    @inline(__always)
    public subscript(slot: Slot) -> LiveTask<Extra> {
        _read { yield tasks[slot] }
        _modify { yield &tasks[slot] }
    }

    /// Registers a task (or renames a live one created twice); returns its slot and whether it
    /// is new.
    public mutating func create(_ id: TaskID, parent: TaskID, name: StringID, group: StringID,
                                at timeNs: Int64) -> (slot: Slot, isNew: Bool) {
        if let s = slot(of: id) {
            tasks[s].parent = parent
            tasks[s].name = name
            tasks[s].group = group
            return (s, false)
        }
        let s: Int
        if let free = freeSlots.popLast() {
            s = Int(free)
            tasks[s].reuse(id: id, parent: parent, name: name, group: group, at: timeNs)
            isLive[s] = true
        } else {
            s = tasks.count
            tasks.append(LiveTask(id: id, parent: parent, name: name, group: group, at: timeNs))
            isLive.append(true)
        }
        slotOfTask.insert(id.raw, Int32(s))
        return (s, true)
    }

    /// The slot of a task, created on the spot (unnamed) when the reader never announced it.
    @inline(__always)
    public mutating func slotCreatingIfNeeded(_ id: TaskID, at timeNs: Int64) -> (slot: Slot, isNew: Bool) {
        if let s = slot(of: id) { return (s, false) }
        return create(id, parent: TaskID(0), name: StringID(0), group: StringID(0), at: timeNs)
    }

    /// Attributes the time since the last settle to the task's current state and to its open
    /// regions; returns that state and the duration (nil state: nothing to attribute).
    @inline(__always)
    public mutating func settle(_ slot: Slot, at timeNs: Int64) -> (state: TaskState?, ns: Int64) {
        let since = tasks[slot].stateSinceNs
        tasks[slot].stateSinceNs = timeNs
        guard let state = tasks[slot].state, timeNs > since else { return (tasks[slot].state, 0) }
        let ns = timeNs - since
        tasks[slot].times.add(state, ns)
        let depth = tasks[slot].regions.count
        if depth > 0 {
            for i in 0..<depth { tasks[slot].regions[i].times.add(state, ns) }
        }
        return (state, ns)
    }

    /// Settles, then enters `state`. Returns what was settled.
    @discardableResult
    public mutating func changeState(_ slot: Slot, to state: TaskState, thread: ThreadID, stack: StackID,
                                     at timeNs: Int64) -> (state: TaskState?, ns: Int64) {
        let settled = settle(slot, at: timeNs)
        tasks[slot].state = state
        tasks[slot].stateThread = thread
        tasks[slot].stateStack = stack
        return settled
    }

    /// Enters `state` without attributing the time since the last settle (for an exporter that
    /// does not read `times`); the next settle starts from `timeNs`.
    @inline(__always)
    public mutating func enter(_ slot: Slot, _ state: TaskState, thread: ThreadID, stack: StackID, at timeNs: Int64) {
        tasks[slot].stateSinceNs = timeNs
        tasks[slot].state = state
        tasks[slot].stateThread = thread
        tasks[slot].stateStack = stack
    }

    /// Opens a region on a task (call `settle` first so the region gets only its own time).
    public mutating func beginRegion(_ slot: Slot, name: StringID, stack: StackID, at timeNs: Int64) {
        tasks[slot].regions.append(OpenRegion(name: name, stack: stack, beginNs: timeNs, serial: takeSerial()))
    }

    /// Index of the innermost open region of that name on the task.
    public func innermostRegion(_ slot: Slot, named name: StringID) -> Int? {
        tasks[slot].regions.lastIndex { $0.name == name }
    }

    public mutating func popRegion(_ slot: Slot) -> OpenRegion {
        tasks[slot].regions.removeLast()
    }

    public mutating func beginThreadRegion(_ thread: ThreadID, name: StringID, stack: StackID, at timeNs: Int64) {
        let region = OpenRegion(name: name, stack: stack, beginNs: timeNs, serial: takeSerial())
        threadRegions[thread, default: []].append(region)
    }

    public func innermostThreadRegion(_ thread: ThreadID, named name: StringID) -> Int? {
        threadRegions[thread]?.lastIndex { $0.name == name }
    }

    public mutating func popThreadRegion(_ thread: ThreadID) -> OpenRegion? {
        threadRegions[thread]?.popLast()
    }

    public mutating func takeSerial() -> UInt64 {
        defer { nextRegionSerial += 1 }
        return nextRegionSerial
    }

    /// Forgets a task (after its end was handled); its slot is reused.
    public mutating func remove(_ slot: Slot) {
        guard isLive[slot] else { return }
        slotOfTask.remove(tasks[slot].id.raw)
        if !tasks[slot].regions.isEmpty { tasks[slot].regions.removeAll(keepingCapacity: true) }
        isLive[slot] = false
        freeSlots.append(Int32(slot))
    }

    /// Live task slots in task-id order (for deterministic output at finish).
    public func liveSlotsByTaskID() -> [Slot] {
        slotOfTask.entries.sorted { $0.key < $1.key }.map { Int($0.value) }
    }

    /// Threads with open regions, in id order.
    public func threadsWithRegions() -> [ThreadID] {
        threadRegions.filter { !$0.value.isEmpty }.keys.sorted()
    }
}
