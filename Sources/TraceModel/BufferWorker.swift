// Runs one piece of work per byte buffer on a thread of its own, in the order the buffers are
// handed over, while the caller fills the next: the CLI's output writes (`OutputBuffer` with
// `writesInBackground`) and perfetto's deflate.
//
// Invariants:
// - Buffers are worked on one at a time, in the order they were submitted; their results
//   (what `work` left in its second argument, when not empty) come back in that order.
// - At most `depth` buffers wait: a caller ahead of the worker blocks in `submit`, so memory
//   stays a few buffers whatever the input's size. Buffers are recycled emptied (capacity
//   kept): no allocation per buffer once warm.
// - The first error `work` returns is kept and thrown by the next `submit` or `drain`; buffers
//   after it are dropped, not worked on.
// - `drain` returns once every buffer submitted has been worked on.
// - The lock is taken a few times per buffer (tens to hundreds of KiB), never per byte.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package final class BufferWorker {
    /// Turns a buffer into its result (left empty when there is none); an error stops the work.
    package typealias Work = @Sendable (_ input: [UInt8], _ result: inout [UInt8]) -> OutputError?

    private let state: State

    /// Nil when no thread can be started (the caller then works in place).
    package init?(depth: Int, work: @escaping Work) {
        let state = State(depth: depth, work: work)
        guard startDetachedThread({ state.run() }) else { return nil }
        self.state = state
    }

    deinit { state.close() }

    /// Queues `buffer`; returns an emptied buffer to fill next and the results ready so far.
    package func submit(_ buffer: [UInt8]) throws(OutputError) -> (next: [UInt8], results: [[UInt8]]) {
        try state.submit(buffer)
    }

    /// Waits until every buffer submitted is worked on; returns the results not yet taken.
    package func drain() throws(OutputError) -> [[UInt8]] {
        try state.drain()
    }

    /// Gives results back once consumed, to be filled again.
    package func recycle(_ buffers: [[UInt8]]) {
        state.recycle(buffers)
    }

    // @unchecked Sendable: every mutable field is read and written under `mutex` only; `work`
    // runs on the worker's thread only.
    private final class State: @unchecked Sendable {
        let depth: Int
        let work: Work
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>
        private let changed: UnsafeMutablePointer<pthread_cond_t>
        private var pending: [[UInt8]] = []
        private var results: [[UInt8]] = []
        private var spare: [[UInt8]] = []
        /// A buffer taken off `pending` and being worked on.
        private var working = false
        private var closed = false
        private var failure: OutputError?

        init(depth: Int, work: @escaping Work) {
            self.depth = max(depth, 1)
            self.work = work
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

        func submit(_ buffer: [UInt8]) throws(OutputError) -> (next: [UInt8], results: [[UInt8]]) {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while pending.count >= depth && failure == nil { pthread_cond_wait(changed, mutex) }
            if let failure { throw failure }
            pending.append(buffer)
            pthread_cond_broadcast(changed)
            var next = spare.popLast() ?? []
            if next.capacity == 0 { next.reserveCapacity(buffer.capacity) }
            return (next, takeResults())
        }

        func drain() throws(OutputError) -> [[UInt8]] {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            while (!pending.isEmpty || working) && failure == nil { pthread_cond_wait(changed, mutex) }
            if let failure { throw failure }
            return takeResults()
        }

        func recycle(_ buffers: [[UInt8]]) {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            for var buffer in buffers { keep(&buffer) }
        }

        func close() {
            pthread_mutex_lock(mutex)
            closed = true
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
        }

        /// Under `mutex`.
        private func takeResults() -> [[UInt8]] {
            defer { results.removeAll(keepingCapacity: true) }
            return results
        }

        /// Under `mutex`: keeps an emptied buffer for reuse, a bounded number of them.
        private func keep(_ buffer: inout [UInt8]) {
            guard spare.count < 2 * depth + 2 else { return }
            buffer.removeAll(keepingCapacity: true)
            spare.append(buffer)
        }

        /// The worker's thread: works on pending buffers in order until closed and drained.
        func run() {
            pthread_mutex_lock(mutex)
            while true {
                while pending.isEmpty && !closed { pthread_cond_wait(changed, mutex) }
                if pending.isEmpty { break }  // closed and drained
                var input = pending.removeFirst()
                var result = spare.popLast() ?? []
                let failed = failure != nil
                working = true
                pthread_mutex_unlock(mutex)
                let error = failed ? nil : work(input, &result)
                pthread_mutex_lock(mutex)
                working = false
                if failure == nil, let error { failure = error }
                if result.isEmpty { keep(&result) } else { results.append(result) }
                keep(&input)
                pthread_cond_broadcast(changed)
            }
            pthread_mutex_unlock(mutex)
        }
    }
}
