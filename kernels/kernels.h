/* Byte-buffer kernels shared by the whole pipeline: the structural scanner (LF positions
 * and a TAB bit map) with its column locator, CPU feature detection and the run-time
 * dispatch table.  Pure functions: no I/O, no allocation; the only global is the chosen
 * kernel. */
#ifndef CFSCAN_KERNELS_KERNELS_H
#define CFSCAN_KERNELS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Structural scan contract (every variant implements exactly this):
 *
 *   size_t scan(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
 *
 * Hands out the line ends and a TAB map, nothing per field: writes to lf[], in
 * increasing order, the offset of every '\n' (0x0A) in buf[0..len) and returns how many
 * it wrote; and sets tabs[i] (i < CFS_SCAN_WORDS(len)) so that bit k is 1 iff
 * buf[64 i + k] is '\t' (0x09), bits at or past len being 0.  CR is not structural: the
 * record layer strips a '\r' that precedes '\n'.  Requirements on the caller:
 *   - len <= CFS_SCAN_MAX_LEN, so offsets fit in uint32_t;
 *   - lf has room for len + CFS_SCAN_POS_SLACK entries (a variant may write a junk entry
 *     past the returned count; never read it); tabs for CFS_SCAN_WORDS(len) words.
 * A variant never reads outside buf[0..len): the tail that does not fill a 64-byte
 * block is copied into a zero-padded local block first.
 *
 *   size_t cols(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
 *
 * The column locator for one line buf[ls..le) of a scanned buffer (tabs as scan wrote
 * it; le <= len): returns how many TABs the line holds, and writes the offsets of its
 * first min(k, count) TABs to out[], which needs room for k + CFS_COLS_SLACK entries (a
 * variant may write junk past them).  A line's columns are what lies between its TABs,
 * so a caller asks for the TABs up to the last column it needs; the rest are only
 * counted.
 *
 *   size_t pick(const uint64_t *tabs, uint32_t ls, uint32_t le,
 *               const uint8_t *want, size_t nwant, uint32_t *out);
 *
 * The same for chosen TABs only: returns the line's TAB count, and for every i with
 * want[i] < count sets out[want[i]] to the offset of the line's TAB number want[i]
 * (counting from 0).  Other entries of out below want[nwant - 1] + 1 + CFS_COLS_SLACK
 * may be written (a variant may write every TAB up to the last wanted one, and junk
 * after it); none past them, and none at all when nwant is 0.  want[] is strictly
 * increasing, so out needs room for want[nwant - 1] + 1 + CFS_COLS_SLACK entries.  For
 * the fields of a line that lie apart (time, status and result type at the start,
 * latencies near the end), it skips the TABs between them. */
#define CFS_SCAN_MAX_LEN ((size_t)1 << 31)
#define CFS_SCAN_POS_SLACK 64
#define CFS_SCAN_WORDS(len) (((len) + 63) / 64)
#define CFS_COLS_SLACK 67

typedef size_t (*cfs_scan_fn)(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
typedef size_t (*cfs_cols_fn)(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
typedef size_t (*cfs_pick_fn)(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want,
                              size_t nwant, uint32_t *out);

/* CPU features (bit set). */
enum {
    CFS_CPU_SSE42 = 1u << 0,
    CFS_CPU_AVX2 = 1u << 1,
    CFS_CPU_NEON = 1u << 2,
    CFS_CPU_FAST_PDEP = 1u << 3, /* BMI2, and PDEP not microcoded (not AMD before Zen 3) */
    CFS_CPU_AVX512 = 1u << 4,    /* AVX-512 F, BW and VBMI2, and the OS saving ZMM and mask state */
};

typedef struct cfs_kernel {
    const char *name;  /* "scalar", "sse42", "avx2", "bmi2", "avx512", "neon" */
    unsigned required; /* CFS_CPU_* bits the host must have */
    cfs_scan_fn scan;
    cfs_cols_fn cols;
    cfs_pick_fn pick;
} cfs_kernel;

/* Features of the running CPU (CPUID + XCR0 on x86-64; NEON is baseline on aarch64). */
unsigned cfs_cpu_features(void);

/* The table of kernels compiled into this binary, best first; *count gets its length.
 * Entries whose features the host lacks are still listed (tests skip them by name). */
const cfs_kernel *cfs_kernel_table(size_t *count);

/* Find a kernel by name; NULL if unknown or not supported by this host. */
const cfs_kernel *cfs_kernel_by_name(const char *name);

/* Choose the kernel once, before any parallel region: CFSCAN_KERNEL=name forces one
 * (unknown or unsupported name: returns NULL and writes the reason to err), otherwise
 * the best supported entry.  The choice is remembered and returned by cfs_kernel_active(). */
const cfs_kernel *cfs_kernel_select(char *err, size_t errlen);
const cfs_kernel *cfs_kernel_active(void);

/* The scalar reference: always built, the fallback and the test oracle. */
size_t cfs_scan_scalar(const uint8_t *buf, size_t len, uint64_t *tabs, uint32_t *lf);
size_t cfs_cols_scalar(const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k, uint32_t *out);
size_t cfs_pick_scalar(const uint64_t *tabs, uint32_t ls, uint32_t le, const uint8_t *want, size_t nwant,
                       uint32_t *out);

/* Number parsing without strtod/sscanf.  All return 0 on success, -1 if the span is not
 * of the stated form (caller decides what that means; '-' is "no value" in CloudFront). */
int cfs_parse_u64(const char *p, size_t n, uint64_t *out); /* [0-9]{1,19} */
/* cfs_parse_u64 for a span of a buffer readable up to end: when 8 bytes are readable from
 * p (a field with more of its line after it), up to 8 digits are checked and combined as
 * one word on little-endian machines (sc-bytes on every line; callgrind: about 15
 * instructions a line fewer than the digit loop).  Same results as cfs_parse_u64 for
 * every input. */
static inline int cfs_parse_u64_in(const char *p, size_t n, const char *end, uint64_t *out)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (p != NULL && n - 1 < 8 && end - p >= 8) {
        uint64_t w;
        __builtin_memcpy(&w, p, 8); /* byte i of the text is bits 8i..8i+7 */
        /* the n digits to the top bytes, '0's below them: "123" -> "00000123" */
        const unsigned pad = 8 * (unsigned)(8 - n);
        w = pad ? (w << pad) | (0x3030303030303030ull >> (64 - pad)) : w;
        /* every byte 0x30..0x39: high nibble 3, and +6 does not carry into it */
        const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, digits = 0x3030303030303030ull;
        if ((w & hi) != digits || ((w + 0x0606060606060606ull) & hi) != digits) return -1;
        /* pairs, then fours, then eight: the earlier byte is the more significant digit */
        uint64_t d = w & 0x0F0F0F0F0F0F0F0Full;
        d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFull;
        d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFull;
        d = (d * 10000 + (d >> 32)) & 0xFFFFFFFFull;
        *out = d;
        return 0;
    }
#else
    (void)end;
#endif
    return cfs_parse_u64(p, n, out);
}
/* Seconds with up to 3 decimals ("0.082", "12", "1.5") -> milliseconds, rounding
 * away extra decimals by truncation.  Rejects signs and exponents. */
int cfs_parse_millis(const char *p, size_t n, uint32_t *out_ms);
/* "HH:MM:SS" -> seconds since midnight, -1 if t[0..tn) is not of that form.  The one
 * time-of-day parser: cfs_parse_date_time uses it, and so does the record parser, which
 * caches the date and so calls this alone on every line (hence inline, and on
 * little-endian machines one 8-byte word checked and combined at once: callgrind counted
 * 10 instructions a line fewer than the byte-by-byte form, which big-endian machines
 * keep).  Second 60
 * is accepted for a leap second and, like timegm(), counts as the next minute's second 0:
 * Unix time has no slot of its own for it. */
static inline int32_t cfs_parse_time_of_day(const char *t, size_t tn)
{
    if (t == NULL || tn != 8) return -1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    __builtin_memcpy(&w, t, 8); /* byte i of the text is bits 8i..8i+7 */
    /* The digit bytes (0, 1, 3, 4, 6, 7) are 0x30..0x39: high nibble 3, and adding 6 to
     * the low nibble does not carry into it (no byte carries out: 0x3F + 6 < 0x100).  The
     * colons (bytes 2, 5) are compared whole. */
    const uint64_t hi = 0xF0F000F0F000F0F0ull, digits = 0x3030003030003030ull;
    if ((w & 0x0000FF0000FF0000ull) != 0x00003A00003A0000ull || (w & hi) != digits ||
        ((w + 0x0606000606000606ull) & hi) != digits)
        return -1;
    /* each pair at once: byte 0 = 10 * h1 + h2, byte 3 = minutes, byte 6 = seconds (the
     * colon bytes are masked to 0, so no pair borrows from its neighbour; 99 < 256) */
    const uint64_t d = w & 0x0F0F000F0F000F0Full;
    const uint64_t x = d * 10 + (d >> 8);
    const unsigned hh = (unsigned)(x & 0xFF), mm = (unsigned)(x >> 24 & 0xFF),
                   ss = (unsigned)(x >> 48 & 0xFF);
#else
    if (t[2] != ':' || t[5] != ':') return -1;
    /* bytes below '0' wrap to large values */
    const unsigned h1 = (unsigned)(unsigned char)t[0] - '0', h2 = (unsigned)(unsigned char)t[1] - '0';
    const unsigned m1 = (unsigned)(unsigned char)t[3] - '0', m2 = (unsigned)(unsigned char)t[4] - '0';
    const unsigned s1 = (unsigned)(unsigned char)t[6] - '0', s2 = (unsigned)(unsigned char)t[7] - '0';
    if (h1 > 9 || h2 > 9 || m1 > 9 || m2 > 9 || s1 > 9 || s2 > 9) return -1;
    const unsigned hh = h1 * 10 + h2, mm = m1 * 10 + m2, ss = s1 * 10 + s2;
#endif
    if (hh > 23 || mm > 59 || ss > 60) return -1;
    return (int32_t)(hh * 3600 + mm * 60 + ss);
}
/* "YYYY-MM-DD" and "HH:MM:SS" -> seconds since the Unix epoch (UTC, proleptic Gregorian). */
int cfs_parse_date_time(const char *d, size_t dn, const char *t, size_t tn, int64_t *out);
/* Days since 1970-01-01 for a civil date (no range checks beyond month/day validity). */
int64_t cfs_days_from_civil(int y, unsigned m, unsigned d);

#endif
