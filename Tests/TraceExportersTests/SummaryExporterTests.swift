// Specification of the summary: per task, per group and per region time, and its renderings.

import Foundation
import SyntheticTraces
import Testing
@testable import TraceExporters
import TraceModel

@Suite struct SummaryExporterTests {
    func report(_ s: TraceScript) -> SummaryReport {
        var accumulator = SummaryAccumulator(startNs: s.metadata.startNs)
        for event in s.events { accumulator.consume(event) }
        return accumulator.finish(endNs: s.metadata.endNs, tables: s.tables)
    }

    func json(_ s: TraceScript, sort: SummaryOptions.SortKey = .total) throws -> [String: Any] {
        let text = try export(SummaryExporter(options: SummaryOptions(format: .json, sort: sort)), s)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// One request: 2 ms running, 10 ms sleeping, 1 ms waiting for a thread, 0.5 ms in a syscall.
    func request(_ s: TraceScript, id: UInt64, at t0: Int64, group: String = "GET /ping") {
        s.created(t0, id, "handler \(id)", group: group)
        s.state(t0, id, .running, thread: 1)
        s.regionBegin(t0, task: id, "handle")
        s.state(t0 + 2_000_000, id, .blocked("sleep"))
        s.state(t0 + 12_000_000, id, .runnable)
        s.state(t0 + 13_000_000, id, .syscall)
        s.regionEnd(t0 + 13_250_000, task: id, "handle")
        s.state(t0 + 13_500_000, id, .ended)
    }

    @Test func taskTimeSplitsIntoExecWaitBlockedAndSyscallSummingToTotal() {
        let s = TraceScript(durationNs: 100_000_000)
        request(s, id: 1, at: 1_000)
        let task = report(s).tasks[0]
        #expect(task.times.execNs == 2_000_000)
        #expect(task.times.schedWaitNs == 1_000_000)
        #expect(task.times.blockedNs == [BlockedTime(reason: "sleep", ns: 10_000_000)])
        #expect(task.times.syscallNs == 500_000)
        #expect(task.times.totalNs == 13_500_000)
        #expect(task.startNs == s.startNs + 1_000 && task.endNs == s.startNs + 13_501_000)
    }

    @Test func tasksStillAliveAreClosedAtTheWindowEnd() {
        let s = TraceScript(durationNs: 5_000)
        s.created(0, 1, "t")
        s.state(1_000, 1, .blocked("io"))
        let task = report(s).tasks[0]
        #expect(task.times.totalNs == 4_000)
        #expect(task.endNs == s.metadata.endNs)
    }

    @Test func groupsSumTheirTasksAndFallBackToTheName() {
        let s = TraceScript(durationNs: 100_000_000)
        request(s, id: 1, at: 0)
        request(s, id: 2, at: 20_000_000)
        s.created(0, 3, "background")
        s.state(0, 3, .running, thread: 2)
        s.state(50, 3, .ended)
        var r = report(s)
        r.sort(by: .total)
        #expect(r.groups.map(\.name) == ["GET /ping", "background"])
        #expect(r.groups[0].count == 2)
        #expect(r.groups[0].times.execNs == 4_000_000)
        #expect(r.groups[0].times.blockedNs == [BlockedTime(reason: "sleep", ns: 20_000_000)])
        #expect(r.groups[1].times.totalNs == 50)
    }

    @Test func regionSplitCountsOnlyTimeInsideTheRegion() {
        let s = TraceScript(durationNs: 100_000_000)
        request(s, id: 1, at: 0)
        let region = report(s).regions[0]
        #expect(region.name == "handle" && region.count == 1)
        #expect(region.totalNs == 13_250_000)
        #expect(region.execNs == 2_000_000)
        #expect(region.blockedNs == 10_000_000)
        #expect(region.schedWaitNs == 1_000_000)
        #expect(region.syscallNs == 250_000)
        #expect(region.execNs + region.schedWaitNs + region.blockedNs + region.syscallNs == region.totalNs)
    }

    @Test func regionPercentilesFollowTheDurations() {
        let s = TraceScript(durationNs: 10_000_000_000)
        // 100 regions lasting 1..100 µs.
        for i in 1...100 {
            let t = Int64(i) * 1_000_000
            s.created(t, UInt64(i), "t")
            s.state(t, UInt64(i), .running, thread: 1)
            s.regionBegin(t, task: UInt64(i), "work")
            s.regionEnd(t + Int64(i) * 1_000, task: UInt64(i), "work")
            s.state(t + 200_000, UInt64(i), .ended)
        }
        let region = report(s).regions[0]
        #expect(region.count == 100)
        #expect(region.totalNs == 5_050_000)
        #expect(region.meanNs == 50_500)
        #expect(abs(region.p50Ns - 50_000) <= 50_000 / 64)
        #expect(abs(region.p99Ns - 99_000) <= 99_000 / 64)
        #expect(region.execNs == region.totalNs)
    }

    @Test func threadRegionsCountWithoutASplit() {
        let s = TraceScript(durationNs: 10_000)
        s.regionBegin(0, task: 0, thread: 3, "gc")
        s.regionEnd(4_000, task: 0, thread: 3, "gc")
        s.regionBegin(5_000, task: 0, thread: 3, "gc")
        let region = report(s).regions[0]
        #expect(region.count == 2 && region.totalNs == 9_000)
        #expect(region.execNs == 0 && region.blockedNs == 0)
    }

    @Test func jsonHasExactlyTheSpecifiedShape() throws {
        let s = TraceScript(durationNs: 100_000_000)
        request(s, id: 1, at: 0)
        let root = try json(s)
        #expect(Set(root.keys) == ["tasks", "groups", "regions"])
        let task = try #require((root["tasks"] as? [[String: Any]])?.first)
        #expect(Set(task.keys) == ["id", "name", "group", "startNs", "endNs", "execNs", "schedWaitNs", "blockedNs",
                                   "syscallNs", "totalNs"])
        #expect((task["blockedNs"] as? [String: Int])?["sleep"] == 10_000_000)
        let group = try #require((root["groups"] as? [[String: Any]])?.first)
        #expect(Set(group.keys) == ["name", "count", "execNs", "schedWaitNs", "blockedNs", "syscallNs", "totalNs"])
        let region = try #require((root["regions"] as? [[String: Any]])?.first)
        #expect(Set(region.keys) == ["name", "count", "totalNs", "meanNs", "p50Ns", "p99Ns", "execNs", "schedWaitNs",
                                     "blockedNs", "syscallNs"])
    }

    @Test func sortOrdersByTheChosenTimeThenById() throws {
        let s = TraceScript(durationNs: 1_000)
        s.created(0, 1, "exec-heavy")
        s.state(0, 1, .running, thread: 1)
        s.state(600, 1, .runnable)
        s.state(700, 1, .ended)
        s.created(0, 2, "wait-heavy")
        s.state(0, 2, .runnable)
        s.state(500, 2, .blocked("x"))
        s.state(900, 2, .ended)
        s.created(0, 3, "same-as-2")
        s.state(0, 3, .runnable)
        s.state(500, 3, .blocked("x"))
        s.state(900, 3, .ended)
        func ids(_ key: SummaryOptions.SortKey) throws -> [Int] {
            try (json(s, sort: key)["tasks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        }
        #expect(try ids(.exec) == [1, 2, 3])
        #expect(try ids(.wait) == [2, 3, 1])
        #expect(try ids(.blocked) == [2, 3, 1])
        #expect(try ids(.total) == [2, 3, 1])
    }

    @Test func csvQuotesFieldsAndHasAColumnPerReason() throws {
        let s = TraceScript(durationNs: 1_000)
        s.created(0, 1, "a, \"b\"")
        s.state(0, 1, .blocked("sleep"))
        s.state(100, 1, .blocked("chan receive"))
        let text = try export(SummaryExporter(options: SummaryOptions(format: .csv)), s)
        let rows = text.split(separator: "\n").map(String.init)
        #expect(rows[0] == "kind,id,name,group,count,startNs,endNs,execNs,schedWaitNs,blockedNs,syscallNs,totalNs,meanNs,p50Ns,p99Ns,blocked:chan receive,blocked:sleep")
        #expect(rows[1] == "task,1,\"a, \"\"b\"\"\",\"a, \"\"b\"\"\",,\(s.startNs),\(s.metadata.endNs),0,0,1000,0,1000,,,,900,100")
        #expect(rows[2].hasPrefix("group,,"))
    }

    @Test func textIsAnAlignedTable() throws {
        let s = TraceScript(durationNs: 100_000_000)
        request(s, id: 1, at: 0)
        request(s, id: 22, at: 0, group: "POST /long-name")
        let text = try export(SummaryExporter(), s)
        #expect(!text.split(separator: "\n").contains { $0.hasSuffix(" ") })
        let taskLines = text.components(separatedBy: "\nTasks\n")[1].components(separatedBy: "\n\n")[0]
            .split(separator: "\n").map(String.init)
        #expect(taskLines.count == 3)
        // Right-aligned numbers end in the same column.
        var columns: [Int] = []
        for line in taskLines {
            let end = line.range(of: "exec")?.upperBound ?? line.range(of: "2.000ms")?.upperBound
            if let end { columns.append(line.distance(from: line.startIndex, to: end)) }
        }
        #expect(columns.count == 3 && Set(columns).count == 1)
        #expect(text.contains("sleep 10.000ms"))
    }

    @Test(arguments: 1...6)
    func randomTracesKeepEveryTotalTheSumOfItsParts(seed: UInt64) {
        let s = RandomTrace(seed: seed).script(events: 1_500)
        let r = report(s)
        for task in r.tasks {
            #expect(task.startNs <= task.endNs)
            #expect(task.times.totalNs <= task.endNs - task.startNs)
        }
        var fromTasks = StateTotals()
        for group in r.groups {
            fromTasks.execNs += group.times.execNs
            fromTasks.syscallNs += group.times.syscallNs
        }
        #expect(fromTasks.execNs == r.totals.execNs && fromTasks.syscallNs == r.totals.syscallNs)
        #expect(r.groups.reduce(0) { $0 + $1.count } == r.tasks.count)
        for region in r.regions {
            #expect(region.execNs + region.schedWaitNs + region.blockedNs + region.syscallNs <= region.totalNs)
            #expect(region.p50Ns <= region.p99Ns)
        }
    }
}

@Suite struct LogLinearHistogramTests {
    @Test func smallValuesAreExact() {
        var h = LogLinearHistogram()
        for v in [3, 3, 7, 31] as [Int64] { h.record(v) }
        #expect(h.quantile(0.5) == 3)
        #expect(h.quantile(0.75) == 7)
        #expect(h.quantile(1) == 31)
    }

    @Test func quantilesStayWithinTheRelativeErrorBound() {
        var rng = SeededRandom(seed: 99)
        var values: [Int64] = []
        var h = LogLinearHistogram()
        for _ in 0..<5_000 {
            let v = Int64(rng.next() >> UInt64(rng.below(60) + 4))
            values.append(v)
            h.record(v)
        }
        values.sort()
        for q in [0.01, 0.25, 0.5, 0.9, 0.99, 1.0] {
            let exact = values[max(0, Int((q * Double(values.count)).rounded(.up)) - 1)]
            let got = h.quantile(q)
            #expect(abs(Double(got - exact)) <= Double(exact) / 64 + 1, "q \(q): \(got) vs \(exact)")
        }
    }

    @Test func extremesAndEmptiness() {
        var h = LogLinearHistogram()
        #expect(h.quantile(0.5) == 0)
        h.record(.max)
        h.record(-5)
        #expect(h.quantile(1) == .max)
        #expect(h.quantile(0.5) == 0)
    }
}

@Suite struct TopTasksTests {
    @Test(arguments: [0, 1, 7, 100, 5_000])
    func keepsExactlyTheFirstRowsOfTheFullOrder(limit: Int) {
        var rng = SeededRandom(seed: UInt64(limit) + 1)
        var top = TopTasks<(Int64, UInt64)>(limit: limit) { $0 }
        var all: [(Int64, UInt64)] = []
        for id in 1...2_000 as ClosedRange<UInt64> {
            let row = (Int64(rng.below(50)), id)
            all.append(row)
            top.offer(row)
        }
        let sorted = all.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        let kept = top.kept.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        let expected = limit == 0 ? sorted : Array(sorted.prefix(limit))
        #expect(kept.map(\.1) == expected.map(\.1))
        #expect(top.offered == 2_000)
    }

    @Test func summaryListsTheLargestTasksButGroupsCountThemAll() throws {
        let s = TraceScript(durationNs: 1_000_000)
        for id in 1...50 as ClosedRange<UInt64> {
            s.created(0, id, "t\(id)", group: "g")
            s.state(0, id, .running, thread: 1)
            s.state(Int64(id) * 100, id, .ended)
        }
        let text = try export(SummaryExporter(options: SummaryOptions(format: .json, sort: .exec, maxTasks: 3)), s)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((root["tasks"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [50, 49, 48])
        #expect((root["groups"] as? [[String: Any]])?.first?["count"] as? Int == 50)
        #expect((root["groups"] as? [[String: Any]])?.first?["execNs"] as? Int == (1...50).reduce(0, +) * 100)
    }
}
