#ifndef TRACEXPORT_CZLIB_SHIM_H
#define TRACEXPORT_CZLIB_SHIM_H
#include <zlib.h>

/* deflateInit/inflateInit are macros that Swift cannot call; these wrappers pass the
   version and struct size the macros would. */
static inline int tx_deflateInit(z_streamp strm, int level) {
    return deflateInit(strm, level);
}
static inline int tx_inflateInit(z_streamp strm) {
    return inflateInit(strm);
}
#endif
