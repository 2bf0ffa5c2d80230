// Specification of reading ahead on a second thread: the same events in the same order as on
// one thread, damage reported after the same events, and no wait that can outlive a producer
// that stopped or a consumer that left.

import Foundation
import SyntheticTraces
import Testing
import TraceFormat
import TraceModel
@testable import TraceReaders

/// What a reader gave: every event, then how it ended.
private struct Reading: Equatable {
    var events: [TraceEvent] = []
    var metadata: TraceMetadata
    var damage: TraceDamage?
    var warnings: [String]
    var strings: [String]
    var thrown: String?
}

private func read<R: TraceReader>(_ reader: R) -> Reading {
    var reader = reader
    var events: [TraceEvent] = []
    var thrown: String?
    do {
        while let e = try reader.next() { events.append(e) }
    } catch {
        thrown = "\(error)"
    }
    return Reading(events: events, metadata: reader.metadata, damage: reader.damage, warnings: reader.warnings,
                   strings: reader.tables.strings, thrown: thrown)
}

/// Small batches and one batch of room between the threads: the hand-off blocks and wakes up
/// many times even on small inputs.
private let tight = BatchReading(readAhead: true, batchSize: 5, depth: 1)
private let oneThread = BatchReading(readAhead: false)

private func snapshot(_ bytes: [UInt8], _ reading: BatchReading, name: String = "test.out") throws -> Reading {
    read(try SnapshotTraceReader(source: ByteSource(bytes: bytes), name: name, reading: reading))
}

private func goTrace(_ bytes: [UInt8], _ reading: BatchReading, name: String = "test.trace") throws -> Reading {
    read(try GoTraceReader(bytes: bytes, name: name, reading: reading))
}

/// A snapshot of many chunks and threads (tens of thousands of records), made once.
private let largeSnapshotBytes = Result { () throws -> [UInt8] in
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("read-ahead-\(UUID().uuidString).out").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    _ = try LargeSnapshot.write(path: path, targetBytes: 300 << 10)
    return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

private func largeSnapshot() throws -> [UInt8] { try largeSnapshotBytes.get() }

@Suite struct ReadAheadSpecification {
    @Test(arguments: ["ping-slow-request.out", "small.out", "actor-contention.out"])
    func snapshotFixturesReadTheSameAhead(fixture: String) throws {
        let bytes = try Repository.bytes(fixture)
        let alone = try snapshot(bytes, oneThread)
        #expect(alone.events.count > 100)
        for reading in [tight, BatchReading(readAhead: true)] {
            #expect(try snapshot(bytes, reading) == alone)
        }
    }

    @Test func aLargeSnapshotReadsTheSameAheadAcrossManyBatches() throws {
        let bytes = try largeSnapshot()
        let alone = try snapshot(bytes, oneThread)
        #expect(alone.events.count > 50_000)
        #expect(alone.damage == nil)
        #expect(try snapshot(bytes, BatchReading(readAhead: true)) == alone)
        #expect(try snapshot(bytes, BatchReading(readAhead: true, batchSize: 97, depth: 2)) == alone)
        // A deeper queue: a producer blocked on it is woken only once it is half drained.
        #expect(try snapshot(bytes, BatchReading(readAhead: true, batchSize: 5, depth: 4)) == alone)
        #expect(try snapshot(bytes, BatchReading(readAhead: true, batchSize: SnapshotTraceReader.batchSize)) == alone)
    }

    @Test(arguments: GoFixtures.oracleTraces)
    func goTracesReadTheSameAhead(trace: String) throws {
        let bytes = try GoFixtures.bytes(trace)
        let alone = try goTrace(bytes, oneThread)
        #expect(alone.events.count > 100)
        for reading in [tight, BatchReading(readAhead: true)] {
            #expect(try goTrace(bytes, reading) == alone)
        }
    }

    @Test func aTruncatedSnapshotGivesTheSameEventsBeforeTheDamageAhead() throws {
        let bytes = try largeSnapshot()
        for cut in [bytes.count / 3, bytes.count / 2 + 17, bytes.count - 5] {
            let prefix = Array(bytes[0..<cut])
            let alone = try snapshot(prefix, oneThread, name: "cut.out")
            let damage = try #require(alone.damage)
            #expect(damage.description.hasPrefix("cut.out: offset "))
            #expect(alone.events.count > 1000)
            #expect(try snapshot(prefix, tight, name: "cut.out") == alone)
            #expect(try snapshot(prefix, BatchReading(readAhead: true), name: "cut.out") == alone)
        }
    }

    @Test func aCorruptedChunkGivesTheSameEventsAndDamageAhead() throws {
        var bytes = try largeSnapshot()
        // A byte in the middle of the file: some frame's checksum no longer matches.
        bytes[bytes.count / 2] ^= 0x5A
        let alone = try snapshot(bytes, oneThread)
        #expect(alone.damage != nil)
        #expect(try snapshot(bytes, tight) == alone)
    }

    @Test func aTruncatedGoTraceGivesTheSameEventsBeforeTheDamageAhead() throws {
        let bytes = try GoFixtures.bytes("workload/go126.trace")
        for cut in stride(from: bytes.count / 4, to: bytes.count, by: bytes.count / 5) {
            let prefix = Array(bytes[0..<cut])
            let alone = try goTrace(prefix, oneThread, name: "cut.trace")
            #expect(alone.damage != nil || alone.thrown != nil, "cut at \(cut)")
            #expect(try goTrace(prefix, tight, name: "cut.trace") == alone, "cut at \(cut)")
        }
    }
}

/// A producer of numbered batches that can fail, and that says (through `stopped`) when the
/// thread that ran it let go of it.
private struct Counting: BatchProducer {
    enum Item: Sendable, Equatable {
        case number(Int)
        case failed(String)
    }
    var next = 0
    var count = 50
    var failAfter: Int?
    var endless = false
    var sentinel: Sentinel?

    mutating func nextBatch(reusing spent: consuming Item?) -> Item? {
        if let failAfter, next >= failAfter {
            guard next == failAfter else { return nil }
            next += 1
            return .failed("input unreadable after \(failAfter) batches")
        }
        guard endless || next < count else { return nil }
        next += 1
        sentinel?.made = next
        return .number(next - 1)
    }
}

/// Tells `stopped` how many batches were made once the last copy of its producer is gone.
private final class Sentinel: @unchecked Sendable {
    // @unchecked Sendable: `made` is written by the producer's thread only, and read in deinit,
    // after that thread let go of it.
    let stopped: HandOff<Int>
    var made = 0
    init(_ stopped: HandOff<Int>) { self.stopped = stopped }
    deinit { stopped.offer(made) }
}

@Suite struct HandOffSpecification {
    /// Every wait in these tests is bounded: a broken hand-off fails them instead of hanging.
    private static let bound: Int64 = 10_000_000_000

    private func drain(_ queue: HandOff<Counting.Item>) -> [Counting.Item]? {
        var items: [Counting.Item] = []
        while true {
            switch queue.take(timeoutNs: Self.bound) {
            case .batch(let item): items.append(item)
            case .ended: return items
            case .timedOut: return nil
            }
        }
    }

    @Test func batchesArriveInOrderAndTheStreamEnds() throws {
        let thread = try #require(ReadAheadThread(Counting(), depth: 2))
        let items = try #require(drain(thread.queue), "the consumer waited on a producer that was done")
        #expect(items == (0..<50).map { .number($0) })
    }

    @Test func aProducerThatFailsEndsTheConsumerAfterWhatCameBefore() throws {
        let thread = try #require(ReadAheadThread(Counting(failAfter: 7), depth: 1))
        let items = try #require(drain(thread.queue), "the consumer waited on a producer that had failed")
        #expect(items == (0..<7).map { .number($0) } + [.failed("input unreadable after 7 batches")])
    }

    @Test func aConsumerThatLeavesReleasesAProducerBlockedOnAFullQueue() throws {
        let stopped = HandOff<Int>(capacity: 1)
        do {
            var source = BatchSource(readingAhead: Counting(endless: true, sentinel: Sentinel(stopped)), depth: 1)
            #expect(source.isReadingAhead)
            #expect(source.next(spent: nil) == .number(0))
            // Dropped here, with its producer blocked on the full queue.
        }
        switch stopped.take(timeoutNs: Self.bound) {
        case .batch(let made): #expect(made >= 2)
        case .ended, .timedOut: Issue.record("the producer did not stop after its consumer left")
        }
    }

    @Test func theSameProducerOnTheReadersThreadGivesTheSameBatches() {
        var inline = BatchSource(inline: Counting(failAfter: 9))
        #expect(!inline.isReadingAhead)
        var items: [Counting.Item] = []
        while let item = inline.next(spent: nil) { items.append(item) }
        #expect(items == (0..<9).map { .number($0) } + [.failed("input unreadable after 9 batches")])
    }

    @Test func aTakeWaitsNoLongerThanItsBound() {
        let queue = HandOff<Int>(capacity: 1)
        let start = DispatchTime.now().uptimeNanoseconds
        guard case .timedOut = queue.take(timeoutNs: 50_000_000) else { Issue.record("an empty queue gave a batch"); return }
        #expect(DispatchTime.now().uptimeNanoseconds - start >= 50_000_000)
        #expect(queue.offer(1))
        #expect(!queue.offer(2), "a full queue takes no more")
        queue.close()
        guard case .batch(1) = queue.take(timeoutNs: Self.bound) else { Issue.record("a closed queue lost its batch"); return }
        guard case .ended = queue.take(timeoutNs: Self.bound) else { Issue.record("a closed queue did not end"); return }
    }
}
