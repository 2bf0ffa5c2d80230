// Durations as people read them in logs and snapshot triggers ("2.126 s", "612.004 ms", "85 us").
//
// Invariants: integer arithmetic only (no locale, no Foundation formatter); three decimals for
// seconds and milliseconds, whole microseconds below a millisecond; never negative.

enum DurationText {
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        if seconds < 0 || (seconds == 0 && attoseconds < 0) { return 0 }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ attoseconds / 1_000_000_000
    }

    static func text(nanoseconds ns: Int64) -> String {
        if ns >= 1_000_000_000 { return decimal(ns / 1_000_000, scale: 1000) + " s" }
        if ns >= 1_000_000 { return decimal(ns / 1000, scale: 1000) + " ms" }
        return String(max(0, ns) / 1000) + " us"
    }

    /// Milliseconds with three decimals, for trigger fields ("2126.059").
    static func milliseconds(nanoseconds ns: Int64) -> String {
        decimal(max(0, ns) / 1000, scale: 1000)
    }

    private static func decimal(_ value: Int64, scale: Int64) -> String {
        let fraction = String(value % scale)
        return String(value / scale) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
