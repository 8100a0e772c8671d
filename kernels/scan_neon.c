/* NEON structural scan (contract in kernels.h) for aarch64, where NEON is baseline: the
 * same 64-byte block / 64-bit mask / bit-walk algorithm as scan_avx2.c.  Elsewhere this
 * file compiles to nothing and the table in cpu.c does not list it. */
#include "kernels/kernels.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

/* Declared here (and in cpu.c, which lists it in the dispatch table). */
size_t cfs_scan_neon(const uint8_t *buf, size_t len, uint32_t *pos);

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

/* The bit walk below is the same as in scan_avx2.c (keep them identical). */

/* Offset of the lowest set bit of m, or 63 when m == 0 (bit 63 keeps ctz away from an
 * all-zero operand, undefined for the builtin; the 63 only ever lands in a junk slot). */
#define LOWEST(m) ((uint32_t)__builtin_ctzll((m) | ((uint64_t)1 << 63)))

/* Writes base + (index of each set bit of mask), lowest first, 8 slots per step, and
 * returns out advanced by popcount(mask); at most 7 junk entries follow the real ones. */
static inline __attribute__((always_inline)) uint32_t *
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

size_t cfs_scan_neon(const uint8_t *buf, size_t len, uint32_t *pos)
{
    uint32_t *out = pos;
    size_t i = 0;
    for (; len - i >= 64; i += 64)
        out = walk_bits(out, (uint32_t)i, block_mask_neon(buf + i));
    if (i < len) {
        /* Zero-padded copy of the tail: no load past buf + len, and NUL adds no bits. */
        uint8_t tail[64];
        memset(tail, 0, sizeof tail);
        memcpy(tail, buf + i, len - i);
        out = walk_bits(out, (uint32_t)i, block_mask_neon(tail));
    }
    return (size_t)(out - pos);
}

#endif /* __aarch64__ */
