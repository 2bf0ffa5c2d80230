// What the Perfetto exporter includes besides the task tracks (ChromeOptions' choices), and how
// its packets are framed.
//
// Invariants:
// - Every combination produces a valid trace with strictly nested tracks; options only remove
//   whole kinds of events; `compressed` changes the framing, never the packets.

public struct PerfettoOptions: Sendable, Equatable {
    /// A "Threads" group with one track per thread showing which task ran there (and the
    /// regions opened on the thread alone).
    public var threadTracks: Bool
    /// Arrows from a waker to the task it woke, and from an actor hold to the next one it
    /// handed the actor to.
    public var flows: Bool
    /// State and region slices carry the stack of the event that began them, as an interned
    /// callstack (chrome's `sf` and `stackFrames`).
    public var stacks: Bool
    /// Packets deflated in runs inside `compressed_packets` containers (Perfetto's own
    /// compression, read by every trace processor and the UI); false writes them bare.
    public var compressed: Bool

    public init(threadTracks: Bool = true, flows: Bool = true, stacks: Bool = true, compressed: Bool = true) {
        self.threadTracks = threadTracks
        self.flows = flows
        self.stacks = stacks
        self.compressed = compressed
    }
}
