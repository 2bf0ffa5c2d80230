// The fixtures: each a deterministic scenario written as a snapshot.
//
// Invariant: every scenario's output depends only on its seed and parameters, so
// `swift run FixtureGenerator` rewrites byte-identical files.

import TraceFormat

public enum Scenarios {
    static let ms: UInt64 = 1_000_000
    static let us: UInt64 = 1_000
    static let second: UInt64 = 1_000_000_000

    /// The process and clock every fixture claims: ticks are nanoseconds.
    public static func baseHeader(chunkBytes: Int) -> SnapshotHeader {
        var h = SnapshotHeader()
        h.ticksPerSecond = 1e9
        h.anchorTicks = 0
        h.anchorMonotonicNs = 0
        h.anchorWallClockNs = 1_764_400_000_000_000_000
        h.pid = 4242
        h.executable = "/srv/ping-server"
        h.hostname = "fixture-host"
        h.minAgeNs = 5 * second
        h.maxBytes = 16 << 20
        h.chunkBytes = UInt64(chunkBytes)
        h.producer = "tracexport FixtureGenerator"
        return h
    }

    static func fastRequest(_ rng: inout SeededRandom) -> [Step] {
        let work = rng.next(in: 25...60) * us
        return [
            .region("GET /ping"),
            .counter("requests in flight", 1),
            .run(ns: work),
            .log(category: "http", message: "GET /ping 200 duration=\(work / us)µs"),
            .counter("requests in flight", 0),
            .endRegion("GET /ping"),
        ]
    }

    /// Every committed fixture: file name under Fixtures/ and how to make it.
    package static let fixtures: [(name: String, make: @Sendable () throws -> [UInt8])] = [
        ("ping-slow-request.out", pingSlowRequest),
        ("small.out", small),
        ("actor-contention.out", actorContention),
    ]

    /// The article: one /ping request does 100 sleeps of 10 ms, then spawns 100 tasks onto
    /// the 2 worker threads and sleeps 1 s; fast requests come before and after it.
    static func pingSlowRequest() throws -> [UInt8] {
        let chunkBytes = 16 << 10
        let out = SnapshotAssembler(chunkBytes: chunkBytes)
        var rng = SeededRandom(seed: 0x5EED_0001)
        let main: UInt64 = 4242, worker0: UInt64 = 4243, worker1: UInt64 = 4244, timer: UInt64 = 4245
        let start = 1 * second, end = 6 * second
        out.header = baseHeader(chunkBytes: chunkBytes)
        out.header.windowStartTicks = start
        out.header.windowEndTicks = end
        out.header.trigger = "slow request GET /ping 2.15 s"
        out.header.triggerFields = [
            SnapshotField("method", "GET"), SnapshotField("path", "/ping"),
            SnapshotField("status", "200"), SnapshotField("duration_ms", "2148"),
        ]
        // Alive before the window opened: the accept loop, blocked in accept, inside its region.
        out.window = WindowState(
            threads: [.init(thread: main, name: "main"), .init(thread: worker0, name: "worker-0"),
                      .init(thread: worker1, name: "worker-1"), .init(thread: timer, name: "timer")],
            tasks: [.init(task: 1, parent: 0, name: "accept loop", group: "accept loop", state: .blocked(reason: "accept"))],
            regions: [.init(task: 1, thread: main, name: "serve :5051", beginTicks: 200 * ms)])

        let sim = ServerSimulation(out: out, workerThreads: [worker0, worker1], timerThread: timer,
                                   acceptThread: main, firstTaskID: 100, seed: 0x5EED_1001)
        sim.request(at: start + 100 * ms, parent: 1, name: "GET /ping", steps: fastRequest(&rng))
        var slow: [Step] = [.region("GET /ping"), .counter("requests in flight", 1), .region("doBlockingWork")]
        for _ in 0..<100 {
            slow.append(.run(ns: rng.next(in: 2...6) * us))
            slow.append(.sleep(ns: 10 * ms))
        }
        slow += [.endRegion("doBlockingWork"), .region("doSchedulerWork")]
        for _ in 0..<100 {
            slow.append(.spawn(count: 1, name: "", script: [.run(ns: rng.next(in: 2_000...5_000))]))
        }
        slow += [
            .sleep(ns: 1 * second), .endRegion("doSchedulerWork"),
            .log(category: "http", message: "GET /ping 200 duration=2.148s"),
            .counter("requests in flight", 0), .endRegion("GET /ping"),
        ]
        sim.request(at: start + 1_100 * ms, parent: 1, name: "GET /ping", steps: slow)
        sim.request(at: start + 4_300 * ms, parent: 1, name: "GET /ping", steps: fastRequest(&rng))
        sim.request(at: start + 4_650 * ms, parent: 1, name: "GET /health", steps: [.run(ns: 9 * us)])
        sim.request(at: start + 4_700 * ms, parent: 1, name: "GET /ping", steps: fastRequest(&rng))
        sim.run(until: end)
        return try out.snapshotBytes()
    }

    /// Small and dense: every record kind (actor hops included), a blocking region giving a wait its reason, tiny
    /// chunks (many frames), for byte-by-byte truncation and corruption tests.
    package static func small() throws -> [UInt8] {
        let chunkBytes = 40
        let out = SnapshotAssembler(chunkBytes: chunkBytes)
        var rng = SeededRandom(seed: 0x5EED_0002)
        let main: UInt64 = 7, worker0: UInt64 = 8, worker1: UInt64 = 9, timer: UInt64 = 10
        let start = 10 * ms, end = 60 * ms
        out.header = baseHeader(chunkBytes: chunkBytes)
        out.header.pid = 7
        out.header.executable = "/usr/bin/small"
        out.header.windowStartTicks = start
        out.header.windowEndTicks = end
        out.header.trigger = "manual"
        out.window = WindowState(
            threads: [.init(thread: main, name: "main"), .init(thread: worker0, name: "worker-0"),
                      .init(thread: worker1, name: "worker-1")],
            tasks: [.init(task: 1, parent: 0, name: "listener", group: "listener", state: .blocked(reason: "accept"))],
            regions: [.init(task: 1, thread: main, name: "listen", beginTicks: 1 * ms)])
        let sim = ServerSimulation(out: out, workerThreads: [worker0, worker1], timerThread: timer,
                                   acceptThread: main, firstTaskID: 20, seed: 0x5EED_1002)
        for i in 0..<4 {
            sim.request(at: start + UInt64(i) * 9 * ms, parent: 1, name: "POST /orders", steps: [
                .region("POST /orders"),
                .run(ns: rng.next(in: 20...80) * us),
                .blockingRegion("db query"),
                .wait(reason: "", ns: rng.next(in: 1...3) * ms),
                .run(ns: 15 * us),
                .endRegion("db query"),
                .actor("OrderStore", ns: rng.next(in: 30...90) * us),
                .spawn(count: 3, name: i == 0 ? "audit; \"log\" 42" : "", script: [.run(ns: 7 * us)]),
                .log(category: "orders", message: "order \(i) stored"),
                .sleep(ns: 2 * ms),
                .counter("orders", Int64(i + 1)),
                .endRegion("POST /orders"),
            ])
        }
        sim.run(until: end)
        return try out.snapshotBytes()
    }

    /// Actor contention: one `GET /order` spawns 40 tasks that each spend 2 ms inside one
    /// `Inventory` actor, then sleeps 50 ms; ~80 ms of the request is the tasks taking turns on
    /// the actor, not waiting for one of the 2 worker threads.
    static func actorContention() throws -> [UInt8] {
        let chunkBytes = 8 << 10
        let out = SnapshotAssembler(chunkBytes: chunkBytes)
        var rng = SeededRandom(seed: 0x5EED_0003)
        let main: UInt64 = 5150, worker0: UInt64 = 5151, worker1: UInt64 = 5152, timer: UInt64 = 5153
        let start = 1 * second, end = 1 * second + 400 * ms
        out.header = baseHeader(chunkBytes: chunkBytes)
        out.header.pid = 5150
        out.header.executable = "/srv/shop"
        out.header.windowStartTicks = start
        out.header.windowEndTicks = end
        out.header.trigger = "slow request GET /order 200 136ms"
        // As the Hummingbird middleware writes them: the request's task is task 101.
        out.header.triggerFields = [
            SnapshotField("method", "GET"), SnapshotField("path", "/order"), SnapshotField("status", "200"),
            SnapshotField("durationMs", "136"), SnapshotField("thresholdMs", "100"),
            SnapshotField("route", "/order"), SnapshotField("task", "101"),
        ]
        out.window = WindowState(
            threads: [.init(thread: main, name: "main"), .init(thread: worker0, name: "worker-0"),
                      .init(thread: worker1, name: "worker-1"), .init(thread: timer, name: "timer")],
            tasks: [.init(task: 1, parent: 0, name: "accept loop", group: "accept loop", state: .blocked(reason: "accept"))],
            regions: [])
        let sim = ServerSimulation(out: out, workerThreads: [worker0, worker1], timerThread: timer,
                                   acceptThread: main, firstTaskID: 100, seed: 0x5EED_1003)
        sim.request(at: start + 20 * ms, parent: 1, name: "GET /health", steps: [.run(ns: 12 * us)])
        sim.request(at: start + 100 * ms, parent: 1, name: "GET /order", steps: [
            .region("GET /order"),
            .run(ns: rng.next(in: 30...60) * us),
            .spawn(count: 40, name: "", script: [.run(ns: 5 * us), .actor("Inventory", ns: 2 * ms), .run(ns: 3 * us)]),
            .sleep(ns: 50 * ms),
            .actor("Inventory", ns: 20 * us),
            .log(category: "http", message: "GET /order 200"),
            .endRegion("GET /order"),
        ])
        sim.request(at: start + 300 * ms, parent: 1, name: "GET /health", steps: [.run(ns: 11 * us)])
        sim.run(until: end)
        return try out.snapshotBytes()
    }
}
