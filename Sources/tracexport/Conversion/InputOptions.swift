// Options every converting subcommand shares: the input, the output file, strictness.
//
// Invariants:
// - "-" as input means standard input; no -o means standard output.

import ArgumentParser

struct InputOptions: ParsableArguments {
    @Argument(help: "The trace to read: a tracexport snapshot or a Go execution trace ('-' for stdin).")
    var input: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout (replaced atomically).",
                                                    valueName: "file"))
    var output: String?

    @Flag(help: "Exit 1 if the input is damaged, instead of converting what is intact.")
    var strict = false
}
