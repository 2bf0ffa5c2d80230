// The slow-request middleware and the on-demand endpoint on their own router: errors are timed
// and snapshotted with their status, the endpoint's guard refuses clients it is told to.

#if Hummingbird
@testable import FlightRecorderHummingbird
import FlightRecorder
import Hummingbird
import Logging
import NIOCore
import Testing
import TraceReaders

extension Integration {
    @Suite struct Middleware {
        @Test("a slow request that throws is snapshotted with the error's status")
        func thrownErrorsAreTimed() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withExclusiveRecorder { recorder in
                let statistics = SlowRequestStatistics()
                let router = Router(context: FlightRecorderRequestContext.self)
                router.add(middleware: SlowRequestSnapshotMiddleware(
                    recorder: recorder,
                    limiter: try SnapshotLimiter(directory: directory.path, maxFiles: 5, minInterval: .zero),
                    // Far above what /fast takes even as a cold first request on a loaded machine.
                    threshold: .milliseconds(400), statistics: statistics))
                router.get("/fail") { _, _ -> String in
                    try await Task.sleep(for: .milliseconds(600))
                    throw HTTPError(.badGateway)
                }
                router.get("/fast") { _, _ in "fast" }
                try await withServer(router: router) { port in
                    let fast = try await HTTPTestClient.get(port: port, path: "/fast")
                    #expect(fast.status == 200)
                    let failed = try await HTTPTestClient.get(port: port, path: "/fail")
                    #expect(failed.status == 502)
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                    #expect(statistics.requests == 2)
                    #expect(statistics.snapshotsTaken == 1)
                }
            }
            #expect(directory.files() == ["trace.1.out"])
            let reader = try SnapshotTraceReader(path: directory.path + "/trace.1.out")
            #expect(reader.metadata.trigger.hasPrefix("slow request GET /fail 502 "))
            #expect(reader.metadata.triggerFields.contains { $0.key == "status" && $0.value == "502" })
        }

        @Test("a response body never written ends its request's task untimed; a written one ends it timed, once")
        func bodyWriteEndsTheRequestTask() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let statistics = SlowRequestStatistics()
            let (digest, dropped, written) = try await withExclusiveRecorder { recorder in
                let timing = RequestTiming(
                    recorder: recorder, limiter: try SnapshotLimiter(directory: directory.path, maxFiles: 1),
                    threshold: .seconds(60), statistics: statistics, logger: Logger(label: "test"))
                func request(_ path: String) -> ServedRequest {
                    ServedRequest(method: "GET", path: path, route: path, start: .now,
                                  task: Trace.beginTask(method: "GET", route: path))
                }
                let dropped = request("/dropped")
                _ = TimedBodyWrite(ResponseBody(byteBuffer: ByteBuffer(string: "x")), served: dropped,
                                   status: 200, timing: timing)
                let written = request("/written")
                let write = TimedBodyWrite(ResponseBody(byteBuffer: ByteBuffer(string: "body")), served: written,
                                           status: 201, timing: timing)
                var writer: any ResponseBodyWriter = DiscardingWriter()
                try await write.run(&writer)
                let digest = try TaskDigest(SnapshotTraceReader(bytes: try recorder.snapshot(), name: "body writes"))
                return (digest, dropped.task.id, written.task.id)
            }
            #expect(dropped != 0 && written != 0)
            #expect(digest.ended.contains(dropped), "released unwritten: the task ends")
            #expect(digest.httpLogs(of: dropped).isEmpty, "an unwritten body is not timed")
            #expect(digest.ended.contains(written))
            #expect(digest.httpLogs(of: written).map { $0["status"] } == ["201"], "timed once")
            #expect(statistics.requests == 1)
        }

        @Test("the on-demand endpoint refuses clients outside its allowed set and serves nothing else")
        func endpointGuard() async throws {
            try await withExclusiveRecorder { recorder in
                let router = Router(context: FlightRecorderRequestContext.self)
                router.add(middleware: FlightRecorderEndpoint(recorder: recorder, allowedClients: .custom { _ in false }))
                router.get("/other") { _, _ in "other" }
                try await withServer(router: router) { port in
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
            typealias Endpoint = FlightRecorderEndpoint<FlightRecorderRequestContext>
            #expect(Endpoint.isLoopback(try SocketAddress(ipAddress: "127.0.0.1", port: 1)))
            #expect(Endpoint.isLoopback(try SocketAddress(ipAddress: "127.9.8.7", port: 1)))
            #expect(Endpoint.isLoopback(try SocketAddress(ipAddress: "::1", port: 1)))
            #expect(Endpoint.isLoopback(try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1)))
            #expect(Endpoint.isLoopback(try SocketAddress(unixDomainSocketPath: "/tmp/x.sock")))
            #expect(!Endpoint.isLoopback(try SocketAddress(ipAddress: "10.0.0.1", port: 1)))
            #expect(!Endpoint.isLoopback(try SocketAddress(ipAddress: "128.0.0.1", port: 1)))
            #expect(!Endpoint.isLoopback(try SocketAddress(ipAddress: "::2", port: 1)))
            #expect(!Endpoint.isLoopback(try SocketAddress(ipAddress: "::ffff:10.0.0.1", port: 1)))
            #expect(!Endpoint(recorder: FlightRecorder()).isAllowed(nil))
        }
    }
}
/// A body writer that discards what it is given: the bytes' destination does not matter to the timing.
private struct DiscardingWriter: ResponseBodyWriter {
    mutating func write(_ buffer: ByteBuffer) async throws {}
    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
#endif
