// Writes an OutputBuffer's full buffers to its file descriptor on a thread of its own, so the
// exporter's thread does not wait in write(2): for a large output the kernel's copy into the
// page cache costs about as much as producing the bytes.
//
// Invariants:
// - Buffers are written in the order they were handed over, each whole, to the one descriptor.
// - At most `depth` full buffers wait; a producer ahead of the disk blocks in `handOff`, so
//   memory stays `depth + 1` buffers whatever the output's size. Written buffers come back
//   emptied (capacity kept) for the producer to fill again: no allocation per buffer.
// - The first write error is kept and thrown by the next `handOff` or `drain`; buffers after
//   it are dropped, not written.
// - `drain` returns once every buffer handed over has been written (or dropped after an error).
// - The lock is taken once per buffer (hundreds of KiB), never per byte.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

final class BackgroundWriter {
    private let state: State

    /// Nil when no thread can be started (the caller then writes in place).
    init?(fileDescriptor: Int32, depth: Int = 3) {
        let state = State(fileDescriptor: fileDescriptor, depth: depth)
        guard state.startThread() else { return nil }
        self.state = state
    }

    deinit { state.close() }

    /// Queues `buffer` to be written; returns an empty buffer to fill next.
    func handOff(_ buffer: [UInt8]) throws(OutputError) -> [UInt8] {
        try state.put(buffer)
    }

    /// Waits until everything handed over is written.
    func drain() throws(OutputError) {
        try state.drain()
    }

    // @unchecked Sendable: every mutable field is read and written under `mutex` only; the
    // writer thread and the producer share nothing else.
    private final class State: @unchecked Sendable {
        let fileDescriptor: Int32
        let depth: Int
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private let changed: UnsafeMutablePointer<pthread_cond_t>
        private var full: [[UInt8]] = []
        private var free: [[UInt8]] = []
        /// A buffer taken off `full` and being written.
        private var writing = false
        private var closed = false
        private var failure: OutputError?

        init(fileDescriptor: Int32, depth: Int) {
            self.fileDescriptor = fileDescriptor
            self.depth = max(depth, 1)
            mutex = .allocate(capacity: 1)
            mutex.initialize(to: pthread_mutex_t())
            pthread_mutex_init(mutex, nil)
            changed = .allocate(capacity: 1)
            changed.initialize(to: pthread_cond_t())
            pthread_cond_init(changed, nil)
        }

        deinit {
            pthread_cond_destroy(changed)
            pthread_mutex_destroy(mutex)
            changed.deallocate()
            mutex.deallocate()
        }

        func startThread() -> Bool {
            startDetachedThread { [self] in run() }
        }

        func put(_ buffer: [UInt8]) throws(OutputError) -> [UInt8] {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while full.count >= depth && failure == nil { pthread_cond_wait(changed, mutex) }
            if let failure { throw failure }
            full.append(buffer)
            pthread_cond_broadcast(changed)
            if let recycled = free.popLast() { return recycled }
            var fresh: [UInt8] = []
            fresh.reserveCapacity(buffer.capacity)
            return fresh
        }

        func drain() throws(OutputError) {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while (!full.isEmpty || writing) && failure == nil { pthread_cond_wait(changed, mutex) }
            if let failure { throw failure }
        }

        func close() {
            pthread_mutex_lock(mutex)
            closed = true
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }

        /// The writer thread: takes full buffers in order until closed and drained.
        private func run() {
            pthread_mutex_lock(mutex)
            while true {
                while full.isEmpty && !closed { pthread_cond_wait(changed, mutex) }
                if full.isEmpty { break }  // closed and drained
                var buffer = full.removeFirst()
                let failed = failure != nil
                writing = true
                pthread_mutex_unlock(mutex)
                let error = failed ? nil : writeAll(buffer, to: fileDescriptor)
                buffer.removeAll(keepingCapacity: true)
                pthread_mutex_lock(mutex)
                writing = false
                if failure == nil, let error { failure = error }
                if free.count < depth { free.append(buffer) }
                pthread_cond_broadcast(changed)
            }
            pthread_mutex_unlock(mutex)
        }
    }
}
