// Waits named by where the task suspended: under the takeover, a task's block with no reason of
// its own carries the function it will resume in, and readers name the wait by it: "sleep" in
// the standard library's sleeps, "suspended in <function>" elsewhere. This also checks the
// runtime layout assumption behind it (sched_runtime.h: SCHED_RESUME_FUNCTION_OFFSET).

import Dispatch
@testable import FlightRecorder
import Testing
import TraceModel
import TraceReaders

/// Waits for a delivery that another thread makes 20 ms later.
@inline(never)
func waitForDelivery() async -> Int {
    await withCheckedContinuation { (continuation: CheckedContinuation<Int, Never>) in
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(20)) { continuation.resume(returning: 7) }
    }
}

extension Recorder {
    @Suite struct SuspensionPoints {
        @Test("a sleep is blocked for sleep; an await elsewhere for `suspended in` the awaiting function")
        func waitsNamedBySuspensionPoint() async throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(60), maxBytes: 16 << 20))
            try recorder.start()
            defer { recorder.stop() }
            try GlobalExecutorTakeover.install()
            let sleeper = await Task.detached { () -> UInt64 in
                try? await Task.sleep(for: .milliseconds(20))
                return TaskIdentity.currentSwiftTask
            }.value
            let waiter = await Task.detached { () -> UInt64 in
                _ = await waitForDelivery()
                return TaskIdentity.currentSwiftTask
            }.value
            GlobalExecutorTakeover.uninstall()
            #expect(await GlobalExecutorTakeover.handedJobsHaveRun())

            var reader = try SnapshotTraceReader(bytes: recorder.snapshot())
            var reasons: [UInt64: [String]] = [:]
            while let event = try reader.next() {
                if case .taskState(let task, .blocked(let reason), _, _, _) = event.kind {
                    reasons[task.raw, default: []].append(reader.tables.string(reason))
                }
            }
            #expect(reasons[sleeper] == ["sleep"])
            let waits = try #require(reasons[waiter])
            #expect(waits.count == 1)
            #expect(waits.allSatisfy { $0.hasPrefix("suspended in ") && $0.contains("waitForDelivery()") }, "\(waits)")
        }
    }
}
