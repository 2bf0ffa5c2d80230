// The window fold's fast path (see fold_scan.h for the invariants). The encoding is
// Schemas/snapshot-format.md's events payload, as TraceFormat's EventRecord.swift writes it;
// Tests/FlightRecorderTests/RecordKindTests.swift holds this loop to it, kind by kind.
#include "fold_scan.h"

#include <stdbool.h>
#include <stddef.h>

/// A uvarint of at most 9 bytes (values below 2^63); false for longer or cut-short ones,
/// which the general scanner then judges.
static inline bool fr_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out) {
    const uint8_t *p = *pp;
    if (__builtin_expect(p < end && *p < 0x80, 1)) {
        *out = *p;
        *pp = p + 1;
        return true;
    }
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 63 && p < end; shift += 7) {
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7F) << shift;
        if (b < 0x80) {
            *out = v;
            *pp = p;
            return true;
        }
    }
    return false;
}

/// Skips a string reference (an interned id, or a length and inline bytes).
static inline bool fr_skip_strref(const uint8_t **pp, const uint8_t *end) {
    uint64_t v;
    if (!fr_uvarint(pp, end, &v)) return false;
    if ((v & 1) == 0) return true;
    uint64_t n = v >> 1;
    if (n > (uint64_t)(end - *pp)) return false;
    *pp += n;
    return true;
}

/// Notes `task`'s state in its slot; true when that pushed another task's state out (into
/// `run->evicted`).
static inline bool fr_note_state(fr_fold_run *run, uint64_t task, uint64_t kind, uint64_t reason, uint64_t ticks) {
    fr_fold_task_state *slot = &run->tasks[fr_fold_task_slot(task)];
    bool evicted = slot->task != 0 && slot->task != task;
    if (evicted) run->evicted = *slot;
    *slot = (fr_fold_task_state){.task = task, .kind = kind, .reason = reason, .ticks = ticks};
    return evicted;
}

uint64_t fr_fold_fast(fr_fold_run *run) {
    const uint8_t *p = run->p;
    const uint8_t *const end = run->end;
    uint64_t ticks = run->ticks;
    uint64_t depth = run->depth;
    const uint64_t owner = run->task;
    fr_open_region *const stack = run->stack;
    uint64_t records = 0;

    while (p < end) {
        const uint8_t kind = *p;
        const uint8_t *q = p + 1;
        uint64_t dt, task, name, x;
        if (!fr_uvarint(&q, end, &dt)) break;
        const uint64_t t = ticks + dt;
        if (t < ticks) break;
        if (kind == 0x07 || kind == 0x0E) {  // region begin: task name stack
            if (!fr_uvarint(&q, end, &task) || task != owner) break;
            if (!fr_uvarint(&q, end, &name) || (name & 1) != 0) break;
            if (!fr_uvarint(&q, end, &x) || depth == run->capacity) break;
            stack[depth] = (fr_open_region){
                .thread = run->thread, .name = name >> 1, .stack = x, .begin_ticks = t, .blocking = kind == 0x0E};
            depth += 1;
        } else if (kind == 0x08) {  // region end: task name
            if (!fr_uvarint(&q, end, &task) || task != owner) break;
            if (!fr_uvarint(&q, end, &name) || (name & 1) != 0) break;
            if (depth == 0 || stack[depth - 1].name != (name >> 1)) break;
            depth -= 1;
        } else if (kind == 0x09) {  // log: task category length message
            if (!fr_uvarint(&q, end, &task) || !fr_skip_strref(&q, end)) break;
            if (!fr_uvarint(&q, end, &x) || x > (uint64_t)(end - q)) break;
            q += x;
        } else if (kind == 0x0A) {  // counter (integer): name value
            if (!fr_skip_strref(&q, end) || !fr_uvarint(&q, end, &x)) break;
        } else if (kind == 0x0B) {  // counter (float): name, 8 bytes
            if (!fr_skip_strref(&q, end) || (end - q) < 8) break;
            q += 8;
        } else if (kind == 0x0D) {  // job CPU time: task cpu-ns
            if (!fr_uvarint(&q, end, &task) || !fr_uvarint(&q, end, &x)) break;
        } else if (kind >= 0x03 && kind <= 0x06 && run->tasks != NULL) {
            // runnable: task waker; running, syscall: task; blocked: task reason
            if (!fr_uvarint(&q, end, &task)) break;
            uint64_t reason = 0;
            if (kind == 0x03) {
                if (!fr_uvarint(&q, end, &x)) break;
            } else if (kind == 0x05) {
                if (!fr_uvarint(&q, end, &x) || (x & 1) != 0) break;
                reason = x >> 1;
            }
            if (task != 0 && fr_note_state(run, task, kind, reason, t)) {
                p = q;
                ticks = t;
                records += 1;
                break;
            }
        } else if (kind >= 0x40 && kind <= 0x7F) {  // extension kinds: length, then fields
            if (!fr_uvarint(&q, end, &x) || x > (uint64_t)(end - q)) break;
            const uint8_t *const fields_end = q + x;
            if (kind == 0x40 || kind == 0x41) {  // actor wait, actor run: task actor type
                if (run->tasks == NULL) break;
                uint64_t actor, type;
                if (!fr_uvarint(&q, end, &task) || !fr_uvarint(&q, end, &actor)) break;
                if (!fr_uvarint(&q, end, &type)) break;
                if ((type & 1) != 0) {
                    // An inline type name: the actor's wait reason is built from it there.
                    if (kind == 0x40) break;
                    uint64_t n = type >> 1;
                    if (n > (uint64_t)(end - q)) break;
                    q += n;
                }
                if (q > fields_end) break;
                q = fields_end;
                if (task != 0 && fr_note_state(run, task, kind == 0x40 ? 0x40 : 0x04, kind == 0x40 ? type >> 1 : 0, t)) {
                    p = q;
                    ticks = t;
                    records += 1;
                    break;
                }
            } else {
                q = fields_end;  // task origins, suspensions, spans: nothing the window state keeps
            }
        } else {
            break;
        }
        p = q;
        ticks = t;
        records += 1;
    }
    run->p = p;
    run->ticks = ticks;
    run->depth = depth;
    return records;
}
