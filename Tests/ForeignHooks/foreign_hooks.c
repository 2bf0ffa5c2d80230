#include "foreign_hooks.h"

#include <stdint.h>
#include <string.h>

#define SWIFTCALL __attribute__((swiftcall))

typedef void (*global_original)(void *job) SWIFTCALL;
typedef void (*global_hook)(void *job, global_original original) SWIFTCALL;
typedef void (*delay_original)(unsigned long long delay, void *job) SWIFTCALL;
typedef void (*delay_hook)(unsigned long long delay, void *job, delay_original original) SWIFTCALL;
typedef void (*deadline_original)(long long sec, long long nsec, long long tsec, long long tnsec, int clock,
                                  void *job) SWIFTCALL;
typedef void (*deadline_hook)(long long sec, long long nsec, long long tsec, long long tnsec, int clock, void *job,
                              deadline_original original) SWIFTCALL;

extern global_hook swift_task_enqueueGlobal_hook;
extern delay_hook swift_task_enqueueGlobalWithDelay_hook;
extern deadline_hook swift_task_enqueueGlobalWithDeadline_hook;

static long global_calls, delay_calls, deadline_calls, original_calls;

static SWIFTCALL void foreign_global(void *job, global_original original) {
    __atomic_add_fetch(&global_calls, 1, __ATOMIC_RELAXED);
    original(job);
}

static SWIFTCALL void foreign_delay(unsigned long long delay, void *job, delay_original original) {
    __atomic_add_fetch(&delay_calls, 1, __ATOMIC_RELAXED);
    original(delay, job);
}

static SWIFTCALL void foreign_deadline(long long sec, long long nsec, long long tsec, long long tnsec, int clock,
                                       void *job, deadline_original original) {
    __atomic_add_fetch(&deadline_calls, 1, __ATOMIC_RELAXED);
    original(sec, nsec, tsec, tnsec, clock, job);
}

void foreign_hooks_install_global(void) {
    __atomic_store_n(&swift_task_enqueueGlobal_hook, foreign_global, __ATOMIC_RELEASE);
}

void foreign_hooks_install_timers(void) {
    __atomic_store_n(&swift_task_enqueueGlobalWithDelay_hook, foreign_delay, __ATOMIC_RELEASE);
    __atomic_store_n(&swift_task_enqueueGlobalWithDeadline_hook, foreign_deadline, __ATOMIC_RELEASE);
}

void foreign_hooks_remove(void) {
    global_hook global = foreign_global;
    delay_hook delay = foreign_delay;
    deadline_hook deadline = foreign_deadline;
    __atomic_compare_exchange_n(&swift_task_enqueueGlobal_hook, &global, NULL, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    __atomic_compare_exchange_n(&swift_task_enqueueGlobalWithDelay_hook, &delay, NULL, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
    __atomic_compare_exchange_n(&swift_task_enqueueGlobalWithDeadline_hook, &deadline, NULL, false, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
}

bool foreign_hooks_global_in_place(void) {
    return __atomic_load_n(&swift_task_enqueueGlobal_hook, __ATOMIC_ACQUIRE) == foreign_global;
}

bool foreign_hooks_delay_in_place(void) {
    return __atomic_load_n(&swift_task_enqueueGlobalWithDelay_hook, __ATOMIC_ACQUIRE) == foreign_delay;
}

bool foreign_hooks_deadline_in_place(void) {
    return __atomic_load_n(&swift_task_enqueueGlobalWithDeadline_hook, __ATOMIC_ACQUIRE) == foreign_deadline;
}

bool foreign_hooks_none_in_place(void) {
    return __atomic_load_n(&swift_task_enqueueGlobal_hook, __ATOMIC_ACQUIRE) == NULL
        && __atomic_load_n(&swift_task_enqueueGlobalWithDelay_hook, __ATOMIC_ACQUIRE) == NULL
        && __atomic_load_n(&swift_task_enqueueGlobalWithDeadline_hook, __ATOMIC_ACQUIRE) == NULL;
}

long foreign_hooks_global_calls(void) { return __atomic_load_n(&global_calls, __ATOMIC_RELAXED); }
long foreign_hooks_delay_calls(void) { return __atomic_load_n(&delay_calls, __ATOMIC_RELAXED); }
long foreign_hooks_deadline_calls(void) { return __atomic_load_n(&deadline_calls, __ATOMIC_RELAXED); }

static SWIFTCALL void counting_delay_original(unsigned long long delay, void *job) {
    (void)delay, (void)job;
    __atomic_add_fetch(&original_calls, 1, __ATOMIC_RELAXED);
}

static SWIFTCALL void counting_deadline_original(long long sec, long long nsec, long long tsec, long long tnsec,
                                                 int clock, void *job) {
    (void)sec, (void)nsec, (void)tsec, (void)tnsec, (void)clock, (void)job;
    __atomic_add_fetch(&original_calls, 1, __ATOMIC_RELAXED);
}

long foreign_hooks_call_timer_hooks(void) {
    // A job header with a kind that is no task (JobKind 192, a default actor's inline job) and
    // id 0: the runtime answers a task id of 0 for it without reading past the header.
    _Alignas(16) unsigned char job[64];
    memset(job, 0, sizeof job);
    job[32] = 192;
    long before = __atomic_load_n(&original_calls, __ATOMIC_RELAXED);
    delay_hook delay = __atomic_load_n(&swift_task_enqueueGlobalWithDelay_hook, __ATOMIC_ACQUIRE);
    if (delay != NULL) delay(1000, job, counting_delay_original);
    else counting_delay_original(1000, job);
    deadline_hook deadline = __atomic_load_n(&swift_task_enqueueGlobalWithDeadline_hook, __ATOMIC_ACQUIRE);
    if (deadline != NULL) deadline(0, 0, 0, 0, 1, job, counting_deadline_original);
    else counting_deadline_original(0, 0, 0, 0, 1, job);
    return __atomic_load_n(&original_calls, __ATOMIC_RELAXED) - before;
}
