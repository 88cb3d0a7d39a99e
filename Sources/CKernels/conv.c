// Convolution pieces. Dense convolutions are GEMMs (ck_sgemm_conv, or im2col + ck_sgemm when
// strided or padded), assembled in Swift; depthwise convolutions have too little arithmetic per
// byte for a GEMM and run here.
#include "ck_internal.h"

int ck_conv1d_out_len(int t_in, int k, int stride, int dilation, int pad_left, int pad_right) {
    int span = t_in + pad_left + pad_right - dilation * (k - 1) - 1;
    return span < 0 ? 0 : span / stride + 1;
}

// Output positions t whose input index t*stride + off lies in [0, t_in): [*lo, *hi).
static void valid_range(int off, int stride, int t_in, int t_out, int *lo, int *hi) {
    int a = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int last = t_in - 1 - off; // t*stride <= last
    int b = last < 0 ? 0 : last / stride + 1;
    *lo = ck_min(a, t_out);
    *hi = ck_max(*lo, ck_min(b, t_out));
}

void ck_bias_add(float *y, const float *bias, int channels, int t) {
    for (int c = 0; c < channels; c++) {
        float b = bias[c], *yr = y + (size_t)c * t;
        for (int i = 0; i < t; i++) yr[i] += b;
    }
}

void ck_bias_fill(float *y, const float *bias, int channels, int t) {
    for (int c = 0; c < channels; c++) {
        float b = bias ? bias[c] : 0.0f;
        float *yr = y + (size_t)c * t;
        for (int i = 0; i < t; i++) yr[i] = b;
    }
}

void ck_im2col(const float *x, float *col, int channels, int t_in, int k, int stride,
               int dilation, int pad_left, int t0, int n_t) {
    for (int c = 0; c < channels; c++) {
        const float *xr = x + (size_t)c * t_in;
        for (int j = 0; j < k; j++) {
            float *dst = col + ((size_t)j * channels + c) * n_t;
            int off = t0 * stride + j * dilation - pad_left;
            int lo, hi;
            valid_range(off, stride, t_in, n_t, &lo, &hi);
            for (int i = 0; i < lo; i++) dst[i] = 0.0f;
            if (stride == 1)
                memcpy(dst + lo, xr + off + lo, sizeof(float) * (size_t)(hi - lo));
            else
                for (int i = lo; i < hi; i++) dst[i] = xr[i * stride + off];
            for (int i = hi; i < n_t; i++) dst[i] = 0.0f;
        }
    }
}

void ck_phase_interleave(const float *phases, const float *bias, float *y, int c_out, int stride,
                         int columns, int t_out) {
    for (int o = 0; o < c_out; o++) {
        float b = bias ? bias[o] : 0.0f, *yr = y + (size_t)o * t_out;
        for (int p = 0; p < stride; p++) {
            const float *src = phases + ((size_t)p * c_out + o) * columns;
            for (int i = 0; i < columns && i * stride + p < t_out; i++) yr[i * stride + p] = src[i] + b;
        }
    }
}

// Per channel: start from the bias, then add each tap over the positions where it is in range
// (a contiguous, vectorizable run for stride 1).
CK_INLINE void depthwise_body(const float *x, const float *w, const float *bias, float *y, int c0,
                              int c1, int t_in, int t_out, int k, int stride, int dilation,
                              int pad_left) {
    for (int c = c0; c < c1; c++) {
        const float *xr = x + (size_t)c * t_in;
        const float *wr = w + (size_t)c * k;
        float *yr = y + (size_t)c * t_out;
        float b = bias ? bias[c] : 0.0f;
        for (int i = 0; i < t_out; i++) yr[i] = b;
        for (int j = 0; j < k; j++) {
            int off = j * dilation - pad_left, lo, hi;
            valid_range(off, stride, t_in, t_out, &lo, &hi);
            float wj = wr[j];
            if (stride == 1)
                for (int i = lo; i < hi; i++) yr[i] += wj * xr[i + off];
            else
                for (int i = lo; i < hi; i++) yr[i] += wj * xr[i * stride + off];
        }
    }
}
CK_VARIANTS(depthwise, depthwise_body,
            (const float *x, const float *w, const float *b, float *y, int c0, int c1, int t_in,
             int t_out, int k, int s, int d, int pl),
            (x, w, b, y, c0, c1, t_in, t_out, k, s, d, pl))

typedef struct {
    const float *x, *w, *bias;
    float *y;
    int channels, t_in, t_out, k, stride, dilation, pad_left, per_task;
} dw_job;

static void dw_task(void *ctx, int task, int thread) {
    (void)thread;
    const dw_job *j = ctx;
    int c0 = task * j->per_task, c1 = ck_min(j->channels, c0 + j->per_task);
    CK_DISPATCH(depthwise, (j->x, j->w, j->bias, j->y, c0, c1, j->t_in, j->t_out, j->k, j->stride,
                            j->dilation, j->pad_left));
}

void ck_conv1d_depthwise(ck_pool *pool, const float *x, const float *w, const float *bias,
                         float *y, int channels, int t_in, int k, int stride, int dilation,
                         int pad_left, int pad_right) {
    int t_out = ck_conv1d_out_len(t_in, k, stride, dilation, pad_left, pad_right);
    if (t_out <= 0 || channels <= 0) return;
    int threads = ck_pool_threads(pool);
    int tasks = (size_t)channels * t_out * k < 65536 ? 1 : ck_min(channels, threads * 4);
    int per_task = (channels + tasks - 1) / tasks;
    dw_job job = {x, w, bias, y, channels, t_in, t_out, k, stride, dilation, pad_left, per_task};
    ck_pool_run(pool, (channels + per_task - 1) / per_task, dw_task, &job);
}
