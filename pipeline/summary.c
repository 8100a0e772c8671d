/* Summary model and merge: what a summary holds (the unsettled aggregate, the WAF rule
 * names its rows index, a row per input), how a scan fills it and how two summaries
 * combine for `cfscan merge`.  The other jobs of the summary sink have their own files
 * (see summary_internal.h). */
#include "pipeline/summary.h"
#include "pipeline/summary_internal.h"
#include "pipeline/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/inputs_manifest.h"
#include "pipeline/waf.h"

/* ---- building ------------------------------------------------------------------------------ */
void cfs_summary_init(cfs_summary *s)
{
    memset(s, 0, sizeof *s);
    cfs_agg_init(&s->agg);
}

/* 1 when a holds no row in any of the tables a summary keeps. */
static int agg_empty(const cfs_agg *a)
{
    return !a->traffic.n && !a->groups.n && !a->heavy.n && !a->origin.n && !a->olabel.n && !a->waf.n &&
           !a->pages.n;
}

void cfs_summary_add_state(cfs_summary *s, cfs_agg *state, const cfs_view *v, const cfs_waf_index *w)
{
    /* A fresh summary takes the state over as it is (no copy of a large aggregate).  A
     * scan over its memory budget kept none (NULL): nothing to add. */
    if (state) {
        if (agg_empty(&s->agg)) {
            cfs_agg_free(&s->agg);
            s->agg = *state;
        } else {
            cfs_agg_merge(&s->agg, state);
            cfs_agg_fold_heavy_take(&s->agg, state);
            cfs_agg_free(state);
        }
        cfs_agg_init(state);
    }
    s->pruned += v->ledger->pruned;
    if (w) {
        /* the rules, then the notes' reserved names: every id a cfs_wrow.rule can hold */
        /* out of memory (recorded) the names are cut short and the publish fails */
        size_t n = cfs_waf_name_count(w);
        s->waf_rules = cfs_calloc(n ? n : 1, sizeof *s->waf_rules, "keeping the WAF rule names");
        for (size_t i = 0; s->waf_rules && i < n; i++) {
            if (!(s->waf_rules[i] = cfs_strdup(cfs_waf_name(w, (uint32_t)i), "keeping the WAF rule names")))
                break;
            s->nwaf_rules = i + 1;
        }
    }
}

void cfs_summary_free(cfs_summary *s)
{
    cfs_agg_free(&s->agg);
    if (s->rows) fclose(s->rows);
    for (size_t i = 0; i < s->nwaf_rules; i++) free(s->waf_rules[i]);
    free(s->waf_rules);
    free(s->waf_slot);
    cfs_evid_free(&s->evidence);
    if (s->mf) cfs_mf_writer_free(s->mf);
    free(s->mf);
    memset(s, 0, sizeof *s);
}

/* WAF rule names are interned per summary, through an open-addressed index of ids
 * hashed by name: merge looks a name up per WAF row, and summaries of long windows hold
 * tens of thousands of rules (a linear search took 19 s for 80,000). */
static void waf_index_put(uint32_t *slot, size_t cap, const char *name, uint32_t id, char *const *names)
{
    size_t j = (size_t)cfs_hash_bytes(name, strlen(name)) & (cap - 1);
    while (slot[j]) {
        if (!strcmp(names[slot[j] - 1], name)) return; /* keep the first id of a name */
        j = (j + 1) & (cap - 1);
    }
    slot[j] = id + 1;
}

uint32_t cfs_sum_waf_rule_id(cfs_summary *s, const char *name)
{
    /* Names set by cfs_summary_from_scan or read so far join the index first; it is
     * kept at most half full, so probe runs stay short. */
    if ((s->nwaf_rules + 1) * 2 > s->waf_slot_cap) {
        size_t cap = s->waf_slot_cap ? s->waf_slot_cap : 64;
        while ((s->nwaf_rules + 1) * 2 > cap) cap *= 2;
        uint32_t *slot = cfs_calloc(cap, sizeof *s->waf_slot, "indexing the WAF rule names");
        if (!slot) return UINT32_MAX; /* out of memory (recorded): cfs_sum_waf_name says "?" */
        free(s->waf_slot);
        s->waf_slot = slot;
        s->waf_slot_cap = cap;
        s->waf_indexed = 0;
    }
    for (; s->waf_indexed < s->nwaf_rules; s->waf_indexed++)
        waf_index_put(s->waf_slot, s->waf_slot_cap, s->waf_rules[s->waf_indexed], (uint32_t)s->waf_indexed,
                      s->waf_rules);
    size_t j = (size_t)cfs_hash_bytes(name, strlen(name)) & (s->waf_slot_cap - 1);
    while (s->waf_slot[j]) {
        if (!strcmp(s->waf_rules[s->waf_slot[j] - 1], name)) return s->waf_slot[j] - 1;
        j = (j + 1) & (s->waf_slot_cap - 1);
    }
    if (s->nwaf_rules >= s->waf_cap) { /* geometric growth: one copy per doubling */
        size_t cap = s->nwaf_rules < 8 ? 16 : s->nwaf_rules * 2;
        char **v = cfs_realloc(s->waf_rules, cap * sizeof *s->waf_rules, "indexing the WAF rule names");
        if (!v) return UINT32_MAX; /* out of memory (recorded) */
        s->waf_rules = v;
        s->waf_cap = cap;
    }
    if (!(s->waf_rules[s->nwaf_rules] = cfs_strdup(name, "indexing the WAF rule names"))) return UINT32_MAX;
    s->waf_slot[j] = (uint32_t)s->nwaf_rules + 1;
    s->waf_indexed = ++s->nwaf_rules;
    return (uint32_t)(s->nwaf_rules - 1);
}

const char *cfs_sum_waf_name(const cfs_summary *s, uint32_t rule)
{
    return rule < s->nwaf_rules ? s->waf_rules[rule] : "?";
}

uint64_t cfs_summary_rules(const cfs_summary *s)
{
    return s->rules_known && s->rules_fp ? s->rules_fp : cfs_rules_fingerprint();
}

void cfs_summary_merge(cfs_summary *dst, const cfs_summary *src)
{
    /* The rules of the verdicts: an empty summary takes src's; two that differ, MIXED. */
    const uint64_t rules = cfs_summary_rules(src);
    if (!dst->rules_known) {
        dst->rules_fp = rules;
        dst->rules_known = 1;
    } else if (cfs_summary_rules(dst) != rules) {
        dst->rules_fp = CFS_RULES_MIXED;
    }
    /* WAF rule ids are per summary: re-key src's rows by name before merging. */
    for (size_t i = 0; i < src->agg.waf.n; i++) {
        const cfs_wrow *w = cfs_kmap_row(&src->agg.waf, i);
        cfs_wrow k = *w;
        k.count = 0;
        k.rule = cfs_sum_waf_rule_id(dst, cfs_sum_waf_name(src, w->rule));
        cfs_wrow *d = cfs_kmap_get(&dst->agg.waf, &k, NULL);
        d->count += w->count;
    }
    cfs_agg shallow = src->agg; /* read-only view without the WAF table, merged above */
    cfs_kmap_init(&shallow.waf, CFS_KEY_STR + 8, sizeof(cfs_wrow));
    cfs_agg_merge(&dst->agg, &shallow);
    cfs_agg_fold_heavy(&dst->agg, &src->agg);
    cfs_fast_copy(&dst->agg, &src->agg);
    if (src->rows) {
        /* The rows are self-delimiting records: append src's bytes. */
        FILE *to = cfs_sum_rows_file(dst);
        if (to && cfs_sum_rows_copy(src->rows, to) != 0 && !dst->rows_failed[0])
            snprintf(dst->rows_failed, sizeof dst->rows_failed, "reading a temporary file failed: %s",
                     strerror(errno ? errno : EIO));
        cfs_sum_rows_check(dst);
    }
    dst->ninputs += src->ninputs;
    dst->pruned += src->pruned;
    cfs_sampling_merge(&dst->sampling, &src->sampling);
}

void cfs_summary_count_keys(const cfs_summary *s, cfs_key_counts *k)
{
    const cfs_agg *all[1] = {&s->agg};
    cfs_agg_count_keys(all, 1, k);
}

/* ---- key order ------------------------------------------------------------------------------ */
int cfs_sum_cmp_trow(const void *a, const void *b)
{
    const cfs_trow *x = *(const cfs_trow *const *)a, *y = *(const cfs_trow *const *)b;
    if (x->k.hour != y->k.hour) return x->k.hour < y->k.hour ? -1 : 1;
    int c = strcmp(x->k.dist, y->k.dist);
    if (c) return c;
    if ((c = strcmp(x->k.edge, y->k.edge))) return c;
    if (x->k.status != y->k.status) return x->k.status < y->k.status ? -1 : 1;
    if (x->k.cause != y->k.cause) return x->k.cause < y->k.cause ? -1 : 1;
    if (x->k.evidence != y->k.evidence) return x->k.evidence < y->k.evidence ? -1 : 1;
    if (x->k.rule != y->k.rule) return x->k.rule < y->k.rule ? -1 : 1;
    if (x->k.excl != y->k.excl) return x->k.excl < y->k.excl ? -1 : 1;
    /* an unsettled state's rows may differ in their latency class alone: without it, their
     * order would be the table's, which depends on the thread count */
    return x->k.lat_class < y->k.lat_class ? -1 : x->k.lat_class > y->k.lat_class;
}

/* cfs_sum_sorted_traffic's sort record: the key of cfs_sum_cmp_trow as three words, the
 * strings replaced by their ranks in strcmp order. */
typedef struct trow_rec {
    uint64_t hour, strs, rest;
    const void *row;
} trow_rec;

static inline int rec_before(const trow_rec *x, const trow_rec *y)
{
    if (x->hour != y->hour) return x->hour < y->hour;
    if (x->strs != y->strs) return x->strs < y->strs;
    return x->rest < y->rest;
}

/* v[0..n) sorted by rec_before, tmp[0..n) the work area: a bottom-up merge sort whose
 * comparison is inlined (qsort's call per comparison and byte-wise moves of the 32-byte
 * records took most of the sort's time).  Runs of 8 are sorted by insertion first.
 * Keys are unique, so stability does not matter.  Returns where the result is: v or tmp. */
static trow_rec *rec_sort(trow_rec *v, trow_rec *tmp, size_t n)
{
    for (size_t lo = 0; lo < n; lo += 8) {
        size_t hi = lo + 8 < n ? lo + 8 : n;
        for (size_t i = lo + 1; i < hi; i++) {
            trow_rec x = v[i];
            size_t j = i;
            for (; j > lo && rec_before(&x, &v[j - 1]); j--) v[j] = v[j - 1];
            v[j] = x;
        }
    }
    for (size_t w = 8; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) tmp[o++] = rec_before(&v[b], &v[a]) ? v[b++] : v[a++];
            while (a < mid) tmp[o++] = v[a++];
            while (b < hi) tmp[o++] = v[b++];
        }
        trow_rec *t = v;
        v = tmp;
        tmp = t;
    }
    return v;
}

/* Ranks, in strcmp order, of the distinct key strings of one column of the traffic
 * table: a map from the string to its rank (set once all are in). */
typedef struct str_ranks {
    cfs_kmap m; /* key: the string; then a uint32_t rank */
    const char *last;
    char *last_row;
} str_ranks;

static char *rank_row(str_ranks *r, const char *str)
{
    if (r->last && memcmp(r->last, str, CFS_KEY_STR) == 0) return r->last_row;
    char *row = cfs_kmap_get(&r->m, str, NULL);
    if (cfs_kmap_is_sink(row)) return NULL; /* out of memory (recorded) */
    r->last = str;
    r->last_row = row;
    return row;
}

static int rank_all(str_ranks *r)
{
    r->last = NULL; /* rows move no more, but the cache pointed at rows of the first pass */
    void **v = cfs_sum_sorted_rows(&r->m, cfs_sum_cmp_dist);
    if (!v) return -1;
    for (size_t i = 0; i < r->m.n; i++) {
        uint32_t rank = (uint32_t)i;
        memcpy((char *)v[i] + CFS_KEY_STR, &rank, 4);
    }
    free(v);
    return 0;
}

static uint32_t rank_of(str_ranks *r, const char *str)
{
    const char *row = rank_row(r, str);
    uint32_t rank = 0;
    if (row) memcpy(&rank, row + CFS_KEY_STR, 4);
    return rank;
}

void **cfs_sum_sorted_traffic(const cfs_kmap *m)
{
    const size_t n = m->n;
    str_ranks d, e;
    memset(&d, 0, sizeof d);
    memset(&e, 0, sizeof e);
    cfs_kmap_init(&d.m, CFS_KEY_STR, CFS_KEY_STR + 8);
    cfs_kmap_init(&e.m, CFS_KEY_STR, CFS_KEY_STR + 8);
    trow_rec *rec = cfs_malloc((n ? 2 * n : 1) * sizeof *rec, "sorting the traffic table");
    void **out = rec ? cfs_malloc((n ? n : 1) * sizeof *out, "sorting the traffic table") : NULL;
    int ok = out != NULL;
    /* every string once into its map, then their ranks, then the records */
    for (size_t i = 0; ok && i < n; i++) {
        const cfs_trow *t = cfs_kmap_row(m, i);
        ok = rank_row(&d, t->k.dist) && rank_row(&e, t->k.edge);
    }
    ok = ok && rank_all(&d) == 0 && rank_all(&e) == 0;
    for (size_t i = 0; ok && i < n; i++) {
        const cfs_trow *t = cfs_kmap_row(m, i);
        /* the sign bit flipped: unsigned order of the words is the signed order of hours */
        rec[i] = (trow_rec){(uint64_t)t->k.hour ^ ((uint64_t)1 << 63),
                            (uint64_t)rank_of(&d, t->k.dist) << 32 | rank_of(&e, t->k.edge),
                            (uint64_t)t->k.status << 48 | (uint64_t)t->k.cause << 40 |
                                (uint64_t)t->k.evidence << 32 | (uint64_t)t->k.rule << 16 |
                                (uint64_t)t->k.excl << 8 | t->k.lat_class,
                            t};
    }
    if (ok) {
        const trow_rec *sorted = rec_sort(rec, rec + n, n);
        for (size_t i = 0; i < n; i++) out[i] = (void *)sorted[i].row;
    }
    free(rec);
    cfs_kmap_free(&d.m);
    cfs_kmap_free(&e.m);
    if (!ok) {
        free(out);
        return NULL; /* out of memory (recorded) */
    }
    return out;
}

/* The whole key of a 403 group (and of a top-k row): distribution, cause, then the rule
 * and latency class that only an unsettled state (state.cfs) has. */
int cfs_sum_cmp_gkey(const void *a, const void *b)
{
    const cfs_gkey *x = *(const cfs_gkey *const *)a, *y = *(const cfs_gkey *const *)b;
    int c = strcmp(x->dist, y->dist);
    if (c) return c;
    if (x->cause != y->cause) return x->cause < y->cause ? -1 : 1;
    if (x->rule != y->rule) return x->rule < y->rule ? -1 : 1;
    return x->lat_class < y->lat_class ? -1 : x->lat_class > y->lat_class;
}

/* Origin references: by distribution, then label (cfs_orow rows compare as their
 * leading distribution, cfs_lrow rows as both leading strings). */
int cfs_sum_cmp_dist(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
int cfs_sum_cmp_dist_label(const void *a, const void *b)
{
    const cfs_lrow *x = *(const cfs_lrow *const *)a, *y = *(const cfs_lrow *const *)b;
    int c = strcmp(x->dist, y->dist);
    return c ? c : strcmp(x->label, y->label);
}

void **cfs_sum_sorted_rows(const cfs_kmap *m, int (*cmp)(const void *, const void *))
{
    void **v = cfs_malloc((m->n ? m->n : 1) * sizeof *v, "sorting a table of the summary");
    if (!v) return NULL; /* out of memory (recorded) */
    for (size_t i = 0; i < m->n; i++) v[i] = cfs_kmap_row(m, i);
    if (m->n > 1) qsort(v, m->n, sizeof *v, cmp);
    return v;
}
