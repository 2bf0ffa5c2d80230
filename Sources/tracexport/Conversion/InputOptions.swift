// Options every converting subcommand shares: the input, the output file, strictness, and the
// time window to convert.
//
// Invariants:
// - "-" as input means standard input; no -o means standard output.
// - --start and --end are durations from the trace's start; without either the whole trace is
//   converted. An empty window (--end not after --start) is a one-line error, exit 1, before
//   the input is opened.

import ArgumentParser
import TraceExporters

struct InputOptions: ParsableArguments {
    @Argument(help: "The trace to read: a tracexport snapshot or a Go execution trace ('-' for stdin).")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout (replaced atomically).",
                                                    valueName: "file"))
    var output: String?

    @Flag(help: "Exit 1 if the input is damaged, instead of converting what is intact.")
    var strict = false

    @Option(help: ArgumentHelp("Convert from this long after the trace's start (1.5s, 250ms, 300us, 0). What is running, waiting or open then is included from there.",
                               valueName: "duration"))
    var start: WindowDuration?

    @Option(help: ArgumentHelp("Convert until this long after the trace's start. What is still running, waiting or open then ends there.",
                               valueName: "duration"))
    var end: WindowDuration?

    @Flag(help: "Read and convert on one thread (by default reading, decompressing and decoding run ahead on a second one).")
    var singleThread = false

    /// The window --start and --end give, nil for the whole trace.
    func window() throws(CLIError) -> TraceWindow? {
        guard start != nil || end != nil else { return nil }
        do {
            return try TraceWindow(startOffsetNs: start?.ns ?? 0, endOffsetNs: end?.ns)
        } catch {
            throw CLIError(subject: input, message: error.message)
        }
    }
}

/// A duration argument: `1.5s`, `250ms`, `300us`, `40ns`, `0`.
struct WindowDuration: ExpressibleByArgument {
    var ns: Int64

    init?(argument: String) {
        guard let ns = TraceWindow.parseDuration(argument) else { return nil }
        self.ns = ns
    }
}
