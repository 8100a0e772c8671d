/* The per-thread exact counter (counter.h): what runs once per new string, hour, verdict
 * or key (the slow paths behind counter.h's inline ones), and the iteration the merge
 * reads rows with. */
#include "pipeline/counter.h"
#include "pipeline/xalloc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/types.h"

/* ---- numbers -> ids ------------------------------------------------------------------ */

/* Slot of key in a table of cap slots (a power of two >= 2), counter.h's hash. */
static inline size_t mix(uint64_t k, size_t cap)
{
    return cfs_counter_mix(k, 64u - (unsigned)__builtin_ctzll((unsigned long long)cap));
}

/* Every growth of a counter's tables: refused when it would pass the memory budget
 * (cfs_mem_refuse; the run is over it and stops at its next check), else charged. */
static void *counter_grow(void *p, size_t old, size_t n, const char *what)
{
    if (n > old && cfs_mem_refuse(n - old)) return NULL;
    return cfs_realloc_charged(p, old, n, what);
}

static void idmap_free(cfs_idmap *m)
{
    if (m->keys) cfs_free_charged(m->keys, m->cap * sizeof *m->keys);
    if (m->ids) cfs_free_charged(m->ids, m->cap * sizeof *m->ids);
    if (m->byid) cfs_free_charged(m->byid, m->byid_cap * sizeof *m->byid);
    memset(m, 0, sizeof *m);
}

/* 0 when out of memory (recorded): the map stays as it was. */
static int idmap_rehash(cfs_idmap *m, size_t ncap)
{
    uint64_t *nk = counter_grow(NULL, 0, ncap * sizeof *nk, "growing the counter's hour or verdict table");
    uint32_t *ni =
        nk ? counter_grow(NULL, 0, ncap * sizeof *ni, "growing the counter's hour or verdict table") : NULL;
    if (!ni) {
        if (nk) cfs_free_charged(nk, ncap * sizeof *nk);
        return 0;
    }
    memset(ni, 0, ncap * sizeof *ni);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->ids[i]) continue;
        size_t j = mix(m->keys[i], ncap);
        while (ni[j]) j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i];
        ni[j] = m->ids[i];
    }
    if (m->keys) cfs_free_charged(m->keys, m->cap * sizeof *m->keys);
    if (m->ids) cfs_free_charged(m->ids, m->cap * sizeof *m->ids);
    m->keys = nk;
    m->ids = ni;
    m->cap = ncap;
    return 1;
}

/* The id of key, made on first sight; CFS_COUNTER_NO_ID when out of memory (recorded). */
static uint32_t idmap_get_slow(cfs_idmap *m, uint64_t key)
{
    /* a map that could not grow fills on while one slot stays empty (probes end) */
    if ((m->n + 1) * 2 > m->cap && !idmap_rehash(m, m->cap ? m->cap * 2 : 16) && m->n + 2 > m->cap)
        return CFS_COUNTER_NO_ID;
    size_t j = mix(key, m->cap);
    while (m->ids[j]) {
        if (m->keys[j] == key) goto done;
        j = (j + 1) & (m->cap - 1);
    }
    if (m->n == m->byid_cap) {
        size_t nc = m->byid_cap ? m->byid_cap * 2 : 16;
        uint64_t *nb = counter_grow(m->byid, m->byid_cap * sizeof *m->byid, nc * sizeof *m->byid,
                                    "growing the counter's hour or verdict table");
        if (!nb) return CFS_COUNTER_NO_ID;
        m->byid = nb;
        m->byid_cap = nc;
    }
    m->byid[m->n] = key;
    m->keys[j] = key;
    m->ids[j] = (uint32_t)++m->n;
done:
    m->last_key = key;
    m->last_id = m->ids[j];
    return m->ids[j] - 1;
}

static inline uint32_t idmap_get(cfs_idmap *m, uint64_t key)
{
    if (m->last_id && m->last_key == key) return m->last_id - 1;
    return idmap_get_slow(m, key);
}

/* ---- strings -> ids ------------------------------------------------------------------ */

/* s (a cfs_key_str) holds exactly what cfs_key_str(p, n) would write.  A NUL in p is
 * written "%00" there (aggregate.c), so such a p is never compared byte for byte (it
 * matched the key of its bytes before the NUL): the string table answers for it. */
static inline int same_key_str(const char *s, const char *p, size_t n)
{
    if (n == 0) return s[0] == '-' && s[1] == 0;
    if (n > CFS_KEY_STR - 1) n = CFS_KEY_STR - 1;
    if (s[n] != 0 || memchr(p, 0, n)) return 0;
    return cfs_short_eq(s, p, n);
}

/* cfs_counter_words for strings of any length: 0 (and no words) past 16 bytes. */
static inline int short_key(const char *p, size_t n, uint64_t *a, uint64_t *b)
{
    *a = *b = 0;
    if (n > 16) return 0;
    if (n) cfs_counter_words(p, n, a, b);
    return 1;
}

/* The id of p[0..n) from the string table, made on first sight (one XXH3 of the key). */
static uint32_t strids_slow(cfs_strids *t, const char *p, size_t n)
{
    char key[CFS_KEY_STR];
    cfs_key_str(key, p, n);
    char *row = cfs_kmap_get(&t->map, key, NULL);
    if (cfs_kmap_is_sink(row)) return CFS_COUNTER_NO_ID; /* out of memory (recorded) */
    return (uint32_t)((size_t)(row - t->map.rows) / CFS_KEY_STR);
}

static inline void strids_remember(cfs_strids *t, uint32_t id, uint64_t a, uint64_t b, size_t n, int is_short)
{
    t->last = id + 1;
    t->last_a = a;
    t->last_b = b;
    t->last_n = is_short ? (uint32_t)n + 1 : 0;
}

/* 0 when out of memory (recorded): the table stays as it was. */
static int words_rehash(cfs_strids *t, size_t ncap)
{
    struct cfs_word_slot *nw = counter_grow(NULL, 0, ncap * sizeof *nw, "growing the counter's string table");
    if (!nw) return 0;
    memset(nw, 0, ncap * sizeof *nw);
    unsigned shift = 64u - (unsigned)__builtin_ctzll((unsigned long long)ncap);
    for (size_t i = 0; i < t->wcap; i++) {
        const struct cfs_word_slot *e = &t->words[i];
        if (!e->n) continue;
        size_t j = cfs_counter_mix(e->a ^ (e->b * 0xff51afd7ed558ccdull) ^ (e->n - 1), shift);
        while (nw[j].n) j = (j + 1) & (ncap - 1);
        nw[j] = *e;
    }
    if (t->words) cfs_free_charged(t->words, t->wcap * sizeof *t->words);
    t->words = nw;
    t->wcap = ncap;
    t->wshift = shift;
    return 1;
}

/* The id of p[0..n) when the inline part (cfs_strids_find) did not answer: the string
 * table, made on first sight, after which the word table knows a short string. */
static uint32_t strids_get_slow(cfs_strids *t, const char *p, size_t n)
{
    if (!p) p = "", n = 0;
    uint64_t a, b;
    int sh = short_key(p, n, &a, &b);
    if (!sh && t->last && t->last_n == 0 &&
        same_key_str(t->map.rows + (size_t)(t->last - 1) * CFS_KEY_STR, p, n))
        return t->last - 1;
    if (sh) {
        uint32_t known = cfs_strids_find(t, a, b, n);
        if (known) return known - 1;
    }
    uint32_t id = strids_slow(t, p, n);
    if (id == CFS_COUNTER_NO_ID) return id;
    /* the word table is a cache of the string table: out of memory it just misses */
    if (sh && ((t->wn + 1) * 2 <= t->wcap || words_rehash(t, t->wcap ? t->wcap * 2 : 64))) {
        size_t j = cfs_counter_mix(a ^ (b * 0xff51afd7ed558ccdull) ^ n, t->wshift);
        while (t->words[j].n) j = (j + 1) & (t->wcap - 1);
        t->words[j].a = a;
        t->words[j].b = b;
        t->words[j].n = (uint32_t)n + 1;
        t->words[j].id = id;
        t->wn++;
    }
    strids_remember(t, id, a, b, n, sh);
    return id;
}

/* cfs_counter_dist / cfs_counter_edge when the inline part did not answer. */
uint32_t cfs_counter_dist_slow(cfs_counter *c, const char *p, size_t n)
{
    return strids_get_slow(&c->dists, p, n);
}
uint32_t cfs_counter_edge_slow(cfs_counter *c, const char *p, size_t n)
{
    return strids_get_slow(&c->edges, p, n);
}

/* CFS_COUNTER_NO_ID (out of memory) reads as the key string "-" (whole: callers copy
 * CFS_KEY_STR bytes); the run is stopping anyway. */
static const char k_no_id[CFS_KEY_STR] = "-";
const char *cfs_counter_dist_str(const cfs_counter *c, uint32_t id)
{
    return id < c->dists.map.n ? c->dists.map.rows + (size_t)id * CFS_KEY_STR : k_no_id;
}
const char *cfs_counter_edge_str(const cfs_counter *c, uint32_t id)
{
    return id < c->edges.map.n ? c->edges.map.rows + (size_t)id * CFS_KEY_STR : k_no_id;
}

/* ---- the table ----------------------------------------------------------------------- */
#define EMPTY UINT64_MAX
#define ID_BITS 16

/* The overflow rows: the same fields with ids of 32 bits and the verdict unpacked. */
typedef struct wide_key {
    uint32_t dist, edge;
    int64_t hour;
    uint64_t verdict;
} wide_key;
_Static_assert(sizeof(wide_key) == 24, "overflow key is the head of its row");
typedef struct wide_row {
    wide_key k;
    uint64_t requests, bytes;
} wide_row;

void cfs_counter_init(cfs_counter *c)
{
    memset(c, 0, sizeof *c);
    cfs_kmap_init(&c->dists.map, CFS_KEY_STR, CFS_KEY_STR);
    cfs_kmap_init(&c->edges.map, CFS_KEY_STR, CFS_KEY_STR);
    cfs_kmap_init(&c->overflow, sizeof(wide_key), sizeof(wide_row));
    /* the pass checks the budget after every window: a doubling past it is refused */
    c->dists.map.refuse_over = c->edges.map.refuse_over = c->overflow.refuse_over = 1;
    for (size_t i = 0; i < sizeof c->plain / sizeof *c->plain; i++) c->plain[i].key = UINT64_MAX;
}

void cfs_counter_free(cfs_counter *c)
{
    cfs_kmap_free(&c->dists.map);
    cfs_kmap_free(&c->edges.map);
    cfs_kmap_free(&c->overflow);
    if (c->dists.words) cfs_free_charged(c->dists.words, c->dists.wcap * sizeof *c->dists.words);
    if (c->edges.words) cfs_free_charged(c->edges.words, c->edges.wcap * sizeof *c->edges.words);
    idmap_free(&c->hours);
    idmap_free(&c->verdicts);
    if (c->slots) cfs_free_charged(c->slots, c->cap * sizeof *c->slots);
    if (c->order) cfs_free_charged(c->order, c->order_cap * sizeof *c->order);
    memset(c, 0, sizeof *c);
}

void cfs_counter_flush(cfs_counter *c)
{
    for (size_t i = 0; i < sizeof c->memo / sizeof c->memo[0]; i++) {
        struct cfs_counter_memo *m = &c->memo[i];
        if (!m->requests) continue;
        c->slots[m->slot].requests += m->requests;
        c->slots[m->slot].bytes += m->bytes;
        m->requests = m->bytes = 0;
    }
}

/* 0 when out of memory (recorded): the table stays as it was. */
static int table_rehash(cfs_counter *c, size_t ncap)
{
    cfs_counter_flush(c);
    cfs_counter_slot *ns = counter_grow(NULL, 0, ncap * sizeof *ns, "growing the counter's table");
    if (!ns) return 0;
    for (size_t i = 0; i < ncap; i++) ns[i].key = EMPTY;
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i].key == EMPTY) continue;
        size_t j = mix(c->slots[i].key, ncap);
        while (ns[j].key != EMPTY) j = (j + 1) & (ncap - 1);
        ns[j] = c->slots[i];
    }
    if (c->slots) cfs_free_charged(c->slots, c->cap * sizeof *c->slots);
    c->slots = ns;
    c->cap = ncap;
    c->shift = 64u - (unsigned)__builtin_ctzll((unsigned long long)ncap);
    c->last = NULL;
    memset(c->memo, 0, sizeof c->memo); /* its slot numbers were for the old table */
    return 1;
}

/* The slot of a packed key, made (zero counts) on first sight; NULL when out of memory
 * (recorded): a table that could not grow fills on while one slot stays empty. */
static cfs_counter_slot *table_get(cfs_counter *c, uint64_t key)
{
    if ((c->n + 1) * 2 > c->cap && !table_rehash(c, c->cap ? c->cap * 2 : 256) && c->n + 2 > c->cap)
        return NULL;
    size_t j = mix(key, c->cap);
    while (c->slots[j].key != key) {
        if (c->slots[j].key == EMPTY) {
            if (c->n == c->order_cap) {
                size_t nc = c->order_cap ? c->order_cap * 2 : 256;
                uint64_t *no = counter_grow(c->order, c->order_cap * sizeof *c->order, nc * sizeof *c->order,
                                            "growing the counter's table");
                if (!no) return NULL; /* the key is not inserted */
                c->order = no;
                c->order_cap = nc;
            }
            c->slots[j].key = key;
            c->slots[j].requests = c->slots[j].bytes = 0;
            c->order[c->n++] = key;
            break;
        }
        j = (j + 1) & (c->cap - 1);
    }
    return &c->slots[j];
}

/* counter.h: the memo entry's counts to their slot, then the entry to this line's key. */
void cfs_counter_add_plain_miss(cfs_counter *c, uint32_t dist, const char *edge, size_t edge_n, int64_t hour,
                                uint16_t status, uint64_t bytes)
{
    if (!(edge && edge_n - 1 < 16 && status < 1024)) {
        cfs_counter_add(c, dist, cfs_counter_edge(c, edge, edge_n), hour, status, bytes);
        return;
    }
    uint64_t a, b;
    cfs_counter_words(edge, edge_n, &a, &b);
    const uint64_t ns = cfs_counter_memo_ns(edge_n, status, dist);
    struct cfs_counter_memo *m = cfs_counter_memo_of(c, a, b, ns);
    if (m->requests) {
        cfs_counter_slot *o = &c->slots[m->slot];
        o->requests += m->requests;
        o->bytes += m->bytes;
        m->requests = m->bytes = 0;
    }
    cfs_counter_slot *s = cfs_counter_add(c, dist, cfs_counter_edge(c, edge, edge_n), hour, status, bytes);
    if (s) {
        m->a = a;
        m->b = b;
        m->ns = ns;
        m->hour = hour;
        m->slot = (uint64_t)(s - c->slots);
    }
}

/* cfs_counter_add when the inline path did not answer: any hour, verdict and ids. */
cfs_counter_slot *cfs_counter_add_slow(cfs_counter *c, uint32_t dist, uint32_t edge, int64_t hour,
                                       uint64_t verdict, uint64_t bytes)
{
    uint32_t h = idmap_get(&c->hours, (uint64_t)hour);
    uint32_t v = idmap_get(&c->verdicts, verdict);
    /* Every id + 1 is at most 0xFFFF exactly when their OR is (64-bit sums: no wrap). */
    if ((((uint64_t)dist + 1) | ((uint64_t)edge + 1) | ((uint64_t)h + 1) | ((uint64_t)v + 1)) > 0xFFFFu) {
        /* Some id does not fit its 16 bits (65,535 or more distributions, edges, hours or
         * verdicts in one thread): count the line under its full key instead.  An id that
         * could not be made (out of memory, recorded) counts nowhere. */
        if (dist == CFS_COUNTER_NO_ID || edge == CFS_COUNTER_NO_ID || h == CFS_COUNTER_NO_ID ||
            v == CFS_COUNTER_NO_ID)
            return NULL;
        wide_key k;
        memset(&k, 0, sizeof k);
        k.dist = dist;
        k.edge = edge;
        k.hour = hour;
        k.verdict = verdict;
        wide_row *w = cfs_kmap_get(&c->overflow, &k, NULL);
        w->requests++;
        w->bytes += bytes;
        return NULL;
    }
    uint64_t hv = (uint64_t)h << (2 * ID_BITS) | (uint64_t)v << (3 * ID_BITS);
    /* Statuses alternate from line to line (200, 304, 206, ...) and a line without a 403
     * cause has no other verdict part: remember their key bits for the inline path. */
    if (verdict < sizeof c->plain / sizeof *c->plain) {
        c->plain[verdict].hour = hour;
        c->plain[verdict].key = hv;
    }
    uint64_t key = (uint64_t)dist | (uint64_t)edge << ID_BITS | hv;
    /* A run of lines with one key (same distribution, edge, hour, status and verdict)
     * counts into the previous slot without probing. */
    cfs_counter_slot *s = c->last;
    if (!s || c->last_key != key) {
        s = table_get(c, key);
        if (!s) {
            /* out of memory: the inline path must not probe a table never made */
            if (!c->cap && verdict < sizeof c->plain / sizeof *c->plain) c->plain[verdict].key = UINT64_MAX;
            return NULL;
        }
        c->last = s;
        c->last_key = key;
    }
    s->requests++;
    s->bytes += bytes;
    return s;
}

static void unpack_verdict(uint64_t v, cfs_count_row *out)
{
    out->status = (uint16_t)v;
    out->rule = (uint16_t)(v >> 16);
    out->cause = (uint8_t)(v >> 32);
    out->evidence = (uint8_t)(v >> 40);
    out->lat_class = (uint8_t)(v >> 48);
    out->excl = (uint8_t)(v >> 56);
}

#ifndef NDEBUG
/* No counts wait in the memo (cfs_counter_flush ran since the last line). */
static int memo_flushed(const cfs_counter *c)
{
    for (size_t i = 0; i < sizeof c->memo / sizeof c->memo[0]; i++)
        if (c->memo[i].requests) return 0;
    return 1;
}
#endif

int cfs_counter_next(const cfs_counter *c, size_t *it, cfs_count_row *out)
{
    assert(*it != 0 || memo_flushed(c)); /* rows read before the memo's counts reached them */
    memset(out, 0, sizeof *out);
    if (*it < c->n) {
        uint64_t key = c->order[(*it)++];
        size_t j = mix(key, c->cap);
        while (c->slots[j].key != key) j = (j + 1) & (c->cap - 1);
        const cfs_counter_slot *s = &c->slots[j];
        const uint64_t mask = ((uint64_t)1 << ID_BITS) - 1;
        out->dist = (uint32_t)(key & mask);
        out->edge = (uint32_t)(key >> ID_BITS & mask);
        out->hour = (int64_t)c->hours.byid[key >> (2 * ID_BITS) & mask];
        unpack_verdict(c->verdicts.byid[key >> (3 * ID_BITS) & mask], out);
        out->requests = s->requests;
        out->bytes = s->bytes;
        return 1;
    }
    size_t i = *it - c->n;
    if (i >= c->overflow.n) return 0;
    (*it)++;
    const wide_row *w = cfs_kmap_row(&c->overflow, i);
    out->dist = w->k.dist;
    out->edge = w->k.edge;
    out->hour = w->k.hour;
    unpack_verdict(w->k.verdict, out);
    out->requests = w->requests;
    out->bytes = w->bytes;
    return 1;
}

void cfs_counter_key_at(const cfs_counter *c, size_t it, uint32_t *dist, uint32_t *edge, int64_t *hour)
{
    if (it < c->n) {
        const uint64_t mask = ((uint64_t)1 << ID_BITS) - 1, key = c->order[it];
        *dist = (uint32_t)(key & mask);
        *edge = (uint32_t)(key >> ID_BITS & mask);
        *hour = (int64_t)c->hours.byid[key >> (2 * ID_BITS) & mask];
        return;
    }
    const wide_row *w = cfs_kmap_row(&c->overflow, it - c->n);
    *dist = w->k.dist;
    *edge = w->k.edge;
    *hour = w->k.hour;
}

void cfs_counter_prefetch(const cfs_counter *c, size_t it)
{
    if (it < c->n) __builtin_prefetch(&c->slots[mix(c->order[it], c->cap)]);
}

size_t cfs_counter_rows(const cfs_counter *c) { return c->n + c->overflow.n; }
size_t cfs_counter_ids(const cfs_counter *c, size_t *edges)
{
    *edges = c->edges.map.n;
    return c->dists.map.n;
}
