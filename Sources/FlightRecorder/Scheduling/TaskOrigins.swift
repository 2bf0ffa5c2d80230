// Where a task was created, written right before its taskCreated (see CFlightRecorder's
// task_origins.h for how the creating call site is captured).
//
// Invariants:
// - Called on the creating thread, inside the runtime's task creation (the task's first
//   enqueue), so the thread's origin buffer and the task-local logical task are the creator's.
// - Writes a taskOrigin record when there is a captured stack or an enclosing logical task;
//   nothing otherwise (the reader then groups the task as before).
// - The stack is interned like annotation stacks (per-thread cache, then the process table),
//   and symbolized only when a snapshot is written.

import CFlightRecorder
import TraceFormat

enum TaskOrigins {
    static func record(task: UInt64) {
        let origin = fr_task_origin()
        let switches = fr_switches_now()
        let scope = fr_switches_logical_tasks(switches) ? (LogicalTask.current ?? 0) : 0
        let count = Int(origin.pointee.count)
        guard count > 0 || scope != 0, let s = Emit.reserve() else { return }
        var stack: UInt64 = 0
        if count > 0 {
            stack = withUnsafePointer(to: origin.pointee.pcs) {
                $0.withMemoryRebound(to: UInt.self, capacity: Int(FR_ORIGIN_FRAMES)) {
                    Stacks.intern(UnsafeBufferPointer(start: $0, count: min(count, Int(FR_ORIGIN_FRAMES))), s)
                }
            }
        }
        // Interning appends nothing: `s` still has room for the record.
        append(task: task, stack: stack, scope: scope, s)
    }

    /// The taskOrigin record into `s`, which has room for it. Internal for the format's
    /// cross-check test (RecordKindTests), which encodes every kind through it.
    @inline(__always)
    static func append(task: UInt64, stack: UInt64, scope: UInt64, _ s: UnsafeMutablePointer<fr_thread_state>) {
        let t = Emit.now(s)
        let end = EventRecord.taskOrigin(dt: t &- s.pointee.last_ticks, task: task, stack: stack, scope: scope,
                                         at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }
}
