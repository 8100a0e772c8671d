/* The scan kernels on another architecture: tools/cross-check.sh builds this with
 * aarch64-linux-gnu-gcc -static and runs it under qemu-aarch64-static, so the NEON kernel
 * is checked on an x86 machine.  Every kernel the (emulated) CPU runs is compared with a
 * byte-loop oracle (its line ends and TAB map, and its column locators on every line) on
 * the cases of tests/test_kernels.c: random buffers (seed printed, CFS_TEST_SEED sets
 * it), separators on 64-byte block edges, CRLF across blocks, every length 0..200, and a
 * buffer ending right before an unmapped page.  Plain C and libc
 * only: the cross toolchain has no Criterion.  Exit status 0 when every kernel agrees. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kernels/kernels.h"

static int g_failures;

static size_t oracle(const uint8_t *b, size_t n, uint32_t *pos)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] == '\t' || b[i] == '\n') pos[k++] = (uint32_t)i;
    return k;
}

/* The kernel's LF list and TAB map merged into one increasing offset list (the oracle's
 * form); then, for every line, the column locator against the merged TAB offsets. */
static void check(const cfs_kernel *k, const uint8_t *b, size_t n, const char *what)
{
    uint32_t *want = malloc((n + CFS_SCAN_POS_SLACK + 1) * sizeof *want);
    uint32_t *got = malloc((n + CFS_SCAN_POS_SLACK + 1) * sizeof *got);
    uint32_t *lf = malloc((n + CFS_SCAN_POS_SLACK + 1) * sizeof *lf);
    uint64_t *tabs = malloc((CFS_SCAN_WORDS(n) + 1) * sizeof *tabs);
    uint32_t *cols = malloc((n + CFS_COLS_SLACK + 1) * sizeof *cols);
    size_t nw = oracle(b, n, want), nlf = k->scan(b, n, tabs, lf), ng = 0, j = 0;
    for (size_t i = 0; i < n; i++) {
        int tab = (int)((tabs[i / 64] >> (i % 64)) & 1), is_lf = j < nlf && lf[j] == i;
        j += is_lf;
        if (tab || is_lf) got[ng++] = (uint32_t)i;
    }
    if (nw != ng || j != nlf || memcmp(want, got, nw * sizeof *want) != 0) {
        fprintf(stderr, "FAIL %s: %s, length %zu: %zu positions, expected %zu\n", k->name, what, n, ng, nw);
        g_failures++;
    }
    /* each line (and the tail) through the locator: all of its TABs, then the first 3 */
    size_t ls = 0, w = 0;
    for (size_t l = 0; l <= nlf; l++) {
        size_t le = l < nlf ? lf[l] : n, count = 0;
        while (w < nw && want[w] < le) {
            if (b[want[w]] == '\t') got[count++] = want[w];
            w++;
        }
        if (l < nlf) w++; /* the LF itself */
        /* the picking locator: every other TAB, each at its own index */
        uint8_t pk[128];
        size_t npk = 0, c3, bad_pick = 0;
        for (size_t t = 0; t < count && npk < sizeof pk; t += 2) pk[npk++] = (uint8_t)t;
        c3 = k->pick(tabs, (uint32_t)ls, (uint32_t)le, pk, npk, cols);
        for (size_t i = 0; i < npk; i++) bad_pick |= cols[pk[i]] != got[pk[i]];
        if (c3 != count || bad_pick) {
            fprintf(stderr, "FAIL %s: %s, length %zu: line [%zu, %zu) picked columns\n", k->name, what, n, ls,
                    le);
            g_failures++;
            break;
        }
        size_t c1 = k->cols(tabs, (uint32_t)ls, (uint32_t)le, count, cols);
        size_t c2 = count ? k->cols(tabs, (uint32_t)ls, (uint32_t)le, 3, cols + count) : 0;
        if (c1 != count || memcmp(cols, got, count * sizeof *cols) != 0 ||
            (count &&
             (c2 != count || memcmp(cols + count, got, (count < 3 ? count : 3) * sizeof *cols) != 0))) {
            fprintf(stderr, "FAIL %s: %s, length %zu: line [%zu, %zu) columns\n", k->name, what, n, ls, le);
            g_failures++;
            break;
        }
        ls = le + 1;
    }
    free(want);
    free(got);
    free(lf);
    free(tabs);
    free(cols);
}

static uint64_t g_rng;
static uint32_t rnd(void)
{
    g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(g_rng >> 33);
}

static void run_kernel(const cfs_kernel *k)
{
    /* random buffers with separators and CR densely and sparsely mixed in */
    for (int r = 0; r < 200; r++) {
        size_t n = rnd() % 5000;
        uint8_t *b = malloc(n + 1);
        unsigned density = 1 + rnd() % 40;
        for (size_t i = 0; i < n; i++) {
            uint32_t x = rnd();
            b[i] = x % density == 0 ? "\t\n\r"[x / density % 3] : (uint8_t)(x >> 8);
        }
        check(k, b, n, "random");
        free(b);
    }
    /* separators on every block edge, CRLF across blocks */
    uint8_t blk[64 * 6];
    memset(blk, 'a', sizeof blk);
    for (size_t i = 63; i < sizeof blk; i += 64) {
        blk[i] = '\t';
        if (i + 1 < sizeof blk) blk[i + 1] = '\n';
    }
    check(k, blk, sizeof blk, "block edges");
    memset(blk, 'b', sizeof blk);
    for (size_t i = 63; i + 1 < sizeof blk; i += 64) {
        blk[i] = '\r';
        blk[i + 1] = '\n';
    }
    check(k, blk, sizeof blk, "CRLF across blocks");
    /* every length 0..200 of all-TAB and of text */
    for (size_t n = 0; n <= 200; n++) {
        uint8_t *b = malloc(n + 1);
        memset(b, '\t', n);
        check(k, b, n, "all TAB");
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(i % 7 == 3 ? '\n' : 'x');
        check(k, b, n, "text");
        free(b);
    }
    /* a buffer that ends right before an unmapped page: no read past len */
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m + pg, (size_t)pg, PROT_NONE) != 0) {
        fprintf(stderr, "cannot set up a guard page\n");
        g_failures++;
        return;
    }
    for (size_t n = 0; n <= 130; n++) {
        uint8_t *b = m + pg - n;
        for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(i % 5 == 0 ? '\t' : 'z');
        check(k, b, n, "guard page");
    }
    munmap(m, (size_t)pg * 2);
}

int main(void)
{
    const char *s = getenv("CFS_TEST_SEED");
    g_rng = s && *s ? strtoull(s, NULL, 10) : (uint64_t)time(NULL);
    printf("kernel_check: seed %llu (CFS_TEST_SEED to repeat)\n", (unsigned long long)g_rng);
    size_t count = 0;
    const cfs_kernel *t = cfs_kernel_table(&count);
    unsigned features = cfs_cpu_features();
    int ran = 0;
    for (size_t i = 0; i < count; i++) {
        if (t[i].required & ~features) continue;
        int before = g_failures;
        run_kernel(&t[i]);
        printf("kernel_check: %-6s %s\n", t[i].name,
               g_failures == before ? "agrees with the oracle" : "FAILED");
        ran++;
    }
    return g_failures || ran < 2 ? 1 : 0; /* at least the SIMD kernel and scalar */
}
