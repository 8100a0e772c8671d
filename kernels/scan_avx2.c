/* AVX2 structural scan (contract in kernels.h): 64-byte blocks -> 64-bit TAB|LF mask ->
 * positions.  Only this file's functions carry __attribute__((target("avx2,bmi"))); the
 * rest of the program stays baseline x86-64 and cpu.c calls it only when CPUID says so
 * (AVX2 and BMI1: every AVX2 CPU has BMI1, cpu.c checks it anyway). */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

/* BMI1: TZCNT is defined for 0 (gives 64), so the bit walk needs no guard bit, and
 * mask &= mask - 1 becomes one BLSR: 4 instructions per position instead of 7.  TZCNT
 * is spelled as asm because the walker in scan_blocks.h has no target attribute of its
 * own (it is inlined into ours), and GCC refuses to inline the _tzcnt_u64 intrinsic
 * into a function without BMI. */
static inline uint32_t tzcnt64(uint64_t m)
{
    uint64_t r;
    __asm__("tzcnt %1, %0" : "=r"(r) : "rm"(m) : "cc");
    return (uint32_t)r;
}
#define CFS_WALK_LOWEST(m) tzcnt64(m)
#define CFS_TARGET_AVX2 __attribute__((target("avx2,bmi")))

#endif

#include "kernels/scan_blocks.h"

#if defined(__x86_64__) || defined(__i386__)

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

CFS_TARGET_AVX2 size_t cfs_scan_avx2(const uint8_t *buf, size_t len, uint32_t *pos)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, pos, block_mask_avx2, n);
    return n;
}

#endif /* x86 */
