// Actor hops: every hop of a task onto an executor that compiled code asks for through the
// runtime's `swift_task_switch` (onto an actor, the main actor, or back to the generic
// executor), seen when it is asked for and when the task starts running there.
//
// How, and why it is sound:
// - `swift_task_switch(resumeContext, resumeFunction, executor)` is ABI: compiled code calls it
//   (through the PLT on Linux) at every hop, and its signature cannot change under that code.
//   actor_hops.c defines it in this library; linked into an executable, that definition is the
//   one the executable's code (and every package statically linked into it) binds to. It
//   forwards to the runtime's definition, found once with `dlsym(RTLD_NEXT)`, by a `musttail`
//   call with the same swiftasync signature: the runtime sees exactly the call it would have
//   seen, and the task's async frame is never touched.
// - A hop back to the generic executor is reported when asked (the task leaves its actor then:
//   the runtime gives the actor up before the task goes on) and forwarded unchanged; where the
//   task goes on, the executor's job stamps say.
// - To see when the task starts on an actor, the forwarded resume function is a
//   trampoline of ours: the runtime calls it exactly once, either at once on this thread (the
//   executor was free: "assumed thread") or later on the thread that runs the task's job there
//   (the actor was busy: the task was queued on it). The trampoline finds the original resume
//   function in a table keyed by the resume context (unique while the frame is suspended),
//   frees the entry, reports, and `musttail`-calls the original with the same context.
// - A hop whose entry cannot be claimed (table neighbourhood full) is forwarded unchanged and
//   not reported. While nothing records, the definition costs one load and a branch before
//   the forward; trampolines already handed out keep working after recording stops.
// - Linux only (Darwin's two-level namespace would not bind compiled code to this definition,
//   and arm64e signs resume functions). `fr_actor_hops_available()` is false when the
//   runtime's definition cannot be found or is this one: hops are then never reported.
//
// Invariants:
// - The callbacks run on the thread of the event, with the task pointer (unretained: the task
//   is alive, it is the one hopping) and the executor's identity (0: the generic executor;
//   a default actor's identity is the actor object; the main actor's is its executor).
// - The per-thread marks below are touched only by their own thread.
#ifndef ACTOR_HOPS_H
#define ACTOR_HOPS_H

#include "CFlightRecorder.h"
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Set in `fr_switches` while hops are reported (with FR_SWITCH_RECORDING).
#define FR_SWITCH_ACTOR_HOPS 16ull

/// Called when a task asks to hop to `identity` (an actor's: its resume will be reported; NULL:
/// the generic executor, nothing more follows).
typedef void (*fr_actor_hop_callback)(void *_Nonnull task, const void *_Nullable identity);

/// Whether `swift_task_switch` is interposed in this process (checked once).
bool fr_actor_hops_available(void);

/// Starts reporting hops to the callbacks (returns false when not available).
bool fr_actor_hops_enable(fr_actor_hop_callback _Nonnull asked, fr_actor_hop_callback _Nonnull resumed);
/// Stops reporting (hops in flight still resume through their trampolines).
void fr_actor_hops_disable(void);

// MARK: per-thread marks

/// What a thread remembers between hop reports and job stamps.
typedef struct fr_hop_thread {
    /// The task whose hop was asked for on this thread and has not resumed here since: its
    /// last record is its wait (or its enqueue), so nothing more is written for it here.
    void *_Nullable pending;
    /// A task resumed on this thread by a trampoline outside any stamped job of it (an actor's
    /// queue drained here): retained until closed.
    void *_Nullable adopted;
    uint64_t adopted_id;
    /// The adopted task's enqueue marker when it was adopted (see RuntimeTask.afterJob).
    uint64_t adopted_marker;
    /// The task that last started running on an actor on this thread (until it leaves it).
    void *_Nullable holder;
} fr_hop_thread;

extern FR_THREAD_LOCAL fr_hop_thread fr_hop_tls;

static inline void *_Nullable fr_hop_pending(void) { return fr_hop_tls.pending; }
static inline void fr_hop_set_pending(void *_Nullable task) { fr_hop_tls.pending = task; }
static inline void *_Nullable fr_hop_adopted(void) { return fr_hop_tls.adopted; }
static inline uint64_t fr_hop_adopted_id(void) { return fr_hop_tls.adopted_id; }
static inline uint64_t fr_hop_adopted_marker(void) { return fr_hop_tls.adopted_marker; }
static inline void fr_hop_set_adopted(void *_Nullable task, uint64_t id, uint64_t marker) {
    fr_hop_tls.adopted = task;
    fr_hop_tls.adopted_id = id;
    fr_hop_tls.adopted_marker = marker;
}

static inline void *_Nullable fr_hop_holder(void) { return fr_hop_tls.holder; }
static inline void fr_hop_set_holder(void *_Nullable task) { fr_hop_tls.holder = task; }

/// The type metadata of a heap object (its first word): an actor's or an executor's class.
static inline const void *_Nullable fr_object_metadata(const void *_Nonnull object) {
    return *(const void *const *)object;
}

#ifdef __cplusplus
}
#endif
#endif
