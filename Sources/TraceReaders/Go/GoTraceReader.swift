// The public reader of Go execution traces (format versions 1.22, 1.23, 1.25, 1.26), streaming
// generation by generation into the event model.
//
// Invariants:
// - The input is read in bounded blocks; memory holds one generation (its event batches and
//   tables) plus live state (goroutines, Ps, Ms, open regions, interned strings and stacks).
// - Events come out in non-decreasing time: like Go's own reader, an event whose ordered time is
//   not after the previous one's is moved to 1 ns after it (so times are strictly increasing,
//   and identical to the times Go's tools compute).
// - `metadata.startNs` is the first generation's start (Go's first Sync event), known once the
//   initializer returns; `endNs` is the last event's time, final when `next()` returned nil.
// - Bad input never traps: anything unreadable after a valid header ends the stream with
//   `damage` naming generation, batch and byte offset; everything before it was returned.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceFormat
import TraceModel

public struct GoTraceReader: TraceReader {
    // A value, not a class: the per-event state is then reached through `inout self`, which
    // Swift checks statically instead of with dynamic exclusivity checks per access.
    private var engine: GoTraceEngine

    /// Streams the Go trace at `path`. `readAhead`: read, decode and order on a second thread
    /// while this one maps and consumes (same events, same order).
    public init(path: String, name: String? = nil, readAhead: Bool = false) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw GoTraceError(kind: .io, file: name ?? path,
                               message: "cannot open: \(String(cString: strerror(errno)))")
        }
        var size: Int64 = 0
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG { size = Int64(st.st_size) }
        do {
            engine = try GoTraceEngine(source: GoByteSource(fileDescriptor: fd, closeOnEnd: true),
                                       name: name ?? path, fileBytes: size, reading: BatchReading(readAhead: readAhead))
        } catch {
            _ = close(fd)
            throw error
        }
    }

    /// Streams a Go trace from an open file descriptor (not closed by the reader).
    public init(fileDescriptor fd: Int32, name: String) throws {
        engine = try GoTraceEngine(source: GoByteSource(fileDescriptor: fd, closeOnEnd: false),
                                   name: name, fileBytes: 0, reading: BatchReading(readAhead: false))
    }

    /// Streams a Go trace from a shared byte source (e.g. the one input detection peeked at),
    /// starting at its current position, which must be the start of the trace.
    init(source: ByteSource, name: String, readAhead: Bool = false) throws {
        engine = try GoTraceEngine(source: GoByteSource(shared: source), name: name, fileBytes: 0,
                                   reading: BatchReading(readAhead: readAhead))
    }

    /// Reads a Go trace held in memory.
    public init(bytes: [UInt8], name: String, readAhead: Bool = false) throws {
        try self.init(bytes: bytes, name: name, reading: BatchReading(readAhead: readAhead))
    }

    init(bytes: [UInt8], name: String, reading: BatchReading) throws {
        engine = try GoTraceEngine(source: GoByteSource(bytes: bytes), name: name, fileBytes: Int64(bytes.count),
                                   reading: reading)
    }

    /// Whether `prefix` (the first bytes of an input, 16 are enough) starts like a Go execution
    /// trace of any version. Supported versions are checked when the reader opens the input.
    static func looksLikeGoTrace(prefix: [UInt8]) -> Bool {
        guard prefix.count >= 8 else { return false }
        return GoHeader.parseMinor(Array(prefix.prefix(GoHeader.length))) != nil
    }

    public var metadata: TraceMetadata { engine.metadata }
    public var tables: TraceTables { engine.tables }
    public var damage: TraceDamage? { engine.damage }
    public var warnings: [String] { engine.warnings }
    /// Whether the input is read and ordered ahead on a second thread.
    public var isReadingAhead: Bool { engine.isReadingAhead }

    public mutating func next() throws -> TraceEvent? { engine.next() }

    /// Passes the next events to `body`, in order: the run one step of the mapping produced,
    /// in one call instead of one `next()` per event (each of which returns its event through
    /// the reader's layers). The same events as `next()` gives; the two may be mixed. Returns
    /// how many it passed, 0 only at the end of the stream (where `next()` returns nil). An
    /// error thrown by `body` stops the run after the event it was thrown for; the events
    /// after it stay queued.
    package mutating func nextRun(_ body: (TraceEvent) throws -> Void) rethrows -> Int {
        try engine.nextRun(body)
    }
}

/// The reader's machinery: ordered events (GoOrderedBatches, on this thread or read ahead on
/// another) mapped to the event model here, where the tables are interned.
struct GoTraceEngine {
    let name: String
    let version: GoTraceVersion
    private(set) var metadata: TraceMetadata
    let tables = TraceTables()
    private(set) var damage: TraceDamage?
    var warnings: [String] { machine.warnings }

    private var batches: BatchSource<GoOrderedBatches>
    private var batch = GoOrderedBatch()
    private var eventIndex = 0
    private var createdIndex = 0
    private var machine: GoStateMachine
    private var out = GoEventQueue()
    private var lastNs: Int64 = 0
    private var done = false
    private var installedAny = false

    init(source: GoByteSource, name: String, fileBytes: Int64, reading: BatchReading) throws {
        self.name = name
        var source = source
        var header: [UInt8] = []
        do {
            while header.count < GoHeader.length, let b = try source.readByte() { header.append(b) }
        } catch {
            throw GoTraceError(kind: .io, file: name, message: "cannot read: \(error)")
        }
        guard header.count == GoHeader.length, let minor = GoHeader.parseMinor(header) else {
            throw GoTraceError(kind: .notAGoTrace, file: name,
                               message: "not a Go execution trace (no \"go 1.NN trace\" header)")
        }
        let version = GoTraceVersion(minor: minor)
        guard version.isSupported else {
            throw GoTraceError(kind: .unsupportedVersion(minor), file: name,
                               message: "Go trace format go 1.\(minor) is not supported (supported: go 1.22, 1.23, 1.25, 1.26 and later toolchains writing them)")
        }
        self.version = version
        let producer = GoOrderedBatches(version: version, source: source, name: name, batchSize: reading.batchSize)
        self.batches = BatchSource(producer, reading: reading)
        self.machine = GoStateMachine(tables: tables)
        self.metadata = TraceMetadata(format: "go", version: version.text)
        metadata.fileBytes = fileBytes
        metadata.uncompressedBytes = fileBytes
        // Take the first generation now, so that startNs is known before the first event.
        nextBatch()
    }

    var isReadingAhead: Bool { batches.isReadingAhead }

    mutating func next() -> TraceEvent? {
        while out.isEmpty {
            guard step() else { return nil }
        }
        return out.take()
    }

    mutating func nextRun(_ body: (TraceEvent) throws -> Void) rethrows -> Int {
        while out.isEmpty {
            guard step() else { return 0 }
        }
        var count = 0
        repeat {
            // Moved out of the queue: `body` gets the event itself, not a copy.
            let event = out.take()
            count += 1
            try body(event)
        } while !out.isEmpty
        return count
    }

    /// One step of mapping: a run of the current batch's events into `out`, or the next batch,
    /// or the end of the stream. False once the stream has ended.
    private mutating func step() -> Bool {
        if done { return false }
        if eventIndex < batch.events.count {
            handleEvents()
        } else if let end = batch.end {
            damage = end.damage
            finish(bytesSeen: end.bytesSeen)
        } else {
            nextBatch()
        }
        return true
    }

    /// Go's timestamp rule: strictly after the previous event.
    @inline(__always)
    private mutating func fix(_ t: Int64) -> Int64 {
        let v = t <= lastNs ? lastNs &+ 1 : t
        lastNs = v
        return v
    }

    /// Maps a run of the batch's events, in order (a run, so the per-call work is not paid per
    /// event).
    private mutating func handleEvents() {
        guard let gen = batch.generation else { return }
        let runEnd = min(batch.events.count, eventIndex + 256)
        while eventIndex < runEnd {
            if createdIndex < batch.createdStacks.count && batch.createdStacks[createdIndex].index == eventIndex {
                let g = batch.events[eventIndex].wire.args[0]
                machine.lookaheadGroups[g] = machine.root(batch.createdStacks[createdIndex].stack, gen)
                createdIndex += 1
            }
            let t = fix(batch.events[eventIndex].wire.timeNs)
            machine.handle(batch.events[eventIndex], at: t, gen: gen, &out)
            eventIndex += 1
        }
    }

    private mutating func nextBatch() {
        let spent = batch
        batch = GoOrderedBatch()
        guard let next = batches.next(spent: consume spent) else {
            // The producer always ends with a batch saying how; this is a producer gone early.
            damage = TraceDamage(file: name, offset: 0, message: "reading stopped early")
            finish(bytesSeen: 0)
            return
        }
        batch = next
        eventIndex = 0
        createdIndex = 0
        if let gen = batch.installed { install(gen, lookahead: batch.lookahead) }
    }

    private mutating func finish(bytesSeen: Int64) {
        guard !done else { return }
        done = true
        if installedAny {
            // Go's reader closes the stream with a Sync event after the last event.
            metadata.endNs = fix(lastNs)
        }
        if metadata.fileBytes == 0 {
            metadata.fileBytes = bytesSeen
            metadata.uncompressedBytes = bytesSeen
        }
    }

    private mutating func install(_ gen: GoGeneration, lookahead: GoLookahead?) {
        // Go emits a Sync event at the generation's earliest batch time.
        let syncNs = fix(gen.ns(gen.minTicks))
        if !installedAny {
            installedAny = true
            metadata.startNs = syncNs
            if let wall = gen.wallClockNs, let snap = gen.snapshotTicks {
                metadata.wallClockStartNs = wall &- (gen.ns(snap) &- syncNs)
            }
            startWindow(gen, lookahead ?? GoLookahead(), at: syncNs)
        }
        metadata.endNs = syncNs
    }

    /// Creates at the window start what was alive before it (see GoLookahead).
    private mutating func startWindow(_ gen: GoGeneration, _ look: GoLookahead, at t: Int64) {
        // In status order, so that interned identifiers do not depend on hashing.
        for s in look.statuses {
            if let stack = look.firstStacks[s.goroutine] { machine.lookaheadGroups[s.goroutine] = machine.root(stack, gen) }
        }
        for s in look.statuses {
            machine.existing(goroutine: s.goroutine, status: s.status, thread: s.thread, stackID: s.stack,
                             gen: gen, at: t, &out)
        }
        for id in look.openUserTasks { machine.existing(userTask: id, at: t, &out) }
        for g in look.regionOrder {
            for region in (look.openRegions[g] ?? []).reversed() {
                machine.existing(region: region, goroutine: g, at: t, &out)
            }
        }
        machine.emitGoroutineCount(at: t, &out)
    }

    /// Advances the head of the frontier, or else the first M (by time) that can advance.
    /// Returns false when none can.
    static func advanceOne(_ frontier: inout GoFrontier, _ ordering: inout GoOrdering, _ gen: GoGeneration,
                           _ table: GoEventTable) throws -> Bool {
        func tryAdvance(_ i: Int) throws -> Bool {
            let event = frontier.event(at: i)
            let ok: Bool
            do {
                ok = try ordering.advance(event, m: frontier.m(at: i), gen: gen)
            } catch {
                let c = frontier.cursor(at: i)
                throw GoOrderFailure(message: error.message, type: event.type, offset: c.eventOffset,
                                     batchOrdinal: c.batchOrdinal)
            }
            guard ok else { return false }
            try frontier.advance(at: i, gen, table)
            return true
        }
        if try tryAdvance(0) { return true }
        frontier.sortByTime()
        var i = 1
        while i < frontier.count {
            if try tryAdvance(i) { return true }
            i += 1
        }
        return false
    }
}

/// An ordering error with the event it happened on: its type and where it lies.
struct GoOrderFailure: Error {
    var message: String
    var type: UInt8
    var offset: Int64
    var batchOrdinal: Int
}
