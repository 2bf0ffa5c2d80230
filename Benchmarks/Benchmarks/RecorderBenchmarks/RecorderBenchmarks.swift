// The recorder's hot path and its snapshot: what an annotation costs per event while recording
// (one thread, and two threads appending at once), that it allocates nothing, what it costs
// while NOT recording, and how long a snapshot of a full 16 MiB ring takes and how much memory
// it needs.
//
// Invariants:
// - One FlightRecorder per process (the recorder is process-wide): each recording benchmark
//   starts it in its setup and stops it in its teardown, so benchmarks do not see each other's
//   history.
// - Time figures are per event (scalingFactor); the malloc figures are per 100,000 events, so
//   a rare allocation (a chunk taken from the system instead of the pool) is not rounded away.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Benchmark
import BenchmarkFixtures
import CFlightRecorder
import Dispatch
import FlightRecorder

/// minAge 0: the 16 MiB cap alone decides what the ring keeps, so it fills and stays full.
let recorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .zero, maxBytes: 16 << 20))

func startRecording() throws { try recorder.start() }
func stopRecording() { recorder.stop() }

/// A ring far larger than anything the benchmark records (2 GiB, 1 hour): nothing is evicted,
/// so nothing is folded. Beside the 16 MiB ring's figures, this separates the append path's
/// scaling from the fold's CPU: on a 2-core machine two writers that fill the ring leave the
/// fold worker (a few ns of CPU per evicted event) only the cores they are using.
let unevictingRecorder = FlightRecorder(configuration: FlightRecorderConfiguration(minAge: .seconds(3600), maxBytes: 2 << 30))

func startUnevicting() throws { try unevictingRecorder.start() }
func stopUnevicting() { unevictingRecorder.stop() }

/// Appends one region begin+end pair per iteration on `threads` threads at once; the wall
/// time of an iteration is then each thread's cost per pair.
func regionPairs(count: Int, threads: Int) {
    if threads == 1 {
        for i in 0..<count { Trace.withRegion("bench.region") { blackHole(i) } }
    } else {
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for i in 0..<count { Trace.withRegion("bench.region") { blackHole(i) } }
        }
    }
}

/// Appends one region begin+end pair per iteration around an async body that does not
/// suspend, from an async function, as a server's handler wraps its steps.
func asyncRegionPairs(count: Int) async {
    for i in 0..<count { await Trace.withRegion("bench.region") { () async in blackHole(i) } }
}

func logs(count: Int, threads: Int) {
    let body: @Sendable () -> Void = {
        for _ in 0..<count { Trace.log(category: "bench.category", "request served") }
    }
    if threads == 1 { body() } else { DispatchQueue.concurrentPerform(iterations: threads) { _ in body() } }
}

func counters(count: Int, threads: Int) {
    let body: @Sendable () -> Void = {
        for i in 0..<count { Trace.counter("bench.counter", i) }
    }
    if threads == 1 { body() } else { DispatchQueue.concurrentPerform(iterations: threads) { _ in body() } }
}

/// Voluntary context switches of the whole process (getrusage): a thread that sleeps on a
/// lock or a condition, such as the fold worker after each wake-up, adds one.
let voluntarySwitches = BenchmarkMetric.custom("voluntary context switches", polarity: .prefersSmaller, useScalingFactor: false)

func voluntaryContextSwitches() -> Int {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)  // an enum in Glibc's import
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return usage.ru_nvcsw
}

/// What the snapshot held: shows the ring was full (its size, compressed, and its events).
let snapshotKiB = BenchmarkMetric.custom("snapshot KiB (compressed)", polarity: .prefersSmaller, useScalingFactor: false)
let snapshotKEvents = BenchmarkMetric.custom("snapshot k events", polarity: .prefersLarger, useScalingFactor: false)

/// Resident size just before the snapshot: peak resident minus this is the snapshot's extra memory.
let residentBeforeMB = BenchmarkMetric.custom("resident before snapshot (MiB)", polarity: .prefersSmaller, useScalingFactor: false)

/// The process's resident set size now: the second field of /proc/self/statm, in pages
/// (0 where that file is absent).
func residentBytes() -> Int {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var line = [CChar](repeating: 0, count: 128)
    guard fgets(&line, Int32(line.count), file) != nil else { return 0 }
    let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let fields = text.split(separator: " ")
    guard fields.count >= 2, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(2)
    Benchmark.defaultConfiguration.maxIterations = 1_000

    let timeTolerance = SharedMachine.timeTolerance
    let appendMetrics = SharedMachine.timeMetrics

    // MARK: recording, one event kind at a time, 1 and 2 threads

    for threads in [1, 2] {
        let suffix = threads == 1 ? "1thread" : "2threadsAtOnce_perThread"
        Benchmark("Recording.RegionBeginEndPair.\(suffix)",
                  configuration: .init(metrics: appendMetrics, scalingFactor: .mega, thresholds: timeTolerance,
                                       setup: startRecording, teardown: stopRecording)) { benchmark in
            regionPairs(count: benchmark.scaledIterations.count, threads: threads)
        }
        Benchmark("Recording.LogStaticStringCategory.\(suffix)",
                  configuration: .init(metrics: appendMetrics, scalingFactor: .mega, thresholds: timeTolerance,
                                       setup: startRecording, teardown: stopRecording)) { benchmark in
            logs(count: benchmark.scaledIterations.count, threads: threads)
        }
        Benchmark("Recording.Counter.\(suffix)",
                  configuration: .init(metrics: appendMetrics, scalingFactor: .mega, thresholds: timeTolerance,
                                       setup: startRecording, teardown: stopRecording)) { benchmark in
            counters(count: benchmark.scaledIterations.count, threads: threads)
        }
    }

    Benchmark("Recording.AsyncRegionBeginEndPair.1thread",
              configuration: .init(metrics: appendMetrics, scalingFactor: .mega, thresholds: timeTolerance,
                                   setup: startRecording, teardown: stopRecording)) { benchmark in
        await asyncRegionPairs(count: benchmark.scaledIterations.count)
    }

    // MARK: the same region pairs with nothing evicted (no fold work), 1 and 2 threads

    for threads in [1, 2] {
        let suffix = threads == 1 ? "1thread" : "2threadsAtOnce_perThread"
        Benchmark("Recording.NoEviction.RegionBeginEndPair.\(suffix)",
                  configuration: .init(metrics: appendMetrics, scalingFactor: .mega, maxDuration: .seconds(1),
                                       maxIterations: 100, thresholds: timeTolerance,
                                       setup: startUnevicting, teardown: stopUnevicting)) { benchmark in
            regionPairs(count: benchmark.scaledIterations.count, threads: threads)
        }
    }

    // MARK: allocations per 100,000 events (expected 0: per-thread chunks come from a pool)

    let noMallocs: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: .init(absolute: [.p90: 30]),
    ]
    Benchmark("Recording.MallocsPer100k_RegionPairs_Logs_Counters",
              configuration: .init(metrics: [.mallocCountTotal], warmupIterations: 3, scalingFactor: .one,
                                   maxIterations: 50, thresholds: noMallocs,
                                   setup: startRecording, teardown: stopRecording)) { benchmark in
        for _ in benchmark.scaledIterations {
            regionPairs(count: 100_000, threads: 1)
            logs(count: 100_000, threads: 1)
            counters(count: 100_000, threads: 1)
        }
    }

    // MARK: context switches per 10 M events: the writer folds cheap chunks itself

    // 5 M logs and 2.5 M synchronous region pairs through the full 16 MiB ring evict ~1,800
    // chunks that fold cheaply (read in parts, or not at all). Handing them to the fold worker
    // (as before 8ee721d; measured with `inlineFoldCost` set to 0) cost 81 switches at p50 and
    // 85 at p90: one per wake-up that found the worker asleep. Folding them on the writer:
    // 0-1.
    Benchmark("Recording.VoluntaryContextSwitchesPer10M_Logs_SyncRegions",
              configuration: .init(metrics: [voluntarySwitches], warmupIterations: 1, scalingFactor: .one,
                                   maxIterations: 20,
                                   thresholds: [voluntarySwitches: .init(absolute: [.p90: 20])],
                                   setup: startRecording, teardown: stopRecording)) { benchmark in
        for _ in benchmark.scaledIterations {
            let before = voluntaryContextSwitches()
            logs(count: 5_000_000, threads: 1)
            regionPairs(count: 2_500_000, threads: 1)
            benchmark.measurement(voluntarySwitches, voluntaryContextSwitches() - before)
        }
    }

    // MARK: not recording: one relaxed load and a branch per annotation

    let notRecordingTolerance: [BenchmarkMetric: BenchmarkThresholds] = [
        // A few nanoseconds: only a 3x change fails.
        .wallClock: .init(relative: [.p90: 200]),
    ]
    Benchmark("NotRecording.RegionLogCounter_allThree",
              configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .mega,
                                   thresholds: notRecordingTolerance.merging(noMallocs) { a, _ in a })) { benchmark in
        precondition(!Trace.isRecording)
        for i in benchmark.scaledIterations {
            Trace.withRegion("bench.region") { blackHole(i) }
            Trace.log(category: "bench.category", "request served")
            Trace.counter("bench.counter", i)
        }
    }

    // MARK: the window fold's fast path (fold_scan.c), per record

    // 1 M records of one thread's region pairs (interned names, one-byte fields), ~4.5 MB: read
    // from memory, as the fold reads chunks evicted 16 MiB of events ago. The fold reads every
    // chunk that holds task records or async regions this way (region, log and counter runs).
    Benchmark("Fold.FastPath_RegionPairs",
              configuration: .init(metrics: appendMetrics, scalingFactor: .mega,
                                   thresholds: timeTolerance)) { benchmark in
        let records = benchmark.scaledIterations.count
        var bytes: [UInt8] = []
        bytes.reserveCapacity(records / 2 * 9)
        for _ in 0..<records / 2 {
            bytes += [0x07, 2, 0, 6, 0]  // region begin: dt 2, task 0, name id 3, no stack
            bytes += [0x08, 2, 0, 6]     // region end
        }
        let stack = UnsafeMutablePointer<fr_open_region>.allocate(capacity: 8)
        defer { stack.deallocate() }
        bytes.withUnsafeBufferPointer { buffer in
            var run = fr_fold_run(p: buffer.baseAddress!, end: buffer.baseAddress! + buffer.count, ticks: 0, task: 0,
                                  thread: 1, stack: stack, depth: 0, capacity: 8, tasks: nil,
                                  evicted: fr_fold_task_state())
            benchmark.startMeasurement()
            let folded = fr_fold_fast(&run)
            benchmark.stopMeasurement()
            precondition(folded == UInt64(records / 2 * 2) && run.depth == 0)
        }
    }

    // MARK: snapshot of a full 16 MiB ring

    Benchmark("Snapshot.Full16MiBRing_toDevNull",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident, residentBeforeMB, .mallocCountTotal, snapshotKiB, snapshotKEvents],
                                   warmupIterations: 1, scalingFactor: .one, maxIterations: 10,
                                   thresholds: [
                                       .wallClock: .init(relative: [.p90: 150]),
                                       .peakMemoryResident: .init(relative: [.p90: 30]),
                                       .mallocCountTotal: .init(relative: [.p90: 50]),
                                       snapshotKiB: .init(relative: [.p90: 30]),
                                       residentBeforeMB: .init(relative: [.p90: 30]),
                                       snapshotKEvents: .init(relative: [.p90: 30]),
                                   ],
                                   setup: {
                                       try startRecording()
                                       // 24 M events at a few bytes each overfill the 16 MiB
                                       // cap several times: the ring is full and evicting.
                                       regionPairs(count: 12_000_000, threads: 1)
                                   },
                                   teardown: stopRecording)) { benchmark in
        let devNull = open("/dev/null", O_WRONLY)
        precondition(devNull >= 0)
        defer { close(devNull) }
        for _ in benchmark.scaledIterations {
            benchmark.measurement(residentBeforeMB, residentBytes() >> 20)
            let summary = try recorder.writeSnapshot(toFileDescriptor: devNull)
            benchmark.measurement(snapshotKiB, summary.bytes >> 10)
            benchmark.measurement(snapshotKEvents, summary.events / 1_000)
        }
    }
}
