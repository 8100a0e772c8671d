/* Issue 10 item 4, custom error pages: hand-written distribution configs with
 * CustomErrorResponses (in both the get-distribution and the get-distribution-config
 * shape) and hand-written log lines, run through the built `cfscan scan` / `cfscan
 * requests`.  Expected counts are worked out by hand from the lines written here:
 *  - a 403 remapped to another status (200 for single-page apps, 404) is logged with that
 *    status and result type Error; such lines are counted per distribution as hidden_403,
 *    without touching the status counts;
 *  - with a custom 403 page every 403 carries the page's type, so verdicts that rest on the
 *    content type alone are at most possible;
 *  - the report says what was read from the config;
 *  - behind a custom 403 page, signed-URL refusals on a restricted behavior are told by the
 *    config and the signer, since the page hides CloudFront's text/xml refusal. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/util.h"

/* Lines from tests/util_log.c, based on a 200 served from the cache over https. */
typedef tu_kv kv;
static const kv k_hit[] = {{"cs-uri-stem", "/app/page"},           {"sc-status", "200"},
                           {"x-edge-result-type", "Hit"},          {"x-edge-response-result-type", "Hit"},
                           {"x-edge-detailed-result-type", "Hit"}, {NULL, NULL}};

static tu_buf g_buf;
#define g_log g_buf.p
#define g_n g_buf.n
static char *g_dir;

static void header(void)
{
    g_buf.n = 0;
    tu_log_header(&g_buf);
}

static void line(const kv *over) { tu_log_line(&g_buf, k_hit, over); }

/* n lines of one kind, request ids prefix00, prefix01, ... */
static void lines(int n, const char *prefix, const kv *over)
{
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "%s%02d", prefix, i);
        kv o[16];
        size_t k = 0;
        for (const kv *p = over; p && p->k && k < 14; p++) o[k++] = *p;
        o[k++] = (kv){"x-edge-request-id", id};
        o[k] = (kv){NULL, NULL};
        line(o);
    }
}

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void) { tu_rmrf(g_dir); }
TestSuite(custom_errors, .init = setup, .fini = teardown);

/* A config with one S3 REST origin, a behavior for the /private/ paths restricted to a trusted key
 * group, cookies logged or not, the given web ACL ("" for none) and CustomErrorResponses object
 * (JSON text, "" for none), as get-distribution (with Id and DomainName) or
 * get-distribution-config prints it (then the id comes from the file name
 * E1TESTDIST0001.json). */
static char *write_config_as(const char *name, const char *members, int with_distribution, const char *errors,
                             const char *web_acl, int cookies)
{
    char dc[4096];
    snprintf(dc, sizeof dc,
             "{\"CallerReference\": \"x\","
             " \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
             " \"DefaultRootObject\": \"index.html\","
             " \"Origins\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"s3\","
             "   \"DomainName\": \"bucket.s3.us-east-1.amazonaws.com\","
             "   \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"},"
             "   \"OriginAccessControlId\": \"oac1\"}]},"
             " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"s3\","
             "   \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0},"
             "   \"ViewerProtocolPolicy\": \"redirect-to-https\","
             "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}},"
             " \"CacheBehaviors\": {\"Quantity\": 1, \"Items\": [{\"PathPattern\": \"/private/*\","
             "   \"TargetOriginId\": \"s3\","
             "   \"TrustedKeyGroups\": {\"Enabled\": true, \"Quantity\": 1, \"Items\": [\"kg-1\"]},"
             "   \"ViewerProtocolPolicy\": \"redirect-to-https\","
             "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}}]},"
             " \"Logging\": {\"Enabled\": true, \"IncludeCookies\": %s,"
             "   \"Bucket\": \"logs.s3.amazonaws.com\", \"Prefix\": \"\"},"
             " %s%s"
             " \"WebACLId\": \"%s\", \"Enabled\": true}",
             cookies ? "true" : "false", errors, errors[0] ? "," : "", web_acl);
    return tu_write_config(g_dir, name, dc, with_distribution, members);
}
static char *write_config_acl(int with_distribution, const char *errors, const char *web_acl, int cookies)
{
    return write_config_as("E1TESTDIST0001.json", NULL, with_distribution, errors, web_acl, cookies);
}
static char *write_config(int with_distribution, const char *errors)
{
    return write_config_acl(with_distribution, errors, "", 1);
}

#define REMAP_200                                                                            \
    "\"CustomErrorResponses\": {\"Quantity\": 2, \"Items\": ["                               \
    "{\"ErrorCode\": 404, \"ResponsePagePath\": \"/404.html\", \"ResponseCode\": \"404\","   \
    " \"ErrorCachingMinTTL\": 300},"                                                         \
    "{\"ErrorCode\": 403, \"ResponsePagePath\": \"/index.html\", \"ResponseCode\": \"200\"," \
    " \"ErrorCachingMinTTL\": 10}]}"
#define REMAP_404                                                                          \
    "\"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": ["                             \
    "{\"ErrorCode\": 403, \"ResponsePagePath\": \"/404.html\", \"ResponseCode\": \"404\"," \
    " \"ErrorCachingMinTTL\": 60}]}"
#define PAGE_403                                                                           \
    "\"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": ["                             \
    "{\"ErrorCode\": 403, \"ResponsePagePath\": \"/err.html\", \"ResponseCode\": \"403\"," \
    " \"ErrorCachingMinTTL\": 10}]}"
#define PAGE_403_EMPTY_CODE                                    \
    "\"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": [" \
    "{\"ErrorCode\": 403, \"ResponsePagePath\": \"/err.html\", \"ResponseCode\": \"\"}]}"

/* Run cfscan with a subcommand and arguments over the log; stdout returned. */
static char *run_cfscan(const char *sub, const char *args)
{
    char *log = tu_write(g_dir, "E1TESTDIST0001.2026-11-01-10.abcd1234.log", g_log, g_n);
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s %s %s -q %s", tu_prog("cfscan"), sub, log, args);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    free(err);
    free(log);
    return out;
}

#define HAS(hay, needle) cr_expect(strstr(hay, needle) != NULL, "missing %s in:\n%s", needle, hay)
#define HASNT(hay, needle) cr_expect(strstr(hay, needle) == NULL, "unexpected %s in:\n%s", needle, hay)

/* The SPA log: by hand, status 200 = 20 Hit + 3 Error (the remapped 403s) + 2 Error whose
 * response result type is Hit (viewers that went away mid-download, reference §4: no error
 * response) = 25; 404 = 2 Error (an Error with another status than the remap's is no
 * hidden 403); 403 = 1 (a real 403, e.g. one logged before the remap existed).
 * hidden_403 = 3. */
static void spa_log(void)
{
    header();
    lines(20, "H", NULL);
    kv err200[] = {{"x-edge-result-type", "Error"},
                   {"x-edge-response-result-type", "Error"},
                   {"x-edge-detailed-result-type", "Error"},
                   {NULL, NULL}};
    lines(3, "E", err200);
    kv gone200[] = {{"x-edge-result-type", "Error"},
                    {"x-edge-response-result-type", "Hit"},
                    {"x-edge-detailed-result-type", "Error"},
                    {NULL, NULL}};
    lines(2, "G", gone200);
    kv err404[] = {{"sc-status", "404"},
                   {"x-edge-result-type", "Error"},
                   {"x-edge-response-result-type", "Error"},
                   {"x-edge-detailed-result-type", "Error"},
                   {NULL, NULL}};
    lines(2, "N", err404);
    kv real403[] = {{"sc-status", "403"},
                    {"x-edge-result-type", "Error"},
                    {"x-edge-response-result-type", "Error"},
                    {"x-edge-detailed-result-type", "Error"},
                    {NULL, NULL}};
    lines(1, "F", real403);
}

Test(custom_errors, remap_to_200_counts_hidden_403s_get_distribution)
{
    spa_log();
    char *cfg = write_config(1, REMAP_200);
    char args[1024];
    snprintf(args, sizeof args, "--config %s --format json", cfg);
    char *js = run_cfscan("scan", args);
    HAS(js, "\"hidden_403\":3");
    /* status counts unchanged: the remapped lines stay 200s */
    HAS(js, "\"by_status\":{\"200\":25,\"403\":1,\"404\":2}");
    HAS(js, "\"hidden_403\":3,\"hidden_403_upper_bound\":false");
    HAS(js, "\"forbidden\":1,");
    HAS(js, "\"page\":\"/index.html\",\"response_code\":200,\"remapped\":true,\"custom_page\":false,"
            "\"error_caching_min_ttl\":10");
    free(js);

    snprintf(args, sizeof args, "--config %s", cfg);
    char *txt = run_cfscan("scan", args);
    HAS(txt, "config: 403 remapped to 200 via /index.html (TTL 10 s)");
    HAS(txt, "3 responses with result type Error and status 200 are 403s remapped by "
             "CustomErrorResponses (/index.html): the 403 count above does not include them");
    free(txt);
    free(cfg);
}

/* get-distribution-config shape (no Id: the id comes from the file name), remap to 404,
 * and no 403 line at all: the distribution still shows its 2 hidden 403s. */
Test(custom_errors, remap_to_404_get_distribution_config_no_403_lines)
{
    header();
    lines(5, "H", NULL);
    kv err404[] = {{"sc-status", "404"},
                   {"x-edge-result-type", "Error"},
                   {"x-edge-response-result-type", "Error"},
                   {"x-edge-detailed-result-type", "Error"},
                   {NULL, NULL}};
    lines(2, "N", err404);
    /* A Hit 404 (a cached remapped page) is not counted: the result type must be Error. */
    kv hit404[] = {{"sc-status", "404"}, {NULL, NULL}};
    lines(4, "C", hit404);
    char *cfg = write_config(0, REMAP_404);
    char args[1024];
    snprintf(args, sizeof args, "--config %s --format json", cfg);
    char *js = run_cfscan("scan", args);
    HAS(js, "\"hidden_403\":2,\"hidden_403_upper_bound\":true");
    HAS(js, "\"by_status\":{\"200\":5,\"404\":6}");
    free(js);
    snprintf(args, sizeof args, "--config %s", cfg);
    char *txt = run_cfscan("scan", args);
    HAS(txt, "config: 403 remapped to 404 via /404.html (TTL 60 s)");
    /* an origin's own 404 is logged alike: the count is an upper bound, and says so */
    HAS(txt, "up to 2 responses with result type Error and status 404 are 403s remapped by "
             "CustomErrorResponses (an origin's own 404 is logged alike)");
    free(txt);
    /* --brief lists the distribution too, though it has no 403 line (it said "No 403
     * responses in the scanned logs") */
    snprintf(args, sizeof args, "--config %s --brief", cfg);
    txt = run_cfscan("scan", args);
    HAS(txt, "E1TESTDIST0001: 0 of 11 requests were 403 (0.00%)");
    HAS(txt, "  and up to 2 403s remapped by CustomErrorResponses (result type Error, status 404)");
    HASNT(txt, "No 403 responses");
    free(txt);
    free(cfg);
}

/* Two versions of the config remap 403 to 404 (September) and to 200 (November): each
 * Error line is hidden by the one in force, and the report counts both and calls the count
 * an upper bound (a 404 is among them), without naming one status or page (it named the
 * last row's status, 200, and said exact). */
Test(custom_errors, versions_remapping_to_different_statuses)
{
    header();
    kv err404[] = {{"sc-status", "404"},
                   {"time", "04:00:00"},
                   {"x-edge-result-type", "Error"},
                   {"x-edge-response-result-type", "Error"},
                   {"x-edge-detailed-result-type", "Error"},
                   {NULL, NULL}};
    kv err200[] = {{"sc-status", "200"},
                   {"time", "10:00:00"},
                   {"x-edge-result-type", "Error"},
                   {"x-edge-response-result-type", "Error"},
                   {"x-edge-detailed-result-type", "Error"},
                   {NULL, NULL}};
    lines(1, "A", err404);
    lines(1, "B", err200);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/cfg", g_dir);
    cr_assert_eq(mkdir(dir, 0755), 0);
    free(write_config_as("cfg/E1TESTDIST0001.2026-09.json", "\"LastModifiedTime\": \"2026-09-01T00:00:00Z\",",
                         1, REMAP_404, "", 1));
    free(write_config_as("cfg/E1TESTDIST0001.2026-11.json", "\"LastModifiedTime\": \"2026-11-01T05:00:00Z\",",
                         1, REMAP_200, "", 1));
    char args[2048];
    snprintf(args, sizeof args, "--config %s --format json", dir);
    char *js = run_cfscan("scan", args);
    HAS(js, "\"hidden_403\":2,\"hidden_403_upper_bound\":true");
    free(js);
    snprintf(args, sizeof args, "--config %s", dir);
    char *txt = run_cfscan("scan", args);
    HAS(txt,
        "up to 2 responses with result type Error and the statuses the configs in force remap to are 403s "
        "remapped by CustomErrorResponses (an origin's own errors of those statuses are logged alike): the "
        "403 count above does not include them");
    free(txt);
    /* one status, but the latest version's page is no remap (a custom 403 page): the
     * line names no page (it named /err.html, which remapped nothing) */
    header();
    lines(1, "A", err404);
    free(write_config_as("cfg/E1TESTDIST0001.2026-11.json", "\"LastModifiedTime\": \"2026-11-01T05:00:00Z\",",
                         1, PAGE_403, "", 1));
    txt = run_cfscan("scan", args);
    HAS(txt,
        "up to 1 responses with result type Error and status 404 are 403s remapped by CustomErrorResponses (an "
        "origin's own 404 is logged alike): the 403 count above does not include them");
    HASNT(txt, "(/err.html)");
    free(txt);
}

/* An edge-fast 403 (the base line of tests/util_log.c) without a detailed result type,
 * of the geo page's length, at that time with that request id. */
static void geo_length_line(const char *time, const char *id)
{
    const kv o[] = {{"time", time},
                    {"x-edge-detailed-result-type", "-"},
                    {"sc-content-len", "1081"},
                    {"x-edge-request-id", id},
                    {NULL, NULL}};
    tu_log_line(&g_buf, NULL, o);
}

/* The held-back 403s are judged by the config version in force when each was written.
 * Three confirmed geo blocks (ClientGeoBlocked, 1081 bytes) teach the distribution's geo
 * page; a September version has no custom error page, a November one (from 05:00) a
 * custom 403 page.  G0 (04:30) and H0 (10:00), edge-fast with no detailed result type and
 * the geo page's length: G0's length names geo (learned_error_page), H0's proves nothing,
 * as every 403 of its time got the custom page.  Judged by the latest version, as before,
 * G0 lost its page too; and a summary of the scan, merged, judges them the same. */
Test(custom_errors, held_back_403s_judged_by_their_config_version)
{
    header();
    kv geo[] = {{"time", "04:00:00"},
                {"x-edge-detailed-result-type", "ClientGeoBlocked"},
                {"sc-content-len", "1081"},
                {NULL, NULL}};
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "P%d", i);
        geo[3] = (kv){"x-edge-request-id", id};
        kv o[5] = {geo[0], geo[1], geo[2], geo[3], {NULL, NULL}};
        tu_log_line(&g_buf, NULL, o);
    }
    geo_length_line("04:30:00", "G0");
    geo_length_line("10:00:00", "H0");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/cfgv", g_dir);
    cr_assert_eq(mkdir(dir, 0755), 0);
    free(write_config_as("cfgv/E1TESTDIST0001.2026-09.json",
                         "\"LastModifiedTime\": \"2026-09-01T00:00:00Z\",", 1, "", "", 1));
    free(write_config_as("cfgv/E1TESTDIST0001.2026-11.json",
                         "\"LastModifiedTime\": \"2026-11-01T05:00:00Z\",", 1, PAGE_403, "", 1));
    char args[2048];
    snprintf(args, sizeof args, "--config %s --status 403 --fields x-edge-request-id,cause,rule", dir);
    char *rows = run_cfscan("requests", args);
    HAS(rows, "\nG0\tgeo_restriction\tlearned_error_page\t");
    HAS(rows, "\nH0\t");
    HASNT(rows, "\nH0\tgeo_restriction");
    free(rows);
    /* scan -o, then merge: the held-back records keep their version's facts row */
    snprintf(args, sizeof args, "--config %s --format json -o %s/sumv", dir, g_dir);
    char *js = run_cfscan("scan", args);
    char cmd[2048], *m = NULL;
    snprintf(cmd, sizeof cmd, "%s merge %s/sumv -o %s/sumv_m -q --format json", tu_prog("cfscan"), g_dir,
             g_dir);
    cr_assert_eq(tu_run(cmd, &m, NULL), 0);
    HAS(js, "\"learned_error_page\":1");
    HAS(m, "\"learned_error_page\":1");
    free(m);
    free(js);
    /* A part scanned with only the November snapshot (a later day's, one line at 20:00)
     * merged with that summary: a version is known by its LastModifiedTime in every part,
     * so the November part's facts do not fold into September's and G0 keeps its page. */
    snprintf(dir, sizeof dir, "%s/cfgn", g_dir);
    cr_assert_eq(mkdir(dir, 0755), 0);
    free(write_config_as("cfgn/E1TESTDIST0001.2026-11.json",
                         "\"LastModifiedTime\": \"2026-11-01T05:00:00Z\",", 1, PAGE_403, "", 1));
    header();
    geo_length_line("20:00:00", "K0");
    char *log = tu_write(g_dir, "E1TESTDIST0001.2026-11-01-20.abcd5678.log", g_log, g_n);
    snprintf(cmd, sizeof cmd,
             "%s scan %s -q --config %s -o %s/sumn && %s merge %s/sumv %s/sumn -o %s/sumvn -q --format json",
             tu_prog("cfscan"), log, dir, g_dir, tu_prog("cfscan"), g_dir, g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, &m, NULL), 0);
    HAS(m, "\"learned_error_page\":1");
    free(m);
    free(log);
}

/* Without a remap (no CustomErrorResponses) the same Error 200s are nothing hidden. */
Test(custom_errors, no_remap_no_hidden)
{
    spa_log();
    char *cfg = write_config(1, "");
    char args[1024];
    snprintf(args, sizeof args, "--config %s --format json", cfg);
    char *js = run_cfscan("scan", args);
    HAS(js, "\"hidden_403\":0");
    HASNT(js, "custom_error_403");
    free(js);
    snprintf(args, sizeof args, "--config %s", cfg);
    char *txt = run_cfscan("scan", args);
    HAS(txt, "config: no CustomErrorResponses entry for 403");
    HASNT(txt, "remapped by CustomErrorResponses");
    free(txt);
    free(cfg);
}

/* The 403 lines for the content-type test: S1 an S3 AccessDenied body (application/xml,
 * Miss from the S3 origin), J1 a JSON body at the edge (no web ACL in the config). */
static void body_log(void)
{
    header();
    kv s3[] = {{"sc-status", "403"},
               {"x-edge-result-type", "Error"},
               {"x-edge-response-result-type", "Error"},
               {"x-edge-detailed-result-type", "Error"},
               {"sc-content-type", "application/xml"},
               {"time-taken", "0.080"},
               {NULL, NULL}};
    lines(1, "S", s3);
    kv js[] = {{"sc-status", "403"},
               {"x-edge-result-type", "Error"},
               {"x-edge-response-result-type", "Error"},
               {"x-edge-detailed-result-type", "Error"},
               {"sc-content-type", "application/json"},
               {"time-taken", "0.080"},
               {NULL, NULL}};
    lines(1, "J", js);
}

static char *requests_with(const char *errors, int with_distribution)
{
    char *cfg = write_config(with_distribution, errors);
    char args[1024];
    snprintf(args, sizeof args, "--config %s --status 403 --fields x-edge-request-id", cfg);
    char *out = run_cfscan("requests", args);
    free(cfg);
    return out;
}

Test(custom_errors, custom_403_page_lowers_content_type_verdicts)
{
    body_log();
    /* Control: without a custom page the documented rules hold (application/xml from an
     * S3 origin is S3's body, confirmed; a JSON body with no web ACL is the origin's). */
    char *plain = requests_with("", 1);
    HAS(plain, "S00\torigin_s3\tconfirmed\ts3_xml_body");
    HAS(plain, "J00\torigin_s3\tlikely\tnon_cloudfront_body_s3");
    free(plain);
    /* With a custom 403 page (ResponseCode 403, or empty) the type is the page's. */
    const char *pages[] = {PAGE_403, PAGE_403_EMPTY_CODE};
    for (int shape = 0; shape < 2; shape++)
        for (int i = 0; i < 2; i++) {
            char *out = requests_with(pages[i], shape);
            HAS(out, "S00\torigin_s3\tpossible\ts3_xml_body");
            HAS(out, "J00\torigin_s3\tpossible\tnon_cloudfront_body_s3");
            free(out);
        }
    char *cfg = write_config(1, PAGE_403);
    char args[1024];
    snprintf(args, sizeof args, "--config %s", cfg);
    char *txt = run_cfscan("scan", args);
    HAS(txt, "config: custom 403 page /err.html (TTL 10 s)");
    HAS(txt, "serves a custom 403 page, so 403 bodies say nothing about their cause");
    free(txt);
    snprintf(args, sizeof args, "--config %s --format json", cfg);
    char *js = run_cfscan("scan", args);
    HAS(js, "\"page\":\"/err.html\",\"response_code\":403,\"remapped\":false,\"custom_page\":true");
    HAS(js, "\"evidence\":{\"confirmed\":0,\"likely\":0,\"possible\":2}");
    free(js);
    free(cfg);
}

Test(custom_errors, bad_response_code_is_a_clear_error)
{
    spa_log();
    char *cfg = write_config(
        1, "\"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": ["
           "{\"ErrorCode\": 403, \"ResponsePagePath\": \"/x\", \"ResponseCode\": \"abc\"}]}");
    char *log = tu_write(g_dir, "E1TESTDIST0001.2026-11-01-10.abcd1234.log", g_log, g_n);
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s -q --config %s", tu_prog("cfscan"), log, cfg);
    int rc = tu_run(cmd, &out, &err);
    cr_expect_neq(rc, 0);
    cr_expect(err && strstr(err, "E1TESTDIST0001.json") && strstr(err, "ResponseCode"), "stderr: %s",
              err ? err : "");
    free(out);
    free(err);
    free(log);
    free(cfg);
}

/* The hidden count is made per line on worker threads: one thread or two give the same
 * JSON byte for byte (many files so that both threads get work). */
Test(custom_errors, hidden_count_same_with_one_or_two_threads)
{
    spa_log();
    char logs[1024];
    snprintf(logs, sizeof logs, "%s/logs", g_dir);
    cr_assert_eq(mkdir(logs, 0700), 0);
    for (int i = 0; i < 6; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "E1TESTDIST0001.2026-11-01-1%d.abcd1234.log", i);
        free(tu_write(logs, nm, g_log, g_n));
    }
    char *cfg = write_config(1, REMAP_200);
    char cmd[4096], *o1 = NULL, *o2 = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s -q -j1 --config %s --format json", tu_prog("cfscan"), logs, cfg);
    cr_assert_eq(tu_run(cmd, &o1, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s scan %s -q -j2 --config %s --format json", tu_prog("cfscan"), logs, cfg);
    cr_assert_eq(tu_run(cmd, &o2, NULL), 0);
    HAS(o1, "\"hidden_403\":18"); /* 3 per file, 6 files */
    cr_expect_str_eq(o1, o2);
    free(o1);
    free(o2);
    free(cfg);
}

/* Signed-URL refusals behind a custom 403 page.  The page replaces CloudFront's text/xml
 * body (§5.4) with text/html, so the body cannot show the refusal; the config (a restricted
 * behavior, the page, the web ACL) and the line's signer can.  24 origin fetches at 100 ms
 * give the latency reference.  Every 403 is an edge Error with the page's type and length:
 *   P: /private/ and no signer (cookies logged: a non-signer cookie only);
 *   X: /private/ and a canned Expires of 1793527100 = 2026-11-01 09:58:20 UTC (`date -u
 *      -d @1793527100`), request at 10:00:00: expired;
 *   V: /private/, Expires 1893456000 (2030) and a signer: not expired, so either the check
 *      refused the signature or the origin answered; 1 ms to the first byte: the check;
 *   O: the same at 140 ms to the first byte: the S3 origin answered;
 *   S: Expires 1793527200 = 10:00:00, the request's own second: expired or not, the log
 *      cannot say (the second has no fraction), 1 ms;
 *   N: /private/ with no signer and no cookie at all, 1 ms, and L the same at 140 ms: with
 *      cookies logged, no signer was sent and both are refused before any fetch; with
 *      cookie logging off, signed cookies may have been sent, so L is the origin's and N
 *      any of the signer check's refusals;
 *   U: an unrestricted path with no signer: no signer check there. */
static void signed_page_log(void)
{
    header();
    kv miss[] = {{"x-edge-result-type", "Miss"},          {"x-edge-response-result-type", "Miss"},
                 {"x-edge-detailed-result-type", "Miss"}, {"time-taken", "0.100"},
                 {"time-to-first-byte", "0.090"},         {NULL, NULL}};
    lines(24, "M", miss);
#define PAGE_ERROR                                                                                   \
    {"sc-status", "403"}, {"x-edge-result-type", "Error"}, {"x-edge-response-result-type", "Error"}, \
        {"x-edge-detailed-result-type", "Error"}, {"sc-content-type", "text/html"},                  \
        {"sc-content-len", "2046"}
#define FAST \
    {"time-taken", "0.001"}, { "time-to-first-byte", "0.001" }
    kv p[] = {PAGE_ERROR, FAST, {"cs-uri-stem", "/private/a.mp4"}, {"cs(Cookie)", "lang=en"}, {NULL, NULL}};
    lines(1, "P", p);
    kv x[] = {PAGE_ERROR,
              FAST,
              {"cs-uri-stem", "/private/b.mp4"},
              {"cs-uri-query", "Expires=1793527100&Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F"},
              {NULL, NULL}};
    lines(1, "X", x);
    kv v[] = {PAGE_ERROR,
              FAST,
              {"cs-uri-stem", "/private/c.mp4"},
              {"cs-uri-query", "Expires=1893456000&Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F"},
              {NULL, NULL}};
    lines(1, "V", v);
    kv o[] = {PAGE_ERROR,
              {"time-taken", "0.150"},
              {"time-to-first-byte", "0.140"},
              {"cs-uri-stem", "/private/d.mp4"},
              {"cs-uri-query", "Expires=1893456000&Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F"},
              {NULL, NULL}};
    lines(1, "O", o);
    kv sec[] = {PAGE_ERROR,
                FAST,
                {"cs-uri-stem", "/private/s.mp4"},
                {"cs-uri-query", "Expires=1793527200&Signature=abc&Key-Pair-Id=K2JCJMDEHXQW5F"},
                {NULL, NULL}};
    lines(1, "S", sec);
    kv n[] = {PAGE_ERROR, FAST, {"cs-uri-stem", "/private/n.mp4"}, {NULL, NULL}};
    lines(1, "N", n);
    kv l[] = {PAGE_ERROR,
              {"time-taken", "0.150"},
              {"time-to-first-byte", "0.140"},
              {"cs-uri-stem", "/private/l.mp4"},
              {NULL, NULL}};
    lines(1, "L", l);
    kv u[] = {PAGE_ERROR, FAST, {"cs-uri-stem", "/app/e.html"}, {NULL, NULL}};
    lines(1, "U", u);
#undef FAST
#undef PAGE_ERROR
}

static char *signed_requests(const char *errors, const char *web_acl, int cookies)
{
    char *cfg = write_config_acl(1, errors, web_acl, cookies);
    char args[1024];
    snprintf(args, sizeof args, "--config %s --status 403 --fields x-edge-request-id", cfg);
    char *out = run_cfscan("requests", args);
    free(cfg);
    return out;
}

#define ACL "arn:aws:wafv2:us-east-1:123456789012:global/webacl/example/0123"

Test(custom_errors, signed_refusals_behind_a_custom_403_page)
{
    signed_page_log();
    /* No web ACL: WAF cannot have answered.  No signer and an expired one are refused
     * before any fetch (likely: the config, not the body, says so); a live signer is the
     * check's refusal when edge-fast and the origin's when slow. */
#define SIGNER "signed_url_missing|signed_url_expired|signed_url_invalid"
    char *out = signed_requests(PAGE_403, "", 1);
    HAS(out, "P00\tsigned_url_missing\tlikely\tsigned_missing_behind_custom_page\t");
    HAS(out, "X00\tsigned_url_expired\tlikely\tsigned_expired_behind_custom_page\t");
    HAS(out, "V00\tsigned_url_invalid\tlikely\tlatency_edge_signed_refused\t");
    HAS(out, "O00\torigin_s3\tlikely\tlatency_origin_s3\t");
    /* S names a key in the only signer set it sent (cookies logged, none on the line): it
     * is not missing, and only the expiry in its second leaves the others open */
    HAS(out, "S00\tunknown\tpossible\tlatency_edge_signed_open\tsigned_url_expired|signed_url_invalid\n");
    HAS(out, "N00\tsigned_url_missing\tlikely\tsigned_missing_behind_custom_page\t");
    HAS(out, "L00\tsigned_url_missing\tlikely\tsigned_missing_behind_custom_page\t");
    HAS(out, "U00\tedge_other\tpossible\tlatency_edge_no_acl\t");
    free(out);
    /* Cookie logging off: N and L may have carried signed cookies. */
    out = signed_requests(PAGE_403, "", 0);
    HAS(out, "N00\tunknown\tpossible\tlatency_edge_signed_open\t" SIGNER "\n");
    HAS(out, "L00\torigin_s3\tlikely\tlatency_origin_s3\t");
    free(out);
    /* A web ACL and no WAF logs: a WAF block looks the same, so WAF stays a candidate; a
     * slow answer is still the origin's. */
    out = signed_requests(PAGE_403, ACL, 1);
    HAS(out,
        "P00\tunknown\tpossible\tsigned_missing_or_waf_behind_custom_page\twaf_block|signed_url_missing\n");
    HAS(out,
        "X00\tunknown\tpossible\tsigned_expired_or_waf_behind_custom_page\twaf_block|signed_url_expired\n");
    HAS(out,
        "V00\tunknown\tpossible\tlatency_edge_signed_or_waf\twaf_block|signed_url_expired|signed_url_invalid\n");
    HAS(out, "O00\torigin_s3\tlikely\tlatency_origin_s3\t");
    free(out);
#undef SIGNER
    /* Control, no custom page: text/html is not CloudFront's signed-URL refusal seen in the
     * wild (§5.4: text/xml [3p]), yet the config and the line say the check refuses the
     * request without a signer or with an expired one (KC checklist 1): signed-URL
     * verdicts, possible only (signed_*_html_body); slow, the origin's (L00).  A live
     * signer edge-fast with no web ACL is another edge refusal. */
    out = signed_requests("", "", 1);
    HAS(out, "P00\tsigned_url_missing\tpossible\tsigned_missing_html_body\t-\n");
    HAS(out, "X00\tsigned_url_expired\tpossible\tsigned_expired_html_body\t-\n");
    HAS(out, "N00\tsigned_url_missing\tpossible\tsigned_missing_html_body\t-\n");
    HAS(out, "L00\torigin_s3\tlikely\tlatency_origin_s3\t");
    HAS(out, "V00\tedge_other\tpossible\tlatency_edge_no_acl\t");
    free(out);
    /* The same with a web ACL: WAF's HTML page fits the body, the signer check the config:
     * undecided between them (it was waf_block likely, the signer check never named). */
    out = signed_requests("", ACL, 1);
    HAS(out, "P00\tunknown\tpossible\tsigned_missing_or_waf_html_body\twaf_block|signed_url_missing\n");
    HAS(out, "X00\tunknown\tpossible\tsigned_expired_or_waf_html_body\twaf_block|signed_url_expired\n");
    free(out);
}
