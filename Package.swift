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
        .library(name: "FlightRecorderServiceLifecycle", targets: ["FlightRecorderServiceLifecycle"]),
        .library(name: "FlightRecorderMetrics", targets: ["FlightRecorderMetrics"]),
        .library(name: "FlightRecorderVapor", targets: ["FlightRecorderVapor"]),
    ],
    // Each server integration is behind a trait of its own, none on by default: SwiftPM 6.1+
    // resolves a dependency only when a target that is built under the enabled traits needs
    // it, so a user of the recorder or of the converter resolves swift-log and
    // swift-argument-parser alone, and a user of one integration none of another's framework.
    // A user enables the integration's trait on the package line, e.g.
    //   .package(url: ".../tracexport", from: "1.0.0", traits: ["Hummingbird"])
    // Here, `swift build --enable-all-traits` / `swift test --enable-all-traits` (as .ci/run
    // does) builds and tests them all; without a trait its targets compile empty.
    traits: [
        .trait(name: "Hummingbird",
               description: "FlightRecorderHummingbird: slow-request middleware, on-demand endpoint, request tasks; the ping-server example."),
        .trait(name: "Tracing",
               description: "FlightRecorderTracing: a swift-distributed-tracing backend, alone or beside another tracer."),
        .trait(name: "ServiceLifecycle",
               description: "FlightRecorderServiceLifecycle: the recorder as a swift-service-lifecycle Service."),
        .trait(name: "Metrics",
               description: "FlightRecorderMetrics: swift-metrics counters, gauges, meters, recorders and timers as counter tracks."),
        .trait(name: "Vapor",
               description: "FlightRecorderVapor: slow-request middleware, on-demand endpoint and request tasks for Vapor."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Server integrations only, each used under its trait alone (never by the core library,
        // the CLI or their tests).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.0.0"),
        .package(url: "https://github.com/vapor/vapor", from: "4.0.0"),
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
        // Imports are internal unless marked: the inlinable annotations reach only what is
        // imported publicly (CFlightRecorderFastPath, TraceFormat's record encoders).
        .target(name: "FlightRecorder",
                dependencies: ["CFlightRecorder", "TraceFormat", "TraceModel",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict + [.enableUpcomingFeature("InternalImportsByDefault")]),

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

        // Server integrations, each under its trait: slow-request middleware and on-demand
        // endpoint for Hummingbird, a swift-distributed-tracing backend, the recorder as a
        // Service, a swift-metrics backend, the article's ping server; the same middleware and
        // endpoint for Vapor.
        .target(name: "FlightRecorderHummingbird",
                dependencies: ["FlightRecorder",
                               .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                               .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Hummingbird"])),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .target(name: "FlightRecorderTracing",
                dependencies: ["FlightRecorder", "CFlightRecorder", "TraceFormat", .product(name: "Logging", package: "swift-log"),
                               .product(name: "Tracing", package: "swift-distributed-tracing", condition: .when(traits: ["Tracing"]))],
                swiftSettings: strict),
        .target(name: "FlightRecorderServiceLifecycle",
                dependencies: ["FlightRecorder",
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle",
                                        condition: .when(traits: ["ServiceLifecycle"])),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .target(name: "FlightRecorderMetrics",
                dependencies: ["FlightRecorder",
                               .product(name: "CoreMetrics", package: "swift-metrics", condition: .when(traits: ["Metrics"]))],
                swiftSettings: strict),
        .target(name: "FlightRecorderVapor",
                dependencies: ["FlightRecorder",
                               .product(name: "Vapor", package: "vapor", condition: .when(traits: ["Vapor"])),
                               .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Vapor"])),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "ping-server",
                          dependencies: ["FlightRecorderHummingbird", "FlightRecorder",
                                         .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
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
        // Test support: enqueue hooks of someone else's, for the takeover's installing beside them.
        .target(name: "ForeignHooks", path: "Tests/ForeignHooks"),
        .testTarget(name: "FlightRecorderTests", dependencies: ["FlightRecorder", "TraceFormat", "TraceReaders", "TraceModel",
                                                                 "RecorderExclusion", "ForeignHooks"],
                    swiftSettings: strict),
        // Each file tests one integration and compiles only under its traits.
        .testTarget(name: "IntegrationTests",
                    dependencies: ["RecorderExclusion", "FlightRecorderHummingbird", "FlightRecorderTracing",
                                   "FlightRecorderServiceLifecycle", "FlightRecorderMetrics", "FlightRecorderVapor",
                                   "FlightRecorder", "ping-server",
                                   "TraceReaders", "TraceModel", "TraceExporters",
                                   .product(name: "Hummingbird", package: "hummingbird", condition: .when(traits: ["Hummingbird"])),
                                   .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["Hummingbird", "Vapor"])),
                                   .product(name: "Tracing", package: "swift-distributed-tracing", condition: .when(traits: ["Tracing"])),
                                   .product(name: "Instrumentation", package: "swift-distributed-tracing", condition: .when(traits: ["Tracing"])),
                                   .product(name: "Logging", package: "swift-log"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle",
                                            condition: .when(traits: ["ServiceLifecycle"])),
                                   .product(name: "Metrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                                   .product(name: "MetricsTestKit", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
                                   .product(name: "Vapor", package: "vapor", condition: .when(traits: ["Vapor"]))],
                    swiftSettings: strict),
    ]
)
