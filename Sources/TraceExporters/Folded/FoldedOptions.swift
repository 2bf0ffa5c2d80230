// Which state time the folded exporter weighs, and in which unit.
//
// Invariants:
// - Weights are integers. In nanoseconds they are exact, so each state's weights add up to
//   the summary's total for that state; in microseconds each line is rounded on its own.

import TraceModel

public struct FoldedOptions: Sendable, Equatable {
    public enum StateFilter: String, Sendable, CaseIterable {
        case running, runnable, blocked, syscall, all

        @inline(__always)
        func admits(_ state: TaskState) -> Bool {
            switch (self, state) {
            case (_, .ended): false
            case (.all, _): true
            case (.running, .running), (.runnable, .runnable), (.blocked, .blocked), (.syscall, .syscall): true
            default: false
            }
        }

        /// `all` needs a leaf per state to tell them apart; `blocked` keeps the reason as a leaf.
        var hasStateLeaf: Bool { self == .all || self == .blocked }
    }

    public enum Unit: String, Sendable, CaseIterable {
        case ns, us
    }

    public var state: StateFilter
    public var unit: Unit

    public init(state: StateFilter = .all, unit: Unit = .ns) {
        self.state = state
        self.unit = unit
    }
}
