// The name of a metric's counter track: `label` alone, or `label{key=value,key=value}` with
// the dimensions in the order the metric was given them (the order is part of the metric's
// identity in swift-metrics too).
//
// Invariant: names are interned (TraceName), once per handler; metrics are a bounded set of
// label and dimension combinations, which is what interning requires.

#if Metrics
import FlightRecorder

enum MetricTrackName {
    static func text(label: String, dimensions: [(String, String)]) -> String {
        guard !dimensions.isEmpty else { return label }
        var text = label + "{"
        for (index, (key, value)) in dimensions.enumerated() {
            if index > 0 { text += "," }
            text += key + "=" + value
        }
        return text + "}"
    }

    static func name(label: String, dimensions: [(String, String)]) -> TraceName {
        TraceName(text(label: label, dimensions: dimensions))
    }
}
#endif
