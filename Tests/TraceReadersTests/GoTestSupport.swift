// Helpers shared by the Go reader tests: locating fixtures, draining a reader, and summing the
// time each task spends in each state (the accumulator the oracle comparison relies on).

import Foundation
import TraceModel
@testable import TraceReaders

enum GoFixtures {
    /// The package root: the nearest folder above this file holding Package.swift.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url = url.deletingLastPathComponent()
        }
        fatalError("no Package.swift above \(#filePath)")
    }()

    static let go = root.appendingPathComponent("Fixtures/go")

    static func path(_ relative: String) -> String { go.appendingPathComponent(relative).path }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: go.appendingPathComponent(relative)))
    }

    /// Traces with oracle goldens (TRACE.goroutines.json beside them).
    static let oracleTraces = [
        "workload/go122.trace", "workload/go123.trace", "workload/go125.trace", "workload/go126.trace",
        "pingserver/trace.1.out", "pingserver/trace.1.go125.out", "requestserver/trace.1.out",
        "cgocallback/go122.trace", "cgocallback/go126.trace",
        "coroutines/go123.trace", "coroutines/go126.trace",
        "cpuprofile/go122.trace", "cpuprofile/go126.trace",
    ]
}

struct DrainedTrace {
    var events: [TraceEvent] = []
    var metadata: TraceMetadata
    var tables: TraceTables
    var damage: TraceDamage?
}

/// Reads everything; `limit` guards tests against a reader that would not terminate.
func drain(_ reader: inout GoTraceReader, limit: Int = 50_000_000) throws -> DrainedTrace {
    var events: [TraceEvent] = []
    while let e = try reader.next() {
        events.append(e)
        if events.count > limit { break }
    }
    return DrainedTrace(events: events, metadata: reader.metadata, tables: reader.tables, damage: reader.damage)
}

/// Per-task sums of state durations, the way Go's goroutine analysis sums them: each state
/// change closes the previous state; tasks alive at the end are closed at `endNs`; a goroutine
/// blocked "forever" stops counting (Go treats that like its end).
struct GoAnalysisTimes {
    struct Task {
        var group = ""
        var created: Int64 = 0
        var running: Int64 = 0
        var runnable: Int64 = 0
        var syscall: Int64 = 0
        var blocked: [String: Int64] = [:]
        var state: TaskState?
        var since: Int64 = 0
        var done = false
    }
    var tasks: [TaskID: Task] = [:]

    init(_ trace: DrainedTrace) {
        let t = trace.tables
        for e in trace.events {
            switch e.kind {
            case .taskCreated(let id, _, _, let group, _):
                tasks[id] = Task(group: t.string(group), created: e.timeNs, since: e.timeNs)
            case .taskState(let id, let state, _, _, _):
                guard var task = tasks[id], !task.done else { continue }
                close(&task, at: e.timeNs, tables: t)
                task.state = state
                task.since = e.timeNs
                if state == .ended { task.done = true }
                if case .blocked(let r) = state, t.string(r) == "forever" { task.done = true }
                tasks[id] = task
            default:
                break
            }
        }
        for (id, var task) in tasks where !task.done {
            close(&task, at: trace.metadata.endNs, tables: t)
            tasks[id] = task
        }
    }

    private func close(_ task: inout Task, at time: Int64, tables: TraceTables) {
        let d = time - task.since
        switch task.state {
        case .running?: task.running += d
        case .runnable?: task.runnable += d
        case .syscall?: task.syscall += d
        case .blocked(let r)?:
            var reason = tables.string(r)
            // Go's analysis files reasons the trace does not record under "".
            if reason == GoStateMachine.reasonBeforeWindow || reason == GoStateMachine.reasonUnknown { reason = "" }
            task.blocked[reason, default: 0] += d
        default: break
        }
    }
}

/// The oracle's numbers for one goroutine (see Fixtures/go/oracle/goroutine_goldens.py).
struct GoroutineGolden: Decodable {
    var id: UInt64
    var group: String
    var total_ns: Int64
    var exec_ns: Int64
    var sched_wait_ns: Int64
    var syscall_ns: Int64
    var syscall_block_ns: Int64
    var unknown_ns: Int64
    var block_ns: [String: Int64]
}

struct GoroutineGoldens: Decodable {
    var trace: String
    var goroutines: [GoroutineGolden]
}

/// Within 1% or 2 us, as the definition of done states.
func closeEnough(_ ours: Int64, _ golden: Int64) -> Bool {
    let diff = abs(ours - golden)
    return diff <= 2_000 || Double(diff) <= 0.01 * Double(abs(golden))
}

