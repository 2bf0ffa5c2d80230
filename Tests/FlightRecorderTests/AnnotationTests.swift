// The public annotation API: names in every form, blocking regions, long messages.

@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct Annotations {
        @Test("static, pre-interned and inline names all reach the snapshot")
        func nameForms() throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let route = TraceName("GET /users/:id")
            let dynamic = "user " + String(42)
            Trace.withRegion("static name") {}
            Trace.withRegion(route) {}
            Trace.withRegion(named: dynamic) {}
            Trace.withBlockingRegion("db query") {}
            Trace.log(category: route, "routed")
            Trace.counter(route, 7.5)
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let events = snapshot.allEvents.map(\.event)
            let begins = events.filter { $0.kind == .regionBegin }.map(\.name)
            #expect(begins == ["static name", "GET /users/:id", "user 42"])
            let ends = events.filter { $0.kind == .regionEnd }.map(\.name)
            #expect(ends == ["static name", "GET /users/:id", "user 42", "db query"])
            #expect(events.filter { $0.kind == .blockingRegionBegin }.map(\.name) == ["db query"])
            #expect(events.first { $0.kind == .log }?.name == "GET /users/:id")
            #expect(events.first { $0.kind == .counterFloat }?.floatValue == 7.5)
        }

        @Test("a synchronous region whose body throws still ends, and the typed error reaches the caller")
        func throwingBodyEndsItsRegion() throws {
            struct Failure: Error, Equatable { let code: Int }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let route = TraceName("POST /orders")
            #expect(throws: Failure(code: 7)) {
                try Trace.withRegion("outer") { () throws(Failure) in
                    try Trace.withRegion(route) { () throws(Failure) in
                        try Trace.withBlockingRegion("lock") { () throws(Failure) in throw Failure(code: 7) }
                    }
                }
            }
            let value = Trace.withRegion("after") { 42 }
            #expect(value == 42)
            let events = try DecodedSnapshot(try recorder.snapshot()).allEvents.map(\.event)
                .filter { [.regionBegin, .blockingRegionBegin, .regionEnd].contains($0.kind) }
            #expect(events.map(\.kind) == [.regionBegin, .regionBegin, .blockingRegionBegin, .regionEnd, .regionEnd,
                                          .regionEnd, .regionBegin, .regionEnd])
            #expect(events.map(\.name) == ["outer", "POST /orders", "lock", "lock", "POST /orders", "outer", "after", "after"])
        }

        @Test("a message longer than the inline limit is cut at a UTF-8 boundary")
        func longMessage() throws {
            let recorder = FlightRecorder(configuration: .init(chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let message = String(repeating: "é", count: 40_000)  // 80,000 bytes
            Trace.log(category: "big", message)
            Trace.log(category: "after", "small")
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let logs = snapshot.allEvents.filter { $0.event.kind == .log }.map(\.event)
            #expect(logs.count == 2)
            let kept = try #require(logs.first).message
            #expect(kept.utf8.count <= Emit.maxInlineBytes && kept.utf8.count >= Emit.maxInlineBytes - 1)
            #expect(kept.allSatisfy { $0 == "é" })
            #expect(logs.last?.message == "small")
        }

        @Test("messages of every small-string length, and just past it, reach the snapshot whole, with the record after each intact")
        func smallMessages() throws {
            let recorder = FlightRecorder(configuration: .init(chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            // Small strings (up to 15 bytes) are stored as their two words, 16 bytes; the record
            // after each must overwrite the extra bytes, also across chunk boundaries.
            var messages = (0...17).map { String(repeating: "m", count: $0) }
            messages += ["é", "naïve ☕️", "😀😀😀", "1234567890abcde"]
            let interned = TraceName("small")
            for round in 0..<300 {
                for (i, message) in messages.enumerated() {
                    // Both category forms take the small-string path.
                    if round % 2 == 0 { Trace.log(category: "small", message) } else { Trace.log(category: interned, message) }
                    Trace.counter("after", round * 100 + i)
                }
            }
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let events = snapshot.allEvents.map(\.event).filter { $0.kind == .log || $0.kind == .counterInt }
            #expect(events.count > 2 * messages.count * 10)  // many rounds still in the window
            var checked = 0
            for (log, counter) in zip(events, events.dropFirst()) where log.kind == .log {
                #expect(counter.kind == .counterInt)
                let i = Int(counter.intValue % 100)
                #expect(log.message == messages[i])
                #expect(log.name == "small")
                checked += 1
            }
            #expect(checked > messages.count * 10)
        }

        @Test("annotations run their bodies and record nothing when no recorder records")
        func idleAnnotations() throws {
            #expect(!Trace.isRecording)
            var ran = 0
            Trace.withRegion("idle") { ran += 1 }
            Trace.withTask("idle task") { ran += 1 }
            Trace.withBlockingRegion("idle wait") { ran += 1 }
            #expect(ran == 3)
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            #expect(!snapshot.allEvents.contains { $0.event.name.hasPrefix("idle") })
        }

        @Test("withTask records a named task whose parent is the enclosing task and ends it")
        func logicalTasks() async throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let swiftTask = TaskIdentity.currentSwiftTask
            await Trace.withTask("outer") {
                await Trace.withTask("inner") {
                    await Task.yield()
                    Trace.log(category: "step", "in inner")
                }
            }
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let created = snapshot.allEvents.filter { $0.event.kind == .taskCreated }.map(\.event)
            let outer = try #require(created.first { $0.name == "outer" })
            let inner = try #require(created.first { $0.name == "inner" })
            #expect(outer.other == swiftTask)
            #expect(inner.other == outer.task)
            #expect(outer.task != inner.task && outer.task > 1 << 62)
            let ended = snapshot.allEvents.filter { $0.event.kind == .taskEnded }.map(\.event.task)
            #expect(ended == [inner.task, outer.task])
            #expect(snapshot.allEvents.first { $0.event.kind == .log }?.event.task == inner.task)
        }
    }
}
