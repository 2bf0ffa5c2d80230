// ContextIdentityReader: a wrapped tracer's span ids, read from its context once checked against
// its `inject`. Tracers of the test's own keep their ids in their context in binary (W3C byte
// order, as swift-otel does), as text, or change what they keep; the ids the reader gives must
// always be those `inject` gives, the layout must be used only after the checks agreed, and a
// fallback must be logged once.

#if Tracing
import FlightRecorder
@testable import FlightRecorderTracing
import Instrumentation
import Logging
import Synchronization
import Testing
import TraceModel
import TraceReaders
import Tracing

/// How a `ContextKeptTracer` keeps a span's ids in its context.
protocol KeptIds: Sendable {
    init(_ ids: FlightRecorderSpanContext)
    var ids: FlightRecorderSpanContext { get }
}

/// Ids in W3C byte order, as a W3C trace-context library keeps them, beside a reference and the
/// parent id (swift-otel's span context has the same kinds of fields).
struct W3CByteIds: KeptIds {
    typealias Trace = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                       UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    typealias Span = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)
    var trace: Trace
    var span: Span
    var flags: UInt8
    var state: [String]
    var parent: Span?
    var isRemote: Bool

    // unsafeBitCast: between tuples of 16 (8) bytes and pairs of (one) UInt64, the same size.
    init(_ ids: FlightRecorderSpanContext) {
        trace = unsafeBitCast((ids.traceIDHigh.bigEndian, ids.traceIDLow.bigEndian), to: Trace.self)
        span = unsafeBitCast(ids.spanID.bigEndian, to: Span.self)
        flags = ids.flags
        state = ["vendor=1"]
        parent = ids.parentSpanID == 0 ? nil : unsafeBitCast(ids.parentSpanID.bigEndian, to: Span.self)
        isRemote = false
    }

    var ids: FlightRecorderSpanContext {
        let (high, low) = unsafeBitCast(trace, to: (UInt64, UInt64).self)
        return FlightRecorderSpanContext(traceIDHigh: UInt64(bigEndian: high), traceIDLow: UInt64(bigEndian: low),
                                         spanID: UInt64(bigEndian: unsafeBitCast(span, to: UInt64.self)),
                                         parentSpanID: parent.map { UInt64(bigEndian: unsafeBitCast($0, to: UInt64.self)) } ?? 0,
                                         flags: flags)
    }
}

/// Ids as native 64-bit words and an optional parent, with no flags: `traceparent` always says
/// sampled (as the benchmarks' W3C tracer does).
struct WordIds: KeptIds {
    var traceHigh: UInt64
    var traceLow: UInt64
    var span: UInt64
    var parent: UInt64?

    init(_ ids: FlightRecorderSpanContext) {
        traceHigh = ids.traceIDHigh
        traceLow = ids.traceIDLow
        span = ids.spanID
        parent = ids.parentSpanID == 0 ? nil : ids.parentSpanID
    }

    var ids: FlightRecorderSpanContext {
        FlightRecorderSpanContext(traceIDHigh: traceHigh, traceIDLow: traceLow, spanID: span, parentSpanID: parent ?? 0,
                                  flags: 1)
    }
}

/// Ids as hex text (as swift-distributed-tracing's InMemoryTracer keeps them).
struct TextIds: KeptIds {
    var traceparent: String

    init(_ ids: FlightRecorderSpanContext) {
        traceparent = ids.traceparent
    }

    var ids: FlightRecorderSpanContext { FlightRecorderSpanContext(traceparent: traceparent)! }
}

/// The entry a `ContextKeptTracer` keeps its ids in.
enum KeptIdsKey<Kept: KeptIds>: InstrumentationContextKey {
    typealias Value = Kept
}

/// An entry whose value is an existential: the context keeps the existential's container (the
/// ids, larger than its inline buffer, behind a pointer to a box).
enum BoxedIdsKey: InstrumentationContextKey {
    typealias Value = any KeptIds
}

/// Another entry in every context, as a context carries more than the tracer's (baggage, a
/// request id).
enum RequestIDKey: InstrumentationContextKey {
    typealias Value = UInt64
}

/// A tracer that keeps its span's ids as `Kept` in its context and propagates them as
/// `traceparent`; each span's flags are given by `flags` (sampled or not).
final class ContextKeptTracer<Kept: KeptIds>: Tracer, Sendable {
    final class KeptSpan: Tracing.Span, Sendable {
        let context: InstrumentationContext
        let state: Mutex<(name: String, attributes: SpanAttributes)>

        init(_ name: String, context: InstrumentationContext) {
            self.context = context
            state = Mutex((name, [:]))
        }

        var operationName: String {
            get { state.withLock { $0.name } }
            set { state.withLock { $0.name = newValue } }
        }
        var attributes: SpanAttributes {
            get { state.withLock { $0.attributes } }
            set { state.withLock { $0.attributes = newValue } }
        }
        var isRecording: Bool { true }
        func setStatus(_ status: SpanStatus) {}
        func addEvent(_ event: SpanEvent) {}
        func recordError<Instant: TracerInstant>(_ error: any Error, attributes: SpanAttributes,
                                                 at instant: @autoclosure () -> Instant) {}
        func addLink(_ link: SpanLink) {}
        func end<Instant: TracerInstant>(at instant: @autoclosure () -> Instant) {}
    }

    let started = Atomic<Int>(0)

    func startSpan<Instant: TracerInstant>(_ operationName: String, context: @autoclosure () -> InstrumentationContext,
                                           ofKind kind: SpanKind, at instant: @autoclosure () -> Instant,
                                           function: String, file fileID: String, line: UInt) -> KeptSpan {
        var context = context()
        var ids = FlightRecorderSpanContext.child(of: context[KeptIdsKey<Kept>.self]?.ids)
        // Every third span is not sampled: the flags differ between spans.
        ids.flags = started.add(1, ordering: .relaxed).newValue % 3 == 0 ? 0 : 1
        context[KeptIdsKey<Kept>.self] = Kept(ids)
        context[RequestIDKey.self] = UInt64.random(in: 1...UInt64.max)
        return KeptSpan(operationName, context: context)
    }

    func forceFlush() {}

    func inject<Carrier, Inject: Injector>(_ context: InstrumentationContext, into carrier: inout Carrier,
                                           using injector: Inject) where Inject.Carrier == Carrier {
        guard let kept = context[KeptIdsKey<Kept>.self] else { return }
        injector.inject(kept.ids.traceparent, forKey: "traceparent", into: &carrier)
    }

    func extract<Carrier, Extract: Extractor>(_ carrier: Carrier, into context: inout InstrumentationContext,
                                              using extractor: Extract) where Extract.Carrier == Carrier {
        guard let header = extractor.extract(key: "traceparent", from: carrier),
              let remote = FlightRecorderSpanContext(traceparent: header) else { return }
        context[KeptIdsKey<Kept>.self] = Kept(remote)
    }
}

/// A carrier of one header.
struct TraceparentCarrierExtractor: Extractor {
    func extract(key: String, from carrier: String) -> String? { key == "traceparent" ? carrier : nil }
}

/// Log lines a reader wrote.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.lines.withLock { $0.append(event.message.description) }
        }
    }

    var logger: Logger { Logger(label: "test") { _ in Handler(log: self) } }
}

/// The ids `tracer` injects for `context`, as the reader's `inject` gets them.
func injected(_ context: InstrumentationContext, by tracer: some Tracer) -> FlightRecorderSpanContext? {
    var carrier: FlightRecorderSpanContext?
    tracer.inject(context, into: &carrier, using: TraceparentInjector())
    return carrier
}

/// A context with ids kept as `value` under `KeptIdsKey`, and a request id.
func keptContext<Kept: KeptIds>(_ value: Kept) -> InstrumentationContext {
    var context = InstrumentationContext.topLevel
    context[RequestIDKey.self] = 42
    context[KeptIdsKey<Kept>.self] = value
    return context
}

/// Checks `ContextIdentityReader.requiredChecks` root spans whose contexts keep their ids as
/// `kept` makes them, each answered as `inject` would: the reader has learned the layout.
func learnLayout<Kept: KeptIds>(_ reader: ContextIdentityReader, _ kept: (FlightRecorderSpanContext) -> Kept) {
    for _ in 0..<ContextIdentityReader.requiredChecks {
        let ids = FlightRecorderSpanContext.child(of: nil)
        #expect(reader.identity(of: keptContext(kept(ids))) { _ in ids } == ids)
    }
    #expect(reader.path == .reading)
}

extension Integration {
    @Suite struct ContextIdentity {
        @Test("ids kept in binary are read from the context after the checks, the same as inject's")
        func binaryIdsAreReadAfterTheChecks() async throws {
            let wrapped = ContextKeptTracer<W3CByteIds>()
            let tracer = FlightRecorderTracer(wrapping: wrapped)
            let remote = FlightRecorderSpanContext.child(of: nil)
            var remoteContext = InstrumentationContext.topLevel
            tracer.extract(remote.traceparent, into: &remoteContext, using: TraceparentCarrierExtractor())
            // Not recording, a span's ids are read at `spanContext`: roots, children and spans
            // with a remote parent, until the checks are done and after.
            var parent: FlightRecorderSpan?
            for index in 0..<(2 * ContextIdentityReader.requiredChecks) {
                if index == ContextIdentityReader.requiredChecks - 1 {
                    #expect(tracer.wrappedIdentityPath == .learning)
                }
                let context = index % 3 == 0 ? InstrumentationContext.topLevel
                    : index % 3 == 1 ? remoteContext : parent?.context ?? .topLevel
                let span = tracer.startSpan("span \(index)", context: context, ofKind: .server)
                let expected = try #require(injected(span.context, by: wrapped))
                // One check per span: its ids are read once.
                let ids = span.spanContext
                #expect(ids == expected)
                if index % 3 == 1 { #expect(ids.traceID == remote.traceID) }
                span.end()
                parent = span
            }
            #expect(tracer.wrappedIdentityPath == .reading)

            // Recording: the snapshot's ids and parent ids are the wrapped tracer's.
            let (bytes, serverIDs, childIDs) = try await withExclusiveRecorder { recorder in
                let server = tracer.startSpan("GET /", context: remoteContext, ofKind: .server)
                let child = tracer.startSpan("db", context: server.context, ofKind: .client)
                child.end()
                server.end()
                return (try recorder.snapshot(), injected(server.context, by: wrapped), injected(child.context, by: wrapped))
            }
            #expect(tracer.wrappedIdentityPath == .reading)
            let server = try #require(serverIDs)
            let child = try #require(childIDs)
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "kept ids"))
            let ends = digest.logs.filter { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
            try #require(ends.count == 2)
            #expect(ends[0]["span"] == child.spanIDText)
            #expect(ends[0]["trace"] == remote.traceID)
            #expect(ends[0]["parent"] == server.spanIDText)
            #expect(ends[1]["span"] == server.spanIDText)
            #expect(ends[1]["trace"] == remote.traceID)
            #expect(ends[1]["parent"] == remote.spanIDText)
        }

        @Test("ids kept as native words are read too; flags that never changed are not looked for in the value")
        func wordIdsAndConstantFlags() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            // Root spans only while checking: the parent's optional tag byte is 1, as the flags are.
            learnLayout(reader, WordIds.init)
            let parent = FlightRecorderSpanContext.child(of: nil)
            let child = FlightRecorderSpanContext.child(of: parent)
            let read = reader.identity(of: keptContext(WordIds(child))) { _ in nil }
            #expect(read?.traceID == parent.traceID)
            #expect(read?.spanID == child.spanID)
            #expect(read?.flags == 1)
            #expect(log.lines.withLock { $0.isEmpty })
        }

        @Test("ids kept as text are read through inject, after one log line")
        func textIdsGoThroughInject() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            let wrapped = ContextKeptTracer<TextIds>()
            for _ in 0..<(2 * ContextIdentityReader.requiredChecks) {
                let span = wrapped.startSpan("span", context: .topLevel, ofKind: .internal, at: DefaultTracerClock.now,
                                             function: "", file: "", line: 0)
                let expected = injected(span.context, by: wrapped)
                #expect(expected != nil)
                #expect(reader.identity(of: span.context) { injected($0, by: wrapped) } == expected)
            }
            #expect(reader.path == .injecting)
            #expect(log.lines.withLock { $0.count } == 1)
        }

        @Test("a context whose ids disagree with inject while checking: inject from then on, one log line")
        func disagreementFallsBack() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            for index in 0..<(2 * ContextIdentityReader.requiredChecks) {
                let ids = FlightRecorderSpanContext.child(of: nil)
                var told = ids
                // The fifth span's `traceparent` names another span than its context keeps.
                if index == 4 { told.spanID ^= 1 }
                let context = keptContext(W3CByteIds(ids))
                #expect(reader.identity(of: context) { _ in told } == told)
                #expect(reader.path == (index < 4 ? .learning : .injecting))
            }
            #expect(log.lines.withLock { $0.count } == 1)
        }

        @Test("after the checks the layout alone gives the ids; another type there is not read")
        func layoutAloneAfterTheChecks() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            learnLayout(reader, W3CByteIds.init)
            let ids = FlightRecorderSpanContext.child(of: nil)
            #expect(reader.identity(of: keptContext(W3CByteIds(ids))) { _ in nil } == ids, "read, inject not asked")
            #expect(log.lines.withLock { $0.isEmpty })

            // A key's value type is fixed (the subscript is typed), so a layout only meets another
            // type if it is handed one: it then reads nothing.
            let other = FlightRecorderSpanContext.child(of: nil)
            let found = try #require(IdentityLayout.find(other, in: keptContext(W3CByteIds(other))))
            guard case .ids(let read) = found.layout.read(keptContext(W3CByteIds(other))) else {
                Issue.record("the layout found reads no ids")
                return
            }
            #expect(read.traceID == other.traceID && read.spanID == other.spanID)
            var elsewhere = found.layout
            elsewhere.valueType = TextIds.self
            guard case .otherType = elsewhere.read(keptContext(W3CByteIds(other))) else {
                Issue.record("a value of another type was read")
                return
            }
        }

        @Test("ids behind an existential's box are not followed: inject from the first span, one log line")
        func boxedIdsAreNotFollowed() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            for _ in 0..<ContextIdentityReader.requiredChecks {
                let ids = FlightRecorderSpanContext.child(of: nil)
                var context = InstrumentationContext.topLevel
                context[BoxedIdsKey.self] = W3CByteIds(ids)
                #expect(reader.identity(of: context) { _ in ids } == ids)
                #expect(reader.path == .injecting)
            }
            #expect(log.lines.withLock { $0.count } == 1)
        }

        @Test("a context without the entry of the ids that has ids in its traceparent: inject from then on")
        func missingEntryWithIdsFallsBack() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            learnLayout(reader, W3CByteIds.init)
            var noSpan = InstrumentationContext.topLevel
            noSpan[RequestIDKey.self] = 7
            #expect(reader.identity(of: noSpan) { _ in nil } == nil)
            #expect(reader.path == .reading, "no entry and no traceparent agree")
            let elsewhere = FlightRecorderSpanContext.child(of: nil)
            #expect(reader.identity(of: noSpan) { _ in elsewhere } == elsewhere)
            #expect(reader.path == .injecting)
            #expect(log.lines.withLock { $0.count } == 1)
        }

        @Test("a tracer that injects no traceparent keeps the inject path, with no log line")
        func noTraceparentKeepsInjecting() throws {
            let log = CapturedLog()
            let reader = ContextIdentityReader(logger: log.logger)
            for _ in 0..<(2 * ContextIdentityReader.requiredChecks) {
                let context = keptContext(W3CByteIds(FlightRecorderSpanContext.child(of: nil)))
                #expect(reader.identity(of: context) { _ in nil } == nil)
            }
            #expect(reader.path == .learning)
            #expect(log.lines.withLock { $0.isEmpty })
        }
    }
}
#endif
