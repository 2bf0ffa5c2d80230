// The identity of a span: W3C trace-context ids, carried in the InstrumentationContext.
//
// Invariants:
// - A span id is one word, a trace id two, of the current thread's id generator
//   (CFlightRecorder's span_ids.h: xoshiro256**, seeded per thread and per fork child from the
//   system's generator; no lock, no system call per id). Never zero: neither a span id nor either
//   half of a trace id (W3C: all-zero ids are invalid). Both print as fixed-width lowercase hex.
// - The ids are unique with the odds of random words, between threads and processes too, but
//   not secret: the generator is not cryptographic, and ids seen predict a thread's next ones.
// - A child span keeps its parent's trace id; a span without a parent in its context starts a
//   new trace.
// - `traceparent` text is `00-<32 hex>-<16 hex>-<2 hex flags>`; parsing accepts any version but
//   "ff", rejects all-zero ids and never traps on malformed text (it returns nil).

#if Tracing
internal import CFlightRecorder
import Tracing

public struct FlightRecorderSpanContext: Sendable, Hashable {
    public var traceIDHigh: UInt64
    public var traceIDLow: UInt64
    public var spanID: UInt64
    /// The span this one is a child of, 0 for a root (or for a remote parent's own parent).
    public var parentSpanID: UInt64
    /// W3C trace flags (bit 0: sampled).
    public var flags: UInt8

    public var traceID: String { Hex.fixed(traceIDHigh, digits: 16) + Hex.fixed(traceIDLow, digits: 16) }
    public var spanIDText: String { Hex.fixed(spanID, digits: 16) }

    /// A new span: a child of `parent` when given (same trace), else the root of a new trace.
    static func child(of parent: FlightRecorderSpanContext?) -> FlightRecorderSpanContext {
        let spanID = fr_span_id_random()
        if let parent {
            return FlightRecorderSpanContext(traceIDHigh: parent.traceIDHigh, traceIDLow: parent.traceIDLow,
                                             spanID: spanID, parentSpanID: parent.spanID, flags: parent.flags)
        }
        return FlightRecorderSpanContext(traceIDHigh: fr_span_id_random(), traceIDLow: fr_span_id_random(),
                                         spanID: spanID, parentSpanID: 0, flags: 1)
    }

    /// `00-<trace id>-<span id>-<flags>`.
    public var traceparent: String {
        "00-" + traceID + "-" + spanIDText + "-" + Hex.fixed(UInt64(flags), digits: 2)
    }

    /// Parses a W3C `traceparent` header value; nil when it is not one.
    public init?(traceparent: String) {
        var text = traceparent
        guard let parsed = text.withUTF8(Self.parse(traceparent:)) else { return nil }
        self = parsed
    }

    /// `traceparent` fields sit at fixed offsets: version 0..<2, trace id 3..<35, span id
    /// 36..<52, flags 53..<55, each followed by '-' or the end (only a version other than "00"
    /// may have more fields after the flags).
    private static func parse(traceparent bytes: UnsafeBufferPointer<UInt8>) -> FlightRecorderSpanContext? {
        let dash = UInt8(ascii: "-")
        guard bytes.count >= 55, bytes[2] == dash, bytes[35] == dash, bytes[52] == dash,
              let version = Hex.parse(bytes, 0..<2), !(bytes[0] == UInt8(ascii: "f") && bytes[1] == UInt8(ascii: "f")),
              let base = UnsafeRawPointer(bytes.baseAddress),
              let high = Hex.parse16(base + 3), let low = Hex.parse16(base + 19),
              let span = Hex.parse16(base + 36), let flags = Hex.parse(bytes, 53..<55),
              high != 0 || low != 0, span != 0
        else { return nil }
        if bytes.count > 55 && (version == 0 || bytes[55] != dash) { return nil }
        return FlightRecorderSpanContext(traceIDHigh: high, traceIDLow: low, spanID: span, parentSpanID: 0,
                                         flags: UInt8(flags))
    }

    public init(traceIDHigh: UInt64, traceIDLow: UInt64, spanID: UInt64, parentSpanID: UInt64, flags: UInt8) {
        self.traceIDHigh = traceIDHigh
        self.traceIDLow = traceIDLow
        self.spanID = spanID
        self.parentSpanID = parentSpanID
        self.flags = flags
    }
}

/// Where the span context lives in an InstrumentationContext.
enum FlightRecorderSpanContextKey: InstrumentationContextKey {
    typealias Value = FlightRecorderSpanContext
    static var nameOverride: String? { "flightrecorder-span-context" }
}

extension InstrumentationContext {
    /// The flight recorder span this context belongs to, if any.
    public var flightRecorderSpanContext: FlightRecorderSpanContext? {
        get { self[FlightRecorderSpanContextKey.self] }
        set { self[FlightRecorderSpanContextKey.self] = newValue }
    }
}

enum Hex {
    /// `value`'s lowest `digits` hex digits (at most 16), lowercase, zero-padded.
    static func fixed(_ value: UInt64, digits: Int) -> String {
        String(unsafeUninitializedCapacity: digits) { buffer in
            for i in 0..<digits {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt64(4 * (digits - 1 - i))) & 0xF
                buffer[i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return digits
        }
    }

    /// The 16 hex digits (either case) at `p`, first digit most significant; nil when any byte
    /// is not one. The ids of every span recorded beside another tracer are parsed: eight digits
    /// at a time, as one word.
    static func parse16(_ p: UnsafeRawPointer) -> UInt64? {
        guard let high = parse8(p), let low = parse8(p + 8) else { return nil }
        return UInt64(high) << 32 | UInt64(low)
    }

    /// The 8 hex digits at `p`, in the bytes of one word (first digit in the top byte).
    static func parse8(_ p: UnsafeRawPointer) -> UInt32? {
        let x = UInt64(bigEndian: p.loadUnaligned(as: UInt64.self))
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tops: UInt64 = 0x8080_8080_8080_8080
        guard x & tops == 0 else { return nil }
        // Per byte b < 0x80: b + (0x80 - lo) sets the top bit iff b >= lo, b + (0x7F - hi) iff
        // b > hi (no carry into the next byte). Letters of either case are folded to lowercase.
        let lower = x | 0x2020_2020_2020_2020
        let isDigit = (x &+ ones &* (0x80 - 0x30)) & ~(x &+ ones &* (0x7F - 0x39))
        let isLetter = (lower &+ ones &* (0x80 - 0x61)) & ~(lower &+ ones &* (0x7F - 0x66))
        guard (isDigit | isLetter) & tops == tops else { return nil }
        // A digit's value is its low nibble; a letter's is its low nibble + 9 (bit 6 marks letters).
        var v = (x & 0x0F0F_0F0F_0F0F_0F0F) &+ ((x >> 6) & ones) &* 9
        // Pairs of nibbles into bytes, bytes into halves, halves into the word.
        v = (v | v >> 4) & 0x00FF_00FF_00FF_00FF
        v = (v | v >> 8) & 0x0000_FFFF_0000_FFFF
        v = (v | v >> 16) & 0x0000_0000_FFFF_FFFF
        return UInt32(truncatingIfNeeded: v)
    }

    /// `bytes[range]` (non-empty, at most 16 bytes, within `bytes`) read as hex, either case; nil
    /// for anything else.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
        var value: UInt64 = 0
        var valid = true
        for index in range {
            let byte = bytes[index]
            let decimal = byte &- UInt8(ascii: "0")
            let letter = (byte | 0x20) &- UInt8(ascii: "a")
            let isDecimal = decimal < 10
            valid = valid && (isDecimal || letter < 6)
            value = value << 4 | UInt64(isDecimal ? decimal : letter &+ 10)
        }
        return valid ? value : nil
    }
}
#endif
