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
import FlightRecorder

let executor = RecordingExecutor(threads: 1, name: "bench-worker")
let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20))

/// `count` job hops on the recording executor.
func hops(_ count: Int) async {
    await withTaskExecutorPreference(executor) {
        for _ in 0..<count { await Task.yield() }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 2_000

    let tolerance: [BenchmarkMetric: BenchmarkThresholds] = [
        .wallClock: .init(relative: [.p90: 60]),
        .throughput: .init(relative: [.p90: 60]),
    ]
    let metrics: [BenchmarkMetric] = [.wallClock, .throughput]

    Benchmark("Job hop (Task.yield) on a RecordingExecutor: 1 recording off",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance)) { benchmark in
        await hops(benchmark.scaledIterations.count)
    }

    Benchmark("Job hop (Task.yield) on a RecordingExecutor: 2 recording on",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance,
                                   setup: { try recorder.start() },
                                   teardown: { recorder.stop() })) { benchmark in
        await hops(benchmark.scaledIterations.count)
    }

    Benchmark("Job hop (Task.yield) on a RecordingExecutor: 3 recording on + thread CPU time",
              configuration: .init(metrics: metrics, scalingFactor: .kilo, thresholds: tolerance,
                                   setup: {
                                       try recorder.start()
                                       ThreadCPUTime.isEnabled = true
                                   },
                                   teardown: {
                                       ThreadCPUTime.isEnabled = false
                                       recorder.stop()
                                   })) { benchmark in
        await hops(benchmark.scaledIterations.count)
    }
}
