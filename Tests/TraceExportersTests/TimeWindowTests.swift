// Specification of time windows (--start/--end) and of --split.
//
// A window's output is the whole trace's output restricted to the window: every exporter, run
// through the window stage on a fixture, is compared with its own full output cut to the window
// here, independently of the stage (chrome: slices clipped by time, instants and counters inside
// it; summary: per-state totals of every task's state intervals clipped to the window, computed
// from the event stream; folded: weights of adjacent windows add up to the whole; info: the
// window and the events that are never carried). The CLI's refusals and --split run the built
// `tracexport` as a user would.

import Foundation
import Testing
import TraceExporters
import TraceModel
import TraceReaders

@Suite struct TimeWindowTests {
    // MARK: Running exporters over fixtures

    static let fixtures = ["small.out", "ping-slow-request.out", "actor-contention.out", "go/pingserver/trace.1.out",
                           "go/workload/go126.trace"]

    static func path(_ fixture: String) -> String {
        PackageFiles.root.appendingPathComponent("Fixtures").appendingPathComponent(fixture).path
    }

    /// The exporter's output over the fixture (through the window stage when given), and the
    /// metadata it finished with.
    func convert<E: TraceExporter>(_ fixture: String, _ exporter: E, window: TraceWindow? = nil) throws
        -> (text: String, metadata: TraceMetadata) {
        let reader = try TraceInput.open(path: Self.path(fixture))
        return try run(reader, window: window, exporter)
    }

    private func run<R: TraceReader, E: TraceExporter>(_ reader: R, window: TraceWindow?, _ exporter: E) throws
        -> (text: String, metadata: TraceMetadata) {
        if let window { return try run(WindowedTraceReader(reader, window: window), exporter) }
        return try run(reader, exporter)
    }

    private func run<R: TraceReader, E: TraceExporter>(_ reader: R, _ exporter: E) throws
        -> (text: String, metadata: TraceMetadata) {
        var reader = reader
        var exporter = exporter
        var output = OutputBuffer()
        try exporter.run(&reader, output: &output)
        return (output.string, reader.metadata)
    }

    /// Every event of the fixture, with its tables and final metadata.
    func events(_ fixture: String) throws -> (events: [TraceEvent], tables: TraceTables, metadata: TraceMetadata) {
        var reader = try TraceInput.open(path: Self.path(fixture))
        var events: [TraceEvent] = []
        while let event = try reader.next() { events.append(event) }
        return (events, reader.tables, reader.metadata)
    }

    /// Windows at fixed fractions of the trace: inside, from the start, to the end.
    func windows(_ metadata: TraceMetadata) throws -> [TraceWindow] {
        let d = metadata.durationNs
        return [try TraceWindow(startOffsetNs: d * 3 / 10, endOffsetNs: d * 7 / 10),
                try TraceWindow(startOffsetNs: 0, endOffsetNs: d / 2),
                try TraceWindow(startOffsetNs: d / 2)]
    }

    // MARK: chrome

    struct Slice: Hashable, CustomStringConvertible {
        var pid: Int, tid: Int, name: String, beginNs: Int64, endNs: Int64, depth: Int
        var description: String { "\(pid)/\(tid) \(name) [\(beginNs), \(endNs)) depth \(depth)" }
    }

    static func ns(_ us: Double) -> Int64 { Int64((us * 1000).rounded()) }

    /// `slices` of a parsed trace as ns from the trace's start, clipped to [startNs, endNs) (same
    /// axis); slices with nothing inside it are left out.
    static func clipped(_ slices: [ChromeSlice], from startNs: Int64, to endNs: Int64) -> [Slice: Int] {
        var counts: [Slice: Int] = [:]
        for s in slices {
            let b = max(ns(s.beginUs), startNs), e = min(ns(s.endUs), endNs)
            guard b < e else { continue }
            counts[Slice(pid: s.pid, tid: s.tid, name: s.name, beginNs: b, endNs: e, depth: s.depth), default: 0] += 1
        }
        return counts
    }

    static func instants(_ trace: ChromeTrace, from startNs: Int64, to endNs: Int64) -> [String: Int] {
        var counts: [String: Int] = [:]
        for e in trace.events(ph: "i") where e["s"] as? String == "t" {
            let t = ns(e["ts"] as? Double ?? -1)
            guard t >= startNs && t < endNs else { continue }
            let message = (e["args"] as? [String: Any])?["message"] as? String ?? ""
            counts["\(e["pid"] ?? "")/\(e["tid"] ?? "") \(t) \(e["name"] ?? "") \(message)", default: 0] += 1
        }
        return counts
    }

    static func counters(_ trace: ChromeTrace, after startNs: Int64, before endNs: Int64) -> [String: Int] {
        var counts: [String: Int] = [:]
        for e in trace.events(ph: "C") {
            let t = ns(e["ts"] as? Double ?? -1)
            guard t > startNs && t < endNs else { continue }
            counts["\(t) \(e["name"] ?? "") \((e["args"] as? [String: Any])?["value"] ?? "")", default: 0] += 1
        }
        return counts
    }

    /// Compares a part (or window) of the chrome output with the full output restricted to
    /// [startNs, endNs) (ns from the trace's start).
    /// `sharedInstants`: a --split part, whose first instant may be shared with the previous
    /// part (its logs at that instant are checked on the union of the parts).
    func expectRestriction(_ part: ChromeTrace, of full: ChromeTrace, from startNs: Int64, to endNs: Int64,
                           _ label: String, sharedInstants: Bool = false, processes: Set<Int> = [1, 2, 3, 4],
                           sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = Self.clipped(full.slices.filter { processes.contains($0.pid) }, from: startNs, to: endNs)
        let actual = Self.clipped(part.slices.filter { processes.contains($0.pid) }, from: Int64.min, to: Int64.max)
        let missing = expected.filter { actual[$0.key] != $0.value }.map(\.key.description).sorted()
        let extra = actual.filter { expected[$0.key] != $0.value }.map(\.key.description).sorted()
        #expect(missing.isEmpty && extra.isEmpty,
                "\(label): slices differ from the full output's restricted to the window; missing \(missing.prefix(5)), extra \(extra.prefix(5))",
                sourceLocation: sourceLocation)
        let instantsFrom = sharedInstants ? startNs + 1 : startNs
        #expect(Self.instants(part, from: instantsFrom, to: endNs) == Self.instants(full, from: instantsFrom, to: endNs),
                "\(label): logs", sourceLocation: sourceLocation)
        #expect(Self.counters(part, after: startNs, before: endNs) == Self.counters(full, after: startNs, before: endNs),
                "\(label): counter samples", sourceLocation: sourceLocation)
        // Every track of the part is named as in the whole trace (a task id used again after its
        // task ended names the track again: any of the whole trace's names for it).
        func names(_ trace: ChromeTrace, _ pid: Int, _ tid: Int) -> Set<String> {
            Set(trace.events(ph: "M").filter {
                $0["name"] as? String == "thread_name" && $0["pid"] as? Int == pid && $0["tid"] as? Int == tid
            }.compactMap { ($0["args"] as? [String: Any])?["name"] as? String })
        }
        for key in Set(part.slices.map { [$0.pid, $0.tid] }) {
            let partNames = names(part, key[0], key[1])
            #expect(!partNames.isEmpty && partNames.isSubset(of: names(full, key[0], key[1])),
                    "\(label): names of track \(key)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: fixtures)
    func chromeWindowIsTheFullOutputRestrictedToTheWindow(_ fixture: String) throws {
        let full = try convert(fixture, ChromeTraceExporter())
        let fullTrace = checkChrome(full.text)
        let chromeSchema = try JSONSchemaCheck(schemaFile: "chrome-trace.schema.json")
        for window in try windows(full.metadata) {
            let part = try convert(fixture, ChromeTraceExporter(), window: window)
            let trace = checkChrome(part.text)
            #expect(chromeSchema.problems(trace.root).isEmpty, "\(chromeSchema.problems(trace.root).prefix(3))")
            let startNs = window.startOffsetNs
            let endNs = min(window.endOffsetNs ?? .max, full.metadata.durationNs)
            expectRestriction(trace, of: fullTrace, from: startNs, to: endNs, "\(fixture) \(window)")
            let other = trace.root["otherData"] as? [String: Any] ?? [:]
            #expect(other["traceStartNs"] as? Int64 == full.metadata.startNs)
            #expect(other["startNs"] as? Int64 == full.metadata.startNs + startNs)
            #expect(other["endNs"] as? Int64 == full.metadata.startNs + endNs)
            // The trigger fired at the trace's end: only a window reaching it, and holding the
            // request's task, shows the instant.
            let triggers = trace.events(ph: "i").filter { $0["s"] as? String == "g" }.count
            let fullTriggers = fullTrace.events(ph: "i").filter { $0["s"] as? String == "g" }.count
            let holdsRequest = trace.events(ph: "B").contains { $0["cat"] as? String == "request" }
            #expect(triggers == (window.endOffsetNs == nil && holdsRequest ? fullTriggers : 0))
        }
    }

    @Test func chromeCarriesWhatIsOpenAtTheWindowStart() throws {
        let s = TraceScript(startNs: 1_000, durationNs: 10_000)
        s.threadName(0, 7, "worker-7")
        s.created(0, 1, "handler", group: "GET /x")
        s.state(0, 1, .running, thread: 7)
        s.regionBegin(100, task: 1, "outer")
        s.regionBegin(200, task: 1, "inner")
        s.state(300, 1, .blocked("db query"))
        s.state(6_000, 1, .running, thread: 7)
        s.regionEnd(7_000, task: 1, "inner")
        s.state(8_000, 1, .ended)
        let window = try TraceWindow(startOffsetNs: 5_000, endOffsetNs: 7_500)
        let trace = checkChrome(try run(WindowedTraceReader(s.reader(), window: window), ChromeTraceExporter()).text)
        let task = trace.slices(pid: 1, tid: 1).map { "\($0.name) \(Self.ns($0.beginUs))-\(Self.ns($0.endUs))" }
        #expect(task == ["outer 5000-7500", "inner 5000-7000", "blocked: db query 5000-6000", "running 6000-7000",
                         "running 7000-7500"])
        #expect(trace.trackName(pid: 1, tid: 1) == "handler")
        #expect(trace.trackName(pid: 2, tid: 7) == "worker-7")
        #expect(trace.slices(pid: 2, tid: 7).map { "\($0.name) \(Self.ns($0.beginUs))" } == ["handler 6000"])
    }

    @Test(arguments: [(1, false), (2, false), (3, true), (4, true), (5, true)])
    func windowsOfRandomTracesAreTheirRestrictions(_ seed: Int, _ actors: Bool) throws {
        let script = RandomTrace(seed: UInt64(seed)).script(events: 3_000, actors: actors)
        let metadata = script.metadata
        let fullChrome = checkChrome(try run(script.reader(), ChromeTraceExporter()).text)
        let json = SummaryExporter(options: SummaryOptions(format: .json, maxTasks: 0))
        let d = metadata.durationNs
        for (start, end) in [(d / 7, d * 3 / 7), (d * 3 / 7, d * 3 / 7 + 1_000), (d * 5 / 9, d)] {
            let window = try TraceWindow(startOffsetNs: start, endOffsetNs: end)
            let chrome = checkChrome(try run(WindowedTraceReader(script.reader(), window: window), ChromeTraceExporter()).text)
            // Task tracks only: the random scripts break, on purpose, promises the thread and
            // actor tracks build on (one task running per thread, a holder releases its actor
            // before it ends), and then what those tracks show depends on more than the state.
            expectRestriction(chrome, of: fullChrome, from: start, to: end, "seed \(seed) \(window)", processes: [1])
            let summary = try run(WindowedTraceReader(script.reader(), window: window), json).text
            #expect(Self.summaryTotals(summary) == Self.restrictedTotals(script.events, tables: script.tables,
                                                                          traceEndNs: metadata.endNs,
                                                                          from: metadata.startNs + start,
                                                                          to: metadata.startNs + end),
                    "seed \(seed) \(window)")
        }
    }

    // MARK: summary

    /// Per-state totals of every task's state intervals clipped to [startNs, endNs) (absolute),
    /// computed from the full event stream: the specification the summary must meet.
    static func restrictedTotals(_ events: [TraceEvent], tables: TraceTables, traceEndNs: Int64,
                                 from startNs: Int64, to endNs: Int64) -> [String: Int64] {
        var current: [TaskID: (state: TaskState, since: Int64)] = [:]
        var totals: [String: Int64] = [:]
        func add(_ state: TaskState, _ a: Int64, _ b: Int64) {
            let ns = min(b, endNs) - max(a, startNs)
            guard ns > 0 else { return }
            let key: String
            switch state {
            case .running: key = "execNs"
            case .runnable: key = "schedWaitNs"
            case .syscall: key = "syscallNs"
            case .blocked(let reason): key = "blocked: " + tables.string(reason)
            case .ended: return
            }
            totals[key, default: 0] += ns
        }
        for event in events {
            guard case .taskState(let task, let state, _, _, _) = event.kind else { continue }
            if let open = current[task] { add(open.state, open.since, event.timeNs) }
            current[task] = state == .ended ? nil : (state, event.timeNs)
        }
        for open in current.values { add(open.state, open.since, traceEndNs) }
        return totals
    }

    /// Per-state totals over every group of a summary JSON.
    static func summaryTotals(_ json: String) -> [String: Int64] {
        let root = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        var totals: [String: Int64] = [:]
        for group in root["groups"] as? [[String: Any]] ?? [] {
            for key in ["execNs", "schedWaitNs", "syscallNs"] {
                if let ns = group[key] as? Int64, ns > 0 { totals[key, default: 0] += ns }
            }
            for (reason, ns) in group["blockedNs"] as? [String: Int64] ?? [:] where ns > 0 {
                totals["blocked: " + reason, default: 0] += ns
            }
        }
        return totals
    }

    @Test(arguments: fixtures)
    func summaryTotalsOverAWindowAreTheTracesTotalsRestrictedToIt(_ fixture: String) throws {
        let all = try events(fixture)
        let json = SummaryExporter(options: SummaryOptions(format: .json, maxTasks: 0))
        let full = try convert(fixture, json)
        #expect(Self.summaryTotals(full.text) == Self.restrictedTotals(all.events, tables: all.tables,
                                                                         traceEndNs: all.metadata.endNs,
                                                                         from: .min, to: .max))
        for window in try windows(all.metadata) {
            let windowed = try convert(fixture, json, window: window)
            let startNs = all.metadata.startNs + window.startOffsetNs
            let endNs = all.metadata.startNs + (window.endOffsetNs ?? all.metadata.durationNs)
            let expected = Self.restrictedTotals(all.events, tables: all.tables, traceEndNs: all.metadata.endNs,
                                                 from: startNs, to: endNs)
            #expect(Self.summaryTotals(windowed.text) == expected, "\(fixture) \(window)")
        }
    }

    // MARK: folded

    static func weights(_ folded: [FoldedLine]) -> [String: Int64] {
        var weights: [String: Int64] = [:]
        for line in folded { weights[line.frames.joined(separator: ";"), default: 0] += Int64(line.weight) }
        return weights
    }

    @Test(arguments: fixtures)
    func foldedWeightsOfAdjacentWindowsAddUpToTheWholeTrace(_ fixture: String) throws {
        let full = try convert(fixture, FoldedStacksExporter())
        let d = full.metadata.durationNs
        let cuts = [0, d / 5, d / 2, d * 4 / 5]
        var sum: [String: Int64] = [:]
        for (i, start) in cuts.enumerated() {
            let window = try TraceWindow(startOffsetNs: start, endOffsetNs: i + 1 < cuts.count ? cuts[i + 1] : nil)
            let part = try convert(fixture, FoldedStacksExporter(), window: window)
            sum.merge(Self.weights(checkFolded(part.text)), uniquingKeysWith: +)
        }
        #expect(sum == Self.weights(checkFolded(full.text)))
    }

    // MARK: info

    @Test(arguments: fixtures)
    func infoReportsTheWindowAndTheEventsInsideIt(_ fixture: String) throws {
        let all = try events(fixture)
        for window in try windows(all.metadata) {
            let info = try convert(fixture, InfoExporter(options: InfoOptions(format: .json)), window: window)
            let root = (try JSONSerialization.jsonObject(with: Data(info.text.utf8))) as? [String: Any] ?? [:]
            let startNs = all.metadata.startNs + window.startOffsetNs
            let endNs = all.metadata.startNs + (window.endOffsetNs ?? all.metadata.durationNs)
            #expect(root["startNs"] as? Int64 == startNs)
            #expect(root["endNs"] as? Int64 == endNs)
            #expect(root["durationNs"] as? Int64 == endNs - startNs)
            // Instants and ends are never carried in: exactly those inside the window.
            let inside = all.events.filter { $0.timeNs >= startNs && $0.timeNs < endNs }
            let kinds = root["eventsByKind"] as? [String: Int64] ?? [:]
            #expect(kinds["log"] == Int64(inside.filter { if case .log = $0.kind { true } else { false } }.count))
            #expect(kinds["regionEnd"] == Int64(inside.filter { if case .regionEnd = $0.kind { true } else { false } }.count))
            #expect(kinds["taskCPU"] == Int64(inside.filter { if case .taskCPU = $0.kind { true } else { false } }.count))
        }
    }

    // MARK: window arithmetic

    @Test func durationsParseExactly() {
        #expect(TraceWindow.parseDuration("1.5s") == 1_500_000_000)
        #expect(TraceWindow.parseDuration("250ms") == 250_000_000)
        #expect(TraceWindow.parseDuration("300us") == 300_000)
        #expect(TraceWindow.parseDuration("300µs") == 300_000)
        #expect(TraceWindow.parseDuration("40ns") == 40)
        #expect(TraceWindow.parseDuration("0") == 0)
        #expect(TraceWindow.parseDuration("0.000000001s") == 1)
        #expect(TraceWindow.parseDuration(".5ms") == 500_000)
        #expect(TraceWindow.parseDuration("2m") == 120_000_000_000)
        for bad in ["", "1", "1.5", "-1s", "1.s", "s", "1.5x", "1e3ms", "99999999999999999999s"] {
            #expect(TraceWindow.parseDuration(bad) == nil, "\(bad)")
        }
    }

    @Test func anEmptyWindowIsRefused() {
        #expect(throws: TraceWindowError.self) { try TraceWindow(startOffsetNs: 5, endOffsetNs: 5) }
        #expect(throws: TraceWindowError.self) { try TraceWindow(startOffsetNs: 5, endOffsetNs: 2) }
        #expect(throws: TraceWindowError.self) { try TraceWindow(startOffsetNs: 0, endOffsetNs: 0) }
    }

    @Test func aWindowOutsideTheTraceThrowsBeforeAnyEvent() throws {
        let s = TraceScript(startNs: 1_000, durationNs: 10_000)
        s.created(0, 1, "t")
        s.state(0, 1, .running, thread: 1)
        var reader = WindowedTraceReader(s.reader(), window: try TraceWindow(startOffsetNs: 10_000))
        #expect(throws: TraceWindowError.self) { _ = try reader.next() }
        var inside = WindowedTraceReader(s.reader(), window: try TraceWindow(startOffsetNs: 9_999))
        #expect(try inside.next() != nil)
    }

    // MARK: the CLI

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The built `tracexport`, next to the test bundle (the test target depends on it).
    static let binary: String? = {
        var candidates: [URL] = []
        if let first = CommandLine.arguments.first {
            candidates.append(URL(fileURLWithPath: first).deletingLastPathComponent().appendingPathComponent("tracexport"))
        }
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("tracexport"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("tracexport"))
        return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test("-o onto a device writes to it: /dev/null stays /dev/null and no temporary file is left beside it")
    func outputToDevice() throws {
        let run = try tracexport(["info", Self.path("ping-slow-request.out"), "-o", "/dev/null"])
        #expect(run.status == 0, "\(run.stderr)")
        var status = stat()
        #expect(stat("/dev/null", &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.filter { $0.contains("tracexport") } ?? []
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    func tracexport(_ arguments: [String]) throws -> Run {
        guard let binary = Self.binary else {
            Issue.record("tracexport is not built next to the tests")
            return Run(status: -1, stdout: "", stderr: "")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tracexport-window-\(UUID().uuidString)")
        let err = out.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        // Bounded wait: a hang fails the test instead of blocking the suite.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("tracexport \(arguments) did not finish within 60 s")
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    @Test(arguments: [["chrome"], ["folded"], ["summary"], ["info"]])
    func emptyAndOutsideWindowsAreOneLineErrorsWithExitOne(_ command: [String]) throws {
        let input = Self.path("small.out")
        for window in [["--start", "10ms", "--end", "10ms"], ["--start", "10ms", "--end", "5ms"], ["--end", "0"],
                       ["--start", "1000s"]] {
            let run = try tracexport(command + window + [input])
            #expect(run.status == 1, "\(command + window)")
            #expect(run.stdout.isEmpty, "\(command + window): nothing on stdout")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1 && lines[0].hasPrefix("tracexport: \(input): "),
                    "\(command + window): \(run.stderr)")
        }
        let inside = try tracexport(command + ["--start", "10ms", "--end", "20ms", input])
        #expect(inside.status == 0, "\(inside.stderr)")
    }

    @Test(arguments: [("go/pingserver/trace.1.out", 120_000), ("ping-slow-request.out", 40_000),
                      ("actor-contention.out", 20_000)])
    func splitPartsAreValidBoundedAndAddUpToTheWhole(_ fixture: String, _ size: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tracexport-split-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("out.json").path
        let run = try tracexport(["chrome", "--split", "\(size)", "-o", output, Self.path(fixture)])
        #expect(run.status == 0, "\(run.stderr)")

        let full = try convert(fixture, ChromeTraceExporter())
        let fullTrace = checkChrome(full.text)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let partCount = names.count
        #expect(partCount >= 2, "\(names)")
        #expect(Set(names) == Set((1...max(partCount, 1)).map { "out.\($0).json" }), "\(names)")
        let chromeSchema = try JSONSchemaCheck(schemaFile: "chrome-trace.schema.json")
        var expectedStartNs = full.metadata.startNs
        var allInstants: [String: Int] = [:]
        for number in 1...max(partCount, 1) {
            let path = directory.appendingPathComponent("out.\(number).json").path
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(data.count <= size, "part \(number) holds \(data.count) bytes")
            let part = checkChrome(String(decoding: data, as: UTF8.self))
            #expect(chromeSchema.problems(part.root).isEmpty, "part \(number): \(chromeSchema.problems(part.root).prefix(3))")
            let other = part.root["otherData"] as? [String: Any] ?? [:]
            let startNs = other["startNs"] as? Int64 ?? -1
            let endNs = other["endNs"] as? Int64 ?? -1
            #expect(other["traceStartNs"] as? Int64 == full.metadata.startNs)
            // The parts tile the trace: each starts where the previous one ended.
            #expect(startNs == expectedStartNs, "part \(number)")
            expectedStartNs = endNs
            expectRestriction(part, of: fullTrace, from: startNs - full.metadata.startNs,
                              to: endNs - full.metadata.startNs, "\(fixture) part \(number)", sharedInstants: true)
            allInstants.merge(Self.instants(part, from: .min, to: .max), uniquingKeysWith: +)
        }
        #expect(expectedStartNs == full.metadata.endNs)
        #expect(allInstants == Self.instants(fullTrace, from: .min, to: .max), "every log is in exactly one part")
    }

    @Test func splitNeedsAnOutputFileAndRefusesASizeTooSmall() throws {
        let input = Self.path("go/pingserver/trace.1.out")
        let noOutput = try tracexport(["chrome", "--split", "100MB", input])
        #expect(noOutput.status == 1 && noOutput.stderr.split(separator: "\n").count == 1, "\(noOutput.stderr)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tracexport-split-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tooSmall = try tracexport(["chrome", "--split", "200B", "-o", directory.appendingPathComponent("o.json").path, input])
        #expect(tooSmall.status == 1 && tooSmall.stderr.split(separator: "\n").count == 1, "\(tooSmall.stderr)")
        // A failed split leaves no part behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
