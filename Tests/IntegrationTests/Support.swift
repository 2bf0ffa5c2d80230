// Test support: exclusive use of the process-wide recorder, an in-process server on an
// ephemeral loopback port, bounded waiting, temporary directories, and reading a snapshot back
// through TraceReaders into per-group scheduling totals.
//
// Invariants:
// - The recorder is process-wide and other test targets run in the same process: a test takes
//   it with `withExclusiveRecorder`, which waits (bounded, 120 s) until no recorder has recorded
//   for 1 s, and always stops it afterwards.
// - `withServer` always cancels the server and waits for it to finish, whatever the body does.
// - `eventually` polls a condition for a bounded time (it waits for work that ends after the
//   client got its response; it asserts nothing about how long that takes).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlightRecorder
#if Hummingbird
import FlightRecorderHummingbird
import Hummingbird
#endif
import RecorderExclusion
import Testing
import TraceModel
import TraceReaders

/// All integration tests that record run one at a time.
@Suite(.serialized, .exclusiveRecorder) struct Integration {}

func withExclusiveRecorder<R>(
    _ configuration: FlightRecorderConfiguration = FlightRecorderConfiguration(minAge: .seconds(5), maxBytes: 16 << 20),
    _ body: (FlightRecorder) async throws -> R
) async throws -> R {
    let recorder = FlightRecorder(configuration: configuration)
    // The suite's `.exclusiveRecorder` trait keeps other targets' recording tests out.
    try recorder.start()
    do {
        let result = try await body(recorder)
        recorder.stop()
        return result
    } catch {
        recorder.stop()
        throw error
    }
}

#if Hummingbird
/// Runs `app` on 127.0.0.1 with an ephemeral port and calls `body` with the port.
func withServer<App: ApplicationProtocol, R: Sendable>(
    _ makeApp: (_ onRunning: @escaping @Sendable (Int) async -> Void) -> App,
    _ body: (Int) async throws -> R
) async throws -> R {
    let (ports, portContinuation) = AsyncStream<Int>.makeStream()
    let app = makeApp { port in portContinuation.yield(port) }
    let server = Task { try await app.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        server.cancel()
        throw HTTPTestError(description: "server did not start")
    }
    do {
        let result = try await body(port)
        server.cancel()
        _ = await server.result
        return result
    } catch {
        server.cancel()
        _ = await server.result
        throw error
    }
}

/// Serves `router` on 127.0.0.1 with an ephemeral port and calls `body` with the port.
func withServer<R: Sendable>(router: Router<FlightRecorderRequestContext>,
                             _ body: (Int) async throws -> R) async throws -> R {
    try await withServer({ onRunning in
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    onServerRunning: { await onRunning($0.localAddress?.port ?? 0) })
    }, body)
}
#endif

/// Waits until `condition` holds, polling every 10 ms, for at most `limit`; returns whether it held.
func eventually(limit: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// A fresh empty directory under /tmp, removed with its files by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/tracexport-integration-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw HTTPTestError(description: "mkdtemp: errno \(errno)")
        }
        path = String(cString: made)
    }

    /// Names of the files in the directory, sorted.
    func files() -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    func remove() {
        for name in files() { unlink(path + "/" + name) }
        rmdir(path)
    }
}

/// What a snapshot says, read through SnapshotTraceReader: per task group, the number of tasks
/// and their summed time in each state; the logs; the regions.
struct SnapshotDigest {
    struct Group {
        var tasks = 0
        var runningNs: Int64 = 0
        var runnableNs: Int64 = 0
        var blockedNs: Int64 = 0
    }

    struct Log {
        var category: String
        var message: String
    }

    var metadata: TraceMetadata
    var groups: [String: Group] = [:]
    var logs: [Log] = []
    var regionNames: Set<String> = []
    var warnings: [String] = []

    init(reader: SnapshotTraceReader) throws {
        var reader = reader
        var groups: [String: Group] = [:]
        var logs: [Log] = []
        var regionNames: Set<String> = []
        var groupOf: [TaskID: String] = [:]
        var open: [TaskID: (state: TaskState, since: Int64)] = [:]
        func close(_ task: TaskID, at time: Int64) {
            guard let current = open[task], let group = groupOf[task] else { return }
            let spent = max(0, time - current.since)
            switch current.state {
            case .running: groups[group, default: Group()].runningNs += spent
            case .runnable: groups[group, default: Group()].runnableNs += spent
            case .blocked, .syscall: groups[group, default: Group()].blockedNs += spent
            case .ended: break
            }
        }
        while let event = try reader.next() {
            switch event.kind {
            case .taskCreated(let task, _, _, let group, _):
                let name = reader.tables.string(group)
                // Given again for a live task, it renames (regroups) it.
                if let old = groupOf[task] { groups[old]?.tasks -= 1 }
                groupOf[task] = name
                groups[name, default: Group()].tasks += 1
            case .taskState(let task, let state, _, _, _):
                close(task, at: event.timeNs)
                open[task] = (state, event.timeNs)
            case .log(_, _, let category, let message):
                logs.append(Log(category: reader.tables.string(category), message: message))
            case .regionBegin(_, _, let name, _):
                regionNames.insert(reader.tables.string(name))
            default:
                break
            }
        }
        for task in open.keys { close(task, at: reader.metadata.endNs) }
        if let damage = reader.damage { throw damage }
        self.metadata = reader.metadata
        self.warnings = reader.warnings
        self.groups = groups
        self.logs = logs
        self.regionNames = regionNames
    }
}
