// Durations as text, in the two forms the project prints: compact for the converter's tables
// and messages ("850ns", "12.345µs", "3.500ms", "2.100s"), and spaced for the recorder's logs
// and snapshot triggers ("85 us", "612.004 ms", "2.126 s"; trigger fields in milliseconds,
// "2126.059").
//
// Invariants:
// - Integer arithmetic only (no locale, no Foundation formatter), so the text is the same on
//   every machine; three decimals wherever there are decimals.
// - `format` rounds half up and keeps the sign; the recorder's forms truncate and never print a
//   negative duration (a clock read out of order shows as 0).
// - No Int64 duration overflows: values are split before they are multiplied.

package enum DurationText {
    // MARK: compact (the converter)

    /// "0", "850ns", "12.345µs", "3.500ms", "2.100s" (three decimals, rounded half up).
    package static func format(_ ns: Int64) -> String {
        if ns == 0 { return "0" }
        if ns < 0 { return "-" + format(-ns) }
        if ns < 1_000 { return "\(ns)ns" }
        if ns < 1_000_000 { return scaled(ns, 1_000, "µs") }
        if ns < 1_000_000_000 { return scaled(ns, 1_000_000, "ms") }
        return scaled(ns, 1_000_000_000, "s")
    }

    private static func scaled(_ ns: Int64, _ unit: Int64, _ suffix: String) -> String {
        let thousandths = (ns / unit) * 1000 + ((ns % unit) * 1000 + unit / 2) / unit
        let whole = thousandths / 1000
        let frac = thousandths % 1000
        let fracText = frac < 10 ? "00\(frac)" : frac < 100 ? "0\(frac)" : "\(frac)"
        return "\(whole).\(fracText)\(suffix)"
    }

    // MARK: spaced (the recorder's logs and triggers)

    /// `duration` in whole nanoseconds: 0 when negative, Int64.max when it does not fit.
    package static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ attoseconds / 1_000_000_000
    }

    /// "2.126 s", "612.004 ms", "85 us" (truncated; whole microseconds below a millisecond).
    package static func text(nanoseconds ns: Int64) -> String {
        if ns >= 1_000_000_000 { return decimal(ns / 1_000_000, scale: 1000) + " s" }
        if ns >= 1_000_000 { return decimal(ns / 1000, scale: 1000) + " ms" }
        return String(max(0, ns) / 1000) + " us"
    }

    /// Milliseconds with three decimals, for trigger fields ("2126.059").
    package static func milliseconds(nanoseconds ns: Int64) -> String {
        decimal(max(0, ns) / 1000, scale: 1000)
    }

    private static func decimal(_ value: Int64, scale: Int64) -> String {
        let fraction = String(value % scale)
        return String(value / scale) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
