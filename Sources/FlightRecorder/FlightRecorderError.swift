// Errors the recorder reports.
//
// Invariants: every case's description is one line that says what to do.

public enum FlightRecorderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `start()` on a recorder that is already recording.
    case alreadyRecording
    /// `start()` while a different recorder of this process records (one at a time).
    case anotherRecorderIsRecording
    /// A snapshot of a recorder that is not recording.
    case notRecording
    /// A snapshot while another snapshot is being written (snapshots do not queue).
    case snapshotInProgress
    /// Writing the snapshot failed.
    case io(String)

    public var description: String {
        switch self {
        case .alreadyRecording: "flight recorder is already recording: start() was called twice"
        case .anotherRecorderIsRecording: "another flight recorder is recording in this process: stop it first (one recorder at a time)"
        case .notRecording: "flight recorder is not recording: call start() before taking a snapshot"
        case .snapshotInProgress: "a snapshot is already being written: retry after it finishes"
        case .io(let message): "snapshot write failed: \(message)"
        }
    }
}
