// The `swift_task_switch` interposer and its resume trampoline (see include/actor_hops.h).
#define _GNU_SOURCE
#include "actor_hops.h"

#include <stdio.h>
#include <stdlib.h>

FR_THREAD_LOCAL fr_hop_thread fr_hop_tls = {NULL, NULL, 0, 0, NULL};

#if defined(__linux__) && __has_attribute(swiftasynccall) && __has_attribute(musttail)
#include "interposition.h"

#define FR_ASYNC __attribute__((swiftasynccall))
#define FR_ASYNC_CONTEXT __attribute__((swift_async_context))

/// `TaskContinuationFunction`: resumes a task's async frame.
typedef FR_ASYNC void (*fr_resume_function)(void *FR_ASYNC_CONTEXT context);
/// `swift_task_switch`; the executor reference (`SerialExecutorRef`) is passed as its two words.
typedef FR_ASYNC void (*fr_switch_function)(void *FR_ASYNC_CONTEXT context, fr_resume_function resume,
                                            const void *identity, uintptr_t implementation);

FR_ASYNC void swift_task_switch(void *FR_ASYNC_CONTEXT context, fr_resume_function resume,
                                const void *identity, uintptr_t implementation);

static fr_switch_function fr_runtime_switch = NULL;
static fr_actor_hop_callback fr_hop_asked = NULL;
static fr_actor_hop_callback fr_hop_resumed = NULL;

__attribute__((constructor)) static void fr_actor_hops_resolve(void) {
    void *next = fr_next_definition("swift_task_switch", (const void *)&swift_task_switch);
    __atomic_store_n(&fr_runtime_switch, (fr_switch_function)next, __ATOMIC_RELEASE);
}

bool fr_actor_hops_available(void) { return __atomic_load_n(&fr_runtime_switch, __ATOMIC_ACQUIRE) != NULL; }

bool fr_actor_hops_enable(fr_actor_hop_callback asked, fr_actor_hop_callback resumed) {
    if (!fr_actor_hops_available()) return false;
    __atomic_store_n(&fr_hop_asked, asked, __ATOMIC_RELEASE);
    __atomic_store_n(&fr_hop_resumed, resumed, __ATOMIC_RELEASE);
    fr_switch(FR_SWITCH_ACTOR_HOPS, true);
    return true;
}

void fr_actor_hops_disable(void) { fr_switch(FR_SWITCH_ACTOR_HOPS, false); }

// MARK: the table of hops in flight

/// Direct-mapped by resume context, probed over a short neighbourhood. An entry belongs to the
/// thread that claimed it (compare-and-swap on `context`) until the trampoline frees it; the
/// runtime's hand-off of the task between the two orders the other fields.
#define FR_HOP_SLOTS 8192u
#define FR_HOP_PROBES 8u

typedef struct fr_hop_slot {
    void *context;
    fr_resume_function resume;
    void *task;
    const void *identity;
} fr_hop_slot;

static fr_hop_slot fr_hop_slots[FR_HOP_SLOTS];

static inline uint32_t fr_hop_home(const void *context) {
    return (uint32_t)((((uintptr_t)context >> 4) * 0x9E3779B97F4A7C15ull) >> 51) & (FR_HOP_SLOTS - 1);
}

static inline bool fr_hop_claim(void *context, fr_resume_function resume, void *task, const void *identity) {
    uint32_t home = fr_hop_home(context);
    for (uint32_t i = 0; i < FR_HOP_PROBES; i++) {
        fr_hop_slot *slot = &fr_hop_slots[(home + i) & (FR_HOP_SLOTS - 1)];
        if (__atomic_load_n(&slot->context, __ATOMIC_RELAXED) != NULL) continue;
        void *expected = NULL;
        if (__atomic_compare_exchange_n(&slot->context, &expected, context, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            slot->resume = resume;
            slot->task = task;
            slot->identity = identity;
            return true;
        }
    }
    return false;
}

__attribute__((noinline, cold)) static void fr_hop_lost(void *context) {
    fprintf(stderr, "tracexport: no hop entry for resume context %p (memory corrupted?)\n", context);
    abort();
}

// MARK: the interposer and the trampoline

/// The task calling `swift_task_switch`: read from the runtime's thread-local variable when
/// this thread's recorder state found it (`fr_state_task_id` reads it the same way), instead of
/// a call into the runtime that goes through `__tls_get_addr`.
static inline void *fr_hop_current_task(void) {
    fr_thread_state *state = fr_current_state();
    if (state != NULL && state->task_slot != NULL) return __atomic_load_n(state->task_slot, __ATOMIC_RELAXED);
    return swift_task_getCurrent();
}

static FR_ASYNC void fr_hop_resume(void *FR_ASYNC_CONTEXT context) {
    uint32_t home = fr_hop_home(context);
    fr_hop_slot *slot = NULL;
    for (uint32_t i = 0; i < FR_HOP_PROBES; i++) {
        fr_hop_slot *candidate = &fr_hop_slots[(home + i) & (FR_HOP_SLOTS - 1)];
        if (__atomic_load_n(&candidate->context, __ATOMIC_ACQUIRE) == context) {
            slot = candidate;
            break;
        }
    }
    if (__builtin_expect(slot == NULL, 0)) fr_hop_lost(context);
    fr_resume_function resume = slot->resume;
    void *task = slot->task;
    const void *identity = slot->identity;
    __atomic_store_n(&slot->context, NULL, __ATOMIC_RELEASE);
    uint64_t both = FR_SWITCH_RECORDING | FR_SWITCH_ACTOR_HOPS;
    if ((fr_switches_now() & both) == both) {
        fr_actor_hop_callback resumed = __atomic_load_n(&fr_hop_resumed, __ATOMIC_ACQUIRE);
        if (resumed != NULL) resumed(task, identity);
    }
    __attribute__((musttail)) return resume(context);
}

/// A hop while hops are reported: reports it and forwards it. Out of line, so that the
/// interposer's path while nothing records needs no frame of its own (a load, a test and the
/// tail call).
static __attribute__((noinline)) FR_ASYNC void fr_hop_reported(void *FR_ASYNC_CONTEXT context,
                                                               fr_resume_function resume, const void *identity,
                                                               uintptr_t implementation) {
    fr_switch_function runtime = __atomic_load_n(&fr_runtime_switch, __ATOMIC_RELAXED);
    if (identity == NULL) {
        // Back to the generic executor: the task leaves its actor now (the runtime gives the
        // actor up before the task goes on); where it goes on, the executor's stamps say. Only
        // a task known to hold an actor on this thread has something to report (a thread
        // holding none was forwarded by the interposer).
        void *holder = fr_hop_tls.holder;
        fr_actor_hop_callback asked = __atomic_load_n(&fr_hop_asked, __ATOMIC_ACQUIRE);
        if (holder != NULL && asked != NULL && fr_hop_current_task() == holder) asked(holder, NULL);
        __attribute__((musttail)) return runtime(context, resume, identity, implementation);
    }
    void *task = fr_hop_current_task();
    fr_actor_hop_callback asked = __atomic_load_n(&fr_hop_asked, __ATOMIC_ACQUIRE);
    if (task != NULL && asked != NULL && fr_hop_claim(context, resume, task, identity)) {
        asked(task, identity);
        resume = fr_hop_resume;
    }
    __attribute__((musttail)) return runtime(context, resume, identity, implementation);
}

/// Resolves the runtime's definition when called before this library's constructor ran.
static __attribute__((noinline, cold)) FR_ASYNC void fr_hop_unresolved(void *FR_ASYNC_CONTEXT context,
                                                                       fr_resume_function resume,
                                                                       const void *identity,
                                                                       uintptr_t implementation) {
    fr_actor_hops_resolve();
    fr_switch_function runtime = __atomic_load_n(&fr_runtime_switch, __ATOMIC_ACQUIRE);
    if (runtime == NULL) fr_no_next_definition("swift_task_switch");
    __attribute__((musttail)) return runtime(context, resume, identity, implementation);
}

FR_ASYNC void swift_task_switch(void *FR_ASYNC_CONTEXT context, fr_resume_function resume,
                                const void *identity, uintptr_t implementation) {
    fr_switch_function runtime = __atomic_load_n(&fr_runtime_switch, __ATOMIC_RELAXED);
    if (__builtin_expect(runtime == NULL, 0)) {
        __attribute__((musttail)) return fr_hop_unresolved(context, resume, identity, implementation);
    }
    uint64_t both = FR_SWITCH_RECORDING | FR_SWITCH_ACTOR_HOPS;
    // Most hops, recorded or not, are back to the generic executor by a thread that holds no
    // actor (a call of a nonisolated async function): nothing to report, forwarded at once.
    if (__builtin_expect((fr_switches_now() & both) != both, 1)
        || (identity == NULL && fr_hop_tls.holder == NULL)) {
        __attribute__((musttail)) return runtime(context, resume, identity, implementation);
    }
    __attribute__((musttail)) return fr_hop_reported(context, resume, identity, implementation);
}

#else

bool fr_actor_hops_available(void) { return false; }
bool fr_actor_hops_enable(fr_actor_hop_callback asked, fr_actor_hop_callback resumed) {
    (void)asked;
    (void)resumed;
    return false;
}
void fr_actor_hops_disable(void) {}

#endif
