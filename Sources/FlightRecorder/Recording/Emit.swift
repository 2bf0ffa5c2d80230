// Appending one record of each EventKind to the calling thread's active chunk: the hot path.
//
// Invariants:
// - Every function here is a no-op when nothing records (the switches word, one relaxed
//   load); `syncRegionEnd` instead relies on its begin's check and on the room check, since
//   stopping a recorder takes every thread's room away.
// - Appending takes no lock, does no shared atomic read-modify-write, allocates nothing and
//   touches no reference count: it reads the tick clock first (its ~11 ns then overlap with
//   the rest), reads the thread-local state pointer, checks room
//   (`EventKind.maxFixedLength` + inline bytes), encodes with
//   TraceFormat's `EventRecord` pointer encoders (time delta from the thread's previous
//   record), and publishes the new length with a release store (`fr_state_commit`; task and
//   async region records with `fr_state_commit_stateful`, which also marks the chunk as one
//   the window fold must read whole; synchronous regions and thread names with variants that
//   mark only the parts of the chunk the fold must read).
// - Only when the chunk is full (or on a thread's first event) does `ThreadBuffer.refill` run:
//   it seals the chunk into the ring and takes a fresh one under the ring lock.
// - Times never decrease within a chunk: a tick read earlier than the previous record's (TSC
//   skew between cores) is clamped to it.
// - Inline strings longer than `maxInlineBytes` are cut at a UTF-8 boundary.
// - Signatures here are stable: the recording executor appends through them.
// - Not async-signal-safe: a signal handler that records while its thread is mid-append would
//   interleave bytes in the chunk. Do not annotate from signal handlers.

import CFlightRecorder
public import CFlightRecorderFastPath
public import TraceFormat

@usableFromInline
enum Emit {
    /// Longest inline string (names, log messages) kept whole.
    @usableFromInline static let maxInlineBytes = 64 << 10

    /// The calling thread's state with room for one record plus `extra` inline bytes; nil when
    /// not recording or when the event is dropped (no memory for a chunk, or re-entered from
    /// the recorder's own slow path).
    @inlinable @inline(__always)
    static func reserve(extra: Int = 0) -> UnsafeMutablePointer<fr_thread_state>? {
        guard fr_is_recording() else { return nil }
        return room(extra: extra)
    }

    /// `reserve` for a caller that has checked `fr_is_recording()` itself.
    @inlinable @inline(__always)
    static func room(extra: Int = 0) -> UnsafeMutablePointer<fr_thread_state>? {
        if let s = fr_current_state(), fr_state_has_room(s, UInt64(truncatingIfNeeded: extra)) { return s }
        return ThreadBuffer.refill(extra: extra)
    }

    /// The current tick, never before the thread's previous record.
    @inlinable @inline(__always)
    static func now(_ s: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        clamp(fr_ticks(), s)
    }

    /// `t` (a tick read at the start of the annotation), never before the thread's previous
    /// record. Reading the clock first lets the processor overlap the clock read, which costs
    /// most of an append (~11 ns for rdtsc here), with the lookups that follow it: only the
    /// time delta's encoding waits for it.
    @inlinable @inline(__always)
    static func clamp(_ t: UInt64, _ s: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        let last = s.pointee.last_ticks
        return t > last ? t : last
    }

    /// `bytes` cut to `maxInlineBytes` at a UTF-8 boundary.
    @inlinable @inline(__always)
    static func clip(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if bytes.count <= maxInlineBytes { return bytes }
        var n = maxInlineBytes
        while n > 0 && bytes[n] & 0xC0 == 0x80 { n -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[0..<n])
    }

    // MARK: tasks (Swift tasks through the executor, logical tasks through Trace.withTask)

    /// taskCreated: `task` came into existence, child of `parent` (0 none), with interned
    /// `name` and `group` string ids (0: none).
    static func taskCreated(task: UInt64, parent: UInt64, name: UInt64, group: UInt64) {
        guard let s = reserve() else { return }
        let t = now(s)
        let end = EventRecord.taskCreated(dt: t &- s.pointee.last_ticks, task: task, parent: parent,
                                          name: nil, nameID: name, group: nil, groupID: group,
                                          at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }

    /// taskCreated with the name written inline (dynamic names); `group` is a string id.
    static func taskCreated(task: UInt64, parent: UInt64, inlineName: UnsafeRawBufferPointer, group: UInt64) {
        let name = clip(inlineName)
        guard let s = reserve(extra: name.count) else { return }
        let t = now(s)
        let end = EventRecord.taskCreated(dt: t &- s.pointee.last_ticks, task: task, parent: parent,
                                          name: name, nameID: 0, group: nil, groupID: group,
                                          at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }

    /// taskEnded: `task` finished; no events of it follow.
    static func taskEnded(task: UInt64) {
        simple(.taskEnded, task: task)
    }

    /// taskRunnable: a job of `task` was enqueued by `waker` (0 unknown); it waits for a thread.
    static func taskRunnable(task: UInt64, waker: UInt64) {
        withField(.taskRunnable, task: task, waker)
    }

    /// taskRunning: a job of `task` starts on the calling thread.
    @inlinable
    static func taskRunning(task: UInt64) {
        simple(.taskRunning, task: task)
    }

    /// taskBlocked: the job of `task` returned with the task suspended; `reason` is an interned
    /// string id (0: unknown; readers then use an open blocking region's name).
    static func taskBlocked(task: UInt64, reason: UInt64) {
        withField(.taskBlocked, task: task, StringRef.interned(reason))
    }

    /// taskSyscall: the running `task` entered a blocking call, keeping the calling thread.
    @inlinable
    static func taskSyscall(task: UInt64) {
        simple(.taskSyscall, task: task)
    }

    /// Whether the recording wants jobCPUTime records (configuration `threadCPUTime`): one
    /// relaxed load. Measure with `fr_thread_cpu_ns()` before and after the job.
    @inline(__always)
    static var measuresThreadCPUTime: Bool { fr_thread_cpu_time_enabled() }

    /// jobCPUTime: the calling thread spent `cpuNs` of CPU in the job of `task` that just ended.
    static func jobCPUTime(task: UInt64, cpuNs: UInt64) {
        withField(.jobCPUTime, task: task, cpuNs)
    }

    /// taskEnded, taskRunnable (waker `task`: the job's own end) and taskBlocked at `ticks`, read
    /// by the end stamp before it read the task's status: a thread that enqueues the task once
    /// that status was read stamps its runnable record later, so the two stay in order.
    static func jobEnd(_ kind: EventKind, task: UInt64, reason: UInt64 = 0, ticks: UInt64) {
        switch kind {
        case .taskRunnable: withField(.taskRunnable, task: task, task, ticks: ticks)
        case .taskBlocked: withField(.taskBlocked, task: task, StringRef.interned(reason), ticks: ticks)
        default: simple(kind, task: task, ticks: ticks)
        }
    }

    @inlinable @inline(__always)
    static func simple(_ kind: EventKind, task: UInt64, ticks: UInt64? = nil) {
        guard let s = reserve() else { return }
        let t = ticks.map { clamp($0, s) } ?? now(s)
        let end = EventRecord.task(kind, dt: t &- s.pointee.last_ticks, task: task, at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }

    @inline(__always)
    static func withField(_ kind: EventKind, task: UInt64, _ field: UInt64, ticks: UInt64? = nil) {
        guard let s = reserve() else { return }
        let t = ticks.map { clamp($0, s) } ?? now(s)
        let end = EventRecord.task(kind, dt: t &- s.pointee.last_ticks, task: task, field,
                                   at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }

    /// Opens a logical task named by run-time text, child of the current task: taskCreated with
    /// the name written inline as name and group (a group id would need the text interned).
    /// Returns the task's id (with `TaskIdentity.requestTaskBit` for a `request`), 0 when not
    /// recording or when the record was dropped.
    static func logicalTaskBegin(inlineName: UnsafeRawBufferPointer, request: Bool = false) -> UInt64 {
        let name = clip(inlineName)
        let parent = TaskIdentity.current
        guard let s = reserve(extra: 2 * name.count) else { return 0 }
        let id = TaskIdentity.newLogicalTask(state: s) | (request ? TaskIdentity.requestTaskBit : 0)
        let t = now(s)
        let end = EventRecord.taskCreated(dt: t &- s.pointee.last_ticks, task: id, parent: parent,
                                          name: name, nameID: 0, group: name, groupID: 0,
                                          at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
        return id
    }

    // MARK: regions

    /// regionBegin (or blockingRegionBegin): a region named by string id `name` opens on `task`
    /// (0: on the thread); `stack` is a stack id (0 none).
    @inlinable @inline(__always)
    static func regionBegin(task: UInt64, name: UInt64, stack: UInt64 = 0, blocking: Bool = false) {
        guard fr_is_recording() else { return }
        regionBegin(task: task, name: name, stack: stack, blocking: blocking, ticks: fr_ticks())
    }

    /// regionBegin at `ticks`, read by a caller that checked `fr_is_recording()`. Returns the
    /// name's string id when the begin was recorded, nil when it was dropped: the caller
    /// records the matching end with that id, and no end for a dropped begin.
    @inlinable @inline(__always) @discardableResult
    static func regionBegin(task: UInt64, name: UInt64, stack: UInt64 = 0, blocking: Bool = false, sync: Bool = false,
                            ticks: UInt64) -> UInt64? {
        guard let s = room() else { return nil }
        appendRegionBegin(s, task: task, name: name, stack: stack, blocking: blocking, sync: sync, ticks: ticks)
        return name
    }

    /// regionBegin with a StaticString name, interned through the thread's cache.
    @inlinable @inline(__always)
    static func regionBegin(task: UInt64, name: StaticString, stack: UInt64 = 0, blocking: Bool = false) {
        guard fr_is_recording() else { return }
        regionBegin(task: task, name: name, stack: stack, blocking: blocking, ticks: fr_ticks())
    }

    /// regionBegin at `ticks`, read by a caller that checked `fr_is_recording()`; returns the
    /// name's string id (nil: dropped) as the variant above does, so the end skips the lookup.
    @inlinable @inline(__always) @discardableResult
    static func regionBegin(task: UInt64, name: StaticString, stack: UInt64 = 0, blocking: Bool = false, sync: Bool = false,
                            ticks: UInt64) -> UInt64? {
        guard let s = room() else { return nil }
        let id = Names.id(name, state: s)
        appendRegionBegin(s, task: task, name: id, stack: stack, blocking: blocking, sync: sync, ticks: ticks)
        return id
    }

    /// The regionBegin record into `s`, which has room for it. `sync`: the region of a
    /// synchronous closure, whose end comes on this thread before any other region's end
    /// (`fr_state_commit_sync_begin`); every other region marks its chunk stateful.
    @inlinable @inline(__always)
    static func appendRegionBegin(_ s: UnsafeMutablePointer<fr_thread_state>, task: UInt64, name: UInt64, stack: UInt64,
                                  blocking: Bool, sync: Bool = false, ticks: UInt64) {
        let t = clamp(ticks, s)
        let end = EventRecord.regionBegin(dt: t &- s.pointee.last_ticks, task: task, nameRef: StringRef.interned(name),
                                          stack: stack, blocking: blocking, at: s.pointee.write.unsafelyUnwrapped)
        if sync { fr_state_commit_sync_begin(s, end, t) } else { fr_state_commit_stateful(s, end, t) }
    }

    /// regionBegin with the name written inline.
    @inlinable
    static func regionBegin(task: UInt64, inlineName: UnsafeRawBufferPointer, stack: UInt64 = 0, blocking: Bool = false) {
        let name = clip(inlineName)
        guard let s = reserve(extra: name.count) else { return }
        let t = now(s)
        let end = EventRecord.regionBegin(dt: t &- s.pointee.last_ticks, task: task, inlineName: name, stack: stack,
                                          blocking: blocking, at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }

    /// regionEnd: the innermost open region named `name` (string id) on `task` closes.
    @inlinable @inline(__always)
    static func regionEnd(task: UInt64, name: UInt64, sync: Bool = false) {
        guard fr_is_recording() else { return }
        let ticks = fr_ticks()
        guard let s = room() else { return }
        appendRegionEnd(s, task: task, name: name, sync: sync, ticks: ticks)
    }

    /// regionEnd of a synchronous closure's region, right after its body returned, with the
    /// switches its begin loaded: the clock is the begin's, and a recorder stopped in between
    /// needs no check here, since stopping takes every thread's room away (`limit` NULL) and the
    /// slow path then drops the end.
    @inlinable @inline(__always)
    static func syncRegionEnd(task: UInt64, name: UInt64, switches: UInt64) {
        let ticks = fr_ticks_with(switches)
        guard let s = room() else { return }
        appendRegionEnd(s, task: task, name: name, sync: true, ticks: ticks)
    }

    /// regionEnd with a StaticString name.
    @inlinable @inline(__always)
    static func regionEnd(task: UInt64, name: StaticString) {
        guard fr_is_recording() else { return }
        let ticks = fr_ticks()
        guard let s = room() else { return }
        appendRegionEnd(s, task: task, name: Names.id(name, state: s), ticks: ticks)
    }

    /// The regionEnd record into `s`, which has room for it; `sync` as for the begin.
    @inlinable @inline(__always)
    static func appendRegionEnd(_ s: UnsafeMutablePointer<fr_thread_state>, task: UInt64, name: UInt64, sync: Bool = false,
                                ticks: UInt64) {
        let t = clamp(ticks, s)
        let end = EventRecord.regionEnd(dt: t &- s.pointee.last_ticks, task: task, nameRef: StringRef.interned(name),
                                        at: s.pointee.write.unsafelyUnwrapped)
        if sync { fr_state_commit_sync_end(s, end, t) } else { fr_state_commit_stateful(s, end, t) }
    }

    /// regionEnd with the name written inline.
    @inlinable
    static func regionEnd(task: UInt64, inlineName: UnsafeRawBufferPointer) {
        appendNamed(inlineName, stateful: true) { dt, name, p in
            EventRecord.regionEnd(dt: dt, task: task, inlineName: name, at: p)
        }
    }

    /// taskName: `task` (a logical task) is called `inlineName` for its whole life. Not state
    /// the window fold keeps.
    static func taskName(task: UInt64, inlineName: UnsafeRawBufferPointer) {
        appendNamed(inlineName, stateful: false) { dt, name, p in
            EventRecord.taskName(dt: dt, task: task, inlineName: name, at: p)
        }
    }

    /// One record with a name written inline: the name clipped, room reserved for it, the
    /// clock read, `encode(dt, name, at)` at the write position, committed (as state the window
    /// fold keeps when `stateful`).
    @inlinable @inline(__always)
    static func appendNamed(_ inlineName: UnsafeRawBufferPointer, stateful: Bool,
                            _ encode: (UInt64, UnsafeRawBufferPointer, UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        let name = clip(inlineName)
        guard let s = reserve(extra: name.count) else { return }
        let t = now(s)
        let end = encode(t &- s.pointee.last_ticks, name, s.pointee.write.unsafelyUnwrapped)
        if stateful { fr_state_commit_stateful(s, end, t) } else { fr_state_commit(s, end, t) }
    }

    // MARK: logs and counters

    /// log: `message` (inline UTF-8) in category `category` (StaticString, interned) on `task`.
    @inlinable @inline(__always)
    static func log(task: UInt64, category: StaticString, message: UnsafeRawBufferPointer) {
        guard fr_is_recording() else { return }
        log(task: task, category: category, message: message, ticks: fr_ticks())
    }

    /// log at `ticks`, read by a caller that checked `fr_is_recording()`.
    @inlinable @inline(__always)
    static func log(task: UInt64, category: StaticString, message: UnsafeRawBufferPointer, ticks: UInt64) {
        let text = clip(message)
        guard let s = room(extra: text.count) else { return }
        appendLog(s, task: task, category: Names.id(category, state: s), text: text, ticks: ticks)
    }

    /// log at `ticks` of a small String's message: its two words and byte count (see
    /// `StringBytes.small`). The words are stored whole, straight from registers: copying the
    /// bytes out of a stack copy of the words stalled on store-to-load forwarding (~5 ns).
    @inlinable @inline(__always)
    static func log(task: UInt64, category: StaticString, messageWords words: (UInt64, UInt64), count: Int, ticks: UInt64) {
        guard let s = room(extra: 16) else { return }
        appendLog(s, task: task, category: Names.id(category, state: s), messageWords: words, count: count, ticks: ticks)
    }

    /// The same with the category given as a string id.
    @inlinable @inline(__always)
    static func log(task: UInt64, category: UInt64, messageWords words: (UInt64, UInt64), count: Int, ticks: UInt64) {
        guard let s = room(extra: 16) else { return }
        appendLog(s, task: task, category: category, messageWords: words, count: count, ticks: ticks)
    }

    /// The log record of a small String's message into `s`, which has room for it and 16 bytes.
    @inlinable @inline(__always)
    static func appendLog(_ s: UnsafeMutablePointer<fr_thread_state>, task: UInt64, category: UInt64,
                          messageWords words: (UInt64, UInt64), count: Int, ticks: UInt64) {
        let t = clamp(ticks, s)
        let end = EventRecord.log(dt: t &- s.pointee.last_ticks, task: task, categoryRef: StringRef.interned(category),
                                  messageWords: words, count: count, at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit(s, end, t)
    }

    /// log with the category given as a string id.
    @inlinable
    static func log(task: UInt64, category: UInt64, message: UnsafeRawBufferPointer) {
        guard fr_is_recording() else { return }
        log(task: task, category: category, message: message, ticks: fr_ticks())
    }

    /// log at `ticks`, read by a caller that checked `fr_is_recording()`.
    @inlinable @inline(__always)
    static func log(task: UInt64, category: UInt64, message: UnsafeRawBufferPointer, ticks: UInt64) {
        let text = clip(message)
        guard let s = room(extra: text.count) else { return }
        appendLog(s, task: task, category: category, text: text, ticks: ticks)
    }

    /// The log record into `s`, which has room for it and for `text` (already clipped).
    @inlinable @inline(__always)
    static func appendLog(_ s: UnsafeMutablePointer<fr_thread_state>, task: UInt64, category: UInt64,
                          text: UnsafeRawBufferPointer, ticks: UInt64) {
        let t = clamp(ticks, s)
        let end = EventRecord.log(dt: t &- s.pointee.last_ticks, task: task, categoryRef: StringRef.interned(category),
                                  message: text, at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit(s, end, t)
    }

    /// counterInt: counter `name` now has `value`.
    @inlinable @inline(__always)
    static func counter(name: StaticString, value: Int64) {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return }
        let ticks = fr_ticks_with(switches)
        guard let s = room() else { return }
        appendCounter(s, name: Names.id(name, state: s), value: value, ticks: ticks)
    }

    /// counterFloat: counter `name` now has `value`.
    @inlinable @inline(__always)
    static func counter(name: StaticString, value: Double) {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return }
        let ticks = fr_ticks_with(switches)
        guard let s = room() else { return }
        appendCounter(s, name: Names.id(name, state: s), value: value, ticks: ticks)
    }

    /// counterInt with the name as a string id.
    @inlinable @inline(__always)
    static func counter(name: UInt64, value: Int64) {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return }
        let ticks = fr_ticks_with(switches)
        guard let s = room() else { return }
        appendCounter(s, name: name, value: value, ticks: ticks)
    }

    /// counterFloat with the name as a string id.
    @inlinable @inline(__always)
    static func counter(name: UInt64, value: Double) {
        let switches = fr_switches_now()
        guard fr_switches_recording(switches) else { return }
        let ticks = fr_ticks_with(switches)
        guard let s = room() else { return }
        appendCounter(s, name: name, value: value, ticks: ticks)
    }

    /// The counterInt record into `s`, which has room for it.
    @inlinable @inline(__always)
    static func appendCounter(_ s: UnsafeMutablePointer<fr_thread_state>, name: UInt64, value: Int64, ticks: UInt64) {
        let t = clamp(ticks, s)
        let end = EventRecord.counter(dt: t &- s.pointee.last_ticks, nameRef: StringRef.interned(name), value: value,
                                      at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit(s, end, t)
    }

    /// The counterFloat record into `s`, which has room for it.
    @inlinable @inline(__always)
    static func appendCounter(_ s: UnsafeMutablePointer<fr_thread_state>, name: UInt64, value: Double, ticks: UInt64) {
        let t = clamp(ticks, s)
        let end = EventRecord.counter(dt: t &- s.pointee.last_ticks, nameRef: StringRef.interned(name), value: value,
                                      at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit(s, end, t)
    }

    // MARK: threads

    /// threadName into a state known to have room (the slow path, right after a fresh chunk).
    static func threadName(_ name: UnsafeRawBufferPointer, into s: UnsafeMutablePointer<fr_thread_state>) {
        let text = clip(name)
        guard fr_state_has_room(s, UInt64(text.count)) else { return }
        let t = now(s)
        let q = EventRecord.header(.threadName, dt: t &- s.pointee.last_ticks, at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_thread_name(s, StringRef.writeInline(text, at: q), t)
    }
}

extension Emit {
    /// Opens a logical task named by string id `name` (group: the same name), child of the
    /// current task; returns its id, 0 when not recording.
    static func logicalTaskBegin(name: UInt64) -> UInt64 {
        guard let s = reserve() else { return 0 }
        let id = TaskIdentity.newLogicalTask(state: s)
        taskCreated(task: id, parent: TaskIdentity.current, name: name, group: name)
        return id
    }

    /// `logicalTaskBegin` with a StaticString name, interned through the thread's cache.
    static func logicalTaskBegin(name: StaticString) -> UInt64 {
        guard let s = reserve() else { return 0 }
        return logicalTaskBegin(name: Names.id(name, state: s))
    }
}
