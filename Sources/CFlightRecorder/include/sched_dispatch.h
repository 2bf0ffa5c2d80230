// Running global-executor jobs on Dispatch, the way the Swift runtime's own global executor
// does on Linux: one concurrent queue per job priority, as wide as the machine has CPUs, fed
// with dispatch_async_f. GlobalExecutorTakeover hands every job here after its enqueue stamp,
// so Dispatch's worker pool keeps scheduling and the recorder adds only its stamps.
//
// Invariants:
// - Every job handed to `sched_dispatch_global_job` runs exactly once, through the given
//   function, on a Dispatch worker thread.
// - A queue is created on first use for its priority and never released: jobs may be handed
//   over for as long as the process lives (a hook call racing with uninstall included).
// - Nothing of Dispatch is declared in this header: importers of CFlightRecorder never see a
//   second declaration of a Dispatch function (the definitions live in sched_dispatch.c).
#ifndef SCHED_DISPATCH_H
#define SCHED_DISPATCH_H

#ifdef __cplusplus
extern "C" {
#endif

/// A function Dispatch calls with the context it was handed (a job, or a caller's context).
typedef void (*sched_dispatch_function)(void *_Nullable context);

/// Hands `job` to the concurrent queue for its priority (JobFlags bits 8-15); Dispatch later
/// calls `run(job)` on one of its worker threads. `run` must run the job exactly once.
void sched_dispatch_global_job(void *_Nonnull job, sched_dispatch_function _Nonnull run);

/// Calls `done(context)` once every job handed over before this call has returned (a barrier
/// on each queue created so far), on a Dispatch thread, or right away if there is no queue.
/// Never blocks the caller.
void sched_dispatch_after_handed_jobs(void *_Nullable context, sched_dispatch_function _Nonnull done);

#ifdef __cplusplus
}
#endif
#endif
