// Bounds-checked reading of one in-memory payload (a frame's content).
//
// Invariants:
// - Every read checks the remaining length first and throws `FormatError` instead of reading
//   past the end; nothing here can trap on any input.
// - `offset` counts bytes consumed from the start of the payload, for error messages.

package struct FormatError: Error, Equatable, CustomStringConvertible {
    /// Offset within the payload (or file, for framing errors) where decoding failed.
    package var offset: Int
    package var message: String
    package init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }
    package var description: String { "offset \(offset): \(message)" }
}

struct ByteCursor {
    let bytes: [UInt8]
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    @inline(__always)
    mutating func byte() throws -> UInt8 {
        guard offset < end else { throw FormatError(offset: offset, "unexpected end of data") }
        let b = bytes[offset]
        offset += 1
        return b
    }

    @inline(__always)
    mutating func uvarint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < end else { throw FormatError(offset: start, "truncated varint") }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { throw FormatError(offset: start, "varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { throw FormatError(offset: start, "varint longer than 10 bytes") }
        }
    }

    @inline(__always)
    mutating func svarint() throws -> Int64 {
        Varint.unzigzag(try uvarint())
    }

    /// A uvarint that must fit in `Int` and be at most `limit` (lengths, counts).
    @inline(__always)
    mutating func count(limit: Int) throws -> Int {
        let start = offset
        let v = try uvarint()
        guard v <= UInt64(limit) else {
            throw FormatError(offset: start, "length \(v) exceeds limit \(limit)")
        }
        return Int(v)
    }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else {
            throw FormatError(offset: offset, "length \(n) runs past the end (\(remaining) bytes left)")
        }
        let slice = bytes[offset..<offset + n]
        offset += n
        return slice
    }

    mutating func skip(_ n: Int) throws {
        guard n >= 0, n <= remaining else {
            throw FormatError(offset: offset, "length \(n) runs past the end (\(remaining) bytes left)")
        }
        offset += n
    }

    /// A length-prefixed UTF-8 string (invalid UTF-8 is repaired, not refused).
    mutating func string(limit: Int = 1 << 20) throws -> String {
        let n = try count(limit: limit)
        let s = try bytes(n)
        return String(decoding: s, as: UTF8.self)
    }

    mutating func uint32LE() throws -> UInt32 {
        let s = try bytes(4)
        var v: UInt32 = 0
        for (i, b) in s.enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }

    mutating func uint64LE() throws -> UInt64 {
        let s = try bytes(8)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    mutating func float64LE() throws -> Double {
        Double(bitPattern: try uint64LE())
    }
}
