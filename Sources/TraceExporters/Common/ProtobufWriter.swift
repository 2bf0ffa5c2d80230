// Protocol Buffers wire format, written forward into one growing byte buffer: the encoder the
// binary exporters share (Perfetto's TracePacket stream, pprof's Profile).
//
// Encoding (protobuf's wire format): a field is a key varint `(field << 3) | wire type`, then a
// varint, 8 little-endian bytes, or a length varint and that many bytes. Nested messages and
// packed repeated fields are length-delimited, and their length is known only once their
// content is written.
//
// Invariants:
// - Nested messages cost no second pass and no allocation: `beginMessage` writes the key and
//   reserves one byte for the length; `endMessage` fills it in. A body of 128 bytes or more
//   needs a longer varint, and the body is moved up by the extra bytes (one memmove, for large
//   messages only). Length prefixes are therefore always minimal: a small message (most trace
//   packets) pays one byte for its length, not the four of a fixed-width reservation.
// - `Message` tokens close innermost first (`endMessage` of an outer message moves nothing
//   that an open inner token points into, because inner messages are closed before it).
// - Fields are written exactly as called: no default-value elision (a caller that wants
//   proto3's "absent when zero" skips the call), no reordering.
// - `count` bytes from `base` are initialized. `drain` hands them to an OutputBuffer and
//   empties the buffer; call it between top-level messages only (never with a message open,
//   whose length byte would be gone before `endMessage` fills it).
// - Capacity is checked before every write; storage grows by doubling, so a writer drained at
//   `shouldDrain` stays near `drainThreshold` bytes whatever the output size.
//
// Soundness of the raw pointer: `base` points into `storage` (allocated with `capacity`
// bytes, freed when the storage object dies, which this struct keeps alive); every write is
// at `base + count` after `reserve` guaranteed `count + n <= capacity`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceModel

struct ProtobufWriter {
    /// How a field's value is laid out (the low three bits of its key).
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// An open length-delimited field: where its reserved length byte is.
    struct Message {
        fileprivate let lengthOffset: Int
    }

    static let drainThreshold = 1 << 16

    private var storage: StagingStorage
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = ProtobufWriter.drainThreshold + 4096) {
        self.capacity = max(16, capacity)
        storage = StagingStorage(capacity: self.capacity)
        base = storage.base
    }

    // MARK: Output

    @inline(__always)
    var shouldDrain: Bool { count >= Self.drainThreshold }

    /// Moves everything written into `output` (no message may be open).
    mutating func drain(into output: inout OutputBuffer) {
        guard count > 0 else { return }
        output.write(bytes: UnsafeBufferPointer(start: base, count: count))
        count = 0
    }

    /// The bytes written so far (for callers that post-process them, e.g. compress).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes written so far.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Forgets everything written, keeping the storage.
    mutating func removeAll() {
        count = 0
    }

    // MARK: Fields

    /// An unsigned integer as a varint (uint32, uint64, enum values, bool).
    @inline(__always)
    mutating func uint64(_ field: UInt32, _ value: UInt64) {
        key(field, .varint)
        rawVarint(value)
    }

    /// A signed integer as protobuf's int64/int32 do: two's complement in a varint (a negative
    /// value takes ten bytes; use `sint64` for fields declared sint).
    @inline(__always)
    mutating func int64(_ field: UInt32, _ value: Int64) {
        key(field, .varint)
        rawVarint(UInt64(bitPattern: value))
    }

    /// A zigzag-encoded signed integer (sint32, sint64).
    @inline(__always)
    mutating func sint64(_ field: UInt32, _ value: Int64) {
        key(field, .varint)
        rawVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    @inline(__always)
    mutating func bool(_ field: UInt32, _ value: Bool) {
        key(field, .varint)
        rawByte(value ? 1 : 0)
    }

    /// fixed64 and sfixed64 (bit pattern).
    @inline(__always)
    mutating func fixed64(_ field: UInt32, _ value: UInt64) {
        key(field, .fixed64)
        rawFixed64(value)
    }

    @inline(__always)
    mutating func double(_ field: UInt32, _ value: Double) {
        fixed64(field, value.bitPattern)
    }

    /// A bytes or string field from raw bytes.
    @inline(__always)
    mutating func bytes(_ field: UInt32, _ value: UnsafeRawBufferPointer) {
        key(field, .lengthDelimited)
        rawVarint(UInt64(value.count))
        rawBytes(value)
    }

    mutating func string(_ field: UInt32, _ value: String) {
        var value = value
        value.withUTF8 { bytes(field, UnsafeRawBufferPointer($0)) }
    }

    @inline(__always)
    mutating func string(_ field: UInt32, _ value: StaticString) {
        bytes(field, UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// Opens a nested message (or a packed repeated field, whose values then follow as
    /// `rawVarint` / `rawFixed64`); close it with `endMessage`.
    @inline(__always)
    mutating func beginMessage(_ field: UInt32) -> Message {
        key(field, .lengthDelimited)
        reserve(1)
        let message = Message(lengthOffset: count)
        count += 1
        return message
    }

    /// Closes a message opened by `beginMessage`: writes its length, moving its body up when
    /// the length needs more than one byte.
    @inline(__always)
    mutating func endMessage(_ message: Message) {
        let start = message.lengthOffset
        precondition(start < count, "endMessage of a message that is not open")
        let length = count - start - 1
        if length < 0x80 {
            base[start] = UInt8(truncatingIfNeeded: length)
        } else {
            writeLongLength(length, at: start)
        }
    }

    private mutating func writeLongLength(_ length: Int, at start: Int) {
        let size = Self.varintSize(UInt64(length))
        let extra = size - 1
        reserve(extra)
        memmove(base + start + size, base + start + 1, length)
        var p = base + start
        var v = UInt64(length)
        while v >= 0x80 {
            p.pointee = UInt8(truncatingIfNeeded: v) | 0x80
            p += 1
            v >>= 7
        }
        p.pointee = UInt8(truncatingIfNeeded: v)
        count += extra
    }

    // MARK: Raw pieces

    @inline(__always)
    mutating func key(_ field: UInt32, _ type: WireType) {
        rawVarint(UInt64(field) << 3 | type.rawValue)
    }

    @inline(__always)
    mutating func rawVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count += 1
            v >>= 7
        }
        base[count] = UInt8(truncatingIfNeeded: v)
        count += 1
    }

    @inline(__always)
    mutating func rawFixed64(_ value: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.littleEndian, as: UInt64.self)
        count += 8
    }

    @inline(__always)
    mutating func rawByte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    @inline(__always)
    mutating func rawBytes(_ value: UnsafeRawBufferPointer) {
        guard let source = value.baseAddress, value.count > 0 else { return }
        reserve(value.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: value.count)
        count += value.count
    }

    /// Bytes a varint of `value` takes (1...10).
    @inline(__always)
    static func varintSize(_ value: UInt64) -> Int {
        // 7 payload bits per byte; (bits + 6) / 7 with at least one byte.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    // MARK: Storage

    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newStorage = StagingStorage(capacity: newCapacity)
        newStorage.base.update(from: base, count: count)
        storage = newStorage
        base = newStorage.base
        capacity = newCapacity
    }
}
