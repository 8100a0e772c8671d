/* AVX2 structural scan (contract in kernels.h): 64-byte blocks -> 64-bit TAB and LF
 * masks -> TAB map and LF positions, and the column locator.  Only this file's functions
 * carry __attribute__((target("avx2,bmi,popcnt"))); the rest of the program stays
 * baseline x86-64 and cpu.c calls them only when CPUID says so (AVX2 and BMI1: every
 * AVX2 CPU has BMI1, cpu.c checks it anyway). */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

#define CFS_WALK_TZCNT 1 /* scan_blocks.h: BMI1's TZCNT for the bit walks */
#define CFS_TARGET_AVX2 __attribute__((target("avx2,bmi,popcnt")))

#endif

#include "kernels/scan_blocks.h"

#if defined(__x86_64__) || defined(__i386__)

/* Bit k of the result is set iff p[k] is '\t', bit k of *lf iff it is '\n' (k = 0..63).
 * movemask gives an int whose 32 bits are the byte sign bits; it goes through uint32_t
 * so the high half is not sign-extended into bits 32..63. */
static inline CFS_TARGET_AVX2 uint64_t block_masks_avx2(const uint8_t *p, uint64_t *lf)
{
    const __m256i tab = _mm256_set1_epi8('\t');
    const __m256i nl = _mm256_set1_epi8('\n');
    const __m256i lo = _mm256_loadu_si256((const __m256i *)(const void *)p);
    const __m256i hi = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
    const uint64_t tlo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, tab));
    const uint64_t thi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, tab));
    const uint64_t nlo = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, nl));
    const uint64_t nhi = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, nl));
    *lf = nlo | (nhi << 32);
    return tlo | (thi << 32);
}

CFS_TARGET_AVX2 size_t cfs_scan_avx2(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, tabs, lf, block_masks_avx2, n);
    return n;
}

CFS_TARGET_AVX2 size_t cfs_cols_avx2(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out)
{
    return cfs_cols_walk(tabs, ls, le, k, out);
}

CFS_TARGET_AVX2 size_t cfs_pick_avx2(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want,
                                     size_t nwant, uint32_t *out)
{
    return cfs_pick_walk(tabs, ls, le, want, nwant, out);
}

#endif /* x86 */
