/* Little-endian integers, the byte order of everything cfscan writes to a file (state.cfs,
 * sketch blobs, Parquet pages and footers).  One writer and one reader for all of them,
 * a byte at a time, so neither the host's byte order nor alignment matters. */
#ifndef CFSCAN_PIPELINE_LE_H
#define CFSCAN_PIPELINE_LE_H

#include <stdint.h>

/* The low `bytes` bytes of v (1 to 8), least significant first, at dst. */
static inline void cfs_le_put(uint8_t *dst, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) dst[i] = (uint8_t)(v >> (8 * i));
}

/* The 4-byte little-endian integer at src, written out so that the compiler makes it one
 * load on a little-endian machine (a Parquet value's length comes before every string). */
static inline uint32_t cfs_le32(const uint8_t *src)
{
    return (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 | (uint32_t)src[3] << 24;
}

/* The `bytes`-byte (1 to 8) little-endian integer at src. */
static inline uint64_t cfs_le_get(const uint8_t *src, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++) v |= (uint64_t)src[i] << (8 * i);
    return v;
}

#endif
