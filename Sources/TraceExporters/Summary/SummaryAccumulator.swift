// Accumulates state time per task, per group and per region name while events stream by.
//
// Invariants:
// - Time is settled at every state change and region boundary (TaskStateTracker), so a
//   region's exec/wait split is exactly its task's state time while it was open.
// - Live state: open tasks and regions. Aggregates: one row per finished task (the report
//   lists every task), one histogram per region name (fixed size). Nothing grows per event.
// - At `finish(endNs:)`, tasks and regions still open are closed at endNs.

import TraceModel

public struct SummaryAccumulator {
    struct TaskBlocked {
        /// Blocked time per reason; a task has few reasons, so a short list beats a dictionary.
        var byReason: [(reason: StringID, ns: Int64)] = []

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

    private var tracker: TaskStateTracker<TaskBlocked>
    private var finished: [FinishedTask] = []
    /// Region aggregates, and their index per region-name StringID raw value (-1: none yet);
    /// StringIDs are dense, so an array beats hashing.
    private var regions: [RegionAggregate] = []
    private var regionNames: [StringID] = []
    private var regionIndex: [Int32] = []

    public init(startNs: Int64) {
        tracker = TaskStateTracker(startNs: startNs) { _ in TaskBlocked() }
    }

    public mutating func consume(_ event: TraceEvent) {
        let t = tracker.clamp(event.timeNs)
        switch event.kind {
        case .taskCreated(let id, let parent, let name, let group, _):
            guard !id.isNone else { return }
            _ = tracker.create(id, parent: parent, name: name, group: group, at: t)

        case .taskState(let id, let state, let thread, _, let stack):
            guard !id.isNone else { return }
            let slot = tracker.slotCreatingIfNeeded(id, at: t).slot
            settle(slot, at: t)
            tracker.changeState(slot, to: state, thread: thread, stack: stack, at: t)
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

    private mutating func record(_ region: OpenRegion, endNs: Int64) {
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
        let task = tracker[slot]
        finished.append(FinishedTask(id: task.id, name: task.name, group: task.groupOrName, startNs: task.createdNs,
                                     endNs: t, times: task.times, blocked: task.extra.byReason))
        tracker.remove(slot)
    }

    /// Closes everything still open at `endNs` and returns the report (unsorted).
    public mutating func finish(endNs: Int64, tables: TraceTables) -> SummaryReport {
        let end = max(endNs, tracker.nowNs)
        for slot in tracker.liveSlotsByTaskID() {
            settle(slot, at: end)
            endTask(slot, at: end)
        }
        for thread in tracker.threadsWithRegions() {
            while let region = tracker.popThreadRegion(thread) { record(region, endNs: end) }
        }

        var tasks: [TaskSummary] = []
        tasks.reserveCapacity(finished.count)
        var groupIndex: [StringID: Int] = [:]
        var groups: [GroupSummary] = []
        for task in finished {
            var totals = StateTotals()
            totals.execNs = task.times.runningNs
            totals.schedWaitNs = task.times.runnableNs
            totals.syscallNs = task.times.syscallNs
            for b in task.blocked { totals.addBlocked(tables.string(b.reason), b.ns) }
            totals.sortReasons()
            let groupName = tables.string(task.group)
            tasks.append(TaskSummary(id: task.id.raw, name: tables.string(task.name), group: groupName,
                                     startNs: task.startNs, endNs: task.endNs, times: totals))
            if let g = groupIndex[task.group] {
                groups[g].count += 1
                groups[g].times.add(totals)
            } else {
                groupIndex[task.group] = groups.count
                groups.append(GroupSummary(name: groupName, count: 1, times: totals))
            }
        }
        for g in groups.indices { groups[g].times.sortReasons() }

        let regionRows = zip(regionNames, regions).map { name, r in
            RegionSummary(name: tables.string(name), count: r.count, totalNs: r.totalNs,
                          meanNs: r.count > 0 ? r.totalNs / r.count : 0,
                          p50Ns: r.histogram.quantile(0.5), p99Ns: r.histogram.quantile(0.99),
                          execNs: r.times.runningNs, schedWaitNs: r.times.runnableNs,
                          blockedNs: r.times.blockedNs, syscallNs: r.times.syscallNs)
        }
        return SummaryReport(tasks: tasks, groups: groups, regions: regionRows)
    }
}
