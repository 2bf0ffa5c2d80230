// Buffered byte output for exporters: appends into memory and flushes to a file descriptor in
// large writes, or keeps everything in memory (tests, `--o` to a temporary file).
//
// Invariants:
// - With a file descriptor, at most `flushThreshold` bytes are held; memory does not grow
//   with the output.
// - Appends never allocate once the buffer reached its capacity.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct OutputError: Error, CustomStringConvertible {
    public var description: String
}

public struct OutputBuffer {
    public private(set) var bytes: [UInt8]
    private let fd: Int32?
    private let flushThreshold: Int
    /// Writes full buffers on a thread of its own, when asked for: for a large output the
    /// kernel's copy into the page cache costs about as much as producing the bytes.
    private let writer: BufferWorker?
    /// Total bytes written through this buffer (flushed or not).
    public private(set) var totalBytes: Int64 = 0

    /// Output kept in memory; read it back with `bytes` or `string`.
    public init() {
        self.fd = nil
        self.flushThreshold = .max
        self.writer = nil
        self.bytes = []
    }

    /// Output written to `fd` in chunks of about `flushThreshold` bytes. `writesInBackground`:
    /// the writes happen on a thread of their own while the caller fills the next chunk (a few
    /// chunks are held, never more); `flush()` still returns only once everything is written.
    public init(fileDescriptor fd: Int32, flushThreshold: Int = 1 << 18, writesInBackground: Bool = false) {
        self.fd = fd
        self.flushThreshold = flushThreshold
        self.writer = writesInBackground ? BufferWorker(depth: 3) { chunk, _ in writeAll(chunk, to: fd) } : nil
        self.bytes = []
        self.bytes.reserveCapacity(flushThreshold + 4096)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    @inlinable @inline(__always)
    package mutating func write(_ s: StaticString) {
        s.withUTF8Buffer { write(bytes: $0) }
    }

    @inline(__always)
    package mutating func write(_ s: String) {
        var s = s
        s.withUTF8 { write(bytes: $0) }
    }

    @inline(__always)
    package mutating func write(byte: UInt8) {
        bytes.append(byte)
        totalBytes += 1
    }

    @inline(__always)
    @usableFromInline package mutating func write(bytes buffer: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: buffer)
        totalBytes += Int64(buffer.count)
    }

    package mutating func write(bytes array: [UInt8]) {
        bytes.append(contentsOf: array)
        totalBytes += Int64(array.count)
    }

    /// Decimal integer, no allocation.
    @inline(__always)
    package mutating func write(int value: Int64) {
        if value < 0 {
            write(byte: UInt8(ascii: "-"))
            write(uint: UInt64(bitPattern: 0 &- value))
        } else {
            write(uint: UInt64(value))
        }
    }

    @inline(__always)
    package mutating func write(uint value: UInt64) {
        if value < 10 {
            write(byte: UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes: 20 digits fit
        var n = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 {
                raw[31 - n] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                n += 1
            }
            write(bytes: UnsafeBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[(32 - n)...]))
        }
    }

    /// Flushes when the buffer passed its threshold; call after each logical record.
    @inline(__always)
    package mutating func flushIfNeeded() throws {
        if bytes.count >= flushThreshold { try flushChunk() }
    }

    /// Writes what is buffered; in the background when a writer is running (returns at once).
    private mutating func flushChunk() throws {
        guard let writer else { return try flush() }
        bytes = try writer.submit(bytes).next
    }

    /// Writes everything buffered and returns once it is written.
    public mutating func flush() throws {
        guard let fd else { return }
        if let writer {
            if !bytes.isEmpty { bytes = try writer.submit(bytes).next }
            _ = try writer.drain()
            return
        }
        if let error = writeAll(bytes, to: fd) { throw error }
        bytes.removeAll(keepingCapacity: true)
    }
}

/// Writes all of `bytes` to `fd` (retrying short and interrupted writes); the error, if any.
func writeAll(_ bytes: [UInt8], to fd: Int32) -> OutputError? {
    bytes.withUnsafeBytes { raw -> OutputError? in
        var offset = 0
        while offset < raw.count {
            let n = SystemWrite.write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return OutputError(description: "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        return nil
    }
}

enum SystemWrite {
    static func write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, p, n)
        #else
        return Darwin.write(fd, p, n)
        #endif
    }
}
