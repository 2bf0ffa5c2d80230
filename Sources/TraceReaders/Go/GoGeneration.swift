// Generations: the self-contained slices (about one per second) a Go trace is made of. Each has
// its own string table, stack table, clock frequency and per-M event batches; goroutine and P
// statuses are re-stated in each.
//
// Invariants:
// - A generation is read whole before any of its events is ordered (ordering needs every M's
//   batches); memory holds one generation's event data plus its tables, never more.
// - Before 1.26 a generation ends where a batch of the next generation number starts (that
//   batch is kept as the "spill" and starts the next generation); from 1.26 an EndOfGeneration
//   byte ends it.
// - Table IDs are validated as Go's reader does: duplicate IDs, unknown frame strings, missing
//   frequency (or, from 1.25, missing clock snapshot) are damage.
// - A read error after some batches of a generation were read yields that partial generation
//   with the error attached, so everything before the damage is still converted.

import TraceModel

struct GoFrame {
    var function: UInt64
    var file: UInt64
    var line: UInt64
}

final class GoGeneration {
    let number: UInt64
    /// Ordinal of this generation in the file, from 0.
    let ordinal: Int
    var batches: [UInt64: [GoBatch]] = [:]
    /// Ms in order of their first batch (iteration order must not depend on hashing).
    var ms: [UInt64] = []
    /// Looked up for every region and log event: an IDMap, not a SipHash dictionary.
    var strings = IDMap<String>()
    var stacks: [UInt64: [UInt64]] = [:]
    var frames: [UInt64: GoFrame] = [:]
    /// Nanoseconds per tick, as Go computes it (1e9 / ticks per second, in floating point).
    var nsPerTick: Double = 0
    var hasClockSnapshot = false
    var wallClockNs: Int64?
    var snapshotTicks: UInt64?
    var minTicks: UInt64 = 0
    /// Offset of the generation's first batch.
    var offset: Int64 = 0
    /// The batch-read error that cut this generation short, if any.
    var readError: GoBatchError?

    init(number: UInt64, ordinal: Int) {
        self.number = number
        self.ordinal = ordinal
    }

    /// Ticks to nanoseconds exactly as Go does (float multiply, truncation toward zero).
    @inline(__always)
    func ns(_ ticks: UInt64) -> Int64 {
        let v = Double(ticks) * nsPerTick
        guard v < 4.6e18 else { return Int64.max / 2 }
        return Int64(v)
    }
}

/// Reads generations one after the other from the input.
struct GoGenerationReader {
    let version: GoTraceVersion
    var source: GoByteSource
    private var batchOrdinal = 0
    private var generationOrdinal = 0
    /// Before 1.26: the first batch of the next generation, already read.
    private var spill: (batch: GoBatch, generation: UInt64)?
    /// An error found while reading ahead, reported once the current generation is done.
    private var pendingError: GoBatchError?
    private(set) var finished = false

    init(version: GoTraceVersion, source: GoByteSource) {
        self.version = version
        self.source = source
    }

    /// The next generation, nil at the clean end of the input. Throws when no event of a new
    /// generation can be produced (the error names where).
    mutating func next() throws(GoBatchError) -> GoGeneration? {
        if let e = pendingError {
            pendingError = nil
            finished = true
            throw e
        }
        if finished { return nil }
        var current: GoGeneration?

        if let s = spill {
            spill = nil
            let g = GoGeneration(number: s.generation, ordinal: generationOrdinal)
            g.offset = s.batch.dataOffset
            g.minTicks = s.batch.baseTicks
            do {
                try process(s.batch, in: g)
            } catch {
                finished = true
                throw error
            }
            current = g
        }

        while true {
            let ordinal = batchOrdinal
            let offset = source.offset
            let read: GoBatchRead
            do {
                read = try GoBatchReader.read(&source, ordinal: ordinal, version: version)
            } catch {
                var e = error
                if let g = current, e.generation != 0, e.generation != g.number {
                    // The damaged batch belongs to a later generation: this one is complete;
                    // report the damage once its events are out.
                    pendingError = e
                    try finish(g)
                    generationOrdinal += 1
                    return g
                }
                finished = true
                if let g = current {
                    if e.generation == 0 { e.generation = g.number }
                    // Keep the batches read so far; report the error after them.
                    g.readError = e
                    try finish(g)
                    return g
                }
                throw e
            }
            batchOrdinal += 1
            switch read {
            case .endOfInput:
                finished = true
                guard let g = current else { return nil }
                if version >= .go126 {
                    g.readError = GoBatchError(message: "input ends inside the generation (no end-of-generation marker; truncated trace)",
                                               offset: source.offset, generation: g.number, ordinal: ordinal)
                }
                try finish(g)
                return g
            case .endOfGeneration(let at):
                guard let g = current else {
                    finished = true
                    throw GoBatchError(message: "end-of-generation marker with no generation before it",
                                       offset: at, generation: 0, ordinal: ordinal)
                }
                try finish(g)
                generationOrdinal += 1
                return g
            case .batch(let batch, let number):
                if number == 0 {
                    finished = true
                    throw GoBatchError(message: "invalid generation number 0", offset: offset,
                                       generation: 0, ordinal: ordinal)
                }
                let g: GoGeneration
                if let c = current {
                    g = c
                    if number != g.number {
                        if version < .go126 && number == g.number &+ 1 {
                            spill = (batch, number)
                            try finish(g)
                            generationOrdinal += 1
                            return g
                        }
                        let message = version < .go126
                            ? "generation \(number) follows generation \(g.number) (generations out of order)"
                            : "batch of generation \(number) inside generation \(g.number) (missing end-of-generation marker)"
                        g.readError = GoBatchError(message: message, offset: offset, generation: g.number, ordinal: ordinal)
                        finished = true
                        try finish(g)
                        return g
                    }
                    if batch.baseTicks < g.minTicks { g.minTicks = batch.baseTicks }
                } else {
                    g = GoGeneration(number: number, ordinal: generationOrdinal)
                    g.offset = offset
                    g.minTicks = batch.baseTicks
                    current = g
                }
                do {
                    try process(batch, in: g)
                } catch {
                    finished = true
                    throw error
                }
            }
        }
    }

    /// Files one batch of `g`: tables are decoded (their bytes dropped); event batches stay.
    private func process(_ b: GoBatch, in g: GoGeneration) throws(GoBatchError) {
        let kind: UInt8? = b.data.first
        func fail(_ message: String, _ at: Int) -> GoBatchError {
            GoBatchError(message: message, offset: b.dataOffset + Int64(at),
                         generation: g.number, ordinal: b.ordinal)
        }
        if b.experiment != 0 {
            // Experimental batches (alloc/free experiment) carry a custom format; skipped whole.
            return
        }
        let isSync = (kind == GoEv.frequency && version < .go125) || (kind == GoEv.sync && version >= .go125)
        if kind == GoEv.strings || kind == GoEv.stacks || kind == GoEv.cpuSamples || isSync {
            let result: GoBatchError? = b.data.withUnsafeBufferPointer { buf -> GoBatchError? in
                var c = GoDataCursor(data: buf, position: 1, end: buf.count)
                switch kind {
                case GoEv.strings: return readStrings(&c, g, fail)
                case GoEv.stacks: return readStacks(&c, g, fail)
                case GoEv.cpuSamples: return readCPUSamples(&c, fail)
                default:
                    if version < .go125 { c.position = 0 }
                    return readSync(&c, g, baseTicks: b.baseTicks, fail)
                }
            }
            if let result { throw result }
            return
        }
        if kind == GoEv.endOfGeneration {
            throw fail("end-of-generation marker inside a batch", 0)
        }
        if g.batches[b.m] == nil {
            g.ms.append(b.m)
            g.batches[b.m] = [b]
        } else {
            g.batches[b.m]!.append(b)
        }
    }

    private func readStrings(_ c: inout GoDataCursor, _ g: GoGeneration,
                             _ fail: (String, Int) -> GoBatchError) -> GoBatchError? {
        while c.position < c.end {
            let at = c.position
            guard c.byte() == GoEv.string else { return fail("expected a string entry", at) }
            guard let id = c.uvarint(), let length = c.uvarint() else { return fail("truncated string entry", at) }
            guard length <= 1024 else { return fail("string \(id) length \(length) exceeds 1024", at) }
            guard c.end - c.position >= Int(length) else { return fail("string \(id) runs past its batch", at) }
            let s = String(decoding: UnsafeBufferPointer(rebasing: c.data[c.position..<(c.position + Int(length))]),
                           as: UTF8.self)
            c.position += Int(length)
            if id == 0 || g.strings[id] != nil { return fail("duplicate string ID \(id)", at) }
            g.strings[id] = s
        }
        return nil
    }

    private func readStacks(_ c: inout GoDataCursor, _ g: GoGeneration,
                            _ fail: (String, Int) -> GoBatchError) -> GoBatchError? {
        while c.position < c.end {
            let at = c.position
            guard c.byte() == GoEv.stack else { return fail("expected a stack entry", at) }
            guard let id = c.uvarint(), let count = c.uvarint() else { return fail("truncated stack entry", at) }
            guard count <= 128 else { return fail("stack \(id) has \(count) frames (maximum 128)", at) }
            var pcs: [UInt64] = []
            pcs.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                guard let pc = c.uvarint(), let fn = c.uvarint(), let file = c.uvarint(), let line = c.uvarint() else {
                    return fail("truncated frame in stack \(id)", at)
                }
                pcs.append(pc)
                if g.frames[pc] == nil { g.frames[pc] = GoFrame(function: fn, file: file, line: line) }
            }
            if id == 0 || g.stacks[id] != nil { return fail("duplicate stack ID \(id)", at) }
            g.stacks[id] = pcs
        }
        return nil
    }

    private func readCPUSamples(_ c: inout GoDataCursor, _ fail: (String, Int) -> GoBatchError) -> GoBatchError? {
        // CPU samples are validated and skipped: the event model has no sample kind.
        while c.position < c.end {
            let at = c.position
            guard c.byte() == GoEv.cpuSample else { return fail("expected a CPU sample", at) }
            for _ in 0..<5 { guard c.uvarint() != nil else { return fail("truncated CPU sample", at) } }
        }
        return nil
    }

    private func readSync(_ c: inout GoDataCursor, _ g: GoGeneration, baseTicks: UInt64,
                          _ fail: (String, Int) -> GoBatchError) -> GoBatchError? {
        var lastTicks = baseTicks
        while c.position < c.end {
            let at = c.position
            let type = c.byte()
            if type == GoEv.frequency {
                guard g.nsPerTick == 0 else { return fail("more than one frequency event", at) }
                guard let f = c.uvarint() else { return fail("truncated frequency event", at) }
                guard f > 0 else { return fail("frequency 0", at) }
                g.nsPerTick = 1.0 / (Double(f) / 1e9)
            } else if type == GoEv.clockSnapshot && version >= .go125 {
                guard !g.hasClockSnapshot else { return fail("more than one clock snapshot", at) }
                g.hasClockSnapshot = true
                guard let dt = c.uvarint(), c.uvarint() != nil, let sec = c.uvarint(), let nsec = c.uvarint() else {
                    return fail("truncated clock snapshot", at)
                }
                lastTicks = lastTicks &+ dt
                g.snapshotTicks = lastTicks
                if sec < 9_000_000_000, nsec < 1_000_000_000 {
                    g.wallClockNs = Int64(sec) * 1_000_000_000 + Int64(nsec)
                }
            } else {
                return fail("expected a frequency or clock snapshot event, found \(type.map(String.init) ?? "end")", at)
            }
        }
        return nil
    }

    /// Checks a fully read generation as Go's reader does.
    private func finish(_ g: GoGeneration) throws(GoBatchError) {
        func fail(_ message: String) -> GoBatchError {
            GoBatchError(message: message, offset: g.offset, generation: g.number, ordinal: -1)
        }
        if g.nsPerTick == 0 { throw g.readError ?? fail("no frequency event in the generation") }
        if version >= .go125 && !g.hasClockSnapshot { throw g.readError ?? fail("no clock snapshot event in the generation") }
        // A generation cut short may lack part of its string table: its events are still
        // converted (unknown names read as empty), and its read error ends the stream after them.
        if g.readError != nil { return }
        for (id, pcs) in g.stacks {
            for pc in pcs {
                guard let f = g.frames[pc] else { throw fail("stack \(id) has unknown PC \(pc)") }
                if f.function != 0 && g.strings[f.function] == nil {
                    throw fail("stack \(id) names function string \(f.function), which does not exist")
                }
                if f.file != 0 && g.strings[f.file] == nil {
                    throw fail("stack \(id) names file string \(f.file), which does not exist")
                }
            }
        }
    }
}
