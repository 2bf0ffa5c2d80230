// Snapshots taken while several threads record: every snapshot decodes and each thread's
// retained events are complete, in order, and untorn.

@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct ConcurrentRecording {
        @Test("snapshots taken while threads record decode with per-thread events complete and in order")
        func snapshotsWhileRecording() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 96 << 10, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let threads = (0..<4).map { n in
                TestThread(name: "writer-\(n)") {
                    for i in 0..<60_000 {
                        Trace.withRegion("step") {
                            Trace.counter("sequence", i)
                        }
                        if i % 1000 == 0 { Trace.log(category: "progress", "thread \(n) at \(i)") }
                    }
                }
            }
            var snapshots: [[UInt8]] = []
            for _ in 0..<12 { snapshots.append(try recorder.snapshot(trigger: SnapshotTrigger("test", ["round": "x"]))) }
            for t in threads { t.join() }
            snapshots.append(try recorder.snapshot())

            for bytes in snapshots {
                let snapshot = try DecodedSnapshot(bytes)
                #expect(snapshot.header.trigger == "test" || snapshot.header.trigger == "manual")
                #expect(snapshot.declaredEvents == snapshot.chunks.reduce(0) { $0 + $1.events.count })
                for (thread, chunks) in snapshot.chunksByThread {
                    // The writers' threads; others (Dispatch's, running a job while this test
                    // records) name themselves whenever their first job of a recording runs.
                    let isWriter = chunks.contains { $0.events.contains { $0.kind == .counterInt } }
                    // Eviction is in seal order, so a thread keeps a contiguous run of its chunks.
                    for (a, b) in zip(chunks, chunks.dropFirst()) {
                        #expect(b.header.sequence == a.header.sequence + 1, "thread \(thread): chunk gap \(a.header.sequence) -> \(b.header.sequence)")
                    }
                    var previous: Int64?
                    var previousTicks: UInt64 = 0
                    var depth = 0
                    var sawRegion = false
                    for chunk in chunks {
                        for e in chunk.events {
                            #expect(e.ticks >= previousTicks)
                            previousTicks = e.ticks
                            switch e.kind {
                            case .counterInt:
                                #expect(e.name == "sequence")
                                if let p = previous { #expect(e.intValue == p + 1, "thread \(thread): \(p) then \(e.intValue)") }
                                previous = e.intValue
                            case .regionBegin:
                                #expect(e.name == "step")
                                #expect(e.task == 0)
                                depth += 1
                                #expect(depth == 1)
                                sawRegion = true
                            case .regionEnd:
                                // The first end may close a region whose begin was evicted (clipped).
                                if depth == 0 { #expect(!sawRegion) } else { depth -= 1 }
                                sawRegion = true
                            case .log:
                                #expect(e.name == "progress")
                            case .threadName:
                                #expect(!isWriter || e.name.hasPrefix("writer-") || chunk.header.sequence == 0)
                            default:
                                break
                            }
                        }
                    }
                }
            }
            let last = try DecodedSnapshot(snapshots.last!)
            // After the writers finished, the last one's final value is in the window (earlier
            // finishers' last chunks may have been evicted by the others since).
            let finals = last.allEvents.filter { $0.event.kind == .counterInt }.map(\.event.intValue)
            #expect(finals.contains(59_999))
        }

        @Test("a snapshot while another is being written is refused, not queued")
        func concurrentSnapshotRefused() throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            Trace.counter("x", 1)
            let cut = try RecorderCore.shared.beginSnapshot(owner: ObjectIdentifier(recorder))
            #expect(throws: FlightRecorderError.snapshotInProgress) { try recorder.snapshot() }
            RecorderCore.shared.endSnapshot()
            #expect(!cut.chunks.isEmpty)
            #expect(throws: Never.self) { try recorder.snapshot() }
        }
    }
}
