// dlopen loaders for the optional system libraries declared in runtimelibs.h. Each library is
// tried once (pthread_once) under its runtime soname and the usual Homebrew paths; a library
// counts as present only if every entry point we use resolves, so a feature either works fully
// or reports the library missing.
#include "runtimelibs.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

// ----- libcurl

typedef struct curl_handle curl_handle;
typedef struct curl_slist curl_slist;
typedef struct {
    int (*global_init)(long flags);
    curl_handle *(*easy_init)(void);
    int (*easy_setopt)(curl_handle *, int option, ...);
    int (*easy_perform)(curl_handle *);
    int (*easy_getinfo)(curl_handle *, int info, ...);
    void (*easy_cleanup)(curl_handle *);
    const char *(*easy_strerror)(int code);
    curl_slist *(*slist_append)(curl_slist *, const char *);
    void (*slist_free_all)(curl_slist *);
} rl_curl;
_Static_assert(sizeof(rl_curl) == 9 * sizeof(void *), "rl_curl must hold only pointers");

// Option numbers of libcurl's stable ABI (type base + number, see curl.h's CURLOPT list).
enum {
    CURLOPT_WRITEDATA = 10001, CURLOPT_URL = 10002, CURLOPT_ERRORBUFFER = 10010,
    CURLOPT_WRITEFUNCTION = 20011, CURLOPT_LOW_SPEED_LIMIT = 19, CURLOPT_LOW_SPEED_TIME = 20,
    CURLOPT_HTTPHEADER = 10023, CURLOPT_HEADERDATA = 10029, CURLOPT_NOPROGRESS = 43,
    CURLOPT_FOLLOWLOCATION = 52, CURLOPT_XFERINFODATA = 10057, CURLOPT_CONNECTTIMEOUT = 78,
    CURLOPT_HEADERFUNCTION = 20079, CURLOPT_NOSIGNAL = 99, CURLOPT_XFERINFOFUNCTION = 20219,
    CURLINFO_RESPONSE_CODE = 0x200000 + 2, CURL_GLOBAL_DEFAULT = 3, CURL_ERROR_SIZE = 256,
};

static const char *const curl_names[] = {
#ifdef __APPLE__
    "libcurl.4.dylib", "/usr/lib/libcurl.4.dylib",
#else
    "libcurl.so.4", "libcurl-gnutls.so.4",
#endif
    NULL};
static const char *const curl_symbols[] = {
    "curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_perform", "curl_easy_getinfo",
    "curl_easy_cleanup", "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all", NULL};
static rl_curl curl_table;
static library curl_lib = {"curl", curl_names, curl_symbols, (void **)&curl_table, NULL};
static int curl_ok;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) {
    curl_ok = load(&curl_lib) && curl_table.global_init(CURL_GLOBAL_DEFAULT) == 0;
}

typedef struct {
    void *user;
    rl_http_header_fn on_header;
    rl_http_body_fn on_body;
    rl_http_tick_fn on_tick;
    time_t last_tick;
} http_exchange;

static size_t http_header(char *data, size_t size, size_t count, void *p) {
    http_exchange *x = p;
    size_t n = size * count, len = n;
    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n')) len--;
    char line[8192];
    size_t keep = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, keep);
    line[keep] = 0;
    x->on_header(x->user, line, keep);
    return n;
}

static size_t http_body(char *data, size_t size, size_t count, void *p) {
    http_exchange *x = p;
    size_t n = size * count;
    return x->on_body(x->user, data, n) == 0 ? n : 0; // a short count makes libcurl abort
}

static int http_progress(void *p, int64_t dltotal, int64_t dlnow, int64_t ultotal, int64_t ulnow) {
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    http_exchange *x = p;
    time_t now = time(NULL);
    if (now != x->last_tick) {
        x->last_tick = now;
        x->on_tick(x->user);
    }
    return 0;
}

int rl_http_get(const char *url, const char *const *headers, int n_headers, long idle_seconds, void *user,
                rl_http_header_fn on_header, rl_http_body_fn on_body, rl_http_tick_fn on_tick, long *status,
                char *error) {
    pthread_once(&curl_once, curl_init);
    error[0] = 0;
    *status = 0;
    if (!curl_ok) {
        strcpy(error, "libcurl is not installed");
        return -1;
    }
    const rl_curl *c = &curl_table;
    curl_handle *h = c->easy_init();
    if (!h) {
        strcpy(error, "libcurl could not start a transfer");
        return -1;
    }
    curl_slist *list = NULL;
    for (int i = 0; i < n_headers; i++) list = c->slist_append(list, headers[i]);
    http_exchange x = {user, on_header, on_body, on_tick, time(NULL)};
    char buffer[CURL_ERROR_SIZE] = {0};
    c->easy_setopt(h, CURLOPT_URL, url);
    c->easy_setopt(h, CURLOPT_HTTPHEADER, list);
    c->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    c->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    c->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    // "Idle" = under 1 byte/s for idle_seconds: a stalled connection fails, a slow one does not.
    c->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    c->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, idle_seconds);
    c->easy_setopt(h, CURLOPT_ERRORBUFFER, buffer);
    c->easy_setopt(h, CURLOPT_HEADERFUNCTION, http_header);
    c->easy_setopt(h, CURLOPT_HEADERDATA, &x);
    c->easy_setopt(h, CURLOPT_WRITEFUNCTION, http_body);
    c->easy_setopt(h, CURLOPT_WRITEDATA, &x);
    c->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, http_progress);
    c->easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    c->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    int rc = c->easy_perform(h);
    if (rc == 0) {
        c->easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    } else if (rc == 23) {
        rc = RL_CURLE_ABORTED_BY_CALLBACK; // a write error is always our body callback's doing
        strcpy(error, "aborted");
    } else {
        const char *text = buffer[0] ? buffer : c->easy_strerror(rc);
        snprintf(error, CURL_ERROR_SIZE, "%s", text ? text : "transfer failed");
    }
    c->easy_cleanup(h);
    c->slist_free_all(list);
    return rc;
}

const char *rl_loaded_from(int which) {
    switch (which) {
    case 0: return rl_sndfile_load() ? sndfile_lib.loaded_from : NULL;
    case 1: return rl_soxr_load() ? soxr_lib.loaded_from : NULL;
    case 2: return rl_openblas_load() ? openblas_lib.loaded_from : NULL;
    case 3:
        pthread_once(&curl_once, curl_init);
        return curl_ok ? curl_lib.loaded_from : NULL;
    default: return NULL;
    }
}
