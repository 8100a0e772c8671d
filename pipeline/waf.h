/* Optional evidence input: AWS WAF logs (JSON lines, gzip or plain), indexed by
 * httpRequest.requestId, which equals the CloudFront log's x-edge-request-id. */
#ifndef CFSCAN_PIPELINE_WAF_H
#define CFSCAN_PIPELINE_WAF_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/types.h"

typedef struct cfs_waf_index cfs_waf_index;

typedef struct cfs_waf_hit {
    uint8_t action;      /* CFS_WAF_BLOCK, ... */
    uint32_t rule;       /* index for cfs_waf_rule_name */
} cfs_waf_hit;

enum { CFS_WAF_ALLOW = 0, CFS_WAF_BLOCK, CFS_WAF_CAPTCHA, CFS_WAF_CHALLENGE, CFS_WAF_COUNT_ACTION };

typedef struct cfs_waf_stats {
    uint64_t records;     /* JSON lines read */
    uint64_t kept;        /* non-ALLOW records indexed */
    uint64_t bad_lines;   /* lines that were not a WAF record */
    uint64_t out_of_window; /* outside --since/--until (+/- skew) */
} cfs_waf_stats;

/* Read WAF logs from paths (files or directories, gzip or plain).  Only terminating
 * non-ALLOW records inside [since - skew, until + skew] are kept (since/until may be
 * CFS_NO_TIME for open ends).  A file that cannot be read is reported in err and the
 * load goes on; the status is the worst seen. */
cfs_status cfs_waf_load(cfs_waf_index **out, const char *const *paths, size_t npaths,
                        int64_t since, int64_t until, char *err, size_t errlen);
void cfs_waf_free(cfs_waf_index *w);
/* 1 and *hit when a kept record has this request id, else 0. */
int cfs_waf_lookup(const cfs_waf_index *w, cfs_span request_id, cfs_waf_hit *hit);
const char *cfs_waf_rule_name(const cfs_waf_index *w, uint32_t rule);
size_t cfs_waf_rule_count(const cfs_waf_index *w);
const cfs_waf_stats *cfs_waf_get_stats(const cfs_waf_index *w);

#endif
