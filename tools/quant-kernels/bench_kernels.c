// Single-thread throughput of CQuantKernels per path, with OpenBLAS fp32 for reference.
//   clang -O2 -I /usr/include/x86_64-linux-gnu/openblas-pthread -I Sources/CQuantKernels/include Sources/CQuantKernels/*.c \
//         tools/quant-kernels/bench_kernels.c -lopenblas -lm -o /tmp/qbench
//   OPENBLAS_NUM_THREADS=1 /tmp/qbench [--quick]
// linear_u8s8: GOP/s = 2*m*n*k / time (activations 0..127 so every path is exact).
// w8 / w4 at m = 1: GB/s of weight bytes streamed (w8: n*k, w4: n*k/2 + scales) and GFLOP/s;
// sgemv fp32 (4*n*k bytes) alongside. Best of several timed runs of >= ~0.15 s each.
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "koan_quant.h"

#include "bench_timing.h"

static float rndf(void) { return (float)(rnd() & 0xFFFF) / 32768.0f - 1.0f; }

static double min_time = 0.15;
#define TIME_IT(result, stmt) TIME_IT_FOR(result, min_time, stmt)

static void bench_u8s8(int m, int n, int k) {
    uint8_t *a = malloc((size_t)m * k);
    int8_t *w = malloc((size_t)n * k), *p = malloc(koan_q_packed_size(n, k));
    int32_t *cs = calloc(n, sizeof(int32_t));
    float *ws = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
    float *y = malloc(sizeof(float) * m * n);
    float *af = malloc(sizeof(float) * m * k), *wf = malloc(sizeof(float) * n * k);
    for (size_t i = 0; i < (size_t)m * k; i++) { a[i] = rnd() & 127; af[i] = a[i]; }
    for (size_t i = 0; i < (size_t)n * k; i++) { w[i] = (int8_t)rnd(); wf[i] = w[i]; }
    for (int j = 0; j < n; j++) {
        for (int c = 0; c < k; c++) cs[j] += w[(size_t)j * k + c];
        ws[j] = 0.01f;
        bias[j] = 0.1f;
    }
    koan_q_pack_s8(w, n, k, p);
    const double ops = 2.0 * m * n * k;
    printf("u8s8 m=%4d n=%5d k=%5d |", m, n, k);
    for (int isa = 0; isa <= 2; isa++) {
        if (!koan_q_isa_supported(isa)) { printf(" %s: n/a |", koan_q_isa_name(isa)); continue; }
        double t;
        TIME_IT(t, koan_q_linear_u8s8(isa, m, n, k, a, k, 3, 0.02f, p, cs, ws, bias, y, n, 0, n));
        printf(" %s %7.1f |", koan_q_isa_name(isa), ops / t * 1e-9);
    }
    double t;
    TIME_IT(t, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, af, k, wf, k,
                           0.0f, y, n));
    printf(" sgemm %7.1f GOP/s\n", ops / t * 1e-9);
    free(a); free(w); free(p); free(cs); free(ws); free(bias); free(y); free(af); free(wf);
}

static void bench_wonly(int m, int n, int k, int group) {
    float *x = malloc(sizeof(float) * m * k), *y = malloc(sizeof(float) * m * n);
    int8_t *w8 = malloc((size_t)n * k);
    uint8_t *w4 = malloc((size_t)n * k / 2);
    float *s8 = malloc(sizeof(float) * n), *s4 = malloc(sizeof(float) * n * (k / group));
    float *wf = malloc(sizeof(float) * n * k), *bias = malloc(sizeof(float) * n);
    for (size_t i = 0; i < (size_t)m * k; i++) x[i] = rndf();
    for (size_t i = 0; i < (size_t)n * k; i++) { w8[i] = (int8_t)rnd(); wf[i] = rndf(); }
    for (size_t i = 0; i < (size_t)n * k / 2; i++) w4[i] = (uint8_t)rnd();
    for (int j = 0; j < n; j++) { s8[j] = 0.01f; bias[j] = 0.0f; }
    for (int i = 0; i < n * (k / group); i++) s4[i] = 0.01f;
    const double flops = 2.0 * m * n * k;
    const double b8 = (double)n * k, b4 = (double)n * k / 2 + 4.0 * n * (k / group);
    printf("m=%3d n=%5d k=%5d |", m, n, k);
    for (int isa = 0; isa <= 2; isa++) {
        if (!koan_q_isa_supported(isa)) continue;
        double t8, t4;
        TIME_IT(t8, koan_q_linear_w8(isa, m, n, k, x, k, w8, s8, bias, y, n, 0, n));
        TIME_IT(t4, koan_q_linear_w4(isa, m, n, k, group, x, k, w4, s4, bias, y, n, 0, n));
        if (m == 1)
            printf(" %s w8 %5.1f GB/s w4 %5.1f GB/s |", koan_q_isa_name(isa), b8 / t8 * 1e-9,
                   b4 / t4 * 1e-9);
        else
            printf(" %s w8 %6.1f w4 %6.1f GFLOP/s |", koan_q_isa_name(isa), flops / t8 * 1e-9,
                   flops / t4 * 1e-9);
    }
    double t;
    if (m == 1) {
        TIME_IT(t, cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, 1.0f, wf, k, x, 1, 0.0f, y, 1));
        printf(" sgemv fp32 %5.1f GB/s (%.1f GFLOP/s)\n", 4.0 * n * k / t * 1e-9, flops / t * 1e-9);
    } else {
        TIME_IT(t, cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, x, k, wf,
                               k, 0.0f, y, n));
        printf(" sgemm %6.1f GFLOP/s\n", flops / t * 1e-9);
    }
    free(x); free(y); free(w8); free(w4); free(s8); free(s4); free(wf); free(bias);
}

int main(int argc, char **argv) {
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    if (quick) min_time = 0.05;
    printf("single thread; best isa here: %s\n", koan_q_isa_name(koan_q_best_isa()));
    static const int shapes[][2] = {{4096, 1024}, {1024, 4096}};   // {n, k}
    static const int ms[] = {32, 64, 128, 256};
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 4; i++) bench_u8s8(ms[i], shapes[s][0], shapes[s][1]);
    printf("weight-only (w4 group 32):\n");
    static const int wm[] = {1, 4, 64};
    static const int wshapes[][2] = {{4096, 1024}, {1024, 4096}, {4096, 4096}};
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < 3; i++) bench_wonly(wm[i], wshapes[s][0], wshapes[s][1], 32);
    return 0;
}
