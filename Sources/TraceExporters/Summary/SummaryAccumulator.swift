// Accumulates state time per task, per group and per region name, and per actor
// (ActorStatistics), while events stream by.
//
// Invariants:
// - Time is settled at every state change and region boundary (TaskStateTracker), so a
//   region's exec/wait split is exactly its task's state time while it was open.
// - Live state: open tasks and regions. Aggregates: one row per group and one histogram per
//   region name (fixed size); per-task rows only up to `maxTasks` (TopTasks; 0 = every task).
//   With a limit nothing grows with the number of events or of ended tasks.
// - Groups are summed from every task, kept as a row or not.
// - At `finish(endNs:)`, tasks and regions still open are closed at endNs.

import TraceModel

struct SummaryAccumulator {
    struct TaskBlocked: LiveTaskPayload {
        /// Blocked time per reason; a task has few reasons, so a short list beats a dictionary.
        var byReason: [(reason: StringID, ns: Int64)] = []

        init() {}

        init(task: TaskID) {}

        mutating func reuse(for task: TaskID) {
            if !byReason.isEmpty { byReason.removeAll(keepingCapacity: true) }
        }

        mutating func add(_ reason: StringID, _ ns: Int64) {
            for i in byReason.indices where byReason[i].reason == reason {
                byReason[i].ns += ns
                return
            }
            byReason.append((reason, ns))
        }
    }

    struct FinishedTask {
        var id: TaskID
        var name: StringID
        var group: StringID
        var startNs: Int64
        var endNs: Int64
        var times: StateTimes
        var blocked: [(reason: StringID, ns: Int64)]
    }

    struct RegionAggregate {
        var count: Int64 = 0
        var totalNs: Int64 = 0
        var histogram = LogLinearHistogram()
        var times = StateTimes()
    }

    struct GroupAggregate {
        var name: StringID
        var count = 0
        var times = StateTimes()
        var blocked = TaskBlocked()
    }

    private var tracker: TaskStateTracker<TaskBlocked>
    private var finished: TopTasks<FinishedTask>
    private var groups: [GroupAggregate] = []
    /// Group index per group-name StringID raw value; -1: none yet.
    private var groupIndex: [Int32] = []
    /// Region aggregates, and their index per region-name StringID raw value (-1: none yet);
    /// StringIDs are dense, so an array beats hashing.
    private var regions: [RegionAggregate] = []
    private var regionNames: [StringID] = []
    private var regionIndex: [Int32] = []
    private var actors = ActorStatistics()

    init(startNs: Int64, sort: SummaryOptions.SortKey = .total, maxTasks: Int = 0) {
        tracker = TaskStateTracker(startNs: startNs)
        finished = TopTasks(limit: max(0, maxTasks)) { task in
            let value = switch sort {
            case .exec: task.times.runningNs
            case .wait: task.times.runnableNs
            case .blocked: task.times.blockedNs
            case .total: task.times.totalNs
            }
            return (value, task.id.raw)
        }
    }

    mutating func consume(_ event: TraceEvent) {
        let t = tracker.clamp(event.timeNs)
        switch event.kind {
        case .taskCreated(let id, let parent, let name, let group, _):
            guard !id.isNone else { return }
            _ = tracker.create(id, parent: parent, name: name, group: group, at: t)

        case .taskState(let id, let state, let thread, _, let stack):
            guard !id.isNone else { return }
            let slot = tracker.slotCreatingIfNeeded(id, at: t).slot
            settle(slot, at: t)
            // Settled just now: entering the state needs no second settle.
            tracker.enter(slot, state, thread: thread, stack: stack, at: t)
            actors.stateChanged(id, state, at: t)
            if state == .ended { endTask(slot, at: t) }

        case .regionBegin(let task, let thread, let name, let stack):
            if task.isNone {
                guard !thread.isNone else { return }
                tracker.beginThreadRegion(thread, name: name, stack: stack, at: t)
            } else {
                let slot = tracker.slotCreatingIfNeeded(task, at: t).slot
                settle(slot, at: t)
                tracker.beginRegion(slot, name: name, stack: stack, at: t)
            }

        case .regionEnd(let task, let thread, let name):
            if task.isNone {
                guard let depth = tracker.innermostThreadRegion(thread, named: name) else { return }
                while let region = tracker.popThreadRegion(thread) {
                    record(region, endNs: t)
                    if tracker.threadRegions[thread]?.count ?? 0 <= depth { break }
                }
            } else {
                guard let slot = tracker.slot(of: task), let depth = tracker.innermostRegion(slot, named: name) else {
                    return
                }
                settle(slot, at: t)
                while tracker[slot].regions.count > depth { record(tracker.popRegion(slot), endNs: t) }
            }

        case .actorCreated, .actorEnqueued, .actorAcquired, .actorReleased:
            actors.consume(event.kind, at: t)

        case .threadName, .log, .counter, .taskCPU:
            return
        }
    }

    @inline(__always)
    private mutating func settle(_ slot: Int, at t: Int64) {
        let settled = tracker.settle(slot, at: t)
        if case .blocked(let reason)? = settled.state, settled.ns > 0 {
            tracker[slot].extra.add(reason, settled.ns)
        }
    }

    private mutating func record(_ region: LiveRegion, endNs: Int64) {
        let duration = max(0, endNs - region.beginNs)
        let id = Int(region.name.raw)
        if id >= regionIndex.count {
            regionIndex.append(contentsOf: repeatElement(-1, count: id + 1 - regionIndex.count))
        }
        if regionIndex[id] < 0 {
            regionIndex[id] = Int32(regions.count)
            regions.append(RegionAggregate())
            regionNames.append(region.name)
        }
        let i = Int(regionIndex[id])
        regions[i].count += 1
        regions[i].totalNs += duration
        regions[i].histogram.record(duration)
        regions[i].times.add(region.times)
    }

    private mutating func endTask(_ slot: Int, at t: Int64) {
        while !tracker[slot].regions.isEmpty { record(tracker.popRegion(slot), endNs: t) }
        // Fields are read in place: a copy of the whole record would retain its arrays.
        let group = tracker[slot].groupOrName
        let id = Int(group.raw)
        if id >= groupIndex.count {
            groupIndex.append(contentsOf: repeatElement(-1, count: id + 1 - groupIndex.count))
        }
        if groupIndex[id] < 0 {
            groupIndex[id] = Int32(groups.count)
            groups.append(GroupAggregate(name: group))
        }
        let g = Int(groupIndex[id])
        groups[g].count += 1
        groups[g].times.add(tracker[slot].times)
        for b in tracker[slot].extra.byReason { groups[g].blocked.add(b.reason, b.ns) }
        finished.offer(FinishedTask(id: tracker[slot].id, name: tracker[slot].name, group: group,
                                    startNs: tracker[slot].createdNs, endNs: t, times: tracker[slot].times,
                                    blocked: tracker[slot].extra.byReason))
        tracker.remove(slot)
    }

    /// Closes everything still open at `endNs` and returns the report (unsorted).
    mutating func finish(endNs: Int64, tables: TraceTables) -> SummaryReport {
        let end = max(endNs, tracker.nowNs)
        for slot in tracker.liveSlotsByTaskID() {
            settle(slot, at: end)
            endTask(slot, at: end)
        }
        for thread in tracker.threadsWithRegions() {
            while let region = tracker.popThreadRegion(thread) { record(region, endNs: end) }
        }

        func totals(_ times: StateTimes, _ blocked: [(reason: StringID, ns: Int64)]) -> StateTotals {
            var totals = StateTotals()
            totals.execNs = times.runningNs
            totals.schedWaitNs = times.runnableNs
            totals.syscallNs = times.syscallNs
            for b in blocked { totals.addBlocked(tables.string(b.reason), b.ns) }
            totals.sortReasons()
            return totals
        }
        let tasks = finished.kept.map { task in
            TaskSummary(id: task.id.raw, name: tables.string(task.name), group: tables.string(task.group),
                        startNs: task.startNs, endNs: task.endNs, times: totals(task.times, task.blocked))
        }
        let groupRows = groups.map { g in
            GroupSummary(name: tables.string(g.name), count: g.count, times: totals(g.times, g.blocked.byReason))
        }
        let regionRows = zip(regionNames, regions).map { name, r in
            RegionSummary(name: tables.string(name), count: r.count, totalNs: r.totalNs,
                          meanNs: r.count > 0 ? r.totalNs / r.count : 0,
                          p50Ns: r.histogram.quantile(0.5), p99Ns: r.histogram.quantile(0.99),
                          execNs: r.times.runningNs, schedWaitNs: r.times.runnableNs,
                          blockedNs: r.times.blockedNs, syscallNs: r.times.syscallNs)
        }
        return SummaryReport(tasks: tasks, groups: groupRows, regions: regionRows, taskCount: finished.offered,
                             actors: actors.finish(endNs: end, tables: tables))
    }
}
