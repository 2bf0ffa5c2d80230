// The annotations' fast path: what FlightRecorder's @inlinable code compiles into its callers
// (the switches word, the calling thread's state, room check and commit, the tick clock, the
// current task's id). A module of its own (CFlightRecorderFastPath), the only C module that
// FlightRecorder imports publicly: its inlinable code, which clients compile, can reach nothing
// else. CFlightRecorder.h includes it and holds the rest.
//
// Invariants:
// - `fr_thread_state` is owned by its thread. Only that thread writes `write`,
//   `last_ticks`, `events` and the bytes of its chunk; other threads read a chunk only up to
//   the length published with a release store (`fr_chunk_publish`) and loaded with an acquire
//   load (`fr_chunk_published`). `limit` is the one field another thread may store to (under the
//   recorder's lock, to force the owner onto the slow path); both sides access it atomically.
// - `fr_ticks()` is rdtsc >> FR_TSC_SHIFT on x86_64 when the CPU has an invariant TSC (checked once by
//   `fr_clock_init`), CLOCK_MONOTONIC nanoseconds otherwise. Ticks never go backwards on one
//   thread after the caller's clamp to the previous event.
// - Nothing here allocates, locks or calls into the recorder, apart from the task-id cache's
//   miss (`fr_state_task_id_miss`) and the runtime's own entry points.
// - Adding to this header widens what every client compiles: only what inlinable code reads
//   belongs here.
#ifndef CFLIGHTRECORDER_FAST_PATH_H
#define CFLIGHTRECORDER_FAST_PATH_H

#include "runtime_layout.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The recorder's thread-local variables, read on every hot path. Initial-exec: an access is
/// one %fs-relative load, where the default model's `__tls_get_addr` call (relaxed away only when
/// an executable is linked) still makes the compiler save registers around it in every
/// function that touches one (the `swift_task_switch` interposer pushed five). Sound for an
/// executable and for the libraries it loads at start, which is how SwiftPM links these
/// targets; a library opened later with dlopen takes these few hundred bytes from glibc's
/// static TLS surplus.
#if defined(__linux__)
#define FR_THREAD_LOCAL _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define FR_THREAD_LOCAL _Thread_local
#endif

// MARK: chunks

/// A chunk of one thread's events. The payload (an events frame payload: chunk header then
/// records) follows the struct in the same allocation.
typedef struct fr_chunk {
    /// `(events << 32) | used`: release-stored by the owner after each record.
    uint64_t published;
    /// Payload capacity in bytes.
    uint64_t capacity;
    uint64_t thread;
    uint64_t sequence;
    uint64_t base_ticks;
    /// Time of the last record, set when the chunk is sealed.
    uint64_t last_ticks;
    uint64_t flags;
    /// Order in which the ring evicted the chunk (recorder bookkeeping).
    uint64_t eviction;
    /// For a chunk sealed without FR_CHUNK_STATEFUL, the only parts the window fold reads
    /// (payload offsets): `[0, fold_prefix_end)`, which ends after the last end of a
    /// synchronous region begun in an earlier chunk, or after a thread-name record (0: none),
    /// and `[fold_suffix_start, used)`, from the begin of the outermost synchronous region
    /// still open at the seal (`used`: none), whose records take their time deltas from
    /// `fold_suffix_ticks`. Everything between is regions that begin and end in it, logs and
    /// counters.
    uint32_t fold_prefix_end;
    uint32_t fold_suffix_start;
    uint64_t fold_suffix_ticks;
} fr_chunk;

static inline uint8_t *_Nonnull fr_chunk_data(fr_chunk *_Nonnull c) {
    return (uint8_t *)(c + 1);
}

/// Publishes `used` payload bytes holding `events` records (release: the bytes are visible to
/// any thread that then acquire-loads the length).
static inline void fr_chunk_publish(fr_chunk *_Nonnull c, uint64_t used, uint64_t events) {
    __atomic_store_n(&c->published, (events << 32) | (used & 0xFFFFFFFFu), __ATOMIC_RELEASE);
}

// MARK: switches

/// What every annotation must know before it appends, in one word so that it costs one load:
/// whether a recorder records, which clock ticks, whether region begins capture stacks,
/// whether a String's bytes may be read from its two words, and whether logical tasks are in
/// use. Written rarely (start, stop, the process's first logical task), read by every
/// annotation with a relaxed load: a write takes the word's cache line away from every core.
extern uint64_t fr_switches;

#define FR_SWITCH_RECORDING 1ull
#define FR_SWITCH_TSC 2ull
#define FR_SWITCH_CAPTURE_STACKS 4ull
#define FR_SWITCH_STRING_WORDS 8ull
#define FR_SWITCH_LOGICAL_TASKS 64ull

static inline uint64_t fr_switches_now(void) {
    return __atomic_load_n(&fr_switches, __ATOMIC_RELAXED);
}

static inline bool fr_switches_recording(uint64_t switches) { return (switches & FR_SWITCH_RECORDING) != 0; }
static inline bool fr_switches_capture_stacks(uint64_t switches) { return (switches & FR_SWITCH_CAPTURE_STACKS) != 0; }
static inline bool fr_switches_string_words(uint64_t switches) { return (switches & FR_SWITCH_STRING_WORDS) != 0; }
static inline bool fr_switches_logical_tasks(uint64_t switches) { return (switches & FR_SWITCH_LOGICAL_TASKS) != 0; }

/// Whether a recorder is recording: one relaxed load, the whole cost of a disabled annotation.
static inline bool fr_is_recording(void) {
    return fr_switches_recording(fr_switches_now());
}

// MARK: per-thread state

/// Entries of the per-thread direct-mapped cache from StaticString address to string id.
#define FR_NAME_CACHE_SIZE 64

/// One entry of a per-thread cache: key and value side by side, so a lookup touches one line.
typedef struct fr_cache_entry {
    uint64_t key;
    uint64_t value;
} fr_cache_entry;

/// Fields are grouped by how often an annotation touches them: the first 64 bytes on every
/// append, the next 64 when the annotation needs its task, the caches next, the slow path's
/// fields last. (Measured alone, this grouping changed no benchmark figure: it keeps what an
/// append reads together, so later fields cannot spread it.)
typedef struct fr_thread_state {
    // MARK: every append (first cache line)

    /// Next byte to write in the active chunk.
    uint8_t *_Nullable write;
    /// Last position where a record of the largest fixed size may start; NULL sends the owner
    /// to the slow path (no chunk yet, or the recorder stopped/restarted). Atomic access only.
    uint8_t *_Nullable limit;
    /// Time of the previous record of the active chunk (deltas are taken from it).
    uint64_t last_ticks;
    /// Records in the active chunk.
    uint64_t events;
    fr_chunk *_Nullable chunk;
    /// Regions of synchronous closures begun in the active chunk and not yet ended. Such regions
    /// nest strictly on their thread (a closure's region ends before any region opened around
    /// it), so of a chunk with no other stateful record the fold needs only the part up to the
    /// last end of a region begun earlier and the part from the outermost begin still open
    /// (fr_chunk's `fold_prefix_end` / `fold_suffix_start`).
    uint64_t sync_regions;
    /// The begin of the outermost synchronous region still open (valid while `sync_regions`
    /// > 0), and the time of the record before it.
    uint8_t *_Nullable sync_open_start;
    uint64_t sync_open_ticks;

    // MARK: the task an annotation belongs to, the chunk's other marks (second cache line)

    /// The Swift task whose job this thread is running, when an executor that records says so
    /// (0: unknown, ask the runtime). Saves a runtime call per annotation.
    uint64_t running_task;
    /// This thread's copy of the runtime's current-task variable (see `fr_task_slot_refresh`),
    /// NULL until found and verified, and whenever the direct read is off.
    void *_Nullable const *_Nullable task_slot;
    /// The last task whose id this thread asked the runtime for, and the id (see
    /// `fr_state_task_id`). NULL: nothing cached.
    void *_Nullable cached_task;
    uint64_t cached_task_id;
    /// Non-zero once the active chunk holds a stateful record other than a synchronous
    /// region's begin or end (see FR_CHUNK_STATEFUL).
    uint64_t stateful;
    /// Just after the last end of a synchronous region begun in an earlier chunk, or of a
    /// thread-name record written while no such region was open (NULL: none).
    uint8_t *_Nullable sync_lead_end;
    /// Non-zero while the thread is inside the recorder's slow path (no re-entry).
    uint64_t in_slow_path;
    /// Operating-system thread id (gettid on Linux).
    uint64_t thread;

    // MARK: the caches and the slow path

    /// StaticString address -> string id.
    fr_cache_entry names[FR_NAME_CACHE_SIZE];
    /// A captured stack's hash -> its stack id.
    fr_cache_entry stacks[FR_NAME_CACHE_SIZE];
    /// The recording (one start to its stop) the active chunk belongs to.
    uint64_t epoch;
    /// Sequence number the next chunk of this thread gets.
    uint64_t next_sequence;
    /// Block of logical task ids reserved for this thread: [next, end).
    uint64_t next_logical_task;
    uint64_t logical_task_end;
    /// Bounds of this thread's stack, for the frame-pointer walk ([low, high); 0 unknown).
    uintptr_t stack_low;
    uintptr_t stack_high;
} fr_thread_state;

_Static_assert(offsetof(fr_thread_state, running_task) == 64, "the per-append fields fill the first cache line");
_Static_assert(offsetof(fr_thread_state, names) == 128, "the task fields fill the second cache line");
_Static_assert(offsetof(fr_thread_state, stacks) % 64 == 0, "a cache entry never straddles two lines");

extern FR_THREAD_LOCAL fr_thread_state *_Nullable fr_tls_state;

/// This thread's recorder state, or NULL before its first event.
static inline fr_thread_state *_Nullable fr_current_state(void) {
    return fr_tls_state;
}

static inline uint8_t *_Nullable fr_state_limit(const fr_thread_state *_Nonnull s) {
    return __atomic_load_n(&s->limit, __ATOMIC_RELAXED);
}

/// Whether `extra` bytes beyond the largest fixed-size record fit in the active chunk.
static inline bool fr_state_has_room(const fr_thread_state *_Nonnull s, uint64_t extra) {
    uint8_t *limit = fr_state_limit(s);
    if (limit == NULL) return false;
    return (intptr_t)((uintptr_t)limit - (uintptr_t)s->write) >= (intptr_t)extra;
}

/// Ends a record at `end`, taken at `ticks`: publishes the new length (release).
static inline void fr_state_commit(fr_thread_state *_Nonnull s, uint8_t *_Nonnull end, uint64_t ticks) {
    fr_chunk *c = s->chunk;
    s->write = end;
    s->last_ticks = ticks;
    s->events += 1;
    fr_chunk_publish(c, (uint64_t)(end - fr_chunk_data(c)), s->events);
}

/// `fr_state_commit` for a record that changes the state at window start (task, region and
/// thread-name records): the chunk will be folded when it is evicted.
static inline void fr_state_commit_stateful(fr_thread_state *_Nonnull s, uint8_t *_Nonnull end, uint64_t ticks) {
    s->stateful = 1;
    fr_state_commit(s, end, ticks);
}

/// `fr_state_commit_stateful` for `count` records appended at once, ending at `end`.
static inline void fr_state_commit_records(fr_thread_state *_Nonnull s, uint8_t *_Nonnull end, uint64_t ticks,
                                           uint32_t count) {
    s->events += count - 1;
    fr_state_commit_stateful(s, end, ticks);
}

/// `fr_state_commit` for the begin of a synchronous closure's region (see `sync_regions`).
static inline void fr_state_commit_sync_begin(fr_thread_state *_Nonnull s, uint8_t *_Nonnull end, uint64_t ticks) {
    if (s->sync_regions == 0) {
        s->sync_open_start = s->write;
        s->sync_open_ticks = s->last_ticks;
    }
    s->sync_regions += 1;
    fr_state_commit(s, end, ticks);
}

/// `fr_state_commit` for the end of a synchronous closure's region.
static inline void fr_state_commit_sync_end(fr_thread_state *_Nonnull s, uint8_t *_Nonnull end, uint64_t ticks) {
    if (s->sync_regions > 0) {
        s->sync_regions -= 1;
    } else {
        s->sync_lead_end = end;  // its begin is in an earlier chunk
    }
    fr_state_commit(s, end, ticks);
}

static inline uint64_t fr_name_cache_slot(uintptr_t key) {
    return (uint64_t)((key * 0x9E3779B97F4A7C15ull) >> 58);  // top 6 bits: 64 slots
}

/// The string id cached for a StaticString address, 0 on a miss.
static inline uint64_t fr_name_cache_lookup(const fr_thread_state *_Nonnull s, uintptr_t key) {
    uint64_t slot = fr_name_cache_slot(key);
    const fr_cache_entry *e = &s->names[slot];
    return e->key == key ? e->value : 0;
}

// MARK: clocks

static inline uint64_t fr_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/// TSC cycles per tick, as a shift: 16 cycles is ~5 ns at 3 GHz, finer than any event
/// spacing the recorder sees, and it takes about one byte off every time delta the snapshot
/// stores (a 10 µs gap is 30,000 cycles, a 3-byte varint, but 1,875 ticks, 2 bytes).
#define FR_TSC_SHIFT 4

/// The tick clock, read with switches the caller loaded (`fr_switches_now`).
static inline uint64_t fr_ticks_with(uint64_t switches) {
#if defined(__x86_64__)
    if (__builtin_expect((switches & FR_SWITCH_TSC) != 0, 1)) return __builtin_ia32_rdtsc() >> FR_TSC_SHIFT;
#endif
    (void)switches;
    return fr_monotonic_ns();
}

static inline uint64_t fr_ticks(void) {
    return fr_ticks_with(fr_switches_now());
}

// MARK: task identity

// The Swift runtime's entry points for the current task and a job's task id, exported by
// libswift_Concurrency with the Swift calling convention. They are declared here rather than
// with `@_silgen_name` in Swift because Swift reserves the name `swift_task_getCurrent` for the
// compiler; a task pointer is a job pointer (AsyncTask derives from Job). The task is returned
// unretained and only passed straight back, so no reference count is touched.
#if __has_attribute(swiftcall)
#define FR_SWIFTCALL __attribute__((swiftcall))
#else
#define FR_SWIFTCALL
#endif
extern void *_Nullable swift_task_getCurrent(void) FR_SWIFTCALL;
extern uint64_t swift_task_getJobTaskId(void *_Nonnull job) FR_SWIFTCALL;

/// The key of the task-local value that binds the current logical task: the address of
/// FlightRecorder's `LogicalTask.bound` (a TaskLocal<UInt64>; TaskLocal passes its object's
/// address as the key). Set when a recording starts, and only once reading through it was
/// checked to give what `bound.get()` gives (`LogicalTask.keyVerified`); NULL until then or if
/// that check failed, and annotations then call `bound.get()` instead.
extern const void *_Nullable fr_logical_task_key;
/// The runtime's task-local lookup (ABI entry point; TaskLocal.get calls it): the value bound
/// to `key` in the current task, or in the thread's fallback storage outside a task; NULL
/// if none is bound.
extern const void *_Nullable swift_task_localValueGet(const void *_Nonnull key) FR_SWIFTCALL;

static inline void fr_set_logical_task_key(const void *_Nullable key) {
    __atomic_store_n(&fr_logical_task_key, key, __ATOMIC_RELEASE);
}

static inline bool fr_logical_task_key_set(void) {
    return __atomic_load_n(&fr_logical_task_key, __ATOMIC_ACQUIRE) != NULL;
}

/// The UInt64 bound to `key` in the current task (or thread), 0 for none.
static inline uint64_t fr_task_local_u64(const void *_Nonnull key) {
    const uint64_t *value = (const uint64_t *)swift_task_localValueGet(key);
    return value != NULL ? *value : 0;
}

/// The logical task bound to the current Swift task (or, for synchronous bodies, thread), 0 for
/// none or while no checked key is set: what `LogicalTask.bound.get()` returns, read through
/// the runtime's entry point without that generic function's value-witness copy and the
/// global's lazy-initialization call on every read.
static inline uint64_t fr_logical_task_bound(void) {
    const void *key = __atomic_load_n(&fr_logical_task_key, __ATOMIC_ACQUIRE);
    return key != NULL ? fr_task_local_u64(key) : 0;
}

/// The current Swift task's id (sequential, never reused), 0 outside any task.
static inline uint64_t fr_current_task_id(void) {
    void *task = swift_task_getCurrent();
    return task != NULL ? swift_task_getJobTaskId(task) : 0;
}

// Where a job keeps its 32-bit id: FR_JOB_ID_OFFSET, runtime_layout.h.

static inline uint32_t fr_job_id_word(const void *_Nonnull job) {
    uint32_t word;
    memcpy(&word, (const char *)job + FR_JOB_ID_OFFSET, sizeof word);
    return word;
}

/// `fr_state_task_id` when the task is not the one cached: asks the runtime, and caches the
/// answer when the task's job-id word holds the id's low half (as it does in the runtimes
/// this was written against; otherwise nothing is cached and every annotation asks).
uint64_t fr_state_task_id_miss(fr_thread_state *_Nonnull s, void *_Nonnull task);

/// The id of `task` (a live task the caller holds, usually the current one) through the
/// thread's one-entry cache described below.
static inline uint64_t fr_state_task_id_of(fr_thread_state *_Nonnull s, void *_Nonnull task) {
    if (task == s->cached_task && fr_job_id_word(task) == (uint32_t)s->cached_task_id) return s->cached_task_id;
    return fr_state_task_id_miss(s, task);
}

/// `fr_current_task_id` for a thread with recorder state. Reads the runtime's current-task
/// variable directly when the slow path found it for this thread (two loads instead of a call
/// through `__tls_get_addr`, whose cost and variance dominated an annotation outside tasks),
/// then takes the id from the thread's one-entry cache when the task is the one cached.
///
/// A hit needs the same task address and a job-id word equal to the id's low half, as it
/// was when the runtime gave the id. A task allocated later at the same
/// address has another id (ids are sequential), so its word differs unless 2^32 tasks were
/// created in between; the cache is also cleared at every chunk (`fr_task_slot_refresh`).
/// The runtime call this saves (through the PLT, and a second cache line of the task) costs
/// ~1 ns when the host is quiet and ~2.5 ns per annotation at its slow level: BENCHMARKS.md,
/// "The current task's id without a call".
static inline uint64_t fr_state_task_id(fr_thread_state *_Nonnull s) {
    void *const *slot = s->task_slot;
    if (slot == NULL) return fr_current_task_id();
    void *task = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (task == NULL) return 0;
    return fr_state_task_id_of(s, task);
}

#ifdef __cplusplus
}
#endif
#endif
