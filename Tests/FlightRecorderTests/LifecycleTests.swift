// Starting, stopping, thread churn and file writing.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct Lifecycle {
        @Test("starting twice or starting a second recorder throws, and the first keeps recording")
        func oneRecorderAtATime() throws {
            let first = FlightRecorder()
            let second = FlightRecorder()
            try first.start()
            #expect(throws: FlightRecorderError.alreadyRecording) { try first.start() }
            #expect(throws: FlightRecorderError.anotherRecorderIsRecording) { try second.start() }
            #expect(first.isRecording)
            #expect(!second.isRecording)
            #expect(throws: FlightRecorderError.notRecording) { try second.snapshot() }
            first.stop()
            #expect(!first.isRecording)
            #expect(!Trace.isRecording)
            try second.start()
            #expect(second.isRecording)
            second.stop()
            #expect(throws: FlightRecorderError.notRecording) { try second.snapshot() }
        }

        @Test("a restarted recording holds only events recorded after the restart")
        func restartForgetsHistory() throws {
            let recorder = FlightRecorder()
            try recorder.start()
            Trace.counter("before", 1)
            recorder.stop()
            Trace.counter("while stopped", 2)
            try recorder.start()
            defer { recorder.stop() }
            Trace.counter("after", 3)
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            let names = snapshot.allEvents.filter { $0.event.kind == .counterInt }.map { $0.event.name }
            #expect(names == ["after"])
        }

        @Test("threads that record and exit leak no chunks and no thread records")
        func threadChurn() throws {
            let baselineThreads = RecorderCore.shared.registeredThreadCount
            let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 64 << 10, chunkBytes: 4 << 10))
            try recorder.start()
            for batch in 0..<40 {
                let threads = (0..<5).map { n in
                    TestThread(name: "churn-\(batch)-\(n)") {
                        for i in 0..<(n * 300) { Trace.counter("churn", i) }
                        Trace.withRegion("short life") {}
                    }
                }
                for t in threads { t.join() }
            }
            #expect(RecorderCore.shared.registeredThreadCount <= baselineThreads + 1)
            #expect(RecorderCore.shared.sealedBytes <= 64 << 10)
            let snapshot = try DecodedSnapshot(try recorder.snapshot())
            #expect(!snapshot.chunks.isEmpty)
            // Thread names of exited threads leave the window state once their last chunk does.
            #expect(snapshot.windowState.threads.count <= 200)
            recorder.stop()
            // Only chunks still held by live registered threads (at most one each) remain.
            #expect(RecorderCore.shared.liveChunkCount <= RecorderCore.shared.registeredThreadCount)
        }

        @Test("a failed atomic write leaves no file under the final name and no temporary file")
        func atomicWriteFailure() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            struct Interrupted: Error {}
            let path = dir + "/trace.out"
            #expect(throws: Interrupted.self) {
                try AtomicFile.write(path: path) { sink in
                    let half = [UInt8](repeating: 7, count: 1000)
                    try half.withUnsafeBytes { try sink($0) }
                    throw Interrupted()
                }
            }
            #expect(directoryEntries(dir).isEmpty)
        }

        @Test("writeSnapshot(to:) replaces the file whole, with mode 0644, and it decodes")
        func atomicWriteSuccess() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            let path = dir + "/snapshot.out"
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            Trace.log(category: "test", "hello")
            try [UInt8](repeating: 1, count: 10).withUnsafeBytes { b in
                try AtomicFile.write(path: path) { try $0(b) }
            }
            let summary = try recorder.writeSnapshot(to: path, trigger: SnapshotTrigger("file"))
            #expect(directoryEntries(dir) == ["snapshot.out"])
            #expect(fileSize(path) == summary.bytes)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o644)
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let reader = try FrameReader(source: ByteSource(fileDescriptor: fd))
            #expect(reader.header.trigger == "file")
            while try reader.next() != nil {}
            #expect(reader.damage == nil)
        }

        @Test("writeSnapshot(toFileDescriptor:) writes the same format to an open descriptor")
        func writeToDescriptor() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            Trace.counter("fd", 42)
            let path = dir + "/fd.out"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let summary = try recorder.writeSnapshot(toFileDescriptor: fd)
            close(fd)
            #expect(fileSize(path) == summary.bytes)
            let readFD = open(path, O_RDONLY)
            defer { close(readFD) }
            let reader = try FrameReader(source: ByteSource(fileDescriptor: readFD))
            var values: [Int64] = []
            while let frame = try reader.next() {
                guard frame.knownKind == .events else { continue }
                var d = try EventDecoder(payload: frame.payload)
                while let e = try d.next() {
                    if e.kind == .counterInt { values.append(e.intValue) }
                }
            }
            #expect(values.contains(42))
        }
    }
}

extension Recorder.Lifecycle {
    @Test("a thread that exits while a snapshot copies its chunk leaks nothing once the snapshot ends")
    func exitDuringSnapshot() throws {
        let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 16 << 10, chunkBytes: 4 << 10))
        try recorder.start()
        let gate = TestGate()
        let thread = TestThread(name: "exiting") {
            for i in 0..<100 { Trace.counter("before exit", i) }
            gate.signal()
            _ = gate.waitForRelease()
        }
        try #require(gate.wait(), "the test thread never recorded its events")
        let cut = try RecorderCore.shared.beginSnapshot(owner: ObjectIdentifier(recorder))
        gate.release()
        thread.join()  // the thread's chunk is shrunk and sealed while pinned
        RecorderCore.shared.endSnapshot()
        #expect(cut.chunks.contains { $0.events >= 100 })
        // Push everything out of the ring: every chunk must come back.
        for i in 0..<40_000 { Trace.counter("filler", i) }
        recorder.stop()
        #expect(RecorderCore.shared.liveChunkCount <= RecorderCore.shared.registeredThreadCount)
    }
}

/// A two-step handshake between the test and one test thread. Each wait gives up after
/// `limit` and says whether the other side came, so a test fails instead of hanging.
final class TestGate: @unchecked Sendable {
    static let limit: Duration = .seconds(30)

    // @unchecked Sendable: both flags are accessed only under `mutex`.
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var signalled = false
    private var released = false

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    private func update(_ body: () -> Void) {
        pthread_mutex_lock(&mutex)
        body()
        pthread_cond_broadcast(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func wait(until done: () -> Bool) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)  // the condition variable's clock
        deadline.tv_sec += Int(Self.limit.components.seconds)
        pthread_mutex_lock(&mutex)
        var timedOut = false
        while !done() && !timedOut { timedOut = pthread_cond_timedwait(&condition, &mutex, &deadline) == ETIMEDOUT }
        let held = done()
        pthread_mutex_unlock(&mutex)
        return held
    }

    func signal() { update { signalled = true } }
    func wait() -> Bool { wait { signalled } }
    func release() { update { released = true } }
    func waitForRelease() -> Bool { wait { released } }
}
