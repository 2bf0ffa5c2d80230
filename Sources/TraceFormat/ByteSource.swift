// Reading a file or pipe in bounded blocks.
//
// Invariants:
// - At most `blockSize` bytes plus one caller request are buffered: memory does not grow with
//   the input.
// - `offset` is the file offset of the next byte a `read` returns.
// - `read(count:)` returns fewer bytes only at end of input; it never blocks past EOF.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package struct IOError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}

package final class ByteSource {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    package private(set) var offset: Int64 = 0
    private let blockSize: Int
    /// Bytes handed out so far plus bytes still buffered: how much was read from the descriptor.
    private(set) var bytesRead: Int64 = 0

    package init(fileDescriptor fd: Int32, ownsDescriptor: Bool = false, blockSize: Int = 1 << 20) {
        self.fd = fd
        self.ownsDescriptor = ownsDescriptor
        self.blockSize = blockSize
        self.buffer = [UInt8](repeating: 0, count: blockSize)
    }

    package convenience init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw IOError("\(path): \(String(cString: strerror(errno)))") }
        self.init(fileDescriptor: fd, ownsDescriptor: true)
    }

    /// Reads from memory (tests, in-process snapshots).
    package init(bytes: [UInt8]) {
        self.fd = -1
        self.ownsDescriptor = false
        self.blockSize = max(1, bytes.count)
        self.buffer = bytes
        self.end = bytes.count
        self.eof = true
        self.bytesRead = Int64(bytes.count)
    }

    deinit { if ownsDescriptor { close(fd) } }

    private func fill() throws {
        if start > 0 {
            let n = end - start
            if n > 0 {
                buffer.withUnsafeMutableBytes { b in
                    let base = b.baseAddress!
                    memmove(base, base + start, n)
                }
            }
            end = n
            start = 0
        }
        while !eof && end < buffer.count {
            let n = buffer.withUnsafeMutableBytes { b in
                systemRead(fd, b.baseAddress! + end, b.count - end)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError("read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true } else {
                end += n
                bytesRead += Int64(n)
            }
            if end - start >= blockSize { break }
        }
    }

    /// Up to `count` bytes; fewer only at the end of the input.
    package func read(count: Int) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(min(count, 1 << 24))
        while out.count < count {
            if start == end {
                if eof { break }
                try fill()
                if start == end { break }
            }
            let n = min(count - out.count, end - start)
            out.append(contentsOf: buffer[start..<start + n])
            start += n
            offset += Int64(n)
        }
        return out
    }

    /// Reads the first bytes without consuming them (format detection).
    package func peek(count: Int) throws -> [UInt8] {
        if end - start < count && !eof {
            if buffer.count < count { buffer.append(contentsOf: [UInt8](repeating: 0, count: count - buffer.count)) }
            try fill()
        }
        return Array(buffer[start..<min(end, start + count)])
    }
}

@inline(__always)
private func systemRead(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, p, n)
    #else
    return Darwin.read(fd, p, n)
    #endif
}
