// Specification of naming a wait by its suspension point (snapshot format §7.6): a `task
// blocked` with no reason, preceded by the task's `task suspension`, is `sleep` when its await
// chain passes through a standard-library sleep, else `suspended in` the innermost function
// outside the standard library and the concurrency runtime (a closure counts as the function
// it is in), else the outermost frame; a blocking region still wins; a chain with no names is
// `suspended`.

import SyntheticTraces
import Testing
import TraceFormat
import TraceModel
@testable import TraceReaders

@Suite struct SuspensionReasons {
    /// The reason of the one wait of a task whose suspension chain has these function names
    /// (innermost first; "" for a frame with no name), inside a blocking region if given.
    static func reason(chain: [String], blockingRegion: String? = nil) throws -> String {
        let a = SnapshotAssembler(chunkBytes: 1 << 16)
        let frames = chain.enumerated().map { i, name in
            SnapshotStackFrame(pc: 0x1000 + UInt64(i) * 16, function: name.isEmpty ? 0 : a.id(name))
        }
        a.stacks = [(1, frames)]
        let task: UInt64 = 5
        a.record(thread: 1, at: 100) { $0.taskCreated(at: 100, task: task, parent: 0, name: .id(0), group: .id(0)) }
        a.record(thread: 1, at: 110) { $0.taskRunning(at: 110, task: task) }
        if let blockingRegion {
            let name = a.id(blockingRegion)
            a.record(thread: 1, at: 120) { $0.regionBegin(at: 120, task: task, name: name, blocking: true) }
        }
        a.record(thread: 1, at: 130) { $0.taskSuspension(at: 130, task: task, stack: 1) }
        a.record(thread: 1, at: 130) { $0.taskBlocked(at: 130, task: task, reason: 0) }
        a.record(thread: 1, at: 200) { $0.taskRunnable(at: 200, task: task) }
        let (events, reader) = try readAll(try a.snapshotBytes())
        let reasons = events.compactMap { event -> String? in
            guard case .taskState(_, .blocked(let reason), _, _, _) = event.kind else { return nil }
            return reader.tables.string(reason)
        }
        try #require(reasons.count == 1)
        return reasons[0]
    }

    @Test("a chain through a standard-library sleep is a sleep")
    func sleep() throws {
        #expect(try Self.reason(chain: ["Swift.Task._sleep(until:tolerance:clock:)", "Swift.ContinuousClock.sleep(until:tolerance:)",
                                        "Shop.pause()"]) == "sleep")
    }

    @Test("the innermost function outside the standard library and the runtime names the wait",
          arguments: [
              (["Swift.withCheckedContinuation(isolation:function:_:)", "Shop.fetchPrice(for:)", "Shop.handle()"],
               "suspended in Shop.fetchPrice(for:)"),
              (["task_group_wait_resume_adapter(swift::AsyncContext*)", "dispatch thunk of Swift.AsyncIteratorProtocol.next()",
                "closure #1 in Shop.reserveAll(_:in:)"], "suspended in closure #1 in Shop.reserveAll(_:in:)"),
              (["closure #1 in Swift.AsyncStream._Storage.next()", "", "Shop.Listener.run()"], "suspended in Shop.Listener.run()"),
          ])
    func innermostApplicationFunction(_ chain: [String], _ expected: String) throws {
        #expect(try Self.reason(chain: chain) == expected)
    }

    @Test("a chain entirely in the standard library is named by its outermost frame")
    func onlyStandardLibrary() throws {
        #expect(try Self.reason(chain: ["Swift.withUnsafeContinuation(isolation:_:)", "Swift.AsyncStream.Iterator.next()"])
                == "suspended in Swift.AsyncStream.Iterator.next()")
    }

    @Test("a chain with no names is suspended; a blocking region wins over any chain")
    func unnamedAndRegion() throws {
        #expect(try Self.reason(chain: ["", ""]) == "suspended")
        #expect(try Self.reason(chain: ["Shop.fetchPrice(for:)"], blockingRegion: "db query") == "db query")
        #expect(try Self.reason(chain: ["Swift.Task._sleep(until:tolerance:clock:)"], blockingRegion: "db query") == "db query")
    }
}
