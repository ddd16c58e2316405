// The measurement behind "own kernels or oneDNN" (README.md here): single-thread u8 x s8
// products of the int8 Linear shapes, CQuantKernels (packed weights, float output with the
// dequantising epilogue) against oneDNN's dnnl_gemm_u8s8s32 (int32 output only, so it is
// timed without any epilogue, in its favour) and against oneDNN's matmul primitive with
// weights reordered once to its preferred layout (format `any`), u8 src with a zero point,
// s8 weights, f32 dst with per-output-channel scales. Debian's libdnnl-dev 2.6.3 (not a Koan dependency):
//   apt-get install libdnnl-dev
//   clang -O2 -I Sources/CQuantKernels/include Sources/CQuantKernels/*.c \
//         tools/quant-kernels/bench_onednn.c -ldnnl -lm -o /tmp/qdnnl
//   OMP_NUM_THREADS=1 /tmp/qdnnl
#include <dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "koan_quant.h"

#include "bench_timing.h"

#define TIME_IT(result, stmt) TIME_IT_FOR(result, 0.2, stmt)

#define CHECK(call)                                                                          \
    do {                                                                                     \
        dnnl_status_t st_ = (call);                                                          \
        if (st_ != dnnl_success) { fprintf(stderr, "%s: %d\n", #call, (int)st_); exit(1); }  \
    } while (0)

// oneDNN matmul y[m, n] = a[m, k] (u8, zero point) x w[k, n] (s8) with per-column scales.
// Returns seconds per execution (weights already reordered, primitive created once).
static double matmul_time(dnnl_engine_t eng, dnnl_stream_t s, int m, int n, int k,
                          const uint8_t *a, const int8_t *w_nk, const float *ws, float *y) {
    dnnl_memory_desc_t a_md, w_md_plain, w_md_any, y_md;
    const dnnl_dims_t ad = {m, k}, wd = {k, n}, yd = {m, n};
    CHECK(dnnl_memory_desc_init_by_tag(&a_md, 2, ad, dnnl_u8, dnnl_ab));
    // w_nk is [n, k] row-major, i.e. the [k, n] matrix in "ba" order.
    CHECK(dnnl_memory_desc_init_by_tag(&w_md_plain, 2, wd, dnnl_s8, dnnl_ba));
    CHECK(dnnl_memory_desc_init_by_tag(&w_md_any, 2, wd, dnnl_s8, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&y_md, 2, yd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &a_md, &w_md_any, NULL, &y_md));
    dnnl_primitive_attr_t attr;
    CHECK(dnnl_primitive_attr_create(&attr));
    // Scales per output column and the source zero point fixed when the primitive is made
    // (a dynamic layer would pass them at run time; fixing them can only favour oneDNN).
    const int32_t zp = 3;
    CHECK(dnnl_primitive_attr_set_output_scales(attr, n, 1 << 1, ws));
    CHECK(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &zp));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, eng, NULL));
    const dnnl_memory_desc_t *w_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_t a_mem, wp_mem, w_mem, y_mem;
    CHECK(dnnl_memory_create(&a_mem, &a_md, eng, (void *)a));
    CHECK(dnnl_memory_create(&wp_mem, &w_md_plain, eng, (void *)w_nk));
    CHECK(dnnl_memory_create(&w_mem, w_md, eng, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&y_mem, &y_md, eng, y));
    // Reorder the weights once, as a prepacked model would.
    dnnl_primitive_desc_t rpd;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, &w_md_plain, eng, w_md, eng, NULL));
    dnnl_primitive_t reorder;
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, wp_mem}, {DNNL_ARG_TO, w_mem}};
    CHECK(dnnl_primitive_execute(reorder, s, 2, rargs));
    CHECK(dnnl_stream_wait(s));
    dnnl_primitive_t mm;
    CHECK(dnnl_primitive_create(&mm, pd));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, w_mem},
                               {DNNL_ARG_DST, y_mem}};
    double t;
    TIME_IT(t, { CHECK(dnnl_primitive_execute(mm, s, 3, args)); CHECK(dnnl_stream_wait(s)); });
    dnnl_primitive_destroy(mm); dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd); dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    dnnl_memory_destroy(a_mem); dnnl_memory_destroy(wp_mem); dnnl_memory_destroy(w_mem);
    dnnl_memory_destroy(y_mem);
    return t;
}

int main(void) {
    const dnnl_version_t *v = dnnl_version();
    dnnl_engine_t eng;
    dnnl_stream_t s;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&s, eng, dnnl_stream_default_flags));
    printf("oneDNN %d.%d.%d (cpu runtime %u); Koan best path %s; one thread "
           "(OMP_NUM_THREADS=%s)\n", v->major, v->minor, v->patch, v->cpu_runtime,
           koan_q_isa_name(koan_q_best_isa()), getenv("OMP_NUM_THREADS") ? getenv("OMP_NUM_THREADS") : "unset");
    printf("%5s %5s %5s | %10s %10s | %14s %14s | %s\n", "m", "k", "n", "koan avx2", "koan best",
           "dnnl gemm s32", "dnnl matmul", "GOP/s");
    static const int shapes[][2] = {{1024, 4096}, {4096, 1024}};   // {k, n}
    static const int ms[] = {1, 32, 128, 256};
    for (int sh = 0; sh < 2; sh++)
        for (int mi = 0; mi < 4; mi++) {
            const int k = shapes[sh][0], n = shapes[sh][1], m = ms[mi];
            uint8_t *a = malloc((size_t)m * k);
            int8_t *w = malloc((size_t)n * k), *p = malloc(koan_q_packed_size(n, k));
            int32_t *cs = calloc(n, sizeof(int32_t)), *c32 = malloc(sizeof(int32_t) * m * n);
            float *ws = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * m * n);
            for (size_t i = 0; i < (size_t)m * k; i++) a[i] = rnd() & 127;
            for (size_t i = 0; i < (size_t)n * k; i++) w[i] = (int8_t)rnd();
            for (int j = 0; j < n; j++) {
                for (int c = 0; c < k; c++) cs[j] += w[(size_t)j * k + c];
                ws[j] = 0.01f;
            }
            koan_q_pack_s8(w, n, k, p);
            const double ops = 2.0 * m * n * k;
            double t_avx2 = 0, t_best, t_gemm, t_mm;
            if (koan_q_isa_supported(KOAN_Q_AVX2))
                TIME_IT(t_avx2, koan_q_linear_u8s8(KOAN_Q_AVX2, m, n, k, a, k, 3, 0.02f, p, cs, ws,
                                                   NULL, y, n, 0, n));
            TIME_IT(t_best, koan_q_linear_u8s8(koan_q_best_isa(), m, n, k, a, k, 3, 0.02f, p, cs,
                                               ws, NULL, y, n, 0, n));
            // C[m, n] = A[m, k] * B[n, k]^T, row-major; zero offsets.
            TIME_IT(t_gemm, CHECK(dnnl_gemm_u8s8s32('N', 'T', 'F', m, n, k, 1.0f, a, k, 0, w, k,
                                                    0, 0.0f, c32, n, (const int32_t[]){0})));
            t_mm = matmul_time(eng, s, m, n, k, a, w, ws, y);
            printf("%5d %5d %5d | %10.1f %10.1f | %14.1f %14.1f |\n", m, k, n,
                   t_avx2 > 0 ? ops / t_avx2 * 1e-9 : 0.0, ops / t_best * 1e-9,
                   ops / t_gemm * 1e-9, ops / t_mm * 1e-9);
            free(a); free(w); free(p); free(cs); free(c32); free(ws); free(y);
        }
    dnnl_stream_destroy(s);
    dnnl_engine_destroy(eng);
    return 0;
}
