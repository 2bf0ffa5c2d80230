// What the flight recorder adds to a span when it runs beside another tracer
// (FlightRecorderTracer(wrapping:)): per span as a server's middleware makes it (start, two
// attributes, end), the other tracer alone, then wrapped while nothing records and while a
// recorder records; and the flight recorder's own tracer alone, recording.
//
// Invariants:
// - The wrapped tracer is W3CTracer (W3CTracer.swift): what a production tracer does on the
//   caller's thread (random W3C ids, a locked span, the finished span handed to a bounded export
//   buffer), with no export, so the figures are the caller's cost.
// - Time figures are per span (scalingFactor .kilo: 1,000 spans per iteration).

import Benchmark
import FlightRecorder
import FlightRecorderTracing
import Tracing

let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20))

/// `count` spans as a server's middleware makes them: start, two attributes, end.
@inline(never)
func spans(_ tracer: some Tracer, count: Int, kind: SpanKind = .server) {
    for _ in 0..<count {
        let span = tracer.startSpan("GET /items/{id}", context: .topLevel, ofKind: kind)
        span.attributes["http.request.method"] = "GET"
        span.attributes["http.response.status_code"] = 200
        span.end()
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 1_000

    // Per-span time on a shared 2-core VM moves 2-3x between runs: only a gross regression fails.
    let timeTolerance: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p90: 200]),
        .throughput: .init(relative: [.p90: 75]),
    ]
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput]
    let notRecording = Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, thresholds: timeTolerance)
    let recording = Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, thresholds: timeTolerance,
                                            setup: { try recorder.start() }, teardown: { recorder.stop() })

    let w3c = W3CTracer()
    let wrapping = FlightRecorderTracer(wrapping: w3c)

    Benchmark("Span.1_W3CTracerAlone", configuration: notRecording) { benchmark in
        spans(w3c, count: benchmark.scaledIterations.count)
    }
    // As `InstrumentationSystem.tracer` hands a bootstrapped tracer to instrumented code.
    let bootstrapped: any Tracer = w3c
    Benchmark("Span.6_W3CTracerAlone_asAnyTracer", configuration: notRecording) { benchmark in
        spans(bootstrapped, count: benchmark.scaledIterations.count)
    }
    Benchmark("Span.2_WrappingW3C_NotRecording", configuration: notRecording) { benchmark in
        spans(wrapping, count: benchmark.scaledIterations.count)
    }
    // The same through `any Tracer`: the span is then boxed in `any Span` as instrumented code
    // sees it.
    let bootstrappedWrapping: any Tracer = wrapping
    Benchmark("Span.7_WrappingW3C_NotRecording_asAnyTracer", configuration: notRecording) { benchmark in
        spans(bootstrappedWrapping, count: benchmark.scaledIterations.count)
    }
    Benchmark("Span.3_WrappingW3C_Recording", configuration: recording) { benchmark in
        spans(wrapping, count: benchmark.scaledIterations.count)
    }
    Benchmark("Span.4_WrappingW3C_Recording_internalKind", configuration: recording) { benchmark in
        spans(wrapping, count: benchmark.scaledIterations.count, kind: .internal)
    }
    Benchmark("Span.5_FlightRecorderAlone_Recording", configuration: recording) { benchmark in
        spans(FlightRecorderTracer(), count: benchmark.scaledIterations.count)
    }
}
