// The on-demand snapshot endpoint, like Go's net/http/pprof: `GET /debug/flightrecorder`
// answers with a fresh snapshot of the recorder's window (application/octet-stream), for
// `curl -o now.out localhost:PORT/debug/flightrecorder`.
//
// Invariants:
// - Off by default: it exists only where an application adds this middleware.
// - Guarded: a client outside `allowedClients` gets 403 and no snapshot; by default only
//   loopback clients (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104) and Unix-domain sockets are
//   allowed. The client's address comes from a context conforming to
//   `RemoteAddressRequestContext` (e.g. `FlightRecorderRequestContext`); when the context does
//   not know it, the request is refused unless `allowedClients` is `.any`.
// - Only the exact path is served; other paths and methods pass to the rest of the chain.
//   Methods other than GET on the path get 405.
// - A snapshot is never written to disk here and is not counted against any SnapshotLimiter;
//   the recorder lets one snapshot be written at a time, so a concurrent request gets 503 with
//   `Retry-After: 1`, as does a recorder that is not recording.
// - Place it before SlowRequestSnapshotMiddleware so a slow snapshot download is not itself
//   snapshotted.

#if Hummingbird
import FlightRecorder
import Hummingbird
import Logging
import NIOCore

public struct FlightRecorderEndpoint<Context: RequestContext>: RouterMiddleware {
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
                logger: Logger = Logger(label: "FlightRecorderHummingbird.Endpoint")) {
        self.recorder = recorder
        self.path = path
        self.allowedClients = allowedClients
        self.logger = logger
    }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path == path else { return try await next(request, context) }
        let address = (context as? any RemoteAddressRequestContext)?.remoteAddress
        guard isAllowed(address) else {
            logger.notice("flight recorder snapshot refused to client", metadata: ["client": "\(address.map { "\($0)" } ?? "unknown")"])
            return Self.text(.forbidden, "flight recorder snapshots are served to loopback clients only\n")
        }
        guard request.method == .get else {
            var response = Self.text(.methodNotAllowed, "use GET\n")
            response.headers[.allow] = "GET"
            return response
        }
        guard recorder.isRecording else {
            return Self.text(.serviceUnavailable, "\(FlightRecorderError.notRecording)\n", retry: true)
        }
        let outcome = await OnDemandSnapshot.take(recorder, path: path, method: request.method.rawValue,
                                                  client: address.map { "\($0)" } ?? "unknown")
        switch outcome {
        case .success(let bytes):
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = "attachment; filename=\"flightrecorder.out\""
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
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

    static func text(_ status: HTTPResponse.Status, _ message: String, retry: Bool = false) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        if retry { headers[.retryAfter] = "1" }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: message)))
    }
}
#endif
