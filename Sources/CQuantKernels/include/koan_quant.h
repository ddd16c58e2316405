// Koan's integer kernels: int8 (u8 x s8 -> s32) matrix products for dynamically quantized
// Linear layers and weight-only int8/int4 products for generation. One implementation per
// instruction set, chosen at run time from CPUID (AVX-512 VNNI, AVX2, portable C); every
// path computes the same integers, so results do not depend on the path or on threads.
#ifndef KOAN_QUANT_H
#define KOAN_QUANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction-set paths.
enum {
    KOAN_Q_PORTABLE = 0,
    KOAN_Q_AVX2 = 1,        // AVX2 + FMA (vpmaddubsw / vpmaddwd)
    KOAN_Q_AVX512VNNI = 2   // AVX-512 F/BW/VL + VNNI (vpdpbusd)
};

/// Whether `isa` can run here (CPUID and the OS's saved register state, XGETBV).
int koan_q_isa_supported(int isa);
/// The best path this machine supports, or the one named by the environment variable
/// KOAN_QUANT_ISA ("portable", "avx2", "avx512vnni") when that is supported.
int koan_q_best_isa(void);
/// "portable", "avx2", "avx512vnni".
const char *koan_q_isa_name(int isa);

/// The packed weight layout: blocks of 16 output channels x 4 inputs (k padded to a multiple
/// of 4, n to a multiple of 16, padding zero). Bytes needed for an [n, k] weight.
size_t koan_q_packed_size(int n, int k);
/// Packs int8 weights w [n, k] (row-major, one output channel per row) into `packed`.
void koan_q_pack_s8(const int8_t *w, int n, int k, int8_t *packed);

/// The minimum and maximum of `count` floats (count >= 1) into *lo and *hi; returns 0 if any
/// is NaN or infinite (then *lo and *hi are unspecified), else 1. A dynamic layer's
/// activation range, vectorised (AVX2 where present).
int koan_q_range(const float *x, size_t count, float *lo, float *hi);

/// Quantizes `count` floats to u8: q = clamp(nearbyint(x / scale) + zero_point, 0, qmax),
/// rounding half to even as PyTorch's quantize_per_tensor does (x * inv_scale).
void koan_q_quantize_u8(const float *x, size_t count, float inv_scale, int32_t zero_point,
                        int32_t qmax, uint8_t *out);

/// Dynamic int8 Linear for output columns [n0, n1) (n0 a multiple of 16):
///   acc[i][j] = sum_k a[i][k] * w[j][k]                      (exact int32)
///   y[i][j]   = fmaf((float)(acc[i][j] - a_zero_point * col_sums[j]), a_scale * w_scales[j], bias[j])
/// (one rounding, as PyTorch's fbgemm computes its float output)
/// a: u8 [m, lda] with lda >= k rounded up to 4 (padding bytes may hold anything);
/// col_sums[j] = sum_k w[j][k]; bias may be NULL; y: float [m, ldy].
/// Exact for any u8 activations on every path (the AVX2 path splits bytes above 127 into
/// two products that cannot saturate, at about half its speed).
void koan_q_linear_u8s8(int isa, int m, int n, int k,
                        const uint8_t *a, int lda, int32_t a_zero_point, float a_scale,
                        const int8_t *packed, const int32_t *col_sums, const float *w_scales,
                        const float *bias, float *y, int ldy, int n0, int n1);

/// Weight-only int8: y[i][j] = sum_k x[i][k] * (w[j][k] * scales[j]) + bias[j] for j in [n0, n1).
/// w: int8 [n, k] row-major; the dequantisation happens inside the product (float32 math).
void koan_q_linear_w8(int isa, int m, int n, int k, const float *x, int ldx,
                      const int8_t *w, const float *scales, const float *bias,
                      float *y, int ldy, int n0, int n1);

/// Weight-only int4 in groups of `group` inputs (group a multiple of 32 dividing k):
/// w: [n, k/2] bytes, input 2t in the low nibble and 2t+1 in the high nibble, each nibble
/// q in [0, 15] meaning (q - 8) * scales[j * (k/group) + k/group-index].
void koan_q_linear_w4(int isa, int m, int n, int k, int group, const float *x, int ldx,
                      const uint8_t *w, const float *scales, const float *bias,
                      float *y, int ldy, int n0, int n1);

#ifdef __cplusplus
}
#endif

#endif
