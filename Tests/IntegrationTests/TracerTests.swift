// The swift-distributed-tracing backend: what spans leave in a snapshot (direct spans and
// Hummingbird's TracingMiddleware through a bootstrapped InstrumentationSystem), and W3C
// propagation. The bootstrap is process-wide and happens once (TracerBootstrap).

#if Hummingbird && Tracing
import FlightRecorder
import Foundation
@testable import FlightRecorderTracing
import FlightRecorderHummingbird
import Hummingbird
import Instrumentation
import Testing
import TraceExporters
import TraceModel
import TraceReaders
import Tracing

struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}

extension Integration {
    @Suite struct Tracer {
        @Test("nested spans are recorded with their parent ids and the operation name they have at end()")
        func nestedSpans() async throws {
            let tracer = FlightRecorderTracer()
            let bytes = try await withExclusiveRecorder { recorder in
                let outer = tracer.startSpan("HTTP GET route not found", context: .topLevel, ofKind: .server)
                let inner = tracer.startSpan("db query", context: outer.context, ofKind: .client)
                inner.attributes["db.statement"] = "SELECT \"answer\" FROM t"
                inner.end()
                outer.operationName = "/ping"
                outer.attributes["http.response.status_code"] = 200
                outer.setStatus(SpanStatus(code: .ok))
                outer.end()
                outer.operationName = "after end"
                outer.end()
                return try recorder.snapshot()
            }
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "spans"))
            let starts = digest.logs.filter { $0.category == "span.start" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
            let ends = digest.logs.filter { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
            try #require(starts.count == 2)
            try #require(ends.count == 2)
            let (innerEnd, outerEnd) = (ends[0], ends[1])
            #expect(starts[0]["name"] == "HTTP GET route not found")
            #expect(starts[1]["name"] == "db query")
            #expect(innerEnd["name"] == "db query")
            #expect(outerEnd["name"] == "/ping")
            #expect(outerEnd["kind"] == "server")
            #expect(innerEnd["kind"] == "client")
            #expect(innerEnd["trace"] == outerEnd["trace"])
            #expect(innerEnd["trace"]?.count == 32)
            #expect(innerEnd["parent"] == outerEnd["span"])
            #expect(outerEnd["parent"] == nil)
            #expect(innerEnd["attr.db.statement"] == "SELECT \"answer\" FROM t")
            #expect(outerEnd["attr.http.response.status_code"] == "200")
            #expect(outerEnd["status"] == "ok")
            #expect(Int(outerEnd["durationNs"] ?? "") != nil)
        }

        @Test("spans are regions: nested spans nest, and a renamed span carries its new name from the rename to end()")
        func spansAreRegions() async throws {
            let tracer = FlightRecorderTracer()
            let bytes = try await withExclusiveRecorder { recorder in
                let outer = tracer.startSpan("HTTP GET route not found", context: .topLevel, ofKind: .server)
                outer.operationName = "/items/{id}"
                let inner = tracer.startSpan("db query", context: outer.context, ofKind: .client)
                inner.end()
                outer.end()
                outer.end()
                return try recorder.snapshot()
            }
            var reader = try SnapshotTraceReader(bytes: bytes, name: "spans")
            var sequence: [String] = []
            var tasks = Set<TaskID>()
            while let event = try reader.next() {
                switch event.kind {
                case .regionBegin(let task, _, let name, _):
                    sequence.append("begin " + reader.tables.string(name))
                    tasks.insert(task)
                case .regionEnd(let task, _, let name):
                    sequence.append("end " + reader.tables.string(name))
                    tasks.insert(task)
                default: break
                }
            }
            #expect(sequence == ["begin HTTP GET route not found", "end HTTP GET route not found",
                                 "begin /items/{id}", "begin db query", "end db query", "end /items/{id}"])
            #expect(tasks.count == 1, "all on the task that started the spans")
            #expect(reader.warnings.isEmpty)
        }

        @Test("traceparent survives inject then extract, and a child keeps the remote trace id")
        func propagation() throws {
            let tracer = FlightRecorderTracer()
            let span = tracer.startSpan("client call", context: .topLevel, ofKind: .client)
            var headers: [String: String] = [:]
            tracer.inject(span.context, into: &headers, using: DictionaryInjector())
            let header = try #require(headers["traceparent"])
            #expect(header == "00-\(span.spanContext.traceID)-\(span.spanContext.spanIDText)-01")

            var received = InstrumentationContext.topLevel
            tracer.extract(headers, into: &received, using: DictionaryExtractor())
            let child = tracer.startSpan("server handler", context: received, ofKind: .server)
            #expect(child.spanContext.traceID == span.spanContext.traceID)
            #expect(child.spanContext.parentSpanID == span.spanContext.spanID)
            #expect(child.spanContext.spanID != span.spanContext.spanID)
            span.end()
            child.end()
        }

        @Test("malformed traceparent headers are ignored")
        func malformedTraceparent() {
            for text in ["", "00", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
                         "00-00000000000000000000000000000000-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                         "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
                         // Bytes beside the hex ranges, in each half of each id.
                         "00-0af7651916cd43dd8448eb211c80319:-b7ad6b7169203331-01",
                         "00-/af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7`69203331-01",
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203@31-01",
                         "00-0af7651916cd43dd8448ebG11c80319c-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c8031é-b7ad6b7169203331-01",
                         "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"] {
                #expect(FlightRecorderSpanContext(traceparent: text) == nil, "\(text)")
            }
            let parsed = FlightRecorderSpanContext(traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            #expect(parsed?.traceID == "0af7651916cd43dd8448eb211c80319c")
            #expect(parsed?.spanIDText == "b7ad6b7169203331")
            let uppercase = FlightRecorderSpanContext(traceparent: "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01")
            #expect(uppercase == parsed)
            let extremes = FlightRecorderSpanContext(traceparent: "00-ffffffffffffffff0000000000000001-8000000000000009-01")
            #expect(extremes?.traceIDHigh == .max)
            #expect(extremes?.traceIDLow == 1)
            #expect(extremes?.spanID == 0x8000_0000_0000_0009)
        }
    }
}

/// The process-wide tracer, bootstrapped once (InstrumentationSystem allows one bootstrap).
enum TracerBootstrap {
    static let once: Void = InstrumentationSystem.bootstrap(FlightRecorderTracer())
}

extension Integration.Tracer {
    @Test("a server span renamed after it started names its task `METHOD route` from the rename on (its HTTP attributes, else its new name); one never renamed keeps its name; tasks created inside a span do not group by it")
    func renamedServerSpanNamesItsTask() async throws {
        let tracer = FlightRecorderTracer()
        let (inFlight, bytes) = try await withExclusiveRecorder { recorder -> ([UInt8], [UInt8]) in
            // As Hummingbird's TracingMiddleware: the method as it starts, the bare route after
            // the handler, then `http.route` (here another spelling of it).
            let routed = tracer.startSpan("HTTP GET route not found", context: .topLevel, ofKind: .server)
            routed.attributes["http.request.method"] = "GET"
            // A task created inside a span, recorded with its creator and origin (the takeover).
            try GlobalExecutorTakeover.install()
            let cache = tracer.startSpan("cache fill", context: routed.context, ofKind: .internal)
            await Task { _ = 1 }.value
            cache.end()
            GlobalExecutorTakeover.uninstall()
            routed.operationName = "/users/{id}"
            let inFlight = try recorder.snapshot()
            routed.attributes["http.route"] = "/users/:id"
            routed.end()
            let plain = tracer.startSpan("queued job", context: .topLevel, ofKind: .server)
            plain.operationName = "job 7: resize"
            plain.end()
            let kept = tracer.startSpan("GET /health", context: .topLevel, ofKind: .server)
            kept.attributes["http.request.method"] = "GET"
            kept.attributes["http.route"] = "/health/{probe}"
            kept.end()
            return (inFlight, try recorder.snapshot())
        }
        let before = try SnapshotDigest(reader: SnapshotTraceReader(bytes: inFlight, name: "in flight")).groups
        #expect(before["GET /users/{id}"]?.tasks == 1, "named at the rename: \(before.keys.sorted())")
        let groups = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "renamed spans")).groups
        #expect(groups["GET /users/:id"]?.tasks == 1, "named again at the end, by http.route")
        #expect(groups["job 7: resize"]?.tasks == 1)
        #expect(groups["GET /health"]?.tasks == 1)
        for other in ["HTTP GET route not found", "GET /users/{id}", "queued job", "GET /health/{probe}", "cache fill"] {
            #expect((groups[other]?.tasks ?? 0) == 0, "\(other): \(groups.keys.sorted())")
        }
    }

    @Test("Hummingbird's TracingMiddleware span is recorded under the route it was renamed to, and its task is `METHOD route`")
    func hummingbirdSpanRenamedAfterRouting() async throws {
        TracerBootstrap.once
        let bytes = try await withExclusiveRecorder { recorder -> [UInt8] in
            let router = Router(context: FlightRecorderRequestContext.self)
            router.add(middleware: TracingMiddleware())
            router.get("/items/{id}") { _, context in "item \(try context.parameters.require("id"))" }
            try await withServer(router: router) { port in
                let response = try await HTTPTestClient.get(port: port, path: "/items/42")
                #expect(response.text == "item 42")
            }
            return try recorder.snapshot()
        }
        let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: bytes, name: "hummingbird spans"))
        let logs = digest.logs
        // The request's task: created as the span started, named again by its route at its end.
        #expect(digest.groups["GET /items/{id}"]?.tasks == 1, "groups: \(digest.groups.keys.sorted())")
        #expect((digest.groups["HTTP GET route not found"]?.tasks ?? 0) == 0)
        var reader = try SnapshotTraceReader(bytes: bytes, name: "hummingbird spans")
        var exporter = SummaryExporter(options: SummaryOptions(format: .json))
        var output = OutputBuffer()
        try exporter.run(&reader, output: &output)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(output.string.utf8)) as? [String: Any])
        let groups = try #require(summary["groups"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(groups.contains("GET /items/{id}") && !groups.contains("HTTP GET route not found"), "\(groups)")
        let ends = logs.filter { $0.category == "span" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
        let starts = logs.filter { $0.category == "span.start" }.map { Dictionary(logfmt($0.message), uniquingKeysWith: { a, _ in a }) }
        let end = try #require(ends.first { $0["attr.url.path"] == "/items/42" })
        #expect(end["name"] == "/items/{id}")
        #expect(end["kind"] == "server")
        #expect(end["attr.http.response.status_code"] == "200")
        #expect(starts.contains { $0["span"] == end["span"] && $0["name"] == "HTTP GET route not found" })
    }
}
#endif
