// The logical task binding is read through the runtime's task-local entry point
// (`swift_task_localValueGet`) with `LogicalTask.bound`'s address as the key. These checks fail
// if either assumption stops holding: that the entry point reads what TaskLocal's own accessor
// reads, in a task, in its children and outside any task, and that the key is the object's
// address.

import CFlightRecorder
@testable import FlightRecorder
import Testing

extension Recorder {
    @Suite struct TaskLocalEntryPoint {
        /// The binding as the recorder reads it: through the entry point, by `bound`'s address.
        static func readThroughKey() -> UInt64 { fr_task_local_u64(LogicalTask.key) }

        @Test("the key is checked once and accepted on this runtime")
        func keyIsVerified() {
            #expect(LogicalTask.keyVerified)
        }

        @Test("the entry point reads the binding in a task, in a child task, after it ends and outside any task")
        func readsLikeTaskLocal() async {
            #expect(Self.readThroughKey() == 0)
            await LogicalTask.bound.withValue(41) {
                #expect(Self.readThroughKey() == 41)
                async let child = Task { Self.readThroughKey() }.value
                #expect(await child == 41)
                await LogicalTask.bound.withValue(42) {
                    #expect(Self.readThroughKey() == 42)
                    let inGroup = await withTaskGroup(of: UInt64.self) { group in
                        group.addTask { Self.readThroughKey() }
                        return await group.next() ?? 0
                    }
                    #expect(inGroup == 42)
                }
                #expect(Self.readThroughKey() == 41)
            }
            #expect(Self.readThroughKey() == 0)
            let detached = await Task.detached { Self.readThroughKey() }.value
            #expect(detached == 0)
            LogicalTask.bound.withValue(43) {
                #expect(Self.readThroughKey() == 43)  // synchronous: the thread's fallback storage
            }
        }

        @Test("annotations read the same logical task either way")
        func boundIDMatchesAccessor() async throws {
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            #expect(fr_logical_task_key_set())
            LogicalTask.bound.withValue(7) {
                #expect(LogicalTask.boundID == 7)
                #expect(LogicalTask.boundID == LogicalTask.bound.get())
            }
            #expect(LogicalTask.boundID == 0)
        }
    }
}
