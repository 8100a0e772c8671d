/* Binary serialization of the sketches in sketch.h, so partial results from separate runs
 * merge exactly (cfscan merge).  Each blob is self-delimiting and checked, so several
 * blobs can follow each other in one file and any damage is reported, never trusted. */
#ifndef CFSCAN_PIPELINE_SKETCH_IO_H
#define CFSCAN_PIPELINE_SKETCH_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pipeline/sketch.h"
#include "pipeline/types.h"

/* Blob layout, every integer little-endian:
 *   magic[4]  "CFHG" histogram | "CFLL" HyperLogLog | "CFTK" top-k
 *   u16       format version (1)
 *   u32       payload length in bytes
 *   payload   sketch-specific, below; unsigned LEB128 varints ("v")
 *   u64       XXH3-64 of the payload
 * Payloads, version 1:
 *   histogram  v count, v sum_ms, v nonzero buckets, then per bucket in increasing index
 *              order: v (index - previous index - 1, previous starting at -1), v count
 *   HLL        u8 0 then the 16384 registers, or u8 1, v nonzero registers, then per
 *              register: v index gap as above, u8 value (whichever is shorter)
 *   top-k      v capacity, v total, v floor, u8 flags (bit 0: poisoned), v entries, then
 *              per entry in cfs_topk_list order: v key length, key bytes, u64 key hash,
 *              v count, v error
 * Readers return CFS_E_TRUNCATED when the stream ends inside a blob, CFS_E_CORRUPT for a
 * wrong magic, a checksum mismatch or a payload that breaks the sketch's invariants,
 * CFS_E_UNSUPPORTED for a newer version, CFS_E_IO for a read/write error and CFS_E_NOMEM.
 * On any error the output is left untouched (hist, hll) or NULL (top-k).  A histogram or
 * HLL read overwrites *h without releasing it: pass an empty or uninitialised one, and
 * release the result with cfs_hist_free / cfs_hll_free. */

#define CFS_TOPK_MAX_CAPACITY 65536u /* cfs_topk_new refuses more */
#define CFS_TOPK_MAX_KEY (1u << 20)  /* longest key a top-k blob may hold */

cfs_status cfs_hist_write(FILE *f, const cfs_hist *h);
cfs_status cfs_hist_read(FILE *f, cfs_hist *h);
cfs_status cfs_hll_write(FILE *f, const cfs_hll *h);
cfs_status cfs_hll_read(FILE *f, cfs_hll *h);
/* Fails with CFS_E_UNSUPPORTED for a key longer than CFS_TOPK_MAX_KEY or a summary whose
 * payload would not fit the u32 length. */
cfs_status cfs_topk_write(FILE *f, const cfs_topk *t);
/* Allocates *out (free with cfs_topk_free); *out is NULL on error. */
cfs_status cfs_topk_read(FILE *f, cfs_topk **out);
/* cfs_topk_read under the caller's limits, for blobs from untrusted files (cfscan merge):
 * a capacity above max_capacity or a payload longer than max_payload is CFS_E_CORRUPT,
 * refused from the header fields before anything is allocated for them. */
cfs_status cfs_topk_read_limited(FILE *f, uint32_t max_capacity, uint32_t max_payload, cfs_topk **out);

/* ---- raw top-k state: for sketch_io.c only, implemented in sketch.c ----------------------
 * The public interface hides what an exact round trip needs: the capacity, the floor D
 * (see the invariants in sketch.c) and the caller's hash of each key. */
typedef struct cfs_topk_state {
    uint32_t capacity;
    uint64_t total;
    uint64_t floor;
    int poisoned;
} cfs_topk_state;

typedef struct cfs_topk_entry {
    cfs_topk_item item;
    uint64_t hash;
} cfs_topk_entry;

void cfs_topk_get_state(const cfs_topk *t, cfs_topk_state *st);
/* Writes all cfs_topk_size(t) entries to out, in cfs_topk_list order. */
size_t cfs_topk_export(const cfs_topk *t, cfs_topk_entry *out);
/* Builds a summary from exported state, copying the keys; CFS_E_CORRUPT when the entries
 * break the invariants (duplicate key, error > floor, count < floor, mass > total). */
cfs_status cfs_topk_restore(cfs_topk **out, const cfs_topk_state *st, const cfs_topk_entry *e, size_t n);

#endif
