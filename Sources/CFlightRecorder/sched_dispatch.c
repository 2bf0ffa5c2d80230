// Global-executor jobs on Dispatch (see include/sched_dispatch.h for the invariants).
//
// What the Swift runtime does on Linux (DispatchGlobalExecutor.cpp, Swift 6.3), and so what
// this file does too: a job's priority is the JobPriority in bits 8-15 of its flags, whose
// values are Dispatch QoS classes (0x00 unspecified ... 0x21 user-interactive); each priority
// gets its own concurrent queue created with that QoS, whose width is set to the number of
// logical CPUs (so a flood of jobs does not grow the thread pool past the cores); a job is
// handed over with dispatch_async_f. Only the function Dispatch calls differs: ours stamps.
#include "sched_dispatch.h"
#include "sched_runtime.h"

#include <stdint.h>
#include <stdlib.h>

// MARK: the few Dispatch functions used, declared here

// A SwiftPM C target does not have the toolchain's dispatch headers on its include path, and
// declaring these in a public header would give Swift importers a second declaration of each.
// Objects are passed as opaque pointers: these are libdispatch's exported C signatures.
typedef struct sched_dispatch_queue_s *sched_dispatch_queue;
typedef struct sched_dispatch_attr_s *sched_dispatch_attr;

extern void dispatch_async_f(sched_dispatch_queue queue, void *context, sched_dispatch_function work);
extern void dispatch_barrier_async_f(sched_dispatch_queue queue, void *context, sched_dispatch_function work);
extern sched_dispatch_queue dispatch_queue_create(const char *label, sched_dispatch_attr attr);
extern sched_dispatch_attr dispatch_queue_attr_make_with_qos_class(sched_dispatch_attr attr, unsigned int qos,
                                                                   int relative_priority);
extern void dispatch_release(void *object);
/// What DISPATCH_QUEUE_CONCURRENT names.
extern struct sched_dispatch_attr_s _dispatch_queue_attr_concurrent;
#if !defined(__APPLE__)
/// Exported by libdispatch on Linux though not in its public header (the runtime declares it
/// the same way); Darwin's pool limits itself, and there the width stays Dispatch's default.
extern void dispatch_queue_set_width(sched_dispatch_queue queue, long width);
#define SCHED_DISPATCH_WIDTH_LOGICAL_CPUS (-3)
#endif

// MARK: queues by priority

/// One past JobPriority.userInteractive (0x21), the highest priority.
#define SCHED_PRIORITY_LIMIT 0x22u
/// JobPriority.default, for a value outside the known range (the runtime rejects those).
#define SCHED_PRIORITY_DEFAULT 0x15u

static sched_dispatch_queue sched_dispatch_queues[SCHED_PRIORITY_LIMIT];

static sched_dispatch_queue sched_dispatch_create_queue(unsigned int priority) {
    sched_dispatch_attr attr =
        dispatch_queue_attr_make_with_qos_class(&_dispatch_queue_attr_concurrent, priority, 0);
    sched_dispatch_queue created = dispatch_queue_create("tracexport global executor", attr);
#if !defined(__APPLE__)
    dispatch_queue_set_width(created, SCHED_DISPATCH_WIDTH_LOGICAL_CPUS);
#endif
    sched_dispatch_queue existing = NULL;
    if (!__atomic_compare_exchange_n(&sched_dispatch_queues[priority], &existing, created, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        // Another thread created this priority's queue first: use that one.
        dispatch_release(created);
        return existing;
    }
    return created;
}

static inline sched_dispatch_queue sched_dispatch_queue_for(const void *job) {
    unsigned int priority = (sched_job_flags(job) >> 8) & 0xFFu;
    if (priority >= SCHED_PRIORITY_LIMIT) priority = SCHED_PRIORITY_DEFAULT;
    sched_dispatch_queue queue = __atomic_load_n(&sched_dispatch_queues[priority], __ATOMIC_ACQUIRE);
    return queue != NULL ? queue : sched_dispatch_create_queue(priority);
}

void sched_dispatch_global_job(void *job, sched_dispatch_function run) {
    dispatch_async_f(sched_dispatch_queue_for(job), job, run);
}

// MARK: waiting for handed-over jobs

typedef struct {
    unsigned int remaining;
    void *context;
    sched_dispatch_function done;
} sched_dispatch_drain;

/// One queue's barrier ran (every job handed to that queue before it has returned).
static void sched_dispatch_drain_step(void *drain_pointer) {
    sched_dispatch_drain *drain = drain_pointer;
    if (__atomic_sub_fetch(&drain->remaining, 1u, __ATOMIC_ACQ_REL) != 0) return;
    sched_dispatch_function done = drain->done;
    void *context = drain->context;
    free(drain);
    done(context);
}

void sched_dispatch_after_handed_jobs(void *context, sched_dispatch_function done) {
    sched_dispatch_queue queues[SCHED_PRIORITY_LIMIT];
    unsigned int count = 0;
    for (unsigned int p = 0; p < SCHED_PRIORITY_LIMIT; p++) {
        sched_dispatch_queue queue = __atomic_load_n(&sched_dispatch_queues[p], __ATOMIC_ACQUIRE);
        if (queue != NULL) queues[count++] = queue;
    }
    if (count == 0) {
        done(context);
        return;
    }
    sched_dispatch_drain *drain = malloc(sizeof *drain);
    if (drain == NULL) abort();
    drain->remaining = count;
    drain->context = context;
    drain->done = done;
    for (unsigned int i = 0; i < count; i++) dispatch_barrier_async_f(queues[i], drain, sched_dispatch_drain_step);
}
