// Hummingbird middleware that writes a flight-recorder snapshot when a request is slow: the
// article's tracingMiddleware, with the article's maxSnapshots made a SnapshotLimiter.
//
// Invariants:
// - A request is timed from entering this middleware to the end of writing its response body
//   (the body is wrapped, so streaming bodies count), or to the error thrown by the rest of the
//   chain (then its status is the error's HTTP status, else 500). A body whose writing fails is
//   timed to the failure. A response whose body is never written (the client went away before
//   the server started writing it) is not timed.
// - A request at or above `threshold` asks the limiter for one snapshot with trigger reason
//   "slow request METHOD PATH STATUS DURATION" and fields method, path, status, durationMs,
//   thresholdMs. The attempt ends before the response's body writer returns, and is counted in
//   `statistics` as taken or refused; it never throws into the request.
// - The snapshot is written on a Dispatch thread, not on the cooperative pool.
// - Below the threshold the only costs are two clock reads, a closure allocation for the
//   wrapped body and a relaxed atomic increment.

import FlightRecorder
import Hummingbird
import Logging

public struct SlowRequestSnapshotMiddleware<Context: RequestContext>: RouterMiddleware {
    public let recorder: FlightRecorder
    public let limiter: SnapshotLimiter
    public let threshold: Duration
    public let statistics: SlowRequestStatistics
    let logger: Logger

    /// - Parameters:
    ///   - recorder: the recorder to snapshot (nothing is written while it does not record).
    ///   - limiter: where snapshots go and how many of them (`trace.N.out`, count, bytes, interval).
    ///   - threshold: requests taking at least this long are snapshotted (the article: 500 ms).
    public init(recorder: FlightRecorder, limiter: SnapshotLimiter, threshold: Duration = .milliseconds(500),
                statistics: SlowRequestStatistics = SlowRequestStatistics(),
                logger: Logger = Logger(label: "FlightRecorderHummingbird.SlowRequest")) {
        self.recorder = recorder
        self.limiter = limiter
        self.threshold = threshold
        self.statistics = statistics
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let path = request.uri.path
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            await finished(method: method, path: path, status: status.code, start: start)
            throw error
        }
        let status = response.status.code
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(writer)
            } catch {
                await finished(method: method, path: path, status: status, start: start)
                throw error
            }
            await finished(method: method, path: path, status: status, start: start)
        }
        return response
    }

    private func finished(method: String, path: String, status: Int, start: ContinuousClock.Instant) async {
        let elapsed = ContinuousClock.now - start
        statistics.countRequest()
        guard elapsed >= threshold else { return }
        statistics.countSlow()
        let ns = DurationText.nanoseconds(elapsed)
        let trigger = SnapshotTrigger(
            "slow request \(method) \(path) \(status) \(DurationText.text(nanoseconds: ns))",
            fields: [
                .init("method", method), .init("path", path), .init("status", String(status)),
                .init("durationMs", DurationText.milliseconds(nanoseconds: ns)),
                .init("thresholdMs", DurationText.milliseconds(nanoseconds: DurationText.nanoseconds(threshold))),
            ])
        var metadata: Logger.Metadata = [
            "method": "\(method)", "path": "\(path)", "status": "\(status)",
            "duration": "\(DurationText.text(nanoseconds: ns))",
        ]
        guard recorder.isRecording else {
            statistics.countRefused()
            metadata["snapshot"] = "not taken: the flight recorder is not recording"
            logger.notice("slow request", metadata: metadata)
            return
        }
        let (recorder, limiter) = (self.recorder, self.limiter)
        let outcome: Result<SnapshotLimiter.Written, SnapshotLimiter.Refusal> = await OffThreadWork.run {
            do throws(SnapshotLimiter.Refusal) {
                return .success(try limiter.writeSnapshot(of: recorder, trigger: trigger))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let written):
            statistics.countTaken()
            metadata["snapshot"] = "\(written.path)"
            metadata["snapshotBytes"] = "\(written.bytes)"
            logger.notice("slow request: snapshot written", metadata: metadata)
        case .failure(let refusal):
            statistics.countRefused()
            metadata["snapshot"] = "refused: \(refusal)"
            logger.notice("slow request: snapshot refused", metadata: metadata)
        }
    }
}
