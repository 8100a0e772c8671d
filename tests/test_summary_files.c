/* The files of a summary directory as the manifest names them, and the constants the
 * tables carry: guards for the summary sink's split into files (summary_*.c), which
 * moved the one list of file names and the HyperLogLog error into new homes.  Each test
 * runs the built cfscan on a few hand-written lines and checks its output against what
 * the directory holds or against the published formula; one checks the order the state
 * and traffic.parquet write their traffic rows in against the key comparison. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/json.h"
#include "pipeline/sketch.h"
#include "pipeline/summary_internal.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(summary_files, .init = setup, .fini = teardown, .timeout = 60);

/* A log of three 403s from two clients, scanned with -o g_dir/s; returns the summary
 * directory's path (static buffer). */
static const char *make_summary(void)
{
    tu_buf b = {0};
    tu_log_header(&b);
    static const tu_kv one[] = {{"x-edge-request-id", "R01"}, {"c-ip", "192.0.2.1"}, {NULL, NULL}};
    static const tu_kv two[] = {{"x-edge-request-id", "R02"}, {"c-ip", "192.0.2.2"}, {NULL, NULL}};
    static const tu_kv three[] = {{"x-edge-request-id", "R03"}, {"c-ip", "192.0.2.2"}, {NULL, NULL}};
    tu_log_line(&b, NULL, one);
    tu_log_line(&b, NULL, two);
    tu_log_line(&b, NULL, three);
    char *log = tu_write(g_dir, "E2ABCDEF123456.2026-11-01-10.abcd1234", b.p, b.n);
    free(b.p);
    static char out[1024];
    snprintf(out, sizeof out, "%s/s", g_dir);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s -q -j1", tu_prog("cfscan"), log, out);
    char *err = NULL;
    int rc = tu_run(cmd, NULL, &err);
    cr_assert_eq(rc, 0, "cfscan scan -o: exit %d: %s", rc, err ? err : "");
    free(err);
    free(log);
    return out;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

/* manifest.json's "tables" are exactly the Parquet files in the directory, in any order,
 * and its "state" and "inputs_table" name files that are there. */
Test(summary_files, manifest_lists_what_the_directory_holds)
{
    const char *dir = make_summary();
    char path[1200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    size_t n;
    char *text = tu_read(path, &n);
    cr_assert(text, "no manifest.json in %s", dir);
    cfs_json_doc doc = {0};
    char why[128];
    cr_assert_eq(cfs_json_parse(&doc, text, n, why, sizeof why), CFS_OK, "manifest.json: %s", why);
    const cfs_json *root = cfs_json_root(&doc);
    const cfs_json *tables = cfs_json_get(root, "tables");
    size_t listed = cfs_json_count(tables);
    cr_assert_gt(listed, 0, "manifest lists no tables");

    /* every listed table is a regular file of the directory, listed once */
    for (size_t i = 0; i < listed; i++) {
        const char *t = cfs_json_str(cfs_json_at(tables, i));
        cr_assert(t && has_suffix(t, ".parquet"), "table %zu is not a .parquet name", i);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(t, cfs_json_str(cfs_json_at(tables, j)), "%s listed twice", t);
        snprintf(path, sizeof path, "%s/%s", dir, t);
        struct stat st;
        cr_assert(stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0,
                  "listed table %s is not there", t);
    }
    /* every Parquet file of the directory is listed */
    DIR *d = opendir(dir);
    cr_assert(d);
    size_t found = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".parquet")) continue;
        found++;
        int in = 0;
        for (size_t i = 0; i < listed; i++)
            in |= strcmp(e->d_name, cfs_json_str(cfs_json_at(tables, i))) == 0;
        cr_assert(in, "%s is in the directory but not in the manifest's tables", e->d_name);
    }
    closedir(d);
    cr_assert_eq(found, listed);

    const char *state = cfs_json_str(cfs_json_get(root, "state"));
    cr_assert(state, "manifest names no state file");
    snprintf(path, sizeof path, "%s/%s", dir, state);
    struct stat st;
    cr_assert(stat(path, &st) == 0 && S_ISREG(st.st_mode), "state %s is not there", state);
    const char *inputs = cfs_json_str(cfs_json_get(root, "inputs_table"));
    int in = 0;
    for (size_t i = 0; inputs && i < listed; i++)
        in |= strcmp(inputs, cfs_json_str(cfs_json_at(tables, i))) == 0;
    cr_assert(in, "inputs_table %s is not one of the tables", inputs ? inputs : "(none)");
    cfs_json_doc_free(&doc);
    free(text);
}

/* distinct_clients.parquet's relative_std_error is HyperLogLog's 1.04 / sqrt(m) for the
 * m = 2^CFS_HLL_P registers this cfscan keeps (Flajolet et al. 2007), read back by DuckDB. */
Test(summary_files, distinct_clients_error_is_the_hll_standard_error)
{
    char nm[1024];
    snprintf(nm, sizeof nm, "%s/tests/js/node_modules/@duckdb/node-api", CFS_SOURCE_DIR);
    struct stat st;
    cr_assert(stat(nm, &st) == 0,
              "DuckDB reader missing: run `npm ci --prefix tests/js` (tools/test.sh does)");
    const char *dir = make_summary();
    char cmd[4096];
    snprintf(
        cmd, sizeof cmd,
        "node %s/tests/js/summary_sql.mjs duckdb \"select count(*)::VARCHAR, min(relative_std_error)::VARCHAR, "
        "max(relative_std_error)::VARCHAR, sum(distinct_clients)::VARCHAR from '%s/distinct_clients.parquet'\"",
        CFS_SOURCE_DIR, dir);
    char *out = NULL, *err = NULL;
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "duckdb: %s", err ? err : "");
    cfs_json_doc doc = {0};
    char why[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), why, sizeof why), CFS_OK, "%s: %s", why, out);
    const cfs_json *row = cfs_json_at(cfs_json_root(&doc), 0);
    cr_assert_eq(cfs_json_count(row), 4, "%s", out);
    /* one (distribution, cause) group: the three 403s of one distribution, two clients */
    cr_assert_str_eq(cfs_json_str(cfs_json_at(row, 0)), "1", "%s", out);
    cr_assert_str_eq(cfs_json_str(cfs_json_at(row, 3)), "2", "%s", out);
    double want = 1.04 / sqrt(ldexp(1.0, CFS_HLL_P));
    for (size_t k = 1; k <= 2; k++) {
        double got = strtod(cfs_json_str(cfs_json_at(row, k)), NULL);
        cr_assert(fabs(got - want) <= 1e-12 * want, "relative_std_error %.17g, want %.17g", got, want);
    }
    cfs_json_doc_free(&doc);
    free(out);
    free(err);
}

/* The traffic rows of state.cfs and traffic.parquet are written in cfs_sum_cmp_trow's
 * order; cfs_sum_sorted_traffic computes it from ranked strings and packed key words.
 * On a table of random keys (negative hours, strings that are prefixes of each other,
 * the empty string, rows that differ only in their latency class), it must give the very
 * order that qsort with cfs_sum_cmp_trow gives (keys are unique, so there is one). */
Test(summary_files, traffic_rows_sorted_as_the_key_comparison_sorts_them)
{
    static const char *const dists[] = {
        "E1", "E10", "E1A", "", "-", "EZZZZZZZZZZZZZ", "d111111abcdef8.cloudfront.net"};
    static const char *const edges[] = {"IAD89-C1", "IAD89-C2", "IAD8", "LHR62-C2", "", "CDG52-P2"};
    cfs_kmap m;
    cfs_kmap_init(&m, sizeof(cfs_tkey), sizeof(cfs_trow));
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 30000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        cfs_tkey k;
        memset(&k, 0, sizeof k);
        /* "" stays all zero bytes, as a key read back from a state may be (cfs_key_str
         * would make it "-") */
        memcpy(k.dist, dists[x % 7], strlen(dists[x % 7]));
        memcpy(k.edge, edges[(x >> 8) % 6], strlen(edges[(x >> 8) % 6]));
        k.hour = ((int64_t)((x >> 16) % 60) - 10) * 3600;
        k.status = (uint16_t)(200 + (x >> 24) % 4 * 100 + (x >> 28) % 4);
        k.cause = (uint8_t)((x >> 32) % 5);
        k.evidence = (uint8_t)((x >> 36) % 3);
        k.rule = (uint16_t)((x >> 40) % 300);
        k.lat_class = (uint8_t)((x >> 50) % 4);
        cfs_trow *t = cfs_kmap_get(&m, &k, NULL);
        t->requests++;
    }
    cr_assert_gt(m.n, 20000, "mostly distinct keys");
    void **want = cfs_sum_sorted_rows(&m, cfs_sum_cmp_trow);
    void **got = cfs_sum_sorted_traffic(&m);
    cr_assert(want && got);
    for (size_t i = 0; i < m.n; i++) {
        const cfs_trow *a = want[i], *b = got[i];
        cr_assert_eq(a, b,
                     "row %zu: hour %lld %s %s %u rule %u class %u, want hour %lld %s %s %u rule %u class %u",
                     i, (long long)b->k.hour, b->k.dist, b->k.edge, b->k.status, b->k.rule, b->k.lat_class,
                     (long long)a->k.hour, a->k.dist, a->k.edge, a->k.status, a->k.rule, a->k.lat_class);
        if (i)
            cr_assert_lt(cfs_sum_cmp_trow(&want[i - 1], &want[i]), 0, "row %zu: keys are strictly ordered",
                         i);
    }
    free(want);
    free(got);
    cfs_kmap_free(&m);
}
