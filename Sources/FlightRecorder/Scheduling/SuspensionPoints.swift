// Where a suspended task waits: its await chain (the function it will resume in, a partial
// function of the awaiting async function, then its async callers'), written right before its
// taskBlocked so readers can name a wait with no reason of its own ("sleep" in the standard
// library's sleeps, "suspended in HTTPClient.execute(request:deadline:)" elsewhere).
//
// Invariants:
// - Written only for a block with no reason (no sleep mark) and only with the runtime's task
//   layout known (sched_runtime.h: `sched_task_await_chain`, which states what it reads and
//   when); otherwise the block is written alone, as before.
// - The task is alive (its job's end stamp holds a reference). If another thread resumes it
//   meanwhile, the walk stops early or reads its next await: a name, never a memory hazard.
// - The chain is kept as a stack (interned like annotation stacks, symbolized only when a
//   snapshot is written). Stack frames are return addresses, named at pc - 1, so each resume
//   function's entry is stored plus one.

import CFlightRecorder
import TraceFormat

enum SuspensionPoints {
    /// Frames of an await chain kept: enough to get past the standard library's wrappers
    /// (withCheckedContinuation, withTaskCancellationHandler) to the application's function.
    static let maxFrames = 8

    @inline(never)
    static func record(task: UInt64, job: UnsafeMutableRawPointer, ticks: UInt64) {
        guard sched_layout_known(), let s = Emit.reserve() else { return }
        let stack = withUnsafeTemporaryAllocation(of: UInt.self, capacity: maxFrames) { buffer -> UInt64 in
            let n = sched_task_await_chain(job, buffer.baseAddress!, maxFrames)
            guard n > 0 else { return 0 }
            for i in 0..<n { buffer[i] &+= 1 }
            return Stacks.intern(UnsafeBufferPointer(rebasing: buffer[0..<n]), s)
        }
        guard stack != 0 else { return }
        // Interning appends nothing: `s` still has room for the record.
        append(task: task, stack: stack, ticks: ticks, s)
    }

    /// The taskSuspension record into `s`, which has room for it. Internal for the format's
    /// cross-check test (RecordKindTests), which encodes every kind through it.
    @inline(__always)
    static func append(task: UInt64, stack: UInt64, ticks: UInt64, _ s: UnsafeMutablePointer<fr_thread_state>) {
        let t = Emit.clamp(ticks, s)
        let end = EventRecord.taskSuspension(dt: t &- s.pointee.last_ticks, task: task, stack: stack,
                                             at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }
}
