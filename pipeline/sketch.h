/* Mergeable sketches for the aggregates: a log-scale latency histogram, HyperLogLog for
 * distinct clients, and a Space-Saving heavy-hitter summary for top URIs and clients.
 * Each merges by construction (buckets add, registers take the max, summaries combine
 * with a stated error bound), so threads, files and machines merge the same way. */
#ifndef CFSCAN_PIPELINE_SKETCH_H
#define CFSCAN_PIPELINE_SKETCH_H

#include <stddef.h>
#include <stdint.h>

/* ---- log-scale histogram of milliseconds -------------------------------------------
 * Values 0..127 ms have one exact bucket each; above that buckets grow geometrically so
 * that every value in a bucket is within 1% of the bucket's representative value, up to
 * UINT32_MAX ms.  Quantiles are therefore within 1% of the exact order statistic. */
#define CFS_HIST_BUCKETS 1024
/* Buckets are held where values fell: a short list of (bucket, count) pairs in bucket
 * order, which turns into the dense array of CFS_HIST_BUCKETS counts once it would hold
 * more than CFS_HIST_SPARSE_MAX pairs.  A zeroed cfs_hist is empty; release what a
 * histogram holds with cfs_hist_free.  Both forms answer identically. */
#define CFS_HIST_SPARSE_MAX 64
typedef struct cfs_hist_pair {
    uint64_t n;
    uint32_t bucket;
    uint32_t pad;
} cfs_hist_pair;
typedef struct cfs_hist {
    uint64_t count;
    uint64_t sum_ms;
    uint64_t *dense;   /* CFS_HIST_BUCKETS counts, or NULL while sparse */
    cfs_hist_pair *sp; /* sparse pairs, nsp used of capsp */
    uint32_t nsp, capsp;
} cfs_hist;

unsigned cfs_hist_bucket(uint32_t ms);           /* bucket index of a value */
uint32_t cfs_hist_bucket_value(unsigned bucket); /* representative value, within 1% */
/* The adds and the merge allocate with the xalloc policy (out of memory: exit 1). */
void cfs_hist_add(cfs_hist *h, uint32_t ms);
void cfs_hist_add_n(cfs_hist *h, unsigned bucket, uint64_t n); /* n values in a bucket */
void cfs_hist_merge(cfs_hist *dst, const cfs_hist *src);
void cfs_hist_free(cfs_hist *h); /* back to empty */
uint64_t cfs_hist_get(const cfs_hist *h, unsigned bucket);
/* First bucket >= from with a nonzero count (its count in *n), or CFS_HIST_BUCKETS. */
unsigned cfs_hist_next(const cfs_hist *h, unsigned from, uint64_t *n);
/* Set an empty bucket above every bucket set so far (readers); 0 when out of memory. */
int cfs_hist_append(cfs_hist *h, unsigned bucket, uint64_t n);
int cfs_hist_equal(const cfs_hist *a, const cfs_hist *b); /* same count, sum and buckets */
size_t cfs_hist_bytes(const cfs_hist *h);                 /* heap bytes held */
/* q in [0,1]; 0 when the histogram is empty.  Nearest-rank on buckets. */
uint32_t cfs_hist_quantile(const cfs_hist *h, double q);

/* ---- HyperLogLog ---------------------------------------------------------------------
 * p = 14: 16384 one-byte registers, standard error 1.04/sqrt(16384) = 0.81%.  Small
 * cardinalities use linear counting, so exact-ish for tens of values. */
#define CFS_HLL_P 14
#define CFS_HLL_REGS (1u << CFS_HLL_P)
/* Sparse while few registers are set: sorted (index << 8 | rank) words, turning into the
 * 16384 dense registers past CFS_HLL_SPARSE_MAX of them (4 bytes each against 16 KiB).
 * A zeroed cfs_hll is empty; cfs_hll_free releases it.  The estimate depends only on how
 * many registers hold each rank, so both forms give the same double. */
#define CFS_HLL_SPARSE_MAX 1024
typedef struct cfs_hll {
    uint8_t *reg; /* CFS_HLL_REGS registers, or NULL while sparse */
    uint32_t *sp; /* sparse words, nsp used of capsp */
    uint32_t nsp, capsp;
} cfs_hll;

void cfs_hll_add_hash(cfs_hll *h, uint64_t hash64); /* caller hashes with XXH3_64bits */
void cfs_hll_merge(cfs_hll *dst, const cfs_hll *src);
double cfs_hll_estimate(const cfs_hll *h);
void cfs_hll_free(cfs_hll *h);
uint8_t cfs_hll_get(const cfs_hll *h, uint32_t index);
/* First register >= from that is set (its rank in *rank), or CFS_HLL_REGS. */
uint32_t cfs_hll_next(const cfs_hll *h, uint32_t from, uint8_t *rank);
/* Raise register index to rank if lower (readers); 0 when out of memory. */
int cfs_hll_set(cfs_hll *h, uint32_t index, uint8_t rank);
int cfs_hll_equal(const cfs_hll *a, const cfs_hll *b);
size_t cfs_hll_bytes(const cfs_hll *h);

/* ---- Space-Saving heavy hitters -------------------------------------------------------
 * Capacity k counters.  While at most k distinct keys were added, counts are exact (error
 * 0).  Beyond that each listed count overestimates the true count by at most
 * error <= N/k (N = total weight added); every key with true count > N/k is listed.
 * Merging uses the mergeable-summaries rule (sum counters, keep the k largest, subtract
 * the (k+1)-th), which keeps error <= N/k for the combined N.  Keys are copied.
 * Counters are allocated as keys arrive (doubling up to k), so a summary of a few keys
 * is small whatever its capacity. */
typedef struct cfs_topk cfs_topk;
typedef struct cfs_topk_item {
    const char *key; /* points into the summary; valid until it changes */
    uint32_t n;
    uint64_t count; /* estimated count (upper bound) */
    uint64_t error; /* count - error <= true count <= count */
} cfs_topk_item;

cfs_topk *cfs_topk_new(uint32_t capacity);
void cfs_topk_free(cfs_topk *t);
/* Empty the summary (as if new, same capacity), keeping its allocations for reuse. */
void cfs_topk_clear(cfs_topk *t);
void cfs_topk_add(cfs_topk *t, const char *key, size_t n, uint64_t hash64, uint64_t weight);
void cfs_topk_merge(cfs_topk *dst, const cfs_topk *src);
/* Test hook: 0 makes cfs_topk_merge rebuild dst on every truncating merge, also where it
 * would merge a small exact summary in place (sketch.c), so that a test can compare the
 * two; 1 (the default) again.  Set it before any merge runs: it is not synchronised. */
void cfs_topk_set_merge_in_place(int on);
/* Items sorted by count descending, ties by key bytes ascending (deterministic).
 * Returns how many were written (<= max). */
size_t cfs_topk_list(const cfs_topk *t, cfs_topk_item *out, size_t max);
uint64_t cfs_topk_total(const cfs_topk *t);       /* N */
uint64_t cfs_topk_error_bound(const cfs_topk *t); /* 0 while exact, else the bound */
size_t cfs_topk_size(const cfs_topk *t);          /* counters in use */
uint32_t cfs_topk_capacity(const cfs_topk *t);    /* k: the most counters it may hold */
size_t cfs_topk_bytes(const cfs_topk *t);         /* heap bytes held */

#endif
