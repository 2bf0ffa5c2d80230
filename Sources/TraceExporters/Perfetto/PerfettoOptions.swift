// What the Perfetto exporter includes besides the task tracks (ChromeOptions' choices).
//
// Invariants:
// - Every combination produces a valid trace with strictly nested tracks; options only remove
//   whole kinds of events.

public struct PerfettoOptions: Sendable, Equatable {
    /// A "Threads" group with one track per thread showing which task ran there (and the
    /// regions opened on the thread alone).
    public var threadTracks: Bool
    /// Arrows from a waker to the task it woke, and from an actor hold to the next one it
    /// handed the actor to.
    public var flows: Bool

    public init(threadTracks: Bool = true, flows: Bool = true) {
        self.threadTracks = threadTracks
        self.flows = flows
    }
}
