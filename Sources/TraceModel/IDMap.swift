// A hash map from 64-bit identifiers (snapshot task and thread ids, Go goroutine, P and M ids)
// to small values, for the per-event hot paths of the readers and the exporters. Swift's
// Dictionary hashes with seeded SipHash, which dominated profiles of both; identifiers are
// trusted-enough integers, so a multiplicative (Fibonacci) hash with linear probing does.
//
// Invariants:
// - Capacity is a power of two and at least twice the count (load factor <= 1/2), so probes
//   are short and always end at an empty slot.
// - Removal shifts following entries back (no tombstones): lookups never degrade with churn,
//   and memory follows the live entries (plus the high-water capacity).
// - Hostile ids can only make probes longer, never break correctness (every slot is checked).
// - Its users live in other modules: every method is inlinable and the type usableFromInline,
//   so each use is specialized for its value type as a module-local map would be (a plain
//   package type's methods are called unspecialized, through generic metadata, from other
//   modules).

@usableFromInline package struct IDMap<Value> {
    @usableFromInline
    struct Entry {
        @usableFromInline var key: UInt64
        /// nil = empty slot.
        @usableFromInline var value: Value?

        @inlinable
        init(key: UInt64, value: Value?) {
            self.key = key
            self.value = value
        }
    }
    @usableFromInline var slots: [Entry]
    @usableFromInline var mask: Int
    @usableFromInline var storedCount = 0

    @inlinable package var count: Int { storedCount }

    /// Room for `capacity` entries before the first growth.
    @inlinable
    package init(capacity: Int = 8) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        slots = [Entry](repeating: Entry(key: 0, value: nil), count: size)
        mask = size - 1
    }

    @inlinable @inline(__always)
    func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inlinable @inline(__always)
    func slot(_ key: UInt64) -> (index: Int, found: Bool) {
        var i = home(key)
        while slots[i].value != nil {
            if slots[i].key == key { return (i, true) }
            i = (i + 1) & mask
        }
        return (i, false)
    }

    @inlinable
    package subscript(key: UInt64) -> Value? {
        @inline(__always) get {
            let s = slot(key)
            return s.found ? slots[s.index].value : nil
        }
        set {
            if let newValue { insert(key, newValue) } else { remove(key) }
        }
    }

    @inlinable @inline(__always)
    package func contains(_ key: UInt64) -> Bool { slot(key).found }

    /// Where `key`'s value is kept, to read and change it without probing again; nil when the
    /// key is absent. Valid until the next insert or remove.
    @inlinable @inline(__always)
    package func index(of key: UInt64) -> Int? {
        let s = slot(key)
        return s.found ? s.index : nil
    }

    /// The value at an index `index(of:)` gave.
    @inlinable
    package subscript(at index: Int) -> Value {
        @inline(__always) get { slots[index].value! }
        @inline(__always) _modify { yield &slots[index].value! }
    }

    /// Mutates the value in place; returns nil (and does nothing) when the key is absent.
    @inlinable @inline(__always)
    @discardableResult
    package mutating func update<R>(_ key: UInt64, _ body: (inout Value) throws -> R) rethrows -> R? {
        let s = slot(key)
        guard s.found else { return nil }
        return try body(&slots[s.index].value!)
    }

    /// Adds `key`, or replaces its value.
    @inlinable
    package mutating func insert(_ key: UInt64, _ value: Value) {
        let s = slot(key)
        if s.found {
            slots[s.index].value = value
            return
        }
        if (storedCount + 1) * 2 > slots.count {
            grow()
            insert(key, value)
            return
        }
        slots[s.index] = Entry(key: key, value: value)
        storedCount += 1
    }

    @inlinable
    @discardableResult
    package mutating func remove(_ key: UInt64) -> Value? {
        let s = slot(key)
        guard s.found else { return nil }
        let old = slots[s.index].value
        var hole = s.index
        slots[hole].value = nil
        storedCount -= 1
        var i = (hole + 1) & mask
        while slots[i].value != nil {
            let h = home(slots[i].key)
            // Move entry i into the hole unless its home lies cyclically in (hole, i].
            let inRange = hole <= i ? (h > hole && h <= i) : (h > hole || h <= i)
            if !inRange {
                slots[hole] = slots[i]
                slots[i].value = nil
                hole = i
            }
            i = (i + 1) & mask
        }
        return old
    }

    @inlinable
    mutating func grow() {
        let old = slots
        slots = [Entry](repeating: Entry(key: 0, value: nil), count: old.count * 2)
        mask = old.count * 2 - 1
        storedCount = 0
        for e in old {
            if let v = e.value { insert(e.key, v) }
        }
    }

    /// Entries in slot order (deterministic for a given insertion history).
    @inlinable
    package func forEach(_ body: (UInt64, Value) throws -> Void) rethrows {
        for e in slots {
            if let v = e.value { try body(e.key, v) }
        }
    }

    /// Every entry, in slot order.
    @inlinable
    package var entries: [(key: UInt64, value: Value)] {
        slots.compactMap { e in e.value.map { (e.key, $0) } }
    }
}
