// An OutputBuffer that writes in the background writes exactly what was appended, in order,
// across many hand-offs; `flush()` returns only once it is all on the descriptor; a write
// error reaches the caller instead of being lost on the writer's thread.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import TraceModel

@Suite struct BackgroundOutputTests {
    static func temporaryFile() -> (fd: Int32, path: String) {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("tracexport-bgw-\(UUID().uuidString)").path
        return (open(path, O_RDWR | O_CREAT | O_EXCL, 0o600), path)
    }

    @Test("many small chunks arrive whole and in order, and flush waits for them")
    func bytesInOrder() throws {
        let (fd, path) = Self.temporaryFile()
        #expect(fd >= 0)
        defer { close(fd); unlink(path) }
        var output = OutputBuffer(fileDescriptor: fd, flushThreshold: 61, writesInBackground: true)
        var expected: [UInt8] = []
        for i in 0..<20_000 {
            let chunk = Array("line \(i) \(String(repeating: "x", count: i % 97))\n".utf8)
            output.write(bytes: chunk)
            expected += chunk
            try output.flushIfNeeded()
        }
        try output.flush()
        let written = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(written.count == expected.count)
        #expect(Array(written) == expected)
        #expect(output.totalBytes == Int64(expected.count))
    }

    @Test("a write error is thrown by a later call, not lost")
    func errorReachesCaller() throws {
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        close(pipeEnds[0])  // nobody reads: writing fails with EPIPE
        signal(SIGPIPE, SIG_IGN)
        defer { close(pipeEnds[1]) }
        var output = OutputBuffer(fileDescriptor: pipeEnds[1], flushThreshold: 16, writesInBackground: true)
        var thrown: Error?
        do {
            for _ in 0..<1_000 {
                output.write(bytes: Array("sixteen bytes!!\n".utf8))
                try output.flushIfNeeded()
            }
            try output.flush()
        } catch {
            thrown = error
        }
        let error = try #require(thrown as? OutputError)
        #expect(error.description.hasPrefix("write failed"))
    }
}
