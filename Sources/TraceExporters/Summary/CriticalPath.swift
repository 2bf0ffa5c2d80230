// The critical path of a request: what its end waited on, found by walking its members'
// timelines backward from the end (RequestTimelines.criticalPath).
//
// The rule: start on the request's task at its end (or the window end) and walk back in time.
// - While the task runs, waits for a thread or is in a syscall, that time is on the path with
//   that state and the task's group.
// - When it was blocked and another member of the request woke it (the waker of the wake-up that
//   ended the wait: Go records it for every unblock; the Swift recorder for every enqueue, and
//   an actor wait ends with the acquisition that follows the previous holder's release), the walk
//   continues on the waker from the wake-up backward: what the waker did until then is what the
//   wait was for.
// - Before a task's creation, the walk continues on the member that created it.
// - A wait with no such waker (a timer, I/O, a task outside the request, an actor's release
//   without a releaser in the request, unknown) stays on the path as that task's blocked reason.
//   A sleep's wake-up is a timer's, whichever task happened to run the timer.
// The segments tile the wall time: they sum to it exactly.
//
// Invariants:
// - Memory: one interval per state change of a member while its request is open (and the
//   members' creation edges), dropped when the request is closed; never per event outside a
//   request.
// - The walk goes back monotonically in time; a hop that does not move time (a waker or creator
//   at the same instant) is bounded by the number of members, so the walk always ends.

import TraceModel

/// A state as the request accounts it: `ended` never appears (a task that takes an ended
/// task's state is runnable).
struct RequestStateKey: Hashable {
    /// 0 running, 1 runnable, 2 blocked, 3 syscall, 4 running on an actor.
    var kind: UInt8
    /// Blocked: the reason; running on an actor: the actor's label.
    var reason: StringID

    init(_ state: TaskState) {
        switch state {
        case .running: self.init(kind: 0)
        case .runnable, .ended: self.init(kind: 1)
        case .blocked(let reason): self.init(kind: 2, reason: reason)
        case .syscall: self.init(kind: 3)
        }
    }

    init(kind: UInt8, reason: StringID = StringID(0)) {
        self.kind = kind
        self.reason = reason
    }

    var isBlocked: Bool { kind == 2 }

    func state(_ tables: TraceTables) -> RequestState {
        switch kind {
        case 0: .running
        case 1: .runnable
        case 2: .blocked(reason: tables.string(reason))
        case 4: .runningOnActor(tables.string(reason))
        default: .syscall
        }
    }
}

/// The state intervals and wake-up edges of one open request's members.
struct RequestTimelines {
    private struct Interval {
        var startNs: Int64
        var state: RequestStateKey
        /// The task whose wake-up began this interval (0: none or unknown).
        var waker: UInt64
        /// When the waker acted: `startNs`, or for an actor the previous holder's release,
        /// which may come before the waiting task gets a thread.
        var wakeNs: Int64
    }

    private struct Timeline {
        var group: StringID
        /// The member that created this one (0: not a member of the request).
        var creator: UInt64
        /// Sorted by start (times are non-decreasing); the first starts at the creation.
        var intervals: [Interval]
        var endNs: Int64 = .max
    }

    /// In order of creation; a member's state changes go to its timeline by index (no look-up
    /// per event).
    private var timelines: [Timeline] = []
    /// Each member's timeline.
    private var index: [UInt64: Int] = [:]

    /// Member `id` of group `group` exists from `t` on, in `state`, created by member `creator`
    /// (0: by a task outside the request). Returns its timeline's index.
    mutating func began(_ id: UInt64, group: StringID, creator: UInt64, state: TaskState, at t: Int64) -> Int {
        index[id] = timelines.count
        timelines.append(Timeline(group: group, creator: creator,
                                  intervals: [Interval(startNs: t, state: RequestStateKey(state), waker: 0, wakeNs: t)]))
        return timelines.count - 1
    }

    /// The member with timeline `i` is in `state` from `t` on; `waker` made it runnable (0: none
    /// or unknown).
    mutating func changed(_ i: Int, to state: TaskState, waker: UInt64, at t: Int64) {
        timelines[i].intervals.append(Interval(startNs: t, state: RequestStateKey(state), waker: waker, wakeNs: t))
    }

    mutating func ended(_ i: Int, at t: Int64) {
        timelines[i].endNs = t
    }

    /// Member `id` acquired an actor at `t` that `releaser` released at `releasedNs`: if `id`
    /// was blocked waiting for it since then or earlier, the release is what ended its wait.
    mutating func acquired(_ id: UInt64, releasedBy releaser: UInt64, releasedNs: Int64, at t: Int64) {
        guard releaser != id, let i = index[id] else { return }
        let n = timelines[i].intervals.count
        guard n >= 2 else { return }
        let last = timelines[i].intervals[n - 1], before = timelines[i].intervals[n - 2]
        guard last.startNs == t, last.state.kind == 0, last.waker == 0,
              before.state.isBlocked, before.startNs <= releasedNs else { return }
        timelines[i].intervals[n - 1].waker = releaser
        timelines[i].intervals[n - 1].wakeNs = releasedNs
    }

    /// Member `id`, running, holds the actor labelled `actor` from `t` on.
    mutating func entered(actor: StringID, _ id: UInt64, at t: Int64) {
        guard let i = index[id], let last = timelines[i].intervals.last, last.state.kind == 0 else { return }
        let onActor = RequestStateKey(kind: 4, reason: actor)
        if last.startNs == t {
            timelines[i].intervals[timelines[i].intervals.count - 1].state = onActor
        } else {
            timelines[i].intervals.append(Interval(startNs: t, state: onActor, waker: 0, wakeNs: t))
        }
    }

    /// Member `id` stopped holding its actor at `t` (a state change at `t` may follow).
    mutating func left(actorOf id: UInt64, at t: Int64) {
        guard let i = index[id], let last = timelines[i].intervals.last, last.state.kind == 4 else { return }
        timelines[i].intervals.append(Interval(startNs: t, state: RequestStateKey(kind: 0), waker: 0, wakeNs: t))
    }

    /// The path from `endNs` back to `startNs`, starting on member `task`: time per (group,
    /// state), the hops taken (wake-ups and creations followed) and the tasks it crossed.
    func criticalPath(task: UInt64, startNs: Int64, endNs: Int64, timerReason: StringID?) -> CriticalPathWalk {
        var walk = CriticalPathWalk()
        var onPath: Set<UInt64> = []
        var current = task
        var t = endNs
        var stalls = 0
        var fallback: (group: StringID, state: RequestStateKey)?
        func credit(_ group: StringID, _ state: RequestStateKey, _ ns: Int64, _ id: UInt64) {
            guard ns > 0 else { return }
            walk.ns[CriticalPathWalk.Key(group: group, state: state), default: 0] += ns
            onPath.insert(id)
        }
        func lookup(_ id: UInt64) -> Timeline? { index[id].map { timelines[$0] } }
        while t > startNs, let timeline = lookup(current) {
            fallback = (timeline.group, timeline.intervals[0].state)
            // The interval in force just before t.
            let i = Self.lastIndex(in: timeline.intervals, startingBefore: t)
            guard i >= 0 else {
                // Before its creation: the creator's time.
                guard stalls <= timelines.count, timeline.creator != 0, timeline.creator != current,
                      index[timeline.creator] != nil else { break }
                current = timeline.creator
                walk.hops += 1
                stalls += 1
                continue
            }
            let interval = timeline.intervals[i]
            // Only from the wait's end: a task reached inside a wait (a waker or creator blocked
            // when it acted, which only reordered records at one instant can show) keeps it.
            if interval.state.isBlocked, interval.state.reason != timerReason, stalls <= timelines.count,
               i + 1 < timeline.intervals.count, timeline.intervals[i + 1].startNs == t {
                let wake = timeline.intervals[i + 1]
                let at = max(wake.wakeNs, startNs)
                if wake.waker != 0, wake.waker != current, let w = lookup(wake.waker),
                   w.intervals[0].startNs < at, w.endNs >= at {
                    // From the release to the end of the wait, the task waited for a thread.
                    credit(timeline.group, RequestStateKey(kind: 1), t - at, current)
                    if at < t { stalls = 0 }
                    t = at
                    current = wake.waker
                    walk.hops += 1
                    stalls += 1
                    continue
                }
            }
            let from = max(interval.startNs, startNs)
            credit(timeline.group, interval.state, t - from, current)
            t = from
            stalls = 0
        }
        // Only when no member timeline covers the start (a creator outside the request before
        // the request began): the rest is in the last task's first state.
        if t > startNs, let fallback {
            credit(fallback.group, fallback.state, t - startNs, current)
        }
        walk.tasks = onPath.count
        return walk
    }

    /// The index of the last interval starting before `t`, or -1.
    private static func lastIndex(in intervals: [Interval], startingBefore t: Int64) -> Int {
        var low = 0, high = intervals.count
        while low < high {
            let mid = (low + high) / 2
            if intervals[mid].startNs < t { low = mid + 1 } else { high = mid }
        }
        return low - 1
    }
}

/// What a walk found, before names are resolved.
struct CriticalPathWalk {
    struct Key: Hashable {
        var group: StringID
        var state: RequestStateKey
    }
    var ns: [Key: Int64] = [:]
    var hops = 0
    var tasks = 0
}

/// The summary's critical path section: the request's wall time, tiled by the segments of the
/// walk back from its end, as (task group, state) parts.
struct CriticalPath: Sendable, Equatable {
    /// Largest first (ties: group, then state label, ascending); they sum to the wall time.
    var parts: [RequestContributor]
    /// Wake-ups and creations followed from one task to another.
    var hops: Int
    /// The tasks the path spends time on.
    var tasks: Int

    init(parts: [RequestContributor], hops: Int, tasks: Int) {
        self.parts = parts
        self.hops = hops
        self.tasks = tasks
    }

    init(_ walk: CriticalPathWalk, tables: TraceTables) {
        let parts = walk.ns.map { RequestContributor(group: tables.string($0.key.group), state: $0.key.state.state(tables), ns: $0.value) }
        self.init(parts: parts.sorted(by: RequestContributor.largestFirst), hops: walk.hops, tasks: walk.tasks)
    }

    var totalNs: Int64 { parts.reduce(0) { $0 + $1.ns } }
}
