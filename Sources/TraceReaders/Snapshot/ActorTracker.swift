// Actors in a snapshot: which task holds which actor, turned from the recorder's hop records
// (actorWait, actorRun) into the model's actor events and task states.
//
// Invariants:
// - An actor is named once, at first sight (`actorCreated`): its type name for the first
//   instance of that type in the stream, `Type #2`, `Type #3`... for the next ones.
// - A task holds at most one actor. It holds it from its `actorRun` onto the actor until its
//   next hop or its next state record other than syscall (a blocked, runnable, running or ended
//   record from the executor ends its time on the actor); `actorReleased` comes before the
//   state event that ends the hold, at the same time.
// - A wait is a blocked state with reason `actor <type name>` (or the innermost blocking region
//   open on the task: the user's word wins), followed by `actorEnqueued`.
// - A run is a running state on the record's thread (omitted when the task already runs
//   there: a hop that keeps its thread splits nothing), followed by `actorAcquired` unless the
//   executor is the generic one.
// - Only tasks that hopped are held here, and only while they live: memory follows live
//   hopping tasks and actors, not events.

import TraceModel

struct ActorTracker {
    private struct Actor {
        var label: StringID
        var reason: StringID
    }

    private struct Hopper {
        /// The actor the task runs on (0: none).
        var holds: UInt64 = 0
        /// The thread the task runs on (0: not running).
        var runningOn: UInt64 = 0
    }

    private var actors: [UInt64: Actor] = [:]
    private var instancesOfType: [StringID: Int] = [:]
    private var hoppers: [UInt64: Hopper] = [:]

    /// Whether any task hopped (until then, state records need no look-up here).
    var isActive: Bool { !hoppers.isEmpty }

    /// actorWait: `task` asks for `actor` (of type `type`) and waits; `reason` replaces the
    /// wait's reason (a blocking region open on the task: the user's word wins).
    mutating func wait(task: UInt64, actor: UInt64, type: StringID, reason: StringID?, thread: ThreadID, ns: Int64,
                       tables: TraceTables, into events: inout [TraceEvent]) {
        let known = self.actor(actor, type: type, ns: ns, tables: tables, into: &events)
        var hopper = hoppers[task] ?? Hopper()
        release(&hopper, task: task, ns: ns, into: &events)
        hopper.runningOn = 0
        hoppers[task] = hopper
        events.append(TraceEvent(timeNs: ns, .taskState(TaskID(task), .blocked(reason: reason ?? known.reason), thread: thread,
                                                        waker: .none, stack: .none)))
        events.append(TraceEvent(timeNs: ns, .actorEnqueued(ActorID(actor), task: TaskID(task))))
    }

    /// actorRun: `task` runs on `thread`, on `actor` (0: on the generic executor).
    mutating func run(task: UInt64, actor: UInt64, type: StringID, thread: ThreadID, ns: Int64,
                      tables: TraceTables, into events: inout [TraceEvent]) {
        if actor != 0 { _ = self.actor(actor, type: type, ns: ns, tables: tables, into: &events) }
        var hopper = hoppers[task] ?? Hopper()
        if hopper.holds != actor { release(&hopper, task: task, ns: ns, into: &events) }
        if hopper.runningOn != thread.raw {
            events.append(TraceEvent(timeNs: ns, .taskState(TaskID(task), .running, thread: thread, waker: .none,
                                                            stack: .none)))
            hopper.runningOn = thread.raw
        }
        if actor != 0 && hopper.holds != actor {
            hopper.holds = actor
            events.append(TraceEvent(timeNs: ns, .actorAcquired(ActorID(actor), task: TaskID(task), thread: thread)))
        }
        hoppers[task] = hopper
    }

    /// A state record of `task` from the executor (not a hop): ends its time on an actor,
    /// except a syscall, which keeps the thread (and so the actor). `runningOn` is the thread
    /// of a running record, 0 otherwise; `ended`: the task finished.
    mutating func stateChanged(task: UInt64, syscall: Bool, runningOn: UInt64, ended: Bool, ns: Int64,
                               into events: inout [TraceEvent]) {
        guard !syscall, var hopper = hoppers[task] else { return }
        release(&hopper, task: task, ns: ns, into: &events)
        if ended {
            hoppers[task] = nil
        } else {
            hopper.runningOn = runningOn
            hoppers[task] = hopper
        }
    }

    private mutating func release(_ hopper: inout Hopper, task: UInt64, ns: Int64, into events: inout [TraceEvent]) {
        guard hopper.holds != 0 else { return }
        events.append(TraceEvent(timeNs: ns, .actorReleased(ActorID(hopper.holds), task: TaskID(task))))
        hopper.holds = 0
    }

    private mutating func actor(_ id: UInt64, type: StringID, ns: Int64, tables: TraceTables,
                                into events: inout [TraceEvent]) -> Actor {
        if let known = actors[id] { return known }
        let typeName = type.isEmpty ? "actor" : tables.string(type)
        let instance = (instancesOfType[type] ?? 0) + 1
        instancesOfType[type] = instance
        let label = tables.intern(instance == 1 ? typeName : "\(typeName) #\(instance)")
        let known = Actor(label: label, reason: tables.intern("actor \(typeName)"))
        actors[id] = known
        events.append(TraceEvent(timeNs: ns, .actorCreated(ActorID(id), name: label)))
        return known
    }
}
