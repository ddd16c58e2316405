// Portable C kernels: the reference path, exact for any u8 activations, and the only path
// on non-x86 machines. Plain loops; the compiler may vectorise them.
#include <math.h>
#include "kq_internal.h"

KQ_NO_CONTRACT

int kq_range_portable(const float *x, size_t count, float *lo, float *hi) {
    float mn = x[0], mx = x[0];
    int finite = 1;
    for (size_t i = 0; i < count; i++) {
        const float v = x[i];
        finite &= isfinite(v) != 0;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    *lo = mn;
    *hi = mx;
    return finite;
}

void kq_quantize_portable(KQ_QUANTIZE_ARGS) {
    for (size_t i = 0; i < count; i++) {
        float v = x[i] * inv_scale;
        // Same clamps as the vector paths (see KQ_QV_LIMIT): NaN fails the first test.
        if (!(v >= -KQ_QV_LIMIT)) v = -KQ_QV_LIMIT;
        if (v > KQ_QV_LIMIT) v = KQ_QV_LIMIT;
        int32_t q = (int32_t)nearbyintf(v) + zero_point;   // current mode: half to even
        q = q < 0 ? 0 : (q > qmax ? qmax : q);
        out[i] = (uint8_t)q;
    }
}

// The dequantising epilogue shared in spirit by every path: integer part with wrap-around
// int32 arithmetic (as vpsubd/vpmulld), then one fused multiply-add in float32 (as
// vfmadd and as fbgemm's float output, which is what makes the paths agree with PyTorch).
static inline float kq_epilogue(int32_t acc, int32_t zp, int32_t col_sum, float a_scale,
                                float w_scale, float b) {
    int32_t v = (int32_t)((uint32_t)acc - (uint32_t)zp * (uint32_t)col_sum);
    float s = a_scale * w_scale;
    return fmaf((float)v, s, b);
}

void kq_linear_u8s8_portable(KQ_LINEAR_U8S8_ARGS) {
    const int kq = kq_kquads(k);
    const size_t bbytes = kq_block_bytes(k);
    (void)n;
    for (int b = n0 / 16; 16 * b < n1; b++) {
        const int8_t *bp = packed + (size_t)b * bbytes;
        const int jlo = n0 > 16 * b ? n0 : 16 * b;
        const int jhi = n1 < 16 * b + 16 ? n1 : 16 * b + 16;
        for (int i = 0; i < m; i++) {
            const uint8_t *ar = a + (size_t)i * lda;
            int32_t acc[16] = {0};
            for (int t = 0; t < kq; t++) {
                const int8_t *rec = bp + (size_t)t * 64;
                const uint8_t *aq = ar + 4 * t;
                for (int c = 0; c < 16; c++) {
                    acc[c] += (int32_t)aq[0] * rec[4 * c] + (int32_t)aq[1] * rec[4 * c + 1] +
                              (int32_t)aq[2] * rec[4 * c + 2] + (int32_t)aq[3] * rec[4 * c + 3];
                }
            }
            float *yr = y + (size_t)i * ldy;
            for (int j = jlo; j < jhi; j++)
                yr[j] = kq_epilogue(acc[j - 16 * b], a_zero_point, col_sums[j], a_scale,
                                    w_scales[j], bias ? bias[j] : 0.0f);
        }
    }
}

// Weight-only kernels. Float sums: this path adds in a different order than the vector
// paths, so w8/w4 results differ between paths by rounding (tests use a tolerance).
void kq_linear_w8_portable(KQ_LINEAR_W8_ARGS) {
    (void)n;
    for (int i = 0; i < m; i++) {
        const float *xr = x + (size_t)i * ldx;
        float *yr = y + (size_t)i * ldy;
        for (int j = n0; j < n1; j++) {
            const int8_t *wr = w + (size_t)j * k;
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int kk = 0;
            for (; kk + 4 <= k; kk += 4) {
                s0 += xr[kk] * (float)wr[kk];
                s1 += xr[kk + 1] * (float)wr[kk + 1];
                s2 += xr[kk + 2] * (float)wr[kk + 2];
                s3 += xr[kk + 3] * (float)wr[kk + 3];
            }
            for (; kk < k; kk++) s0 += xr[kk] * (float)wr[kk];
            float dot = (s0 + s1) + (s2 + s3);
            yr[j] = dot * scales[j] + (bias ? bias[j] : 0.0f);
        }
    }
}

// Weight-only int4. With the caller's guarantees (group a multiple of 32 dividing k) this is
// exactly the header's definition. As a fallback it accepts any group > 0 (group <= 0 means
// one group of k) and odd k: a row is then ceil(k/2) bytes and has ceil(k/group) scales,
// which reduce to k/2 and k/group when the guarantees hold.
void kq_linear_w4_portable(KQ_LINEAR_W4_ARGS) {
    (void)n;
    if (group <= 0) group = k > 0 ? k : 1;
    const size_t row_bytes = ((size_t)k + 1) / 2;
    const size_t ngroups = ((size_t)k + group - 1) / group;
    for (int i = 0; i < m; i++) {
        const float *xr = x + (size_t)i * ldx;
        float *yr = y + (size_t)i * ldy;
        for (int j = n0; j < n1; j++) {
            const uint8_t *wr = w + (size_t)j * row_bytes;
            const float *sr = scales + (size_t)j * ngroups;
            float dot = 0;
            for (int g0 = 0; g0 < k; g0 += group) {
                const int g1 = g0 + group < k ? g0 + group : k;
                float part = 0;
                for (int kk = g0; kk < g1; kk++) {
                    const uint8_t byte = wr[kk >> 1];
                    const int q = (kk & 1) ? (byte >> 4) : (byte & 15);
                    part += xr[kk] * (float)(q - 8);
                }
                dot += part * sr[g0 / group];
            }
            yr[j] = dot + (bias ? bias[j] : 0.0f);
        }
    }
}
