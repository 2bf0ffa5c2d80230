// Specification: the on-demand endpoints' default guard lets in this machine only: IPv4
// 127.0.0.0/8, IPv6 ::1, IPv4-mapped ::ffff:127.0.0.0/104 and Unix domain sockets.

import FlightRecorder
import Testing

@Suite struct PeerAddressSpecification {
    @Test("loopback addresses and Unix domain sockets are this machine",
          arguments: ["127.0.0.1", "127.9.8.7", "127.255.255.255", "::1", "::ffff:127.0.0.1", "0:0:0:0:0:0:0:1"])
    func loopback(address: String) {
        #expect(PeerAddress.isLoopback(ipAddress: address))
    }

    @Test func aUnixDomainSocketHasNoIPAddressAndIsLocal() {
        #expect(PeerAddress.isLoopback(ipAddress: nil))
    }

    @Test("other addresses, and text that is no address, are not",
          arguments: ["10.0.0.1", "128.0.0.1", "126.255.255.255", "::2", "::ffff:10.0.0.1", "fe80::1",
                      "::127.0.0.1", "localhost", "", "127.0.0.1.5"])
    func notLoopback(address: String) {
        #expect(!PeerAddress.isLoopback(ipAddress: address))
    }
}
