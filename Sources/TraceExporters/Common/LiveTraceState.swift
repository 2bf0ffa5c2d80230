// The state of a trace at one moment, kept up to date event by event, and handed back as the
// events that re-create it: what a window cut from the trace (`--start`, a `--split` part)
// carries in at its start.
//
// What is carried: thread names, actors (label, holder, queued tasks), each counter's last
// value, and every live task (creation fields, current state, open regions), and the regions
// open on threads alone. Wake-ups are not carried (their waker acted before the window), nor
// logs or CPU time (they are instants, not states).
//
// Invariants:
// - Live state only: an ended task is forgotten and its slot reused; memory follows the live
//   tasks, their open regions, and the threads, actors and counter names seen, never the number
//   of events.
// - The bookkeeping matches the exporters': `regionEnd` closes the innermost open region of
//   that name and every region inside it (an end without a match is ignored); a task waits on
//   at most one actor, and stops waiting once it acquires one or blocks, enters a syscall or
//   ends; an actor has at most one holder, until its release (a task's end does not release
//   it: the reader sends the release).
// - `carriedEvents(at:)` is deterministic: threads in id order, actors and counters in order of
//   first sight, tasks in the order they entered their current state (then by id), so that
//   whatever follows from that order in the stream (the task a thread shows last) follows the
//   same way from the carried events. A task's `taskCreated` comes first, then its regions (outermost
//   first), then its state; actor holds and waits follow every task's state, as they follow
//   the holder's running and the waiter's blocked state in a reader's stream.

import TraceModel

package struct LiveTraceState {
    private struct Region {
        var name: StringID
        var stack: StackID
        var thread: ThreadID
    }

    private struct Task {
        var id: TaskID
        var parent: TaskID
        var name: StringID
        var group: StringID
        var stack: StackID
        /// Nil until the task's first state change.
        var state: TaskState?
        var thread: ThreadID
        var stateStack: StackID
        /// When the task entered its state.
        var stateSinceNs: Int64
        /// Innermost last.
        var regions: [Region]
    }

    private struct Actor {
        var id: ActorID
        var name: StringID
        /// `TaskID(0)`: nobody holds the actor.
        var holder: TaskID
        var holderThread: ThreadID
    }

    private var tasks: [Task] = []
    private var slotOfTask = IDMap<Int32>()
    private var freeSlots: [Int32] = []
    private var threadNames: [ThreadID: StringID] = [:]
    private var threadRegions: [ThreadID: [Region]] = [:]
    private var actors: [Actor] = []
    private var slotOfActor = IDMap<Int32>()
    /// Actor slot per task queued on an actor.
    private var waitingOn = IDMap<Int32>()
    /// Last value per counter name, and the names in order of first sight.
    private var counterValues: [StringID: Double] = [:]
    private var counterOrder: [StringID] = []

    package init() {}

    var liveTaskCount: Int { slotOfTask.count }

    /// Follows one event of the stream.
    package mutating func apply(_ event: TraceEvent) {
        switch event.kind {
        case .threadName(let thread, let name):
            guard !thread.isNone else { break }
            threadNames[thread] = name

        case .taskCreated(let id, let parent, let name, let group, let stack):
            guard !id.isNone else { break }
            let slot = taskSlot(id)
            tasks[slot].parent = parent
            tasks[slot].name = name
            tasks[slot].group = group
            tasks[slot].stack = stack

        case .taskState(let id, let state, let thread, _, let stack):
            guard !id.isNone else { break }
            switch state {
            case .blocked, .syscall, .ended: waitingOn.remove(id.raw)
            case .running, .runnable: break
            }
            if state == .ended {
                endTask(id)
                break
            }
            let slot = taskSlot(id)
            tasks[slot].state = state
            tasks[slot].thread = thread
            tasks[slot].stateStack = stack
            tasks[slot].stateSinceNs = event.timeNs

        case .regionBegin(let task, let thread, let name, let stack):
            let region = Region(name: name, stack: stack, thread: thread)
            if !task.isNone {
                tasks[taskSlot(task)].regions.append(region)
            } else if !thread.isNone {
                threadRegions[thread, default: []].append(region)
            }

        case .regionEnd(let task, let thread, let name):
            if !task.isNone {
                guard let found = slotOfTask[task.raw] else { break }
                let slot = Int(found)
                if let i = tasks[slot].regions.lastIndex(where: { $0.name == name }) {
                    tasks[slot].regions.removeSubrange(i...)
                }
            } else if !thread.isNone, let i = threadRegions[thread]?.lastIndex(where: { $0.name == name }) {
                threadRegions[thread]!.removeSubrange(i...)
                if threadRegions[thread]!.isEmpty { threadRegions[thread] = nil }
            }

        case .log, .taskCPU:
            break

        case .counter(let name, let value):
            if counterValues.updateValue(value, forKey: name) == nil { counterOrder.append(name) }

        case .actorCreated(let actor, let name):
            guard !actor.isNone else { break }
            actors[actorSlot(actor)].name = name

        case .actorEnqueued(let actor, let task):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor)
            waitingOn.remove(task.raw)
            waitingOn.insert(task.raw, Int32(slot))

        case .actorAcquired(let actor, let task, let thread):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor)
            waitingOn.remove(task.raw)
            actors[slot].holder = task
            actors[slot].holderThread = thread

        case .actorReleased(let actor, let task):
            guard !actor.isNone, !task.isNone else { break }
            let slot = actorSlot(actor)
            if actors[slot].holder == task {
                actors[slot].holder = TaskID(0)
                actors[slot].holderThread = ThreadID(0)
            }
        }
    }

    /// The events that re-create the current state at `timeNs`, in the order the type's
    /// invariants give.
    package func carriedEvents(at timeNs: Int64) -> [TraceEvent] {
        var events: [TraceEvent] = []
        for (thread, name) in threadNames.sorted(by: { $0.key < $1.key }) {
            events.append(TraceEvent(timeNs: timeNs, .threadName(thread, name: name)))
        }
        for actor in actors {
            events.append(TraceEvent(timeNs: timeNs, .actorCreated(actor.id, name: actor.name)))
        }
        for name in counterOrder {
            events.append(TraceEvent(timeNs: timeNs, .counter(name: name, value: counterValues[name] ?? 0)))
        }
        let slots = slotOfTask.entries.map { Int($0.value) }.sorted {
            (tasks[$0].stateSinceNs, tasks[$0].id) < (tasks[$1].stateSinceNs, tasks[$1].id)
        }
        for slot in slots {
            let task = tasks[slot]
            events.append(TraceEvent(timeNs: timeNs, .taskCreated(task.id, parent: task.parent, name: task.name,
                                                                  group: task.group, stack: task.stack)))
            for region in task.regions {
                events.append(TraceEvent(timeNs: timeNs, .regionBegin(task: task.id, thread: region.thread,
                                                                      name: region.name, stack: region.stack)))
            }
            if let state = task.state {
                events.append(TraceEvent(timeNs: timeNs, .taskState(task.id, state, thread: task.thread,
                                                                    waker: TaskID(0), stack: task.stateStack)))
            }
        }
        for (thread, regions) in threadRegions.sorted(by: { $0.key < $1.key }) {
            for region in regions {
                events.append(TraceEvent(timeNs: timeNs, .regionBegin(task: TaskID(0), thread: thread,
                                                                      name: region.name, stack: region.stack)))
            }
        }
        for actor in actors where !actor.holder.isNone {
            events.append(TraceEvent(timeNs: timeNs, .actorAcquired(actor.id, task: actor.holder, thread: actor.holderThread)))
        }
        for (task, slot) in waitingOn.entries.sorted(by: { $0.key < $1.key }) {
            events.append(TraceEvent(timeNs: timeNs, .actorEnqueued(actors[Int(slot)].id, task: TaskID(task))))
        }
        return events
    }

    /// The task's slot, registered unnamed when this is its first event.
    private mutating func taskSlot(_ id: TaskID) -> Int {
        if let found = slotOfTask[id.raw] { return Int(found) }
        let record = Task(id: id, parent: TaskID(0), name: StringID(0), group: StringID(0), stack: StackID(0),
                          state: nil, thread: ThreadID(0), stateStack: StackID(0), stateSinceNs: 0, regions: [])
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            // Keeps the region list's storage for the next task in this slot.
            var regions = tasks[slot].regions
            tasks[slot].regions = []
            regions.removeAll(keepingCapacity: true)
            tasks[slot] = record
            tasks[slot].regions = regions
        } else {
            slot = tasks.count
            tasks.append(record)
        }
        slotOfTask.insert(id.raw, Int32(slot))
        return slot
    }

    private mutating func endTask(_ id: TaskID) {
        guard let found = slotOfTask[id.raw] else { return }
        slotOfTask.remove(id.raw)
        freeSlots.append(found)
    }

    /// The actor's slot, registered unnamed when this is its first event.
    private mutating func actorSlot(_ id: ActorID) -> Int {
        if let found = slotOfActor[id.raw] { return Int(found) }
        let slot = actors.count
        actors.append(Actor(id: id, name: StringID(0), holder: TaskID(0), holderThread: ThreadID(0)))
        slotOfActor.insert(id.raw, Int32(slot))
        return slot
    }
}
