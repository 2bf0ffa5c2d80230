// Hummingbird middleware that runs every request as a logical task of the flight recorder and
// writes a snapshot when a request is slow: the article's tracingMiddleware, with the article's
// maxSnapshots made a SnapshotLimiter.
//
// Invariants:
// - A request is timed from entering this middleware to the end of writing its response body
//   (the body is wrapped, so streaming bodies count), or to the error thrown by the rest of the
//   chain (then its status is the error's HTTP status, else 500). A body whose writing fails is
//   timed to the failure. A response whose body is never written (the client went away before
//   the server started writing it) is not timed.
// - While the recorder records, the request is a logical task named `METHOD route`: the route
//   is the pattern the router matched (`GET /users/{id}`; added with `router.add(middleware:)`,
//   this middleware runs after routing), else the raw path. The rest of the chain and the body
//   write run inside it, so their regions and logs are the task's. When the request is timed,
//   the task logs (category "http") `path=... status=... durationMs=...` and ends, before any
//   snapshot is taken; a body never written ends the task when Hummingbird drops it.
// - A request at or above `threshold` asks the limiter for one snapshot with trigger reason
//   "slow request METHOD PATH STATUS DURATION" and fields method, path, status, durationMs,
//   thresholdMs, route and, when the request's task was recorded, task (its decimal id). The
//   attempt ends before the response's body writer returns, and is counted in `statistics` as
//   taken or refused; it never throws into the request.
// - The snapshot is written on a Dispatch thread, not on the cooperative pool.
// - Below the threshold, while nothing records, the only costs are two clock reads, a read of
//   the matched route (a lock Hummingbird takes), one allocation for the wrapped body's write and
//   a relaxed atomic increment. While recording, the task adds its name, its log and three
//   records.

#if Hummingbird
import FlightRecorder
import Hummingbird
import Logging
import Synchronization

public struct SlowRequestSnapshotMiddleware<Context: RequestContext>: RouterMiddleware {
    public var recorder: FlightRecorder { timing.recorder }
    public var limiter: SnapshotLimiter { timing.limiter }
    public var threshold: Duration { timing.threshold }
    public var statistics: SlowRequestStatistics { timing.statistics }
    let timing: RequestTiming

    /// - Parameters:
    ///   - recorder: the recorder to snapshot (nothing is written while it does not record).
    ///   - limiter: where snapshots go and how many of them (`trace.N.out`, count, bytes, interval).
    ///   - threshold: requests taking at least this long are snapshotted (the article: 500 ms).
    public init(recorder: FlightRecorder, limiter: SnapshotLimiter, threshold: Duration = .milliseconds(500),
                statistics: SlowRequestStatistics = SlowRequestStatistics(),
                logger: Logger = Logger(label: "FlightRecorderHummingbird.SlowRequest")) {
        timing = RequestTiming(recorder: recorder, limiter: limiter, threshold: threshold, statistics: statistics,
                               logger: logger)
    }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let path = request.uri.path
        // Added with `router.add(middleware:)`, this runs inside the matched route's responder:
        // the router has stored the pattern already. Nil when no route matched.
        let route = context.endpointPath ?? path
        let begun = Trace.beginTask(method: method, route: route)
        let served = ServedRequest(method: method, path: path, route: route, start: start, task: begun)
        var response: Response
        do {
            response = try await Trace.inTaskRethrowing(begun, throwing: { try await next(request, context) })
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            await served.finished(status: status.code, timing: timing)
            throw error
        }
        let write = TimedBodyWrite(response.body, served: served, status: response.status.code, timing: timing)
        response.body = ResponseBody(contentLength: write.body.contentLength) { writer in try await write.run(&writer) }
        return response
    }

}

/// A response body's write, timed: the request ends when the body has been written or has
/// failed to. The wrapped body's writer captures only this object, so the write costs one
/// allocation, recording or not; it holds the middleware's settings, not the generic
/// middleware.
///
/// Invariant: the request's task ends once. `run` is called at most once (Hummingbird consumes
/// the body); a body released without it (the client went away before the server wrote it)
/// ends the task in `deinit`, which follows any `run` (the writer holds this object while it runs).
final class TimedBodyWrite: Sendable {
    let body: ResponseBody
    private let served: ServedRequest
    private let status: Int
    private let timing: RequestTiming
    private let ran = Atomic<Bool>(false)

    init(_ body: ResponseBody, served: ServedRequest, status: Int, timing: RequestTiming) {
        self.body = body
        self.served = served
        self.status = status
        self.timing = timing
    }

    func run(_ writer: inout any ResponseBodyWriter) async throws {
        ran.store(true, ordering: .relaxed)
        do {
            try await Trace.inTaskRethrowing(served.task, throwing: { try await body.write(writer) })
        } catch {
            await served.finished(status: status, timing: timing)
            throw error
        }
        await served.finished(status: status, timing: timing)
    }

    deinit {
        if !ran.load(ordering: .relaxed) { served.abandoned() }
    }
}
#endif
