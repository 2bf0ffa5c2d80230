// Building an events payload in ordinary memory with the same record encoders the recorder's
// hot path uses: for fixtures, tests and tools.
//
// Invariants:
// - Times are absolute ticks and must not decrease; the builder writes deltas.
// - The payload is exactly what `EventDecoder` reads: chunk header, then records.

public struct EventChunkBuilder {
    package let header: EventChunkHeader
    package private(set) var bytes: [UInt8]
    package private(set) var eventCount = 0
    package private(set) var lastTicks: UInt64

    package init(thread: UInt64, sequence: UInt64, baseTicks: UInt64) {
        let header = EventChunkHeader(thread: thread, sequence: sequence, baseTicks: baseTicks)
        self.header = header
        lastTicks = baseTicks
        bytes = []
        append(maxLength: EventChunkHeader.maxLength) { header.write(at: $0) }
    }

    package var count: Int { bytes.count }

    private mutating func append(maxLength: Int, _ encode: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        let old = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: maxLength))
        let used = bytes.withUnsafeMutableBufferPointer { b in
            let start = b.baseAddress! + old
            return encode(start) - start
        }
        precondition(used <= maxLength, "record longer than its bound")
        bytes.removeLast(maxLength - used)
    }

    private mutating func delta(_ ticks: UInt64) -> UInt64 {
        precondition(ticks >= lastTicks, "event times must not decrease within a chunk")
        defer { lastTicks = ticks }
        eventCount += 1
        return ticks - lastTicks
    }

    /// A string reference: interned when `id` is given, else inline.
    public enum Name {
        case id(UInt64)
        case inline(String)
    }

    private static let inlineLimit = 1 << 16

    public mutating func taskCreated(at t: UInt64, task: UInt64, parent: UInt64, name: Name, group: Name) {
        let dt = delta(t)
        var nameBytes: [UInt8] = [], groupBytes: [UInt8] = []
        var nameID: UInt64 = 0, groupID: UInt64 = 0
        var nameInline = false, groupInline = false
        switch name {
        case .id(let id): nameID = id
        case .inline(let s): nameBytes = Array(s.utf8.prefix(Self.inlineLimit)); nameInline = true
        }
        switch group {
        case .id(let id): groupID = id
        case .inline(let s): groupBytes = Array(s.utf8.prefix(Self.inlineLimit)); groupInline = true
        }
        append(maxLength: EventKind.maxFixedLength + 2 * Varint.maxLength + nameBytes.count + groupBytes.count) { p in
            nameBytes.withUnsafeBytes { n in
                groupBytes.withUnsafeBytes { g in
                    EventRecord.taskCreated(dt: dt, task: task, parent: parent,
                                            name: nameInline ? n : nil, nameID: nameID,
                                            group: groupInline ? g : nil, groupID: groupID, at: p)
                }
            }
        }
    }

    public mutating func taskEnded(at t: UInt64, task: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) { EventRecord.task(.taskEnded, dt: dt, task: task, at: $0) }
    }

    public mutating func taskRunnable(at t: UInt64, task: UInt64, waker: UInt64 = 0) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) { EventRecord.task(.taskRunnable, dt: dt, task: task, waker, at: $0) }
    }

    public mutating func taskRunning(at t: UInt64, task: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) { EventRecord.task(.taskRunning, dt: dt, task: task, at: $0) }
    }

    /// `reason` is an interned string id (0: no specific reason, "suspended").
    public mutating func taskBlocked(at t: UInt64, task: UInt64, reason: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.task(.taskBlocked, dt: dt, task: task, StringRef.interned(reason), at: $0)
        }
    }

    public mutating func taskSyscall(at t: UInt64, task: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) { EventRecord.task(.taskSyscall, dt: dt, task: task, at: $0) }
    }

    public mutating func jobCPUTime(at t: UInt64, task: UInt64, cpuNs: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) { EventRecord.task(.jobCPUTime, dt: dt, task: task, cpuNs, at: $0) }
    }

    public mutating func regionBegin(at t: UInt64, task: UInt64, name: UInt64, stack: UInt64 = 0, blocking: Bool = false) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.regionBegin(dt: dt, task: task, nameRef: StringRef.interned(name), stack: stack, blocking: blocking, at: $0)
        }
    }

    public mutating func regionEnd(at t: UInt64, task: UInt64, name: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.regionEnd(dt: dt, task: task, nameRef: StringRef.interned(name), at: $0)
        }
    }

    public mutating func log(at t: UInt64, task: UInt64, category: UInt64, message: String) {
        let dt = delta(t)
        let m = Array(message.utf8.prefix(Self.inlineLimit))
        append(maxLength: EventKind.maxFixedLength + m.count) { p in
            m.withUnsafeBytes { EventRecord.log(dt: dt, task: task, categoryRef: StringRef.interned(category), message: $0, at: p) }
        }
    }

    public mutating func counter(at t: UInt64, name: UInt64, value: Int64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.counter(dt: dt, nameRef: StringRef.interned(name), value: value, at: $0)
        }
    }

    public mutating func counter(at t: UInt64, name: UInt64, value: Double) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength + 8) {
            EventRecord.counter(dt: dt, nameRef: StringRef.interned(name), value: value, at: $0)
        }
    }

    public mutating func threadName(at t: UInt64, name: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) { p in
            Varint.write(StringRef.interned(name), at: EventRecord.header(.threadName, dt: dt, at: p))
        }
    }

    /// actorWait or actorRun of `task` on `actor` (0: the generic executor), type name `type`.
    package mutating func actor(_ kind: EventKind, at t: UInt64, task: UInt64, actor: UInt64, type: UInt64) {
        precondition(kind == .actorWait || kind == .actorRun, "not an actor record")
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.actor(kind, dt: dt, task: task, actor: actor, typeRef: StringRef.interned(type), at: $0)
        }
    }

    /// taskOrigin of `task`: its creation stack id and the logical task it is created in.
    public mutating func taskOrigin(at t: UInt64, task: UInt64, stack: UInt64, scope: UInt64 = 0) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.taskOrigin(dt: dt, task: task, stack: stack, scope: scope, at: $0)
        }
    }

    /// taskSuspension of `task`: the stack id of the point it will resume at.
    public mutating func taskSuspension(at t: UInt64, task: UInt64, stack: UInt64) {
        let dt = delta(t)
        append(maxLength: EventKind.maxFixedLength) {
            EventRecord.taskSuspension(dt: dt, task: task, stack: stack, at: $0)
        }
    }

    /// spanStart or spanEnd on `task`, with the fields `SpanRecord.bytes` gives.
    package mutating func span(_ kind: EventKind, at t: UInt64, task: UInt64, fields: [UInt8]) {
        precondition(kind == .spanStart || kind == .spanEnd, "not a span record")
        let dt = delta(t)
        let length = Varint.length(of: task) + fields.count
        append(maxLength: EventKind.maxFixedLength + fields.count) { p in
            fields.withUnsafeBytes { copyBytes($0, to: EventRecord.extensionHeader(kind, dt: dt, task: task, length: length, at: p)) }
        }
    }
}
