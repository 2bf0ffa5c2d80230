// Per actor sums for the summary: hops, queueing waits, hold time and the longest queue.
//
// Invariants:
// - Every wait ActorStateTracker reports is counted exactly once: at the acquisition that ends
//   it (one hop), when it is abandoned, or at the window end. A hop onto a free actor is a wait
//   of 0, so `hops` is the number of acquisitions and the histogram covers every wait.
// - A task counts once per actor in `waitedTasks`, the first time it waits on it for a nonzero
//   time; what remembers this is dropped when the task ends (an id seen after its end is a new
//   task), so it follows live tasks, not ended ones.
// - Fixed memory per actor until it first makes a task wait: waits of 0 are counted, and the
//   histogram (about 15 KB) is allocated only for actors with a nonzero wait.
// - Hold time is summed when a hold ends (release, a hold ended by the next acquisition, or the
//   window end), so holds open at the end count until `finish(endNs:)`.

import TraceModel

struct ActorStatistics {
    private struct Row {
        var hops: Int64 = 0
        var waitedTasks: Int64 = 0
        var waitNs: Int64 = 0
        /// Waits of 0 recorded before the histogram exists.
        var zeroWaits: Int64 = 0
        var waits: LogLinearHistogram?
        var heldNs: Int64 = 0
        var longestQueue = 0

        mutating func record(wait ns: Int64) {
            waitNs += ns
            if waits == nil {
                guard ns > 0 else {
                    zeroWaits += 1
                    return
                }
                var histogram = LogLinearHistogram()
                histogram.record(0, times: zeroWaits)
                waits = histogram
            }
            waits?.record(ns)
        }
    }

    private var actors = ActorStateTracker()
    /// Per actor slot of `actors`.
    private var rows: [Row] = []
    /// Actor slots each live task has waited on for a nonzero time.
    private var waitedOn: [UInt64: [Int32]] = [:]

    mutating func consume(_ kind: TraceEvent.Kind, at t: Int64) {
        switch kind {
        case .actorCreated(let actor, let name):
            guard !actor.isNone else { return }
            addRow(actors.create(actor, name: name))

        case .actorEnqueued(let actor, let task):
            guard !actor.isNone, !task.isNone else { return }
            let slot = actorSlot(actor)
            if let abandoned = actors.enqueue(slot, task: task, at: t) { record(abandoned) }
            rows[slot].longestQueue = max(rows[slot].longestQueue, actors.actors[slot].waiters.count)

        case .actorAcquired(let actor, let task, _):
            guard !actor.isNone, !task.isNone else { return }
            let slot = actorSlot(actor)
            if let displaced = actors.endHold(slot, at: t) { record(displaced) }
            let wait = actors.endWait(of: task, at: t)
            if let wait { record(wait) }
            if wait?.actor != slot {
                // Onto a free actor (or one the task never queued on): no wait.
                record(ActorStateTracker.WaitEnd(actor: slot, task: task, waitNs: 0))
            }
            rows[slot].hops += 1
            actors.acquire(slot, task: task, at: t)

        case .actorReleased(let actor, let task):
            guard !actor.isNone, !task.isNone else { return }
            if let hold = actors.release(actorSlot(actor), task: task, at: t) { record(hold) }

        default:
            return
        }
    }

    /// A task's state changed: a wait it rules out ends; an ended task is forgotten.
    @inline(__always)
    mutating func stateChanged(_ task: TaskID, _ state: TaskState, at t: Int64) {
        if let wait = actors.stateChanged(task, state, at: t) { record(wait) }
        if state == .ended && !waitedOn.isEmpty { waitedOn[task.raw] = nil }
    }

    private mutating func actorSlot(_ actor: ActorID) -> Int {
        let found = actors.slot(of: actor)
        addRow(found)
        return found.slot
    }

    private mutating func addRow(_ found: (slot: Int, isNew: Bool)) {
        if found.isNew { rows.append(Row()) }
    }

    private mutating func record(_ wait: ActorStateTracker.WaitEnd) {
        rows[wait.actor].record(wait: wait.waitNs)
        guard wait.waitNs > 0 else { return }
        let slot = Int32(wait.actor)
        if waitedOn[wait.task.raw]?.contains(slot) != true {
            waitedOn[wait.task.raw, default: []].append(slot)
            rows[wait.actor].waitedTasks += 1
        }
    }

    private mutating func record(_ hold: ActorStateTracker.HoldEnd) {
        rows[hold.actor].heldNs += hold.endNs - hold.sinceNs
    }

    /// Ends the holds and waits still open at `endNs`; one row per actor, unsorted.
    mutating func finish(endNs: Int64, tables: TraceTables) -> [ActorSummary] {
        for slot in rows.indices {
            if let hold = actors.endHold(slot, at: endNs) { record(hold) }
        }
        for wait in actors.openWaits(at: endNs) { record(wait) }
        waitedOn = [:]
        return rows.indices.map { slot in
            let row = rows[slot]
            let label = tables.string(actors.actors[slot].name)
            return ActorSummary(name: label.isEmpty ? "actor \(actors.actors[slot].id)" : label, hops: row.hops,
                                waitedTasks: row.waitedTasks, waitNs: row.waitNs,
                                p99WaitNs: row.waits?.quantile(0.99) ?? 0, heldNs: row.heldNs,
                                longestQueue: Int64(row.longestQueue))
        }
    }
}
