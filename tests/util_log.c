/* Hand-written CloudFront log lines for tests: the 33 legacy fields plus
 * distribution-tenant-id and primary-distribution-id, one base line (an edge-generated
 * HTML 403 over https, §5.1 of the reference) and per-line overrides by field name, so a
 * test states only what its case is about. */
#include "tests/util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
const char *const tu_log_fields[TU_LOG_NF] = {
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)",
    "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes",
    "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields",
    "c-port", "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type",
    "sc-content-len", "sc-range-start", "sc-range-end", "distribution-tenant-id",
    "primary-distribution-id",
};
/* clang-format on */

/* clang-format off */
static const char *const k_base[TU_LOG_NF] = {
    "2026-11-01", "10:00:00", "FRA56-P1", "900", "192.0.2.10", "GET",
    "d111111abcdef8.cloudfront.net", "/index.html", "403", "-", "curl/8.0", "-", "-",
    "Error", "R00", "www.example.com", "https", "120",
    "0.001", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256",
    "Error", "HTTP/1.1", "-", "-",
    "5555", "0.001", "Error", "text/html",
    "919", "-", "-", "-",
    "-",
};
/* clang-format on */

void tu_buf_add(tu_buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    memcpy(b->p + b->n, s, k + 1);
    b->n += k;
}

void tu_log_header(tu_buf *b) { tu_log_header_omit(b, NULL); }

void tu_log_line(tu_buf *b, const tu_kv *base_over, const tu_kv *over)
{
    tu_log_line_omit(b, NULL, base_over, over);
}

void tu_log_header_omit(tu_buf *b, const char *omit)
{
    tu_buf_add(b, "#Version: 1.0\n#Fields:");
    for (size_t i = 0; i < TU_LOG_NF; i++) {
        if (omit && strcmp(omit, tu_log_fields[i]) == 0) continue;
        tu_buf_add(b, " ");
        tu_buf_add(b, tu_log_fields[i]);
    }
    tu_buf_add(b, "\n");
}

void tu_log_line_omit(tu_buf *b, const char *omit, const tu_kv *base_over, const tu_kv *over)
{
    int first = 1;
    for (size_t i = 0; i < TU_LOG_NF; i++) {
        if (omit && strcmp(omit, tu_log_fields[i]) == 0) continue;
        const char *v = k_base[i];
        for (const tu_kv *o = base_over; o && o->k; o++)
            if (strcmp(o->k, tu_log_fields[i]) == 0) v = o->v;
        for (const tu_kv *o = over; o && o->k; o++)
            if (strcmp(o->k, tu_log_fields[i]) == 0) v = o->v;
        if (!first) tu_buf_add(b, "\t");
        first = 0;
        tu_buf_add(b, v);
    }
    tu_buf_add(b, "\n");
}

char *tu_write_config(const char *dir, const char *name, const char *dc, int with_distribution,
                      const char *members)
{
    size_t cap = strlen(dc) + (members ? strlen(members) : 0) + 512;
    char *doc = malloc(cap);
    cr_assert_not_null(doc);
    if (with_distribution)
        snprintf(doc, cap,
                 "{\"ETag\": \"E1\", \"Distribution\": {\"Id\": \"E1TESTDIST0001\","
                 " \"ARN\": \"arn:aws:cloudfront::123456789012:distribution/E1TESTDIST0001\","
                 " \"Status\": \"Deployed\", %s"
                 " \"DomainName\": \"d111111abcdef8.cloudfront.net\", \"DistributionConfig\": %s}}",
                 members ? members : "", dc);
    else snprintf(doc, cap, "{\"ETag\": \"E1\", \"DistributionConfig\": %s}", dc);
    char *p = tu_write_str(dir, name, doc);
    free(doc);
    return p;
}

char *tu_log_requests(const char *dir, const tu_buf *b, const char *args)
{
    char *log = tu_write(dir, TU_LOG_NAME, b->p, b->n);
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s requests %s -q --status 403 --fields x-edge-request-id %s",
             tu_prog("cfscan"), log, args ? args : "");
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, err ? err : "");
    free(err);
    free(log);
    return out;
}
