// Maps ordered Go events onto the event model: goroutines become tasks, Ms threads, user
// regions and logs stay regions and logs, heap and goroutine metrics become counters.
//
// Mapping (documented for users in Fixtures/go/README.md):
// - Goroutine N -> TaskID(N) (goroutine 0, which only synthetic traces use, -> TaskID(1 << 62));
//   name "G<N>"; group = the function at the root of the goroutine's first non-empty transition
//   stack (its creation stack, or for goroutines alive at the window start the stack of its
//   first status/stop/block/syscall; for goroutines created in a syscall, their first stack in
//   the generation), exactly what Go's goroutine analysis groups by.
// - Go user task T (runtime/trace.NewTask) -> TaskID((1 << 63) | T), a task with no state
//   changes until `.ended` at its End: its group and name are the task's type name, its parent
//   the parent user task or else the goroutine that created it. Its work shows on the goroutines
//   that run it (their regions and logs).
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
    static let userTaskBit: UInt64 = 1 << 63
    static let goroutineZero: UInt64 = 1 << 62
    static let threadZero: UInt64 = 1 << 63

    let tables: TraceTables
    private struct Goroutine {
        var lastStack: StackID
    }
    private var goroutines = GoIDMap<Goroutine>()
    /// Open user regions per goroutine, innermost last.
    private var regions: [UInt64: [StringID]] = [:]
    private var namedThreads = GoIDMap<Bool>()
    private var lastNamedThread = GoSchedContext.none
    private var userTasks: Set<UInt64> = []
    private var endedUserTasksWarned = false
    private var unmatchedRegionEndsWarned = false
    /// Groups found by look-ahead: for goroutines alive at the window start (first generation)
    /// and for goroutines created in a syscall, whose creation carries no stack.
    var lookaheadGroups: [UInt64: StringID] = [:]
    private(set) var warnings: [String] = []

    // Per-generation caches of interned strings and stacks.
    private var stackCache = GoIDMap<StackID>()
    private var rootCache = GoIDMap<StringID>()
    private var stringCache = GoIDMap<StringID>()
    private var cachedGeneration = -1

    private let reasonBeforeWindowID: StringID
    private let reasonUnknownID: StringID
    private let goroutinesCounter: StringID
    private let heapAllocCounter: StringID
    private let heapGoalCounter: StringID
    private let procsCounter: StringID

    init(tables: TraceTables) {
        self.tables = tables
        reasonBeforeWindowID = tables.intern(Self.reasonBeforeWindow)
        reasonUnknownID = tables.intern(Self.reasonUnknown)
        goroutinesCounter = tables.intern("goroutines")
        heapAllocCounter = tables.intern("heap allocated bytes")
        heapGoalCounter = tables.intern("heap goal bytes")
        procsCounter = tables.intern("GOMAXPROCS")
    }

    static func task(goroutine g: UInt64) -> TaskID { TaskID(g == 0 ? goroutineZero : g) }
    static func task(user t: UInt64) -> TaskID { TaskID(userTaskBit | t) }
    static func thread(_ m: UInt64) -> ThreadID {
        if m == GoSchedContext.none { return .none }
        return ThreadID(m == 0 ? threadZero : m)
    }

    var liveGoroutines: Int { goroutines.count }

    // MARK: Tables

    private mutating func enter(_ gen: GoGeneration) {
        if cachedGeneration != gen.ordinal {
            cachedGeneration = gen.ordinal
            stackCache = GoIDMap()
            rootCache = GoIDMap()
            stringCache = GoIDMap()
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

    private mutating func name(thread m: UInt64, at t: Int64, _ out: inout [TraceEvent]) {
        guard m != lastNamedThread, m != GoSchedContext.none else { return }
        lastNamedThread = m
        guard !namedThreads.contains(m) else { return }
        namedThreads[m] = true
        out.append(TraceEvent(timeNs: t, .threadName(Self.thread(m), name: tables.intern("M\(m)"))))
    }

    private mutating func counter(_ t: Int64, _ out: inout [TraceEvent]) {
        out.append(TraceEvent(timeNs: t, .counter(name: goroutinesCounter, value: Double(goroutines.count))))
    }

    // MARK: Window start

    /// A goroutine already alive at the window start, from the first generation's statuses.
    mutating func existing(goroutine gid: UInt64, status: UInt64, thread m: UInt64, stackID: UInt64,
                           gen: GoGeneration, at t: Int64, _ out: inout [TraceEvent]) {
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
        out.append(TraceEvent(timeNs: t, .taskCreated(task, parent: .none, name: tables.intern("G\(gid)"),
                                                      group: group, stack: stack)))
        out.append(TraceEvent(timeNs: t, .taskState(task, state, thread: thread, waker: .none, stack: stack)))
    }

    /// A user task that began before the window (its end is seen in the first generation).
    mutating func existing(userTask id: UInt64, at t: Int64, _ out: inout [TraceEvent]) {
        guard !userTasks.contains(id) else { return }
        userTasks.insert(id)
        let name = tables.intern("user task \(id) (begun before window)")
        out.append(TraceEvent(timeNs: t, .taskCreated(Self.task(user: id), parent: .none, name: name, group: name,
                                                      stack: .none)))
    }

    /// A region open on goroutine `gid` at the window start (outermost first).
    mutating func existing(region name: String, goroutine gid: UInt64, at t: Int64, _ out: inout [TraceEvent]) {
        guard goroutines[gid] != nil else { return }
        let n = tables.intern(name)
        regions[gid, default: []].append(n)
        out.append(TraceEvent(timeNs: t, .regionBegin(task: Self.task(goroutine: gid), thread: .none, name: n,
                                                      stack: .none)))
    }

    mutating func emitGoroutineCount(at t: Int64, _ out: inout [TraceEvent]) { counter(t, &out) }

    // MARK: Ordered events

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    mutating func handle(_ e: GoOrderedEvent, at t: Int64, gen: GoGeneration, _ out: inout [TraceEvent]) {
        let a = e.wire.args
        let m = e.ctx.m
        let thread = Self.thread(m)
        let current = e.ctx.g
        switch e.wire.type {
        case GoEv.goCreate, GoEv.goCreateBlocked, GoEv.goCreateSyscall:
            let gid = a[0]
            let isSyscall = e.wire.type == GoEv.goCreateSyscall
            let stack = isSyscall ? StackID.none : self.stack(a[1], gen)
            let group = isSyscall ? (lookaheadGroups.removeValue(forKey: gid) ?? .empty) : root(a[1], gen)
            name(thread: m, at: t, &out)
            if goroutines[gid] != nil { end(goroutine: gid, at: t, thread: thread, &out) }
            goroutines[gid] = Goroutine(lastStack: stack)
            let task = Self.task(goroutine: gid)
            let parent = current == GoSchedContext.none || isSyscall ? TaskID.none : Self.task(goroutine: current)
            out.append(TraceEvent(timeNs: t, .taskCreated(task, parent: parent, name: tables.intern("G\(gid)"),
                                                          group: group, stack: stack)))
            let state: TaskState
            switch e.wire.type {
            case GoEv.goCreateBlocked: state = .blocked(reason: reasonUnknownID)
            case GoEv.goCreateSyscall: state = .syscall
            default: state = .runnable
            }
            out.append(TraceEvent(timeNs: t, .taskState(task, state, thread: thread, waker: parent, stack: stack)))
            counter(t, &out)

        case GoEv.goStart:
            let gid = a[0]
            name(thread: m, at: t, &out)
            let stack = goroutines[gid]?.lastStack ?? .none
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: gid), .running, thread: thread,
                                                        waker: .none, stack: stack)))

        case GoEv.goStop, GoEv.goBlock, GoEv.goSyscallBegin:
            guard goroutines[current] != nil else { return }
            name(thread: m, at: t, &out)
            let stack = self.stack(a[1], gen)
            if !stack.isNone { goroutines.update(current) { $0.lastStack = stack } }
            let state: TaskState
            switch e.wire.type {
            case GoEv.goStop: state = .runnable
            case GoEv.goSyscallBegin: state = .syscall
            default:
                let reason = string(a[0], gen)
                state = .blocked(reason: reason.isEmpty ? reasonUnknownID : reason)
            }
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: current), state, thread: thread,
                                                        waker: .none, stack: goroutines[current]?.lastStack ?? .none)))

        case GoEv.goUnblock:
            let gid = a[0]
            guard let g = goroutines[gid] else { return }
            name(thread: m, at: t, &out)
            let waker = current == GoSchedContext.none ? TaskID.none : Self.task(goroutine: current)
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: gid), .runnable, thread: thread,
                                                        waker: waker, stack: g.lastStack)))

        case GoEv.goSwitch, GoEv.goSwitchDestroy:
            // Unblocks the target; the block/destroy of the current goroutine and the start of
            // the target follow as separate ordered events.
            let gid = a[0]
            guard let g = goroutines[gid] else { return }
            name(thread: m, at: t, &out)
            let waker = current == GoSchedContext.none ? TaskID.none : Self.task(goroutine: current)
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: gid), .runnable, thread: thread,
                                                        waker: waker, stack: g.lastStack)))

        case GoEv.goSyscallEnd:
            guard let g = goroutines[current] else { return }
            name(thread: m, at: t, &out)
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: current), .running, thread: thread,
                                                        waker: .none, stack: g.lastStack)))

        case GoEv.goSyscallEndBlocked:
            guard let g = goroutines[current] else { return }
            name(thread: m, at: t, &out)
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(goroutine: current), .runnable, thread: thread,
                                                        waker: .none, stack: g.lastStack)))

        case GoEv.goDestroy, GoEv.goDestroySyscall:
            guard goroutines[current] != nil else { return }
            name(thread: m, at: t, &out)
            end(goroutine: current, at: t, thread: thread, &out)
            counter(t, &out)

        case GoEv.goStatus, GoEv.goStatusStack:
            // Known goroutines restate their state each generation: nothing new. A goroutine not
            // yet known (the look-ahead missed it) is created here.
            let gid = a[0]
            guard goroutines[gid] == nil else { return }
            let statusThread = a[2] == GoStatusCode.syscall ? a[1] : m
            existing(goroutine: gid, status: a[2], thread: statusThread,
                     stackID: e.wire.type == GoEv.goStatusStack ? a[3] : 0, gen: gen, at: t, &out)
            counter(t, &out)

        case GoEv.userTaskBegin:
            let id = a[0]
            name(thread: m, at: t, &out)
            userTasks.insert(id)
            let taskName = string(a[2], gen)
            let parent: TaskID
            if a[1] != 0 {
                parent = Self.task(user: a[1])
            } else {
                parent = current == GoSchedContext.none ? .none : Self.task(goroutine: current)
            }
            out.append(TraceEvent(timeNs: t, .taskCreated(Self.task(user: id), parent: parent, name: taskName,
                                                          group: taskName, stack: stack(a[3], gen))))

        case GoEv.userTaskEnd:
            let id = a[0]
            guard userTasks.contains(id) else {
                if !endedUserTasksWarned {
                    endedUserTasksWarned = true
                    warnings.append("user task end without a begin in the trace (task \(id)); such ends are skipped")
                }
                return
            }
            userTasks.remove(id)
            name(thread: m, at: t, &out)
            out.append(TraceEvent(timeNs: t, .taskState(Self.task(user: id), .ended, thread: thread, waker: .none,
                                                        stack: stack(a[1], gen))))

        case GoEv.userRegionBegin:
            guard goroutines[current] != nil else { return }
            name(thread: m, at: t, &out)
            let n = string(a[1], gen)
            regions[current, default: []].append(n)
            out.append(TraceEvent(timeNs: t, .regionBegin(task: Self.task(goroutine: current), thread: thread,
                                                          name: n, stack: stack(a[2], gen))))

        case GoEv.userRegionEnd:
            guard goroutines[current] != nil else { return }
            let n = string(a[1], gen)
            guard regions[current]?.last == n else {
                if !unmatchedRegionEndsWarned {
                    unmatchedRegionEndsWarned = true
                    warnings.append("region end without a begin in the trace (goroutine \(current)); such ends are skipped")
                }
                return
            }
            regions[current]!.removeLast()
            name(thread: m, at: t, &out)
            out.append(TraceEvent(timeNs: t, .regionEnd(task: Self.task(goroutine: current), thread: thread, name: n)))

        case GoEv.userLog:
            let task = current == GoSchedContext.none ? TaskID.none : Self.task(goroutine: current)
            name(thread: m, at: t, &out)
            let key = string(a[1], gen)
            let message = a[2] == 0 ? "" : (gen.strings[a[2]] ?? "")
            out.append(TraceEvent(timeNs: t, .log(task: task, thread: thread, category: key, message: message)))

        case GoEv.heapAlloc:
            out.append(TraceEvent(timeNs: t, .counter(name: heapAllocCounter, value: Double(a[0]))))
        case GoEv.heapGoal:
            out.append(TraceEvent(timeNs: t, .counter(name: heapGoalCounter, value: Double(a[0]))))
        case GoEv.procsChange:
            out.append(TraceEvent(timeNs: t, .counter(name: procsCounter, value: Double(a[0]))))

        default:
            // Ps, GC, STW, sweeps, labels, experimental events: no counterpart in the model.
            break
        }
    }

    private mutating func end(goroutine gid: UInt64, at t: Int64, thread: ThreadID, _ out: inout [TraceEvent]) {
        guard let g = goroutines.remove(gid) else { return }
        let task = Self.task(goroutine: gid)
        for n in (regions.removeValue(forKey: gid) ?? []).reversed() {
            out.append(TraceEvent(timeNs: t, .regionEnd(task: task, thread: thread, name: n)))
        }
        out.append(TraceEvent(timeNs: t, .taskState(task, .ended, thread: thread, waker: .none, stack: g.lastStack)))
    }
}
