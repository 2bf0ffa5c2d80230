// The summary's result: time per task, per group and per region name (the counterpart of Go's
// goroutine analysis), with names resolved.
//
// Invariants:
// - For every task and group: totalNs == execNs + schedWaitNs + sum(blockedNs) + syscallNs.
// - A group's sums are the sums of its tasks; `count` is its number of tasks.
// - Blocked reasons are listed by name, ascending (deterministic output).
// - Task `startNs`/`endNs` are on the trace's clock (like `info`'s startNs): creation (or the
//   window start) and end (or the window end).
// - Actors: one row per actor (instances of one type are separate rows, told apart by their
//   labels), sorted by total wait, largest first, whatever the sort key; empty when the trace
//   has no actors.
// - `request` is set only when the trigger names a task that appears in the trace.

struct BlockedTime: Sendable, Equatable {
    var reason: String
    var ns: Int64
    init(reason: String, ns: Int64) {
        self.reason = reason
        self.ns = ns
    }
}

struct StateTotals: Sendable, Equatable {
    var execNs: Int64 = 0
    var schedWaitNs: Int64 = 0
    var blockedNs: [BlockedTime] = []
    var syscallNs: Int64 = 0

    init() {}

    var blockedTotalNs: Int64 { blockedNs.reduce(0) { $0 + $1.ns } }
    var totalNs: Int64 { execNs + schedWaitNs + blockedTotalNs + syscallNs }

    mutating func add(_ other: StateTotals) {
        execNs += other.execNs
        schedWaitNs += other.schedWaitNs
        syscallNs += other.syscallNs
        for b in other.blockedNs { addBlocked(b.reason, b.ns) }
    }

    mutating func addBlocked(_ reason: String, _ ns: Int64) {
        if let i = blockedNs.firstIndex(where: { $0.reason == reason }) {
            blockedNs[i].ns += ns
        } else {
            blockedNs.append(BlockedTime(reason: reason, ns: ns))
        }
    }

    mutating func sortReasons() {
        blockedNs.sort { $0.reason < $1.reason }
    }

    func sortValue(_ key: SummaryOptions.SortKey) -> Int64 {
        switch key {
        case .exec: execNs
        case .wait: schedWaitNs
        case .blocked: blockedTotalNs
        case .total: totalNs
        }
    }
}

struct TaskSummary: Sendable, Equatable {
    var id: UInt64
    var name: String
    var group: String
    var startNs: Int64
    var endNs: Int64
    var times: StateTotals
}

struct GroupSummary: Sendable, Equatable {
    var name: String
    var count: Int
    var times: StateTotals
}

struct RegionSummary: Sendable, Equatable {
    var name: String
    var count: Int64
    var totalNs: Int64
    var meanNs: Int64
    var p50Ns: Int64
    var p99Ns: Int64
    /// The owning tasks' state time while the region was open (regions of a thread alone
    /// contribute their duration and count, but nothing here).
    var execNs: Int64
    var schedWaitNs: Int64
    var blockedNs: Int64
    var syscallNs: Int64

    func sortValue(_ key: SummaryOptions.SortKey) -> Int64 {
        switch key {
        case .exec: execNs
        case .wait: schedWaitNs
        case .blocked: blockedNs
        case .total: totalNs
        }
    }
}

/// One actor: how often tasks hopped onto it and how long they queued for it.
struct ActorSummary: Sendable, Equatable {
    /// The actor's label ("Inventory", "Inventory #2", "MainActor").
    var name: String
    /// Acquisitions, queued or not.
    var hops: Int64
    /// Distinct tasks that queued on the actor for a nonzero time.
    var waitedTasks: Int64
    /// Queueing time summed over every wait: enqueue to acquisition; a wait that never ended in
    /// an acquisition counts until it was abandoned or the window ended.
    var waitNs: Int64
    /// Over the same waits, a hop onto a free actor counting as a wait of 0 (LogLinearHistogram).
    var p99WaitNs: Int64
    /// Time some task held the actor.
    var heldNs: Int64
    /// The most tasks queued on the actor at once.
    var longestQueue: Int64

    init(name: String, hops: Int64, waitedTasks: Int64, waitNs: Int64, p99WaitNs: Int64, heldNs: Int64,
                longestQueue: Int64) {
        self.name = name
        self.hops = hops
        self.waitedTasks = waitedTasks
        self.waitNs = waitNs
        self.p99WaitNs = p99WaitNs
        self.heldNs = heldNs
        self.longestQueue = longestQueue
    }
}

struct SummaryReport: Sendable, Equatable {
    /// Every task, or the `maxTasks` largest by the sort key.
    var tasks: [TaskSummary]
    var groups: [GroupSummary]
    var regions: [RegionSummary]
    /// Number of tasks in the window (`tasks` may hold fewer).
    var taskCount: Int
    var actors: [ActorSummary] = []
    /// The slow request the trigger names, when its task is in the trace.
    var request: RequestSummary?

    /// Sums over all tasks, from the groups (what folded weights per state add up to).
    var totals: StateTotals {
        var all = StateTotals()
        for group in groups { all.add(group.times) }
        all.sortReasons()
        return all
    }

    mutating func sort(by key: SummaryOptions.SortKey) {
        // Sort values computed once per task, not twice per comparison (a blocked total sums a
        // list); the same comparisons on the same order, so the same (stable) result.
        let values = tasks.map { $0.times.sortValue(key) }
        let order = tasks.indices.sorted { i, j in
            values[i] != values[j] ? values[i] > values[j] : tasks[i].id < tasks[j].id
        }
        tasks = order.map { tasks[$0] }
        groups.sort {
            let a = $0.times.sortValue(key), b = $1.times.sortValue(key)
            return a != b ? a > b : $0.name < $1.name
        }
        regions.sort {
            let a = $0.sortValue(key), b = $1.sortValue(key)
            return a != b ? a > b : $0.name < $1.name
        }
        actors.sort { $0.waitNs != $1.waitNs ? $0.waitNs > $1.waitNs : $0.name < $1.name }
    }
}
