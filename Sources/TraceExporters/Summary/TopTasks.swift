// The per-task rows a summary keeps: all of them, or only the `limit` largest by the sort key.
//
// Invariants:
// - With a limit, memory is `limit` rows whatever the number of tasks: a binary min-heap whose
//   root is the worst row kept (smallest value; on equal values the larger id), replaced when
//   a better row arrives. The rows kept are exactly the first `limit` of the full sorted order
//   (value descending, id ascending).
// - `offered` counts every row, kept or not.

import TraceModel

struct TopTasks<Row> {
    private let limit: Int
    private let value: (Row) -> (Int64, UInt64)
    private var rows: [Row] = []
    private(set) var offered = 0

    /// `limit` 0 keeps every row. `value` gives the sort value and the task id.
    init(limit: Int, value: @escaping (Row) -> (Int64, UInt64)) {
        self.limit = limit
        self.value = value
    }

    /// Whether `a` sorts after `b` (is the worse row to keep).
    private func worse(_ a: Row, _ b: Row) -> Bool {
        let (va, ia) = value(a), (vb, ib) = value(b)
        return va != vb ? va < vb : ia > ib
    }

    mutating func offer(_ row: Row) {
        offered += 1
        if limit == 0 {
            rows.append(row)
            return
        }
        if rows.count < limit {
            rows.append(row)
            siftUp(rows.count - 1)
        } else if worse(rows[0], row) {
            rows[0] = row
            siftDown(0)
        }
    }

    var kept: [Row] { rows }

    private mutating func siftUp(_ index: Int) {
        var i = index
        while i > 0 {
            let parent = (i - 1) / 2
            guard worse(rows[i], rows[parent]) else { return }
            rows.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var i = index
        while true {
            let left = 2 * i + 1, right = left + 1
            var worst = i
            if left < rows.count && worse(rows[left], rows[worst]) { worst = left }
            if right < rows.count && worse(rows[right], rows[worst]) { worst = right }
            if worst == i { return }
            rows.swapAt(i, worst)
            i = worst
        }
    }
}
