// The exporter side of the pipeline: anything that turns TraceEvents into an output.
//
// Invariants:
// - `begin` is called once, then `consume` once per event in stream order, then `finish`
//   once with the final metadata (its `endNs` closes what is still open).
// - Exporters hold live state only (open tasks, open regions, aggregates keyed by group or
//   name), never the whole event stream.

public protocol TraceExporter {
    mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws
    mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws
    mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                         output: inout OutputBuffer) throws
}

extension TraceExporter {
    /// Drives a reader through this exporter.
    public mutating func run<R: TraceReader>(_ reader: inout R, output: inout OutputBuffer) throws {
        try begin(metadata: reader.metadata, tables: reader.tables, output: &output)
        while let event = try reader.next() {
            try consume(event, tables: reader.tables, output: &output)
        }
        try finish(metadata: reader.metadata, tables: reader.tables, damage: reader.damage, output: &output)
        try output.flush()
    }
}
