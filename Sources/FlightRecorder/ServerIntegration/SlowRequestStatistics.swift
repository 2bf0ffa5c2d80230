// What a server integration's slow-request middleware did, for dashboards, logs and tests.
//
// Invariants:
// - Every request the middleware finished timing is counted once in `requests`; a request at
//   or above the threshold is counted once in `slowRequests` and then exactly once in either
//   `snapshotsTaken` or `snapshotsRefused`, after its snapshot attempt has ended. So
//   `snapshotsTaken + snapshotsRefused == slowRequests` whenever no attempt is in flight.
// - Counters only grow; they are relaxed atomics (no ordering with the snapshot files is
//   promised beyond "the file is in place before `snapshotsTaken` counts it").

import Synchronization

public final class SlowRequestStatistics: Sendable {
    private let requestCount = Atomic<Int>(0)
    private let slowCount = Atomic<Int>(0)
    private let takenCount = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)

    public init() {}

    /// Requests the middleware finished timing (see its type for where the time ends).
    public var requests: Int { requestCount.load(ordering: .relaxed) }
    /// Requests that took at least the threshold.
    public var slowRequests: Int { slowCount.load(ordering: .relaxed) }
    /// Snapshot files written for slow requests.
    public var snapshotsTaken: Int { takenCount.load(ordering: .acquiring) }
    /// Slow requests whose snapshot was refused (limiter budget, interval, busy, not recording, I/O).
    public var snapshotsRefused: Int { refusedCount.load(ordering: .acquiring) }

    func countRequest() { requestCount.add(1, ordering: .relaxed) }
    func countSlow() { slowCount.add(1, ordering: .relaxed) }
    func countTaken() { takenCount.add(1, ordering: .releasing) }
    func countRefused() { refusedCount.add(1, ordering: .releasing) }
}
