// Decoding the records of one events payload.
//
// Invariants:
// - `next()` yields records in payload order with absolute tick times (base + deltas).
// - It throws `FormatError` (offset within the payload) on anything malformed and never reads
//   out of bounds; skippable kinds (0x40-0x7F) are passed over by their length.

/// A decoded string reference. Inline bytes are a range of the payload (`EventDecoder.payload`),
/// so decoded events stay plain values, copied without reference counting.
package enum DecodedString: Equatable, Sendable {
    case none
    case interned(UInt64)
    case inline(Range<Int>)
}

package struct DecodedEvent: Equatable, Sendable {
    package var kind: EventKind
    package var ticks: UInt64
    /// The task the record is about (0 none).
    package var task: UInt64 = 0
    /// parent (taskCreated), waker (taskRunnable), stack (regionBegin, taskOrigin), cpuNs
    /// (jobCPUTime), actor (actorWait, actorRun).
    package var other: UInt64 = 0
    /// name (taskCreated, region*, counter*, threadName), reason (taskBlocked), category (log),
    /// type name (actorWait, actorRun).
    package var name: DecodedString = .none
    /// group (taskCreated).
    package var group: DecodedString = .none
    /// scope (taskOrigin): the logical task the task is created in.
    package var scope: UInt64 = 0
    /// message (log), the fields after the task (spanStart, spanEnd: SpanRecord decodes them):
    /// a range of the payload.
    package var message: Range<Int> = 0..<0
    package var intValue: Int64 = 0
    package var floatValue: Double = 0
    package var isFloat: Bool = false

    package init(kind: EventKind, ticks: UInt64) {
        self.kind = kind
        self.ticks = ticks
    }
}

package struct EventDecoder {
    package let header: EventChunkHeader
    /// The payload being decoded; inline strings and log messages are ranges of it.
    package let payload: [UInt8]
    private var cursor: ByteCursor
    private var ticks: UInt64
    package private(set) var skippedRecords = 0

    package init(payload: [UInt8]) throws {
        self.payload = payload
        var c = ByteCursor(payload)
        header = try EventChunkHeader.decode(&c)
        cursor = c
        ticks = header.baseTicks
    }

    package var offset: Int { cursor.offset }

    /// Record kinds by kind byte: one load per record instead of the enum's raw-value switch.
    private static let kinds: [EventKind?] = (0..<256).map { EventKind(rawValue: UInt8($0)) }

    private mutating func stringRef() throws -> DecodedString {
        let v = try cursor.uvarint()
        if v & 1 == 0 { return .interned(v >> 1) }
        guard v >> 1 <= UInt64(cursor.remaining) else {
            throw FormatError(offset: cursor.offset, "inline string of \(v >> 1) bytes runs past the chunk")
        }
        let start = cursor.offset
        try cursor.skip(Int(v >> 1))
        return .inline(start..<cursor.offset)
    }

    package mutating func next() throws -> DecodedEvent? {
        var e = DecodedEvent(kind: .taskEnded, ticks: 0)
        return try next(into: &e) ? e : nil
    }

    /// Decodes the next record into `e` (every field rewritten), in place: a merge of chunks
    /// keeps each chunk's head event where it is instead of copying it per record. False at
    /// the end of the payload (`e` unchanged).
    package mutating func next(into e: inout DecodedEvent) throws -> Bool {
        while !cursor.isAtEnd {
            let start = cursor.offset
            let k = try cursor.byte()
            let dt = try cursor.uvarint()
            let (t, overflow) = ticks.addingReportingOverflow(dt)
            guard !overflow else { throw FormatError(offset: start, "timestamp overflows") }
            ticks = t
            guard let kind = Self.kinds[Int(k)] else {
                if (0x40...0x7F).contains(k) {
                    try cursor.skip(try cursor.count(limit: cursor.remaining))
                    skippedRecords += 1
                    continue
                }
                throw FormatError(offset: start, "unknown event kind 0x\(String(k, radix: 16))")
            }
            e = DecodedEvent(kind: kind, ticks: ticks)
            switch kind {
            case .taskCreated:
                e.task = try cursor.uvarint()
                e.other = try cursor.uvarint()
                e.name = try stringRef()
                e.group = try stringRef()
            case .taskEnded, .taskRunning, .taskSyscall:
                e.task = try cursor.uvarint()
            case .taskRunnable, .jobCPUTime:
                e.task = try cursor.uvarint()
                e.other = try cursor.uvarint()
            case .taskBlocked:
                e.task = try cursor.uvarint()
                e.name = try stringRef()
            case .regionBegin, .blockingRegionBegin:
                e.task = try cursor.uvarint()
                e.name = try stringRef()
                e.other = try cursor.uvarint()
            case .regionEnd:
                e.task = try cursor.uvarint()
                e.name = try stringRef()
            case .log:
                e.task = try cursor.uvarint()
                e.name = try stringRef()
                let n = try cursor.count(limit: cursor.remaining)
                let start = cursor.offset
                try cursor.skip(n)
                e.message = start..<cursor.offset
            case .counterInt:
                e.name = try stringRef()
                e.intValue = try cursor.svarint()
            case .counterFloat:
                e.name = try stringRef()
                e.floatValue = try cursor.float64LE()
                e.isFloat = true
            case .threadName:
                e.name = try stringRef()
            case .spanStart, .spanEnd:
                let length = try cursor.count(limit: cursor.remaining)
                let fieldsEnd = cursor.offset + length
                e.task = try cursor.uvarint()
                guard cursor.offset <= fieldsEnd else {
                    throw FormatError(offset: start, "\(kind) record runs past its length")
                }
                e.message = cursor.offset..<fieldsEnd
                try cursor.skip(fieldsEnd - cursor.offset)
            case .actorWait, .actorRun, .taskOrigin, .taskSuspension:
                // Extension kinds: fields within their length; a newer minor version may add more.
                let length = try cursor.count(limit: cursor.remaining)
                let fieldsEnd = cursor.offset + length
                e.task = try cursor.uvarint()
                e.other = try cursor.uvarint()
                switch kind {
                case .taskOrigin: e.scope = try cursor.uvarint()
                case .taskSuspension: break
                default: e.name = try stringRef()
                }
                guard cursor.offset <= fieldsEnd else {
                    throw FormatError(offset: start, "\(kind) record runs past its length")
                }
                try cursor.skip(fieldsEnd - cursor.offset)
            }
            return true
        }
        return false
    }
}
