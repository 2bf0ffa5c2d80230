// The tick clock and its calibration against CLOCK_MONOTONIC.
//
// Invariants:
// - Events carry ticks (`fr_ticks`): TSC cycles / 16 on x86_64 with an invariant TSC, else
//   monotonic nanoseconds (then `ticksPerSecond` is exactly 1e9).
// - The rate is measured between the recording's start and each snapshot (both clocks read
//   back to back, the tightest of a few tries), so it sharpens as the recording ages; a 2 ms
//   spin at start gives a first estimate. Age-based eviction re-measures it at each seal.

import CFlightRecorder

struct ClockPair: Sendable {
    var ticks: UInt64
    var monotonicNs: UInt64
    var wallClockNs: Int64

    static func now() -> ClockPair {
        // The monotonic read between two tick reads, ticks taken as their midpoint; of a few
        // tries the tightest pair wins (a preemption between the reads would skew the pair).
        var best = ClockPair(ticks: 0, monotonicNs: 0, wallClockNs: 0)
        var bestSpread = UInt64.max
        for _ in 0..<5 {
            let t0 = fr_ticks()
            let mono = fr_monotonic_ns()
            let t1 = fr_ticks()
            let spread = t1 &- t0
            if spread < bestSpread {
                bestSpread = spread
                best = ClockPair(ticks: t0 &+ spread / 2, monotonicNs: mono, wallClockNs: 0)
            }
        }
        best.wallClockNs = fr_wall_clock_ns()
        return best
    }
}

struct TickClock: Sendable {
    let start: ClockPair
    /// Rate from the start-up spin.
    let initialTicksPerSecond: Double

    /// Starts a calibration (spins about 2 ms when the tick source is the TSC).
    static func begin() -> TickClock {
        let usesTSC = fr_clock_init() != 0
        let first = ClockPair.now()
        guard usesTSC else { return TickClock(start: first, initialTicksPerSecond: 1e9) }
        var second = ClockPair.now()
        while second.monotonicNs &- first.monotonicNs < 2_000_000 { second = ClockPair.now() }
        let rate = Double(second.ticks &- first.ticks) * 1e9 / Double(second.monotonicNs &- first.monotonicNs)
        return TickClock(start: first, initialTicksPerSecond: rate.isFinite && rate > 0 ? rate : 1e9)
    }

    /// Ticks per second measured from the start to `now`.
    func ticksPerSecond(at now: ClockPair) -> Double {
        guard fr_clock_is_tsc() else { return 1e9 }
        let ns = now.monotonicNs &- start.monotonicNs
        guard ns >= 10_000_000, now.ticks > start.ticks else { return initialTicksPerSecond }
        return Double(now.ticks - start.ticks) * 1e9 / Double(ns)
    }

    /// `nanoseconds` in ticks at `ticksPerSecond`.
    static func ticks(nanoseconds: UInt64, ticksPerSecond: Double) -> UInt64 {
        let t = Double(nanoseconds) * ticksPerSecond / 1e9
        return t >= Double(UInt64.max) ? UInt64.max : UInt64(t)
    }
}
