// The slow request a snapshot's trigger names: the Hummingbird middleware runs every request as
// a logical task named `METHOD route` and puts that task's id in the trigger field `task`,
// beside `method`, `path`, `route`, `status` and `durationMs`.
//
// Invariants:
// - Only a decimal, nonzero `task` field names a request; anything else (no field, text, 0)
//   names none, and exporters then write exactly what they write for any other trigger.
// - Go execution traces carry no trigger at all (TraceMetadata.trigger and triggerFields stay
//   empty for them: a Go flight-recorder snapshot does not say which request made it be
//   written); the summary finds their request by its own rule (RequestBreakdown).

import TraceModel

struct RequestTrigger: Equatable {
    var task: TaskID
    /// `METHOD route` from the trigger fields (`route`, else `path`), for a task never named.
    var fallbackName: String
    /// The request's duration as the middleware measured it, in ms (`durationMs`, or the older
    /// `duration_ms`), when given.
    var durationMs: Double?

    init?(_ metadata: TraceMetadata) {
        func field(_ key: String) -> String? {
            metadata.triggerFields.first { $0.key == key }?.value
        }
        guard let text = field("task"), let raw = UInt64(text), raw != 0 else { return nil }
        task = TaskID(raw)
        let target = field("route") ?? field("path") ?? ""
        fallbackName = [field("method") ?? "", target].filter { !$0.isEmpty }.joined(separator: " ")
        durationMs = (field("durationMs") ?? field("duration_ms")).flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
    }

    /// What names the request: its task's name, else the trigger's `METHOD route`, else the id.
    func displayName(taskName: String) -> String {
        if !taskName.isEmpty { return taskName }
        if !fallbackName.isEmpty { return fallbackName }
        return "task \(task)"
    }

    /// "slow request GET /order 136 ms": the middleware's duration, rounded to the millisecond
    /// (a slice's name is written when it begins, before the trace shows how long it lasts).
    func sliceName(taskName: String) -> String {
        var name = "slow request " + displayName(taskName: taskName)
        if let ms = durationMs, ms >= 0, ms < 1e15 {
            name += " \(Int64(ms.rounded())) ms"
        }
        return name
    }
}
