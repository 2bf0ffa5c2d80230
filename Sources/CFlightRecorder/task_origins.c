// The `swift_task_create` interposer (see include/task_origins.h).
#define _GNU_SOURCE
#include "task_origins.h"

#include <stdio.h>
#include <stdlib.h>

_Thread_local fr_origin_buffer fr_origin_tls = {0, {0}};

#if defined(__linux__) && __has_attribute(swiftcall) && (defined(__x86_64__) || defined(__aarch64__))
#include <dlfcn.h>

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
    void *next = dlsym(RTLD_NEXT, "swift_task_create");
    if (next != NULL && next != (void *)&swift_task_create) {
        __atomic_store_n(&fr_runtime_create, (fr_create_function)next, __ATOMIC_RELEASE);
    }
}

bool fr_task_origins_available(void) { return __atomic_load_n(&fr_runtime_create, __ATOMIC_ACQUIRE) != NULL; }

/// Async frames save the caller's frame pointer with this bit set (x86-64 and arm64 alike).
#define FR_ASYNC_FRAME_TAG (1ull << 60)

__attribute__((noinline)) static void fr_capture_origin(void) {
    fr_thread_state *state = fr_current_state();
    uintptr_t low = state != NULL ? state->stack_low : 0, high = state != NULL ? state->stack_high : 0;
    fr_origin_buffer *out = &fr_origin_tls;
    out->count = 0;
    if (low == 0 || high <= low) return;
    // This function's frame, then swift_task_create's: the first return address kept is the
    // one into swift_task_create's caller.
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    uint32_t n = 0;
    int skip = 1;
    while (n < FR_ORIGIN_FRAMES && fp >= low && fp + 2 * sizeof(uintptr_t) <= high && (fp & (sizeof(uintptr_t) - 1)) == 0) {
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t ret = frame[1];
        if (ret == 0) break;
        if (skip > 0) skip--; else out->pcs[n++] = ret;
        uintptr_t next = frame[0];
        if ((next & FR_ASYNC_FRAME_TAG) != 0 || next <= fp) break;
        fp = next;
    }
    out->count = n;
}

FR_SWIFTCALL fr_task_and_context swift_task_create(size_t flags, void *options, const void *result_type,
                                                   void *closure_entry, void *closure_context) {
    fr_create_function runtime = __atomic_load_n(&fr_runtime_create, __ATOMIC_ACQUIRE);
    if (__builtin_expect(runtime == NULL, 0)) {
        fr_task_origins_resolve();
        runtime = __atomic_load_n(&fr_runtime_create, __ATOMIC_ACQUIRE);
        if (runtime == NULL) {
            fprintf(stderr, "tracexport: swift_task_create has no definition after this one\n");
            abort();
        }
    }
    const uint64_t both = FR_SWITCH_RECORDING | FR_SWITCH_TASK_ORIGINS;
    if (__builtin_expect((fr_switches_now() & both) != both, 1)) {
        return runtime(flags, options, result_type, closure_entry, closure_context);
    }
    fr_capture_origin();
    fr_task_and_context created = runtime(flags, options, result_type, closure_entry, closure_context);
    fr_origin_tls.count = 0;
    return created;
}

#else

bool fr_task_origins_available(void) { return false; }

#endif
