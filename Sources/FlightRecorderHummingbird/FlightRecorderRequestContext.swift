// A request context that knows the client's address, so FlightRecorderEndpoint can tell
// loopback clients from others (and Hummingbird's TracingMiddleware records the peer).
//
// Invariants: `remoteAddress` is the connection's peer as the channel reported it when the
// request's context was made; nil when the channel does not know it.

#if Hummingbird
import Hummingbird
import NIOCore

public struct FlightRecorderRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
#endif
