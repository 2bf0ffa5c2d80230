// Building payloads in memory: headers, string and stack tables, window state, fixtures.
// (The recorder's hot path writes records straight into its chunk memory with `EventRecord`'s
// pointer encoders instead; both produce the same bytes.)
//
// Invariant: every integer is written with the encodings `Schemas/snapshot-format.md` names
// (uvarint, zigzag svarint, little-endian fixed width).

struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func uvarint(_ v: UInt64) { Varint.append(v, to: &bytes) }
    mutating func uvarint(_ v: Int) { Varint.append(UInt64(max(0, v)), to: &bytes) }
    mutating func svarint(_ v: Int64) { Varint.append(Varint.zigzag(v), to: &bytes) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            uvarint(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func raw(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }

    mutating func uint16LE(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }

    mutating func uint32LE(_ v: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }

    mutating func uint64LE(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    mutating func float64LE(_ v: Double) { uint64LE(v.bitPattern) }
}
