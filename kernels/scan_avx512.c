/* AVX-512 structural scan and column locators.  The scan: one 64-byte load per block and
 * two byte compares straight into 64-bit masks (no movemask, no shifts), with the block
 * loop and LF walk of scan_blocks.h.  The locators: VPCOMPRESSB (AVX-512 VBMI2) packs the
 * indices of a word's TABs into the low bytes of a register, which are widened to 32 bits
 * and offset by the word's position, 16 at a time; so a word's TABs are written with a
 * few instructions whatever their number, where the other variants take one bit at a
 * time.  Only this file's functions carry the target attribute; cpu.c lists the kernel
 * only where CPUID and XCR0 say AVX-512 F, BW and VBMI2 are usable (VBMI2 also leaves out
 * Skylake-SP and Cascade Lake, which lower the clock for 512-bit code). */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

#define CFS_WALK_TZCNT 1 /* scan_blocks.h: BMI1's TZCNT for the LF walk */
#define CFS_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi2,bmi,popcnt")))

static const uint8_t k_iota[64] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
                                   16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
                                   32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47,
                                   48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63};

/* The offsets base + i of the set bits i of m, lowest first, to out[0..popcount(m)), in
 * stores of 16 entries: up to 15 junk entries follow (out has room for 64).  Returns
 * out + popcount(m): scan_blocks.h's CFS_WALK_WORD for this variant. */
static inline CFS_TARGET_AVX512 uint32_t *expand_word(uint32_t *out, uint32_t base, uint64_t m)
{
    const __m512i idx = _mm512_maskz_compress_epi8(m, _mm512_loadu_si512((const void *)k_iota));
    const __m512i b = _mm512_set1_epi32((int)base);
    const unsigned n = (unsigned)__builtin_popcountll(m);
    _mm512_storeu_si512((void *)out, _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_castsi512_si128(idx)), b));
    if (__builtin_expect(n > 16, 0)) {
        _mm512_storeu_si512((void *)(out + 16),
                            _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 1)), b));
        if (n > 32)
            _mm512_storeu_si512((void *)(out + 32),
                                _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 2)), b));
        if (n > 48)
            _mm512_storeu_si512((void *)(out + 48),
                                _mm512_add_epi32(_mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32(idx, 3)), b));
    }
    return out + n;
}

#define CFS_WALK_WORD(out, base, m) expand_word((out), (base), (m))

#endif

#include "kernels/scan_blocks.h"

#if defined(__x86_64__) || defined(__i386__)

/* Bit k of the result is set iff p[k] is '\t', bit k of *lf iff it is '\n' (k = 0..63). */
static inline CFS_TARGET_AVX512 uint64_t block_masks_avx512(const uint8_t *p, uint64_t *lf)
{
    const __m512i v = _mm512_loadu_si512((const void *)p);
    *lf = _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'));
    return _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t'));
}

CFS_TARGET_AVX512 size_t cfs_scan_avx512(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, tabs, lf, block_masks_avx512, n);
    return n;
}

CFS_TARGET_AVX512 size_t cfs_cols_avx512(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k,
                                         uint32_t *out)
{
    return cfs_cols_walk(tabs, ls, le, k, out); /* writes up to k + 63 < k + CFS_COLS_SLACK */
}

CFS_TARGET_AVX512 size_t cfs_pick_avx512(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want,
                                         size_t nwant, uint32_t *out)
{
    /* Every TAB up to the last wanted one, straight into out, which the contract lets a
     * pick overwrite up to want[nwant - 1] + CFS_COLS_SLACK (want[] is increasing): no
     * copy of the wanted ones from a local array.  That copy read each entry back from
     * 64-byte stores just made, and cost about a third of the pick (cfsbench scan_avx512,
     * lines of the standard layout: 44 to 37 ms for the scan and pick together). */
    if (!nwant) return cfs_pick_walk(tabs, ls, le, want, 0, out); /* only counts */
    return cfs_cols_walk(tabs, ls, le, (size_t)want[nwant - 1] + 1, out);
}

#endif /* x86 */
