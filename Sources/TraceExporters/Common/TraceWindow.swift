// A time window of a trace, given as durations from the trace's start (`--start 1.5s
// --end 2s`), and the durations' text form.
//
// Invariants:
// - Offsets are nanoseconds, never negative; `endOffsetNs` nil means "to the end of the trace".
// - A window is half open: an event at `start` is inside, an event at `end` is not.
// - An empty window (end not after start) is refused when the window is made; a window that
//   starts at or after the trace's end is refused by the stage that applies it
//   (WindowedTraceReader), which learns where the trace ends.

import TraceModel

package struct TraceWindow: Equatable, Sendable {
    package let startOffsetNs: Int64
    package let endOffsetNs: Int64?

    package init(startOffsetNs: Int64 = 0, endOffsetNs: Int64? = nil) throws(TraceWindowError) {
        precondition(startOffsetNs >= 0 && (endOffsetNs ?? 0) >= 0, "offsets are durations")
        if let endOffsetNs, endOffsetNs <= startOffsetNs {
            throw TraceWindowError(message: "empty window: its end (\(DurationText.format(endOffsetNs))) is not after "
                                            + "its start (\(DurationText.format(startOffsetNs)))")
        }
        self.startOffsetNs = startOffsetNs
        self.endOffsetNs = endOffsetNs
    }

    /// `1.5s`, `250ms`, `300us` (or `µs`), `40ns`, `2m`, or `0`: nanoseconds, exact (no
    /// floating point); nil for anything else (negative, unitless but for 0, beyond Int64).
    package static func parseDuration(_ text: String) -> Int64? {
        if text == "0" { return 0 }
        let units: [(suffix: String, ns: Int64)] = [("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000),
                                                     ("s", 1_000_000_000), ("m", 60_000_000_000)]
        // Longest suffix first: "ms" and "ns" before "s", "m".
        guard let unit = units.sorted(by: { $0.suffix.count > $1.suffix.count }).first(where: { text.hasSuffix($0.suffix) })
        else { return nil }
        let number = text.dropLast(unit.suffix.count)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let wholeText = parts.first, !wholeText.isEmpty || parts.count == 2,
              wholeText.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let fractionText = parts.count == 2 ? parts[1] : ""
        guard fractionText.allSatisfy({ $0.isASCII && $0.isNumber }), !(parts.count == 2 && fractionText.isEmpty)
        else { return nil }
        guard let whole = wholeText.isEmpty ? 0 : Int64(wholeText) else { return nil }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: unit.ns)
        guard !overflow else { return nil }
        // The fraction's digits beyond nanoseconds are dropped (truncated).
        var fraction: Int64 = 0
        var place = unit.ns
        for digit in fractionText {
            place /= 10
            guard place > 0 else { break }
            fraction += Int64(digit.wholeNumberValue!) * place
        }
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        return overflow2 ? nil : total
    }
}

/// A window that cannot be cut from the trace: one line, naming the window.
package struct TraceWindowError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}
