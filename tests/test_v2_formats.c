/* Issue 16: the log formats of standard logging v2 and real-time logs.  One simulated
 * traffic (cfsgen, one seed) written as W3C TSV, v2 JSON lines, v2 W3C with '|' between
 * fields and headerless real-time lines must give one report; the totals are checked
 * against the generator's own counts (expected.json), not against cfscan.  Also: every
 * malformed JSON line is a counted rejection under its reason, headerless logs read with
 * --log-fields / --delimiter / --realtime-config, the sampling rate stated, -j1 = -j2 on
 * JSON cut into blocks, v2's c-country deciding geo blocks against the config, and the
 * fields each format lacks named in the report. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/fields.h"
#include "pipeline/json.h"
#include "pipeline/v2json.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(v2_formats, .init = setup, .fini = teardown, .timeout = 240);

/* cfsgen into g_dir/NAME with one seed; extra: --layout and more. */
static void gen(const char *name, const char *extra)
{
    char *err = NULL;
    int rc = tu_sh(NULL, &err,
                   "%s -o %s/%s --seed 5 --dists 2 --days 1 --lines-per-file 120 --situations all -j2 %s",
                   tu_prog("cfsgen"), g_dir, name, extra);
    cr_assert_eq(rc, 0, "cfsgen %s: %s", extra, err ? err : "");
    free(err);
}

/* The part of a JSON report after "inputs" (counts by status, distribution and edge, the
 * 403 causes, the evidence): what must not depend on the format the lines came in. */
static const char *traffic_part(const char *json)
{
    const char *p = strstr(json, "\"by_status\"");
    cr_assert_not_null(p, "a report: %.200s", json);
    return p;
}

static double num_at(const char *json, const char *path)
{
    cfs_json_doc d = {0};
    char err[128];
    cr_assert_eq(cfs_json_parse(&d, json, strlen(json), err, sizeof err), CFS_OK, "JSON: %s", err);
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&d), path), &v), "%s in the report", path);
    cfs_json_doc_free(&d);
    return v;
}

/* The sum of the numbers of object PATH in the file g_dir/FILE (the generator's counts). */
static double sum_of(const char *file, const char *path)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", g_dir, file);
    char *t = tu_read(p, NULL);
    cr_assert_not_null(t, "%s", p);
    cfs_json_doc d = {0};
    char err[128];
    cr_assert_eq(cfs_json_parse(&d, t, strlen(t), err, sizeof err), CFS_OK, "%s: %s", p, err);
    double s = 0, v;
    const cfs_json *o = cfs_json_path(cfs_json_root(&d), path);
    cr_assert_not_null(o, "%s in %s", path, p);
    for (const cfs_json *m = cfs_json_first(o); m; m = cfs_json_next(m))
        if (cfs_json_num(m, &v)) s += v;
    cfs_json_doc_free(&d);
    free(t);
    return s;
}

/* Every reported distribution's fields_absent as "field:lines field:lines ...", all the
 * same (asserted), or "none" for an empty list; n gets the number of distributions. */
static char *fields_absent(const char *json, size_t *n)
{
    cfs_json_doc d = {0};
    char err[128];
    cr_assert_eq(cfs_json_parse(&d, json, strlen(json), err, sizeof err), CFS_OK, "JSON: %s", err);
    const cfs_json *ds = cfs_json_path(cfs_json_root(&d), "forbidden.distributions");
    cr_assert_not_null(ds);
    char *first = NULL;
    *n = cfs_json_count(ds);
    for (size_t i = 0; i < *n; i++) {
        const cfs_json *fa = cfs_json_get(cfs_json_at(ds, i), "fields_absent");
        cr_assert_not_null(fa, "distribution %zu has fields_absent", i);
        char buf[2048] = "";
        size_t o = 0;
        for (const cfs_json *e = cfs_json_first(fa); e; e = cfs_json_next(e)) {
            /* what it costs, said once for the report */
            const char *cost = cfs_json_str(
                cfs_json_get(cfs_json_path(cfs_json_root(&d), "forbidden.field_costs"),
                             cfs_json_str(cfs_json_get(e, "field"))));
            cr_assert(cost && strlen(cost) > 10, "a cost for each field");
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s:%s", o ? " " : "",
                                  cfs_json_str(cfs_json_get(e, "field")),
                                  cfs_json_str(cfs_json_get(e, "lines")));
        }
        if (!o) snprintf(buf, sizeof buf, "none");
        if (!first) first = strdup(buf);
        else cr_assert_str_eq(buf, first, "distribution %zu", i);
    }
    cfs_json_doc_free(&d);
    cr_assert_not_null(first, "a distribution with 403s");
    return first;
}

/* The field lists below are worked out by hand from the generator's field sets
 * (datasets/gen_world.c v2_fields, gen_files.c rt_cols) against pipeline/presence.c's list
 * of the fields cfscan reads: the v2 set has all of them but origin-fbl,
 * cache-behavior-path-pattern and distributionid (which the TSV file names give, and the
 * JSON and '|' lines carry as a field); real-time
 * columns lack the same three, the id given by no file name either. */
static void assert_absent(const char *json, const char *want, const char *what)
{
    size_t n;
    char *got = fields_absent(json, &n);
    cr_assert_str_eq(got, want, "%s", what);
    free(got);
}

Test(v2_formats, one_traffic_written_four_ways_gives_one_report)
{
    gen("tsv", "--layout v2");
    gen("json", "--layout json");
    gen("plain", "--layout plain");
    gen("rt", "--layout realtime");
    /* The same configs for all (the seed makes them equal), so the evidence paths match. */
    char *tsv = tu_scan_json(g_dir, 0, "scan tsv/E*.gz --config tsv/config -j2");
    char *json = tu_scan_json(g_dir, 0, "scan json/cloudfront-v2-* --config tsv/config -j2");
    char *plain = tu_scan_json(g_dir, 0, "scan plain/cloudfront-v2-* --config tsv/config -j2");
    /* Real-time logs name no distribution id: distributions are keyed by cs-host, as the
     * TSV files are when their names are not CloudFront's. */
    cr_assert_eq(
        tu_sh(NULL, NULL,
              "cd %s && mkdir anon && i=0; for f in tsv/E*.gz; do i=$((i+1)); cp $f anon/part-$i.gz; done",
              g_dir),
        0);
    char *anon = tu_scan_json(g_dir, 0, "scan anon --config tsv/config --waf-logs tsv/waf -j2");
    char *rt = tu_scan_json(g_dir, 0,
                            "scan rt/cf-realtime-* --config tsv/config --waf-logs tsv/waf --realtime-config "
                            "rt/realtime-config.json -j2");

    /* the generator's counts: every line a request, in its distributions */
    double want = sum_of("tsv/expected.json", "by_distribution");
    cr_assert_gt(want, 5000);
    cr_assert_eq(sum_of("json/expected.json", "by_distribution"), want, "cfsgen wrote one traffic");
    const char *all[] = {tsv, json, plain, anon, rt};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(num_at(all[i], "inputs.requests"), want, "report %d counts every request", i);
        cr_assert_eq(num_at(all[i], "inputs.rejected"), 0, "report %d", i);
        cr_assert_gt(num_at(all[i], "forbidden.distributions.0.forbidden"), 100, "report %d has 403s", i);
    }
    /* JSON and real-time files have no header line; the others one per file (24 x 2) */
    cr_assert_eq(num_at(json, "inputs.lines"), want);
    cr_assert_eq(num_at(rt, "inputs.lines"), want);
    cr_assert_eq(num_at(plain, "inputs.lines"), want + 48);
    cr_assert_str_eq(traffic_part(json), traffic_part(tsv), "JSON lines = W3C TSV");
    cr_assert_str_eq(traffic_part(plain), traffic_part(tsv), "'|'-delimited = W3C TSV");
    cr_assert_str_eq(traffic_part(rt), traffic_part(anon), "real-time = TSV keyed by cs(Host)");
    cr_assert_not_null(strstr(tsv, "\"by_distribution\":{\"E"), "TSV distributions are ids");
    cr_assert_not_null(strstr(rt, "\"by_distribution\":{\"d"), "real-time distributions are hosts");
    /* what each format lacks, per distribution (the lists above) */
    assert_absent(tsv, "origin-fbl:all cache-behavior-path-pattern:all", "W3C TSV");
    assert_absent(json, "origin-fbl:all cache-behavior-path-pattern:all", "JSON lines");
    assert_absent(plain, "origin-fbl:all cache-behavior-path-pattern:all", "'|'-delimited");
    assert_absent(anon, "distributionid:all origin-fbl:all cache-behavior-path-pattern:all", "TSV, no ids");
    assert_absent(rt, "distributionid:all origin-fbl:all cache-behavior-path-pattern:all", "real-time");
    /* WAF logs name distributions by id: a row keyed by its Host is of the distribution
     * whose config the Host finds (it read "covers none of the scanned requests" beside
     * hundreds of 403s the WAF records decided) */
    cr_assert_gt(num_at(rt, "evidence.1.covered_requests"), 0);
    cr_assert_eq(num_at(rt, "evidence.1.covered_requests"), num_at(rt, "evidence.0.covered_requests"));
    cr_assert_eq(num_at(rt, "evidence.1.covered_403"), num_at(anon, "evidence.1.covered_403"));
    cr_assert_eq(num_at(rt, "evidence.1.covered_requests"), num_at(anon, "evidence.1.covered_requests"));
    /* the sampling rate is stated only where a real-time configuration gave it */
    cr_assert_not_null(strstr(rt, "\"sampling\":{\"rate_percent\":100,"));
    cr_assert_null(strstr(tsv, "\"sampling\""));
    free(tsv);
    free(json);
    free(plain);
    free(anon);
    free(rt);
}

Test(v2_formats, headerless_and_space_headed_delimited_logs_need_the_options)
{
    gen("plain", "--layout plain");
    char *want = tu_scan_json(g_dir, 0, "scan plain/cloudfront-v2-* -j2");
    /* v2 Plain without its header: --log-fields (the header's names) and --delimiter */
    char *fields = NULL;
    cr_assert_eq(
        tu_sh(&fields, NULL,
              "cd %s && mkdir bare spaced && for f in plain/cloudfront-v2-*; do b=$(basename $f .gz); "
              "zcat $f | tail -n +2 > bare/$b; zcat $f | sed '1s/|/ /g' > spaced/$b; done; "
              "zcat $(ls plain/cloudfront-v2-* | head -1) | head -1 | cut -c10- | tr '|' ','",
              g_dir),
        0);
    fields[strcspn(fields, "\n")] = 0;
    cr_assert_not_null(strstr(fields, "sc-status,"), "%s", fields);
    char *bare = tu_scan_json(g_dir, 0, "scan bare --log-fields '%s' --delimiter '|' -j2", fields);
    cr_assert_str_eq(traffic_part(bare), traffic_part(want));
    cr_assert_eq(num_at(bare, "inputs.header_lines"), 0);
    /* the names (date, time, ...) are standard logging's, which is never sampled: no rate
     * is stated, as for the same files read with their header */
    cr_assert_null(strstr(want, "\"sampling\""), "%s", want);
    cr_assert_null(strstr(bare, "\"sampling\""), "standard v2 fields, yet a sampling caveat: %s", bare);
    /* a W3C header with spaces: the delimiter comes from the option */
    char *spaced = tu_scan_json(g_dir, 0, "scan spaced --delimiter '|' -j1");
    cr_assert_str_eq(traffic_part(spaced), traffic_part(want));
    /* without it, every line is one column that lacks the time and status: rejected */
    char *wrong = tu_scan_json(g_dir, 3, "scan spaced -j2");
    cr_assert_eq(num_at(wrong, "inputs.requests"), 0);
    cr_assert_eq(num_at(wrong, "inputs.rejected_by_reason.too_few_fields"), num_at(want, "inputs.requests"));
    /* and without --log-fields, the bare lines have no header */
    char *nohdr = tu_scan_json(g_dir, 3, "scan bare --delimiter '|'");
    cr_assert_eq(num_at(nohdr, "inputs.rejected_by_reason.no_header"), num_at(want, "inputs.requests"));
    /* A list with a field the lines lack (cs-bytes, after cs-method) reads every later
     * column as the field before it: each line is rejected, not tolerated as short (it
     * was, counted with edges that were request ids, exit 0), and the warning names the
     * layout, not a missing #Fields: line. */
    char *more = NULL;
    cr_assert_eq(tu_sh(&more, NULL, "echo '%s' | sed 's/,cs-method,/,cs-method,cs-bytes,/'", fields), 0);
    more[strcspn(more, "\n")] = 0;
    cr_assert_not_null(strstr(more, ",cs-bytes,"), "%s", more);
    char *longer = tu_scan_json(g_dir, 3, "scan bare --log-fields '%s' --delimiter '|' -j2", more);
    cr_assert_eq(num_at(longer, "inputs.requests"), 0);
    cr_assert_eq(num_at(longer, "inputs.rejected_by_reason.too_few_fields"), num_at(want, "inputs.requests"));
    cr_assert_not_null(strstr(longer, "fewer or more fields than their layout (#Fields:, --log-fields"), "%s",
                       longer);
    free(more);
    free(longer);
    free(fields);
    free(want);
    free(bare);
    free(spaced);
    free(wrong);
    free(nohdr);
}

/* ---- hand-written JSON lines ----------------------------------------------------------------- */
#define BASE                                                                                                \
    "\"date\":\"2026-11-01\",\"time\":\"10:00:0%d\",\"x-edge-location\":\"FRA56-P2\",\"sc-status\":\"%s\"," \
    "\"x-edge-result-type\":\"%s\",\"x-edge-detailed-result-type\":\"%s\",\"x-edge-request-id\":\"R%02d\""

static void line(FILE *f, int i, const char *status, const char *drt, const char *extra)
{
    fprintf(f, "{" BASE "%s}\n", i % 10, status, !strcmp(status, "200") ? "Hit" : "Error", drt, i, extra);
}

Test(v2_formats, malformed_json_lines_are_counted_rejections)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/v2.json", g_dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    /* accepted: 7 lines (3 of them 403s) */
    line(f, 1, "200", "Hit", "");
    line(f, 2, "200", "Hit", "");                                            /* the fast path */
    line(f, 3, "403", "ClientGeoBlocked", ",\"distributionid\":\"E2DIST\""); /* another shape */
    fprintf(
        f,
        "{\"sc-status\":\"403\",\"x-edge-request-id\":\"R04\",\"time\":\"10:00:04\",\"date\":\"2026-11-01\","
        "\"x-edge-location\":\"FRA56-P2\",\"x-edge-detailed-result-type\":\"ClientGeoBlocked\","
        "\"x-edge-result-type\":\"Error\",\"cs-uri-stem\":\"\\/esc\\u0061ped\",\"foo\":\"bar\"}\r\n");
    fprintf(
        f,
        "{ \"timestamp(ms)\" : \"1793527205123\", \"sc-status\" : \"200\" , \"x-edge-request-id\":\"R05\"}\n");
    line(f, 6, "200", "Hit", ",\"unknown-field\":\"x\",\"unknown-field\":\"y\""); /* unknown twice: ignored */
    line(f, 7, "403", "ClientGeoBlocked", "");
    /* rejected */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:08\",\"sc-status\":\"200\"\n"); /* bad_json */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":200}\n");    /* bad_json */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":null}\n");   /* bad_json */
    fprintf(f,
            "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":{\"a\":\"1\"}}\n"); /* bad_json */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\",\"cs(Host)\":\"a\","
               "\"cs-host\":\"b\"}\n"); /* bad_json */
    /* a JSON object behind a byte order mark or blanks, which an editor may add: bad_json,
     * not the no_header that the TAB reader would call it */
    fprintf(f, "\xef\xbb\xbf{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\"}\n");
    fprintf(f, "  {\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\"}\n");
    fprintf(f, "{\"date\":\"2026-13-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\"}\n");     /* bad_value */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"2000\"}\n");    /* bad_value */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"x-edge-location\":\"A\"}\n"); /* too_few */
    fprintf(f, "{\"date\":\"2026-11-01\",\"sc-status\":\"200\"}\n");                           /* too_few */
    fprintf(f, "{}\n");                                                                        /* too_few */
    fprintf(
        f,
        "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\",\"cs-uri-stem\":\"/a\\tb\"}\n");
    fprintf(
        f,
        "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\",\"cs-uri-stem\":\"/\x01\"}\n");
    /* over 1 MiB: line_too_long, never parsed */
    fprintf(f, "{\"date\":\"2026-11-01\",\"time\":\"10:00:09\",\"sc-status\":\"200\",\"cs-uri-stem\":\"");
    for (int i = 0; i < (1 << 20) / 8 + 1; i++) fputs("/abcdefg", f);
    fprintf(f, "\"}\n");
    line(f, 8, "200", "Hit", ""); /* the lines after it are read as before */
    /* spaces and TABs alone: blank lines, as empty ones are (review of 2026-12-08: no_header,
     * though a JSON lines file has no header to miss) */
    fprintf(f, "   \n\t\n");
    cr_assert_eq(fclose(f), 0);

    char *out = tu_scan_json(g_dir, 3, "scan v2.json");
    cr_assert_eq(num_at(out, "inputs.lines"), 25);
    cr_assert_eq(num_at(out, "inputs.blank_lines"), 2);
    cr_assert_eq(num_at(out, "inputs.requests"), 8);
    cr_assert_eq(num_at(out, "inputs.rejected"), 15);
    cr_assert_eq(num_at(out, "inputs.rejected_by_reason.bad_value"), 2, "a bad date and a bad status");
    cr_assert_eq(num_at(out, "inputs.rejected_by_reason.bad_json"), 7,
                 "a syntax error, a number, null or object as a value, a field named twice, an object "
                 "behind a BOM or blanks");
    cr_assert_eq(num_at(out, "inputs.rejected_by_reason.too_few_fields"), 3);
    cr_assert_eq(num_at(out, "inputs.rejected_by_reason.binary"), 2, "a control byte, escaped or raw");
    cr_assert_eq(num_at(out, "inputs.rejected_by_reason.line_too_long"), 1);
    cr_assert_eq(num_at(out, "inputs.rejected_by_reason.no_header"), 0);
    cr_assert_eq(num_at(out, "inputs.tolerated.crlf"), 1);
    cr_assert_eq(num_at(out, "by_status.403"), 3);
    /* R03 names its distribution; the others fall back to "-" (no Host, no file name) */
    cr_assert_eq(num_at(out, "by_distribution.E2DIST"), 1);
    char *err = NULL;
    int rc = tu_sh(&err, NULL, "cd %s && %s scan v2.json -q --format json -j2", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 3);
    cr_assert_str_eq(err, out, "-j1 = -j2");
    free(err);
    /* a WAF log given as a log input: JSON whose numbers are not strings, every line
     * bad_json, and the input's warning says so */
    snprintf(p, sizeof p, "%s/waf.log", g_dir);
    f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("{\"timestamp\":1793527205123,\"action\":\"BLOCK\",\"httpRequest\":{\"requestId\":\"R1\"}}\n"
          "{\"timestamp\":1793527205124,\"action\":\"ALLOW\",\"httpRequest\":{\"requestId\":\"R2\"}}\n",
          f);
    cr_assert_eq(fclose(f), 0);
    char *waf = tu_scan_json(g_dir, 3, "scan waf.log");
    cr_assert_eq(num_at(waf, "inputs.rejected_by_reason.bad_json"), 2);
    cr_assert_eq(num_at(waf, "inputs.rejected"), 2);
    cr_assert_not_null(strstr(waf, "\"warning\":\"malformed JSON lines"), "%s", waf);
    free(waf);
    /* the 403s went through attribution with their fields; the escaped value unescaped */
    char *rows = NULL;
    rc = tu_sh(&rows, NULL,
               "cd %s && %s requests v2.json --status 403 --fields x-edge-request-id,cs-uri-stem 2>/dev/null",
               g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 3);
    cr_assert_not_null(strstr(rows, "R03\t-\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked"), "%s",
                       rows);
    cr_assert_not_null(strstr(rows, "R04\t/escaped\tgeo_restriction\tconfirmed\t"), "%s", rows);
    free(rows);
    free(out);
}

/* A JSON line that is rejected must leave none of its fields to the TAB lines after it in
 * one input (a `cat` of a JSON log and a TSV log read as one): the lean parse of a TAB
 * line sets only the fields it reads, so a distributionid the rejected line set was read
 * as theirs.  The TSV lines here name no distribution id (their file name is no
 * CloudFront name), so every request is under their cs(Host); three JSON lines, each
 * naming another distribution, are rejected: no sc-status, a field named twice, a control
 * byte in a value. */
Test(v2_formats, a_rejected_json_line_leaves_no_field_to_the_lines_after_it)
{
    const char *hdr = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
                      "cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) "
                      "x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken\n";
    /* a short line (14 of 19 fields: tolerated) and a full one */
    const char *s =
        "2026-11-01\t00:00:01\tIAD89-C1\t100\t1.2.3.4\tGET\td1.cloudfront.net\t/a\t200\t-\tUA\t-\t-\tHit\n";
    const char *t =
        "2026-11-01\t00:00:01\tIAD89-C1\t100\t1.2.3.4\tGET\td1.cloudfront.net\t/a\t200\t-\tUA\t-\t-\tHit\t"
        "rid\twww.x.com\thttps\t10\t0.001\n";
    const char *bad[] = {
        "{\"distributionid\":\"E2OTHERDIST\",\"date\":\"2026-11-01\",\"time\":\"00:00:00\"}\n",
        "{\"distributionid\":\"E3OTHERDIST\",\"date\":\"2026-11-01\",\"time\":\"00:00:00\",\"sc-status\":\"200\","
        "\"sc-status\":\"200\"}\n",
        "{\"distributionid\":\"E4OTHERDIST\",\"date\":\"2026-11-01\",\"time\":\"00:00:00\",\"sc-status\":\"200\","
        "\"cs-uri-stem\":\"/\\u0001\"}\n",
    };
    tu_buf b = {0};
    tu_buf_add(&b, hdr);
    tu_buf_add(&b, s);
    for (int i = 0; i < 3; i++) {
        tu_buf_add(&b, bad[i]);
        tu_buf_add(&b, s);
        tu_buf_add(&b, s);
        tu_buf_add(&b, t);
    }
    free(tu_write(g_dir, "mixed.log", b.p, b.n));
    free(b.p);
    for (int j = 1; j <= 2; j++) {
        char *out = tu_scan_json(g_dir, 3, "scan mixed.log -j%d", j);
        cr_assert_eq(num_at(out, "inputs.requests"), 10, "%s", out);
        cr_assert_eq(num_at(out, "inputs.rejected_by_reason.too_few_fields"), 1, "%s", out);
        cr_assert_eq(num_at(out, "inputs.rejected_by_reason.bad_json"), 1, "%s", out);
        cr_assert_eq(num_at(out, "inputs.rejected_by_reason.binary"), 1, "%s", out);
        cr_assert_eq(tu_json_count(out, "d1.cloudfront.net"), 10, "every request under its Host: %s", out);
        cr_assert_null(strstr(out, "OTHERDIST"), "no request under a rejected line's distribution: %s", out);
        free(out);
    }
}

Test(v2_formats, json_cut_into_blocks_and_piped_gives_one_report)
{
    gen("json", "--layout json --format plain");
    /* one file of ~16 MiB: cut into 8 MiB blocks that run on any thread */
    cr_assert_eq(
        tu_sh(NULL, NULL, "cd %s && cat json/cloudfront-v2-* json/cloudfront-v2-* > big.json", g_dir), 0);
    char *j1 = tu_scan_json(g_dir, 0, "scan big.json -j1 --split-above 1000000");
    char *j2 = tu_scan_json(g_dir, 0, "scan big.json -j2 --split-above 1000000");
    char *pipe = tu_scan_json(g_dir, 0, "scan - -j2 < big.json");
    cr_assert_str_eq(j1, j2, "-j1 = -j2");
    cr_assert_str_eq(traffic_part(pipe), traffic_part(j1), "mapped = piped");
    cr_assert_eq(num_at(j1, "inputs.requests"), 2 * sum_of("json/expected.json", "by_distribution"));
    free(j1);
    free(j2);
    free(pipe);
}

Test(v2_formats, realtime_config_sampling_is_stated_and_bad_options_refused)
{
    gen("rt", "--layout realtime --format plain");
    cr_assert_eq(
        tu_sh(
            NULL, NULL,
            "cd %s && sed 's/\"SamplingRate\": 100/\"SamplingRate\": 25/' rt/realtime-config.json > c25.json",
            g_dir),
        0);
    char *j = tu_scan_json(g_dir, 0, "scan rt/cf-realtime-* --realtime-config c25.json");
    cr_assert_not_null(strstr(j, "\"sampling\":{\"rate_percent\":25,\"counts\":\"logged_requests\"}"));
    free(j);
    char *text = NULL;
    cr_assert_eq(tu_sh(&text, NULL, "cd %s && %s scan rt/cf-realtime-* --realtime-config c25.json -q", g_dir,
                       tu_prog("cfscan")),
                 0);
    cr_assert_not_null(strstr(text, "Sampling: the real-time log configuration samples 25% of requests"),
                       "%s", text);
    free(text);
    /* and the HTML report, in its inputs section */
    cr_assert_eq(tu_sh(&text, NULL,
                       "cd %s && %s scan rt/cf-realtime-* --realtime-config c25.json -q --format html", g_dir,
                       tu_prog("cfscan")),
                 0);
    const char *inputs = strstr(text, "<section id=\"inputs\">");
    cr_assert(inputs && strstr(inputs, "Sampling: the real-time log configuration samples 25% of requests"),
              "%.2000s", text);
    free(text);

    /* refused, exit 2, each naming what is wrong */
    static const struct {
        const char *setup, *args, *says;
    } bad[] = {
        {"sed 's/\"c-country\"/\"no-such-field\"/' rt/realtime-config.json > c.json",
         "--realtime-config c.json", "no-such-field"},
        {"sed 's/\"SamplingRate\": 100/\"SamplingRate\": 0/' rt/realtime-config.json > c.json",
         "--realtime-config c.json", "SamplingRate"},
        {"echo '{\"RealtimeLogConfig\":{\"SamplingRate\":5}}' > c.json", "--realtime-config c.json",
         "Fields"},
        {"true", "--realtime-config nonexistent.json", "nonexistent.json"},
        {"true", "--log-fields timestamp,sc-status,bogus", "bogus"},
        {"true", "--log-fields c-ip,x-edge-location", "sc-status"},
        {"true", "--log-fields timestamp,c-ip,C-IP,sc-status", "C-IP is named twice"},
        {"sed 's/\"c-ip\", /\"c-ip\", \"c-ip\", /' rt/realtime-config.json > c.json",
         "--realtime-config c.json", "c-ip is named twice"},
        {"true", "--log-fields timestamp,sc-status --realtime-config rt/realtime-config.json", "exclude"},
        {"true", "--delimiter ab", "delimiter"},
        {"true", "--delimiter 7", "delimiter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && %s && %s scan rt %s -q", g_dir, bad[i].setup, tu_prog("cfscan"),
                       bad[i].args);
        cr_assert_eq(rc, 2, "%s: exit %d", bad[i].args, rc);
        cr_assert_not_null(strstr(err, bad[i].says), "%s: %s", bad[i].args, err);
        free(err);
    }
}

Test(v2_formats, c_country_decides_geo_blocks_without_a_detailed_result_type)
{
    gen("json", "--layout json --format plain");
    cr_assert_eq(
        tu_sh(NULL, NULL,
              "cd %s && mkdir nodrt nocountry && for f in json/cloudfront-v2-*; do b=$(basename $f); "
              "sed 's/\"x-edge-detailed-result-type\":\"[^\"]*\",//' $f > nodrt/$b; "
              "sed 's/\"c-country\":\"[^\"]*\",//' nodrt/$b > nocountry/$b; done",
              g_dir),
        0);
    /* the generator's label count of geo blocks: each must be found by its country */
    char p[4096];
    snprintf(p, sizeof p, "%s/json/expected.json", g_dir);
    char *exp = tu_read(p, NULL);
    double geo = num_at(exp, "by_cause.geo_restriction");
    free(exp);
    cr_assert_gt(geo, 10);
    char *rows = NULL;
    cr_assert_eq(tu_sh(&rows, NULL,
                       "cd %s && %s requests nodrt --config json/config --cause geo_restriction "
                       "--fields x-edge-request-id 2>/dev/null | tail -n +2 | cut -f2,4 | "
                       "sed 's/_config_newer$//' | sort | uniq -c",
                       g_dir, tu_prog("cfscan")),
                 0);
    /* (on lines older than a config that changed, --situations config-newer, the rule's
     * _config_newer twin, one level lower) */
    char want[200];
    snprintf(want, sizeof want, "%7.0f geo_restriction\tc_country_geo_restricted\n", geo);
    cr_assert_str_eq(rows, want, "every geo block by c-country, and nothing else");
    free(rows);
    /* the labels agree line by line: the request ids of geo_restriction */
    cr_assert_eq(
        tu_sh(&rows, NULL,
              "cd %s && %s requests nodrt --config json/config --cause geo_restriction "
              "--fields x-edge-request-id 2>/dev/null | tail -n +2 | cut -f1 | sort > got && "
              "awk -F'\\t' '$2 == \"geo_restriction\" {print $1}' json/labels.tsv | sort | diff - got",
              g_dir, tu_prog("cfscan")),
        0);
    free(rows);
    /* without the country the rule has nothing to go on */
    char *j = tu_scan_json(g_dir, 0, "scan nocountry --config json/config");
    cr_assert_null(strstr(j, "c_country_geo_restricted"));
    /* and the report says which fields the subsets lack: c-country only once the detailed
     * result type is gone too (with it, ClientGeoBlocked decides geo blocks) */
    assert_absent(
        j, "x-edge-detailed-result-type:all c-country:all origin-fbl:all cache-behavior-path-pattern:all",
        "without both");
    free(j);
    j = tu_scan_json(g_dir, 0, "scan nodrt --config json/config");
    assert_absent(j, "x-edge-detailed-result-type:all origin-fbl:all cache-behavior-path-pattern:all",
                  "without the detailed result type");
    free(j);
    /* the same distributions from whole and cut lines: absent from some of them */
    j = tu_scan_json(g_dir, 0, "scan json/cloudfront-v2-* nocountry --config json/config -j2");
    assert_absent(
        j, "x-edge-detailed-result-type:some c-country:some origin-fbl:all cache-behavior-path-pattern:all",
        "half the lines without both");
    char *j1 = tu_scan_json(g_dir, 0, "scan json/cloudfront-v2-* nocountry --config json/config -j1");
    cr_assert_str_eq(j1, j, "-j1 = -j2");
    free(j1);
    char *text = NULL;
    cr_assert_eq(tu_sh(&text, NULL, "cd %s && %s scan json/cloudfront-v2-* nocountry --config json/config -q",
                       g_dir, tu_prog("cfscan")),
                 0);
    cr_assert_not_null(strstr(text,
                              "\n  Fields absent: origin-fbl, cache-behavior-path-pattern (from all lines); "
                              "x-edge-detailed-result-type, c-country (from some lines)\n"),
                       "%s", text);
    cr_assert_not_null(strstr(text, "\nWhat an absent field costs:\n"), "%s", text);
    cr_assert_not_null(strstr(text, "\n  c-country: with no x-edge-detailed-result-type either"), "%s", text);
    free(text);
    free(j);
}

/* ---- the fast path against the strict parser, in process ------------------------------------ */
/* A key written with an escape is not learned as its decoded bytes: after a good line with
 * the key "x\"y" (x, quote, y), a line with the key written x"y unescaped is not JSON, and
 * the fast path must not take it (it would match the decoded key byte for byte). */
Test(v2_formats, escaped_key_is_not_learned)
{
    cfs_fields_init();
    static const char good[] = "{\"date\":\"2026-11-01\",\"time\":\"10:00:01\",\"sc-status\":\"200\","
                               "\"x\\\"y\":\"v\"}";
    static const char bad[] = "{\"date\":\"2026-11-01\",\"time\":\"10:00:02\",\"sc-status\":\"200\","
                              "\"x\"y\":\"v\"}";
    cfs_v2json st = {0};
    cfs_record r;
    int learned;
    memset(&r, 0, sizeof r);
    cr_assert_eq(cfs_v2json_line(&st, good, strlen(good), &r, CFS_PARSE_ALL, &learned), CFS_RECORD_OK);
    uint64_t f0 = st.fast;
    cr_assert_eq(cfs_v2json_line(&st, bad, strlen(bad), &r, CFS_PARSE_ALL, &learned), CFS_REJ_BAD_JSON,
                 "an unescaped quote inside a key is not JSON");
    cr_assert_eq(st.fast, f0, "the fast path took the line");
    cfs_v2json_free(&st);
}

Test(v2_formats, fast_path_learns_the_shape_and_agrees_with_the_strict_parser)
{
    cfs_fields_init();
    static const char *const lines[] = {
        "{\"date\":\"2026-11-01\",\"time\":\"10:00:01\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/a\"}",
        "{\"date\":\"2026-11-01\",\"time\":\"10:00:02\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/bb\"}",
        "{\"date\":\"2026-11-01\",\"time\":\"10:00:03\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/c\\/d\"}",
        "{\"time\":\"10:00:04\",\"date\":\"2026-11-01\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/e\"}",
        "{\"time\":\"10:00:05\",\"date\":\"2026-11-01\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/f\"}",
        "{\"time\":\"10:00:06\",\"date\":\"2026-11-01\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/\xc3\xa9\"}",
        "{\"time\":\"10:00:07\",\"date\":\"2026-11-01\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/\xc3\"}",
        "{\"time\":\"10:00:08\",\"date\":\"2026-11-01\",\"sc-status\":\"403\",\"cs-uri-stem\":\"/g\"} ",
    };
    /* which path: fast (1) or strict (0), and the result */
    static const int fast[] = {0, 1, 0, 0, 1, 0, 0, 0};
    static const int ok[] = {1, 1, 1, 1, 1, 1, 0, 1};
    static const char *const uri[] = {"/a", "/bb", "/c/d", "/e", "/f", "/\xc3\xa9", NULL, "/g"};
    cfs_v2json st = {0};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        cfs_record r, r2;
        memset(&r, 0, sizeof r);
        memset(&r2, 0, sizeof r2);
        uint64_t f0 = st.fast;
        int learned;
        int rc = cfs_v2json_line(&st, lines[i], strlen(lines[i]), &r, CFS_PARSE_ALL, &learned);
        cr_assert_eq(st.fast - f0, (uint64_t)fast[i], "line %zu: fast path %d", i, fast[i]);
        cr_assert_eq(rc == CFS_RECORD_OK, ok[i], "line %zu: rc %d", i, rc);
        /* a fresh state (strict parser only) gives the same record */
        cfs_v2json fresh = {0};
        int rc2 = cfs_v2json_line(&fresh, lines[i], strlen(lines[i]), &r2, CFS_PARSE_ALL, &learned);
        cr_assert_eq(rc2, rc, "line %zu", i);
        if (!ok[i]) {
            cr_assert_eq(rc, CFS_REJ_BAD_JSON, "invalid UTF-8 is not JSON");
        } else {
            cr_assert_eq(r.ts, r2.ts);
            cr_assert_eq(r.status, 403);
            cfs_span u = r.f[CFS_F_CS_URI_STEM];
            cr_assert_eq(u.n, strlen(uri[i]), "line %zu", i);
            cr_assert(!memcmp(u.p, uri[i], u.n), "line %zu: %.*s", i, (int)u.n, u.p);
            cr_assert_eq(r2.f[CFS_F_CS_URI_STEM].n, u.n);
        }
        cfs_v2json_free(&fresh);
    }
    cfs_v2json_free(&st);
}

/* ---- fields absent across summaries ---------------------------------------------------------- */
/* Legacy logs of the 24-field era (no time-to-first-byte, detailed result type, content
 * type or length: fields 25 to 33 came later) under names without ids, so that they are
 * keyed by cs(Host) as real-time logs are: the same distributions. */
static void legacy24_and_realtime(void)
{
    gen("l24", "--layout 24");
    gen("rt", "--layout realtime");
    cr_assert_eq(
        tu_sh(NULL, NULL,
              "cd %s && mkdir a24 && i=0; for f in l24/E*.gz; do i=$((i+1)); cp $f a24/part-$i.gz; done",
              g_dir),
        0);
}

/* By hand: the 24-field era lacks, of presence.c's list, time-to-first-byte,
 * x-edge-detailed-result-type (so c-country matters and is absent too), sc-content-type,
 * sc-content-len, origin-fbl, cache-behavior-path-pattern and (no id in the names)
 * distributionid; real-time columns lack only the last three.  Together: those three from
 * all lines, the others from some. */
#define MIXED                                                                            \
    "distributionid:all x-edge-detailed-result-type:some c-country:some origin-fbl:all " \
    "time-to-first-byte:some sc-content-type:some sc-content-len:some cache-behavior-path-pattern:all"

Test(v2_formats, legacy_merged_with_realtime_says_some_lines_lack_a_field)
{
    legacy24_and_realtime();
    char *a = tu_scan_json(g_dir, 0, "scan a24 -o s24");
    assert_absent(
        a,
        "distributionid:all x-edge-detailed-result-type:all c-country:all origin-fbl:all "
        "time-to-first-byte:all sc-content-type:all sc-content-len:all cache-behavior-path-pattern:all",
        "24-field era");
    free(a);
    free(tu_scan_json(g_dir, 0, "scan rt/cf-realtime-* --realtime-config rt/realtime-config.json -o srt"));
    char *m = tu_scan_json(g_dir, 0, "merge s24 srt -o m");
    size_t n;
    char *got = fields_absent(m, &n);
    cr_assert_eq(n, 2, "both distributions, from both parts");
    cr_assert_str_eq(got, MIXED);
    free(got);
    /* one scan of both, and the merge the other way round, say the same */
    char *one = tu_scan_json(g_dir, 0,
                             "scan a24 rt/cf-realtime-* --realtime-config rt/realtime-config.json -j2");
    assert_absent(one, MIXED, "one scan");
    char *back = tu_scan_json(g_dir, 0, "merge srt s24 -o m2");
    cr_assert_str_eq(back, m, "merge order");
    /* the HTML report lists the same, from the same model */
    char *html = NULL;
    cr_assert_eq(
        tu_sh(&html, NULL, "cd %s && %s merge s24 srt -o m3 -q --format html", g_dir, tu_prog("cfscan")), 0);
    cr_assert_not_null(strstr(html, "<li data-field=\"x-edge-detailed-result-type\" data-lines=\"some\">"));
    cr_assert_not_null(strstr(html, "<li data-field=\"origin-fbl\" data-lines=\"all\">"));
    cr_assert_null(strstr(html, "data-field=\"cs-uri-stem\""), "a field every line had");
    free(html);
    /* --update: the real-time part added to the legacy summary */
    char *up = tu_scan_json(
        g_dir, 0, "scan a24 rt/cf-realtime-* --realtime-config rt/realtime-config.json -o s24 --update");
    assert_absent(up, MIXED, "--update");
    free(up);
    free(one);
    free(back);
    free(m);
}

/* A schema 5 summary (written before bad_json and the fields' presence) still merges with
 * a schema 6 one: its lines count as having every field, its bad_json as 0. */
Test(v2_formats, schema_5_summary_merges_with_schema_6)
{
    legacy24_and_realtime();
    /* one JSON line of each kind, counted by hand: a number as a value (bad_json), a month
     * 13 (bad_value), no status (too_few_fields) and a good line */
    char p[4096];
    snprintf(p, sizeof p, "%s/odd.json", g_dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("{\"date\":\"2026-11-01\",\"time\":\"10:00:00\",\"sc-status\":200}\n"
          "{\"date\":\"2026-13-01\",\"time\":\"10:00:00\",\"sc-status\":\"200\"}\n"
          "{\"date\":\"2026-11-01\",\"time\":\"10:00:00\"}\n"
          "{\"date\":\"2026-11-01\",\"time\":\"10:00:00\",\"sc-status\":\"200\"}\n",
          f);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && cp odd.json odd2.json", g_dir), 0);
    char *old = tu_scan_json(g_dir, 3, "scan a24 odd.json -o s5");
    cr_assert_eq(num_at(old, "inputs.rejected_by_reason.bad_json"), 1);
    cr_assert_eq(num_at(old, "inputs.rejected_by_reason.bad_value"), 1);
    cr_assert_eq(num_at(old, "inputs.rejected_by_reason.too_few_fields"), 1);
    snprintf(p, sizeof p, "%s/s5/state.cfs", g_dir);
    tu_downgrade_state_to(p, 5);
    char *hdr = NULL;
    cr_assert_eq(tu_sh(&hdr, NULL, "cd %s && head -c 12 s5/state.cfs | od -An -tu4 -j8", g_dir), 0);
    cr_assert_eq(atoi(hdr), 5, "a schema 5 state: %s", hdr);
    free(hdr);
    char *new = tu_scan_json(
        g_dir, 3, "scan rt/cf-realtime-* odd2.json --realtime-config rt/realtime-config.json -o s6");
    char *m = tu_scan_json(g_dir, 3, "merge s5 s6 -o m");
    /* every line of both: the schema 5 part's bad_json line reads as no reason of its own
     * (its writer would have counted it as bad_value; the rewrite dropped it) */
    cr_assert_eq(num_at(m, "inputs.requests"),
                 num_at(old, "inputs.requests") + num_at(new, "inputs.requests"));
    cr_assert_eq(num_at(m, "inputs.rejected_by_reason.bad_json"), 1, "the schema 6 part's");
    cr_assert_eq(num_at(m, "inputs.rejected_by_reason.bad_value"), 2);
    cr_assert_eq(num_at(m, "inputs.rejected_by_reason.too_few_fields"), 2);
    /* the old part's lines had every field as far as anyone knows: what real-time lacks is
     * absent from some lines, never all */
    assert_absent(m, "distributionid:some origin-fbl:some cache-behavior-path-pattern:some", "schema 5 + 6");
    /* the other order lists the inputs the other way round, and says the same */
    char *back = tu_scan_json(g_dir, 3, "merge s6 s5 -o m2");
    assert_absent(back, "distributionid:some origin-fbl:some cache-behavior-path-pattern:some",
                  "schema 6 + 5");
    cr_assert_str_eq(traffic_part(back), traffic_part(m), "merge order");
    free(back);
    free(old);
    free(new);
    free(m);
}

/* Writes `lines` (printf escapes) to g_dir/name and returns what `cfscan scan NAME
 * --log-fields FIELDS ARGS -q` prints; exit 0 or 3 (a line without some field) are fine. */
static char *scan_headerless(const char *name, const char *lines, const char *fields, const char *args)
{
    char *out = NULL;
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && printf '%s' > %s", g_dir, lines, name), 0);
    cr_assert_eq(tu_sh(&out, NULL, "cd %s && %s scan %s --log-fields '%s' %s -q", g_dir, tu_prog("cfscan"),
                       name, fields, args) &
                     ~3,
                 0, "--log-fields %s", fields);
    return out;
}

/* A summary keeps its runs' sampling rates: a merge of runs at 25% and 10% and of a run
 * that was not sampled states all three, in the printed report and the summary's report
 * files; --update adds the new run's rate; diff says each side's rates and that they
 * differ; a schema 6 state (which did not keep them) reads as of a rate not known, and
 * diffs against schema 7; so does a run read with --log-fields; --brief says it too. */
Test(v2_formats, merged_updated_and_diffed_summaries_state_every_sampling_rate)
{
    gen("rt", "--layout realtime --format plain");
    gen("std", "--format plain");
    cr_assert_eq(
        tu_sh(NULL, NULL,
              "cd %s && for r in 10 25; do sed \"s/\\\"SamplingRate\\\": 100/\\\"SamplingRate\\\": $r/\" "
              "rt/realtime-config.json > c$r.json; done && ls rt/cf-realtime-* | awk 'NR %% 2' > A "
              "&& ls rt/cf-realtime-* | awk 'NR %% 2 == 0' > B && test -s A && test -s B",
              g_dir),
        0);
    free(tu_scan_json(g_dir, 0, "scan $(cat A) --realtime-config c25.json -o s25"));
    free(tu_scan_json(g_dir, 0, "scan $(cat B) --realtime-config c10.json -o s10"));
    free(tu_scan_json(g_dir, 3, "scan std -o sstd"));
    /* one rate: the scan's own report file says it as the scan's report does */
    char *rep = NULL;
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && cat s25/report.json", g_dir), 0);
    cr_assert_not_null(strstr(rep, "\"sampling\":{\"rate_percent\":25,\"counts\":\"logged_requests\"}"));
    free(rep);
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && %s scan $(cat A) --realtime-config c25.json -q --brief", g_dir,
                       tu_prog("cfscan")),
                 0);
    cr_assert_not_null(
        strstr(rep, "\nSAMPLED: counts are of logged requests, not of all requests (rate 25%)\n"), "%s", rep);
    free(rep);
    /* --realtime-config's rate is that of the lines its fields read: standard logs in the
     * same run (their own #Fields:) are not sampled, and alone they are not at all (a
     * review found a mixed run called every count sampled) */
    char *mixed = tu_scan_json(g_dir, 3, "scan $(cat A) std --realtime-config c25.json");
    cr_assert_not_null(strstr(mixed, "\"rates_percent\":[25],\"unsampled_runs\":true"), "%s", mixed);
    free(mixed);
    mixed = tu_scan_json(g_dir, 3, "scan std --realtime-config c25.json");
    cr_assert_null(strstr(mixed, "\"sampling\""), "%s", mixed);
    free(mixed);
    /* several: the JSON lists them, the text names them */
    char *m = tu_scan_json(g_dir, 3, "merge s25 s10 sstd -o m");
    const char *want =
        "\"sampling\":{\"rate_percent\":null,\"rates_percent\":[10,25],\"unsampled_runs\":true,"
        "\"unknown_rate_runs\":false,\"counts\":\"logged_requests\"}";
    cr_assert_not_null(strstr(m, want), "%s", m);
    free(m);
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && cat m/report.json", g_dir), 0);
    cr_assert_not_null(strstr(rep, want), "the summary's report file");
    free(rep);
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && %s merge s25 s10 sstd -o m2 -q", g_dir, tu_prog("cfscan")), 3);
    cr_assert_not_null(strstr(rep, "\nSampling: the runs behind this report sampled requests at 10% and 25%, "
                                   "and some read logs that are not sampled; every count here is of logged "
                                   "requests"),
                       "%s", rep);
    free(rep);
    /* the merged state keeps the set: merged again on its own, it says the same */
    m = tu_scan_json(g_dir, 3, "merge m -o m3");
    cr_assert_not_null(strstr(m, want), "%s", m);
    free(m);
    /* --update: the summary of the 25% run, with the 10% run added */
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && cp -r s25 u", g_dir), 0);
    char *u = tu_scan_json(g_dir, 0, "scan $(cat B) --realtime-config c10.json -o u --update");
    const char *both = "\"rates_percent\":[10,25],\"unsampled_runs\":false,\"unknown_rate_runs\":false";
    cr_assert_not_null(strstr(u, both), "%s", u);
    free(u);
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && cat u/report.json", g_dir), 0);
    cr_assert_not_null(strstr(rep, both), "the updated summary's report file");
    free(rep);
    /* an update that reads nothing new adds no run, so no rate: the 25% summary again with
     * the 10% config, and the same files (a review's case) */
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && cp -r s25 u0", g_dir), 0);
    u = tu_scan_json(g_dir, 0, "scan $(cat A) --realtime-config c10.json -o u0 --update");
    cr_assert_not_null(strstr(u, "\"sampling\":{\"rate_percent\":25,\"counts\":\"logged_requests\"}"), "%s",
                       u);
    free(u);
    /* nor one whose only new input failed: no line of it was counted */
    u = tu_scan_json(g_dir, 4, "scan $(cat A) no-such-file --realtime-config c10.json -o u0 --update");
    cr_assert_not_null(strstr(u, "\"sampling\":{\"rate_percent\":25,\"counts\":\"logged_requests\"}"), "%s",
                       u);
    free(u);
    /* diff: each side's rates */
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && %s diff s25 u", g_dir, tu_prog("cfscan")) & ~5, 0);
    cr_assert_not_null(strstr(rep, "\nSampling: OLD 25%, NEW 10% and 25%; the two sides were sampled "
                                   "differently, or at rates not known: compare shares, not counts.\n"),
                       "%s", rep);
    free(rep);
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && %s diff s25 s25 --format json", g_dir, tu_prog("cfscan")), 0);
    cr_assert_not_null(
        strstr(rep, "\"sampling\":{\"old\":{\"rates_percent\":[25],\"unsampled_runs\":false,"
                    "\"unknown_rate_runs\":false},\"new\":{\"rates_percent\":[25],\"unsampled_runs\":"
                    "false,\"unknown_rate_runs\":false},\"same\":true,"),
        "%s", rep);
    free(rep);
    cr_assert_eq(tu_sh(&rep, NULL, "cd %s && %s diff sstd sstd", g_dir, tu_prog("cfscan")), 0);
    cr_assert_null(strstr(rep, "Sampling"), "neither side sampled: %s", rep);
    free(rep);
    /* a schema 6 state: its runs are of a rate not known */
    char p[4096];
    snprintf(p, sizeof p, "%s/s25/state.cfs", g_dir);
    tu_downgrade_state_to(p, 6);
    m = tu_scan_json(g_dir, 0, "merge s25 s10 -o m6");
    cr_assert_not_null(
        strstr(m, "\"rates_percent\":[10],\"unsampled_runs\":false,\"unknown_rate_runs\":true"), "%s", m);
    free(m);
    /* and diff compares it with one of this cfscan's schema (10, which counts as 6 does) */
    int rc = tu_sh(&rep, NULL, "cd %s && %s diff s25 s10", g_dir, tu_prog("cfscan"));
    cr_assert(rc == 0 || rc == 5, "diff of schema 6 and 10: exit %d", rc);
    cr_assert_not_null(strstr(rep, "\nSampling: OLD rate not known, NEW 10%; the two sides were sampled "
                                   "differently, or at rates not known"),
                       "%s", rep);
    free(rep);
    rc = tu_sh(&rep, NULL, "cd %s && %s diff s25 s10 --format json", g_dir, tu_prog("cfscan"));
    cr_assert(rc == 0 || rc == 5, "exit %d", rc);
    cr_assert_not_null(
        strstr(rep, "\"summary_schema_version\":10,\"summary_schema_versions\":{\"old\":6,\"new\":10}"), "%s",
        rep);
    free(rep);
    /* --update of the schema 6 summary with the 10% run: --brief puts what is unknown
     * first */
    cr_assert_eq(tu_sh(&rep, NULL,
                       "cd %s && %s scan $(cat B) --realtime-config c10.json -o s25 --update -q --brief",
                       g_dir, tu_prog("cfscan")),
                 0);
    cr_assert_not_null(strstr(rep,
                              "\nSAMPLED: counts are of logged requests, not of all requests (some rates "
                              "unknown; rates 10%)\n"),
                       "%s", rep);
    free(rep);
    /* --log-fields reads real-time logs without their configuration: the rate is not known */
    rep = scan_headerless("lf.log", "1762000000.000\\t403\\n1762000001.000\\t200\\n", "timestamp,sc-status",
                          "");
    cr_assert_not_null(strstr(rep,
                              "\nSampling: the sampling rate of the runs behind this report is not known "
                              "(real-time logs read with --log-fields, or a summary written before "
                              "schema 7)"),
                       "%s", rep);
    free(rep);
    /* Which logs a list names decides it (v2layout.c, cfs_log_fields_standard): date and
     * time are standard logs' (never sampled: no caveat), cs-user-agent is a real-time
     * spelling (a caveat, even beside date and time), and timestamp alone could be either
     * (a caveat, as above). */
    static const struct {
        const char *fields;
        int caveat;
    } lists[] = {
        {"date,time,sc-status,cs(User-Agent)", 0},
        {"date,time,sc-status,cs-user-agent", 1},
    };
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        rep = scan_headerless("lf2.log",
                              "2026-11-01\\t10:00:00\\t403\\tcurl\\n2026-11-01\\t10:00:01\\t200\\tcurl\\n",
                              lists[i].fields, "");
        cr_assert_eq(
            strstr(rep, "\nSampling: the sampling rate of the runs behind this report is not known") != NULL,
            lists[i].caveat, "--log-fields %s: %s", lists[i].fields, rep);
        cr_assert_not_null(strstr(rep, "2 requests"), "--log-fields %s: %s", lists[i].fields, rep);
        free(rep);
    }
    /* a standard list beside a name real-time logs have too (primary-distribution-id): read
     * in the standard meanings (x-host-header is not swapped into a second cs(Host)), no
     * caveat */
    rep = scan_headerless("lf4.log",
                          "2026-11-01\\t10:00:00\\t403\\td1.cloudfront.net\\twww.example.com\\tE2DIST\\n",
                          "date,time,sc-status,cs(Host),x-host-header,primary-distribution-id", "");
    cr_assert_null(strstr(rep, "\nSampling:"), "%s", rep);
    cr_assert_not_null(strstr(rep, "1 requests"), "%s", rep);
    free(rep);
    /* a real-time list without cs-host: its x-host-header is the distribution's CloudFront
     * domain all the same (real-time meaning), which keys the distribution */
    char *j = scan_headerless("lf3.log", "1762000000.000\\t403\\td111111abcdef8.cloudfront.net\\tcurl\\n",
                              "timestamp,sc-status,x-host-header,cs-user-agent", "--format json");
    cr_assert_not_null(strstr(j, "\"by_distribution\":{\"d111111abcdef8.cloudfront.net\":1}"), "%s", j);
    free(j);
}

/* Parquet carries the v2 field set as columns (datasets/gen_files.c): the same fields
 * absent as the W3C TSV of the same traffic, by hand as above. */
Test(v2_formats, parquet_names_the_fields_its_columns_lack)
{
    gen("pq", "--layout parquet");
    char *j = tu_scan_json(g_dir, 0, "scan pq/E*.parquet -j2");
    assert_absent(j, "origin-fbl:all cache-behavior-path-pattern:all", "Parquet");
    cr_assert_eq(num_at(j, "inputs.requests"), sum_of("pq/expected.json", "by_distribution"));
    free(j);
}

/* A v2 layout may choose date without time, or time without date: the time then comes
 * from timestamp(ms) or timestamp (README "v2 fields"), as when both are absent; with
 * both, they decide (a bad date is bad_value whatever the timestamp says).  A timestamp's
 * fraction is digits (reference §3: "1607374321.541"); anything else is bad_value. */
Test(v2_formats, timestamp_gives_the_time_without_both_date_and_time_and_its_fraction_is_digits)
{
    static const struct {
        const char *fields, *lines;
        long long requests, bad_value;
    } cases[] = {
        {"date,timestamp(ms),sc-status",
         "2026-11-01\\t1793491203526\\t403\\n2026-11-01\\t1793491203526\\t200\\n", 2, 0},
        {"time,timestamp,sc-status", "10:00:00\\t1793491203.5\\t200\\n", 1, 0},
        {"date,time,timestamp,sc-status", "2026-11-1\\t10:00:00\\t1793491203\\t200\\n", 0, 1},
        {"timestamp,date,sc-status", "1793491203\\t-\\t200\\n", 1, 0},
        {"timestamp,sc-status",
         "1793491203.541\\t403\\n1793491203\\t403\\n1793491203.abc\\t403\\n1793491203.5.5\\t403\\n"
         "1793491203.\\t403\\n.5\\t403\\n",
         2, 4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *rep = scan_headerless("ts.log", cases[i].lines, cases[i].fields, "--format json");
        cr_assert_eq(tu_json_count(rep, "requests"), cases[i].requests, "%s: %s", cases[i].fields, rep);
        cr_assert_eq(tu_json_count(rep, "bad_value"), cases[i].bad_value, "%s: %s", cases[i].fields, rep);
        free(rep);
    }
}

/* `requests` rows of lines without date and time (real-time logs) show the timestamp's
 * date and time in those columns (they were "-": no row said when); a line's own date and
 * time are printed as they are. */
Test(v2_formats, requests_rows_of_lines_without_date_and_time_say_when)
{
    char *out = NULL;
    cr_assert_eq(
        tu_sh(NULL, NULL, "cd %s && printf '1793491203.541\\t403\\n1793534400\\t200\\n' > rt.log", g_dir), 0);
    cr_assert_eq(
        tu_sh(&out, NULL,
              "cd %s && %s requests rt.log --log-fields timestamp,sc-status --fields date,time,sc-status -q",
              g_dir, tu_prog("cfscan")),
        0);
    /* 1793491203 is 2026-11-01T00:00:03Z (date -u -d @1793491203), 1793534400 12:00:00 */
    cr_assert(strstr(out, "\n2026-11-01\t00:00:03\t403\t"), "%s", out);
    cr_assert(strstr(out, "\n2026-11-01\t12:00:00\t200\t"), "%s", out);
    free(out);
}

/* A real-time cs-uri-stem carries the query string (README "Real-time logs, field by
 * field"), so a configuration without cs-uri-query still logs the query: its 403s get the
 * verdicts, and its rows the query, that the same lines with the column get.  cfsgen
 * writes the query both ways (checked first), so dropping the column is the only change. */
Test(v2_formats, realtime_query_without_its_column_is_read_from_the_stem)
{
    gen("rt", "--layout realtime --format plain");
    /* the canonical order puts cs-uri-stem 9th and cs-uri-query 16th of this field list */
    char *out = NULL;
    cr_assert_eq(tu_sh(&out, NULL,
                       "cd %s && cat rt/cf-realtime-* | awk -F'\\t' '{ i = index($9, \"?\"); "
                       "q = i ? substr($9, i + 1) : \"-\"; if (q != $16) bad++; if (q ~ /Key-Pair-Id/) k++ } "
                       "END { print bad + 0, k + 0 }'",
                       g_dir),
                 0);
    int bad = -1, keyed = -1;
    cr_assert_eq(sscanf(out, "%d %d", &bad, &keyed), 2, "%s", out);
    cr_assert_eq(bad, 0, "lines whose query column is not the stem's query");
    cr_assert_gt(keyed, 0, "signed queries in the traffic");
    free(out);
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && mkdir nq && for f in rt/cf-realtime-*; do "
                       "awk -F'\\t' -v OFS='\\t' '{ for (i = 16; i < NF; i++) $i = $(i + 1); NF--; print }' "
                       "\"$f\" > nq/\"${f#rt/}\"; done && "
                       "sed 's/\"cs-uri-query\", //' rt/realtime-config.json > nq.json && "
                       "! grep -q cs-uri-query nq.json",
                       g_dir),
                 0);
    static const char *const fields = "--fields x-edge-request-id,cs-uri-stem,cs-uri-query";
    char *with = NULL, *without = NULL;
    cr_assert_eq(tu_sh(&with, NULL,
                       "cd %s && %s requests rt/cf-realtime-* --realtime-config rt/realtime-config.json "
                       "--config rt/config --status 403 %s -q | sort",
                       g_dir, tu_prog("cfscan"), fields),
                 0);
    cr_assert_eq(
        tu_sh(&without, NULL,
              "cd %s && %s requests nq --realtime-config nq.json --config rt/config --status 403 %s -q "
              "| sort",
              g_dir, tu_prog("cfscan"), fields),
        0);
    cr_assert_str_eq(without, with);
    cr_assert(strstr(without, "signed_expired_or_waf_behind_custom_page"), "%s", without);
    free(with);
    free(without);
    char *a = tu_scan_json(
        g_dir, 0, "scan rt/cf-realtime-* --realtime-config rt/realtime-config.json --config rt/config");
    char *b = tu_scan_json(g_dir, 0, "scan nq --realtime-config nq.json --config rt/config");
    cr_assert_str_eq(traffic_part(b), traffic_part(a));
    free(a);
    free(b);
}
