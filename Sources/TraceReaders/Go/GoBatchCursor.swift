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
    private var batchIndex = 0
    private var position = -1
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

    /// Decodes the next event of this M into `event`; false when the M has no more events.
    mutating func advance(_ g: GoGeneration, _ table: GoEventTable) throws(GoBatchError) -> Bool {
        if position < 0 { position = 0 }
        while batchIndex < batches.count && position >= batches[batchIndex].data.count {
            batchIndex += 1
            lastNs = 0
            position = 0
        }
        guard batchIndex < batches.count else { return false }
        let batch = batches[batchIndex]
        let end = batch.data.count
        if lastNs == 0 { lastNs = ns(batch.baseTicks) }
        let at = position
        let failure: String? = batch.data.withUnsafeBufferPointer { buf -> String? in
            var c = GoDataCursor(data: buf, position: position, end: end)
            guard let type = c.byte() else { return "empty event" }
            let count = table.argCounts[Int(type)]
            guard count > 0 else {
                return "event type \(type) (\(table.name(type))) is not a valid event in an event batch of a go \(table.version.text) trace"
            }
            guard let dt = c.uvarint() else { return "truncated or malformed \(table.name(type)) event" }
            var args = SIMD4<UInt64>.zero
            var i = 0
            while i < count - 1 {
                guard let a = c.uvarint() else { return "truncated or malformed \(table.name(type)) event" }
                args[i] = a
                i += 1
            }
            event.type = type
            event.args = args
            // Both terms are at most Int64.max / 2: the sum cannot wrap; absurd times saturate.
            event.timeNs = min(ns(dt) + lastNs, Int64.max / 2)
            position = c.position
            return nil
        }
        if let failure {
            throw GoBatchError(message: failure, offset: batch.dataOffset + Int64(at),
                               generation: g.number, ordinal: batch.ordinal)
        }
        lastNs = event.timeNs
        event.offset = batch.dataOffset + Int64(at)
        event.batchOrdinal = batch.ordinal
        return true
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
