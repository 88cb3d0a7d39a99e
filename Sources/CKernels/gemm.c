// General matrix product, Goto style. C is computed in micro-tiles of MR rows x NR columns whose
// accumulators live in registers for a depth of KC. Operands are first copied ("packed") into
// the exact order the micro-kernel reads them: A as slivers of MR rows ([k][MR]), B as slivers
// of NR columns ([k][NR]). Packing turns every layout (transposed or not, any stride) into
// unit-stride streams, and zero-pads the edges so the kernels need no scalar tails.
//
// Cache plan (per thread): a sliver of A (MR x KC) stays in L1 while the kernel sweeps the
// packed block of B (KC x NC, sized for L2); the packed panel of A (MC x KC) is read once per
// block of B, from L2/L3. Loop nest: rows of A in panels of MC, depth in steps of KC (pack the
// A panel), columns in blocks of NC (pack the B block), then MR x NR tiles.
//
// Threads split C into independent row or column ranges (no barriers): each task packs what it
// needs itself, which duplicates the packing of the operand that is shared, so we split the
// dimension that duplicates the smaller one.
#include "ck_internal.h"
#include <pthread.h>
#include <stdlib.h>

// Depth of one pass (the kernel's accumulation length).
#ifndef GEMM_KC
#define GEMM_KC 384
#endif
// Columns of B per packed block: KC x NC floats should use about half of L2.
#ifndef GEMM_NC
#define GEMM_NC 480
#endif
// Rows of A per packed panel. Large, so B is packed once for most shapes; bounds the scratch.
#ifndef GEMM_MC
#define GEMM_MC 1536
#endif

// Packed sliver heights the kernels are built for: a short edge sliver is zero-padded up to the
// next of these (so an m = 1 product does not run an MR-row kernel on padding).
#define GEMM_MAXMR 16
#define GEMM_MAXNV 4

typedef void (*gemm_kernel_fn)(int kc, const float *pa, const float *pb, float *c, size_t ldc,
                               int rows, int cols, float alpha, float beta);
// Packs `w` lines (rows of op(A) or columns of op(B)) of depth kc into dst[k * sw + l], zeroing
// lines w..sw-1. "lines" variant: line l is contiguous in k at src + l*ld (A as stored, B^T);
// "cols" variant: element (l, k) is src[k*ld + l] (A^T, B as stored).
typedef void (*gemm_pack_fn)(const float *src, size_t ld, int w, int sw, int kc, float *dst);

typedef struct {
    int mr, nr, vw;             // kernel rows, kernel columns, floats per vector
    gemm_pack_fn pack_lines, pack_cols;
    int pad_mr[GEMM_MAXMR + 1]; // packed height for an edge sliver of r rows
    gemm_kernel_fn kern[GEMM_MAXMR + 1][GEMM_MAXNV + 1]; // [packed height][vectors of columns]
} gemm_isa;

// ---------------------------------------------------------------------------------------------
// Portable: plain C the compiler vectorizes at whatever width the target has (SSE2, NEON).

#define P_MR 4
#define P_NR 16

CK_INLINE void kern_port(int kc, const float *pa, const float *pb, float *c, size_t ldc, int rows,
                         int cols, float alpha, float beta, const int MR) {
    float acc[P_MR][P_NR] = {{0}};
    for (int k = 0; k < kc; k++, pa += MR, pb += P_NR)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < P_NR; j++) acc[r][j] += pa[r] * pb[j];
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < cols; j++) cr[j] = alpha * acc[r][j];
        else
            for (int j = 0; j < cols; j++) cr[j] = alpha * acc[r][j] + beta * cr[j];
    }
}

#define PORT_KERN(MR)                                                                            \
    static void kern_port_##MR(int kc, const float *pa, const float *pb, float *c, size_t ldc,  \
                               int rows, int cols, float alpha, float beta) {                   \
        kern_port(kc, pa, pb, c, ldc, rows, cols, alpha, beta, MR);                              \
    }
PORT_KERN(1)
PORT_KERN(2)
PORT_KERN(4)

static void pack_lines_port(const float *src, size_t ld, int w, int sw, int kc, float *dst) {
    for (int l = 0; l < w; l++)
        for (int k = 0; k < kc; k++) dst[(size_t)k * sw + l] = src[(size_t)l * ld + k];
    for (int k = 0; k < kc; k++)
        for (int l = w; l < sw; l++) dst[(size_t)k * sw + l] = 0.0f;
}

CK_INLINE void pack_cols_body(const float *src, size_t ld, int w, int sw, int kc, float *dst) {
    for (int k = 0; k < kc; k++) {
        const float *s = src + (size_t)k * ld;
        float *d = dst + (size_t)k * sw;
        for (int l = 0; l < w; l++) d[l] = s[l];
        for (int l = w; l < sw; l++) d[l] = 0.0f;
    }
}
static void pack_cols_port(const float *src, size_t ld, int w, int sw, int kc, float *dst) {
    pack_cols_body(src, ld, w, sw, kc, dst);
}

static gemm_isa isa_port = {
    .mr = P_MR, .nr = P_NR, .vw = P_NR,
    .pack_lines = pack_lines_port, .pack_cols = pack_cols_port,
    .pad_mr = {0, 1, 2, 4, 4},
    .kern = {[1] = {[1] = kern_port_1}, [2] = {[1] = kern_port_2}, [4] = {[1] = kern_port_4}},
};

#if CK_X86
// ---------------------------------------------------------------------------------------------
// x86 packing. The "lines" layout needs a transpose: 8x8 blocks in AVX registers (shuffles are
// ~3x cheaper per element than scalar gathers), scalar only at the edges.

CK_TARGET_AVX2 CK_INLINE void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

CK_TARGET_AVX2 static void pack_lines_x86(const float *src, size_t ld, int w, int sw, int kc,
                                          float *dst) {
    int l = 0;
    for (; l + 8 <= w; l += 8) {
        const float *s = src + (size_t)l * ld;
        int k = 0;
        for (; k + 8 <= kc; k += 8) {
            __m256 r[8];
            for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(s + (size_t)i * ld + k);
            transpose8(r);
            for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (size_t)(k + i) * sw + l, r[i]);
        }
        for (; k < kc; k++)
            for (int i = 0; i < 8; i++) dst[(size_t)k * sw + l + i] = s[(size_t)i * ld + k];
    }
    for (; l < w; l++)
        for (int k = 0; k < kc; k++) dst[(size_t)k * sw + l] = src[(size_t)l * ld + k];
    for (int k = 0; k < kc; k++)
        for (int j = w; j < sw; j++) dst[(size_t)k * sw + j] = 0.0f;
}

CK_TARGET_AVX2 static void pack_cols_avx2(const float *src, size_t ld, int w, int sw, int kc,
                                          float *dst) {
    pack_cols_body(src, ld, w, sw, kc, dst);
}

// Masked 512-bit copies: one load and one store per 16 floats whatever w and sw are.
CK_TARGET_AVX512 static void pack_cols_avx512(const float *src, size_t ld, int w, int sw, int kc,
                                              float *dst) {
    for (int k = 0; k < kc; k++) {
        const float *s = src + (size_t)k * ld;
        float *d = dst + (size_t)k * sw;
        for (int l = 0; l < sw; l += 16) {
            int nl = ck_min(w - l, 16), ns = ck_min(sw - l, 16);
            __mmask16 ml = nl <= 0 ? 0 : (__mmask16)(0xFFFFu >> (16 - nl));
            __mmask16 ms = (__mmask16)(0xFFFFu >> (16 - ns));
            _mm512_mask_storeu_ps(d + l, ms, _mm512_maskz_loadu_ps(ml, s + l));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AVX-512 kernel: MR rows x NV vectors of 16 columns. The A value is broadcast straight from
// memory into the FMA; B vectors are loaded once per k and reused MR times.

#ifndef A5_MR
#define A5_MR 8
#endif
#ifndef A5_NV
#define A5_NV 3
#endif

CK_TARGET_AVX512 CK_INLINE void kern_avx512(int kc, const float *pa, const float *pb, float *c,
                                            size_t ldc, int rows, int cols, float alpha,
                                            float beta, const int MR, const int NV) {
    __m512 acc[A5_MR][A5_NV];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    // C is needed only at the end: start its lines on their way now.
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)r * ldc + 16 * NV - 1), _MM_HINT_T0);
    }
    for (int k = 0; k < kc; k++, pa += MR, pb += 16 * NV) {
        __m512 b[A5_NV];
        for (int v = 0; v < NV; v++) b[v] = _mm512_load_ps(pb + 16 * v);
        for (int r = 0; r < MR; r++) {
            __m512 a = _mm512_set1_ps(pa[r]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + (size_t)r * ldc;
        for (int v = 0; v < NV; v++) {
            int n = ck_min(cols - 16 * v, 16);
            __mmask16 mk = (__mmask16)(0xFFFFu >> (16 - n));
            __m512 x = _mm512_mul_ps(acc[r][v], va);
            if (beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, cr + 16 * v), vb, x);
            _mm512_mask_storeu_ps(cr + 16 * v, mk, x);
        }
    }
}

#define A5_KERN(MR, NV)                                                                          \
    CK_TARGET_AVX512 static void kern_avx512_##MR##_##NV(int kc, const float *pa,                \
                                                         const float *pb, float *c, size_t ldc,  \
                                                         int rows, int cols, float alpha,        \
                                                         float beta) {                           \
        kern_avx512(kc, pa, pb, c, ldc, rows, cols, alpha, beta, MR, NV);                        \
    }
#if A5_NV == 4
#define A5_KERNS(MR) A5_KERN(MR, 1) A5_KERN(MR, 2) A5_KERN(MR, 3) A5_KERN(MR, 4)
#define A5_ROW_(MR) [MR] = {[1] = kern_avx512_##MR##_1, [2] = kern_avx512_##MR##_2,              \
                            [3] = kern_avx512_##MR##_3, [4] = kern_avx512_##MR##_4}
#elif A5_NV == 3
#define A5_KERNS(MR) A5_KERN(MR, 1) A5_KERN(MR, 2) A5_KERN(MR, 3)
#define A5_ROW_(MR) [MR] = {[1] = kern_avx512_##MR##_1, [2] = kern_avx512_##MR##_2,              \
                            [3] = kern_avx512_##MR##_3}
#else
#define A5_KERNS(MR) A5_KERN(MR, 1) A5_KERN(MR, 2)
#define A5_ROW_(MR) [MR] = {[1] = kern_avx512_##MR##_1, [2] = kern_avx512_##MR##_2}
#endif
#define A5_ROW(MR) A5_ROW_(MR)
A5_KERNS(1)
A5_KERNS(2)
A5_KERNS(4)
#if A5_MR > 8
A5_KERNS(8)
#endif
#if A5_MR > 4
A5_KERNS(A5_MR)
#endif

// ---------------------------------------------------------------------------------------------
// AVX2 kernel: 6 rows x 2 vectors of 8 columns (12 accumulators of the 16 ymm registers).

#define A2_MR 6
#define A2_NV 2

CK_TARGET_AVX2 CK_INLINE void kern_avx2(int kc, const float *pa, const float *pb, float *c,
                                        size_t ldc, int rows, int cols, float alpha, float beta,
                                        const int MR, const int NV) {
    __m256 acc[A2_MR][A2_NV];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
    for (int k = 0; k < kc; k++, pa += MR, pb += 8 * NV) {
        __m256 b[A2_NV];
        for (int v = 0; v < NV; v++) b[v] = _mm256_load_ps(pb + 8 * v);
        for (int r = 0; r < MR; r++) {
            __m256 a = _mm256_broadcast_ss(pa + r);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(a, b[v], acc[r][v]);
        }
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + (size_t)r * ldc;
        for (int v = 0; v < NV; v++) {
            int n = cols - 8 * v;
            __m256 x = _mm256_mul_ps(acc[r][v], va);
            if (n >= 8) {
                if (beta != 0.0f) x = _mm256_fmadd_ps(_mm256_loadu_ps(cr + 8 * v), vb, x);
                _mm256_storeu_ps(cr + 8 * v, x);
            } else {
                __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lane);
                if (beta != 0.0f) x = _mm256_fmadd_ps(_mm256_maskload_ps(cr + 8 * v, mk), vb, x);
                _mm256_maskstore_ps(cr + 8 * v, mk, x);
            }
        }
    }
}

#define A2_KERN(MR, NV)                                                                          \
    CK_TARGET_AVX2 static void kern_avx2_##MR##_##NV(int kc, const float *pa, const float *pb,   \
                                                     float *c, size_t ldc, int rows, int cols,   \
                                                     float alpha, float beta) {                  \
        kern_avx2(kc, pa, pb, c, ldc, rows, cols, alpha, beta, MR, NV);                          \
    }
#define A2_KERNS(MR) A2_KERN(MR, 1) A2_KERN(MR, 2)
#define A2_ROW(MR) [MR] = {[1] = kern_avx2_##MR##_1, [2] = kern_avx2_##MR##_2}
A2_KERNS(1)
A2_KERNS(2)
A2_KERNS(4)
A2_KERNS(6)

static gemm_isa isa_avx512 = {
    .mr = A5_MR, .nr = 16 * A5_NV, .vw = 16,
    .pack_lines = pack_lines_x86, .pack_cols = pack_cols_avx512,
#if A5_MR == 8
    .pad_mr = {0, 1, 2, 4, 4, 8, 8, 8, 8},
#elif A5_MR == 12
    .pad_mr = {0, 1, 2, 4, 4, 8, 8, 8, 8, 12, 12, 12, 12},
#elif A5_MR == 14
    .pad_mr = {0, 1, 2, 4, 4, 8, 8, 8, 8, 14, 14, 14, 14, 14, 14},
#elif A5_MR == 6
    .pad_mr = {0, 1, 2, 4, 4, 6, 6},
#endif
    .kern = {A5_ROW(1), A5_ROW(2), A5_ROW(4),
#if A5_MR > 8
             A5_ROW(8),
#endif
             A5_ROW(A5_MR)},
};

static gemm_isa isa_avx2 = {
    .mr = A2_MR, .nr = 8 * A2_NV, .vw = 8,
    .pack_lines = pack_lines_x86, .pack_cols = pack_cols_avx2,
    .pad_mr = {0, 1, 2, 4, 4, 6, 6},
    .kern = {A2_ROW(1), A2_ROW(2), A2_ROW(4), A2_ROW(6)},
};
#endif // CK_X86

static const gemm_isa *gemm_pick(void) {
#if CK_X86
    switch (ck_isa_level()) {
    case CK_ISA_AVX512: return &isa_avx512;
    case CK_ISA_AVX2: return &isa_avx2;
    default: break;
    }
#endif
    return &isa_port;
}

// ---------------------------------------------------------------------------------------------
// Per-thread scratch, keyed by the OS thread (so concurrent callers, pooled or not, never share
// it), kept between calls and freed by a pthread key destructor when the thread exits.

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local float *tl_scratch;
static _Thread_local size_t tl_scratch_cap;

static void scratch_key_init(void) { pthread_key_create(&scratch_key, free); }

static float *scratch_get(size_t floats) {
    if (floats <= tl_scratch_cap) return tl_scratch;
    pthread_once(&scratch_once, scratch_key_init);
    free(tl_scratch);
    size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63; // aligned_alloc wants a multiple
    tl_scratch = aligned_alloc(64, bytes);
    tl_scratch_cap = tl_scratch ? floats : 0;
    pthread_setspecific(scratch_key, tl_scratch);
    return tl_scratch;
}

// ---------------------------------------------------------------------------------------------
// Driver.

typedef struct {
    const gemm_isa *isa;
    int trans_a, trans_b, m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    size_t lda, ldb, ldc;
    int split_m, chunk; // tasks own rows (split_m) or columns [task*chunk, +chunk)
} gemm_job;

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

// Packed A panel floats, rounded to 64 bytes so the B block after it is aligned.
static size_t panel_floats(const gemm_isa *I, int m, int k) {
    size_t f = (size_t)ck_min(k, GEMM_KC) * round_up(ck_min(m, GEMM_MC), I->mr);
    return (f + 15) & ~(size_t)15;
}

static size_t block_floats(const gemm_isa *I, int n, int k) {
    return (size_t)ck_min(k, GEMM_KC) * round_up(ck_min(n, GEMM_NC), I->nr);
}

// C[m0:m1, n0:n1] on the calling thread.
static void gemm_range(const gemm_job *g, int m0, int m1, int n0, int n1) {
    const gemm_isa *I = g->isa;
    size_t pa_floats = panel_floats(I, m1 - m0, g->k);
    float *buf = scratch_get(pa_floats + block_floats(I, n1 - n0, g->k));
    if (!buf) { // out of memory: the unblocked loops still give the right answer
        const float *a = g->a + (g->trans_a ? (size_t)m0 : (size_t)m0 * g->lda);
        const float *b = g->b + (g->trans_b ? (size_t)n0 * g->ldb : (size_t)n0);
        ck_sgemm_ref(NULL, g->trans_a, g->trans_b, m1 - m0, n1 - n0, g->k, g->alpha, a,
                     (int)g->lda, b, (int)g->ldb, g->beta, g->c + (size_t)m0 * g->ldc + n0,
                     (int)g->ldc);
        return;
    }
    float *pa_buf = buf;
    float *pb_buf = buf + pa_floats;
    for (int ic = m0; ic < m1; ic += GEMM_MC) {
        int mcb = ck_min(GEMM_MC, m1 - ic);
        for (int pc = 0; pc < g->k; pc += GEMM_KC) {
            int kcb = ck_min(GEMM_KC, g->k - pc);
            float beta = pc == 0 ? g->beta : 1.0f;
            float *pa = pa_buf;
            for (int ir = 0; ir < mcb; ir += I->mr) {
                int mr = ck_min(I->mr, mcb - ir), h = I->pad_mr[mr];
                if (g->trans_a)
                    I->pack_cols(g->a + (size_t)pc * g->lda + ic + ir, g->lda, mr, h, kcb, pa);
                else
                    I->pack_lines(g->a + (size_t)(ic + ir) * g->lda + pc, g->lda, mr, h, kcb, pa);
                pa += (size_t)h * kcb;
            }
            for (int jc = n0; jc < n1; jc += GEMM_NC) {
                int ncb = ck_min(GEMM_NC, n1 - jc);
                float *pb = pb_buf;
                for (int jr = 0; jr < ncb; jr += I->nr) {
                    int w = ck_min(I->nr, ncb - jr), sw = round_up(w, I->vw);
                    if (g->trans_b)
                        I->pack_lines(g->b + (size_t)(jc + jr) * g->ldb + pc, g->ldb, w, sw, kcb, pb);
                    else
                        I->pack_cols(g->b + (size_t)pc * g->ldb + jc + jr, g->ldb, w, sw, kcb, pb);
                    pb += (size_t)sw * kcb;
                }
                pa = pa_buf;
                for (int ir = 0; ir < mcb; ir += I->mr) {
                    int mr = ck_min(I->mr, mcb - ir), h = I->pad_mr[mr];
                    float *c = g->c + (size_t)(ic + ir) * g->ldc + jc;
                    pb = pb_buf;
                    for (int jr = 0; jr < ncb; jr += I->nr) {
                        int w = ck_min(I->nr, ncb - jr), nv = (w + I->vw - 1) / I->vw;
                        I->kern[h][nv](kcb, pa, pb, c + jr, g->ldc, mr, w, g->alpha, beta);
                        pb += (size_t)nv * I->vw * kcb;
                    }
                    pa += (size_t)h * kcb;
                }
            }
        }
    }
}

static void gemm_task(void *ctx, int task, int thread) {
    (void)thread;
    const gemm_job *g = ctx;
    int lo = task * g->chunk;
    if (g->split_m) {
        if (lo < g->m) gemm_range(g, lo, ck_min(g->m, lo + g->chunk), 0, g->n);
    } else {
        if (lo < g->n) gemm_range(g, 0, g->m, lo, ck_min(g->n, lo + g->chunk));
    }
}

static void scale_c(int m, int n, float beta, float *c, size_t ldc) {
    for (int i = 0; i < m; i++) {
        float *cr = c + (size_t)i * ldc;
        if (beta == 0.0f)
            for (int j = 0; j < n; j++) cr[j] = 0.0f;
        else
            for (int j = 0; j < n; j++) cr[j] *= beta;
    }
}

void ck_sgemm(ck_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha == 0.0f) {
        if (beta != 1.0f) scale_c(m, n, beta, c, (size_t)ldc);
        return;
    }
    const gemm_isa *I = gemm_pick();
    gemm_job g = {I, trans_a, trans_b, m, n, k, alpha, beta, a, b, c,
                  (size_t)lda, (size_t)ldb, (size_t)ldc, 0, n};
    int threads = ck_pool_threads(pool);
    double flops = 2.0 * m * n * k;
    // Splitting rows re-packs B in every task, splitting columns re-packs A: split the dimension
    // whose duplicate is smaller, as long as each part keeps whole kernel tiles.
    int parts = threads;
    if (threads > 1 && flops >= 4e6) {
        g.split_m = m > n;
        int len = g.split_m ? m : n, unit = g.split_m ? I->mr : I->nr;
        g.chunk = round_up((len + parts - 1) / parts, unit);
        parts = (len + g.chunk - 1) / g.chunk;
    } else {
        parts = 1;
    }
    if (parts <= 1) {
        gemm_range(&g, 0, m, 0, n);
        return;
    }
    ck_pool_run(pool, parts, gemm_task, &g);
}

// ---------------------------------------------------------------------------------------------
// Reference: the defining triple loop, float accumulation in k order.

void ck_sgemm_ref(ck_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c,
                  int ldc) {
    (void)pool;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            for (int p = 0; p < k; p++) {
                float x = trans_a ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                float y = trans_b ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += x * y;
            }
            float *cij = c + (size_t)i * ldc + j;
            *cij = beta == 0.0f ? alpha * s : alpha * s + beta * *cij;
        }
}
