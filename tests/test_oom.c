/* The out-of-memory policy (issue 12): the library never exits; a failed allocation is
 * recorded with what it was for, the scan and the merge stop at their next check, the
 * library returns CFS_E_NOMEM and only the command line exits (status 1), having
 * published nothing.  Failures are injected with the allocation layer's test hook
 * (CFSCAN_FAIL_ALLOC_AFTER for the built binary, cfs_alloc_fail_after in process). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/kmap.h"
#include "pipeline/source.h"
#include "pipeline/summary.h"
#include "pipeline/xalloc.h"
#include "tests/util.h"

/* Every 7th allocation point of a small run (every 37th under ASan, whose runs are
 * slower), from the first allocation until the run no longer fails. */
#define STEP (TU_UNDER_ASAN ? 37 : 7)
/* More allocations than any of the small runs below makes (about 900 at most). */
#define MAX_POINTS 5000

static char *g_dir, *g_logs;

/* Two small gzip logs made by cfsgen (seeded: the same bytes every run). */
static void make_logs(void)
{
    g_dir = tu_mkdtemp();
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -o %s/gen --dists 1 --days 1 --lines-per-file 30 --format gz >/dev/null 2>&1 && "
             "ls %s/gen/*.gz | head -2 | tr '\\n' ' '",
             tu_prog("cfsgen"), g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, &g_logs, NULL), 0, "cfsgen failed");
    cr_assert(strlen(g_logs) > 10, "no logs: %s", g_logs);
}

static void cleanup(void) { tu_rmrf(g_dir); }

static int exists(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0;
}

/* "out of memory <what>" with a what: the message names what failed. */
static void assert_says_what(const char *err, const char *cmd)
{
    const char *m = strstr(err, "out of memory ");
    cr_assert(m, "%s: no out-of-memory message: %s", cmd, err);
    m += strlen("out of memory ");
    cr_assert(*m >= 'a' && *m <= 'z', "%s: the message does not say what failed: %s", cmd, err);
}

/* Run `fmt` (with %s for "CFSCAN_FAIL_ALLOC_AFTER=n") for n = 0, STEP, 2 STEP, ... until
 * it no longer fails: each failing run exits 1 (never a signal, never a leak report under
 * ASan), names what failed and leaves nothing at out (NULL: no output directory).  The
 * run that completes exits ok_rc.  Returns how many runs failed. */
static int sweep(const char *fmt, const char *out, int ok_rc)
{
    int failed = 0;
    for (int n = 0; n < MAX_POINTS; n += STEP) {
        if (out) tu_rmrf(out);
        char env[64], cmd[8192];
        snprintf(env, sizeof env, "CFSCAN_FAIL_ALLOC_AFTER=%d", n);
        snprintf(cmd, sizeof cmd, fmt, env);
        char *err = NULL;
        int rc = tu_run(cmd, NULL, &err);
        if (rc != 1) {
            cr_assert_eq(rc, ok_rc, "%s: exit %d (stderr: %s)", cmd, rc, err ? err : "");
            cr_assert(failed > 0, "%s: the first allocation did not fail the run", cmd);
            free(err);
            return failed;
        }
        assert_says_what(err ? err : "", cmd);
        if (out) {
            cr_assert(!exists(out), "%s: exit 1 but %s was written", cmd, out);
            char tmp[4200];
            snprintf(tmp, sizeof tmp, "ls -d %s.tmp-* 2>/dev/null", out);
            char *left = NULL;
            tu_run(tmp, &left, NULL);
            cr_assert(!left || !left[0], "%s: temporary directory left: %s", cmd, left);
            free(left);
        }
        free(err);
        failed++;
    }
    cr_assert_fail("%s: still failing after %d allocations", fmt, MAX_POINTS);
    return failed;
}

TestSuite(oom, .init = make_logs, .fini = cleanup, .timeout = 120);

/* Today's library printed "cfscan: out of memory" and called exit(1) from wherever the
 * allocation failed; the hook makes every such point fail in turn. */
Test(oom, scan_fails_cleanly_at_every_point)
{
    char out[1024], fmt[8192], *base = NULL;
    snprintf(out, sizeof out, "%s/sum", g_dir);
    /* the exit status of the run that does not fail: that of a run without the hook */
    snprintf(fmt, sizeof fmt, "%s scan %s -j1 -q -o %s >/dev/null", tu_prog("cfscan"), g_logs, out);
    int ok = tu_run(fmt, &base, NULL);
    cr_assert(ok == 0 || ok == 3 || ok == 4, "plain run exits %d", ok);
    free(base);
    snprintf(fmt, sizeof fmt, "%%s %s scan %s -j1 -q -o %s >/dev/null", tu_prog("cfscan"), g_logs, out);
    cr_assert_gt(sweep(fmt, out, ok), 3);
}

Test(oom, merge_fails_cleanly_at_every_point)
{
    /* one summary per log (a merge refuses summaries that share an input) */
    char first[1024], second[1024], one[1024], two[1024], out[1024], cmd[8192];
    cr_assert_eq(sscanf(g_logs, "%1023s %1023s", first, second), 2, "two logs: %s", g_logs);
    snprintf(one, sizeof one, "%s/one", g_dir);
    snprintf(two, sizeof two, "%s/two", g_dir);
    snprintf(out, sizeof out, "%s/merged", g_dir);
    snprintf(cmd, sizeof cmd, "%s scan %s -j1 -q -o %s >/dev/null", tu_prog("cfscan"), first, one);
    int ok = tu_run(cmd, NULL, NULL);
    cr_assert(ok == 0 || ok == 3 || ok == 4, "scan exits %d", ok);
    snprintf(cmd, sizeof cmd, "%s scan %s -j1 -q -o %s >/dev/null", tu_prog("cfscan"), second, two);
    int ok2 = tu_run(cmd, NULL, NULL);
    cr_assert_eq(ok2, ok, "the second scan exits %d, the first %d", ok2, ok);
    snprintf(cmd, sizeof cmd, "%%s %s merge -q -o %s %s %s >/dev/null", tu_prog("cfscan"), out, one, two);
    cr_assert_gt(sweep(cmd, out, ok), 3);
}

Test(oom, requests_fails_cleanly_at_every_point)
{
    char fmt[8192];
    snprintf(fmt, sizeof fmt, "%s requests %s -j1 -q --status 403 >/dev/null", tu_prog("cfscan"), g_logs);
    int ok = tu_run(fmt, NULL, NULL);
    snprintf(fmt, sizeof fmt, "%%s %s requests %s -j1 -q --status 403 >/dev/null", tu_prog("cfscan"), g_logs);
    cr_assert_gt(sweep(fmt, NULL, ok), 3);
}

/* With two threads the failing allocation is not always the same one, but every run
 * must still end the same way. */
Test(oom, scan_two_threads_fails_cleanly)
{
    char out[1024], cmd[8192];
    snprintf(out, sizeof out, "%s/sum2", g_dir);
    for (int n = 0; n < 400; n += 37) {
        tu_rmrf(out);
        snprintf(cmd, sizeof cmd, "CFSCAN_FAIL_ALLOC_AFTER=%d %s scan %s -j2 -q -o %s >/dev/null", n,
                 tu_prog("cfscan"), g_logs, out);
        char *err = NULL;
        int rc = tu_run(cmd, NULL, &err);
        cr_assert(rc == 1 || rc == 0 || rc == 3 || rc == 4, "%s: exit %d (%s)", cmd, rc, err);
        if (rc == 1) {
            assert_says_what(err, cmd);
            cr_assert(!exists(out), "%s: exit 1 but %s was written", cmd, out);
        }
        free(err);
    }
}

/* ---- the library in this process ---- */

/* A failed allocation returns NULL, records what failed, and every later one fails too
 * (the run is lost: nothing grows after it), which cfs_mem_over reports. */
Test(oom_lib, failure_is_recorded_and_sticky)
{
    cr_assert(!cfs_nomem_failed());
    cfs_alloc_fail_after(1);
    void *a = cfs_malloc(16, "the first block");
    cr_assert(a);
    cr_assert_null(cfs_malloc(16, "the second block"));
    cr_assert(cfs_nomem_failed());
    cr_assert(cfs_mem_over(), "the scan's budget checks must see the failure");
    cr_assert_str_eq(cfs_nomem_what(), "the second block");
    cfs_alloc_fail_after(UINT64_MAX);
    cr_assert_null(cfs_calloc(1, 16, "a third block"), "allocations after a failure must fail too");
    cr_assert_str_eq(cfs_nomem_what(), "the second block", "the first failure is the one reported");
    char err[128];
    cr_assert_eq(cfs_nomem_status(NULL, err, sizeof err), CFS_E_NOMEM);
    cr_assert_str_eq(err, "out of memory the second block");
    void *p = malloc(8);
    cr_assert_null(cfs_realloc(p, 64, "growing p"));
    free(p); /* still ours: a failed realloc leaves it */
    free(a);
    cfs_nomem_reset();
    cr_assert(!cfs_nomem_failed());
    cr_assert(!cfs_mem_over());
}

/* A map that cannot grow stays as it was: its rows are still found, a new key gets the
 * sink row, which no map holds. */
Test(oom_lib, kmap_keeps_its_rows)
{
    cfs_kmap m;
    cfs_kmap_init(&m, 8, 16);
    for (uint64_t k = 1; k <= 20; k++) {
        uint64_t *row = cfs_kmap_get(&m, &k, NULL);
        cr_assert(!cfs_kmap_is_sink(row));
        row[1] = k * 10;
    }
    size_t cap = m.cap;
    cfs_alloc_fail_after(0);
    uint64_t k = 21;
    for (; k <= cap; k++) (void)cfs_kmap_get(&m, &k, NULL);
    cr_assert(cfs_nomem_failed());
    cr_assert_leq(m.n + 1, m.cap, "the map must keep an empty slot (probes end)");
    cr_assert_eq(m.cap, cap);
    uint64_t *sink = cfs_kmap_get(&m, &k, NULL);
    cr_assert(cfs_kmap_is_sink(sink));
    for (uint64_t j = 1; j <= 20; j++) {
        const uint64_t *row = cfs_kmap_find(&m, &j);
        cr_assert(row && row[1] == j * 10, "row %llu lost", (unsigned long long)j);
    }
    cfs_kmap_free(&m);
}

/* Joining partitions (cfs_kmap_concat) when the joined map cannot grow: every row it
 * takes keeps its value, the first part (taken whole) is all there, the parts are left
 * empty, and the map still answers lookups.  On two threads, with rows enough for the
 * parallel join, whose four allocations fail in turn (the first, or one after others
 * were had): each time it leaves the join to the serial one, whose result is checked
 * (and, under ASan, that it freed what it had: tests/util_leaks.c). */
Test(oom_lib, kmap_concat_keeps_what_it_takes)
{
    for (uint64_t after = 0; after < 4; after++) {
        cfs_kmap parts[3], m;
        for (int p = 0; p < 3; p++) cfs_kmap_init(&parts[p], 8, 16);
        for (uint64_t k = 1; k <= 9000; k++) ((uint64_t *)cfs_kmap_get(&parts[k % 3], &k, NULL))[1] = k * 7;
        cfs_kmap_init(&m, 8, 16);
        cfs_alloc_fail_after(after);
        cfs_kmap_concat(&m, parts, 3, 100, 2);
        cr_assert(cfs_nomem_failed(), "fail after %llu", (unsigned long long)after);
        cr_assert_geq(m.n, 3000, "the first part, taken whole, holds 3000 rows: %zu", m.n);
        cr_assert_leq(m.n + 1, m.cap, "the map must keep an empty slot (probes end)");
        for (int p = 0; p < 3; p++) cr_assert_eq(parts[p].n, 0);
        for (uint64_t k = 1; k <= 9000; k++) {
            const uint64_t *row = cfs_kmap_find(&m, &k);
            if (k % 3 == 0) cr_assert(row, "row %llu of the first part lost", (unsigned long long)k);
            if (row) cr_assert_eq(row[1], k * 7, "row %llu", (unsigned long long)k);
        }
        cfs_kmap_free(&m);
        for (int p = 0; p < 3; p++) cfs_kmap_free(&parts[p]);
        cfs_alloc_fail_after(UINT64_MAX);
        cfs_nomem_reset();
    }
}

/* The parallel join holds the parts and the joined table at once, so it is taken only
 * where the memory budget has room for the table: with a limit just above what the parts
 * hold, the serial join does the work, and the rows are all there.  The charged peak
 * tells the two apart: the serial join grows the first part (its index from 8,192 to
 * 32,768 slots, its rows from 4,096 to 9,000: 373 KB more), the parallel one charges a
 * whole second table, the joined map's size (537 KB), while the parts (492 KB) are still
 * held. */
Test(oom_lib, kmap_concat_on_threads_stays_within_the_budget)
{
    cfs_kmap parts[3], m;
    for (int p = 0; p < 3; p++) cfs_kmap_init(&parts[p], 8, 16);
    for (uint64_t k = 1; k <= 9000; k++) ((uint64_t *)cfs_kmap_get(&parts[k % 3], &k, NULL))[1] = k * 7;
    const int64_t held = cfs_mem_held();
    cfs_mem_set_limit((uint64_t)held + 100000); /* less than a joined table of 9,000 rows */
    cfs_kmap_init(&m, 8, 16);
    cfs_kmap_concat(&m, parts, 3, 0, 2);
    cr_assert_eq(m.n, 9000);
    /* the joined table's bytes, as kmap_bytes charges them */
    const int64_t table = (int64_t)(m.cap * (sizeof(uint64_t) + sizeof(uint32_t)) + m.rows_cap * 16);
    cr_assert_lt(cfs_mem_peak(), held + table,
                 "peak %lld over what was held %lld: a second table of the rows was made",
                 (long long)cfs_mem_peak(), (long long)held);
    for (uint64_t k = 1; k <= 9000; k++) {
        const uint64_t *row = cfs_kmap_find(&m, &k);
        cr_assert(row && row[1] == k * 7, "row %llu", (unsigned long long)k);
    }
    cfs_kmap_free(&m);
    for (int p = 0; p < 3; p++) cfs_kmap_free(&parts[p]);
    cfs_mem_set_limit(0);
}

Test(oom_lib, walk_open_returns_null)
{
    const char *paths[] = {"/nonexistent"};
    cfs_alloc_fail_after(0);
    cfs_walk *w = cfs_walk_open(paths, 1, 0, 0);
    cr_assert_null(w);
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cr_assert_eq(cfs_walk_next(w, &in, 8), 0);
    cfs_walk_close(w);
    cr_assert(cfs_nomem_failed());
}

/* A state read that runs out of memory returns CFS_E_NOMEM with a message, wherever the
 * allocation fails: never exits, never a crash. */
Test(oom_lib, state_read_returns_nomem, .init = make_logs, .fini = cleanup)
{
    char sum[1024], cmd[8192], path[1100];
    snprintf(sum, sizeof sum, "%s/one", g_dir);
    snprintf(cmd, sizeof cmd, "%s scan %s -j1 -q -o %s >/dev/null", tu_prog("cfscan"), g_logs, sum);
    int rc = tu_run(cmd, NULL, NULL);
    cr_assert(rc == 0 || rc == 3 || rc == 4);
    snprintf(path, sizeof path, "%s/state.cfs", sum);
    int nomem = 0;
    for (uint64_t n = 0; n < 2000; n += 3) {
        cfs_nomem_reset();
        cfs_alloc_fail_after(n);
        cfs_summary s;
        char err[512] = "";
        cfs_status st = cfs_state_read(&s, path, err, sizeof err);
        cfs_alloc_fail_after(UINT64_MAX);
        if (st == CFS_OK) {
            cr_assert(!cfs_nomem_failed());
            cfs_summary_free(&s);
            break;
        }
        cr_assert_eq(st, CFS_E_NOMEM, "n=%llu: %s (%s)", (unsigned long long)n, cfs_status_str(st), err);
        cr_assert(strstr(err, "out of memory"), "n=%llu: %s", (unsigned long long)n, err);
        nomem++;
    }
    cr_assert_gt(nomem, 3);
}
