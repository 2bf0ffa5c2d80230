// Seeding of the span id generators (see include/span_ids.h for the invariants).
#define _GNU_SOURCE
#include "span_ids.h"

#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__APPLE__)
#include <sys/random.h>
#endif

FR_THREAD_LOCAL fr_id_generator fr_id_tls = {{0, 0, 0, 0}};

static pthread_once_t fr_id_fork_handler_once = PTHREAD_ONCE_INIT;

/// Runs in a fork child, on its one thread (the one that forked): its next draw reseeds.
static void fr_id_forget_after_fork(void) { memset(&fr_id_tls, 0, sizeof fr_id_tls); }

static void fr_id_register_fork_handler(void) { pthread_atfork(NULL, NULL, fr_id_forget_after_fork); }

/// SplitMix64's output function (Steele, Lea and Flood): spreads a word's bits over all 64.
static uint64_t fr_id_mix(uint64_t x) {
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void fr_id_generator_seed(fr_id_generator *generator) {
    // Registered before any state is seeded, so every fork after a seeding runs the handler.
    pthread_once(&fr_id_fork_handler_once, fr_id_register_fork_handler);
    uint64_t s[4] = {0, 0, 0, 0};
    if (getentropy(s, sizeof s) != 0) {
        // No system generator (a kernel without getrandom): what tells threads and processes
        // apart (the state's address, the pid, both clocks), mixed. Distinct, if not random.
        struct timespec wall = {0, 0}, monotonic = {0, 0};
        clock_gettime(CLOCK_REALTIME, &wall);
        clock_gettime(CLOCK_MONOTONIC, &monotonic);
        s[0] = fr_id_mix((uint64_t)(uintptr_t)generator);
        s[1] = fr_id_mix(s[0] ^ (uint64_t)getpid());
        s[2] = fr_id_mix(s[1] ^ ((uint64_t)wall.tv_sec * 1000000000ull + (uint64_t)wall.tv_nsec));
        s[3] = fr_id_mix(s[2] ^ ((uint64_t)monotonic.tv_sec * 1000000000ull + (uint64_t)monotonic.tv_nsec));
    }
    // All zero is the one state that never leaves itself (and means "not seeded").
    if ((s[0] | s[1] | s[2] | s[3]) == 0) s[0] = 1;
    memcpy(generator->s, s, sizeof s);
}
