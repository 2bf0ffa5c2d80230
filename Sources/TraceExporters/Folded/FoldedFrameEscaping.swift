// Frame names made safe for the folded format read by flamegraph.pl and inferno.
//
// Invariants (for any input string, the result):
// - holds no `;` (the frame separator): each becomes `:`;
// - holds no control characters (newline, carriage return, tab...): each becomes a space;
// - does not end in whitespace followed by a number (`retry 3`, `load 1.5`), which
//   flamegraph.pl would read as a weight or a differential column: that whitespace becomes `_`;
// - is never empty: an empty name becomes `?`.

enum FoldedFrameEscaping {
    static func escape(_ name: String) -> String {
        if name.isEmpty { return "?" }
        var bytes = Array(name.utf8)
        for i in bytes.indices {
            let b = bytes[i]
            if b == UInt8(ascii: ";") {
                bytes[i] = UInt8(ascii: ":")
            } else if b < 0x20 || b == 0x7F {
                bytes[i] = UInt8(ascii: " ")
            }
        }
        var i = bytes.count
        while i > 0, isNumberByte(bytes[i - 1]) { i -= 1 }
        if i < bytes.count, i > 0, bytes[i - 1] == UInt8(ascii: " ") {
            bytes[i - 1] = UInt8(ascii: "_")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: ".")
    }
}
