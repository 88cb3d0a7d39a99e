// libsoxr: the resampler behind librosa.resample(res_type="soxr_hq"), which the reference uses.
// Debian/Ubuntu: libsoxr-dev; macOS: brew install libsoxr.
#include <soxr.h>
