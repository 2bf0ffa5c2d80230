// The window fold's fast path: a tight loop over the records that make up most evicted chunks
// (region begins and ends of one owner, logs, counters, scheduling records), so that folding
// costs a few nanoseconds per evicted event instead of the general scanner's tens
// (FlightRecorder's WindowFold.swift runs everything else).
//
// Invariants:
// - `fr_fold_fast` consumes whole records only, from `run->p` on, and stops, with `p` at the
//   start of the record, at the first record it does not take: another kind, another owner's
//   region, an inline region name, an end that does not close the innermost open region, a
//   full stack, a varint longer than 9 bytes, a time overflow or a record cut short. The
//   general scanner then reads that record, so damage is reported exactly as without the
//   fast path, and the fold's result is the same record for record.
// - Scheduling records (runnable, running, blocked with an interned reason, syscall, actor
//   waits with an interned type and actor runs) only update `run->tasks`, a task's last state
//   in the chunk; the caller applies each pending state before any other record of that task
//   reaches its general path (a state record that stops the fast path, a task's creation or
//   end) and at the chunk's end. Task origins, suspensions and other extension records are
//   skipped (the window state keeps nothing of them).
// - It never reads at or beyond `run->end`, and writes only `stack[0 ..< capacity]`,
//   `tasks[0 ..< FR_FOLD_TASK_SLOTS]` and `evicted`.
#ifndef FOLD_SCAN_H
#define FOLD_SCAN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A region open at the fold's position (WindowFold's open-region entry).
typedef struct fr_open_region {
    /// Thread the region began on.
    uint64_t thread;
    /// Interned string id of its name (or WindowFold's inline-name index, high bit set).
    uint64_t name;
    uint64_t stack;
    uint64_t begin_ticks;
    /// 1 for a blocking region.
    uint64_t blocking;
} fr_open_region;

/// A task's state as the chunk's scheduling records left it so far, not yet applied to the
/// window fold's task table: within one chunk (one thread, times never decreasing) only a
/// task's last state record decides its state and last-seen time, so WindowFold applies one
/// per task and chunk instead of one per record.
typedef struct fr_fold_task_state {
    /// 0: the slot is free.
    uint64_t task;
    /// The record kind that set the state: 0x03 runnable, 0x04 running (also an actor run),
    /// 0x05 blocked, 0x06 syscall, 0x40 waiting for an actor.
    uint64_t kind;
    /// Blocked: the interned reason's id; waiting for an actor: the interned type name's id.
    uint64_t reason;
    uint64_t ticks;
} fr_fold_task_state;

/// Slots of the table of pending task states, direct-mapped by task id (`fr_fold_task_slot`).
#define FR_FOLD_TASK_SLOTS 256u

static inline uint64_t fr_fold_task_slot(uint64_t task) {
    return (task * 0x9E3779B97F4A7C15ull) >> 56;
}

/// The state the fast path reads and advances.
typedef struct fr_fold_run {
    /// Start of the next record (in/out).
    const uint8_t *_Nonnull p;
    const uint8_t *_Nonnull end;
    /// Time of the previous record (in/out).
    uint64_t ticks;
    /// Owner of `stack`: the task (0: regions of `thread` outside any task).
    uint64_t task;
    /// The chunk's thread.
    uint64_t thread;
    /// The owner's open regions, innermost last: `stack[0 ..< depth]` (in/out).
    fr_open_region *_Nullable stack;
    uint64_t depth;
    /// Slots of `stack` that may be written.
    uint64_t capacity;
    /// Pending task states, FR_FOLD_TASK_SLOTS of them (in/out); NULL: scheduling records stop
    /// the fast path.
    fr_fold_task_state *_Nullable tasks;
    /// Out: a pending state a newer task's record pushed out of its slot (task 0: none). The
    /// fast path stops right after such a record, so the caller applies it before going on.
    fr_fold_task_state evicted;
} fr_fold_run;

/// Folds records from `run->p` while the fast path takes them (see the file comment).
/// Returns the number of records consumed.
uint64_t fr_fold_fast(fr_fold_run *_Nonnull run);

#ifdef __cplusplus
}
#endif
#endif
