/* The origin-fetch reference of the edge-versus-origin latency test (issue 10, item 9 and
 * "Edge versus origin, redone"), against hand-written lines whose expected reference is
 * computed by hand in the comments: only 2xx/3xx Miss responses count (no 304, no 4xx/5xx,
 * no RefreshHit, no ws/wss), measured by time-to-first-byte where the line has it, and a
 * provisional 403 is judged by the same measure.  Drives the built `cfscan`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/util.h"

/* Lines from tests/util_log.c; with ttfb 0 the layout has no time-to-first-byte. */
typedef struct logbuf {
    tu_buf t;
    int ttfb; /* the layout has time-to-first-byte */
} logbuf;

static const char *ttfb_omitted(const logbuf *b) { return b->ttfb ? NULL : "time-to-first-byte"; }

static void lb_header(logbuf *b, int ttfb)
{
    b->ttfb = ttfb;
    tu_log_header_omit(&b->t, ttfb_omitted(b));
}

/* cs-uri-stem of the next lines when set (/index.html otherwise) */
static const char *g_uri;

/* One line: status, result type (edge, response and detailed alike), protocol,
 * time-taken and time-to-first-byte in ms, request id.  An Error 403 gets CloudFront's
 * HTML page (text/html), as §5.1 describes the edge's own 403. */
static void lb_line(logbuf *b, const char *status, const char *result, const char *proto, unsigned tt_ms,
                    unsigned ttfb_ms, const char *id)
{
    char tt[32], fb[32];
    snprintf(tt, sizeof tt, "%u.%03u", tt_ms / 1000, tt_ms % 1000);
    snprintf(fb, sizeof fb, "%u.%03u", ttfb_ms / 1000, ttfb_ms % 1000);
    /* clang-format off */
    tu_kv o[] = {{"sc-status", status}, {"x-edge-result-type", result}, {"x-edge-response-result-type", result},
                 {"x-edge-detailed-result-type", result}, {"x-edge-request-id", id}, {"cs-protocol", proto},
                 {"time-taken", tt}, {"time-to-first-byte", fb}, {"cs-uri-stem", g_uri ? g_uri : "/index.html"},
                 {NULL, NULL}};
    /* clang-format on */
    tu_log_line_omit(&b->t, ttfb_omitted(b), NULL, o);
}

static char *g_dir;
static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void) { tu_rmrf(g_dir); }
TestSuite(origin_reference, .init = setup, .fini = teardown);

/* The distribution of the first tests.  Qualifying for the reference (2xx/3xx Miss, not
 * 304, not ws/wss):
 *   24 ordinary fetches, TTFB 60..83 ms (time-taken TTFB + 10);
 *    4 large downloads, TTFB 40, 45, 50, 55 ms, time-taken 5, 10, 20, 30 s.
 * 28 samples; nearest-rank p25 = the ceil(0.25 * 28) = 7th smallest TTFB:
 *   40 45 50 55 60 61 62 -> 62 ms.  Edge threshold max(62 / 3, 4) = 20 ms.
 * Not qualifying, with odd timings (fast, so they would drag a pooled p25 down):
 *    5 x 304 Miss, 1 ms; 5 x 504 Miss, 3 ms; 2 x RefreshHit 200, 5 ms;
 *    2 x ws 200 Miss and 3 x wss 101 Miss (WebSocket closes): TTFB 1 ms, 600 s.
 * Pooled by time-taken as before, the 45 samples' 12th smallest (ceil(11.25)) is among
 * the 12 fast ones (5 ms): a reference under 12 ms, unusable, so the 403s would fall to
 * the absolute limits (possible) and the third one below would be judged by its 90 ms.
 * The provisional 403s (Error, CloudFront's HTML page, web ACL unknown):
 *   E1: TTFB 2 ms, time-taken 2 ms      -> 2 < 20: edge, WAF block (likely);
 *   E2: TTFB 150 ms, time-taken 150 ms  -> origin (custom origin, likely);
 *   E3: TTFB 5 ms, time-taken 90 ms     -> by TTFB 5 < 20: edge (likely). */
static void mixed_lines(logbuf *b)
{
    char id[16];
    for (unsigned i = 0; i < 24; i++) {
        snprintf(id, sizeof id, "M%02u", i);
        lb_line(b, "200", "Miss", "https", 70 + i, 60 + i, id);
    }
    static const unsigned big_tt[4] = {5000, 10000, 20000, 30000}, big_fb[4] = {40, 45, 50, 55};
    for (unsigned i = 0; i < 4; i++) {
        snprintf(id, sizeof id, "B%u", i);
        lb_line(b, "200", "Miss", "https", big_tt[i], big_fb[i], id);
    }
    for (unsigned i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "N%u", i);
        lb_line(b, "304", "Miss", "https", 1, 1, id);
        snprintf(id, sizeof id, "X%u", i);
        lb_line(b, "504", "Miss", "https", 3, 3, id);
    }
    lb_line(b, "200", "RefreshHit", "https", 5, 5, "H0");
    lb_line(b, "200", "RefreshHit", "https", 5, 5, "H1");
    lb_line(b, "200", "Miss", "ws", 600000, 1, "W0");
    lb_line(b, "200", "Miss", "ws", 600000, 1, "W1");
    for (unsigned i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "S%u", i);
        lb_line(b, "101", "Miss", "wss", 600000, 1, id);
    }
    lb_line(b, "403", "Error", "https", 2, 2, "E1");
    /* another URI: a fast 403 of E2's URI and body within the error-caching TTL would be a
     * copy of its 403 from CloudFront's cache (cached_origin_403, tests/test_edge_fast.c) */
    g_uri = "/api/other";
    lb_line(b, "403", "Error", "https", 150, 150, "E2");
    g_uri = NULL;
    lb_line(b, "403", "Error", "https", 90, 5, "E3");
}

static char *write_log(const logbuf *b)
{
    return tu_write(g_dir, "E1TESTDIST0001.2026-11-01-10.abcd1234.log", b->t.p, b->t.n);
}

static char *run_ok(const char *cmd)
{
    char *out = NULL, *err = NULL;
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, err ? err : "");
    free(err);
    return out;
}

/* `cfscan scan --format json` with -jN. */
static char *scan_json(const char *log, int threads)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s scan %s -q --format json -j%d", tu_prog("cfscan"), log, threads);
    return run_ok(cmd);
}

/* "cause\tevidence\trule" of request id in a `requests` TSV ("" when absent). */
#define row(tsv, id) tu_tsv_row((tsv), (id))

Test(origin_reference, p25_of_qualifying_misses_by_ttfb)
{
    logbuf b = {0};
    lb_header(&b, 1);
    mixed_lines(&b);
    char *log = write_log(&b);
    char *j1 = scan_json(log, 1), *j2 = scan_json(log, 2);
    cr_expect(strstr(j1, "\"origin_reference_ms\":62,\"origin_fetches\":28,"
                         "\"origin_reference_measure\":\"time_to_first_byte\"") != NULL,
              "reference 62 ms from 28 fetches by TTFB expected:\n%s", j1);
    cr_expect_str_eq(j1, j2, "-j1 and -j2 differ");
    free(j1);
    free(j2);

    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s scan %s -q -j2", tu_prog("cfscan"), log);
    char *txt = run_ok(cmd);
    cr_expect(strstr(txt, "Origin-fetch reference: 62 ms from 28 2xx/3xx Miss responses, "
                          "measured by time_to_first_byte") != NULL,
              "text report:\n%s", txt);
    free(txt);
    free(log);
    free(b.t.p);
}

Test(origin_reference, provisional_403s_judged_by_ttfb)
{
    logbuf b = {0};
    lb_header(&b, 1);
    mixed_lines(&b);
    char *log = write_log(&b);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s requests %s -q --status 403 --fields x-edge-request-id", tu_prog("cfscan"),
             log);
    char *tsv = run_ok(cmd);
    cr_expect_str_eq(row(tsv, "E1"), "waf_block\tlikely\tlatency_edge_waf", "%s", tsv);
    cr_expect_str_eq(row(tsv, "E2"), "origin_custom\tlikely\tlatency_origin_custom", "%s", tsv);
    cr_expect_str_eq(row(tsv, "E3"), "waf_block\tlikely\tlatency_edge_waf", "%s", tsv);
    free(tsv);

    /* The aggregated report settles the same way (latency classes of the same measure):
     * two WAF blocks and one origin 403. */
    char *j = scan_json(log, 2);
    cr_expect(strstr(j, "latency_edge_waf") != NULL, "%s", j);
    cr_expect(strstr(j, "latency_origin_custom") != NULL, "%s", j);
    cr_expect(strstr(j, "latency_edge_waf_absolute") == NULL, "%s", j);
    cr_expect(strstr(j, "latency_origin_custom_absolute") == NULL, "%s", j);
    free(j);
    free(log);
    free(b.t.p);
}

/* Without the time-to-first-byte field the reference falls back to time-taken:
 * 24 fetches at 70..93 ms plus the 4 downloads (5-30 s) = 28; 7th smallest time-taken =
 * 76 ms (70..75 are the six below it).  The 304/5xx/ws lines stay out. */
Test(origin_reference, time_taken_without_ttfb_field)
{
    logbuf b = {0};
    lb_header(&b, 0);
    mixed_lines(&b);
    char *log = write_log(&b);
    char *j = scan_json(log, 2);
    cr_expect(strstr(j, "\"origin_reference_ms\":76,\"origin_fetches\":28,"
                        "\"origin_reference_measure\":\"time_taken\"") != NULL,
              "reference 76 ms from 28 fetches by time-taken expected:\n%s", j);
    free(j);
    free(log);
    free(b.t.p);
}

/* An origin as fast as the edge (30 Misses at 0 ms: a first quartile under 1 ms) has a
 * reference, 1 ms, too small to tell the zones apart: an edge-fast 403 is undecided
 * (latency_ambiguous), as under any reference below 12 ms.  Only too few fetches (10) leave
 * none, and the zones alone decide (latency_edge_waf_absolute, possible).  A 0 ms
 * quartile read as "none" judged that faster origin's 403s as the edge's. */
Test(origin_reference, an_origin_as_fast_as_the_edge_is_a_reference)
{
    static const struct {
        unsigned n;
        const char *ref, *row;
    } c[] = {{30, "Origin-fetch reference: 1 ms from 30 ", "unknown\tpossible\tlatency_ambiguous"},
             {10, "Origin-fetch reference: too few 2xx/3xx Miss responses (10,",
              "waf_block\tpossible\tlatency_edge_waf_absolute"}};
    for (size_t k = 0; k < 2; k++) {
        logbuf b = {0};
        lb_header(&b, 1);
        char id[16];
        for (unsigned i = 0; i < c[k].n; i++) {
            snprintf(id, sizeof id, "M%02u", i);
            lb_line(&b, "200", "Miss", "https", 0, 0, id);
        }
        lb_line(&b, "403", "Error", "https", 2, 2, "E1");
        char *log = write_log(&b);
        free(b.t.p);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "%s scan %s -q", tu_prog("cfscan"), log);
        char *out = run_ok(cmd);
        cr_assert(strstr(out, c[k].ref), "%s", out);
        free(out);
        snprintf(cmd, sizeof cmd, "%s requests %s -q --status 403 --fields x-edge-request-id",
                 tu_prog("cfscan"), log);
        out = run_ok(cmd);
        cr_assert(strncmp(row(out, "E1"), c[k].row, strlen(c[k].row)) == 0, "%zu: %s", k, out);
        free(out);
        free(log);
    }
}
