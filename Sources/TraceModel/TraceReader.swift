// The reader side of the pipeline: anything that turns an input into TraceEvents.
//
// Invariants:
// - `next()` returns events in the order TraceEvent's invariants describe, then nil.
// - Damage (truncation, a checksum mismatch, an event that cannot be decoded) ends the stream
//   early: `next()` returns nil and `damage` says what was lost and where. Everything before
//   the damage has been returned. A reader never traps on bad input.
// - Memory is bounded by live state (open tasks, open regions, one chunk or generation), not
//   by the number of events read.

public struct TraceDamage: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input's name as the user gave it ("trace.1.out", "-" for stdin).
    public var file: String
    /// Byte offset in the input where the damage was found.
    public var offset: Int64
    public var message: String

    package init(file: String, offset: Int64, message: String) {
        self.file = file
        self.offset = offset
        self.message = message
    }

    /// One line: `file: offset N: message`.
    public var description: String { "\(file): offset \(offset): \(message)" }
}

public protocol TraceReader {
    /// Known before the first event; `endNs` is final once `next()` has returned nil.
    var metadata: TraceMetadata { get }
    var tables: TraceTables { get }
    /// Set when the stream ended early because of damaged input.
    var damage: TraceDamage? { get }
    /// Non-fatal observations (unknown record kinds skipped, clipped regions).
    var warnings: [String] { get }

    /// The next event, or nil at the end of the (possibly damaged) stream. Throws only for
    /// input that is not a trace at all or cannot be read from the start.
    mutating func next() throws -> TraceEvent?
}
