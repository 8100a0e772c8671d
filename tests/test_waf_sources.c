/* --waf-logs read like the access logs, through the built cfscan: the same walk finds the
 * files and the same decode stage reads them, so a WAF log compressed with zstd (or gzip,
 * or plain) in a directory tree is read, not taken for lines of garbage. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/json.h"
#include "tests/util.h"

#define ACL "arn:aws:wafv2:us-east-1:111122223333:global/webacl/site/abcd"
/* 2024-03-01T12:00:00Z in epoch ms: the time of the log line below */
#define T0_MS 1709294400000LL
#define RID(x) x "RID00000000000000000000000000000000000000000000000=="

static const char *const k_log =
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "
    "sc-status x-edge-result-type x-edge-request-id\n"
    "2024-03-01\t12:00:00\tFRA56-P1\t915\t192.0.2.10\tGET\td111111abcdef8.cloudfront.net\t/a\t403\tError\t" RID(
        "zst") "\n"
               "2024-03-01\t12:00:01\tFRA56-P1\t915\t192.0.2.10\tGET\td111111abcdef8.cloudfront.net\t/b\t403\tError\t" RID(
                   "gzp") "\n";

/* One BLOCK record (AWS WAF log fields: timestamp in epoch ms, httpSourceId = the
 * distribution id, httpRequest.requestId = the access log's x-edge-request-id). */
static size_t rec(char *b, size_t cap, long long ts_ms, const char *rid)
{
    return (size_t)snprintf(b, cap,
                            "{\"timestamp\":%lld,\"formatVersion\":1,\"webaclId\":\"" ACL "\","
                            "\"terminatingRuleId\":\"BlockBadBots\",\"terminatingRuleType\":\"REGULAR\","
                            "\"action\":\"BLOCK\",\"httpSourceName\":\"CF\",\"httpSourceId\":\"E2EXAMPLE\","
                            "\"responseCodeSent\":null,\"httpRequest\":{\"clientIp\":\"192.0.2.10\","
                            "\"uri\":\"/a\",\"httpMethod\":\"GET\",\"requestId\":\"%s\"}}\n",
                            ts_ms, rid);
}

Test(waf_sources, zstd_and_gzip_waf_logs_in_a_tree_are_read)
{
    char *dir = tu_mkdtemp();
    char *log = tu_write(dir, "E2EXAMPLE.2024-03-01-12.abcd1234", k_log, strlen(k_log));
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/waf", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/waf/2024", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    char r1[1024], r2[1024];
    size_t n1 = rec(r1, sizeof r1, T0_MS, RID("zst")), n2 = rec(r2, sizeof r2, T0_MS + 1000, RID("gzp"));
    size_t zn, gn;
    void *z = tu_zstd(r1, n1, &zn), *g = tu_gzip(r2, n2, &gn);
    free(tu_write(sub, "a.log.zst", z, zn));
    free(tu_write(sub, "b.log.gz", g, gn));

    char *prog = tu_prog("cfscan"), cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd, "timeout -s KILL 60 %s scan %s --waf-logs %s/waf -q -j1 --format json", prog,
             log, dir);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    const cfs_json *root = cfs_json_root(&doc);
    double records = -1, bad = -1, blocked = -1;
    cfs_json_num(cfs_json_path(root, "waf_logs.records"), &records);
    cfs_json_num(cfs_json_path(root, "waf_logs.bad_lines"), &bad);
    cr_assert_eq(records, 2, "both records read: %.0f", records);
    cr_assert_eq(bad, 0, "no garbage lines: %.0f", bad);
    /* both 403s joined to their BLOCK records */
    const cfs_json *causes = cfs_json_path(root, "forbidden.distributions.0.causes");
    for (const cfs_json *c = cfs_json_first(causes); c; c = cfs_json_next(c)) {
        const char *name = cfs_json_str(cfs_json_get(c, "cause"));
        if (name && !strcmp(name, "waf_block"))
            cfs_json_num(cfs_json_path(c, "evidence.confirmed"), &blocked);
    }
    cr_assert_eq(blocked, 2, "confirmed WAF blocks: %.0f\n%s", blocked, out);
    cfs_json_doc_free(&doc);
    free(out);
    free(err);
    free(prog);
    free(z);
    free(g);
    free(log);
    tu_rmrf(dir);
    free(dir);
}
