// What the flame graph exporter draws: which states' time, how wide, which frames are too
// narrow to draw.
//
// Invariants:
// - Frames are the folded exporter's for the same `state` (one frame per distinct prefix of a
//   folded line), minus those narrower than `minimumFramePixels` at full width (and all
//   their descendants, which are narrower still), as flamegraph.pl's --minwidth does.

public struct FlameGraphOptions: Sendable, Equatable {
    public typealias StateFilter = FoldedOptions.StateFilter

    public var state: StateFilter
    /// Image width in pixels.
    public var width: Int
    /// Frames narrower than this at full width are left out (0 keeps every frame).
    public var minimumFramePixels: Double
    /// The title line; empty: "Where tasks spent their time" and the trace's trigger.
    public var title: String

    public init(state: StateFilter = .all, width: Int = 1200, minimumFramePixels: Double = 0.1, title: String = "") {
        self.state = state
        self.width = width
        self.minimumFramePixels = minimumFramePixels
        self.title = title
    }
}
