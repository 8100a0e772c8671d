/* The evidence record: what each evidence input of a run (--waf-logs PATH, --config
 * FILE|DIR) held and how much of the scanned traffic it covered, and why it is suspect
 * when it covered none or was not what it claims to be.  Reports print it, summaries keep
 * it in state.cfs, and `merge` reports the records of its summaries. */
#ifndef CFSCAN_PIPELINE_EVIDENCE_H
#define CFSCAN_PIPELINE_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/config.h"
#include "pipeline/view.h"
#include "pipeline/waf.h"

typedef enum cfs_evid_kind { CFS_EVID_WAF = 0, CFS_EVID_CONFIG = 1, CFS_EVID_KIND_COUNT } cfs_evid_kind;

/* Distribution ids kept per input (sorted); the rest are only counted. */
#define CFS_EVID_MAX_DISTS 32

/* One distribution an input speaks about, and the span it covers (epoch ms; a config's
 * span is open: INT64_MIN..INT64_MAX). */
typedef struct cfs_evid_span {
    char id[CFS_KEY_STR];
    int64_t first_ms, last_ms;
} cfs_evid_span;

typedef struct cfs_evid_input {
    char *path;                  /* the argument as given */
    uint8_t kind;                /* cfs_evid_kind */
    uint64_t files;              /* files read (a directory's: those that could be evidence) */
    uint64_t records;            /* WAF: non-blank lines; config: configs loaded */
    uint64_t unusable;           /* WAF: lines that were not a WAF record; config: files that failed */
    uint64_t ndists;             /* distributions it speaks about */
    char *dists;                 /* the first CFS_EVID_MAX_DISTS ids, space-separated, sorted */
    int64_t first_ms, last_ms;   /* WAF: span of its records; CFS_NO_TIME when none / config */
    uint64_t requests;           /* scanned requests it covers (by distribution and hour) */
    uint64_t forbidden;          /* of them 403s */
    int64_t cov_first, cov_last; /* first and last covered hour (epoch s), CFS_NO_TIME: none */
    char *warning;               /* NULL, or why it is suspect (the run exits 3) */
    /* while the run assesses it (not stored in summaries) */
    cfs_evid_span *spans;
    size_t nspans;
} cfs_evid_input;

typedef struct cfs_evid_set {
    cfs_evid_input *v;
    size_t n, cap;
} cfs_evid_set;

const char *cfs_evid_kind_name(int kind);   /* "waf_logs", "config" */
const char *cfs_evid_kind_option(int kind); /* "--waf-logs", "--config" */

/* One entry per --waf-logs path of a loaded index (NULL: nothing). */
cfs_status cfs_evid_add_waf(cfs_evid_set *s, const cfs_waf_index *w);
/* One --config argument: configs set->d[from..to) were loaded from it, out of `files`
 * candidate files, `failed` of which did not load. */
cfs_status cfs_evid_add_config(cfs_evid_set *s, const char *path, const cfs_config_set *cfg, size_t from,
                               size_t to, uint64_t files, uint64_t failed);
/* Count what each entry covers of the view's traffic and set the warnings; returns the
 * number of entries with a warning.  A config covers the requests of the distributions
 * its configs name (cfs_config_find: by id, else by host); WAF logs the requests of their
 * distributions in hours that meet their records' span widened by CFS_WAF_COVER_SKEW_S. */
size_t cfs_evid_assess(cfs_evid_set *s, const cfs_view *v, const cfs_config_set *cfg);
/* Append an entry (deep copy); entries of one kind, path, distributions and warning are
 * one input that several runs used (a merge of summaries): its files, records and
 * unusable are the largest of theirs, its covered requests and 403s their sum, its spans
 * the widest. */
cfs_status cfs_evid_append(cfs_evid_set *s, const cfs_evid_input *e);
cfs_status cfs_evid_merge(cfs_evid_set *dst, const cfs_evid_set *src);
/* 1 when the set has an input of this kind. */
int cfs_evid_has_kind(const cfs_evid_set *s, int kind);
/* 1 when some config input covers scanned requests. */
int cfs_evid_config_applied(const cfs_evid_set *s);
void cfs_evid_free(cfs_evid_set *s);

#endif
