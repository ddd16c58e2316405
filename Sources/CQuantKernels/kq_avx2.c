// AVX2 + FMA kernels. Compiled without -mavx2: every function carries a target attribute
// and is only called after CPUID/XGETBV said AVX2 and FMA are usable (koan_quant.c).
#include "kq_internal.h"

#if KQ_X86
#include <immintrin.h>
#include <string.h>

KQ_NO_CONTRACT

#define KQ_T2 __attribute__((target("avx2,fma")))
#define KQ_AI static inline __attribute__((always_inline))

KQ_AI KQ_T2 float kq_hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---------------------------------------------------------------------------------------
// quantize: 8 floats per step. _mm256_cvtps_epi32 rounds in the current MXCSR mode (round
// half to even by default), the same mode nearbyintf uses, so this matches the portable
// path bit for bit; the clamps are the shared ones (KQ_QV_LIMIT; vmaxps returns its second
// operand for NaN, so NaN becomes -limit as in the scalar code).
// ---------------------------------------------------------------------------------------
KQ_T2 void kq_quantize_avx2(KQ_QUANTIZE_ARGS) {
    const __m256 inv = _mm256_set1_ps(inv_scale);
    const __m256 lo = _mm256_set1_ps(-KQ_QV_LIMIT), hi = _mm256_set1_ps(KQ_QV_LIMIT);
    const __m256i zp = _mm256_set1_epi32(zero_point), qm = _mm256_set1_epi32(qmax);
    const __m256i zero = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_loadu_ps(x + i), inv);
        v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
        __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
        q = _mm256_min_epi32(_mm256_max_epi32(q, zero), qm);
        __m128i q16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        _mm_storel_epi64((__m128i *)(out + i), _mm_packus_epi16(q16, q16));
    }
    if (i < count) kq_quantize_portable(x + i, count - i, inv_scale, zero_point, qmax, out + i);
}

// Min, max and finiteness, 32 floats per step in four independent chains (memory-bound).
KQ_T2 int kq_range_avx2(const float *x, size_t count, float *lo, float *hi) {
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 big = _mm256_set1_ps(3.40282347e38f);
    __m256 mn[4], mx[4], bad = _mm256_setzero_ps();
    for (int c = 0; c < 4; c++) { mn[c] = _mm256_set1_ps(x[0]); mx[c] = mn[c]; }
    size_t i = 0;
    for (; i + 32 <= count; i += 32)
        for (int c = 0; c < 4; c++) {
            const __m256 v = _mm256_loadu_ps(x + i + 8 * c);
            mn[c] = _mm256_min_ps(mn[c], v);
            mx[c] = _mm256_max_ps(mx[c], v);
            // NaN or |v| > FLT_MAX (infinite): "not less or equal", unordered true.
            bad = _mm256_or_ps(bad, _mm256_cmp_ps(_mm256_and_ps(v, absmask), big, _CMP_NLE_UQ));
        }
    __m256 a = _mm256_min_ps(_mm256_min_ps(mn[0], mn[1]), _mm256_min_ps(mn[2], mn[3]));
    __m256 b = _mm256_max_ps(_mm256_max_ps(mx[0], mx[1]), _mm256_max_ps(mx[2], mx[3]));
    float av[8], bv[8];
    _mm256_storeu_ps(av, a);
    _mm256_storeu_ps(bv, b);
    float tlo, thi;
    int finite = _mm256_movemask_ps(bad) == 0;
    if (i < count) {
        finite &= kq_range_portable(x + i, count - i, &tlo, &thi);
    } else {
        tlo = av[0];
        thi = bv[0];
    }
    for (int c = 0; c < 8; c++) {
        tlo = av[c] < tlo ? av[c] : tlo;
        thi = bv[c] > thi ? bv[c] : thi;
    }
    *lo = tlo;
    *hi = thi;
    return finite;
}

// ---------------------------------------------------------------------------------------
// u8 x s8 -> s32. One 16-channel block is two ymm halves (channels 0-7 = bytes 0-31 of a
// packed record, channels 8-15 = bytes 32-63). Per k-quad t and row:
//   vpmaddubsw(a4 broadcast, b): int16 lane = a[4t+2p]*b[..2p] + a[4t+2p+1]*b[..2p+1],
//                                 SATURATED to int16;
//   vpmaddwd(that, 1):            int32 lane = sum of the two int16 = the 4-term dot;
//   vpaddd into the accumulator.
// Saturation argument: the pair sum is at most 2 * amax * 128 in magnitude. With u8
// activations <= 127 (reduce_range, qmax = 127) that is 2*127*128 = 32512 <= 32767, so
// vpmaddubsw never saturates and the result is exact. Activations up to 255 could saturate
// (2*255*128 = 65280), so when any activation byte has its top bit set (checked once per
// call) the "wide" tile splits each byte as a = 128*h + l (h = a >> 7, l = a & 127): two
// vpmaddubsw that cannot saturate, combined as madd(l) + (madd(h) << 7). Exact for any u8,
// at about half the speed; fbgemm saturates here instead.
// ---------------------------------------------------------------------------------------

// Stores the dequantised half-block (8 columns starting at jh) of MR rows; lanes outside
// [jlo, jhi) are neither read nor written.
KQ_AI KQ_T2 void kq_u8s8_store_half(const int MR, const __m256i *acc /* [MR][2] */, int h,
                                     int jh, int jlo, int jhi, int32_t zp, float a_scale,
                                     const int32_t *col_sums, const float *w_scales,
                                     const float *bias, float *y, size_t ldy) {
    if (jh >= jhi || jh + 8 <= jlo) return;
    const int full = jh >= jlo && jh + 8 <= jhi;
    __m256i mask = _mm256_set1_epi32(-1);
    __m256i cs;
    __m256 ws, bv;
    if (full) {
        cs = _mm256_loadu_si256((const __m256i *)(col_sums + jh));
        ws = _mm256_loadu_ps(w_scales + jh);
        bv = bias ? _mm256_loadu_ps(bias + jh) : _mm256_setzero_ps();
    } else {
        const __m256i idx = _mm256_add_epi32(_mm256_set1_epi32(jh),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        mask = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32(jlo), idx),
                                   _mm256_cmpgt_epi32(_mm256_set1_epi32(jhi), idx));
        cs = _mm256_maskload_epi32(col_sums + jh, mask);
        ws = _mm256_maskload_ps(w_scales + jh, mask);
        bv = bias ? _mm256_maskload_ps(bias + jh, mask) : _mm256_setzero_ps();
    }
    const __m256i zc = _mm256_mullo_epi32(cs, _mm256_set1_epi32(zp));
    const __m256 s = _mm256_mul_ps(_mm256_set1_ps(a_scale), ws);
    for (int r = 0; r < MR; r++) {
        __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[2 * r + h], zc));
        v = _mm256_fmadd_ps(v, s, bv);
        float *dst = y + (size_t)r * ldy + jh;
        if (full) _mm256_storeu_ps(dst, v);
        else _mm256_maskstore_ps(dst, mask, v);
    }
}

// MR rows (1..4) x one 16-channel block, all k; `wide` (a constant at each call) for
// activations that may exceed 127.
KQ_AI KQ_T2 void kq_u8s8_tile_avx2(const int MR, const int wide, int kq, const uint8_t *a,
                                    size_t lda,
                                    const int8_t *bp, int j0, int jlo, int jhi, int32_t zp,
                                    float a_scale, const int32_t *col_sums,
                                    const float *w_scales, const float *bias, float *y,
                                    size_t ldy) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc[8];
    for (int r = 0; r < 2 * MR; r++) acc[r] = _mm256_setzero_si256();
    for (int t = 0; t < kq; t++) {
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)(bp + (size_t)t * 64));
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(bp + (size_t)t * 64 + 32));
        for (int r = 0; r < MR; r++) {
            int32_t a4;
            memcpy(&a4, a + (size_t)r * lda + 4 * (size_t)t, 4);
            const __m256i ab = _mm256_set1_epi32(a4);
            if (wide) {
                const __m256i lo = _mm256_and_si256(ab, _mm256_set1_epi8(0x7F));
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(ab, 7), _mm256_set1_epi8(1));
                const __m256i l0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, b0), ones);
                const __m256i h0 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b0), ones);
                const __m256i l1 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, b1), ones);
                const __m256i h1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, b1), ones);
                acc[2 * r] = _mm256_add_epi32(acc[2 * r],
                                              _mm256_add_epi32(l0, _mm256_slli_epi32(h0, 7)));
                acc[2 * r + 1] = _mm256_add_epi32(acc[2 * r + 1],
                                                  _mm256_add_epi32(l1, _mm256_slli_epi32(h1, 7)));
            } else {
                acc[2 * r] = _mm256_add_epi32(
                    acc[2 * r], _mm256_madd_epi16(_mm256_maddubs_epi16(ab, b0), ones));
                acc[2 * r + 1] = _mm256_add_epi32(
                    acc[2 * r + 1], _mm256_madd_epi16(_mm256_maddubs_epi16(ab, b1), ones));
            }
        }
    }
    kq_u8s8_store_half(MR, acc, 0, j0, jlo, jhi, zp, a_scale, col_sums, w_scales, bias, y, ldy);
    kq_u8s8_store_half(MR, acc, 1, j0 + 8, jlo, jhi, zp, a_scale, col_sums, w_scales, bias, y,
                       ldy);
}

// Whether any of the first k bytes of the m rows has its top bit set (an activation > 127).
static KQ_T2 int kq_any_high_byte(const uint8_t *a, int m, int k, int lda) {
    for (int i = 0; i < m; i++) {
        const uint8_t *r = a + (size_t)i * lda;
        int c = 0;
        for (; c + 32 <= k; c += 32)
            if (_mm256_movemask_epi8(_mm256_loadu_si256((const __m256i *)(r + c)))) return 1;
        for (; c < k; c++)
            if (r[c] & 0x80) return 1;
    }
    return 0;
}

KQ_T2 void kq_linear_u8s8_avx2(KQ_LINEAR_U8S8_ARGS) {
    (void)n;
    const int kq = kq_kquads(k);
    const size_t bbytes = kq_block_bytes(k);
    const int wide = kq_any_high_byte(a, m, k, lda);
    // Block outer (its KQ*64 bytes stay in L1/L2), rows inner in tiles of 4.
    for (int b = n0 / 16; 16 * b < n1; b++) {
        const int8_t *bp = packed + (size_t)b * bbytes;
        const int j0 = 16 * b;
        for (int i = 0; i < m; i += 4) {
            const uint8_t *ai = a + (size_t)i * lda;
            float *yi = y + (size_t)i * ldy;
#define KQ_TILE(MR, W)                                                                       \
    kq_u8s8_tile_avx2(MR, W, kq, ai, (size_t)lda, bp, j0, n0, n1, a_zero_point, a_scale,     \
                      col_sums, w_scales, bias, yi, (size_t)ldy)
            switch ((m - i >= 4 ? 4 : m - i) + (wide ? 4 : 0)) {
            case 4: KQ_TILE(4, 0); break;
            case 3: KQ_TILE(3, 0); break;
            case 2: KQ_TILE(2, 0); break;
            case 1: KQ_TILE(1, 0); break;
            case 8: KQ_TILE(4, 1); break;
            case 7: KQ_TILE(3, 1); break;
            case 6: KQ_TILE(2, 1); break;
            default: KQ_TILE(1, 1); break;
            }
#undef KQ_TILE
        }
    }
}

// ---------------------------------------------------------------------------------------
// Weight-only int8: RM rows x RJ channels per pass, 8 inputs per step (vpmovsxbd from
// memory, vcvtdq2ps, one FMA per row). Float sums differ from the other paths by rounding.
// ---------------------------------------------------------------------------------------
KQ_AI KQ_T2 void kq_w8_tile_avx2(const int RM, const int RJ, int k, const float *x,
                                  size_t ldx, const int8_t *w, const float *scales,
                                  const float *bias, float *y, size_t ldy, int j0) {
    __m256 acc[4][8];
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) acc[r][c] = _mm256_setzero_ps();
    int kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        __m256 xv[4];
        for (int r = 0; r < RM; r++) xv[r] = _mm256_loadu_ps(x + (size_t)r * ldx + kk);
        for (int c = 0; c < RJ; c++) {
            const __m128i wb = _mm_loadl_epi64((const __m128i *)(w + (size_t)c * k + kk));
            const __m256 wf = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(wb));
            for (int r = 0; r < RM; r++) acc[r][c] = _mm256_fmadd_ps(xv[r], wf, acc[r][c]);
        }
    }
    for (int r = 0; r < RM; r++) {
        const float *xr = x + (size_t)r * ldx;
        for (int c = 0; c < RJ; c++) {
            const int8_t *wr = w + (size_t)c * k;
            float d = kq_hsum256(acc[r][c]);
            for (int t = kk; t < k; t++) d += xr[t] * (float)wr[t];
            const int j = j0 + c;
            y[(size_t)r * ldy + j] = d * scales[j] + (bias ? bias[j] : 0.0f);
        }
    }
}

// One tile of rm x rj, with the accumulators in registers for each (rm, rj) pair.
KQ_AI KQ_T2 void kq_w8_dispatch_avx2(int rm, int rj, int k,
        const float *xi, size_t ldx, const int8_t *wj, const float *scales,
        const float *bias, float *yi, size_t ldy, int j) {
#define KQ_W8(RM_, RJ_) \
    kq_w8_tile_avx2(RM_, RJ_, k, xi, (size_t)ldx, wj, scales, bias, yi, (size_t)ldy, j)
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
    case 0x32: KQ_W8(3, 2); break;
    case 0x31: KQ_W8(3, 1); break;
    case 0x42: KQ_W8(4, 2); break;
    default: KQ_W8(4, 1); break;
    }
#undef KQ_W8
}

#define KQ_RJ_W8_AVX2(rm) (rm == 1 ? 8 : rm == 2 ? 4 : 2)   // channels per tile for rm rows
KQ_T2 void kq_linear_w8_avx2(KQ_LINEAR_W8_ARGS) {
    (void)n;
    KQ_WEIGHT_ONLY_LOOP((size_t)k, 8, KQ_RJ_W8_AVX2,
                        kq_w8_dispatch_avx2(rm, rj, k, xi, (size_t)ldx,
                            w + (size_t)j * k, scales, bias, yi, (size_t)ldy, j));
}

// ---------------------------------------------------------------------------------------
// Weight-only int4. 16 bytes = 32 inputs per step: low nibbles (even inputs) and high
// nibbles (odd inputs) are split with and/shift, re-interleaved with punpck{l,h}bw into input
// order, recentred by -8 (int8 in [-8, 7]), widened 8 at a time and converted to float.
// Per group a float partial dot (two chains per row/channel) is multiplied by the group
// scale and added to the total (lane-wise; summed across lanes at the end).
// ---------------------------------------------------------------------------------------
KQ_AI KQ_T2 void kq_w4_tile_avx2(const int RM, const int RJ, int k, int group,
                                  const float *x, size_t ldx, const uint8_t *w,
                                  const float *scales, const float *bias, float *y,
                                  size_t ldy, int j0) {
    const size_t rowb = (size_t)k / 2;
    const int ngroups = k / group;
    const __m128i low4 = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
    __m256 tot[4][4];
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) tot[r][c] = _mm256_setzero_ps();
    for (int g = 0; g < ngroups; g++) {
        __m256 pa[4][4], pb[4][4];
        for (int r = 0; r < RM; r++)
            for (int c = 0; c < RJ; c++) pa[r][c] = pb[r][c] = _mm256_setzero_ps();
        for (int kk = g * group; kk < (g + 1) * group; kk += 32) {
            for (int c = 0; c < RJ; c++) {
                const __m128i v = _mm_loadu_si128((const __m128i *)(w + c * rowb + kk / 2));
                const __m128i lo = _mm_and_si128(v, low4);
                const __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low4);
                const __m128i q0 = _mm_sub_epi8(_mm_unpacklo_epi8(lo, hi), eight); // kk..+15
                const __m128i q1 = _mm_sub_epi8(_mm_unpackhi_epi8(lo, hi), eight); // +16..+31
                const __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q0));
                const __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q0, 8)));
                const __m256 f2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q1));
                const __m256 f3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q1, 8)));
                for (int r = 0; r < RM; r++) {
                    const float *xr = x + (size_t)r * ldx + kk;
                    pa[r][c] = _mm256_fmadd_ps(_mm256_loadu_ps(xr), f0, pa[r][c]);
                    pb[r][c] = _mm256_fmadd_ps(_mm256_loadu_ps(xr + 8), f1, pb[r][c]);
                    pa[r][c] = _mm256_fmadd_ps(_mm256_loadu_ps(xr + 16), f2, pa[r][c]);
                    pb[r][c] = _mm256_fmadd_ps(_mm256_loadu_ps(xr + 24), f3, pb[r][c]);
                }
            }
        }
        for (int c = 0; c < RJ; c++) {
            const __m256 s = _mm256_set1_ps(scales[(size_t)c * ngroups + g]);
            for (int r = 0; r < RM; r++)
                tot[r][c] = _mm256_fmadd_ps(_mm256_add_ps(pa[r][c], pb[r][c]), s, tot[r][c]);
        }
    }
    for (int r = 0; r < RM; r++)
        for (int c = 0; c < RJ; c++) {
            const int j = j0 + c;
            y[(size_t)r * ldy + j] = kq_hsum256(tot[r][c]) + (bias ? bias[j] : 0.0f);
        }
}

// One tile of rm x rj, with the accumulators in registers for each (rm, rj) pair.
KQ_AI KQ_T2 void kq_w4_dispatch_avx2(int rm, int rj, int k, int group,
        const float *xi, size_t ldx, const uint8_t *wj, const float *sj,
        const float *bias, float *yi, size_t ldy, int j) {
#define KQ_W4(RM_, RJ_) \
    kq_w4_tile_avx2(RM_, RJ_, k, group, xi, (size_t)ldx, wj, sj, bias, yi, (size_t)ldy, j)
    switch (rm * 16 + rj) {
    case 0x14: KQ_W4(1, 4); break;
    case 0x13: KQ_W4(1, 3); break;
    case 0x12: KQ_W4(1, 2); break;
    case 0x11: KQ_W4(1, 1); break;
    case 0x22: KQ_W4(2, 2); break;
    case 0x21: KQ_W4(2, 1); break;
    case 0x31: KQ_W4(3, 1); break;
    default: KQ_W4(4, 1); break;
    }
#undef KQ_W4
}

#define KQ_RJ_W4_AVX2(rm) (rm == 1 ? 4 : rm == 2 ? 2 : 1)   // channels per tile for rm rows
KQ_T2 void kq_linear_w4_avx2(KQ_LINEAR_W4_ARGS) {
    (void)n;
    KQ_WEIGHT_ONLY_LOOP((size_t)k / 2, 4, KQ_RJ_W4_AVX2,
                        kq_w4_dispatch_avx2(rm, rj, k, group, xi, (size_t)ldx,
                            w + (size_t)j * (k / 2), scales + (size_t)j * (k / group),
                            bias, yi, (size_t)ldy, j));
}

#else
typedef int kq_avx2_unused;   // non-x86: this file is empty
#endif
