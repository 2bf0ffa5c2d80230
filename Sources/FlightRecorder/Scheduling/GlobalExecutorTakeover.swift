// The one-line, opt-in way to record every task of an application, not only those that prefer
// a RecordingExecutor: take over the global concurrent executor.
//
//     try GlobalExecutorTakeover.install()      // e.g. first thing in main
//     ...
//     GlobalExecutorTakeover.uninstall()
//
// How: libswift_Concurrency calls `swift_task_enqueueGlobal_hook`, when set, for every job
// enqueued on the global executor (the hook SwiftNIO's opt-in takeover uses). The hook hands
// the job to a RecordingExecutor whose threads run it on the generic executor, stamped like any
// other job. The delay/deadline hooks are wrapped too (passed through to the runtime) so a
// task that schedules a delayed global job blocks for "sleep".
//
// Invariants and caveats:
// - Off by default; `install` throws if a takeover is already installed. Hooks that were set
//   before are saved and restored by `uninstall` (ours are only taken back if nobody replaced
//   them since).
// - Jobs already in the runtime's global queue when `install` runs still run there, unrecorded.
// - `uninstall` restores the hooks first, so new jobs go to the runtime's executor again; jobs
//   the takeover accepted keep running on its threads (stamped while a recorder records), then
//   its threads exit. A job that reaches the hook while it is being removed is forwarded to
//   the runtime's executor. No job is lost or run twice.
// - The takeover's threads replace the runtime's pool: size it like the pool (default: one per
//   CPU). Code that blocks those threads starves the whole process, as it would the pool.
// - Not covered: the main actor's jobs (main executor), actors with custom executors, tasks
//   that prefer another TaskExecutor. On Swift 6.3, `Task.sleep` in a task on the global
//   executor schedules its wake-up through the runtime's Swift executor, not through the
//   delay/deadline hooks, so those sleeps are recorded as blocked with the empty reason
//   (readers show "suspended", or the innermost blocking region), not "sleep"; the woken task's
//   waker is the runtime's wake-up task (an id with no taskCreated).
// - Each install creates a new executor, never deallocated: a hook call racing with
//   `uninstall` may still reach it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
import Synchronization

public enum GlobalExecutorTakeover {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case alreadyInstalled

        public var description: String {
            "the global executor is already taken over (GlobalExecutorTakeover.install was called twice)"
        }
    }

    /// The installed takeover's executor (an `Unmanaged` reference, retained forever), 0 if none.
    private static let current = Atomic<UInt>(0)
    private static let installLock = Mutex<Void>(())

    /// Routes every job enqueued on the global concurrent executor to a new RecordingExecutor
    /// with `threads` threads named "<name>-<index>". Returns that executor.
    @discardableResult
    public static func install(threads: Int = defaultThreadCount,
                               name: String = "tracexport-global") throws(Failure) -> RecordingExecutor {
        try installLock.withLock { _ throws(Failure) -> RecordingExecutor in
            guard current.load(ordering: .acquiring) == 0 else { throw .alreadyInstalled }
            let executor = RecordingExecutor(threads: threads, name: name, runsGlobalJobs: true)
            let bits = UInt(bitPattern: Unmanaged.passRetained(executor).toOpaque())
            current.store(bits, ordering: .releasing)
            guard sched_takeover_install(onEnqueue, onTimer) else {
                current.store(0, ordering: .releasing)
                executor.shutdown()
                throw .alreadyInstalled
            }
            return executor
        }
    }

    /// Gives the global executor back (see the file comment for what happens to queued jobs).
    public static func uninstall() {
        installLock.withLock { _ in
            let bits = current.load(ordering: .acquiring)
            guard bits != 0 else { return }
            sched_takeover_uninstall()
            current.store(0, ordering: .releasing)
            Unmanaged<RecordingExecutor>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!)
                .takeUnretainedValue().shutdown()
        }
    }

    public static var isInstalled: Bool { current.load(ordering: .acquiring) != 0 }

    /// The installed takeover's executor.
    static var executor: RecordingExecutor? {
        let bits = current.load(ordering: .acquiring)
        guard bits != 0 else { return nil }
        return Unmanaged<RecordingExecutor>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue()
    }

    /// One thread per online CPU, as the runtime's pool.
    public static var defaultThreadCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    private static let onEnqueue: @convention(c) (UnsafeMutableRawPointer) -> Void = { job in
        let bits = GlobalExecutorTakeover.current.load(ordering: .acquiring)
        guard bits != 0 else {
            if !sched_takeover_forward(job) { preconditionFailure("global job with no executor to run it") }
            return
        }
        let executor = Unmanaged<RecordingExecutor>.fromOpaque(UnsafeRawPointer(bitPattern: bits)!).takeUnretainedValue()
        JobStamps.enqueued(job)
        sched_mark_job_enqueued(job)
        let unowned = unsafeBitCast(job, to: UnownedJob.self)
        if !executor.queue.push(QueuedJob(job: unowned, kind: .global)) {
            _ = sched_takeover_forward(job)
        }
    }

    private static let onTimer: @convention(c) () -> Void = {
        JobStamps.timerScheduled()
    }
}
