// Specification of the span records (snapshot format 1.2, §7.7): their fields read back as
// written, a reader that knows no span record skips them by their length, and malformed fields
// are refused without trapping.

import Testing
@testable import TraceFormat

@Suite struct SpanRecordSpecification {
    static let ids = SpanRecord.Identity(traceHigh: 0x0af7_6519_16cd_43dd, traceLow: 0x8448_eb21_1c80_319c,
                                         span: 0xb7ad_6b71_6920_3331, parent: 0x00f0_67aa_0ba9_02b7)

    static let end = SpanRecord.End(
        kind: .client, identity: ids, startNs: 1_733_000_000_123_456_789, durationNs: 2_500_000, status: .error,
        statusMessage: "timed out", name: "db query",
        attributes: [("db.statement", .string("SELECT 1")), ("rows", .integer(-3)), ("ratio", .float(0.25)),
                     ("cached", .bool(true)), ("ids", .text("[1,2]"))],
        events: [SpanRecord.Event(name: "retry", offsetNs: 1_500, attributes: [("attempt", .integer(2))]),
                 SpanRecord.Event(name: "early", offsetNs: -20, attributes: [])],
        links: [SpanRecord.Identity(traceHigh: 1, traceLow: 2, span: 3, parent: 0)])

    @Test("start and end records read back through the event decoder: task, kind, ids and every field")
    func roundTrip() throws {
        let start = SpanRecord.Start(kind: .server, identity: Self.ids, name: "GET /items/{id}")
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.span(.spanStart, at: 100, task: 1 << 62 | 7, fields: SpanRecord.bytes(start))
        b.span(.spanEnd, at: 180, task: 1 << 62 | 7, fields: SpanRecord.bytes(Self.end))
        b.taskEnded(at: 190, task: 1 << 62 | 7)
        var d = try EventDecoder(payload: b.bytes)
        var got: [DecodedEvent] = []
        while let e = try d.next() { got.append(e) }
        #expect(got.map(\.kind) == [.spanStart, .spanEnd, .taskEnded])
        #expect(got.map(\.task) == [1 << 62 | 7, 1 << 62 | 7, 1 << 62 | 7])
        #expect(got.map(\.ticks) == [100, 180, 190])
        var c = ByteCursor(d.payload, offset: got[0].message.lowerBound, end: got[0].message.upperBound)
        #expect(try SpanRecord.decodeStart(&c) == start)
        #expect(c.isAtEnd)
        c = ByteCursor(d.payload, offset: got[1].message.lowerBound, end: got[1].message.upperBound)
        #expect(try SpanRecord.decodeEnd(&c) == Self.end)
        #expect(c.isAtEnd)
    }

    @Test("the pointer encoders write what the array encoder writes")
    func pointerEncodersAgree() {
        let name = Array("GET /items/{id}".utf8)
        var written = [UInt8](repeating: 0, count: SpanRecord.startLength(nameCount: name.count))
        written.withUnsafeMutableBufferPointer { out in
            name.withUnsafeBytes { n in
                let end = SpanRecord.writeStart(kind: .server, Self.ids, name: n, at: out.baseAddress!)
                #expect(end - out.baseAddress! == out.count)
            }
        }
        #expect(written == SpanRecord.bytes(SpanRecord.Start(kind: .server, identity: Self.ids, name: "GET /items/{id}")))
    }

    @Test("a record written before a bound has the bytes of one whose length was known, its length in one to three bytes",
          arguments: [0, 1, 118, 119, 1_000, 16_374, 16_375, 20_000])
    func boundedRecordIsCanonical(fieldsCount: Int) throws {
        let fields = (0..<fieldsCount).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let task: UInt64 = 1 << 62 | 7  // nine bytes: the length takes two from 119 bytes of fields, three from 16,375
        var known = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        known.span(.spanEnd, at: 130, task: task, fields: fields)
        let expected = Array(known.bytes.suffix(from: EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100).bytes.count))
        var out = [UInt8](repeating: 0xEE, count: fieldsCount + 64)
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            let base = buffer.baseAddress!
            let end = EventRecord.extensionRecord(.spanEnd, dt: 30, task: task, maxFieldsLength: fieldsCount, at: base) { p, limit in
                #expect(limit - p == fieldsCount)
                fields.withUnsafeBufferPointer { p.update(from: $0.baseAddress!, count: fields.count) }
                return p + fields.count
            }
            return end.map { $0 - base } ?? -1
        }
        #expect(Array(out.prefix(written)) == expected)
    }

    @Test("a record whose fields do not fit before the bound is not written")
    func boundedRecordThatDoesNotFit() {
        var out = [UInt8](repeating: 0, count: 64)
        let end = out.withUnsafeMutableBufferPointer { buffer in
            EventRecord.extensionRecord(.spanEnd, dt: 1, task: 5, maxFieldsLength: 8, at: buffer.baseAddress!) { _, _ in nil }
        }
        #expect(end == nil)
    }

    @Test("a reader that knows no span record passes over it by its length")
    func skippedByOlderReaders() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.span(.spanEnd, at: 100, task: 5, fields: SpanRecord.bytes(Self.end))
        b.taskEnded(at: 110, task: 5)
        var c = ByteCursor(b.bytes)
        _ = try EventChunkHeader.decode(&c)
        var kinds: [UInt8] = []
        while !c.isAtEnd {
            let kind = try c.byte()
            _ = try c.uvarint()
            kinds.append(kind)
            if kind >= 0x40 { try c.skip(try c.count(limit: c.remaining)) } else { _ = try c.uvarint() }
        }
        #expect(kinds == [0x45, 0x02])
    }

    @Test("fields cut short, an unknown kind, status or value type are refused")
    func malformedFieldsAreRefused() {
        let whole = SpanRecord.bytes(Self.end)
        for cut in [0, 1, 20, 40, whole.count - 1] {
            var c = ByteCursor(Array(whole.prefix(cut)))
            #expect(throws: FormatError.self) { try SpanRecord.decodeEnd(&c) }
        }
        var badKind = whole
        badKind[0] = 9
        var c = ByteCursor(badKind)
        #expect(throws: FormatError.self) { try SpanRecord.decodeEnd(&c) }
        var badStatus = whole
        badStatus[SpanRecord.identityLength + 9 + 4] = 0x03  // after kind, ids and the two times
        c = ByteCursor(badStatus)
        #expect(throws: FormatError.self) { try SpanRecord.decodeEnd(&c) }
    }

    @Test("a span record whose task runs past its length is damage")
    func taskPastLength() throws {
        var b = EventChunkBuilder(thread: 1, sequence: 0, baseTicks: 100)
        b.taskRunning(at: 100, task: 5)
        // kind 0x44, dt 1, length 1, but the task takes two bytes.
        var d = try EventDecoder(payload: b.bytes + [0x44, 0x01, 0x01, 0x80, 0x01])
        _ = try d.next()
        #expect(throws: FormatError.self) { try d.next() }
    }
}
