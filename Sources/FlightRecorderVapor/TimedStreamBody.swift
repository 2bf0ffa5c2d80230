// Streamed response bodies that the slow-request middleware times to their end.
//
// Vapor writes a streamed body (`Response.Body(stream:)`, `asyncStream:`, file streams) after
// the response has left the middleware chain, keeps the body's stream closure internal
// (`Response.Body.storage` and its `BodyStream` are not public), and has no public hook on the
// end of a response's write; the one public way to run an existing body's stream,
// `Response.Body.collect(on:)`, gathers the whole body in memory before the first byte is sent.
// A middleware therefore cannot wrap a streamed body it did not make. A handler can ask for
// one the middleware can time instead: `request.timedStreamBody { writer in ... }`.
//
// Invariants:
// - Made under `SlowRequestSnapshotMiddleware`, the body takes over the end of the request's
//   timing: the middleware returns the response without ending the request, and the request
//   ends (its `http` log, its task's end, the statistics and a slow request's snapshot) when
//   the body's closure has returned or thrown, before Vapor writes the stream's end. Its status
//   is the response's as it left the middleware.
// - A request whose handler throws is timed to the error, body or not. A body made but never
//   written (the handler returned another response, the client went away) ends the request's
//   task when it is released, and is counted nowhere.
// - Without the middleware it is an ordinary managed async stream (Vapor writes the end, or the
//   error, after the closure).

#if Vapor
import FlightRecorder
import Logging
import Synchronization
import Vapor

extension Request {
    /// A streamed body whose write is part of the request's time under
    /// `SlowRequestSnapshotMiddleware`: the request ends when `stream` returns or throws.
    /// `count` is the body's length when known (else the body is sent chunked).
    public func timedStreamBody(count: Int? = nil,
                                _ stream: @escaping @Sendable (any AsyncBodyStreamWriter) async throws -> Void) -> Response.Body {
        let timed = storage[TimedRequestKey.self]
        timed?.deferToBody()
        let body: @Sendable (any AsyncBodyStreamWriter) async throws -> Void = { writer in
            do {
                try await stream(writer)
            } catch {
                await timed?.finish(status: nil)
                throw error
            }
            await timed?.finish(status: nil)
        }
        guard let count else { return Response.Body(managedAsyncStream: body) }
        return Response.Body(managedAsyncStream: body, count: count)
    }
}

/// A request being timed by the middleware, until the middleware or a timed body ends it.
/// Released unfinished (a timed body made but never written), it ends the request's task.
final class TimedRequest: Sendable {
    private struct State {
        var deferredToBody = false
        var status = 500
        var finished = false
    }

    private let served: ServedRequest
    private let timing: RequestTiming
    private let state = Mutex(State())

    init(_ served: ServedRequest, timing: RequestTiming) {
        self.served = served
        self.timing = timing
    }

    /// A timed body was made for the response: it ends the request.
    func deferToBody() {
        state.withLock { $0.deferredToBody = true }
    }

    /// The response left the chain with `status`; true when a timed body ends the request.
    func responded(status: Int) -> Bool {
        state.withLock {
            $0.status = status
            return $0.deferredToBody
        }
    }

    /// Ends the request with `status` (nil: the response's), once.
    func finish(status: Int?) async {
        let final: Int? = state.withLock {
            guard !$0.finished else { return nil }
            $0.finished = true
            return status ?? $0.status
        }
        guard let final else { return }
        await served.finished(status: final, timing: timing)
    }

    deinit {
        if !state.withLock({ $0.finished }) { served.abandoned() }
    }
}

enum TimedRequestKey: StorageKey {
    typealias Value = TimedRequest
}
#endif
