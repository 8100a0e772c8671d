/* Parquet writer (see parquet.h).  Rows are appended column by column into per-column
 * page buffers; a full page is encoded and ZSTD-compressed into its column's chunk buffer;
 * a full row group writes each column chunk (dictionary page first) to the file; close
 * writes the Thrift compact FileMetaData footer.  Format facts: apache/parquet-format
 * parquet.thrift and Encodings.md. */
#include "pipeline/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipeline/le.h"
#include "pipeline/thrift.h"

#ifndef CFS_VERSION
#define CFS_VERSION "0.0.0"
#endif

/* ---- parquet.thrift enum values ---------------------------------------------------- */
enum { PT_BOOLEAN = 0, PT_INT32 = 1, PT_INT64 = 2, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6 };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1 };
enum { CT_UTF8 = 0, CT_TIMESTAMP_MILLIS = 9 };
enum { ENC_PLAIN = 0, ENC_RLE = 3, ENC_RLE_DICTIONARY = 8 };
enum { CODEC_ZSTD = 6 };
enum { PAGE_DATA = 0, PAGE_DICTIONARY = 2 };

/* clang-format off */
static const int32_t physical_type[] = {
    [CFS_PQ_INT32] = PT_INT32,        [CFS_PQ_INT64] = PT_INT64,
    [CFS_PQ_DOUBLE] = PT_DOUBLE,      [CFS_PQ_STRING] = PT_BYTE_ARRAY,
    [CFS_PQ_TIMESTAMP_MS] = PT_INT64, [CFS_PQ_BOOL] = PT_BOOLEAN,
    [CFS_PQ_BINARY] = PT_BYTE_ARRAY,
};
/* clang-format on */

/* Defaults (parquet.h).  128k rows keeps a row group of the 40-odd CloudFront columns
 * well under the 64 MiB cap while giving readers enough rows per chunk to skip by stats. */
#define DEF_RG_ROWS ((size_t)128 * 1024)
#define DEF_RG_BYTES ((size_t)64 << 20)
#define DEF_PAGE_BYTES ((size_t)1 << 20)
#define DEF_DICT_ENTRIES ((size_t)64 * 1024)
#define DEF_DICT_BYTES ((size_t)1 << 20)
/* Level 1, as Arrow's Parquet writer defaults to: on a 5-column CloudFront-like table
 * (time, status, edge, URI, bytes) level 3 made the file 2% smaller and the writer 1.5x
 * slower. */
#define DEF_ZSTD_LEVEL 1
/* Page header fields are i32: cap sizes well below 2^31 so no field can overflow. */
#define MAX_PAGE_BYTES ((size_t)256 << 20)
#define MAX_PAGE_ROWS ((uint32_t)1 << 20)
#define MAX_STR_LEN ((size_t)1 << 30)
/* Longer string min/max are left out of the statistics: they bloat the footer and a
 * reader gains little pruning from them. */
#define MAX_STAT_LEN 64

/* ---- growable byte buffer ---------------------------------------------------------- */
typedef struct pbuf {
    uint8_t *p;
    size_t n, cap;
} pbuf;

static int pbuf_grow(pbuf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->n < need) {
        if (cap > SIZE_MAX / 2) return 0;
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) return 0;
    b->p = p;
    b->cap = cap;
    return 1;
}

static inline int pbuf_reserve(pbuf *b, size_t need) { return b->cap - b->n >= need || pbuf_grow(b, need); }

static inline int pbuf_put(pbuf *b, const void *p, size_t n)
{
    if (!pbuf_reserve(b, n)) return 0;
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    return 1;
}

static void pbuf_free(pbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static inline int is_bytes(cfs_pq_type t) { return t == CFS_PQ_STRING || t == CFS_PQ_BINARY; }

/* ---- per-column state -------------------------------------------------------------- */
typedef struct dict_ent {
    uint64_t hash;
    size_t off; /* of the value bytes in dict.p (after their 4-byte length) */
    uint32_t len;
} dict_ent;

/* What one finished column chunk contributes to the footer. */
typedef struct chunk_meta {
    uint64_t start;                    /* first byte of the chunk (dictionary page if any) */
    uint64_t data_page_offset;         /* first data page */
    uint64_t dict_page_offset;         /* 0: no dictionary page */
    uint64_t uncompressed, compressed; /* page headers included */
    uint64_t num_values, null_count;
    uint32_t encodings; /* bit e set: Encoding e used */
    uint8_t has_minmax, min_len, max_len;
    uint8_t min[MAX_STAT_LEN], max[MAX_STAT_LEN];
} chunk_meta;

typedef struct rg_meta {
    uint64_t num_rows, offset, uncompressed, compressed;
} rg_meta;

typedef struct col {
    char *name;
    cfs_pq_type type;
    int optional;
    int dict_mode; /* values go through the dictionary; cleared for good on fallback */
    int set;       /* a value (or null) was given for the current row */

    /* page being built */
    pbuf vals; /* PLAIN bytes; BOOL: one byte per value; dict mode: uint32 indices */
    pbuf defs; /* one definition level byte per row (OPTIONAL only) */
    uint32_t page_rows, page_nonnull;
    int page_dict; /* vals holds dictionary indices */

    /* chunk being built */
    pbuf chunk; /* finished compressed pages, headers included */
    uint64_t chunk_uncompressed, chunk_values, chunk_nulls;
    uint32_t encodings;

    /* dictionary of this chunk: PLAIN-encoded entries, as its dictionary page holds them */
    pbuf dict;
    dict_ent *ents;
    size_t nents, ents_cap;
    uint32_t *slots; /* open addressing, entry index + 1, 0 = empty */
    size_t nslots;
    int bw; /* bits for the largest index: ceil(log2(nents)), at least 1 */

    /* chunk statistics: the real min and max, in the column's sort order */
    int has_minmax;
    int64_t imin, imax;
    double dmin, dmax;
    pbuf smin, smax;
} col;

struct cfs_pq_writer {
    char *path;
    int fd;
    int fd_regular; /* only a regular file we created is unlinked on failure */
    dev_t dev;
    ino_t ino;
    uint64_t off;  /* bytes written so far */
    cfs_status st; /* first error; once set every call is a no-op */
    char msg[384];

    col *cols;
    size_t ncols;
    cfs_pq_options opt;

    uint64_t rows, rg_rows;
    size_t buffered; /* bytes held for the current row group, approximately */

    rg_meta *rgs;
    chunk_meta *chunks; /* rgs * ncols, row-group major */
    size_t nrgs, rgs_cap;

    ZSTD_CCtx *zc;
    pbuf body, zbody; /* scratch: uncompressed and compressed page body */
    cfs_tc tc;        /* scratch: page headers and the footer */
};

/* ---- errors ------------------------------------------------------------------------ */
static void fail(cfs_pq_writer *w, cfs_status st, const char *what, const char *detail)
{
    if (w->st != CFS_OK) return;
    w->st = st;
    snprintf(w->msg, sizeof w->msg, "parquet: %s: %s%s", w->path, what, detail);
}

static void fail_errno(cfs_pq_writer *w, const char *verb, int e)
{
    if (w->st != CFS_OK) return;
    w->st = CFS_E_IO;
    snprintf(w->msg, sizeof w->msg, "parquet: cannot %s %s: %s", verb, w->path, strerror(e));
}

static void fail_nomem(cfs_pq_writer *w) { fail(w, CFS_E_NOMEM, "out of memory", ""); }

static void fail_usage(cfs_pq_writer *w, const col *c, const char *what)
{
    if (w->st != CFS_OK) return;
    w->st = CFS_E_USAGE;
    snprintf(w->msg, sizeof w->msg, "parquet: %s: column \"%s\": %s", w->path, c ? c->name : "?", what);
}

/* ---- file output ------------------------------------------------------------------- */
static void file_write(cfs_pq_writer *w, const void *p, size_t n)
{
    const uint8_t *s = p;
    while (n > 0 && w->st == CFS_OK) {
        ssize_t k = write(w->fd, s, n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n);
        if (k < 0) {
            if (errno == EINTR) continue;
            fail_errno(w, "write", errno);
            return;
        }
        if (k == 0) {
            fail_errno(w, "write", EIO);
            return;
        }
        s += k;
        n -= (size_t)k;
        w->off += (uint64_t)k;
    }
}

/* ---- RLE / bit-packed hybrid (Encodings.md) ----------------------------------------- */
/* Levels are bytes, dictionary indices are uint32; one encoder reads either. */
static inline uint32_t level_at(const void *v, int vsize, size_t i)
{
    return vsize == 1 ? ((const uint8_t *)v)[i] : ((const uint32_t *)v)[i];
}

static int put_uvarint(pbuf *b, uint64_t v)
{
    uint8_t t[10];
    return pbuf_put(b, t, cfs_tc_put_uvarint(t, v));
}

/* Encode n values of bit width bw (1..32): runs of 8 or more equal values become RLE runs
 * (header run_len << 1, then the value in ceil(bw/8) little-endian bytes); everything else
 * goes into bit-packed runs of 8-value groups (header groups << 1 | 1, values packed LSB
 * first).  A bit-packed run ends where a run of 8 equal values starts on a group boundary;
 * the last group is padded with zeros, which readers drop since they know the count. */
static int hybrid_encode(pbuf *out, const void *v, int vsize, size_t n, int bw)
{
    size_t i = 0;
    const size_t vbytes = ((size_t)bw + 7) / 8;
    while (i < n) {
        uint32_t x = level_at(v, vsize, i);
        size_t r = 1;
        while (i + r < n && level_at(v, vsize, i + r) == x) r++;
        if (r >= 8) {
            uint8_t val[4];
            cfs_le_put(val, x, 4);
            if (!put_uvarint(out, (uint64_t)r << 1) || !pbuf_put(out, val, vbytes)) return 0;
            i += r;
            continue;
        }
        size_t start = i, groups = 0;
        for (;;) {
            groups++;
            i += 8;
            if (i >= n) break;
            x = level_at(v, vsize, i);
            r = 1;
            while (r < 8 && i + r < n && level_at(v, vsize, i + r) == x) r++;
            if (r >= 8) break;
        }
        if (!put_uvarint(out, (uint64_t)groups << 1 | 1)) return 0;
        if (!pbuf_reserve(out, groups * (size_t)bw)) return 0;
        uint64_t acc = 0;
        int bits = 0;
        for (size_t k = start; k < start + groups * 8; k++) {
            uint64_t val = k < n ? level_at(v, vsize, k) : 0;
            acc |= val << bits;
            bits += bw;
            while (bits >= 8) {
                out->p[out->n++] = (uint8_t)acc;
                acc >>= 8;
                bits -= 8;
            }
        }
        /* 8 values of bw bits are exactly bw bytes, so nothing is left over. */
        if (i > n) i = n;
    }
    return 1;
}

static int bit_width(size_t max_value)
{
    int bw = 0;
    while (bw < 32 && (max_value >> bw) != 0) bw++;
    return bw;
}

/* ---- pages ------------------------------------------------------------------------- */
/* Compress w->body and append page header + compressed body to dst.  Returns the total
 * uncompressed size (header + body) added, or 0 after recording an error. */
static uint64_t emit_page(cfs_pq_writer *w, pbuf *dst, int page_type, uint32_t num_values, int encoding)
{
    size_t bound = ZSTD_compressBound(w->body.n);
    w->zbody.n = 0;
    if (!pbuf_reserve(&w->zbody, bound)) {
        fail_nomem(w);
        return 0;
    }
    size_t z = ZSTD_compressCCtx(w->zc, w->zbody.p, bound, w->body.p, w->body.n, w->opt.zstd_level);
    if (ZSTD_isError(z)) {
        fail(w, CFS_E_NOMEM, "zstd: ", ZSTD_getErrorName(z));
        return 0;
    }
    cfs_tc *t = &w->tc;
    cfs_tc_reset(t);
    cfs_tc_struct_begin(t); /* PageHeader */
    cfs_tc_field_i32(t, 1, page_type);
    cfs_tc_field_i32(t, 2, (int32_t)w->body.n);
    cfs_tc_field_i32(t, 3, (int32_t)z);
    if (page_type == PAGE_DATA) {
        cfs_tc_field_struct(t, 5); /* DataPageHeader */
        cfs_tc_field_i32(t, 1, (int32_t)num_values);
        cfs_tc_field_i32(t, 2, encoding);
        /* Levels of a V1 page are RLE-hybrid with a 4-byte length prefix; a REQUIRED
         * flat column has none, but the two encoding fields are required anyway. */
        cfs_tc_field_i32(t, 3, ENC_RLE);
        cfs_tc_field_i32(t, 4, ENC_RLE);
        cfs_tc_struct_end(t);
    } else {
        cfs_tc_field_struct(t, 7); /* DictionaryPageHeader */
        cfs_tc_field_i32(t, 1, (int32_t)num_values);
        cfs_tc_field_i32(t, 2, ENC_PLAIN); /* PLAIN_DICTIONARY is deprecated here */
        cfs_tc_struct_end(t);
    }
    cfs_tc_struct_end(t);
    if (t->failed) {
        fail_nomem(w);
        return 0;
    }
    if (!pbuf_put(dst, t->p, t->n) || !pbuf_put(dst, w->zbody.p, z)) {
        fail_nomem(w);
        return 0;
    }
    return (uint64_t)t->n + w->body.n;
}

/* Encode the page in progress of column c into its chunk buffer. */
static void flush_page(cfs_pq_writer *w, col *c)
{
    if (c->page_rows == 0 || w->st != CFS_OK) return;
    pbuf *b = &w->body;
    b->n = 0;
    if (c->optional) {
        if (!pbuf_reserve(b, 4)) goto nomem;
        b->n = 4;
        if (!hybrid_encode(b, c->defs.p, 1, c->page_rows, 1)) goto nomem;
        cfs_le_put(b->p, (uint32_t)(b->n - 4), 4);
        c->encodings |= 1u << ENC_RLE;
    }
    /* A page without a single non-null value is written PLAIN (empty), so a reader never
     * needs a dictionary the chunk may not have. */
    int encoding = ENC_PLAIN;
    if (c->page_dict && c->page_nonnull > 0) {
        encoding = ENC_RLE_DICTIONARY;
        uint8_t bw = (uint8_t)c->bw;
        if (!pbuf_put(b, &bw, 1) || !hybrid_encode(b, c->vals.p, 4, c->page_nonnull, c->bw)) goto nomem;
    } else if (c->type == CFS_PQ_BOOL) {
        /* PLAIN booleans are bit-packed, LSB first, without a run header. */
        size_t nb = ((size_t)c->page_nonnull + 7) / 8;
        if (!pbuf_reserve(b, nb)) goto nomem;
        memset(b->p + b->n, 0, nb);
        for (uint32_t i = 0; i < c->page_nonnull; i++)
            b->p[b->n + i / 8] |= (uint8_t)((c->vals.p[i] & 1u) << (i % 8));
        b->n += nb;
    } else {
        if (!pbuf_put(b, c->vals.p, c->vals.n)) goto nomem;
    }
    c->encodings |= 1u << encoding;

    size_t before = c->chunk.n;
    uint64_t u = emit_page(w, &c->chunk, PAGE_DATA, c->page_rows, encoding);
    if (u == 0) return;
    c->chunk_uncompressed += u;
    c->chunk_values += c->page_rows;
    c->chunk_nulls += c->page_rows - c->page_nonnull;
    w->buffered = w->buffered - c->vals.n - c->defs.n + (c->chunk.n - before);
    c->vals.n = c->defs.n = 0;
    c->page_rows = c->page_nonnull = 0;
    c->page_dict = c->dict_mode;
    return;
nomem:
    fail_nomem(w);
}

/* Estimated encoded size of the page in progress, to cut pages near opt.page_bytes. */
static inline size_t page_estimate(const col *c)
{
    size_t lv = c->defs.n / 8;
    if (c->page_dict) return lv + ((size_t)c->page_nonnull * (size_t)c->bw) / 8;
    if (c->type == CFS_PQ_BOOL) return lv + c->vals.n / 8;
    return lv + c->vals.n;
}

static inline void maybe_flush_page(cfs_pq_writer *w, col *c)
{
    if (page_estimate(c) >= w->opt.page_bytes || c->page_rows >= MAX_PAGE_ROWS) flush_page(w, c);
}

/* ---- statistics -------------------------------------------------------------------- */
/* Strings sort as unsigned bytes, a proper prefix first (parquet.thrift ColumnOrder). */
static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int r = m ? memcmp(a, b, m) : 0;
    if (r != 0) return r;
    return (an > bn) - (an < bn);
}

static int stat_str(col *c, const uint8_t *p, size_t n)
{
    if (!c->has_minmax) {
        c->smin.n = c->smax.n = 0;
        if (!pbuf_put(&c->smin, p, n) || !pbuf_put(&c->smax, p, n)) return 0;
        c->has_minmax = 1;
        return 1;
    }
    if (bytes_cmp(p, n, c->smin.p, c->smin.n) < 0) {
        c->smin.n = 0;
        if (!pbuf_put(&c->smin, p, n)) return 0;
    } else if (bytes_cmp(p, n, c->smax.p, c->smax.n) > 0) {
        c->smax.n = 0;
        if (!pbuf_put(&c->smax, p, n)) return 0;
    }
    return 1;
}

static inline void stat_int(col *c, int64_t v)
{
    if (!c->has_minmax) {
        c->imin = c->imax = v;
        c->has_minmax = 1;
    } else if (v < c->imin) {
        c->imin = v;
    } else if (v > c->imax) {
        c->imax = v;
    }
}

/* NaN is left out of min/max (parquet.thrift ColumnOrder, "NaNs should not be written
 * to min or max statistics fields"); zeros are fixed up when the chunk is finished. */
static inline void stat_double(col *c, double v)
{
    if (isnan(v)) return;
    if (!c->has_minmax) {
        c->dmin = c->dmax = v;
        c->has_minmax = 1;
    } else if (v < c->dmin || (v == 0 && c->dmin == 0 && signbit(v))) {
        c->dmin = v;
    } else if (v > c->dmax || (v == 0 && c->dmax == 0 && !signbit(v))) {
        c->dmax = v;
    }
}

/* ---- dictionary -------------------------------------------------------------------- */
static int dict_rehash(col *c, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s) return 0;
    for (size_t i = 0; i < c->nents; i++) {
        size_t h = (size_t)c->ents[i].hash & (nslots - 1);
        while (s[h]) h = (h + 1) & (nslots - 1);
        s[h] = (uint32_t)(i + 1);
    }
    free(c->slots);
    c->slots = s;
    c->nslots = nslots;
    return 1;
}

static void dict_clear(col *c)
{
    c->dict.n = 0;
    c->nents = 0;
    c->bw = 1;
    if (c->slots) memset(c->slots, 0, c->nslots * sizeof *c->slots);
}

static void dict_release(col *c)
{
    pbuf_free(&c->dict);
    free(c->ents);
    free(c->slots);
    c->ents = NULL;
    c->slots = NULL;
    c->nents = c->ents_cap = c->nslots = 0;
}

/* Index of (p, n) in the dictionary, adding it if new.  Returns -1 when adding would
 * pass a dictionary limit (the caller falls back to PLAIN), -2 when out of memory. */
static int64_t dict_index(cfs_pq_writer *w, col *c, const char *p, size_t n)
{
    uint64_t h = XXH3_64bits(p, n);
    if (c->nslots == 0 && !dict_rehash(c, 1024)) return -2;
    size_t mask = c->nslots - 1, i = (size_t)h & mask;
    for (uint32_t s; (s = c->slots[i]) != 0; i = (i + 1) & mask) {
        const dict_ent *e = &c->ents[s - 1];
        if (e->hash == h && e->len == n && (n == 0 || memcmp(c->dict.p + e->off, p, n) == 0)) return s - 1;
    }
    if (c->nents + 1 > w->opt.dict_entries || c->dict.n + 4 + n > w->opt.dict_bytes) return -1;
    if (c->nents == c->ents_cap) {
        size_t cap = c->ents_cap ? c->ents_cap * 2 : 1024;
        dict_ent *e = realloc(c->ents, cap * sizeof *e);
        if (!e) return -2;
        c->ents = e;
        c->ents_cap = cap;
    }
    uint8_t len[4];
    cfs_le_put(len, (uint32_t)n, 4);
    if (!pbuf_put(&c->dict, len, 4)) return -2;
    size_t off = c->dict.n;
    if (!pbuf_put(&c->dict, p, n)) return -2;
    w->buffered += 4 + n;
    /* Every entry is used by at least one value, so the chunk's min/max are those of the
     * entries: each value is compared once, when it enters the dictionary. */
    if (!stat_str(c, (const uint8_t *)p, n)) return -2;
    size_t idx = c->nents++;
    c->ents[idx] = (dict_ent){.hash = h, .off = off, .len = (uint32_t)n};
    c->slots[i] = (uint32_t)(idx + 1);
    c->bw = idx == 0 ? 1 : bit_width(idx);
    if (c->nents * 2 > c->nslots && !dict_rehash(c, c->nslots * 2)) return -2;
    return (int64_t)idx;
}

/* ---- appending values -------------------------------------------------------------- */
enum { SET_INT, SET_DOUBLE, SET_STR, SET_NULL };

/* The column a setter may write, or NULL after recording why not. */
static col *target(cfs_pq_writer *w, size_t i, int kind)
{
    if (!w || w->st != CFS_OK) return NULL;
    if (i >= w->ncols) {
        fail(w, CFS_E_USAGE, "column index out of range", "");
        return NULL;
    }
    col *c = &w->cols[i];
    if (c->set) {
        fail_usage(w, c, "value given twice in one row");
        return NULL;
    }
    int ok;
    switch (kind) {
    case SET_INT:
        ok = c->type == CFS_PQ_INT32 || c->type == CFS_PQ_INT64 || c->type == CFS_PQ_TIMESTAMP_MS ||
             c->type == CFS_PQ_BOOL;
        break;
    case SET_DOUBLE: ok = c->type == CFS_PQ_DOUBLE; break;
    case SET_STR: ok = is_bytes(c->type); break;
    default: ok = c->optional; break;
    }
    if (!ok) {
        fail_usage(w, c, kind == SET_NULL ? "null in a REQUIRED column" : "value of the wrong type");
        return NULL;
    }
    c->set = 1;
    return c;
}

/* Count a non-null value: its definition level, and the page cut. */
static inline void value_added(cfs_pq_writer *w, col *c, size_t bytes)
{
    if (c->optional) {
        uint8_t one = 1;
        if (!pbuf_put(&c->defs, &one, 1)) {
            fail_nomem(w);
            return;
        }
        bytes++;
    }
    w->buffered += bytes;
    c->page_rows++;
    c->page_nonnull++;
    maybe_flush_page(w, c);
}

void cfs_pq_i64(cfs_pq_writer *w, size_t i, int64_t v)
{
    col *c = target(w, i, SET_INT);
    if (!c) return;
    uint8_t b[8];
    size_t n;
    switch (c->type) {
    case CFS_PQ_INT32:
        if (v < INT32_MIN || v > INT32_MAX) {
            fail_usage(w, c, "value out of INT32 range");
            return;
        }
        cfs_le_put(b, (uint32_t)(int32_t)v, 4);
        n = 4;
        break;
    case CFS_PQ_BOOL:
        v = v != 0;
        b[0] = (uint8_t)v;
        n = 1;
        break;
    default:
        cfs_le_put(b, (uint64_t)v, 8);
        n = 8;
        break;
    }
    if (!pbuf_put(&c->vals, b, n)) {
        fail_nomem(w);
        return;
    }
    stat_int(c, v);
    value_added(w, c, n);
}

void cfs_pq_f64(cfs_pq_writer *w, size_t i, double v)
{
    col *c = target(w, i, SET_DOUBLE);
    if (!c) return;
    uint64_t bits;
    memcpy(&bits, &v, 8);
    uint8_t b[8];
    cfs_le_put(b, bits, 8);
    if (!pbuf_put(&c->vals, b, 8)) {
        fail_nomem(w);
        return;
    }
    stat_double(c, v);
    value_added(w, c, 8);
}

void cfs_pq_str(cfs_pq_writer *w, size_t i, const char *p, size_t n)
{
    col *c = target(w, i, SET_STR);
    if (!c) return;
    if (n > MAX_STR_LEN || (n > 0 && !p)) {
        fail_usage(w, c, "string too long or NULL");
        return;
    }
    if (c->dict_mode) {
        int64_t idx = dict_index(w, c, p, n);
        if (idx == -2) {
            fail_nomem(w);
            return;
        }
        if (idx >= 0) {
            uint32_t x = (uint32_t)idx;
            if (!pbuf_put(&c->vals, &x, 4)) {
                fail_nomem(w);
                return;
            }
            value_added(w, c, 4);
            return;
        }
        /* Dictionary full: finish the dictionary-encoded page and write PLAIN from here
         * on.  The chunk keeps its dictionary page for the pages already written.  The
         * switch is for the rest of the file: a column whose distinct values overflowed
         * one chunk's dictionary rarely fits the next one's. */
        flush_page(w, c);
        c->dict_mode = 0;
        c->page_dict = 0;
        if (w->st != CFS_OK) return;
    }
    uint8_t len[4];
    cfs_le_put(len, (uint32_t)n, 4);
    if (!pbuf_put(&c->vals, len, 4) || !pbuf_put(&c->vals, p, n) || !stat_str(c, (const uint8_t *)p, n)) {
        fail_nomem(w);
        return;
    }
    value_added(w, c, 4 + n);
}

static void add_null(cfs_pq_writer *w, col *c)
{
    uint8_t zero = 0;
    if (!pbuf_put(&c->defs, &zero, 1)) {
        fail_nomem(w);
        return;
    }
    w->buffered++;
    c->page_rows++;
    maybe_flush_page(w, c);
}

void cfs_pq_null(cfs_pq_writer *w, size_t i)
{
    col *c = target(w, i, SET_NULL);
    if (c) add_null(w, c);
}

/* ---- row groups -------------------------------------------------------------------- */
static void store_stat(uint8_t *dst, uint8_t *len, const void *src, size_t n)
{
    if (n) memcpy(dst, src, n); /* an empty string's buffer may be NULL */
    *len = (uint8_t)n;
}

/* Fill m's min/max from c's chunk statistics, encoded as PLAIN values without length
 * (parquet.thrift Statistics.min_value). */
static void chunk_stats(const col *c, chunk_meta *m)
{
    m->has_minmax = 0;
    if (!c->has_minmax) return;
    uint8_t b[8];
    switch (c->type) {
    case CFS_PQ_INT32:
        cfs_le_put(b, (uint32_t)(int32_t)c->imin, 4);
        store_stat(m->min, &m->min_len, b, 4);
        cfs_le_put(b, (uint32_t)(int32_t)c->imax, 4);
        store_stat(m->max, &m->max_len, b, 4);
        break;
    case CFS_PQ_BOOL:
        b[0] = (uint8_t)c->imin;
        store_stat(m->min, &m->min_len, b, 1);
        b[0] = (uint8_t)c->imax;
        store_stat(m->max, &m->max_len, b, 1);
        break;
    case CFS_PQ_INT64:
    case CFS_PQ_TIMESTAMP_MS:
        cfs_le_put(b, (uint64_t)c->imin, 8);
        store_stat(m->min, &m->min_len, b, 8);
        cfs_le_put(b, (uint64_t)c->imax, 8);
        store_stat(m->max, &m->max_len, b, 8);
        break;
    case CFS_PQ_DOUBLE: {
        /* A zero bound is written as -0.0 for min and +0.0 for max, so a reader that
         * does not order the signed zeros still gets a bound that holds (ColumnOrder). */
        double lo = c->dmin == 0 ? -0.0 : c->dmin, hi = c->dmax == 0 ? 0.0 : c->dmax;
        uint64_t bits;
        memcpy(&bits, &lo, 8);
        cfs_le_put(b, bits, 8);
        store_stat(m->min, &m->min_len, b, 8);
        memcpy(&bits, &hi, 8);
        cfs_le_put(b, bits, 8);
        store_stat(m->max, &m->max_len, b, 8);
        break;
    }
    case CFS_PQ_STRING:
    case CFS_PQ_BINARY:
        if (c->smin.n > MAX_STAT_LEN || c->smax.n > MAX_STAT_LEN) return;
        store_stat(m->min, &m->min_len, c->smin.p, c->smin.n);
        store_stat(m->max, &m->max_len, c->smax.p, c->smax.n);
        break;
    }
    m->has_minmax = 1;
}

static void flush_row_group(cfs_pq_writer *w)
{
    if (w->rg_rows == 0 || w->st != CFS_OK) return;
    if (w->nrgs == w->rgs_cap) {
        size_t cap = w->rgs_cap ? w->rgs_cap * 2 : 16;
        rg_meta *r = realloc(w->rgs, cap * sizeof *r);
        if (!r) goto nomem;
        w->rgs = r;
        chunk_meta *m = realloc(w->chunks, cap * w->ncols * sizeof *m);
        if (!m) goto nomem;
        w->chunks = m;
        w->rgs_cap = cap;
    }
    rg_meta *rg = &w->rgs[w->nrgs];
    *rg = (rg_meta){.num_rows = w->rg_rows, .offset = w->off};
    for (size_t i = 0; i < w->ncols && w->st == CFS_OK; i++) {
        col *c = &w->cols[i];
        chunk_meta *m = &w->chunks[w->nrgs * w->ncols + i];
        flush_page(w, c);
        if (w->st != CFS_OK) return;
        memset(m, 0, sizeof *m);
        m->start = w->off;
        uint64_t dict_u = 0, dict_z = 0;
        if (c->nents > 0) {
            /* The dictionary page precedes the data pages (parquet.thrift ColumnMetaData
             * dictionary_page_offset); it holds the entries as PLAIN byte arrays. */
            pbuf page = {0};
            w->body.n = 0;
            if (!pbuf_put(&w->body, c->dict.p, c->dict.n)) goto nomem;
            dict_u = emit_page(w, &page, PAGE_DICTIONARY, (uint32_t)c->nents, ENC_PLAIN);
            if (dict_u == 0) {
                pbuf_free(&page);
                return;
            }
            m->dict_page_offset = w->off;
            dict_z = page.n;
            file_write(w, page.p, page.n);
            pbuf_free(&page);
            c->encodings |= 1u << ENC_PLAIN;
        }
        m->data_page_offset = w->off;
        file_write(w, c->chunk.p, c->chunk.n);
        m->uncompressed = c->chunk_uncompressed + dict_u;
        m->compressed = c->chunk.n + dict_z;
        m->num_values = c->chunk_values;
        m->null_count = c->chunk_nulls;
        m->encodings = c->encodings;
        chunk_stats(c, m);
        rg->uncompressed += m->uncompressed;
        rg->compressed += m->compressed;

        /* reset the chunk; the dictionary restarts unless the column fell back */
        c->chunk.n = 0;
        c->chunk_uncompressed = c->chunk_values = c->chunk_nulls = 0;
        c->encodings = 0;
        c->has_minmax = 0;
        if (c->dict_mode) dict_clear(c);
        else dict_release(c);
        c->page_dict = c->dict_mode;
    }
    if (w->st != CFS_OK) return;
    w->nrgs++;
    w->rg_rows = 0;
    w->buffered = 0;
    return;
nomem:
    fail_nomem(w);
}

void cfs_pq_end_row(cfs_pq_writer *w)
{
    if (!w || w->st != CFS_OK) return;
    for (size_t i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        if (c->set) {
            c->set = 0;
        } else if (c->optional) {
            add_null(w, c);
        } else {
            fail_usage(w, c, "REQUIRED column left unset in a row");
            return;
        }
    }
    w->rows++;
    w->rg_rows++;
    if (w->rg_rows >= w->opt.row_group_rows || w->buffered >= w->opt.row_group_bytes) flush_row_group(w);
}

uint64_t cfs_pq_rows(const cfs_pq_writer *w) { return w ? w->rows : 0; }

cfs_status cfs_pq_status(const cfs_pq_writer *w) { return w ? w->st : CFS_E_USAGE; }

/* ---- footer ------------------------------------------------------------------------ */
static void schema_element(cfs_tc *t, const col *c)
{
    cfs_tc_struct_begin(t);
    cfs_tc_field_i32(t, 1, physical_type[c->type]);
    cfs_tc_field_i32(t, 3, c->optional ? REP_OPTIONAL : REP_REQUIRED);
    cfs_tc_field_binary(t, 4, c->name, strlen(c->name));
    if (c->type == CFS_PQ_STRING) {
        cfs_tc_field_i32(t, 6, CT_UTF8);
        cfs_tc_field_struct(t, 10); /* LogicalType */
        cfs_tc_field_struct(t, 1);  /* STRING: StringType {} */
        cfs_tc_struct_end(t);
        cfs_tc_struct_end(t);
    } else if (c->type == CFS_PQ_TIMESTAMP_MS) {
        cfs_tc_field_i32(t, 6, CT_TIMESTAMP_MILLIS);
        cfs_tc_field_struct(t, 10); /* LogicalType */
        cfs_tc_field_struct(t, 8);  /* TIMESTAMP: TimestampType */
        cfs_tc_field_bool(t, 1, 1); /* isAdjustedToUTC: CloudFront times are UTC */
        cfs_tc_field_struct(t, 2);  /* unit: TimeUnit */
        cfs_tc_field_struct(t, 1);  /* MILLIS: MilliSeconds {} */
        cfs_tc_struct_end(t);
        cfs_tc_struct_end(t);
        cfs_tc_struct_end(t);
        cfs_tc_struct_end(t);
    }
    cfs_tc_struct_end(t);
}

static void column_chunk(cfs_tc *t, const col *c, const chunk_meta *m)
{
    cfs_tc_struct_begin(t); /* ColumnChunk */
    cfs_tc_field_i64(t, 2, (int64_t)m->start);
    cfs_tc_field_struct(t, 3); /* ColumnMetaData */
    cfs_tc_field_i32(t, 1, physical_type[c->type]);
    uint32_t nenc = 0;
    for (int e = 0; e < 32; e++) nenc += (m->encodings >> e) & 1;
    cfs_tc_field_list(t, 2, CFS_TC_I32, nenc);
    for (int e = 0; e < 32; e++)
        if ((m->encodings >> e) & 1) cfs_tc_i32(t, e);
    cfs_tc_field_list(t, 3, CFS_TC_BINARY, 1);
    cfs_tc_binary(t, c->name, strlen(c->name));
    cfs_tc_field_i32(t, 4, CODEC_ZSTD);
    cfs_tc_field_i64(t, 5, (int64_t)m->num_values);
    cfs_tc_field_i64(t, 6, (int64_t)m->uncompressed);
    cfs_tc_field_i64(t, 7, (int64_t)m->compressed);
    cfs_tc_field_i64(t, 9, (int64_t)m->data_page_offset);
    if (m->dict_page_offset) cfs_tc_field_i64(t, 11, (int64_t)m->dict_page_offset);
    cfs_tc_field_struct(t, 12); /* Statistics */
    cfs_tc_field_i64(t, 3, (int64_t)m->null_count);
    if (m->has_minmax) {
        cfs_tc_field_binary(t, 5, m->max, m->max_len);
        cfs_tc_field_binary(t, 6, m->min, m->min_len);
    }
    cfs_tc_struct_end(t);
    cfs_tc_struct_end(t);
    cfs_tc_struct_end(t);
}

static void write_footer(cfs_pq_writer *w)
{
    cfs_tc *t = &w->tc;
    cfs_tc_reset(t);
    cfs_tc_struct_begin(t);    /* FileMetaData */
    cfs_tc_field_i32(t, 1, 1); /* version */
    cfs_tc_field_list(t, 2, CFS_TC_STRUCT, (uint32_t)w->ncols + 1);
    cfs_tc_struct_begin(t); /* root group: no type, its children are the columns */
    cfs_tc_field_binary(t, 4, "schema", 6);
    cfs_tc_field_i32(t, 5, (int32_t)w->ncols);
    cfs_tc_struct_end(t);
    for (size_t i = 0; i < w->ncols; i++) schema_element(t, &w->cols[i]);
    cfs_tc_field_i64(t, 3, (int64_t)w->rows);
    cfs_tc_field_list(t, 4, CFS_TC_STRUCT, (uint32_t)w->nrgs);
    for (size_t r = 0; r < w->nrgs; r++) {
        const rg_meta *rg = &w->rgs[r];
        cfs_tc_struct_begin(t); /* RowGroup */
        cfs_tc_field_list(t, 1, CFS_TC_STRUCT, (uint32_t)w->ncols);
        for (size_t i = 0; i < w->ncols; i++) column_chunk(t, &w->cols[i], &w->chunks[r * w->ncols + i]);
        cfs_tc_field_i64(t, 2, (int64_t)rg->uncompressed);
        cfs_tc_field_i64(t, 3, (int64_t)rg->num_rows);
        cfs_tc_field_i64(t, 5, (int64_t)rg->offset);
        cfs_tc_field_i64(t, 6, (int64_t)rg->compressed);
        cfs_tc_struct_end(t);
    }
    static const char created_by[] = "cfscan version " CFS_VERSION;
    cfs_tc_field_binary(t, 6, created_by, sizeof created_by - 1);
    /* TYPE_ORDER for every column tells readers min_value/max_value follow the order of
     * the logical type (signed ints, unsigned bytes for strings). */
    cfs_tc_field_list(t, 7, CFS_TC_STRUCT, (uint32_t)w->ncols);
    for (size_t i = 0; i < w->ncols; i++) {
        cfs_tc_struct_begin(t);    /* ColumnOrder */
        cfs_tc_field_struct(t, 1); /* TYPE_ORDER: TypeDefinedOrder {} */
        cfs_tc_struct_end(t);
        cfs_tc_struct_end(t);
    }
    cfs_tc_struct_end(t);
    if (t->failed || t->n > UINT32_MAX) {
        fail_nomem(w);
        return;
    }
    uint8_t tail[8];
    cfs_le_put(tail, (uint32_t)t->n, 4);
    memcpy(tail + 4, "PAR1", 4);
    file_write(w, t->p, t->n);
    file_write(w, tail, 8);
}

/* ---- open / close ------------------------------------------------------------------ */
static void writer_free(cfs_pq_writer *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->ncols; i++) {
        col *c = &w->cols[i];
        free(c->name);
        pbuf_free(&c->vals);
        pbuf_free(&c->defs);
        pbuf_free(&c->chunk);
        pbuf_free(&c->smin);
        pbuf_free(&c->smax);
        dict_release(c);
    }
    free(w->cols);
    free(w->rgs);
    free(w->chunks);
    pbuf_free(&w->body);
    pbuf_free(&w->zbody);
    cfs_tc_free(&w->tc);
    ZSTD_freeCCtx(w->zc);
    free(w->path);
    free(w);
}

static void set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* Remove the file, but only if the path still names the regular file we created: never
 * a device such as /dev/full, nor a file someone put there since. */
static void remove_output(cfs_pq_writer *w)
{
    struct stat st;
    if (w->fd_regular && stat(w->path, &st) == 0 && st.st_dev == w->dev && st.st_ino == w->ino)
        unlink(w->path);
}

cfs_status cfs_pq_open(cfs_pq_writer **out, const char *path, const cfs_pq_column *cols, size_t ncols,
                       char *err, size_t errlen)
{
    return cfs_pq_open_opts(out, path, cols, ncols, NULL, err, errlen);
}

static size_t pick(size_t v, size_t def, size_t max)
{
    if (v == 0) return def;
    return v > max ? max : v;
}

cfs_status cfs_pq_open_opts(cfs_pq_writer **out, const char *path, const cfs_pq_column *cols, size_t ncols,
                            const cfs_pq_options *opt, char *err, size_t errlen)
{
    if (!out) return CFS_E_USAGE;
    *out = NULL;
    if (!path || !cols || ncols == 0 || ncols > INT32_MAX) {
        set_err(err, errlen, "parquet: no path or no columns");
        return CFS_E_USAGE;
    }
    for (size_t i = 0; i < ncols; i++) {
        if (!cols[i].name || !cols[i].name[0] || (unsigned)cols[i].type > CFS_PQ_BINARY) {
            if (err && errlen)
                snprintf(err, errlen, "parquet: %s: column %zu has no name or a bad type", path, i);
            return CFS_E_USAGE;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(cols[i].name, cols[j].name) == 0) {
                if (err && errlen)
                    snprintf(err, errlen, "parquet: %s: duplicate column name \"%s\"", path, cols[i].name);
                return CFS_E_USAGE;
            }
    }
    cfs_pq_writer *w = calloc(1, sizeof *w);
    if (!w) goto nomem;
    w->fd = -1;
    cfs_tc_init(&w->tc);
    w->path = strdup(path);
    w->cols = calloc(ncols, sizeof *w->cols);
    w->zc = ZSTD_createCCtx();
    if (!w->path || !w->cols || !w->zc) goto nomem;
    w->ncols = ncols;
    for (size_t i = 0; i < ncols; i++) {
        col *c = &w->cols[i];
        c->name = strdup(cols[i].name);
        if (!c->name) goto nomem;
        c->type = cols[i].type;
        c->optional = cols[i].optional != 0;
        /* dictionary encoding is offered for strings only; ignored elsewhere */
        c->dict_mode = c->page_dict = cols[i].dictionary && is_bytes(c->type);
        c->bw = 1;
    }
    cfs_pq_options o = opt ? *opt : (cfs_pq_options){0};
    w->opt.row_group_rows = pick(o.row_group_rows, DEF_RG_ROWS, (size_t)INT32_MAX);
    w->opt.row_group_bytes = pick(o.row_group_bytes, DEF_RG_BYTES, (size_t)1 << 40);
    w->opt.page_bytes = pick(o.page_bytes, DEF_PAGE_BYTES, MAX_PAGE_BYTES);
    w->opt.dict_entries = pick(o.dict_entries, DEF_DICT_ENTRIES, (size_t)1 << 24);
    w->opt.dict_bytes = pick(o.dict_bytes, DEF_DICT_BYTES, MAX_PAGE_BYTES);
    w->opt.zstd_level = o.zstd_level ? o.zstd_level : DEF_ZSTD_LEVEL;

    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        int e = errno;
        if (err && errlen) snprintf(err, errlen, "parquet: cannot create %s: %s", path, strerror(e));
        writer_free(w);
        return CFS_E_IO;
    }
    struct stat st;
    if (fstat(w->fd, &st) == 0 && S_ISREG(st.st_mode)) {
        w->fd_regular = 1;
        w->dev = st.st_dev;
        w->ino = st.st_ino;
    }
    /* A write error here (say /dev/full) is kept and reported by cfs_pq_close. */
    file_write(w, "PAR1", 4);
    *out = w;
    return CFS_OK;
nomem:
    writer_free(w);
    set_err(err, errlen, "parquet: out of memory");
    return CFS_E_NOMEM;
}

cfs_status cfs_pq_close(cfs_pq_writer *w, char *err, size_t errlen)
{
    if (!w) {
        set_err(err, errlen, "parquet: no writer");
        return CFS_E_USAGE;
    }
    if (w->st == CFS_OK) {
        for (size_t i = 0; i < w->ncols; i++)
            if (w->cols[i].set) fail_usage(w, &w->cols[i], "row not ended before close");
    }
    flush_row_group(w);
    if (w->st == CFS_OK) write_footer(w);
    /* fsync so a finished file survives a crash; devices and pipes that cannot sync
     * (EINVAL, ENOTSUP, EROFS) are not an error. */
    if (w->st == CFS_OK && fsync(w->fd) != 0 && errno != EINVAL && errno != ENOTSUP && errno != EROFS)
        fail_errno(w, "sync", errno);
    if (close(w->fd) != 0 && errno != EINTR) fail_errno(w, "close", errno);
    w->fd = -1;
    cfs_status st = w->st;
    if (st != CFS_OK) {
        remove_output(w);
        set_err(err, errlen, w->msg);
    } else {
        set_err(err, errlen, "");
    }
    writer_free(w);
    return st;
}

void cfs_pq_abort(cfs_pq_writer *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    remove_output(w);
    writer_free(w);
}
