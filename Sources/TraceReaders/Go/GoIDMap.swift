// A hash map from Go resource IDs (goroutine, P and M IDs: UInt64) to small values, for the
// per-event hot path. Swift's Dictionary hashes with SipHash, which dominated profiles of the
// reader; IDs are trusted-enough integers, so a multiplicative hash with linear probing does.
//
// Invariants:
// - Capacity is a power of two and at least twice the count (load factor <= 1/2), so probes
//   are short and always end at an empty slot.
// - Deletion shifts following entries back (no tombstones): lookups never degrade over time.
// - Hostile IDs can only make probes longer, never break correctness (every slot is checked).

struct GoIDMap<Value> {
    private var keys: [UInt64]
    private var values: [Value?]
    private var used: [Bool]
    private(set) var count = 0
    private var mask: Int

    init() {
        keys = [UInt64](repeating: 0, count: 16)
        values = [Value?](repeating: nil, count: 16)
        used = [Bool](repeating: false, count: 16)
        mask = 15
    }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> (index: Int, found: Bool) {
        var i = home(key)
        while used[i] {
            if keys[i] == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            let s = slot(key)
            return s.found ? values[s.index] : nil
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
        return try body(&values[s.index]!)
    }

    mutating func insert(_ key: UInt64, _ value: Value) {
        let s = slot(key)
        if s.found {
            values[s.index] = value
            return
        }
        if (count + 1) * 2 > keys.count {
            grow()
            insert(key, value)
            return
        }
        used[s.index] = true
        keys[s.index] = key
        values[s.index] = value
        count += 1
    }

    @discardableResult
    mutating func remove(_ key: UInt64) -> Value? {
        let s = slot(key)
        guard s.found else { return nil }
        let old = values[s.index]
        var hole = s.index
        used[hole] = false
        values[hole] = nil
        count -= 1
        var i = (hole + 1) & mask
        while used[i] {
            let h = home(keys[i])
            // Move entry i into the hole if its home is not in (hole, i] cyclically.
            let inRange = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i)
            if !inRange {
                keys[hole] = keys[i]
                values[hole] = values[i]
                used[hole] = true
                used[i] = false
                values[i] = nil
                hole = i
            }
            i = (i + 1) & mask
        }
        return old
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values, oldUsed = used
        let capacity = keys.count * 2
        keys = [UInt64](repeating: 0, count: capacity)
        values = [Value?](repeating: nil, count: capacity)
        used = [Bool](repeating: false, count: capacity)
        mask = capacity - 1
        count = 0
        for i in 0..<oldKeys.count where oldUsed[i] {
            insert(oldKeys[i], oldValues[i]!)
        }
    }

    /// Entries in slot order (deterministic for a given insertion history).
    func forEach(_ body: (UInt64, Value) throws -> Void) rethrows {
        for i in 0..<keys.count where used[i] {
            try body(keys[i], values[i]!)
        }
    }
}
