// A swift-metrics backend that puts metrics on the flight recorder's timeline: every update of
// a counter, gauge, meter, recorder or timer is a sample of a counter track, so
// `MetricsSystem.bootstrap(FlightRecorderMetricsFactory(wrapping: prometheus))` users see
// requests in flight or pool sizes beside task scheduling in a snapshot.
//
// Invariants:
// - One counter track per metric: named by MetricTrackName (label, then the dimensions in the
//   order given), interned once when the handler is made.
// - What a track shows: a counter (integer or floating point) its running total since it was
//   made or reset; a meter its current value; a recorder (aggregating or a gauge) each recorded
//   value; a timer each duration in nanoseconds.
// - Samples are written only while a FlightRecorder records (one load and a branch otherwise);
//   totals and meter values are kept always, so a track starts from the true value when
//   recording starts.
// - Wrapping: every update, reset and destroy goes to the wrapped factory's handler first, so
//   the wrapped backend sees exactly what it would alone.

#if Metrics
import CoreMetrics
import FlightRecorder

public struct FlightRecorderMetricsFactory: MetricsFactory {
    /// The factory every metric is forwarded to; nil when the recorder is the only backend.
    private let wrapped: (any MetricsFactory)?

    /// Metrics go to the flight recorder only.
    public init() {
        wrapped = nil
    }

    /// Metrics go to `factory` (Prometheus, swift-otel's, ...) and to the flight recorder.
    public init(wrapping factory: some MetricsFactory) {
        wrapped = factory
    }

    public func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        RecordedCounter(track: MetricTrackName.name(label: label, dimensions: dimensions),
                        wrapped: wrapped?.makeCounter(label: label, dimensions: dimensions))
    }

    public func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        RecordedFloatingPointCounter(track: MetricTrackName.name(label: label, dimensions: dimensions),
                                     wrapped: wrapped?.makeFloatingPointCounter(label: label, dimensions: dimensions))
    }

    public func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        RecordedMeter(track: MetricTrackName.name(label: label, dimensions: dimensions),
                      wrapped: wrapped?.makeMeter(label: label, dimensions: dimensions))
    }

    public func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        RecordedRecorder(track: MetricTrackName.name(label: label, dimensions: dimensions),
                         wrapped: wrapped?.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate))
    }

    public func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        RecordedTimer(track: MetricTrackName.name(label: label, dimensions: dimensions),
                      wrapped: wrapped?.makeTimer(label: label, dimensions: dimensions))
    }

    public func destroyCounter(_ handler: any CounterHandler) {
        guard let inner = (handler as? RecordedCounter)?.wrapped else { return }
        wrapped?.destroyCounter(inner)
    }

    public func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        guard let inner = (handler as? RecordedFloatingPointCounter)?.wrapped else { return }
        wrapped?.destroyFloatingPointCounter(inner)
    }

    public func destroyMeter(_ handler: any MeterHandler) {
        guard let inner = (handler as? RecordedMeter)?.wrapped else { return }
        wrapped?.destroyMeter(inner)
    }

    public func destroyRecorder(_ handler: any RecorderHandler) {
        guard let inner = (handler as? RecordedRecorder)?.wrapped else { return }
        wrapped?.destroyRecorder(inner)
    }

    public func destroyTimer(_ handler: any TimerHandler) {
        guard let inner = (handler as? RecordedTimer)?.wrapped else { return }
        wrapped?.destroyTimer(inner)
    }
}
#endif
