/* Scalar reference for the structural scan (kernels.h): one byte at a time, no tricks.
 * It is the fallback on every CPU and the oracle the ISA variants are tested against,
 * so it stays obviously correct rather than fast. */
#include "kernels/kernels.h"

size_t cfs_scan_scalar(const uint8_t *buf, size_t len, uint32_t *pos)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        /* Only TAB and LF are structural; CR is left to the record layer. */
        if (buf[i] == '\t' || buf[i] == '\n')
            pos[n++] = (uint32_t)i; /* len <= CFS_SCAN_MAX_LEN, so i fits */
    }
    return n;
}
