// Time spent in each task state, in nanoseconds.
//
// Invariants:
// - `total` is exactly the sum of the four states; `.ended` contributes nothing (a finished
//   task spends no more time).

import TraceModel

struct StateTimes: Equatable, Sendable {
    var runningNs: Int64 = 0
    var runnableNs: Int64 = 0
    var blockedNs: Int64 = 0
    var syscallNs: Int64 = 0

    init() {}

    var totalNs: Int64 { runningNs + runnableNs + blockedNs + syscallNs }

    @inline(__always)
    mutating func add(_ state: TaskState, _ ns: Int64) {
        switch state {
        case .running: runningNs += ns
        case .runnable: runnableNs += ns
        case .blocked: blockedNs += ns
        case .syscall: syscallNs += ns
        case .ended: break
        }
    }

    mutating func add(_ other: StateTimes) {
        runningNs += other.runningNs
        runnableNs += other.runnableNs
        blockedNs += other.blockedNs
        syscallNs += other.syscallNs
    }
}
