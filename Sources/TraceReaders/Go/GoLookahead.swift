// First-generation look-ahead: what the event model needs at the window start but a Go trace
// only reveals later. The model wants every task alive at the window start created there with
// its group, and regions/tasks open at the window start begun there; Go states them lazily
// (a goroutine's status when first touched, its stack at its next block, a region only at its
// end). This runs a copy of the ordering over the first generation and collects:
// - every goroutine status of the generation (goroutines alive at the window start),
// - for goroutines whose status has no stack, the root function of their first transition
//   stack in the generation (the group Go's analysis gives them),
// - region ends and user task ends without a begin (open before the window).
//
// The same look-ahead, bounded, names goroutines created in a syscall (cgo callbacks on C
// threads): their creation has no stack, so their group is the root of their first stack later
// in the generation, as in Go's analysis.
//
// Invariants:
// - Works on copies (the ordering and frontier are values; the generation is only read), so
//   the real pass is unaffected; costs one extra decode of the first generation only.
// - Stops quietly at the first error: the real pass reports it.

struct GoLookahead {
    struct Status {
        var goroutine: UInt64
        var status: UInt64
        /// The M it runs or syscalls on (none for runnable and waiting ones).
        var thread: UInt64
        var stack: UInt64
    }
    var statuses: [Status] = []
    /// First transition stack of goroutines whose status carried none.
    var firstStacks: [UInt64: UInt64] = [:]
    /// Per goroutine, regions ended without a begin, innermost first.
    var openRegions: [UInt64: [String]] = [:]
    var regionOrder: [UInt64] = []
    var openUserTasks: [UInt64] = []

    static func run(_ gen: GoGeneration, ordering: GoOrdering, frontier: GoFrontier) -> GoLookahead {
        var result = GoLookahead()
        var ordering = ordering
        var frontier = frontier
        var seen: Set<UInt64> = []
        var needStack: Set<UInt64> = []
        var depth: [UInt64: Int] = [:]
        var begunTasks: Set<UInt64> = []
        var endedBeforeBegin: Set<UInt64> = []
        let table = ordering.table

        func take(_ e: GoOrderedEvent) {
            let a = e.wire.args
            switch e.wire.type {
            case GoEv.goStatus, GoEv.goStatusStack:
                guard e.firstSeen, !seen.contains(a[0]) else { return }
                seen.insert(a[0])
                let stack = e.wire.type == GoEv.goStatusStack ? a[3] : 0
                let thread: UInt64
                switch a[2] {
                case GoStatusCode.running: thread = e.ctx.m
                case GoStatusCode.syscall: thread = a[1]
                default: thread = GoSchedContext.none
                }
                result.statuses.append(Status(goroutine: a[0], status: a[2], thread: thread, stack: stack))
                if stack == 0 || (gen.stacks[stack]?.isEmpty ?? true) { needStack.insert(a[0]) }
            case GoEv.goStop, GoEv.goBlock, GoEv.goSyscallBegin:
                let g = e.ctx.g
                if needStack.contains(g), a[1] != 0, !(gen.stacks[a[1]]?.isEmpty ?? true) {
                    needStack.remove(g)
                    result.firstStacks[g] = a[1]
                }
            case GoEv.userRegionBegin:
                depth[e.ctx.g, default: 0] += 1
            case GoEv.userRegionEnd:
                let g = e.ctx.g
                if depth[g, default: 0] > 0 {
                    depth[g]! -= 1
                } else {
                    if result.openRegions[g] == nil { result.regionOrder.append(g) }
                    result.openRegions[g, default: []].append(a[1] == 0 ? "" : (gen.strings[a[1]] ?? ""))
                }
            case GoEv.userTaskBegin:
                begunTasks.insert(a[0])
            case GoEv.userTaskEnd:
                if !begunTasks.contains(a[0]) && !endedBeforeBegin.contains(a[0]) {
                    endedBeforeBegin.insert(a[0])
                    result.openUserTasks.append(a[0])
                }
            default:
                break
            }
        }

        while true {
            for i in 0..<ordering.queued { take(ordering.queue[i]) }
            ordering.clearQueue()
            if frontier.isEmpty { break }
            do {
                if try !GoTraceEngine.advanceOne(&frontier, &ordering, gen, table) { break }
            } catch {
                break
            }
        }
        return result
    }

    /// The first transition stack of goroutine `g` among the next `limit` events of the
    /// generation (those already queued by `ordering` first), or nil.
    static func firstStack(of g: UInt64, _ gen: GoGeneration, ordering: GoOrdering, after queuedIndex: Int,
                           frontier: GoFrontier, limit: Int = 100_000) -> UInt64? {
        var ordering = ordering
        var frontier = frontier
        let table = ordering.table
        func stack(_ e: GoOrderedEvent) -> UInt64? {
            let a = e.wire.args
            switch e.wire.type {
            case GoEv.goStop, GoEv.goBlock, GoEv.goSyscallBegin:
                guard e.ctx.g == g, a[1] != 0, !(gen.stacks[a[1]]?.isEmpty ?? true) else { return nil }
                return a[1]
            default:
                return nil
            }
        }
        var seen = 0
        var i = queuedIndex + 1
        while seen < limit {
            while i < ordering.queued {
                if let s = stack(ordering.queue[i]) { return s }
                i += 1
                seen += 1
            }
            ordering.clearQueue()
            i = 0
            if frontier.isEmpty { return nil }
            do {
                if try !GoTraceEngine.advanceOne(&frontier, &ordering, gen, table) { return nil }
            } catch {
                return nil
            }
        }
        return nil
    }
}
