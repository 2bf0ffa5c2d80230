// A contiguous byte buffer the exporters format into, moved to the OutputBuffer in large
// appends. Formatting many small pieces straight into OutputBuffer costs a generic
// Array.append per piece; here a piece is a bounds check and a memcpy.
//
// Invariants:
// - Every write checks capacity first and grows the storage when needed: no write can run past
//   the allocation, whatever the caller does.
// - `count` bytes from `base` are initialized; `drain` hands exactly those to the output, in
//   order, and empties the buffer. Exporters drain at event boundaries once `shouldDrain`, so
//   the buffer stays near `drainThreshold` and memory does not grow with the output.
// - A struct, so the compiler checks exclusive access statically (a class's stored properties
//   would pay a dynamic exclusivity check on every write). Copies share one allocation: each
//   exporter owns exactly one StagingBuffer and never copies it.
//
// Soundness of the raw pointer: `base` points into `storage`, allocated with `capacity` bytes
// and freed when the storage object dies; the struct keeps that object alive. All writes are
// at `base + count` after `reserve` guaranteed `count + n <= capacity` (an InlineBytes copy
// reserves and writes its whole fixed-size storage, then keeps only its `count` bytes).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

/// Owns the bytes a StagingBuffer points into.
final class StagingStorage {
    let base: UnsafeMutablePointer<UInt8>

    init(capacity: Int) {
        base = .allocate(capacity: capacity)
    }

    deinit {
        base.deallocate()
    }
}

struct StagingBuffer {
    static let drainThreshold = 1 << 16

    private var storage: StagingStorage
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = StagingBuffer.drainThreshold + 4096) {
        self.capacity = capacity
        storage = StagingStorage(capacity: capacity)
        base = storage.base
    }

    @inline(__always)
    var shouldDrain: Bool { count >= Self.drainThreshold }

    /// Moves everything staged into `output`.
    mutating func drain(into output: inout OutputBuffer) {
        guard count > 0 else { return }
        output.write(bytes: UnsafeBufferPointer(start: base, count: count))
        count = 0
    }

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newStorage = StagingStorage(capacity: newCapacity)
        newStorage.base.update(from: base, count: count)
        storage = newStorage
        base = newStorage.base
        capacity = newCapacity
    }

    @inline(__always)
    mutating func write(byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func write(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        reserve(n)
        (base + count).update(from: s.utf8Start, count: n)
        count += n
    }

    @inline(__always)
    mutating func write(bytes: UnsafeBufferPointer<UInt8>) {
        guard let start = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base + count).update(from: start, count: bytes.count)
        count += bytes.count
    }

    @inline(__always)
    mutating func write(bytes array: [UInt8]) {
        array.withUnsafeBufferPointer { write(bytes: $0) }
    }

    /// Named apart from `write(_: StaticString)` so that string literals pick the static one.
    mutating func write(string s: String) {
        var s = s
        s.withUTF8 { write(bytes: $0) }
    }

    /// Decimal digits, written back to front in place.
    @inline(__always)
    mutating func write(uint value: UInt64) {
        if value < 10 {
            write(byte: UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        let digits = Self.digitCount(value)
        reserve(digits)
        Self.formatDigits(value, count: digits, at: UnsafeMutableRawPointer(base + count))
        count += digits
    }

    /// Writes the `digits` decimal digits of `value` (`digitCount(value)`) at `p`, back to front:
    /// four at a time from two independent pair lookups, so the chain of divisions the CPU
    /// waits on is a quarter of the digits long instead of half.
    @inline(__always)
    static func formatDigits(_ value: UInt64, count digits: Int, at p: UnsafeMutableRawPointer) {
        let pairs: StaticString = """
            00010203040506070809101112131415161718192021222324252627282930313233343536373839\
            40414243444546474849505152535455565758596061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899
            """
        let table = UnsafeRawPointer(pairs.utf8Start)
        var end = digits
        var v = value
        while v >= 10_000 {
            let chunk = Int(truncatingIfNeeded: v % 10_000)
            v /= 10_000
            end -= 4
            p.storeBytes(of: table.loadUnaligned(fromByteOffset: (chunk / 100) &* 2, as: UInt16.self),
                         toByteOffset: end, as: UInt16.self)
            p.storeBytes(of: table.loadUnaligned(fromByteOffset: (chunk % 100) &* 2, as: UInt16.self),
                         toByteOffset: end &+ 2, as: UInt16.self)
        }
        var rest = Int(truncatingIfNeeded: v)
        if rest >= 100 {
            end -= 2
            p.storeBytes(of: table.loadUnaligned(fromByteOffset: (rest % 100) &* 2, as: UInt16.self),
                         toByteOffset: end, as: UInt16.self)
            rest /= 100
        }
        if rest >= 10 {
            p.storeBytes(of: table.loadUnaligned(fromByteOffset: rest &* 2, as: UInt16.self),
                         toByteOffset: end - 2, as: UInt16.self)
        } else {
            p.storeBytes(of: UInt8(truncatingIfNeeded: rest) &+ 48, toByteOffset: end - 1, as: UInt8.self)
        }
    }

    /// Copies an inline byte string: one fixed-size copy of its whole storage (reserved first),
    /// of which `count` bytes are kept.
    @inline(__always)
    mutating func write(_ inline: InlineBytes) {
        reserve(InlineBytes.capacity)
        let destination = UnsafeMutableRawPointer(base + count)
        inline.withStorage { destination.copyMemory(from: $0.baseAddress!, byteCount: InlineBytes.capacity) }
        count += inline.count
    }

    /// The bytes staged since `start` (an earlier `count`), at most `InlineBytes.capacity`.
    @inline(__always)
    func staged(since start: Int) -> InlineBytes {
        InlineBytes(UnsafeBufferPointer(start: base + start, count: count - start))
    }

    @inline(__always)
    static func digitCount(_ value: UInt64) -> Int {
        var n = 1
        var v = value
        while v >= 10_000 {
            v /= 10_000
            n += 4
        }
        if v >= 100 {
            v /= 100
            n += 2
        }
        if v >= 10 { n += 1 }
        return n
    }

    @inline(__always)
    mutating func write(int value: Int64) {
        if value < 0 {
            write(byte: UInt8(ascii: "-"))
            write(uint: UInt64(bitPattern: 0 &- value))
        } else {
            write(uint: UInt64(value))
        }
    }

    /// Nanoseconds as microseconds with up to three decimals, trailing zeros dropped
    /// ("1234.567", "12", "0.5", "0.005").
    @inline(__always)
    mutating func write(microsecondsFromNs ns: Int64) {
        var v = ns
        if v < 0 {
            write(byte: UInt8(ascii: "-"))
            v = 0 &- v
        }
        write(uint: UInt64(v / 1000))
        let frac = Int(v % 1000)
        guard frac != 0 else { return }
        reserve(4)
        let d1 = frac / 100, d2 = frac / 10 % 10, d3 = frac % 10
        base[count] = UInt8(ascii: ".")
        base[count + 1] = UInt8(truncatingIfNeeded: d1) &+ 48
        count += 2
        if d2 != 0 || d3 != 0 {
            base[count] = UInt8(truncatingIfNeeded: d2) &+ 48
            count += 1
            if d3 != 0 {
                base[count] = UInt8(truncatingIfNeeded: d3) &+ 48
                count += 1
            }
        }
    }

    /// A JSON string literal, quotes included (JSONText's escaping).
    mutating func writeJSONString(_ s: String) {
        var s = s
        s.withUTF8 { writeJSONString(utf8: $0) }
    }

    mutating func writeJSONString(utf8: UnsafeBufferPointer<UInt8>) {
        var staged = OutputBuffer()
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            write(byte: UInt8(ascii: "\""))
            write(bytes: utf8)
            write(byte: UInt8(ascii: "\""))
            return
        }
        staged.writeJSONString(utf8: utf8)
        write(bytes: staged.bytes)
    }

    /// A finite Double as a JSON number (see OutputBuffer.writeJSONNumber).
    mutating func writeJSONNumber(_ value: Double) {
        precondition(value.isFinite, "JSON has no NaN or infinity")
        if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992 {
            write(int: Int64(value))
        } else {
            write(string: value.description)
        }
    }
}
