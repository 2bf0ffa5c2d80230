// The article's scenario end to end, in-process: the ping server on an ephemeral loopback
// port, fast and slow requests, snapshot files through the limiter, and what a snapshot says.
//
// The slow path is shortened (20 x 10 ms blocking sleeps, 100 ms final sleep, threshold 250 ms)
// so the suite stays fast; the 100 tasks on 2 threads are the article's.

#if Hummingbird
import FlightRecorder
import FlightRecorderHummingbird
@testable import ping_server
import Synchronization
import Testing
import TraceModel
import TraceReaders

final class SlowSwitch: Sendable {
    let isOn = Atomic<Bool>(false)
}

extension Integration {
    @Suite struct PingServer {
        static let plan = SlowPathPlan(blockingSleeps: 20, blockingSleep: .milliseconds(10), spawnedTasks: 100,
                                       burstIterations: 400, finalSleep: .milliseconds(100))

        @Test("a slow request writes a snapshot, fast requests none, and no more than max-snapshots files appear")
        func slowRequestsWriteSnapshotsUpToTheCap() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withExclusiveRecorder { recorder in
                let executor = RecordingExecutor(threads: 2, name: "test-ping-worker")
                defer { executor.shutdown() }
                let slow = SlowSwitch()
                let app = PingApplication(
                    recorder: recorder,
                    limiter: try SnapshotLimiter(directory: directory.path, maxFiles: 2, minInterval: .zero),
                    workload: PingWorkload(plan: Self.plan, executor: executor),
                    threshold: .milliseconds(250),
                    isSlow: { slow.isOn.load(ordering: .relaxed) })
                let statistics = app.statistics
                try await withServer({ app.makeApplication(host: "127.0.0.1", port: 0, onServerRunning: $0) }) { port in
                    for _ in 0..<5 {
                        let response = try await HTTPTestClient.get(port: port, path: "/ping")
                        #expect(response.status == 200)
                        #expect(response.text.hasPrefix("pong, duration="))
                    }
                    #expect(await eventually { statistics.requests == 5 })
                    #expect(statistics.slowRequests == 0)
                    #expect(directory.files() == [])

                    slow.isOn.store(true, ordering: .relaxed)
                    let first = try await HTTPTestClient.get(port: port, path: "/ping")
                    #expect(first.status == 200)
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                    #expect(statistics.snapshotsTaken == 1)
                    #expect(directory.files() == ["trace.1.out"])

                    for _ in 0..<2 { _ = try await HTTPTestClient.get(port: port, path: "/ping") }
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 3 })
                    #expect(statistics.slowRequests == 3)
                    #expect(statistics.snapshotsTaken == 2)
                    #expect(statistics.snapshotsRefused == 1)
                    #expect(directory.files() == ["trace.1.out", "trace.2.out"])
                }
            }

            let digest = try SnapshotDigest(reader: SnapshotTraceReader(path: directory.path + "/trace.1.out"))
            #expect(digest.metadata.trigger.hasPrefix("slow request GET /ping 200 "))
            let fields = Dictionary(uniqueKeysWithValues: digest.metadata.triggerFields.map { ($0.key, $0.value) })
            #expect(fields["method"] == "GET")
            #expect(fields["path"] == "/ping")
            #expect(fields["status"] == "200")
            #expect(fields["thresholdMs"] == "250.000")
            #expect((fields["durationMs"].flatMap(Double.init) ?? 0) >= 250)
            #expect(digest.regionNames.isSuperset(of: ["doBlockingWork", "doSchedulerWork"]))

            // Grouped by the tasks' name when the recorder reads it, else by the region that
            // created them: either way one group of the 100 spawned tasks.
            let bursts = try #require(digest.groups["doSchedulerWork.burst"] ?? digest.groups["doSchedulerWork"],
                                      "groups: \(digest.groups.keys.sorted())")
            #expect(bursts.tasks == 100)
            #expect(bursts.runningNs > 0)
            #expect(bursts.runnableNs > 10 * bursts.runningNs,
                    "scheduling wait \(bursts.runnableNs) ns vs execution \(bursts.runningNs) ns")
        }

        @Test("the on-demand endpoint serves a fresh snapshot to a loopback client")
        func onDemandEndpointServesLoopback() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            try await withExclusiveRecorder { recorder in
                let executor = RecordingExecutor(threads: 2, name: "test-endpoint-worker")
                defer { executor.shutdown() }
                let app = PingApplication(
                    recorder: recorder,
                    limiter: try SnapshotLimiter(directory: directory.path, maxFiles: 2, minInterval: .zero),
                    workload: PingWorkload(plan: Self.plan, executor: executor),
                    debugEndpoint: true, isSlow: { false })
                try await withServer({ app.makeApplication(host: "127.0.0.1", port: 0, onServerRunning: $0) }) { port in
                    _ = try await HTTPTestClient.get(port: port, path: "/ping")
                    let response = try await HTTPTestClient.get(port: port, path: "/debug/flightrecorder")
                    #expect(response.status == 200)
                    #expect(response.header("content-type") == "application/octet-stream")
                    let digest = try SnapshotDigest(reader: SnapshotTraceReader(bytes: response.body, name: "endpoint"))
                    #expect(digest.metadata.trigger == "on demand /debug/flightrecorder")
                    #expect(digest.metadata.triggerFields.contains { $0.key == "client" && $0.value.contains("127.0.0.1") })
                }
                #expect(directory.files() == [])
            }
        }
    }
}
#endif
