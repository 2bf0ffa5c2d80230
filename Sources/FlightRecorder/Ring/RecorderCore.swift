// The process-wide ring: chunk pool, sealed chunks in seal order, registered threads, pins.
//
// Invariants (all fields under `ringLock` unless noted):
// - One recording at a time: `isRecording` with `epoch` counting start/stop transitions. A
//   thread's active chunk belongs to the recording whose epoch the thread state carries; on
//   start and stop every registered thread's `limit` is cleared so its next event takes the
//   slow path and resynchronises (releasing a chunk of an old recording).
// - `sealed` holds chunks in the order they were sealed; `sealedBytes` is their allocation
//   size and never exceeds `maxBytes` after `evict` returns (maxBytes wins over minAge).
// - Evicted chunks go to `foldQueue` (numbered by `eviction`, increasing) and are folded into
//   the window state, in eviction order, under `foldLock`, before they are released.
//   While folding the queued chunks is cheap (`foldCost`) the evicting writer folds them
//   itself; the fold worker is woken for chunks that must be read whole (or a long part).
// - While a snapshot copies, the chunks it listed carry FR_CHUNK_PINNED: releasing one parks it
//   in `deferred` instead of reusing or freeing it, so every listed chunk stays intact until the
//   snapshot ends. Other chunks are recycled as usual.
// - `liveChunks` counts chunk allocations not yet freed (tests check thread churn with it).

import CFlightRecorder
import TraceFormat

typealias ChunkPointer = UnsafeMutablePointer<fr_chunk>
typealias ThreadStatePointer = UnsafeMutablePointer<fr_thread_state>

struct RefillOutcome {
    /// The thread has a fresh chunk.
    var ready = false
    /// The chunk starts a new recording for this thread: write its name first.
    var announce = false
    /// What the caller must do about the chunks its seal evicted, once the ring lock is released.
    var fold = FoldDuty.none
}

/// Who folds chunks just evicted.
enum FoldDuty {
    /// Nothing was evicted, or the fold worker has them.
    case none
    /// Cheap to fold (a few KiB to read): the evicting thread folds them unless another thread
    /// is folding already (that one drains the queue). Cheaper than waking the worker, which
    /// is a futex call on the writer and a context switch on another core every few chunks.
    case ifNobodyIs
    /// No worker, or a backlog longer than `RecorderCore.foldBacklog`: the evicting thread
    /// waits for the fold lock and folds (back-pressure, so memory stays bounded).
    case wait
}

/// A chunk as a snapshot found it: its bytes `[0, used)` hold `events` records.
struct ChunkCut: @unchecked Sendable {
    // @unchecked Sendable: the chunk is pinned (not reused or freed) until the snapshot that
    // holds this cut unpins, and bytes below `used` are never written again.
    var chunk: ChunkPointer
    var used: Int
    var events: Int
    var baseTicks: UInt64
}

/// What the window fold must read of a thread's active chunk once it is evicted (see
/// FR_CHUNK_STATEFUL and fr_chunk's `fold_prefix_end` / `fold_suffix_start`).
struct FoldParts {
    var stateful = false
    var prefixEnd: UInt32 = 0
    var suffixStart: UInt32 = 0
    var suffixTicks: UInt64 = 0

    /// Taken from the thread's marks, as offsets into `c`'s payload; call before sealing.
    init(of c: ChunkPointer, in s: ThreadStatePointer) {
        guard s.pointee.stateful == 0 else {
            stateful = true
            return
        }
        let data = UnsafeRawPointer(fr_chunk_data(c))
        prefixEnd = s.pointee.sync_lead_end.map { UInt32(UnsafeRawPointer($0) - data) } ?? 0
        if s.pointee.sync_regions > 0, let start = s.pointee.sync_open_start {
            suffixStart = UInt32(UnsafeRawPointer(start) - data)
            suffixTicks = s.pointee.sync_open_ticks
        } else {
            suffixStart = UInt32(fr_chunk_published(c) & 0xFFFF_FFFF)
        }
    }
}

final class RecorderCore: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is accessed only under `ringLock`, except `fold`,
    // which is accessed only under `foldLock` (see the file comment).
    static let shared = RecorderCore()

    /// Free chunks kept for reuse; the rest are freed.
    static let poolLimit = 8
    /// Evicted chunks waiting to be folded beyond which writers fold them themselves.
    static let foldBacklog = 8
    /// Evicted chunks queued before the fold worker is woken: a wake-up is a futex call and a
    /// context switch (measured at 2-5% of a recording thread's time when woken per chunk), so
    /// the worker folds a few chunks per wake-up. Queued chunks stay bounded by `foldBacklog`;
    /// a snapshot folds whatever is queued itself.
    static let foldWakeBatch = 4
    /// Queued fold work (`foldCost`) up to which the evicting thread folds itself: ~5 us,
    /// less than a wake-up costs the writer.
    static let inlineFoldCost = 16 << 10
    /// A byte of a chunk read whole costs about this many bytes of a chunk read in parts: the
    /// parts are runs of region pairs, logs and counters that the fold's C loop reads at ~3 ns
    /// a record, where task and scheduling records take the general path (~10 ns and more).
    static let wholeChunkCostFactor = 4
    static let chunkOverhead = MemoryLayout<fr_chunk>.stride

    let ringLock = RecorderLock()
    let foldLock = RecorderLock()

    private(set) var isRecording = false
    private(set) var epoch: UInt64 = 0
    private(set) var configuration = FlightRecorderConfiguration()
    private(set) var clock = TickClock.begin()
    private var owner: ObjectIdentifier?
    private var chunkBytes = 64 << 10
    private var minAgeTicks: UInt64 = 0

    private var pool: [ChunkPointer] = []
    private(set) var sealed: [ChunkPointer] = []
    private(set) var sealedBytes = 0
    private var foldQueue: [ChunkPointer] = []
    private var nextEviction: UInt64 = 1
    private var threads: [ThreadStatePointer] = []
    private var pinned: [ChunkPointer] = []
    private var deferred: [ChunkPointer] = []
    private var snapshotActive = false
    private var worker: FoldWorker?
    private(set) var liveChunks = 0
    /// Bytes of all allocated chunks (ring, fold queue, pool, deferred, threads' active chunks).
    private(set) var liveChunkBytes = 0
    /// Events dropped because no chunk could be allocated.
    private(set) var droppedChunkRequests: UInt64 = 0

    /// Under `foldLock`.
    var fold = WindowFold()

    private init() {
        fr_thread_exit_hook_install(ThreadBuffer.exitHook)
    }

    // MARK: start and stop

    func start(_ configuration: FlightRecorderConfiguration, owner: ObjectIdentifier) throws(FlightRecorderError) {
        _ = StringBytes.layoutChecked  // once per process, before annotations may record
        fr_set_logical_task_key(LogicalTask.keyVerified ? LogicalTask.key : nil)  // before a logical task can be begun
        let refusal: FlightRecorderError? = foldLock.withLock {
            ringLock.withLock { () -> FlightRecorderError? in
                if isRecording {
                    return self.owner == owner ? .alreadyRecording : .anotherRecorderIsRecording
                }
                self.owner = owner
                self.configuration = configuration
                let newChunkBytes = configuration.effectiveChunkBytes
                if newChunkBytes != chunkBytes {
                    chunkBytes = newChunkBytes
                    let old = pool
                    pool = []
                    for c in old { free(c) }
                }
                clock = TickClock.begin()
                minAgeTicks = TickClock.ticks(nanoseconds: configuration.minAgeNanoseconds,
                                              ticksPerSecond: clock.initialTicksPerSecond)
                epoch += 1
                fold = WindowFold()
                droppedChunkRequests = 0
                for t in threads { fr_state_set_limit(t, nil) }
                isRecording = true
                fr_set_capture_stacks(configuration.captureStacks)
                fr_set_thread_cpu_time(configuration.threadCPUTime)
                fr_switch(UInt64(FR_SWITCH_TASK_ORIGINS), configuration.taskOrigins)
                fr_set_recording(true)
                worker = FoldWorker(core: self)
                return nil
            }
        }
        if let refusal { throw refusal }
        if fr_task_slot_offset() == -1 {
            // Learned inside a task; a program whose annotations all run on plain threads
            // would otherwise never learn it, and each of them would ask the runtime.
            Task.detached(priority: .utility) { fr_task_slot_learn() }
        }
    }

    /// Stops recording if `owner` is recording; drops the ring. Threads keep their active
    /// chunk until they record again or exit.
    func stop(owner: ObjectIdentifier) {
        let stopped: FoldWorker? = foldLock.withLock {
            ringLock.withLock {
                guard isRecording, self.owner == owner else { return nil }
                fr_set_recording(false)
                fr_set_capture_stacks(false)
                fr_set_thread_cpu_time(false)
                fr_switch(UInt64(FR_SWITCH_TASK_ORIGINS), false)
                isRecording = false
                self.owner = nil
                epoch += 1
                for t in threads { fr_state_set_limit(t, nil) }
                let dropped = sealed + foldQueue
                sealed = []
                foldQueue = []
                sealedBytes = 0
                for c in dropped { release(c) }
                let idle = pool
                pool = []
                for c in idle { free(c) }
                fold = WindowFold()
                defer { worker = nil }
                return worker
            }
        }
        stopped?.stop()
    }

    func isRecording(owner: ObjectIdentifier) -> Bool {
        ringLock.withLock { isRecording && self.owner == owner }
    }

    // MARK: threads

    func register(_ state: ThreadStatePointer) {
        ringLock.withLock { threads.append(state) }
    }

    var registeredThreadCount: Int { ringLock.withLock { threads.count } }
    var liveChunkCount: Int { ringLock.withLock { liveChunks } }
    var liveChunkByteCount: Int { ringLock.withLock { liveChunkBytes } }
    /// Wake-ups of this recording's fold worker so far (0 when there is none).
    var foldWorkerWakeUps: Int { ringLock.withLock { worker }?.wakeUpCount ?? 0 }

    /// Seals the thread's full chunk (or drops one of an old recording) and installs a fresh one.
    func refill(_ s: ThreadStatePointer, extra: Int) -> RefillOutcome {
        ringLock.withLock {
            var outcome = RefillOutcome()
            guard isRecording else { return outcome }
            if let c = s.pointee.chunk {
                s.pointee.chunk = nil
                if s.pointee.epoch == epoch && s.pointee.events > 0 {
                    seal(c, FoldParts(of: c, in: s), lastTicks: s.pointee.last_ticks, final: false)
                    if evict(now: s.pointee.last_ticks) { outcome.fold = handOff() }
                } else {
                    release(c)
                }
            }
            if s.pointee.epoch != epoch {
                s.pointee.epoch = epoch
                outcome.announce = true
            }
            let need = EventChunkHeader.maxLength + 2 * EventKind.maxFixedLength + 64 + extra
            guard let c = takeChunk(minCapacity: need) else {
                droppedChunkRequests += 1
                s.pointee.write = nil
                fr_state_set_limit(s, nil)
                return outcome
            }
            install(c, in: s)
            outcome.ready = true
            return outcome
        }
    }

    private func install(_ c: ChunkPointer, in s: ThreadStatePointer) {
        let base = fr_ticks()
        c.pointee.thread = s.pointee.thread
        c.pointee.sequence = s.pointee.next_sequence
        s.pointee.next_sequence += 1
        c.pointee.base_ticks = base
        c.pointee.last_ticks = base
        c.pointee.flags = 0  // a pooled chunk is never pinned: pinned chunks are not pooled
        c.pointee.eviction = 0
        let data = fr_chunk_data(c)
        let header = EventChunkHeader(thread: c.pointee.thread, sequence: c.pointee.sequence, baseTicks: base)
        let end = header.write(at: data)
        fr_chunk_publish(c, UInt64(end - data), 0)
        s.pointee.chunk = c
        s.pointee.write = end
        s.pointee.last_ticks = base
        s.pointee.events = 0
        fr_state_reset_stateful(s)
        fr_state_set_limit(s, data + Int(c.pointee.capacity) - EventKind.maxFixedLength)
    }

    /// Called (through the pthread-key destructor) when a registered thread exits.
    func threadExited(_ s: ThreadStatePointer) {
        let fold: FoldDuty = ringLock.withLock {
            var fold = FoldDuty.none
            if let c = s.pointee.chunk {
                s.pointee.chunk = nil
                if isRecording && s.pointee.epoch == epoch {
                    // The last chunk of the thread: kept (shrunk to its content) so the thread's
                    // events stay in the window and folding learns that the thread ended.
                    let parts = FoldParts(of: c, in: s)  // before shrinking: offsets into `c`
                    seal(shrunk(c), parts, lastTicks: s.pointee.last_ticks, final: true)
                    if evict(now: s.pointee.last_ticks) { fold = handOff() }
                } else {
                    release(c)
                }
            }
            fr_state_set_limit(s, nil)
            if let i = threads.firstIndex(of: s) { threads.remove(at: i) }
            return fold
        }
        // An exiting thread never waits for the fold lock: whoever holds it drains the queue.
        if fold != .none { drainFoldQueue(wait: false) }
        fr_thread_attach(nil)
        fr_thread_state_free(s)
    }

    /// `c` copied into an allocation of its used size when that saves at least half (the
    /// original is released); `c` itself otherwise.
    private func shrunk(_ c: ChunkPointer) -> ChunkPointer {
        let used = Int(fr_chunk_published(c) & 0xFFFF_FFFF)
        guard used * 2 <= Int(c.pointee.capacity), let small = fr_chunk_alloc(UInt64(used)) else { return c }
        liveChunks += 1
        liveChunkBytes += Self.size(small)
        let capacity = small.pointee.capacity
        small.pointee = c.pointee
        small.pointee.capacity = capacity
        // The copy is not in any snapshot's list: only the original may be pinned.
        small.pointee.flags &= ~UInt64(FR_CHUNK_PINNED)
        fr_chunk_data(small).update(from: fr_chunk_data(c), count: used)
        fr_chunk_publish(small, fr_chunk_published(c) & 0xFFFF_FFFF, fr_chunk_published(c) >> 32)
        release(c)
        return small
    }

    // MARK: ring

    /// Decides who folds the queued evicted chunks: the evicting thread while that is cheap or
    /// when it must (no worker, or back-pressure), else the fold worker, woken once per
    /// `foldWakeBatch` queued chunks.
    private func handOff() -> FoldDuty {
        guard let worker, worker.isRunning, foldQueue.count <= Self.foldBacklog else { return .wait }
        // At most `foldBacklog` + 1 chunks to sum.
        if foldQueue.reduce(0, { $0 + Self.foldCost($1) }) <= Self.inlineFoldCost { return .ifNobodyIs }
        if foldQueue.count >= Self.foldWakeBatch { worker.wake() }
        return .none
    }

    /// What folding `c` costs, in bytes of records read in parts (FoldParts): the prefix and
    /// suffix of a chunk read in parts (nothing, for logs, counters and CPU times alone), all of
    /// a stateful chunk times `wholeChunkCostFactor`.
    private static func foldCost(_ c: ChunkPointer) -> Int {
        let used = Int(fr_chunk_published(c) & 0xFFFF_FFFF)
        guard c.pointee.flags & UInt64(FR_CHUNK_STATEFUL) == 0 else { return used * wholeChunkCostFactor }
        return Int(c.pointee.fold_prefix_end) + max(0, used - Int(c.pointee.fold_suffix_start))
    }

    /// Carries out `duty` for a thread whose seal evicted chunks; call without the ring lock.
    func perform(_ duty: FoldDuty) {
        switch duty {
        case .none: break
        case .ifNobodyIs: drainFoldQueue(wait: false)
        case .wait: drainFoldQueue(wait: true)
        }
    }

    private static func size(_ c: ChunkPointer) -> Int { chunkOverhead + Int(c.pointee.capacity) }

    private func takeChunk(minCapacity: Int) -> ChunkPointer? {
        if minCapacity <= chunkBytes, let c = pool.popLast() { return c }
        guard let c = fr_chunk_alloc(UInt64(max(chunkBytes, minCapacity))) else { return nil }
        liveChunks += 1
        liveChunkBytes += Self.size(c)
        return c
    }

    private func free(_ c: ChunkPointer) {
        liveChunkBytes -= Self.size(c)
        fr_chunk_free(c)
        liveChunks -= 1
    }

    /// Returns a chunk nobody uses any more: deferred while a snapshot is copying, else pooled
    /// or freed.
    private func release(_ c: ChunkPointer) {
        if c.pointee.flags & UInt64(FR_CHUNK_PINNED) != 0 {
            deferred.append(c)
        } else if isRecording && Int(c.pointee.capacity) == chunkBytes && pool.count < Self.poolLimit {
            pool.append(c)
        } else {
            free(c)
        }
    }

    private func seal(_ c: ChunkPointer, _ parts: FoldParts, lastTicks: UInt64, final: Bool) {
        c.pointee.last_ticks = lastTicks
        if parts.stateful {
            c.pointee.flags |= UInt64(FR_CHUNK_STATEFUL)
        } else {
            c.pointee.fold_prefix_end = parts.prefixEnd
            c.pointee.fold_suffix_start = parts.suffixStart
            c.pointee.fold_suffix_ticks = parts.suffixTicks
        }
        if final { c.pointee.flags |= UInt64(FR_CHUNK_FINAL) }
        sealed.append(c)
        sealedBytes += Self.size(c)
    }

    /// Evicts oldest chunks while the ring exceeds maxBytes, or while the oldest chunk ended
    /// before `now - minAge` and the next one still reaches back to that cutoff.
    /// Returns whether anything was evicted.
    private func evict(now: UInt64) -> Bool {
        if configuration.minAgeNanoseconds > 0 {
            // The start-up rate estimate is short; the rate over the whole recording so far is
            // better (a few clock reads, once per sealed chunk).
            minAgeTicks = TickClock.ticks(nanoseconds: configuration.minAgeNanoseconds,
                                          ticksPerSecond: clock.ticksPerSecond(at: ClockPair.now()))
        }
        var count = 0
        let maxBytes = configuration.maxBytes
        while count < sealed.count {
            let oldest = sealed[count]
            var drop = sealedBytes > maxBytes
            if !drop && minAgeTicks > 0 && count + 1 < sealed.count {
                let cutoff = now > minAgeTicks ? now - minAgeTicks : 0
                drop = oldest.pointee.last_ticks < cutoff && sealed[count + 1].pointee.base_ticks <= cutoff
            }
            guard drop else { break }
            sealedBytes -= Self.size(oldest)
            oldest.pointee.eviction = nextEviction
            nextEviction += 1
            foldQueue.append(oldest)
            count += 1
        }
        if count > 0 { sealed.removeFirst(count) }
        return count > 0
    }

    /// Folds queued evicted chunks (those numbered up to `upTo`) into the window state and
    /// releases them. `wait: false` returns at once when another thread is folding (it drains
    /// the queue to the end).
    func drainFoldQueue(wait: Bool, upTo: UInt64 = .max) {
        if wait { foldLock.lock() } else if !foldLock.tryLock() { return }
        defer { foldLock.unlock() }
        foldLocked(upTo: upTo)
    }

    /// `drainFoldQueue` for a caller already holding `foldLock`.
    func foldLocked(upTo: UInt64) {
        while true {
            let next: ChunkPointer? = ringLock.withLock {
                guard let first = foldQueue.first, first.pointee.eviction <= upTo else { return nil }
                foldQueue.removeFirst()
                return first
            }
            guard let c = next else { return }
            fold.apply(chunk: c)
            ringLock.withLock { release(c) }
        }
    }

    // MARK: snapshots

    struct Cut {
        var chunks: [ChunkCut]
        var evictedUpTo: UInt64
        var configuration: FlightRecorderConfiguration
        var clock: TickClock
        var droppedChunkRequests: UInt64
        /// Ticks when the cut was taken: no listed event is later.
        var cutTicks: UInt64
    }

    /// Lists every retained chunk (sealed, and each thread's active one up to its published
    /// length) and pins them. Pair with `endSnapshot`.
    func beginSnapshot(owner: ObjectIdentifier) throws(FlightRecorderError) -> Cut {
        let result: Result<Cut, FlightRecorderError> = ringLock.withLock {
            guard isRecording, self.owner == owner else { return .failure(.notRecording) }
            guard !snapshotActive else { return .failure(.snapshotInProgress) }
            snapshotActive = true
            var chunks: [ChunkCut] = []
            chunks.reserveCapacity(sealed.count + threads.count)
            func add(_ c: ChunkPointer) {
                let published = fr_chunk_published(c)
                let events = Int(published >> 32)
                guard events > 0 else { return }
                c.pointee.flags |= UInt64(FR_CHUNK_PINNED)
                pinned.append(c)
                chunks.append(ChunkCut(chunk: c, used: Int(published & 0xFFFF_FFFF), events: events,
                                       baseTicks: c.pointee.base_ticks))
            }
            for c in sealed { add(c) }
            for t in threads where t.pointee.epoch == epoch {
                if let c = t.pointee.chunk { add(c) }
            }
            return .success(Cut(chunks: chunks, evictedUpTo: nextEviction - 1, configuration: configuration,
                                clock: clock, droppedChunkRequests: droppedChunkRequests, cutTicks: fr_ticks()))
        }
        return try result.get()
    }

    func endSnapshot() {
        ringLock.withLock {
            snapshotActive = false
            for c in pinned { c.pointee.flags &= ~UInt64(FR_CHUNK_PINNED) }
            pinned = []
            let waiting = deferred
            deferred = []
            for c in waiting { release(c) }
        }
    }
}
