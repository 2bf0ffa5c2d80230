// The 16-byte header of a Go execution trace: `go 1.NN trace` padded with NUL bytes to 16.
//
// Invariants:
// - Only the formats of Go 1.22 and later ("v2" traces: 1.22, 1.23, 1.25, 1.26) are accepted;
//   1.11-1.21 traces are recognized as Go traces but refused as unsupported.
// - Detection looks at the first bytes only and never allocates more than the header.

/// A Go trace format version ("go 1.NN trace" -> minor = NN).
struct GoTraceVersion: Comparable, Hashable, Sendable {
    var minor: Int

    static let go122 = GoTraceVersion(minor: 22)
    static let go123 = GoTraceVersion(minor: 23)
    static let go125 = GoTraceVersion(minor: 25)
    static let go126 = GoTraceVersion(minor: 26)
    static let supported: [GoTraceVersion] = [.go122, .go123, .go125, .go126]

    static func < (a: GoTraceVersion, b: GoTraceVersion) -> Bool { a.minor < b.minor }

    var isSupported: Bool { GoTraceVersion.supported.contains(self) }
    var text: String { "1.\(minor)" }
}

enum GoHeader {
    static let length = 16
    private static let prefix = Array("go 1.".utf8)
    private static let suffix = Array(" trace".utf8)

    /// The minor version if `bytes` starts like a Go trace header (any version, 1.5 to 1.99),
    /// checking only as many bytes as are given (at least the "go 1." prefix).
    static func parseMinor(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= prefix.count, Array(bytes[0..<prefix.count]) == prefix else { return nil }
        var i = prefix.count
        var minor = 0
        var digits = 0
        while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57, digits < 2 {
            minor = minor * 10 + Int(bytes[i] - 48)
            i += 1
            digits += 1
        }
        guard digits > 0 else { return nil }
        // What is present of " trace" and the NUL padding must match.
        for (k, expected) in suffix.enumerated() where i + k < bytes.count {
            if bytes[i + k] != expected { return nil }
        }
        var j = i + suffix.count
        while j < min(bytes.count, length) {
            if bytes[j] != 0 { return nil }
            j += 1
        }
        return minor
    }
}
