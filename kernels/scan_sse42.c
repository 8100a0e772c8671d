/* SSE4.2 structural scan (contract in kernels.h): 64-byte blocks -> 64-bit TAB|LF mask ->
 * positions, four 16-byte compares per block.  Only this file's functions carry
 * __attribute__((target("sse4.2"))); cpu.c calls it only when CPUID says so. */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

/* Declared here (and in cpu.c, which lists it in the dispatch table). */
size_t cfs_scan_sse42(const uint8_t *buf, size_t len, uint32_t *pos);

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

/* The bit walk below is the same as in scan_avx2.c (keep them identical). */

/* Offset of the lowest set bit of m, or 63 when m == 0.  OR-ing in bit 63 cannot change
 * the lowest set bit of a nonzero mask, and it keeps __builtin_ctzll away from 0
 * (undefined); the 63 only ever lands in a junk slot. */
#define LOWEST(m) ((uint32_t)__builtin_ctzll((m) | ((uint64_t)1 << 63)))

/* Writes base + (index of each set bit of mask), lowest first, and returns out advanced
 * by popcount(mask).  It writes 8 slots per step whether or not 8 bits are left, so up to
 * 7 junk entries follow the real ones; the next block overwrites them.  Invariant: the
 * write pointer never passes (real count + 7), inside CFS_SCAN_POS_SLACK. */
static inline __attribute__((always_inline)) CFS_TARGET_SSE42 uint32_t *
walk_bits(uint32_t *out, uint32_t base, uint64_t mask)
{
    const uint32_t cnt = (uint32_t)__builtin_popcountll(mask);
    uint32_t done = 0;
    do {
        out[done + 0] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 1] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 2] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 3] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 4] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 5] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 6] = base + LOWEST(mask); mask &= mask - 1;
        out[done + 7] = base + LOWEST(mask); mask &= mask - 1;
        done += 8;
    } while (done < cnt);
    return out + cnt;
}

CFS_TARGET_SSE42 size_t cfs_scan_sse42(const uint8_t *buf, size_t len, uint32_t *pos)
{
    uint32_t *out = pos;
    size_t i = 0;
    /* Whole blocks are read in place.  i <= len <= 2^31, so (uint32_t)i + 63 fits. */
    for (; len - i >= 64; i += 64)
        out = walk_bits(out, (uint32_t)i, block_mask_sse42(buf + i));
    if (i < len) {
        /* The tail goes through a zero-padded copy so no load reaches past buf + len;
         * NUL is not structural, so the padding adds no bits. */
        uint8_t tail[64];
        memset(tail, 0, sizeof tail);
        memcpy(tail, buf + i, len - i);
        out = walk_bits(out, (uint32_t)i, block_mask_sse42(tail));
    }
    return (size_t)(out - pos);
}

#endif /* x86 */
