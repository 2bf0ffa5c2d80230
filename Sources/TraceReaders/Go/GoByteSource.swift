// Streaming input for the Go trace reader: a file descriptor read in bounded blocks, the
// package's shared `ByteSource` (what input detection opened and peeked at), or bytes already in
// memory (tests).
//
// Invariants:
// - At most `blockSize` bytes of the input are buffered here at any time; the rest of the reader
//   copies out what it keeps (one generation's batches).
// - `offset` is the absolute position in the input of the next byte to be read.
// - Reads never trap: the end of the input is reported as nil / `.truncated`, read errors as
//   `.ioError`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import TraceFormat

enum GoReadFailure: Error, Equatable {
    /// The input ended in the middle of a value.
    case truncated
    /// A varint longer than 10 bytes or overflowing 64 bits.
    case badVarint
    case ioError(String)
}

struct GoByteSource {
    static let blockSize = 1 << 18

    private let fd: Int32
    private let closeOnEnd: Bool
    private let shared: ByteSource?
    private var buffer: [UInt8]
    private var position = 0
    private var end = 0
    private var atEOF = false
    /// Absolute input offset of the next byte.
    private(set) var offset: Int64 = 0
    /// Bytes of the input seen so far (the file size once the end is reached).
    private(set) var bytesSeen: Int64 = 0

    init(fileDescriptor fd: Int32, closeOnEnd: Bool) {
        self.fd = fd
        self.closeOnEnd = closeOnEnd
        self.shared = nil
        self.buffer = [UInt8](repeating: 0, count: GoByteSource.blockSize)
    }

    /// Reads through a shared source from its current position (bytes it peeked at included).
    init(shared: ByteSource) {
        self.fd = -1
        self.closeOnEnd = false
        self.shared = shared
        self.buffer = []
    }

    init(bytes: [UInt8]) {
        self.fd = -1
        self.closeOnEnd = false
        self.shared = nil
        self.buffer = bytes
        self.end = bytes.count
        self.atEOF = true
        self.bytesSeen = Int64(bytes.count)
    }

    /// Refills the buffer; returns false at the end of the input.
    private mutating func refill() throws(GoReadFailure) -> Bool {
        if position < end { return true }
        if atEOF { return false }
        if let shared {
            let block: [UInt8]
            do {
                block = try shared.read(count: GoByteSource.blockSize)
            } catch {
                atEOF = true
                throw .ioError("\(error)")
            }
            if block.isEmpty {
                atEOF = true
                return false
            }
            buffer = block
            position = 0
            end = block.count
            bytesSeen += Int64(block.count)
            return true
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { raw in
                systemRead(fd, raw.baseAddress!, raw.count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                atEOF = true
                closeIfOwned()
                throw .ioError(message)
            }
            if n == 0 {
                atEOF = true
                closeIfOwned()
                return false
            }
            position = 0
            end = n
            bytesSeen += Int64(n)
            return true
        }
    }

    private mutating func closeIfOwned() {
        if closeOnEnd && fd >= 0 { _ = close(fd) }
    }

    /// The next byte, or nil at the end of the input.
    mutating func readByte() throws(GoReadFailure) -> UInt8? {
        if position == end {
            guard try refill() else { return nil }
        }
        let b = buffer[position]
        position += 1
        offset += 1
        return b
    }

    /// An unsigned LEB128 varint of at most 10 bytes (non-minimal encodings accepted: the runtime
    /// pads batch lengths).
    mutating func readUvarint() throws(GoReadFailure) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for i in 0..<10 {
            guard let b = try readByte() else { throw .truncated }
            if b < 0x80 {
                if i == 9 && b > 1 { throw .badVarint }
                return value | UInt64(b) << shift
            }
            value |= UInt64(b & 0x7f) << shift
            shift += 7
        }
        throw .badVarint
    }

    /// Appends exactly `count` bytes to `data`, or throws `.truncated` (after appending what
    /// there was, which the caller discards).
    mutating func read(count: Int, into data: inout [UInt8]) throws(GoReadFailure) {
        var remaining = count
        while remaining > 0 {
            if position == end {
                guard try refill() else { throw .truncated }
            }
            let n = min(remaining, end - position)
            data.append(contentsOf: buffer[position..<(position + n)])
            position += n
            offset += Int64(n)
            remaining -= n
        }
    }
}

private func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, p, n)
    #else
    return Darwin.read(fd, p, n)
    #endif
}
