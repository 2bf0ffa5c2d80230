// The identity of a span: W3C trace-context ids, carried in the InstrumentationContext.
//
// Invariants:
// - A trace id is 128 random bits, a span id 64 random bits, neither all zero (W3C: all-zero
//   ids are invalid); both print as fixed-width lowercase hex.
// - A child span keeps its parent's trace id; a span without a parent in its context starts a
//   new trace.
// - `traceparent` text is `00-<32 hex>-<16 hex>-<2 hex flags>`; parsing accepts any version but
//   "ff", rejects all-zero ids and never traps on malformed text (it returns nil).

#if Tracing
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
        var random = SystemRandomNumberGenerator()
        var spanID: UInt64 = 0
        while spanID == 0 { spanID = random.next() }
        if let parent {
            return FlightRecorderSpanContext(traceIDHigh: parent.traceIDHigh, traceIDLow: parent.traceIDLow,
                                             spanID: spanID, parentSpanID: parent.spanID, flags: parent.flags)
        }
        var high: UInt64 = 0, low: UInt64 = 0
        while high == 0 && low == 0 {
            high = random.next()
            low = random.next()
        }
        return FlightRecorderSpanContext(traceIDHigh: high, traceIDLow: low, spanID: spanID, parentSpanID: 0, flags: 1)
    }

    /// `00-<trace id>-<span id>-<flags>`.
    public var traceparent: String {
        "00-" + traceID + "-" + spanIDText + "-" + Hex.fixed(UInt64(flags), digits: 2)
    }

    /// Parses a W3C `traceparent` header value; nil when it is not one.
    public init?(traceparent: String) {
        let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].utf8.count == 2, parts[0] != "ff", Hex.parse(parts[0]) != nil,
              parts[1].utf8.count == 32, parts[2].utf8.count == 16, parts[3].utf8.count == 2,
              let high = Hex.parse(parts[1].prefix(16)), let low = Hex.parse(parts[1].suffix(16)),
              let span = Hex.parse(parts[2]), let flags = Hex.parse(parts[3]),
              high != 0 || low != 0, span != 0
        else { return nil }
        if parts[0] == "00" && parts.count != 4 { return nil }
        self.init(traceIDHigh: high, traceIDLow: low, spanID: span, parentSpanID: 0, flags: UInt8(flags))
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
    static func fixed(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return text.count >= digits ? text : String(repeating: "0", count: digits - text.count) + text
    }

    /// Lowercase or uppercase hex of at most 16 digits; nil for anything else.
    static func parse(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.utf8.count <= 16 else { return nil }
        var value: UInt64 = 0
        for byte in text.utf8 {
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}
#endif
