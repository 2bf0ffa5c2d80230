// A hash map from 64-bit identifiers (task and thread ids) to small slot numbers, for the
// per-event lookups of the exporters: Fibonacci hashing and linear probing instead of
// Dictionary's seeded SipHash.
//
// Invariants:
// - Capacity is a power of two and at most half full, so probes stay short and always end at
//   an empty bucket.
// - Removal shifts later entries of the probe run back (no tombstones): lookups never slow
//   down with churn, and memory follows the live entries (plus the high-water capacity).
// - Values are non-negative; -1 marks an empty bucket.

struct IDTable {
    private var keys: [UInt64]
    private var values: [Int32]
    private var shift: UInt64
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    @inline(__always)
    subscript(key: UInt64) -> Int32? {
        let mask = keys.count - 1
        var i = home(key)
        while true {
            let v = values[i]
            if v < 0 { return nil }
            if keys[i] == key { return v }
            i = (i + 1) & mask
        }
    }

    mutating func insert(_ key: UInt64, _ value: Int32) {
        precondition(value >= 0)
        if (count + 1) * 2 > keys.count { resize(keys.count * 2) }
        let mask = keys.count - 1
        var i = home(key)
        while values[i] >= 0 {
            if keys[i] == key {
                values[i] = value
                return
            }
            i = (i + 1) & mask
        }
        keys[i] = key
        values[i] = value
        count += 1
    }

    mutating func remove(_ key: UInt64) {
        let mask = keys.count - 1
        var i = home(key)
        while true {
            if values[i] < 0 { return }
            if keys[i] == key { break }
            i = (i + 1) & mask
        }
        values[i] = -1
        count -= 1
        // Shift back the entries after the hole that would no longer be found from their home.
        var j = i
        while true {
            j = (j + 1) & mask
            if values[j] < 0 { return }
            let k = home(keys[j])
            let movable = i <= j ? (k <= i || k > j) : (k <= i && k > j)
            if movable {
                keys[i] = keys[j]
                values[i] = values[j]
                values[j] = -1
                i = j
            }
        }
    }

    private mutating func resize(_ size: Int) {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        shift = UInt64(64 - size.trailingZeroBitCount)
        count = 0
        for i in oldKeys.indices where oldValues[i] >= 0 { insert(oldKeys[i], oldValues[i]) }
    }

    /// Every entry, in no particular order.
    var entries: [(key: UInt64, value: Int32)] {
        keys.indices.compactMap { values[$0] >= 0 ? (keys[$0], values[$0]) : nil }
    }
}
