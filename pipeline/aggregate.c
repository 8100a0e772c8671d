/* Aggregate stage: the hash tables behind every count in the report.  Keys are fixed
 * size structs hashed with XXH3 (xxHash inlined here, the translation unit that hashes
 * keys); rows live in one array per table so a merge is a linear walk. */
#include "pipeline/aggregate.h"
#include "pipeline/presence.h"
#include "pipeline/redact.h"
#include "pipeline/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t cfs_hash_bytes(const void *p, size_t n) { return XXH3_64bits(p, n); }

static void topk_put(cfs_topk *t);

/* ---- generic map --------------------------------------------------------------------- */
void cfs_kmap_init(cfs_kmap *m, size_t key_size, size_t row_size)
{
    memset(m, 0, sizeof *m);
    m->key_size = key_size;
    m->row_size = row_size;
}

/* Heap bytes a map holds, as charged to the memory budget (xalloc.h). */
/* What a map of cap index slots and rows_cap rows is charged, with its index and its rows
 * allocated or not. */
static int64_t kmap_size(size_t cap, size_t rows_cap, size_t row_size, int has_index, int has_rows)
{
    return (int64_t)(cap * (sizeof(uint64_t) + sizeof(uint32_t)) + rows_cap * row_size) +
           (has_index ? 2 * CFS_MEM_BLOCK : 0) + (has_rows ? CFS_MEM_BLOCK : 0);
}

static int64_t kmap_bytes(const cfs_kmap *m)
{
    return kmap_size(m->cap, m->rows_cap, m->row_size, m->hash != NULL, m->rows != NULL);
}

/* Index slots for `rows` rows with the index at most half full: a power of two, from
 * `from` (a map's current capacity, 0 for none) doubled as often as needed. */
static size_t kmap_cap_for(size_t rows, size_t from)
{
    size_t cap = from ? from : 64;
    while ((rows + 1) * 2 > cap) cap *= 2;
    return cap;
}

int64_t cfs_kmap_bytes_for(size_t rows, size_t row_size)
{
    return kmap_size(kmap_cap_for(rows, 0), rows, row_size, 1, 1);
}

void cfs_kmap_free(cfs_kmap *m)
{
    cfs_mem_charge(-kmap_bytes(m));
    free(m->hash);
    free(m->slot);
    free(m->rows);
    memset(m, 0, sizeof *m);
}

void *cfs_kmap_row(const cfs_kmap *m, size_t i) { return m->rows + i * m->row_size; }

/* dst, empty, becomes a copy of src (same key and row sizes): its arrays copied as they
 * are, no key hashed or compared.  0 when out of memory (recorded): dst stays empty. */
static int kmap_clone(cfs_kmap *dst, const cfs_kmap *src)
{
    cfs_kmap_init(dst, src->key_size, src->row_size);
    if (!src->cap) return 1;
    uint64_t *h = cfs_malloc(src->cap * sizeof *h, "copying a hash table of the aggregation");
    uint32_t *sl = h ? cfs_malloc(src->cap * sizeof *sl, "copying a hash table of the aggregation") : NULL;
    /* rows for those src holds, not its spare room */
    char *rows = sl ? cfs_malloc((src->n ? src->n : 1) * src->row_size,
                                 "copying a hash table of the aggregation")
                    : NULL;
    if (!rows) {
        free(h);
        free(sl);
        return 0;
    }
    memcpy(h, src->hash, src->cap * sizeof *h);
    memcpy(sl, src->slot, src->cap * sizeof *sl);
    if (src->n) memcpy(rows, src->rows, src->n * src->row_size); /* no rows: src->rows may be NULL */
    *dst = *src;
    dst->hash = h;
    dst->slot = sl;
    dst->rows = rows;
    dst->rows_cap = src->n ? src->n : 1;
    cfs_mem_charge(kmap_bytes(dst));
    return 1;
}

/* 0 when out of memory (recorded, xalloc.h): the map stays as it was. */
static int kmap_resize(cfs_kmap *m, size_t ncap)
{
    if (m->refuse_over && cfs_mem_refuse(ncap * (sizeof(uint64_t) + sizeof(uint32_t)))) return 0;
    uint64_t *nh = cfs_calloc(ncap, sizeof *nh, "growing a hash table of the aggregation");
    uint32_t *ns = nh ? cfs_calloc(ncap, sizeof *ns, "growing a hash table of the aggregation") : NULL;
    if (!ns) {
        free(nh);
        return 0;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slot[i]) continue;
        size_t j = (size_t)m->hash[i] & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        nh[j] = m->hash[i];
        ns[j] = m->slot[i];
    }
    int64_t before = kmap_bytes(m);
    free(m->hash);
    free(m->slot);
    m->hash = nh;
    m->slot = ns;
    m->cap = ncap;
    cfs_mem_charge(kmap_bytes(m) - before);
    return 1;
}

static int kmap_grow(cfs_kmap *m) { return kmap_resize(m, m->cap ? m->cap * 2 : 64); }

/* What cfs_kmap_get returns when the map could not grow (out of memory, recorded): a
 * zeroed row of this thread that no map holds, so the caller's writes land nowhere and
 * the map stays consistent until the run stops at its next check.  Every row type of
 * the aggregation fits (the asserts below). */
#define KMAP_SINK_BYTES 1024
static _Thread_local union {
    max_align_t align;
    char b[KMAP_SINK_BYTES];
} t_kmap_sink;
_Static_assert(sizeof(cfs_trow) <= KMAP_SINK_BYTES && sizeof(cfs_grow) <= KMAP_SINK_BYTES &&
                   sizeof(cfs_orow) <= KMAP_SINK_BYTES && sizeof(cfs_lrow) <= KMAP_SINK_BYTES &&
                   sizeof(cfs_wrow) <= KMAP_SINK_BYTES && sizeof(cfs_hrow) <= KMAP_SINK_BYTES &&
                   sizeof(cfs_prow) <= KMAP_SINK_BYTES,
               "a row of the aggregation is larger than the out-of-memory sink row");

static void *kmap_sink(const cfs_kmap *m, const void *key, int *created)
{
    size_t n = m->row_size < KMAP_SINK_BYTES ? m->row_size : KMAP_SINK_BYTES;
    memset(t_kmap_sink.b, 0, n);
    memcpy(t_kmap_sink.b, key, m->key_size < n ? m->key_size : n);
    if (created) *created = 1;
    return t_kmap_sink.b;
}

int cfs_kmap_is_sink(const void *row) { return row == (const void *)t_kmap_sink.b; }

void cfs_kmap_reserve(cfs_kmap *m, size_t more)
{
    const size_t want = m->n + more, ncap = kmap_cap_for(want, m->cap);
    /* out of memory: the inserts grow the map one doubling at a time instead, or fail */
    if (ncap > m->cap && !kmap_resize(m, ncap)) return;
    if (want > m->rows_cap) {
        char *r = cfs_realloc_charged(m->rows, m->rows_cap * m->row_size, want * m->row_size,
                                      "growing the rows of a hash table of the aggregation");
        if (!r) return;
        m->rows = r;
        m->rows_cap = want;
    }
}

/* Keys are whole 8-byte words (every key struct here is a multiple of 8 bytes): an
 * inlined word compare beats a libc memcmp call on the hot path. */
static inline int key_eq(const char *a, const char *b, size_t n)
{
    if (n % 8) return memcmp(a, b, n) == 0;
    uint64_t diff = 0;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x, y;
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        diff |= x ^ y;
    }
    return diff == 0;
}

/* The row of key (hash h), or NULL with *slot_out at the empty slot where it would go.
 * Linear probing at load factor <= 1/2: short, cache-friendly probe runs.  m->cap > 0. */
static inline char *kmap_probe(const cfs_kmap *m, const void *key, uint64_t h, size_t *slot_out)
{
    size_t j = (size_t)h & (m->cap - 1);
    while (m->slot[j]) {
        if (m->hash[j] == h) {
            char *row = m->rows + (size_t)(m->slot[j] - 1) * m->row_size;
            if (key_eq(row, key, m->key_size)) return row;
        }
        j = (j + 1) & (m->cap - 1);
    }
    *slot_out = j;
    return NULL;
}

uint64_t cfs_kmap_hash(const cfs_kmap *m, const void *key) { return cfs_hash_bytes(key, m->key_size); }

const void *cfs_kmap_find_hashed(const cfs_kmap *m, const void *key, uint64_t h)
{
    size_t j;
    return m->cap ? kmap_probe(m, key, h, &j) : NULL;
}

const void *cfs_kmap_find(const cfs_kmap *m, const void *key)
{
    return cfs_kmap_find_hashed(m, key, cfs_kmap_hash(m, key));
}

void cfs_kmap_prefetch(const cfs_kmap *m, uint64_t h)
{
    if (!m->cap) return;
    const size_t j = (size_t)h & (m->cap - 1);
    __builtin_prefetch(&m->hash[j]);
    __builtin_prefetch(&m->slot[j]);
}

void *cfs_kmap_get(cfs_kmap *m, const void *key, int *created)
{
    return cfs_kmap_get_hashed(m, key, cfs_kmap_hash(m, key), created);
}

void *cfs_kmap_get_hashed(cfs_kmap *m, const void *key, uint64_t h, int *created)
{
    /* A map that could not grow goes on filling (the load may pass 1/2) while one slot
     * stays empty, so probes end; past that new keys go to the sink. */
    if ((m->n + 1) * 2 > m->cap && !kmap_grow(m) && m->n + 2 > m->cap) {
        if (m->cap) {
            void *row = (void *)cfs_kmap_find_hashed(m, key, h);
            if (row) {
                if (created) *created = 0;
                return row;
            }
        }
        return kmap_sink(m, key, created);
    }
    size_t j = 0;
    char *found = kmap_probe(m, key, h, &j);
    if (found) {
        if (created) *created = 0;
        return found;
    }
    if (m->n == m->rows_cap) {
        size_t nc = m->rows_cap ? m->rows_cap * 2 : 64;
        char *r = m->refuse_over && cfs_mem_refuse((nc - m->rows_cap) * m->row_size)
                      ? NULL
                      : cfs_realloc_charged(m->rows, m->rows_cap * m->row_size, nc * m->row_size,
                                            "growing the rows of a hash table of the aggregation");
        if (!r) return kmap_sink(m, key, created);
        m->rows = r;
        m->rows_cap = nc;
    }
    char *row = m->rows + m->n * m->row_size;
    memset(row, 0, m->row_size);
    memcpy(row, key, m->key_size);
    m->n++;
    m->hash[j] = h;
    m->slot[j] = (uint32_t)m->n;
    if (created) *created = 1;
    return row;
}

/* p's rows after dst's (dst reserved for them): the rows copied, p's index entries moved
 * past dst's rows, no key hashed or compared.  Out of memory (recorded: dst could not be
 * reserved) row by row, as far as the map can grow. */
static void kmap_append(cfs_kmap *dst, const cfs_kmap *p)
{
    if (!p->n) return;
    if (dst->cap < 2 * (dst->n + p->n + 1) || dst->rows_cap < dst->n + p->n) {
        for (size_t r = 0; r < p->n; r++) {
            const char *src = p->rows + r * p->row_size;
            char *row = cfs_kmap_get(dst, src, NULL);
            if (!cfs_kmap_is_sink(row)) memcpy(row, src, dst->row_size);
        }
        return;
    }
    memcpy(dst->rows + dst->n * dst->row_size, p->rows, p->n * p->row_size);
    for (size_t j = 0; j < p->cap; j++) {
        if (!p->slot[j]) continue;
        size_t k = (size_t)p->hash[j] & (dst->cap - 1);
        while (dst->slot[k]) k = (k + 1) & (dst->cap - 1);
        dst->hash[k] = p->hash[j];
        dst->slot[k] = (uint32_t)(dst->n + p->slot[j]);
    }
    dst->n += p->n;
}

/* Rows below which a join runs on one thread: starting the threads costs more. */
#define CONCAT_PARALLEL_MIN 4096

/* cfs_kmap_concat into an empty dst on `threads` threads (total: the parts' rows): the
 * rows of every part copied to their place (the parts' order, as the serial join leaves
 * them) and their index entries put into one new index, part by part on whichever thread
 * is free.  Keys are disjoint, so an entry only needs an empty slot along its probe run,
 * which it takes with a compare-and-swap; the slot an entry ends in may differ from run to
 * run, which no lookup and no reader of the rows can tell.  0 when the memory budget has
 * no room for the joined table, or its arrays could not be had (out of memory, recorded):
 * dst and the parts as they were. */
static int concat_parallel(cfs_kmap *dst, cfs_kmap *parts, size_t n, size_t total, size_t extra, int threads)
{
    const size_t want = total + extra; /* as cfs_kmap_reserve sizes a map for want rows */
    const size_t cap = kmap_cap_for(want, 0), row = dst->row_size;
    /* Until the parts are freed at the end this holds them and the joined table at once,
     * where the serial join grows the first part into the table: one part's worth more
     * at the peak (3.6 MB on the plain bench set at -j2).  So it runs only where the
     * memory budget has room for the whole table besides what is held; else the serial
     * join does the work, as it did before. */
    const uint64_t limit = cfs_mem_limit();
    const uint64_t need = (uint64_t)kmap_size(cap, want ? want : 1, row, 1, 1); /* as it will be charged */
    if (cfs_mem_over() || (limit && (uint64_t)cfs_mem_held() + need > limit)) return 0;
    size_t *at = cfs_malloc(n * sizeof *at, "joining the partitions of a hash table");
    if (!at) return 0;
    for (size_t i = 0, o = 0; i < n; i++) {
        at[i] = o;
        o += parts[i].n;
    }
    uint64_t *h = cfs_calloc(cap, sizeof *h, "joining the partitions of a hash table");
    uint32_t *sl = h ? cfs_calloc(cap, sizeof *sl, "joining the partitions of a hash table") : NULL;
    char *rows = sl ? cfs_malloc((want ? want : 1) * row, "joining the partitions of a hash table") : NULL;
    if (!rows) {
        free(h);
        free(sl);
        free(at);
        return 0;
    }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (size_t i = 0; i < n; i++) {
        const cfs_kmap *p = &parts[i];
        if (!p->n) continue;
        memcpy(rows + at[i] * row, p->rows, p->n * row);
        for (size_t j = 0; j < p->cap; j++) {
            if (!p->slot[j]) continue;
            const uint32_t v = (uint32_t)(at[i] + p->slot[j]);
            size_t k = (size_t)p->hash[j] & (cap - 1);
            for (;;) {
                uint32_t empty = 0;
                if (__atomic_load_n(&sl[k], __ATOMIC_RELAXED) == 0 &&
                    __atomic_compare_exchange_n(&sl[k], &empty, v, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                    break;
                k = (k + 1) & (cap - 1);
            }
            h[k] = p->hash[j]; /* slot k is this thread's now: no other writes or reads it */
        }
    }
    free(at);
    const size_t key = dst->key_size;
    cfs_kmap_free(dst); /* empty, but it may hold arrays */
    cfs_kmap_init(dst, key, row);
    dst->hash = h;
    dst->slot = sl;
    dst->cap = cap;
    dst->rows = rows;
    dst->rows_cap = want ? want : 1;
    dst->n = total;
    cfs_mem_charge(kmap_bytes(dst));
    for (size_t i = 0; i < n; i++) {
        cfs_kmap_free(&parts[i]);
        cfs_kmap_init(&parts[i], key, row);
    }
    return 1;
}

void cfs_kmap_concat(cfs_kmap *dst, cfs_kmap *parts, size_t n, size_t extra, int threads)
{
    if (threads > 1 && n > 1 && dst->n == 0) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) total += parts[i].n;
        if (total >= CONCAT_PARALLEL_MIN && concat_parallel(dst, parts, n, total, extra, threads)) return;
    }
    size_t first = 0;
    if (dst->n == 0 && n > 0) {
        /* the first part becomes dst, its rows and index as they are */
        cfs_kmap t = *dst;
        *dst = parts[0];
        parts[0] = t;
        cfs_kmap_free(&parts[0]);
        cfs_kmap_init(&parts[0], dst->key_size, dst->row_size);
        first = 1;
    }
    size_t total = extra;
    for (size_t i = first; i < n; i++) total += parts[i].n;
    cfs_kmap_reserve(dst, total);
    for (size_t i = first; i < n; i++) {
        kmap_append(dst, &parts[i]);
        size_t key = parts[i].key_size, row = parts[i].row_size;
        cfs_kmap_free(&parts[i]);
        cfs_kmap_init(&parts[i], key, row);
    }
}

void cfs_kmap_concat_copy(cfs_kmap *dst, const cfs_kmap *parts, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += parts[i].n;
    cfs_kmap_reserve(dst, total);
    for (size_t i = 0; i < n; i++) kmap_append(dst, &parts[i]);
}

/* ---- agg --------------------------------------------------------------------------------- */
void cfs_agg_init(cfs_agg *a)
{
    memset(a, 0, sizeof *a);
    cfs_kmap_init(&a->traffic, sizeof(cfs_tkey), sizeof(cfs_trow));
    cfs_kmap_init(&a->groups, sizeof(cfs_gkey), sizeof(cfs_grow));
    cfs_kmap_init(&a->origin, CFS_KEY_STR, sizeof(cfs_orow));
    cfs_kmap_init(&a->olabel, 2 * CFS_KEY_STR, sizeof(cfs_lrow));
    cfs_kmap_init(&a->waf, CFS_KEY_STR + 8, sizeof(cfs_wrow));
    cfs_kmap_init(&a->heavy, sizeof(cfs_gkey), sizeof(cfs_hrow));
    cfs_kmap_init(&a->pages, CFS_KEY_STR + 8, sizeof(cfs_prow));
    cfs_kmap_init(&a->facts, CFS_KEY_STR + 8, sizeof(cfs_frow)); /* dist, from */
    cfs_kmap_init(&a->present, CFS_KEY_STR, sizeof(cfs_pres_row));
}

/* A group's sketches start empty and small (sketch.h); these charge the budget.  NULL
 * when out of memory (recorded). */
cfs_group *cfs_group_new(void)
{
    cfs_group *g = cfs_calloc(1, sizeof *g, "adding a 403 group (latency and client sketches)");
    if (g) cfs_mem_charge((int64_t)sizeof *g + CFS_MEM_BLOCK);
    return g;
}

void cfs_group_free(cfs_group *g)
{
    if (!g) return;
    cfs_hist_free(&g->tt);
    cfs_hist_free(&g->ttfb);
    cfs_hll_free(&g->clients);
    cfs_free_charged(g, sizeof *g);
}

cfs_hist *cfs_hist_new(void)
{
    cfs_hist *h = cfs_calloc(1, sizeof *h, "adding an origin latency histogram");
    if (h) cfs_mem_charge((int64_t)sizeof *h + CFS_MEM_BLOCK);
    return h;
}

void cfs_hist_delete(cfs_hist *h)
{
    if (!h) return;
    cfs_hist_free(h);
    cfs_free_charged(h, sizeof *h);
}

void cfs_agg_free(cfs_agg *a)
{
    for (size_t i = 0; i < a->groups.n; i++) cfs_group_free(((cfs_grow *)cfs_kmap_row(&a->groups, i))->g);
    for (size_t i = 0; i < a->origin.n; i++) cfs_hist_delete(((cfs_orow *)cfs_kmap_row(&a->origin, i))->h);
    for (size_t i = 0; i < a->olabel.n; i++) cfs_hist_delete(((cfs_lrow *)cfs_kmap_row(&a->olabel, i))->h);
    free(a->oref);
    free(a->lref);
    for (size_t i = 0; i < a->heavy.n; i++) {
        cfs_hrow *h = cfs_kmap_row(&a->heavy, i);
        topk_put(h->uris);
        topk_put(h->ips);
    }
    cfs_fast_free(a);
    cfs_kmap_free(&a->traffic);
    cfs_kmap_free(&a->groups);
    cfs_kmap_free(&a->origin);
    cfs_kmap_free(&a->olabel);
    cfs_kmap_free(&a->waf);
    cfs_kmap_free(&a->heavy);
    cfs_kmap_free(&a->present);
}

void cfs_key_str(char dst[CFS_KEY_STR], const char *p, size_t n)
{
    memset(dst, 0, CFS_KEY_STR);
    if (n == 0) {
        dst[0] = '-';
        return;
    }
    if (!memchr(p, 0, n)) {
        if (n > CFS_KEY_STR - 1) n = CFS_KEY_STR - 1;
        memcpy(dst, p, n);
        return;
    }
    /* A NUL byte (never written by CloudFront, which encodes bytes 0-32, reference §1.3)
     * would end the key early: "IAD89-C1\0B" and "IAD89-C1" would be one key to strcmp and
     * two to memcmp.  It is written as CloudFront would, "%00". */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t w = p[i] ? 1 : 3;
        if (o + w > CFS_KEY_STR - 1) break;
        if (p[i]) dst[o] = p[i];
        else memcpy(dst + o, "%00", 3);
        o += w;
    }
}

/* Latency classes for provisional 403s: exact below 16 ms, then four classes per power
 * of two (each spans 25% of its lower bound), 128 classes in all.  The settle decision
 * uses the class midpoint, so it is off by at most 12% of the request's time-taken. */
uint8_t cfs_lat_class(uint32_t ms)
{
    if (ms == CFS_NO_MILLIS) return CFS_LAT_UNKNOWN;
    if (ms < 16) return (uint8_t)ms;
    unsigned o = 31u - (unsigned)__builtin_clz(ms); /* 4..31 */
    unsigned sub = (ms >> (o - 2)) & 3u;
    return (uint8_t)(16 + (o - 4) * 4 + sub);
}

uint32_t cfs_lat_class_value(uint8_t c)
{
    if (c == CFS_LAT_UNKNOWN) return CFS_NO_MILLIS;
    if (c < 16) return c;
    unsigned o = (unsigned)(c - 16) / 4 + 4, sub = (unsigned)(c - 16) % 4;
    uint64_t lo = ((uint64_t)(4 + sub)) << (o - 2);
    uint64_t hi = (((uint64_t)(5 + sub)) << (o - 2)) - 1;
    return (uint32_t)((lo + hi) / 2);
}

/* Rows that own an object (a group's sketches, a histogram) are found first and made
 * with their object, so that no row in a map is without it.  Out of memory (recorded),
 * the caller gets this thread's sink object, which no map holds and nothing frees: its
 * sketches cannot grow any more, and the run stops at its next check. */
static _Thread_local cfs_group t_group_sink;
static _Thread_local cfs_hist t_hist_sink;
static _Thread_local cfs_lrow t_lrow_sink;
static _Thread_local cfs_orow t_orow_sink;

static cfs_group *group_for(cfs_kmap *groups, const cfs_gkey *k, uint64_t h)
{
    cfs_grow *row = (cfs_grow *)cfs_kmap_find_hashed(groups, k, h);
    if (row) return row->g;
    cfs_group *g = cfs_group_new();
    if (g) {
        row = cfs_kmap_get_hashed(groups, k, h, NULL);
        if (!cfs_kmap_is_sink(row)) return row->g = g;
        cfs_group_free(g);
    }
    return &t_group_sink;
}

/* Per-file work units create and drop two top-k summaries per 403 group; a small pool
 * recycles them (clearing is O(capacity) without the allocations of a new one).  Shared
 * by all threads behind one mutex, taken once per summary, never per line. */
#define TOPK_POOL_MAX 4096
static cfs_topk *g_pool[TOPK_POOL_MAX];
static size_t g_pool_n, g_pool_bytes;
static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;

static cfs_topk *topk_get(void)
{
    cfs_topk *t = NULL;
    pthread_mutex_lock(&g_pool_lock);
    if (g_pool_n) {
        t = g_pool[--g_pool_n];
        g_pool_bytes -= cfs_topk_bytes(t);
    }
    pthread_mutex_unlock(&g_pool_lock);
    return t ? t : cfs_topk_new(CFS_TOPK_CAPACITY);
}

/* A cleared summary keeps its counters and key buffers, so the next unit's adds reuse
 * them instead of allocating (a file's 403s mostly bring keys its summary has not seen):
 * about 3% of the instructions of a line on the benchmark set (callgrind), whose files
 * fill most of their summaries' CFS_TOPK_CAPACITY keys.  Pooled memory is charged to the
 * budget unused; no summary over TOPK_POOL_BYTES (one holding unusually long keys) is
 * kept, and the pool holds at most TOPK_POOL_BASE bytes, or for a scan on more threads
 * TOPK_POOL_PER_THREAD a thread where an eighth of the memory budget allows it
 * (cfs_topk_pool_threads; TOPK_POOL_BASE again after the scan, cfs_topk_pool_drain).
 * Units in flight, and so summaries given back at once, grow with the threads: with the
 * base 8 MiB, 16 threads on the 403 lines of the plain benchmark set freed and rebuilt
 * summaries for 3.7% more instructions than with 64 MiB (callgrind, -j16). */
#define TOPK_POOL_BYTES ((size_t)256 << 10)
#define TOPK_POOL_BASE ((size_t)8 << 20)
#define TOPK_POOL_PER_THREAD ((size_t)4 << 20)
static size_t g_pool_total = TOPK_POOL_BASE;

void cfs_topk_pool_threads(int threads)
{
    size_t total = threads > 2 ? (size_t)threads * TOPK_POOL_PER_THREAD : TOPK_POOL_BASE;
    /* more than the base only within an eighth of the memory budget (xalloc.h) */
    const uint64_t limit = cfs_mem_limit();
    if (limit && total > limit / 8) total = limit / 8 > TOPK_POOL_BASE ? (size_t)(limit / 8) : TOPK_POOL_BASE;
    pthread_mutex_lock(&g_pool_lock);
    g_pool_total = total;
    pthread_mutex_unlock(&g_pool_lock);
}

static void topk_put(cfs_topk *t)
{
    if (!t) return;
    cfs_topk_clear(t);
    const size_t b = cfs_topk_bytes(t);
    /* topk_get hands out summaries of CFS_TOPK_CAPACITY: one of another capacity (read
     * from a state.cfs that says so) would cut unrelated rows' lists to it */
    if (b > TOPK_POOL_BYTES || cfs_topk_capacity(t) != CFS_TOPK_CAPACITY) {
        cfs_topk_free(t);
        return;
    }
    pthread_mutex_lock(&g_pool_lock);
    if (g_pool_n < TOPK_POOL_MAX && g_pool_bytes + b <= g_pool_total) {
        g_pool[g_pool_n++] = t;
        g_pool_bytes += b;
        t = NULL;
    }
    pthread_mutex_unlock(&g_pool_lock);
    cfs_topk_free(t);
}

void cfs_topk_pool_drain(void)
{
    pthread_mutex_lock(&g_pool_lock);
    while (g_pool_n) cfs_topk_free(g_pool[--g_pool_n]);
    g_pool_bytes = 0;
    g_pool_total = TOPK_POOL_BASE;
    pthread_mutex_unlock(&g_pool_lock);
}

static cfs_hrow *heavy_row(cfs_agg *a, const cfs_gkey *k, uint64_t h, int *created)
{
    cfs_hrow *row = cfs_kmap_get_hashed(&a->heavy, k, h, created);
    if (*created && !cfs_kmap_is_sink(row)) {
        /* out of memory (recorded) they stay NULL, which adds and merges skip */
        row->uris = topk_get();
        row->ips = topk_get();
    }
    return row;
}

static cfs_hrow *heavy_for(cfs_agg *a, const cfs_gkey *k, uint64_t h)
{
    int created;
    return heavy_row(a, k, h, &created);
}

static cfs_lrow *lrow_get(cfs_kmap *olabel, const cfs_lrow *k)
{
    cfs_lrow *l = (cfs_lrow *)cfs_kmap_find(olabel, k);
    if (l) return l;
    cfs_hist *h = cfs_hist_new();
    if (h) {
        l = cfs_kmap_get(olabel, k, NULL);
        if (!cfs_kmap_is_sink(l)) {
            l->h = h;
            return l;
        }
        cfs_hist_delete(h);
    }
    t_lrow_sink.h = &t_hist_sink;
    return &t_lrow_sink;
}

void cfs_origin_label(const cfs_record *r, const cfs_attr_ctx *ctx, char out[CFS_KEY_STR])
{
    memset(out, 0, CFS_KEY_STR);
    const cfs_dist_config *d = ctx ? cfs_attr_config_of(r, ctx->config, NULL) : NULL;
    const cfs_cfg_behavior *b =
        d ? cfs_config_behavior(d, r->f[CFS_F_CS_URI_STEM], r->f[CFS_F_CACHE_BEHAVIOR_PATH_PATTERN]) : NULL;
    const char *id = NULL;
    if (b && b->origin_group >= 0 && (size_t)b->origin_group < d->n_origin_groups)
        id = d->origin_groups[b->origin_group].id;
    else if (b && b->origin >= 0 && (size_t)b->origin < d->n_origins) id = d->origins[b->origin].id;
    char buf[CFS_KEY_STR + 16];
    int n = 0;
    if (id && id[0]) {
        n = snprintf(buf, sizeof buf, "origin %s", id);
    } else {
        cfs_span p = r->f[CFS_F_CACHE_BEHAVIOR_PATH_PATTERN];
        if (!cfs_span_empty(p))
            n = snprintf(buf, sizeof buf, "behavior %.*s", (int)(p.n < 40 ? p.n : 40), p.p);
    }
    if (n > 0) cfs_key_str(out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* The group a 403 with attribution `at` counts in. */
static cfs_gkey sketch_key(const char dist[CFS_KEY_STR], cfs_attribution at, uint8_t lat_class)
{
    int pending = cfs_attr_needs_latency(at);
    cfs_gkey g;
    memset(&g, 0, sizeof g);
    memcpy(g.dist, dist, CFS_KEY_STR);
    g.cause = at.cause;
    g.rule = pending ? at.rule : 0;
    g.lat_class = pending ? lat_class : 0;
    return g;
}

/* A line's adds to the sketches of its group (sketch_refs), in three parts that touch
 * different sketches (cfs_agg_sketch_add_part): its latencies and client into the group's
 * histograms and distinct count, its URI and its client into the group's top lists. */
static void group_adds(cfs_group *g, uint32_t tt, uint32_t ttfb, uint64_t iph)
{
    if (!g) return; /* none to be had (cfs_agg_sketch_make, out of memory) */
    if (tt != CFS_NO_MILLIS) cfs_hist_add(&g->tt, tt);
    if (ttfb != CFS_NO_MILLIS) cfs_hist_add(&g->ttfb, ttfb);
    cfs_hll_add_hash(&g->clients, iph);
}

static void uri_add(cfs_topk *uris, cfs_span uri)
{
    const char *u = uri.p ? uri.p : "";
    cfs_topk_add(uris, u, uri.n, XXH3_64bits(u, uri.n), 1);
}

static void sketch_adds(const cfs_sketch_refs *r, uint32_t tt, uint32_t ttfb, uint64_t iph, cfs_span uri,
                        cfs_span ip_listed, uint64_t ip_listed_hash)
{
    group_adds(r->g, tt, ttfb, iph);
    uri_add(r->uris, uri);
    cfs_topk_add(r->ips, ip_listed.p ? ip_listed.p : "", ip_listed.n, ip_listed_hash, 1);
}

/* The 403 sketches of one line: its group (latency histograms, distinct clients) in a,
 * its top URIs and clients in heavy. */
static void add_sketches(cfs_kmap *groups, cfs_agg *heavy, const char dist[CFS_KEY_STR], cfs_attribution at,
                         uint8_t lat_class, uint32_t tt, uint32_t ttfb, uint64_t iph, cfs_span uri,
                         cfs_span ip_listed, uint64_t ip_listed_hash)
{
    const cfs_gkey g = sketch_key(dist, at, lat_class);
    const uint64_t gh = cfs_agg_gkey_hash(&g); /* the groups' and heavy rows' key */
    cfs_hrow *h = heavy_for(heavy, &g, gh);
    const cfs_sketch_refs r = {group_for(groups, &g, gh), h->uris, h->ips};
    sketch_adds(&r, tt, ttfb, iph, uri, ip_listed, ip_listed_hash);
}

/* cfs_agg_add_line403_sketch in three steps, for judging on several threads. */
cfs_gkey cfs_agg_line403_key(const cfs_line403 *l, cfs_attribution at)
{
    return sketch_key(l->dist, at, l->lat_class);
}

uint64_t cfs_agg_gkey_hash(const cfs_gkey *k) { return cfs_hash_bytes(k, sizeof *k); }

int cfs_agg_sketch_find(const cfs_agg *a, const cfs_gkey *k, uint64_t kh, cfs_sketch_refs *r)
{
    const cfs_grow *g = cfs_kmap_find_hashed(&a->groups, k, kh);
    const cfs_hrow *h = g ? cfs_kmap_find_hashed(&a->heavy, k, kh) : NULL;
    if (!h) return -1;
    *r = (cfs_sketch_refs){g->g, h->uris, h->ips};
    return 0;
}

void cfs_agg_sketch_make(cfs_agg *a, const cfs_gkey *k, uint64_t kh, cfs_sketch_refs *r)
{
    cfs_hrow *h = heavy_for(a, k, kh);
    cfs_group *g = group_for(&a->groups, k, kh);
    /* Out of memory (recorded) group_for gives this thread's sink, which the adds, run on
     * other threads, must not share: no group then (the run fails with it anyway). */
    *r = (cfs_sketch_refs){g == &t_group_sink ? NULL : g, h->uris, h->ips};
}

void cfs_agg_sketch_add(const cfs_sketch_refs *r, const cfs_line403 *l)
{
    for (int part = 0; part < CFS_SKETCH_PARTS; part++) cfs_agg_sketch_add_part(r, l, part);
}

void cfs_agg_sketch_add_part(const cfs_sketch_refs *r, const cfs_line403 *l, int part)
{
    if (part == CFS_SKETCH_GROUP) {
        group_adds(r->g, l->tt, l->ttfb, l->iph);
    } else if (part == CFS_SKETCH_URIS) {
        uri_add(r->uris, l->uri);
    } else {
        const char *ip = l->ip.p ? l->ip.p : "";
        cfs_topk_add(r->ips, ip, l->ip.n, XXH3_64bits(ip, l->ip.n), 1);
    }
}

void cfs_agg_add_line403(cfs_agg *a, const cfs_line403 *l, cfs_attribution at)
{
    cfs_agg_add_line403_count_to(&a->traffic, l, at);
    cfs_agg_add_line403_sketch(a, l, at);
}

/* The traffic key of a 403 line with attribution at. */
static cfs_tkey line403_tkey(const cfs_line403 *l, cfs_attribution at)
{
    int pending = cfs_attr_needs_latency(at);
    cfs_tkey k;
    memset(&k, 0, sizeof k);
    memcpy(k.dist, l->dist, CFS_KEY_STR);
    memcpy(k.edge, l->edge, CFS_KEY_STR);
    k.hour = l->hour;
    k.status = l->status;
    k.rule = at.rule;
    k.cause = at.cause;
    k.evidence = at.evidence;
    k.lat_class = pending ? l->lat_class : 0;
    k.excl = cfs_excl_kept(at.rule, at.excl);
    return k;
}

void cfs_agg_add_line403_count_to(cfs_kmap *traffic, const cfs_line403 *l, cfs_attribution at)
{
    const cfs_tkey k = line403_tkey(l, at);
    cfs_trow *t = cfs_kmap_get(traffic, &k, NULL);
    t->requests++;
    t->bytes += l->bytes;
}

void cfs_agg_add_line403_sketch(cfs_agg *a, const cfs_line403 *l, cfs_attribution at)
{
    const cfs_gkey k = cfs_agg_line403_key(l, at);
    cfs_sketch_refs r;
    cfs_agg_sketch_make(a, &k, cfs_agg_gkey_hash(&k), &r);
    cfs_agg_sketch_add(&r, l);
}

/* ---- the per-thread state ------------------------------------------------------------ */
void cfs_thread_agg_init(cfs_thread_agg *t, cfs_events *events)
{
    memset(t, 0, sizeof *t);
    cfs_counter_init(&t->counter);
    cfs_kmap_init(&t->acc.groups, sizeof(cfs_gkey), sizeof(cfs_grow));
    cfs_kmap_init(&t->acc.olabel, 2 * CFS_KEY_STR, sizeof(cfs_lrow));
    cfs_kmap_init(&t->acc.waf, CFS_KEY_STR + 8, sizeof(cfs_wrow));
    cfs_kmap_init(&t->acc.pages, CFS_KEY_STR + 8, sizeof(cfs_prow));
    cfs_kmap_init(&t->acc.present, CFS_KEY_STR, sizeof(cfs_pres_row));
    t->acc.events = events;
}

void cfs_thread_agg_free(cfs_thread_agg *t)
{
    cfs_acc *a = &t->acc;
    for (size_t i = 0; i < a->groups.n; i++) cfs_group_free(((cfs_grow *)cfs_kmap_row(&a->groups, i))->g);
    for (size_t i = 0; i < a->olabel.n; i++) cfs_hist_delete(((cfs_lrow *)cfs_kmap_row(&a->olabel, i))->h);
    for (size_t i = 0; i < a->norigin; i++) cfs_hist_delete(a->origin[i].h);
    if (a->origin) cfs_free_charged(a->origin, a->norigin * sizeof *a->origin);
    cfs_kmap_free(&a->groups);
    cfs_kmap_free(&a->olabel);
    cfs_kmap_free(&a->waf);
    cfs_kmap_free(&a->pages);
    cfs_kmap_free(&a->present);
    cfs_counter_free(&t->counter);
    memset(t, 0, sizeof *t);
}

/* The origin-fetch histogram slot of distribution id `dist` of the thread's counter. */
static struct cfs_acc_origin *acc_origin(cfs_acc *a, uint32_t dist)
{
    if (dist >= a->norigin) {
        size_t n = a->norigin ? a->norigin * 2 : 16;
        while (n <= dist) n *= 2;
        static _Thread_local struct cfs_acc_origin sink; /* out of memory: counts go nowhere */
        struct cfs_acc_origin *no = cfs_realloc_charged(a->origin, a->norigin * sizeof *a->origin,
                                                        n * sizeof *a->origin,
                                                        "growing the origin fetch table");
        if (!no) return &sink;
        a->origin = no;
        memset(a->origin + a->norigin, 0, (n - a->norigin) * sizeof *a->origin);
        a->norigin = n;
    }
    return &a->origin[dist];
}

/* An origin fetch of distribution id did: its latency feeds the distribution's
 * reference (issue 10, edge versus origin), and its origin's where config or layout name
 * one.  Out of line, as is add_caused: the common line keeps a small frame. */
static __attribute__((noinline)) void add_origin_sample(cfs_thread_agg *t, uint32_t did, const cfs_record *r,
                                                        const cfs_attr_ctx *ctx)
{
    cfs_acc *a = &t->acc;
    struct cfs_acc_origin *o = acc_origin(a, did);
    if (!o->h && !(o->h = cfs_hist_new())) return; /* out of memory (recorded) */
    cfs_hist_add(o->h, cfs_attr_latency_ms(r));
    if (r->ttfb_ms != CFS_NO_MILLIS) o->ttfb++;
    if (ctx && (ctx->config || r->f[CFS_F_CACHE_BEHAVIOR_PATH_PATTERN].p)) {
        cfs_lrow lk;
        memset(&lk, 0, sizeof lk);
        cfs_origin_label(r, ctx, lk.label);
        if (lk.label[0]) {
            memcpy(lk.dist, cfs_counter_dist_str(&t->counter, did), CFS_KEY_STR);
            cfs_lrow *l = lrow_get(&a->olabel, &lk);
            cfs_hist_add(l->h, cfs_attr_latency_ms(r));
            if (r->ttfb_ms != CFS_NO_MILLIS) l->ttfb++;
        }
    }
}

static void add_caused(cfs_thread_agg *t, cfs_agg *heavy, const cfs_record *r, cfs_attr_line al,
                       const cfs_attr_ctx *ctx, uint32_t did, int64_t hour);

void cfs_agg_add_origin_plain(cfs_thread_agg *t, uint32_t did, const cfs_record *r)
{
    if (cfs_attr_origin_sample(r)) add_origin_sample(t, did, r, NULL);
}

void cfs_agg_add_origin(cfs_thread_agg *t, const cfs_record *r, const cfs_attr_ctx *ctx)
{
    if (cfs_attr_origin_sample(r))
        add_origin_sample(t, cfs_counter_dist(&t->counter, r->dist.p, r->dist.n), r, ctx);
}

void cfs_agg_learn403(cfs_thread_agg *t, const cfs_record *r, cfs_attribution at, const cfs_attr_ctx *ctx)
{
    if (r->status != 403 || at.cause == CFS_CAUSE_NONE) return;
    cfs_counter *c = &t->counter;
    const char *dist = cfs_counter_dist_str(c, cfs_counter_dist(c, r->dist.p, r->dist.n));
    const uint32_t clen = cfs_fast_clen(r), cth = cfs_fast_cth(r);
    cfs_fast_learn(&t->acc, ctx, dist, r, at, cfs_attr_decision_ms(r), clen, cth,
                   cfs_fast_evkey(dist, r, cth, clen));
}

void cfs_agg_add(cfs_thread_agg *t, cfs_agg *heavy, const cfs_record *r, cfs_attr_line al,
                 const cfs_attr_ctx *ctx)
{
    cfs_counter *c = &t->counter;
    const uint32_t did = cfs_counter_dist(c, r->dist.p, r->dist.n);
    const int64_t hour = cfs_counter_hour(c, r->ts);
    if (cfs_attr_origin_sample(r)) add_origin_sample(t, did, r, ctx);
    if (al.at.cause != CFS_CAUSE_NONE) {
        add_caused(t, heavy, r, al, ctx, did, hour);
        return;
    }
    /* The common line: counted, nothing to learn from (no cause, so no WAF row).  Only a
     * rule that needs a latency has a latency class, and those all name a cause. */
    cfs_span e = r->f[CFS_F_EDGE_LOCATION];
    if (al.at.rule == CFS_RULE_NOT_403 && al.at.evidence == 0) {
        cfs_counter_add_plain(c, did, e.p, e.n, hour, r->status, r->sc_bytes);
        return;
    }
    uint8_t lat_class = 0;
    if (al.at.rule != CFS_RULE_NOT_403 && cfs_attr_needs_latency(al.at))
        lat_class = cfs_lat_class(CFS_NO_MILLIS);
    cfs_counter_add(c, did, cfs_counter_edge(c, e.p, e.n), hour,
                    cfs_counter_verdict(r->status, al.at.rule, al.at.cause, al.at.evidence, lat_class,
                                        cfs_excl_kept(al.at.rule, al.at.excl)),
                    r->sc_bytes);
}

/* A line with a 403 cause: what it teaches, its sketches and top-k entries, or its
 * record held back for the end of the pass, and its WAF row. */
static __attribute__((noinline)) void add_caused(cfs_thread_agg *t, cfs_agg *heavy, const cfs_record *r,
                                                 cfs_attr_line al, const cfs_attr_ctx *ctx, uint32_t did,
                                                 int64_t hour)
{
    cfs_counter *c = &t->counter;
    cfs_acc *a = &t->acc;
    const cfs_attribution at = al.at;
    int pending = at.rule != CFS_RULE_NOT_403 && cfs_attr_needs_latency(at);
    /* the latency a provisional 403 is judged by (attribute.c, latency) */
    uint32_t ms = cfs_attr_decision_ms(r);
    uint8_t lat_class = pending ? cfs_lat_class(ms) : 0;
    /* The string table's rows do not move while this line is added: it is the only
     * intern of the distribution. */
    const char *dist = cfs_counter_dist_str(c, did);
    cfs_span ip = r->f[CFS_F_C_IP];
    uint64_t iph = XXH3_64bits(ip.p ? ip.p : "", ip.n);
    char red[CFS_REDACT_MAX];
    cfs_span listed = ip;
    if (ctx && ctx->redact_clients) {
        /* The distinct count keeps the full address's hash (the hash is not stored); only
         * the truncated prefix enters the list, hence every report, table and state. */
        listed.n = (uint32_t)cfs_redact_ip(ip.p ? ip.p : "", ip.n, red);
        listed.p = red;
    }
    /* a 403's body and URI keys, made once for what it teaches and for its own judgement */
    uint32_t clen = 0, cth = 0;
    uint64_t evkey = 0;
    if (r->status == 403) {
        clen = cfs_fast_clen(r);
        cth = cfs_fast_cth(r);
        evkey = cfs_fast_evkey(dist, r, cth, clen);
        cfs_fast_learn(a, ctx, dist, r, at, ms, clen, cth, evkey);
    }
    if (cfs_attr_deferred(at, ms)) {
        /* Judged after the pass against what it learns (cfs_fast_resolve), then counted.
         * Only 403 rules are held back, so clen, cth and evkey are set. */
        cfs_line403 l;
        memset(&l, 0, sizeof l);
        memcpy(l.dist, dist, CFS_KEY_STR);
        cfs_span e = r->f[CFS_F_EDGE_LOCATION];
        cfs_key_str(l.edge, e.p ? e.p : "", e.n);
        l.hour = hour;
        l.bytes = r->sc_bytes;
        l.iph = iph;
        l.tt = r->time_taken_ms;
        l.ttfb = r->ttfb_ms;
        l.status = r->status;
        l.lat_class = lat_class;
        l.waf_held = al.waf_held;
        l.uri = r->f[CFS_F_CS_URI_STEM];
        l.ip = listed;
        char label[CFS_KEY_STR];
        cfs_origin_label(r, ctx, label);
        cfs_fast_defer(heavy, ctx, &l, r->ts, evkey, clen, cth, ms, label, at);
    } else {
        cfs_span e = r->f[CFS_F_EDGE_LOCATION];
        cfs_counter_add(c, did, cfs_counter_edge(c, e.p, e.n), hour,
                        cfs_counter_verdict(r->status, at.rule, at.cause, at.evidence, lat_class,
                                            cfs_excl_kept(at.rule, at.excl)),
                        r->sc_bytes);
        add_sketches(&a->groups, heavy, dist, at, lat_class, r->time_taken_ms, r->ttfb_ms, iph,
                     r->f[CFS_F_CS_URI_STEM], listed, listed.p == red ? XXH3_64bits(red, listed.n) : iph);
    }
    if (al.waf) {
        /* Terminating rules of the blocks the WAF logs prove; else what the WAF logs add
         * to the line (a joined record that is no 403 block, or no coverage), counted
         * under the note's reserved name (waf.h).  cfs_attribute_line found which. */
        cfs_wrow wk;
        memset(&wk, 0, sizeof wk);
        memcpy(wk.dist, dist, CFS_KEY_STR);
        wk.rule = al.waf - 1;
        cfs_wrow *w = cfs_kmap_get(&a->waf, &wk, NULL);
        w->count++;
    }
}

static void merge_group(cfs_group *d, const cfs_group *s)
{
    cfs_hist_merge(&d->tt, &s->tt);
    cfs_hist_merge(&d->ttfb, &s->ttfb);
    cfs_hll_merge(&d->clients, &s->clients);
}

static cfs_orow *origin_for(cfs_agg *a, const char dist[CFS_KEY_STR])
{
    cfs_orow *o = (cfs_orow *)cfs_kmap_find(&a->origin, dist);
    if (o) return o;
    cfs_hist *h = cfs_hist_new();
    if (h) {
        o = cfs_kmap_get(&a->origin, dist, NULL);
        if (!cfs_kmap_is_sink(o)) {
            o->h = h;
            return o;
        }
        cfs_hist_delete(h);
    }
    t_orow_sink.h = &t_hist_sink;
    return &t_orow_sink;
}

/* dst's tables += the same tables of a cfs_agg or a cfs_acc (groups, olabel, waf, pages). */
static void merge_learned(cfs_agg *dst, const cfs_kmap *groups, const cfs_kmap *olabel, const cfs_kmap *waf,
                          const cfs_kmap *pages)
{
    for (size_t i = 0; i < groups->n; i++) {
        const cfs_grow *s = cfs_kmap_row(groups, i);
        merge_group(group_for(&dst->groups, &s->k, cfs_agg_gkey_hash(&s->k)), s->g);
    }
    for (size_t i = 0; i < waf->n; i++) {
        const cfs_wrow *s = cfs_kmap_row(waf, i);
        cfs_wrow *d = cfs_kmap_get(&dst->waf, s, NULL);
        d->count += s->count;
    }
    for (size_t i = 0; i < olabel->n; i++) {
        const cfs_lrow *s = cfs_kmap_row(olabel, i);
        cfs_lrow *d = lrow_get(&dst->olabel, s);
        cfs_hist_merge(d->h, s->h);
        d->ttfb += s->ttfb;
    }
    cfs_fast_merge(&dst->pages, pages);
}

/* cfs_agg_merge without the traffic table. */
static void merge_but_traffic(cfs_agg *dst, const cfs_agg *src)
{
    for (size_t i = 0; i < src->origin.n; i++) {
        const cfs_orow *s = cfs_kmap_row(&src->origin, i);
        cfs_orow *d = origin_for(dst, s->dist);
        cfs_hist_merge(d->h, s->h);
        d->ttfb += s->ttfb;
    }
    merge_learned(dst, &src->groups, &src->olabel, &src->waf, &src->pages);
    cfs_pres_merge(&dst->present, &src->present);
}

void cfs_agg_merge(cfs_agg *dst, const cfs_agg *src)
{
    /* sized once: growing by doubling rehashes every row about twice on a big merge */
    cfs_kmap_reserve(&dst->traffic, src->traffic.n);
    for (size_t i = 0; i < src->traffic.n; i++) {
        const cfs_trow *s = cfs_kmap_row(&src->traffic, i);
        cfs_trow *d = cfs_kmap_get(&dst->traffic, &s->k, NULL);
        d->requests += s->requests;
        d->bytes += s->bytes;
    }
    merge_but_traffic(dst, src);
}

void cfs_agg_copy(cfs_agg *dst, const cfs_agg *src)
{
    cfs_agg_init(dst);
    /* the traffic table, most of the rows, copied whole; out of memory (recorded), merged */
    if (!kmap_clone(&dst->traffic, &src->traffic)) cfs_agg_merge(dst, src);
    else merge_but_traffic(dst, src);
    cfs_agg_fold_heavy(dst, src);
}

/* Which partition of np a traffic key falls in: a function of its distribution and edge
 * strings and its hour, so the same in every thread's counter, whose ids differ; the
 * strings' hashes are taken once per id (cfs_agg_traffic_split). */
static uint64_t str_hash(const char key[CFS_KEY_STR]) { return XXH3_64bits(key, CFS_KEY_STR); }

/* The partition of the strings' hashes d and e and the hour (cfs_agg_traffic_partition). */
static unsigned part_of(uint64_t d, uint64_t e, int64_t hour, unsigned np)
{
    uint64_t x = d ^ e * 0xff51afd7ed558ccdull ^ (uint64_t)hour * 0x9e3779b97f4a7c15ull;
    return (unsigned)((x ^ x >> 31) % np);
}

unsigned cfs_agg_traffic_partition(const char dist[CFS_KEY_STR], const char edge[CFS_KEY_STR], int64_t hour,
                                   unsigned np)
{
    return part_of(str_hash(dist), str_hash(edge), hour, np);
}

void cfs_agg_traffic_split_free(cfs_traffic_split *s)
{
    if (s->row) cfs_free_charged(s->row, s->rows * sizeof *s->row);
    free(s->start);
    memset(s, 0, sizeof *s);
}

int cfs_agg_traffic_split(cfs_traffic_split *s, const cfs_thread_agg *t, unsigned np)
{
    static const char what[] = "merging the per-thread tables";
    const cfs_counter *c = &t->counter;
    const size_t rows = cfs_counter_rows(c);
    size_t ne, nd = cfs_counter_ids(c, &ne);
    memset(s, 0, sizeof *s);
    /* Row numbers fit 32 bits: 2^32 rows would take over 96 GiB of counter slots. */
    if (rows > UINT32_MAX) {
        cfs_nomem(what);
        return -1;
    }
    /* the row numbers, rows x 4 bytes, held while the partitions are built: charged */
    s->row = cfs_realloc_charged(NULL, 0, rows * sizeof *s->row, what);
    if (s->row) s->rows = rows;
    s->start = cfs_calloc((size_t)np + 1, sizeof *s->start, what);
    size_t *next = cfs_malloc((size_t)np * sizeof *next, what);
    uint64_t *dh = cfs_malloc((nd + ne + 1) * sizeof *dh, what);
    if (!s->start || !s->row || !next || !dh) { /* out of memory (recorded) */
        free(next);
        free(dh);
        cfs_agg_traffic_split_free(s);
        return -1;
    }
    uint64_t *eh = dh + nd;
    for (size_t i = 0; i < nd; i++) dh[i] = str_hash(cfs_counter_dist_str(c, (uint32_t)i));
    for (size_t i = 0; i < ne; i++) eh[i] = str_hash(cfs_counter_edge_str(c, (uint32_t)i));
    /* A counting sort: each partition's rows stay in counter order. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t it = 0; it < rows; it++) {
            uint32_t d, e;
            int64_t hour;
            cfs_counter_key_at(c, it, &d, &e, &hour);
            const unsigned p = part_of(dh[d], eh[e], hour, np);
            if (pass == 0) s->start[p + 1]++;
            else s->row[next[p]++] = (uint32_t)it;
        }
        if (pass == 0) {
            for (unsigned p = 0; p < np; p++) {
                s->start[p + 1] += s->start[p];
                next[p] = s->start[p];
            }
        }
    }
    free(next);
    free(dh);
    return 0;
}

/* A counter row on its way into a traffic table: its string key, the key's hash, its
 * counts (ok = 0: the row was not there). */
typedef struct traffic_pending {
    cfs_tkey k;
    uint64_t h, requests, bytes;
    int ok;
} traffic_pending;

/* Row it of c read into p, its key hashed, and the table's index entry for it asked
 * for (cfs_kmap_prefetch). */
static void traffic_key(const cfs_kmap *out, const cfs_counter *c, size_t it, traffic_pending *p)
{
    cfs_count_row r;
    p->ok = cfs_counter_next(c, &it, &r);
    if (!p->ok) return;
    memset(&p->k, 0, sizeof p->k);
    memcpy(p->k.dist, cfs_counter_dist_str(c, r.dist), CFS_KEY_STR);
    memcpy(p->k.edge, cfs_counter_edge_str(c, r.edge), CFS_KEY_STR);
    p->k.hour = r.hour;
    p->k.status = r.status;
    p->k.rule = r.rule;
    p->k.cause = r.cause;
    p->k.evidence = r.evidence;
    p->k.lat_class = r.lat_class;
    p->k.excl = r.excl;
    p->requests = r.requests;
    p->bytes = r.bytes;
    p->h = cfs_kmap_hash(out, &p->k);
    cfs_kmap_prefetch(out, p->h);
}

/* Rows row(0), ..., row(n - 1) of c added to out, in that order, where row(i) is rows[i],
 * or i when rows is NULL.  Each row's slot in the counter and index entry in out are
 * random reads in tables of megabytes, so the loop runs ahead: the slot of the row
 * 2 x TRAFFIC_AHEAD on is asked for, the key of the row TRAFFIC_AHEAD on is made and its
 * index entry asked for, and then a row is added.  The adds are those of one row at a
 * time, in the same order. */
#define TRAFFIC_AHEAD 8
static void traffic_add_rows(cfs_kmap *out, const cfs_counter *c, const uint32_t *rows, size_t n)
{
    traffic_pending ring[TRAFFIC_AHEAD];
    for (size_t i = 0; i < n + TRAFFIC_AHEAD; i++) {
        if (i + 2 * TRAFFIC_AHEAD < n)
            cfs_counter_prefetch(c, rows ? rows[i + 2 * TRAFFIC_AHEAD] : i + 2 * TRAFFIC_AHEAD);
        traffic_pending *p = &ring[i % TRAFFIC_AHEAD];
        if (i >= TRAFFIC_AHEAD && p->ok) { /* row i - TRAFFIC_AHEAD */
            cfs_trow *d = cfs_kmap_get_hashed(out, &p->k, p->h, NULL);
            d->requests += p->requests;
            d->bytes += p->bytes;
        }
        if (i < n) traffic_key(out, c, rows ? rows[i] : i, p);
    }
}

void cfs_agg_traffic_part(cfs_kmap *out, const cfs_thread_agg *ts, const cfs_traffic_split *splits, size_t n,
                          unsigned p)
{
    for (size_t t = 0; t < n; t++) {
        const cfs_counter *c = &ts[t].counter;
        if (!splits) {
            traffic_add_rows(out, c, NULL, cfs_counter_rows(c));
            continue;
        }
        const cfs_traffic_split *s = &splits[t];
        if (!s->row) continue; /* its split ran out of memory (recorded): the run fails */
        traffic_add_rows(out, c, s->row + s->start[p], s->start[p + 1] - s->start[p]);
    }
}

void cfs_agg_merge_thread(cfs_agg *dst, const cfs_thread_agg *t)
{
    cfs_kmap_reserve(&dst->traffic, cfs_counter_rows(&t->counter));
    cfs_agg_traffic_part(&dst->traffic, t, NULL, 1, 0);
    cfs_agg_merge_thread_tables(dst, t);
}

void cfs_agg_merge_thread_tables(cfs_agg *dst, const cfs_thread_agg *t)
{
    const cfs_counter *c = &t->counter;
    const cfs_acc *a = &t->acc;
    for (size_t i = 0; i < a->norigin; i++) {
        if (!a->origin[i].h) continue;
        cfs_orow *o = origin_for(dst, cfs_counter_dist_str(c, (uint32_t)i));
        cfs_hist_merge(o->h, a->origin[i].h);
        o->ttfb += a->origin[i].ttfb;
    }
    merge_learned(dst, &a->groups, &a->olabel, &a->waf, &a->pages);
    cfs_pres_merge(&dst->present, &a->present);
}

void cfs_agg_fold_heavy(cfs_agg *dst, const cfs_agg *src)
{
    for (size_t i = 0; i < src->heavy.n; i++) {
        const cfs_hrow *s = cfs_kmap_row(&src->heavy, i);
        cfs_hrow *d = heavy_for(dst, &s->k, cfs_agg_gkey_hash(&s->k));
        cfs_topk_merge(d->uris, s->uris);
        cfs_topk_merge(d->ips, s->ips);
    }
}

void cfs_agg_fold_heavy_split(cfs_agg *dst, cfs_agg *src, cfs_topk_merge_fn merge, void *ctx)
{
    for (size_t i = 0; i < src->heavy.n; i++) {
        cfs_hrow *s = cfs_kmap_row(&src->heavy, i);
        int created;
        cfs_hrow *d;
        if (cfs_topk_capacity(s->uris) != CFS_TOPK_CAPACITY || cfs_topk_capacity(s->ips) != CFS_TOPK_CAPACITY)
            d = heavy_row(dst, &s->k, cfs_agg_gkey_hash(&s->k), &created),
            created = 0; /* merge: capacities differ */
        else d = cfs_kmap_get(&dst->heavy, &s->k, &created);
        if (cfs_kmap_is_sink(d)) continue; /* out of memory (recorded): s keeps its summaries */
        if (created) {
            /* an empty summary of the same capacity merged with s would be s: take it */
            d->uris = s->uris;
            d->ips = s->ips;
        } else {
            const size_t row = (size_t)((const char *)d - dst->heavy.rows) / dst->heavy.row_size;
            merge(ctx, 2 * row, d->uris, s->uris);
            merge(ctx, 2 * row + 1, d->ips, s->ips);
        }
        s->uris = s->ips = NULL;
    }
}

void cfs_agg_topk_release(cfs_topk *t) { topk_put(t); }

/* cfs_agg_fold_heavy_split's merge done at once. */
static void merge_now(void *ctx, size_t which, cfs_topk *dst, cfs_topk *src)
{
    (void)ctx;
    (void)which;
    cfs_topk_merge(dst, src);
    topk_put(src);
}

void cfs_agg_fold_heavy_take(cfs_agg *dst, cfs_agg *src)
{
    cfs_agg_fold_heavy_split(dst, src, merge_now, NULL);
    cfs_fast_fold(dst, src);
}

uint32_t cfs_agg_reference_ms(const cfs_agg *a, const char dist[CFS_KEY_STR], uint64_t *fetches)
{
    const cfs_orow *o = cfs_kmap_find(&a->origin, dist);
    if (fetches) *fetches = o ? o->h->count : 0;
    return o ? cfs_attr_reference_ms(o->h) : 0;
}

uint32_t cfs_agg_reference_for(const cfs_agg *a, const char dist[CFS_KEY_STR], const char label[CFS_KEY_STR])
{
    if (label && label[0]) {
        char key[2 * CFS_KEY_STR];
        memcpy(key, dist, CFS_KEY_STR);
        memcpy(key + CFS_KEY_STR, label, CFS_KEY_STR);
        const char *l = cfs_kmap_find(&a->olabel, key);
        if (l) {
            size_t i = (size_t)(l - a->olabel.rows) / a->olabel.row_size;
            uint32_t ms = a->lref ? a->lref[i]
                                  : cfs_attr_reference_ms(((const cfs_lrow *)(const void *)l)->h);
            if (ms) return ms; /* 0: too few fetches of its own */
        }
    }
    const char *o = cfs_kmap_find(&a->origin, dist);
    if (!o) return 0;
    size_t i = (size_t)(o - a->origin.rows) / a->origin.row_size;
    return a->oref ? a->oref[i] : cfs_attr_reference_ms(((const cfs_orow *)(const void *)o)->h);
}

/* cfs_agg_reference_ms for every origin row, computed once per settle: the reference is
 * a histogram quantile, and settling asks for it once per provisional row. */
typedef struct settle_refs {
    const cfs_agg *a;
    uint32_t *ms; /* per origin row, in row order */
} settle_refs;

static void settle_refs_init(settle_refs *s, const cfs_agg *a)
{
    s->a = a;
    /* out of memory (recorded) settle_ref computes each reference when asked */
    s->ms = cfs_calloc(a->origin.n ? a->origin.n : 1, sizeof *s->ms, "settling the provisional 403s");
    for (size_t i = 0; s->ms && i < a->origin.n; i++)
        s->ms[i] = cfs_attr_reference_ms(((const cfs_orow *)cfs_kmap_row(&a->origin, i))->h);
}

/* Same answer as cfs_agg_reference_ms(a, dist, NULL), hashed: a scan of the origin rows
 * per provisional row was quadratic in the distributions (issue 18). */
static uint32_t settle_ref(const settle_refs *s, const char dist[CFS_KEY_STR])
{
    const char *o = cfs_kmap_find(&s->a->origin, dist);
    if (!o) return 0;
    return s->ms ? s->ms[(size_t)(o - s->a->origin.rows) / s->a->origin.row_size]
                 : cfs_attr_reference_ms(((const cfs_orow *)(const void *)o)->h);
}

/* The settled key of a 403 group: provisional ones (rule != 0) take the cause the latency
 * test gives their class against the distribution's reference. */
static cfs_gkey settled_gkey(const settle_refs *refs, cfs_gkey k)
{
    if (k.rule) {
        cfs_attribution at = {k.cause, 0, k.rule, 0};
        at = cfs_attr_settle(at, cfs_lat_class_value(k.lat_class), settle_ref(refs, k.dist));
        k.cause = at.cause;
        k.rule = 0;
        k.lat_class = 0;
    }
    return k;
}

/* *d += *s for a settle or a fold that drops s; d was just created (empty) when
 * `created`.  An empty summary of the same capacity merged with s is s, so the two swap:
 * s's row then holds the empty one, which goes back to the pool with the rest of s. */
static void settle_topk(cfs_topk **d, cfs_topk **s, int created)
{
    if (created && cfs_topk_capacity(*d) == cfs_topk_capacity(*s)) {
        cfs_topk *t = *d;
        *d = *s;
        *s = t;
    } else {
        cfs_topk_merge(*d, *s);
    }
}

uint64_t cfs_agg_keep_cause(cfs_agg *a, int cause)
{
    uint64_t dropped = 0;
    cfs_kmap t;
    cfs_kmap_init(&t, a->traffic.key_size, a->traffic.row_size);
    for (size_t i = 0; i < a->traffic.n; i++) {
        const cfs_trow *s = cfs_kmap_row(&a->traffic, i);
        if (s->k.cause != cause) {
            dropped += s->requests;
            continue;
        }
        cfs_trow *d = cfs_kmap_get(&t, &s->k, NULL);
        if (cfs_kmap_is_sink(d)) continue; /* out of memory (recorded): the run fails */
        d->requests += s->requests;
        d->bytes += s->bytes;
    }
    cfs_kmap_free(&a->traffic);
    a->traffic = t;
    cfs_kmap g;
    cfs_kmap_init(&g, a->groups.key_size, a->groups.row_size);
    for (size_t i = 0; i < a->groups.n; i++) {
        cfs_grow *s = cfs_kmap_row(&a->groups, i);
        cfs_grow *d = s->k.cause == cause ? cfs_kmap_get(&g, &s->k, NULL) : NULL;
        if (d && !cfs_kmap_is_sink(d)) d->g = s->g; /* keys are unique: taken over */
        else cfs_group_free(s->g);
    }
    cfs_kmap_free(&a->groups);
    a->groups = g;
    cfs_kmap h;
    cfs_kmap_init(&h, a->heavy.key_size, a->heavy.row_size);
    for (size_t i = 0; i < a->heavy.n; i++) {
        cfs_hrow *s = cfs_kmap_row(&a->heavy, i);
        cfs_hrow *d = s->k.cause == cause ? cfs_kmap_get(&h, &s->k, NULL) : NULL;
        if (d && !cfs_kmap_is_sink(d)) {
            d->uris = s->uris;
            d->ips = s->ips;
        } else {
            topk_put(s->uris);
            topk_put(s->ips);
        }
    }
    cfs_kmap_free(&a->heavy);
    a->heavy = h;
    return dropped;
}

void cfs_agg_settle(cfs_agg *a)
{
    /* Rebuild each table, re-keying provisional entries with the settled attribution.
     * Settling works on latency classes, so every table settles a request the same way. */
    cfs_agg out;
    cfs_agg_init(&out);
    settle_refs refs;
    settle_refs_init(&refs, a);
    /* Only a provisional row (its verdict waits on a latency) gets another key: a table
     * without one is settled as it is, and is taken whole (after a scan, the 403s held
     * back are judged already, and the table has every hour of every edge). */
    int provisional = 0;
    for (size_t i = 0; i < a->traffic.n && !provisional; i++) {
        const cfs_trow *s = cfs_kmap_row(&a->traffic, i);
        provisional = cfs_attr_needs_latency((cfs_attribution){s->k.cause, s->k.evidence, s->k.rule, 0});
    }
    if (!provisional) {
        cfs_kmap t = out.traffic;
        out.traffic = a->traffic;
        a->traffic = t;
    }
    cfs_kmap_reserve(&out.traffic, a->traffic.n);
    for (size_t i = 0; i < a->traffic.n; i++) {
        const cfs_trow *s = cfs_kmap_row(&a->traffic, i);
        cfs_tkey k = s->k;
        cfs_attribution at = {k.cause, k.evidence, k.rule, k.excl};
        if (cfs_attr_needs_latency(at)) {
            at = cfs_attr_settle(at, cfs_lat_class_value(k.lat_class), settle_ref(&refs, k.dist));
            k.cause = at.cause;
            k.evidence = at.evidence;
            k.rule = at.rule;
            k.lat_class = 0;
            k.excl = cfs_excl_kept(at.rule, at.excl);
        }
        cfs_trow *d = cfs_kmap_get(&out.traffic, &k, NULL);
        d->requests += s->requests;
        d->bytes += s->bytes;
    }
    /* a is dropped at the end, so the first row of each settled key takes over a's
     * sketches instead of merging them into empty ones: merging into an empty histogram,
     * HLL or summary of the same capacity yields exactly the source (a summary adds its
     * counters or installs them with unchanged counts and errors; floor, total and the
     * poisoned flag carry over).  Only cfs_topk_list order is observable, not the
     * counters' internal order, and no add ever follows a settle. */
    for (size_t i = 0; i < a->groups.n; i++) {
        cfs_grow *s = cfs_kmap_row(&a->groups, i);
        cfs_gkey k = settled_gkey(&refs, s->k);
        int created;
        cfs_grow *d = cfs_kmap_get(&out.groups, &k, &created);
        if (cfs_kmap_is_sink(d)) continue; /* out of memory (recorded): a frees s->g */
        if (created) {
            d->g = s->g;
            s->g = NULL;
        } else {
            merge_group(d->g, s->g);
        }
    }
    for (size_t i = 0; i < a->heavy.n; i++) {
        cfs_hrow *s = cfs_kmap_row(&a->heavy, i);
        cfs_gkey k = settled_gkey(&refs, s->k);
        int created;
        cfs_hrow *d = heavy_row(&out, &k, cfs_agg_gkey_hash(&k), &created);
        if (cfs_kmap_is_sink(d)) continue; /* out of memory (recorded): a frees its summaries */
        settle_topk(&d->uris, &s->uris, created);
        settle_topk(&d->ips, &s->ips, created);
    }
    /* origin and waf tables carry over unchanged */
    for (size_t i = 0; i < a->origin.n; i++) {
        const cfs_orow *s = cfs_kmap_row(&a->origin, i);
        cfs_orow *d = origin_for(&out, s->dist);
        cfs_hist_merge(d->h, s->h);
        d->ttfb += s->ttfb;
    }
    for (size_t i = 0; i < a->waf.n; i++) {
        const cfs_wrow *s = cfs_kmap_row(&a->waf, i);
        cfs_wrow *d = cfs_kmap_get(&out.waf, s, NULL);
        d->count += s->count;
    }
    for (size_t i = 0; i < a->olabel.n; i++) {
        const cfs_lrow *s = cfs_kmap_row(&a->olabel, i);
        cfs_lrow *d = lrow_get(&out.olabel, s);
        cfs_hist_merge(d->h, s->h);
        d->ttfb += s->ttfb;
    }
    cfs_pres_merge(&out.present, &a->present);
    free(refs.ms);
    cfs_agg_free(a);
    *a = out;
}

/* ---- distinct keys, for the memory-budget message -------------------------------------- */
/* Each key space is a set of the keys' 64-bit hashes, 16 bytes a distinct key at most half
 * full, where maps of the keys took about 64: counting runs when the budget is already
 * spent, and its sets were the largest thing it allocated (a review's 400,000 edges: 117 MB
 * held at a 60 MiB budget).  Two keys with one hash count once, a chance of about 10^-8 in
 * a million keys, for a message.  Out of memory (recorded) a set stops growing and its
 * count stays short. */
typedef struct hash_set {
    uint64_t *v; /* 0: empty slot; a hash of 0 is stored as 1 */
    size_t cap, n;
} hash_set;

static void hset_add(hash_set *s, uint64_t h)
{
    h += !h;
    if ((s->n + 1) * 2 > s->cap) {
        const size_t ncap = s->cap ? s->cap * 2 : 1024;
        uint64_t *nv = cfs_calloc(ncap, sizeof *nv, "counting the distinct keys held");
        if (!nv) return;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i]) continue;
            size_t j = (size_t)s->v[i] & (ncap - 1);
            while (nv[j]) j = (j + 1) & (ncap - 1);
            nv[j] = s->v[i];
        }
        free(s->v);
        s->v = nv;
        s->cap = ncap;
    }
    size_t j = (size_t)h & (s->cap - 1);
    while (s->v[j] && s->v[j] != h) j = (j + 1) & (s->cap - 1);
    if (!s->v[j]) {
        s->v[j] = h;
        s->n++;
    }
}

/* The distinct-key sets being counted. */
typedef struct key_sets {
    hash_set g, d, e, h, t; /* t: the exact-counter rows, by their whole key */
} key_sets;

static void sets_init(key_sets *k) { memset(k, 0, sizeof *k); }

static void set_str(hash_set *s, const char key[CFS_KEY_STR]) { hset_add(s, XXH3_64bits(key, CFS_KEY_STR)); }

static void set_hour(hash_set *s, int64_t hour) { hset_add(s, XXH3_64bits(&hour, sizeof hour)); }

static void sets_groups(key_sets *k, const cfs_kmap *m, size_t row_size)
{
    for (size_t r = 0; r < m->n; r++) {
        cfs_gkey g = *(const cfs_gkey *)(const void *)(m->rows + r * row_size);
        g.rule = 0; /* provisional rows of one cause count once */
        g.lat_class = 0;
        hset_add(&k->g, XXH3_64bits(&g, sizeof g));
    }
}

static void sets_agg(key_sets *k, const cfs_agg *a)
{
    for (size_t r = 0; r < a->traffic.n; r++) {
        const cfs_trow *t = cfs_kmap_row(&a->traffic, r);
        /* a row of an agg and of its copy (a summary's state, `requests`' judged copy) or of
         * a thread's counter counts once (a review: requests named twice the rows held) */
        hset_add(&k->t, XXH3_64bits(&t->k, sizeof t->k));
        set_str(&k->d, t->k.dist);
        set_str(&k->e, t->k.edge);
        set_hour(&k->h, t->k.hour);
    }
    sets_groups(k, &a->groups, sizeof(cfs_grow));
    sets_groups(k, &a->heavy, sizeof(cfs_hrow));
}

static void sets_done(key_sets *k, cfs_key_counts *out)
{
    memset(out, 0, sizeof *out);
    out->traffic = k->t.n;
    out->groups = k->g.n;
    out->dists = k->d.n;
    out->edges = k->e.n;
    out->hours = k->h.n;
    free(k->g.v);
    free(k->d.v);
    free(k->e.v);
    free(k->h.v);
    free(k->t.v);
}

void cfs_agg_count_keys(const cfs_agg *const *aggs, size_t n, cfs_key_counts *out)
{
    key_sets k;
    sets_init(&k);
    for (size_t i = 0; i < n; i++) sets_agg(&k, aggs[i]);
    sets_done(&k, out);
}

void cfs_agg_count_keys_threads(const cfs_thread_agg *t, size_t nt, const cfs_agg *merged,
                                cfs_key_counts *out)
{
    key_sets k;
    sets_init(&k);
    for (size_t i = 0; i < nt; i++) {
        const cfs_counter *c = &t[i].counter;
        size_t it = 0;
        cfs_count_row r;
        while (cfs_counter_next(c, &it, &r)) {
            set_str(&k.d, cfs_counter_dist_str(c, r.dist));
            set_str(&k.e, cfs_counter_edge_str(c, r.edge));
            set_hour(&k.h, r.hour);
            /* the row's key as the merged table holds it (sets_agg) */
            cfs_tkey tk;
            memset(&tk, 0, sizeof tk);
            memcpy(tk.dist, cfs_counter_dist_str(c, r.dist), CFS_KEY_STR);
            memcpy(tk.edge, cfs_counter_edge_str(c, r.edge), CFS_KEY_STR);
            tk.hour = r.hour;
            tk.status = r.status;
            tk.rule = r.rule;
            tk.cause = r.cause;
            tk.evidence = r.evidence;
            tk.lat_class = r.lat_class;
            tk.excl = r.excl;
            hset_add(&k.t, XXH3_64bits(&tk, sizeof tk));
        }
        sets_groups(&k, &t[i].acc.groups, sizeof(cfs_grow));
    }
    if (merged) sets_agg(&k, merged);
    sets_done(&k, out);
}

const char *cfs_key_counts_largest(const cfs_key_counts *k)
{
    const char *name = "distribution x cause groups";
    uint64_t best = k->groups;
    if (k->edges > best) best = k->edges, name = "edges";
    if (k->hours > best) best = k->hours, name = "hours";
    if (k->dists > best) name = "distributions";
    return name;
}
