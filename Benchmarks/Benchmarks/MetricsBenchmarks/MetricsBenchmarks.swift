// What a metric update costs through FlightRecorderMetricsFactory: a counter increment and a
// gauge record, while nothing records and while recording; and the same updates through the
// factory wrapping swift-metrics' no-op backend, beside that backend alone.
//
// Invariant: time figures are per update (scalingFactor .mega).

import Benchmark
import BenchmarkFixtures
import CoreMetrics
import FlightRecorder
import FlightRecorderMetrics

let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20))

@inline(never)
func increments(_ counter: Counter, count: Int) {
    for _ in 0..<count { counter.increment() }
}

@inline(never)
func records(_ gauge: Gauge, count: Int) {
    for i in 0..<count { gauge.record(i) }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 1_000

    let timeTolerance = SharedMachine.timeTolerance
    let metrics = SharedMachine.timeMetrics
    let recording = Benchmark.Configuration(metrics: metrics, scalingFactor: .mega, thresholds: timeTolerance,
                                           setup: { try recorder.start() }, teardown: { recorder.stop() })
    let notRecording = Benchmark.Configuration(metrics: metrics, scalingFactor: .mega, thresholds: timeTolerance)

    let factory = FlightRecorderMetricsFactory()
    let counter = Counter(label: "requests", dimensions: [("method", "GET")], factory: factory)
    let gauge = Gauge(label: "pool.size", factory: factory)
    Benchmark("Counter.Increment_NotRecording", configuration: notRecording) { benchmark in
        increments(counter, count: benchmark.scaledIterations.count)
    }
    Benchmark("Counter.Increment_Recording", configuration: recording) { benchmark in
        increments(counter, count: benchmark.scaledIterations.count)
    }
    Benchmark("Gauge.Record_NotRecording", configuration: notRecording) { benchmark in
        records(gauge, count: benchmark.scaledIterations.count)
    }
    Benchmark("Gauge.Record_Recording", configuration: recording) { benchmark in
        records(gauge, count: benchmark.scaledIterations.count)
    }

    let noop = NOOPMetricsHandler.instance
    let noopCounter = Counter(label: "requests", dimensions: [("method", "GET")], factory: noop)
    let wrappedCounter = Counter(label: "requests", dimensions: [("method", "GET")],
                                 factory: FlightRecorderMetricsFactory(wrapping: noop))
    Benchmark("Counter.Increment_NOOPBackendAlone", configuration: notRecording) { benchmark in
        increments(noopCounter, count: benchmark.scaledIterations.count)
    }
    Benchmark("Counter.Increment_WrappingNOOP_Recording", configuration: recording) { benchmark in
        increments(wrappedCounter, count: benchmark.scaledIterations.count)
    }
}
