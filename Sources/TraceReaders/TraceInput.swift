// Opening an input by what it contains, not by its name.
//
// Invariants:
// - Detection looks at the first 16 bytes only; nothing is consumed before the chosen reader
//   starts, so standard input works like a file.
// - An input that is no trace we read is refused with one line saying what it looks like.

import TraceFormat
import TraceModel

public enum TraceInput {
    /// What the first bytes of an input say it is.
    public enum Kind: Equatable, Sendable {
        case snapshot
        case goTrace(version: Int)
        case unsupported(String)
    }

    public static func detect(_ prefix: [UInt8]) -> Kind {
        if prefix.count >= 8 && Array(prefix[0..<8]) == SnapshotHeader.magic { return .snapshot }
        if let v = goTraceVersion(prefix) {
            return v >= 22 ? .goTrace(version: v)
                : .unsupported("a Go execution trace of format 1.\(v); only Go 1.22 and later traces are read (re-record with a newer Go)")
        }
        if prefix.isEmpty { return .unsupported("an empty file") }
        if prefix.starts(with: [0x1F, 0x8B]) { return .unsupported("gzip-compressed data; decompress it first") }
        if prefix.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .unsupported("zstd-compressed data; decompress it first") }
        if prefix.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .unsupported("a zip archive") }
        let text = prefix.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF })
        if text.first == UInt8(ascii: "{") || text.first == UInt8(ascii: "[") {
            return .unsupported("JSON (already converted? tracexport reads snapshots and Go traces)")
        }
        if prefix.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            return .unsupported("text, not a trace")
        }
        return .unsupported("neither a tracexport snapshot nor a Go execution trace")
    }

    /// The NN of a `go 1.NN trace\0...` header.
    static func goTraceVersion(_ p: [UInt8]) -> Int? {
        let tag = Array("go 1.".utf8)
        guard p.count >= 16, p.starts(with: tag) else { return nil }
        var v = 0
        var i = tag.count
        while i < p.count, let d = Optional(p[i]), d >= 48 && d <= 57 {
            v = v * 10 + Int(d - 48)
            i += 1
        }
        guard i > tag.count, Array(p[i..<min(p.count, i + 6)]) == Array(" trace".utf8) else { return nil }
        return v
    }

    /// Opens `path` ("-" for standard input) with the reader its content calls for.
    /// `readAhead`: the reader reads, decompresses, decodes and orders on a second thread while
    /// the caller's thread maps and consumes (same events, same order).
    public static func open(path: String, readAhead: Bool = false) throws -> any TraceReader {
        let source: ByteSource
        do {
            source = path == "-" ? ByteSource(fileDescriptor: 0) : try ByteSource(path: path)
        } catch let e as IOError {
            throw TraceDamage(file: path, offset: 0, message: e.description.replacingPrefix("\(path): ", with: ""))
        }
        let prefix: [UInt8]
        do { prefix = try source.peek(count: 16) } catch let e as IOError {
            throw TraceDamage(file: path, offset: 0, message: e.description)
        }
        switch detect(prefix) {
        case .snapshot:
            return try SnapshotTraceReader(source: source, name: path, readAhead: readAhead)
        case .goTrace(let version):
            return try openGoTrace(source: source, name: path, version: version, readAhead: readAhead)
        case .unsupported(let what):
            throw TraceDamage(file: path, offset: 0, message: "not a trace: looks like \(what)")
        }
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
