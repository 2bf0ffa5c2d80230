// FlightRecorderTracer(wrapping:) beside swift-otel's tracer: the spans reach swift-otel, whose
// OTLP/HTTP exporter sends them to a loopback receiver, and the snapshot's span records carry
// the same trace and span ids as the exported spans, read from swift-otel's context once checked
// against its `traceparent`.

import FlightRecorder
@testable import FlightRecorderTracing
import Foundation
import Logging
import OTel
import ServiceLifecycle
import Testing
import TraceReaders
import Tracing

/// An exported span: name and ids as lowercase hex.
struct ExportedSpan: Equatable {
    var name: String
    var traceID: String
    var spanID: String
    var parentSpanID: String
}

/// The spans in OTLP/JSON export requests (resourceSpans[].scopeSpans[].spans[]). Ids are
/// base64 in protobuf's JSON mapping and hex in OTLP's: both are read.
func exportedSpans(_ bodies: [[UInt8]]) throws -> [ExportedSpan] {
    func hex(_ text: String?) -> String {
        guard let text, !text.isEmpty else { return "" }
        if text.count == 32 || text.count == 16, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let data = Data(base64Encoded: text) else { return "?" }
        return data.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
    var spans: [ExportedSpan] = []
    for body in bodies {
        let root = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        for resource in root?["resourceSpans"] as? [[String: Any]] ?? [] {
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    spans.append(ExportedSpan(name: span["name"] as? String ?? "", traceID: hex(span["traceId"] as? String),
                                              spanID: hex(span["spanId"] as? String),
                                              parentSpanID: hex(span["parentSpanId"] as? String)))
                }
            }
        }
    }
    return spans
}

/// `key=value key="quoted value"` into pairs (the span records' logfmt; values here need no escapes).
func fields(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    var rest = Substring(text)
    while let equals = rest.firstIndex(of: "=") {
        let key = String(rest[..<equals]).trimmingCharacters(in: .whitespaces)
        rest = rest[rest.index(after: equals)...]
        let value: Substring
        if rest.first == "\"" {
            rest = rest.dropFirst()
            let close = rest.firstIndex(of: "\"") ?? rest.endIndex
            value = rest[..<close]
            rest = close < rest.endIndex ? rest[rest.index(after: close)...] : ""
        } else {
            let space = rest.firstIndex(of: " ") ?? rest.endIndex
            value = rest[..<space]
            rest = rest[space...]
        }
        result[key] = String(value)
    }
    return result
}

struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct HeaderExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

@Suite struct SwiftOTel {
    @Test("spans go to swift-otel's OTLP/HTTP exporter and into the snapshot with the same ids")
    func sameIdsInBackendAndSnapshot() async throws {
        let receiver = try LoopbackReceiver()
        defer { receiver.stop() }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "flight-recorder-test"
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.sampler = .alwaysOn
        configuration.traces.otlpExporter.protocol = .httpJSON
        configuration.traces.otlpExporter.endpoint = "http://127.0.0.1:\(receiver.port)/v1/traces"
        configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(50)
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        let tracer = FlightRecorderTracer(wrapping: backend.factory)
        let group = ServiceGroup(services: [backend.service], logger: Logger(label: "otel"))
        let run = Task { try await group.run() }

        // Before recording: the ids of spans (roots, children, children of a remote parent) are
        // checked against swift-otel's `traceparent` until they are read from its context alone.
        let remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        var remoteContext = InstrumentationContext.topLevel
        tracer.extract(["traceparent": remote], into: &remoteContext, using: HeaderExtractor())
        var previous: FlightRecorderSpan?
        let warmUp = 2 * ContextIdentityReader.requiredChecks
        for index in 0..<warmUp {
            let context = index % 3 == 0 ? InstrumentationContext.topLevel
                : index % 3 == 1 ? remoteContext : previous?.context ?? .topLevel
            let span = tracer.startSpan("warm-up \(index)", context: context, ofKind: .server)
            var headers: [String: String] = [:]
            tracer.inject(span.context, into: &headers, using: HeaderInjector())
            #expect(headers["traceparent"] == span.spanContext.traceparent)
            span.end()
            previous = span
        }
        #expect(tracer.wrappedIdentityPath == .reading, "swift-otel's ids are read from its context")

        let recorder = FlightRecorder()
        try recorder.start()
        let outer = tracer.startSpan("GET /items/{id}", context: .topLevel, ofKind: .server)
        let inner = tracer.startSpan("db query", context: outer.context, ofKind: .client)
        inner.attributes["db.system"] = "postgresql"
        inner.end()
        outer.end()
        let called = tracer.startSpan("GET /called", context: remoteContext, ofKind: .server)
        called.end()
        let bytes = try recorder.snapshot()
        recorder.stop()
        #expect(tracer.wrappedIdentityPath == .reading)

        // The batch processor exports every 50 ms; wait (bounded) until every span arrived.
        let deadline = ContinuousClock.now + .seconds(30)
        var exported: [ExportedSpan] = []
        while ContinuousClock.now < deadline {
            exported = try exportedSpans(receiver.requests.map(\.body))
            if exported.count >= warmUp + 3 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        await group.triggerGracefulShutdown()
        _ = await run.result

        #expect(receiver.requests.allSatisfy { $0.path == "/v1/traces" })
        let exportedOuter = try #require(exported.first { $0.name == "GET /items/{id}" })
        let exportedInner = try #require(exported.first { $0.name == "db query" })
        #expect(exportedInner.traceID == exportedOuter.traceID)
        #expect(exportedInner.parentSpanID == exportedOuter.spanID)

        var reader = try SnapshotTraceReader(bytes: bytes, name: "otel")
        var records: [[String: String]] = []
        var regions: Set<String> = []
        while let event = try reader.next() {
            switch event.kind {
            case .log(_, _, let category, let message) where reader.tables.string(category) == "span":
                records.append(fields(message))
            case .regionBegin(_, _, let name, _):
                regions.insert(reader.tables.string(name))
            default:
                break
            }
        }
        let recordedOuter = try #require(records.first { $0["name"] == "GET /items/{id}" })
        let recordedInner = try #require(records.first { $0["name"] == "db query" })
        #expect(recordedOuter["trace"] == exportedOuter.traceID)
        #expect(recordedOuter["span"] == exportedOuter.spanID)
        #expect(recordedInner["trace"] == exportedInner.traceID)
        #expect(recordedInner["span"] == exportedInner.spanID)
        #expect(recordedInner["parent"] == exportedOuter.spanID)
        #expect(recordedInner["attr.db.system"] == "postgresql")
        let exportedCalled = try #require(exported.first { $0.name == "GET /called" })
        let recordedCalled = try #require(records.first { $0["name"] == "GET /called" })
        #expect(exportedCalled.traceID == "0af7651916cd43dd8448eb211c80319c")
        #expect(exportedCalled.parentSpanID == "b7ad6b7169203331")
        #expect(recordedCalled["trace"] == exportedCalled.traceID)
        #expect(recordedCalled["span"] == exportedCalled.spanID)
        #expect(recordedCalled["parent"] == "b7ad6b7169203331")
        #expect(regions.isSuperset(of: ["GET /items/{id}", "db query"]))
    }
}
