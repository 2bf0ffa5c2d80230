// The tracer a wrapping FlightRecorderTracer runs beside in these benchmarks: what a production
// tracer (swift-otel's, say) does on the caller's thread for a span, without its export.
//
// Invariants:
// - Ids are random (SystemRandomNumberGenerator), W3C sized: a 128-bit trace id and a 64-bit
//   span id; a child span keeps its parent's trace id. Every span is sampled.
// - Propagation is W3C trace context: `inject` writes `traceparent` for the context's span,
//   `extract` reads it (a malformed header is ignored).
// - A span's state is behind a Mutex (a span may end on another thread than it started on);
//   `end()` takes effect once and hands the finished span to the tracer's export buffer, a
//   bounded in-memory queue as a batch span processor keeps (when full, the batch is dropped,
//   standing in for its export).

import Synchronization
import Tracing

struct W3CSpanContext: Sendable, Hashable {
    var traceIDHigh: UInt64
    var traceIDLow: UInt64
    var spanID: UInt64
    var parentSpanID: UInt64?

    /// `00-<trace id>-<span id>-01`, lowercase hex.
    var traceparent: String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            var i = 0
            func put(_ byte: UInt8) { buffer[i] = byte; i += 1 }
            func hex(_ value: UInt64) {
                for shift in stride(from: 60, through: 0, by: -4) {
                    let digit = UInt8(truncatingIfNeeded: value >> UInt64(shift)) & 0xF
                    put(digit < 10 ? 0x30 + digit : 0x57 + digit)
                }
            }
            put(0x30); put(0x30); put(0x2D)
            hex(traceIDHigh); hex(traceIDLow); put(0x2D)
            hex(spanID); put(0x2D)
            put(0x30); put(0x31)
            return i
        }
    }

    /// The remote span a `traceparent` header names; nil when it is not one.
    init?(traceparent: String) {
        let parts = traceparent.utf8.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        guard parts.count == 4, parts[1].count == 32, parts[2].count == 16,
              let high = UInt64(String(decoding: parts[1].prefix(16), as: UTF8.self), radix: 16),
              let low = UInt64(String(decoding: parts[1].suffix(16), as: UTF8.self), radix: 16),
              let span = UInt64(String(decoding: parts[2], as: UTF8.self), radix: 16),
              high | low != 0, span != 0 else { return nil }
        self.init(traceIDHigh: high, traceIDLow: low, spanID: span, parentSpanID: nil)
    }

    init(traceIDHigh: UInt64, traceIDLow: UInt64, spanID: UInt64, parentSpanID: UInt64?) {
        self.traceIDHigh = traceIDHigh
        self.traceIDLow = traceIDLow
        self.spanID = spanID
        self.parentSpanID = parentSpanID
    }
}

enum W3CSpanContextKey: InstrumentationContextKey {
    typealias Value = W3CSpanContext
}

struct FinishedW3CSpan: Sendable {
    let operationName: String
    let kind: SpanKind
    let spanContext: W3CSpanContext
    let attributes: SpanAttributes
    let status: SpanStatus?
    let events: [SpanEvent]
    let links: [SpanLink]
    let startNanosecondsSinceEpoch: UInt64
    let endNanosecondsSinceEpoch: UInt64
}

/// Finished spans waiting for export, at most `capacity`.
final class ExportBuffer: Sendable {
    static let capacity = 2048
    private let spans = Mutex<[FinishedW3CSpan]>({
        var spans: [FinishedW3CSpan] = []
        spans.reserveCapacity(ExportBuffer.capacity)
        return spans
    }())

    func append(_ span: FinishedW3CSpan) {
        spans.withLock { spans in
            if spans.count == Self.capacity { spans.removeAll(keepingCapacity: true) }
            spans.append(span)
        }
    }
}

struct W3CTracer: Tracer {
    typealias Span = W3CSpan
    let buffer = ExportBuffer()

    func startSpan<Instant: TracerInstant>(
        _ operationName: String,
        context: @autoclosure () -> InstrumentationContext,
        ofKind kind: SpanKind,
        at instant: @autoclosure () -> Instant,
        function: String,
        file fileID: String,
        line: UInt
    ) -> W3CSpan {
        var context = context()
        var random = SystemRandomNumberGenerator()
        let spanContext: W3CSpanContext
        if let parent = context[W3CSpanContextKey.self] {
            spanContext = W3CSpanContext(traceIDHigh: parent.traceIDHigh, traceIDLow: parent.traceIDLow,
                                         spanID: random.next(), parentSpanID: parent.spanID)
        } else {
            spanContext = W3CSpanContext(traceIDHigh: random.next(), traceIDLow: random.next(),
                                         spanID: random.next(), parentSpanID: nil)
        }
        context[W3CSpanContextKey.self] = spanContext
        return W3CSpan(operationName: operationName, kind: kind, context: context, spanContext: spanContext,
                       startNanosecondsSinceEpoch: instant().nanosecondsSinceEpoch, buffer: buffer)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier {
        guard let spanContext = context[W3CSpanContextKey.self] else { return }
        injector.inject(spanContext.traceparent, forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier),
              let remote = W3CSpanContext(traceparent: header) else { return }
        context[W3CSpanContextKey.self] = remote
    }
}

final class W3CSpan: Span {
    let context: InstrumentationContext
    let kind: SpanKind
    let spanContext: W3CSpanContext
    let startNanosecondsSinceEpoch: UInt64
    private let buffer: ExportBuffer
    private let state: Mutex<State>

    struct State {
        var operationName: String
        var attributes: SpanAttributes = [:]
        var status: SpanStatus?
        var events: [SpanEvent] = []
        var links: [SpanLink] = []
        var ended = false
    }

    init(operationName: String, kind: SpanKind, context: InstrumentationContext, spanContext: W3CSpanContext,
         startNanosecondsSinceEpoch: UInt64, buffer: ExportBuffer) {
        self.context = context
        self.kind = kind
        self.spanContext = spanContext
        self.startNanosecondsSinceEpoch = startNanosecondsSinceEpoch
        self.buffer = buffer
        state = Mutex(State(operationName: operationName))
    }

    var operationName: String {
        get { state.withLock { $0.operationName } }
        set { state.withLock { if !$0.ended { $0.operationName = newValue } } }
    }

    var attributes: SpanAttributes {
        get { state.withLock { $0.attributes } }
        set { state.withLock { if !$0.ended { $0.attributes = newValue } } }
    }

    var isRecording: Bool { state.withLock { !$0.ended } }

    func setStatus(_ status: SpanStatus) {
        state.withLock { if !$0.ended { $0.status = status } }
    }

    func addEvent(_ event: SpanEvent) {
        state.withLock { if !$0.ended { $0.events.append(event) } }
    }

    func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                             at instant: @autoclosure () -> Instant) {
        var attributes = attributes
        attributes["exception.type"] = "\(type(of: error))"
        attributes["exception.message"] = "\(error)"
        addEvent(SpanEvent(name: "exception", at: instant(), attributes: attributes))
    }

    func addLink(_ link: SpanLink) {
        state.withLock { if !$0.ended { $0.links.append(link) } }
    }

    func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {
        let final: State? = state.withLock { s in
            if s.ended { return nil }
            s.ended = true
            return s
        }
        guard let final else { return }
        buffer.append(FinishedW3CSpan(operationName: final.operationName, kind: kind, spanContext: spanContext,
                                      attributes: final.attributes, status: final.status, events: final.events,
                                      links: final.links, startNanosecondsSinceEpoch: startNanosecondsSinceEpoch,
                                      endNanosecondsSinceEpoch: instant().nanosecondsSinceEpoch))
    }
}
