/* Settling as a pipeline stage (issue 11) and the settled view that report and summary
 * read: a summary's report files are the report the scan printed, a merge of summaries
 * reports what a scan of the union reports, and an aggregate is never settled twice.
 * The end-to-end tests run the built cfscan; expected outputs come from another run of
 * the same program by another path (scan of the union against merge of the parts, stdout
 * against the summary's file), never from a copy of an earlier output. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/scan.h"
#include "pipeline/view.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(summary_view, .init = setup, .fini = teardown, .timeout = 120);

/* Run cmd (exit status 0..4 expected: 3 and 4 are what faults and missing inputs give)
 * and return its stdout. */
static char *run_out(const char *cmd, int want_rc)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, want_rc, "%s: exit %d: %s", cmd, rc, err ? err : "");
    free(err);
    cr_assert(out != NULL);
    return out;
}

static char *read_file(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *s = tu_read(p, NULL);
    cr_assert(s != NULL, "%s could not be read", p);
    return s;
}

/* A small log of 403s and 200s of one distribution, in g_dir/logs. */
static char *write_log(void)
{
    tu_buf b = {0};
    tu_log_header(&b);
    static const tu_kv l1[] = {{"x-edge-request-id", "R01"}, {"c-ip", "192.0.2.1"}, {NULL, NULL}};
    static const tu_kv l2[] = {{"x-edge-request-id", "R02"},
                               {"c-ip", "192.0.2.2"},
                               {"sc-status", "200"},
                               {"x-edge-result-type", "Hit"},
                               {NULL, NULL}};
    static const tu_kv l3[] = {{"x-edge-request-id", "R03"}, {"time-taken", "0.090"}, {NULL, NULL}};
    tu_log_line(&b, NULL, l1);
    tu_log_line(&b, NULL, l2);
    tu_log_line(&b, NULL, l3);
    char logs[4096];
    snprintf(logs, sizeof logs, "%s/logs", g_dir);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", logs);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    char *p = tu_write(logs, TU_LOG_NAME, b.p, b.n);
    free(b.p);
    return p;
}

/* Issue 12: report.txt and report.json of `scan -o` are the report the scan printed, byte
 * for byte, also when an input path is missing (the summary used to count the missing
 * path as a file and word its error differently: it rebuilt the report from its rows). */
Test(summary_view, report_files_are_the_printed_report_with_a_missing_input)
{
    char *log = write_log();
    const char *fmts[2] = {"text", "json"};
    const char *files[2] = {"report.txt", "report.json"};
    for (int f = 0; f < 2; f++) {
        char out[4096], cmd[12288];
        snprintf(out, sizeof out, "%s/s%d", g_dir, f);
        snprintf(cmd, sizeof cmd, "%s scan %s %s/no-such-input -q -j1 --format %s -o %s", tu_prog("cfscan"),
                 log, g_dir, fmts[f], out);
        char *printed = run_out(cmd, 4); /* a missing input: exit 4 */
        cr_assert(strstr(printed, "no-such-input") != NULL, "the report names the missing input: %s",
                  printed);
        char *file = read_file(out, files[f]);
        cr_expect_str_eq(file, printed, "%s differs from what `scan --format %s` printed", files[f], fmts[f]);
        free(file);
        free(printed);
    }
    free(log);
}

/* The same with a window and filters: the files name them as the printed report does
 * ("Selection:", JSON selection.filters), and call the lines they left out "filtered out"
 * (they dropped the selection and called those lines "outside the time window"). */
Test(summary_view, report_files_name_the_filters_of_the_printed_report)
{
    char *log = write_log();
    const char *fmts[2] = {"text", "json"};
    const char *files[2] = {"report.txt", "report.json"};
    const char *says[2] = {"Selection: --status 403", "\"filters\":{\"status\":\"403\"}"};
    for (int f = 0; f < 2; f++) {
        char out[4096], cmd[12288];
        snprintf(out, sizeof out, "%s/f%d", g_dir, f);
        snprintf(cmd, sizeof cmd, "%s scan %s --status 403 -q -j1 --format %s -o %s", tu_prog("cfscan"), log,
                 fmts[f], out);
        char *printed = run_out(cmd, 0);
        cr_assert(strstr(printed, says[f]) != NULL, "the printed report names the filter: %s", printed);
        char *file = read_file(out, files[f]);
        cr_expect_str_eq(file, printed, "%s differs from what `scan --status 403 --format %s` printed",
                         files[f], fmts[f]);
        if (f == 0) cr_expect(strstr(file, "1 filtered out") != NULL, "the 200 is filtered out: %s", file);
        free(file);
        free(printed);
    }
    free(log);
}

/* A generated day of two distributions, with every situation (provisional 403s settled by
 * the origin-latency reference, held-back edge-fast 403s, WAF and config evidence absent),
 * split by hour into g_dir/gen/a (00-11) and g_dir/gen/b (12-23). */
static void generate_halves(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd,
             "%s -o %s/gen --seed 11 --dists 2 --days 1 --lines-per-file 120 --situations all --format plain "
             "-j1 >/dev/null && cd %s/gen && mkdir a b && mv *-0[0-9].*.log *-1[01].*.log a/ && mv *.log b/",
             tu_prog("cfsgen"), g_dir, g_dir);
    char *err = NULL;
    int rc = tu_run(cmd, NULL, &err);
    cr_assert_eq(rc, 0, "generating the logs failed: %s", err ? err : "");
    free(err);
}

/* Merging the summaries of two halves and reporting equals scanning both halves at once:
 * the merge settles the merged (unsettled) state, so provisional 403s of each half are
 * judged against the reference of the whole day, as the union scan judges them.  The
 * merged directory's own report files say the same. */
Test(summary_view, merge_of_halves_reports_as_the_scan_of_the_union)
{
    generate_halves();
    const char *cf = tu_prog("cfscan");
    char cmd[16384];
    for (int h = 0; h < 2; h++) {
        snprintf(cmd, sizeof cmd, "%s scan %s/gen/%c -q -j2 -o %s/s%c >/dev/null", cf, g_dir, "ab"[h], g_dir,
                 "ab"[h]);
        char *err = NULL;
        int rc = tu_run(cmd, NULL, &err);
        cr_assert_eq(rc, 0, "scan of half %c: exit %d: %s", "ab"[h], rc, err ? err : "");
        free(err);
    }
    const char *fmts[2] = {"json", "text"};
    const char *files[2] = {"report.json", "report.txt"};
    for (int f = 0; f < 2; f++) {
        snprintf(cmd, sizeof cmd, "%s scan %s/gen/a %s/gen/b -q -j2 --format %s", cf, g_dir, g_dir, fmts[f]);
        char *whole = run_out(cmd, 0);
        snprintf(cmd, sizeof cmd, "%s merge %s/sa %s/sb -q -o %s/m%d --format %s", cf, g_dir, g_dir, g_dir, f,
                 fmts[f]);
        char *merged = run_out(cmd, 0);
        cr_assert(strlen(whole) > 1000, "a real report: %s", whole);
        cr_expect_str_eq(merged, whole, "merge of the halves (%s) differs from the scan of the union",
                         fmts[f]);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/m%d", g_dir, f);
        char *file = read_file(dir, files[f]);
        cr_expect_str_eq(file, merged, "the merged summary's %s differs from what merge printed", files[f]);
        free(file);
        free(whole);
        free(merged);
    }
}

/* The total of a traffic table's requests per cause, as one comparable string. */
static void causes_of(const cfs_agg *a, uint64_t *per_cause)
{
    memset(per_cause, 0, CFS_CAUSE_COUNT * sizeof *per_cause);
    for (size_t i = 0; i < a->traffic.n; i++) {
        const cfs_trow *t = cfs_kmap_row(&a->traffic, i);
        if (t->k.cause < CFS_CAUSE_COUNT) per_cause[t->k.cause] += t->requests;
    }
}

/* The scan ends with settling: its aggregate comes back marked settled, with no
 * provisional (latency-pending) row left, and settling it again is refused and changes
 * nothing. */
Test(summary_view, scan_result_is_settled_once)
{
    generate_halves();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/gen/a", g_dir);
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, dir, CFS_NO_TIME, CFS_NO_TIME);
    cfs_inputs_sort(&in);
    cr_assert(in.n > 0);
    cfs_scan_opts o;
    memset(&o, 0, sizeof o);
    o.threads = 2;
    o.since = o.until = CFS_NO_TIME;
    cfs_scan_result res;
    cr_assert_eq(cfs_scan_run(&in, &o, &res), CFS_OK);
    cr_assert(cfs_is_settled(&res.agg), "the scan's aggregate is settled when the scan returns");
    cr_assert_null(res.state, "no unsettled state is kept unless asked for");
    uint64_t before[CFS_CAUSE_COUNT], after[CFS_CAUSE_COUNT];
    causes_of(&res.agg, before);
    uint64_t n403 = 0;
    for (size_t i = 0; i < res.agg.traffic.n; i++) {
        const cfs_trow *t = cfs_kmap_row(&res.agg.traffic, i);
        cfs_attribution at = {t->k.cause, t->k.evidence, t->k.rule, t->k.excl};
        cr_assert(!cfs_attr_needs_latency(at), "a provisional row is left after settling");
        if (t->k.cause != CFS_CAUSE_NONE) n403 += t->requests;
    }
    cr_assert(n403 > 0, "the generated logs hold 403s");
    size_t rows = res.agg.traffic.n;
    cr_assert_eq(cfs_settle(&res.agg), 0, "a second settle must be refused");
    causes_of(&res.agg, after);
    cr_assert_eq(res.agg.traffic.n, rows);
    cr_assert_arr_eq(before, after, sizeof before, "a second settle changed the counts");
    /* The view the report reads is that settled aggregate. */
    cfs_view v = cfs_scan_view(&res);
    cr_assert_eq(v.agg, &res.agg);
    cr_assert_eq(v.ledger, &res.ledger);
    cr_assert_eq(v.nfiles, in.n);
    cfs_scan_result_free(&res);
    /* With keep_state the unsettled state comes back too, its held-back 403s unjudged, and
     * judging and settling a copy of it (what a merge does) gives the same counts as the
     * scan's own judge and settle, on one thread or several. */
    o.keep_state = 1;
    cr_assert_eq(cfs_scan_run(&in, &o, &res), CFS_OK);
    cr_assert_not_null(res.state);
    cr_assert(!cfs_is_settled(res.state));
    cr_assert(res.state->deferred.nrec > 0, "the logs hold 403s judged after the pass");
    for (int threads = 1; threads <= 3; threads += 2) {
        cfs_agg copy;
        char err[256];
        cr_assert_eq(cfs_judge_and_settle(&copy, res.state, threads, err, sizeof err), CFS_OK, "%s", err);
        cr_assert(cfs_is_settled(&copy));
        causes_of(&copy, after);
        cr_assert_arr_eq(before, after, sizeof before,
                         "settling the kept state on %d threads gives other counts", threads);
        cfs_agg_free(&copy);
    }
    cfs_scan_result_free(&res);
    cfs_inputs_free(&in);
}

/* Every file of a summary is the same whatever the thread count, the state included: its
 * sections are written in key order, not in the order threads filled the tables (with
 * WAF logs and configs, so that the WAF-rule and per-origin tables are not empty).  Only
 * the manifest, which records the run's own time, may differ. */
Test(summary_view, summary_files_do_not_depend_on_the_thread_count)
{
    char cmd[8192];
    snprintf(
        cmd, sizeof cmd,
        "%s -o %s/gen --seed 5 --dists 6 --days 1 --lines-per-file 100 --situations all --format plain -j2 "
        ">/dev/null",
        tu_prog("cfsgen"), g_dir);
    char *err = NULL;
    int rc = tu_run(cmd, NULL, &err);
    cr_assert_eq(rc, 0, "generating the logs failed: %s", err ? err : "");
    free(err);
    static const char *const files[] = {"state.cfs",           "traffic.parquet",
                                        "latency.parquet",     "top_uris.parquet",
                                        "top_clients.parquet", "distinct_clients.parquet",
                                        "waf_rules.parquet",   "inputs.parquet",
                                        "report.json",         "report.txt"};
    char *first[sizeof files / sizeof files[0]];
    size_t first_n[sizeof files / sizeof files[0]];
    static const int threads[] = {1, 4};
    for (int t = 0; t < 2; t++) {
        snprintf(cmd, sizeof cmd,
                 "%s scan %s/gen -q -j%d --config %s/gen/config --waf-logs %s/gen/waf -o %s/j%d",
                 tu_prog("cfscan"), g_dir, threads[t], g_dir, g_dir, g_dir, threads[t]);
        err = NULL;
        rc = tu_run(cmd, NULL, &err);
        cr_assert(rc == 0 || rc == 3, "scan -j%d: exit %d: %s", threads[t], rc, err ? err : "");
        free(err);
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/j%d", g_dir, threads[t]);
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", dir, files[i]);
            size_t n = 0;
            char *s = tu_read(p, &n);
            cr_assert(s != NULL, "%s could not be read", p);
            cr_assert_gt(n, 0, "%s is empty", p);
            if (t == 0) {
                first[i] = s;
                first_n[i] = n;
                continue;
            }
            cr_assert(n == first_n[i] && memcmp(s, first[i], n) == 0, "%s differs between -j1 and -j4",
                      files[i]);
            free(s);
            free(first[i]);
        }
    }
}
