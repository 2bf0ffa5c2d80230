// Seeded random event sequences for invariant tests: many tasks and threads, nested and
// mismatched regions, wake-ups, equal timestamps, logs, counters and captured stacks.
//
// Invariants:
// - The same seed gives the same script (SeededRandom, no system randomness).
// - Times never decrease; some events share a timestamp on purpose.
// - Mostly what readers promise (taskCreated first, regions nested), with a few deliberate
//   violations (unknown task, region end with a name that is not innermost) that exporters
//   must survive without breaking their own invariants.
// - With `actors`, a fifth of the steps are actor events on three actors: blocked then
//   enqueued, running then acquired (by a queued task, or onto a free actor), released; with
//   violations too (a release by a task that does not hold the actor, an acquisition of a held
//   actor, an actor never announced). Without, the script is what it was before actors.

import SyntheticTraces

extension SeededRandom {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

struct RandomTrace {
    var rng: SeededRandom

    init(seed: UInt64) {
        rng = SeededRandom(seed: seed)
    }

    func script(events count: Int, actors: Bool = false) -> TraceScript {
        var rng = self.rng
        let s = TraceScript(startNs: 5_000_000_000 + Int64(rng.below(1000)), durationNs: Int64(count) * 400)
        let names = ["GET /ping", "db;query", "worker 3", "retry 1.5", "a\nb", "[x]", ""]
        let reasons = ["sleep", "chan receive", "db query", "select 2", ""]
        let regionNames = ["handle", "parse", "db", "render 10"]
        var t: Int64 = 0
        var live: [UInt64] = []
        var regions: [UInt64: [String]] = [:]
        var nextTask: UInt64 = 1
        var running: [UInt64: Bool] = [:]
        for i in 0..<20 { s.threadName(0, UInt64(i % 4 + 1), "thread \(i % 4 + 1)") }
        let actorLabels = ["Inventory", "Inventory #2", "MainActor"]
        var holders: [UInt64] = [0, 0, 0]
        var queues: [[UInt64]] = [[], [], []]
        if actors {
            for (i, label) in actorLabels.enumerated() { s.actorCreated(0, UInt64(0xA0 + i), label) }
        }
        for _ in 0..<count {
            if !rng.chance(25) { t += Int64(rng.below(900)) }
            if actors, !live.isEmpty, rng.chance(20) {
                let a = rng.below(actorLabels.count)
                let actor = UInt64(0xA0 + a)
                let task = live[rng.below(live.count)]
                let thread = UInt64(rng.below(4) + 1)
                switch rng.below(10) {
                case 0..<3:
                    s.enqueue(t, actor, task: task, reason: "actor " + String(actorLabels[a].prefix { $0 != " " }))
                    queues[a].append(task)
                case 3..<6:
                    if holders[a] == 0 || rng.chance(10) {
                        let next = queues[a].isEmpty || rng.chance(20) ? task : queues[a].removeFirst()
                        s.acquire(t, actor, task: next, thread: thread)
                        holders[a] = next
                    }
                case 6..<9:
                    if holders[a] != 0 {
                        s.release(t, actor, task: holders[a])
                        holders[a] = 0
                    }
                default:
                    if rng.chance(50) {
                        s.release(t, actor, task: task)  // maybe not the holder
                    } else {
                        s.acquired(t, 0xF0, task: task, thread: thread)  // never announced
                    }
                }
                continue
            }
            let roll = rng.below(100)
            if live.isEmpty || roll < 8 {
                let id = nextTask
                nextTask += 1
                s.created(t, id, names[rng.below(names.count)], group: rng.chance(50) ? "group \(rng.below(3))" : "")
                live.append(id)
                continue
            }
            let task = live[rng.below(live.count)]
            switch roll {
            case 8..<55:
                let states: [ScriptState] = [.running, .runnable, .blocked(reasons[rng.below(reasons.count)]), .syscall]
                let state = states[rng.below(states.count)]
                let waker: UInt64 = rng.chance(30) ? live[rng.below(live.count)] : 0
                let stack: [String] = rng.chance(15) ? ["main", "serve", rng.chance(50) ? "sleep" : "read;line"] : []
                if case .running = state {
                    s.state(t, task, state, thread: UInt64(rng.below(4) + 1), waker: waker, stack: stack)
                    running[task] = true
                } else {
                    s.state(t, task, state, waker: waker, stack: stack)
                    running[task] = false
                }
            case 55..<70:
                let name = regionNames[rng.below(regionNames.count)]
                s.regionBegin(t, task: task, name, stack: rng.chance(10) ? ["main", name] : [])
                regions[task, default: []].append(name)
            case 70..<82:
                if var open = regions[task], !open.isEmpty {
                    // Mostly the innermost; sometimes an outer one (closes the inner ones too).
                    let index = rng.chance(85) ? open.count - 1 : rng.below(open.count)
                    s.regionEnd(t, task: task, open[index])
                    open.removeSubrange(index...)
                    regions[task] = open
                } else if rng.chance(20) {
                    s.regionEnd(t, task: task, "not open")
                }
            case 82..<86:
                s.state(t, task, .ended)
                live.removeAll { $0 == task }
                regions[task] = nil
            case 86..<90:
                s.log(t, task: rng.chance(80) ? task : 0, thread: UInt64(rng.below(4) + 1), "cat", "message \"\(rng.below(9))\"\n")
            case 90..<94:
                s.counter(t, rng.chance(50) ? "heap" : "queue depth", Double(rng.below(1000)) / 4)
            case 94..<97:
                let thread = UInt64(rng.below(4) + 1)
                if rng.chance(50) {
                    s.regionBegin(t, task: 0, thread: thread, "gc")
                } else {
                    s.regionEnd(t, task: 0, thread: thread, "gc")
                }
            default:
                // A task the reader never announced.
                s.state(t, 10_000 + UInt64(rng.below(3)), .running, thread: UInt64(rng.below(4) + 1))
            }
        }
        s.metadata.endNs = s.metadata.startNs + t + Int64(rng.below(2_000))
        return s
    }
}
