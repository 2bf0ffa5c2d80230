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
            // 5% for the difference between the start-up clock estimate eviction uses and the
            // snapshot's calibration.
            #expect(span >= 0.038, "retained \(span) s, minAge 0.040 s")
            #expect(counters.first!.intValue > 0, "data older than minAge was dropped")
            #expect(snapshot.header.minAgeNs == 40_000_000)
        }
    }
}

extension Recorder.Eviction {
    @Test("chunk memory stays within maxBytes plus the documented per-thread slack while threads record")
    func memoryBound() throws {
        let chunk = 4 << 10, maxBytes = 64 << 10, writers = 3
        // Threads that recorded in earlier recordings keep their last chunk until they record
        // again or exit (documented slack): counted once, before this recording starts.
        let heldByIdleThreads = RecorderCore.shared.liveChunkByteCount
        let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: maxBytes, chunkBytes: chunk))
        try recorder.start()
        defer { recorder.stop() }
        let threads = (0..<writers).map { n in
            TestThread(name: "mem-\(n)") {
                for i in 0..<150_000 { Trace.withRegion("r") { Trace.counter("c", i) } }
            }
        }
        let perChunk = chunk + RecorderCore.chunkOverhead
        // maxBytes + one active chunk per thread (writers, this thread) + pool + fold backlog
        // (plus one per thread sealing concurrently, plus the chunk the worker is folding).
        let backlog = RecorderCore.foldBacklog + writers + 1
        let bound = heldByIdleThreads + maxBytes + (writers + 1 + RecorderCore.poolLimit + backlog) * perChunk
        var worst = 0
        for _ in 0..<200 {
            _ = try recorder.snapshot()
            // Between snapshots: nothing is held back for a snapshot copy.
            worst = max(worst, RecorderCore.shared.liveChunkByteCount)
        }
        for t in threads { t.join() }
        worst = max(worst, RecorderCore.shared.liveChunkByteCount)
        #expect(worst <= bound, "\(worst) bytes of chunks, bound \(bound)")
    }
}
