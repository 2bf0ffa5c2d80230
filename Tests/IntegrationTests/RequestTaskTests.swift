// Requests as logical tasks: the slow-request middleware runs each request as a task named
// `METHOD route`, logs its outcome on it, and names it in a slow request's trigger; a server
// span of the tracing backend is a logical task too.

#if Hummingbird && Tracing
import FlightRecorder
import FlightRecorderHummingbird
import FlightRecorderTracing
import Hummingbird
import Testing
import TraceModel
import TraceReaders

extension Integration {
    @Suite struct RequestTasks {
        /// A router with the middleware before its routes: `/users/{id}` (slow when asked), `/fail`.
        static func router(recorder: FlightRecorder, directory: String,
                           statistics: SlowRequestStatistics) throws -> Router<FlightRecorderRequestContext> {
            let router = Router(context: FlightRecorderRequestContext.self)
            router.add(middleware: SlowRequestSnapshotMiddleware(
                recorder: recorder,
                limiter: try SnapshotLimiter(directory: directory, maxFiles: 5, minInterval: .zero),
                // Far above what a fast request takes even as a cold first request on a loaded machine.
                threshold: .milliseconds(400), statistics: statistics))
            router.get("/users/{id}") { request, context -> String in
                if request.uri.queryParameters["slow"] != nil { try await Task.sleep(for: .milliseconds(600)) }
                Trace.log(category: "handler", "id=" + (try context.parameters.require("id")))
                return "user"
            }
            router.get("/fail") { _, _ -> String in throw HTTPError(.badGateway) }
            return router
        }

        @Test("a slow request is a task named by its route, logs its path on it, and the trigger names the task")
        func slowRequest() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                let router = try Self.router(recorder: recorder, directory: directory.path, statistics: statistics)
                try await withServer(router: router) { port in
                    let response = try await HTTPTestClient.get(port: port, path: "/users/42?slow=1")
                    #expect(response.status == 200)
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                    #expect(statistics.snapshotsTaken == 1)
                }
            }
            #expect(directory.files() == ["trace.1.out"])
            let digest = try TaskDigest(SnapshotTraceReader(path: directory.path + "/trace.1.out"))
            let fields = Dictionary(digest.metadata.triggerFields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            #expect(fields["route"] == "/users/{id}")
            #expect(fields["path"] == "/users/42")
            let task = try #require(fields["task"].flatMap(UInt64.init))
            #expect(digest.tasks(named: "GET /users/{id}") == [task])
            #expect(digest.created[task]?.group == "GET /users/{id}")
            #expect(digest.ended.contains(task), "ended before the snapshot was taken")
            let log = try #require(digest.httpLogs(of: task).first)
            #expect(log["path"] == "/users/42")
            #expect(log["status"] == "200")
            #expect((Double(log["durationMs"] ?? "") ?? 0) >= 600)
            #expect(digest.logs.contains { $0.task == task && $0.category == "handler" && $0["id"] == "42" },
                    "the handler runs inside the request's task")
        }

        @Test("fast requests, unrouted ones and thrown errors are tasks too, each ended with its http log")
        func everyRequestIsATask() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let digest = try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                let router = try Self.router(recorder: recorder, directory: directory.path, statistics: statistics)
                try await withServer(router: router) { port in
                    for (path, status) in [("/users/7", 200), ("/fail", 502), ("/nowhere", 404)] {
                        let response = try await HTTPTestClient.get(port: port, path: path)
                        #expect(response.status == status, "\(path)")
                    }
                    // Requests are counted once their task has ended.
                    #expect(await eventually { statistics.requests == 3 })
                }
                return try TaskDigest(SnapshotTraceReader(bytes: try recorder.snapshot(), name: "requests"))
            }
            #expect(directory.files().isEmpty)
            for (name, path, status) in [("GET /users/{id}", "/users/7", "200"), ("GET /fail", "/fail", "502"),
                                         ("GET /nowhere", "/nowhere", "404")] {
                let tasks = digest.tasks(named: name)
                #expect(tasks.count == 1, "\(name)")
                guard let task = tasks.first else { continue }
                #expect(digest.ended.contains(task), "\(name) ended")
                let logs = digest.httpLogs(of: task)
                #expect(logs.count == 1, "\(name)")
                #expect(logs.first?["path"] == path && logs.first?["status"] == status, "\(name): \(logs)")
            }
        }
    }
}

extension Integration.Tracer {
    @Test("a server span is a logical task from its start to end(), named by its final name once renamed, with both span logs on it")
    func serverSpanIsALogicalTask() async throws {
        let tracer = FlightRecorderTracer()
        let (bytes, spanID) = try await withExclusiveRecorder { recorder in
            let server = tracer.startSpan("GET /users/{id}", context: .topLevel, ofKind: .server)
            let client = tracer.startSpan("db query", context: server.context, ofKind: .client)
            client.end()
            server.operationName = "GET /users/{id} (renamed)"
            server.end()
            _ = tracer.startSpan("dropped without end", context: .topLevel, ofKind: .server)
            return (try recorder.snapshot(), server.spanContext.spanIDText)
        }
        let digest = try TaskDigest(SnapshotTraceReader(bytes: bytes, name: "server span"))
        #expect(digest.tasks(named: "GET /users/{id}").isEmpty, "renamed: no HTTP attributes, so its final name")
        let task = try #require(digest.tasks(named: "GET /users/{id} (renamed)").first)
        #expect(digest.ended.contains(task))
        let logs = digest.logs.filter { $0.task == task }
        #expect(logs.map(\.category) == ["span.start", "span"])
        #expect(logs.allSatisfy { $0["span"] == spanID })
        #expect(logs.last?["name"] == "GET /users/{id} (renamed)", "the final name is in the closing log")
        #expect(digest.tasks(named: "db query").isEmpty, "only server spans are tasks")
        let dropped = try #require(digest.tasks(named: "dropped without end").first)
        #expect(digest.ended.contains(dropped), "a span dropped without end() ends its task")
    }

    @Test("Hummingbird's request span is a logical task, named `METHOD route` at its end; its route is in the span log that ends it")
    func hummingbirdRequestTask() async throws {
        TracerBootstrap.once
        let digest = try await withExclusiveRecorder { recorder in
            let router = Router(context: FlightRecorderRequestContext.self)
            router.add(middleware: TracingMiddleware())
            router.get("/items/{id}") { _, context in "item \(try context.parameters.require("id"))" }
            try await withServer(router: router) { port in
                let response = try await HTTPTestClient.get(port: port, path: "/items/42")
                #expect(response.text == "item 42")
            }
            return try TaskDigest(SnapshotTraceReader(bytes: try recorder.snapshot(), name: "hummingbird span"))
        }
        let end = try #require(digest.logs.first { $0.category == "span" && $0["attr.url.path"] == "/items/42" })
        #expect(end["name"] == "/items/{id}")
        #expect(digest.created[end.task]?.name == "GET /items/{id}")
        #expect(digest.ended.contains(end.task))
    }

    @Test("with the slow-request middleware before TracingMiddleware, a request is one task: the span is recorded on the request's")
    func requestSpanInsideTheRequestTask() async throws {
        TracerBootstrap.once
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let statistics = SlowRequestStatistics()
        let digest = try await withExclusiveRecorder { recorder in
            let router = Router(context: FlightRecorderRequestContext.self)
            router.add(middleware: SlowRequestSnapshotMiddleware(
                recorder: recorder, limiter: try SnapshotLimiter(directory: directory.path, maxFiles: 1),
                threshold: .seconds(60), statistics: statistics))
            router.add(middleware: TracingMiddleware())
            router.get("/items/{id}") { _, context in "item \(try context.parameters.require("id"))" }
            try await withServer(router: router) { port in
                let response = try await HTTPTestClient.get(port: port, path: "/items/42")
                #expect(response.text == "item 42")
                #expect(await eventually { statistics.requests == 1 })
            }
            return try TaskDigest(SnapshotTraceReader(bytes: try recorder.snapshot(), name: "one task per request"))
        }
        let tasks = digest.tasks(named: "GET /items/{id}")
        #expect(tasks.count == 1, "the span opened no task of its own")
        #expect(digest.tasks(named: "HTTP GET route not found").isEmpty)
        let task = try #require(tasks.first)
        let end = try #require(digest.logs.first { $0.category == "span" && $0["attr.url.path"] == "/items/42" })
        #expect(end.task == task, "the span's records are the request task's")
        #expect(digest.logs.contains { $0.category == "span.start" && $0.task == task })
        #expect(digest.httpLogs(of: task).count == 1)
        #expect(digest.ended.contains(task))
    }
}
#endif
