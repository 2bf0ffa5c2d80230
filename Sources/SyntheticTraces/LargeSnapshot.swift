// A large snapshot for conversion benchmarks, written as it is generated: memory stays at one
// 10 ms epoch of chunks whatever the target size.
//
// Invariant: frames come out sorted by base time because every chunk of an epoch starts and
// ends inside that epoch and epochs are written in order.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceFormat

package enum LargeSnapshot {
    package struct Stats {
        package var fileBytes: Int
        package var events: Int
    }

    package static func write(path: String, targetBytes: Int) throws -> Stats {
        guard let file = fopen(path, "wb") else { throw IOError("\(path): \(String(cString: strerror(errno)))") }
        defer { fclose(file) }
        let threads: [UInt64] = (0..<8).map { 9000 + UInt64($0) }
        let names = ["GET /ping", "handler", "db query", "http", "sleep", "requests", "worker"]
        var header = Scenarios.baseHeader(chunkBytes: 64 << 10)
        header.trigger = "benchmark"
        header.executable = "/srv/large"
        let epochNs: UInt64 = 10_000_000
        var rng = SeededRandom(seed: 0x5EED_0B16)
        var events = 0
        var failed = false
        let writer = try SnapshotWriter(header: header, compressionLevel: 1) { bytes in
            if fwrite(bytes.baseAddress, 1, bytes.count, file) != bytes.count { failed = true }
        }
        try writer.writeFrame(.strings, payload: StringsFrame.encode(names.enumerated().map { (UInt64($0.offset + 1), $0.element) }))
        let request: UInt64 = 1, handler: UInt64 = 2, db: UInt64 = 3, http: UInt64 = 4, sleep: UInt64 = 5, counter: UInt64 = 6
        var nextTask: UInt64 = 1
        var sequences = [UInt64](repeating: 0, count: threads.count)
        var epoch: UInt64 = 0
        while writer.bytesWritten < targetBytes && !failed {
            let epochStart = epoch * epochNs + 1_000_000
            for (i, thread) in threads.enumerated() {
                var chunk = EventChunkBuilder(thread: thread, sequence: sequences[i], baseTicks: epochStart)
                sequences[i] += 1
                var t = epochStart
                while t < epochStart + epochNs - 50_000 {
                    let task = nextTask
                    nextTask += 1
                    chunk.taskCreated(at: t, task: task, parent: 0, name: .id(request), group: .id(request))
                    chunk.taskRunnable(at: t, task: task)
                    t += rng.next(in: 1_000...20_000)
                    chunk.taskRunning(at: t, task: task)
                    chunk.regionBegin(at: t, task: task, name: handler)
                    t += rng.next(in: 500...3_000)
                    chunk.regionBegin(at: t, task: task, name: db, blocking: true)
                    chunk.taskBlocked(at: t, task: task, reason: 0)
                    t += rng.next(in: 2_000...9_000)
                    chunk.taskRunnable(at: t, task: task)
                    t += rng.next(in: 100...5_000)
                    chunk.taskRunning(at: t, task: task)
                    chunk.regionEnd(at: t, task: task, name: db)
                    chunk.counter(at: t, name: counter, value: Int64(task & 63))
                    if task % 16 == 0 { chunk.log(at: t, task: task, category: http, message: "GET /ping 200 task \(task)") }
                    t += rng.next(in: 300...2_000)
                    chunk.regionEnd(at: t, task: task, name: handler)
                    chunk.taskBlocked(at: t, task: task, reason: sleep)
                    t += rng.next(in: 100...1_000)
                    chunk.taskEnded(at: t, task: task)
                }
                events += chunk.eventCount
                try writer.writeFrame(.events, payload: chunk.bytes)
            }
            epoch += 1
        }
        try writer.finish(eventCount: events)
        if failed { throw IOError("\(path): write failed") }
        return Stats(fileBytes: writer.bytesWritten, events: events)
    }
}
