// Test support: decoding snapshots back into per-thread chunks, and plain threads.
//
// Invariants: decoding fails the test (throws) on any damage; nothing here touches the
// recorder's state.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
@testable import FlightRecorder
import RecorderExclusion
import Testing
import TraceFormat

/// Every recorder test runs inside this suite, one at a time: the recorder is process-wide.
@Suite(.serialized, .exclusiveRecorder) struct Recorder {}

/// A decoded record with its strings resolved.
struct Event {
    var kind: EventKind
    var ticks: UInt64
    var task: UInt64
    var other: UInt64
    var intValue: Int64
    var floatValue: Double
    var name: String
    var group: String
    var message: String
}

struct DecodedChunk {
    var header: EventChunkHeader
    var events: [Event]
}

struct DecodedSnapshot {
    var header: SnapshotHeader
    var strings: [UInt64: String] = [:]
    var stacks: [UInt64: [SnapshotStackFrame]] = [:]
    var windowState = WindowState()
    var chunks: [DecodedChunk] = []
    var declaredEvents: Int?

    init(_ bytes: [UInt8]) throws {
        let reader = try FrameReader(source: ByteSource(bytes: bytes))
        header = reader.header
        while let frame = try reader.next() {
            switch frame.knownKind {
            case .strings:
                try StringsFrame.decode(frame.payload) { id, s in strings[id] = s }
            case .stacks:
                try StacksFrame.decode(frame.payload) { id, frames in stacks[id] = frames }
            case .windowState:
                windowState = try WindowState.decode(frame.payload)
            case .events:
                var decoder = try EventDecoder(payload: frame.payload)
                var events: [Event] = []
                while let e = try decoder.next() {
                    events.append(Event(kind: e.kind, ticks: e.ticks, task: e.task, other: e.other, intValue: e.intValue,
                                        floatValue: e.floatValue, name: text(e.name, frame.payload),
                                        group: text(e.group, frame.payload),
                                        message: String(decoding: frame.payload[e.message], as: UTF8.self)))
                }
                chunks.append(DecodedChunk(header: decoder.header, events: events))
            default:
                break
            }
        }
        if let damage = reader.damage { throw FormatError(offset: Int(damage.offset), damage.message) }
        #expect(reader.endSeen)
        declaredEvents = reader.declaredEvents
    }

    func text(_ s: DecodedString, _ payload: [UInt8]) -> String {
        switch s {
        case .none: ""
        case .interned(let id): id == 0 ? "" : strings[id] ?? "<missing \(id)>"
        case .inline(let range): String(decoding: payload[range], as: UTF8.self)
        }
    }

    /// Chunks of each thread, in sequence order.
    var chunksByThread: [UInt64: [DecodedChunk]] {
        Dictionary(grouping: chunks, by: { $0.header.thread }).mapValues { $0.sorted { $0.header.sequence < $1.header.sequence } }
    }

    var allEvents: [(thread: UInt64, event: Event)] {
        chunks.flatMap { c in c.events.map { (c.header.thread, $0) } }
    }
}

/// A plain OS thread (not from a pool), joined by `join()`.
final class TestThread: @unchecked Sendable {
    // @unchecked Sendable: `thread` is written once in init before anyone else can see it.
    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif

    init(name: String? = nil, _ body: @escaping @Sendable () -> Void) {
        final class Box {
            let name: String?
            let body: @Sendable () -> Void
            init(_ name: String?, _ body: @escaping @Sendable () -> Void) {
                self.name = name
                self.body = body
            }
        }
        let box = Unmanaged.passRetained(Box(name, body)).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            if let name = box.name { fr_set_thread_name(name) }
            box.body()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed")
    }

    func join() {
        #if canImport(Darwin)
        if let thread { pthread_join(thread, nil) }
        #else
        pthread_join(thread, nil)
        #endif
    }
}

/// A fresh empty directory under /tmp.
func temporaryDirectory() -> String {
    var template = Array("/tmp/flightrecorder-test.XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(made != nil)
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

func directoryEntries(_ path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : -1
}

func removeDirectory(_ path: String) {
    for name in directoryEntries(path) { unlink(path + "/" + name) }
    rmdir(path)
}
