// Per-M cursors over a generation's event batches, and the frontier: a min-heap of cursors by
// the timestamp of their next event (the order Go's reader tries Ms in).
//
// Invariants:
// - Events of one M come out in batch order; timestamps are the batch base plus the deltas, in
//   nanoseconds computed as Go computes them (truncated float multiply per delta).
// - Decoding never reads past a batch's data (far from its end, where any event fits, bytes
//   are read without a check each): an unknown type byte or a truncated event is a
//   `GoBatchError` naming the batch and the event's byte offset.
// - The heap orders by time only; among equal times it behaves like Go's (sift up on strictly
//   greater parent, pick the first minimum when sifting down).

/// One decoded wire event of an event batch.
struct GoWireEvent {
    var type: UInt8 = 0
    var timeNs: Int64 = 0
    /// Arguments after the timestamp delta.
    var args: SIMD4<UInt64> = .zero
    // Where the event lies in the input is kept by its cursor (`eventOffset`, `batchOrdinal`):
    // only error messages need it, and events are copied several times on their way.
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
    /// Offset of the current event's type byte in the input.
    private(set) var eventOffset: Int64 = 0
    /// Ordinal of the current event's batch in the file (for messages).
    var batchOrdinal: Int { ordinal }

    init(m: UInt64, generation g: GoGeneration) {
        self.m = m
        self.batches = g.batches[m] ?? []
        self.nsPerTick = g.nsPerTick
    }

    /// A cursor with no batches (what an exhausted cursor's slot keeps, holding no bytes).
    init(m: UInt64) {
        self.m = m
        self.batches = []
        self.nsPerTick = 0
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

    /// The longest encoded event: a type byte and five uvarints of at most 10 bytes each. With
    /// this many bytes left, decoding needs no per-byte end check.
    static let maxEventLength = 51

    /// Decodes the next event of this M into `event`; false when the M has no more events.
    mutating func advance(_ g: GoGeneration, _ table: GoEventTable) throws(GoBatchError) -> Bool {
        if position >= data.count {
            guard nextBatch() else { return false }
        }
        let at = position
        var raw = GoRawEvent()
        let status = data.withUnsafeBufferPointer { buf in
            table.argCounts.withUnsafeBufferPointer { counts in GoRawEvent.decode(buf, at: at, counts, into: &raw) }
        }
        guard status == .decoded else { throw decodingFailure(status, raw.type, at: at, g, table) }
        event.type = raw.type
        // The vector built once from scalars: storing lanes one by one and then loading the
        // vector stalls store-to-load forwarding on every event.
        event.args = SIMD4(raw.a0, raw.a1, raw.a2, raw.a3)
        // Both terms are at most Int64.max / 2: the sum cannot wrap; absurd times saturate.
        event.timeNs = min(ns(raw.dt) + lastNs, Int64.max / 2)
        eventOffset = dataOffset + Int64(at)
        position = raw.end
        lastNs = event.timeNs
        return true
    }

    private func decodingFailure(_ status: GoRawEvent.Status, _ type: UInt8, at: Int, _ g: GoGeneration,
                                 _ table: GoEventTable) -> GoBatchError {
        switch status {
        case .empty:
            return failure("empty event", at: at, g)
        case .invalid:
            return failure("event type \(type) (\(table.name(type))) is not a valid event in an event batch of a go \(table.version.text) trace", at: at, g)
        case .truncated, .decoded:
            return failure("truncated or malformed \(table.name(type)) event", at: at, g)
        }
    }

    private func failure(_ message: String, at: Int, _ g: GoGeneration) -> GoBatchError {
        GoBatchError(message: message, offset: dataOffset + Int64(at), generation: g.number, ordinal: ordinal)
    }
}

/// One event as encoded in a batch, before timestamps are resolved: plain scalars, so that
/// decoding writes registers or one stack slot rather than an enum payload.
struct GoRawEvent {
    enum Status { case decoded, empty, invalid, truncated }

    var type: UInt8 = 0
    var dt: UInt64 = 0
    var a0: UInt64 = 0, a1: UInt64 = 0, a2: UInt64 = 0, a3: UInt64 = 0
    /// Where the next event starts.
    var end = 0

    /// Decodes the event at `at` of `data`; `argCounts` is `GoEventTable.argCounts` (256
    /// entries, one per type byte). Far from the end of the data (at least
    /// `GoBatchCursor.maxEventLength` bytes left) no read can pass the end, so bytes are read
    /// without end checks; nearer to it, every byte is checked. Both paths accept and reject
    /// exactly the same encodings.
    @inline(__always)
    static func decode(_ data: UnsafeBufferPointer<UInt8>, at: Int, _ argCounts: UnsafeBufferPointer<Int>,
                       into e: inout GoRawEvent) -> Status {
        guard at < data.count, let base = data.baseAddress else { return .empty }
        let type = base[at]
        e.type = type
        // Sound: argCounts has 256 entries, one for every value of a byte.
        let count = argCounts[Int(type)]
        guard count > 0 else { return .invalid }
        if data.count - at >= GoBatchCursor.maxEventLength {
            var p = at + 1
            guard e.decodeFields(count, { uvarint(base, &p) }) else { return .truncated }
            e.end = p
            return .decoded
        }
        var c = GoDataCursor(data: data, position: at + 1, end: data.count)
        guard e.decodeFields(count, { c.uvarint() }) else { return .truncated }
        e.end = c.position
        return .decoded
    }

    /// The time delta and the first `count - 1` (at most four) arguments, each read by `next`;
    /// false when one could not be read.
    @inline(__always)
    private mutating func decodeFields(_ count: Int, _ next: () -> UInt64?) -> Bool {
        guard let dt = next() else { return false }
        self.dt = dt
        if count > 1 {
            guard let v = next() else { return false }
            a0 = v
        }
        if count > 2 {
            guard let v = next() else { return false }
            a1 = v
        }
        if count > 3 {
            guard let v = next() else { return false }
            a2 = v
        }
        if count > 4 {
            guard let v = next() else { return false }
            a3 = v
        }
        return true
    }

    /// A uvarint at `p` with no end check: the caller guarantees 10 readable bytes. Same
    /// rule as `GoDataCursor.uvarint` (at most 10 bytes, the tenth at most 1).
    @inline(__always)
    private static func uvarint(_ base: UnsafePointer<UInt8>, _ p: inout Int) -> UInt64? {
        var b = base[p]
        p += 1
        if b < 0x80 { return UInt64(b) }
        var value = UInt64(b & 0x7f)
        var shift: UInt64 = 7
        for i in 1..<10 {
            b = base[p]
            p += 1
            if b < 0x80 {
                if i == 9 && b > 1 { return nil }
                return value | UInt64(b) << shift
            }
            value |= UInt64(b & 0x7f) << shift
            shift += 7
        }
        return nil
    }
}

/// Min-heap of cursors keyed by their current event's time. The heap holds (time, slot)
/// pairs, so sifting moves 16 bytes per step rather than whole cursors; the cursors stay in
/// their slots. Positions (`cursor(at:)`, `advance(at:)`) are heap positions: 0 is the head.
struct GoFrontier {
    private struct Entry {
        var timeNs: Int64
        var slot: Int
    }
    private var slots: [GoBatchCursor] = []
    private var heap: [Entry] = []

    var isEmpty: Bool { heap.isEmpty }
    var count: Int { heap.count }

    /// The cursor at heap position `i`.
    func cursor(at i: Int) -> GoBatchCursor { slots[heap[i].slot] }

    /// The event and M of the cursor at heap position `i`.
    func event(at i: Int) -> GoWireEvent { slots[heap[i].slot].event }
    func m(at i: Int) -> UInt64 { slots[heap[i].slot].m }

    mutating func insert(_ c: GoBatchCursor) {
        slots.append(c)
        heap.append(Entry(timeNs: c.event.timeNs, slot: slots.count - 1))
        _ = siftUp(heap.count - 1)
    }

    /// Moves the cursor at heap position `i` to its next event and restores the heap; a cursor
    /// with no events left leaves the heap (its slot stays, unused, until the generation ends).
    mutating func advance(at i: Int, _ g: GoGeneration, _ table: GoEventTable) throws(GoBatchError) {
        let slot = heap[i].slot
        if try slots[slot].advance(g, table) {
            let t = slots[slot].event.timeNs
            heap.withUnsafeMutableBufferPointer { heap in
                heap[i].timeNs = t
                if Self.siftUp(heap, i) == i { Self.siftDown(heap, i) }
            }
        } else {
            slots[slot] = GoBatchCursor(m: slots[slot].m)
            remove(i)
        }
    }

    private mutating func remove(_ i: Int) {
        var i = i
        while i > 0 {
            heap.swapAt((i - 1) / 2, i)
            i = (i - 1) / 2
        }
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        if !heap.isEmpty { heap.withUnsafeMutableBufferPointer { Self.siftDown($0, 0) } }
    }

    /// Sorted by time (a sorted array is still a heap); used when the head cannot advance.
    mutating func sortByTime() {
        heap.sort { $0.timeNs < $1.timeNs }
    }

    private mutating func siftUp(_ start: Int) -> Int {
        heap.withUnsafeMutableBufferPointer { Self.siftUp($0, start) }
    }

    // The sifts work on the heap's buffer, taken once per update: positions are always below
    // its count (children are checked against it), so no access needs another check.

    private static func siftUp(_ heap: UnsafeMutableBufferPointer<Entry>, _ start: Int) -> Int {
        var i = start
        while i > 0 && heap[(i - 1) / 2].timeNs > heap[i].timeNs {
            heap.swapAt((i - 1) / 2, i)
            i = (i - 1) / 2
        }
        return i
    }

    private static func siftDown(_ heap: UnsafeMutableBufferPointer<Entry>, _ start: Int) {
        var i = start
        while true {
            var m = i
            var minT = heap[i].timeNs
            let l = 2 * i + 1, r = 2 * i + 2
            if l < heap.count && heap[l].timeNs < minT { m = l; minT = heap[l].timeNs }
            if r < heap.count && heap[r].timeNs < minT { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
