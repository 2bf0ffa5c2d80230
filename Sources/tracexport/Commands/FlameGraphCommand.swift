// `tracexport flamegraph`: an interactive hot/cold flame graph SVG.

import ArgumentParser
import TraceExporters

struct FlameGraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flamegraph",
        abstract: "A self-contained interactive flame graph SVG (open it in a browser).",
        discussion: """
            Frames as in folded (one per distinct stack prefix), width = time. Execution is \
            drawn in warm colors, waiting (scheduling wait, blocked, syscall) in cold ones. \
            Click a frame to zoom, search with the box (or Ctrl-F), hover for time and share.
            """)

    @OptionGroup var io: InputOptions

    @Option(help: "Which state's time to draw.")
    var state: FlameGraphOptions.StateFilter = .all

    @Option(help: "Image width in pixels.")
    var width = 1200

    @Option(name: .customLong("min-width"), help: ArgumentHelp("Leave out frames narrower than this many pixels (0: keep all).",
                                                                 valueName: "pixels"))
    var minWidth = 0.1

    @Option(help: "Title line (default: what the graph shows and the trace's trigger).")
    var title = ""

    func validate() throws {
        guard width >= 200 else { throw ValidationError("--width must be at least 200") }
        guard minWidth >= 0 else { throw ValidationError("--min-width must be 0 or more") }
    }

    func run() throws {
        let options = FlameGraphOptions(state: state, width: width, minimumFramePixels: minWidth, title: title)
        try Conversion.run(FlameGraphExporter(options: options), options: io)
    }
}
