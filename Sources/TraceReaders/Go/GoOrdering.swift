// The cross-M order of a generation's events: Go only trusts the order inside one M's batches,
// and relates Ms through per-goroutine, per-P and GC sequence numbers. This emulates the
// scheduler state (goroutine, P and M bindings) to decide whether an M's next event may happen
// now, validates it, and queues it with its scheduling context.
//
// Invariants:
// - `advance` returns false (without changing state) when the event must wait for another M;
//   it throws when the event can never be valid, which ends the stream with damage.
// - Events that do not name their goroutine or P (GoStop, GoBlock, GoDestroy, syscall events,
//   ProcStop...) act on what is bound to their M at that point; bindings change only through
//   advanced events, in the order they are queued.
// - Sequence numbers are per generation; statuses restate each resource at a generation's start,
//   and a resource first seen through a status in the first generation was "undetermined" before.
// - The state is plain values (ID maps of structs and arrays): copying an ordering is cheap
//   and independent, which the first-generation look-ahead relies on.
// - A goroutine or proc with no open range has no entry in the range maps, so that they stay
//   empty (and goroutine exits touch them not at all) in traces without such ranges.

import TraceModel

struct GoSchedContext: Equatable {
    var g: UInt64
    var p: UInt64
    var m: UInt64
    static let none = UInt64.max
}

/// One ordered event with its scheduling context (the context before the event).
struct GoOrderedEvent {
    var wire: GoWireEvent
    var ctx: GoSchedContext
    /// For GoStatus: true when the goroutine was undetermined (first seen) before it.
    var firstSeen = false
}

struct GoOrderError: Error {
    var message: String
}

enum GoStatusCode {
    static let bad: UInt64 = 0
    static let runnable: UInt64 = 1
    static let running: UInt64 = 2
    static let syscall: UInt64 = 3
    static let waiting: UInt64 = 4
}

enum GoProcStatusCode {
    static let running: UInt64 = 1
    static let idle: UInt64 = 2
    static let syscall: UInt64 = 3
    static let syscallAbandoned: UInt64 = 4
}

struct GoSeq: Equatable {
    var gen: UInt64
    var seq: UInt64
    func succeeds(_ b: GoSeq) -> Bool { gen == b.gen && seq == b.seq &+ 1 }
}

struct GoRange: Equatable {
    var type: UInt8
    var desc: UInt64
}

struct GoOrdering {
    private struct GState {
        var status: UInt64
        var seq: GoSeq
    }
    private struct PState {
        var status: UInt64
        var seq: GoSeq
    }
    private struct MState {
        var g: UInt64
        var p: UInt64
    }
    private enum GCState { case undetermined, notRunning, running }

    let table: GoEventTable
    // Hot per-event state in ID maps of plain values; rarer per-resource lists aside.
    private var gStates = IDMap<GState>()
    private var pStates = IDMap<PState>()
    private var mStates = IDMap<MState>()
    private var gRegions = IDMap<[(task: UInt64, name: String)]>()
    private var gRanges = IDMap<[GoRange]>()
    private var pRanges = IDMap<[GoRange]>()
    private var activeTasks = IDMap<(name: String, parent: UInt64)>()
    private var gcSeq: UInt64 = 0
    private var gcState = GCState.undetermined
    private(set) var initialGen: UInt64 = 0
    /// Advanced events not yet taken by the consumer: `queue[0..<queued]` (slots are reused, so
    /// clearing costs nothing).
    private(set) var queue: [GoOrderedEvent] = []
    private(set) var queued = 0
    /// Whether a GoCreateSyscall was queued since the queue was last handed out (such events
    /// need a look ahead; the others are not looked at again).
    private(set) var queuedCreateSyscall = false

    mutating func clearQueue() { queued = 0 }

    /// Forgets queued events after the first `count`.
    mutating func dropQueued(after count: Int) { queued = min(queued, count) }

    /// Hands out the queued events whole (no copy per event) and queues into `storage`, emptied,
    /// from now on.
    mutating func takeQueue(replacingWith storage: consuming [GoOrderedEvent]) -> [GoOrderedEvent] {
        var taken = storage
        taken.removeAll(keepingCapacity: true)
        queue.removeLast(queue.count - queued)
        swap(&queue, &taken)
        queued = 0
        queuedCreateSyscall = false
        return taken
    }

    init(table: GoEventTable) { self.table = table }

    private static let none = GoSchedContext.none

    private enum Need { case must, may, mustNot }

    @inline(__always)
    private func validate(_ ctx: GoSchedContext, m: Need, p: Need, g: Need) throws(GoOrderError) {
        if m == .must && ctx.m == Self.none { throw GoOrderError(message: "expected a thread but didn't have one") }
        if m == .mustNot && ctx.m != Self.none { throw GoOrderError(message: "expected no thread but had one") }
        if p == .must && ctx.p == Self.none { throw GoOrderError(message: "expected a proc but didn't have one") }
        if p == .mustNot && ctx.p != Self.none { throw GoOrderError(message: "expected no proc but had one") }
        if g == .must && ctx.g == Self.none { throw GoOrderError(message: "expected a goroutine but didn't have one") }
        if g == .mustNot && ctx.g != Self.none { throw GoOrderError(message: "expected no goroutine but had one") }
    }

    @inline(__always)
    private func userGo(_ ctx: GoSchedContext) throws(GoOrderError) {
        try validate(ctx, m: .must, p: .must, g: .must)
    }

    private func name(_ type: UInt8) -> String { table.name(type) }

    /// Tries to advance `ev`, read from M `m` in generation `gen`.
    mutating func advance(_ ev: GoWireEvent, m: UInt64, gen: GoGeneration) throws(GoOrderError) -> Bool {
        if initialGen == 0 { initialGen = gen.number }
        var cur = GoSchedContext(g: Self.none, p: Self.none, m: m)
        if m != Self.none {
            if let ms = mStates[m] {
                cur.g = ms.g
                cur.p = ms.p
            } else {
                mStates[m] = MState(g: Self.none, p: Self.none)
            }
        }
        guard let newCtx = try dispatch(ev, cur, gen) else { return false }
        if m != Self.none && (newCtx.g != cur.g || newCtx.p != cur.p) {
            mStates.update(m) { $0 = MState(g: newCtx.g, p: newCtx.p) }
        }
        return true
    }

    // Inlined into every handler: it runs for every queued event, where a call costs about
    // as much as the store.
    @inline(__always)
    private mutating func push(_ ev: GoWireEvent, _ ctx: GoSchedContext, firstSeen: Bool = false) {
        let e = GoOrderedEvent(wire: ev, ctx: ctx, firstSeen: firstSeen)
        if queued < queue.count { queue[queued] = e } else { queue.append(e) }
        queued += 1
        if ev.type == GoEv.goCreateSyscall { queuedCreateSyscall = true }
    }

    private func rangeType(_ type: UInt8, _ desc: UInt64) -> GoRange {
        let start = table.spec(type)?.startType ?? 0
        return GoRange(type: start != 0 ? start : type, desc: desc)
    }

    /// Go's `orderingDispatch`: each event type goes to the one method that advances it, named
    /// as in Go's `order.go` (`advanceGoStart` there is `advanceGoStart` here). A switch rather
    /// than an array of closures: it compiles to a jump table and keeps `self` inout.
    @inline(__always)
    private mutating func dispatch(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        switch ev.type {
        // Procs.
        case GoEv.procsChange: return try advanceAnnotation(ev, cur)
        case GoEv.procStart: return try advanceProcStart(ev, cur, gen)
        case GoEv.procStop: return try advanceProcStop(ev, cur)
        case GoEv.procSteal: return try advanceProcSteal(ev, cur, gen)
        case GoEv.procStatus: return try advanceProcStatus(ev, cur, gen)
        // Goroutines.
        case GoEv.goCreate: return try advanceGoCreate(ev, cur, gen)
        case GoEv.goCreateSyscall: return try advanceGoCreateSyscall(ev, cur, gen)
        case GoEv.goStart: return try advanceGoStart(ev, cur, gen)
        case GoEv.goDestroy: return try advanceGoStopExec(ev, cur)
        case GoEv.goDestroySyscall: return try advanceGoDestroySyscall(ev, cur)
        case GoEv.goStop: return try advanceGoStopExec(ev, cur)
        case GoEv.goBlock: return try advanceGoStopExec(ev, cur)
        case GoEv.goUnblock: return advanceGoUnblock(ev, cur, gen)
        case GoEv.goSyscallBegin: return try advanceGoSyscallBegin(ev, cur, gen)
        case GoEv.goSyscallEnd: return try advanceGoSyscallEnd(ev, cur)
        case GoEv.goSyscallEndBlocked: return try advanceGoSyscallEndBlocked(ev, cur)
        case GoEv.goStatus: return try advanceGoStatus(ev, cur, gen)
        // Stop-the-world.
        case GoEv.stwBegin: return try advanceGoRangeBegin(ev, cur)
        case GoEv.stwEnd: return try advanceGoRangeEnd(ev, cur)
        // GC.
        case GoEv.gcActive: return try advanceGCActive(ev, cur, gen)
        case GoEv.gcBegin: return try advanceGCBegin(ev, cur)
        case GoEv.gcEnd: return try advanceGCEnd(ev, cur)
        case GoEv.gcSweepActive: return try advanceGCSweepActive(ev, cur, gen)
        case GoEv.gcSweepBegin: return try advanceGCSweepBegin(ev, cur)
        case GoEv.gcSweepEnd: return try advanceGCSweepEnd(ev, cur)
        case GoEv.gcMarkAssistActive: return try advanceGoRangeActive(ev, cur, gen)
        case GoEv.gcMarkAssistBegin: return try advanceGoRangeBegin(ev, cur)
        case GoEv.gcMarkAssistEnd: return try advanceGoRangeEnd(ev, cur)
        case GoEv.heapAlloc: return try advanceHeapMetric(ev, cur)
        case GoEv.heapGoal: return try advanceHeapMetric(ev, cur)
        // Annotations.
        case GoEv.goLabel: return try advanceAnnotation(ev, cur)
        case GoEv.userTaskBegin: return try advanceUserTaskBegin(ev, cur, gen)
        case GoEv.userTaskEnd: return try advanceUserTaskEnd(ev, cur)
        case GoEv.userRegionBegin: return try advanceUserRegionBegin(ev, cur, gen)
        case GoEv.userRegionEnd: return try advanceUserRegionEnd(ev, cur, gen)
        case GoEv.userLog: return try advanceAnnotation(ev, cur)
        // Coroutines (1.23).
        case GoEv.goSwitch: return try advanceGoSwitch(ev, cur, gen)
        case GoEv.goSwitchDestroy: return try advanceGoSwitch(ev, cur, gen)
        case GoEv.goCreateBlocked: return try advanceGoCreate(ev, cur, gen)
        // GoStatus with a stack (1.23).
        case GoEv.goStatusStack: return try advanceGoStatus(ev, cur, gen)
        // Experimental alloc/free events (1.23).
        case GoEv.firstExperimental...GoEv.lastExperimental: return try advanceAllocFree(ev, cur)
        default:
            throw GoOrderError(message: "bad event type found while ordering: \(ev.type)")
        }
    }

    // MARK: Procs

    private mutating func advanceProcStatus(_ ev: GoWireEvent, _ curIn: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        var cur = curIn
        let pid = ev.args[0], status = ev.args[1]
        guard status <= GoProcStatusCode.syscallAbandoned else {
            throw GoOrderError(message: "invalid status for proc \(pid): \(status)")
        }
        var promotedRunning = false
        if var s = pStates[pid] {
            if status == GoProcStatusCode.syscallAbandoned && s.status == GoProcStatusCode.syscall {
                promotedRunning = true
            } else if status == GoProcStatusCode.syscallAbandoned && s.status == GoProcStatusCode.syscallAbandoned {
                // Passes through as idle.
            } else if s.status != status {
                throw GoOrderError(message: "inconsistent status for proc \(pid): old \(s.status) vs. new \(status)")
            }
            s.seq = GoSeq(gen: gen.number, seq: 0)
            pStates[pid] = s
        } else {
            pStates[pid] = PState(status: status, seq: GoSeq(gen: gen.number, seq: 0))
        }
        var newCtx = cur
        if status == GoProcStatusCode.running || status == GoProcStatusCode.syscall { newCtx.p = pid }
        if promotedRunning {
            // Emitted in the context of the M the P is bound to.
            var found = false
            mStates.forEach { mid, ms in
                if ms.p == pid {
                    cur = GoSchedContext(g: ms.g, p: pid, m: mid)
                    found = true
                }
            }
            if !found { throw GoOrderError(message: "failed to find sched context for proc \(pid) that's about to be stolen") }
        }
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceProcStart(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let pid = ev.args[0]
        let seq = GoSeq(gen: gen.number, seq: ev.args[1])
        guard let s = pStates[pid], s.status == GoProcStatusCode.idle, seq.succeeds(s.seq), cur.p == Self.none else {
            return nil
        }
        try validate(cur, m: .must, p: .mustNot, g: .may)
        pStates.update(pid) { $0 = PState(status: GoProcStatusCode.running, seq: seq) }
        var newCtx = cur
        newCtx.p = pid
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceProcStop(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        guard let s = pStates[cur.p] else {
            throw GoOrderError(message: "event ProcStop for proc (\(cur.p == Self.none ? "none" : String(cur.p))) that doesn't exist")
        }
        guard s.status == GoProcStatusCode.running || s.status == GoProcStatusCode.syscall else {
            throw GoOrderError(message: "ProcStop event for proc that's not Running or Syscall")
        }
        try validate(cur, m: .must, p: .must, g: .may)
        pStates.update(cur.p) { $0.status = GoProcStatusCode.idle }
        var newCtx = cur
        newCtx.p = Self.none
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceProcSteal(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let pid = ev.args[0]
        let seq = GoSeq(gen: gen.number, seq: ev.args[1])
        guard let s = pStates[pid],
              s.status == GoProcStatusCode.syscall || s.status == GoProcStatusCode.syscallAbandoned,
              seq.succeeds(s.seq) else { return nil }
        try validate(cur, m: .must, p: .may, g: .may)
        let oldStatus = s.status
        pStates.update(pid) { $0 = PState(status: GoProcStatusCode.idle, seq: seq) }
        if oldStatus == GoProcStatusCode.syscallAbandoned {
            push(ev, cur)
            return cur
        }
        let mid = ev.args[2]
        var newCtx = cur
        if mid == cur.m {
            guard cur.p == pid else {
                throw GoOrderError(message: "tried to self-steal proc \(pid) (thread \(mid)), but got proc \(cur.p) instead")
            }
            newCtx.p = Self.none
            push(ev, cur)
            return newCtx
        }
        guard let victim = mStates[mid] else { throw GoOrderError(message: "stole proc from non-existent thread \(mid)") }
        guard victim.p == pid else {
            throw GoOrderError(message: "tried to steal proc \(pid) from thread \(mid), but got proc \(victim.p) instead")
        }
        mStates.update(mid) { $0.p = Self.none }
        push(ev, cur)
        return newCtx
    }

    // MARK: Goroutines

    /// GoStatus and GoStatusStack.
    private mutating func advanceGoStatus(_ ev: GoWireEvent, _ curIn: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        var cur = curIn
        let g = gen.number
        let gid = ev.args[0], mid = ev.args[1], status = ev.args[2]
        guard status <= GoStatusCode.waiting else {
            throw GoOrderError(message: "invalid status for goroutine \(gid): \(status)")
        }
        var firstSeen = false
        if let s = gStates[gid] {
            guard s.status == status else {
                throw GoOrderError(message: "inconsistent status for goroutine \(gid): old \(s.status) vs. new \(status)")
            }
            gStates.update(gid) { $0.seq = GoSeq(gen: g, seq: 0) }
        } else if g == initialGen {
            gStates[gid] = GState(status: status, seq: GoSeq(gen: g, seq: 0))
            firstSeen = true
        } else {
            throw GoOrderError(message: "found goroutine status for new goroutine after the first generation: id=\(gid) status=\(status)")
        }
        var newCtx = cur
        switch status {
        case GoStatusCode.running:
            newCtx.g = gid
        case GoStatusCode.syscall:
            guard mid != Self.none else { throw GoOrderError(message: "found goroutine \(gid) in syscall without a thread") }
            if mid == cur.m {
                if g != initialGen && cur.g != gid {
                    throw GoOrderError(message: "inconsistent thread for syscalling goroutine \(gid): thread has goroutine \(cur.g)")
                }
                newCtx.g = gid
                break
            }
            if let ms = mStates[mid] {
                guard ms.g == gid else {
                    throw GoOrderError(message: "inconsistent thread for syscalling goroutine \(gid): thread has goroutine \(ms.g)")
                }
                cur.g = ms.g
            } else {
                mStates[mid] = MState(g: gid, p: Self.none)
            }
            cur.m = mid
        default:
            break
        }
        push(ev, cur, firstSeen: firstSeen)
        return newCtx
    }

    /// GoCreate and GoCreateBlocked.
    private mutating func advanceGoCreate(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .must, g: .may)
        if let s = gStates[cur.g], s.status != GoStatusCode.running {
            throw GoOrderError(message: "\(name(ev.type)) event for goroutine that's not Running")
        }
        let newg = ev.args[0]
        if gStates[newg] != nil { throw GoOrderError(message: "tried to create goroutine (\(newg)) that already exists") }
        let status = ev.type == GoEv.goCreateBlocked ? GoStatusCode.waiting : GoStatusCode.runnable
        gStates[newg] = GState(status: status, seq: GoSeq(gen: gen.number, seq: 0))
        push(ev, cur)
        return cur
    }

    /// GoDestroy, GoStop and GoBlock: the running goroutine stops executing.
    private mutating func advanceGoStopExec(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        guard let gi = gStates.index(of: cur.g) else {
            throw GoOrderError(message: "event \(name(ev.type)) for goroutine (\(cur.g)) that doesn't exist")
        }
        guard gStates[at: gi].status == GoStatusCode.running else {
            throw GoOrderError(message: "\(name(ev.type)) event for goroutine that's not Running")
        }
        switch ev.type {
        case GoEv.goDestroy: forget(goroutine: cur.g)
        case GoEv.goStop: gStates[at: gi].status = GoStatusCode.runnable
        default: gStates[at: gi].status = GoStatusCode.waiting
        }
        var newCtx = cur
        newCtx.g = Self.none
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceGoStart(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let gid = ev.args[0]
        let seq = GoSeq(gen: gen.number, seq: ev.args[1])
        guard let gi = gStates.index(of: gid), gStates[at: gi].status == GoStatusCode.runnable,
              seq.succeeds(gStates[at: gi].seq) else { return nil }
        try validate(cur, m: .must, p: .must, g: .mustNot)
        gStates[at: gi] = GState(status: GoStatusCode.running, seq: seq)
        var newCtx = cur
        newCtx.g = gid
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceGoUnblock(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) -> GoSchedContext? {
        let gid = ev.args[0]
        let seq = GoSeq(gen: gen.number, seq: ev.args[1])
        guard let gi = gStates.index(of: gid), gStates[at: gi].status == GoStatusCode.waiting,
              seq.succeeds(gStates[at: gi].seq) else { return nil }
        gStates[at: gi] = GState(status: GoStatusCode.runnable, seq: seq)
        push(ev, cur)
        return cur
    }

    /// GoSwitch and GoSwitchDestroy: queued as the switch, the current goroutine's block (or
    /// destroy) and the target's start, as Go's reader emits them.
    private mutating func advanceGoSwitch(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        guard let s = gStates[cur.g] else {
            throw GoOrderError(message: "event \(name(ev.type)) for goroutine (\(cur.g)) that doesn't exist")
        }
        guard s.status == GoStatusCode.running else {
            throw GoOrderError(message: "\(name(ev.type)) event for goroutine that's not Running")
        }
        let next = ev.args[0]
        let seq = GoSeq(gen: gen.number, seq: ev.args[1])
        guard let ns = gStates[next], ns.status == GoStatusCode.waiting, seq.succeeds(ns.seq) else { return nil }
        push(ev, cur)
        if ev.type == GoEv.goSwitch {
            gStates.update(cur.g) { $0.status = GoStatusCode.waiting }
            var block = ev
            block.type = GoEv.goBlock
            block.args = .zero
            push(block, cur)
        } else {
            forget(goroutine: cur.g)
            var destroy = ev
            destroy.type = GoEv.goDestroy
            destroy.args = .zero
            push(destroy, cur)
        }
        gStates.update(next) { $0 = GState(status: GoStatusCode.running, seq: seq) }
        var newCtx = cur
        newCtx.g = next
        var startCtx = cur
        startCtx.g = Self.none
        var start = ev
        start.type = GoEv.goStart
        start.args = SIMD4(next, ev.args[1], 0, 0)
        push(start, startCtx)
        return newCtx
    }

    private mutating func advanceGoSyscallBegin(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        guard let gi = gStates.index(of: cur.g) else {
            throw GoOrderError(message: "event GoSyscallBegin for goroutine (\(cur.g)) that doesn't exist")
        }
        guard gStates[at: gi].status == GoStatusCode.running else {
            throw GoOrderError(message: "GoSyscallBegin event for goroutine that's not Running")
        }
        gStates[at: gi].status = GoStatusCode.syscall
        guard let pi = pStates.index(of: cur.p) else {
            throw GoOrderError(message: "uninitialized proc \(cur.p) found during GoSyscallBegin")
        }
        let pSeq = GoSeq(gen: gen.number, seq: ev.args[0])
        guard pSeq.succeeds(pStates[at: pi].seq) else {
            throw GoOrderError(message: "failed to advance GoSyscallBegin: can't make sequence: \(pStates[at: pi].seq.seq) -> \(pSeq.seq)")
        }
        pStates[at: pi] = PState(status: GoProcStatusCode.syscall, seq: pSeq)
        push(ev, cur)
        return cur
    }

    private mutating func advanceGoSyscallEnd(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        guard let gi = gStates.index(of: cur.g) else {
            throw GoOrderError(message: "event GoSyscallEnd for goroutine (\(cur.g)) that doesn't exist")
        }
        guard gStates[at: gi].status == GoStatusCode.syscall else {
            throw GoOrderError(message: "GoSyscallEnd event for goroutine that's not Syscall")
        }
        gStates[at: gi].status = GoStatusCode.running
        guard let pi = pStates.index(of: cur.p) else {
            throw GoOrderError(message: "uninitialized proc \(cur.p) found during GoSyscallEnd")
        }
        guard pStates[at: pi].status == GoProcStatusCode.syscall else {
            throw GoOrderError(message: "expected proc \(cur.p) in state Syscall, but got \(pStates[at: pi].status) instead")
        }
        pStates[at: pi].status = GoProcStatusCode.running
        push(ev, cur)
        return cur
    }

    private mutating func advanceGoSyscallEndBlocked(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        if cur.p != Self.none {
            guard let ps = pStates[cur.p] else {
                throw GoOrderError(message: "uninitialized proc \(cur.p) found during GoSyscallEndBlocked")
            }
            // While the P may still be taken back, the steal must come first.
            if ps.status == GoProcStatusCode.syscall { return nil }
        }
        try validate(cur, m: .must, p: .may, g: .must)
        guard let s = gStates[cur.g] else {
            throw GoOrderError(message: "event GoSyscallEndBlocked for goroutine (\(cur.g)) that doesn't exist")
        }
        guard s.status == GoStatusCode.syscall else {
            throw GoOrderError(message: "GoSyscallEndBlocked event for goroutine that's not Syscall")
        }
        gStates.update(cur.g) { $0.status = GoStatusCode.runnable }
        var newCtx = cur
        newCtx.g = Self.none
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceGoCreateSyscall(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .may, g: .mustNot)
        let newg = ev.args[0]
        if gStates[newg] != nil {
            throw GoOrderError(message: "tried to create goroutine (\(newg)) in syscall that already exists")
        }
        gStates[newg] = GState(status: GoStatusCode.syscall, seq: GoSeq(gen: gen.number, seq: 0))
        var newCtx = cur
        newCtx.g = newg
        push(ev, cur)
        return newCtx
    }

    private mutating func advanceGoDestroySyscall(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .may, g: .must)
        guard let s = gStates[cur.g] else {
            throw GoOrderError(message: "event GoDestroySyscall for goroutine (\(cur.g)) that doesn't exist")
        }
        guard s.status == GoStatusCode.syscall else {
            throw GoOrderError(message: "GoDestroySyscall event for goroutine that's not Syscall")
        }
        forget(goroutine: cur.g)
        var newCtx = cur
        newCtx.g = Self.none
        if cur.p != Self.none {
            guard let ps = pStates[cur.p] else {
                throw GoOrderError(message: "found invalid proc \(cur.p) during GoDestroySyscall")
            }
            guard ps.status == GoProcStatusCode.syscall else {
                throw GoOrderError(message: "proc \(cur.p) in unexpected state \(ps.status) during GoDestroySyscall")
            }
            pStates.update(cur.p) { $0.status = GoProcStatusCode.syscallAbandoned }
            newCtx.p = Self.none
            // The P is released as a steal before the destroy, as Go's reader does.
            var steal = ev
            steal.type = GoEv.procSteal
            steal.args = SIMD4(cur.p, 0, 0, 0)
            push(steal, cur)
        }
        push(ev, cur)
        return newCtx
    }

    // MARK: Annotations

    private mutating func advanceUserTaskBegin(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let id = ev.args[0]
        if activeTasks.contains(id) { throw GoOrderError(message: "task ID conflict: \(id)") }
        guard let taskName = string(ev.args[2], gen) else {
            throw GoOrderError(message: "invalid string ID \(ev.args[2]) for UserTaskBegin event")
        }
        activeTasks[id] = (taskName, ev.args[1])
        try userGo(cur)
        push(ev, cur)
        return cur
    }

    private mutating func advanceUserTaskEnd(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        activeTasks[ev.args[0]] = nil
        try userGo(cur)
        push(ev, cur)
        return cur
    }

    private mutating func advanceUserRegionBegin(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let regionName = try regionName(ev, cur, gen)
        if gRegions.update(cur.g, { $0.append((ev.args[0], regionName)) }) == nil {
            gRegions[cur.g] = [(ev.args[0], regionName)]
        }
        push(ev, cur)
        return cur
    }

    private mutating func advanceUserRegionEnd(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let regionName = try regionName(ev, cur, gen)
        if let last = gRegions[cur.g]?.last {
            guard last.task == ev.args[0] && last.name == regionName else {
                throw GoOrderError(message: "misuse of region in goroutine \(cur.g): region end \(regionName) when the inner-most active region start event is \(last.name)")
            }
            gRegions.update(cur.g) { $0.removeLast() }
        }
        push(ev, cur)
        return cur
    }

    /// The checks region begin and end share: a user goroutine of known state, a valid name.
    private func regionName(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> String {
        try userGo(cur)
        guard let regionName = string(ev.args[1], gen) else {
            throw GoOrderError(message: "invalid string ID \(ev.args[1]) for \(name(ev.type)) event")
        }
        guard gStates[cur.g] != nil else {
            throw GoOrderError(message: "encountered \(name(ev.type)) without known state for current goroutine \(cur.g)")
        }
        return regionName
    }

    /// ProcsChange, GoLabel and UserLog: need a user goroutine, change no state.
    private mutating func advanceAnnotation(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        push(ev, cur)
        return cur
    }

    // MARK: GC

    private mutating func advanceGCActive(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let seq = ev.args[0]
        if gen.number == initialGen {
            guard gcState == .undetermined else {
                throw GoOrderError(message: "GCActive in the first generation isn't first GC event")
            }
            gcSeq = seq
            gcState = .running
            push(ev, cur)
            return cur
        }
        guard seq == gcSeq &+ 1 else { return nil }
        guard gcState == .running else { throw GoOrderError(message: "encountered GCActive while GC was not in progress") }
        gcSeq = seq
        try userGo(cur)
        push(ev, cur)
        return cur
    }

    private mutating func advanceGCBegin(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        let seq = ev.args[0]
        if gcState == .undetermined {
            gcSeq = seq
            gcState = .running
            push(ev, cur)
            return cur
        }
        guard seq == gcSeq &+ 1 else { return nil }
        guard gcState != .running else { throw GoOrderError(message: "encountered GCBegin while GC was already in progress") }
        gcSeq = seq
        gcState = .running
        try userGo(cur)
        push(ev, cur)
        return cur
    }

    private mutating func advanceGCEnd(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        let seq = ev.args[0]
        guard seq == gcSeq &+ 1 else { return nil }
        guard gcState != .notRunning else { throw GoOrderError(message: "encountered GCEnd when GC was not in progress") }
        guard gcState != .undetermined else { throw GoOrderError(message: "encountered GCEnd when GC was in an undetermined state") }
        gcSeq = seq
        gcState = .notRunning
        try userGo(cur)
        push(ev, cur)
        return cur
    }

    /// HeapAlloc and HeapGoal.
    private mutating func advanceHeapMetric(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .must, g: .may)
        push(ev, cur)
        return cur
    }

    private mutating func advanceGCSweepBegin(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .must, g: .may)
        let r = rangeType(ev.type, 0)
        var ranges = pRanges[cur.p] ?? []
        if ranges.contains(r) {
            throw GoOrderError(message: "discovered event already in-flight for when starting event GCSweepBegin")
        }
        ranges.append(r)
        pRanges[cur.p] = ranges
        push(ev, cur)
        return cur
    }

    private mutating func advanceGCSweepActive(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let pid = ev.args[0]
        guard pStates[pid] != nil else { throw GoOrderError(message: "encountered GCSweepActive for unknown proc \(pid)") }
        try Self.activeRange(&pRanges, pid, rangeType(ev.type, 0), initial: gen.number == initialGen)
        push(ev, cur)
        return cur
    }

    private mutating func advanceGCSweepEnd(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .must, g: .may)
        _ = try Self.endRange(&pRanges, cur.p, ev.type, table)
        push(ev, cur)
        return cur
    }

    /// STWBegin and GCMarkAssistBegin: a range opens on the current goroutine.
    private mutating func advanceGoRangeBegin(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        let desc = ev.type == GoEv.stwBegin ? ev.args[0] : 0
        guard gStates[cur.g] != nil else {
            throw GoOrderError(message: "encountered event of type \(ev.type) without known state for current goroutine \(cur.g)")
        }
        let r = rangeType(ev.type, desc)
        var ranges = gRanges[cur.g] ?? []
        if ranges.contains(r) {
            throw GoOrderError(message: "discovered event already in-flight for when starting event \(name(ev.type))")
        }
        ranges.append(r)
        gRanges[cur.g] = ranges
        push(ev, cur)
        return cur
    }

    /// GCMarkAssistActive: a range open on a goroutine when the generation started.
    private mutating func advanceGoRangeActive(_ ev: GoWireEvent, _ cur: GoSchedContext, _ gen: GoGeneration) throws(GoOrderError) -> GoSchedContext? {
        let gid = ev.args[0]
        guard gStates[gid] != nil else {
            throw GoOrderError(message: "uninitialized goroutine \(gid) found during GCMarkAssistActive")
        }
        try Self.activeRange(&gRanges, gid, rangeType(ev.type, 0), initial: gen.number == initialGen)
        push(ev, cur)
        return cur
    }

    /// STWEnd and GCMarkAssistEnd: STWEnd takes its begin's description (the STW kind).
    private mutating func advanceGoRangeEnd(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try userGo(cur)
        guard gStates[cur.g] != nil else {
            throw GoOrderError(message: "encountered event of type \(ev.type) without known state for current goroutine \(cur.g)")
        }
        let desc = try Self.endRange(&gRanges, cur.g, ev.type, table)
        var e = ev
        if ev.type == GoEv.stwEnd { e.args[0] = desc }
        push(e, cur)
        return cur
    }

    // MARK: Experimental

    private mutating func advanceAllocFree(_ ev: GoWireEvent, _ cur: GoSchedContext) throws(GoOrderError) -> GoSchedContext? {
        try validate(cur, m: .must, p: .may, g: .may)
        push(ev, cur)
        return cur
    }

    // MARK: Helpers

    private mutating func forget(goroutine g: UInt64) {
        gStates[g] = nil
        if gRegions.count > 0 { gRegions[g] = nil }
        if gRanges.count > 0 { gRanges[g] = nil }
    }

    private func string(_ id: UInt64, _ gen: GoGeneration) -> String? {
        id == 0 ? "" : gen.strings[id]
    }

    // The range helpers are static: a method of `self` given `&self.gRanges` works on a copy
    // of the whole ordering, made and destroyed per call.

    /// A range open on resource `id` when the generation started (GCSweepActive,
    /// GCMarkAssistActive).
    private static func activeRange(_ map: inout IDMap<[GoRange]>, _ id: UInt64, _ r: GoRange, initial: Bool) throws(GoOrderError) {
        var ranges = map[id] ?? []
        if initial {
            if ranges.contains(r) { throw GoOrderError(message: "found named active range already in first gen") }
            ranges.append(r)
            map[id] = ranges
        } else if !ranges.contains(r) {
            throw GoOrderError(message: "resource is missing active range")
        }
    }

    /// Closes resource `id`'s open range that an event of `type` ends; its description.
    private static func endRange(_ map: inout IDMap<[GoRange]>, _ id: UInt64, _ type: UInt8,
                                 _ table: GoEventTable) throws(GoOrderError) -> UInt64 {
        let start = table.spec(type)?.startType ?? 0
        guard var ranges = map[id], let idx = ranges.firstIndex(where: { $0.type == start }) else {
            throw GoOrderError(message: "tried to end event \(table.name(start)), but not in-flight")
        }
        let desc = ranges[idx].desc
        ranges.swapAt(idx, ranges.count - 1)
        ranges.removeLast()
        map[id] = ranges.isEmpty ? nil : ranges
        return desc
    }
}
