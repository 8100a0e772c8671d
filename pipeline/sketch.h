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
typedef struct cfs_hist {
    uint64_t count;
    uint64_t sum_ms;
    uint64_t b[CFS_HIST_BUCKETS];
} cfs_hist;

unsigned cfs_hist_bucket(uint32_t ms);          /* bucket index of a value */
uint32_t cfs_hist_bucket_value(unsigned bucket);/* representative value, within 1% */
void cfs_hist_add(cfs_hist *h, uint32_t ms);
void cfs_hist_add_n(cfs_hist *h, unsigned bucket, uint64_t n); /* n values in a bucket */
void cfs_hist_merge(cfs_hist *dst, const cfs_hist *src);
/* q in [0,1]; 0 when the histogram is empty.  Nearest-rank on buckets. */
uint32_t cfs_hist_quantile(const cfs_hist *h, double q);

/* ---- HyperLogLog ---------------------------------------------------------------------
 * p = 14: 16384 one-byte registers, standard error 1.04/sqrt(16384) = 0.81%.  Small
 * cardinalities use linear counting, so exact-ish for tens of values. */
#define CFS_HLL_P 14
#define CFS_HLL_REGS (1u << CFS_HLL_P)
typedef struct cfs_hll {
    uint8_t reg[CFS_HLL_REGS];
} cfs_hll;

void cfs_hll_add_hash(cfs_hll *h, uint64_t hash64);  /* caller hashes with XXH3_64bits */
void cfs_hll_merge(cfs_hll *dst, const cfs_hll *src);
double cfs_hll_estimate(const cfs_hll *h);

/* ---- Space-Saving heavy hitters -------------------------------------------------------
 * Capacity k counters.  While at most k distinct keys were added, counts are exact (error
 * 0).  Beyond that each listed count overestimates the true count by at most
 * error <= N/k (N = total weight added); every key with true count > N/k is listed.
 * Merging uses the mergeable-summaries rule (sum counters, keep the k largest, subtract
 * the (k+1)-th), which keeps error <= N/k for the combined N.  Keys are copied. */
typedef struct cfs_topk cfs_topk;
typedef struct cfs_topk_item {
    const char *key;    /* points into the summary; valid until it changes */
    uint32_t n;
    uint64_t count;     /* estimated count (upper bound) */
    uint64_t error;     /* count - error <= true count <= count */
} cfs_topk_item;

cfs_topk *cfs_topk_new(uint32_t capacity);
void cfs_topk_free(cfs_topk *t);
/* Empty the summary (as if new, same capacity), keeping its allocations for reuse. */
void cfs_topk_clear(cfs_topk *t);
void cfs_topk_add(cfs_topk *t, const char *key, size_t n, uint64_t hash64, uint64_t weight);
void cfs_topk_merge(cfs_topk *dst, const cfs_topk *src);
/* Items sorted by count descending, ties by key bytes ascending (deterministic).
 * Returns how many were written (<= max). */
size_t cfs_topk_list(const cfs_topk *t, cfs_topk_item *out, size_t max);
uint64_t cfs_topk_total(const cfs_topk *t);        /* N */
uint64_t cfs_topk_error_bound(const cfs_topk *t);  /* 0 while exact, else the bound */
size_t cfs_topk_size(const cfs_topk *t);           /* counters in use */
uint32_t cfs_topk_capacity(const cfs_topk *t);     /* k: the most counters it may hold */

#endif
