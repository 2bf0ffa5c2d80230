// Test support for actor hops: a snapshot read through the snapshot reader into the model,
// replayed into time per task and state and time per actor held.
//
// Invariants: only reads; every figure comes from the model events the exporters consume.

import Testing
import TraceModel
import TraceReaders

struct ModelTimeline {
    struct TaskTimes {
        var runningNs: Int64 = 0
        var runnableNs: Int64 = 0
        var blockedNs: [String: Int64] = [:]
        var ended = false
        /// The waker of each change to runnable, in order (`TaskID.none` where none is known).
        var wakers: [TaskID] = []
    }

    struct ActorTimes {
        var name = ""
        var heldNs: Int64 = 0
        var acquisitions = 0
        var holders: Set<TaskID> = []
        /// Longest time from an enqueue to the acquisition that followed it.
        var longestWaitNs: Int64 = 0
        var overlappingHolds = 0
    }

    var tasks: [TaskID: TaskTimes] = [:]
    var actors: [ActorID: ActorTimes] = [:]
    var damage: TraceDamage?

    init(snapshot bytes: [UInt8]) throws {
        var reader = try SnapshotTraceReader(bytes: bytes)
        var states: [TaskID: (TaskState, Int64)] = [:]
        var holding: [ActorID: (TaskID, Int64)] = [:]
        var enqueued: [TaskID: (ActorID, Int64)] = [:]
        var lastNs: Int64 = 0
        while let e = try reader.next() {
            lastNs = e.timeNs
            switch e.kind {
            case .taskState(let task, let state, _, let waker, _):
                if let (previous, since) = states[task] { add(previous, e.timeNs - since, to: task, reader.tables) }
                if state == .runnable { tasks[task, default: TaskTimes()].wakers.append(waker) }
                states[task] = (state, e.timeNs)
                if state == .ended { tasks[task, default: TaskTimes()].ended = true }
            case .actorCreated(let actor, let name):
                actors[actor, default: ActorTimes()].name = reader.tables.string(name)
            case .actorEnqueued(let actor, let task):
                enqueued[task] = (actor, e.timeNs)
            case .actorAcquired(let actor, let task, _):
                if holding[actor] != nil { actors[actor, default: ActorTimes()].overlappingHolds += 1 }
                holding[actor] = (task, e.timeNs)
                actors[actor, default: ActorTimes()].acquisitions += 1
                actors[actor, default: ActorTimes()].holders.insert(task)
                if let (waitedFor, since) = enqueued.removeValue(forKey: task), waitedFor == actor {
                    actors[actor]!.longestWaitNs = max(actors[actor]!.longestWaitNs, e.timeNs - since)
                }
            case .actorReleased(let actor, let task):
                if let (holder, since) = holding[actor], holder == task {
                    actors[actor, default: ActorTimes()].heldNs += e.timeNs - since
                    holding[actor] = nil
                }
            default:
                break
            }
        }
        for (task, (state, since)) in states { add(state, lastNs - since, to: task, reader.tables) }
        for (actor, (_, since)) in holding { actors[actor, default: ActorTimes()].heldNs += lastNs - since }
        damage = reader.damage
    }

    private mutating func add(_ state: TaskState, _ ns: Int64, to task: TaskID, _ tables: TraceTables) {
        switch state {
        case .running: tasks[task, default: TaskTimes()].runningNs += ns
        case .runnable: tasks[task, default: TaskTimes()].runnableNs += ns
        case .blocked(let reason): tasks[task, default: TaskTimes()].blockedNs[tables.string(reason), default: 0] += ns
        case .syscall, .ended: break
        }
    }

    func actor(named name: String) -> ActorTimes? { actors.values.first { $0.name == name } }
}
