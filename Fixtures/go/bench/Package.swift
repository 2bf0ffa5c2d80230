// swift-tools-version: 6.1
// A timing tool for the Go trace reader, kept out of the main package so that `swift test`
// never builds it. Build once in release: `swift build -c release` here.
import PackageDescription

let package = Package(
    name: "go-reader-bench",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tracexport", path: "../../..")],
    targets: [
        .executableTarget(name: "go-reader-bench",
                          dependencies: [.product(name: "TraceReaders", package: "tracexport")],
                          swiftSettings: [.swiftLanguageMode(.v6)]),
    ]
)
