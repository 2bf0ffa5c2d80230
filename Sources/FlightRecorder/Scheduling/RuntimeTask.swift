// What the scheduling capture learns about a Swift task from the concurrency runtime.
//
// Invariants:
// - Task ids come from the runtime's `swift_task_getJobTaskId` (through the recorder's C
//   helpers `fr_job_task_id` / `fr_current_task_id`): sequential, never reused, the same at
//   enqueue and inside the task. The standard library does not make them public; the symbol is
//   exported by libswift_Concurrency and is what swift-inspect and the runtime's own tracing
//   use. `UnsafeCurrentTask`'s hash is a pointer and repeats, so it cannot serve.
// - Three facts have no public API and come from the task's private layout (see
//   sched_runtime.h), and only when the runtime declares the layout version they were written
//   for (`_swift_concurrency_debug_internal_layout_version` == 1, the versioned layout exported
//   for debuggers):
//   - *never ran*: its resume context is still the initial context (the only one whose parent
//     is null), so this enqueue is its first: the task was just created;
//   - *finished*: the status flag IsComplete, set when the task completes (release builds
//     included, checked on Swift 6.3.1);
//   - *name*: the `Task(name:)` record in the task's status records, read at the first enqueue,
//     before the task runs (the runtime drops it when the task completes).
//   Without that layout, tasks are still stamped (runnable/running/blocked) but get no
//   taskCreated and no taskEnded.
// - Callers read a task only while it is alive: at enqueue, or between `retain` and `release`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder

enum RuntimeTask {
    /// Whether the private-layout facts are available on this runtime (checked once; then one
    /// relaxed load, inline, with no lazy-global check).
    static var layoutKnown: Bool { sched_layout_known() }

    /// Whether the job is the task's first (the task was just created).
    @inline(__always)
    static func neverRan(_ task: UnsafeMutableRawPointer) -> Bool {
        sched_task_never_ran(task)
    }

    /// The task's status after its job returned; `markerAtStart` is the job's enqueue marker
    /// when the job started.
    @inline(__always)
    static func afterJob(_ task: UnsafeMutableRawPointer, markerAtStart: UInt64) -> JobOutcome {
        let status = sched_task_status(task)
        if status & SCHED_STATUS_COMPLETE != 0 { return .finished }
        if status & (SCHED_STATUS_ENQUEUED | SCHED_STATUS_RUNNING) == 0 { return .suspended }
        // Enqueued again since the job started: on a recording executor if one left a new marker.
        let marker = sched_job_marker(task)
        if marker != markerAtStart && sched_is_enqueue_marker(marker) { return .alreadyResumed }
        if status & SCHED_STATUS_RUNNING != 0 { return .alreadyResumed }
        return .movedAway
    }

    /// The task's `Task(name:)` as UTF-8 bytes, or nil.
    static func name(_ task: UnsafeMutableRawPointer) -> UnsafeRawBufferPointer? {
        guard let cString = sched_task_name(task) else { return nil }
        return UnsafeRawBufferPointer(start: cString, count: strlen(cString))
    }
}

/// How a task's job ended, seen from the executor that ran it.
enum JobOutcome {
    /// The task completed: no job of it follows.
    case finished
    /// The task suspended and nothing has resumed it yet.
    case suspended
    /// The task suspended and was already enqueued again on a recording executor (or is
    /// running elsewhere) before the job returned: that enqueue's runnable record ended this job.
    case alreadyResumed
    /// The task left for an executor that records nothing (the main actor, an actor with a
    /// custom executor) and waits there: it is runnable, and nothing else will say so.
    case movedAway
}
