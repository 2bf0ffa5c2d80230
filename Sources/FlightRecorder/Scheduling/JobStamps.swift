// The records an executor writes around each job: enqueue -> runnable, start -> running,
// end -> blocked / runnable / ended. A job hop costs two records when a task yields (running,
// then runnable at the job's end) and three when it blocks and is woken (running, blocked,
// runnable at the wake-up).
//
// Invariants:
// - Nothing is written, and no task is touched, when the recorder is not recording (one relaxed
//   load per enqueue and per job).
// - Enqueue (on the enqueuing thread): a task's first enqueue writes taskCreated (parent = the
//   task that created it; a task named with `Task(name:)` has that name as name and group, an
//   anonymous one an empty group, which readers replace with the creator's innermost region),
//   then every enqueue writes taskRunnable with the waker: the task whose job this thread is
//   running (also right after a completing task cleared the runtime's current task, when it
//   wakes its waiters), else the runtime's current task, else the task an actor's queue
//   resumed here (ActorHops' adopted task: it may complete on the actor), else 0; 0 also for
//   a sleep's wake-up task (it runs as a timer job here, or hops to the global executor
//   first: it is known by its id, noted when it was scheduled).
// - Exception, the yield hand-off: a task's re-enqueue by the continuation job of its own
//   yield writes nothing when that continuation runs on the thread whose job yielded, right
//   after it (no stamped job in between): the runnable record written at the yield's end is
//   then the task's last record, and the task is still runnable (see sched_runtime.h). Any
//   other re-enqueue is stamped as above. A recorder restarted inside that hand-off sees the
//   task first as running (readers introduce tasks on first sight).
// - The enqueue stamp hands what it learnt (the task's id; for a yield's continuation, the
//   yielding task and thread) to the start stamp through the queue entry, so the start asks
//   the runtime nothing it already answered. The global-executor takeover's jobs have no queue
//   entry of ours: a task's id goes in the job's scheduler-private word (`carry`), checked
//   against the job's id word at the start; a yield's continuation hands nothing over there.
// - Start (on the worker): taskRunning, after which the task is retained until the end stamp so
//   its status can be read after the job (the job may complete the task, or another thread may
//   resume and complete it before the end stamp reads it: without a reference of our own, that
//   read could touch freed memory).
// - End: taskEnded if the task finished; nothing if it was already enqueued again on a
//   recording executor or runs again (its runnable record ended the job, so per task no two
//   jobs overlap); taskRunnable (waker: the task itself) if it moved to an executor that
//   records nothing (main actor, custom actor executor) or if the job yielded; otherwise
//   taskBlocked with reason "sleep" if the job scheduled a timer on a recording executor
//   (Task.sleep), else the empty reason ("suspended"; readers substitute the innermost open
//   blocking region).
// - Non-task jobs (runtime continuation jobs) are run without records. With the runtime's
//   private layout known, a job's kind is read from its header instead of asking the runtime
//   for a task id that would be 0.
// - A task is "created" at its first enqueue, so tasks that already existed when recording
//   started, and tasks started with `Task.immediate` (they run before any enqueue), get no
//   taskCreated: readers introduce them on first sight, without parent or name.

import CFlightRecorder

/// What the enqueue stamp hands to the start stamp, in the job's queue entry.
struct EnqueueStamp: Sendable {
    /// A task's job: its id. A yield's continuation job: the yielding task's id. 0: unknown
    /// (not stamped: the start stamp asks the runtime).
    var task: UInt64
    /// A yield's continuation job: the yielding task (its job pointer's bits); 0 otherwise.
    var yielder: UInt
    /// A yield's continuation job: the thread that enqueued it (`sched_thread_token`).
    var origin: UInt

    init(task: UInt64 = 0, yielder: UInt = 0, origin: UInt = 0) {
        self.task = task
        self.yielder = yielder
        self.origin = origin
    }
}

/// What the start stamp hands to the end stamp.
struct JobStamp: Sendable {
    /// The task of the job, 0 when nothing is recorded for it.
    var task: UInt64
    var cpuStart: UInt64
    /// The job's enqueue marker when it started.
    var marker: UInt64

    init(task: UInt64, cpuStart: UInt64, marker: UInt64) {
        self.task = task
        self.cpuStart = cpuStart
        self.marker = marker
    }

    /// Nothing recorded (computed, not a stored global: no lazy-initialization check per job).
    static var none: JobStamp { JobStamp(task: 0, cpuStart: 0, marker: 0) }
}

enum JobStamps {
    /// The interned reason of blocks in Task.sleep.
    static let sleepReason: UInt64 = StringTable.shared.intern("sleep")

    /// The id of the task a job belongs to, 0 for a job that is not a task's. With the private
    /// layout known, non-task jobs are told by their header's kind, without a runtime call.
    @inline(__always)
    static func taskID(_ job: UnsafeMutableRawPointer) -> UInt64 {
        if RuntimeTask.layoutKnown && !sched_job_is_task(job) { return 0 }
        return fr_job_task_id(job)
    }

    // MARK: enqueue

    /// A job was enqueued on a recording executor (called on the enqueuing thread). The result
    /// goes into the job's queue entry, for `starting`.
    @inline(__always) @discardableResult
    static func enqueued(_ job: UnsafeMutableRawPointer) -> EnqueueStamp {
        guard fr_is_recording() else { return EnqueueStamp() }
        return enqueuedWhileRecording(job)
    }

    static func enqueuedWhileRecording(_ job: UnsafeMutableRawPointer) -> EnqueueStamp {
        // The yield hand-off: the continuation running here re-enqueues the task that yielded.
        let resumed = sched_take_resuming(job)
        if resumed != 0 { return EnqueueStamp(task: resumed) }
        let task = taskID(job)
        guard task != 0 else {
            // A continuation job enqueued from the job of a task: Task.yield.
            guard let yielder = sched_running_job() else { return EnqueueStamp() }
            sched_add_mark(SCHED_MARK_YIELD)
            return EnqueueStamp(task: sched_running_job_task(), yielder: UInt(bitPattern: yielder),
                                origin: sched_thread_token())
        }
        let waker = currentWaker()
        if RuntimeTask.layoutKnown && RuntimeTask.neverRan(job) {
            created(task: task, parent: waker, job: job)
        }
        Emit.taskRunnable(task: task, waker: waker)
        return EnqueueStamp(task: task)
    }

    /// The task on whose behalf this thread enqueues now: the task whose job this thread runs
    /// (a thread-local read; it is also right after a completing task cleared the runtime's
    /// current task), else the runtime's current task (another executor's thread).
    @inline(__always)
    static func currentWaker() -> UInt64 {
        if sched_marks() & SCHED_MARK_TIMER != 0 { return 0 }
        let running = sched_running_task()
        if running != 0 { return running }
        // The same read annotations use (the runtime's variable, when this thread found it).
        let current = fr_current_state().map { fr_state_task_id($0) } ?? fr_current_task_id()
        // A sleep's wake-up task, resuming the sleeper from the global executor's thread.
        if current != 0 { return sched_is_timer_task(current) ? 0 : current }
        // A task resumed here by an actor's queue (adopted) that completes on the actor: the
        // runtime has cleared its current task before it wakes the task waiting for it.
        return fr_hop_adopted() != nil ? fr_hop_adopted_id() : 0
    }

    static func created(task: UInt64, parent: UInt64, job: UnsafeMutableRawPointer) {
        TaskOrigins.record(task: task)
        if let name = RuntimeTask.name(job) {
            Emit.namedTaskCreated(task: task, parent: parent, name: name)
        } else {
            Emit.taskCreated(task: task, parent: parent, name: 0, group: 0)
        }
    }

    /// A task on this thread scheduled `job` to run after a delay (Task.sleep's wake-up task).
    @inline(__always)
    static func timerScheduled(_ job: UnsafeMutableRawPointer) {
        sched_note_timer_task(fr_job_task_id(job))
        if sched_running_task() != 0 { sched_add_mark(SCHED_MARK_SLEEP) }
    }

    /// A task on this thread scheduled a delayed job through the runtime's hooks (takeover).
    @inline(__always)
    static func timerScheduled() {
        if sched_running_task() != 0 { sched_add_mark(SCHED_MARK_SLEEP) }
    }

    // MARK: start and end

    /// Before running a job on this thread; `enqueue` is its queue entry's stamp. Returns what
    /// `ended` needs.
    @inline(__always)
    static func starting(_ job: UnsafeMutableRawPointer, enqueue: EnqueueStamp,
                         threadName: UnsafeRawBufferPointer?) -> JobStamp {
        guard fr_is_recording() else { return JobStamp.none }
        return startingWhileRecording(job, enqueue, threadName: threadName)
    }

    /// Puts the enqueue stamp's task id in the job for `startingCarried` (with the private
    /// layout known; every enqueue writes the word, 0 when there is no task id to hand over).
    @inline(__always)
    static func carry(_ enqueue: EnqueueStamp, in job: UnsafeMutableRawPointer) {
        guard RuntimeTask.layoutKnown else { return }
        sched_carry_task_id(job, enqueue.yielder == 0 ? enqueue.task : 0)
    }

    /// `starting` for a job whose enqueue stamp was put in the job (`carry`).
    @inline(__always)
    static func startingCarried(_ job: UnsafeMutableRawPointer, threadName: UnsafeRawBufferPointer?) -> JobStamp {
        guard fr_is_recording() else { return JobStamp.none }
        let task = RuntimeTask.layoutKnown ? sched_carried_task_id(job) : 0
        return startingWhileRecording(job, EnqueueStamp(task: task), threadName: threadName)
    }

    /// `starting` for a job whose enqueue handed nothing over.
    @inline(__always)
    static func starting(_ job: UnsafeMutableRawPointer, threadName: UnsafeRawBufferPointer?) -> JobStamp {
        starting(job, enqueue: EnqueueStamp(), threadName: threadName)
    }

    static func startingWhileRecording(_ job: UnsafeMutableRawPointer, _ enqueue: EnqueueStamp,
                                       threadName: UnsafeRawBufferPointer?) -> JobStamp {
        let task = enqueue.yielder != 0 ? 0 : enqueue.task != 0 ? enqueue.task : taskID(job)
        guard task != 0 else {
            sched_continuation_started(UnsafeRawPointer(bitPattern: enqueue.yielder), enqueue.task, enqueue.origin)
            return JobStamp.none
        }
        if RuntimeTask.layoutKnown { sched_retain(job) }
        ActorHops.jobStarting()
        Emit.taskRunning(task: task)
        if let threadName, sched_thread_needs_name() { announce(threadName) }
        sched_job_started(job, task)
        sched_set_running_task(task)
        return JobStamp(task: task, cpuStart: ThreadCPUTime.isEnabled ? ThreadCPUTime.now() : 0,
                        marker: sched_job_marker(job))
    }

    /// After the job returned.
    @inline(__always)
    static func ended(_ job: UnsafeMutableRawPointer, _ stamp: JobStamp) {
        guard stamp.task != 0 else {
            sched_continuation_ended()
            // A job that drained an actor's queue: the last task it ran there is done here.
            ActorHops.closeAdoptedIfAny()
            return
        }
        endedWhileRecording(job, stamp)
    }

    static func endedWhileRecording(_ job: UnsafeMutableRawPointer, _ stamp: JobStamp) {
        let task = stamp.task
        let marks = sched_marks()
        sched_set_running_task(0)
        if stamp.cpuStart != 0 {
            Emit.jobCPUTime(task: task, cpuNs: ThreadCPUTime.now() &- stamp.cpuStart)
        }
        // The end's time is read before the task's status: another thread that resumes the task
        // after that read stamps its runnable record later still (the runtime marks the task
        // enqueued before the enqueue hook stamps), so "blocked" never follows that "runnable".
        let ticks = fr_ticks()
        guard RuntimeTask.layoutKnown else {
            Emit.jobEnd(.taskBlocked, task: task, reason: marks & SCHED_MARK_SLEEP != 0 ? sleepReason : 0, ticks: ticks)
            sched_job_ended(job, false)
            return
        }
        if fr_hop_pending() == job {
            // The job ended by hopping to a busy executor: the wait (or the enqueue) recorded
            // then is the task's last record here; the thread that runs it there goes on.
            fr_hop_set_pending(nil)
            sched_job_ended(job, false)
            sched_release(job)
            return
        }
        var yielded = false
        switch RuntimeTask.afterJob(job, markerAtStart: stamp.marker) {
        case .finished:
            Emit.jobEnd(.taskEnded, task: task, ticks: ticks)
        case .alreadyResumed:
            break
        case .movedAway:
            Emit.jobEnd(.taskRunnable, task: task, ticks: ticks)
        case .suspended:
            if marks & SCHED_MARK_YIELD != 0 {
                Emit.jobEnd(.taskRunnable, task: task, ticks: ticks)
                yielded = true
            } else if marks & SCHED_MARK_SLEEP != 0 {
                Emit.jobEnd(.taskBlocked, task: task, reason: sleepReason, ticks: ticks)
            } else {
                SuspensionPoints.record(task: task, job: job, ticks: ticks)
                Emit.jobEnd(.taskBlocked, task: task, ticks: ticks)
            }
        }
        sched_job_ended(job, yielded)
        sched_release(job)
    }

    // MARK: timer jobs

    /// Before running a timer job (a sleep's wake-up task): it is runtime plumbing, not
    /// recorded, and the tasks it wakes have no task as waker.
    @inline(__always)
    static func startingTimer() { sched_set_marks(SCHED_MARK_TIMER) }

    @inline(__always)
    static func endedTimer() { sched_set_marks(0) }

    // MARK: thread names

    /// Writes this worker's full name (the OS keeps 15 bytes) once per chunk.
    static func announce(_ name: UnsafeRawBufferPointer) {
        guard let s = Emit.reserve(extra: name.count) else { return }
        Emit.threadName(name, into: s)
        sched_thread_named()
    }
}
