// The window fold's fast path: a tight loop over the records that make up most evicted chunks
// (region begins and ends of one owner, logs, counters), so that folding costs a few
// nanoseconds per evicted event instead of the general scanner's tens (FlightRecorder's
// WindowFold.swift runs everything else).
//
// Invariants:
// - `fr_fold_fast` consumes whole records only, from `run->p` on, and stops, with `p` at the
//   start of the record, at the first record it does not take: another kind, another owner's
//   region, an inline region name, an end that does not close the innermost open region, a
//   full stack, a varint longer than 9 bytes, a time overflow or a record cut short. The
//   general scanner then reads that record, so damage is reported exactly as without the
//   fast path, and the fold's result is the same record for record.
// - It never reads at or beyond `run->end`, and writes only `stack[0 ..< capacity]`.
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
} fr_fold_run;

/// Folds records from `run->p` while the fast path takes them (see the file comment).
/// Returns the number of records consumed.
uint64_t fr_fold_fast(fr_fold_run *_Nonnull run);

#ifdef __cplusplus
}
#endif
#endif
