/* 403 attribution against hand-written log lines and hand-written distribution configs
 * whose expected cause and evidence come from the CloudFront documentation (cited per case
 * as "§N" of shared/reference/cloudfront-logs.md), not from the generator.  Each case runs
 * the built `cfscan requests` (one row per 403: cause, evidence, rule) or `cfscan scan
 * --format json`.  Issue 10, items 1 (default domain), 5 (cookie logging), 6 (WAF over
 * http, WAF custom bodies) and 8 (Signature without Key-Pair-Id). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/util.h"

/* The lines: tests/util_log.c (35 fields; the base is an edge-generated HTML 403 over
 * https, 1 ms, as §5.1 describes CloudFront's own page). */
typedef tu_kv kv;
typedef tu_buf logbuf;
static void lb_header(logbuf *b) { tu_log_header(b); }
static void lb_line(logbuf *b, const kv *over) { tu_log_line(b, NULL, over); }

/* 24 origin-fetched 200s at 100 ms (Miss), so the distribution has a calibrated
 * origin-fetch reference (about 100 ms: an edge answer is far below it). */
static void lb_origin_fetches(logbuf *b)
{
    for (int i = 0; i < 24; i++) {
        char id[16];
        snprintf(id, sizeof id, "M%02d", i);
        kv o[] = {{"sc-status", "200"},
                  {"x-edge-result-type", "Miss"},
                  {"x-edge-response-result-type", "Miss"},
                  {"x-edge-detailed-result-type", "Miss"},
                  {"time-taken", "0.100"},
                  {"time-to-first-byte", "0.090"},
                  {"x-edge-request-id", id},
                  {NULL, NULL}};
        lb_line(b, o);
    }
}

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void) { tu_rmrf(g_dir); }
TestSuite(documented, .init = setup, .fini = teardown);

/* A distribution config in the shape `aws cloudfront get-distribution-config` prints
 * (no Id, no DomainName: only DistributionConfig), or get-distribution's (with both).
 * The /private/ behavior is restricted to a trusted key group; vpp is that of every behavior. */
static char *write_config(const char *name, int with_distribution, const char *include_cookies,
                          const char *web_acl, const char *vpp)
{
    char dc[4096];
    snprintf(dc, sizeof dc,
             "{\"CallerReference\": \"x\","
             " \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
             " \"DefaultRootObject\": \"index.html\","
             " \"Origins\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"app\","
             "   \"DomainName\": \"app.example.internal\","
             "   \"CustomOriginConfig\": {\"HTTPPort\": 80, \"HTTPSPort\": 443,"
             "   \"OriginProtocolPolicy\": \"https-only\"}}]},"
             " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"app\","
             "   \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0},"
             "   \"ViewerProtocolPolicy\": \"%s\","
             "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}},"
             " \"CacheBehaviors\": {\"Quantity\": 1, \"Items\": [{\"PathPattern\": \"/private/*\","
             "   \"TargetOriginId\": \"app\","
             "   \"TrustedKeyGroups\": {\"Enabled\": true, \"Quantity\": 1, \"Items\": [\"kg-1\"]},"
             "   \"ViewerProtocolPolicy\": \"%s\","
             "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}}]},"
             " %s"
             " \"WebACLId\": \"%s\", \"Enabled\": true}",
             vpp, vpp,
             include_cookies == NULL ? ""
                                     : (strcmp(include_cookies, "true") == 0
                                            ? "\"Logging\": {\"Enabled\": true, \"IncludeCookies\": true,"
                                              " \"Bucket\": \"logs.s3.amazonaws.com\", \"Prefix\": \"\"},"
                                            : "\"Logging\": {\"Enabled\": true, \"IncludeCookies\": false,"
                                              " \"Bucket\": \"logs.s3.amazonaws.com\", \"Prefix\": \"\"},"),
             web_acl);
    return tu_write_config(g_dir, name, dc, with_distribution, NULL);
}

/* `cfscan requests` over log (the file named like CloudFront's, distribution
 * E1TESTDIST0001), with extra arguments; returns the TSV (request id, cause, evidence,
 * rule). */
static char *requests(const logbuf *b, const char *args) { return tu_log_requests(g_dir, b, args); }

/* "cause\tevidence\trule" of request id in a `requests` TSV ("" when absent). */
#define row(tsv, id) tu_tsv_row((tsv), (id))

#define EXPECT_ROW(tsv, id, want) \
    cr_expect_str_eq(row(tsv, id), want, "request %s (full output:\n%s)", id, tsv)

/* ---- item 1: the distribution's own name, tenants, staging ----------------------------- */

static void host_lines(logbuf *b)
{
    lb_header(b);
    lb_origin_fetches(b);
    /* §1.2 field 7: cs(Host) is always the distribution's cloudfront.net name; a viewer
     * that used that very name (field 16 equal to field 7) is associated by definition. */
    kv own[] = {
        {"x-edge-request-id", "H1"}, {"x-host-header", "d111111abcdef8.cloudfront.net"}, {NULL, NULL}};
    lb_line(b, own);
    /* The same in another case and with the port (host names are case-insensitive). */
    kv own_case[] = {
        {"x-edge-request-id", "H2"}, {"x-host-header", "D111111ABCDEF8.cloudfront.net:443"}, {NULL, NULL}};
    lb_line(b, own_case);
    /* §5.5: a Host that is neither the distribution's name nor an alias. */
    kv foreign[] = {{"x-edge-request-id", "H3"}, {"x-host-header", "cdn.other-site.example"}, {NULL, NULL}};
    lb_line(b, foreign);
    /* §1.2 (field 34): a multi-tenant distribution's lines carry distribution-tenant-id;
     * tenants have their own domains, which the distribution's Aliases do not list. */
    kv tenant[] = {{"x-edge-request-id", "H4"},
                   {"x-host-header", "tenant-a.example.org"},
                   {"distribution-tenant-id", "dt_2abcDEF"},
                   {NULL, NULL}};
    lb_line(b, tenant);
    /* §3 (field 42): continuous deployment, the staging distribution serves the primary's
     * names; the line names the primary distribution. */
    kv staging[] = {{"x-edge-request-id", "H5"},
                    {"x-host-header", "www.primary-site.example"},
                    {"primary-distribution-id", "E3PRIMARY00001"},
                    {NULL, NULL}};
    lb_line(b, staging);
}

Test(documented, own_cloudfront_name_is_associated_with_get_distribution_config)
{
    /* get-distribution-config has no DomainName (§5.5 needs it to tell the names apart);
     * the distribution has no web ACL, so an edge HTML 403 far below the 100 ms reference
     * is "some other edge refusal" (latency_edge_no_acl, possible). */
    logbuf b = {0};
    host_lines(&b);
    char *cfg = write_config("E1TESTDIST0001.json", 0, "true", "", "allow-all");
    char args[1024];
    snprintf(args, sizeof args, "--config %s", cfg);
    char *out = requests(&b, args);
    EXPECT_ROW(out, "H1", "edge_other\tpossible\tlatency_edge_no_acl");
    EXPECT_ROW(out, "H2", "edge_other\tpossible\tlatency_edge_no_acl");
    /* Foreign name, but the config does not give DomainName: at most possible. */
    EXPECT_ROW(out, "H3", "cname_not_associated\tpossible\thost_not_associated_partial_identity");
    /* Tenants and staging lines are not alias-tested.  A tenant may override or disable
     * the distribution's web ACL (CloudFront API reference, Customizations): "no web ACL"
     * is not the tenant's word, so its edge refusal is judged as without a config. */
    EXPECT_ROW(out, "H4", "waf_block\tlikely\tlatency_edge_waf");
    EXPECT_ROW(out, "H5", "edge_other\tpossible\tlatency_edge_no_acl");
    free(out);
    free(cfg);
    free(b.p);
}

Test(documented, foreign_host_likely_only_with_name_and_aliases)
{
    /* get-distribution gives DomainName and Aliases: a foreign Host is likely (§5.5). */
    logbuf b = {0};
    host_lines(&b);
    char *cfg = write_config("full.json", 1, "true", "", "allow-all");
    char args[1024];
    snprintf(args, sizeof args, "--config %s", cfg);
    char *out = requests(&b, args);
    EXPECT_ROW(out, "H1", "edge_other\tpossible\tlatency_edge_no_acl");
    EXPECT_ROW(out, "H2", "edge_other\tpossible\tlatency_edge_no_acl");
    EXPECT_ROW(out, "H3", "cname_not_associated\tlikely\thost_not_associated");
    EXPECT_ROW(out, "H4", "waf_block\tlikely\tlatency_edge_waf");
    EXPECT_ROW(out, "H5", "edge_other\tpossible\tlatency_edge_no_acl");
    free(out);
    free(cfg);
    free(b.p);
}

/* ---- item 5: cookie logging ----------------------------------------------------------- */

static void cookie_lines(logbuf *b)
{
    lb_header(b);
    /* §5.4: no signer in the query, cs(Cookie) '-', CloudFront's text/xml refusal.  §1.2
     * field 13: '-' also when cookie logging is off, so signed cookies may have been sent. */
    kv bare[] = {{"x-edge-request-id", "C1"},
                 {"cs-uri-stem", "/private/a.mp4"},
                 {"sc-content-type", "text/xml"},
                 {"sc-content-len", "146"},
                 {NULL, NULL}};
    lb_line(b, bare);
    /* Cookies logged (a non-signer cookie is there) and no CloudFront-* cookie: proven
     * absent (§1.2 field 13: all cookies are logged when logging is on). */
    kv logged[] = {{"x-edge-request-id", "C2"},
                   {"cs-uri-stem", "/private/b.mp4"},
                   {"cs(Cookie)", "lang=en;%20theme=dark"},
                   {"sc-content-type", "text/xml"},
                   {"sc-content-len", "146"},
                   {NULL, NULL}};
    lb_line(b, logged);
    /* §5.4: an expired CloudFront-Expires cookie (1793527100 = 2026-11-01 09:58:20 UTC,
     * `date -u -d @1793527100`), request at 10:00:00: expired.  Only readable because the
     * cookies were logged, so cookie logging cannot weaken it. */
    kv expired[] = {{"x-edge-request-id", "C3"},
                    {"cs-uri-stem", "/private/c.mp4"},
                    {"cs(Cookie)", "CloudFront-Expires=1793527100;%20CloudFront-Signature=abc;%20"
                                   "CloudFront-Key-Pair-Id=K2JCJMDEHXQW5F"},
                    {"sc-content-type", "text/xml"},
                    {"sc-content-len", "146"},
                    {NULL, NULL}};
    lb_line(b, expired);
}

Test(documented, missing_signer_needs_cookie_logging_to_be_confirmed)
{
    logbuf b = {0};
    cookie_lines(&b);
    char args[1024];

    /* IncludeCookies false: C1 may carry signed cookies nobody logged: possible. */
    char *off = write_config("E1TESTDIST0001.json", 0, "false", "", "allow-all");
    snprintf(args, sizeof args, "--config %s", off);
    char *out = requests(&b, args);
    EXPECT_ROW(out, "C1",
               "signed_url_missing\tpossible\tsigned_missing_on_restricted_behavior_cookies_unlogged");
    EXPECT_ROW(out, "C2", "signed_url_missing\tconfirmed\tsigned_missing_on_restricted_behavior");
    EXPECT_ROW(out, "C3", "signed_url_expired\tconfirmed\tsigned_cookie_expired");
    free(out);

    /* No Logging block at all: unknown, the same as off. */
    char *unknown = write_config("unknown.json", 0, NULL, "", "allow-all");
    snprintf(args, sizeof args, "--config %s", unknown);
    out = requests(&b, args);
    EXPECT_ROW(out, "C1",
               "signed_url_missing\tpossible\tsigned_missing_on_restricted_behavior_cookies_unlogged");
    free(out);

    /* IncludeCookies true: the '-' means no cookie was sent; confirmed (§5.4 KC 1-2). */
    char *on = write_config("on.json", 0, "true", "", "allow-all");
    snprintf(args, sizeof args, "--config %s", on);
    out = requests(&b, args);
    EXPECT_ROW(out, "C1", "signed_url_missing\tconfirmed\tsigned_missing_on_restricted_behavior");
    EXPECT_ROW(out, "C2", "signed_url_missing\tconfirmed\tsigned_missing_on_restricted_behavior");
    EXPECT_ROW(out, "C3", "signed_url_expired\tconfirmed\tsigned_cookie_expired");
    free(out);

    /* No config: the behavior's restriction and the cookie logging are unknown; the
     * expired signer, like the missing one, rests on the text/xml body alone ([?] §5.1,
     * §5.4): likely. */
    out = requests(&b, "");
    EXPECT_ROW(out, "C1", "signed_url_missing\tpossible\tsigned_missing_xml_error_cookies_unlogged");
    EXPECT_ROW(out, "C2", "signed_url_missing\tlikely\tsigned_missing_xml_error");
    EXPECT_ROW(out, "C3", "signed_url_expired\tlikely\tsigned_cookie_expired");
    free(out);
    free(off);
    free(unknown);
    free(on);
    free(b.p);
}

/* ---- item 6: WAF over plain http, WAF custom bodies ----------------------------------- */

static void waf_lines(logbuf *b)
{
    lb_header(b);
    lb_origin_fetches(b);
    /* §5.5: HTTPS Only answers an http request with 403; §5.3: a WAF Block of an http
     * request is the same edge 403 page.  Without the behavior's policy: either. */
    kv http[] = {{"x-edge-request-id", "W1"},
                 {"cs-protocol", "http"},
                 {"ssl-protocol", "-"},
                 {"ssl-cipher", "-"},
                 {NULL, NULL}};
    lb_line(b, http);
    /* §5.3: WAF custom responses carry a body of the user's choosing (JSON here), answered
     * at the edge in 1 ms, far below the 100 ms origin reference. */
    kv json_fast[] = {{"x-edge-request-id", "W2"},
                      {"sc-content-type", "application/json"},
                      {"sc-content-len", "27"},
                      {NULL, NULL}};
    lb_line(b, json_fast);
    /* The same body at origin speed (§5.7: the origin's own 403), for another URI (for the
     * same one W2 would be a copy of it from CloudFront's error cache). */
    kv json_slow[] = {{"x-edge-request-id", "W3"},
                      {"cs-uri-stem", "/api/other"},
                      {"sc-content-type", "application/json"},
                      {"sc-content-len", "27"},
                      {"time-taken", "0.150"},
                      {"time-to-first-byte", "0.149"},
                      {NULL, NULL}};
    lb_line(b, json_slow);
}

Test(documented, http_and_custom_bodies_without_config)
{
    logbuf b = {0};
    waf_lines(&b);
    char *out = requests(&b, "");
    EXPECT_ROW(out, "W1", "https_required\tpossible\tlatency_edge_http");
    /* a WAF custom response or a fast origin: undecided, both named */
    EXPECT_ROW(out, "W2", "unknown\tpossible\tlatency_edge_custom_body");
    EXPECT_ROW(out, "W3", "origin_custom\tlikely\tnon_cloudfront_body");
    free(out);
    free(b.p);
}

Test(documented, custom_bodies_with_config)
{
    logbuf b = {0};
    waf_lines(&b);
    char args[1024];
    /* A web ACL is attached: a fast JSON 403 may be its custom response. */
    char *acl = write_config("E1TESTDIST0001.json", 1, "true",
                             "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1", "https-only");
    snprintf(args, sizeof args, "--config %s", acl);
    char *out = requests(&b, args);
    /* §5.5: https-only + http = 403, proven by the config; likely, as the web ACL may have
     * answered before the protocol check (the reference gives no order, §5.3). */
    EXPECT_ROW(out, "W1", "https_required\tlikely\thttps_only_behavior_http");
    EXPECT_ROW(out, "W2", "unknown\tpossible\tlatency_edge_custom_body");
    EXPECT_ROW(out, "W3", "origin_custom\tlikely\tnon_cloudfront_body");
    free(out);
    /* No web ACL (WebACLId ""): WAF cannot have answered, the body is the origin's. */
    char *noacl = write_config("noacl.json", 1, "true", "", "allow-all");
    snprintf(args, sizeof args, "--config %s", noacl);
    out = requests(&b, args);
    EXPECT_ROW(out, "W2", "origin_custom\tlikely\tnon_cloudfront_body");
    EXPECT_ROW(out, "W3", "origin_custom\tlikely\tnon_cloudfront_body");
    free(out);
    free(acl);
    free(noacl);
    free(b.p);
}

Test(documented, scan_json_names_the_lowered_rules)
{
    logbuf b = {0};
    waf_lines(&b);
    char *log = tu_write(g_dir, "E1TESTDIST0001.2026-11-01-10.abcd1234.log", b.p, b.n);
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s -q --format json -j2", tu_prog("cfscan"), log);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    cr_expect_not_null(strstr(out, "\"latency_edge_custom_body\":1"), "%s", out);
    cr_expect_not_null(strstr(out, "\"latency_edge_http\":1"), "%s", out);
    cr_expect_null(strstr(out, "\"likely\":2"), "W1 and W2 are no longer likely: %s", out);
    free(out);
    free(err);
    free(log);
    free(b.p);
}

/* ---- item 8: Signature without Key-Pair-Id --------------------------------------------- */

Test(documented, signature_without_key_pair_id_is_missing_key)
{
    logbuf b = {0};
    lb_header(&b);
    /* §5.4: "MissingKey / Missing Key-Pair-Id query parameter or cookie value — no/empty
     * signer info".  Expires 2026-11-01 11:00:00 (1793530800), still valid; a logged
     * non-signer cookie proves no CloudFront-Key-Pair-Id cookie was sent. */
    kv empty_kpid[] = {{"x-edge-request-id", "K1"},
                       {"cs-uri-stem", "/private/a.mp4"},
                       {"cs-uri-query", "Expires=1793530800&Signature=abcDEF-_~&Key-Pair-Id="},
                       {"cs(Cookie)", "lang=en"},
                       {"sc-content-type", "text/xml"},
                       {NULL, NULL}};
    lb_line(&b, empty_kpid);
    kv no_kpid[] = {{"x-edge-request-id", "K2"},
                    {"cs-uri-stem", "/private/a.mp4"},
                    {"cs-uri-query", "Expires=1793530800&Signature=abcDEF-_~"},
                    {"cs(Cookie)", "lang=en"},
                    {"sc-content-type", "text/xml"},
                    {NULL, NULL}};
    lb_line(&b, no_kpid);
    /* The cookie form: CloudFront-Signature without CloudFront-Key-Pair-Id. */
    kv cookie_no_kpid[] = {{"x-edge-request-id", "K3"},
                           {"cs-uri-stem", "/private/a.mp4"},
                           {"cs(Cookie)", "CloudFront-Expires=1793530800;%20CloudFront-Signature=abc"},
                           {"sc-content-type", "text/xml"},
                           {NULL, NULL}};
    lb_line(&b, cookie_no_kpid);
    /* Control: a complete, unexpired signer that was refused is invalid (§5.4 KC 3, 5). */
    kv full[] = {{"x-edge-request-id", "K4"},
                 {"cs-uri-stem", "/private/a.mp4"},
                 {"cs-uri-query", "Expires=1793530800&Signature=abcDEF-_~&Key-Pair-Id=K2JCJMDEHXQW5F"},
                 {"cs(Cookie)", "lang=en"},
                 {"sc-content-type", "text/xml"},
                 {NULL, NULL}};
    lb_line(&b, full);

    char *out = requests(&b, "");
    EXPECT_ROW(out, "K1", "signed_url_missing\tlikely\tsigned_missing_xml_error");
    EXPECT_ROW(out, "K2", "signed_url_missing\tlikely\tsigned_missing_xml_error");
    EXPECT_ROW(out, "K3", "signed_url_missing\tlikely\tsigned_missing_xml_error");
    EXPECT_ROW(out, "K4", "signed_url_invalid\tlikely\tsigned_present_refused");
    free(out);

    /* With the config (restricted /private/ behavior, cookies logged): confirmed missing. */
    char *on = write_config("E1TESTDIST0001.json", 0, "true", "", "allow-all");
    char args[1024];
    snprintf(args, sizeof args, "--config %s", on);
    out = requests(&b, args);
    EXPECT_ROW(out, "K1", "signed_url_missing\tconfirmed\tsigned_missing_on_restricted_behavior");
    EXPECT_ROW(out, "K2", "signed_url_missing\tconfirmed\tsigned_missing_on_restricted_behavior");
    EXPECT_ROW(out, "K3", "signed_url_missing\tconfirmed\tsigned_missing_on_restricted_behavior");
    EXPECT_ROW(out, "K4", "signed_url_invalid\tlikely\tsigned_present_refused");
    free(out);
    free(on);
    free(b.p);
}
