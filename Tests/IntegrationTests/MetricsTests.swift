// The swift-metrics backend: each metric kind is a counter track named by its label and
// dimensions, holding what the metric says; a wrapped factory sees every update as it would
// alone.

#if Metrics
import CoreMetrics
import FlightRecorder
@testable import FlightRecorderMetrics
import Metrics
import MetricsTestKit
import Testing
import TraceModel
import TraceReaders

/// The samples of each counter track in a snapshot, in order.
func counterTracks(_ bytes: [UInt8]) throws -> [String: [Double]] {
    var reader = try SnapshotTraceReader(bytes: bytes, name: "metrics")
    var tracks: [String: [Double]] = [:]
    while let event = try reader.next() {
        if case .counter(let name, let value) = event.kind {
            tracks[reader.tables.string(name), default: []].append(value)
        }
    }
    #expect(reader.warnings.isEmpty)
    return tracks
}

extension Integration {
    @Suite struct Metrics {
        @Test("each metric kind is a counter track named label{dimensions}, with totals, values and durations")
        func everyKindIsATrack() async throws {
            let factory = FlightRecorderMetricsFactory()
            let requests = Counter(label: "requests", dimensions: [("method", "GET"), ("status", "200")], factory: factory)
            let bytesOut = FloatingPointCounter(label: "bytes.out", factory: factory)
            let inFlight = Meter(label: "in.flight", dimensions: [("pool", "db")], factory: factory)
            let poolSize = Gauge(label: "pool.size", factory: factory)
            let payload = Recorder(label: "payload", dimensions: [("unit", "bytes")], factory: factory)
            let latency = CoreMetrics.Timer(label: "latency", dimensions: [("route", "/ping")], factory: factory)
            let bytes = try await withExclusiveRecorder { recorder in
                requests.increment()
                requests.increment(by: 4)
                bytesOut.increment(by: 1.5)
                bytesOut.increment(by: 2.25)
                inFlight.increment(by: 3)
                inFlight.decrement(by: 1)
                inFlight.set(7)
                poolSize.record(12)
                payload.record(512)
                payload.record(64)
                latency.recordNanoseconds(1_500_000)
                return try recorder.snapshot()
            }
            let tracks = try counterTracks(bytes)
            #expect(tracks["requests{method=GET,status=200}"] == [1, 5])
            #expect(tracks["bytes.out"] == [1.5, 3.75])
            #expect(tracks["in.flight{pool=db}"] == [3, 2, 7])
            #expect(tracks["pool.size"] == [12])
            #expect(tracks["payload{unit=bytes}"] == [512, 64])
            #expect(tracks["latency{route=/ping}"] == [1_500_000])
        }

        @Test("updates while nothing records are counted in totals but leave no samples")
        func totalsKeptWhileNotRecording() async throws {
            let factory = FlightRecorderMetricsFactory()
            let counter = Counter(label: "jobs.done", factory: factory)
            let meter = Meter(label: "queue.depth", factory: factory)
            counter.increment(by: 10)
            meter.set(4)
            let bytes = try await withExclusiveRecorder { recorder in
                counter.increment()
                meter.increment(by: 1)
                return try recorder.snapshot()
            }
            let tracks = try counterTracks(bytes)
            #expect(tracks["jobs.done"] == [11])
            #expect(tracks["queue.depth"] == [5])
            counter.reset()
            let afterReset = try await withExclusiveRecorder { recorder in
                counter.increment(by: 2)
                return try recorder.snapshot()
            }
            #expect(try counterTracks(afterReset)["jobs.done"] == [2])
        }

        @Test("a wrapped factory sees every metric and update, and destroy reaches it")
        func wrappedFactorySeesEverything() async throws {
            let backend = TestMetrics()
            let factory = FlightRecorderMetricsFactory(wrapping: backend)
            let requests = Counter(label: "requests", dimensions: [("method", "GET")], factory: factory)
            let inFlight = Meter(label: "in.flight", factory: factory)
            let payload = Recorder(label: "payload", factory: factory)
            let latency = CoreMetrics.Timer(label: "latency", factory: factory)
            let bytes = try await withExclusiveRecorder { recorder in
                requests.increment(by: 2)
                requests.increment()
                inFlight.set(5)
                inFlight.decrement(by: 2)
                payload.record(9)
                latency.recordNanoseconds(42)
                return try recorder.snapshot()
            }
            #expect(try backend.expectCounter("requests", [("method", "GET")]).values == [2, 1])
            #expect(try backend.expectMeter("in.flight").lastValue == 3)
            #expect(try backend.expectRecorder("payload").values == [9])
            #expect(try backend.expectTimer("latency").values == [42])
            let tracks = try counterTracks(bytes)
            #expect(tracks["requests{method=GET}"] == [2, 3])
            #expect(tracks["in.flight"] == [5, 3])
            requests.destroy()
            #expect(backend.counters.isEmpty)
        }

        @Test("track names: the label alone, or the dimensions in the order given")
        func trackNames() {
            #expect(MetricTrackName.text(label: "a", dimensions: []) == "a")
            #expect(MetricTrackName.text(label: "a", dimensions: [("z", "1"), ("b", "2")]) == "a{z=1,b=2}")
        }
    }
}
#endif
