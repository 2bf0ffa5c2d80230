// Optional on-CPU time per job: the worker's thread CPU clock read at the start and end of
// each job, written as jobCPUTime. A job that was "running" for 10 ms with 1 ms of CPU was
// blocked in a system call or a lock while holding its thread.
//
// Invariants:
// - Off by default: each read is a clock_gettime(CLOCK_THREAD_CPUTIME_ID), which the vDSO does
//   not serve (a system call). Measured on the project's 2-core VM: ~2.1-2.5 us per read
//   (CLOCK_MONOTONIC: 30-130 ns), and 1.5-3.7 us added per job hop with two reads per job,
//   against ~50-130 ns for all the other stamps of a hop. `FlightRecorderConfiguration.threadCPUTime`
//   is the one switch users have: it sets this when a recorder starts.
// - The switch is read once per job start; a job that started with it off writes no CPU time.

import CFlightRecorder

enum ThreadCPUTime {
    /// Whether recording executors stamp each job with its thread's CPU time: the recorder's
    /// switch (a C flag: one relaxed load per job).
    static var isEnabled: Bool {
        get { fr_thread_cpu_time_enabled() }
        set { fr_set_thread_cpu_time(newValue) }
    }

    /// The calling thread's CPU time in nanoseconds, never 0 (0 marks "not measured").
    static func now() -> UInt64 {
        max(fr_thread_cpu_ns(), 1)
    }
}
