/* datasets/gen_files.c: the plan of log files (one job per distribution, day, hour and
 * file of the hour, then the fault files), generating one file's text with the counts a
 * correct reader must find in it, compressing and writing it, and the --size sample that
 * measures the mean line length.  Jobs run in parallel; each depends only on its seed. */
#include <errno.h>

#include "datasets/gen.h"

static const char *const fmt_ext[] = {"gz", "zst", "log"};
/* `mixed` rotates through these, by file index. */
static const uint8_t mixed_rotation[] = {LAY_33, LAY_26, LAY_24, LAY_19, LAY_V2};

static void job_name(const world_t *W, job_t *J, uint64_t salt)
{
    char date[11];
    cfs_gen_fmt_date(date, W->o->start_day + J->day);
    date[10] = 0;
    uint64_t h = mix2(W->o->seed ^ 0x6e616d65ull, salt); /* "name" */
    char uniq[9];
    for (int i = 0; i < 8; i++) {
        uniq[i] = cfs_gen_alnum_uc[h % 36];
        h /= 36;
    }
    uniq[8] = 0;
    /* v2 outputs: not CloudFront's legacy names (their object names are not documented,
     * README "Log formats"), so cfscan takes the distribution from the lines; real-time
     * objects as Firehose names them (stream-version-date-time-id) */
    if (W->o->v2out == V2OUT_REALTIME && J->kind == J_REGULAR)
        snprintf(J->name, sizeof J->name, "cf-realtime-1-%s-%02u-00-00-%s%s%s", date, J->hour, uniq,
                 J->fmt == FMT_PLAIN ? "" : ".", J->fmt == FMT_PLAIN ? "" : fmt_ext[J->fmt]);
    else if (W->o->v2out != V2OUT_NONE && J->kind == J_REGULAR)
        snprintf(J->name, sizeof J->name, "cloudfront-v2-%s-%02u-%s.%s%s%s", date, J->hour, uniq,
                 W->o->v2out == V2OUT_JSON ? "json" : "log", J->fmt == FMT_PLAIN ? "" : ".",
                 J->fmt == FMT_PLAIN ? "" : fmt_ext[J->fmt]);
    else
        snprintf(J->name, sizeof J->name, "%s.%s-%02u.%s.%s", W->dist[J->dist].id, date, J->hour, uniq,
                 W->o->parquet ? "parquet" : fmt_ext[J->fmt]);
}

/* ---- v2 output formats (--layout json|plain|realtime) ---- */

/* Real-time log names of the v2 field set, in CloudFront's real-time column order
 * (reference §3), and the F_* each holds (F_TS_MS is written as seconds.millis).  Real-time
 * cs-host is the viewer's Host header and x-host-header the distribution's domain, the
 * other way round from standard logs; cs-uri-stem carries the query string (developer
 * guide, real-time-logs.md). */
/* clang-format off */
static const struct { const char *name; uint8_t f; } rt_cols[] = {
    {"timestamp", F_TS_MS}, {"c-ip", F_C_IP}, {"time-to-first-byte", F_TTFB}, {"sc-status", F_STATUS},
    {"sc-bytes", F_SC_BYTES}, {"cs-method", F_METHOD}, {"cs-protocol", F_PROTO}, {"cs-host", F_HOSTHDR},
    {"cs-uri-stem", F_URI}, {"x-edge-location", F_EDGE}, {"x-edge-request-id", F_REQID},
    {"x-host-header", F_HOST}, {"time-taken", F_TT}, {"cs-protocol-version", F_PROTOVER},
    {"cs-cookie", F_COOKIE}, {"cs-uri-query", F_QUERY}, {"x-edge-response-result-type", F_RRT},
    {"x-edge-result-type", F_RT}, {"sc-content-type", F_CT}, {"sc-content-len", F_CLEN},
    {"x-edge-detailed-result-type", F_DRT}, {"c-country", F_COUNTRY},
};
/* clang-format on */
#define NRTCOL (sizeof rt_cols / sizeof rt_cols[0])

/* A JSON string body: values are percent-encoded already (§1.3), so this rarely acts. */
static char *json_str(char *out, sv v)
{
    for (uint32_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c == '"' || c == '\\') {
            *out++ = '\\';
            *out++ = (char)c;
        } else if (c < 0x20) {
            out += sprintf(out, "\\u%04x", c);
        } else {
            *out++ = (char)c;
        }
    }
    return out;
}

/* One line of the v2 field set in the --layout's output format. */
static char *emit_v2(char *out, const line_t *L, const layout_t *lay, const opts_t *o, const dist_t *D)
{
    if (o->v2out == V2OUT_JSON) {
        /* the fields in the layout's order, then the distribution: v2 names it in the line */
        *out++ = '{';
        for (int i = 0; i < lay->nf; i++) {
            out += sprintf(out, "%s\"%s\":\"", i ? "," : "", cfs_gen_field_name(lay->f[i]));
            out = json_str(out, L->v[lay->f[i]]);
            *out++ = '"';
        }
        out += sprintf(out, ",\"distributionid\":\"%s\"}\n", D->id);
        return out;
    }
    if (o->v2out == V2OUT_PLAIN) {
        for (int i = 0; i < lay->nf; i++) {
            sv v = L->v[lay->f[i]];
            if (i) *out++ = o->delim;
            memcpy(out, v.p, v.n);
            out += v.n;
        }
        out += sprintf(out, "%c%s\n", o->delim, D->id); /* distributionid, as in JSON */
        return out;
    }
    for (size_t i = 0; i < NRTCOL; i++) {
        sv v = L->v[rt_cols[i].f];
        if (i) *out++ = '\t';
        if (rt_cols[i].f == F_URI && !(L->v[F_QUERY].n == 1 && L->v[F_QUERY].p[0] == '-')) {
            memcpy(out, v.p, v.n);
            out += v.n;
            *out++ = '?';
            memcpy(out, L->v[F_QUERY].p, L->v[F_QUERY].n);
            out += L->v[F_QUERY].n;
        } else if (rt_cols[i].f == F_TS_MS && v.n > 3) {
            /* epoch milliseconds as real-time seconds with a fractional part: 1607374321.541 */
            memcpy(out, v.p, v.n - 3);
            out += v.n - 3;
            *out++ = '.';
            memcpy(out, v.p + v.n - 3, 3);
            out += 3;
        } else {
            memcpy(out, v.p, v.n);
            out += v.n;
        }
    }
    *out++ = '\n';
    return out;
}

int cfs_gen_write_realtime_config(const world_t *W)
{
    /* Fields listed in another order than the columns (reversed): the columns follow
     * CloudFront's fixed order whatever the list says (reference §3), so a reader must
     * sort them. */
    buf_t b = {0};
    buf_puts(&b, "{\n    \"RealtimeLogConfig\": {\n        \"ARN\": "
                 "\"arn:aws:cloudfront::123456789012:realtime-log-config/cfsgen\",\n"
                 "        \"Name\": \"cfsgen\",\n        \"SamplingRate\": 100,\n"
                 "        \"EndPoints\": [{\"StreamType\": \"Kinesis\", \"KinesisStreamConfig\": {"
                 "\"RoleARN\": \"arn:aws:iam::123456789012:role/cfsgen\", "
                 "\"StreamARN\": \"arn:aws:kinesis:us-east-1:123456789012:stream/cfsgen\"}}],\n"
                 "        \"Fields\": [");
    for (size_t i = 0; i < NRTCOL; i++) {
        buf_puts(&b, i ? ", \"" : "\"");
        buf_puts(&b, rt_cols[NRTCOL - 1 - i].name);
        buf_putc(&b, '"');
    }
    buf_puts(&b, "]\n    }\n}\n");
    char path[4096];
    snprintf(path, sizeof path, "%s/realtime-config.json", W->o->out);
    int rc = cfs_gen_write_file(path, b.p, b.n);
    if (rc) fprintf(stderr, "cfsgen: cannot write %s: %s\n", path, strerror(errno ? errno : EIO));
    buf_free(&b);
    return rc;
}

static int cmp_name(const void *a, const void *b)
{
    const job_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

/* Seeds and names of the n jobs.  File names must be unique; a clash of the 8-char ids
 * (36^8) is renamed. */
static void plan_names(const world_t *W, plan_t *P)
{
    size_t n = P->n;
    for (size_t i = 0; i < n; i++) {
        P->j[i].seed = mix2(W->o->seed, 0x66696c65ull + i); /* "file" */
        job_name(W, &P->j[i], i);
    }
    job_t **v = malloc(n * sizeof *v);
    if (!v) die_nomem();
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < n; i++) v[i] = &P->j[i];
        qsort(v, n, sizeof *v, cmp_name);
        int clash = 0;
        for (size_t i = 1; i < n; i++)
            if (!strcmp(v[i]->name, v[i - 1]->name)) {
                job_name(W, v[i], (uint64_t)(v[i] - P->j) + ((uint64_t)(round + 1) << 40));
                clash = 1;
            }
        if (!clash) break;
    }
    free(v);
}

void cfs_gen_plan_build(const world_t *W, plan_t *P)
{
    const opts_t *o = W->o;
    size_t nreg = (size_t)o->dists * o->days * 24 * o->fph;
    size_t cap = nreg + NFAULT + 4;
    P->j = calloc(cap, sizeof *P->j);
    if (!P->j) die_nomem();
    size_t n = 0;
    for (uint32_t d = 0; d < o->dists; d++)
        for (uint32_t day = 0; day < o->days; day++)
            for (uint32_t h = 0; h < 24; h++)
                for (uint32_t k = 0; k < o->fph; k++) {
                    job_t *J = &P->j[n];
                    J->kind = J_REGULAR;
                    J->fmt = (uint8_t)o->fmt;
                    J->layout = (uint8_t)(o->layout == LAY_MIXED ? mixed_rotation[n % sizeof mixed_rotation]
                                                                 : o->layout);
                    J->good = 1;
                    J->dist = d;
                    J->day = day;
                    J->hour = h;
                    J->fidx = k;
                    J->nlines = o->lpf;
                    n++;
                }
    P->nregular = n;
    P->n = cfs_gen_plan_faults(o, P, n);
    plan_names(W, P);
}

void cfs_gen_plan_free(plan_t *P)
{
    for (size_t i = 0; i < P->n; i++) {
        buf_free(&P->j[i].labels);
        buf_free(&P->j[i].waf);
        free(P->j[i].wr);
    }
    free(P->j);
}

void cfs_gen_fctx_init(const world_t *W, uint32_t dist, uint32_t day_index, uint32_t hour, fctx_t *F)
{
    F->W = W;
    F->D = &W->dist[dist];
    int64_t day = W->o->start_day + day_index;
    F->hour = (int)hour;
    F->hour_epoch = day * 86400 + (int64_t)hour * 3600;
    cfs_gen_fmt_date(F->date, day);
    F->date[10] = 0;
    F->old_enc = day < cfs_gen_days_from_civil(2020, 1, 28);
}

int cfs_gen_draw_cause(const world_t *W, rng_t *r, uint32_t off, uint32_t *k403)
{
    double share = W->o->share403;
    if (share > 0 && rng_unit(r) < share) return W->cycle[(off + (*k403)++) % 100];
    return C_NONE;
}

/* Line-level situations, per mille of the 403s (or of the other lines), each a few % of
 * the 403s so that ordinary lines stay the majority.  Drawn only with --situations, so the
 * default data sets keep their bytes. */
int cfs_gen_draw_situation(const world_t *W, rng_t *r, int cause)
{
    static const struct {
        uint8_t sit;
        uint16_t pm;
    } on403[] = {{SIT_WAF_HTTP, 30},
                 {SIT_WAF_CUSTOM_RESPONSE, 30},
                 {SIT_CAPTCHA, 20},
                 {SIT_EMPTY_KEY_PAIR_ID, 30},
                 {SIT_EDGE_FUNCTION, 30}};
    static const struct {
        uint8_t sit;
        uint16_t pm;
    } other[] = {{SIT_CAPTCHA, 6}, {SIT_SLOW_DOWNLOADS, 15}};
    uint32_t u = rng_below(r, 1000), acc = 0;
    if (cause != C_NONE) {
        for (size_t i = 0; i < sizeof on403 / sizeof on403[0]; i++)
            if (u < (acc += on403[i].pm))
                return W->o->situations & 1u << on403[i].sit ? on403[i].sit : SIT_NONE;
    } else {
        for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
            if (u < (acc += other[i].pm))
                return W->o->situations & 1u << other[i].sit ? other[i].sit : SIT_NONE;
    }
    return SIT_NONE;
}

/* What a correct reader counts for a good line: status, edge, and a label per 403. */
static void job_count(job_t *J, const line_t *L)
{
    J->lines++;
    J->st[L->status]++;
    J->edge[L->edge]++;
    J->hidden403 += L->hidden;
    if (L->status != S_403) return;
    J->cause[L->cause]++;
    buf_reserve(&J->labels, 200);
    buf_putsv(&J->labels, L->v[F_REQID]);
    buf_putc(&J->labels, '\t');
    buf_puts(&J->labels, cfs_gen_cause_name[L->cause]);
    buf_putc(&J->labels, '\t');
    buf_puts(&J->labels, J->name);
    buf_putc(&J->labels, '\t');
    buf_puts(&J->labels, cfs_gen_situation_name[L->situation]);
    buf_putc(&J->labels, '\n');
}

/* cached-origin events of one hour of one distribution, as one file of that hour sees
 * them: each event is the origin's 403 and 1-4 copies served from the edge's error cache,
 * every line drawn to one of the hour's files and a position in it.  Every file of the
 * hour derives the same events from (seed, distribution, day, hour), so a copy may land in
 * another file than its origin 403 and the result does not depend on the threads. */
typedef struct evline {
    uint32_t pos, k;
    uint64_t evseed;
} evline_t;

static int cmp_evline(const void *a, const void *b)
{
    const evline_t *x = a, *y = b;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    if (x->evseed != y->evseed) return x->evseed < y->evseed ? -1 : 1;
    return (x->k > y->k) - (x->k < y->k);
}

static evline_t *cached_events(const world_t *W, const job_t *J, uint32_t file_of_hour, size_t *n)
{
    const opts_t *o = W->o;
    *n = 0;
    if (!(o->situations & 1u << SIT_CACHED_ORIGIN) || J->kind != J_REGULAR || !J->nlines) return NULL;
    rng_t hr;
    rng_seed(&hr, mix2(o->seed ^ 0x6361636865ull,
                       ((uint64_t)J->dist * 4000 + J->day) * 24 + J->hour)); /* "cache" */
    /* about 1% of the hour's 403s start an event: with 3.5 lines each, ~3.5% of the 403s */
    double x = (double)o->fph * J->nlines * o->share403 * 0.01;
    uint32_t nev = (uint32_t)x + (rng_unit(&hr) < x - (uint32_t)x);
    evline_t *v = malloc(((size_t)nev * 5 + 1) * sizeof *v);
    if (!v) die_nomem();
    for (uint32_t e = 0; e < nev; e++) {
        uint64_t evseed = rng_next(&hr);
        rng_t er;
        rng_seed(&er, mix2(evseed, 0x706c616eull)); /* "plan" */
        uint32_t copies = rng_range(&er, 1, 4);
        for (uint32_t k = 0; k <= copies; k++) {
            uint32_t f = rng_below(&er, o->fph), pos = rng_below(&er, J->nlines);
            if (f == file_of_hour) v[(*n)++] = (evline_t){pos, k, evseed};
        }
    }
    qsort(v, *n, sizeof *v, cmp_evline);
    return v;
}

/* Generate one file's text into T->text, counting what a correct reader must see. */
/* The WAF records of one written line: one BLOCK record per waf_block line, and about as
 * many ALLOW records; a CAPTCHA or CHALLENGE record for the lines the WAF answered that
 * way (situation captcha). */
static void waf_records(job_t *J, const fctx_t *F, const line_t *L, rng_t *r, uint32_t *pending_allow)
{
    if (L->cause == C_WAF) {
        cfs_gen_waf_record(J, F, L, WA_BLOCK, r);
        (*pending_allow)++;
    } else if (L->waf_action) {
        cfs_gen_waf_record(J, F, L, L->waf_action, r);
    } else if (*pending_allow && L->status != S_403 && rng_pct(r, 50)) {
        cfs_gen_waf_record(J, F, L, WA_ALLOW, r);
        (*pending_allow)--;
    }
}

void cfs_gen_job_generate(const world_t *W, job_t *J, tls_t *T)
{
    rng_t r;
    rng_seed(&r, J->seed);
    fctx_t F;
    cfs_gen_fctx_init(W, J->dist, J->day, J->hour, &F);
    buf_t *b = &T->text;
    b->n = 0;
    const layout_t *lay = &W->lay[J->layout];
    int crlf = J->kind == J_CRLF;
    const int v2out = J->kind == J_REGULAR ? W->o->v2out : V2OUT_NONE;
    if (v2out == V2OUT_PLAIN) {
        /* v2 W3C with a fieldDelimiter: the names joined by it, so the header shows it */
        buf_puts(b, "#Fields: ");
        for (int i = 0; i < lay->nf; i++) {
            if (i) buf_putc(b, W->o->delim);
            buf_puts(b, cfs_gen_field_name(lay->f[i]));
        }
        buf_putc(b, W->o->delim);
        buf_puts(b, "distributionid\n");
    } else if (v2out == V2OUT_NONE && J->kind != J_NO_HEADER && J->kind != J_EMPTY)
        buf_putsv(b, crlf ? (sv){lay->header_crlf.p, (uint32_t)lay->header_crlf.n}
                          : (sv){lay->header.p, (uint32_t)lay->header.n});

    /* injected bad lines: positions drawn up front */
    inj_t inj[16];
    int ninj = cfs_gen_inject_plan(&r, J, inj), next = 0;

    uint32_t off = rng_below(&r, 100), k403 = 0, pending_allow = 0;
    size_t cut[2] = {0, 0};
    line_t *L = T->line;
    size_t nev = 0, next_ev = 0;
    evline_t *ev = cached_events(W, J, J->fidx, &nev);
    rng_t rp; /* --plant: its own stream, so that planting moves no other line */
    rng_seed(&rp, mix2(J->seed, 0x706c616e74ull)); /* "plant" */
    for (uint32_t i = 0; i <= J->nlines; i++) {
        while (next < ninj && inj[next].pos == i)
            cfs_gen_inject_line(&F, &r, J, T, lay, crlf, inj[next++].what);
        if (i == J->nlines) break;
        if (J->kind == J_HDR_SWITCH && i == J->nlines / 2) {
            /* the file goes on in the 26-field layout after a new header */
            lay = &W->lay[LAY_26];
            buf_putsv(b, (sv){lay->header.p, (uint32_t)lay->header.n});
        }
        if (J->kind == J_MULTI) {
            if (i == J->nlines / 3) cut[0] = b->n;
            if (i == 2 * J->nlines / 3) cut[1] = b->n;
        }
        const line_t *E = L; /* the line written: L, or the line planted in its place */
        if (next_ev < nev && ev[next_ev].pos <= i) {
            /* a cached-origin line before regular line i; the regular stream is untouched */
            cfs_gen_cached_line(&F, ev[next_ev].evseed, ev[next_ev].k, L);
            next_ev++;
            i--;
        } else {
            int cause = cfs_gen_draw_cause(W, &r, off, &k403);
            int sit = W->o->situations ? cfs_gen_draw_situation(W, &r, cause) : SIT_NONE;
            cfs_gen_line_sit(&F, &r, L, cause, sit);
            if (W->o->plant && cfs_gen_plant_line(&F, J, &rp, L, T->pline)) E = T->pline;
        }
        /* Every field is bounded (longest: a policy query or signed cookies, < 1.5 KB encoded),
         * so a line needs < 4 KB of scratch and of output; MAX_LINE leaves a wide margin. */
        int ttab = (J->inject & INJ_TTAB) && (i == 0 || rng_below(&r, 100) < 3);
        buf_reserve(b, MAX_LINE);
        char *s = b->p + b->n;
        char *e = v2out ? emit_v2(s, E, lay, W->o, F.D) : emit_line(s, E, lay, 0, crlf, ttab);
        b->n += (size_t)(e - s);
        if (!J->good) {
            if (J->kind == J_NO_HEADER) J->rej_nohdr++;
            continue;
        }
        job_count(J, E);
        if (!W->o->waf) continue;
        if (E != L) {
            /* planted: the replaced line's draws on r are made as if it had been written
             * (its ALLOW record, which would name a request not in the log, is dropped),
             * then the planted line's own record comes from the plant's stream */
            size_t waf_n = J->waf.n, nwr = J->nwr;
            waf_records(J, &F, L, &r, &pending_allow);
            J->waf.n = waf_n;
            J->nwr = nwr;
            uint32_t no_allow = 0;
            waf_records(J, &F, E, &rp, &no_allow);
            continue;
        }
        waf_records(J, &F, L, &r, &pending_allow);
    }
    free(ev);
    if (J->kind == J_MULTI) {
        if (cut[0] == 0) cut[0] = b->n / 3;
        if (cut[1] < cut[0]) cut[1] = cut[0];
    }
    J->cut[0] = cut[0];
    J->cut[1] = cut[1];
    J->raw_bytes = b->n;
}

static size_t gz_into(tls_t *T, const char *in, size_t n)
{
    size_t bound = libdeflate_gzip_compress_bound(T->gz, n);
    buf_reserve(&T->comp, bound);
    size_t w = libdeflate_gzip_compress(T->gz, in, n, T->comp.p + T->comp.n, bound);
    T->comp.n += w;
    return w;
}

void cfs_gen_job_write(const world_t *W, job_t *J, tls_t *T)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", W->o->out, J->name);
    const char *data = T->text.p;
    size_t n = T->text.n;
    T->comp.n = 0;
    if (W->o->parquet) {
        uint64_t nb = 0;
        int e = cfs_gen_write_parquet(path, data, n, &nb);
        J->out_bytes = nb;
        if (e) J->err = e;
        return;
    }
    if (J->fmt == FMT_PLAIN) {
        J->out_bytes = n;
        if (cfs_gen_write_file(path, data, n)) J->err = errno ? errno : EIO;
        return;
    }
    if (J->fmt == FMT_GZ) {
        if (J->kind == J_MULTI) {
            /* 3 gzip members, split at line starts: a valid .gz that naive readers truncate */
            gz_into(T, data, J->cut[0]);
            gz_into(T, data + J->cut[0], J->cut[1] - J->cut[0]);
            gz_into(T, data + J->cut[1], n - J->cut[1]);
        } else gz_into(T, data, n);
    } else {
        size_t bound = ZSTD_compressBound(n);
        buf_reserve(&T->comp, bound);
        size_t w = ZSTD_compress2(T->zc, T->comp.p, bound, data, n);
        if (ZSTD_isError(w)) {
            J->err = EIO;
            return;
        }
        T->comp.n = w;
    }
    cfs_gen_fault_damage(J, &T->comp);
    J->out_bytes = T->comp.n;
    if (cfs_gen_write_file(path, T->comp.p, T->comp.n)) J->err = errno ? errno : EIO;
}

void cfs_gen_tls_init(tls_t *T)
{
    memset(T, 0, sizeof *T);
    T->line = malloc(sizeof *T->line);
    T->pline = malloc(sizeof *T->pline);
    if (!T->pline) die_nomem();
    /* libdeflate level 1 and zstd level 1: whole in-memory files, fast (task: >= 100 MB/s) */
    T->gz = libdeflate_alloc_compressor(1);
    T->zc = ZSTD_createCCtx();
    if (!T->line || !T->gz || !T->zc) die_nomem();
    ZSTD_CCtx_setParameter(T->zc, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(T->zc, ZSTD_c_checksumFlag, 1);
}
void cfs_gen_tls_free(tls_t *T)
{
    free(T->line);
    free(T->pline);
    buf_free(&T->text);
    buf_free(&T->comp);
    libdeflate_free_compressor(T->gz);
    ZSTD_freeCCtx(T->zc);
}

/* --size: the mean line length of the layouts in use, from a sample of each. */
double cfs_gen_mean_line_bytes(const world_t *W, const plan_t *P)
{
    tls_t T;
    cfs_gen_tls_init(&T);
    uint64_t per_layout[NLAYOUT] = {0};
    for (size_t i = 0; i < P->nregular; i++) per_layout[P->j[i].layout]++;
    double total = 0;
    uint64_t files = 0;
    for (int l = 0; l < NLAYOUT; l++) {
        if (!per_layout[l]) continue;
        job_t J;
        memset(&J, 0, sizeof J);
        J.kind = J_REGULAR;
        J.layout = (uint8_t)l;
        J.good = 0; /* no accounting */
        J.nlines = 4000;
        J.seed = mix2(W->o->seed, 0x73616d70ull + (uint64_t)l); /* "samp" */
        snprintf(J.name, sizeof J.name, "sample");
        cfs_gen_job_generate(W, &J, &T);
        double mean = (double)(T.text.n - W->lay[l].header.n) / J.nlines;
        total += mean * (double)per_layout[l];
        files += per_layout[l];
    }
    cfs_gen_tls_free(&T);
    return total / (double)files;
}

/* The lines of file `file` of the default plan, appended to out[*n..cap) while whole lines
 * fit; returns 0 when the buffer is full. */
static int sample_file(const world_t *W, uint32_t file, line_t *L, char *out, size_t cap, size_t *n,
                       uint64_t *lines)
{
    const opts_t *o = W->o;
    uint32_t nreg = o->dists * o->days * 24;
    uint32_t k = file % nreg; /* plan order: distribution, day, hour */
    fctx_t F;
    cfs_gen_fctx_init(W, k / (o->days * 24), k / 24 % o->days, k % 24, &F);
    /* as job_generate draws for a regular file without faults, WAF or accounting */
    rng_t r;
    rng_seed(&r, mix2(o->seed, 0x66696c65ull + file)); /* "file" */
    uint32_t off = rng_below(&r, 100), k403 = 0;
    char tmp[MAX_LINE];
    for (uint32_t i = 0; i < o->lpf; i++) {
        cfs_gen_line(&F, &r, L, cfs_gen_draw_cause(W, &r, off, &k403));
        size_t len = (size_t)(emit_line(tmp, L, &W->lay[LAY_33], 0, 0, 0) - tmp);
        if (*n + len > cap) return 0;
        memcpy(out + *n, tmp, len);
        *n += len;
        (*lines)++;
    }
    return 1;
}

size_t cfs_gen_sample_text(uint64_t seed, char *out, size_t cap, uint64_t *lines)
{
    opts_t o;
    cfs_gen_opts_default(&o);
    o.seed = seed;
    o.waf = 0;
    world_t *W = malloc(sizeof *W);
    line_t *L = malloc(sizeof *L);
    if (!W || !L) die_nomem();
    cfs_gen_world_init(W, &o);
    const buf_t *h = &W->lay[LAY_33].header;
    size_t n = 0;
    *lines = 0;
    if (h->n <= cap) {
        memcpy(out, h->p, h->n);
        n = h->n;
        *lines = 2;
        for (uint32_t file = 0; sample_file(W, file, L, out, cap, &n, lines); file++) continue;
    }
    cfs_gen_world_free(W);
    free(W);
    free(L);
    return n;
}
