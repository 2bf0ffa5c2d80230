// The exporters of where tasks spent their time (folded, pprof, flame graph): each one feeds
// every event to a StackTimeAggregator and writes its own output from the aggregator's trie at
// `finish`. Their `begin` and `consume` are the ones here.
//
// Invariants:
// - `begin` builds the aggregator again from the current options (options changed after
//   `init` apply) and starts it at the trace's start; `consume` hands it each event. Nothing is
//   written before `finish`.

import TraceModel

protocol StackTimeExporter: TraceExporter {
    associatedtype Options
    var options: Options { get }
    /// The aggregator of the export under way.
    var stacks: StackTimeAggregator { get set }
    /// An aggregator with the frames, state filter and leaves `options` ask for.
    static func stacks(for options: Options) -> StackTimeAggregator
}

extension StackTimeExporter {
    public mutating func begin(metadata: TraceMetadata, tables: TraceTables, output: inout OutputBuffer) throws {
        stacks = Self.stacks(for: options)
        stacks.begin(startNs: metadata.startNs)
    }

    public mutating func consume(_ event: TraceEvent, tables: TraceTables, output: inout OutputBuffer) throws {
        stacks.consume(event, tables: tables)
    }
}
