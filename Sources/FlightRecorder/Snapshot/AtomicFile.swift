// Writing a file so that it appears complete or not at all under its final name.
//
// Invariants:
// - Bytes go to a temporary file in the destination's directory (same file system), which is
//   flushed (fsync), given mode 0644 and then renamed over the final name. On any failure the
//   temporary file is removed and the final name is untouched.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AtomicFile {
    /// Writes the file at `path` with the bytes `body` hands to its sink.
    static func write(path: String, mode: mode_t = 0o644,
                      _ body: (@escaping (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else { throw FlightRecorderError.io("\(path): not a file name") }
        var template = Array("\(directory.isEmpty ? "/" : directory)/.\(base).tmp.XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw FlightRecorderError.io("\(path): cannot create a temporary file: \(errorText())") }
        let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer {
            if !renamed { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            guard fchmod(fd, mode) == 0 else { throw FlightRecorderError.io("\(temporary): chmod: \(errorText())") }
            try body { bytes in try writeAll(fd, bytes, name: temporary) }
            guard fsync(fd) == 0 else { throw FlightRecorderError.io("\(temporary): fsync: \(errorText())") }
        }
        guard rename(temporary, path) == 0 else { throw FlightRecorderError.io("\(path): rename: \(errorText())") }
        renamed = true
        let dirFD = open(directory.isEmpty ? "/" : directory, O_RDONLY)
        if dirFD >= 0 {
            _ = fsync(dirFD)  // best effort: makes the rename durable
            close(dirFD)
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw FlightRecorderError.io("\(name): write at offset \(offset): \(errorText())")
            }
            offset += n
        }
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
