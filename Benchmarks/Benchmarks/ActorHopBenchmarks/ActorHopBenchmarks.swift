// Actor hops: what a call to a free actor costs (a hop onto it and a hop back, both through
// the runtime's `swift_task_switch`) with the global executor taken over, while nothing
// records and while a recorder records. The difference is the recorder's cost per hop.
//
// Invariants:
// - The calls run inside one job: the actor is free, so every hop is the runtime's fast path
//   (no enqueue, no thread switch), and the figure is the hop itself.
// - Figures are per call of two hops (scalingFactor .kilo: 1,000 calls per iteration), and the
//   alternating benchmark reports per hop.

import Benchmark
import BenchmarkFixtures
import FlightRecorder

actor Tally {
    private var count = 0
    func bump() -> Int {
        count &+= 1
        return count
    }
}

let tally = Tally()
let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20))

/// `count` calls of the actor from a task on the generic executor: 2 hops each.
@inline(never)
func calls(_ count: Int) async -> Int {
    var last = 0
    for _ in 0..<count { last = await tally.bump() }
    return last
}

/// Nanoseconds per hop over `count` calls, after 20 untimed ones (a thread's first events
/// after a recorder starts take the recorder's slow path).
func timedHops(_ count: Int) async -> Int {
    _ = await calls(20)
    let start = ContinuousClock.now
    blackHole(await calls(count))
    let elapsed = ContinuousClock.now - start
    return Int(elapsed / .nanoseconds(1)) / (2 * count)
}

let hopOff = BenchmarkMetric.custom("ns per hop, recording off", polarity: .prefersSmaller, useScalingFactor: false)
let hopOn = BenchmarkMetric.custom("ns per hop, recording on", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 2_000
    try? GlobalExecutorTakeover.install()

    let tolerance = SharedMachine.timeTolerance
    let metrics = SharedMachine.timeMetrics

    Benchmark("ActorCall.1_RecordingOff",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance)) { benchmark in
        blackHole(await calls(benchmark.scaledIterations.count))
    }

    Benchmark("ActorCall.2_RecordingOn",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance,
                                   setup: { try recorder.start() },
                                   teardown: { recorder.stop() })) { benchmark in
        blackHole(await calls(benchmark.scaledIterations.count))
    }

    // Off and on in alternating rounds of 1,000 calls inside one benchmark: both see the same
    // machine load, so the difference of their percentiles is the recorder's cost per hop.
    Benchmark("ActorHop.3_OffOnAlternatingRounds",
              configuration: .init(metrics: [hopOff, hopOn], maxDuration: .seconds(4), maxIterations: 300,
                                   thresholds: [hopOff: .init(relative: [.p90: 200]),
                                                hopOn: .init(relative: [.p90: 200])])) { benchmark in
        for _ in benchmark.scaledIterations {
            benchmark.measurement(hopOff, await timedHops(1_000))
            try recorder.start()
            benchmark.measurement(hopOn, await timedHops(1_000))
            recorder.stop()
        }
    }
}
