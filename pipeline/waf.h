/* Optional evidence input: AWS WAF logs (JSON lines, gzip, zstd or plain), indexed by
 * httpRequest.requestId, which equals the CloudFront log's x-edge-request-id. */
#ifndef CFSCAN_PIPELINE_WAF_H
#define CFSCAN_PIPELINE_WAF_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/types.h"

typedef struct cfs_waf_index cfs_waf_index;

typedef struct cfs_waf_hit {
    uint8_t action; /* CFS_WAF_BLOCK, ... */
    uint16_t code;  /* responseCodeSent (a rule's custom response code), 0 when null */
    uint32_t rule;  /* index for cfs_waf_rule_name */
} cfs_waf_hit;

enum { CFS_WAF_ALLOW = 0, CFS_WAF_BLOCK, CFS_WAF_CAPTCHA, CFS_WAF_CHALLENGE, CFS_WAF_COUNT_ACTION };

typedef struct cfs_waf_stats {
    uint64_t records;         /* JSON lines read */
    uint64_t kept;            /* non-ALLOW records indexed */
    uint64_t bad_lines;       /* lines that were not a WAF record */
    uint64_t lost;            /* of them, those that may have been a block's record (not
                               * JSON, too long, no action or a BLOCK without its fields) */
    uint64_t out_of_window;   /* outside --since/--until (+/- skew) */
    uint64_t no_source;       /* in the window but without httpSourceId: no distribution */
    uint64_t other_sources;   /* in the window, of a web ACL's other resources: an httpSourceId
                               * that is no distribution id (an ALB, an API stage) */
    uint64_t sources_dropped; /* records of distributions beyond CFS_WAF_MAX_SOURCES */
} cfs_waf_stats;

/* ---- coverage ------------------------------------------------------------------------
 * What the loaded WAF logs cover, from every well-formed record inside the window, ALLOW
 * included (ALLOW records are counted here but never enter the join index).  "No WAF
 * record, so WAF did not block it" only holds for a line of a covered distribution inside
 * its span.  WAF's `timestamp` is when WAF saw the request and the access log's time is
 * when the response ended, and a distribution's first and last records lie a little
 * inside the period its logs really cover; CFS_WAF_COVER_SKEW_S widens the span by five
 * minutes each way for both (the same allowance as the --since/--until window). */
#define CFS_WAF_COVER_SKEW_S 300
/* Distinct httpSourceId / webaclId values kept; records of further distributions are
 * counted in sources_dropped and their lines stay uncovered (never a wrong "not WAF"). */
#define CFS_WAF_MAX_SOURCES 4096
#define CFS_WAF_MAX_ACLS 1024

typedef struct cfs_waf_source {
    const char *id;                         /* httpSourceId: the distribution id for CloudFront */
    uint64_t actions[CFS_WAF_COUNT_ACTION]; /* records by action */
    int64_t first_ms, last_ms;              /* min / max timestamp (epoch ms) */
} cfs_waf_source;

/* What one --waf-logs path held (issue 17: every evidence input says what it covered):
 * its files and lines, and per distribution (httpSourceId) the span of its in-window
 * records, so a report can tell WAF logs of another day or web ACL from the right ones. */
typedef struct cfs_waf_path_src {
    const char *id; /* httpSourceId */
    int64_t first_ms, last_ms;
    uint64_t records;
    uint32_t slot; /* the index's number for this source (cfs_waf_load's own) */
} cfs_waf_path_src;
typedef struct cfs_waf_path {
    const char *path;      /* as given */
    uint64_t files;        /* files read (or tried) */
    uint64_t records;      /* non-blank lines read */
    uint64_t bad_lines;    /* lines that were not a WAF record */
    uint64_t outside;      /* records outside --since/--until (with the skew) */
    cfs_waf_path_src *src; /* sorted by id once the load is done */
    size_t nsrc;
} cfs_waf_path;
size_t cfs_waf_path_count(const cfs_waf_index *w);
const cfs_waf_path *cfs_waf_path_at(const cfs_waf_index *w, size_t i);

/* The files that could not be read whole, with why ("PATH: reason"), at most
 * CFS_WAF_MAX_ERRORS of them (cfs_waf_error_count counts them all). */
#define CFS_WAF_MAX_ERRORS 16
size_t cfs_waf_error_count(const cfs_waf_index *w);
const char *cfs_waf_error_at(const cfs_waf_index *w, size_t i);
/* 1 when some file could not be read whole or some line may have been a block's record
 * (stats.lost): the block record of any 403 may be among what was lost, so the logs cover
 * no line (cfs_waf_covers says 0) and rule WAF out for none; a record joined still proves. */
int cfs_waf_incomplete(const cfs_waf_index *w);

/* Read WAF logs from paths (files or directories, gzip, zstd or plain).  Only terminating
 * non-ALLOW records inside [since - skew, until + skew] are kept (since/until may be
 * CFS_NO_TIME for open ends).  A file that cannot be read is reported in err and the
 * load goes on; the status is the worst seen. */
cfs_status cfs_waf_load(cfs_waf_index **out, const char *const *paths, size_t npaths, int64_t since,
                        int64_t until, char *err, size_t errlen);
void cfs_waf_free(cfs_waf_index *w);
/* 1 and *hit when a kept record has this request id, else 0. */
int cfs_waf_lookup(const cfs_waf_index *w, cfs_span request_id, cfs_waf_hit *hit);
const char *cfs_waf_rule_name(const cfs_waf_index *w, uint32_t rule);
size_t cfs_waf_rule_count(const cfs_waf_index *w);
const cfs_waf_stats *cfs_waf_get_stats(const cfs_waf_index *w);
/* Notes: per-distribution counts of 403 lines that the WAF logs speak about without
 * naming a cause, carried in the aggregate's WAF-rule rows (cfs_wrow) under reserved names
 * ("cfscan:..." -- WAF rule names are letters, digits, '-' and '_', never ':') with ids
 * cfs_waf_rule_count() + k, so they travel through summaries and merges by name. */
enum {
    CFS_WAF_NOTE_CHALLENGE_ON_403 = 0, /* CAPTCHA/CHALLENGE record joined to a 403 line */
    CFS_WAF_NOTE_CODE_NOT_403,         /* BLOCK record with a custom code other than 403 */
    CFS_WAF_NOTE_OUTSIDE_COVERAGE,     /* 403 without a block record, outside the coverage */
    CFS_WAF_NOTE_COUNT
};
#define CFS_WAF_NOTE_PREFIX "cfscan:"
const char *cfs_waf_note_name(int note);
/* All names a cfs_wrow.rule can take: the rules, then the notes. */
size_t cfs_waf_name_count(const cfs_waf_index *w);
const char *cfs_waf_name(const cfs_waf_index *w, uint32_t id);
/* Covered distributions, sorted by id; web ACL ids (webaclId), sorted. */
size_t cfs_waf_source_count(const cfs_waf_index *w);
const cfs_waf_source *cfs_waf_source_at(const cfs_waf_index *w, size_t i);
size_t cfs_waf_acl_count(const cfs_waf_index *w);
const char *cfs_waf_acl_at(const cfs_waf_index *w, size_t i);
/* 1 when the WAF logs cover distribution `dist` at time ts (epoch s): records of that
 * httpSourceId exist and ts lies within their span widened by CFS_WAF_COVER_SKEW_S. */
int cfs_waf_covers(const cfs_waf_index *w, cfs_span dist, int64_t ts);

#endif
