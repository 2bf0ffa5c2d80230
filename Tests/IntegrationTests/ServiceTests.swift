// FlightRecorderService under a ServiceGroup: recording while the group runs, one last
// snapshot on graceful shutdown, none on cancellation, and the recorder stopped either way.

#if ServiceLifecycle
import FlightRecorder
import FlightRecorderServiceLifecycle
import Logging
import ServiceLifecycle
import Testing
import TraceReaders

extension Integration {
    @Suite struct Service {
        @Test("graceful shutdown writes the last snapshot once, with what was recorded, then stops the recorder")
        func gracefulShutdownWritesLastSnapshot() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let recorder = FlightRecorder()
            let limiter = try SnapshotLimiter(directory: directory.path, minInterval: .zero)
            let group = ServiceGroup(services: [FlightRecorderService(recorder: recorder, lastSnapshot: limiter)],
                                     logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            #expect(await eventually { recorder.isRecording })
            Trace.log(category: "test", "before shutdown")
            await group.triggerGracefulShutdown()
            try await run.value
            #expect(!recorder.isRecording)
            let files = directory.files()
            try #require(files.count == 1)
            let digest = try SnapshotDigest(reader: SnapshotTraceReader(path: directory.path + "/" + files[0]))
            #expect(digest.metadata.trigger == "shutdown")
            #expect(digest.logs.contains { $0.category == "test" && $0.message == "before shutdown" })
        }

        @Test("cancellation stops the recorder without a snapshot")
        func cancellationStopsWithoutSnapshot() async throws {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let recorder = FlightRecorder()
            let limiter = try SnapshotLimiter(directory: directory.path, minInterval: .zero)
            let group = ServiceGroup(services: [FlightRecorderService(recorder: recorder, lastSnapshot: limiter)],
                                     logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            #expect(await eventually { recorder.isRecording })
            run.cancel()
            _ = await run.result
            #expect(!recorder.isRecording)
            #expect(directory.files().isEmpty)
        }

        @Test("without a limiter, graceful shutdown only stops the recorder")
        func noLimiterNoSnapshot() async throws {
            let recorder = FlightRecorder()
            let group = ServiceGroup(services: [FlightRecorderService(recorder: recorder)], logger: Logger(label: "test"))
            let run = Task { try await group.run() }
            #expect(await eventually { recorder.isRecording })
            await group.triggerGracefulShutdown()
            try await run.value
            #expect(!recorder.isRecording)
        }

        @Test("a recorder that cannot start fails the group")
        func failedStartFailsTheGroup() async throws {
            let other = FlightRecorder()
            try other.start()
            defer { other.stop() }
            let recorder = FlightRecorder()
            let group = ServiceGroup(services: [FlightRecorderService(recorder: recorder)], logger: Logger(label: "test"))
            await #expect(throws: (any Error).self) { try await group.run() }
            #expect(!recorder.isRecording)
            #expect(other.isRecording)
        }
    }
}
#endif
