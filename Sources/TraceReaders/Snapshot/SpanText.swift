// The span records (format 1.2, TraceFormat's SpanRecord) as the logfmt text of the two log
// events readers make of them: category "span.start" when a span starts, "span" when it ends.
//
// Invariants:
// - Keys come in a fixed order: name, kind, trace, span, parent (when not 0); for the end, then
//   status and status.message (when set), startNs, durationNs, one `event` per event
//   (`name@+<offset>ns key=value...`), one `link` per link (`<trace>-<span>`), then the
//   attributes as `attr.<key>`, sorted by key. Ids print as fixed-width lowercase hex.
// - Keys holding a space, '=', '"' or a control character have those replaced by '_'; values are
//   quoted as `Logfmt` says. One record is one line.

import TraceFormat

enum SpanText {
    static func start(_ span: SpanRecord.Start) -> String {
        var text = Line()
        text.add("name", span.name)
        text.add(identity: span.identity, kind: span.kind)
        return text.text
    }

    static func end(_ span: SpanRecord.End) -> String {
        var text = Line()
        text.add("name", span.name)
        text.add(identity: span.identity, kind: span.kind)
        switch span.status {
        case .unset: break
        case .ok: text.add("status", "ok")
        case .error: text.add("status", "error")
        }
        if span.status != .unset, let message = span.statusMessage { text.add("status.message", message) }
        text.add("startNs", String(span.startNs))
        text.add("durationNs", String(span.durationNs))
        for event in span.events {
            var line = event.name + "@+" + String(event.offsetNs) + "ns"
            for (key, value) in event.attributes { line += " " + key + "=" + describe(value) }
            text.add("event", line)
        }
        for link in span.links { text.add("link", hex(link.traceHigh) + hex(link.traceLow) + "-" + hex(link.span)) }
        for (key, value) in span.attributes.sorted(by: { $0.key < $1.key }) { text.add("attr." + key, describe(value)) }
        return text.text
    }

    static func describe(_ value: SpanRecord.Value) -> String {
        switch value {
        case .integer(let v): String(v)
        case .float(let v): String(v)
        case .bool(let v): String(v)
        case .string(let v), .text(let v): v
        }
    }

    /// `value` as 16 lowercase hex digits.
    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for i in 0..<16 {
                let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * i)) & 0xF
                buffer[i] = nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
            }
            return 16
        }
    }

    private struct Line {
        var text = ""

        mutating func add(_ key: String, _ value: String) {
            if !text.isEmpty { text += " " }
            text += Self.key(key)
            text += "="
            text += Logfmt.value(value)
        }

        mutating func add(identity: SpanRecord.Identity, kind: SpanRecord.Kind) {
            add("kind", kind.name)
            add("trace", hex(identity.traceHigh) + hex(identity.traceLow))
            add("span", hex(identity.span))
            if identity.parent != 0 { add("parent", hex(identity.parent)) }
        }

        static func key(_ key: String) -> String {
            guard key.utf8.contains(where: { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 || $0 < 0x20 }) else { return key }
            return String(key.map { $0 == " " || $0 == "=" || $0 == "\"" || ($0.isASCII && $0.asciiValue! < 0x20) ? "_" : $0 })
        }
    }
}
