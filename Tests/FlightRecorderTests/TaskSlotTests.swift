// The runtime's current task, read straight from its thread-local variable: learned inside a
// task, checked against the runtime at every chunk, and turned off (annotations ask the
// runtime again) as soon as a check fails. Annotations record the same tasks either way. The
// id of the task last seen is cached per thread; a task that reuses an ended task's memory is
// never given the ended task's id.

import CFlightRecorder
@testable import FlightRecorder
import Testing

extension Recorder {
    @Suite struct TaskSlot {
        /// Logs `lines` lines (category `category`) in each of `tasks` Swift tasks of the global
        /// executor, yielding now and then so they hop threads; returns the runtime's id of each.
        static func logInTasks(_ tasks: Int, lines: Int, category: StaticString) async -> Set<UInt64> {
            await withTaskGroup(of: UInt64.self) { group in
                for _ in 0..<tasks {
                    group.addTask {
                        for i in 0..<lines {
                            Trace.log(category: category, "line")
                            if i % 100 == 0 { await Task.yield() }
                        }
                        return TaskIdentity.currentSwiftTask
                    }
                }
                var ids = Set<UInt64>()
                for await id in group { ids.insert(id) }
                return ids
            }
        }

        @Test("annotations in tasks record the runtime's task ids, and plain threads none, once the variable is learned")
        func directReadRecordsTheRuntimesTasks() async throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(3600), maxBytes: 64 << 20, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            let ids = await Self.logInTasks(8, lines: 1_000, category: "in task")
            #if os(Linux)
            #expect(fr_task_slot_offset() >= 0, "learned inside a task (glibc)")
            #endif
            TestThread { for _ in 0..<1_000 { Trace.log(category: "no task", "line") } }.join()
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let logs = snapshot.allEvents.map(\.event).filter { $0.kind == .log }
            var perTask: [UInt64: Int] = [:]
            for log in logs where log.name == "in task" { perTask[log.task, default: 0] += 1 }
            #expect(Set(perTask.keys) == ids)
            #expect(perTask.values.allSatisfy { $0 == 1_000 })
            #expect(logs.filter { $0.name == "no task" }.allSatisfy { $0.task == 0 })
            #expect(logs.filter { $0.name == "no task" }.count == 1_000)
        }

        @Test("a thread whose variable disagrees with the runtime turns the direct read off; annotations then ask the runtime")
        func mismatchTurnsTheDirectReadOff() async throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(3600), maxBytes: 64 << 20, chunkBytes: 4 << 10))
            try recorder.start()
            _ = await Self.logInTasks(2, lines: 500, category: "warm-up")
            let learned = fr_task_slot_offset()
            defer {
                recorder.stop()
                fr_task_slot_set_offset_for_testing(learned)
            }
            let (id, offset, dropped) = await Task.detached { () -> (UInt64, Int, Bool) in
                Trace.log(category: "before", "line")  // the thread has a state and a chunk
                // Point this thread's slot at a word holding no task: the next chunk's check fails.
                let noTask = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
                noTask.initialize(to: nil)
                defer { noTask.deallocate() }
                fr_current_state()!.pointee.task_slot = UnsafePointer(noTask)
                for _ in 0..<2_000 { Trace.log(category: "misread", "line") }  // several 4 KiB chunks
                let offset = fr_task_slot_offset()
                let dropped = fr_current_state()!.pointee.task_slot == nil
                for _ in 0..<100 { Trace.log(category: "after", "line") }
                return (TaskIdentity.currentSwiftTask, offset, dropped)
            }.value
            #expect(offset == -2, "off for the process")
            #expect(dropped)
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let after = snapshot.allEvents.map(\.event).filter { $0.kind == .log && $0.name == "after" }
            #expect(after.count == 100)
            #expect(after.allSatisfy { $0.task == id })
            // Tasks on other threads keep their ids: every thread drops its slot at its next chunk.
            let ids = await Self.logInTasks(4, lines: 1_000, category: "later")
            let later = try DecodedSnapshot(try recorder.snapshot()).allEvents.map(\.event).filter { $0.name == "later" }
            #expect(Set(later.map(\.task)) == ids)
        }

        @Test("a task allocated where an ended task was records its own id, not the one cached for that address")
        func reusedTaskMemoryGetsItsOwnID() async throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(3600), maxBytes: 64 << 20, chunkBytes: 64 << 10))
            try recorder.start()
            defer { recorder.stop() }
            _ = await Self.logInTasks(2, lines: 500, category: "warm-up")  // learn the variable
            // One task at a time, each logging twice: an ended task's memory is usually the next
            // one's, on the same thread, within one chunk (so the cache is not cleared between).
            var expected: [UInt64] = []
            var addresses = Set<Int>()
            for _ in 0..<500 {
                let (id, address) = await Task.detached { () -> (UInt64, Int) in
                    Trace.log(category: "short task", "first")
                    Trace.log(category: "short task", "second")
                    return (TaskIdentity.currentSwiftTask, withUnsafeCurrentTask { $0!.hashValue })
                }.value
                expected.append(id)
                addresses.insert(address)
            }
            #expect(addresses.count < 250, "most tasks reuse an earlier task's memory: the case under test")
            let logs = try DecodedSnapshot(try recorder.snapshot()).allEvents.map(\.event)
                .filter { $0.kind == .log && $0.name == "short task" }
            // Chunks come per thread, so compare the ids as multisets: each task's two logs.
            let recorded = logs.map(\.task).sorted()
            #expect(recorded.count == 1_000)
            #expect(recorded == expected.flatMap { [$0, $0] }.sorted(), "\(zip(recorded, expected.flatMap { [$0, $0] }.sorted()).filter { $0 != $1 }.prefix(4))")
        }

        @Test("starting a recorder learns the variable, so threads that never run a task read it directly too")
        func startLearnsTheVariableForPlainThreads() async throws {
            let learned = fr_task_slot_offset()
            fr_task_slot_set_offset_for_testing(-1)  // as in a process that never annotated in a task
            defer { fr_task_slot_set_offset_for_testing(learned) }
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(3600), maxBytes: 64 << 20, chunkBytes: 4 << 10))
            try recorder.start()
            defer { recorder.stop() }
            #if os(Linux)
            var waited = 0
            while fr_task_slot_offset() == -1 && waited < 200 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(fr_task_slot_offset() >= 0, "the detached task at start learned the place")
            if learned >= 0 { #expect(fr_task_slot_offset() == learned) }
            let (direct, ids) = await withCheckedContinuation { continuation in
                TestThread {
                    for _ in 0..<2_000 { Trace.log(category: "plain", "line") }  // several 4 KiB chunks
                    let direct = fr_current_state()!.pointee.task_slot != nil
                    continuation.resume(returning: (direct, TaskIdentity.currentSwiftTask))
                }.join()
            }
            #expect(direct, "a plain thread found its copy of the variable")
            #expect(ids == 0)
            let logs = try DecodedSnapshot(try recorder.snapshot()).allEvents.map(\.event).filter { $0.name == "plain" }
            #expect(logs.count == 2_000)
            #expect(logs.allSatisfy { $0.task == 0 })
            #endif
        }
    }
}
