// Snapshot format: how fast records encode, how fast a snapshot decodes into the event model,
// and how small it is (bytes per event after compression).

import Benchmark
import SyntheticTraces
import TraceFormat
import TraceModel
import TraceReaders

/// A synthetic server workload of about `events` records, as a compressed snapshot in memory.
func syntheticSnapshot(events: Int) throws -> (bytes: [UInt8], events: Int) {
    let out = SnapshotAssembler(chunkBytes: 64 << 10)
    var rng = SeededRandom(seed: 42)
    let names = (0..<8).map { out.id("region \($0)") }
    let reason = out.id("db query")
    out.header = Scenarios.baseHeader(chunkBytes: 64 << 10)
    var t: UInt64 = 1_000
    var task: UInt64 = 1
    while out.eventCount < events {
        let thread = 100 + rng.next() % 4
        let name = names[Int(rng.next() % 8)]
        let id = task
        task += 1
        out.record(thread: thread, at: t) { $0.taskCreated(at: t, task: id, parent: 0, name: .id(name), group: .id(name)) }
        out.record(thread: thread, at: t) { $0.taskRunnable(at: t, task: id) }
        t += rng.next(in: 500...5_000)
        out.record(thread: thread, at: t) { $0.taskRunning(at: t, task: id) }
        out.record(thread: thread, at: t) { $0.regionBegin(at: t, task: id, name: name) }
        t += rng.next(in: 200...2_000)
        out.record(thread: thread, at: t) { $0.taskBlocked(at: t, task: id, reason: reason) }
        t += rng.next(in: 1_000...9_000)
        out.record(thread: thread, at: t) { $0.taskRunnable(at: t, task: id) }
        out.record(thread: thread, at: t) { $0.taskRunning(at: t, task: id) }
        out.record(thread: thread, at: t) { $0.regionEnd(at: t, task: id, name: name) }
        t += rng.next(in: 100...900)
        out.record(thread: thread, at: t) { $0.taskEnded(at: t, task: id) }
    }
    return (try out.snapshotBytes(), out.eventCount)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)

    // Encoding: the record encoders the recorder's hot path uses, into raw memory.
    Benchmark("Encode region begin+end into raw memory",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   scalingFactor: .mega)) { benchmark in
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64 << 10)
        defer { buffer.deallocate() }
        var p = buffer
        for i in benchmark.scaledIterations {
            if p - buffer > (64 << 10) - 64 { p = buffer }
            p = EventRecord.regionBegin(dt: UInt64(i & 255), task: 7, nameRef: 10, stack: 0, at: p)
            p = EventRecord.regionEnd(dt: 40, task: 7, nameRef: 10, at: p)
        }
        blackHole(p)
    }

    // Decoding: a 1 M-event snapshot through SnapshotTraceReader (inflate, merge, map).
    Benchmark("Decode snapshot into events (1M events)",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                   scalingFactor: .one, maxIterations: 5)) { benchmark, input in
        for _ in benchmark.scaledIterations {
            var reader = try SnapshotTraceReader(bytes: input.bytes)
            var n = 0
            while let e = try reader.next() {
                n += 1
                blackHole(e)
            }
            precondition(n >= input.events)
        }
    } setup: {
        try syntheticSnapshot(events: 1_000_000)
    }

    // Size: bytes per event after compression, as a custom metric (lower is better).
    Benchmark("Snapshot size (bytes per event x100)",
              configuration: .init(metrics: [.custom("bytes/event x100", polarity: .prefersSmaller, useScalingFactor: false)],
                                   maxIterations: 1)) { benchmark in
        let (bytes, events) = try syntheticSnapshot(events: 200_000)
        benchmark.measurement(.custom("bytes/event x100"), bytes.count * 100 / events)
    }
}
