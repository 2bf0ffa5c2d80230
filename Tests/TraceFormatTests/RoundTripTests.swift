// Specification: whatever the encoders write, the decoders read back unchanged.

import SyntheticTraces
import Testing
@testable import TraceFormat


/// A random value biased to the edges varints care about.
func edgyValue(_ g: inout SeededRandom) -> UInt64 {
    switch g.next() % 6 {
    case 0: return 0
    case 1: return UInt64.max
    case 2: return g.next() % 128
    case 3: return 1 << (g.next() % 64)
    case 4: return (1 << (7 * (g.next() % 9 + 1))) - 1
    default: return g.next() >> (g.next() % 64)
    }
}

@Suite struct VarintSpecification {
    @Test(arguments: 0..<20)
    func unsignedValuesRoundTrip(seed: UInt64) throws {
        var g = SeededRandom(seed: seed)
        var w = ByteWriter()
        let values = (0..<500).map { _ in edgyValue(&g) }
        for v in values { w.uvarint(v) }
        var c = ByteCursor(w.bytes)
        for v in values { #expect(try c.uvarint() == v) }
        #expect(c.isAtEnd)
    }

    @Test func lengthIsTheBytesWritten() {
        var buffer = [UInt8](repeating: 0, count: Varint.maxLength)
        var values: [UInt64] = [0, .max]
        for bits in 1..<64 { values += [(1 << bits) - 1, 1 << bits, (1 << bits) + 1] }
        for v in values {
            let written = buffer.withUnsafeMutableBufferPointer { b in Varint.write(v, at: b.baseAddress!) - b.baseAddress! }
            #expect(Varint.length(of: v) == written, "\(v)")
        }
    }

    @Test func signedValuesRoundTripThroughZigzag() throws {
        for v: Int64 in [0, -1, 1, -2, .min, .max, 12345, -98765] {
            #expect(Varint.unzigzag(Varint.zigzag(v)) == v)
        }
        #expect(Varint.zigzag(-1) == 1 && Varint.zigzag(1) == 2)
    }

    @Test func paddedVarintsAreAccepted() throws {
        // 5 written in 10 bytes, the way Go's runtime pads batch lengths.
        var c = ByteCursor([0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
        #expect(try c.uvarint() == 5)
    }

    @Test func overlongAndTruncatedVarintsAreRefused() {
        var long = ByteCursor([UInt8](repeating: 0x80, count: 11) + [0])
        #expect(throws: FormatError.self) { try long.uvarint() }
        var overflow = ByteCursor([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect(throws: FormatError.self) { try overflow.uvarint() }
        var cut = ByteCursor([0x80, 0x80])
        #expect(throws: FormatError.self) { try cut.uvarint() }
    }
}

/// A decoded event with inline strings and messages as text (they decode as payload ranges).
struct Normalized: Equatable {
    var event: DecodedEvent
    var inlineName: String?
    var message: String?

    init(_ e: DecodedEvent, inlineName: String?, message: String?) {
        event = e
        self.inlineName = inlineName
        self.message = message
        if inlineName != nil { event.name = .none }
        event.message = 0..<0
    }

    init(_ e: DecodedEvent, payload: [UInt8]) {
        var name: String?
        if case .inline(let r) = e.name { name = String(decoding: payload[r], as: UTF8.self) }
        let m = e.kind == .log ? String(decoding: payload[e.message], as: UTF8.self) : nil
        self.init(e, inlineName: name, message: m)
    }
}

@Suite struct EventRecordSpecification {
    /// Random record sequences: what the builder wrote, the decoder reads, field by field.
    @Test(arguments: 0..<25)
    func randomEventSequencesRoundTrip(seed: UInt64) throws {
        var g = SeededRandom(seed: seed &* 7919)
        let base = g.next() >> 8
        var b = EventChunkBuilder(thread: g.next() >> 40, sequence: g.next() % 1000, baseTicks: base)
        var expected: [Normalized] = []
        var t = base
        for _ in 0..<400 {
            t += g.next() % 3 == 0 ? 0 : g.next() % 1_000_000
            let task = edgyValue(&g), other = edgyValue(&g), name = edgyValue(&g) >> 2
            var e: DecodedEvent
            var inlineName: String?
            var message: String?
            switch g.next() % 14 {
            case 0:
                let inline = "task-\(g.next() % 100)"
                b.taskCreated(at: t, task: task, parent: other, name: .inline(inline), group: .id(name))
                e = DecodedEvent(kind: .taskCreated, ticks: t)
                e.task = task; e.other = other; e.group = .interned(name); inlineName = inline
            case 1: b.taskEnded(at: t, task: task); e = DecodedEvent(kind: .taskEnded, ticks: t); e.task = task
            case 2: b.taskRunnable(at: t, task: task, waker: other); e = DecodedEvent(kind: .taskRunnable, ticks: t); e.task = task; e.other = other
            case 3: b.taskRunning(at: t, task: task); e = DecodedEvent(kind: .taskRunning, ticks: t); e.task = task
            case 4: b.taskBlocked(at: t, task: task, reason: name); e = DecodedEvent(kind: .taskBlocked, ticks: t); e.task = task; e.name = .interned(name)
            case 5: b.taskSyscall(at: t, task: task); e = DecodedEvent(kind: .taskSyscall, ticks: t); e.task = task
            case 6, 7:
                let blocking = g.next() % 2 == 0
                b.regionBegin(at: t, task: task, name: name, stack: other, blocking: blocking)
                e = DecodedEvent(kind: blocking ? .blockingRegionBegin : .regionBegin, ticks: t); e.task = task; e.name = .interned(name); e.other = other
            case 8: b.regionEnd(at: t, task: task, name: name); e = DecodedEvent(kind: .regionEnd, ticks: t); e.task = task; e.name = .interned(name)
            case 9:
                let text = String(repeating: "é;\n", count: Int(g.next() % 40))
                b.log(at: t, task: task, category: name, message: text)
                e = DecodedEvent(kind: .log, ticks: t); e.task = task; e.name = .interned(name); message = text
            case 10:
                let v = Int64(bitPattern: edgyValue(&g))
                b.counter(at: t, name: name, value: v)
                e = DecodedEvent(kind: .counterInt, ticks: t); e.name = .interned(name); e.intValue = v
            case 11:
                let v = Double(bitPattern: g.next())
                b.counter(at: t, name: name, value: v.isNaN ? 0.5 : v)
                e = DecodedEvent(kind: .counterFloat, ticks: t); e.name = .interned(name); e.floatValue = v.isNaN ? 0.5 : v; e.isFloat = true
            case 12: b.threadName(at: t, name: name); e = DecodedEvent(kind: .threadName, ticks: t); e.name = .interned(name)
            default: b.jobCPUTime(at: t, task: task, cpuNs: other); e = DecodedEvent(kind: .jobCPUTime, ticks: t); e.task = task; e.other = other
            }
            expected.append(Normalized(e, inlineName: inlineName, message: message))
        }
        var d = try EventDecoder(payload: b.bytes)
        #expect(d.header == b.header)
        var got: [DecodedEvent] = []
        while let e = try d.next() { got.append(e) }
        #expect(got.count == expected.count)
        for (a, e) in zip(got, expected) {
            #expect(Normalized(a, payload: d.payload) == e)
        }
    }

    @Test func skippableKindsFromNewerMinorVersionsArePassedOver() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.taskRunning(at: 100, task: 5)
        var bytes = b.bytes
        bytes += [0x7E, 0x03, 0x02, 0xAA, 0xBB]  // kind 0x7E, dt 3, 2 bytes of fields
        var tail = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 0)
        tail.taskEnded(at: 7, task: 5)
        bytes += tail.bytes.dropFirst(3)  // its records, without its chunk header
        var d = try EventDecoder(payload: bytes)
        #expect(try d.next()?.kind == .taskRunning)
        let end = try d.next()
        #expect(end?.kind == .taskEnded)
        #expect(end?.ticks == 110)
        #expect(d.skippedRecords == 1)
    }

    @Test("actor records: task, actor and type read back; a 1.0 reader skips them by their length")
    func actorRecords() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.actor(.actorWait, at: 100, task: 300, actor: 0x7F12_3456_7890, type: 9)
        b.actor(.actorRun, at: 140, task: 300, actor: 0x7F12_3456_7890, type: 9)
        b.actor(.actorRun, at: 150, task: 300, actor: 0, type: 0)
        b.taskEnded(at: 160, task: 300)
        var d = try EventDecoder(payload: b.bytes)
        var got: [DecodedEvent] = []
        while let e = try d.next() { got.append(e) }
        #expect(got.map(\.kind) == [.actorWait, .actorRun, .actorRun, .taskEnded])
        #expect(got.map(\.task) == [300, 300, 300, 300])
        #expect(got.map(\.other) == [0x7F12_3456_7890, 0x7F12_3456_7890, 0, 0])
        #expect(got[0].name == .interned(9) && got[2].name == .interned(0))
        #expect(got.map(\.ticks) == [100, 140, 150, 160])

        // What a reader that knows no actor record does (7.3): kind, dt, length, skip.
        var c = ByteCursor(b.bytes)
        _ = try EventChunkHeader.decode(&c)
        var kinds: [UInt8] = []
        while !c.isAtEnd {
            let kind = try c.byte()
            _ = try c.uvarint()
            kinds.append(kind)
            if kind >= 0x40 { try c.skip(try c.count(limit: c.remaining)) } else { _ = try c.uvarint() }
        }
        #expect(kinds == [0x40, 0x41, 0x41, 0x02])
    }

    @Test("an actor record with fields a later minor version appends reads its own and skips the rest")
    func actorRecordWithMoreFields() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.taskRunning(at: 100, task: 5)
        // kind 0x41, dt 1, length 5: task 5, actor 8, type 2 (id 1), then 2 bytes more.
        var bytes = b.bytes + [0x41, 0x01, 0x05, 0x05, 0x08, 0x02, 0xEE, 0xEE]
        var tail = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 0)
        tail.taskEnded(at: 1, task: 5)
        bytes += tail.bytes.dropFirst(3)
        var d = try EventDecoder(payload: bytes)
        _ = try d.next()
        let run = try d.next()
        #expect(run?.kind == .actorRun && run?.task == 5 && run?.other == 8 && run?.name == .interned(1))
        #expect(try d.next()?.kind == .taskEnded)
    }

    @Test("an actor record whose fields run past its length is damage")
    func actorRecordCutShortIsDamage() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.taskRunning(at: 100, task: 5)
        // length 2, but three fields follow.
        var d = try EventDecoder(payload: b.bytes + [0x40, 0x01, 0x02, 0x05, 0x08, 0x02])
        _ = try d.next()
        #expect(throws: FormatError.self) { try d.next() }
    }

    @Test func unknownFixedKindIsDamage() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.taskRunning(at: 100, task: 5)
        var d = try EventDecoder(payload: b.bytes + [0x3F, 0x00])
        _ = try d.next()
        #expect(throws: FormatError.self) { try d.next() }
    }
}

@Suite struct InlineByteCopy {
    @Test("inline bytes are copied exactly at every length, and nothing beyond them is written")
    func everyLength() {
        let source: [UInt8] = (0..<100).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for n in 0...source.count {
            var target = [UInt8](repeating: 0xEE, count: 120)
            let written = source.withUnsafeBytes { src in
                target.withUnsafeMutableBufferPointer { dst in
                    copyBytes(UnsafeRawBufferPointer(rebasing: src[0..<n]), to: dst.baseAddress! + 3) - (dst.baseAddress! + 3)
                }
            }
            #expect(written == n)
            #expect(Array(target[3..<(3 + n)]) == Array(source[0..<n]), "length \(n)")
            #expect(target[0..<3].allSatisfy { $0 == 0xEE } && target[(3 + n)...].allSatisfy { $0 == 0xEE }, "length \(n)")
        }
    }
}
