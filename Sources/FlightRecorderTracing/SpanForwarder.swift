// How a wrapping FlightRecorderTracer reaches the tracer it wraps and that tracer's spans.
//
// Invariants:
// - One forwarder per wrapping tracer, made for the wrapped tracer's concrete type: every span
//   call reaches the wrapped span through the wrapped type's own witness table, and a
//   FlightRecorderSpan holds the wrapped span as one reference, copied by a retain (an
//   existential of the span, five words copied and destroyed through value witnesses, cost more
//   per call than the forwarding itself).
// - The calls every span makes (start, attributes, end) are closures, the others go through
//   `TracerForwarder`. Both are generic code over the wrapped tracer's type, not specialized for
//   it: the closures carry the tracer's and its span's metadata and conformances in their
//   context. Code specialized for an opaque result type, which is what swift-otel's
//   `OTel.makeTracingBackend` returns, looks that type's metadata up by demangling its name on
//   every use, which costs more than the calls it serves. A tracer of a concrete type pays
//   instead for its generic methods (start and end, generic over the instant) running
//   unspecialized. For a span type that is a class, the attribute and end closures are generic
//   over it as a class (`calls(onClass:)`), which uses the held reference in place; code
//   generic over an unconstrained type copies the span to call it (a retain and a release).
// - A span started while recording is started and its ids read in one call
//   (`startIdentifiedSpan`).
// - A wrapped span of class type (swift-otel's, most tracers') is held as itself: nothing is
//   allocated per span. A span of any other type is boxed once, when it starts.
// - The wrapped span's ids are those of the `traceparent` its tracer injects for its context
//   (W3C trace context): the tracer's `inject` is called with our carrier and injector types
//   (the header value is parsed in place) while
//   the forwarder's `ContextIdentityReader` learns where the context keeps them, and then they
//   are read from there (ContextIdentityReader.swift); a context with no entries has no span and
//   is not asked about.

#if Tracing
import FlightRecorder
import Tracing

/// A wrapped span, as a FlightRecorderSpan holds it: the span itself when its type is a class,
/// else a `SpanBox` of it. Only the forwarder that made it reads it back.
@usableFromInline typealias WrappedSpanReference = AnyObject & Sendable

/// The wrapped tracer's calls but start, attributes and end (SpanForwarder's), with its span
/// type erased to one reference.
@usableFromInline
protocol SpanForwarding: AnyObject, Sendable {
    func context(of span: WrappedSpanReference) -> InstrumentationContext
    func operationName(of span: WrappedSpanReference) -> String
    func setOperationName(_ name: String, of span: WrappedSpanReference)
    func isRecording(_ span: WrappedSpanReference) -> Bool
    func setStatus(_ status: SpanStatus, of span: WrappedSpanReference)
    func addEvent(_ event: SpanEvent, to span: WrappedSpanReference)
    func recordError(_ error: any Error, attributes: SpanAttributes, at instant: EpochInstant,
                     in span: WrappedSpanReference)
    func addLink(_ link: SpanLink, to span: WrappedSpanReference)
    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier
    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier
}

/// The calls of a wrapping tracer's spans: the hot ones as closures, every other through `calls`.
@usableFromInline
final class SpanForwarder: Sendable {
    /// Every call, generic over the wrapped tracer's type.
    @usableFromInline let calls: any SpanForwarding
    @usableFromInline let startSpan: @Sendable (String, InstrumentationContext, SpanKind, EpochInstant, String, String,
                                                UInt) -> WrappedSpanReference
    /// `startSpan` of a span that is recorded: the span and its ids (`WrappedSpan.identity`'s),
    /// read in the same call.
    @usableFromInline let startIdentifiedSpan: @Sendable (String, InstrumentationContext, SpanKind, EpochInstant, String,
                                                          String, UInt) -> (WrappedSpanReference, FlightRecorderSpanContext)
    @usableFromInline let attributes: @Sendable (WrappedSpanReference) -> SpanAttributes
    @usableFromInline let setAttributes: @Sendable (WrappedSpanReference, SpanAttributes) -> Void
    @usableFromInline let end: @Sendable (WrappedSpanReference, EpochInstant) -> Void
    /// The ids a context's span has in the wrapped tracer's `traceparent`; nil for none.
    @usableFromInline let identity: @Sendable (InstrumentationContext) -> FlightRecorderSpanContext?
    /// The ids of a wrapped span, as `identity` of its context.
    @usableFromInline let spanIdentity: @Sendable (WrappedSpanReference) -> FlightRecorderSpanContext?
    /// Where `identity` and `spanIdentity` read ids: `inject` until the layout is learned.
    @usableFromInline let reader: ContextIdentityReader
    /// `SpanAttributeEntries.layoutVerified`, read once here rather than (through its lazy
    /// initialization's check) at every span's end.
    @usableFromInline let attributesInPlace = SpanAttributeEntries.layoutVerified

    @usableFromInline
    convenience init<Wrapped: Tracer>(_ tracer: Wrapped) {
        self.init(tracer, spans: SpanHolding<Wrapped.Span>())
    }

    // Generic over the span type and not inlinable, so never specialized: the closures carry
    // `S`'s metadata and conformance in their context (see the file's header).
    private init<Wrapped: Tracer, S: Span>(_ tracer: Wrapped, spans: SpanHolding<S>) where Wrapped.Span == S {
        calls = TracerForwarder(tracer, spans: spans)
        startSpan = { name, context, kind, instant, function, file, line in
            spans.reference(to: tracer.startSpan(name, context: context, ofKind: kind, at: instant,
                                                 function: function, file: file, line: line))
        }
        let reader = ContextIdentityReader()
        self.reader = reader
        startIdentifiedSpan = { name, context, kind, instant, function, file, line in
            let span = tracer.startSpan(name, context: context, ofKind: kind, at: instant, function: function, file: file,
                                        line: line)
            // The `inject` closures are literals: a closure held in a variable would retain the
            // tracer, and a tracer that something references weakly (swift-otel's) takes the
            // runtime's slow path for every retain and release.
            let own = reader.identity(of: span.context) { TracerForwarder<Wrapped>.identity(of: $0, in: tracer) }
            let parent = reader.identity(of: context) { TracerForwarder<Wrapped>.identity(of: $0, in: tracer) }
            let identity = WrappedSpan.identity(own: own, parent: parent)
            return (spans.reference(to: span), identity)
        }
        if spans.byReference, let spanClass = S.self as? any (AnyObject & Span).Type {
            (attributes, setAttributes, end) = Self.calls(onClass: spanClass)
        } else {
            attributes = { spans.span($0).attributes }
            setAttributes = { spans.span($0).attributes = $1 }
            end = { spans.span($0).end(at: $1) }
        }
        identity = { reader.identity(of: $0) { TracerForwarder<Wrapped>.identity(of: $0, in: tracer) } }
        spanIdentity = {
            reader.identity(of: spans.span($0).context) { TracerForwarder<Wrapped>.identity(of: $0, in: tracer) }
        }
    }
}

extension SpanForwarder {
    typealias SpanCalls = (attributes: @Sendable (WrappedSpanReference) -> SpanAttributes,
                           setAttributes: @Sendable (WrappedSpanReference, SpanAttributes) -> Void,
                           end: @Sendable (WrappedSpanReference, EpochInstant) -> Void)

    /// The hot span calls for spans of class type `C` (the wrapped tracer's span type): generic
    /// over a class, the reference is cast and used in place (a cast of a value of an
    /// unconstrained generic type copies it: a retain and a release per call).
    private static func calls<C: AnyObject & Span>(onClass: C.Type) -> SpanCalls {
        // Sound: the forwarder made every reference from a span of this type, held as itself.
        ({ unsafeDowncast($0, to: C.self).attributes },
         { unsafeDowncast($0, to: C.self).attributes = $1 },
         { unsafeDowncast($0, to: C.self).end(at: $1) })
    }
}

/// How spans of type `S` are held as one `WrappedSpanReference`: a class instance as itself, any
/// other value boxed once (`SpanBox`). Which of the two is decided once, when made.
struct SpanHolding<S: Span>: Sendable {
    let byReference: Bool

    init() {
        byReference = S.self is AnyObject.Type && MemoryLayout<S>.size == MemoryLayout<WrappedSpanReference>.size
    }

    @inline(__always)
    func reference(to span: S) -> WrappedSpanReference {
        // Sound: when `byReference`, an `S` is a class instance, one strong reference, and
        // `span(_:)` casts it back to the same type.
        byReference ? unsafeBitCast(span, to: WrappedSpanReference.self) : Self.box(span)
    }

    @inline(__always)
    func span(_ reference: WrappedSpanReference) -> S {
        // Sound: `reference` was made by `reference(to:)` of a holding for the same `S` (see there).
        byReference ? unsafeBitCast(reference, to: S.self) : Self.unbox(reference)
    }

    // Out of line: the box's metadata is looked up only for spans that are boxed.
    @inline(never)
    private static func box(_ span: S) -> WrappedSpanReference { SpanBox(span) }

    @inline(never)
    private static func unbox(_ reference: WrappedSpanReference) -> S {
        unsafeDowncast(reference, to: SpanBox<S>.self).span
    }
}

/// The forwarder for tracers of type `Wrapped`.
@usableFromInline
final class TracerForwarder<Wrapped: Tracer>: SpanForwarding {
    private let tracer: Wrapped
    private let spans: SpanHolding<Wrapped.Span>

    init(_ tracer: Wrapped, spans: SpanHolding<Wrapped.Span>) {
        self.tracer = tracer
        self.spans = spans
    }

    /// The ids `tracer` injects for `context` (not empty: ContextIdentityReader asks only then).
    static func identity(of context: InstrumentationContext, in tracer: Wrapped) -> FlightRecorderSpanContext? {
        var carrier: FlightRecorderSpanContext?
        tracer.inject(context, into: &carrier, using: TraceparentInjector())
        return carrier
    }

    private func span(_ reference: WrappedSpanReference) -> Wrapped.Span { spans.span(reference) }

    @usableFromInline func context(of span: WrappedSpanReference) -> InstrumentationContext { self.span(span).context }
    @usableFromInline func operationName(of span: WrappedSpanReference) -> String { self.span(span).operationName }
    @usableFromInline func setOperationName(_ name: String, of span: WrappedSpanReference) { self.span(span).operationName = name }
    @usableFromInline func isRecording(_ span: WrappedSpanReference) -> Bool { self.span(span).isRecording }
    @usableFromInline func setStatus(_ status: SpanStatus, of span: WrappedSpanReference) { self.span(span).setStatus(status) }
    @usableFromInline func addEvent(_ event: SpanEvent, to span: WrappedSpanReference) { self.span(span).addEvent(event) }
    @usableFromInline func recordError(_ error: any Error, attributes: SpanAttributes, at instant: EpochInstant,
                     in span: WrappedSpanReference) {
        self.span(span).recordError(error, attributes: attributes, at: instant)
    }
    @usableFromInline func addLink(_ link: SpanLink, to span: WrappedSpanReference) { self.span(span).addLink(link) }

    @usableFromInline func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier {
        tracer.inject(context, into: &carrier, using: injector)
    }

    @usableFromInline func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
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

/// A span of the wrapped tracer and the forwarder to its tracer (whose `traceparent` says its
/// ids). Two references: a span started while nothing records allocates nothing of ours.
@usableFromInline
struct WrappedSpan: Sendable {
    @usableFromInline let forwarder: SpanForwarder
    @usableFromInline let span: WrappedSpanReference

    @inlinable
    init(forwarder: SpanForwarder, span: WrappedSpanReference) {
        self.forwarder = forwarder
        self.span = span
    }

    /// The span's ids as the wrapped tracer propagates them (no parent id: the context the span
    /// started in is not kept).
    var identity: FlightRecorderSpanContext { Self.identity(own: forwarder.spanIdentity(span), parent: nil) }

    /// A wrapped span's ids from its own (`own`, as its tracer propagates them) and its parent's:
    /// `own` with the parent's span id when both are of one trace; ids of our own (a child of
    /// `parent`) when the tracer propagates no W3C trace context.
    static func identity(own: FlightRecorderSpanContext?, parent: FlightRecorderSpanContext?) -> FlightRecorderSpanContext {
        guard var own else { return FlightRecorderSpanContext.child(of: parent) }
        if let parent, parent.traceIDHigh == own.traceIDHigh, parent.traceIDLow == own.traceIDLow {
            own.parentSpanID = parent.spanID
        }
        return own
    }
}

/// The span calls, forwarded.
extension WrappedSpan {
    var context: InstrumentationContext { forwarder.calls.context(of: span) }

    var operationName: String {
        get { forwarder.calls.operationName(of: span) }
        nonmutating set { forwarder.calls.setOperationName(newValue, of: span) }
    }

    @inlinable
    var attributes: SpanAttributes {
        get { forwarder.attributes(span) }
        nonmutating set { forwarder.setAttributes(span, newValue) }
    }

    var isRecording: Bool { forwarder.calls.isRecording(span) }
    func setStatus(_ status: SpanStatus) { forwarder.calls.setStatus(status, of: span) }
    func addEvent(_ event: SpanEvent) { forwarder.calls.addEvent(event, to: span) }
    func recordError(_ error: any Error, attributes: SpanAttributes, at instant: EpochInstant) {
        forwarder.calls.recordError(error, attributes: attributes, at: instant, in: span)
    }
    func addLink(_ link: SpanLink) { forwarder.calls.addLink(link, to: span) }
    @inlinable
    func end(at instant: EpochInstant) { forwarder.end(span, instant) }

    /// Ends a span started while nothing recorded, now that a recorder records: its `spanEnd`
    /// record, with the ids, name and attributes the wrapped tracer has at this point.
    func endRecordingItsEnd(kind: SpanKind, startNs: UInt64, at instant: EpochInstant) {
        let name = operationName
        let attributes = attributes
        end(at: instant)
        SpanEndRecord.append(to: .alone(task: Trace.currentTask), kind: kind, identity: identity, name: name,
                             startNs: startNs, endNs: instant.nanosecondsSinceEpoch, status: nil,
                             attributes: attributes, events: [], links: [],
                             attributesInPlace: forwarder.attributesInPlace)
    }
}

/// Keeps the ids of the `traceparent` header (name compared without case) and nothing else.
@usableFromInline
struct TraceparentInjector: Injector {
    @inlinable
    init() {}

    @usableFromInline
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
