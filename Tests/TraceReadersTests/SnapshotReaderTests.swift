// Specification of reading tracexport snapshots into the event model.

import Testing
import TraceFormat
import TraceModel
@testable import TraceReaders

/// Reads every event of a snapshot.
func readAll(_ bytes: [UInt8], name: String = "test.out") throws -> (events: [TraceEvent], reader: SnapshotTraceReader) {
    var reader = try SnapshotTraceReader(bytes: bytes, name: name)
    var events: [TraceEvent] = []
    while let e = try reader.next() { events.append(e) }
    return (events, reader)
}

/// Per task, nanoseconds in each state, from state changes (the summary's arithmetic, kept
/// independent of the exporters here).
func stateTimes(_ events: [TraceEvent], endNs: Int64) -> [TaskID: [String: Int64]] {
    var current: [TaskID: (String, Int64)] = [:]
    var out: [TaskID: [String: Int64]] = [:]
    func close(_ task: TaskID, at t: Int64) {
        if let (s, since) = current[task] { out[task, default: [:]][s, default: 0] += t - since }
    }
    for e in events {
        guard case .taskState(let task, let state, _, _, _) = e.kind else { continue }
        close(task, at: e.timeNs)
        switch state {
        case .running: current[task] = ("running", e.timeNs)
        case .runnable: current[task] = ("runnable", e.timeNs)
        case .blocked: current[task] = ("blocked", e.timeNs)
        case .syscall: current[task] = ("syscall", e.timeNs)
        case .ended: current[task] = nil
        }
    }
    for task in current.keys { close(task, at: endNs) }
    return out
}

@Suite struct SnapshotReaderSpecification {
    @Test func fixtureEventsComeOutInTimeOrderWithinTheWindow() throws {
        let (events, reader) = try readAll(try Repository.bytes("ping-slow-request.out"))
        #expect(reader.damage == nil)
        #expect(events.count == 754)
        #expect(reader.metadata.startNs == 1_000_000_000)
        #expect(reader.metadata.endNs == 6_000_000_000)
        for (a, b) in zip(events, events.dropFirst()) { #expect(a.timeNs <= b.timeNs) }
        #expect(events.allSatisfy { $0.timeNs >= reader.metadata.startNs && $0.timeNs <= reader.metadata.endNs })
    }

    @Test func headerFieldsBecomeMetadata() throws {
        let (_, reader) = try readAll(try Repository.bytes("ping-slow-request.out"))
        let m = reader.metadata
        #expect(m.format == "tracexport")
        #expect(m.version == "1.3")
        #expect(m.trigger == "slow request GET /ping 2.15 s")
        #expect(m.triggerFields.first == KeyValue("method", "GET"))
        #expect(m.pid == 4242)
        #expect(m.executable == "/srv/ping-server")
        #expect(m.minAgeNs == 5_000_000_000)
        #expect(m.fileBytes == Int64(try Repository.bytes("ping-slow-request.out").count))
        #expect(m.uncompressedBytes > m.fileBytes)
    }

    @Test func windowStateNamesWhatWasAliveBeforeTheWindow() throws {
        let (events, reader) = try readAll(try Repository.bytes("ping-slow-request.out"))
        let t = reader.tables
        let atStart = events.prefix { $0.timeNs == reader.metadata.startNs }
        #expect(atStart.contains { if case .threadName(ThreadID(4243), let n) = $0.kind { t.string(n) == "worker-0" } else { false } })
        #expect(atStart.contains { if case .taskCreated(TaskID(1), _, let n, _, _) = $0.kind { t.string(n) == "accept loop" } else { false } })
        #expect(atStart.contains { if case .taskState(TaskID(1), .blocked(let r), _, _, _) = $0.kind { t.string(r) == "accept" } else { false } })
        #expect(atStart.contains { if case .regionBegin(TaskID(1), _, let n, _) = $0.kind { t.string(n) == "serve :5051" } else { false } })
    }

    @Test func everyTaskIsCreatedBeforeItsFirstStateChange() throws {
        let (events, _) = try readAll(try Repository.bytes("ping-slow-request.out"))
        var created = Set<TaskID>()
        for e in events {
            switch e.kind {
            case .taskCreated(let task, _, _, _, _): created.insert(task)
            case .taskState(let task, _, _, _, _), .taskCPU(let task, _, _): #expect(created.contains(task))
            case .regionBegin(let task, _, _, _), .regionEnd(let task, _, _), .log(let task, _, _, _):
                #expect(task.isNone || created.contains(task))
            default: break
            }
        }
    }

    @Test func anonymousTasksAreGroupedByTheRegionThatSpawnedThem() throws {
        let (events, reader) = try readAll(try Repository.bytes("ping-slow-request.out"))
        let groups = events.compactMap { e -> String? in
            if case .taskCreated(_, _, _, let g, _) = e.kind { reader.tables.string(g) } else { nil }
        }
        #expect(groups.filter { $0 == "doSchedulerWork" }.count == 100)
    }

    @Test func theArticlesSpawnedTasksWaitFarLongerThanTheyRun() throws {
        let (events, reader) = try readAll(try Repository.bytes("ping-slow-request.out"))
        var spawned = Set<TaskID>()
        for e in events {
            if case .taskCreated(let task, _, _, let g, _) = e.kind, reader.tables.string(g) == "doSchedulerWork" { spawned.insert(task) }
        }
        let times = stateTimes(events, endNs: reader.metadata.endNs)
        let exec = spawned.reduce(0) { $0 + (times[$1]?["running"] ?? 0) }
        let wait = spawned.reduce(0) { $0 + (times[$1]?["runnable"] ?? 0) }
        #expect(exec > 0)
        #expect(wait > 10 * exec)
    }

    @Test func blockingRegionGivesTheSuspensionItsReason() throws {
        let (events, reader) = try readAll(try Repository.bytes("small.out"))
        let reasons = events.compactMap { e -> String? in
            if case .taskState(_, .blocked(let r), _, _, _) = e.kind { reader.tables.string(r) } else { nil }
        }
        #expect(reasons.contains("db query"))
        #expect(reasons.contains("sleep"))
        #expect(!reasons.contains("suspended"))
    }

    @Test func inlineNamesWithSeparatorsSurviveIntact() throws {
        let (events, reader) = try readAll(try Repository.bytes("small.out"))
        #expect(events.contains { if case .taskCreated(_, _, let n, _, _) = $0.kind { reader.tables.string(n) == "audit; \"log\" 42" } else { false } })
    }
}

@Suite struct WindowStateSpecification {
    /// A snapshot: one strings frame, the given window state, one chunk built by `body`.
    func snapshot(window: WindowState, _ body: (inout EventChunkBuilder) -> Void) throws -> [UInt8] {
        var header = SnapshotHeader()
        header.windowStartTicks = 1_000
        let sink = ByteSink()
        let w = try SnapshotWriter(header: header) { sink.append($0) }
        try w.writeFrame(.strings, payload: StringsFrame.encode([(1, "sleep")]))
        try w.writeFrame(.windowState, payload: window.encoded())
        var chunk = EventChunkBuilder(thread: 9, sequence: 3, baseTicks: 1_000)
        body(&chunk)
        try w.writeFrame(.events, payload: chunk.bytes)
        try w.finish(eventCount: chunk.eventCount)
        return sink.bytes
    }

    @Test func blockingRegionOpenBeforeTheWindowStillNamesTheWait() throws {
        let window = WindowState(
            tasks: [.init(task: 5, parent: 0, name: "handler", group: "", state: .running(thread: 9))],
            regions: [.init(task: 5, thread: 9, name: "db query", beginTicks: 400, blocking: true),
                      .init(task: 5, thread: 9, name: "plain", beginTicks: 500)])
        let bytes = try snapshot(window: window) { c in
            c.taskBlocked(at: 1_200, task: 5, reason: 0)
            c.taskRunnable(at: 1_300, task: 5)
            c.taskRunning(at: 1_400, task: 5)
            c.taskBlocked(at: 1_500, task: 5, reason: 1)
            c.taskRunnable(at: 1_600, task: 5)
            c.taskRunning(at: 1_700, task: 5)
            c.actor(.actorWait, at: 1_800, task: 5, actor: 0x7000, type: 1)
        }
        let (events, reader) = try readAll(bytes)
        let reasons = events.compactMap { e -> String? in
            if case .taskState(TaskID(5), .blocked(let r), _, _, _) = e.kind { reader.tables.string(r) } else { nil }
        }
        #expect(reasons == ["db query", "db query", "db query"],
                "inside a blocking region, a sleep and an actor wait are the region's waits")
        #expect(reader.metadata.startNs == 1_000)
    }

    @Test func regionEndWithoutItsBeginIsDroppedWithAWarning() throws {
        let bytes = try snapshot(window: WindowState()) { c in
            c.regionEnd(at: 1_100, task: 0, name: 1)
        }
        let (events, reader) = try readAll(bytes)
        #expect(!events.contains { if case .regionEnd = $0.kind { true } else { false } })
        #expect(reader.warnings.contains { $0.contains("dropped 1 region end") })
    }
}
