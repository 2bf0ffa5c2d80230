// Task origins: where in the application a task was created, captured when it is created.
//
// How, and why it is sound:
// - Compiled code creates tasks through the runtime's `swift_task_create(flags, options,
//   resultType, closureEntry, closureContext)` (ABI: `Task {}`, `addTask`, `async let`).
//   task_origins.c defines it in this library, so an executable's calls bind to it, and calls
//   the runtime's definition (found once with `dlsym(RTLD_NEXT)`) with the same arguments,
//   returning its result unchanged.
// - While a recorder records with task origins on (FR_SWITCH_TASK_ORIGINS, the configuration's
//   `taskOrigins`), it first walks a few frames up the caller's frame-pointer chain (the first
//   return address lands in `Task.init`/`addTask`, specialized into the caller's module; the
//   next ones in the function that created the task) into this thread's origin buffer, which
//   the task's first enqueue (inside the runtime's call, on this thread) reads. The buffer is
//   cleared when the call returns: a task created without an enqueue stamp here (another
//   executor's) leaves nothing behind for the next one.
// - The walk is the recorder's stack capture (`fr_capture_stack`): only this thread's stack,
//   within its bounds, so it stops at the first frame of an async function (its saved frame
//   pointer is tagged, outside the stack) or at a non-increasing pointer.
// - Linux only (as actor_hops.h); elsewhere nothing is captured and tasks have no origin.
#ifndef TASK_ORIGINS_H
#define TASK_ORIGINS_H

#include "CFlightRecorder.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Set in `fr_switches` while creations capture their origin (with FR_SWITCH_RECORDING).
#define FR_SWITCH_TASK_ORIGINS 32ull

/// Return addresses kept per creation: the creating call site and its callers.
#define FR_ORIGIN_FRAMES 6

/// This thread's capture for the task being created (count 0: none).
typedef struct fr_origin_buffer {
    uint32_t count;
    uintptr_t pcs[FR_ORIGIN_FRAMES];
} fr_origin_buffer;

extern FR_THREAD_LOCAL fr_origin_buffer fr_origin_tls;

/// Whether `swift_task_create` is interposed in this process.
bool fr_task_origins_available(void);

/// The origin captured for the task this thread is creating now (count 0: none).
static inline const fr_origin_buffer *_Nonnull fr_task_origin(void) { return &fr_origin_tls; }

#ifdef __cplusplus
}
#endif
#endif
