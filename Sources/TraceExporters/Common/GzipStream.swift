// gzip (RFC 1952) of everything written to it, compressed into an OutputBuffer as it goes.
//
// Invariants:
// - Memory is one zlib stream and one fixed chunk: input is compressed as it arrives, and each
//   full chunk of compressed bytes goes straight to the output.
// - The header carries no name and a zero modification time, so equal input gives equal
//   bytes (goldens, reproducible files).
// - `finish` writes the trailer (CRC-32, size); nothing may be written after it.
//
// Soundness of the raw pointers: the z_stream is allocated once and never moves (zlib keeps a
// pointer back to it and checks it on every call); `next_in` is typed mutable by zlib's C API
// but deflate only reads through it; `next_out` points into `chunk`, which lives as long as
// the stream and is only read after deflate returns.

import CZlib
import TraceModel

struct GzipError: Error, CustomStringConvertible {
    var description: String
}

final class GzipStream {
    private let stream: UnsafeMutablePointer<z_stream>
    private var chunk: [UInt8]
    private var finished = false

    init(level: Int32 = 6, chunkBytes: Int = 1 << 16) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        chunk = Array(repeating: 0, count: chunkBytes)
        let rc = tx_deflateInitGzip(stream, level)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw GzipError(description: "gzip: deflateInit failed (\(rc))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func write(_ bytes: UnsafeRawBufferPointer, into output: inout OutputBuffer) throws {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        precondition(!finished, "GzipStream written after finish")
        stream.pointee.next_in = UnsafeMutablePointer(mutating: start.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(bytes.count)
        while stream.pointee.avail_in > 0 {
            try deflateChunk(flush: Z_NO_FLUSH, into: &output)
        }
    }

    func finish(into output: inout OutputBuffer) throws {
        guard !finished else { return }
        finished = true
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while try deflateChunk(flush: Z_FINISH, into: &output) != Z_STREAM_END {}
    }

    @discardableResult
    private func deflateChunk(flush: Int32, into output: inout OutputBuffer) throws -> Int32 {
        let produced: Int
        let rc: Int32
        (rc, produced) = chunk.withUnsafeMutableBufferPointer { buffer in
            stream.pointee.next_out = buffer.baseAddress
            stream.pointee.avail_out = uInt(buffer.count)
            let rc = deflate(stream, flush)
            return (rc, buffer.count - Int(stream.pointee.avail_out))
        }
        guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
            throw GzipError(description: "gzip: deflate failed (\(rc))")
        }
        if produced > 0 {
            chunk.withUnsafeBufferPointer { output.write(bytes: UnsafeBufferPointer(rebasing: $0[..<produced])) }
            try output.flushIfNeeded()
        }
        return rc
    }
}
