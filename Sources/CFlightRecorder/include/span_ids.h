// Span ids: random 64-bit words for the tracer's trace and span ids, drawn without a system call.
//
// Invariants:
// - Each thread draws from its own xoshiro256** generator (Blackman and Vigna), 256 bits of
//   thread-local state: a draw is a few shifts, xors and multiplies, with no lock, no shared
//   atomic, no allocation and no system call.
// - A thread's state is seeded from the system's generator (`getentropy`) on its first draw, so
//   threads and processes start at independent random points of the generator's 2^256 - 1
//   period: their sequences differ, and an id repeats (within a thread or across threads and
//   processes) only as often as among truly random 64-bit words.
// - An all-zero state is the generator's one fixed point and never reached from another state,
//   so it marks "not seeded": a new thread starts there.
// - A fork child draws a sequence of its own: a `pthread_atfork` child handler (registered at
//   the first seeding) zeroes the state of the one thread a fork child has, which reseeds on its
//   next draw. Other threads' states do not exist in the child.
// - `fr_span_id_random` never returns 0 (W3C: all-zero ids are invalid).
// - Not cryptographic: ids must be unique, not secret. Outputs reveal the generator's state, so
//   ids already seen predict the thread's next ones.
#ifndef SPAN_IDS_H
#define SPAN_IDS_H

#include "fast_path.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One thread's xoshiro256** state; all zero until seeded.
typedef struct fr_id_generator {
    uint64_t s[4];
} fr_id_generator;

extern FR_THREAD_LOCAL fr_id_generator fr_id_tls;

/// Seeds this thread's generator from the system's (the first draw of a thread or fork child).
void fr_id_generator_seed(fr_id_generator *_Nonnull generator);

static inline uint64_t fr_id_rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/// The next word of a seeded `generator`'s xoshiro256** sequence that is not 0 (zero outputs,
/// one in 2^64, are skipped).
static inline uint64_t fr_id_generator_next(fr_id_generator *_Nonnull g) {
    for (;;) {
        uint64_t result = fr_id_rotate_left(g->s[1] * 5, 7) * 9;
        uint64_t shifted = g->s[1] << 17;
        g->s[2] ^= g->s[0];
        g->s[3] ^= g->s[1];
        g->s[1] ^= g->s[2];
        g->s[0] ^= g->s[3];
        g->s[2] ^= shifted;
        g->s[3] = fr_id_rotate_left(g->s[3], 45);
        if (__builtin_expect(result != 0, 1)) return result;
    }
}

/// A random word of this thread's sequence, never 0; seeds the thread's generator first when
/// it is not seeded yet.
static inline uint64_t fr_span_id_random(void) {
    fr_id_generator *g = &fr_id_tls;
    if (__builtin_expect((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0, 0)) fr_id_generator_seed(g);
    return fr_id_generator_next(g);
}

#ifdef __cplusplus
}
#endif
#endif
