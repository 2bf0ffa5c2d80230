// `tracexport perfetto`: Perfetto's native protobuf trace. Binary output goes to the -o file,
// or to stdout only when stdout is not a terminal (a pipe or a redirect).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import TraceExporters

struct PerfettoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perfetto",
        abstract: "Perfetto's protobuf trace (ui.perfetto.dev, trace_processor): the chrome content, far smaller.",
        discussion: """
            The tracks of `chrome` (tasks with their states inside their regions, threads, \
            counters, actors, the slow request, the slices' stacks, the trace's metadata) as \
            TrackDescriptor and TrackEvent packets with interned names and stacks, deflated in \
            runs the way Perfetto's tracing service compresses (compressed_packets), for traces \
            too large for JSON viewers. Writes binary: give -o FILE or redirect stdout.
            """)

    @OptionGroup var io: InputOptions

    @Flag(name: .customLong("no-thread-tracks"), help: "Leave out the Threads tracks.")
    var noThreadTracks = false

    @Flag(name: .customLong("no-flows"), help: "Leave out the wake-up and hand-off arrows.")
    var noFlows = false

    @Flag(name: .customLong("no-stacks"), help: "Leave out the slices' callstacks.")
    var noStacks = false

    @Flag(name: .customLong("no-compression"),
          help: "Write the packets bare instead of deflated in compressed_packets containers (3-4x larger).")
    var noCompression = false

    func run() throws {
        if io.output == nil && isatty(1) == 1 {
            throw CLIError(subject: "stdout", message: "is a terminal; write the binary trace with -o FILE or redirect it").exit()
        }
        let options = PerfettoOptions(threadTracks: !noThreadTracks, flows: !noFlows, stacks: !noStacks,
                                      compressed: !noCompression)
        try Conversion.run(PerfettoTraceExporter(options: options), options: io)
    }
}
