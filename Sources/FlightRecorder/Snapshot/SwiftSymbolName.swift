// Demangled Swift names made readable: `closure #1 in Shop.checkout(_:)`, not the demangler's
// full signature with every parameter and result type.
//
// Invariants:
// - Only shortens: prefixes that say how the compiler split or specialized a function
//   ("(1) suspend resume partial function for", "specialized", "generic specialization <...>
//   of", "merged") are dropped; generic arguments (`<...>`) are dropped; a parameter list
//   keeps its labels only (`(_:in:)`); `async`, `throws` and result types are dropped; a
//   closure's own signature is dropped (`closure #1 in ...`).
// - Text that is not a demangled Swift name (C functions) comes back unchanged.

enum SwiftSymbolName {
    static func simplified(_ name: String) -> String {
        var text = Substring(name)
        var changed = true
        while changed {
            changed = false
            for prefix in ["specialized ", "merged ", "async function pointer to ", "partial apply for ",
                           "partial apply forwarder for "] where text.hasPrefix(prefix) {
                text = text.dropFirst(prefix.count)
                changed = true
            }
            if text.hasPrefix("generic specialization <"), let of = range(of: "> of ", in: text) {
                text = text[of.upperBound...]
                changed = true
            }
            if text.hasPrefix("("), let marker = range(of: "partial function for ", in: text) {
                // "(1) suspend resume partial function for X", "(2) await resume partial ...".
                text = text[marker.upperBound...]
                changed = true
            }
        }
        return String(shortened(Array(text)))
    }

    /// The first occurrence of `needle` in `text` at bracket depth 0.
    private static func range(of needle: String, in text: Substring) -> Range<Substring.Index>? {
        var depth = 0
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "<" || c == "(" { depth += 1 }
            if (c == ">" && !(i > text.startIndex && text[text.index(before: i)] == "-")) || c == ")" { depth -= 1 }
            if depth <= 0, text[i...].hasPrefix(needle) { return i..<text.index(i, offsetBy: needle.count) }
            i = text.index(after: i)
        }
        return nil
    }

    private static func shortened(_ s: [Character]) -> [Character] {
        var out: [Character] = []
        var i = 0
        func startsWith(_ word: String, at j: Int) -> Bool {
            let w = Array(word)
            return j + w.count <= s.count && Array(s[j..<j + w.count]) == w
        }
        /// The index after the bracket group opening at `j` (`(` or `<`), arrows skipped.
        func skipGroup(_ j: Int) -> Int {
            var depth = 0
            var k = j
            while k < s.count {
                let c = s[k]
                if c == "(" || c == "<" { depth += 1 }
                if c == ")" || (c == ">" && !(k > 0 && s[k - 1] == "-")) {
                    depth -= 1
                    if depth == 0 { return k + 1 }
                }
                k += 1
            }
            return s.count
        }
        /// The index of the next " in " at depth 0 from `j`, else the end.
        func nextIn(_ j: Int) -> Int {
            var depth = 0
            var k = j
            while k < s.count {
                let c = s[k]
                if c == "(" || c == "<" { depth += 1 }
                if c == ")" || (c == ">" && !(k > 0 && s[k - 1] == "-")) { depth -= 1 }
                if depth == 0 && startsWith(" in ", at: k) { return k }
                k += 1
            }
            return s.count
        }
        while i < s.count {
            let c = s[i]
            if let word = ["implicit closure #", "closure #"].first(where: { startsWith($0, at: i) }) {
                // "closure #N", its own signature dropped up to " in ".
                out += Array(word)
                i += word.count
                while i < s.count, s[i].isNumber {
                    out.append(s[i])
                    i += 1
                }
                i = nextIn(i)
                continue
            }
            if c == "(", let name = privateName(s, at: i) {
                // "(_run in _D0EAF4...)": a private declaration, by its name alone.
                out += name.text
                i = name.end
                continue
            }
            if c == "<" && !(i > 0 && s[i - 1] == "-") {
                i = skipGroup(i)
                continue
            }
            if c == "(", let last = out.last, last.isLetter || last.isNumber || last == "_" || last == ">" || last == "`" {
                // A parameter list: keep the labels.
                let end = skipGroup(i)
                out += labels(Array(s[(i + 1)..<max(i + 1, end - 1)]))
                i = end
                // Effects and the result type, up to " in " (an enclosing context) or the end.
                i = nextIn(i)
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// The name of a private declaration's discriminated form `(name in _HEX)` at `i`, and the
    /// index after it.
    private static func privateName(_ s: [Character], at i: Int) -> (text: [Character], end: Int)? {
        var k = i + 1
        var name: [Character] = []
        while k < s.count, s[k].isLetter || s[k].isNumber || s[k] == "_" {
            name.append(s[k])
            k += 1
        }
        let marker = Array(" in _")
        guard !name.isEmpty, k + marker.count <= s.count, Array(s[k..<k + marker.count]) == marker else { return nil }
        k += marker.count
        while k < s.count, s[k].isHexDigit { k += 1 }
        guard k < s.count, s[k] == ")" else { return nil }
        return (name, k + 1)
    }

    /// `(label:label:)` of a parameter list's content ("_: Swift.Int, in: Shop.Inventory").
    private static func labels(_ content: [Character]) -> [Character] {
        guard content.contains(where: { $0 != " " }) else { return ["(", ")"] }
        var parts: [[Character]] = [[]]
        var depth = 0
        for (k, c) in content.enumerated() {
            if c == "(" || c == "<" || c == "[" { depth += 1 }
            if c == ")" || c == "]" || (c == ">" && !(k > 0 && content[k - 1] == "-")) { depth -= 1 }
            if c == "," && depth == 0 { parts.append([]) } else { parts[parts.count - 1].append(c) }
        }
        var out: [Character] = ["("]
        for part in parts {
            let trimmed = part.drop(while: { $0 == " " })
            var label: [Character] = ["_"]
            if let colon = trimmed.firstIndex(of: ":"), !trimmed[..<colon].contains(where: { $0 == " " || $0 == "(" || $0 == "<" || $0 == "." }) {
                label = Array(trimmed[..<colon])
            }
            out += label + [":"]
        }
        return out + [")"]
    }
}
