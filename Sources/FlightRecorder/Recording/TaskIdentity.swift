// Which task an event belongs to.
//
// Invariants:
// - A Swift task is identified by the runtime's job task id (`swift_task_getJobTaskId`): ids are
//   sequential and never repeat within a process, and the id seen when a job is enqueued equals
//   the id seen inside the task. 0 means "not in a task" (a plain thread).
// - Logical tasks (`Trace.withTask`) get ids above 2^62, reserved per thread in blocks, so they
//   never collide with Swift task ids and need no shared atomic per task.
// - While a logical task is open, annotations made inside it (in the same Swift task, or
//   synchronously on the same thread) record the logical task instead of the Swift task.

import CFlightRecorder
public import CFlightRecorderFastPath
import Logging

// The runtime's entry points are reached through C (`fr_current_task_id`, fast_path.h):
// Swift reserves `swift_task_getCurrent` for the compiler, so `@_silgen_name` cannot name it.

@usableFromInline
enum TaskIdentity {
    /// The current Swift task's id, 0 outside any task.
    @inlinable @inline(__always)
    static var currentSwiftTask: UInt64 {
        fr_current_task_id()
    }

    /// The id of the task a job belongs to (0 for jobs that are not tasks). For executors.
    static func id(of job: UnownedJob) -> UInt64 {
        // UnownedJob is a single job pointer.
        fr_job_task_id(unsafeBitCast(job, to: UnsafeMutableRawPointer.self))
    }

    /// The task annotations made here belong to: the innermost open logical task of the current
    /// Swift task (or thread), else the Swift task (as announced by a recording executor, or
    /// read from the runtime's thread-local variable, or asked of the runtime), else 0.
    @inlinable @inline(__always)
    static var current: UInt64 { current(fr_switches_now()) }

    /// `current` with the switches the annotation loaded (`fr_switches_now`).
    @inlinable @inline(__always)
    static func current(_ switches: UInt64) -> UInt64 {
        if fr_switches_logical_tasks(switches) {
            let logical = LogicalTask.boundID
            if logical != 0 { return logical }
        }
        guard let s = fr_current_state() else { return currentSwiftTask }
        if s.pointee.running_task != 0 { return s.pointee.running_task }
        return fr_state_task_id(s)
    }

    /// The task whose job a recording executor stamped as running on this thread (0: none):
    /// the same variable as the executor's `sched_running_task`, read here from the fast path.
    @inlinable @inline(__always)
    static var stampedRunningTask: UInt64 {
        guard let s = fr_current_state() else { return 0 }
        return s.pointee.running_task
    }

    /// Announces that the calling thread now runs a job of `task` (0: no job, or unknown), so
    /// annotations skip the runtime call. Returns the previous value, to restore when jobs nest.
    /// The recording executor announces through `sched_set_running_task`, the same variable.
    /// The thread must have recorded at least once in this recording for this to stick.
    @discardableResult
    static func announceRunningTask(_ task: UInt64) -> UInt64 {
        guard let s = fr_current_state() else { return 0 }
        defer { s.pointee.running_task = task }
        return s.pointee.running_task
    }

    /// Set in the id of a request's logical task (a slow-request middleware's,
    /// `Trace.beginTask(method:route:)`), so that a server span started inside one knows the
    /// request is a task already, without a lookup. Logical ids count up from 2^62 and never
    /// reach this bit, so ids with it stay distinct; readers treat ids as opaque.
    static let requestTaskBit: UInt64 = 1 << 61

    /// Whether `id` is a request's logical task (see `requestTaskBit`).
    @inline(__always)
    static func isRequestTask(_ id: UInt64) -> Bool { id & requestTaskBit != 0 }

    /// A fresh logical task id, from this thread's reserved block.
    static func newLogicalTask(state: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        if state.pointee.next_logical_task >= state.pointee.logical_task_end {
            let block: UInt64 = 1024
            state.pointee.next_logical_task = fr_reserve_logical_task_ids(block)
            state.pointee.logical_task_end = state.pointee.next_logical_task + block
        }
        defer { state.pointee.next_logical_task += 1 }
        return state.pointee.next_logical_task
    }
}

/// The logical task bound to the current Swift task (async bodies) or thread (sync bodies).
@usableFromInline
enum LogicalTask {
    /// The bound logical task's id, 0 for none. A `TaskLocal` declared without the
    /// `@TaskLocal` wrapper so that inlinable code (`Trace.inTask`, specialized in the server
    /// integrations' modules instead of run as unspecialized generic code) can bind it.
    @usableFromInline static let bound = TaskLocal<UInt64>(wrappedValue: 0)

    /// The bound logical task's id, 0 for none: through the runtime's entry point once the key
    /// is checked, else through TaskLocal's own accessor.
    @inlinable @inline(__always)
    static var boundID: UInt64 {
        fr_logical_task_key_set() ? fr_logical_task_bound() : bound.get()
    }

    @usableFromInline
    static var current: UInt64? {
        let v = boundID
        return v == 0 ? nil : v
    }

    /// `bound`'s key for the runtime's task-local entry point: the object's address, as
    /// TaskLocal passes it.
    static var key: UnsafeRawPointer { UnsafeRawPointer(Unmanaged.passUnretained(bound).toOpaque()) }

    /// Whether reading through `key` gives what `bound.get()` gives, bound and unbound (checked
    /// once per process, when a recorder first starts). If not, one log line, and annotations
    /// keep calling `bound.get()`.
    static let keyVerified: Bool = {
        let probe: UInt64 = 0x7E57_0B0C_1A1B_0001
        let candidate = LogicalTask.key
        let readsUnbound = fr_task_local_u64(candidate) == LogicalTask.bound.get()
        let readsBound = LogicalTask.bound.withValue(probe) {
            fr_task_local_u64(candidate) == probe && LogicalTask.bound.get() == probe
        }
        guard readsUnbound && readsBound else {
            Logger(label: "FlightRecorder").notice(
                "the runtime's task-local lookup did not read the logical task binding; reading it through TaskLocal")
            return false
        }
        return true
    }()
}
