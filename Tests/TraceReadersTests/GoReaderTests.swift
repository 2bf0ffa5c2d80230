// The Go reader's contract with the event model, on real traces of every format version.

import Foundation
import Testing
import TraceFormat
import TraceModel
@testable import TraceReaders

@Suite("Go reader produces the event model's stream")
struct GoReaderTests {
    static let versions: [(String, String)] = [
        ("workload/go122.trace", "1.22"), ("workload/go123.trace", "1.23"), ("workload/go125.trace", "1.25"),
        ("workload/go126.trace", "1.26"), ("pingserver/trace.1.out", "1.26"), ("pingserver/trace.1.go125.out", "1.25"),
        ("cgocallback/go122.trace", "1.22"), ("cgocallback/go126.trace", "1.26"),
        ("coroutines/go123.trace", "1.23"), ("coroutines/go126.trace", "1.26"),
    ]

    @Test("metadata names the format and version; startNs is the first event, endNs at or after the last",
          arguments: versions.map { $0.0 })
    func metadata(trace: String) throws {
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let start = reader.metadata.startNs
        let d = try drain(&reader)
        #expect(d.metadata.format == "go")
        #expect(d.metadata.version == Self.versions.first { $0.0 == trace }!.1)
        #expect(d.events.first?.timeNs == start)
        #expect(d.metadata.startNs == start)
        #expect(d.metadata.endNs >= d.events.last!.timeNs)
        #expect(d.metadata.fileBytes == Int64(try GoFixtures.bytes(trace).count))
    }

    @Test("events are time-ordered, tasks start with taskCreated and stop at ended, regions nest, threads are named first",
          arguments: versions.map { $0.0 })
    func streamInvariants(trace: String) throws {
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let d = try drain(&reader)
        var last = Int64.min
        var created: Set<TaskID> = []
        var ended: Set<TaskID> = []
        var regions: [TaskID: [StringID]] = [:]
        var threads: Set<ThreadID> = []
        var problems: [String] = []
        func seeThread(_ t: ThreadID) { if !t.isNone && !threads.contains(t) { problems.append("thread \(t) unnamed") } }
        func seeTask(_ id: TaskID) {
            if !created.contains(id) { problems.append("task \(id) used before taskCreated") }
            if ended.contains(id) { problems.append("task \(id) used after ended") }
        }
        for e in d.events {
            if e.timeNs < last { problems.append("time goes back at \(e.timeNs)") }
            last = e.timeNs
            switch e.kind {
            case .threadName(let t, _): threads.insert(t)
            case .taskCreated(let id, _, _, _, _):
                if created.contains(id) && !ended.contains(id) { problems.append("task \(id) created twice") }
                created.insert(id)
                ended.remove(id)
            case .taskState(let id, let state, let thread, _, _):
                seeTask(id)
                seeThread(thread)
                if state == .running && thread.isNone { problems.append("task \(id) running on no thread") }
                if state == .ended {
                    ended.insert(id)
                    if !(regions[id] ?? []).isEmpty { problems.append("task \(id) ended with open regions") }
                }
            case .regionBegin(let task, let thread, let name, _):
                seeTask(task)
                seeThread(thread)
                regions[task, default: []].append(name)
            case .regionEnd(let task, _, let name):
                seeTask(task)
                if regions[task]?.last != name { problems.append("region end does not nest on task \(task)") }
                regions[task]?.removeLast()
            case .log(let task, let thread, _, _):
                if !task.isNone { seeTask(task) }
                seeThread(thread)
            case .taskCPU:
                problems.append("Go traces carry no per-job CPU time")
            case .actorCreated, .actorEnqueued, .actorAcquired, .actorReleased:
                problems.append("Go traces have no actors")
            case .counter:
                break
            }
        }
        #expect(problems.isEmpty, "\(problems.prefix(10))")
        #expect(created.count > 10)
    }

    @Test("the flight-recorder snapshot starts mid-stream and names goroutines blocked before the window")
    func snapshotStartsMidStream() throws {
        var gens = GoGenerationReader(version: .go126, source: GoByteSource(bytes: Array(try GoFixtures.bytes("pingserver/trace.1.out").dropFirst(16))))
        let first = try #require(try gens.next())
        #expect(first.number > 1)
        var reader = try GoTraceReader(path: GoFixtures.path("pingserver/trace.1.out"))
        let d = try drain(&reader)
        let beforeWindow = d.events.filter {
            if case .taskState(_, .blocked(let r), _, _, _) = $0.kind { return d.tables.string(r) == GoStateMachine.reasonBeforeWindow }
            return false
        }
        #expect(!beforeWindow.isEmpty)
        #expect(beforeWindow.allSatisfy { $0.timeNs == d.metadata.startNs })
    }

    @Test("the article's slow request: 100 goroutines grouped under main.doSchedulerWork.func1, 100 sleeps in main.doBlockingWork",
          arguments: ["pingserver/trace.1.out", "pingserver/trace.1.go125.out"])
    func articleScenario(trace: String) throws {
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let d = try drain(&reader)
        var groups: [String: Int] = [:]
        var sleepsInBlockingWork = 0
        for e in d.events {
            switch e.kind {
            case .taskCreated(_, _, _, let group, _): groups[d.tables.string(group), default: 0] += 1
            case .taskState(_, .blocked(let r), _, _, let stack) where d.tables.string(r) == "sleep":
                let frames = d.tables.stack(stack).map { d.tables.string($0.function) }
                if frames.contains("main.doBlockingWork") { sleepsInBlockingWork += 1 }
            default: break
            }
        }
        #expect(groups["main.doSchedulerWork.func1"] == 100)
        #expect(sleepsInBlockingWork == 100)
    }

    @Test("stacks are leaf first and a created goroutine's creation stack ends at its group function",
          arguments: versions.map { $0.0 }.filter { !$0.hasPrefix("cgocallback") && !$0.hasPrefix("coroutines") })
    func stacksLeafFirst(trace: String) throws {
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let d = try drain(&reader)
        var checked = 0
        for e in d.events {
            guard case .taskCreated(let id, let parent, _, let group, let stack) = e.kind, !parent.isNone, !stack.isNone,
                  !id.isGoUserTask else { continue }
            let frames = d.tables.stack(stack)
            #expect(d.tables.string(frames.last!.function) == d.tables.string(group))
            checked += 1
        }
        #expect(checked > 5)
        let blocked = d.events.compactMap { e -> [StackFrame]? in
            if case .taskState(_, .blocked, _, _, let s) = e.kind, !s.isNone { return d.tables.stack(s) }
            return nil
        }
        #expect(blocked.contains { d.tables.string($0.first!.function).hasPrefix("runtime.") })
    }

    @Test("user tasks, regions and logs of the workload are mapped", arguments: ["workload/go122.trace", "workload/go126.trace"])
    func annotations(trace: String) throws {
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let d = try drain(&reader)
        var userTasks: [String] = []
        var regions: [String] = []
        var logs: [String] = []
        var userTaskEnds = 0
        var counters: Set<String> = []
        for e in d.events {
            switch e.kind {
            case .taskCreated(let id, _, let name, _, _) where id.isGoUserTask:
                userTasks.append(d.tables.string(name))
            case .taskState(let id, .ended, _, _, _) where id.isGoUserTask:
                userTaskEnds += 1
            case .regionBegin(_, _, let name, _): regions.append(d.tables.string(name))
            case .log(_, _, let category, let message): logs.append("\(d.tables.string(category))=\(message)")
            case .counter(let name, _): counters.insert(d.tables.string(name))
            default: break
            }
        }
        #expect(userTasks == ["fixture.request", "fixture.subtask"])
        #expect(userTaskEnds == 2)
        #expect(regions == ["prepare", "inner", "work"])
        #expect(logs == ["phase=start", "phase=done"])
        #expect(counters.isSuperset(of: ["goroutines", "heap allocated bytes", "heap goal bytes", "GOMAXPROCS"]))
    }

    @Test("a goroutine created inside a user task its creator began has that task as parent, and its creator as waker")
    func goroutinesOfARequestDescendFromItsUserTask() throws {
        var reader = try GoTraceReader(path: GoFixtures.path("requestserver/trace.1.out"))
        let d = try drain(&reader)
        var userTasks: [TaskID: String] = [:]
        var parents: [TaskID: TaskID] = [:]
        var groups: [TaskID: String] = [:]
        var creators: [TaskID: TaskID] = [:]
        for e in d.events {
            switch e.kind {
            case .taskCreated(let id, let parent, let name, let group, _):
                if id.isGoUserTask { userTasks[id] = d.tables.string(name) }
                parents[id] = parent
                groups[id] = d.tables.string(group)
            case .taskState(let id, _, _, let waker, _) where creators[id] == nil:
                creators[id] = waker
            default: break
            }
        }
        let pricing = groups.filter { $0.value == "main.(*app).priceItems.func1" }.map(\.key)
        #expect(pricing.count == 100)
        let request = try #require(pricing.first.flatMap { parents[$0] })
        #expect(userTasks[request] == "GET /orders/{id}", "the slow request's user task")
        for g in pricing {
            #expect(parents[g] == request)
            #expect(creators[g].map { !$0.isGoUserTask && !$0.isNone } == true, "the flow still starts at the creating goroutine")
        }
        // Goroutines created outside any user task keep their creator as parent.
        let connections = groups.filter { $0.value == "net/http.(*conn).serve" }.map(\.key)
        #expect(!connections.isEmpty && connections.allSatisfy { parents[$0]?.isGoUserTask == false })
    }

    @Test("reading through a file descriptor gives the same stream as reading bytes")
    func fileDescriptorMatchesBytes() throws {
        let path = GoFixtures.path("workload/go125.trace")
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var a = try GoTraceReader(fileDescriptor: fd, name: "w")
        var b = try GoTraceReader(bytes: try GoFixtures.bytes("workload/go125.trace"), name: "w")
        let da = try drain(&a), db = try drain(&b)
        #expect(da.events.count == db.events.count)
        let firstDifference = zip(da.events, db.events).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "streams differ at event \(firstDifference ?? -1)")
        #expect(da.metadata.endNs == db.metadata.endNs)
    }

    @Test("goroutines created by C threads calling Go (cgo callbacks) are grouped under runtime.cgocallback and end",
          arguments: ["cgocallback/go122.trace", "cgocallback/go126.trace"])
    func cgoCallbacks(trace: String) throws {
        var reader = try GoTraceReader(path: GoFixtures.path(trace))
        let d = try drain(&reader)
        var callbackTasks: Set<TaskID> = []
        var ended: Set<TaskID> = []
        for e in d.events {
            switch e.kind {
            case .taskCreated(let id, _, _, let group, _) where d.tables.string(group) == "runtime.cgocallback":
                callbackTasks.insert(id)
            case .taskState(let id, .ended, _, _, _): ended.insert(id)
            default: break
            }
        }
        #expect(callbackTasks.count == 3)
        #expect(callbackTasks.isSubset(of: ended))
    }

    @Test("reading through input detection's shared ByteSource, after it peeked at the header, gives the same stream")
    func sharedByteSourceMatchesBytes() throws {
        let source = try ByteSource(path: GoFixtures.path("pingserver/trace.1.out"))
        #expect(GoTraceReader.looksLikeGoTrace(prefix: try source.peek(count: 16)))
        var a = try GoTraceReader(source: source, name: "trace.1.out")
        var b = try GoTraceReader(bytes: try GoFixtures.bytes("pingserver/trace.1.out"), name: "trace.1.out")
        let da = try drain(&a), db = try drain(&b)
        #expect(da.events.count == db.events.count)
        #expect(da.events == db.events)
        #expect(da.metadata.fileBytes == db.metadata.fileBytes)
    }

    @Test("Go trace detection accepts every supported header and rejects others")
    func detection() {
        for v in ["22", "23", "25", "26"] {
            #expect(GoTraceReader.looksLikeGoTrace(prefix: Array("go 1.\(v) trace\0\0\0".utf8)))
        }
        #expect(!GoTraceReader.looksLikeGoTrace(prefix: Array("TRXP".utf8) + [UInt8](repeating: 0, count: 12)))
        #expect(!GoTraceReader.looksLikeGoTrace(prefix: [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]))
    }
}
