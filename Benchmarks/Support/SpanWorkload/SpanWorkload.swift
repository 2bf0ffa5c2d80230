// The span workload of the tracing benchmarks (TracingBenchmarks, OTelTracingBenchmarks): one
// span as a server's middleware makes it, and the configurations both measure it with.
//
// Invariants:
// - `spans` is inlinable and kept out of line: each benchmark specializes it for the tracer type
//   it passes, as it would be in the benchmark's own module, and the loop is one symbol to
//   profile.
// - Time figures are per span (scalingFactor .kilo: 1,000 spans per iteration).
// - Recording figures are steady state: the recorder's ring is filled once before measuring, so
//   no span pays for the first touch of a chunk's pages (a server pays it once, while its ring
//   first fills).

import Benchmark
import BenchmarkFixtures
import FlightRecorder
import Tracing

/// `count` spans as a server's middleware makes them: start, two attributes, end.
@inlinable @inline(never)
public func spans(_ tracer: some Tracer, count: Int, kind: SpanKind = .server) {
    for _ in 0..<count {
        let span = tracer.startSpan("GET /items/{id}", context: .topLevel, ofKind: kind)
        span.attributes["http.request.method"] = "GET"
        span.attributes["http.response.status_code"] = 200
        span.end()
    }
}

/// `count` request spans as Hummingbird's TracingMiddleware makes them: started as `HTTP GET
/// route not found` with the method and path, renamed to the matched route after the handler,
/// then the route and status set, and ended.
@inlinable @inline(never)
public func renamedRequestSpans(_ tracer: some Tracer, count: Int) {
    for _ in 0..<count {
        let span = tracer.startSpan("HTTP GET route not found", context: .topLevel, ofKind: .server)
        span.attributes["http.request.method"] = "GET"
        span.attributes["url.path"] = "/items/42"
        span.operationName = "/items/{id}"
        span.attributes["http.route"] = "/items/{id}"
        span.attributes["http.response.status_code"] = 200
        span.end()
    }
}

public enum SpanBenchmarks {
    /// The recorder the span benchmarks record into: the last `ringBytes` of records kept.
    public static func makeRecorder() -> FlightRecorder {
        FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: ringBytes))
    }

    /// Sets the default run length and returns the two configurations: nothing recording, and
    /// `recorder` recording (started in setup, stopped in teardown).
    public static func configurations(recording recorder: FlightRecorder)
        -> (notRecording: Benchmark.Configuration, recording: Benchmark.Configuration) {
        Benchmark.defaultConfiguration.maxDuration = .seconds(2)
        Benchmark.defaultConfiguration.maxIterations = 1_000
        let timeTolerance = SharedMachine.timeTolerance
        let metrics = SharedMachine.timeMetrics
        return (Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, thresholds: timeTolerance),
                Benchmark.Configuration(metrics: metrics, scalingFactor: .kilo, thresholds: timeTolerance,
                                        setup: { try recorder.start(); fillRing() }, teardown: { recorder.stop() }))
    }

    /// Logs past `ringBytes` (the recorder's `maxBytes`), so that the ring has wrapped once.
    static func fillRing() {
        let message = String(repeating: "x", count: 1000)
        for _ in 0..<(2 * ringBytes / 1000) { Trace.log(message) }
    }

    static let ringBytes = 16 << 20
}
