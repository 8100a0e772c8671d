/* Versioned, checksummed binary blobs for the sketches (layout in sketch_io.h).  Writers
 * build the payload in memory and emit header, payload and checksum; readers verify the
 * header and the checksum before parsing, and the parser still checks every bound. */
#include "pipeline/sketch_io.h"

#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipeline/le.h"

#define SKETCH_IO_VERSION 1u
#define HEADER_SIZE 10u /* magic 4 + version 2 + length 4 */

static const char MAGIC_HIST[4] = {'C', 'F', 'H', 'G'};
static const char MAGIC_HLL[4] = {'C', 'F', 'L', 'L'};
static const char MAGIC_TOPK[4] = {'C', 'F', 'T', 'K'};

/* Payload limits used to refuse a damaged length before reading: a histogram holds at most
 * three 10-byte varints plus 1024 (gap, count) pairs; an HLL at most the sparse form of
 * all 16384 registers.  A top-k payload is bounded only by u32; the reader then grows its
 * buffer as bytes actually arrive, so a bad length cannot make it allocate ahead. */
#define HIST_MAX_PAYLOAD (3u * 10u + CFS_HIST_BUCKETS * 20u)
#define HLL_MAX_PAYLOAD (1u + 10u + CFS_HLL_REGS * 4u)
#define HLL_MAX_RANK (64u - CFS_HLL_P + 1u)

/* ---- growable output buffer ---------------------------------------------------------- */

typedef struct obuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} obuf;

static void ob_need(obuf *b, size_t more)
{
    if (b->oom || b->n + more <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + more) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return;
    }
    b->p = p;
    b->cap = cap;
}

static void ob_bytes(obuf *b, const void *src, size_t n)
{
    ob_need(b, n);
    if (b->oom || n == 0) return;
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void ob_u8(obuf *b, uint8_t v) { ob_bytes(b, &v, 1); }

static void ob_varint(obuf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    ob_bytes(b, tmp, n);
}

static void ob_u64(obuf *b, uint64_t v)
{
    uint8_t tmp[8];
    cfs_le_put(tmp, v, 8);
    ob_bytes(b, tmp, 8);
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* ---- input cursor over a verified payload ------------------------------------------------ */

typedef struct icur {
    const uint8_t *p, *end;
    int bad; /* set on the first read past the end or malformed varint; reads then give 0 */
} icur;

static uint8_t ic_u8(icur *c)
{
    if (c->bad || c->p >= c->end) {
        c->bad = 1;
        return 0;
    }
    return *c->p++;
}

static uint64_t ic_varint(icur *c)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t byte = ic_u8(c);
        if (c->bad) return 0;
        /* the 10th byte may only carry bit 63 */
        if (shift == 63 && byte > 1) break;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) return v;
    }
    c->bad = 1;
    return 0;
}

static uint64_t ic_u64(icur *c)
{
    if (c->bad || (size_t)(c->end - c->p) < 8) {
        c->bad = 1;
        return 0;
    }
    uint64_t v = cfs_le_get(c->p, 8);
    c->p += 8;
    return v;
}

/* Pointer to n bytes inside the payload, or NULL (and bad) when fewer remain. */
static const uint8_t *ic_bytes(icur *c, uint64_t n)
{
    if (c->bad || (uint64_t)(c->end - c->p) < n) {
        c->bad = 1;
        return NULL;
    }
    const uint8_t *p = c->p;
    c->p += n;
    return p;
}

static int ic_done(const icur *c) { return !c->bad && c->p == c->end; }

/* ---- framing ------------------------------------------------------------------------- */

static cfs_status blob_write(FILE *f, const char magic[4], const obuf *b)
{
    if (b->oom) return CFS_E_NOMEM;
    if (b->n > UINT32_MAX) return CFS_E_UNSUPPORTED;
    uint8_t hdr[HEADER_SIZE], sum[8];
    memcpy(hdr, magic, 4);
    cfs_le_put(hdr + 4, SKETCH_IO_VERSION, 2);
    cfs_le_put(hdr + 6, b->n, 4);
    cfs_le_put(sum, XXH3_64bits(b->p, b->n), 8);
    if (fwrite(hdr, 1, sizeof hdr, f) != sizeof hdr) return CFS_E_IO;
    if (b->n && fwrite(b->p, 1, b->n, f) != b->n) return CFS_E_IO;
    if (fwrite(sum, 1, sizeof sum, f) != sizeof sum) return CFS_E_IO;
    return CFS_OK;
}

/* Reads exactly n bytes; distinguishes a stream that ends early from a read error. */
static cfs_status read_exact(FILE *f, void *dst, size_t n)
{
    if (n == 0) return CFS_OK;
    size_t got = fread(dst, 1, n, f);
    if (got == n) return CFS_OK;
    return ferror(f) ? CFS_E_IO : CFS_E_TRUNCATED;
}

/* Reads one blob with the given magic and returns its payload (malloc'd, caller frees)
 * once the checksum matches. */
static cfs_status blob_read(FILE *f, const char magic[4], uint32_t max_len, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    uint8_t hdr[HEADER_SIZE];
    CFS_FORWARD_IF_ERROR(read_exact(f, hdr, sizeof hdr));
    if (memcmp(hdr, magic, 4) != 0) return CFS_E_CORRUPT;
    uint64_t version = cfs_le_get(hdr + 4, 2);
    if (version == 0) return CFS_E_CORRUPT;
    if (version > SKETCH_IO_VERSION) return CFS_E_UNSUPPORTED;
    uint64_t len = cfs_le_get(hdr + 6, 4);
    if (len > max_len) return CFS_E_CORRUPT;

    /* Grow with the data actually read: at most twice what the stream holds. */
    uint8_t *p = NULL;
    size_t have = 0, cap = 0;
    while (have < len) {
        size_t want = cap ? cap * 2 : 65536;
        if (want > len) want = (size_t)len;
        uint8_t *q = realloc(p, want ? want : 1);
        if (!q) {
            free(p);
            return CFS_E_NOMEM;
        }
        p = q;
        cap = want;
        cfs_status st = read_exact(f, p + have, cap - have);
        if (st != CFS_OK) {
            free(p);
            return st;
        }
        have = cap;
    }
    uint8_t sum[8];
    cfs_status st = read_exact(f, sum, sizeof sum);
    if (st == CFS_OK && cfs_le_get(sum, 8) != XXH3_64bits(p, (size_t)len)) st = CFS_E_CORRUPT;
    if (st != CFS_OK) {
        free(p);
        return st;
    }
    *out = p;
    *out_len = (size_t)len;
    return CFS_OK;
}

/* ---- histogram ----------------------------------------------------------------------- */

/* Buckets past the last one a value maps to are never filled (cfs_hist_add_n refuses
 * them), so the reader refuses them too. */
static unsigned hist_used(void) { return cfs_hist_bucket(UINT32_MAX) + 1; }

cfs_status cfs_hist_write(FILE *f, const cfs_hist *h)
{
    obuf b = {0};
    uint64_t nnz = 0, v;
    for (unsigned i = cfs_hist_next(h, 0, &v); i < CFS_HIST_BUCKETS; i = cfs_hist_next(h, i + 1, &v)) nnz++;
    ob_varint(&b, h->count);
    ob_varint(&b, h->sum_ms);
    ob_varint(&b, nnz);
    unsigned next = 0; /* previous index + 1 */
    for (unsigned i = cfs_hist_next(h, 0, &v); i < CFS_HIST_BUCKETS; i = cfs_hist_next(h, i + 1, &v)) {
        ob_varint(&b, i - next);
        ob_varint(&b, v);
        next = i + 1;
    }
    cfs_status st = blob_write(f, MAGIC_HIST, &b);
    free(b.p);
    return st;
}

cfs_status cfs_hist_read(FILE *f, cfs_hist *h)
{
    uint8_t *p;
    size_t n;
    CFS_FORWARD_IF_ERROR(blob_read(f, MAGIC_HIST, HIST_MAX_PAYLOAD, &p, &n));
    /* built directly in the sparse form (it turns dense by itself past its threshold) */
    cfs_hist stmp, *tmp = &stmp;
    memset(tmp, 0, sizeof *tmp);
    int oom = 0;
    icur c = {p, p + n, 0};
    tmp->count = ic_varint(&c);
    tmp->sum_ms = ic_varint(&c);
    uint64_t nnz = ic_varint(&c);
    const unsigned used = hist_used();
    uint64_t next = 0, total = 0;
    int ok = nnz <= used;
    for (uint64_t k = 0; ok && k < nnz; k++) {
        uint64_t gap = ic_varint(&c);
        uint64_t v = ic_varint(&c);
        /* gap < used keeps next + gap from overflowing */
        ok = !c.bad && gap < used && next + gap < used && v != 0 && !__builtin_add_overflow(total, v, &total);
        if (ok && !cfs_hist_append(tmp, (unsigned)(next + gap), v)) ok = 0, oom = 1;
        if (ok) next += gap + 1;
    }
    ok = ok && ic_done(&c) && total == tmp->count;
    free(p);
    if (!ok) {
        cfs_hist_free(tmp);
        return oom ? CFS_E_NOMEM : CFS_E_CORRUPT;
    }
    *h = *tmp;
    return CFS_OK;
}

/* ---- HyperLogLog --------------------------------------------------------------------- */

cfs_status cfs_hll_write(FILE *f, const cfs_hll *h)
{
    /* Sparse pays off for small cardinalities (a few thousand registers set). */
    size_t nnz = 0, sparse = 0;
    uint32_t next = 0;
    uint8_t r;
    for (uint32_t i = cfs_hll_next(h, 0, &r); i < CFS_HLL_REGS; i = cfs_hll_next(h, i + 1, &r)) {
        nnz++;
        sparse += varint_len(i - next) + 1;
        next = i + 1;
    }
    sparse += varint_len(nnz);
    obuf b = {0};
    if (sparse < CFS_HLL_REGS) {
        ob_u8(&b, 1);
        ob_varint(&b, nnz);
        next = 0;
        for (uint32_t i = cfs_hll_next(h, 0, &r); i < CFS_HLL_REGS; i = cfs_hll_next(h, i + 1, &r)) {
            ob_varint(&b, i - next);
            ob_u8(&b, r);
            next = i + 1;
        }
    } else {
        /* whichever form h has in memory, the blob is the same */
        ob_u8(&b, 0);
        ob_need(&b, CFS_HLL_REGS);
        if (!b.oom) {
            memset(b.p + b.n, 0, CFS_HLL_REGS);
            for (uint32_t i = cfs_hll_next(h, 0, &r); i < CFS_HLL_REGS; i = cfs_hll_next(h, i + 1, &r))
                b.p[b.n + i] = r;
            b.n += CFS_HLL_REGS;
        }
    }
    cfs_status st = blob_write(f, MAGIC_HLL, &b);
    free(b.p);
    return st;
}

cfs_status cfs_hll_read(FILE *f, cfs_hll *h)
{
    uint8_t *p;
    size_t n;
    CFS_FORWARD_IF_ERROR(blob_read(f, MAGIC_HLL, HLL_MAX_PAYLOAD, &p, &n));
    /* built directly in the sparse form (it turns dense by itself past its threshold) */
    cfs_hll stmp, *tmp = &stmp;
    memset(tmp, 0, sizeof *tmp);
    int oom = 0;
    icur c = {p, p + n, 0};
    uint8_t kind = ic_u8(&c);
    int ok = !c.bad;
    if (ok && kind == 0) {
        const uint8_t *r = ic_bytes(&c, CFS_HLL_REGS);
        for (uint32_t i = 0; r && i < CFS_HLL_REGS; i++) ok &= r[i] <= HLL_MAX_RANK;
        for (uint32_t i = 0; ok && r && i < CFS_HLL_REGS; i++)
            if (!cfs_hll_set(tmp, i, r[i])) ok = 0, oom = 1;
    } else if (ok && kind == 1) {
        uint64_t nnz = ic_varint(&c);
        uint64_t next = 0;
        ok = nnz <= CFS_HLL_REGS;
        for (uint64_t k = 0; ok && k < nnz; k++) {
            uint64_t gap = ic_varint(&c);
            uint8_t v = ic_u8(&c);
            ok = !c.bad && gap < CFS_HLL_REGS && next + gap < CFS_HLL_REGS && v != 0 && v <= HLL_MAX_RANK;
            if (ok && !cfs_hll_set(tmp, (uint32_t)(next + gap), v)) ok = 0, oom = 1;
            if (ok) next += gap + 1;
        }
    } else {
        ok = 0;
    }
    ok = ok && ic_done(&c);
    free(p);
    if (!ok) {
        cfs_hll_free(tmp);
        return oom ? CFS_E_NOMEM : CFS_E_CORRUPT;
    }
    *h = *tmp;
    return CFS_OK;
}

/* ---- top-k --------------------------------------------------------------------------- */

cfs_status cfs_topk_write(FILE *f, const cfs_topk *t)
{
    if (!t) return CFS_E_USAGE;
    size_t used = cfs_topk_size(t);
    cfs_topk_entry *e = malloc((used ? used : 1) * sizeof *e);
    if (!e) return CFS_E_NOMEM;
    cfs_topk_export(t, e);
    cfs_topk_state st;
    cfs_topk_get_state(t, &st);
    cfs_status rc = CFS_OK;
    obuf b = {0};
    ob_varint(&b, st.capacity);
    ob_varint(&b, st.total);
    ob_varint(&b, st.floor);
    ob_u8(&b, st.poisoned ? 1 : 0);
    ob_varint(&b, used);
    for (size_t i = 0; i < used && rc == CFS_OK; i++) {
        if (e[i].item.n > CFS_TOPK_MAX_KEY) {
            rc = CFS_E_UNSUPPORTED;
            break;
        }
        ob_varint(&b, e[i].item.n);
        ob_bytes(&b, e[i].item.key, e[i].item.n);
        ob_u64(&b, e[i].hash);
        ob_varint(&b, e[i].item.count);
        ob_varint(&b, e[i].item.error);
    }
    if (rc == CFS_OK) rc = blob_write(f, MAGIC_TOPK, &b);
    free(b.p);
    free(e);
    return rc;
}

cfs_status cfs_topk_read(FILE *f, cfs_topk **out)
{
    return cfs_topk_read_limited(f, CFS_TOPK_MAX_CAPACITY, UINT32_MAX, out);
}

/* Smallest encoding of one entry: key length 0 (1 byte), no key, hash (8), count and
 * error (1 byte each).  The entries a blob claims must fit in what its payload holds. */
#define TOPK_MIN_ENTRY 11u

cfs_status cfs_topk_read_limited(FILE *f, uint32_t max_capacity, uint32_t max_payload, cfs_topk **out)
{
    *out = NULL;
    uint8_t *p;
    size_t n;
    CFS_FORWARD_IF_ERROR(blob_read(f, MAGIC_TOPK, max_payload, &p, &n));
    icur c = {p, p + n, 0};
    cfs_topk_state st;
    uint64_t cap = ic_varint(&c);
    st.total = ic_varint(&c);
    st.floor = ic_varint(&c);
    uint8_t flags = ic_u8(&c);
    uint64_t used = ic_varint(&c);
    if (c.bad || cap == 0 || cap > CFS_TOPK_MAX_CAPACITY || cap > max_capacity || used > cap ||
        used > (uint64_t)(c.end - c.p) / TOPK_MIN_ENTRY || (flags & ~1u)) {
        free(p);
        return CFS_E_CORRUPT;
    }
    st.capacity = (uint32_t)cap;
    st.poisoned = flags & 1;
    cfs_topk_entry *e = malloc((used ? used : 1) * sizeof *e);
    if (!e) {
        free(p);
        return CFS_E_NOMEM;
    }
    for (uint64_t i = 0; i < used && !c.bad; i++) {
        uint64_t klen = ic_varint(&c);
        if (klen > CFS_TOPK_MAX_KEY) c.bad = 1;
        /* keys point into the payload; cfs_topk_restore copies them */
        e[i].item.key = (const char *)ic_bytes(&c, klen);
        e[i].item.n = (uint32_t)klen;
        e[i].hash = ic_u64(&c);
        e[i].item.count = ic_varint(&c);
        e[i].item.error = ic_varint(&c);
    }
    cfs_status rc = ic_done(&c) ? cfs_topk_restore(out, &st, e, (size_t)used) : CFS_E_CORRUPT;
    free(e);
    free(p);
    return rc;
}
