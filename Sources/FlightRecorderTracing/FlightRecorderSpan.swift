// A span of swift-distributed-tracing, recorded into the flight recorder.
//
// Invariants:
// - A span is a region of the recorder, opened when the span starts on the starting task and
//   closed at `end()` (from any thread). Renaming the span (Hummingbird does, after routing)
//   renames the region from then on, so the region that spans the work carries the final
//   operation name.
// - Beside the region, a span writes two binary records (TraceFormat's SpanRecord): `spanStart`
//   right after the region's begin (kind, trace and span ids, parent id, the name as given) and
//   `spanEnd` right after its end (the same ids, the final name, start, duration, status,
//   attributes, events, links). Readers show them as the logs `span.start` and `span`. Nothing
//   is written while no recorder records.
// - A span of kind `.server` (a request as the server sees it) is also a logical task, begun
//   when the span starts (child of the starting task) and ended at `end()`, so the request's
//   task and its span coincide; both span records are that task's. The task is created with
//   the operation name the span starts with; a span renamed since (Hummingbird's
//   TracingMiddleware starts with `HTTP GET route not found` and renames its span to the route
//   after the handler returned) names its task again at the rename (a `task name` record):
//   `METHOD route` from the span's HTTP attributes and name, else its new name (`TaskName`);
//   and at `end()` when an `http.route` set since gives another route. Readers do not
//   group the tasks a span's code creates by the span's region. Work inside the span is not
//   bound to the task (a span brackets no closure): its regions and logs stay on the Swift
//   tasks that make them. A server span dropped without `end()` still ends its task.
//   A server span started inside a request's task (bound by a slow-request middleware added
//   before the tracing middleware) opens no task: the request is that task already, and the
//   span's region and records are on it.
// - `end()` takes effect once on what the recorder keeps; later calls, and mutations after it,
//   change nothing there.
// - What the recorder keeps of a span (`SpanRecording`, behind a Mutex: a span may be ended on
//   another task or thread than the one that started it) exists only for a span of the flight
//   recorder's own tracer and for a wrapped span started while recording. A wrapped span started
//   while nothing records is two references (the wrapped span and the forwarder to its tracer:
//   SpanForwarder.swift) and nothing else: every call is forwarded; when recording has begun by
//   its end, its `spanEnd` record is written then, with the ids, name and attributes read from
//   the wrapped tracer at that point (no parent id: its parent context is not kept; no region,
//   and no status, events or links: none were kept).
// - Starting, setting attributes on and ending a wrapped span while nothing records are
//   inlinable: the caller checks whether a recorder records and calls the forwarder itself.
// - A span of a wrapping tracer (`FlightRecorderTracer(wrapping:)`) forwards every call to the
//   wrapped tracer's span first, and its context is that span's context (propagation is the
//   wrapped tracer's). Its ids are the wrapped span's: those of the `traceparent` the wrapped
//   tracer injects for it (read from its context once checked against that: ContextIdentityReader),
//   only when something is recorded; a tracer that injects none gets ids of our own. Its
//   attributes are the wrapped span's (read once, at end, when recording).

#if Tracing
import FlightRecorder
import Synchronization
import TraceFormat
import Tracing

public struct FlightRecorderSpan: Span {
    public let kind: SpanKind
    /// When the span started, ns since the Unix epoch (the tracer clock's instant).
    public let startNanosecondsSinceEpoch: UInt64
    /// The wrapped tracer's span, when the tracer wraps another.
    @usableFromInline let wrapped: WrappedSpan?
    /// What the recorder keeps of the span; nil for a wrapped span started while not recording.
    @usableFromInline let recording: SpanRecording?

    /// A span of the flight recorder's own tracer, with ids of its own.
    @usableFromInline
    init(operationName: String, kind: SpanKind, context: InstrumentationContext, startNanosecondsSinceEpoch: UInt64) {
        let identity = FlightRecorderSpanContext.child(of: context.flightRecorderSpanContext)
        var context = context
        context.flightRecorderSpanContext = identity
        self.kind = kind
        self.startNanosecondsSinceEpoch = startNanosecondsSinceEpoch
        wrapped = nil
        recording = SpanRecording(operationName: operationName, kind: kind, identity: identity, context: context,
                                  recorded: Trace.isRecording)
    }

    /// A wrapped span started while nothing records: forwarding only.
    @inlinable
    init(kind: SpanKind, wrapped: WrappedSpan, startNanosecondsSinceEpoch: UInt64) {
        self.kind = kind
        self.startNanosecondsSinceEpoch = startNanosecondsSinceEpoch
        self.wrapped = wrapped
        recording = nil
    }

    /// A wrapped span started while recording, with its ids (`SpanForwarder.startIdentifiedSpan`).
    @usableFromInline
    init(operationName: String, kind: SpanKind, recordedWrapped wrapped: WrappedSpan, identity: FlightRecorderSpanContext,
         startNanosecondsSinceEpoch: UInt64) {
        self.kind = kind
        self.startNanosecondsSinceEpoch = startNanosecondsSinceEpoch
        self.wrapped = wrapped
        recording = SpanRecording(operationName: operationName, kind: kind, identity: identity, context: nil,
                                  recorded: true)
    }

    public var context: InstrumentationContext {
        wrapped?.context ?? recording!.ownContext!
    }

    /// The span's trace and span ids (and its parent's, when known).
    public var spanContext: FlightRecorderSpanContext {
        if let recording { return recording.state.withLock { $0.identity } }
        return wrapped!.identity
    }

    public var operationName: String {
        get {
            wrapped?.operationName ?? recording!.state.withLock { $0.operationName }
        }
        nonmutating set {
            wrapped?.operationName = newValue
            recording?.rename(to: newValue, wrappedAttributes: { wrapped?.attributes })
        }
    }

    // Inlinable: a wrapped span's attributes are the wrapped span's (read at end when recording),
    // and the caller asks the wrapped tracer's span for them itself.
    @inlinable
    public var attributes: SpanAttributes {
        get {
            wrapped?.attributes ?? recording!.attributes
        }
        nonmutating set {
            wrapped?.attributes = newValue
            if wrapped == nil { recording!.attributes = newValue }
        }
    }

    public var isRecording: Bool {
        wrapped?.isRecording ?? !recording!.isEnded
    }

    public func setStatus(_ status: SpanStatus) {
        wrapped?.setStatus(status)
        recording?.update { $0.status = status }
    }

    public func addEvent(_ event: SpanEvent) {
        wrapped?.addEvent(event)
        recording?.update { $0.events.append(event) }
    }

    public func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                                    at instant: @autoclosure () -> Instant) {
        let at = EpochInstant(instant())
        wrapped?.recordError(error, attributes: attributes, at: at)
        guard let recording else { return }
        var attributes = attributes
        attributes["exception.type"] = "\(type(of: error))"
        attributes["exception.message"] = "\(error)"
        let event = SpanEvent(name: "exception", at: at, attributes: attributes)
        recording.update { $0.events.append(event) }
    }

    public func addLink(_ link: SpanLink) {
        wrapped?.addLink(link)
        guard let recording else { return }
        let other: FlightRecorderSpanContext?
        if let wrapped {
            guard Trace.isRecording else { return }
            other = wrapped.forwarder.identity(link.context)
        } else {
            other = link.context.flightRecorderSpanContext
        }
        guard let other else { return }
        recording.update { $0.links.append(other) }
    }

    // Inlinable: a wrapped span started and ended while nothing records is ended by the caller,
    // and the instant is made concrete here, where the caller's instant type is known.
    @inlinable
    public func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        if recording == nil, wrapped != nil, !Trace.isRecording {
            wrapped?.end(at: EpochInstant(instant()))
            return
        }
        endRecorded(at: EpochInstant(instant()))
    }

    /// `end(at:)` of a span with a recording, or of a wrapped span started while nothing recorded
    /// when recording has begun since (its `spanEnd` record alone).
    @usableFromInline
    func endRecorded(at instant: @autoclosure () -> EpochInstant) {
        guard let recording else {
            wrapped?.endRecordingItsEnd(kind: kind, startNs: startNanosecondsSinceEpoch, at: instant())
            return
        }
        guard recording.claimEnd() else { return }
        let recorded = Trace.isRecording
        // The instant is not read for a span of our own tracer that is not recorded.
        guard wrapped != nil || recorded else { return }
        let at = instant()
        // The wrapped span's attributes are read before its end: a tracer may drop them there.
        let wrappedAttributes = recorded ? wrapped?.attributes : nil
        wrapped?.end(at: at)
        guard recorded else { return }
        recording.recordEnd(kind: kind, startNs: startNanosecondsSinceEpoch, wrappedAttributes: wrappedAttributes,
                            attributesInPlace: wrapped?.forwarder.attributesInPlace ?? SpanAttributeEntries.layoutVerified,
                            at: at)
    }
}

/// What the recorder keeps of a span: its region, its task (server spans), its ids and what is
/// set on it until `end()`.
@usableFromInline
final class SpanRecording: Sendable {
    struct State {
        var identity: FlightRecorderSpanContext
        var operationName: String
        /// The span's region and task, as its start recorded them.
        var span: OpenSpan
        // Not a literal: a dictionary literal, even `[:]`, is built by a call that merges its
        // elements; an empty dictionary's initializer is the shared empty storage, inlined.
        var attributes = SpanAttributes([String: SpanAttribute]())
        var status: SpanStatus?
        var events: [SpanEvent] = []
        var links: [FlightRecorderSpanContext] = []
        /// The name given to the span's task since the span was renamed, as `TaskName`'s
        /// parts; nil while the span has its first name.
        var taskName: TaskName?
    }

    let state: Mutex<State>
    /// Whether `end()` was called: set once, by the first (`claimEnd`); after it, changes to
    /// `state` are ignored. Read without the lock by `deinit`, which nothing else can run beside.
    private let ended = Atomic<Bool>(false)
    /// The context of a span of the flight recorder's own tracer (carrying its ids); nil for a
    /// wrapped span, whose context is the wrapped span's.
    let ownContext: InstrumentationContext?

    /// Opens the span's task (server kind) and region and writes its `spanStart` record, when
    /// `recorded`: one append (`Trace.beginSpan`).
    init(operationName: String, kind: SpanKind, identity: FlightRecorderSpanContext, context: InstrumentationContext?,
         recorded: Bool) {
        ownContext = context
        guard recorded else {
            state = Mutex(State(identity: identity, operationName: operationName,
                                span: OpenSpan(notRecordedNamed: operationName)))
            return
        }
        var name = operationName
        let ids = SpanRecord.Identity(traceHigh: identity.traceIDHigh, traceLow: identity.traceIDLow,
                                      span: identity.spanID, parent: identity.parentSpanID)
        let span = name.withUTF8 { bytes in
            let name = SpanEndRecord.clip(UnsafeRawBufferPointer(bytes))
            return Trace.beginSpan(named: operationName, opensTask: kind == .server,
                                   fieldsLength: SpanRecord.startLength(nameCount: name.count)) {
                SpanRecord.writeStart(kind: SpanKindCode.of(kind), ids, name: name, at: $0)
            }
        }
        state = Mutex(State(identity: identity, operationName: operationName, span: span))
    }

    deinit {
        // A span dropped without `end()` must not leave its task open in every later snapshot.
        guard !ended.load(ordering: .acquiring) else { return }
        Trace.endTask(state.withLock { $0.span.task })
    }

    /// The attributes of a span of the flight recorder's own tracer; set only until `end()`.
    @usableFromInline
    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { update { $0.attributes = newValue } }
    }

    /// Renames the span's region and, for a server span, its task (`TaskName`; a wrapped span's
    /// attributes are the wrapped span's).
    func rename(to name: String, wrappedAttributes: () -> SpanAttributes?) {
        state.withLock {
            guard !isEnded else { return }
            $0.operationName = name
            Trace.renameRegion(&$0.span.region, to: name)
            guard $0.span.task.id != 0 else { return }
            let taskName = TaskName(spanName: name, attributes: wrappedAttributes() ?? $0.attributes)
            if taskName != $0.taskName {
                $0.taskName = taskName
                Trace.renameTask($0.span.task, method: taskName.method, route: taskName.route)
            }
        }
    }

    /// Whether the span was ended.
    var isEnded: Bool { ended.load(ordering: .acquiring) }

    /// Applies `change` to the state unless the span was ended.
    func update(_ change: (inout State) -> Void) {
        state.withLock { if !isEnded { change(&$0) } }
    }

    /// Marks the span ended; true at the first call only, which then ends it
    /// (`FlightRecorderSpan.endRecorded`).
    func claimEnd() -> Bool {
        !ended.exchange(true, ordering: .acquiringAndReleasing)
    }

    /// The recorded end, after `claimEnd`: the region, the `spanEnd` record (with
    /// `wrappedAttributes`, else the span's own; read in place when `attributesInPlace`:
    /// SpanAttributeEntries) and the task in one append (`Trace.endSpan`).
    /// Under the span's lock, which only calls on this span wait for, so the state is read in
    /// place.
    func recordEnd(kind: SpanKind, startNs: UInt64, wrappedAttributes: SpanAttributes?, attributesInPlace: Bool,
                   at: EpochInstant) {
        state.withLock { s in
            let attributes = wrappedAttributes ?? s.attributes
            if let named = s.taskName, let method = named.method, let route = TaskName.route(in: attributes),
               route != named.route {
                // Renamed by its method: an `http.route` set since (after the rename) names it.
                Trace.renameTask(s.span.task, method: method, route: route)
            }
            SpanEndRecord.append(to: .closing(s.span), kind: kind, identity: s.identity, name: s.operationName,
                                 startNs: startNs, endNs: at.nanosecondsSinceEpoch, status: s.status,
                                 attributes: attributes, events: s.events, links: s.links,
                                 attributesInPlace: attributesInPlace)
        }
    }
}

/// The name of a server span's task once the span was renamed: `METHOD route` when the span has
/// the OpenTelemetry HTTP attribute `http.request.method` (or the older `http.method`), the
/// route being its attribute `http.route`, else its name (kept whole when it starts with the
/// method already); without the method, the span's name. Hummingbird's tracing middleware sets
/// the method as the span starts, renames the span to the bare route after the handler, then
/// sets `http.route`. Kept as its parts: the name is assembled only where it is written.
struct TaskName: Equatable {
    /// nil: the name is `route` alone.
    let method: String?
    let route: String

    init(spanName: String, attributes: SpanAttributes) {
        guard let method = Self.text(attributes.get("http.request.method") ?? attributes.get("http.method")) else {
            (self.method, route) = (nil, spanName)
            return
        }
        if let route = Self.route(in: attributes) {
            (self.method, self.route) = (method, route)
        } else if spanName.utf8.starts(with: method.utf8),
                  spanName.utf8.dropFirst(method.utf8.count).first == UInt8(ascii: " ") {
            (self.method, route) = (nil, spanName)
        } else {
            (self.method, route) = (method, spanName)
        }
    }

    /// The span's `http.route`, if it has one.
    static func route(in attributes: SpanAttributes) -> String? {
        text(attributes.get("http.route"))
    }

    private static func text(_ attribute: SpanAttribute?) -> String? {
        guard case .string(let value)? = attribute, !value.isEmpty else { return nil }
        return value
    }
}
#endif
