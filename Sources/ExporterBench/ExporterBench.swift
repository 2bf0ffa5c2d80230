// ExporterBench: times one exporter over a synthetic event stream (no reader, no input file),
// writing to /dev/null through the same OutputBuffer path as a real conversion. A measuring
// tool for BENCHMARKS.md, not part of the CLI users get: `swift run -c release ExporterBench
// chrome --events 10000000`.
//
// Invariants:
// - Reports wall time and process CPU time (one thread: CPU time is single-core time),
//   events per second and output MB per second (MB = 10^6 bytes).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import TraceExporters
import TraceModel

@main
struct ExporterBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ExporterBench",
        abstract: "Time an exporter over a synthetic event stream.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case chrome, perfetto, folded, summary, info, pprof, flamegraph
        /// Only reads the synthetic stream: the generator's own cost, to subtract.
        case drain
    }

    @Argument(help: "Which exporter to time.")
    var format: Format

    @Option(help: "Number of events to generate.")
    var events: Int64 = 20_000_000

    @Option(help: "Concurrent tasks in the synthetic stream.")
    var tasks = 1_000

    @Flag(help: "Make the whole stream one slow request (the trigger names task 1, the parent of all others).")
    var request = false

    func run() throws {
        let devNull = open("/dev/null", O_WRONLY)
        guard devNull >= 0 else { throw ValidationError("/dev/null: cannot open") }
        defer { close(devNull) }
        var output = OutputBuffer(fileDescriptor: devNull)
        var reader = SyntheticEventStream(events: events, tasks: tasks, request: request)
        let wall0 = Self.wallNs(), cpu0 = Self.cpuNs()
        switch format {
        case .chrome:
            var e = ChromeTraceExporter()
            try e.run(&reader, output: &output)
        case .perfetto:
            var e = PerfettoTraceExporter()
            try e.run(&reader, output: &output)
        case .folded:
            var e = FoldedStacksExporter()
            try e.run(&reader, output: &output)
        case .summary:
            var e = SummaryExporter(options: SummaryOptions(format: .json))
            try e.run(&reader, output: &output)
        case .info:
            var e = InfoExporter()
            try e.run(&reader, output: &output)
        case .pprof:
            var e = PprofExporter()
            try e.run(&reader, output: &output)
        case .flamegraph:
            var e = FlameGraphExporter()
            try e.run(&reader, output: &output)
        case .drain:
            while let event = try reader.next() { Self.sink(event) }
        }
        let wall = Double(Self.wallNs() - wall0) / 1e9, cpu = Double(Self.cpuNs() - cpu0) / 1e9
        let bytes = Double(output.totalBytes)
        print("\(format.rawValue): \(events) events, \(output.totalBytes) bytes out;"
              + " wall \(Self.fixed(wall, 3)) s, cpu \(Self.fixed(cpu, 3)) s;"
              + " \(Self.fixed(Double(events) / cpu / 1e6, 2)) M events/s,"
              + " \(Self.fixed(bytes / cpu / 1e6, 1)) MB/s (per CPU second)")
    }

    /// Keeps the optimizer from dropping the drained events.
    @inline(never)
    static func sink(_ event: TraceEvent) {
        if event.timeNs == .min { print(event) }
    }

    static func cpuNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func fixed(_ v: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded() / scale
        return String(r)
    }

    static func wallNs() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

}
