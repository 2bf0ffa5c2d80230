// A bounded, ordered hand-off of batches from one producer thread to one consumer thread.
//
// Invariants:
// - At most `capacity` batches wait in the queue: a producer ahead of its consumer blocks in
//   `put`, so memory does not grow with the input.
// - Batches come out in the order they were put.
// - `close()` (the producer is done) lets the consumer drain what is queued, then `take`
//   returns nil. `cancel()` (the consumer left) drops what is queued and makes every `put`
//   return false at once, so a producer never stays blocked on a consumer that is gone.
// - The lock is taken once per batch, never per event.
// - A producer blocked on a full queue is woken once the consumer has taken it down to
//   `lowWater` batches, not at every take: when the consumer is the slower side, the producer
//   then refills several batches per wake-up instead of paying a sleep and a wake per batch.
//   No wake-up is lost: the producer only waits on a full queue, and a consumer with batches
//   queued keeps taking without waiting until it reaches `lowWater` (or cancels, which wakes
//   everyone).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

// @unchecked Sendable: every mutable field is read and written under `mutex` only.
final class HandOff<Batch: Sendable>: @unchecked Sendable {
    let capacity: Int
    /// A take that leaves this many batches or fewer wakes a waiting producer.
    private let lowWater: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let notEmpty: UnsafeMutablePointer<pthread_cond_t>
    private let notFull: UnsafeMutablePointer<pthread_cond_t>
    /// Ring of `capacity` slots; `count` batches from `head` are queued.
    private var slots: [Batch?]
    private var head = 0
    private var count = 0
    private var closed = false
    private var cancelled = false

    /// The result of a take that waits at most a given time.
    enum Timed {
        case batch(Batch)
        /// Closed and drained: the producer put its last batch.
        case ended
        case timedOut
    }

    init(capacity: Int) {
        precondition(capacity > 0, "a hand-off needs room for one batch")
        self.capacity = capacity
        lowWater = capacity / 2
        slots = [Batch?](repeating: nil, count: capacity)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        notEmpty = .allocate(capacity: 1)
        notFull = .allocate(capacity: 1)
        for condition in [notEmpty, notFull] { initializeMonotonicCondition(condition) }
    }

    deinit {
        for condition in [notEmpty, notFull] {
            pthread_cond_destroy(condition)
            condition.deinitialize(count: 1)
            condition.deallocate()
        }
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Queues `batch`, waiting while the queue is full. False (and `batch` dropped) once the
    /// consumer cancelled.
    func put(_ batch: Batch) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == capacity && !cancelled { pthread_cond_wait(notFull, mutex) }
        guard !cancelled else { return false }
        precondition(!closed, "put after close")
        slots[(head + count) % capacity] = batch
        count += 1
        pthread_cond_signal(notEmpty)
        return true
    }

    /// Queues `batch` if there is room, without waiting; false (and `batch` dropped) when full
    /// or cancelled.
    @discardableResult
    func offer(_ batch: Batch) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard count < capacity, !cancelled, !closed else { return false }
        slots[(head + count) % capacity] = batch
        count += 1
        pthread_cond_signal(notEmpty)
        return true
    }

    /// The next batch if one is queued, without waiting.
    func poll() -> Batch? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return popLocked()
    }

    /// The next batch, waiting while none is queued; nil once closed and drained (or cancelled).
    func take() -> Batch? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !closed && !cancelled { pthread_cond_wait(notEmpty, mutex) }
        return popLocked()
    }

    /// The next batch, waiting at most `timeoutNs` for one.
    func take(timeoutNs: Int64) -> Timed {
        var deadline = timespec()
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        let total = Int64(deadline.tv_nsec) + timeoutNs
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count == 0 && !closed && !cancelled {
            #if canImport(Glibc)
            if pthread_cond_timedwait(notEmpty, mutex, &deadline) == ETIMEDOUT { break }
            #else
            // Darwin's condition variables measure against the wall clock; a relative wait
            // keeps the bound.
            var relative = timespec(tv_sec: Int(timeoutNs / 1_000_000_000), tv_nsec: Int(timeoutNs % 1_000_000_000))
            if pthread_cond_timedwait_relative_np(notEmpty, mutex, &relative) == ETIMEDOUT { break }
            #endif
        }
        if let batch = popLocked() { return .batch(batch) }
        return closed || cancelled ? .ended : .timedOut
    }

    private func popLocked() -> Batch? {
        guard count > 0, !cancelled else { return nil }
        let batch = slots[head].take()
        head = (head + 1) % capacity
        count -= 1
        if count <= lowWater { pthread_cond_signal(notFull) }
        return batch
    }

    /// The producer is done: what is queued is still handed out, then `take` returns nil.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(notEmpty)
        pthread_mutex_unlock(mutex)
    }

    /// The consumer is gone: queued batches are dropped and the producer's `put` fails.
    func cancel() {
        pthread_mutex_lock(mutex)
        cancelled = true
        for i in slots.indices { slots[i] = nil }
        count = 0
        pthread_cond_broadcast(notFull)
        pthread_cond_broadcast(notEmpty)
        pthread_mutex_unlock(mutex)
    }
}
