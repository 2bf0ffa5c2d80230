// Symbolization at snapshot time: naming a server-sized set of distinct code addresses (500
// functions of this executable, as the entry points and call sites of a server's tasks) with
// their demangled names, files and lines.
//
// Invariants:
// - Cold: every iteration starts as a new process would (no symbol or line table read yet), so
//   it pays reading the executable's symbol table and one pass over its line tables.
// - Warm: the tables and the addresses' lines are known; what is left is naming each address
//   (dladdr, the symbol table's binary search, demangling) as every later snapshot does.

import Benchmark
@_spi(Benchmarks) import FlightRecorder

let addresses = SymbolizationBenchmarkSupport.returnAddresses(count: 500)

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)
    Benchmark.defaultConfiguration.maxIterations = 50

    // Shared 2-core VM: only a gross regression (3x slower) fails.
    let tolerance: [BenchmarkMetric: BenchmarkThresholds] = [.wallClock: .init(relative: [.p90: 200])]
    // A cold read allocates per compile unit and line sequence of this executable, so its count
    // grows with the package's code: only a jump fails.
    let coldTolerance = tolerance.merging([.mallocCountTotal: .init(relative: [.p90: 25])]) { $1 }
    // A warm read allocates per symbol name of the addresses, which are this executable's: the
    // count moves by a few dozen as its code changes.
    let warmTolerance = tolerance.merging([.mallocCountTotal: .init(relative: [.p90: 5])]) { $1 }
    let metrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal]

    Benchmark("Symbolize.500Addresses_cold", configuration: .init(metrics: metrics, thresholds: coldTolerance)) { benchmark in
        precondition(addresses.count == 500, "the executable's symbol table could not be read")
        for _ in benchmark.scaledIterations {
            SymbolizationBenchmarkSupport.forgetImages()
            blackHole(SymbolizationBenchmarkSupport.symbolize(addresses))
        }
    }

    Benchmark("Symbolize.500Addresses_warm", configuration: .init(metrics: metrics, thresholds: warmTolerance)) { benchmark in
        precondition(addresses.count == 500, "the executable's symbol table could not be read")
        blackHole(SymbolizationBenchmarkSupport.symbolize(addresses))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(SymbolizationBenchmarkSupport.symbolize(addresses))
        }
    }
}
