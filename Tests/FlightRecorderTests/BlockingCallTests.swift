// Blocking calls: a task that holds its thread while it waits shows that time as syscall.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import FlightRecorder
import Testing
import TraceModel
import TraceReaders

extension Recorder {
    @Suite struct BlockingCall {
        /// Per task: ns in syscall and in running, and the names of its regions.
        static func times(_ bytes: [UInt8]) throws -> [TaskID: (syscall: Int64, running: Int64, regions: [String])] {
            var reader = try SnapshotTraceReader(bytes: bytes)
            var out: [TaskID: (syscall: Int64, running: Int64, regions: [String])] = [:]
            var current: [TaskID: (TaskState, Int64)] = [:]
            while let e = try reader.next() {
                switch e.kind {
                case .taskState(let task, let state, _, _, _):
                    if let (s, since) = current[task] {
                        if s == .syscall { out[task, default: (0, 0, [])].syscall += e.timeNs - since }
                        if s == .running { out[task, default: (0, 0, [])].running += e.timeNs - since }
                    }
                    current[task] = (state, e.timeNs)
                case .regionBegin(let task, _, let name, _):
                    out[task, default: (0, 0, [])].regions.append(reader.tables.string(name))
                default: break
                }
            }
            return out
        }

        @Test("a blocking call inside a recorded job is syscall time, and the task runs again after it")
        func blockingCallIsSyscallTime() async throws {
            let executor = RecordingExecutor(threads: 1)
            defer { executor.shutdown() }
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(60), maxBytes: 64 << 20))
            try recorder.start()
            defer { recorder.stop() }
            let worker = Task(name: "blocker", executorPreference: executor) {
                for _ in 0..<5 { Trace.withBlockingCall("usleep") { _ = usleep(4_000) } }
                return TaskIdentity.currentSwiftTask
            }
            let id = await worker.value
            #expect(executor.waitUntilIdle(), "the executor's jobs end")
            let times = try Self.times(recorder.snapshot())
            let task = try #require(times[TaskID(id)])
            #expect(task.regions == Array(repeating: "usleep", count: 5))
            #expect(task.syscall >= 15_000_000, "5 x 4 ms asleep, got \(task.syscall) ns")
            #expect(task.syscall > task.running)
        }

        @Test("a blocking call outside any recorded job writes only its region")
        func blockingCallOnAPlainThreadChangesNoState() throws {
            let recorder = FlightRecorder(configuration: .init(minAge: .seconds(60), maxBytes: 64 << 20))
            try recorder.start()
            defer { recorder.stop() }
            Trace.withBlockingCall("usleep") { _ = usleep(1_000) }
            let times = try Self.times(recorder.snapshot())
            // The test body runs in a Swift task that no recording executor stamps.
            #expect(times.values.contains { $0.regions == ["usleep"] })
            #expect(times.values.allSatisfy { $0.syscall == 0 })
        }
    }
}
