/* Report sink.  Builds one model of the result (totals, per-distribution 403 causes with
 * evidence, edges, URIs, clients, latency and timeline), sorted deterministically, then
 * prints it as text or JSON.  Log values are attacker-controlled: everything printed goes
 * through cfs_write_safe or cfs_write_json_str. */
#include "pipeline/report.h"
#include "pipeline/report_model.h"
#include "pipeline/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- sampling ----------------------------------------------------------------------------- */
void cfs_sampling_rates_text(FILE *out, const cfs_sampling *s)
{
    const int n = cfs_sampling_rates(s);
    for (int r = 1, k = 0; r <= CFS_SAMPLING_MAX; r++) {
        if (!cfs_sampling_has(s, r)) continue;
        k++;
        fprintf(out, "%s%d%%", k == 1 ? "" : k == n ? " and " : ", ", r);
    }
}

void cfs_sampling_json_members(FILE *out, const cfs_sampling *s)
{
    fputs("\"rates_percent\":[", out);
    for (int r = 1, k = 0; r <= CFS_SAMPLING_MAX; r++)
        if (cfs_sampling_has(s, r)) fprintf(out, "%s%d", k++ ? "," : "", r);
    fprintf(out, "],\"unsampled_runs\":%s,\"unknown_rate_runs\":%s",
            cfs_sampling_has(s, CFS_SAMPLING_NONE) ? "true" : "false",
            cfs_sampling_has(s, CFS_SAMPLING_UNKNOWN) ? "true" : "false");
}

void cfs_sampling_sentence(FILE *out, const cfs_sampling *s)
{
    if (!cfs_sampling_stated(s)) return;
    const int n = cfs_sampling_rates(s), one = cfs_sampling_single(s);
    if (one) {
        fprintf(out,
                "the real-time log configuration samples %d%% of requests; every count here is of "
                "logged requests, not of all requests",
                one);
        return;
    }
    const char *unknown = "real-time logs read with --log-fields, or a summary written before schema 7";
    if (!n) {
        /* only runs of an unknown rate (and maybe of unsampled logs) */
        fprintf(out,
                "the sampling rate of %s runs behind this report is not known (%s); their counts may "
                "be of a sample of requests, not of all requests",
                cfs_sampling_has(s, CFS_SAMPLING_NONE) ? "some" : "the", unknown);
        return;
    }
    fputs("the runs behind this report sampled requests at ", out);
    cfs_sampling_rates_text(out, s);
    if (cfs_sampling_has(s, CFS_SAMPLING_NONE)) fputs(", and some read logs that are not sampled", out);
    if (cfs_sampling_has(s, CFS_SAMPLING_UNKNOWN))
        fprintf(out, ", and the rate of some is not known (%s)", unknown);
    fputs("; every count here is of logged requests, not of all requests, and runs at different "
          "rates add up unevenly",
          out);
}

/* ---- safe output ------------------------------------------------------------------------ */
void cfs_write_safe(FILE *out, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            fputc(c, out);
            i++;
            continue;
        }
        size_t l = c >= 0x80 ? cfs_utf8_len(u + i, n - i) : 0;
        /* C1 controls can act as terminal escapes too, and bidi controls reorder what
         * follows: each byte of them escaped */
        if (l && cfs_utf8_deceptive(u + i, l)) {
            for (size_t k = 0; k < l; k++) fprintf(out, "\\x%02X", u[i + k]);
            i += l;
        } else if (l) {
            fwrite(u + i, 1, l, out);
            i += l;
        } else {
            fprintf(out, "\\x%02X", c);
            i++;
        }
    }
}

void cfs_write_json_str(FILE *out, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    fputc('"', out);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, out);
            i++;
        } else {
            size_t l = cfs_utf8_len(u + i, n - i);
            if (l && cfs_utf8_deceptive(u + i, l)) {
                /* C1 controls (U+0080..U+009F; U+009B is CSI) act as terminal escapes
                 * when the JSON is printed, bidi controls reorder the text after them:
                 * written escaped (the same JSON value) */
                fprintf(out, "\\u%04x", (unsigned)cfs_utf8_cp23(u + i, l));
                i += l;
            } else if (l) {
                fwrite(u + i, 1, l, out);
                i += l;
            } else {
                /* Not UTF-8 (e.g. Latin-1 bytes in a query string): keep it readable
                 * and valid JSON by mapping the byte to the code point of the same value. */
                fprintf(out, "\\u%04x", c);
                i++;
            }
        }
    }
    fputc('"', out);
}

static void json_cstr(FILE *out, const char *s) { cfs_write_json_str(out, s, strlen(s)); }

/* ---- model ------------------------------------------------------------------------------------ */
/* The model's types (kv, kvlist, cause_model, dist_model, model) are in report_model.h,
 * shared with the HTML report (report_html.c). */

/* Lists up to this long are searched linearly, without an index: most of the report's
 * lists (a cause's rules, edges and hours in one distribution) hold a few keys, and a
 * report over 20,000 distributions holds hundreds of thousands of such lists. */
#define KV_LINEAR 8

static int kv_key_eq(const kv *e, const char *key, size_t n)
{
    return memcmp(e->key, key, n) == 0 && e->key[n] == 0;
}

static void kv_index_put(kvlist *l, uint64_t h, size_t pos)
{
    size_t j = (size_t)h & (l->scap - 1);
    while (l->slot[j]) j = (j + 1) & (l->scap - 1);
    l->slot[j] = (h & 0xffffffff00000000ull) | (uint64_t)(pos + 1);
}

/* Out of memory (recorded, xalloc.h) the model is built on with this sink entry for
 * keys it cannot hold, and the report prints nothing (build sets stopped). */
static _Thread_local kv t_kv_sink;

/* (Re)build the index with room for at least twice the keys held plus one; 0 when out of
 * memory (the old index stays). */
static int kv_index_grow(kvlist *l)
{
    size_t cap = l->scap ? l->scap * 2 : 16;
    while (cap < 2 * (l->n + 1)) cap *= 2;
    uint64_t *slot = cfs_calloc(cap, sizeof *l->slot, "building the report");
    if (!slot) return 0;
    free(l->slot);
    l->slot = slot;
    l->scap = cap;
    for (size_t i = 0; i < l->n; i++) kv_index_put(l, cfs_hash_bytes(l->v[i].key, strlen(l->v[i].key)), i);
    return 1;
}

static kv *kv_append(kvlist *l, const char *key, size_t n)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        kv *v = cfs_realloc(l->v, cap * sizeof *l->v, "building the report");
        if (!v) {
            memset(&t_kv_sink, 0, sizeof t_kv_sink);
            return &t_kv_sink;
        }
        l->v = v;
        l->cap = cap;
    }
    kv *e = &l->v[l->n++];
    memcpy(e->key, key, n);
    e->key[n] = 0;
    e->n = e->bytes = 0;
    return e;
}

static kv *kv_get(kvlist *l, const char *key)
{
    size_t n = strnlen(key, KV_KEY - 1); /* the key as stored */
    if (!l->slot && l->n < KV_LINEAR) {
        for (size_t i = 0; i < l->n; i++)
            if (kv_key_eq(&l->v[i], key, n)) return &l->v[i];
        return kv_append(l, key, n);
    }
    if ((!l->slot || 2 * (l->n + 1) > l->scap) && !kv_index_grow(l) && (!l->slot || l->n + 2 > l->scap)) {
        memset(&t_kv_sink, 0, sizeof t_kv_sink);
        return &t_kv_sink;
    }
    uint64_t h = cfs_hash_bytes(key, n);
    size_t j = (size_t)h & (l->scap - 1);
    for (uint64_t x; (x = l->slot[j]) != 0; j = (j + 1) & (l->scap - 1)) {
        kv *e = &l->v[(uint32_t)x - 1];
        if ((x >> 32) == (h >> 32) && kv_key_eq(e, key, n)) return e;
    }
    kv *e = kv_append(l, key, n);
    if (e != &t_kv_sink) l->slot[j] = (h & 0xffffffff00000000ull) | (uint64_t)l->n; /* indexed once held */
    return e;
}

/* kv_get of key, which number id stands for (the same id, the same key), answered from
 * memo when the last lookup through it had that id.  Positions stay valid while the list
 * grows (only sorting moves entries, after the rows are walked). */
static kv *kv_get_by(kvlist *l, kv_memo *memo, uint64_t id, const char *key)
{
    if (memo->ix1 && memo->id == id) return &l->v[memo->ix1 - 1];
    kv *e = kv_get(l, key);
    if (e != &t_kv_sink) {
        memo->id = id;
        memo->ix1 = (size_t)(e - l->v) + 1;
    }
    return e;
}

static void kv_free(kvlist *l)
{
    free(l->v);
    free(l->slot);
}

static int kv_cmp_count(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int kv_cmp_key(const void *a, const void *b)
{
    return strcmp(((const kv *)a)->key, ((const kv *)b)->key);
}

static void kv_sort(kvlist *l, int by_count)
{
    free(l->slot); /* positions change */
    l->slot = NULL;
    l->scap = 0;
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, by_count ? kv_cmp_count : kv_cmp_key);
}


static void hour_str(int64_t h, char *buf, size_t n)
{
    /* Hours come from times inside CFS_TIME_MIN..CFS_TIME_MAX (fields.c rejects the rest),
     * so gmtime_r cannot fail here; should an hour ever slip through (a state.cfs from
     * elsewhere), it is printed as its epoch seconds rather than as whatever an
     * uninitialised struct tm formats to.  Distinct hours keep distinct keys. */
    time_t t = (time_t)h;
    struct tm tm;
    if (!cfs_time_in_range(h) || gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:00Z", &tm) == 0)
        snprintf(buf, n, "@%lld", (long long)h);
}

/* A timeline bucket's start as the hours are written, with its minutes. */
static void bucket_str(int64_t b, char *buf, size_t n)
{
    time_t t = (time_t)b;
    struct tm tm;
    if (!cfs_time_in_range(b) || gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%MZ", &tm) == 0)
        snprintf(buf, n, "@%lld", (long long)b);
}

/* --resolution's name and the words of the text report's timeline line. */
static const char *resolution_name(int s)
{
    return s == 60 ? "1m" : s == 300 ? "5m" : s == 900 ? "15m" : "1h";
}
static const char *resolution_words(int s)
{
    return s == 60 ? "minute" : s == 300 ? "5 minutes" : s == 900 ? "15 minutes" : "hour";
}

/* The index slot of dist (keys are CFS_KEY_STR bytes, NUL padded as the aggregate
 * stores them). */
static dist_pos *dist_slot(model *m, const char *dist)
{
    char k[CFS_KEY_STR];
    memset(k, 0, sizeof k);
    memcpy(k, dist, strnlen(dist, CFS_KEY_STR - 1));
    return cfs_kmap_get(&m->didx, k, NULL);
}

static dist_model *dist_get(model *m, const char *dist)
{
    static _Thread_local dist_model sink; /* out of memory (recorded): see t_kv_sink */
    dist_pos *pos = dist_slot(m, dist);
    if (pos->d) return pos->d;
    if (m->nd == m->dcap) {
        size_t cap = m->dcap ? m->dcap * 2 : 16;
        dist_model **v = cfs_realloc(m->d, cap * sizeof *m->d, "building the report");
        if (!v) return &sink;
        m->d = v;
        m->dcap = cap;
    }
    if (cfs_kmap_is_sink(pos)) return &sink;
    dist_model *d = cfs_calloc(1, sizeof *d, "building the report");
    if (!d) return &sink;
    memcpy(d->dist, pos->dist, CFS_KEY_STR);
    m->d[m->nd++] = d;
    pos->d = d;
    return d;
}

/* The CFS_WAF_NOTE_* a reserved WAF-row name stands for, or -1 for a real rule name. */
static int waf_note_of(const char *name)
{
    if (strncmp(name, CFS_WAF_NOTE_PREFIX, sizeof CFS_WAF_NOTE_PREFIX - 1) != 0) return -1;
    for (int k = 0; k < CFS_WAF_NOTE_COUNT; k++)
        if (!strcmp(name, cfs_waf_note_name(k))) return k;
    return -1;
}

static void ms_str(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(buf, n, "@%lld", (long long)ms);
        return;
    }
    size_t l = strlen(buf);
    snprintf(buf + l, n - l, ".%03dZ", (int)(((ms % 1000) + 1000) % 1000));
}

static const char *const WAF_ACTION_NAMES[CFS_WAF_COUNT_ACTION] = {"ALLOW", "BLOCK", "CAPTCHA", "CHALLENGE"};

/* What the WAF logs cover (waf.h): web ACLs, distributions, their spans and records. */
static void text_waf_logs(FILE *out, const model *m, const cfs_report_opts *o)
{
    if (!o || !o->with_waf) return;
    fprintf(out, "\nWAF logs\n--------\n");
    const cfs_waf_index *w = o->waf;
    if (w) {
        const cfs_waf_stats *st = cfs_waf_get_stats(w);
        fprintf(out,
                "Records: %llu read, %llu not WAF records, %llu blocking records outside the time window\n",
                (unsigned long long)st->records, (unsigned long long)st->bad_lines,
                (unsigned long long)st->out_of_window);
        if (st->other_sources)
            fprintf(
                out,
                "Records of other resources than CloudFront distributions (ALB, API Gateway, ...): %llu\n",
                (unsigned long long)st->other_sources);
        if (cfs_waf_incomplete(w)) {
            fprintf(
                out,
                "Not read whole (%zu file%s failed, %llu lines that may have been block records): no 403 is "
                "taken for one WAF did not block; joined blocks still prove\n",
                cfs_waf_error_count(w), cfs_waf_error_count(w) == 1 ? "" : "s", (unsigned long long)st->lost);
            for (size_t i = 0; i < cfs_waf_error_count(w) && i < CFS_WAF_MAX_ERRORS; i++) {
                fputs("  ", out);
                const char *e = cfs_waf_error_at(w, i);
                cfs_write_safe(out, e, strlen(e));
                fputc('\n', out);
            }
        }
        fprintf(out, "Web ACLs:");
        for (size_t i = 0; i < cfs_waf_acl_count(w); i++) {
            fputc(' ', out);
            const char *a = cfs_waf_acl_at(w, i);
            cfs_write_safe(out, a, strlen(a));
        }
        fprintf(out, "%s\n", cfs_waf_acl_count(w) ? "" : " none");
        fprintf(out,
                "Coverage (no WAF record counts as \"not WAF\" only for a 403 of these distributions\n"
                "inside its span, widened by %d s either way):\n",
                CFS_WAF_COVER_SKEW_S);
        for (size_t i = 0; i < cfs_waf_source_count(w); i++) {
            const cfs_waf_source *c = cfs_waf_source_at(w, i);
            char a[40], b[40];
            ms_str(c->first_ms, a, sizeof a);
            ms_str(c->last_ms, b, sizeof b);
            fprintf(out, "  ");
            cfs_write_safe(out, c->id, strlen(c->id));
            fprintf(out, " %s .. %s:", a, b);
            for (int k = 0; k < CFS_WAF_COUNT_ACTION; k++)
                fprintf(out, " %s %llu", WAF_ACTION_NAMES[k], (unsigned long long)c->actions[k]);
            fputc('\n', out);
        }
        if (!cfs_waf_source_count(w)) fprintf(out, "  none: no record names a distribution (httpSourceId)\n");
        if (st->no_source || st->sources_dropped)
            fprintf(
                out,
                "  (%llu records without httpSourceId, %llu of distributions beyond the first %d: not counted)\n",
                (unsigned long long)st->no_source, (unsigned long long)st->sources_dropped,
                CFS_WAF_MAX_SOURCES);
    }
    uint64_t out_cov = m->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE];
    if (out_cov)
        fprintf(
            out,
            "%llu 403s lie outside the WAF logs' coverage (distributions/time span, or no x-edge-request-id "
            "to join): their WAF verdicts are not informed by the WAF logs\n",
            (unsigned long long)out_cov);
    uint64_t ch = m->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403], cd = m->waf_notes[CFS_WAF_NOTE_CODE_NOT_403];
    if (ch || cd)
        fprintf(
            out,
            "Anomalies: %llu 403s joined to a CAPTCHA/CHALLENGE record (these answer 405/202, not 403) and "
            "%llu to a BLOCK record with a custom response code other than 403; judged as if unjoined\n",
            (unsigned long long)ch, (unsigned long long)cd);
}

/* ---- evidence inputs (evidence.h) ---------------------------------------------------- */
static void ev_time(int64_t ms, char *buf, size_t n)
{
    if (ms == CFS_NO_TIME) {
        snprintf(buf, n, "-");
        return;
    }
    ms_str(ms, buf, n);
}

static void ev_hour(int64_t s, char *buf, size_t n)
{
    time_t t = (time_t)s;
    struct tm tm;
    if (s == CFS_NO_TIME || !gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%MZ", &tm))
        snprintf(buf, n, "-");
}

/* One line per evidence input: what it held, what it covered of the scanned traffic,
 * and a WARNING when it covered none or is not what it claims to be. */
static void text_evidence(FILE *out, const cfs_report_opts *o)
{
    const cfs_evid_set *es = o ? o->evidence : NULL;
    if (!es || !es->n) return;
    fprintf(out, "\nEvidence\n--------\n");
    for (size_t i = 0; i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        char a[40], b[40];
        fprintf(out, "%s ", cfs_evid_kind_option(e->kind));
        cfs_write_safe(out, e->path, strlen(e->path));
        if (e->kind == CFS_EVID_WAF)
            fprintf(out, ": %llu file%s, %llu records (%llu not WAF records)", (unsigned long long)e->files,
                    e->files == 1 ? "" : "s", (unsigned long long)e->records,
                    (unsigned long long)e->unusable);
        else
            fprintf(out, ": %llu file%s, %llu config%s loaded (%llu failed)", (unsigned long long)e->files,
                    e->files == 1 ? "" : "s", (unsigned long long)e->records, e->records == 1 ? "" : "s",
                    (unsigned long long)e->unusable);
        fprintf(out, "; %llu distribution%s", (unsigned long long)e->ndists, e->ndists == 1 ? "" : "s");
        if (e->ndists) {
            fputs(" (", out);
            cfs_write_safe(out, e->dists, strlen(e->dists));
            fputs(e->ndists > CFS_EVID_MAX_DISTS ? " ...)" : ")", out);
        }
        if (e->kind == CFS_EVID_WAF && e->first_ms != CFS_NO_TIME) {
            ev_time(e->first_ms, a, sizeof a);
            ev_time(e->last_ms, b, sizeof b);
            fprintf(out, ", records %s .. %s", a, b);
        }
        ev_hour(e->cov_first, a, sizeof a);
        ev_hour(e->cov_last, b, sizeof b);
        if (e->requests)
            fprintf(out, "\n    covers %llu scanned requests (%llu 403s), hours %s .. %s\n",
                    (unsigned long long)e->requests, (unsigned long long)e->forbidden, a, b);
        else fprintf(out, "\n    covers none of the scanned requests\n");
    }
    for (size_t i = 0; i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        if (!e->warning) continue;
        fprintf(out, "WARNING %s ", cfs_evid_kind_option(e->kind));
        cfs_write_safe(out, e->path, strlen(e->path));
        fputs(": ", out);
        cfs_write_safe(out, e->warning, strlen(e->warning));
        fputc('\n', out);
    }
}

static void json_evidence(FILE *out, const cfs_report_opts *o)
{
    const cfs_evid_set *es = o ? o->evidence : NULL;
    fputs(",\"evidence\":[", out);
    for (size_t i = 0; es && i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        char a[40], b[40];
        fprintf(out, "%s{\"kind\":\"%s\",\"path\":", i ? "," : "", cfs_evid_kind_name(e->kind));
        json_cstr(out, e->path);
        fprintf(
            out,
            ",\"files\":%llu,\"records\":%llu,\"%s\":%llu,\"distributions_total\":%llu,\"distributions\":[",
            (unsigned long long)e->files, (unsigned long long)e->records,
            e->kind == CFS_EVID_WAF ? "not_records" : "failed", (unsigned long long)e->unusable,
            (unsigned long long)e->ndists);
        /* dists is space-separated ids */
        const char *p = e->dists ? e->dists : "";
        int first = 1;
        while (*p) {
            const char *sp = strchr(p, ' ');
            size_t l = sp ? (size_t)(sp - p) : strlen(p);
            if (!first) fputc(',', out);
            cfs_write_json_str(out, p, l);
            first = 0;
            p += l;
            while (*p == ' ') p++;
        }
        fputc(']', out);
        if (e->kind == CFS_EVID_WAF && e->first_ms != CFS_NO_TIME) {
            ev_time(e->first_ms, a, sizeof a);
            ev_time(e->last_ms, b, sizeof b);
            fprintf(out, ",\"first\":\"%s\",\"last\":\"%s\"", a, b);
        } else {
            fputs(",\"first\":null,\"last\":null", out);
        }
        fprintf(out, ",\"covered_requests\":%llu,\"covered_403\":%llu", (unsigned long long)e->requests,
                (unsigned long long)e->forbidden);
        if (e->cov_first != CFS_NO_TIME) {
            ev_hour(e->cov_first, a, sizeof a);
            ev_hour(e->cov_last, b, sizeof b);
            fprintf(out, ",\"covered_first\":\"%s\",\"covered_last\":\"%s\"", a, b);
        } else {
            fputs(",\"covered_first\":null,\"covered_last\":null", out);
        }
        fputs(",\"warning\":", out);
        if (e->warning) json_cstr(out, e->warning);
        else fputs("null", out);
        fputc('}', out);
    }
    fputc(']', out);
}

static void json_waf_notes(FILE *out, const dist_model *d)
{
    fprintf(out,
            ",\"waf_anomalies\":{\"captcha_or_challenge_on_403\":%llu,\"block_code_not_403\":%llu},"
            "\"waf_outside_coverage_403\":%llu",
            (unsigned long long)d->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403],
            (unsigned long long)d->waf_notes[CFS_WAF_NOTE_CODE_NOT_403],
            (unsigned long long)d->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE]);
}


static void json_waf_logs(FILE *out, const model *m, const cfs_report_opts *o)
{
    const cfs_waf_index *w = o ? o->waf : NULL;
    if (!w) return;
    const cfs_waf_stats *st = cfs_waf_get_stats(w);
    fprintf(out,
            ",\"waf_logs\":{\"records\":%llu,\"bad_lines\":%llu,\"out_of_window\":%llu,"
            "\"no_source\":%llu,\"sources_dropped\":%llu,\"skew_s\":%d,\"web_acls\":[",
            (unsigned long long)st->records, (unsigned long long)st->bad_lines,
            (unsigned long long)st->out_of_window, (unsigned long long)st->no_source,
            (unsigned long long)st->sources_dropped, CFS_WAF_COVER_SKEW_S);
    for (size_t i = 0; i < cfs_waf_acl_count(w); i++) {
        if (i) fputc(',', out);
        json_cstr(out, cfs_waf_acl_at(w, i));
    }
    fputs("],\"distributions\":[", out);
    for (size_t i = 0; i < cfs_waf_source_count(w); i++) {
        const cfs_waf_source *c = cfs_waf_source_at(w, i);
        char a[40], b[40];
        ms_str(c->first_ms, a, sizeof a);
        ms_str(c->last_ms, b, sizeof b);
        fprintf(out, "%s{\"distribution\":", i ? "," : "");
        json_cstr(out, c->id);
        fprintf(out, ",\"first\":\"%s\",\"last\":\"%s\",\"first_ms\":%lld,\"last_ms\":%lld,\"actions\":{", a,
                b, (long long)c->first_ms, (long long)c->last_ms);
        for (int k = 0; k < CFS_WAF_COUNT_ACTION; k++)
            fprintf(out, "%s\"%s\":%llu", k ? "," : "", WAF_ACTION_NAMES[k],
                    (unsigned long long)c->actions[k]);
        fputs("}}", out);
    }
    fprintf(
        out,
        "],\"outside_coverage_403\":%llu,\"captcha_or_challenge_on_403\":%llu,\"block_code_not_403\":%llu}",
        (unsigned long long)m->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE],
        (unsigned long long)m->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403],
        (unsigned long long)m->waf_notes[CFS_WAF_NOTE_CODE_NOT_403]);
}

static cause_model *cause_get(dist_model *d, int c)
{
    static _Thread_local cause_model sink; /* out of memory (recorded): see t_kv_sink */
    if (!d->causes[c]) {
        if (!(d->causes[c] = cfs_calloc(1, sizeof *d->causes[c], "building the report"))) return &sink;
        d->causes[c]->cause = c;
    }
    return d->causes[c];
}

static uint64_t cause_n(const dist_model *d, int c) { return d->causes[c] ? d->causes[c]->n : 0; }

static void build(model *m, const cfs_view *v, const char *const *waf, size_t nwaf,
                  volatile sig_atomic_t *stop, int with_config, int with_waf)
{
    memset(m, 0, sizeof *m);
    cfs_kmap_init(&m->didx, CFS_KEY_STR, sizeof(dist_pos));
    m->tot = v->ledger->tot;
    m->failed = v->ledger->failed;
    m->warned = v->ledger->warned;
    const cfs_agg *a = v->agg;
    /* Provisional rows would be reported under causes they may not keep. */
    if (!cfs_is_settled(a)) {
        m->stopped = 1;
        return;
    }
    /* One walk over the traffic rows; every lookup in it is hashed (kv_get, dist_get) or
     * answered from the row before's (kv_get_by), so the model is built in time linear in
     * the rows whatever the number of distributions, edges and hours. */
    /* Per-row strings are made once per change: rows of one input file share their hour,
     * and an undecided rule's candidate set is the same string for every row of it; rows
     * of one distribution come in runs (their model is found once per run). */
    int64_t shown_hour = INT64_MIN;
    char hs[32] = "";
    uint32_t shown_cand = 0;
    char cs[256] = "";
    dist_model *rd = NULL; /* the model of the run's distribution */
    kv *dkv = NULL;
    /* Lookups by a number the row carries (kv_get_by): a status's entry per status value;
     * an edge's while rows keep their edge (compared whole: keys are NUL padded), whose
     * place in m->edge (edge_ix1) then numbers it for the causes' edge lists. */
    kv_memo status_at[1000];
    memset(status_at, 0, sizeof status_at);
    char last_edge[CFS_KEY_STR] = "";
    size_t edge_ix1 = 0;
    for (size_t i = 0; i < a->traffic.n; i++) {
        /* A signal during a long report stops it (checked every 4096 rows). */
        if (stop && (i & 4095) == 0 && *stop) {
            m->stopped = 1;
            return;
        }
        const cfs_trow *t = cfs_kmap_row(&a->traffic, i);
        unsigned st = t->k.status;
        char sk[8] = {(char)('0' + st / 100 % 10), (char)('0' + st / 10 % 10), (char)('0' + st % 10), 0};
        if (st > 999) snprintf(sk, sizeof sk, "%u", st); /* only from a hand-made state file */
        kv *e = st <= 999 ? kv_get_by(&m->status, &status_at[st], st, sk) : kv_get(&m->status, sk);
        e->n += t->requests;
        e->bytes += t->bytes;
        if (!rd || memcmp(rd->dist, t->k.dist, CFS_KEY_STR) != 0) { /* keys are NUL padded */
            rd = dist_get(m, t->k.dist);
            dkv = kv_get(&m->dist, t->k.dist);
        }
        dist_model *d = rd;
        dkv->n += t->requests;
        dkv->bytes += t->bytes;
        if (edge_ix1 && memcmp(last_edge, t->k.edge, CFS_KEY_STR) == 0) {
            e = &m->edge.v[edge_ix1 - 1];
        } else {
            e = kv_get(&m->edge, t->k.edge);
            if (e != &t_kv_sink) {
                memcpy(last_edge, t->k.edge, CFS_KEY_STR);
                edge_ix1 = (size_t)(e - m->edge.v) + 1;
            } else {
                edge_ix1 = 0; /* out of memory (recorded): no number stands for this edge */
            }
        }
        e->n += t->requests;
        e->bytes += t->bytes;
        m->requests += t->requests;
        d->requests += t->requests;
        d->bytes += t->bytes;
        if (cfs_rule_is_hidden_403(t->k.rule)) {
            if (d->hidden403 && d->hidden_status != t->k.status) d->hidden_mixed = 1;
            d->hidden403 += t->requests;
            d->hidden_status = t->k.status;
            if (t->k.status >= 400) d->hidden_upper = 1;
        }
        if (cfs_rule_is_config_newer(t->k.rule)) d->older403 += t->requests;
        if (t->k.cause == CFS_CAUSE_NONE || t->k.cause >= CFS_CAUSE_COUNT) continue;
        cause_model *c = cause_get(d, t->k.cause);
        d->n403 += t->requests;
        c->n += t->requests;
        c->bytes += t->bytes;
        if (t->k.evidence < CFS_EV_COUNT) c->ev[t->k.evidence] += t->requests;
        kv_get_by(&c->rules, &c->rule_at, t->k.rule, cfs_rule_name(t->k.rule))->n += t->requests;
        uint32_t cand = cfs_candidates(t->k.rule, t->k.excl);
        if (cand) {
            if (cand != shown_cand) {
                cfs_candidates_str(cand, cs, sizeof cs);
                shown_cand = cand;
            }
            kv_get_by(&c->cands, &c->cands_at, cand, cs)->n += t->requests;
        }
        d->hints[cfs_rule_settle_hint(t->k.rule, with_config, with_waf)] += t->requests;
        (edge_ix1 ? kv_get_by(&c->edges, &c->edge_at, edge_ix1, t->k.edge) : kv_get(&c->edges, t->k.edge))
            ->n += t->requests;
        if (t->k.hour != shown_hour) {
            hour_str(t->k.hour, hs, sizeof hs);
            shown_hour = t->k.hour;
        }
        kv_get_by(&c->hours, &c->hour_at, (uint64_t)t->k.hour, hs)->n += t->requests;
        kv_get_by(&d->hours403, &d->hour403_at, (uint64_t)t->k.hour, hs)->n += t->requests;
    }
    for (size_t i = 0; v->timeline && i < v->timeline->n; i++) {
        const cfs_tl_row *t = cfs_kmap_row(v->timeline, i);
        char bs[32];
        bucket_str(t->bucket, bs, sizeof bs);
        kv_get(&dist_get(m, t->dist)->tl, bs)->n += t->n;
    }
    for (size_t i = 0; i < a->groups.n; i++) {
        const cfs_grow *g = cfs_kmap_row(&a->groups, i);
        if (g->k.cause >= CFS_CAUSE_COUNT) continue;
        cause_get(dist_get(m, g->k.dist), g->k.cause)->g = g->g;
    }
    for (size_t i = 0; i < a->heavy.n; i++) {
        const cfs_hrow *h = cfs_kmap_row(&a->heavy, i);
        if (h->k.cause >= CFS_CAUSE_COUNT) continue;
        cause_get(dist_get(m, h->k.dist), h->k.cause)->h = h;
    }
    for (size_t i = 0; waf && i < a->waf.n; i++) {
        const cfs_wrow *wr = cfs_kmap_row(&a->waf, i);
        const char *nm = wr->rule < nwaf ? waf[wr->rule] : "?";
        dist_model *d = dist_get(m, wr->dist);
        int note = waf_note_of(nm);
        if (note >= 0) {
            d->waf_notes[note] += wr->count;
            m->waf_notes[note] += wr->count;
        } else {
            kv_get(&d->waf_rules, nm)->n += wr->count;
        }
    }
    /* The origin-fetch reference, one pass over the origin rows (one per distribution)
     * instead of one search of them per distribution.  A row of a distribution with no
     * traffic (only from a hand-made state) leaves an empty slot and is not reported. */
    for (size_t i = 0; i < a->origin.n; i++) {
        const cfs_orow *o = cfs_kmap_row(&a->origin, i);
        dist_pos *pos = dist_slot(m, o->dist);
        if (!pos->d || pos->d->fetches || pos->d->reference_ms || !o->h) continue;
        pos->d->fetches = o->h->count;
        pos->d->fetches_ttfb = o->ttfb;
        pos->d->reference_ms = cfs_attr_reference_ms(o->h);
    }
    for (size_t i = 0; i < a->olabel.n; i++) {
        const cfs_lrow *l = cfs_kmap_row(&a->olabel, i);
        dist_pos *pos = dist_slot(m, l->dist);
        if (!pos->d) continue;
        dist_model *d = pos->d;
        const cfs_lrow **lr = cfs_realloc(d->lrows, (d->nlrows + 1) * sizeof *d->lrows,
                                          "building the report");
        if (!lr) continue; /* out of memory (recorded) */
        d->lrows = lr;
        size_t j = d->nlrows++;
        while (j > 0 && strcmp(d->lrows[j - 1]->label, l->label) > 0) {
            d->lrows[j] = d->lrows[j - 1];
            j--;
        }
        d->lrows[j] = l;
    }
    for (size_t i = 0; i < m->nd; i++) {
        dist_model *d = m->d[i];
        d->pres = cfs_kmap_find(&a->present, d->dist);
        kv_sort(&d->waf_rules, 1);
        for (int c = 0; c < CFS_CAUSE_COUNT; c++) {
            if (!d->causes[c]) continue;
            kv_sort(&d->causes[c]->rules, 1);
            kv_sort(&d->causes[c]->cands, 1);
            kv_sort(&d->causes[c]->edges, 1);
            kv_sort(&d->causes[c]->hours, 0);
        }
        kv_sort(&d->hours403, 0);
        kv_sort(&d->tl, 0);
    }
    kv_sort(&m->status, 0);
    kv_sort(&m->dist, 1);
    kv_sort(&m->edge, 1);
}

size_t cfs_rmodel_fields_absent(const dist_model *d, const cfs_field_cost **out, int *how, size_t max)
{
    size_t nc, k = 0;
    const cfs_field_cost *c = cfs_pres_costs(&nc);
    for (size_t i = 0; d->pres && i < nc && k < max; i++) {
        int a = cfs_pres_absent(d->pres, c[i].field);
        if (a == CFS_PRES_PRESENT) continue;
        out[k] = &c[i];
        how[k++] = a;
    }
    return k;
}

/* The fields the distribution's lines lacked (presence.h), on one line under its heading:
 * those absent from all lines, then those absent from some; their bits are ORed into
 * *named, for the costs said once at the end (text_field_costs). */
static void text_fields_absent(FILE *out, const dist_model *d, uint64_t *named)
{
    const cfs_field_cost *f[64];
    int how[64];
    size_t n = cfs_rmodel_fields_absent(d, f, how, 64);
    if (!n) return;
    fputs("  Fields absent:", out);
    const char *sep = " ";
    for (int pass = CFS_PRES_ALL; pass >= CFS_PRES_SOME; pass--) {
        int k = 0;
        for (size_t i = 0; i < n; i++) {
            if (how[i] != pass) continue;
            fprintf(out, "%s%s", k++ ? ", " : sep, cfs_field_name(f[i]->field));
            *named |= CFS_PRES_BIT(f[i]->field);
        }
        if (k) {
            fprintf(out, " (from %s lines)", cfs_pres_word(pass));
            sep = "; ";
        }
    }
    fputc('\n', out);
}

/* What each field named by a "Fields absent:" line costs, once per report. */
static void text_field_costs(FILE *out, uint64_t named)
{
    if (!named) return;
    fputs("\nWhat an absent field costs:\n", out);
    size_t nc;
    const cfs_field_cost *c = cfs_pres_costs(&nc);
    for (size_t i = 0; i < nc; i++)
        if (named & CFS_PRES_BIT(c[i].field))
            fprintf(out, "  %s: %s\n", cfs_field_name(c[i].field), c[i].cost);
}

/* fields_absent of a distribution: [{"field", "lines": "all"|"some"}] (costs once, in
 * forbidden.field_costs); the bits named are ORed into *named. */
static void json_fields_absent(FILE *out, const dist_model *d, uint64_t *named)
{
    const cfs_field_cost *f[64];
    int how[64];
    size_t n = cfs_rmodel_fields_absent(d, f, how, 64);
    fputs(",\"fields_absent\":[", out);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s{\"field\":", i ? "," : "");
        json_cstr(out, cfs_field_name(f[i]->field));
        fprintf(out, ",\"lines\":\"%s\"}", cfs_pres_word(how[i]));
        *named |= CFS_PRES_BIT(f[i]->field);
    }
    fputc(']', out);
}

static void json_field_costs(FILE *out, uint64_t named)
{
    fputs(",\"field_costs\":{", out);
    size_t nc;
    int first = 1;
    const cfs_field_cost *c = cfs_pres_costs(&nc);
    for (size_t i = 0; i < nc; i++) {
        if (!(named & CFS_PRES_BIT(c[i].field))) continue;
        fputs(first ? "" : ",", out);
        first = 0;
        json_cstr(out, cfs_field_name(c[i].field));
        fputc(':', out);
        json_cstr(out, c[i].cost);
    }
    fputc('}', out);
}

static int dist_cmp(const void *a, const void *b)
{
    const dist_model *x = *(dist_model *const *)a, *y = *(dist_model *const *)b;
    if (x->n403 != y->n403) return x->n403 > y->n403 ? -1 : 1;
    if (x->requests != y->requests) return x->requests > y->requests ? -1 : 1;
    return strcmp(x->dist, y->dist);
}

/* Causes of a distribution ranked by count, then id. */
static int ranked_causes(const dist_model *d, int *out)
{
    int n = 0;
    for (int c = 1; c < CFS_CAUSE_COUNT; c++)
        if (cause_n(d, c)) out[n++] = c;
    for (int i = 1; i < n; i++) {
        int x = out[i], j = i;
        while (j > 0 && (cause_n(d, out[j - 1]) < cause_n(d, x) ||
                         (cause_n(d, out[j - 1]) == cause_n(d, x) && out[j - 1] > x))) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = x;
    }
    return n;
}

static void free_model(model *m)
{
    kv_free(&m->status);
    kv_free(&m->dist);
    kv_free(&m->edge);
    for (size_t i = 0; i < m->nd; i++) {
        dist_model *d = m->d[i];
        kv_free(&d->hours403);
        kv_free(&d->tl);
        kv_free(&d->waf_rules);
        free(d->lrows);
        for (int c = 0; c < CFS_CAUSE_COUNT; c++) {
            if (!d->causes[c]) continue;
            kv_free(&d->causes[c]->rules);
            kv_free(&d->causes[c]->cands);
            kv_free(&d->causes[c]->edges);
            kv_free(&d->causes[c]->hours);
            free(d->causes[c]);
        }
        free(d);
    }
    free(m->d);
    cfs_kmap_free(&m->didx);
}

static uint64_t total_rejected(const cfs_file_stats *f) { return cfs_stats_rejected(f); }

/* ---- text ----------------------------------------------------------------------------------- */
/* Per distribution: which evidence would decide its undecided or weakly decided 403s. */
/* What each settle hint's 403s are, for a sentence "N 403s ..." (text and HTML). */
static const char *const k_settle_what[CFS_HINT_COUNT] = {
    [CFS_HINT_WAF_LOGS] = "are edge refusals only WAF logs can confirm or rule out (pass --waf-logs)",
    [CFS_HINT_CONFIG] = "rest on settings the distribution config would show (origin kind, restrictions, "
                        "protocol policy, hosts; pass --config)",
    [CFS_HINT_COOKIES] =
        "are on signed behaviors with cookie logging off or unknown: signed cookies cannot be seen "
        "(turn on Logging.IncludeCookies)",
    [CFS_HINT_TIME] = "have no time-taken or time-to-first-byte: edge and origin cannot be told apart",
    [CFS_HINT_REFERENCE] =
        "were timed without a usable origin reference (too few 2xx/3xx Miss responses, or an "
        "origin as fast as the edge): scan a longer window",
    [CFS_HINT_ORIGIN] = "took 5-20 ms, or were edge-fast on a layout that cannot show a cached copy: edge or "
                        "origin; the origin's access logs would settle them",
    [CFS_HINT_LAYOUT] =
        "are edge refusals on lines without x-edge-detailed-result-type or sc-content-type (a "
        "layout before December 2019): no option names them; logs with those fields (standard "
        "logging v2, or today's 33 fields) would, and AWS Support can trace a request id",
    [CFS_HINT_CONFIG_NEWER] = "were judged by a config modified after them (LastModifiedTime): the config "
                              "in force then would settle them",
};
const char *cfs_rmodel_settle_text(int h) { return h > 0 && h < CFS_HINT_COUNT ? k_settle_what[h] : ""; }

/* Whether the distribution has a line under "What would settle it" (text_settle). */
static int has_hints(const dist_model *d)
{
    for (int h = 1; h < CFS_HINT_COUNT; h++)
        if (d->hints[h]) return 1;
    return 0;
}

static void text_settle(FILE *out, const dist_model *d)
{
    int any = 0;
    for (int h = 1; h < CFS_HINT_COUNT; h++) {
        if (!d->hints[h]) continue;
        if (!any) fprintf(out, "  What would settle it:\n");
        any = 1;
        fprintf(out, "    %llu 403s %s\n", (unsigned long long)d->hints[h], k_settle_what[h]);
    }
}

static void text_topk(FILE *out, const char *label, const cfs_topk *t, int top)
{
    if (!t || !cfs_topk_size(t)) return;
    cfs_topk_item items[64];
    size_t n = cfs_topk_list(t, items, top < 64 ? (size_t)top : 64);
    fprintf(out, "      %-8s", label);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s", i ? ", " : " ");
        cfs_write_safe(out, items[i].key, items[i].n);
        fprintf(out, " (%llu)", (unsigned long long)items[i].count);
    }
    uint64_t eb = cfs_topk_error_bound(t);
    if (eb) fprintf(out, "  [counts may overstate by <= %llu]", (unsigned long long)eb);
    fputc('\n', out);
}

/* The config a distribution key names (its id, or a domain name used as the key). */
static const cfs_dist_config *dist_config(const cfs_report_opts *o, const char *dist)
{
    if (!o || !o->config) return NULL;
    cfs_span s = {dist, (uint32_t)strnlen(dist, CFS_KEY_STR)};
    return cfs_config_version_at(o->config, cfs_config_find(o->config, s, s), CFS_NO_TIME);
}

void cfs_rmodel_hidden_status(const dist_model *d, char *buf, size_t n)
{
    if (d->hidden_mixed) snprintf(buf, n, "%s", "the statuses the configs in force remap to");
    else snprintf(buf, n, "status %u", d->hidden_status);
}

/* Issue 10 item 4: what the config says about 403 error responses, the hidden 403s of a
 * remap, and what a custom 403 page does to content-type evidence. */
static void text_error_pages(FILE *out, const dist_model *d, const cfs_report_opts *o)
{
    const cfs_dist_config *c = dist_config(o, d->dist);
    char ttl[48] = "";
    if (c && c->err403_ttl >= 0) snprintf(ttl, sizeof ttl, " (TTL %lld s)", c->err403_ttl);
    if (o && o->config && !c) {
        fprintf(out, "  config: none of the --config files is this distribution's\n");
    } else if (c && !c->err403) {
        fprintf(out, "  config: no CustomErrorResponses entry for 403\n");
    } else if (c && cfs_config_403_remap(c)) {
        fprintf(out, "  config: 403 remapped to %u via ", cfs_config_403_remap(c));
        cfs_write_safe(out, c->err403_page, strlen(c->err403_page));
        fprintf(out, "%s\n", ttl);
    } else if (c && cfs_config_403_page(c)) {
        fprintf(out, "  config: custom 403 page ");
        cfs_write_safe(out, c->err403_page, strlen(c->err403_page));
        fprintf(out, "%s\n", ttl);
        fprintf(out,
                "  The distribution serves a custom 403 page, so 403 bodies say nothing about their cause:\n"
                "  verdicts resting on the content type alone are at most possible\n");
    } else if (c) {
        fprintf(out, "  config: 403 kept as CloudFront's own response%s\n", ttl[0] ? ttl : "");
    }
    if (d->hidden403) {
        char status[64], own[64];
        cfs_rmodel_hidden_status(d, status, sizeof status);
        if (d->hidden_mixed) snprintf(own, sizeof own, "%s", "errors of those statuses are");
        else snprintf(own, sizeof own, "%u is", d->hidden_status);
        if (d->hidden_upper)
            fprintf(out,
                    "  up to %llu responses with result type Error and %s are 403s remapped by "
                    "CustomErrorResponses (an origin's own %s logged alike)",
                    (unsigned long long)d->hidden403, status, own);
        else
            fprintf(out,
                    "  %llu responses with result type Error and %s are 403s remapped by "
                    "CustomErrorResponses",
                    (unsigned long long)d->hidden403, status);
        /* the page of the config shown, when it is the remap these lines had */
        if (c && c->err403_page && c->err403_page[0] && !d->hidden_mixed &&
            cfs_config_403_remap(c) == d->hidden_status && cfs_config_versions(o->config, c) == 1) {
            fprintf(out, " (");
            cfs_write_safe(out, c->err403_page, strlen(c->err403_page));
            fputc(')', out);
        }
        fprintf(out, ": the 403 count above does not include them\n");
    }
}

static void json_error_pages(FILE *out, const dist_model *d, const cfs_report_opts *o)
{
    fprintf(out, ",\"hidden_403\":%llu", (unsigned long long)d->hidden403);
    /* remapped to a 4xx or 5xx: the origin's own errors of that status are counted too */
    if (d->hidden403) fprintf(out, ",\"hidden_403_upper_bound\":%s", d->hidden_upper ? "true" : "false");
    const cfs_dist_config *c = dist_config(o, d->dist);
    if (!c || !c->err403) return;
    fputs(",\"custom_error_403\":{\"page\":", out);
    json_cstr(out, c->err403_page ? c->err403_page : "");
    fprintf(out, ",\"response_code\":%u,\"remapped\":%s,\"custom_page\":%s", c->err403_code,
            cfs_config_403_remap(c) ? "true" : "false", cfs_config_403_page(c) ? "true" : "false");
    if (c->err403_ttl >= 0) fprintf(out, ",\"error_caching_min_ttl\":%lld}", c->err403_ttl);
    else fputs(",\"error_caching_min_ttl\":null}", out);
}

/* ---- what was read from a distribution's config (issue 10) -------------------------------
 * Counted from the loaded config itself, so the report shows what every verdict of the
 * distribution could rest on. */
typedef struct config_read {
    size_t behaviors, restricted, signers_unknown, viewer_fn, other_fn, fn_unknown;
    size_t origins, by_kind[CFS_ORIGIN_MIXED + 1];
} config_read;

static void count_config(const cfs_dist_config *c, config_read *k)
{
    memset(k, 0, sizeof *k);
    k->behaviors = c->n_behaviors;
    for (size_t i = 0; i < c->n_behaviors; i++) {
        const cfs_cfg_behavior *b = &c->behaviors[i];
        k->restricted += b->restricted != 0;
        k->signers_unknown += !b->restricted && b->restricted_unknown;
        k->viewer_fn += (b->edge_functions & CFS_FN_VIEWER_REQUEST) != 0;
        k->other_fn += (b->edge_functions & (uint8_t)~CFS_FN_VIEWER_REQUEST) != 0;
        k->fn_unknown += !b->functions_known;
    }
    k->origins = c->n_origins;
    for (size_t i = 0; i < c->n_origins; i++)
        if ((unsigned)c->origins[i].kind <= CFS_ORIGIN_MIXED) k->by_kind[c->origins[i].kind]++;
}

static const char *plural(size_t n) { return n == 1 ? "" : "s"; }

static void lm_str(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "@%lld", (long long)t);
}

static const char *include_cookies_word(int v, int json)
{
    if (v == 1) return "on";
    if (v == 0) return "off";
    return json ? "not_in_config" : "not in the config";
}

static void text_config_read(FILE *out, const dist_model *d, const cfs_report_opts *o)
{
    const cfs_dist_config *c = dist_config(o, d->dist);
    if (c) {
        config_read k;
        count_config(c, &k);
        fprintf(out, "  config: ");
        cfs_write_safe(out, c->id, strlen(c->id));
        fprintf(out, " from ");
        cfs_write_safe(out, c->path, strlen(c->path));
        fprintf(out, ": DomainName ");
        if (c->domain_name && c->domain_name[0]) cfs_write_safe(out, c->domain_name, strlen(c->domain_name));
        else fprintf(out, "not in the config");
        if (c->aliases_known) fprintf(out, ", %zu alias%s", c->n_aliases, c->n_aliases == 1 ? "" : "es");
        else fprintf(out, ", aliases not in the config");
        fprintf(out, ", web ACL %s, IncludeCookies %s\n",
                c->web_acl_unknown                  ? "not in the config"
                : c->web_acl_id && c->web_acl_id[0] ? "yes"
                                                    : "no",
                include_cookies_word(c->include_cookies, 0));
        fprintf(
            out,
            "  config: %zu behavior%s: %zu restricted, %zu with a viewer-request function, %zu with other "
            "function associations, %zu with functions not in the config\n",
            k.behaviors, plural(k.behaviors), k.restricted, k.viewer_fn, k.other_fn, k.fn_unknown);
        if (k.signers_unknown)
            fprintf(
                out,
                "  config: %zu behavior%s with neither TrustedKeyGroups nor TrustedSigners: signers unknown\n",
                k.signers_unknown, plural(k.signers_unknown));
        fprintf(out, "  config: %zu origin%s: %zu S3 REST, %zu S3 website, %zu custom, %zu CloudFront",
                k.origins, plural(k.origins), k.by_kind[CFS_ORIGIN_S3_REST], k.by_kind[CFS_ORIGIN_S3_WEBSITE],
                k.by_kind[CFS_ORIGIN_CUSTOM], k.by_kind[CFS_ORIGIN_CLOUDFRONT]);
        if (k.by_kind[CFS_ORIGIN_UNKNOWN])
            fprintf(out, ", %zu of unknown kind", k.by_kind[CFS_ORIGIN_UNKNOWN]);
        fprintf(out, "; %zu origin group%s\n", c->n_origin_groups, plural(c->n_origin_groups));
        const size_t versions = cfs_config_versions(o->config, c),
                     untimed = cfs_config_untimed_versions(o->config, c);
        if (versions > 1)
            fprintf(
                out,
                "  config: %zu configs of this distribution: each line judged by the one in force when it "
                "was written (LastModifiedTime)%s; the latest one's facts here\n",
                versions, untimed ? ", those without LastModifiedTime by none" : "");
        if (c->last_modified != CFS_NO_TIME) {
            char ts[40];
            lm_str(c->last_modified, ts, sizeof ts);
            fprintf(out, "  config: LastModifiedTime %s\n", ts);
        } else if (c->last_modified_unread) {
            fprintf(out, "  config: LastModifiedTime not read (not an ISO 8601 time with a zone)\n");
        } else {
            fprintf(out, "  config: LastModifiedTime not in the config\n");
        }
    }
    /* Also without the config (a report from merged summaries): the rules say it. */
    if (d->older403)
        fprintf(out, "  403s older than this config: %llu (evidence lowered one level)\n",
                (unsigned long long)d->older403);
}

static void json_config_read(FILE *out, const dist_model *d, const cfs_report_opts *o)
{
    fprintf(out, ",\"older_than_config_403\":%llu", (unsigned long long)d->older403);
    const cfs_dist_config *c = dist_config(o, d->dist);
    if (!c) return;
    config_read k;
    count_config(c, &k);
    fputs(",\"config\":{\"file\":", out);
    json_cstr(out, c->path);
    fputs(",\"id\":", out);
    json_cstr(out, c->id);
    fputs(",\"domain_name\":", out);
    if (c->domain_name && c->domain_name[0]) json_cstr(out, c->domain_name);
    else fputs("null", out);
    if (c->aliases_known) fprintf(out, ",\"aliases\":%zu", c->n_aliases);
    else fputs(",\"aliases\":null", out);
    fprintf(out, ",\"web_acl\":%s,\"include_cookies\":\"%s\"",
            c->web_acl_unknown                  ? "null"
            : c->web_acl_id && c->web_acl_id[0] ? "true"
                                                : "false",
            include_cookies_word(c->include_cookies, 1));
    fprintf(out,
            ",\"behaviors\":{\"total\":%zu,\"restricted\":%zu,\"signers_unknown\":%zu,"
            "\"viewer_request_functions\":%zu,\"other_functions\":%zu,\"functions_unknown\":%zu}",
            k.behaviors, k.restricted, k.signers_unknown, k.viewer_fn, k.other_fn, k.fn_unknown);
    fprintf(out, ",\"versions\":%zu", cfs_config_versions(o->config, c));
    fprintf(
        out,
        ",\"origins\":{\"total\":%zu,\"s3_rest\":%zu,\"s3_website\":%zu,\"custom\":%zu,\"cloudfront\":%zu,"
        "\"unknown\":%zu,\"groups\":%zu}",
        k.origins, k.by_kind[CFS_ORIGIN_S3_REST], k.by_kind[CFS_ORIGIN_S3_WEBSITE],
        k.by_kind[CFS_ORIGIN_CUSTOM], k.by_kind[CFS_ORIGIN_CLOUDFRONT], k.by_kind[CFS_ORIGIN_UNKNOWN],
        c->n_origin_groups);
    if (c->last_modified != CFS_NO_TIME) {
        char ts[40];
        lm_str(c->last_modified, ts, sizeof ts);
        fprintf(out, ",\"last_modified\":\"%s\",\"last_modified_read\":\"read\"}", ts);
    } else {
        fprintf(out, ",\"last_modified\":null,\"last_modified_read\":\"%s\"}",
                c->last_modified_unread ? "unreadable" : "absent");
    }
}

/* The end of the text report: how to read evidence levels and rule names, and where
 * to read more (issue 17: rule names and levels were explained nowhere a user looks). */
/* The model of v under the report options o; 0 (and nothing to free) when a signal
 * stopped the build or memory ran out: the report then prints nothing. */
static int build_for(model *m, const cfs_view *v, const cfs_report_opts *o)
{
    build(m, v, o ? o->waf_rules : NULL, o ? o->nwaf_rules : 0, o ? o->stop : NULL, o && o->with_config,
          o && o->with_waf);
    if (!m->stopped && !cfs_nomem_failed()) return 1;
    free_model(m); /* out of memory: the caller reports CFS_E_NOMEM */
    return 0;
}

/* The model for the other report formats (report_model.h). */
int cfs_rmodel_build(model *m, const cfs_view *v, const cfs_report_opts *o) { return build_for(m, v, o); }
void cfs_rmodel_free(model *m) { free_model(m); }
const char *cfs_rmodel_no_403(const model *m)
{
    if (m->tot.aggregated) return "No 403 responses in the scanned logs.";
    if (cfs_stats_rejected(&m->tot))
        return "No request could be read from the scanned logs: every line was rejected (see the reasons "
               "above).";
    return "No request in the scanned logs.";
}

void cfs_rmodel_sort_dists(model *m)
{
    if (m->nd > 1) qsort(m->d, m->nd, sizeof *m->d, dist_cmp);
}
int cfs_rmodel_ranked_causes(const dist_model *d, int *out) { return ranked_causes(d, out); }
uint64_t cfs_rmodel_unconfirmed(const cause_model *c)
{
    if (c->cause == CFS_CAUSE_UNKNOWN || c->cause == CFS_CAUSE_NONE) return 0;
    return c->n - c->ev[CFS_EV_CONFIRMED];
}
const char *cfs_rmodel_resolution_name(int s) { return resolution_name(s); }

static const char LEGEND[] =
    "\nLegend: evidence \"confirmed\" = a log field, a joined WAF record or the config proves the\n"
    "cause; \"likely\" = the line fits the cause and other explanations are rare; \"possible\" =\n"
    "another cause fits too. Rule names: drt_ / rt_ = x-edge-(detailed-)result-type says it,\n"
    "latency_* = judged by latency against the origin reference, *_s3 = an S3 origin,\n"
    "*_config_newer = a line older than its config. `cfscan rules` lists every rule with the facts\n"
    "it rests on and the documentation it cites.\n";

/* ---- the text report, section by section ---- */
/* Inputs and lines: what was read, what was used, the selection, what was tolerated. */
static void text_header(FILE *out, const model *m, const cfs_view *v, const cfs_report_opts *o)
{
    const cfs_ledger *L = v->ledger;
    uint64_t rej = total_rejected(&m->tot);
    fprintf(out, "Inputs: %zu files (%zu failed, %llu skipped by name), %.1f MB read, %.1f MB decoded\n",
            v->nfiles, m->failed, (unsigned long long)L->pruned, m->tot.bytes_in / 1e6,
            m->tot.bytes_out / 1e6);
    /* with filters besides the window, "filtered" counts the lines they excluded too */
    /* "outside the time window" only when the run names no filter but its window; a
     * merge's report names none (each part applied its own), so its lines are only
     * "filtered out" */
    int line_filters = !o || o->nsel == 0;
    for (size_t i = 0; o && i < o->nsel; i++)
        line_filters |= strcmp(o->sel_names[i], "since") != 0 && strcmp(o->sel_names[i], "until") != 0;
    fprintf(out, "Lines:  %llu read = %llu requests + %llu %s + %llu rejected + %llu header/blank\n",
            (unsigned long long)m->tot.lines, (unsigned long long)m->tot.aggregated,
            (unsigned long long)m->tot.filtered, line_filters ? "filtered out" : "outside the time window",
            (unsigned long long)rej, (unsigned long long)(m->tot.header_lines + m->tot.blank_lines));
    if (rej) {
        fprintf(out, "Rejected lines by reason:");
        for (int r = 0; r < CFS_REJ_COUNT; r++)
            if (m->tot.rejected[r])
                fprintf(out, " %s=%llu", cfs_reject_name((cfs_reject)r),
                        (unsigned long long)m->tot.rejected[r]);
        fputc('\n', out);
    }
    if (o && o->nsel) {
        fputs("Selection:", out);
        for (size_t i = 0; i < o->nsel; i++) {
            fprintf(out, " --%s ", o->sel_names[i]);
            cfs_write_safe(out, o->sel_values[i], strlen(o->sel_values[i]));
        }
        fputc('\n', out);
    }
    if (o && cfs_sampling_stated(&o->sampling)) {
        fputs("Sampling: ", out);
        cfs_sampling_sentence(out, &o->sampling);
        fputc('\n', out);
    }
    /* without a window or filter, only a run whose paths held no file selects nothing */
    if (o && o->selected_nothing)
        fprintf(
            out,
            "%s selected nothing (%s): this report is empty because of %s, not because the logs are clean\n",
            o->nsel ? "The window and filters" : "The run",
            o->nothing_why ? o->nothing_why : "no line passed", o->nsel ? "them" : "that");
    if (m->tot.short_lines || m->tot.trailing_tab || m->tot.crlf)
        fprintf(
            out,
            "Tolerated: %llu lines missing trailing fields, %llu with a trailing TAB, %llu CRLF line ends\n",
            (unsigned long long)m->tot.short_lines, (unsigned long long)m->tot.trailing_tab,
            (unsigned long long)m->tot.crlf);
}

/* Unusable paths and inputs with errors or warnings, as the ledger listed them. */
static void text_input_notes(FILE *out, const cfs_ledger *L)
{
    /* Unusable paths and inputs in input order, as the ledger listed them (at most
     * CFS_MAX_LISTED errors and warnings: ten million empty files must not make ten
     * million lines); the rest are counted below. */
    for (size_t i = 0; i < L->nnotes; i++) {
        const cfs_file_note *nt = &L->notes[i];
        const cfs_file_stats *f = &nt->st;
        if (nt->unusable) {
            fprintf(out, "ERROR ");
            cfs_write_safe(out, nt->path, strlen(nt->path));
            /* error strings may come from a state.cfs written elsewhere (merge): escaped too */
            fputs(": ", out);
            cfs_write_safe(out, f->error, strnlen(f->error, sizeof f->error));
            fputc('\n', out);
            continue;
        }
        const char *w = cfs_stats_warning(f);
        uint64_t fr = total_rejected(f);
        fprintf(out, "%s ", f->status != CFS_OK ? "ERROR" : "WARNING");
        cfs_write_safe(out, nt->path, strlen(nt->path));
        if (f->status != CFS_OK) {
            fputs(": ", out);
            cfs_write_safe(out, f->error, strnlen(f->error, sizeof f->error));
            fprintf(out, " (%s); %llu lines read before it", cfs_status_str(f->status),
                    (unsigned long long)f->lines);
        } else if (w) fprintf(out, ": %s", w);
        else fprintf(out, ":");
        if (fr) {
            fprintf(out, "%s%llu lines rejected (", w || f->status != CFS_OK ? "; " : " ",
                    (unsigned long long)fr);
            int first = 1;
            for (int r = 0; r < CFS_REJ_COUNT; r++)
                if (f->rejected[r]) {
                    fprintf(out, "%s%s=%llu", first ? "" : " ", cfs_reject_name((cfs_reject)r),
                            (unsigned long long)f->rejected[r]);
                    first = 0;
                }
            fprintf(out, ")");
        }
        fputc('\n', out);
    }
    if (L->errors_unlisted) fprintf(out, "ERROR %zu more failed inputs (not listed)\n", L->errors_unlisted);
    if (L->warnings_unlisted)
        fprintf(out, "WARNING %zu more inputs with warnings (not listed; see --format json counts)\n",
                L->warnings_unlisted);
}

/* Requests by status, distribution and edge location. */
static void text_traffic(FILE *out, const model *m, int top)
{
    fprintf(out, "\nRequests by status:\n");
    for (size_t i = 0; i < m->status.n; i++)
        fprintf(out, "  %s %12llu  %5.1f%%\n", m->status.v[i].key, (unsigned long long)m->status.v[i].n,
                m->requests ? 100.0 * m->status.v[i].n / m->requests : 0.0);
    fprintf(out, "\nRequests by distribution:\n");
    for (size_t i = 0; i < m->dist.n; i++) {
        fprintf(out, "  ");
        cfs_write_safe(out, m->dist.v[i].key, strlen(m->dist.v[i].key));
        fprintf(out, " %llu\n", (unsigned long long)m->dist.v[i].n);
    }
    size_t shown = m->edge.n < (size_t)(3 * top) ? m->edge.n : (size_t)(3 * top);
    if (shown < m->edge.n) fprintf(out, "\nRequests by edge location (top %zu of %zu):\n", shown, m->edge.n);
    else fprintf(out, "\nRequests by edge location:\n");
    for (size_t i = 0; i < m->edge.n && i < (size_t)(3 * top); i++) {
        fprintf(out, "  ");
        cfs_write_safe(out, m->edge.v[i].key, strlen(m->edge.v[i].key));
        fprintf(out, " %llu\n", (unsigned long long)m->edge.v[i].n);
    }
}

/* A distribution's origin-fetch reference, and each origin's or behavior's. */
static void text_reference(FILE *out, const dist_model *d)
{
    const char *measure = cfs_attr_reference_measure(d->fetches, d->fetches_ttfb);
    if (d->reference_ms)
        /* One sentence; how the reference is used is in the README ("Edge versus
         * origin") and in the JSON's reference_rule. */
        fprintf(out,
                "  Origin-fetch reference: %u ms from %llu 2xx/3xx Miss responses, measured by %s "
                "(edge <= 5 ms, origin >= 20 ms)\n",
                d->reference_ms, (unsigned long long)d->fetches, measure);
    else
        fprintf(
            out,
            "  Origin-fetch reference: too few 2xx/3xx Miss responses (%llu, measured by %s); the zones alone decide (edge-fast verdicts at most possible)\n",
            (unsigned long long)d->fetches, measure);
    for (size_t r = 0; r < d->nlrows; r++) {
        const cfs_lrow *l = d->lrows[r];
        uint32_t ms = cfs_attr_reference_ms(l->h);
        fputs("    ", out);
        cfs_write_safe(out, l->label, strlen(l->label)); /* a v2 path pattern is log data */
        fputs(": ", out);
        if (ms)
            fprintf(out, "%u ms from %llu fetches (used for its 403s)\n", ms,
                    (unsigned long long)l->h->count);
        else
            fprintf(out, "%llu fetches, too few: its 403s use the distribution's reference\n",
                    (unsigned long long)l->h->count);
    }
}

/* The k-th ranked cause of distribution d. */
static void text_cause(FILE *out, const dist_model *d, const cause_model *c, int k, int top)
{
    fprintf(out, "  %d. %-22s %10llu  %5.1f%%   confirmed %llu, likely %llu, possible %llu\n", k + 1,
            cfs_cause_name((cfs_cause)c->cause), (unsigned long long)c->n, 100.0 * c->n / d->n403,
            (unsigned long long)c->ev[CFS_EV_CONFIRMED], (unsigned long long)c->ev[CFS_EV_LIKELY],
            (unsigned long long)c->ev[CFS_EV_POSSIBLE]);
    fprintf(out, "      rules   ");
    for (size_t r = 0; r < c->rules.n && r < 4; r++)
        fprintf(out, "%s%s (%llu)", r ? ", " : " ", c->rules.v[r].key, (unsigned long long)c->rules.v[r].n);
    if (c->cands.n) {
        fprintf(out, "\n      could be");
        for (size_t r = 0; r < c->cands.n; r++)
            fprintf(out, "%s%s (%llu)", r ? ", " : " ", c->cands.v[r].key,
                    (unsigned long long)c->cands.v[r].n);
    }
    fprintf(out, "\n      edges   ");
    for (size_t r = 0; r < c->edges.n && r < (size_t)top; r++) {
        fprintf(out, "%s", r ? ", " : " ");
        cfs_write_safe(out, c->edges.v[r].key, strlen(c->edges.v[r].key));
        fprintf(out, " (%llu)", (unsigned long long)c->edges.v[r].n);
    }
    fputc('\n', out);
    if (c->h) {
        text_topk(out, "uris", c->h->uris, top);
        text_topk(out, "clients", c->h->ips, top);
    }
    if (c->g) {
        fprintf(out, "      distinct clients ~%.0f; time-taken p50/p90/p99 %u/%u/%u ms\n",
                cfs_hll_estimate(&c->g->clients), cfs_hist_quantile(&c->g->tt, 0.5),
                cfs_hist_quantile(&c->g->tt, 0.9), cfs_hist_quantile(&c->g->tt, 0.99));
    }
    if (c->hours.n) {
        size_t peak = 0;
        for (size_t r = 1; r < c->hours.n; r++)
            if (c->hours.v[r].n > c->hours.v[peak].n) peak = r;
        fprintf(out, "      hours   %s .. %s, peak %s (%llu)\n", c->hours.v[0].key,
                c->hours.v[c->hours.n - 1].key, c->hours.v[peak].key, (unsigned long long)c->hours.v[peak].n);
    }
    const uint64_t unconfirmed = cfs_rmodel_unconfirmed(c);
    fputs("      next    ", out);
    if (unconfirmed)
        fprintf(out, CFS_RMODEL_CAVEAT " ", (unsigned long long)unconfirmed, (unsigned long long)c->n);
    fprintf(out, "%s\n", cfs_cause_advice((cfs_cause)c->cause));
}

/* A distribution's 403 timeline and what the WAF logs say about its 403s. */
static void text_dist_tail(FILE *out, const dist_model *d, const cfs_view *v)
{
    const kvlist *tl = v->timeline ? &d->tl : &d->hours403;
    if (tl->n) {
        fprintf(out, "  403s per %s:", resolution_words(v->timeline ? v->timeline_s : 3600));
        for (size_t r = 0; r < tl->n; r++) {
            if (r % 4 == 0) fprintf(out, "\n   ");
            fprintf(out, " %s %llu", tl->v[r].key + 5, (unsigned long long)tl->v[r].n);
        }
        fputc('\n', out);
    }
    if (d->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE])
        fprintf(
            out,
            "  WAF logs: %llu 403s outside their coverage (distribution/time span): not informed by them\n",
            (unsigned long long)d->waf_notes[CFS_WAF_NOTE_OUTSIDE_COVERAGE]);
    if (d->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403] || d->waf_notes[CFS_WAF_NOTE_CODE_NOT_403])
        fprintf(out,
                "  WAF anomalies: %llu 403s joined to CAPTCHA/CHALLENGE records, %llu to BLOCK records "
                "with another response code (judged as if unjoined)\n",
                (unsigned long long)d->waf_notes[CFS_WAF_NOTE_CHALLENGE_ON_403],
                (unsigned long long)d->waf_notes[CFS_WAF_NOTE_CODE_NOT_403]);
    if (d->waf_rules.n) {
        fprintf(out, "  WAF terminating rules (joined blocks):");
        for (size_t w = 0; w < d->waf_rules.n; w++) {
            fputc(' ', out);
            cfs_write_safe(out, d->waf_rules.v[w].key, strlen(d->waf_rules.v[w].key));
            fprintf(out, " (%llu)", (unsigned long long)d->waf_rules.v[w].n);
        }
        fputc('\n', out);
    }
}

void cfs_report_text(FILE *out, const cfs_view *v, const cfs_report_opts *o)
{
    model m;
    if (!build_for(&m, v, o)) return;
    int top = o && o->top > 0 ? o->top : CFS_REPORT_TOP_DEFAULT;
    fprintf(out, "cfscan report\n=============\n\n");
    text_header(out, &m, v, o);
    text_input_notes(out, v->ledger);
    text_traffic(out, &m, top);
    cfs_rmodel_sort_dists(&m);
    text_waf_logs(out, &m, o);
    text_evidence(out, o);
    fprintf(out, "\nWhy viewers got 403s\n--------------------\n");
    int any = 0;
    uint64_t named = 0; /* the fields some distribution's "Fields absent:" line names */
    for (size_t i = 0; i < m.nd; i++) {
        dist_model *d = m.d[i];
        if (!d->n403 && !d->hidden403) continue;
        any = 1;
        fprintf(out, "\nDistribution ");
        cfs_write_safe(out, d->dist, strlen(d->dist));
        fprintf(out, ": %llu of %llu requests were 403 (%.2f%%)\n", (unsigned long long)d->n403,
                (unsigned long long)d->requests, d->requests ? 100.0 * d->n403 / d->requests : 0.0);
        text_fields_absent(out, d, &named);
        text_reference(out, d);
        text_config_read(out, d, o);
        text_error_pages(out, d, o);
        int order[CFS_CAUSE_COUNT];
        int nc = ranked_causes(d, order);
        for (int k = 0; k < nc; k++) text_cause(out, d, d->causes[order[k]], k, top);
        text_settle(out, d);
        text_dist_tail(out, d, v);
    }
    if (!any && !(o && o->selected_nothing)) fprintf(out, "\n%s\n", cfs_rmodel_no_403(&m));
    text_field_costs(out, named);
    /* "without --config" also when configs were given but none is of a scanned
     * distribution: they changed nothing */
    if (!(o && o->with_config && (!o->evidence || cfs_evid_config_applied(o->evidence))))
        fprintf(
            out,
            "\nNote: without --config, https_required, signed-URL and origin causes rest on log signatures alone,\n"
            "and cname_not_associated cannot be seen: CloudFront usually does not log requests for a host that\n"
            "is not an alternate domain name of any distribution.\n");
    fputs(LEGEND, out);
    free_model(&m);
}

/* One line of --brief: cut to 100 columns ("..." at the end), control bytes escaped. */
static void brief_line(FILE *out, char *line)
{
    if (strlen(line) > 100) memcpy(line + 96, "...", 4);
    cfs_write_safe(out, line, strlen(line));
    fputc('\n', out);
}

/* --brief: one screen per distribution, every line within 100 columns: the inputs in one
 * line, any evidence warning, then per distribution its causes with counts, evidence and
 * the single most useful next step (cfs_cause_first_step). */
void cfs_report_brief(FILE *out, const cfs_view *v, const cfs_report_opts *o)
{
    model m;
    if (!build_for(&m, v, o)) return;
    uint64_t n403 = 0;
    for (size_t i = 0; i < m.nd; i++) n403 += m.d[i]->n403;
    fprintf(out,
            "cfscan --brief: %llu requests in %zu files, %llu 403s (%.1f%%), %llu lines rejected, "
            "%zu inputs failed\n",
            (unsigned long long)m.tot.aggregated, v->nfiles, (unsigned long long)n403,
            m.tot.aggregated ? 100.0 * n403 / m.tot.aggregated : 0.0,
            (unsigned long long)total_rejected(&m.tot), m.failed);
    if (o && o->nsel) {
        /* the window and filters, as the full report names them (within 100 columns) */
        char line[512] = "";
        FILE *f = fmemopen(line, sizeof line - 1, "w");
        if (f) {
            fputs("Selection:", f);
            for (size_t i = 0; i < o->nsel; i++) fprintf(f, " --%s %s", o->sel_names[i], o->sel_values[i]);
            fclose(f);
            brief_line(out, line);
        }
    }
    if (o && o->selected_nothing) {
        char line[512];
        snprintf(line, sizeof line, "Selected nothing: %s",
                 o->nothing_why ? o->nothing_why : "no line passed");
        brief_line(out, line);
    }
    if (o && cfs_sampling_stated(&o->sampling)) {
        /* one line of at most 100 columns: the rates, or that some are not known */
        char line[512] = "";
        FILE *f = fmemopen(line, sizeof line - 1, "w");
        if (f) {
            /* the qualifiers first: a long list of rates is what the 100 columns cut */
            fputs("SAMPLED: counts are of logged requests, not of all requests (", f);
            const int one = cfs_sampling_single(&o->sampling), n = cfs_sampling_rates(&o->sampling);
            const char *q[2];
            size_t nq = 0;
            if (cfs_sampling_has(&o->sampling, CFS_SAMPLING_UNKNOWN))
                q[nq++] = n ? "some rates unknown" : "rate unknown";
            if (cfs_sampling_has(&o->sampling, CFS_SAMPLING_NONE)) q[nq++] = "some not sampled";
            for (size_t i = 0; i < nq; i++) fprintf(f, "%s%s", i ? "; " : "", q[i]);
            if (n) fputs(nq ? "; " : "", f);
            if (one) fprintf(f, "rate %d%%", one);
            else if (n) {
                fputs("rates ", f);
                cfs_sampling_rates_text(f, &o->sampling);
            }
            fputc(')', f);
            fclose(f);
        } else {
            snprintf(line, sizeof line, "SAMPLED: counts are of logged requests, not of all requests");
        }
        brief_line(out, line);
    }
    const cfs_evid_set *es = o ? o->evidence : NULL;
    for (size_t i = 0; es && i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        char line[200];
        snprintf(line, sizeof line, "WARNING %s %s: %s", cfs_evid_kind_option(e->kind), e->path,
                 e->warning ? e->warning : "");
        if (e->warning) brief_line(out, line);
    }
    cfs_rmodel_sort_dists(&m);
    int any = 0;
    for (size_t i = 0; i < m.nd; i++) {
        dist_model *d = m.d[i];
        /* as the full report: one with 403s remapped by CustomErrorResponses is listed too */
        if (!d->n403 && !d->hidden403) continue;
        any = 1;
        fputc('\n', out);
        cfs_write_safe(out, d->dist, strnlen(d->dist, 40));
        fprintf(out, ": %llu of %llu requests were 403 (%.2f%%)", (unsigned long long)d->n403,
                (unsigned long long)d->requests, d->requests ? 100.0 * d->n403 / d->requests : 0.0);
        if (d->reference_ms) fprintf(out, "; origin reference %u ms", d->reference_ms);
        fputc('\n', out);
        if (d->hidden403) {
            char status[64];
            cfs_rmodel_hidden_status(d, status, sizeof status);
            fprintf(out, "  and %s%llu 403s remapped by CustomErrorResponses (result type Error, %s)\n",
                    d->hidden_upper ? "up to " : "", (unsigned long long)d->hidden403, status);
        }
        if (!d->n403) continue;
        fprintf(out, "  %-20s %7s %-16s %s\n", "cause", "403s", "evidence", "next step");
        int order[CFS_CAUSE_COUNT];
        int nc = ranked_causes(d, order);
        for (int k = 0; k < nc; k++) {
            const cause_model *c = d->causes[order[k]];
            char ev[40];
            const uint64_t *e = c->ev;
            /* one level: its name; several: the count of each (c, l, p in the legend) */
            if (e[CFS_EV_CONFIRMED] == c->n) snprintf(ev, sizeof ev, "confirmed");
            else if (e[CFS_EV_LIKELY] == c->n) snprintf(ev, sizeof ev, "likely");
            else if (e[CFS_EV_POSSIBLE] == c->n) snprintf(ev, sizeof ev, "possible");
            else
                snprintf(ev, sizeof ev, "c%llu l%llu p%llu", (unsigned long long)e[CFS_EV_CONFIRMED],
                         (unsigned long long)e[CFS_EV_LIKELY], (unsigned long long)e[CFS_EV_POSSIBLE]);
            /* A WAF verdict from latency alone: the WAF logs would confirm it and name the
             * rule, which is the first thing to get. */
            const char *step = cfs_cause_first_step((cfs_cause)c->cause);
            /* Undecided with both kinds of evidence given: what is missing is in the full
             * report's "What would settle it". */
            if (c->cause == CFS_CAUSE_UNKNOWN && o && o->with_waf && o->with_config)
                step = has_hints(d) ? "See \"What would settle it\" in the full report"
                                    : "No option settles them: requests --cause unknown";
            if (c->cause == CFS_CAUSE_WAF_BLOCK && e[CFS_EV_CONFIRMED] < c->n && !(o && o->with_waf))
                step = "Confirm with --waf-logs: its record names the rule";
            /* Logs without the detailed result type (the layouts before December 2019, or
             * a v2 field set without it) cannot be read for it: name what can be done. */
            if (c->cause == CFS_CAUSE_EDGE_OTHER && d->pres &&
                cfs_pres_absent(d->pres, CFS_F_EDGE_DETAILED_RESULT_TYPE) == CFS_PRES_ALL)
                step = "Check quotas; newer log layouts name the reason";
            fprintf(out, "  %-20s %7llu %-16.16s %s\n", cfs_cause_name((cfs_cause)c->cause),
                    (unsigned long long)c->n, ev, step);
        }
    }
    if (!any && !(o && o->selected_nothing)) fprintf(out, "\n%s\n", cfs_rmodel_no_403(&m));
    fputs("\nEvidence: confirmed = proven by a log field, a WAF record or the config; likely = other\n"
          "explanations are rare; possible = another cause fits too (c/l/p: counts of each).\n"
          "The full report (without --brief) has the details; `cfscan rules` explains each rule.\n",
          out);
    free_model(&m);
}

/* ---- JSON ------------------------------------------------------------------------------------ */
/* clang-format off */
static const char *const hint_keys[CFS_HINT_COUNT] = {
    [CFS_HINT_WAF_LOGS] = "waf_logs", [CFS_HINT_CONFIG] = "config", [CFS_HINT_COOKIES] = "cookie_logging",
    [CFS_HINT_TIME] = "time_taken", [CFS_HINT_REFERENCE] = "origin_reference",
    [CFS_HINT_ORIGIN] = "origin_logs", [CFS_HINT_CONFIG_NEWER] = "config_in_force",
    [CFS_HINT_LAYOUT] = "log_layout",
};
/* clang-format on */

static void json_settle(FILE *out, const dist_model *d)
{
    fputs(",\"settle_with\":{", out);
    int first = 1;
    for (int h = 1; h < CFS_HINT_COUNT; h++) {
        if (!d->hints[h]) continue;
        fprintf(out, "%s\"%s\":%llu", first ? "" : ",", hint_keys[h], (unsigned long long)d->hints[h]);
        first = 0;
    }
    fputc('}', out);
}

static void json_kvlist(FILE *out, const kvlist *l, size_t limit)
{
    fputc('{', out);
    for (size_t i = 0; i < l->n && i < limit; i++) {
        if (i) fputc(',', out);
        json_cstr(out, l->v[i].key);
        fprintf(out, ":%llu", (unsigned long long)l->v[i].n);
    }
    fputc('}', out);
}

static void json_topk(FILE *out, const cfs_topk *t, int top)
{
    fprintf(out, "{\"error_bound\":%llu,\"total\":%llu,\"items\":[",
            (unsigned long long)(t ? cfs_topk_error_bound(t) : 0),
            (unsigned long long)(t ? cfs_topk_total(t) : 0));
    if (t) {
        cfs_topk_item items[64];
        size_t n = cfs_topk_list(t, items, top < 64 ? (size_t)top : 64);
        for (size_t i = 0; i < n; i++) {
            if (i) fputc(',', out);
            fputs("{\"value\":", out);
            cfs_write_json_str(out, items[i].key, items[i].n);
            fprintf(out, ",\"count\":%llu,\"error\":%llu}", (unsigned long long)items[i].count,
                    (unsigned long long)items[i].error);
        }
    }
    fputs("]}", out);
}

void cfs_report_json(FILE *out, const cfs_view *v, const cfs_report_opts *o)
{
    model m;
    if (!build_for(&m, v, o)) return;
    const cfs_ledger *L = v->ledger;
    int top = o && o->top > 0 ? o->top : CFS_REPORT_TOP_DEFAULT;
    /* Nothing here may depend on the thread count, the kernel or the clock: the JSON of
     * -j1 and -jN must be byte-identical.  Timing goes to stderr. */
    fprintf(out, "{\"cfscan_version\":\"%s\",\"schema_version\":1", CFS_VERSION);
    /* the window and filters applied, each as given */
    fputs(",\"selection\":{\"filters\":{", out);
    for (size_t i = 0; o && i < o->nsel; i++) {
        fputs(i ? "," : "", out);
        json_cstr(out, o->sel_names[i]);
        fputc(':', out);
        json_cstr(out, o->sel_values[i]);
    }
    fprintf(out, "},\"selected_nothing\":%s}", o && o->selected_nothing ? "true" : "false");
    /* only when some run was sampled (--realtime-config) or of an unknown rate: counts
     * are of logged requests */
    if (o && cfs_sampling_stated(&o->sampling)) {
        const cfs_sampling *sa = &o->sampling;
        if (cfs_sampling_single(sa)) {
            fprintf(out, ",\"sampling\":{\"rate_percent\":%d,", cfs_sampling_single(sa));
        } else {
            /* a merge of runs of several rates, of sampled and unsampled runs, or of runs
             * whose rate is not known */
            fputs(",\"sampling\":{\"rate_percent\":null,", out);
            cfs_sampling_json_members(out, sa);
            fputc(',', out);
        }
        fputs("\"counts\":\"logged_requests\"}", out);
    }
    fprintf(out,
            ",\"inputs\":{\"files\":%zu,\"files_failed\":%zu,\"files_pruned\":%llu,"
            "\"bytes\":%llu,\"bytes_decoded\":%llu,\"lines\":%llu,\"requests\":%llu,"
            "\"filtered\":%llu,\"header_lines\":%llu,\"blank_lines\":%llu,\"rejected\":%llu,"
            "\"rejected_by_reason\":{",
            v->nfiles, m.failed, (unsigned long long)L->pruned, (unsigned long long)m.tot.bytes_in,
            (unsigned long long)m.tot.bytes_out, (unsigned long long)m.tot.lines,
            (unsigned long long)m.tot.aggregated, (unsigned long long)m.tot.filtered,
            (unsigned long long)m.tot.header_lines, (unsigned long long)m.tot.blank_lines,
            (unsigned long long)total_rejected(&m.tot));
    for (int r = 0; r < CFS_REJ_COUNT; r++)
        fprintf(out, "%s\"%s\":%llu", r ? "," : "", cfs_reject_name((cfs_reject)r),
                (unsigned long long)m.tot.rejected[r]);
    fprintf(out, "},\"tolerated\":{\"short_lines\":%llu,\"trailing_tab\":%llu,\"crlf\":%llu},\"errors\":[",
            (unsigned long long)m.tot.short_lines, (unsigned long long)m.tot.trailing_tab,
            (unsigned long long)m.tot.crlf);
    int first = 1;
    for (size_t i = 0; i < L->nnotes; i++) { /* unusable paths and failed inputs, in input order */
        const cfs_file_note *nt = &L->notes[i];
        const cfs_file_stats *f = &nt->st;
        if (!nt->unusable && f->status == CFS_OK) continue;
        fprintf(out, "%s{\"path\":", first ? "" : ",");
        json_cstr(out, nt->path);
        fputs(",\"error\":", out);
        json_cstr(out, f->error);
        /* every entry has the members of the contract: a path that could not be used is
         * an I/O error (the ledger's status for it) before any line was read */
        fprintf(out, ",\"status\":\"%s\",\"lines_before_error\":%llu}", cfs_status_str(f->status),
                (unsigned long long)f->lines);
        first = 0;
    }
    fprintf(out, "],\"errors_not_listed\":%zu,\"warnings\":[", L->errors_unlisted);
    first = 1;
    for (size_t i = 0; i < L->nnotes; i++) {
        const cfs_file_note *nt = &L->notes[i];
        const cfs_file_stats *f = &nt->st;
        if (nt->unusable || f->status != CFS_OK) continue;
        const char *w = cfs_stats_warning(f);
        fprintf(out, "%s{\"path\":", first ? "" : ",");
        json_cstr(out, nt->path);
        fputs(",\"warning\":", out);
        json_cstr(out, w ? w : "lines rejected");
        fprintf(out, ",\"rejected\":%llu}", (unsigned long long)total_rejected(f));
        first = 0;
    }
    fprintf(out, "],\"warnings_not_listed\":%zu},\"by_status\":", L->warnings_unlisted);
    json_kvlist(out, &m.status, (size_t)-1);
    fputs(",\"by_distribution\":", out);
    kv_sort(&m.dist, 0);
    json_kvlist(out, &m.dist, (size_t)-1);
    fputs(",\"by_edge\":", out);
    kv_sort(&m.edge, 0);
    json_kvlist(out, &m.edge, (size_t)-1);

    cfs_rmodel_sort_dists(&m);
    fputs(",\"forbidden\":{\"reference_rule\":", out);
    json_cstr(out, cfs_attr_reference_rule());
    fputs(",\"distributions\":[", out);
    uint64_t named = 0; /* the fields some distribution's fields_absent names */
    first = 1;
    for (size_t i = 0; i < m.nd; i++) {
        dist_model *d = m.d[i];
        if (!d->n403 && !d->hidden403) continue;
        fprintf(out, "%s{\"distribution\":", first ? "" : ",");
        first = 0;
        json_cstr(out, d->dist);
        fprintf(out,
                ",\"requests\":%llu,\"forbidden\":%llu,\"origin_reference_ms\":%u,\"origin_fetches\":%llu,"
                "\"origin_reference_measure\":\"%s\",\"causes\":[",
                (unsigned long long)d->requests, (unsigned long long)d->n403, d->reference_ms,
                (unsigned long long)d->fetches, cfs_attr_reference_measure(d->fetches, d->fetches_ttfb));
        int order[CFS_CAUSE_COUNT];
        int nc = ranked_causes(d, order);
        for (int k = 0; k < nc; k++) {
            cause_model *c = d->causes[order[k]];
            fprintf(out,
                    "%s{\"cause\":\"%s\",\"requests\":%llu,\"bytes\":%llu,\"share\":%.6f,"
                    "\"evidence\":{\"confirmed\":%llu,\"likely\":%llu,\"possible\":%llu},\"rules\":",
                    k ? "," : "", cfs_cause_name((cfs_cause)c->cause), (unsigned long long)c->n,
                    (unsigned long long)c->bytes, (double)c->n / (double)d->n403,
                    (unsigned long long)c->ev[CFS_EV_CONFIRMED], (unsigned long long)c->ev[CFS_EV_LIKELY],
                    (unsigned long long)c->ev[CFS_EV_POSSIBLE]);
            json_kvlist(out, &c->rules, (size_t)-1);
            fputs(",\"candidates\":", out);
            json_kvlist(out, &c->cands, (size_t)-1);
            fputs(",\"top_edges\":", out);
            json_kvlist(out, &c->edges, (size_t)top);
            fputs(",\"top_uris\":", out);
            json_topk(out, c->h ? c->h->uris : NULL, top);
            fputs(",\"top_clients\":", out);
            json_topk(out, c->h ? c->h->ips : NULL, top);
            if (c->g)
                fprintf(out,
                        ",\"distinct_clients\":%.0f,\"time_taken_ms\":{\"p50\":%u,\"p90\":%u,\"p99\":%u},"
                        "\"time_to_first_byte_ms\":{\"p50\":%u,\"p90\":%u,\"p99\":%u}",
                        cfs_hll_estimate(&c->g->clients), cfs_hist_quantile(&c->g->tt, 0.5),
                        cfs_hist_quantile(&c->g->tt, 0.9), cfs_hist_quantile(&c->g->tt, 0.99),
                        cfs_hist_quantile(&c->g->ttfb, 0.5), cfs_hist_quantile(&c->g->ttfb, 0.9),
                        cfs_hist_quantile(&c->g->ttfb, 0.99));
            fputs(",\"hourly\":", out);
            json_kvlist(out, &c->hours, (size_t)-1);
            fputs(",\"next_steps\":", out);
            json_cstr(out, cfs_cause_advice((cfs_cause)c->cause));
            fputc('}', out);
        }
        fputs("],\"hourly\":", out);
        json_kvlist(out, &d->hours403, (size_t)-1);
        fprintf(out, ",\"timeline\":{\"resolution\":\"%s\",\"counts\":",
                resolution_name(v->timeline ? v->timeline_s : 3600));
        json_kvlist(out, v->timeline ? &d->tl : &d->hours403, (size_t)-1);
        fputc('}', out);
        fputs(",\"waf_rules\":", out);
        json_kvlist(out, &d->waf_rules, (size_t)-1);
        json_settle(out, d);
        fputs(",\"origin_references\":[", out);
        for (size_t r = 0; r < d->nlrows; r++) {
            const cfs_lrow *l = d->lrows[r];
            fprintf(out, "%s{\"origin\":", r ? "," : "");
            json_cstr(out, l->label);
            fprintf(out, ",\"reference_ms\":%u,\"fetches\":%llu,\"measure\":\"%s\"}",
                    cfs_attr_reference_ms(l->h), (unsigned long long)l->h->count,
                    cfs_attr_reference_measure(l->h->count, l->ttfb));
        }
        fputc(']', out);
        if (o && o->with_waf) json_waf_notes(out, d);
        json_error_pages(out, d, o);
        json_config_read(out, d, o);
        json_fields_absent(out, d, &named);
        fputc('}', out);
    }
    fputc(']', out);
    json_field_costs(out, named);
    fputc('}', out);
    json_waf_logs(out, &m, o);
    json_evidence(out, o);
    fputs("}\n", out);
    free_model(&m);
}
