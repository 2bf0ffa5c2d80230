// Whether a server integration's client is this machine, for the on-demand endpoints'
// default guard (Hummingbird's, Vapor's). One implementation for every framework: each passes
// its peer's textual address (SwiftNIO's `SocketAddress.ipAddress`).
//
// Invariants:
// - Loopback is IPv4 127.0.0.0/8, IPv6 ::1, IPv4-mapped ::ffff:127.0.0.0/104, and a Unix
//   domain socket (no IP address); anything else, or text that is no address, is not.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum PeerAddress {
    /// `ipAddress` is nil for a peer on a Unix domain socket.
    package static func isLoopback(ipAddress: String?) -> Bool {
        guard let ipAddress else { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, ipAddress, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, ipAddress, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        let mapped = bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF
        return mapped && bytes[12] == 127
    }
}
