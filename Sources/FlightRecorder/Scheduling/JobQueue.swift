// The pending work of a recording executor: a FIFO of ready jobs and a heap of timers, behind
// one mutex, with a condition variable for idle workers.
//
// Invariants:
// - Every job handed to `push` or `schedule` is taken exactly once by `take`, unless `push`
//   returned false (the queue was shut down: the caller runs or forwards it elsewhere).
// - Timers become ready in deadline order, never before their deadline (CLOCK_MONOTONIC).
// - After `shutDown`, `take` still hands out everything already queued (ready jobs and timers,
//   at their deadlines) and returns nil once nothing is left: no accepted job is dropped.
// - Only an idle worker is signalled, so a push onto a busy executor makes no system call: a
//   worker that enqueues onto its own executor (a yield, a resumption) takes the mutex once to
//   push and once to take, uncontended, and never wakes itself.
// - The state lives behind a pointer, not in stored properties: Swift's dynamic exclusivity
//   checks (a runtime call and a thread-local access set per property access) would otherwise
//   cost more than the mutex; the mutex is what makes the accesses exclusive.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

/// A job and how to run it.
struct QueuedJob {
    enum Kind {
        /// A job enqueued on the executor as a task executor.
        case task
        /// A job whose delay has elapsed (a sleep's wake-up): runtime plumbing, not recorded.
        case timer
        /// A timer job that arrived after shutdown: due at this monotonic time.
        case delayed(UInt64)
    }

    var job: UnownedJob
    var kind: Kind
    /// What the enqueue stamp learnt, for the start stamp (empty when nothing was stamped).
    var stamp = EnqueueStamp()
}

// @unchecked Sendable: all mutable state is accessed under `mutex`.
final class JobQueue: @unchecked Sendable {
    private struct State {
        /// Ring of `capacity` slots (a power of two); `count` jobs from `head` are initialized.
        var ready: UnsafeMutablePointer<QueuedJob>
        var capacity: Int
        var head = 0
        var count = 0
        var timers: [(deadline: UInt64, sequence: UInt64, job: QueuedJob)] = []
        var timerSequence: UInt64 = 0
        var idle = 0
        /// Workers that returned from `take` with nil (shut down and drained).
        var finished = 0
        var isShutDown = false
    }

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let state: UnsafeMutablePointer<State>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        initializeMonotonicCondition(condition)
        state = .allocate(capacity: 1)
        state.initialize(to: State(ready: .allocate(capacity: 256), capacity: 256))
    }

    deinit {
        // QueuedJob is trivial: the ring's slots need no deinitialization.
        state.pointee.ready.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Queues a ready job. Returns false after shutdown.
    func push(_ job: QueuedJob) -> Bool {
        pthread_mutex_lock(mutex)
        let s = state
        guard !s.pointee.isShutDown else {
            pthread_mutex_unlock(mutex)
            return false
        }
        if s.pointee.count == s.pointee.capacity { grow() }
        let slot = (s.pointee.head &+ s.pointee.count) & (s.pointee.capacity &- 1)
        (s.pointee.ready + slot).initialize(to: job)
        s.pointee.count &+= 1
        let wake = s.pointee.idle > 0
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
        return true
    }

    /// Queues a job that becomes ready at `deadline` (monotonic nanoseconds). False after shutdown.
    func schedule(_ job: QueuedJob, deadline: UInt64) -> Bool {
        pthread_mutex_lock(mutex)
        let s = state
        guard !s.pointee.isShutDown else {
            pthread_mutex_unlock(mutex)
            return false
        }
        s.pointee.timerSequence += 1
        s.pointee.timers.append((deadline, s.pointee.timerSequence, job))
        siftUp(s.pointee.timers.count - 1)
        let wake = s.pointee.idle > 0
        pthread_mutex_unlock(mutex)
        // Every idle worker re-reads the earliest deadline.
        if wake { pthread_cond_broadcast(condition) }
        return true
    }

    /// The next job to run; blocks while there is none; nil once shut down and drained.
    func take() -> QueuedJob? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let s = state
        while true {
            if !s.pointee.timers.isEmpty, s.pointee.timers[0].deadline <= monotonicNow() {
                return popTimer()
            }
            if s.pointee.count > 0 {
                let job = (s.pointee.ready + s.pointee.head).move()
                s.pointee.head = (s.pointee.head &+ 1) & (s.pointee.capacity &- 1)
                s.pointee.count &-= 1
                return job
            }
            if s.pointee.isShutDown && s.pointee.timers.isEmpty {
                s.pointee.finished += 1
                return nil
            }
            s.pointee.idle += 1
            if let first = s.pointee.timers.first {
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
            s.pointee.idle -= 1
        }
    }

    /// Whether `workers` threads wait in `take` with no ready job queued (timers may be pending).
    func isIdle(workers: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return state.pointee.count == 0 && state.pointee.idle == workers
    }

    /// How many workers have finished after shutdown.
    var finishedWorkers: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return state.pointee.finished
    }

    /// No job is accepted from now on; queued ones still run.
    func shutDown() {
        pthread_mutex_lock(mutex)
        state.pointee.isShutDown = true
        pthread_mutex_unlock(mutex)
        pthread_cond_broadcast(condition)
    }

    // MARK: storage

    /// Doubles the ring, keeping FIFO order (under the mutex).
    private func grow() {
        let s = state
        let old = s.pointee.ready, capacity = s.pointee.capacity
        let bigger = UnsafeMutablePointer<QueuedJob>.allocate(capacity: capacity * 2)
        for i in 0..<s.pointee.count {
            (bigger + i).moveInitialize(from: old + ((s.pointee.head + i) & (capacity - 1)), count: 1)
        }
        old.deallocate()
        s.pointee.ready = bigger
        s.pointee.capacity = capacity * 2
        s.pointee.head = 0
    }

    private func earlier(_ a: Int, _ b: Int) -> Bool {
        let s = state
        return (s.pointee.timers[a].deadline, s.pointee.timers[a].sequence)
            < (s.pointee.timers[b].deadline, s.pointee.timers[b].sequence)
    }

    private func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard earlier(i, parent) else { return }
            state.pointee.timers.swapAt(i, parent)
            i = parent
        }
    }

    /// Removes and returns the earliest timer's job (the heap is not empty).
    private func popTimer() -> QueuedJob {
        let first = state.pointee.timers[0].job
        let last = state.pointee.timers.removeLast()
        let count = state.pointee.timers.count
        guard count > 0 else { return first }
        state.pointee.timers[0] = last
        var i = 0
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < count && earlier(left, smallest) { smallest = left }
            if right < count && earlier(right, smallest) { smallest = right }
            if smallest == i { return first }
            state.pointee.timers.swapAt(i, smallest)
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
