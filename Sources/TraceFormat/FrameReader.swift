// Reading a snapshot frame by frame, verifying each before handing it out.
//
// Invariants:
// - The header is read and checked at construction: a file that is not a snapshot, a newer
//   major version or a damaged header throws `FormatError` (fatal).
// - `next()` returns each intact frame, decompressed, in file order. Truncation, a CRC
//   mismatch, an impossible length or a payload that does not inflate ends the stream:
//   `next()` returns nil and `damage` names the offset of the damaged frame. Frames before it
//   have all been returned.
// - A stream that ends without an end frame is damage ("cut short").
// - Memory: one frame at a time.

package struct Frame: Sendable {
    package var kind: UInt8
    /// Offset of the frame header in the file.
    package var offset: Int64
    package var payload: [UInt8]
    var storedLength: Int
    package var knownKind: FrameKind? { FrameKind(rawValue: kind) }
}

package struct FrameDamage: Equatable, Sendable {
    package var offset: Int64
    package var message: String
}

package final class FrameReader {
    package let header: SnapshotHeader
    package private(set) var damage: FrameDamage?
    package private(set) var endSeen = false
    /// From the end frame, when seen.
    private(set) var declaredFrames: Int?
    package private(set) var declaredEvents: Int?
    private(set) var framesRead = 0
    package private(set) var storedBytes: Int64 = 0
    package private(set) var rawBytes: Int64 = 0
    private let source: ByteSource
    private let inflater: Inflater

    package init(source: ByteSource) throws {
        self.source = source
        self.inflater = try Inflater()
        let fixed = try source.read(count: SnapshotHeader.fixedLength)
        let (major, minor, length, crc) = try SnapshotHeader.decodeFixed(fixed)
        let fields = try source.read(count: length)
        guard fields.count == length else {
            throw FormatError(offset: SnapshotHeader.fixedLength + fields.count, "file ends inside the header")
        }
        header = try SnapshotHeader.decode(major: major, minor: minor, fields: fields, crc: crc)
        storedBytes = Int64(SnapshotHeader.fixedLength + length)
    }

    package var offset: Int64 { source.offset }

    private func fail(_ at: Int64, _ message: String) -> Frame? {
        damage = FrameDamage(offset: at, message: message)
        return nil
    }

    package func next() throws -> Frame? {
        guard damage == nil, !endSeen else { return nil }
        let at = source.offset
        let headerBytes = try source.read(count: FrameHeader.length)
        if headerBytes.isEmpty {
            return fail(at, "snapshot cut short: no end frame after \(framesRead) frames")
        }
        guard headerBytes.count == FrameHeader.length else {
            return fail(at, "snapshot cut short inside a frame header")
        }
        let fh: FrameHeader
        do { fh = try FrameHeader.decode(headerBytes) } catch let e as FormatError {
            return fail(at + Int64(e.offset), "damaged frame header: \(e.message)")
        }
        let stored = try source.read(count: fh.storedLength)
        guard stored.count == fh.storedLength else {
            return fail(at, "snapshot cut short inside a frame (\(stored.count) of \(fh.storedLength) bytes)")
        }
        guard fh.checks(headerBytes: headerBytes, stored: stored[...]) else {
            return fail(at, "frame checksum mismatch")
        }
        var payload = stored
        if fh.isCompressed {
            do { payload = try inflater.inflate(stored[...], rawLength: fh.rawLength) } catch {
                return fail(at, "frame does not decompress: \(error)")
            }
        }
        framesRead += 1
        storedBytes += Int64(FrameHeader.length + fh.storedLength)
        rawBytes += Int64(fh.rawLength)
        if fh.kind == FrameKind.end.rawValue {
            var c = ByteCursor(payload)
            declaredFrames = try? c.count(limit: Int.max)
            declaredEvents = try? c.count(limit: Int.max)
            endSeen = true
        }
        return Frame(kind: fh.kind, offset: at, payload: payload, storedLength: fh.storedLength)
    }

    /// Records damage found while decoding a frame's content.
    package func markDamaged(offset: Int64, message: String) {
        if damage == nil { damage = FrameDamage(offset: offset, message: message) }
    }
}
