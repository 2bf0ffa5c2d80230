// The recording executor: what a job hop costs (a task yielding on a RecordingExecutor, which
// re-enqueues it: enqueue, queue, start, end) with the recorder off, on, and on with the
// thread-CPU-time stamps switched on. The three sit side by side; their differences are the
// recorder's cost per hop.
//
// Invariants:
// - One executor for the whole process, 1 thread: a hop is then enqueue + dequeue on the same
//   thread, with no cross-thread wake-up in the figure (that is the executor's, not the
//   recorder's cost).
// - Figures are per hop (scalingFactor .kilo: 1,000 yields per iteration).

import Benchmark
import BenchmarkFixtures
import FlightRecorder

let executor = RecordingExecutor(threads: 1, name: "bench-worker")
let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20))
let cpuTimeRecorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20,
                                                                               threadCPUTime: true))

/// `count` job hops on the recording executor.
func hops(_ count: Int) async {
    await withTaskExecutorPreference(executor) {
        for _ in 0..<count { await Task.yield() }
    }
}

/// Nanoseconds per hop for `count` hops, on the wall clock, after 20 untimed hops: the first
/// events on each thread after a recorder starts take the slow path (a fresh chunk, the
/// thread's name read from the system), a cost per start that is not a per-job one. Both sides of the
/// alternating benchmark warm up alike.
func timedHops(_ count: Int) async -> Int {
    await hops(20)
    let start = ContinuousClock.now
    await hops(count)
    let elapsed = ContinuousClock.now - start
    return Int(elapsed / .nanoseconds(1)) / count
}

/// Nanoseconds per child task created (group.addTask: creation and enqueue, with everything
/// the recorder writes for it while recording: origin, creation, runnable) for `count` children.
/// The children cannot run during the timed loop: the executor's one thread runs the creator.
func timedCreations(_ count: Int) async -> Int {
    await withTaskExecutorPreference(executor) {
        await withDiscardingTaskGroup { group in
            let start = ContinuousClock.now
            for _ in 0..<count { group.addTask { blackHole(0) } }
            let elapsed = ContinuousClock.now - start
            return Int(elapsed / .nanoseconds(1)) / count
        }
    }
}

let createOff = BenchmarkMetric.custom("ns per task created, recording off", polarity: .prefersSmaller,
                                       useScalingFactor: false)
let createOn = BenchmarkMetric.custom("ns per task created, recording on", polarity: .prefersSmaller,
                                      useScalingFactor: false)
let createOnNoOrigin = BenchmarkMetric.custom("ns per task created, recording on, no origins",
                                              polarity: .prefersSmaller, useScalingFactor: false)
let noOrigins = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20,
                                                                          taskOrigins: false))

let hopOff = BenchmarkMetric.custom("ns per hop, recording off", polarity: .prefersSmaller, useScalingFactor: false)
let hopOn = BenchmarkMetric.custom("ns per hop, recording on", polarity: .prefersSmaller, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 2_000

    let tolerance = SharedMachine.timeTolerance
    let metrics = SharedMachine.timeMetrics

    Benchmark("JobHop.1_RecordingOff",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance)) { benchmark in
        await hops(benchmark.scaledIterations.count)
    }

    Benchmark("JobHop.2_RecordingOn",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance,
                                   setup: { try recorder.start() },
                                   teardown: { recorder.stop() })) { benchmark in
        await hops(benchmark.scaledIterations.count)
    }

    Benchmark("JobHop.3_RecordingOn_ThreadCPUTime",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance,
                                   setup: { try cpuTimeRecorder.start() },
                                   teardown: { cpuTimeRecorder.stop() })) { benchmark in
        await hops(benchmark.scaledIterations.count)
    }

    // Off and on in alternating rounds of 1,000 hops inside one benchmark: both see the same
    // machine load, so the difference of their percentiles is the recorder's added cost per hop.
    Benchmark("JobHop.4_OffOnAlternatingRounds",
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

    // Task creation off, on without task origins and on (the default) in alternating rounds of
    // 1,000 children: on minus on-without-origins is what identity capture adds.
    Benchmark("TaskCreation.OffOnAlternatingRounds",
              configuration: .init(metrics: [createOff, createOnNoOrigin, createOn], maxDuration: .seconds(6),
                                   maxIterations: 300,
                                   thresholds: [createOff: .init(relative: [.p90: 200]),
                                                createOnNoOrigin: .init(relative: [.p90: 200]),
                                                createOn: .init(relative: [.p90: 200])])) { benchmark in
        for _ in benchmark.scaledIterations {
            _ = await timedCreations(50)
            benchmark.measurement(createOff, await timedCreations(1_000))
            try noOrigins.start()
            _ = await timedCreations(50)
            benchmark.measurement(createOnNoOrigin, await timedCreations(1_000))
            noOrigins.stop()
            try recorder.start()
            _ = await timedCreations(50)
            benchmark.measurement(createOn, await timedCreations(1_000))
            recorder.stop()
        }
    }
}
