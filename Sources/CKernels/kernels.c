// Row-wise and elementwise kernels plus attention. Bodies are plain C compiled once per ISA
// (CK_VARIANTS) so the compiler vectorizes them at each width; transcendental functions that
// dominate a loop use the vectorizable ck_exp / ck_sin2, the rest call libm.
#include "ck_internal.h"

// ---------------------------------------------------------------------------------------------
// Norms

// Same operation order as the PyTorch modules: normalise in float32, then scale by the weight.
CK_INLINE void rmsnorm_body(const float *x, const float *w, float *y, int n_rows, int n, float eps) {
    for (int r = 0; r < n_rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float inv = 1.0f / sqrtf(ck_sumsq(xr, n) / (float)n + eps);
        if (w)
            CK_MAP(n, yr, w[i] * (xr[i] * inv));
        else
            CK_MAP(n, yr, xr[i] * inv);
    }
}
CK_VARIANTS(rmsnorm, rmsnorm_body,
            (const float *x, const float *w, float *y, int n_rows, int n, float eps),
            (x, w, y, n_rows, n, eps))
void ck_rmsnorm(const float *x, const float *w, float *y, int n_rows, int n, float eps) {
    if (n <= 0) return;
    CK_DISPATCH(rmsnorm, (x, w, y, n_rows, n, eps));
}

CK_INLINE float sum_lanes(const float *x, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] += x[i + l];
    float s = 0.0f;
    for (; i < n; i++) s += x[i];
    for (int l = 0; l < 16; l++) s += acc[l];
    return s;
}

// Two passes (mean, then centred squares) for accuracy on rows with a large mean.
CK_INLINE void layernorm_body(const float *x, const float *w, const float *b, float *y, int n_rows,
                              int n, float eps) {
    for (int r = 0; r < n_rows; r++) {
        const float *xr = x + (size_t)r * n;
        float *yr = y + (size_t)r * n;
        float mean = sum_lanes(xr, n) / (float)n;
        float acc[16] = {0};
        int i = 0;
        for (; i + 16 <= n; i += 16)
            for (int l = 0; l < 16; l++) acc[l] += (xr[i + l] - mean) * (xr[i + l] - mean);
        float var = 0.0f;
        for (; i < n; i++) var += (xr[i] - mean) * (xr[i] - mean);
        for (int l = 0; l < 16; l++) var += acc[l];
        float inv = 1.0f / sqrtf(var / (float)n + eps);
        if (w && b)
            CK_MAP(n, yr, (xr[i] - mean) * inv * w[i] + b[i]);
        else if (w)
            CK_MAP(n, yr, (xr[i] - mean) * inv * w[i]);
        else if (b)
            CK_MAP(n, yr, (xr[i] - mean) * inv + b[i]);
        else
            CK_MAP(n, yr, (xr[i] - mean) * inv);
    }
}
CK_VARIANTS(layernorm, layernorm_body,
            (const float *x, const float *w, const float *b, float *y, int n_rows, int n, float eps),
            (x, w, b, y, n_rows, n, eps))
void ck_layernorm(const float *x, const float *w, const float *b, float *y, int n_rows, int n,
                  float eps) {
    if (n <= 0) return;
    CK_DISPATCH(layernorm, (x, w, b, y, n_rows, n, eps));
}

// ---------------------------------------------------------------------------------------------
// RoPE

CK_INLINE void rope_body(float *x, const float *cs, const float *sn, int n_pos, int n_heads, int hd) {
    int h = hd / 2;
    for (int p = 0; p < n_pos; p++) {
        const float *c = cs + (size_t)p * h, *s = sn + (size_t)p * h;
        for (int head = 0; head < n_heads; head++) {
            float *v = x + ((size_t)p * n_heads + head) * hd;
            for (int i = 0; i < h; i++) {
                float a = v[i], b = v[i + h];
                v[i] = a * c[i] - b * s[i];
                v[i + h] = b * c[i] + a * s[i];
            }
        }
    }
}
CK_VARIANTS(rope, rope_body,
            (float *x, const float *c, const float *s, int n_pos, int n_heads, int hd),
            (x, c, s, n_pos, n_heads, hd))
void ck_rope(float *x, const float *cos, const float *sin, int n_pos, int n_heads, int head_dim) {
    CK_DISPATCH(rope, (x, cos, sin, n_pos, n_heads, head_dim));
}

// ---------------------------------------------------------------------------------------------
// Softmax

CK_INLINE float max_lanes(const float *x, int n) {
    float m[16];
    for (int l = 0; l < 16; l++) m[l] = -INFINITY;
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) m[l] = x[i + l] > m[l] ? x[i + l] : m[l];
    float r = -INFINITY;
    for (; i < n; i++) r = x[i] > r ? x[i] : r;
    for (int l = 0; l < 16; l++) r = m[l] > r ? m[l] : r;
    return r;
}

// x[i] = exp(x[i] - m); returns the sum.
CK_INLINE float exp_sub_sum(float *x, int n, float m) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) {
            float e = ck_exp(x[i + l] - m);
            x[i + l] = e;
            acc[l] += e;
        }
    float s = 0.0f;
    for (; i < n; i++) {
        x[i] = ck_exp(x[i] - m);
        s += x[i];
    }
    for (int l = 0; l < 16; l++) s += acc[l];
    return s;
}

CK_INLINE void softmax_body(float *x, int n) {
    float s = exp_sub_sum(x, n, max_lanes(x, n));
    float inv = 1.0f / s;
    for (int i = 0; i < n; i++) x[i] *= inv;
}
CK_VARIANTS(softmax, softmax_body, (float *x, int n), (x, n))
void ck_softmax(float *x, int n) {
    if (n <= 0) return;
    CK_DISPATCH(softmax, (x, n));
}

// ---------------------------------------------------------------------------------------------
// Activations

CK_INLINE void silu_body(const float *x, float *y, size_t n) {
    CK_MAP(n, y, x[i] / (1.0f + ck_exp(-x[i])));
}
CK_VARIANTS(silu, silu_body, (const float *x, float *y, size_t n), (x, y, n))
void ck_silu(const float *x, float *y, size_t n) { CK_DISPATCH(silu, (x, y, n)); }

CK_INLINE void swiglu_body(const float *g, const float *u, float *y, size_t n) {
    CK_MAP(n, y, g[i] / (1.0f + ck_exp(-g[i])) * u[i]);
}
CK_VARIANTS(swiglu, swiglu_body, (const float *g, const float *u, float *y, size_t n), (g, u, y, n))
void ck_swiglu(const float *gate, const float *up, float *y, size_t n) {
    CK_DISPATCH(swiglu, (gate, up, y, n));
}

// erf and expm1 stay in libm: they run on small tensors, and libm is what PyTorch matches.
void ck_gelu(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

void ck_elu(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : expm1f(x[i]);
}

CK_INLINE void add_body(const float *a, const float *b, float *y, size_t n) {
    CK_MAP(n, y, a[i] + b[i]);
}
CK_VARIANTS(add, add_body, (const float *a, const float *b, float *y, size_t n), (a, b, y, n))
void ck_add(const float *a, const float *b, float *y, size_t n) { CK_DISPATCH(add, (a, b, y, n)); }

CK_INLINE void mul_body(const float *a, const float *b, float *y, size_t n) {
    CK_MAP(n, y, a[i] * b[i]);
}
CK_VARIANTS(mul, mul_body, (const float *a, const float *b, float *y, size_t n), (a, b, y, n))
void ck_mul(const float *a, const float *b, float *y, size_t n) { CK_DISPATCH(mul, (a, b, y, n)); }

CK_INLINE void scale_body(const float *x, float s, float *y, size_t n) {
    CK_MAP(n, y, x[i] * s);
}
CK_VARIANTS(scale, scale_body, (const float *x, float s, float *y, size_t n), (x, s, y, n))
void ck_scale(const float *x, float s, float *y, size_t n) { CK_DISPATCH(scale, (x, s, y, n)); }

// Tiles keep both the read and the write side within a few cache lines per row.
void ck_transpose(const float *x, float *y, int rows, int cols) {
    enum { B = 32 };
    for (int r0 = 0; r0 < rows; r0 += B)
        for (int c0 = 0; c0 < cols; c0 += B) {
            int r1 = ck_min(rows, r0 + B), c1 = ck_min(cols, c0 + B);
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++) y[(size_t)c * rows + r] = x[(size_t)r * cols + c];
        }
}

// ---------------------------------------------------------------------------------------------
// SnakeBeta: the vocoder's most frequent nonlinearity (every sample of every channel), hence
// the vectorizable sin².

CK_INLINE void snake_body(const float *x, size_t ldx, const float *la, const float *lb, float *y,
                          size_t ldy, int c0, int c1, int t) {
    for (int c = c0; c < c1; c++) {
        const float *xr = x + (size_t)c * ldx;
        float *yr = y + (size_t)c * ldy;
        float a = expf(la[c]);
        float ib = 1.0f / (expf(lb[c]) + 1e-9f);
        float mx[16] = {0}, big = 0.0f;
        int i = 0;
        for (; i + 16 <= t; i += 16)
            for (int l = 0; l < 16; l++) mx[l] = fabsf(xr[i + l]) > mx[l] ? fabsf(xr[i + l]) : mx[l];
        for (; i < t; i++) big = fabsf(xr[i]) > big ? fabsf(xr[i]) : big;
        for (int l = 0; l < 16; l++) big = mx[l] > big ? mx[l] : big;
        if (big * a < CK_SIN2_LIMIT) {
            CK_MAP(t, yr, xr[i] + ib * ck_sin2(xr[i] * a));
        } else { // beyond the fast reduction's exact range (not seen in practice)
            for (i = 0; i < t; i++) {
                float s = sinf(xr[i] * a);
                yr[i] = xr[i] + ib * (s * s);
            }
        }
    }
}
CK_VARIANTS(snake, snake_body,
            (const float *x, size_t ldx, const float *la, const float *lb, float *y, size_t ldy,
             int c0, int c1, int t),
            (x, ldx, la, lb, y, ldy, c0, c1, t))
void ck_snakebeta(const float *x, const float *log_alpha, const float *log_beta, float *y,
                  int channels, int t) {
    CK_DISPATCH(snake, (x, (size_t)t, log_alpha, log_beta, y, (size_t)t, 0, channels, t));
}

typedef struct {
    const float *x, *la, *lb;
    float *y;
    size_t ldx, ldy;
    int channels, t, per_task;
} snake_job;

static void snake_task(void *ctx, int task, int thread) {
    (void)thread;
    const snake_job *j = ctx;
    int c0 = task * j->per_task, c1 = ck_min(j->channels, c0 + j->per_task);
    CK_DISPATCH(snake, (j->x, j->ldx, j->la, j->lb, j->y, j->ldy, c0, c1, j->t));
}

void ck_snakebeta_strided(ck_pool *pool, const float *x, size_t ldx, const float *log_alpha,
                          const float *log_beta, float *y, size_t ldy, int channels, int t) {
    if (channels <= 0 || t <= 0) return;
    // Below ~64K samples a fork/join costs more than the second thread saves.
    int tasks = (size_t)channels * t < 65536 ? 1 : ck_min(channels, ck_pool_threads(pool) * 2);
    int per_task = (channels + tasks - 1) / tasks;
    snake_job job = {x, log_alpha, log_beta, y, ldx, ldy, channels, t, per_task};
    ck_pool_run(pool, (channels + per_task - 1) / per_task, snake_task, &job);
}

// ---------------------------------------------------------------------------------------------
// Attention: one (query, head) at a time with a blocked online softmax, so no scratch memory is
// needed; for contexts up to one block it is exactly the two-pass softmax.

#define ATTN_BLOCK 256
#define ATTN_QUERIES_PER_TASK 4

CK_INLINE void attend_one(const float *q, const float *k, const float *v, float *out, int lo,
                          int hi, size_t kv_stride, int hd, float scale) {
    float s[ATTN_BLOCK];
    float m = -INFINITY, l = 0.0f;
    for (int i = 0; i < hd; i++) out[i] = 0.0f;
    for (int j0 = lo; j0 <= hi; j0 += ATTN_BLOCK) {
        int n = ck_min(ATTN_BLOCK, hi + 1 - j0);
        for (int j = 0; j < n; j++) s[j] = ck_dot(q, k + (size_t)(j0 + j) * kv_stride, hd) * scale;
        float bm = max_lanes(s, n);
        if (bm > m) {
            if (l > 0.0f) {
                float c = ck_exp(m - bm);
                l *= c;
                for (int i = 0; i < hd; i++) out[i] *= c;
            }
            m = bm;
        }
        l += exp_sub_sum(s, n, m);
        for (int j = 0; j < n; j++) {
            const float *vr = v + (size_t)(j0 + j) * kv_stride;
            float p = s[j];
            for (int i = 0; i < hd; i++) out[i] += p * vr[i];
        }
    }
    float inv = 1.0f / l;
    for (int i = 0; i < hd; i++) out[i] *= inv;
}

typedef struct {
    const float *q, *k, *v;
    float *out;
    int n_q, pos0, n_heads, n_kv, hd, window;
    float scale;
} attn_job;

CK_INLINE void attn_task_body(void *ctx, int task, int thread) {
    (void)thread;
    const attn_job *j = ctx;
    int q_chunks = (j->n_q + ATTN_QUERIES_PER_TASK - 1) / ATTN_QUERIES_PER_TASK;
    int head = task / q_chunks;
    int s0 = (task % q_chunks) * ATTN_QUERIES_PER_TASK;
    int s1 = ck_min(j->n_q, s0 + ATTN_QUERIES_PER_TASK);
    int kvh = head / (j->n_heads / j->n_kv);
    size_t kv_stride = (size_t)j->n_kv * j->hd;
    for (int s = s0; s < s1; s++) {
        int p = j->pos0 + s;
        int lo = j->window > 0 ? ck_max(0, p - j->window + 1) : 0;
        size_t at = ((size_t)s * j->n_heads + head) * j->hd;
        attend_one(j->q + at, j->k + (size_t)kvh * j->hd, j->v + (size_t)kvh * j->hd, j->out + at,
                   lo, p, kv_stride, j->hd, j->scale);
    }
}
CK_VARIANTS(attn_task, attn_task_body, (void *ctx, int task, int thread), (ctx, task, thread))

void ck_attention(ck_pool *pool, const float *q, const float *k, const float *v, float *out,
                  int n_q, int pos0, int n_heads, int n_kv, int head_dim, int window, float scale) {
    if (n_q <= 0 || n_heads <= 0) return;
    attn_job job = {q, k, v, out, n_q, pos0, n_heads, n_kv, head_dim, window, scale};
    int tasks = n_heads * ((n_q + ATTN_QUERIES_PER_TASK - 1) / ATTN_QUERIES_PER_TASK);
#if CK_X86
    switch (ck_isa_level()) {
    case CK_ISA_AVX512: ck_pool_run(pool, tasks, attn_task_avx512, &job); return;
    case CK_ISA_AVX2: ck_pool_run(pool, tasks, attn_task_avx2, &job); return;
    default: break;
    }
#endif
    ck_pool_run(pool, tasks, attn_task_portable, &job);
}
