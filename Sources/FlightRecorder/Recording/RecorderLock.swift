// A plain mutex for the recorder's slow paths (chunk hand-over, interning, snapshots).
//
// Invariants:
// - Never taken on the per-event hot path; taken at most once per chunk by a recording thread.
// - Lock order: the fold lock before the ring lock; the string table's lock is a leaf.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// @unchecked Sendable: the pthread mutex is heap-allocated once, never moved, and is itself the
// synchronization primitive; all access goes through pthread calls.
final class RecorderLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Takes the lock if it is free.
    func tryLock() -> Bool { pthread_mutex_trylock(mutex) == 0 }

    @discardableResult
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
