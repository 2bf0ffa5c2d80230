// Scheduling capture: what the recording executor reads from the Swift concurrency runtime,
// and the per-thread marks a job leaves for its end stamp.
//
// Invariants:
// - Task fields are read only through the accessors below, and only when
//   `sched_task_layout_known()` says the runtime's private task layout is the one they encode
//   (layout version 1 of `_swift_concurrency_debug_internal_layout_version`, the versioned
//   layout the runtime exports for debuggers and swift-inspect, on a 64-bit target). Otherwise
//   callers record what needs no private field (ids, runnable/running/blocked) and nothing else.
// - A task is read only while the caller knows it is alive: at enqueue (the enqueuer holds it)
//   or after the caller retained it (`sched_retain`) around running its job.
// - The marks and the running task are thread-local and touched only by their own thread.
// - Everything a job's stamps call here is static inline, apart from the runtime's own entry
//   points (task id, retain, release): no call into this library per job.
#ifndef SCHED_RUNTIME_H
#define SCHED_RUNTIME_H

#include "CFlightRecorder.h"
#include "runtime_layout.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// The private layout these accessors read: runtime_layout.h.

/// Whether the accessors below match this runtime (checked once, cached).
bool sched_task_layout_known(void);

/// 0 until `sched_task_layout_known` ran, then 1 (known) or 2 (unknown).
extern int sched_layout_state;

/// `sched_task_layout_known()` with the cached answer read inline (one relaxed load).
static inline bool sched_layout_known(void) {
    int state = __atomic_load_n(&sched_layout_state, __ATOMIC_RELAXED);
    if (__builtin_expect(state != 0, 1)) return state == 1;
    return sched_task_layout_known();
}

static inline uint32_t sched_job_flags(const void *_Nonnull job) {
    return __atomic_load_n((const uint32_t *)((const char *)job + SCHED_JOB_FLAGS_OFFSET), __ATOMIC_RELAXED);
}

static inline bool sched_job_is_task(const void *_Nonnull job) {
    return (sched_job_flags(job) & SCHED_JOB_KIND_MASK) == 0;
}

static inline uint32_t sched_task_status(const void *_Nonnull task) {
    return __atomic_load_n((const uint32_t *)((const char *)task + SCHED_STATUS_FLAGS_OFFSET), __ATOMIC_ACQUIRE);
}


/// The await chain of a suspended task, innermost first: the function it will resume in (the
/// continuation of the await it suspended at, a partial function of the awaiting function),
/// then the functions its callers resume in, read up its async contexts (each context's
/// ResumeParent, then its Parent), at most `capacity`, repeats dropped. Read right after its
/// job ended, while the caller holds the task. The task's own fields are safe to read; a
/// context is read only while the task's status still says it is suspended (nothing pops a
/// suspended task's contexts) and only if its address is plausible (nonzero, 16-byte aligned):
/// a task resumed meanwhile ends the walk.
static inline size_t sched_task_await_chain(const void *_Nonnull task, uintptr_t *_Nonnull out, size_t capacity) {
    if (capacity == 0) return 0;
    uintptr_t function = __atomic_load_n((const uintptr_t *)((const char *)task + SCHED_RESUME_FUNCTION_OFFSET),
                                         __ATOMIC_RELAXED);
    if (function == 0) return 0;
    size_t n = 0;
    out[n++] = function;
    const char *context = __atomic_load_n((const char *const *)((const char *)task + SCHED_RESUME_CONTEXT_OFFSET),
                                          __ATOMIC_ACQUIRE);
    for (int level = 0; level < 8 && n < capacity; level++) {
        if (context == NULL || ((uintptr_t)context & 15) != 0) break;
        if ((sched_task_status(task) & (SCHED_STATUS_RUNNING | SCHED_STATUS_ENQUEUED | SCHED_STATUS_COMPLETE)) != 0) break;
        uintptr_t resume = *(const uintptr_t *)(context + SCHED_CONTEXT_RESUME_PARENT_OFFSET);
        const char *parent = *(const char *const *)(context + SCHED_CONTEXT_PARENT_OFFSET);
        if (resume == 0) break;
        if (resume != out[n - 1]) out[n++] = resume;
        context = parent;
    }
    return n;
}

/// Whether the task has never run: its resume context is still the initial context that task
/// creation set up, the only async context whose parent is null.
static inline bool sched_task_never_ran(const void *_Nonnull task) {
    void *const *context = __atomic_load_n((void *const *const *)((const char *)task + SCHED_RESUME_CONTEXT_OFFSET),
                                           __ATOMIC_ACQUIRE);
    return context != NULL && *context == NULL;
}

/// The enqueue marker a recording executor left in the job (0 or another executor's value).
static inline uint64_t sched_job_marker(const void *_Nonnull job) {
    return __atomic_load_n((const uint64_t *)((const char *)job + SCHED_JOB_PRIVATE_OFFSET), __ATOMIC_ACQUIRE);
}

/// Marks a job enqueued on a recording executor (called by that executor, which owns the word
/// while the job is in its queue). Markers have bit 63 set, which no user-space pointer has,
/// and differ from one enqueue to the next.
static inline void sched_mark_job_enqueued(void *_Nonnull job) {
    extern FR_THREAD_LOCAL uint64_t sched_tls_enqueues;
    uint64_t salt = ((uint64_t)(uintptr_t)&sched_tls_enqueues >> 4) & 0xFFFFFFu;
    uint64_t marker = (1ull << 63) | ((++sched_tls_enqueues & 0x7FFFFFFFFFull) << 24) | salt;
    __atomic_store_n((uint64_t *)((char *)job + SCHED_JOB_PRIVATE_OFFSET), marker, __ATOMIC_RELEASE);
}

static inline bool sched_is_enqueue_marker(uint64_t value) { return (value >> 63) != 0; }

/// Hands the task's id from the enqueue stamp to the start stamp in the job (the takeover's
/// jobs, which have no queue entry of ours); 0 hands nothing over. Called on every enqueue, so
/// the word never holds an earlier enqueue's value. Dispatch's hand-off orders the store
/// before the worker's load.
static inline void sched_carry_task_id(void *_Nonnull job, uint64_t id) {
    __atomic_store_n((uint64_t *)((char *)job + SCHED_JOB_CARRY_OFFSET), id, __ATOMIC_RELAXED);
}

/// The id the enqueue stamp carried, when it is this job's (its low half is the job's id
/// word); 0 otherwise (then the start stamp asks the runtime).
static inline uint64_t sched_carried_task_id(const void *_Nonnull job) {
    uint64_t id = __atomic_load_n((const uint64_t *)((const char *)job + SCHED_JOB_CARRY_OFFSET), __ATOMIC_RELAXED);
    return id != 0 && (uint32_t)id == fr_job_id_word(job) ? id : 0;
}

/// The name given with `Task(name:)`, NUL-terminated; NULL when the task has none. Only for a
/// task that is not running (its status records do not change under us then).
const char *_Nullable sched_task_name(const void *_Nonnull task);

// MARK: reference counting and running

// libswiftCore's reference counting entry points (C calling convention).
extern void *_Nonnull swift_retain(void *_Nonnull object);
extern void swift_release(void *_Nullable object);

/// Holds a task alive until `sched_release` (a direct call into the runtime: no wrapper).
static inline void sched_retain(void *_Nonnull object) { (void)swift_retain(object); }
static inline void sched_release(void *_Nonnull object) { swift_release(object); }

/// Runs a job that was enqueued on the global executor (on the generic executor, as the
/// global executor would).
void sched_run_global_job(void *_Nonnull job);

// MARK: per-thread marks of the running job

/// A task's job on this thread scheduled a timer (Task.sleep): it blocks for "sleep".
#define SCHED_MARK_SLEEP 1u
/// A task's job on this thread enqueued a continuation job (Task.yield): it stays runnable.
#define SCHED_MARK_YIELD 2u
/// This thread is running a timer job: the tasks it wakes have no task as their waker.
#define SCHED_MARK_TIMER 4u

/// What a thread remembers between the stamps of its jobs (see the yield hand-off below).
typedef struct sched_thread_marks {
    /// SCHED_MARK_* of the job running on this thread.
    uint32_t marks;
    /// The task whose job runs on this thread, stamped: its job pointer and id (NULL, 0: none).
    void *_Nullable running_job;
    uint64_t running_task;
    /// The task whose job was the last one this thread ran and ended by yielding (its
    /// runnable record is written); NULL otherwise. Reset when the next job starts.
    const void *_Nullable yielded;
    /// While this thread runs the continuation job of such a yield: that task and its id. Its
    /// re-enqueue continues the runnable span the yield's record opened: no second record.
    const void *_Nullable resuming;
    uint64_t resuming_task;
} sched_thread_marks;

extern FR_THREAD_LOCAL sched_thread_marks sched_tls;
extern FR_THREAD_LOCAL const void *_Nullable sched_tls_announced_chunk;

static inline uint32_t sched_marks(void) { return sched_tls.marks; }
static inline void sched_set_marks(uint32_t marks) { sched_tls.marks = marks; }
static inline void sched_add_mark(uint32_t mark) { sched_tls.marks |= mark; }

/// A value that tells this thread from every other live thread.
static inline uintptr_t sched_thread_token(void) { return (uintptr_t)&sched_tls; }

static inline void *_Nullable sched_running_job(void) { return sched_tls.running_job; }
static inline uint64_t sched_running_job_task(void) { return sched_tls.running_task; }

/// A task's job starts on this thread, stamped: no yield hand-off survives it.
static inline void sched_job_started(void *_Nonnull job, uint64_t task) {
    sched_tls.marks = 0;
    sched_tls.running_job = job;
    sched_tls.running_task = task;
    sched_tls.yielded = NULL;
}

/// The stamped task job on this thread ended; `yielded`: by yielding, its runnable written.
static inline void sched_job_ended(const void *_Nonnull job, bool yielded) {
    sched_tls.marks = 0;
    sched_tls.running_job = NULL;
    sched_tls.running_task = 0;
    sched_tls.yielded = yielded ? job : NULL;
}

/// A job that is not a task's starts on this thread. It continues the yield this thread's
/// previous job ended with when it was enqueued by that same job on this same thread
/// (`origin`, `yielder`): only then is the yield's runnable record known to be the task's last
/// record, whatever other threads do (the task cannot run before this job resumes it).
static inline void sched_continuation_started(const void *_Nullable yielder, uint64_t yielder_task,
                                              uintptr_t origin) {
    bool continues = yielder != NULL && origin == sched_thread_token() && sched_tls.yielded == yielder;
    sched_tls.resuming = continues ? yielder : NULL;
    sched_tls.resuming_task = continues ? yielder_task : 0;
    sched_tls.yielded = NULL;
}

/// The job that is not a task's returned.
static inline void sched_continuation_ended(void) { sched_tls.resuming = NULL; }

/// If `job` is the task the running continuation resumes (its first re-enqueue only): its id.
static inline uint64_t sched_take_resuming(const void *_Nonnull job) {
    if (sched_tls.resuming != job) return 0;
    sched_tls.resuming = NULL;
    return sched_tls.resuming_task;
}
/// The task whose job a recording executor is running on this thread (0: none). Kept in the
/// recorder's thread state (`running_task`), which annotations also read to skip asking the
/// runtime for the current task: one variable for both. The job's start stamp records first,
/// so the state exists whenever a job is stamped.
static inline uint64_t sched_running_task(void) {
    fr_thread_state *s = fr_current_state();
    return s ? s->running_task : 0;
}
static inline void sched_set_running_task(uint64_t task) {
    fr_thread_state *s = fr_current_state();
    if (s) s->running_task = task;
}

/// Whether this thread's active chunk is not the one its full name was last written into.
static inline bool sched_thread_needs_name(void) {
    fr_thread_state *s = fr_current_state();
    return s != NULL && s->chunk != NULL && (const void *)s->chunk != sched_tls_announced_chunk;
}

static inline void sched_thread_named(void) {
    fr_thread_state *s = fr_current_state();
    sched_tls_announced_chunk = s != NULL ? (const void *)s->chunk : NULL;
}

// MARK: timer tasks

/// Recently scheduled timer tasks (a sleep's wake-up task), direct-mapped by id. A slot holds
/// the last id mapped to it, so a lookup never mistakes another task for a timer (ids are
/// unique); it may forget a timer whose slot a newer one took (that wake-up then names the
/// timer task as its waker).
#define SCHED_TIMER_SLOTS 1024u
extern uint64_t sched_timer_tasks[SCHED_TIMER_SLOTS];

static inline void sched_note_timer_task(uint64_t task) {
    __atomic_store_n(&sched_timer_tasks[task & (SCHED_TIMER_SLOTS - 1)], task, __ATOMIC_RELAXED);
}

static inline bool sched_is_timer_task(uint64_t task) {
    return task != 0 && __atomic_load_n(&sched_timer_tasks[task & (SCHED_TIMER_SLOTS - 1)], __ATOMIC_RELAXED) == task;
}

// MARK: global executor takeover

/// Called, instead of the global executor, with every job enqueued on it.
typedef void (*sched_enqueue_callback)(void *_Nonnull job);
/// Called when a task on this thread enqueues a job on the global executor after a delay.
typedef void (*sched_timer_callback)(void);

/// `sched_takeover_install`'s answers.
#define SCHED_INSTALLED 0
#define SCHED_ALREADY_INSTALLED 1
/// Another global executor (a hook of someone else's, such as SwiftNIO's event-loop takeover)
/// is in place: ours would silently move its jobs off it, so nothing is installed.
#define SCHED_OTHER_EXECUTOR 2

/// Installs the enqueue hooks (saving the delay and deadline hooks in place, which ours pass
/// through). Returns SCHED_INSTALLED, or why not.
int sched_takeover_install(sched_enqueue_callback _Nonnull onEnqueue, sched_timer_callback _Nonnull onTimer);
/// Restores the hooks saved by install; jobs enqueued afterwards go to the runtime again.
void sched_takeover_uninstall(void);

#ifdef __cplusplus
}
#endif
#endif
