// C helpers of the flight recorder: what Swift cannot express cheaply on the hot path.
// The part that FlightRecorder's inlinable annotations compile into their callers (chunk and
// thread-state layout, switches, commits, tick clock, task id) is fast_path.h, included here.
//
// Invariants:
// - fast_path.h's, for what it declares (thread-state ownership, publishing, ticks).
// - A chunk's bytes `[0, used)` never change while the chunk is active or sealed: a snapshot
//   copies them without stopping the writer.
// - No function here allocates except `fr_chunk_alloc` / `fr_thread_state_alloc`.
#ifndef CFLIGHTRECORDER_H
#define CFLIGHTRECORDER_H

#include "fast_path.h"
#include "runtime_layout.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: chunks

/// Set on a chunk sealed because its thread exited: the thread's last chunk.
#define FR_CHUNK_FINAL 1u
/// Set while a snapshot copies the chunk: releasing it is deferred until the snapshot ends.
#define FR_CHUNK_PINNED 2u
/// Set when the window fold must read the whole chunk: it holds a task or async region record
/// (or a thread name written inside a synchronous region). Without it the fold reads only the
/// parts `fold_prefix_end` / `fold_suffix_start` mark, nothing at all for logs and counters.
#define FR_CHUNK_STATEFUL 4u

/// A chunk with `capacity` payload bytes (16-byte aligned), or NULL when out of memory.
fr_chunk *_Nullable fr_chunk_alloc(uint64_t capacity);
void fr_chunk_free(fr_chunk *_Nullable chunk);

/// The published `(events << 32) | used` (acquire).
static inline uint64_t fr_chunk_published(const fr_chunk *_Nonnull c) {
    return __atomic_load_n(&c->published, __ATOMIC_ACQUIRE);
}

// MARK: switches

/// Turns one switch on or off (release: what was set up before turning recording on is seen
/// by a thread that sees it on).
static inline void fr_switch(uint64_t which, bool on) {
    if (on) {
        __atomic_fetch_or(&fr_switches, which, __ATOMIC_RELEASE);
    } else {
        __atomic_fetch_and(&fr_switches, ~which, __ATOMIC_RELEASE);
    }
}

// MARK: per-thread state

fr_thread_state *_Nullable fr_thread_state_alloc(void);
void fr_thread_state_free(fr_thread_state *_Nullable state);

static inline void fr_state_set_limit(fr_thread_state *_Nonnull s, uint8_t *_Nullable limit) {
    __atomic_store_n(&s->limit, limit, __ATOMIC_RELAXED);
}

/// `fr_state_commit` for a thread-name record (usually a chunk's first): the fold reads it as
/// part of the chunk's prefix when no synchronous region begun in this chunk is open (so the
/// prefix still ends before the suffix), else the chunk is read whole.
static inline void fr_state_commit_thread_name(fr_thread_state *_Nonnull s, uint8_t *_Nonnull end, uint64_t ticks) {
    if (s->sync_regions == 0) {
        s->sync_lead_end = end;
    } else {
        s->stateful = 1;
    }
    fr_state_commit(s, end, ticks);
}

/// Forgets the active chunk's stateful marks (a fresh chunk).
static inline void fr_state_reset_stateful(fr_thread_state *_Nonnull s) {
    s->stateful = 0;
    s->sync_regions = 0;
    s->sync_lead_end = NULL;
    s->sync_open_start = NULL;
    s->sync_open_ticks = 0;
}

static inline void fr_name_cache_store(fr_thread_state *_Nonnull s, uintptr_t key, uint64_t id) {
    uint64_t slot = fr_name_cache_slot(key);
    s->names[slot] = (fr_cache_entry){key, id};
}

/// Makes `state` this thread's state (NULL detaches) and arranges for `fr_thread_exit_hook`
/// to receive it when the thread exits.
void fr_thread_attach(fr_thread_state *_Nullable state);

/// Installs the function called with a thread's state when that thread exits (once).
void fr_thread_exit_hook_install(void (*_Nonnull hook)(fr_thread_state *_Nonnull));

// MARK: stacks

/// Records the calling thread's stack bounds in `state` (for `fr_capture_stack`).
void fr_thread_stack_bounds(fr_thread_state *_Nonnull state);

/// Walks the frame-pointer chain of the calling thread, storing at most `capacity` return
/// addresses, starting with the caller of this function's caller (the caller is the
/// recorder's own capture function). Stops at the first frame pointer that leaves
/// the thread's stack bounds or does not grow towards the stack base. Returns the count.
size_t fr_capture_stack(const fr_thread_state *_Nonnull state, uintptr_t *_Nonnull pcs, size_t capacity);

/// The stack id cached for `hash` in this thread, 0 on a miss.
static inline uint64_t fr_stack_cache_lookup(const fr_thread_state *_Nonnull s, uint64_t hash) {
    uint64_t slot = hash >> 58;
    const fr_cache_entry *e = &s->stacks[slot];
    return e->key == hash ? e->value : 0;
}

static inline void fr_stack_cache_store(fr_thread_state *_Nonnull s, uint64_t hash, uint64_t id) {
    uint64_t slot = hash >> 58;
    s->stacks[slot] = (fr_cache_entry){hash, id};
}

/// Turns stack capture at region begins on or off (the recording's configuration; annotations
/// read it with `fr_switches_capture_stacks`).
static inline void fr_set_capture_stacks(bool on) {
    fr_switch(FR_SWITCH_CAPTURE_STACKS, on);
}

extern uint32_t fr_thread_cpu_time_flag;

/// Whether executors should stamp jobs with their thread CPU time (jobCPUTime records).
static inline bool fr_thread_cpu_time_enabled(void) {
    return __atomic_load_n(&fr_thread_cpu_time_flag, __ATOMIC_RELAXED) != 0;
}

static inline void fr_set_thread_cpu_time(bool on) {
    __atomic_store_n(&fr_thread_cpu_time_flag, on ? 1u : 0u, __ATOMIC_RELAXED);
}

/// What dladdr knows about `pc`: the symbol containing it (NULL when not exported: functions of
/// an executable linked without --export-dynamic), the file of its image, and pc's offset from
/// the image base (for offline symbolization). Returns false when `pc` is in no image. The main
/// program's file is its absolute path (/proc/self/exe's target), not dladdr's argv[0].
bool fr_symbol_info(uintptr_t pc, const char *_Nullable *_Nonnull symbol, const char *_Nullable *_Nonnull image,
                    uintptr_t *_Nonnull image_offset);

/// The Swift runtime's demangler (libswiftCore, C calling convention), or the C++ runtime's for
/// `_Z` names (the concurrency runtime's own functions): a malloc'd string the caller frees, or
/// NULL when `name` is neither.
char *_Nullable fr_demangle(const char *_Nonnull name);

/// Whether annotations may read a String's UTF-8 bytes from its two-word representation
/// (set once the layout was checked: FlightRecorder's StringBytes.swift).
static inline bool fr_string_words_usable(void) {
    return fr_switches_string_words(fr_switches_now());
}

static inline void fr_set_string_words_usable(bool on) {
    fr_switch(FR_SWITCH_STRING_WORDS, on);
}

// MARK: recording, and the logical tasks open

static inline void fr_set_recording(bool on) {
    fr_switch(FR_SWITCH_RECORDING, on);
}

/// A logical task (Trace.withTask, a request's task) was opened: from then on, for the rest of
/// the process, annotations look up the logical task bound to the current Swift task
/// (`fr_switches_logical_tasks`). The switch is sticky rather than a count of open tasks: a
/// count in the switches word made every begin and end a shared read-modify-write of the line
/// every annotation reads, once per request in a server; once set, this is one relaxed load.
static inline void fr_logical_task_opened(void) {
    if (__builtin_expect(!fr_switches_logical_tasks(fr_switches_now()), 0)) fr_switch(FR_SWITCH_LOGICAL_TASKS, true);
}

/// Reserves `count` ids from the global logical-task id space (above 2^62, apart from Swift
/// task ids); returns the first.
uint64_t fr_reserve_logical_task_ids(uint64_t count);

// MARK: clocks

/// Chooses the tick source (idempotent). Returns 1 for the TSC, 0 for CLOCK_MONOTONIC.
uint32_t fr_clock_init(void);

/// 1 when `fr_ticks` reads the TSC, 0 when it reads CLOCK_MONOTONIC.
static inline bool fr_clock_is_tsc(void) {
    return (fr_switches_now() & FR_SWITCH_TSC) != 0;
}

int64_t fr_wall_clock_ns(void);

/// CPU time consumed by the calling thread, in nanoseconds.
uint64_t fr_thread_cpu_ns(void);

// MARK: task identity

/// Finds, verifies or drops `s->task_slot`; the recorder's slow path calls it once per chunk.
///
/// The runtime keeps the current task in a thread-local variable of the module that defines
/// `swift_task_getCurrent`. Its place in that module's TLS block is learned once per process,
/// inside a task: the one word of the block equal to `swift_task_getCurrent()` (none or
/// several: the direct read stays off). Each thread then gets its own block from the dynamic
/// linker (`dl_iterate_phdr`). At every call the slot is checked against
/// `swift_task_getCurrent()`; one mismatch turns the direct read off for the process (each
/// thread drops its slot at its next chunk), so a runtime whose layout differs falls back to
/// the runtime calls instead of recording wrong tasks. Linux with glibc only.
void fr_task_slot_refresh(fr_thread_state *_Nonnull s);

/// Learns the variable's place from inside a task, for threads that never run one (the
/// recorder's start runs it in a detached task); does nothing once learned or off, or outside
/// a task.
void fr_task_slot_learn(void);

/// Where the direct read stands: -1 not learned yet, -2 off, else the variable's offset.
intptr_t fr_task_slot_offset(void);

/// Tests only: sets the learned offset (-1 forgets it).
void fr_task_slot_set_offset_for_testing(intptr_t offset);

/// The id of the task a job belongs to (0 for a job that is not a task).
static inline uint64_t fr_job_task_id(void *_Nonnull job) {
    return swift_task_getJobTaskId(job);
}

// MARK: threads and process

/// The operating system's id of the calling thread (gettid on Linux).
uint64_t fr_thread_id(void);

/// Copies the calling thread's name (NUL-terminated) into `buffer`; returns its length, 0
/// when the thread has none.
size_t fr_thread_name(char *_Nonnull buffer, size_t capacity);

/// Names the calling thread (truncated to the system's limit, 15 bytes on Linux).
void fr_set_thread_name(const char *_Nonnull name);

#ifdef __cplusplus
}
#endif
#endif
