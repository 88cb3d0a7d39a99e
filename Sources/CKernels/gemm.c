// General matrix product, Goto style. C is computed in micro-tiles of MR rows x NR columns whose
// accumulators stay in registers for a depth of KC. The operands are first copied ("packed")
// into the order the micro-kernel reads them: A as slivers of MR rows ([k][MR]), B as slivers of
// NR columns ([k][NR]). Packing turns every layout (transposed or not, any stride) into
// unit-stride streams and zero-pads the edges, so the kernels need no scalar tails.
//
// Cache plan (per thread): a sliver of A (MR x KC) stays in L1 while the kernel sweeps a packed
// block of B (KC x NC, about half of L2); the packed panel of A (MC x KC) is re-read once per
// block of B, from L2/L3. Loops: rows in panels of MC, depth in passes of KC, columns in blocks
// of NC, then MR x NR tiles.
//
// Narrow shapes skip a packing step that would cost more than it saves: with one sliver of B
// each A value is used once per pass, so the kernel reads A in place; and thin products (a few
// rows, or a few columns with A^T as stored) stream the wide operand once (thin_body).
//
// Threads split C into independent row or column ranges (no barriers): each task packs what it
// uses itself, which duplicates the packing of the shared operand, so we split the dimension
// whose duplicate is smaller.
//
// A convolution (ck_sgemm_conv) is the product of its weights [c_out, taps * c_in] with the
// im2col matrix of its input, never formed: row j * c_in + c of that B is input channel c shifted
// by j * dilation, so with the weights tap-major every pass over k lies within one tap and reads
// B as an ordinary strided matrix (b_row).
//
// Weights in a narrower format (prefill's C = X · W^T with W [n, k] as bf16 or q8/q4) are
// converted while B is packed (ck_sgemm_bf16w, ck_sgemm_quantw): each weight is read once, in
// its own format, by the thread whose columns it feeds, instead of a single-threaded pass that
// widens the whole matrix to f32 first and a second pass that packs the widened copy.
#include "ck_internal.h"
#include <pthread.h>
#include <stdlib.h>

// Blocking and thresholds, measured on a 2-core Skylake-SP (32 KB L1, 1 MB L2 per core) against
// OpenBLAS; the -D overrides exist for such measurements.
//
// Depth of a pass (the kernel's accumulation length). Passes are balanced: k = 400 runs as
// 2 x 200, not 384 + 16 (a shallow pass is mostly C traffic).
#ifndef GEMM_KC
#define GEMM_KC 384
#endif
// Floats of packed B per block (KC x NC): 0.7 MB, most of L2; a shallower pass gets a wider
// block. (KC x 240 and x 336 measured the same.)
#ifndef GEMM_KC_NC
#define GEMM_KC_NC (384 * 480)
#endif
// Rows of A per packed panel: large, so B is packed once for most shapes; bounds the scratch
// (panel + block: about 3 MB per thread at most).
#ifndef GEMM_MC
#define GEMM_MC 1536
#endif
// Floats of each source row read in one go when packing from the layouts where a sliver is a
// few floats of each of many rows (A^T, B as stored): runs of a few cache lines. Per-sliver
// runs (8 floats of A^T) were 1.5x slower on transposed convolutions.
#define GEMM_RUN_A 64
#define GEMM_RUN_B 192
// pack_cols prefetches its source this many rows ahead (measured slightly ahead of prefetching
// the next group's lines, which pushed 300 KB through L2 at once).
#define GEMM_PACK_PF_ROWS 16
// Kernel prefetch distance along packed B, in k steps (+5-8% over none).
#define GEMM_PF_B 8
// In-place A^T (direct kernel): prefetch this many floats ahead along each row (a later sliver).
#define GEMM_PF_A 32
// A read in place (no packing) when C has at most this many columns (one sliver of B).
#ifndef GEMM_DIRECT_N
#define GEMM_DIRECT_N(nr) (nr)
#endif
// Pass depth in place: A^T rows are read a few floats per sliver, so few rows at a time keep the
// number of streams low (128 beat 32 and 384 on both cached and DRAM-bound shapes); A rows are
// contiguous, so deep passes give long runs.
#define GEMM_KC_DT 128
#define GEMM_KC_DN 1024
// Thin products (thin_body) up to this many rows of C (B as stored) or columns (A^T as stored).
// Rows: at m = 8 thin was 1.6x the packed path, at m = 16 0.8x. Columns: above 16 the in-place
// kernel wins.
#ifndef GEMM_THIN_M
#define GEMM_THIN_M 8
#endif
#ifndef GEMM_THIN_N
#define GEMM_THIN_N 16
#endif
// Thread split: the duplicated operand's packing, weighted (a transposing pack costs about two
// copies). One task per thread: more tasks (dynamic balance) measured 5-25% slower here.
#ifndef GEMM_SPLIT_M
#define GEMM_SPLIT_M(wm, wn) ((wm) > (wn))
#endif

#define GEMM_MAXMR 8
#define GEMM_MAXNV 3

// The micro-kernel: C[rows, cols] (rows <= MR, cols <= NR) = alpha * A_sliver · B_sliver + beta *
// C over kc steps. Packed A: element (r, k) at a[k * MR + r]; in place ("direct"): at
// a[r * ars + k * aks]. beta == 0 does not read C.
typedef void (*gemm_kernel_fn)(int kc, const float *a, size_t ars, size_t aks, const float *pb,
                               float *c, size_t ldc, int rows, int cols, float alpha, float beta);
// Packing. A "line" is a row of op(A) or a column of op(B); a sliver of s lines is stored
// [k][s]. pack_lines: line l is contiguous in k at src + l*ld (A as stored, B^T); packs one
// sliver of w lines into dst[k * sw + l], zeroing lines w..sw-1.
typedef void (*gemm_pack_lines_fn)(const float *src, size_t ld, int w, int sw, int kc, float *dst);
// The same from bf16 lines (widened exactly on the way).
typedef void (*gemm_pack_lines16_fn)(const uint16_t *src, size_t ld, int w, int sw, int kc,
                                     float *dst);
// pack_cols: line l of step k is src[k*ld + l] (A^T, B as stored); packs `width` lines as
// slivers of s (sliver i at dst + i*s*kc), the last, shorter one zero-padded to s_last lines.
// Several slivers at once, row by row, so each row of src is read in a run of a few lines.
typedef void (*gemm_pack_cols_fn)(const float *src, size_t ld, int width, int kc, int s,
                                  int s_last, float *dst);

typedef struct gemm_job gemm_job;

typedef struct {
    int mr, nr, vw; // kernel rows, kernel columns, floats per vector
    gemm_pack_lines_fn pack_lines;
    gemm_pack_lines16_fn pack_lines_bf16;
    gemm_pack_cols_fn pack_cols;
    // Packed height for an edge sliver of r rows: the next height a kernel is built for, so an
    // m = 1 product does not run an MR-row kernel on padding.
    int pad_mr[GEMM_MAXMR + 1];
    gemm_kernel_fn kern[GEMM_MAXMR + 1][GEMM_MAXNV + 1]; // [packed height][vectors of columns]
    gemm_kernel_fn direct[GEMM_MAXNV + 1];               // MR rows of A in place; NULL: none
    void (*thin)(const gemm_job *g, float *acc, int l0, int l1);
} gemm_isa;

// Storage of B (the transposed-B weight products keep it in its own format; see pack_b_weights).
enum { GEMM_B_F32, GEMM_B_BF16, GEMM_B_QUANT };

struct gemm_job {
    const gemm_isa *isa;
    int trans_a, trans_b, m, n, k;
    float alpha, beta;
    const float *a, *b;
    int bfmt;            // GEMM_B_*; not f32: trans_b, B [n, k] at bw (ldb) or quantized at bq
    ck_qformat qf;
    const uint16_t *bw;
    const void *bq;
    float *c;
    size_t lda, ldb, ldc;
    int kc, nc;         // depth of a pass, columns of a packed B block
    int direct;         // A slivers read in place (see gemm_range)
    int thin;           // 1: few rows, 2: few columns (see thin_body); tasks split L
    int split_m, chunk; // tasks own rows (split_m) or columns [task*chunk, +chunk)
    int conv_cin, conv_dil; // > 0: B is a convolution's implicit im2col (see b_row)
};

// Row p of B as stored (not trans_b). For a convolution row j * cin + c is channel c of the
// input (row stride ldb) starting j * dilation samples in.
CK_INLINE const float *b_row(const gemm_job *g, int p) {
    if (g->conv_cin)
        return g->b + (size_t)(p % g->conv_cin) * g->ldb + (size_t)(p / g->conv_cin) * g->conv_dil;
    return g->b + (size_t)p * g->ldb;
}

// Depth of the pass starting at pc: at most kc, and never across a convolution's tap.
CK_INLINE int pass_depth(const gemm_job *g, int pc) {
    int d = ck_min(g->kc, g->k - pc);
    return g->conv_cin ? ck_min(d, g->conv_cin - pc % g->conv_cin) : d;
}

// ---------------------------------------------------------------------------------------------
// Thin products: a few rows of C with B as stored, or a few columns of C with A^T as stored.
// Either way one operand S is a wide row-major [k, L] matrix whose values are each used only a
// few (s) times: packing it would cost more than the arithmetic, and reading it in kernel-sized
// slivers makes hundreds of short strided streams the prefetchers cannot follow. Instead S is
// streamed row after row in long runs, into s accumulator rows of L columns kept in an L1/L2
// sized buffer; the few values of the other operand are scalars. Plain C, compiled per ISA.
// thin == 1: out = C rows (s = m, S = B); thin == 2: out = C columns (s = n, S = A^T).

#define THIN_FLOATS 8192
#define THIN_MAX 16
_Static_assert(GEMM_THIN_M <= THIN_MAX && GEMM_THIN_N <= THIN_MAX, "thin_body holds THIN_MAX rows");

CK_INLINE void thin_body(const gemm_job *g, float *acc, int l0, int l1) {
    const int rows = g->thin == 1, s = rows ? g->m : g->n;
    const float *S = rows ? g->b : g->a;
    const size_t lds = rows ? g->ldb : g->lda;
    const int lb = THIN_FLOATS / s / 16 * 16;
    for (int j0 = l0; j0 < l1; j0 += lb) {
        const int nb = ck_min(lb, l1 - j0);
        for (int i = 0; i < s * nb; i++) acc[i] = 0.0f;
        for (int k = 0; k < g->k; k += 4) {
            const int kn = ck_min(4, g->k - k);
            const float *sr[4];
            float x[THIN_MAX][4];
            for (int u = 0; u < 4; u++) {
                // Past the end: a zero coefficient on a valid row.
                int p = k + (u < kn ? u : 0);
                sr[u] = (rows ? b_row(g, p) : S + (size_t)p * lds) + j0;
                for (int i = 0; i < s; i++) {
                    size_t kk = (size_t)k + u;
                    x[i][u] = u >= kn ? 0.0f
                              : rows ? (g->trans_a ? g->a[kk * g->lda + i] : g->a[i * g->lda + kk])
                                     : (g->trans_b ? g->b[i * g->ldb + kk] : g->b[kk * g->ldb + i]);
                }
            }
            // Each row run starts cold (rows are far apart): ask for a later one early.
            if (k + 8 < g->k) {
                const float *later = (rows ? b_row(g, k + 8) : S + (size_t)(k + 8) * lds) + j0;
                for (int j = 0; j < nb && j < 128; j += 16) __builtin_prefetch(later + j);
            }
            for (int i = 0; i < s; i++) {
                float *ar = acc + (size_t)i * nb;
                const float x0 = x[i][0], x1 = x[i][1], x2 = x[i][2], x3 = x[i][3];
                for (int j = 0; j < nb; j++)
                    ar[j] += x0 * sr[0][j] + x1 * sr[1][j] + x2 * sr[2][j] + x3 * sr[3][j];
            }
        }
        for (int i = 0; i < s; i++) {
            const float *ar = acc + (size_t)i * nb;
            float *c = rows ? g->c + (size_t)i * g->ldc + j0 : g->c + (size_t)j0 * g->ldc + i;
            const size_t step = rows ? 1 : g->ldc;
            if (g->beta == 0.0f)
                for (int j = 0; j < nb; j++) c[j * step] = g->alpha * ar[j];
            else
                for (int j = 0; j < nb; j++) c[j * step] = g->alpha * ar[j] + g->beta * c[j * step];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Portable: plain C the compiler vectorizes at whatever width the target has (SSE2, NEON).

// 4 x 16 accumulators fill NEON's 32 registers by half; on baseline x86-64 (16 SSE registers)
// they spill, and 4 x 8 measured 3.7x faster.
#define P_MR 4
#ifndef P_NR
#if defined(__aarch64__)
#define P_NR 16
#else
#define P_NR 8
#endif
#endif

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
    static void kern_port_##MR(int kc, const float *a, size_t ars, size_t aks, const float *pb,  \
                               float *c, size_t ldc, int rows, int cols, float alpha,            \
                               float beta) {                                                     \
        (void)ars, (void)aks;                                                                    \
        kern_port(kc, a, pb, c, ldc, rows, cols, alpha, beta, MR);                               \
    }
PORT_KERN(1)
PORT_KERN(2)
PORT_KERN(4)

// Element i of a source that is f32 or bf16 (a compile-time choice in each packer).
CK_INLINE float load_f(const void *src, size_t i, const int bf16) {
    return bf16 ? ck_bf16(((const uint16_t *)src)[i]) : ((const float *)src)[i];
}

CK_INLINE void pack_lines_port_body(const void *src, size_t ld, int w, int sw, int kc, float *dst,
                                    const int bf16) {
    for (int l = 0; l < w; l++)
        for (int k = 0; k < kc; k++) dst[(size_t)k * sw + l] = load_f(src, (size_t)l * ld + k, bf16);
    for (int k = 0; k < kc; k++)
        for (int l = w; l < sw; l++) dst[(size_t)k * sw + l] = 0.0f;
}
static void pack_lines_port(const float *src, size_t ld, int w, int sw, int kc, float *dst) {
    pack_lines_port_body(src, ld, w, sw, kc, dst, 0);
}
static void pack_lines_port_bf16(const uint16_t *src, size_t ld, int w, int sw, int kc,
                                 float *dst) {
    pack_lines_port_body(src, ld, w, sw, kc, dst, 1);
}

// Step k of pack_cols: one row of src into every sliver.
CK_INLINE void pack_cols_row(const float *row, int k, int width, int kc, int s, int s_last,
                             float *dst) {
    int full = width / s, wl = width - full * s;
    for (int i = 0; i < full; i++) {
        float *d = dst + ((size_t)i * kc + k) * s;
        for (int l = 0; l < s; l++) d[l] = row[i * s + l];
    }
    if (wl) {
        float *d = dst + (size_t)full * s * kc + (size_t)k * s_last;
        for (int l = 0; l < wl; l++) d[l] = row[full * s + l];
        for (int l = wl; l < s_last; l++) d[l] = 0.0f;
    }
}

static void pack_cols_port(const float *src, size_t ld, int width, int kc, int s, int s_last,
                           float *dst) {
    for (int k = 0; k < kc; k++) pack_cols_row(src + (size_t)k * ld, k, width, kc, s, s_last, dst);
}

static void thin_port(const gemm_job *g, float *acc, int l0, int l1) { thin_body(g, acc, l0, l1); }

static const gemm_isa isa_port = {
    .mr = P_MR, .nr = P_NR, .vw = P_NR,
    .pack_lines = pack_lines_port, .pack_lines_bf16 = pack_lines_port_bf16,
    .pack_cols = pack_cols_port,
    .pad_mr = {0, 1, 2, 4, 4},
    .kern = {[1] = {[1] = kern_port_1}, [2] = {[1] = kern_port_2}, [4] = {[1] = kern_port_4}},
    .thin = thin_port,
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

// 8 consecutive f32 or bf16 values as f32 (bf16 is the top half of an f32).
CK_TARGET_AVX2 CK_INLINE __m256 load8_x86(const void *src, size_t i, const int bf16) {
    if (!bf16) return _mm256_loadu_ps((const float *)src + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)src + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

// Groups of up to 8 lines; a short group (the AVX2 kernel's 6, edge slivers) transposes zeros
// for the missing lines and stores only its own lanes. Shared by the AVX2 and AVX-512 tables.
CK_TARGET_AVX2 CK_INLINE void pack_lines_x86_body(const void *src, size_t ld, int w, int sw,
                                                  int kc, float *dst, const int bf16) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int l = 0; l < w; l += 8) {
        const int nl = ck_min(8, w - l);
        const size_t s = (size_t)l * ld;
        const __m256i mk = _mm256_cmpgt_epi32(_mm256_set1_epi32(nl), lane);
        int k = 0;
        for (; k + 8 <= kc; k += 8) {
            __m256 r[8];
            // bf16 weights stream from memory, each line a separate far-apart row: start the
            // next group's rows a group ahead (a few percent on prefill shapes).
            if (bf16 && k % 32 == 0)
                for (int i = 0; i < 8; i++)
                    _mm_prefetch((const char *)((const uint16_t *)src + s + (i + 8) * ld + k),
                                 _MM_HINT_T0);
            for (int i = 0; i < 8; i++)
                r[i] = i < nl ? load8_x86(src, s + (size_t)i * ld + k, bf16) : _mm256_setzero_ps();
            transpose8(r);
            if (nl == 8)
                for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (size_t)(k + i) * sw + l, r[i]);
            else
                for (int i = 0; i < 8; i++)
                    _mm256_maskstore_ps(dst + (size_t)(k + i) * sw + l, mk, r[i]);
        }
        for (; k < kc; k++)
            for (int i = 0; i < nl; i++)
                dst[(size_t)k * sw + l + i] = load_f(src, s + (size_t)i * ld + k, bf16);
    }
    for (int k = 0; k < kc; k++)
        for (int j = w; j < sw; j++) dst[(size_t)k * sw + j] = 0.0f;
}
CK_TARGET_AVX2 static void pack_lines_x86(const float *src, size_t ld, int w, int sw, int kc,
                                          float *dst) {
    pack_lines_x86_body(src, ld, w, sw, kc, dst, 0);
}
CK_TARGET_AVX2 static void pack_lines_x86_bf16(const uint16_t *src, size_t ld, int w, int sw,
                                               int kc, float *dst) {
    pack_lines_x86_body(src, ld, w, sw, kc, dst, 1);
}

// Rows of src are far apart (often a page or more), so the hardware prefetchers start each row
// cold: fetch a few rows ahead.
CK_TARGET_AVX2 static void pack_cols_avx2(const float *src, size_t ld, int width, int kc, int s,
                                          int s_last, float *dst) {
    for (int k = 0; k < kc; k++) {
        const float *row = src + (size_t)k * ld;
        for (int l = 0; l < width; l += 16)
            _mm_prefetch((const char *)(row + GEMM_PACK_PF_ROWS * ld + l), _MM_HINT_T0);
        pack_cols_row(row, k, width, kc, s, s_last, dst);
    }
}

// Copies n (<= 16, may be <= 0) floats into d, zeroing d[n .. ns).
CK_TARGET_AVX512 CK_INLINE void copy16_avx512(const float *src, float *d, int n, int ns) {
    __mmask16 ml = n <= 0 ? 0 : (__mmask16)(0xFFFFu >> (16 - ck_min(n, 16)));
    _mm512_mask_storeu_ps(d, (__mmask16)(0xFFFFu >> (16 - ns)), _mm512_maskz_loadu_ps(ml, src));
}

CK_TARGET_AVX512 static void pack_cols_avx512(const float *src, size_t ld, int width, int kc,
                                              int s, int s_last, float *dst) {
    int full = width / s, wl = width - full * s;
    float *last = dst + (size_t)full * s * kc;
    for (int k = 0; k < kc; k++) {
        const float *row = src + (size_t)k * ld;
        for (int l = 0; l < width; l += 16)
            _mm_prefetch((const char *)(row + GEMM_PACK_PF_ROWS * ld + l), _MM_HINT_T0);
        if (s % 16 == 0) { // B slivers: whole aligned vectors
            for (int i = 0; i < full; i++) {
                float *d = dst + ((size_t)i * kc + k) * s;
                for (int l = 0; l < s; l += 16)
                    _mm512_store_ps(d + l, _mm512_loadu_ps(row + i * s + l));
            }
        } else if (s == 8) { // A slivers
            for (int i = 0; i < full; i++)
                _mm256_storeu_ps(dst + ((size_t)i * kc + k) * 8, _mm256_loadu_ps(row + i * 8));
        } else {
            for (int i = 0; i < full; i++) {
                float *d = dst + ((size_t)i * kc + k) * s;
                for (int l = 0; l < s; l += 16)
                    copy16_avx512(row + i * s + l, d + l, s - l, ck_min(s - l, 16));
            }
        }
        if (wl) {
            float *d = last + (size_t)k * s_last;
            for (int l = 0; l < s_last; l += 16)
                copy16_avx512(row + full * s + l, d + l, wl - l, ck_min(s_last - l, 16));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// AVX-512 kernel: 8 rows x 3 vectors of 16 columns (24 accumulators of the 32 zmm registers).
// Each A value is broadcast from memory and used for 3 FMAs; each B vector, loaded once per k,
// for 8. Measured against 12x32, 14x32 and 6x64 on Skylake-SP: all within a few percent.

#define A5_MR 8
#define A5_NV 3

CK_TARGET_AVX512 CK_INLINE void kern_avx512(int kc, const float *a, size_t ars, size_t aks,
                                            const float *pb, float *c, size_t ldc, int rows,
                                            int cols, float alpha, float beta, const int MR,
                                            const int NV, const int DIRECT) {
    const size_t rs = DIRECT ? ars : 1, ks = DIRECT ? aks : (size_t)MR;
    // A^T read in place: hundreds of rows each advance by a few floats per sliver, too many
    // streams for the hardware prefetchers; fetch each row's line for a later sliver.
    const int pf_a = DIRECT && ks != 1;
    __m512 acc[A5_MR][A5_NV];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
    // C is needed only at the end: start its lines on their way now.
    for (int r = 0; r < rows; r++) {
        const char *cr = (const char *)(c + (size_t)r * ldc);
        for (int v = 0; v < NV; v++) _mm_prefetch(cr + 64 * v, _MM_HINT_T0);
        _mm_prefetch(cr + 64 * NV - 4, _MM_HINT_T0); // the row may straddle one more line
    }
    for (int k = 0; k < kc; k++, a += ks, pb += 16 * NV) {
        // Packed B streams from L2; the hardware prefetcher alone leaves the kernel ~5% short.
        for (int v = 0; v < NV; v++)
            _mm_prefetch((const char *)(pb + 16 * (v + NV * GEMM_PF_B)), _MM_HINT_T0);
        if (pf_a) _mm_prefetch((const char *)(a + GEMM_PF_A), _MM_HINT_T0);
        __m512 b[A5_NV];
        for (int v = 0; v < NV; v++) b[v] = _mm512_load_ps(pb + 16 * v);
        for (int r = 0; r < MR; r++) {
            __m512 av = _mm512_set1_ps(a[r * rs]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, b[v], acc[r][v]);
        }
    }
    // The epilogue indexes rows by a variable; going through a buffer keeps that away from
    // acc[], which must stay in registers.
    float out[A5_MR][16 * A5_NV] __attribute__((aligned(64)));
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) _mm512_store_ps(out[r] + 16 * v, acc[r][v]);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        for (int v = 0; v < NV; v++) {
            int n = ck_min(cols - 16 * v, 16);
            __mmask16 mk = (__mmask16)(0xFFFFu >> (16 - n));
            __m512 x = _mm512_mul_ps(_mm512_load_ps(out[r] + 16 * v), va);
            if (beta != 0.0f) x = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mk, cr + 16 * v), vb, x);
            _mm512_mask_storeu_ps(cr + 16 * v, mk, x);
        }
    }
}

#define A5_KERN(MR, NV, DIRECT, name)                                                            \
    CK_TARGET_AVX512 static void name(int kc, const float *a, size_t ars, size_t aks,            \
                                      const float *pb, float *c, size_t ldc, int rows, int cols, \
                                      float alpha, float beta) {                                 \
        kern_avx512(kc, a, ars, aks, pb, c, ldc, rows, cols, alpha, beta, MR, NV, DIRECT);       \
    }
#define A5_KERNS(MR)                                                                             \
    A5_KERN(MR, 1, 0, kern_avx512_##MR##_1)                                                      \
    A5_KERN(MR, 2, 0, kern_avx512_##MR##_2) A5_KERN(MR, 3, 0, kern_avx512_##MR##_3)
#define A5_ROW(MR) [MR] = {[1] = kern_avx512_##MR##_1, [2] = kern_avx512_##MR##_2,               \
                           [3] = kern_avx512_##MR##_3}
A5_KERNS(1)
A5_KERNS(2)
A5_KERNS(4)
A5_KERNS(8)
A5_KERN(8, 1, 1, kdir_avx512_1)
A5_KERN(8, 2, 1, kdir_avx512_2)
A5_KERN(8, 3, 1, kdir_avx512_3)

CK_TARGET_AVX512 static void thin_avx512(const gemm_job *g, float *acc, int l0, int l1) {
    thin_body(g, acc, l0, l1);
}

static const gemm_isa isa_avx512 = {
    .mr = A5_MR, .nr = 16 * A5_NV, .vw = 16,
    .pack_lines = pack_lines_x86, .pack_lines_bf16 = pack_lines_x86_bf16,
    .pack_cols = pack_cols_avx512,
    .pad_mr = {0, 1, 2, 4, 4, 8, 8, 8, 8},
    .kern = {A5_ROW(1), A5_ROW(2), A5_ROW(4), A5_ROW(8)},
    .direct = {[1] = kdir_avx512_1, [2] = kdir_avx512_2, [3] = kdir_avx512_3},
    .thin = thin_avx512,
};

// ---------------------------------------------------------------------------------------------
// AVX2 kernel: 6 rows x 2 vectors of 8 columns (12 accumulators of the 16 ymm registers).

#define A2_MR 6
#define A2_NV 2

CK_TARGET_AVX2 CK_INLINE void kern_avx2(int kc, const float *a, size_t ars, size_t aks,
                                        const float *pb, float *c, size_t ldc, int rows, int cols,
                                        float alpha, float beta, const int MR, const int NV,
                                        const int DIRECT) {
    const size_t rs = DIRECT ? ars : 1, ks = DIRECT ? aks : (size_t)MR;
    const int pf_a = DIRECT && ks != 1;
    __m256 acc[A2_MR][A2_NV];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    for (int r = 0; r < rows; r++) {
        _mm_prefetch((const char *)(c + (size_t)r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + (size_t)r * ldc + 8 * NV - 1), _MM_HINT_T0);
    }
    for (int k = 0; k < kc; k++, a += ks, pb += 8 * NV) {
        _mm_prefetch((const char *)(pb + 8 * NV * GEMM_PF_B), _MM_HINT_T0);
        if (pf_a) _mm_prefetch((const char *)(a + GEMM_PF_A), _MM_HINT_T0);
        __m256 b[A2_NV];
        for (int v = 0; v < NV; v++) b[v] = _mm256_load_ps(pb + 8 * v);
        for (int r = 0; r < MR; r++) {
            // set1, not _mm256_broadcast_ss(pointer): with the latter GCC 12 keeps acc[] in
            // memory and stores it on every k step (same instruction either way).
            __m256 av = _mm256_set1_ps(a[r * rs]);
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(av, b[v], acc[r][v]);
        }
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    float out[A2_MR][8 * A2_NV] __attribute__((aligned(32))); // see kern_avx512
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) _mm256_store_ps(out[r] + 8 * v, acc[r][v]);
    for (int r = 0; r < rows; r++) {
        float *cr = c + (size_t)r * ldc;
        for (int v = 0; v < NV; v++) {
            int n = cols - 8 * v;
            __m256 x = _mm256_mul_ps(_mm256_load_ps(out[r] + 8 * v), va);
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

#define A2_KERN(MR, NV, DIRECT, name)                                                            \
    CK_TARGET_AVX2 static void name(int kc, const float *a, size_t ars, size_t aks,              \
                                    const float *pb, float *c, size_t ldc, int rows, int cols,   \
                                    float alpha, float beta) {                                   \
        kern_avx2(kc, a, ars, aks, pb, c, ldc, rows, cols, alpha, beta, MR, NV, DIRECT);         \
    }
#define A2_KERNS(MR) A2_KERN(MR, 1, 0, kern_avx2_##MR##_1) A2_KERN(MR, 2, 0, kern_avx2_##MR##_2)
#define A2_ROW(MR) [MR] = {[1] = kern_avx2_##MR##_1, [2] = kern_avx2_##MR##_2}
A2_KERNS(1)
A2_KERNS(2)
A2_KERNS(4)
A2_KERNS(6)
A2_KERN(6, 1, 1, kdir_avx2_1)
A2_KERN(6, 2, 1, kdir_avx2_2)

CK_TARGET_AVX2 static void thin_avx2(const gemm_job *g, float *acc, int l0, int l1) {
    thin_body(g, acc, l0, l1);
}

static const gemm_isa isa_avx2 = {
    .mr = A2_MR, .nr = 8 * A2_NV, .vw = 8,
    .pack_lines = pack_lines_x86, .pack_lines_bf16 = pack_lines_x86_bf16,
    .pack_cols = pack_cols_avx2,
    .pad_mr = {0, 1, 2, 4, 4, 6, 6},
    .kern = {A2_ROW(1), A2_ROW(2), A2_ROW(4), A2_ROW(6)},
    .direct = {[1] = kdir_avx2_1, [2] = kdir_avx2_2},
    .thin = thin_avx2,
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

static int round_up(int x, int to) { return (x + to - 1) / to * to; }

// Packed A panel floats, rounded to 64 bytes so the B block after it is aligned.
static size_t panel_floats(const gemm_job *g, int m) {
    size_t f = (size_t)g->kc * round_up(ck_min(m, GEMM_MC), g->isa->mr);
    return (f + 15) & ~(size_t)15;
}

static size_t block_floats(const gemm_job *g, int n) {
    return (size_t)g->kc * round_up(ck_min(n, g->nc), g->isa->nr);
}

// Out of memory: the unblocked loops still give the right answer. Weights in another format
// are widened 32 at a time into the stack (the weight products have A as stored).
static void gemm_unpacked(const gemm_job *g, int m0, int m1, int n0, int n1) {
    if (g->bfmt == GEMM_B_F32 && g->conv_cin) {
        for (int i = m0; i < m1; i++)
            for (int j = n0; j < n1; j++) {
                float s = 0.0f;
                for (int p = 0; p < g->k; p++) s += g->a[(size_t)i * g->lda + p] * b_row(g, p)[j];
                float *cij = g->c + (size_t)i * g->ldc + j;
                *cij = g->beta == 0.0f ? g->alpha * s : g->alpha * s + g->beta * *cij;
            }
        return;
    }
    if (g->bfmt == GEMM_B_F32) {
        const float *a = g->a + (g->trans_a ? (size_t)m0 : (size_t)m0 * g->lda);
        const float *b = g->b + (g->trans_b ? (size_t)n0 * g->ldb : (size_t)n0);
        ck_sgemm_ref(NULL, g->trans_a, g->trans_b, m1 - m0, n1 - n0, g->k, g->alpha, a,
                     (int)g->lda, b, (int)g->ldb, g->beta, g->c + (size_t)m0 * g->ldc + n0,
                     (int)g->ldc);
        return;
    }
    float w[32];
    for (int i = m0; i < m1; i++)
        for (int j = n0; j < n1; j++) {
            float s = 0.0f;
            for (int p = 0; p < g->k; p += 32) {
                int np = ck_min(32, g->k - p);
                if (g->bfmt == GEMM_B_BF16)
                    for (int q = 0; q < np; q++) w[q] = ck_bf16(g->bw[(size_t)j * g->ldb + p + q]);
                else
                    ck_quant_decode(g->qf, g->bq, g->k, j, 1, p, 32, w, 32);
                for (int q = 0; q < np; q++) s += g->a[(size_t)i * g->lda + p + q] * w[q];
            }
            float *cij = g->c + (size_t)i * g->ldc + j;
            *cij = g->beta == 0.0f ? g->alpha * s : g->alpha * s + g->beta * *cij;
        }
}

// Lines j .. j+w-1 of op(B) (rows of the weight matrix W) over depth pc .. pc+kc-1, from W's own
// format, into a sliver of sw lines.
static void pack_b_weights(const gemm_job *g, int j, int w, int sw, int pc, int kc, float *dst,
                           float *tmp) {
    const gemm_isa *I = g->isa;
    if (g->bfmt == GEMM_B_BF16) {
        I->pack_lines_bf16(g->bw + (size_t)j * g->ldb + pc, g->ldb, w, sw, kc, dst);
    } else {
        // Quantized rows interleave in groups of 4, with a scale per block of 32: decode whole
        // blocks (pc and kc are multiples of 32) into a row-major tile (L2), then pack that.
        ck_quant_decode(g->qf, g->bq, g->k, j, w, pc, kc, tmp, (size_t)kc);
        I->pack_lines(tmp, (size_t)kc, w, sw, kc, dst);
    }
}

// C[m0:m1, n0:n1] on the calling thread.
static void gemm_range(const gemm_job *g, int m0, int m1, int n0, int n1) {
    const gemm_isa *I = g->isa;
    size_t pa_floats = panel_floats(g, m1 - m0), pb_floats = block_floats(g, n1 - n0);
    size_t tmp_floats = g->bfmt == GEMM_B_QUANT ? (size_t)I->nr * g->kc : 0;
    float *buf = scratch_get(pa_floats + pb_floats + tmp_floats);
    if (!buf) {
        gemm_unpacked(g, m0, m1, n0, n1);
        return;
    }
    float *pa_buf = buf;
    float *pb_buf = buf + pa_floats;
    float *tmp = pb_buf + pb_floats;
    const int ga = ck_max(1, GEMM_RUN_A / I->mr), gb = ck_max(1, GEMM_RUN_B / I->nr);
    const int direct = g->direct;
    const size_t ars = g->trans_a ? 1 : g->lda, aks = g->trans_a ? g->lda : 1;
    // Each sliver is packed right before its first use (A during the first block of columns, B
    // during the first sliver of rows): its source reads overlap the kernels' arithmetic, and
    // it is still in L1 for that first use.
    for (int ic = m0; ic < m1; ic += GEMM_MC) {
        int mcb = ck_min(GEMM_MC, m1 - ic);
        for (int pc = 0, kcb; pc < g->k; pc += kcb) {
            kcb = pass_depth(g, pc);
            float beta = pc == 0 ? g->beta : 1.0f;
            for (int jc = n0; jc < n1; jc += g->nc) {
                int ncb = ck_min(g->nc, n1 - jc);
                float *pa = pa_buf;
                for (int ir = 0; ir < mcb; ir += I->mr) {
                    int mr = ck_min(I->mr, mcb - ir), h = I->pad_mr[mr];
                    const float *a_in = g->a + (size_t)(ic + ir) * ars + (size_t)pc * aks;
                    int in_place = direct && mr == I->mr;
                    if (jc == n0 && !in_place) {
                        if (!g->trans_a) {
                            I->pack_lines(a_in, g->lda, mr, h, kcb, pa);
                        } else if (direct || ir % (ga * I->mr) == 0) {
                            int width = direct ? mr : ck_min(ga * I->mr, mcb - ir);
                            I->pack_cols(a_in, g->lda, width, kcb, I->mr,
                                         I->pad_mr[width % I->mr], pa);
                        }
                    }
                    float *c = g->c + (size_t)(ic + ir) * g->ldc + jc;
                    float *pb = pb_buf;
                    for (int jr = 0; jr < ncb; jr += I->nr) {
                        int w = ck_min(I->nr, ncb - jr), nv = (w + I->vw - 1) / I->vw;
                        if (ir == 0) {
                            if (g->bfmt != GEMM_B_F32) {
                                pack_b_weights(g, jc + jr, w, nv * I->vw, pc, kcb, pb, tmp);
                            } else if (g->trans_b) {
                                I->pack_lines(g->b + (size_t)(jc + jr) * g->ldb + pc, g->ldb, w,
                                              nv * I->vw, kcb, pb);
                            } else if (jr % (gb * I->nr) == 0) {
                                int width = ck_min(gb * I->nr, ncb - jr);
                                I->pack_cols(b_row(g, pc) + jc + jr, g->ldb, width,
                                             kcb, I->nr, round_up(width % I->nr, I->vw), pb);
                            }
                        }
                        if (in_place)
                            I->direct[nv](kcb, a_in, ars, aks, pb, c + jr, g->ldc, mr, w,
                                          g->alpha, beta);
                        else
                            I->kern[h][nv](kcb, pa, 0, 0, pb, c + jr, g->ldc, mr, w, g->alpha,
                                           beta);
                        pb += (size_t)nv * I->vw * kcb;
                    }
                    if (!direct) pa += (size_t)h * kcb;
                }
            }
        }
    }
}

static void gemm_task(void *ctx, int task, int thread) {
    (void)thread;
    const gemm_job *g = ctx;
    int lo = task * g->chunk;
    if (g->thin) {
        int len = g->thin == 1 ? g->n : g->m;
        if (lo >= len) return;
        float *acc = scratch_get(THIN_FLOATS);
        if (acc) {
            g->isa->thin(g, acc, lo, ck_min(len, lo + g->chunk));
            return;
        }
        // out of memory: fall through to the packed path (which has its own fallback)
        if (g->thin == 1) gemm_range(g, 0, g->m, lo, ck_min(len, lo + g->chunk));
        else gemm_range(g, lo, ck_min(len, lo + g->chunk), 0, g->n);
    } else if (g->split_m) {
        if (lo < g->m) gemm_range(g, lo, ck_min(g->m, lo + g->chunk), 0, g->n);
    } else if (lo < g->n) {
        gemm_range(g, 0, g->m, lo, ck_min(g->n, lo + g->chunk));
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

// Plans the job (its operands, shape and format set) and runs it.
static void gemm_run(ck_pool *pool, gemm_job g) {
    const int m = g.m, n = g.n, k = g.k, trans_a = g.trans_a, trans_b = g.trans_b;
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || g.alpha == 0.0f) {
        if (g.beta != 1.0f) scale_c(m, n, g.beta, g.c, g.ldc);
        return;
    }
    const gemm_isa *I = g.isa = gemm_pick();
    // One sliver of B: each A value is used once per pass, so whole slivers of A are read in
    // place instead of being copied first (see GEMM_KC_DT for the pass depths).
    g.direct = I->direct[1] && n <= GEMM_DIRECT_N(I->nr);
    int kc_max = !g.direct ? GEMM_KC : trans_a ? GEMM_KC_DT : GEMM_KC_DN;
    // Equal passes, multiples of 8 for the 8x8 transposes (of 32, whole blocks, for quantized B).
    // (A convolution's passes are balanced within each tap.)
    int span = g.conv_cin ? g.conv_cin : k, passes = (span + kc_max - 1) / kc_max;
    g.kc = round_up((span + passes - 1) / passes, g.bfmt == GEMM_B_QUANT ? 32 : 8);
    g.nc = ck_max(I->nr, GEMM_KC_NC / g.kc / I->nr * I->nr);
    g.thin = m <= GEMM_THIN_M && !trans_b ? 1 : n <= GEMM_THIN_N && trans_a ? 2 : 0;
    // Splitting rows re-packs B in every task, splitting columns re-packs A: split the dimension
    // whose duplicate costs less (thin products: the long dimension). Column ranges are whole
    // vectors, not whole slivers: 640 columns split 320 + 320, not 336 + 304 (a partial sliver
    // costs less than the imbalance). Below ~2 MFLOP a fork/join costs more than it saves.
    g.split_m = g.thin ? g.thin == 2
                       : GEMM_SPLIT_M(m * (trans_a ? 1.0 : 2.0), n * (trans_b ? 2.0 : 1.0));
    int len = g.split_m ? m : n, unit = g.thin ? 16 : g.split_m ? I->mr : I->vw;
    int threads = ck_pool_threads(pool), parts = 1;
    if (threads > 1 && 2.0 * m * n * k >= 2e6) {
        g.chunk = round_up((len + threads - 1) / threads, unit);
        parts = (len + g.chunk - 1) / g.chunk;
    }
    if (parts <= 1) {
        g.chunk = len;
        gemm_task(&g, 0, 0);
        return;
    }
    ck_pool_run(pool, parts, gemm_task, &g);
}

void ck_sgemm(ck_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    gemm_run(pool, (gemm_job){.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n, .k = k,
                              .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c,
                              .lda = (size_t)lda, .ldb = (size_t)ldb, .ldc = (size_t)ldc});
}

void ck_sgemm_conv(ck_pool *pool, int m, int n, int cin, int taps, int dilation, const float *a,
                   int lda, const float *x, int ldx, float beta, float *c, int ldc) {
    if (cin <= 0 || taps <= 0) return;
    gemm_run(pool, (gemm_job){.m = m, .n = n, .k = cin * taps, .alpha = 1.0f, .beta = beta,
                              .a = a, .b = x, .c = c, .lda = (size_t)lda, .ldb = (size_t)ldx,
                              .ldc = (size_t)ldc, .conv_cin = cin, .conv_dil = dilation});
}

void ck_sgemm_bf16w(ck_pool *pool, int m, int n, int k, const float *a, int lda,
                    const uint16_t *w, int ldw, float *c, int ldc) {
    gemm_run(pool, (gemm_job){.trans_b = 1, .m = m, .n = n, .k = k, .alpha = 1.0f, .a = a,
                              .bfmt = GEMM_B_BF16, .bw = w, .c = c, .lda = (size_t)lda,
                              .ldb = (size_t)ldw, .ldc = (size_t)ldc});
}

void ck_sgemm_quantw(ck_pool *pool, ck_qformat f, const void *w, int m, int n, int k,
                     const float *a, int lda, float *c, int ldc) {
    if (!ck_quant_size(f, n, k)) return;
    gemm_run(pool, (gemm_job){.trans_b = 1, .m = m, .n = n, .k = k, .alpha = 1.0f, .a = a,
                              .bfmt = GEMM_B_QUANT, .qf = f, .bq = w, .c = c,
                              .lda = (size_t)lda, .ldc = (size_t)ldc});
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

void ck_sgemm_conv_ref(ck_pool *pool, int m, int n, int cin, int taps, int dilation,
                       const float *a, int lda, const float *x, int ldx, float beta, float *c,
                       int ldc) {
    (void)pool;
    for (int i = 0; i < m; i++)
        for (int t = 0; t < n; t++) {
            float s = 0.0f;
            for (int j = 0; j < taps; j++)
                for (int ch = 0; ch < cin; ch++)
                    s += a[(size_t)i * lda + (size_t)j * cin + ch] *
                         x[(size_t)ch * ldx + (size_t)j * dilation + t];
            float *cit = c + (size_t)i * ldc + t;
            *cit = beta == 0.0f ? s : s + beta * *cit;
        }
}

void ck_sgemm_bf16w_ref(ck_pool *pool, int m, int n, int k, const float *a, int lda,
                        const uint16_t *w, int ldw, float *c, int ldc) {
    (void)pool;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float s = 0.0f;
            for (int p = 0; p < k; p++) s += a[(size_t)i * lda + p] * ck_bf16(w[(size_t)j * ldw + p]);
            c[(size_t)i * ldc + j] = s;
        }
}
