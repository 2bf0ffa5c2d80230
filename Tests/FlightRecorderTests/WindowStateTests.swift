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

        @Test("an async task's region is kept for its task across suspensions: in the window state once its begin is evicted")
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
                // The begin sits in the chunk of the thread the task started on: evicted (then
                // the window state lists the region) unless that thread's chunk is still active.
                let listed = snapshot.windowState.regions.filter { $0.name == "io wait" }
                let begins = snapshot.allEvents.filter { $0.event.kind == .regionBegin && $0.event.name == "io wait" }
                #expect(listed.count + begins.count == 1)
                #expect(listed.allSatisfy { $0.task == swiftTask })
                #expect(begins.allSatisfy { $0.event.task == swiftTask })
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

extension Recorder.WindowStart {
    @Test("folding keeps nesting per owner: inner ends, out-of-order ends, task ends and state changes")
    func foldNesting() {
        // Strings: 1 "a", 2 "b", 3 "c", 4 "worker", 5 "job", 6 "sleep".
        let strings = ["a", "b", "c", "worker", "job", "sleep"]
        var first = EventChunkBuilder(thread: 10, sequence: 0, baseTicks: 100)
        first.threadName(at: 100, name: 4)
        first.regionBegin(at: 101, task: 0, name: 1)        // thread 10: a
        first.regionBegin(at: 102, task: 0, name: 2)        //   b
        first.regionBegin(at: 103, task: 0, name: 3)        //     c
        first.regionEnd(at: 104, task: 0, name: 2)          //   b closes out of order
        first.taskCreated(at: 105, task: 5, parent: 0, name: .id(5), group: .id(5))
        first.taskRunning(at: 106, task: 5)
        first.regionBegin(at: 107, task: 5, name: 1)        // task 5: a
        first.regionBegin(at: 108, task: 5, name: 2)        //   b
        first.regionEnd(at: 109, task: 5, name: 2)
        first.taskCreated(at: 110, task: 6, parent: 5, name: .inline("child"), group: .id(5))
        first.regionBegin(at: 111, task: 6, name: 3)
        first.taskEnded(at: 112, task: 6)                   // its region goes with it
        first.taskBlocked(at: 113, task: 5, reason: 6)
        var second = EventChunkBuilder(thread: 11, sequence: 0, baseTicks: 200)
        second.taskRunnable(at: 200, task: 5, waker: 0)
        second.regionBegin(at: 201, task: 0, name: 1)       // thread 11's own region
        second.regionEnd(at: 202, task: 0, name: 1)
        var fold = WindowFold()
        fold.apply(payload: first.bytes, final: false)
        fold.apply(payload: second.bytes, final: false)
        let state = fold.windowState(strings: strings)
        #expect(state.threads == [WindowState.Thread(thread: 10, name: "worker")])
        #expect(state.tasks.map(\.task) == [5])
        #expect(state.tasks.first?.name == "job")
        #expect(state.tasks.first?.state == .runnable)
        let regions = state.regions.map { "\($0.task)/\($0.thread)/\($0.name)" }
        #expect(regions == ["0/10/a", "0/10/c", "5/10/a"])
        // The thread's final chunk makes its name leave the state.
        var last = EventChunkBuilder(thread: 10, sequence: 1, baseTicks: 300)
        last.regionEnd(at: 300, task: 0, name: 3)
        last.regionEnd(at: 301, task: 0, name: 1)
        fold.apply(payload: last.bytes, final: true)
        let after = fold.windowState(strings: strings)
        #expect(after.threads.isEmpty)
        #expect(after.regions.map(\.name) == ["a"])
    }
}
