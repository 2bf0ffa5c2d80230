// The state at window start: tasks, regions and thread names whose beginnings were evicted.

@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct WindowStart {
        @Test("a task and a region opened before the window start appear in the window state with their names")
        func openTaskAndRegionSurviveEviction() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 16 << 10, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let thread = TestThread(name: "window-thread") {
                Trace.withTask("request") {
                    Trace.withRegion("db query") {
                        for i in 0..<50_000 { Trace.counter("filler", i) }
                        Trace.log(category: "test", "inside")
                        let bytes = try! recorder.snapshot(trigger: SnapshotTrigger("window"))
                        let snapshot = try! DecodedSnapshot(bytes)
                        // The beginnings were evicted...
                        #expect(!snapshot.allEvents.contains { $0.event.kind == .taskCreated })
                        #expect(!snapshot.allEvents.contains { $0.event.kind == .regionBegin })
                        // ...and the window state names what was open.
                        let task = snapshot.windowState.tasks.first { $0.name == "request" }
                        #expect(task != nil)
                        #expect(task?.group == "request")
                        let region = snapshot.windowState.regions.first { $0.name == "db query" }
                        #expect(region != nil)
                        #expect(region?.task == task?.task)
                        #expect(region.map { $0.beginTicks <= snapshot.header.windowStartTicks } == true)
                        #expect(snapshot.windowState.threads.contains { $0.name == "window-thread" })
                        // The log inside the task records the logical task.
                        let log = snapshot.allEvents.first { $0.event.kind == .log }
                        #expect(log?.event.task == task?.task)
                    }
                }
            }
            thread.join()
        }

        @Test("an async task's region opened before the window start is in the window state for its task")
        func asyncRegionAcrossSuspension() async throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 16 << 10, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let swiftTask = TaskIdentity.currentSwiftTask
            #expect(swiftTask != 0)
            try await Trace.withRegion("io wait") {
                await Task.yield()
                for i in 0..<50_000 { Trace.counter("filler", i) }
                await Task.yield()
                let snapshot = try DecodedSnapshot(try recorder.snapshot())
                let region = snapshot.windowState.regions.first { $0.name == "io wait" }
                #expect(region?.task == swiftTask)
            }
            // Begin and end carry the same task even if the body resumed on another thread.
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let end = snapshot.allEvents.first { $0.event.kind == .regionEnd && $0.event.name == "io wait" }
            #expect(end?.event.task == swiftTask)
        }

        @Test("events of one task folded out of time order cancel: an end folded before its begin")
        func outOfOrderFold() {
            func chunk(thread: UInt64, _ body: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) -> [UInt8] {
                let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 4096)
                defer { buffer.deallocate() }
                let start = EventChunkHeader(thread: thread, sequence: 0, baseTicks: 100).write(at: buffer)
                let end = body(start)
                return Array(UnsafeBufferPointer(start: buffer, count: end - buffer))
            }
            let name: [UInt8] = Array("hop".utf8)
            // Thread 2 ended task 7 and its region (sealed and evicted first)...
            let later = chunk(thread: 2) { p in
                name.withUnsafeBytes { n in
                    var q = EventRecord.header(.regionEnd, dt: 50, at: p)
                    q = Varint.write(7, at: q)
                    q = StringRef.writeInline(n, at: q)
                    return EventRecord.task(.taskEnded, dt: 1, task: 7, at: q)
                }
            }
            // ...thread 1 created it and opened the region earlier (evicted second).
            let earlier = chunk(thread: 1) { p in
                name.withUnsafeBytes { n in
                    var q = EventRecord.taskCreated(dt: 1, task: 7, parent: 0, name: n, nameID: 0, group: nil, groupID: 0, at: p)
                    q = EventRecord.header(.regionBegin, dt: 1, at: q)
                    q = Varint.write(7, at: q)
                    q = StringRef.writeInline(n, at: q)
                    q = Varint.write(0, at: q)
                    // And task 8, still open.
                    return EventRecord.taskCreated(dt: 1, task: 8, parent: 7, name: n, nameID: 0, group: nil, groupID: 0, at: q)
                }
            }
            var fold = WindowFold()
            fold.apply(payload: later, final: false)
            fold.apply(payload: earlier, final: false)
            let state = fold.windowState(strings: [])
            #expect(state.tasks.map(\.task) == [8])
            #expect(state.regions.isEmpty)
        }
    }
}
