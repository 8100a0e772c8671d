/* The ISA-independent half of every SIMD structural scanner: walking the set bits of a
 * 64-bit block mask into positions, and the block loop with its zero-padded tail.  Each
 * variant (scan_sse42.c, scan_avx2.c, scan_neon.c) supplies only its block_mask function;
 * private to kernels/. */
#ifndef CFSCAN_KERNELS_SCAN_BLOCKS_H
#define CFSCAN_KERNELS_SCAN_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The variants the dispatch table (cpu.c) lists. */
size_t cfs_scan_sse42(const uint8_t *buf, size_t len, uint32_t *pos);
size_t cfs_scan_avx2(const uint8_t *buf, size_t len, uint32_t *pos);
size_t cfs_scan_neon(const uint8_t *buf, size_t len, uint32_t *pos);

/* Offset of the lowest set bit of m, or 63 when m == 0.  OR-ing in bit 63 cannot change
 * the lowest set bit of a nonzero mask, and it keeps __builtin_ctzll away from 0
 * (undefined); the 63 only ever lands in a junk slot. */
#define CFS_LOWEST(m) ((uint32_t)__builtin_ctzll((m) | ((uint64_t)1 << 63)))

/* One slot of the walk.  The empty asm with a memory clobber keeps each store a plain
 * 32-bit MOV: without it GCC 12's SLP vectorizer gathers the four stores into
 * VMOVD/VPINSRD/VPUNPCKLQDQ sequences that cost more than the stores they replace
 * (seen with objdump; an opaque value alone did not stop it). */
#if defined(__GNUC__)
#define CFS_STORE_BARRIER() __asm__("" ::: "memory")
#else
#define CFS_STORE_BARRIER() ((void)0)
#endif
#define CFS_WALK_ONE(out, k, base, mask)                  \
    do {                                                  \
        (out)[k] = (base) + CFS_WALK_LOWEST(mask);        \
        CFS_STORE_BARRIER();                              \
        (mask) &= (mask) - 1;                             \
    } while (0)

/* A variant may define CFS_WALK_LOWEST(m) before including this header when its target
 * has an instruction that is defined for m == 0 (x86 TZCNT gives 64): that saves the OR
 * of CFS_LOWEST on every bit.  Any value is fine for m == 0: it lands in a junk slot. */
#ifndef CFS_WALK_LOWEST
#define CFS_WALK_LOWEST(m) CFS_LOWEST(m)
#endif

/* Writes base + (index of each set bit of mask), lowest first, and returns out advanced
 * by popcount(mask).  It writes 4 slots per step whether or not 4 bits are left, so up to
 * 3 junk entries follow the real ones; the next block overwrites them.  Invariant: the
 * write pointer never passes (real count + 3), inside CFS_SCAN_POS_SLACK.
 *
 * Why 4 and not 8: log lines carry a TAB every ~15 bytes, ~4.5 bits per 64-byte block,
 * so 8-wide steps wrote mostly junk; a block without bits now costs no step at all.
 * Always inlined into the target-attributed caller, so it compiles with the caller's ISA
 * (POPCNT, TZCNT, BLSR where the target has them). */
static inline __attribute__((always_inline)) uint32_t *cfs_walk_bits(uint32_t *out, uint32_t base,
                                                                     uint64_t mask)
{
    uint32_t *const end = out + __builtin_popcountll(mask);
    while (mask) {
        CFS_WALK_ONE(out, 0, base, mask);
        CFS_WALK_ONE(out, 1, base, mask);
        CFS_WALK_ONE(out, 2, base, mask);
        CFS_WALK_ONE(out, 3, base, mask);
        out += 4;
    }
    return end;
}

/* The whole scan, given a block_mask(const uint8_t *p) -> uint64_t for 64 bytes at p.
 * Whole blocks are read in place (i <= len <= 2^31, so (uint32_t)i + 63 fits); the tail
 * goes through a zero-padded copy so no load reaches past buf + len, and NUL is not
 * structural, so the padding adds no bits.  Stores the count in result. */
#define CFS_SCAN_BLOCKS(buf, len, pos, block_mask, result)                             \
    do {                                                                               \
        uint32_t *cfs_out_ = (pos);                                                    \
        size_t cfs_i_ = 0;                                                             \
        for (; (len) - cfs_i_ >= 64; cfs_i_ += 64)                                     \
            cfs_out_ = cfs_walk_bits(cfs_out_, (uint32_t)cfs_i_, block_mask((buf) + cfs_i_)); \
        if (cfs_i_ < (len)) {                                                          \
            uint8_t cfs_tail_[64];                                                     \
            memset(cfs_tail_, 0, sizeof cfs_tail_);                                    \
            memcpy(cfs_tail_, (buf) + cfs_i_, (len) - cfs_i_);                         \
            cfs_out_ = cfs_walk_bits(cfs_out_, (uint32_t)cfs_i_, block_mask(cfs_tail_)); \
        }                                                                              \
        (result) = (size_t)(cfs_out_ - (pos));                                         \
    } while (0)

#endif
