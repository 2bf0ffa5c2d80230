// The live actor state the exporters share: each actor's label, the task holding it and since
// when, and the tasks queued on it and since when.
//
// Invariants:
// - An actor keeps its slot from its first event to the end of the stream (the model has no
//   actor end); slots are numbered in order of first sight, so iterating them is deterministic.
//   Memory follows the actors seen and the tasks waiting now, never the number of events.
// - A task waits on at most one actor at a time. Its wait ends at its acquisition of that actor,
//   at its acquisition of another actor or a new enqueue (the earlier wait is abandoned), at a
//   state change that cannot precede the acquisition (blocked, syscall, ended), or at the window
//   end. Runnable and running do not end it: the acquisition follows the task's running state.
// - An actor has at most one holder. An acquisition while another task holds the actor ends
//   that hold first (a release the reader never delivered); a release by a task that does not
//   hold the actor is ignored.
// - The tracker reports what ended (`WaitEnd`, `HoldEnd`) and leaves what to do with it (slices,
//   sums) to its exporter.

import TraceModel

struct ActorStateTracker {
    struct Waiter {
        var task: TaskID
        var sinceNs: Int64
    }

    struct LiveActor {
        var id: ActorID
        var name: StringID
        /// `TaskID(0)` while nobody holds the actor.
        var holder = TaskID(0)
        var holdSinceNs: Int64 = 0
        /// Tasks enqueued and not yet acquired, in no particular order.
        var waiters: [Waiter] = []
    }

    /// A wait that ended on `actor` (a slot) after `waitNs`.
    struct WaitEnd {
        var actor: Int
        var task: TaskID
        var waitNs: Int64
    }

    /// A hold of `actor` (a slot) by `task` over [sinceNs, endNs]; `waiting` tasks were queued
    /// on the actor when it ended.
    struct HoldEnd {
        var actor: Int
        var task: TaskID
        var sinceNs: Int64
        var endNs: Int64
        var waiting: Int
    }

    private(set) var actors: [LiveActor] = []
    private var slotOfActor = IDMap<Int32>()
    /// Actor slot per waiting task.
    private var waitingOn = IDMap<Int32>()

    var isEmpty: Bool { actors.isEmpty }
    var hasWaiters: Bool { waitingOn.count > 0 }

    /// The actor's slot, registered unnamed when this is its first event.
    mutating func slot(of id: ActorID) -> (slot: Int, isNew: Bool) {
        if let s = slotOfActor[id.raw] { return (Int(s), false) }
        let s = actors.count
        actors.append(LiveActor(id: id, name: StringID(0)))
        slotOfActor.insert(id.raw, Int32(s))
        return (s, true)
    }

    /// Registers (or renames) an actor.
    mutating func create(_ id: ActorID, name: StringID) -> (slot: Int, isNew: Bool) {
        let found = slot(of: id)
        actors[found.slot].name = name
        return found
    }

    /// Queues `task` on the actor. Returns the wait this ends (the task was queued elsewhere);
    /// queuing again on the same actor keeps the first enqueue time.
    mutating func enqueue(_ slot: Int, task: TaskID, at t: Int64) -> WaitEnd? {
        if let current = waitingOn[task.raw], Int(current) == slot { return nil }
        let abandoned = endWait(of: task, at: t)
        actors[slot].waiters.append(Waiter(task: task, sinceNs: t))
        waitingOn.insert(task.raw, Int32(slot))
        return abandoned
    }

    /// Ends the task's wait, whichever actor it was queued on.
    mutating func endWait(of task: TaskID, at t: Int64) -> WaitEnd? {
        guard let found = waitingOn[task.raw] else { return nil }
        waitingOn.remove(task.raw)
        let slot = Int(found)
        guard let i = actors[slot].waiters.firstIndex(where: { $0.task == task }) else { return nil }
        let waiter = actors[slot].waiters[i]
        actors[slot].waiters.swapAt(i, actors[slot].waiters.count - 1)
        actors[slot].waiters.removeLast()
        return WaitEnd(actor: slot, task: task, waitNs: max(0, t - waiter.sinceNs))
    }

    /// Ends the wait of a task whose state change rules out a pending acquisition.
    @inline(__always)
    mutating func stateChanged(_ task: TaskID, _ state: TaskState, at t: Int64) -> WaitEnd? {
        guard hasWaiters else { return nil }
        switch state {
        case .running, .runnable: return nil
        case .blocked, .syscall, .ended: return endWait(of: task, at: t)
        }
    }

    /// Ends the current hold of the actor, whoever holds it.
    mutating func endHold(_ slot: Int, at t: Int64) -> HoldEnd? {
        let holder = actors[slot].holder
        guard !holder.isNone else { return nil }
        actors[slot].holder = TaskID(0)
        let since = actors[slot].holdSinceNs
        return HoldEnd(actor: slot, task: holder, sinceNs: since, endNs: max(t, since), waiting: actors[slot].waiters.count)
    }

    /// `task` releases the actor; nil when it did not hold it.
    mutating func release(_ slot: Int, task: TaskID, at t: Int64) -> HoldEnd? {
        guard actors[slot].holder == task, !task.isNone else { return nil }
        return endHold(slot, at: t)
    }

    /// `task` holds the actor from `t` (end the previous hold and the task's wait first).
    mutating func acquire(_ slot: Int, task: TaskID, at t: Int64) {
        actors[slot].holder = task
        actors[slot].holdSinceNs = t
    }

    /// Waits still open, in actor slot order (for the window end).
    func openWaits(at t: Int64) -> [WaitEnd] {
        actors.indices.flatMap { slot in
            actors[slot].waiters.sorted { $0.task < $1.task }.map {
                WaitEnd(actor: slot, task: $0.task, waitNs: max(0, t - $0.sinceNs))
            }
        }
    }
}
