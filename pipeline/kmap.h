/* The generic open-addressed map of the aggregate stage (fixed-size keys hashed with
 * XXH3, rows in one array) and the fixed-size key strings it is used with.  Implemented in
 * aggregate.c, the translation unit that inlines xxHash; shared by the per-thread counter
 * (counter.h) and the string-keyed state (aggregate.h). */
#ifndef CFSCAN_PIPELINE_KMAP_H
#define CFSCAN_PIPELINE_KMAP_H

#include <stddef.h>
#include <stdint.h>

#define CFS_KEY_STR 40 /* ids (14), edge codes (<= 12) and d*.cloudfront.net domains (29) fit */

/* Generic open-addressed map from a fixed-size key (the first key_size bytes of each
 * row) to a fixed-size row.  Rows move when the map grows: never keep a row pointer
 * across an insert. */
typedef struct cfs_kmap {
    uint64_t *hash;
    uint32_t *slot; /* row index + 1, 0 = empty */
    size_t cap;     /* power of two */
    size_t n;
    char *rows;
    size_t row_size, key_size, rows_cap;
    /* set by the owner after cfs_kmap_init: a growth that would pass the memory budget is
     * refused (cfs_mem_refuse, xalloc.h) and the map fills on as when out of memory */
    int refuse_over;
} cfs_kmap;

void cfs_kmap_init(cfs_kmap *m, size_t key_size, size_t row_size);
void cfs_kmap_free(cfs_kmap *m);
/* Find or insert (zero-filled payload) the row whose key equals key.  Out of memory
 * (recorded, xalloc.h) a key the map cannot take gets a zeroed row of this thread that no
 * map holds (cfs_kmap_is_sink): writes to it go nowhere, and the map stays consistent. */
void *cfs_kmap_get(cfs_kmap *m, const void *key, int *created);
/* The same for a key whose hash (cfs_kmap_hash: cfs_hash_bytes of the map's key_size
 * bytes, so maps of one key type share it) the caller has; cfs_kmap_find_hashed likewise;
 * and a hint to load the index entry such a key is looked up at first (for a loop that
 * hashes a few keys ahead of the ones it inserts). */
uint64_t cfs_kmap_hash(const cfs_kmap *m, const void *key);
void *cfs_kmap_get_hashed(cfs_kmap *m, const void *key, uint64_t h, int *created);
const void *cfs_kmap_find_hashed(const cfs_kmap *m, const void *key, uint64_t h);
void cfs_kmap_prefetch(const cfs_kmap *m, uint64_t h);
int cfs_kmap_is_sink(const void *row);
/* The row whose key equals key, or NULL; never inserts, so it reads a const map. */
const void *cfs_kmap_find(const cfs_kmap *m, const void *key);
void *cfs_kmap_row(const cfs_kmap *m, size_t i);
/* Make room for `more` rows beyond the current ones, so that many inserts in a row do
 * not rehash the map each time it doubles. */
void cfs_kmap_reserve(cfs_kmap *m, size_t more);
/* What an empty map of rows of row_size bytes is charged to the memory budget (xalloc.h)
 * once cfs_kmap_reserve made room for `rows` rows: to know before a large reserve
 * whether it fits. */
int64_t cfs_kmap_bytes_for(size_t rows, size_t row_size);
/* dst, empty, becomes the union of the n maps parts (of dst's key and row sizes), whose
 * keys are disjoint, with room for `extra` more rows: the parts' rows in order, indexed by
 * the hashes they hold, no key hashed or compared again; the parts are emptied.  With
 * threads > 1 (and thousands of rows) the parts are copied and indexed on that many
 * threads, which holds the parts and the whole joined table at once, so only while the
 * memory budget (xalloc.h) has room for the table besides what is held; else the first
 * part is taken as it is and the others appended.  Either way the rows, and so every
 * reader of them, are the same.  Out of memory (recorded) the rows not taken are dropped,
 * as cfs_kmap_get drops a key it cannot take. */
void cfs_kmap_concat(cfs_kmap *dst, cfs_kmap *parts, size_t n, size_t extra, int threads);
/* The same join leaving the parts as they are: their rows appended to dst's (keys not in
 * dst, nor in more than one part), every row copied once, no key hashed again.  Out of
 * memory (recorded) the rows not taken are dropped. */
void cfs_kmap_concat_copy(cfs_kmap *dst, const cfs_kmap *parts, size_t n);
/* XXH3-64 of n bytes: the hash of the summary's WAF rule-name index (summary.c), and the
 * state file's checksum function, which tests use to forge valid hostile states. */
uint64_t cfs_hash_bytes(const void *p, size_t n);

/* Fixed-size key string: copy, truncating at CFS_KEY_STR-1 bytes; "" becomes "-", a NUL
 * byte "%00". */
void cfs_key_str(char dst[CFS_KEY_STR], const char *p, size_t n);

#endif
