// Test support for the scheduling capture: a snapshot's task records replayed into per-task
// time spent in each state, and the order checks the executor promises.
//
// Invariants: only reads a decoded snapshot; times are converted with the snapshot's clock.

@testable import FlightRecorder
import Testing
import TraceFormat

/// One task as its records describe it.
struct TaskHistory {
    var id: UInt64
    var parent: UInt64?
    var name: String?
    var created = false
    var ended = false
    /// Nanoseconds in each state, summed over the task's life in the window.
    var runningNs: Double = 0
    var runnableNs: Double = 0
    var blockedNs: [String: Double] = [:]
    var blocks: [String: Int] = [:]
    var jobs = 0
    var cpuNs: [UInt64] = []
    /// The waker of each runnable record, in time order.
    var wakers: [UInt64] = []
    var runningSpansNs: [Double] = []
    /// Violations of enqueue < start < end and of no two jobs at once.
    var orderViolations: [String] = []
}

struct SchedulingTimeline {
    var tasks: [UInt64: TaskHistory] = [:]
    var threadNames: Set<String> = []
    var unknownEndRecords = 0

    init(_ snapshot: DecodedSnapshot) {
        let nsPerTick = 1e9 / snapshot.header.ticksPerSecond
        // Equal times: ends before begins (a job's end and the next enqueue may share a tick).
        func rank(_ kind: EventKind) -> Int {
            switch kind {
            case .taskCreated: 0
            case .taskBlocked, .taskEnded, .jobCPUTime: 1
            case .taskRunnable: 2
            case .taskRunning: 3
            default: 4
            }
        }
        let events = snapshot.allEvents.map(\.event).enumerated().sorted {
            ($0.element.ticks, rank($0.element.kind), $0.offset) < ($1.element.ticks, rank($1.element.kind), $1.offset)
        }.map(\.element)

        enum State { case none, runnable, running, blocked(String), ended }
        var state: [UInt64: (State, UInt64)] = [:]
        for e in events {
            if e.kind == .threadName { threadNames.insert(e.name); continue }
            guard [.taskCreated, .taskRunnable, .taskRunning, .taskBlocked, .taskEnded, .jobCPUTime].contains(e.kind),
                  e.task != 0 else { continue }
            var history = tasks[e.task] ?? TaskHistory(id: e.task)
            let (previous, since) = state[e.task] ?? (.none, e.ticks)
            let elapsed = Double(e.ticks &- since) * nsPerTick
            var next = previous
            switch e.kind {
            case .taskCreated:
                history.created = true
                history.parent = e.other
                let name = e.name
                history.name = name.isEmpty ? nil : name
            case .jobCPUTime:
                history.cpuNs.append(e.other)
            case .taskRunnable:
                history.wakers.append(e.other)
                switch previous {
                case .running: history.runningNs += elapsed; history.runningSpansNs.append(elapsed)
                case .runnable: history.runnableNs += elapsed
                case .blocked(let reason): history.blockedNs[reason, default: 0] += elapsed
                case .none: break
                case .ended: history.orderViolations.append("runnable after end")
                }
                next = .runnable
            case .taskRunning:
                switch previous {
                case .runnable: history.runnableNs += elapsed
                case .running: history.orderViolations.append("start while already running (overlapping jobs)")
                default: history.orderViolations.append("start without enqueue")
                }
                history.jobs += 1
                next = .running
            case .taskBlocked, .taskEnded:
                if case .running = previous {
                    history.runningNs += elapsed
                    history.runningSpansNs.append(elapsed)
                } else {
                    history.orderViolations.append("\(e.kind) without a running job")
                }
                if e.kind == .taskEnded {
                    history.ended = true
                    next = .ended
                } else {
                    let reason = e.name
                    history.blocks[reason, default: 0] += 1
                    next = .blocked(reason)
                }
            default:
                break
            }
            if e.kind != .taskCreated && e.kind != .jobCPUTime { state[e.task] = (next, e.ticks) }
            else if state[e.task] == nil { state[e.task] = (.none, e.ticks) }
            tasks[e.task] = history
        }
    }

    func children(of parent: UInt64) -> [TaskHistory] {
        tasks.values.filter { $0.parent == parent }
    }
}

/// Spins for about `nanoseconds` of wall time without suspending.
func spin(nanoseconds: UInt64) -> UInt64 {
    let start = monotonicNow()
    var x: UInt64 = 0
    while monotonicNow() &- start < nanoseconds { x &+= 1 }
    return x
}
