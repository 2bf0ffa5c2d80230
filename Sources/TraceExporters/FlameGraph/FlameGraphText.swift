// Text in the flame graph SVG: XML escaping, durations and shares as people read them.
//
// Invariants:
// - `xml` output is safe in element content and in double-quoted attributes, and holds no
//   line break: control characters become spaces (a frame's <title> is its name, a line
//   break, then its details).
// - `duration` shows three significant digits in the largest unit that keeps the value at 1
//   or more (`1.23 s`, `45.6 ms`, `789 µs`, `12 ns`); the embedded script formats the same way.

enum FlameGraphText {
    static func xml(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // Control characters are not allowed in XML 1.0 documents.
                if c.value < 0x20 || c.value == 0x7F || (0xFFFE...0xFFFF).contains(c.value) { out += " " } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    static func duration(_ ns: Int64) -> String {
        let units: [(Int64, String)] = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "µs")]
        for (size, name) in units where ns >= size {
            return fixed(ns, divisor: size) + " " + name
        }
        return "\(ns) ns"
    }

    /// `part / whole` as a percentage with one decimal (`12.3%`); `<0.1%` for a share that
    /// is not zero but rounds to it.
    static func share(_ part: Int64, of whole: Int64) -> String {
        guard whole > 0, part > 0 else { return "0%" }
        let tenths = (Double(part) * 1000 / Double(whole)).rounded()
        return tenths == 0 ? "<0.1%" : decimal(Int64(tenths), fractionDigits: 1) + "%"
    }

    /// `value / divisor` (value >= divisor) with two, one or no decimals: three significant digits.
    private static func fixed(_ value: Int64, divisor: Int64) -> String {
        let digits = value >= 100 * divisor ? 0 : value >= 10 * divisor ? 1 : 2
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = (Double(value) * Double(scale) / Double(divisor)).rounded()
        return decimal(Int64(scaled), fractionDigits: digits)
    }

    private static func decimal(_ scaled: Int64, fractionDigits: Int) -> String {
        guard fractionDigits > 0 else { return String(scaled) }
        var scale: Int64 = 1
        for _ in 0..<fractionDigits { scale *= 10 }
        var fraction = String(scaled % scale)
        while fraction.count < fractionDigits { fraction = "0" + fraction }
        return "\(scaled / scale).\(fraction)"
    }

    /// A pixel coordinate with two decimals at most (`12.5`, `3`).
    static func pixels(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        if hundredths % 100 == 0 { return String(hundredths / 100) }
        if hundredths % 10 == 0 { return decimal(hundredths / 10, fractionDigits: 1) }
        return decimal(hundredths, fractionDigits: 2)
    }

    /// As much of `name` as fits in `width` pixels (a character is about `characterWidth`),
    /// ending in `..` when cut; empty when not even three characters fit.
    static func label(_ name: String, width: Double, characterWidth: Double) -> String {
        let fits = Int(((width - 6) / characterWidth).rounded(.down))
        if fits < 3 { return "" }
        let characters = Array(name)
        if characters.count <= fits { return name }
        return String(characters[0..<(fits - 2)]) + ".."
    }
}
