/* Fuzz target: the #Fields: header and line parser, through the whole scan pipeline
 * (decode, structural scan kernel, layout, record, attribution, aggregation, the
 * `requests` row collector) on one file of the fuzzer's bytes.  The first byte picks
 * options: bit 0 cuts the input into blocks (the large-file path), bit 1 collects
 * `requests` rows, bit 2 names a distribution as a CloudFront file name would (so common
 * lines are counted without a record, fields.h CFS_PARSE_PLAIN), bit 3 attributes with a
 * distribution config (a custom 403 page, a behavior that checks signers, an origin group
 * of mixed kinds, a geo restriction; bit 4: and a web ACL), so that the config's rules
 * meet arbitrary lines too.  Oracles: no crash, no
 * leak, the nothing-lost invariant
 *   lines == header + blank + aggregated + filtered + rejected,
 * every collected row is one line (no LF) of the chosen fields, and with bit 2 the same
 * counts, traffic table and origin histograms as every line counted from its record
 * (CFS_PLAIN_LANE=0). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/aggregate.h"
#include "pipeline/config.h"
#include "pipeline/fields.h"
#include "pipeline/scan.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The config of bit 3 (get-distribution's shape), with the web ACL given. */
static void load_config(cfs_config_set *set, const char *web_acl)
{
    char doc[4096];
    int n = snprintf(
        doc, sizeof doc,
        "{\"Distribution\": {\"Id\": \"EFUZZDIST00001\", \"DomainName\": \"d111111abcdef8.cloudfront.net\","
        " \"DistributionConfig\": {\"CallerReference\": \"x\","
        " \"Aliases\": {\"Quantity\": 1, \"Items\": [\"www.example.com\"]},"
        " \"Origins\": {\"Quantity\": 2, \"Items\": ["
        "  {\"Id\": \"s3\", \"DomainName\": \"b.s3.us-east-1.amazonaws.com\", \"S3OriginConfig\": {}},"
        "  {\"Id\": \"app\", \"DomainName\": \"app.example.com\", \"CustomOriginConfig\": {}}]},"
        " \"OriginGroups\": {\"Quantity\": 1, \"Items\": [{\"Id\": \"grp\", \"Members\": {\"Quantity\": 2,"
        "  \"Items\": [{\"OriginId\": \"s3\"}, {\"OriginId\": \"app\"}]}}]},"
        " \"DefaultCacheBehavior\": {\"TargetOriginId\": \"app\", \"ViewerProtocolPolicy\": \"allow-all\","
        "  \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}},"
        " \"CacheBehaviors\": {\"Quantity\": 2, \"Items\": ["
        "  {\"PathPattern\": \"/private/*\", \"TargetOriginId\": \"grp\", \"ViewerProtocolPolicy\": \"https-only\","
        "   \"TrustedKeyGroups\": {\"Enabled\": true, \"Quantity\": 1, \"Items\": [\"kg\"]},"
        "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}},"
        "  {\"PathPattern\": \"/s/*\", \"TargetOriginId\": \"s3\", \"ViewerProtocolPolicy\": \"redirect-to-https\","
        "   \"AllowedMethods\": {\"Quantity\": 2, \"Items\": [\"HEAD\", \"GET\"]}}]},"
        " \"CustomErrorResponses\": {\"Quantity\": 1, \"Items\": [{\"ErrorCode\": 403,"
        "  \"ResponsePagePath\": \"/e.html\", \"ResponseCode\": \"403\", \"ErrorCachingMinTTL\": 10}]},"
        " \"Restrictions\": {\"GeoRestriction\": {\"RestrictionType\": \"blacklist\", \"Quantity\": 1,"
        "  \"Items\": [\"IR\"]}},"
        " \"Logging\": {\"Enabled\": true, \"IncludeCookies\": false, \"Bucket\": \"l\", \"Prefix\": \"\"},"
        " \"WebACLId\": \"%s\", \"Enabled\": true}}}",
        web_acl);
    if (n <= 0 || (size_t)n >= sizeof doc) abort();
    char path[64];
    int fd = fz_memfile((const uint8_t *)doc, (size_t)n, path);
    char err[256];
    if (cfs_config_load(set, path, err, sizeof err) != CFS_OK) abort(); /* the harness's own config */
    close(fd);
}

static const cfs_field k_out[] = {CFS_F_UNKNOWN,     CFS_F_DATE,          CFS_F_EDGE_LOCATION,  CFS_F_C_IP,
                                  CFS_F_CS_URI_STEM, CFS_F_CS_USER_AGENT, CFS_F_EDGE_REQUEST_ID};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned opt = data[0];
    data++;
    size--;
    /* The layout parser alone on the first line (it is also reached through the scan). */
    const uint8_t *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - data) : size;
    cfs_fields_init();
    cfs_layout l;
    memset(&l, 0, sizeof l);
    if (cfs_layout_parse(&l, (const char *)data, first) == CFS_OK && (l.ncols == 0 || l.ncols > CFS_MAX_COLS))
        abort();

    char path[64];
    int fd = fz_memfile(data, size, path);
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, path, CFS_NO_TIME, CFS_NO_TIME);
    cfs_filter flt; /* no selection: every row is collected */
    cfs_filter_init(&flt);
    char ferr[128];
    if (cfs_filter_compile(&flt, ferr, sizeof ferr) != CFS_OK) abort();
    cfs_req_filter f;
    memset(&f, 0, sizeof f);
    f.sel = &flt;
    f.out = k_out;
    f.nout = sizeof k_out / sizeof k_out[0];
    cfs_scan_opts o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.since = o.until = CFS_NO_TIME;
    o.big_file = (opt & 1) ? 1 : 0;
    o.filter = (opt & 2) ? &f : NULL;
    if (opt & 4) snprintf(in.v[0].dist, sizeof in.v[0].dist, "%s", "EFUZZDIST00001");
    cfs_config_set cfg;
    memset(&cfg, 0, sizeof cfg);
    if (opt & 8) {
        load_config(&cfg, (opt & 16) ? "arn:aws:wafv2:us-east-1:1:global/webacl/f/1" : "");
        o.attr.config = &cfg;
    }
    cfs_scan_result res;
    if (cfs_scan_run(&in, &o, &res) != CFS_OK) abort();
    if (!cfs_is_settled(&res.agg)) abort(); /* the scan ends settled */
    if ((opt & 4) && !(opt & 2)) {
        /* the same scan with every line counted from its record (rows turn the lane off) */
        cfs_scan_result ref;
        setenv("CFS_PLAIN_LANE", "0", 1);
        cfs_status st = cfs_scan_run(&in, &o, &ref);
        unsetenv("CFS_PLAIN_LANE");
        if (st != CFS_OK || ref.nfiles != res.nfiles) abort();
        for (size_t i = 0; i < res.nfiles; i++) {
            const cfs_file_stats *a = &res.files[i], *b = &ref.files[i];
            if (a->lines != b->lines || a->aggregated != b->aggregated || a->filtered != b->filtered ||
                memcmp(a->rejected, b->rejected, sizeof a->rejected) != 0)
                abort();
        }
        if (res.agg.traffic.n != ref.agg.traffic.n) abort();
        for (size_t i = 0; i < res.agg.traffic.n; i++) {
            const cfs_trow *t = cfs_kmap_row(&res.agg.traffic, i);
            const cfs_trow *u = cfs_kmap_find(&ref.agg.traffic, &t->k);
            if (!u || u->requests != t->requests || u->bytes != t->bytes) abort();
        }
        /* a common Miss gives its origin sample on the lane (no config here) */
        if (res.agg.origin.n != ref.agg.origin.n) abort();
        for (size_t i = 0; i < res.agg.origin.n; i++) {
            const cfs_orow *t = cfs_kmap_row(&res.agg.origin, i);
            const cfs_orow *u = cfs_kmap_find(&ref.agg.origin, t->dist);
            if (!u || u->ttfb != t->ttfb || (!t->h) != (!u->h) || (t->h && !cfs_hist_equal(t->h, u->h)))
                abort();
        }
        cfs_scan_result_free(&ref);
    }
    for (size_t i = 0; i < res.nfiles; i++) {
        const cfs_file_stats *s = &res.files[i];
        uint64_t rej = 0;
        for (int r = 0; r < CFS_REJ_COUNT; r++) rej += s->rejected[r];
        if (s->lines != s->header_lines + s->blank_lines + s->aggregated + s->filtered + rej) abort();
        if (s->bytes_out != size && s->status == CFS_OK) abort();
    }
    for (size_t i = 0; i < res.nrows; i++) {
        if (memchr(res.rows[i].text, '\n', res.rows[i].len)) abort();
        size_t tabs = 0;
        for (uint32_t k = 0; k < res.rows[i].len; k++) tabs += res.rows[i].text[k] == '\t';
        if (tabs != f.nout - 1) abort(); /* a value holding a TAB would shift the columns */
    }
    cfs_scan_result_free(&res);
    cfs_config_free(&cfg);
    cfs_filter_free(&flt);
    cfs_inputs_free(&in);
    close(fd);
    return 0;
}
