// The annotation API: Swift counterparts of Go's trace.NewTask, WithRegion and Log.
//
// Invariants:
// - When no recorder records, every annotation costs one relaxed load and a branch (then runs
//   the body directly); nothing else is evaluated.
// - A region records the task it runs in (the innermost logical task of `withTask`, else the
//   Swift task, else 0 for "this thread"); its begin and end carry the same task even when an
//   async body resumes on another thread, so readers pair them per task. A region whose begin
//   was dropped (no memory for a chunk) records no end either.
// - Async variants take `isolation: isolated (any Actor)? = #isolation`: the body runs on the
//   caller's actor without a hop.
// - Names given as `StaticString` are interned once per thread (cached by address); `TraceName`
//   is interned ahead of time; the `named:` variants write the text inline in the event.
// - A logical task's id (`withTask(named:)` hands it to its body) is what readers call the
//   task: above 2^62, never a Swift task's id; 0 means "not recorded".

public import CFlightRecorderFastPath

public enum Trace {
    /// Whether a recorder is recording (cheap: one relaxed load).
    @inlinable
    public static var isRecording: Bool { fr_is_recording() }

    // MARK: regions

    /// Runs `body` inside a region named `name`.
    @inlinable @inline(__always)
    public static func withRegion<R, E: Error>(_ name: StaticString, _ body: () throws(E) -> R) throws(E) -> R {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return try body() }
        let ticks = fr_ticks_with(switches)
        let task = TaskIdentity.current(switches)
        let recorded = Emit.regionBegin(task: task, name: name, stack: Self.stack(switches), sync: true, ticks: ticks)
        return try inSyncRegion(task: task, name: recorded, switches: switches, body)
    }

    /// Runs the async `body` inside a region named `name`, on the caller's isolation.
    @inlinable
    public static func withRegion<R, E: Error>(_ name: StaticString, isolation: isolated (any Actor)? = #isolation,
                                               _ body: () async throws(E) -> R) async throws(E) -> R {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return try await body() }
        let ticks = fr_ticks_with(switches)
        let task = TaskIdentity.current(switches)
        let recorded = Emit.regionBegin(task: task, name: name, stack: Self.stack(switches), ticks: ticks)
        defer { if let recorded { Emit.regionEnd(task: task, name: recorded) } }
        return try await body()
    }

    @inlinable @inline(__always)
    public static func withRegion<R, E: Error>(_ name: TraceName, _ body: () throws(E) -> R) throws(E) -> R {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return try body() }
        let ticks = fr_ticks_with(switches)
        let task = TaskIdentity.current(switches)
        let recorded = Emit.regionBegin(task: task, name: name.id, stack: Self.stack(switches), sync: true, ticks: ticks)
        return try inSyncRegion(task: task, name: recorded, switches: switches, body)
    }

    @inlinable
    public static func withRegion<R, E: Error>(_ name: TraceName, isolation: isolated (any Actor)? = #isolation,
                                               _ body: () async throws(E) -> R) async throws(E) -> R {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return try await body() }
        let ticks = fr_ticks_with(switches)
        let task = TaskIdentity.current(switches)
        let recorded = Emit.regionBegin(task: task, name: name.id, stack: Self.stack(switches), ticks: ticks)
        defer { if let recorded { Emit.regionEnd(task: task, name: recorded) } }
        return try await body()
    }

    /// A region with a run-time name, written inline (nothing is interned).
    @inlinable
    public static func withRegion<R, E: Error>(named name: String, _ body: () throws(E) -> R) throws(E) -> R {
        guard fr_is_recording() else { return try body() }
        return try recordRegion(named: name, body)
    }

    @inlinable
    public static func withRegion<R, E: Error>(named name: String, isolation: isolated (any Actor)? = #isolation,
                                               _ body: () async throws(E) -> R) async throws(E) -> R {
        guard fr_is_recording() else { return try await body() }
        return try await recordRegion(named: name, isolation: isolation, body)
    }

    // The recording halves of the `named:` regions and of `withTask`, out of line so that only
    // the check above is inlined into callers.
    @usableFromInline
    static func recordRegion<R, E: Error>(named name: String, _ body: () throws(E) -> R) throws(E) -> R {
        let task = TaskIdentity.current
        let stack = Self.stack()
        StringBytes.with(name) { Emit.regionBegin(task: task, inlineName: $0, stack: stack) }
        defer { StringBytes.with(name) { Emit.regionEnd(task: task, inlineName: $0) } }
        return try body()
    }

    @usableFromInline
    static func recordRegion<R, E: Error>(named name: String, isolation: isolated (any Actor)?,
                                          _ body: () async throws(E) -> R) async throws(E) -> R {
        let task = TaskIdentity.current
        let stack = Self.stack()
        StringBytes.with(name) { Emit.regionBegin(task: task, inlineName: $0, stack: stack) }
        defer { StringBytes.with(name) { Emit.regionEnd(task: task, inlineName: $0) } }
        return try await body()
    }

    /// Runs `body` inside a blocking region: waits (suspensions) of the task inside it are
    /// attributed to `reason` ("db query", "lock") by readers, across thread hops.
    @inlinable @inline(__always)
    public static func withBlockingRegion<R, E: Error>(_ reason: StaticString, _ body: () throws(E) -> R) throws(E) -> R {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return try body() }
        let ticks = fr_ticks_with(switches)
        let task = TaskIdentity.current(switches)
        let recorded = Emit.regionBegin(task: task, name: reason, stack: Self.stack(switches), blocking: true, sync: true,
                                        ticks: ticks)
        return try inSyncRegion(task: task, name: recorded, switches: switches, body)
    }

    @inlinable
    public static func withBlockingRegion<R, E: Error>(_ reason: StaticString, isolation: isolated (any Actor)? = #isolation,
                                                       _ body: () async throws(E) -> R) async throws(E) -> R {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return try await body() }
        let ticks = fr_ticks_with(switches)
        let task = TaskIdentity.current(switches)
        let recorded = Emit.regionBegin(task: task, name: reason, stack: Self.stack(switches), blocking: true, ticks: ticks)
        defer { if let recorded { Emit.regionEnd(task: task, name: recorded) } }
        return try await body()
    }

    // MARK: logs and counters

    /// Records `message` in `category` on the current task.
    ///
    /// A message of up to 15 UTF-8 bytes (a small String) is appended inline, from the String's
    /// two words; a longer one is copied by an out-of-line call.
    @inlinable @inline(__always)
    public static func log(category: StaticString = "", _ message: String) {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return }
        let ticks = fr_ticks_with(switches)
        if let small = StringBytes.small(message, switches: switches) {
            Emit.log(task: TaskIdentity.current(switches), category: category, messageWords: small.words,
                     count: small.count, ticks: ticks)
        } else {
            recordLog(category: category, message, ticks: ticks)
        }
    }

    @inlinable @inline(__always)
    public static func log(category: TraceName, _ message: String) {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return }
        let ticks = fr_ticks_with(switches)
        if let small = StringBytes.small(message, switches: switches) {
            Emit.log(task: TaskIdentity.current(switches), category: category.id, messageWords: small.words,
                     count: small.count, ticks: ticks)
        } else {
            recordLog(category: category.id, message, ticks: ticks)
        }
    }

    // The halves of `log` for messages that are not small Strings, out of line: copying their
    // bytes is a loop, and callers should inline only the common case. (Inlining the small case
    // too, rather than calling one function for both, took ~3 ns off a log: 16 -> 12.5 ns at
    // p0 in a task.)
    @usableFromInline @inline(never)
    static func recordLog(category: StaticString, _ message: String, ticks: UInt64) {
        let task = TaskIdentity.current
        StringBytes.with(message) { Emit.log(task: task, category: category, message: $0, ticks: ticks) }
    }

    @usableFromInline @inline(never)
    static func recordLog(category: UInt64, _ message: String, ticks: UInt64) {
        let task = TaskIdentity.current
        StringBytes.with(message) { Emit.log(task: task, category: category, message: $0, ticks: ticks) }
    }

    /// Records the value of counter `name`. Inlined whole, as a small log is: while nothing
    /// records, a counter costs its caller one load and a branch, and no call.
    @inlinable @inline(__always)
    public static func counter(_ name: StaticString, _ value: Int) {
        Emit.counter(name: name, value: Int64(value))
    }

    @inlinable @inline(__always)
    public static func counter(_ name: StaticString, _ value: Int64) {
        Emit.counter(name: name, value: value)
    }

    @inlinable @inline(__always)
    public static func counter(_ name: StaticString, _ value: Double) {
        Emit.counter(name: name, value: value)
    }

    @inlinable @inline(__always)
    public static func counter(_ name: TraceName, _ value: Int64) {
        Emit.counter(name: name.id, value: value)
    }

    @inlinable @inline(__always)
    public static func counter(_ name: TraceName, _ value: Double) {
        Emit.counter(name: name.id, value: value)
    }

    // MARK: logical tasks

    /// Runs `body` as a logical task named `name`, a child of the current task: its regions and
    /// logs belong to it. Records taskCreated before and taskEnded after.
    @inlinable
    public static func withTask<R, E: Error>(_ name: StaticString, _ body: () throws(E) -> R) throws(E) -> R {
        guard fr_is_recording() else { return try body() }
        return try recordTask(name, body)
    }

    @inlinable
    public static func withTask<R, E: Error>(_ name: StaticString, isolation: isolated (any Actor)? = #isolation,
                                             _ body: () async throws(E) -> R) async throws(E) -> R {
        guard fr_is_recording() else { return try await body() }
        return try await recordTask(name, isolation: isolation, body)
    }

    /// Runs `body` as a logical task named by run-time text (a request's `GET /users/{id}`),
    /// a child of the current task, and passes it the task's id (0 while nothing records, or
    /// when the task was not recorded). `name` is evaluated only while recording.
    @inlinable
    public static func withTask<R, E: Error>(named name: @autoclosure () -> String,
                                             _ body: (_ task: UInt64) throws(E) -> R) throws(E) -> R {
        guard fr_is_recording() else { return try body(0) }
        return try recordTask(named: name(), body)
    }

    @inlinable
    public static func withTask<R, E: Error>(named name: @autoclosure () -> String,
                                             isolation: isolated (any Actor)? = #isolation,
                                             _ body: (_ task: UInt64) async throws(E) -> R) async throws(E) -> R {
        guard fr_is_recording() else { return try await body(0) }
        return try await recordTask(named: name(), isolation: isolation, body)
    }

    @usableFromInline
    static func recordTask<R, E: Error>(named name: String, _ body: (UInt64) throws(E) -> R) throws(E) -> R {
        let task = beginTask(named: name)
        defer { endTask(task) }
        return try inTask(task) { () throws(E) -> R in try body(task.id) }
    }

    @usableFromInline
    static func recordTask<R, E: Error>(named name: String, isolation: isolated (any Actor)?,
                                        _ body: (UInt64) async throws(E) -> R) async throws(E) -> R {
        let task = beginTask(named: name)
        defer { endTask(task) }
        return try await inTask(task, isolation: isolation) { () async throws(E) -> R in try await body(task.id) }
    }

    @usableFromInline
    static func recordTask<R, E: Error>(_ name: StaticString, _ body: () throws(E) -> R) throws(E) -> R {
        let task = beginTask(name)
        defer { endTask(task) }
        return try inTask(task, body)
    }

    @usableFromInline
    static func recordTask<R, E: Error>(_ name: StaticString, isolation: isolated (any Actor)?,
                                        _ body: () async throws(E) -> R) async throws(E) -> R {
        let task = beginTask(name)
        defer { endTask(task) }
        return try await inTask(task, isolation: isolation, body)
    }

    /// Runs `body` in the synchronous region whose begin recorded `name` (nil: the begin was
    /// dropped, so no end either), then records the end. The end is inlined after a body that
    /// returns: a `defer` became a function of its own, called for every region, which cost a
    /// region pair ~5 ns at p50 on one thread and ~12 ns on two in the paired runs of
    /// BENCHMARKS.md. After a throw the end is an out-of-line call.
    @inlinable @inline(__always)
    static func inSyncRegion<R, E: Error>(task: UInt64, name: UInt64?, switches: UInt64,
                                          _ body: () throws(E) -> R) throws(E) -> R {
        guard let name else { return try body() }
        let result: R
        do {
            result = try body()
        } catch {
            endSyncRegionAfterThrow(task: task, name: name)
            throw error
        }
        Emit.syncRegionEnd(task: task, name: name, switches: switches)
        return result
    }

    @usableFromInline @inline(never)
    static func endSyncRegionAfterThrow(task: UInt64, name: UInt64) {
        Emit.regionEnd(task: task, name: name, sync: true)
    }

    /// The caller's stack id when the recording captures stacks, else 0 (one relaxed load).
    @inlinable @inline(__always)
    static func stack() -> UInt64 { stack(fr_switches_now()) }

    @inlinable @inline(__always)
    static func stack(_ switches: UInt64) -> UInt64 {
        fr_switches_capture_stacks(switches) ? Stacks.capture() : 0
    }
}
