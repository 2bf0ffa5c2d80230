// The window fold's live tasks by id: an open-addressing table (linear probing, Fibonacci hashing
// of the id), so that each task record the fold reads costs a multiply and a probe or two
// rather than Dictionary's seeded SipHash of the key, which was most of the fold's time in a
// server (one request's logical task is created and ended there, and each task's state set).
//
// Invariants:
// - Id 0 marks a free slot: task 0 ("no task") is never stored (`modify` ignores it).
// - The slot count is 0 (nothing allocated: a fold's empty table is free to make) or a power of
//   two at least twice the entry count; it doubles when an insertion would pass half.
// - An entry sits in the probe run that starts at its id's home slot, with no free slot between
//   the two: removal moves later entries of the run back into the hole (no tombstones), so a
//   lookup stops at the first free slot.
// - Ids are task ids, not chosen by whoever feeds the recorder: sequential Swift task ids and
//   per-thread blocks of logical ids spread evenly under the multiplicative hash.

struct TaskTable {
    typealias Entry = WindowFold.TaskEntry

    private var ids: [UInt64] = []
    private var entries: [Entry] = []
    private(set) var count = 0
    /// 64 - log2(slot count): the hash's top bits pick the slot.
    private var shift: UInt64 = 64

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ id: UInt64) -> Int {
        Int(truncatingIfNeeded: (id &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The slot holding `id`, nil when absent.
    @inline(__always)
    private func slot(of id: UInt64) -> Int? {
        guard count > 0, id != 0 else { return nil }
        let mask = ids.count - 1
        var i = home(id)
        while true {
            let found = ids[i]
            if found == id { return i }
            if found == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    subscript(id: UInt64) -> Entry? {
        slot(of: id).map { entries[$0] }
    }

    /// Runs `change` on `id`'s entry, made with default values first if absent. Task 0 is not
    /// stored: nothing happens.
    @inline(__always)
    mutating func modify(_ id: UInt64, _ change: (inout Entry) -> Void) {
        guard id != 0 else { return }
        if let i = slot(of: id) {
            change(&entries[i])
            return
        }
        if (count + 1) * 2 > ids.count { grow() }
        let mask = ids.count - 1
        var i = home(id)
        while ids[i] != 0 { i = (i + 1) & mask }
        ids[i] = id
        entries[i] = Entry()
        count += 1
        change(&entries[i])
    }

    /// Removes `id`'s entry; false when there was none.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        guard var hole = slot(of: id) else { return false }
        let mask = ids.count - 1
        var j = hole
        while true {
            j = (j + 1) & mask
            let moving = ids[j]
            if moving == 0 { break }
            // `moving` may fill the hole unless its home lies cyclically in (hole, j].
            let h = home(moving)
            let staysPut = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !staysPut {
                ids[hole] = moving
                entries[hole] = entries[j]
                hole = j
            }
        }
        ids[hole] = 0
        count -= 1
        return true
    }

    @inline(never)
    private mutating func grow() {
        let oldIDs = ids
        let oldEntries = entries
        let slots = max(64, ids.count * 2)
        ids = Array(repeating: 0, count: slots)
        entries = Array(repeating: Entry(), count: slots)
        shift = UInt64(64 - slots.trailingZeroBitCount)
        count = 0
        let mask = slots - 1
        for (k, id) in oldIDs.enumerated() where id != 0 {
            var i = home(id)
            while ids[i] != 0 { i = (i + 1) & mask }
            ids[i] = id
            entries[i] = oldEntries[k]
            count += 1
        }
    }

    /// Every id, in no particular order.
    var allIDs: [UInt64] { ids.filter { $0 != 0 } }

    /// Every (id, entry), in no particular order.
    var all: [(id: UInt64, entry: Entry)] {
        ids.indices.compactMap { ids[$0] != 0 ? (ids[$0], entries[$0]) : nil }
    }

    /// Runs `change` on every entry.
    mutating func modifyAll(_ change: (inout Entry) -> Void) {
        for i in ids.indices where ids[i] != 0 { change(&entries[i]) }
    }
}
