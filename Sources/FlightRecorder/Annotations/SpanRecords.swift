// Span records for the swift-distributed-tracing integration: a span's start and end as one
// binary record each (TraceFormat's SpanRecord says the fields), beside the span's region.
//
// Invariants:
// - A span's start record has fields of a length known before they are written
//   (`fieldsLength`); an end record's fields are as many as fit before a bound
//   (`maxFieldsLength`), its length written once known. Either way the caller writes them
//   straight into the chunk. The record is appended whole or not at all: not recording, no
//   memory for a chunk (`.dropped`), or fields past the bound (`.tooLong`).
// - Fields written before a bound are tried first in the room the thread's chunk has left: only
//   a record that does not fit there takes a fresh chunk, so the bound reserves nothing.
// - The records are not state the window fold keeps: a span whose start fell out of the ring
//   is known from its end record, which carries the same ids.
// - A span's start (its task, region and start record) and its end (region, end record, task)
//   are each one append at one instant (`beginSpan`, `endSpan`): one clock read, one room check
//   and one task lookup instead of three; readers see the records in the order they were written.

import CFlightRecorder
package import TraceFormat

extension Trace {
    /// The task annotations made here belong to: the innermost logical task, else the Swift
    /// task, else 0 (this thread).
    package static var currentTask: UInt64 { TaskIdentity.current }

    /// Appends a `spanStart` or `spanEnd` record on `task` whose fields after the task `write`
    /// writes (`SpanFieldsWriter`), at most `maxFieldsLength` bytes.
    package static func appendSpanRecord(_ kind: EventKind, task: UInt64, maxFieldsLength: Int,
                                         _ write: SpanFieldsWriter) -> SpanRecordAppend {
        guard fr_is_recording() else { return .dropped }
        return Emit.appendBounded(around: 2 * Varint.maxLength, maxFieldsLength: maxFieldsLength) { s, bound in
            let t = Emit.now(s)
            guard let end = EventRecord.extensionRecord(kind, dt: t &- s.pointee.last_ticks, task: task,
                                                        maxFieldsLength: bound, at: s.pointee.write.unsafelyUnwrapped,
                                                        write) else { return false }
            fr_state_commit(s, end, t)
            return true
        }
    }
}

/// Writes a span record's fields at its first argument, before its second (the bound), and
/// returns their end; nil when they do not fit (what it wrote is then ignored). Called at most
/// twice per record: again, with a larger bound, when they did not fit in a chunk's last room.
package typealias SpanFieldsWriter = (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>?

/// What became of a span record whose fields were written before a bound.
package enum SpanRecordAppend: Equatable, Sendable {
    case appended
    /// Nothing records, or there was no memory for a chunk: nothing was appended.
    case dropped
    /// The fields did not fit before the bound: nothing was appended.
    case tooLong
}

/// What a span's start recorded (`Trace.beginSpan`), for its end (`Trace.endSpan`): its region
/// and, for a span that is a request's task, that logical task.
package struct OpenSpan: Sendable {
    /// The span's region; rename it with `Trace.renameRegion`.
    package var region: OpenRegion
    /// The span's logical task; id 0 for none.
    package let task: OpenTask

    init(region: OpenRegion, task: OpenTask) {
        self.region = region
        self.task = task
    }

    /// A span started while nothing recorded: nothing to close.
    package init(notRecordedNamed name: String) {
        self.init(region: OpenRegion(name: name, task: 0, recorded: false), task: OpenTask(id: 0))
    }
}

extension Trace {
    /// A span's start, appended at one instant in one reservation: when `opensTask`, taskCreated
    /// of a logical task named `name`, child of the current task (the server span's request);
    /// regionBegin named `name` on the current task; then the `spanStart` record, on the new task
    /// (else the current one), whose `fieldsLength` bytes `write` writes. Either all three are
    /// appended or (not recording, no memory for a chunk) none.
    package static func beginSpan(named name: String, opensTask: Bool, fieldsLength: Int,
                                  _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) -> OpenSpan {
        guard fr_is_recording() else { return OpenSpan(notRecordedNamed: name) }
        let current = TaskIdentity.current
        // Inside a request's task (a slow-request middleware's), the request is a task already.
        let opensTask = opensTask && !TaskIdentity.isRequestTask(current)
        var task: UInt64?
        StringBytes.with(name) {
            task = Emit.spanBegin(name: $0, on: current, opensTask: opensTask, fieldsLength: fieldsLength, write)
        }
        guard let task else { return OpenSpan(notRecordedNamed: name) }
        if task != 0 { fr_logical_task_opened() }
        return OpenSpan(region: OpenRegion(name: name, task: current, recorded: true), task: OpenTask(id: task))
    }

    /// A span's end, appended at one instant in one reservation: regionEnd of the span's region
    /// (when its begin was recorded), the `spanEnd` record on the span's task (else the current
    /// one), whose fields `write` writes (`SpanFieldsWriter`, at most `maxFieldsLength` bytes),
    /// and taskEnded of the span's task. Nothing is appended while no recorder records.
    package static func endSpan(_ span: OpenSpan, maxFieldsLength: Int, _ write: SpanFieldsWriter) -> SpanRecordAppend {
        guard fr_is_recording() else { return .dropped }
        let recordTask = span.task.id != 0 ? span.task.id : TaskIdentity.current
        guard span.region.recorded else {
            return Emit.spanEnd(region: nil, regionTask: 0, recordTask: recordTask, endsTask: false,
                                maxFieldsLength: maxFieldsLength, write)
        }
        var outcome = SpanRecordAppend.dropped
        StringBytes.with(span.region.name) {
            outcome = Emit.spanEnd(region: $0, regionTask: span.region.task, recordTask: recordTask,
                                   endsTask: span.task.id != 0, maxFieldsLength: maxFieldsLength, write)
        }
        return outcome
    }
}

extension Emit {
    /// `Trace.beginSpan`'s records; returns the new logical task's id (0: none), nil when
    /// dropped.
    static func spanBegin(name: UnsafeRawBufferPointer, on current: UInt64, opensTask: Bool, fieldsLength: Int,
                          _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) -> UInt64? {
        let name = clip(name)
        // Past the first record's room: the name inline three times (task name and group, region),
        // two more fixed-size records, and the span record's length, task and fields.
        let extra = 3 * name.count + 2 * EventKind.maxFixedLength + 3 * Varint.maxLength + fieldsLength
        guard let s = room(extra: extra) else { return nil }
        let task = opensTask ? TaskIdentity.newLogicalTask(state: s) : 0
        let t = now(s)
        var q = s.pointee.write.unsafelyUnwrapped
        var dt = t &- s.pointee.last_ticks
        if opensTask {
            q = EventRecord.taskCreated(dt: dt, task: task, parent: current, name: name, nameID: 0, group: name, groupID: 0,
                                        at: q)
            dt = 0
        }
        q = EventRecord.regionBegin(dt: dt, task: current, inlineName: name, stack: 0, at: q)
        let recordTask = opensTask ? task : current
        let fields = EventRecord.extensionHeader(.spanStart, dt: 0, task: recordTask,
                                                 length: Varint.length(of: recordTask) + fieldsLength, at: q)
        let end = write(fields)
        precondition(end - fields == fieldsLength, "span record fields differ from their length")
        fr_state_commit_records(s, end, t, opensTask ? 3 : 2)
        return task
    }

    /// `Trace.endSpan`'s records; `region` nil when its begin was not recorded.
    static func spanEnd(region: UnsafeRawBufferPointer?, regionTask: UInt64, recordTask: UInt64, endsTask: Bool,
                        maxFieldsLength: Int, _ write: SpanFieldsWriter) -> SpanRecordAppend {
        let name = region.map { clip($0) }
        // Beside the fields: the region's end (name inline), the task's end, the span record's
        // length and task.
        let around = (name?.count ?? 0) + 2 * EventKind.maxFixedLength + 3 * Varint.maxLength
        return appendBounded(around: around, maxFieldsLength: maxFieldsLength) { s, bound in
            let t = now(s)
            var q = s.pointee.write.unsafelyUnwrapped
            var dt = t &- s.pointee.last_ticks
            var records: UInt32 = 1
            if let name {
                q = EventRecord.regionEnd(dt: dt, task: regionTask, inlineName: name, at: q)
                dt = 0
                records += 1
            }
            guard var end = EventRecord.extensionRecord(.spanEnd, dt: dt, task: recordTask, maxFieldsLength: bound,
                                                        at: q, write) else { return false }
            if endsTask {
                end = EventRecord.task(.taskEnded, dt: 0, task: recordTask, at: end)
                records += 1
            }
            fr_state_commit_records(s, end, t, records)
            return true
        }
    }

    /// Appends records whose span fields are written before a bound (`SpanFieldsWriter`):
    /// `attempt` writes and commits them at the state's write position, with fields bounded by
    /// the `Int` it is given, and returns false (nothing committed) when they do not fit.
    /// `around` is the room the records need beside the fields. Tried first in the room the
    /// thread's chunk has left, so a chunk's tail is not given up for a bound most records do not
    /// reach; then, when that room was smaller than `maxFieldsLength`, in a fresh chunk.
    static func appendBounded(around: Int, maxFieldsLength: Int,
                              _ attempt: (UnsafeMutablePointer<fr_thread_state>, Int) -> Bool) -> SpanRecordAppend {
        if let s = fr_current_state(), let limit = fr_state_limit(s) {
            let room = limit - s.pointee.write.unsafelyUnwrapped - around
            if room >= maxFieldsLength { return attempt(s, maxFieldsLength) ? .appended : .tooLong }
            if room > 0, attempt(s, room) { return .appended }
        }
        guard let s = ThreadBuffer.refill(extra: around + maxFieldsLength) else { return .dropped }
        return attempt(s, maxFieldsLength) ? .appended : .tooLong
    }
}

extension Trace {
    /// Calls `body` with the UTF-8 bytes of `text`, read in place without reference counting
    /// where the String's form allows (StringBytes), for writers of span records.
    @inlinable @inline(__always)
    package static func withUTF8Bytes(of text: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        StringBytes.with(text, body)
    }
}
