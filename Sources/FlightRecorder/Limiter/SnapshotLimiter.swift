// Production-safe snapshot files (the article's maxSnapshots): a directory, `trace.N.out`
// names, at most `maxFiles` files and `maxTotalBytes` bytes, a minimum interval between them.
//
// Invariants:
// - Files are created only inside `directory` (resolved once, at init), under names
//   `<prefix>.<N>.out` with N a decimal counter; the prefix may not contain '/' or start with
//   '.'. Files are written atomically (temporary file in the same directory, then rename).
// - Existing `<prefix>.<N>.out` files in the directory count towards both budgets (a restarted
//   process keeps honouring them) and N continues after the largest one.
// - Temporary files of its own naming (`.<prefix>.<N>.out.tmp.XXXXXX`) left by a process
//   killed while writing are removed when the limiter is created, once older than
//   `staleTemporaryAge` (younger ones may be another live writer's); those it keeps count
//   towards the byte budget.
// - Every refusal is returned as a `Refusal` and logged; one snapshot at a time (a concurrent
//   request is refused as `.busy`); the interval runs from the last file written.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging

public final class SnapshotLimiter: @unchecked Sendable {
    // @unchecked Sendable: the mutable state (`lastWrite`, `busy`) is accessed only under `lock`.

    public enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// Another snapshot of this limiter is being written.
        case busy
        /// Less than `minInterval` since the last file.
        case tooSoon(wait: Duration)
        /// The directory already holds `maxFiles` snapshots.
        case fileLimit(files: Int, maxFiles: Int)
        /// Writing this snapshot would exceed `maxTotalBytes`.
        case byteBudget(used: Int, snapshot: Int, maxTotalBytes: Int)
        /// The recorder could not produce the snapshot, or the file could not be written.
        case failed(String)

        public var description: String {
            switch self {
            case .busy: "another snapshot is being written"
            case .tooSoon(let wait): "minimum interval not reached (wait \(wait))"
            case .fileLimit(let files, let maxFiles): "\(files) snapshot files already (limit \(maxFiles))"
            case .byteBudget(let used, let snapshot, let max):
                "\(used) bytes of snapshots already; \(snapshot) more would exceed \(max)"
            case .failed(let message): message
            }
        }
    }

    public struct Written: Equatable, Sendable {
        public var path: String
        public var bytes: Int
    }

    public let directory: String
    public let prefix: String
    public let maxFiles: Int
    public let maxTotalBytes: Int
    public let minInterval: Duration
    private let logger: Logger
    private let lock = RecorderLock()
    private var lastWrite: ContinuousClock.Instant?
    private var busy = false

    /// Throws when `directory` does not exist or `prefix` could name a file elsewhere.
    public init(directory: String, prefix: String = "trace", maxFiles: Int = 10, maxTotalBytes: Int = 256 << 20,
                minInterval: Duration = .seconds(10), logger: Logger = Logger(label: "FlightRecorder.SnapshotLimiter")) throws {
        guard !prefix.isEmpty, !prefix.contains("/"), !prefix.hasPrefix(".") else {
            throw FlightRecorderError.io("snapshot prefix '\(prefix)' must be a plain file name")
        }
        guard let resolved = realpath(directory, nil) else {
            throw FlightRecorderError.io("\(directory): \(AtomicFile.errorText())")
        }
        self.directory = String(decoding: UnsafeRawBufferPointer(start: resolved, count: strlen(resolved)), as: UTF8.self)
        free(resolved)
        var info = stat()
        guard stat(self.directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw FlightRecorderError.io("\(directory): not a directory")
        }
        self.prefix = prefix
        self.maxFiles = maxFiles
        self.maxTotalBytes = maxTotalBytes
        self.minInterval = minInterval
        self.logger = logger
        let removed = removeStaleTemporaries()
        if removed.files > 0 {
            logger.notice("removed temporary snapshot files left by an interrupted write",
                          metadata: ["files": "\(removed.files)", "bytes": "\(removed.bytes)", "directory": "\(self.directory)"])
        }
    }

    /// A temporary file older than this is no live write's: a snapshot is written in well
    /// under a second.
    static let staleTemporaryAge: Int = 60

    /// Whether `name` is one of this limiter's temporary files: `.<prefix>.<N>.out.tmp.XXXXXX`.
    private func isTemporary(_ name: String) -> Bool {
        let head = "." + prefix + ".", middle = ".out.tmp."
        guard name.hasPrefix(head), let range = name.firstRange(of: middle) else { return false }
        let digits = name[name.index(name.startIndex, offsetBy: head.count)..<range.lowerBound]
        let suffix = name[range.upperBound...]
        return !digits.isEmpty && digits.allSatisfy({ $0.isASCII && $0.isNumber }) && suffix.count == 6
    }

    /// Names and sizes of the files in the directory that satisfy `matches`, with their age in seconds.
    private func files(where matches: (String) -> Bool) -> [(name: String, bytes: Int, age: Int)] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var found: [(String, Int, Int)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard matches(name) else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            #if canImport(Glibc)
            let modified = Int(info.st_mtim.tv_sec)
            #else
            let modified = Int(info.st_mtimespec.tv_sec)
            #endif
            found.append((name, Int(info.st_size), Int(now.tv_sec) - modified))
        }
        return found
    }

    private func removeStaleTemporaries() -> (files: Int, bytes: Int) {
        var removed = (files: 0, bytes: 0)
        for file in files(where: isTemporary) where file.age >= Self.staleTemporaryAge {
            if unlink(directory + "/" + file.name) == 0 {
                removed.files += 1
                removed.bytes += file.bytes
            }
        }
        return removed
    }

    /// Bytes of this limiter's temporary files still in the directory.
    func temporaryBytes() -> Int {
        files(where: isTemporary).reduce(0) { $0 + $1.bytes }
    }

    /// Existing snapshot files: (N, bytes) per `<prefix>.<N>.out`.
    func existingFiles() -> [(index: Int, bytes: Int)] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var found: [(Int, Int)] = []
        let head = prefix + ".", tail = ".out"
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix(head), name.hasSuffix(tail), name.count > head.count + tail.count else { continue }
            let digits = name.dropFirst(head.count).dropLast(tail.count)
            guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else { continue }
            var info = stat()
            guard stat(directory + "/" + name, &info) == 0 else { continue }
            found.append((n, Int(info.st_size)))
        }
        return found
    }

    /// Takes a snapshot of `recorder` and writes it as the next `trace.N.out`, unless a limit
    /// refuses it. Returns the file written, or throws the `Refusal`.
    @discardableResult
    public func writeSnapshot(of recorder: FlightRecorder, trigger: SnapshotTrigger) throws(Refusal) -> Written {
        do {
            let written = try attempt(recorder, trigger)
            logger.info("snapshot file written", metadata: ["path": "\(written.path)", "bytes": "\(written.bytes)"])
            return written
        } catch {
            logger.notice("snapshot refused", metadata: ["reason": "\(error)", "trigger": "\(trigger.reason)"])
            throw error
        }
    }

    private func attempt(_ recorder: FlightRecorder, _ trigger: SnapshotTrigger) throws(Refusal) -> Written {
        let now = ContinuousClock.now
        let refusal: Refusal? = lock.withLock {
            if busy { return .busy }
            if let lastWrite, now - lastWrite < minInterval { return .tooSoon(wait: minInterval - (now - lastWrite)) }
            busy = true
            return nil
        }
        if let refusal { throw refusal }
        defer { lock.withLock { busy = false } }

        let existing = existingFiles()
        guard existing.count < maxFiles else { throw .fileLimit(files: existing.count, maxFiles: maxFiles) }
        let used = existing.reduce(0) { $0 + $1.bytes } + temporaryBytes()
        guard used < maxTotalBytes else { throw .byteBudget(used: used, snapshot: 0, maxTotalBytes: maxTotalBytes) }
        let bytes: [UInt8]
        do { bytes = try recorder.snapshot(trigger: trigger) } catch {
            throw .failed("\(error)")
        }
        guard used + bytes.count <= maxTotalBytes else {
            throw .byteBudget(used: used, snapshot: bytes.count, maxTotalBytes: maxTotalBytes)
        }
        let index = (existing.map(\.index).max() ?? 0) + 1
        let path = directory + "/" + prefix + "." + String(index) + ".out"
        do {
            try AtomicFile.write(path: path) { sink in try bytes.withUnsafeBytes { try sink($0) } }
        } catch {
            throw .failed("\(error)")
        }
        lock.withLock { lastWrite = ContinuousClock.now }
        return Written(path: path, bytes: bytes.count)
    }
}
