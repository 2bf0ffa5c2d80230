// A deterministic, endless-looking stream of server-like events for timing the exporters
// without a reader in the way (ExporterBench).
//
// Invariants:
// - Constant memory: a fixed number of concurrent tasks, each at a step of one request's
//   lifecycle (created, woken, running on a thread, regions, sleep, syscall, channel wait,
//   log, counter, ended); an ended task's slot restarts with a new task id.
// - Follows every reader promise: non-decreasing times, taskCreated first, regions nested.
// - The same parameters give the same events.
// - With `request`, the trigger names task 1 (a slow request open to the end: task 1 never
//   ends) and every other task is its child, so every event belongs to the request: the
//   summary's most expensive case.

import TraceModel

struct SyntheticEventStream: TraceReader {
    let metadata: TraceMetadata
    let tables: TraceTables
    let damage: TraceDamage? = nil
    let warnings: [String] = []

    private let total: Int64
    private var produced: Int64 = 0
    private var timeNs: Int64
    private var steps: [UInt8]
    private var ids: [UInt64]
    private var nextID: UInt64
    private var cursor = 0
    private let threads: UInt64
    private let groups: [StringID]
    private let name: StringID, handle: StringID, dbQuery: StringID, sleep: StringID, chanReceive: StringID
    private let http: StringID, queueDepth: StringID
    private let stacks: [StackID]
    private let request: Bool

    init(events: Int64, tasks: Int = 1_000, threads: Int = 16, request: Bool = false) {
        self.request = request
        total = events
        let startNs: Int64 = 1_000_000_000
        let tables = TraceTables()
        self.tables = tables
        timeNs = startNs
        var m = TraceMetadata(format: "synthetic", version: "1", startNs: startNs, endNs: startNs + events * 40 + 1)
        m.trigger = "benchmark"
        if request { m.triggerFields = [KeyValue("task", "1")] }
        metadata = m
        self.threads = UInt64(threads)
        steps = Array(repeating: 0, count: tasks)
        ids = (1...UInt64(tasks)).map { $0 }
        nextID = UInt64(tasks) + 1
        groups = ["GET /ping", "GET /users/:id", "POST /orders", "GET /health", "worker", "cache refresh",
                  "metrics flush", "GET /search"].map { tables.intern($0) }
        name = tables.intern("handler")
        handle = tables.intern("handle request")
        dbQuery = tables.intern("db query")
        sleep = tables.intern("sleep")
        chanReceive = tables.intern("chan receive")
        http = tables.intern("http")
        queueDepth = tables.intern("queue depth")
        stacks = (0..<4).map { i in
            tables.intern(stack: [StackFrame(function: tables.intern("Task.sleep"), file: tables.intern("Clock.swift"), line: 10),
                                  StackFrame(function: tables.intern("handler\(i)"), file: tables.intern("Routes.swift"), line: UInt32(20 + i)),
                                  StackFrame(function: tables.intern("main"))])
        }
    }

    mutating func next() throws -> TraceEvent? {
        guard produced < total else { return nil }
        produced += 1
        timeNs += 40
        let slot = cursor
        cursor += 1
        if cursor == steps.count { cursor = 0 }
        let id = ids[slot]
        let task = TaskID(id)
        let thread = ThreadID(id % threads + 1)
        let waker = TaskID(ids[(slot + 1) % ids.count])
        let step = steps[slot]
        steps[slot] = step == 17 ? 0 : step + 1
        let kind: TraceEvent.Kind
        switch step {
        case 0:
            let parent = request && id != 1 ? TaskID(1) : .none
            kind = .taskCreated(task, parent: parent, name: name, group: groups[Int(id % 8)], stack: .none)
        case 1: kind = .taskState(task, .runnable, thread: .none, waker: waker, stack: .none)
        case 2, 6, 9, 14: kind = .taskState(task, .running, thread: thread, waker: .none, stack: .none)
        case 3: kind = .regionBegin(task: task, thread: thread, name: handle, stack: .none)
        case 4: kind = .taskState(task, .blocked(reason: sleep), thread: thread, waker: .none, stack: stacks[Int(id % 4)])
        case 5, 13: kind = .taskState(task, .runnable, thread: .none, waker: waker, stack: .none)
        case 7: kind = .regionBegin(task: task, thread: thread, name: dbQuery, stack: .none)
        case 8: kind = .taskState(task, .syscall, thread: thread, waker: .none, stack: .none)
        case 10: kind = .regionEnd(task: task, thread: thread, name: dbQuery)
        case 11: kind = .log(task: task, thread: thread, category: http, message: "GET /ping 200")
        case 12: kind = .taskState(task, .blocked(reason: chanReceive), thread: thread, waker: .none, stack: .none)
        case 15: kind = .regionEnd(task: task, thread: thread, name: handle)
        case 16: kind = .counter(name: queueDepth, value: Double(id % 64))
        default:
            guard !request || id != 1 else {
                kind = .taskState(task, .running, thread: thread, waker: .none, stack: .none)
                break
            }
            kind = .taskState(task, .ended, thread: thread, waker: .none, stack: .none)
            ids[slot] = nextID
            nextID += 1
        }
        return TraceEvent(timeNs: timeNs, kind)
    }
}
