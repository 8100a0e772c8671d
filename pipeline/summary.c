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

void cfs_summary_merge(cfs_summary *dst, const cfs_summary *src)
{
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
    return x->k.rule < y->k.rule ? -1 : x->k.rule > y->k.rule;
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
