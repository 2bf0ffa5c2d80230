// A user's app, written without annotations: a Hummingbird route fulfils an order through a
// function of the app (a task group whose children each take a turn on an actor, then sleep).
// Its slow request's snapshot, summarized, names the request by its route pattern, groups the
// children by the function that created them, and explains the request's wall time.

#if Hummingbird
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlightRecorder
import FlightRecorderHummingbird
import Foundation
import Hummingbird
import Testing
import TraceExporters
import TraceModel
import TraceReaders

/// The app's stock keeper: one pick at a time.
actor Warehouse {
    private var picked = 0

    /// Holds the actor for `ms` (a blocking sleep stands for work done inside it).
    func pick(holding ms: Int) -> Int {
        usleep(UInt32(ms * 1000))
        picked += 1
        return picked
    }
}

/// Internal to the test module (not in its dynamic symbol table), as an app's functions are.
@inline(never)
func fulfilOrder(items: Int, from warehouse: Warehouse) async throws -> Int {
    try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<items {
            group.addTask {
                let n = await warehouse.pick(holding: 25)
                try await Task.sleep(for: .milliseconds(40))
                return n
            }
        }
        return try await group.reduce(0, +)
    }
}

extension Integration {
    @Suite struct SlowRequestExplained {
        @Test("an unannotated app's slow request: named by its route, children grouped by their function, wall time explained")
        func unannotatedApp() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let items = 4
            try await withExclusiveRecorder { recorder in
                try GlobalExecutorTakeover.install()
                defer { GlobalExecutorTakeover.uninstall() }
                let statistics = SlowRequestStatistics()
                let warehouse = Warehouse()
                let router = Router(context: FlightRecorderRequestContext.self)
                router.add(middleware: SlowRequestSnapshotMiddleware(
                    recorder: recorder,
                    limiter: try SnapshotLimiter(directory: directory.path, maxFiles: 2, minInterval: .zero),
                    threshold: .milliseconds(100), statistics: statistics))
                router.get("/orders/{id}") { _, _ -> String in
                    "picked \(try await fulfilOrder(items: items, from: warehouse))"
                }
                try await withServer(router: router) { port in
                    let response = try await HTTPTestClient.get(port: port, path: "/orders/17")
                    #expect(response.status == 200)
                    #expect(await eventually { statistics.snapshotsTaken + statistics.snapshotsRefused == 1 })
                    #expect(statistics.snapshotsTaken == 1)
                }
            }
            #expect(directory.files() == ["trace.1.out"])
            let path = directory.path + "/trace.1.out"

            var reader = try SnapshotTraceReader(path: path)
            var exporter = SummaryExporter(options: SummaryOptions(format: .json, maxTasks: 0))
            var output = OutputBuffer()
            try exporter.run(&reader, output: &output)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(output.string.utf8)) as? [String: Any])
            let trigger = Dictionary(reader.metadata.triggerFields.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })

            // The request is its route's task, named by the pattern, not the path.
            let request = try #require(summary["request"] as? [String: Any], "the trigger names the request's task")
            #expect(request["name"] as? String == "GET /orders/{id}")
            #expect((request["task"] as? Int).map(String.init) == trigger["task"])

            // The children are grouped by the app function that created them.
            let groups = try #require(summary["groups"] as? [[String: Any]])
            let children = groups.filter { ($0["name"] as? String)?.contains("fulfilOrder(items:from:)") == true }
            #expect(children.count == 1, "groups: \(groups.map { $0["name"] ?? "" })")
            #expect(children.first?["count"] as? Int == items)

            // The explanation adds up to the wall time, and the wall time is the request's duration.
            let wall = try #require(request["wallNs"] as? Int)
            let blocked = try #require(request["blockedNs"] as? [String: Int])
            let parts = [request["execNs"], request["schedWaitNs"], request["syscallNs"]].compactMap { $0 as? Int }
            #expect(parts.count == 3)
            #expect(parts.reduce(0, +) + blocked.values.reduce(0, +) == wall)
            let durationNs = try #require(trigger["durationMs"].flatMap(Double.init)) * 1e6
            #expect(abs(Double(wall) - durationNs) <= 0.05 * durationNs, "wall \(wall) ns, request took \(durationNs) ns")
            #expect((request["tasks"] as? Int ?? 0) >= items + 1)

            // What it waited for is named: the actor the children queued on, and their sleep.
            #expect((blocked["actor Warehouse"] ?? 0) > 0, "blocked: \(blocked)")
            #expect((blocked["sleep"] ?? 0) > 0, "blocked: \(blocked)")
            let top = try #require(request["top"] as? [[String: Any]])
            #expect(top.contains { ($0["group"] as? String)?.contains("fulfilOrder") == true },
                    "the children are among the largest contributors: \(top)")

            // The critical path adds up to the wall time and leads from the request into the
            // children it waited for: their turns holding the actor are on it.
            let criticalPath = try #require(request["criticalPath"] as? [String: Any])
            let pathParts = try #require(criticalPath["parts"] as? [[String: Any]])
            #expect(pathParts.compactMap { $0["ns"] as? Int }.reduce(0, +) == wall)
            #expect(pathParts.contains {
                ($0["group"] as? String)?.contains("fulfilOrder") == true && $0["actor"] as? String == "Warehouse"
            }, "critical path: \(pathParts)")
        }
    }
}
#endif
