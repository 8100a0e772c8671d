/* WAF logs as 403 evidence, issue 10 item 7 and "WAF log coverage", driven through the
 * built cfscan with hand-written WAF records and log lines.  Expected outcomes follow the
 * AWS documentation as summarised in shared/reference/cloudfront-logs.md §5.3 (record
 * fields: timestamp in epoch ms, webaclId, action, httpSourceId = distribution id,
 * responseCodeSent, httpRequest.requestId = x-edge-request-id) and the AWS WAF guide on
 * CAPTCHA and Challenge: those actions answer the viewer 405 and 202, never 403. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json.h"
#include "tests/util.h"

#define ACL "arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/abcd"
/* 2024-03-01T12:00:00Z */
#define T0_MS 1709294400000LL

static int run(char **out, const char *fmt, ...)
{
    char args[4096], cmd[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *prog = tu_prog("cfscan");
    snprintf(cmd, sizeof cmd, "timeout -s KILL 60 %s %s", prog, args);
    free(prog);
    return tu_run(cmd, out, NULL);
}

#define FIELDS                                                                                     \
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "          \
    "cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type " \
    "x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for "             \
    "ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status "          \
    "fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type "  \
    "sc-content-len sc-range-start sc-range-end\n"

/* One edge-looking 403 (§5.1: Error/Error/Error, CloudFront's text/html page, 1 ms), the
 * shape a WAF block and other edge refusals share in the access log. */
static size_t line403_as(char *b, size_t cap, const char *time, const char *rid, const char *content_type)
{
    return (size_t)snprintf(b, cap,
                            "2024-03-01\t%s\tFRA56-P1\t915\t192.0.2.10\tGET\td111111abcdef8.cloudfront.net\t"
                            "/index.html\t403\t-\tcurl/8.0\t-\t-\tError\t%s\twww.example.com\thttps\t100\t"
                            "0.001\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tError\tHTTP/2.0\t-\t-\t5555\t0.001\t"
                            "Error\t%s\t919\t-\t-\n",
                            time, rid, content_type);
}
static size_t line403(char *b, size_t cap, const char *time, const char *rid)
{
    return line403_as(b, cap, time, rid, "text/html");
}

/* One WAF record (§5.3 fields).  code < 0: responseCodeSent null. */
static size_t rec(char *b, size_t cap, long long ts_ms, const char *dist, const char *action, int code,
                  const char *rid)
{
    char cs[16];
    if (code < 0) snprintf(cs, sizeof cs, "null");
    else snprintf(cs, sizeof cs, "%d", code);
    return (size_t)snprintf(
        b, cap,
        "{\"timestamp\":%lld,\"formatVersion\":1,\"webaclId\":\"" ACL "\",\"terminatingRuleId\":\"%s\","
        "\"terminatingRuleType\":\"REGULAR\",\"action\":\"%s\",\"terminatingRuleMatchDetails\":[],"
        "\"httpSourceName\":\"CF\",\"httpSourceId\":\"%s\",\"ruleGroupList\":[],\"rateBasedRuleList\":[],"
        "\"nonTerminatingMatchingRules\":[],\"requestHeadersInserted\":null,\"responseCodeSent\":%s,"
        "\"httpRequest\":{\"clientIp\":\"192.0.2.10\",\"country\":\"DE\",\"headers\":[],\"uri\":\"/index.html\","
        "\"args\":\"\",\"httpVersion\":\"HTTP/2.0\",\"httpMethod\":\"GET\",\"requestId\":\"%s\"}}\n",
        ts_ms, strcmp(action, "ALLOW") ? "BlockBadBots" : "Default_Action", action, dist, cs, rid);
}

/* The rule column of the `requests` row whose x-edge-request-id is rid ("" if none). */
static void rule_of(const char *dir, const char *logs, const char *extra, const char *rid, char *rule,
                    size_t cap, char *cause, size_t ccap)
{
    char *out = NULL;
    int rc = run(&out, "requests %s -q -j1 --request-id %s --fields x-edge-request-id %s", logs, rid, extra);
    (void)dir;
    cr_assert(rc == 0 || rc == 3, "requests exit %d", rc);
    rule[0] = cause[0] = '\0';
    /* header row, then: rid \t cause \t evidence \t rule */
    const char *l = strchr(out, '\n');
    cr_assert_not_null(l, "no header in: %s", out);
    l++;
    char r[256] = "", c[64] = "", e[64] = "", ru[128] = "";
    if (sscanf(l, "%255[^\t]\t%63[^\t]\t%63[^\t]\t%127[^\t\n]", r, c, e, ru) == 4) {
        snprintf(rule, cap, "%s", ru);
        snprintf(cause, ccap, "%s/%s", c, e);
    }
    free(out);
}

typedef struct fixture {
    char *dir;
    char logs[512];
    char waf[512];
} fixture;

static void write_files(fixture *fx, const char *logname, const char *log, size_t nlog, const char *waf,
                        size_t nwaf)
{
    fx->dir = tu_mkdtemp();
    char *lp = tu_write(fx->dir, logname, log, nlog);
    char *wp = tu_write(fx->dir, "waf.log", waf, nwaf);
    snprintf(fx->logs, sizeof fx->logs, "%s", lp);
    snprintf(fx->waf, sizeof fx->waf, "--waf-logs %s", wp);
    free(lp);
    free(wp);
}

static cfs_json_doc scan_json(const char *args)
{
    char *out = NULL;
    int rc = run(&out, "scan %s -q -j1 --format json", args);
    cr_assert(rc == 0 || rc == 3, "scan exit %d", rc);
    cfs_json_doc doc = {0};
    char err[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), err, sizeof err), 0, "report JSON: %s", err);
    free(out);
    return doc;
}

static const cfs_json *dist_entry(const cfs_json_doc *doc, const char *dist)
{
    const cfs_json *ds = cfs_json_path(cfs_json_root(doc), "forbidden.distributions");
    for (const cfs_json *d = cfs_json_first(ds); d; d = cfs_json_next(d)) {
        const char *s = cfs_json_str(cfs_json_get(d, "distribution"));
        if (s && !strcmp(s, dist)) return d;
    }
    return NULL;
}

static double num_at(const cfs_json *o, const char *path)
{
    double v = -1;
    if (!cfs_json_num(cfs_json_path(o, path), &v)) return -1;
    return v;
}

#define RID(x) x "RID00000000000000000000000000000000000000000000000=="

/* Item 7: a CAPTCHA or CHALLENGE record answers 405 / 202 (AWS WAF guide, CAPTCHA and
 * Challenge actions), so joined to a 403 it proves no block: the line goes on through
 * the other rules as if unjoined, and the report counts the anomaly.  A BLOCK record
 * (default response 403, §5.3) joined to a 403 stays confirmed; a BLOCK whose
 * responseCodeSent is a custom code other than 403 contradicts the 403 and is an anomaly
 * too. */
Test(waf_coverage, captcha_challenge_and_custom_code_on_403_are_anomalies)
{
    char log[8192], waf[16384];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:00", RID("cap"));
    nl += line403(log + nl, sizeof log - nl, "12:00:01", RID("chl"));
    nl += line403(log + nl, sizeof log - nl, "12:00:02", RID("blk"));
    nl += line403(log + nl, sizeof log - nl, "12:00:03", RID("b29"));
    nl += line403(log + nl, sizeof log - nl, "12:00:04", RID("b03"));
    size_t nw = 0;
    nw += rec(waf + nw, sizeof waf - nw, T0_MS, "E2EXAMPLE", "CAPTCHA", -1, RID("cap"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 1000, "E2EXAMPLE", "CHALLENGE", -1, RID("chl"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 2000, "E2EXAMPLE", "BLOCK", -1, RID("blk"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 3000, "E2EXAMPLE", "BLOCK", 429, RID("b29"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 4000, "E2EXAMPLE", "BLOCK", 403, RID("b03"));
    fixture fx;
    write_files(&fx, "E2EXAMPLE.2024-03-01-12.abcd1234", log, nl, waf, nw);

    char rule[128], cause[128];
    rule_of(fx.dir, fx.logs, fx.waf, RID("blk"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "waf_log_block");
    cr_expect_str_eq(cause, "waf_block/confirmed");
    rule_of(fx.dir, fx.logs, fx.waf, RID("b03"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "waf_log_block", "BLOCK with responseCodeSent 403 is the block");
    /* As if unjoined: WAF logs given and cover the line, no block record for it. */
    const char *anom[] = {RID("cap"), RID("chl"), RID("b29")};
    for (int i = 0; i < 3; i++) {
        rule_of(fx.dir, fx.logs, fx.waf, anom[i], rule, sizeof rule, cause, sizeof cause);
        cr_expect(strncmp(rule, "waf_log_", 8) != 0, "%s joined as %s", anom[i], rule);
        cr_expect(strncmp(cause, "waf_block", 9) != 0, "%s: %s", anom[i], cause);
        cr_expect_str_eq(rule, "latency_edge_waf_unlogged_absolute", "%s", anom[i]);
    }

    char args[1100];
    snprintf(args, sizeof args, "%s %s", fx.logs, fx.waf);
    cfs_json_doc doc = scan_json(args);
    const cfs_json *d = dist_entry(&doc, "E2EXAMPLE");
    cr_assert_not_null(d);
    cr_expect_eq(num_at(d, "waf_anomalies.captcha_or_challenge_on_403"), 2.0);
    cr_expect_eq(num_at(d, "waf_anomalies.block_code_not_403"), 1.0);
    cfs_json_doc_free(&doc);

    char *out = NULL;
    run(&out, "scan %s -q -j1", args);
    cr_expect_not_null(strstr(out, "CAPTCHA/CHALLENGE"), "text report names the anomaly:\n%s", out);
    free(out);
    tu_rmrf(fx.dir);
    free(fx.dir);
}

/* Coverage: "no WAF record, so not WAF" holds only for lines of a distribution the WAF
 * logs cover (httpSourceId, §5.3) inside the time span they cover (+/- 5 min skew).  The
 * rest get the verdict they would get without WAF logs and are counted. */
Test(waf_coverage, unlogged_inference_only_inside_coverage)
{
    char log[8192], waf[16384];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:30", RID("in1")); /* inside the span */
    nl += line403(log + nl, sizeof log - nl, "12:14:00", RID("skw")); /* 4 min after last */
    nl += line403(log + nl, sizeof log - nl, "12:30:00", RID("lat")); /* 20 min after last */
    nl += line403(log + nl, sizeof log - nl, "11:40:00", RID("ear")); /* 20 min before first */
    /* a body of its own (WAF's custom response or a fast origin's) outside coverage: it was
     * judged as if the logs had ruled WAF out (origin_custom, likely) */
    nl += line403_as(log + nl, sizeof log - nl, "12:30:00", RID("jsn"), "application/json");
    size_t nw = 0;
    /* ALLOW records alone establish the span: first 12:00:00, last 12:10:00. */
    nw += rec(waf + nw, sizeof waf - nw, T0_MS, "E2EXAMPLE", "ALLOW", -1, RID("al1"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 300000, "E2EXAMPLE", "ALLOW", -1, RID("al2"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 600000, "E2EXAMPLE", "ALLOW", -1, RID("al3"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 5000, "E2EXAMPLE", "BLOCK", -1, RID("xx1"));
    /* another distribution's records do not cover E2EXAMPLE, and vice versa */
    nw += rec(waf + nw, sizeof waf - nw, T0_MS - 3600000, "E3OTHER", "ALLOW", -1, RID("ot1"));
    fixture fx;
    write_files(&fx, "E2EXAMPLE.2024-03-01-12.abcd1234", log, nl, waf, nw);
    /* A second distribution's log, at a time E2EXAMPLE's records cover, but no record of
     * its own distribution there. */
    char log2[4096];
    size_t n2 = (size_t)snprintf(log2, sizeof log2, FIELDS);
    n2 += line403(log2 + n2, sizeof log2 - n2, "12:00:30", RID("oth"));
    char *p2 = tu_write(fx.dir, "E4NOWAF.2024-03-01-12.abcd1234", log2, n2);
    char logs[1100];
    snprintf(logs, sizeof logs, "%s %s", fx.logs, p2);

    char rule[128], cause[128], base[128], bcause[128];
    rule_of(fx.dir, logs, fx.waf, RID("in1"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "latency_edge_waf_unlogged_absolute", "inside coverage: not WAF");
    rule_of(fx.dir, logs, fx.waf, RID("skw"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "latency_edge_waf_unlogged_absolute", "within the 5 min skew");
    /* Outside: the verdict without WAF logs (computed by a run without them). */
    const char *outside[] = {RID("lat"), RID("ear"), RID("oth")};
    for (int i = 0; i < 3; i++) {
        rule_of(fx.dir, logs, fx.waf, outside[i], rule, sizeof rule, cause, sizeof cause);
        rule_of(fx.dir, logs, "", outside[i], base, sizeof base, bcause, sizeof bcause);
        cr_expect_str_eq(base, "latency_edge_waf_absolute", "without WAF logs (sanity)");
        cr_expect_str_eq(rule, base, "%s outside coverage", outside[i]);
        cr_expect_str_eq(cause, bcause, "%s outside coverage", outside[i]);
    }
    rule_of(fx.dir, logs, fx.waf, RID("jsn"), rule, sizeof rule, cause, sizeof cause);
    rule_of(fx.dir, logs, "", RID("jsn"), base, sizeof base, bcause, sizeof bcause);
    cr_expect_str_eq(base, "latency_edge_custom_body", "without WAF logs (sanity)");
    cr_expect_str_eq(rule, base, "a custom body outside coverage");
    cr_expect_str_eq(cause, bcause, "a custom body outside coverage");

    char args[2048];
    snprintf(args, sizeof args, "%s %s", logs, fx.waf);
    cfs_json_doc doc = scan_json(args);
    const cfs_json *d = dist_entry(&doc, "E2EXAMPLE");
    cr_assert_not_null(d);
    cr_expect_eq(num_at(d, "waf_outside_coverage_403"), 3.0);
    d = dist_entry(&doc, "E4NOWAF");
    cr_assert_not_null(d);
    cr_expect_eq(num_at(d, "waf_outside_coverage_403"), 1.0);
    /* The coverage itself: web ACLs, distributions, span, counts by action. */
    const cfs_json *cov = cfs_json_path(cfs_json_root(&doc), "waf_logs");
    cr_assert_not_null(cov, "no waf_logs in the JSON report");
    const char *acl = cfs_json_str(cfs_json_path(cov, "web_acls.0"));
    cr_expect(acl && !strcmp(acl, ACL), "web ACL %s", acl ? acl : "(none)");
    cr_expect_eq(cfs_json_count(cfs_json_get(cov, "distributions")), 2);
    const cfs_json *e2 = NULL;
    for (const cfs_json *x = cfs_json_first(cfs_json_get(cov, "distributions")); x; x = cfs_json_next(x)) {
        const char *s = cfs_json_str(cfs_json_get(x, "distribution"));
        if (s && !strcmp(s, "E2EXAMPLE")) e2 = x;
    }
    cr_assert_not_null(e2);
    cr_expect_eq(num_at(e2, "actions.ALLOW"), 3.0);
    cr_expect_eq(num_at(e2, "actions.BLOCK"), 1.0);
    cr_expect_eq(num_at(e2, "actions.CAPTCHA"), 0.0);
    cr_expect_eq(num_at(e2, "actions.CHALLENGE"), 0.0);
    const char *first = cfs_json_str(cfs_json_get(e2, "first"));
    const char *last = cfs_json_str(cfs_json_get(e2, "last"));
    cr_expect(first && !strcmp(first, "2024-03-01T12:00:00.000Z"), "first %s", first ? first : "-");
    cr_expect(last && !strcmp(last, "2024-03-01T12:10:00.000Z"), "last %s", last ? last : "-");
    cfs_json_doc_free(&doc);

    char *out = NULL;
    run(&out, "scan %s -q -j1", args);
    cr_expect_not_null(strstr(out, "4 403s lie outside the WAF logs' coverage"), "text:\n%s", out);
    cr_expect_not_null(strstr(out, "E3OTHER"), "coverage lists the distributions:\n%s", out);
    free(out);

    /* Thread count must not change anything. */
    char *o1 = NULL, *o2 = NULL;
    run(&o1, "scan %s -q -j1 --format json", args);
    run(&o2, "scan %s -q -j2 --format json", args);
    cr_expect_str_eq(o1, o2, "-j1 and -j2 JSON differ");
    free(o1);
    free(o2);
    free(p2);
    tu_rmrf(fx.dir);
    free(fx.dir);
}

/* ALLOW records count toward coverage without entering the join index, read by a light
 * top-level scan: keys of the same name nested deeper (here inside ruleGroupList) must not
 * be taken, and a record spelled with \u escapes (read by the full JSON parser) must count
 * the same. */
Test(waf_coverage, allow_records_counted_from_top_level_fields)
{
    char log[4096];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:30", RID("in1"));
    const char *waf =
        "{\"ruleGroupList\":[{\"httpSourceId\":\"EFAKE\",\"timestamp\":1,\"webaclId\":\"x\"}],"
        "\"timestamp\":1709294400000,\"webaclId\":\"" ACL "\",\"action\":\"ALLOW\","
        "\"terminatingRuleId\":\"Default_Action\",\"httpSourceId\":\"E2EXAMPLE\","
        "\"httpRequest\":{\"requestId\":\"a1\",\"headers\":[{\"name\":\"x\",\"value\":\"\\\"httpSourceId\\\":\\\"EFAKE2\\\"\"}]}}\n"
        "{\"timestamp\":1709294460000,\"webaclId\":\"" ACL "\",\"action\":\"ALLOW\","
        "\"terminatingRuleId\":\"Default_Action\",\"httpSourceId\":\"E2\\u0045XAMPLE\","
        "\"httpRequest\":{\"requestId\":\"a2\"}}\n"
        /* not an ALLOW record: the nested "action" is not the record's */
        "{\"timestamp\":1709294470000,\"webaclId\":\"" ACL "\",\"action\":\"EXCLUDED_AS_COUNT\","
        "\"ruleGroupList\":[{\"action\":\"ALLOW\"}],\"terminatingRuleId\":\"Default_Action\","
        "\"httpSourceId\":\"E2EXAMPLE\",\"httpRequest\":{\"requestId\":\"a3\"}}\n";
    fixture fx;
    write_files(&fx, "E2EXAMPLE.2024-03-01-12.abcd1234", log, nl, waf, strlen(waf));
    char args[1100];
    snprintf(args, sizeof args, "%s %s", fx.logs, fx.waf);
    cfs_json_doc doc = scan_json(args);
    const cfs_json *cov = cfs_json_path(cfs_json_root(&doc), "waf_logs");
    cr_assert_not_null(cov);
    cr_expect_eq(num_at(cov, "records"), 3.0);
    cr_expect_eq(num_at(cov, "bad_lines"), 1.0);
    cr_assert_eq(cfs_json_count(cfs_json_get(cov, "distributions")), 1, "only E2EXAMPLE is covered");
    const char *id = cfs_json_str(cfs_json_path(cov, "distributions.0.distribution"));
    cr_expect(id && !strcmp(id, "E2EXAMPLE"), "%s", id ? id : "-");
    cr_expect_eq(num_at(cov, "distributions.0.actions.ALLOW"), 2.0);
    const char *last = cfs_json_str(cfs_json_path(cov, "distributions.0.last"));
    cr_expect(last && !strcmp(last, "2024-03-01T12:01:00.000Z"), "last %s", last ? last : "-");
    cr_expect_eq(cfs_json_count(cfs_json_get(cov, "web_acls")), 1);
    /* covered, no block record: the WAF did not block it */
    const cfs_json *d = dist_entry(&doc, "E2EXAMPLE");
    cr_assert_not_null(d);
    cr_expect_eq(num_at(d, "waf_outside_coverage_403"), 0.0);
    cr_expect_eq(num_at(d, "causes.0.rules.latency_edge_waf_unlogged_absolute"), 1.0);
    cfs_json_doc_free(&doc);
    tu_rmrf(fx.dir);
    free(fx.dir);
}

/* A log whose name carries no distribution id: the line's distribution is known only
 * through the --config it matches (cs(Host) = the config's DomainName, §1.2), and that
 * config's Id is what httpSourceId names (§5.3).  Without the config the line cannot be
 * placed, so no "not WAF" inference. */
Test(waf_coverage, distribution_found_through_config)
{
    char log[4096], waf[4096];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:30", RID("cfg"));
    size_t nw = rec(waf, sizeof waf, T0_MS, "E1TESTDIST0001", "ALLOW", -1, RID("al1"));
    fixture fx;
    write_files(&fx, "plain.log", log, nl, waf, nw);
    char extra[1200], rule[128], cause[128];
    snprintf(extra, sizeof extra, "%s --config %s", fx.waf,
             CFS_SOURCE_DIR "/tests/fixtures/config/get-distribution.json");
    rule_of(fx.dir, fx.logs, extra, RID("cfg"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "latency_edge_waf_unlogged_absolute", "covered through the config's Id");
    rule_of(fx.dir, fx.logs, fx.waf, RID("cfg"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "latency_edge_waf_absolute", "no distribution id: not covered");
    tu_rmrf(fx.dir);
    free(fx.dir);
}

/* WAF logs that could not be read whole: a block record may be among what was lost, so no
 * 403 is taken for one WAF did not block (a covered 403 without a record was "not WAF":
 * edge_other, though its block sat after the damage), every failed file is named on stderr
 * (only the first was), and a line that is no WAF record makes the exit status 3 (it was
 * 0). */
Test(waf_coverage, logs_not_read_whole_rule_nothing_out)
{
    char log[4096], waf[8192];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:30", RID("in1"));
    size_t nw = 0;
    nw += rec(waf + nw, sizeof waf - nw, T0_MS, "E2EXAMPLE", "ALLOW", -1, RID("al1"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS + 600000, "E2EXAMPLE", "ALLOW", -1, RID("al2"));
    fixture fx;
    write_files(&fx, "E2EXAMPLE.2024-03-01-12.abcd1234", log, nl, waf, nw);
    char rule[128], cause[128];
    rule_of(fx.dir, fx.logs, fx.waf, RID("in1"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, "latency_edge_waf_unlogged_absolute", "read whole: not WAF (sanity)");
    /* two truncated gzip files beside it, in a directory */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir w && cp waf.log w/ && gzip -c waf.log | head -c 20 > w/cut1.gz && "
             "gzip -c waf.log | head -c 30 > w/cut2.gz",
             fx.dir);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    char opt[1024];
    snprintf(opt, sizeof opt, "--waf-logs %s/w", fx.dir);
    char base[128], bcause[128];
    rule_of(fx.dir, fx.logs, "", RID("in1"), base, sizeof base, bcause, sizeof bcause);
    cr_expect_str_eq(base, "latency_edge_waf_absolute", "without WAF logs (sanity)");
    char *out = NULL;
    snprintf(cmd, sizeof cmd, "%s requests %s %s -q -j1 --request-id %s --fields x-edge-request-id",
             tu_prog("cfscan"), fx.logs, opt, RID("in1"));
    cr_expect_eq(tu_run(cmd, &out, NULL), 4);
    cr_expect(out && strstr(out, "\tlatency_edge_waf_absolute\t"),
              "not read whole: the verdict without WAF logs: %s", out ? out : "");
    free(out);
    char *err = NULL;
    snprintf(cmd, sizeof cmd, "%s scan %s %s -q -j1 --format json", tu_prog("cfscan"), fx.logs, opt);
    int rc = tu_run(cmd, NULL, &err);
    cr_expect_eq(rc, 4, "exit %d", rc);
    cr_expect(err && strstr(err, "cut1.gz") && strstr(err, "cut2.gz"), "every failed file named: %s", err);
    free(err);
    /* a line that is no WAF record: exit 3, said, and nothing ruled out either */
    snprintf(cmd, sizeof cmd, "cd %s && rm w/cut*.gz && printf 'not json\\n' >> w/waf.log", fx.dir);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s scan %s %s -q -j1 --format json", tu_prog("cfscan"), fx.logs, opt);
    rc = tu_run(cmd, NULL, &err);
    cr_expect_eq(rc, 3, "exit %d", rc);
    cr_expect(err && strstr(err, "1 lines are not WAF records"), "%s", err);
    free(err);
    rule_of(fx.dir, fx.logs, opt, RID("in1"), rule, sizeof rule, cause, sizeof cause);
    cr_expect_str_eq(rule, base, "a line lost: the verdict without WAF logs");
    tu_rmrf(fx.dir);
    free(fx.dir);
}

/* Two records of one request id that disagree (a CAPTCHA and a BLOCK): the block, in
 * either order of the files (the first read stayed, so the verdict followed the order of
 * --waf-logs: edge_other one way, waf_block the other). */
Test(waf_coverage, disagreeing_records_of_one_request_in_either_order)
{
    char log[4096], w1[2048], w2[2048];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:30", RID("dup"));
    size_t n1 = rec(w1, sizeof w1, T0_MS, "E2EXAMPLE", "CAPTCHA", -1, RID("dup"));
    size_t n2 = rec(w2, sizeof w2, T0_MS + 1000, "E2EXAMPLE", "BLOCK", -1, RID("dup"));
    fixture fx;
    write_files(&fx, "E2EXAMPLE.2024-03-01-12.abcd1234", log, nl, w1, n1);
    char *p2 = tu_write(fx.dir, "waf2.log", w2, n2);
    char opts[2][1400];
    snprintf(opts[0], sizeof opts[0], "%s --waf-logs %s", fx.waf, p2);
    snprintf(opts[1], sizeof opts[1], "--waf-logs %s %s", p2, fx.waf);
    for (int k = 0; k < 2; k++) {
        char rule[128], cause[128];
        rule_of(fx.dir, fx.logs, opts[k], RID("dup"), rule, sizeof rule, cause, sizeof cause);
        cr_expect_str_eq(rule, "waf_log_block", "order %d", k);
        cr_expect_str_eq(cause, "waf_block/confirmed", "order %d", k);
    }
    free(p2);
    tu_rmrf(fx.dir);
    free(fx.dir);
}

/* A regional web ACL's records (an ALB's) beside another distribution's: they name no
 * distribution, so the logs still cover none of the scanned traffic, with the warning and
 * exit 3 (the ALB's id, no distribution id, turned the check off: exit 0, no warning). */
Test(waf_coverage, records_of_other_resources_cover_no_distribution)
{
    char log[4096], waf[4096];
    size_t nl = (size_t)snprintf(log, sizeof log, FIELDS);
    nl += line403(log + nl, sizeof log - nl, "12:00:30", RID("in1"));
    size_t nw = rec(waf, sizeof waf, T0_MS, "E3OTHER", "ALLOW", -1, RID("ot1"));
    nw += rec(waf + nw, sizeof waf - nw, T0_MS, "123456789012-app/my-alb/50dc6c495c0c9188", "ALLOW", -1,
              RID("alb"));
    fixture fx;
    write_files(&fx, "E2EXAMPLE.2024-03-01-12.abcd1234", log, nl, waf, nw);
    char *out = NULL, *err = NULL;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s scan %s %s -q -j1", tu_prog("cfscan"), fx.logs, fx.waf);
    int rc = tu_run(cmd, &out, &err);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err ? err : "");
    cr_expect(err && strstr(err, "covers none of the scanned traffic"), "%s", err ? err : "");
    cr_expect(out && strstr(out, "other resources than CloudFront distributions (ALB, API Gateway, ...): 1"),
              "%s", out ? out : "");
    free(out);
    free(err);
    tu_rmrf(fx.dir);
    free(fx.dir);
}
