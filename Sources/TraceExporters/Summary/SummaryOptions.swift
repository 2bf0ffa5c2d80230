// How the summary is written and ordered.
//
// Invariants:
// - Sorting is descending by the chosen time, then ascending by task id or name: the order is
//   total and therefore the output deterministic.

public struct SummaryOptions: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        case text, json, csv
    }

    /// exec = running, wait = scheduling wait (runnable), blocked = all blocked reasons,
    /// total = all states.
    public enum SortKey: String, Sendable, CaseIterable {
        case exec, wait, blocked, total
    }

    public var format: Format
    public var sort: SortKey
    /// Per-task rows kept: the largest by `sort`; 0 keeps every task (memory then grows with
    /// the number of tasks). Groups and regions always cover every task.
    public var maxTasks: Int

    public static let defaultMaxTasks = 10_000

    public init(format: Format = .text, sort: SortKey = .total, maxTasks: Int = SummaryOptions.defaultMaxTasks) {
        self.format = format
        self.sort = sort
        self.maxTasks = maxTasks
    }
}
