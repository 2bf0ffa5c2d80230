// The four output formats as subcommands. Each only builds its exporter's options and hands
// over to Conversion.
//
// Invariants:
// - Option values are the exporters' own enums (no second list of accepted values to drift).

import ArgumentParser
import TraceExporters

extension FoldedOptions.StateFilter: ExpressibleByArgument {}
extension FoldedOptions.Unit: ExpressibleByArgument {}
extension SummaryOptions.Format: ExpressibleByArgument {}
extension SummaryOptions.SortKey: ExpressibleByArgument {}
extension InfoOptions.Format: ExpressibleByArgument {}

struct ChromeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chrome",
        abstract: "Chrome trace-event JSON (Perfetto UI, chrome://tracing, speedscope).",
        discussion: """
            A track per task with its states (running, runnable, blocked: <reason>, syscall) \
            inside its regions, a track per thread showing which task ran, flow arrows from \
            waker to woken task, logs as instants, counters. Times are microseconds from the \
            trace's start, also with --start or --split.
            """)

    @OptionGroup var io: InputOptions

    @Flag(name: .customLong("no-thread-tracks"), help: "Leave out the Threads process.")
    var noThreadTracks = false

    @Flag(name: .customLong("no-flows"), help: "Leave out the wake-up arrows.")
    var noFlows = false

    @Flag(name: .customLong("no-stacks"), help: "Leave out stackFrames and the slices' sf.")
    var noStacks = false

    @Option(help: ArgumentHelp("Write numbered files of at most this size (100MB, 1GB, 64MiB): -o out.json gives out.1.json, out.2.json, ..., each a whole trace of its time range that carries the state at its start.",
                               valueName: "size"))
    var split: ByteSize?

    func run() throws {
        let options = ChromeOptions(threadTracks: !noThreadTracks, flows: !noFlows, stackFrames: !noStacks)
        if let split {
            try Conversion.runSplit({ ChromeTraceExporter(options: options) }, size: split, options: io)
        } else {
            try Conversion.run(ChromeTraceExporter(options: options), options: io)
        }
    }
}

struct FoldedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "folded",
        abstract: "Folded stacks for flamegraph.pl, inferno and speedscope.",
        discussion: """
            Frames: the task group, then the captured stack of the state (or the open regions), \
            then with --state all (and blocked) a leaf naming the state. Weight: time in that \
            state, in --unit. Frame names are escaped: ';' becomes ':', control characters \
            spaces, and a space before a trailing number '_'.
            """)

    @OptionGroup var io: InputOptions

    @Option(help: "Which state's time to weigh.")
    var state: FoldedOptions.StateFilter = .all

    @Option(help: "Unit of the weights (ns is exact; us rounds each line).")
    var unit: FoldedOptions.Unit = .ns

    func run() throws {
        try Conversion.run(FoldedStacksExporter(options: FoldedOptions(state: state, unit: unit)), options: io)
    }
}

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Time per task, task group and region: execution, scheduling wait, blocked by reason, syscall.")

    @OptionGroup var io: InputOptions

    @Option(help: "Output format (json follows Schemas/summary.schema.json).")
    var format: SummaryOptions.Format = .text

    @Option(help: "Order rows by this time, largest first.")
    var sort: SummaryOptions.SortKey = .total

    @Option(help: ArgumentHelp("List at most this many tasks, those with the most --sort time (0: all; memory then grows with the number of tasks). Groups and regions always count every task.",
                               valueName: "n"))
    var maxTasks = SummaryOptions.defaultMaxTasks

    func validate() throws {
        guard maxTasks >= 0 else { throw ValidationError("--max-tasks must be 0 or more") }
    }

    func run() throws {
        let options = SummaryOptions(format: format, sort: sort, maxTasks: maxTasks)
        try Conversion.run(SummaryExporter(options: options), options: io)
    }
}

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "What a trace holds: format, window, events by kind, tasks, threads, sizes, trigger.")

    @OptionGroup var io: InputOptions

    @Option(help: "Output format.")
    var format: InfoOptions.Format = .text

    func run() throws {
        try Conversion.run(InfoExporter(options: InfoOptions(format: format)), options: io)
    }
}
