// libsndfile (FLAC, MP3, Ogg/Opus and the WAV variants the pure-Swift reader leaves out).
// Debian/Ubuntu: libsndfile1-dev (1.1+ for MP3); macOS: brew install libsndfile.
#include <sndfile.h>
