// What the pprof exporter writes: which states' times become sample types, and whether the
// profile is gzipped.
//
// Invariants:
// - Sample types are the admitted states in a fixed order: execution, scheduling_wait,
//   blocked, syscall (unit nanoseconds); `--state all` gives all four.
// - Uncompressed output is the same profile.proto bytes that gzip would wrap (pprof reads
//   both).

public struct PprofOptions: Sendable, Equatable {
    public typealias StateFilter = FoldedOptions.StateFilter

    public var state: StateFilter
    public var gzip: Bool

    public init(state: StateFilter = .all, gzip: Bool = true) {
        self.state = state
        self.gzip = gzip
    }
}
