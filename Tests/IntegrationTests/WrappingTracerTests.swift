// FlightRecorderTracer(wrapping:): every span call reaches the wrapped tracer, propagation is
// the wrapped tracer's, and the recorded spans carry the wrapped spans' ids. The wrapped
// tracer here is a small W3C tracer of the test's own that remembers every call
// (RecordingTracer); the swift-otel test is in Integrations/SwiftOTel.

#if Tracing
import FlightRecorder
@testable import FlightRecorderTracing
import Instrumentation
import Synchronization
import Testing
import TraceModel
import TraceReaders
import Tracing

/// A tracer of the test's own: random W3C ids, `traceparent` propagation under its own context
/// key, and every span call remembered.
final class RecordingTracer: Tracer, Sendable {
    final class RecordedSpan: Tracing.Span, Sendable {
        struct State {
            var operationName: String
            var attributes: SpanAttributes = [:]
            var status: SpanStatus?
            var events: [String] = []
            var links = 0
            var ends = 0
        }

        let context: InstrumentationContext
        let ids: FlightRecorderSpanContext
        let state: Mutex<State>

        init(_ operationName: String, ids: FlightRecorderSpanContext, context: InstrumentationContext) {
            var context = context
            context[RecordingTracerKey.self] = ids
            self.context = context
            self.ids = ids
            state = Mutex(State(operationName: operationName))
        }

        var operationName: String {
            get { state.withLock { $0.operationName } }
            set { state.withLock { $0.operationName = newValue } }
        }

        var attributes: SpanAttributes {
            get { state.withLock { $0.attributes } }
            set { state.withLock { $0.attributes = newValue } }
        }

        var isRecording: Bool { state.withLock { $0.ends == 0 } }
        func setStatus(_ status: SpanStatus) { state.withLock { $0.status = status } }
        func addEvent(_ event: SpanEvent) { state.withLock { $0.events.append(event.name) } }
        func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                                 at instant: @autoclosure () -> Instant) {
            state.withLock { $0.events.append("error: \(error)") }
        }
        func addLink(_ link: SpanLink) { state.withLock { $0.links += 1 } }
        func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) { state.withLock { $0.ends += 1 } }
    }

    enum RecordingTracerKey: InstrumentationContextKey {
        typealias Value = FlightRecorderSpanContext
    }

    let spans = Mutex<[RecordedSpan]>([])

    func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> InstrumentationContext,
                                           ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
                                           function: String, file fileID: String, line: UInt) -> RecordedSpan {
        let context = context()
        let span = RecordedSpan(operationName, ids: .child(of: context[RecordingTracerKey.self]), context: context)
        spans.withLock { $0.append(span) }
        return span
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier {
        guard let ids = context[RecordingTracerKey.self] else { return }
        injector.inject(ids.traceparent, forKey: "traceparent", into: &carrier)
        injector.inject("vendor=1", forKey: "tracestate", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier) else { return }
        context[RecordingTracerKey.self] = FlightRecorderSpanContext(traceparent: header)
    }
}

/// RecordingTracer with spans of a value type (a struct around its span): a wrapping tracer
/// holds such spans boxed, and class instances as themselves.
struct ValueSpanTracer: Tracer {
    struct ValueSpan: Tracing.Span {
        let span: RecordingTracer.RecordedSpan

        var context: InstrumentationContext { span.context }
        var operationName: String {
            get { span.operationName }
            nonmutating set { span.operationName = newValue }
        }
        var attributes: SpanAttributes {
            get { span.attributes }
            nonmutating set { span.attributes = newValue }
        }
        var isRecording: Bool { span.isRecording }
        func setStatus(_ status: SpanStatus) { span.setStatus(status) }
        func addEvent(_ event: SpanEvent) { span.addEvent(event) }
        func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                                 at instant: @autoclosure () -> Instant) {
            span.recordError(error, attributes: attributes, at: instant())
        }
        func addLink(_ link: SpanLink) { span.addLink(link) }
        func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) { span.end(at: instant()) }
    }

    let recording: RecordingTracer

    func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> InstrumentationContext,
                                           ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
                                           function: String, file fileID: String, line: UInt) -> ValueSpan {
        ValueSpan(span: recording.startSpan(operationName, context: context(), ofKind: kind, at: instant(),
                                            function: function, file: fileID, line: line))
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier {
        recording.inject(context, into: &carrier, using: injector)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier {
        recording.extract(carrier, into: &context, using: extractor)
    }
}

extension Integration {
    @Suite struct WrappingTracer {
        @Test("every span call reaches the wrapped tracer, and the recorded spans carry its ids, whether its spans are class instances or values",
              arguments: [false, true])
        func spansReachTheWrappedTracerWithItsIds(spansAreValues: Bool) async throws {
            let wrapped = RecordingTracer()
            let tracer = spansAreValues ? FlightRecorderTracer(wrapping: ValueSpanTracer(recording: wrapped))
                : FlightRecorderTracer(wrapping: wrapped)
            struct Failure: Error {}
            let bytes = try await withExclusiveRecorder { recorder in
                let outer = tracer.startSpan("HTTP GET route not found", context: .topLevel, ofKind: .server)
                let inner = tracer.startSpan("db query", context: outer.context, ofKind: .client)
                inner.attributes["db.statement"] = "SELECT 1"
                inner.addEvent("rows")
                inner.recordError(Failure())
                inner.setStatus(SpanStatus(code: .error))
                inner.addLink(SpanLink(context: outer.context, attributes: [:]))
                inner.end()
                outer.operationName = "/ping"
                outer.end()
                outer.end()
                return try recorder.snapshot()
            }
            let spans = wrapped.spans.withLock { $0 }
            try #require(spans.count == 2)
            let (outerSpan, innerSpan) = (spans[0], spans[1])
            #expect(outerSpan.operationName == "/ping")
            #expect(outerSpan.state.withLock { $0.ends } == 1, "end() reaches the wrapped span once")
            #expect(innerSpan.attributes["db.statement"].map { SpanAttributeText.describe($0.toSpanAttribute()) } == "SELECT 1")
            #expect(innerSpan.state.withLock { $0.events } == ["rows", "error: Failure()"])
            #expect(innerSpan.state.withLock { $0.status?.code } == .error)
            #expect(innerSpan.state.withLock { $0.links } == 1)
            #expect(innerSpan.ids.traceID == outerSpan.ids.traceID, "the wrapped tracer's parent: same trace")

            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "wrapped spans"))
            let ends = digest.logs.filter { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
            let starts = digest.logs.filter { $0.category == "span.start" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
            try #require(ends.count == 2)
            try #require(starts.count == 2)
            #expect(starts[0]["trace"] == outerSpan.ids.traceID)
            #expect(starts[0]["span"] == outerSpan.ids.spanIDText)
            #expect(ends[0]["span"] == innerSpan.ids.spanIDText)
            #expect(ends[0]["trace"] == outerSpan.ids.traceID)
            #expect(ends[0]["parent"] == outerSpan.ids.spanIDText)
            #expect(ends[0]["attr.db.statement"] == "SELECT 1")
            #expect(ends[0]["status"] == "error")
            #expect(ends[0]["link"] == outerSpan.ids.traceID + "-" + outerSpan.ids.spanIDText)
            #expect(ends[1]["name"] == "/ping")
            #expect(ends[1]["span"] == outerSpan.ids.spanIDText)
            #expect(digest.regionNames.isSuperset(of: ["HTTP GET route not found", "/ping", "db query"]))
        }

        @Test("propagation is the wrapped tracer's: its headers, and an extracted parent's trace")
        func propagationIsTheWrappedTracers() async throws {
            let wrapped = RecordingTracer()
            let tracer = FlightRecorderTracer(wrapping: wrapped)
            let remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            var context = InstrumentationContext.topLevel
            tracer.extract(["traceparent": remote], into: &context, using: DictionaryExtractor())
            let bytes = try await withExclusiveRecorder { recorder in
                let span = tracer.startSpan("handler", context: context, ofKind: .server)
                var headers: [String: String] = [:]
                tracer.inject(span.context, into: &headers, using: DictionaryInjector())
                #expect(headers["tracestate"] == "vendor=1")
                #expect(headers["traceparent"] == span.spanContext.traceparent)
                #expect(span.spanContext.traceID == "0af7651916cd43dd8448eb211c80319c")
                span.end()
                return try recorder.snapshot()
            }
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "remote parent"))
            let end = try #require(digest.logs.first { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) })
            #expect(end["trace"] == "0af7651916cd43dd8448eb211c80319c")
            #expect(end["parent"] == "b7ad6b7169203331")
        }

        @Test("a span started while nothing records reads the wrapped ids when recording has begun by its end")
        func idsReadAtEnd() async throws {
            let wrapped = RecordingTracer()
            let tracer = FlightRecorderTracer(wrapping: wrapped)
            let span = tracer.startSpan("long poll", context: .topLevel, ofKind: .internal)
            let bytes = try await withExclusiveRecorder { recorder in
                span.end()
                return try recorder.snapshot()
            }
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "late"))
            let end = try #require(digest.logs.first { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) })
            let ids = try #require(wrapped.spans.withLock { $0.first?.ids })
            #expect(end["span"] == ids.spanIDText)
            #expect(end["trace"] == ids.traceID)
        }

        @Test("beside a tracer that propagates no W3C context, spans are recorded with ids of their own")
        func tracerWithoutTraceparent() async throws {
            let tracer = FlightRecorderTracer(wrapping: NoOpTracer())
            let bytes = try await withExclusiveRecorder { recorder in
                let outer = tracer.startSpan("outer", context: .topLevel, ofKind: .server)
                let inner = tracer.startSpan("inner", context: outer.context, ofKind: .internal)
                inner.end()
                outer.end()
                return try recorder.snapshot()
            }
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "noop"))
            let ends = digest.logs.filter { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
            try #require(ends.count == 2)
            #expect(ends.allSatisfy { $0["trace"]?.count == 32 && $0["span"]?.count == 16 })
            #expect(digest.regionNames.isSuperset(of: ["outer", "inner"]))
        }
    }
}
#endif
