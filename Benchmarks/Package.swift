// swift-tools-version: 6.1
// tracexport's benchmarks: a package of its own, so `swift test` in the main package never
// builds package-benchmark. Run from this folder:
//   swift package benchmark                       # all benchmarks
//   swift package benchmark thresholds check      # against Thresholds/ (committed)
//   swift package --allow-writing-to-package-directory benchmark thresholds update
import PackageDescription

let package = Package(
    name: "tracexport-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tracexport", path: ".."),
        // Its default traits pull a package this machine does not have; the malloc
        // interposer alone gives malloc counts.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "FormatBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "TraceFormat", package: "tracexport"),
                .product(name: "TraceReaders", package: "tracexport"),
                .product(name: "SyntheticTraces", package: "tracexport"),
            ],
            path: "Benchmarks/FormatBenchmarks",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
