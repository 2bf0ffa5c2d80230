// Demangled Swift names made readable: `closure #1 in Shop.checkout(_:)`, not the demangler's
// full signature with every parameter and result type.
//
// Invariants:
// - Only shortens: prefixes that say how the compiler split or specialized a function
//   ("(1) suspend resume partial function for", "specialized", "generic specialization <...>
//   of", "merged") are dropped; generic arguments (`<...>`) are dropped; a parameter list
//   keeps its labels only (`(_:in:)`); `async`, `throws` and result types are dropped; a
//   closure's own signature is dropped (`closure #1 in ...`); a private declaration's
//   discriminator is dropped (`(_run in _D0EAF4...)` is `_run`).
// - Brackets nest by one rule (`bracket`): `(`, `<`, `[` open, `)`, `]`, `>` close, except the
//   `>` of an arrow (`->`).
// - Text that is not a demangled Swift name (C functions) comes back unchanged.

enum SwiftSymbolName {
    static func simplified(_ name: String) -> String {
        var s = Array(name)
        var changed = true
        while changed {
            changed = false
            for prefix in ["specialized ", "merged ", "async function pointer to ", "partial apply for ",
                           "partial apply forwarder for "] where starts(s, with: prefix, at: 0) {
                s.removeFirst(prefix.count)
                changed = true
            }
            // "generic specialization <Swift.Int> of X"; "(1) suspend resume partial function for X".
            for (opening, marker) in [("generic specialization <", "> of "), ("(", "partial function for ")]
            where starts(s, with: opening, at: 0) {
                if let at = find(marker, in: s, from: 0) {
                    s.removeFirst(at + marker.count)
                    changed = true
                }
            }
        }
        return String(shortened(s))
    }

    private static func starts(_ s: [Character], with word: String, at j: Int) -> Bool {
        let w = Array(word)
        return j + w.count <= s.count && s[j..<j + w.count].elementsEqual(w)
    }

    /// +1 where a bracket opens at `k`, -1 where one closes, else 0.
    private static func bracket(_ s: [Character], _ k: Int) -> Int {
        switch s[k] {
        case "(", "<", "[": 1
        case ")", "]": -1
        case ">": k > 0 && s[k - 1] == "-" ? 0 : -1
        default: 0
        }
    }

    /// The index of the first `needle` from `j` outside the brackets opened after `j`.
    private static func find(_ needle: String, in s: [Character], from j: Int) -> Int? {
        var depth = 0
        for k in j..<s.count {
            depth += bracket(s, k)
            if depth <= 0 && starts(s, with: needle, at: k) { return k }
        }
        return nil
    }

    /// The index after the bracket group opening at `j`.
    private static func skipGroup(_ s: [Character], _ j: Int) -> Int {
        var depth = 0
        for k in j..<s.count {
            depth += bracket(s, k)
            if depth == 0 { return k + 1 }
        }
        return s.count
    }

    private static func shortened(_ s: [Character]) -> [Character] {
        var out: [Character] = []
        var i = 0
        /// Effects, result types and closure signatures run to the enclosing context's " in ".
        func toEnclosingContext(_ j: Int) -> Int { find(" in ", in: s, from: j) ?? s.count }
        while i < s.count {
            let c = s[i]
            if let word = ["implicit closure #", "closure #"].first(where: { starts(s, with: $0, at: i) }) {
                // "closure #N", its own signature dropped.
                out += Array(word)
                i += word.count
                while i < s.count, s[i].isNumber {
                    out.append(s[i])
                    i += 1
                }
                i = toEnclosingContext(i)
            } else if c == "(", let name = privateName(s, at: i) {
                out += name.text
                i = name.end
            } else if c == "<" {
                i = skipGroup(s, i)  // generic arguments
            } else if c == "(", let last = out.last, last.isLetter || last.isNumber || last == "_" || last == ">" || last == "`" {
                // A parameter list: its labels; then its effects and result type.
                let end = skipGroup(s, i)
                out += labels(Array(s[(i + 1)..<max(i + 1, end - 1)]))
                i = toEnclosingContext(end)
            } else {
                out.append(c)
                i += 1
            }
        }
        return out
    }

    /// The name of a private declaration's discriminated form `(name in _HEX)` at `i`, and the
    /// index after it.
    private static func privateName(_ s: [Character], at i: Int) -> (text: [Character], end: Int)? {
        var k = i + 1
        while k < s.count, s[k].isLetter || s[k].isNumber || s[k] == "_" { k += 1 }
        let name = Array(s[(i + 1)..<k])
        guard !name.isEmpty, starts(s, with: " in _", at: k) else { return nil }
        k += 5
        while k < s.count, s[k].isHexDigit { k += 1 }
        guard k < s.count, s[k] == ")" else { return nil }
        return (name, k + 1)
    }

    /// `(label:label:)` of a parameter list's content ("_: Swift.Int, in: Shop.Inventory").
    private static func labels(_ content: [Character]) -> [Character] {
        guard content.contains(where: { $0 != " " }) else { return ["(", ")"] }
        var parts: [ArraySlice<Character>] = []
        var depth = 0, start = 0
        for k in content.indices {
            depth += bracket(content, k)
            if content[k] == "," && depth == 0 {
                parts.append(content[start..<k])
                start = k + 1
            }
        }
        parts.append(content[start...])
        var out: [Character] = ["("]
        for part in parts {
            let trimmed = part.drop(while: { $0 == " " })
            var label: [Character] = ["_"]
            if let colon = trimmed.firstIndex(of: ":"),
               !trimmed[..<colon].contains(where: { $0 == " " || $0 == "(" || $0 == "<" || $0 == "." }) {
                label = Array(trimmed[..<colon])
            }
            out += label + [":"]
        }
        return out + [")"]
    }
}
