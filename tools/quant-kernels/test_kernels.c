// Standalone tests of CQuantKernels against naive references (see README.md here).
//   clang -O2 -I Sources/CQuantKernels/include Sources/CQuantKernels/*.c \
//         tools/quant-kernels/test_kernels.c -lm -o /tmp/qtest && /tmp/qtest
// Every supported path is compared with the reference:
//   linear_u8s8  bitwise equal (exact int32 products, then the same float formula)
//   quantize_u8  exactly equal to clamp(nearbyintf(x * inv) + zp, 0, qmax) (the path chosen
//                by koan_q_best_isa, so run with KOAN_QUANT_ISA=portable/avx2 too)
//   w8, w4       within 1e-5 of a double-precision reference, relative to the sum of the
//                magnitudes of the terms (cancellation makes plain relative error meaningless)
// Columns outside [n0, n1) and row padding must be left untouched.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "koan_quant.h"

#if defined(__clang__)
#pragma clang fp contract(off)
#endif

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}
static int rnd_int(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rnd_float(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() & 0xFFFFFF) / 16777216.0f; }

static int failures = 0, quiet = 0;
#define CHECK(cond, ...)                                                                     \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            if (failures < 20 && !quiet) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
            failures++;                                                                      \
        }                                                                                    \
    } while (0)

static const uint32_t SENTINEL = 0x7FC12345u;   // a NaN bit pattern nobody writes
static void fill_sentinel(float *y, size_t count) {
    for (size_t i = 0; i < count; i++) memcpy(&y[i], &SENTINEL, 4);
}
static int is_sentinel(float v) { uint32_t b; memcpy(&b, &v, 4); return b == SENTINEL; }

static const int Ms[] = {1, 2, 3, 5, 17, 64};
static const int Ns[] = {1, 15, 16, 17, 48, 100};
static const int Ks[] = {1, 3, 4, 5, 31, 64, 100, 1024};
#define COUNT(a) (int)(sizeof(a) / sizeof((a)[0]))

// ---------------------------------------------------------------------------------------
static void test_pack(void) {
    for (int n = 1; n <= 40; n += 13)
        for (int k = 1; k <= 11; k++) {
            int8_t *w = malloc((size_t)n * k);
            for (int i = 0; i < n * k; i++) w[i] = (int8_t)rnd();
            size_t sz = koan_q_packed_size(n, k);
            int kq = (k + 3) / 4;
            CHECK(sz == (size_t)((n + 15) / 16) * 16 * kq * 4, "packed_size(%d,%d)", n, k);
            int8_t *p = malloc(sz);
            memset(p, 0x55, sz);
            koan_q_pack_s8(w, n, k, p);
            for (int b = 0; b < (n + 15) / 16; b++)
                for (int t = 0; t < kq; t++)
                    for (int c = 0; c < 16; c++)
                        for (int r = 0; r < 4; r++) {
                            int j = 16 * b + c, kk = 4 * t + r;
                            int8_t want = (j < n && kk < k) ? w[j * k + kk] : 0;
                            CHECK(p[((b * kq + t) * 16 + c) * 4 + r] == want, "pack n=%d k=%d", n, k);
                        }
            free(w);
            free(p);
        }
}

// ---------------------------------------------------------------------------------------
static int u8s8_case(int isa, int m, int n, int k, int amax, int n0, int n1, int extreme) {
    const int lda = ((k + 3) / 4) * 4 + rnd_int(0, 5) * 4;   // lda stays >= roundup(k, 4)
    const int ldy = n + rnd_int(0, 3);
    uint8_t *a = malloc((size_t)m * lda);
    int8_t *w = malloc((size_t)n * k);
    int8_t *p = malloc(koan_q_packed_size(n, k));
    int32_t *cs = malloc(sizeof(int32_t) * n);
    float *ws = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
    float *y = malloc(sizeof(float) * m * ldy), *ref = malloc(sizeof(float) * m * ldy);
    for (int i = 0; i < m; i++)
        for (int c = 0; c < lda; c++)   // bytes past k are garbage on purpose
            a[i * lda + c] = c < k ? (uint8_t)(extreme ? amax : rnd_int(0, amax)) : (uint8_t)rnd();
    for (int j = 0; j < n; j++) {
        int32_t s = 0;
        for (int c = 0; c < k; c++) {
            w[j * k + c] = extreme ? (int8_t)-128 : (int8_t)rnd();
            s += w[j * k + c];
        }
        cs[j] = s;
        ws[j] = rnd_float(1e-4f, 2e-2f);
        bias[j] = rnd_float(-1, 1);
    }
    koan_q_pack_s8(w, n, k, p);
    const int32_t zp = rnd_int(0, amax);
    const float as = rnd_float(1e-3f, 5e-2f);
    const float *bp = (rnd() & 1) ? bias : NULL;
    fill_sentinel(y, (size_t)m * ldy);
    fill_sentinel(ref, (size_t)m * ldy);
    for (int i = 0; i < m; i++)
        for (int j = n0; j < n1; j++) {
            int32_t acc = 0;
            for (int c = 0; c < k; c++) acc += (int32_t)a[i * lda + c] * w[j * k + c];
            float s = as * ws[j];
            ref[i * ldy + j] = fmaf((float)(acc - zp * cs[j]), s, bp ? bp[j] : 0.0f);
        }
    koan_q_linear_u8s8(isa, m, n, k, a, lda, zp, as, p, cs, ws, bp, y, ldy, n0, n1);
    int ok = memcmp(y, ref, sizeof(float) * m * ldy) == 0;
    if (!ok) {
        for (int i = 0; i < m * ldy; i++)
            if (memcmp(&y[i], &ref[i], 4)) {
                CHECK(0, "u8s8 %s m=%d n=%d k=%d [%d,%d) at (%d,%d): %.9g vs %.9g", koan_q_isa_name(isa),
                      m, n, k, n0, n1, i / ldy, i % ldy, y[i], ref[i]);
                break;
            }
    }
    free(a); free(w); free(p); free(cs); free(ws); free(bias); free(y); free(ref);
    return ok;
}

static void test_u8s8_range(int isa, int amax) {
    int cases = 0, passed = 0;
    for (int mi = 0; mi < COUNT(Ms); mi++)
        for (int ni = 0; ni < COUNT(Ns); ni++)
            for (int ki = 0; ki < COUNT(Ks); ki++) {
                int m = Ms[mi], n = Ns[ni], k = Ks[ki];
                cases++;
                passed += u8s8_case(isa, m, n, k, amax, 0, n, 0);
                // A subrange: n0 a multiple of 16, n1 anywhere after it.
                int nb = (n + 15) / 16;
                int n0 = 16 * rnd_int(0, nb - 1);
                int n1 = rnd_int(n0 + 1, n);
                cases++;
                passed += u8s8_case(isa, m, n, k, amax, n0, n1, 0);
            }
    // Largest-magnitude products: a = amax everywhere, w = -128 everywhere.
    for (int ki = 0; ki < COUNT(Ks); ki++) {
        cases++;
        passed += u8s8_case(isa, 7, 33, Ks[ki], amax, 0, 33, 1);
    }
    printf("  linear_u8s8 %-10s activations 0..%d: %d/%d cases bitwise equal\n",
           koan_q_isa_name(isa), amax, passed, cases);
}

// Activations 0..127 (reduce_range) and 0..255 (the full u8 range): exact on every path.
static void test_u8s8(int isa) {
    test_u8s8_range(isa, 127);
    test_u8s8_range(isa, 255);
}

// ---------------------------------------------------------------------------------------
static void test_quantize(void) {
    int cases = 0, passed = 0;
    for (int rep = 0; rep < 200; rep++) {
        size_t count = (size_t)rnd_int(1, 100);
        float inv = rnd_float(0.5f, 100.0f);
        int32_t zp = rnd_int(-10, 260), qmax = (rnd() & 1) ? 255 : 127;
        float *x = malloc(sizeof(float) * count);
        uint8_t *q = malloc(count);
        for (size_t i = 0; i < count; i++) {
            switch (rnd() % 8) {
            case 0: x[i] = ((float)rnd_int(-300, 300) + 0.5f) / inv; break;   // near halfway
            case 1: x[i] = (float)rnd_int(-300, 300) / inv; break;
            case 2: x[i] = rnd_float(-1e12f, 1e12f); break;
            case 3: x[i] = (rnd() & 1) ? INFINITY : -INFINITY; break;
            case 4: x[i] = NAN; break;
            default: x[i] = rnd_float(-3.0f, 3.0f); break;
            }
        }
        koan_q_quantize_u8(x, count, inv, zp, qmax, q);
        int ok = 1;
        for (size_t i = 0; i < count; i++) {
            float v = x[i] * inv;
            int want;
            if (isnan(v)) want = 0;   // defined by the kernels: NaN -> 0
            else {
                double r = (double)nearbyintf(v) + zp;
                want = r < 0 ? 0 : (r > qmax ? qmax : (int)r);
            }
            if (q[i] != want) {
                CHECK(0, "quantize x=%.9g inv=%.9g zp=%d qmax=%d: %d vs %d", x[i], inv, zp, qmax, q[i], want);
                ok = 0;
                break;
            }
        }
        cases++;
        passed += ok;
        free(x);
        free(q);
    }
    printf("  quantize_u8 %-10s: %d/%d cases exact\n", koan_q_isa_name(koan_q_best_isa()), passed, cases);
}

// ---------------------------------------------------------------------------------------
// Weight-only kernels. w4 uses `bits` = 4 with the header's layout.
static int wonly_case(int isa, int bits, int m, int n, int k, int group, int n0, int n1) {
    const int ldx = k + rnd_int(0, 3), ldy = n + rnd_int(0, 3);
    const size_t rowb = bits == 8 ? (size_t)k : ((size_t)k + 1) / 2;
    const int ngroups = bits == 8 ? 1 : (k + group - 1) / group;
    float *x = malloc(sizeof(float) * m * ldx);
    uint8_t *w = malloc(rowb * n);
    float *sc = malloc(sizeof(float) * n * ngroups), *bias = malloc(sizeof(float) * n);
    float *y = malloc(sizeof(float) * m * ldy);
    for (int i = 0; i < m * ldx; i++) x[i] = rnd_float(-1, 1);
    for (size_t i = 0; i < rowb * n; i++) w[i] = (uint8_t)rnd();
    for (int i = 0; i < n * ngroups; i++) sc[i] = rnd_float(1e-3f, 1e-1f);
    for (int j = 0; j < n; j++) bias[j] = rnd_float(-1, 1);
    const float *bp = (rnd() & 1) ? bias : NULL;
    fill_sentinel(y, (size_t)m * ldy);
    if (bits == 8)
        koan_q_linear_w8(isa, m, n, k, x, ldx, (const int8_t *)w, sc, bp, y, ldy, n0, n1);
    else
        koan_q_linear_w4(isa, m, n, k, group, x, ldx, w, sc, bp, y, ldy, n0, n1);
    int ok = 1;
    for (int i = 0; i < m && ok; i++)
        for (int j = 0; j < ldy && ok; j++) {
            float got = y[i * ldy + j];
            if (j < n0 || j >= n1) {
                CHECK(is_sentinel(got), "w%d wrote outside [%d,%d) at %d", bits, n0, n1, j);
                ok = is_sentinel(got);
                continue;
            }
            double ref = 0, mag = 0;
            for (int c = 0; c < k; c++) {
                double wv, s;
                if (bits == 8) {
                    wv = (int8_t)w[(size_t)j * k + c];
                    s = sc[j];
                } else {
                    uint8_t byte = w[(size_t)j * rowb + c / 2];
                    wv = (double)(((c & 1) ? byte >> 4 : byte & 15) - 8);
                    s = sc[(size_t)j * ngroups + c / group];
                }
                ref += (double)x[i * ldx + c] * wv * s;
                mag += fabs((double)x[i * ldx + c] * wv * s);
            }
            double b = bp ? bp[j] : 0.0;
            ref += b;
            mag += fabs(b);
            if (!(fabs(got - ref) <= 1e-5 * mag + 1e-30)) {
                CHECK(0, "w%d %s m=%d n=%d k=%d g=%d at (%d,%d): %.9g vs %.9g (mag %.3g)", bits,
                      koan_q_isa_name(isa), m, n, k, group, i, j, got, ref, mag);
                ok = 0;
            }
        }
    free(x); free(w); free(sc); free(bias); free(y);
    return ok;
}

static void test_w8(int isa) {
    int cases = 0, passed = 0;
    for (int mi = 0; mi < COUNT(Ms); mi++)
        for (int ni = 0; ni < COUNT(Ns); ni++)
            for (int ki = 0; ki < COUNT(Ks); ki++) {
                int m = Ms[mi], n = Ns[ni], k = Ks[ki];
                cases += 2;
                passed += wonly_case(isa, 8, m, n, k, 0, 0, n);
                int n0 = rnd_int(0, n - 1), n1 = rnd_int(n0 + 1, n);
                passed += wonly_case(isa, 8, m, n, k, 0, n0, n1);
            }
    printf("  linear_w8   %-10s: %d/%d cases within tolerance\n", koan_q_isa_name(isa), passed, cases);
}

static void test_w4(int isa) {
    static const int K4[][2] = {{32, 32}, {64, 32}, {64, 64}, {96, 32}, {1024, 32}, {1024, 128},
                                {256, 256}};
    // Outside the guarantees (group not a multiple of 32 / not dividing k / odd k): these
    // must fall back to the portable kernel's generalised layout.
    static const int KBAD[][2] = {{48, 16}, {64, 40}, {33, 32}, {5, 2}};
    int cases = 0, passed = 0, bad = 0, badpassed = 0;
    for (int mi = 0; mi < COUNT(Ms); mi++)
        for (int ni = 0; ni < COUNT(Ns); ni++) {
            int m = Ms[mi], n = Ns[ni];
            for (int ki = 0; ki < COUNT(K4); ki++) {
                cases += 2;
                passed += wonly_case(isa, 4, m, n, K4[ki][0], K4[ki][1], 0, n);
                int n0 = rnd_int(0, n - 1), n1 = rnd_int(n0 + 1, n);
                passed += wonly_case(isa, 4, m, n, K4[ki][0], K4[ki][1], n0, n1);
            }
            for (int ki = 0; ki < COUNT(KBAD); ki++) {
                bad++;
                badpassed += wonly_case(isa, 4, m, n, KBAD[ki][0], KBAD[ki][1], 0, n);
            }
        }
    printf("  linear_w4   %-10s: %d/%d cases within tolerance, fallback %d/%d\n",
           koan_q_isa_name(isa), passed, cases, badpassed, bad);
}

// koan_q_range: exact min and max, and 0 for any NaN or infinity, at every length and position.
static void test_range(void) {
    int cases = 0, passed = 0;
    static const size_t lens[] = {1, 7, 8, 31, 32, 33, 100, 1000};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const size_t n = lens[li];
        float *x = malloc(sizeof(float) * n);
        for (size_t i = 0; i < n; i++) x[i] = rnd_float(-3, 3);
        float mn = x[0], mx = x[0], lo, hi;
        for (size_t i = 0; i < n; i++) { mn = x[i] < mn ? x[i] : mn; mx = x[i] > mx ? x[i] : mx; }
        cases++;
        passed += koan_q_range(x, n, &lo, &hi) == 1 && lo == mn && hi == mx;
        const float bad[] = {NAN, INFINITY, -INFINITY};
        for (int b = 0; b < 3; b++)
            for (size_t at = 0; at < n; at += (n > 40 ? 37 : 1)) {
                const float keep = x[at];
                x[at] = bad[b];
                cases++;
                passed += koan_q_range(x, n, &lo, &hi) == 0;
                x[at] = keep;
            }
        free(x);
    }
    if (passed != cases) failures++;
    printf("  range (%s): %d/%d cases exact\n", koan_q_isa_name(koan_q_best_isa()), passed, cases);
}

int main(void) {
    test_range();
    const char *env = getenv("KOAN_QUANT_ISA");
    printf("CQuantKernels tests. supported:");
    for (int isa = 0; isa <= 2; isa++)
        if (koan_q_isa_supported(isa)) printf(" %s", koan_q_isa_name(isa));
    printf("; best_isa = %s (KOAN_QUANT_ISA=%s)\n", koan_q_isa_name(koan_q_best_isa()), env ? env : "unset");
    test_pack();
    test_quantize();
    for (int isa = 0; isa <= 2; isa++) {
        if (!koan_q_isa_supported(isa)) {
            printf("  %s: not supported here, skipped\n", koan_q_isa_name(isa));
            continue;
        }
        test_u8s8(isa);
        test_w8(isa);
        test_w4(isa);
    }
    // The worst case for vpmaddubsw (activations 255, weights -128): the AVX2 path must take
    // its wide (split-byte) tile and stay exact.
    if (koan_q_isa_supported(KOAN_Q_AVX2)) {
        int eq = u8s8_case(KOAN_Q_AVX2, 3, 16, 64, 255, 0, 16, 1) &&
                 u8s8_case(KOAN_Q_AVX2, 5, 40, 1000, 255, 0, 40, 1);
        printf("  avx2 with activations 255 and weights -128: %s\n", eq ? "exact" : "DIFFERS");
    }
    printf(failures ? "FAILED: %d failures\n" : "all passed\n", failures);
    return failures ? 1 : 0;
}
