// Frames: the chunks of a snapshot's body. Each is compressed and checksummed on its own, so a
// reader holds one frame at a time and keeps every frame before a damaged one.
//
// Invariants:
// - A frame is a 16-byte header (kind, flags, reserved, stored length, raw length, CRC-32)
//   then `storedLength` bytes. The CRC covers header bytes 0-11 and the stored bytes.
// - Frames appear in this order: strings, stacks, window state, events (ascending by their
//   first event's time), end. A string or stack is defined before any frame that uses it.
// - The end frame is last; a file without one was cut short.
// - Payloads are at most `maxPayload` bytes stored and raw; larger lengths are damage.

package enum FrameKind: UInt8, Sendable {
    case strings = 1
    case stacks = 2
    case windowState = 3
    case events = 4
    case end = 0xFF
}

struct FrameHeader: Equatable, Sendable {
    static let length = 16
    static let maxPayload = 64 << 20
    static let compressedFlag: UInt8 = 1

    var kind: UInt8
    var flags: UInt8
    var storedLength: Int
    var rawLength: Int
    var crc: UInt32

    var isCompressed: Bool { flags & Self.compressedFlag != 0 }

    /// Encodes a header for `stored` bytes, computing the CRC.
    static func encode(kind: UInt8, flags: UInt8, stored: UnsafeRawBufferPointer, rawLength: Int) -> [UInt8] {
        var w = ByteWriter(capacity: length)
        w.byte(kind)
        w.byte(flags)
        w.uint16LE(0)
        w.uint32LE(UInt32(stored.count))
        w.uint32LE(UInt32(rawLength))
        let crc = w.bytes.withUnsafeBytes { Checksum.crc32(stored, seed: Checksum.crc32($0)) }
        w.uint32LE(crc)
        return w.bytes
    }

    /// Decodes the 16 header bytes (not yet checking the CRC, which needs the payload).
    static func decode(_ b: [UInt8]) throws -> FrameHeader {
        var c = ByteCursor(b)
        let kind = try c.byte()
        let flags = try c.byte()
        _ = try c.byte()
        _ = try c.byte()
        let stored = Int(try c.uint32LE())
        let raw = Int(try c.uint32LE())
        let crc = try c.uint32LE()
        guard flags & ~compressedFlag == 0 else {
            throw FormatError(offset: 1, "unknown frame flags 0x\(String(flags, radix: 16))")
        }
        guard stored <= maxPayload, raw <= maxPayload else {
            throw FormatError(offset: 4, "frame length \(max(stored, raw)) exceeds \(maxPayload)")
        }
        if flags & compressedFlag == 0 && stored != raw {
            throw FormatError(offset: 4, "uncompressed frame with stored length \(stored) != raw length \(raw)")
        }
        return FrameHeader(kind: kind, flags: flags, storedLength: stored, rawLength: raw, crc: crc)
    }

    /// Whether `stored` matches the CRC, given the header's own first 12 bytes.
    func checks(headerBytes: [UInt8], stored: ArraySlice<UInt8>) -> Bool {
        let seed = headerBytes.withUnsafeBytes { Checksum.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<12])) }
        return Checksum.crc32(stored, seed: seed) == crc
    }
}
