// `tracexport summary`: time per task, group and region, as text, JSON or CSV.
//
// Invariants:
// - Nothing is written before `finish`: a summary needs the whole window. What is held until
//   then is SummaryAccumulator's: live state, one row per group, one histogram per region
//   name, and at most `maxTasks` task rows; and, when the trace names a request (a trigger's
//   task, a Go trace's user tasks), RequestBreakdown's live requests, members and buckets.

import TraceModel

public struct SummaryExporter: TraceExporter {
    public var options: SummaryOptions
    private var accumulator = SummaryAccumulator(startNs: 0)
    private var request: RequestBreakdown?

    public init(options: SummaryOptions = SummaryOptions()) {
        self.options = options
    }

    public mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws {
        accumulator = SummaryAccumulator(startNs: metadata.startNs, sort: options.sort, maxTasks: options.maxTasks)
        request = RequestBreakdown(metadata: metadata)
    }

    @inline(__always)
    public mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws {
        accumulator.consume(event)
        request?.consume(event, tables: tables)
    }

    public mutating func finish(metadata: TraceMetadata, tables: TraceTables, damage: TraceDamage?,
                                output: inout OutputBuffer) throws {
        var report = accumulator.finish(endNs: metadata.endNs, tables: tables)
        report.request = request?.finish(endNs: metadata.endNs, tables: tables)
        report.sort(by: options.sort)
        switch options.format {
        case .json: try SummaryJSONWriter.write(report, to: &output)
        case .csv: SummaryCSVWriter.write(report, to: &output)
        case .text: SummaryTextWriter.write(report, sortedBy: options.sort, to: &output)
        }
        try output.flushIfNeeded()
    }
}
