/* The evidence record (evidence.h): built from the loaded WAF index and configs, assessed
 * against the settled traffic once the scan ends, kept by summaries and merged by
 * `merge`.  A wrong evidence input must not pass silently: WAF logs of another day change
 * "waf_block likely" into a weaker verdict without a word, so an input that covers none
 * of the scanned traffic, or is not what it claims, gets a warning (exit status 3). */
#include "pipeline/evidence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How every warning about coverage begins (a merge decides those again: cfs_evid_append). */
#define COVERS_NONE "covers none of the scanned traffic"
/* where such a warning says what the run's logs held (one run's: a merge drops it) */
#define LOGS_ARE "; the logs are of "

const char *cfs_evid_kind_name(int kind) { return kind == CFS_EVID_CONFIG ? "config" : "waf_logs"; }
const char *cfs_evid_kind_option(int kind) { return kind == CFS_EVID_CONFIG ? "--config" : "--waf-logs"; }

static cfs_evid_input *new_entry(cfs_evid_set *s)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 4;
        cfs_evid_input *nv = realloc(s->v, nc * sizeof *nv);
        if (!nv) return NULL;
        s->v = nv;
        s->cap = nc;
    }
    cfs_evid_input *e = &s->v[s->n++];
    memset(e, 0, sizeof *e);
    e->first_ms = e->last_ms = CFS_NO_TIME;
    e->cov_first = e->cov_last = CFS_NO_TIME;
    return e;
}

static void entry_free(cfs_evid_input *e)
{
    free(e->path);
    free(e->dists);
    free(e->warning);
    free(e->spans);
}

static int cmp_span(const void *a, const void *b)
{
    return strcmp(((const cfs_evid_span *)a)->id, ((const cfs_evid_span *)b)->id);
}

/* dists: the first CFS_EVID_MAX_DISTS span ids (spans sorted, duplicates removed). */
static cfs_status finish_spans(cfs_evid_input *e)
{
    if (e->nspans > 1) qsort(e->spans, e->nspans, sizeof *e->spans, cmp_span);
    size_t k = 0;
    for (size_t i = 0; i < e->nspans; i++) {
        if (k && !strcmp(e->spans[k - 1].id, e->spans[i].id)) {
            /* the same distribution twice (two configs of one id): one span over both */
            if (e->spans[i].first_ms < e->spans[k - 1].first_ms)
                e->spans[k - 1].first_ms = e->spans[i].first_ms;
            if (e->spans[i].last_ms > e->spans[k - 1].last_ms) e->spans[k - 1].last_ms = e->spans[i].last_ms;
            continue;
        }
        e->spans[k++] = e->spans[i];
    }
    e->nspans = k;
    e->ndists = k;
    size_t len = 1;
    for (size_t i = 0; i < k && i < CFS_EVID_MAX_DISTS; i++) len += strlen(e->spans[i].id) + 1;
    e->dists = malloc(len);
    if (!e->dists) return CFS_E_NOMEM;
    e->dists[0] = 0;
    for (size_t i = 0; i < k && i < CFS_EVID_MAX_DISTS; i++) {
        if (i) strcat(e->dists, " ");
        strcat(e->dists, e->spans[i].id);
    }
    return CFS_OK;
}

cfs_status cfs_evid_add_waf(cfs_evid_set *s, const cfs_waf_index *w)
{
    for (size_t i = 0; i < cfs_waf_path_count(w); i++) {
        const cfs_waf_path *p = cfs_waf_path_at(w, i);
        cfs_evid_input *e = new_entry(s);
        if (!e) return CFS_E_NOMEM;
        e->kind = CFS_EVID_WAF;
        e->path = strdup(p->path);
        e->files = p->files;
        e->records = p->records;
        e->unusable = p->bad_lines;
        e->spans = calloc(p->nsrc ? p->nsrc : 1, sizeof *e->spans);
        if (!e->path || !e->spans) return CFS_E_NOMEM;
        for (size_t k = 0; k < p->nsrc; k++) {
            cfs_evid_span *sp = &e->spans[k];
            snprintf(sp->id, sizeof sp->id, "%s", p->src[k].id);
            sp->first_ms = p->src[k].first_ms;
            sp->last_ms = p->src[k].last_ms;
            if (e->first_ms == CFS_NO_TIME || sp->first_ms < e->first_ms) e->first_ms = sp->first_ms;
            if (e->last_ms == CFS_NO_TIME || sp->last_ms > e->last_ms) e->last_ms = sp->last_ms;
        }
        e->nspans = p->nsrc;
        CFS_FORWARD_IF_ERROR(finish_spans(e));
        if (!p->nsrc && p->outside && p->outside == p->records - p->bad_lines) {
            char buf[200];
            snprintf(buf, sizeof buf, COVERS_NONE ": all its %llu records lie outside --since/--until",
                     (unsigned long long)p->outside);
            if (!(e->warning = strdup(buf))) return CFS_E_NOMEM;
        }
    }
    return CFS_OK;
}

cfs_status cfs_evid_add_config(cfs_evid_set *s, const char *path, const cfs_config_set *cfg, size_t from,
                               size_t to, uint64_t files, uint64_t failed)
{
    cfs_evid_input *e = new_entry(s);
    if (!e) return CFS_E_NOMEM;
    e->kind = CFS_EVID_CONFIG;
    e->path = strdup(path);
    e->files = files;
    e->records = to - from;
    e->unusable = failed;
    e->spans = calloc(to > from ? to - from : 1, sizeof *e->spans);
    if (!e->path || !e->spans) return CFS_E_NOMEM;
    for (size_t i = from; i < to; i++) {
        cfs_evid_span *sp = &e->spans[e->nspans++];
        snprintf(sp->id, sizeof sp->id, "%s", cfg->d[i].id ? cfg->d[i].id : "");
        sp->first_ms = INT64_MIN;
        sp->last_ms = INT64_MAX;
    }
    return finish_spans(e);
}

static const cfs_evid_span *find_span(const cfs_evid_input *e, const char *id)
{
    cfs_evid_span key;
    snprintf(key.id, sizeof key.id, "%s", id);
    return e->nspans ? bsearch(&key, e->spans, e->nspans, sizeof *e->spans, cmp_span) : NULL;
}

/* A distribution key that is a CloudFront id (from the log file's name) rather than a
 * host name the scan fell back to: WAF logs name distributions by id only. */
static int is_dist_id(const char *d)
{
    if (!*d) return 0;
    for (; *d; d++)
        if (!((*d >= 'A' && *d <= 'Z') || (*d >= '0' && *d <= '9'))) return 0;
    return 1;
}

/* 1 when every distribution the input names is a CloudFront id.  A config without one
 * (get-distribution-config in a file not named by its id) is matched to lines by host
 * only, which the traffic rows do not keep: its coverage cannot be told. */
static int ids_known(const cfs_evid_input *e)
{
    for (size_t i = 0; i < e->nspans; i++)
        if (!is_dist_id(e->spans[i].id)) return 0;
    return 1;
}

static void ms_text(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, n, "@%lld", (long long)ms);
}

static void hour_text(int64_t s, char *buf, size_t n)
{
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%MZ", &tm))
        snprintf(buf, n, "@%lld", (long long)s);
}

/* What the scanned traffic holds, for the warning's second half: the four smallest
 * distribution ids (so the text does not depend on the order of the rows, which follows
 * the threads), whether there are more, and the first and last hour. */
#define SEEN_DISTS 4
typedef struct traffic_seen {
    uint64_t requests;
    int any_id;          /* some row's distribution is a CloudFront id */
    int64_t first, last; /* hours */
    char d[SEEN_DISTS + 1][CFS_KEY_STR];
    size_t nd;
    int more;
} traffic_seen;

static void seen_dist(traffic_seen *t, const char *d)
{
    size_t i = 0;
    while (i < t->nd && strcmp(t->d[i], d) < 0) i++;
    if (i < t->nd && !strcmp(t->d[i], d)) return;
    if (i == SEEN_DISTS) {
        t->more = 1;
        return;
    }
    memmove(t->d[i + 1], t->d[i], (t->nd - i) * sizeof t->d[0]);
    snprintf(t->d[i], sizeof t->d[i], "%s", d);
    if (t->nd == SEEN_DISTS) t->more = 1; /* the largest fell off */
    else t->nd++;
}

static char *say_uncovered(const cfs_evid_input *e, const traffic_seen *t)
{
    char what[400], logs[400], a[32], b[32];
    if (e->kind == CFS_EVID_WAF) {
        if (e->ndists) {
            ms_text(e->first_ms, a, sizeof a);
            ms_text(e->last_ms, b, sizeof b);
            snprintf(what, sizeof what, "its records are of %s%s, %s .. %s", e->dists,
                     e->ndists > CFS_EVID_MAX_DISTS ? " and more" : "", a, b);
        } else {
            snprintf(what, sizeof what, "none of its records in the time window names a distribution");
        }
    } else {
        snprintf(what, sizeof what, "its configs are of %s%s", e->dists,
                 e->ndists > CFS_EVID_MAX_DISTS ? " and more" : "");
    }
    hour_text(t->first, a, sizeof a);
    hour_text(t->last, b, sizeof b);
    char ds[SEEN_DISTS * (CFS_KEY_STR + 1) + 1] = "";
    for (size_t i = 0; i < t->nd; i++) {
        if (i) strcat(ds, " ");
        strcat(ds, t->d[i]);
    }
    snprintf(logs, sizeof logs, LOGS_ARE "%s%s, %s .. %s (hours)", ds, t->more ? " and more" : "", a, b);
    size_t n = strlen(what) + strlen(logs) + 80;
    char *w = malloc(n);
    if (w) snprintf(w, n, COVERS_NONE ": %s%s", what, logs);
    return w;
}

size_t cfs_evid_assess(cfs_evid_set *s, const cfs_view *v, const cfs_config_set *cfg)
{
    traffic_seen t;
    memset(&t, 0, sizeof t);
    t.first = t.last = CFS_NO_TIME;
    const cfs_kmap *tr = &v->agg->traffic;
    for (size_t i = 0; i < tr->n; i++) {
        const cfs_trow *r = cfs_kmap_row(tr, i);
        if (!r->requests) continue;
        const char *d = r->k.dist;
        t.requests += r->requests;
        if (is_dist_id(d)) t.any_id = 1;
        if (t.first == CFS_NO_TIME || r->k.hour < t.first) t.first = r->k.hour;
        if (t.last == CFS_NO_TIME || r->k.hour > t.last) t.last = r->k.hour;
        seen_dist(&t, d);
        /* the config that attribution would use for these lines, once per row */
        const cfs_dist_config *dc = NULL;
        if (cfg) {
            cfs_span sp = {d, (uint32_t)strlen(d)};
            dc = cfs_config_find(cfg, sp, sp);
        }
        for (size_t k = 0; k < s->n; k++) {
            cfs_evid_input *e = &s->v[k];
            const cfs_evid_span *sp;
            if (e->kind == CFS_EVID_CONFIG) {
                sp = dc && dc->id ? find_span(e, dc->id) : NULL;
            } else {
                /* a row keyed by its Host (logs that name no distribution id: real-time
                 * logs, files not named by CloudFront) is of the distribution whose
                 * config the Host finds, as for attribution */
                sp = find_span(e, !is_dist_id(d) && dc && dc->id ? dc->id : d);
                /* the hour [h, h + 3600) meets the span widened by the skew (waf.h) */
                if (sp && !(r->k.hour + 3600 > sp->first_ms / 1000 - CFS_WAF_COVER_SKEW_S &&
                            r->k.hour <= sp->last_ms / 1000 + CFS_WAF_COVER_SKEW_S))
                    sp = NULL;
            }
            if (!sp) continue;
            e->requests += r->requests;
            if (r->k.status == 403) e->forbidden += r->requests;
            if (e->cov_first == CFS_NO_TIME || r->k.hour < e->cov_first) e->cov_first = r->k.hour;
            if (e->cov_last == CFS_NO_TIME || r->k.hour > e->cov_last) e->cov_last = r->k.hour;
        }
    }
    size_t warned = 0;
    for (size_t k = 0; k < s->n; k++) {
        cfs_evid_input *e = &s->v[k];
        char buf[300];
        const char *w = NULL;
        char *made = NULL;
        if (e->kind == CFS_EVID_WAF && e->records == 0) {
            w = "holds no WAF log records (no lines)";
        } else if (e->kind == CFS_EVID_WAF && e->unusable == e->records) {
            snprintf(
                buf, sizeof buf,
                "not WAF logs: none of its %llu lines is an AWS WAF log record (JSON with timestamp, action, "
                "terminatingRuleId and httpRequest.requestId)",
                (unsigned long long)e->records);
            w = buf;
        } else if (e->records && !e->requests && t.requests && t.any_id && e->ndists && ids_known(e)) {
            /* A config that failed to load entirely is already an exit-4 failure.  Logs
             * whose file names are not CloudFront's carry no distribution id (the scan
             * keys them by host), and WAF records without httpSourceId name none: what
             * they cover cannot be told, so no warning. */
            made = say_uncovered(e, &t);
            w = made ? made : COVERS_NONE;
        }
        if (w) {
            free(e->warning);
            e->warning = strdup(w); /* NULL when out of memory: the entry just says less */
        }
        free(made);
        if (e->warning) warned++;
    }
    return warned;
}

static int same_str(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

/* Whether an entry's warning (or its lack) is only about what its run's traffic was: none
 * covered, which a merge decides again on the sum. */
static int coverage_warning(const char *w) { return !w || !strncmp(w, COVERS_NONE, strlen(COVERS_NONE)); }

cfs_status cfs_evid_append(cfs_evid_set *s, const cfs_evid_input *x)
{
    for (size_t i = 0; i < s->n; i++) {
        cfs_evid_input *e = &s->v[i];
        if (e->kind != x->kind || !same_str(e->path, x->path) || !same_str(e->dists, x->dists) ||
            !(same_str(e->warning, x->warning) ||
              (coverage_warning(e->warning) && coverage_warning(x->warning))))
            continue;
        /* One input given to several runs (the nightly job's --config and --waf-logs;
         * within one run a path named twice is read once, cfscan.c): what it held is
         * counted once, as the most any run read of it (a directory may have grown
         * between the runs); what it covered is of each run's own traffic, so that adds
         * up.  A path whose contents are replaced between runs shows its largest run's
         * (README.md). */
        if (x->files > e->files) e->files = x->files;
        if (x->records > e->records) e->records = x->records;
        if (x->unusable > e->unusable) e->unusable = x->unusable;
        e->requests += x->requests;
        e->forbidden += x->forbidden;
        if (x->ndists > e->ndists) e->ndists = x->ndists;
        if (x->first_ms != CFS_NO_TIME && (e->first_ms == CFS_NO_TIME || x->first_ms < e->first_ms))
            e->first_ms = x->first_ms;
        if (x->last_ms != CFS_NO_TIME && (e->last_ms == CFS_NO_TIME || x->last_ms > e->last_ms))
            e->last_ms = x->last_ms;
        if (x->cov_first != CFS_NO_TIME && (e->cov_first == CFS_NO_TIME || x->cov_first < e->cov_first))
            e->cov_first = x->cov_first;
        if (x->cov_last != CFS_NO_TIME && (e->cov_last == CFS_NO_TIME || x->cov_last > e->cov_last))
            e->cov_last = x->cov_last;
        /* a shard, or a night, whose traffic it did not cover beside one whose it did: no
         * warning; none covered by any: the warning, whichever part gave it */
        if (e->requests && e->warning && coverage_warning(e->warning)) {
            free(e->warning);
            e->warning = NULL;
        } else if (!e->requests && !e->warning && x->warning) {
            e->warning = strdup(x->warning); /* NULL when out of memory: the entry says less */
        } else if (!e->requests && e->warning && x->warning && strcmp(e->warning, x->warning) != 0) {
            /* covered by none of several runs: what the input holds is the same for each,
             * the logs each saw are not (the first run's would read as all of them) */
            char *cut = strstr(e->warning, LOGS_ARE);
            if (cut) snprintf(cut, strlen(cut) + 1, "%s", "; in every run merged");
        }
        return CFS_OK;
    }
    cfs_evid_input *e = new_entry(s);
    if (!e) return CFS_E_NOMEM;
    *e = *x;
    e->spans = NULL;
    e->nspans = 0;
    e->path = strdup(x->path ? x->path : "");
    e->dists = strdup(x->dists ? x->dists : "");
    e->warning = x->warning ? strdup(x->warning) : NULL;
    if (!e->path || !e->dists || (x->warning && !e->warning)) return CFS_E_NOMEM;
    return CFS_OK;
}

cfs_status cfs_evid_merge(cfs_evid_set *dst, const cfs_evid_set *src)
{
    for (size_t i = 0; i < src->n; i++) CFS_FORWARD_IF_ERROR(cfs_evid_append(dst, &src->v[i]));
    return CFS_OK;
}

int cfs_evid_has_kind(const cfs_evid_set *s, int kind)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->v[i].kind == kind) return 1;
    return 0;
}

int cfs_evid_config_applied(const cfs_evid_set *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->v[i].kind == CFS_EVID_CONFIG && s->v[i].requests) return 1;
    return 0;
}

void cfs_evid_free(cfs_evid_set *s)
{
    for (size_t i = 0; i < s->n; i++) entry_free(&s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}
