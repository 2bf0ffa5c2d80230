// Snapshots the recorder writes read back through TraceReaders into the event model, window
// state included, without damage or warnings.

@testable import FlightRecorder
import Testing
import TraceModel
import TraceReaders

extension Recorder {
    @Suite struct ReaderIntegration {
        @Test("a recorder snapshot reads through SnapshotTraceReader with tasks, regions and window state named")
        func readsIntoModel() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 16 << 10, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let result = ByteBox()
            let thread = TestThread(name: "reader-test") {
                Trace.withTask("request") {
                    Trace.withRegion("handler") {
                        for i in 0..<20_000 { Trace.counter("filler", i) }
                        Trace.withBlockingRegion("db query") { Trace.log(category: "db", "SELECT 1") }
                        result.bytes = try! recorder.snapshot(trigger: SnapshotTrigger("slow request", ["path": "/ping"]))
                    }
                }
            }
            thread.join()
            var reader = try SnapshotTraceReader(bytes: result.bytes)
            var events: [TraceEvent] = []
            while let e = try reader.next() { events.append(e) }
            #expect(reader.damage == nil)
            #expect(reader.warnings.isEmpty, "\(reader.warnings)")
            #expect(reader.header.trigger == "slow request")
            let tables = reader.tables
            let taskNames = events.compactMap { e -> String? in
                if case .taskCreated(_, _, let name, _, _) = e.kind { return tables.string(name) } else { return nil }
            }
            #expect(taskNames.contains("request"))
            let regionNames = events.compactMap { e -> String? in
                if case .regionBegin(_, _, let name, _) = e.kind { return tables.string(name) } else { return nil }
            }
            #expect(regionNames.contains("handler"), "open at the window start, from the window state")
            #expect(regionNames.contains("db query"))
            let threadNames = events.compactMap { e -> String? in
                if case .threadName(_, let name) = e.kind { return tables.string(name) } else { return nil }
            }
            #expect(threadNames.contains("reader-test"))
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.timeNs <= $1.timeNs })
        }
    }
}

/// Bytes handed from a test thread to the test (written before `join`, read after).
final class ByteBox: @unchecked Sendable {
    // @unchecked Sendable: written by one thread before the reader joins it.
    var bytes: [UInt8] = []
}
