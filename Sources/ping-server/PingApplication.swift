// The ping server's routes and middleware, separate from argument parsing so tests run the
// same application in-process.
//
// Invariants:
// - `GET /ping` answers `pong, duration=<Go-style duration>\n`, the time the handler took;
//   when `isSlow()` says so, the handler first runs the workload's slow path.
// - Middleware order: the on-demand endpoint (when enabled) first, so downloading a snapshot is
//   never itself timed as a slow request; then the slow-request middleware around every route.

#if Hummingbird
import FlightRecorder
import FlightRecorderHummingbird
import Hummingbird
import Logging

struct PingApplication {
    var recorder: FlightRecorder
    var limiter: SnapshotLimiter
    var workload: PingWorkload
    var threshold: Duration = .milliseconds(500)
    var debugEndpoint = false
    var isSlow: @Sendable () -> Bool
    var statistics = SlowRequestStatistics()
    var logger = Logger(label: "ping-server")

    func makeRouter() -> Router<FlightRecorderRequestContext> {
        let router = Router(context: FlightRecorderRequestContext.self)
        if debugEndpoint {
            router.add(middleware: FlightRecorderEndpoint(recorder: recorder))
        }
        router.add(middleware: SlowRequestSnapshotMiddleware(recorder: recorder, limiter: limiter, threshold: threshold,
                                                             statistics: statistics))
        let (workload, isSlow) = (self.workload, self.isSlow)
        router.get("/ping") { _, _ -> String in
            let start = ContinuousClock.now
            if isSlow() {
                await workload.slowPath()
            }
            return "pong, duration=\(GoDuration.text(ContinuousClock.now - start))\n"
        }
        return router
    }

    func makeApplication(host: String, port: Int,
                         onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        Application(router: makeRouter(),
                    configuration: .init(address: .hostname(host, port: port), serverName: "ping-server"),
                    onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
                    logger: logger)
    }
}

/// Durations written the way Go's time.Duration prints them ("2.126059041s", "4.333µs").
enum GoDuration {
    static func text(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let ns = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        if ns < 1000 { return "\(ns)ns" }
        if ns < 1_000_000 { return decimal(ns, unit: 1000) + "µs" }
        if ns < 1_000_000_000 { return decimal(ns, unit: 1_000_000) + "ms" }
        return decimal(ns, unit: 1_000_000_000) + "s"
    }

    /// `value / unit` with every significant decimal, trailing zeros dropped.
    private static func decimal(_ value: Int64, unit: Int64) -> String {
        let whole = String(value / unit)
        var fraction = String(value % unit)
        let digits = String(unit).count - 1
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return fraction.isEmpty ? whole : whole + "." + fraction
    }
}
#endif
