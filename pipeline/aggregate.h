/* The aggregate stage, split by role:
 *   per thread (cfs_thread_agg): the exact counter of every line (counter.h: requests and
 *     bytes per distribution x edge x hour x status x cause, keyed by small ids) and the
 *     403 accumulator (cfs_acc: per distribution x cause latency histograms and distinct
 *     clients, origin references, WAF rows, error pages: order-independent sketches);
 *   per work unit (a cfs_agg with heavy and deferred only): top URIs and clients
 *     (Space-Saving) and the held-back 403s, folded in input order so that results never
 *     depend on the thread count;
 *   merged (cfs_agg): the same tables keyed by strings, what state.cfs stores, `merge`
 *     combines and the report reads after cfs_agg_settle. */
#ifndef CFSCAN_PIPELINE_AGGREGATE_H
#define CFSCAN_PIPELINE_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pipeline/attribute.h"
#include "pipeline/sketch.h"
#include "pipeline/types.h"
#include "pipeline/kmap.h"
#include "pipeline/counter.h"

/* traffic: distribution x edge x hour x status x cause/evidence/rule.  lat_class is
 * used only by provisional (latency-pending) 403s: see cfs_lat_class (exact below 16 ms,
 * quarter octaves above), CFS_LAT_UNKNOWN when time-taken is absent. */
#define CFS_LAT_UNKNOWN 255
typedef struct cfs_tkey {
    char dist[CFS_KEY_STR];
    char edge[CFS_KEY_STR];
    int64_t hour; /* epoch seconds at the start of the hour */
    uint16_t status;
    uint16_t rule;
    uint8_t cause;
    uint8_t evidence;
    uint8_t lat_class;
    uint8_t excl; /* cfs_excl_kept of the line's exclusions (attribute.h): an undecided
                   * row's candidates are cfs_candidates of its rule and these */
} cfs_tkey;
typedef struct cfs_trow {
    cfs_tkey k;
    uint64_t requests;
    uint64_t bytes;
} cfs_trow;

/* A 403 group: distribution x cause (x rule and latency class while provisional). */
typedef struct cfs_gkey {
    char dist[CFS_KEY_STR];
    uint16_t rule; /* provisional rule id, 0 once settled */
    uint8_t cause;
    uint8_t lat_class;
    uint8_t pad[4];
} cfs_gkey;
typedef struct cfs_group {
    cfs_hist tt;     /* time-taken */
    cfs_hist ttfb;   /* time-to-first-byte */
    cfs_hll clients; /* distinct c-ip */
} cfs_group;
typedef struct cfs_grow {
    cfs_gkey k;
    cfs_group *g;
} cfs_grow;

/* Top URIs and clients of a group (the order-dependent part). */
#define CFS_TOPK_CAPACITY 256
typedef struct cfs_hrow {
    cfs_gkey k;
    cfs_topk *uris;
    cfs_topk *ips;
} cfs_hrow;

/* Per distribution: histogram of the latency (cfs_attr_latency_ms) of the origin fetches
 * fit for the reference (cfs_attr_origin_sample), the reference for the edge-versus-origin
 * test; ttfb of its samples were time-to-first-byte, the rest time-taken. */
typedef struct cfs_orow {
    char dist[CFS_KEY_STR];
    cfs_hist *h;
    uint64_t ttfb;
} cfs_orow;
/* The same per origin (issue 10: a reference per origin where the config's behaviors, or
 * v2's cache-behavior-path-pattern, tell them apart): label is "origin <Id>" of the
 * behavior's origin or origin group, or "behavior <pattern>" (cfs_origin_label). */
typedef struct cfs_lrow {
    char dist[CFS_KEY_STR];
    char label[CFS_KEY_STR];
    cfs_hist *h;
    uint64_t ttfb;
} cfs_lrow;

/* WAF terminating rules of joined blocks, per distribution. */
typedef struct cfs_wrow {
    char dist[CFS_KEY_STR];
    uint32_t rule;
    uint32_t pad;
    uint64_t count;
} cfs_wrow;

/* Held-back 403s wait for the end of the pass (attribute.h, cfs_attr_deferred): each
 * is kept as a record (edgefast.c) in input order, in memory and past
 * CFS_DEFERRED_MEM bytes in an unlinked temporary file; what they are judged against is
 * learned from every 403 of the pass in two order-independent tables: */
typedef struct cfs_deferred {
    char *buf; /* records after those in f */
    size_t n, cap;
    FILE *f;       /* the first records, NULL until memory overflows */
    uint64_t nrec; /* records held, file and memory */
    int failed;    /* a temporary-file write failed: why says so */
    char why[200];
} cfs_deferred;
/* pages: per distribution, content type (hash) and content length, how many confirmed
 * 403s of each cause (cfs_attr_page_cause) had them; n[CFS_CAUSE_NONE] counts
 * origin-served 403s (cfs_attr_origin_served). */
typedef struct cfs_prow {
    char dist[CFS_KEY_STR];
    uint32_t clen, cth;
    /* lines with this content type and length: n[cause] confirmed ones of the cause (a
     * page rule, cfs_attr_page_cause), n[CFS_CAUSE_NONE] origin-served ones, and
     * n[CFS_CAUSE_UNKNOWN] those held back to be judged by it (edgefast.c) */
    uint64_t n[CFS_CAUSE_COUNT];
} cfs_prow;
/* events: which (distribution, URI, content type, length) got an origin-served 403 in
 * which time bucket, as a Bloom filter of fixed size shared by every agg of a scan (set
 * with atomic ORs, so the result does not depend on the order of the inserts): memory does
 * not grow with the number of 403s.  Created by cfs_fast_events_new; the agg that made it
 * frees it. */
typedef struct cfs_events {
    uint64_t *w;
    uint64_t mask;    /* bits - 1 */
    uint64_t inserts; /* updated atomically */
    int saturated;    /* set by cfs_fast_resolve: too full to trust (false-match rate > 1%) */
    /* What judging probes: a copy of w folded as small as keeps its false-match rate
     * under 10^-9 (cfs_fast_resolve makes it; whatever changes w drops it), or NULL: w. */
    uint64_t *probe;
    uint64_t probe_mask;
} cfs_events;
/* Sets e->saturated: whether the false-match rate, (share of bits set)^4, passes 1%.  The
 * bits are counted only when the inserts could have set enough of them (cfs_fast_resolve
 * calls it once, after the pass). */
void cfs_events_check(cfs_events *e);
/* Make e->probe, the copy judging probes (see cfs_events; edgefast.c says how small), on
 * `threads` threads; none when no smaller copy keeps the bound, or when it would take the
 * memory budget (xalloc.h) past half.
 * cfs_fast_resolve makes it when it has many records to judge; drop it when e's bits
 * change. */
void cfs_events_fold_probe(cfs_events *e, int threads);
void cfs_events_drop_probe(cfs_events *e);
/* Insert (key, time bucket), as learning does; whether it may have been inserted, asked of
 * the copy when there is one, else of the filter (tests). */
void cfs_events_insert(cfs_events *e, uint64_t key, int64_t bucket);
int cfs_events_may_have(const cfs_events *e, uint64_t key, int64_t bucket);

/* facts: what judging a held-back 403 needs from its distribution's config (its error
 * caching TTL, whether it has a config and a custom page for 403s), noted as the 403 is
 * held back, so that a merge judges the records of many scans without their configs.
 * Keyed by the distribution and the config version in force for the 403 (from: that
 * version's LastModifiedTime, cfs_fast_cfg_from), so that a 403 written before a custom
 * error page was configured is judged as such.  The TTL is the latest version's for
 * every version (the largest, after merging parts scanned with other snapshots): the
 * events filter buckets a distribution's origin 403s by one width. */
typedef struct cfs_frow {
    char dist[CFS_KEY_STR];
    int64_t from;       /* LastModifiedTime; INT64_MIN for an untimed version, or none */
    int64_t ttl;        /* seconds */
    uint8_t has_config; /* the scan had a config for the distribution */
    uint8_t page403;    /* it answers 403s with a custom page (cfs_config_403_page) */
    uint8_t pad[6];
} cfs_frow;
_Static_assert(offsetof(cfs_frow, from) == CFS_KEY_STR, "a facts row's key is its dist and from");
/* One held-back 403 as kept in a cfs_deferred (and in state.cfs's DEFR section), followed
 * by uri_n bytes of URI and ip_n bytes of client as it enters the top-client list. */
typedef struct cfs_fast_rec {
    char dist[CFS_KEY_STR];
    char edge[CFS_KEY_STR];
    char label[CFS_KEY_STR]; /* cfs_origin_label */
    int64_t hour, ts;
    uint64_t bytes, iph, evkey;
    uint32_t clen, cth, tt, ttfb, ms, uri_n, ip_n;
    uint16_t status, rule;
    uint8_t cause, evidence, lat_class;
    uint8_t excl;      /* the line's exclusions, whole (cfs_attribution.excl) */
    int64_t cfg_from;  /* the facts row of its config version (cfs_frow.from) */
    uint32_t waf_held; /* cfs_attr_line.waf_held: only `scan --cause` sets it, which keeps no
                        * state, so state.cfs does not store it */
} cfs_fast_rec;

/* The string-keyed state: what a scan's per-thread state merges into, what state.cfs
 * stores and what `merge` combines, settled once at the end (cfs_agg_settle).  A work
 * unit's top-k holder is one too, with only heavy and deferred used. */
typedef struct cfs_agg {
    cfs_kmap traffic;      /* cfs_trow */
    cfs_kmap groups;       /* cfs_grow */
    cfs_kmap origin;       /* cfs_orow */
    cfs_kmap olabel;       /* cfs_lrow */
    uint32_t *oref, *lref; /* references per origin / olabel row, set by cfs_fast_resolve */
    cfs_kmap waf;          /* cfs_wrow */
    cfs_kmap heavy;        /* cfs_hrow: units and the final agg, folded in input order */
    cfs_kmap pages;        /* cfs_prow */
    cfs_kmap facts;        /* cfs_frow, of the distributions with held-back 403s */
    cfs_kmap present;      /* cfs_pres_row: the fields each distribution's lines had (presence.h) */
    cfs_events *events;    /* shared by the aggs of one scan (see cfs_events) */
    int events_owner;      /* this agg frees events */
    cfs_deferred deferred; /* units and the final agg, folded in input order like heavy */
    int settled;           /* set by the settle stage (cfs_settle, view.h), the last step of a
                            * scan or a merge: such an agg is read, never settled again */
} cfs_agg;

/* The 403 accumulator of one thread: what its 403s (and origin fetches) teach, in
 * order-independent sketches; the order-dependent part (top-k, held-back records) goes
 * to the work unit's cfs_agg.  Tables as in cfs_agg, except the origin histograms, which
 * are indexed by the thread counter's distribution id (no hash per origin fetch). */
typedef struct cfs_acc {
    cfs_kmap groups;    /* cfs_grow */
    cfs_kmap olabel;    /* cfs_lrow */
    cfs_kmap waf;       /* cfs_wrow */
    cfs_kmap pages;     /* cfs_prow */
    cfs_kmap present;   /* cfs_pres_row (presence.h), kept by the scan driver */
    cfs_events *events; /* the scan's, shared */
    struct cfs_acc_origin {
        cfs_hist *h;
        uint64_t ttfb;
    } * origin; /* by distribution id */
    size_t norigin;
} cfs_acc;

/* The whole per-thread state of a scan: the exact counter and the 403 accumulator. */
typedef struct cfs_thread_agg {
    cfs_counter counter;
    cfs_acc acc;
} cfs_thread_agg;
void cfs_thread_agg_init(cfs_thread_agg *t, cfs_events *events);
void cfs_thread_agg_free(cfs_thread_agg *t);
/* dst += t: the counter's rows with their ids mapped back to strings, and the
 * accumulator's tables.  Like every reader of a counter's rows (cfs_agg_traffic_split,
 * cfs_agg_traffic_part, cfs_agg_count_keys_threads), only after cfs_counter_flush on t's
 * counter (counter.h; scan_end runs it): a memo's counts would be missing, which
 * cfs_counter_next's assert catches (on in the default build, RelWithDebInfo, whose flags
 * here leave NDEBUG unset, and in Debug). */
void cfs_agg_merge_thread(cfs_agg *dst, const cfs_thread_agg *t);
/* The same in parts, for merging n threads in parallel (scan.c): cfs_agg_merge_thread_tables
 * is dst += t without the counter's rows.  cfs_agg_traffic_split sorts one thread's
 * counter rows by partition of np (by a hash of their distribution, edge and hour), each
 * partition's in counter order, in two passes over them (count, then place; -1: out of
 * memory, recorded);
 * cfs_agg_traffic_part then puts into *out (a traffic table; reserve room first) the rows
 * of partition p of all n threads, in thread order, from their splits (splits NULL: every
 * row of the n threads, one partition).  One key's rows are in one partition whichever
 * thread counted them, so the np partitions hold disjoint keys and join without a lookup
 * (cfs_kmap_concat).  Each thread's rows are sorted once, by that thread: a partition
 * reads only its own rows, so the merge's work does not grow with the thread count. */
typedef struct cfs_traffic_split {
    uint32_t *row; /* row numbers (as cfs_counter_next numbers them), partition by partition;
                    * charged to the memory budget */
    size_t rows;   /* entries in row */
    size_t *start; /* np + 1 entries: partition p's are row[start[p]] .. row[start[p + 1] - 1] */
} cfs_traffic_split;
void cfs_agg_merge_thread_tables(cfs_agg *dst, const cfs_thread_agg *t);
int cfs_agg_traffic_split(cfs_traffic_split *s, const cfs_thread_agg *t, unsigned np);
void cfs_agg_traffic_split_free(cfs_traffic_split *s);
void cfs_agg_traffic_part(cfs_kmap *out, const cfs_thread_agg *ts, const cfs_traffic_split *splits, size_t n,
                          unsigned p);

/* A group with empty sketches, and its release (both charge the memory budget). */
cfs_group *cfs_group_new(void);
void cfs_group_free(cfs_group *g);
/* A heap histogram (origin references), and its release. */
cfs_hist *cfs_hist_new(void);
void cfs_hist_delete(cfs_hist *h);

void cfs_agg_init(cfs_agg *a);
void cfs_agg_free(cfs_agg *a);
/* Free the top-k summaries kept for reuse (call when no scan is running); the pool's
 * size goes back to the default. */
void cfs_topk_pool_drain(void);
/* Size the pool of summaries kept for reuse for a scan on this many threads (call before
 * it starts; aggregate.c says how much). */
void cfs_topk_pool_threads(int threads);

uint8_t cfs_lat_class(uint32_t ms);
uint32_t cfs_lat_class_value(uint8_t c); /* representative ms (CFS_NO_MILLIS if unknown) */

/* Only the origin-fetch sample of a record a filter excluded (scan.c): the
 * distribution's latency reference does not depend on which lines are reported. */
void cfs_agg_add_origin(cfs_thread_agg *t, const cfs_record *r, const cfs_attr_ctx *ctx);
/* What a 403 line a filter leaves out teaches the judging of the 403s held back (their
 * distribution's error pages and origin-served 403s, cfs_fast_learn), so that the lines
 * kept are judged as in the unfiltered run. */
void cfs_agg_learn403(cfs_thread_agg *t, const cfs_record *r, cfs_attribution at, const cfs_attr_ctx *ctx);
/* The origin-fetch sample of a common Miss (below), without an origin label. */
void cfs_agg_add_origin_plain(cfs_thread_agg *t, uint32_t did, const cfs_record *r);
/* Account one common line (fields.h, CFS_RECORD_PLAIN: r holds what that lists) of the
 * distribution whose id in t's counter is did (cfs_counter_dist): what cfs_agg_add does
 * for its record, which has no cause, and whose origin sample, if any, has no label (no
 * config, no behavior pattern). */
static inline __attribute__((always_inline)) void cfs_agg_add_plain(cfs_thread_agg *t, uint32_t did,
                                                                    const cfs_record *r)
{
    cfs_counter *c = &t->counter;
    const cfs_span e = r->f[CFS_F_EDGE_LOCATION];
    cfs_counter_add_plain(c, did, e.p, e.n, cfs_counter_hour(c, r->ts), r->status, r->sc_bytes);
    if (r->result == CFS_R_MISS) cfs_agg_add_origin_plain(t, did, r);
}
/* Account one accepted record with its attribution (cfs_attribute's, which carries the
 * WAF row too) into the thread's state t.  `heavy` (the work unit's) receives the top-k
 * updates and the held-back 403s; it is not used for lines without a 403 cause. */
void cfs_agg_add(cfs_thread_agg *t, cfs_agg *heavy, const cfs_record *r, cfs_attr_line al,
                 const cfs_attr_ctx *ctx);

/* One 403 with its settled (or still provisional) attribution, added to a's traffic,
 * groups and heavy tables directly (string keys): how deferred lines are counted. */
typedef struct cfs_line403 {
    char dist[CFS_KEY_STR], edge[CFS_KEY_STR];
    int64_t hour;
    uint64_t bytes, iph; /* sc-bytes; XXH3 of the full c-ip */
    uint32_t tt, ttfb;   /* CFS_NO_MILLIS when absent */
    uint16_t status;
    uint8_t lat_class; /* of the decision latency; used while provisional */
    uint32_t waf_held; /* cfs_attr_line.waf_held */
    cfs_span uri, ip;  /* ip as it enters the top-client list (redacted if asked) */
} cfs_line403;
void cfs_agg_add_line403(cfs_agg *a, const cfs_line403 *l, cfs_attribution at);
/* Its two halves, which touch different tables: the traffic row (into a table of traffic
 * rows: a's, or a partition of them, cfs_fast_resolve_parts), and the sketches (groups,
 * top lists). */
void cfs_agg_add_line403_count_to(cfs_kmap *traffic, const cfs_line403 *l, cfs_attribution at);
void cfs_agg_add_line403_sketch(cfs_agg *a, const cfs_line403 *l, cfs_attribution at);
/* The sketch half in steps, so that many lines can be added on several threads: the
 * line's group key; its group's sketches found (read only: -1 when a does not hold them
 * yet) or made; then the adds, which touch only those sketches, so lines of different
 * groups may be added at once (those of one group in line order, one at a time). */
typedef struct cfs_sketch_refs {
    cfs_group *g;         /* NULL: none (out of memory) */
    cfs_topk *uris, *ips; /* NULL: none (out of memory) */
} cfs_sketch_refs;
cfs_gkey cfs_agg_line403_key(const cfs_line403 *l, cfs_attribution at);
/* A group key's hash, as the groups and heavy tables hash it (cfs_kmap_hash): made once,
 * it serves both lookups (kh below) and the caller's own use of it. */
uint64_t cfs_agg_gkey_hash(const cfs_gkey *k);
int cfs_agg_sketch_find(const cfs_agg *a, const cfs_gkey *k, uint64_t kh, cfs_sketch_refs *r);
void cfs_agg_sketch_make(cfs_agg *a, const cfs_gkey *k, uint64_t kh, cfs_sketch_refs *r);
void cfs_agg_sketch_add(const cfs_sketch_refs *r, const cfs_line403 *l);
/* The adds in parts that touch different sketches of the group: its latency histograms
 * and distinct clients, its top URIs, its top clients.  Each part takes a group's lines in
 * line order, one at a time; the parts of one group may be added on different threads at
 * once (cfs_agg_sketch_add: all three in turn). */
enum { CFS_SKETCH_GROUP, CFS_SKETCH_URIS, CFS_SKETCH_IPS, CFS_SKETCH_PARTS };
void cfs_agg_sketch_add_part(const cfs_sketch_refs *r, const cfs_line403 *l, int part);
/* Which of np partitions a traffic key with these strings and hour falls in: the one
 * cfs_agg_traffic_part builds it in (so a key is in one partition only). */
unsigned cfs_agg_traffic_partition(const char dist[CFS_KEY_STR], const char edge[CFS_KEY_STR], int64_t hour,
                                   unsigned np);

/* ---- 403s held back for the end of the pass (edgefast.c) ---- */
#define CFS_DEFERRED_MEM ((size_t)8 << 20)
#define CFS_DEFERRED_UNIT_MEM ((size_t)1 << 20)
/* Give a (and the per-thread aggs that share it later) an events filter of at most
 * max_bytes (a power of two; 0 = 16 MiB). */
cfs_status cfs_fast_events_new(cfs_agg *a, size_t max_bytes); /* CFS_E_NOMEM: a->events stays NULL */
/* Learn from one 403 (pages, events) into the thread's accumulator; clen, cth and evkey are its
 * cfs_fast_clen, cfs_fast_cth and cfs_fast_evkey. */
void cfs_fast_learn(cfs_acc *a, const cfs_attr_ctx *ctx, const char dist[CFS_KEY_STR], const cfs_record *r,
                    cfs_attribution at, uint32_t ms, uint32_t clen, uint32_t cth, uint64_t evkey);
/* Keep a cfs_attr_deferred 403 for cfs_fast_resolve, in the unit's heavy agg (with its
 * distribution's facts from ctx). */
void cfs_fast_defer(cfs_agg *heavy, const cfs_attr_ctx *ctx, const cfs_line403 *l, int64_t ts, uint64_t evkey,
                    uint32_t clen, uint32_t cth, uint32_t ms, const char label[CFS_KEY_STR],
                    cfs_attribution at);
/* The keys a 403 is looked up by: content length (UINT32_MAX unknown), content-type hash,
 * and the event key of its (distribution, URI, type, length); the event key is
 * CFS_EVKEY_NONE for a request CloudFront never answers from its cache (a method other
 * than GET, HEAD and OPTIONS), which neither leaves a cached origin 403 nor can be one. */
#define CFS_EVKEY_NONE 0
/* The event key of a request CloudFront may answer from its cache, on a line whose layout
 * lacks what a copy is matched by (the URI, or both the body's type and length): never
 * remembered nor looked up, as NONE, but such a 403 may be a cached copy nobody can see
 * (cfs_fast_evidence.copy_blind).  State schema 10 on; no real key takes either value. */
#define CFS_EVKEY_BLIND 2
/* A key that is remembered and looked up (neither of the two above). */
#define CFS_EVKEY_REAL(k) ((k) != CFS_EVKEY_NONE && (k) != CFS_EVKEY_BLIND)
uint32_t cfs_fast_clen(const cfs_record *r);
uint32_t cfs_fast_cth(const cfs_record *r);
uint64_t cfs_fast_evkey(const char dist[CFS_KEY_STR], const cfs_record *r, uint32_t cth, uint32_t clen);
void cfs_fast_merge(cfs_kmap *dst_pages, const cfs_kmap *src_pages); /* pages (events are shared) */
/* Append src's held-back records after dst's (units fold in input order) and empty src;
 * facts and the events filter are combined too (cfs_fast_copy). */
void cfs_fast_fold(cfs_agg *dst, cfs_agg *src);
/* The same without emptying src: what a summary's state keeps for `merge` to judge (the
 * records, facts and events of every part), copied.  The events filters are ORed (one of
 * a larger size is folded to the smaller first: a bit is its hash masked, so folding
 * gives the filter the same inserts would have made).  A distribution's facts that differ
 * between parts combine to the longer TTL and either part's config and page. */
void cfs_fast_copy(cfs_agg *dst, const cfs_agg *src);
/* Each held-back record of a, in order, to fn (nonzero from fn stops); -1 when reading
 * them back (a temporary file) fails, else fn's last result. */
int cfs_fast_each(const cfs_agg *a, int (*fn)(void *ctx, const cfs_fast_rec *h, const char *text), void *ctx);
/* Append one record (uri and client bytes in text), as cfs_fast_defer does. */
void cfs_fast_put(cfs_agg *a, const cfs_fast_rec *h, const char *text);
void cfs_fast_free(cfs_agg *a);
/* Judge every deferred record (cfs_attr_settle_fast) and add it to
 * a; still provisional ones keep their rule and latency class for cfs_agg_settle.  A
 * temporary-file failure is CFS_E_IO with err set; the counts are then incomplete.
 * keep (NULL: none), which must hold no records or events filter of its own, receives
 * the records unjudged, a copy of a's facts, and a's events filter, which keep then owns
 * (a reads it until it settles, and must not outlive keep before that): what a summary's
 * state stores, without a copy of the records or filter.  With threads > 1 the records
 * are judged in parallel and added on every thread, each table's adds (a traffic
 * partition's, a sketch group's) on one thread in record order: the same tables, row for
 * row, as with one. */
cfs_status cfs_fast_resolve(cfs_agg *a, const cfs_attr_ctx *ctx, cfs_agg *keep, int threads, char *err,
                            size_t errlen);
/* One bucket of the 403 timeline (--resolution): a distribution's 403 lines (those with a
 * cause, as the hourly timeline counts them) with bucket <= time < bucket + timeline_s
 * (the view's timeline_s, view.h). */
typedef struct cfs_tl_row {
    char dist[CFS_KEY_STR];
    int64_t bucket;
    uint64_t n;
} cfs_tl_row;
/* What cfs_fast_resolve_parts counts (`scan --cause`) of the records judged into that
 * cause besides their rows, which the pass could not count by a cause they did not have
 * yet: their WAF note (cfs_fast_rec.waf_held) into a's WAF table, and with a sub-hour 403
 * timeline their time's bucket. */
typedef struct cfs_judged_cause {
    int cause;
    cfs_kmap *tl;    /* cfs_tl_row, or NULL */
    int64_t seconds; /* tl's bucket */
} cfs_judged_cause;
/* cfs_fast_resolve with a's traffic rows still in the nparts partitions of the thread
 * merge (cfs_agg_traffic_part, not yet joined into a->traffic): each judged record's
 * traffic row goes to its own partition (cfs_agg_traffic_partition), so that the rows of
 * different partitions, like the sketches of different groups, are added on different
 * threads at once.  parts NULL: into a->traffic, on one thread.  jc: NULL, or what to
 * count besides (cfs_judged_cause). */
cfs_status cfs_fast_resolve_parts(cfs_agg *a, const cfs_attr_ctx *ctx, cfs_agg *keep, int threads,
                                  cfs_kmap *parts, unsigned nparts, const cfs_judged_cause *jc, char *err,
                                  size_t errlen);
/* The same judgement for one `requests` row (after cfs_fast_resolve); cfg_from: its
 * config version's (cfs_fast_cfg_from). */
cfs_attribution cfs_fast_settle(const cfs_agg *a, const cfs_attr_ctx *ctx, const char dist[CFS_KEY_STR],
                                int64_t ts, int64_t cfg_from, uint64_t evkey, uint32_t clen, uint32_t cth,
                                uint32_t ms, const char label[CFS_KEY_STR], cfs_attribution at);
/* Where the time of the config version in force for dist at ts starts (cfs_frow.from):
 * that version's LastModifiedTime, or INT64_MIN for an untimed version or none. */
int64_t cfs_fast_cfg_from(const cfs_attr_ctx *ctx, const char dist[CFS_KEY_STR], int64_t ts);

/* dst += src for the order-independent tables (traffic, groups, origin, waf).  */
void cfs_agg_merge(cfs_agg *dst, const cfs_agg *src);
/* dst (uninitialised) = cfs_agg_merge and cfs_agg_fold_heavy of src into an empty agg,
 * with the traffic table copied as it is instead of row by row (the same rows, in the
 * same order): the unsettled copy a scan keeps for its summary, and the one a merge
 * judges.  The held-back 403s are not copied (cfs_fast_copy). */
void cfs_agg_copy(cfs_agg *dst, const cfs_agg *src);
/* dst.heavy += src.heavy; call in input order. */
void cfs_agg_fold_heavy(cfs_agg *dst, const cfs_agg *src);
/* The same for a src that is dropped next: summaries new to dst move over instead of
 * being copied (the result is the same; src keeps empty ones), and src's held-back 403s
 * and facts follow them (cfs_fast_fold). */
void cfs_agg_fold_heavy_take(cfs_agg *dst, cfs_agg *src);
/* cfs_agg_fold_heavy_take's top-k part, with the merges left to the caller: a row new to
 * dst takes src's summaries (unless their capacity is not CFS_TOPK_CAPACITY: the row is
 * made with summaries of its own and merged into); for a row dst already has (or so
 * made), merge(ctx, which, d, s) is called
 * for its URIs (which = 2 * the row's index in dst->heavy) and its clients (2 * index + 1),
 * and owns s from then on: it must cfs_topk_merge(d, s) and hand s back with
 * cfs_agg_topk_release, after every earlier merge into d and before any later one (the
 * summaries are order-dependent), and before dst is read.  Merges into different d may run
 * on different threads at once: each d is a summary of its own, which neither this
 * function nor a later call moves.  src's rows are left without summaries, except where
 * dst could not take the row (out of memory, recorded): those keep theirs. */
typedef void (*cfs_topk_merge_fn)(void *ctx, size_t which, cfs_topk *dst, cfs_topk *src);
void cfs_agg_fold_heavy_split(cfs_agg *dst, cfs_agg *src, cfs_topk_merge_fn merge, void *ctx);
/* Gives a unit's summary back to the pool of summaries (aggregate.c, topk_get). */
void cfs_agg_topk_release(cfs_topk *t);

/* After all merges: settle provisional attributions with each distribution's origin
 * reference, re-keying traffic rows, groups and heavy hitters.  The pipeline calls it only
 * through the settle stage, cfs_settle (view.h), which marks the agg settled. */
void cfs_agg_settle(cfs_agg *a);
/* `scan --cause C` after settling: drop every traffic row, 403 group and top list of
 * another cause (the 403s whose verdict waited for the end of the pass and settled into
 * another one); returns the requests dropped, which the caller counts as filtered. */
uint64_t cfs_agg_keep_cause(cfs_agg *a, int cause);
uint32_t cfs_agg_reference_ms(const cfs_agg *a, const char dist[CFS_KEY_STR], uint64_t *fetches);
/* The reference for a line of dist whose behavior sends it to label: that origin's when it
 * has enough fetches of its own, else the distribution's (after cfs_fast_resolve, which
 * computes them once). */
uint32_t cfs_agg_reference_for(const cfs_agg *a, const char dist[CFS_KEY_STR], const char label[CFS_KEY_STR]);
/* The origin label of a line (cfs_lrow), "" when neither config nor layout says. */
void cfs_origin_label(const cfs_record *r, const cfs_attr_ctx *ctx, char out[CFS_KEY_STR]);

/* Distinct keys held by a set of aggs together (per-thread tables, merged results),
 * for the message of a run stopped by its memory budget. */
typedef struct cfs_key_counts {
    uint64_t groups; /* distribution x 403 cause */
    uint64_t dists, edges, hours;
    uint64_t traffic; /* exact-counter rows, all aggs together */
    /* bytes the step about to start needed beyond those held (the join of the threads'
     * tables, scan.c), 0 when what was held passed the budget */
    uint64_t need;
} cfs_key_counts;
void cfs_agg_count_keys(const cfs_agg *const *aggs, size_t n, cfs_key_counts *out);
/* The same over the per-thread states and the merged agg of a scan. */
void cfs_agg_count_keys_threads(const cfs_thread_agg *t, size_t nt, const cfs_agg *merged,
                                cfs_key_counts *out);
/* The key space with the most distinct keys, as words ("distribution x cause groups",
 * "edges", "hours", "distributions"). */
const char *cfs_key_counts_largest(const cfs_key_counts *k);

#endif
