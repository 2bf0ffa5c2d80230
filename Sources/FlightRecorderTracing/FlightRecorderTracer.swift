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
// - `FlightRecorderTracer(wrapping: other)` runs beside another tracer (swift-otel's, or any):
//   every span is started, changed and ended on `other` as well, propagation (`inject`,
//   `extract`) is `other`'s (`forceFlush`, deprecated by swift-distributed-tracing, is not
//   forwarded: `other` flushes through its own service on shutdown), and the recorded spans carry `other`'s trace and
//   span ids (FlightRecorderSpan says how), so a span in a snapshot and the same span in the
//   tracing backend can be matched.

#if Tracing
import FlightRecorder
import Tracing

public struct FlightRecorderTracer: Tracer {
    public typealias Span = FlightRecorderSpan

    public static let traceparentHeader = "traceparent"

    /// What spans are forwarded to; nil when the flight recorder is the only tracer.
    @usableFromInline let wrapped: SpanForwarder?

    /// The flight recorder as the only tracer: ids and W3C propagation of its own.
    public init() {
        wrapped = nil
    }

    /// The flight recorder beside `tracer`: every span goes to `tracer` too, with its ids.
    public init(wrapping tracer: some Tracing.Tracer) {
        wrapped = SpanForwarder(tracer)
    }

    // Inlinable: a wrapped span started while nothing records is the wrapped tracer's start and
    // two stored references, so the caller calls the wrapped tracer's start itself.
    @inlinable
    public func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> FlightRecorderSpan {
        guard let wrapped else {
            return FlightRecorderSpan(operationName: operationName, kind: kind, context: context(),
                                      startNanosecondsSinceEpoch: instant().nanosecondsSinceEpoch)
        }
        let start = EpochInstant(instant())
        guard Trace.isRecording else {
            let span = wrapped.startSpan(operationName, context(), kind, start, function, fileID, line)
            return FlightRecorderSpan(kind: kind, wrapped: WrappedSpan(forwarder: wrapped, span: span),
                                      startNanosecondsSinceEpoch: start.nanosecondsSinceEpoch)
        }
        let (span, identity) = wrapped.startIdentifiedSpan(operationName, context(), kind, start, function, fileID, line)
        return FlightRecorderSpan(operationName: operationName, kind: kind,
                                  recordedWrapped: WrappedSpan(forwarder: wrapped, span: span), identity: identity,
                                  startNanosecondsSinceEpoch: start.nanosecondsSinceEpoch)
    }

    public func forceFlush() {}

    /// How the wrapped tracer's span ids are read now (tests); nil when nothing is wrapped.
    var wrappedIdentityPath: ContextIdentityReader.Path? { wrapped?.reader.path }

    public func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                                  using injector: Inject) where Inject.Carrier == Carrier {
        if let wrapped { return wrapped.calls.inject(context, into: &carrier, using: injector) }
        guard let span = context.flightRecorderSpanContext else { return }
        injector.inject(span.traceparent, forKey: Self.traceparentHeader, into: &carrier)
    }

    public func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                                     using extractor: Extract) where Extract.Carrier == Carrier {
        if let wrapped { return wrapped.calls.extract(carrier, into: &context, using: extractor) }
        guard let header = extractor.extract(key: Self.traceparentHeader, from: carrier),
              let remote = FlightRecorderSpanContext(traceparent: header) else { return }
        context.flightRecorderSpanContext = remote
    }
}

/// An instant as the wrapped tracer is given it: one concrete type, so that calls into the
/// wrapped tracer need no generic metadata looked up at run time for the caller's instant type.
@usableFromInline
struct EpochInstant: TracerInstant {
    @usableFromInline let nanosecondsSinceEpoch: UInt64

    @inlinable
    init(_ instant: some TracerInstant) {
        nanosecondsSinceEpoch = instant.nanosecondsSinceEpoch
    }

    @usableFromInline
    static func < (a: EpochInstant, b: EpochInstant) -> Bool { a.nanosecondsSinceEpoch < b.nanosecondsSinceEpoch }
}
#endif
