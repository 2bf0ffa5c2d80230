// A fast, allocation-free walk over the records of one events payload, for folding evicted
// chunks on the recorder's side.
//
// Why not TraceFormat.EventDecoder: every recorded event is folded once when its chunk leaves
// the ring, so the fold's per-record cost is paid by every event. EventDecoder measured
// ~126 ns/record when this was written and ~26 ns/record after main's decoder rework (b680ac4),
// both on a copy of the chunk into an array (`RecorderTiming 1 decode`, release, loaded
// 2-core machine). This scanner reads the same encoding in place: no copy, no throwing, no
// per-record value built (a specialized visitor receives the fields).
//
// The fold hands the runs of records that dominate chunks to a C loop (fold_scan.c) through
// `consume`, and reads the rest here.
//
// Invariants:
// - It follows EventRecord.swift's encoding exactly (RecordKindTests checks every kind against
//   Schemas/snapshot-format.md and EventDecoder); it never reads outside the payload; on
//   malformed input `next` returns false and sets `damaged`, keeping everything read before.
// - Inline strings are returned as views into the payload, valid while the payload is.

import TraceFormat

/// A string field: an interned id, or inline bytes (a view into the payload).
struct ScannedString {
    var id: UInt64 = 0
    var inline: UnsafeRawBufferPointer? = nil
}

struct ScannedRecord {
    var kind: EventKind = .taskEnded
    var ticks: UInt64 = 0
    var task: UInt64 = 0
    /// parent (taskCreated), waker (taskRunnable), stack (region begins), cpuNs (jobCPUTime).
    var other: UInt64 = 0
    /// name (taskCreated, regions, counters, threadName), reason (taskBlocked), category (log).
    var name = ScannedString()
    var group = ScannedString()
}

struct RecordScanner {
    private var p: UnsafePointer<UInt8>
    private let end: UnsafePointer<UInt8>
    private var ticks: UInt64
    let header: EventChunkHeader
    private(set) var damaged = false

    /// nil when the payload does not even hold a chunk header.
    init?(_ payload: UnsafeRawBufferPointer) {
        guard let base = payload.baseAddress, payload.count > 0 else { return nil }
        var cursor = base.assumingMemoryBound(to: UInt8.self)
        let end = cursor + payload.count
        guard let thread = Self.uvarint(&cursor, end), let sequence = Self.uvarint(&cursor, end),
              let baseTicks = Self.uvarint(&cursor, end) else { return nil }
        self.p = cursor
        self.end = end
        header = EventChunkHeader(thread: thread, sequence: sequence, baseTicks: baseTicks)
        ticks = baseTicks
    }

    /// A scanner of records cut from a chunk's payload (the window fold's suffix part):
    /// `records` starts at a record whose time delta is from `previousTicks`.
    init(records: UnsafeRawBufferPointer, thread: UInt64, previousTicks: UInt64) {
        let base = (records.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: UInt8.self)
        p = base
        end = base + records.count
        header = EventChunkHeader(thread: thread, sequence: 0, baseTicks: previousTicks)
        ticks = previousTicks
    }

    @inline(__always)
    private static func uvarint(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt64? {
        // One-byte values (most deltas, ids and tasks) take the short way.
        if p < end, p.pointee < 0x80 {
            defer { p += 1 }
            return UInt64(p.pointee)
        }
        return uvarintLong(&p, end)
    }

    private static func uvarintLong(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while p < end {
            let b = p.pointee
            p += 1
            if shift == 63 && b > 1 { return nil }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    @inline(__always)
    private mutating func field() -> UInt64? { Self.uvarint(&p, end) }

    @inline(__always)
    private mutating func string() -> ScannedString? {
        guard let v = field() else { return nil }
        if v & 1 == 0 { return ScannedString(id: v >> 1) }
        let n = v >> 1
        guard n <= UInt64(end - p) else { return nil }
        defer { p += Int(n) }
        return ScannedString(inline: UnsafeRawBufferPointer(start: p, count: Int(n)))
    }

    @inline(__always)
    private mutating func skip(_ n: UInt64?) -> Bool {
        guard let n, n <= UInt64(end - p) else { return false }
        p += Int(n)
        return true
    }

    /// Reads the next record into `r`; false at the end of the payload or on damage.
    mutating func next(_ r: inout ScannedRecord) -> Bool {
        var filler = RecordFiller()
        let more = step(&filler)
        if more { r = filler.record }
        return more
    }

    /// The kind byte of the next record; nil at the end of the payload.
    var nextKind: UInt8? { p < end ? p.pointee : nil }

    /// Lets a fast path (WindowFold's, in C) read records in place: `body` gets the start of
    /// the next record, the payload's end and the previous record's time, and moves the start
    /// and the time past the whole records it consumed.
    mutating func consume(_ body: (inout UnsafePointer<UInt8>, UnsafePointer<UInt8>, inout UInt64) -> Void) {
        body(&p, end, &ticks)
    }

    /// Hands every remaining record to `visitor`, in order; stops at the end or at damage.
    /// Generic so that each visitor gets its own specialized loop with its methods inlined.
    mutating func visitAll<V: RecordVisitor>(_ visitor: inout V) {
        while step(&visitor) {}
    }

    /// Reads one record and hands it to `visitor`; false at the end of the payload or on damage.
    @inline(__always)
    mutating func step<V: RecordVisitor>(_ v: inout V) -> Bool {
        while p < end {
            let k = p.pointee
            p += 1
            guard let dt = field() else { return fail() }
            let (t, overflow) = ticks.addingReportingOverflow(dt)
            guard !overflow else { return fail() }
            ticks = t
            // A switch on the byte rather than EventKind(rawValue:), which does not inline
            // across modules and showed up in profiles.
            switch k {
            case 0x01:
                guard let task = field(), let parent = field(), let name = string(), let group = string() else { return fail() }
                v.taskCreated(task: task, parent: parent, name: name, group: group, ticks: t)
            case 0x02, 0x04, 0x06:
                guard let task = field() else { return fail() }
                v.taskState(k == 0x02 ? .taskEnded : k == 0x04 ? .taskRunning : .taskSyscall, task: task, other: 0,
                            reason: ScannedString(), ticks: t)
            case 0x03, 0x0D:
                guard let task = field(), let other = field() else { return fail() }
                v.taskState(k == 0x03 ? .taskRunnable : .jobCPUTime, task: task, other: other, reason: ScannedString(), ticks: t)
            case 0x05:
                guard let task = field(), let reason = string() else { return fail() }
                v.taskState(.taskBlocked, task: task, other: 0, reason: reason, ticks: t)
            case 0x07, 0x0E:
                guard let task = field(), let name = string(), let stack = field() else { return fail() }
                v.regionBegin(task: task, name: name, stack: stack, blocking: k == 0x0E, ticks: t)
            case 0x08:
                guard let task = field(), let name = string() else { return fail() }
                v.regionEnd(task: task, name: name, ticks: t)
            case 0x09:
                guard let task = field(), let category = string(), skip(field()) else { return fail() }
                v.other(.log, task: task, name: category, ticks: t)
            case 0x0A:
                guard let name = string(), field() != nil else { return fail() }
                v.other(.counterInt, task: 0, name: name, ticks: t)
            case 0x0B:
                guard let name = string(), skip(8) else { return fail() }
                v.other(.counterFloat, task: 0, name: name, ticks: t)
            case 0x0C:
                guard let name = string() else { return fail() }
                v.threadName(name, ticks: t)
            case 0x40, 0x41:
                // Actor hops: task, actor, type within the record's length.
                guard let length = field(), length <= UInt64(end - p) else { return fail() }
                let fieldsEnd = p + Int(length)
                guard let task = field(), let actor = field(), let type = string(), p <= fieldsEnd else { return fail() }
                p = fieldsEnd
                v.taskState(k == 0x40 ? .actorWait : .actorRun, task: task, other: actor, reason: type, ticks: t)
            case 0x42...0x7F:  // task origins: nothing the window fold keeps
                if skip(field()) { continue }
                return fail()
            default:
                return fail()
            }
            return true
        }
        return false
    }

    @inline(never)
    private mutating func fail() -> Bool {
        damaged = true
        p = end
        return false
    }
}

/// What a scan hands over, record by record (fields as in `ScannedRecord`).
protocol RecordVisitor {
    mutating func taskCreated(task: UInt64, parent: UInt64, name: ScannedString, group: ScannedString, ticks: UInt64)
    /// taskEnded, taskRunnable (other: waker), taskRunning, taskBlocked (reason), taskSyscall,
    /// jobCPUTime (other: cpuNs), actorWait and actorRun (other: actor, reason: type name).
    mutating func taskState(_ kind: EventKind, task: UInt64, other: UInt64, reason: ScannedString, ticks: UInt64)
    mutating func regionBegin(task: UInt64, name: ScannedString, stack: UInt64, blocking: Bool, ticks: UInt64)
    mutating func regionEnd(task: UInt64, name: ScannedString, ticks: UInt64)
    mutating func threadName(_ name: ScannedString, ticks: UInt64)
    /// log (task, category) and counters (name).
    mutating func other(_ kind: EventKind, task: UInt64, name: ScannedString, ticks: UInt64)
}

/// Fills a `ScannedRecord` (for `RecordScanner.next`).
private struct RecordFiller: RecordVisitor {
    var record = ScannedRecord()

    mutating func set(_ kind: EventKind, _ ticks: UInt64, task: UInt64 = 0, other: UInt64 = 0, name: ScannedString = ScannedString()) {
        record.kind = kind
        record.ticks = ticks
        record.task = task
        record.other = other
        record.name = name
    }

    mutating func taskCreated(task: UInt64, parent: UInt64, name: ScannedString, group: ScannedString, ticks: UInt64) {
        set(.taskCreated, ticks, task: task, other: parent, name: name)
        record.group = group
    }
    mutating func taskState(_ kind: EventKind, task: UInt64, other: UInt64, reason: ScannedString, ticks: UInt64) {
        set(kind, ticks, task: task, other: other, name: reason)
    }
    mutating func regionBegin(task: UInt64, name: ScannedString, stack: UInt64, blocking: Bool, ticks: UInt64) {
        set(blocking ? .blockingRegionBegin : .regionBegin, ticks, task: task, other: stack, name: name)
    }
    mutating func regionEnd(task: UInt64, name: ScannedString, ticks: UInt64) {
        set(.regionEnd, ticks, task: task, name: name)
    }
    mutating func threadName(_ name: ScannedString, ticks: UInt64) {
        set(.threadName, ticks, name: name)
    }
    mutating func other(_ kind: EventKind, task: UInt64, name: ScannedString, ticks: UInt64) {
        set(kind, ticks, task: task, name: name)
    }
}
