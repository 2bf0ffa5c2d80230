// swift-tools-version: 6.1
// tracexport's benchmarks: a package of its own, so `swift test` in the main package never
// builds package-benchmark. Run from this folder:
//   swift package benchmark                       # all benchmarks
//   swift package benchmark thresholds check      # against Thresholds/ (committed)
//   swift package --allow-writing-to-package-directory benchmark thresholds update
// Benchmark names contain no spaces or slashes: package-benchmark 1.38.1 writes threshold files
// with those replaced by "_" but looks them up under the raw name, so such a benchmark's
// thresholds would never be found by `thresholds check`.
import PackageDescription

let package = Package(
    name: "tracexport-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The integrations measured here are behind their traits.
        .package(name: "tracexport", path: "..", traits: ["Metrics", "Tracing"]),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        // swift-otel's tracer is an anchor of the span benchmarks (OTelTracingBenchmarks). Its
        // OTLPHTTP trait: swift-otel 1.6.0 does not build with no trait on Linux (its core then
        // lacks Foundation); the benchmark's backend exports to no exporter all the same.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Its default traits pull a package this machine does not have; the malloc
        // interposer alone gives malloc counts.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Inputs shared by the benchmark targets (synthetic snapshot, decoded event stream) and
        // the thresholds of their time figures.
        .target(
            name: "BenchmarkFixtures",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TraceFormat", package: "tracexport"),
                .product(name: "TraceReaders", package: "tracexport"),
                .product(name: "SyntheticTraces", package: "tracexport"),
            ],
            path: "Support/BenchmarkFixtures",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The span workload and configurations of TracingBenchmarks and OTelTracingBenchmarks.
        .target(
            name: "SpanWorkload",
            dependencies: [
                "BenchmarkFixtures",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "FlightRecorder", package: "tracexport"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            path: "Support/SpanWorkload",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // The recorder's append in C, the floor under the annotations (also a program alone).
        .target(
            name: "AppendLoop",
            path: "Support/ClockCost",
            exclude: ["rdtsc-cost.c"],
            sources: ["append-loop.c"]
        ),
        // The annotations beside the C loop, batch by batch in one process.
        .executableTarget(
            name: "AppendBesideC",
            dependencies: ["AppendLoop", .product(name: "FlightRecorder", package: "tracexport")],
            path: "Support/AppendBesideC",
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        benchmarkTarget("FormatBenchmarks", [
            .product(name: "TraceFormat", package: "tracexport"),
            .product(name: "TraceReaders", package: "tracexport"),
            .product(name: "SyntheticTraces", package: "tracexport"),
        ]),
        benchmarkTarget("RecorderBenchmarks", [.product(name: "FlightRecorder", package: "tracexport")]),
        benchmarkTarget("SchedulingBenchmarks", [.product(name: "FlightRecorder", package: "tracexport")]),
        benchmarkTarget("ActorHopBenchmarks", [.product(name: "FlightRecorder", package: "tracexport")]),
        benchmarkTarget("SymbolizationBenchmarks", [.product(name: "FlightRecorder", package: "tracexport")]),
        benchmarkTarget("ExporterBenchmarks", [.product(name: "TraceExporters", package: "tracexport")]),
        benchmarkTarget("MetricsBenchmarks", [
            .product(name: "FlightRecorder", package: "tracexport"),
            .product(name: "FlightRecorderMetrics", package: "tracexport"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
        ]),
        benchmarkTarget("TracingBenchmarks", [
            "SpanWorkload",
            .product(name: "FlightRecorder", package: "tracexport"),
            .product(name: "FlightRecorderTracing", package: "tracexport"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        // The same spans beside swift-otel's tracer: a target of its own, since swift-otel's
        // release build takes long and the other targets do not need it.
        benchmarkTarget("OTelTracingBenchmarks", [
            "SpanWorkload",
            .product(name: "FlightRecorder", package: "tracexport"),
            .product(name: "FlightRecorderTracing", package: "tracexport"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "OTel", package: "swift-otel"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)

/// One benchmark executable per concern, in Benchmarks/<name>.
func benchmarkTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkFixtures"] + dependencies,
        path: "Benchmarks/\(name)",
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
