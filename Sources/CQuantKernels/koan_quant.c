// CQuantKernels: run-time ISA detection, weight packing and the public entry points.
// The kernels themselves are in kq_portable.c, kq_avx2.c and kq_avx512.c.
//
// Packed weight layout (koan_q_pack_s8), shared by every path:
//   The weight w [n, k] is cut into blocks of 16 output channels (b = j / 16) and, inside a
//   block, into k-quads of 4 consecutive inputs (t = kk / 4); KQ = ceil(k / 4). A (block,
//   quad) pair is one 64-byte record, channel-major inside:
//       packed[((b * KQ + t) * 16 + c) * 4 + r] = w[16 b + c][4 t + r]
//   padded with zeros for channels >= n and inputs >= k. So a 16-channel block is KQ * 64
//   contiguous bytes, and the record for quad t is exactly one vpdpbusd operand (16 int32
//   lanes, lane c = channel c, 4 bytes each) or two ymm halves (channels 0-7 = bytes 0-31,
//   channels 8-15 = bytes 32-63). Since the padding is zero, activation bytes beyond k (the
//   caller's row padding up to a multiple of 4) never contribute.
#include <stdlib.h>
#include <string.h>
#include "kq_internal.h"

#if KQ_X86
#include <cpuid.h>
#endif

KQ_NO_CONTRACT

// ---------------------------------------------------------------------------------------
// ISA detection. One cached int: bit 30 = computed, bits 0-2 = supported paths (bit isa),
// bits 8-9 = the chosen path (best or KOAN_QUANT_ISA). Computing it twice gives the same
// value, so racing threads are harmless; atomics keep the access well defined.
// ---------------------------------------------------------------------------------------
static int kq_cached_isa_info = 0;

#if KQ_X86
static uint64_t kq_xgetbv0(void) {
    uint32_t lo, hi;
    // XGETBV with ECX = 0 (XCR0); encoded as bytes for old assemblers.
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int kq_detect_mask(void) {
    int mask = 1 << KOAN_Q_PORTABLE;
    unsigned a, b, c, d;
    unsigned max_leaf = __get_cpuid_max(0, NULL);
    if (max_leaf < 7) return mask;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return mask;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, avx = (c >> 28) & 1;
    if (!osxsave || !avx) return mask;
    uint64_t xcr0 = kq_xgetbv0();
    int os_avx = (xcr0 & 0x6) == 0x6;        // XMM and YMM state
    int os_avx512 = (xcr0 & 0xE6) == 0xE6;   // plus opmask, ZMM_Hi256, Hi16_ZMM
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return mask;
    int avx2 = (b >> 5) & 1;
    int avx512f = (b >> 16) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    int vnni = (c >> 11) & 1;
    if (os_avx && avx2 && fma) {
        mask |= 1 << KOAN_Q_AVX2;
        if (os_avx512 && avx512f && avx512bw && avx512vl && vnni)
            mask |= 1 << KOAN_Q_AVX512VNNI;
    }
    return mask;
}
#else
static int kq_detect_mask(void) { return 1 << KOAN_Q_PORTABLE; }
#endif

static int kq_isa_info(void) {
    int info = __atomic_load_n(&kq_cached_isa_info, __ATOMIC_RELAXED);
    if (info & (1 << 30)) return info;
    int mask = kq_detect_mask();
    int best = (mask & (1 << KOAN_Q_AVX512VNNI)) ? KOAN_Q_AVX512VNNI
             : (mask & (1 << KOAN_Q_AVX2))       ? KOAN_Q_AVX2
                                                 : KOAN_Q_PORTABLE;
    const char *env = getenv("KOAN_QUANT_ISA");
    if (env) {
        int want = -1;
        if (strcmp(env, "portable") == 0) want = KOAN_Q_PORTABLE;
        else if (strcmp(env, "avx2") == 0) want = KOAN_Q_AVX2;
        else if (strcmp(env, "avx512vnni") == 0) want = KOAN_Q_AVX512VNNI;
        if (want >= 0 && (mask & (1 << want))) best = want;
    }
    info = (1 << 30) | (best << 8) | mask;
    __atomic_store_n(&kq_cached_isa_info, info, __ATOMIC_RELAXED);
    return info;
}

int koan_q_isa_supported(int isa) {
    if (isa < KOAN_Q_PORTABLE || isa > KOAN_Q_AVX512VNNI) return 0;
    return (kq_isa_info() >> isa) & 1;
}

int koan_q_best_isa(void) { return (kq_isa_info() >> 8) & 3; }

const char *koan_q_isa_name(int isa) {
    switch (isa) {
    case KOAN_Q_PORTABLE: return "portable";
    case KOAN_Q_AVX2: return "avx2";
    case KOAN_Q_AVX512VNNI: return "avx512vnni";
    default: return "unknown";
    }
}

// A requested path this CPU cannot run is lowered to the next one it can (never SIGILL).
static int kq_usable(int isa) {
    int mask = kq_isa_info() & 7;
    if (isa > KOAN_Q_AVX512VNNI) isa = KOAN_Q_AVX512VNNI;
    while (isa > KOAN_Q_PORTABLE && !(mask & (1 << isa))) isa--;
    return isa < KOAN_Q_PORTABLE ? KOAN_Q_PORTABLE : isa;
}

// ---------------------------------------------------------------------------------------
// Packing
// ---------------------------------------------------------------------------------------
size_t koan_q_packed_size(int n, int k) {
    if (n <= 0 || k <= 0) return 0;
    return (size_t)((n + 15) / 16) * 16 * (size_t)kq_kquads(k) * 4;
}

void koan_q_pack_s8(const int8_t *w, int n, int k, int8_t *packed) {
    if (n <= 0 || k <= 0) return;
    const int kq = kq_kquads(k), nb = (n + 15) / 16;
    for (int b = 0; b < nb; b++) {
        for (int t = 0; t < kq; t++) {
            int8_t *rec = packed + ((size_t)b * kq + t) * 64;
            for (int c = 0; c < 16; c++) {
                const int j = 16 * b + c;
                for (int r = 0; r < 4; r++) {
                    const int kk = 4 * t + r;
                    rec[c * 4 + r] = (j < n && kk < k) ? w[(size_t)j * k + kk] : 0;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------
int koan_q_range(const float *x, size_t count, float *lo, float *hi) {
    if (count == 0) return 1;
#if KQ_X86
    if (kq_usable(koan_q_best_isa()) >= KOAN_Q_AVX2) return kq_range_avx2(x, count, lo, hi);
#endif
    return kq_range_portable(x, count, lo, hi);
}

void koan_q_quantize_u8(const float *x, size_t count, float inv_scale, int32_t zero_point,
                        int32_t qmax, uint8_t *out) {
    if (count == 0) return;
    if (zero_point > KQ_ZP_LIMIT) zero_point = KQ_ZP_LIMIT;
    if (zero_point < -KQ_ZP_LIMIT) zero_point = -KQ_ZP_LIMIT;
    if (qmax > 255) qmax = 255;
    if (qmax < 0) qmax = 0;
    switch (kq_usable(koan_q_best_isa())) {
#if KQ_X86
    case KOAN_Q_AVX512VNNI: kq_quantize_avx512(x, count, inv_scale, zero_point, qmax, out); return;
    case KOAN_Q_AVX2: kq_quantize_avx2(x, count, inv_scale, zero_point, qmax, out); return;
#endif
    default: kq_quantize_portable(x, count, inv_scale, zero_point, qmax, out); return;
    }
}

// Clips the column range [n0, n1) to [0, n); 0 when there is nothing to compute.
static int kq_clip_columns(int m, int n, int k, int *n0, int *n1) {
    if (*n1 > n) *n1 = n;
    if (*n0 < 0) *n0 = 0;
    return m > 0 && *n0 < *n1 && k >= 0;
}

void koan_q_linear_u8s8(int isa, int m, int n, int k,
                        const uint8_t *a, int lda, int32_t a_zero_point, float a_scale,
                        const int8_t *packed, const int32_t *col_sums, const float *w_scales,
                        const float *bias, float *y, int ldy, int n0, int n1) {
    if (!kq_clip_columns(m, n, k, &n0, &n1)) return;
    switch (kq_usable(isa)) {
#if KQ_X86
    case KOAN_Q_AVX512VNNI:
        kq_linear_u8s8_avx512(m, n, k, a, lda, a_zero_point, a_scale, packed, col_sums,
                              w_scales, bias, y, ldy, n0, n1);
        return;
    case KOAN_Q_AVX2:
        kq_linear_u8s8_avx2(m, n, k, a, lda, a_zero_point, a_scale, packed, col_sums,
                            w_scales, bias, y, ldy, n0, n1);
        return;
#endif
    default:
        kq_linear_u8s8_portable(m, n, k, a, lda, a_zero_point, a_scale, packed, col_sums,
                                w_scales, bias, y, ldy, n0, n1);
        return;
    }
}

void koan_q_linear_w8(int isa, int m, int n, int k, const float *x, int ldx,
                      const int8_t *w, const float *scales, const float *bias,
                      float *y, int ldy, int n0, int n1) {
    if (!kq_clip_columns(m, n, k, &n0, &n1)) return;
    switch (kq_usable(isa)) {
#if KQ_X86
    case KOAN_Q_AVX512VNNI:
        kq_linear_w8_avx512(m, n, k, x, ldx, w, scales, bias, y, ldy, n0, n1);
        return;
    case KOAN_Q_AVX2:
        kq_linear_w8_avx2(m, n, k, x, ldx, w, scales, bias, y, ldy, n0, n1);
        return;
#endif
    default:
        kq_linear_w8_portable(m, n, k, x, ldx, w, scales, bias, y, ldy, n0, n1);
        return;
    }
}

void koan_q_linear_w4(int isa, int m, int n, int k, int group, const float *x, int ldx,
                      const uint8_t *w, const float *scales, const float *bias,
                      float *y, int ldy, int n0, int n1) {
    if (!kq_clip_columns(m, n, k, &n0, &n1)) return;
    // The vector kernels need whole 32-input groups; anything else goes to the portable
    // kernel, which handles any group > 0 (see kq_linear_w4_portable).
    int vec_ok = group > 0 && group % 32 == 0 && k % group == 0;
    switch (vec_ok ? kq_usable(isa) : KOAN_Q_PORTABLE) {
#if KQ_X86
    case KOAN_Q_AVX512VNNI:
        kq_linear_w4_avx512(m, n, k, group, x, ldx, w, scales, bias, y, ldy, n0, n1);
        return;
    case KOAN_Q_AVX2:
        kq_linear_w4_avx2(m, n, k, group, x, ldx, w, scales, bias, y, ldy, n0, n1);
        return;
#endif
    default:
        kq_linear_w4_portable(m, n, k, group, x, ldx, w, scales, bias, y, ldy, n0, n1);
        return;
    }
}
