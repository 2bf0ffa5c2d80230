// The part of a server integration's on-demand snapshot endpoint that no framework changes: the
// trigger it names, the snapshot taken off the cooperative pool, and which failures mean "try
// again" (503) rather than a server error (500).
//
// Invariants:
// - The snapshot is taken on a thread of its own (OffThreadWork): compressing a window must not
//   hold a cooperative thread.
// - Every error comes back as a FlightRecorderError (others as `.io`), never thrown.

package enum OnDemandSnapshot {
    /// A snapshot of `recorder` triggered by `method path` from `client`.
    package static func take(_ recorder: FlightRecorder, path: String, method: String,
                             client: String) async -> Result<[UInt8], FlightRecorderError> {
        let trigger = SnapshotTrigger("on demand \(path)", fields: [
            .init("method", method), .init("path", path), .init("client", client),
        ])
        return await OffThreadWork.run {
            do {
                return .success(try recorder.snapshot(trigger: trigger))
            } catch let error as FlightRecorderError {
                return .failure(error)
            } catch {
                return .failure(.io("\(error)"))
            }
        }
    }

    /// Whether the failure is passing (another snapshot in progress, recording stopped): the
    /// client may retry.
    package static func isBusy(_ error: FlightRecorderError) -> Bool {
        error == .snapshotInProgress || error == .notRecording
    }
}
