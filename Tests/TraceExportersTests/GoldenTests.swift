// Golden outputs: every exporter over the committed snapshots (Fixtures/*.out) and two Go
// traces (the article's ping server, and the workload of every kind of wait), compared byte for
// byte with Fixtures/goldens/<fixture path with / as ->.<output>, and checked against the
// output invariants on the way. (.ci/validate-schemas.py covers every Go fixture.) (Goldens live outside the test target so SwiftPM has no unhandled files.)
//
// Regenerate after an intended change (then review the diff):
//   TRACEXPORT_UPDATE_GOLDENS=1 swift test --filter GoldenTests
//
// Invariants:
// - A missing golden fails the test (it is never created silently outside update mode).
// - In update mode the goldens are rewritten and the test records no issue.

import Foundation
import Testing
import TraceExporters
import TraceModel
import TraceReaders

enum PackageFiles {
    /// The package root: the nearest folder above this file holding Package.swift.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// Paths under Fixtures/.
    static var fixtures: [String] {
        let dir = root.appendingPathComponent("Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        let go = ["go/pingserver/trace.1.out", "go/requestserver/trace.1.out", "go/workload/go126.trace"].filter {
            FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path)
        }
        return names.filter { $0.hasSuffix(".out") }.sorted() + go
    }

    static func goldenName(_ fixture: String, _ output: String) -> String {
        fixture.replacingOccurrences(of: "/", with: "-") + "." + output
    }

    static let goldens = root.appendingPathComponent("Fixtures").appendingPathComponent("goldens")
}

@Suite struct GoldenTests {
    static let updating = ProcessInfo.processInfo.environment["TRACEXPORT_UPDATE_GOLDENS"] == "1"

    /// Runs an exporter over a fixture through the same reader the CLI uses.
    func convert<E: TraceExporter>(_ fixture: String, _ exporter: E) throws -> String {
        let path = PackageFiles.root.appendingPathComponent("Fixtures").appendingPathComponent(fixture).path
        var reader = try TraceInput.open(path: path)
        return try run(&reader, exporter)
    }

    private func run<R: TraceReader, E: TraceExporter>(_ reader: inout R, _ exporter: E) throws -> String {
        var exporter = exporter
        var output = OutputBuffer()
        try exporter.run(&reader, output: &output)
        return output.string
    }

    func compare(_ actual: String, golden name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = PackageFiles.goldens.appendingPathComponent(name)
        if Self.updating {
            try FileManager.default.createDirectory(at: PackageFiles.goldens, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("missing golden \(name); run TRACEXPORT_UPDATE_GOLDENS=1 swift test --filter GoldenTests",
                         sourceLocation: sourceLocation)
            return
        }
        if actual != expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
            Issue.record("""
                \(name) differs from its golden at line \(line + 1):
                  golden: \(line < e.count ? String(e[line].prefix(300)) : "<end>")
                  actual: \(line < a.count ? String(a[line].prefix(300)) : "<end>")
                (after an intended change: TRACEXPORT_UPDATE_GOLDENS=1 swift test --filter GoldenTests)
                """, sourceLocation: sourceLocation)
        }
    }

    @Test func thereAreFixtures() {
        #expect(!PackageFiles.fixtures.isEmpty)
    }

    @Test(arguments: PackageFiles.fixtures)
    func chrome(fixture: String) throws {
        let text = try convert(fixture, ChromeTraceExporter())
        _ = checkChrome(text)
        try compare(text, golden: PackageFiles.goldenName(fixture, "chrome.json"))
    }

    /// The Perfetto output as text (one line per packet, iids resolved), its size, and the check
    /// that it shows what the Chrome output shows.
    @Test(arguments: PackageFiles.fixtures)
    func perfetto(fixture: String) throws {
        let path = PackageFiles.root.appendingPathComponent("Fixtures").appendingPathComponent(fixture).path
        var reader = try TraceInput.open(path: path)
        var exporter = PerfettoTraceExporter()
        var output = OutputBuffer()
        try exporter.run(&reader, output: &output)
        let trace = checkPerfetto(output.bytes)
        expectSameContent(trace, checkChrome(try convert(fixture, ChromeTraceExporter())))
        // The packets' size, not the file's: the deflated size depends on the zlib build.
        let text = "packet bytes \(trace.packetBytes)\n" + trace.dump.joined(separator: "\n") + "\n"
        try compare(text, golden: PackageFiles.goldenName(fixture, "perfetto.txt"))
    }

    @Test(arguments: PackageFiles.fixtures)
    func foldedMatchesAndAddsUpToTheSummary(fixture: String) throws {
        let text = try convert(fixture, FoldedStacksExporter())
        try compare(text, golden: PackageFiles.goldenName(fixture, "folded.txt"))
        // Groups cover every task (tasks may be limited by maxTasks).
        try compare(try convert(fixture, FoldedStacksExporter(options: FoldedOptions(state: .running, unit: .us))),
                    golden: PackageFiles.goldenName(fixture, "folded-running-us.txt"))

        let summary = try convert(fixture, SummaryExporter(options: SummaryOptions(format: .json)))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        var exec = 0, wait = 0, blocked = 0, syscall = 0
        for task in root["groups"] as? [[String: Any]] ?? [] {
            exec += task["execNs"] as? Int ?? 0
            wait += task["schedWaitNs"] as? Int ?? 0
            syscall += task["syscallNs"] as? Int ?? 0
            blocked += (task["blockedNs"] as? [String: Int] ?? [:]).values.reduce(0, +)
        }
        let byLeaf = foldedWeightsByLeaf(checkFolded(text))
        #expect(byLeaf["[running]", default: 0] == Int64(exec))
        #expect(byLeaf["[runnable]", default: 0] == Int64(wait))
        #expect(byLeaf["[syscall]", default: 0] == Int64(syscall))
        #expect(byLeaf.filter { $0.key.hasPrefix("[blocked") }.values.reduce(0, +) == Int64(blocked))
    }

    @Test(arguments: PackageFiles.fixtures)
    func pprofMatchesAndAddsUpToTheSummary(fixture: String) throws {
        let path = PackageFiles.root.appendingPathComponent("Fixtures").appendingPathComponent(fixture).path
        let profile = try DecodedProfile(gzipped: try exportBytes(PprofExporter(), try TraceInput.open(path: path)))
        // The golden is the decoded profile (readable, and independent of zlib's version).
        try compare(profile.listing, golden: PackageFiles.goldenName(fixture, "pprof.txt"))

        let summary = try convert(fixture, SummaryExporter(options: SummaryOptions(format: .json)))
        let root = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        var expected: [String: Int64] = ["execution": 0, "scheduling_wait": 0, "blocked": 0, "syscall": 0]
        for group in root["groups"] as? [[String: Any]] ?? [] {
            expected["execution"]! += Int64(group["execNs"] as? Int ?? 0)
            expected["scheduling_wait"]! += Int64(group["schedWaitNs"] as? Int ?? 0)
            expected["syscall"]! += Int64(group["syscallNs"] as? Int ?? 0)
            expected["blocked"]! += Int64((group["blockedNs"] as? [String: Int] ?? [:]).values.reduce(0, +))
        }
        #expect(profile.totals == expected)
    }

    @Test(arguments: PackageFiles.fixtures)
    func flameGraphMatchesTheFoldedStacks(fixture: String) throws {
        let svg = try convert(fixture, FlameGraphExporter())
        try compare(svg, golden: PackageFiles.goldenName(fixture, "flamegraph.svg"))
        // Every folded prefix wide enough to draw is a frame, as wide as its time.
        let folded = checkFolded(try convert(fixture, FoldedStacksExporter()))
        let total = folded.reduce(0) { $0 + $1.weight }
        let options = FlameGraphOptions()
        let areaWidth = Double(options.width - 20)
        // (A frame is never wider than its parent, so pruning by its own width is pruning it
        // with everything above it.)
        let expected = foldedPrefixTimes(folded).filter { _, ns in
            Double(ns) * areaWidth >= options.minimumFramePixels * Double(total)
        }
        let frames = svgFrames(svg)
        #expect(frames.count == expected.count)
        for frame in frames {
            #expect(expected[frame.path.map(foldedName)] == frame.width, "\(frame.path)")
        }
    }

    @Test(arguments: PackageFiles.fixtures)
    func summary(fixture: String) throws {
        for format in SummaryOptions.Format.allCases {
            let text = try convert(fixture, SummaryExporter(options: SummaryOptions(format: format)))
            try compare(text, golden: PackageFiles.goldenName(fixture, "summary.\(format.rawValue)"))
        }
        try compare(try convert(fixture, SummaryExporter(options: SummaryOptions(format: .text, sort: .wait))),
                    golden: PackageFiles.goldenName(fixture, "summary-sort-wait.text"))
    }

    @Test(arguments: PackageFiles.fixtures)
    func info(fixture: String) throws {
        for format in InfoOptions.Format.allCases {
            let text = try convert(fixture, InfoExporter(options: InfoOptions(format: format)))
            try compare(text, golden: PackageFiles.goldenName(fixture, "info.\(format.rawValue)"))
        }
    }
}
