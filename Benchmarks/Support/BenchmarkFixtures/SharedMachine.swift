// Thresholds for time figures on the machine the benchmarks run on: a shared 2-core VM with
// other builds running, where per-operation time moves 2-3x between runs. Only a gross
// regression fails: p90 wall clock 3x the baseline's, or p90 throughput a quarter of it.

import Benchmark

public enum SharedMachine {
    /// Wall clock per operation and throughput: the time figures of the per-operation benchmarks.
    public static var timeMetrics: [BenchmarkMetric] { [.wallClock, .throughput] }

    /// The thresholds of `timeMetrics` (see the file's header).
    public static var timeTolerance: [BenchmarkMetric: BenchmarkThresholds] {
        [.wallClock: .init(relative: [.p90: 200]), .throughput: .init(relative: [.p90: 75])]
    }
}
