/* The per-thread exact counter of the aggregate stage: requests and bytes per
 * distribution x edge x hour x status x attribution, for every accepted line.  Strings and
 * other wide key parts are interned once per thread into small ids, four 16-bit ids make
 * one 64-bit key, and the counts live beside the keys in an open-addressed table, so a
 * line costs a few compares and (when its key differs from the previous line's) one
 * multiplicative hash, never a string hash.  cfs_agg_merge_thread (aggregate.h) turns the
 * rows back into the string-keyed traffic table by remapping the ids. */
#ifndef CFSCAN_PIPELINE_COUNTER_H
#define CFSCAN_PIPELINE_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/kmap.h"

#define CFS_EDGE_CACHE 256

/* Ids are dense from 0 in first-seen order.  An id fits its 16 bits of the packed key
 * while it is below CFS_COUNTER_ID_LIMIT; 0xFFFF itself is never packed, so no packed key
 * is all ones (the empty-slot mark).  A line with any id at or past the limit is counted
 * in the overflow table instead (exact, only slower). */
#define CFS_COUNTER_ID_LIMIT 0xFFFFu

/* u64 -> dense id, for the key parts that are numbers (hours, verdicts): linear probing
 * on a multiplicative hash, ids stored + 1 so that 0 marks an empty slot and any key
 * value is allowed. */
typedef struct cfs_idmap {
    uint64_t *keys;   /* cap slots */
    uint32_t *ids;    /* id + 1, 0 = empty */
    uint64_t *byid;   /* key of each id */
    size_t cap, n, byid_cap;
    uint64_t last_key; /* the previous lookup: runs of one value cost one compare */
    uint32_t last_id;  /* id + 1, 0 = none */
} cfs_idmap;

/* Strings (distribution ids, edge codes) -> dense id: a cfs_kmap whose row index is the
 * id, the id of the previous lookup remembered and compared first. */
typedef struct cfs_strids {
    cfs_kmap map;      /* rows: the cfs_key_str, CFS_KEY_STR bytes */
    uint32_t last;     /* id + 1 of the previous lookup, 0 = none */
} cfs_strids;

/* One counted key and its counts, ids resolved to what they stand for except the
 * strings (cfs_counter_dist_str / cfs_counter_edge_str). */
typedef struct cfs_count_row {
    uint32_t dist, edge;
    int64_t hour;
    uint16_t status, rule;
    uint8_t cause, evidence, lat_class, pad;
    uint64_t requests, bytes;
} cfs_count_row;

typedef struct cfs_counter_slot {
    uint64_t key;     /* packed ids; UINT64_MAX = empty */
    uint64_t requests, bytes;
} cfs_counter_slot;

typedef struct cfs_counter {
    cfs_strids dists, edges;
    struct cfs_edge_slot { uint32_t n; uint32_t id; char s[CFS_KEY_STR]; } *edge_cache; /* CFS_EDGE_CACHE
                                  * entries, allocated on the first edge miss */
    cfs_idmap hours;              /* epoch seconds of the hour -> id */
    cfs_idmap verdicts;           /* cfs_counter_verdict -> id */
    cfs_counter_slot *slots;      /* cap slots, load <= 1/2 */
    size_t cap, n;
    cfs_counter_slot *last;       /* slot of the previous key (NULL after a rehash) */
    uint64_t last_key;
    cfs_kmap overflow;            /* cfs_count_row keyed by its first 24 bytes: lines
                                   * whose ids do not fit 16 bits */
} cfs_counter;

void cfs_counter_init(cfs_counter *c);
void cfs_counter_free(cfs_counter *c);

/* The id of a distribution / edge string (bytes p[0..n), stored as cfs_key_str). */
uint32_t cfs_counter_dist(cfs_counter *c, const char *p, size_t n);
uint32_t cfs_counter_edge(cfs_counter *c, const char *p, size_t n);
const char *cfs_counter_dist_str(const cfs_counter *c, uint32_t id);
const char *cfs_counter_edge_str(const cfs_counter *c, uint32_t id);
size_t cfs_counter_ndists(const cfs_counter *c);

/* The attribution part of a key packed into one word (56 bits used). */
static inline uint64_t cfs_counter_verdict(uint16_t status, uint16_t rule, uint8_t cause, uint8_t evidence,
                                           uint8_t lat_class)
{
    return (uint64_t)status | (uint64_t)rule << 16 | (uint64_t)cause << 32 | (uint64_t)evidence << 40 |
           (uint64_t)lat_class << 48;
}

/* Count one line: requests += 1, bytes += bytes.  hour is the epoch second of its hour. */
void cfs_counter_add(cfs_counter *c, uint32_t dist, uint32_t edge, int64_t hour, uint64_t verdict,
                     uint64_t bytes);

/* Rows in table order then the overflow rows: start with *it = 0; returns 0 at the end. */
int cfs_counter_next(const cfs_counter *c, size_t *it, cfs_count_row *out);
/* Rows held (table and overflow). */
size_t cfs_counter_rows(const cfs_counter *c);

#endif
