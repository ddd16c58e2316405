// Private declarations shared by the files of CQuantKernels: one set of kernels per
// instruction-set path (kq_portable.c, kq_avx2.c, kq_avx512.c). The public entry points in
// koan_quant.c check their arguments, pick a path the CPU supports and call these.
//
// Arguments are those of the public functions (koan_quant.h) after checking: m >= 1,
// 0 <= n0 < n1 <= n. For the u8s8 kernels n0 need not be a multiple of 16 here (a block that
// is cut by n0 or n1 is computed whole and stored in part).
//
// Floating point: every file is compiled with FP contraction off (see KQ_NO_CONTRACT), so the
// compiler never fuses on its own; where a fused multiply-add is meant it is written out
// (fmaf, _mm*_fmadd_ps). The u8s8 epilogue is fma((float)(acc - zp*colsum), a_scale*w_scale,
// bias) on every path: bitwise identical across paths and to PyTorch's fbgemm.
#ifndef KQ_INTERNAL_H
#define KQ_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "include/koan_quant.h"

#if defined(__clang__)
#define KQ_NO_CONTRACT _Pragma("clang fp contract(off)")
#else
#define KQ_NO_CONTRACT _Pragma("STDC FP_CONTRACT OFF")
#endif

#if defined(__x86_64__) || defined(__i386__)
#define KQ_X86 1
#else
#define KQ_X86 0
#endif

// Quantisation clamps, shared by every path so that they agree for any input:
// x * inv_scale is clamped to [-2^30, 2^30] before rounding (this also maps NaN to -2^30,
// hence q = 0) and the zero point to [-2^29, 2^29], so the int32 sum cannot overflow. The
// result equals clamp(nearbyint(x * inv_scale) + zero_point, 0, qmax) exactly whenever
// |zero_point| <= 2^29; qmax is clamped to [0, 255] (the output is a byte).
#define KQ_QV_LIMIT 1073741824.0f
#define KQ_ZP_LIMIT 536870912

#define KQ_LINEAR_U8S8_ARGS                                                                  \
    int m, int n, int k, const uint8_t *a, int lda, int32_t a_zero_point, float a_scale,    \
        const int8_t *packed, const int32_t *col_sums, const float *w_scales,               \
        const float *bias, float *y, int ldy, int n0, int n1
#define KQ_LINEAR_W8_ARGS                                                                    \
    int m, int n, int k, const float *x, int ldx, const int8_t *w, const float *scales,     \
        const float *bias, float *y, int ldy, int n0, int n1
// For w4 the caller has checked: group % 32 == 0, k % group == 0 (so k is a multiple of 32).
#define KQ_LINEAR_W4_ARGS                                                                    \
    int m, int n, int k, int group, const float *x, int ldx, const uint8_t *w,              \
        const float *scales, const float *bias, float *y, int ldy, int n0, int n1
// zero_point and qmax already clamped (KQ_ZP_LIMIT, [0, 255]).
#define KQ_QUANTIZE_ARGS                                                                     \
    const float *x, size_t count, float inv_scale, int32_t zero_point, int32_t qmax,        \
        uint8_t *out

int kq_range_portable(const float *x, size_t count, float *lo, float *hi);
void kq_quantize_portable(KQ_QUANTIZE_ARGS);
void kq_linear_u8s8_portable(KQ_LINEAR_U8S8_ARGS);
void kq_linear_w8_portable(KQ_LINEAR_W8_ARGS);
// The portable w4 kernel also accepts any group > 0 (see koan_quant.c for the fallback).
void kq_linear_w4_portable(KQ_LINEAR_W4_ARGS);

#if KQ_X86
int kq_range_avx2(const float *x, size_t count, float *lo, float *hi);
void kq_quantize_avx2(KQ_QUANTIZE_ARGS);
void kq_linear_u8s8_avx2(KQ_LINEAR_U8S8_ARGS);
void kq_linear_w8_avx2(KQ_LINEAR_W8_ARGS);
void kq_linear_w4_avx2(KQ_LINEAR_W4_ARGS);

void kq_quantize_avx512(KQ_QUANTIZE_ARGS);
void kq_linear_u8s8_avx512(KQ_LINEAR_U8S8_ARGS);
void kq_linear_w8_avx512(KQ_LINEAR_W8_ARGS);
void kq_linear_w4_avx512(KQ_LINEAR_W4_ARGS);
#endif

// Number of 16-channel blocks / k-quads, and the bytes of one packed 16-channel block.
static inline int kq_kquads(int k) { return (k + 3) / 4; }
static inline size_t kq_block_bytes(int k) { return (size_t)kq_kquads(k) * 64; }

// Channel-block size for the weight-only kernels when m > 1: a slab of about this many
// weight bytes is reused (from L2) by every group of rows before moving on.
#define KQ_WSLAB_BYTES (128 * 1024)

// The loop every vector weight-only kernel shares: channel slabs of about KQ_WSLAB_BYTES
// (ROW_BYTES per channel, a multiple of ALIGN channels) read from memory once and reused
// from L2 by every group of 4 rows; within a slab, tiles of rm rows (<= 4) x rj channels
// (<= RJ_OF(rm)). TILE is a statement that may use rm, rj, xi, yi and j (the first channel);
// the enclosing function has the KQ_LINEAR_W8_ARGS/W4_ARGS names m, x, ldx, y, ldy, n0, n1.
#define KQ_WEIGHT_ONLY_LOOP(ROW_BYTES, ALIGN, RJ_OF, TILE)                                  \
    do {                                                                                     \
        const size_t rowb_ = (ROW_BYTES);                                                    \
        int slab_ = rowb_ > 0 ? (int)(KQ_WSLAB_BYTES / rowb_) : n1 - n0;                     \
        slab_ = slab_ < (ALIGN) ? (ALIGN) : (slab_ / (ALIGN)) * (ALIGN);                     \
        for (int js_ = n0; js_ < n1; js_ += slab_) {                                         \
            const int je_ = js_ + slab_ < n1 ? js_ + slab_ : n1;                             \
            for (int i_ = 0; i_ < m; i_ += 4) {                                              \
                const int rm = m - i_ >= 4 ? 4 : m - i_;                                     \
                const int rjmax_ = RJ_OF(rm);                                                \
                const float *xi = x + (size_t)i_ * ldx;                                      \
                float *yi = y + (size_t)i_ * ldy;                                            \
                for (int j = js_; j < je_; j += rjmax_) {                                    \
                    const int rj = je_ - j < rjmax_ ? je_ - j : rjmax_;                      \
                    TILE;                                                                    \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    } while (0)

#endif
