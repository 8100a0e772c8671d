/* Tests for kernels/: every structural-scan variant against an independent byte-loop
 * oracle (random, block-edge, CRLF, guard-page and exhaustive-length buffers), every
 * column locator against a byte-loop oracle on lines cut from random buffers, the
 * dispatch table, CPU feature detection and CFSCAN_KERNEL selection.  CFS_TEST_KERNEL
 * names the one kernel to test (CTest runs this file once per kernel); CFS_TEST_SEED
 * fixes the random seed.  Own main(): an unsupported kernel exits 77 (CTest SKIPPED). */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kernels/kernels.h"

/* Entries past len + CFS_SCAN_POS_SLACK that must never be written. */
#define CANARY_SLOTS 16
#define CANARY 0xA5A5A5A5u

/* Names some architecture builds; anything else in CFS_TEST_KERNEL is a typo. */
static const char *const all_kernel_names[] = {"avx512", "bmi2", "avx2", "sse42", "neon", "scalar"};

/* ---- helpers ---------------------------------------------------------------------- */

/* The oracle: written again here, not taken from cfs_scan_scalar, so that the scalar
 * kernel is checked too. */
static size_t oracle_scan(const uint8_t *buf, size_t len, uint32_t *pos)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == 0x09 || buf[i] == 0x0A) pos[n++] = (uint32_t)i;
    return n;
}

/* Runs k->scan on buf[0..len) and merges what it hands out (the LF list and the TAB map)
 * into one increasing list of TAB and LF offsets, the oracle's form, in pos (room for
 * len + CFS_SCAN_POS_SLACK entries); returns its length.  It also checks what the merge
 * cannot show: no TAB bit at or past len, LF offsets increasing and inside the buffer,
 * and nothing written past the LF slack or the TAB map's words. */
static size_t scan_merged(const cfs_kernel *k, const uint8_t *buf, size_t len, uint32_t *pos)
{
    const size_t words = CFS_SCAN_WORDS(len);
    const size_t lf_slots = len + CFS_SCAN_POS_SLACK + CANARY_SLOTS;
    uint64_t *tabs = malloc((words + CANARY_SLOTS) * sizeof *tabs);
    uint32_t *lf = malloc(lf_slots * sizeof *lf);
    cr_assert(tabs != NULL && lf != NULL);
    for (size_t i = 0; i < words + CANARY_SLOTS; i++) tabs[i] = CANARY;
    for (size_t i = 0; i < lf_slots; i++) lf[i] = CANARY;
    const size_t nlf = k->scan(buf, len, tabs, lf);
    cr_assert_leq(nlf, len, "%s: %zu LFs in %zu bytes", k->name, nlf, len);
    for (size_t i = 0; i < CANARY_SLOTS; i++)
        cr_assert_eq(tabs[words + i], CANARY, "%s: len %zu: wrote TAB word %zu of %zu", k->name, len,
                     words + i, words);
    for (size_t i = len + CFS_SCAN_POS_SLACK; i < lf_slots; i++)
        cr_assert_eq(lf[i], CANARY, "%s: len %zu: wrote lf[%zu], past the slack", k->name, len, i);
    if (len % 64)
        cr_assert_eq(tabs[words - 1] >> (len % 64), 0, "%s: len %zu: TAB bits past the end", k->name, len);
    size_t n = 0, j = 0;
    for (size_t i = 0; i < len; i++) {
        const int tab = (int)((tabs[i / 64] >> (i % 64)) & 1);
        const int is_lf = j < nlf && lf[j] == i;
        cr_assert(!(tab && is_lf), "%s: offset %zu both TAB and LF", k->name, i);
        if (is_lf) j++;
        if (tab || is_lf) pos[n++] = (uint32_t)i;
    }
    cr_assert_eq(j, nlf, "%s: len %zu: LF list not increasing or past the end", k->name, len);
    free(tabs);
    free(lf);
    return n;
}

typedef struct {
    const cfs_kernel *k[8];
    size_t n;
} kernel_list;

/* CFS_TEST_KERNEL's kernel (main() has already skipped an unsupported one), or every
 * kernel of the table that this CPU can run. */
static kernel_list kernels_under_test(void)
{
    kernel_list list = {{NULL}, 0};
    size_t count = 0;
    const cfs_kernel *table = cfs_kernel_table(&count);
    const unsigned features = cfs_cpu_features();
    const char *want = getenv("CFS_TEST_KERNEL");
    for (size_t i = 0; i < count && list.n < 8; i++) {
        if (want != NULL && want[0] != '\0') {
            if (strcmp(table[i].name, want) == 0) list.k[list.n++] = &table[i];
        } else if ((table[i].required & ~features) == 0) {
            list.k[list.n++] = &table[i];
        }
    }
    cr_assert_gt(list.n, 0, "no kernel to test (CFS_TEST_KERNEL=%s)", want ? want : "");
    return list;
}

static uint64_t test_seed(void)
{
    const char *s = getenv("CFS_TEST_SEED");
    uint64_t seed;
    if (s != NULL && s[0] != '\0') seed = strtoull(s, NULL, 0);
    else seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    /* stderr rather than cr_log_info: Criterion hides info logs unless --verbose */
    fprintf(stderr, "test_kernels: random seed %llu (set CFS_TEST_SEED to repeat)\n",
            (unsigned long long)seed);
    return seed;
}

/* splitmix64: small, well-mixed and independent of anything in the program. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *state, size_t bound) { return (size_t)(rng_next(state) % bound); }

/* Runs kernel k on buf[0..len) and compares with the oracle: same count, same offsets,
 * nothing written past len + CFS_SCAN_POS_SLACK.  One assertion per call (Criterion
 * assertions are not free), with enough context to reproduce a failure. */
static void check_scan(const cfs_kernel *k, const uint8_t *buf, size_t len, const char *what, uint64_t seed)
{
    const size_t slots = len + CFS_SCAN_POS_SLACK + CANARY_SLOTS;
    uint32_t *got = malloc(slots * sizeof *got);
    uint32_t *want = malloc((len + 1) * sizeof *want);
    cr_assert(got != NULL && want != NULL);
    for (size_t i = 0; i < slots; i++) got[i] = CANARY;
    const size_t n_want = oracle_scan(buf, len, want);
    const size_t n_got = scan_merged(k, buf, len, got);

    size_t bad = (size_t)-1;
    if (n_got == n_want)
        for (size_t i = 0; i < n_want && bad == (size_t)-1; i++)
            if (got[i] != want[i]) bad = i;
    size_t canary_hit = (size_t)-1;
    for (size_t i = len + CFS_SCAN_POS_SLACK; i < slots && canary_hit == (size_t)-1; i++)
        if (got[i] != CANARY) canary_hit = i;

    cr_assert_eq(n_got, n_want, "%s: %s len %zu seed %llu: %zu positions, expected %zu", k->name, what, len,
                 (unsigned long long)seed, n_got, n_want);
    cr_assert_eq(bad, (size_t)-1, "%s: %s len %zu seed %llu: pos[%zu] = %u, expected %u", k->name, what, len,
                 (unsigned long long)seed, bad, bad == (size_t)-1 ? 0u : got[bad],
                 bad == (size_t)-1 ? 0u : want[bad]);
    cr_assert_eq(canary_hit, (size_t)-1, "%s: %s len %zu: wrote pos[%zu], past the slack", k->name, what, len,
                 canary_hit);
    free(got);
    free(want);
}

/* Runs k and checks against a hand-written expected list (no oracle involved). */
static void check_exact(const cfs_kernel *k, const uint8_t *buf, size_t len, const uint32_t *expect,
                        size_t n_expect, const char *what)
{
    uint32_t got[256 + CFS_SCAN_POS_SLACK];
    cr_assert_leq(len, 256);
    const size_t n = scan_merged(k, buf, len, got);
    cr_assert_eq(n, n_expect, "%s: %s: %zu positions, expected %zu", k->name, what, n, n_expect);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(got[i], expect[i], "%s: %s: pos[%zu] = %u, expected %u", k->name, what, i, got[i],
                     expect[i]);
}

/* Fills buf with one of three mixes: uniform bytes; separator-dense text with CR and
 * near-miss bytes (0x08, 0x0B, 0x19, 0x89, 0x8A differ from TAB/LF by one bit or the
 * high bit); or CloudFront-shaped lines of 33 tab-separated fields. */
static void fill_random(uint64_t *rng, uint8_t *buf, size_t len, unsigned mix)
{
    static const uint8_t dense[] = {'\t', '\t', '\n', '\r', 0x08, 0x0B, 0x19, 0x89,
                                    0x8A, 0x00, 'a',  '-',  '0',  '.',  ' ',  0xFF};
    for (size_t i = 0; i < len; i++) {
        switch (mix) {
        case 0: buf[i] = (uint8_t)rng_next(rng); break;
        case 1: buf[i] = dense[rng_below(rng, sizeof dense)]; break;
        default: {
            /* field lengths 1..24, a tab after each, LF after the 33rd */
            size_t field = 0;
            while (i < len) {
                const size_t flen = 1 + rng_below(rng, 24);
                for (size_t j = 0; j < flen && i < len; j++) buf[i++] = (uint8_t)('a' + rng_below(rng, 26));
                if (i < len) buf[i++] = (++field % 33 == 0) ? '\n' : '\t';
            }
            break;
        }
        }
    }
}

/* ---- scan tests ------------------------------------------------------------------- */

Test(scan, random_buffers)
{
    const uint64_t seed = test_seed();
    const kernel_list ks = kernels_under_test();
    uint8_t *buf = malloc(5000);
    cr_assert_not_null(buf);
    for (size_t ki = 0; ki < ks.n; ki++) {
        uint64_t rng = seed; /* same buffers for every kernel */
        for (int iter = 0; iter < 600; iter++) {
            const size_t len = rng_below(&rng, 5000);
            const unsigned mix = (unsigned)(iter % 3);
            /* start at a random misalignment so loads are not always 64-byte aligned */
            const size_t off = rng_below(&rng, 64);
            const size_t n = len > off ? len - off : 0;
            fill_random(&rng, buf + off, n, mix);
            check_scan(ks.k[ki], buf + off, n, mix == 0 ? "random" : mix == 1 ? "dense" : "lines", seed);
        }
    }
    free(buf);
}

Test(scan, large_buffer_offsets_beyond_16_bits)
{
    const uint64_t seed = test_seed();
    const kernel_list ks = kernels_under_test();
    const size_t len = (size_t)3 << 20; /* 3 MiB, 49152 blocks */
    uint8_t *buf = malloc(len);
    cr_assert_not_null(buf);
    uint64_t rng = seed;
    fill_random(&rng, buf, len, 2);
    for (size_t ki = 0; ki < ks.n; ki++) check_scan(ks.k[ki], buf, len - 17, "large", seed);
    free(buf);
}

Test(scan, separators_at_block_edges)
{
    const kernel_list ks = kernels_under_test();
    static const uint32_t edges[] = {62, 63, 64, 65, 127, 128};
    uint8_t buf[200];
    for (size_t ki = 0; ki < ks.n; ki++) {
        /* Each edge alone, as TAB and as LF, expected offset written by hand. */
        for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
            for (int sep = 0; sep < 2; sep++) {
                memset(buf, 'x', sizeof buf);
                buf[edges[e]] = sep ? '\n' : '\t';
                check_exact(ks.k[ki], buf, sizeof buf, &edges[e], 1, "one edge separator");
            }
        }
        /* All edges at once, for buffer lengths that end on and around block edges. */
        memset(buf, 'x', sizeof buf);
        for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) buf[edges[e]] = (e & 1) ? '\n' : '\t';
        check_exact(ks.k[ki], buf, 129, edges, 6, "all edges, len 129");
        check_exact(ks.k[ki], buf, 128, edges, 5, "all edges, len 128");
        check_exact(ks.k[ki], buf, 65, edges, 3, "all edges, len 65");
        check_exact(ks.k[ki], buf, 64, edges, 2, "all edges, len 64");
        check_exact(ks.k[ki], buf, 63, edges, 1, "all edges, len 63");
        check_exact(ks.k[ki], buf, 62, edges, 0, "all edges, len 62");
        /* Every single position 0..199 against the oracle. */
        for (size_t p = 0; p < sizeof buf; p++) {
            memset(buf, 'x', sizeof buf);
            buf[p] = (p & 1) ? '\t' : '\n';
            check_scan(ks.k[ki], buf, sizeof buf, "single separator", 0);
        }
    }
}

Test(scan, all_separators_and_none)
{
    const kernel_list ks = kernels_under_test();
    uint8_t buf[300];
    uint32_t *got = malloc((sizeof buf + CFS_SCAN_POS_SLACK) * sizeof *got);
    cr_assert_not_null(got);
    for (size_t ki = 0; ki < ks.n; ki++) {
        for (size_t len = 0; len <= sizeof buf; len++) {
            /* All separators (TAB, LF, alternating): every offset 0..len-1, in order. */
            for (int kind = 0; kind < 3; kind++) {
                for (size_t i = 0; i < len; i++)
                    buf[i] = kind == 0 ? '\t' : kind == 1 ? '\n' : ((i & 1) ? '\n' : '\t');
                const size_t n = scan_merged(ks.k[ki], buf, len, got);
                cr_assert_eq(n, len, "%s: all-separator len %zu gave %zu", ks.k[ki]->name, len, n);
                bool in_order = true;
                for (size_t i = 0; i < n; i++) in_order = in_order && got[i] == i;
                cr_assert(in_order, "%s: all-separator len %zu: offsets not 0..len-1", ks.k[ki]->name, len);
            }
            /* No separators: every byte value but 0x09 and 0x0A, cycling. */
            size_t v = 0;
            for (size_t i = 0; i < len; i++) {
                while (v % 256 == 0x09 || v % 256 == 0x0A) v++;
                buf[i] = (uint8_t)(v++ % 256);
            }
            const size_t n = scan_merged(ks.k[ki], buf, len, got);
            cr_assert_eq(n, 0, "%s: no-separator len %zu gave %zu", ks.k[ki]->name, len, n);
        }
    }
    free(got);
}

Test(scan, crlf_split_across_blocks)
{
    const kernel_list ks = kernels_under_test();
    uint8_t buf[128];
    memset(buf, 'x', sizeof buf);
    buf[63] = '\r';
    buf[64] = '\n';
    static const uint32_t lf_only[] = {64};
    for (size_t ki = 0; ki < ks.n; ki++) {
        check_exact(ks.k[ki], buf, sizeof buf, lf_only, 1, "CR at 63, LF at 64");
        check_exact(ks.k[ki], buf, 65, lf_only, 1, "CR at 63, LF at 64, len 65");
        check_exact(ks.k[ki], buf, 64, lf_only, 0, "CR at 63, cut before LF");
    }
}

Test(scan, empty_and_one_byte)
{
    const kernel_list ks = kernels_under_test();
    static const uint32_t zero[] = {0};
    const uint8_t tab = '\t', lf = '\n', cr = '\r', a = 'a', nul = 0;
    for (size_t ki = 0; ki < ks.n; ki++) {
        uint32_t got[CFS_SCAN_POS_SLACK + 1];
        cr_assert_eq(scan_merged(ks.k[ki], &a, 0, got), 0, "%s: empty input", ks.k[ki]->name);
        check_exact(ks.k[ki], &tab, 1, zero, 1, "one TAB");
        check_exact(ks.k[ki], &lf, 1, zero, 1, "one LF");
        check_exact(ks.k[ki], &cr, 1, zero, 0, "one CR");
        check_exact(ks.k[ki], &a, 1, zero, 0, "one 'a'");
        check_exact(ks.k[ki], &nul, 1, zero, 0, "one NUL");
    }
}

Test(scan, every_length_0_to_200)
{
    const kernel_list ks = kernels_under_test();
    /* A short CloudFront-like pattern with CRLF, repeated: separators fall at a different
     * offset of each block as the length grows. */
    static const char pattern[] = "2019-12-04\t21:02:31\tLAX1\t392\t-\r\n\t\tGET\t";
    uint8_t buf[200];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)pattern[i % (sizeof pattern - 1)];
    for (size_t ki = 0; ki < ks.n; ki++)
        for (size_t len = 0; len <= sizeof buf; len++) check_scan(ks.k[ki], buf, len, "pattern prefix", 0);
}

Test(scan, buffer_against_guard_pages)
{
    const kernel_list ks = kernels_under_test();
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    /* [PROT_NONE][read/write][PROT_NONE]: a read one byte past either end of the middle
     * page faults, which kills this test process and fails the test. */
    uint8_t *map = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(map, MAP_FAILED);
    cr_assert_eq(mprotect(map, page, PROT_NONE), 0);
    cr_assert_eq(mprotect(map + 2 * page, page, PROT_NONE), 0);
    uint8_t *mid = map + page;
    uint64_t rng = 12345;
    fill_random(&rng, mid, page, 1);
    for (size_t ki = 0; ki < ks.n; ki++) {
        for (size_t len = 1; len <= 130; len++) {
            /* last byte of the buffer is the last byte of the readable page */
            check_scan(ks.k[ki], mid + page - len, len, "ends at guard page", 0);
            /* first byte of the buffer is the first byte of the readable page */
            check_scan(ks.k[ki], mid, len, "starts after guard page", 0);
        }
    }
    munmap(map, 3 * page);
}

/* ---- column locator ------------------------------------------------------------------ */

/* k->cols and k->pick on buf[ls..le) of a buffer scanned by k, against a byte loop over
 * buf itself: the TAB count, the first min(kk, count) TAB offsets, and picked ones. */
static void check_cols(const cfs_kernel *k, const uint8_t *buf, const uint64_t *tabs, uint32_t ls,
                       uint32_t le, size_t kk, const char *what)
{
    uint32_t want[4096], got[4096 + CFS_COLS_SLACK];
    cr_assert_leq(kk, 4096);
    size_t count = 0;
    for (uint32_t p = ls; p < le; p++)
        if (buf[p] == '\t') {
            if (count < 4096) want[count] = p;
            count++;
        }
    /* first into a heap block of exactly the room the contract gives (ASan sees a store
     * past it), then into got */
    uint32_t *exact = malloc((kk + CFS_COLS_SLACK) * sizeof *exact);
    cr_assert_not_null(exact);
    cr_assert_eq(k->cols(tabs, ls, le, kk, exact), count, "%s: %s", k->name, what);
    for (size_t i = 0; i < kk && i < count; i++) cr_assert_eq(exact[i], want[i], "%s: %s", k->name, what);
    free(exact);
    const size_t n = k->cols(tabs, ls, le, kk, got);
    cr_assert_eq(n, count, "%s: %s [%u, %u) k %zu: %zu TABs, expected %zu", k->name, what, ls, le, kk, n,
                 count);
    for (size_t i = 0; i < kk && i < count; i++)
        cr_assert_eq(got[i], want[i], "%s: %s [%u, %u) k %zu: TAB %zu at %u, expected %u", k->name, what, ls,
                     le, kk, i, got[i], want[i]);
    /* pick: every third TAB number below kk + 2 (some past the line's TABs), each the
     * line has found at its own index, and nothing written at or past the last wanted +
     * 1 + CFS_COLS_SLACK (entries below it may be, as the contract allows) */
    uint8_t pk[256];
    size_t npk = 0;
    for (size_t t = kk % 3; t < kk + 2 && t < 256 && npk < sizeof pk; t += 3) pk[npk++] = (uint8_t)t;
    for (size_t i = 0; i < 256 + CFS_COLS_SLACK + 4; i++) got[i] = CANARY;
    const size_t np = k->pick(tabs, ls, le, pk, npk, got);
    cr_assert_eq(np, count, "%s: %s [%u, %u): pick counted %zu TABs, expected %zu", k->name, what, ls, le, np,
                 count);
    const size_t room = npk ? pk[npk - 1] + 1u + CFS_COLS_SLACK : 0;
    size_t j = 0;
    for (size_t t = 0; t < 256 + CFS_COLS_SLACK + 4; t++) {
        int wanted = j < npk && pk[j] == t;
        j += wanted;
        if (wanted && t < count)
            cr_assert_eq(got[t], want[t], "%s: %s [%u, %u): pick of TAB %zu gave %u, expected %u", k->name,
                         what, ls, le, t, got[t], want[t]);
        else if (t >= room)
            cr_assert_eq(got[t], CANARY, "%s: %s [%u, %u): pick wrote entry %zu, past its room %zu", k->name,
                         what, ls, le, t, room);
    }
}

static uint64_t *scan_tabs(const cfs_kernel *k, const uint8_t *buf, size_t len)
{
    uint64_t *tabs = malloc(CFS_SCAN_WORDS(len + 1) * sizeof *tabs);
    uint32_t *lf = malloc((len + CFS_SCAN_POS_SLACK) * sizeof *lf);
    cr_assert(tabs != NULL && lf != NULL);
    (void)k->scan(buf, len, tabs, lf);
    free(lf);
    return tabs;
}

Test(cols, lines_of_random_buffers_cols_and_pick)
{
    const uint64_t seed = test_seed();
    const kernel_list ks = kernels_under_test();
    static const size_t ks_to_try[] = {0, 1, 3, 8, 9, 14, 28, 33, 64, 200};
    uint8_t *buf = malloc(5000);
    cr_assert_not_null(buf);
    for (size_t ki = 0; ki < ks.n; ki++) {
        uint64_t rng = seed;
        for (int iter = 0; iter < 200; iter++) {
            const size_t len = 1 + rng_below(&rng, 4999);
            fill_random(&rng, buf, len, (unsigned)(iter % 3));
            uint64_t *tabs = scan_tabs(ks.k[ki], buf, len);
            for (int l = 0; l < 20; l++) {
                uint32_t a = (uint32_t)rng_below(&rng, len + 1), b = (uint32_t)rng_below(&rng, len + 1);
                if (a > b) {
                    uint32_t t = a;
                    a = b;
                    b = t;
                }
                check_cols(ks.k[ki], buf, tabs, a, b, ks_to_try[rng_below(&rng, 10)], "random span");
            }
            free(tabs);
        }
    }
    free(buf);
}

Test(cols, word_edges_dense_and_empty)
{
    const kernel_list ks = kernels_under_test();
    uint8_t buf[400];
    for (size_t ki = 0; ki < ks.n; ki++) {
        /* every byte a TAB: words with 64 bits, more than one walk step can write */
        memset(buf, '\t', sizeof buf);
        uint64_t *tabs = scan_tabs(ks.k[ki], buf, sizeof buf);
        static const uint32_t edge[] = {0, 1, 62, 63, 64, 65, 127, 128, 129, 191, 192, 255, 256, 399, 400};
        for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
            for (size_t j = i; j < sizeof edge / sizeof edge[0]; j++)
                for (size_t kk = 0; kk <= 130; kk += 13)
                    check_cols(ks.k[ki], buf, tabs, edge[i], edge[j], kk, "all TABs");
        free(tabs);
        /* no TAB at all: the count is 0 whatever is asked */
        memset(buf, 'x', sizeof buf);
        tabs = scan_tabs(ks.k[ki], buf, sizeof buf);
        check_cols(ks.k[ki], buf, tabs, 0, sizeof buf, 50, "no TAB");
        check_cols(ks.k[ki], buf, tabs, 70, 70, 50, "empty line");
        free(tabs);
        /* one TAB at each offset, lines around it */
        for (uint32_t p = 0; p < 200; p++) {
            memset(buf, 'x', sizeof buf);
            buf[p] = '\t';
            tabs = scan_tabs(ks.k[ki], buf, sizeof buf);
            check_cols(ks.k[ki], buf, tabs, p, p + 1, 1, "the TAB alone");
            check_cols(ks.k[ki], buf, tabs, p + 1, sizeof buf, 1, "just after the TAB");
            check_cols(ks.k[ki], buf, tabs, p > 64 ? p - 64 : 0, p, 1, "just before the TAB");
            free(tabs);
        }
    }
}

/* pick at the ends of its range: the wanted TAB numbers reach 255 (the largest a want[]
 * entry holds) on a line of 400 TABs, each kernel writing into exactly the room the
 * contract gives, want[last] + 1 + CFS_COLS_SLACK entries on the heap (ASan sees a
 * store past it); and no wanted TAB at all, which only counts and writes nothing. */
Test(cols, pick_up_to_tab_255_and_of_nothing)
{
    const kernel_list ks = kernels_under_test();
    uint8_t buf[400];
    memset(buf, '\t', sizeof buf);
    static const uint8_t pk[] = {0, 17, 63, 64, 130, 200, 254, 255};
    const size_t npk = sizeof pk / sizeof pk[0];
    for (size_t ki = 0; ki < ks.n; ki++) {
        uint64_t *tabs = scan_tabs(ks.k[ki], buf, sizeof buf);
        for (uint32_t ls = 0; ls < 70; ls += 7) {
            const size_t room = pk[npk - 1] + 1u + CFS_COLS_SLACK;
            uint32_t *out = malloc(room * sizeof *out);
            cr_assert_not_null(out);
            for (size_t i = 0; i < room; i++) out[i] = CANARY;
            cr_assert_eq(ks.k[ki]->pick(tabs, ls, 400, pk, npk, out), 400 - ls, "%s", ks.k[ki]->name);
            for (size_t j = 0; j < npk; j++)
                cr_assert_eq(out[pk[j]], ls + (uint32_t)pk[j], "%s: line from %u, TAB %u", ks.k[ki]->name, ls,
                             pk[j]);
            free(out);
            uint32_t none = CANARY;
            cr_assert_eq(ks.k[ki]->pick(tabs, ls, 400, pk, 0, &none), 400 - ls, "%s: nothing wanted",
                         ks.k[ki]->name);
            cr_assert_eq(none, CANARY, "%s: nothing wanted, nothing written", ks.k[ki]->name);
        }
        free(tabs);
    }
}

/* A known line, offsets written by hand: the columns of a 5-field log line inside a
 * buffer, and only the first k of its TABs. */
Test(cols, hand_checked_line)
{
    const kernel_list ks = kernels_under_test();
    static const char text[] = "#x\n2019-12-04\t21:02:31\tLAX1\t392\t-\nnext\tline\n";
    /* line 2 starts at 3; its TABs at 3+10, 3+19, 3+24, 3+28; its LF at 3+30 */
    static const uint32_t tab_at[] = {13, 22, 27, 31};
    for (size_t ki = 0; ki < ks.n; ki++) {
        uint64_t *tabs = scan_tabs(ks.k[ki], (const uint8_t *)text, sizeof text - 1);
        uint32_t got[4 + CFS_COLS_SLACK];
        cr_assert_eq(ks.k[ki]->cols(tabs, 3, 33, 4, got), 4, "%s", ks.k[ki]->name);
        for (int i = 0; i < 4; i++) cr_assert_eq(got[i], tab_at[i], "%s: TAB %d", ks.k[ki]->name, i);
        cr_assert_eq(ks.k[ki]->cols(tabs, 3, 33, 2, got), 4, "%s: k 2 still counts all", ks.k[ki]->name);
        cr_assert_eq(got[1], 22);
        cr_assert_eq(ks.k[ki]->cols(tabs, 23, 33, 1, got), 2, "%s: from the middle", ks.k[ki]->name);
        cr_assert_eq(got[0], 27);
        free(tabs);
    }
}

/* ---- table, features, selection -------------------------------------------------- */

Test(dispatch, table_order_and_lookup)
{
    size_t count = 0;
    const cfs_kernel *table = cfs_kernel_table(&count);
#if defined(__x86_64__) || defined(__i386__)
    static const char *const expect[] = {"avx512", "bmi2", "avx2", "sse42", "scalar"};
#elif defined(__aarch64__)
    static const char *const expect[] = {"neon", "scalar"};
#else
    static const char *const expect[] = {"scalar"};
#endif
    cr_assert_eq(count, sizeof expect / sizeof expect[0]);
    for (size_t i = 0; i < count; i++) cr_assert_str_eq(table[i].name, expect[i]);
    cr_assert_eq(table[count - 1].required, 0, "scalar must need no feature");
    cr_assert_eq(table[count - 1].scan, cfs_scan_scalar);

    cr_assert_eq(cfs_kernel_by_name("scalar"), &table[count - 1]);
    cr_assert_null(cfs_kernel_by_name("nonsense"));
    cr_assert_null(cfs_kernel_by_name(""));
    cr_assert_null(cfs_kernel_by_name(NULL));
    const unsigned features = cfs_cpu_features();
    for (size_t i = 0; i < count; i++) {
        const bool ok = (table[i].required & ~features) == 0;
        cr_assert_eq(cfs_kernel_by_name(table[i].name) != NULL, ok, "%s", table[i].name);
    }
}

Test(dispatch, features_agree_with_compiler_builtin)
{
    const unsigned f = cfs_cpu_features();
#if defined(__x86_64__) || defined(__i386__)
    /* The compiler runtime does its own CPUID/XCR0 probing: an independent opinion. */
    __builtin_cpu_init();
    const bool sse42 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
    const bool avx2 = __builtin_cpu_supports("avx2") != 0;
    cr_assert_eq((f & CFS_CPU_SSE42) != 0, sse42);
    cr_assert_eq((f & CFS_CPU_AVX2) != 0, avx2 && sse42);
    /* fast PDEP: BMI2, and the vendor test only removes it */
    if (f & CFS_CPU_FAST_PDEP) cr_assert(__builtin_cpu_supports("bmi2") && avx2);
    /* AVX-512 F, BW and VBMI2 (the runtime checks the OS's XCR0 bits for them too) */
    const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vbmi2");
    cr_assert_eq((f & CFS_CPU_AVX512) != 0, avx512 && avx2 && sse42);
    cr_assert_eq(f & CFS_CPU_NEON, 0);
#elif defined(__aarch64__)
    cr_assert_eq(f, CFS_CPU_NEON);
#else
    cr_assert_eq(f, 0);
#endif
}

/* The kernel the host should get by default, worked out from the builtin probes. */
static const char *expected_default(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const bool sse42 = __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
    const unsigned f = cfs_cpu_features();
    if (sse42 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2"))
        return "avx512";
    if (sse42 && __builtin_cpu_supports("avx2")) return (f & CFS_CPU_FAST_PDEP) ? "bmi2" : "avx2";
    return sse42 ? "sse42" : "scalar";
#elif defined(__aarch64__)
    return "neon";
#else
    return "scalar";
#endif
}

/* Each Criterion test runs in its own process, so setenv() here cannot leak. */
Test(dispatch, select_default_and_forced)
{
    char err[160];
    unsetenv("CFSCAN_KERNEL");
    /* before any select, active() answers the default */
    cr_assert_str_eq(cfs_kernel_active()->name, expected_default());
    const cfs_kernel *k = cfs_kernel_select(err, sizeof err);
    cr_assert_not_null(k);
    cr_assert_str_eq(k->name, expected_default());
    cr_assert_eq(cfs_kernel_active(), k);

    setenv("CFSCAN_KERNEL", "scalar", 1);
    k = cfs_kernel_select(err, sizeof err);
    cr_assert_not_null(k, "scalar refused: %s", err);
    cr_assert_str_eq(k->name, "scalar");
    cr_assert_eq(k->scan, cfs_scan_scalar);
    cr_assert_eq(cfs_kernel_active(), k);

    /* empty counts as unset */
    setenv("CFSCAN_KERNEL", "", 1);
    k = cfs_kernel_select(err, sizeof err);
    cr_assert_not_null(k);
    cr_assert_str_eq(k->name, expected_default());
}

Test(dispatch, select_unknown_name_is_an_error)
{
    char err[160];
    setenv("CFSCAN_KERNEL", "scalar", 1);
    const cfs_kernel *chosen = cfs_kernel_select(err, sizeof err);
    cr_assert_not_null(chosen);

    setenv("CFSCAN_KERNEL", "nonsense", 1);
    cr_assert_null(cfs_kernel_select(err, sizeof err));
#if defined(__x86_64__) || defined(__i386__)
    cr_assert_str_eq(err, "unknown kernel 'nonsense' (known: avx512, bmi2, avx2, sse42, scalar)");
#elif defined(__aarch64__)
    cr_assert_str_eq(err, "unknown kernel 'nonsense' (known: neon, scalar)");
#endif
    /* a failed select keeps the previous choice */
    cr_assert_eq(cfs_kernel_active(), chosen);

    /* case matters: names are exact */
    setenv("CFSCAN_KERNEL", "SCALAR", 1);
    cr_assert_null(cfs_kernel_select(err, sizeof err));

    /* short or missing error buffers truncate or are ignored, never overflow */
    char tiny[8];
    memset(tiny, 'z', sizeof tiny);
    setenv("CFSCAN_KERNEL", "nonsense", 1);
    cr_assert_null(cfs_kernel_select(tiny, sizeof tiny));
    cr_assert_str_eq(tiny, "unknown");
    cr_assert_null(cfs_kernel_select(NULL, 0));
    cr_assert_null(cfs_kernel_select(tiny, 0));
}

Test(dispatch, select_unsupported_kernel_is_an_error)
{
    size_t count = 0;
    const cfs_kernel *table = cfs_kernel_table(&count);
    const unsigned features = cfs_cpu_features();
    const cfs_kernel *missing = NULL;
    for (size_t i = 0; i < count && missing == NULL; i++)
        if ((table[i].required & ~features) != 0) missing = &table[i];
    if (missing == NULL) {
        cr_log_info("every compiled kernel runs here; nothing unsupported to select");
        cr_assert_null(cfs_kernel_by_name("neon-or-other"));
        return;
    }
    char err[160], expect[160];
    setenv("CFSCAN_KERNEL", missing->name, 1);
    cr_assert_null(cfs_kernel_select(err, sizeof err));
    snprintf(expect, sizeof expect, "kernel '%s' not supported by this CPU", missing->name);
    cr_assert_str_eq(err, expect);
}

/* ---- main: skip a kernel this CPU cannot run -------------------------------------- */

int main(int argc, char *argv[])
{
    const char *want = getenv("CFS_TEST_KERNEL");
    if (want != NULL && want[0] != '\0') {
        size_t count = 0;
        const cfs_kernel *table = cfs_kernel_table(&count);
        const cfs_kernel *k = NULL;
        for (size_t i = 0; i < count; i++)
            if (strcmp(table[i].name, want) == 0) k = &table[i];
        bool known = false;
        for (size_t i = 0; i < sizeof all_kernel_names / sizeof all_kernel_names[0]; i++)
            known = known || strcmp(all_kernel_names[i], want) == 0;
        if (k == NULL && !known) {
            fprintf(stderr, "CFS_TEST_KERNEL=%s: no such kernel\n", want);
            return 1;
        }
        /* 77 is CTest's SKIP_RETURN_CODE for these registrations. */
        if (k == NULL) {
            printf("SKIPPED: kernel %s not built for this architecture\n", want);
            return 77;
        }
        if ((k->required & ~cfs_cpu_features()) != 0) {
            printf("SKIPPED: kernel %s not supported by this CPU\n", want);
            return 77;
        }
    }
    struct criterion_test_set *tests = criterion_initialize();
    int result = 0;
    if (criterion_handle_args(argc, argv, true)) result = !criterion_run_all_tests(tests);
    criterion_finalize(tests);
    return result;
}
