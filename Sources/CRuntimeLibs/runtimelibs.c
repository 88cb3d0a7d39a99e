// dlopen loaders for the optional system libraries declared in runtimelibs.h. Each library is
// tried once (pthread_once) under its runtime soname and the usual Homebrew paths; a library
// counts as present only if every entry point we use resolves, so a feature either works fully
// or reports the library missing.
#include "runtimelibs.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *key; // the name QWEN3TTS_DISABLE_LIBS uses
    const char *const *names; // NULL-terminated candidates
    const char *const *symbols; // NULL-terminated, in the order of the table's fields
    void **table;
    const char *loaded_from;
} library;

// The tables are structs of function pointers filled through `void **`: every platform we build
// for gives function and data pointers the same size and representation (POSIX dlsym needs it).
_Static_assert(sizeof(rl_sndfile) == 10 * sizeof(void *), "rl_sndfile must hold only pointers");
_Static_assert(sizeof(rl_soxr) == 6 * sizeof(void *), "rl_soxr must hold only pointers");
_Static_assert(sizeof(rl_openblas) == 4 * sizeof(void *), "rl_openblas must hold only pointers");

// QWEN3TTS_DISABLE_LIBS=sndfile,soxr,openblas makes the loader act as if those were not
// installed, so the "not installed" errors can be tested on a machine that has them.
static int disabled(const char *key) {
    const char *list = getenv("QWEN3TTS_DISABLE_LIBS");
    if (!list) return 0;
    size_t n = strlen(key);
    for (const char *p = list; (p = strstr(p, key)) != NULL; p += n) {
        int starts = p == list || p[-1] == ',';
        int ends = p[n] == 0 || p[n] == ',';
        if (starts && ends) return 1;
    }
    return 0;
}

static int load(library *lib) {
    if (disabled(lib->key)) return 0;
    for (const char *const *name = lib->names; *name; name++) {
        void *handle = dlopen(*name, RTLD_NOW | RTLD_LOCAL);
        if (!handle) continue;
        int ok = 1;
        for (int i = 0; lib->symbols[i]; i++) {
            void *sym = dlsym(handle, lib->symbols[i]);
            if (!sym) { ok = 0; break; }
            lib->table[i] = sym;
        }
        if (ok) {
            lib->loaded_from = *name;
            return 1;
        }
        dlclose(handle);
    }
    return 0;
}

// ----- libsndfile

static const char *const sndfile_names[] = {
#ifdef __APPLE__
    "libsndfile.1.dylib", "/opt/homebrew/lib/libsndfile.1.dylib", "/usr/local/lib/libsndfile.1.dylib",
#else
    "libsndfile.so.1",
#endif
    NULL};
static const char *const sndfile_symbols[] = {
    "sf_open_virtual", "sf_close", "sf_error", "sf_strerror", "sf_error_number", "sf_format_check",
    "sf_command", "sf_readf_float", "sf_writef_float", "sf_version_string", NULL};
static rl_sndfile sndfile_table;
static library sndfile_lib = {"sndfile", sndfile_names, sndfile_symbols, (void **)&sndfile_table, NULL};
static int sndfile_ok;
static pthread_once_t sndfile_once = PTHREAD_ONCE_INIT;
static void sndfile_init(void) { sndfile_ok = load(&sndfile_lib); }

const rl_sndfile *rl_sndfile_load(void) {
    pthread_once(&sndfile_once, sndfile_init);
    return sndfile_ok ? &sndfile_table : NULL;
}

// ----- libsoxr

static const char *const soxr_names[] = {
#ifdef __APPLE__
    "libsoxr.0.dylib", "/opt/homebrew/lib/libsoxr.0.dylib", "/usr/local/lib/libsoxr.0.dylib",
#else
    "libsoxr.so.0",
#endif
    NULL};
static const char *const soxr_symbols[] = {
    "soxr_create", "soxr_process", "soxr_delete", "soxr_io_spec", "soxr_quality_spec", "soxr_version", NULL};
static rl_soxr soxr_table;
static library soxr_lib = {"soxr", soxr_names, soxr_symbols, (void **)&soxr_table, NULL};
static int soxr_ok;
static pthread_once_t soxr_once = PTHREAD_ONCE_INIT;
static void soxr_init(void) { soxr_ok = load(&soxr_lib); }

const rl_soxr *rl_soxr_load(void) {
    pthread_once(&soxr_once, soxr_init);
    return soxr_ok ? &soxr_table : NULL;
}

// ----- OpenBLAS

static const char *const openblas_names[] = {
#ifdef __APPLE__
    "libopenblas.0.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.0.dylib",
    "/usr/local/opt/openblas/lib/libopenblas.0.dylib",
#else
    "libopenblas.so.0", "libopenblas.so",
#endif
    NULL};
static const char *const openblas_symbols[] = {
    "cblas_sgemm", "openblas_set_num_threads", "openblas_get_config", "openblas_get_corename", NULL};
static rl_openblas openblas_table;
static library openblas_lib = {"openblas", openblas_names, openblas_symbols, (void **)&openblas_table, NULL};
static int openblas_ok;
static pthread_once_t openblas_once = PTHREAD_ONCE_INIT;
static void openblas_init(void) { openblas_ok = load(&openblas_lib); }

const rl_openblas *rl_openblas_load(void) {
    pthread_once(&openblas_once, openblas_init);
    return openblas_ok ? &openblas_table : NULL;
}

const char *rl_loaded_from(int which) {
    switch (which) {
    case 0: return rl_sndfile_load() ? sndfile_lib.loaded_from : NULL;
    case 1: return rl_soxr_load() ? soxr_lib.loaded_from : NULL;
    case 2: return rl_openblas_load() ? openblas_lib.loaded_from : NULL;
    default: return NULL;
    }
}
