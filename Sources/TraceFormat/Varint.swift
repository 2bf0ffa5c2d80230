// LEB128 variable-length integers, the encoding of every integer field in the format.
//
// Invariants:
// - Unsigned values use 7 bits a byte, low bits first, high bit set on every byte but the last;
//   at most 10 bytes for a UInt64. Readers accept non-minimal encodings (padding), and refuse an
//   11th byte or bits beyond 64.
// - Signed values are zigzag-mapped first (0, -1, 1, -2 -> 0, 1, 2, 3).
// - Writers never fail: callers guarantee `maxLength` bytes of room before writing.

@usableFromInline package enum Varint {
    /// Bytes a UInt64 can take at most.
    @inlinable package static var maxLength: Int { 10 }

    @inlinable @inline(__always)
    package static func zigzag(_ v: Int64) -> UInt64 {
        UInt64(bitPattern: (v << 1) ^ (v >> 63))
    }

    @inlinable @inline(__always)
    static func unzigzag(_ v: UInt64) -> Int64 {
        Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    /// Writes `value` at `p` and returns the position after it.
    @inlinable @inline(__always)
    package static func write(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var v = value
        var q = p
        while v >= 0x80 {
            q.pointee = UInt8(truncatingIfNeeded: v) | 0x80
            q += 1
            v >>= 7
        }
        q.pointee = UInt8(truncatingIfNeeded: v)
        return q + 1
    }

    /// Bytes `write` takes for `value`: one per started group of 7 significant bits (0 has one).
    @inlinable @inline(__always)
    package static func length(of value: UInt64) -> Int {
        // No loop: a time in ns since the epoch takes nine bytes, nine rounds of one.
        (70 - (value | 1).leadingZeroBitCount) / 7
    }

    /// Appends `value` to a byte array.
    @inlinable
    package static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
}
