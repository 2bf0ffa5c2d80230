// Vapor middleware that runs every request as a logical task of the flight recorder and writes
// a snapshot when a request is slow: the Hummingbird middleware's behaviour, for Vapor.
//
// Invariants:
// - A request is timed from entering this middleware to the response's return through it, or
//   to the error thrown by the rest of the chain (then its status is the error's `AbortError`
//   status, else 500). A body held in memory is written whole right after. A body made by
//   `request.timedStreamBody` is timed to its end (TimedStreamBody.swift). Any other streamed
//   body (`Response.Body(stream:)`, `asyncStream:`, file streams) is written after that return,
//   and its write is not in the time: Vapor keeps a streamed body's closure internal and offers
//   no public hook on the end of a response's write (TimedStreamBody.swift says what its public
//   API allows).
// - Added with `app.middleware.use(_:)`, this runs after routing (Vapor chains global
//   middleware per route), so the route is the matched pattern (`/users/:id`), else the raw
//   path. While the recorder records, the request is a logical task named `METHOD route`; the
//   rest of the chain runs inside it. When the request is timed, the task logs (category
//   "http") `path=... status=... durationMs=...` and ends, before any snapshot is taken.
// - A request at or above `threshold` asks the limiter for one snapshot with trigger reason
//   "slow request METHOD PATH STATUS DURATION" and fields method, path, status, durationMs,
//   thresholdMs, route and, when the request's task was recorded, task (its decimal id). The
//   attempt ends before the response is returned, and is counted in `statistics` as taken or
//   refused; it never throws into the request.
// - The snapshot is written on a Dispatch thread, neither on an event loop nor on the
//   cooperative pool.
// - Below the threshold, while nothing records, the only costs are two clock reads, one
//   allocation (the timed request, kept in the request's storage) and a relaxed atomic
//   increment. While recording, the task adds its name, its log and three records.

#if Vapor
import FlightRecorder
import Logging
import Vapor

public struct SlowRequestSnapshotMiddleware: AsyncMiddleware {
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
                logger: Logger = Logger(label: "FlightRecorderVapor.SlowRequest")) {
        timing = RequestTiming(recorder: recorder, limiter: limiter, threshold: threshold, statistics: statistics,
                               logger: logger)
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let path = request.url.path
        let route = request.route.map { "/" + $0.path.string } ?? path
        let begun = Trace.beginTask(method: method, route: route)
        let served = ServedRequest(method: method, path: path, route: route, start: start, task: begun)
        let timed = TimedRequest(served, timing: timing)
        request.storage[TimedRequestKey.self] = timed
        let response: Response
        do {
            response = try await Trace.inTaskRethrowing(begun, throwing: { try await next.respond(to: request) })
        } catch {
            let status = (error as? any AbortError)?.status ?? .internalServerError
            await timed.finish(status: Int(status.code))
            throw error
        }
        // A body from `request.timedStreamBody` ends the request when it has been written.
        if timed.responded(status: Int(response.status.code)) { return response }
        await timed.finish(status: nil)
        return response
    }
}

#endif
