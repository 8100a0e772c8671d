/* NEON structural scan (contract in kernels.h) for aarch64, where NEON is baseline: the
 * same 64-byte block / 64-bit mask / bit-walk algorithm as scan_avx2.c.  Elsewhere this
 * file compiles to nothing and the table in cpu.c does not list it. */
#include "kernels/kernels.h"
#include "kernels/scan_blocks.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

/* Bit k of the result is set iff p[k] is '\t' or '\n' (k = 0..63).  NEON has no
 * movemask: each 0xFF/0x00 compare byte is ANDed with its bit weight (1,2,..,128 per
 * 8 bytes) and three rounds of pairwise adds fold 64 bytes into 8.  The weights in one
 * sum are distinct bits, so the adds never carry and act as OR. */
static inline uint64_t block_mask_neon(const uint8_t *p)
{
    static const uint8_t weight_bytes[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                             1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t weight = vld1q_u8(weight_bytes);
    const uint8x16_t tab = vdupq_n_u8('\t');
    const uint8x16_t lf = vdupq_n_u8('\n');
    uint8x16_t v[4];
    for (int k = 0; k < 4; k++) {
        const uint8x16_t x = vld1q_u8(p + 16 * k);
        v[k] = vandq_u8(vorrq_u8(vceqq_u8(x, tab), vceqq_u8(x, lf)), weight);
    }
    /* After round 1: pairs of bytes of v0|v1 and v2|v3; round 2: quads of v0..v3;
     * round 3: byte j of the low half holds bytes 8j..8j+7 of the block. */
    const uint8x16_t r01 = vpaddq_u8(v[0], v[1]);
    const uint8x16_t r23 = vpaddq_u8(v[2], v[3]);
    const uint8x16_t r = vpaddq_u8(r01, r23);
    const uint8x16_t s = vpaddq_u8(r, r);
    return vgetq_lane_u64(vreinterpretq_u64_u8(s), 0);
}

size_t cfs_scan_neon(const uint8_t *buf, size_t len, uint32_t *pos)
{
    size_t n;
    CFS_SCAN_BLOCKS(buf, len, pos, block_mask_neon, n);
    return n;
}

#endif /* __aarch64__ */
