// Values of logfmt log messages (`key=value key="value with spaces"`), the text the package's
// integrations write into logs so that viewers show them readably and scripts can split them.
//
// Invariants: a value is written as is unless it is empty or holds a space, '=', '"', '\' or a
// control character; then it is quoted, with '"' and '\' escaped by '\', newline/tab/CR as
// \n \t \r and other control characters as \u{XX}. A quoted value never spans lines.

package enum Logfmt {
    package static func value(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains { $0 <= 0x20 || $0 == 0x3D || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u{" + (hex.count < 2 ? "0" + hex : hex) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
