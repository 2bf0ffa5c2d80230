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
// - Works on UTF-8 bytes: every character the rules look at is ASCII, and a multi-byte
//   character (inside an identifier) is copied through whole.

enum SwiftSymbolName {
    static func simplified(_ name: String) -> String {
        var s = Array(name.utf8)
        var changed = true
        while changed {
            changed = false
            for prefix in Words.droppedPrefixes where starts(s, with: prefix, at: 0) {
                s.removeFirst(prefix.count)
                changed = true
            }
            // "generic specialization <Swift.Int> of X"; "(1) suspend resume partial function for X".
            for (opening, marker) in Words.droppedUpTo where starts(s, with: opening, at: 0) {
                if let at = find(marker, in: s, from: 0) {
                    s.removeFirst(at + marker.count)
                    changed = true
                }
            }
        }
        return String(decoding: shortened(s), as: UTF8.self)
    }

    private enum Words {
        static let droppedPrefixes = ["specialized ", "merged ", "async function pointer to ", "partial apply for ",
                                      "partial apply forwarder for "].map { Array($0.utf8) }
        static let droppedUpTo = [("generic specialization <", "> of "), ("(", "partial function for ")]
            .map { (Array($0.0.utf8), Array($0.1.utf8)) }
        static let closures = ["implicit closure #", "closure #"].map { Array($0.utf8) }
        static let inContext = Array(" in ".utf8)
        static let discriminator = Array(" in _".utf8)
    }

    private static func starts(_ s: [UInt8], with word: [UInt8], at j: Int) -> Bool {
        j + word.count <= s.count && s[j..<j + word.count].elementsEqual(word)
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    /// A letter of an identifier: ASCII letters and any byte of a multi-byte character.
    private static func isLetter(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A || c >= 0x80 }
    private static func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c | 0x20) >= 0x61 && (c | 0x20) <= 0x66 }

    /// +1 where a bracket opens at `k`, -1 where one closes, else 0.
    private static func bracket(_ s: [UInt8], _ k: Int) -> Int {
        switch s[k] {
        case UInt8(ascii: "("), UInt8(ascii: "<"), UInt8(ascii: "["): 1
        case UInt8(ascii: ")"), UInt8(ascii: "]"): -1
        case UInt8(ascii: ">"): k > 0 && s[k - 1] == UInt8(ascii: "-") ? 0 : -1
        default: 0
        }
    }

    /// The index of the first `needle` from `j` outside the brackets opened after `j`.
    private static func find(_ needle: [UInt8], in s: [UInt8], from j: Int) -> Int? {
        var depth = 0
        for k in j..<s.count {
            depth += bracket(s, k)
            if depth <= 0 && s[k] == needle[0] && starts(s, with: needle, at: k) { return k }
        }
        return nil
    }

    /// The index after the bracket group opening at `j`.
    private static func skipGroup(_ s: [UInt8], _ j: Int) -> Int {
        var depth = 0
        for k in j..<s.count {
            depth += bracket(s, k)
            if depth == 0 { return k + 1 }
        }
        return s.count
    }

    private static func shortened(_ s: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.count)
        var i = 0
        /// Effects, result types and closure signatures run to the enclosing context's " in ".
        func toEnclosingContext(_ j: Int) -> Int { find(Words.inContext, in: s, from: j) ?? s.count }
        while i < s.count {
            let c = s[i]
            if (c == UInt8(ascii: "i") || c == UInt8(ascii: "c")),
               let word = Words.closures.first(where: { starts(s, with: $0, at: i) }) {
                // "closure #N", its own signature dropped.
                out += word
                i += word.count
                while i < s.count, isDigit(s[i]) {
                    out.append(s[i])
                    i += 1
                }
                i = toEnclosingContext(i)
            } else if c == UInt8(ascii: "("), let name = privateName(s, at: i) {
                out += name.text
                i = name.end
            } else if c == UInt8(ascii: "<") {
                i = skipGroup(s, i)  // generic arguments
            } else if c == UInt8(ascii: "("), let last = out.last,
                      isLetter(last) || isDigit(last) || last == UInt8(ascii: "_") || last == UInt8(ascii: ">")
                      || last == UInt8(ascii: "`") {
                // A parameter list: its labels; then its effects and result type.
                let end = skipGroup(s, i)
                out += labels(s[(i + 1)..<max(i + 1, end - 1)])
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
    private static func privateName(_ s: [UInt8], at i: Int) -> (text: ArraySlice<UInt8>, end: Int)? {
        var k = i + 1
        while k < s.count, isLetter(s[k]) || isDigit(s[k]) || s[k] == UInt8(ascii: "_") { k += 1 }
        let name = s[(i + 1)..<k]
        guard !name.isEmpty, starts(s, with: Words.discriminator, at: k) else { return nil }
        k += Words.discriminator.count
        while k < s.count, isHexDigit(s[k]) { k += 1 }
        guard k < s.count, s[k] == UInt8(ascii: ")") else { return nil }
        return (name, k + 1)
    }

    /// `(label:label:)` of a parameter list's content ("_: Swift.Int, in: Shop.Inventory").
    private static func labels(_ content: ArraySlice<UInt8>) -> [UInt8] {
        let content = Array(content)
        guard content.contains(where: { $0 != UInt8(ascii: " ") }) else { return Array("()".utf8) }
        var parts: [ArraySlice<UInt8>] = []
        var depth = 0, start = 0
        for k in content.indices {
            depth += bracket(content, k)
            if content[k] == UInt8(ascii: ",") && depth == 0 {
                parts.append(content[start..<k])
                start = k + 1
            }
        }
        parts.append(content[start...])
        var out: [UInt8] = [UInt8(ascii: "(")]
        for part in parts {
            let trimmed = part.drop(while: { $0 == UInt8(ascii: " ") })
            if let colon = trimmed.firstIndex(of: UInt8(ascii: ":")),
               !trimmed[..<colon].contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "(")
                                                    || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ".") }) {
                out += trimmed[..<colon]
            } else {
                out.append(UInt8(ascii: "_"))
            }
            out.append(UInt8(ascii: ":"))
        }
        out.append(UInt8(ascii: ")"))
        return out
    }
}
