// Without the Hummingbird trait there is no server to run: the program says how to get one.

#if !Hummingbird
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
enum PingServerWithoutHummingbird {
    static func main() {
        let message = "ping-server needs the Hummingbird trait: swift run --traits Hummingbird ping-server\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }
}
#endif
