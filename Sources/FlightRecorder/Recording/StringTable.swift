// Interned names: one process-wide table from string to id, shared by every recording.
//
// Invariants:
// - Ids start at 1 (0 is the empty string / no name) and are never reused or removed, so an id
//   written into any chunk resolves for the rest of the process; a snapshot writes the whole
//   table (it grows only with distinct static names and explicitly interned `TraceName`s).
// - The same text always gets the same id, whether it came from a StaticString address, from
//   another module's copy of the literal, or from a String.
// - Hot path: a StaticString is looked up in the calling thread's direct-mapped cache
//   (`fr_name_cache_lookup`, no lock); only a miss takes the table's lock. Literal addresses
//   are assumed stable for the process's life (a library unloaded with dlclose whose address
//   range is reused could make an old name appear for a new literal).

import CFlightRecorder
public import CFlightRecorderFastPath

final class StringTable: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is read and written only under `lock`.
    static let shared = StringTable()

    private let lock = RecorderLock()
    private var byText: [String: UInt64] = [:]
    private var byAddress: [UInt: UInt64] = [:]
    private var strings: [String] = []

    /// The id of `text` (interning it), 0 for the empty string.
    func intern(_ text: String) -> UInt64 {
        if text.isEmpty { return 0 }
        return lock.withLock { internLocked(text) }
    }

    private func internLocked(_ text: String) -> UInt64 {
        if let id = byText[text] { return id }
        strings.append(text)
        let id = UInt64(strings.count)
        byText[text] = id
        return id
    }

    /// The id of a StaticString, through the global address map (the per-thread cache's miss path).
    func intern(_ name: StaticString) -> UInt64 {
        if name.utf8CodeUnitCount == 0 { return 0 }
        guard name.hasPointerRepresentation else {
            return intern(name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) })
        }
        let address = UInt(bitPattern: name.utf8Start)
        return lock.withLock {
            if let id = byAddress[address] { return id }
            let id = internLocked(name.withUTF8Buffer { String(decoding: $0, as: UTF8.self) })
            byAddress[address] = id
            return id
        }
    }

    /// The text of `id` ("" for 0 or an unknown id).
    func text(_ id: UInt64) -> String {
        lock.withLock { id >= 1 && id <= UInt64(strings.count) ? strings[Int(id - 1)] : "" }
    }

    /// Every interned string, id `i + 1` at index `i` (copy-on-write: O(1) under the lock).
    func all() -> [String] {
        lock.withLock { strings }
    }
}

/// Names for the hot path.
@usableFromInline
enum Names {
    /// The string id of `name`, cached per thread by the literal's address.
    @inlinable @inline(__always)
    static func id(_ name: StaticString, state: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        if name.hasPointerRepresentation {
            let cached = fr_name_cache_lookup(state, UInt(bitPattern: name.utf8Start))
            if cached != 0 { return cached }
        }
        return miss(name, state: state)
    }

    /// The per-thread cache's miss path: the global table, then the cache is filled.
    @usableFromInline @inline(never)
    static func miss(_ name: StaticString, state: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        let id = StringTable.shared.intern(name)
        if name.hasPointerRepresentation && id != 0 {
            fr_name_cache_store(state, UInt(bitPattern: name.utf8Start), id)
        }
        return id
    }

    /// The string id of `name` without a thread's cache (slow paths, executors' setup).
    static func id(_ name: String) -> UInt64 { StringTable.shared.intern(name) }
}
