// The private runtime layout the recorder reads (runtime_layout.h), offset by offset, on live
// tasks of this runtime: a task is enqueued on a task executor that reads what the recorder
// reads at the same moments (a first enqueue before the task ran, a wake-up enqueue, while it
// runs, after it completed) and checks each against what the runtime or the test knows.
// AsyncContext's Parent and ResumeParent (the await chain above the innermost function) are
// checked by SuspensionPointTests, which names a wait by a caller's function.

import CFlightRecorder
import Dispatch
@testable import FlightRecorder
import Synchronization
import Testing

/// What the recorder's accessors read from a job at one enqueue.
struct LayoutProbe: Sendable {
    var task: UInt
    /// JobFlags' kind (SCHED_JOB_FLAGS_OFFSET, SCHED_JOB_KIND_MASK) says task.
    var isTask: Bool
    /// JobFlags' has-name bit (SCHED_JOB_HAS_NAME).
    var hasNameFlag: Bool
    /// The resume context is the initial one (SCHED_RESUME_CONTEXT_OFFSET).
    var neverRan: Bool
    /// The Task(name:) name found through the status records (SCHED_STATUS_RECORD_OFFSET,
    /// SCHED_RECORD_*, SCHED_NAME_RECORD_NAME_OFFSET).
    var name: String?
    /// ActiveTaskStatus' flags (SCHED_STATUS_FLAGS_OFFSET).
    var status: UInt32
    /// The function the task resumes in (SCHED_RESUME_FUNCTION_OFFSET), 0 if none.
    var resumeFunction: UInt
    /// The job id word (FR_JOB_ID_OFFSET) and the runtime's id of the task.
    var idWord: UInt32
    var id: UInt64
    /// The id handed through the scheduler-private word (SCHED_JOB_CARRY_OFFSET) and the marker
    /// read back from the other (SCHED_JOB_PRIVATE_OFFSET), both written at this enqueue.
    var carried: UInt64
    var markerReadBack: Bool
}

/// A task executor that probes each job at its enqueue, then runs it on a serial queue.
final class LayoutProbingExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `probes` is a Mutex; `queue` is a Dispatch queue.
    let probes = Mutex<[LayoutProbe]>([])
    private let queue = DispatchQueue(label: "layout-probe")

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let task = unsafeBitCast(unowned, to: UnsafeMutableRawPointer.self)
        var chain = [UInt](repeating: 0, count: 8)
        _ = chain.withUnsafeMutableBufferPointer { sched_task_await_chain(task, $0.baseAddress!, 1) }
        let id = fr_job_task_id(task)
        // The scheduler-private words are this executor's while the job is queued here.
        sched_mark_job_enqueued(task)
        let marker = sched_job_marker(task)
        sched_carry_task_id(task, id)
        let probe = LayoutProbe(task: UInt(bitPattern: task), isTask: sched_job_is_task(task),
                                hasNameFlag: sched_job_flags(task) & SCHED_JOB_HAS_NAME != 0,
                                neverRan: sched_task_never_ran(task), name: sched_task_name(task).map { String(cString: $0) },
                                status: sched_task_status(task), resumeFunction: chain[0], idWord: fr_job_id_word(task),
                                id: id, carried: sched_carried_task_id(task), markerReadBack: sched_is_enqueue_marker(marker))
        probes.withLock { $0.append(probe) }
        queue.async { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    func probes(of task: UInt) -> [LayoutProbe] { probes.withLock { $0.filter { $0.task == task } } }
}

@Suite struct RuntimeLayout {
    @Test("each offset of runtime_layout.h reads what the runtime holds, at enqueue, while running and after completion")
    func offsetsReadTheRuntimesFields() async throws {
        try #require(RuntimeTask.layoutKnown, "layout version 1 on a 64-bit target")
        let executor = LayoutProbingExecutor()
        let probed = Task(name: "layout probe", executorPreference: executor) { () -> (task: UInt, id: UInt64, status: UInt32) in
            let id = fr_current_task_id()
            let task = executor.probes.withLock { $0.first { $0.id == id }?.task } ?? 0
            let status = task == 0 ? 0 : sched_task_status(UnsafeRawPointer(bitPattern: task)!)
            try? await Task.sleep(for: .milliseconds(5))  // suspends; its wake-up is enqueued here again
            return (task, id, status)
        }
        let unnamed = Task(executorPreference: executor) { fr_current_task_id() }
        let (task, id, runningStatus) = await probed.value
        let unnamedID = await unnamed.value
        try #require(task != 0, "the task's first enqueue was probed")

        let probes = executor.probes(of: task)
        try #require(probes.count >= 2, "a first enqueue and a wake-up")
        let first = probes[0], wakeUp = probes[probes.count - 1]
        // Job header: a task, named, its id word the low half of its id.
        #expect(first.isTask && wakeUp.isTask)
        #expect(first.hasNameFlag)
        #expect(first.id == id && first.idWord == UInt32(truncatingIfNeeded: id))
        // Scheduler-private words: written and read back without touching the flags or the id.
        #expect(first.markerReadBack && first.carried == id)
        // Status records: the name, before the task ran and while it is suspended.
        #expect(first.name == "layout probe" && wakeUp.name == "layout probe")
        // Resume context: the initial one until the task runs, not at its wake-up.
        #expect(first.neverRan && !wakeUp.neverRan)
        // Resume function: where the suspended task goes on.
        #expect(wakeUp.resumeFunction != 0)
        // Status flags: running while it runs; enqueued, not running, at the wake-up; complete
        // once it returned (the Task handle keeps it alive).
        #expect(runningStatus & SCHED_STATUS_RUNNING != 0)
        #expect(wakeUp.status & SCHED_STATUS_ENQUEUED != 0 && wakeUp.status & SCHED_STATUS_RUNNING == 0)
        #expect(sched_task_status(UnsafeRawPointer(bitPattern: task)!) & SCHED_STATUS_COMPLETE != 0)
        withExtendedLifetime(probed) {}

        // A task without Task(name:): no has-name bit, no name.
        let plain = try #require(executor.probes.withLock { $0.first { $0.id == unnamedID } })
        #expect(!plain.hasNameFlag && plain.name == nil)
    }
}
