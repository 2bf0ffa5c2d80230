// Logical tasks named by run-time text (`Trace.withTask(named:)`): the name reaches the snapshot
// whole, the body learns the task's id, and the task ends however the body leaves.

@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct NamedLogicalTasks {
        @Test("a name over 15 bytes and a non-ASCII name are recorded whole as name and group; bodies get the ids")
        func namesAndIDs() async throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let swiftTask = TaskIdentity.currentSwiftTask
            let long = "GET /users/{id}/orders/" + String(42)
            let accented = "café ☕️ " + String(7)
            var outerID: UInt64 = 0
            var innerID: UInt64 = 0
            await Trace.withTask(named: long) { id in
                outerID = id
                await Task.yield()
                Trace.log(category: "step", "in outer")
                Trace.withTask(named: accented) { id in
                    innerID = id
                    Trace.log(category: "step", "in inner")
                }
            }
            // In time order (the body may resume on another thread, whose chunk comes apart).
            let events = try DecodedSnapshot(try recorder.snapshot()).allEvents.map(\.event).enumerated()
                .sorted { ($0.element.ticks, $0.offset) < ($1.element.ticks, $1.offset) }.map(\.element)
            let outer = try #require(events.first { $0.kind == .taskCreated && $0.name == long })
            let inner = try #require(events.first { $0.kind == .taskCreated && $0.name == accented })
            #expect(outer.group == long && inner.group == accented)
            #expect(outer.task == outerID && inner.task == innerID)
            #expect(outerID > 1 << 62 && innerID > 1 << 62 && outerID != innerID)
            #expect(outer.other == swiftTask)
            #expect(inner.other == outerID)
            let ours: Set = [innerID, outerID]
            #expect(events.filter { $0.kind == .taskEnded && ours.contains($0.task) }.map(\.task) == [innerID, outerID])
            let logs = events.filter { $0.kind == .log && $0.name == "step" }
            #expect(logs.map(\.task) == [outerID, innerID])
        }

        @Test("a body that throws still ends its task, and the typed error reaches the caller")
        func throwingBodyEndsTask() throws {
            struct Failure: Error, Equatable { let code: Int }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            var taskID: UInt64 = 0
            #expect(throws: Failure(code: 3)) {
                try Trace.withTask(named: "POST /orders " + String(3)) { (id) throws(Failure) in
                    taskID = id
                    throw Failure(code: 3)
                }
            }
            let events = try DecodedSnapshot(try recorder.snapshot()).allEvents.map(\.event)
            #expect(events.contains { $0.kind == .taskCreated && $0.task == taskID && $0.name == "POST /orders 3" })
            #expect(events.contains { $0.kind == .taskEnded && $0.task == taskID })
        }

        @Test("while nothing records the body runs with id 0 and the name is never built")
        func idle() async {
            #expect(!Trace.isRecording)
            var built = 0
            func name() -> String {
                built += 1
                return "never"
            }
            let synchronous = Trace.withTask(named: name()) { id in id }
            let asynchronous = await Trace.withTask(named: name()) { id in
                await Task.yield()
                return id
            }
            #expect(synchronous == 0 && asynchronous == 0)
            #expect(built == 0)
        }
    }
}
