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
//   writes the next: the containers reach the output in the order the runs were handed over,
//   at most `CompressionWorker.depth` runs wait, and `complete` returns once every run handed
//   over is in the output. The bytes are the same as deflating in place.
//
// Soundness of the raw pointer: `scratch` is allocated with `scratchCapacity` bytes (at least
// what QuickDeflater may write for the run) and freed in deinit.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

final class PerfettoPacketCompressor {
    /// TracePacket.compressed_packets.
    static let compressedPacketsField: UInt32 = 50

    private let deflater = QuickDeflater()
    private var scratch: UnsafeMutablePointer<UInt8>
    private var scratchCapacity: Int

    /// Deflates on a thread of its own; nil: in place (or no thread could be started).
    private let worker: CompressionWorker?

    /// `parallel`: deflate on a worker thread while the caller goes on.
    init(parallel: Bool = true) {
        scratchCapacity = Self.scratchSize(forRun: ProtobufWriter.drainThreshold + 4096)
        scratch = .allocate(capacity: scratchCapacity)
        worker = parallel ? CompressionWorker() : nil
    }

    deinit {
        worker?.close()
        scratch.deallocate()
    }

    private static func scratchSize(forRun count: Int) -> Int {
        QuickDeflater.maxCompressedSize(count) + QuickDeflater.outputSlack
    }

    /// Writes `packets` (whole `Trace.packet` fields) as one container packet: at once, or with
    /// a worker, by `complete` at the latest.
    func write(_ packets: UnsafeRawBufferPointer, into output: inout OutputBuffer) {
        guard packets.count > 0 else { return }
        if let worker { return worker.submit(packets, into: &output) }
        container(packets) { output.write(bytes: $0) }
    }

    /// Writes every container still with the worker; call after the last `write`.
    func complete(into output: inout OutputBuffer) {
        worker?.complete(into: &output)
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

/// Deflates runs on a thread of its own, in the order they are submitted.
// @unchecked Sendable: `pending`, `done`, `spare`, `working` and `closed` are read and written
// under `mutex` only; `engine` is used on the worker's thread only.
private final class CompressionWorker: @unchecked Sendable {
    /// Runs that may wait for the worker before `submit` blocks.
    static let depth = 2

    private let engine = PerfettoPacketCompressor(parallel: false)
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let changed: UnsafeMutablePointer<pthread_cond_t>
    /// Runs to deflate, oldest first.
    private var pending: [[UInt8]] = []
    /// Containers deflated and not yet written, oldest first (at most `depth + 1`).
    private var done: [[UInt8]] = []
    /// Emptied buffers (capacity kept) for either side to fill.
    private var spare: [[UInt8]] = []
    private var working = false
    private var closed = false

    init?() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        changed = .allocate(capacity: 1)
        changed.initialize(to: pthread_cond_t())
        pthread_cond_init(changed, nil)
        guard startDetachedThread({ [self] in run() }) else { return nil }
    }

    deinit {
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    func submit(_ packets: UnsafeRawBufferPointer, into output: inout OutputBuffer) {
        pthread_mutex_lock(mutex)
        var run = spare.popLast() ?? []
        pthread_mutex_unlock(mutex)
        run.append(contentsOf: packets)
        pthread_mutex_lock(mutex)
        while pending.count >= Self.depth { pthread_cond_wait(changed, mutex) }
        pending.append(run)
        pthread_cond_broadcast(changed)
        let ready = done
        done.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(mutex)
        write(ready, into: &output)
    }

    func complete(into output: inout OutputBuffer) {
        pthread_mutex_lock(mutex)
        while !pending.isEmpty || working { pthread_cond_wait(changed, mutex) }
        let ready = done
        done.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(mutex)
        write(ready, into: &output)
    }

    /// Lets the worker's thread end once what is pending is deflated.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    private func write(_ containers: [[UInt8]], into output: inout OutputBuffer) {
        guard !containers.isEmpty else { return }
        for container in containers { container.withUnsafeBufferPointer { output.write(bytes: $0) } }
        pthread_mutex_lock(mutex)
        for var container in containers where spare.count < 2 * Self.depth + 2 {
            container.removeAll(keepingCapacity: true)
            spare.append(container)
        }
        pthread_mutex_unlock(mutex)
    }

    private func run() {
        pthread_mutex_lock(mutex)
        while true {
            while pending.isEmpty && !closed { pthread_cond_wait(changed, mutex) }
            if pending.isEmpty { break }  // closed and drained
            var packets = pending.removeFirst()
            var container = spare.popLast() ?? []
            working = true
            pthread_mutex_unlock(mutex)
            packets.withUnsafeBytes { raw in engine.container(raw) { container.append(contentsOf: $0) } }
            packets.removeAll(keepingCapacity: true)
            pthread_mutex_lock(mutex)
            working = false
            done.append(container)
            if spare.count < 2 * Self.depth + 2 { spare.append(packets) }
            pthread_cond_broadcast(changed)
        }
        pthread_mutex_unlock(mutex)
    }
}
