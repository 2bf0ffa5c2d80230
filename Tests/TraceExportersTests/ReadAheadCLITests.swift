// Specification: the CLI reads ahead on a second thread by default, and what it writes does not
// depend on it: the same bytes as with --single-thread, and for damaged input the same events
// before the damage and the same one-line warning naming file and offset.

import Foundation
import Testing

@Suite struct ReadAheadCLITests {
    private let cli = TimeWindowTests()

    @Test(arguments: ["chrome", "folded", "summary", "info"])
    func outputIsTheSameWithOneThread(_ command: String) throws {
        for fixture in ["ping-slow-request.out", "actor-contention.out", "go/pingserver/trace.1.out", "go/workload/go126.trace"] {
            let input = TimeWindowTests.path(fixture)
            let ahead = try cli.tracexport([command, input])
            let alone = try cli.tracexport([command, "--single-thread", input])
            #expect(ahead.status == 0 && alone.status == 0, "\(command) \(fixture): \(ahead.stderr) \(alone.stderr)")
            #expect(!ahead.stdout.isEmpty)
            #expect(ahead.stdout == alone.stdout, "\(command) \(fixture)")
        }
    }

    @Test(arguments: ["ping-slow-request.out", "go/workload/go126.trace"])
    func damagedInputGivesTheSamePrefixAndWarning(_ fixture: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: TimeWindowTests.path(fixture)))
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("cut-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: cut) }
        try bytes.prefix(bytes.count * 2 / 3).write(to: cut)
        let ahead = try cli.tracexport(["chrome", cut.path])
        let alone = try cli.tracexport(["chrome", "--single-thread", cut.path])
        #expect(ahead.status == 0, "\(ahead.stderr)")
        #expect(ahead.stdout == alone.stdout)
        #expect(ahead.stderr == alone.stderr)
        let lines = ahead.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("tracexport: \(cut.path): offset "), "\(ahead.stderr)")
        #expect(ahead.stdout.contains("\"traceEvents\""))

        let strict = try cli.tracexport(["chrome", "--strict", cut.path])
        #expect(strict.status == 1)
        #expect(strict.stderr == ahead.stderr)
    }
}
