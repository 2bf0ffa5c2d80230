// Wraps runs of TracePackets in Perfetto's own compression container: one TracePacket whose
// `compressed_packets` field holds the run, Trace-encoded (each packet as `Trace.packet`),
// deflated in zlib format. Trace processors inflate the container and read the packets inside
// in its place, with their sequence state carrying on across containers; this is what
// Perfetto's tracing service writes when a trace config asks for deflate compression.
//
// Invariants:
// - Each run is an independent zlib stream (QuickDeflater): a reader needs no state across
//   containers besides the packets' own.
// - Memory is the deflater's tables and one scratch buffer of the run's worst-case compressed
//   size, grown only when a run is longer than any before (the writer drains runs of about
//   `drainThreshold` bytes).
// - Output depends only on the packets: the deflater is ours, not the system zlib's.
//
// Soundness of the raw pointer: `scratch` is allocated with `scratchCapacity` bytes (at least
// what QuickDeflater may write for the run) and freed in deinit.

import TraceModel

final class PerfettoPacketCompressor {
    /// TracePacket.compressed_packets.
    static let compressedPacketsField: UInt32 = 50

    private let deflater = QuickDeflater()
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int

    init() {
        scratchCapacity = Self.scratchSize(forRun: ProtobufWriter.drainThreshold + 4096)
        scratch = .allocate(capacity: scratchCapacity)
    }

    deinit {
        scratch.deallocate()
    }

    private static func scratchSize(forRun count: Int) -> Int {
        QuickDeflater.maxCompressedSize(count) + QuickDeflater.outputSlack
    }

    /// Writes `packets` (whole `Trace.packet` fields) as one container packet.
    func write(_ packets: UnsafeRawBufferPointer, into output: inout OutputBuffer) {
        guard packets.count > 0 else { return }
        let needed = Self.scratchSize(forRun: packets.count)
        if needed > scratchCapacity {
            scratch.deallocate()
            scratchCapacity = needed
            scratch = .allocate(capacity: needed)
        }
        let compressed = deflater.compress(packets, into: scratch)

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
