// Per-M cursors over a generation's event batches, and the frontier: a min-heap of cursors by
// the timestamp of their next event (the order Go's reader tries Ms in).
//
// Invariants:
// - Events of one M come out in batch order; timestamps are the batch base plus the deltas, in
//   nanoseconds computed as Go computes them (truncated float multiply per delta).
// - Decoding is bounds-checked: an unknown type byte or a truncated event is a `GoBatchError`
//   naming the batch and the event's byte offset.
// - The heap orders by time only; among equal times it behaves like Go's (sift up on strictly
//   greater parent, pick the first minimum when sifting down).

/// One decoded wire event of an event batch.
struct GoWireEvent {
    var type: UInt8 = 0
    var timeNs: Int64 = 0
    /// Arguments after the timestamp delta.
    var args: SIMD4<UInt64> = .zero
    /// Offset of the event's type byte in the input.
    var offset: Int64 = 0
    var batchOrdinal: Int = 0
}

struct GoBatchCursor {
    let m: UInt64
    private let batches: [GoBatch]
    /// The generation's clock, held here so that decoding touches no class state.
    private let nsPerTick: Double
    private var batchIndex = -1
    /// The current batch: its bytes (held once per batch, not copied per event), where its
    /// next event starts, and what error messages name.
    private var data: [UInt8] = []
    private var position = 0
    private var dataOffset: Int64 = 0
    private var ordinal = 0
    private var lastNs: Int64 = 0
    var event = GoWireEvent()

    init(m: UInt64, generation g: GoGeneration) {
        self.m = m
        self.batches = g.batches[m] ?? []
        self.nsPerTick = g.nsPerTick
    }

    @inline(__always)
    private func ns(_ ticks: UInt64) -> Int64 {
        let v = Double(ticks) * nsPerTick
        guard v < 4.6e18 else { return Int64.max / 2 }
        return Int64(v)
    }

    /// Moves to the next batch with data; false when there is none.
    private mutating func nextBatch() -> Bool {
        repeat {
            batchIndex += 1
            guard batchIndex < batches.count else {
                data = []
                position = 0
                return false
            }
        } while batches[batchIndex].data.isEmpty
        let b = batches[batchIndex]
        data = b.data
        position = 0
        dataOffset = b.dataOffset
        ordinal = b.ordinal
        lastNs = ns(b.baseTicks)
        return true
    }

    private enum Decoded {
        case event(type: UInt8, dt: UInt64, args: SIMD4<UInt64>, end: Int)
        case empty
        case invalid(UInt8)
        case truncated(UInt8)
    }

    /// Decodes the next event of this M into `event`; false when the M has no more events.
    mutating func advance(_ g: GoGeneration, _ table: GoEventTable) throws(GoBatchError) -> Bool {
        if position >= data.count {
            guard nextBatch() else { return false }
        }
        let at = position
        let decoded = data.withUnsafeBufferPointer { buf -> Decoded in
            var c = GoDataCursor(data: buf, position: at, end: buf.count)
            guard let type = c.byte() else { return .empty }
            let count = table.argCounts[Int(type)]
            guard count > 0 else { return .invalid(type) }
            guard let dt = c.uvarint() else { return .truncated(type) }
            // Arguments into scalars, the vector built once: storing lanes one by one and then
            // loading the vector stalls store-to-load forwarding on every event.
            var a0: UInt64 = 0, a1: UInt64 = 0, a2: UInt64 = 0, a3: UInt64 = 0
            if count > 1 {
                guard let v = c.uvarint() else { return .truncated(type) }
                a0 = v
            }
            if count > 2 {
                guard let v = c.uvarint() else { return .truncated(type) }
                a1 = v
            }
            if count > 3 {
                guard let v = c.uvarint() else { return .truncated(type) }
                a2 = v
            }
            if count > 4 {
                guard let v = c.uvarint() else { return .truncated(type) }
                a3 = v
            }
            return .event(type: type, dt: dt, args: SIMD4(a0, a1, a2, a3), end: c.position)
        }
        switch decoded {
        case let .event(type, dt, args, end):
            event.type = type
            event.args = args
            // Both terms are at most Int64.max / 2: the sum cannot wrap; absurd times saturate.
            event.timeNs = min(ns(dt) + lastNs, Int64.max / 2)
            event.offset = dataOffset + Int64(at)
            event.batchOrdinal = ordinal
            position = end
            lastNs = event.timeNs
            return true
        case .empty:
            throw failure("empty event", at: at, g)
        case .invalid(let type):
            throw failure("event type \(type) (\(table.name(type))) is not a valid event in an event batch of a go \(table.version.text) trace", at: at, g)
        case .truncated(let type):
            throw failure("truncated or malformed \(table.name(type)) event", at: at, g)
        }
    }

    private func failure(_ message: String, at: Int, _ g: GoGeneration) -> GoBatchError {
        GoBatchError(message: message, offset: dataOffset + Int64(at), generation: g.number, ordinal: ordinal)
    }
}

/// Min-heap of cursors keyed by their current event's time.
struct GoFrontier {
    var cursors: [GoBatchCursor] = []

    var isEmpty: Bool { cursors.isEmpty }
    var count: Int { cursors.count }

    mutating func insert(_ c: GoBatchCursor) {
        cursors.append(c)
        _ = siftUp(cursors.count - 1)
    }

    /// Restores the heap after cursor `i`'s event changed.
    mutating func update(_ i: Int) {
        if siftUp(i) != i { return }
        siftDown(i)
    }

    mutating func remove(_ i: Int) {
        var i = i
        while i > 0 {
            cursors.swapAt((i - 1) / 2, i)
            i = (i - 1) / 2
        }
        cursors.swapAt(0, cursors.count - 1)
        cursors.removeLast()
        if !cursors.isEmpty { siftDown(0) }
    }

    /// Sorted by time (a sorted array is still a heap); used when the head cannot advance.
    mutating func sortByTime() {
        cursors.sort { $0.event.timeNs < $1.event.timeNs }
    }

    private mutating func siftUp(_ start: Int) -> Int {
        var i = start
        while i > 0 && cursors[(i - 1) / 2].event.timeNs > cursors[i].event.timeNs {
            cursors.swapAt((i - 1) / 2, i)
            i = (i - 1) / 2
        }
        return i
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            var m = i
            var minT = cursors[i].event.timeNs
            let l = 2 * i + 1, r = 2 * i + 2
            if l < cursors.count && cursors[l].event.timeNs < minT { m = l; minT = cursors[l].event.timeNs }
            if r < cursors.count && cursors[r].event.timeNs < minT { m = r }
            if m == i { return }
            cursors.swapAt(i, m)
            i = m
        }
    }
}
