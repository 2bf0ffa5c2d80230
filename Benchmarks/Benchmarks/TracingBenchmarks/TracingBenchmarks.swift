// What the flight recorder adds to a span when it runs beside another tracer
// (FlightRecorderTracer(wrapping:)): per span as a server's middleware makes it (start, two
// attributes, end), the other tracer alone, then wrapped while nothing records and while a
// recorder records; and the flight recorder's own tracer alone, recording, also with request
// spans renamed to their route as Hummingbird's TracingMiddleware renames them.
//
// Invariants:
// - The wrapped tracer is W3CTracer (W3CTracer.swift): what a production tracer does on the
//   caller's thread (random W3C ids, a locked span, the finished span handed to a bounded export
//   buffer), with no export, so the figures are the caller's cost.
// - The workload and configurations are SpanWorkload's, shared with OTelTracingBenchmarks; time
//   figures are per span.

import Benchmark
import FlightRecorder
import FlightRecorderTracing
import SpanWorkload
import Tracing

let recorder = SpanBenchmarks.makeRecorder()

let benchmarks: @Sendable () -> Void = {
    let (notRecording, recording) = SpanBenchmarks.configurations(recording: recorder)

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
    // A request span as Hummingbird's TracingMiddleware makes it: renamed to its route, which
    // names its task again (`GET /items/{id}`).
    Benchmark("Span.8_FlightRecorderAlone_Recording_renamedRequest", configuration: recording) { benchmark in
        renamedRequestSpans(FlightRecorderTracer(), count: benchmark.scaledIterations.count)
    }
}
