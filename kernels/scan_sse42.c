/* SSE4.2 structural scan (contract in kernels.h): 64-byte blocks -> 64-bit TAB|LF mask ->
 * positions, four 16-byte compares per block.  Only this file's functions carry
 * __attribute__((target("sse4.2"))); cpu.c calls it only when CPUID says so. */
#include "kernels/kernels.h"
#include "kernels/scan_blocks.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

/* The compares themselves are SSE2; the target is sse4.2 because that is the level the
 * table advertises and it lets the compiler use POPCNT (cpu.c checks that bit too). */
#define CFS_TARGET_SSE42 __attribute__((target("sse4.2")))

/* TAB|LF bits of one 16-byte lane, in the low 16 bits of the result. */
static inline CFS_TARGET_SSE42 uint64_t lane_mask_sse42(const uint8_t *p)
{
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i lf = _mm_set1_epi8('\n');
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, tab), _mm_cmpeq_epi8(v, lf));
    return (uint32_t)_mm_movemask_epi8(m); /* only bits 0..15 can be set */
}

/* Bit k of the result is set iff p[k] is '\t' or '\n' (k = 0..63). */
static inline CFS_TARGET_SSE42 uint64_t block_mask_sse42(const uint8_t *p)
{
    return lane_mask_sse42(p) | (lane_mask_sse42(p + 16) << 16) |
           (lane_mask_sse42(p + 32) << 32) | (lane_mask_sse42(p + 48) << 48);
}

CFS_TARGET_SSE42 size_t cfs_scan_sse42(const uint8_t *buf, size_t len, uint32_t *pos)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, pos, block_mask_sse42, n);
    return n;
}

#endif /* x86 */
