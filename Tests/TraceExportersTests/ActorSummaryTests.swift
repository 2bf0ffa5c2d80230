// Specification of the summary's actors table (ActorStatistics and its three renderings),
// driven by ActorContention and small hand-built scripts.

import Foundation
import Testing
@testable import TraceExporters
import TraceModel

@Suite struct ActorSummaryTests {
    func actors(_ s: TraceScript) -> [ActorSummary] {
        var accumulator = SummaryAccumulator(startNs: s.metadata.startNs)
        for event in s.events { accumulator.consume(event) }
        var report = accumulator.finish(endNs: s.metadata.endNs, tables: s.tables)
        report.sort(by: .total)
        return report.actors
    }

    func summary(_ s: TraceScript, _ format: SummaryOptions.Format) throws -> String {
        try export(SummaryExporter(options: SummaryOptions(format: format)), s)
    }

    @Test func contendedActorCountsHopsWaitsHoldsAndItsLongestQueue() {
        let rows = actors(ActorContention.script())
        #expect(rows.map(\.name) == ["Inventory", "Inventory #2"])
        #expect(rows[0] == ActorSummary(name: "Inventory", hops: 3, waitedTasks: 2, waitNs: 8_000, p99WaitNs: 5_000,
                                        heldNs: 8_000, longestQueue: 2))
    }

    @Test func hopOntoAFreeActorWaitsZeroAndInstancesOfOneTypeAreSeparateRows() {
        let rows = actors(ActorContention.script())
        #expect(rows[1] == ActorSummary(name: "Inventory #2", hops: 1, waitedTasks: 0, waitNs: 0, p99WaitNs: 0,
                                        heldNs: 500, longestQueue: 0))
    }

    @Test func rowsAreSortedByTotalWaitWhateverTheSortKey() throws {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "a")
        s.created(0, 2, "b")
        s.actorCreated(0, 1, "Zebra")
        s.actorCreated(0, 2, "Aardvark")
        s.acquire(0, 1, task: 1, thread: 1)
        s.enqueue(0, 1, task: 2, reason: "actor Zebra")
        s.release(1_000, 1, task: 1)
        s.acquire(1_000, 1, task: 2, thread: 2)
        s.acquired(2_000, 2, task: 2, thread: 2)
        let text = try export(SummaryExporter(options: SummaryOptions(format: .json, sort: .exec)), s)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect((root["actors"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Zebra", "Aardvark"])
    }

    @Test func holdsAndWaitsStillOpenCountUntilTheWindowEnd() {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "holder")
        s.created(0, 2, "waiter")
        s.actorCreated(0, 7, "Cache")
        s.acquire(1_000, 7, task: 1, thread: 1)
        s.enqueue(4_000, 7, task: 2, reason: "actor Cache")
        let row = actors(s)[0]
        #expect(row == ActorSummary(name: "Cache", hops: 1, waitedTasks: 1, waitNs: 6_000, p99WaitNs: 6_000,
                                    heldNs: 9_000, longestQueue: 1))
    }

    @Test func aWaitEndsWhenItsTaskEndsWithoutAcquiring() {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "holder")
        s.created(0, 2, "cancelled")
        s.actorCreated(0, 7, "Cache")
        s.acquire(0, 7, task: 1, thread: 1)
        s.enqueue(1_000, 7, task: 2, reason: "actor Cache")
        s.state(1_500, 2, .runnable)  // runnable and running precede an acquisition: still queued
        s.state(2_500, 2, .ended)
        s.release(3_000, 7, task: 1)
        let row = actors(s)[0]
        #expect(row.hops == 1 && row.waitNs == 1_500 && row.waitedTasks == 1 && row.heldNs == 3_000)
    }

    @Test func aTaskWaitingAgainCountsOnceAmongTheTasksThatWaited() {
        let s = TraceScript(durationNs: 10_000)
        s.created(0, 1, "holder")
        s.created(0, 2, "twice")
        s.actorCreated(0, 7, "Cache")
        for round in 0..<2 as Range<Int64> {
            let t0 = round * 4_000
            s.acquire(t0, 7, task: 1, thread: 1)
            s.enqueue(t0 + 100, 7, task: 2, reason: "actor Cache")
            s.release(t0 + 1_000, 7, task: 1)
            s.acquire(t0 + 1_000, 7, task: 2, thread: 2)
            s.release(t0 + 2_000, 7, task: 2)
            s.state(t0 + 2_000, 1, .blocked("sleep"))
        }
        let row = actors(s)[0]
        #expect(row.hops == 4 && row.waitedTasks == 1 && row.waitNs == 1_800 && row.longestQueue == 1)
    }

    @Test func jsonAddsAnActorsArrayWithTheKeysTheSchemaRequires() throws {
        let text = try summary(ActorContention.script(), .json)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(root.keys) == ["tasks", "groups", "regions", "actors"])
        let rows = try #require(root["actors"] as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows[0]["name"] as? String == "Inventory" && rows[0]["hops"] as? Int == 3
                && rows[0]["waitedTasks"] as? Int == 2 && rows[0]["waitNs"] as? Int == 8_000
                && rows[0]["p99WaitNs"] as? Int == 5_000 && rows[0]["heldNs"] as? Int == 8_000
                && rows[0]["longestQueue"] as? Int == 2)

        // The schema (strict: additionalProperties false) names exactly these keys, all required.
        let schemaURL = PackageFiles.root.appendingPathComponent("Schemas/summary.schema.json")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let properties = try #require(schema["properties"] as? [String: Any])
        #expect(properties["actors"] != nil)
        #expect(!((schema["required"] as? [String]) ?? []).contains("actors"), "absent from traces without actors")
        let actor = try #require((schema["$defs"] as? [String: Any])?["actor"] as? [String: Any])
        #expect(actor["additionalProperties"] as? Bool == false)
        #expect(Set(actor["required"] as? [String] ?? []) == Set(rows[0].keys))
        #expect(Set((actor["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == Set(rows[0].keys))
    }

    @Test func traceWithoutActorsHasNoActorsAnywhere() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(summary(s, .json).utf8)) as? [String: Any])
        #expect(root["actors"] == nil)
        #expect(!(try summary(s, .text)).contains("Actors"))
        #expect(!(try summary(s, .csv)).contains("waitNs"))
    }

    @Test func csvHasActorRowsAndActorColumns() throws {
        let rows = try summary(ActorContention.script(), .csv).split(separator: "\n").map(String.init)
        #expect(rows[0] == "kind,id,name,group,count,startNs,endNs,execNs,schedWaitNs,blockedNs,syscallNs,totalNs,"
                + "meanNs,p50Ns,p99Ns,waitedTasks,waitNs,p99WaitNs,heldNs,longestQueue,blocked:actor Inventory")
        // kind, id, name, group, count (hops), ten blank columns of the other kinds, the actor
        // columns, and a blank blocked:<reason> column.
        let expected: [String] = ["actor,,Inventory,,3,,,,,,,,,,,2,8000,5000,8000,2,",
                                  "actor,,Inventory #2,,1,,,,,,,,,,,0,0,0,500,0,"]
        #expect(Array(rows.suffix(2)) == expected)
        // Every row has the header's number of cells.
        #expect(Set(rows.map { $0.split(separator: ",", omittingEmptySubsequences: false).count }).count == 1)
    }

    @Test func textShowsAnActorsTable() throws {
        let text = try summary(ActorContention.script(), .text)
        let table = try #require(text.components(separatedBy: "\nActors (by total wait)\n").last)
        #expect(table == """
            actor         hops  tasks waited     wait  p99 wait     held  longest queue
            Inventory        3             2  8.000µs   5.000µs  8.000µs              2
            Inventory #2     1             0        0         0    500ns              0

            """)
    }

    @Test(arguments: 1...6)
    func randomActorTracesKeepEveryFigureConsistent(seed: UInt64) {
        let s = RandomTrace(seed: seed).script(events: 1_500, actors: true)
        let rows = actors(s)
        #expect(!rows.isEmpty)
        let window = s.metadata.endNs - s.metadata.startNs
        for row in rows {
            #expect(row.waitNs >= 0 && row.p99WaitNs >= 0 && row.p99WaitNs <= row.waitNs)
            #expect(row.heldNs >= 0 && row.heldNs <= window, "holds of one actor never overlap")
            #expect(row.waitedTasks >= 0 && row.longestQueue >= 0 && row.hops >= 0)
            #expect(row.waitedTasks == 0 || row.waitNs > 0)
        }
        #expect(rows.map(\.waitNs) == rows.map(\.waitNs).sorted(by: >))
    }
}
