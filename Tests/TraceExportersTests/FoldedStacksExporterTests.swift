// Specification of the folded stacks exporter and its frame escaping.

import Testing
@testable import TraceExporters
import TraceModel

@Suite struct FoldedStacksExporterTests {
    func folded(_ script: TraceScript, _ options: FoldedOptions = FoldedOptions()) throws -> [FoldedLine] {
        checkFolded(try export(FoldedStacksExporter(options: options), script))
    }

    func lines(_ folded: [FoldedLine]) -> [String] {
        folded.map { $0.frames.joined(separator: ";") + " \($0.weight)" }
    }

    @Test func frameEscapingRemovesSeparatorsNewlinesAndTrailingNumbers() {
        #expect(FoldedFrameEscaping.escape("a;b") == "a:b")
        #expect(FoldedFrameEscaping.escape("line\nbreak\r\tx") == "line break  x")
        #expect(FoldedFrameEscaping.escape("worker 3") == "worker_3")
        #expect(FoldedFrameEscaping.escape("load 1.5") == "load_1.5")
        #expect(FoldedFrameEscaping.escape("ends in newline 12\n") == "ends in newline 12 ")
        #expect(FoldedFrameEscaping.escape("x\n42") == "x_42")
        #expect(FoldedFrameEscaping.escape("v2") == "v2")
        #expect(FoldedFrameEscaping.escape("123") == "123")
        #expect(FoldedFrameEscaping.escape("") == "?")
        #expect(FoldedFrameEscaping.escape("é;✓ 7") == "é:✓_7")
    }

    @Test func stateAllGivesEachStateItsOwnLeafUnderGroupAndRegions() throws {
        let s = TraceScript()
        s.created(0, 1, "ping", group: "GET /ping")
        s.state(0, 1, .running, thread: 1)
        s.regionBegin(100, task: 1, "handle")
        s.state(300, 1, .blocked("sleep"))
        s.state(1_300, 1, .runnable)
        s.regionEnd(1_400, task: 1, "handle")
        s.state(1_500, 1, .syscall)
        s.state(1_600, 1, .ended)
        s.created(0, 2, "unnamed-group")
        s.state(0, 2, .blocked("chan; receive"))
        let result = lines(try folded(s))
        #expect(result == [
            "GET /ping;[runnable] 100",
            "GET /ping;[running] 100",
            "GET /ping;[syscall] 100",
            "GET /ping;handle;[blocked: sleep] 1000",
            "GET /ping;handle;[runnable] 100",
            "GET /ping;handle;[running] 200",
            "unnamed-group;[blocked: chan: receive] 1000000",
        ])
    }

    @Test func singleStateKeepsOnlyThatTimeAndMicrosecondsRound() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        s.state(1_499, 1, .blocked("sleep"))
        s.state(2_000, 1, .running, thread: 1)
        s.state(2_400, 1, .ended)
        #expect(lines(try folded(s, FoldedOptions(state: .running))) == ["t 1899"])
        #expect(lines(try folded(s, FoldedOptions(state: .running, unit: .us))) == ["t 2"])
        #expect(lines(try folded(s, FoldedOptions(state: .blocked))) == ["t;[blocked: sleep] 501"])
        #expect(lines(try folded(s, FoldedOptions(state: .syscall))) == [])
    }

    @Test func capturedStacksReplaceTheRegionPath() throws {
        let s = TraceScript()
        s.created(0, 1, "t", group: "g")
        s.regionBegin(0, task: 1, "region")
        s.state(0, 1, .blocked("sleep"), stack: ["main", "handler", "Task.sleep"])
        s.state(10, 1, .running, thread: 1)
        s.state(30, 1, .ended)
        #expect(lines(try folded(s)) == ["g;main;handler;Task.sleep;[blocked: sleep] 10", "g;region;[running] 20"])
    }

    @Test func aFrameNamingTheGroupIsNotRepeatedUnderIt() throws {
        let s = TraceScript()
        // A request task named after its route, in a region of the same name.
        s.created(0, 1, "GET /ping")
        s.state(0, 1, .running, thread: 1)
        s.regionBegin(0, task: 1, "GET /ping")
        s.regionBegin(10, task: 1, "doBlockingWork")
        s.state(20, 1, .blocked("sleep"))
        s.regionEnd(30, task: 1, "doBlockingWork")
        s.regionEnd(30, task: 1, "GET /ping")
        s.state(30, 1, .ended)
        // A goroutine grouped by its root function, whose stacks start there; deeper
        // repetitions (recursion) are real frames and stay.
        s.created(0, 2, "g2", group: "main.main")
        s.state(0, 2, .blocked("chan receive"), stack: ["main.main", "main.main", "runtime.chanrecv1"])
        s.state(40, 2, .ended)
        #expect(lines(try folded(s)) == [
            "GET /ping;[running] 10",
            "GET /ping;doBlockingWork;[blocked: sleep] 10",
            "GET /ping;doBlockingWork;[running] 10",
            "main.main;main.main;runtime.chanrecv1;[blocked: chan receive] 40",
        ])
    }

    @Test func hostileNamesCannotBreakTheFormat() throws {
        let s = TraceScript()
        s.created(0, 1, "name", group: "group;with;semicolons 12")
        s.regionBegin(0, task: 1, "multi\nline 3")
        s.state(0, 1, .blocked("retry 5"))
        let result = lines(try folded(s))
        #expect(result == ["group:with:semicolons_12;multi line_3;[blocked: retry_5] 1000000"])
    }

    @Test(arguments: 1...10)
    func weightsPerStateAddUpToTheSummaryTotals(seed: UInt64) throws {
        let s = RandomTrace(seed: seed).script(events: 1_500)
        var accumulator = SummaryAccumulator(startNs: s.metadata.startNs)
        for event in s.events { accumulator.consume(event) }
        let totals = accumulator.finish(endNs: s.metadata.endNs, tables: s.tables).totals

        let byLeaf = foldedWeightsByLeaf(try folded(s))
        #expect(byLeaf["[running]", default: 0] == totals.execNs)
        #expect(byLeaf["[runnable]", default: 0] == totals.schedWaitNs)
        #expect(byLeaf["[syscall]", default: 0] == totals.syscallNs)
        let blocked = byLeaf.filter { $0.key.hasPrefix("[blocked") }.values.reduce(0, +)
        #expect(blocked == totals.blockedTotalNs)
        for state in [FoldedOptions.StateFilter.running, .runnable, .syscall, .blocked] {
            let sum = try folded(s, FoldedOptions(state: state)).reduce(0) { $0 + $1.weight }
            let expected = switch state {
            case .running: totals.execNs
            case .runnable: totals.schedWaitNs
            case .syscall: totals.syscallNs
            default: totals.blockedTotalNs
            }
            #expect(sum == expected, "state \(state)")
        }
    }
}

@Suite struct FoldedActorWaitTests {
    @Test func waitingForAnActorIsABlockedLeafNamingTheActor() throws {
        let lines = checkFolded(try export(FoldedStacksExporter(), ActorContention.script()))
        let text = lines.map { $0.frames.joined(separator: ";") + " \($0.weight)" }
        // ("buyer 2" ends in a number flamegraph.pl would read as a weight: escaped to "buyer_2".)
        #expect(text.contains("buyer_2;[blocked: actor Inventory] 3000"))
        #expect(text.contains("(unnamed);[blocked: actor Inventory] 5000"))
        let blocked = try export(FoldedStacksExporter(options: FoldedOptions(state: .blocked)), ActorContention.script())
        #expect(blocked == "(unnamed);[blocked: actor Inventory] 5000\nbuyer_2;[blocked: actor Inventory] 3000\n")
    }
}
