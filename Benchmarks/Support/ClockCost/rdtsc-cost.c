// What one tick read costs on this machine, the floor under every recorded event (the recorder
// reads the TSC once per event), alone and on two threads at once, beside a plain ALU loop.
//
//   cc -O2 -pthread Benchmarks/Support/ClockCost/rdtsc-cost.c -o rdtsc-cost && ./rdtsc-cost
//
// x86_64 only (rdtsc). Wall clock, 50 M reads per figure, three rounds.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static volatile uint64_t sink;

static void *tick_reads(void *result) {
    const int n = 50000000;
    uint64_t start = now_ns(), sum = 0;
    for (int i = 0; i < n; i++) sum += __rdtsc();
    sink = sum;
    *(double *)result = (double)(now_ns() - start) / n;
    return NULL;
}

static void *alu_steps(void *result) {
    const int n = 500000000;
    uint64_t start = now_ns(), x = 1;
    for (int i = 0; i < n; i++) {
        x = x * 3 + (uint64_t)i;
        __asm__ volatile("" : : "r"(x));
    }
    sink = x;
    *(double *)result = (double)(now_ns() - start) / n;
    return NULL;
}

static void one_and_two(const char *what, void *(*body)(void *)) {
    double alone, a, b;
    pthread_t t1, t2;
    body(&alone);
    pthread_create(&t1, NULL, body, &a);
    pthread_create(&t2, NULL, body, &b);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    printf("%s: 1 thread %.2f ns; 2 threads at once %.2f and %.2f ns\n", what, alone, a, b);
}

int main(void) {
    for (int round = 0; round < 3; round++) {
        one_and_two("rdtsc", tick_reads);
        one_and_two("alu step", alu_steps);
    }
    return 0;
}
