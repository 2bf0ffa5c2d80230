// A TaskExecutor (SE-0417) with a fixed number of threads, the counterpart of GOMAXPROCS in
// Go's scheduler, that records the scheduling of every job it runs: enqueued (the task is
// runnable), started on thread T (running), ended (blocked with a reason, or ended).
//
// Use it as a task's executor preference; child tasks, async let, task groups and resumptions
// after `Task.sleep` inherit it:
//
//     let executor = RecordingExecutor(threads: 2)
//     await withTaskExecutorPreference(executor) { ... }
//     Task(executorPreference: executor) { ... }
//
// Invariants:
// - Every job handed to `enqueue` runs exactly once, on one of the executor's threads, whether
//   or not a recorder records (recording only adds stamps, see JobStamps).
// - It is also a SchedulingExecutor: `Task.sleep` in a task that prefers this executor hands
//   its wake-up job here with a deadline. That call, made by the sleeping task's own job, is how
//   the end of that job is known to be a block for "sleep"; the wake-up task is runtime
//   plumbing: it runs here at its deadline, unrecorded (it may hop to the global executor to
//   resume the sleeper), and the sleeper it resumes gets waker 0 (a timer).
// - A task whose job here ends by hopping to an executor that records nothing (the main actor,
//   an actor with a custom executor) is recorded as runnable from the job's end until it comes
//   back (its time there is not split into waiting and running). Known limit: if it is already
//   running there when its job here returns, it stays recorded as running on this thread.
// - Delays are honoured for clocks whose Duration is `Swift.Duration` (ContinuousClock,
//   SuspendingClock: what Task.sleep uses), measured on CLOCK_MONOTONIC; a job for another
//   clock runs without delay.
// - `shutdown()` stops the threads once queued jobs and timers have run; a job that arrives
//   later still runs, alone on a thread of its own (slow, never lost).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@_spi(ExperimentalScheduling) import _Concurrency
import CFlightRecorder

public final class RecordingExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: the queue synchronizes itself; everything else is immutable.

    /// Number of threads running jobs.
    public let threadCount: Int
    /// Thread name prefix: threads are "<name>-0", "<name>-1", ...
    public let name: String

    let queue = JobQueue()

    /// An executor with `threads` threads (at least 1) named "<name>-<index>".
    public init(threads: Int = 2, name: String = "tracexport-worker") {
        self.threadCount = max(1, threads)
        self.name = name
        for i in 0..<threadCount { WorkerThread.spawn(for: self, index: i, name: "\(name)-\(i)") }
    }

    // MARK: TaskExecutor

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let raw = unsafeBitCast(unowned, to: UnsafeMutableRawPointer.self)
        let stamp = JobStamps.enqueued(raw)
        sched_mark_job_enqueued(raw)
        let queued = QueuedJob(job: unowned, kind: .task, stamp: stamp)
        if !queue.push(queued) { WorkerThread.runAlone(queued, for: self) }
    }

    func schedule(_ job: UnownedJob, afterNanoseconds delay: UInt64, kind: QueuedJob.Kind) {
        JobStamps.timerScheduled(unsafeBitCast(job, to: UnsafeMutableRawPointer.self))
        let deadline = monotonicNow() &+ delay
        let queued = QueuedJob(job: job, kind: kind)
        if !queue.schedule(queued, deadline: deadline) {
            // After shutdown: wait out the delay on a thread of its own.
            WorkerThread.runAlone(QueuedJob(job: job, kind: .delayed(deadline)), for: self)
        }
    }

    static func nanoseconds<D: DurationProtocol>(_ delay: D) -> UInt64 {
        guard let duration = delay as? Duration, duration > .zero else { return 0 }
        let (seconds, attoseconds) = duration.components
        return UInt64(clamping: seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }

    // MARK: lifecycle

    /// Stops accepting jobs; queued jobs and timers still run, then the threads exit.
    public func shutdown() {
        queue.shutDown()
    }

    /// Waits until every thread is idle and no job is ready (for tests: after it, every job
    /// that ran has written its end stamp), for at most `limit`; returns whether it became
    /// idle, so a job that never ends fails a test instead of hanging it. Timers may still be
    /// pending.
    func waitUntilIdle(limit: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + limit
        while !queue.isIdle(workers: threadCount) {
            if ContinuousClock.now >= deadline { return false }
            usleep(200)
        }
        return true
    }

    /// Whether every thread has exited after `shutdown()` (every accepted job has run).
    var hasStopped: Bool { queue.finishedWorkers == threadCount }

    // MARK: workers

    /// A worker thread's loop (see WorkerThreads).
    func workerLoop(name: UnsafeRawBufferPointer) {
        let executor = asUnownedTaskExecutor()
        while let next = queue.take() { run(next, on: executor, threadName: name) }
    }

    /// Runs one job with its stamps.
    func run(_ next: QueuedJob, threadName name: UnsafeRawBufferPointer?) {
        run(next, on: asUnownedTaskExecutor(), threadName: name)
    }

    @inline(__always)
    private func run(_ next: QueuedJob, on executor: UnownedTaskExecutor, threadName name: UnsafeRawBufferPointer?) {
        let raw = unsafeBitCast(next.job, to: UnsafeMutableRawPointer.self)
        switch next.kind {
        case .task:
            let stamp = JobStamps.starting(raw, enqueue: next.stamp, threadName: name)
            next.job.runSynchronously(on: executor)
            JobStamps.ended(raw, stamp)
        case .timer:
            JobStamps.startingTimer()
            next.job.runSynchronously(on: executor)
            JobStamps.endedTimer()
        case .delayed(let deadline):
            let now = monotonicNow()
            if deadline > now { usleep(useconds_t(min((deadline - now) / 1000, UInt64(UInt32.max)))) }
            run(QueuedJob(job: next.job, kind: .timer), on: executor, threadName: name)
        }
    }
}

// The conformance is SPI because the protocol is (Swift 6.3: `@_spi(ExperimentalScheduling)`);
// the runtime finds it dynamically, so `Task.sleep` uses it whatever the caller imports.
@_spi(ExperimentalScheduling)
extension RecordingExecutor: SchedulingExecutor {
    public func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration,
                                  tolerance: C.Duration?, clock: C) {
        schedule(UnownedJob(job), afterNanoseconds: Self.nanoseconds(delay), kind: .timer)
    }

    public func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant,
                                  tolerance: C.Duration?, clock: C) {
        schedule(UnownedJob(job), afterNanoseconds: Self.nanoseconds(clock.now.duration(to: instant)), kind: .timer)
    }
}
