// `ping-server`: the article's Go server in Swift. `GET /ping` answers `pong, duration=...`;
// with probability --slow-probability it runs the slow path (100 x 10 ms blocking sleeps, then
// 100 short tasks on a 2-thread recording executor and a 1 s sleep); requests over the
// threshold write trace.1.out, trace.2.out ... (at most --max-snapshots) in the working
// directory.
//
// Invariants:
// - With --no-recording nothing records: the recorder is not started and the global executor
//   is not taken over; the server is otherwise identical (same middleware, same executor), so
//   the two modes compare the cost of recording alone.
// - By default, while recording, every task of the process is recorded (GlobalExecutorTakeover),
//   so Hummingbird's own request tasks appear in snapshots; --no-global-takeover records only
//   the tasks that prefer the 2-thread executor.
// - Snapshot files go through SnapshotLimiter: never more than --max-snapshots files named
//   trace.N.out in --snapshot-dir (existing ones count), never outside it.

#if Hummingbird
import ArgumentParser
import FlightRecorder
import Hummingbird
import Logging

@main
struct PingServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ping-server",
        abstract: "The flight-recorder article's ping server: slow requests write trace.N.out snapshots.")

    @Option(help: "Port to listen on.")
    var port = 5051

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Probability that a request takes the slow path (0...1).")
    var slowProbability = 0.333

    @Option(help: "Most snapshot files to keep in the snapshot directory.")
    var maxSnapshots = 2

    @Option(help: "Requests taking at least this many milliseconds are snapshotted.")
    var thresholdMs = 500

    @Option(help: "Minimum seconds between two snapshot files.")
    var snapshotInterval = 0.0

    @Option(help: "Directory for trace.N.out files.")
    var snapshotDir = "."

    @Flag(help: "Do not record (to measure what recording costs).")
    var noRecording = false

    @Flag(help: "Record only tasks on the 2-thread executor, not every task of the process.")
    var noGlobalTakeover = false

    @Flag(help: "Serve GET /debug/flightrecorder (fresh snapshot) to loopback clients.")
    var debugEndpoint = false

    @Flag(help: .hidden)
    var takeoverWithoutRecording = false

    func validate() throws {
        guard (0...1).contains(slowProbability) else { throw ValidationError("--slow-probability must be in 0...1") }
        guard maxSnapshots >= 0 else { throw ValidationError("--max-snapshots must not be negative") }
        guard thresholdMs >= 0, snapshotInterval >= 0 else { throw ValidationError("durations must not be negative") }
        guard snapshotInterval <= 1_000_000 else { throw ValidationError("--snapshot-interval must be at most 1000000 seconds") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535 (0: any free port)") }
    }

    func run() async throws {
        var logger = Logger(label: "ping-server")
        logger.logLevel = .info
        let limiter = try SnapshotLimiter(directory: snapshotDir, maxFiles: maxSnapshots,
                                          minInterval: .milliseconds(Int64(snapshotInterval * 1000)))
        let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .seconds(5)))
        if !noRecording {
            if !noGlobalTakeover { try GlobalExecutorTakeover.install() }
            try recorder.start()
        } else if takeoverWithoutRecording {
            // Measurement only: the takeover's hook and hand-off to Dispatch with nothing
            // recorded, to separate the cost of intercepting every job from that of its stamps.
            try GlobalExecutorTakeover.install()
        }
        defer {
            recorder.stop()
            if GlobalExecutorTakeover.isInstalled { GlobalExecutorTakeover.uninstall() }
        }
        let executor = RecordingExecutor(threads: 2, name: "ping-worker")
        defer { executor.shutdown() }
        let probability = slowProbability
        let app = PingApplication(
            recorder: recorder, limiter: limiter,
            workload: PingWorkload(plan: SlowPathPlan(), executor: executor),
            threshold: .milliseconds(thresholdMs), debugEndpoint: debugEndpoint,
            isSlow: { probability > 0 && Double.random(in: 0..<1) < probability },
            logger: logger)
        logger.info("ping-server", metadata: [
            "recording": "\(!noRecording)", "globalTakeover": "\(!noRecording && !noGlobalTakeover)",
            "slowProbability": "\(slowProbability)", "maxSnapshots": "\(maxSnapshots)",
            "snapshotDir": "\(limiter.directory)", "debugEndpoint": "\(debugEndpoint)",
        ])
        try await app.makeApplication(host: host, port: port).runService()
    }
}
#endif
