// The end of a request served under a slow-request middleware (Hummingbird's, Vapor's): its
// `http` log on its logical task, the task's end, the statistics, and for a slow request the
// snapshot, written off the caller's thread. One implementation for every framework.
//
// Invariants:
// - The request's task ends before the snapshot is taken, so the snapshot holds the whole
//   request. It ends once: `finished` or `abandoned` is called once per request, by the one
//   holder of the request that outlives the middleware's frame (the body's write, the timed
//   request), which calls `abandoned` when released without the request timed.
// - The `http` log reads `path=PATH status=STATUS durationMs=MS` (path in logfmt, milliseconds with
//   three decimals, as DurationText writes them).
// - A slow request's trigger is `slow request METHOD PATH STATUS DURATION` with the fields
//   method, path, status, durationMs, thresholdMs, route and (when recorded as a task) task.

package import Logging
import TraceFormat
import TraceModel

/// A slow-request middleware's settings: what a timed request's end goes to.
package struct RequestTiming: Sendable {
    package let recorder: FlightRecorder
    package let limiter: SnapshotLimiter
    package let threshold: Duration
    package let statistics: SlowRequestStatistics
    package let logger: Logger

    package init(recorder: FlightRecorder, limiter: SnapshotLimiter, threshold: Duration,
                 statistics: SlowRequestStatistics, logger: Logger) {
        self.recorder = recorder
        self.limiter = limiter
        self.threshold = threshold
        self.statistics = statistics
        self.logger = logger
    }
}

package struct ServedRequest: Sendable {
    package var method: String
    package var path: String
    package var route: String
    package var start: ContinuousClock.Instant
    /// The request's logical task; its id is 0 when it was not recorded.
    package var task: OpenTask

    package init(method: String, path: String, route: String, start: ContinuousClock.Instant, task: OpenTask) {
        self.method = method
        self.path = path
        self.route = route
        self.start = start
        self.task = task
    }

    /// The request was timed, with `status`: its log and task's end, the statistics, and for a
    /// slow request the snapshot, as `timing` says.
    package func finished(status: Int, timing: RequestTiming) async {
        let elapsed = ContinuousClock.now - start
        let ns = DurationText.nanoseconds(elapsed)
        if task.id != 0 {
            if Trace.isRecording { logServed(task: task.id, status: status, nanoseconds: ns) }
            Trace.endTask(task)
        }
        timing.statistics.countRequest()
        guard elapsed >= timing.threshold else { return }
        timing.statistics.countSlow()
        var fields: [SnapshotTrigger.Field] = [
            .init("method", method), .init("path", path), .init("status", String(status)),
            .init("durationMs", DurationText.milliseconds(nanoseconds: ns)),
            .init("thresholdMs", DurationText.milliseconds(nanoseconds: DurationText.nanoseconds(timing.threshold))),
            .init("route", route),
        ]
        if task.id != 0 { fields.append(.init("task", String(task.id))) }
        let trigger = SnapshotTrigger(
            "slow request \(method) \(path) \(status) \(DurationText.text(nanoseconds: ns))", fields: fields)
        var metadata: Logger.Metadata = [
            "method": "\(method)", "route": "\(route)", "path": "\(path)", "status": "\(status)",
            "duration": "\(DurationText.text(nanoseconds: ns))",
        ]
        if task.id != 0 { metadata["task"] = "\(task.id)" }
        guard timing.recorder.isRecording else {
            timing.statistics.countRefused()
            metadata["snapshot"] = "not taken: the flight recorder is not recording"
            timing.logger.notice("slow request", metadata: metadata)
            return
        }
        let outcome: Result<SnapshotLimiter.Written, SnapshotLimiter.Refusal> = await OffThreadWork.run {
            do throws(SnapshotLimiter.Refusal) {
                return .success(try timing.limiter.writeSnapshot(of: timing.recorder, trigger: trigger))
            } catch {
                return .failure(error)
            }
        }
        switch outcome {
        case .success(let written):
            timing.statistics.countTaken()
            metadata["snapshot"] = "\(written.path)"
            metadata["snapshotBytes"] = "\(written.bytes)"
            timing.logger.notice("slow request: snapshot written", metadata: metadata)
        case .failure(let refusal):
            timing.statistics.countRefused()
            metadata["snapshot"] = "refused: \(refusal)"
            timing.logger.notice("slow request: snapshot refused", metadata: metadata)
        }
    }

    /// The request was never timed (its response's body was never written, or the client went
    /// away): its task ends, and nothing is logged or counted.
    package func abandoned() {
        Trace.endTask(task)
    }

    /// The request's `http` log on its task, `path=... status=... durationMs=...`: written into
    /// a stack buffer and recorded with the task's id, so no String is built (but for a path
    /// that logfmt quotes) and no task-local value is bound for it.
    private func logServed(task: UInt64, status: Int, nanoseconds ns: Int64) {
        var path = path
        path.withUTF8 { raw in
            guard Logfmt.needsQuotes(raw) else { return Self.logServed(task: task, path: raw, status: status, nanoseconds: ns) }
            var quoted = Logfmt.value(self.path)
            quoted.withUTF8 { Self.logServed(task: task, path: $0, status: status, nanoseconds: ns) }
        }
    }

    private static func logServed(task: UInt64, path: UnsafeBufferPointer<UInt8>, status: Int, nanoseconds ns: Int64) {
        withUnsafeTemporaryAllocation(byteCount: path.count + 64, alignment: 1) { buffer in
            var line = UTF8Line(buffer)
            line.append("path=")
            line.append(UnsafeRawBufferPointer(path))
            line.append(" status=")
            line.appendDecimal(Int64(status))
            line.append(" durationMs=")
            line.appendMilliseconds(nanoseconds: ns)
            Emit.log(task: task, category: "http", message: line.written)
        }
    }
}
