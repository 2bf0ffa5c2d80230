// A span of swift-distributed-tracing, recorded into the flight recorder.
//
// Invariants:
// - A span is a region of the recorder, opened when the span starts on the starting task and
//   closed at `end()` (from any thread). Renaming the span (Hummingbird does, after routing)
//   renames the region from then on, so the region that spans the work carries the final
//   operation name.
// - Besides the region, a span writes two log events: category "span.start" when it starts
//   (name as given then, kind, trace and span ids, parent id) and category "span" when it ends:
//   the final operation name, kind, ids, status, start (ns since the epoch), duration, events,
//   links and attributes. Nothing is written while no recorder records.
// - A span of kind `.server` (a request as the server sees it) is also a logical task, begun
//   when the span starts (child of the starting task) and ended at `end()`, so the request's
//   task and its span coincide; both span logs are that task's. The format names a task once,
//   when it is created, so the task carries the operation name the span starts with: a rename
//   cannot reach it (Hummingbird's TracingMiddleware starts with `HTTP GET route not found` and
//   renames its span to the route only after the handler returned), and the final name is in
//   the `span` log that closes the task. Work inside the span is not bound to the task (a span
//   brackets no closure): its regions and logs stay on the Swift tasks that make them. A server
//   span dropped without `end()` still ends its task.
// - `end()` takes effect once; later calls, and mutations after it, change nothing.
// - State is behind a Mutex: a span may be ended on a different task or thread than the one
//   that started it (Hummingbird ends its span after the response body was written).
// - A span of a wrapping tracer (`FlightRecorderTracer(wrapping:)`) forwards every call to the
//   wrapped tracer's span first, and its context is that span's context (propagation is the
//   wrapped tracer's). Its ids are the wrapped span's: read from the `traceparent` the wrapped
//   tracer injects for it, only when something is recorded; a tracer that injects none gets
//   ids of our own. Its attributes are the wrapped span's (read once, at end, when recording).

#if Tracing
import FlightRecorder
import Synchronization
import Tracing

public final class FlightRecorderSpan: Span {
    public let context: InstrumentationContext
    public let kind: SpanKind
    /// When the span started, ns since the Unix epoch (the tracer clock's instant).
    public let startNanosecondsSinceEpoch: UInt64
    private let state: Mutex<State>
    /// The logical task of a server span; nil for other kinds, and when not recorded.
    private let task: OpenTask?
    /// The wrapped tracer's span, when the tracer wraps another.
    private let wrapped: WrappedSpan?

    struct State {
        /// The span's ids: fixed at start for a span of our own; for a wrapped span, read from
        /// the wrapped tracer when first needed.
        var identity: FlightRecorderSpanContext?
        var operationName: String
        var region: OpenRegion
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
        var events: [SpanEvent] = []
        var links: [FlightRecorderSpanContext] = []
        var ended = false
    }

    convenience init(operationName: String, kind: SpanKind, context: InstrumentationContext,
         spanContext: FlightRecorderSpanContext, startNanosecondsSinceEpoch: UInt64) {
        var context = context
        context.flightRecorderSpanContext = spanContext
        self.init(operationName: operationName, kind: kind, context: context, identity: spanContext,
                  wrapped: nil, startNanosecondsSinceEpoch: startNanosecondsSinceEpoch)
    }

    /// A span that forwards to `wrapped.span`; its context is that span's.
    convenience init(operationName: String, kind: SpanKind, wrapped: WrappedSpan, startNanosecondsSinceEpoch: UInt64) {
        let identity = Trace.isRecording ? wrapped.identity() : nil
        self.init(operationName: operationName, kind: kind, context: wrapped.span.context, identity: identity,
                  wrapped: wrapped, startNanosecondsSinceEpoch: startNanosecondsSinceEpoch)
    }

    private init(operationName: String, kind: SpanKind, context: InstrumentationContext,
                 identity: FlightRecorderSpanContext?, wrapped: WrappedSpan?, startNanosecondsSinceEpoch: UInt64) {
        self.kind = kind
        self.context = context
        self.wrapped = wrapped
        self.startNanosecondsSinceEpoch = startNanosecondsSinceEpoch
        let task = kind == .server ? Trace.beginTask(named: operationName) : nil
        self.task = task?.id == 0 ? nil : task
        state = Mutex(State(identity: identity, operationName: operationName,
                            region: Trace.beginRegion(named: operationName)))
        if Trace.isRecording {
            var record = SpanRecordText()
            record.add("name", operationName)
            addIdentity(to: &record)
            log(category: "span.start", record.text)
        }
    }

    /// The span's trace and span ids (and its parent's, when known).
    public var spanContext: FlightRecorderSpanContext {
        if let known = state.withLock({ $0.identity }) { return known }
        // Only a wrapped span gets here; reading its ids twice gives the same ids, or (for a
        // tracer that injects none) two fresh ones of which the first stored wins.
        let read = wrapped!.identity()
        return state.withLock { s in
            if let known = s.identity { return known }
            s.identity = read
            return read
        }
    }

    deinit {
        // A span dropped without `end()` must not leave its task open in every later snapshot.
        if let task, state.withLock({ !$0.ended }) { Trace.endTask(task) }
    }

    public var operationName: String {
        get { state.withLock { $0.operationName } }
        set {
            wrapped?.span.operationName = newValue
            state.withLock {
                guard !$0.ended else { return }
                $0.operationName = newValue
                Trace.renameRegion(&$0.region, to: newValue)
            }
        }
    }

    public var attributes: SpanAttributes {
        get {
            if let wrapped { return wrapped.span.attributes }
            return state.withLock { $0.attributes }
        }
        set {
            if let wrapped { return wrapped.span.attributes = newValue }
            state.withLock { if !$0.ended { $0.attributes = newValue } }
        }
    }

    public var isRecording: Bool {
        if let wrapped { return wrapped.span.isRecording }
        return state.withLock { !$0.ended }
    }

    public func setStatus(_ status: SpanStatus) {
        wrapped?.span.setStatus(status)
        state.withLock { if !$0.ended { $0.status = status } }
    }

    public func addEvent(_ event: SpanEvent) {
        wrapped?.span.addEvent(event)
        state.withLock { if !$0.ended { $0.events.append(event) } }
    }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                                    at instant: @autoclosure () -> Instant) {
        if let wrapped {
            let at = instant()
            wrapped.span.recordError(error, attributes: attributes, at: at)
            return state.withLock { if !$0.ended { $0.events.append(Self.exceptionEvent(error, attributes, at)) } }
        }
        addEvent(Self.exceptionEvent(error, attributes, instant()))
    }

    private static func exceptionEvent<Instant: TracerInstant>(_ error: any Error, _ attributes: SpanAttributes,
                                                                _ instant: Instant) -> SpanEvent {
        var attributes = attributes
        attributes["exception.type"] = "\(type(of: error))"
        attributes["exception.message"] = "\(error)"
        return SpanEvent(name: "exception", at: instant, attributes: attributes)
    }

    public func addLink(_ link: SpanLink) {
        if let wrapped {
            wrapped.span.addLink(link)
            guard Trace.isRecording, let other = wrapped.identity(of: link.context) else { return }
            return state.withLock { if !$0.ended { $0.links.append(other) } }
        }
        guard let other = link.context.flightRecorderSpanContext else { return }
        state.withLock { if !$0.ended { $0.links.append(other) } }
    }

    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let final: State? = state.withLock { s in
            if s.ended { return nil }
            s.ended = true
            return s
        }
        guard let final else { return }
        let endInstant: Instant? = wrapped != nil || Trace.isRecording ? instant() : nil
        if let wrapped, let endInstant { wrapped.span.end(at: endInstant) }
        Trace.endRegion(final.region)
        defer { if let task { Trace.endTask(task) } }
        guard Trace.isRecording, let endInstant else { return }
        let endNs = endInstant.nanosecondsSinceEpoch
        var record = SpanRecordText()
        record.add("name", final.operationName)
        addIdentity(to: &record)
        if let status = final.status {
            record.add("status", status.code == .error ? "error" : "ok")
            if let message = status.message { record.add("status.message", message) }
        }
        record.add("startNs", String(startNanosecondsSinceEpoch))
        record.add("durationNs", String(endNs >= startNanosecondsSinceEpoch ? endNs - startNanosecondsSinceEpoch : 0))
        for event in final.events {
            let offset = Int64(bitPattern: event.nanosecondsSinceEpoch &- startNanosecondsSinceEpoch)
            var text = event.name + "@+" + String(offset) + "ns"
            event.attributes.forEach { key, value in text += " " + key + "=" + SpanRecordText.describe(value) }
            record.add("event", text)
        }
        for link in final.links { record.add("link", link.traceID + "-" + link.spanIDText) }
        record.add(attributes: wrapped?.span.attributes ?? final.attributes)
        log(category: "span", record.text)
    }

    /// Logs on the span's own task when it has one, else on the current task.
    private func log(category: StaticString, _ text: String) {
        guard let task else { return Trace.log(category: category, text) }
        Trace.inTask(task) { Trace.log(category: category, text) }
    }

    /// The kind as swift-distributed-tracing spells its case, without reflection.
    private static func name(of kind: SpanKind) -> String {
        switch kind {
        case .server: "server"
        case .client: "client"
        case .producer: "producer"
        case .consumer: "consumer"
        case .internal: "internal"
        @unknown default: "\(kind)"
        }
    }

    private func addIdentity(to record: inout SpanRecordText) {
        let spanContext = spanContext
        record.add("kind", Self.name(of: kind))
        record.add("trace", spanContext.traceID)
        record.add("span", spanContext.spanIDText)
        if spanContext.parentSpanID != 0 { record.add("parent", Hex.fixed(spanContext.parentSpanID, digits: 16)) }
    }
}
#endif
