/* The per-thread exact counter of the aggregate stage: requests and bytes per
 * distribution x edge x hour x status x attribution, for every accepted line.  Strings and
 * other wide key parts are interned once per thread into small ids, four 16-bit ids make
 * one 64-bit key, and the counts live beside the keys in an open-addressed table (those
 * of recent common lines wait in the memo in front of it until cfs_counter_flush), so a
 * line costs a few compares and (when its key differs from the previous line's) one
 * multiplicative hash, never a string hash.  cfs_agg_merge_thread (aggregate.h) turns the
 * rows back into the string-keyed traffic table by remapping the ids. */
#ifndef CFSCAN_PIPELINE_COUNTER_H
#define CFSCAN_PIPELINE_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/kmap.h"


/* Ids are dense from 0 in first-seen order.  An id fits its 16 bits of the packed key
 * while it is below CFS_COUNTER_ID_LIMIT; 0xFFFF itself is never packed, so no packed key
 * is all ones (the empty-slot mark).  A line with any id at or past the limit is counted
 * in the overflow table instead (exact, only slower). */
#define CFS_COUNTER_ID_LIMIT 0xFFFFu
#define CFS_COUNTER_MEMO_BITS 10

/* u64 -> dense id, for the key parts that are numbers (hours, verdicts): linear probing
 * on a multiplicative hash, ids stored + 1 so that 0 marks an empty slot and any key
 * value is allowed. */
typedef struct cfs_idmap {
    uint64_t *keys; /* cap slots */
    uint32_t *ids;  /* id + 1, 0 = empty */
    uint64_t *byid; /* key of each id */
    size_t cap, n, byid_cap;
    uint64_t last_key; /* the previous lookup: runs of one value cost one compare */
    uint32_t last_id;  /* id + 1, 0 = none */
} cfs_idmap;

/* Strings (distribution ids, edge codes) -> dense id: a cfs_kmap whose row index is the
 * id, and in front of it an open-addressed table of the strings of at most 16 bytes as
 * two words each (cfs_counter_words), so that a line's string is found without hashing
 * its bytes; the id of the previous lookup is compared first. */
typedef struct cfs_strids {
    cfs_kmap map; /* rows: the cfs_key_str, CFS_KEY_STR bytes */
    struct cfs_word_slot {
        uint64_t a, b;
        uint32_t n, id;
    } * words;               /* n: length + 1, 0 = empty */
    size_t wcap, wn;         /* words: slots (a power of two, load <= 1/2), used */
    unsigned wshift;         /* 64 - log2(wcap) */
    uint64_t last_a, last_b; /* the previous lookup's string as two words */
    uint32_t last_n;         /* its length + 1, 0 when longer than 16 bytes (compared as a string) */
    uint32_t last;           /* id + 1 of the previous lookup, 0 = none */
} cfs_strids;

/* One counted key and its counts, ids resolved to what they stand for except the
 * strings (cfs_counter_dist_str / cfs_counter_edge_str). */
typedef struct cfs_count_row {
    uint32_t dist, edge;
    int64_t hour;
    uint16_t status, rule;
    uint8_t cause, evidence, lat_class, excl;
    uint64_t requests, bytes;
} cfs_count_row;

typedef struct cfs_counter_slot {
    uint64_t key; /* packed ids; UINT64_MAX = empty */
    uint64_t requests, bytes;
} cfs_counter_slot;

typedef struct cfs_counter {
    cfs_strids dists, edges;
    struct cfs_counter_plain { /* per status without attribution (the verdict is the */
        int64_t hour;          /* status), for the hour it was last seen in: the hour */
        uint64_t key;          /* and verdict ids as key bits, UINT64_MAX unknown */
    } plain[1024];
    int64_t ts_hour; /* the hour of the previous cfs_counter_hour */
    int ts_hour_ok;
    struct cfs_counter_memo { /* cfs_counter_add_plain; ns = 0 marks an empty entry */
        uint64_t a, b, ns;    /* edge words; its length, the status, the distribution id */
        int64_t hour;
        uint64_t slot;            /* where the key of such lines counts (emptied by a rehash) */
        uint64_t requests, bytes; /* counted here, not yet in the slot (cfs_counter_flush) */
    } memo[1u << CFS_COUNTER_MEMO_BITS];
    uint64_t *order; /* keys in first-seen order (merge reads rows so) */
    size_t order_cap;
    cfs_idmap hours;         /* epoch seconds of the hour -> id */
    cfs_idmap verdicts;      /* cfs_counter_verdict -> id */
    cfs_counter_slot *slots; /* cap slots, load <= 1/2 */
    size_t cap, n;
    unsigned shift;         /* 64 - log2(cap) */
    cfs_counter_slot *last; /* slot of the previous key (NULL after a rehash) */
    uint64_t last_key;
    cfs_kmap overflow; /* cfs_count_row keyed by its first 24 bytes: lines
                        * whose ids do not fit 16 bits */
} cfs_counter;

void cfs_counter_init(cfs_counter *c);
/* Puts the counts held in the memo (cfs_counter_add_plain) into their slots.  Before
 * any row's counts are read (cfs_counter_next): the scan's end runs it for each thread,
 * on one thread, before the threads' tables are merged in parallel. */
void cfs_counter_flush(cfs_counter *c);
void cfs_counter_free(cfs_counter *c);

const char *cfs_counter_dist_str(const cfs_counter *c, uint32_t id);
const char *cfs_counter_edge_str(const cfs_counter *c, uint32_t id);

/* The attribution part of a key packed into one word.  One without a cause, rule or
 * latency class is its status alone, below 1024. */
static inline uint64_t cfs_counter_verdict(uint16_t status, uint16_t rule, uint8_t cause, uint8_t evidence,
                                           uint8_t lat_class, uint8_t excl)
{
    return (uint64_t)status | (uint64_t)rule << 16 | (uint64_t)cause << 32 | (uint64_t)evidence << 40 |
           (uint64_t)lat_class << 48 | (uint64_t)excl << 56;
}

/* ---- the per-line path: inline compares, everything else in counter.c -------------------
 * The out-of-line calls give the same answers for every input; the inline parts only
 * answer from what the previous line (or the edge cache) already resolved. */
/* The id the slow paths return when it could not be made (out of memory, recorded in
 * xalloc.h): cfs_counter_add counts such a line nowhere, the run stops at its next check. */
#define CFS_COUNTER_NO_ID UINT32_MAX
uint32_t cfs_counter_dist_slow(cfs_counter *c, const char *p, size_t n);
uint32_t cfs_counter_edge_slow(cfs_counter *c, const char *p, size_t n);
cfs_counter_slot *cfs_counter_add_slow(cfs_counter *c, uint32_t dist, uint32_t edge, int64_t hour,
                                       uint64_t verdict, uint64_t bytes);

/* A string of 1 to 16 bytes as two words: for one length, equal words are equal strings
 * (8..16 bytes: the first and the last eight, overlapping; 4..7: the first and the last
 * four; shorter: the bytes themselves).  Distribution ids (14 bytes) and edge codes (8 to
 * 12) always fit, so a line's string is compared with a remembered one in three word
 * compares after two loads, all within p[0..n). */
static inline void cfs_counter_words(const char *p, size_t n, uint64_t *a, uint64_t *b)
{
    if (n >= 8) {
        __builtin_memcpy(a, p, 8);
        __builtin_memcpy(b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        __builtin_memcpy(&x, p, 4);
        __builtin_memcpy(&y, p + n - 4, 4);
        *a = x | (uint64_t)y << 32;
        *b = 0;
    } else {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++) w = (w << 8) | (unsigned char)p[i];
        *a = w;
        *b = 0;
    }
}

/* Fibonacci hashing: the multiply carries every input bit into the top bits of the
 * product, which pick the slot (the low bits of a product see only the low input bits,
 * and the packed ids put whole fields in the high ones). */
static inline size_t cfs_counter_mix(uint64_t k, unsigned shift)
{
    return (size_t)((k * 0x9e3779b97f4a7c15ull) >> shift);
}

/* The id + 1 of a short string from its words, answered from the previous lookup or the
 * word table; 0 when neither knows it (the caller then takes the slow path). */
static inline uint32_t cfs_strids_find(cfs_strids *t, uint64_t a, uint64_t b, size_t n)
{
    if (t->last_n == n + 1 && t->last_a == a && t->last_b == b) return t->last;
    if (!t->wcap) return 0;
    size_t j = cfs_counter_mix(a ^ (b * 0xff51afd7ed558ccdull) ^ n, t->wshift);
    for (;;) {
        const struct cfs_word_slot *e = &t->words[j];
        if (e->n == n + 1 && e->a == a && e->b == b) {
            t->last = e->id + 1;
            t->last_a = a;
            t->last_b = b;
            t->last_n = e->n;
            return e->id + 1;
        }
        if (!e->n) return 0;
        j = (j + 1) & (t->wcap - 1);
    }
}

/* The id of a distribution / edge string (bytes p[0..n), stored as cfs_key_str): the
 * previous line's is compared first, so a run of lines of one distribution (or edge)
 * never hashes its string, and edges, which alternate, are found by their words. */
static inline uint32_t cfs_counter_known(cfs_strids *t, const char *p, size_t n)
{
    if (!p || n - 1 >= 16) return 0;
    uint64_t a, b;
    cfs_counter_words(p, n, &a, &b);
    return cfs_strids_find(t, a, b, n); /* id + 1, 0 = not there */
}

static inline uint32_t cfs_counter_dist(cfs_counter *c, const char *p, size_t n)
{
    uint32_t id = cfs_counter_known(&c->dists, p, n);
    return id ? id - 1 : cfs_counter_dist_slow(c, p, n);
}

static inline uint32_t cfs_counter_edge(cfs_counter *c, const char *p, size_t n)
{
    uint32_t id = cfs_counter_known(&c->edges, p, n);
    return id ? id - 1 : cfs_counter_edge_slow(c, p, n);
}

/* The epoch second starting ts's hour (floored, also for negative times); the previous
 * answer is reused while ts stays in its hour, so most lines divide nothing. */
static inline int64_t cfs_counter_hour(cfs_counter *c, int64_t ts)
{
    if (c->ts_hour_ok && (uint64_t)ts - (uint64_t)c->ts_hour < 3600) return c->ts_hour;
    c->ts_hour = (ts >= 0 ? ts / 3600 : (ts - 3599) / 3600) * 3600;
    c->ts_hour_ok = 1;
    return c->ts_hour;
}

/* Count one line: requests += 1, bytes += bytes.  hour is the epoch second of its hour.
 * Inline: the line's verdict is a status seen before in the line's hour (plain), and its
 * key is the previous line's or already in the table; any other line goes to
 * cfs_counter_add_slow.  Returns the slot counted into, NULL for an overflow row. */
static inline cfs_counter_slot *cfs_counter_add(cfs_counter *c, uint32_t dist, uint32_t edge, int64_t hour,
                                                uint64_t verdict, uint64_t bytes)
{
    uint64_t hv;
    /* dist + 1 and edge + 1 are at most 0xFFFF exactly when their OR is: then both ids
     * fit 16 bits and neither is 0xFFFF, so no key is all ones (the empty mark) */
    if (verdict < 1024 && c->plain[verdict].hour == hour && (hv = c->plain[verdict].key) != UINT64_MAX &&
        (((uint64_t)dist + 1) | ((uint64_t)edge + 1)) <= 0xFFFFu) {
        uint64_t key = (uint64_t)dist | (uint64_t)edge << 16 | hv;
        cfs_counter_slot *s = c->last;
        if (!s || c->last_key != key) {
            size_t j = cfs_counter_mix(key, c->shift);
            while (c->slots[j].key != key) {
                if (c->slots[j].key == UINT64_MAX) goto slow; /* a new key: inserted there */
                j = (j + 1) & (c->cap - 1);
            }
            s = &c->slots[j];
            c->last = s;
            c->last_key = key;
        }
        s->requests++;
        s->bytes += bytes;
        return s;
    }
slow:
    return cfs_counter_add_slow(c, dist, edge, hour, verdict, bytes);
}

/* cfs_counter_add for a line whose verdict is its status alone (no cause, rule or
 * latency class: most lines), with the edge still as bytes.  The memo remembers, per
 * (edge bytes, status, distribution id, hour), the slot its key counts into, so a line
 * like a recent one skips interning its edge and finding its key: a hit costs the edge's
 * two words, one multiply and a few compares.  A hit also counts into the memo entry,
 * not the slot: the table has a thread's keys of every hour (megabytes), the memo those
 * of recent lines (40 KiB), so a hit touches no slot.  The entry's counts go to its slot
 * when a line with another key takes the entry, when a rehash moves the slots (which
 * empties the memo), and at cfs_counter_flush.  A line the memo does not know takes the
 * full path, which fills its entry. */
static inline uint64_t cfs_counter_memo_ns(size_t edge_n, uint16_t status, uint32_t dist)
{
    return (uint64_t)edge_n << 48 | (uint64_t)status << 32 | dist;
}
static inline struct cfs_counter_memo *cfs_counter_memo_of(cfs_counter *c, uint64_t a, uint64_t b,
                                                           uint64_t ns)
{
    return &c->memo[((a ^ (b * 0xff51afd7ed558ccdull) ^ ns) * 0x9e3779b97f4a7c15ull) >>
                    (64 - CFS_COUNTER_MEMO_BITS)];
}
/* cfs_counter_add_plain's line that its memo entry does not hold, or that the memo does
 * not take (counter.c): out of line, so that every caller keeps the hit inline. */
void cfs_counter_add_plain_miss(cfs_counter *c, uint32_t dist, const char *edge, size_t edge_n, int64_t hour,
                                uint16_t status, uint64_t bytes);
static inline __attribute__((always_inline)) void cfs_counter_add_plain(cfs_counter *c, uint32_t dist,
                                                                        const char *edge, size_t edge_n,
                                                                        int64_t hour, uint16_t status,
                                                                        uint64_t bytes)
{
    if (edge && edge_n - 1 < 16 && status < 1024) {
        uint64_t a, b;
        cfs_counter_words(edge, edge_n, &a, &b);
        const uint64_t ns = cfs_counter_memo_ns(edge_n, status, dist);
        struct cfs_counter_memo *m = cfs_counter_memo_of(c, a, b, ns);
        if (m->a == a && m->b == b && m->ns == ns && m->hour == hour) {
            m->requests++;
            m->bytes += bytes;
            return;
        }
    }
    cfs_counter_add_plain_miss(c, dist, edge, edge_n, hour, status, bytes);
}

/* Rows in first-seen order then the overflow rows: start with *it = 0; returns 0 at the
 * end.  (First-seen order keeps the merged table's rows as the lines brought them, which
 * later readers of it profit from: consecutive rows share their hour.) */
int cfs_counter_next(const cfs_counter *c, size_t *it, cfs_count_row *out);
/* A hint to load the slot that cfs_counter_next reads for row it (any it). */
void cfs_counter_prefetch(const cfs_counter *c, size_t it);
/* Row it's (it < cfs_counter_rows, numbered as cfs_counter_next numbers them)
 * distribution and edge ids, as in cfs_count_row, and its hour in epoch seconds, without
 * reading its counts. */
void cfs_counter_key_at(const cfs_counter *c, size_t it, uint32_t *dist, uint32_t *edge, int64_t *hour);
/* Rows held (table and overflow). */
size_t cfs_counter_rows(const cfs_counter *c);
/* Distribution ids held (their number); *edges gets the edge ids'. */
size_t cfs_counter_ids(const cfs_counter *c, size_t *edges);

#endif
