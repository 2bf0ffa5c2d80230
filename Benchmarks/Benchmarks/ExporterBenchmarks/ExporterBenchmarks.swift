// The exporters alone: chrome, perfetto, folded, summary, pprof and the flame graph over an in-memory event stream (a synthetic
// snapshot decoded once in setup), writing to /dev/null through OutputBuffer as the CLI does.
// Reported: time per run of 1 M events, events/s and, for chrome and perfetto, output bytes/s.
//
// Invariants:
// - The decoder is out of the figure (EventReplay hands back decoded events); the snapshot
//   decode has its own benchmark in FormatBenchmarks.
// - Rates are per wall-clock second of one run on one thread, as custom metrics (the tool's
//   throughput metric counts runs, not events).
// - Perfetto is measured writing bare packets: its thresholds were recorded before the
//   exporter's default became deflated runs (compressed_packets), whose cost the CLI figures
//   in BENCHMARKS.md include.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Benchmark
import BenchmarkFixtures
import TraceExporters
import TraceModel

let eventsPerSecond = BenchmarkMetric.custom("k events/s", polarity: .prefersLarger, useScalingFactor: false)
let outputMBPerSecond = BenchmarkMetric.custom("output MB/s", polarity: .prefersLarger, useScalingFactor: false)

/// Runs `exporter` over the decoded trace once, into /dev/null; records events/s and MB/s.
func export<E: TraceExporter>(_ exporter: E, _ trace: DecodedTrace, _ benchmark: Benchmark) throws {
    let devNull = open("/dev/null", O_WRONLY)
    precondition(devNull >= 0)
    defer { close(devNull) }
    for _ in benchmark.scaledIterations {
        var exporter = exporter
        var reader = EventReplay(trace)
        var output = OutputBuffer(fileDescriptor: devNull)
        let start = ContinuousClock.now
        try exporter.run(&reader, output: &output)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        benchmark.measurement(eventsPerSecond, Int(Double(trace.events.count) / seconds / 1_000))
        if benchmark.configuration.metrics.contains(outputMBPerSecond) {
            benchmark.measurement(outputMBPerSecond, Int(Double(output.totalBytes) / seconds / 1e6))
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(4)
    Benchmark.defaultConfiguration.maxIterations = 20

    // Shared 2-core VM, other builds running: only a gross regression (2.5x slower) fails.
    let tolerance: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p90: 150]),
        eventsPerSecond: .init(relative: [.p90: 70]),
    ]
    let chromeTolerance = tolerance.merging([outputMBPerSecond: .init(relative: [.p90: 70])]) { a, _ in a }
    // Output rate only for the trace formats: the others write aggregates (a few KB).
    let chromeMetrics: [BenchmarkMetric] = [.wallClock, eventsPerSecond, outputMBPerSecond]
    let metrics: [BenchmarkMetric] = [.wallClock, eventsPerSecond]

    Benchmark("Export.Chrome_1Mevents",
              configuration: .init(metrics: chromeMetrics, warmupIterations: 1, thresholds: chromeTolerance)) { benchmark, trace in
        try export(ChromeTraceExporter(), trace, benchmark)
    } setup: {
        try DecodedTrace(events: 1_000_000)
    }

    Benchmark("Export.Perfetto_1Mevents",
              configuration: .init(metrics: chromeMetrics, warmupIterations: 1, thresholds: chromeTolerance)) { benchmark, trace in
        try export(PerfettoTraceExporter(options: PerfettoOptions(compressed: false)), trace, benchmark)
    } setup: {
        try DecodedTrace(events: 1_000_000)
    }

    Benchmark("Export.Folded_1Mevents",
              configuration: .init(metrics: metrics, warmupIterations: 1, thresholds: tolerance)) { benchmark, trace in
        try export(FoldedStacksExporter(), trace, benchmark)
    } setup: {
        try DecodedTrace(events: 1_000_000)
    }

    Benchmark("Export.Pprof_1Mevents",
              configuration: .init(metrics: metrics, warmupIterations: 1, thresholds: tolerance)) { benchmark, trace in
        try export(PprofExporter(), trace, benchmark)
    } setup: {
        try DecodedTrace(events: 1_000_000)
    }

    Benchmark("Export.FlameGraph_1Mevents",
              configuration: .init(metrics: metrics, warmupIterations: 1, thresholds: tolerance)) { benchmark, trace in
        try export(FlameGraphExporter(), trace, benchmark)
    } setup: {
        try DecodedTrace(events: 1_000_000)
    }

    Benchmark("Export.SummaryJSON_1Mevents",
              configuration: .init(metrics: metrics, warmupIterations: 1, thresholds: tolerance)) { benchmark, trace in
        try export(SummaryExporter(options: SummaryOptions(format: .json)), trace, benchmark)
    } setup: {
        try DecodedTrace(events: 1_000_000)
    }
}
