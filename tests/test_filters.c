/* One set of filters for `scan` and `requests` (issue 17 item 3): --dist (which also
 * skips other distributions' files by name), --edge as a full id, a POP prefix or an
 * airport code, --status, --cause, --ip, --uri-prefix with or without its leading /.
 * Expected counts come from awk over cfsgen's plain files, never from cfscan. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/attribute.h"
#include "pipeline/json.h"
#include "tests/util.h"

static char *g_dir;
static char g_dist[2][32]; /* the two distributions, by file name */

static void setup(void)
{
    g_dir = tu_mkdtemp();
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd,
             "%s -o %s/gen --seed 3 --dists 2 --days 1 --lines-per-file 300 --format plain "
             "--no-waf --no-configs -j2",
             tu_prog("cfsgen"), g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "ls %s/gen | grep '\\.log$' | cut -d. -f1 | sort -u", g_dir);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0);
    cr_assert_eq(sscanf(out, "%31s %31s", g_dist[0], g_dist[1]), 2, "%s", out);
    free(out);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(filters, .init = setup, .fini = teardown, .timeout = 60);

/* A number printed by a shell pipeline over the generated files ($G is their folder). */
static long sh_count(const char *pipeline)
{
    char cmd[2048], *out;
    snprintf(cmd, sizeof cmd, "G=%s/gen; %s", g_dir, pipeline);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0, "%s", cmd);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* Data lines of the generated logs whose awk condition holds (33-field layout: $3 edge,
 * $5 c-ip, $8 cs-uri-stem, $9 sc-status). */
static long awk_count(const char *files, const char *cond)
{
    char p[1024];
    snprintf(p, sizeof p, "cat $G/%s | awk -F'\\t' '!/^#/ && (%s) {n++} END {print n+0}'", files, cond);
    return sh_count(p);
}

/* `cfscan scan --format json` with args: its exit status, and the parsed JSON in doc. */
static int scan_json(const char *args, cfs_json_doc *doc, char **raw)
{
    char cmd[2048], *out, *err, jerr[128];
    snprintf(cmd, sizeof cmd, "%s scan %s/gen/*.log -q --format json %s", tu_prog("cfscan"), g_dir, args);
    int rc = tu_run(cmd, &out, &err);
    memset(doc, 0, sizeof *doc);
    cr_assert_eq(cfs_json_parse(doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s: %s %s", args, jerr,
                 err);
    free(err);
    if (raw) *raw = out;
    else free(out);
    return rc;
}

static double num(const cfs_json_doc *doc, const char *path)
{
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(doc), path), &v), "no %s", path);
    return v;
}

/* The data rows `cfscan requests` prints with args. */
static long request_rows(const char *args)
{
    char p[1024];
    snprintf(p, sizeof p, "%s requests $G/*.log -q %s | tail -n +2 | wc -l", tu_prog("cfscan"), args);
    return sh_count(p);
}

Test(filters, dist_skips_other_files_by_name)
{
    char args[128], files[64];
    snprintf(args, sizeof args, "--dist %s", g_dist[1]);
    snprintf(files, sizeof files, "%s.*.log", g_dist[1]);
    long want = awk_count(files, "1");
    char p[256];
    snprintf(p, sizeof p, "ls $G | grep -c '^%s\\..*\\.log$'", g_dist[0]);
    long other_files = sh_count(p);
    cr_assert_gt(want, 0);
    cfs_json_doc doc;
    cr_assert_eq(scan_json(args, &doc, NULL), 0);
    cr_expect_eq((long)num(&doc, "inputs.requests"), want);
    /* the other distribution's files were skipped before they were opened */
    cr_expect_eq((long)num(&doc, "inputs.files_pruned"), other_files);
    cr_expect_eq((long)num(&doc, "inputs.filtered"), 0);
    cr_expect_eq(cfs_json_get(cfs_json_get(cfs_json_root(&doc), "by_distribution"), g_dist[0]), NULL);
    cr_expect_str_eq(cfs_json_str(cfs_json_path(cfs_json_root(&doc), "selection.filters.dist")), g_dist[1]);
    cfs_json_doc_free(&doc);
    cr_expect_eq(request_rows(args), want);
}

/* --edge: an airport code, a POP, a full id, any case; a line that does not pass is
 * counted as filtered (lines = requests + filtered + header lines). */
Test(filters, edge_forms)
{
    struct {
        const char *arg, *cond;
    } cases[] = {
        {"IAD", "$3 ~ /^IAD[0-9]/"},
        {"iad", "$3 ~ /^IAD[0-9]/"},
        {"IAD89", "$3 ~ /^IAD89-/ || $3 == \"IAD89\""},
        {"IAD89-C1", "$3 == \"IAD89-C1\""},
        {"LAX3", "$3 == \"LAX3\" || $3 ~ /^LAX3-/"},
        {"LAX", "$3 ~ /^LAX[0-9]/"},
    };
    long total = awk_count("*.log", "1");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long want = awk_count("*.log", cases[i].cond);
        cr_assert_gt(want, 0, "%s", cases[i].arg);
        char args[64];
        snprintf(args, sizeof args, "--edge %s", cases[i].arg);
        cfs_json_doc doc;
        cr_assert_eq(scan_json(args, &doc, NULL), 0, "%s", args);
        cr_expect_eq((long)num(&doc, "inputs.requests"), want, "%s", args);
        cr_expect_eq((long)num(&doc, "inputs.filtered"), total - want, "%s", args);
        cr_expect_str_eq(cfs_json_str(cfs_json_path(cfs_json_root(&doc), "selection.filters.edge")),
                         cases[i].arg);
        cfs_json_doc_free(&doc);
        snprintf(args, sizeof args, "--edge %s --fields x-edge-location", cases[i].arg);
        cr_expect_eq(request_rows(args), want, "requests %s", args);
    }
}

Test(filters, uri_prefix_with_or_without_slash)
{
    long want = awk_count("*.log", "index($8, \"/api/\") == 1");
    cr_assert_gt(want, 0);
    const char *forms[] = {"api/", "/api/"};
    for (int i = 0; i < 2; i++) {
        char args[64];
        snprintf(args, sizeof args, "--uri-prefix %s", forms[i]);
        cfs_json_doc doc;
        cr_assert_eq(scan_json(args, &doc, NULL), 0, "%s", args);
        cr_expect_eq((long)num(&doc, "inputs.requests"), want, "%s", args);
        cfs_json_doc_free(&doc);
        cr_expect_eq(request_rows(args), want, "requests %s", args);
    }
}

Test(filters, status_ip_and_combined)
{
    long want = awk_count("*.log", "$9 == \"403\"");
    cfs_json_doc doc;
    cr_assert_eq(scan_json("--status 403", &doc, NULL), 0);
    cr_expect_eq((long)num(&doc, "inputs.requests"), want);
    cr_expect_eq((long)num(&doc, "by_status.403"), want);
    cfs_json_doc_free(&doc);
    cr_expect_eq(request_rows("--status 403"), want);
    /* an IPv4 /8 and an edge together: both must hold */
    long both = awk_count("*.log", "$5 ~ /^24\\./ && $3 ~ /^IAD[0-9]/");
    cr_assert_gt(both, 0);
    cr_assert_eq(scan_json("--ip 24.0.0.0/8 --edge IAD", &doc, NULL), 0);
    cr_expect_eq((long)num(&doc, "inputs.requests"), both);
    cfs_json_doc_free(&doc);
    cr_expect_eq(request_rows("--ip 24.0.0.0/8 --edge IAD"), both);
}

/* --cause on scan: the report's 403s are that cause's, as many as cfsgen labelled
 * geo_restriction (a cause the detailed result type confirms, so its count is exact). */
Test(filters, cause_on_scan)
{
    /* labels.tsv: request id, true cause */
    long want = sh_count("awk -F'\t' '$2 == \"geo_restriction\" {n++} END {print n+0}' $G/labels.tsv");
    cr_assert_gt(want, 0);
    cfs_json_doc doc;
    cr_assert_eq(scan_json("--cause geo_restriction", &doc, NULL), 0);
    const cfs_json *ds = cfs_json_path(cfs_json_root(&doc), "forbidden.distributions");
    long got = 0, other = 0;
    for (const cfs_json *d = cfs_json_first(ds); d; d = cfs_json_next(d))
        for (const cfs_json *c = cfs_json_first(cfs_json_get(d, "causes")); c; c = cfs_json_next(c)) {
            double n = 0;
            cfs_json_num(cfs_json_get(c, "requests"), &n);
            if (!strcmp(cfs_json_str(cfs_json_get(c, "cause")), "geo_restriction")) got += (long)n;
            else other += (long)n;
        }
    cr_expect_eq(got, want);
    /* a 403 whose verdict waited for the end is kept until it settles, and left out then
     * if it settled into another cause (such 403s were reported under that cause) */
    cr_expect_eq(other, 0, "no other cause in the report");
    cr_expect_eq((long)num(&doc, "by_status.403"), want);
    cr_expect_eq((long)num(&doc, "inputs.requests"), want);
    cr_expect_null(cfs_json_path(cfs_json_root(&doc), "by_status.200"), "a 200 is no geo_restriction 403");
    cfs_json_doc_free(&doc);
    cr_expect_eq(request_rows("--cause geo_restriction"), want);
}

/* Every cause, those decided only at the end of the pass included: `scan --cause C` counts
 * the 403s `requests --cause C` lists (requests judges every line of the distributions and
 * filters the verdicts), and only those; the lines it leaves out still teach the judging
 * (error pages, origin-served 403s), so the verdicts are the unfiltered run's. */
Test(filters, cause_on_scan_counts_what_requests_lists_for_every_cause)
{
    int checked = 0;
    for (int cause = 0; cause < CFS_CAUSE_COUNT; cause++) {
        if (cause == CFS_CAUSE_NONE) continue;
        char args[128];
        snprintf(args, sizeof args, "--cause %s", cfs_cause_name((cfs_cause)cause));
        cfs_json_doc doc;
        const int rc = scan_json(args, &doc, NULL);
        cr_assert(rc == 0 || rc == 3, "%s: exit %d (3: a cause with no 403)", args, rc);
        const long scanned = (long)num(&doc, "inputs.requests");
        cfs_json_doc_free(&doc);
        const long listed = request_rows(args);
        cr_expect_eq(scanned, listed, "%s: scan counts %ld, requests lists %ld", args, scanned, listed);
        checked += listed > 0;
    }
    cr_assert_gt(checked, 5, "the generated set has 403s of several causes");
}

Test(filters, same_at_any_thread_count)
{
    cfs_json_doc d1, d2;
    char *o1, *o2;
    char args[128];
    snprintf(args, sizeof args, "-j1 --edge IAD --status 403 --dist %s", g_dist[0]);
    scan_json(args, &d1, &o1);
    snprintf(args, sizeof args, "-j2 --edge IAD --status 403 --dist %s", g_dist[0]);
    scan_json(args, &d2, &o2);
    cr_expect_str_eq(o1, o2);
    cfs_json_doc_free(&d1);
    cfs_json_doc_free(&d2);
    free(o1);
    free(o2);
}

/* A filter that matches nothing (a mistyped distribution): exit 3, said on stderr. */
Test(filters, mistyped_dist_selects_nothing)
{
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s/gen/*.log -q --dist E1NOSUCHDIST00", tu_prog("cfscan"), g_dir);
    int rc = tu_run(cmd, &out, &err);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "--dist E1NOSUCHDIST00") != NULL, "%s", err);
    cr_expect(strstr(out, "No 403 responses") == NULL);
    free(out);
    free(err);
}

/* --cause refuses a summary (-o): it keeps the 403s judged at the end unjudged, for a
 * merge to judge again; that is a usage error. */
Test(filters, cause_refuses_a_summary)
{
    char cmd[2048], *err = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s/gen/*.log -q --cause waf_block -o %s/S", tu_prog("cfscan"), g_dir,
             g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 2, "%s", err ? err : "");
    cr_assert(strstr(err, "--cause does not go with -o"), "%s", err);
    free(err);
}

/* The lines of `text` in sorted order, as one string (the caller frees it). */
static char *sorted_lines(const char *text)
{
    char path[1024], cmd[2200], *out = NULL;
    snprintf(path, sizeof path, "%s/lines.txt", g_dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "LC_ALL=C sort %s", path);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0);
    return out;
}

/* Under --cause C a sub-hour 403 timeline counts, per distribution and bucket, exactly the
 * 403s `requests --cause C` lists there, the 403s settled at the end of the pass (edge-fast
 * ones judged against the distribution's pages and references) included: checked for
 * every cause against the rows of `requests`, bucketed here by their date and time. */
Test(filters, cause_timeline_counts_what_requests_lists)
{
    const char *win = "--since 2026-11-01T00 --until 2026-11-01T02";
    int checked = 0;
    for (int cause = 0; cause < CFS_CAUSE_COUNT; cause++) {
        if (cause == CFS_CAUSE_NONE) continue;
        char args[256];
        snprintf(args, sizeof args, "--cause %s %s --resolution 5m -j2", cfs_cause_name((cfs_cause)cause),
                 win);
        cfs_json_doc doc;
        char *raw = NULL;
        const int rc = scan_json(args, &doc, &raw);
        cr_assert(rc == 0 || rc == 3, "%s: exit %d", args, rc);
        /* "DIST DATE HH:MM N" for each bucket of each distribution's timeline */
        tu_buf got = {0};
        const cfs_json *ds = cfs_json_path(cfs_json_root(&doc), "forbidden.distributions");
        for (const cfs_json *d = cfs_json_first(ds); d; d = cfs_json_next(d)) {
            const cfs_json *tl = cfs_json_get(d, "timeline");
            cr_assert_str_eq(cfs_json_str(cfs_json_get(tl, "resolution")), "5m", "%s", raw);
            for (const cfs_json *b = cfs_json_first(cfs_json_get(tl, "counts")); b; b = cfs_json_next(b)) {
                double n = 0;
                cr_assert(cfs_json_num(b, &n));
                char line[160]; /* key "2026-11-01T10:05Z" */
                snprintf(line, sizeof line, "%s %.10s %.5s %.0f\n",
                         cfs_json_str(cfs_json_get(d, "distribution")), b->key, b->key + 11, n);
                tu_buf_add(&got, line);
            }
        }
        cfs_json_doc_free(&doc);
        free(raw);
        /* the same from the rows: date, time -> the 5-minute bucket */
        char p[1024], *rows = NULL;
        snprintf(
            p, sizeof p,
            "G=%s/gen; %s requests $G/*.log -q --cause %s %s --fields distribution,date,time | tail -n +2 | "
            "awk -F'\t' '{m = substr($3, 4, 2) - substr($3, 4, 2) %% 5; "
            "k = sprintf(\"%%s %%s %%s:%%02d\", $1, $2, substr($3, 1, 2), m); n[k]++} "
            "END {for (k in n) print k, n[k]}'",
            g_dir, tu_prog("cfscan"), cfs_cause_name((cfs_cause)cause), win);
        cr_assert_eq(tu_run(p, &rows, NULL), 0, "%s", p);
        char *a = sorted_lines(got.p ? got.p : ""), *b = sorted_lines(rows);
        cr_expect_str_eq(a, b, "--cause %s: the timeline against the rows", cfs_cause_name((cfs_cause)cause));
        checked += b[0] != 0;
        free(a);
        free(b);
        free(rows);
        free(got.p);
    }
    cr_assert_gt(checked, 4, "the window has 403s of several causes");
}

/* The WAF join's notes (CAPTCHA on a 403, outside the logs' coverage) of `scan ARGS` in
 * the sitl set, summed over its distributions: notes[0] CAPTCHA, notes[1] outside; and
 * per distribution the notes are at most its 403s. */
static void waf_notes(const char *args, double notes[2])
{
    char cmd[4096], *out = NULL, jerr[128];
    snprintf(cmd, sizeof cmd, "S=%s; %s scan $S/sitl -q -j2 --format json %s", g_dir, tu_prog("cfscan"),
             args);
    tu_run(cmd, &out, NULL);
    cfs_json_doc doc;
    memset(&doc, 0, sizeof doc); /* cfs_json_parse frees what a doc holds */
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    const cfs_json *ds = cfs_json_path(cfs_json_root(&doc), "forbidden.distributions");
    for (const cfs_json *d = cfs_json_first(ds); d; d = cfs_json_next(d)) {
        double n = 0, captcha = 0, outside = 0;
        cfs_json_num(cfs_json_get(d, "forbidden"), &n);
        cfs_json_num(cfs_json_path(d, "waf_anomalies.captcha_or_challenge_on_403"), &captcha);
        cfs_json_num(cfs_json_get(d, "waf_outside_coverage_403"), &outside);
        cr_expect_leq(captcha, n, "%s: %.0f CAPTCHA notes on %.0f 403s", args, captcha, n);
        cr_expect_leq(outside, n, "%s: %.0f outside-coverage notes on %.0f 403s", args, outside, n);
        notes[0] += captcha;
        notes[1] += outside;
    }
    cfs_json_doc_free(&doc);
    free(out);
}

/* The same against the unfiltered run, with every situation (an error page for every 403
 * among them, which turns a held-back origin result into unknown at the end) and with the
 * config and WAF logs: for every cause, `scan --cause C` counts what the unfiltered
 * `requests` labels C (--cause unknown lost those 403s: their first verdict, an origin
 * result type, did not pass it on the line). */
Test(filters, cause_on_scan_counts_what_the_unfiltered_run_labels)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "%s -o %s/sit --dists 2 --days 1 --lines-per-file 200 --situations all -j1 >/dev/null && "
             "mkdir %s/sitl && cp %s/sit/*.gz %s/sitl/ && mkdir %s/waf12 && "
             "zcat %s/sit/waf/*.gz | awk 'match($0, /\"timestamp\":[0-9]+/) && "
             "substr($0, RSTART + 12, RLENGTH - 12) + 0 >= 1793534400000' > %s/waf12/w.log",
             tu_prog("cfsgen"), g_dir, g_dir, g_dir, g_dir, g_dir, g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    /* the WAF logs of the afternoon only (from 12:00Z): the morning's 403s lie outside
     * their coverage, and are noted so */
    const char *ev[2] = {"", "--config $S/sit/config --waf-logs $S/waf12"};
    for (int e = 0; e < 2; e++) {
        int checked = 0;
        double by_cause[2] = {0, 0};
        for (int cause = 0; cause < CFS_CAUSE_COUNT; cause++) {
            if (cause == CFS_CAUSE_NONE) continue;
            const char *name = cfs_cause_name((cfs_cause)cause);
            char *out = NULL;
            snprintf(
                cmd, sizeof cmd,
                "S=%s; %s requests $S/sitl -q -j1 --status 403 --fields cause %s | sed 1d | grep -c '^%s\t' "
                "|| true",
                g_dir, tu_prog("cfscan"), ev[e], name);
            cr_assert_eq(tu_run(cmd, &out, NULL), 0);
            const long labelled = strtol(out, NULL, 10);
            free(out);
            snprintf(
                cmd, sizeof cmd,
                "S=%s; %s scan $S/sitl -q -j1 --format json --cause %s %s | grep -o '\"requests\":[0-9]*' | "
                "head -n 1 | cut -d: -f2",
                g_dir, tu_prog("cfscan"), name, ev[e]);
            cr_assert_eq(tu_run(cmd, &out, NULL), 0);
            const long scanned = strtol(out, NULL, 10);
            free(out);
            cr_expect_eq(scanned, labelled, "%s%s: scan --cause counts %ld, the unfiltered run labels %ld",
                         name, e ? " (config, WAF logs)" : "", scanned, labelled);
            checked += labelled > 0;
            if (e) {
                snprintf(cmd, sizeof cmd, "--cause %s %s", name, ev[e]);
                waf_notes(cmd, by_cause);
            }
        }
        cr_assert_gt(checked, 5, "several causes");
        if (e) {
            /* every 403 settles into one cause, its note with it: the notes of all the
             * --cause runs are the unfiltered run's, those of 403s held back to the end
             * (their note counted as they settle) included */
            double all[2] = {0, 0};
            waf_notes(ev[e], all);
            cr_expect_eq(by_cause[0], all[0], "CAPTCHA notes: %.0f over the causes, %.0f unfiltered",
                         by_cause[0], all[0]);
            cr_expect_eq(by_cause[1], all[1], "outside-coverage notes: %.0f over the causes, %.0f unfiltered",
                         by_cause[1], all[1]);
            cr_expect_gt(all[1], 0, "the morning's 403s are outside the WAF logs' coverage");
        }
    }
}

/* --dist with logs whose lines are keyed by their Host (a renamed or concatenated file,
 * stdin: no distribution id in the name or the line): the lines of the distribution
 * whose config their Host finds are that distribution's, as the report's evidence says,
 * so --dist ID selects them; it selected nothing, and an investigator who had run
 * `zcat *.gz > one.log` read "no traffic".  Both distributions' files in one file, with
 * their configs: the rows and the scan's requests are the named distribution's lines
 * (awk over its own files). */
Test(filters, dist_selects_host_keyed_lines_by_their_config)
{
    char *dir = tu_mkdtemp();
    char *err = NULL;
    int rc = tu_sh(
        NULL, &err,
        "%s -o %s/g --seed 4 --dists 2 --days 1 --lines-per-file 200 --format plain --no-waf -j2 && "
        "cat %s/g/*.log > %s/all-renamed.log",
        tu_prog("cfsgen"), dir, dir, dir);
    cr_assert_eq(rc, 0, "%s", err ? err : "");
    free(err);
    char *ids = NULL;
    cr_assert_eq(tu_sh(&ids, NULL, "ls %s/g/config | sed 's/\\.json$//' | sort | head -1", dir), 0);
    ids[strcspn(ids, "\n")] = 0;
    char *want = NULL;
    cr_assert_eq(tu_sh(&want, NULL,
                       "cat %s/g/%s.*.log | awk -F'\\t' '!/^#/ && $9 == 403 {n++} END {print n+0}'", dir,
                       ids),
                 0);
    const long want403 = strtol(want, NULL, 10);
    free(want);
    cr_assert_gt(want403, 0);
    char *rows = NULL;
    rc = tu_sh(&rows, NULL,
               "%s requests %s/all-renamed.log --config %s/g/config --dist %s --status 403 -q | "
               "tail -n +2 | wc -l",
               tu_prog("cfscan"), dir, dir, ids);
    cr_assert_eq(strtol(rows, NULL, 10), want403, "requests rows: %s", rows);
    free(rows);
    char *json = NULL;
    rc = tu_sh(&json, NULL,
               "%s scan %s/all-renamed.log --config %s/g/config --dist %s --status 403 -q --format json",
               tu_prog("cfscan"), dir, dir, ids);
    cr_assert_eq(tu_json_count(json, "requests"), want403, "%.400s", json);
    free(json);
    free(ids);
    tu_rmrf(dir);
    free(dir);
}
