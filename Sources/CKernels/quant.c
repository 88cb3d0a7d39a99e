// Block-quantized weights (q8, q4) and their weight-streaming products y = x · dequant(W)^T.
// Decode reads every weight once per token, so time is bytes read: q8 is ~1/2 and q4 ~1/3.5 of
// bf16. In ck_matmul_quant activations stay float32; each weight is dequantized exactly (one
// rounding of q * d) and accumulated in float32, the same math as ck_matmul_quant_ref.
// ck_matmul_quant_x8 (int8 activations, integer block sums) is an optional faster variant: at
// m = 1 on AVX-512 it measured 1.1-1.4x the f32-activation q4 kernel, which is bound by the
// vector instructions per weight (about 7 per 32 q4 weights) rather than by memory.
//
// Quantization: blocks of 32 consecutive weights of a row share one scale d (bf16 bits: f32
// range, and widening is a shift). Weight = d * q with
//   q8: q in [-127, 127], d = max|w| / 127 (rounded to bf16, codes then rounded against it);
//   q4: q in [-8, 7]; d is the better of ±max|w| / 7 and ±max|w| / 8 by squared error, then
//       refitted by least squares for its codes when that lowers the error. q is stored biased,
//       u = q + 8.
// Non-finite weights are not supported: a NaN packs as 0, a block holding ±inf as zeros.
//
// Layout: rows are taken in groups of 4 (the last group padded with zero rows), and each group
// is one contiguous, 64-byte aligned run, so a thread streams a single sequential region:
//   group g (rows 4g .. 4g+3), nb = cols / 32 blocks:
//     codes:  for block b = 0 .. nb-1, for row a = 0 .. 3: that row's 32 codes for block b
//             q8: 32 int8, in column order (128 bytes per block of the group: two cache lines)
//             q4: 16 bytes, byte i = u[i] | u[i + 16] << 4 (64 bytes per block: one line), so a
//                 zero-extended 16-byte load gives columns 0..15 by a mask and 16..31 by a shift
//     scales: for block b, for row a: bf16 d (8 bytes per block)
//     padding to a multiple of 64 bytes (none when cols % 256 == 0)
// Bytes per weight: q8 1.0625, q4 0.5625 (cols % 256 == 0).
#include "ck_internal.h"
#include <stdlib.h>

#define QG 4           // rows per group
#define QB 32          // weights per block
#define QS_CHUNK 64    // blocks whose scales are widened at a time (2048 columns)
// Software prefetch distance along a group stream, in bytes. The kernels consume several bytes
// per ns, so a DRAM miss must be requested about a microsecond ahead: 4-8 KB measured best
// (1-2 KB left q4 at ~70% of its in-cache rate on cold data, single thread).
#define QPF 6144
#define QM_TILE 32     // x rows per sweep over a group range (kept in L2 while W streams)

// Bytes of codes for one block of a whole group (4 rows).
static size_t q_block_bytes(ck_qformat f) { return f == CK_Q8 ? QG * QB : QG * QB / 2; }

static size_t q_group_bytes(ck_qformat f, int cols) {
    size_t nb = (size_t)cols / QB;
    size_t raw = nb * q_block_bytes(f) + nb * QG * sizeof(uint16_t);
    return (raw + 63) & ~(size_t)63;
}

size_t ck_quant_size(ck_qformat f, int rows, int cols) {
    if ((f != CK_Q8 && f != CK_Q4) || rows <= 0 || cols <= 0 || cols % QB) return 0;
    return (size_t)((rows + QG - 1) / QG) * q_group_bytes(f, cols);
}

// ---------------------------------------------------------------------------------------------
// Packing.

// Packing is vectorized per ISA but must give the same bytes on every machine, so no result may
// depend on whether the compiler contracts a*b+c into an fma: candidate scales are rounded to
// bf16 before use, which makes q * d exact (8 + 8 significant bits); codes are rintf of a
// product (never contracted); squared errors and least-squares sums are formed in double from
// exact products. (Checked: identical bytes from gcc and clang at every ISA level.)

// Round to nearest even bf16 (finite inputs; scales are never NaN/inf for finite weights).
CK_INLINE float q_bf16_round(float v) {
    uint32_t b = ck_f32_to_bits(v);
    b += 0x7FFFu + ((b >> 16) & 1u);
    return ck_bits_to_f32(b & 0xFFFF0000u);
}

// Clamp to [lo, hi], and NaN to 0 (so the integer conversion that follows is defined).
CK_INLINE float q_clamp(float v, float lo, float hi) {
    return v >= lo ? (v <= hi ? v : hi) : (v < lo ? lo : 0.0f);
}

// Codes of one block for scale d (bf16-exact, nonzero), clamped to [lo, hi]; returns the
// squared error. rintf of a product is never contracted; eight fixed partial sums let the loop
// vectorize.
CK_INLINE double q_codes(const float *w, float d, float lo, float hi, float *q) {
    float inv = 1.0f / d;
    double e8[8] = {0};
    for (int i = 0; i < QB; i += 8)
        for (int l = 0; l < 8; l++) {
            float v = q_clamp(rintf(w[i + l] * inv), lo, hi);
            q[i + l] = v;
            double e = (double)w[i + l] - (double)(v * d);
            e8[l] += e * e;
        }
    return ((e8[0] + e8[4]) + (e8[1] + e8[5])) + ((e8[2] + e8[6]) + (e8[3] + e8[7]));
}

// Least-squares scale for fixed codes: sum(w q) / sum(q q) (0 if all codes are 0).
CK_INLINE float q_refit(const float *w, const float *q) {
    double wq[8] = {0}, qq[8] = {0};
    for (int i = 0; i < QB; i += 8)
        for (int l = 0; l < 8; l++) {
            wq[l] += (double)w[i + l] * q[i + l];
            qq[l] += (double)q[i + l] * q[i + l];
        }
    double a = ((wq[0] + wq[4]) + (wq[1] + wq[5])) + ((wq[2] + wq[6]) + (wq[3] + wq[7]));
    double b = ((qq[0] + qq[4]) + (qq[1] + qq[5])) + ((qq[2] + qq[6]) + (qq[3] + qq[7]));
    return b > 0.0 ? (float)(a / b) : 0.0f;
}

// Quantizes one block of 32 weights: codes q (as floats); returns the scale (bf16-exact).
CK_INLINE float q_block(const float *w, int q4, float *q) {
    float m8[8] = {0}, amax = 0.0f;
    for (int i = 0; i < QB; i += 8)
        for (int l = 0; l < 8; l++) {
            float a = fabsf(w[i + l]);
            m8[l] = a > m8[l] ? a : m8[l];
        }
    for (int l = 0; l < 8; l++) amax = m8[l] > amax ? m8[l] : amax;
    float lo = q4 ? -8.0f : -127.0f, hi = q4 ? 7.0f : 127.0f;
    float d = q_bf16_round(amax / hi);
    // Zero, non-finite, or so small that d is 0 in bf16: store zeros.
    if (!(d > 0.0f) || !(amax < 3.0e38f)) {
        for (int i = 0; i < QB; i++) q[i] = 0.0f;
        return 0.0f;
    }
    if (q4) {
        // 16 levels are coarse enough that the step matters: try steps max|w| / 7 and / 8 of
        // both signs (the sign decides whether the extreme weight lands on -8 or +7), keep the
        // least squared error, then refit d by least squares for its codes if that helps.
        static const float steps[] = {7.0f, 8.0f};
        float tq[QB];
        double best = INFINITY;
        for (int k = 0; k < 4; k++) {
            float c = q_bf16_round((k & 1 ? -amax : amax) / steps[k >> 1]);
            double e = c != 0.0f ? q_codes(w, c, lo, hi, tq) : INFINITY;
            if (e < best) { best = e; d = c; memcpy(q, tq, sizeof tq); }
        }
        if (best == INFINITY) { // every candidate underflowed bf16
            for (int i = 0; i < QB; i++) q[i] = 0.0f;
            return 0.0f;
        }
        float c = q_bf16_round(q_refit(w, q));
        if (c != 0.0f && q_codes(w, c, lo, hi, tq) < best) { d = c; memcpy(q, tq, sizeof tq); }
        return d;
    }
    q_codes(w, d, lo, hi, q);
    return d;
}

// Packs the 4 rows of one group (rows past n_rows are zero) from f32 rows of stride `cols`;
// dst is zeroed by the caller.
CK_INLINE void q_pack_group_body(const float *w, int n_rows, int cols, int q4, uint8_t *dst) {
    int nb = cols / QB;
    size_t cb = q4 ? QG * QB / 2 : QG * QB;
    uint16_t *scales = (uint16_t *)(dst + (size_t)nb * cb);
    float q[QB];
    for (int b = 0; b < nb; b++)
        for (int a = 0; a < n_rows; a++) {
            uint8_t *out = dst + (size_t)b * cb + (size_t)a * (cb / QG);
            float d = q_block(w + (size_t)a * cols + (size_t)b * QB, q4, q);
            scales[b * QG + a] = (uint16_t)(ck_f32_to_bits(d) >> 16);
            if (q4)
                for (int i = 0; i < QB / 2; i++)
                    out[i] = (uint8_t)(((int)q[i] + 8) | ((int)q[i + QB / 2] + 8) << 4);
            else
                for (int i = 0; i < QB; i++) out[i] = (uint8_t)(int8_t)(int)q[i];
        }
}
CK_VARIANTS(q_pack_group, q_pack_group_body,
            (const float *w, int n_rows, int cols, int q4, uint8_t *dst),
            (w, n_rows, cols, q4, dst))

// Shared by both packers.
static int q_pack(ck_qformat f, const void *w, int bf16, int rows, int cols, void *dst) {
    size_t gb = q_group_bytes(f, cols);
    if (!ck_quant_size(f, rows, cols)) return -1;
    float *tmp = bf16 ? malloc(sizeof(float) * QG * (size_t)cols) : NULL;
    if (bf16 && !tmp) return -1;
    for (int r = 0; r < rows; r += QG) {
        int n = ck_min(QG, rows - r);
        uint8_t *g = (uint8_t *)dst + (size_t)(r / QG) * gb;
        memset(g, 0, gb);
        const float *src = (const float *)w + (size_t)r * cols;
        if (bf16) {
            ck_bf16_to_f32((const uint16_t *)w + (size_t)r * cols, tmp, (size_t)n * cols);
            src = tmp;
        }
        CK_DISPATCH(q_pack_group, (src, n, cols, f == CK_Q4, g));
    }
    free(tmp);
    return 0;
}

int ck_quant_pack_f32(ck_qformat f, const float *w, int rows, int cols, void *dst) {
    return q_pack(f, w, 0, rows, cols, dst);
}

int ck_quant_pack_bf16(ck_qformat f, const uint16_t *w, int rows, int cols, void *dst) {
    return q_pack(f, w, 1, rows, cols, dst);
}

// The defining dequantization of one weight (row r, column c).
static float q_weight(ck_qformat f, const uint8_t *p, int r, int c, int cols) {
    int nb = cols / QB, b = c / QB, i = c % QB, a = r % QG;
    const uint8_t *g = p + (size_t)(r / QG) * q_group_bytes(f, cols);
    float d = ck_bf16(((const uint16_t *)(g + (size_t)nb * q_block_bytes(f)))[b * QG + a]);
    const uint8_t *blk = g + (size_t)b * q_block_bytes(f) + (size_t)a * (q_block_bytes(f) / QG);
    int q = f == CK_Q8 ? (int8_t)blk[i]
                       : (i < 16 ? blk[i] & 15 : blk[i - 16] >> 4) - 8;
    return (float)q * d;
}

void ck_quant_unpack(ck_qformat f, const void *packed, int rows, int cols, float *dst) {
    if (!ck_quant_size(f, rows, cols)) return;
    ck_quant_decode(f, packed, cols, 0, rows, 0, cols, dst, (size_t)cols);
}

// The same values as q_weight, a block of 32 at a time (the GEMM packs prefill weights from
// this). q * d is exact in float (8 + 8 significant bits), so every ISA gives the same bits.
CK_INLINE void q_decode_body(const uint8_t *p, size_t gb, int q4, int cols, int r0, int nr,
                             int c0, int nc, float *dst, size_t ldd) {
    const int nb = cols / QB;
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    for (int r = r0; r < r0 + nr; r++) {
        const uint8_t *g = p + (size_t)(r / QG) * gb + (size_t)(r % QG) * (cb / QG);
        const uint16_t *s16 = (const uint16_t *)(p + (size_t)(r / QG) * gb + (size_t)nb * cb);
        float *o = dst + (size_t)(r - r0) * ldd;
        for (int b = c0 / QB; b < (c0 + nc) / QB; b++, o += QB) {
            // A local copy: stores through o could alias bytes, which keeps compilers scalar.
            uint8_t blk[QB];
            if (q4) memcpy(blk, g + (size_t)b * cb, QB / 2);
            else memcpy(blk, g + (size_t)b * cb, QB);
            const float d = ck_bf16(s16[b * QG + r % QG]);
            if (q4)
                for (int i = 0; i < QB / 2; i++) {
                    o[i] = (float)((blk[i] & 15) - 8) * d;
                    o[i + QB / 2] = (float)((blk[i] >> 4) - 8) * d;
                }
            else
                for (int i = 0; i < QB; i++) o[i] = (float)(int8_t)blk[i] * d;
        }
    }
}
CK_VARIANTS(q_decode, q_decode_body,
            (const uint8_t *p, size_t gb, int q4, int cols, int r0, int nr, int c0, int nc,
             float *dst, size_t ldd),
            (p, gb, q4, cols, r0, nr, c0, nc, dst, ldd))

void ck_quant_decode(ck_qformat f, const void *packed, int cols, int r0, int nr, int c0, int nc,
                     float *dst, size_t ldd) {
    CK_DISPATCH(q_decode,
                (packed, q_group_bytes(f, cols), f == CK_Q4, cols, r0, nr, c0, nc, dst, ldd));
}

void ck_matmul_quant_ref(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                         const float *bias, float *y, int m, int rows, int cols) {
    (void)pool;
    if (!ck_quant_size(f, rows, cols)) return;
    // Sums in double, as the other references do: the kernels are then judged against the
    // exact product of the dequantized weights.
    for (int j = 0; j < m; j++)
        for (int r = 0; r < rows; r++) {
            double s = bias ? bias[r] : 0.0;
            for (int c = 0; c < cols; c++)
                s += (double)q_weight(f, packed, r, c, cols) * x[(size_t)j * cols + c];
            y[(size_t)j * rows + r] = (float)s;
        }
}

// ---------------------------------------------------------------------------------------------
// Kernels. Each call computes one group (4 rows) against NM <= 4 x rows. Per block and row the
// codes are turned into exact f32 weights q * d (a single rounding, as in the reference), so the
// decode cost is shared by the NM x rows. The scales of QS_CHUNK blocks are widened to a small
// f32 table first, so the inner loop broadcasts them straight from memory.

// d[k * 4 + a] = the scale of row a, block b0 + k of a group.
CK_INLINE void q_scales(const uint16_t *s16, int b0, int n, float *d) {
    for (int i = 0; i < n * QG; i++) d[i] = ck_bf16(s16[b0 * QG + i]);
}

#if CK_X86
// AVX-512: 16 columns per register; a block is two registers per row.
//   q4: a 16-entry table (u - 8) * d per row and block, looked up with vpermps (which reads only
//       the low 4 bits of each index, so the low nibble needs no mask): the lookup replaces both
//       the int->float conversion and the scale, and is the exact dequantized value.
//   q8: sign-extend, convert, and scale; with one x row the scale is applied to the block's
//       partial products instead (one multiply per block rather than per register).
CK_TARGET_AVX512 CK_INLINE void q_group_AVX512(const uint8_t *g, int q4, int nb, const float *x,
                                               int cols, float out[4][4], int NM) {
    __m512 acc[QG][4];
    for (int a = 0; a < QG; a++)
        for (int b = 0; b < NM; b++) acc[a][b] = _mm512_setzero_ps();
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    const uint16_t *s16 = (const uint16_t *)(g + (size_t)nb * cb);
    const __m512 levels = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    float d[QS_CHUNK * QG];
    for (int b0 = 0; b0 < nb; b0 += QS_CHUNK) {
        int n = ck_min(QS_CHUNK, nb - b0);
        q_scales(s16, b0, n, d);
        for (int k = 0; k < n; k++) {
            const uint8_t *blk = g + (size_t)(b0 + k) * cb;
            // The hardware prefetchers do not run far enough ahead at this rate (QPF).
            _mm_prefetch((const char *)blk + QPF, _MM_HINT_T0);
            if (!q4) _mm_prefetch((const char *)blk + QPF + 64, _MM_HINT_T0);
            const float *xc = x + (size_t)(b0 + k) * QB;
            __m512 x0[4], x1[4];
            for (int b = 0; b < NM; b++) {
                x0[b] = _mm512_loadu_ps(xc + (size_t)b * cols);
                x1[b] = _mm512_loadu_ps(xc + (size_t)b * cols + 16);
            }
            for (int a = 0; a < QG; a++) {
                __m512 w0, w1, da = _mm512_set1_ps(d[k * QG + a]);
                if (q4) {
                    __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(blk + a * 16)));
                    __m512 table = _mm512_mul_ps(levels, da);
                    w0 = _mm512_permutexvar_ps(v, table);
                    w1 = _mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table);
                } else {
                    const __m128i *p = (const __m128i *)(blk + a * 32);
                    w0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(p)));
                    w1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(p + 1)));
                    for (int b = 0; b < NM; b++) {
                        __m512 t = _mm512_fmadd_ps(w1, x1[b], _mm512_mul_ps(w0, x0[b]));
                        acc[a][b] = _mm512_fmadd_ps(t, da, acc[a][b]);
                    }
                    continue;
                }
                for (int b = 0; b < NM; b++) {
                    acc[a][b] = _mm512_fmadd_ps(w0, x0[b], acc[a][b]);
                    acc[a][b] = _mm512_fmadd_ps(w1, x1[b], acc[a][b]);
                }
            }
        }
    }
    for (int a = 0; a < QG; a++)
        for (int b = 0; b < NM; b++) out[a][b] = _mm512_reduce_add_ps(acc[a][b]);
}

// AVX2+FMA: 8 columns per register. A block is done in two halves of 16 columns so that
// 4 rows x 2 x rows of accumulators, the x values and the decoded weights fit in 16 registers.
// q4 weights are fma(u, d, -8d): exact -8d, so again the single rounding of q * d.
CK_TARGET_AVX2 CK_INLINE float q_hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_TARGET_AVX2 CK_INLINE void q_group_AVX2(const uint8_t *g, int q4, int nb, const float *x,
                                           int cols, float out[4][4], int NM) {
    __m256 acc[QG][2];
    for (int a = 0; a < QG; a++)
        for (int b = 0; b < NM; b++) acc[a][b] = _mm256_setzero_ps();
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    const uint16_t *s16 = (const uint16_t *)(g + (size_t)nb * cb);
    float d[QS_CHUNK * QG], o[QS_CHUNK * QG];
    for (int b0 = 0; b0 < nb; b0 += QS_CHUNK) {
        int n = ck_min(QS_CHUNK, nb - b0);
        q_scales(s16, b0, n, d);
        for (int i = 0; i < n * QG; i++) o[i] = -8.0f * d[i];
        for (int k = 0; k < n; k++) {
            const uint8_t *blk = g + (size_t)(b0 + k) * cb;
            _mm_prefetch((const char *)blk + QPF, _MM_HINT_T0);
            if (!q4) _mm_prefetch((const char *)blk + QPF + 64, _MM_HINT_T0);
            const float *xc = x + (size_t)(b0 + k) * QB;
            for (int h = 0; h < 2; h++) {
                // Columns of the two registers: q4 lo/hi nibbles are 8h.. and 16+8h..;
                // q8 halves are 16h.. and 16h+8...
                int c0 = q4 ? 8 * h : 16 * h, c1 = q4 ? 16 + 8 * h : 16 * h + 8;
                __m256 x0[2], x1[2];
                for (int b = 0; b < NM; b++) {
                    x0[b] = _mm256_loadu_ps(xc + (size_t)b * cols + c0);
                    x1[b] = _mm256_loadu_ps(xc + (size_t)b * cols + c1);
                }
                for (int a = 0; a < QG; a++) {
                    __m256 w0, w1, da = _mm256_set1_ps(d[k * QG + a]);
                    if (q4) {
                        __m256i v = _mm256_cvtepu8_epi32(
                            _mm_loadl_epi64((const __m128i *)(blk + a * 16 + 8 * h)));
                        __m256 oa = _mm256_set1_ps(o[k * QG + a]);
                        w0 = _mm256_cvtepi32_ps(_mm256_and_si256(v, _mm256_set1_epi32(15)));
                        w1 = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4));
                        w0 = _mm256_fmadd_ps(w0, da, oa);
                        w1 = _mm256_fmadd_ps(w1, da, oa);
                    } else {
                        const uint8_t *p = blk + a * 32 + 16 * h;
                        w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
                        w1 = _mm256_cvtepi32_ps(
                            _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(p + 8))));
                        for (int b = 0; b < NM; b++) { // scale the partial products, as in the AVX-512 kernel
                            __m256 t = _mm256_fmadd_ps(w1, x1[b], _mm256_mul_ps(w0, x0[b]));
                            acc[a][b] = _mm256_fmadd_ps(t, da, acc[a][b]);
                        }
                        continue;
                    }
                    for (int b = 0; b < NM; b++) {
                        acc[a][b] = _mm256_fmadd_ps(w0, x0[b], acc[a][b]);
                        acc[a][b] = _mm256_fmadd_ps(w1, x1[b], acc[a][b]);
                    }
                }
            }
        }
    }
    for (int a = 0; a < QG; a++)
        for (int b = 0; b < NM; b++) out[a][b] = q_hsum_avx2(acc[a][b]);
}
#endif

// Portable: dequantize a slice of the group's 4 rows to f32, then lane-split dot products
// (vectorized by the compiler, NEON included).
#define QP_SLICE 256
static void q_group_portable(const uint8_t *g, int q4, int nb, const float *x, int cols,
                             float out[4][4], int NM) {
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    const uint16_t *s16 = (const uint16_t *)(g + (size_t)nb * cb);
    float wf[QG][QP_SLICE];
    for (int a = 0; a < QG; a++)
        for (int b = 0; b < NM; b++) out[a][b] = 0.0f;
    for (int c0 = 0; c0 < cols; c0 += QP_SLICE) {
        int n = ck_min(QP_SLICE, cols - c0);
        for (int k = 0; k < n / QB; k++) {
            int blk_i = c0 / QB + k;
            const uint8_t *blk = g + (size_t)blk_i * cb;
            for (int a = 0; a < QG; a++) {
                float d = ck_bf16(s16[blk_i * QG + a]);
                float *o = wf[a] + k * QB;
                if (q4) {
                    const uint8_t *p = blk + a * 16;
                    for (int i = 0; i < 16; i++) {
                        o[i] = (float)((p[i] & 15) - 8) * d;
                        o[i + 16] = (float)((p[i] >> 4) - 8) * d;
                    }
                } else {
                    const int8_t *p = (const int8_t *)(blk + a * 32);
                    for (int i = 0; i < QB; i++) o[i] = (float)p[i] * d;
                }
            }
        }
        for (int a = 0; a < QG; a++)
            for (int b = 0; b < NM; b++) out[a][b] += ck_dot(wf[a], x + (size_t)b * cols + c0, n);
    }
}

// ---------------------------------------------------------------------------------------------
// int8 activations (ck_matmul_quant_x8). Each x row is rounded per block of 32 to int8 with
// scale sx = max|x| / 127, so a block's dot product sum(q * xq) is exact integer arithmetic
// (vpmaddubsw / vpmaddwd), and y = sum_b (d * sx) * isum_b + bias.

// xq[j * cols + c] and sx[j * nb + b] for the m rows of x, and for the q4 code bias (the SIMD
// kernels multiply the stored u = q + 8) xo[(j * nb + b) * 4 + l] = -8 * sum(xq) over the block's
// columns 4l .. 4l+3 and 16+4l .. 16+4l+3: what lands in int32 lane l of a row after vpmaddwd, so
// each lane is corrected exactly before it is converted to float. Deterministic on every ISA
// (rintf of a product is never contracted), so the reference and the kernels share it.
CK_INLINE void q_quantize_x_body(const float *x, int m, int cols, int8_t *xq, float *sx,
                                 int32_t *xo) {
    int nb = cols / QB;
    for (int j = 0; j < m; j++)
        for (int b = 0; b < nb; b++) {
            const float *v = x + (size_t)j * cols + (size_t)b * QB;
            float m8[8] = {0}, amax = 0.0f;
            for (int i = 0; i < QB; i += 8)
                for (int l = 0; l < 8; l++) {
                    float a = fabsf(v[i + l]);
                    m8[l] = a > m8[l] ? a : m8[l];
                }
            for (int l = 0; l < 8; l++) amax = m8[l] > amax ? m8[l] : amax;
            // A block below 1e-30 (or non-finite) counts as zero: 127 / amax must stay finite.
            int live = amax > 1e-30f && amax < 3.0e38f;
            float inv = live ? 127.0f / amax : 0.0f;
            sx[(size_t)j * nb + b] = live ? amax / 127.0f : 0.0f;
            int8_t *o = xq + (size_t)j * cols + (size_t)b * QB;
            for (int i = 0; i < QB; i++)
                o[i] = (int8_t)q_clamp(rintf(v[i] * inv), -127.0f, 127.0f);
            for (int l = 0; l < 4; l++) {
                int32_t sum = 0;
                for (int i = 0; i < 4; i++) sum += o[4 * l + i] + o[16 + 4 * l + i];
                xo[((size_t)j * nb + b) * 4 + l] = -8 * sum;
            }
        }
}

CK_VARIANTS(q_quantize_x, q_quantize_x_body,
            (const float *x, int m, int cols, int8_t *xq, float *sx, int32_t *xo),
            (x, m, cols, xq, sx, xo))
static void q_quantize_x(const float *x, int m, int cols, int8_t *xq, float *sx, int32_t *xo) {
    CK_DISPATCH(q_quantize_x, (x, m, cols, xq, sx, xo));
}

// t[j][k * 4 + a] = d(row a, block b0 + k) * sx(x row j, block b0 + k) for NM x rows: the float
// factor of each block's integer sum (q8 and portable kernels; the q4 SIMD kernels form it from
// d in registers).
CK_INLINE void q_x8_factors(const float *d, const float *sx, int nb, int b0, int n, int NM,
                            float t[4][QS_CHUNK * QG]) {
    for (int j = 0; j < NM; j++)
        for (int k = 0; k < n; k++) {
            float s = sx[(size_t)j * nb + b0 + k];
            for (int a = 0; a < QG; a++) t[j][k * QG + a] = d[k * QG + a] * s;
        }
}

#if CK_X86
// AVX-512BW. q4: one 64-byte load is a whole group block (row a in 128-bit lane a); nibbles are
// masked out as bytes and multiplied with the x block (broadcast to the four lanes) by
// vpmaddubsw (u8 x s8: at most 2 * 15 * 127 per int16, no saturation); vpmaddwd then sums to
// int32, four lanes per row. q8: codes and x are widened to int16 and multiplied by vpmaddwd.
CK_TARGET_AVX512 CK_INLINE void qx_group_AVX512(const uint8_t *g, int q4, int nb,
                                                const int8_t *xq, const float *sx,
                                                const int32_t *xo, int cols, float out[4][4],
                                                int NM) {
    __m512 acc[QG][4]; // q4: acc[0][j] holds all four rows (lanes 4a .. 4a+3)
    for (int a = 0; a < QG; a++)
        for (int j = 0; j < NM; j++) acc[a][j] = _mm512_setzero_ps();
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    const uint16_t *s16 = (const uint16_t *)(g + (size_t)nb * cb);
    const __m512i nib = _mm512_set1_epi8(15), ones = _mm512_set1_epi16(1);
    const __m512i rep4 = _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
    float d[QS_CHUNK * QG], t[4][QS_CHUNK * QG];
    for (int b0 = 0; b0 < nb; b0 += QS_CHUNK) {
        int n = ck_min(QS_CHUNK, nb - b0);
        q_scales(s16, b0, n, d);
        if (!q4) q_x8_factors(d, sx, nb, b0, n, NM, t);
        for (int k = 0; k < n; k++) {
            const uint8_t *blk = g + (size_t)(b0 + k) * cb;
            _mm_prefetch((const char *)blk + QPF, _MM_HINT_T0);
            if (!q4) _mm_prefetch((const char *)blk + QPF + 64, _MM_HINT_T0);
            const int8_t *xc = xq + (size_t)(b0 + k) * QB;
            if (q4) {
                __m512i v = _mm512_loadu_si512(blk);
                __m512i lo = _mm512_and_si512(v, nib);
                __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
                // d of row a in lanes 4a .. 4a+3
                __m512 d16 = _mm512_permutexvar_ps(rep4, _mm512_castps128_ps512(_mm_loadu_ps(&d[k * QG])));
                for (int j = 0; j < NM; j++) {
                    const int8_t *xj = xc + (size_t)j * cols;
                    __m512i x0 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)xj));
                    __m512i x1 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(xj + 16)));
                    __m512i p = _mm512_add_epi16(_mm512_maddubs_epi16(lo, x0),
                                                 _mm512_maddubs_epi16(hi, x1));
                    __m512 sc = _mm512_mul_ps(d16, _mm512_set1_ps(sx[b0 + k + (size_t)j * nb]));
                    // Partial sums of u * xq, corrected to q * xq lane by lane.
                    __m512i s = _mm512_add_epi32(
                        _mm512_madd_epi16(p, ones),
                        _mm512_broadcast_i32x4(_mm_loadu_si128(
                            (const __m128i *)(xo + ((size_t)j * nb + b0 + k) * 4))));
                    acc[0][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), sc, acc[0][j]);
                }
            } else {
                __m512i x16[4];
                for (int j = 0; j < NM; j++)
                    x16[j] = _mm512_cvtepi8_epi16(
                        _mm256_loadu_si256((const __m256i *)(xc + (size_t)j * cols)));
                for (int a = 0; a < QG; a++) {
                    __m512i w16 = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(blk + a * 32)));
                    for (int j = 0; j < NM; j++)
                        acc[a][j] = _mm512_fmadd_ps(
                            _mm512_cvtepi32_ps(_mm512_madd_epi16(w16, x16[j])),
                            _mm512_set1_ps(t[j][k * QG + a]), acc[a][j]);
                }
            }
        }
    }
    for (int j = 0; j < NM; j++) {
        if (q4) {
            float l[16];
            _mm512_storeu_ps(l, acc[0][j]);
            for (int a = 0; a < QG; a++)
                out[a][j] = (l[4 * a] + l[4 * a + 1]) + (l[4 * a + 2] + l[4 * a + 3]);
        } else {
            for (int a = 0; a < QG; a++) out[a][j] = _mm512_reduce_add_ps(acc[a][j]);
        }
    }
}

// AVX2: the same with 256-bit registers (q4: rows 0-1 and 2-3 in two registers).
CK_TARGET_AVX2 CK_INLINE void qx_group_AVX2(const uint8_t *g, int q4, int nb, const int8_t *xq,
                                            const float *sx, const int32_t *xo, int cols,
                                            float out[4][4], int NM) {
    __m256 acc[QG][2]; // q4: acc[h][j] holds rows 2h, 2h+1 (lanes 0-3, 4-7)
    for (int a = 0; a < QG; a++)
        for (int j = 0; j < NM; j++) acc[a][j] = _mm256_setzero_ps();
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    const uint16_t *s16 = (const uint16_t *)(g + (size_t)nb * cb);
    const __m256i nib = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    const __m256i rep4 = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    float d[QS_CHUNK * QG], t[4][QS_CHUNK * QG];
    for (int b0 = 0; b0 < nb; b0 += QS_CHUNK) {
        int n = ck_min(QS_CHUNK, nb - b0);
        q_scales(s16, b0, n, d);
        if (!q4) q_x8_factors(d, sx, nb, b0, n, NM, t);
        for (int k = 0; k < n; k++) {
            const uint8_t *blk = g + (size_t)(b0 + k) * cb;
            _mm_prefetch((const char *)blk + QPF, _MM_HINT_T0);
            if (!q4) _mm_prefetch((const char *)blk + QPF + 64, _MM_HINT_T0);
            const int8_t *xc = xq + (size_t)(b0 + k) * QB;
            if (q4) {
                for (int h = 0; h < 2; h++) {
                    __m256i v = _mm256_loadu_si256((const __m256i *)(blk + 32 * h));
                    __m256i lo = _mm256_and_si256(v, nib);
                    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
                    __m256 d8 = _mm256_permutevar8x32_ps(
                        _mm256_castps128_ps256(_mm_castpd_ps(_mm_load_sd((const double *)&d[k * QG + 2 * h]))),
                        rep4);
                    for (int j = 0; j < NM; j++) {
                        const int8_t *xj = xc + (size_t)j * cols;
                        __m256i x0 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)xj));
                        __m256i x1 = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(xj + 16)));
                        __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0),
                                                     _mm256_maddubs_epi16(hi, x1));
                        __m256 sc = _mm256_mul_ps(d8, _mm256_set1_ps(sx[b0 + k + (size_t)j * nb]));
                        __m256i s = _mm256_add_epi32(
                            _mm256_madd_epi16(p, ones),
                            _mm256_broadcastsi128_si256(_mm_loadu_si128(
                                (const __m128i *)(xo + ((size_t)j * nb + b0 + k) * 4))));
                        acc[h][j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc[h][j]);
                    }
                }
            } else {
                __m256i x16[2][2];
                for (int j = 0; j < NM; j++)
                    for (int h = 0; h < 2; h++)
                        x16[j][h] = _mm256_cvtepi8_epi16(
                            _mm_loadu_si128((const __m128i *)(xc + (size_t)j * cols + 16 * h)));
                for (int a = 0; a < QG; a++) {
                    const __m128i *p = (const __m128i *)(blk + a * 32);
                    __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p));
                    __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p + 1));
                    for (int j = 0; j < NM; j++) {
                        __m256i s = _mm256_add_epi32(_mm256_madd_epi16(w0, x16[j][0]),
                                                     _mm256_madd_epi16(w1, x16[j][1]));
                        acc[a][j] = _mm256_fmadd_ps(
                            _mm256_cvtepi32_ps(s),
                            _mm256_set1_ps(t[j][k * QG + a]), acc[a][j]);
                    }
                }
            }
        }
    }
    for (int j = 0; j < NM; j++) {
        if (q4) {
            for (int h = 0; h < 2; h++) {
                float l[8];
                _mm256_storeu_ps(l, acc[h][j]);
                for (int r = 0; r < 2; r++)
                    out[2 * h + r][j] = (l[4 * r] + l[4 * r + 1]) + (l[4 * r + 2] + l[4 * r + 3]);
            }
        } else {
            for (int a = 0; a < QG; a++) out[a][j] = q_hsum_avx2(acc[a][j]);
        }
    }
}
#endif

// Portable: exact integer block sums (vectorized by the compiler), scaled in float.
static void qx_group_portable(const uint8_t *g, int q4, int nb, const int8_t *xq,
                              const float *sx, const int32_t *xo, int cols, float out[4][4],
                              int NM) {
    (void)xo; // the codes are unbiased here
    const size_t cb = q4 ? QG * QB / 2 : QG * QB;
    const uint16_t *s16 = (const uint16_t *)(g + (size_t)nb * cb);
    float d[QS_CHUNK * QG], t[4][QS_CHUNK * QG];
    for (int a = 0; a < QG; a++)
        for (int j = 0; j < NM; j++) out[a][j] = 0.0f;
    for (int b0 = 0; b0 < nb; b0 += QS_CHUNK) {
        int n = ck_min(QS_CHUNK, nb - b0);
        q_scales(s16, b0, n, d);
        q_x8_factors(d, sx, nb, b0, n, NM, t);
        for (int k = 0; k < n; k++) {
            const uint8_t *blk = g + (size_t)(b0 + k) * cb;
            for (int a = 0; a < QG; a++)
                for (int j = 0; j < NM; j++) {
                    const int8_t *xj = xq + (size_t)j * cols + (size_t)(b0 + k) * QB;
                    int32_t s = 0;
                    if (q4) {
                        const uint8_t *p = blk + a * 16;
                        for (int i = 0; i < 16; i++)
                            s += ((p[i] & 15) - 8) * xj[i] + ((p[i] >> 4) - 8) * xj[i + 16];
                    } else {
                        const int8_t *p = (const int8_t *)(blk + a * 32);
                        for (int i = 0; i < QB; i++) s += p[i] * xj[i];
                    }
                    out[a][j] += (float)s * t[j][k * QG + a];
                }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Driver: groups [g0, g1) against all m x rows (tiles of QM_TILE, blocks of up to MB), calling
// the group kernel with literal NM so its accumulators stay in registers. `kind` is f32 (x) or
// x8 (xq, sx).
#define Q_ROWS(isa, MB, kind)                                                                    \
    static void q_rows_##isa##_##kind(const uint8_t *p, size_t gb, int q4, const float *x,        \
                                      const int8_t *xq, const float *sx, const int32_t *xo,       \
                                      const float *bias, float *y, int m, int rows, int cols,     \
                                      int g0, int g1) {                                           \
        float out[4][4];                                                                          \
        int nb = cols / QB;                                                                       \
        (void)x, (void)xq, (void)sx, (void)xo;                                                    \
        for (int jt = 0; jt < m; jt += QM_TILE) {                                                 \
            int jend = ck_min(m, jt + QM_TILE);                                                   \
            for (int gi = g0; gi < g1; gi++) {                                                    \
                const uint8_t *g = p + (size_t)gi * gb;                                           \
                for (int j = jt; j < jend; j += MB) {                                             \
                    int nm = ck_min(MB, jend - j);                                                \
                    Q_CASES_##MB(isa, kind)                                                       \
                    for (int a = 0; a < QG && gi * QG + a < rows; a++)                            \
                        for (int b = 0; b < nm; b++) {                                            \
                            int r = gi * QG + a;                                                  \
                            y[(size_t)(j + b) * rows + r] = out[a][b] + (bias ? bias[r] : 0.0f);  \
                        }                                                                         \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

#define Q_CALL_f32(isa, NM) q_group_##isa(g, q4, nb, x + (size_t)j * cols, cols, out, NM)
#define Q_CALL_x8(isa, NM) \
    qx_group_##isa(g, q4, nb, xq + (size_t)j * cols, sx + (size_t)j * nb, xo + (size_t)j * nb * 4, \
                   cols, out, NM)
#define Q_CASES_4(isa, kind)                 \
    switch (nm) {                            \
    case 4: Q_CALL_##kind(isa, 4); break;    \
    case 3: Q_CALL_##kind(isa, 3); break;    \
    case 2: Q_CALL_##kind(isa, 2); break;    \
    default: Q_CALL_##kind(isa, 1); break;   \
    }
#define Q_CASES_2(isa, kind) \
    if (nm == 2) Q_CALL_##kind(isa, 2); else Q_CALL_##kind(isa, 1);

#if CK_X86
CK_TARGET_AVX512 Q_ROWS(AVX512, 4, f32)
CK_TARGET_AVX512 Q_ROWS(AVX512, 4, x8)
// Two x rows per call: 4 rows x 2 x rows of accumulators fill the AVX2 register file.
CK_TARGET_AVX2 Q_ROWS(AVX2, 2, f32)
CK_TARGET_AVX2 Q_ROWS(AVX2, 2, x8)
#endif
Q_ROWS(portable, 4, f32)
Q_ROWS(portable, 4, x8)

typedef void (*q_rows_fn)(const uint8_t *, size_t, int, const float *, const int8_t *,
                          const float *, const int32_t *, const float *, float *, int, int, int,
                          int, int);

typedef struct {
    q_rows_fn fn;
    const uint8_t *p;
    size_t gb;
    int q4;
    const float *x;
    const int8_t *xq;
    const float *sx;
    const int32_t *xo;
    const float *bias;
    float *y;
    int m, rows, cols, n_groups, chunk;
} q_job;

static void q_task(void *ctx, int task, int thread) {
    (void)thread;
    const q_job *j = ctx;
    int g0 = task * j->chunk, g1 = ck_min(j->n_groups, g0 + j->chunk);
    if (g0 < g1)
        j->fn(j->p, j->gb, j->q4, j->x, j->xq, j->sx, j->xo, j->bias, j->y, j->m, j->rows, j->cols,
              g0, g1);
}

static void q_run(ck_pool *pool, q_job *job) {
    int threads = ck_pool_threads(pool);
    // Below ~32K weights a fork/join costs more than it saves.
    if (threads == 1 || (size_t)job->rows * job->cols < 32768 || job->n_groups < 2) {
        q_task(job, 0, 0);
        return;
    }
    // Two contiguous chunks per thread, as in matvec.c: long sequential streams for the
    // prefetchers, and a thread slowed by a neighbour leaves less work stranded.
    int tasks = threads * 2;
    job->chunk = (job->n_groups + tasks - 1) / tasks;
    ck_pool_run(pool, (job->n_groups + job->chunk - 1) / job->chunk, q_task, job);
}

void ck_matmul_quant(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                     const float *bias, float *y, int m, int rows, int cols) {
    if (m <= 0 || !ck_quant_size(f, rows, cols)) return;
    q_rows_fn fn = q_rows_portable_f32;
#if CK_X86
    switch (ck_isa_level()) {
    case CK_ISA_AVX512: fn = q_rows_AVX512_f32; break;
    case CK_ISA_AVX2: fn = q_rows_AVX2_f32; break;
    default: break;
    }
#endif
    int n_groups = (rows + QG - 1) / QG;
    q_job job = {fn, packed, q_group_bytes(f, cols), f == CK_Q4, x, NULL, NULL, NULL, bias, y,
                 m, rows, cols, n_groups, n_groups};
    q_run(pool, &job);
}

void ck_matmul_quant_x8(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                        const float *bias, float *y, int m, int rows, int cols) {
    if (m <= 0 || !ck_quant_size(f, rows, cols)) return;
    q_rows_fn fn = q_rows_portable_x8;
#if CK_X86
    switch (ck_isa_level()) {
    case CK_ISA_AVX512: fn = q_rows_AVX512_x8; break;
    case CK_ISA_AVX2: fn = q_rows_AVX2_x8; break;
    default: break;
    }
#endif
    // Quantized x: on the stack for decode-sized inputs, else on the heap.
    size_t n = (size_t)m * cols, nsx = n / QB;
    int8_t xq_stack[8192];
    float sx_stack[8192 / QB];
    int32_t xo_stack[8192 / QB * 4];
    int heap = n > sizeof xq_stack;
    int8_t *xq = heap ? malloc(n) : xq_stack;
    float *sx = heap ? malloc(nsx * sizeof(float)) : sx_stack;
    int32_t *xo = heap ? malloc(nsx * 4 * sizeof(int32_t)) : xo_stack;
    if (xq && sx && xo) {
        q_quantize_x(x, m, cols, xq, sx, xo);
        int n_groups = (rows + QG - 1) / QG;
        q_job job = {fn, packed, q_group_bytes(f, cols), f == CK_Q4, x, xq, sx, xo, bias, y,
                     m, rows, cols, n_groups, n_groups};
        q_run(pool, &job);
    } else {
        for (size_t i = 0; i < (size_t)m * rows; i++) y[i] = NAN; // out of memory
    }
    if (heap) {
        free(xq);
        free(sx);
        free(xo);
    }
}

void ck_matmul_quant_x8_ref(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                            const float *bias, float *y, int m, int rows, int cols) {
    (void)pool;
    if (m <= 0 || !ck_quant_size(f, rows, cols)) return;
    int nb = cols / QB;
    int8_t *xq = malloc((size_t)m * cols);
    float *sx = malloc(sizeof(float) * (size_t)m * nb);
    int32_t *xo = malloc(sizeof(int32_t) * (size_t)m * nb * 4);
    if (!xq || !sx || !xo) {
        free(xq);
        free(sx);
        free(xo);
        return;
    }
    q_quantize_x(x, m, cols, xq, sx, xo);
    // q_weight is q * d exactly (an 8-bit code times a bf16 scale fits a float), and its products
    // with xq fit a double, so blk is d * sum(q * xq) exactly.
    for (int j = 0; j < m; j++)
        for (int r = 0; r < rows; r++) {
            double s = bias ? bias[r] : 0.0;
            for (int b = 0; b < nb; b++) {
                double blk = 0.0;
                for (int i = 0; i < QB; i++) {
                    int c = b * QB + i;
                    blk += (double)q_weight(f, packed, r, c, cols) * xq[(size_t)j * cols + c];
                }
                s += blk * sx[(size_t)j * nb + b];
            }
            y[(size_t)j * rows + r] = (float)s;
        }
    free(xq);
    free(sx);
    free(xo);
}

// ---------------------------------------------------------------------------------------------
// Fingerprint of packed bytes (the packed-weight cache checks its files with it): eight
// independent multiply-xor lanes over 64-bit words, so it runs at several GB/s; not cryptographic.

uint64_t ck_fingerprint64(const void *data, size_t n, uint64_t seed) {
    const uint64_t prime = 0x100000001B3ull, mix = 0x9E3779B97F4A7C15ull;
    uint64_t h[8];
    for (int l = 0; l < 8; l++) h[l] = seed ^ (mix * (uint64_t)(l + 1));
    const unsigned char *p = data;
    size_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int l = 0; l < 8; l++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * l, 8);
            h[l] = (h[l] ^ w) * prime;
        }
    uint64_t r = seed ^ (uint64_t)n * mix;
    for (int l = 0; l < 8; l++) r = (r ^ h[l] ^ (h[l] >> 29)) * mix;
    for (; i < n; i++) r = (r ^ p[i]) * prime;
    return r ^ (r >> 32);
}
