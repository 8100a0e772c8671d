/* The ISA-independent half of every SIMD structural scanner: the block loop with its
 * zero-padded tail, the walk of LF bits into line ends, and the column locator over TAB
 * masks.  Each variant (scan_sse42.c, scan_avx2.c, scan_neon.c) supplies only its
 * block_masks function and wraps these in its own target attribute; private to kernels/. */
#ifndef CFSCAN_KERNELS_SCAN_BLOCKS_H
#define CFSCAN_KERNELS_SCAN_BLOCKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The variants the dispatch table (cpu.c) lists. */
size_t cfs_scan_sse42(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
size_t cfs_scan_avx2(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
size_t cfs_scan_avx512(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
size_t cfs_scan_neon(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
size_t cfs_cols_sse42(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
size_t cfs_cols_avx2(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
size_t cfs_cols_avx512(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
size_t cfs_cols_neon(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
size_t cfs_pick_sse42(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                      uint32_t *out);
size_t cfs_pick_avx2(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                     uint32_t *out);
size_t cfs_pick_bmi2(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                     uint32_t *out);
size_t cfs_pick_avx512(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                       uint32_t *out);
size_t cfs_pick_neon(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                     uint32_t *out);

/* Offset of the lowest set bit of m, or 63 when m == 0.  OR-ing in bit 63 cannot change
 * the lowest set bit of a nonzero mask, and it keeps __builtin_ctzll away from 0
 * (undefined); the 63 only ever lands in a junk slot. */
#define CFS_LOWEST(m) ((uint32_t)__builtin_ctzll((m) | ((uint64_t)1 << 63)))

/* The lowest set bit for the walks.  A variant whose target has BMI1 defines
 * CFS_WALK_TZCNT before including this header: TZCNT is defined for 0 (gives 64), so the
 * walks need no guard bit (any value is fine for m == 0: it lands in a junk slot), and
 * mask &= mask - 1 becomes one BLSR.  TZCNT is spelled as asm because these walkers have
 * no target attribute of their own (they are inlined into the variant's functions), and
 * GCC refuses to inline the _tzcnt_u64 intrinsic into a function without BMI. */
#if defined(CFS_WALK_TZCNT) && (defined(__x86_64__) || defined(__i386__))
static inline uint32_t cfs_tzcnt64(uint64_t m)
{
    uint64_t r;
    __asm__("tzcnt %1, %0" : "=r"(r) : "rm"(m) : "cc");
    return (uint32_t)r;
}
#define CFS_WALK_LOWEST(m) cfs_tzcnt64(m)
#else
#define CFS_WALK_LOWEST(m) CFS_LOWEST(m)
#endif

/* Offsets of the LFs of one block.  Log lines are hundreds of bytes long, so most blocks
 * hold no LF and nearly all others one: the first is stored without a test (a junk slot
 * when there is none, overwritten next) and only a second LF takes the loop. */
static inline __attribute__((always_inline)) uint32_t *cfs_walk_lf(uint32_t *out, uint32_t base, uint64_t lf)
{
    out[0] = base + CFS_WALK_LOWEST(lf);
    out += lf != 0;
    lf &= lf - 1;
    while (lf) {
        *out++ = base + CFS_WALK_LOWEST(lf);
        lf &= lf - 1;
    }
    return out;
}

/* The whole scan, given block_masks(const uint8_t *p, uint64_t *lf) -> TAB mask of the 64
 * bytes at p, with their LF mask stored in *lf.  Whole blocks are read in place (i <= len
 * <= 2^31, so (uint32_t)i + 63 fits); the tail goes through a zero-padded copy so no load
 * reaches past buf + len, and NUL is not structural, so the padding adds no bits.  Stores
 * the LF count in result. */
#define CFS_SCAN_BLOCKS(buf, len, tabs, lfpos, block_masks, result)      \
    do {                                                                 \
        uint32_t *cfs_out_ = (lfpos);                                    \
        uint64_t cfs_lf_;                                                \
        size_t cfs_i_ = 0;                                               \
        for (; (len)-cfs_i_ >= 64; cfs_i_ += 64) {                       \
            (tabs)[cfs_i_ >> 6] = block_masks((buf) + cfs_i_, &cfs_lf_); \
            cfs_out_ = cfs_walk_lf(cfs_out_, (uint32_t)cfs_i_, cfs_lf_); \
        }                                                                \
        if (cfs_i_ < (len)) {                                            \
            uint8_t cfs_tail_[64];                                       \
            memset(cfs_tail_, 0, sizeof cfs_tail_);                      \
            memcpy(cfs_tail_, (buf) + cfs_i_, (len)-cfs_i_);             \
            (tabs)[cfs_i_ >> 6] = block_masks(cfs_tail_, &cfs_lf_);      \
            cfs_out_ = cfs_walk_lf(cfs_out_, (uint32_t)cfs_i_, cfs_lf_); \
        }                                                                \
        (result) = (size_t)(cfs_out_ - (lfpos));                         \
    } while (0)

/* One slot of the walk.  The empty asm with a memory clobber keeps each store a plain
 * 32-bit MOV: without it GCC 12's SLP vectorizer gathers the four stores into
 * VMOVD/VPINSRD/VPUNPCKLQDQ sequences that cost more than the stores they replace
 * (seen with objdump; an opaque value alone did not stop it). */
#if defined(__GNUC__)
#define CFS_STORE_BARRIER() __asm__("" ::: "memory")
#else
#define CFS_STORE_BARRIER() ((void)0)
#endif
#define CFS_WALK_ONE(out, k, base, mask)           \
    do {                                           \
        (out)[k] = (base) + CFS_WALK_LOWEST(mask); \
        CFS_STORE_BARRIER();                       \
        (mask) &= (mask)-1;                        \
    } while (0)

/* Writes base + (index of each set bit of mask), lowest first, and returns out advanced
 * by popcount(mask).  Eight slots are written whether or not 8 bits are set, so up to 7
 * junk entries follow the real ones; only a word with more than 8 bits takes the loop.
 * Why a fixed 8: a log line has a TAB every ~15 bytes, ~4.5 bits per 64-bit word, and a
 * loop whose trip count follows the data (one or two 4-slot steps, as before) was
 * mispredicted about once per word (cachegrind --branch-sim), which costs more than the
 * junk stores. */
static inline __attribute__((always_inline)) uint32_t *cfs_walk_bits(uint32_t *out, uint32_t base,
                                                                     uint64_t mask)
{
    uint32_t *const end = out + __builtin_popcountll(mask);
    CFS_WALK_ONE(out, 0, base, mask);
    CFS_WALK_ONE(out, 1, base, mask);
    CFS_WALK_ONE(out, 2, base, mask);
    CFS_WALK_ONE(out, 3, base, mask);
    CFS_WALK_ONE(out, 4, base, mask);
    CFS_WALK_ONE(out, 5, base, mask);
    CFS_WALK_ONE(out, 6, base, mask);
    CFS_WALK_ONE(out, 7, base, mask);
    if (__builtin_expect(mask != 0, 0)) {
        out += 8;
        while (mask) {
            CFS_WALK_ONE(out, 0, base, mask);
            CFS_WALK_ONE(out, 1, base, mask);
            CFS_WALK_ONE(out, 2, base, mask);
            CFS_WALK_ONE(out, 3, base, mask);
            out += 4;
        }
    }
    return end;
}

/* Where line [ls, le) lies in the TAB map (ls < le): its first word w and last word, the
 * first word's bits from ls on, and the mask of the last word's bits before le.  Every
 * locator walks these words. */
typedef struct cfs_line_words {
    size_t w, last;
    uint64_t first, end_mask;
} cfs_line_words;

static inline __attribute__((always_inline)) cfs_line_words cfs_line_words_of(const uint64_t *tabs,
                                                                              uint32_t ls, uint32_t le)
{
    cfs_line_words l;
    l.w = ls >> 6;
    l.last = (size_t)(le - 1) >> 6;
    l.end_mask = (le & 63) ? ((uint64_t)1 << (le & 63)) - 1 : ~(uint64_t)0;
    l.first = tabs[l.w] & (~(uint64_t)0 << (ls & 63));
    return l;
}

/* How a walked word's TABs are written: cfs_walk_bits, a bit at a time, unless the
 * variant defines CFS_WALK_WORD(out, base, m) before including this file, returning out
 * advanced past the popcount(m) offsets it wrote (it may store up to 63 entries beyond
 * them, which CFS_COLS_SLACK allows: the AVX-512 variant writes 16 at a time). */
#ifndef CFS_WALK_WORD
#define CFS_WALK_WORD(out, base, m) cfs_walk_bits((out), (base), (m))
#endif

/* The column locator (kernels.h, cfs_cols_fn), written once for every variant: each
 * wraps it in a function with its own target attribute, so popcount and the lowest-bit
 * search compile to POPCNT and TZCNT where the ISA has them.  The words of the line are
 * walked into offsets until k TABs are out; the words after that are only counted. */
static inline __attribute__((always_inline)) size_t cfs_cols_walk(const uint64_t *tabs, uint32_t ls,
                                                                  uint32_t le, size_t k, uint32_t *out)
{
    if (le <= ls) return 0;
    const cfs_line_words lw = cfs_line_words_of(tabs, ls, le);
    const size_t last = lw.last;
    const uint64_t end_mask = lw.end_mask;
    size_t w = lw.w, before = 0;
    uint64_t m = lw.first;
    /* Walk until k TABs are out ... */
    for (;;) {
        if (w == last) m &= end_mask;
        out = CFS_WALK_WORD(out, (uint32_t)(w << 6), m);
        before += (size_t)__builtin_popcountll(m);
        if (w == last) return before;
        m = tabs[++w];
        if (before >= k) break;
    }
    /* ... then only count. */
    for (; w < last; w++) before += (size_t)__builtin_popcountll(tabs[w]);
    return before + (size_t)__builtin_popcountll(tabs[last] & end_mask);
}

/* The picking locator (kernels.h, cfs_pick_fn), written once: words are skipped with
 * one popcount each unless a wanted TAB lies in them, and a wanted TAB is selected from
 * its word by CFS_SELECT(m, r), the offset of the r-th lowest set bit of m (r < popcount
 * m).  Without BMI2 that clears the r lowest bits one by one (a few: a word holds ~4.5
 * TABs); a variant with fast PDEP defines CFS_SELECT as one deposit and one TZCNT. */
#ifndef CFS_SELECT
static inline __attribute__((always_inline)) uint32_t cfs_select_clear(uint64_t m, size_t r)
{
    for (; r; r--) m &= m - 1;
    return CFS_WALK_LOWEST(m);
}
#define CFS_SELECT(m, r) cfs_select_clear((m), (r))
#endif

static inline __attribute__((always_inline)) size_t cfs_pick_walk(const uint64_t *tabs, uint32_t ls,
                                                                  uint32_t le, const uint8_t *want,
                                                                  size_t nwant, uint32_t *out)
{
    if (le <= ls) return 0;
    const cfs_line_words lw = cfs_line_words_of(tabs, ls, le);
    const size_t last = lw.last;
    const uint64_t end_mask = lw.end_mask;
    size_t w = lw.w, before = 0, i = 0;
    uint64_t m = lw.first;
    size_t next = nwant ? want[0] : SIZE_MAX; /* the next wanted TAB number */
    for (;;) {
        if (w == last) m &= end_mask;
        const size_t pc = (size_t)__builtin_popcountll(m);
        while (next < before + pc) {
            out[next] = (uint32_t)(w << 6) + CFS_SELECT(m, next - before);
            next = ++i < nwant ? want[i] : SIZE_MAX;
        }
        before += pc;
        if (w == last) return before;
        m = tabs[++w];
    }
}

#endif
