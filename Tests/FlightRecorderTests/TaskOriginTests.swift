// Task identity without annotations: under the global executor takeover, an unnamed task is
// grouped by the function that created it, named from the executable's symbol table; a
// `Task(name:)` name still wins.

@testable import FlightRecorder
import Testing
import TraceModel
import TraceReaders

/// Creates `count` child tasks from a task group (internal: not exported by the test binary).
@inline(never)
func spawnInventoryChecks(_ count: Int) async -> [UInt64] {
    await withTaskGroup(of: UInt64.self) { group in
        for _ in 0..<count { group.addTask { TaskIdentity.currentSwiftTask } }
        return await group.reduce(into: []) { $0.append($1) }
    }
}

@inline(never)
func startAuditJob() async -> UInt64 {
    await Task { TaskIdentity.currentSwiftTask }.value
}

extension Recorder {
    @Suite struct TaskOrigins {
        /// The groups of `ids` in a snapshot of `body`, recorded under the takeover.
        static func groups(_ body: @Sendable () async -> (ids: [UInt64], named: UInt64)) async throws
            -> (groups: [UInt64: String], names: [UInt64: String]) {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(60), maxBytes: 64 << 20))
            try recorder.start()
            defer { recorder.stop() }
            try GlobalExecutorTakeover.install()
            _ = await body()
            GlobalExecutorTakeover.uninstall()
            #expect(await GlobalExecutorTakeover.handedJobsHaveRun())
            var reader = try SnapshotTraceReader(bytes: recorder.snapshot())
            var groups: [UInt64: String] = [:], names: [UInt64: String] = [:]
            while let e = try reader.next() {
                if case .taskCreated(let id, _, let name, let group, _) = e.kind {
                    groups[id.raw] = reader.tables.string(group)
                    names[id.raw] = reader.tables.string(name)
                }
            }
            return (groups, names)
        }

        @Test("tasks of a task group are grouped by the function that created them")
        func groupedByCreatingFunction() async throws {
            let box = IDs()
            let (groups, _) = try await Self.groups {
                let ids = await Task.detached { await spawnInventoryChecks(5) }.value
                let audit = await Task.detached { await startAuditJob() }.value
                box.set(ids + [audit])
                return (ids, 0)
            }
            let ids = box.get()
            #expect(ids.count == 6)
            for id in ids.prefix(5) {
                let group = try #require(groups[id])
                #expect(group.contains("spawnInventoryChecks"), "group \(group)")
            }
            let audit = try #require(groups[ids[5]])
            #expect(audit.contains("startAuditJob"), "group \(audit)")
        }

        @Test("a Task(name:) name wins over the creating function")
        func nameWins() async throws {
            let box = IDs()
            let (groups, names) = try await Self.groups {
                let id = await Task.detached { await Task(name: "nightly audit") { TaskIdentity.currentSwiftTask }.value }.value
                box.set([id])
                return ([id], id)
            }
            let id = try #require(box.get().first)
            #expect(names[id] == "nightly audit")
            #expect(groups[id] == "nightly audit")
        }
    }
}

/// Ids handed out of a recording body.
final class IDs: @unchecked Sendable {
    // @unchecked Sendable: written once by the body before the test reads it (after its await).
    private var ids: [UInt64] = []
    func set(_ ids: [UInt64]) { self.ids = ids }
    func get() -> [UInt64] { ids }
}
