// The window state frame's records (Schemas/snapshot-format.md, section 6): its table's kinds
// are WindowState's, each record is the bytes the table lists, and every record and task state
// reads back as written.

import Foundation
import Testing
@testable import TraceFormat

@Suite struct WindowStateRecords {
    static let specPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas/snapshot-format.md").path

    /// Kind code -> record name, from the table of section 6.
    static func specKinds() throws -> [UInt8: String] {
        let text = try String(contentsOfFile: specPath, encoding: .utf8)
        let start = try #require(text.range(of: "## 6. Window state frame"))
        let end = try #require(text.range(of: "\n### 6.1", range: start.upperBound..<text.endIndex))
        var kinds: [UInt8: String] = [:]
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, let code = UInt8(cells[1]) else { continue }
            kinds[code] = cells[2]
        }
        return kinds
    }

    @Test("the specification's window state kinds are WindowState's")
    func kindsMatchSpecification() throws {
        let kinds = try Self.specKinds()
        #expect(kinds == Dictionary(uniqueKeysWithValues: WindowState.RecordKind.allCases.map { ($0.rawValue, "\($0)") }))
    }

    @Test("each window state record is the bytes section 6 lists")
    func recordsFollowSpecification() {
        let state = WindowState(
            threads: [.init(thread: 300, name: "worker")],
            tasks: [.init(task: 7, parent: 1 << 40, name: "t", group: "g", state: .blocked(reason: "db"))],
            regions: [.init(task: 7, thread: 300, name: "r", stack: 2, beginTicks: 129, blocking: true)])
        #expect(state.encoded() == [
            1, 0xAC, 0x02, 6] + Array("worker".utf8) + [                  // thread: thread name
            2, 7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 1, 0x74, 1, 0x67,   // task: task parent name group
            3, 2, 0x64, 0x62,                                             // state: blocked, reason
            3, 7, 0xAC, 0x02, 1, 0x72, 2, 0x81, 0x01, 1,                  // region: task thread name stack begin flags
        ])
    }

    @Test("every record kind and task state reads back as written")
    func everyStateRoundTrips() throws {
        let states: [WindowState.TaskStateAtStart] = [.unknown, .running(thread: 5), .runnable, .blocked(reason: "lock"),
                                                      .syscall(thread: 1 << 33)]
        let state = WindowState(
            threads: [.init(thread: 5, name: "main"), .init(thread: 1 << 33, name: "")],
            tasks: states.enumerated().map { .init(task: UInt64($0.offset + 1), parent: UInt64($0.offset), name: "task \($0.offset)",
                                                   group: $0.offset.isMultiple(of: 2) ? "" : "group", state: $0.element) },
            regions: [.init(task: 1, thread: 5, name: "outer", beginTicks: 10),
                      .init(task: 0, thread: 5, name: "wait", stack: 9, beginTicks: 1 << 50, blocking: true)])
        #expect(try WindowState.decode(state.encoded()) == state)
    }
}
