// The OS threads of a recording executor: each named "<prefix>-<index>" and running jobs from
// the executor's queue until it is shut down and drained.
//
// Invariants:
// - A worker holds its executor strongly until its loop ends, so an executor lives while any
//   of its threads does; threads are detached and end on their own after shutdown.
// - A job that arrives after shutdown runs alone on a thread of its own (slow, but it runs:
//   a task that prefers a shut-down executor can still be resumed).
// - The OS keeps 15 bytes of a thread name: the worker sets that, and the recorder writes the
//   full name into each of the worker's chunks (`JobStamps.announce`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder

// @unchecked Sendable: immutable after init; `name` is read only by the worker's own thread.
final class WorkerThread: @unchecked Sendable {
    let executor: RecordingExecutor
    let index: Int
    /// The full name, NUL-free UTF-8, kept for the life of the thread.
    let name: UnsafeMutableRawBufferPointer

    private init(executor: RecordingExecutor, index: Int, name: String) {
        self.executor = executor
        self.index = index
        let bytes = Array(name.utf8)
        self.name = .allocate(byteCount: bytes.count, alignment: 1)
        self.name.copyBytes(from: bytes)
    }

    deinit { name.deallocate() }

    /// Starts one detached worker thread for `executor`.
    static func spawn(for executor: RecordingExecutor, index: Int, name: String) {
        let worker = WorkerThread(executor: executor, index: index, name: name)
        let context = Unmanaged.passRetained(worker).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let worker = Unmanaged<WorkerThread>.fromOpaque(raw!).takeRetainedValue()
            worker.run()
            return nil
        }, context)
        precondition(rc == 0, "RecordingExecutor: pthread_create failed (\(rc))")
        pthread_detach(thread)
    }

    /// Runs one job on a new detached thread (a job that arrived after shutdown).
    static func runAlone(_ job: QueuedJob, for executor: RecordingExecutor) {
        final class Orphan {
            let executor: RecordingExecutor
            let job: QueuedJob
            init(_ executor: RecordingExecutor, _ job: QueuedJob) {
                self.executor = executor
                self.job = job
            }
        }
        let context = Unmanaged.passRetained(Orphan(executor, job)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let orphan = Unmanaged<Orphan>.fromOpaque(raw!).takeRetainedValue()
            orphan.executor.run(orphan.job, threadName: nil)
            return nil
        }, context)
        precondition(rc == 0, "RecordingExecutor: pthread_create failed (\(rc))")
        pthread_detach(thread)
    }

    private func run() {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: name.count + 1) { c in
            for i in 0..<name.count { c[i] = CChar(bitPattern: name[i]) }
            c[name.count] = 0
            fr_set_thread_name(c.baseAddress!)
        }
        executor.workerLoop(name: UnsafeRawBufferPointer(name))
    }
}
