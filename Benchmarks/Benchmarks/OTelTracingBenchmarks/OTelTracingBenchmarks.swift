// What the flight recorder adds to a span beside swift-otel's tracer (FlightRecorderTracer
// (wrapping:) around the tracer `OTel.makeTracingBackend` makes): per span as a server's
// middleware makes it (start, two attributes, end), swift-otel alone, then wrapped while nothing
// records and while a recorder records.
//
// Invariants:
// - The backend always samples; its services (batch span processor, exporter) run in the
//   background for the whole process and export to no exporter, so the figures are the caller's
//   side of a production setup plus what the processor's task takes from the other core.
// - swift-otel alone is measured twice: called as its own type (specialized) and as `any
//   Tracer`, as `InstrumentationSystem.tracer` hands it to instrumented code.
// - The workload and configurations are SpanWorkload's, shared with TracingBenchmarks; time
//   figures are per span.

import Benchmark
import FlightRecorder
import FlightRecorderTracing
import Logging
import OTel
import ServiceLifecycle
import SpanWorkload
import Tracing

let recorder = SpanBenchmarks.makeRecorder()

/// swift-otel's tracing backend as `OTel.makeTracingBackend` makes it: always sampling, no
/// exporter.
func makeOTelBackend() -> (factory: some Tracer, service: some Service) {
    var configuration = OTel.Configuration.default
    configuration.serviceName = "tracexport-benchmarks"
    configuration.traces.sampler = .alwaysOn
    configuration.traces.exporter = .none
    configuration.metrics.enabled = false
    configuration.logs.enabled = false
    configuration.diagnosticLogLevel = .error
    do {
        return try OTel.makeTracingBackend(configuration: configuration)
    } catch {
        fatalError("swift-otel's tracing backend: \(error)")
    }
}

let benchmarks: @Sendable () -> Void = {
    let (notRecording, recording) = SpanBenchmarks.configurations(recording: recorder)

    // The backend's services (processor, exporter) run in the background for the rest of the
    // process: the tracer hands every finished span to them.
    let otel = makeOTelBackend()
    let service = otel.service
    Task.detached {
        let group = ServiceGroup(services: [service], logger: Logger(label: "otel", factory: { _ in SwiftLogNoOpLogHandler() }))
        try? await group.run()
    }
    let tracer = otel.factory
    // What instrumented code calls: `InstrumentationSystem.tracer` is an `any Tracer`, so a
    // bootstrapped tracer's span calls are not specialized for its type (nor are a wrapper's).
    let bootstrapped: any Tracer = tracer
    let wrapping = FlightRecorderTracer(wrapping: tracer)

    Benchmark("OTelSpan.1_OTelTracerAlone", configuration: notRecording) { benchmark in
        spans(tracer, count: benchmark.scaledIterations.count)
    }
    Benchmark("OTelSpan.4_OTelTracerAlone_asAnyTracer", configuration: notRecording) { benchmark in
        spans(bootstrapped, count: benchmark.scaledIterations.count)
    }
    Benchmark("OTelSpan.2_WrappingOTel_NotRecording", configuration: notRecording) { benchmark in
        spans(wrapping, count: benchmark.scaledIterations.count)
    }
    Benchmark("OTelSpan.3_WrappingOTel_Recording", configuration: recording) { benchmark in
        spans(wrapping, count: benchmark.scaledIterations.count)
    }
}
