// A pthread condition variable whose timed waits measure CLOCK_MONOTONIC, for the package's
// thread hand-offs (the readers' read-ahead, the recording executor's job queue): a wall-clock
// step must neither end a timed wait early nor stretch it.
//
// Invariants:
// - On Linux the condition's clock is CLOCK_MONOTONIC: callers pass absolute deadlines read
//   from that clock to pthread_cond_timedwait.
// - Darwin cannot set a condition's clock; callers wait there with
//   pthread_cond_timedwait_relative_np, which no clock step affects.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Initializes `condition` (allocated, uninitialized memory) as described above. The caller
/// destroys it with pthread_cond_destroy.
package func initializeMonotonicCondition(_ condition: UnsafeMutablePointer<pthread_cond_t>) {
    condition.initialize(to: pthread_cond_t())
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    #if canImport(Glibc)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    #endif
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
}
