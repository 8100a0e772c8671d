/* The report's model, shared by the text and JSON reports (report.c) and the HTML report
 * (report_html.c) so that every format shows the same numbers: one build over the settled
 * view, sorted the same way.  Internal to those two files; the types keep report.c's
 * short names, the functions the cfs_ prefix. */
#ifndef CFSCAN_PIPELINE_REPORT_MODEL_H
#define CFSCAN_PIPELINE_REPORT_MODEL_H

#include "pipeline/presence.h"
#include "pipeline/report.h"

/* A key keeps its first KV_KEY - 1 bytes; the longest candidate set fits whole
 * (test_rules_doc). */
#define KV_KEY 192

typedef struct kv {
    char key[KV_KEY];
    uint64_t n;
    uint64_t bytes;
} kv;

/* A list of counters by key, with a hash index so that building the model stays linear
 * in the traffic rows (hours and edges can number thousands over a long window).
 * Sorting reorders v and drops the index; a later kv_get rebuilds it.  The index hashes a
 * key's own bytes (not its 128-byte slot) and holds, per slot, the position + 1 in its
 * low half and 32 bits of the hash in its high half, so a probe compares a key only when
 * those bits match: the report is built once per traffic row, and a padded copy, a hash
 * of 128 bytes and a 128-byte compare per lookup were most of its cost. */
typedef struct kvlist {
    kv *v;
    size_t n, cap;
    uint64_t *slot; /* NULL while the list is searched linearly */
    size_t scap;    /* power of two, at least twice n */
} kvlist;

/* The entry of a list that a number a traffic row carries (its status, hour, rule,
 * candidate set, or its edge's place in the report's edge list) last named, while the
 * model is built: the next row with that number finds it without hashing or comparing
 * the key the number stands for (report.c, kv_get_by).  ix1 is the entry's position + 1,
 * 0 for none yet. */
typedef struct kv_memo {
    uint64_t id;
    size_t ix1;
} kv_memo;

/* A per-key linear list is fine for the report's small dimensions (statuses, edges per
 * cause); the big dimension (traffic rows) is walked once with a hashed map below. */
typedef struct cause_model {
    int cause;
    uint64_t n, bytes;
    uint64_t ev[CFS_EV_COUNT];
    kvlist rules, edges, hours;
    kvlist cands; /* undecided lines: candidate set ("waf_block|origin_custom") -> count */
    kv_memo rule_at, hour_at, cands_at, edge_at; /* while building: rules, hours, cands, edges */
    const cfs_group *g;                          /* merged sketches (settled) */
    const cfs_hrow *h;
} cause_model;

/* causes[] are allocated on first use: most distributions see few of the causes, and a
 * report over 80,000 distributions would otherwise hold 13 empty cause models each. */
typedef struct dist_model {
    char dist[CFS_KEY_STR];
    uint64_t requests, bytes, n403;
    cause_model *causes[CFS_CAUSE_COUNT];
    kvlist hours403;
    kv_memo hour403_at; /* while building: hours403 */
    kvlist tl;          /* 403s per bucket of a timeline finer than the hour (cfs_view.timeline) */
    kvlist waf_rules;
    uint64_t hints[CFS_HINT_COUNT];         /* 403s per evidence that would decide them */
    uint64_t waf_notes[CFS_WAF_NOTE_COUNT]; /* what the WAF logs add (waf.h notes) */
    uint32_t reference_ms;
    uint64_t fetches;
    uint64_t hidden403;     /* non-403 lines that are 403s remapped by CustomErrorResponses */
    unsigned hidden_status; /* their status (the remap's ResponseCode) */
    int hidden_mixed;       /* they have several statuses (versions of the config remapped
                             * 403 to different codes) */
    int hidden_upper;       /* one of them is a 4xx/5xx: the origin's own errors of that
                             * status are counted too, so the count is an upper bound */
    uint64_t fetches_ttfb;  /* of fetches, measured by time-to-first-byte */
    uint64_t older403;      /* 403s judged by a config newer than their line (rules
                             * "*_config_newer", cfs_rule_is_config_newer) */
    const cfs_lrow **lrows; /* per-origin references (cfs_lrow), in label order */
    size_t nlrows;
    const cfs_pres_row *pres; /* the fields its lines had (presence.h), NULL when unknown */
} dist_model;

/* Distributions are found through a hash index (didx) and held by pointer, so a
 * lookup per traffic row stays O(1) and sorting moves pointers, not models. */
typedef struct dist_pos {
    char dist[CFS_KEY_STR];
    dist_model *d;
} dist_pos;

typedef struct model {
    kvlist status, dist, edge;
    dist_model **d;
    size_t nd, dcap;
    cfs_kmap didx; /* dist[CFS_KEY_STR] -> dist_pos */
    uint64_t requests;
    cfs_file_stats tot;
    size_t failed, warned;
    int stopped;                            /* the stop flag was seen while building: print nothing */
    uint64_t waf_notes[CFS_WAF_NOTE_COUNT]; /* over all distributions */
} model;

/* Build the model of v under the report options o; 0 (and nothing to free) when a signal
 * stopped the build or memory ran out: the report then prints nothing. */
int cfs_rmodel_build(model *m, const cfs_view *v, const cfs_report_opts *o);
void cfs_rmodel_free(model *m);
/* Distributions in report order: most 403s first, then most requests, then id. */
void cfs_rmodel_sort_dists(model *m);
/* The causes of d with 403s, ranked by count then id, into out; returns how many. */
int cfs_rmodel_ranked_causes(const dist_model *d, int *out);
/* How many of a cause's 403s are not confirmed, when its next steps should be read as
 * conditional (the advice is written as if the cause were proven); 0 for a cause all of
 * whose 403s are confirmed, and for unknown (its advice is about deciding). */
uint64_t cfs_rmodel_unconfirmed(const cause_model *c);
/* The words the text and HTML reports put before such advice: printf with the unconfirmed
 * count and the cause's 403s (unsigned long long). */
#define CFS_RMODEL_CAVEAT "(%llu of %llu not confirmed: check the cause before acting)"
/* --resolution's name for a timeline of s seconds per bucket ("1h" for 3600). */
const char *cfs_rmodel_resolution_name(int s);
/* The sentence the reports give when no distribution has a 403: none was, or no request
 * could be read at all (every line rejected: a headerless log without --log-fields). */
const char *cfs_rmodel_no_403(const model *m);
/* The end of the sentence "N 403s ..." for settle hint h (cfs_settle_hint). */
const char *cfs_rmodel_settle_text(int h);
/* The fields of cfs_pres_costs absent from all or some of d's lines, in that list's
 * order: up to max into out (with their cfs_pres_absent in how); returns how many. */
/* The status of d's hidden 403s in words, "status 404", or when versions of the config
 * remapped to several, "the statuses the configs in force remap to". */
void cfs_rmodel_hidden_status(const dist_model *d, char *buf, size_t n);
size_t cfs_rmodel_fields_absent(const dist_model *d, const cfs_field_cost **out, int *how, size_t max);

#endif
