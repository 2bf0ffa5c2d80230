// Inputs the benchmarks share: a deterministic synthetic server workload as a compressed
// snapshot in memory, and the same workload decoded once into an in-memory event stream.
//
// Invariants:
// - Same `events` argument, same bytes (fixed seed): runs are comparable across commits.
// - `EventReplay` hands back the decoded events in their original order with the original
//   metadata and tables, so an exporter sees exactly what the snapshot reader would give it,
//   minus the decoding cost.

import SyntheticTraces
import TraceFormat
import TraceModel
import TraceReaders

/// A synthetic server workload of at least `events` records (tasks created, run, blocked on a
/// "db query", resumed, ended; one of eight regions each), as a compressed snapshot.
public func syntheticSnapshot(events: Int) throws -> (bytes: [UInt8], events: Int) {
    let out = SnapshotAssembler(chunkBytes: 64 << 10)
    var rng = SeededRandom(seed: 42)
    let names = (0..<8).map { out.id("region \($0)") }
    let reason = out.id("db query")
    out.header = Scenarios.baseHeader(chunkBytes: 64 << 10)
    var t: UInt64 = 1_000
    var task: UInt64 = 1
    while out.eventCount < events {
        let thread = 100 + rng.next() % 4
        let name = names[Int(rng.next() % 8)]
        let id = task
        task += 1
        out.record(thread: thread, at: t) { $0.taskCreated(at: t, task: id, parent: 0, name: .id(name), group: .id(name)) }
        out.record(thread: thread, at: t) { $0.taskRunnable(at: t, task: id) }
        t += rng.next(in: 500...5_000)
        out.record(thread: thread, at: t) { $0.taskRunning(at: t, task: id) }
        out.record(thread: thread, at: t) { $0.regionBegin(at: t, task: id, name: name) }
        t += rng.next(in: 200...2_000)
        out.record(thread: thread, at: t) { $0.taskBlocked(at: t, task: id, reason: reason) }
        t += rng.next(in: 1_000...9_000)
        out.record(thread: thread, at: t) { $0.taskRunnable(at: t, task: id) }
        out.record(thread: thread, at: t) { $0.taskRunning(at: t, task: id) }
        out.record(thread: thread, at: t) { $0.regionEnd(at: t, task: id, name: name) }
        t += rng.next(in: 100...900)
        out.record(thread: thread, at: t) { $0.taskEnded(at: t, task: id) }
    }
    return (try out.snapshotBytes(), out.eventCount)
}

/// A snapshot decoded once: the events, the final metadata and the tables the reader built.
public struct DecodedTrace {
    public let events: [TraceEvent]
    public let metadata: TraceMetadata
    public let tables: TraceTables

    /// Decodes a synthetic snapshot of about `events` records.
    public init(events count: Int) throws {
        let snapshot = try syntheticSnapshot(events: count)
        var reader = try SnapshotTraceReader(bytes: snapshot.bytes)
        var events: [TraceEvent] = []
        events.reserveCapacity(snapshot.events + snapshot.events / 4)
        while let event = try reader.next() { events.append(event) }
        if let damage = reader.damage { throw damage }
        self.events = events
        self.metadata = reader.metadata
        self.tables = reader.tables
    }
}

/// A TraceReader over already decoded events: exporters measured without the decoder.
public struct EventReplay: TraceReader {
    public let metadata: TraceMetadata
    public let tables: TraceTables
    public let damage: TraceDamage? = nil
    public let warnings: [String] = []
    private let events: [TraceEvent]
    private var index = 0

    public init(_ trace: DecodedTrace) {
        self.metadata = trace.metadata
        self.tables = trace.tables
        self.events = trace.events
    }

    public mutating func next() -> TraceEvent? {
        guard index < events.count else { return nil }
        defer { index += 1 }
        return events[index]
    }
}
