/* The per-thread exact counter (counter.h): id interning and the packed-key table.  The
 * hot path is cfs_counter_add after the interning calls; everything else runs once per
 * new key, new string or merge. */
#include "pipeline/counter.h"
#include "pipeline/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "pipeline/types.h"

/* ---- numbers -> ids ------------------------------------------------------------------ */

/* Fibonacci hashing: the multiply spreads every input bit into the top bits. */
static inline size_t mix(uint64_t k, size_t cap)
{
    uint64_t h = (k ^ (k >> 31)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & (cap - 1);
}

static void idmap_free(cfs_idmap *m)
{
    if (m->keys) cfs_free_charged(m->keys, m->cap * sizeof *m->keys);
    if (m->ids) cfs_free_charged(m->ids, m->cap * sizeof *m->ids);
    if (m->byid) cfs_free_charged(m->byid, m->byid_cap * sizeof *m->byid);
    memset(m, 0, sizeof *m);
}

static void idmap_rehash(cfs_idmap *m, size_t ncap)
{
    uint64_t *nk = cfs_xrealloc_charged(NULL, 0, ncap * sizeof *nk);
    uint32_t *ni = cfs_xrealloc_charged(NULL, 0, ncap * sizeof *ni);
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
}

/* The id of key, made on first sight. */
static uint32_t idmap_get_slow(cfs_idmap *m, uint64_t key)
{
    if ((m->n + 1) * 2 > m->cap) idmap_rehash(m, m->cap ? m->cap * 2 : 16);
    size_t j = mix(key, m->cap);
    while (m->ids[j]) {
        if (m->keys[j] == key) goto done;
        j = (j + 1) & (m->cap - 1);
    }
    if (m->n == m->byid_cap) {
        size_t nc = m->byid_cap ? m->byid_cap * 2 : 16;
        m->byid = cfs_xrealloc_charged(m->byid, m->byid_cap * sizeof *m->byid, nc * sizeof *m->byid);
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

/* s (a cfs_key_str) holds exactly what cfs_key_str(p, n) would write. */
static inline int same_key_str(const char *s, const char *p, size_t n)
{
    if (n == 0) return s[0] == '-' && s[1] == 0;
    if (n > CFS_KEY_STR - 1) n = CFS_KEY_STR - 1;
    if (s[n] != 0) return 0;
    return cfs_short_eq(s, p, n); /* word compares: these run on every line */
}

static uint32_t strids_slow(cfs_strids *t, const char *p, size_t n)
{
    char key[CFS_KEY_STR];
    cfs_key_str(key, p, n);
    char *row = cfs_kmap_get(&t->map, key, NULL);
    uint32_t id = (uint32_t)((size_t)(row - t->map.rows) / CFS_KEY_STR);
    t->last = id + 1;
    return id;
}

/* The previous line's string is compared first: a run of lines of one distribution (or
 * edge) never hashes its string. */
static inline uint32_t strids_get(cfs_strids *t, const char *p, size_t n)
{
    if (t->last && same_key_str(t->map.rows + (size_t)(t->last - 1) * CFS_KEY_STR, p, n)) return t->last - 1;
    return strids_slow(t, p ? p : "", n);
}

uint32_t cfs_counter_dist(cfs_counter *c, const char *p, size_t n) { return strids_get(&c->dists, p, n); }

/* Slot of an edge code in the edge cache.  Edge codes are like "IAD89-C1" (8 bytes, up
 * to 12): the first and last 8 bytes (4 for short ones) cover all of a normal code in one
 * or two loads, and a multiply mixes them into the top bits.  Only the cache hit rate
 * depends on this hash; ids come from the string table either way. */
static inline unsigned edge_slot(const char *p, size_t n)
{
    uint64_t w = n;
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, p, 8);
        memcpy(&y, p + n - 8, 8);
        w ^= x ^ (y * 0xff51afd7ed558ccdull);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        w ^= x | ((uint64_t)y << 32);
    } else {
        for (size_t i = 0; i < n; i++) w = (w << 8) | (unsigned char)p[i];
    }
    return (unsigned)((w * 0x9e3779b97f4a7c15ull) >> 56) & (CFS_EDGE_CACHE - 1);
}

/* Edges alternate more than distributions (one log file mixes a PoP's servers), and are
 * few: after the previous line's edge, a direct-mapped cache keyed by a cheap hash of the
 * bytes avoids the string table for nearly every line. */
uint32_t cfs_counter_edge(cfs_counter *c, const char *p, size_t n)
{
    cfs_strids *t = &c->edges;
    if (t->last && same_key_str(t->map.rows + (size_t)(t->last - 1) * CFS_KEY_STR, p, n)) return t->last - 1;
    if (!p) p = "";
    unsigned h = edge_slot(p, n);
    if (!c->edge_cache) {
        c->edge_cache = cfs_xcalloc(CFS_EDGE_CACHE, sizeof *c->edge_cache);
        cfs_mem_charge((int64_t)(CFS_EDGE_CACHE * sizeof *c->edge_cache) + CFS_MEM_BLOCK);
    }
    struct cfs_edge_slot *e = &c->edge_cache[h];
    if (e->n && same_key_str(e->s, p, n)) {
        t->last = e->id + 1;
        return e->id;
    }
    uint32_t id = strids_slow(t, p, n);
    e->n = 1;
    e->id = id;
    memcpy(e->s, t->map.rows + (size_t)id * CFS_KEY_STR, CFS_KEY_STR);
    return id;
}

const char *cfs_counter_dist_str(const cfs_counter *c, uint32_t id) { return c->dists.map.rows + (size_t)id * CFS_KEY_STR; }
const char *cfs_counter_edge_str(const cfs_counter *c, uint32_t id) { return c->edges.map.rows + (size_t)id * CFS_KEY_STR; }
size_t cfs_counter_ndists(const cfs_counter *c) { return c->dists.map.n; }

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
}

void cfs_counter_free(cfs_counter *c)
{
    cfs_kmap_free(&c->dists.map);
    cfs_kmap_free(&c->edges.map);
    cfs_kmap_free(&c->overflow);
    if (c->edge_cache) cfs_free_charged(c->edge_cache, CFS_EDGE_CACHE * sizeof *c->edge_cache);
    idmap_free(&c->hours);
    idmap_free(&c->verdicts);
    if (c->slots) cfs_free_charged(c->slots, c->cap * sizeof *c->slots);
    memset(c, 0, sizeof *c);
}

static void table_rehash(cfs_counter *c, size_t ncap)
{
    cfs_counter_slot *ns = cfs_xrealloc_charged(NULL, 0, ncap * sizeof *ns);
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
    c->last = NULL;
}

/* The slot of a packed key, made (zero counts) on first sight. */
static cfs_counter_slot *table_get(cfs_counter *c, uint64_t key)
{
    if ((c->n + 1) * 2 > c->cap) table_rehash(c, c->cap ? c->cap * 2 : 256);
    size_t j = mix(key, c->cap);
    while (c->slots[j].key != key) {
        if (c->slots[j].key == EMPTY) {
            c->slots[j].key = key;
            c->slots[j].requests = c->slots[j].bytes = 0;
            c->n++;
            break;
        }
        j = (j + 1) & (c->cap - 1);
    }
    return &c->slots[j];
}

void cfs_counter_add(cfs_counter *c, uint32_t dist, uint32_t edge, int64_t hour, uint64_t verdict, uint64_t bytes)
{
    uint32_t h = idmap_get(&c->hours, (uint64_t)hour);
    uint32_t v = idmap_get(&c->verdicts, verdict);
    /* Every id + 1 is at most 0xFFFF exactly when their OR is (64-bit sums: no wrap). */
    if ((((uint64_t)dist + 1) | ((uint64_t)edge + 1) | ((uint64_t)h + 1) | ((uint64_t)v + 1)) > 0xFFFFu) {
        /* Some id does not fit its 16 bits (65,535 or more distributions, edges, hours or
         * verdicts in one thread): count the line under its full key instead. */
        wide_key k;
        memset(&k, 0, sizeof k);
        k.dist = dist;
        k.edge = edge;
        k.hour = hour;
        k.verdict = verdict;
        wide_row *w = cfs_kmap_get(&c->overflow, &k, NULL);
        w->requests++;
        w->bytes += bytes;
        return;
    }
    uint64_t key = (uint64_t)dist | (uint64_t)edge << ID_BITS | (uint64_t)h << (2 * ID_BITS) |
                   (uint64_t)v << (3 * ID_BITS);
    /* A run of lines with one key (same distribution, edge, hour, status and verdict)
     * counts into the previous slot without probing. */
    cfs_counter_slot *s = c->last;
    if (!s || c->last_key != key) {
        s = table_get(c, key);
        c->last = s;
        c->last_key = key;
    }
    s->requests++;
    s->bytes += bytes;
}

static void unpack_verdict(uint64_t v, cfs_count_row *out)
{
    out->status = (uint16_t)v;
    out->rule = (uint16_t)(v >> 16);
    out->cause = (uint8_t)(v >> 32);
    out->evidence = (uint8_t)(v >> 40);
    out->lat_class = (uint8_t)(v >> 48);
}

int cfs_counter_next(const cfs_counter *c, size_t *it, cfs_count_row *out)
{
    memset(out, 0, sizeof *out);
    while (*it < c->cap) {
        const cfs_counter_slot *s = &c->slots[(*it)++];
        if (s->key == EMPTY) continue;
        const uint64_t mask = ((uint64_t)1 << ID_BITS) - 1;
        out->dist = (uint32_t)(s->key & mask);
        out->edge = (uint32_t)(s->key >> ID_BITS & mask);
        out->hour = (int64_t)c->hours.byid[s->key >> (2 * ID_BITS) & mask];
        unpack_verdict(c->verdicts.byid[s->key >> (3 * ID_BITS) & mask], out);
        out->requests = s->requests;
        out->bytes = s->bytes;
        return 1;
    }
    size_t i = *it - c->cap;
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

size_t cfs_counter_rows(const cfs_counter *c) { return c->n + c->overflow.n; }
