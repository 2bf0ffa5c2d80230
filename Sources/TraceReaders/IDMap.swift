// A hash map from resource IDs (Go goroutine, P and M IDs; snapshot task ids: UInt64) to small
// values, for the readers' per-event hot paths. Swift's Dictionary hashes with SipHash, which
// dominated profiles of both readers; IDs are trusted-enough integers, so a multiplicative hash
// with linear probing does.
//
// Invariants:
// - Capacity is a power of two and at least twice the count (load factor <= 1/2), so probes
//   are short and always end at an empty slot.
// - Deletion shifts following entries back (no tombstones): lookups never degrade over time.
// - Hostile IDs can only make probes longer, never break correctness (every slot is checked).

struct IDMap<Value> {
    private struct Entry {
        var key: UInt64
        /// nil = empty slot.
        var value: Value?
    }
    private var entries: [Entry]
    private(set) var count = 0
    private var mask: Int

    init() {
        entries = [Entry](repeating: Entry(key: 0, value: nil), count: 16)
        mask = 15
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> (index: Int, found: Bool) {
        var i = home(key)
        while entries[i].value != nil {
            if entries[i].key == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            let s = slot(key)
            return s.found ? entries[s.index].value : nil
        }
        set {
            if let newValue { insert(key, newValue) } else { _ = remove(key) }
        }
    }

    @inline(__always)
    func contains(_ key: UInt64) -> Bool { slot(key).found }

    /// Mutates the value in place; returns nil (and does nothing) when the key is absent.
    @inline(__always)
    @discardableResult
    mutating func update<R>(_ key: UInt64, _ body: (inout Value) throws -> R) rethrows -> R? {
        let s = slot(key)
        guard s.found else { return nil }
        return try body(&entries[s.index].value!)
    }

    mutating func insert(_ key: UInt64, _ value: Value) {
        let s = slot(key)
        if s.found {
            entries[s.index].value = value
            return
        }
        if (count + 1) * 2 > entries.count {
            grow()
            insert(key, value)
            return
        }
        entries[s.index] = Entry(key: key, value: value)
        count += 1
    }

    @discardableResult
    mutating func remove(_ key: UInt64) -> Value? {
        let s = slot(key)
        guard s.found else { return nil }
        let old = entries[s.index].value
        var hole = s.index
        entries[hole].value = nil
        count -= 1
        var i = (hole + 1) & mask
        while entries[i].value != nil {
            let h = home(entries[i].key)
            // Move entry i into the hole unless its home lies cyclically in (hole, i].
            let inRange = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i)
            if !inRange {
                entries[hole] = entries[i]
                entries[i].value = nil
                hole = i
            }
            i = (i + 1) & mask
        }
        return old
    }

    private mutating func grow() {
        let old = entries
        entries = [Entry](repeating: Entry(key: 0, value: nil), count: old.count * 2)
        mask = old.count * 2 - 1
        count = 0
        for e in old {
            if let v = e.value { insert(e.key, v) }
        }
    }

    /// Entries in slot order (deterministic for a given insertion history).
    func forEach(_ body: (UInt64, Value) throws -> Void) rethrows {
        for e in entries {
            if let v = e.value { try body(e.key, v) }
        }
    }
}
