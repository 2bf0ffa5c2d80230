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

/// A region open on a live task (or a thread), innermost last in its owner's list.
struct LiveRegion {
    var name: StringID
    var stack: StackID
    var beginNs: Int64
    /// Unique per region instance within a stream.
    var serial: UInt64
    /// The owning task's state time while this region was open (zero for thread regions).
    var times = StateTimes()
    /// The exporter's own value for this region (the folded exporter's trie node).
    var tag: Int32 = -1
}

/// An exporter's per-task payload, made for a new task or recycled from an ended one.
protocol LiveTaskPayload {
    init(task: TaskID)
    /// Makes the payload of an ended task ready for `task`, as `init(task:)` would, keeping
    /// allocated storage (array capacity) for reuse.
    mutating func reuse(for task: TaskID)
}

struct LiveTask<Extra: LiveTaskPayload> {
    // Every field but `extra` is set by `begin`, for a new task and a recycled one alike.
    var id = TaskID(0)
    var parent = TaskID(0)
    var name = StringID(0)
    var group = StringID(0)
    var createdNs: Int64 = 0
    /// Nil until the task's first state change.
    var state: TaskState?
    var stateSinceNs: Int64 = 0
    var stateThread = ThreadID(0)
    var stateStack = StackID(0)
    /// Innermost last.
    var regions: [LiveRegion] = []
    var times = StateTimes()
    var extra: Extra

    /// What summaries group by: the group, else the name.
    var groupOrName: StringID { group.isEmpty ? name : group }

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

struct TaskStateTracker<Extra: LiveTaskPayload> {
    typealias Slot = Int

    private(set) var tasks: [LiveTask<Extra>] = []
    private var slotOfTask = IDMap<Int32>()
    private var freeSlots: [Int32] = []
    private var isLive: [Bool] = []
    var threadRegions: [ThreadID: [LiveRegion]] = [:]
    private(set) var nowNs: Int64
    private var nextRegionSerial: UInt64 = 1

    init(startNs: Int64) {
        self.nowNs = startNs
    }

    /// The event's time, made non-decreasing and not earlier than the window start.
    @inline(__always)
    mutating func clamp(_ timeNs: Int64) -> Int64 {
        if timeNs > nowNs { nowNs = timeNs }
        return nowNs
    }

    var liveTaskCount: Int { slotOfTask.count }

    @inline(__always)
    func slot(of id: TaskID) -> Slot? {
        guard let s = slotOfTask[id.raw] else { return nil }
        return Int(s)
    }

    /// Access to a live task's record. Reads borrow it in place: a `get` would copy the whole
    /// record (retaining its region list and the exporter's payload) for every field read.
    @inline(__always)
    subscript(slot: Slot) -> LiveTask<Extra> {
        _read { yield tasks[slot] }
        _modify { yield &tasks[slot] }
    }

    /// Registers a task (or renames a live one created twice); returns its slot and whether it
    /// is new.
    mutating func create(_ id: TaskID, parent: TaskID, name: StringID, group: StringID,
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
    mutating func slotCreatingIfNeeded(_ id: TaskID, at timeNs: Int64) -> (slot: Slot, isNew: Bool) {
        if let s = slot(of: id) { return (s, false) }
        return create(id, parent: TaskID(0), name: StringID(0), group: StringID(0), at: timeNs)
    }

    /// Attributes the time since the last settle to the task's current state and to its open
    /// regions; returns that state and the duration (nil state: nothing to attribute).
    @inline(__always)
    mutating func settle(_ slot: Slot, at timeNs: Int64) -> (state: TaskState?, ns: Int64) {
        Self.settle(&tasks[slot], at: timeNs)
    }

    /// `settle` on the record itself: one access to `tasks` (one uniqueness check) per settle.
    @inline(__always)
    private static func settle(_ task: inout LiveTask<Extra>, at timeNs: Int64) -> (state: TaskState?, ns: Int64) {
        let since = task.stateSinceNs
        task.stateSinceNs = timeNs
        guard let state = task.state, timeNs > since else { return (task.state, 0) }
        let ns = timeNs - since
        task.times.add(state, ns)
        if !task.regions.isEmpty {
            for i in task.regions.indices { task.regions[i].times.add(state, ns) }
        }
        return (state, ns)
    }

    /// Settles, then enters `state`. Returns what was settled.
    @discardableResult
    mutating func changeState(_ slot: Slot, to state: TaskState, thread: ThreadID, stack: StackID,
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
    mutating func enter(_ slot: Slot, _ state: TaskState, thread: ThreadID, stack: StackID, at timeNs: Int64) {
        tasks[slot].stateSinceNs = timeNs
        tasks[slot].state = state
        tasks[slot].stateThread = thread
        tasks[slot].stateStack = stack
    }

    /// Opens a region on a task (call `settle` first so the region gets only its own time).
    mutating func beginRegion(_ slot: Slot, name: StringID, stack: StackID, at timeNs: Int64) {
        tasks[slot].regions.append(LiveRegion(name: name, stack: stack, beginNs: timeNs, serial: takeSerial()))
    }

    /// Index of the innermost open region of that name on the task.
    func innermostRegion(_ slot: Slot, named name: StringID) -> Int? {
        tasks[slot].regions.lastIndex { $0.name == name }
    }

    mutating func popRegion(_ slot: Slot) -> LiveRegion {
        tasks[slot].regions.removeLast()
    }

    mutating func beginThreadRegion(_ thread: ThreadID, name: StringID, stack: StackID, at timeNs: Int64) {
        let region = LiveRegion(name: name, stack: stack, beginNs: timeNs, serial: takeSerial())
        threadRegions[thread, default: []].append(region)
    }

    func innermostThreadRegion(_ thread: ThreadID, named name: StringID) -> Int? {
        threadRegions[thread]?.lastIndex { $0.name == name }
    }

    mutating func popThreadRegion(_ thread: ThreadID) -> LiveRegion? {
        threadRegions[thread]?.popLast()
    }

    mutating func takeSerial() -> UInt64 {
        defer { nextRegionSerial += 1 }
        return nextRegionSerial
    }

    /// Forgets a task (after its end was handled); its slot is reused.
    mutating func remove(_ slot: Slot) {
        guard isLive[slot] else { return }
        slotOfTask.remove(tasks[slot].id.raw)
        if !tasks[slot].regions.isEmpty { tasks[slot].regions.removeAll(keepingCapacity: true) }
        isLive[slot] = false
        freeSlots.append(Int32(slot))
    }

    /// Live task slots in task-id order (for deterministic output at finish).
    func liveSlotsByTaskID() -> [Slot] {
        slotOfTask.entries.sorted { $0.key < $1.key }.map { Int($0.value) }
    }

    /// Threads with open regions, in id order.
    func threadsWithRegions() -> [ThreadID] {
        threadRegions.filter { !$0.value.isEmpty }.keys.sorted()
    }
}
