#include "ck_internal.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

ck_cpu_features ck_cpu_detect(void) {
    ck_cpu_features f = {0, 0, 0, 0, 0};
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    f.avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    f.avx512_bf16 = f.avx512 && __builtin_cpu_supports("avx512bf16");
    f.avx512_vnni = f.avx512 && __builtin_cpu_supports("avx512vnni");
    f.amx = __builtin_cpu_supports("amx-tile");
#endif
    return f;
}

static int detected_level(void) {
    ck_cpu_features f = ck_cpu_detect();
    if (f.avx512 && f.avx2_fma) return CK_ISA_AVX512;
    if (f.avx2_fma) return CK_ISA_AVX2;
    return CK_ISA_PORTABLE;
}

// -1 until first use; kernels read it on every call, so it stays a relaxed atomic load.
static _Atomic int g_level = -1;

// QWEN3TTS_ISA=portable|avx2|avx512 caps the level for a whole process (to run every fallback
// path end to end on a machine that has the faster ones).
static int env_cap(int level) {
    const char *cap = getenv("QWEN3TTS_ISA");
    if (!cap) return level;
    if (!strcmp(cap, "portable")) return CK_ISA_PORTABLE;
    if (!strcmp(cap, "avx2")) return ck_min(level, CK_ISA_AVX2);
    return level;
}

// A level set by ck_set_isa_level on this thread (-1: none). Per thread, so a test that forces a
// slower path does not change the kernels other threads of the process run; pool workers take
// the level of the thread that posted the job (threadpool.c).
static _Thread_local int tl_level = -1;

int ck_isa_level(void) {
    if (tl_level >= 0) return tl_level;
    int level = atomic_load_explicit(&g_level, memory_order_relaxed);
    if (level < 0) {
        level = env_cap(detected_level());
        atomic_store_explicit(&g_level, level, memory_order_relaxed);
    }
    return level;
}

int ck_set_isa_level(int level) {
    if (level < 0) {
        tl_level = -1;
        return ck_isa_level();
    }
    int best = detected_level();
    tl_level = level > best ? best : level;
    return tl_level;
}

void ck_isa_adopt(int level) { tl_level = level; }
