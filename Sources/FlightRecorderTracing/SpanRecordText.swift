// The text of the span records written into the recorder's log events, in logfmt
// (`key=value key="value with spaces"`), so `tracexport` shows them as readable instant events
// and scripts can split them.
//
// Invariants:
// - Keys are written as given when they contain no space, '=' or '"'; otherwise such characters
//   become '_'. Values are quoted as `Logfmt` says. One record is one line.
// - Fixed keys come first in a fixed order (name, kind, trace, span, parent, ...), attributes
//   after them, prefixed `attr.`, sorted by key so the text is stable.

#if Tracing
import FlightRecorder
import Tracing

struct SpanRecordText {
    private(set) var text = ""

    mutating func add(_ key: String, _ value: String) {
        if !text.isEmpty { text += " " }
        text += Self.key(key)
        text += "="
        text += Self.value(value)
    }

    mutating func add(attributes: SpanAttributes) {
        var pairs: [(String, String)] = []
        attributes.forEach { key, value in pairs.append((key, Self.describe(value))) }
        pairs.sort { $0.0 < $1.0 }
        for (key, value) in pairs { add("attr." + key, value) }
    }

    static func key(_ key: String) -> String {
        guard key.utf8.contains(where: { $0 == 0x20 || $0 == 0x3D || $0 == 0x22 || $0 < 0x20 }) else { return key }
        return String(key.map { $0 == " " || $0 == "=" || $0 == "\"" || ($0.isASCII && $0.asciiValue! < 0x20) ? "_" : $0 })
    }

    static func value(_ value: String) -> String {
        Logfmt.value(value)
    }

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
