// swift-tools-version: 6.1
// ActorShop: a small Hummingbird service written as an application would be, with no
// annotations in its handlers, that records itself with tracexport's flight recorder and
// snapshots slow requests. Its `GET /order` makes 40 tasks take turns on one actor. Hummingbird's
// TracingMiddleware records each request as a span too (the Tracing trait's backend).
//
//   swift run -c release ActorShop                      # 127.0.0.1:8080
//   curl localhost:8080/order                           # slow: trace.1.out is written
//   swift run --package-path ../.. tracexport summary trace.1.out
import PackageDescription

let package = Package(
    name: "ActorShop",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Integrations are traits of the package: nothing else is resolved for them.
        .package(name: "tracexport", path: "../..", traits: ["Hummingbird", "Tracing"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "ActorShop",
            dependencies: [
                .product(name: "FlightRecorder", package: "tracexport"),
                .product(name: "FlightRecorderHummingbird", package: "tracexport"),
                .product(name: "FlightRecorderTracing", package: "tracexport"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
