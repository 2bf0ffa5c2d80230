// Folding evicted chunks into the state at window start: what was alive when the oldest
// retained chunk began (live tasks with name/parent/group/state, open regions, thread names).
//
// Invariants:
// - Chunks are folded in eviction order, each decoded with TraceFormat's EventDecoder, off the
//   per-event hot path (by the thread whose seal evicted them, or by a snapshot).
// - Eviction order is seal order, not time order: chunks of different threads overlap in
//   time, so one task's events can be folded out of order (its end before its creation, a
//   region's end before its begin). The fold cancels them in either order: an end with no
//   matching begin is remembered (bounded) and cancels the begin when it arrives; a state
//   change older than the task's last known state is ignored.
// - Memory is bounded: at most `maxTasks` tasks, `maxRegions` open regions and
//   `maxPendingEnds` remembered ends; beyond that the least recently seen entries are dropped
//   (tasks whose end was never recorded, e.g. Swift tasks finished while not observed).
// - A thread's name is forgotten once its final chunk (sealed at thread exit) is folded.

import CFlightRecorder
import TraceFormat

struct WindowFold {
    static let maxTasks = 1 << 16
    static let maxRegions = 1 << 16
    static let maxPendingEnds = 1 << 14

    struct TaskEntry {
        var parent: UInt64 = 0
        var name = ""
        var group = ""
        var known = false
        var state: WindowState.TaskStateAtStart = .unknown
        var stateTicks: UInt64 = 0
        var lastSeen: UInt64 = 0
    }

    /// Whose region it is: a task, or a thread for regions outside any task.
    struct Owner: Hashable {
        var task: UInt64
        var thread: UInt64
    }

    struct OpenRegion {
        var thread: UInt64
        var name: String
        var stack: UInt64
        var beginTicks: UInt64
    }

    struct RegionKey: Hashable {
        var owner: Owner
        var name: String
    }

    private(set) var threads: [UInt64: String] = [:]
    private(set) var tasks: [UInt64: TaskEntry] = [:]
    private(set) var regions: [Owner: [OpenRegion]] = [:]
    private var regionCount = 0
    /// Tasks whose end was folded before their creation: id -> end ticks.
    private var endedEarly: [UInt64: UInt64] = [:]
    /// Region ends folded before their begin.
    private var pendingRegionEnds: [RegionKey: Int] = [:]
    private var pendingRegionEndCount = 0
    /// Chunks whose payload did not decode to the end (kept up to the damage).
    private(set) var damagedChunks = 0

    private func text(_ s: DecodedString, _ strings: [String]) -> String {
        switch s {
        case .none: return ""
        case .interned(let id): return id >= 1 && id <= UInt64(strings.count) ? strings[Int(id - 1)] : ""
        case .inline(let bytes): return String(decoding: bytes, as: UTF8.self)
        }
    }

    mutating func apply(chunk c: ChunkPointer, strings table: StringTable) {
        let used = Int(fr_chunk_published(c) & 0xFFFF_FFFF)
        let payload = Array(UnsafeBufferPointer(start: fr_chunk_data(c), count: used))
        apply(payload: payload, strings: table.all(), final: c.pointee.flags & UInt64(FR_CHUNK_FINAL) != 0)
    }

    mutating func apply(payload: [UInt8], strings: [String], final: Bool) {
        guard var decoder = try? EventDecoder(payload: payload) else {
            damagedChunks += 1
            return
        }
        let thread = decoder.header.thread
        do {
            while let e = try decoder.next() { apply(e, thread: thread, strings: strings) }
        } catch {
            damagedChunks += 1
        }
        if final { threads[thread] = nil }
        trim()
    }

    private mutating func touch(_ task: UInt64, _ ticks: UInt64) -> Bool {
        if endedEarly[task] != nil { return false }
        tasks[task, default: TaskEntry()].lastSeen = max(tasks[task]?.lastSeen ?? 0, ticks)
        return true
    }

    private mutating func setState(_ task: UInt64, _ state: WindowState.TaskStateAtStart, _ ticks: UInt64) {
        guard task != 0, touch(task, ticks) else { return }
        if ticks >= tasks[task]!.stateTicks {
            tasks[task]!.state = state
            tasks[task]!.stateTicks = ticks
        }
    }

    private mutating func apply(_ e: DecodedEvent, thread: UInt64, strings: [String]) {
        switch e.kind {
        case .threadName:
            threads[thread] = text(e.name, strings)
        case .taskCreated:
            if endedEarly.removeValue(forKey: e.task) != nil { return }
            guard touch(e.task, e.ticks) else { return }
            tasks[e.task]!.parent = e.other
            tasks[e.task]!.name = text(e.name, strings)
            tasks[e.task]!.group = text(e.group, strings)
            tasks[e.task]!.known = true
        case .taskEnded:
            if tasks.removeValue(forKey: e.task) == nil {
                endedEarly[e.task] = e.ticks
            }
            if let open = regions.removeValue(forKey: Owner(task: e.task, thread: 0)) {
                regionCount -= open.count
            }
        case .taskRunnable:
            setState(e.task, .runnable, e.ticks)
        case .taskRunning:
            setState(e.task, .running(thread: thread), e.ticks)
        case .taskBlocked:
            setState(e.task, .blocked(reason: text(e.name, strings)), e.ticks)
        case .taskSyscall:
            setState(e.task, .syscall(thread: thread), e.ticks)
        case .regionBegin, .blockingRegionBegin:
            let owner = Owner(task: e.task, thread: e.task == 0 ? thread : 0)
            let name = text(e.name, strings)
            let key = RegionKey(owner: owner, name: name)
            if let pending = pendingRegionEnds[key] {
                pendingRegionEnds[key] = pending > 1 ? pending - 1 : nil
                pendingRegionEndCount -= 1
                return
            }
            if e.task != 0 && endedEarly[e.task] != nil { return }
            regions[owner, default: []].append(OpenRegion(thread: thread, name: name, stack: e.other, beginTicks: e.ticks))
            regionCount += 1
        case .regionEnd:
            let owner = Owner(task: e.task, thread: e.task == 0 ? thread : 0)
            let name = text(e.name, strings)
            if var open = regions[owner], let i = open.lastIndex(where: { $0.name == name }) {
                open.remove(at: i)
                regions[owner] = open.isEmpty ? nil : open
                regionCount -= 1
            } else {
                pendingRegionEnds[RegionKey(owner: owner, name: name), default: 0] += 1
                pendingRegionEndCount += 1
            }
        case .log, .counterInt, .counterFloat, .jobCPUTime:
            break
        }
    }

    /// Drops the least recently seen entries beyond the bounds.
    private mutating func trim() {
        if tasks.count > Self.maxTasks {
            let keep = Self.maxTasks * 3 / 4
            let doomed = tasks.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(tasks.count - keep)
            for (id, _) in doomed {
                tasks[id] = nil
                if let open = regions.removeValue(forKey: Owner(task: id, thread: 0)) { regionCount -= open.count }
            }
        }
        if regionCount > Self.maxRegions {
            var all = regions.flatMap { owner, list in list.map { (owner, $0.beginTicks) } }
            all.sort { $0.1 < $1.1 }
            var drop: [Owner: Int] = [:]
            for (owner, _) in all.prefix(regionCount - Self.maxRegions * 3 / 4) { drop[owner, default: 0] += 1 }
            for (owner, n) in drop {
                regions[owner]!.removeFirst(n)
                if regions[owner]!.isEmpty { regions[owner] = nil }
                regionCount -= n
            }
        }
        if endedEarly.count > Self.maxPendingEnds {
            let doomed = endedEarly.sorted { $0.value < $1.value }.prefix(endedEarly.count - Self.maxPendingEnds * 3 / 4)
            for (id, _) in doomed { endedEarly[id] = nil }
        }
        if pendingRegionEndCount > Self.maxPendingEnds {
            pendingRegionEnds = [:]
            pendingRegionEndCount = 0
        }
    }

    /// The window-start records: threads, tasks parents first, each owner's regions outermost
    /// first (in begin order).
    func windowState() -> WindowState {
        var state = WindowState()
        for (thread, name) in threads.sorted(by: { $0.key < $1.key }) {
            state.threads.append(.init(thread: thread, name: name))
        }
        var emitted = Set<UInt64>()
        func emit(_ id: UInt64, depth: Int) {
            guard !emitted.contains(id), let t = tasks[id] else { return }
            if t.parent != 0 && depth < 64 { emit(t.parent, depth: depth + 1) }
            guard emitted.insert(id).inserted else { return }
            state.tasks.append(.init(task: id, parent: t.parent, name: t.name, group: t.group, state: t.state))
        }
        for id in tasks.keys.sorted() { emit(id, depth: 0) }
        for (owner, open) in regions.sorted(by: { ($0.key.task, $0.key.thread) < ($1.key.task, $1.key.thread) }) {
            for r in open {
                state.regions.append(.init(task: owner.task, thread: r.thread, name: r.name, stack: r.stack,
                                           beginTicks: r.beginTicks))
            }
        }
        return state
    }
}
