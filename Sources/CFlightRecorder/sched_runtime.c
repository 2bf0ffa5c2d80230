// Runtime helpers of the scheduling capture (see include/sched_runtime.h for the invariants).
#include "sched_runtime.h"

#include <stddef.h>

FR_THREAD_LOCAL sched_thread_marks sched_tls = {0, NULL, 0, NULL, NULL, 0};
FR_THREAD_LOCAL const void *sched_tls_announced_chunk = NULL;
FR_THREAD_LOCAL uint64_t sched_tls_enqueues = 0;
uint64_t sched_timer_tasks[SCHED_TIMER_SLOTS];

// MARK: layout

// Exported by libswift_Concurrency for debuggers (swift-inspect, LLDB): the version of the
// private task layout. Weak, so a runtime without them reads as "unknown layout".
extern const uint32_t _swift_concurrency_debug_internal_layout_version __attribute__((weak));
extern const size_t _swift_concurrency_debug_asyncTaskSize __attribute__((weak));

int sched_layout_state = 0;  // 0 unchecked, 1 known, 2 unknown

bool sched_task_layout_known(void) {
    int state = __atomic_load_n(&sched_layout_state, __ATOMIC_RELAXED);
    if (state == 0) {
        bool known = sizeof(void *) == 8
#if defined(__arm64e__)
            // Pointer authentication signs the resume context: it cannot be read raw.
            && false
#endif
            && &_swift_concurrency_debug_internal_layout_version != NULL
            && &_swift_concurrency_debug_asyncTaskSize != NULL
            && _swift_concurrency_debug_internal_layout_version == 1
            // The fields read here all lie inside the fixed part of a task.
            && _swift_concurrency_debug_asyncTaskSize >= SCHED_STATUS_RECORD_OFFSET + sizeof(void *);
        state = known ? 1 : 2;
        __atomic_store_n(&sched_layout_state, state, __ATOMIC_RELAXED);
    }
    return state == 1;
}

const char *sched_task_name(const void *task) {
    if ((sched_job_flags(task) & SCHED_JOB_HAS_NAME) == 0) return NULL;
    // TaskStatusRecord: flags word (kind in the low byte), parent record; a TaskNameStatusRecord
    // then holds the name. The chain is short (name, executor preference, a few more).
    const void *record = __atomic_load_n((const void *const *)((const char *)task + SCHED_STATUS_RECORD_OFFSET),
                                         __ATOMIC_ACQUIRE);
    for (int depth = 0; record != NULL && depth < 32; depth++) {
        uintptr_t flags = *(const uintptr_t *)((const char *)record + SCHED_RECORD_FLAGS_OFFSET);
        if ((flags & 0xFFu) == SCHED_RECORD_KIND_NAME) {
            return *(const char *const *)((const char *)record + SCHED_NAME_RECORD_NAME_OFFSET);
        }
        record = *(const void *const *)((const char *)record + SCHED_RECORD_PARENT_OFFSET);
    }
    return NULL;
}

// MARK: reference counting and running

typedef struct {
    void *identity;
    uintptr_t implementation;
} sched_executor_ref;

extern void swift_job_run(void *job, sched_executor_ref executor) FR_SWIFTCALL;

void sched_run_global_job(void *job) {
    // SerialExecutorRef::generic(): no identity, no implementation.
    sched_executor_ref generic = {NULL, 0};
    swift_job_run(job, generic);
}

// MARK: takeover

typedef void (*sched_global_original)(void *job) FR_SWIFTCALL;
typedef void (*sched_global_hook)(void *job, sched_global_original original) FR_SWIFTCALL;
typedef void (*sched_delay_original)(unsigned long long delay, void *job) FR_SWIFTCALL;
typedef void (*sched_delay_hook)(unsigned long long delay, void *job, sched_delay_original original) FR_SWIFTCALL;
typedef void (*sched_deadline_original)(long long sec, long long nsec, long long tsec, long long tnsec,
                                        int clock, void *job) FR_SWIFTCALL;
typedef void (*sched_deadline_hook)(long long sec, long long nsec, long long tsec, long long tnsec, int clock,
                                    void *job, sched_deadline_original original) FR_SWIFTCALL;

extern sched_global_hook swift_task_enqueueGlobal_hook;
extern sched_delay_hook swift_task_enqueueGlobalWithDelay_hook;
extern sched_deadline_hook swift_task_enqueueGlobalWithDeadline_hook;

static sched_enqueue_callback sched_on_enqueue = NULL;
static sched_timer_callback sched_on_timer = NULL;
static sched_global_hook sched_saved_global = NULL;
static sched_delay_hook sched_saved_delay = NULL;
static sched_deadline_hook sched_saved_deadline = NULL;
static int sched_installed = 0;

static FR_SWIFTCALL void sched_global_hook_fn(void *job, sched_global_original original) {
    sched_enqueue_callback callback = __atomic_load_n(&sched_on_enqueue, __ATOMIC_ACQUIRE);
    if (callback != NULL) callback(job);
    else original(job);
}

static FR_SWIFTCALL void sched_delay_hook_fn(unsigned long long delay, void *job, sched_delay_original original) {
    sched_note_timer_task(fr_job_task_id(job));
    sched_timer_callback timer = __atomic_load_n(&sched_on_timer, __ATOMIC_ACQUIRE);
    if (timer != NULL) timer();
    sched_delay_hook saved = __atomic_load_n(&sched_saved_delay, __ATOMIC_ACQUIRE);
    if (saved != NULL) saved(delay, job, original);
    else original(delay, job);
}

static FR_SWIFTCALL void sched_deadline_hook_fn(long long sec, long long nsec, long long tsec, long long tnsec,
                                                int clock, void *job, sched_deadline_original original) {
    sched_note_timer_task(fr_job_task_id(job));
    sched_timer_callback timer = __atomic_load_n(&sched_on_timer, __ATOMIC_ACQUIRE);
    if (timer != NULL) timer();
    sched_deadline_hook saved = __atomic_load_n(&sched_saved_deadline, __ATOMIC_ACQUIRE);
    if (saved != NULL) saved(sec, nsec, tsec, tnsec, clock, job, original);
    else original(sec, nsec, tsec, tnsec, clock, job);
}

int sched_takeover_install(sched_enqueue_callback onEnqueue, sched_timer_callback onTimer) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&sched_installed, &expected, 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return SCHED_ALREADY_INSTALLED;
    }
    if (__atomic_load_n(&swift_task_enqueueGlobal_hook, __ATOMIC_ACQUIRE) != NULL) {
        __atomic_store_n(&sched_installed, 0, __ATOMIC_RELEASE);
        return SCHED_OTHER_EXECUTOR;
    }
    __atomic_store_n(&sched_on_enqueue, onEnqueue, __ATOMIC_RELEASE);
    __atomic_store_n(&sched_on_timer, onTimer, __ATOMIC_RELEASE);
    __atomic_store_n(&sched_saved_global, __atomic_load_n(&swift_task_enqueueGlobal_hook, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
    __atomic_store_n(&sched_saved_delay, __atomic_load_n(&swift_task_enqueueGlobalWithDelay_hook, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
    __atomic_store_n(&sched_saved_deadline, __atomic_load_n(&swift_task_enqueueGlobalWithDeadline_hook, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
    __atomic_store_n(&swift_task_enqueueGlobalWithDelay_hook, sched_delay_hook_fn, __ATOMIC_RELEASE);
    __atomic_store_n(&swift_task_enqueueGlobalWithDeadline_hook, sched_deadline_hook_fn, __ATOMIC_RELEASE);
    __atomic_store_n(&swift_task_enqueueGlobal_hook, sched_global_hook_fn, __ATOMIC_RELEASE);
    return SCHED_INSTALLED;
}

void sched_takeover_uninstall(void) {
    if (__atomic_load_n(&sched_installed, __ATOMIC_ACQUIRE) != 1) return;
    // Hooks first: no new job reaches our functions. A call already inside one of them still
    // finds its callbacks (they stay set) and completes normally.
    // A hook someone installed over ours stays: we only take back what is still ours.
    sched_global_hook ours_global = sched_global_hook_fn;
    sched_delay_hook ours_delay = sched_delay_hook_fn;
    sched_deadline_hook ours_deadline = sched_deadline_hook_fn;
    __atomic_compare_exchange_n(&swift_task_enqueueGlobal_hook, &ours_global, sched_saved_global, false,
                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    __atomic_compare_exchange_n(&swift_task_enqueueGlobalWithDelay_hook, &ours_delay, sched_saved_delay, false,
                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    __atomic_compare_exchange_n(&swift_task_enqueueGlobalWithDeadline_hook, &ours_deadline, sched_saved_deadline, false,
                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    __atomic_store_n(&sched_installed, 0, __ATOMIC_RELEASE);
}
