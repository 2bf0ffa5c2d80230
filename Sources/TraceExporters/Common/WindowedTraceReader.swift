// The window stage between a reader and an exporter: hands on the events of one time window
// of the trace, preceded by the state the trace was in at the window's start, so that any
// exporter converts the window as if it were the whole trace.
//
// Invariants:
// - Streaming: before the window only the live state is kept (LiveTraceState); inside, events
//   pass through one at a time; at the window's end reading stops.
// - What the exporter sees is a valid stream in TraceEvent's terms, starting at the window
//   start: the carried state (every live task created, with its open regions and its state,
//   thread names, actors, counters) at `startNs`, then the events at or after the window start
//   and before its end, unchanged. States and regions open at the end stay open; exporters close
//   them at `metadata.endNs`, the window's end. So every duration is the whole trace's,
//   clipped to the window.
// - `metadata`: `startNs`/`endNs` are the window's (its end clipped to the trace's end),
//   `traceStartNs` the trace's start (outputs keep the trace's time axis), `reachesTraceEnd`
//   whether the window runs to the trace's end.
// - A window starting at or after the end of the trace throws TraceWindowError from the first
//   `next()`, before any event is handed out.

import TraceModel

package struct WindowedTraceReader<Base: TraceReader>: TraceReader {
    private enum Phase {
        case seeking, carrying, inside, finished
    }

    private var base: Base
    private let window: TraceWindow
    private let windowStartNs: Int64
    private let windowEndNs: Int64?
    private var phase = Phase.seeking
    private var state = LiveTraceState()
    private var carried: [TraceEvent] = []
    private var carriedIndex = 0
    /// The first event at or after the window start, read while seeking it.
    private var pending: TraceEvent?
    /// Reading stopped at an event at or after the window's end.
    private var stoppedAtEnd = false

    package init(_ base: Base, window: TraceWindow) {
        self.base = base
        tables = base.tables
        self.window = window
        let traceStartNs = base.metadata.startNs
        windowStartNs = traceStartNs + window.startOffsetNs
        windowEndNs = window.endOffsetNs.map { traceStartNs + $0 }
    }

    package var metadata: TraceMetadata {
        var m = base.metadata
        let traceEndNs = m.endNs
        m.traceStartNs = m.traceStartNs ?? m.startNs
        m.startNs = windowStartNs
        if stoppedAtEnd, let windowEndNs {
            m.endNs = windowEndNs
            m.reachesTraceEnd = false
        } else if let windowEndNs, windowEndNs < traceEndNs {
            m.endNs = windowEndNs
            m.reachesTraceEnd = false
        } else {
            m.endNs = max(traceEndNs, windowStartNs)
        }
        return m
    }

    /// The reader's tables (one object for the whole stream), held here so that handing them to
    /// the exporter per event costs no retain.
    package let tables: TraceTables
    package var damage: TraceDamage? { base.damage }
    package var warnings: [String] { base.warnings }

    package mutating func next() throws -> TraceEvent? {
        switch phase {
        case .seeking:
            try seekWindowStart()
            return try next()
        case .carrying:
            if carriedIndex < carried.count {
                defer { carriedIndex += 1 }
                return carried[carriedIndex]
            }
            carried = []
            phase = .inside
            return try next()
        case .inside:
            let event: TraceEvent?
            if let pending {
                event = pending
                self.pending = nil
            } else {
                event = try base.next()
            }
            guard let event else {
                phase = .finished
                return nil
            }
            if let windowEndNs, event.timeNs >= windowEndNs {
                phase = .finished
                stoppedAtEnd = true
                return nil
            }
            return event
        case .finished:
            return nil
        }
    }

    /// Follows the state up to the window start, then prepares the carried events.
    private mutating func seekWindowStart() throws {
        while let event = try base.next() {
            if event.timeNs >= windowStartNs {
                pending = event
                break
            }
            state.apply(event)
        }
        if pending == nil {
            let traceEndNs = base.metadata.endNs
            if windowStartNs >= traceEndNs {
                let length = DurationText.format(max(0, traceEndNs - base.metadata.startNs))
                let ending = base.damage == nil ? "the trace ends at \(length)" : "the intact part of the trace ends at \(length)"
                throw TraceWindowError(message: "the window starts at \(DurationText.format(window.startOffsetNs)), "
                                                + "outside the trace: \(ending)")
            }
        }
        carried = state.carriedEvents(at: windowStartNs)
        state = LiveTraceState()
        phase = .carrying
    }
}
