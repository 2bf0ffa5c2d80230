// Folding evicted chunks into the state at window start: what was alive when the oldest
// retained chunk began (live tasks with name/parent/group/state, open regions, thread names).
//
// Invariants:
// - Chunks are folded in eviction order, off the per-event hot path (by the fold worker, the
//   thread whose seal evicted them, or a snapshot), with `RecordScanner` (no allocation per
//   record; names stay string ids until `windowState()` resolves them).
// - Every recorded event is folded once, so the fold's cost per record is paid by every event:
//   runs of the records that dominate chunks (one owner's region begins and ends with interned
//   names, logs, counters, scheduling records) go through a C loop (fold_scan.c, ~3-4 ns a
//   record against ~10 for the general path), which leaves the same state record for record
//   (a test compares them). Of scheduling records it keeps each task's last state in the chunk
//   (times never decrease within a chunk, so only the last one can decide), applied here once
//   per task and chunk, and before any other record of that task this pass reads itself. Live
//   tasks are kept in an `IDMap` (a multiply to hash an id, not a SipHash round); a run of
//   inline names that repeat (a server's request tasks) is compared to the last one before a
//   String is built.
//   Of a chunk the writer did not mark FR_CHUNK_STATEFUL (its stateful records are only the
//   begins and ends of synchronous closures' regions, which nest strictly on their thread, and
//   thread names) only the part up to the last end of a region begun earlier (or thread name)
//   and the part from the outermost begin still open at the seal are read: what lies between
//   cancels out. Most such chunks are read for a few records, or not at all.
// - Eviction order is seal order, not time order: chunks of different threads overlap in
//   time, so one task's events can be folded out of order (its end before its creation, a
//   region's end before its begin). The fold cancels them in either order: an end with no
//   matching begin is remembered (bounded) and cancels the begin when it arrives; a state
//   change older than the task's last known state is ignored.
// - Memory is bounded: at most `maxTasks` tasks, `maxRegions` open regions and
//   `maxPendingEnds` remembered ends (and inline names are renumbered past `maxInlineNames`); beyond that the least recently seen entries are dropped
//   (tasks whose end was never recorded, e.g. Swift tasks finished while not observed).
// - A thread's name is forgotten once its final chunk (sealed at thread exit) is folded.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
import TraceFormat
import TraceModel

struct WindowFold {
    static let maxTasks = 1 << 16
    static let maxRegions = 1 << 16
    static let maxPendingEnds = 1 << 14
    static let maxInlineNames = 1 << 16

    /// A name as recorded: an interned string id, or (high bit set) an index into
    /// `inlineNames` for text that was written inline. Plain integers keep the per-record work
    /// free of reference counting.
    typealias Name = UInt64
    static let inlineBit: UInt64 = 1 << 63

    private var inlineNames: [String] = []
    private var inlineIndex: [String: UInt64] = [:]
    /// Wait reasons of actor types seen, by the type's string id.
    private var actorReasons: [UInt64: Name] = [:]

    @inline(__always)
    private mutating func name(_ s: ScannedString) -> Name {
        guard let bytes = s.inline else { return s.id }
        return inlineName(bytes)
    }

    /// The inline name folded last (`lastInlineName` 0: none), compared byte for byte before a
    /// String is built and hashed: a server's request tasks repeat a few names, each written
    /// twice (as name and group).
    private var lastInlineBytes: [UInt8] = []
    private var lastInlineName: Name = 0

    @inline(never)
    private mutating func inlineName(_ bytes: UnsafeRawBufferPointer) -> Name {
        if lastInlineName != 0 && bytes.count == lastInlineBytes.count
            && (bytes.isEmpty || lastInlineBytes.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
            return lastInlineName
        }
        let id = name(ScannedStringText(String(decoding: bytes, as: UTF8.self)))
        lastInlineBytes.removeAll(keepingCapacity: true)
        lastInlineBytes.append(contentsOf: bytes)
        lastInlineName = id
        return id
    }

    private struct ScannedStringText {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// The reason of a wait for an actor of type `type`: `actor <type>`.
    mutating func actorReason(_ type: ScannedString) -> Name {
        if type.inline == nil, let known = actorReasons[type.id] { return known }
        let typeName = type.inline.map { String(decoding: $0, as: UTF8.self) } ?? StringTable.shared.text(type.id)
        let reason = name(ScannedStringText("actor \(typeName)"))
        if type.inline == nil { actorReasons[type.id] = reason }
        return reason
    }

    private mutating func name(_ s: ScannedStringText) -> Name {
        let text = s.text
        if let known = inlineIndex[text] { return known }
        let id = Self.inlineBit | UInt64(inlineNames.count)
        inlineNames.append(text)
        inlineIndex[text] = id
        return id
    }

    private func resolve(_ name: Name, _ strings: [String]) -> String {
        if name & Self.inlineBit != 0 {
            let i = Int(name & ~Self.inlineBit)
            return i < inlineNames.count ? inlineNames[i] : ""
        }
        return name >= 1 && name <= UInt64(strings.count) ? strings[Int(name - 1)] : ""
    }

    enum State {
        case unknown, runnable
        case running(thread: UInt64)
        case syscall(thread: UInt64)
        case blocked(reason: Name)
    }

    struct TaskEntry {
        var parent: UInt64 = 0
        var name: Name = 0
        var group: Name = 0
        var state = State.unknown
        var stateTicks: UInt64 = 0
        var lastSeen: UInt64 = 0
    }

    /// Whose region it is: a task, or a thread for regions outside any task.
    struct Owner: Hashable {
        var task: UInt64
        var thread: UInt64
    }

    /// An open region: the C struct, so the fast path (fold_scan.c) pushes and pops it in place.
    typealias OpenRegion = fr_open_region

    struct RegionKey: Hashable {
        var owner: Owner
        var name: Name
    }

    private(set) var threads: [UInt64: Name] = [:]
    private(set) var tasks = IDMap<TaskEntry>()
    private(set) var regions: [Owner: [OpenRegion]] = [:]
    /// An emptied region stack kept with its capacity, so folding a chunk whose regions all
    /// close does not allocate a new one for the next chunk.
    private var spareStack: [OpenRegion] = []
    /// The fast path's table of task states pending in a chunk (all slots free between
    /// chunks), kept so that each chunk's fold does not allocate one.
    private var spareTaskStates: [fr_fold_task_state] = []
    private var regionCount = 0
    /// Tasks whose end was folded before their creation: id -> end ticks.
    private var endedEarly: [UInt64: UInt64] = [:]
    /// Region ends folded before their begin.
    private var pendingRegionEnds: [RegionKey: Int] = [:]
    private var pendingRegionEndCount = 0
    /// Owners with region ends in `pendingRegionEnds`, and how many: the fast path does not
    /// look ends up, so it stays off while the owner it would fold has any.
    private var pendingOwners: [Owner: Int] = [:]
    /// Chunks whose payload did not decode to the end (kept up to the damage).
    private(set) var damagedChunks = 0
    /// Whether runs of region, log and counter records go through the C fast path
    /// (fold_scan.c); tests compare it against the general path.
    var usesFastPath = true
    /// Records the fast path folded (tests check that it ran).
    private(set) var fastPathRecords = 0
    /// Evicted chunks not read because they hold no stateful record (FR_CHUNK_STATEFUL).
    private(set) var skippedChunks = 0
    /// Evicted chunks of which only the parts the writer marked were read.
    private(set) var partialChunks = 0

    mutating func apply(chunk c: ChunkPointer) {
        let final = c.pointee.flags & UInt64(FR_CHUNK_FINAL) != 0
        let used = Int(fr_chunk_published(c) & 0xFFFF_FFFF)
        let data = UnsafeRawPointer(fr_chunk_data(c))
        if c.pointee.flags & UInt64(FR_CHUNK_STATEFUL) != 0 {
            apply(payload: UnsafeRawBufferPointer(start: data, count: used), final: final)
            return
        }
        // Only the parts the writer marked: before them, between them and after them are
        // regions that begin and end there, logs, counters and CPU times.
        let prefixEnd = min(Int(c.pointee.fold_prefix_end), used)
        let suffixStart = max(min(Int(c.pointee.fold_suffix_start), used), prefixEnd)
        guard prefixEnd > 0 || suffixStart < used else {
            if final { threads[c.pointee.thread] = nil }
            skippedChunks += 1
            return
        }
        partialChunks += 1
        var prefix: RecordScanner? = nil
        if prefixEnd > 0 {
            prefix = RecordScanner(UnsafeRawBufferPointer(start: data, count: prefixEnd))
            if prefix == nil { damagedChunks += 1 }  // no header: the suffix is still read
        }
        let suffix = suffixStart < used
            ? RecordScanner(records: UnsafeRawBufferPointer(start: data + suffixStart, count: used - suffixStart),
                            thread: c.pointee.thread, previousTicks: c.pointee.fold_suffix_ticks)
            : nil
        fold(prefix, suffix, thread: c.pointee.thread, final: final)
    }

    mutating func apply(payload: [UInt8], final: Bool) {
        payload.withUnsafeBytes { apply(payload: $0, final: final) }
    }

    mutating func apply(payload: UnsafeRawBufferPointer, final: Bool) {
        guard let scanner = RecordScanner(payload) else {
            damagedChunks += 1
            return
        }
        fold(scanner, nil, thread: scanner.header.thread, final: final)
    }

    /// Folds the records of one chunk of `thread`: `first`, then `second` (parts of it).
    private mutating func fold(_ first: RecordScanner?, _ second: RecordScanner?, thread: UInt64, final: Bool) {
        var pass = Pass(fold: self, thread: thread)
        self = WindowFold()  // `pass` holds the only reference: no copy-on-write while folding
        var damaged = false
        if var scanner = first {
            pass.run(&scanner)
            damaged = scanner.damaged
        }
        if var scanner = second, !damaged {
            pass.run(&scanner)
            damaged = scanner.damaged
        }
        pass.finish()
        self = pass.fold
        if damaged { damagedChunks += 1 }
        if final { threads[thread] = nil }
        trim()
    }

    /// One chunk's fold: the records of one thread, with the open regions of the owner seen
    /// last kept out of the dictionary while it stays the same (the common case: a thread's own
    /// regions, or one task's run of events).
    private struct Pass: RecordVisitor {
        var fold: WindowFold
        let thread: UInt64
        var cachedOwner: Owner
        /// The cached owner's open regions: `cached[0..<depth]` (slots above `depth` are spare,
        /// so a begin/end pair costs a store and two counter updates).
        var cached: [OpenRegion]
        var depth: Int
        /// Task states the fast path noted and has not applied (fr_fold_task_state): every
        /// slot is free again once `finish` returns.
        var pending: [fr_fold_task_state]
        /// Whether any slot of `pending` may be taken.
        var hasPending = false

        init(fold: WindowFold, thread: UInt64) {
            self.fold = fold
            self.thread = thread
            cachedOwner = Owner(task: 0, thread: thread)
            cached = []
            depth = 0
            pending = []
            cached = take(cachedOwner)
            if fold.usesFastPath {
                swap(&pending, &self.fold.spareTaskStates)
                if pending.isEmpty {
                    pending = Array(repeating: fr_fold_task_state(), count: Int(FR_FOLD_TASK_SLOTS))
                }
            }
        }

        /// The owner's open regions, or the spare (empty) stack.
        private mutating func take(_ owner: Owner) -> [OpenRegion] {
            if let open = fold.regions.removeValue(forKey: owner) {
                depth = open.count
                return open
            }
            depth = 0
            var spare: [OpenRegion] = []
            swap(&spare, &fold.spareStack)
            return spare
        }

        /// The cached regions, trimmed to the open ones, back into the dictionary.
        private mutating func store() {
            if depth == 0 {
                cached.removeAll(keepingCapacity: true)
                if cached.capacity > fold.spareStack.capacity { swap(&cached, &fold.spareStack) }
                return
            }
            if cached.count > depth { cached.removeLast(cached.count - depth) }
            fold.regions[cachedOwner] = cached
            cached = []
        }

        mutating func finish() {
            store()
            if hasPending {
                for i in pending.indices where pending[i].task != 0 {
                    apply(pending[i])
                    pending[i].task = 0
                }
                hasPending = false
            }
            if !pending.isEmpty { swap(&pending, &fold.spareTaskStates) }
        }

        /// A state the fast path noted for a task, applied as its record would have been.
        private mutating func apply(_ noted: fr_fold_task_state) {
            let state: State
            switch noted.kind {
            case 0x03: state = .runnable
            case 0x05: state = .blocked(reason: noted.reason)
            case 0x06: state = .syscall(thread: thread)
            case 0x40: state = .blocked(reason: fold.actorReason(ScannedString(id: noted.reason)))
            default: state = .running(thread: thread)
            }
            fold.setState(noted.task, state, noted.ticks)
        }

        /// Applies `task`'s pending state, if the fast path noted one, before another record of
        /// the task is folded here.
        @inline(__always)
        private mutating func applyPending(_ task: UInt64) {
            guard hasPending else { return }
            let slot = Int(fr_fold_task_slot(task))
            guard pending[slot].task == task, task != 0 else { return }
            apply(pending[slot])
            pending[slot].task = 0
        }

        /// Folds the scanner's records: runs the fast path takes in C, each other record here.
        mutating func run(_ scanner: inout RecordScanner) {
            guard fold.usesFastPath else {
                scanner.visitAll(&self)
                return
            }
            repeat { fastForward(&scanner) } while scanner.step(&self)
        }

        /// Kinds below 0x40 the fast path may take: region begins and ends, logs, counters, job
        /// CPU times, scheduling records (it takes extension kinds, 0x40 and above, too).
        private static let fastKinds: UInt64 = 1 << 0x03 | 1 << 0x04 | 1 << 0x05 | 1 << 0x06 | 1 << 0x07 | 1 << 0x08
            | 1 << 0x09 | 1 << 0x0A | 1 << 0x0B | 1 << 0x0D | 1 << 0x0E

        /// Lets fold_scan.c consume the run of records ahead that it takes, with the cached
        /// owner's stack. Only while no region end of that owner waits for its begin and the
        /// owner's task has not ended early: the fast path checks neither, and only the general
        /// path's methods here change them.
        @inline(__always)
        private mutating func fastForward(_ scanner: inout RecordScanner) {
            guard let kind = scanner.nextKind, kind >= 0x40 || Self.fastKinds & (1 << UInt64(kind)) != 0 else { return }
            if !fold.pendingOwners.isEmpty && fold.pendingOwners[cachedOwner] != nil { return }
            let owner = cachedOwner.task
            if owner != 0 && !fold.endedEarly.isEmpty && fold.endedEarly[owner] != nil { return }
            while true {
                let before = depth
                var after = depth
                var taken: UInt64 = 0
                var evicted = fr_fold_task_state()
                let thread = self.thread
                cached.withUnsafeMutableBufferPointer { slots in
                    pending.withUnsafeMutableBufferPointer { tasks in
                        scanner.consume { p, end, ticks in
                            var run = fr_fold_run(p: p, end: end, ticks: ticks, task: owner, thread: thread,
                                                  stack: slots.baseAddress, depth: UInt64(before), capacity: UInt64(slots.count),
                                                  tasks: tasks.baseAddress, evicted: fr_fold_task_state())
                            taken = fr_fold_fast(&run)
                            p = run.p
                            ticks = run.ticks
                            after = Int(run.depth)
                            evicted = run.evicted
                        }
                    }
                }
                depth = after
                fold.regionCount += after - before
                fold.fastPathRecords &+= Int(taken)
                if !pending.isEmpty { hasPending = true }
                guard evicted.task != 0 else { return }
                apply(evicted)
            }
        }

        @inline(__always)
        private mutating func use(_ owner: Owner) {
            guard owner != cachedOwner else { return }
            switchOwner(owner)
        }

        @inline(never)
        private mutating func switchOwner(_ owner: Owner) {
            store()
            cachedOwner = owner
            cached = take(owner)
        }

        @inline(__always)
        mutating func regionBegin(task: UInt64, name scanned: ScannedString, stack: UInt64, blocking: Bool, ticks: UInt64) {
            use(Owner(task: task, thread: task == 0 ? thread : 0))
            let name = fold.name(scanned)
            if !fold.pendingRegionEnds.isEmpty, let pending = fold.pendingRegionEnds[RegionKey(owner: cachedOwner, name: name)] {
                fold.pendingRegionEnds[RegionKey(owner: cachedOwner, name: name)] = pending > 1 ? pending - 1 : nil
                fold.pendingRegionEndCount -= 1
                let left = fold.pendingOwners[cachedOwner, default: 1] - 1
                fold.pendingOwners[cachedOwner] = left > 0 ? left : nil
                return
            }
            if task != 0 && !fold.endedEarly.isEmpty && fold.endedEarly[task] != nil { return }
            let region = OpenRegion(thread: thread, name: name, stack: stack, begin_ticks: ticks, blocking: blocking ? 1 : 0)
            if depth < cached.count { cached[depth] = region } else { cached.append(region) }
            depth += 1
            fold.regionCount += 1
        }

        @inline(__always)
        mutating func regionEnd(task: UInt64, name scanned: ScannedString, ticks: UInt64) {
            use(Owner(task: task, thread: task == 0 ? thread : 0))
            let name = fold.name(scanned)
            if depth > 0 && cached[depth - 1].name == name {
                depth -= 1
                fold.regionCount -= 1
            } else if let i = cached[0..<depth].lastIndex(where: { $0.name == name }) {
                cached.remove(at: i)
                depth -= 1
                fold.regionCount -= 1
            } else {
                fold.pendingRegionEnds[RegionKey(owner: cachedOwner, name: name), default: 0] += 1
                fold.pendingRegionEndCount += 1
                fold.pendingOwners[cachedOwner, default: 0] += 1
            }
        }

        mutating func threadName(_ name: ScannedString, ticks: UInt64) {
            fold.threads[thread] = fold.name(name)
        }

        mutating func taskCreated(task: UInt64, parent: UInt64, name: ScannedString, group: ScannedString, ticks: UInt64) {
            applyPending(task)
            if fold.endedEarly.removeValue(forKey: task) != nil { return }
            let name = fold.name(name), group = fold.name(group)
            fold.modifyTask(task) { entry in
                entry.parent = parent
                entry.name = name
                entry.group = group
                entry.lastSeen = max(entry.lastSeen, ticks)
            }
        }

        mutating func taskState(_ kind: EventKind, task: UInt64, other: UInt64, reason: ScannedString, ticks: UInt64) {
            applyPending(task)
            switch kind {
            case .taskEnded:
                if fold.tasks.remove(task) == nil { fold.endedEarly[task] = ticks }
                let owner = Owner(task: task, thread: 0)
                if owner == cachedOwner {
                    fold.regionCount -= depth
                    depth = 0
                } else if !fold.regions.isEmpty, let open = fold.regions.removeValue(forKey: owner) {
                    fold.regionCount -= open.count
                }
            case .taskRunnable: fold.setState(task, .runnable, ticks)
            case .taskRunning: fold.setState(task, .running(thread: thread), ticks)
            case .taskBlocked: fold.setState(task, .blocked(reason: fold.name(reason)), ticks)
            case .taskSyscall: fold.setState(task, .syscall(thread: thread), ticks)
            case .actorWait: fold.setState(task, .blocked(reason: fold.actorReason(reason)), ticks)
            case .actorRun: fold.setState(task, .running(thread: thread), ticks)
            default: break  // jobCPUTime: no state
            }
        }

        @inline(__always)
        mutating func other(_ kind: EventKind, task: UInt64, name: ScannedString, ticks: UInt64) {}
    }

    fileprivate mutating func setState(_ task: UInt64, _ state: State, _ ticks: UInt64) {
        guard task != 0, endedEarly.isEmpty || endedEarly[task] == nil else { return }
        modifyTask(task) { entry in
            entry.lastSeen = max(entry.lastSeen, ticks)
            if ticks >= entry.stateTicks {
                entry.state = state
                entry.stateTicks = ticks
            }
        }
    }

    /// Runs `change` on `task`'s entry, made with default values first if absent (one probe when
    /// present). Task 0 ("no task") is not stored: nothing happens.
    @inline(__always)
    mutating func modifyTask(_ task: UInt64, _ change: (inout TaskEntry) -> Void) {
        guard task != 0 else { return }
        if tasks.update(task, change) != nil { return }
        var entry = TaskEntry()
        change(&entry)
        tasks.insert(task, entry)
    }

    /// Drops the least recently seen entries beyond the bounds.
    private mutating func trim() {
        if tasks.count > Self.maxTasks {
            let keep = Self.maxTasks * 3 / 4
            let doomed = tasks.entries.sorted { $0.value.lastSeen < $1.value.lastSeen }.prefix(tasks.count - keep)
            for (id, _) in doomed {
                tasks.remove(id)
                if let open = regions.removeValue(forKey: Owner(task: id, thread: 0)) { regionCount -= open.count }
            }
        }
        if regionCount > Self.maxRegions {
            var all = regions.flatMap { owner, list in list.map { (owner, $0.begin_ticks) } }
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
            pendingOwners = [:]
        }
        if inlineNames.count > Self.maxInlineNames { compactInlineNames() }
    }

    /// Renumbers inline names, keeping only those still referenced.
    private mutating func compactInlineNames() {
        let old = inlineNames
        inlineNames = []
        inlineIndex = [:]
        lastInlineName = 0
        func keep(_ n: Name) -> Name {
            guard n & Self.inlineBit != 0 else { return n }
            let i = Int(n & ~Self.inlineBit)
            return name(ScannedStringText(old[i]))
        }
        for (id, name) in threads { threads[id] = keep(name) }
        var table = tasks
        tasks = IDMap<TaskEntry>()
        for id in table.entries.map(\.key) {
            table.update(id) { t in
                t.name = keep(t.name)
                t.group = keep(t.group)
                if case .blocked(let reason) = t.state { t.state = .blocked(reason: keep(reason)) }
            }
        }
        tasks = table
        for (owner, var list) in regions {
            for i in list.indices { list[i].name = keep(list[i].name) }
            regions[owner] = list
        }
        var pending: [RegionKey: Int] = [:]
        for (key, n) in pendingRegionEnds { pending[RegionKey(owner: key.owner, name: keep(key.name)), default: 0] += n }
        pendingRegionEnds = pending
    }

    /// The window-start records, names resolved against `strings` (id `i + 1` at index `i`):
    /// threads, tasks parents first, each owner's regions outermost first.
    func windowState(strings: [String]) -> WindowState {
        var state = WindowState()
        for (thread, name) in threads.sorted(by: { $0.key < $1.key }) {
            state.threads.append(.init(thread: thread, name: resolve(name, strings)))
        }
        var emitted = Set<UInt64>()
        func emit(_ id: UInt64, depth: Int) {
            guard !emitted.contains(id), let t = tasks[id] else { return }
            if t.parent != 0 && depth < 64 { emit(t.parent, depth: depth + 1) }
            guard emitted.insert(id).inserted else { return }
            let s: WindowState.TaskStateAtStart
            switch t.state {
            case .unknown: s = .unknown
            case .runnable: s = .runnable
            case .running(let thread): s = .running(thread: thread)
            case .syscall(let thread): s = .syscall(thread: thread)
            case .blocked(let reason): s = .blocked(reason: resolve(reason, strings))
            }
            state.tasks.append(.init(task: id, parent: t.parent, name: resolve(t.name, strings),
                                     group: resolve(t.group, strings), state: s))
        }
        for id in tasks.entries.map(\.key).sorted() { emit(id, depth: 0) }
        for (owner, open) in regions.sorted(by: { ($0.key.task, $0.key.thread) < ($1.key.task, $1.key.thread) }) {
            for r in open {
                state.regions.append(.init(task: owner.task, thread: r.thread, name: resolve(r.name, strings),
                                           stack: r.stack, beginTicks: r.begin_ticks, blocking: r.blocking != 0))
            }
        }
        return state
    }
}
