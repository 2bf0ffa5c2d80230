// How the conversion loop takes events from a reader: a run at a time, each event passed to
// the exporter where the reader holds it.
//
// Invariants:
// - The events, their order and the end of the stream are exactly what `next()` gives: a run
//   is only a way of handing them over.
// - Readers whose `next()` inlines into the loop (snapshots, windows) take the one-event
//   default; the Go reader hands over what one mapping step produced, so that an event is not
//   copied out through its reader's layers (nor its copy destroyed) on the way.

import TraceExporters
import TraceModel
import TraceReaders

protocol RunReading: TraceReader {
    /// Passes the next events to `body`, in order; returns how many, 0 only at the end of
    /// the stream.
    mutating func nextRun(_ body: (TraceEvent) throws -> Void) throws -> Int
}

extension RunReading {
    mutating func nextRun(_ body: (TraceEvent) throws -> Void) throws -> Int {
        guard let event = try next() else { return 0 }
        try body(event)
        return 1
    }
}

extension GoTraceReader: RunReading {}
extension SnapshotTraceReader: RunReading {}
extension WindowedTraceReader: RunReading {}

/// Any other reader, one event at a time.
struct EventByEvent<Base: TraceReader>: RunReading {
    var base: Base

    var metadata: TraceMetadata { base.metadata }
    var tables: TraceTables { base.tables }
    var damage: TraceDamage? { base.damage }
    var warnings: [String] { base.warnings }

    mutating func next() throws -> TraceEvent? { try base.next() }
}
