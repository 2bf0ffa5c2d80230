// The model events that ordered Go events mapped to, waiting to be handed out: GoStateMachine
// appends, the engine takes them out in order.
//
// Invariants:
// - `slots[head..<tail]` are the waiting events, oldest first; every other slot holds a filler
//   event that holds no references.
// - Events move through the queue: taking one swaps a filler into its slot, so handing an
//   event out neither copies it (no reference counting for a log's message) nor leaves a copy
//   behind to destroy in bulk later.
// - The slots grow to the largest run mapped at once (the engine maps bounded runs), never
//   with the input; an emptied queue starts again at slot 0.

import TraceModel

struct GoEventQueue {
    private var slots: [TraceEvent] = []
    private var head = 0
    private var tail = 0
    /// The filler is built where it is used, from this stored name: a value of a known case
    /// with a trivial payload costs a few stores, where a shared constant would cost a lazy
    /// global's check and a generic copy per event.
    private let fillerName = StringID.empty

    var isEmpty: Bool { head == tail }

    @inline(__always)
    mutating func append(_ event: TraceEvent) {
        if tail == slots.count {
            slots.append(event)
        } else {
            slots[tail] = event
        }
        tail += 1
    }

    /// The oldest waiting event. The queue must not be empty.
    @inline(__always)
    mutating func take() -> TraceEvent {
        var event = TraceEvent(timeNs: 0, .counter(name: fillerName, value: 0))
        swap(&event, &slots[head])
        head += 1
        if head == tail {
            head = 0
            tail = 0
        }
        return event
    }
}
