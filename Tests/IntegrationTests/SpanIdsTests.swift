// The tracer's span and trace ids: never zero, no repeats across threads, a sequence of their
// own per thread and per fork child (each thread's generator is seeded from the system's).

#if Tracing
import CFlightRecorder
@testable import FlightRecorderTracing
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct SpanIds {
    @Test("span ids and both halves of trace ids are never zero; a child keeps its parent's trace")
    func nonZero() {
        var parent = FlightRecorderSpanContext.child(of: nil)
        var zeroIds = 0, wrongLinks = 0
        for index in 0..<100_000 {
            let root = FlightRecorderSpanContext.child(of: nil)
            if root.spanID == 0 || root.traceIDHigh == 0 || root.traceIDLow == 0 { zeroIds += 1 }
            let child = FlightRecorderSpanContext.child(of: parent)
            if child.spanID == 0 { zeroIds += 1 }
            if root.parentSpanID != 0 || child.traceIDHigh != parent.traceIDHigh || child.traceIDLow != parent.traceIDLow
                || child.parentSpanID != parent.spanID { wrongLinks += 1 }
            if index % 1000 == 0 { parent = root }
        }
        #expect(zeroIds == 0)
        #expect(wrongLinks == 0)
    }

    @Test("100,000 span ids drawn on four new threads at once have no duplicates; nor do trace ids")
    func noDuplicatesAcrossThreads() {
        let perThread = 25_000
        let drawn = onNewThreads(4, draw: perThread)
        let spans = Set(drawn.joined().map(\.spanID))
        #expect(spans.count == 4 * perThread)
        let traces = Set(drawn.joined().map { TraceKey(high: $0.traceIDHigh, low: $0.traceIDLow) })
        #expect(traces.count == 4 * perThread)
    }

    @Test("two threads draw different sequences from their first id on")
    func threadsDrawTheirOwnSequences() {
        let sequences = onNewThreads(2, draw: 64).map { $0.map(\.spanID) }
        #expect(sequences[0] != sequences[1])
        #expect(Set(sequences[0]).isDisjoint(with: sequences[1]))
    }

    @Test("the generator is xoshiro256**: from state 1, 2, 3, 4 it gives the published first outputs, less the zero")
    func knownOutputs() {
        var generator = fr_id_generator(s: (1, 2, 3, 4))
        // xoshiro256**'s outputs from this state are 11520, 0, 1509978240, 1215971899390074240,
        // 1216172134540287360, ...; ids skip the 0.
        let ids = (0..<4).map { _ in fr_id_generator_next(&generator) }
        #expect(ids == [11520, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360])
    }

    #if os(Linux)
    @Test("a fork child does not repeat the ids its parent draws after the fork")
    func forkChildDrawsItsOwnSequence() throws {
        let count = 8
        // Seeded before the fork: without a reseed, the child would go on from the same state.
        _ = FlightRecorderSpanContext.child(of: nil)
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let child = fork()
        try #require(child >= 0)
        if child == 0 {
            // The child: no allocation, no locks, only the draws and write(2), then _exit.
            close(fds[0])
            for _ in 0..<count {
                var id = FlightRecorderSpanContext.child(of: nil).spanID
                _ = write(fds[1], &id, MemoryLayout<UInt64>.size)
            }
            _exit(0)
        }
        close(fds[1])
        let parentIds = (0..<count).map { _ in FlightRecorderSpanContext.child(of: nil).spanID }
        var childIds: [UInt64] = []
        var id: UInt64 = 0
        // EOF (the child exited, or died) ends the loop: it cannot hang.
        while read(fds[0], &id, MemoryLayout<UInt64>.size) == MemoryLayout<UInt64>.size { childIds.append(id) }
        close(fds[0])
        var status: Int32 = 0
        waitpid(child, &status, 0)
        #expect(childIds.count == count)
        #expect(!childIds.contains(0))
        #expect(Set(childIds).isDisjoint(with: parentIds))
    }
    #endif
}

private struct TraceKey: Hashable {
    var high: UInt64
    var low: UInt64
}

/// One thread's draws for `onNewThreads`, kept once the thread is joined.
private final class ThreadDraws: @unchecked Sendable {
    // @unchecked Sendable: `drawn` is written by the job's thread alone, and read only after
    // that thread is joined.
    let count: Int
    var drawn: [FlightRecorderSpanContext] = []

    init(count: Int) { self.count = count }

    func run() { drawn = (0..<count).map { _ in FlightRecorderSpanContext.child(of: nil) } }
}

/// The ids of `count` root spans drawn on each of `threads` new OS threads at once (not pool
/// threads, so each starts with an unseeded generator), in thread order.
private func onNewThreads(_ threads: Int, draw count: Int) -> [[FlightRecorderSpanContext]] {
    let jobs = (0..<threads).map { _ in ThreadDraws(count: count) }
    #if canImport(Darwin)
    var started: [pthread_t] = []
    for job in jobs {
        var thread: pthread_t?
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadDraws>.fromOpaque(raw!).takeUnretainedValue().run()
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        precondition(rc == 0 && thread != nil, "pthread_create failed")
        started.append(thread!)
    }
    #else
    var started: [pthread_t] = []
    for job in jobs {
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<ThreadDraws>.fromOpaque(raw!).takeUnretainedValue().run()
            return nil
        }, Unmanaged.passUnretained(job).toOpaque())
        precondition(rc == 0, "pthread_create failed")
        started.append(thread)
    }
    #endif
    for thread in started { pthread_join(thread, nil) }
    return jobs.map(\.drawn)
}
#endif
