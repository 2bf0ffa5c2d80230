// The flight recorder as a swift-service-lifecycle Service, so a ServiceGroup (Hummingbird's
// `Application(services:)`, or one of the server's own) starts and stops it with the server.
//
// Invariants:
// - `run()` starts the recorder, then waits for graceful shutdown. On graceful shutdown it
//   writes one last snapshot through `lastSnapshot` when given (the limiter may refuse it; a
//   refusal is logged and shutdown goes on), then stops the recorder and returns.
// - On cancellation (a ServiceGroup that is cancelled, or whose other service failed) it stops
//   the recorder without a snapshot: the group is going down at once, not draining.
// - The recorder is stopped on every way out of `run()`, including a failed start (which
//   `run()` throws: the group then shuts down, as for any service that fails).
// - A ServiceGroup shuts its services down in reverse order: listed before the server, the
//   recorder is stopped after the server has drained, so the last snapshot holds the drain.

import FlightRecorder
#if ServiceLifecycle
import Logging
import ServiceLifecycle

public struct FlightRecorderService: Service {
    public let recorder: FlightRecorder
    /// Where the snapshot taken on graceful shutdown goes; nil for none.
    public let lastSnapshot: SnapshotLimiter?
    private let logger: Logger

    /// `lastSnapshot`: a limiter through which one snapshot is written on graceful shutdown
    /// (trigger reason "shutdown").
    public init(recorder: FlightRecorder, lastSnapshot: SnapshotLimiter? = nil,
                logger: Logger = Logger(label: "FlightRecorderService")) {
        self.recorder = recorder
        self.lastSnapshot = lastSnapshot
        self.logger = logger
    }

    public func run() async throws {
        defer { recorder.stop() }
        try recorder.start()
        do {
            try await gracefulShutdown()
        } catch is CancellationError {
            logger.debug("flight recorder stopped on cancellation")
            return
        }
        guard let lastSnapshot else { return }
        do {
            let written = try lastSnapshot.writeSnapshot(of: recorder, trigger: SnapshotTrigger("shutdown"))
            logger.info("last snapshot written", metadata: ["path": "\(written.path)"])
        } catch {
            // The limiter has logged why; shutdown goes on.
        }
    }
}
#endif
