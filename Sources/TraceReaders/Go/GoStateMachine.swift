// Maps ordered Go events onto the event model: goroutines become tasks, Ms threads, user
// regions and logs stay regions and logs, heap and goroutine metrics become counters.
//
// Mapping (documented for users in Fixtures/go/README.md):
// - Goroutine N -> TaskID(N) (goroutine 0, which only synthetic traces use, -> TaskID(1 << 62));
//   name "G<N>"; group = the function at the root of the goroutine's first non-empty transition
//   stack (its creation stack, or for goroutines alive at the window start the stack of its
//   first status/stop/block/syscall; for goroutines created in a syscall, their first stack in
//   the generation), exactly what Go's goroutine analysis groups by. A goroutine with no such
//   stack when it is created goes to the one group Go's analysis keeps for goroutines it never
//   saw a stack of, under the label its goroutines page shows ("(Inactive, no stack trace
//   sampled)"), instead of a group of its own.
// - Go user task T (runtime/trace.NewTask) -> TaskID((1 << 63) | T), a task with no state
//   changes until `.ended` at its End: its group and name are the task's type name, its parent
//   the parent user task or else the goroutine that created it. Its work shows on the goroutines
//   that run it (their regions and logs).
// - A goroutine created by a goroutine that began a user task and has not ended it has that user
//   task (the innermost such) as parent, as a Swift task created inside a request's logical task
//   does: a request's goroutines are the task's descendants. Its waker stays the creating goroutine.
// - M m -> ThreadID(m) (M 0, only in synthetic traces, -> ThreadID(1 << 63)), named "M<m>".
// - Running -> .running on its M; Runnable -> .runnable; Waiting(reason) -> .blocked(reason);
//   Syscall -> .syscall; NotExist after existing -> .ended. Waiting with no reason recorded
//   (statuses at the window start) -> "unknown (before window)"; other empty reasons (coroutine
//   switches) -> "unknown".
// - Stacks (leaf first) ride on the state change they explain: the stop/block/syscall stack, the
//   creation stack; running and runnable states carry the goroutine's last known stack (where it
//   resumes).
//
// Invariants:
// - A goroutine's first event is its taskCreated; nothing is emitted for it after `.ended`.
// - Regions of a goroutine nest; regions still open when it ends are closed just before `.ended`.
// - Every thread is named (threadName) before the first event that mentions it.

import TraceModel

struct GoStateMachine {
    static let reasonBeforeWindow = "unknown (before window)"
    static let reasonUnknown = "unknown"
    /// The group of goroutines no stack names (`go tool trace` shows its "" group so).
    static let groupWithoutStack = "(Inactive, no stack trace sampled)"
    static let goroutineZero: UInt64 = 1 << 62
    static let threadZero: UInt64 = 1 << 63

    let tables: TraceTables
    private struct Goroutine {
        var lastStack: StackID
    }
    private var goroutines = IDMap<Goroutine>()
    /// Open user regions per goroutine, innermost last.
    private var regions = IDMap<[StringID]>()
    private var namedThreads = IDMap<Bool>()
    private var lastNamedThread = GoSchedContext.none
    private var userTasks: Set<UInt64> = []
    /// User tasks begun by each goroutine and not yet ended, innermost last; and who began each.
    private var begunTasks = IDMap<[UInt64]>()
    private var taskBeginner: [UInt64: UInt64] = [:]
    private var endedUserTasksWarned = false
    private var unmatchedRegionEndsWarned = false
    /// Groups found by look-ahead: for goroutines alive at the window start (first generation)
    /// and for goroutines created in a syscall, whose creation carries no stack.
    var lookaheadGroups: [UInt64: StringID] = [:]
    private(set) var warnings: [String] = []

    // Per-generation caches of interned strings and stacks.
    private var stackCache = IDMap<StackID>()
    private var rootCache = IDMap<StringID>()
    private var stringCache = IDMap<StringID>()
    private var cachedGeneration = -1

    private let reasonBeforeWindowID: StringID
    private let reasonUnknownID: StringID
    private let groupWithoutStackID: StringID
    private let goroutinesCounter: StringID
    private let heapAllocCounter: StringID
    private let heapGoalCounter: StringID
    private let procsCounter: StringID

    init(tables: TraceTables) {
        self.tables = tables
        reasonBeforeWindowID = tables.intern(Self.reasonBeforeWindow)
        reasonUnknownID = tables.intern(Self.reasonUnknown)
        groupWithoutStackID = tables.intern(Self.groupWithoutStack)
        goroutinesCounter = tables.intern("goroutines")
        heapAllocCounter = tables.intern("heap allocated bytes")
        heapGoalCounter = tables.intern("heap goal bytes")
        procsCounter = tables.intern("GOMAXPROCS")
    }

    static func task(goroutine g: UInt64) -> TaskID { TaskID(g == 0 ? goroutineZero : g) }
    static func task(user t: UInt64) -> TaskID { .goUserTask(t) }
    static func thread(_ m: UInt64) -> ThreadID {
        if m == GoSchedContext.none { return .none }
        return ThreadID(m == 0 ? threadZero : m)
    }

    var liveGoroutines: Int { goroutines.count }

    // MARK: Tables

    private mutating func enter(_ gen: GoGeneration) {
        if cachedGeneration != gen.ordinal {
            cachedGeneration = gen.ordinal
            stackCache = IDMap()
            rootCache = IDMap()
            stringCache = IDMap()
        }
    }

    mutating func string(_ id: UInt64, _ gen: GoGeneration) -> StringID {
        enter(gen)
        if id == 0 { return .empty }
        if let s = stringCache[id] { return s }
        let s = tables.intern(gen.strings[id] ?? "")
        stringCache[id] = s
        return s
    }

    mutating func stack(_ id: UInt64, _ gen: GoGeneration) -> StackID {
        enter(gen)
        if id == 0 { return .none }
        if let s = stackCache[id] { return s }
        var frames: [StackFrame] = []
        for pc in gen.stacks[id] ?? [] {
            guard let f = gen.frames[pc] else { continue }
            frames.append(StackFrame(function: tables.intern(gen.strings[f.function] ?? ""),
                                     file: tables.intern(gen.strings[f.file] ?? ""),
                                     line: UInt32(truncatingIfNeeded: f.line)))
        }
        let s = tables.intern(stack: frames)
        stackCache[id] = s
        return s
    }

    /// The function at the root (last frame) of a stack, as Go's goroutine analysis names groups.
    mutating func root(_ id: UInt64, _ gen: GoGeneration) -> StringID {
        enter(gen)
        if id == 0 { return .empty }
        if let r = rootCache[id] { return r }
        var r = StringID.empty
        if let last = gen.stacks[id]?.last, let f = gen.frames[last] {
            r = tables.intern(gen.strings[f.function] ?? "")
        }
        rootCache[id] = r
        return r
    }

    private mutating func name(thread m: UInt64, at t: Int64, _ out: inout GoEventQueue) {
        guard m != lastNamedThread, m != GoSchedContext.none else { return }
        lastNamedThread = m
        guard !namedThreads.contains(m) else { return }
        namedThreads[m] = true
        out.append(TraceEvent(timeNs: t, .threadName(Self.thread(m), name: tables.intern("M\(m)"))))
    }

    /// "G<id>": goroutine ids are never reused in a trace, so each name is new (a goroutine
    /// recreated under a live id, which only damaged input does, repeats its name's content).
    private func goroutineName(_ gid: UInt64) -> StringID { tables.appendUnique(Self.goroutineNameText(gid)) }

    /// "G<id>", written digit by digit: every goroutine gets one (millions in a large trace),
    /// and up to 14 digits the text is a small string, built without allocating.
    static func goroutineNameText(_ gid: UInt64) -> String {
        guard gid < 100_000_000_000_000 else { return "G" + String(gid) }
        var digits = 1
        var rest = gid / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        return String(unsafeUninitializedCapacity: digits + 1) { text in
            text[0] = UInt8(ascii: "G")
            var v = gid
            var i = digits
            while i > 0 {
                text[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                i -= 1
            }
            return digits + 1
        }
    }

    /// A goroutine's group: the root function found, else the group of goroutines without a stack.
    private func named(_ group: StringID) -> StringID { group.isEmpty ? groupWithoutStackID : group }

    private mutating func counter(_ t: Int64, _ out: inout GoEventQueue) {
        out.append(TraceEvent(timeNs: t, .counter(name: goroutinesCounter, value: Double(goroutines.count))))
    }

    // MARK: Window start

    /// A goroutine already alive at the window start, from the first generation's statuses.
    mutating func existing(goroutine gid: UInt64, status: UInt64, thread m: UInt64, stackID: UInt64,
                           gen: GoGeneration, at t: Int64, _ out: inout GoEventQueue) {
        guard goroutines[gid] == nil else { return }
        let stack = self.stack(stackID, gen)
        let group = stackID != 0 ? root(stackID, gen) : (lookaheadGroups[gid] ?? .empty)
        let task = Self.task(goroutine: gid)
        goroutines[gid] = Goroutine(lastStack: stack)
        var thread = ThreadID.none
        let state: TaskState
        switch status {
        case GoStatusCode.running:
            state = .running
            thread = Self.thread(m)
        case GoStatusCode.syscall:
            state = .syscall
            thread = Self.thread(m)
        case GoStatusCode.waiting:
            state = .blocked(reason: reasonBeforeWindowID)
        default:
            state = .runnable
        }
        if !thread.isNone { name(thread: m, at: t, &out) }
        out.append(TraceEvent(timeNs: t, .taskCreated(task, parent: .none, name: goroutineName(gid),
                                                      group: named(group), stack: stack)))
        out.append(TraceEvent(timeNs: t, .taskState(task, state, thread: thread, waker: .none, stack: stack)))
    }

    /// A user task that began before the window (its end is seen in the first generation).
    mutating func existing(userTask id: UInt64, at t: Int64, _ out: inout GoEventQueue) {
        guard !userTasks.contains(id) else { return }
        userTasks.insert(id)
        let name = tables.intern("user task \(id) (begun before window)")
        out.append(TraceEvent(timeNs: t, .taskCreated(Self.task(user: id), parent: .none, name: name, group: name,
                                                      stack: .none)))
    }

    /// A region open on goroutine `gid` at the window start (outermost first).
    mutating func existing(region name: String, goroutine gid: UInt64, at t: Int64, _ out: inout GoEventQueue) {
        guard goroutines[gid] != nil else { return }
        let n = tables.intern(name)
        openRegion(n, goroutine: gid)
        out.append(TraceEvent(timeNs: t, .regionBegin(task: Self.task(goroutine: gid), thread: .none, name: n,
                                                      stack: .none)))
    }

    mutating func emitGoroutineCount(at t: Int64, _ out: inout GoEventQueue) { counter(t, &out) }

    // MARK: Ordered events

    /// Maps one ordered event: each event type goes to the one method that maps it, named for
    /// the event as Go names it (the twin of `GoOrdering.dispatch`). Ps, GC, STW, sweeps,
    /// labels and experimental events have no counterpart in the model.
    mutating func handle(_ e: GoOrderedEvent, at t: Int64, gen: GoGeneration, _ out: inout GoEventQueue) {
        switch e.wire.type {
        case GoEv.goCreate: handleGoCreate(e, state: .runnable, at: t, gen, &out)
        case GoEv.goCreateBlocked: handleGoCreate(e, state: .blocked(reason: reasonUnknownID), at: t, gen, &out)
        case GoEv.goCreateSyscall: handleGoCreateSyscall(e, at: t, gen, &out)
        case GoEv.goStart: handleGoStart(e, at: t, &out)
        case GoEv.goStop: handleGoStop(e, at: t, gen, &out)
        case GoEv.goBlock: handleGoBlock(e, at: t, gen, &out)
        case GoEv.goSyscallBegin: handleGoSyscallBegin(e, at: t, gen, &out)
        case GoEv.goUnblock: handleGoUnblock(e, at: t, &out)
        case GoEv.goSwitch, GoEv.goSwitchDestroy: handleGoSwitch(e, at: t, &out)
        case GoEv.goSyscallEnd: handleGoSyscallEnd(e, at: t, &out)
        case GoEv.goSyscallEndBlocked: handleGoSyscallEndBlocked(e, at: t, &out)
        case GoEv.goDestroy, GoEv.goDestroySyscall: handleGoDestroy(e, at: t, &out)
        case GoEv.goStatus, GoEv.goStatusStack: handleGoStatus(e, at: t, gen, &out)
        case GoEv.userTaskBegin: handleUserTaskBegin(e, at: t, gen, &out)
        case GoEv.userTaskEnd: handleUserTaskEnd(e, at: t, gen, &out)
        case GoEv.userRegionBegin: handleUserRegionBegin(e, at: t, gen, &out)
        case GoEv.userRegionEnd: handleUserRegionEnd(e, at: t, gen, &out)
        case GoEv.userLog: handleUserLog(e, at: t, gen, &out)
        case GoEv.heapAlloc: out.append(TraceEvent(timeNs: t, .counter(name: heapAllocCounter, value: Double(e.wire.args[0]))))
        case GoEv.heapGoal: out.append(TraceEvent(timeNs: t, .counter(name: heapGoalCounter, value: Double(e.wire.args[0]))))
        case GoEv.procsChange: out.append(TraceEvent(timeNs: t, .counter(name: procsCounter, value: Double(e.wire.args[0]))))
        default: break
        }
    }

    @inline(__always)
    private func waker(_ e: GoOrderedEvent) -> TaskID {
        e.ctx.g == GoSchedContext.none ? .none : Self.task(goroutine: e.ctx.g)
    }

    /// GoCreate and GoCreateBlocked: the new goroutine, created by the current one.
    private mutating func handleGoCreate(_ e: GoOrderedEvent, state: TaskState, at t: Int64, _ gen: GoGeneration,
                                         _ out: inout GoEventQueue) {
        let stack = self.stack(e.wire.args[1], gen)
        let creator = waker(e)
        let parent = begunTasks[e.ctx.g]?.last.map(Self.task(user:)) ?? creator
        created(goroutine: e.wire.args[0], parent: parent, creator: creator, group: root(e.wire.args[1], gen),
                stack: stack, state: state, e, at: t, &out)
    }

    /// GoCreateSyscall: a goroutine for a C thread calling into Go; no creation stack, so its
    /// group comes from the look-ahead.
    private mutating func handleGoCreateSyscall(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration,
                                                _ out: inout GoEventQueue) {
        let gid = e.wire.args[0]
        created(goroutine: gid, parent: .none, creator: .none, group: lookaheadGroups.removeValue(forKey: gid) ?? .empty,
                stack: .none, state: .syscall, e, at: t, &out)
    }

    private mutating func created(goroutine gid: UInt64, parent: TaskID, creator: TaskID, group: StringID,
                                  stack: StackID, state: TaskState, _ e: GoOrderedEvent, at t: Int64,
                                  _ out: inout GoEventQueue) {
        let thread = Self.thread(e.ctx.m)
        name(thread: e.ctx.m, at: t, &out)
        if goroutines[gid] != nil { end(goroutine: gid, at: t, thread: thread, &out) }
        goroutines[gid] = Goroutine(lastStack: stack)
        let task = Self.task(goroutine: gid)
        out.append(TraceEvent(timeNs: t, .taskCreated(task, parent: parent, name: goroutineName(gid),
                                                      group: named(group), stack: stack)))
        out.append(TraceEvent(timeNs: t, .taskState(task, state, thread: thread, waker: creator, stack: stack)))
        counter(t, &out)
    }

    private mutating func handleGoStart(_ e: GoOrderedEvent, at t: Int64, _ out: inout GoEventQueue) {
        let gid = e.wire.args[0]
        name(thread: e.ctx.m, at: t, &out)
        let stack = goroutines[gid]?.lastStack ?? .none
        out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: gid), .running, thread: Self.thread(e.ctx.m),
                                                    waker: .none, stack: stack)))
    }

    private mutating func handleGoStop(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        guard leaveExecution(e, at: t, gen, &out) else { return }
        stopped(e, .runnable, at: t, &out)
    }

    private mutating func handleGoBlock(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        guard leaveExecution(e, at: t, gen, &out) else { return }
        let reason = string(e.wire.args[0], gen)
        stopped(e, .blocked(reason: reason.isEmpty ? reasonUnknownID : reason), at: t, &out)
    }

    private mutating func handleGoSyscallBegin(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        guard leaveExecution(e, at: t, gen, &out) else { return }
        stopped(e, .syscall, at: t, &out)
    }

    /// What GoStop, GoBlock and GoSyscallBegin share: the current goroutine leaves execution and
    /// the event's stack (where it stopped) becomes its last known one. False for a goroutine
    /// not known (nothing is emitted for it).
    private mutating func leaveExecution(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration,
                                         _ out: inout GoEventQueue) -> Bool {
        guard goroutines[e.ctx.g] != nil else { return false }
        name(thread: e.ctx.m, at: t, &out)
        let stack = self.stack(e.wire.args[1], gen)
        if !stack.isNone { goroutines.update(e.ctx.g) { $0.lastStack = stack } }
        return true
    }

    private mutating func stopped(_ e: GoOrderedEvent, _ state: TaskState, at t: Int64, _ out: inout GoEventQueue) {
        out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: e.ctx.g), state, thread: Self.thread(e.ctx.m),
                                                    waker: .none, stack: goroutines[e.ctx.g]?.lastStack ?? .none)))
    }

    private mutating func handleGoUnblock(_ e: GoOrderedEvent, at t: Int64, _ out: inout GoEventQueue) {
        let gid = e.wire.args[0]
        guard let g = goroutines[gid] else { return }
        name(thread: e.ctx.m, at: t, &out)
        out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: gid), .runnable, thread: Self.thread(e.ctx.m),
                                                    waker: waker(e), stack: g.lastStack)))
    }

    /// GoSwitch and GoSwitchDestroy unblock the target; the block (or destroy) of the current
    /// goroutine and the start of the target follow as separate ordered events.
    private mutating func handleGoSwitch(_ e: GoOrderedEvent, at t: Int64, _ out: inout GoEventQueue) {
        handleGoUnblock(e, at: t, &out)
    }

    private mutating func handleGoSyscallEnd(_ e: GoOrderedEvent, at t: Int64, _ out: inout GoEventQueue) {
        guard let g = goroutines[e.ctx.g] else { return }
        name(thread: e.ctx.m, at: t, &out)
        out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: e.ctx.g), .running, thread: Self.thread(e.ctx.m),
                                                    waker: .none, stack: g.lastStack)))
    }

    private mutating func handleGoSyscallEndBlocked(_ e: GoOrderedEvent, at t: Int64, _ out: inout GoEventQueue) {
        guard let g = goroutines[e.ctx.g] else { return }
        name(thread: e.ctx.m, at: t, &out)
        out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: e.ctx.g), .runnable, thread: Self.thread(e.ctx.m),
                                                    waker: .none, stack: g.lastStack)))
    }

    /// GoDestroy and GoDestroySyscall.
    private mutating func handleGoDestroy(_ e: GoOrderedEvent, at t: Int64, _ out: inout GoEventQueue) {
        guard goroutines[e.ctx.g] != nil else { return }
        name(thread: e.ctx.m, at: t, &out)
        end(goroutine: e.ctx.g, at: t, thread: Self.thread(e.ctx.m), &out)
        counter(t, &out)
    }

    /// GoStatus and GoStatusStack: known goroutines restate their state each generation, nothing
    /// new. A goroutine not yet known (the look-ahead missed it) is created here.
    private mutating func handleGoStatus(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        let a = e.wire.args
        let gid = a[0]
        guard goroutines[gid] == nil else { return }
        let statusThread = a[2] == GoStatusCode.syscall ? a[1] : e.ctx.m
        existing(goroutine: gid, status: a[2], thread: statusThread,
                 stackID: e.wire.type == GoEv.goStatusStack ? a[3] : 0, gen: gen, at: t, &out)
        counter(t, &out)
    }

    private mutating func handleUserTaskBegin(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        let a = e.wire.args
        let id = a[0]
        name(thread: e.ctx.m, at: t, &out)
        userTasks.insert(id)
        if e.ctx.g != GoSchedContext.none {
            if begunTasks.update(e.ctx.g, { $0.append(id) }) == nil { begunTasks[e.ctx.g] = [id] }
            taskBeginner[id] = e.ctx.g
        }
        let taskName = string(a[2], gen)
        let parent = a[1] != 0 ? Self.task(user: a[1]) : waker(e)
        out.append(TraceEvent(timeNs: t, .taskCreated(Self.task(user: id), parent: parent, name: taskName,
                                                      group: taskName, stack: stack(a[3], gen))))
    }

    private mutating func handleUserTaskEnd(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        let id = e.wire.args[0]
        guard userTasks.contains(id) else {
            if !endedUserTasksWarned {
                endedUserTasksWarned = true
                warnings.append("user task end without a begin in the trace (task \(id)); such ends are skipped")
            }
            return
        }
        userTasks.remove(id)
        if let g = taskBeginner.removeValue(forKey: id) {
            begunTasks.update(g) { tasks in tasks.removeAll { $0 == id } }
        }
        name(thread: e.ctx.m, at: t, &out)
        out.append(TraceEvent(timeNs: t, .taskState(Self.task(user: id), .ended, thread: Self.thread(e.ctx.m), waker: .none,
                                                    stack: stack(e.wire.args[1], gen))))
    }

    private mutating func handleUserRegionBegin(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        let current = e.ctx.g
        guard goroutines[current] != nil else { return }
        name(thread: e.ctx.m, at: t, &out)
        let n = string(e.wire.args[1], gen)
        openRegion(n, goroutine: current)
        out.append(TraceEvent(timeNs: t, .regionBegin(task: Self.task(goroutine: current), thread: Self.thread(e.ctx.m),
                                                      name: n, stack: stack(e.wire.args[2], gen))))
    }

    private mutating func handleUserRegionEnd(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        let current = e.ctx.g
        guard goroutines[current] != nil else { return }
        let n = string(e.wire.args[1], gen)
        guard regions[current]?.last == n else {
            if !unmatchedRegionEndsWarned {
                unmatchedRegionEndsWarned = true
                warnings.append("region end without a begin in the trace (goroutine \(current)); such ends are skipped")
            }
            return
        }
        regions.update(current) { $0.removeLast() }
        name(thread: e.ctx.m, at: t, &out)
        out.append(TraceEvent(timeNs: t, .regionEnd(task: Self.task(goroutine: current), thread: Self.thread(e.ctx.m), name: n)))
    }

    private mutating func handleUserLog(_ e: GoOrderedEvent, at t: Int64, _ gen: GoGeneration, _ out: inout GoEventQueue) {
        let a = e.wire.args
        name(thread: e.ctx.m, at: t, &out)
        let key = string(a[1], gen)
        let message = a[2] == 0 ? "" : (gen.strings[a[2]] ?? "")
        out.append(TraceEvent(timeNs: t, .log(task: waker(e), thread: Self.thread(e.ctx.m), category: key, message: message)))
    }

    private mutating func openRegion(_ name: StringID, goroutine gid: UInt64) {
        if regions.update(gid, { $0.append(name) }) == nil { regions[gid] = [name] }
    }

    private mutating func end(goroutine gid: UInt64, at t: Int64, thread: ThreadID, _ out: inout GoEventQueue) {
        guard let g = goroutines.remove(gid) else { return }
        for id in begunTasks.remove(gid) ?? [] { taskBeginner[id] = nil }
        let task = Self.task(goroutine: gid)
        for n in (regions.remove(gid) ?? []).reversed() {
            out.append(TraceEvent(timeNs: t, .regionEnd(task: task, thread: thread, name: n)))
        }
        out.append(TraceEvent(timeNs: t, .taskState(task, .ended, thread: thread, waker: .none, stack: g.lastStack)))
    }
}
