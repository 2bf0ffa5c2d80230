// Values of logfmt log messages (`key=value key="value with spaces"`), the text the package's
// integrations write into logs so that viewers show them readably and scripts can split them.
//
// Invariants: a value is written as is unless it is empty or holds a space, '=', '"', '\' or a
// control character; then it is quoted, with '"' and '\' escaped by '\', newline/tab/CR as
// \n \t \r and other control characters as \u{XX}. A quoted value never spans lines.

package enum Logfmt {
    /// Whether a value of these UTF-8 bytes is written quoted.
    @inlinable
    package static func needsQuotes(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.isEmpty { return true }
        for byte in bytes where byte <= 0x20 || byte == 0x3D || byte == 0x22 || byte == 0x5C || byte == 0x7F {
            return true
        }
        return false
    }

    package static func value(_ value: String) -> String {
        var text = value
        guard text.withUTF8(needsQuotes) else { return value }
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
