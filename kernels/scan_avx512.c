/* AVX-512BW structural scan: one 64-byte load per block and two byte compares straight
 * into 64-bit masks (no movemask, no shifts), the block loop, LF walk and locators of
 * scan_blocks.h as the other variants.  Its columns come from the AVX2 walk and the PDEP
 * picker (the CPUs it runs on, Intel since Ice Lake and AMD since Zen 4, have a fast PDEP;
 * cpu.c checks it anyway).  Only this file's function carries the target attribute;
 * cpu.c lists the kernel only where CPUID and XCR0 say AVX-512BW is usable (and VBMI is
 * there, which leaves out the CPUs that slow down for 512-bit code). */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>
#include <string.h>

#define CFS_WALK_TZCNT 1 /* scan_blocks.h: BMI1's TZCNT for the LF walk */
#define CFS_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,bmi,popcnt")))

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

#endif /* x86 */
