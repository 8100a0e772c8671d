/* The line filters of `scan` and `requests` (--dist, --edge, --status, --cause, --ip,
 * --uri-prefix, --request-id): parsed and compiled once from the options, then asked
 * per line.  --since/--until stay in cfs_scan_opts (they also prune files by name). */
#ifndef CFSCAN_PIPELINE_FILTER_H
#define CFSCAN_PIPELINE_FILTER_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/attribute.h"
#include "pipeline/types.h"

typedef struct cfs_filter {
    /* as given (NULL / -1 / 0: not given) */
    const char *request_id;
    int status; /* -1 = any */
    int cause;  /* cfs_cause, -1 = any */
    const char *dist;
    const char *edge; /* a full edge id, a POP prefix (IAD89) or an airport (IAD) */
    int ip_family;    /* 0 = any, 4 or 6 */
    uint8_t ip[16];
    unsigned ip_prefix;
    const char *uri_prefix; /* with or without its leading / */
    /* compiled (cfs_filter_compile) */
    char *uri; /* uri_prefix with a leading / (owned) */
    size_t uri_n, edge_n, dist_n, rid_n;
    int record; /* a predicate on the line's fields besides dist is set */
} cfs_filter;

/* Nothing selected yet: every line passes. */
void cfs_filter_init(cfs_filter *f);
/* --ip ADDR[/BITS] into f; -1 when it is not an IPv4 or IPv6 address or prefix. */
int cfs_filter_set_ip(cfs_filter *f, const char *s);
/* Prepare the per-line checks once the options are in; CFS_E_NOMEM with err set. */
cfs_status cfs_filter_compile(cfs_filter *f, char *err, size_t errlen);
void cfs_filter_free(cfs_filter *f);
/* Any filter given (f may be NULL). */
int cfs_filter_any(const cfs_filter *f);

/* The line of distribution dist: 1 when --dist lets it through.  Ignoring case: ids are
 * upper case, and a distribution keyed by its Host is a host name (README). */
static inline int cfs_filter_dist(const cfs_filter *f, cfs_span dist)
{
    return !f->dist || cfs_ascii_ieq(dist.p, dist.n, f->dist, f->dist_n);
}
/* A file whose name gives distribution dist ("" when it does not): 0 when --dist names
 * another, so the file is skipped unopened. */
int cfs_filter_file(const cfs_filter *f, const char *dist);
/* The line's own fields (request id, status, edge, address, URI): 1 when they pass. */
int cfs_filter_record(const cfs_filter *f, const cfs_record *r);
/* A line's attribution against --cause.  final = 0 on the line, where a verdict that may
 * still change at the end of the pass (cfs_attr_may_settle) passes, since it may settle
 * into the wanted cause; a settled one must be that cause. */
int cfs_filter_cause(const cfs_filter *f, cfs_attribution at, int final);
/* The edge location e against an --edge value w[0..n): equal, or w a prefix of e that
 * ends where a part of the id ends (IAD89 of IAD89-C1), or w an airport code (letters
 * only, IAD) of e (IAD89-C1); letters compare without case.  LAX3 is not LAX30-C1. */
int cfs_filter_edge(const char *w, size_t n, cfs_span e);

#endif
