// tracexport: converts flight-recorder snapshots (and Go execution traces) into files trace
// viewers open. One subcommand per output format, like swift-argument-parser's one generator
// per shell.
//
// Invariants:
// - Output goes to stdout or the -o file only; stderr carries errors, damage reports, warnings
//   and (on a terminal) progress.
// - Exit status: 0 on success (also when damaged input was partly converted, unless --strict),
//   1 on any error, 64 on bad usage (swift-argument-parser's).

import ArgumentParser

@main
struct TraceExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracexport",
        abstract: "Convert flight-recorder snapshots and Go execution traces for trace viewers.",
        discussion: """
            Examples:
              tracexport chrome trace.1.out -o t.json      # open t.json in ui.perfetto.dev
              tracexport perfetto trace.1.out -o t.pftrace # the same, smaller, for large traces
              tracexport folded trace.1.out | flamegraph.pl > fg.svg
              tracexport flamegraph trace.1.out -o fg.svg  # no Perl needed
              tracexport pprof trace.1.out -o t.pb.gz      # go tool pprof -top t.pb.gz
              tracexport summary --sort wait trace.1.out
              cat trace.1.out | tracexport info -
            """,
        subcommands: [ChromeCommand.self, PerfettoCommand.self, FoldedCommand.self, SummaryCommand.self, InfoCommand.self,
                      PprofCommand.self, FlameGraphCommand.self])
}
