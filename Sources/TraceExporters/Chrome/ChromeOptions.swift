// What the Chrome exporter includes besides the task tracks.
//
// Invariants:
// - Every combination produces valid, strictly nested Chrome trace JSON; options only remove
//   whole kinds of events.

public struct ChromeOptions: Sendable, Equatable {
    /// A "Threads" process with one track per thread showing which task ran there (and the
    /// regions opened on the thread alone).
    public var threadTracks: Bool
    /// Flow arrows from a waker to the task it woke, and from an actor hold to the next one it
    /// handed the actor to.
    public var flows: Bool
    /// `stackFrames` (written once) and `sf` on slices whose event carried a stack.
    public var stackFrames: Bool

    public init(threadTracks: Bool = true, flows: Bool = true, stackFrames: Bool = true) {
        self.threadTracks = threadTracks
        self.flows = flows
        self.stackFrames = stackFrames
    }
}
