/* The summary state codec: state.cfs, the exact aggregate from which `cfscan merge` works,
 * written by cfs_state_write and read back, untrusted, by cfs_state_read.
 *
 * state.cfs layout (little-endian), schema CFS_SUMMARY_SCHEMA:
 *   "CFSSTATE" u32 schema u64 payload_len
 *   zstd frame of the payload: sections u32 tag, u64 count, records...
 *                              (RULE, STRS, TRAF (columns), GRPS, HEAV, ORIG, ORGL, WAFR, FILE),
 *                              u64 pruned, then (schema 4 on) EVID: the evidence inputs,
 *                              then (schema 5 on) FCTS, PAGE, EVNT, DEFR: the held-back
 *                              403s and what a merge judges them against (edgefast.c),
 *                              then (schema 6 on) PRES: the fields each distribution's
 *                              lines had (presence.h), by field name,
 *                              then (schema 7 on) SAMP: the sampling rates of the runs
 *                              (0 not sampled, 1..100, 101 not known),
 *                              (schema 8 on: TRAF has an excl column after lat_class, and
 *                              each DEFR record an excl byte after its lat_class: the
 *                              causes the line rules out, cfs_attribution.excl; then its
 *                              config version's start, cfg_from, u64, as each FCTS row
 *                              after its distribution: facts are per config version;
 *                              schema 9 on: those excl values may hold CFS_EXCL_KEYED;
 *                              schema 10 on: a DEFR evkey may be CFS_EVKEY_BLIND)
 *                              then (optional) RPRV: u64, the attribution rules the
 *                              verdicts came from (cfs_summary_rules: a merge or update
 *                              may hold older rules' verdicts; 1 = several tables)
 *   "CFSSEND!" u64 XXH3-64 of every byte before this trailer
 * The payload is zstd-compressed (traffic rows repeat distribution and edge strings) and
 * streamed both ways, so neither writing nor reading holds it whole: the FILE section
 * grows with the number of inputs (about 230 bytes each before compression).
 * Rule ids are stored with their names (RULE) and mapped back by name on reading, so a
 * reordered rule table cannot silently change causes. */
#include "pipeline/summary.h"
#include "pipeline/summary_internal.h"
#include "pipeline/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "pipeline/le.h"
#include "pipeline/presence.h"
#include "pipeline/sketch_io.h"

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* ---- state writer ------------------------------------------------------------------------------ */
/* Every byte of the payload goes through here.  The stream is the writer's own, so
 * stdio's per-call lock is skipped: the state has hundreds of thousands of small fields
 * (a traffic row is nine), and the locked fwrite of each took about a third of writing
 * the file. */
static void w_raw(FILE *f, const void *p, size_t n) { fwrite_unlocked(p, 1, n, f); }

/* Every integer of the payload, through the one little-endian encoder (le.h). */
static void w_le(FILE *f, uint64_t v, unsigned bytes)
{
    uint8_t b[8];
    cfs_le_put(b, v, bytes);
    w_raw(f, b, bytes);
}
static void w_u8(FILE *f, uint8_t v) { w_le(f, v, 1); }
static void w_u16(FILE *f, uint16_t v) { w_le(f, v, 2); }
static void w_u32(FILE *f, uint32_t v) { w_le(f, v, 4); }
static void w_u64(FILE *f, uint64_t v) { w_le(f, v, 8); }
static void w_str(FILE *f, const char *s, size_t n)
{
    w_u32(f, (uint32_t)n);
    w_raw(f, s, n);
}

static void w_gkey(FILE *f, const cfs_gkey *k)
{
    w_raw(f, k->dist, CFS_KEY_STR);
    w_u16(f, k->rule);
    w_u8(f, k->cause);
    w_u8(f, k->lat_class);
}

static void w_stats(FILE *f, const cfs_file_stats *st)
{
    w_u64(f, st->bytes_in);
    w_u64(f, st->bytes_out);
    w_u64(f, st->lines);
    w_u64(f, st->header_lines);
    w_u64(f, st->blank_lines);
    w_u64(f, st->aggregated);
    w_u64(f, st->filtered);
    w_u32(f, CFS_REJ_COUNT);
    for (int r = 0; r < CFS_REJ_COUNT; r++) w_u64(f, st->rejected[r]);
    w_u64(f, st->short_lines);
    w_u64(f, st->trailing_tab);
    w_u64(f, st->crlf);
    w_u64(f, st->layouts);
    w_u8(f, (uint8_t)st->fmt);
    w_u8(f, (uint8_t)st->status);
    w_str(f, st->error, strnlen(st->error, sizeof st->error));
}

/* ---- streamed zstd: a stdio FILE over a compressed stream -------------------------------------- */
typedef struct zstream {
    int fd;
    ZSTD_CCtx *cc;
    ZSTD_DCtx *dc;
    char buf[1 << 17];
    char sbuf[8192];    /* reader: the stdio buffer over the stream (see r_left) */
    char wbuf[1 << 16]; /* writer: the stdio buffer, one zstd call per 64 KiB of payload */
    size_t avail, used; /* reader: compressed bytes in buf, and consumed */
    uint64_t left;      /* reader: compressed bytes not yet read from fd */
    uint64_t raw;       /* uncompressed bytes through the stream */
    uint64_t packed;    /* writer: compressed bytes written */
    int failed, saved_errno, frame_done;
} zstream;

static int zs_push(zstream *z, const char *p, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {z->buf, sizeof z->buf, 0};
        size_t left = ZSTD_compressStream2(z->cc, &out, &in, mode);
        if (ZSTD_isError(left)) return -1;
        if (cfs_write_all(z->fd, z->buf, out.pos) != 0) {
            z->saved_errno = errno;
            return -1;
        }
        z->packed += out.pos;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) return 0;
    }
}

static ssize_t zs_write(void *cookie, const char *p, size_t n)
{
    zstream *z = cookie;
    if (z->failed || zs_push(z, p, n, ZSTD_e_continue) != 0) {
        z->failed = 1;
        return -1;
    }
    z->raw += n;
    return (ssize_t)n;
}

static ssize_t zs_read(void *cookie, char *p, size_t n)
{
    zstream *z = cookie;
    ZSTD_outBuffer out = {p, n, 0};
    while (out.pos == 0 && !z->failed) {
        if (z->used == z->avail) {
            if (z->left == 0) break; /* end of the compressed bytes */
            size_t want = z->left < sizeof z->buf ? (size_t)z->left : sizeof z->buf;
            ssize_t k = read(z->fd, z->buf, want);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) {
                z->failed = 1;
                break;
            }
            z->avail = (size_t)k;
            z->used = 0;
            z->left -= (uint64_t)k;
        }
        if (z->frame_done) { /* bytes after the frame: not ours */
            z->failed = 1;
            break;
        }
        ZSTD_inBuffer in = {z->buf, z->avail, z->used};
        size_t r = ZSTD_decompressStream(z->dc, &out, &in);
        z->used = in.pos;
        if (ZSTD_isError(r)) z->failed = 1;
        else if (r == 0) z->frame_done = 1;
    }
    z->raw += out.pos;
    return (ssize_t)out.pos;
}

/* XXH3-64 of bytes [0, n) of fd, read in pieces: 0, -1 when reading failed, -2 when out of
 * memory (recorded). */
static int hash_fd(int fd, uint64_t n, uint64_t *h)
{
    XXH3_state_t *x = XXH3_createState();
    if (!x) return -1;
    XXH3_64bits_reset(x);
    char *buf = cfs_malloc(1 << 20, "checksumming the state file");
    if (!buf) {
        XXH3_freeState(x);
        return -2; /* out of memory (recorded) */
    }
    uint64_t off = 0;
    int rc = 0;
    while (off < n) {
        size_t want = n - off < (1u << 20) ? (size_t)(n - off) : (1u << 20);
        ssize_t k = pread(fd, buf, want, (off_t)off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            rc = -1;
            break;
        }
        XXH3_64bits_update(x, buf, (size_t)k);
        off += (uint64_t)k;
    }
    *h = XXH3_64bits_digest(x);
    XXH3_freeState(x);
    free(buf);
    return rc;
}

/* ---- state writer: one function per section, in file order ---------------------------------- */
static cfs_status w_rules(FILE *f, const cfs_summary *s)
{
    (void)s;
    unsigned nr = cfs_rule_count();
    w_u32(f, TAG('R', 'U', 'L', 'E'));
    w_u64(f, nr);
    for (unsigned i = 0; i < nr; i++)
        w_str(f, cfs_rule_name((uint16_t)i), strlen(cfs_rule_name((uint16_t)i)));
    return CFS_OK;
}

/* Traffic rows, column by column in key order, with distribution and edge strings
 * given once in a string table: the columns compress far better than rows (about
 * 4x on generated data) and the state stays a small part of the summary. */
/* n little-endian values of `bytes` bytes, value i being expr (which reads i), gathered
 * in a local buffer: one write per 8 KiB instead of one per value. */
#define W_COLUMN(f, n, bytes, expr)                           \
    do {                                                      \
        uint8_t cb_[8192];                                    \
        size_t cn_ = 0;                                       \
        for (size_t i = 0; i < (n); i++) {                    \
            if (cn_ + 8 > sizeof cb_) {                       \
                w_raw((f), cb_, cn_);                         \
                cn_ = 0;                                      \
            }                                                 \
            cfs_le_put(cb_ + cn_, (uint64_t)(expr), (bytes)); \
            cn_ += (bytes);                                   \
        }                                                     \
        w_raw((f), cb_, cn_);                                 \
    } while (0)

/* A traffic row as TRAF stores it: the strings as ids into STRS. */
typedef struct traf_out {
    uint64_t hour, requests, bytes;
    uint32_t dist, edge;
    uint16_t status, rule;
    uint8_t cause, evidence, lat_class, excl;
} traf_out;

/* The id in strs of the key string str, made when new; `last` caches the previous
 * lookup's string and id (rows in key order repeat their distribution and often their
 * edge). */
static uint32_t str_id(cfs_kmap *strs, const char *str, const char **last, uint32_t *last_id)
{
    if (*last && memcmp(*last, str, CFS_KEY_STR) == 0) return *last_id;
    int created;
    char *row = cfs_kmap_get(strs, str, &created);
    uint32_t id;
    if (created) {
        id = (uint32_t)(strs->n - 1);
        memcpy(row + CFS_KEY_STR, &id, 4);
    }
    memcpy(&id, row + CFS_KEY_STR, 4);
    *last = str;
    *last_id = id;
    return id;
}

static cfs_status w_traffic(FILE *f, const cfs_summary *s)
{
    const cfs_agg *a = &s->agg;
    size_t n = a->traffic.n;
    void **rows = cfs_sum_sorted_traffic(&a->traffic);
    cfs_kmap strs;
    cfs_kmap_init(&strs, CFS_KEY_STR, CFS_KEY_STR + 8);
    /* the rows gathered once, in key order, so that each column below reads memory in
     * order instead of every row again */
    traf_out *t = rows ? cfs_malloc((n + 1) * sizeof *t, "writing the state file") : NULL;
    if (!t) {
        free(rows);
        cfs_kmap_free(&strs);
        return CFS_E_NOMEM; /* recorded: the publish says what failed */
    }
    const char *ld = NULL, *le = NULL;
    uint32_t ldi = 0, lei = 0;
    for (size_t i = 0; i < n; i++) {
        const cfs_trow *r = rows[i];
        t[i] = (traf_out){(uint64_t)r->k.hour,
                          r->requests,
                          r->bytes,
                          str_id(&strs, r->k.dist, &ld, &ldi),
                          str_id(&strs, r->k.edge, &le, &lei),
                          r->k.status,
                          r->k.rule,
                          r->k.cause,
                          r->k.evidence,
                          r->k.lat_class,
                          r->k.excl};
    }
    free(rows);
    w_u32(f, TAG('S', 'T', 'R', 'S'));
    w_u64(f, strs.n);
    for (size_t i = 0; i < strs.n; i++) {
        const char *str = cfs_kmap_row(&strs, i);
        w_str(f, str, strnlen(str, CFS_KEY_STR - 1));
    }
    w_u32(f, TAG('T', 'R', 'A', 'F'));
    w_u64(f, n);
    W_COLUMN(f, n, 4, t[i].dist);
    W_COLUMN(f, n, 4, t[i].edge);
    W_COLUMN(f, n, 8, t[i].hour);
    W_COLUMN(f, n, 2, t[i].status);
    W_COLUMN(f, n, 2, t[i].rule);
    W_COLUMN(f, n, 1, t[i].cause);
    W_COLUMN(f, n, 1, t[i].evidence);
    W_COLUMN(f, n, 1, t[i].lat_class);
    W_COLUMN(f, n, 1, t[i].excl);
    W_COLUMN(f, n, 8, t[i].requests);
    W_COLUMN(f, n, 8, t[i].bytes);
    free(t);
    cfs_kmap_free(&strs);
    return CFS_OK;
}

/* A section of rows of one table, in key order (cmp) so that the file does not depend on
 * the order threads filled the table: tag, count, then each row by write_row. */
static cfs_status w_sorted(FILE *f, uint32_t tag, const cfs_kmap *m, int (*cmp)(const void *, const void *),
                           cfs_status (*write_row)(FILE *, const void *))
{
    cfs_status st = CFS_OK;
    void **rows = cfs_sum_sorted_rows(m, cmp);
    if (!rows) return CFS_E_NOMEM; /* recorded: the publish says what failed */
    w_u32(f, tag);
    w_u64(f, m->n);
    for (size_t i = 0; i < m->n && st == CFS_OK; i++) st = write_row(f, rows[i]);
    free(rows);
    return st;
}

static cfs_status w_group_row(FILE *f, const void *row)
{
    const cfs_grow *g = row;
    cfs_status st;
    w_gkey(f, &g->k);
    if ((st = cfs_hist_write(f, &g->g->tt)) == CFS_OK && (st = cfs_hist_write(f, &g->g->ttfb)) == CFS_OK)
        st = cfs_hll_write(f, &g->g->clients);
    return st;
}

static cfs_status w_heavy_row(FILE *f, const void *row)
{
    const cfs_hrow *h = row;
    cfs_status st;
    w_gkey(f, &h->k);
    if ((st = cfs_topk_write(f, h->uris)) == CFS_OK) st = cfs_topk_write(f, h->ips);
    return st;
}

static cfs_status w_origin_row(FILE *f, const void *row)
{
    const cfs_orow *o = row;
    w_raw(f, o->dist, CFS_KEY_STR);
    cfs_status st = cfs_hist_write(f, o->h);
    w_u64(f, o->ttfb);
    return st;
}

static cfs_status w_origin_ref_row(FILE *f, const void *row)
{
    const cfs_lrow *o = row;
    w_raw(f, o->dist, CFS_KEY_STR);
    w_raw(f, o->label, CFS_KEY_STR);
    cfs_status st = cfs_hist_write(f, o->h);
    w_u64(f, o->ttfb);
    return st;
}

static cfs_status w_groups(FILE *f, const cfs_summary *s)
{
    return w_sorted(f, TAG('G', 'R', 'P', 'S'), &s->agg.groups, cfs_sum_cmp_gkey, w_group_row);
}

static cfs_status w_heavy(FILE *f, const cfs_summary *s)
{
    return w_sorted(f, TAG('H', 'E', 'A', 'V'), &s->agg.heavy, cfs_sum_cmp_gkey, w_heavy_row);
}

static cfs_status w_origins(FILE *f, const cfs_summary *s)
{
    return w_sorted(f, TAG('O', 'R', 'I', 'G'), &s->agg.origin, cfs_sum_cmp_dist, w_origin_row);
}

static cfs_status w_origin_refs(FILE *f, const cfs_summary *s)
{
    return w_sorted(f, TAG('O', 'R', 'G', 'L'), &s->agg.olabel, cfs_sum_cmp_dist_label, w_origin_ref_row);
}

typedef struct named_wrow {
    const cfs_wrow *w;
    const char *name;
} named_wrow;
static int cmp_named_wrow(const void *a, const void *b)
{
    const named_wrow *x = a, *y = b;
    int c = strcmp(x->w->dist, y->w->dist);
    return c ? c : strcmp(x->name, y->name);
}

static cfs_status w_waf(FILE *f, const cfs_summary *s)
{
    const cfs_agg *a = &s->agg;
    /* by distribution and rule name: rule ids follow the order rules were first met */
    named_wrow *v = cfs_malloc((a->waf.n ? a->waf.n : 1) * sizeof *v, "writing the state file");
    if (!v) return CFS_E_NOMEM; /* recorded: the publish says what failed */
    for (size_t i = 0; i < a->waf.n; i++) {
        v[i].w = cfs_kmap_row(&a->waf, i);
        v[i].name = cfs_sum_waf_name(s, v[i].w->rule);
    }
    if (a->waf.n > 1) qsort(v, a->waf.n, sizeof *v, cmp_named_wrow);
    w_u32(f, TAG('W', 'A', 'F', 'R'));
    w_u64(f, a->waf.n);
    for (size_t i = 0; i < a->waf.n; i++) {
        w_raw(f, v[i].w->dist, CFS_KEY_STR);
        w_str(f, v[i].name, strlen(v[i].name));
        w_u64(f, v[i].w->count);
    }
    free(v);
    return CFS_OK;
}

/* The input rows, then the pruned count that ends the payload. */
static cfs_status w_inputs(FILE *f, const cfs_summary *s)
{
    cfs_status st = CFS_OK;
    w_u32(f, TAG('F', 'I', 'L', 'E'));
    w_u64(f, s->ninputs);
    /* the rows are already in this encoding: copy them (flushed by the caller: summary.h) */
    if (s->rows && cfs_sum_rows_copy_at(s->rows, f) != 0) st = CFS_E_IO;
    w_u64(f, s->pruned);
    return st;
}

/* EVID: per evidence input its path, kind, counts, distributions, spans and warning
 * (evidence.h), so `merge` can say how the scans were made. */
static cfs_status w_evidence(FILE *f, const cfs_summary *s)
{
    const cfs_evid_set *es = &s->evidence;
    w_u32(f, TAG('E', 'V', 'I', 'D'));
    w_u64(f, es->n);
    for (size_t i = 0; i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        w_str(f, e->path ? e->path : "", e->path ? strlen(e->path) : 0);
        w_u8(f, e->kind);
        w_u64(f, e->files);
        w_u64(f, e->records);
        w_u64(f, e->unusable);
        w_u64(f, e->ndists);
        w_str(f, e->dists ? e->dists : "", e->dists ? strlen(e->dists) : 0);
        w_u64(f, (uint64_t)e->first_ms);
        w_u64(f, (uint64_t)e->last_ms);
        w_u64(f, e->requests);
        w_u64(f, e->forbidden);
        w_u64(f, (uint64_t)e->cov_first);
        w_u64(f, (uint64_t)e->cov_last);
        w_u8(f, e->warning != NULL);
        w_str(f, e->warning ? e->warning : "", e->warning ? strlen(e->warning) : 0);
    }
    return CFS_OK;
}

/* Schema 5 on: what a merge needs to judge the held-back 403s of every part against all
 * of them (edgefast.c): FCTS, each such 403's distribution's facts; PAGE, the learned
 * pages; EVNT, the events filter; DEFR, the records themselves, in input order. */
static cfs_status w_fact_row(FILE *f, const void *row)
{
    const cfs_frow *r = row;
    w_str(f, r->dist, strnlen(r->dist, CFS_KEY_STR));
    w_u64(f, (uint64_t)r->from);
    w_u64(f, (uint64_t)r->ttl);
    w_u8(f, r->has_config);
    w_u8(f, r->page403);
    return CFS_OK;
}

/* Facts rows by distribution, then config version (cfs_frow.from). */
static int cmp_fact(const void *a, const void *b)
{
    const cfs_frow *x = *(const cfs_frow *const *)a, *y = *(const cfs_frow *const *)b;
    const int c = strcmp(x->dist, y->dist);
    if (c) return c;
    return x->from < y->from ? -1 : x->from > y->from;
}

static cfs_status w_facts(FILE *f, const cfs_summary *s)
{
    return w_sorted(f, TAG('F', 'C', 'T', 'S'), &s->agg.facts, cmp_fact, w_fact_row);
}

static int cmp_page(const void *a, const void *b)
{
    return memcmp(*(const void *const *)a, *(const void *const *)b, CFS_KEY_STR + 8);
}

static cfs_status w_page_row(FILE *f, const void *row)
{
    const cfs_prow *p = row;
    w_str(f, p->dist, strnlen(p->dist, CFS_KEY_STR));
    w_u32(f, p->clen);
    w_u32(f, p->cth);
    w_u32(f, CFS_CAUSE_COUNT);
    for (int c = 0; c < CFS_CAUSE_COUNT; c++) w_u64(f, p->n[c]);
    return CFS_OK;
}

static cfs_status w_pages(FILE *f, const cfs_summary *s)
{
    return w_sorted(f, TAG('P', 'A', 'G', 'E'), &s->agg.pages, cmp_page, w_page_row);
}

/* EVNT: count 1 and the filter (bits, inserts, words), or count 0 without one.  Mostly
 * zero words: zstd makes the 16 MiB of an idle filter a few KiB. */
static cfs_status w_events(FILE *f, const cfs_summary *s)
{
    const cfs_events *e = s->agg.events;
    w_u32(f, TAG('E', 'V', 'N', 'T'));
    w_u64(f, e != NULL);
    if (!e) return CFS_OK;
    w_u64(f, e->mask + 1);
    w_u64(f, e->inserts);
    W_COLUMN(f, (e->mask + 1) / 64, 8, e->w[i]); /* 2 M words at the default size */
    return CFS_OK;
}

static uint8_t *put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    cfs_le_put(p, v, bytes);
    return p + bytes;
}

/* One held-back 403: its fixed part gathered in a local buffer and written at once
 * (tens of thousands of records, twenty fields each), then its text. */
static int w_record(void *ctx, const cfs_fast_rec *h, const char *text)
{
    FILE *f = ctx;
    uint8_t b[3 * CFS_KEY_STR + 5 * 8 + 7 * 4 + 2 * 2 + 4 + 8], *p = b;
    memcpy(p, h->dist, CFS_KEY_STR);
    memcpy(p + CFS_KEY_STR, h->edge, CFS_KEY_STR);
    memcpy(p + 2 * CFS_KEY_STR, h->label, CFS_KEY_STR);
    p += 3 * CFS_KEY_STR;
    const uint64_t u64[] = {(uint64_t)h->hour, (uint64_t)h->ts, h->bytes, h->iph, h->evkey};
    for (size_t i = 0; i < sizeof u64 / sizeof u64[0]; i++) p = put_le(p, u64[i], 8);
    const uint32_t u32[] = {h->clen, h->cth, h->tt, h->ttfb, h->ms, h->uri_n, h->ip_n};
    for (size_t i = 0; i < sizeof u32 / sizeof u32[0]; i++) p = put_le(p, u32[i], 4);
    p = put_le(p, h->status, 2);
    p = put_le(p, h->rule, 2);
    p = put_le(p, h->cause, 1);
    p = put_le(p, h->evidence, 1);
    p = put_le(p, h->lat_class, 1);
    p = put_le(p, h->excl, 1);
    p = put_le(p, (uint64_t)h->cfg_from, 8);
    w_raw(f, b, (size_t)(p - b));
    if (h->uri_n + (size_t)h->ip_n) w_raw(f, text, (size_t)h->uri_n + h->ip_n);
    return 0;
}

static cfs_status w_deferred(FILE *f, const cfs_summary *s)
{
    w_u32(f, TAG('D', 'E', 'F', 'R'));
    w_u64(f, s->agg.deferred.nrec);
    return cfs_fast_each(&s->agg, w_record, f) == 0 ? CFS_OK : CFS_E_IO;
}

/* PRES (schema 6): u64 rows, u32 names and the field names their bits stand for (bit i
 * is name i, so a reader whose field catalogue grew or moved maps them by name, as RULE
 * does rule ids), then per distribution its name and the two masks (presence.h). */
static cfs_status w_presence(FILE *f, const cfs_summary *s)
{
    const cfs_kmap *m = &s->agg.present;
    void **rows = cfs_sum_sorted_rows(m, cfs_sum_cmp_dist);
    if (!rows) return CFS_E_NOMEM; /* recorded: the publish says what failed */
    w_u32(f, TAG('P', 'R', 'E', 'S'));
    w_u64(f, m->n);
    w_u32(f, CFS_F_COUNT);
    for (unsigned i = 0; i < CFS_F_COUNT; i++) {
        const char *name = cfs_field_name((cfs_field)i);
        w_str(f, name, strlen(name));
    }
    for (size_t i = 0; i < m->n; i++) {
        const cfs_pres_row *r = rows[i];
        w_str(f, r->dist, strnlen(r->dist, CFS_KEY_STR));
        w_u64(f, r->any);
        w_u64(f, r->all);
    }
    free(rows);
    return CFS_OK;
}

/* SAMP (schema 7): u64 count, then each rate the summary's runs had, ascending, as one
 * byte: 0 for runs that were not sampled, 1..100 the percentage, 101 for runs of a rate
 * not known (sampling.h). */
static cfs_status w_sampling(FILE *f, const cfs_summary *s)
{
    w_u32(f, TAG('S', 'A', 'M', 'P'));
    w_u64(f, (uint64_t)cfs_sampling_count(&s->sampling));
    for (int r = 0; r <= CFS_SAMPLING_UNKNOWN; r++)
        if (cfs_sampling_has(&s->sampling, r)) w_u8(f, (uint8_t)r);
    return CFS_OK;
}

/* RPRV: the rules the verdicts came from (cfs_summary_rules): RULE lists the writer's
 * table, by which the stored rule ids are read, but a merge or an update may hold
 * verdicts of older rules too. */
static cfs_status w_provenance(FILE *f, const cfs_summary *s)
{
    w_u32(f, TAG('R', 'P', 'R', 'V'));
    w_u64(f, 1);
    w_u64(f, cfs_summary_rules(s));
    return CFS_OK;
}

/* The sections in file order (the layout at the top of this file). */
static cfs_status (*const k_state_writers[])(FILE *, const cfs_summary *) = {
    w_rules,    w_traffic, w_groups, w_heavy,  w_origins,  w_origin_refs, w_waf,      w_inputs,
    w_evidence, w_facts,   w_pages,  w_events, w_deferred, w_presence,    w_sampling, w_provenance,
};

/* A state file being written: the header goes first with the payload length zero (patched
 * by state_finish), then the payload through `f`, a stdio stream over zstd. */
typedef struct state_out {
    int fd;
    zstream *z;
    FILE *f;
    uint8_t head[20];
} state_out;

static cfs_status state_begin(state_out *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    memcpy(o->head, "CFSSTATE", 8);
    cfs_le_put(o->head + 8, CFS_SUMMARY_SCHEMA, 4);
    memset(o->head + 12, 0, 8); /* payload length, patched once known */
    zstream *z = o->z = cfs_calloc(1, sizeof *z, "compressing the state file");
    if (z) {
        z->fd = o->fd;
        if (!(z->cc = ZSTD_createCCtx())) cfs_nomem("making the state file's zstd context");
    }
    if (!z || !z->cc) {
        free(z);
        close(o->fd);
        return cfs_nomem_status(NULL, err, errlen);
    }
    ZSTD_CCtx_setParameter(z->cc, ZSTD_c_compressionLevel, 3);
    cookie_io_functions_t io = {NULL, zs_write, NULL, NULL};
    o->f = cfs_write_all(o->fd, (const char *)o->head, 20) == 0 ? fopencookie(z, "w", io) : NULL;
    if (o->f && setvbuf(o->f, z->wbuf, _IOFBF, sizeof z->wbuf) != 0) {
        fclose(o->f);
        o->f = NULL;
    }
    if (!o->f) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        ZSTD_freeCCtx(z->cc);
        free(z);
        close(o->fd);
        return CFS_E_IO;
    }
    return CFS_OK;
}

/* End the payload, patch the header, append the checksum trailer and sync; st is what
 * writing the sections gave.  Frees o in every case. */
static cfs_status state_finish(state_out *o, cfs_status st, const char *path, char *err, size_t errlen)
{
    zstream *z = o->z;
    int ok = fflush(o->f) == 0 && !z->failed && st == CFS_OK;
    fclose(o->f);
    ok = ok && zs_push(z, NULL, 0, ZSTD_e_end) == 0;
    /* header with the payload length, then the checksum over header and payload */
    cfs_le_put(o->head + 12, z->raw, 8);
    uint64_t h = 0;
    ok = ok && pwrite(o->fd, o->head, 20, 0) == 20 && hash_fd(o->fd, 20 + z->packed, &h) == 0;
    uint8_t trailer[16];
    memcpy(trailer, "CFSSEND!", 8);
    cfs_le_put(trailer + 8, h, 8);
    ok = ok && pwrite(o->fd, trailer, 16, (off_t)(20 + z->packed)) == 16 && fsync(o->fd) == 0;
    int saved = z->saved_errno ? z->saved_errno : errno;
    ZSTD_freeCCtx(z->cc);
    free(z);
    close(o->fd);
    if (!ok) {
        if (st != CFS_OK && st != CFS_E_IO)
            snprintf(err, errlen, "%s: cannot encode state: %s", path, cfs_status_str(st));
        else snprintf(err, errlen, "%s: write failed: %s", path, strerror(saved ? saved : EIO));
        return st != CFS_OK ? st : CFS_E_IO;
    }
    return CFS_OK;
}

cfs_status cfs_state_write(const cfs_summary *s, const char *path, char *err, size_t errlen)
{
    state_out o;
    CFS_FORWARD_IF_ERROR(state_begin(&o, path, err, errlen));
    cfs_status st = CFS_OK;
    /* after a failed section the file is dropped: the rest is not written */
    for (size_t i = 0; i < sizeof k_state_writers / sizeof k_state_writers[0] && st == CFS_OK; i++)
        st = k_state_writers[i](o.f, s);
    return state_finish(&o, st, path, err, errlen);
}

/* ---- state reader ------------------------------------------------------------------------------
 * A state.cfs that passes its checksum is still untrusted: `merge` combines summaries from
 * other machines and teams, and the checksum only proves the file is what its writer
 * wrote.  So nothing it claims sizes an allocation before it is checked:
 *  - every record count is bounded by what the rest of the payload can hold, from each
 *    section's smallest record (r_tag);
 *  - what reading commits (memory for groups, sketches, rows and strings, and temporary
 *    disk for the input rows) is charged to a budget proportional to the file's size
 *    (r_charge).  The payload is zstd, so a small file can expand to a large payload of
 *    valid records; the budget is what bounds memory by the file itself;
 *  - keys are unique in each section as the writer emits them, hours are real hours
 *    (cfs_time_in_range, at the start of an hour), top-k capacities are this cfscan's.
 * A state that breaks any of these is reported as corrupt, naming the file and the
 * reason; a failed allocation as CFS_E_NOMEM. */
typedef struct rd {
    FILE *f;
    int bad;
    const zstream *z; /* NULL for the summary's own temporary rows */
    uint64_t raw;     /* payload length the header declares */
    uint64_t charged, budget;
    char why[160];            /* the first reason a check failed, for the message */
    const uint16_t *rule_map; /* RULE: a stored rule id -> this cfscan's (NULL before it) */
    uint64_t nrules;
    uint32_t schema;   /* the file's schema version (CFS_SUMMARY_SCHEMA_MIN..) */
    uint64_t rules_fp; /* a fingerprint of the RULE names read, in order (0: none) */
} rd;

/* The budget: 2048 bytes per byte of state file, and at least 64 MiB.  The largest
 * legitimate ratio is a state of one-request groups: a group costs about 33 KiB in
 * memory (two dense histograms and a HyperLogLog) and, compressed, at least the three
 * 8-byte blob checksums and a few key bytes (about 30 bytes), about 1100x; a generated
 * 5.7 MB summary (400,000 traffic rows, 1,500 groups) needs about 50x.  A crafted state
 * of distinct empty groups compresses to about 2 bytes a group, over 10,000x: refused
 * here before it costs more than the budget.  The charges use the in-memory sizes
 * (sizeof), so they follow the sketches if those shrink. */
#define STATE_BUDGET_PER_BYTE 2048u
#define STATE_BUDGET_MIN ((uint64_t)64 << 20)

static void r_fail(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void r_fail(rd *r, const char *fmt, ...)
{
    if (!r->bad && !r->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->why, sizeof r->why, fmt, ap);
        va_end(ap);
    }
    r->bad = 1;
}

/* An upper bound on the payload bytes not yet parsed: the stream has handed z->raw bytes
 * to stdio, of which at most the buffer (sbuf) is still unread.  Never less than the true
 * rest, so a genuine state is never refused; 8 KiB of slack for a crafted one. */
static uint64_t r_left(const rd *r)
{
    uint64_t done = r->z->raw > sizeof r->z->sbuf ? r->z->raw - sizeof r->z->sbuf : 0;
    return r->raw > done ? r->raw - done : 0;
}

/* Charge bytes that reading is about to commit; 0 (and bad) when over the budget. */
static int r_charge(rd *r, uint64_t bytes)
{
    if (r->bad) return 0;
    if (__builtin_add_overflow(r->charged, bytes, &r->charged) || r->charged > r->budget)
        r_fail(
            r,
            "implausible: reading it would take more than %llu MiB, the limit for a state file of this size",
            (unsigned long long)(r->budget >> 20));
    return !r->bad;
}

static uint64_t r_le(rd *r, int n)
{
    uint8_t b[8] = {0};
    if (fread(b, 1, (size_t)n, r->f) != (size_t)n) r->bad = 1;
    return cfs_le_get(b, (unsigned)n);
}

static char *r_str(rd *r, size_t max)
{
    uint32_t n = (uint32_t)r_le(r, 4);
    if (r->bad || n > max) {
        r->bad = 1;
        return NULL;
    }
    char *s = cfs_malloc(n + 1, "reading a string of the state file");
    if (!s) {
        r->bad = 1; /* cfs_state_read reports CFS_E_NOMEM, as recorded */
        return NULL;
    }
    if (n && fread(s, 1, n, r->f) != n) r->bad = 1;
    s[n] = 0;
    return s;
}

static void r_fixed(rd *r, char *dst, size_t n)
{
    if (fread(dst, 1, n, r->f) != n) r->bad = 1;
    dst[n - 1] = 0;
}

/* A section header.  Its records take at least min_rec bytes each, and the 8-byte pruned
 * count ends the payload: a count the rest cannot hold is refused before any loop or
 * allocation trusts it. */
static int r_tag(rd *r, uint32_t tag, uint64_t *count, uint64_t max, uint64_t min_rec)
{
    char name[5] = {(char)tag, (char)(tag >> 8), (char)(tag >> 16), (char)(tag >> 24), 0};
    uint32_t got = (uint32_t)r_le(r, 4);
    *count = r_le(r, 8);
    if (r->bad) return 0;
    uint64_t left = r_left(r);
    left = left > 8 ? left - 8 : 0;
    if (got != tag) r_fail(r, "section %s expected", name);
    else if (*count > max || *count > left / min_rec)
        r_fail(r, "section %s claims %llu records, more than the payload can hold", name,
               (unsigned long long)*count);
    return !r->bad;
}

static void r_gkey(rd *r, cfs_gkey *k)
{
    memset(k, 0, sizeof *k);
    r_fixed(r, k->dist, CFS_KEY_STR);
    uint16_t rule = (uint16_t)r_le(r, 2);
    k->cause = (uint8_t)r_le(r, 1);
    k->lat_class = (uint8_t)r_le(r, 1);
    if (rule >= r->nrules || k->cause >= CFS_CAUSE_COUNT) r->bad = 1;
    else k->rule = rule ? r->rule_map[rule] : 0;
}

/* One input row (the FILE section record and the summary's temporary rows). */
void cfs_sum_input_put(FILE *f, const cfs_sum_input *x)
{
    w_str(f, x->path, strlen(x->path));
    w_str(f, x->dist, strnlen(x->dist, CFS_DIST_MAX - 1));
    w_u64(f, x->size);
    w_u64(f, (uint64_t)x->mtime);
    w_stats(f, &x->st);
}

/* The largest set of CFS_EXCL_* bits a state of this schema stores: schema 8 had six
 * (CFS_EXCL_KEYED came with 9). */
static unsigned excl_max(uint32_t schema) { return schema < 9 ? 63u : CFS_EXCL_ALL; }

/* The number of reject reasons a state of this schema stores per input. */
static unsigned rej_count(uint32_t schema) { return schema < 6 ? CFS_REJ_BAD_JSON : CFS_REJ_COUNT; }

/* 1: a row (x->path is the caller's to free), 0: end of input before a row, -1: bad. */
static int get_input_rd(rd *r, cfs_sum_input *x)
{
    memset(x, 0, sizeof *x);
    int c = fgetc(r->f);
    if (c == EOF) return 0;
    ungetc(c, r->f);
    x->path = r_str(r, 1 << 16);
    char *d = r_str(r, CFS_DIST_MAX - 1);
    if (!x->path || !d) {
        free(x->path);
        free(d);
        x->path = NULL;
        return -1;
    }
    memcpy(x->dist, d, strlen(d) + 1);
    free(d);
    x->size = r_le(r, 8);
    x->mtime = (int64_t)r_le(r, 8);
    cfs_file_stats *fs = &x->st;
    fs->bytes_in = r_le(r, 8);
    fs->bytes_out = r_le(r, 8);
    fs->lines = r_le(r, 8);
    fs->header_lines = r_le(r, 8);
    fs->blank_lines = r_le(r, 8);
    fs->aggregated = r_le(r, 8);
    fs->filtered = r_le(r, 8);
    /* Schema 6 added bad_json at the end of the reasons; an older state stores the eight
     * before it, and its bad_json count is 0 (those lines were counted as bad_value). */
    if (r_le(r, 4) != rej_count(r->schema)) r->bad = 1;
    for (unsigned k = 0; k < rej_count(r->schema); k++) fs->rejected[k] = r_le(r, 8);
    fs->short_lines = r_le(r, 8);
    fs->trailing_tab = r_le(r, 8);
    fs->crlf = r_le(r, 8);
    fs->layouts = r_le(r, 8);
    fs->fmt = (cfs_format)r_le(r, 1);
    fs->status = (cfs_status)r_le(r, 1);
    char *e = r_str(r, sizeof fs->error - 1);
    if (e) {
        memcpy(fs->error, e, strlen(e) + 1);
        free(e);
    } else {
        r->bad = 1;
    }
    if (r->bad) {
        free(x->path);
        x->path = NULL;
        return -1;
    }
    return 1;
}

int cfs_sum_input_get(FILE *f, cfs_sum_input *x)
{
    rd r = {f, 0, NULL, 0, 0, 0, "", NULL, 0, CFS_SUMMARY_SCHEMA, 0};
    return get_input_rd(&r, x);
}

/* ---- state reader: one function per section, in file order ---------------------------------- */
/* Smallest records (see the writers above): a name is a u32 length; a traffic row 39 bytes
 * over its columns; a group key 44 bytes plus two histogram blobs of 21 and a HyperLogLog
 * blob of 20; a heavy-hitter record the key and two top-k blobs of 23; an origin row
 * 40 + 21 + 8; a WAF row 40 + 4 + 8; an input row two lengths, 23 u64, the reject count
 * and the two status bytes. */
/* clang-format off */
enum {
    MIN_NAME = 4, MIN_TRAF = 39, MIN_GKEY = CFS_KEY_STR + 4, MIN_HIST = 21, MIN_HLL = 20, MIN_TOPK = 23,
    MIN_GRPS = MIN_GKEY + 2 * MIN_HIST + MIN_HLL, MIN_HEAV = MIN_GKEY + 2 * MIN_TOPK,
    MIN_ORIG = CFS_KEY_STR + MIN_HIST + 8, MIN_ORGL = 2 * CFS_KEY_STR + MIN_HIST + 8,
    MIN_WAFR = CFS_KEY_STR + 4 + 8,
    MIN_FILE = 4 + 4 + 8 * (11 + CFS_REJ_COUNT) + 4 + 2 + 4,
    MIN_EVID = 4 + 1 + 8 * 4 + 4 + 8 * 6 + 1 + 4,
    MIN_FCTS = 4 + 8 + 2, MIN_PAGE = 4 + 4 + 4 + 4 + 8 * CFS_CAUSE_COUNT,
    MIN_DEFR = 3 * CFS_KEY_STR + 5 * 8 + 7 * 4 + 2 * 2 + 3, MIN_PRES = 4 + 2 * 8
};
/* clang-format on */

/* One name into a fingerprint of a rule table (order matters). */
static uint64_t rules_fp_add(uint64_t fp, const char *name)
{
    return XXH3_64bits_withSeed(name, strlen(name) + 1, fp);
}

/* The fingerprint of names hashed into v: never 0 (none) or CFS_RULES_MIXED. */
static uint64_t rules_fp_end(uint64_t v) { return v > CFS_RULES_MIXED ? v : v + 2; }

/* What the rules mean beyond their names: raised whenever a rule's evidence level or what
 * a held-back 403 stores (its event key) changes, so that --update, merge and diff say a
 * summary's verdicts came from other rules.  2: POST and the other uncacheable methods
 * carry no event key; the method rules' levels (2026-12-07).  3: origin_first_byte_logged
 * is likely unless the config says custom; timed verdicts on lines older than the config
 * leave its origin kind out.  4: a learned error page of a cause the line rules out names
 * no cause; a tenant's line takes neither the distribution's web ACL nor its geo
 * restriction, nor WAF logs' silence; a viewer's hang-up (ClientCommError) and a c-country
 * without a config do not rule geo restriction out.  5: a learned page lowers verdicts
 * (the generic page, one page several causes share) with fewer than three confirmed
 * lines (three still name a cause by its page).  6: those lines in proportion to the
 * held-back 403s of the page, which PAGE rows count (n[unknown]); a shared page by the
 * lines of every sharer but the largest. */
#define RULES_MEANING 6

/* The fingerprint of the names hashed into v, with what they mean: a state without RPRV
 * (written before it) is taken to mean what its names mean now. */
static uint64_t rules_fp_meaning(uint64_t v)
{
    char meaning[32];
    snprintf(meaning, sizeof meaning, "meaning %d", RULES_MEANING);
    return rules_fp_end(rules_fp_add(v, meaning));
}

uint64_t cfs_rules_fingerprint(void)
{
    uint64_t v = 0; /* a few microseconds: asked once per summary read, merged or written */
    for (unsigned k = 0; k < cfs_rule_count(); k++) v = rules_fp_add(v, cfs_rule_name((uint16_t)k));
    return rules_fp_meaning(v);
}

/* RULE: the writer's rule names, mapped by name to this cfscan's ids (r->rule_map).  A
 * name this cfscan does not know is CFS_E_FORMAT, with its own message in err. */
static cfs_status r_rules(rd *r, uint16_t **map, const char *path, char *err, size_t errlen)
{
    uint64_t nrules = 0;
    if (!r_tag(r, TAG('R', 'U', 'L', 'E'), &nrules, 65535, MIN_NAME)) return CFS_OK;
    uint16_t *rule_map = *map = malloc((nrules ? nrules : 1) * sizeof *rule_map);
    if (!rule_map) return CFS_E_NOMEM;
    r->rule_map = rule_map;
    r->nrules = nrules;
    uint64_t fp = 0;
    for (uint64_t i = 0; i < nrules && !r->bad; i++) {
        char *nm = r_str(r, 256);
        if (nm) fp = rules_fp_add(fp, nm);
        rule_map[i] = 0;
        int found = 0;
        for (unsigned k = 0; nm && k < cfs_rule_count(); k++)
            if (!strcmp(cfs_rule_name((uint16_t)k), nm)) {
                rule_map[i] = (uint16_t)k;
                found = 1;
            }
        if (nm && !found) {
            snprintf(err, errlen, "%s: attribution rule '%s' is unknown to this cfscan; rescan", path, nm);
            r->bad = 1;
            free(nm);
            return CFS_E_FORMAT;
        }
        free(nm);
    }
    r->rules_fp = nrules ? rules_fp_meaning(fp) : 0;
    return CFS_OK;
}

/* STRS: the distribution and edge strings the traffic rows refer to (*strs, the caller
 * frees it). */
static cfs_status r_strings(rd *r, char (**strs)[CFS_KEY_STR], uint64_t *nstr)
{
    if (!r_tag(r, TAG('S', 'T', 'R', 'S'), nstr, UINT32_MAX, MIN_NAME) || !r_charge(r, *nstr * CFS_KEY_STR))
        return CFS_OK;
    char(*v)[CFS_KEY_STR] = *strs = calloc(*nstr ? *nstr : 1, CFS_KEY_STR);
    if (!v) return CFS_E_NOMEM;
    for (uint64_t i = 0; i < *nstr && !r->bad; i++) {
        char *x = r_str(r, CFS_KEY_STR - 1);
        if (x) {
            memcpy(v[i], x, strlen(x));
            free(x);
        }
    }
    return CFS_OK;
}

/* TRAF: the traffic rows, column by column, into s's traffic map. */
static cfs_status r_traffic_rows(rd *r, cfs_summary *s, char (*strs)[CFS_KEY_STR], uint64_t nstr)
{
    uint64_t n;
    /* The rows are held while their columns arrive, then go into the traffic map: twice
     * a row, plus the map's slot. */
    if (!r_tag(r, TAG('T', 'R', 'A', 'F'), &n, UINT32_MAX, MIN_TRAF) ||
        !r_charge(r, n * (2 * sizeof(cfs_trow) + 16)))
        return CFS_OK;
    cfs_trow *rows = calloc(n ? n : 1, sizeof *rows);
    if (!rows) return CFS_E_NOMEM;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        uint32_t d = (uint32_t)r_le(r, 4);
        if (d >= nstr) r_fail(r, "traffic row %llu: no string %u", (unsigned long long)i, d);
        else memcpy(rows[i].k.dist, strs[d], CFS_KEY_STR);
    }
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        uint32_t e = (uint32_t)r_le(r, 4);
        if (e >= nstr) r_fail(r, "traffic row %llu: no string %u", (unsigned long long)i, e);
        else memcpy(rows[i].k.edge, strs[e], CFS_KEY_STR);
    }
    /* An hour is the start of an hour within cfscan's time range (types.h): anything
     * else is no key a scan writes, and would overflow hour * 1000 in the Parquet
     * writer (INT64_MAX once did). */
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        int64_t h = (int64_t)r_le(r, 8);
        if (!r->bad && (!cfs_time_in_range(h) || h % 3600 != 0))
            r_fail(r, "traffic row %llu: hour %lld is not an hour between 1990 and 2100",
                   (unsigned long long)i, (long long)h);
        rows[i].k.hour = h;
    }
    for (uint64_t i = 0; i < n && !r->bad; i++) rows[i].k.status = (uint16_t)r_le(r, 2);
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        uint16_t rule = (uint16_t)r_le(r, 2);
        if (rule >= r->nrules) r_fail(r, "traffic row %llu: rule %u", (unsigned long long)i, rule);
        else rows[i].k.rule = r->rule_map[rule];
    }
    for (uint64_t i = 0; i < n && !r->bad; i++) rows[i].k.cause = (uint8_t)r_le(r, 1);
    for (uint64_t i = 0; i < n && !r->bad; i++) rows[i].k.evidence = (uint8_t)r_le(r, 1);
    for (uint64_t i = 0; i < n && !r->bad; i++) rows[i].k.lat_class = (uint8_t)r_le(r, 1);
    for (uint64_t i = 0; r->schema >= 8 && i < n && !r->bad; i++) rows[i].k.excl = (uint8_t)r_le(r, 1);
    for (uint64_t i = 0; i < n && !r->bad; i++) rows[i].requests = r_le(r, 8);
    for (uint64_t i = 0; i < n && !r->bad; i++) rows[i].bytes = r_le(r, 8);
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        if (rows[i].k.excl > excl_max(r->schema)) {
            r_fail(r, "traffic row %llu: exclusions %u", (unsigned long long)i, rows[i].k.excl);
            break;
        }
        /* as a scan keeps them (a state of other rules may name other candidates): two rows
         * that differ only in exclusions their rule does not name would print alike */
        rows[i].k.excl = cfs_excl_kept(rows[i].k.rule, rows[i].k.excl);
        if (rows[i].k.cause >= CFS_CAUSE_COUNT || rows[i].k.evidence >= CFS_EV_COUNT) {
            r_fail(r, "traffic row %llu: cause %u, evidence %u", (unsigned long long)i, rows[i].k.cause,
                   rows[i].k.evidence);
            break;
        }
        cfs_trow *t = cfs_kmap_get(&s->agg.traffic, &rows[i].k, NULL);
        t->requests += rows[i].requests;
        t->bytes += rows[i].bytes;
    }
    free(rows);
    return CFS_OK;
}

/* STRS then TRAF, as w_traffic writes them. */
static cfs_status r_traffic(rd *r, cfs_summary *s)
{
    uint64_t nstr = 0;
    char(*strs)[CFS_KEY_STR] = NULL;
    cfs_status st = r_strings(r, &strs, &nstr);
    if (!r->bad && st == CFS_OK) st = r_traffic_rows(r, s, strs, nstr);
    free(strs);
    return st;
}

static cfs_status r_groups(rd *r, cfs_summary *s)
{
    uint64_t n;
    cfs_status st = CFS_OK;
    if (!r_tag(r, TAG('G', 'R', 'P', 'S'), &n, UINT32_MAX, MIN_GRPS)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad && st == CFS_OK; i++) {
        cfs_gkey k;
        r_gkey(r, &k);
        if (r->bad || !r_charge(r, sizeof(cfs_group) + sizeof(cfs_grow) + 16)) break;
        int created;
        cfs_grow *g = cfs_kmap_get(&s->agg.groups, &k, &created);
        if (!created) {
            r_fail(r, "group %llu listed twice", (unsigned long long)i);
            break;
        }
        /* a row without its group would crash cfs_agg_free's readers: fill it first */
        if (cfs_kmap_is_sink(g) || !(g->g = cfs_group_new())) {
            st = CFS_E_NOMEM;
            break;
        }
        if ((st = cfs_hist_read(r->f, &g->g->tt)) == CFS_OK &&
            (st = cfs_hist_read(r->f, &g->g->ttfb)) == CFS_OK)
            st = cfs_hll_read(r->f, &g->g->clients);
        if (st != CFS_OK && st != CFS_E_NOMEM)
            r_fail(r, "group %llu: sketch blob refused (%s)", (unsigned long long)i, cfs_status_str(st));
    }
    return st;
}

/* One top-k blob of top lists record i into *out (NULL when refused; a refused one is
 * only ever freed).
 * Capacity: every top-k this cfscan builds or merges into has CFS_TOPK_CAPACITY
 * counters (aggregate.c), so a state holds no other.  A larger one would cost
 * its counters up front (65536 of them, 5 MB, for a 25-byte blob) only to be
 * cut down at the first merge, and a smaller one would go to the summary pool
 * (aggregate.c) and be reused as if full size: refuse both.  Payload: no more
 * than the budget has left. */
static cfs_status r_topk(rd *r, uint64_t i, cfs_topk **out)
{
    uint64_t room = r->budget - r->charged;
    cfs_topk *t = NULL;
    cfs_status st = cfs_topk_read_limited(r->f, CFS_TOPK_CAPACITY,
                                          room < UINT32_MAX ? (uint32_t)room : UINT32_MAX, &t);
    if (st != CFS_OK) {
        if (st != CFS_E_NOMEM)
            r_fail(r, "top lists %llu: top-k blob refused (%s; capacity must be %u)", (unsigned long long)i,
                   cfs_status_str(st), CFS_TOPK_CAPACITY);
        return st;
    }
    *out = t;
    if (cfs_topk_capacity(t) != CFS_TOPK_CAPACITY) {
        r_fail(r, "top list of capacity %u (this cfscan keeps %u)", cfs_topk_capacity(t), CFS_TOPK_CAPACITY);
        return CFS_OK;
    }
    /* its counters, table and keys, here and again once folded below; counters
     * are allocated on demand, doubling up to the capacity (sketch.c), so what
     * is held is the entries rounded up to a power of two */
    cfs_topk_item items[CFS_TOPK_CAPACITY];
    size_t m = cfs_topk_list(t, items, CFS_TOPK_CAPACITY);
    uint64_t keys = 0, held = 1;
    for (size_t j = 0; j < m; j++) keys += items[j].n + 1;
    while (held < m) held *= 2;
    r_charge(r, 2 * (256 + held * 96 + keys));
    return CFS_OK;
}

static cfs_status r_heavy(rd *r, cfs_summary *s)
{
    uint64_t n;
    cfs_status st = CFS_OK;
    if (!r_tag(r, TAG('H', 'E', 'A', 'V'), &n, UINT32_MAX, MIN_HEAV)) return CFS_OK;
    cfs_agg one;
    cfs_agg_init(&one);
    for (uint64_t i = 0; i < n && !r->bad && st == CFS_OK; i++) {
        cfs_gkey k;
        r_gkey(r, &k);
        if (r->bad || !r_charge(r, sizeof(cfs_hrow) + 16)) break;
        int created;
        cfs_hrow *h = cfs_kmap_get(&one.heavy, &k, &created);
        if (!created) {
            r_fail(r, "top lists %llu listed twice", (unsigned long long)i);
            break;
        }
        if ((st = r_topk(r, i, &h->uris)) == CFS_OK && !r->bad) st = r_topk(r, i, &h->ips);
    }
    /* a half-read row (NULL summaries) is only ever freed: cfs_agg_free takes NULL */
    if (!r->bad && st == CFS_OK) cfs_agg_fold_heavy_take(&s->agg, &one);
    cfs_agg_free(&one);
    return st;
}

/* The histogram and time-to-first-byte count of origin row or reference i (`what`). */
static cfs_status r_origin_hist(rd *r, const char *what, uint64_t i, cfs_hist **h, uint64_t *ttfb)
{
    *h = cfs_hist_new();
    if (!*h) return CFS_E_NOMEM;
    cfs_status st = cfs_hist_read(r->f, *h);
    if (st != CFS_OK && st != CFS_E_NOMEM) {
        r_fail(r, "%s %llu: blob refused (%s)", what, (unsigned long long)i, cfs_status_str(st));
        return st;
    }
    if (st != CFS_OK) return st;
    *ttfb = r_le(r, 8);
    if (!r->bad && *ttfb > (*h)->count)
        r_fail(r, "%s %llu: %llu time-to-first-byte samples of %llu", what, (unsigned long long)i,
               (unsigned long long)*ttfb, (unsigned long long)(*h)->count);
    return CFS_OK;
}

static cfs_status r_origins(rd *r, cfs_summary *s)
{
    uint64_t n;
    cfs_status st = CFS_OK;
    if (!r_tag(r, TAG('O', 'R', 'I', 'G'), &n, UINT32_MAX, MIN_ORIG)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad && st == CFS_OK; i++) {
        char dist[CFS_KEY_STR];
        memset(dist, 0, sizeof dist);
        r_fixed(r, dist, CFS_KEY_STR);
        if (r->bad || !r_charge(r, sizeof(cfs_hist) + sizeof(cfs_orow) + 16)) break;
        int created;
        cfs_orow *o = cfs_kmap_get(&s->agg.origin, dist, &created);
        if (!created) {
            r_fail(r, "origin histogram %llu listed twice", (unsigned long long)i);
            break;
        }
        st = r_origin_hist(r, "origin histogram", i, &o->h, &o->ttfb);
    }
    return st;
}

/* per-origin references (cfs_lrow), checked like the origin rows above */
static cfs_status r_origin_refs(rd *r, cfs_summary *s)
{
    uint64_t n;
    cfs_status st = CFS_OK;
    if (!r_tag(r, TAG('O', 'R', 'G', 'L'), &n, UINT32_MAX, MIN_ORGL)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad && st == CFS_OK; i++) {
        cfs_lrow k;
        memset(&k, 0, sizeof k);
        r_fixed(r, k.dist, CFS_KEY_STR);
        r_fixed(r, k.label, CFS_KEY_STR);
        if (r->bad || !r_charge(r, sizeof(cfs_hist) + sizeof(cfs_lrow) + 16)) break;
        int created;
        cfs_lrow *o = cfs_kmap_get(&s->agg.olabel, &k, &created);
        if (!created) {
            r_fail(r, "origin reference %llu listed twice", (unsigned long long)i);
            break;
        }
        st = r_origin_hist(r, "origin reference", i, &o->h, &o->ttfb);
    }
    return st;
}

static cfs_status r_waf(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (!r_tag(r, TAG('W', 'A', 'F', 'R'), &n, UINT32_MAX, MIN_WAFR)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        cfs_wrow k;
        memset(&k, 0, sizeof k);
        r_fixed(r, k.dist, CFS_KEY_STR);
        char *nm = r_str(r, 4096);
        if (!nm) break;
        if (!r_charge(r, sizeof(cfs_wrow) + 16 + strlen(nm) + 1 + sizeof(char *))) {
            free(nm);
            break;
        }
        k.rule = cfs_sum_waf_rule_id(s, nm);
        free(nm);
        int created;
        cfs_wrow *w = cfs_kmap_get(&s->agg.waf, &k, &created);
        if (!created) r_fail(r, "WAF rule row %llu listed twice", (unsigned long long)i);
        w->count += r_le(r, 8);
    }
    return CFS_OK;
}

/* FILE, then the pruned count that ends the payload.  The input rows go to a temporary
 * file: disk, charged like memory (a genuine input row compresses to a few dozen bytes,
 * far inside the budget). */
static cfs_status r_inputs(rd *r, cfs_summary *s)
{
    uint64_t n;
    /* an older schema's input rows are shorter by the reasons it did not have */
    const uint64_t min_file = MIN_FILE - 8 * (CFS_REJ_COUNT - rej_count(r->schema));
    if (!r_tag(r, TAG('F', 'I', 'L', 'E'), &n, UINT64_MAX, min_file)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        cfs_sum_input x;
        if (get_input_rd(r, &x) <= 0) {
            r->bad = 1;
            break;
        }
        if (r_charge(r, MIN_FILE + strlen(x.path) + strlen(x.dist) + strlen(x.st.error))) {
            FILE *f = cfs_sum_rows_file(s);
            if (f) cfs_sum_input_put(f, &x);
            s->ninputs++;
        }
        free(x.path);
    }
    s->pruned = r_le(r, 8);
    return CFS_OK;
}

/* EVID (schema 4 on; a schema 3 state has no evidence record).  The section is optional
 * at the end of the payload: a state without it reads as one made without evidence.
 * The schema was still bumped so that an older cfscan, which would take the section
 * for trailing garbage, says "schema version" rather than "corrupt".  Strings are
 * bounded, the kind checked; the counts are what the writer's scan saw. */
static cfs_status r_evidence(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r->schema < 4) return CFS_OK;
    int c = fgetc(r->f);
    if (c == EOF) return CFS_OK;
    ungetc(c, r->f);
    if (!r_tag(r, TAG('E', 'V', 'I', 'D'), &n, 1u << 20, MIN_EVID)) return CFS_OK;
    cfs_status st = CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad && st == CFS_OK; i++) {
        cfs_evid_input e;
        memset(&e, 0, sizeof e);
        e.path = r_str(r, 1 << 16);
        e.kind = (uint8_t)r_le(r, 1);
        e.files = r_le(r, 8);
        e.records = r_le(r, 8);
        e.unusable = r_le(r, 8);
        e.ndists = r_le(r, 8);
        e.dists = r_str(r, 1 << 12);
        e.first_ms = (int64_t)r_le(r, 8);
        e.last_ms = (int64_t)r_le(r, 8);
        e.requests = r_le(r, 8);
        e.forbidden = r_le(r, 8);
        e.cov_first = (int64_t)r_le(r, 8);
        e.cov_last = (int64_t)r_le(r, 8);
        int has_warning = (int)r_le(r, 1);
        char *w = r_str(r, 1 << 12);
        if (has_warning) e.warning = w;
        if (!r->bad && (e.kind >= CFS_EVID_KIND_COUNT || has_warning > 1))
            r_fail(r, "evidence record %llu: bad kind or flag", (unsigned long long)i);
        if (!r->bad &&
            r_charge(r, sizeof e + (e.path ? strlen(e.path) : 0) + (e.dists ? strlen(e.dists) : 0) + 64))
            st = cfs_evid_append(&s->evidence, &e);
        free(e.path);
        free(e.dists);
        free(w);
    }
    return st;
}

/* A fixed-size key string: NUL-terminated, and zero after the NUL as the maps' keys are. */
static void r_key(rd *r, char dst[CFS_KEY_STR])
{
    r_fixed(r, dst, CFS_KEY_STR);
    size_t n = strlen(dst);
    memset(dst + n, 0, CFS_KEY_STR - n);
}

/* A length-prefixed key string (the writers' w_str of a key) into dst, zero-padded. */
static void r_keystr(rd *r, char dst[CFS_KEY_STR])
{
    memset(dst, 0, CFS_KEY_STR);
    char *x = r_str(r, CFS_KEY_STR - 1);
    if (x) memcpy(dst, x, strlen(x));
    free(x);
}

/* Schema 5's sections follow EVID, each optional at the end of the payload (as EVID is):
 * a state that ends before one holds none of its records. */
static int r_at_end(rd *r)
{
    if (r->schema < 5) return 1;
    int c = fgetc(r->f);
    if (c == EOF) return 1;
    ungetc(c, r->f);
    return 0;
}

/* FCTS (schema 5 on, as PAGE, EVNT and DEFR): facts of distributions, one row each. */
static cfs_status r_facts(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r_at_end(r) || !r_tag(r, TAG('F', 'C', 'T', 'S'), &n, UINT32_MAX, MIN_FCTS)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        cfs_frow k;
        memset(&k, 0, sizeof k);
        r_keystr(r, k.dist);
        k.from = r->schema >= 8 ? (int64_t)r_le(r, 8) : INT64_MIN;
        k.ttl = (int64_t)r_le(r, 8);
        k.has_config = (uint8_t)r_le(r, 1);
        k.page403 = (uint8_t)r_le(r, 1);
        if (!r->bad && (k.ttl < 0 || k.ttl > ((int64_t)1 << 40) || k.has_config > 1 || k.page403 > 1))
            r_fail(r, "distribution facts %llu: bad TTL or flag", (unsigned long long)i);
        if (r->bad || !r_charge(r, sizeof k + 16)) break;
        int created;
        cfs_frow *d = cfs_kmap_get(&s->agg.facts, &k, &created);
        if (!created) r_fail(r, "distribution facts %llu listed twice", (unsigned long long)i);
        else *d = k;
    }
    return CFS_OK;
}

static cfs_status r_pages(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r_at_end(r) || !r_tag(r, TAG('P', 'A', 'G', 'E'), &n, UINT32_MAX, MIN_PAGE)) return CFS_OK;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        cfs_prow k;
        memset(&k, 0, sizeof k);
        r_keystr(r, k.dist);
        k.clen = (uint32_t)r_le(r, 4);
        k.cth = (uint32_t)r_le(r, 4);
        if (!r->bad && r_le(r, 4) != CFS_CAUSE_COUNT)
            r_fail(r, "page %llu: cause count", (unsigned long long)i);
        for (int c = 0; c < CFS_CAUSE_COUNT && !r->bad; c++) k.n[c] = r_le(r, 8);
        if (r->bad || !r_charge(r, sizeof k + 16)) break;
        int created;
        cfs_prow *d = cfs_kmap_get(&s->agg.pages, &k, &created);
        if (!created) r_fail(r, "page %llu listed twice", (unsigned long long)i);
        else *d = k;
    }
    return CFS_OK;
}

/* EVNT: a filter of 2^k bits, 4 KiB to 16 MiB as a scan makes them (cfs_fast_events_new). */
static cfs_status r_events(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r_at_end(r) || !r_tag(r, TAG('E', 'V', 'N', 'T'), &n, 1, 16)) return CFS_OK;
    if (n == 0) return CFS_OK;
    uint64_t bits = r_le(r, 8), inserts = r_le(r, 8);
    if (r->bad) return CFS_OK;
    if (bits < 4096 * 8 || bits > ((uint64_t)16 << 20) * 8 || (bits & (bits - 1))) {
        r_fail(r, "events filter of %llu bits", (unsigned long long)bits);
        return CFS_OK;
    }
    if (bits / 64 * 8 > r_left(r)) {
        r_fail(r, "events filter longer than the payload");
        return CFS_OK;
    }
    if (!r_charge(r, bits / 8)) return CFS_OK;
    if (s->agg.events) { /* a state holds one filter */
        r_fail(r, "two events filters");
        return CFS_OK;
    }
    if (cfs_fast_events_new(&s->agg, (size_t)(bits / 8)) != CFS_OK) return CFS_E_NOMEM;
    cfs_events *e = s->agg.events;
    if (e->mask + 1 != bits) { /* made smaller by the memory budget: fold as a merge does */
        r_fail(r, "events filter of %llu bits is over the memory budget", (unsigned long long)bits);
        return CFS_OK;
    }
    e->inserts = inserts;
    /* read in blocks: a word per fread took most of a merge's time per part (the filter is
     * up to 16 MiB; a review measured 35 ms a part) */
    uint8_t buf[1 << 15];
    for (uint64_t i = 0, words = bits / 64; i < words && !r->bad;) {
        const size_t k = words - i < sizeof buf / 8 ? (size_t)(words - i) : sizeof buf / 8;
        if (fread_unlocked(buf, 8, k, r->f) != k) {
            r->bad = 1;
            break;
        }
        for (size_t j = 0; j < k; j++, i++) {
            const uint64_t v = cfs_le_get(buf + 8 * j, 8);
            if (v) e->w[i] = v; /* zero words stay untouched pages (calloc) */
        }
    }
    return CFS_OK;
}

/* DEFR: the held-back 403s, each checked like the rows of the other sections (a stored rule
 * id mapped by name, cause, evidence, latency class and hour in range) and bounded. */
static cfs_status r_deferred(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r_at_end(r) || !r_tag(r, TAG('D', 'E', 'F', 'R'), &n, UINT64_MAX, MIN_DEFR)) return CFS_OK;
    char *text = NULL;
    size_t cap = 0;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        cfs_fast_rec h;
        memset(&h, 0, sizeof h);
        r_key(r, h.dist);
        r_key(r, h.edge);
        r_key(r, h.label);
        h.hour = (int64_t)r_le(r, 8);
        h.ts = (int64_t)r_le(r, 8);
        h.bytes = r_le(r, 8);
        h.iph = r_le(r, 8);
        h.evkey = r_le(r, 8); /* CFS_EVKEY_BLIND from schema 10 on: no earlier writer gave it */
        uint32_t *u32[] = {&h.clen, &h.cth, &h.tt, &h.ttfb, &h.ms, &h.uri_n, &h.ip_n};
        for (size_t k = 0; k < sizeof u32 / sizeof u32[0]; k++) *u32[k] = (uint32_t)r_le(r, 4);
        h.status = (uint16_t)r_le(r, 2);
        uint16_t rule = (uint16_t)r_le(r, 2);
        h.cause = (uint8_t)r_le(r, 1);
        h.evidence = (uint8_t)r_le(r, 1);
        h.lat_class = (uint8_t)r_le(r, 1);
        h.cfg_from = INT64_MIN;
        if (r->schema >= 8) {
            h.excl = (uint8_t)r_le(r, 1);
            h.cfg_from = (int64_t)r_le(r, 8);
        }
        if (r->bad) break;
        if (rule >= r->nrules || h.cause >= CFS_CAUSE_COUNT || h.evidence >= CFS_EV_COUNT || h.status > 999 ||
            h.excl > excl_max(r->schema) || !cfs_time_in_range(h.hour) || h.hour % 3600 ||
            h.uri_n > (1u << 20) || h.ip_n > 4096) {
            r_fail(r, "held-back 403 %llu: a field out of range", (unsigned long long)i);
            break;
        }
        h.rule = rule ? r->rule_map[rule] : 0;
        size_t tn = (size_t)h.uri_n + h.ip_n;
        if (tn > r_left(r)) {
            r_fail(r, "held-back 403 %llu: longer than the payload", (unsigned long long)i);
            break;
        }
        if (!r_charge(r, sizeof h + tn)) break;
        if (tn > cap) {
            char *t = cfs_realloc(text, tn, "reading the held-back 403s of a state file");
            if (!t) {
                r->bad = 1;
                break;
            }
            text = t;
            cap = tn;
        }
        if (tn && fread(text, 1, tn, r->f) != tn) {
            r->bad = 1;
            break;
        }
        cfs_fast_put(&s->agg, &h, text);
    }
    free(text);
    return CFS_OK;
}

/* PRES (schema 6 on; see w_presence).  A field this cfscan knows that the file does not
 * name counts as present in every line (nothing says it was absent), and a name it does
 * not know is dropped.  An older state has no PRES: each of its distributions reads as
 * one whose lines had every field, so that a merge with a newer part says "some" lines
 * lacked what only the newer part's lines lacked, never "all". */
static cfs_status r_presence(rd *r, cfs_summary *s)
{
    const uint64_t every = CFS_F_COUNT == 64 ? ~(uint64_t)0 : CFS_PRES_BIT(CFS_F_COUNT) - 1;
    if (r->schema < 6) {
        for (size_t i = 0; i < s->agg.traffic.n && r_charge(r, sizeof(cfs_pres_row) + 16); i++)
            cfs_pres_note(&s->agg.present, ((const cfs_trow *)cfs_kmap_row(&s->agg.traffic, i))->k.dist,
                          every);
        return CFS_OK;
    }
    uint64_t n;
    if (r_at_end(r) || !r_tag(r, TAG('P', 'R', 'E', 'S'), &n, UINT32_MAX, MIN_PRES)) return CFS_OK;
    uint32_t nf = (uint32_t)r_le(r, 4);
    if (!r->bad && nf > 64) r_fail(r, "field presence names %u fields, more than 64", nf);
    uint8_t map[64];
    uint64_t named = 0;
    for (uint32_t i = 0; i < nf && !r->bad; i++) {
        char *name = r_str(r, 64);
        map[i] = name ? (uint8_t)cfs_field_lookup(name, strlen(name)) : CFS_F_UNKNOWN;
        if (map[i] != CFS_F_UNKNOWN) named |= CFS_PRES_BIT(map[i]);
        free(name);
    }
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        cfs_pres_row k;
        memset(&k, 0, sizeof k);
        r_keystr(r, k.dist);
        uint64_t any = r_le(r, 8), all = r_le(r, 8);
        if (!r->bad && ((all & ~any) || (nf < 64 && (any >> nf))))
            r_fail(r, "field presence %llu: a field in every line but not in any, or an unnamed bit",
                   (unsigned long long)i);
        if (r->bad || !r_charge(r, sizeof k + 16)) break;
        k.any = k.all = every & ~named;
        for (uint32_t b = 0; b < nf; b++) {
            if (map[b] == CFS_F_UNKNOWN) continue;
            if (any >> b & 1) k.any |= CFS_PRES_BIT(map[b]);
            if (all >> b & 1) k.all |= CFS_PRES_BIT(map[b]);
        }
        int created;
        cfs_pres_row *d = cfs_kmap_get(&s->agg.present, &k, &created);
        if (!created)
            r_fail(r, "field presence of a distribution listed twice (%llu)", (unsigned long long)i);
        else *d = k;
    }
    return CFS_OK;
}

/* SAMP (schema 7 on; see w_sampling): ascending distinct values 0..101.  Schema 3 to 5
 * read standard logs only, which are not sampled; schema 6 read real-time logs too but
 * kept no rate, so its runs, and those of a state ending before SAMP, are of a rate not
 * known. */
static cfs_status r_sampling(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r->schema < 6) {
        cfs_sampling_add(&s->sampling, CFS_SAMPLING_NONE);
        return CFS_OK;
    }
    if (r->schema < 7 || r_at_end(r)) {
        cfs_sampling_add(&s->sampling, CFS_SAMPLING_UNKNOWN);
        return CFS_OK;
    }
    if (!r_tag(r, TAG('S', 'A', 'M', 'P'), &n, CFS_SAMPLING_UNKNOWN + 1, 1)) return CFS_OK;
    int last = -1;
    for (uint64_t i = 0; i < n && !r->bad; i++) {
        int v = (int)r_le(r, 1);
        if (!r->bad && (v <= last || v > CFS_SAMPLING_UNKNOWN))
            r_fail(r, "sampling rate %d out of order or above %d", v, CFS_SAMPLING_UNKNOWN);
        cfs_sampling_add(&s->sampling, v);
        last = v;
    }
    return CFS_OK;
}

/* RPRV (optional: states written before it have none, and then RULE's table is the one
 * the verdicts came from). */
static cfs_status r_provenance(rd *r, cfs_summary *s)
{
    uint64_t n;
    if (r_at_end(r)) return CFS_OK;
    if (!r_tag(r, TAG('R', 'P', 'R', 'V'), &n, 1, 8)) return CFS_OK;
    if (n != 1) {
        r_fail(r, "section RPRV holds %llu records, not 1", (unsigned long long)n);
        return CFS_OK;
    }
    uint64_t fp = r_le(r, 8);
    if (!r->bad && fp == 0) r_fail(r, "section RPRV names no rule table");
    if (!r->bad) s->rules_fp = fp;
    return CFS_OK;
}

/* The sections after RULE, in file order (the layout at the top of this file). */
static cfs_status (*const k_state_readers[])(rd *, cfs_summary *) = {
    r_traffic, r_groups, r_heavy,  r_origins,  r_origin_refs, r_waf,      r_inputs,     r_evidence,
    r_facts,   r_pages,  r_events, r_deferred, r_presence,    r_sampling, r_provenance,
};

/* The checks before the payload is read: size, magic, schema version, trailer and the
 * checksum over everything before the trailer; *len is the file's size, *raw the payload
 * length the header declares. */
static cfs_status state_check(int fd, const char *path, uint64_t *len, uint64_t *raw, uint32_t *schema_out,
                              char *err, size_t errlen)
{
    struct stat sb;
    memset(&sb, 0, sizeof sb);
    if (fstat(fd, &sb) != 0 || sb.st_size < 36) {
        snprintf(err, errlen, "%s: state file is truncated (%lld bytes)", path, (long long)sb.st_size);
        return CFS_E_TRUNCATED;
    }
    *len = (uint64_t)sb.st_size;
    unsigned char head[20], tr[16];
    if (pread(fd, head, 20, 0) != 20 || pread(fd, tr, 16, (off_t)(*len - 16)) != 16) {
        snprintf(err, errlen, "%s: read failed", path);
        return CFS_E_IO;
    }
    if (memcmp(head, "CFSSTATE", 8) != 0) {
        snprintf(err, errlen, "%s: not a cfscan state file", path);
        return CFS_E_FORMAT;
    }
    uint32_t schema = (uint32_t)cfs_le_get(head + 8, 4);
    if (schema < CFS_SUMMARY_SCHEMA_MIN || schema > CFS_SUMMARY_SCHEMA) {
        snprintf(
            err, errlen,
            "%s: summary schema version %u, this cfscan reads versions %u to %u; rescan or use a matching cfscan",
            path, schema, CFS_SUMMARY_SCHEMA_MIN, CFS_SUMMARY_SCHEMA);
        return CFS_E_FORMAT;
    }
    *schema_out = schema;
    uint64_t want = cfs_le_get(tr + 8, 8), got = 0;
    if (memcmp(tr, "CFSSEND!", 8) != 0) {
        snprintf(err, errlen, "%s: state file is truncated (no trailer)", path);
        return CFS_E_TRUNCATED;
    }
    int hr = hash_fd(fd, *len - 16, &got);
    if (hr == -2) {
        snprintf(err, errlen, "%s: out of memory %s", path, cfs_nomem_what());
        return CFS_E_NOMEM;
    }
    if (hr != 0) {
        snprintf(err, errlen, "%s: read failed", path);
        return CFS_E_IO;
    }
    if (got != want) {
        snprintf(err, errlen, "%s: state file is corrupt (checksum mismatch)", path);
        return CFS_E_CORRUPT;
    }
    *raw = cfs_le_get(head + 12, 8);
    return CFS_OK;
}

/* A stdio stream over the zstd payload that starts at byte 20 of fd (len bytes in all);
 * NULL and *st set when it cannot be made. */
static FILE *state_stream(int fd, uint64_t len, zstream **zp, cfs_status *st, const char *path, char *err,
                          size_t errlen)
{
    /* The payload streams through zstd: neither it nor its compressed bytes are held. */
    zstream *z = calloc(1, sizeof *z);
    if (z) z->dc = ZSTD_createDCtx();
    if (!z || !z->dc) {
        free(z);
        snprintf(err, errlen, "%s: out of memory", path);
        *st = CFS_E_NOMEM;
        return NULL;
    }
    z->fd = fd;
    z->left = len - 36;
    cookie_io_functions_t io = {zs_read, NULL, NULL, NULL};
    FILE *f = lseek(fd, 20, SEEK_SET) == 20 ? fopencookie(z, "r", io) : NULL;
    /* our buffer, of a known size: r_left relies on it */
    if (f && setvbuf(f, z->sbuf, _IOFBF, sizeof z->sbuf) != 0) {
        fclose(f);
        f = NULL;
    }
    if (!f) {
        ZSTD_freeDCtx(z->dc);
        free(z);
        snprintf(err, errlen, "%s: read failed", path);
        *st = CFS_E_IO;
        return NULL;
    }
    *zp = z;
    return f;
}

/* The state file at path opened (*fd, -1 when it could not be) and checked (state_check's
 * values and status). */
static cfs_status state_open(const char *path, int *fd, uint64_t *len, uint64_t *raw, uint32_t *schema,
                             char *err, size_t errlen)
{
    /* `merge` reads summaries other people made: a FIFO here must fail, not block. */
    char why[128];
    *fd = cfs_open_regular(path, why, sizeof why);
    if (*fd < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return CFS_E_IO;
    }
    return state_check(*fd, path, len, raw, schema, err, errlen);
}

cfs_status cfs_state_verify(const char *path, char *err, size_t errlen)
{
    int fd;
    uint64_t len = 0, raw = 0;
    uint32_t schema = 0;
    cfs_status st = state_open(path, &fd, &len, &raw, &schema, err, errlen);
    if (fd >= 0) close(fd);
    return st;
}

cfs_status cfs_state_read(cfs_summary *s, const char *path, char *err, size_t errlen)
{
    cfs_summary_init(s);
    int fd;
    uint64_t len = 0, raw = 0;
    uint32_t schema = 0;
    cfs_status st = state_open(path, &fd, &len, &raw, &schema, err, errlen);
    if (fd < 0) return st;
    zstream *z = NULL;
    FILE *f = st == CFS_OK ? state_stream(fd, len, &z, &st, path, err, errlen) : NULL;
    if (!f) {
        close(fd);
        return st;
    }
    rd r = {f, 0, z, raw, 0, 0, "", NULL, 0, schema, 0};
    r.budget = len > STATE_BUDGET_MIN / STATE_BUDGET_PER_BYTE ? len * STATE_BUDGET_PER_BYTE
                                                              : STATE_BUDGET_MIN;
    uint16_t *rule_map = NULL;
    st = r_rules(&r, &rule_map, path, err, errlen);
    s->rules_fp = r.rules_fp; /* RPRV, when there, says more (r_provenance) */
    s->rules_known = 1;
    for (size_t i = 0; i < sizeof k_state_readers / sizeof k_state_readers[0] && !r.bad && st == CFS_OK; i++)
        st = k_state_readers[i](&r, s);
    /* an allocation that failed on the way (a table that could not grow) fails the read */
    if (cfs_nomem_failed() && (st == CFS_OK || r.bad)) st = CFS_E_NOMEM, r.bad = 0;
    int trailing = !r.bad && st == CFS_OK && fgetc(r.f) != EOF;
    fclose(r.f);
    /* the whole frame, exactly the length the header gives */
    int payload_ok = !z->failed && z->frame_done && z->raw == raw && z->used == z->avail && z->left == 0;
    ZSTD_freeDCtx(z->dc);
    free(z);
    close(fd);
    free(rule_map);
    if (st == CFS_OK && !r.bad && !trailing && !payload_ok) {
        snprintf(err, errlen, "%s: state file is corrupt (payload does not decompress)", path);
        cfs_summary_free(s);
        return CFS_E_CORRUPT;
    }
    if (st != CFS_OK || r.bad || trailing) {
        if (st == CFS_E_NOMEM)
            snprintf(err, errlen, "%s: out of memory reading the state file%s%s", path,
                     cfs_nomem_what()[0] ? ": " : "", cfs_nomem_what());
        else if (st == CFS_OK || st == CFS_E_TRUNCATED || st == CFS_E_CORRUPT || st == CFS_E_UNSUPPORTED)
            snprintf(err, errlen, "%s: state file is corrupt (%s)", path,
                     r.why[0]     ? r.why
                     : payload_ok ? "inconsistent section"
                                  : "payload does not decompress");
        cfs_summary_free(s);
        return st != CFS_OK ? st : CFS_E_CORRUPT;
    }
    cfs_sum_rows_check(s);
    if (s->rows_failed[0]) {
        snprintf(err, errlen, "%s: %s", path, s->rows_failed);
        cfs_summary_free(s);
        return CFS_E_IO;
    }
    return CFS_OK;
}

uint64_t cfs_state_digest(const char *path)
{
    /* not blocking on a FIFO or a device named state.cfs: only a regular file is read */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    uint8_t tr[16];
    uint64_t d = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 16 &&
        pread(fd, tr, sizeof tr, st.st_size - 16) == (ssize_t)sizeof tr && memcmp(tr, "CFSSEND!", 8) == 0)
        d = cfs_le_get(tr + 8, 8);
    close(fd);
    return d;
}
