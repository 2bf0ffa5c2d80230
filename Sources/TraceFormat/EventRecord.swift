// Event records: the content of events frames, and how the recorder writes them.
//
// Invariants:
// - An events payload is a chunk of one thread: `thread`, `sequence`, `baseTicks`, then
//   records until the payload ends. Records appear in the order they were recorded on that
//   thread, so their times never decrease within a chunk.
// - A record is a kind byte, a uvarint time delta in ticks (from the previous record of the
//   chunk, the first from `baseTicks`), then the kind's fields.
// - Kinds 0x40-0x7F are followed by a uvarint length of their remaining fields, so a reader
//   skips the ones a newer minor version adds. Kinds below 0x40 have fixed field lists; an
//   unknown one below 0x40 is damage.
// - String fields are string references (`StringRef`): an id into the strings frames, or the
//   bytes inline.
// - Every encoder writes at most `maxFixedLength` bytes plus its inline string lengths;
//   callers check room first and encoders never fail.
// - A kind's fields are those of its row in Schemas/snapshot-format.md (section 7), whose
//   "Changing the format" checklist lists every file that encodes or decodes records.

@usableFromInline package enum EventKind: UInt8, CaseIterable, Sendable {
    /// task, parent (0 none), name, group
    case taskCreated = 0x01
    /// task
    case taskEnded = 0x02
    /// task, waker (0 unknown): a job of the task was enqueued; the task waits for a thread.
    case taskRunnable = 0x03
    /// task: a job of the task started on this chunk's thread.
    case taskRunning = 0x04
    /// task, reason: the task's job returned with the task suspended.
    case taskBlocked = 0x05
    /// task: the running task entered a blocking system call or I/O, keeping its thread.
    case taskSyscall = 0x06
    /// task (0 = the thread itself), name, stack (0 none)
    case regionBegin = 0x07
    /// task, name
    case regionEnd = 0x08
    /// task, category, message (uvarint length + UTF-8)
    case log = 0x09
    /// name, zigzag value
    case counterInt = 0x0A
    /// name, float64 little-endian value
    case counterFloat = 0x0B
    /// name: this chunk's thread is called `name` from now on.
    case threadName = 0x0C
    /// task, cpuNs: CPU time the thread spent in the job that just ended (optional).
    case jobCPUTime = 0x0D
    /// task, name, stack: a region that gives a wait its reason ("db query", "lock"). While it
    /// is open, the task's suspensions are blocked with the region's name as their reason
    /// (readers apply it, so it holds across thread hops). Closed by `regionEnd`.
    case blockingRegionBegin = 0x0E

    // Extension kinds (format 1.1): a length of the fields follows `dt`, so 1.0 readers skip
    // them. An actor is its executor's identity (the object's address) with its type's name.

    /// task, actor, type name: the task asked to run on the actor and waits for it (blocked,
    /// reason `actor <type name>`) until its `actorRun` of that actor.
    case actorWait = 0x40
    /// task, actor (0: the generic executor), type name: the task runs on this chunk's thread,
    /// on that actor (holding it until its next state record or hop) or on no actor.
    case actorRun = 0x41
    /// task, stack (0 none), scope (0 none): where the task is being created (the creating
    /// call site and its callers) and the logical task it is created in; written right before
    /// the task's `taskCreated`, on the same thread.
    case taskOrigin = 0x42
    /// task, stack: the task's next `taskBlocked` on this thread (with no reason) suspends it
    /// awaiting in the function of `stack`'s one frame (where it will resume); readers name
    /// the wait by it.
    case taskSuspension = 0x43

    // Format 1.2: spans (SpanRecord.swift says their fields).

    /// task, then a span's kind, W3C ids and name as it starts: the region begun right before
    /// it on the same thread is the span's.
    case spanStart = 0x44
    /// task, then the span as it ended: kind, ids, start and duration, status, final name,
    /// attributes, events and links. Written right after its region's end.
    case spanEnd = 0x45

    // Format 1.3.

    /// task, name: the logical task is called `name` for its whole life (readers rename it and
    /// group it by `name`); the window fold keeps nothing of it.
    case taskName = 0x46

    /// The largest number of bytes any record takes, inline strings excluded.
    @inlinable package static var maxFixedLength: Int { 1 + 5 * Varint.maxLength }
}

/// A string field: `id << 1` for an interned string, `length << 1 | 1` followed by the bytes
/// for an inline one.
@usableFromInline package enum StringRef {
    @inlinable @inline(__always)
    package static func interned(_ id: UInt64) -> UInt64 { id << 1 }

    /// Writes an inline string reference (tag and bytes).
    @inlinable @inline(__always)
    package static func writeInline(_ utf8: UnsafeRawBufferPointer, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let q = Varint.write(UInt64(utf8.count) << 1 | 1, at: p)
        return copyBytes(utf8, to: q)
    }
}

/// Copies `bytes` to `q`; returns the position after them. Up to 16 bytes (most names and
/// short messages) are copied with at most two overlapping loads and stores of each width
/// instead of a call to memmove, which cost a log ~3 ns; nothing outside `bytes` is read.
@inlinable @inline(__always)
package func copyBytes(_ bytes: UnsafeRawBufferPointer, to q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
    let n = bytes.count
    guard n > 0, let src = bytes.baseAddress else { return q }
    let dst = UnsafeMutableRawPointer(q)
    if n >= 8 && n <= 16 {
        dst.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
    } else if n >= 4 && n < 8 {
        dst.storeBytes(of: src.loadUnaligned(as: UInt32.self), as: UInt32.self)
        dst.storeBytes(of: src.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self), toByteOffset: n - 4, as: UInt32.self)
    } else if n < 4 {
        for i in 0..<n { dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
    } else {
        dst.copyMemory(from: src, byteCount: n)
    }
    return q + n
}

/// Pointer encoders of each record, for the recorder's hot path and for tests and fixtures.
/// Each returns the position after the record.
@usableFromInline package enum EventRecord {
    @inlinable @inline(__always)
    package static func header(_ kind: EventKind, dt: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p.pointee = kind.rawValue
        return Varint.write(dt, at: p + 1)
    }

    @inlinable @inline(__always)
    package static func task(_ kind: EventKind, dt: UInt64, task: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        Varint.write(task, at: header(kind, dt: dt, at: p))
    }

    /// taskRunnable with its waker, taskBlocked with an interned reason, jobCPUTime with ns.
    @inlinable @inline(__always)
    package static func task(_ kind: EventKind, dt: UInt64, task: UInt64, _ field: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        Varint.write(field, at: Varint.write(task, at: header(kind, dt: dt, at: p)))
    }

    @inlinable @inline(__always)
    package static func regionBegin(dt: UInt64, task: UInt64, nameRef: UInt64, stack: UInt64, blocking: Bool = false,
                                   at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = header(blocking ? .blockingRegionBegin : .regionBegin, dt: dt, at: p)
        q = Varint.write(task, at: q)
        q = Varint.write(nameRef, at: q)
        return Varint.write(stack, at: q)
    }

    @inlinable @inline(__always)
    package static func regionEnd(dt: UInt64, task: UInt64, nameRef: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        Varint.write(nameRef, at: Varint.write(task, at: header(.regionEnd, dt: dt, at: p)))
    }

    /// regionBegin (or blockingRegionBegin) with its name written inline (run-time text).
    @inlinable @inline(__always)
    package static func regionBegin(dt: UInt64, task: UInt64, inlineName name: UnsafeRawBufferPointer, stack: UInt64,
                                   blocking: Bool = false, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let q = Varint.write(task, at: header(blocking ? .blockingRegionBegin : .regionBegin, dt: dt, at: p))
        return Varint.write(stack, at: StringRef.writeInline(name, at: q))
    }

    /// regionEnd with its name written inline.
    @inlinable @inline(__always)
    package static func regionEnd(dt: UInt64, task: UInt64, inlineName name: UnsafeRawBufferPointer,
                                 at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        StringRef.writeInline(name, at: Varint.write(task, at: header(.regionEnd, dt: dt, at: p)))
    }

    @inlinable @inline(__always)
    package static func counter(dt: UInt64, nameRef: UInt64, value: Int64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        Varint.write(Varint.zigzag(value), at: Varint.write(nameRef, at: header(.counterInt, dt: dt, at: p)))
    }

    @inlinable @inline(__always)
    package static func counter(dt: UInt64, nameRef: UInt64, value: Double, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let q = Varint.write(nameRef, at: header(.counterFloat, dt: dt, at: p))
        var bits = value.bitPattern
        for i in 0..<8 {
            q[i] = UInt8(truncatingIfNeeded: bits)
            bits >>= 8
        }
        return q + 8
    }

    /// Log: the message is always inline (messages are rarely repeated).
    @inlinable @inline(__always)
    package static func log(dt: UInt64, task: UInt64, categoryRef: UInt64, message: UnsafeRawBufferPointer, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = header(.log, dt: dt, at: p)
        q = Varint.write(task, at: q)
        q = Varint.write(categoryRef, at: q)
        q = Varint.write(UInt64(message.count), at: q)
        return copyBytes(message, to: q)
    }

    /// A log whose message is the first `count` (at most 15) bytes, in memory order, of the two
    /// little-endian words `messageWords` (a small String's representation). All 16 bytes are
    /// stored, so the caller must have room for 16 after the fixed fields; the position
    /// returned is after the first `count` (the bytes beyond belong to no record until the
    /// next one overwrites them).
    @inlinable @inline(__always)
    package static func log(dt: UInt64, task: UInt64, categoryRef: UInt64, messageWords: (UInt64, UInt64), count: Int,
                           at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = header(.log, dt: dt, at: p)
        q = Varint.write(task, at: q)
        q = Varint.write(categoryRef, at: q)
        q.pointee = UInt8(truncatingIfNeeded: count)  // < 128: a one-byte uvarint
        let bytes = UnsafeMutableRawPointer(q + 1)
        bytes.storeBytes(of: messageWords.0.littleEndian, as: UInt64.self)
        bytes.storeBytes(of: messageWords.1.littleEndian, toByteOffset: 8, as: UInt64.self)
        return q + 1 + count
    }

    /// actorWait or actorRun: `task`, the executor identity `actor`, the interned type name.
    /// The fields' length is one byte: three varints never reach 128 bytes.
    @inlinable @inline(__always)
    package static func actor(_ kind: EventKind, dt: UInt64, task: UInt64, actor: UInt64, typeRef: UInt64,
                             at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        threeFields(kind, dt: dt, task, actor, typeRef, at: p)
    }

    /// taskOrigin: `task`, its creation `stack` id, the logical task `scope` it is created in.
    @inlinable @inline(__always)
    package static func taskOrigin(dt: UInt64, task: UInt64, stack: UInt64, scope: UInt64,
                                  at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        threeFields(.taskOrigin, dt: dt, task, stack, scope, at: p)
    }

    /// taskSuspension: `task`, the `stack` id of its resume point.
    @inlinable @inline(__always)
    package static func taskSuspension(dt: UInt64, task: UInt64, stack: UInt64,
                                      at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = header(.taskSuspension, dt: dt, at: p)
        let lengthByte = q
        q = Varint.write(task, at: q + 1)
        q = Varint.write(stack, at: q)
        lengthByte.pointee = UInt8(truncatingIfNeeded: q - lengthByte - 1)  // two varints: < 128 bytes
        return q
    }

    /// taskName: `task`, its name written inline.
    @inlinable @inline(__always)
    package static func taskName(dt: UInt64, task: UInt64, inlineName name: UnsafeRawBufferPointer,
                                 at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let length = Varint.length(of: task) + Varint.length(of: UInt64(name.count) << 1 | 1) + name.count
        return StringRef.writeInline(name, at: extensionHeader(.taskName, dt: dt, task: task, length: length, at: p))
    }

    /// An extension record's kind, `dt` and the length of its fields, which the caller writes
    /// next: `task` first, then `length - Varint.length(of: task)` bytes.
    @inlinable @inline(__always)
    package static func extensionHeader(_ kind: EventKind, dt: UInt64, task: UInt64, length: Int,
                                       at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        Varint.write(task, at: Varint.write(UInt64(length), at: header(kind, dt: dt, at: p)))
    }

    /// An extension record whose fields after `task` are as long as `write` makes them: it writes
    /// them at the pointer it is given, before the limit it is given (`maxFieldsLength` bytes on),
    /// and returns their end, or nil when they do not fit (then so does this, and what was written
    /// is garbage). The length is written once known, canonical: in one byte when it fits there
    /// (the task and fields were written after one), else in as many as it takes, the task and
    /// fields then moved on. Needs `header`'s room, `2 * Varint.maxLength` and `maxFieldsLength`.
    @inlinable
    package static func extensionRecord(_ kind: EventKind, dt: UInt64, task: UInt64, maxFieldsLength: Int,
                                        at p: UnsafeMutablePointer<UInt8>,
                                        _ write: (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt8>)
                                            -> UnsafeMutablePointer<UInt8>?) -> UnsafeMutablePointer<UInt8>? {
        let lengthAt = header(kind, dt: dt, at: p)
        let taskAt = lengthAt + 1
        let fields = Varint.write(task, at: taskAt)
        guard let end = write(fields, fields + maxFieldsLength) else { return nil }
        let length = end - taskAt
        guard length >= 0x80 else {
            lengthAt.pointee = UInt8(truncatingIfNeeded: length)
            return end
        }
        let moved = Varint.length(of: UInt64(length)) - 1
        UnsafeMutableRawPointer(taskAt + moved).copyMemory(from: taskAt, byteCount: length)
        _ = Varint.write(UInt64(length), at: lengthAt)
        return end + moved
    }

    /// An extension record of three varint fields, its length in one byte (three varints never
    /// reach 128 bytes).
    @inlinable @inline(__always)
    static func threeFields(_ kind: EventKind, dt: UInt64, _ a: UInt64, _ b: UInt64, _ c: UInt64,
                            at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let lengthAt = header(kind, dt: dt, at: p)
        let fields = lengthAt + 1
        let end = Varint.write(c, at: Varint.write(b, at: Varint.write(a, at: fields)))
        lengthAt.pointee = UInt8(truncatingIfNeeded: end - fields)
        return end
    }

    /// Task creation with inline or interned name and group references already encoded by
    /// the caller (`nameRef`/`groupRef` as `StringRef` values, inline bytes following).
    @inlinable @inline(__always)
    package static func taskCreated(dt: UInt64, task: UInt64, parent: UInt64,
                                   name: UnsafeRawBufferPointer?, nameID: UInt64,
                                   group: UnsafeRawBufferPointer?, groupID: UInt64,
                                   at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = header(.taskCreated, dt: dt, at: p)
        q = Varint.write(task, at: q)
        q = Varint.write(parent, at: q)
        q = name.map { StringRef.writeInline($0, at: q) } ?? Varint.write(StringRef.interned(nameID), at: q)
        q = group.map { StringRef.writeInline($0, at: q) } ?? Varint.write(StringRef.interned(groupID), at: q)
        return q
    }
}

/// The start of every events payload.
@usableFromInline package struct EventChunkHeader: Equatable, Sendable {
    @usableFromInline package var thread: UInt64
    /// Per-thread chunk counter, starting at 0: a gap means chunks of that thread were evicted.
    @usableFromInline package var sequence: UInt64
    @usableFromInline package var baseTicks: UInt64

    package init(thread: UInt64, sequence: UInt64, baseTicks: UInt64) {
        self.thread = thread
        self.sequence = sequence
        self.baseTicks = baseTicks
    }

    @inlinable package static var maxLength: Int { 3 * Varint.maxLength }

    @inlinable
    package func write(at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        Varint.write(baseTicks, at: Varint.write(sequence, at: Varint.write(thread, at: p)))
    }

    static func decode(_ c: inout ByteCursor) throws -> EventChunkHeader {
        EventChunkHeader(thread: try c.uvarint(), sequence: try c.uvarint(), baseTicks: try c.uvarint())
    }
}
