// Span records for the swift-distributed-tracing integration: a span's start and end as one
// binary record each (TraceFormat's SpanRecord says the fields), beside the span's region.
//
// Invariants:
// - The caller writes exactly `fieldsLength` bytes after the task; the record is appended
//   whole or (not recording, no memory for a chunk) not at all.
// - The records are not state the window fold keeps: a span whose start fell out of the ring
//   is known from its end record, which carries the same ids.

import CFlightRecorder
package import TraceFormat

extension Trace {
    /// The task annotations made here belong to: the innermost logical task, else the Swift
    /// task, else 0 (this thread).
    package static var currentTask: UInt64 { TaskIdentity.current }

    /// Appends a `spanStart` or `spanEnd` record on `task` whose fields after the task are the
    /// `fieldsLength` bytes `write` writes at the pointer it is given (returning the end).
    package static func appendSpanRecord(_ kind: EventKind, task: UInt64, fieldsLength: Int,
                                         _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        let length = Varint.length(of: task) + fieldsLength
        guard let s = Emit.reserve(extra: length + Varint.maxLength) else { return }
        let t = Emit.now(s)
        let fields = EventRecord.extensionHeader(kind, dt: t &- s.pointee.last_ticks, task: task, length: length,
                                                 at: s.pointee.write.unsafelyUnwrapped)
        let end = write(fields)
        precondition(end - fields == fieldsLength, "span record fields differ from their length")
        fr_state_commit(s, end, t)
    }
}
