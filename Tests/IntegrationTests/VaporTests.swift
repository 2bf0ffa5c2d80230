// The Vapor integration on a real server on an ephemeral loopback port: requests are logical
// tasks named `METHOD route`, slow ones (thrown errors included) are snapshotted with their
// task and route, fast ones are not, streamed bodies pass through whole, and the on-demand
// endpoint serves loopback clients and refuses the others.

#if Vapor
import FlightRecorder
@testable import FlightRecorderVapor
import NIOCore
import Testing
import TraceReaders
import Vapor

extension Integration {
    @Suite struct VaporIntegration {
        /// Runs a `.testing` Vapor application on 127.0.0.1 with an ephemeral port, configured by
        /// `configure`, calls `body` with the port, and always shuts the application down.
        static func serve<R: Sendable>(_ configure: (Application) throws -> Void,
                                       _ body: (Int) async throws -> R) async throws -> R {
            let app = try await Application.make(.testing)
            app.http.server.configuration.hostname = "127.0.0.1"
            app.http.server.configuration.port = 0
            do {
                try configure(app)
                try await app.server.start(address: .hostname("127.0.0.1", port: 0))
                guard let port = app.http.server.shared.localAddress?.port else {
                    throw HTTPTestError(description: "the Vapor server has no local port")
                }
                let result = try await body(port)
                await app.server.shutdown()
                try await app.asyncShutdown()
                return result
            } catch {
                await app.server.shutdown()
                try? await app.asyncShutdown()
                throw error
            }
        }

        /// The middleware with routes: `/users/:id` (slow when asked), `/fail` (slow, 502),
        /// `/stream`, `/callback-stream` and `/timed-stream` (bodies that take 600 ms to write
        /// after the handler returned; the last made by `timedStreamBody`), `/fast`.
        static func configure(_ app: Application, recorder: FlightRecorder, directory: String,
                              statistics: SlowRequestStatistics) throws {
            app.middleware.use(SlowRequestSnapshotMiddleware(
                recorder: recorder,
                limiter: try SnapshotLimiter(directory: directory, maxFiles: 5, minInterval: .zero),
                // Far above what a fast request takes even as a cold first request on a loaded machine.
                threshold: .milliseconds(400), statistics: statistics))
            app.get("users", ":id") { request async throws -> String in
                if request.query[String.self, at: "slow"] != nil { try await Task.sleep(for: .milliseconds(600)) }
                Trace.log(category: "handler", "id=" + (request.parameters.get("id") ?? "?"))
                return "user"
            }
            app.get("fail") { _ async throws -> String in
                try await Task.sleep(for: .milliseconds(600))
                throw Abort(.badGateway)
            }
            app.get("fast") { _ in "fast" }
            app.get("stream") { _ -> Response in
                Response(status: .ok, body: .init(managedAsyncStream: { writer in
                    for chunk in ["one ", "two ", "three"] {
                        try await Task.sleep(for: .milliseconds(200))
                        try await writer.writeBuffer(ByteBuffer(string: chunk))
                    }
                }, count: 13))
            }
            app.get("timed-stream") { request -> Response in
                Response(status: .ok, body: request.timedStreamBody(count: 13) { writer in
                    for chunk in ["one ", "two ", "three"] {
                        try await Task.sleep(for: .milliseconds(200))
                        try await writer.writeBuffer(ByteBuffer(string: chunk))
                    }
                })
            }
            app.get("callback-stream") { request -> Response in
                let eventLoop = request.eventLoop
                return Response(status: .ok, body: .init(stream: { writer in
                    _ = writer.write(.buffer(ByteBuffer(string: "start ")))
                    _ = eventLoop.scheduleTask(in: .milliseconds(600)) {
                        _ = writer.write(.buffer(ByteBuffer(string: "end")))
                        _ = writer.write(.end)
                    }
                }, count: 9))
            }
        }

        @Test("a body from timedStreamBody is timed to its end: its slow write makes a slow request")
        func timedStreamBodyIsTimedToItsEnd() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let statistics = try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                try await Self.serve({ try Self.configure($0, recorder: recorder, directory: directory.path, statistics: statistics) }) { port in
                    let response = try await HTTPTestClient.get(port: port, path: "/timed-stream")
                    #expect(response.status == 200)
                    #expect(response.text == "one two three")
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                }
                return statistics
            }
            #expect(statistics.requests == 1)
            #expect(statistics.slowRequests == 1)
            let (digest, fields) = try Self.onlySnapshot(in: directory)
            #expect(fields["route"] == "/timed-stream")
            #expect(fields["status"] == "200")
            #expect((Double(fields["durationMs"] ?? "") ?? 0) >= 600, "the 600 ms body write is in the time")
            let task = try #require(fields["task"].flatMap(UInt64.init))
            #expect(digest.ended.contains(task), "ended before the snapshot was taken")
            let log = try #require(digest.httpLogs(of: task).first)
            #expect((Double(log["durationMs"] ?? "") ?? 0) >= 600)
        }

        /// The slow-request trigger's fields of the only snapshot in `directory`.
        static func onlySnapshot(in directory: TemporaryDirectory) throws -> (TaskDigest, [String: String]) {
            #expect(directory.files() == ["trace.1.out"])
            let digest = try TaskDigest(SnapshotTraceReader(path: directory.path + "/trace.1.out"))
            let fields = Dictionary(digest.metadata.triggerFields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            return (digest, fields)
        }

        @Test("a slow request is a task named by its route; the snapshot's trigger names the task and the route")
        func slowRequest() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                try await Self.serve({ try Self.configure($0, recorder: recorder, directory: directory.path, statistics: statistics) }) { port in
                    let fast = try await HTTPTestClient.get(port: port, path: "/fast")
                    #expect(fast.text == "fast")
                    let response = try await HTTPTestClient.get(port: port, path: "/users/42?slow=1")
                    #expect(response.status == 200)
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                    #expect(statistics.requests == 2)
                    #expect(statistics.slowRequests == 1)
                    #expect(statistics.snapshotsTaken == 1)
                }
            }
            let (digest, fields) = try Self.onlySnapshot(in: directory)
            #expect(digest.metadata.trigger.hasPrefix("slow request GET /users/42 200 "))
            #expect(fields["route"] == "/users/:id")
            #expect(fields["path"] == "/users/42")
            #expect(fields["method"] == "GET")
            #expect(fields["status"] == "200")
            #expect(fields["thresholdMs"] == "400.000")
            #expect((Double(fields["durationMs"] ?? "") ?? 0) >= 600)
            let task = try #require(fields["task"].flatMap(UInt64.init))
            #expect(digest.tasks(named: "GET /users/:id") == [task])
            #expect(digest.created[task]?.group == "GET /users/:id")
            #expect(digest.ended.contains(task), "ended before the snapshot was taken")
            let log = try #require(digest.httpLogs(of: task).first)
            #expect(log["path"] == "/users/42")
            #expect(log["status"] == "200")
            #expect(digest.logs.contains { $0.task == task && $0.category == "handler" && $0["id"] == "42" },
                    "the handler runs inside the request's task")
            #expect(digest.tasks(named: "GET /fast").count == 1, "the fast request is a task too")
        }

        @Test("fast requests write no snapshot; each request, routed or not, failed or not, is an ended task with its http log")
        func fastRequestsAreTasksWithoutSnapshots() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let (digest, statistics) = try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                let digest = try await Self.serve({ try Self.configure($0, recorder: recorder, directory: directory.path, statistics: statistics) }) { port in
                    for (path, status) in [("/users/7", 200), ("/fast", 200), ("/nowhere", 404)] {
                        let response = try await HTTPTestClient.get(port: port, path: path)
                        #expect(response.status == status, "\(path)")
                    }
                    // Requests are counted once their task has ended.
                    #expect(await eventually { statistics.requests == 3 })
                    return try TaskDigest(SnapshotTraceReader(bytes: try recorder.snapshot(), name: "requests"))
                }
                return (digest, statistics)
            }
            #expect(directory.files().isEmpty)
            #expect(statistics.slowRequests == 0)
            #expect(statistics.snapshotsTaken == 0)
            for (name, path, status) in [("GET /users/:id", "/users/7", "200"), ("GET /fast", "/fast", "200"),
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

        @Test("a slow request that throws is snapshotted with the error's status")
        func thrownErrorsAreTimed() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                try await Self.serve({ try Self.configure($0, recorder: recorder, directory: directory.path, statistics: statistics) }) { port in
                    let failed = try await HTTPTestClient.get(port: port, path: "/fail")
                    #expect(failed.status == 502)
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                    #expect(statistics.snapshotsTaken == 1)
                }
            }
            let (digest, fields) = try Self.onlySnapshot(in: directory)
            #expect(digest.metadata.trigger.hasPrefix("slow request GET /fail 502 "))
            #expect(fields["status"] == "502")
            #expect(fields["route"] == "/fail")
            let task = try #require(fields["task"].flatMap(UInt64.init))
            #expect(digest.tasks(named: "GET /fail") == [task])
        }

        // Vapor offers no public hook on the end of a streamed body's write: a streamed body not
        // made by `timedStreamBody` is timed to the response's return, before it is written.
        @Test("a streamed body passes through whole; its request is timed to the response's return",
              arguments: ["/stream", "/callback-stream"])
        func streamedBodiesAreTimedToTheResponse(path: String) async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let (digest, statistics) = try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                let digest = try await Self.serve({ try Self.configure($0, recorder: recorder, directory: directory.path, statistics: statistics) }) { port in
                    let response = try await HTTPTestClient.get(port: port, path: path)
                    #expect(response.status == 200)
                    #expect(response.text == (path == "/stream" ? "one two three" : "start end"))
                    #expect(await eventually { statistics.requests == 1 })
                    return try TaskDigest(SnapshotTraceReader(bytes: try recorder.snapshot(), name: "stream"))
                }
                return (digest, statistics)
            }
            #expect(statistics.slowRequests == 0)
            #expect(directory.files().isEmpty)
            let task = try #require(digest.tasks(named: "GET " + path).first)
            #expect(digest.ended.contains(task))
            let log = try #require(digest.httpLogs(of: task).first)
            #expect((Double(log["durationMs"] ?? "") ?? 600) < 400, "timed before the 600 ms body write")
        }

        @Test("the endpoint serves a snapshot to a loopback client")
        func endpointServesLoopback() async throws {
            let bytes = try await withExclusiveRecorder { recorder in
                try await Self.serve({ app in
                    app.middleware.use(FlightRecorderEndpoint(recorder: recorder))
                }) { port in
                    let response = try await HTTPTestClient.get(port: port, path: "/debug/flightrecorder")
                    #expect(response.status == 200)
                    #expect(response.header("content-type") == "application/octet-stream")
                    return response.body
                }
            }
            let reader = try SnapshotTraceReader(bytes: bytes, name: "endpoint")
            #expect(reader.metadata.trigger == "on demand /debug/flightrecorder")
            let client = reader.metadata.triggerFields.first { $0.key == "client" }?.value
            #expect(client?.contains("127.0.0.1") == true)
        }

        @Test("the endpoint refuses clients outside its allowed set and passes other paths on")
        func endpointGuard() async throws {
            try await withExclusiveRecorder { recorder in
                try await Self.serve({ app in
                    app.middleware.use(FlightRecorderEndpoint(recorder: recorder, allowedClients: .custom { _ in false }))
                    app.get("other") { _ in "other" }
                }) { port in
                    let refused = try await HTTPTestClient.get(port: port, path: "/debug/flightrecorder")
                    #expect(refused.status == 403)
                    #expect(refused.header("content-type")?.hasPrefix("text/plain") == true)
                    let other = try await HTTPTestClient.get(port: port, path: "/other")
                    #expect(other.text == "other")
                }
            }
        }

        @Test("loopback means 127/8, ::1, IPv4-mapped 127/8 and Unix sockets; nothing else")
        func loopbackAddresses() throws {
            #expect(FlightRecorderEndpoint.isLoopback(try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
            #expect(FlightRecorderEndpoint.isLoopback(try SocketAddress(ipAddress: "::1", port: 1)))
            #expect(FlightRecorderEndpoint.isLoopback(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1)))
            #expect(FlightRecorderEndpoint.isLoopback(try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")))
            #expect(!FlightRecorderEndpoint.isLoopback(try SocketAddress(ipAddress: "10.0.0.1", port: 1)))
            #expect(!FlightRecorderEndpoint.isLoopback(try SocketAddress(ipAddress: "::ffff:10.0.0.1", port: 1)))
            #expect(!FlightRecorderEndpoint(recorder: FlightRecorder()).isAllowed(nil))
        }
    }
}
#endif
