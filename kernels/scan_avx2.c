/* AVX2 structural scan (contract in kernels.h): 64-byte blocks -> 64-bit TAB|LF mask ->
 * positions.  Only this file's functions carry __attribute__((target("avx2"))); the rest
 * of the program stays baseline x86-64 and cpu.c calls it only when CPUID says so. */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

/* Declared here (and in cpu.c, which lists it in the dispatch table). */
size_t cfs_scan_avx2(const uint8_t *buf, size_t len, uint32_t *pos);

#define CFS_TARGET_AVX2 __attribute__((target("avx2")))

/* Bit k of the result is set iff p[k] is '\t' or '\n' (k = 0..63). */
static inline CFS_TARGET_AVX2 uint64_t block_mask_avx2(const uint8_t *p)
{
    const __m256i tab = _mm256_set1_epi8('\t');
    const __m256i lf = _mm256_set1_epi8('\n');
    const __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    const __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    const __m256i mlo = _mm256_or_si256(_mm256_cmpeq_epi8(lo, tab), _mm256_cmpeq_epi8(lo, lf));
    const __m256i mhi = _mm256_or_si256(_mm256_cmpeq_epi8(hi, tab), _mm256_cmpeq_epi8(hi, lf));
    /* movemask gives an int whose 32 bits are the byte sign bits; go through uint32_t so
     * the high half is not sign-extended into bits 32..63. */
    const uint64_t a = (uint32_t)_mm256_movemask_epi8(mlo);
    const uint64_t b = (uint32_t)_mm256_movemask_epi8(mhi);
    return a | (b << 32);
}

/* Offset of the lowest set bit of m, or 63 when m == 0.  OR-ing in bit 63 cannot change
 * the lowest set bit of a nonzero mask, and it keeps __builtin_ctzll away from 0
 * (undefined); the 63 only ever lands in a junk slot. */
#define LOWEST(m) ((uint32_t)__builtin_ctzll((m) | ((uint64_t)1 << 63)))

/* Writes base + (index of each set bit of mask), lowest first, and returns out advanced
 * by popcount(mask).  It writes 8 slots per step whether or not 8 bits are left, so up to
 * 7 junk entries follow the real ones; the next block overwrites them.  Invariant: the
 * write pointer never passes (real count + 7), inside CFS_SCAN_POS_SLACK.  Most CloudFront
 * blocks hold fewer than 8 separators (~34 per ~350-byte line), so one branch-free step
 * usually covers a block. */
static inline __attribute__((always_inline)) CFS_TARGET_AVX2 uint32_t *
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

CFS_TARGET_AVX2 size_t cfs_scan_avx2(const uint8_t *buf, size_t len, uint32_t *pos)
{
    uint32_t *out = pos;
    size_t i = 0;
    /* Whole blocks are read in place.  i <= len <= 2^31, so (uint32_t)i + 63 fits. */
    for (; len - i >= 64; i += 64)
        out = walk_bits(out, (uint32_t)i, block_mask_avx2(buf + i));
    if (i < len) {
        /* The tail goes through a zero-padded copy so no load reaches past buf + len;
         * NUL is not structural, so the padding adds no bits. */
        uint8_t tail[64];
        memset(tail, 0, sizeof tail);
        memcpy(tail, buf + i, len - i);
        out = walk_bits(out, (uint32_t)i, block_mask_avx2(tail));
    }
    return (size_t)(out - pos);
}

#endif /* x86 */
