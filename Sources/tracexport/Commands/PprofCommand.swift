// `tracexport pprof`: a gzipped pprof profile of where tasks spent their time.

import ArgumentParser
import TraceExporters

struct PprofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pprof",
        abstract: "A pprof profile (gzipped profile.proto) for go tool pprof, Pyroscope, Polar Signals, speedscope.",
        discussion: """
            Sample types: execution, scheduling_wait, blocked, syscall (nanoseconds; --state \
            keeps one). Stacks as in folded: the task group, then the captured stack with file \
            and line (or the open regions), with blocked time under a [blocked: <reason>] leaf. \
            Labels task_group and blocked_reason. Example: go tool pprof -top \
            -sample_index=blocked t.pb.gz
            """)

    @OptionGroup var io: InputOptions

    @Option(help: "Which state's time to keep (all: one sample type per state).")
    var state: PprofOptions.StateFilter = .all

    @Flag(name: .customLong("no-gzip"), help: "Write the profile.proto bytes uncompressed.")
    var noGzip = false

    func run() throws {
        try Conversion.run(PprofExporter(options: PprofOptions(state: state, gzip: !noGzip)), options: io)
    }
}
