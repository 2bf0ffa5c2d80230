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
}

/// A binary min-heap of open chunks keyed by (head ticks, open order).
struct ChunkHeap {
    private(set) var items: [OpenChunk] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var minTicks: UInt64? { items.first?.head.ticks }

    private static func less(_ a: OpenChunk, _ b: OpenChunk) -> Bool {
        a.head.ticks != b.head.ticks ? a.head.ticks < b.head.ticks : a.order < b.order
    }

    mutating func push(_ c: OpenChunk) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    /// Hands out the earliest event and advances its chunk; a decoding error inside the chunk
    /// is returned with the event (the chunk is then dropped).
    mutating func popEvent() -> (event: DecodedEvent, thread: UInt64, payload: [UInt8], error: (offset: Int64, message: String)?)? {
        guard !items.isEmpty else { return nil }
        let event = items[0].head
        let thread = items[0].decoder.header.thread
        let payload = items[0].decoder.payload
        var failure: (Int64, String)?
        do {
            if let next = try items[0].decoder.next() {
                items[0].head = next
                siftDown(0)
                return (event, thread, payload, nil)
            }
        } catch let e as FormatError {
            failure = (items[0].fileOffset, "chunk of thread \(thread): payload offset \(e.offset): \(e.message)")
        } catch {
            failure = (items[0].fileOffset, "\(error)")
        }
        removeFirst()
        return (event, thread, payload, failure)
    }

    private mutating func removeFirst() {
        items.swapAt(0, items.count - 1)
        items.removeLast()
        if !items.isEmpty { siftDown(0) }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && Self.less(items[l], items[m]) { m = l }
            if r < items.count && Self.less(items[r], items[m]) { m = r }
            if m == i { return }
            items.swapAt(i, m)
            i = m
        }
    }
}
