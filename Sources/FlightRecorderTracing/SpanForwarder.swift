// How a wrapping FlightRecorderTracer reaches the tracer it wraps and that tracer's spans.
//
// Invariants:
// - One forwarder per wrapping tracer, made for the wrapped tracer's concrete type: every span
//   call reaches the wrapped span through the wrapped type's own witness table, and a
//   FlightRecorderSpan holds the wrapped span as one reference, copied by a retain (an
//   existential of the span, five words copied and destroyed through value witnesses, cost more
//   per call than the forwarding itself).
// - A wrapped span of class type (swift-otel's, most tracers') is held as itself: nothing is
//   allocated per span. A span of any other type is boxed once, when it starts.
// - The wrapped span's ids are read from the `traceparent` its tracer injects for its context
//   (W3C trace context); a context with no entries has no span and is not asked about.

#if Tracing
import FlightRecorder
import Tracing

/// A wrapped span, as a FlightRecorderSpan holds it: the span itself when its type is a class,
/// else a `SpanBox` of it. Only the forwarder that made it reads it back.
typealias WrappedSpanReference = AnyObject & Sendable

/// The wrapped tracer's calls, with its span type erased to one reference.
protocol SpanForwarding: AnyObject, Sendable {
    func startSpan(_ operationName: String, context: InstrumentationContext, ofKind kind: SpanKind,
                   at instant: EpochInstant, function: String, file fileID: String,
                   line: UInt) -> WrappedSpanReference
    func context(of span: WrappedSpanReference) -> InstrumentationContext
    func operationName(of span: WrappedSpanReference) -> String
    func setOperationName(_ name: String, of span: WrappedSpanReference)
    func attributes(of span: WrappedSpanReference) -> SpanAttributes
    func setAttributes(_ attributes: SpanAttributes, of span: WrappedSpanReference)
    func isRecording(_ span: WrappedSpanReference) -> Bool
    func setStatus(_ status: SpanStatus, of span: WrappedSpanReference)
    func addEvent(_ event: SpanEvent, to span: WrappedSpanReference)
    func recordError(_ error: any Error, attributes: SpanAttributes, at instant: EpochInstant,
                     in span: WrappedSpanReference)
    func addLink(_ link: SpanLink, to span: WrappedSpanReference)
    func end(_ span: WrappedSpanReference, at instant: EpochInstant)
    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier
    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier
}

extension SpanForwarding {
    /// The ids `context`'s span has in the wrapped tracer's `traceparent`; nil for none.
    func identity(of context: InstrumentationContext) -> FlightRecorderSpanContext? {
        guard !context.isEmpty else { return nil }
        var carrier: FlightRecorderSpanContext?
        inject(context, into: &carrier, using: TraceparentInjector())
        return carrier
    }
}

/// The forwarder for tracers of type `Wrapped`.
final class TracerForwarder<Wrapped: Tracer>: SpanForwarding {
    private let tracer: Wrapped
    /// Whether `Wrapped.Span` is a class type: its spans are then held as themselves.
    private let spansAreReferences: Bool

    init(_ tracer: Wrapped) {
        self.tracer = tracer
        spansAreReferences = Wrapped.Span.self is AnyObject.Type
            && MemoryLayout<Wrapped.Span>.size == MemoryLayout<WrappedSpanReference>.size
    }

    @inline(__always)
    private func reference(to span: Wrapped.Span) -> WrappedSpanReference {
        // Sound: when `spansAreReferences`, a `Wrapped.Span` is a class instance, one strong
        // reference, and `span(_:)` casts it back to the same type.
        spansAreReferences ? unsafeBitCast(span, to: WrappedSpanReference.self) : SpanBox(span)
    }

    @inline(__always)
    private func span(_ reference: WrappedSpanReference) -> Wrapped.Span {
        // Sound: `reference` was made by `reference(to:)` of this forwarder (see there).
        spansAreReferences
            ? unsafeBitCast(reference, to: Wrapped.Span.self)
            : unsafeDowncast(reference, to: SpanBox<Wrapped.Span>.self).span
    }

    func startSpan(_ operationName: String, context: InstrumentationContext, ofKind kind: SpanKind,
                   at instant: EpochInstant, function: String, file fileID: String,
                   line: UInt) -> WrappedSpanReference {
        reference(to: tracer.startSpan(operationName, context: context, ofKind: kind, at: instant,
                                       function: function, file: fileID, line: line))
    }

    func context(of span: WrappedSpanReference) -> InstrumentationContext { self.span(span).context }
    func operationName(of span: WrappedSpanReference) -> String { self.span(span).operationName }
    func setOperationName(_ name: String, of span: WrappedSpanReference) { self.span(span).operationName = name }
    func attributes(of span: WrappedSpanReference) -> SpanAttributes { self.span(span).attributes }
    func setAttributes(_ attributes: SpanAttributes, of span: WrappedSpanReference) {
        self.span(span).attributes = attributes
    }
    func isRecording(_ span: WrappedSpanReference) -> Bool { self.span(span).isRecording }
    func setStatus(_ status: SpanStatus, of span: WrappedSpanReference) { self.span(span).setStatus(status) }
    func addEvent(_ event: SpanEvent, to span: WrappedSpanReference) { self.span(span).addEvent(event) }
    func recordError(_ error: any Error, attributes: SpanAttributes, at instant: EpochInstant,
                     in span: WrappedSpanReference) {
        self.span(span).recordError(error, attributes: attributes, at: instant)
    }
    func addLink(_ link: SpanLink, to span: WrappedSpanReference) { self.span(span).addLink(link) }
    func end(_ span: WrappedSpanReference, at instant: EpochInstant) { self.span(span).end(at: instant) }

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier {
        tracer.inject(context, into: &carrier, using: injector)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier {
        tracer.extract(carrier, into: &context, using: extractor)
    }
}

/// A wrapped span whose type is not a class, held by reference.
final class SpanBox<Wrapped: Span>: Sendable {
    let span: Wrapped

    init(_ span: Wrapped) {
        self.span = span
    }
}

/// A span of the wrapped tracer, with what reads its ids: the forwarder to its tracer (whose
/// `traceparent` says them) and the context it was started in (whose `traceparent` names the
/// parent). Three references: a span started while nothing records allocates nothing of ours.
struct WrappedSpan: Sendable {
    let forwarder: any SpanForwarding
    let span: WrappedSpanReference
    let parent: InstrumentationContext

    /// The span's ids and its parent's, as the wrapped tracer propagates them; ids of our own
    /// when it propagates no W3C trace context.
    func identity() -> FlightRecorderSpanContext {
        let parentIdentity = forwarder.identity(of: parent)
        guard var own = forwarder.identity(of: forwarder.context(of: span)) else {
            return FlightRecorderSpanContext.child(of: parentIdentity)
        }
        if let parentIdentity, parentIdentity.traceIDHigh == own.traceIDHigh, parentIdentity.traceIDLow == own.traceIDLow {
            own.parentSpanID = parentIdentity.spanID
        }
        return own
    }
}

/// The span calls, forwarded.
extension WrappedSpan {
    var context: InstrumentationContext { forwarder.context(of: span) }

    var operationName: String {
        get { forwarder.operationName(of: span) }
        nonmutating set { forwarder.setOperationName(newValue, of: span) }
    }

    var attributes: SpanAttributes {
        get { forwarder.attributes(of: span) }
        nonmutating set { forwarder.setAttributes(newValue, of: span) }
    }

    var isRecording: Bool { forwarder.isRecording(span) }
    func setStatus(_ status: SpanStatus) { forwarder.setStatus(status, of: span) }
    func addEvent(_ event: SpanEvent) { forwarder.addEvent(event, to: span) }
    func recordError(_ error: any Error, attributes: SpanAttributes, at instant: EpochInstant) {
        forwarder.recordError(error, attributes: attributes, at: instant, in: span)
    }
    func addLink(_ link: SpanLink) { forwarder.addLink(link, to: span) }
    func end(at instant: EpochInstant) { forwarder.end(span, at: instant) }

    /// Ends a span started while nothing recorded, now that a recorder records: its `spanEnd`
    /// record, with the ids, name and attributes the wrapped tracer has at this point.
    func endRecordingItsEnd(kind: SpanKind, startNs: UInt64, at instant: EpochInstant) {
        let name = operationName
        let attributes = attributes
        end(at: instant)
        SpanEndRecord.append(task: Trace.currentTask, kind: kind, identity: identity(), name: name, startNs: startNs,
                             endNs: instant.nanosecondsSinceEpoch, status: nil, attributes: attributes,
                             events: [], links: [])
    }
}

/// Keeps the ids of the `traceparent` header (name compared without case) and nothing else.
struct TraceparentInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout FlightRecorderSpanContext?) {
        guard Self.isTraceparent(key) else { return }
        carrier = FlightRecorderSpanContext(traceparent: value)
    }

    private static func isTraceparent(_ key: String) -> Bool {
        if key == FlightRecorderTracer.traceparentHeader { return true }
        return key.utf8.count == 11
            && key.utf8.elementsEqual(FlightRecorderTracer.traceparentHeader.utf8, by: { $0 | 0x20 == $1 })
    }
}
#endif
