// Shared by bench_kernels.c and bench_onednn.c: a monotonic clock, a small LCG and TIME_IT.
#ifndef KQ_BENCH_TIMING_H
#define KQ_BENCH_TIMING_H
#include <stdint.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
static uint32_t rs = 12345;
static uint32_t rnd(void) { rs = rs * 1664525u + 1013904223u; return rs >> 8; }

// Seconds per call into `result`: one warm-up call, then the best of 3 batches, each
// repeating the call for at least `min_seconds`.
#define TIME_IT_FOR(result, min_seconds, stmt)                                               \
    do {                                                                                     \
        stmt;                                                                                \
        double best = 1e30;                                                                  \
        for (int rep_ = 0; rep_ < 3; rep_++) {                                               \
            int it_ = 0;                                                                     \
            double t0_ = now(), t1_;                                                         \
            do { stmt; it_++; t1_ = now(); } while (t1_ - t0_ < (min_seconds));              \
            double per_ = (t1_ - t0_) / it_;                                                 \
            if (per_ < best) best = per_;                                                    \
        }                                                                                    \
        result = best;                                                                       \
    } while (0)
#endif
