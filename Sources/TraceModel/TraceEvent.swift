// The one event model: what every reader produces and every exporter consumes.
//
// Invariants a reader guarantees to its consumer:
// - Events arrive in non-decreasing `timeNs` order. Equal timestamps keep the order in which
//   they happened (a task's `ended` state before another task's `running` at the same instant).
// - `timeNs` is in nanoseconds on the trace's own clock; `TraceMetadata.startNs` is the start
//   of the window and no event lies before it. Exporters write times relative to `startNs`.
// - A task's first event is `taskCreated` (emitted at the window start for tasks that existed
//   before it). Region begin/end pairs of one task nest; a region open at the window start is
//   reported as a `regionBegin` at `startNs`. Regions still open at the end are left open:
//   consumers close them at `TraceMetadata.endNs` (known once the stream is finished).
// - Strings and stacks are interned in `TraceTables`, which only grows while reading;
//   identifiers stay valid until the end of the stream.

/// What a task is doing. The states partition a task's lifetime: summing the time spent in
/// each gives the task's total duration within the window.
public enum TaskState: Hashable, Sendable {
    /// Executing on a thread (`TraceEvent.Kind.taskState`'s `thread`).
    case running
    /// Ready to run, waiting for a thread: scheduling wait.
    case runnable
    /// Waiting for something else to happen; the reason says what ("sleep", "chan receive",
    /// "db query", "suspended").
    case blocked(reason: StringID)
    /// In a system call or blocking I/O while holding its thread.
    case syscall
    /// Finished. No events of the task follow.
    case ended
}

public struct TraceEvent: Hashable, Sendable {
    public var timeNs: Int64
    public var kind: Kind

    @inlinable package init(timeNs: Int64, _ kind: Kind) {
        self.timeNs = timeNs
        self.kind = kind
    }

    public enum Kind: Hashable, Sendable {
        /// A thread's name became known.
        case threadName(ThreadID, name: StringID)

        /// A task came into existence (or was already alive when the window opened).
        /// `group` is what summaries group by: the task's name for named Swift tasks, the
        /// creating region for anonymous ones, the root function for goroutines. Given again for
        /// a live task, it renames the task (and regroups it) for its whole life.
        case taskCreated(TaskID, parent: TaskID, name: StringID, group: StringID, stack: StackID)

        /// A task changed state. `thread` is where it runs (for `.running`) or the thread that
        /// reported the change; `waker` is the task that made it runnable, when known; `stack`
        /// is where the task was when it changed state (blocking point), when known.
        case taskState(TaskID, TaskState, thread: ThreadID, waker: TaskID, stack: StackID)

        /// A region opened on a task (or on `thread` alone when `task` is none).
        case regionBegin(task: TaskID, thread: ThreadID, name: StringID, stack: StackID)

        /// The innermost open region of that name on that task (or thread) closed.
        case regionEnd(task: TaskID, thread: ThreadID, name: StringID)

        /// A log message.
        case log(task: TaskID, thread: ThreadID, category: StringID, message: String)

        /// CPU time the task's job that just ended consumed on `thread` (recorded when the
        /// recorder measures thread CPU time): running time minus this is time the task held
        /// its thread without using the CPU (blocking syscalls, page faults, lock waits).
        case taskCPU(TaskID, cpuNs: Int64, thread: ThreadID)

        /// A counter's value changed (heap bytes, queue depth, goroutine count...).
        case counter(name: StringID, value: Double)

        /// An actor was seen for the first time. `name` is its label, unique in the stream: the
        /// type name (`Inventory`, `MainActor`), then `Inventory #2`, ... for further instances.
        case actorCreated(ActorID, name: StringID)

        /// `task` asked to run on the actor and waits for it. It comes right after the task's
        /// `taskState(.blocked(reason: "actor <type name>"))`, and ends with the task's
        /// `actorAcquired` of the same actor (or with the task's next state change).
        case actorEnqueued(ActorID, task: TaskID)

        /// `task` runs on the actor on `thread` from now on: it holds the actor (no other task
        /// runs on it) until the matching `actorReleased`. It comes right after the task's
        /// `taskState(.running)` on that thread.
        case actorAcquired(ActorID, task: TaskID, thread: ThreadID)

        /// `task` stopped holding the actor: it hopped off, suspended inside it, or ended.
        case actorReleased(ActorID, task: TaskID)
    }
}
