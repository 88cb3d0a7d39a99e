// OpenBLAS's CBLAS interface (Debian: libopenblas-dev). On macOS, Accelerate stands here instead.
#include <cblas.h>
