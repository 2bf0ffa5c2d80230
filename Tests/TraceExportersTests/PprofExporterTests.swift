// Specification of the pprof exporter: what `go tool pprof` gets from a trace.

import Testing
@testable import TraceExporters
import TraceModel

/// Runs an exporter over a reader and returns its output bytes.
func exportBytes<R: TraceReader, E: TraceExporter>(_ exporter: E, _ reader: R) throws -> [UInt8] {
    var exporter = exporter
    var reader = reader
    var output = OutputBuffer()
    try exporter.run(&reader, output: &output)
    return output.bytes
}

@Suite struct PprofExporterTests {
    func profile(_ script: TraceScript, _ options: PprofOptions = PprofOptions()) throws -> DecodedProfile {
        try DecodedProfile(gzipped: try exportBytes(PprofExporter(options: options), script.reader()))
    }

    @Test func sampleTypesAreTheFourStatesInNanosecondsExecutionFirst() throws {
        let s = TraceScript()
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        s.state(10, 1, .ended)
        let p = try profile(s)
        #expect(p.sampleTypes.map(\.type) == ["execution", "scheduling_wait", "blocked", "syscall"])
        #expect(p.sampleTypes.allSatisfy { $0.unit == "nanoseconds" })
        #expect(p.defaultSampleType == "execution")
        #expect(p.durationNanos == 1_000_000)
    }

    @Test func aStackSharesOneSampleAcrossStatesAndBlockedTimeSitsUnderItsReason() throws {
        let s = TraceScript()
        s.created(0, 1, "ping", group: "GET /ping")
        s.state(0, 1, .running, thread: 1)
        s.regionBegin(0, task: 1, "handle")
        s.state(100, 1, .runnable)
        s.state(150, 1, .running, thread: 1)
        s.state(300, 1, .blocked("db query"))
        s.state(1_300, 1, .syscall)
        s.state(1_400, 1, .ended)
        let p = try profile(s)
        #expect(p.listing == """
            sample types: execution/nanoseconds scheduling_wait/nanoseconds blocked/nanoseconds syscall/nanoseconds (default execution)
            duration: 1000000 ns
            250 50 0 100 | GET /ping; handle | task_group=GET /ping
            0 0 1000 0 | GET /ping; handle; [blocked: db query] | blocked_reason=db query task_group=GET /ping

            """)
    }

    @Test func realFramesKeepFunctionFileAndLineAndTheGroupFrameIsNotRepeated() throws {
        let tables = TraceTables()
        let main = StackFrame(function: tables.intern("main.main"), file: tables.intern("/src/main.go"), line: 12)
        let serve = StackFrame(function: tables.intern("main.serve"), file: tables.intern("/src/main.go"), line: 40)
        let recv = StackFrame(function: tables.intern("runtime.chanrecv1"), file: tables.intern("/go/src/runtime/chan.go"), line: 442)
        let stack = tables.intern(stack: [recv, serve, main])
        var metadata = TraceMetadata(format: "go", version: "1.25", startNs: 0, endNs: 1_000)
        metadata.executable = "server"
        let events = [
            TraceEvent(timeNs: 0, .taskCreated(TaskID(1), parent: .none, name: .empty, group: tables.intern("main.main"), stack: .none)),
            TraceEvent(timeNs: 0, .taskState(TaskID(1), .blocked(reason: tables.intern("chan receive")), thread: .none,
                                             waker: .none, stack: stack)),
            TraceEvent(timeNs: 600, .taskState(TaskID(1), .ended, thread: .none, waker: .none, stack: .none)),
        ]
        let bytes = try exportBytes(PprofExporter(options: PprofOptions(state: .blocked)),
                                    ScriptedReader(metadata: metadata, tables: tables, events: events))
        let p = try DecodedProfile(gzipped: bytes)
        #expect(p.sampleTypes.map(\.type) == ["blocked"])
        #expect(p.listing.hasSuffix("""
            600 | main.main; main.serve (/src/main.go:40); runtime.chanrecv1 (/go/src/runtime/chan.go:442); \
            [blocked: chan receive] | blocked_reason=chan receive task_group=main.main

            """))
    }

    @Test func withoutGzipTheBytesAreTheProfileGzipWraps() throws {
        let s = RandomTrace(seed: 3).script(events: 400)
        let gzipped = try exportBytes(PprofExporter(), s.reader())
        #expect(gzipped.starts(with: [0x1F, 0x8B]))
        let plain = try exportBytes(PprofExporter(options: PprofOptions(gzip: false)), s.reader())
        #expect(try gunzip(gzipped) == plain)
    }

    @Test(arguments: 1...8)
    func totalsPerSampleTypeEqualTheSummary(seed: UInt64) throws {
        let s = RandomTrace(seed: seed).script(events: 1_500)
        var accumulator = SummaryAccumulator(startNs: s.metadata.startNs)
        for event in s.events { accumulator.consume(event) }
        let totals = accumulator.finish(endNs: s.metadata.endNs, tables: s.tables).totals
        let expected: [String: Int64] = ["execution": totals.execNs, "scheduling_wait": totals.schedWaitNs,
                                         "blocked": totals.blockedTotalNs, "syscall": totals.syscallNs]
        #expect(try profile(s).totals == expected)
        for (state, type) in [(PprofOptions.StateFilter.running, "execution"), (.runnable, "scheduling_wait"),
                              (.blocked, "blocked"), (.syscall, "syscall")] {
            #expect(try profile(s, PprofOptions(state: state)).totals == [type: expected[type]!], "state \(state)")
        }
    }
}
