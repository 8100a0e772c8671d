/* SSE4.2 structural scan (contract in kernels.h): 64-byte blocks -> 64-bit TAB and LF
 * masks -> TAB map and LF positions, eight 16-byte compares per block; and the column
 * locator.  Only this file's functions carry
 * __attribute__((target("sse4.2"))); cpu.c calls it only when CPUID says so. */
#include "kernels/kernels.h"
#include "kernels/scan_blocks.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

/* The compares themselves are SSE2; the target is sse4.2 because that is the level the
 * table advertises and it lets the compiler use POPCNT (cpu.c checks that bit too). */
#define CFS_TARGET_SSE42 __attribute__((target("sse4.2,popcnt")))

/* Bits of one 16-byte lane equal to c, in the low 16 bits of the result. */
static inline CFS_TARGET_SSE42 uint64_t lane_mask_sse42(__m128i v, char c)
{
    return (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))); /* bits 0..15 */
}

/* Bit k of the result is set iff p[k] is '\t', bit k of *lf iff it is '\n' (k = 0..63). */
static inline CFS_TARGET_SSE42 uint64_t block_masks_sse42(const uint8_t *p, uint64_t *lf)
{
    uint64_t t = 0, n = 0;
    for (int k = 0; k < 4; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * k));
        t |= lane_mask_sse42(v, '\t') << (16 * k);
        n |= lane_mask_sse42(v, '\n') << (16 * k);
    }
    *lf = n;
    return t;
}

CFS_TARGET_SSE42 size_t cfs_scan_sse42(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, tabs, lf, block_masks_sse42, n);
    return n;
}

CFS_TARGET_SSE42 size_t cfs_cols_sse42(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k,
                                       uint32_t *out)
{
    return cfs_cols_walk(tabs, ls, le, k, out);
}

CFS_TARGET_SSE42 size_t cfs_pick_sse42(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want,
                                       size_t nwant, uint32_t *out)
{
    return cfs_pick_walk(tabs, ls, le, want, nwant, out);
}

#endif /* x86 */
