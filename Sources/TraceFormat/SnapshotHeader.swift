// The file header: magic, version and the snapshot's descriptive fields.
//
// Invariants:
// - Bytes 0-7 are the magic, 8-9 the major version, 10-11 the minor version (little-endian).
//   A reader refuses a major version newer than `SnapshotHeader.majorVersion`; a newer minor
//   version is read, skipping what it does not know.
// - Header fields are key/length/value triples: unknown keys are skipped by length, so adding
//   a field is a minor version change. Every field is optional.
// - The header is covered by its own CRC-32; a damaged header is fatal (nothing can be placed
//   in time without the clock).

public struct SnapshotHeader: Equatable, Sendable {
    /// `\x89 T X S \r \n \x1a \n`: the high byte catches 7-bit transfers, CR LF and LF catch
    /// line-ending conversion, ^Z stops `type` on DOS (the PNG trick).
    package static let magic: [UInt8] = [0x89, 0x54, 0x58, 0x53, 0x0D, 0x0A, 0x1A, 0x0A]
    static let majorVersion: UInt16 = 1
    static let minorVersion: UInt16 = 3
    /// Magic, versions, field length, CRC.
    static let fixedLength = 20
    /// Larger headers are refused as damage.
    static let maxFieldsLength = 1 << 20

    public var major: UInt16 = SnapshotHeader.majorVersion
    public var minor: UInt16 = SnapshotHeader.minorVersion

    /// Clock: ticks per second, and one instant read on the tick clock, the monotonic clock
    /// and the wall clock, so ticks map to both.
    public var ticksPerSecond: Double = 1e9
    public var anchorTicks: UInt64 = 0
    public var anchorMonotonicNs: UInt64 = 0
    public var anchorWallClockNs: Int64 = 0

    public var pid: UInt64 = 0
    public var executable: String = ""
    public var hostname: String = ""

    public var minAgeNs: UInt64 = 0
    public var maxBytes: UInt64 = 0
    public var chunkBytes: UInt64 = 0

    public var trigger: String = ""
    public var triggerFields: [SnapshotField] = []

    /// The window the snapshot covers, in ticks.
    public var windowStartTicks: UInt64 = 0
    public var windowEndTicks: UInt64 = 0

    /// The software that wrote the file ("tracexport-recorder 0.1").
    public var producer: String = ""

    public init() {}

    /// Nanoseconds on the monotonic clock at `ticks`.
    @inlinable
    package func nanoseconds(ticks: UInt64) -> Int64 {
        let delta = Double(Int64(bitPattern: ticks &- anchorTicks))
        return Int64(anchorMonotonicNs) + Int64((delta * 1e9 / ticksPerSecond).rounded())
    }

    /// `nanoseconds(ticks:)`, exactly, without the libm call `rounded()` costs per record:
    /// below 2^52 in magnitude, truncation to an integer and the remainder are exact in
    /// floating point, so rounding half away from zero by hand gives the same integer.
    @inlinable
    package func nanosecondsRounded(ticks: UInt64) -> Int64 {
        let delta = Double(Int64(bitPattern: ticks &- anchorTicks))
        let x = delta * 1e9 / ticksPerSecond
        guard x.magnitude < 0x1p52 else { return nanoseconds(ticks: ticks) }
        var whole = Int64(x)
        let fraction = x - Double(whole)
        if fraction >= 0.5 { whole += 1 } else if fraction <= -0.5 { whole -= 1 }
        return Int64(anchorMonotonicNs) + whole
    }

    package var versionString: String { "\(major).\(minor)" }
}

public struct SnapshotField: Equatable, Sendable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// Header field keys.
enum HeaderField: UInt64 {
    case clock = 1
    case process = 2
    case configuration = 3
    case trigger = 4
    case window = 5
    case producer = 6
}

extension SnapshotHeader {
    package func encoded() -> [UInt8] {
        var fields = ByteWriter()
        func field(_ key: HeaderField, _ body: (inout ByteWriter) -> Void) {
            var value = ByteWriter()
            body(&value)
            fields.uvarint(key.rawValue)
            fields.uvarint(value.count)
            fields.raw(value.bytes)
        }
        field(.clock) {
            $0.float64LE(ticksPerSecond)
            $0.uvarint(anchorTicks)
            $0.uvarint(anchorMonotonicNs)
            $0.svarint(anchorWallClockNs)
        }
        field(.process) {
            $0.uvarint(pid)
            $0.string(executable)
            $0.string(hostname)
        }
        field(.configuration) {
            $0.uvarint(minAgeNs)
            $0.uvarint(maxBytes)
            $0.uvarint(chunkBytes)
        }
        field(.trigger) {
            $0.string(trigger)
            $0.uvarint(triggerFields.count)
            for f in triggerFields {
                $0.string(f.key)
                $0.string(f.value)
            }
        }
        field(.window) {
            $0.uvarint(windowStartTicks)
            $0.uvarint(windowEndTicks)
        }
        field(.producer) { $0.string(producer) }

        var out = ByteWriter(capacity: Self.fixedLength + fields.count)
        out.raw(Self.magic)
        out.uint16LE(major)
        out.uint16LE(minor)
        out.uint32LE(UInt32(fields.count))
        out.uint32LE(Checksum.crc32(fields.bytes))
        out.raw(fields.bytes)
        return out.bytes
    }

    /// What `fixed` (the first 20 bytes) says about the rest: the fields' length and CRC.
    /// Throws for a wrong magic or a major version this reader cannot read.
    static func decodeFixed(_ fixed: [UInt8]) throws -> (major: UInt16, minor: UInt16, fieldsLength: Int, crc: UInt32) {
        guard fixed.count >= fixedLength else {
            throw FormatError(offset: fixed.count, "file ends inside the \(fixedLength)-byte header")
        }
        guard Array(fixed[0..<8]) == magic else {
            throw FormatError(offset: 0, "not a tracexport snapshot (bad magic)")
        }
        var c = ByteCursor(fixed, offset: 8)
        let major = UInt16(try c.byte()) | UInt16(try c.byte()) << 8
        let minor = UInt16(try c.byte()) | UInt16(try c.byte()) << 8
        guard major <= majorVersion else {
            throw FormatError(offset: 8, "snapshot format version \(major).\(minor) is newer than this reader (\(majorVersion).x); upgrade tracexport")
        }
        guard major >= 1 else { throw FormatError(offset: 8, "invalid format version \(major).\(minor)") }
        let length = Int(try c.uint32LE())
        guard length <= maxFieldsLength else {
            throw FormatError(offset: 12, "header length \(length) exceeds \(maxFieldsLength)")
        }
        let crc = try c.uint32LE()
        return (major, minor, length, crc)
    }

    /// Decodes the header fields (the bytes after the fixed part), checking their CRC.
    package static func decode(major: UInt16, minor: UInt16, fields: [UInt8], crc: UInt32) throws -> SnapshotHeader {
        guard Checksum.crc32(fields) == crc else {
            throw FormatError(offset: fixedLength, "header checksum mismatch")
        }
        var h = SnapshotHeader()
        h.major = major
        h.minor = minor
        var c = ByteCursor(fields)
        while !c.isAtEnd {
            let key = try c.uvarint()
            let length = try c.count(limit: c.remaining)
            let valueStart = c.offset
            var v = ByteCursor(fields, offset: valueStart, end: valueStart + length)
            do {
                switch HeaderField(rawValue: key) {
                case .clock:
                    h.ticksPerSecond = try v.float64LE()
                    h.anchorTicks = try v.uvarint()
                    h.anchorMonotonicNs = try v.uvarint()
                    h.anchorWallClockNs = try v.svarint()
                    guard h.ticksPerSecond.isFinite, h.ticksPerSecond > 0 else {
                        throw FormatError(offset: v.offset, "invalid clock rate \(h.ticksPerSecond)")
                    }
                case .process:
                    h.pid = try v.uvarint()
                    h.executable = try v.string()
                    h.hostname = try v.string()
                case .configuration:
                    h.minAgeNs = try v.uvarint()
                    h.maxBytes = try v.uvarint()
                    h.chunkBytes = try v.uvarint()
                case .trigger:
                    h.trigger = try v.string()
                    let n = try v.count(limit: v.remaining)
                    for _ in 0..<n {
                        h.triggerFields.append(SnapshotField(try v.string(), try v.string()))
                    }
                case .window:
                    h.windowStartTicks = try v.uvarint()
                    h.windowEndTicks = try v.uvarint()
                case .producer:
                    h.producer = try v.string()
                case nil:
                    break  // a newer minor version's field
                }
            } catch let e as FormatError {
                throw FormatError(offset: fixedLength + e.offset, "header field \(key): \(e.message)")
            }
            try c.skip(length)
        }
        return h
    }
}
