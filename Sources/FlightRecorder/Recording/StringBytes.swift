// The UTF-8 bytes of a String for an inline record (log messages, run-time region names),
// without the standard library's closure-based accessors: `utf8.withContiguousStorageIfAvailable`
// costs ~7 ns a call on this machine, half of a log's budget, and retains the string's storage.
//
// Invariants:
// - A String is two words: count-and-flags, then the object word (the standard library's
//   `_StringObject`, part of the ABI on Apple platforms and laid out the same on 64-bit Linux).
//   They are decoded only on 64-bit little-endian targets, and only after `verifyLayout()` has
//   decoded strings of every form it handles and found their bytes (`layoutChecked`: once per
//   process, when a recorder first starts). Until then, or if the check fails, everything takes
//   the standard accessor.
// - Forms decoded: small (up to 15 bytes, held in the two words: copied to the stack, or
//   handed over as the words themselves by `small`) and
//   tail-allocated (native strings and literals: read in place). The caller borrows the String
//   for the whole call, so in-place bytes stay alive and unchanged. Every other form (shared,
//   bridged, foreign) takes the standard accessor.
// - No allocation and no reference counting on the decoded paths.

import CFlightRecorder
public import CFlightRecorderFastPath

@usableFromInline
enum StringBytes {
    // Computed, not `static let`: inlined into other modules, a `let` is read through an
    // addressor and its once-check.
    // Count-and-flags of a large string: b60 isTailAllocated, b0-47 the UTF-8 count.
    @inlinable static var tailAllocatedFlag: UInt64 { 1 << 60 }
    @inlinable static var countMask: UInt64 { 0x0000_FFFF_FFFF_FFFF }
    // Object word: b61 isSmall (count in b56-59), b60 isForeign; the low 60 bits of a
    // tail-allocated string's object word address 32 bytes before its first UTF-8 byte.
    @inlinable static var smallFlag: UInt64 { 1 << 61 }
    @inlinable static var foreignFlag: UInt64 { 1 << 60 }
    @inlinable static var addressMask: UInt64 { 0x0FFF_FFFF_FFFF_FFFF }
    @inlinable static var tailBias: Int { 32 }

    /// Calls `body` with the UTF-8 bytes of `text`. Inlinable, so that writers in other modules
    /// (span records) call `body` directly rather than through a closure context.
    @inlinable @inline(__always)
    static func with(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        if fr_switches_string_words(fr_switches_now()) && fromWords(text, body) { return }
        standard(text, body)
    }

    /// Calls `body` with the bytes decoded from the two words and returns true, or returns
    /// false (without calling it) for a form it does not decode.
    @inlinable @inline(__always)
    static func fromWords(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        #if (arch(x86_64) || arch(arm64)) && _endian(little)
        var words = unsafeBitCast(text, to: (UInt64, UInt64).self)
        if words.1 & smallFlag != 0 {
            let count = Int(truncatingIfNeeded: (words.1 >> 56) & 0xF)
            withUnsafeBytes(of: &words) { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            return true
        }
        if words.0 & tailAllocatedFlag != 0 && words.1 & foreignFlag == 0,
           let start = UnsafeRawPointer(bitPattern: UInt(truncatingIfNeeded: words.1 & addressMask)) {
            body(UnsafeRawBufferPointer(start: start + tailBias, count: Int(truncatingIfNeeded: words.0 & countMask)))
            return true
        }
        #endif
        return false
    }

    /// A small String's two words and byte count: its UTF-8 bytes are the first `count` bytes
    /// of the words in memory order. nil for every other form, and until the layout is checked.
    @inlinable @inline(__always)
    static func small(_ text: String, switches: UInt64) -> (words: (UInt64, UInt64), count: Int)? {
        #if (arch(x86_64) || arch(arm64)) && _endian(little)
        guard fr_switches_string_words(switches) else { return nil }
        let words = unsafeBitCast(text, to: (UInt64, UInt64).self)
        guard words.1 & smallFlag != 0 else { return nil }
        return (words, Int(truncatingIfNeeded: (words.1 >> 56) & 0xF))
        #else
        return nil
        #endif
    }

    /// The standard library's way (any form; a copy for strings without contiguous UTF-8).
    @usableFromInline
    static func standard(_ text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { body(UnsafeRawBufferPointer($0)) }
        if done == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBytes(body)
        }
    }

    /// Whether the two-word decoding is on: the layout is checked at the first use of this
    /// (the recorder's first start), once per process.
    static let layoutChecked: Bool = verifyLayout()

    /// Enables the two-word decoding if it gives the right bytes for a small string, a literal,
    /// a native string and a multi-byte one, of several lengths; returns whether it did.
    @discardableResult
    static func verifyLayout() -> Bool {
        #if (arch(x86_64) || arch(arm64)) && _endian(little)
        guard MemoryLayout<String>.size == 16 else { return false }
        let literal = "a string literal longer than fifteen bytes"
        var samples: [String] = ["", "a", "request served", "fifteen bytes!!", "é ü 😀", literal]
        for n in [1, 7, 15, 16, 17, 100, 5000] { samples.append(String(repeating: "x", count: n)) }
        samples.append(String(decoding: Array(literal.utf8), as: UTF8.self) + "é")
        var native = "native "
        native += String(samples.count)
        samples.append(native)
        // Decoded before the flag is set: annotations on other threads never use a layout
        // that has not been checked.
        for sample in samples {
            var decoded: [UInt8]? = nil
            guard fromWords(sample, { decoded = Array($0) }), decoded == Array(sample.utf8) else {
                fr_set_string_words_usable(false)
                return false
            }
        }
        fr_set_string_words_usable(true)
        return true
        #else
        return false
        #endif
    }
}
