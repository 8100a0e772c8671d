/* `cfscan diff OLD NEW`: load two summaries as `merge` does, build a small per
 * distribution model of each (requests, 403s per cause, top edges, URIs, clients, WAF
 * rules, origin reference), compare them with the test stated in diff.h, and write the
 * result as text, JSON or a self-contained HTML page. */
#include "pipeline/diff.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/attribute.h"
#include "pipeline/html.h"
#include "pipeline/inputs_manifest.h"
#include "pipeline/le.h"
#include "pipeline/presence.h"
#include "pipeline/report.h"
#include "pipeline/summary.h"
#include "pipeline/waf.h"
#include "pipeline/xalloc.h"

/* ---- the model of one summary ------------------------------------------------------------- */

/* The lists compared: per cause its top edges (exact counts, from the traffic rows), URIs
 * and clients (Space-Saving estimates), and per distribution its WAF rules (exact). */
enum { L_EDGES, L_URIS, L_CLIENTS, L_WAF, NLIST };
static const char *const list_name[NLIST] = {"edges", "uris", "clients", "waf_rules"};
static const char *const list_words[NLIST] = {"edge", "URI", "client", "WAF rule"};

/* One entry of a list: its true count lies in [n - err, n]. */
typedef struct dent {
    const char *key; /* points into the summary's tables (they outlive the comparison) */
    uint32_t len;
    uint64_t n, err;
} dent;
typedef struct dlist {
    dent *v; /* sorted: count descending, then key bytes */
    size_t n, cap;
    uint64_t bound; /* the most an entry that is not listed can count (Space-Saving: N/k) */
} dlist;
typedef struct dcause {
    uint64_t n;
    dlist l[3]; /* L_EDGES, L_URIS, L_CLIENTS */
} dcause;
typedef struct ddist {
    char dist[CFS_KEY_STR];
    uint64_t requests, n403;
    dcause *c[CFS_CAUSE_COUNT];
    dlist waf;
    const cfs_hist *ref; /* origin fetches fit for the reference, NULL when none */
    uint32_t ref_ms;     /* cfs_attr_reference_ms: 0 with fewer than 20 fetches */
} ddist;

/* An edge count per distribution and cause, summed over hours, statuses and rules. */
typedef struct ekey {
    char dist[CFS_KEY_STR];
    char edge[CFS_KEY_STR];
    uint8_t cause;
    uint8_t pad[7];
} ekey;
typedef struct erow {
    ekey k;
    uint64_t n;
} erow;
typedef struct dpos {
    char dist[CFS_KEY_STR];
    size_t i1; /* index + 1 in side.d */
} dpos;

typedef struct side {
    const char *dir;
    uint32_t schema;
    cfs_summary sum;
    int have_sum;
    cfs_view view;
    int have_view;
    ddist **d; /* sorted by distribution */
    size_t nd, dcap;
    cfs_kmap didx;  /* dpos */
    cfs_kmap edges; /* erow: the keys the edge entries point into */
    uint64_t requests;
    /* how complete the summary is: inputs not read completely (or unusable paths), and
     * of a sharded one the shards it covers of shards_n (0: not sharded, or not known) */
    size_t failed;
    uint32_t shards_n, shards_have;
} side;

/* ---- the comparison ------------------------------------------------------------------------- */

enum { W_FORBIDDEN, W_CAUSE, W_ENTRY };
enum { CH_BOTH, CH_NEW, CH_GONE };
static const char *const change_name[] = {"both", "new", "gone"};

/* One compared count.  o and n are OLD's and NEW's counts as tested (the bounds least
 * favourable to a change for an estimated entry, see diff.h); ocount/ncount what the
 * lists say (0 when not listed). */
typedef struct finding {
    uint8_t what, list, change, flagged;
    int cause; /* -1: a distribution's 403s or its WAF rules */
    const char *val;
    uint32_t vlen;
    uint64_t o, n;
    uint64_t ocount, oerr, ncount, nerr;
    int orank, nrank; /* 1-based rank in the list, 0 when not listed */
    double z;
} finding;

typedef struct refcmp {
    int state; /* 0: no reference either side, 1: both, 2: OLD only, 3: NEW only */
    uint32_t o_ms, n_ms;
    uint64_t o_fetch, n_fetch, o_at, n_at; /* fetches, and those at or below OLD's reference */
    double z;
    int flagged;
} refcmp;

typedef struct dpair {
    char dist[CFS_KEY_STR];
    const ddist *o, *n; /* NULL: the distribution is not in that summary */
    finding *f;
    size_t nf, cap;
    size_t nflag, noise; /* flagged findings; new or gone entries within the noise */
    refcmp ref;
} dpair;

struct cfs_diff {
    side s[2];
    dpair *p;
    size_t np;
    size_t flagged;
    int top;
};

/* ---- loading --------------------------------------------------------------------------------- */

/* The schema version in path's header (state.cfs begins "CFSSTATE" u32 schema, see
 * summary_state.c); read first so that two summaries of different versions are refused
 * with that reason, before either is loaded. */
static cfs_status read_schema(const char *path, uint32_t *schema, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s (not a summary directory?)", path, strerror(errno));
        return CFS_E_IO;
    }
    uint8_t head[12];
    ssize_t got = read(fd, head, sizeof head);
    close(fd);
    if (got != (ssize_t)sizeof head || memcmp(head, "CFSSTATE", 8) != 0) {
        snprintf(err, errlen, "%s: not a cfscan state file", path);
        return got < 0 ? CFS_E_IO : CFS_E_CORRUPT;
    }
    *schema = (uint32_t)cfs_le_get(head + 8, 4);
    return CFS_OK;
}

static ddist *dist_get(side *s, const char *dist)
{
    dpos *pos = cfs_kmap_get(&s->didx, dist, NULL);
    if (cfs_kmap_is_sink(pos)) return NULL;
    if (pos->i1) return s->d[pos->i1 - 1];
    if (s->nd == s->dcap) {
        size_t cap = s->dcap ? s->dcap * 2 : 16;
        ddist **v = cfs_realloc(s->d, cap * sizeof *v, "comparing summaries");
        if (!v) return NULL;
        s->d = v;
        s->dcap = cap;
    }
    ddist *d = cfs_calloc(1, sizeof *d, "comparing summaries");
    if (!d) return NULL;
    memcpy(d->dist, dist, CFS_KEY_STR);
    s->d[s->nd++] = d;
    pos->i1 = s->nd;
    return d;
}

static dcause *cause_get(ddist *d, int c)
{
    if (!d->c[c]) d->c[c] = cfs_calloc(1, sizeof *d->c[c], "comparing summaries");
    return d->c[c];
}

static int list_push(dlist *l, const char *key, uint32_t len, uint64_t n, uint64_t err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        dent *v = cfs_realloc(l->v, cap * sizeof *v, "comparing summaries");
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (dent){key, len, n, err};
    return 0;
}

static int key_cmp(const char *a, uint32_t na, const char *b, uint32_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : na < nb ? -1 : na > nb;
}

/* Count descending, then key bytes: the order cfs_topk_list gives, for every list. */
static int dent_cmp(const void *a, const void *b)
{
    const dent *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return key_cmp(x->key, x->len, y->key, y->len);
}

static int ddist_cmp(const void *a, const void *b)
{
    return strcmp((*(ddist *const *)a)->dist, (*(ddist *const *)b)->dist);
}

static int topk_into(dlist *l, const cfs_topk *t)
{
    if (!t) return 0;
    cfs_topk_item items[CFS_TOPK_CAPACITY];
    size_t n = cfs_topk_list(t, items, CFS_TOPK_CAPACITY);
    for (size_t i = 0; i < n; i++)
        if (list_push(l, items[i].key, items[i].n, items[i].count, items[i].error) != 0) return -1;
    /* every key whose true count passes N/k is listed (sketch.h): the rest count at most that */
    l->bound = cfs_topk_error_bound(t);
    return 0;
}

/* The model of a settled view (and the WAF rule names of its summary). */
static cfs_status build(side *s, char *err, size_t errlen)
{
    const cfs_agg *a = s->view.agg;
    cfs_kmap_init(&s->didx, CFS_KEY_STR, sizeof(dpos));
    cfs_kmap_init(&s->edges, sizeof(ekey), sizeof(erow));
    for (size_t i = 0; i < a->traffic.n; i++) {
        const cfs_trow *t = cfs_kmap_row(&a->traffic, i);
        ddist *d = dist_get(s, t->k.dist);
        if (!d) goto nomem;
        d->requests += t->requests;
        s->requests += t->requests;
        if (t->k.cause == CFS_CAUSE_NONE || t->k.cause >= CFS_CAUSE_COUNT) continue;
        dcause *c = cause_get(d, t->k.cause);
        if (!c) goto nomem;
        c->n += t->requests;
        d->n403 += t->requests;
        ekey k;
        memset(&k, 0, sizeof k);
        memcpy(k.dist, t->k.dist, CFS_KEY_STR);
        memcpy(k.edge, t->k.edge, CFS_KEY_STR);
        k.cause = t->k.cause;
        erow *e = cfs_kmap_get(&s->edges, &k, NULL);
        e->n += t->requests;
    }
    if (cfs_nomem_failed()) goto nomem;
    /* the edge rows are final now: their keys stay where they are */
    for (size_t i = 0; i < s->edges.n; i++) {
        const erow *e = cfs_kmap_row(&s->edges, i);
        ddist *d = dist_get(s, e->k.dist);
        dcause *c = d ? cause_get(d, e->k.cause) : NULL;
        if (!c || list_push(&c->l[L_EDGES], e->k.edge, (uint32_t)strnlen(e->k.edge, CFS_KEY_STR), e->n, 0))
            goto nomem;
    }
    for (size_t i = 0; i < a->heavy.n; i++) {
        const cfs_hrow *h = cfs_kmap_row(&a->heavy, i);
        if (h->k.cause == CFS_CAUSE_NONE || h->k.cause >= CFS_CAUSE_COUNT) continue;
        ddist *d = dist_get(s, h->k.dist);
        dcause *c = d ? cause_get(d, h->k.cause) : NULL;
        if (!c || topk_into(&c->l[L_URIS], h->uris) || topk_into(&c->l[L_CLIENTS], h->ips)) goto nomem;
    }
    for (size_t i = 0; i < a->waf.n; i++) {
        const cfs_wrow *w = cfs_kmap_row(&a->waf, i);
        const char *nm = w->rule < s->sum.nwaf_rules ? s->sum.waf_rules[w->rule] : "?";
        /* the reserved names carry what the WAF logs add (waf.h notes), not rules */
        if (!strncmp(nm, CFS_WAF_NOTE_PREFIX, sizeof CFS_WAF_NOTE_PREFIX - 1)) continue;
        ddist *d = dist_get(s, w->dist);
        if (!d || list_push(&d->waf, nm, (uint32_t)strlen(nm), w->count, 0)) goto nomem;
    }
    for (size_t i = 0; i < a->origin.n; i++) {
        const cfs_orow *o = cfs_kmap_row(&a->origin, i);
        dpos *pos = (dpos *)cfs_kmap_find(&s->didx, o->dist);
        if (!pos || !o->h) continue; /* a distribution without traffic: only a hand-made state */
        ddist *d = s->d[pos->i1 - 1];
        d->ref = o->h;
        d->ref_ms = cfs_attr_reference_ms(o->h);
    }
    for (size_t i = 0; i < s->nd; i++) {
        ddist *d = s->d[i];
        for (int c = 0; c < CFS_CAUSE_COUNT; c++)
            for (int l = 0; d->c[c] && l < 3; l++)
                if (d->c[c]->l[l].n > 1) qsort(d->c[c]->l[l].v, d->c[c]->l[l].n, sizeof(dent), dent_cmp);
        if (d->waf.n > 1) qsort(d->waf.v, d->waf.n, sizeof(dent), dent_cmp);
    }
    if (s->nd > 1) qsort(s->d, s->nd, sizeof *s->d, ddist_cmp);
    if (cfs_nomem_failed()) goto nomem;
    return CFS_OK;
nomem:
    return cfs_nomem_status("comparing summaries", err, errlen);
}

static cfs_status load(side *s, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/state.cfs", s->dir);
    cfs_status st = cfs_state_read(&s->sum, path, err, errlen);
    if (st != CFS_OK) return st;
    s->have_sum = 1;
    st = cfs_summary_view(&s->sum, &s->view, err, errlen);
    s->have_view = 1;
    if (st != CFS_OK) return st;
    s->failed = s->view.ledger->failed;
    /* the shards it covers, from its manifest (a summary made before manifests has none:
     * nothing is said of its shards) */
    snprintf(path, sizeof path, "%s/inputs.cfm", s->dir);
    cfs_mf_reader mr;
    char merr[256];
    if (cfs_mf_open(&mr, path, merr, sizeof merr) == CFS_OK) {
        s->shards_n = mr.shards.n;
        for (uint32_t i = 0; i < mr.shards.n; i++) s->shards_have += mr.shards.have[i] != 0;
        cfs_mf_close(&mr);
    }
    return build(s, err, errlen);
}

/* A side holds less than its inputs: some not read completely, or some shards only. */
static int side_incomplete(const side *s) { return s->failed || s->shards_have < s->shards_n; }
static int any_incomplete(const cfs_diff *d)
{
    return side_incomplete(&d->s[0]) || side_incomplete(&d->s[1]);
}

/* "OLD: 2 inputs not read completely; NEW: shards 1 of 4 only" (no markup, no log text) */
static void incomplete_text(FILE *out, const cfs_diff *d)
{
    fputs("Incomplete:", out);
    for (int k = 0; k < 2; k++) {
        const side *s = &d->s[k];
        if (!side_incomplete(s)) continue;
        fprintf(out, " %s", k ? "NEW" : "OLD");
        if (s->failed) fprintf(out, " %zu input%s not read completely", s->failed, s->failed == 1 ? "" : "s");
        if (s->shards_have < s->shards_n)
            fprintf(out, "%s %u of %u shards only", s->failed ? "," : "", s->shards_have, s->shards_n);
        fputc(';', out);
    }
    fputs(" its counts miss what was not read, so a change may be that, not the traffic's", out);
}

/* ---- the test -------------------------------------------------------------------------------- */

/* The two-proportion z statistic of x1/n1 against x2/n2, positive when the share rose;
 * 0 when either side has no requests or the pooled share is 0 or 1 (nothing to test). */
static double ztest(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2)
{
    if (!n1 || !n2) return 0;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    double p = ((double)x1 + (double)x2) / ((double)n1 + (double)n2);
    double se = sqrt(p * (1 - p) * (1.0 / (double)n1 + 1.0 / (double)n2));
    return se > 0 ? (p2 - p1) / se : 0;
}

/* diff.h's three conditions on x1 of n1 (OLD) against x2 of n2 (NEW); *z is set. */
static int significant(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double *z)
{
    *z = ztest(x1, n1, x2, n2);
    if (fabs(*z) < CFS_DIFF_MIN_Z) return 0;
    double change = (double)x2 - (double)x1 * (double)n2 / (double)n1;
    if (fabs(change) < CFS_DIFF_MIN_CHANGE) return 0;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    if (p2 > p1) return p1 == 0 || p2 / p1 >= CFS_DIFF_MIN_RATIO;
    return p2 == 0 || p1 / p2 >= CFS_DIFF_MIN_RATIO;
}

static finding *add_finding(dpair *p)
{
    if (p->nf == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        finding *v = cfs_realloc(p->f, cap * sizeof *v, "comparing summaries");
        if (!v) return NULL;
        p->f = v;
        p->cap = cap;
    }
    finding *f = &p->f[p->nf++];
    memset(f, 0, sizeof *f);
    f->cause = -1;
    return f;
}

/* The rank (1-based) of key in l, 0 when not listed; *e the entry. */
static int find_entry(const dlist *l, const char *key, uint32_t len, const dent **e)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (l->v[i].len == len && !memcmp(l->v[i].key, key, len)) {
            *e = &l->v[i];
            return (int)i + 1;
        }
    *e = NULL;
    return 0;
}

/* Entries in the top `top` of one list and not of the other: new (in NEW's top only) or
 * gone (in OLD's top only), each tested on its least favourable bounds. */
static int compare_lists(dpair *p, int cause, int list, const dlist *ol, const dlist *nl, uint64_t n1,
                         uint64_t n2, int top)
{
    for (int side_new = 1; side_new >= 0; side_new--) {
        const dlist *here = side_new ? nl : ol, *there = side_new ? ol : nl;
        for (size_t i = 0; here && i < here->n && i < (size_t)top; i++) {
            const dent *e = &here->v[i], *t;
            int trank = find_entry(there, e->key, e->len, &t);
            if (trank && trank <= top) continue; /* in both tops */
            finding *f = add_finding(p);
            if (!f) return -1;
            f->what = W_ENTRY;
            f->list = (uint8_t)list;
            f->cause = cause;
            f->val = e->key;
            f->vlen = e->len;
            f->change = side_new ? CH_NEW : CH_GONE;
            /* not listed there: at most the list's bound (0 while it is exact) */
            uint64_t t_hi = t ? t->n : there ? there->bound : 0;
            if (side_new) {
                f->ncount = e->n, f->nerr = e->err, f->nrank = (int)i + 1;
                f->ocount = t ? t->n : 0, f->oerr = t ? t->err : 0, f->orank = trank;
                f->o = t_hi;
                f->n = e->n - e->err;
            } else {
                f->ocount = e->n, f->oerr = e->err, f->orank = (int)i + 1;
                f->ncount = t ? t->n : 0, f->nerr = t ? t->err : 0, f->nrank = trank;
                f->o = e->n - e->err;
                f->n = t_hi;
            }
            int sig = significant(f->o, n1, f->n, n2, &f->z);
            f->flagged = (uint8_t)(sig && (side_new ? f->z > 0 : f->z < 0));
            if (f->flagged) p->nflag++;
            else p->noise++;
        }
    }
    return 0;
}

/* Fetches of h in buckets up to the one holding ms. */
static uint64_t fetches_upto(const cfs_hist *h, uint32_t ms)
{
    unsigned last = cfs_hist_bucket(ms);
    uint64_t total = 0, n = 0;
    for (unsigned b = cfs_hist_next(h, 0, &n); b <= last && b < CFS_HIST_BUCKETS;
         b = cfs_hist_next(h, b + 1, &n))
        total += n;
    return total;
}

static void compare_reference(dpair *p)
{
    refcmp *r = &p->ref;
    const ddist *o = p->o, *n = p->n;
    r->o_ms = o->ref_ms;
    r->n_ms = n->ref_ms;
    r->o_fetch = o->ref ? o->ref->count : 0;
    r->n_fetch = n->ref ? n->ref->count : 0;
    r->state = r->o_ms && r->n_ms ? 1 : r->o_ms ? 2 : r->n_ms ? 3 : 0;
    if (r->state == 1) {
        r->o_at = fetches_upto(o->ref, r->o_ms);
        r->n_at = fetches_upto(n->ref, r->o_ms);
        r->z = ztest(r->o_at, r->o_fetch, r->n_at, r->n_fetch);
        double moved = fabs((double)r->n_ms - (double)r->o_ms);
        r->flagged = fabs(r->z) >= CFS_DIFF_MIN_Z && moved >= CFS_DIFF_REF_MIN_MS &&
                     moved >= CFS_DIFF_REF_MIN_MOVE * (double)r->o_ms;
    } else if (r->state == 2) {
        r->flagged = r->o_fetch >= CFS_DIFF_REF_MIN_FETCHES;
    } else if (r->state == 3) {
        r->flagged = r->n_fetch >= CFS_DIFF_REF_MIN_FETCHES;
    }
    if (r->flagged) p->nflag++;
}

static const dlist *clist(const ddist *d, int c, int l) { return d && d->c[c] ? &d->c[c]->l[l] : NULL; }

static int compare_pair(dpair *p, int top)
{
    if (!p->o || !p->n) return 0; /* no baseline: listed, not tested */
    uint64_t n1 = p->o->requests, n2 = p->n->requests;
    finding *f = add_finding(p);
    if (!f) return -1;
    f->what = W_FORBIDDEN;
    f->o = f->ocount = p->o->n403;
    f->n = f->ncount = p->n->n403;
    f->flagged = (uint8_t)significant(f->o, n1, f->n, n2, &f->z);
    p->nflag += f->flagged;
    for (int c = 1; c < CFS_CAUSE_COUNT; c++) {
        uint64_t a = p->o->c[c] ? p->o->c[c]->n : 0, b = p->n->c[c] ? p->n->c[c]->n : 0;
        if (!a && !b) continue;
        if (!(f = add_finding(p))) return -1;
        f->what = W_CAUSE;
        f->cause = c;
        f->change = !a ? CH_NEW : !b ? CH_GONE : CH_BOTH;
        f->o = f->ocount = a;
        f->n = f->ncount = b;
        f->flagged = (uint8_t)significant(a, n1, b, n2, &f->z);
        p->nflag += f->flagged;
    }
    for (int c = 1; c < CFS_CAUSE_COUNT; c++)
        for (int l = 0; l < 3; l++)
            if (compare_lists(p, c, l, clist(p->o, c, l), clist(p->n, c, l), n1, n2, top)) return -1;
    if (compare_lists(p, -1, L_WAF, &p->o->waf, &p->n->waf, n1, n2, top)) return -1;
    compare_reference(p);
    return 0;
}

static cfs_status compare(cfs_diff *d, char *err, size_t errlen)
{
    const side *o = &d->s[0], *n = &d->s[1];
    d->p = cfs_calloc(o->nd + n->nd + 1, sizeof *d->p, "comparing summaries");
    if (!d->p) return cfs_nomem_status(NULL, err, errlen);
    size_t i = 0, j = 0;
    while (i < o->nd || j < n->nd) { /* both sorted by distribution */
        int c = i == o->nd ? 1 : j == n->nd ? -1 : strcmp(o->d[i]->dist, n->d[j]->dist);
        dpair *p = &d->p[d->np++];
        p->o = c <= 0 ? o->d[i++] : NULL;
        p->n = c >= 0 ? n->d[j++] : NULL;
        memcpy(p->dist, (p->o ? p->o : p->n)->dist, CFS_KEY_STR);
        if (compare_pair(p, d->top)) return cfs_nomem_status(NULL, err, errlen);
        d->flagged += p->nflag;
    }
    return CFS_OK;
}

cfs_status cfs_diff_open(cfs_diff **out, const char *old_dir, const char *new_dir, int top, char *err,
                         size_t errlen)
{
    *out = NULL;
    cfs_diff *d = cfs_calloc(1, sizeof *d, "comparing summaries");
    if (!d) return cfs_nomem_status(NULL, err, errlen);
    d->top = top <= 0 ? CFS_REPORT_TOP_DEFAULT : top > 64 ? 64 : top;
    d->s[0].dir = old_dir;
    d->s[1].dir = new_dir;
    cfs_status st = CFS_OK;
    char path[2][4096];
    for (int k = 0; k < 2 && st == CFS_OK; k++) {
        snprintf(path[k], sizeof path[k], "%s/state.cfs", d->s[k].dir);
        st = read_schema(path[k], &d->s[k].schema, err, errlen);
    }
    if (st == CFS_OK && d->s[0].schema != d->s[1].schema &&
        (d->s[0].schema < CFS_SUMMARY_SAME_COUNTS || d->s[1].schema < CFS_SUMMARY_SAME_COUNTS)) {
        /* a newer schema may count or name things differently (summary.h): comparing
         * such counts would flag the format change, not the traffic */
        snprintf(err, errlen,
                 "%s is summary schema version %u and %s version %u: summaries of different schema "
                 "versions are not compared (rescan the older one's logs with this cfscan)",
                 path[0], d->s[0].schema, path[1], d->s[1].schema);
        st = CFS_E_FORMAT;
    }
    for (int k = 0; k < 2 && st == CFS_OK; k++) st = load(&d->s[k], err, errlen);
    if (st == CFS_OK) st = compare(d, err, errlen);
    if (st != CFS_OK) {
        cfs_diff_free(d);
        return st;
    }
    *out = d;
    return CFS_OK;
}

size_t cfs_diff_flagged(const cfs_diff *d) { return d->flagged; }

void cfs_diff_free(cfs_diff *d)
{
    if (!d) return;
    for (int k = 0; k < 2; k++) {
        side *s = &d->s[k];
        for (size_t i = 0; i < s->nd; i++) {
            ddist *x = s->d[i];
            for (int c = 0; c < CFS_CAUSE_COUNT; c++) {
                if (!x->c[c]) continue;
                for (int l = 0; l < 3; l++) free(x->c[c]->l[l].v);
                free(x->c[c]);
            }
            free(x->waf.v);
            free(x);
        }
        free(s->d);
        cfs_kmap_free(&s->didx);
        cfs_kmap_free(&s->edges);
        if (s->have_view) cfs_view_free(&s->view);
        if (s->have_sum) cfs_summary_free(&s->sum);
    }
    for (size_t i = 0; i < d->np; i++) free(d->p[i].f);
    free(d->p);
    free(d);
}

/* ---- shared wording ------------------------------------------------------------------------- */

static double share(uint64_t x, uint64_t n) { return n ? (double)x / (double)n : 0; }

/* What is tested and its thresholds, said in every output; built from the CFS_DIFF_*
 * values so that the words never disagree with what is tested. */
static const char *test_text(void)
{
    static char b[1024];
    if (!b[0])
        snprintf(
            b, sizeof b,
            "a count (a distribution's 403s, a cause's, a top-list entry's) is compared as a share of its "
            "distribution's requests with the two-proportion z test, and flagged when |z| >= %g, the count "
            "moved by at least %d requests (OLD scaled to NEW's requests) and the share by a factor of at "
            "least %g; an estimated top-list count is tested on its bounds least favourable to a change "
            "(an entry not listed counts at most the list's error bound). Origin reference: with r = OLD's "
            "reference, the share of origin fetches at or below r is compared with the same z test, "
            "flagged when |z| >= %g and the reference moved by at least %g%% and %d ms; a reference on "
            "one side only is flagged when that side has at least %d fetches.",
            (double)CFS_DIFF_MIN_Z, (int)CFS_DIFF_MIN_CHANGE, (double)CFS_DIFF_MIN_RATIO,
            (double)CFS_DIFF_MIN_Z, 100 * (double)CFS_DIFF_REF_MIN_MOVE, (int)CFS_DIFF_REF_MIN_MS,
            (int)CFS_DIFF_REF_MIN_FETCHES);
    return b;
}

static const char *cause_str(int c) { return c < 0 ? NULL : cfs_cause_name((cfs_cause)c); }

/* One flagged change in a line, for the list every output starts with; esc writes the
 * strings from a summary for the output's context, arrow is "->" or its HTML entity. */
typedef void (*esc_fn)(FILE *out, const char *p, size_t n);

static void describe(FILE *out, const dpair *p, const finding *f, esc_fn esc, const char *arrow)
{
    esc(out, p->dist, strnlen(p->dist, CFS_KEY_STR));
    fputs(": ", out);
    if (!f) {
        const refcmp *r = &p->ref;
        fputs("origin reference ", out);
        if (r->o_ms) fprintf(out, "%u ms", r->o_ms);
        else fputs("none", out);
        fprintf(out, " %s ", arrow);
        if (r->n_ms) fprintf(out, "%u ms", r->n_ms);
        else fputs("none", out);
        fprintf(out, " (%llu %s %llu fetches)", (unsigned long long)r->o_fetch, arrow,
                (unsigned long long)r->n_fetch);
        if (r->state == 1) fprintf(out, ", z %+.1f", r->z);
        return;
    }
    uint64_t n1 = p->o->requests, n2 = p->n->requests;
    if (f->what == W_ENTRY) {
        fprintf(out, "%s %s", f->change == CH_NEW ? "new" : "gone", list_words[f->list]);
        if (f->cause >= 0) fprintf(out, " of %s", cause_str(f->cause));
        fputs(" ", out);
        esc(out, f->val, f->vlen);
        fprintf(out, ": %llu %s %llu", (unsigned long long)f->ocount, arrow, (unsigned long long)f->ncount);
    } else {
        fprintf(out, "%s 403s %llu %s %llu (%.3f%% %s %.3f%% of requests)",
                f->what == W_FORBIDDEN ? "all" : cause_str(f->cause), (unsigned long long)f->o, arrow,
                (unsigned long long)f->n, 100 * share(f->o, n1), arrow, 100 * share(f->n, n2));
    }
    fprintf(out, ", z %+.1f", f->z);
}

/* Every flagged change, one call of line per change (in the order of the outputs). */
static void each_flag(const cfs_diff *d, void (*line)(FILE *, const dpair *, const finding *), FILE *out)
{
    for (size_t i = 0; i < d->np; i++) {
        const dpair *p = &d->p[i];
        for (size_t k = 0; k < p->nf; k++)
            if (p->f[k].flagged) line(out, p, &p->f[k]);
        if (p->ref.flagged) line(out, p, NULL);
    }
}

/* ---- text -------------------------------------------------------------------------------------- */

static void text_safe(FILE *out, const char *p, size_t n) { cfs_write_safe(out, p, n); }

static void text_entry(FILE *out, const finding *f)
{
    fprintf(out, "%s %s %s", f->flagged ? "FLAGGED" : "       ", f->change == CH_NEW ? "new" : "gone",
            list_words[f->list]);
    if (f->cause >= 0) fprintf(out, " of %s", cause_str(f->cause));
    fputs(": ", out);
    text_safe(out, f->val, f->vlen);
    fprintf(out, ": %llu -> %llu", (unsigned long long)f->ocount, (unsigned long long)f->ncount);
    if (f->oerr || f->nerr)
        fprintf(out, " (each may overstate by <= %llu / %llu)", (unsigned long long)f->oerr,
                (unsigned long long)f->nerr);
    /* a rank of 0 is "not in that list" (JSON's null) */
    char o[16] = "unlisted", n[16] = "unlisted";
    if (f->orank) snprintf(o, sizeof o, "%d", f->orank);
    if (f->nrank) snprintf(n, sizeof n, "%d", f->nrank);
    fprintf(out, ", rank %s -> %s, z %+.1f\n", o, n, f->z);
}

static void text_reference(FILE *out, const refcmp *r)
{
    if (r->state == 0) return;
    fprintf(out, "  %sorigin reference: ", r->flagged ? "FLAGGED " : "");
    if (r->state == 1)
        fprintf(out,
                "%u ms (%llu fetches) -> %u ms (%llu fetches); fetches at or below %u ms: %.1f%% -> %.1f%%, "
                "z %+.1f\n",
                r->o_ms, (unsigned long long)r->o_fetch, r->n_ms, (unsigned long long)r->n_fetch, r->o_ms,
                100 * share(r->o_at, r->o_fetch), 100 * share(r->n_at, r->n_fetch), r->z);
    else if (r->state == 2)
        fprintf(out, "%u ms (%llu fetches) -> none (%llu fetches, fewer than 20)\n", r->o_ms,
                (unsigned long long)r->o_fetch, (unsigned long long)r->n_fetch);
    else
        fprintf(out, "none (%llu fetches, fewer than 20) -> %u ms (%llu fetches)\n",
                (unsigned long long)r->o_fetch, r->n_ms, (unsigned long long)r->n_fetch);
}

static void text_pair(FILE *out, const dpair *p)
{
    fputs("\nDistribution ", out);
    text_safe(out, p->dist, strnlen(p->dist, CFS_KEY_STR));
    if (!p->o || !p->n) {
        const ddist *x = p->o ? p->o : p->n;
        fprintf(out, ": only in %s (%llu requests, %llu 403s); no baseline, not tested\n",
                p->o ? "OLD" : "NEW", (unsigned long long)x->requests, (unsigned long long)x->n403);
        return;
    }
    uint64_t n1 = p->o->requests, n2 = p->n->requests;
    fprintf(out, ": %llu -> %llu requests", (unsigned long long)n1, (unsigned long long)n2);
    if (p->nflag) fprintf(out, ", %zu flagged\n", p->nflag);
    else fputs(", nothing flagged\n", out);
    for (size_t i = 0; i < p->nf; i++) {
        const finding *f = &p->f[i];
        if (f->what == W_ENTRY) continue;
        fprintf(out, "  %s %-22s %8llu (%6.3f%%) -> %8llu (%6.3f%%)  z %+6.1f%s\n",
                f->flagged ? "FLAGGED" : "       ", f->what == W_FORBIDDEN ? "403s" : cause_str(f->cause),
                (unsigned long long)f->o, 100 * share(f->o, n1), (unsigned long long)f->n,
                100 * share(f->n, n2), f->z,
                f->change == CH_NEW    ? "  (new cause)"
                : f->change == CH_GONE ? "  (gone)"
                                       : "");
    }
    for (size_t i = 0; i < p->nf; i++)
        if (p->f[i].what == W_ENTRY && p->f[i].flagged) {
            fputs("  ", out);
            text_entry(out, &p->f[i]);
        }
    text_reference(out, &p->ref);
    if (p->noise)
        fprintf(out, "  top lists: %zu entr%s new or gone within the noise (listed in --format json)\n",
                p->noise, p->noise == 1 ? "y" : "ies");
}

static void text_flag(FILE *out, const dpair *p, const finding *f)
{
    fputs("  - ", out);
    describe(out, p, f, text_safe, "->");
    fputc('\n', out);
}

/* ---- rule tables -----------------------------------------------------------------------------
 * Each state says which attribution rules its verdicts came from (cfs_summary_rules: the
 * writer's, or several after a merge or update across versions).  Two summaries whose
 * rules differ can disagree on a 403's cause for the same line: every output says so,
 * since such a change is not the traffic's. */
static int rules_differ(const cfs_diff *d)
{
    const uint64_t a = cfs_summary_rules(&d->s[0].sum), b = cfs_summary_rules(&d->s[1].sum);
    return a != b || a == CFS_RULES_MIXED;
}
static const char *rules_note(void)
{
    return "OLD and NEW hold verdicts made by different attribution rules (cfscan versions whose rules "
           "differ, or a merge or update across them): a change in causes may come from the rules, not "
           "the traffic (rescan both with one cfscan to compare causes)";
}

/* ---- what the two sides were given ------------------------------------------------------------
 * Verdicts rest on what a run had: --config and --waf-logs decide some causes, and a log
 * layout without a field the attribution reads leaves the causes that read it open.  Two
 * sides that differ in either can differ in causes for the same traffic: every output
 * says so, as for the rules (the test cannot tell such a change from the traffic's). */
static int evid_kinds(const side *s)
{
    /* as the summary's own report says it (cfs_summary_own_report) */
    cfs_report_opts ro = {0};
    cfs_summary_own_report(&s->sum, &ro);
    return (ro.with_config != 0) | (ro.with_waf != 0) << 1;
}
static int evidence_differs(const cfs_diff *d) { return evid_kinds(&d->s[0]) != evid_kinds(&d->s[1]); }

/* "--config and --waf-logs", "--config", "--waf-logs" or "neither" */
static const char *evid_words(int k)
{
    static const char *const w[4] = {"neither --config nor --waf-logs", "--config", "--waf-logs",
                                     "--config and --waf-logs"};
    return w[k & 3];
}

static void evidence_text(FILE *out, const cfs_diff *d)
{
    fprintf(out,
            "Evidence: OLD was given %s, NEW %s: the causes they decide (WAF blocks, config-based "
            "verdicts) may differ for that reason, not the traffic's (give both the same to compare causes)",
            evid_words(evid_kinds(&d->s[0])), evid_words(evid_kinds(&d->s[1])));
}

/* How many distributions of both sides had the report's fields (cfs_pres_costs) in some
 * or all of their lines on one side and not alike on the other. */
static size_t fields_differ(const cfs_diff *d)
{
    size_t nc, n = 0;
    const cfs_field_cost *c = cfs_pres_costs(&nc);
    uint64_t mask = 0;
    for (size_t i = 0; i < nc; i++) mask |= CFS_PRES_BIT(c[i].field);
    const cfs_kmap *a = &d->s[0].sum.agg.present, *b = &d->s[1].sum.agg.present;
    for (size_t i = 0; i < a->n; i++) {
        const cfs_pres_row *x = cfs_kmap_row(a, i);
        const cfs_pres_row *y = cfs_kmap_find(b, x->dist);
        n += y && ((x->any ^ y->any) | (x->all ^ y->all)) & mask;
    }
    return n;
}

static void fields_text(FILE *out, size_t n)
{
    fprintf(out,
            "Fields: the logs of %zu distribution%s had other fields in OLD than in NEW (another log "
            "layout): the causes that read them may differ for that reason, not the traffic's",
            n, n == 1 ? "" : "s");
}

/* ---- sampling --------------------------------------------------------------------------------
 * Counts of sampled real-time logs are of logged requests: when either side holds sampled
 * runs, every output says each side's rates, and whether they differ (then counts of the
 * two sides are not alike; shares are). */
static int any_sampled(const cfs_diff *d)
{
    return cfs_sampling_stated(&d->s[0].sum.sampling) || cfs_sampling_stated(&d->s[1].sum.sampling);
}
static int same_sampling(const cfs_diff *d)
{
    return cfs_sampling_equal(&d->s[0].sum.sampling, &d->s[1].sum.sampling) &&
           !cfs_sampling_has(&d->s[0].sum.sampling, CFS_SAMPLING_UNKNOWN);
}

/* "25%", "10% and 50%, and runs not sampled", "not sampled", "rate not known" (no markup:
 * text and HTML) */
static void rates_text(FILE *out, const cfs_sampling *s)
{
    const int n = cfs_sampling_rates(s), unknown = cfs_sampling_has(s, CFS_SAMPLING_UNKNOWN);
    if (!n && !unknown) {
        fputs("not sampled", out);
        return;
    }
    if (!n) fputs("rate not known", out);
    cfs_sampling_rates_text(out, s);
    if (n && unknown) fputs(", and runs of a rate not known", out);
    if (cfs_sampling_has(s, CFS_SAMPLING_NONE)) fputs(", and runs not sampled", out);
}

static void sampling_text(FILE *out, const cfs_diff *d)
{
    fputs("Sampling: OLD ", out);
    rates_text(out, &d->s[0].sum.sampling);
    fputs(", NEW ", out);
    rates_text(out, &d->s[1].sum.sampling);
    fputs(same_sampling(d) ? "; counts are of logged requests"
                           : "; the two sides were sampled differently, or at rates not known: compare "
                             "shares, not counts",
          out);
}

static void json_rates(FILE *out, const cfs_sampling *s)
{
    fputc('{', out);
    cfs_sampling_json_members(out, s);
    fputc('}', out);
}

static void write_text(FILE *out, const cfs_diff *d)
{
    fputs("cfscan diff\n  OLD: ", out);
    text_safe(out, d->s[0].dir, strlen(d->s[0].dir));
    fprintf(out, " (%zu distributions, %llu requests)\n  NEW: ", d->s[0].nd,
            (unsigned long long)d->s[0].requests);
    text_safe(out, d->s[1].dir, strlen(d->s[1].dir));
    fprintf(out, " (%zu distributions, %llu requests)\n", d->s[1].nd, (unsigned long long)d->s[1].requests);
    if (any_sampled(d)) {
        sampling_text(out, d);
        fputs(".\n", out);
    }
    if (any_incomplete(d)) {
        incomplete_text(out, d);
        fputs(".\n", out);
    }
    if (rules_differ(d)) fprintf(out, "Rules: %s.\n", rules_note());
    if (evidence_differs(d)) {
        evidence_text(out, d);
        fputs(".\n", out);
    }
    const size_t nf = fields_differ(d);
    if (nf) {
        fields_text(out, nf);
        fputs(".\n", out);
    }
    fprintf(out, "Test: %s Top lists: the first %d entries.\n", test_text(), d->top);
    if (d->flagged)
        fprintf(out, "%zu change%s flagged (exit status 5):\n", d->flagged, d->flagged == 1 ? "" : "s");
    else fputs("Nothing flagged (exit status 0).\n", out);
    each_flag(d, text_flag, out);
    for (size_t i = 0; i < d->np; i++) text_pair(out, &d->p[i]);
}

/* ---- JSON -------------------------------------------------------------------------------------- */

static void json_str(FILE *out, const char *p, size_t n) { cfs_write_json_str(out, p, n); }
static void json_cstr(FILE *out, const char *s)
{
    if (s) json_str(out, s, strlen(s));
    else fputs("null", out);
}
static void json_num(FILE *out, double x) { fprintf(out, "%.6g", isfinite(x) ? x : 0.0); }

static void json_side_entry(FILE *out, uint64_t count, uint64_t err, int rank)
{
    fprintf(out, "{\"count\":%llu,\"error\":%llu,\"rank\":", (unsigned long long)count,
            (unsigned long long)err);
    if (rank) fprintf(out, "%d}", rank);
    else fputs("null}", out);
}

static void json_count(FILE *out, const finding *f, uint64_t n1, uint64_t n2)
{
    fprintf(out, "\"old\":%llu,\"new\":%llu,\"old_share\":", (unsigned long long)f->o,
            (unsigned long long)f->n);
    json_num(out, share(f->o, n1));
    fputs(",\"new_share\":", out);
    json_num(out, share(f->n, n2));
    fputs(",\"z\":", out);
    json_num(out, f->z);
    fprintf(out, ",\"flagged\":%s", f->flagged ? "true" : "false");
}

static void json_entry(FILE *out, const finding *f, uint64_t n1, uint64_t n2)
{
    fprintf(out, "{\"list\":\"%s\",\"cause\":", list_name[f->list]);
    json_cstr(out, cause_str(f->cause));
    fputs(",\"value\":", out);
    json_str(out, f->val, f->vlen);
    fprintf(out, ",\"change\":\"%s\",\"old_entry\":", change_name[f->change]);
    json_side_entry(out, f->ocount, f->oerr, f->orank);
    fputs(",\"new_entry\":", out);
    json_side_entry(out, f->ncount, f->nerr, f->nrank);
    fputc(',', out);
    json_count(out, f, n1, n2);
    fputc('}', out);
}

static void json_reference(FILE *out, const refcmp *r)
{
    static const char *const st[] = {"none", "both", "old_only", "new_only"};
    fprintf(out, "{\"state\":\"%s\",\"old_ms\":", st[r->state]);
    if (r->o_ms) fprintf(out, "%u", r->o_ms);
    else fputs("null", out);
    fputs(",\"new_ms\":", out);
    if (r->n_ms) fprintf(out, "%u", r->n_ms);
    else fputs("null", out);
    fprintf(out, ",\"old_fetches\":%llu,\"new_fetches\":%llu", (unsigned long long)r->o_fetch,
            (unsigned long long)r->n_fetch);
    if (r->state == 1) {
        fprintf(out,
                ",\"at_or_below_old_ms\":{\"old\":%llu,\"new\":%llu},\"z\":", (unsigned long long)r->o_at,
                (unsigned long long)r->n_at);
        json_num(out, r->z);
    }
    fprintf(out, ",\"flagged\":%s}", r->flagged ? "true" : "false");
}

/* One flag of the flat "flags" list: what a nightly job alerts on. */
static void json_flag(FILE *out, const dpair *p, const char *what, const finding *f, int *first)
{
    fputs(*first ? "" : ",", out);
    *first = 0;
    fputs("{\"distribution\":", out);
    json_str(out, p->dist, strnlen(p->dist, CFS_KEY_STR));
    fprintf(out, ",\"what\":\"%s\",\"cause\":", what);
    json_cstr(out, f ? cause_str(f->cause) : NULL);
    fputs(",\"list\":", out);
    if (f && f->what == W_ENTRY) fprintf(out, "\"%s\"", list_name[f->list]);
    else fputs("null", out);
    fputs(",\"value\":", out);
    if (f && f->what == W_ENTRY) json_str(out, f->val, f->vlen);
    else fputs("null", out);
    fputs(",\"change\":", out);
    if (f && f->what != W_FORBIDDEN) fprintf(out, "\"%s\"", change_name[f->change]);
    else fputs("null", out);
    fputs(",\"old\":", out);
    if (f) fprintf(out, "%llu,\"new\":%llu,\"z\":", (unsigned long long)f->o, (unsigned long long)f->n);
    else fprintf(out, "%u,\"new\":%u,\"z\":", p->ref.o_ms, p->ref.n_ms);
    json_num(out, f ? f->z : p->ref.z);
    fputc('}', out);
}

static void write_json(FILE *out, const cfs_diff *d)
{
    /* the newer of the two (they differ only from CFS_SUMMARY_SAME_COUNTS on), and each */
    fprintf(out,
            "{\"cfscan_version\":\"%s\",\"schema_version\":1,\"summary_schema_version\":%u,"
            "\"summary_schema_versions\":{\"old\":%u,\"new\":%u},\"old\":",
            CFS_VERSION, d->s[0].schema > d->s[1].schema ? d->s[0].schema : d->s[1].schema, d->s[0].schema,
            d->s[1].schema);
    json_cstr(out, d->s[0].dir);
    fputs(",\"new\":", out);
    json_cstr(out, d->s[1].dir);
    if (any_sampled(d)) {
        fputs(",\"sampling\":{\"old\":", out);
        json_rates(out, &d->s[0].sum.sampling);
        fputs(",\"new\":", out);
        json_rates(out, &d->s[1].sum.sampling);
        fprintf(out, ",\"same\":%s,\"counts\":\"logged_requests\"}", same_sampling(d) ? "true" : "false");
    }
    fputs(",\"inputs\":{", out);
    for (int k = 0; k < 2; k++) {
        const side *s = &d->s[k];
        fprintf(out, "%s\"%s\":{\"failed\":%zu,\"complete\":%s", k ? "," : "", k ? "new" : "old", s->failed,
                side_incomplete(s) ? "false" : "true");
        if (s->shards_n) fprintf(out, ",\"shards\":{\"of\":%u,\"covered\":%u}", s->shards_n, s->shards_have);
        fputc('}', out);
    }
    fputc('}', out);
    fprintf(out, ",\"same_rules\":%s", rules_differ(d) ? "false" : "true");
    fprintf(out,
            ",\"evidence\":{\"old\":{\"config\":%s,\"waf_logs\":%s},\"new\":{\"config\":%s,\"waf_logs\":%s},"
            "\"same\":%s}",
            evid_kinds(&d->s[0]) & 1 ? "true" : "false", evid_kinds(&d->s[0]) & 2 ? "true" : "false",
            evid_kinds(&d->s[1]) & 1 ? "true" : "false", evid_kinds(&d->s[1]) & 2 ? "true" : "false",
            evidence_differs(d) ? "false" : "true");
    fprintf(out, ",\"distributions_with_other_fields\":%zu", fields_differ(d));
    fputs(",\"test\":{\"rule\":", out);
    json_cstr(out, test_text());
    fprintf(out, ",\"min_abs_z\":%g,\"min_change\":%d,\"min_ratio\":%g,\"top\":%d,", CFS_DIFF_MIN_Z,
            CFS_DIFF_MIN_CHANGE, CFS_DIFF_MIN_RATIO, d->top);
    fprintf(out, "\"reference_min_move\":%g,\"reference_min_ms\":%d,\"reference_min_fetches\":%d}",
            CFS_DIFF_REF_MIN_MOVE, CFS_DIFF_REF_MIN_MS, CFS_DIFF_REF_MIN_FETCHES);
    fprintf(out, ",\"flagged\":%zu,\"flags\":[", d->flagged);
    int first = 1;
    for (size_t i = 0; i < d->np; i++) {
        const dpair *p = &d->p[i];
        for (size_t k = 0; k < p->nf; k++) {
            const finding *f = &p->f[k];
            if (!f->flagged) continue;
            json_flag(out, p,
                      f->what == W_FORBIDDEN ? "forbidden"
                      : f->what == W_CAUSE   ? "cause"
                                             : "top_entry",
                      f, &first);
        }
        if (p->ref.flagged) json_flag(out, p, "origin_reference", NULL, &first);
    }
    fputs("],\"distributions\":[", out);
    for (size_t i = 0; i < d->np; i++) {
        const dpair *p = &d->p[i];
        if (i) fputc(',', out);
        fputs("{\"distribution\":", out);
        json_str(out, p->dist, strnlen(p->dist, CFS_KEY_STR));
        fprintf(out, ",\"in\":\"%s\",\"requests\":{\"old\":%llu,\"new\":%llu},\"forbidden\":",
                p->o && p->n ? "both"
                : p->o       ? "old"
                             : "new",
                (unsigned long long)(p->o ? p->o->requests : 0),
                (unsigned long long)(p->n ? p->n->requests : 0));
        uint64_t n1 = p->o ? p->o->requests : 0, n2 = p->n ? p->n->requests : 0;
        if (!p->o || !p->n) {
            fprintf(out, "{\"old\":%llu,\"new\":%llu}", (unsigned long long)(p->o ? p->o->n403 : 0),
                    (unsigned long long)(p->n ? p->n->n403 : 0));
            fputs(",\"causes\":[],\"top_changes\":[],\"origin_reference\":null}", out);
            continue;
        }
        fputc('{', out);
        json_count(out, &p->f[0], n1, n2);
        fputs("},\"causes\":[", out);
        int c1 = 1;
        for (size_t k = 0; k < p->nf; k++) {
            const finding *f = &p->f[k];
            if (f->what != W_CAUSE) continue;
            fprintf(out, "%s{\"cause\":\"%s\",\"change\":\"%s\",", c1 ? "" : ",", cause_str(f->cause),
                    change_name[f->change]);
            json_count(out, f, n1, n2);
            fputc('}', out);
            c1 = 0;
        }
        fputs("],\"top_changes\":[", out);
        c1 = 1;
        for (size_t k = 0; k < p->nf; k++) {
            if (p->f[k].what != W_ENTRY) continue;
            if (!c1) fputc(',', out);
            json_entry(out, &p->f[k], n1, n2);
            c1 = 0;
        }
        fputs("],\"origin_reference\":", out);
        json_reference(out, &p->ref);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

/* ---- HTML -------------------------------------------------------------------------------------- */

static const char HTML_HEAD[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    /* no script and no request at all: a value escaped wrongly could still run nothing */
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"referrer\" content=\"no-referrer\">\n"
    "<title>cfscan diff</title>\n<style>\n"
    "body{font:14px/1.45 system-ui,sans-serif;margin:1.5em;color:#1b1b1b;background:#fff}\n"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;overflow-wrap:anywhere}\n"
    "table{border-collapse:collapse;margin:.4em 0}td,th{padding:.2em .6em;border-bottom:1px solid #ddd;"
    "text-align:right}td.k,th.k{text-align:left;overflow-wrap:break-word}\n"
    "tr.flag td{background:#fde2e1;font-weight:600}.badge{display:inline-block;padding:.1em .5em;"
    "border-radius:.3em;background:#c62828;color:#fff;font-size:.85em}\n"
    ".tw{overflow-x:auto}.ok{background:#2e7d32}.note{color:#555;max-width:60em}.warn{color:#b71c1c;max-width:60em}ul.flags li{margin:.2em 0;overflow-wrap:anywhere}\n"
    "</style>\n</head>\n<body>\n";

static void html_u64(FILE *out, uint64_t x) { fprintf(out, "%llu", (unsigned long long)x); }

static void html_count_row(FILE *out, const char *label, const finding *f, uint64_t n1, uint64_t n2)
{
    fprintf(out, "<tr%s><td class=\"k\">", f->flagged ? " class=\"flag\"" : "");
    cfs_html_puts(out, label);
    if (f->change == CH_NEW) fputs(" (new)", out);
    if (f->change == CH_GONE) fputs(" (gone)", out);
    fprintf(out,
            "</td><td>%llu</td><td>%.3f%%</td><td>%llu</td><td>%.3f%%</td><td>%+.1f</td><td>%s</td></tr>\n",
            (unsigned long long)f->o, 100 * share(f->o, n1), (unsigned long long)f->n, 100 * share(f->n, n2),
            f->z, f->flagged ? "flagged" : "");
}

static void html_pair(FILE *out, const dpair *p)
{
    fputs("<h2>Distribution ", out);
    cfs_html_esc(out, p->dist, strnlen(p->dist, CFS_KEY_STR));
    fputs("</h2>\n", out);
    if (!p->o || !p->n) {
        const ddist *x = p->o ? p->o : p->n;
        fprintf(out, "<p>Only in %s (", p->o ? "OLD" : "NEW");
        html_u64(out, x->requests);
        fputs(" requests, ", out);
        html_u64(out, x->n403);
        fputs(" 403s): no baseline, not tested.</p>\n", out);
        return;
    }
    uint64_t n1 = p->o->requests, n2 = p->n->requests;
    fputs("<p>Requests ", out);
    html_u64(out, n1);
    fputs(" &rarr; ", out);
    html_u64(out, n2);
    fputs(
        ".</p>\n<div class=\"tw\"><table><tr><th class=\"k\">403s</th><th>OLD</th><th>share</th><th>NEW</th><th>share</th>"
        "<th>z</th><th></th></tr>\n",
        out);
    for (size_t i = 0; i < p->nf; i++) {
        const finding *f = &p->f[i];
        if (f->what == W_FORBIDDEN) html_count_row(out, "all causes", f, n1, n2);
        else if (f->what == W_CAUSE) html_count_row(out, cause_str(f->cause), f, n1, n2);
    }
    fputs("</table></div>\n", out);
    int any = 0;
    for (size_t i = 0; i < p->nf; i++) {
        const finding *f = &p->f[i];
        if (f->what != W_ENTRY) continue;
        if (!any)
            fputs(
                "<div class=\"tw\"><table><tr><th class=\"k\">top-list entry</th><th class=\"k\">list</th><th>OLD</th>"
                "<th>NEW</th><th>z</th><th></th></tr>\n",
                out);
        any = 1;
        fprintf(out, "<tr%s><td class=\"k\">", f->flagged ? " class=\"flag\"" : "");
        cfs_html_esc(out, f->val, f->vlen);
        fprintf(out, "</td><td class=\"k\">%s %s", change_name[f->change], list_words[f->list]);
        if (f->cause >= 0) {
            fputs(" of ", out);
            cfs_html_puts(out, cause_str(f->cause));
        }
        fprintf(out, "</td><td>%llu</td><td>%llu</td><td>%+.1f</td><td>%s</td></tr>\n",
                (unsigned long long)f->ocount, (unsigned long long)f->ncount, f->z,
                f->flagged ? "flagged" : "");
    }
    if (any) fputs("</table></div>\n", out);
    const refcmp *r = &p->ref;
    if (r->state) {
        fprintf(out, "<p%s>Origin reference: ", r->flagged ? " class=\"flag\"" : "");
        if (r->o_ms) fprintf(out, "%u ms", r->o_ms);
        else fputs("none", out);
        fprintf(out, " (%llu fetches) &rarr; ", (unsigned long long)r->o_fetch);
        if (r->n_ms) fprintf(out, "%u ms", r->n_ms);
        else fputs("none", out);
        fprintf(out, " (%llu fetches)", (unsigned long long)r->n_fetch);
        if (r->state == 1) fprintf(out, ", z %+.1f", r->z);
        fputs(r->flagged ? " <span class=\"badge\">flagged</span></p>\n" : "</p>\n", out);
    }
}

static void html_flag(FILE *out, const dpair *p, const finding *f)
{
    fputs("<li>", out);
    describe(out, p, f, cfs_html_esc, "&rarr;");
    fputs("</li>\n", out);
}

static void write_html(FILE *out, const cfs_diff *d)
{
    fputs(HTML_HEAD, out);
    fputs("<h1>cfscan diff</h1>\n<p>OLD: <code>", out);
    cfs_html_puts(out, d->s[0].dir);
    fputs("</code><br>NEW: <code>", out);
    cfs_html_puts(out, d->s[1].dir);
    fputs("</code></p>\n", out);
    if (any_sampled(d)) {
        fprintf(out, "<p class=\"%s\">", same_sampling(d) ? "note" : "warn");
        sampling_text(out, d); /* no markup and no log text in it */
        fputs(".</p>\n", out);
    }
    if (any_incomplete(d)) {
        fputs("<p class=\"warn\">", out);
        incomplete_text(out, d); /* no markup and no log text in it */
        fputs(".</p>\n", out);
    }
    if (rules_differ(d)) fprintf(out, "<p class=\"warn\">%s.</p>\n", rules_note()); /* no markup in it */
    /* the evidence and fields notes hold no markup and no log text either */
    if (evidence_differs(d)) {
        fputs("<p class=\"warn\">", out);
        evidence_text(out, d);
        fputs(".</p>\n", out);
    }
    if (fields_differ(d)) {
        fputs("<p class=\"warn\">", out);
        fields_text(out, fields_differ(d));
        fputs(".</p>\n", out);
    }
    if (d->flagged) {
        fprintf(
            out,
            "<p><span class=\"badge\">%zu change%s flagged</span> (exit status 5)</p>\n<ul class=\"flags\">\n",
            d->flagged, d->flagged == 1 ? "" : "s");
        each_flag(d, html_flag, out);
        fputs("</ul>\n", out);
    } else fputs("<p><span class=\"badge ok\">nothing flagged</span> (exit status 0)</p>\n", out);
    fputs("<p class=\"note\">Test: ", out);
    cfs_html_puts(out, test_text());
    fprintf(out, " Top lists: the first %d entries.</p>\n", d->top);
    for (size_t i = 0; i < d->np; i++) html_pair(out, &d->p[i]);
    fputs("</body>\n</html>\n", out);
}

void cfs_diff_write(FILE *out, const cfs_diff *d, cfs_diff_format f)
{
    if (f == CFS_DIFF_JSON) write_json(out, d);
    else if (f == CFS_DIFF_HTML) write_html(out, d);
    else write_text(out, d);
}
