// A short byte string held inline (no allocation): a piece of output that is written over and
// over and is cheaper to copy than to format again (a Chrome track's line prefix, the last
// timestamp written).
//
// Invariants:
// - At most `capacity` bytes; `count` of them, from the first, are meaningful. The storage is
//   always fully initialized (zeros past `count`), so the whole of it can be copied at once.
// - A value type of fixed size: copying it copies the bytes, nothing is shared or retained.

struct InlineBytes {
    static let capacity = 56

    private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
    private(set) var count = 0

    init() {}

    /// The bytes `bytes` (at most `capacity` of them; precondition).
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        precondition(bytes.count <= Self.capacity, "InlineBytes holds at most \(Self.capacity) bytes")
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(bytes))
        }
        count = bytes.count
    }

    /// Appends `bytes`; the total stays within `capacity` (precondition).
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        precondition(count + bytes.count <= Self.capacity, "InlineBytes holds at most \(Self.capacity) bytes")
        guard let source = bytes.baseAddress else { return }
        let offset = count
        withUnsafeMutableBytes(of: &storage) { raw in
            (raw.baseAddress! + offset).copyMemory(from: source, byteCount: bytes.count)
        }
        count += bytes.count
    }

    mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends `value` in decimal.
    mutating func append(uint value: UInt64) {
        let digits = StagingBuffer.digitCount(value)
        precondition(count + digits <= Self.capacity, "InlineBytes holds at most \(Self.capacity) bytes")
        let offset = count
        withUnsafeMutableBytes(of: &storage) { raw in
            StagingBuffer.formatDigits(value, count: digits, at: raw.baseAddress! + offset)
        }
        count += digits
    }

    /// Calls `body` with all `capacity` bytes of storage (only the first `count` are meaningful).
    @inline(__always)
    func withStorage<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(of: storage, body)
    }
}
