/* NEON structural scan (contract in kernels.h) for aarch64, where NEON is baseline: the
 * same 64-byte block / 64-bit masks / LF walk algorithm as scan_avx2.c, and the column
 * locator.  Elsewhere this
 * file compiles to nothing and the table in cpu.c does not list it. */
#include "kernels/kernels.h"
#include "kernels/scan_blocks.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

/* Bit k of the mask of 64 bytes at p equal to c (k = 0..63).  NEON has no movemask:
 * each 0xFF/0x00 compare byte is ANDed with its bit weight (1,2,..,128 per 8 bytes) and
 * three rounds of pairwise adds fold 64 bytes into 8.  The weights in one sum are
 * distinct bits, so the adds never carry and act as OR. */
static inline uint64_t byte_mask_neon(const uint8x16_t x[4], uint8_t c)
{
    static const uint8_t weight_bytes[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t weight = vld1q_u8(weight_bytes);
    const uint8x16_t cv = vdupq_n_u8(c);
    uint8x16_t v[4];
    for (int k = 0; k < 4; k++) v[k] = vandq_u8(vceqq_u8(x[k], cv), weight);
    /* After round 1: pairs of bytes of v0|v1 and v2|v3; round 2: quads of v0..v3;
     * round 3: byte j of the low half holds bytes 8j..8j+7 of the block. */
    const uint8x16_t r01 = vpaddq_u8(v[0], v[1]);
    const uint8x16_t r23 = vpaddq_u8(v[2], v[3]);
    const uint8x16_t r = vpaddq_u8(r01, r23);
    const uint8x16_t s = vpaddq_u8(r, r);
    return vgetq_lane_u64(vreinterpretq_u64_u8(s), 0);
}

/* Bit k of the result is set iff p[k] is '\t', bit k of *lf iff it is '\n'. */
static inline uint64_t block_masks_neon(const uint8_t *p, uint64_t *lf)
{
    uint8x16_t x[4];
    for (int k = 0; k < 4; k++) x[k] = vld1q_u8(p + 16 * k);
    *lf = byte_mask_neon(x, '\n');
    return byte_mask_neon(x, '\t');
}

size_t cfs_scan_neon(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, tabs, lf, block_masks_neon, n);
    return n;
}

size_t cfs_cols_neon(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out)
{
    return cfs_cols_walk(tabs, ls, le, k, out);
}

size_t cfs_pick_neon(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                     uint32_t *out)
{
    return cfs_pick_walk(tabs, ls, le, want, nwant, out);
}

#endif /* __aarch64__ */
