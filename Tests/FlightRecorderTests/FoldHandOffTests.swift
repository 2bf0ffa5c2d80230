// Who folds evicted chunks: the writer whose seal evicted them while that reads a few KiB
// (logs, counters, synchronous regions, thread names), the fold worker for chunks that must be
// read whole (tasks, async regions), so writers neither pay a long fold nor wake a thread
// for a short one.

@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct FoldHandOff {
        @Test("a ring of logs, counters and synchronous regions is folded by its writer: the fold worker is never woken")
        func cheapChunksStayWithTheWriter() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 64 << 10, chunkBytes: 16 << 10))
            try recorder.start()
            defer { recorder.stop() }
            TestThread(name: "cheap folds") {
                Trace.withRegion("outer") {
                    for i in 0..<60_000 {
                        Trace.withRegion("inner") { Trace.counter("n", i) }
                        if i % 16 == 0 { Trace.log(category: "test", "tick") }
                    }
                    let snapshot = try! DecodedSnapshot(try! recorder.snapshot())
                    #expect(snapshot.chunks.count <= 6, "the ring evicted")
                    #expect(!snapshot.allEvents.contains { $0.event.kind == .regionBegin && $0.event.name == "outer" })
                    // What the writer folded is in the window state: the open region, the thread's name.
                    #expect(snapshot.windowState.regions.filter { $0.name == "outer" }.count == 1)
                    #expect(snapshot.windowState.threads.contains { $0.name == "cheap folds" })
                }
            }.join()
            #expect(RecorderCore.shared.foldWorkerWakeUps == 0)
        }

        @Test("chunks of logical tasks are read whole, so the fold worker folds them")
        func wholeChunksGoToTheWorker() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 64 << 10, chunkBytes: 16 << 10))
            try recorder.start()
            defer { recorder.stop() }
            TestThread(name: "task records") {
                for i in 0..<20_000 { Trace.withTask("request") { Trace.counter("n", i) } }
            }.join()
            #expect(RecorderCore.shared.foldWorkerWakeUps > 0)
            // Folded all the same: a task listed at window start is one the start cut, ended in the window.
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let ended = Set(snapshot.allEvents.filter { $0.event.kind == .taskEnded }.map(\.event.task))
            #expect(snapshot.windowState.tasks.count <= 1)
            #expect(snapshot.windowState.tasks.allSatisfy { ended.contains($0.task) })
        }
    }
}
