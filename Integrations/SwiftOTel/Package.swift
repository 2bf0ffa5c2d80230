// swift-tools-version: 6.1
// FlightRecorderTracer beside swift-otel: spans exported over OTLP/HTTP to a loopback receiver
// carry the ids the flight recorder's snapshot has. A package of its own so that neither the
// main package's users nor its `swift test` build swift-otel. Run from this folder:
//   swift test
import PackageDescription

let package = Package(
    name: "tracexport-swift-otel-tests",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tracexport", path: "../..", traits: ["Tracing"]),
        // OTLP/HTTP only: the gRPC exporter's dependencies are not needed here.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        .testTarget(
            name: "SwiftOTelTests",
            dependencies: [
                .product(name: "FlightRecorder", package: "tracexport"),
                .product(name: "FlightRecorderTracing", package: "tracexport"),
                .product(name: "TraceReaders", package: "tracexport"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
    ]
)
