/* The AVX2 kernel with a picking column locator that selects each wanted TAB by BMI2's
 * PDEP (deposit a single bit under the word's TAB mask, then TZCNT) instead of clearing
 * the bits below it one by one: the line ends, the TAB map and the first-k locator are
 * scan_avx2.c's.  PDEP is microcoded, and slow, on AMD before Zen 3, so cpu.c lists this
 * kernel only on CPUs with BMI2 where it is a single fast instruction
 * (CFS_CPU_FAST_PDEP).  Only this file's function carries the target attribute. */
#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)

#define CFS_WALK_TZCNT 1 /* scan_blocks.h: BMI1's TZCNT for the bit walks */
/* PDEP spelled as asm for the reason TZCNT is (scan_blocks.h): the walker it is used in
 * has no target attribute of its own. */
static inline uint64_t cfs_pdep64(uint64_t src, uint64_t mask)
{
    uint64_t r;
    __asm__("pdep %2, %1, %0" : "=r"(r) : "r"(src), "rm"(mask));
    return r;
}
#define CFS_SELECT(m, r) cfs_tzcnt64(cfs_pdep64((uint64_t)1 << (r), (m)))

#endif

#include "kernels/scan_blocks.h"

#if defined(__x86_64__) || defined(__i386__)

__attribute__((target("avx2,bmi,bmi2,popcnt"))) size_t cfs_pick_bmi2(const uint64_t *tabs, uint32_t ls,
                                                                     uint32_t le, const uint8_t *want,
                                                                     size_t nwant, uint32_t *out)
{
    return cfs_pick_walk(tabs, ls, le, want, nwant, out);
}

#endif /* x86 */
