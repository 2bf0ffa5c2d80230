// A background thread that folds evicted chunks that must be read whole (task, scheduling and
// async-region records: ~50-150 us for a 64 KiB chunk), so that the thread whose seal evicted
// them does not pay that in the middle of its work. Chunks that fold cheaply (logs, counters,
// synchronous regions: a few KiB read at most) are folded by the evicting thread instead:
// waking this thread would cost it more (`RecorderCore.inlineFoldCost`).
//
// Invariants:
// - One worker per recording: created by `start()`, stopped and joined by `stop()` (after the
//   ring locks are released; the worker takes the fold lock itself).
// - `wake()` is a mutex and a condition signal (a futex call when the worker sleeps), so writers
//   call it once per `RecorderCore.foldWakeBatch` evicted chunks, not per chunk.
// - The worker is an optimisation, not a requirement: snapshots fold what they need themselves,
//   and a writer folds synchronously when the queue is longer than `RecorderCore.foldBacklog`
//   (back-pressure, so memory stays bounded when the worker cannot keep up).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class FoldWorker: @unchecked Sendable {
    // @unchecked Sendable: `pending` and `stopping` are accessed only under `mutex`; `thread` is
    // written once in `init` and read by `stop`, which the owner calls once.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending = false
    private var wakeUps = 0
    private var stopping = false
    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif
    private var started = false

    init(core: RecorderCore) {
        mutex.initialize(to: pthread_mutex_t())
        condition.initialize(to: pthread_cond_t())
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        let context = Unmanaged.passRetained(Context(worker: self, core: core)).toOpaque()
        started = pthread_create(&thread, nil, { raw in
            let context = Unmanaged<Context>.fromOpaque(raw!).takeRetainedValue()
            context.worker.run(context.core)
            return nil
        }, context) == 0
        if !started { Unmanaged<Context>.fromOpaque(context).release() }
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private final class Context {
        let worker: FoldWorker
        let core: RecorderCore
        init(worker: FoldWorker, core: RecorderCore) {
            self.worker = worker
            self.core = core
        }
    }

    /// Whether the thread runs (otherwise writers fold for themselves).
    var isRunning: Bool { started }

    /// How many times `wake()` was called (for tests).
    var wakeUpCount: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return wakeUps
    }

    func wake() {
        pthread_mutex_lock(mutex)
        pending = true
        wakeUps += 1
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Stops the thread and waits for it.
    func stop() {
        guard started else { return }
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
        #if canImport(Darwin)
        if let thread { pthread_join(thread, nil) }
        #else
        pthread_join(thread, nil)
        #endif
        started = false
    }

    private func run(_ core: RecorderCore) {
        fr_set_thread_name("fr-fold")
        while true {
            pthread_mutex_lock(mutex)
            while !pending && !stopping { pthread_cond_wait(condition, mutex) }
            let exit = stopping
            pending = false
            pthread_mutex_unlock(mutex)
            if exit { return }
            core.drainFoldQueue(wait: true)
        }
    }
}

import CFlightRecorder
