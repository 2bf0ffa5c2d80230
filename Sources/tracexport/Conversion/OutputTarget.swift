// Where converted output goes: stdout, or a file written atomically.
//
// Invariants:
// - A file is written to a temporary sibling (same directory, so rename stays on one file
//   system) and renamed over the destination only by `commit`: a failed or refused
//   conversion never leaves a partial file, and never clobbers an existing one.
// - `discard` removes the temporary file; calling it after `commit` does nothing. `closeFile`
//   only closes the descriptor: the file stays temporary until `commit` or `discard`.
// - A destination that exists and is no regular file (/dev/null, a FIFO, a terminal) is
//   written directly: there is nothing to replace atomically, and a rename would put a file in
//   its place.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct OutputTarget {
    let fileDescriptor: Int32
    /// The name used in messages: the -o path, or "stdout".
    let displayName: String
    private let destination: String?
    private let temporaryPath: String?
    private var finished = false
    private var closed = false

    static func standardOutput() -> OutputTarget {
        OutputTarget(fileDescriptor: 1, displayName: "stdout", destination: nil, temporaryPath: nil)
    }

    static func file(_ path: String) throws(CLIError) -> OutputTarget {
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
            let fd = open(path, O_WRONLY)
            guard fd >= 0 else { throw CLIError(subject: path, message: "cannot open: \(String(cString: strerror(errno)))") }
            return OutputTarget(fileDescriptor: fd, displayName: path, destination: path, temporaryPath: nil)
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = "\(directory).\(base).tracexport-\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CLIError(subject: path, message: "cannot create: \(String(cString: strerror(errno)))") }
        return OutputTarget(fileDescriptor: fd, displayName: path, destination: path, temporaryPath: temporary)
    }

    private init(fileDescriptor: Int32, displayName: String, destination: String?, temporaryPath: String?) {
        self.fileDescriptor = fileDescriptor
        self.displayName = displayName
        self.destination = destination
        self.temporaryPath = temporaryPath
    }

    /// Closes a file written in full, to be committed (or discarded) later: a conversion that
    /// writes many files (`--split`) keeps one open at a time.
    mutating func closeFile() throws(CLIError) {
        guard !finished, !closed, let destination else { return }
        closed = true
        guard close(fileDescriptor) == 0 else {
            finished = true
            if let temporaryPath { unlink(temporaryPath) }
            throw CLIError(subject: destination, message: "write failed: \(String(cString: strerror(errno)))")
        }
    }

    mutating func commit() throws(CLIError) {
        guard !finished, let destination else { return }
        try closeFile()
        finished = true
        guard let temporaryPath else { return }  // written directly
        guard rename(temporaryPath, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw CLIError(subject: destination, message: "cannot replace: \(reason)")
        }
    }

    mutating func discard() {
        guard !finished, destination != nil else { return }
        finished = true
        if !closed { close(fileDescriptor) }
        if let temporaryPath { unlink(temporaryPath) }
    }
}
