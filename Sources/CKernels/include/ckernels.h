// CKernels: the hot loops of the engine (C11). Every optimized kernel has a naive reference
// (suffix _ref, same signature) beside it; tests compare the two over swept shapes.
//
// Conventions: activations are float32, row-major. Linear weights are [out, in] (PyTorch's);
// the _ref convolutions take PyTorch's layouts (Conv1d [C_out, C_in/groups, K], ConvTranspose1d
// [C_in, C_out, K]), the optimized ones the reordered layouts their comments give.
// Convolution activations are channels-first [C, T]. bf16 and f16 values are passed as their
// uint16 bit patterns. Dimensions are `int`; element counts of flat buffers are `size_t`.
// Unless a comment says otherwise, outputs must not alias inputs.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------
// CPU features and dispatch

/// CPU features detected at run time (x86-64: AVX2+FMA, AVX-512F/BW, AVX512-BF16, AVX512-VNNI,
/// AMX tiles). Zero elsewhere.
typedef struct {
    int avx2_fma;
    int avx512;
    int avx512_bf16;
    int avx512_vnni;
    int amx;
} ck_cpu_features;

ck_cpu_features ck_cpu_detect(void);

/// Instruction-set level the kernels use: 0 portable C, 1 AVX2+FMA, 2 AVX-512.
int ck_isa_level(void);
/// Caps the level for the calling thread and the pool jobs it starts (tests and benchmarks; every
/// level computes the same results within rounding); other threads keep theirs. A negative value
/// restores the process-wide level, a too-high one gives the detected level. Returns the level in effect.
int ck_set_isa_level(int level);

// ---------------------------------------------------------------------------------------------
// Thread pool: persistent workers, fork/join. The calling thread takes part as thread 0, so a
// pool of n threads starts n - 1 workers. Workers spin briefly after a job and then sleep, so
// back-to-back jobs (one per layer) cost microseconds while an idle pool costs no CPU.

typedef struct ck_pool ck_pool;
/// A task: `task` in [0, n_tasks), `thread` in [0, n_threads) (stable per thread: use it to
/// pick per-thread scratch memory).
typedef void (*ck_task_fn)(void *ctx, int task, int thread);

/// n_threads < 1 is treated as 1. Returns NULL if threads cannot be started.
ck_pool *ck_pool_create(int n_threads);
void ck_pool_destroy(ck_pool *pool);
int ck_pool_threads(const ck_pool *pool);
/// Runs fn for every task and returns when all are done. A NULL pool runs them inline.
/// Concurrent callers are serialized; a call from inside a task runs inline on that thread.
void ck_pool_run(ck_pool *pool, int n_tasks, ck_task_fn fn, void *ctx);

// ---------------------------------------------------------------------------------------------
// Conversions

void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
void ck_bf16_to_f32_ref(const uint16_t *src, float *dst, size_t n);
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);
void ck_f16_to_f32_ref(const uint16_t *src, float *dst, size_t n);
/// Round to nearest even (as torch's .to(bfloat16)); NaN stays NaN.
void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n);

// ---------------------------------------------------------------------------------------------
// Matrix-vector products (decode) and few-row products (prefill). Accumulation is float32;
// bf16 weights are widened exactly to float32. bias may be NULL. pool may be NULL.

/// y[rows] = W[rows, cols] · x[cols] + bias
void ck_matvec_f32(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                   int rows, int cols);
void ck_matvec_f32_ref(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                       int rows, int cols);
void ck_matvec_bf16(ck_pool *pool, const uint16_t *w, const float *x, const float *bias, float *y,
                    int rows, int cols);
void ck_matvec_bf16_ref(ck_pool *pool, const uint16_t *w, const float *x, const float *bias,
                        float *y, int rows, int cols);

/// y[m, rows] = x[m, cols] · W[rows, cols]^T + bias
void ck_matmul_f32(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                   int m, int rows, int cols);
void ck_matmul_f32_ref(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                       int m, int rows, int cols);
void ck_matmul_bf16(ck_pool *pool, const uint16_t *w, const float *x, const float *bias, float *y,
                    int m, int rows, int cols);
void ck_matmul_bf16_ref(ck_pool *pool, const uint16_t *w, const float *x, const float *bias,
                        float *y, int m, int rows, int cols);

// ---------------------------------------------------------------------------------------------
// Quantized weights (q8, q4): blocks of 32 weights along a row share one scale; weight = d * q.
// The packed layout (groups of 4 rows interleaved per block, bf16 scales) is private to
// quant.c; q8 is ~1.06 and q4 ~0.56 bytes per weight. Packing is deterministic (same bytes on
// every ISA level and compiler). ck_matmul_quant keeps activations and accumulation in float32.

typedef enum { CK_Q8 = 8, CK_Q4 = 4 } ck_qformat;
/// Bytes of the packed form of a [rows, cols] matrix (cols % 32 == 0), or 0 if unsupported.
size_t ck_quant_size(ck_qformat f, int rows, int cols);
/// Packs f32 weights (or bf16 bit patterns with the _bf16 variant) [rows, cols] into dst
/// (ck_quant_size bytes, 64-byte aligned by the caller). Blocks of 32 along a row, one scale per
/// block, codes rounded to nearest. Returns 0 on success, -1 if cols % 32 != 0 (or the format or
/// shape is unsupported, or the bf16 variant cannot allocate its row buffer).
int ck_quant_pack_f32(ck_qformat f, const float *w, int rows, int cols, void *dst);
int ck_quant_pack_bf16(ck_qformat f, const uint16_t *w, int rows, int cols, void *dst);
/// Dequantizes back to f32 [rows, cols] (for tests and quality measurement).
void ck_quant_unpack(ck_qformat f, const void *packed, int rows, int cols, float *dst);
/// A 64-bit fingerprint of n bytes continuing from `seed` (not cryptographic; several GB/s): the
/// packed-weight cache's integrity check.
uint64_t ck_fingerprint64(const void *data, size_t n, uint64_t seed);
/// y[m, rows] = x[m, cols] · dequant(W)^T + bias (bias may be NULL; pool may be NULL).
/// m = 1 is the matvec.
void ck_matmul_quant(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                     const float *bias, float *y, int m, int rows, int cols);
/// Naive: dequantizes each weight (float32) and sums in double.
void ck_matmul_quant_ref(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                         const float *bias, float *y, int m, int rows, int cols);
/// Optional faster variant with int8 activations: each x row is rounded per block of 32 to int8
/// (scale max|x| / 127) and block dot products are exact integer sums; y = sum over blocks of
/// (d * sx) * sum(q * xq) + bias. The activation rounding adds about 1.2% relative RMS error to
/// y (measured with 1% outlier channels in x): small next to q4's own ~8%, but it more than
/// doubles q8's ~0.5%. ck_matmul_quant stays the accurate default. Non-finite x count as 0. y is
/// NaN if scratch memory (m * cols bytes, beyond 8 KB) cannot be allocated.
void ck_matmul_quant_x8(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                        const float *bias, float *y, int m, int rows, int cols);
void ck_matmul_quant_x8_ref(ck_pool *pool, ck_qformat f, const void *packed, const float *x,
                            const float *bias, float *y, int m, int rows, int cols);

// ---------------------------------------------------------------------------------------------
// General matrix product (packed, cache-blocked; AVX-512 / AVX2+FMA / portable kernels).

/// Row-major C[m, n] = alpha * op(A)[m, k] · op(B)[k, n] + beta * C. op(A) is A stored
/// [m, lda >= k], or with trans_a A stored [k, lda >= m] (A^T); likewise op(B) is B stored
/// [k, ldb >= n], or with trans_b B stored [n, ldb >= k]. C is [m, ldc >= n]. beta == 0 means
/// C is not read (it may hold NaN); k == 0 or alpha == 0 gives C = beta * C. pool may be NULL.
/// Safe to call concurrently (scratch memory is per OS thread, kept between calls).
void ck_sgemm(ck_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
/// The defining triple loop (float accumulation in k order).
void ck_sgemm_ref(ck_pool *pool, int trans_a, int trans_b, int m, int n, int k, float alpha,
                  const float *a, int lda, const float *b, int ldb, float beta, float *c,
                  int ldc);
/// A stride-1 convolution as one product, without forming im2col columns:
/// C[m, n] = A[m, taps*cin] · B + beta * C with B[j*cin + c, t] = x[c*ldx + j*dilation + t].
/// A holds the weights tap-major (row i: tap 0's cin weights, then tap 1's, ...; lda >= taps*cin);
/// x is [cin, ldx >= n + (taps-1)*dilation] (padding, if any, already in x). beta == 0: C is
/// not read. pool may be NULL.
void ck_sgemm_conv(ck_pool *pool, int m, int n, int cin, int taps, int dilation, const float *a,
                   int lda, const float *x, int ldx, float beta, float *c, int ldc);
/// The defining loop (float accumulation, tap-major).
void ck_sgemm_conv_ref(ck_pool *pool, int m, int n, int cin, int taps, int dilation,
                       const float *a, int lda, const float *x, int ldx, float beta, float *c,
                       int ldc);
/// C[m, n] = A[m, k] · W^T for a weight matrix W [n, k] (row stride ldw >= k) of bf16 bits,
/// widened exactly while it is packed (no f32 copy of W). A is [m, lda >= k], C [m, ldc >= n]
/// and is not read. The same arithmetic as ck_sgemm on the widened W. pool may be NULL.
void ck_sgemm_bf16w(ck_pool *pool, int m, int n, int k, const float *a, int lda,
                    const uint16_t *w, int ldw, float *c, int ldc);
/// The defining triple loop.
void ck_sgemm_bf16w_ref(ck_pool *pool, int m, int n, int k, const float *a, int lda,
                        const uint16_t *w, int ldw, float *c, int ldc);
/// C[m, n] = A[m, k] · dequant(W)^T for W [n, k] packed by ck_quant_pack_* (k % 32 == 0; C is
/// left untouched otherwise), dequantized exactly while it is packed. Compare with
/// ck_matmul_quant_ref.
void ck_sgemm_quantw(ck_pool *pool, ck_qformat f, const void *w, int m, int n, int k,
                     const float *a, int lda, float *c, int ldc);

// ---------------------------------------------------------------------------------------------
// Normalization, position encoding, softmax. In-place use (y == x) is allowed here.

/// y = w * (x * 1/sqrt(mean(x²) + eps)) over each of n_rows rows of length n; w may be NULL.
void ck_rmsnorm(const float *x, const float *w, float *y, int n_rows, int n, float eps);
void ck_rmsnorm_ref(const float *x, const float *w, float *y, int n_rows, int n, float eps);

/// y = (x - mean) / sqrt(var + eps) * w + b per row (biased variance); w, b may be NULL.
void ck_layernorm(const float *x, const float *w, const float *b, float *y, int n_rows, int n,
                  float eps);
void ck_layernorm_ref(const float *x, const float *w, const float *b, float *y, int n_rows, int n,
                      float eps);

/// Rotate-half RoPE in place on x[n_pos, n_heads, head_dim]; cos/sin are [n_pos, head_dim/2]
/// (row p for the position of x's row p). Pairs are (i, i + head_dim/2).
void ck_rope(float *x, const float *cos, const float *sin, int n_pos, int n_heads, int head_dim);
void ck_rope_ref(float *x, const float *cos, const float *sin, int n_pos, int n_heads,
                 int head_dim);

/// In-place softmax over n values (max-subtracted).
void ck_softmax(float *x, int n);
void ck_softmax_ref(float *x, int n);

// ---------------------------------------------------------------------------------------------
// Elementwise. In-place use (y == x, or y == one of the inputs) is allowed.

void ck_silu(const float *x, float *y, size_t n);
void ck_silu_ref(const float *x, float *y, size_t n);
/// y = silu(gate) * up
void ck_swiglu(const float *gate, const float *up, float *y, size_t n);
void ck_swiglu_ref(const float *gate, const float *up, float *y, size_t n);
/// Exact (erf) GELU.
void ck_gelu(const float *x, float *y, size_t n);
void ck_gelu_ref(const float *x, float *y, size_t n);
/// ELU with alpha 1.
void ck_elu(const float *x, float *y, size_t n);
void ck_elu_ref(const float *x, float *y, size_t n);
void ck_add(const float *a, const float *b, float *y, size_t n);
void ck_mul(const float *a, const float *b, float *y, size_t n);
void ck_scale(const float *x, float s, float *y, size_t n);
/// y[cols, rows] = x[rows, cols]^T (no aliasing).
void ck_transpose(const float *x, float *y, int rows, int cols);

/// SnakeBeta on x[channels, t] with log-scale parameters:
/// y = x + 1/(exp(log_beta[c]) + 1e-9) * sin(x * exp(log_alpha[c]))².
void ck_snakebeta(const float *x, const float *log_alpha, const float *log_beta, float *y,
                  int channels, int t);
/// ck_snakebeta with row strides (y may be x, or rows of a wider buffer), channels split over
/// the pool (NULL: inline).
void ck_snakebeta_strided(ck_pool *pool, const float *x, size_t ldx, const float *log_alpha,
                          const float *log_beta, float *y, size_t ldy, int channels, int t);
void ck_snakebeta_ref(const float *x, const float *log_alpha, const float *log_beta, float *y,
                      int channels, int t);

// ---------------------------------------------------------------------------------------------
// Attention over a KV cache. q and out are [n_q, n_heads, head_dim] for absolute positions
// pos0 .. pos0+n_q-1; k and v are [>= pos0+n_q, n_kv, head_dim] holding positions from 0.
// Query head h reads kv head h / (n_heads / n_kv). Causal; window > 0 limits a query at p to keys
// max(0, p-window+1) .. p. Scores are (q·k) * scale, softmax in float32.

void ck_attention(ck_pool *pool, const float *q, const float *k, const float *v, float *out,
                  int n_q, int pos0, int n_heads, int n_kv, int head_dim, int window, float scale);
void ck_attention_ref(ck_pool *pool, const float *q, const float *k, const float *v, float *out,
                      int n_q, int pos0, int n_heads, int n_kv, int head_dim, int window,
                      float scale);

// ---------------------------------------------------------------------------------------------
// Convolutions on [C, T]. Padding is zeros, given explicitly (causal: pad_left = (k-1)*dilation,
// pad_right = 0). The dense optimized path is assembled in Swift (TensorCore's Kernels.conv1d)
// from ck_sgemm_conv (stride 1, no padding) or the im2col pieces below and ck_sgemm.

/// (t_in + pad_left + pad_right - dilation*(k-1) - 1) / stride + 1, or 0 if that is not positive.
int ck_conv1d_out_len(int t_in, int k, int stride, int dilation, int pad_left, int pad_right);

/// General conv1d: x [c_in, t_in], w [c_out, c_in/groups, k], bias [c_out] or NULL,
/// y [c_out, ck_conv1d_out_len(...)].
void ck_conv1d_ref(const float *x, const float *w, const float *bias, float *y, int c_in,
                   int c_out, int t_in, int k, int stride, int dilation, int pad_left,
                   int pad_right, int groups);

/// Depthwise conv1d (groups = c_in = c_out = channels): w [channels, 1, k]. Same output as
/// ck_conv1d_ref with groups = channels.
void ck_conv1d_depthwise(ck_pool *pool, const float *x, const float *w, const float *bias,
                         float *y, int channels, int t_in, int k, int stride, int dilation,
                         int pad_left, int pad_right);

/// col[(j*channels + c), i] = x[c, (t0+i)*stride + j*dilation - pad_left] (zero outside
/// [0, t_in)) for c < channels, j < k, i < n_t: the conv input columns for output positions
/// t0 .. t0+n_t-1, tap-major (the row order of tap-major weights).
void ck_im2col(const float *x, float *col, int channels, int t_in, int k, int stride,
               int dilation, int pad_left, int t0, int n_t);

/// y[o, i*stride + p] = phases[p*c_out + o, i] + bias[o] (bias may be NULL) for every
/// i < columns with i*stride + p < t_out: a polyphase transposed conv's phases, interleaved.
void ck_phase_interleave(const float *phases, const float *bias, float *y, int c_out, int stride,
                         int columns, int t_out);

/// y[c, :] += bias[c] for y [channels, t].
void ck_bias_add(float *y, const float *bias, int channels, int t);

/// y[c, :] = bias[c] (or 0 if bias is NULL) for y [channels, t].
void ck_bias_fill(float *y, const float *bias, int channels, int t);

/// ConvTranspose1d (groups 1): x [c_in, t_in], w [c_in, c_out, k], bias [c_out] or NULL,
/// y [c_out, (t_in-1)*stride + k] (the full length; callers trim).
void ck_conv_transpose1d_ref(const float *x, const float *w, const float *bias, float *y,
                             int c_in, int c_out, int t_in, int k, int stride);

#ifdef __cplusplus
}
#endif
#endif
