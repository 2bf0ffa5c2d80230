// Specification of the slow request the trigger names (field `task`): the summary's
// "Slow request" section (its wall time split by state over the request's task and every task
// it spawned, each instant shared equally among those alive then) in text, JSON and CSV, and
// the Chrome request slice and trigger instant.

import Foundation
import SyntheticTraces
import Testing
@testable import TraceExporters
import TraceModel
import TraceReaders

@Suite struct SlowRequestTests {
    /// Request R (task 7, `GET /order`) from 10 µs to 80 µs, amid another request and a
    /// background task. Times in µs:
    ///
    ///     10-20  R running alone
    ///     20-50  R sleeps; children A running, B blocked on actor Inventory, C runnable (4 members)
    ///     50     A ends; C runs and creates grandchild G (runnable)
    ///     50-56  R sleep, B actor, C running, G runnable (4 members)
    ///     56-62  R sleep, B actor, C running, G syscall (4 members)
    ///     62     B, C, G end
    ///     62-70  R sleeps alone; 70-72 R runnable; 72-80 R running; 80 R ends
    ///
    /// Split of the 70 µs: running 10 + 7.5 + 1.5 + 1.5 + 8 = 28.5; runnable 7.5 + 1.5 + 2 = 11;
    /// sleep 7.5 + 1.5 + 1.5 + 8 = 18.5; actor Inventory 7.5 + 1.5 + 1.5 = 10.5; syscall 1.5.
    static func script(task: String? = "7") -> TraceScript {
        let s = TraceScript(durationNs: 100_000)
        s.metadata.trigger = "slow request GET /order 200 0.136 s"
        s.metadata.triggerFields = [KeyValue("method", "GET"), KeyValue("path", "/order"), KeyValue("route", "/order"),
                                    KeyValue("status", "200"), KeyValue("durationMs", "136")]
        if let task { s.metadata.triggerFields.append(KeyValue("task", task)) }
        // Not members: created before the request, by another request, or by a non-member.
        s.created(0, 40, "housekeeping", group: "background")
        s.state(0, 40, .running, thread: 3)
        s.created(0, 50, "GET /other")
        s.state(0, 50, .blocked("suspended"))
        s.created(30_000, 51, "lookup", group: "compute", parent: 50)
        s.state(30_000, 51, .running, thread: 4)
        s.created(25_000, 41, "flush", group: "compute", parent: 40)
        s.state(25_000, 41, .runnable)

        s.created(10_000, 7, "GET /order")
        s.state(10_000, 7, .running, thread: 1)
        s.state(20_000, 7, .blocked("sleep"))
        s.created(20_000, 8, "price", group: "compute", parent: 7)
        s.state(20_000, 8, .running, thread: 2)
        s.created(20_000, 9, "reserve", group: "stock", parent: 7)
        s.state(20_000, 9, .blocked("actor Inventory"))
        s.created(20_000, 10, "tax", group: "compute", parent: 7)
        s.state(20_000, 10, .runnable)
        s.state(50_000, 8, .ended)
        s.state(50_000, 10, .running, thread: 2)
        s.created(50_000, 11, "audit", group: "compute", parent: 10)
        s.state(50_000, 11, .runnable)
        s.state(56_000, 11, .syscall)
        for id: UInt64 in [9, 10, 11] { s.state(62_000, id, .ended) }
        s.state(70_000, 7, .runnable)
        s.state(72_000, 7, .running, thread: 1)
        s.state(80_000, 7, .ended)
        // A child of R created after R ended does not count either.
        s.created(85_000, 12, "late", group: "compute", parent: 7)
        return s
    }

    /// The section alone, as the summary computes it.
    func report(_ s: TraceScript) -> RequestSummary? {
        guard var breakdown = RequestBreakdown(metadata: s.metadata) else { return nil }
        for event in s.events { breakdown.consume(event, tables: s.tables) }
        return breakdown.finish(endNs: s.metadata.endNs, tables: s.tables)
    }

    func summary(_ s: TraceScript, _ format: SummaryOptions.Format) throws -> String {
        try export(SummaryExporter(options: SummaryOptions(format: format)), s)
    }

    /// A request that is a logical task (no states of its own), opened by the connection's
    /// task: it runs, waits and blocks as that task does. Times in µs:
    ///
    ///     10-20  connection task running (the request with it)
    ///     20-30  connection task suspended; child K running (2 members)
    ///     30     K ends (and, with `wokenByK`, wakes the connection task); 30-40 connection task
    ///            running; 40 the request ends
    static func logicalRequestScript(wokenByK: Bool = false) -> TraceScript {
        let s = TraceScript(durationNs: 100_000)
        s.metadata.triggerFields = [KeyValue("task", "100")]
        s.created(0, 1, "connection")
        s.state(0, 1, .running, thread: 1)
        s.created(10_000, 100, "GET /order", parent: 1)
        s.state(20_000, 1, .blocked("suspended"))
        s.created(20_000, 2, "reserve", group: "stock", parent: 100)
        s.state(20_000, 2, .running, thread: 2)
        s.state(30_000, 2, .ended)
        if wokenByK { s.state(30_000, 1, .runnable, waker: 2) }
        s.state(30_000, 1, .running, thread: 1)
        s.state(40_000, 100, .ended)
        return s
    }

    @Test func aRequestWithoutStatesOfItsOwnTakesTheStatesOfTheTaskServingIt() throws {
        let r = try #require(report(Self.logicalRequestScript()))
        #expect(r.wallNs == 30_000)
        #expect(r.times.execNs == 25_000, "10 alone, 5 of 10 shared with K, 10 alone: \(r.times)")
        #expect(r.times.schedWaitNs == 0)
        #expect(r.times.blockedNs.map(\.ns).reduce(0, +) == 5_000)
    }

    @Test func wallTimeIsSplitByStateSharingEachInstantAmongTheMembersAliveThen() throws {
        let r = try #require(report(Self.script()))
        #expect(r.task == 7 && r.name == "GET /order" && r.ended)
        #expect(r.startNs == Self.script().startNs + 10_000 && r.wallNs == 70_000)
        #expect(r.tasks == 5, "R, its three children and its grandchild")
        #expect(r.times.execNs == 28_500)
        #expect(r.times.schedWaitNs == 11_000)
        #expect(r.times.blockedNs == [BlockedTime(reason: "actor Inventory", ns: 10_500),
                                      BlockedTime(reason: "sleep", ns: 18_500)])
        #expect(r.times.syscallNs == 1_500)
        #expect(r.times.totalNs == r.wallNs)
    }

    @Test func theFiveLargestContributorsAreGroupAndStatePairs() throws {
        let r = try #require(report(Self.script()))
        #expect(r.top == [
            RequestContributor(group: "GET /order", state: .blocked(reason: "sleep"), ns: 18_500),
            RequestContributor(group: "GET /order", state: .running, ns: 18_000),
            // Equal times: by group.
            RequestContributor(group: "compute", state: .running, ns: 10_500),
            RequestContributor(group: "stock", state: .blocked(reason: "actor Inventory"), ns: 10_500),
            RequestContributor(group: "compute", state: .runnable, ns: 9_000),
        ])
    }

    @Test func partsAddUpToTheWallTimeWhenSharesAreFractional() throws {
        // Three members over 10 ns: 10/3 each, rounded so that the parts still sum to 10.
        let s = TraceScript(durationNs: 100)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.created(0, 1, "GET /x")
        s.state(0, 1, .blocked("suspended"))
        s.created(0, 2, "a", parent: 1)
        s.state(0, 2, .running, thread: 1)
        s.created(0, 3, "b", parent: 1)
        s.state(0, 3, .syscall)
        s.state(10, 1, .ended)
        let r = try #require(report(s))
        #expect(r.wallNs == 10 && r.times.totalNs == 10)
        for part in [r.times.execNs, r.times.syscallNs, r.times.blockedTotalNs] { #expect(part == 3 || part == 4) }
    }

    @Test func aRequestStillRunningCountsUntilTheWindowEnd() throws {
        let s = TraceScript(durationNs: 1_000)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.created(200, 1, "GET /slow")
        s.state(200, 1, .running, thread: 1)
        let r = try #require(report(s))
        #expect(!r.ended && r.endNs == s.metadata.endNs && r.wallNs == 800 && r.times.execNs == 800)
    }

    @Test func aTaskNotYetInAnyStateWaitsForAThread() throws {
        let s = TraceScript(durationNs: 1_000)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.created(0, 1, "GET /x")
        s.state(100, 1, .running, thread: 1)
        s.state(300, 1, .ended)
        let r = try #require(report(s))
        #expect(r.times.schedWaitNs == 100 && r.times.execNs == 200)
    }

    @Test func textStartsWithTheSlowRequestSection() throws {
        let text = try summary(Self.script(), .text)
        #expect(text.hasPrefix("""
            Slow request: GET /order (task 7), wall time 70.000µs, 5 tasks
            Critical path: what the request's end waited on, back through wake-ups and creations (0 hops, 1 task)
            group       state                     time   share
            GET /order  blocked: sleep        50.000µs   71.4%
            GET /order  running               18.000µs   25.7%
            GET /order  waiting for a thread   2.000µs    2.9%
            total                             70.000µs  100.0%

            Where its tasks spent the wall time: each instant shared equally among the request's tasks alive then
            state                         time   share
            running                   28.500µs   40.7%
            waiting for a thread      11.000µs   15.7%
            blocked: sleep            18.500µs   26.4%
            blocked: actor Inventory  10.500µs   15.0%
            syscall                    1.500µs    2.1%
            total                     70.000µs  100.0%

            Its own task over the wall time (what the request's code waited for)
            state                     time  share
            running               18.000µs  25.7%
            waiting for a thread   2.000µs   2.9%
            blocked: sleep        50.000µs  71.4%

            Largest contributors
            group       state                         time  share
            GET /order  blocked: sleep            18.500µs  26.4%
            GET /order  running                   18.000µs  25.7%
            compute     running                   10.500µs  15.0%
            stock       blocked: actor Inventory  10.500µs  15.0%
            compute     waiting for a thread       9.000µs  12.9%

            10 tasks in
            """))
    }

    @Test func jsonHasARequestObjectFirstThatValidatesAgainstTheSchema() throws {
        let text = try summary(Self.script(), .json)
        #expect(text.hasPrefix("{\"request\":{\"task\":7,"))
        let root = try #require(try checkSchema(text, "summary.schema.json") as? [String: Any])
        let request = try #require(root["request"] as? [String: Any])
        #expect(request["wallNs"] as? Int == 70_000 && request["totalNs"] as? Int == 70_000)
        #expect(request["execNs"] as? Int == 28_500 && request["schedWaitNs"] as? Int == 11_000)
        #expect(request["blockedNs"] as? [String: Int] == ["sleep": 18_500, "actor Inventory": 10_500])
        let top = try #require(request["top"] as? [[String: Any]])
        #expect(top.count == 5)
        #expect(top[0]["group"] as? String == "GET /order" && top[0]["state"] as? String == "blocked"
                && top[0]["reason"] as? String == "sleep" && top[0]["ns"] as? Int == 18_500)
        #expect(top[1]["reason"] == nil, "a reason only for blocked states")
    }

    @Test func csvHasARequestRowAndItsContributors() throws {
        let rows = try summary(Self.script(), .csv).split(separator: "\n").map(String.init)
        #expect(rows[0] == "kind,id,name,group,count,startNs,endNs,execNs,schedWaitNs,blockedNs,syscallNs,totalNs,"
                + "meanNs,p50Ns,p99Ns,blocked:actor Inventory,blocked:sleep,blocked:suspended")
        let start = Self.script().startNs + 10_000
        #expect(rows[1] == "request,7,GET /order,,5,\(start),\(start + 70_000),28500,11000,29000,1500,70000,,,,10500,18500,0")
        #expect(rows[2] == "request contributor,,GET /order,GET /order,,,,,,18500,,18500,,,,,18500,")
        #expect(rows[3] == "request contributor,,GET /order,GET /order,,,,18000,,,,18000,,,,,,")
        #expect(rows.filter { $0.hasPrefix("request contributor,") }.count == 5)
        #expect(Set(rows.map { $0.split(separator: ",", omittingEmptySubsequences: false).count }).count == 1)
    }

    @Test(arguments: [SummaryOptions.Format.text, .json, .csv])
    func aTriggerNamingNoTaskInTheTraceChangesNothing(format: SummaryOptions.Format) throws {
        let plain = try summary(Self.script(task: nil), format)
        #expect(try summary(Self.script(task: "999"), format) == plain)
        #expect(try summary(Self.script(task: "not a number"), format) == plain)
        #expect(!plain.contains("request"))
    }

    @Test func theRequestTasksOwnTimelineTotalsTheWallTime() throws {
        let r = try #require(report(Self.script()))
        #expect(r.ownTask.execNs == 18_000 && r.ownTask.schedWaitNs == 2_000)
        #expect(r.ownTask.blockedNs == [BlockedTime(reason: "sleep", ns: 50_000)])
        #expect(r.ownTask.totalNs == r.wallNs)
        // A logical request's own timeline is the connection task's while the request lasts.
        let logical = try #require(report(Self.logicalRequestScript()))
        #expect(logical.ownTask.execNs == 20_000 && logical.ownTask.blockedTotalNs == 10_000)
    }

    @Test func goTracesHaveNoTrigger() {
        var metadata = TraceMetadata(format: "go", version: "1.25")
        #expect(RequestTrigger(metadata) == nil)
        metadata.triggerFields = [KeyValue("task", "0")]
        #expect(RequestTrigger(metadata) == nil)
    }

    static func user(_ n: UInt64) -> UInt64 { TaskID.goUserTask(n).raw }

    /// A Go trace (no trigger) with two requests as user tasks, begun by connection goroutines
    /// 1 and 3. Times in µs:
    ///
    ///     10     G1 begins user task 1 (`GET /a`) and creates G2 inside it
    ///     10-40  G1 blocked (select); G2 running; at 20, G2 starts a runtime goroutine G9
    ///     25     user task 5, a child of user task 1, begins: inside it, no request of its own
    ///     40     user task 1 ends; G1 then creates G4, outside any task
    ///     50-60  G3's user task 2 (`GET /b`), 10 µs
    static func goScript() -> TraceScript {
        let s = TraceScript(durationNs: 100_000)
        s.metadata = TraceMetadata(format: "go", version: "1.26", startNs: s.startNs, endNs: s.startNs + 100_000)
        s.created(0, 1, "G1", group: "net/http.(*conn).serve")
        s.state(0, 1, .running, thread: 1)
        s.created(0, 3, "G3", group: "net/http.(*conn).serve")
        s.state(0, 3, .blocked("network"))
        s.created(10_000, user(1), "GET /a", group: "GET /a", parent: 1)
        s.created(10_000, 2, "G2", group: "main.work.func1", parent: user(1))
        s.state(10_000, 2, .runnable)
        s.state(10_000, 1, .blocked("select"))
        s.state(12_000, 2, .running, thread: 2)
        s.created(20_000, 9, "G9", group: "runtime.gcBgMarkWorker", parent: 2)
        s.state(20_000, 9, .blocked("GC mark"))
        s.created(25_000, user(5), "lookup", group: "lookup", parent: user(1))
        s.state(30_000, 2, .ended)
        s.state(30_000, user(5), .ended)
        s.state(35_000, 1, .running, thread: 1)
        s.state(40_000, user(1), .ended)
        s.created(41_000, 4, "G4", group: "main.later", parent: 1)
        s.state(41_000, 4, .runnable)
        s.state(50_000, 3, .running, thread: 3)
        s.created(50_000, user(2), "GET /b", group: "GET /b", parent: 3)
        s.state(60_000, user(2), .ended)
        return s
    }

    @Test func aGoTraceExplainsItsLongestTopLevelUserTask() throws {
        let r = try #require(report(Self.goScript()))
        #expect(r.name == "GET /a" && r.chosenBy == .longestUserTask && r.task == Self.user(1) && r.ended)
        #expect(r.wallNs == 30_000)
        #expect(r.tasks == 3, "the user task, G2, and the nested user task 5; not the runtime's G9, not G4")
        #expect(r.times.totalNs == r.wallNs && r.ownTask.totalNs == r.wallNs)
        // Own timeline: G1's states while the task lasted.
        #expect(r.ownTask.blockedNs == [BlockedTime(reason: "select", ns: 25_000)] && r.ownTask.execNs == 5_000)
        #expect(r.top.contains { $0.group == "main.work.func1" && $0.state == .running })
        #expect(!r.top.contains { $0.group.hasPrefix("runtime.") })
    }

    @Test func aGoRequestStillOpenAtTheWindowEndCountsToTheEndAndCanBeTheLongest() throws {
        let tie = Self.goScript()
        tie.created(70_000, Self.user(7), "GET /slow", group: "GET /slow", parent: 3)
        #expect(try #require(report(tie)).name == "GET /a", "30 µs to the window end ties with GET /a: the earlier wins")
        let longer = Self.goScript()
        longer.created(60_000, Self.user(7), "GET /slow", group: "GET /slow", parent: 3)
        let r = try #require(report(longer))
        #expect(r.name == "GET /slow" && !r.ended && r.wallNs == 40_000 && r.ownTask.execNs == 40_000)
    }

    @Test func aNestedUserTaskTakesTheStatesOfTheGoroutineServingTheRequest() throws {
        let s = TraceScript(durationNs: 100)
        s.metadata = TraceMetadata(format: "go", version: "1.26", startNs: s.startNs, endNs: s.startNs + 100)
        s.created(0, 1, "G1", group: "net/http.(*conn).serve")
        s.state(0, 1, .running, thread: 1)
        s.created(0, Self.user(1), "GET /a", group: "GET /a", parent: 1)
        s.created(0, Self.user(2), "db", group: "db", parent: Self.user(1))
        s.state(50, 1, .blocked("network"))
        s.state(60, Self.user(2), .ended)
        s.state(60, 1, .running, thread: 1)
        s.state(80, Self.user(1), .ended)
        let r = try #require(report(s))
        // Two members throughout [0, 60): both run, then both wait on the network; then one.
        #expect(r.times.execNs == 70 && r.times.blockedNs == [BlockedTime(reason: "network", ns: 10)])
        #expect(r.times.schedWaitNs == 0)
    }

    @Test func aGoTraceWithoutUserTasksAndASnapshotWithoutTriggerNameNoRequest() throws {
        let go = TraceScript(durationNs: 1_000)
        go.metadata = TraceMetadata(format: "go", version: "1.26", startNs: go.startNs, endNs: go.startNs + 1_000)
        go.created(0, 1, "G1", group: "main.main")
        go.state(0, 1, .running, thread: 1)
        #expect(report(go) == nil)
        let text = try summary(go, .text)
        #expect(!text.contains("request"))
    }

    @Test func goTextAndJSONSayHowTheRequestWasChosen() throws {
        let text = try summary(Self.goScript(), .text)
        #expect(text.hasPrefix("Longest request: GET /a (user task 1), wall time 30.000µs, 3 tasks\n"
                               + "The trace names no request: this is its longest user task"))
        let json = try summary(Self.goScript(), .json)
        let root = try #require(try checkSchema(json, "summary.schema.json") as? [String: Any])
        let request = try #require(root["request"] as? [String: Any])
        #expect(request["chosenBy"] as? String == "longest user task" && request["name"] as? String == "GET /a")
        let own = try #require(request["ownTask"] as? [String: Any])
        #expect(own["totalNs"] as? Int == 30_000)
        let triggered = try summary(Self.script(), .json)
        #expect(!triggered.contains("chosenBy"), "absent when the trigger names the request")
    }

    @Test func chromeMarksTheRequestWithASliceAndTheTriggerInstant() throws {
        let text = try export(ChromeTraceExporter(), Self.script())
        let trace = checkChrome(text)
        try checkSchema(text, "chrome-trace.schema.json")
        let track = trace.slices(pid: 1, tid: 7)
        let request = try #require(track.first)
        #expect(request == ChromeSlice(pid: 1, tid: 7, name: "slow request GET /order 136 ms", beginUs: 10, endUs: 80,
                                       depth: 0))
        #expect(track.dropFirst().allSatisfy { $0.depth > 0 && $0.beginUs >= 10 && $0.endUs <= 80 })
        #expect(trace.slices.filter { $0.name.hasPrefix("slow request") }.count == 1)
        let begin = try #require(trace.events(ph: "B").first { $0["name"] as? String == request.name })
        #expect(begin["cat"] as? String == "request" && (begin["args"] as? [String: Any])?["task"] as? Int == 7)

        let instants = trace.events(ph: "i").filter { $0["s"] as? String == "g" }
        #expect(instants.count == 1)
        #expect(instants.first?["ts"] as? Double == 100, "the window end, when the snapshot was taken")
        #expect(instants.first?["name"] as? String == "slow request GET /order 200 0.136 s")
        #expect(instants.first?["cat"] as? String == "request")
    }

    @Test func chromeWithoutTheRequestTaskIsUnchanged() throws {
        var missing = try export(ChromeTraceExporter(), Self.script(task: "999"))
        let plain = try export(ChromeTraceExporter(), Self.script(task: nil))
        missing = missing.replacingOccurrences(of: ",\"trigger.task\":\"999\"", with: "")
        #expect(missing == plain)
    }

    @Test func chromeRequestSliceStaysOutermostAroundRegionsAndEndsAtTheWindowEndForATaskLeftOpen() throws {
        let s = TraceScript(durationNs: 1_000)
        s.metadata.triggerFields = [KeyValue("task", "1"), KeyValue("method", "GET"), KeyValue("route", "/r")]
        s.state(100, 1, .running, thread: 1)  // never announced: named from the trigger
        s.regionBegin(200, task: 1, "parse")
        s.regionEnd(300, task: 1, "")  // a stray end of an unnamed region closes no request slice
        s.regionEnd(300, task: 1, "parse")
        s.regionBegin(400, task: 1, "load")
        let text = try export(ChromeTraceExporter(), s)
        let trace = checkChrome(text)
        try checkSchema(text, "chrome-trace.schema.json")
        let track = trace.slices(pid: 1, tid: 1)
        #expect(track.first == ChromeSlice(pid: 1, tid: 1, name: "slow request GET /r", beginUs: 0.1, endUs: 1, depth: 0))
        #expect(track.dropFirst().allSatisfy { $0.depth > 0 })
    }
}

// MARK: - Critical path

extension SlowRequestTests {
    /// A chain: R waits on A, A waits on B. And C, spawned too, idles the whole time (an HTTP
    /// client's keep-alive loop). Times in µs:
    ///
    ///     0-10   R running; at 10 it creates A, B and C and blocks (chan receive)
    ///     10-20  A runnable; 20-25 A running; 25 A blocks (sync)
    ///     10-30  B runnable; 30-60 B running; 60 B wakes A and ends
    ///     60-65  A runnable; 65-70 A running; 70 A wakes R and ends
    ///     10-    C blocked (select), woken by nobody, until the window end
    ///     70-72  R runnable; 72-80 R running; 80 R ends
    ///
    /// Back from 80: R running 8, R runnable 2; R's wait was ended by A at 70: A running 5,
    /// runnable 5; A's wait was ended by B at 60: B running 30, runnable 20; B was created by R
    /// at 10: R running 10.
    static func chainScript() -> TraceScript {
        let s = TraceScript(durationNs: 100_000)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.created(0, 1, "GET /chain")
        s.state(0, 1, .running, thread: 1)
        for (id, group) in [(2 as UInt64, "a"), (3, "b"), (4, "idle loop")] {
            s.created(10_000, id, "", group: group, parent: 1)
            s.state(10_000, id, .runnable, waker: 1)
        }
        s.state(10_000, 1, .blocked("chan receive"))
        s.state(10_000, 4, .blocked("select"))
        s.state(20_000, 2, .running, thread: 2)
        s.state(25_000, 2, .blocked("sync"))
        s.state(30_000, 3, .running, thread: 2)
        s.state(60_000, 2, .runnable, waker: 3)
        s.state(60_000, 3, .ended)
        s.state(65_000, 2, .running, thread: 2)
        s.state(70_000, 1, .runnable, waker: 2)
        s.state(70_000, 2, .ended)
        s.state(72_000, 1, .running, thread: 1)
        s.state(80_000, 1, .ended)
        return s
    }

    @Test func theCriticalPathFollowsWakeUpsAndCreationsBackFromTheRequestsEnd() throws {
        let r = try #require(report(Self.chainScript()))
        #expect(r.wallNs == 80_000)
        #expect(r.criticalPath.parts == [
            RequestContributor(group: "b", state: .running, ns: 30_000),
            RequestContributor(group: "b", state: .runnable, ns: 20_000),
            RequestContributor(group: "GET /chain", state: .running, ns: 18_000),
            RequestContributor(group: "a", state: .running, ns: 5_000),
            RequestContributor(group: "a", state: .runnable, ns: 5_000),
            RequestContributor(group: "GET /chain", state: .runnable, ns: 2_000),
        ])
        #expect(r.criticalPath.hops == 3, "R to A, A to B (wake-ups), B to R (creation)")
        #expect(r.criticalPath.tasks == 3)
        #expect(r.criticalPath.totalNs == r.wallNs)
    }

    @Test func anIdleSpawnedTaskThatWokeNobodyIsNotOnThePath() throws {
        let r = try #require(report(Self.chainScript()))
        #expect(r.top.contains { $0.group == "idle loop" }, "the equal-share split does count it")
        #expect(!r.criticalPath.parts.contains { $0.group == "idle loop" })
    }

    @Test func aWaitWithoutAWakerInTheRequestStaysOnThePathAsItsReason() throws {
        // R blocks three times: woken by nobody known (I/O), by a task outside the request, and
        // from a sleep by a member that ran the timer (a sleep's wake-up is a timer's).
        let s = TraceScript(durationNs: 1_000)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.created(0, 9, "outsider", group: "other")
        s.state(0, 9, .running, thread: 3)
        s.created(0, 1, "GET /x")
        s.state(0, 1, .running, thread: 1)
        s.created(0, 2, "", group: "helper", parent: 1)
        s.state(0, 2, .running, thread: 2)
        s.state(100, 1, .blocked("network"))
        s.state(200, 1, .runnable)
        s.state(200, 1, .running, thread: 1)
        s.state(300, 1, .blocked("db query"))
        s.state(400, 1, .runnable, waker: 9)
        s.state(400, 1, .running, thread: 1)
        s.state(500, 1, .blocked("sleep"))
        s.state(600, 1, .runnable, waker: 2)
        s.state(600, 1, .running, thread: 1)
        s.state(700, 1, .runnable, waker: 1)  // a yield: runnable, not blocked, the task itself
        s.state(700, 2, .ended)
        s.state(800, 1, .ended)
        let r = try #require(report(s))
        #expect(r.criticalPath.parts == [
            RequestContributor(group: "GET /x", state: .running, ns: 400),
            RequestContributor(group: "GET /x", state: .blocked(reason: "db query"), ns: 100),
            RequestContributor(group: "GET /x", state: .blocked(reason: "network"), ns: 100),
            RequestContributor(group: "GET /x", state: .blocked(reason: "sleep"), ns: 100),
            RequestContributor(group: "GET /x", state: .runnable, ns: 100),
        ])
        #expect(r.criticalPath.hops == 0 && r.criticalPath.tasks == 1)
    }

    @Test func aLogicalRequestsPathFollowsTheTaskServingItAndItsWakeUps() throws {
        let r = try #require(report(Self.logicalRequestScript(wokenByK: true)))
        #expect(r.criticalPath.parts == [
            RequestContributor(group: "GET /order", state: .running, ns: 20_000),
            RequestContributor(group: "stock", state: .running, ns: 10_000),
        ])
        #expect(r.criticalPath.hops == 2, "to K by its wake-up, back to the request by K's creation")
        // Without the wake-up, the connection task's suspension is on the path.
        let plain = try #require(report(Self.logicalRequestScript()))
        #expect(plain.criticalPath.parts.contains {
            $0.group == "GET /order" && $0.state == .blocked(reason: "suspended") && $0.ns == 10_000
        })
    }

    @Test func aWakeUpByTheGoroutineServingAGoRequestLeadsToTheRequestsTask() throws {
        // G1 begins user task U (`GET /a`) and creates G2 in it. Times in ns:
        //     0-30   G1 running; G2 runs 0-5, then waits (chan receive) for G1
        //     30     G1 sends to G2 (G2 runnable, waker G1) and waits (sync) for G2
        //     30-35  G2 runnable; 35-50 G2 running; 50 G2 wakes G1 and ends
        //     50-60  G1 running; 60 U ends
        let s = TraceScript(durationNs: 100)
        s.metadata = TraceMetadata(format: "go", version: "1.26", startNs: s.startNs, endNs: s.startNs + 100)
        s.created(0, 1, "G1", group: "net/http.(*conn).serve")
        s.state(0, 1, .running, thread: 1)
        s.created(0, Self.user(1), "GET /a", group: "GET /a", parent: 1)
        s.created(0, 2, "G2", group: "main.work", parent: Self.user(1))
        s.state(0, 2, .runnable, waker: 1)
        s.state(0, 2, .running, thread: 2)
        s.state(5, 2, .blocked("chan receive"))
        s.state(30, 2, .runnable, waker: 1)
        s.state(30, 1, .blocked("sync"))
        s.state(35, 2, .running, thread: 2)
        s.state(50, 1, .runnable, waker: 2)
        s.state(50, 2, .ended)
        s.state(50, 1, .running, thread: 1)
        s.state(60, Self.user(1), .ended)
        let r = try #require(report(s))
        #expect(r.criticalPath.parts == [
            RequestContributor(group: "GET /a", state: .running, ns: 40),
            RequestContributor(group: "main.work", state: .running, ns: 15),
            RequestContributor(group: "main.work", state: .runnable, ns: 5),
        ])
        #expect(r.criticalPath.hops == 2, "U to G2 (G2 woke G1), G2 to U (G1, which U follows, woke G2)")
    }

    @Test func anActorWaitContinuesOnTheTaskWhoseReleaseEndedIt() throws {
        // R's children A and B take turns on actor Inventory (A 10-40, B 40-70); R waits for it
        // from 30 and gets it at 75, after B's release at 70 (70-75: waiting for a thread).
        let s = TraceScript(durationNs: 1_000)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.actorCreated(0, 50, "Inventory")
        s.created(0, 1, "GET /order")
        s.state(0, 1, .running, thread: 1)
        s.created(10, 2, "", group: "reserve", parent: 1)
        s.created(10, 3, "", group: "reserve", parent: 1)
        s.acquire(10, 50, task: 2, thread: 2)
        s.enqueue(10, 50, task: 3, reason: "actor Inventory")
        s.enqueue(30, 50, task: 1, reason: "actor Inventory")
        s.release(40, 50, task: 2)
        s.state(40, 2, .ended)
        s.acquire(40, 50, task: 3, thread: 2)
        s.release(70, 50, task: 3)
        s.state(70, 3, .ended)
        s.acquire(75, 50, task: 1, thread: 1)
        s.release(80, 50, task: 1)
        s.state(80, 1, .ended)
        let r = try #require(report(s))
        #expect(r.criticalPath.parts == [
            RequestContributor(group: "reserve", state: .runningOnActor("Inventory"), ns: 60),
            RequestContributor(group: "GET /order", state: .running, ns: 10),
            RequestContributor(group: "GET /order", state: .runningOnActor("Inventory"), ns: 5),
            RequestContributor(group: "GET /order", state: .runnable, ns: 5),
        ])
        #expect(r.criticalPath.hops == 3, "R to B, B to A (releases), A to R (creation)")
    }

    @Test(arguments: 1...30 as ClosedRange<UInt64>)
    func theCriticalPathTilesTheWallTimeExactly(seed: UInt64) throws {
        // Random requests: members created by members, states with wakers anywhere (members,
        // outsiders, the task itself, unknown), equal timestamps, some members left open.
        var rng = SeededRandom(seed: seed)
        let s = TraceScript(durationNs: 100_000)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.created(0, 99, "outsider")
        var t: Int64 = Int64(rng.below(50))
        s.created(t, 1, "GET /random")
        var live: [UInt64] = [1]
        var next: UInt64 = 2
        let reasons = ["sleep", "sync", "network", "actor Inventory"]
        for _ in 0..<300 where live.contains(1) {
            t += Int64(rng.below(3)) * Int64(rng.below(200))
            let task = live[rng.below(live.count)]
            switch rng.below(10) {
            case 0, 1:
                s.created(t, next, "", group: "g\(rng.below(4))", parent: task)
                live.append(next)
                next += 1
            case 2:
                s.state(t, task, .blocked(reasons[rng.below(reasons.count)]))
            case 3, 4:
                let wakers = live + [99, 0, 1234]
                s.state(t, task, .runnable, waker: wakers[rng.below(wakers.count)])
            case 5, 6: s.state(t, task, .running, thread: 1)
            case 7: s.state(t, task, .syscall)
            default:
                if rng.chance(30) {
                    s.state(t, task, .ended)
                    live.removeAll { $0 == task }
                }
            }
        }
        let r = try #require(report(s))
        #expect(r.criticalPath.totalNs == r.wallNs)
        #expect(r.criticalPath.parts.allSatisfy { $0.ns > 0 })
        #expect(report(s) == r, "deterministic")
    }

    @Test func textLeadsWithTheCriticalPathAndJSONAndCSVCarryIt() throws {
        let text = try summary(Self.chainScript(), .text)
        #expect(text.hasPrefix("""
            Slow request: GET /chain (task 1), wall time 80.000µs, 4 tasks
            Critical path: what the request's end waited on, back through wake-ups and creations (3 hops, 3 tasks)
            group       state                     time   share
            b           running               30.000µs   37.5%
            b           waiting for a thread  20.000µs   25.0%
            GET /chain  running               18.000µs   22.5%
            a           running                5.000µs    6.3%
            a           waiting for a thread   5.000µs    6.3%
            GET /chain  waiting for a thread   2.000µs    2.5%
            total                             80.000µs  100.0%

            Where its tasks spent the wall time: each instant shared equally among the request's tasks alive then
            """))
        let json = try summary(Self.chainScript(), .json)
        let root = try #require(try checkSchema(json, "summary.schema.json") as? [String: Any])
        let path = try #require((root["request"] as? [String: Any])?["criticalPath"] as? [String: Any])
        #expect(path["hops"] as? Int == 3 && path["tasks"] as? Int == 3)
        let parts = try #require(path["parts"] as? [[String: Any]])
        #expect(parts.count == 6 && parts.compactMap { $0["ns"] as? Int }.reduce(0, +) == 80_000)
        #expect(parts[0]["group"] as? String == "b" && parts[0]["state"] as? String == "running")
        let rows = try summary(Self.chainScript(), .csv).split(separator: "\n").map(String.init)
        let pathRows = rows.filter { $0.hasPrefix("request critical path,") }
        #expect(pathRows.count == 6)
        #expect(pathRows.first == "request critical path,,b,b,,,,30000,,,,30000,,,,,,")
    }

    @Test func jsonNamesTheActorAPathPartRanOn() throws {
        let s = TraceScript(durationNs: 100)
        s.metadata.triggerFields = [KeyValue("task", "1")]
        s.actorCreated(0, 50, "Inventory")
        s.created(0, 1, "GET /order")
        s.acquire(0, 50, task: 1, thread: 1)
        s.release(10, 50, task: 1)
        s.state(10, 1, .ended)
        let json = try summary(s, .json)
        let root = try #require(try checkSchema(json, "summary.schema.json") as? [String: Any])
        let path = try #require((root["request"] as? [String: Any])?["criticalPath"] as? [String: Any])
        let parts = try #require(path["parts"] as? [[String: Any]])
        #expect(parts.count == 1 && parts[0]["state"] as? String == "running" && parts[0]["actor"] as? String == "Inventory")
        #expect(try summary(s, .text).contains("GET /order  running on actor Inventory  10ns  100.0%"))
    }

    @Test func goRequestServerFixturesPathIsThePricingGoroutinesWaitingForAThread() throws {
        let path = PackageFiles.root.appendingPathComponent("Fixtures/go/requestserver/trace.1.out").path
        var reader = try TraceInput.open(path: path)
        let metadata = reader.metadata
        let found = RequestBreakdown(metadata: metadata)
        var breakdown = try #require(found)
        while let event = try reader.next() { breakdown.consume(event, tables: reader.tables) }
        let summary = breakdown.finish(endNs: reader.metadata.endNs, tables: reader.tables)
        let r = try #require(summary)
        #expect(r.name == "GET /orders/{id}")
        let largest = try #require(r.criticalPath.parts.first)
        #expect(largest.group == "main.(*app).priceItems.func1" && largest.state == .runnable)
        #expect(largest.ns * 2 > r.wallNs, "more than half of the wall time")
        // The handler's other three waits: the backend's answer, the ledger's holder, its sleep.
        let groups = r.criticalPath.parts.map { "\($0.group) \($0.state.label)" }
        #expect(groups.contains("net/http.(*persistConn).readLoop blocked: network"))
        #expect(groups.contains("main.(*app).recordInLedger.func1 blocked: sleep"))
        #expect(groups.contains("GET /orders/{id} blocked: sleep"))
        #expect(!r.criticalPath.parts.contains { $0.group == "net/http.(*persistConn).writeLoop" },
                "the keep-alive writer idled: it delayed nothing")
        #expect(r.criticalPath.totalNs == r.wallNs)
    }
}
