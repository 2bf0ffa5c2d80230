// Blocking calls: work that holds its thread while waiting (a blocking read, `nanosleep`, a
// synchronous database driver, a contended lock), shown as the task's `syscall` state.
//
// Invariants:
// - Only a job that a recording executor stamped as running on this thread changes state: the
//   task goes to syscall before `body` and back to running after it, on this thread. Elsewhere
//   (plain threads, unrecorded executors) only the region is written, since a state change
//   with no surrounding job stamps would leave the task "running" until the window ends.
// - The region names the call, so summaries and flame graphs say what the syscall time was.

public import CFlightRecorderFastPath

extension Trace {
    /// Runs the blocking `body` as a system call of the current task, inside a region named `name`.
    @inlinable
    public static func withBlockingCall<R, E: Error>(_ name: StaticString, _ body: () throws(E) -> R) throws(E) -> R {
        guard fr_is_recording() else { return try body() }
        let task = TaskIdentity.current
        let stamped = TaskIdentity.stampedRunningTask
        Emit.regionBegin(task: task, name: name, stack: Self.stack())
        if stamped != 0 { Emit.taskSyscall(task: stamped) }
        defer {
            if stamped != 0 { Emit.taskRunning(task: stamped) }
            Emit.regionEnd(task: task, name: name)
        }
        return try body()
    }
}
