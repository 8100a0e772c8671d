/* The report's 403 timeline at --resolution 1m|5m|15m|1h, and its default from the
 * window's length (issue 17 item 7).  Bucket counts are worked out by hand from the
 * lines' times below, and on a generated archive from awk's count of 403 lines. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json.h"
#include "tests/util.h"

static char *g_dir, *g_file;

/* Six 403s of E1TESTDIST0001 at 10:00:10, 10:01:00, 10:04:59, 10:05:00, 10:17:30 and
 * 10:59:59 on 2026-11-01, and one 200 at 10:30:00. */
static void setup(void)
{
    g_dir = tu_mkdtemp();
    tu_buf b = {0};
    tu_log_header(&b);
    const char *t403[] = {"10:00:10", "10:01:00", "10:04:59", "10:05:00", "10:17:30", "10:59:59"};
    for (size_t i = 0; i < 6; i++) {
        tu_kv over[] = {{"time", t403[i]}, {NULL, NULL}};
        tu_log_line(&b, NULL, over);
    }
    tu_kv ok[] = {{"time", "10:30:00"},
                  {"sc-status", "200"},
                  {"x-edge-result-type", "Hit"},
                  {"x-edge-response-result-type", "Hit"},
                  {"x-edge-detailed-result-type", "Hit"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, ok);
    g_file = tu_write(g_dir, TU_LOG_NAME, b.p, b.n);
    free(b.p);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
    free(g_file);
}

TestSuite(resolution, .init = setup, .fini = teardown, .timeout = 60);

static int scan(const char *args, char **out, char **err)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s scan %s -q %s", tu_prog("cfscan"), g_file, args);
    return tu_run(cmd, out, err);
}

/* The first distribution's timeline as "KEY=N KEY=N ...", and its resolution. */
static void timeline(const char *args, char *res, char *buckets, size_t n)
{
    char *out, *err, jerr[128];
    cr_assert_eq(scan(args, &out, &err), 0, "%s: %s", args, err);
    cfs_json_doc doc = {0};
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    const cfs_json *tl = cfs_json_path(cfs_json_root(&doc), "forbidden.distributions.0.timeline");
    cr_assert_not_null(tl, "%s: no timeline: %.400s", args, out);
    snprintf(res, 8, "%s", cfs_json_str(cfs_json_get(tl, "resolution")));
    buckets[0] = 0;
    for (const cfs_json *c = cfs_json_first(cfs_json_get(tl, "counts")); c; c = cfs_json_next(c)) {
        double v;
        cr_assert(cfs_json_num(c, &v));
        size_t o = strlen(buckets);
        snprintf(buckets + o, n - o, "%s%s=%.0f", o ? " " : "", c->key, v);
    }
    cfs_json_doc_free(&doc);
    free(out);
    free(err);
}

Test(resolution, explicit_resolutions)
{
    char res[8], b[1024];
    timeline("--format json --resolution 5m", res, b, sizeof b);
    cr_expect_str_eq(res, "5m");
    cr_expect_str_eq(b, "2026-11-01T10:00Z=3 2026-11-01T10:05Z=1 2026-11-01T10:15Z=1 2026-11-01T10:55Z=1");
    timeline("--format json --resolution=1m", res, b, sizeof b);
    cr_expect_str_eq(res, "1m");
    cr_expect_str_eq(b, "2026-11-01T10:00Z=1 2026-11-01T10:01Z=1 2026-11-01T10:04Z=1 2026-11-01T10:05Z=1 "
                        "2026-11-01T10:17Z=1 2026-11-01T10:59Z=1");
    timeline("--format json --resolution 15m", res, b, sizeof b);
    cr_expect_str_eq(res, "15m");
    cr_expect_str_eq(b, "2026-11-01T10:00Z=4 2026-11-01T10:15Z=1 2026-11-01T10:45Z=1");
    timeline("--format json --resolution 1h", res, b, sizeof b);
    cr_expect_str_eq(res, "1h");
    cr_expect_str_eq(b, "2026-11-01T10:00Z=6");
}

/* Default: a window of at most 2 hours 1m, 12 hours 5m, 48 hours 15m; longer or no
 * complete window 1h. */
Test(resolution, default_from_window)
{
    char res[8], b[1024];
    timeline("--format json", res, b, sizeof b);
    cr_expect_str_eq(res, "1h");
    timeline("--format json --since 2026-11-01T10:00 --until 2026-11-01T11:00", res, b, sizeof b);
    cr_expect_str_eq(res, "1m");
    timeline("--format json --since 2026-11-01T09:00 --until 2026-11-01T12:00", res, b, sizeof b);
    cr_expect_str_eq(res, "5m");
    timeline("--format json --since 2026-11-01 --until 2026-11-02", res, b, sizeof b);
    cr_expect_str_eq(res, "15m");
    timeline("--format json --since 2026-11-01 --until 2026-11-05", res, b, sizeof b);
    cr_expect_str_eq(res, "1h");
}

Test(resolution, text_report)
{
    char *out, *err;
    cr_assert_eq(scan("--resolution 15m", &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "403s per 15 minutes:") != NULL, "%s", out);
    cr_expect(strstr(out, "11-01T10:00Z 4 11-01T10:15Z 1 11-01T10:45Z 1") != NULL, "%s", out);
    free(out);
    free(err);
    cr_assert_eq(scan("", &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "403s per hour:") != NULL, "%s", out);
    free(out);
    free(err);
}

Test(resolution, bad_value)
{
    char *out, *err;
    cr_expect_eq(scan("--resolution 2m", &out, &err), 2);
    cr_expect(strstr(err, "1m, 5m, 15m, 1h") != NULL, "%s", err);
    free(out);
    free(err);
}

/* A generated day: the 5-minute buckets sum to each distribution's 403 lines (awk), and
 * -j1 and -j2 give the same JSON. */
Test(resolution, generated_sums_and_threads)
{
    char cmd[2048], *out1, *out2, *err;
    snprintf(cmd, sizeof cmd,
             "%s -o %s/gen --seed 5 --dists 2 --days 1 --lines-per-file 200 --format plain "
             "--no-waf --no-configs -j2",
             tu_prog("cfsgen"), g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "%s scan %s/gen/*.log -q -j1 --format json --resolution 5m", tu_prog("cfscan"),
             g_dir);
    cr_assert_eq(tu_run(cmd, &out1, &err), 0, "%s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "%s scan %s/gen/*.log -q -j2 --format json --resolution 5m", tu_prog("cfscan"),
             g_dir);
    cr_assert_eq(tu_run(cmd, &out2, &err), 0, "%s", err);
    free(err);
    cr_expect_str_eq(out1, out2);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out1, strlen(out1), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    const cfs_json *ds = cfs_json_path(cfs_json_root(&doc), "forbidden.distributions");
    int n = 0;
    for (const cfs_json *d = cfs_json_first(ds); d; d = cfs_json_next(d), n++) {
        const char *id = cfs_json_str(cfs_json_get(d, "distribution"));
        double sum = 0, v;
        size_t buckets = 0;
        for (const cfs_json *c = cfs_json_first(cfs_json_path(d, "timeline.counts")); c;
             c = cfs_json_next(c)) {
            cr_assert(cfs_json_num(c, &v));
            sum += v;
            buckets++;
        }
        char *cnt;
        snprintf(cmd, sizeof cmd, "cat %s/gen/%s.*.log | awk -F'\\t' '!/^#/ && $9 == \"403\"' | wc -l", g_dir,
                 id);
        cr_assert_eq(tu_run(cmd, &cnt, NULL), 0);
        cr_expect_eq((long)sum, strtol(cnt, NULL, 10), "%s", id);
        cr_expect_gt(buckets, 24, "%s: 5-minute buckets over a day", id);
        free(cnt);
    }
    cr_expect_eq(n, 2);
    cfs_json_doc_free(&doc);
    free(out1);
    free(out2);
}
