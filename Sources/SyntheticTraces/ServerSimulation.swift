// A discrete-event simulation of a small Swift server: a run queue served by a fixed number of
// worker threads (the recording executor of the article's scenario), tasks that run, sleep,
// open regions, log and spawn children, and a timer thread that wakes sleepers.
//
// Invariants:
// - Simulated time only moves forward; every record is made at the simulation's current time
//   on the thread that would make it in the real recorder (enqueue on the enqueuing thread,
//   running/blocked/ended on the worker, wake-ups on the timer thread).
// - A task runs on at most one worker at a time; a worker runs one task at a time; runnable
//   tasks are served first in, first out.
// - Actors are default actors: a task that finds one free runs on it at once on its worker;
//   one that finds it held waits in the actor's queue (off its worker), and the holder's hop
//   back schedules a drain of the queue through the run queue, whose worker runs the next
//   waiter on the actor; each waiter's hop back goes on on that worker.
// - A worker starts a task 1-4 µs after it became runnable at the earliest (a real executor's
//   wake-up latency), so a task's `running` never shares a timestamp with the `runnable` that
//   another thread recorded for it: the file's cross-thread order is then fully determined.

import TraceFormat

indirect enum Step {
    case run(ns: UInt64)
    case region(String)
    case blockingRegion(String)
    case endRegion(String)
    case log(category: String, message: String)
    case counter(String, Int64)
    case sleep(ns: UInt64)
    /// Blocked for a reason other than sleep, woken after `ns`.
    case wait(reason: String, ns: UInt64)
    /// Spawns children (anonymous when `name` is empty) and goes on without waiting.
    case spawn(count: Int, name: String, script: [Step])
    /// Calls a method of the actor `name` that runs `ns` on it, then hops back.
    case actor(String, ns: UInt64)
    /// The hop back from an actor (the second half of `.actor`).
    case leaveActor(String)
}

final class ServerSimulation {
    struct Task {
        var id: UInt64
        var steps: [Step]
        var pc = 0
    }

    enum Event {
        case start(worker: Int, task: UInt64)
        case step(worker: Int)
        case wake(task: UInt64)
        case arrive(task: UInt64)
    }

    let out: SnapshotAssembler
    let workerThreads: [UInt64]
    let timerThread: UInt64
    let acceptThread: UInt64
    private var tasks: [UInt64: Task] = [:]
    private var runQueue: [(task: UInt64, readyAt: UInt64)] = []
    private var rng: SeededRandom
    private var queueHead = 0
    private var running: [UInt64?]
    private var busy: [Bool]
    private var events: [(t: UInt64, seq: Int, e: Event)] = []
    private var seq = 0
    private(set) var now: UInt64 = 0
    private var nextTaskID: UInt64
    /// Per actor name: its identity, whether a task holds it or a drain is scheduled, waiters.
    private var actors: [String: (identity: UInt64, busy: Bool, waiters: [UInt64])] = [:]
    /// Run-queue entries that drain an actor instead of starting a task, by entry id.
    private var drains: [UInt64: String] = [:]
    private var nextDrainID: UInt64 = 1 << 62

    init(out: SnapshotAssembler, workerThreads: [UInt64], timerThread: UInt64, acceptThread: UInt64,
         firstTaskID: UInt64, seed: UInt64 = 1) {
        self.out = out
        self.rng = SeededRandom(seed: seed)
        self.workerThreads = workerThreads
        self.timerThread = timerThread
        self.acceptThread = acceptThread
        self.running = Array(repeating: nil, count: workerThreads.count)
        self.busy = Array(repeating: false, count: workerThreads.count)
        self.nextTaskID = firstTaskID
    }

    private func schedule(_ t: UInt64, _ e: Event) {
        events.append((t, seq, e))
        seq += 1
    }

    /// A request task created by the accept loop (`parent`) at `t`.
    func request(at t: UInt64, parent: UInt64, name: String, steps: [Step]) {
        let id = nextTaskID
        nextTaskID += 1
        tasks[id] = Task(id: id, steps: steps)
        schedule(t, .arrive(task: id))
        pendingParents[id] = (parent, name)
    }
    private var pendingParents: [UInt64: (UInt64, String)] = [:]

    /// Runs until no event is left or `until` is reached.
    func run(until end: UInt64) {
        while true {
            guard let i = events.indices.min(by: { (events[$0].t, events[$0].seq) < (events[$1].t, events[$1].seq) }) else { break }
            let (t, _, e) = events.remove(at: i)
            if t > end { break }
            now = t
            switch e {
            case .arrive(let task):
                let (parent, name) = pendingParents.removeValue(forKey: task)!
                let nameID = out.id(name)
                out.record(thread: acceptThread, at: t) {
                    $0.taskCreated(at: t, task: task, parent: parent, name: .id(nameID), group: .id(nameID))
                }
                out.record(thread: acceptThread, at: t) { $0.taskRunnable(at: t, task: task, waker: parent) }
                enqueue(task)
            case .wake(let task):
                out.record(thread: timerThread, at: t) { $0.taskRunnable(at: t, task: task) }
                enqueue(task)
            case .start(let w, let entry):
                if let name = drains.removeValue(forKey: entry) {
                    let waiter = actors[name]!.waiters.removeFirst()
                    let identity = actors[name]!.identity, type = out.id(name)
                    running[w] = waiter
                    out.record(thread: workerThreads[w], at: t) {
                        $0.actor(.actorRun, at: t, task: waiter, actor: identity, type: type)
                    }
                } else {
                    out.record(thread: workerThreads[w], at: t) { $0.taskRunning(at: t, task: entry) }
                }
                schedule(t, .step(worker: w))
            case .step(let w):
                step(worker: w)
            }
            dispatch()
        }
    }

    private func enqueue(_ task: UInt64) { runQueue.append((task, now)) }

    /// Idle workers take runnable tasks.
    private func dispatch() {
        for w in workerThreads.indices where !busy[w] {
            guard queueHead < runQueue.count else { return }
            let (task, readyAt) = runQueue[queueHead]
            queueHead += 1
            if queueHead > 1024 {
                runQueue.removeFirst(queueHead)
                queueHead = 0
            }
            busy[w] = true
            running[w] = task
            schedule(max(now, readyAt + rng.next(in: 1_000...4_000)), .start(worker: w, task: task))
        }
    }

    private func step(worker w: Int) {
        guard let id = running[w] else { return }
        let thread = workerThreads[w]
        let t = now
        guard tasks[id]!.pc < tasks[id]!.steps.count else {
            out.record(thread: thread, at: t) { $0.taskEnded(at: t, task: id) }
            tasks[id] = nil
            release(w)
            return
        }
        let s = tasks[id]!.steps[tasks[id]!.pc]
        tasks[id]!.pc += 1
        switch s {
        case .run(let ns):
            schedule(t + ns, .step(worker: w))
        case .region(let name):
            let n = out.id(name)
            out.record(thread: thread, at: t) { $0.regionBegin(at: t, task: id, name: n) }
            schedule(t, .step(worker: w))
        case .blockingRegion(let name):
            let n = out.id(name)
            out.record(thread: thread, at: t) { $0.regionBegin(at: t, task: id, name: n, blocking: true) }
            schedule(t, .step(worker: w))
        case .endRegion(let name):
            let n = out.id(name)
            out.record(thread: thread, at: t) { $0.regionEnd(at: t, task: id, name: n) }
            schedule(t, .step(worker: w))
        case .log(let category, let message):
            let c = out.id(category)
            out.record(thread: thread, at: t) { $0.log(at: t, task: id, category: c, message: message) }
            schedule(t, .step(worker: w))
        case .counter(let name, let value):
            let n = out.id(name)
            out.record(thread: thread, at: t) { $0.counter(at: t, name: n, value: value) }
            schedule(t, .step(worker: w))
        case .sleep(let ns):
            let r = out.id("sleep")
            out.record(thread: thread, at: t) { $0.taskBlocked(at: t, task: id, reason: r) }
            schedule(t + ns, .wake(task: id))
            release(w)
        case .wait(let reason, let ns):
            let r = reason.isEmpty ? 0 : out.id(reason)
            out.record(thread: thread, at: t) { $0.taskBlocked(at: t, task: id, reason: r) }
            schedule(t + ns, .wake(task: id))
            release(w)
        case .actor(let name, let ns):
            if actors[name] == nil {
                actors[name] = (0x7F00_0000_1000 + UInt64(actors.count) * 0x100, false, [])
            }
            let identity = actors[name]!.identity, type = out.id(name)
            tasks[id]!.steps.insert(contentsOf: [.run(ns: ns), .leaveActor(name)], at: tasks[id]!.pc)
            out.record(thread: thread, at: t) { $0.actor(.actorWait, at: t, task: id, actor: identity, type: type) }
            if actors[name]!.busy {
                actors[name]!.waiters.append(id)
                release(w)
            } else {
                actors[name]!.busy = true
                out.record(thread: thread, at: t) { $0.actor(.actorRun, at: t, task: id, actor: identity, type: type) }
                schedule(t, .step(worker: w))
            }
        case .leaveActor(let name):
            out.record(thread: thread, at: t) { $0.actor(.actorRun, at: t, task: id, actor: 0, type: 0) }
            if actors[name]!.waiters.isEmpty {
                actors[name]!.busy = false
            } else {
                drains[nextDrainID] = name
                runQueue.append((nextDrainID, t))
                nextDrainID += 1
            }
            schedule(t, .step(worker: w))
        case .spawn(let count, let name, let script):
            for _ in 0..<count {
                let child = nextTaskID
                nextTaskID += 1
                tasks[child] = Task(id: child, steps: script)
                let nameRef: EventChunkBuilder.Name = name.isEmpty ? .id(0) : .inline(name)
                out.record(thread: thread, at: t) { $0.taskCreated(at: t, task: child, parent: id, name: nameRef, group: .id(0)) }
                out.record(thread: thread, at: t) { $0.taskRunnable(at: t, task: child, waker: id) }
                enqueue(child)
            }
            schedule(t, .step(worker: w))
        }
    }

    private func release(_ w: Int) {
        busy[w] = false
        running[w] = nil
    }
}
