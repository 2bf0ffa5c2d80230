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
/* gzip (RFC 1952) framing instead of zlib's: windowBits 15 + 16 (deflateInit2 is a macro too). */
static inline int tx_deflateInitGzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
static inline int tx_inflateInitGzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 16);
}
#endif
