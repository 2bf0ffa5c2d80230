// Span records for the swift-distributed-tracing integration: a span's start and end as one
// binary record each (TraceFormat's SpanRecord says the fields), beside the span's region.
//
// Invariants:
// - The caller writes exactly `fieldsLength` bytes after the task; the record is appended
//   whole or (not recording, no memory for a chunk) not at all.
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
    /// one), whose `fieldsLength` bytes `write` writes, and taskEnded of the span's task. Nothing
    /// is appended while no recorder records.
    package static func endSpan(_ span: OpenSpan, fieldsLength: Int,
                                _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        guard fr_is_recording() else { return }
        let recordTask = span.task.id != 0 ? span.task.id : TaskIdentity.current
        guard span.region.recorded else {
            return Emit.spanEnd(region: nil, regionTask: 0, recordTask: recordTask, endsTask: false,
                                fieldsLength: fieldsLength, write)
        }
        StringBytes.with(span.region.name) {
            Emit.spanEnd(region: $0, regionTask: span.region.task, recordTask: recordTask, endsTask: span.task.id != 0,
                         fieldsLength: fieldsLength, write)
        }
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
                        fieldsLength: Int, _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        let name = region.map { clip($0) }
        let extra = (name?.count ?? 0) + 2 * EventKind.maxFixedLength + 3 * Varint.maxLength + fieldsLength
        guard let s = room(extra: extra) else { return }
        let t = now(s)
        var q = s.pointee.write.unsafelyUnwrapped
        var dt = t &- s.pointee.last_ticks
        var records: UInt32 = 1
        if let name {
            q = EventRecord.regionEnd(dt: dt, task: regionTask, inlineName: name, at: q)
            dt = 0
            records += 1
        }
        let fields = EventRecord.extensionHeader(.spanEnd, dt: dt, task: recordTask,
                                                 length: Varint.length(of: recordTask) + fieldsLength, at: q)
        q = write(fields)
        precondition(q - fields == fieldsLength, "span record fields differ from their length")
        if endsTask {
            q = EventRecord.task(.taskEnded, dt: 0, task: recordTask, at: q)
            records += 1
        }
        fr_state_commit_records(s, q, t, records)
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
