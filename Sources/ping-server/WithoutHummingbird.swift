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
        fputs("ping-server needs the Hummingbird trait: swift run --traits Hummingbird ping-server\n", stderr)
        exit(2)
    }
}
#endif
