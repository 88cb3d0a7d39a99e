// Weight-streaming products: y[m, rows] = x[m, cols] · W[rows, cols]^T for small m.
// Decode is bound by the bytes of W read, so each W row is loaded once per block of up to four
// x rows, widened to float32 in registers (bf16 is the top half of an f32: a shift), and
// accumulated in float32. Rows are split across the pool in contiguous chunks.
#include "ck_internal.h"

// x rows handled per sweep over a block of W rows: keeps that x tile in L2 while W streams.
#define MM_TILE_M 32

#if CK_X86
// ---------------------------------------------------------------------------------------------
// AVX-512: blocks of 4 W rows x up to 4 x rows, 16 columns per step, masked tail.

CK_TARGET_AVX512 CK_INLINE __m512 w16_avx512(const void *w, size_t at, int bf16) {
    if (bf16) {
        __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)w + at));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    return _mm512_loadu_ps((const float *)w + at);
}

CK_TARGET_AVX512 CK_INLINE __m512 w16_avx512_mask(const void *w, size_t at, int bf16, __mmask16 k) {
    if (bf16) {
        __m256i h = _mm256_maskz_loadu_epi16(k, (const uint16_t *)w + at);
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    }
    return _mm512_maskz_loadu_ps(k, (const float *)w + at);
}

// NR, NM and bf16 are literals at every call site, so the accumulators stay in registers.
CK_TARGET_AVX512 CK_INLINE void block_AVX512(const void *w, int bf16, int r, const float *x, int j,
                                             const float *bias, float *y, int rows, int cols,
                                             int NR, int NM) {
    __m512 acc[4][4];
    for (int a = 0; a < NR; a++)
        for (int b = 0; b < NM; b++) acc[a][b] = _mm512_setzero_ps();
    const size_t w0 = (size_t)r * cols;
    const float *x0 = x + (size_t)j * cols;
    // Software prefetch of the next block of rows (same columns): with short rows (2 KB of bf16)
    // the hardware prefetchers do not ramp up before a row ends; this gave +30-40% for bf16.
    const char *ahead = (const char *)w + (w0 + (size_t)NR * cols) * (bf16 ? 2 : 4);
    int c = 0;
    for (; c + 16 <= cols; c += 16) {
        if (!bf16 || (c & 16) == 0) // one prefetch per 64-byte line
            for (int a = 0; a < NR; a++)
                _mm_prefetch(ahead + ((size_t)a * cols + c) * (bf16 ? 2 : 4), _MM_HINT_T0);
        __m512 xv[4];
        for (int b = 0; b < NM; b++) xv[b] = _mm512_loadu_ps(x0 + (size_t)b * cols + c);
        for (int a = 0; a < NR; a++) {
            __m512 wv = w16_avx512(w, w0 + (size_t)a * cols + c, bf16);
            for (int b = 0; b < NM; b++) acc[a][b] = _mm512_fmadd_ps(wv, xv[b], acc[a][b]);
        }
    }
    if (c < cols) {
        __mmask16 k = (__mmask16)((1u << (cols - c)) - 1);
        __m512 xv[4];
        for (int b = 0; b < NM; b++) xv[b] = _mm512_maskz_loadu_ps(k, x0 + (size_t)b * cols + c);
        for (int a = 0; a < NR; a++) {
            __m512 wv = w16_avx512_mask(w, w0 + (size_t)a * cols + c, bf16, k);
            for (int b = 0; b < NM; b++) acc[a][b] = _mm512_fmadd_ps(wv, xv[b], acc[a][b]);
        }
    }
    for (int a = 0; a < NR; a++)
        for (int b = 0; b < NM; b++)
            y[(size_t)(j + b) * rows + r + a] =
                _mm512_reduce_add_ps(acc[a][b]) + (bias ? bias[r + a] : 0.0f);
}

// ---------------------------------------------------------------------------------------------
// AVX2+FMA: 8 columns per step; 16 ymm registers allow 4 W rows x 2 x rows. Scalar tail.

CK_TARGET_AVX2 CK_INLINE __m256 w8_avx2(const void *w, size_t at, int bf16) {
    if (bf16) {
        __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)w + at));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    return _mm256_loadu_ps((const float *)w + at);
}

CK_TARGET_AVX2 CK_INLINE float hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

CK_TARGET_AVX2 CK_INLINE void block_AVX2(const void *w, int bf16, int r, const float *x, int j,
                                         const float *bias, float *y, int rows, int cols, int NR,
                                         int NM) {
    __m256 acc[4][2];
    for (int a = 0; a < NR; a++)
        for (int b = 0; b < NM; b++) acc[a][b] = _mm256_setzero_ps();
    const size_t w0 = (size_t)r * cols;
    const float *x0 = x + (size_t)j * cols;
    const char *ahead = (const char *)w + (w0 + (size_t)NR * cols) * (bf16 ? 2 : 4);
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
        if ((c & (bf16 ? 24 : 8)) == 0) // one prefetch per 64-byte line
            for (int a = 0; a < NR; a++)
                _mm_prefetch(ahead + ((size_t)a * cols + c) * (bf16 ? 2 : 4), _MM_HINT_T0);
        __m256 xv[2];
        for (int b = 0; b < NM; b++) xv[b] = _mm256_loadu_ps(x0 + (size_t)b * cols + c);
        for (int a = 0; a < NR; a++) {
            __m256 wv = w8_avx2(w, w0 + (size_t)a * cols + c, bf16);
            for (int b = 0; b < NM; b++) acc[a][b] = _mm256_fmadd_ps(wv, xv[b], acc[a][b]);
        }
    }
    for (int a = 0; a < NR; a++)
        for (int b = 0; b < NM; b++) {
            float s = hsum_avx2(acc[a][b]);
            const float *xr = x0 + (size_t)b * cols;
            size_t wr = w0 + (size_t)a * cols;
            for (int t = c; t < cols; t++)
                s += (bf16 ? ck_bf16(((const uint16_t *)w)[wr + t]) : ((const float *)w)[wr + t]) * xr[t];
            y[(size_t)(j + b) * rows + r + a] = s + (bias ? bias[r + a] : 0.0f);
        }
}

// Walks rows [r0, r1) in blocks of 4 (then single rows) and x rows in blocks of MB, calling the
// block kernel with literal shape constants.
#define MM_DRIVER(isa, MB, kind, BF)                                                             \
    CK_TARGET_##isa static void mm_rows_##isa##_##kind(const void *w, const float *x,             \
                                                        const float *bias, float *y, int m,       \
                                                        int rows, int cols, int r0, int r1) {     \
        for (int jt = 0; jt < m; jt += MM_TILE_M) {                                               \
            int jend = ck_min(m, jt + MM_TILE_M);                                                 \
            for (int r = r0; r < r1; r += 4) {                                                    \
                int nr = ck_min(4, r1 - r);                                                       \
                for (int j = jt; j < jend; j += MB) {                                             \
                    int nm = ck_min(MB, jend - j);                                                \
                    if (nr == 4) {                                                                \
                        int rr = r;                                                               \
                        MM_CASES(isa, 4, nm, BF)                                                      \
                    } else {                                                                      \
                        for (int rr = r; rr < r + nr; rr++) { MM_CASES(isa, 1, nm, BF) }              \
                    }                                                                             \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }

#define MM_CALL(isa, nr, nm, BF) block_##isa(w, BF, rr, x, j, bias, y, rows, cols, nr, nm)
#define MM_CASES_4(isa, NR, nm, BF)                                                                   \
    switch (nm) {                                                                                 \
    case 4: MM_CALL(isa, NR, 4, BF); break;                                                           \
    case 3: MM_CALL(isa, NR, 3, BF); break;                                                           \
    case 2: MM_CALL(isa, NR, 2, BF); break;                                                           \
    default: MM_CALL(isa, NR, 1, BF); break;                                                          \
    }
#define MM_CASES_2(isa, NR, nm, BF)                                                                   \
    if (nm == 2) MM_CALL(isa, NR, 2, BF); else MM_CALL(isa, NR, 1, BF);

#define MM_CASES(isa, NR, nm, BF) MM_CASES_4(isa, NR, nm, BF)
MM_DRIVER(AVX512, 4, f32, 0)
MM_DRIVER(AVX512, 4, bf16, 1)
#undef MM_CASES
#define MM_CASES(isa, NR, nm, BF) MM_CASES_2(isa, NR, nm, BF)
MM_DRIVER(AVX2, 2, f32, 0)
MM_DRIVER(AVX2, 2, bf16, 1)
#undef MM_CASES

#endif // CK_X86

// ---------------------------------------------------------------------------------------------
// Portable: one lane-split dot product per output (vectorized by the compiler, NEON included).

static void mm_rows_portable(const void *w, int bf16, const float *x, const float *bias, float *y,
                             int m, int rows, int cols, int r0, int r1) {
    float wrow[256];
    for (int r = r0; r < r1; r++) {
        for (int j = 0; j < m; j++) {
            const float *xr = x + (size_t)j * cols;
            float s = 0.0f;
            if (bf16) {
                // Widen a slice of the row at a time so the dot itself stays a float loop.
                const uint16_t *wr = (const uint16_t *)w + (size_t)r * cols;
                for (int c0 = 0; c0 < cols; c0 += 256) {
                    int n = ck_min(256, cols - c0);
                    for (int i = 0; i < n; i++) wrow[i] = ck_bf16(wr[c0 + i]);
                    s += ck_dot(wrow, xr + c0, n);
                }
            } else {
                s = ck_dot((const float *)w + (size_t)r * cols, xr, cols);
            }
            y[(size_t)j * rows + r] = s + (bias ? bias[r] : 0.0f);
        }
    }
}

static void mm_rows_portable_f32(const void *w, const float *x, const float *bias, float *y, int m,
                                 int rows, int cols, int r0, int r1) {
    mm_rows_portable(w, 0, x, bias, y, m, rows, cols, r0, r1);
}

static void mm_rows_portable_bf16(const void *w, const float *x, const float *bias, float *y, int m,
                                  int rows, int cols, int r0, int r1) {
    mm_rows_portable(w, 1, x, bias, y, m, rows, cols, r0, r1);
}

// ---------------------------------------------------------------------------------------------
// Threading over rows.

typedef void (*mm_rows_fn)(const void *, const float *, const float *, float *, int, int, int, int,
                           int);

typedef struct {
    mm_rows_fn fn;
    const void *w;
    const float *x;
    const float *bias;
    float *y;
    int m, rows, cols, chunk;
} mm_job;

static void mm_task(void *ctx, int task, int thread) {
    (void)thread;
    const mm_job *j = ctx;
    int r0 = task * j->chunk;
    int r1 = ck_min(j->rows, r0 + j->chunk);
    if (r0 < r1) j->fn(j->w, j->x, j->bias, j->y, j->m, j->rows, j->cols, r0, r1);
}

static mm_rows_fn mm_pick(int bf16) {
#if CK_X86
    switch (ck_isa_level()) {
    case CK_ISA_AVX512: return bf16 ? mm_rows_AVX512_bf16 : mm_rows_AVX512_f32;
    case CK_ISA_AVX2: return bf16 ? mm_rows_AVX2_bf16 : mm_rows_AVX2_f32;
    default: break;
    }
#endif
    return bf16 ? mm_rows_portable_bf16 : mm_rows_portable_f32;
}

static void mm_run(ck_pool *pool, const void *w, int bf16, const float *x, const float *bias,
                   float *y, int m, int rows, int cols) {
    if (m <= 0 || rows <= 0) return;
    mm_job job = {mm_pick(bf16), w, x, bias, y, m, rows, cols, rows};
    int threads = ck_pool_threads(pool);
    // Below ~32K weights a fork/join costs more than it saves.
    if (threads == 1 || (size_t)rows * cols < 32768 || rows < 8) {
        mm_task(&job, 0, 0);
        return;
    }
    // Two chunks per thread: contiguous enough for the prefetchers, and a thread slowed by a
    // neighbour leaves less work stranded. Multiples of 4 keep the 4-row blocks whole.
    int tasks = threads * 2;
    int chunk = (rows + tasks - 1) / tasks;
    chunk = (chunk + 3) & ~3;
    job.chunk = chunk;
    ck_pool_run(pool, (rows + chunk - 1) / chunk, mm_task, &job);
}

void ck_matvec_f32(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                   int rows, int cols) {
    mm_run(pool, w, 0, x, bias, y, 1, rows, cols);
}

void ck_matvec_bf16(ck_pool *pool, const uint16_t *w, const float *x, const float *bias, float *y,
                    int rows, int cols) {
    mm_run(pool, w, 1, x, bias, y, 1, rows, cols);
}

void ck_matmul_f32(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                   int m, int rows, int cols) {
    mm_run(pool, w, 0, x, bias, y, m, rows, cols);
}

void ck_matmul_bf16(ck_pool *pool, const uint16_t *w, const float *x, const float *bias, float *y,
                    int m, int rows, int cols) {
    mm_run(pool, w, 1, x, bias, y, m, rows, cols);
}

// ---------------------------------------------------------------------------------------------
// Conversions.

CK_INLINE void bf16_body(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = ck_bf16(src[i]);
}
CK_VARIANTS(bf16_to_f32, bf16_body, (const uint16_t *s, float *d, size_t n), (s, d, n))
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
    CK_DISPATCH(bf16_to_f32, (src, dst, n));
}

static float f16_scalar(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF;
    if (exp == 0x1F) return ck_bits_to_f32(sign | 0x7F800000u | (man << 13));
    if (exp == 0) {
        // Subnormal or zero: man * 2^-24, exact in float32.
        float v = (float)man * 5.9604644775390625e-08f;
        return sign ? -v : v;
    }
    return ck_bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

#if CK_X86
CK_TARGET_AVX512 static void f16_avx512(const uint16_t *s, float *d, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(s + i))));
    for (; i < n; i++) d[i] = f16_scalar(s[i]);
}
CK_TARGET_AVX2 static void f16_avx2(const uint16_t *s, float *d, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
    for (; i < n; i++) d[i] = f16_scalar(s[i]);
}
#endif

void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
#if CK_X86
    switch (ck_isa_level()) {
    case CK_ISA_AVX512: f16_avx512(src, dst, n); return;
    case CK_ISA_AVX2: f16_avx2(src, dst, n); return;
    default: break;
    }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = f16_scalar(src[i]);
}

void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t b = ck_f32_to_bits(src[i]);
        if ((b & 0x7FFFFFFFu) > 0x7F800000u) { dst[i] = (uint16_t)((b >> 16) | 0x40); continue; }
        b += 0x7FFFu + ((b >> 16) & 1u);
        dst[i] = (uint16_t)(b >> 16);
    }
}
