// ProtobufWriter writes protobuf's wire format: what it writes decodes (with the test decoder)
// to the fields written, nested messages of any size included, with minimal length prefixes.

import Testing
@testable import TraceExporters
import TraceModel

@Suite struct ProtobufWriterTests {
    @Test func scalarsRoundTrip() throws {
        var w = ProtobufWriter(capacity: 16)
        w.uint64(1, 0)
        w.uint64(2, 300)
        w.uint64(3, .max)
        w.int64(4, -1)
        w.sint64(5, -3)
        w.bool(6, true)
        w.double(7, 2.5)
        w.fixed64(8, 0x0102_0304_0506_0708)
        w.string(9, "héllo")
        w.string(10, "static" as StaticString)
        let m = try ProtobufMessage(w.bytes)
        #expect(m.fields.map(\.number) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        #expect(m.first(1)?.uint == 0)
        #expect(m.first(2)?.uint == 300)
        #expect(m.first(3)?.uint == .max)
        #expect(m.first(4)?.int == -1)
        #expect(m.first(5)?.uint == 5)  // zigzag(-3)
        #expect(m.first(6)?.uint == 1)
        #expect(m.first(7)?.double == 2.5)
        #expect(m.first(8)?.fixed64 == 0x0102_0304_0506_0708)
        #expect(m.first(9)?.string == "héllo")
        #expect(m.first(10)?.string == "static")
    }

    @Test func knownEncodings() {
        // Protobuf's documented examples: field 1 = 150 is 08 96 01; field 2 = "testing".
        var w = ProtobufWriter()
        w.uint64(1, 150)
        #expect(w.bytes == [0x08, 0x96, 0x01])
        w.removeAll()
        w.string(2, "testing")
        #expect(w.bytes == [0x12, 0x07] + Array("testing".utf8))
        w.removeAll()
        w.sint64(1, -1)
        #expect(w.bytes == [0x08, 0x01])
    }

    @Test(arguments: [0, 1, 127, 128, 300, 16_383, 16_384, 70_000])
    func nestedMessagesOfAnySize(bodyBytes: Int) throws {
        var w = ProtobufWriter(capacity: 16)
        w.uint64(1, 7)
        let outer = w.beginMessage(2)
        let inner = w.beginMessage(3)
        let body = (0..<bodyBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        body.withUnsafeBytes { w.rawBytes($0) }
        w.endMessage(inner)
        w.uint64(4, 9)
        w.endMessage(outer)
        w.uint64(5, 11)

        let m = try ProtobufMessage(w.bytes)
        #expect(m.fields.map(\.number) == [1, 2, 5])
        let o = try #require(try m.first(2)?.message())
        #expect(o.fields.map(\.number) == [3, 4])
        #expect(o.first(3)?.bytes == body)
        #expect(o.first(4)?.uint == 9)
        // Minimal prefixes: key + length varint + body, nothing more.
        let innerSize = 1 + ProtobufWriter.varintSize(UInt64(bodyBytes)) + bodyBytes
        let outerSize = innerSize + 2
        #expect(w.count == 2 + 1 + ProtobufWriter.varintSize(UInt64(outerSize)) + outerSize + 2)
    }

    @Test func packedVarints() throws {
        var w = ProtobufWriter()
        let packed = w.beginMessage(1)
        for v: UInt64 in [1, 150, 3] { w.rawVarint(v) }
        w.endMessage(packed)
        #expect(w.bytes == [0x0A, 0x04, 0x01, 0x96, 0x01, 0x03])
    }

    @Test func varintSizes() {
        #expect(ProtobufWriter.varintSize(0) == 1)
        #expect(ProtobufWriter.varintSize(127) == 1)
        #expect(ProtobufWriter.varintSize(128) == 2)
        #expect(ProtobufWriter.varintSize(UInt64.max) == 10)
    }

    @Test func drainHandsOverEverythingInOrder() {
        var w = ProtobufWriter(capacity: 16)
        var output = OutputBuffer()
        for i in 0..<1_000 {
            w.uint64(1, UInt64(i))
            if w.count > 64 { w.drain(into: &output) }
        }
        w.drain(into: &output)
        var expected = ProtobufWriter()
        for i in 0..<1_000 { expected.uint64(1, UInt64(i)) }
        #expect(output.bytes == expected.bytes)
        #expect(w.count == 0)
    }
}
