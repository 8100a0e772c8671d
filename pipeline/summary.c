/* Summary sink: Parquet tables, report files, manifest and the exact aggregate state,
 * published atomically; and the state reader and merge behind `cfscan merge`.
 *
 * state.cfs layout (little-endian), schema CFS_SUMMARY_SCHEMA:
 *   "CFSSTATE" u32 schema u64 payload_len
 *   zstd frame of the payload: sections u32 tag, u64 count, records...
 *                              (RULE, STRS, TRAF (columns), GRPS, HEAV, ORIG, ORGL, WAFR, FILE),
 *                              u64 pruned
 *   "CFSSEND!" u64 XXH3-64 of every byte before this trailer
 * The payload is zstd-compressed (traffic rows repeat distribution and edge strings) and
 * streamed both ways, so neither writing nor reading holds it whole: the FILE section
 * grows with the number of inputs (about 230 bytes each before compression).
 * Rule ids are stored with their names (RULE) and mapped back by name on reading, so a
 * reordered rule table cannot silently change causes. */
#include "pipeline/summary.h"
#include "pipeline/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "pipeline/parquet.h"
#include "pipeline/report.h"
#include "pipeline/sketch_io.h"
#include "pipeline/waf.h"

#define TAG(a, b, c, d) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* ---- building ------------------------------------------------------------------------------ */
void cfs_summary_init(cfs_summary *s)
{
    memset(s, 0, sizeof *s);
    cfs_agg_init(&s->agg);
}

static void put_input(FILE *f, const cfs_sum_input *x);
static int get_input(FILE *f, cfs_sum_input *x);

/* The per-input rows live in an unlinked temporary file, in their state.cfs encoding:
 * ten million inputs cost disk (about 230 bytes each), not memory. */
static FILE *rows_file(cfs_summary *s)
{
    if (!s->rows) {
        const char *dir = getenv("TMPDIR");
        if (!dir || !*dir) dir = "/tmp";
        size_t n = strlen(dir) + 32;
        char *tmpl = cfs_xmalloc(n);
        snprintf(tmpl, n, "%s/cfscan-rows.XXXXXX", dir);
        int fd = mkostemp(tmpl, O_CLOEXEC);
        if (fd >= 0) {
            unlink(tmpl);
            s->rows = fdopen(fd, "w+b");
            if (!s->rows) close(fd);
        }
        if (!s->rows) {
            fprintf(stderr, "cfscan: cannot create a temporary file in %s for the summary's input rows: %s\n",
                    dir, strerror(errno));
            exit(1);
        }
        free(tmpl);
    }
    return s->rows;
}

static void rows_check(cfs_summary *s)
{
    if (s->rows && (fflush(s->rows) != 0 || ferror(s->rows))) {
        fprintf(stderr, "cfscan: writing the summary's input rows to a temporary file failed: %s\n",
                strerror(errno ? errno : EIO));
        exit(1);
    }
}

/* Append every row of `rows` to `to`; `rows` stays positioned for appending.  0 or -1
 * when reading the rows failed (write errors show on `to`). */
static int rows_copy(FILE *rows, FILE *to)
{
    char buf[1 << 16];
    size_t k;
    if (fflush(rows) != 0 || fseek(rows, 0, SEEK_SET) != 0) return -1;
    while ((k = fread(buf, 1, sizeof buf, rows)) > 0) fwrite(buf, 1, k, to);
    int bad = ferror(rows);
    fseek(rows, 0, SEEK_END);
    return bad ? -1 : 0;
}

void cfs_summary_add_input(void *summary, const cfs_input *in, const cfs_file_stats *st)
{
    cfs_summary *s = summary;
    cfs_sum_input x;
    memset(&x, 0, sizeof x);
    x.path = in->path;
    memcpy(x.dist, in->dist, CFS_DIST_MAX);
    x.size = in->size;
    x.mtime = in->mtime;
    x.st = *st;
    put_input(rows_file(s), &x);
    s->ninputs++;
}

int cfs_summary_inputs_begin(const cfs_summary *s)
{
    if (!s->rows) return 0;
    if (fflush(s->rows) != 0 || fseek(s->rows, 0, SEEK_SET) != 0) return -1;
    return 0;
}

int cfs_summary_inputs_next(const cfs_summary *s, cfs_sum_input *x)
{
    if (!s->rows) return 0;
    int rc = get_input(s->rows, x);
    if (rc <= 0) fseek(s->rows, 0, SEEK_END); /* later rows append */
    return rc;
}

void cfs_summary_from_scan(cfs_summary *s, const cfs_scan_result *res, const void *waf_index)
{
    cfs_agg_merge(&s->agg, &res->agg);
    cfs_agg_fold_heavy(&s->agg, &res->agg);
    s->pruned += res->ledger.pruned;
    const cfs_waf_index *w = waf_index;
    if (w) {
        /* the rules, then the notes' reserved names: every id a cfs_wrow.rule can hold */
        s->nwaf_rules = cfs_waf_name_count(w);
        s->waf_rules = cfs_xmalloc((s->nwaf_rules ? s->nwaf_rules : 1) * sizeof *s->waf_rules);
        for (size_t i = 0; i < s->nwaf_rules; i++) s->waf_rules[i] = cfs_xstrdup(cfs_waf_name(w, (uint32_t)i));
    }
}

void cfs_summary_free(cfs_summary *s)
{
    cfs_agg_free(&s->agg);
    if (s->rows) fclose(s->rows);
    for (size_t i = 0; i < s->nwaf_rules; i++) free(s->waf_rules[i]);
    free(s->waf_rules);
    free(s->waf_slot);
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

static uint32_t waf_rule_id(cfs_summary *s, const char *name)
{
    /* Names set by cfs_summary_from_scan or read so far join the index first; it is
     * kept at most half full, so probe runs stay short. */
    if ((s->nwaf_rules + 1) * 2 > s->waf_slot_cap) {
        size_t cap = s->waf_slot_cap ? s->waf_slot_cap : 64;
        while ((s->nwaf_rules + 1) * 2 > cap) cap *= 2;
        free(s->waf_slot);
        s->waf_slot = cfs_xcalloc(cap, sizeof *s->waf_slot);
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
        s->waf_cap = s->nwaf_rules < 8 ? 16 : s->nwaf_rules * 2;
        s->waf_rules = cfs_xrealloc(s->waf_rules, s->waf_cap * sizeof *s->waf_rules);
    }
    s->waf_rules[s->nwaf_rules] = cfs_xstrdup(name);
    s->waf_slot[j] = (uint32_t)s->nwaf_rules + 1;
    s->waf_indexed = ++s->nwaf_rules;
    return (uint32_t)(s->nwaf_rules - 1);
}

void cfs_summary_merge(cfs_summary *dst, const cfs_summary *src)
{
    /* WAF rule ids are per summary: re-key src's rows by name before merging. */
    for (size_t i = 0; i < src->agg.waf.n; i++) {
        const cfs_wrow *w = cfs_kmap_row(&src->agg.waf, i);
        cfs_wrow k = *w;
        k.count = 0;
        k.rule = waf_rule_id(dst, w->rule < src->nwaf_rules ? src->waf_rules[w->rule] : "?");
        cfs_wrow *d = cfs_kmap_get(&dst->agg.waf, &k, NULL);
        d->count += w->count;
    }
    cfs_agg shallow = src->agg; /* read-only view without the WAF table, merged above */
    cfs_kmap_init(&shallow.waf, CFS_KEY_STR + 8, sizeof(cfs_wrow));
    cfs_agg_merge(&dst->agg, &shallow);
    cfs_agg_fold_heavy(&dst->agg, &src->agg);
    if (src->rows) {
        /* The rows are self-delimiting records: append src's bytes. */
        if (rows_copy(src->rows, rows_file(dst)) != 0) {
            fprintf(stderr, "cfscan: reading a temporary file failed: %s\n", strerror(errno ? errno : EIO));
            exit(1);
        }
        rows_check(dst);
    }
    dst->ninputs += src->ninputs;
    dst->pruned += src->pruned;
}

void cfs_summary_as_result(const cfs_summary *s, cfs_scan_result *res)
{
    memset(res, 0, sizeof *res);
    res->nfiles = s->ninputs;
    cfs_sum_input x;
    if (cfs_summary_inputs_begin(s) == 0)
        while (cfs_summary_inputs_next(s, &x) > 0) {
            cfs_ledger_file(&res->ledger, x.path, &x.st);
            free(x.path);
        }
    res->ledger.pruned = s->pruned;
    cfs_agg_init(&res->agg);
    cfs_agg_merge(&res->agg, &s->agg);
    cfs_agg_fold_heavy(&res->agg, &s->agg);
}

static int cmp_trow(const void *a, const void *b);
static void **sorted_rows(const cfs_kmap *m, int (*cmp)(const void *, const void *));

/* ---- state writer ------------------------------------------------------------------------------ */
static void w_u8(FILE *f, uint8_t v) { fputc(v, f); }
static void w_u16(FILE *f, uint16_t v) { uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; fwrite(b, 1, 2, f); }
static void w_u32(FILE *f, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    fwrite(b, 1, 4, f);
}
static void w_u64(FILE *f, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    fwrite(b, 1, 8, f);
}
static void w_str(FILE *f, const char *s, size_t n)
{
    w_u32(f, (uint32_t)n);
    fwrite(s, 1, n, f);
}

static void w_gkey(FILE *f, const cfs_gkey *k)
{
    fwrite(k->dist, 1, CFS_KEY_STR, f);
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
    char sbuf[8192];        /* reader: the stdio buffer over the stream (see r_left) */
    size_t avail, used;     /* reader: compressed bytes in buf, and consumed */
    uint64_t left;          /* reader: compressed bytes not yet read from fd */
    uint64_t raw;           /* uncompressed bytes through the stream */
    uint64_t packed;        /* writer: compressed bytes written */
    int failed, saved_errno, frame_done;
} zstream;

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int zs_push(zstream *z, const char *p, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {z->buf, sizeof z->buf, 0};
        size_t left = ZSTD_compressStream2(z->cc, &out, &in, mode);
        if (ZSTD_isError(left)) return -1;
        if (write_all(z->fd, z->buf, out.pos) != 0) {
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

/* XXH3-64 of bytes [0, n) of fd, read in pieces. */
static int hash_fd(int fd, uint64_t n, uint64_t *h)
{
    XXH3_state_t *x = XXH3_createState();
    if (!x) return -1;
    XXH3_64bits_reset(x);
    char *buf = cfs_xmalloc(1 << 20);
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

cfs_status cfs_state_write(const cfs_summary *s, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    char head[20];
    memcpy(head, "CFSSTATE", 8);
    for (int i = 0; i < 4; i++) head[8 + i] = (char)(CFS_SUMMARY_SCHEMA >> (8 * i));
    memset(head + 12, 0, 8); /* payload length, patched once known */
    zstream *z = cfs_xcalloc(1, sizeof *z);
    z->fd = fd;
    z->cc = ZSTD_createCCtx();
    if (!z->cc) exit(1);
    ZSTD_CCtx_setParameter(z->cc, ZSTD_c_compressionLevel, 3);
    cookie_io_functions_t io = {NULL, zs_write, NULL, NULL};
    FILE *f = write_all(fd, head, 20) == 0 ? fopencookie(z, "w", io) : NULL;
    if (!f) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        ZSTD_freeCCtx(z->cc);
        free(z);
        close(fd);
        return CFS_E_IO;
    }
    const cfs_agg *a = &s->agg;
    unsigned nr = cfs_rule_count();
    w_u32(f, TAG('R', 'U', 'L', 'E'));
    w_u64(f, nr);
    for (unsigned i = 0; i < nr; i++) w_str(f, cfs_rule_name((uint16_t)i), strlen(cfs_rule_name((uint16_t)i)));
    /* Traffic rows, column by column in key order, with distribution and edge strings
     * given once in a string table: the columns compress far better than rows (about
     * 4x on generated data) and the state stays a small part of the summary. */
    size_t n = a->traffic.n;
    void **rows = sorted_rows(&a->traffic, cmp_trow);
    cfs_kmap strs;
    cfs_kmap_init(&strs, CFS_KEY_STR, CFS_KEY_STR + 8);
    uint32_t *ids = cfs_xmalloc((2 * n + 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        const cfs_trow *t = rows[i];
        const char *two[2] = {t->k.dist, t->k.edge};
        for (int j = 0; j < 2; j++) {
            int created;
            char *row = cfs_kmap_get(&strs, two[j], &created);
            uint32_t id;
            if (created) {
                id = (uint32_t)(strs.n - 1);
                memcpy(row + CFS_KEY_STR, &id, 4);
            }
            memcpy(&id, row + CFS_KEY_STR, 4);
            ids[2 * i + (size_t)j] = id;
        }
    }
    w_u32(f, TAG('S', 'T', 'R', 'S'));
    w_u64(f, strs.n);
    for (size_t i = 0; i < strs.n; i++) {
        const char *str = cfs_kmap_row(&strs, i);
        w_str(f, str, strnlen(str, CFS_KEY_STR - 1));
    }
    w_u32(f, TAG('T', 'R', 'A', 'F'));
    w_u64(f, n);
    for (size_t i = 0; i < n; i++) w_u32(f, ids[2 * i]);
    for (size_t i = 0; i < n; i++) w_u32(f, ids[2 * i + 1]);
    for (size_t i = 0; i < n; i++) w_u64(f, (uint64_t)((const cfs_trow *)rows[i])->k.hour);
    for (size_t i = 0; i < n; i++) w_u16(f, ((const cfs_trow *)rows[i])->k.status);
    for (size_t i = 0; i < n; i++) w_u16(f, ((const cfs_trow *)rows[i])->k.rule);
    for (size_t i = 0; i < n; i++) w_u8(f, ((const cfs_trow *)rows[i])->k.cause);
    for (size_t i = 0; i < n; i++) w_u8(f, ((const cfs_trow *)rows[i])->k.evidence);
    for (size_t i = 0; i < n; i++) w_u8(f, ((const cfs_trow *)rows[i])->k.lat_class);
    for (size_t i = 0; i < n; i++) w_u64(f, ((const cfs_trow *)rows[i])->requests);
    for (size_t i = 0; i < n; i++) w_u64(f, ((const cfs_trow *)rows[i])->bytes);
    free(ids);
    free(rows);
    cfs_kmap_free(&strs);
    cfs_status st = CFS_OK;
    w_u32(f, TAG('G', 'R', 'P', 'S'));
    w_u64(f, a->groups.n);
    for (size_t i = 0; i < a->groups.n && st == CFS_OK; i++) {
        const cfs_grow *g = cfs_kmap_row(&a->groups, i);
        w_gkey(f, &g->k);
        if ((st = cfs_hist_write(f, &g->g->tt)) == CFS_OK && (st = cfs_hist_write(f, &g->g->ttfb)) == CFS_OK)
            st = cfs_hll_write(f, &g->g->clients);
    }
    w_u32(f, TAG('H', 'E', 'A', 'V'));
    w_u64(f, a->heavy.n);
    for (size_t i = 0; i < a->heavy.n && st == CFS_OK; i++) {
        const cfs_hrow *h = cfs_kmap_row(&a->heavy, i);
        w_gkey(f, &h->k);
        if ((st = cfs_topk_write(f, h->uris)) == CFS_OK) st = cfs_topk_write(f, h->ips);
    }
    w_u32(f, TAG('O', 'R', 'I', 'G'));
    w_u64(f, a->origin.n);
    for (size_t i = 0; i < a->origin.n && st == CFS_OK; i++) {
        const cfs_orow *o = cfs_kmap_row(&a->origin, i);
        fwrite(o->dist, 1, CFS_KEY_STR, f);
        st = cfs_hist_write(f, o->h);
        w_u64(f, o->ttfb);
    }
    w_u32(f, TAG('O', 'R', 'G', 'L'));
    w_u64(f, a->olabel.n);
    for (size_t i = 0; i < a->olabel.n && st == CFS_OK; i++) {
        const cfs_lrow *o = cfs_kmap_row(&a->olabel, i);
        fwrite(o->dist, 1, CFS_KEY_STR, f);
        fwrite(o->label, 1, CFS_KEY_STR, f);
        st = cfs_hist_write(f, o->h);
        w_u64(f, o->ttfb);
    }
    w_u32(f, TAG('W', 'A', 'F', 'R'));
    w_u64(f, a->waf.n);
    for (size_t i = 0; i < a->waf.n; i++) {
        const cfs_wrow *w = cfs_kmap_row(&a->waf, i);
        const char *nm = w->rule < s->nwaf_rules ? s->waf_rules[w->rule] : "?";
        fwrite(w->dist, 1, CFS_KEY_STR, f);
        w_str(f, nm, strlen(nm));
        w_u64(f, w->count);
    }
    w_u32(f, TAG('F', 'I', 'L', 'E'));
    w_u64(f, s->ninputs);
    /* the rows are already in this encoding: copy them */
    if (s->rows && rows_copy(s->rows, f) != 0) st = CFS_E_IO;
    w_u64(f, s->pruned);
    int ok = fflush(f) == 0 && !z->failed && st == CFS_OK;
    fclose(f);
    ok = ok && zs_push(z, NULL, 0, ZSTD_e_end) == 0;
    /* header with the payload length, then the checksum over header and payload */
    for (int i = 0; i < 8; i++) head[12 + i] = (char)(z->raw >> (8 * i));
    uint64_t h = 0;
    ok = ok && pwrite(fd, head, 20, 0) == 20 && hash_fd(fd, 20 + z->packed, &h) == 0;
    uint8_t trailer[16];
    memcpy(trailer, "CFSSEND!", 8);
    for (int i = 0; i < 8; i++) trailer[8 + i] = (uint8_t)(h >> (8 * i));
    ok = ok && pwrite(fd, trailer, 16, (off_t)(20 + z->packed)) == 16 && fsync(fd) == 0;
    int saved = z->saved_errno ? z->saved_errno : errno;
    ZSTD_freeCCtx(z->cc);
    free(z);
    close(fd);
    if (!ok) {
        if (st != CFS_OK && st != CFS_E_IO)
            snprintf(err, errlen, "%s: cannot encode state: %s", path, cfs_status_str(st));
        else
            snprintf(err, errlen, "%s: write failed: %s", path, strerror(saved ? saved : EIO));
        return st != CFS_OK ? st : CFS_E_IO;
    }
    return CFS_OK;
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
    const zstream *z;      /* NULL for the summary's own temporary rows */
    uint64_t raw;          /* payload length the header declares */
    uint64_t charged, budget;
    char why[160];         /* the first reason a check failed, for the message */
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
        r_fail(r, "implausible: reading it would take more than %llu MiB, the limit for a state file of this size",
               (unsigned long long)(r->budget >> 20));
    return !r->bad;
}

static uint64_t r_le(rd *r, int n)
{
    uint8_t b[8] = {0};
    if (fread(b, 1, (size_t)n, r->f) != (size_t)n) r->bad = 1;
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static char *r_str(rd *r, size_t max)
{
    uint32_t n = (uint32_t)r_le(r, 4);
    if (r->bad || n > max) {
        r->bad = 1;
        return NULL;
    }
    char *s = cfs_xmalloc(n + 1);
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

static void r_gkey(rd *r, cfs_gkey *k, const uint16_t *rule_map, uint64_t nrules)
{
    memset(k, 0, sizeof *k);
    r_fixed(r, k->dist, CFS_KEY_STR);
    uint16_t rule = (uint16_t)r_le(r, 2);
    k->cause = (uint8_t)r_le(r, 1);
    k->lat_class = (uint8_t)r_le(r, 1);
    if (rule >= nrules || k->cause >= CFS_CAUSE_COUNT) r->bad = 1;
    else k->rule = rule ? rule_map[rule] : 0;
}

/* One input row (the FILE section record and the summary's temporary rows). */
static void put_input(FILE *f, const cfs_sum_input *x)
{
    w_str(f, x->path, strlen(x->path));
    w_str(f, x->dist, strnlen(x->dist, CFS_DIST_MAX - 1));
    w_u64(f, x->size);
    w_u64(f, (uint64_t)x->mtime);
    w_stats(f, &x->st);
}

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
    if (r_le(r, 4) != CFS_REJ_COUNT) r->bad = 1;
    for (int k = 0; k < CFS_REJ_COUNT; k++) fs->rejected[k] = r_le(r, 8);
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

static int get_input(FILE *f, cfs_sum_input *x)
{
    rd r = {f, 0, NULL, 0, 0, 0, ""};
    return get_input_rd(&r, x);
}

cfs_status cfs_state_read(cfs_summary *s, const char *path, char *err, size_t errlen)
{
    cfs_summary_init(s);
    /* `merge` reads summaries other people made: a FIFO here must fail, not block. */
    char why[128];
    int fd = cfs_open_regular(path, why, sizeof why);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return CFS_E_IO;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size < 36) {
        close(fd);
        snprintf(err, errlen, "%s: state file is truncated (%lld bytes)", path, (long long)sb.st_size);
        return CFS_E_TRUNCATED;
    }
    uint64_t len = (uint64_t)sb.st_size;
    unsigned char head[20], tr[16];
    if (pread(fd, head, 20, 0) != 20 || pread(fd, tr, 16, (off_t)(len - 16)) != 16) {
        close(fd);
        snprintf(err, errlen, "%s: read failed", path);
        return CFS_E_IO;
    }
    if (memcmp(head, "CFSSTATE", 8) != 0) {
        close(fd);
        snprintf(err, errlen, "%s: not a cfscan state file", path);
        return CFS_E_FORMAT;
    }
    uint32_t schema = (uint32_t)head[8] | (uint32_t)head[9] << 8 | (uint32_t)head[10] << 16 | (uint32_t)head[11] << 24;
    if (schema != CFS_SUMMARY_SCHEMA) {
        close(fd);
        snprintf(err, errlen, "%s: summary schema version %u, this cfscan reads version %u; rescan or use a matching cfscan",
                 path, schema, CFS_SUMMARY_SCHEMA);
        return CFS_E_FORMAT;
    }
    uint64_t want = 0, got = 0;
    for (int i = 7; i >= 0; i--) want = want << 8 | tr[8 + i];
    if (memcmp(tr, "CFSSEND!", 8) != 0) {
        close(fd);
        snprintf(err, errlen, "%s: state file is truncated (no trailer)", path);
        return CFS_E_TRUNCATED;
    }
    if (hash_fd(fd, len - 16, &got) != 0) {
        close(fd);
        snprintf(err, errlen, "%s: read failed", path);
        return CFS_E_IO;
    }
    if (got != want) {
        close(fd);
        snprintf(err, errlen, "%s: state file is corrupt (checksum mismatch)", path);
        return CFS_E_CORRUPT;
    }
    uint64_t raw = 0;
    for (int i = 7; i >= 0; i--) raw = raw << 8 | head[12 + i];
    /* The payload streams through zstd: neither it nor its compressed bytes are held. */
    zstream *z = calloc(1, sizeof *z);
    if (z) z->dc = ZSTD_createDCtx();
    if (!z || !z->dc) {
        free(z);
        close(fd);
        snprintf(err, errlen, "%s: out of memory", path);
        return CFS_E_NOMEM;
    }
    z->fd = fd;
    z->left = len - 36;
    cookie_io_functions_t io = {zs_read, NULL, NULL, NULL};
    rd r = {lseek(fd, 20, SEEK_SET) == 20 ? fopencookie(z, "r", io) : NULL, 0, z, raw, 0, 0, ""};
    /* our buffer, of a known size: r_left relies on it */
    if (r.f && setvbuf(r.f, z->sbuf, _IOFBF, sizeof z->sbuf) != 0) {
        fclose(r.f);
        r.f = NULL;
    }
    if (!r.f) {
        ZSTD_freeDCtx(z->dc);
        free(z);
        close(fd);
        snprintf(err, errlen, "%s: read failed", path);
        return CFS_E_IO;
    }
    r.budget = len > STATE_BUDGET_MIN / STATE_BUDGET_PER_BYTE ? len * STATE_BUDGET_PER_BYTE : STATE_BUDGET_MIN;
    uint64_t n;
    uint16_t *rule_map = NULL;
    uint64_t nrules = 0;
    cfs_status st = CFS_OK;
    /* Smallest records (see cfs_state_write): a name is a u32 length; a traffic row
     * 39 bytes over its columns; a group key 44 bytes plus two histogram blobs of 21
     * and a HyperLogLog blob of 20; a heavy-hitter record the key and two top-k blobs of
     * 23; an origin row 40 + 21 + 8; a WAF row 40 + 4 + 8; an input row two lengths, 23
     * u64, the reject count and the two status bytes. */
    enum {
        MIN_NAME = 4, MIN_TRAF = 39, MIN_GKEY = CFS_KEY_STR + 4, MIN_HIST = 21, MIN_HLL = 20, MIN_TOPK = 23,
        MIN_GRPS = MIN_GKEY + 2 * MIN_HIST + MIN_HLL, MIN_HEAV = MIN_GKEY + 2 * MIN_TOPK,
        MIN_ORIG = CFS_KEY_STR + MIN_HIST + 8, MIN_ORGL = 2 * CFS_KEY_STR + MIN_HIST + 8,
        MIN_WAFR = CFS_KEY_STR + 4 + 8,
        MIN_FILE = 4 + 4 + 8 * (11 + CFS_REJ_COUNT) + 4 + 2 + 4
    };
    if (r_tag(&r, TAG('R', 'U', 'L', 'E'), &nrules, 65535, MIN_NAME)) {
        rule_map = malloc((nrules ? nrules : 1) * sizeof *rule_map);
        if (!rule_map) st = CFS_E_NOMEM;
        for (uint64_t i = 0; rule_map && i < nrules && !r.bad; i++) {
            char *nm = r_str(&r, 256);
            rule_map[i] = 0;
            int found = 0;
            for (unsigned k = 0; nm && k < cfs_rule_count(); k++)
                if (!strcmp(cfs_rule_name((uint16_t)k), nm)) {
                    rule_map[i] = (uint16_t)k;
                    found = 1;
                }
            if (nm && !found) {
                snprintf(err, errlen, "%s: attribution rule '%s' is unknown to this cfscan; rescan", path, nm);
                st = CFS_E_FORMAT;
                r.bad = 1;
            }
            free(nm);
        }
    }
    uint64_t nstr = 0;
    char (*strs)[CFS_KEY_STR] = NULL;
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('S', 'T', 'R', 'S'), &nstr, UINT32_MAX, MIN_NAME) &&
        r_charge(&r, nstr * CFS_KEY_STR)) {
        strs = calloc(nstr ? nstr : 1, CFS_KEY_STR);
        if (!strs) st = CFS_E_NOMEM;
        for (uint64_t i = 0; strs && i < nstr && !r.bad; i++) {
            char *x = r_str(&r, CFS_KEY_STR - 1);
            if (x) {
                memcpy(strs[i], x, strlen(x));
                free(x);
            }
        }
    }
    /* The rows are held while their columns arrive, then go into the traffic map: twice
     * a row, plus the map's slot. */
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('T', 'R', 'A', 'F'), &n, UINT32_MAX, MIN_TRAF) &&
        r_charge(&r, n * (2 * sizeof(cfs_trow) + 16))) {
        cfs_trow *rows = calloc(n ? n : 1, sizeof *rows);
        if (!rows) st = CFS_E_NOMEM;
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) {
            uint32_t d = (uint32_t)r_le(&r, 4);
            if (d >= nstr) r_fail(&r, "traffic row %llu: no string %u", (unsigned long long)i, d);
            else memcpy(rows[i].k.dist, strs[d], CFS_KEY_STR);
        }
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) {
            uint32_t e = (uint32_t)r_le(&r, 4);
            if (e >= nstr) r_fail(&r, "traffic row %llu: no string %u", (unsigned long long)i, e);
            else memcpy(rows[i].k.edge, strs[e], CFS_KEY_STR);
        }
        /* An hour is the start of an hour within cfscan's time range (types.h): anything
         * else is no key a scan writes, and would overflow hour * 1000 in the Parquet
         * writer (INT64_MAX once did). */
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) {
            int64_t h = (int64_t)r_le(&r, 8);
            if (!r.bad && (!cfs_time_in_range(h) || h % 3600 != 0))
                r_fail(&r, "traffic row %llu: hour %lld is not an hour between 1990 and 2100",
                       (unsigned long long)i, (long long)h);
            rows[i].k.hour = h;
        }
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) rows[i].k.status = (uint16_t)r_le(&r, 2);
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) {
            uint16_t rule = (uint16_t)r_le(&r, 2);
            if (rule >= nrules) r_fail(&r, "traffic row %llu: rule %u", (unsigned long long)i, rule);
            else rows[i].k.rule = rule_map[rule];
        }
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) rows[i].k.cause = (uint8_t)r_le(&r, 1);
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) rows[i].k.evidence = (uint8_t)r_le(&r, 1);
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) rows[i].k.lat_class = (uint8_t)r_le(&r, 1);
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) rows[i].requests = r_le(&r, 8);
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) rows[i].bytes = r_le(&r, 8);
        for (uint64_t i = 0; rows && i < n && !r.bad; i++) {
            if (rows[i].k.cause >= CFS_CAUSE_COUNT || rows[i].k.evidence >= CFS_EV_COUNT) {
                r_fail(&r, "traffic row %llu: cause %u, evidence %u", (unsigned long long)i, rows[i].k.cause,
                       rows[i].k.evidence);
                break;
            }
            cfs_trow *t = cfs_kmap_get(&s->agg.traffic, &rows[i].k, NULL);
            t->requests += rows[i].requests;
            t->bytes += rows[i].bytes;
        }
        free(rows);
    }
    free(strs);
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('G', 'R', 'P', 'S'), &n, UINT32_MAX, MIN_GRPS)) {
        for (uint64_t i = 0; i < n && !r.bad && st == CFS_OK; i++) {
            cfs_gkey k;
            r_gkey(&r, &k, rule_map, nrules);
            if (r.bad || !r_charge(&r, sizeof(cfs_group) + sizeof(cfs_grow) + 16)) break;
            int created;
            cfs_grow *g = cfs_kmap_get(&s->agg.groups, &k, &created);
            if (!created) {
                r_fail(&r, "group %llu listed twice", (unsigned long long)i);
                break;
            }
            /* a row without its group would crash cfs_agg_free's readers: fill it first */
            g->g = cfs_group_new();
            if ((st = cfs_hist_read(r.f, &g->g->tt)) == CFS_OK && (st = cfs_hist_read(r.f, &g->g->ttfb)) == CFS_OK)
                st = cfs_hll_read(r.f, &g->g->clients);
            if (st != CFS_OK && st != CFS_E_NOMEM)
                r_fail(&r, "group %llu: sketch blob refused (%s)", (unsigned long long)i, cfs_status_str(st));
        }
    }
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('H', 'E', 'A', 'V'), &n, UINT32_MAX, MIN_HEAV)) {
        cfs_agg one;
        cfs_agg_init(&one);
        for (uint64_t i = 0; i < n && !r.bad && st == CFS_OK; i++) {
            cfs_gkey k;
            r_gkey(&r, &k, rule_map, nrules);
            if (r.bad || !r_charge(&r, sizeof(cfs_hrow) + 16)) break;
            int created;
            cfs_hrow *h = cfs_kmap_get(&one.heavy, &k, &created);
            if (!created) {
                r_fail(&r, "top lists %llu listed twice", (unsigned long long)i);
                break;
            }
            /* Capacity: every top-k this cfscan builds or merges into has CFS_TOPK_CAPACITY
             * counters (aggregate.c), so a state holds no other.  A larger one would cost
             * its counters up front (65536 of them, 5 MB, for a 25-byte blob) only to be
             * cut down at the first merge, and a smaller one would go to the summary pool
             * (aggregate.c) and be reused as if full size: refuse both.  Payload: no more
             * than the budget has left. */
            for (int which = 0; which < 2 && st == CFS_OK && !r.bad; which++) {
                uint64_t room = r.budget - r.charged;
                cfs_topk *t = NULL;
                st = cfs_topk_read_limited(r.f, CFS_TOPK_CAPACITY, room < UINT32_MAX ? (uint32_t)room : UINT32_MAX, &t);
                if (st != CFS_OK) {
                    if (st != CFS_E_NOMEM)
                        r_fail(&r, "top lists %llu: top-k blob refused (%s; capacity must be %u)",
                               (unsigned long long)i, cfs_status_str(st), CFS_TOPK_CAPACITY);
                    break;
                }
                if (which) h->ips = t;
                else h->uris = t;
                if (cfs_topk_capacity(t) != CFS_TOPK_CAPACITY) {
                    r_fail(&r, "top list of capacity %u (this cfscan keeps %u)", cfs_topk_capacity(t),
                           CFS_TOPK_CAPACITY);
                    break;
                }
                /* its counters, table and keys, here and again once folded below; counters
                 * are allocated on demand, doubling up to the capacity (sketch.c), so what
                 * is held is the entries rounded up to a power of two */
                cfs_topk_item items[CFS_TOPK_CAPACITY];
                size_t m = cfs_topk_list(t, items, CFS_TOPK_CAPACITY);
                uint64_t keys = 0, held = 1;
                for (size_t j = 0; j < m; j++) keys += items[j].n + 1;
                while (held < m) held *= 2;
                r_charge(&r, 2 * (256 + held * 96 + keys));
            }
        }
        /* a half-read row (NULL summaries) is only ever freed: cfs_agg_free takes NULL */
        if (!r.bad && st == CFS_OK) cfs_agg_fold_heavy_take(&s->agg, &one);
        cfs_agg_free(&one);
    }
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('O', 'R', 'I', 'G'), &n, UINT32_MAX, MIN_ORIG)) {
        for (uint64_t i = 0; i < n && !r.bad && st == CFS_OK; i++) {
            char dist[CFS_KEY_STR];
            memset(dist, 0, sizeof dist);
            r_fixed(&r, dist, CFS_KEY_STR);
            if (r.bad || !r_charge(&r, sizeof(cfs_hist) + sizeof(cfs_orow) + 16)) break;
            int created;
            cfs_orow *o = cfs_kmap_get(&s->agg.origin, dist, &created);
            if (!created) {
                r_fail(&r, "origin histogram %llu listed twice", (unsigned long long)i);
                break;
            }
            o->h = cfs_hist_new();
            if ((st = cfs_hist_read(r.f, o->h)) != CFS_OK && st != CFS_E_NOMEM) {
                r_fail(&r, "origin histogram %llu: blob refused (%s)", (unsigned long long)i, cfs_status_str(st));
                break;
            }
            if (st != CFS_OK) break;
            o->ttfb = r_le(&r, 8);
            if (!r.bad && o->ttfb > o->h->count)
                r_fail(&r, "origin histogram %llu: %llu time-to-first-byte samples of %llu", (unsigned long long)i,
                       (unsigned long long)o->ttfb, (unsigned long long)o->h->count);
        }
    }
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('O', 'R', 'G', 'L'), &n, UINT32_MAX, MIN_ORGL)) {
        /* per-origin references (cfs_lrow), checked like the origin rows above */
        for (uint64_t i = 0; i < n && !r.bad && st == CFS_OK; i++) {
            cfs_lrow k;
            memset(&k, 0, sizeof k);
            r_fixed(&r, k.dist, CFS_KEY_STR);
            r_fixed(&r, k.label, CFS_KEY_STR);
            if (r.bad || !r_charge(&r, sizeof(cfs_hist) + sizeof(cfs_lrow) + 16)) break;
            int created;
            cfs_lrow *o = cfs_kmap_get(&s->agg.olabel, &k, &created);
            if (!created) {
                r_fail(&r, "origin reference %llu listed twice", (unsigned long long)i);
                break;
            }
            o->h = cfs_hist_new();
            if ((st = cfs_hist_read(r.f, o->h)) != CFS_OK && st != CFS_E_NOMEM) {
                r_fail(&r, "origin reference %llu: blob refused (%s)", (unsigned long long)i, cfs_status_str(st));
                break;
            }
            if (st != CFS_OK) break;
            o->ttfb = r_le(&r, 8);
            if (!r.bad && o->ttfb > o->h->count)
                r_fail(&r, "origin reference %llu: %llu time-to-first-byte samples of %llu", (unsigned long long)i,
                       (unsigned long long)o->ttfb, (unsigned long long)o->h->count);
        }
    }
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('W', 'A', 'F', 'R'), &n, UINT32_MAX, MIN_WAFR)) {
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            cfs_wrow k;
            memset(&k, 0, sizeof k);
            r_fixed(&r, k.dist, CFS_KEY_STR);
            char *nm = r_str(&r, 4096);
            if (!nm) break;
            if (!r_charge(&r, sizeof(cfs_wrow) + 16 + strlen(nm) + 1 + sizeof(char *))) {
                free(nm);
                break;
            }
            k.rule = waf_rule_id(s, nm);
            free(nm);
            int created;
            cfs_wrow *w = cfs_kmap_get(&s->agg.waf, &k, &created);
            if (!created) r_fail(&r, "WAF rule row %llu listed twice", (unsigned long long)i);
            w->count += r_le(&r, 8);
        }
    }
    /* The input rows go to a temporary file: disk, charged like memory (a genuine input
     * row compresses to a few dozen bytes, far inside the budget). */
    if (!r.bad && st == CFS_OK && r_tag(&r, TAG('F', 'I', 'L', 'E'), &n, UINT64_MAX, MIN_FILE)) {
        for (uint64_t i = 0; i < n && !r.bad; i++) {
            cfs_sum_input x;
            if (get_input_rd(&r, &x) <= 0) {
                r.bad = 1;
                break;
            }
            if (r_charge(&r, MIN_FILE + strlen(x.path) + strlen(x.dist) + strlen(x.st.error))) {
                put_input(rows_file(s), &x);
                s->ninputs++;
            }
            free(x.path);
        }
        s->pruned = r_le(&r, 8);
    }
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
            snprintf(err, errlen, "%s: out of memory reading the state file", path);
        else if (st == CFS_OK || st == CFS_E_TRUNCATED || st == CFS_E_CORRUPT || st == CFS_E_UNSUPPORTED)
            snprintf(err, errlen, "%s: state file is corrupt (%s)", path,
                     r.why[0] ? r.why : payload_ok ? "inconsistent section" : "payload does not decompress");
        cfs_summary_free(s);
        return st != CFS_OK ? st : CFS_E_CORRUPT;
    }
    rows_check(s);
    return CFS_OK;
}

/* ---- Parquet tables ------------------------------------------------------------------------------ */
typedef struct tbl {
    cfs_pq_writer *w;
    cfs_status st;
} tbl;

static int cmp_trow(const void *a, const void *b)
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

static int cmp_gkey_rows(const void *a, const void *b)
{
    const cfs_gkey *x = *(const cfs_gkey *const *)a, *y = *(const cfs_gkey *const *)b;
    int c = strcmp(x->dist, y->dist);
    if (c) return c;
    return x->cause < y->cause ? -1 : x->cause > y->cause;
}

static void **sorted_rows(const cfs_kmap *m, int (*cmp)(const void *, const void *))
{
    void **v = cfs_xmalloc((m->n ? m->n : 1) * sizeof *v);
    for (size_t i = 0; i < m->n; i++) v[i] = cfs_kmap_row(m, i);
    if (m->n > 1) qsort(v, m->n, sizeof *v, cmp);
    return v;
}

/* Parquet STRING columns must hold UTF-8 (DuckDB refuses a file with one invalid value).
 * Log values are CloudFront-encoded ASCII, but garbage that parsed and file names may
 * not be: bytes that are not UTF-8, and control bytes, are written percent-encoded the
 * way CloudFront itself encodes them (reference §1.3). */
static void pstrn(cfs_pq_writer *w, size_t c, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = cfs_utf8_len(u + i, n - i);
        if (!l || u[i] < 0x20 || u[i] == 0x7f) break;
        i += l;
    }
    if (i == n) {
        cfs_pq_str(w, c, s, n);
        return;
    }
    char *buf = cfs_xmalloc(n * 3 + 1);
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t l = cfs_utf8_len(u + i, n - i);
        if (l && u[i] >= 0x20 && u[i] != 0x7f) {
            memcpy(buf + o, u + i, l);
            o += l;
            i += l;
        } else {
            o += (size_t)sprintf(buf + o, "%%%02X", u[i]);
            i++;
        }
    }
    cfs_pq_str(w, c, buf, o);
    free(buf);
}

static void pstr(cfs_pq_writer *w, size_t c, const char *s) { pstrn(w, c, s, strlen(s)); }

static cfs_status write_traffic(const cfs_agg *a, const char *path, char *err, size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"hour", CFS_PQ_TIMESTAMP_MS, 0, 0}, {"distribution", CFS_PQ_STRING, 0, 1},
        {"edge", CFS_PQ_STRING, 0, 1},        {"status", CFS_PQ_INT32, 0, 0},
        {"cause", CFS_PQ_STRING, 0, 1},       {"evidence", CFS_PQ_STRING, 0, 1},
        {"rule", CFS_PQ_STRING, 0, 1},        {"requests", CFS_PQ_INT64, 0, 0},
        {"bytes", CFS_PQ_INT64, 0, 0},
        /* undecided 403s (cause unknown): the causes left open, "waf_block|origin_custom" */
        {"candidates", CFS_PQ_STRING, 1, 1},
    };
    cfs_pq_writer *w;
    CFS_FORWARD_IF_ERROR(cfs_pq_open(&w, path, cols, sizeof cols / sizeof cols[0], err, errlen));
    void **rows = sorted_rows(&a->traffic, cmp_trow);
    for (size_t i = 0; i < a->traffic.n; i++) {
        const cfs_trow *t = rows[i];
        cfs_pq_i64(w, 0, t->k.hour * 1000);
        pstr(w, 1, t->k.dist);
        pstr(w, 2, t->k.edge);
        cfs_pq_i64(w, 3, t->k.status);
        pstr(w, 4, cfs_cause_name((cfs_cause)t->k.cause));
        pstr(w, 5, cfs_evidence_name((cfs_evidence)t->k.evidence));
        pstr(w, 6, cfs_rule_name(t->k.rule));
        cfs_pq_i64(w, 7, (int64_t)t->requests);
        cfs_pq_i64(w, 8, (int64_t)t->bytes);
        uint32_t cand = cfs_rule_candidates(t->k.rule);
        if (cand) {
            char cs[256];
            size_t n = cfs_candidates_str(cand, cs, sizeof cs);
            cfs_pq_str(w, 9, cs, n);
        } else {
            cfs_pq_null(w, 9);
        }
        cfs_pq_end_row(w);
    }
    free(rows);
    return cfs_pq_close(w, err, errlen);
}

static cfs_status write_groups(const cfs_agg *a, const char *lat_path, const char *dc_path, char *err,
                               size_t errlen)
{
    static const cfs_pq_column lcols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1}, {"cause", CFS_PQ_STRING, 0, 1},
        {"metric", CFS_PQ_STRING, 0, 1},       {"bucket_ms", CFS_PQ_INT64, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},
    };
    static const cfs_pq_column dcols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1}, {"cause", CFS_PQ_STRING, 0, 1},
        {"distinct_clients", CFS_PQ_INT64, 0, 0}, {"relative_std_error", CFS_PQ_DOUBLE, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},
    };
    cfs_pq_writer *lw, *dw;
    CFS_FORWARD_IF_ERROR(cfs_pq_open(&lw, lat_path, lcols, 5, err, errlen));
    cfs_status st = cfs_pq_open(&dw, dc_path, dcols, 5, err, errlen);
    if (st != CFS_OK) {
        cfs_pq_abort(lw);
        return st;
    }
    void **rows = sorted_rows(&a->groups, cmp_gkey_rows);
    for (size_t i = 0; i < a->groups.n; i++) {
        const cfs_grow *g = rows[i];
        const char *cause = cfs_cause_name((cfs_cause)g->k.cause);
        const cfs_hist *hs[2] = {&g->g->tt, &g->g->ttfb};
        static const char *const names[2] = {"time_taken", "time_to_first_byte"};
        for (int m = 0; m < 2; m++) {
            uint64_t v;
            for (unsigned b = cfs_hist_next(hs[m], 0, &v); b < CFS_HIST_BUCKETS; b = cfs_hist_next(hs[m], b + 1, &v)) {
                pstr(lw, 0, g->k.dist);
                pstr(lw, 1, cause);
                pstr(lw, 2, names[m]);
                cfs_pq_i64(lw, 3, cfs_hist_bucket_value(b));
                cfs_pq_i64(lw, 4, (int64_t)v);
                cfs_pq_end_row(lw);
            }
        }
        pstr(dw, 0, g->k.dist);
        pstr(dw, 1, cause);
        cfs_pq_i64(dw, 2, (int64_t)(cfs_hll_estimate(&g->g->clients) + 0.5));
        cfs_pq_f64(dw, 3, 1.04 / 128.0); /* 1.04 / sqrt(2^14) */
        cfs_pq_i64(dw, 4, (int64_t)g->g->tt.count);
        cfs_pq_end_row(dw);
    }
    free(rows);
    char e2[256] = "";
    cfs_status s1 = cfs_pq_close(lw, err, errlen);
    cfs_status s2 = cfs_pq_close(dw, e2, sizeof e2);
    if (s1 == CFS_OK && s2 != CFS_OK) snprintf(err, errlen, "%s", e2);
    return s1 != CFS_OK ? s1 : s2;
}

static cfs_status write_heavy(const cfs_agg *a, const char *upath, const char *cpath, char *err,
                              size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1}, {"cause", CFS_PQ_STRING, 0, 1},
        {"rank", CFS_PQ_INT32, 0, 0},          {"value", CFS_PQ_STRING, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},      {"error", CFS_PQ_INT64, 0, 0},
        {"error_bound", CFS_PQ_INT64, 0, 0},   {"cause_requests", CFS_PQ_INT64, 0, 0},
    };
    cfs_pq_writer *w[2];
    const char *paths[2] = {upath, cpath};
    for (int k = 0; k < 2; k++) {
        cfs_status st = cfs_pq_open(&w[k], paths[k], cols, 8, err, errlen);
        if (st != CFS_OK) {
            if (k) cfs_pq_abort(w[0]);
            return st;
        }
    }
    void **rows = sorted_rows(&a->heavy, cmp_gkey_rows);
    cfs_topk_item items[100];
    for (size_t i = 0; i < a->heavy.n; i++) {
        const cfs_hrow *h = rows[i];
        const cfs_topk *t[2] = {h->uris, h->ips};
        for (int k = 0; k < 2; k++) {
            size_t n = cfs_topk_list(t[k], items, 100);
            for (size_t j = 0; j < n; j++) {
                pstr(w[k], 0, h->k.dist);
                pstr(w[k], 1, cfs_cause_name((cfs_cause)h->k.cause));
                cfs_pq_i64(w[k], 2, (int64_t)j + 1);
                pstrn(w[k], 3, items[j].key, items[j].n);
                cfs_pq_i64(w[k], 4, (int64_t)items[j].count);
                cfs_pq_i64(w[k], 5, (int64_t)items[j].error);
                cfs_pq_i64(w[k], 6, (int64_t)cfs_topk_error_bound(t[k]));
                cfs_pq_i64(w[k], 7, (int64_t)cfs_topk_total(t[k]));
                cfs_pq_end_row(w[k]);
            }
        }
    }
    free(rows);
    char e2[256] = "";
    cfs_status s1 = cfs_pq_close(w[0], err, errlen);
    cfs_status s2 = cfs_pq_close(w[1], e2, sizeof e2);
    if (s1 == CFS_OK && s2 != CFS_OK) snprintf(err, errlen, "%s", e2);
    return s1 != CFS_OK ? s1 : s2;
}

static int cmp_wrow_named(const void *a, const void *b)
{
    const cfs_wrow *x = *(const cfs_wrow *const *)a, *y = *(const cfs_wrow *const *)b;
    int c = strcmp(x->dist, y->dist);
    if (c) return c;
    return x->count > y->count ? -1 : x->count < y->count ? 1 : (x->rule > y->rule) - (x->rule < y->rule);
}

static cfs_status write_waf(const cfs_summary *s, const cfs_agg *a, const char *path, char *err, size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1}, {"rule", CFS_PQ_STRING, 0, 1}, {"blocks", CFS_PQ_INT64, 0, 0},
    };
    cfs_pq_writer *w;
    CFS_FORWARD_IF_ERROR(cfs_pq_open(&w, path, cols, 3, err, errlen));
    void **rows = sorted_rows(&a->waf, cmp_wrow_named);
    for (size_t i = 0; i < a->waf.n; i++) {
        const cfs_wrow *r = rows[i];
        const char *nm = r->rule < s->nwaf_rules ? s->waf_rules[r->rule] : "?";
        /* the notes' reserved names (waf.h) count 403s, not blocks: not in this table */
        if (strncmp(nm, CFS_WAF_NOTE_PREFIX, sizeof CFS_WAF_NOTE_PREFIX - 1) == 0) continue;
        pstr(w, 0, r->dist);
        pstr(w, 1, nm);
        cfs_pq_i64(w, 2, (int64_t)r->count);
        cfs_pq_end_row(w);
    }
    free(rows);
    return cfs_pq_close(w, err, errlen);
}

static cfs_status write_inputs(const cfs_summary *s, const char *path, char *err, size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"path", CFS_PQ_STRING, 0, 0},         {"distribution", CFS_PQ_STRING, 1, 1},
        {"format", CFS_PQ_STRING, 0, 1},       {"size_bytes", CFS_PQ_INT64, 0, 0},
        {"modified", CFS_PQ_TIMESTAMP_MS, 1, 0}, {"bytes_read", CFS_PQ_INT64, 0, 0},
        {"bytes_decoded", CFS_PQ_INT64, 0, 0}, {"lines", CFS_PQ_INT64, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},      {"filtered", CFS_PQ_INT64, 0, 0},
        {"rejected", CFS_PQ_INT64, 0, 0},      {"error", CFS_PQ_STRING, 1, 0},
    };
    cfs_pq_writer *w;
    /* Row groups of 16384 inputs: this table is the one that grows with the number of
     * inputs, and a row group is what the writer holds in memory. */
    cfs_pq_options opt = {.row_group_rows = 16384};
    CFS_FORWARD_IF_ERROR(cfs_pq_open_opts(&w, path, cols, 12, &opt, err, errlen));
    cfs_sum_input row;
    int more = cfs_summary_inputs_begin(s) == 0 ? 1 : -1;
    while (more > 0 && (more = cfs_summary_inputs_next(s, &row)) > 0) {
        const cfs_sum_input *x = &row;
        const cfs_file_stats *f = &x->st;
        uint64_t rej = 0;
        for (int r = 0; r < CFS_REJ_COUNT; r++) rej += f->rejected[r];
        pstr(w, 0, x->path);
        if (x->dist[0]) pstr(w, 1, x->dist);
        else cfs_pq_null(w, 1);
        pstr(w, 2, cfs_format_name(f->fmt));
        cfs_pq_i64(w, 3, (int64_t)x->size);
        /* An mtime whose milliseconds do not fit 64 bits (tmpfs keeps any time) is
         * written as unknown rather than overflowed. */
        if (x->mtime && x->mtime <= INT64_MAX / 1000 && x->mtime >= INT64_MIN / 1000)
            cfs_pq_i64(w, 4, x->mtime * 1000);
        else cfs_pq_null(w, 4);
        cfs_pq_i64(w, 5, (int64_t)f->bytes_in);
        cfs_pq_i64(w, 6, (int64_t)f->bytes_out);
        cfs_pq_i64(w, 7, (int64_t)f->lines);
        cfs_pq_i64(w, 8, (int64_t)f->aggregated);
        cfs_pq_i64(w, 9, (int64_t)f->filtered);
        cfs_pq_i64(w, 10, (int64_t)rej);
        if (f->status != CFS_OK) pstr(w, 11, f->error[0] ? f->error : cfs_status_str(f->status));
        else cfs_pq_null(w, 11);
        cfs_pq_end_row(w);
        free(row.path);
    }
    if (more < 0) {
        cfs_pq_abort(w);
        snprintf(err, errlen, "%s: reading the input rows back from a temporary file failed", path);
        return CFS_E_IO;
    }
    return cfs_pq_close(w, err, errlen);
}

/* ---- directory publishing -------------------------------------------------------------------------- */
/* What a summary directory holds, in writing order: the manifest goes last, so a directory
 * without it is never taken for a summary.  Nothing else is ever removed from one. */
#define NSUMFILES 11
static const char *const k_sum_files[NSUMFILES] = {
    "traffic.parquet", "latency.parquet", "distinct_clients.parquet", "top_uris.parquet",
    "top_clients.parquet", "waf_rules.parquet", "inputs.parquet", "report.txt", "report.json",
    "state.cfs", "manifest.json"};

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = cfs_xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int is_sum_file(const char *name)
{
    for (int i = 0; i < NSUMFILES; i++)
        if (strcmp(name, k_sum_files[i]) == 0) return 1;
    return 0;
}

/* Remove a summary tree we made or swapped out.  Everything goes through a descriptor
 * opened without following links: if the name was swapped for a link meanwhile, only the
 * link goes (never what it points to); only the known file names are unlinked, so a
 * directory holding anything else stays (at worst a stale DIR.tmp-*), and nothing of a
 * user's is deleted. */
static void rm_tree(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        struct stat st;
        if (errno == ELOOP && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) unlink(dir);
        return;
    }
    for (int i = 0; i < NSUMFILES; i++) unlinkat(fd, k_sum_files[i], 0);
    close(fd);
    rmdir(dir);
}

/* Open dir/manifest.json for reading without blocking (a FIFO there would hang fopen)
 * and without following a link; -1 with errno unless it is a regular file. */
static int open_manifest(int dfd, struct stat *st)
{
    int fd = openat(dfd, "manifest.json", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* The first bytes of a regular manifest.json (NUL-terminated in buf); 0, or -1. */
static int read_manifest(int dfd, char *buf, size_t cap, struct stat *st)
{
    int fd = open_manifest(dfd, st);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return 0;
}

/* What publishing into an existing path found there. */
typedef struct out_info {
    int exists;      /* dir exists (an empty directory or a summary) */
    mode_t dmode;    /* its permission bits */
    int have_fmode;  /* it is a summary: fmode is its manifest's mode */
    mode_t fmode;
} out_info;

static cfs_status check_output_at(const char *dir, out_info *oi, char *err, size_t errlen);

/* "DIR/" names a link's target, not the link: look at DIR itself. */
static cfs_status check_output(const char *dir, out_info *oi, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *d = cfs_xmalloc(n + 1);
    memcpy(d, dir, n);
    d[n] = 0;
    cfs_status st = check_output_at(d, oi, err, errlen);
    free(d);
    return st;
}

static cfs_status check_output_at(const char *dir, out_info *oi, char *err, size_t errlen)
{
    memset(oi, 0, sizeof *oi);
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        if (errno == ENOENT) return CFS_OK;
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return CFS_E_IO;
    }
    if (S_ISLNK(sb.st_mode)) {
        /* Exchanging a link swaps the link, not its target, and whoever can plant one
         * in a shared directory could aim cleanup at someone else's files: refuse. */
        char target[1024];
        ssize_t n = readlink(dir, target, sizeof target - 1);
        if (n < 0) n = 0;
        target[n] = 0;
        snprintf(err, errlen, "%s: is a symbolic link%s%s; refusing to publish through it (pass the link's "
                 "target instead)", dir, n ? " to " : "", target);
        return CFS_E_USAGE;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a directory; refusing to replace it", dir);
        return CFS_E_USAGE;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return errno == ELOOP || errno == ENOTDIR ? CFS_E_USAGE : CFS_E_IO;
    }
    if (fstat(dfd, &sb) != 0) sb.st_mode = 0755;
    oi->exists = 1;
    oi->dmode = sb.st_mode & 07777;
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0) close(dup_fd);
        snprintf(err, errlen, "%s: cannot list it: %s", dir, strerror(errno));
        close(dfd);
        return CFS_E_IO;
    }
    /* An empty directory may be filled; one with entries must be a summary holding
     * nothing but a summary's own regular files (anything else would be moved into
     * the stale DIR.tmp-* or lost). */
    char foreign[256] = "";
    int any = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        any = 1;
        struct stat fs;
        if (!foreign[0] && (!is_sum_file(e->d_name) ||
                            (fstatat(dfd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(fs.st_mode))))
            snprintf(foreign, sizeof foreign, "%s", e->d_name);
    }
    closedir(d);
    cfs_status st = CFS_OK;
    if (any) {
        char buf[256];
        struct stat ms;
        if (read_manifest(dfd, buf, sizeof buf, &ms) != 0) {
            snprintf(err, errlen, "%s: exists and is not a cfscan summary (manifest.json %s); refusing to "
                     "overwrite it", dir, errno == ENOENT ? "missing" : "is not a readable regular file");
            st = CFS_E_USAGE;
        } else if (!strstr(buf, "\"cfscan_summary\": true")) {
            snprintf(err, errlen, "%s: exists and is not a cfscan summary (manifest.json is not a cfscan "
                     "manifest); refusing to overwrite it", dir);
            st = CFS_E_USAGE;
        } else if (foreign[0]) {
            snprintf(err, errlen, "%s: holds '%s', which is not part of a cfscan summary; refusing to "
                     "replace the directory (move it out first)", dir, foreign);
            st = CFS_E_USAGE;
        } else {
            oi->have_fmode = 1;
            oi->fmode = ms.st_mode & 0777;
        }
    }
    close(dfd);
    return st;
}

cfs_status cfs_summary_check_output(const char *dir, char *err, size_t errlen)
{
    out_info oi;
    return check_output(dir, &oi, err, errlen);
}

/* The flag sits before the arguments (which may be long), within the first bytes. */
int cfs_summary_dir_redacted(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return 0;
    char buf[4096];
    struct stat st;
    int r = read_manifest(dfd, buf, sizeof buf, &st) == 0 && strstr(buf, "\"clients_redacted\": true") != NULL;
    close(dfd);
    return r;
}

static cfs_status write_text_file(const char *path, int json, const cfs_summary *s, const cfs_agg *settled,
                                  char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    cfs_scan_result res;
    cfs_summary view = *s;
    view.agg = *settled;
    cfs_summary_as_result(&view, &res);
    cfs_report_opts ro = {5, 0, s->nwaf_rules > 0, (const char *const *)s->waf_rules, s->nwaf_rules, s->stop, NULL, NULL};
    if (s->report) { /* the printed report's evidence and size; the WAF rule names stay
                      * the summary's own (its wrow ids index them) */
        ro.top = s->report->top;
        ro.with_config = s->report->with_config;
        ro.with_waf = s->report->with_waf;
        ro.waf = s->report->waf;
        ro.config = s->report->config;
    }
    if (json) cfs_report_json(f, &res, &ro);
    else cfs_report_text(f, &res, &ro);
    cfs_scan_result_free(&res);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(saved ? saved : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

static cfs_status write_manifest(const char *path, const cfs_summary *s, const char *argv_line, char *err,
                                 size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "{\n  \"cfscan_summary\": true,\n  \"cfscan_version\": \"%s\",\n  \"schema_version\": %d,\n"
               "  \"created\": \"%s\",\n  \"clients_redacted\": %s,\n  \"arguments\": ",
            CFS_VERSION, CFS_SUMMARY_SCHEMA, ts, s->clients_redacted ? "true" : "false");
    cfs_write_json_str(f, argv_line ? argv_line : "", argv_line ? strlen(argv_line) : 0);
    fprintf(f, ",\n  \"tables\": [\"traffic.parquet\", \"latency.parquet\", \"distinct_clients.parquet\", "
               "\"top_uris.parquet\", \"top_clients.parquet\", \"waf_rules.parquet\", \"inputs.parquet\"],\n"
               "  \"state\": \"state.cfs\",\n"
               "  \"inputs\": %llu,\n  \"inputs_table\": \"inputs.parquet\"\n}\n",
            (unsigned long long)s->ninputs);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

cfs_status cfs_summary_publish(const cfs_summary *s, const char *dir, const char *argv_line,
                               char *err, size_t errlen)
{
    out_info oi;
    CFS_FORWARD_IF_ERROR(check_output(dir, &oi, err, errlen));
    /* Modes: a new summary honours the umask (read by setting it back at once; the scan's
     * threads are done by now); a replaced one keeps the modes its owner gave it. */
    mode_t um = umask(0);
    umask(um);
    mode_t dmode = oi.exists ? oi.dmode : (0777 & ~um);
    mode_t fmode = oi.have_fmode ? oi.fmode : (0666 & ~um);
    /* The temporary directory sits beside dir (same file system, so rename is atomic). */
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *tmp = cfs_xmalloc(n + 32);
    snprintf(tmp, n + 32, "%.*s.tmp-XXXXXX", (int)n, dir);
    /* The rename gets dir without trailing slashes: "DIR/" would follow a link put at
     * DIR since the check. */
    char *bare = cfs_xmalloc(n + 1);
    memcpy(bare, dir, n);
    bare[n] = 0;
    dir = bare;
    if (!mkdtemp(tmp)) {
        snprintf(err, errlen, "%s: cannot create a temporary directory beside it: %s", dir, strerror(errno));
        free(tmp);
        free(bare);
        return CFS_E_IO;
    }
    /* Tables and reports come from a settled copy; the state keeps provisional entries. */
    cfs_agg settled;
    cfs_agg_init(&settled);
    cfs_agg_merge(&settled, &s->agg);
    cfs_agg_fold_heavy(&settled, &s->agg);
    cfs_agg_settle(&settled);
    char *p[NSUMFILES];
    for (int i = 0; i < NSUMFILES; i++) p[i] = join(tmp, k_sum_files[i]);
    cfs_status st = write_traffic(&settled, p[0], err, errlen);
    if (st == CFS_OK) st = write_groups(&settled, p[1], p[2], err, errlen);
    if (st == CFS_OK) st = write_heavy(&settled, p[3], p[4], err, errlen);
    if (st == CFS_OK) st = write_waf(s, &settled, p[5], err, errlen);
    if (st == CFS_OK) st = write_inputs(s, p[6], err, errlen);
    if (st == CFS_OK) st = write_text_file(p[7], 0, s, &settled, err, errlen);
    if (st == CFS_OK) st = write_text_file(p[8], 1, s, &settled, err, errlen);
    if (st == CFS_OK) st = cfs_state_write(s, p[9], err, errlen);
    if (st == CFS_OK) st = write_manifest(p[10], s, argv_line, err, errlen);
    cfs_agg_free(&settled);
    /* The files were made in our own 0700 directory: their modes can be set by name.
     * The directory's mode comes last, since it may deny us writing. */
    for (int i = 0; i < NSUMFILES && st == CFS_OK; i++)
        if (chmod(p[i], fmode) != 0) {
            snprintf(err, errlen, "%s: cannot set its mode: %s", p[i], strerror(errno));
            st = CFS_E_IO;
        }
    for (int i = 0; i < NSUMFILES; i++) free(p[i]);
    if (st == CFS_OK && chmod(tmp, dmode) != 0) {
        snprintf(err, errlen, "%s: cannot set its mode: %s", tmp, strerror(errno));
        st = CFS_E_IO;
    }
    /* Interrupted while writing: the previous summary stays, the new one is dropped. */
    if (st == CFS_OK && s->stop && *s->stop) {
        snprintf(err, errlen, "%s: interrupted", dir);
        st = CFS_E_INTERRUPTED;
    }
    if (st == CFS_OK) {
        fsync_dir(tmp);
        int rc;
        /* With no summary there, RENAME_NOREPLACE: whatever appeared meanwhile is kept. */
        if (oi.exists) rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE);
        else {
            rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE);
            if (rc != 0 && errno == EINVAL) rc = rename(tmp, dir); /* a file system without the flag */
        }
        if (rc != 0) {
            snprintf(err, errlen, "%s: cannot move the new summary into place: %s", dir, strerror(errno));
            st = CFS_E_IO;
        } else {
            /* the parent directory entry must reach the disk too */
            char *parent = cfs_xstrdup(dir);
            char *slash = strrchr(parent, '/');
            if (slash && slash != parent) *slash = 0;
            else if (slash) slash[1] = 0;
            else strcpy(parent, ".");
            fsync_dir(parent);
            free(parent);
        }
    }
    rm_tree(tmp); /* after an exchange, tmp holds the previous summary */
    free(tmp);
    free(bare);
    return st;
}
