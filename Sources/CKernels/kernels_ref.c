// Naive references: the obvious loops, sums in double, libm for every function. Tests compare
// the optimized kernels against these; nothing else should call them.
#include "ck_internal.h"
#include <stdlib.h>

void ck_bf16_to_f32_ref(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = ck_bits_to_f32((uint32_t)src[i] << 16);
}

void ck_f16_to_f32_ref(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int sign = src[i] >> 15, exp = (src[i] >> 10) & 0x1F, man = src[i] & 0x3FF;
        double v;
        if (exp == 0x1F) v = man ? NAN : INFINITY;
        else if (exp == 0) v = ldexp(man, -24);
        else v = ldexp(1024 + man, exp - 25);
        dst[i] = (float)(sign ? -v : v);
    }
}

static void matmul_ref(const void *w, int bf16, const float *x, const float *bias, float *y, int m,
                       int rows, int cols) {
    for (int j = 0; j < m; j++)
        for (int r = 0; r < rows; r++) {
            double s = bias ? bias[r] : 0.0;
            for (int c = 0; c < cols; c++) {
                size_t i = (size_t)r * cols + c;
                float wv = bf16 ? ck_bf16(((const uint16_t *)w)[i]) : ((const float *)w)[i];
                s += (double)wv * x[(size_t)j * cols + c];
            }
            y[(size_t)j * rows + r] = (float)s;
        }
}

void ck_matvec_f32_ref(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                       int rows, int cols) {
    (void)pool;
    matmul_ref(w, 0, x, bias, y, 1, rows, cols);
}

void ck_matvec_bf16_ref(ck_pool *pool, const uint16_t *w, const float *x, const float *bias,
                        float *y, int rows, int cols) {
    (void)pool;
    matmul_ref(w, 1, x, bias, y, 1, rows, cols);
}

void ck_matmul_f32_ref(ck_pool *pool, const float *w, const float *x, const float *bias, float *y,
                       int m, int rows, int cols) {
    (void)pool;
    matmul_ref(w, 0, x, bias, y, m, rows, cols);
}

void ck_matmul_bf16_ref(ck_pool *pool, const uint16_t *w, const float *x, const float *bias,
                        float *y, int m, int rows, int cols) {
    (void)pool;
    matmul_ref(w, 1, x, bias, y, m, rows, cols);
}

void ck_rmsnorm_ref(const float *x, const float *w, float *y, int n_rows, int n, float eps) {
    for (int r = 0; r < n_rows; r++) {
        const float *xr = x + (size_t)r * n;
        double ss = 0;
        for (int i = 0; i < n; i++) ss += (double)xr[i] * xr[i];
        float inv = (float)(1.0 / sqrt(ss / n + eps));
        for (int i = 0; i < n; i++) y[(size_t)r * n + i] = (w ? w[i] : 1.0f) * (xr[i] * inv);
    }
}

void ck_layernorm_ref(const float *x, const float *w, const float *b, float *y, int n_rows, int n,
                      float eps) {
    for (int r = 0; r < n_rows; r++) {
        const float *xr = x + (size_t)r * n;
        double mean = 0, var = 0;
        for (int i = 0; i < n; i++) mean += xr[i];
        mean /= n;
        for (int i = 0; i < n; i++) var += (xr[i] - mean) * (xr[i] - mean);
        var /= n;
        double inv = 1.0 / sqrt(var + eps);
        for (int i = 0; i < n; i++)
            y[(size_t)r * n + i] = (float)((xr[i] - mean) * inv * (w ? w[i] : 1.0) + (b ? b[i] : 0.0));
    }
}

void ck_rope_ref(float *x, const float *cos, const float *sin, int n_pos, int n_heads,
                 int head_dim) {
    int h = head_dim / 2;
    for (int p = 0; p < n_pos; p++)
        for (int head = 0; head < n_heads; head++) {
            float *v = x + ((size_t)p * n_heads + head) * head_dim;
            for (int i = 0; i < h; i++) {
                double c = cos[(size_t)p * h + i], s = sin[(size_t)p * h + i];
                double a = v[i], b = v[i + h];
                v[i] = (float)(a * c - b * s);
                v[i + h] = (float)(b * c + a * s);
            }
        }
}

void ck_softmax_ref(float *x, int n) {
    if (n <= 0) return;
    float m = x[0];
    for (int i = 1; i < n; i++) if (x[i] > m) m = x[i];
    double s = 0;
    for (int i = 0; i < n; i++) s += exp((double)x[i] - m);
    for (int i = 0; i < n; i++) x[i] = (float)(exp((double)x[i] - m) / s);
}

void ck_silu_ref(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)(x[i] / (1.0 + exp(-(double)x[i])));
}

void ck_swiglu_ref(const float *gate, const float *up, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)(gate[i] / (1.0 + exp(-(double)gate[i])) * up[i]);
}

void ck_gelu_ref(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = (float)(0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0))));
}

void ck_elu_ref(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (float)(exp((double)x[i]) - 1.0);
}

void ck_snakebeta_ref(const float *x, const float *log_alpha, const float *log_beta, float *y,
                      int channels, int t) {
    for (int c = 0; c < channels; c++) {
        double a = exp((double)log_alpha[c]), ib = 1.0 / (exp((double)log_beta[c]) + 1e-9);
        for (int i = 0; i < t; i++) {
            double v = x[(size_t)c * t + i], s = sin(v * a);
            y[(size_t)c * t + i] = (float)(v + ib * s * s);
        }
    }
}

void ck_attention_ref(ck_pool *pool, const float *q, const float *k, const float *v, float *out,
                      int n_q, int pos0, int n_heads, int n_kv, int head_dim, int window,
                      float scale) {
    (void)pool;
    int n_ctx = pos0 + n_q;
    double *p = malloc(sizeof(double) * (size_t)(n_ctx > 0 ? n_ctx : 1));
    if (!p) return;
    int group = n_heads / n_kv;
    for (int s = 0; s < n_q; s++)
        for (int h = 0; h < n_heads; h++) {
            int pos = pos0 + s, lo = window > 0 && pos - window + 1 > 0 ? pos - window + 1 : 0;
            const float *qv = q + ((size_t)s * n_heads + h) * head_dim;
            double m = -INFINITY, sum = 0;
            for (int j = lo; j <= pos; j++) {
                const float *kv = k + ((size_t)j * n_kv + h / group) * head_dim;
                double d = 0;
                for (int i = 0; i < head_dim; i++) d += (double)qv[i] * kv[i];
                p[j] = d * scale;
                if (p[j] > m) m = p[j];
            }
            for (int j = lo; j <= pos; j++) sum += (p[j] = exp(p[j] - m));
            for (int i = 0; i < head_dim; i++) {
                double o = 0;
                for (int j = lo; j <= pos; j++) o += p[j] * v[((size_t)j * n_kv + h / group) * head_dim + i];
                out[((size_t)s * n_heads + h) * head_dim + i] = (float)(o / sum);
            }
        }
    free(p);
}

void ck_conv1d_ref(const float *x, const float *w, const float *bias, float *y, int c_in,
                   int c_out, int t_in, int k, int stride, int dilation, int pad_left,
                   int pad_right, int groups) {
    int t_out = ck_conv1d_out_len(t_in, k, stride, dilation, pad_left, pad_right);
    int cig = c_in / groups, cog = c_out / groups;
    for (int co = 0; co < c_out; co++) {
        int g = co / cog;
        for (int t = 0; t < t_out; t++) {
            double s = bias ? bias[co] : 0.0;
            for (int ci = 0; ci < cig; ci++)
                for (int j = 0; j < k; j++) {
                    int idx = t * stride + j * dilation - pad_left;
                    if (idx < 0 || idx >= t_in) continue;
                    s += (double)w[((size_t)co * cig + ci) * k + j] * x[(size_t)(g * cig + ci) * t_in + idx];
                }
            y[(size_t)co * t_out + t] = (float)s;
        }
    }
}

void ck_conv_transpose1d_ref(const float *x, const float *w, const float *bias, float *y,
                             int c_in, int c_out, int t_in, int k, int stride) {
    int t_out = (t_in - 1) * stride + k;
    for (int co = 0; co < c_out; co++)
        for (int o = 0; o < t_out; o++) {
            double s = bias ? bias[co] : 0.0;
            for (int j = 0; j < k; j++) {
                if ((o - j) % stride != 0 || o < j) continue;
                int t = (o - j) / stride;
                if (t >= t_in) continue;
                for (int ci = 0; ci < c_in; ci++)
                    s += (double)x[(size_t)ci * t_in + t] * w[((size_t)ci * c_out + co) * k + j];
            }
            y[(size_t)co * t_out + o] = (float)s;
        }
}
