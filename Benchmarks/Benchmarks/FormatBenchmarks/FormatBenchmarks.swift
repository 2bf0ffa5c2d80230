// Snapshot format: how fast records encode, how fast a snapshot decodes into the event model,
// and how small it is (bytes per event after compression).

import Benchmark
import Foundation
import BenchmarkFixtures
@_spi(Benchmarks) import TraceFormat
import TraceModel
import TraceReaders

let bytesPerEvent = BenchmarkMetric.custom("bytes/event x100", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)
    // Tolerances for `thresholds check` on a noisy shared 2-core VM (other builds running): only
    // a gross regression (2.5x slower) fails; the size is deterministic (fixed seed) and may not move by more than 5%.
    let timeTolerance: BenchmarkThresholds = .init(relative: [.p90: 150])
    let rateTolerance: BenchmarkThresholds = .init(relative: [.p90: 70])

    // Encoding: the record encoders the recorder's hot path uses, into raw memory.
    Benchmark("Format.EncodeRegionPair_rawMemory",
              configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                   scalingFactor: .mega,
                                   thresholds: [.wallClock: timeTolerance, .throughput: rateTolerance,
                                                .mallocCountTotal: .init(absolute: [.p90: 0])])) { benchmark in
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 64 << 10)
        defer { buffer.deallocate() }
        var p = buffer
        for i in benchmark.scaledIterations {
            if p - buffer > (64 << 10) - 64 { p = buffer }
            p = EncodingBenchmarkSupport.regionBegin(dt: UInt64(i & 255), task: 7, nameRef: 10, stack: 0, at: p)
            p = EncodingBenchmarkSupport.regionEnd(dt: 40, task: 7, nameRef: 10, at: p)
        }
        blackHole(p)
    }

    // Decoding: a 1 M-event snapshot through SnapshotTraceReader (inflate, merge, map).
    Benchmark("Format.DecodeSnapshot_1Mevents",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                   scalingFactor: .one, maxIterations: 5,
                                   thresholds: [.wallClock: timeTolerance, .throughput: rateTolerance,
                                                .peakMemoryResident: .init(relative: [.p90: 30])])) { benchmark, input in
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

    // The same decoding with reading ahead: frames are read, inflated, decoded and merged on a
    // second thread while this one maps. Wall time falls when a second core is free; the
    // CPU time of both threads together is about that of one (docs/performance-notes.md).
    Benchmark("Format.DecodeSnapshot_1Mevents_readAhead",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                   scalingFactor: .one, maxIterations: 5,
                                   thresholds: [.wallClock: timeTolerance, .throughput: rateTolerance,
                                                .peakMemoryResident: .init(relative: [.p90: 30])])) { benchmark, input in
        for _ in benchmark.scaledIterations {
            var reader = try SnapshotTraceReader(bytes: input.bytes, readAhead: true)
            precondition(reader.isReadingAhead)
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

    // Go traces: the committed ping-server trace (about 3 k events: goroutines, syscalls, network
    // waits, user regions) read 200 times per iteration through GoTraceReader (batches,
    // cross-M ordering, the state machine). Bytes are in memory: this is the reader, not I/O.
    Benchmark("Format.ReadGoTrace_pingserver_x200",
              configuration: .init(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                   scalingFactor: .one, maxIterations: 10,
                                   thresholds: [.wallClock: timeTolerance, .throughput: rateTolerance,
                                                .peakMemoryResident: .init(relative: [.p90: 30])])) { benchmark, bytes in
        for _ in benchmark.scaledIterations {
            var n = 0
            for _ in 0..<200 {
                var reader = try GoTraceReader(bytes: bytes, name: "trace.1.out")
                while let e = try reader.next() {
                    n += 1
                    blackHole(e)
                }
            }
            precondition(n > 200_000)
        }
    } setup: {
        try goFixture("pingserver/trace.1.out")
    }

    // Size: bytes per event after compression, as a custom metric (lower is better).
    Benchmark("Format.SnapshotSize_bytesPerEventX100",
              configuration: .init(metrics: [bytesPerEvent],
                                   maxIterations: 1,
                                   thresholds: [bytesPerEvent: .init(relative: [.p90: 5])])) { benchmark in
        let (bytes, events) = try syntheticSnapshot(events: 200_000)
        benchmark.measurement(bytesPerEvent, bytes.count * 100 / events)
    }
}

/// A committed Go trace fixture (Fixtures/go/...), read whole.
private func goFixture(_ path: String) throws -> [UInt8] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try [UInt8](Data(contentsOf: root.appendingPathComponent("Fixtures/go/" + path)))
}
