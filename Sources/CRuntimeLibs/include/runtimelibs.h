// Optional system libraries, loaded with dlopen the first time a feature needs them, so the
// package builds with the Swift toolchain alone and the binary starts on a machine that lacks
// them. Only the few entry points the engine calls are declared here, with the types and
// constants of each library's stable public ABI (libsndfile 1.x, libsoxr 0.1, OpenBLAS cblas).
#ifndef RUNTIMELIBS_H
#define RUNTIMELIBS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------
// libsndfile (FLAC, MP3, Ogg/Opus and WAV encodings the pure-Swift reader leaves out)

typedef int64_t rl_sf_count;
typedef struct rl_sndfile_handle rl_sndfile_handle;

typedef struct {
    rl_sf_count frames;
    int samplerate;
    int channels;
    int format;
    int sections;
    int seekable;
} rl_sf_info;

typedef struct {
    rl_sf_count (*_Nonnull get_filelen)(void *_Nullable user);
    rl_sf_count (*_Nonnull seek)(rl_sf_count offset, int whence, void *_Nullable user);
    rl_sf_count (*_Nonnull read)(void *_Nullable dst, rl_sf_count count, void *_Nullable user);
    rl_sf_count (*_Nonnull write)(const void *_Nullable src, rl_sf_count count, void *_Nullable user);
    rl_sf_count (*_Nonnull tell)(void *_Nullable user);
} rl_sf_virtual_io;

enum {
    RL_SFM_READ = 0x10,
    RL_SFM_WRITE = 0x20,
    RL_SF_FORMAT_FLAC = 0x170000,
    RL_SF_FORMAT_OGG = 0x200000,
    RL_SF_FORMAT_MPEG = 0x230000,
    RL_SF_FORMAT_PCM_16 = 0x0002,
    RL_SF_FORMAT_OPUS = 0x0064,
    RL_SF_FORMAT_MPEG_LAYER_III = 0x0082,
    RL_SFC_SET_CLIPPING = 0x10C0,
    RL_SFC_SET_COMPRESSION_LEVEL = 0x1301,
    RL_SFC_SET_BITRATE_MODE = 0x1305,
    RL_SF_BITRATE_MODE_CONSTANT = 0,
    RL_SF_TRUE = 1,
};

typedef struct {
    rl_sndfile_handle *_Nullable (*_Nonnull open_virtual)(rl_sf_virtual_io *_Nonnull io, int mode,
                                                           rl_sf_info *_Nonnull info, void *_Nullable user);
    int (*_Nonnull close)(rl_sndfile_handle *_Nullable file);
    int (*_Nonnull error)(rl_sndfile_handle *_Nullable file);
    const char *_Nullable (*_Nonnull strerror)(rl_sndfile_handle *_Nullable file);
    const char *_Nullable (*_Nonnull error_number)(int errnum);
    int (*_Nonnull format_check)(const rl_sf_info *_Nonnull info);
    int (*_Nonnull command)(rl_sndfile_handle *_Nullable file, int command, void *_Nullable data, int size);
    rl_sf_count (*_Nonnull readf_float)(rl_sndfile_handle *_Nullable file, float *_Nullable dst, rl_sf_count frames);
    rl_sf_count (*_Nonnull writef_float)(rl_sndfile_handle *_Nullable file, const float *_Nullable src, rl_sf_count frames);
    const char *_Nullable (*_Nonnull version_string)(void);
} rl_sndfile;

/// libsndfile's entry points, or NULL when no libsndfile 1.x could be loaded.
const rl_sndfile *_Nullable rl_sndfile_load(void);

// ---------------------------------------------------------------------------------------------
// libsoxr (the resampler behind librosa's "soxr_hq", which the reference uses)

typedef struct rl_soxr_handle rl_soxr_handle;
typedef const char *rl_soxr_error; // NULL: no error

typedef struct {
    int itype;
    int otype;
    double scale;
    void *_Nullable e;
    unsigned long flags;
} rl_soxr_io_spec;

typedef struct {
    double precision;
    double phase_response;
    double passband_end;
    double stopband_begin;
    void *_Nullable e;
    unsigned long flags;
} rl_soxr_quality_spec;

enum {
    RL_SOXR_FLOAT32_I = 0,
    RL_SOXR_HQ = 4, // SOXR_20_BITQ
};

typedef struct {
    rl_soxr_handle *_Nullable (*_Nonnull create)(double in_rate, double out_rate, unsigned channels,
                                                 rl_soxr_error _Nullable *_Nullable error,
                                                 const rl_soxr_io_spec *_Nullable io,
                                                 const rl_soxr_quality_spec *_Nullable quality,
                                                 const void *_Nullable runtime);
    rl_soxr_error _Nullable (*_Nonnull process)(rl_soxr_handle *_Nonnull soxr, const void *_Nullable in,
                                                size_t in_len, size_t *_Nullable in_done,
                                                void *_Nullable out, size_t out_len, size_t *_Nullable out_done);
    void (*_Nonnull delete_)(rl_soxr_handle *_Nullable soxr);
    rl_soxr_io_spec (*_Nonnull io_spec)(int itype, int otype);
    rl_soxr_quality_spec (*_Nonnull quality_spec)(unsigned long recipe, unsigned long flags);
    const char *_Nullable (*_Nonnull version)(void);
} rl_soxr;

/// libsoxr's entry points, or NULL when libsoxr 0.1 could not be loaded.
const rl_soxr *_Nullable rl_soxr_load(void);

// ---------------------------------------------------------------------------------------------
// OpenBLAS: never needed; loaded only to compare the project's own GEMM against it.

typedef struct {
    void (*_Nonnull sgemm)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                           const float *_Nonnull a, int lda, const float *_Nonnull b, int ldb, float beta,
                           float *_Nonnull c, int ldc);
    void (*_Nonnull set_num_threads)(int n);
    char *_Nullable (*_Nonnull get_config)(void);
    char *_Nullable (*_Nonnull get_corename)(void);
} rl_openblas;

enum { RL_CBLAS_ROW_MAJOR = 101, RL_CBLAS_NO_TRANS = 111, RL_CBLAS_TRANS = 112 };

/// OpenBLAS' cblas entry points, or NULL when it is not installed.
const rl_openblas *_Nullable rl_openblas_load(void);

// ---------------------------------------------------------------------------------------------
// libcurl: HTTP(S) downloads of model files from the hub. Linking FoundationNetworking would tie
// the binary to libcurl at load time (and a static build cannot link it at all), so the hub
// client drives libcurl through this one call instead.

/// Called for each response header line (status line included, CRLF stripped).
typedef void (*rl_http_header_fn)(void *_Nullable user, const char *_Nonnull line, size_t length);
/// Called with each piece of the body; returns 0 to continue, nonzero to abort the transfer.
typedef int (*rl_http_body_fn)(void *_Nullable user, const char *_Nonnull data, size_t length);
/// Called about once a second while the transfer runs (progress reports).
typedef void (*rl_http_tick_fn)(void *_Nullable user);

/// GET `url` with the given "Name: value" header lines, without following redirects, giving up
/// after `idle_seconds` without progress. Returns 0 and sets *status on a complete exchange;
/// otherwise returns libcurl's error code (-1 when libcurl is missing) with a message in
/// `error` (at least 256 bytes). An abort requested by `body` returns 42.
int rl_http_get(const char *_Nonnull url, const char *_Nonnull const *_Nullable headers, int n_headers,
                long idle_seconds, void *_Nullable user, rl_http_header_fn _Nonnull on_header,
                rl_http_body_fn _Nonnull on_body, rl_http_tick_fn _Nonnull on_tick, long *_Nonnull status,
                char *_Nonnull error);

enum {
    RL_CURLE_COULDNT_RESOLVE_HOST = 6,
    RL_CURLE_COULDNT_CONNECT = 7,
    RL_CURLE_OPERATION_TIMEDOUT = 28,
    RL_CURLE_SSL_CONNECT_ERROR = 35,
    RL_CURLE_ABORTED_BY_CALLBACK = 42,
    RL_CURLE_PEER_FAILED_VERIFICATION = 60,
};

// ---------------------------------------------------------------------------------------------

/// The file name the library was loaded from (for diagnostics), or NULL when it was not loaded.
/// `which`: 0 libsndfile, 1 libsoxr, 2 OpenBLAS, 3 libcurl. Loads it if that was not tried yet.
const char *_Nullable rl_loaded_from(int which);

#ifdef __cplusplus
}
#endif
#endif
