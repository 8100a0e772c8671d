/* Scalar reference for the structural scan and the column locator (kernels.h): one byte
 * (or bit) at a time, no tricks.  It is the fallback on every CPU and the oracle the ISA
 * variants are tested against, so it stays obviously correct rather than fast. */
#include "kernels/kernels.h"

size_t cfs_scan_scalar(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf)
{
    size_t n = 0;
    for (size_t w = 0; w < CFS_SCAN_WORDS(len); w++) tabs[w] = 0;
    for (size_t i = 0; i < len; i++) {
        /* Only TAB and LF are structural; CR is left to the record layer. */
        if (buf[i] == '\t') tabs[i / 64] |= (uint64_t)1 << (i % 64);
        else if (buf[i] == '\n') lf[n++] = (uint32_t)i; /* len <= CFS_SCAN_MAX_LEN, so i fits */
    }
    return n;
}

size_t cfs_cols_scalar(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out)
{
    size_t count = 0;
    for (uint32_t p = ls; p < le; p++) {
        if (!((tabs[p / 64] >> (p % 64)) & 1)) continue;
        if (count < k) out[count] = p;
        count++;
    }
    return count;
}

size_t cfs_pick_scalar(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                       uint32_t *out)
{
    size_t count = 0, i = 0;
    for (uint32_t p = ls; p < le; p++) {
        if (!((tabs[p / 64] >> (p % 64)) & 1)) continue;
        if (i < nwant && want[i] == count) out[want[i++]] = p;
        count++;
    }
    return count;
}
