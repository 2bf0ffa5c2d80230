// Splits a slow request's wall time by state over the request's own task and every task it
// spawned, while events stream by.
//
// The rule: the wall time runs from the request task's creation (or the window start) to its
// end (or the window end). Its members are the request task and every task created, while it
// lasts, with a live member as `parent` (children, grandchildren...: membership is decided at
// creation, from what is known then). At each instant of the wall time, that instant is shared
// equally among the members alive then, and each share goes to (member's group, member's state
// at that instant). A member with no state of its own is doing what the task that created it
// does: a logical task (the request's, opened by the task serving the connection) runs, waits
// and blocks with that task; a Swift task's own runnable state follows its creation at once.
// The shares at each instant sum to the instant, so the parts sum to the wall time.
//
// Invariants:
// - O(1) per event: `share` is the running integral of 1 / (members alive), so a member's state
//   interval [a, b) receives share(b) - share(a), settled when the member changes state, ends,
//   or the request ends. Nothing is recomputed per member when another one comes or goes.
// - Memory: the live members, the last state of each live task (a stateless member's creator
//   may be no member), and one bucket per (group, state, reason) seen among members; never the
//   number of events. Ended tasks are forgotten.
// - Exact sums: buckets hold fractional ns (Double); `finish` rounds their cumulative sums, in
//   bucket order, to integers ending at the wall time exactly, so every part is within 1 ns of
//   its exact share and the parts add up to the wall time.
// - Time is made non-decreasing here as in TaskStateTracker.clamp; nothing before the request
//   task appears, and nothing after it ends, counts.

import TraceModel

struct RequestBreakdown {
    private enum Phase {
        case waiting, active, done
    }

    private struct BucketKey: Hashable {
        var group: StringID
        /// 0 running, 1 runnable, 2 blocked, 3 syscall.
        var state: UInt8
        var reason: StringID
    }

    private struct Member {
        var group: StringID
        var bucket: Int
        /// `share` when the current state began (or when the member was last settled).
        var sinceShare: Double
        /// Whether the member had a state of its own (until then it takes its creator's).
        var hasOwnState = false
    }

    let trigger: RequestTrigger
    private var phase = Phase.waiting
    private var nowNs: Int64
    private var lastNs: Int64 = 0
    /// Integral over the wall time so far of 1 / (members alive): what one member alive
    /// throughout would have received.
    private var share: Double = 0
    private var members: [UInt64: Member] = [:]
    private var bucketIndex: [BucketKey: Int] = [:]
    private var buckets: [(key: BucketKey, ns: Double)] = []
    private var name = StringID(0)
    private var startNs: Int64 = 0
    private var endNs: Int64 = 0
    private var memberCount = 0
    /// The last state of every live task, members or not.
    private var states: [UInt64: TaskState] = [:]
    /// Members without a state of their own, by the task whose state they take.
    private var followers: [UInt64: [UInt64]] = [:]

    init(trigger: RequestTrigger, startNs: Int64) {
        self.trigger = trigger
        self.nowNs = startNs
    }

    mutating func consume(_ event: TraceEvent) {
        guard phase != .done else { return }
        if event.timeNs > nowNs { nowNs = event.timeNs }
        let t = nowNs
        switch event.kind {
        case .taskCreated(let id, let parent, let name, let group, _):
            if phase == .waiting {
                if id == trigger.task { begin(at: t, name: name, group: group.isEmpty ? name : group, creator: parent) }
            } else if members[id.raw] == nil, members[parent.raw] != nil {
                add(id, group: group.isEmpty ? name : group, creator: parent, at: t)
            }

        case .taskState(let id, let state, _, _, _):
            if state == .ended { states[id.raw] = nil } else { states[id.raw] = state }
            if phase == .waiting {
                // A reader that never announced the task: it appears with its first state.
                guard id == trigger.task else { return }
                begin(at: t, name: StringID(0), group: StringID(0), creator: .none)
            }
            guard phase == .active else { return }
            advance(to: t)
            if var member = members[id.raw] {
                settle(&member)
                if state == .ended {
                    members[id.raw] = nil
                    if id == trigger.task { end(at: t) }
                } else {
                    member.bucket = bucket(member.group, state)
                    member.hasOwnState = true
                    members[id.raw] = member
                }
            }
            guard phase == .active else { return }
            // Members that take this task's state.
            if let waiting = followers[id.raw] {
                for follower in waiting {
                    guard var member = members[follower], !member.hasOwnState else { continue }
                    settle(&member)
                    member.bucket = bucket(member.group, state == .ended ? .runnable : state)
                    members[follower] = member
                }
                if state == .ended { followers[id.raw] = nil }
            }

        default:
            return
        }
    }

    private mutating func begin(at t: Int64, name: StringID, group: StringID, creator: TaskID) {
        phase = .active
        self.name = name
        startNs = t
        lastNs = t
        add(trigger.task, group: group, creator: creator, at: t)
    }

    /// A new member: until it has a state of its own, it takes its creator's (runnable when
    /// the creator's is not known).
    private mutating func add(_ id: TaskID, group: StringID, creator: TaskID, at t: Int64) {
        advance(to: t)
        let state = states[id.raw] ?? states[creator.raw] ?? .runnable
        members[id.raw] = Member(group: group, bucket: bucket(group, state), sinceShare: share,
                                 hasOwnState: states[id.raw] != nil)
        if !creator.isNone { followers[creator.raw, default: []].append(id.raw) }
        memberCount += 1
    }

    /// Moves `share` forward to `t` over the members alive since the last event.
    private mutating func advance(to t: Int64) {
        guard t > lastNs else { return }
        if !members.isEmpty { share += Double(t - lastNs) / Double(members.count) }
        lastNs = t
    }

    private mutating func settle(_ member: inout Member) {
        buckets[member.bucket].ns += share - member.sinceShare
        member.sinceShare = share
    }

    /// The request is over at `t`: every member still alive is settled and the rest ignored.
    private mutating func end(at t: Int64) {
        advance(to: t)
        // In id order: the same float additions in the same order on every run.
        for id in members.keys.sorted() {
            let member = members[id]!
            buckets[member.bucket].ns += share - member.sinceShare
        }
        members = [:]
        followers = [:]
        states = [:]
        endNs = t
        phase = .done
    }

    private mutating func bucket(_ group: StringID, _ state: TaskState) -> Int {
        let key = switch state {
        case .running: BucketKey(group: group, state: 0, reason: StringID(0))
        case .runnable, .ended: BucketKey(group: group, state: 1, reason: StringID(0))
        case .blocked(let reason): BucketKey(group: group, state: 2, reason: reason)
        case .syscall: BucketKey(group: group, state: 3, reason: StringID(0))
        }
        if let i = bucketIndex[key] { return i }
        bucketIndex[key] = buckets.count
        buckets.append((key, 0))
        return buckets.count - 1
    }

    /// The section, or nil when the request's task never appeared.
    mutating func finish(endNs windowEndNs: Int64, tables: TraceTables) -> RequestSummary? {
        if phase == .waiting { return nil }
        let ended = phase == .done
        if !ended { end(at: max(windowEndNs, nowNs)) }
        let wallNs = endNs - startNs

        var times = StateTotals()
        var contributors: [RequestContributor] = []
        var previous: Int64 = 0
        var cumulative: Double = 0
        for (i, b) in buckets.enumerated() {
            cumulative += b.ns
            let upTo = i == buckets.count - 1 ? wallNs : min(wallNs, max(previous, Int64(cumulative.rounded())))
            let ns = upTo - previous
            previous = upTo
            let state: RequestState = switch b.key.state {
            case 0: .running
            case 1: .runnable
            case 2: .blocked(reason: tables.string(b.key.reason))
            default: .syscall
            }
            switch state {
            case .running: times.execNs += ns
            case .runnable: times.schedWaitNs += ns
            case .blocked(let reason): times.addBlocked(reason, ns)
            case .syscall: times.syscallNs += ns
            }
            if ns > 0 { contributors.append(RequestContributor(group: tables.string(b.key.group), state: state, ns: ns)) }
        }
        times.blockedNs.removeAll { $0.ns == 0 }
        times.sortReasons()
        contributors.sort {
            if $0.ns != $1.ns { return $0.ns > $1.ns }
            if $0.group != $1.group { return $0.group < $1.group }
            return $0.state.label < $1.state.label
        }
        let taskName = tables.string(name)
        return RequestSummary(task: trigger.task.raw, name: trigger.displayName(taskName: taskName),
                              startNs: startNs, endNs: endNs, ended: ended, tasks: memberCount, times: times,
                              top: Array(contributors.prefix(5)))
    }
}
