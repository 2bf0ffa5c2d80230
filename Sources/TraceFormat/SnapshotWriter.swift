// Writing a snapshot: header, then frames, then the end frame.
//
// Invariants:
// - Frames are written in the order Frame.swift requires; the writer does not reorder. The
//   caller writes strings and stacks before the window state, and events frames sorted by
//   their chunk's base time.
// - Each payload is compressed on its own (one reusable zlib stream) and kept uncompressed when
//   compression would not make it smaller.
// - `finish()` writes the end frame with the totals; a file without it reads as truncated.

package struct SnapshotTotals: Equatable, Sendable {
    package var frames: Int = 0
    var eventsFrames: Int = 0
    package var rawBytes: Int = 0
    package var storedBytes: Int = 0
}

package final class SnapshotWriter {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let deflater: Deflater?
    package private(set) var totals = SnapshotTotals()
    package private(set) var bytesWritten = 0
    private var finished = false

    /// `sink` receives the file's bytes in order. `compressionLevel` 0 stores frames as they are.
    package init(header: SnapshotHeader, compressionLevel: Int32 = 6,
                sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        self.sink = sink
        self.deflater = compressionLevel > 0 ? try Deflater(level: compressionLevel) : nil
        try emit(header.encoded())
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink($0) }
        bytesWritten += bytes.count
    }

    package func writeFrame(_ kind: FrameKind, payload: UnsafeRawBufferPointer) throws {
        precondition(!finished, "frame written after finish()")
        var flags: UInt8 = 0
        var compressed: [UInt8] = []
        if let deflater, payload.count > 64 {
            compressed = try deflater.compress(payload)
            if compressed.count < payload.count { flags = FrameHeader.compressedFlag }
        }
        let write: (UnsafeRawBufferPointer) throws -> Void = { stored in
            let header = FrameHeader.encode(kind: kind.rawValue, flags: flags, stored: stored, rawLength: payload.count)
            try self.emit(header)
            try self.sink(stored)
            self.bytesWritten += stored.count
            self.totals.storedBytes += stored.count + FrameHeader.length
        }
        if flags & FrameHeader.compressedFlag != 0 {
            try compressed.withUnsafeBytes(write)
        } else {
            try write(payload)
        }
        totals.frames += 1
        totals.rawBytes += payload.count
        if kind == .events { totals.eventsFrames += 1 }
    }

    package func writeFrame(_ kind: FrameKind, payload: [UInt8]) throws {
        try payload.withUnsafeBytes { try writeFrame(kind, payload: $0) }
    }

    /// Writes the end frame: frame count and events count so far.
    package func finish(eventCount: Int) throws {
        var w = ByteWriter()
        w.uvarint(totals.frames)
        w.uvarint(eventCount)
        try writeFrame(.end, payload: w.bytes)
        finished = true
    }
}

/// Accumulates a snapshot in memory.
package final class ByteSink: @unchecked Sendable {
    // Sendable is unchecked because the byte array is only mutated by the single writer that
    // owns this sink during `SnapshotWriter`'s lifetime; it is read after writing finished.
    package private(set) var bytes: [UInt8] = []
    package init() {}
    package func append(_ b: UnsafeRawBufferPointer) { bytes.append(contentsOf: b) }
}
