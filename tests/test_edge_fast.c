/* Issue 10, edge versus origin redone: edge-fast 403s judged after the pass (cached copies
 * of origin 403s, learned error pages), the latency zones (fast origins), v2 origin-fbl,
 * and undecided lines with their candidates in every output.  Hand-written lines through
 * the built `cfscan requests` and `cfscan scan`; every expected verdict is worked out in
 * the comment of its case from the rules in README "403 causes", not from the program. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/aggregate.h"
#include "pipeline/sketch.h"
#include "pipeline/xalloc.h"
#include "tests/util.h"

static char *g_dir;
static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void) { tu_rmrf(g_dir); }
TestSuite(edge_fast, .init = setup, .fini = teardown, .timeout = 60);

#define DIST "E1TESTDIST0001"
/* The candidates of an edge refusal the line's fields cannot name (latency_edge_blind):
 * every edge cause but edge functions, which have result types of their own (§4), and
 * for a GET over https neither https_required (HTTPS-only refuses plain http) nor
 * method_not_allowed (AllowedMethods always holds GET and HEAD). */
#define ANY_EDGE_HTTPS_GET                                                                \
    "geo_restriction|waf_block|signed_url_missing|signed_url_expired|signed_url_invalid|" \
    "cname_not_associated|edge_other"
/* The 26 fields of the layouts before December 2019 (no detailed result type, no content
 * type or length). */
#define LEGACY26_HEADER                                                                                  \
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "    \
    "sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id " \
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "             \
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields\n"

/* The same with either kind of origin: an edge-fast GET on a layout that cannot show a
 * cached copy (no sc-content-type and sc-content-len) may be one (§4: Error "includes
 * serving a cached error response"), so the origin stays a candidate (review of
 * 2026-12-08). */
#define ANY_EDGE_HTTPS_GET_OR_COPY                                                        \
    "geo_restriction|waf_block|signed_url_missing|signed_url_expired|signed_url_invalid|" \
    "cname_not_associated|origin_s3|origin_custom|edge_other"

/* 24 origin-fetched 200s (Miss) with TTFB 120 ms: a usable origin reference of 120 ms. */
static void origin_fetches(tu_buf *b)
{
    for (int i = 0; i < 24; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%02d", i);
        /* clang-format off */
        tu_kv o[] = {{"sc-status", "200"}, {"x-edge-result-type", "Miss"},
                     {"x-edge-response-result-type", "Miss"}, {"x-edge-detailed-result-type", "Miss"},
                     {"time-taken", "0.130"}, {"time-to-first-byte", "0.120"},
                     {"cs-uri-stem", "/page"}, {"sc-content-len", "5000"},
                     {"x-edge-request-id", id}, {NULL, NULL}};
        /* clang-format on */
        tu_log_line(b, NULL, o);
    }
}

static char *write_file(const char *hour_unique, const tu_buf *b)
{
    char name[128];
    snprintf(name, sizeof name, DIST ".2026-11-01-%s.log", hour_unique);
    return tu_write(g_dir, name, b->p, b->n);
}

static char *run_ok(const char *fmt, const char *arg1, const char *arg2)
{
    char args[4096], cmd[8192];
    snprintf(args, sizeof args, fmt, arg1, arg2 ? arg2 : "");
    snprintf(cmd, sizeof cmd, "%s %s", tu_prog("cfscan"), args);
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, err ? err : "");
    free(err);
    return out;
}

/* The whole row of request id (cause, evidence, rule, candidates). */
#define full_row(tsv, id) tu_tsv_rest((tsv), (id))

/* n edge-fast 403s without a detailed result type, of one content length: ids PREFIXnn. */
static void edge_403s(tu_buf *b, char prefix, int n, const char *clen)
{
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "%c%02d", prefix, i);
        tu_kv w[] = {{"x-edge-request-id", id}, {"sc-content-len", clen}, {NULL, NULL}};
        tu_log_line(b, NULL, w);
    }
}

/* The verdict columns of each of those n rows of tsv are want. */
static void expect_rows(const char *tsv, char prefix, int n, const char *want)
{
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "%c%02d", prefix, i);
        cr_expect_str_eq(full_row(tsv, id), want, "%s: %s", id, tsv);
    }
}

/* Item 2: CloudFront caches an origin's 403 for ErrorCachingMinTTL (10 s by default) and
 * serves the copy as Error/Error in about a millisecond.
 *   O1 10:00:00  /api/a  origin answers 403 in 150 ms, text/html 555 bytes;
 *   C1 10:00:03  /api/a  1 ms, same type and length       -> cached_origin_403 (3 s later);
 *   C2 10:00:11  /api/a  1 ms, same, in another file      -> cached (11 s <= 10 s + 1 s slack);
 *   C3 10:00:30  /api/a  1 ms, same                       -> 30 s later: not a copy; no
 *      learned page: an edge refusal, WAF likely (reference 120 ms);
 *   C4 10:00:02  /api/b  1 ms, same type and length       -> another URI: WAF likely;
 *   C5 10:00:02  /api/a  1 ms, 919 bytes                  -> another body: WAF likely;
 *   C6 10:00:04  POST /api/a  1 ms, same type and length  -> CloudFront never answers a
 *      POST from its cache (guide, "Caching error responses"): WAF likely;
 *   O2 10:00:00  POST /api/c  origin 403 in 150 ms, and
 *   C7 10:00:01  GET /api/c  1 ms, same type and length   -> a POST's 403 is not cached,
 *      so C7 is no copy of it: WAF likely. */
static void cached_lines(char **f1, char **f2)
{
    tu_buf b = {0};
    tu_log_header(&b);
    origin_fetches(&b);
    tu_kv o1[] = {{"x-edge-request-id", "O1"},     {"cs-uri-stem", "/api/a"}, {"time-taken", "0.150"},
                  {"time-to-first-byte", "0.150"}, {"sc-content-len", "555"}, {NULL, NULL}};
    tu_log_line(&b, NULL, o1);
    tu_kv c1[] = {{"x-edge-request-id", "C1"},
                  {"cs-uri-stem", "/api/a"},
                  {"time", "10:00:03"},
                  {"sc-content-len", "555"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, c1);
    tu_kv c3[] = {{"x-edge-request-id", "C3"},
                  {"cs-uri-stem", "/api/a"},
                  {"time", "10:00:30"},
                  {"sc-content-len", "555"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, c3);
    tu_kv c4[] = {{"x-edge-request-id", "C4"},
                  {"cs-uri-stem", "/api/b"},
                  {"time", "10:00:02"},
                  {"sc-content-len", "555"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, c4);
    tu_kv c5[] = {{"x-edge-request-id", "C5"}, {"cs-uri-stem", "/api/a"}, {"time", "10:00:02"}, {NULL, NULL}};
    tu_log_line(&b, NULL, c5);
    tu_kv c6[] = {{"x-edge-request-id", "C6"}, {"cs-uri-stem", "/api/a"}, {"cs-method", "POST"},
                  {"time", "10:00:04"},        {"sc-content-len", "555"}, {NULL, NULL}};
    tu_log_line(&b, NULL, c6);
    tu_kv o2[] = {{"x-edge-request-id", "O2"},
                  {"cs-uri-stem", "/api/c"},
                  {"cs-method", "POST"},
                  {"time-taken", "0.150"},
                  {"time-to-first-byte", "0.150"},
                  {"sc-content-len", "555"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, o2);
    tu_kv c7[] = {{"x-edge-request-id", "C7"},
                  {"cs-uri-stem", "/api/c"},
                  {"time", "10:00:01"},
                  {"sc-content-len", "555"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, c7);
    *f1 = write_file("10.aaaa0001", &b);
    b.n = 0;
    tu_log_header(&b);
    tu_kv c2[] = {{"x-edge-request-id", "C2"},
                  {"cs-uri-stem", "/api/a"},
                  {"time", "10:00:11"},
                  {"sc-content-len", "555"},
                  {NULL, NULL}};
    tu_log_line(&b, NULL, c2);
    *f2 = write_file("10.aaaa0002", &b);
    free(b.p);
}

Test(edge_fast, cached_origin_403_by_uri_body_and_time)
{
    char *f1, *f2;
    cached_lines(&f1, &f2);
    for (int j = 1; j <= 2; j++) {
        char fmt[256];
        snprintf(fmt, sizeof fmt, "requests %%s %%s -q -j%d --status 403 --fields x-edge-request-id", j);
        char *tsv = run_ok(fmt, f1, f2);
        cr_expect_str_eq(full_row(tsv, "O1"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C1"), "origin_custom\tlikely\tcached_origin_403\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C2"), "origin_custom\tlikely\tcached_origin_403\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C3"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C4"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C5"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C6"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "O2"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
        cr_expect_str_eq(full_row(tsv, "C7"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
        free(tsv);
    }
    /* The aggregate judges the same lines the same way, whatever the thread count. */
    char *j1 = run_ok("scan %s %s -q -j1 --format json", f1, f2);
    char *j2 = run_ok("scan %s %s -q -j2 --format json", f1, f2);
    cr_expect_str_eq(j1, j2);
    cr_expect(strstr(j1, "\"cached_origin_403\":2") != NULL, "%s", j1);
    cr_expect(strstr(j1, "\"latency_edge_waf\":5") != NULL, "%s", j1);
    free(j1);
    free(j2);
    free(f1);
    free(f2);
}

/* A layout without cs-uri-stem (a v2 field list) cannot show that a copy is of the same
 * URI, so no 403 is a cached copy there: every 403 of the distribution had one key, and
 * one origin 403 made the edge-fast 403s of any URI after it copies.  With the field, C1
 * (/api/a, 3 s after O1) is a copy and C9 (another URI) is not; without it, neither. */
Test(edge_fast, no_cached_copy_without_the_uri)
{
    for (int with_uri = 1; with_uri >= 0; with_uri--) {
        const char *omit = with_uri ? NULL : "cs-uri-stem";
        tu_buf b = {0};
        tu_log_header_omit(&b, omit);
        for (int i = 0; i < 24; i++) { /* the origin reference, as origin_fetches */
            char id[16];
            snprintf(id, sizeof id, "M%02d", i);
            tu_kv o[] = {{"sc-status", "200"},
                         {"x-edge-result-type", "Miss"},
                         {"x-edge-response-result-type", "Miss"},
                         {"x-edge-detailed-result-type", "Miss"},
                         {"time-taken", "0.130"},
                         {"time-to-first-byte", "0.120"},
                         {"cs-uri-stem", "/page"},
                         {"sc-content-len", "5000"},
                         {"x-edge-request-id", id},
                         {NULL, NULL}};
            tu_log_line_omit(&b, omit, NULL, o);
        }
        tu_kv o1[] = {{"x-edge-request-id", "O1"},     {"cs-uri-stem", "/api/a"}, {"time-taken", "0.150"},
                      {"time-to-first-byte", "0.150"}, {"sc-content-len", "555"}, {NULL, NULL}};
        tu_log_line_omit(&b, omit, NULL, o1);
        tu_kv c1[] = {{"x-edge-request-id", "C1"},
                      {"cs-uri-stem", "/api/a"},
                      {"time", "10:00:03"},
                      {"sc-content-len", "555"},
                      {NULL, NULL}};
        tu_log_line_omit(&b, omit, NULL, c1);
        tu_kv c9[] = {{"x-edge-request-id", "C9"},
                      {"cs-uri-stem", "/other"},
                      {"time", "10:00:04"},
                      {"sc-content-len", "555"},
                      {NULL, NULL}};
        tu_log_line_omit(&b, omit, NULL, c9);
        char *f = write_file(with_uri ? "10.bbbb0001" : "10.bbbb0002", &b);
        free(b.p);
        char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
        if (with_uri)
            cr_expect_str_eq(full_row(tsv, "C1"), "origin_custom\tlikely\tcached_origin_403\t-", "%s", tsv);
        else cr_expect_null(strstr(full_row(tsv, "C1"), "cached_origin_403"), "%s", tsv);
        cr_expect_null(strstr(full_row(tsv, "C9"), "cached_origin_403"), "%s", tsv);
        free(tsv);
        free(f);
    }
}

/* Issue 13: a merge judges the held-back 403s of every part against all of them.  The
 * files of cached_lines scanned apart: f2 alone holds C2 but neither the origin's 403 it
 * copies (O1) nor the origin fetches of the reference, so its own scan cannot call C2 a
 * copy; the merge of the two summaries must, as the scan of both does above (C1 and C2
 * cached, C3, C4 and C5 WAF), and must equal that scan on everything it reports, causes
 * and what would settle them included.  The same for a merge as a tree (M of A and B,
 * then M with an empty third part) and for `scan --update`. */
static const char *args_of(const char *x, const char *y)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s %s", x, y);
    return buf;
}

Test(edge_fast, merge_judges_held_back_403s_against_every_part)
{
    char *f1, *f2;
    cached_lines(&f1, &f2);
    char *one = run_ok("scan %s %s -q -j2 --format json", f1, f2);
    char a[1100], b[1100], m[1100], u[1100];
    snprintf(a, sizeof a, "%s/A", g_dir);
    snprintf(b, sizeof b, "%s/B", g_dir);
    snprintf(m, sizeof m, "%s/M", g_dir);
    snprintf(u, sizeof u, "%s/U", g_dir);
    free(run_ok("scan %s -q -j2 -o %s", f1, a));
    free(run_ok("scan %s -q -j1 -o %s", f2, b));
    char *alone = run_ok("merge %s -q --format json -o %s", b, m);
    cr_expect(strstr(alone, "\"cached_origin_403\"") == NULL, "f2 alone has no copy: %s", alone);
    free(alone);
    char *merged = run_ok("merge %s -q --format json -o %s", args_of(a, b), m);
    cr_expect(strstr(merged, "\"cached_origin_403\":2") != NULL, "%s", merged);
    cr_expect(strstr(merged, "\"latency_edge_waf\":5") != NULL, "%s", merged);
    tu_assert_merge_exact(merged, one, "the merge of the two files' summaries equals their scan");
    /* the merged summary merged again (with nothing new) and an --update of A with f2 */
    char *again = run_ok("merge %s -q --format json -o %s/M2", m, g_dir);
    tu_assert_merge_exact(again, one, "a merged summary merged again");
    free(run_ok("scan %s -q -o %s", f1, u));
    char *upd = run_ok("scan %s -q --format json --update -o %s", args_of(f1, f2), u);
    tu_assert_merge_exact(upd, one, "--update of the first file's summary with the second");
    free(upd);
    free(again);
    free(merged);
    free(one);
    free(f1);
    free(f2);
}

/* A config whose CustomErrorResponses set ErrorCachingMinTTL 60 for 403 (no page, no
 * remap): C3, 30 s after O1, is now inside the TTL and a copy too. */
Test(edge_fast, error_caching_ttl_from_the_config)
{
    char *f1, *f2;
    cached_lines(&f1, &f2);
    const char *cfg =
        "{\"ETag\": \"E1\", \"Distribution\": {\"Id\": \"" DIST "\", \"DomainName\": "
        "\"d111111abcdef8.cloudfront.net\", \"DistributionConfig\": {"
        " \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
        " \"WebACLId\": \"arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1\","
        " \"Origins\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"app\", \"DomainName\": \"app.example.internal\","
        "   \"CustomOriginConfig\": {\"OriginProtocolPolicy\": \"https-only\"}}]},"
        " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"app\", \"ViewerProtocolPolicy\": \"allow-all\"},"
        " \"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": [{\"ErrorCode\": 403,"
        "   \"ResponsePagePath\": \"\", \"ResponseCode\": \"\", \"ErrorCachingMinTTL\": 60}]}}}}";
    char *cdir = tu_mkdtemp();
    free(tu_write(cdir, DIST ".json", cfg, strlen(cfg)));
    char args[2048];
    snprintf(args, sizeof args, "%s --config %s", f2, cdir);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f1, args);
    cr_expect_str_eq(full_row(tsv, "C3"), "origin_custom\tlikely\tcached_origin_403\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "C4"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
    free(tsv);
    tu_rmrf(cdir);
    free(cdir);
    free(f1);
    free(f2);
}

/* Item 3 and the zones: reference 120 ms (24 fetches at 120 ms TTFB).
 *   F1 30 ms  -> origin (>= 20 ms: no edge refusal takes that long), likely;
 *   F2 20 ms  -> origin;  F3 12 ms -> undecided (5-20 ms, and 12 * 3 < 120): unknown,
 *   candidates waf_block|origin_custom;  F4 5 ms -> edge: WAF likely. */
Test(edge_fast, fast_origins_and_the_zones)
{
    tu_buf b = {0};
    tu_log_header(&b);
    origin_fetches(&b);
    const char *ids[] = {"F1", "F2", "F3", "F4"}, *ms[] = {"0.030", "0.020", "0.012", "0.005"};
    const char *uris[] = {"/f1", "/f2", "/f3", "/f4"};
    for (int i = 0; i < 4; i++) {
        tu_kv o[] = {{"x-edge-request-id", ids[i]},
                     {"time-taken", ms[i]},
                     {"time-to-first-byte", ms[i]},
                     {"cs-uri-stem", uris[i]},
                     {NULL, NULL}};
        tu_log_line(&b, NULL, o);
    }
    char *f = write_file("10.bbbb0001", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "F1"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "F2"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "F3"), "unknown\tpossible\tlatency_ambiguous\twaf_block|origin_custom",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "F4"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
    free(tsv);

    /* The report names the candidates and what would settle them; JSON and Parquet too. */
    char *txt = run_ok("scan %s %s -q", f, NULL);
    cr_expect(strstr(txt, "could be waf_block|origin_custom (1)") != NULL, "%s", txt);
    cr_expect(strstr(txt, "What would settle it:") != NULL, "%s", txt);
    cr_expect(strstr(txt, "1 403s took 5-20 ms") != NULL, "%s", txt);
    cr_expect(strstr(txt, "1 403s are edge refusals only WAF logs can confirm") != NULL, "%s", txt);
    free(txt);
    char *js = run_ok("scan %s %s -q --format json", f, NULL);
    cr_expect(strstr(js, "\"candidates\":{\"waf_block|origin_custom\":1}") != NULL, "%s", js);
    cr_expect(strstr(js, "\"settle_with\":{\"waf_logs\":1,\"origin_logs\":1}") != NULL, "%s", js);
    free(js);
    char out[1024];
    snprintf(out, sizeof out, "%s/summary", g_dir);
    char args[2048];
    snprintf(args, sizeof args, "-o %s", out);
    free(run_ok("scan %s %s -q", f, args));
    char cmd[4096];
    snprintf(
        cmd, sizeof cmd,
        "node %s/tests/js/summary_sql.mjs duckdb \"select string_agg(candidates || ':' || requests, ',') "
        "from '%s/traffic.parquet' where cause = 'unknown'\"",
        CFS_SOURCE_DIR, out);
    char *res = NULL, *err = NULL;
    int rc = tu_run(cmd, &res, &err);
    cr_assert_eq(rc, 0, "%s: %s", cmd, err);
    cr_expect(strstr(res, "[[\"waf_block|origin_custom:1\"]]") != NULL, "%s", res);
    free(res);
    free(err);
    free(f);
    free(b.p);
}

/* v2 origin-fbl (§2): a value proves the origin was asked; '-' is read as "not asked",
 * which the reference does not define, so it decides only where the line's own latency
 * agrees or is missing.
 *   V1 Error 403, origin-fbl 0.050, 60 ms -> origin_first_byte_logged: the origin
 *      answered, confirmed, but not which kind (an S3 website endpoint's 403 is HTML too,
 *      §5.6), so without a config saying custom, likely;
 *   V2 Error 403, origin-fbl '-', 40 ms -> the two disagree: taken as between the zones
 *      (19 ms), and the origin's fetches (reference 120 ms) are not that fast: undecided
 *      between the edge refusal (WAF) and the origin;
 *   V5 Error 403, origin-fbl '-', 3 ms -> they agree: an edge refusal, WAF likely. */
Test(edge_fast, v2_origin_fbl)
{
    tu_buf b = {0};
    tu_buf_add(&b, "#Fields: date time x-edge-location sc-status cs-method cs-uri-stem x-host-header "
                   "cs-protocol time-taken time-to-first-byte x-edge-result-type x-edge-response-result-type "
                   "x-edge-detailed-result-type x-edge-request-id sc-content-type sc-content-len origin-fbl "
                   "origin-lbl cs(Host) c-ip sc-bytes\n");
    for (int i = 0; i < 24; i++)
        tu_buf_add(
            &b,
            "2026-11-01\t10:00:00\tFRA56-P1\t200\tGET\t/p\twww.example.com\thttps\t0.130\t0.120\tMiss\tMiss\t"
            "Miss\tM\ttext/html\t5000\t0.110\t0.120\td1.cloudfront.net\t192.0.2.1\t5200\n");
    tu_buf_add(
        &b,
        "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/v1\twww.example.com\thttps\t0.060\t0.060\tError\tError\t"
        "Error\tV1\ttext/html\t919\t0.050\t0.055\td1.cloudfront.net\t192.0.2.1\t1200\n");
    tu_buf_add(
        &b,
        "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/v2\twww.example.com\thttps\t0.040\t0.040\tError\tError\t"
        "Error\tV2\ttext/html\t919\t-\t-\td1.cloudfront.net\t192.0.2.1\t1200\n");
    tu_buf_add(
        &b,
        "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/v5\twww.example.com\thttps\t0.003\t0.003\tError\tError\t"
        "Error\tV5\ttext/html\t919\t-\t-\td1.cloudfront.net\t192.0.2.1\t1200\n");
    char *f = write_file("10.cccc0001", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "V1"), "origin_custom\tlikely\torigin_first_byte_logged\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "V2"), "unknown\tpossible\tlatency_ambiguous\twaf_block|origin_custom",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "V5"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
    free(tsv);
    free(f);
    free(b.p);
}

/* Learned error pages.  Three confirmed geo blocks (DRT ClientGeoBlocked, 1081 bytes) and
 * three malformed requests (DRT InvalidRequest, CloudFront's generic page, 915 bytes) in a
 * 33-field file teach the distribution's pages.  An older 23-field file (no
 * x-edge-detailed-result-type) then holds edge-fast Error 403s:
 *   G1 1081 bytes -> geo's page: learned_error_page, geo_restriction likely;
 *   G2 915 bytes  -> the generic page: not WAF's block page, so undecided among the generic
 *      page's causes (learned_generic_error_page) but https_required, which an https request
 *      cannot have;
 *   G3 919 bytes  -> no page learned: without the detailed result type a geo block, a
 *      disallowed method or a malformed request is a plain Error too (§4), and one whose
 *      page this distribution did not show may have this length: any edge refusal,
 *      undecided (latency_edge_blind; a line that logs the field as plain Error, as V2
 *      above, is WAF likely). */
Test(edge_fast, learned_error_pages)
{
    tu_buf b = {0};
    tu_log_header(&b);
    origin_fetches(&b);
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "P%d", i);
        tu_kv geo[] = {{"x-edge-request-id", id},
                       {"x-edge-detailed-result-type", "ClientGeoBlocked"},
                       {"sc-content-len", "1081"},
                       {NULL, NULL}};
        tu_log_line(&b, NULL, geo);
        snprintf(id, sizeof id, "Q%d", i);
        tu_kv bad[] = {{"x-edge-request-id", id},
                       {"x-edge-detailed-result-type", "InvalidRequest"},
                       {"sc-content-len", "915"},
                       {NULL, NULL}};
        tu_log_line(&b, NULL, bad);
    }
    /* three confirmed method refusals teach that page (1053 bytes); then two edge-fast
     * GETs whose detailed result type is logged as Error show geo's and the method
     * refusal's lengths: X1 cannot be geo (that refusal logs ClientGeoBlocked), X2 neither
     * geo nor a method refusal (every behavior allows GET), so no page names their cause
     * and the latency does (an edge refusal: WAF, likely, without WAF logs) */
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "N%d", i);
        tu_kv m[] = {{"x-edge-request-id", id},
                     {"cs-method", "POST"},
                     {"x-edge-detailed-result-type", "InvalidRequestMethod"},
                     {"sc-content-len", "1053"},
                     {NULL, NULL}};
        tu_log_line(&b, NULL, m);
    }
    tu_kv x1[] = {{"x-edge-request-id", "X1"}, {"sc-content-len", "1081"}, {NULL, NULL}};
    tu_log_line(&b, NULL, x1);
    tu_kv x2[] = {{"x-edge-request-id", "X2"}, {"sc-content-len", "1053"}, {NULL, NULL}};
    tu_log_line(&b, NULL, x2);
    char *f1 = write_file("10.dddd0001", &b);
    b.n = 0;
    /* the first 23 fields: no detailed result type, content type or length... so the 26
     * legacy fields and sc-content-type/len named explicitly */
    tu_buf_add(&b,
               "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
               "cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type "
               "x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol "
               "ssl-cipher x-edge-response-result-type sc-content-type sc-content-len\n");
    const char *ids[] = {"G1", "G2", "G3"}, *len[] = {"1081", "915", "919"};
    for (int i = 0; i < 3; i++) {
        char l[1024];
        snprintf(
            l, sizeof l,
            "2026-11-01\t10:00:05\tFRA56-P1\t1200\t192.0.2.%d\tGET\td111111abcdef8.cloudfront.net\t/g%d\t403\t-\t"
            "curl/8.0\t-\t-\tError\t%s\twww.example.com\thttps\t120\t0.001\t-\tTLSv1.3\t"
            "TLS_AES_128_GCM_SHA256\tError\ttext/html\t%s\n",
            20 + i, i, ids[i], len[i]);
        tu_buf_add(&b, l);
    }
    char *f2 = write_file("10.dddd0002", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f1, f2);
    cr_expect_str_eq(full_row(tsv, "G1"), "geo_restriction\tlikely\tlearned_error_page\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "N0"), "method_not_allowed\tconfirmed\tdrt_invalid_request_method\t-",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "X1"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "X2"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "G2"),
                     "unknown\tpossible\tlearned_generic_error_page\tcname_not_associated|edge_other", "%s",
                     tsv);
    cr_expect_str_eq(full_row(tsv, "G3"), "unknown\tpossible\tlatency_edge_blind\t" ANY_EDGE_HTTPS_GET, "%s",
                     tsv);
    free(tsv);
    char *j1 = run_ok("scan %s %s -q -j1 --format json", f1, f2);
    char *j2 = run_ok("scan %s %s -q -j2 --format json", f1, f2);
    cr_expect_str_eq(j1, j2);
    cr_expect(strstr(j1, "\"learned_error_page\":1") && strstr(j1, "\"learned_generic_error_page\":1"), "%s",
              j1);
    free(j1);
    free(j2);
    free(f1);
    free(f2);
    free(b.p);
}

/* What only lowers a verdict takes fewer confirmed lines than naming a cause from a page
 * (three, edgefast.c PAGE_MIN_SUPPORT): one for every ten held-back 403s of the page it
 * lowers (LOWER_PER_LINE), as in a scan of an hour, which holds few confirmed 403s.  One
 * geo block and one method refusal with one length (2047 bytes: a custom error page for
 * every 403) make an edge-fast 403 of that length undecided among every cause that page
 * may carry (Y1); one malformed request with CloudFront's generic page (915 bytes) makes
 * one of that length no WAF block (Y2), also though an origin-served 403 (O0, 40 ms) had
 * that length too.  Y3, of a length no confirmed line showed, is still WAF likely by its
 * latency.  With three lines each the verdicts were the same; with one, Y1 and Y2 were
 * WAF likely, and so was Y2 with O0 beside it. */
Test(edge_fast, one_line_lowers_a_verdict)
{
    tu_buf b = {0};
    tu_log_header(&b);
    origin_fetches(&b);
    tu_kv geo[] = {{"x-edge-request-id", "P0"},
                   {"x-edge-detailed-result-type", "ClientGeoBlocked"},
                   {"sc-content-len", "2047"},
                   {NULL, NULL}};
    tu_log_line(&b, NULL, geo);
    tu_kv m[] = {{"x-edge-request-id", "N0"},
                 {"cs-method", "POST"},
                 {"x-edge-detailed-result-type", "InvalidRequestMethod"},
                 {"sc-content-len", "2047"},
                 {NULL, NULL}};
    tu_log_line(&b, NULL, m);
    tu_kv bad[] = {{"x-edge-request-id", "Q0"},
                   {"x-edge-detailed-result-type", "InvalidRequest"},
                   {"sc-content-len", "915"},
                   {NULL, NULL}};
    tu_log_line(&b, NULL, bad);
    tu_kv slow[] = {
        {"x-edge-request-id", "O0"}, {"cs-uri-stem", "/elsewhere"}, /* no cached copy of it is Y2 */
        {"time-taken", "0.041"},     {"time-to-first-byte", "0.040"},
        {"sc-content-len", "915"},   {NULL, NULL}};
    tu_log_line(&b, NULL, slow);
    const char *ids[] = {"Y1", "Y2", "Y3"}, *len[] = {"2047", "915", "1081"};
    for (int i = 0; i < 3; i++) {
        tu_kv y[] = {{"x-edge-request-id", ids[i]}, {"sc-content-len", len[i]}, {NULL, NULL}};
        tu_log_line(&b, NULL, y);
    }
    char *f = write_file("10.eeee0001", &b);
    char *tsv = run_ok("requests %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "P0"), "geo_restriction\tconfirmed\tdrt_client_geo_blocked\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "O0"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
    cr_expect_str_eq(
        full_row(tsv, "Y1"),
        "unknown\tpossible\tone_error_page_for_all\t"
        "waf_block|signed_url_missing|signed_url_expired|signed_url_invalid|cname_not_associated|"
        "edge_other",
        "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "Y2"),
                     "unknown\tpossible\tlearned_generic_error_page\tcname_not_associated|edge_other", "%s",
                     tsv);
    cr_expect_str_eq(full_row(tsv, "Y3"), "waf_block\tlikely\tlatency_edge_waf\t-", "%s", tsv);
    free(tsv);
    char *j1 = run_ok("scan %s -q -j1 --format json", f, NULL);
    char *j2 = run_ok("scan %s -q -j2 --format json", f, NULL);
    cr_expect_str_eq(j1, j2);
    free(j1);
    free(j2);
    free(f);
    free(b.p);
}

/* ... but one odd line does not lower many: one malformed request logged with the WAF
 * page's length (919 bytes) beside eleven held-back edge-fast 403s of that length leaves
 * them WAF likely (one line lowered a day of them); a second such line (two for twenty)
 * lowers them. */
Test(edge_fast, one_odd_line_does_not_lower_many)
{
    for (int odd = 1; odd <= 2; odd++) {
        tu_buf b = {0};
        tu_log_header(&b);
        origin_fetches(&b);
        for (int i = 0; i < odd; i++) {
            char id[8];
            snprintf(id, sizeof id, "Q%d", i);
            tu_kv bad[] = {{"x-edge-request-id", id},
                           {"x-edge-detailed-result-type", "InvalidRequest"},
                           {"sc-content-len", "919"},
                           {NULL, NULL}};
            tu_log_line(&b, NULL, bad);
        }
        edge_403s(&b, 'W', 11, "919");
        char *f = write_file("10.ffff0001", &b);
        char *tsv = run_ok("requests %s -q --status 403 --fields x-edge-request-id", f, NULL);
        const char *want =
            odd == 1 ? "waf_block\tlikely\tlatency_edge_waf\t-"
                     : "unknown\tpossible\tlearned_generic_error_page\tcname_not_associated|edge_other";
        expect_rows(tsv, 'W', 11, want);
        char *j1 = run_ok("scan %s -q -j1 --format json", f, NULL);
        char *j2 = run_ok("scan %s -q -j2 --format json", f, NULL);
        cr_expect_str_eq(j1, j2);
        free(j1);
        free(j2);
        free(tsv);
        free(f);
        free(b.p);
    }
}

/* ... while several causes with a line each prove a shared page together: one geo block,
 * one method refusal and one malformed request of one length (2047 bytes) beside 13
 * held-back edge-fast 403s of it make those undecided (one page for every 403).  Judged
 * cause by cause, each single line fell short of 13 and all 13 read WAF likely. */
Test(edge_fast, several_causes_with_a_line_each_prove_a_shared_page)
{
    tu_buf b = {0};
    tu_log_header(&b);
    origin_fetches(&b);
    const char *drt[3] = {"ClientGeoBlocked", "InvalidRequestMethod", "InvalidRequest"};
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "C%d", i);
        tu_kv c[] = {{"x-edge-request-id", id},
                     {"cs-method", i == 1 ? "POST" : "GET"},
                     {"x-edge-detailed-result-type", drt[i]},
                     {"sc-content-len", "2047"},
                     {NULL, NULL}};
        tu_log_line(&b, NULL, c);
    }
    edge_403s(&b, 'S', 13, "2047");
    char *f = write_file("10.abab0001", &b);
    char *tsv = run_ok("requests %s -q --status 403 --fields x-edge-request-id", f, NULL);
    expect_rows(tsv, 'S', 13,
                "unknown\tpossible\tone_error_page_for_all\t"
                "waf_block|signed_url_missing|signed_url_expired|signed_url_invalid|cname_not_associated|"
                "edge_other");
    free(tsv);
    free(f);
    free(b.p);
}

/* A reference per origin.  Config: the default behavior goes to S3 origin "s3", the
 * behavior for the /api/ prefix to custom origin "app".  30 fetches from each: s3 at 15 ms,
 * app at 200 ms TTFB; pooled, the 25th percentile is 15 ms.
 *   A1 /api/x 403 in 10 ms: app's own reference 200 ms, 10 * 3 < 200: undecided (with the
 *      pooled 15 ms it would have been origin-served);
 *   S1 /img/x 403 in 8 ms: s3's reference 15 ms, 8 * 3 >= 15: the S3 origin. */
static void two_origin_lines(tu_buf *b)
{
    tu_log_header(b);
    for (int i = 0; i < 30; i++) {
        char id[16];
        snprintf(id, sizeof id, "S%02d", i);
        /* clang-format off */
        tu_kv s3[] = {{"sc-status", "200"}, {"x-edge-result-type", "Miss"}, {"x-edge-response-result-type", "Miss"},
                      {"x-edge-detailed-result-type", "Miss"}, {"time-taken", "0.016"}, {"time-to-first-byte", "0.015"},
                      {"cs-uri-stem", "/img/a.png"}, {"x-edge-request-id", id}, {NULL, NULL}};
        /* clang-format on */
        tu_log_line(b, NULL, s3);
        snprintf(id, sizeof id, "P%02d", i);
        /* clang-format off */
        tu_kv app[] = {{"sc-status", "200"}, {"x-edge-result-type", "Miss"}, {"x-edge-response-result-type", "Miss"},
                       {"x-edge-detailed-result-type", "Miss"}, {"time-taken", "0.210"}, {"time-to-first-byte", "0.200"},
                       {"cs-uri-stem", "/api/list"}, {"x-edge-request-id", id}, {NULL, NULL}};
        /* clang-format on */
        tu_log_line(b, NULL, app);
    }
    tu_kv a1[] = {{"x-edge-request-id", "A1"},
                  {"cs-uri-stem", "/api/x"},
                  {"time-taken", "0.010"},
                  {"time-to-first-byte", "0.010"},
                  {NULL, NULL}};
    tu_log_line(b, NULL, a1);
    tu_kv s1[] = {{"x-edge-request-id", "S1"},
                  {"cs-uri-stem", "/img/x"},
                  {"time-taken", "0.008"},
                  {"time-to-first-byte", "0.008"},
                  {NULL, NULL}};
    tu_log_line(b, NULL, s1);
}

Test(edge_fast, reference_per_origin_from_the_config)
{
    tu_buf b = {0};
    two_origin_lines(&b);
    char *f = write_file("10.eeee0001", &b);
    const char *cfg =
        "{\"ETag\": \"E1\", \"Distribution\": {\"Id\": \"" DIST "\", \"DomainName\": "
        "\"d111111abcdef8.cloudfront.net\", \"DistributionConfig\": {"
        " \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
        " \"WebACLId\": \"arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1\","
        " \"Origins\": {\"Quantity\": 2, \"Items\": ["
        "   {\"Id\": \"s3\", \"DomainName\": \"bucket.s3.us-east-1.amazonaws.com\", \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"}},"
        "   {\"Id\": \"app\", \"DomainName\": \"app.example.internal\", \"CustomOriginConfig\": {\"OriginProtocolPolicy\": \"https-only\"}}]},"
        " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"allow-all\"},"
        " \"CacheBehaviors\": {\"Quantity\": 1, \"Items\": [{\"PathPattern\": \"/api/*\", \"TargetOriginId\": \"app\","
        "   \"ViewerProtocolPolicy\": \"allow-all\"}]}}}}";
    char *cdir = tu_mkdtemp();
    free(tu_write(cdir, DIST ".json", cfg, strlen(cfg)));
    char args[2048];
    snprintf(args, sizeof args, "--config %s", cdir);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, args);
    cr_expect_str_eq(full_row(tsv, "A1"), "unknown\tpossible\tlatency_ambiguous\twaf_block|origin_custom",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "S1"), "origin_s3\tlikely\tlatency_origin_s3\t-", "%s", tsv);
    free(tsv);
    /* The report states each reference; scan and requests agree.  200 ms reads back as
     * the histogram bucket's representative value (within 1%, sketch.h). */
    unsigned ms200 = cfs_hist_bucket_value(cfs_hist_bucket(200));
    char want[256];
    char *txt = run_ok("scan %s %s -q", f, args);
    snprintf(want, sizeof want, "    origin app: %u ms from 30 fetches (used for its 403s)", ms200);
    cr_expect(strstr(txt, want) != NULL, "%s", txt);
    cr_expect(strstr(txt, "    origin s3: 15 ms from 30 fetches (used for its 403s)") != NULL, "%s", txt);
    free(txt);
    char *js = run_ok("scan %s %s -q --format json", f, args);
    cr_expect(strstr(js, "\"latency_ambiguous\":1") && strstr(js, "\"latency_origin_s3\":1"), "%s", js);
    snprintf(
        want, sizeof want,
        "{\"origin\":\"origin app\",\"reference_ms\":%u,\"fetches\":30,\"measure\":\"time_to_first_byte\"}",
        ms200);
    cr_expect(strstr(js, want) != NULL, "%s", js);
    free(js);
    /* and the summary keeps the per-origin rows through merge */
    char o1[1024], o2[1024];
    snprintf(o1, sizeof o1, "%s/s1", g_dir);
    snprintf(o2, sizeof o2, "%s/s2", g_dir);
    snprintf(args, sizeof args, "--config %s -o %s", cdir, o1);
    free(run_ok("scan %s %s -q", f, args));
    char *m = run_ok("merge %s -o %s -q", o1, o2);
    free(m);
    char rp[1100];
    snprintf(rp, sizeof rp, "%s/report.txt", o2);
    char *rep = tu_read(rp, NULL);
    snprintf(want, sizeof want, "    origin app: %u ms from 30 fetches", ms200);
    cr_expect(rep && strstr(rep, want), "%s", rep ? rep : "(none)");
    free(rep);
    tu_rmrf(cdir);
    free(cdir);
    free(f);
    free(b.p);
}

/* The same without a config, from the v2 cache-behavior-path-pattern field. */
Test(edge_fast, reference_per_behavior_from_v2_patterns)
{
    tu_buf b = {0};
    tu_buf_add(&b,
               "#Fields: date time x-edge-location sc-status cs-method cs-uri-stem x-host-header cs-protocol "
               "time-taken time-to-first-byte x-edge-result-type x-edge-response-result-type "
               "x-edge-detailed-result-type x-edge-request-id sc-content-type sc-content-len "
               "cache-behavior-path-pattern cs(Host) c-ip sc-bytes\n");
    for (int i = 0; i < 30; i++) {
        tu_buf_add(
            &b,
            "2026-11-01\t10:00:00\tFRA56-P1\t200\tGET\t/img/a\twww.example.com\thttps\t0.016\t0.015\tMiss\t"
            "Miss\tMiss\tS\timage/png\t5000\t*\td1.cloudfront.net\t192.0.2.1\t5200\n");
        tu_buf_add(
            &b,
            "2026-11-01\t10:00:00\tFRA56-P1\t200\tGET\t/api/l\twww.example.com\thttps\t0.210\t0.200\tMiss\t"
            "Miss\tMiss\tP\tapplication/json\t500\t/api/*\td1.cloudfront.net\t192.0.2.1\t700\n");
    }
    tu_buf_add(
        &b, "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/api/x\twww.example.com\thttps\t0.010\t0.010\tError\t"
            "Error\tError\tA1\ttext/html\t919\t/api/*\td1.cloudfront.net\t192.0.2.1\t1200\n");
    tu_buf_add(
        &b, "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/img/x\twww.example.com\thttps\t0.008\t0.008\tError\t"
            "Error\tError\tS1\ttext/html\t919\t*\td1.cloudfront.net\t192.0.2.1\t1200\n");
    char *f = write_file("10.ffff0001", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "A1"), "unknown\tpossible\tlatency_ambiguous\twaf_block|origin_custom",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "S1"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
    free(tsv);
    char *txt = run_ok("scan %s %s -q", f, NULL), want[128];
    snprintf(want, sizeof want, "    behavior /api/*: %u ms from 30 fetches",
             cfs_hist_bucket_value(cfs_hist_bucket(200)));
    cr_expect(strstr(txt, want) != NULL, "%s", txt);
    free(txt);
    free(f);
    free(b.p);
}

/* Held-back 403s past 1 MiB in one work unit go to a temporary file in $TMPDIR; when none
 * can be made the run says so and fails (exit 1) instead of counting fewer 403s. */
Test(edge_fast, temporary_file_failure_is_an_error)
{
    tu_buf b = {0};
    tu_log_header(&b);
    for (int i = 0; i < 8000; i++) {
        char id[16], uri[32];
        snprintf(id, sizeof id, "T%05d", i);
        snprintf(uri, sizeof uri, "/t/%d", i);
        tu_kv o[] = {{"x-edge-request-id", id}, {"cs-uri-stem", uri}, {NULL, NULL}};
        tu_log_line(&b, NULL, o);
    }
    char *f = write_file("10.gggg0001", &b);
    char cmd[2048], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "TMPDIR=%s/no-such-dir %s scan %s -q -j1", g_dir, tu_prog("cfscan"), f);
    int rc = tu_run(cmd, &out, &err);
    cr_expect_eq(rc, 1, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "temporary file") && strstr(err, "held-back 403s"), "%s", err);
    free(out);
    free(err);
    /* with a usable $TMPDIR the same input scans, every 403 counted */
    snprintf(cmd, sizeof cmd, "TMPDIR=%s %s scan %s -q -j2 --format json", g_dir, tu_prog("cfscan"), f);
    rc = tu_run(cmd, &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect(strstr(out, "\"by_status\":{\"403\":8000}") != NULL, "%.400s", out);
    cr_expect(strstr(out, "\"latency_edge_waf_absolute\":8000") != NULL, "%.2000s", out);
    free(out);
    free(err);
    free(f);
    free(b.p);
}

/* The summary's report.txt and report.json are the reports the scan printed, byte for
 * byte, evidence included: with --config and --waf-logs, "what would settle it" must not
 * tell the reader to pass them. */
Test(edge_fast, summary_reports_equal_the_printed_ones)
{
    char *gen = tu_mkdtemp();
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s -o %s --seed 3 --dists 2 --days 1 --lines-per-file 300 -j2",
             tu_prog("cfsgen"), gen);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    free(err);
    for (int json = 0; json < 2; json++) {
        char sdir[1200];
        snprintf(sdir, sizeof sdir, "%s/s%d", gen, json);
        snprintf(cmd, sizeof cmd,
                 "%s scan %s/*.gz -q -j2 --top 7 --config %s/config --waf-logs %s/waf -o %s%s",
                 tu_prog("cfscan"), gen, gen, gen, sdir, json ? " --format json" : "");
        int rc = tu_run(cmd, &out, &err);
        cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
        char p[1300];
        snprintf(p, sizeof p, "%s/%s", sdir, json ? "report.json" : "report.txt");
        char *file = tu_read(p, NULL);
        cr_assert_not_null(file);
        cr_expect_str_eq(file, out, "%s differs from the printed report", p);
        if (!json)
            cr_expect(strstr(out, "(pass --config)") == NULL && strstr(out, "(pass --waf-logs)") == NULL,
                      "%s", out);
        free(file);
        free(out);
        free(err);
    }
    tu_rmrf(gen);
    free(gen);
}

/* The events filter's trust check (cfs_events_check), on hand-made filters of 32,768 bits
 * (4 KiB, the smallest a scan makes).  A filter is distrusted when (bits set / bits)^4 >
 * 0.01, i.e. more than 31.6% of its bits set.  Each insert sets at most 4 bits, so while
 * inserts * 4 / bits is below 1 and its 4th power at most 0.01 the bits need not be
 * counted; past that they are.  Bits are set by hand here, so the count and the shortcut
 * are told apart: which path runs is seen from the verdict, worked out below. */
static int events_verdict(uint64_t inserts, uint64_t set_bits)
{
    const uint64_t bits = 32768;
    cfs_events e;
    memset(&e, 0, sizeof e);
    e.w = calloc(bits / 64, sizeof *e.w);
    cr_assert_not_null(e.w);
    e.mask = bits - 1;
    e.inserts = inserts;
    /* spread the set bits over the filter: bit (i * 7919) mod bits, 7919 odd so all distinct */
    for (uint64_t i = 0; i < set_bits; i++) {
        uint64_t b = (i * 7919) & (bits - 1);
        e.w[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    e.saturated = -1;
    cfs_events_check(&e);
    free(e.w);
    return e.saturated;
}

Test(events_filter, trusted_while_the_inserts_cannot_fill_it)
{
    /* 2,000 inserts: at most 8,000 bits, 0.244 of them, 0.244^4 = 0.0036: trusted
     * without counting, whatever the bits (here even set past what inserts can set,
     * 16,000 bits, fill 0.49, which a count would distrust). */
    cr_expect_eq(events_verdict(2000, 16000), 0);
}

Test(events_filter, counted_once_the_inserts_could_fill_it)
{
    /* 2,800 inserts could set 0.342 of the bits (0.342^4 = 0.0137 > 0.01): counted.
     *  9,500 set: 0.290^4 = 0.0071, trusted;
     * 11,200 set: 0.342^4 = 0.0136, distrusted;
     * 8,000 inserts with 20,000 set: 0.610^4 = 0.139, distrusted. */
    cr_expect_eq(events_verdict(2800, 9500), 0);
    cr_expect_eq(events_verdict(2800, 11200), 1);
    cr_expect_eq(events_verdict(8000, 20000), 1);
}

/* A filter of `bytes` as a scan makes it (calloc'd words), with n (key, bucket) pairs
 * inserted as learning inserts them: keys from a SplitMix64 sequence, buckets 0..99. */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static cfs_events filter_with(size_t bytes, uint64_t n, uint64_t seed)
{
    cfs_events e;
    memset(&e, 0, sizeof e);
    e.w = calloc(bytes / 8, 8);
    cr_assert_not_null(e.w);
    e.mask = (uint64_t)bytes * 8 - 1;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t key = splitmix(&seed);
        cfs_events_insert(&e, key, (int64_t)(key % 100));
    }
    return e;
}

static uint64_t bits_set(const cfs_events *e)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i <= e->mask / 64; i++) n += (uint64_t)__builtin_popcountll(e->w[i]);
    return n;
}

/* The copy judging probes (cfs_events_fold_probe) of a 16 MiB filter with 14,000 pairs
 * inserted (about the plain bench set's): it says yes to every pair inserted (folding
 * keeps every bit); its size is the smallest power of two of at least 4 KiB whose share
 * of the filter's set bits, to the 4th, is at most 10^-9, worked out here from the bits
 * the test counts; one thread and three make the same copy; and none of 1,000,000 pairs
 * never inserted matches (each at most 10^-9). */
Test(events_filter, probe_copy_keeps_every_insert_within_the_bound)
{
    cfs_events e = filter_with((size_t)16 << 20, 14000, 7);
    const uint64_t set = bits_set(&e);
    uint64_t want = (e.mask + 1) / 64; /* words */
    while (want / 2 >= 512) {
        const double fill = (double)set / (double)(want / 2 * 64);
        if (fill * fill * fill * fill > 1e-9) break;
        want /= 2;
    }
    cr_assert_lt(want, (e.mask + 1) / 64, "this filter is sparse enough for a smaller copy");
    cfs_events_fold_probe(&e, 1);
    cr_assert_not_null(e.probe);
    cr_assert_eq(e.probe_mask + 1, want * 64, "copy of %llu bits, want %llu (%llu bits set)",
                 (unsigned long long)(e.probe_mask + 1), (unsigned long long)(want * 64),
                 (unsigned long long)set);
    uint64_t *one = malloc(want * 8);
    cr_assert_not_null(one);
    memcpy(one, e.probe, want * 8);
    cfs_events_fold_probe(&e, 3);
    cr_assert(e.probe && memcmp(one, e.probe, want * 8) == 0, "three threads made another copy");
    free(one);
    uint64_t seed = 7;
    for (int i = 0; i < 14000; i++) {
        uint64_t key = splitmix(&seed);
        cr_assert(cfs_events_may_have(&e, key, (int64_t)(key % 100)), "inserted pair %d not found", i);
    }
    uint64_t other = 12345, false_matches = 0;
    for (int i = 0; i < 1000000; i++) {
        uint64_t key = splitmix(&other);
        false_matches += (uint64_t)cfs_events_may_have(&e, key, 100 + (int64_t)(key % 100));
    }
    cr_expect_eq(false_matches, 0);
    cfs_events_drop_probe(&e);
    cr_assert_null(e.probe);
    free(e.w);
}

/* No copy that would take the memory budget past half: a run that fits its budget
 * without the copy must not be stopped by it (the copy only saves time, and the tables
 * still grow after it).  The 14,000 pairs need a copy of 2 MiB (the test above), charged
 * with CFS_MEM_BLOCK: none with 3 MiB free of the budget, none with the copy 1 byte past
 * its first half, one with the copy just within it. */
Test(events_filter, no_probe_copy_past_half_the_memory_budget)
{
    cfs_events e = filter_with((size_t)16 << 20, 14000, 7);
    const int64_t h = cfs_mem_held();
    const uint64_t held = h > 0 ? (uint64_t)h : 0, copy = ((uint64_t)2 << 20) + CFS_MEM_BLOCK;
    cfs_mem_set_limit(held + ((uint64_t)3 << 20));
    cfs_events_fold_probe(&e, 2);
    cr_expect_null(e.probe);
    cr_expect_eq(cfs_mem_over(), 0, "the budget was passed");
    cfs_mem_set_limit(2 * (held + copy - 1));
    cfs_events_fold_probe(&e, 2);
    cr_expect_null(e.probe, "a copy past half the budget");
    cfs_mem_set_limit(2 * (held + copy));
    cfs_events_fold_probe(&e, 2);
    cr_expect_not_null(e.probe, "no copy within half the budget");
    cfs_events_drop_probe(&e);
    cfs_mem_set_limit(0);
    cfs_events_fold_probe(&e, 2);
    cr_expect_not_null(e.probe, "no copy without a budget");
    cfs_events_drop_probe(&e);
    free(e.w);
}

/* No copy where none smaller keeps the bound: the smallest filter (4 KiB), and a 64 KiB
 * one with 3,000 pairs (at least 9,000 bits set: half the bits would leave a share of
 * 0.034 or more, 1.3 * 10^-6 to the 4th).  Probes then read the filter itself. */
Test(events_filter, no_probe_copy_past_the_bound)
{
    cfs_events small = filter_with(4096, 100, 3), dense = filter_with(65536, 3000, 5);
    cr_assert_geq(bits_set(&dense), 9000);
    cfs_events_fold_probe(&small, 2);
    cfs_events_fold_probe(&dense, 2);
    cr_expect_null(small.probe);
    cr_expect_null(dense.probe);
    uint64_t seed = 5;
    for (int i = 0; i < 3000; i++) {
        uint64_t key = splitmix(&seed);
        cr_assert(cfs_events_may_have(&dense, key, (int64_t)(key % 100)));
    }
    free(small.w);
    free(dense.w);
}

/* ---- the held-back records' buffer ---------------------------------------------------------- */
/* 8,000 records of 3,000 URI bytes each (about 24 MiB, three times CFS_DEFERRED_MEM) put one
 * by one and then copied: the buffer in memory never passes CFS_DEFERRED_MEM (the rest is in
 * the temporary file), and every record reads back in order.  Spilling only after an append
 * had passed the limit let the buffer double to twice it (16 MiB). */
#define HB_N 8000
#define HB_URI 3000

static int hb_check(void *ctx, const cfs_fast_rec *h, const char *text)
{
    int64_t *next = ctx;
    if (h->ts != *next || h->uri_n != HB_URI || h->ip_n != 0) return 1;
    for (uint32_t k = 0; k < h->uri_n; k++)
        if (text[k] != (char)('a' + (*next + k) % 26)) return 2;
    ++*next;
    return 0;
}

Test(deferred, buffer_stays_under_its_limit_and_records_keep_their_order)
{
    cfs_agg a, b;
    cfs_agg_init(&a);
    cfs_agg_init(&b);
    static char text[HB_URI];
    size_t most = 0;
    for (int64_t i = 0; i < HB_N; i++) {
        cfs_fast_rec h;
        memset(&h, 0, sizeof h);
        memcpy(h.dist, "E1", 3);
        h.ts = i;
        h.uri_n = HB_URI;
        for (uint32_t k = 0; k < HB_URI; k++) text[k] = (char)('a' + (i + k) % 26);
        cfs_fast_put(&a, &h, text);
        if (a.deferred.cap > most) most = a.deferred.cap;
    }
    cr_assert_eq(a.deferred.nrec, (uint64_t)HB_N);
    cr_assert_not_null(a.deferred.f, "24 MiB of records: some are in the temporary file");
    cr_expect_leq(most, CFS_DEFERRED_MEM, "put: buffer of %zu bytes over the %zu limit", most,
                  (size_t)CFS_DEFERRED_MEM);
    int64_t next = 0;
    cr_assert_eq(cfs_fast_each(&a, hb_check, &next), 0, "put: record %lld out of order or damaged",
                 (long long)next);
    cr_assert_eq(next, HB_N);

    cfs_fast_copy(&b, &a);
    cr_assert_eq(b.deferred.nrec, (uint64_t)HB_N);
    cr_expect_leq(b.deferred.cap, CFS_DEFERRED_MEM, "copy: buffer of %zu bytes over the %zu limit",
                  b.deferred.cap, (size_t)CFS_DEFERRED_MEM);
    next = 0;
    cr_assert_eq(cfs_fast_each(&b, hb_check, &next), 0, "copy: record %lld out of order or damaged",
                 (long long)next);
    cr_assert_eq(next, HB_N);
    cfs_agg_free(&a);
    cfs_agg_free(&b);
}

/* Judging the held-back 403s on several threads (cfs_fast_resolve, chunks of 4,096 records
 * judged in parallel, their traffic rows and sketches added on every thread) gives the
 * report one thread gives: cfsgen's traffic without a config (which would settle most
 * 403s at once), enough lines that several chunks are judged; at -j1 (one record at a
 * time), -j2 and -j3. */
Test(edge_fast, held_back_403s_judged_on_several_threads_as_on_one)
{
    char *gen = tu_mkdtemp();
    char cmd[4096], *err = NULL;
    snprintf(cmd, sizeof cmd, "%s -o %s --seed 9 --dists 2 --days 1 --lines-per-file 4000 -j2",
             tu_prog("cfsgen"), gen);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    free(err);
    char *out[3];
    for (int j = 1; j <= 3; j++) {
        snprintf(cmd, sizeof cmd, "%s scan %s/*.gz -q -j%d --format json", tu_prog("cfscan"), gen, j);
        err = NULL;
        int rc = tu_run(cmd, &out[j - 1], &err);
        cr_assert_eq(rc, 0, "-j%d: exit %d: %s", j, rc, err);
        free(err);
    }
    cr_assert(strstr(out[0], "\"403\":"), "%.300s", out[0]);
    cr_assert_str_eq(out[1], out[0], "-j2 differs from -j1");
    cr_assert_str_eq(out[2], out[0], "-j3 differs from -j1");
    for (int j = 0; j < 3; j++) free(out[j]);
    tu_rmrf(gen);
    free(gen);
}

/* x1 (judged on nt threads) holds what x0 (judged on one) holds, row for row. */
static void same_judged(const cfs_agg *x0, const cfs_agg *x1, int nt)
{
    cr_assert_eq(x1->traffic.n, x0->traffic.n);
    for (size_t r = 0; r < x0->traffic.n; r++)
        cr_assert(memcmp(cfs_kmap_row(&x0->traffic, r), cfs_kmap_row(&x1->traffic, r), sizeof(cfs_trow)) == 0,
                  "%d threads: traffic row %zu", nt, r);
    cr_assert_eq(x1->groups.n, x0->groups.n);
    for (size_t r = 0; r < x0->groups.n; r++) {
        const cfs_grow *x = cfs_kmap_row(&x0->groups, r), *y = cfs_kmap_row(&x1->groups, r);
        cr_assert(memcmp(&x->k, &y->k, sizeof x->k) == 0);
        cr_assert(x->g->tt.count == y->g->tt.count && x->g->tt.sum_ms == y->g->tt.sum_ms,
                  "%d threads: group %zu", nt, r);
        cr_assert_eq(cfs_hll_estimate(&x->g->clients), cfs_hll_estimate(&y->g->clients));
    }
    cr_assert_gt(x0->heavy.n, 0);
    cr_assert_eq(x1->heavy.n, x0->heavy.n);
    static cfs_topk_item u[2][4096];
    for (size_t r = 0; r < x0->heavy.n; r++) {
        const cfs_hrow *x = cfs_kmap_row(&x0->heavy, r), *y = cfs_kmap_row(&x1->heavy, r);
        cr_assert(memcmp(&x->k, &y->k, sizeof x->k) == 0);
        for (int which = 0; which < 2; which++) {
            size_t n0 = cfs_topk_list(which ? x->ips : x->uris, u[0], 4096);
            size_t n1 = cfs_topk_list(which ? y->ips : y->uris, u[1], 4096);
            cr_assert_eq(n0, n1);
            for (size_t k = 0; k < n0; k++)
                cr_assert(u[0][k].n == u[1][k].n && memcmp(u[0][k].key, u[1][k].key, u[0][k].n) == 0 &&
                              u[0][k].count == u[1][k].count && u[0][k].error == u[1][k].error,
                          "%d threads: heavy row %zu list %d entry %zu", nt, r, which, k);
        }
    }
}

/* 40,000 held-back records (three chunks of the parallel judging), with more URIs (3,000)
 * and clients (1,000) than a top list holds (so the order of the adds shows), put into a
 * and judged on `threads` threads, their traffic rows into a->traffic or (parts) into
 * nparts partitions;
 * with `events`, a filter of origin-served 403s holding 2,000 of their (key, bucket) pairs,
 * which judging probes through its folded copy (2,000 pairs leave a 16 MiB filter sparse
 * enough for one). */
static void judge_many_events(cfs_agg *a, int threads, cfs_kmap *parts, unsigned nparts, int events)
{
    char err[256];
    cfs_agg_init(a);
    if (events) {
        cr_assert_eq(cfs_fast_events_new(a, 0), CFS_OK);
        for (int i = 0; i < 2000; i++) /* buckets of 2 s: the default error-caching TTL's */
            cfs_events_insert(a->events, (uint64_t)(i % 500) + 1, (36000 + 3600 * (i % 5) + i % 3600) / 2);
    }
    for (int i = 0; i < 40000; i++) {
        cfs_fast_rec h;
        memset(&h, 0, sizeof h);
        memcpy(h.dist, i % 3 ? "E1" : "E2", 3);
        snprintf(h.edge, sizeof h.edge, "IAD%d-C1", i % 7);
        h.hour = 36000 + 3600 * (i % 5);
        h.ts = h.hour + i % 3600;
        h.status = 403;
        h.cause = (uint8_t)(i % 2 ? CFS_CAUSE_EDGE_OTHER : CFS_CAUSE_ORIGIN_S3);
        h.ms = h.tt = (uint32_t)(i % 300);
        h.ttfb = CFS_NO_MILLIS;
        h.clen = UINT32_MAX;
        h.evkey = (uint64_t)(i % 700) + 1;
        h.iph = (uint64_t)i * 2654435761u % 4000;
        char text[64];
        int un = snprintf(text, sizeof text, "/p/%d", (i * 7919) % 3000);
        int in = snprintf(text + un, sizeof text - (size_t)un, "192.0.%d.%d", i % 1000 / 250, i % 250);
        h.uri_n = (uint32_t)un;
        h.ip_n = (uint32_t)in;
        cfs_fast_put(a, &h, text);
    }
    for (unsigned p = 0; p < nparts; p++) cfs_kmap_init(&parts[p], sizeof(cfs_tkey), sizeof(cfs_trow));
    cr_assert_eq(cfs_fast_resolve_parts(a, NULL, NULL, threads, parts, nparts, NULL, err, sizeof err), CFS_OK,
                 "%s", err);
    if (events) cr_assert(a->events && a->events->probe, "judging made no folded copy of the filter");
}

static void judge_many(cfs_agg *a, int threads, cfs_kmap *parts, unsigned nparts)
{
    judge_many_events(a, threads, parts, nparts, 0);
}

/* In process: those records judged on one thread, on three and on seven (each thread sorts
 * its slice of a chunk by the thread that adds it): the same traffic rows, groups and top
 * lists, row for row. */
Test(deferred, judged_on_several_threads_as_on_one)
{
    static const int threads[3] = {1, 3, 7};
    cfs_agg a[3];
    for (int t = 0; t < 3; t++) judge_many(&a[t], threads[t], NULL, 0);
    cr_assert_gt(a[0].traffic.n, 10);
    for (int t = 1; t < 3; t++) same_judged(&a[0], &a[t], threads[t]);
    for (int t = 0; t < 3; t++) cfs_agg_free(&a[t]);
}

/* The same with a filter of origin-served 403s that judging probes through its folded
 * copy (cfs_events_fold_probe, made for 16,384 records or more): the copy is made, and the
 * judged tables are the same on one, three and seven threads. */
Test(deferred, judged_with_the_folded_filter_on_several_threads_as_on_one)
{
    static const int threads[3] = {1, 3, 7};
    cfs_agg a[3];
    for (int t = 0; t < 3; t++) judge_many_events(&a[t], threads[t], NULL, 0, 1);
    cr_assert_gt(a[0].traffic.n, 10);
    for (int t = 1; t < 3; t++) same_judged(&a[0], &a[t], threads[t]);
    for (int t = 0; t < 3; t++) cfs_agg_free(&a[t]);
}

/* The same with the traffic rows going to five partitions, as the scan's end has them
 * (cfs_fast_resolve_parts): each thread adds the rows of the partitions it owns, so with
 * three threads one thread adds two partitions, with seven two threads add none; every
 * partition must hold the same rows in the same order as on one thread. */
Test(deferred, judged_into_partitions_on_several_threads_as_on_one)
{
    enum { NP = 5 };
    static const int threads[3] = {1, 3, 7};
    cfs_agg a[3];
    cfs_kmap parts[3][NP];
    for (int t = 0; t < 3; t++) judge_many(&a[t], threads[t], parts[t], NP);
    size_t rows = 0;
    for (unsigned p = 0; p < NP; p++) {
        rows += parts[0][p].n;
        for (int t = 1; t < 3; t++) {
            cr_assert_eq(parts[t][p].n, parts[0][p].n, "%d threads: partition %u", threads[t], p);
            for (size_t r = 0; r < parts[0][p].n; r++)
                cr_assert(memcmp(cfs_kmap_row(&parts[0][p], r), cfs_kmap_row(&parts[t][p], r),
                                 sizeof(cfs_trow)) == 0,
                          "%d threads: partition %u row %zu", threads[t], p, r);
        }
    }
    cr_assert_gt(rows, 10);
    for (int t = 0; t < 3; t++) {
        cr_assert_eq(a[t].traffic.n, 0, "the rows went to the partitions");
        if (t) same_judged(&a[0], &a[t], threads[t]);
    }
    for (int t = 0; t < 3; t++) {
        for (unsigned p = 0; p < NP; p++) cfs_kmap_free(&parts[t][p]);
        cfs_agg_free(&a[t]);
    }
}

/* A 26-field file, the layout of 2014-2019: no x-edge-detailed-result-type, no
 * sc-content-type, no time-to-first-byte.  24 origin fetches (Miss, 130 ms time-taken)
 * give the reference.  Then, each on its own URI (so that no 403 is a cached copy of
 * another):
 *   E1 Error 403 in 1 ms: edge-fast, but without the detailed result type a geo block or
 *      a disallowed method is a plain Error (§4), and without the content type a signed-URL
 *      refusal shows no text/xml (§5.4): any edge refusal, undecided;
 *   S1 Error 403 in 150 ms: the origin's (>= 20 ms), and with no config and no content
 *      type S3's XML refusal cannot show (§5.1): S3 or a custom origin, undecided;
 *   H1 a Hit 403: from the cache, so the origin's; the same two candidates.
 * With a config naming an S3 origin and no web ACL, the origin's kind is known and WAF
 * excluded: E1 any edge refusal but WAF, undecided, S1 and H1 S3's (likely). */
/* The config file of the legacy tests: alias www.example.com, one S3 origin, a default
 * behavior that allows all protocols and the AllowedMethods given (its Quantity and
 * Items), without trusted signers, Restrictions or a web ACL; members as
 * tu_write_config takes them (a LastModifiedTime, or NULL). */
/* A WAF log of one ALLOW record of DIST at 10:00:05, of another request: WAF logs given,
 * covering the hour, that prove nothing about the test's lines. */
static char *allow_record(const char *name)
{
    static const char rec[] =
        "{\"timestamp\":1793527205000,\"formatVersion\":1,\"webaclId\":\"w\","
        "\"terminatingRuleId\":\"Default_Action\",\"terminatingRuleType\":\"REGULAR\","
        "\"action\":\"ALLOW\",\"httpSourceName\":\"CF\",\"httpSourceId\":\"" DIST "\","
        "\"httpRequest\":{\"clientIp\":\"192.0.2.9\",\"uri\":\"/x\",\"requestId\":\"OTHER\"}}\n";
    return tu_write(g_dir, name, rec, strlen(rec));
}

static char *s3_config(const char *methods, const char *members)
{
    char dc[2048];
    snprintf(dc, sizeof dc,
             "{\"CallerReference\": \"x\", \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
             " \"Origins\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"s3\","
             "   \"DomainName\": \"bucket.s3.us-east-1.amazonaws.com\","
             "   \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"}}]},"
             " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"s3\","
             "   \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0},"
             "   \"ViewerProtocolPolicy\": \"allow-all\", \"AllowedMethods\": {\"Quantity\": %s}},"
             " \"WebACLId\": \"\", \"Enabled\": true}",
             methods);
    return tu_write_config(g_dir, DIST ".json", dc, 1, members);
}

static void legacy_lines(tu_buf *b)
{
    tu_buf_add(b, LEGACY26_HEADER);
    struct {
        const char *id, *status, *rt, *secs;
        int n;
    } k[] = {{"M", "200", "Miss", "0.130", 24},
             {"E1", "403", "Error", "0.001", 1},
             {"S1", "403", "Error", "0.150", 1},
             {"H1", "403", "Hit", "0.002", 1}};
    for (size_t j = 0; j < sizeof k / sizeof k[0]; j++)
        for (int i = 0; i < k[j].n; i++) {
            char id[16], l[1024];
            snprintf(id, sizeof id, "%s%s", k[j].id, k[j].n > 1 ? (char[]){(char)('A' + i), 0} : "");
            snprintf(
                l, sizeof l,
                "2026-11-01\t10:00:05\tFRA56-P1\t1200\t192.0.2.1\tGET\td111111abcdef8.cloudfront.net\t/%s\t%s\t-\t"
                "curl/8.0\t-\t-\t%s\t%s\twww.example.com\thttps\t120\t%s\t-\tTLSv1.3\t"
                "TLS_AES_128_GCM_SHA256\t%s\tHTTP/1.1\t-\t-\n",
                k[j].id, k[j].status, k[j].rt, id, k[j].secs, k[j].rt);
            tu_buf_add(b, l);
        }
}

Test(edge_fast, legacy_layout_names_no_cause_it_cannot_see)
{
    tu_buf b = {0};
    legacy_lines(&b);
    char *f = write_file("10.eeee0001", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "E1"),
                     "unknown\tpossible\tlatency_ambiguous_blind_unknown_origin\t" ANY_EDGE_HTTPS_GET_OR_COPY,
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "S1"),
                     "unknown\tpossible\tlatency_origin_unknown_kind\torigin_s3|origin_custom", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "H1"),
                     "unknown\tpossible\torigin_result_type_unknown_kind\torigin_s3|origin_custom", "%s",
                     tsv);
    free(tsv);
    char *cfg = s3_config("2, \"Items\": [\"HEAD\", \"GET\"]", NULL);
    char args[4096];
    snprintf(args, sizeof args, "requests %%s --config %s -q --status 403 --fields x-edge-request-id", cfg);
    tsv = run_ok(args, f, NULL);
    /* the config rules out what the line did not: no trusted signers on the behavior, and
     * www.example.com is its alias; it says nothing of geo restriction (no Restrictions) */
    cr_expect_str_eq(
        full_row(tsv, "E1"),
        "unknown\tpossible\tlatency_ambiguous_blind_no_waf_s3\tgeo_restriction|origin_s3|edge_other", "%s",
        tsv);
    cr_expect_str_eq(full_row(tsv, "S1"), "origin_s3\tlikely\tlatency_origin_s3\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "H1"), "origin_s3\tlikely\torigin_result_type_s3\t-", "%s", tsv);
    free(tsv);
    /* The report says what would settle E1: the origin's logs (a 403 of /E1 there within
     * the error-caching TTL makes it a cached copy), and --brief, with both kinds of
     * evidence given (a WAF log of one allowed request, not E1, here), points there. */
    snprintf(args, sizeof args, "scan %%s --config %s -q", cfg);
    char *txt = run_ok(args, f, NULL);
    cr_expect(
        strstr(txt, "1 403s took 5-20 ms, or were edge-fast on a layout that cannot show a cached copy") !=
            NULL,
        "%s", txt);
    free(txt);
    snprintf(args, sizeof args, "scan %%s --config %s -q --format json", cfg);
    txt = run_ok(args, f, NULL);
    cr_expect(strstr(txt, "\"settle_with\":{\"origin_logs\":1}") != NULL, "%s", txt);
    free(txt);
    char *waf = allow_record("waf.log");
    snprintf(args, sizeof args, "scan %%s --config %s --waf-logs %s -q --brief", cfg, waf);
    txt = run_ok(args, f, NULL);
    cr_expect(strstr(txt,
                     "unknown                    1 possible         See \"What would settle it\" in the full "
                     "report") != NULL,
              "%s", txt);
    free(txt);
    free(waf);
    free(cfg);
    free(f);
    free(b.p);
}

/* Review of 2026-12-08: --brief sent undecided 403s to "What would settle it" whenever
 * both --config and --waf-logs were given, also where that list said nothing about them.
 * A slow 403 on a legacy layout (no content type) behind an origin group of S3 and a
 * custom origin is the origin's, of a kind neither the config nor the line says
 * (latency_origin_unknown_kind): no option settles it, so --brief names the lookup, and
 * the full report's advice for `unknown` does not ask for the evidence already given. */
Test(edge_fast, brief_points_to_a_settle_list_only_when_there_is_one)
{
    tu_buf b = {0};
    tu_buf_add(&b, LEGACY26_HEADER);
    for (int i = 0; i < 25; i++) {
        char l[1024];
        const int m = i < 24; /* 24 origin fetches, then the 403 */
        snprintf(
            l, sizeof l,
            "2026-11-01\t10:00:05\tFRA56-P1\t1200\t192.0.2.1\tGET\td111111abcdef8.cloudfront.net\t/p\t%s\t-\t"
            "curl/8.0\t-\t-\t%s\t%s%02d\twww.example.com\thttps\t120\t%s\t-\tTLSv1.3\t"
            "TLS_AES_128_GCM_SHA256\t%s\tHTTP/1.1\t-\t-\n",
            m ? "200" : "403", m ? "Miss" : "Error", m ? "M" : "S", i, m ? "0.130" : "0.150",
            m ? "Miss" : "Error");
        tu_buf_add(&b, l);
    }
    char *f = write_file("10.eeee0009", &b);
    const char *dc =
        "{\"CallerReference\": \"x\", \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
        " \"Origins\": {\"Quantity\": 2, \"Items\": [{\"Id\": \"s3\","
        "   \"DomainName\": \"bucket.s3.us-east-1.amazonaws.com\", \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"}},"
        "   {\"Id\": \"web\", \"DomainName\": \"app.example.com\", \"CustomOriginConfig\": {\"HTTPPort\": 80}}]},"
        " \"OriginGroups\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"g\", \"FailoverCriteria\": {\"StatusCodes\":"
        "   {\"Quantity\": 1, \"Items\": [500]}}, \"Members\": {\"Quantity\": 2, \"Items\": ["
        "   {\"OriginId\": \"s3\"}, {\"OriginId\": \"web\"}]}}]},"
        " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"g\","
        "   \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0}, \"ViewerProtocolPolicy\": \"allow-all\"},"
        " \"WebACLId\": \"\", \"Enabled\": true}";
    char *cfg = tu_write_config(g_dir, DIST ".json", dc, 1, NULL);
    char args[4096];
    snprintf(args, sizeof args, "requests %%s --config %s -q --status 403 --fields x-edge-request-id", cfg);
    char *tsv = run_ok(args, f, NULL);
    cr_expect_str_eq(full_row(tsv, "S24"),
                     "unknown\tpossible\tlatency_origin_unknown_kind\torigin_s3|origin_custom", "%s", tsv);
    free(tsv);
    char *waf = allow_record("waf9.log");
    snprintf(args, sizeof args, "scan %%s --config %s --waf-logs %s -q --brief", cfg, waf);
    char *txt = run_ok(args, f, NULL);
    cr_expect(strstr(txt, "No option settles them: requests --cause unknown") != NULL, "%s", txt);
    free(txt);
    snprintf(args, sizeof args, "scan %%s --config %s --waf-logs %s -q", cfg, waf);
    txt = run_ok(args, f, NULL);
    cr_expect(strstr(txt, "  What would settle it:\n") == NULL, "no list to point to: %s", txt);
    cr_expect(strstr(txt, "cfscan requests --cause unknown lists them") != NULL, "%s", txt);
    cr_expect(strstr(txt, "get-distribution-config)") == NULL, "%s", txt);
    free(txt);
    free(waf);
    free(cfg);
    free(f);
    free(b.p);
}

/* An undecided verdict's candidates leave out the causes its own line, or a config that
 * held when the line was written, rules out; its rule is the same.  Legacy 26-field lines
 * (edge_blind: no detailed result type, no content type), edge-fast Errors of one
 * distribution:
 *   T1 GET over https: neither https_required nor method_not_allowed; a GET may be a
 *      cached copy this layout cannot show, so the origin stays (ambiguous);
 *   T2 POST over plain http: both stay (nothing says the behavior allows POST or http);
 *   T3 PUT over http with x-host-header equal to cs(Host): the viewer used the
 *      distribution's own cloudfront.net name, so no cname_not_associated.
 * Then a config (allow-all, every method allowed, no signers, alias www.example.com, no
 * Restrictions, no web ACL) modified after the lines: it may not have held then, so only
 * what the lines say narrows them (and WAF stays, as the rule says); the same config
 * without LastModifiedTime leaves each line geo restriction (the config does not say)
 * and the refusals without a cause of their own.  A summary of the scan, merged, keeps
 * the narrowed candidates (state.cfs stores them). */
Test(edge_fast, candidates_leave_out_what_the_line_rules_out)
{
    tu_buf b = {0};
    tu_buf_add(&b, LEGACY26_HEADER);
    const struct {
        const char *id, *method, *host, *proto;
    } t[] = {{"T1", "GET", "www.example.com", "https"},
             {"T2", "POST", "www.example.com", "http"},
             {"T3", "PUT", "d111111abcdef8.cloudfront.net", "http"}};
    for (size_t j = 0; j < sizeof t / sizeof t[0]; j++) {
        char l[1024];
        snprintf(
            l, sizeof l,
            "2026-11-01\t10:00:05\tFRA56-P1\t1200\t192.0.2.1\t%s\td111111abcdef8.cloudfront.net\t/t\t403\t-\t"
            "curl/8.0\t-\t-\tError\t%s\t%s\t%s\t120\t0.001\t-\t-\t-\tError\tHTTP/1.1\t-\t-\n",
            t[j].method, t[j].id, t[j].host, t[j].proto);
        tu_buf_add(&b, l);
    }
    char *f = write_file("10.eeee0002", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "T1"),
                     "unknown\tpossible\tlatency_ambiguous_blind_unknown_origin\t" ANY_EDGE_HTTPS_GET_OR_COPY,
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "T2"),
                     "unknown\tpossible\tlatency_edge_blind\tgeo_restriction|waf_block|signed_url_missing|"
                     "signed_url_expired|signed_url_invalid|https_required|method_not_allowed|"
                     "cname_not_associated|edge_other",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "T3"),
                     "unknown\tpossible\tlatency_edge_blind\tgeo_restriction|waf_block|signed_url_missing|"
                     "signed_url_expired|signed_url_invalid|https_required|method_not_allowed|edge_other",
                     "%s", tsv);
    free(tsv);
    const char *all =
        "7, \"Items\": [\"HEAD\", \"DELETE\", \"POST\", \"GET\", \"OPTIONS\", \"PUT\", \"PATCH\"]";
    char *cfg = s3_config(all, "\"LastModifiedTime\": \"2026-11-02T00:00:00Z\",");
    char args[4096];
    snprintf(args, sizeof args, "requests %%s --config %s -q --status 403 --fields x-edge-request-id", cfg);
    tsv = run_ok(args, f, NULL);
    cr_expect_str_eq(full_row(tsv, "T1"),
                     "unknown\tpossible\tlatency_ambiguous_blind_unknown_origin\t" ANY_EDGE_HTTPS_GET_OR_COPY,
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "T3"),
                     "unknown\tpossible\tlatency_edge_blind\tgeo_restriction|waf_block|signed_url_missing|"
                     "signed_url_expired|signed_url_invalid|https_required|method_not_allowed|edge_other",
                     "%s", tsv);
    free(tsv);
    free(cfg);
    cfg = s3_config(all, NULL);
    snprintf(args, sizeof args, "requests %%s --config %s -q --status 403 --fields x-edge-request-id", cfg);
    tsv = run_ok(args, f, NULL);
    cr_expect_str_eq(
        full_row(tsv, "T1"),
        "unknown\tpossible\tlatency_ambiguous_blind_no_waf_s3\tgeo_restriction|origin_s3|edge_other", "%s",
        tsv);
    for (int i = 1; i < 3; i++) /* POST and PUT are never answered from the cache */
        cr_expect_str_eq(full_row(tsv, t[i].id),
                         "unknown\tpossible\tlatency_edge_blind_no_waf\tgeo_restriction|edge_other", "%s",
                         tsv);
    free(tsv);
    /* the scan's JSON counts the narrowed sets, and a summary keeps them through a merge */
    snprintf(args, sizeof args, "scan %%s --config %s -q --format json", cfg);
    char *js = run_ok(args, f, NULL);
    const char *want = "\"candidates\":{\"geo_restriction|edge_other\":2";
    /* T1, kept undecided with the origin through the summary's held-back record (its
     * event key says the layout cannot show a copy: state schema 10) */
    const char *want_t1 = "\"geo_restriction|origin_s3|edge_other\":1";
    cr_expect(strstr(js, want) != NULL, "%s", js);
    cr_expect(strstr(js, want_t1) != NULL, "%s", js);
    free(js);
    char out[600];
    snprintf(out, sizeof out, "%s/narrow_sum", g_dir);
    snprintf(args, sizeof args, "scan %%s --config %s -q -o %s", cfg, out);
    free(run_ok(args, f, NULL));
    char *m = NULL;
    cr_assert_eq(tu_sh(&m, NULL, "%s merge %s -o %s_m -q --format json", tu_prog("cfscan"), out, out), 0);
    cr_expect(strstr(m, want) != NULL, "%s", m);
    cr_expect(strstr(m, want_t1) != NULL, "%s", m);
    free(m);
    free(cfg);
    free(f);
    free(b.p);
}

/* The same v2 fields less sc-content-type and sc-content-len, and no config:
 *   V3 Error 403, origin-fbl 0.050 -> the origin answered (§2), but neither a content type
 *      (S3's application/xml, §5.1) nor a config says which kind: S3 or custom, undecided;
 *   V4 Error 403, origin-fbl '-', 40 ms -> '-' and the latency disagree (v2_origin_fbl):
 *      between the zones, undecided between any edge refusal the detailed result type
 *      (plain Error) does not rule out (without the content type a signed-URL refusal
 *      shows no text/xml, §5.4) and either kind of origin (no config, no content type);
 *   V6 Error 403, origin-fbl '-', 3 ms -> an edge refusal or a cached copy of an origin 403
 *      (the layout cannot show one, §4): undecided among all of those. */
Test(edge_fast, v2_without_content_type)
{
    tu_buf b = {0};
    tu_buf_add(
        &b, "#Fields: date time x-edge-location sc-status cs-method cs-uri-stem x-host-header "
            "cs-protocol time-taken time-to-first-byte x-edge-result-type x-edge-response-result-type "
            "x-edge-detailed-result-type x-edge-request-id origin-fbl origin-lbl cs(Host) c-ip sc-bytes\n");
    for (int i = 0; i < 24; i++)
        tu_buf_add(
            &b, "2026-11-01\t10:00:00\tFRA56-P1\t200\tGET\t/p\twww.example.com\thttps\t0.130\t0.120\tMiss\t"
                "Miss\tMiss\tM\t0.110\t0.120\td1.cloudfront.net\t192.0.2.1\t5200\n");
    tu_buf_add(&b,
               "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/v3\twww.example.com\thttps\t0.060\t0.060\tError\t"
               "Error\tError\tV3\t0.050\t0.055\td1.cloudfront.net\t192.0.2.1\t1200\n");
    tu_buf_add(&b,
               "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/v4\twww.example.com\thttps\t0.040\t0.040\tError\t"
               "Error\tError\tV4\t-\t-\td1.cloudfront.net\t192.0.2.1\t1200\n");
    tu_buf_add(&b,
               "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t/v6\twww.example.com\thttps\t0.003\t0.003\tError\t"
               "Error\tError\tV6\t-\t-\td1.cloudfront.net\t192.0.2.1\t1200\n");
    char *f = write_file("10.cccc0002", &b);
    char *tsv = run_ok("requests %s %s -q --status 403 --fields x-edge-request-id", f, NULL);
    cr_expect_str_eq(full_row(tsv, "V3"),
                     "unknown\tpossible\torigin_first_byte_logged_unknown_kind\torigin_s3|origin_custom",
                     "%s", tsv);
    /* an https GET whose detailed result type is logged (Error, not ClientGeoBlocked):
     * neither geo, https_required nor method_not_allowed */
    cr_expect_str_eq(full_row(tsv, "V4"),
                     "unknown\tpossible\tlatency_ambiguous_blind_unknown_origin\twaf_block|"
                     "signed_url_missing|signed_url_expired|signed_url_invalid|"
                     "cname_not_associated|origin_s3|origin_custom|edge_other",
                     "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "V6"),
                     "unknown\tpossible\tlatency_ambiguous_blind_unknown_origin\twaf_block|"
                     "signed_url_missing|signed_url_expired|signed_url_invalid|"
                     "cname_not_associated|origin_s3|origin_custom|edge_other",
                     "%s", tsv);
    free(tsv);
    free(f);
    free(b.p);
}

/* Review of 2026-12-07: a rule that names an edge refusal from the config or from a [?]
 * signature does not fire on a line the origin evidently answered, and a line the config
 * and the body disagree on is not given to either with more than the evidence allows.
 * v2 fields with origin-fbl, a config (get-distribution: S3 origin, /secure/ paths restricted,
  * /https/ paths HTTPS only, geo block of KP, a web ACL, cookies logged), a reference of 120 ms:
 *   F1 /secure, text/xml, an expired signer, origin-fbl 0.020 -> the origin was asked, so
 *      no signer refusal: origin_first_byte_logged_s3 (was signed_query_expired, confirmed,
 *      beside the origin's own confirmed rule);
 *   F2 /https over http, origin-fbl 0.020 -> the origin's (was https_only_behavior_http);
 *   G1 c-country KP, application/xml, 1 ms -> geo, but S3's body (§5.1 [3p/?]) disagrees
 *      with it: possible (review of 2026-12-08; before, s3_xml_body confirmed, and before
 *      that geo likely: the body's type is no proof against the refusal the config and
 *      the country show, nor they against it);
 *   G2 c-country KP, text/html, 80 ms -> the origin's by its latency (was geo);
 *   G3 c-country KP, text/html, 1 ms -> geo, likely (c_country_geo_restricted);
 *   G5 c-country KP, text/html, 500 ms, origin-fbl '-' -> its own latency is the origin's,
 *      '-' says the origin was not asked: no geo verdict; between the zones, undecided;
 *   G4 c-country KP, application/json, 1 ms -> not CloudFront's page: a WAF custom response
 *      or the origin's (edge-fast with a web ACL, undecided); behind a custom 403 page that
 *      is JSON, the type says nothing: geo again;
 *   H1 x-host-header not an alias, 60 ms -> the origin's (was host_not_associated);
 *   H2 the same, 1 ms -> host_not_associated, likely.
 * Without the config:
 *   S1 text/xml, an expired signer, 80 ms -> not CloudFront's refusal, which takes no
 *      origin round trip (§5.1): the origin's by its latency (was signed_query_expired,
 *      confirmed);
 *   S2 the same at 1 ms -> signed_query_expired, likely: without a config nothing shows the
 *      behavior checks signers (review of 2026-12-08). */
Test(edge_fast, edge_refusals_not_named_where_the_origin_answered)
{
    /* two files: with origin-fbl (the F lines, and G1, G3, H2) and without it (G2, H1, S1,
     * S2: a line timed by its own latency alone, as the legacy layouts are) */
    tu_buf b[2] = {{0}, {0}};
    for (int k = 0; k < 2; k++) {
        tu_buf_add(&b[k],
                   k == 0 ? "#Fields: date time x-edge-location sc-status cs-method cs-uri-stem cs-uri-query "
                            "x-host-header cs-protocol time-taken time-to-first-byte x-edge-result-type "
                            "x-edge-response-result-type x-edge-detailed-result-type x-edge-request-id "
                            "sc-content-type sc-content-len origin-fbl c-country cs(Cookie) cs(Host) c-ip "
                            "sc-bytes\n"
                          : "#Fields: date time x-edge-location sc-status cs-method cs-uri-stem cs-uri-query "
                            "x-host-header cs-protocol time-taken time-to-first-byte x-edge-result-type "
                            "x-edge-response-result-type x-edge-detailed-result-type x-edge-request-id "
                            "sc-content-type sc-content-len c-country cs(Cookie) cs(Host) c-ip sc-bytes\n");
        for (int i = 0; i < 24; i++) {
            char line[512];
            snprintf(line, sizeof line,
                     "2026-11-01\t10:00:00\tFRA56-P1\t200\tGET\t/p\t-\twww.example.com\thttps\t0.130\t0.120\t"
                     "Miss\tMiss\tMiss\tM\ttext/html\t5000\t%sDE\ta=b\td111111abcdef8.cloudfront.net\t"
                     "192.0.2.1\t5200\n",
                     k == 0 ? "0.110\t" : "");
            tu_buf_add(&b[k], line);
        }
    }
    static const struct {
        const char *id, *uri, *query, *host, *proto, *secs, *drt, *ct, *fbl, *country;
    } l[] = {
        {"F1", "/secure/f1", "Expires=1600000000&Signature=a&Key-Pair-Id=K2JCJMDEHXQW5F", "www.example.com",
         "https", "0.001", "Error", "text/xml", "0.020", "DE"},
        {"F2", "/https/f2", "-", "www.example.com", "http", "0.001", "Error", "text/html", "0.020", "DE"},
        {"G1", "/g1", "-", "www.example.com", "https", "0.001", "-", "application/xml", "-", "KP"},
        {"G2", "/g2", "-", "www.example.com", "https", "0.080", "-", "text/html", NULL, "KP"},
        {"G3", "/g3", "-", "www.example.com", "https", "0.001", "-", "text/html", "-", "KP"},
        {"H1", "/h1", "-", "evil.example.net", "https", "0.060", "Error", "text/html", NULL, "DE"},
        {"H2", "/h2", "-", "evil.example.net", "https", "0.001", "Error", "text/html", "-", "DE"},
        {"S1", "/s1", "Expires=1600000000&Signature=a&Key-Pair-Id=K2JCJMDEHXQW5F", "www.example.com", "https",
         "0.080", "Error", "text/xml", NULL, "DE"},
        {"S2", "/s2", "Expires=1600000000&Signature=a&Key-Pair-Id=K2JCJMDEHXQW5F", "www.example.com", "https",
         "0.001", "Error", "text/xml", NULL, "DE"},
        {"G4", "/g4", "-", "www.example.com", "https", "0.001", "-", "application/json", "-", "KP"},
        {"G5", "/g5", "-", "www.example.com", "https", "0.500", "-", "text/html", "-", "KP"},
    };
    for (size_t i = 0; i < sizeof l / sizeof l[0]; i++) {
        char line[1024], fbl[32] = "";
        if (l[i].fbl) snprintf(fbl, sizeof fbl, "%s\t", l[i].fbl);
        snprintf(
            line, sizeof line,
            "2026-11-01\t10:00:01\tFRA56-P1\t403\tGET\t%s\t%s\t%s\t%s\t%s\t%s\tError\tError\t%s\t%s\t%s\t"
            "919\t%s%s\ta=b\td111111abcdef8.cloudfront.net\t192.0.2.1\t1200\n",
            l[i].uri, l[i].query, l[i].host, l[i].proto, l[i].secs, l[i].secs, l[i].drt, l[i].id, l[i].ct,
            fbl, l[i].country);
        tu_buf_add(&b[l[i].fbl ? 0 : 1], line);
    }
    char *f = write_file("10.ffff0001", &b[0]), *f2 = write_file("10.ffff0002", &b[1]);
    const char *dc =
        "{\"CallerReference\": \"x\", \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
        " \"Origins\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"s3\","
        "   \"DomainName\": \"bucket.s3.us-east-1.amazonaws.com\","
        "   \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"}}]},"
        " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"allow-all\","
        "   \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0}},"
        " \"CacheBehaviors\": {\"Quantity\": 2, \"Items\": ["
        "   {\"PathPattern\": \"/secure/*\", \"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"allow-all\","
        "    \"TrustedKeyGroups\": {\"Enabled\": true, \"Quantity\": 1, \"Items\": [\"kg\"]}},"
        "   {\"PathPattern\": \"/https/*\", \"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"https-only\","
        "    \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0}}]},"
        " \"Logging\": {\"Enabled\": true, \"IncludeCookies\": true, \"Bucket\": \"l.s3.amazonaws.com\","
        "   \"Prefix\": \"\"},"
        " \"Restrictions\": {\"GeoRestriction\": {\"RestrictionType\": \"blacklist\", \"Quantity\": 1,"
        "   \"Items\": [\"KP\"]}},"
        " \"WebACLId\": \"arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1\", \"Enabled\": true}";
    char *cfg = tu_write_config(g_dir, DIST ".json", dc, 1, NULL);
    char args[4096];
    snprintf(args, sizeof args, "requests %%s %s --config %s -q --status 403 --fields x-edge-request-id", f2,
             cfg);
    char *tsv = run_ok(args, f, NULL);
    cr_expect_str_eq(full_row(tsv, "F1"), "origin_s3\tconfirmed\torigin_first_byte_logged_s3\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "F2"), "origin_s3\tconfirmed\torigin_first_byte_logged_s3\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "G1"), "geo_restriction\tpossible\tc_country_geo_restricted\t-", "%s",
                     tsv);
    cr_expect_str_eq(full_row(tsv, "G2"), "origin_s3\tlikely\tlatency_origin_s3\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "G3"), "geo_restriction\tlikely\tc_country_geo_restricted\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "H1"), "origin_s3\tlikely\tlatency_origin_s3\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "H2"), "cname_not_associated\tlikely\thost_not_associated\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "G4"),
                     "unknown\tpossible\tlatency_edge_custom_body_s3\twaf_block|origin_s3", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "G5"), "unknown\tpossible\tlatency_ambiguous_s3\twaf_block|origin_s3",
                     "%s", tsv);
    free(tsv);
    /* A custom 403 page (a JSON document) gives every 403 its type, geo blocks included:
     * there a JSON body says nothing against the geo refusal (G4). */
    char *dc_page = malloc(strlen(dc) + 512);
    cr_assert_not_null(dc_page);
    snprintf(dc_page, strlen(dc) + 512,
             "%.*s, \"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": [{\"ErrorCode\": 403,"
             " \"ResponsePagePath\": \"/errors/403.json\", \"ResponseCode\": \"403\"}]}}",
             (int)(strlen(dc) - 1), dc);
    char *cfg_page = tu_write_config(g_dir, "page.json", dc_page, 1, NULL);
    snprintf(args, sizeof args, "requests %%s --config %s -q --status 403 --fields x-edge-request-id",
             cfg_page);
    tsv = run_ok(args, f, NULL);
    cr_expect_str_eq(full_row(tsv, "G4"), "geo_restriction\tlikely\tc_country_geo_restricted\t-", "%s", tsv);
    free(tsv);
    free(cfg_page);
    free(dc_page);
    tsv = run_ok("requests %s -q --status 403 --fields x-edge-request-id", f2, NULL);
    cr_expect_str_eq(full_row(tsv, "S1"), "origin_custom\tlikely\tlatency_origin_custom\t-", "%s", tsv);
    cr_expect_str_eq(full_row(tsv, "S2"), "signed_url_expired\tlikely\tsigned_query_expired\t-", "%s", tsv);
    free(tsv);
    free(cfg);
    free(f);
    free(f2);
    free(b[0].p);
    free(b[1].p);
}
