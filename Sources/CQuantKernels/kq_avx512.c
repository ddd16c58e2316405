// AVX-512 (F, BW, VL) + VNNI kernels. Compiled without -mavx512*: every function carries a
// target attribute and is only called after CPUID/XGETBV said these are usable.
#include "kq_internal.h"

#if KQ_X86
#include <immintrin.h>
#include <string.h>

KQ_NO_CONTRACT

#define KQ_T5 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma")))
#define KQ_AI static inline __attribute__((always_inline))

// Bits [lo, hi) of a 16-bit lane mask (0 <= lo, hi <= 16).
static inline __mmask16 kq_lane_range(int lo, int hi) {
    if (lo < 0) lo = 0;
    if (hi > 16) hi = 16;
    if (hi <= lo) return 0;
    return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

// ---------------------------------------------------------------------------------------
// quantize: as the AVX2 version (same clamps, cvtps2dq in the MXCSR mode = half to even),
// 16 per step, masked tail, vpmovusdb to bytes (values are already in [0, qmax]).
// ---------------------------------------------------------------------------------------
KQ_T5 void kq_quantize_avx512(KQ_QUANTIZE_ARGS) {
    const __m512 inv = _mm512_set1_ps(inv_scale);
    const __m512 lo = _mm512_set1_ps(-KQ_QV_LIMIT), hi = _mm512_set1_ps(KQ_QV_LIMIT);
    const __m512i zp = _mm512_set1_epi32(zero_point), qm = _mm512_set1_epi32(qmax);
    const __m512i zero = _mm512_setzero_si512();
    for (size_t i = 0; i < count; i += 16) {
        const __mmask16 mk = count - i >= 16 ? (__mmask16)0xFFFF
                                             : kq_lane_range(0, (int)(count - i));
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, x + i), inv);
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(v), zp);
        q = _mm512_min_epi32(_mm512_max_epi32(q, zero), qm);
        _mm512_mask_cvtusepi32_storeu_epi8(out + i, mk, q);
    }
}

// ---------------------------------------------------------------------------------------
// u8 x s8 -> s32 with vpdpbusd: for a k-quad t, the activation's 4 bytes a[4t..4t+3] are
// broadcast to all 16 lanes (the unsigned operand) and the packed 64-byte record (the signed
// operand; lane c = channel c's 4 weights) is loaded as is, so one instruction adds the
// 4-term dot for 16 channels to 16 int32 accumulators. vpdpbusd does not saturate (the
// four u8*s8 products are summed in 32 bits and added with wrap-around), so this is exact
// for any u8 activations.
//
// Register tile: MR rows (<= 6) x NR blocks of 16 channels (<= 4): 24 zmm accumulators,
// 4 weight loads and 6 broadcasts per k-quad for 24 vpdpbusd.
// ---------------------------------------------------------------------------------------
#define KQ_MR 6
#define KQ_NR 4

KQ_AI KQ_T5 void kq_u8s8_tile_512(const int MR, const int NR, int kq, const uint8_t *a,
                                   size_t lda, const int8_t *bp, size_t bbytes, int j0,
                                   int jlo, int jhi, int32_t zp, float a_scale,
                                   const int32_t *col_sums, const float *w_scales,
                                   const float *bias, float *y, size_t ldy) {
    __m512i acc[KQ_MR][KQ_NR];
    for (int r = 0; r < MR; r++)
        for (int c = 0; c < NR; c++) acc[r][c] = _mm512_setzero_si512();
    const uint8_t *ar[KQ_MR];
    for (int r = 0; r < MR; r++) ar[r] = a + (size_t)r * lda;
    for (int t = 0; t < kq; t++) {
        __m512i bv[KQ_NR];
        for (int c = 0; c < NR; c++)
            bv[c] = _mm512_loadu_si512((const void *)(bp + (size_t)c * bbytes + (size_t)t * 64));
        for (int r = 0; r < MR; r++) {
            int32_t a4;
            memcpy(&a4, ar[r] + 4 * (size_t)t, 4);
            const __m512i ab = _mm512_set1_epi32(a4);
            for (int c = 0; c < NR; c++) acc[r][c] = _mm512_dpbusd_epi32(acc[r][c], ab, bv[c]);
        }
    }
    // Epilogue: y = fma((float)(acc - zp * col_sum), a_scale * w_scale, bias), one rounding
    // as fbgemm's float output does, masked to the columns [jlo, jhi).
    const __m512i zpv = _mm512_set1_epi32(zp);
    const __m512 asv = _mm512_set1_ps(a_scale);
    for (int c = 0; c < NR; c++) {
        const int jb = j0 + 16 * c;
        const __mmask16 mk = kq_lane_range(jlo - jb, jhi - jb);
        if (!mk) continue;
        const __m512i zc = _mm512_mullo_epi32(_mm512_maskz_loadu_epi32(mk, col_sums + jb), zpv);
        const __m512 s = _mm512_mul_ps(asv, _mm512_maskz_loadu_ps(mk, w_scales + jb));
        const __m512 bvv = bias ? _mm512_maskz_loadu_ps(mk, bias + jb) : _mm512_setzero_ps();
        for (int r = 0; r < MR; r++) {
            __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r][c], zc));
            v = _mm512_fmadd_ps(v, s, bvv);
            _mm512_mask_storeu_ps(y + (size_t)r * ldy + jb, mk, v);
        }
    }
}

// One instantiation per (MR, NR) so that the accumulators live in registers.
#define KQ_U8S8_FN(MR_, NR_)                                                                 \
    static KQ_T5 void kq_u8s8_512_##MR_##x##NR_(                                             \
        int kq, const uint8_t *a, size_t lda, const int8_t *bp, size_t bbytes, int j0,      \
        int jlo, int jhi, int32_t zp, float a_scale, const int32_t *cs, const float *ws,    \
        const float *bias, float *y, size_t ldy) {                                           \
        kq_u8s8_tile_512(MR_, NR_, kq, a, lda, bp, bbytes, j0, jlo, jhi, zp, a_scale, cs,   \
                         ws, bias, y, ldy);                                                  \
    }
#define KQ_U8S8_ROW(MR_) KQ_U8S8_FN(MR_, 1) KQ_U8S8_FN(MR_, 2) KQ_U8S8_FN(MR_, 3) KQ_U8S8_FN(MR_, 4)
KQ_U8S8_ROW(1) KQ_U8S8_ROW(2) KQ_U8S8_ROW(3) KQ_U8S8_ROW(4) KQ_U8S8_ROW(5) KQ_U8S8_ROW(6)

typedef void (*kq_u8s8_512_fn)(int, const uint8_t *, size_t, const int8_t *, size_t, int, int,
                               int, int32_t, float, const int32_t *, const float *,
                               const float *, float *, size_t);
#define KQ_U8S8_PTRS(MR_)                                                                    \
    { kq_u8s8_512_##MR_##x1, kq_u8s8_512_##MR_##x2, kq_u8s8_512_##MR_##x3, kq_u8s8_512_##MR_##x4 }
static const kq_u8s8_512_fn kq_u8s8_512_tiles[KQ_MR][KQ_NR] = {
    KQ_U8S8_PTRS(1), KQ_U8S8_PTRS(2), KQ_U8S8_PTRS(3),
    KQ_U8S8_PTRS(4), KQ_U8S8_PTRS(5), KQ_U8S8_PTRS(6)};

KQ_T5 void kq_linear_u8s8_avx512(KQ_LINEAR_U8S8_ARGS) {
    (void)n;
    const int kq = kq_kquads(k);
    const size_t bbytes = kq_block_bytes(k);
    const int b0 = n0 / 16, b1 = (n1 + 15) / 16;
    // Column groups of NR blocks outer (NR * KQ * 64 bytes of weights, reused from L1/L2 by
    // every row tile), row tiles of MR inner.
    for (int b = b0; b < b1; b += KQ_NR) {
        const int nr = b1 - b < KQ_NR ? b1 - b : KQ_NR;
        const int8_t *bp = packed + (size_t)b * bbytes;
        for (int i = 0; i < m; i += KQ_MR) {
            const int mr = m - i < KQ_MR ? m - i : KQ_MR;
            kq_u8s8_512_tiles[mr - 1][nr - 1](kq, a + (size_t)i * lda, (size_t)lda, bp, bbytes,
                                              16 * b, n0, n1, a_zero_point, a_scale, col_sums,
                                              w_scales, bias, y + (size_t)i * ldy, (size_t)ldy);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Weight-only int8: RM rows x RJ channels, 16 inputs per step (vpmovsxbd, vcvtdq2ps, FMA),
// the k tail by masked loads. Float sums differ from the other paths by rounding.
// ---------------------------------------------------------------------------------------
// One 16-input step; MASKED (a constant) selects the masked k-tail form.
KQ_AI KQ_T5 void kq_w8_step_512(const int RM, const int RJ, const int MASKED, __m512 acc[4][8],
                                 const float *x, size_t ldx, const int8_t *w, int k, int kk,
                                 __mmask16 mk) {
    __m512 xv[4];
    for (int r = 0; r < RM; r++)
        xv[r] = MASKED ? _mm512_maskz_loadu_ps(mk, x + (size_t)r * ldx + kk)
                       : _mm512_loadu_ps(x + (size_t)r * ldx + kk);
    for (int c = 0; c < RJ; c++) {
        const int8_t *p = w + (size_t)c * k + kk;
        const __m128i wb = MASKED ? _mm_maskz_loadu_epi8(mk, p)
                                  : _mm_loadu_si128((const __m128i *)p);
        const __m512 wf = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(wb));
        for (int r = 0; r < RM; r++) acc[r][c] = _mm512_fmadd_ps(xv[r], wf, acc[r][c]);
    }
}

KQ_AI KQ_T5 void kq_w8_tile_512(const int RM, const int RJ, int k, const float *x, size_t ldx,
                                 const int8_t *w, const float *scales, const float *bias,
                                 float *y, size_t ldy, int j0) {
    __m512 acc[4][8];
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) acc[r][c] = _mm512_setzero_ps();
    int kk = 0;
    for (; kk + 16 <= k; kk += 16) kq_w8_step_512(RM, RJ, 0, acc, x, ldx, w, k, kk, 0);
    if (kk < k) kq_w8_step_512(RM, RJ, 1, acc, x, ldx, w, k, kk, kq_lane_range(0, k - kk));
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) {
            const int j = j0 + c;
            y[(size_t)r * ldy + j] =
                _mm512_reduce_add_ps(acc[r][c]) * scales[j] + (bias ? bias[j] : 0.0f);
        }
}

// One tile of rm x rj, with the accumulators in registers for each (rm, rj) pair.
KQ_AI KQ_T5 void kq_w8_dispatch_avx512(int rm, int rj, int k,
        const float *xi, size_t ldx, const int8_t *wj, const float *scales,
        const float *bias, float *yi, size_t ldy, int j) {
#define KQ_W8(RM_, RJ_) \
    kq_w8_tile_512(RM_, RJ_, k, xi, (size_t)ldx, wj, scales, bias, yi, (size_t)ldy, j)
    switch (rm * 16 + rj) {
    case 0x18: KQ_W8(1, 8); break;
    case 0x17: KQ_W8(1, 7); break;
    case 0x16: KQ_W8(1, 6); break;
    case 0x15: KQ_W8(1, 5); break;
    case 0x14: KQ_W8(1, 4); break;
    case 0x13: KQ_W8(1, 3); break;
    case 0x12: KQ_W8(1, 2); break;
    case 0x11: KQ_W8(1, 1); break;
    case 0x24: KQ_W8(2, 4); break;
    case 0x23: KQ_W8(2, 3); break;
    case 0x22: KQ_W8(2, 2); break;
    case 0x21: KQ_W8(2, 1); break;
    case 0x34: KQ_W8(3, 4); break;
    case 0x33: KQ_W8(3, 3); break;
    case 0x32: KQ_W8(3, 2); break;
    case 0x31: KQ_W8(3, 1); break;
    case 0x44: KQ_W8(4, 4); break;
    case 0x43: KQ_W8(4, 3); break;
    case 0x42: KQ_W8(4, 2); break;
    default: KQ_W8(4, 1); break;
    }
#undef KQ_W8
}

#define KQ_RJ_W8_512(rm) (rm == 1 ? 8 : 4)   // channels per tile for rm rows
KQ_T5 void kq_linear_w8_avx512(KQ_LINEAR_W8_ARGS) {
    (void)n;
    KQ_WEIGHT_ONLY_LOOP((size_t)k, 8, KQ_RJ_W8_512,
                        kq_w8_dispatch_avx512(rm, rj, k, xi, (size_t)ldx,
                            w + (size_t)j * k, scales, bias, yi, (size_t)ldy, j));
}

// ---------------------------------------------------------------------------------------
// Weight-only int4, 16 bytes = 32 inputs per step. vpmovzxbd puts byte t of the step in lane
// t; the low nibble (input 2t) and the high nibble (input 2t+1, after a shift by 4) are
// turned into floats q - 8 by one vpermps each, used as a 16-entry table lookup (vpermps
// reads only the low 4 index bits). The inputs are matched to that order instead of the
// nibbles: two vpermt2ps gather x[2t] and x[2t+1] into lanes t, once per row and step for
// all RJ channels. Per group: the float partial dot sum x * (q - 8), times the group scale,
// added lane-wise to the total; the lanes are summed at the end.
// ---------------------------------------------------------------------------------------
KQ_AI KQ_T5 void kq_w4_tile_512(const int RM, const int RJ, int k, int group, const float *x,
                                 size_t ldx, const uint8_t *w, const float *scales,
                                 const float *bias, float *y, size_t ldy, int j0) {
    const size_t rowb = (size_t)k / 2;
    const int ngroups = k / group;
    const __m512 table = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512 tot[4][8];
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) tot[r][c] = _mm512_setzero_ps();
    for (int g = 0; g < ngroups; g++) {
        __m512 part[4][8];
        for (int r = 0; r < RM; r++)
            for (int c = 0; c < RJ; c++) part[r][c] = _mm512_setzero_ps();
        for (int kk = g * group; kk < (g + 1) * group; kk += 32) {
            __m512 xe[4], xo[4];
            for (int r = 0; r < RM; r++) {
                const float *xr = x + (size_t)r * ldx + kk;
                const __m512 x0 = _mm512_loadu_ps(xr), x1 = _mm512_loadu_ps(xr + 16);
                xe[r] = _mm512_permutex2var_ps(x0, even, x1);   // x[kk + 2t]
                xo[r] = _mm512_permutex2var_ps(x0, odd, x1);    // x[kk + 2t + 1]
            }
            for (int c = 0; c < RJ; c++) {
                const __m128i bytes = _mm_loadu_si128((const __m128i *)(w + c * rowb + kk / 2));
                const __m512i v = _mm512_cvtepu8_epi32(bytes);
                const __m512 fe = _mm512_permutexvar_ps(v, table);
                const __m512 fo = _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table);
                for (int r = 0; r < RM; r++) {
                    part[r][c] = _mm512_fmadd_ps(xe[r], fe, part[r][c]);
                    part[r][c] = _mm512_fmadd_ps(xo[r], fo, part[r][c]);
                }
            }
        }
        for (int c = 0; c < RJ; c++) {
            const __m512 s = _mm512_set1_ps(scales[(size_t)c * ngroups + g]);
            for (int r = 0; r < RM; r++) tot[r][c] = _mm512_fmadd_ps(part[r][c], s, tot[r][c]);
        }
    }
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) {
            const int j = j0 + c;
            y[(size_t)r * ldy + j] = _mm512_reduce_add_ps(tot[r][c]) + (bias ? bias[j] : 0.0f);
        }
}

// One tile of rm x rj, with the accumulators in registers for each (rm, rj) pair.
KQ_AI KQ_T5 void kq_w4_dispatch_avx512(int rm, int rj, int k, int group,
        const float *xi, size_t ldx, const uint8_t *wj, const float *sj,
        const float *bias, float *yi, size_t ldy, int j) {
#define KQ_W4(RM_, RJ_) \
    kq_w4_tile_512(RM_, RJ_, k, group, xi, (size_t)ldx, wj, sj, bias, yi, (size_t)ldy, j)
    switch (rm * 16 + rj) {
    case 0x18: KQ_W4(1, 8); break;
    case 0x17: KQ_W4(1, 7); break;
    case 0x16: KQ_W4(1, 6); break;
    case 0x15: KQ_W4(1, 5); break;
    case 0x14: KQ_W4(1, 4); break;
    case 0x13: KQ_W4(1, 3); break;
    case 0x12: KQ_W4(1, 2); break;
    case 0x11: KQ_W4(1, 1); break;
    case 0x24: KQ_W4(2, 4); break;
    case 0x23: KQ_W4(2, 3); break;
    case 0x22: KQ_W4(2, 2); break;
    case 0x21: KQ_W4(2, 1); break;
    case 0x32: KQ_W4(3, 2); break;
    case 0x31: KQ_W4(3, 1); break;
    case 0x42: KQ_W4(4, 2); break;
    default: KQ_W4(4, 1); break;
    }
#undef KQ_W4
}

#define KQ_RJ_W4_512(rm) (rm == 1 ? 8 : rm == 2 ? 4 : 2)   // channels per tile for rm rows
KQ_T5 void kq_linear_w4_avx512(KQ_LINEAR_W4_ARGS) {
    (void)n;
    KQ_WEIGHT_ONLY_LOOP((size_t)k / 2, 8, KQ_RJ_W4_512,
                        kq_w4_dispatch_avx512(rm, rj, k, group, xi, (size_t)ldx,
                            w + (size_t)j * (k / 2), scales + (size_t)j * (k / group),
                            bias, yi, (size_t)ldy, j));
}

#else
typedef int kq_avx512_unused;   // non-x86: this file is empty
#endif
