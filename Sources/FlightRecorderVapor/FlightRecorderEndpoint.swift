// The on-demand snapshot endpoint for Vapor, like Go's net/http/pprof: `GET /debug/flightrecorder`
// answers with a fresh snapshot of the recorder's window (application/octet-stream), for
// `curl -o now.out localhost:PORT/debug/flightrecorder`.
//
// Invariants:
// - Off by default: it exists only where an application adds this middleware
//   (`app.middleware.use(_:)`; Vapor runs global middleware for unrouted paths too, so no
//   route needs to be registered).
// - Guarded: a client outside `allowedClients` gets 403 and no snapshot; by default only
//   loopback clients (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) and Unix-domain sockets are
//   allowed. The client is the connection's peer (`Request.remoteAddress`), never a forwarding
//   header; when it is unknown the request is refused unless `allowedClients` is `.any`.
// - Only the exact path is served; other paths and methods pass to the rest of the chain.
//   Methods other than GET on the path get 405.
// - A snapshot is never written to disk here and is not counted against any SnapshotLimiter;
//   the recorder lets one snapshot be written at a time, so a concurrent request gets 503 with
//   `Retry-After: 1`, as does a recorder that is not recording. The snapshot is made on a
//   Dispatch thread, not on an event loop.
// - Add it before SlowRequestSnapshotMiddleware so a slow snapshot download is not itself
//   snapshotted.

#if Vapor
import FlightRecorder
import Logging
import NIOCore
import Vapor

public struct FlightRecorderEndpoint: AsyncMiddleware {
    /// Which clients may download snapshots.
    public enum AllowedClients: Sendable {
        /// Loopback addresses and Unix-domain sockets (the default).
        case loopback
        /// Any client: put the server behind authentication before choosing this.
        case any
        /// A decision of the application's (nil: the address is unknown).
        case custom(@Sendable (SocketAddress?) -> Bool)
    }

    public let recorder: FlightRecorder
    public let path: String
    public let allowedClients: AllowedClients
    let logger: Logger

    public init(recorder: FlightRecorder, path: String = "/debug/flightrecorder",
                allowedClients: AllowedClients = .loopback,
                logger: Logger = Logger(label: "FlightRecorderVapor.Endpoint")) {
        self.recorder = recorder
        self.path = path
        self.allowedClients = allowedClients
        self.logger = logger
    }

    public func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.url.path == path else { return try await next.respond(to: request) }
        let address = request.remoteAddress
        guard isAllowed(address) else {
            logger.notice("flight recorder snapshot refused to client", metadata: ["client": "\(address.map { "\($0)" } ?? "unknown")"])
            return Self.text(.forbidden, "flight recorder snapshots are served to loopback clients only\n")
        }
        guard request.method == .GET else {
            let response = Self.text(.methodNotAllowed, "use GET\n")
            response.headers.replaceOrAdd(name: .allow, value: "GET")
            return response
        }
        guard recorder.isRecording else {
            return Self.text(.serviceUnavailable, "\(FlightRecorderError.notRecording)\n", retry: true)
        }
        let outcome = await OnDemandSnapshot.take(recorder, path: path, method: request.method.rawValue,
                                                  client: address.map { "\($0)" } ?? "unknown")
        switch outcome {
        case .success(let bytes):
            var headers = HTTPHeaders()
            headers.replaceOrAdd(name: .contentType, value: "application/octet-stream")
            headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"flightrecorder.out\"")
            headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return Response(status: .ok, headers: headers, body: .init(buffer: ByteBuffer(bytes: bytes)))
        case .failure(let error):
            let busy = OnDemandSnapshot.isBusy(error)
            return Self.text(busy ? .serviceUnavailable : .internalServerError, "\(error)\n", retry: busy)
        }
    }

    func isAllowed(_ address: SocketAddress?) -> Bool {
        switch allowedClients {
        case .any: return true
        case .custom(let decide): return decide(address)
        case .loopback: return address.map(Self.isLoopback) ?? false
        }
    }

    /// Whether `address` is this machine: IPv4 127/8, IPv6 ::1, IPv4-mapped 127/8, Unix sockets.
    static func isLoopback(_ address: SocketAddress) -> Bool {
        PeerAddress.isLoopback(ipAddress: address.ipAddress)
    }

    static func text(_ status: HTTPResponseStatus, _ message: String, retry: Bool = false) -> Response {
        var headers = HTTPHeaders()
        headers.replaceOrAdd(name: .contentType, value: "text/plain; charset=utf-8")
        if retry { headers.replaceOrAdd(name: .retryAfter, value: "1") }
        return Response(status: status, headers: headers, body: .init(string: message))
    }
}
#endif
