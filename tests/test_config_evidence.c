/* Issue 10, "read the rest of the config": the parts of a distribution config that the
 * 403 rules did not read before (function associations per cache behavior, origin groups
 * and another distribution as origin, LastModifiedTime), what they change in attribution,
 * and the report's per-distribution account of what was read.  Parser tests load
 * hand-written JSON through cfs_config_load; attribution and report tests run the built
 * `cfscan` over hand-written log lines.  Every expected value is worked out from the JSON
 * and the lines written here (epoch seconds through libc's timegm, not through cfscan). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timegm */
#endif
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "pipeline/attribute.h"
#include "pipeline/config.h"
#include "tests/util.h"

static char *g_dir;
static char g_err[512];

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void) { tu_rmrf(g_dir); }
TestSuite(config_evidence, .init = setup, .fini = teardown, .timeout = 60);

#define HAS(hay, needle) cr_expect(strstr(hay, needle) != NULL, "missing %s in:\n%s", needle, hay)
#define HASNT(hay, needle) cr_expect(strstr(hay, needle) == NULL, "unexpected %s in:\n%s", needle, hay)

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (int64_t)timegm(&tm);
}

/* ---- configs ------------------------------------------------------------------------
 * One distribution E1TESTDIST0001 (d111111abcdef8.cloudfront.net, aliases www.example.com
 * and example.com).  The pieces that vary are passed in as JSON text:
 *   lm:        the LastModifiedTime member (with its trailing comma) or "";
 *   origins:   the Origins.Items array contents;
 *   groups:    the OriginGroups object or "" (then none is written);
 *   def:       members added to DefaultCacheBehavior (function associations), "" for none;
 *   behaviors: the CacheBehaviors.Items array contents ("" for none);
 *   def_target: the default behavior's TargetOriginId. */
typedef struct cfg {
    int get_distribution_config; /* 1: the get-distribution-config shape (no Distribution) */
    const char *lm, *origins, *groups, *def, *behaviors, *def_target, *vpp, *cookies, *acl;
} cfg;

#define S3_ORIGIN                                                             \
    "{\"Id\": \"s3\", \"DomainName\": \"bucket.s3.us-east-1.amazonaws.com\"," \
    " \"S3OriginConfig\": {\"OriginAccessIdentity\": \"\"}, \"OriginAccessControlId\": \"oac1\"}"

static char *write_cfg(const cfg *c, const char *name)
{
    static char dc[16384];
    int nb = 0, no = 0;
    for (const char *p = c->behaviors ? c->behaviors : ""; *p; p++)
        if (strncmp(p, "\"PathPattern\"", 13) == 0) nb++;
    const char *origins = c->origins ? c->origins : S3_ORIGIN;
    for (const char *p = origins; *p; p++)
        if (strncmp(p, "\"DomainName\"", 12) == 0) no++;
    snprintf(
        dc, sizeof dc,
        "{\"CallerReference\": \"x\","
        " \"Aliases\": {\"Quantity\": 2, \"Items\": [\"www.example.com\", \"example.com\"]},"
        " \"DefaultRootObject\": \"index.html\","
        " \"Origins\": {\"Quantity\": %d, \"Items\": [%s]},"
        " %s%s"
        " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"%s\","
        "   \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0},"
        "   \"ViewerProtocolPolicy\": \"%s\","
        "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}%s%s},"
        " \"CacheBehaviors\": {\"Quantity\": %d%s%s%s},"
        " \"Logging\": {\"Enabled\": true, \"IncludeCookies\": %s, \"Bucket\": \"l.s3.amazonaws.com\", \"Prefix\": \"\"},"
        " \"WebACLId\": \"%s\", \"Enabled\": true}",
        no, origins, c->groups ? c->groups : "", c->groups && c->groups[0] ? "," : "",
        c->def_target ? c->def_target : "s3", c->vpp ? c->vpp : "https-only", c->def && c->def[0] ? ", " : "",
        c->def ? c->def : "", nb, nb ? ", \"Items\": [" : "", c->behaviors ? c->behaviors : "", nb ? "]" : "",
        c->cookies ? c->cookies : "false", c->acl ? c->acl : "");
    return tu_write_config(g_dir, name ? name : "E1TESTDIST0001.json", dc, !c->get_distribution_config,
                           c->lm);
}

static const cfs_dist_config *load1(cfs_config_set *set, const cfg *c)
{
    char *p = write_cfg(c, NULL);
    cfs_status st = cfs_config_load(set, p, g_err, sizeof g_err);
    cr_assert_eq(st, CFS_OK, "%s", g_err);
    cr_assert_eq(set->n, 1);
    free(p);
    return &set->d[0];
}

static const cfs_cfg_behavior *beh_of(const cfs_dist_config *d, const char *uri)
{
    const cfs_cfg_behavior *b = cfs_config_behavior(d, (cfs_span){uri, (uint32_t)strlen(uri)},
                                                    (cfs_span){NULL, 0});
    cr_assert_not_null(b, "no behavior for %s", uri);
    return b;
}

/* ---- parser: function associations ------------------------------------------------- */

#define FN(ev) "{\"FunctionARN\": \"arn:aws:cloudfront::123456789012:function/f\", \"EventType\": \"" ev "\"}"
#define LE(ev)                                                                        \
    "{\"LambdaFunctionARN\": \"arn:aws:lambda:us-east-1:123456789012:function:l:3\"," \
    " \"EventType\": \"" ev "\", \"IncludeBody\": false}"
#define BEH(pat, extra)                                                                                   \
    "{\"PathPattern\": \"" pat "\", \"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"allow-all\"," \
    " \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0}" extra "}"

Test(config_evidence, parser_function_associations)
{
    cfg c = {0};
    c.behaviors =
        /* both CloudFront Function events; an empty Lambda@Edge list */
        BEH("/cf/*",
            ", \"FunctionAssociations\": {\"Quantity\": 2, \"Items\": [" FN("viewer-request") ", " FN(
                "viewer-response") "]}, \"LambdaFunctionAssociations\": {\"Quantity\": 0}")
        /* all four Lambda@Edge events, no FunctionAssociations object at all */
        ", " BEH(
            "/le/*",
            ", \"LambdaFunctionAssociations\": {\"Quantity\": 4, \"Items\": [" LE("viewer-request") ", " LE(
                "viewer-response") ", " LE("origin-request") ", " LE("origin-response") "]}")
        /* both objects present and empty (the CLI omits Items when Quantity is 0) */
        ", " BEH("/empty/*", ", \"FunctionAssociations\": {\"Quantity\": 0},"
                             " \"LambdaFunctionAssociations\": {\"Quantity\": 0, \"Items\": []}")
        /* neither object: not known */
        ", " BEH("/none/*", "")
        /* Quantity says 1 but no Items: the list was cut, so it says nothing */
        ", " BEH("/cut/*", ", \"FunctionAssociations\": {\"Quantity\": 1}")
        /* CloudFront Functions have no origin events: such an entry is ignored */
        ", " BEH("/odd/*",
                 ", \"FunctionAssociations\": {\"Quantity\": 1, \"Items\": [" FN("origin-request") "]}");
    c.def = "\"FunctionAssociations\": {\"Quantity\": 1, \"Items\": [" FN(
        "viewer-request") "]},"
                          " \"LambdaFunctionAssociations\": {\"Quantity\": 1, \"Items\": [" LE(
                              "origin-response") "]}";
    cfs_config_set set = {0};
    const cfs_dist_config *d = load1(&set, &c);
    cr_assert_eq(d->n_behaviors, 7);

    const cfs_cfg_behavior *b = beh_of(d, "/cf/x");
    cr_expect_eq(b->functions_known, 1);
    cr_expect_eq(b->edge_functions, CFS_FN_CF_VIEWER_REQUEST | CFS_FN_CF_VIEWER_RESPONSE);
    b = beh_of(d, "/le/x");
    cr_expect_eq(b->functions_known, 1);
    cr_expect_eq(b->edge_functions, CFS_FN_LE_VIEWER_REQUEST | CFS_FN_LE_VIEWER_RESPONSE |
                                        CFS_FN_LE_ORIGIN_REQUEST | CFS_FN_LE_ORIGIN_RESPONSE);
    b = beh_of(d, "/empty/x");
    cr_expect_eq(b->functions_known, 1);
    cr_expect_eq(b->edge_functions, 0);
    b = beh_of(d, "/none/x");
    cr_expect_eq(b->functions_known, 0);
    cr_expect_eq(b->edge_functions, 0);
    b = beh_of(d, "/cut/x");
    cr_expect_eq(b->functions_known, 0, "a Quantity without its Items proves nothing");
    b = beh_of(d, "/odd/x");
    cr_expect_eq(b->functions_known, 1);
    cr_expect_eq(b->edge_functions, 0);
    b = beh_of(d, "/other");
    cr_expect_str_eq(b->path_pattern, "*");
    cr_expect_eq(b->functions_known, 1);
    cr_expect_eq(b->edge_functions, CFS_FN_CF_VIEWER_REQUEST | CFS_FN_LE_ORIGIN_RESPONSE);
    /* six distinct flags */
    unsigned all = CFS_FN_CF_VIEWER_REQUEST | CFS_FN_CF_VIEWER_RESPONSE | CFS_FN_LE_VIEWER_REQUEST |
                   CFS_FN_LE_VIEWER_RESPONSE | CFS_FN_LE_ORIGIN_REQUEST | CFS_FN_LE_ORIGIN_RESPONSE;
    cr_expect_eq(__builtin_popcount(all), 6);
    cfs_config_free(&set);
}

/* ---- parser: origin kinds and groups ------------------------------------------------ */

#define ORIGIN(id, dom) \
    "{\"Id\": \"" id "\", \"DomainName\": \"" dom "\", \"CustomOriginConfig\": {\"HTTPPort\": 80}}"
#define GROUP(id, members)                                                                               \
    "{\"Id\": \"" id "\", \"FailoverCriteria\": {\"StatusCodes\": {\"Quantity\": 1, \"Items\": [500]}}," \
    " \"Members\": {\"Quantity\": 2, \"Items\": [" members "]}}"
#define MEM(id) "{\"OriginId\": \"" id "\"}"

static const char *const k_group_origins = S3_ORIGIN
    ", {\"Id\": \"s3b\", \"DomainName\": \"other.s3.eu-west-1.amazonaws.com\", \"S3OriginConfig\": {}}," ORIGIN("web", "app.example.net") ", " ORIGIN(
        "cf",
        "d222222abcdef8.cloudfront.net") ", " ORIGIN("cf2",
                                                     "D333333ABCDEF8.CLOUDFRONT.NET.") ", " ORIGIN("site",
                                                                                                   "b.s3-website-us-east-1.amazonaws.com");
static const char *const k_groups =
    "\"OriginGroups\": {\"Quantity\": 4, \"Items\": [" GROUP("g-s3", MEM("s3") ", " MEM("s3b")) ", " GROUP(
        "g-mixed",
        MEM("s3") ", " MEM(
            "web")) ", " GROUP("g-cf", MEM("cf") ", " MEM("cf2")) ", " GROUP("g-dangling",
                                                                             MEM("s3") ", " MEM("nope")) "]}";

Test(config_evidence, parser_origin_groups_and_cloudfront_origins)
{
    cfg c = {0};
    c.origins = k_group_origins;
    c.groups = k_groups;
    c.behaviors = "{\"PathPattern\": \"/s3/*\", \"TargetOriginId\": \"g-s3\"},"
                  "{\"PathPattern\": \"/mixed/*\", \"TargetOriginId\": \"g-mixed\"},"
                  "{\"PathPattern\": \"/cf/*\", \"TargetOriginId\": \"g-cf\"},"
                  "{\"PathPattern\": \"/dangling/*\", \"TargetOriginId\": \"g-dangling\"},"
                  "{\"PathPattern\": \"/direct/*\", \"TargetOriginId\": \"cf2\"}";
    c.def_target = "web";
    cfs_config_set set = {0};
    const cfs_dist_config *d = load1(&set, &c);
    cr_assert_eq(d->n_origins, 6);
    cr_expect_eq(d->origins[0].kind, CFS_ORIGIN_S3_REST);
    cr_expect_eq(d->origins[1].kind, CFS_ORIGIN_S3_REST);
    cr_expect_eq(d->origins[2].kind, CFS_ORIGIN_CUSTOM);
    cr_expect_eq(d->origins[3].kind, CFS_ORIGIN_CLOUDFRONT, "another distribution's name");
    cr_expect_eq(d->origins[4].kind, CFS_ORIGIN_CLOUDFRONT, "any case, trailing dot");
    cr_expect_eq(d->origins[5].kind, CFS_ORIGIN_S3_WEBSITE);

    cr_assert_eq(d->n_origin_groups, 4);
    cr_expect_str_eq(d->origin_groups[0].id, "g-s3");
    cr_expect_eq(d->origin_groups[0].n_members, 2);
    cr_expect_eq(d->origin_groups[0].kind, CFS_ORIGIN_S3_REST, "members of one kind: that kind");
    cr_expect_eq(d->origin_groups[1].kind, CFS_ORIGIN_MIXED, "S3 and custom members");
    cr_expect_eq(d->origin_groups[2].kind, CFS_ORIGIN_CLOUDFRONT);
    cr_expect_eq(d->origin_groups[3].kind, CFS_ORIGIN_MIXED, "a member naming no origin is of unknown kind");

    struct {
        const char *uri;
        int group;
        int origin;
        cfs_origin_kind kind;
    } want[] = {
        {"/s3/a", 0, -1, CFS_ORIGIN_S3_REST},        {"/mixed/a", 1, -1, CFS_ORIGIN_MIXED},
        {"/cf/a", 2, -1, CFS_ORIGIN_CLOUDFRONT},     {"/dangling/a", 3, -1, CFS_ORIGIN_MIXED},
        {"/direct/a", -1, 4, CFS_ORIGIN_CLOUDFRONT}, {"/other", -1, 2, CFS_ORIGIN_CUSTOM},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const cfs_cfg_behavior *b = beh_of(d, want[i].uri);
        cr_expect_eq(b->origin_group, want[i].group, "%s group", want[i].uri);
        cr_expect_eq(b->origin, want[i].origin, "%s origin", want[i].uri);
        cr_expect_eq(cfs_config_behavior_origin_kind(d, b), want[i].kind, "%s kind", want[i].uri);
    }
    cfs_config_free(&set);
}

/* Which member of an origin group answered a 403 (origin failover, developer guide:
 * CloudFront "fails over to the secondary origin only when the HTTP method of the viewer
 * request is GET, HEAD, or OPTIONS", on a status listed in FailoverCriteria): a POST's 403
 * is the primary's; a GET's is the secondary's where 403 fails over, else either (the
 * members' common kind).  S3 REST and website members are S3 together (they were a mixed
 * group, and their HTML 403s origin_custom). */
#define GROUP403(id, members)                                                                \
    "{\"Id\": \"" id                                                                         \
    "\", \"FailoverCriteria\": {\"StatusCodes\": {\"Quantity\": 2, \"Items\": [403, 500]}}," \
    " \"Members\": {\"Quantity\": 2, \"Items\": [" members "]}}"
Test(config_evidence, origin_group_member_by_method_and_failover)
{
    cfg c = {0};
    c.origins = k_group_origins;
    c.groups = "\"OriginGroups\": {\"Quantity\": 3, \"Items\": [" GROUP403(
        "f-s3-web",
        MEM("s3") ", " MEM("web")) ", " GROUP("n-s3-web",
                                              MEM("s3") ", " MEM("web")) ", " GROUP("rest-site",
                                                                                    MEM("s3") ", " MEM(
                                                                                        "site")) "]}";
    c.behaviors = "{\"PathPattern\": \"/f/*\", \"TargetOriginId\": \"f-s3-web\"},"
                  "{\"PathPattern\": \"/n/*\", \"TargetOriginId\": \"n-s3-web\"},"
                  "{\"PathPattern\": \"/rs/*\", \"TargetOriginId\": \"rest-site\"}";
    c.def_target = "web";
    cfs_config_set set = {0};
    const cfs_dist_config *d = load1(&set, &c);
    cr_assert_eq(d->n_origin_groups, 3);
    cr_expect_eq(d->origin_groups[0].failover_403, 1);
    cr_expect_eq(d->origin_groups[1].failover_403, 0);
    const cfs_cfg_behavior *f = beh_of(d, "/f/a"), *n = beh_of(d, "/n/a"), *rs = beh_of(d, "/rs/a");
    cr_expect_eq(cfs_config_origin_kind(d, f, CFS_M_GET), CFS_ORIGIN_CUSTOM, "failed over: the secondary");
    cr_expect_eq(cfs_config_origin_kind(d, f, CFS_M_OPTIONS), CFS_ORIGIN_CUSTOM);
    cr_expect_eq(cfs_config_origin_kind(d, f, CFS_M_POST), CFS_ORIGIN_S3_REST,
                 "never fails over: the primary");
    cr_expect_eq(cfs_config_origin_kind(d, f, CFS_M_NONE), CFS_ORIGIN_MIXED, "method unknown: either");
    cr_expect_eq(cfs_config_origin_kind(d, n, CFS_M_GET), CFS_ORIGIN_MIXED, "403 does not fail over: either");
    cr_expect_eq(cfs_config_origin_kind(d, n, CFS_M_PUT), CFS_ORIGIN_S3_REST);
    cr_expect_eq(cfs_config_origin_kind(d, rs, CFS_M_GET), CFS_ORIGIN_S3_WEBSITE, "S3 REST and website: S3");
    cfs_config_free(&set);
}

/* ---- parser: LastModifiedTime ------------------------------------------------------- */

Test(config_evidence, parser_last_modified_time)
{
    struct {
        const char *json;
        int64_t want;
        int unread;
    } cases[] = {
        {"\"LastModifiedTime\": \"2026-11-01T12:34:56.789Z\",", utc(2026, 11, 1, 12, 34, 56), 0},
        /* AWS CLI v2 prints microseconds and an offset */
        {"\"LastModifiedTime\": \"2026-11-01T12:34:56.789000+00:00\",", utc(2026, 11, 1, 12, 34, 56), 0},
        {"\"LastModifiedTime\": \"2026-11-01T14:34:56+02:00\",", utc(2026, 11, 1, 12, 34, 56), 0},
        {"\"LastModifiedTime\": \"2026-10-31T23:04:56-13:30\",", utc(2026, 11, 1, 12, 34, 56), 0},
        {"\"LastModifiedTime\": \"2024-02-29T00:00:00Z\",", utc(2024, 2, 29, 0, 0, 0), 0},
        {"", CFS_NO_TIME, 0}, /* absent */
        {"\"LastModifiedTime\": \"yesterday\",", CFS_NO_TIME, 1},
        {"\"LastModifiedTime\": \"2026-02-30T00:00:00Z\",", CFS_NO_TIME, 1},
        {"\"LastModifiedTime\": \"2026-11-01T12:34:56\",", CFS_NO_TIME, 1},  /* no zone: ambiguous */
        {"\"LastModifiedTime\": \"1985-01-01T00:00:00Z\",", CFS_NO_TIME, 1}, /* outside the time range */
        {"\"LastModifiedTime\": \"2100-01-01T00:00:00Z\",", CFS_NO_TIME, 1},
        {"\"LastModifiedTime\": 1793536496,", CFS_NO_TIME, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg c = {0};
        c.lm = cases[i].json;
        cfs_config_set set = {0};
        const cfs_dist_config *d = load1(&set, &c);
        cr_expect_eq(d->last_modified, cases[i].want, "%s: %lld", cases[i].json, (long long)d->last_modified);
        cr_expect_eq(d->last_modified_unread, cases[i].unread, "%s", cases[i].json);
        cfs_config_free(&set);
    }
    /* get-distribution-config has no LastModifiedTime */
    cfg c = {0};
    c.get_distribution_config = 1;
    cfs_config_set set = {0};
    const cfs_dist_config *d = load1(&set, &c);
    cr_expect_eq(d->last_modified, CFS_NO_TIME);
    cr_expect_eq(d->last_modified_unread, 0);
    cfs_config_free(&set);
}

/* ---- log lines ---------------------------------------------------------------------- */
/* Lines from tests/util_log.c, based on a 200 served from the cache over https. */
typedef tu_kv kv;
static const kv k_hit[] = {{"cs-uri-stem", "/app/page"},           {"sc-status", "200"},
                           {"x-edge-result-type", "Hit"},          {"x-edge-response-result-type", "Hit"},
                           {"x-edge-detailed-result-type", "Hit"}, {NULL, NULL}};

static tu_buf g_buf;
#define g_log g_buf.p
#define g_n g_buf.n

static void header(void)
{
    g_buf.n = 0;
    tu_log_header(&g_buf);
}

/* One line: the base with the overrides of a and then b (either may be NULL). */
static void line2(const kv *a, const kv *b)
{
    /* a 200 Hit, then a, then b: tu_log_line takes two lists, so a and b are joined */
    kv both[64];
    size_t n = 0;
    for (const kv *o = a; o && o->k && n < 62; o++) both[n++] = *o;
    for (const kv *o = b; o && o->k && n < 62; o++) both[n++] = *o;
    both[n] = (kv){NULL, NULL};
    tu_log_line(&g_buf, k_hit, both);
}

static void line1(const char *id, const char *time, const kv *over)
{
    kv x[] = {{"x-edge-request-id", id}, {"time", time}, {NULL, NULL}};
    line2(over, x);
}

/* Result types written by code at the edge (reference §4), as a 403 with an HTML body. */
static const kv k_fn_generated[] = {{"sc-status", "403"},
                                    {"x-edge-result-type", "FunctionGeneratedResponse"},
                                    {"x-edge-response-result-type", "FunctionGeneratedResponse"},
                                    {"x-edge-detailed-result-type", "FunctionGeneratedResponse"},
                                    {"time-taken", "0.002"},
                                    {"time-to-first-byte", "0.002"},
                                    {NULL, NULL}};
static const kv k_lambda_generated[] = {{"sc-status", "403"},
                                        {"x-edge-result-type", "LambdaGeneratedResponse"},
                                        {"x-edge-response-result-type", "LambdaGeneratedResponse"},
                                        {"x-edge-detailed-result-type", "LambdaGeneratedResponse"},
                                        {"time-taken", "0.030"},
                                        {"time-to-first-byte", "0.030"},
                                        {NULL, NULL}};
static const kv k_fn_error[] = {{"sc-status", "403"},
                                {"x-edge-result-type", "FunctionExecutionError"},
                                {"x-edge-response-result-type", "FunctionExecutionError"},
                                {"x-edge-detailed-result-type", "FunctionExecutionError"},
                                {NULL, NULL}};
static const kv k_fn_throttled[] = {{"sc-status", "403"},
                                    {"x-edge-result-type", "FunctionThrottledError"},
                                    {"x-edge-response-result-type", "FunctionThrottledError"},
                                    {"x-edge-detailed-result-type", "FunctionThrottledError"},
                                    {NULL, NULL}};
static const kv k_lambda_error[] = {{"sc-status", "403"},
                                    {"x-edge-result-type", "LambdaExecutionError"},
                                    {"x-edge-response-result-type", "LambdaExecutionError"},
                                    {"x-edge-detailed-result-type", "LambdaExecutionError"},
                                    {NULL, NULL}};
static const kv k_miss_generated[] = {{"sc-status", "403"},
                                      {"x-edge-result-type", "Miss"},
                                      {"x-edge-response-result-type", "Miss"},
                                      {"x-edge-detailed-result-type", "MissGeneratedResponse"},
                                      {NULL, NULL}};
/* An http request refused with CloudFront's HTML page (HTTPS Only, reference §5.5). */
static const kv k_http_403[] = {{"sc-status", "403"},
                                {"x-edge-result-type", "Error"},
                                {"x-edge-response-result-type", "Error"},
                                {"x-edge-detailed-result-type", "Error"},
                                {"cs-protocol", "http"},
                                {"ssl-protocol", "-"},
                                {"ssl-cipher", "-"},
                                {NULL, NULL}};
/* A 403 the origin answered (result type Miss) with an S3-style XML body. */
static const kv k_origin_403[] = {{"sc-status", "403"},
                                  {"x-edge-result-type", "Miss"},
                                  {"x-edge-response-result-type", "Miss"},
                                  {"x-edge-detailed-result-type", "Miss"},
                                  {"time-taken", "0.090"},
                                  {"time-to-first-byte", "0.090"},
                                  {"sc-content-type", "application/xml"},
                                  {NULL, NULL}};

#define LOG_NAME "E1TESTDIST0001.2026-11-01-10.abcd1234.log"

/* `cfscan requests` over the log with extra arguments: "id\tcause\tevidence\trule" rows. */
static char *requests(const char *args) { return tu_log_requests(g_dir, &g_buf, args); }

static char *scan(const char *args)
{
    char *log = tu_write(g_dir, LOG_NAME, g_log, g_n);
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s -q %s", tu_prog("cfscan"), log, args);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    free(err);
    free(log);
    return out;
}

static char *requests_cfg(const cfg *c)
{
    char *p = write_cfg(c, NULL);
    char args[1024];
    snprintf(args, sizeof args, "--config %s", p);
    free(p);
    return requests(args);
}

#define ROW(out, id, want) cr_expect_str_eq(tu_tsv_row(out, id), want, "%s in:\n%s", id, out)

/* ---- attribution: code at the edge -------------------------------------------------- */

/* Per behavior: /vr/ has a CloudFront Function on viewer-request, /le/ a Lambda@Edge on
 * viewer-request, /resp/ only a CloudFront Function on viewer-response, /lor/ a Lambda@Edge on
 * origin-response; the default behavior has none (both lists empty); /unk/ has neither list. */
static cfg fn_cfg(void)
{
    cfg c = {0};
    /* clang-format off */
    c.behaviors = BEH("/vr/*", ", \"FunctionAssociations\": {\"Quantity\": 1, \"Items\": [" FN("viewer-request") "]},"
                               " \"LambdaFunctionAssociations\": {\"Quantity\": 0}")
        ", " BEH("/le/*", ", \"FunctionAssociations\": {\"Quantity\": 0},"
                          " \"LambdaFunctionAssociations\": {\"Quantity\": 1, \"Items\": [" LE("viewer-request") "]}")
        ", " BEH("/resp/*", ", \"FunctionAssociations\": {\"Quantity\": 1, \"Items\": [" FN("viewer-response") "]}")
        ", " BEH("/lor/*", ", \"LambdaFunctionAssociations\": {\"Quantity\": 1, \"Items\": [" LE("origin-response") "]}")
        ", " BEH("/unk/*", "");
    /* clang-format on */
    c.def = "\"FunctionAssociations\": {\"Quantity\": 0}, \"LambdaFunctionAssociations\": {\"Quantity\": 0}";
    c.vpp = "allow-all";
    return c;
}

static void fn_lines(const char *prefix, const kv *rt)
{
    static const char *const uris[] = {"/vr/a", "/le/a", "/resp/a", "/lor/a", "/unk/a", "/plain"};
    for (int i = 0; i < 6; i++) {
        char id[16];
        snprintf(id, sizeof id, "%s%d", prefix, i);
        kv u[] = {{"x-edge-request-id", id}, {"cs-uri-stem", uris[i]}, {NULL, NULL}};
        line2(rt, u);
    }
}

Test(config_evidence, function_generated_response_is_edge_function)
{
    header();
    fn_lines("F", k_fn_generated);
    /* Without a config: the result type alone (seen in the wild, not in AWS's list): likely. */
    char *out = requests("");
    for (int i = 0; i < 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "F%d", i);
        ROW(out, id, "edge_function\tlikely\trt_function_generated_response");
    }
    free(out);
    cfg c = fn_cfg();
    out = requests_cfg(&c);
    /* a CloudFront Function on viewer-request of the matched behavior: confirmed */
    ROW(out, "F0", "edge_function\tconfirmed\trt_function_generated_response_associated");
    /* other associations, none that generates responses on viewer requests: as without */
    ROW(out, "F1", "edge_function\tlikely\trt_function_generated_response");
    ROW(out, "F2", "edge_function\tlikely\trt_function_generated_response");
    ROW(out, "F3", "edge_function\tlikely\trt_function_generated_response");
    /* functions not in the config: as without */
    ROW(out, "F4", "edge_function\tlikely\trt_function_generated_response");
    /* the config shows no association at all: possible */
    ROW(out, "F5", "edge_function\tpossible\trt_function_generated_response_no_function");
    free(out);
}

Test(config_evidence, lambda_generated_response_is_edge_function)
{
    header();
    fn_lines("L", k_lambda_generated);
    char *out = requests("");
    for (int i = 0; i < 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "L%d", i);
        ROW(out, id, "edge_function\tlikely\trt_lambda_generated_response");
    }
    free(out);
    cfg c = fn_cfg();
    out = requests_cfg(&c);
    ROW(out, "L0", "edge_function\tlikely\trt_lambda_generated_response");
    ROW(out, "L1", "edge_function\tconfirmed\trt_lambda_generated_response_associated");
    ROW(out, "L2", "edge_function\tlikely\trt_lambda_generated_response");
    ROW(out, "L3", "edge_function\tlikely\trt_lambda_generated_response");
    ROW(out, "L4", "edge_function\tlikely\trt_lambda_generated_response");
    ROW(out, "L5", "edge_function\tpossible\trt_lambda_generated_response_no_function");
    free(out);
}

Test(config_evidence, function_errors_and_documented_lambda_types)
{
    header();
    fn_lines("E", k_fn_error);
    fn_lines("T", k_fn_throttled);
    fn_lines("X", k_lambda_error);
    fn_lines("M", k_miss_generated);
    char *out = requests("");
    ROW(out, "E0", "edge_function\tlikely\trt_function_error");
    ROW(out, "T5", "edge_function\tlikely\trt_function_error");
    /* LambdaExecutionError and MissGeneratedResponse are in AWS's own list: confirmed */
    ROW(out, "X0", "edge_function\tconfirmed\trt_lambda_execution_error");
    ROW(out, "M0", "edge_function\tconfirmed\tdrt_miss_generated_response");
    free(out);
    cfg c = fn_cfg();
    out = requests_cfg(&c);
    /* any CloudFront Function association (viewer-request or viewer-response) can fail */
    ROW(out, "E0", "edge_function\tconfirmed\trt_function_error_associated");
    ROW(out, "E2", "edge_function\tconfirmed\trt_function_error_associated");
    ROW(out, "T2", "edge_function\tconfirmed\trt_function_error_associated");
    ROW(out, "E1", "edge_function\tlikely\trt_function_error");
    ROW(out, "E5", "edge_function\tpossible\trt_function_error_no_function");
    /* a documented field proves it whatever the config says */
    for (int i = 0; i < 6; i++) {
        char id[8];
        snprintf(id, sizeof id, "X%d", i);
        ROW(out, id, "edge_function\tconfirmed\trt_lambda_execution_error");
        snprintf(id, sizeof id, "M%d", i);
        ROW(out, id, "edge_function\tconfirmed\tdrt_miss_generated_response");
    }
    free(out);
}

/* ---- attribution: another distribution, origin groups ---------------------------------- */

Test(config_evidence, cloudfront_origin_and_mixed_group)
{
    header();
    line2(k_origin_403, (kv[]){{"cs-uri-stem", "/cf/a"}, {"x-edge-request-id", "C0"}, {NULL, NULL}});
    line2(k_origin_403, (kv[]){{"cs-uri-stem", "/cf/a"},
                               {"x-edge-request-id", "C1"},
                               {"sc-content-type", "text/html"},
                               {NULL, NULL}});
    line2(k_origin_403, (kv[]){{"cs-uri-stem", "/mixed/a"}, {"x-edge-request-id", "G0"}, {NULL, NULL}});
    line2(k_origin_403, (kv[]){{"cs-uri-stem", "/mixed/a"},
                               {"x-edge-request-id", "G1"},
                               {"sc-content-type", "text/html"},
                               {NULL, NULL}});
    line2(k_origin_403, (kv[]){{"cs-uri-stem", "/s3/a"}, {"x-edge-request-id", "S0"}, {NULL, NULL}});
    cfg c = {0};
    c.origins = k_group_origins;
    c.groups = k_groups;
    c.behaviors = "{\"PathPattern\": \"/s3/*\", \"TargetOriginId\": \"g-s3\"},"
                  "{\"PathPattern\": \"/mixed/*\", \"TargetOriginId\": \"g-mixed\"},"
                  "{\"PathPattern\": \"/cf/*\", \"TargetOriginId\": \"g-cf\"}";
    c.def_target = "web";
    char *out = requests_cfg(&c);
    /* another distribution as origin: its 403 reaches us as an origin's (origin_custom),
     * under a rule that names it */
    ROW(out, "C0", "origin_custom\tlikely\tcloudfront_origin_xml_body");
    ROW(out, "C1", "origin_custom\tlikely\torigin_result_type_cloudfront");
    /* a group of S3 and custom members: as if the kind were unknown */
    ROW(out, "G0", "origin_s3\tlikely\ts3_xml_body_unconfigured");
    ROW(out, "G1", "origin_custom\tlikely\torigin_result_type");
    /* a group of S3 members is S3 */
    ROW(out, "S0", "origin_s3\tconfirmed\ts3_xml_body");
    free(out);
}

/* ---- attribution: LastModifiedTime -------------------------------------------------- */

/* HTTPS Only on every behavior; lines at 09:59:59 (before the config's 10:00:00) and
 * 10:00:00 (not before). */
Test(config_evidence, line_older_than_config_loses_one_level)
{
    header();
    line1("O0", "09:59:59", k_http_403);
    line1("N0", "10:00:00", k_http_403);
    line1("N1", "10:30:00", k_http_403);
    /* Same ordering for a rule that rests on the origin kind. */
    line1("O1", "09:00:00", k_origin_403);
    line1("N2", "10:00:01", k_origin_403);
    /* and one that does not rest on the config at all: the documented geo type */
    kv geo[] = {{"sc-status", "403"},
                {"x-edge-result-type", "Error"},
                {"x-edge-response-result-type", "Error"},
                {"x-edge-detailed-result-type", "ClientGeoBlocked"},
                {NULL, NULL}};
    line1("O2", "09:00:00", geo);
    const char *forms[] = {"\"LastModifiedTime\": \"2026-11-01T10:00:00.000Z\",",
                           "\"LastModifiedTime\": \"2026-11-01T11:00:00.250000+01:00\","};
    for (int i = 0; i < 2; i++) {
        cfg c = {0};
        c.lm = forms[i];
        char *out = requests_cfg(&c);
        /* two levels: the twin's, and the config (newer than the line) cannot say that no
         * web ACL or geo restriction answered before the protocol check (as for
         * behavior_method_not_allowed) */
        ROW(out, "O0", "https_required\tpossible\thttps_only_behavior_http_config_newer");
        ROW(out, "N0", "https_required\tconfirmed\thttps_only_behavior_http");
        ROW(out, "N1", "https_required\tconfirmed\thttps_only_behavior_http");
        ROW(out, "O1", "origin_s3\tlikely\ts3_xml_body_config_newer");
        ROW(out, "N2", "origin_s3\tconfirmed\ts3_xml_body");
        ROW(out, "O2", "geo_restriction\tconfirmed\tdrt_client_geo_blocked");
        free(out);
    }
    /* No LastModifiedTime (get-distribution-config), or one cfscan cannot read: unchanged. */
    cfg c = {0};
    c.get_distribution_config = 1;
    char *out = requests_cfg(&c);
    ROW(out, "O0", "https_required\tconfirmed\thttps_only_behavior_http");
    ROW(out, "O1", "origin_s3\tconfirmed\ts3_xml_body");
    free(out);
    c.get_distribution_config = 0;
    c.lm = "\"LastModifiedTime\": \"last tuesday\",";
    out = requests_cfg(&c);
    ROW(out, "O0", "https_required\tconfirmed\thttps_only_behavior_http");
    free(out);
}

/* 24 origin fetches at 90 ms (Miss 200s): a reference by which the 60 ms 403s of
 * slow_403 are the origin's. */
static void origin_reference(void)
{
    for (int i = 0; i < 24; i++)
        line2((kv[]){{"x-edge-result-type", "Miss"},
                     {"x-edge-response-result-type", "Miss"},
                     {"x-edge-detailed-result-type", "Miss"},
                     {"time-taken", "0.090"},
                     {"time-to-first-byte", "0.090"},
                     {NULL, NULL}},
              NULL);
}

/* An unexplained Error 403 timed at 60 ms with the given content type, then the
 * overrides in more (request id, time, method, URI). */
static void slow_403(const char *content_type, const kv *more)
{
    kv both[16] = {{"sc-status", "403"},
                   {"x-edge-result-type", "Error"},
                   {"x-edge-response-result-type", "Error"},
                   {"x-edge-detailed-result-type", "Error"},
                   {"time-taken", "0.060"},
                   {"time-to-first-byte", "0.060"},
                   {"sc-content-type", content_type}};
    size_t n = 7;
    for (const kv *o = more; o && o->k && n < 15; o++) both[n++] = *o;
    both[n] = (kv){NULL, NULL};
    line2(both, NULL);
}

/* The verdicts made by timing (the latency test) and by v2's origin-fbl have no
 * _config_newer twins: on a line older than the config they leave its origin kind out
 * and judge the line as without a config (the log alone), where they used to name the
 * config's S3 origin at full strength (latency_origin_s3 and non_cloudfront_body_s3
 * likely, origin_first_byte_logged_s3 confirmed).  origin-fbl proves that the origin
 * answered, not its kind: confirmed only where the config says custom and held. */
Test(config_evidence, older_line_and_timed_origin_verdicts)
{
    header();
    origin_reference();
    slow_403("text/html", (kv[]){{"x-edge-request-id", "OH"}, {"time", "09:00:00"}, {NULL, NULL}});
    slow_403("text/html", (kv[]){{"x-edge-request-id", "NH"}, {"time", "10:00:01"}, {NULL, NULL}});
    slow_403("application/json", (kv[]){{"x-edge-request-id", "OJ"}, {"time", "09:00:00"}, {NULL, NULL}});
    slow_403("application/json", (kv[]){{"x-edge-request-id", "NJ"}, {"time", "10:00:01"}, {NULL, NULL}});
    cfg c = {0};
    c.lm = "\"LastModifiedTime\": \"2026-11-01T10:00:00.000Z\",";
    c.acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/1";
    char *out = requests_cfg(&c);
    ROW(out, "NH", "origin_s3\tlikely\tlatency_origin_s3");
    ROW(out, "OH", "origin_custom\tlikely\tlatency_origin_custom");
    ROW(out, "NJ", "origin_s3\tlikely\tnon_cloudfront_body_s3");
    ROW(out, "OJ", "origin_custom\tlikely\tnon_cloudfront_body");
    free(out);
}

/* A history of configs of one distribution (a nightly job saving each day's
 * get-distribution): each line is judged by the one in force when it was written, the
 * latest LastModifiedTime at or before the line; a line older than all of them by the
 * oldest, lowered.  The first file by name used to decide every line, silently.  Here
 * September's config is https-only and November's allows http. */
Test(config_evidence, each_line_judged_by_the_config_of_its_time)
{
    header();
    line1("OCT", "10:00:00", k_http_403); /* 2026-11-01T10:00: after both */
    cfg sep = {0}, nov = {0};
    sep.lm = "\"LastModifiedTime\": \"2026-09-01T00:00:00Z\",";
    nov.lm = "\"LastModifiedTime\": \"2026-11-01T05:00:00Z\",";
    nov.vpp = "allow-all";
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/cfg", g_dir);
    cr_assert_eq(mkdir(dir, 0755), 0);
    free(write_cfg(&sep, "cfg/E1TESTDIST0001.2026-09-01.json"));
    free(write_cfg(&nov, "cfg/E1TESTDIST0001.2026-11-01.json"));
    char args[1024];
    snprintf(args, sizeof args, "--config %s/cfg", g_dir);
    char *out = requests(args);
    cr_expect_null(strstr(tu_tsv_row(out, "OCT"), "https_required"), "judged by September's: %s", out);
    free(out);
    /* a line before November's: September's (https-only) */
    header();
    line1("EARLY", "04:00:00", k_http_403);
    out = requests(args);
    ROW(out, "EARLY", "https_required\tconfirmed\thttps_only_behavior_http");
    free(out);
    /* and the unit: every line time against three versions, one without a time */
    cfs_config_set set = {0};
    const char *names[] = {"cfg/E1TESTDIST0001.2026-09-01.json", "cfg/E1TESTDIST0001.2026-11-01.json"};
    for (int i = 0; i < 2; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", g_dir, names[i]);
        cr_assert_eq(cfs_config_load(&set, p, g_err, sizeof g_err), CFS_OK, "%s", g_err);
    }
    cfg none = {0};
    char *p = write_cfg(&none, "cfg/E1TESTDIST0001.untimed.json");
    cr_assert_eq(cfs_config_load(&set, p, g_err, sizeof g_err), CFS_OK, "%s", g_err);
    free(p);
    cr_assert_eq(set.n, 3);
    const cfs_dist_config *d0 = &set.d[0], *d1 = &set.d[1];
    cr_assert_eq(cfs_config_versions(&set, d0), 3);
    cr_assert_eq(cfs_config_versions(&set, &set.d[2]), 3);
    cr_assert_eq(cfs_config_untimed_versions(&set, d0), 1, "the one no line can be judged by: warned");
    cr_assert_eq(cfs_config_version_at(&set, d0, utc(2026, 11, 1, 10, 0, 0)), d1);
    cr_assert_eq(cfs_config_version_at(&set, &set.d[2], utc(2026, 11, 1, 5, 0, 0)), d1, "at its second");
    cr_assert_eq(cfs_config_version_at(&set, d1, utc(2026, 11, 1, 4, 59, 59)), d0);
    cr_assert_eq(cfs_config_version_at(&set, d1, utc(2026, 1, 1, 0, 0, 0)), d0, "before all: the oldest");
    cr_assert_eq(cfs_config_version_at(&set, d0, CFS_NO_TIME), d1, "no time: the latest");
    cfs_config_free(&set);
}

/* "No web ACL" is what the config says now: an unexplained edge-fast 403 older than the
 * config is judged as if the ACL were unknown (a WAF block is possible again), a newer one
 * as some other edge refusal.  No origin fetches here, so both are the absolute forms. */
Test(config_evidence, older_line_and_no_web_acl)
{
    header();
    kv fast[] = {{"sc-status", "403"},
                 {"x-edge-result-type", "Error"},
                 {"x-edge-response-result-type", "Error"},
                 {"x-edge-detailed-result-type", "Error"},
                 {"cs-uri-stem", "/x"},
                 {NULL, NULL}};
    line1("O0", "09:59:59", fast);
    line1("N0", "10:00:01", fast);
    cfg c = {0};
    c.lm = "\"LastModifiedTime\": \"2026-11-01T10:00:00.000Z\",";
    c.acl = "";
    char *out = requests_cfg(&c);
    ROW(out, "O0", "waf_block\tpossible\tlatency_edge_waf_absolute");
    ROW(out, "N0", "edge_other\tpossible\tlatency_edge_no_acl_absolute");
    free(out);
}

/* The same through attribution: behind the group that fails over on 403 (S3 primary,
 * custom secondary), a GET's 403 timed as the origin's is the custom origin's, a POST's the
 * S3 primary's (it cannot fail over). */
Test(config_evidence, origin_group_member_decides_the_origin_verdict)
{
    header();
    origin_reference();
    slow_403("text/html", (kv[]){{"x-edge-request-id", "GET"}, {"cs-uri-stem", "/f/a"}, {NULL, NULL}});
    slow_403(
        "text/html",
        (kv[]){{"x-edge-request-id", "POST"}, {"cs-method", "POST"}, {"cs-uri-stem", "/f/a"}, {NULL, NULL}});
    cfg c = {0};
    c.origins = k_group_origins;
    c.groups = "\"OriginGroups\": {\"Quantity\": 1, \"Items\": [" GROUP403("f-s3-web",
                                                                           MEM("s3") ", " MEM("web")) "]}";
    c.behaviors =
        "{\"PathPattern\": \"/f/*\", \"TargetOriginId\": \"f-s3-web\", \"ViewerProtocolPolicy\": \"allow-all\","
        " \"TrustedKeyGroups\": {\"Enabled\": false, \"Quantity\": 0},"
        " \"AllowedMethods\": {\"Quantity\": 3, \"Items\": [\"HEAD\", \"GET\", \"POST\"]}}";
    c.acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/1";
    char *out = requests_cfg(&c);
    ROW(out, "GET", "origin_custom\tlikely\tlatency_origin_custom");
    ROW(out, "POST", "origin_s3\tlikely\tlatency_origin_s3");
    free(out);
}

/* A config that lacks WebACLId (written by hand or by another tool, not the CLI) says
 * nothing about a web ACL: an unexplained edge-fast 403 stays a possible WAF block, as
 * without a config.  It was read as "no web ACL" and the 403 called edge_other. */
Test(config_evidence, config_without_web_acl_id_leaves_waf_open)
{
    header();
    kv fast[] = {{"sc-status", "403"},
                 {"x-edge-result-type", "Error"},
                 {"x-edge-response-result-type", "Error"},
                 {"x-edge-detailed-result-type", "Error"},
                 {"cs-uri-stem", "/x"},
                 {NULL, NULL}};
    line1("F0", "10:00:00", fast);
    char *p = tu_write_config(
        g_dir, "E1TESTDIST0001.json",
        "{\"Aliases\": {\"Quantity\": 2, \"Items\": [\"www.example.com\", \"example.com\"]}, \"Origins\": {\"Quantity\": 1, \"Items\": [" S3_ORIGIN
        "]}, \"DefaultCacheBehavior\": {\"TargetOriginId\": \"s3\", "
        "\"ViewerProtocolPolicy\": \"allow-all\"}}",
        1, NULL);
    char args[1024];
    snprintf(args, sizeof args, "--config %s", p);
    free(p);
    char *out = requests(args);
    ROW(out, "F0", "waf_block\tpossible\tlatency_edge_waf_absolute");
    free(out);
}

/* A rule raised by the config falls back one level on an older line; the no-function
 * lowering needs a config that held when the line was written, so it does not apply. */
Test(config_evidence, older_line_and_function_associations)
{
    header();
    line2(k_fn_generated,
          (kv[]){{"cs-uri-stem", "/vr/a"}, {"x-edge-request-id", "A0"}, {"time", "09:00:00"}, {NULL, NULL}});
    line2(k_fn_generated,
          (kv[]){{"cs-uri-stem", "/plain"}, {"x-edge-request-id", "P0"}, {"time", "09:00:00"}, {NULL, NULL}});
    line2(k_fn_generated,
          (kv[]){{"cs-uri-stem", "/vr/a"}, {"x-edge-request-id", "A1"}, {"time", "11:00:00"}, {NULL, NULL}});
    line2(k_fn_generated,
          (kv[]){{"cs-uri-stem", "/plain"}, {"x-edge-request-id", "P1"}, {"time", "11:00:00"}, {NULL, NULL}});
    cfg c = fn_cfg();
    c.lm = "\"LastModifiedTime\": \"2026-11-01T10:00:00Z\",";
    char *out = requests_cfg(&c);
    ROW(out, "A0", "edge_function\tlikely\trt_function_generated_response_associated_config_newer");
    ROW(out, "P0", "edge_function\tlikely\trt_function_generated_response");
    ROW(out, "A1", "edge_function\tconfirmed\trt_function_generated_response_associated");
    ROW(out, "P1", "edge_function\tpossible\trt_function_generated_response_no_function");
    free(out);
}

/* ---- report ------------------------------------------------------------------------- */

/* By hand from the config below:
 *   aliases 2; DomainName known; web ACL yes; IncludeCookies on;
 *   behaviors 5 = 4 listed + default: restricted 1 (/private/); with a viewer-request
 *   function 2 (/vr/ CloudFront Function, /le/ Lambda@Edge); with other associations 2
 *   (/vr/ also has an origin-response Lambda@Edge, /resp/ a viewer-response function);
 *   functions not in the config 1 (the default behavior);
 *   origins 6 = S3 REST 2, S3 website 1, custom 1, cloudfront 2; groups 4;
 *   LastModifiedTime 2026-11-01T10:00:00Z.
 * Log (report_log): 403s older than the config and judged by it: O0 and O1, both
 * https_only_behavior_http (default behavior and /resp/): 2.  O2 is older but judged by
 * the log alone (ClientGeoBlocked): not counted; N0 is newer; H0 is a 200. */
static cfg report_cfg(void)
{
    cfg c = {0};
    c.origins = k_group_origins;
    c.groups = k_groups;
    c.acl = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/a/0123";
    c.cookies = "true";
    c.lm = "\"LastModifiedTime\": \"2026-11-01T10:00:00Z\",";
    c.behaviors =
        "{\"PathPattern\": \"/private/*\", \"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"https-only\","
        " \"TrustedKeyGroups\": {\"Enabled\": true, \"Quantity\": 1, \"Items\": [\"kg1\"]},"
        " \"FunctionAssociations\": {\"Quantity\": 0}, \"LambdaFunctionAssociations\": {\"Quantity\": 0}},"
        "{\"PathPattern\": \"/vr/*\", \"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"https-only\","
        " \"FunctionAssociations\": {\"Quantity\": 1, \"Items\": [" FN(
            "viewer-request") "]},"
                              " \"LambdaFunctionAssociations\": {\"Quantity\": 1, \"Items\": [" LE(
                                  "origin-response") "]}},"
                                                     "{\"PathPattern\": \"/le/*\", \"TargetOriginId\": \"g-s3\", \"ViewerProtocolPolicy\": \"https-only\","
                                                     " \"LambdaFunctionAssociations\": {\"Quantity\": 1, \"Items\": [" LE(
                                                         "viewer-request") "]}},"
                                                                           "{\"PathPattern\": \"/resp/*\", \"TargetOriginId\": \"cf\", \"ViewerProtocolPolicy\": \"https-only\","
                                                                           " \"FunctionAssociations\": {\"Quantity\": 1, \"Items\": [" FN(
                                                                               "viewer-response") "]}}";
    return c;
}

static void report_log(void)
{
    header();
    line1("O0", "09:59:00", k_http_403);
    line2(
        k_http_403,
        (kv[]){{"x-edge-request-id", "O1"}, {"time", "09:10:00"}, {"cs-uri-stem", "/resp/x"}, {NULL, NULL}});
    kv geo[] = {{"sc-status", "403"},
                {"x-edge-result-type", "Error"},
                {"x-edge-response-result-type", "Error"},
                {"x-edge-detailed-result-type", "ClientGeoBlocked"},
                {NULL, NULL}};
    line1("O2", "09:00:00", geo);
    line1("N0", "10:05:00", k_http_403);
    line1("H0", "10:06:00", NULL);
}

Test(config_evidence, report_says_what_was_read)
{
    report_log();
    cfg c = report_cfg();
    char *p = write_cfg(&c, NULL);
    char args[1024];
    snprintf(args, sizeof args, "--config %s", p);
    char *txt = scan(args);
    HAS(txt, "config: E1TESTDIST0001 from ");
    HAS(txt,
        "E1TESTDIST0001.json: DomainName d111111abcdef8.cloudfront.net, 2 aliases, web ACL yes, IncludeCookies on\n");
    HAS(txt, "config: 5 behaviors: 1 restricted, 2 with a viewer-request function, 2 with other function "
             "associations, 1 with functions not in the config\n");
    HAS(txt, "config: 6 origins: 2 S3 REST, 1 S3 website, 1 custom, 2 CloudFront; 4 origin groups\n");
    HAS(txt, "config: LastModifiedTime 2026-11-01T10:00:00Z\n");
    HAS(txt, "403s older than this config: 2 (evidence lowered one level)\n");
    /* the existing custom-error line stays */
    HAS(txt, "config: no CustomErrorResponses entry for 403\n");
    /* behaviors without either signer list: unknown, not "unrestricted" */
    HAS(txt, "config: 3 behaviors with neither TrustedKeyGroups nor TrustedSigners: signers unknown\n");
    free(txt);

    snprintf(args, sizeof args, "--config %s --format json", p);
    char *js = scan(args);
    HAS(js, "\"older_than_config_403\":2");
    HAS(js, "\"config\":{\"file\":");
    HAS(js,
        "\"id\":\"E1TESTDIST0001\",\"domain_name\":\"d111111abcdef8.cloudfront.net\",\"aliases\":2,"
        "\"web_acl\":true,\"include_cookies\":\"on\","
        "\"behaviors\":{\"total\":5,\"restricted\":1,\"signers_unknown\":3,\"viewer_request_functions\":2,"
        "\"other_functions\":2,"
        "\"functions_unknown\":1},\"versions\":1,"
        "\"origins\":{\"total\":6,\"s3_rest\":2,\"s3_website\":1,\"custom\":1,\"cloudfront\":2,\"unknown\":0,"
        "\"groups\":4},"
        "\"last_modified\":\"2026-11-01T10:00:00Z\",\"last_modified_read\":\"read\"}");
    free(js);
    free(p);

    /* get-distribution-config: no DomainName, no LastModifiedTime; cookies off, no ACL */
    c.get_distribution_config = 1;
    c.cookies = "false";
    c.acl = "";
    p = write_cfg(&c, NULL);
    snprintf(args, sizeof args, "--config %s", p);
    txt = scan(args);
    HAS(txt,
        "E1TESTDIST0001.json: DomainName not in the config, 2 aliases, web ACL no, IncludeCookies off\n");
    HAS(txt, "config: LastModifiedTime not in the config\n");
    HASNT(txt, "older than this config");
    free(txt);
    snprintf(args, sizeof args, "--config %s --format json", p);
    js = scan(args);
    HAS(js, "\"older_than_config_403\":0");
    HAS(js, "\"domain_name\":null,\"aliases\":2,\"web_acl\":false,\"include_cookies\":\"off\"");
    HAS(js, "\"last_modified\":null,\"last_modified_read\":\"absent\"}");
    free(js);
    free(p);

    /* an unreadable LastModifiedTime is reported as such; IncludeCookies absent */
    c.get_distribution_config = 0;
    c.lm = "\"LastModifiedTime\": \"soon\",";
    c.cookies = "null";
    p = write_cfg(&c, NULL);
    snprintf(args, sizeof args, "--config %s", p);
    txt = scan(args);
    HAS(txt, "IncludeCookies not in the config\n");
    HAS(txt, "config: LastModifiedTime not read (not an ISO 8601 time with a zone)\n");
    free(txt);
    snprintf(args, sizeof args, "--config %s --format json", p);
    js = scan(args);
    HAS(js, "\"include_cookies\":\"not_in_config\"");
    HAS(js, "\"last_modified\":null,\"last_modified_read\":\"unreadable\"}");
    free(js);
    free(p);
}

/* The count is made per line on worker threads: one thread or two give the same JSON. */
Test(config_evidence, older_count_same_with_one_or_two_threads)
{
    report_log();
    char logs[1024];
    snprintf(logs, sizeof logs, "%s/logs", g_dir);
    cr_assert_eq(mkdir(logs, 0700), 0);
    for (int i = 0; i < 6; i++) {
        char nm[64];
        snprintf(nm, sizeof nm, "E1TESTDIST0001.2026-11-01-1%d.abcd1234.log", i);
        free(tu_write(logs, nm, g_log, g_n));
    }
    cfg c = report_cfg();
    char *p = write_cfg(&c, NULL);
    char cmd[4096], *o1 = NULL, *o2 = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s -q -j1 --config %s --format json", tu_prog("cfscan"), logs, p);
    cr_assert_eq(tu_run(cmd, &o1, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s scan %s -q -j2 --config %s --format json", tu_prog("cfscan"), logs, p);
    cr_assert_eq(tu_run(cmd, &o2, NULL), 0);
    HAS(o1, "\"older_than_config_403\":12"); /* 2 per file, 6 files */
    cr_expect_str_eq(o1, o2);
    free(o1);
    free(o2);
    free(p);
}

/* Every "_config_newer" rule is the twin of a rule of the same name without the suffix
 * (the names are written twice in attribute.c's CONFIG_TWINS), and the report's counter
 * knows exactly those. */
Test(config_evidence, config_newer_rules_are_twins)
{
    static const char suf[] = "_config_newer";
    size_t twins = 0;
    for (unsigned r = 0; r < cfs_rule_count(); r++) {
        const char *nm = cfs_rule_name((uint16_t)r);
        size_t n = strlen(nm), k = sizeof suf - 1;
        int is_twin = n > k && strcmp(nm + n - k, suf) == 0;
        cr_expect_eq(cfs_rule_is_config_newer((uint16_t)r), is_twin, "%s", nm);
        if (!is_twin) continue;
        twins++;
        int found = 0;
        for (unsigned b = 0; b < cfs_rule_count() && !found; b++) {
            const char *bn = cfs_rule_name((uint16_t)b);
            found = strlen(bn) == n - k && strncmp(bn, nm, n - k) == 0;
        }
        cr_expect(found, "%s has no base rule", nm);
    }
    cr_expect_geq(twins, 10);
}

/* The count lives in the rules of the traffic rows, so a summary written by `scan -o` and
 * merged (no configs there) reports the same 2 per log. */
Test(config_evidence, older_count_survives_state_and_merge)
{
    report_log();
    char *log = tu_write(g_dir, LOG_NAME, g_log, g_n);
    /* a second log (another name: merge refuses to count one input twice, issue 13) */
    char *log2 = tu_write(g_dir, "E1TESTDIST0001.2026-11-01-10.second.log", g_log, g_n);
    cfg c = report_cfg();
    char *p = write_cfg(&c, NULL);
    char cmd[4096], *out = NULL;
    snprintf(cmd, sizeof cmd,
             "%s scan %s -q --config %s -o %s/s1 >/dev/null && %s scan %s -q --config %s -o %s/s2 >/dev/null",
             tu_prog("cfscan"), log, p, g_dir, tu_prog("cfscan"), log2, p, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s merge %s/s1 %s/s2 -o %s/m -q", tu_prog("cfscan"), g_dir, g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0);
    HAS(out, "403s older than this config: 4 (evidence lowered one level)\n");
    HASNT(out, "config: E1TESTDIST0001 from"); /* merge has no configs to describe */
    free(out);
    snprintf(cmd, sizeof cmd, "%s merge %s/s1 %s/s2 -o %s/m2 -q --format json", tu_prog("cfscan"), g_dir,
             g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0);
    HAS(out, "\"older_than_config_403\":4");
    HAS(out, "\"https_only_behavior_http_config_newer\":4");
    free(out);
    free(p);
    free(log);
    free(log2);
}
