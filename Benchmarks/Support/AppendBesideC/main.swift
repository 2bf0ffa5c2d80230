// The annotations beside their floor, batch by batch in one process: 1 M region pairs through
// `Trace.withRegion`, 1 M logs through `Trace.log`, then the same appends in C
// (Support/ClockCost/append-loop.c) and 1 M bare clock reads, repeated. The host this runs on
// has levels that come and go within seconds, and they move the C loop too; comparing each
// Swift batch with the C batch next to it tells what the Swift path adds at each level.
//
//   swift run -c release --package-path Benchmarks AppendBesideC [batches] [--each]
//
// Batches are split by the C pair loop's time into the host's fast level (at most 8% above
// its fastest batch) and the rest; medians per level, ns per pair / log / clock read. The
// annotations run inside a Swift task, as in the benchmarks and in servers. `--each` also
// prints every batch.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AppendLoop
import CFlightRecorder
import Dispatch
import FlightRecorder

let arguments = CommandLine.arguments.dropFirst()
let batches = arguments.first.flatMap { Int($0) } ?? 100
let printEach = arguments.contains("--each")
let perBatch = 1_000_000

func monotonicNs() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// ns per unit of `body`, which does `perBatch` units.
func timed(_ body: () -> Void) -> Double {
    let start = monotonicNs()
    body()
    return Double(monotonicNs() - start) / Double(perBatch)
}

struct Batch {
    var swiftPair, swiftLog, cPair, cLog, clock: Double
}

final class Results: @unchecked Sendable {  // written by the one task, read after it is done
    var batches: [Batch] = []
}

guard append_loop_setup() == 0 else {
    print("AppendBesideC: the C loop needs x86_64")
    exit(1)
}
let recorder = FlightRecorder(configuration: .init(minAge: .zero, maxBytes: 16 << 20))
try recorder.start()
let results = Results()
let done = DispatchSemaphore(value: 0)
Task.detached {
    for index in 0...batches {
        let swiftPair = timed { for _ in 0..<perBatch { Trace.withRegion("bench.region") {} } }
        let swiftLog = timed { for _ in 0..<perBatch { Trace.log(category: "bench.category", "request served") } }
        let cPair = timed { append_loop_pairs(perBatch) }
        let cLog = timed { append_loop_logs(perBatch) }
        var sum: UInt64 = 0
        let clock = timed { for _ in 0..<perBatch { sum &+= fr_ticks() } }
        if sum == 42 { print("") }  // keeps the clock loop
        guard index > 0 else { continue }  // the first batch fills the ring
        let batch = Batch(swiftPair: swiftPair, swiftLog: swiftLog, cPair: cPair, cLog: cLog, clock: clock)
        results.batches.append(batch)
        if printEach {
            print(index, [swiftPair, swiftLog, cPair, cLog, clock].map { String(Int($0 * 10)) }.joined(separator: " "))
        }
    }
    done.signal()
}
done.wait()
recorder.stop()

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}

func format(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

let fastest = results.batches.map(\.cPair).min() ?? 0
let levels: [(String, [Batch])] = [
    ("fast", results.batches.filter { $0.cPair <= fastest * 1.08 }),
    ("slow", results.batches.filter { $0.cPair > fastest * 1.08 }),
]
print("level  batches  region pair: Swift   C   | log: Swift   C   | clock read")
for (name, level) in levels where !level.isEmpty {
    let columns = [
        format(median(level.map(\.swiftPair))), format(median(level.map(\.cPair))),
        format(median(level.map(\.swiftLog))), format(median(level.map(\.cLog))),
        format(median(level.map(\.clock))),
    ]
    print("\(name)   \(level.count)\t\(columns[0])\t\(columns[1])\t\(columns[2])\t\(columns[3])\t\(columns[4])")
}
