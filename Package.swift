// swift-tools-version: 6.1
// tracexport: a flight recorder of execution traces for Swift servers, and a converter of its
// snapshots (and of Go execution traces) into files that trace viewers open.
//
// The pipeline is visible in the target names:
//   FlightRecorder (record) -> TraceFormat (snapshot format) -> TraceReaders (our format, Go)
//   -> TraceModel (one event model) -> TraceExporters (chrome, folded, summary, info) -> tracexport
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "tracexport",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "FlightRecorder", targets: ["FlightRecorder"]),
        .library(name: "TraceFormat", targets: ["TraceFormat"]),
        .library(name: "TraceReaders", targets: ["TraceReaders"]),
        .library(name: "TraceExporters", targets: ["TraceExporters"]),
        .library(name: "SyntheticTraces", targets: ["SyntheticTraces"]),
        .executable(name: "tracexport", targets: ["tracexport"]),
        .library(name: "FlightRecorderHummingbird", targets: ["FlightRecorderHummingbird"]),
        .library(name: "FlightRecorderTracing", targets: ["FlightRecorderTracing"]),
        .executable(name: "ping-server", targets: ["ping-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Server integrations only (never the core library, the CLI or their tests).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
    ],
    targets: [
        // zlib, from the system (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // The snapshot format: framing, checksums, compression, record encoding.
        .target(name: "TraceFormat", dependencies: ["CZlib"], swiftSettings: strict),

        // The one event model every reader fills and every exporter consumes.
        .target(name: "TraceModel", swiftSettings: strict),

        // Readers: our snapshot format and Go execution traces, both into TraceModel.
        .target(name: "TraceReaders", dependencies: ["TraceFormat", "TraceModel"], swiftSettings: strict),

        // Exporters: chrome, folded, summary, info, pprof, flame graph (zlib: pprof's gzip).
        .target(name: "TraceExporters", dependencies: ["TraceModel", "CZlib"], swiftSettings: strict),

        // The recorder: per-thread buffers, ring, snapshots, annotations, recording executor.
        .target(name: "CFlightRecorder", path: "Sources/CFlightRecorder",
                // The global executor takeover hands jobs to Dispatch, as the runtime does.
                linkerSettings: [.linkedLibrary("dispatch", .when(platforms: [.linux]))]),
        .target(name: "FlightRecorder",
                dependencies: ["CFlightRecorder", "TraceFormat",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),

        // The CLI.
        .executableTarget(name: "tracexport",
                          dependencies: ["TraceReaders", "TraceExporters", "TraceFormat", "TraceModel",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        // Times one exporter over a synthetic event stream (a measuring tool, not in the CLI).
        .executableTarget(name: "ExporterBench",
                          dependencies: ["TraceExporters", "TraceModel",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: strict),

        // Deterministic synthetic snapshots (the fixtures, large benchmark inputs), written
        // through the real encoder; FixtureGenerator writes them to Fixtures/.
        .target(name: "SyntheticTraces", dependencies: ["TraceFormat"], swiftSettings: strict),
        .executableTarget(name: "FixtureGenerator",
                          dependencies: ["SyntheticTraces", "TraceFormat"],
                          swiftSettings: strict),

        // Server integrations: slow-request middleware and on-demand endpoint for Hummingbird,
        // a swift-distributed-tracing backend, and the article's ping server.
        .target(name: "FlightRecorderHummingbird",
                dependencies: ["FlightRecorder",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .target(name: "FlightRecorderTracing",
                dependencies: ["FlightRecorder",
                               .product(name: "Tracing", package: "swift-distributed-tracing")],
                swiftSettings: strict),
        .executableTarget(name: "ping-server",
                          dependencies: ["FlightRecorderHummingbird", "FlightRecorder",
                                         .product(name: "Hummingbird", package: "hummingbird"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: strict),

        .testTarget(name: "TraceFormatTests", dependencies: ["TraceFormat", "SyntheticTraces"], swiftSettings: strict),
        .testTarget(name: "TraceReadersTests", dependencies: ["TraceReaders", "TraceFormat", "TraceModel", "SyntheticTraces"],
                    resources: [], swiftSettings: strict),
        // (tracexport: the CLI's tests run the built binary, so the tests build it.)
        .testTarget(name: "TraceExportersTests", dependencies: ["TraceExporters", "TraceReaders", "TraceModel", "SyntheticTraces",
                                                                "CZlib", "tracexport"],
                    swiftSettings: strict),
        // Test support: one recorder per process, so tests that record take turns.
        .target(name: "RecorderExclusion", path: "Tests/RecorderExclusion", swiftSettings: strict),
        .testTarget(name: "FlightRecorderTests", dependencies: ["FlightRecorder", "TraceFormat", "TraceReaders", "TraceModel",
                                                                 "RecorderExclusion"],
                    swiftSettings: strict),
        .testTarget(name: "IntegrationTests",
                    dependencies: ["RecorderExclusion", "FlightRecorderHummingbird", "FlightRecorderTracing", "FlightRecorder", "ping-server",
                                   "TraceReaders", "TraceModel", "TraceExporters",
                                   .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "NIOCore", package: "swift-nio"),
                                   .product(name: "Tracing", package: "swift-distributed-tracing"),
                                   .product(name: "Instrumentation", package: "swift-distributed-tracing")],
                    swiftSettings: strict),
    ]
)
