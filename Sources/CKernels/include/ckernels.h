// CKernels: the hot loops of the engine (C11). Every optimized kernel has a naive reference
// (suffix _ref) beside it; tests compare the two over swept shapes.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// CPU features detected at run time (x86-64: AVX2+FMA, AVX-512F/BW, AVX512-BF16). Zero elsewhere.
typedef struct {
    int avx2_fma;
    int avx512;
    int avx512_bf16;
} ck_cpu_features;

ck_cpu_features ck_cpu_detect(void);

#ifdef __cplusplus
}
#endif
#endif
