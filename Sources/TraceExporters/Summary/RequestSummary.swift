// The summary's "Slow request" section: the request the trigger names (in a Go trace, the
// longest user task), its wall time, the critical path of that wall time (what the request's end
// waited on, CriticalPath says how), and the wall time split by state over the request's task
// and every task it spawned (RequestBreakdown says how).
//
// Invariants:
// - `times.totalNs == wallNs == endNs - startNs`: the split adds up to the wall time exactly.
// - `ownTask.totalNs == wallNs` too: the request task is in one state at every instant.
// - `top` holds at most five contributors, each with a positive time, largest first (ties:
//   group, then state label, ascending); their times are parts of `times`.
// - `criticalPath.totalNs == wallNs`: its parts, ordered as `top`, tile the wall time.

/// What a member task was doing while it received a share of the wall time.
enum RequestState: Hashable, Sendable {
    case running
    /// Running while holding an actor (critical path parts only): the actor's label.
    case runningOnActor(String)
    case runnable
    case blocked(reason: String)
    case syscall

    /// The state's name as in the other outputs: "running", "runnable", "blocked", "syscall".
    var name: String {
        switch self {
        case .running, .runningOnActor: "running"
        case .runnable: "runnable"
        case .blocked: "blocked"
        case .syscall: "syscall"
        }
    }

    /// The reason of a blocked state; nil for the others.
    var reason: String? {
        if case .blocked(let reason) = self { return reason }
        return nil
    }

    /// The actor held while running; nil for the other states.
    var actor: String? {
        if case .runningOnActor(let actor) = self { return actor }
        return nil
    }

    /// "running", "running on actor Inventory", "waiting for a thread", "blocked: sleep", "syscall".
    var label: String {
        switch self {
        case .running: "running"
        case .runningOnActor(let actor): "running on actor " + actor
        case .runnable: "waiting for a thread"
        case .blocked(let reason): reason.isEmpty ? "blocked" : "blocked: " + reason
        case .syscall: "syscall"
        }
    }
}

/// One (task group, state) pair and the share of the wall time it received.
struct RequestContributor: Sendable, Equatable {
    var group: String
    var state: RequestState
    var ns: Int64

    init(group: String, state: RequestState, ns: Int64) {
        self.group = group
        self.state = state
        self.ns = ns
    }

    /// Largest first; ties by group, then state label, ascending.
    static func largestFirst(_ a: RequestContributor, _ b: RequestContributor) -> Bool {
        if a.ns != b.ns { return a.ns > b.ns }
        if a.group != b.group { return a.group < b.group }
        return a.state.label < b.state.label
    }
}

struct RequestSummary: Sendable, Equatable {
    /// How the request was found.
    enum ChosenBy: String, Sendable {
        /// The snapshot's trigger names its task.
        case trigger
        /// The longest user task no other user task contains (a Go trace has no trigger).
        case longestUserTask = "longest user task"
    }

    /// The request's task id (the trigger's `task` field).
    var task: UInt64
    /// The task's name (`METHOD route`), or the trigger's method and route when the task had none.
    var name: String
    var chosenBy: ChosenBy
    /// On the trace's clock: the task's creation (or the window start), and its end (or the
    /// window end when `ended` is false).
    var startNs: Int64
    var endNs: Int64
    var ended: Bool
    /// The request's task and its descendants seen while it lasted.
    var tasks: Int
    /// The wall time by state; blocked reasons by name, ascending.
    var times: StateTotals
    /// The request task's own states over the wall time (a logical task's: the states of the
    /// task serving it), whole; blocked reasons by name, ascending. Totals the wall time.
    var ownTask: StateTotals
    var top: [RequestContributor]
    /// What the request's end waited on (CriticalPath); its parts total the wall time.
    var criticalPath: CriticalPath

    var wallNs: Int64 { endNs - startNs }
}
