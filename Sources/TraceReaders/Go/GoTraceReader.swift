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

    /// Streams the Go trace at `path`.
    public init(path: String, name: String? = nil) throws {
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
                                       name: name ?? path, fileBytes: size)
        } catch {
            _ = close(fd)
            throw error
        }
    }

    /// Streams a Go trace from an open file descriptor (not closed by the reader).
    public init(fileDescriptor fd: Int32, name: String) throws {
        engine = try GoTraceEngine(source: GoByteSource(fileDescriptor: fd, closeOnEnd: false),
                                   name: name, fileBytes: 0)
    }

    /// Streams a Go trace from a shared byte source (e.g. the one input detection peeked at),
    /// starting at its current position, which must be the start of the trace.
    init(source: ByteSource, name: String) throws {
        engine = try GoTraceEngine(source: GoByteSource(shared: source), name: name, fileBytes: 0)
    }

    /// Reads a Go trace held in memory.
    public init(bytes: [UInt8], name: String) throws {
        engine = try GoTraceEngine(source: GoByteSource(bytes: bytes), name: name, fileBytes: Int64(bytes.count))
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

    public mutating func next() throws -> TraceEvent? { engine.next() }
}

/// The reader's machinery.
struct GoTraceEngine {
    let name: String
    let version: GoTraceVersion
    let table: GoEventTable
    private(set) var metadata: TraceMetadata
    let tables = TraceTables()
    private(set) var damage: TraceDamage?
    private var extraWarnings: [String] = []
    var warnings: [String] { extraWarnings + machine.warnings }

    private var generations: GoGenerationReader
    private var ordering: GoOrdering
    private var frontier = GoFrontier()
    private var generation: GoGeneration?
    private var machine: GoStateMachine
    private var out: [TraceEvent] = []
    private var outHead = 0
    private var lastNs: Int64 = 0
    private var done = false
    private var installedAny = false

    init(source: GoByteSource, name: String, fileBytes: Int64) throws {
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
        self.table = GoEventTable(version: version)
        self.generations = GoGenerationReader(version: version, source: source)
        self.ordering = GoOrdering(table: table)
        self.machine = GoStateMachine(tables: tables)
        self.metadata = TraceMetadata(format: "go", version: version.text)
        metadata.fileBytes = fileBytes
        metadata.uncompressedBytes = fileBytes
        // Read the first generation now, so that startNs is known before the first event.
        loadGeneration()
    }

    mutating func next() -> TraceEvent? {
        while true {
            if outHead < out.count {
                let e = out[outHead]
                outHead += 1
                return e
            }
            // Consumed slots are dropped in bulk, not per event.
            if outHead >= 1024 {
                out.removeAll(keepingCapacity: true)
                outHead = 0
            }
            if done { return nil }
            step()
        }
    }

    /// Go's timestamp rule: strictly after the previous event.
    @inline(__always)
    private mutating func fix(_ t: Int64) -> Int64 {
        let v = t <= lastNs ? lastNs &+ 1 : t
        lastNs = v
        return v
    }

    /// Maps the events the ordering advanced, in order.
    private mutating func drainQueue(_ gen: GoGeneration) {
        for i in 0..<ordering.queued {
            if ordering.queue[i].wire.type == GoEv.goCreateSyscall {
                let g = ordering.queue[i].wire.args[0]
                if let stack = GoLookahead.firstStack(of: g, gen, ordering: ordering, after: i, frontier: frontier) {
                    machine.lookaheadGroups[g] = machine.root(stack, gen)
                }
            }
            let t = fix(ordering.queue[i].wire.timeNs)
            machine.handle(ordering.queue[i], at: t, gen: gen, &out)
        }
        ordering.clearQueue()
    }

    private mutating func step() {
        if ordering.queued > 0, let gen = generation {
            drainQueue(gen)
            return
        }
        if frontier.isEmpty {
            if let e = generation?.readError {
                report(e)
                return
            }
            loadGeneration()
            return
        }
        guard let gen = generation else { finish(); return }
        do {
            // A run of events per call, so the per-call work is not paid per event.
            var advanced = 0
            while advanced < 256, !frontier.isEmpty, try GoTraceEngine.advanceOne(&frontier, &ordering, gen, table) {
                drainQueue(gen)
                advanced += 1
            }
            if advanced == 0 {
                if let e = gen.readError {
                    reportCut(e)
                    return
                }
                let head = frontier.cursors[0]
                let detail = frontier.cursors.prefix(4).map {
                    "M \($0.m == GoSchedContext.none ? "none" : String($0.m)) \(table.name($0.event.type))"
                }.joined(separator: ", ")
                damage = GoDamageSite(generation: gen.number, batch: head.event.batchOrdinal, offset: head.event.offset)
                    .damage(file: name, "no M's next event can happen (\(detail)): events out of order or missing")
                finish()
            }
        } catch let e as GoBatchError {
            if let cut = gen.readError { reportCut(cut) } else { report(e) }
        } catch let e as GoOrderFailure {
            if let cut = gen.readError {
                reportCut(cut)
                return
            }
            damage = GoDamageSite(generation: gen.number, batch: e.event.batchOrdinal, offset: e.event.offset)
                .damage(file: name, "\(table.name(e.event.type)) event: \(e.message)")
            finish()
        } catch {
            damage = TraceDamage(file: name, offset: 0, message: "\(error)")
            finish()
        }
    }

    /// Advances the head of the frontier, or else the first M (by time) that can advance.
    /// Returns false when none can.
    static func advanceOne(_ frontier: inout GoFrontier, _ ordering: inout GoOrdering, _ gen: GoGeneration,
                           _ table: GoEventTable) throws -> Bool {
        func tryAdvance(_ i: Int) throws -> Bool {
            let ok: Bool
            do {
                ok = try ordering.advance(frontier.cursors[i].event, m: frontier.cursors[i].m, gen: gen)
            } catch {
                throw GoOrderFailure(message: error.message, event: frontier.cursors[i].event)
            }
            guard ok else { return false }
            if try frontier.cursors[i].advance(gen, table) {
                frontier.update(i)
            } else {
                frontier.remove(i)
            }
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

    /// A generation cut short stalls or fails where its missing batches (or strings) were
    /// needed: the cut is the damage, not what it caused.
    private mutating func reportCut(_ cut: GoBatchError) {
        var e = cut
        e.message += " (the generation's events before the cut were converted as far as they could be ordered)"
        report(e)
    }

    private mutating func report(_ e: GoBatchError) {
        var message = e.message
        if e.ordinal < 0 {
            damage = TraceDamage(file: name, offset: e.offset, message: "generation \(e.generation): \(message)")
        } else {
            if e.generation == 0 { message += " (generation unknown)" }
            damage = GoDamageSite(generation: e.generation, batch: e.ordinal, offset: e.offset).damage(file: name, message)
        }
        finish()
    }

    private mutating func finish() {
        guard !done else { return }
        done = true
        if installedAny {
            // Go's reader closes the stream with a Sync event after the last event.
            metadata.endNs = fix(lastNs)
        }
        let seen = generations.source.bytesSeen
        if metadata.fileBytes == 0 {
            metadata.fileBytes = seen
            metadata.uncompressedBytes = seen
        }
        frontier = GoFrontier()
        generation = nil
    }

    private mutating func loadGeneration() {
        // The finished generation goes before the next is read: one generation in memory.
        generation = nil
        frontier = GoFrontier()
        let gen: GoGeneration?
        do {
            gen = try generations.next()
        } catch {
            report(error)
            return
        }
        guard let gen else {
            finish()
            return
        }
        install(gen)
    }

    private mutating func install(_ gen: GoGeneration) {
        generation = gen
        frontier = GoFrontier()
        for m in gen.ms {
            var c = GoBatchCursor(m: m, generation: gen)
            do {
                if try c.advance(gen, table) { frontier.insert(c) }
            } catch {
                report(error)
                return
            }
        }
        // Go emits a Sync event at the generation's earliest batch time.
        let syncNs = fix(gen.ns(gen.minTicks))
        if !installedAny {
            installedAny = true
            metadata.startNs = syncNs
            if let wall = gen.wallClockNs, let snap = gen.snapshotTicks {
                metadata.wallClockStartNs = wall &- (gen.ns(snap) &- syncNs)
            }
            startWindow(gen, at: syncNs)
        }
        metadata.endNs = syncNs
    }

    /// Creates at the window start what was alive before it (see GoLookahead).
    private mutating func startWindow(_ gen: GoGeneration, at t: Int64) {
        let look = GoLookahead.run(gen, ordering: ordering, frontier: frontier)
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
}

/// An ordering error with the event it happened on.
struct GoOrderFailure: Error {
    var message: String
    var event: GoWireEvent
}
