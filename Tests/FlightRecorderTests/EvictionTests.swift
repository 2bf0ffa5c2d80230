// What the ring keeps: maxBytes caps it, minAge keeps history while the cap allows.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct Eviction {
        /// Records an increasing counter on the calling thread until `body` says stop.
        static func record(until done: (Int) -> Bool) -> Int {
            var i = 0
            while !done(i) {
                Trace.counter("n", i)
                i += 1
            }
            return i
        }

        @Test("a small maxBytes drops the oldest data and the ring never exceeds it")
        func maxBytesCaps() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(60), maxBytes: 32 << 10, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            var worst = 0
            _ = Self.record { i in
                if i % 512 == 0 { worst = max(worst, RecorderCore.shared.sealedBytes) }
                return i == 200_000
            }
            #expect(worst <= 32 << 10)
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let values = snapshot.allEvents.filter { $0.event.kind == .counterInt }.map(\.event.intValue)
            #expect(values.first ?? 0 > 0, "the oldest events were evicted")
            #expect(values.last == 199_999)
            let retained = snapshot.chunks.reduce(0) { $0 + $1.events.count }
            #expect(retained < 200_000)
            // Every chunk but this thread's active one was sealed into the ring, within the cap.
            #expect(snapshot.chunks.count <= (32 << 10) / (4 << 10) + 2)
        }

        @Test("minAge keeps at least that much history while maxBytes allows, and drops older data")
        func minAgeHonoured() throws {
            let minAge = Duration.milliseconds(40)
            let recorder = FlightRecorder(configuration: .init(minAge: minAge, maxBytes: 64 << 20, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let clock = ContinuousClock()
            let start = clock.now
            _ = Self.record { i in
                if i % 64 == 0 { usleep(50) }
                return clock.now - start > .milliseconds(200)
            }
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let counters = snapshot.allEvents.filter { $0.event.kind == .counterInt }.map(\.event)
            let span = Double(counters.last!.ticks - counters.first!.ticks) / snapshot.header.ticksPerSecond
            #expect(span >= 0.040, "retained \(span) s, minAge 0.040 s")
            #expect(counters.first!.intValue > 0, "data older than minAge was dropped")
            #expect(snapshot.header.minAgeNs == 40_000_000)
        }
    }
}
