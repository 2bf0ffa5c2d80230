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
    /// `payload`'s elements, read without the array's own bounds check and reference per byte.
    /// Sound: `payload` is immutable and held by this value (and by every copy of it), so its
    /// storage neither moves nor is freed while the pointer can be used; every read below
    /// checks `position < end` itself.
    private let bytes: UnsafePointer<UInt8>
    private let end: Int
    private var position: Int
    private var ticks: UInt64
    /// `kindTable`, held per decoder: reading the global per record costs a `swift_once` call.
    private let kinds: [EventKind?]
    package private(set) var skippedRecords = 0

    package init(payload: [UInt8]) throws {
        self.payload = payload
        var c = ByteCursor(payload)
        header = try EventChunkHeader.decode(&c)
        // The header took at least one byte: the array has storage.
        bytes = payload.withUnsafeBufferPointer { $0.baseAddress! }
        end = payload.count
        position = c.offset
        ticks = header.baseTicks
        kinds = Self.kindTable
    }

    package var offset: Int { position }

    /// Record kinds by kind byte: one load per record instead of the enum's raw-value switch.
    private static let kindTable: [EventKind?] = (0..<256).map { EventKind(rawValue: UInt8($0)) }

    // Reads with the checks and error offsets of ByteCursor's.

    @inline(__always)
    private mutating func byte() throws -> UInt8 {
        guard position < end else { throw FormatError(offset: position, "unexpected end of data") }
        let b = bytes[position]
        position += 1
        return b
    }

    @inline(__always)
    private mutating func uvarint() throws -> UInt64 {
        let start = position
        // Most fields are one byte.
        if start < end, bytes[start] < 0x80 {
            position = start + 1
            return UInt64(bytes[start])
        }
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var p = start
        while true {
            guard p < end else {
                position = p
                throw FormatError(offset: start, "truncated varint")
            }
            let b = bytes[p]
            p += 1
            if shift == 63 && b > 1 {
                position = p
                throw FormatError(offset: start, "varint overflows 64 bits")
            }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 {
                position = p
                return result
            }
            shift += 7
            if shift > 63 {
                position = p
                throw FormatError(offset: start, "varint longer than 10 bytes")
            }
        }
    }

    @inline(__always)
    private mutating func count(limit: Int) throws -> Int {
        let start = position
        let v = try uvarint()
        guard v <= UInt64(limit) else {
            throw FormatError(offset: start, "length \(v) exceeds limit \(limit)")
        }
        return Int(v)
    }

    private var remaining: Int { end - position }

    @inline(__always)
    private mutating func skip(_ n: Int) throws {
        guard n >= 0, n <= remaining else {
            throw FormatError(offset: position, "length \(n) runs past the end (\(remaining) bytes left)")
        }
        position += n
    }

    private mutating func float64LE() throws -> Double {
        try skip(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[position - 8 + i]) << (8 * UInt64(i)) }
        return Double(bitPattern: v)
    }

    @inline(__always)
    private mutating func stringRef() throws -> DecodedString {
        let v = try uvarint()
        if v & 1 == 0 { return .interned(v >> 1) }
        guard v >> 1 <= UInt64(remaining) else {
            throw FormatError(offset: position, "inline string of \(v >> 1) bytes runs past the chunk")
        }
        let start = position
        try skip(Int(v >> 1))
        return .inline(start..<position)
    }

    package mutating func next() throws -> DecodedEvent? {
        var e = DecodedEvent(kind: .taskEnded, ticks: 0)
        return try next(into: &e) ? e : nil
    }

    /// Decodes the next record into `e` (every field rewritten), in place: a merge of chunks
    /// keeps each chunk's head event where it is instead of copying it per record. False at
    /// the end of the payload (`e` unchanged).
    package mutating func next(into e: inout DecodedEvent) throws -> Bool {
        while position < end {
            let start = position
            let k = try byte()
            let dt = try uvarint()
            let (t, overflow) = ticks.addingReportingOverflow(dt)
            guard !overflow else { throw FormatError(offset: start, "timestamp overflows") }
            ticks = t
            guard let kind = kinds[Int(k)] else {
                if (0x40...0x7F).contains(k) {
                    try skip(try count(limit: remaining))
                    skippedRecords += 1
                    continue
                }
                throw FormatError(offset: start, "unknown event kind 0x\(String(k, radix: 16))")
            }
            e = DecodedEvent(kind: kind, ticks: ticks)
            switch kind {
            case .taskCreated:
                e.task = try uvarint()
                e.other = try uvarint()
                e.name = try stringRef()
                e.group = try stringRef()
            case .taskEnded, .taskRunning, .taskSyscall:
                e.task = try uvarint()
            case .taskRunnable, .jobCPUTime:
                e.task = try uvarint()
                e.other = try uvarint()
            case .taskBlocked:
                e.task = try uvarint()
                e.name = try stringRef()
            case .regionBegin, .blockingRegionBegin:
                e.task = try uvarint()
                e.name = try stringRef()
                e.other = try uvarint()
            case .regionEnd:
                e.task = try uvarint()
                e.name = try stringRef()
            case .log:
                e.task = try uvarint()
                e.name = try stringRef()
                let n = try count(limit: remaining)
                let start = position
                try skip(n)
                e.message = start..<position
            case .counterInt:
                e.name = try stringRef()
                e.intValue = Varint.unzigzag(try uvarint())
            case .counterFloat:
                e.name = try stringRef()
                e.floatValue = try float64LE()
                e.isFloat = true
            case .threadName:
                e.name = try stringRef()
            case .spanStart, .spanEnd:
                let length = try count(limit: remaining)
                let fieldsEnd = position + length
                e.task = try uvarint()
                guard position <= fieldsEnd else {
                    throw FormatError(offset: start, "\(kind) record runs past its length")
                }
                e.message = position..<fieldsEnd
                try skip(fieldsEnd - position)
            case .actorWait, .actorRun, .taskOrigin, .taskSuspension, .taskName:
                // Extension kinds: fields within their length; a newer minor version may add more.
                let length = try count(limit: remaining)
                let fieldsEnd = position + length
                e.task = try uvarint()
                if kind != .taskName { e.other = try uvarint() }
                switch kind {
                case .taskOrigin: e.scope = try uvarint()
                case .taskSuspension: break
                default: e.name = try stringRef()
                }
                guard position <= fieldsEnd else {
                    throw FormatError(offset: start, "\(kind) record runs past its length")
                }
                try skip(fieldsEnd - position)
            }
            return true
        }
        return false
    }
}
