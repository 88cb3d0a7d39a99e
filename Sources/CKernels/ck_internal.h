// Private helpers shared by the kernel files: target attributes, ISA dispatch, and small
// vectorizable math written in plain C so each ISA variant gets it compiled for its own width.
#ifndef CK_INTERNAL_H
#define CK_INTERNAL_H

#include "ckernels.h"
#include <math.h>
#include <string.h>

// Makes this thread use `level` (a pool worker adopts the level of the thread that posted the job).
void ck_isa_adopt(int level);

// Rows r0 .. r0+nr-1, columns c0 .. c0+nc-1 (multiples of 32) of a quantized [rows, cols] matrix,
// dequantized exactly (the values of ck_quant_unpack) into dst with row stride ldd.
void ck_quant_decode(ck_qformat f, const void *packed, int cols, int r0, int nr, int c0, int nc,
                     float *dst, size_t ldd);

#define CK_INLINE static inline __attribute__((always_inline))

enum { CK_ISA_PORTABLE = 0, CK_ISA_AVX2 = 1, CK_ISA_AVX512 = 2 };

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CK_X86 1
#include <immintrin.h>
// ck_cpu_detect requires AVX-512 F+BW; every such CPU (Skylake-SP and later) also has DQ/VL.
#define CK_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c")))
#define CK_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

// Instantiates `body` (a CK_INLINE function of plain C) once per ISA so the compiler vectorizes it
// at each width; CK_DISPATCH then calls the variant for ck_isa_level().
#define CK_VARIANTS(name, body, params, args)                        \
    CK_TARGET_AVX512 static void name##_avx512 params { body args; } \
    CK_TARGET_AVX2 static void name##_avx2 params { body args; }     \
    static void name##_portable params { body args; }
#define CK_DISPATCH(name, args)                                       \
    do {                                                              \
        switch (ck_isa_level()) {                                     \
        case CK_ISA_AVX512: name##_avx512 args; break;                \
        case CK_ISA_AVX2: name##_avx2 args; break;                    \
        default: name##_portable args; break;                         \
        }                                                             \
    } while (0)
#else
#define CK_VARIANTS(name, body, params, args) \
    static void name##_portable params { body args; }
#define CK_DISPATCH(name, args) name##_portable args
#endif

// y[i] = EXPR for i in [0, n), where EXPR reads index `i` of inputs that y may alias exactly (in
// place). Written straight, the store might alias the loads, and the compiler then runs the loop
// scalar (perf showed it for SnakeBeta and add); through a 16-float local block it vectorizes.
#define CK_MAP(n, y, EXPR)                                                  \
    do {                                                                    \
        size_t i0_ = 0, n_ = (size_t)(n);                                   \
        for (; i0_ + 16 <= n_; i0_ += 16) {                                 \
            float v_[16];                                                   \
            for (int l_ = 0; l_ < 16; l_++) {                               \
                size_t i = i0_ + (size_t)l_;                                \
                v_[l_] = (EXPR);                                            \
            }                                                               \
            for (int l_ = 0; l_ < 16; l_++) (y)[i0_ + (size_t)l_] = v_[l_]; \
        }                                                                   \
        for (size_t i = i0_; i < n_; i++) (y)[i] = (EXPR);                  \
    } while (0)

static inline int ck_min(int a, int b) { return a < b ? a : b; }
static inline int ck_max(int a, int b) { return a > b ? a : b; }

CK_INLINE float ck_bits_to_f32(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
CK_INLINE uint32_t ck_f32_to_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
CK_INLINE float ck_bf16(uint16_t h) { return ck_bits_to_f32((uint32_t)h << 16); }

// Sixteen independent partial sums: a fixed lane order lets the compiler vectorize the loop
// without -ffast-math (which we avoid for fidelity), and it sums more accurately than one chain.
CK_INLINE float ck_dot(const float *a, const float *b, int n) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 16; l++) acc[l] += a[i + l] * b[i + l];
    float tail = 0.0f;
    for (; i < n; i++) tail += a[i] * b[i];
    for (int w = 8; w > 0; w >>= 1)
        for (int l = 0; l < w; l++) acc[l] += acc[l + w];
    return acc[0] + tail;
}

CK_INLINE float ck_sumsq(const float *a, int n) { return ck_dot(a, a, n); }

// exp(x) to about 1 ulp for x in [-86, 88.7] (clamped outside, so it never returns inf or 0):
// 2^k * e^r with k = round(x / ln 2); the 1.5*2^23 trick rounds and yields k's bits without
// float->int conversions, so the loop vectorizes on every ISA.
CK_INLINE float ck_exp(float x) {
    x = fminf(fmaxf(x, -86.0f), 88.7f);
    const float magic = 12582912.0f;
    float t = x * 1.44269504088896341f + magic;
    float k = t - magic;
    float r = x - k * 0.693145751953125f;
    r = r - k * 1.428606765330187e-06f;
    float p = 1.0f / 5040;
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    // 2^(k-1) keeps k = 128 (x near 88.7) representable; the factor 2 is exact.
    int32_t ki = (int32_t)(ck_f32_to_bits(t) - ck_f32_to_bits(magic));
    float s = ck_bits_to_f32((uint32_t)(ki + 126) << 23);
    return p * s * 2.0f;
}

// sin(v)² for |v| < 1e4 (callers fall back to libm beyond): sin² has period pi, so reduce by
// k*pi with a three-part pi whose leading parts multiply k exactly, then a Taylor polynomial
// on [-pi/2, pi/2] (truncation error below 6e-8).
CK_INLINE float ck_sin2(float v) {
    const float magic = 12582912.0f;
    float k = (v * 0.318309886183790672f + magic) - magic;
    float r = v - k * 3.140625f;
    r = r - k * 0.0009675025939941406f;
    r = r - k * 1.5099580252808664e-07f;
    float r2 = r * r;
    float p = -1.0f / 39916800;
    p = p * r2 + 1.0f / 362880;
    p = p * r2 - 1.0f / 5040;
    p = p * r2 + 1.0f / 120;
    p = p * r2 - 1.0f / 6;
    float s = r + r * r2 * p;
    return s * s;
}
#define CK_SIN2_LIMIT 1.0e4f

#endif
