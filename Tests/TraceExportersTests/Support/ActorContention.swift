// A hand-built actor scenario shared by the exporter specifications: three tasks contend for
// one actor, and one of them then hops onto a second instance of the same type, which is free.
//
// Times in ns from the window start (window: 20 µs):
//
//   Inventory (actor 0xA1)    task 1 "buyer 1"   holds  1 000 ..  5 000  (free: no wait)
//                             task 2 "buyer 2"   queued 2 000 ..  5 000, holds  5 000 ..  8 000
//                             task 3 (unnamed)   queued 3 000 ..  8 000, holds  8 000 ..  9 000
//   Inventory #2 (actor 0xA2) task 2 "buyer 2"   holds  8 000 ..  8 500  (free: no wait)
//
// Inventory: 3 hops, 2 tasks waited, waits 0 + 3 000 + 5 000 = 8 000 ns (p99 5 000), held
// 4 000 + 3 000 + 1 000 = 8 000 ns, longest queue 2 (tasks 2 and 3 from 3 000 to 5 000); two
// hand-offs (1 -> 2 at 5 000, 2 -> 3 at 8 000). Inventory #2: 1 hop, no wait, held 500 ns.

enum ActorContention {
    static let inventory: UInt64 = 0xA1
    static let inventory2: UInt64 = 0xA2

    static func script() -> TraceScript {
        let s = TraceScript(durationNs: 20_000)
        s.threadName(0, 1, "worker-1")
        s.threadName(0, 2, "worker-2")
        s.created(0, 1, "buyer 1")
        s.created(0, 2, "buyer 2")
        s.created(0, 3, "")
        s.actorCreated(0, inventory, "Inventory")
        s.actorCreated(0, inventory2, "Inventory #2")

        s.acquire(1_000, inventory, task: 1, thread: 1)
        s.enqueue(2_000, inventory, task: 2, reason: "actor Inventory")
        s.enqueue(3_000, inventory, task: 3, reason: "actor Inventory")

        s.release(5_000, inventory, task: 1)
        s.state(5_000, 1, .ended)
        s.acquire(5_000, inventory, task: 2, thread: 2)

        s.release(8_000, inventory, task: 2)
        s.acquired(8_000, inventory2, task: 2, thread: 2)
        s.acquire(8_000, inventory, task: 3, thread: 1)
        s.release(8_500, inventory2, task: 2)
        s.state(8_500, 2, .ended)

        s.release(9_000, inventory, task: 3)
        s.state(9_000, 3, .ended)
        return s
    }
}
