// The per-task rows a summary keeps: all of them, or only the `limit` largest by the sort key.
//
// Invariants:
// - With a limit, memory is `limit` rows whatever the number of tasks: a binary min-heap whose
//   root is the worst row kept (smallest value; on equal values the larger id), replaced when
//   a better row arrives. The rows kept are exactly the first `limit` of the full sorted order
//   (value descending, id ascending).
// - The heap orders small entries (a row's rank and where the row is stored), never the rows:
//   a replaced row is overwritten in place and sifting moves no row (rows hold arrays, and
//   moving those costs reference counting on every step).
// - `kept` is in no particular order; callers sort it.
// - `offered` counts every row, kept or not.

import TraceModel

struct TopTasks<Row> {
    /// A row's sort value and task id, computed once when it is offered: the heap compares
    /// these alone and never calls `value` again.
    private struct Rank {
        var value: Int64
        var id: UInt64

        /// Whether `self` sorts after `other` (is the worse row to keep).
        @inline(__always)
        func isWorse(than other: Rank) -> Bool {
            value != other.value ? value < other.value : id > other.id
        }
    }

    private struct HeapEntry {
        var rank: Rank
        /// Index of the row in `rows`.
        var row: Int
    }

    private let limit: Int
    private let value: (Row) -> (Int64, UInt64)
    private var rows: [Row] = []
    /// With a limit: one entry per row, a min-heap by rank (worst first).
    private var heap: [HeapEntry] = []
    private(set) var offered = 0

    /// `limit` 0 keeps every row. `value` gives the sort value and the task id.
    init(limit: Int, value: @escaping (Row) -> (Int64, UInt64)) {
        self.limit = limit
        self.value = value
    }

    mutating func offer(_ row: Row) {
        offered += 1
        if limit == 0 {
            rows.append(row)
            return
        }
        let (v, id) = value(row)
        let rank = Rank(value: v, id: id)
        if rows.count < limit {
            heap.append(HeapEntry(rank: rank, row: rows.count))
            rows.append(row)
            siftUp(heap.count - 1)
        } else if heap[0].rank.isWorse(than: rank) {
            rows[heap[0].row] = row
            heap[0].rank = rank
            siftDown(0)
        }
    }

    var kept: [Row] { rows }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].rank.isWorse(than: heap[parent].rank) else { return }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        let count = heap.count
        while true {
            let left = 2 * i + 1, right = left + 1
            var worst = i
            if left < count && heap[left].rank.isWorse(than: heap[worst].rank) { worst = left }
            if right < count && heap[right].rank.isWorse(than: heap[worst].rank) { worst = right }
            if worst == i { return }
            heap.swapAt(i, worst)
            i = worst
        }
    }
}
