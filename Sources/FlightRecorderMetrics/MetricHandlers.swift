// The handlers FlightRecorderMetricsFactory makes, one per metric kind. Each forwards to its
// wrapped handler (if any), then samples its track (FlightRecorderMetricsFactory states what a
// track shows).
//
// Invariants:
// - Running totals and meter values are atomics, updated with relaxed ordering: updates from
//   several threads all count, and each sample is a value the metric had; samples written
//   concurrently may land in the ring out of order by a few nanoseconds.
// - Floating-point values are kept as their bit patterns (compare-and-exchange loops).

#if Metrics
import CoreMetrics
import FlightRecorder
import Synchronization

final class RecordedCounter: CounterHandler {
    let track: TraceName
    let wrapped: (any CounterHandler)?
    private let total = Atomic<Int64>(0)

    init(track: TraceName, wrapped: (any CounterHandler)?) {
        self.track = track
        self.wrapped = wrapped
    }

    func increment(by amount: Int64) {
        wrapped?.increment(by: amount)
        let value = total.wrappingAdd(amount, ordering: .relaxed).newValue
        Trace.counter(track, value)
    }

    func reset() {
        wrapped?.reset()
        total.store(0, ordering: .relaxed)
        Trace.counter(track, Int64(0))
    }
}

final class RecordedFloatingPointCounter: FloatingPointCounterHandler {
    let track: TraceName
    let wrapped: (any FloatingPointCounterHandler)?
    private let total = AtomicDouble(0)

    init(track: TraceName, wrapped: (any FloatingPointCounterHandler)?) {
        self.track = track
        self.wrapped = wrapped
    }

    func increment(by amount: Double) {
        wrapped?.increment(by: amount)
        Trace.counter(track, total.add(amount))
    }

    func reset() {
        wrapped?.reset()
        total.store(0)
        Trace.counter(track, 0.0)
    }
}

final class RecordedMeter: MeterHandler {
    let track: TraceName
    let wrapped: (any MeterHandler)?
    private let value = AtomicDouble(0)

    init(track: TraceName, wrapped: (any MeterHandler)?) {
        self.track = track
        self.wrapped = wrapped
    }

    func set(_ newValue: Int64) {
        wrapped?.set(newValue)
        value.store(Double(newValue))
        Trace.counter(track, newValue)
    }

    func set(_ newValue: Double) {
        wrapped?.set(newValue)
        value.store(newValue)
        Trace.counter(track, newValue)
    }

    func increment(by amount: Double) {
        wrapped?.increment(by: amount)
        Trace.counter(track, value.add(amount))
    }

    func decrement(by amount: Double) {
        wrapped?.decrement(by: amount)
        Trace.counter(track, value.add(-amount))
    }
}

final class RecordedRecorder: RecorderHandler {
    let track: TraceName
    let wrapped: (any RecorderHandler)?

    init(track: TraceName, wrapped: (any RecorderHandler)?) {
        self.track = track
        self.wrapped = wrapped
    }

    func record(_ value: Int64) {
        wrapped?.record(value)
        Trace.counter(track, value)
    }

    func record(_ value: Double) {
        wrapped?.record(value)
        Trace.counter(track, value)
    }
}

final class RecordedTimer: TimerHandler {
    let track: TraceName
    let wrapped: (any TimerHandler)?

    init(track: TraceName, wrapped: (any TimerHandler)?) {
        self.track = track
        self.wrapped = wrapped
    }

    func recordNanoseconds(_ duration: Int64) {
        wrapped?.recordNanoseconds(duration)
        Trace.counter(track, duration)
    }

    func preferDisplayUnit(_ unit: TimeUnit) {
        wrapped?.preferDisplayUnit(unit)
    }
}

/// A Double updated atomically, kept as its bit pattern.
struct AtomicDouble: ~Copyable, Sendable {
    private let bits: Atomic<UInt64>

    init(_ value: Double) {
        bits = Atomic(value.bitPattern)
    }

    func store(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Adds `amount` and returns the new value.
    func add(_ amount: Double) -> Double {
        var old = bits.load(ordering: .relaxed)
        while true {
            let new = Double(bitPattern: old) + amount
            let (exchanged, current) = bits.compareExchange(expected: old, desired: new.bitPattern, ordering: .relaxed)
            if exchanged { return new }
            old = current
        }
    }
}
#endif
