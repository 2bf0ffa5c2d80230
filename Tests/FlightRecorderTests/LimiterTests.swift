// The snapshot limiter: count and byte budgets, interval, directory confinement, temporaries left behind.

#if canImport(Glibc)
import Glibc
#endif
@testable import FlightRecorder
import Testing
import TraceFormat

extension Recorder {
    @Suite struct Limiter {
        @Test("the limiter never writes more than maxFiles files and reports why it refuses")
        func fileCount() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let limiter = try SnapshotLimiter(directory: dir, maxFiles: 3, minInterval: .zero)
            var written: [String] = []
            var refusals: [SnapshotLimiter.Refusal] = []
            for i in 0..<6 {
                Trace.counter("i", i)
                do { written.append(try limiter.writeSnapshot(of: recorder, trigger: SnapshotTrigger("slow")).path) } catch {
                    refusals.append(error)
                }
            }
            #expect(written.map { String($0.split(separator: "/").last!) } == ["trace.1.out", "trace.2.out", "trace.3.out"])
            #expect(refusals == Array(repeating: .fileLimit(files: 3, maxFiles: 3), count: 3))
            #expect(directoryEntries(dir) == ["trace.1.out", "trace.2.out", "trace.3.out"])
            for path in written { _ = try DecodedSnapshot(try readFile(path)) }
        }

        @Test("the limiter keeps the directory within maxTotalBytes")
        func byteBudget() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            for i in 0..<2000 { Trace.counter("payload", i) }
            let size = try recorder.snapshot().count
            let budget = size * 5 / 2
            let limiter = try SnapshotLimiter(directory: dir, maxFiles: 100, maxTotalBytes: budget, minInterval: .zero)
            var refused = 0
            for _ in 0..<6 {
                do { try limiter.writeSnapshot(of: recorder, trigger: SnapshotTrigger("t")) } catch {
                    if case .byteBudget = error { refused += 1 } else { Issue.record("unexpected refusal \(error)") }
                }
                let total = directoryEntries(dir).reduce(0) { $0 + fileSize(dir + "/" + $1) }
                #expect(total <= budget)
            }
            #expect(refused >= 1)
            #expect(directoryEntries(dir).count >= 1)
        }

        @Test("the limiter refuses a snapshot within minInterval of the last one")
        func interval() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let limiter = try SnapshotLimiter(directory: dir, minInterval: .seconds(3600))
            try limiter.writeSnapshot(of: recorder, trigger: SnapshotTrigger("first"))
            #expect {
                try limiter.writeSnapshot(of: recorder, trigger: SnapshotTrigger("second"))
            } throws: { error in
                if case .tooSoon = error as? SnapshotLimiter.Refusal { return true } else { return false }
            }
            #expect(directoryEntries(dir) == ["trace.1.out"])
        }

        @Test("the limiter continues numbering after existing files and counts them against its budget")
        func existingFilesCount() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            let first = try SnapshotLimiter(directory: dir, maxFiles: 2, minInterval: .zero)
            try first.writeSnapshot(of: recorder, trigger: .manual)
            let second = try SnapshotLimiter(directory: dir, maxFiles: 2, minInterval: .zero)
            let written = try second.writeSnapshot(of: recorder, trigger: .manual)
            #expect(written.path.hasSuffix("/trace.2.out"))
            #expect(throws: SnapshotLimiter.Refusal.fileLimit(files: 2, maxFiles: 2)) {
                try second.writeSnapshot(of: recorder, trigger: .manual)
            }
        }

        @Test("temporaries left by a killed writer are removed at start; fresh ones count against the byte budget")
        func staleTemporaries() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            func make(_ name: String, bytes: Int, ageSeconds: Int) {
                let path = dir + "/" + name
                let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                _ = [UInt8](repeating: 7, count: bytes).withUnsafeBytes { write(fd, $0.baseAddress, bytes) }
                close(fd)
                var now = timeval()
                gettimeofday(&now, nil)
                var times = [timeval(tv_sec: now.tv_sec - ageSeconds, tv_usec: 0), timeval(tv_sec: now.tv_sec - ageSeconds, tv_usec: 0)]
                utimes(path, &times)
            }
            make(".trace.3.out.tmp.AbC123", bytes: 5_000, ageSeconds: 3_600)   // a killed writer's
            make(".trace.4.out.tmp.XyZ789", bytes: 7_000, ageSeconds: 0)       // maybe a live writer's
            make(".other.1.out.tmp.AbC123", bytes: 100, ageSeconds: 3_600)     // another prefix
            make("notes.txt", bytes: 100, ageSeconds: 3_600)
            let limiter = try SnapshotLimiter(directory: dir, maxTotalBytes: 7_100, minInterval: .zero)
            #expect(directoryEntries(dir) == [".other.1.out.tmp.AbC123", ".trace.4.out.tmp.XyZ789", "notes.txt"])
            #expect(limiter.temporaryBytes() == 7_000)
            let recorder = FlightRecorder()
            try recorder.start()
            defer { recorder.stop() }
            // The fresh temporary's 7,000 bytes leave no room for a snapshot (over 100 bytes) in 7,100.
            #expect {
                try limiter.writeSnapshot(of: recorder, trigger: .manual)
            } throws: { error in
                if case .byteBudget(let used, _, _) = error as? SnapshotLimiter.Refusal { return used == 7_000 } else { return false }
            }
        }

        @Test("a prefix that could name a file outside the directory is rejected")
        func confinedToDirectory() throws {
            let dir = temporaryDirectory()
            defer { removeDirectory(dir) }
            #expect(throws: FlightRecorderError.self) { try SnapshotLimiter(directory: dir, prefix: "../escape") }
            #expect(throws: FlightRecorderError.self) { try SnapshotLimiter(directory: dir, prefix: ".hidden") }
            #expect(throws: FlightRecorderError.self) { try SnapshotLimiter(directory: dir + "/missing") }
        }
    }
}

func readFile(_ path: String) throws -> [UInt8] {
    let source = try TraceFormat.ByteSource(path: path)
    return try source.read(count: 1 << 30)
}
