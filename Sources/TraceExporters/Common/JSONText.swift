// JSON text for exporters: string escaping and finite numbers, written straight into an
// OutputBuffer without Foundation.
//
// Invariants:
// - `writeJSONString` always produces one valid JSON string literal (quotes included) for any
//   Swift String: `"` and `\` are escaped, every byte below 0x20 becomes a short escape or
//   `\u00XX`; other UTF-8 passes through unchanged (Swift strings are valid UTF-8).
// - `writeJSONNumber` never writes NaN or infinity; callers filter those first (`isFinite`).

import TraceModel

extension OutputBuffer {
    /// A JSON string literal, quotes included.
    mutating func writeJSONString(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            writeJSONString(utf8: utf8)
        }
    }

    /// A JSON string literal from UTF-8 bytes, quotes included. Runs of bytes that need no
    /// escape are copied in one append.
    mutating func writeJSONString(utf8: UnsafeBufferPointer<UInt8>) {
        write(byte: UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<utf8.count {
            let b = utf8[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
            if runStart < i { write(bytes: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            runStart = i + 1
            switch b {
            case UInt8(ascii: "\""): write("\\\"")
            case UInt8(ascii: "\\"): write("\\\\")
            case UInt8(ascii: "\n"): write("\\n")
            case UInt8(ascii: "\r"): write("\\r")
            case UInt8(ascii: "\t"): write("\\t")
            case 0x08: write("\\b")
            case 0x0C: write("\\f")
            default:
                write("\\u00")
                write(byte: JSONText.hexDigit(b >> 4))
                write(byte: JSONText.hexDigit(b & 0xF))
            }
        }
        if runStart < utf8.count { write(bytes: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        write(byte: UInt8(ascii: "\""))
    }

    /// A finite Double as a JSON number: integral values within 2^53 as integers (no ".0"),
    /// others in Swift's shortest round-tripping form ("0.1", "1e-07").
    mutating func writeJSONNumber(_ value: Double) {
        precondition(value.isFinite, "JSON has no NaN or infinity")
        if value == value.rounded(.towardZero), abs(value) < 9_007_199_254_740_992 {
            write(int: Int64(value))
        } else {
            write(value.description)
        }
    }
}

enum JSONText {
    @inline(__always)
    static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? v &+ 48 : v &+ 87
    }

    /// The JSON string literal of `s`, as bytes (for caches).
    static func escaped(_ s: String) -> [UInt8] {
        var out = OutputBuffer()
        out.writeJSONString(s)
        return out.bytes
    }
}

/// Escaped JSON string literals per StringID, built on first use. TraceTables only grows and
/// never renames an id, so an entry stays valid for the whole stream. All entries live in one
/// byte arena (no per-entry array to retain while writing).
struct JSONStringCache {
    private var arena: [UInt8] = []
    /// Start in `arena` and length per StringID raw value; length 0 = not built yet (a built
    /// entry holds at least its two quotes).
    private var spans: [(start: Int, count: Int)] = []

    init() {}

    @inline(__always)
    private mutating func span(_ id: StringID, tables: TraceTables) -> (start: Int, count: Int) {
        let i = Int(id.raw)
        if i < spans.count, spans[i].count != 0 { return spans[i] }
        if i >= spans.count {
            spans.append(contentsOf: repeatElement((start: 0, count: 0), count: i + 1 - spans.count))
        }
        let bytes = JSONText.escaped(tables.string(id))
        spans[i] = (arena.count, bytes.count)
        arena.append(contentsOf: bytes)
        return spans[i]
    }

    @inline(__always)
    mutating func write(_ id: StringID, tables: TraceTables, to output: inout OutputBuffer) {
        let (start, count) = span(id, tables: tables)
        arena.withUnsafeBufferPointer { output.write(bytes: UnsafeBufferPointer(rebasing: $0[start..<start + count])) }
    }

    @inline(__always)
    mutating func write(_ id: StringID, tables: TraceTables, to output: inout StagingBuffer) {
        let (start, count) = span(id, tables: tables)
        arena.withUnsafeBufferPointer { output.write(bytes: UnsafeBufferPointer(rebasing: $0[start..<start + count])) }
    }

    /// Writes the literal unless the string is empty; returns whether it wrote.
    @inline(__always)
    mutating func writeNonEmpty(_ id: StringID, tables: TraceTables, to output: inout StagingBuffer) -> Bool {
        let (start, count) = span(id, tables: tables)
        guard count > 2 else { return false }  // `""`: the quotes alone
        arena.withUnsafeBufferPointer { output.write(bytes: UnsafeBufferPointer(rebasing: $0[start..<start + count])) }
        return true
    }
}
