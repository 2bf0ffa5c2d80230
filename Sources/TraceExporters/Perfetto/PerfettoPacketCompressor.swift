// Wraps runs of TracePackets in Perfetto's own compression container: one TracePacket whose
// `compressed_packets` field holds the run, Trace-encoded (each packet as `Trace.packet`),
// deflated in zlib format. Trace processors inflate the container and read the packets inside
// in its place, with their sequence state carrying on across containers; this is what
// Perfetto's tracing service writes when a trace config asks for deflate compression.
//
// Invariants:
// - Each run is an independent zlib stream (the stream is reset, not reallocated, per run):
//   a reader needs no state across containers besides the packets' own.
// - Memory is the z_stream and one scratch buffer of deflateBound(run) bytes, grown only when a
//   run is longer than any before (the writer drains runs of about `drainThreshold` bytes).
// - Output is deterministic for a given zlib build and input (the golden sizes are counted on
//   the inflated packets, so they do not depend on the zlib version).
//
// Soundness of the raw pointers: the z_stream is allocated once and never moves (zlib keeps a
// pointer back to it); `next_in` is typed mutable by zlib's C API but deflate only reads
// through it; `next_out` points into `scratch`, allocated with `scratchCapacity` bytes and
// freed in deinit.

import CZlib
import TraceModel

final class PerfettoPacketCompressor {
    /// TracePacket.compressed_packets.
    static let compressedPacketsField: UInt32 = 50

    private let stream: UnsafeMutablePointer<z_stream>
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int

    /// `level`: zlib's 1 (fastest) to 9; 1 already shrinks the packets about fourfold, the
    /// higher levels cost several times the CPU for a fifth more.
    init(level: Int32 = 1) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let rc = tx_deflateInit(stream, level)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw GzipError(description: "perfetto: deflateInit failed (\(rc))")
        }
        scratchCapacity = Int(deflateBound(stream, uLong(ProtobufWriter.drainThreshold + 4096)))
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        scratch.deallocate()
    }

    /// Writes `packets` (whole `Trace.packet` fields) as one container packet.
    func write(_ packets: UnsafeRawBufferPointer, into output: inout OutputBuffer) throws {
        guard let start = packets.baseAddress, packets.count > 0 else { return }
        let bound = Int(deflateBound(stream, uLong(packets.count)))
        if bound > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = bound
            scratch = .allocate(capacity: bound)
        }
        guard deflateReset(stream) == Z_OK else { throw GzipError(description: "perfetto: deflateReset failed") }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: start.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(packets.count)
        stream.pointee.next_out = scratch
        stream.pointee.avail_out = uInt(scratchCapacity)
        // deflateBound guarantees one call finishes the stream.
        let rc = deflate(stream, Z_FINISH)
        guard rc == Z_STREAM_END else { throw GzipError(description: "perfetto: deflate failed (\(rc))") }
        let compressed = scratchCapacity - Int(stream.pointee.avail_out)

        // Trace.packet { compressed_packets: <compressed> }: the two keys and lengths.
        var header: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: two keys, two varints
        let fieldKey = UInt64(Self.compressedPacketsField) << 3 | ProtobufWriter.WireType.lengthDelimited.rawValue
        let packetLength = ProtobufWriter.varintSize(fieldKey) + ProtobufWriter.varintSize(UInt64(compressed)) + compressed
        let headerCount = withUnsafeMutableBytes(of: &header) { raw -> Int in
            var n = 0
            func put(_ value: UInt64) {
                var v = value
                while v >= 0x80 {
                    raw[n] = UInt8(truncatingIfNeeded: v) | 0x80
                    n += 1
                    v >>= 7
                }
                raw[n] = UInt8(truncatingIfNeeded: v)
                n += 1
            }
            put(UInt64(PerfettoField.tracePacket) << 3 | ProtobufWriter.WireType.lengthDelimited.rawValue)
            put(UInt64(packetLength))
            put(fieldKey)
            put(UInt64(compressed))
            return n
        }
        withUnsafeBytes(of: &header) { raw in
            output.write(bytes: UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self),
                                                    count: headerCount))
        }
        output.write(bytes: UnsafeBufferPointer(start: scratch, count: compressed))
    }
}
