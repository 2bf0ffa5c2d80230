// Merging the per-thread event chunks of a snapshot into one time-ordered stream.
//
// Invariants:
// - Chunks arrive in ascending order of their base time (the writer sorts them), and no record
//   of a chunk is earlier than its base. So an event at time t can be handed out once every
//   chunk with base <= t has been opened: the merger opens the next chunk before handing out
//   anything at or after its base.
// - Ties are broken by the order chunks were opened, then by record order: stable output.
// - Memory: the chunks that overlap in time (about one per thread) plus one opened ahead.

import TraceFormat

struct OpenChunk {
    var decoder: EventDecoder
    var head: DecodedEvent
    /// Order in which chunks were opened; the tie-breaker.
    let order: Int
    let fileOffset: Int64

    /// Decodes the chunk's next record into `head`, in place; false when the chunk is done.
    mutating func advance() throws -> Bool { try decoder.next(into: &head) }
}

/// A binary min-heap of open chunks keyed by (head ticks, open order). The chunks stay in
/// stable slots; only small (ticks, order, slot) entries move, so sifting copies no arrays and
/// touches no reference counts.
struct ChunkHeap {
    private struct Entry {
        var ticks: UInt64
        var order: Int
        var slot: Int
    }

    private var entries: [Entry] = []
    /// Open chunks in stable slots; a slot listed in `freeSlots` holds a finished chunk until
    /// reused. (Not optional: mutating an optional element in place copies it.)
    private var slots: [OpenChunk] = []
    private var freeSlots: [Int] = []

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var minTicks: UInt64? { entries.first?.ticks }

    @inline(__always)
    private static func less(_ a: Entry, _ b: Entry) -> Bool {
        a.ticks != b.ticks ? a.ticks < b.ticks : a.order < b.order
    }

    mutating func push(_ c: OpenChunk) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = c
        } else {
            slot = slots.count
            slots.append(c)
        }
        entries.append(Entry(ticks: c.head.ticks, order: c.order, slot: slot))
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(entries[i], entries[parent]) else { break }
            entries.swapAt(i, parent)
            i = parent
        }
    }

    /// The payload of the chunk in `slot` (inline strings and log messages are ranges of it).
    func payload(slot: Int) -> [UInt8] { slots[slot].decoder.payload }

    /// The open order of the chunk in `slot` (slots are reused; orders are not).
    func order(slot: Int) -> Int { slots[slot].order }

    /// Hands out the earliest event, packed into `record` (its place fields untouched), with
    /// its time in ticks, its chunk's thread and slot, and advances its chunk, decoding the
    /// chunk's next record in place. A decoding error inside the chunk is returned with the
    /// event; the chunk is then dropped, after the caller had the chance to read the event's
    /// payload ranges. Nil (and `record` unchanged) when no event is left.
    mutating func popEvent(into record: inout MergedRecord) -> (thread: (id: UInt64, ticks: UInt64), slot: Int, error: (offset: Int64, message: String)?)? {
        if let pending = retired {
            freeSlots.append(pending)
            retired = nil
        }
        guard let top = entries.first else { return nil }
        let slot = top.slot
        record.pack(slots[slot].head)
        let thread = (id: slots[slot].decoder.header.thread, ticks: top.ticks)
        var failure: (Int64, String)?
        do {
            if try slots[slot].advance() {
                entries[0].ticks = slots[slot].head.ticks
                siftDown(0)
                return (thread, slot, nil)
            }
        } catch let e as FormatError {
            failure = (slots[slot].fileOffset, "chunk of thread \(thread.id): payload offset \(e.offset): \(e.message)")
        } catch {
            failure = (slots[slot].fileOffset, "\(error)")
        }
        // The chunk is exhausted: leave its slot readable until the next pop.
        entries.swapAt(0, entries.count - 1)
        entries.removeLast()
        if !entries.isEmpty { siftDown(0) }
        retired = slot
        return (thread, slot, failure)
    }

    /// A chunk exhausted by the last pop, freed on the next one.
    private var retired: Int?

    /// Moves the entry at `start` down to its place: children move up into the hole, and the
    /// entry is written once where it belongs. Keys are unique (open orders are), so this
    /// gives the heap a plain swapping sift would.
    private mutating func siftDown(_ start: Int) {
        entries.withUnsafeMutableBufferPointer { e in
            let n = e.count
            let moving = e[start]
            var i = start
            while true {
                let l = 2 * i + 1
                guard l < n else { break }
                let r = l + 1
                let m = r < n && Self.less(e[r], e[l]) ? r : l
                guard Self.less(e[m], moving) else { break }
                e[i] = e[m]
                i = m
            }
            e[i] = moving
        }
    }
}
