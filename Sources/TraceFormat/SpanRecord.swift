// The fields of the span records (format 1.2): a span of swift-distributed-tracing, its W3C
// ids and what it carried, in binary, so that the recording thread copies values and formats
// nothing; readers turn them into text.
//
// Invariants:
// - Both records are extension kinds (`spanStart` 0x44, `spanEnd` 0x45): after `dt`, a length,
//   then `task(uvarint)` (the task the span's records belong to) and the fields below. A 1.1
//   reader skips them; the span's region is the ordinary region records around them.
// - Start: `kind(u8) trace-high(u64le) trace-low(u64le) span(u64le) parent(u64le) name(string)`.
// - End: the same kind and ids, then `start-ns(uvarint) duration-ns(uvarint) status(u8)`, a
//   `string` status message when status bit 7 is set, `name(string)`, then three counted lists:
//   attributes (`key(string) value`), events (`name(string) offset-ns(svarint)` and a counted
//   list of attributes) and links (`trace-high trace-low span`, u64le each). Counts are uvarints.
// - A value is a type byte and its payload: 1 integer (svarint), 2 float (f64le), 3 bool (u8),
//   4 string (`string`), 5 text (`string`: any other value, arrays among them, as text).
// - Ids are 0 for "none" (parent 0: a root span). Decoding never traps: malformed fields throw
//   `FormatError`.

@usableFromInline package enum SpanRecord {
    /// swift-distributed-tracing's span kinds, as the records number them.
    @usableFromInline package enum Kind: UInt8, Sendable, CaseIterable {
        case `internal` = 0, server = 1, client = 2, producer = 3, consumer = 4

        /// The kind as swift-distributed-tracing spells its case.
        package var name: String {
            switch self {
            case .internal: "internal"
            case .server: "server"
            case .client: "client"
            case .producer: "producer"
            case .consumer: "consumer"
            }
        }
    }

    @usableFromInline package enum Status: UInt8, Sendable {
        case unset = 0, ok = 1, error = 2
    }

    /// Status bit 7: a status message follows.
    @inlinable static var statusMessageFlag: UInt8 { 0x80 }

    /// A span's W3C ids; `parent` 0 for a root span (or when its parent is unknown).
    @usableFromInline package struct Identity: Equatable, Sendable {
        @usableFromInline package var traceHigh: UInt64
        @usableFromInline package var traceLow: UInt64
        @usableFromInline package var span: UInt64
        @usableFromInline package var parent: UInt64

        @inlinable package init(traceHigh: UInt64, traceLow: UInt64, span: UInt64, parent: UInt64) {
            self.traceHigh = traceHigh
            self.traceLow = traceLow
            self.span = span
            self.parent = parent
        }
    }

    /// An attribute's value as recorded.
    package enum Value: Equatable, Sendable {
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        case string(String)
        /// Any other value, as text (arrays as `[a,b]`).
        case text(String)
    }

    package struct Event: Equatable, Sendable {
        package var name: String
        /// ns from the span's start (negative for an event stamped before it).
        package var offsetNs: Int64
        package var attributes: [(key: String, value: Value)]

        package init(name: String, offsetNs: Int64, attributes: [(key: String, value: Value)]) {
            self.name = name
            self.offsetNs = offsetNs
            self.attributes = attributes
        }

        package static func == (a: Event, b: Event) -> Bool {
            a.name == b.name && a.offsetNs == b.offsetNs && a.attributes.elementsEqual(b.attributes, by: { $0 == $1 })
        }
    }

    /// The fields of a `spanStart` record after its task.
    package struct Start: Equatable, Sendable {
        package var kind: Kind
        package var identity: Identity
        package var name: String

        package init(kind: Kind, identity: Identity, name: String) {
            self.kind = kind
            self.identity = identity
            self.name = name
        }
    }

    /// The fields of a `spanEnd` record after its task.
    package struct End: Equatable, Sendable {
        package var kind: Kind
        package var identity: Identity
        package var startNs: UInt64
        package var durationNs: UInt64
        package var status: Status
        package var statusMessage: String?
        package var name: String
        package var attributes: [(key: String, value: Value)]
        package var events: [Event]
        /// Linked spans: trace and span ids (`parent` unused, 0).
        package var links: [Identity]

        package init(kind: Kind, identity: Identity, startNs: UInt64, durationNs: UInt64, status: Status = .unset,
                    statusMessage: String? = nil, name: String, attributes: [(key: String, value: Value)] = [],
                    events: [Event] = [], links: [Identity] = []) {
            self.kind = kind
            self.identity = identity
            self.startNs = startNs
            self.durationNs = durationNs
            self.status = status
            self.statusMessage = statusMessage
            self.name = name
            self.attributes = attributes
            self.events = events
            self.links = links
        }

        package static func == (a: End, b: End) -> Bool {
            a.kind == b.kind && a.identity == b.identity && a.startNs == b.startNs && a.durationNs == b.durationNs
                && a.status == b.status && a.statusMessage == b.statusMessage && a.name == b.name
                && a.attributes.elementsEqual(b.attributes, by: { $0 == $1 }) && a.events == b.events && a.links == b.links
        }
    }

    // MARK: writing (pointer encoders; callers reserve the lengths these functions give)

    /// Bytes of `kind` and the four ids.
    @inlinable package static var identityLength: Int { 1 + 4 * 8 }

    /// Bytes of a `string` of `count` bytes.
    @inlinable
    package static func stringLength(_ count: Int) -> Int { Varint.length(of: UInt64(count)) + count }

    @inlinable @inline(__always)
    package static func writeUInt64LE(_ value: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        UnsafeMutableRawPointer(p).storeBytes(of: value.littleEndian, as: UInt64.self)
        return p + 8
    }

    @inlinable @inline(__always)
    package static func writeString(_ utf8: UnsafeRawBufferPointer, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        copyBytes(utf8, to: Varint.write(UInt64(utf8.count), at: p))
    }

    /// `kind` and the four ids.
    @inlinable
    package static func writeIdentity(kind: Kind, _ ids: Identity, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p.pointee = kind.rawValue
        var q = writeUInt64LE(ids.traceHigh, at: p + 1)
        q = writeUInt64LE(ids.traceLow, at: q)
        q = writeUInt64LE(ids.span, at: q)
        return writeUInt64LE(ids.parent, at: q)
    }

    /// Bytes of a start record's fields after its task, for a name of `nameCount` bytes.
    @inlinable
    package static func startLength(nameCount: Int) -> Int { identityLength + stringLength(nameCount) }

    @inlinable
    package static func writeStart(kind: Kind, _ ids: Identity, name: UnsafeRawBufferPointer,
                                  at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        writeString(name, at: writeIdentity(kind: kind, ids, at: p))
    }

    /// Bytes of an end record's fields after its task up to the attribute list.
    @inlinable
    package static func endHeadLength(startNs: UInt64, durationNs: UInt64, statusMessageCount: Int?, nameCount: Int) -> Int {
        identityLength + Varint.length(of: startNs) + Varint.length(of: durationNs) + 1
            + (statusMessageCount.map(stringLength) ?? 0) + stringLength(nameCount)
    }

    @inlinable
    package static func writeEndHead(kind: Kind, _ ids: Identity, startNs: UInt64, durationNs: UInt64, status: Status,
                                    statusMessage: UnsafeRawBufferPointer?, name: UnsafeRawBufferPointer,
                                    at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = writeIdentity(kind: kind, ids, at: p)
        q = Varint.write(startNs, at: q)
        q = Varint.write(durationNs, at: q)
        q.pointee = status.rawValue | (statusMessage == nil ? 0 : statusMessageFlag)
        q += 1
        if let statusMessage { q = writeString(statusMessage, at: q) }
        return writeString(name, at: q)
    }

    /// Value type bytes.
    @usableFromInline package enum ValueType: UInt8 {
        case integer = 1, float = 2, bool = 3, string = 4, text = 5
    }

    /// A value of type `type` whose payload `payload` writes.
    @inlinable @inline(__always)
    package static func writeValueType(_ type: ValueType, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p.pointee = type.rawValue
        return p + 1
    }

    /// Bytes of a link.
    @inlinable package static var linkLength: Int { 3 * 8 }

    @inlinable
    package static func writeLink(_ ids: Identity, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        writeUInt64LE(ids.span, at: writeUInt64LE(ids.traceLow, at: writeUInt64LE(ids.traceHigh, at: p)))
    }

    // MARK: whole records in ordinary memory (fixtures, tests, tools)

    /// The bytes of a start record's fields after its task.
    package static func bytes(_ start: Start) -> [UInt8] {
        var name = start.name
        return name.withUTF8 { n in
            encode(length: startLength(nameCount: n.count)) { writeStart(kind: start.kind, start.identity, name: UnsafeRawBufferPointer(n), at: $0) }
        }
    }

    /// The bytes of an end record's fields after its task.
    package static func bytes(_ end: End) -> [UInt8] {
        var out: [UInt8] = []
        out.append(end.kind.rawValue)
        for id in [end.identity.traceHigh, end.identity.traceLow, end.identity.span, end.identity.parent] { appendUInt64LE(id, to: &out) }
        Varint.append(end.startNs, to: &out)
        Varint.append(end.durationNs, to: &out)
        out.append(end.status.rawValue | (end.statusMessage == nil ? 0 : statusMessageFlag))
        if let message = end.statusMessage { appendString(message, to: &out) }
        appendString(end.name, to: &out)
        appendAttributes(end.attributes, to: &out)
        Varint.append(UInt64(end.events.count), to: &out)
        for event in end.events {
            appendString(event.name, to: &out)
            Varint.append(Varint.zigzag(event.offsetNs), to: &out)
            appendAttributes(event.attributes, to: &out)
        }
        Varint.append(UInt64(end.links.count), to: &out)
        for link in end.links { for id in [link.traceHigh, link.traceLow, link.span] { appendUInt64LE(id, to: &out) } }
        return out
    }

    private static func encode(length: Int, _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: length + 16) { buffer, count in
            count = write(buffer.baseAddress!) - buffer.baseAddress!
        }
    }

    private static func appendUInt64LE(_ value: UInt64, to out: inout [UInt8]) {
        for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    private static func appendString(_ text: String, to out: inout [UInt8]) {
        Varint.append(UInt64(text.utf8.count), to: &out)
        out.append(contentsOf: text.utf8)
    }

    private static func appendAttributes(_ attributes: [(key: String, value: Value)], to out: inout [UInt8]) {
        Varint.append(UInt64(attributes.count), to: &out)
        for (key, value) in attributes {
            appendString(key, to: &out)
            switch value {
            case .integer(let v): out.append(ValueType.integer.rawValue); Varint.append(Varint.zigzag(v), to: &out)
            case .float(let v): out.append(ValueType.float.rawValue); appendUInt64LE(v.bitPattern, to: &out)
            case .bool(let v): out.append(ValueType.bool.rawValue); out.append(v ? 1 : 0)
            case .string(let v): out.append(ValueType.string.rawValue); appendString(v, to: &out)
            case .text(let v): out.append(ValueType.text.rawValue); appendString(v, to: &out)
            }
        }
    }

    // MARK: reading

    private static func identity(_ c: inout ByteCursor) throws -> (Kind, Identity) {
        let offset = c.offset
        guard let kind = Kind(rawValue: try c.byte()) else { throw FormatError(offset: offset, "unknown span kind") }
        return (kind, Identity(traceHigh: try c.uint64LE(), traceLow: try c.uint64LE(), span: try c.uint64LE(),
                               parent: try c.uint64LE()))
    }

    /// A start record's fields after its task: `payload[fields]`.
    package static func decodeStart(_ payload: [UInt8], fields: Range<Int>) throws -> Start {
        var c = ByteCursor(payload, offset: fields.lowerBound, end: fields.upperBound)
        return try decodeStart(&c)
    }

    /// An end record's fields after its task: `payload[fields]`.
    package static func decodeEnd(_ payload: [UInt8], fields: Range<Int>) throws -> End {
        var c = ByteCursor(payload, offset: fields.lowerBound, end: fields.upperBound)
        return try decodeEnd(&c)
    }

    /// A start record's fields after its task.
    static func decodeStart(_ c: inout ByteCursor) throws -> Start {
        let (kind, ids) = try identity(&c)
        return Start(kind: kind, identity: ids, name: try c.string(limit: c.remaining))
    }

    /// An end record's fields after its task.
    static func decodeEnd(_ c: inout ByteCursor) throws -> End {
        let (kind, ids) = try identity(&c)
        let startNs = try c.uvarint()
        let durationNs = try c.uvarint()
        let statusOffset = c.offset
        let statusByte = try c.byte()
        guard let status = Status(rawValue: statusByte & ~statusMessageFlag) else {
            throw FormatError(offset: statusOffset, "unknown span status \(statusByte)")
        }
        let message = statusByte & statusMessageFlag != 0 ? try c.string(limit: c.remaining) : nil
        let name = try c.string(limit: c.remaining)
        let attributes = try attributeList(&c)
        var events: [Event] = []
        for _ in 0..<(try c.count(limit: c.remaining)) {
            events.append(Event(name: try c.string(limit: c.remaining), offsetNs: try c.svarint(),
                                attributes: try attributeList(&c)))
        }
        var links: [Identity] = []
        for _ in 0..<(try c.count(limit: c.remaining / linkLength)) {
            links.append(Identity(traceHigh: try c.uint64LE(), traceLow: try c.uint64LE(), span: try c.uint64LE(), parent: 0))
        }
        return End(kind: kind, identity: ids, startNs: startNs, durationNs: durationNs, status: status,
                   statusMessage: message, name: name, attributes: attributes, events: events, links: links)
    }

    private static func attributeList(_ c: inout ByteCursor) throws -> [(key: String, value: Value)] {
        // Each attribute takes at least 3 bytes (an empty key, a type and a payload byte).
        let count = try c.count(limit: c.remaining / 3)
        var list: [(key: String, value: Value)] = []
        list.reserveCapacity(count)
        for _ in 0..<count {
            let key = try c.string(limit: c.remaining)
            list.append((key, try value(&c)))
        }
        return list
    }

    private static func value(_ c: inout ByteCursor) throws -> Value {
        let offset = c.offset
        switch ValueType(rawValue: try c.byte()) {
        case .integer: return .integer(try c.svarint())
        case .float: return .float(try c.float64LE())
        case .bool: return .bool(try c.byte() != 0)
        case .string: return .string(try c.string(limit: c.remaining))
        case .text: return .text(try c.string(limit: c.remaining))
        case nil: throw FormatError(offset: offset, "unknown span attribute type")
        }
    }
}
