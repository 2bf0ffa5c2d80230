// A bounded log-linear histogram of non-negative durations (ns), for region percentiles.
//
// Values below 2^subBits are counted exactly; above, each power of two is split into 2^subBits
// equal buckets, so a bucket's width is at most 1/2^subBits of its lower bound.
//
// Invariants:
// - Fixed memory: `bucketCount` counters whatever the number or size of values (Int64 range).
// - A reported quantile is the midpoint of the bucket holding that rank, clamped to the exact
//   minimum and maximum seen: its relative error is below 2^-(subBits+1) (1.6% here), and it
//   is exact for values below 32 ns, for the first and last rank (min, max) and for a single
//   distinct value.
// - Quantiles use the nearest-rank definition: rank = ceil(q * count), at least 1.

struct LogLinearHistogram: Sendable, Equatable {
    static let subBits = 5
    static let subCount = 1 << subBits
    /// Exact buckets for values < subCount, then subCount buckets per power of two up to 2^63.
    static let bucketCount = subCount + (63 - subBits) * subCount

    private var counts: [Int64]
    private(set) var count: Int64 = 0
    private(set) var min: Int64 = .max
    private(set) var max: Int64 = 0

    init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    mutating func record(_ value: Int64) {
        record(value, times: 1)
    }

    /// Records `value` `times` times (no-op for times <= 0).
    mutating func record(_ value: Int64, times: Int64) {
        guard times > 0 else { return }
        let v = Swift.max(0, value)
        counts[Self.bucket(of: v)] += times
        count += times
        if v < min { min = v }
        if v > max { max = v }
    }

    static func bucket(of v: Int64) -> Int {
        if v < subCount { return Int(v) }
        let msb = 63 - v.leadingZeroBitCount
        let shift = msb - subBits
        let sub = Int(v >> shift) & (subCount - 1)
        return subCount + shift * subCount + sub
    }

    /// The smallest value of a bucket and its width.
    static func range(of bucket: Int) -> (lower: Int64, width: Int64) {
        if bucket < subCount { return (Int64(bucket), 1) }
        let k = bucket - subCount
        let shift = k / subCount
        let sub = Int64(k % subCount)
        return ((Int64(subCount) + sub) << shift, Int64(1) << shift)
    }

    /// The value at quantile `q` (0...1); 0 for an empty histogram.
    func quantile(_ q: Double) -> Int64 {
        guard count > 0 else { return 0 }
        let rank = Swift.min(count, Swift.max(1, Int64((q * Double(count)).rounded(.up))))
        if rank == count { return max }
        if rank == 1 { return min }
        var seen: Int64 = 0
        for bucket in counts.indices {
            seen += counts[bucket]
            if seen >= rank {
                let (lower, width) = Self.range(of: bucket)
                let mid = lower + (width - 1) / 2
                return Swift.min(max, Swift.max(min, mid))
            }
        }
        return max
    }
}
