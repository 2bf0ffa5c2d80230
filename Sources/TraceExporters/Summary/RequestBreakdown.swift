// Splits a request's wall time by state over the request's own task and every task it spawned,
// while events stream by, and keeps what its critical path needs (CriticalPath).
//
// Which request: the one the snapshot's trigger names (its `task` field), or, in a Go trace
// (which has no trigger), the longest top-level user task: Go servers open one
// `runtime/trace.NewTask` per request, and a flight-recorder snapshot is written because a
// request was slow, so the longest one in it is the one to explain. Every top-level user task is
// followed while it lasts; only the longest finished one is kept.
//
// The rule: the wall time runs from the request task's creation (or the window start) to its
// end (or the window end). Its members are the request task and every task created, while it
// lasts, with a live member as `parent` (children, grandchildren...: membership is decided at
// creation, from what is known then; a task belongs to one request at most; in Go traces, the
// runtime's own goroutines never do). At each instant of
// the wall time, that instant is shared equally among the members alive then, and each share
// goes to (member's group, member's state at that instant). A member with no state of its own is
// doing what the task that created it does: a logical task (the request's, opened by the task
// serving the connection) runs, waits and blocks with that task; a task's own runnable state
// follows its creation at once. The shares at each instant sum to the instant, so the parts sum
// to the wall time.
//
// Invariants:
// - O(1) per event and request touched, and nothing per state change while no request is open: a request's `share` is the running integral of
//   1 / (its members alive), advanced only when its member count is about to change or one of
//   its members is settled, so a member's state interval [a, b) receives share(b) - share(a).
//   Nothing is recomputed per member when another one comes or goes.
// - Memory: the live requests and their live members, the last state of each live task when
//   the trigger names the request (a stateless member's creator may be no member), one bucket per (group, state, reason) seen
//   among a live request's members, and the one finished request kept; never the number of
//   events or of requests. Ended tasks are forgotten, except in their open request's timelines
//   (RequestTimelines: one interval per state change of a member), which are walked and
//   dropped when the request closes: the path is walked only for the request kept.
// - Actor releases and acquisitions are followed only while a request is open (and actor
//   labels kept, one per actor).
// - Exact sums: buckets hold fractional ns (Double); `finish` rounds their cumulative sums, in
//   bucket order, to integers ending at the wall time exactly, so every part is within 1 ns of
//   its exact share and the parts add up to the wall time.
// - The request task's own timeline (`ownTask`) is kept beside the split: whole time per state,
//   its states summing to the wall time. The critical path goes further: what the request's
//   code waited for, through the tasks that ended its waits.
// - Time is made non-decreasing here as in TaskStateTracker.clamp; nothing before the request
//   task appears, and nothing after it ends, counts.

import TraceModel

struct RequestBreakdown {
    enum Selection: Equatable {
        /// The request whose task the snapshot's trigger names.
        case trigger(RequestTrigger)
        /// The longest user task that no other user task contains (Go traces).
        case longestUserTask
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
        /// The request's `share` when the current state began (or when last settled).
        var sinceShare: Double
        /// Whether the member had a state of its own (until then it takes `follows`'s).
        var hasOwnState: Bool
        /// The task whose state it takes until then: its creator, or, when the creator is a
        /// member taking another's state too (a user task inside a user task), that one.
        var follows: UInt64
        /// Its timeline in `Account.timelines`.
        var timeline: Int
    }

    /// One request: its members and its wall time split so far.
    private struct Account {
        var task: TaskID
        var name: StringID
        var startNs: Int64
        var endNs: Int64 = 0
        var ended = false
        var lastNs: Int64
        /// Integral over the wall time so far of 1 / (members alive): what one member alive
        /// throughout would have received.
        var share: Double = 0
        var members: [UInt64: Member] = [:]
        var memberCount = 0
        var bucketIndex: [BucketKey: Int] = [:]
        var buckets: [(key: BucketKey, ns: Double)] = []
        /// The request task's own timeline (its creator's while it has no state of its own):
        /// whole ns per state key, the current key and since when.
        var ownNs: [BucketKey: Int64] = [:]
        var ownKey: BucketKey?
        var ownSinceNs: Int64 = 0
        /// Every member's states and wake-ups while the request is open, for its critical path.
        var timelines = RequestTimelines()
        /// The critical path, walked when the request is closed and kept.
        var path = CriticalPathWalk()

        var wallNs: Int64 { endNs - startNs }

        /// The request task is in `state` from `t` on.
        mutating func own(_ state: TaskState, at t: Int64) {
            if let key = ownKey { ownNs[key, default: 0] += t - ownSinceNs }
            ownKey = Self.key(StringID(0), state)
            ownSinceNs = t
        }

        /// Moves `share` forward to `t` over the members alive since it was last moved.
        mutating func advance(to t: Int64) {
            guard t > lastNs else { return }
            if !members.isEmpty { share += Double(t - lastNs) / Double(members.count) }
            lastNs = t
        }

        /// Member `id` is in `state` from `t` on, woken by `waker`: its own state (`own`), or the
        /// state of the task it follows, taken only while it has none of its own. In place: one
        /// look-up of the member.
        mutating func changed(_ id: UInt64, to state: TaskState, waker: UInt64, own: Bool, at t: Int64) {
            guard var member = members[id], own || !member.hasOwnState else { return }
            advance(to: t)
            buckets[member.bucket].ns += share - member.sinceShare
            member.sinceShare = share
            member.bucket = bucket(member.group, state)
            if own { member.hasOwnState = true }
            members[id] = member
            timelines.changed(member.timeline, to: state, waker: waker, at: t)
            if id == task.raw { self.own(state, at: t) }
        }

        /// Credits member `id`'s current state with its share since it was last settled.
        mutating func settle(_ id: UInt64) {
            guard let member = members[id] else { return }
            buckets[member.bucket].ns += share - member.sinceShare
            members[id]!.sinceShare = share
        }

        static func key(_ group: StringID, _ state: TaskState) -> BucketKey {
            switch state {
            case .running: BucketKey(group: group, state: 0, reason: StringID(0))
            case .runnable, .ended: BucketKey(group: group, state: 1, reason: StringID(0))
            case .blocked(let reason): BucketKey(group: group, state: 2, reason: reason)
            case .syscall: BucketKey(group: group, state: 3, reason: StringID(0))
            }
        }

        mutating func bucket(_ group: StringID, _ state: TaskState) -> Int {
            let key = Self.key(group, state)
            if let i = bucketIndex[key] { return i }
            bucketIndex[key] = buckets.count
            buckets.append((key, 0))
            return buckets.count - 1
        }

        /// The request is over at `t`: every member still alive is settled.
        mutating func close(at t: Int64, ended: Bool) {
            advance(to: t)
            // In id order: the same float additions in the same order on every run.
            for id in members.keys.sorted() { settle(id) }
            if let key = ownKey { ownNs[key, default: 0] += t - ownSinceNs }
            ownKey = nil
            endNs = t
            self.ended = ended
        }

        /// Whether this finished request is the one to explain rather than `other`: the longer,
        /// then the earlier, then the lower id.
        func isLonger(than other: Account) -> Bool {
            if wallNs != other.wallNs { return wallNs > other.wallNs }
            if startNs != other.startNs { return startNs < other.startNs }
            return task < other.task
        }
    }

    let selection: Selection
    private var nowNs: Int64
    /// The trigger's request ended: nothing more counts.
    private var done = false
    private var triggerSeen = false
    private var live: [UInt64: Account] = [:]
    /// Each live member's request (a live request's own task is its member: `live[r]` implies
    /// `owner[r] == r`).
    private var owner: [UInt64: UInt64] = [:]
    /// The last state of every live task, members or not (trigger selection only).
    private var states: [UInt64: TaskState] = [:]
    /// Members without a state of their own, by the task whose state they take.
    private var followers: [UInt64: [UInt64]] = [:]
    /// The finished request to explain so far.
    private var kept: Account?
    /// Go groups that are the runtime's own goroutines, decided once per group.
    private var systemGroups: [StringID: Bool] = [:]
    /// Each actor's last release while a request is open: who released it, when.
    private var releases: [UInt64: (task: UInt64, ns: Int64)] = [:]
    /// Every actor's label (one entry per actor, not per event).
    private var actorLabels: [UInt64: StringID] = [:]

    init(selection: Selection, startNs: Int64) {
        self.selection = selection
        self.nowNs = startNs
    }

    /// The trigger's request, else the longest user task of a Go trace; nil when the trace can
    /// name no request.
    init?(metadata: TraceMetadata) {
        if let trigger = RequestTrigger(metadata) {
            self.init(selection: .trigger(trigger), startNs: metadata.startNs)
        } else if metadata.format == "go" {
            self.init(selection: .longestUserTask, startNs: metadata.startNs)
        } else {
            return nil
        }
    }

    mutating func consume(_ event: TraceEvent, tables: TraceTables) {
        guard !done else { return }
        if event.timeNs > nowNs { nowNs = event.timeNs }
        let t = nowNs
        switch event.kind {
        case .taskCreated(let id, let parent, let name, let group, _):
            let group = group.isEmpty ? name : group
            if case .trigger(let trigger) = selection {
                if id == trigger.task, !triggerSeen {
                    open(id, name: name, group: group, creator: parent, at: t)
                } else if let r = owner[parent.raw], owner[id.raw] == nil {
                    add(id, to: r, group: group, creator: parent, at: t)
                }
            } else if owner[id.raw] == nil {
                if let r = owner[parent.raw] {
                    guard !isSystemGoroutine(group, tables) else { return }
                    add(id, to: r, group: group, creator: parent, at: t)
                } else if id.isGoUserTask, !parent.isGoUserTask {
                    open(id, name: name, group: group, creator: parent, at: t)
                }
            }

        case .taskState(let id, let state, _, let waker, _):
            if case .trigger(let trigger) = selection {
                if state == .ended { states[id.raw] = nil } else { states[id.raw] = state }
                if id == trigger.task, !triggerSeen {
                    // A reader that never announced the task: it appears with its first state.
                    open(id, name: StringID(0), group: StringID(0), creator: .none, at: t)
                }
            }
            guard !live.isEmpty else { return }
            if let r = owner[id.raw] {
                let woken = member(waker.raw, of: r)
                memberChanged(id.raw, to: state, waker: woken, in: r, at: t, tables: tables)
            }
            guard !done else { return }
            // Members that take this task's state.
            if let waiting = followers[id.raw] {
                for follower in waiting {
                    guard let r = owner[follower] else { continue }
                    let taken: TaskState = state == .ended ? .runnable : state
                    let woken = member(waker.raw, of: r)
                    live[r]?.changed(follower, to: taken, waker: woken, own: false, at: t)
                }
                if state == .ended { followers[id.raw] = nil }
            }

        case .actorCreated(let actor, let name):
            actorLabels[actor.raw] = name

        case .actorReleased(let actor, let task):
            guard !live.isEmpty else { return }
            releases[actor.raw] = (task.raw, t)
            if let r = owner[task.raw] { live[r]!.timelines.left(actorOf: task.raw, at: t) }

        case .actorAcquired(let actor, let task, _):
            guard let r = owner[task.raw] else { return }
            // An actor wait ends with no wake-up of its own: the release before it ended it.
            if let release = releases[actor.raw] {
                live[r]!.timelines.acquired(task.raw, releasedBy: member(release.task, of: r), releasedNs: release.ns, at: t)
            }
            live[r]!.timelines.entered(actor: actorLabels[actor.raw] ?? StringID(0), task.raw, at: t)

        default:
            return
        }
    }

    /// The member of request `r` that a wake-up (or release) by `task` leads to: the task
    /// itself, or, for a task outside the request, a member taking its states (the request's
    /// logical task takes those of the task serving the connection; a Go user task, those of
    /// the goroutine that began it).
    private func member(_ task: UInt64, of r: UInt64) -> UInt64 {
        guard task != 0, owner[task] != r, let taking = followers[task] else { return task }
        return taking.first { owner[$0] == r && live[r]?.members[$0]?.hasOwnState == false } ?? task
    }

    /// A goroutine of the Go runtime (a GC worker a request's allocation happened to start) is
    /// not the request's work, though a member created it: Go's rule (internal/trace
    /// IsSystemGoroutine) is a start function in package runtime other than runtime.main.
    private mutating func isSystemGoroutine(_ group: StringID, _ tables: TraceTables) -> Bool {
        if let known = systemGroups[group] { return known }
        let name = tables.string(group)
        let system = name.hasPrefix("runtime.") && name != "runtime.main"
        systemGroups[group] = system
        return system
    }

    private mutating func open(_ id: TaskID, name: StringID, group: StringID, creator: TaskID, at t: Int64) {
        triggerSeen = true
        live[id.raw] = Account(task: id, name: name, startNs: t, lastNs: t)
        add(id, to: id.raw, group: group, creator: creator, at: t)
    }

    /// A new member of request `r`: until it has a state of its own, it takes its creator's
    /// (runnable when the creator's is not known).
    private mutating func add(_ id: TaskID, to r: UInt64, group: StringID, creator: TaskID, at t: Int64) {
        let memberCreator = owner[creator.raw] == r ? creator.raw : 0
        var creator = creator
        while let c = owner[creator.raw], let m = live[c]?.members[creator.raw], !m.hasOwnState, m.follows != 0 {
            creator = TaskID(m.follows)
        }
        let own = states[id.raw]
        // In a Go trace a creator is always running when it creates (GoCreate and
        // UserTaskBegin are its own events), so no states are kept for it.
        let state = own ?? states[creator.raw] ?? (selection == .longestUserTask ? .running : .runnable)
        live[r]!.advance(to: t)
        let bucket = live[r]!.bucket(group, state)
        let timeline = live[r]!.timelines.began(id.raw, group: group, creator: memberCreator, state: state, at: t)
        live[r]!.members[id.raw] = Member(group: group, bucket: bucket, sinceShare: live[r]!.share,
                                          hasOwnState: own != nil, follows: creator.raw, timeline: timeline)
        live[r]!.memberCount += 1
        if id.raw == r { live[r]!.own(state, at: t) }
        owner[id.raw] = r
        if !creator.isNone { followers[creator.raw, default: []].append(id.raw) }
    }

    private mutating func memberChanged(_ id: UInt64, to state: TaskState, waker: UInt64, in r: UInt64, at t: Int64,
                                        tables: TraceTables) {
        guard state == .ended else {
            live[r]?.changed(id, to: state, waker: waker, own: true, at: t)
            return
        }
        live[r]!.advance(to: t)
        live[r]!.settle(id)
        forget(member: id, of: r, at: t)
        if id == r { close(r, at: t, ended: true, tables: tables) }
    }

    private mutating func forget(member id: UInt64, of r: UInt64, at t: Int64) {
        guard let member = live[r]!.members.removeValue(forKey: id) else { return }
        live[r]!.timelines.ended(member.timeline, at: t)
        owner[id] = nil
        if member.follows != 0, var waiting = followers[member.follows] {
            waiting.removeAll { $0 == id }
            followers[member.follows] = waiting.isEmpty ? nil : waiting
        }
    }

    private mutating func close(_ r: UInt64, at t: Int64, ended: Bool, tables: TraceTables) {
        guard var account = live.removeValue(forKey: r) else { return }
        account.close(at: t, ended: ended)
        if live.isEmpty { releases = [:] }
        let timelines = account.timelines
        account.timelines = RequestTimelines()
        // Walked only for the request kept: a Go trace closes many.
        func walked(_ account: Account) -> Account {
            var account = account
            account.path = timelines.criticalPath(task: r, startNs: account.startNs, endNs: account.endNs,
                                                  timerReason: tables.intern("sleep"))
            return account
        }
        for (id, member) in account.members {
            owner[id] = nil
            if member.follows != 0, var waiting = followers[member.follows] {
                waiting.removeAll { $0 == id }
                followers[member.follows] = waiting.isEmpty ? nil : waiting
            }
        }
        account.members = [:]
        if case .trigger = selection {
            kept = walked(account)
            done = true
            live = [:]
            owner = [:]
            followers = [:]
            states = [:]
        } else if kept.map({ account.isLonger(than: $0) }) ?? true {
            kept = walked(account)
        }
    }

    /// The section, or nil when no request appeared.
    mutating func finish(endNs windowEndNs: Int64, tables: TraceTables) -> RequestSummary? {
        let end = max(windowEndNs, nowNs)
        for r in live.keys.sorted() { close(r, at: end, ended: false, tables: tables) }
        guard let account = kept else { return nil }
        let wallNs = account.wallNs

        var times = StateTotals()
        var contributors: [RequestContributor] = []
        var previous: Int64 = 0
        var cumulative: Double = 0
        for (i, b) in account.buckets.enumerated() {
            cumulative += b.ns
            let upTo = i == account.buckets.count - 1 ? wallNs : min(wallNs, max(previous, Int64(cumulative.rounded())))
            let ns = upTo - previous
            previous = upTo
            let state: RequestState = switch b.key.state {
            case 0: .running
            case 1: .runnable
            case 2: .blocked(reason: tables.string(b.key.reason))
            default: .syscall
            }
            switch state {
            case .running, .runningOnActor: times.execNs += ns
            case .runnable: times.schedWaitNs += ns
            case .blocked(let reason): times.addBlocked(reason, ns)
            case .syscall: times.syscallNs += ns
            }
            if ns > 0 { contributors.append(RequestContributor(group: tables.string(b.key.group), state: state, ns: ns)) }
        }
        times.blockedNs.removeAll { $0.ns == 0 }
        times.sortReasons()
        var own = StateTotals()
        for (key, ns) in account.ownNs where ns > 0 {
            switch key.state {
            case 0: own.execNs += ns
            case 1: own.schedWaitNs += ns
            case 2: own.addBlocked(tables.string(key.reason), ns)
            default: own.syscallNs += ns
            }
        }
        own.sortReasons()
        contributors.sort(by: RequestContributor.largestFirst)
        let taskName = tables.string(account.name)
        let name: String
        let chosenBy: RequestSummary.ChosenBy
        switch selection {
        case .trigger(let trigger):
            name = trigger.displayName(taskName: taskName)
            chosenBy = .trigger
        case .longestUserTask:
            name = taskName.isEmpty ? "user task \(account.task.goUserTaskNumber)" : taskName
            chosenBy = .longestUserTask
        }
        return RequestSummary(task: account.task.raw, name: name, chosenBy: chosenBy,
                              startNs: account.startNs, endNs: account.endNs, ended: account.ended,
                              tasks: account.memberCount, times: times, ownTask: own,
                              top: Array(contributors.prefix(5)),
                              criticalPath: CriticalPath(account.path, tables: tables))
    }
}
