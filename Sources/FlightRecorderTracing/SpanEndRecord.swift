// A span's end as one `spanEnd` record (TraceFormat's SpanRecord): ids, kind, times, status,
// final name, attributes, events and links in binary. The recording thread copies values;
// readers write the text.
//
// Invariants:
// - Fields that fit in `onePassBytes` (a span's usual few attributes) are written in one pass
//   over the attributes, events and links, straight into the recorder's chunk. Larger ones are
//   measured first (one pass), then written into the chunk (a second). Either way nothing is
//   allocated but the text of values that have no binary form (arrays,
//   `CustomStringConvertible` values), and the bytes are the same.
// - A record's fields stay within `maxFieldsLength`: the name is cut to `maxNameBytes`, and the
//   attributes, then events, then links that do not fit are left out.

#if Tracing
import FlightRecorder
import TraceFormat
import Tracing

enum SpanEndRecord {
    static let maxFieldsLength = 16 << 10
    static let maxNameBytes = 4 << 10

    /// Fields up to this size are written in one pass.
    static let onePassBytes = 1024

    /// Where a `spanEnd` record goes: alone, on a task; or in the append that ends a span's
    /// region and task.
    enum Target {
        case alone(task: UInt64)
        case closing(OpenSpan)

        func append(maxFieldsLength: Int, _ write: SpanFieldsWriter) -> SpanRecordAppend {
            switch self {
            case .alone(let task): Trace.appendSpanRecord(.spanEnd, task: task, maxFieldsLength: maxFieldsLength, write)
            case .closing(let span): Trace.endSpan(span, maxFieldsLength: maxFieldsLength, write)
            }
        }
    }

    static func append(to target: Target, kind: SpanKind, identity: FlightRecorderSpanContext, name: String,
                       startNs: UInt64, endNs: UInt64, status: SpanStatus?, attributes: SpanAttributes,
                       events: [SpanEvent], links: [FlightRecorderSpanContext], attributesInPlace: Bool) {
        let durationNs = endNs >= startNs ? endNs - startNs : 0
        let ids = SpanRecord.Identity(traceHigh: identity.traceIDHigh, traceLow: identity.traceIDLow,
                                      span: identity.spanID, parent: identity.parentSpanID)
        let outcome = target.append(maxFieldsLength: onePassBytes) { p, limit in
            writeWhole(kind: kind, ids, name: name, startNs: startNs, durationNs: durationNs, status: status,
                       attributes: attributes, events: events, links: links, attributesInPlace: attributesInPlace,
                       at: p, limit: limit)
        }
        if case .tooLong = outcome {
            appendMeasured(to: target, kind: kind, ids, name: name, startNs: startNs, durationNs: durationNs,
                           status: status, attributes: attributes, events: events, links: links,
                           attributesInPlace: attributesInPlace)
        }
    }

    /// Writes every field at `p`, before `limit`; nil (what was written is garbage) when they do
    /// not all fit.
    private static func writeWhole(kind: SpanKind, _ ids: SpanRecord.Identity, name: String, startNs: UInt64,
                                   durationNs: UInt64, status: SpanStatus?, attributes: SpanAttributes,
                                   events: [SpanEvent], links: [FlightRecorderSpanContext], attributesInPlace: Bool,
                                   at p: UnsafeMutablePointer<UInt8>,
                                   limit: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>? {
        let head = headLength(name: name, startNs: startNs, durationNs: durationNs, status: status)
        // The head and the three counts.
        guard head + 3 * Varint.maxLength + links.count * SpanRecord.linkLength <= limit - p else { return nil }
        var q = writeHead(kind: kind, ids, name: name, startNs: startNs, durationNs: durationNs, status: status, at: p)
        // Kept back from the attributes and events: the event and link counts, and the links.
        let tail = 2 * Varint.maxLength + links.count * SpanRecord.linkLength
        guard let afterAttributes = AttributeList.writeAll(attributes, inPlace: attributesInPlace, at: q,
                                                           limit: limit - tail) else { return nil }
        q = Varint.write(UInt64(events.count), at: afterAttributes)
        for event in events {
            var eventName = event.name
            let offset = Varint.zigzag(offset(event, from: startNs))
            let size = SpanRecord.stringLength(min(eventName.utf8.count, maxNameBytes)) + Varint.length(of: offset)
            guard size <= limit - tail - q else { return nil }
            q = eventName.withUTF8 { SpanRecord.writeString(clip(UnsafeRawBufferPointer($0)), at: q) }
            q = Varint.write(offset, at: q)
            guard let afterEvent = AttributeList.writeAll(event.attributes, inPlace: attributesInPlace, at: q,
                                                          limit: limit - tail) else { return nil }
            q = afterEvent
        }
        q = Varint.write(UInt64(links.count), at: q)
        for link in links {
            q = SpanRecord.writeLink(SpanRecord.Identity(traceHigh: link.traceIDHigh, traceLow: link.traceIDLow,
                                                         span: link.spanID, parent: 0), at: q)
        }
        return q
    }

    /// The fields measured in one pass, then written into the recorder's chunk: for fields larger
    /// than `onePassBytes`, cut to `maxFieldsLength`.
    private static func appendMeasured(to target: Target, kind: SpanKind, _ ids: SpanRecord.Identity, name: String,
                                       startNs: UInt64, durationNs: UInt64, status: SpanStatus?,
                                       attributes: SpanAttributes, events: [SpanEvent],
                                       links: [FlightRecorderSpanContext], attributesInPlace: Bool) {
        var length = headLength(name: name, startNs: startNs, durationNs: durationNs, status: status)
        // Room for the event and link counts is kept back from the attributes and events.
        let room = maxFieldsLength - length - 2 * Varint.maxLength
        var texts: [String] = []
        let (attributeCount, attributeBytes) = AttributeList.measure(attributes, inPlace: attributesInPlace, within: room,
                                                                     texts: &texts)
        var eventCount = 0
        var eventBytes = 0
        for event in events {
            let mark = texts.count
            let head = SpanRecord.stringLength(min(event.name.utf8.count, maxNameBytes))
                + Varint.length(of: Varint.zigzag(offset(event, from: startNs)))
            let (count, bytes) = AttributeList.measure(event.attributes, inPlace: attributesInPlace,
                                                       within: room - attributeBytes - eventBytes - head, texts: &texts)
            guard count == event.attributes.count else {
                texts.removeSubrange(mark...)
                break
            }
            eventBytes += head + bytes
            eventCount += 1
        }
        let linkCount = min(links.count, max(0, room - attributeBytes - eventBytes) / SpanRecord.linkLength)
        length += attributeBytes + Varint.length(of: UInt64(eventCount)) + eventBytes
            + Varint.length(of: UInt64(linkCount)) + linkCount * SpanRecord.linkLength
        _ = target.append(maxFieldsLength: length) { p, limit in
            let end = p + length
            guard end <= limit else { return nil }
            var q = writeHead(kind: kind, ids, name: name, startNs: startNs, durationNs: durationNs, status: status, at: p)
            var nextText = texts.makeIterator()
            q = AttributeList.write(attributes, inPlace: attributesInPlace, count: attributeCount, texts: &nextText,
                                    at: q, limit: end)
            q = Varint.write(UInt64(eventCount), at: q)
            for event in events.prefix(eventCount) {
                var eventName = event.name
                q = eventName.withUTF8 { SpanRecord.writeString(clip(UnsafeRawBufferPointer($0)), at: q) }
                q = Varint.write(Varint.zigzag(offset(event, from: startNs)), at: q)
                q = AttributeList.write(event.attributes, inPlace: attributesInPlace, count: event.attributes.count,
                                        texts: &nextText, at: q, limit: end)
            }
            q = Varint.write(UInt64(linkCount), at: q)
            for link in links.prefix(linkCount) {
                q = SpanRecord.writeLink(SpanRecord.Identity(traceHigh: link.traceIDHigh, traceLow: link.traceIDLow,
                                                             span: link.spanID, parent: 0), at: q)
            }
            precondition(q == end, "measured span end fields differ from their length")
            return q
        }
    }

    /// Bytes of the head (kind, ids, times, status and its message, name; both cut to
    /// `maxNameBytes`).
    private static func headLength(name: String, startNs: UInt64, durationNs: UInt64, status: SpanStatus?) -> Int {
        SpanRecord.endHeadLength(startNs: startNs, durationNs: durationNs,
                                 statusMessageCount: status?.message.map { min($0.utf8.count, maxNameBytes) },
                                 nameCount: min(name.utf8.count, maxNameBytes))
    }

    /// Writes the head at `p` (`headLength` bytes).
    private static func writeHead(kind: SpanKind, _ ids: SpanRecord.Identity, name: String, startNs: UInt64,
                                  durationNs: UInt64, status: SpanStatus?,
                                  at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var message = status?.message
        let statusCode: SpanRecord.Status = status.map { $0.code == .error ? .error : .ok } ?? .unset
        var q = p
        Trace.withUTF8Bytes(of: name) { nameBytes in
            q = withOptionalUTF8(&message) { messageBytes in
                SpanRecord.writeEndHead(kind: SpanKindCode.of(kind), ids, startNs: startNs, durationNs: durationNs,
                                        status: statusCode, statusMessage: messageBytes.map { clip($0) },
                                        name: clip(nameBytes), at: p)
            }
        }
        return q
    }

    private static func offset(_ event: SpanEvent, from startNs: UInt64) -> Int64 {
        Int64(bitPattern: event.nanosecondsSinceEpoch &- startNs)
    }

    static func clip(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        bytes.count <= maxNameBytes ? bytes : UnsafeRawBufferPointer(rebasing: bytes[0..<maxNameBytes])
    }

    private static func withOptionalUTF8<R>(_ text: inout String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
        guard var value = text else { return body(nil) }
        defer { text = value }
        return value.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}

/// A counted list of attributes (`key(string) value`): measured then written, or written whole
/// before a limit. The attributes are read in place when `inPlace` (`SpanAttributeEntries`).
enum AttributeList {
    /// How many attributes (in `SpanAttributeEntries.forEach` order) fit in `room` bytes, and
    /// their bytes with the count's; the text of values written as text is appended to `texts`.
    static func measure(_ attributes: SpanAttributes, inPlace: Bool, within room: Int,
                        texts: inout [String]) -> (count: Int, bytes: Int) {
        var count = 0
        var bytes = 0
        var full = room < Varint.maxLength
        SpanAttributeEntries.forEach(in: attributes, inPlace: inPlace) { key, value in
            guard !full else { return }
            let value = encoded(value)
            let size = SpanRecord.stringLength(min(key.utf8.count, SpanEndRecord.maxNameBytes)) + 1 + payloadLength(value)
            guard bytes + size + Varint.maxLength <= room else { full = true; return }
            bytes += size
            count += 1
            if case .text(let text) = value { texts.append(text) }
        }
        return (count, bytes + Varint.length(of: UInt64(count)))
    }

    /// Writes the count and the first `count` attributes (in the same order), measured to fit
    /// before `limit`; values written as text take their text from `texts` (`measure`'s), so
    /// that a description that changes between calls cannot change a measured length.
    static func write(_ attributes: SpanAttributes, inPlace: Bool, count: Int, texts: inout IndexingIterator<[String]>,
                      at p: UnsafeMutablePointer<UInt8>, limit: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = Varint.write(UInt64(count), at: p)
        var written = 0
        SpanAttributeEntries.forEach(in: attributes, inPlace: inPlace) { key, value in
            guard written < count else { return }
            written += 1
            guard let next = write(key: key, value, at: q, limit: limit, text: { _ in texts.next() ?? "" }) else {
                preconditionFailure("a measured attribute does not fit")
            }
            q = next
        }
        return q
    }

    /// Writes the count and every attribute at `p`, before `limit`; nil when they do not all fit.
    static func writeAll(_ attributes: SpanAttributes, inPlace: Bool, at p: UnsafeMutablePointer<UInt8>,
                         limit: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>? {
        guard Varint.maxLength <= limit - p else { return nil }
        var q: UnsafeMutablePointer<UInt8>? = Varint.write(UInt64(attributes.count), at: p)
        SpanAttributeEntries.forEach(in: attributes, inPlace: inPlace) { key, value in
            guard let at = q else { return }
            q = write(key: key, value, at: at, limit: limit)
        }
        return q
    }

    /// One attribute at `p` when it fits before `limit` (else nil), written from the value as
    /// it is: no intermediate form, each string's bytes read once; `text` gives the text of a
    /// value that has no binary form. (No local functions: their captured variables would be
    /// boxed on the heap.)
    private static func write(key: String, _ value: SpanAttribute, at p: UnsafeMutablePointer<UInt8>,
                              limit: UnsafeMutablePointer<UInt8>,
                              text: (SpanAttribute) -> String = SpanAttributeText.describe) -> UnsafeMutablePointer<UInt8>? {
        var q: UnsafeMutablePointer<UInt8>?
        Trace.withUTF8Bytes(of: key) { keyBytes in
            let key = SpanEndRecord.clip(keyBytes)
            // Room for the value's type and payload.
            let room = limit - p - SpanRecord.stringLength(key.count) - 1
            let integer: Int64
            switch value {
            case .int32(let v): integer = Int64(v)
            case .int64(let v): integer = v
            case .double(let v):
                guard 8 <= room else { return }
                let at = SpanRecord.writeValueType(.float, at: SpanRecord.writeString(key, at: p))
                q = SpanRecord.writeUInt64LE(v.bitPattern, at: at)
                return
            case .bool(let v):
                guard 1 <= room else { return }
                let at = SpanRecord.writeValueType(.bool, at: SpanRecord.writeString(key, at: p))
                at.pointee = v ? 1 : 0
                q = at + 1
                return
            case .string(let v):
                q = writeText(v, type: .string, key: key, room: room, at: p)
                return
            default:
                q = writeText(text(value), type: .text, key: key, room: room, at: p)
                return
            }
            let zigzag = Varint.zigzag(integer)
            guard Varint.length(of: zigzag) <= room else { return }
            q = Varint.write(zigzag, at: SpanRecord.writeValueType(.integer, at: SpanRecord.writeString(key, at: p)))
        }
        return q
    }

    /// `key` and a value written as `text`, when its payload fits in `room` bytes (else nil).
    private static func writeText(_ text: String, type: SpanRecord.ValueType, key: UnsafeRawBufferPointer, room: Int,
                                  at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>? {
        var q: UnsafeMutablePointer<UInt8>?
        Trace.withUTF8Bytes(of: text) { bytes in
            guard SpanRecord.stringLength(bytes.count) <= room else { return }
            q = SpanRecord.writeString(bytes, at: SpanRecord.writeValueType(type, at: SpanRecord.writeString(key, at: p)))
        }
        return q
    }

    /// A value's binary form; `.text("")` for values written as text (their text comes from
    /// `measure`).
    private static func binary(_ value: SpanAttribute) -> SpanRecord.Value {
        switch value {
        case .int32(let v): .integer(Int64(v))
        case .int64(let v): .integer(v)
        case .double(let v): .float(v)
        case .bool(let v): .bool(v)
        case .string(let v): .string(v)
        default: .text("")
        }
    }

    /// A value's binary form, with the text of a value written as text.
    private static func encoded(_ value: SpanAttribute) -> SpanRecord.Value {
        let binary = binary(value)
        guard case .text = binary else { return binary }
        return .text(SpanAttributeText.describe(value))
    }

    private static func payloadLength(_ value: SpanRecord.Value) -> Int {
        switch value {
        case .integer(let v): Varint.length(of: Varint.zigzag(v))
        case .float: 8
        case .bool: 1
        case .string(let v), .text(let v): SpanRecord.stringLength(v.utf8.count)
        }
    }
}

enum SpanKindCode {
    static func of(_ kind: SpanKind) -> SpanRecord.Kind {
        switch kind {
        case .server: .server
        case .client: .client
        case .producer: .producer
        case .consumer: .consumer
        case .internal: .internal
        @unknown default: .internal
        }
    }
}

/// Attribute values that have no binary form in a span record, as text.
enum SpanAttributeText {
    static func describe(_ attribute: SpanAttribute) -> String {
        switch attribute {
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .double(let v): return String(v)
        case .bool(let v): return String(v)
        case .string(let v): return v
        case .int32Array(let v): return "[" + v.map { String($0) }.joined(separator: ",") + "]"
        case .int64Array(let v): return "[" + v.map { String($0) }.joined(separator: ",") + "]"
        case .doubleArray(let v): return "[" + v.map { String($0) }.joined(separator: ",") + "]"
        case .boolArray(let v): return "[" + v.map { String($0) }.joined(separator: ",") + "]"
        case .stringArray(let v): return "[" + v.joined(separator: ",") + "]"
        case .stringConvertible(let v): return v.description
        case .stringConvertibleArray(let v): return "[" + v.map(\.description).joined(separator: ",") + "]"
        default: return "?"
        }
    }
}
#endif
