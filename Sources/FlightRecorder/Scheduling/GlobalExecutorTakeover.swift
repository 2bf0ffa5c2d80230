// The one-line, opt-in way to record every task of an application, not only those that prefer
// a RecordingExecutor: stamp every job of the global concurrent executor.
//
//     try GlobalExecutorTakeover.install()      // e.g. first thing in main
//     ...
//     GlobalExecutorTakeover.uninstall()
//
// How: libswift_Concurrency calls `swift_task_enqueueGlobal_hook`, when set, for every job
// enqueued on the global executor (the hook SwiftNIO's opt-in takeover uses). The hook stamps
// the enqueue and hands the job to Dispatch exactly as the runtime's global executor does on
// Linux (a concurrent queue per job priority, as wide as the CPU count, see sched_dispatch.c);
// the function Dispatch calls stamps the job's start, runs it on the generic executor (as the
// runtime would) and stamps its end. Scheduling stays Dispatch's worker pool, with its own
// thread wake-up policy; the takeover adds the stamps and one indirect call per job. (A first
// version ran jobs on a RecordingExecutor of its own: that executor alone cost ~14% CPU per
// request on a loaded server, see BENCHMARKS.md.) The delay/deadline hooks are wrapped too
// (passed through to the runtime) so a task that schedules a delayed global job blocks for
// "sleep".
//
// Invariants and caveats:
// - Off by default; `install` throws if a takeover is already installed. One rule for the
//   runtime's three hooks: a hook already in place is never bypassed. Another global
//   executor's enqueue hook (SwiftNIO's event-loop takeover, say) makes `install` throw: ours
//   could only move its jobs off its threads without a word. The delay and deadline hooks in
//   place are saved, called by ours, and restored by `uninstall`; a hook installed over ours
//   stays (ours are only taken back if nobody replaced them since). HookChainingTests.
// - Every job the hook receives runs exactly once, on a Dispatch worker thread; it is stamped
//   if a recorder records when it starts (stamps are skipped with one load otherwise).
// - Jobs already in the runtime's global queue when `install` runs still run there, unrecorded.
// - `uninstall` restores the hooks, so new jobs go to the runtime's executor again; jobs the
//   takeover already handed to Dispatch still run on its queues (stamped while a recorder
//   records). A job that reaches the hook while it is being removed is handed over like any
//   other. No job is lost or run twice. Our queues live as long as the process.
// - Threads: Dispatch's pool, as without the takeover; our queues and the runtime's are
//   separate queues of that pool, each as wide as the CPU count, so while jobs from before
//   `install` (or after `uninstall`) still run on the runtime's queue, up to twice the CPU
//   count of jobs run at once. Dispatch's worker threads carry no names of ours.
// - Not covered: the main actor's jobs (main executor), actors with custom executors, tasks
//   that prefer another TaskExecutor, and delayed global jobs (the runtime runs them from its
//   timer queue without passing the enqueue hook). On Swift 6.3, `Task.sleep` in a task on
//   the global executor schedules its wake-up through the runtime's Swift executor, not
//   through the delay/deadline hooks, so those sleeps are recorded as blocked with the empty
//   reason (readers show "suspended", or the innermost blocking region), not "sleep"; the
//   woken task's waker is the runtime's wake-up task (an id with no taskCreated).
// - Reads the job's priority from JobFlags (bits 8-15 of the 32-bit word after the job's
//   scheduler-private words), the part of a job's header that ExecutorJob.priority exposes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
import Dispatch
import Logging
import Synchronization

public enum GlobalExecutorTakeover {
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case alreadyInstalled
        /// Another global executor is installed (a hook of someone else's on the global queue).
        case anotherExecutorInstalled

        public var description: String {
            switch self {
            case .alreadyInstalled:
                "the global executor is already taken over (GlobalExecutorTakeover.install was called twice)"
            case .anotherExecutorInstalled:
                "another global executor is installed (e.g. SwiftNIO's event-loop takeover); jobs stay on it, unrecorded"
            }
        }
    }

    private static let installed = Atomic<Bool>(false)
    private static let installLock = Mutex<Void>(())

    /// Stamps every job enqueued on the global concurrent executor from now on; the jobs keep
    /// running on Dispatch's worker pool, as they would without the takeover.
    public static func install() throws(Failure) {
        try installLock.withLock { _ throws(Failure) in
            guard !installed.load(ordering: .acquiring) else { throw .alreadyInstalled }
            switch sched_takeover_install(onEnqueue, onTimer) {
            case SCHED_INSTALLED: break
            case SCHED_OTHER_EXECUTOR: throw .anotherExecutorInstalled
            default: throw .alreadyInstalled
            }
            installed.store(true, ordering: .releasing)
            actorHops = ActorHops.enable()
            if !actorHops {
                logger.notice("actor hops are not recorded: swift_task_switch is not interposed in this process or the runtime's task layout is unknown")
            }
        }
    }

    /// Gives the global executor back (see the file comment for what happens to queued jobs).
    public static func uninstall() {
        installLock.withLock { _ in
            guard installed.load(ordering: .acquiring) else { return }
            ActorHops.disable()
            sched_takeover_uninstall()
            installed.store(false, ordering: .releasing)
        }
    }

    public static var isInstalled: Bool { installed.load(ordering: .acquiring) }

    /// Whether hops onto actors are recorded while installed (Linux, a known runtime layout).
    public static var recordsActorHops: Bool { installLock.withLock { _ in actorHops } }

    nonisolated(unsafe) private static var actorHops = false  // guarded by installLock
    private static let logger = Logger(label: "FlightRecorder.GlobalExecutorTakeover")

    /// Returns true once every job handed to Dispatch before the call has returned, and so
    /// has written its end stamp (for tests: a snapshot taken after it sees every job's end);
    /// false if that did not happen within `limit` (a job that never ends fails the test
    /// instead of hanging it). Safe to call from a job of the takeover: it suspends instead
    /// of blocking.
    static func handedJobsHaveRun(within limit: Duration = .seconds(30)) async -> Bool {
        let box = ContinuationBox()
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            box.hold(continuation)
            sched_dispatch_after_handed_jobs(Unmanaged.passRetained(box).toOpaque()) { box in
                // The context is the box retained above, released here (called exactly once).
                Unmanaged<ContinuationBox>.fromOpaque(box.unsafelyUnwrapped).takeRetainedValue().resume(true)
            }
            // A timer on Dispatch, not a task: a sleeping task would show in later recordings.
            let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) { box.resume(false) }
        }
    }

    /// The continuation of one `handedJobsHaveRun` call, resumed by whichever comes first:
    /// the barrier after the handed jobs or the time limit.
    private final class ContinuationBox: Sendable {
        private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        func hold(_ waiting: CheckedContinuation<Bool, Never>) { continuation.withLock { $0 = waiting } }
        func resume(_ ran: Bool) { continuation.withLock { $0.take() }?.resume(returning: ran) }
    }

    /// The enqueue hook: stamp, mark (before the job can start), hand to Dispatch. The closure
    /// Dispatch calls brackets the job with its start and end stamps, as RecordingExecutor's
    /// threads do (no thread name: the thread is Dispatch's).
    private static let onEnqueue: @convention(c) (UnsafeMutableRawPointer) -> Void = { job in
        let enqueue = JobStamps.enqueued(job)
        sched_mark_job_enqueued(job)
        JobStamps.carry(enqueue, in: job)
        sched_dispatch_global_job(job) { job in
            let job = job.unsafelyUnwrapped  // the context is the job handed over: never nil
            let stamp = JobStamps.startingCarried(job, threadName: nil)
            sched_run_global_job(job)
            JobStamps.ended(job, stamp)
        }
    }

    private static let onTimer: @convention(c) () -> Void = {
        JobStamps.timerScheduled()
    }
}
