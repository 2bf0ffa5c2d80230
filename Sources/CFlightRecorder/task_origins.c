// The `swift_task_create` interposer (see include/task_origins.h).
#define _GNU_SOURCE
#include "task_origins.h"


FR_THREAD_LOCAL fr_origin_buffer fr_origin_tls = {0, {0}};

#if defined(__linux__) && __has_attribute(swiftcall) && (defined(__x86_64__) || defined(__aarch64__))
#include "interposition.h"

/// `AsyncTaskAndContext`: returned in two registers under the swift calling convention.
typedef struct fr_task_and_context {
    void *task;
    void *context;
} fr_task_and_context;

typedef FR_SWIFTCALL fr_task_and_context (*fr_create_function)(size_t flags, void *options, const void *result_type,
                                                               void *closure_entry, void *closure_context);

FR_SWIFTCALL fr_task_and_context swift_task_create(size_t flags, void *options, const void *result_type,
                                                   void *closure_entry, void *closure_context);

static fr_create_function fr_runtime_create = NULL;

__attribute__((constructor)) static void fr_task_origins_resolve(void) {
    void *next = fr_next_definition("swift_task_create", (const void *)&swift_task_create);
    __atomic_store_n(&fr_runtime_create, (fr_create_function)next, __ATOMIC_RELEASE);
}

bool fr_task_origins_available(void) { return __atomic_load_n(&fr_runtime_create, __ATOMIC_ACQUIRE) != NULL; }

FR_SWIFTCALL fr_task_and_context swift_task_create(size_t flags, void *options, const void *result_type,
                                                   void *closure_entry, void *closure_context) {
    fr_create_function runtime = __atomic_load_n(&fr_runtime_create, __ATOMIC_ACQUIRE);
    if (__builtin_expect(runtime == NULL, 0)) {
        fr_task_origins_resolve();
        runtime = __atomic_load_n(&fr_runtime_create, __ATOMIC_ACQUIRE);
        if (runtime == NULL) fr_no_next_definition("swift_task_create");
    }
    const uint64_t both = FR_SWITCH_RECORDING | FR_SWITCH_TASK_ORIGINS;
    if (__builtin_expect((fr_switches_now() & both) != both, 1)) {
        return runtime(flags, options, result_type, closure_entry, closure_context);
    }
    // The creating call site and its callers: `fr_capture_stack` keeps the return addresses
    // above its own frame, into this function's caller first. The walk stops at the first
    // async frame (its tagged frame pointer lies outside the thread's stack).
    fr_thread_state *state = fr_current_state();
    fr_origin_tls.count = state != NULL ? (uint32_t)fr_capture_stack(state, fr_origin_tls.pcs, FR_ORIGIN_FRAMES) : 0;
    fr_task_and_context created = runtime(flags, options, result_type, closure_entry, closure_context);
    fr_origin_tls.count = 0;
    return created;
}

#else

bool fr_task_origins_available(void) { return false; }

#endif
