// Errors of the Go trace reader.
//
// Invariants:
// - `GoTraceError` is thrown only when the input is not a Go execution trace this reader can read
//   at all (wrong header, unsupported version, unreadable file). Damage found later is reported
//   through `TraceReader.damage`, never thrown.
// - Every description is one line and names the input.

import TraceModel

public struct GoTraceError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The first bytes are not `go 1.NN trace\0\0\0`.
        case notAGoTrace
        /// A Go trace header with a format version this reader does not know.
        case unsupportedVersion(Int)
        /// The file could not be opened or read.
        case io
    }

    public var kind: Kind
    public var file: String
    public var message: String

    init(kind: Kind, file: String, message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// Where a problem was found, for one-line damage messages: the generation (as numbered in the
/// file), the batch (its ordinal in the file, from 0) and the byte offset in the file.
struct GoDamageSite: Sendable, Equatable {
    var generation: UInt64
    var batch: Int
    var offset: Int64

    func damage(file: String, _ message: String) -> TraceDamage {
        TraceDamage(file: file, offset: offset,
                    message: "generation \(generation), batch \(batch): \(message)")
    }
}
