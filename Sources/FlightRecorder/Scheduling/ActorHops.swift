// What the recorder writes for actor hops (see CFlightRecorder's actor_hops.h for how hops are
// seen, and why that is sound).
//
// Invariants:
// - On for as long as `GlobalExecutorTakeover` is installed, and written only while a
//   recorder records: the takeover stamps the jobs the hops happen in, and the records below
//   rely on those stamps to know which task a thread runs.
// - A hop asked for onto an actor writes `actorWait` (the task is blocked on the actor from
//   then); the trampoline's report writes `actorRun` (the task runs on this thread, holding
//   the actor). A free actor gives both at once on one thread: a wait of zero. A hop back to
//   the generic executor by the task that holds an actor on this thread writes `actorRun` of
//   actor 0 when asked: the runtime gives the actor up before the task runs on, and a thread
//   preempted in between must not make the hold look longer than it was.
// - The task whose hop is pending on this thread (asked, not resumed here) gets nothing more
//   from this thread: its wait is its last record. The job end stamp and `closeAdopted` skip
//   it (the task is queued elsewhere and another thread resumes it).
// - A task resumed here outside any stamped job of it (an actor's queue drained here, the main
//   actor's queue) is *adopted*: retained, and closed with the state its status then shows
//   (ended, blocked, runnable, or nothing when it already moved on) when the next adopted task
//   resumes here, when a stamped job starts here, or when the job that drained the queue ends.
// - Needs the private task layout (RuntimeTask.layoutKnown) to read that status: without it,
//   hops are not recorded at all.
// - Not seen: hops made inside the concurrency runtime's own code (not through the PLT), and
//   tasks resumed onto an actor by a continuation (they show up at their next hop).

import CFlightRecorder
import TraceFormat

enum ActorHops {
    /// The main actor's executor identity (compared, never dereferenced).
    nonisolated(unsafe) private static var mainIdentity: UInt = 0
    private static let mainActorName = StringTable.shared.intern("MainActor")

    /// Starts recording hops; false when the interposer is not available here.
    static func enable() -> Bool {
        guard RuntimeTask.layoutKnown, fr_actor_hops_available() else { return false }
        mainIdentity = unsafeBitCast(MainActor.sharedUnownedExecutor, to: (UInt, UInt).self).0
        return fr_actor_hops_enable(askedCallback, resumedCallback)
    }

    static func disable() { fr_actor_hops_disable() }

    private static let askedCallback: @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer?) -> Void = { task, identity in
        ActorHops.hopAsked(task, identity)
    }

    private static let resumedCallback: @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer?) -> Void = { task, identity in
        ActorHops.hopResumed(task, identity)
    }

    // MARK: reports

    static func hopAsked(_ task: UnsafeMutableRawPointer, _ identity: UnsafeRawPointer?) {
        guard let identity else {
            // Back to the generic executor: only a task known to hold an actor here says so.
            guard fr_hop_holder() == task, let s = Emit.reserve() else { return }
            fr_hop_set_holder(nil)
            append(.actorRun, task: fr_state_task_id_of(s, task), actor: 0, type: 0, s)
            return
        }
        guard let s = Emit.reserve() else { return }
        let id = fr_state_task_id_of(s, task)
        if id != sched_running_task() && fr_hop_adopted() != task {
            // Running here unseen (resumed by a continuation onto an actor): from now on.
            closeAdopted()
            adopt(task, id)
            Emit.taskRunning(task: id)
        }
        if fr_hop_holder() == task { fr_hop_set_holder(nil) }
        if let s = Emit.room() { append(.actorWait, task: id, identity: identity, s) }
        fr_hop_set_pending(task)
    }

    static func hopResumed(_ task: UnsafeMutableRawPointer, _ identity: UnsafeRawPointer?) {
        guard let identity, let s = Emit.reserve() else { return }
        if fr_hop_pending() == task { fr_hop_set_pending(nil) }
        let id = fr_state_task_id_of(s, task)
        if id != sched_running_task() && fr_hop_adopted() != task {
            closeAdopted()
            adopt(task, id)
        }
        fr_hop_set_holder(task)
        if let s = Emit.room() { append(.actorRun, task: id, identity: identity, s) }
    }

    /// A stamped job starts on this thread: what it ran outside stamped jobs (an actor's queue
    /// drained here) is over, and no hop of an earlier job is pending or holding here.
    @inline(__always)
    static func jobStarting() {
        closeAdoptedIfAny()
        fr_hop_set_pending(nil)
        fr_hop_set_holder(nil)
    }

    // MARK: adopted tasks

    private static func adopt(_ task: UnsafeMutableRawPointer, _ id: UInt64) {
        sched_retain(task)
        fr_hop_set_adopted(task, id, sched_job_marker(task))
    }

    /// Ends the adopted task's time on this thread, if there is one (also while not recording:
    /// the task was retained).
    @inline(__always)
    static func closeAdoptedIfAny() {
        if fr_hop_adopted() != nil { closeAdopted() }
    }

    static func closeAdopted() {
        guard let task = fr_hop_adopted() else { return }
        let id = fr_hop_adopted_id(), marker = fr_hop_adopted_marker()
        fr_hop_set_adopted(nil, 0, 0)
        if fr_hop_holder() == task { fr_hop_set_holder(nil) }
        defer { sched_release(task) }
        if fr_hop_pending() == task {
            fr_hop_set_pending(nil)
            return
        }
        guard fr_is_recording() else { return }
        let ticks = fr_ticks()
        switch RuntimeTask.afterJob(task, markerAtStart: marker) {
        case .finished: Emit.jobEnd(.taskEnded, task: id, ticks: ticks)
        case .suspended:
            SuspensionPoints.record(task: id, job: task, ticks: ticks)
            Emit.jobEnd(.taskBlocked, task: id, ticks: ticks)
        case .movedAway: Emit.jobEnd(.taskRunnable, task: id, ticks: ticks)
        case .alreadyResumed: break
        }
    }

    // MARK: records

    private static func append(_ kind: EventKind, task: UInt64, identity: UnsafeRawPointer,
                               _ s: UnsafeMutablePointer<fr_thread_state>) {
        append(kind, task: task, actor: UInt64(UInt(bitPattern: identity)), type: typeName(identity, s), s)
    }

    /// An actor record; `actor` 0 (with `type` 0) is the generic executor. Internal for the
    /// format's cross-check test (RecordKindTests), which encodes every kind through it.
    static func append(_ kind: EventKind, task: UInt64, actor: UInt64, type: UInt64,
                               _ s: UnsafeMutablePointer<fr_thread_state>) {
        let t = Emit.now(s)
        let end = EventRecord.actor(kind, dt: t &- s.pointee.last_ticks, task: task, actor: actor,
                                    typeRef: StringRef.interned(type), at: s.pointee.write.unsafelyUnwrapped)
        fr_state_commit_stateful(s, end, t)
    }

    /// The interned type name of the actor (or executor) `identity`, cached per thread by its
    /// class metadata.
    @inline(__always)
    private static func typeName(_ identity: UnsafeRawPointer, _ s: UnsafeMutablePointer<fr_thread_state>) -> UInt64 {
        let isMain = UInt(bitPattern: identity) == mainIdentity
        guard let metadata = fr_object_metadata(identity) else { return 0 }
        let key = isMain ? UInt(bitPattern: identity) | 1 : UInt(bitPattern: metadata)
        let cached = fr_name_cache_lookup(s, key)
        if cached != 0 { return cached }
        let id = isMain ? mainActorName : StringTable.shared.intern(_typeName(unsafeBitCast(metadata, to: Any.Type.self),
                                                                                qualified: false))
        fr_name_cache_store(s, key, id)
        return id
    }
}
