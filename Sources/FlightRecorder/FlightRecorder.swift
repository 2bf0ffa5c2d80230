// The recorder users hold: start, stop, snapshots.
//
// Invariants:
// - At most one recorder records per process (the ring and the per-thread buffers are
//   process-wide, like Go's runtime tracer). Starting twice, or starting while another recorder
//   records, throws; neither crashes.
// - Recording goes on, on every thread, while a snapshot is written: the snapshot copies a cut
//   of the ring taken under the ring lock and pins those chunks until it is done.
// - A snapshot requested while another one is being written throws
//   `FlightRecorderError.snapshotInProgress` at once (it does not wait): a burst of slow
//   requests then costs one snapshot, not a queue of them.
// - A recorder that is released while recording stops.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CFlightRecorder
public import Logging
import TraceFormat

/// An always-on recorder of the last seconds of execution (Go's `trace.FlightRecorder`).
///
/// ```swift
/// let recorder = FlightRecorder(configuration: .init(minAge: .seconds(5)))
/// try recorder.start()
/// let limiter = try SnapshotLimiter(directory: "/var/tmp/traces", maxFiles: 2)
///
/// // In a middleware, around each request:
/// let start = ContinuousClock.now
/// let response = try await Trace.withRegion("GET /ping") { try await next(request) }
/// if ContinuousClock.now - start > .milliseconds(500) {
///     _ = try? limiter.writeSnapshot(of: recorder, trigger: SnapshotTrigger("slow request", ["path": "/ping"]))
/// }
/// ```
///
/// Annotations (`Trace`) cost one load and a branch while no recorder records.
public final class FlightRecorder: Sendable {
    public let configuration: FlightRecorderConfiguration
    let logger: Logger
    private var identity: ObjectIdentifier { ObjectIdentifier(self) }

    public init(configuration: FlightRecorderConfiguration = FlightRecorderConfiguration(),
                logger: Logger = Logger(label: "FlightRecorder")) {
        self.configuration = configuration
        self.logger = logger
    }

    deinit {
        RecorderCore.shared.stop(owner: ObjectIdentifier(self))
    }

    /// Starts recording. Throws `alreadyRecording` or `anotherRecorderIsRecording`.
    public func start() throws(FlightRecorderError) {
        try RecorderCore.shared.start(configuration, owner: identity)
        logger.debug("flight recorder started", metadata: [
            "maxBytes": "\(configuration.maxBytes)", "minAge": "\(configuration.minAge)",
            "chunkBytes": "\(configuration.effectiveChunkBytes)",
        ])
    }

    /// Stops recording and drops the recorded history. Does nothing when not recording.
    public func stop() {
        RecorderCore.shared.stop(owner: identity)
    }

    public var isRecording: Bool { RecorderCore.shared.isRecording(owner: identity) }

    /// The snapshot as bytes.
    public func snapshot(trigger: SnapshotTrigger = .manual) throws -> [UInt8] {
        let sink = ByteSink()
        _ = try writeSnapshot(trigger: trigger, destination: "memory") { sink.append($0) }
        return sink.bytes
    }

    /// Writes the snapshot to `path` atomically (temporary file in the same directory, then
    /// rename; mode 0644): a crash mid-write never leaves a partial file under `path`.
    @discardableResult
    public func writeSnapshot(to path: String, trigger: SnapshotTrigger = .manual) throws -> SnapshotSummary {
        var summary: SnapshotSummary?
        try AtomicFile.write(path: path) { sink in
            summary = try writeSnapshot(trigger: trigger, destination: path, sink: sink)
        }
        return summary!
    }

    /// Writes the snapshot to an open file descriptor (left open).
    @discardableResult
    public func writeSnapshot(toFileDescriptor fd: Int32, trigger: SnapshotTrigger = .manual) throws -> SnapshotSummary {
        try writeSnapshot(trigger: trigger, destination: "fd \(fd)") { bytes in
            try AtomicFile.writeAll(fd, bytes, name: "fd \(fd)")
        }
    }

    func writeSnapshot(trigger: SnapshotTrigger, destination: String,
                       sink: @escaping (UnsafeRawBufferPointer) throws -> Void) throws -> SnapshotSummary {
        let core = RecorderCore.shared
        let cut: RecorderCore.Cut
        do { cut = try core.beginSnapshot(owner: identity) } catch {
            logger.notice("snapshot not taken", metadata: ["reason": "\(error)"])
            throw error
        }
        defer { core.endSnapshot() }
        let windowState: WindowState = core.foldLock.withLock {
            core.foldLocked(upTo: cut.evictedUpTo)
            return core.fold.windowState(strings: StringTable.shared.all())
        }
        let started = ContinuousClock.now
        let summary = try SnapshotBuilder.write(cut: cut, windowState: windowState, trigger: trigger, sink: sink)
        let elapsed = ContinuousClock.now - started
        logger.info("snapshot written", metadata: [
            "destination": "\(destination)", "bytes": "\(summary.bytes)", "events": "\(summary.events)",
            "stacks": "\(summary.stacks)", "symbolizeMs": "\(summary.symbolizeNs / 1_000_000)", "windowMs": "\(summary.windowNs / 1_000_000)",
            "writeMs": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            "trigger": "\(trigger.reason)",
        ])
        if cut.droppedChunkRequests > 0 {
            logger.warning("events dropped: no memory for a chunk", metadata: ["times": "\(cut.droppedChunkRequests)"])
        }
        return summary
    }
}
