// The pending work of a recording executor: a FIFO of ready jobs and a heap of timers, behind
// one mutex, with a condition variable for idle workers.
//
// Invariants:
// - Every job handed to `push` or `schedule` is taken exactly once by `take`, unless `push`
//   returned false (the queue was shut down: the caller runs or forwards it elsewhere).
// - Timers become ready in deadline order, never before their deadline (CLOCK_MONOTONIC).
// - After `shutDown`, `take` still hands out everything already queued (ready jobs and timers,
//   at their deadlines) and returns nil once nothing is left: no accepted job is dropped.
// - Only an idle worker is signalled, so a push onto a busy executor makes no system call.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A job and how to run it.
struct QueuedJob {
    enum Kind {
        /// A job enqueued on the executor as a task executor.
        case task
        /// A job of the global concurrent executor (takeover).
        case global
        /// A job whose delay has elapsed (a sleep's wake-up): runtime plumbing, not recorded.
        case timer
        /// A timer job that arrived after shutdown: due at this monotonic time.
        case delayed(UInt64)
    }

    var job: UnownedJob
    var kind: Kind
}

// @unchecked Sendable: all mutable state is accessed under `mutex`.
final class JobQueue: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var ready: [QueuedJob?] = Array(repeating: nil, count: 256)
    private var head = 0
    private var count = 0
    private var timers: [(deadline: UInt64, sequence: UInt64, job: QueuedJob)] = []
    private var timerSequence: UInt64 = 0
    private var idle = 0
    /// Workers that returned from `take` with nil (shut down and drained).
    private var finished = 0
    private var isShutDown = false

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues a ready job. Returns false after shutdown.
    func push(_ job: QueuedJob) -> Bool {
        pthread_mutex_lock(mutex)
        guard !isShutDown else {
            pthread_mutex_unlock(mutex)
            return false
        }
        if count == ready.count { grow() }
        ready[(head + count) & (ready.count - 1)] = job
        count += 1
        let wake = idle > 0
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return true
    }

    /// Queues a job that becomes ready at `deadline` (monotonic nanoseconds). False after shutdown.
    func schedule(_ job: QueuedJob, deadline: UInt64) -> Bool {
        pthread_mutex_lock(mutex)
        guard !isShutDown else {
            pthread_mutex_unlock(mutex)
            return false
        }
        timerSequence += 1
        timers.append((deadline, timerSequence, job))
        siftUp(timers.count - 1)
        let wake = idle > 0
        pthread_mutex_unlock(mutex)
        // Every idle worker re-reads the earliest deadline.
        if wake { pthread_cond_broadcast(condition) }
        return true
    }

    /// The next job to run; blocks while there is none; nil once shut down and drained.
    func take() -> QueuedJob? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while true {
            if let first = timers.first, first.deadline <= monotonicNow() {
                popTimer()
                return first.job
            }
            if count > 0 {
                let job = ready[head]
                ready[head] = nil
                head = (head + 1) & (ready.count - 1)
                count -= 1
                return job
            }
            if isShutDown && timers.isEmpty {
                finished += 1
                return nil
            }
            idle += 1
            if let first = timers.first {
                #if canImport(Glibc)
                // The condition variable runs on CLOCK_MONOTONIC (see init).
                var until = timespec(tv_sec: Int(first.deadline / 1_000_000_000),
                                     tv_nsec: Int(first.deadline % 1_000_000_000))
                pthread_cond_timedwait(condition, mutex, &until)
                #else
                let wait = first.deadline &- min(first.deadline, monotonicNow())
                var relative = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
                pthread_cond_timedwait_relative_np(condition, mutex, &relative)
                #endif
            } else {
                pthread_cond_wait(condition, mutex)
            }
            idle -= 1
        }
    }

    /// Whether `workers` threads wait in `take` with no ready job queued (timers may be pending).
    func isIdle(workers: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return count == 0 && idle == workers
    }

    /// How many workers have finished after shutdown.
    var finishedWorkers: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return finished
    }

    /// No job is accepted from now on; queued ones still run.
    func shutDown() {
        pthread_mutex_lock(mutex)
        isShutDown = true
        pthread_mutex_unlock(mutex)
        pthread_cond_broadcast(condition)
    }

    // MARK: storage

    private func grow() {
        var bigger: [QueuedJob?] = Array(repeating: nil, count: ready.count * 2)
        for i in 0..<count { bigger[i] = ready[(head + i) & (ready.count - 1)] }
        ready = bigger
        head = 0
    }

    private func earlier(_ a: Int, _ b: Int) -> Bool {
        (timers[a].deadline, timers[a].sequence) < (timers[b].deadline, timers[b].sequence)
    }

    private func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard earlier(i, parent) else { return }
            timers.swapAt(i, parent)
            i = parent
        }
    }

    private func popTimer() {
        let last = timers.removeLast()
        guard !timers.isEmpty else { return }
        timers[0] = last
        var i = 0
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < timers.count && earlier(left, smallest) { smallest = left }
            if right < timers.count && earlier(right, smallest) { smallest = right }
            if smallest == i { return }
            timers.swapAt(i, smallest)
            i = smallest
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds (the clock of timer deadlines).
func monotonicNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
