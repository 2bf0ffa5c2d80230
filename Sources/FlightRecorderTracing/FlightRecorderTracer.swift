// A swift-distributed-tracing backend that records spans into the flight recorder, so spans
// that instrumented libraries already emit (Hummingbird's TracingMiddleware, AsyncHTTPClient,
// postgres-nio) appear in snapshots beside task scheduling.
//
// Invariants:
// - `InstrumentationSystem.bootstrap(FlightRecorderTracer())` is all it takes; spans are written
//   only while a FlightRecorder records (FlightRecorderSpan says what is written).
// - Context propagation is W3C trace context: `inject` writes `traceparent` for the context's
//   span; `extract` reads `traceparent` and makes the remote span the parent of the next span
//   started in that context (same trace id). Malformed headers are ignored.
// - `forceFlush` does nothing: records are in the recorder's ring as soon as a span ends.

#if Tracing
import Tracing

public struct FlightRecorderTracer: Tracer {
    public typealias Span = FlightRecorderSpan

    public static let traceparentHeader = "traceparent"

    public init() {}

    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> FlightRecorderSpan {
        let parentContext = context()
        let spanContext = FlightRecorderSpanContext.child(of: parentContext.flightRecorderSpanContext)
        return FlightRecorderSpan(operationName: operationName, kind: kind, context: parentContext,
                                  spanContext: spanContext,
                                  startNanosecondsSinceEpoch: instant().nanosecondsSinceEpoch)
    }

    public func forceFlush() {}

    public func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                                  using injector: Inject) where Inject.Carrier == Carrier {
        guard let span = context.flightRecorderSpanContext else { return }
        injector.inject(span.traceparent, forKey: Self.traceparentHeader, into: &carrier)
    }

    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                                     using extractor: Extract) where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: Self.traceparentHeader, from: carrier),
              let remote = FlightRecorderSpanContext(traceparent: header) else { return }
        context.flightRecorderSpanContext = remote
    }
}
#endif
