// swift-tools-version: 6.1
// ActorShop: a small Hummingbird service written as an application would be, with no
// annotations in its handlers, that records itself with tracexport's flight recorder and
// snapshots slow requests. Its `GET /order` makes 40 tasks take turns on one actor.
//
//   swift run -c release ActorShop                      # 127.0.0.1:8080
//   curl localhost:8080/order                           # slow: trace.1.out is written
//   swift run --package-path ../.. tracexport summary trace.1.out
import PackageDescription

let package = Package(
    name: "ActorShop",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The Hummingbird integration is a trait of the package: nothing else is resolved for it.
        .package(name: "tracexport", path: "../..", traits: ["Hummingbird"]),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "ActorShop",
            dependencies: [
                .product(name: "FlightRecorder", package: "tracexport"),
                .product(name: "FlightRecorderHummingbird", package: "tracexport"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
