// Specification of the Chrome trace exporter (ChromeTraceExporter), driven by hand-built
// event sequences; every output also goes through checkChrome's invariants.

import Foundation
import Testing
import TraceExporters
import TraceModel

@Suite struct ChromeTraceExporterTests {
    func chrome(_ script: TraceScript, options: ChromeOptions = ChromeOptions(),
                damage: TraceDamage? = nil) throws -> (String, ChromeTrace) {
        let text = try export(ChromeTraceExporter(options: options), script, damage: damage)
        return (text, checkChrome(text))
    }

    @Test func stateSlicesAreLeavesSplitAtRegionBoundaries() throws {
        let s = TraceScript()
        s.created(0, 7, "handler")
        s.state(0, 7, .running, thread: 1)
        s.regionBegin(1_000, task: 7, "GET /ping")
        s.state(2_000, 7, .blocked("sleep"))
        s.regionBegin(2_500, task: 7, "db")
        s.state(3_000, 7, .runnable)
        s.regionEnd(3_500, task: 7, "db")
        s.state(4_000, 7, .running, thread: 1)
        s.regionEnd(5_000, task: 7, "GET /ping")
        s.state(6_000, 7, .ended)
        let (_, trace) = try chrome(s)
        let slices = trace.slices(pid: 1, tid: 7).map { "\($0.depth) \($0.name) \($0.beginUs)-\($0.endUs)" }
        #expect(slices == [
            "0 running 0.0-1.0",
            "0 GET /ping 1.0-5.0",
            "1 running 1.0-2.0",
            "1 blocked: sleep 2.0-2.5",
            "1 db 2.5-3.5",
            "2 blocked: sleep 2.5-3.0",
            "2 runnable 3.0-3.5",
            "1 runnable 3.5-4.0",
            "1 running 4.0-5.0",
            "0 running 5.0-6.0",
        ])
        #expect(trace.trackName(pid: 1, tid: 7) == "handler")
    }

    @Test func tasksWithIDsBeyondDoublePrecisionKeepTracksOfTheirOwn() throws {
        // Logical Swift tasks (1 << 62 + n) and Go user tasks (1 << 63 + n): JavaScript viewers
        // read tids as doubles, exact below 2^53 only.
        let s = TraceScript(durationNs: 1_000)
        let ids: [UInt64] = [(1 << 62) + 1, (1 << 62) + 2, TaskID.goUserTask(1).raw, TaskID.goUserTask(2).raw, 7]
        for (i, id) in ids.enumerated() {
            s.created(Int64(i) * 10, id, "t\(i)")
            s.state(Int64(i) * 10, id, .blocked("sleep"))
        }
        let trace = checkChrome(try export(ChromeTraceExporter(), s))
        let tids = Set(trace.slices.filter { $0.pid == 1 }.map(\.tid))
        #expect(tids.count == ids.count)
        #expect(tids.allSatisfy { $0 < 1 << 53 })
        #expect(tids.contains(7), "small ids stay as they are")
    }

    @Test func aGoUserTaskIsASliceOverItsLife() throws {
        let s = TraceScript(durationNs: 1_000)
        s.metadata = TraceMetadata(format: "go", version: "1.26", startNs: s.startNs, endNs: s.startNs + 1_000)
        let task = TaskID.goUserTask(3).raw
        s.created(100, task, "GET /orders/{id}")
        s.state(400, task, .ended)
        let trace = checkChrome(try export(ChromeTraceExporter(), s))
        let slices = trace.slices.filter { $0.pid == 1 }
        #expect(slices.map(\.name) == ["GET /orders/{id}"])
        #expect(slices.first?.beginUs == 0.1 && slices.first?.endUs == 0.4)
    }

    @Test func runningTaskAppearsOnItsThreadTrack() throws {
        let s = TraceScript()
        s.threadName(0, 11, "worker-1")
        s.created(0, 1, "a")
        s.created(0, 2, "")
        s.state(0, 1, .running, thread: 11)
        s.state(100, 1, .blocked("io"))
        s.state(100, 2, .running, thread: 11)
        s.state(300, 2, .runnable)
        let (_, trace) = try chrome(s)
        let onThread = trace.slices(pid: 2, tid: 11).map { "\($0.name) \($0.beginUs)-\($0.endUs)" }
        #expect(onThread == ["a 0.0-0.1", "task 0.1-0.3"])
        #expect(trace.trackName(pid: 2, tid: 11) == "worker-1")
        #expect(trace.trackName(pid: 1, tid: 2) == "task 2")
        let taskArgs = trace.events(ph: "B").filter { $0["pid"] as? Int == 2 }.compactMap { ($0["args"] as? [String: Any])?["task"] as? Int }
        #expect(taskArgs == [1, 2])
    }

    @Test func wakeUpDrawsNumericFlowToTheNextRunningSlice() throws {
        let s = TraceScript()
        s.created(0, 1, "sender")
        s.created(0, 2, "receiver")
        s.state(0, 1, .running, thread: 1)
        s.state(0, 2, .blocked("chan receive"))
        s.state(500, 2, .runnable, waker: 1)
        s.state(800, 2, .running, thread: 2)
        let (text, trace) = try chrome(s)
        let starts = trace.events(ph: "s"), ends = trace.events(ph: "f")
        #expect(starts.count == 1 && ends.count == 1)
        #expect(starts.first?["tid"] as? Int == 1 && starts.first?["ts"] as? Double == 0.5)
        #expect(ends.first?["tid"] as? Int == 2 && ends.first?["ts"] as? Double == 0.8)
        // The arrow's end comes after the running slice's begin in the file, so a stable sort
        // by ts binds it to that slice.
        let runningBegin = try #require(text.range(of: #"{"ph":"B","pid":1,"tid":2,"ts":0.8,"name":"running"}"#))
        let flowEnd = try #require(text.range(of: #"{"ph":"f""#))
        #expect(runningBegin.lowerBound < flowEnd.lowerBound)
    }

    @Test func flowsCanBeLeftOut() throws {
        let s = TraceScript()
        s.created(0, 1, "a")
        s.created(0, 2, "b")
        s.state(0, 1, .running, thread: 1)
        s.state(10, 2, .runnable, waker: 1)
        let (_, trace) = try chrome(s, options: ChromeOptions(threadTracks: false, flows: false))
        #expect(trace.events(ph: "s").isEmpty)
        #expect(trace.slices.allSatisfy { $0.pid == 1 })
    }

    @Test func changesAtOneInstantLeaveNoZeroLengthSliceAndEndBeforeBegin() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        s.state(100, 1, .runnable)
        s.state(100, 1, .running, thread: 1)
        s.regionBegin(100, task: 1, "r")
        s.regionEnd(100, task: 1, "r")
        s.state(200, 1, .blocked("sleep"))
        let (text, trace) = try chrome(s)
        #expect(!trace.slices.contains { $0.name == "runnable" || $0.name == "r" })
        #expect(trace.slices(pid: 1, tid: 1).map(\.name) == ["running", "blocked: sleep"])
        #expect(!text.contains("\"ts\":0.1,\"name\":\"runnable\""))
    }

    @Test func openSlicesCloseAtTheWindowEnd() throws {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 3)
        s.regionBegin(100, task: 1, "outer")
        s.regionBegin(200, task: 0, thread: 3, "thread-region")
        let (_, trace) = try chrome(s)
        let atEnd = trace.slices.filter { $0.endUs == 10 }.map { "\($0.pid) \($0.name) \($0.beginUs)" }.sorted()
        #expect(atEnd == ["1 outer 0.1", "1 running 0.1", "2 t 0.2", "2 thread-region 0.2"])
    }

    @Test func regionThatBeganBeforeTheWindowStartsAtTsZero() throws {
        let s = TraceScript()
        // Readers report regions open at the window start as begins at startNs.
        s.created(0, 4, "old")
        s.regionBegin(0, task: 4, "long request")
        s.state(0, 4, .blocked("sleep"))
        s.regionEnd(1_500, task: 4, "long request")
        let (_, trace) = try chrome(s)
        let region = try #require(trace.slices.first { $0.name == "long request" })
        #expect(region.beginUs == 0 && region.endUs == 1.5)
    }

    @Test func timestampsAreMicrosecondsFromTheWindowStartWithNanosecondPrecision() throws {
        let s = TraceScript(startNs: 1_700_000_000_123_456_789)
        s.created(0, 1, "t")
        s.state(1, 1, .running, thread: 1)
        s.state(1_234_567, 1, .runnable)
        let (text, _) = try chrome(s)
        #expect(text.contains("\"ts\":0.001,\"name\":\"running\""))
        #expect(text.contains("\"ts\":1234.567}"))
        #expect(text.contains("\"startNs\":1700000000123456789"))
    }

    @Test func logsAreInstantsAndCountersAreCEvents() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 5)
        s.log(10, task: 1, "http", "GET /ping \"slow\"")
        s.log(20, task: 0, thread: 5, "", "thread log")
        s.counter(30, "heap bytes", 1_048_576)
        s.counter(40, "load", 0.25)
        s.counter(50, "bad", .nan)
        s.counter(60, "worse", .infinity)
        let (_, trace) = try chrome(s)
        let instants = trace.events(ph: "i")
        #expect(instants.count == 2)
        #expect(instants[0]["pid"] as? Int == 1 && instants[0]["tid"] as? Int == 1 && instants[0]["name"] as? String == "http")
        #expect((instants[0]["args"] as? [String: Any])?["message"] as? String == "GET /ping \"slow\"")
        #expect(instants[1]["pid"] as? Int == 2 && instants[1]["name"] as? String == "log")
        let counters = trace.events(ph: "C")
        #expect(counters.count == 2)
        #expect((counters[0]["args"] as? [String: Any])?["value"] as? Int == 1_048_576)
        #expect((counters[1]["args"] as? [String: Any])?["value"] as? Double == 0.25)
        #expect((trace.root["otherData"] as? [String: Any])?["skippedNonFiniteCounters"] as? Int == 2)
    }

    @Test func namesWithQuotesBackslashesAndControlCharactersStayValidJSON() throws {
        let s = TraceScript()
        s.created(0, 1, "a \"quoted\" \\ name\n\t\u{1}é✓")
        s.state(0, 1, .blocked("wait \"x\""))
        s.regionBegin(10, task: 1, "r\u{0}")
        let (_, trace) = try chrome(s)
        #expect(trace.trackName(pid: 1, tid: 1) == "a \"quoted\" \\ name\n\t\u{1}é✓")
        #expect(trace.slices.contains { $0.name == "blocked: wait \"x\"" })
        #expect(trace.slices.contains { $0.name == "r\u{0}" })
    }

    @Test func endingAnOuterRegionClosesTheRegionsInsideIt() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        s.regionBegin(10, task: 1, "outer")
        s.regionBegin(20, task: 1, "inner")
        s.regionEnd(30, task: 1, "outer")
        s.regionEnd(40, task: 1, "inner")  // already closed: ignored
        s.regionEnd(40, task: 1, "never opened")
        let (_, trace) = try chrome(s)
        let inner = try #require(trace.slices.first { $0.name == "inner" })
        #expect(inner.endUs == 0.03)
    }

    @Test func stackFramesAreWrittenOnceAndReferencedBySlices() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .blocked("sleep"), stack: ["main", "handle", "sleep"])
        s.state(10, 1, .running, thread: 1)
        s.state(20, 1, .blocked("sleep"), stack: ["main", "handle", "sleep"])
        s.regionBegin(30, task: 1, "r", stack: ["main", "other"])
        let (text, trace) = try chrome(s)
        let frames = try #require(trace.root["stackFrames"] as? [String: [String: Any]])
        #expect(frames.count == 4)
        #expect(text.components(separatedBy: "\"stackFrames\"").count == 2)
        let sleeps = trace.events(ph: "B").filter { $0["name"] as? String == "blocked: sleep" }
        let sf = sleeps.compactMap { $0["sf"] as? Int }
        // Blocked at 0, again at 20, and split around the region at 30: one stack each time.
        #expect(sf.count == 3 && Set(sf).count == 1)
        #expect(frames[String(sf[0])]?["name"] as? String == "sleep")
        let noStacks = try export(ChromeTraceExporter(options: ChromeOptions(stackFrames: false)), s)
        #expect(!noStacks.contains("stackFrames") && !noStacks.contains("\"sf\""))
    }

    @Test func damageIsRecordedInOtherData() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        let damage = TraceDamage(file: "t.out", offset: 42, message: "chunk checksum mismatch")
        let (_, trace) = try chrome(s, damage: damage)
        #expect((trace.root["otherData"] as? [String: Any])?["damage"] as? String == "t.out: offset 42: chunk checksum mismatch")
    }

    @Test func outputIsDeterministic() throws {
        let s = RandomTrace(seed: 7).script(events: 2_000)
        #expect(try export(ChromeTraceExporter(), s) == export(ChromeTraceExporter(), s))
    }

    @Test(arguments: 1...12)
    func randomTracesKeepEveryTrackStrictlyNested(seed: UInt64) throws {
        let s = RandomTrace(seed: seed).script(events: 1_500)
        _ = try chrome(s)
    }

    @Test func eventsOutOfOrderOrBeforeTheWindowNeverGoBackInTime() throws {
        let s = TraceScript()
        s.unordered = true
        s.created(0, 1, "t")
        s.state(500, 1, .running, thread: 1)
        s.state(-200, 1, .runnable)  // before the window start and before the previous event
        s.state(700, 1, .running, thread: 1)
        _ = try chrome(s)
    }
}
