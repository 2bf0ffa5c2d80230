// Every private layout of the Swift concurrency runtime the recorder reads, in one place.
//
// Invariants:
// - These are the runtime's layout version 1 (`_swift_concurrency_debug_internal_layout_version`,
//   the versioned layout it exports for debuggers and swift-inspect) on a 64-bit target. Code
//   reads them only behind `sched_task_layout_known()` (sched_runtime.h), which checks that
//   version once; otherwise it records what needs no private field, with one log line.
// - Each offset has a test that fails if it breaks: RuntimeLayoutTests reads every one of them
//   on live tasks (job header, scheduler-private words, status, status records and the name,
//   resume function and context); SuspensionPointTests walks the async contexts' Parent and
//   ResumeParent. At run time, the id cache checks the job id word against the runtime's id
//   (fr_state_task_id_miss) before relying on it.
// - Public ABI (Job's scheduler-private words, AsyncContext's first two words) is marked so.
// - The runtime entry points annotations call (fast_path.h: swift_task_getCurrent,
//   swift_task_getJobTaskId, swift_task_localValueGet) are public ABI. The one assumption
//   beside them, that a TaskLocal's key is its object's address, is checked once per process
//   before it is used (LogicalTask.keyVerified, with TaskLocal's own accessor as the fallback)
//   and tested (TaskLocalEntryPointTests).
#ifndef RUNTIME_LAYOUT_H
#define RUNTIME_LAYOUT_H

// MARK: Job (every job; a task is a job)

/// Job::SchedulerPrivate[1] (public ABI: reserved for the executor the job is enqueued on;
/// index 0 links tasks waiting on a future, index 1 is used by Dispatch when a job is handed
/// to it directly).
#define SCHED_JOB_PRIVATE_OFFSET 24
/// Job::SchedulerPrivate[0] (public ABI, the same reservation): the global-executor takeover
/// carries a task's id in it from the enqueue stamp to the start stamp. Free while the job is
/// enqueued on the takeover: a woken waiter's link is read before it is enqueued.
#define SCHED_JOB_CARRY_OFFSET 16
/// Job header: HeapObject (16), SchedulerPrivate[2] (16), then the 32-bit flags.
#define SCHED_JOB_FLAGS_OFFSET 32
/// Job::Id, after the flags: for a task, the low half of its id.
#define FR_JOB_ID_OFFSET 0x24
/// JobFlags: low byte is the kind (0: a task); bit 30: the task has a name record.
#define SCHED_JOB_KIND_MASK 0xFFu
#define SCHED_JOB_HAS_NAME (1u << 30)

// MARK: AsyncTask

/// Job::RunJob / AsyncTask's ResumeTask (one slot): after the flags and id (8), Voucher (8) and
/// Reserved (8). For a suspended task, the function it resumes in (its await's continuation).
#define SCHED_RESUME_FUNCTION_OFFSET 56
/// AsyncTask::ResumeContext follows Voucher, Reserved and the run function.
#define SCHED_RESUME_CONTEXT_OFFSET 64
/// ActiveTaskStatus: after ResumeContext, Reserved64 and the exclusivity access set.
#define SCHED_STATUS_FLAGS_OFFSET 96
#define SCHED_STATUS_RECORD_OFFSET 104
/// ActiveTaskStatus flags.
#define SCHED_STATUS_RUNNING 0x800u
#define SCHED_STATUS_ENQUEUED 0x1000u
#define SCHED_STATUS_COMPLETE 0x2000u

// MARK: TaskStatusRecord

/// TaskStatusRecord: the flags word (kind in the low byte), then the parent record.
#define SCHED_RECORD_FLAGS_OFFSET 0
#define SCHED_RECORD_PARENT_OFFSET 8
/// TaskStatusRecordKind::TaskName, and where a TaskNameStatusRecord holds its name.
#define SCHED_RECORD_KIND_NAME 6u
#define SCHED_NAME_RECORD_NAME_OFFSET 16

// MARK: AsyncContext (public ABI)

/// AsyncContext: Parent, then ResumeParent.
#define SCHED_CONTEXT_PARENT_OFFSET 0
#define SCHED_CONTEXT_RESUME_PARENT_OFFSET 8

#endif
