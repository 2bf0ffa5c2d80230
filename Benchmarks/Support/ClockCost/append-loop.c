// The recorder's append reduced to its bones, in C: read the TSC, clamp it to the previous
// record, write kind + time delta (varint) + a few one-byte fields into a 16 MiB ring, publish
// the new length with a release store. "pair" writes a region begin and end per iteration,
// "log" one record with a 14-byte message stored as two words. What the Swift annotations
// cost beyond this is their own; this loop is the floor on this machine, and a control for
// the host's moods. Alone, as a program:
//
//   cc -O2 -DAPPEND_LOOP_MAIN Benchmarks/Support/ClockCost/append-loop.c -o append-loop && ./append-loop
//
// (40 iterations of 1 M per mode; ns per iteration unit, percentiles), or in the same process
// as the Swift annotations, batch by batch (the AppendBesideC tool: Support/AppendBesideC).
//
// x86_64 only (rdtsc); elsewhere the functions do nothing.
#include "include/append_loop.h"

#if defined(__x86_64__)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

struct ring {
    uint8_t *write;
    uint8_t *limit;
    uint64_t last_ticks;
    uint64_t events;
    uint64_t *published;  // the ring's first word, as a chunk header's
};

static __thread struct ring *current;

static inline uint8_t *varint(uint8_t *q, uint64_t v) {
    while (v >= 0x80) {
        *q++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *q++ = (uint8_t)v;
    return q;
}

static inline uint8_t *header(struct ring *r, uint8_t kind, uint64_t *ticks) {
    uint64_t t = __rdtsc() >> 4;
    if (r->limit - r->write < 64) r->write = (uint8_t *)r->published + 64;  // wrap
    if (t < r->last_ticks) t = r->last_ticks;
    uint8_t *q = r->write;
    *q++ = kind;
    q = varint(q, t - r->last_ticks);
    *ticks = t;
    return q;
}

static inline void commit(struct ring *r, uint8_t *end, uint64_t ticks) {
    r->write = end;
    r->last_ticks = ticks;
    r->events += 1;
    __atomic_store_n(r->published, (uint64_t)(end - (uint8_t *)r->published) | (r->events << 32), __ATOMIC_RELEASE);
}

__attribute__((noinline)) static void region_event(uint8_t kind) {
    struct ring *r = current;
    uint64_t t;
    uint8_t *q = header(r, kind, &t);
    *q++ = 0;  // task
    *q++ = 6;  // interned name 3
    if (kind == 0x07) *q++ = 0;  // no stack
    commit(r, q, t);
}

__attribute__((noinline)) static void log_event(uint64_t w0, uint64_t w1, int count) {
    struct ring *r = current;
    uint64_t t;
    uint8_t *q = header(r, 0x09, &t);
    *q++ = 0;  // task
    *q++ = 6;  // interned category 3
    *q++ = (uint8_t)count;
    memcpy(q, &w0, 8);
    memcpy(q + 8, &w1, 8);
    commit(r, q + count, t);
}

static struct ring shared_ring;
static uint64_t message_words[2];

int append_loop_setup(void) {
    size_t capacity = 16u << 20;
    uint8_t *memory = aligned_alloc(64, capacity + 128);
    if (memory == NULL) return -1;
    memset(memory, 0, capacity + 128);  // touch every page now, not in the first batch
    shared_ring = (struct ring){memory + 64, memory + capacity, __rdtsc() >> 4, 0, (uint64_t *)memory};
    memcpy(&message_words[0], "request ", 8);
    memcpy(&message_words[1], "served\0\0", 8);
    return 0;
}

void append_loop_pairs(long count) {
    current = &shared_ring;
    for (long i = 0; i < count; i++) {
        region_event(0x07);
        region_event(0x08);
    }
}

void append_loop_logs(long count) {
    current = &shared_ring;
    for (long i = 0; i < count; i++) log_event(message_words[0], message_words[1], 14);
}

#if defined(APPEND_LOOP_MAIN)
static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void) {
    if (append_loop_setup() != 0) return 1;
    for (int mode = 0; mode < 2; mode++) {
        double samples[40];
        for (int it = 0; it < 40; it++) {
            uint64_t start = now_ns();
            if (mode == 0) {
                append_loop_pairs(1000000);
            } else {
                append_loop_logs(1000000);
            }
            samples[it] = (double)(now_ns() - start) / 1e6;
        }
        qsort(samples, 40, sizeof samples[0], by_value);
        printf("%-4s ns: p0 %.1f p25 %.1f p50 %.1f p75 %.1f p90 %.1f\n", mode == 0 ? "pair" : "log", samples[0],
               samples[10], samples[20], samples[30], samples[36]);
    }
    return 0;
}
#endif  // APPEND_LOOP_MAIN

#else  // not x86_64

int append_loop_setup(void) { return -1; }
void append_loop_pairs(long count) { (void)count; }
void append_loop_logs(long count) { (void)count; }

#endif
