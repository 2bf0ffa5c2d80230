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
// - With a worker (the default), runs are deflated on a thread of their own while the exporter
//   writes the next (`BufferWorker`): the containers reach the output in the order the runs
//   were handed over, at most two runs wait, and `complete` returns once every run handed over
//   is in the output. The bytes are the same as deflating in place.
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

    /// Deflates on a thread of its own; nil: in place (or no thread could be started).
    private let worker: BufferWorker?
    /// The run being copied for the worker (recycled from it).
    private var nextRun: [UInt8] = []

    /// `parallel`: deflate on a worker thread while the caller goes on.
    init(parallel: Bool = true) {
        scratchCapacity = Self.scratchSize(forRun: ProtobufWriter.drainThreshold + 4096)
        scratch = .allocate(capacity: scratchCapacity)
        worker = parallel ? Self.deflatingWorker() : nil
    }

    deinit {
        scratch.deallocate()
    }

    /// A worker that turns runs into containers with an in-place compressor of its own.
    private static func deflatingWorker() -> BufferWorker? {
        let engine = WorkerOwned(PerfettoPacketCompressor(parallel: false))
        return BufferWorker(depth: 2) { run, container in
            run.withUnsafeBytes { packets in engine.value.container(packets) { container.append(contentsOf: $0) } }
            return nil
        }
    }

    private static func scratchSize(forRun count: Int) -> Int {
        QuickDeflater.maxCompressedSize(count) + QuickDeflater.outputSlack
    }

    /// Writes `packets` (whole `Trace.packet` fields) as one container packet: at once, or with
    /// a worker, by `complete` at the latest.
    func write(_ packets: UnsafeRawBufferPointer, into output: inout OutputBuffer) {
        guard packets.count > 0 else { return }
        guard let worker else { return container(packets) { output.write(bytes: $0) } }
        nextRun.append(contentsOf: packets)
        // The deflate cannot fail, so neither can the worker.
        guard let (next, containers) = try? worker.submit(nextRun) else { return }
        nextRun = next
        write(containers, of: worker, into: &output)
    }

    /// Writes every container still with the worker; call after the last `write`.
    func complete(into output: inout OutputBuffer) {
        guard let worker, let containers = try? worker.drain() else { return }
        write(containers, of: worker, into: &output)
    }

    private func write(_ containers: [[UInt8]], of worker: BufferWorker, into output: inout OutputBuffer) {
        guard !containers.isEmpty else { return }
        for container in containers { container.withUnsafeBufferPointer { output.write(bytes: $0) } }
        worker.recycle(containers)
    }

    /// Deflates `packets` and hands the container's bytes to `emit` (its header, then its body).
    fileprivate func container(_ packets: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<UInt8>) -> Void) {
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
            emit(UnsafeBufferPointer(start: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: headerCount))
        }
        emit(UnsafeBufferPointer(start: scratch, count: compressed))
    }
}

/// A value only the worker's thread uses after it is handed over.
// @unchecked Sendable: created before the worker starts and used by its thread alone.
private struct WorkerOwned<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
