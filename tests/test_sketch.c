/* Tests for pipeline/sketch.c and pipeline/sketch_io.c.  Every expectation comes from an
 * independent computation in this file: sorted raw values for quantiles, bucket bounds
 * re-derived from their definition, exact per-key counts in plain arrays for top-k, and a
 * hand-written framing of blobs for the serialization checks. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipeline/sketch.h"
#include "pipeline/sketch_io.h"

/* ---- helpers ------------------------------------------------------------------------- */

/* splitmix64: small, seedable, good enough to drive tests. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s) { return ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0; }

static double rng_normal(uint64_t *s)
{
    return sqrt(-2.0 * log(rng_unit(s))) * cos(6.283185307179586 * rng_unit(s));
}

static uint64_t hash_u64(uint64_t v) { return XXH3_64bits(&v, sizeof v); }

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* |a - b| <= 1% of both a and b. */
static int within_1pct(uint64_t v, uint64_t r)
{
    uint64_t d = v > r ? v - r : r - v;
    return 100 * d <= v && 100 * d <= r;
}

/* ======================================================================================
 * Histogram
 * ====================================================================================== */

/* Lower bounds of all buckets, re-derived from the definition in sketch.c: exact values,
 * greedy widest 1% buckets up to 4095, then ceil(2^e * 2^(j/35)) for e >= 12. */
static size_t ref_bucket_bounds(uint64_t *lo, size_t max)
{
    size_t n = 0;
    for (uint64_t v = 0; v < 128; v++) lo[n++] = v;
    for (uint64_t v = 128; v < 4096;) {
        lo[n++] = v;
        uint64_t r = v + v / 100;
        v = r + r / 100 + 1;
    }
    for (int e = 12; e <= 31; e++)
        for (int j = 0; j < 35; j++) lo[n++] = (uint64_t)ceill(ldexpl(powl(2.0L, j / 35.0L), e));
    cr_assert(n <= max);
    return n;
}

Test(hist, bucket_bounds_match_definition)
{
    static uint64_t lo[2048];
    size_t n = ref_bucket_bounds(lo, 2048);
    cr_assert(n <= CFS_HIST_BUCKETS, "%zu buckets do not fit", n);
    for (size_t i = 0; i < n; i++) {
        uint64_t hi = i + 1 < n ? lo[i + 1] - 1 : UINT32_MAX;
        cr_assert(lo[i] <= hi, "empty bucket %zu", i);
        cr_assert_eq(cfs_hist_bucket((uint32_t)lo[i]), i, "lo of bucket %zu (%llu)", i,
                     (unsigned long long)lo[i]);
        cr_assert_eq(cfs_hist_bucket((uint32_t)hi), i, "hi of bucket %zu", i);
        if (i > 0) cr_assert_eq(cfs_hist_bucket((uint32_t)lo[i] - 1), i - 1);
        uint32_t r = cfs_hist_bucket_value((unsigned)i);
        cr_assert(r >= lo[i] && r <= hi, "representative of %zu outside its bucket", i);
        cr_assert(within_1pct(lo[i], r) && within_1pct(hi, r),
                  "bucket %zu [%llu, %llu] representative %u not within 1%%", i, (unsigned long long)lo[i],
                  (unsigned long long)hi, r);
        if (i < 128) cr_assert_eq(r, i);
    }
    cr_assert_eq(cfs_hist_bucket(UINT32_MAX), n - 1);
}

/* Every value below 2^24 (regions A, B and twelve octaves of C): the bucket index never
 * decreases, never skips, and its representative is within 1% of the value. */
Test(hist, exhaustive_below_2_24)
{
    unsigned prev = 0;
    for (uint32_t v = 0; v < (1u << 24); v++) {
        unsigned b = cfs_hist_bucket(v);
        if (b < prev || b > prev + 1) cr_assert(0, "bucket jumps at %u: %u -> %u", v, prev, b);
        if (!within_1pct(v, cfs_hist_bucket_value(b)))
            cr_assert(0, "value %u, representative %u", v, cfs_hist_bucket_value(b));
        prev = b;
    }
}

Test(hist, random_uint32_in_range_and_within_1pct)
{
    uint64_t s = 1;
    for (int i = 0; i < 2000000; i++) {
        /* spread over all magnitudes: random bit length, then random bits */
        uint64_t r = rng_next(&s);
        uint32_t v = (uint32_t)(r >> 32) >> (r & 31);
        unsigned b = cfs_hist_bucket(v);
        if (b >= CFS_HIST_BUCKETS || !within_1pct(v, cfs_hist_bucket_value(b)))
            cr_assert(0, "value %u bucket %u representative %u", v, b, cfs_hist_bucket_value(b));
    }
}

static uint32_t exact_quantile(const uint32_t *sorted, size_t n, double q)
{
    double r = ceil(q * (double)n);
    size_t rank = r < 1 ? 1 : (r > (double)n ? n : (size_t)r);
    return sorted[rank - 1];
}

Test(hist, quantiles_within_1pct_of_exact)
{
    static const struct {
        double mu, sigma;
    } sets[] = {
        {3.0, 0.5}, {5.3, 1.0}, {6.0, 2.0}, {10.0, 3.0}, {1.0, 0.8},
    };
    static const double qs[] = {0.0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1.0};
    const size_t n = 200000;
    uint32_t *v = malloc(n * sizeof *v);
    cr_assert(v);
    uint64_t s = 7;
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        cfs_hist h;
        memset(&h, 0, sizeof h);
        uint64_t sum = 0;
        for (size_t i = 0; i < n; i++) {
            double x = exp(sets[k].mu + sets[k].sigma * rng_normal(&s));
            v[i] = x >= 4294967295.0 ? UINT32_MAX : (uint32_t)x;
            sum += v[i];
            cfs_hist_add(&h, v[i]);
        }
        cr_assert_eq(h.count, n);
        cr_assert_eq(h.sum_ms, sum);
        qsort(v, n, sizeof *v, cmp_u32);
        for (size_t j = 0; j < sizeof qs / sizeof qs[0]; j++) {
            uint32_t want = exact_quantile(v, n, qs[j]);
            uint32_t got = cfs_hist_quantile(&h, qs[j]);
            cr_assert(within_1pct(want, got), "set %zu q=%g: exact %u, histogram %u", k, qs[j], want, got);
        }
        cfs_hist_free(&h);
    }
    free(v);
}

Test(hist, small_values_are_exact_and_empty_is_zero)
{
    cfs_hist h;
    memset(&h, 0, sizeof h);
    cr_assert_eq(cfs_hist_quantile(&h, 0.5), 0);
    /* 1..100 once each: nearest-rank p50 = 50, p90 = 90, p99 = 99, p100 = 100 */
    for (uint32_t v = 1; v <= 100; v++) cfs_hist_add(&h, v);
    cr_assert_eq(cfs_hist_quantile(&h, 0.5), 50);
    cr_assert_eq(cfs_hist_quantile(&h, 0.9), 90);
    cr_assert_eq(cfs_hist_quantile(&h, 0.99), 99);
    cr_assert_eq(cfs_hist_quantile(&h, 1.0), 100);
    cr_assert_eq(cfs_hist_quantile(&h, 0.0), 1);
    cr_assert_eq(cfs_hist_quantile(&h, -3.0), 1);
    cr_assert_eq(cfs_hist_quantile(&h, 7.0), 100);
    cr_assert_eq(cfs_hist_quantile(&h, NAN), 1);
    cfs_hist_free(&h);
}

Test(hist, merge_of_halves_equals_whole)
{
    cfs_hist whole, a, b;
    memset(&whole, 0, sizeof whole);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    uint64_t s = 3;
    for (int i = 0; i < 100000; i++) {
        uint32_t v = (uint32_t)exp(4.0 + 2.5 * rng_normal(&s));
        cfs_hist_add(&whole, v);
        cfs_hist_add(rng_next(&s) & 1 ? &a : &b, v);
    }
    cfs_hist_merge(&a, &b);
    cr_assert_eq(a.count, whole.count);
    cr_assert_eq(a.sum_ms, whole.sum_ms);
    for (unsigned i = 0; i < CFS_HIST_BUCKETS; i++)
        cr_assert_eq(cfs_hist_get(&a, i), cfs_hist_get(&whole, i), "bucket %u", i);
    cr_assert(cfs_hist_equal(&a, &whole));
    cfs_hist_free(&whole);
    cfs_hist_free(&a);
    cfs_hist_free(&b);
}

Test(hist, add_n)
{
    cfs_hist h;
    memset(&h, 0, sizeof h);
    unsigned b = cfs_hist_bucket(1000);
    cfs_hist_add_n(&h, b, 5);
    cr_assert_eq(h.count, 5);
    cr_assert_eq(cfs_hist_get(&h, b), 5);
    cr_assert_eq(h.sum_ms, 5ull * cfs_hist_bucket_value(b));
    cfs_hist_add_n(&h, CFS_HIST_BUCKETS, 9);                /* out of range: refused */
    cfs_hist_add_n(&h, cfs_hist_bucket(UINT32_MAX) + 1, 9); /* no value maps there */
    cr_assert_eq(h.count, 5);
    cr_assert(within_1pct(1000, cfs_hist_quantile(&h, 0.5)));
    cfs_hist_free(&h);
}

/* ======================================================================================
 * HyperLogLog
 * ====================================================================================== */

static double hll_of_range(cfs_hll *h, uint64_t from, uint64_t to)
{
    for (uint64_t i = from; i < to; i++) cfs_hll_add_hash(h, hash_u64(i));
    return cfs_hll_estimate(h);
}

Test(hll, small_cardinalities_linear_counting)
{
    cfs_hll *h = calloc(1, sizeof *h);
    cr_assert(h);
    for (uint64_t n = 0; n <= 50; n++) {
        cfs_hll_free(h); /* empty again: free leaves it zeroed, as calloc made it */
        hll_of_range(h, 1000, 1000 + n);
        double e = hll_of_range(h, 1000, 1000 + n); /* duplicates change nothing */
        cr_assert(fabs(e - (double)n) <= 1.0, "n=%llu estimate %.3f", (unsigned long long)n, e);
    }
    cfs_hll_free(h), free(h);
}

Test(hll, large_cardinalities_within_3_sigma)
{
    static const uint64_t ns[] = {1000, 100000, 1000000};
    const double se = 1.04 / sqrt((double)CFS_HLL_REGS);
    cfs_hll *h = calloc(1, sizeof *h);
    cr_assert(h);
    for (size_t k = 0; k < 3; k++) {
        cfs_hll_free(h); /* empty again: free leaves it zeroed, as calloc made it */
        double e = hll_of_range(h, 1u << 30, (1u << 30) + ns[k]);
        double rel = fabs(e - (double)ns[k]) / (double)ns[k];
        cr_assert(rel <= 3 * se, "n=%llu estimate %.0f (%.3f%%)", (unsigned long long)ns[k], e, 100 * rel);
    }
    cfs_hll_free(h), free(h);
}

/* 16 independent sets per size: their mean relative error has a standard error of
 * 0.81% / 4, so a bias of about 0.6% would show.  45000 sits where the classic estimator
 * switches from linear counting (E <= 2.5 m = 40960) and is biased by about +1.6%. */
Test(hll, unbiased_on_average)
{
    static const uint64_t ns[] = {45000, 200000};
    cfs_hll *h = calloc(1, sizeof *h);
    cr_assert(h);
    for (size_t j = 0; j < 2; j++) {
        double mean = 0;
        for (uint64_t k = 0; k < 16; k++) {
            cfs_hll_free(h); /* empty again: free leaves it zeroed, as calloc made it */
            uint64_t base = (k << 40) + (j << 50);
            mean += (hll_of_range(h, base, base + ns[j]) - (double)ns[j]) / (double)ns[j] / 16;
        }
        cr_assert(fabs(mean) <= 3 * 1.04 / sqrt((double)CFS_HLL_REGS) / 4, "n=%llu mean error %.3f%%",
                  (unsigned long long)ns[j], 100 * mean);
    }
    cfs_hll_free(h), free(h);
}

Test(hll, merge_of_overlapping_sets)
{
    cfs_hll *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *u = calloc(1, sizeof *u);
    cr_assert(a && b && u);
    hll_of_range(a, 0, 600000);
    hll_of_range(b, 400000, 1000000);
    hll_of_range(u, 0, 1000000);
    cfs_hll_merge(a, b);
    /* max per register is exactly the sketch of the union */
    cr_assert(cfs_hll_equal(a, u));
    double e = cfs_hll_estimate(a);
    cr_assert(fabs(e - 1e6) <= 3 * 1.04 / sqrt((double)CFS_HLL_REGS) * 1e6, "union estimate %.0f", e);
    cfs_hll_free(a), free(a);
    cfs_hll_free(b), free(b);
    cfs_hll_free(u), free(u);
}

/* ======================================================================================
 * Space-Saving top-k
 * ====================================================================================== */

/* A broken bucket list or probe run shows up as an endless loop: fail instead of hang. */
TestSuite(topk, .timeout = 60);

typedef struct keyset {
    size_t n;
    char (*key)[16];
    size_t *len;
    uint64_t *hash;
} keyset;

static keyset keys_make(size_t n)
{
    keyset ks = {n, malloc(n * sizeof *ks.key), malloc(n * sizeof *ks.len), malloc(n * sizeof *ks.hash)};
    cr_assert(ks.key && ks.len && ks.hash);
    for (size_t i = 0; i < n; i++) {
        /* varied lengths so ties are broken by bytes and by length */
        ks.len[i] = (size_t)snprintf(ks.key[i], sizeof ks.key[i], "/p%zu", i * 7919 % (n * 3 + 1));
        ks.hash[i] = XXH3_64bits(ks.key[i], ks.len[i]);
    }
    return ks;
}

static void keys_free(keyset *ks)
{
    free(ks->key);
    free(ks->len);
    free(ks->hash);
}

static void add_key(cfs_topk *t, const keyset *ks, size_t i, uint64_t w)
{
    cfs_topk_add(t, ks->key[i], ks->len[i], ks->hash[i], w);
}

/* Index of a listed key in the key set (keys are unique), or n. */
static size_t key_index(const keyset *ks, const cfs_topk_item *it)
{
    for (size_t i = 0; i < ks->n; i++)
        if (ks->len[i] == it->n && memcmp(ks->key[i], it->key, it->n) == 0) return i;
    return ks->n;
}

/* Expected list when exact: all keys with count > 0, ordered by count desc, key bytes,
 * length; computed with a plain insertion sort over the true counts. */
static int ref_before(const keyset *ks, const uint64_t *cnt, size_t a, size_t b)
{
    if (cnt[a] != cnt[b]) return cnt[a] > cnt[b];
    size_t m = ks->len[a] < ks->len[b] ? ks->len[a] : ks->len[b];
    int d = memcmp(ks->key[a], ks->key[b], m);
    if (d) return d < 0;
    return ks->len[a] < ks->len[b];
}

static void check_exact(const cfs_topk *t, const keyset *ks, const uint64_t *cnt, uint64_t total)
{
    size_t *order = malloc(ks->n * sizeof *order), m = 0;
    cfs_topk_item *it = malloc((ks->n + 1) * sizeof *it);
    cr_assert(order && it);
    for (size_t i = 0; i < ks->n; i++) {
        if (!cnt[i]) continue;
        size_t j = m++;
        while (j > 0 && ref_before(ks, cnt, i, order[j - 1])) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    cr_assert_eq(cfs_topk_total(t), total);
    cr_assert_eq(cfs_topk_error_bound(t), 0);
    cr_assert_eq(cfs_topk_size(t), m);
    cr_assert_eq(cfs_topk_list(t, it, ks->n + 1), m);
    for (size_t j = 0; j < m; j++) {
        size_t i = order[j];
        cr_assert(it[j].n == ks->len[i] && memcmp(it[j].key, ks->key[i], it[j].n) == 0,
                  "position %zu: got %.*s, want %s", j, (int)it[j].n, it[j].key, ks->key[i]);
        cr_assert_eq(it[j].count, cnt[i]);
        cr_assert_eq(it[j].error, 0);
    }
    free(order);
    free(it);
}

Test(topk, exact_with_at_most_k_keys_any_order_any_split)
{
    const size_t nk = 300, len = 20000;
    keyset ks = keys_make(nk);
    size_t *stream = malloc(len * sizeof *stream);
    uint64_t *w = malloc(len * sizeof *w), *cnt = calloc(nk, sizeof *cnt), total = 0;
    cr_assert(stream && w && cnt);
    uint64_t s = 11;
    for (size_t i = 0; i < len; i++) {
        stream[i] = (size_t)(rng_next(&s) % nk);
        w[i] = 1 + rng_next(&s) % 5;
        cnt[stream[i]] += w[i];
        total += w[i];
    }
    for (int round = 0; round < 6; round++) {
        /* a fresh random order of the same (key, weight) events */
        for (size_t i = len - 1; i > 0; i--) {
            size_t j = (size_t)(rng_next(&s) % (i + 1));
            size_t tk = stream[i];
            stream[i] = stream[j];
            stream[j] = tk;
            uint64_t tw = w[i];
            w[i] = w[j];
            w[j] = tw;
        }
        /* split into 1..8 parts at random, summarize each, merge in a rotated order */
        size_t parts = 1 + (size_t)round % 8 + (round > 3 ? 3 : 0);
        cfs_topk *p[12];
        for (size_t k = 0; k < parts; k++) cr_assert((p[k] = cfs_topk_new((uint32_t)nk)));
        for (size_t i = 0; i < len; i++) add_key(p[rng_next(&s) % parts], &ks, stream[i], w[i]);
        for (size_t k = 1; k < parts; k++) cfs_topk_merge(p[(round + k) % parts], p[(round + k - 1) % parts]);
        check_exact(p[(round + parts - 1) % parts], &ks, cnt, total);
        for (size_t k = 0; k < parts; k++) cfs_topk_free(p[k]);
    }
    free(stream);
    free(w);
    free(cnt);
    keys_free(&ks);
}

/* Checks the guarantees of sketch.h against the true counts: count - error <= true <=
 * count, error <= bound <= N/k, every key with true > N/k (indeed > bound) listed. */
static void check_bounds(const cfs_topk *t, const keyset *ks, const uint64_t *cnt, uint64_t total, uint32_t k)
{
    cfs_topk_item *it = malloc(k * sizeof *it);
    char *listed = calloc(ks->n, 1);
    cr_assert(it && listed);
    size_t m = cfs_topk_list(t, it, k);
    uint64_t bound = cfs_topk_error_bound(t);
    cr_assert_eq(cfs_topk_total(t), total);
    cr_assert(bound > 0, "a stream with more than k keys cannot be exact");
    cr_assert(bound <= total / k, "bound %llu > N/k", (unsigned long long)bound);
    for (size_t j = 0; j < m; j++) {
        size_t i = key_index(ks, &it[j]);
        cr_assert(i < ks->n, "listed key not in the stream");
        cr_assert(!listed[i], "key listed twice");
        listed[i] = 1;
        cr_assert(it[j].count - it[j].error <= cnt[i] && cnt[i] <= it[j].count,
                  "%s: true %llu, count %llu, error %llu", ks->key[i], (unsigned long long)cnt[i],
                  (unsigned long long)it[j].count, (unsigned long long)it[j].error);
        cr_assert(it[j].error <= bound);
        if (j) cr_assert(it[j - 1].count >= it[j].count);
    }
    for (size_t i = 0; i < ks->n; i++)
        if (!listed[i])
            cr_assert(cnt[i] <= bound, "%s (true %llu) missing", ks->key[i], (unsigned long long)cnt[i]);
    free(it);
    free(listed);
}

/* Zipf(1.1) over 60000 keys: draws by binary search in the cumulative weights. */
static size_t *zipf_stream(size_t nkeys, size_t len, double s_exp, uint64_t seed)
{
    double *cdf = malloc(nkeys * sizeof *cdf), acc = 0;
    size_t *out = malloc(len * sizeof *out);
    cr_assert(cdf && out);
    for (size_t i = 0; i < nkeys; i++) cdf[i] = (acc += pow((double)(i + 1), -s_exp));
    for (size_t i = 0; i < len; i++) {
        double u = rng_unit(&seed) * acc;
        size_t lo = 0, hi = nkeys - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u) lo = mid + 1;
            else hi = mid;
        }
        out[i] = lo;
    }
    free(cdf);
    return out;
}

Test(topk, zipf_heavy_hitters_and_bounds)
{
    const size_t nk = 60000, len = 600000;
    const uint32_t k = 200;
    keyset ks = keys_make(nk);
    size_t *st = zipf_stream(nk, len, 1.1, 5);
    uint64_t *cnt = calloc(nk, sizeof *cnt), total = 0, s = 9;
    cr_assert(cnt);
    cfs_topk *one = cfs_topk_new(k), *part[8];
    cr_assert(one);
    for (int p = 0; p < 8; p++) cr_assert((part[p] = cfs_topk_new(k)));
    for (size_t i = 0; i < len; i++) {
        uint64_t w = 1 + (i % 3 == 0 ? rng_next(&s) % 4 : 0);
        cnt[st[i]] += w;
        total += w;
        add_key(one, &ks, st[i], w);
        /* uneven split: part p gets a share growing with p */
        add_key(part[rng_next(&s) % 36 < 8 ? 0 : 1 + rng_next(&s) % 7], &ks, st[i], w);
    }
    check_bounds(one, &ks, cnt, total, k);
    /* some key must be heavy for the test to mean anything */
    cr_assert(cnt[0] > total / k);

    /* merge as a tree: (0+1) (2+3) (4+5) (6+7), then pairs, then the last pair */
    for (int step = 1; step < 8; step *= 2)
        for (int p = 0; p + step < 8; p += 2 * step) cfs_topk_merge(part[p], part[p + step]);
    check_bounds(part[0], &ks, cnt, total, k);

    /* Every listed key is found again: re-adding it grows its own counter. */
    cfs_topk_item it[200];
    size_t m = cfs_topk_list(one, it, k);
    for (size_t j = 0; j < m; j++) {
        size_t i = key_index(&ks, &it[j]);
        uint64_t before = it[j].count;
        add_key(one, &ks, i, 1);
        cfs_topk_item again[200];
        size_t m2 = cfs_topk_list(one, again, k);
        cr_assert_eq(m2, m);
        int found = 0;
        for (size_t q = 0; q < m2; q++)
            if (again[q].n == ks.len[i] && memcmp(again[q].key, ks.key[i], ks.len[i]) == 0)
                found = again[q].count == before + 1;
        cr_assert(found, "%s not updated in place", ks.key[i]);
    }
    cfs_topk_free(one);
    for (int p = 0; p < 8; p++) cfs_topk_free(part[p]);
    free(st);
    free(cnt);
    keys_free(&ks);
}

/* Worked by hand from the rules in sketch.c (eviction: the new key takes the least count
 * as error; merge: sum upper bounds, a side missing a key adds its floor, keep the k
 * largest, the floor becomes the (k+1)-th largest). */
static void expect_items(const cfs_topk *t, const char *const *keys, const uint64_t *cnt, const uint64_t *err,
                         size_t n, uint64_t bound)
{
    cfs_topk_item it[8];
    cr_assert_eq(cfs_topk_list(t, it, 8), n);
    for (size_t i = 0; i < n; i++) {
        cr_assert(it[i].n == strlen(keys[i]) && memcmp(it[i].key, keys[i], it[i].n) == 0,
                  "position %zu: %.*s, want %s", i, (int)it[i].n, it[i].key, keys[i]);
        cr_assert_eq(it[i].count, cnt[i], "%s count", keys[i]);
        cr_assert_eq(it[i].error, err[i], "%s error", keys[i]);
    }
    cr_assert_eq(cfs_topk_error_bound(t), bound);
}

static void add_str(cfs_topk *t, const char *k, uint64_t w)
{
    cfs_topk_add(t, k, strlen(k), XXH3_64bits(k, strlen(k)), w);
}

Test(topk, eviction_and_truncating_merge_by_hand)
{
    /* exact sides, truncated by the merge: z (8) is dropped, so the floor becomes 8 */
    cfs_topk *a = cfs_topk_new(2), *b = cfs_topk_new(2);
    cr_assert(a && b);
    add_str(a, "x", 10);
    add_str(a, "y", 9);
    add_str(b, "z", 8);
    add_str(b, "x", 1);
    cfs_topk_merge(a, b);
    expect_items(a, (const char *const[]){"x", "y"}, (const uint64_t[]){11, 9}, (const uint64_t[]){0, 0}, 2,
                 8);
    cr_assert_eq(cfs_topk_total(a), 28);
    cfs_topk_free(a);
    cfs_topk_free(b);

    /* a: a5 b3 then c1 evicts b (least, 3): c = 3 + 1 with error 3, floor 3 */
    a = cfs_topk_new(2);
    b = cfs_topk_new(2);
    cr_assert(a && b);
    add_str(a, "a", 5);
    add_str(a, "b", 3);
    add_str(a, "c", 1);
    expect_items(a, (const char *const[]){"a", "c"}, (const uint64_t[]){5, 4}, (const uint64_t[]){0, 3}, 2,
                 3);
    /* b: d2 a1.  Union: a 5+1 (exact), d 3+2 (error 3: a's floor), c 4+0 (lower bound 1).
     * Keep a and d; floor = 4, the third largest. */
    add_str(b, "d", 2);
    add_str(b, "a", 1);
    cfs_topk_merge(a, b);
    expect_items(a, (const char *const[]){"a", "d"}, (const uint64_t[]){6, 5}, (const uint64_t[]){0, 3}, 2,
                 4);
    cr_assert_eq(cfs_topk_total(a), 12);
    cfs_topk_free(a);
    cfs_topk_free(b);
}

Test(topk, merge_of_different_capacities_uses_the_smaller)
{
    cfs_topk *a = cfs_topk_new(3), *b = cfs_topk_new(2);
    cr_assert(a && b);
    add_str(a, "x", 10);
    add_str(a, "y", 9);
    add_str(a, "w", 1);
    add_str(b, "z", 8);
    add_str(b, "x", 1);
    /* union x 11, y 9, z 8, w 1 at k = 2: keep x and y, floor 8 */
    cfs_topk_merge(a, b);
    expect_items(a, (const char *const[]){"x", "y"}, (const uint64_t[]){11, 9}, (const uint64_t[]){0, 0}, 2,
                 8);
    /* the merged summary now holds two counters: a new key evicts y (9) */
    add_str(a, "v", 1);
    expect_items(a, (const char *const[]){"x", "v"}, (const uint64_t[]){11, 10}, (const uint64_t[]){0, 9}, 2,
                 9);
    cfs_topk_free(a);
    cfs_topk_free(b);
}

/* Many tiny random streams, checked after every step: weights up to 40 make increments
 * jump over several count levels; without merges Space-Saving keeps sum of counts = N. */
Test(topk, small_streams_checked_every_step)
{
    keyset ks = keys_make(12);
    uint64_t s = 31;
    for (int round = 0; round < 200; round++) {
        uint32_t k = 1 + (uint32_t)(rng_next(&s) % 5);
        cfs_topk *t = cfs_topk_new(k), *u = cfs_topk_new(k);
        cr_assert(t && u);
        uint64_t cnt[12] = {0}, total = 0, cu[12] = {0}, tu = 0;
        for (int step = 0; step < 60; step++) {
            size_t key = (size_t)(rng_next(&s) % 12);
            uint64_t w = rng_next(&s) % 4 == 0 ? 1 + rng_next(&s) % 40 : 1;
            add_key(t, &ks, key, w);
            cnt[key] += w;
            total += w;
            cfs_topk_item it[8];
            size_t m = cfs_topk_list(t, it, 8);
            uint64_t sum = 0;
            for (size_t j = 0; j < m; j++) sum += it[j].count;
            cr_assert_eq(sum, total, "round %d step %d", round, step);
            if (cfs_topk_error_bound(t) > 0) check_bounds(t, &ks, cnt, total, k);
            else check_exact(t, &ks, cnt, total);
            /* a second summary of another stream, merged in now and then */
            key = (size_t)(rng_next(&s) % 12);
            add_key(u, &ks, key, 2);
            cu[key] += 2;
            tu += 2;
        }
        cfs_topk_merge(t, u);
        for (int i = 0; i < 12; i++) cnt[i] += cu[i];
        total += tu;
        if (cfs_topk_error_bound(t) > 0) check_bounds(t, &ks, cnt, total, k);
        else check_exact(t, &ks, cnt, total);
        cfs_topk_free(t);
        cfs_topk_free(u);
    }
    keys_free(&ks);
}

Test(topk, colliding_hashes_and_evictions)
{
    /* Every key gets the same hash: one long probe run, deletions shift it back. */
    const size_t nk = 500;
    const uint32_t k = 16;
    keyset ks = keys_make(nk);
    uint64_t *cnt = calloc(nk, sizeof *cnt), total = 0, s = 21;
    cr_assert(cnt);
    cfs_topk *t = cfs_topk_new(k);
    cr_assert(t);
    for (size_t i = 0; i < 20000; i++) {
        size_t key = (size_t)(rng_next(&s) % 8 == 0 ? rng_next(&s) % nk : rng_next(&s) % 4);
        cfs_topk_add(t, ks.key[key], ks.len[key], 42, 1);
        cnt[key]++;
        total++;
    }
    check_bounds(t, &ks, cnt, total, k);
    cr_assert_eq(cfs_topk_size(t), k);
    cfs_topk_free(t);
    free(cnt);
    keys_free(&ks);
}

Test(topk, order_ties_by_bytes_then_length)
{
    cfs_topk *t = cfs_topk_new(8);
    cr_assert(t);
    const char *keys[] = {"b", "ab", "a", "", "zz"};
    for (int i = 0; i < 5; i++)
        cfs_topk_add(t, keys[i], strlen(keys[i]), XXH3_64bits(keys[i], strlen(keys[i])), i == 4 ? 3 : 2);
    cfs_topk_item it[8];
    cr_assert_eq(cfs_topk_list(t, it, 8), 5);
    const char *want[] = {"zz", "", "a", "ab", "b"};
    for (int i = 0; i < 5; i++)
        cr_assert(it[i].n == strlen(want[i]) && memcmp(it[i].key, want[i], it[i].n) == 0, "position %d", i);
    /* a shorter list is the prefix of the full one */
    cfs_topk_item few[3];
    cr_assert_eq(cfs_topk_list(t, few, 3), 3);
    for (int i = 0; i < 3; i++) cr_assert(few[i].key == it[i].key && few[i].count == it[i].count);
    cr_assert_eq(cfs_topk_list(t, few, 0), 0);
    cfs_topk_free(t);
}

/* The truncating merge rule of sketch.c computed from the two lists: for each key of the
 * union u = UA' + UB' and l = LA' + LB' (a side not listing the key gives U' = its floor,
 * L' = 0), ordered by u descending, key bytes, length; the first k stay and the floor
 * becomes the (k+1)-th u, or DA + DB when all fit. */
typedef struct ref_item {
    char key[48];
    uint32_t n;
    uint64_t u, l;
} ref_item;

static int ref_item_cmp(const void *pa, const void *pb)
{
    const ref_item *a = pa, *b = pb;
    if (a->u != b->u) return a->u > b->u ? -1 : 1;
    uint32_t n = a->n < b->n ? a->n : b->n;
    int d = memcmp(a->key, b->key, n);
    if (d) return d;
    return a->n < b->n ? -1 : (a->n > b->n);
}

static size_t ref_merge(const cfs_topk *a, const cfs_topk *b, uint32_t k, ref_item *out, uint64_t *floor)
{
    cfs_topk_item ia[64], ib[64];
    size_t na = cfs_topk_list(a, ia, 64), nb = cfs_topk_list(b, ib, 64), m = 0;
    uint64_t da = cfs_topk_error_bound(a), db = cfs_topk_error_bound(b);
    for (size_t i = 0; i < na; i++) {
        ref_item r = {{0}, ia[i].n, ia[i].count + db, ia[i].count - ia[i].error};
        memcpy(r.key, ia[i].key, ia[i].n);
        for (size_t j = 0; j < nb; j++)
            if (ib[j].n == ia[i].n && memcmp(ib[j].key, ia[i].key, ia[i].n) == 0) {
                r.u = ia[i].count + ib[j].count;
                r.l += ib[j].count - ib[j].error;
            }
        out[m++] = r;
    }
    for (size_t j = 0; j < nb; j++) {
        int seen = 0;
        for (size_t i = 0; i < na; i++)
            seen |= ib[j].n == ia[i].n && memcmp(ib[j].key, ia[i].key, ia[i].n) == 0;
        if (seen) continue;
        ref_item r = {{0}, ib[j].n, ib[j].count + da, ib[j].count - ib[j].error};
        memcpy(r.key, ib[j].key, ib[j].n);
        out[m++] = r;
    }
    qsort(out, m, sizeof *out, ref_item_cmp);
    *floor = da + db;
    if (m > k) {
        *floor = out[k].u;
        m = k;
    }
    return m;
}

/* Keys that share long prefixes (beyond the 16 bytes the merge's sort compares as words),
 * are prefixes of each other, or are empty, merged again and again into the same summary
 * (so key buffers are reused and reassigned), compared with the rule computed by hand. */
Test(topk, truncating_merges_match_the_rule)
{
    /* clang-format off */
    static const char *stems[] = {"", "/", "/a", "/static/assets/img/", "/static/assets/img/x",
                                  "/static/assets/js/", "10.0.0.", "10.0.0.1", "2001:db8::", "/abc", "/abcdef",
                                  "192.168.10.", "192.168.100.2"};
    /* clang-format on */
    uint64_t s = 77;
    for (int round = 0; round < 150; round++) {
        uint32_t k = 2 + (uint32_t)(rng_next(&s) % 12);
        cfs_topk *acc = cfs_topk_new(k);
        cr_assert(acc);
        for (int step = 0; step < 6; step++) {
            cfs_topk *part = cfs_topk_new(k);
            cr_assert(part);
            int adds = 1 + (int)(rng_next(&s) % 60);
            for (int i = 0; i < adds; i++) {
                /* 256, not 48: inlined XXH3 has branches that read up to 240 bytes, and a
                 * Release build's -Warray-bounds cannot prove them dead for short keys */
                char key[256];
                const char *stem = stems[rng_next(&s) % (sizeof stems / sizeof *stems)];
                if (rng_next(&s) % 3 == 0) snprintf(key, sizeof key, "%s", stem);
                else snprintf(key, sizeof key, "%s%u", stem, (unsigned)(rng_next(&s) % 9));
                size_t len = strlen(key);
                cfs_topk_add(part, key, len, XXH3_64bits(key, len), 1 + rng_next(&s) % 3);
            }
            ref_item want[128];
            uint64_t floor;
            size_t m = ref_merge(acc, part, k, want, &floor);
            uint64_t total = cfs_topk_total(acc) + cfs_topk_total(part);
            if (rng_next(&s) % 8 == 0) {
                m = ref_merge(part, part, k, want, &floor);
                total = 2 * cfs_topk_total(part);
                cfs_topk_merge(part, part);
                cfs_topk *t = acc;
                acc = part;
                part = t;
            } else {
                cfs_topk_merge(acc, part);
            }
            cfs_topk_item got[64];
            cr_assert_eq(cfs_topk_list(acc, got, 64), m, "round %d step %d", round, step);
            cr_assert_eq(cfs_topk_error_bound(acc), floor);
            cr_assert_eq(cfs_topk_total(acc), total);
            for (size_t i = 0; i < m; i++)
                cr_assert(got[i].n == want[i].n && memcmp(got[i].key, want[i].key, got[i].n) == 0 &&
                              got[i].count == want[i].u && got[i].error == want[i].u - want[i].l,
                          "round %d step %d item %zu", round, step, i);
            cfs_topk_free(part);
        }
        cfs_topk_free(acc);
    }
}

/* A capacity-2 summary holding aa:10 and `second`:4 with floor 1, its counters installed
 * by a truncating merge (aa and second fit as adds; cc:1 makes three keys for two). */
static cfs_topk *installed_pair(const char *second)
{
    cfs_topk *acc = cfs_topk_new(2), *p1 = cfs_topk_new(2), *p2 = cfs_topk_new(2);
    cr_assert(acc && p1 && p2);
    add_str(p1, "aa", 10);
    add_str(p1, second, 4);
    add_str(p2, "cc", 1);
    cfs_topk_merge(acc, p1);
    cfs_topk_merge(acc, p2);
    const char *const keys[] = {"aa", second};
    const uint64_t cnt[] = {10, 4}, err[] = {0, 0};
    expect_items(acc, keys, cnt, err, 2, 1);
    cfs_topk_free(p1);
    cfs_topk_free(p2);
    return acc;
}

/* acc (installed_pair) += one added key `key`:3, which enters at acc's floor 1 + 3 = 4 and
 * ties with acc's second key; the first by bytes stays. */
static void tie_with_newcomer(cfs_topk *acc, const char *key, const char *stays, uint64_t err, uint64_t bound)
{
    cfs_topk *p = cfs_topk_new(2);
    cr_assert(p);
    add_str(p, key, 3);
    cfs_topk_merge(acc, p);
    const char *const keys[] = {"aa", stays};
    const uint64_t cnt[] = {10, 4}, errs[] = {0, err};
    expect_items(acc, keys, cnt, errs, 2, bound);
    cfs_topk_free(p);
}

/* Ties at the cut between a counter a merge installed and one an add made: the merge
 * orders candidates by sort words each counter keeps (sketch.c, topk_ctr.p0/p1), so both
 * ways of setting a key must keep them, and the in-place merge of a small summary must
 * order them alike.  Worked out by hand, with the in-place merge and without:
 * - installed bb:4, newcomer zz at 4: bb sorts first and stays; zz's 4 is the floor;
 * - installed zz:4, newcomer bb at 4: bb comes in (error: the old floor 1), zz's 4 is
 *   the floor;
 * - then the installed side as the newcomer: b holds ab:4 and zy:4 exact (floor 0), the
 *   first case's acc (floor 4) is merged into it: aa 0+10 and bb 0+4 (acc's own), ab and
 *   zy 4+4 with error 4 (acc may have dropped up to 4 of each); ab sorts before zy at 8:
 *   aa and ab stay, with the floor 8. */
Test(topk, merge_tie_between_installed_and_added_keys)
{
    for (int in_place = 0; in_place < 2; in_place++) {
        cfs_topk_set_merge_in_place(in_place);
        cfs_topk *acc = installed_pair("bb");
        tie_with_newcomer(acc, "zz", "bb", 0, 4);
        cfs_topk *acc2 = installed_pair("zz");
        tie_with_newcomer(acc2, "bb", "bb", 1, 4);
        cfs_topk_free(acc2);
        cfs_topk *b = cfs_topk_new(2);
        cr_assert(b);
        add_str(b, "ab", 4);
        add_str(b, "zy", 4);
        cfs_topk_merge(b, acc);
        static const char *const keys2[] = {"aa", "ab"};
        const uint64_t cnt2[] = {10, 8}, err2[] = {0, 4};
        expect_items(b, keys2, cnt2, err2, 2, 8);
        cfs_topk_free(b);
        cfs_topk_free(acc);
    }
    cfs_topk_set_merge_in_place(1);
}

/* Two summaries compared item by item: the same list (keys, counts, errors), bound, total. */
static void expect_same(const cfs_topk *a, const cfs_topk *b, int round, int step)
{
    cfs_topk_item x[64], y[64];
    size_t nx = cfs_topk_list(a, x, 64), ny = cfs_topk_list(b, y, 64);
    cr_assert_eq(nx, ny, "round %d step %d: %zu and %zu items", round, step, nx, ny);
    for (size_t i = 0; i < nx; i++)
        cr_assert(x[i].n == y[i].n && memcmp(x[i].key, y[i].key, x[i].n) == 0 && x[i].count == y[i].count &&
                      x[i].error == y[i].error,
                  "round %d step %d item %zu: '%.*s' %llu/%llu against '%.*s' %llu/%llu", round, step, i,
                  (int)x[i].n, x[i].key, (unsigned long long)x[i].count, (unsigned long long)x[i].error,
                  (int)y[i].n, y[i].key, (unsigned long long)y[i].count, (unsigned long long)y[i].error);
    cr_assert_eq(cfs_topk_error_bound(a), cfs_topk_error_bound(b), "round %d step %d: bound", round, step);
    cr_assert_eq(cfs_topk_total(a), cfs_topk_total(b), "round %d step %d: total", round, step);
}

/* A small exact summary merged into a full one is merged in place (sketch.c,
 * merge_in_place); that must leave what the general merge leaves, including the order
 * in which later adds evict counters of one count.  Two summaries take the same merges,
 * one with the in-place path and one without (the test hook), and are compared after
 * each; then both take the same adds, which evict, and are compared after each. */
Test(topk, merge_in_place_leaves_the_general_merges_state)
{
    /* clang-format off */
    static const char *stems[] = {"", "/", "/a", "/static/assets/img/", "/static/assets/img/x", "10.0.0.",
                                  "2001:db8::", "/abc", "/abcdef", "192.168.10."};
    /* clang-format on */
    uint64_t s = 4242;
    char key[256];
    for (int round = 0; round < 400; round++) {
        uint32_t k = 2 + (uint32_t)(rng_next(&s) % 20);
        cfs_topk *a = cfs_topk_new(k), *b = cfs_topk_new(k);
        cr_assert(a && b);
        for (int step = 0; step < 14; step++) {
            /* mostly a few keys (exact and small: merged in place once the target is full
             * and was last rebuilt), now and then more keys than counters, or a larger
             * capacity */
            uint32_t pk = k + (rng_next(&s) % 4 == 0 ? (uint32_t)(rng_next(&s) % 3) : 0);
            cfs_topk *p = cfs_topk_new(pk);
            cr_assert(p);
            int adds = rng_next(&s) % 6 == 0 ? 40 : 1 + (int)(rng_next(&s) % 6);
            for (int i = 0; i < adds; i++) {
                const char *stem = stems[rng_next(&s) % (sizeof stems / sizeof *stems)];
                snprintf(key, sizeof key, "%s%u", stem, (unsigned)(rng_next(&s) % 7));
                size_t len = strlen(key);
                cfs_topk_add(p, key, len, XXH3_64bits(key, len), 1 + rng_next(&s) % 4);
            }
            cfs_topk_set_merge_in_place(1);
            cfs_topk_merge(a, p);
            cfs_topk_set_merge_in_place(0);
            cfs_topk_merge(b, p);
            cfs_topk_set_merge_in_place(1);
            expect_same(a, b, round, step);
            cfs_topk_free(p);
        }
        /* adds with weight 1 evict the first counter of the least count: the same one */
        for (int i = 0; i < 30; i++) {
            const char *stem = stems[rng_next(&s) % (sizeof stems / sizeof *stems)];
            snprintf(key, sizeof key, "%s%u", stem, (unsigned)(rng_next(&s) % 11));
            size_t len = strlen(key);
            cfs_topk_add(a, key, len, XXH3_64bits(key, len), 1);
            cfs_topk_add(b, key, len, XXH3_64bits(key, len), 1);
            expect_same(a, b, round, 100 + i);
        }
        cfs_topk_free(a);
        cfs_topk_free(b);
    }
}

Test(topk, keys_are_copied_and_self_merge_doubles)
{
    cfs_topk *t = cfs_topk_new(4);
    cr_assert(t);
    char buf[8] = "hello";
    cfs_topk_add(t, buf, 5, 1, 3);
    memcpy(buf, "world", 5);
    cfs_topk_add(t, buf, 5, 2, 1);
    cfs_topk_merge(t, t);
    cfs_topk_item it[4];
    cr_assert_eq(cfs_topk_list(t, it, 4), 2);
    cr_assert(it[0].n == 5 && memcmp(it[0].key, "hello", 5) == 0 && it[0].count == 6);
    cr_assert(it[1].n == 5 && memcmp(it[1].key, "world", 5) == 0 && it[1].count == 2);
    cr_assert_eq(cfs_topk_total(t), 8);
    cr_assert_eq(cfs_topk_error_bound(t), 0);
    cfs_topk_add(t, "x", 1, 3, 0); /* zero weight: no effect */
    cr_assert_eq(cfs_topk_size(t), 2);
    cr_assert(cfs_topk_new(0) == NULL);
    cr_assert(cfs_topk_new(CFS_TOPK_MAX_CAPACITY + 1) == NULL);
    cfs_topk_free(t);
    cfs_topk_free(NULL);
}

/* ======================================================================================
 * Serialization
 * ====================================================================================== */

typedef enum { K_HIST, K_HLL, K_TOPK } blob_kind;

typedef struct blob {
    char *p;
    size_t n;
} blob;

static blob write_blob(blob_kind kind, const void *sk)
{
    blob b = {0};
    FILE *f = open_memstream(&b.p, &b.n);
    cr_assert(f);
    cfs_status st = kind == K_HIST  ? cfs_hist_write(f, sk)
                    : kind == K_HLL ? cfs_hll_write(f, sk)
                                    : cfs_topk_write(f, sk);
    cr_assert_eq(st, CFS_OK);
    cr_assert_eq(fclose(f), 0);
    return b;
}

static int all_bytes_are(const void *p, size_t n, unsigned char v)
{
    const unsigned char *q = p;
    for (size_t i = 0; i < n; i++)
        if (q[i] != v) return 0;
    return 1;
}

/* Reads one blob of `kind` from bytes; returns the status, the sketch in *out (caller
 * frees; hist/hll are malloc'd copies). */
static cfs_status read_blob(blob_kind kind, const char *p, size_t n, void **out)
{
    static const char empty[1] = {0};
    FILE *f = fmemopen((void *)(n ? p : empty), n, "r");
    if (!f) cr_assert(0, "fmemopen size %zu", n);
    cfs_status st;
    *out = NULL;
    if (kind == K_HIST) {
        cfs_hist *h = malloc(sizeof *h);
        cr_assert(h);
        memset(h, 0xAB, sizeof *h);
        st = cfs_hist_read(f, h);
        if (st != CFS_OK) {
            if (!all_bytes_are(h, sizeof *h, 0xAB)) cr_assert(0, "output changed on error");
            free(h);
        } else {
            *out = h;
        }
    } else if (kind == K_HLL) {
        cfs_hll *h = malloc(sizeof *h);
        cr_assert(h);
        memset(h, 0xAB, sizeof *h);
        st = cfs_hll_read(f, h);
        if (st != CFS_OK) {
            if (!all_bytes_are(h, sizeof *h, 0xAB)) cr_assert(0, "output changed on error");
            free(h);
        } else {
            *out = h;
        }
    } else {
        cfs_topk *t = (cfs_topk *)1;
        st = cfs_topk_read(f, &t);
        if (st == CFS_OK ? t == NULL : t != NULL) cr_assert(0, "*out does not match the status");
        *out = t;
    }
    fclose(f);
    return st;
}

static void free_sketch(blob_kind kind, void *sk)
{
    if (kind == K_TOPK) cfs_topk_free(sk);
    else if (!sk) return;
    else if (kind == K_HIST) cfs_hist_free(sk), free(sk);
    else cfs_hll_free(sk), free(sk);
}

/* Round trip must reproduce the same bytes and the same content; every truncation must
 * say TRUNCATED and every damaged byte must be refused. */
static void check_blob(blob_kind kind, const void *sk)
{
    blob b = write_blob(kind, sk);
    void *back;
    cr_assert_eq(read_blob(kind, b.p, b.n, &back), CFS_OK);
    blob b2 = write_blob(kind, back);
    cr_assert(b2.n == b.n && memcmp(b.p, b2.p, b.n) == 0, "round trip changed the bytes");
    if (kind == K_HIST) cr_assert(cfs_hist_equal(back, sk));
    if (kind == K_HLL) cr_assert(cfs_hll_equal(back, sk));
    if (kind == K_TOPK) {
        size_t n = cfs_topk_size(sk);
        cfs_topk_item *x = malloc((n + 1) * sizeof *x), *y = malloc((n + 1) * sizeof *y);
        cr_assert(x && y);
        cr_assert_eq(cfs_topk_list(sk, x, n + 1), n);
        cr_assert_eq(cfs_topk_list(back, y, n + 1), n);
        for (size_t i = 0; i < n; i++)
            cr_assert(x[i].n == y[i].n && memcmp(x[i].key, y[i].key, x[i].n) == 0 &&
                      x[i].count == y[i].count && x[i].error == y[i].error);
        cr_assert_eq(cfs_topk_total(back), cfs_topk_total(sk));
        cr_assert_eq(cfs_topk_error_bound(back), cfs_topk_error_bound(sk));
        free(x);
        free(y);
    }
    free_sketch(kind, back);
    free(b2.p);

    for (size_t cut = 0; cut < b.n; cut++) {
        cfs_status st = read_blob(kind, b.p, cut, &back);
        if (st != CFS_E_TRUNCATED) cr_assert(0, "cut at %zu of %zu: status %d", cut, b.n, (int)st);
    }
    for (size_t pos = 0; pos < b.n; pos++) {
        static const unsigned char flips[] = {0x01, 0x80, 0xFF};
        for (int f = 0; f < 3; f++) {
            b.p[pos] ^= (char)flips[f];
            cfs_status st = read_blob(kind, b.p, b.n, &back);
            b.p[pos] ^= (char)flips[f];
            if (st != CFS_E_CORRUPT && st != CFS_E_TRUNCATED && st != CFS_E_UNSUPPORTED)
                cr_assert(0, "flip 0x%02x at %zu of %zu: status %d", flips[f], pos, b.n, (int)st);
        }
    }
    free(b.p);
}

Test(io, hist_round_trip_and_damage)
{
    cfs_hist *h = calloc(1, sizeof *h);
    cr_assert(h);
    check_blob(K_HIST, h); /* empty */
    uint64_t s = 4;
    for (int i = 0; i < 50000; i++) cfs_hist_add(h, (uint32_t)exp(5.0 + 2.0 * rng_normal(&s)));
    cfs_hist_add(h, UINT32_MAX);
    check_blob(K_HIST, h);
    cfs_hist_free(h), free(h);
}

Test(io, hll_round_trip_and_damage)
{
    cfs_hll *h = calloc(1, sizeof *h);
    cr_assert(h);
    check_blob(K_HLL, h); /* empty: sparse */
    hll_of_range(h, 0, 300);
    check_blob(K_HLL, h); /* sparse */
    hll_of_range(h, 0, 100000);
    check_blob(K_HLL, h); /* dense */
    cfs_hll_free(h), free(h);
}

Test(io, topk_round_trip_and_damage)
{
    keyset ks = keys_make(2000);
    cfs_topk *t = cfs_topk_new(40);
    cr_assert(t);
    check_blob(K_TOPK, t); /* empty */
    for (size_t i = 0; i < 30; i++) add_key(t, &ks, i, 1 + i % 4);
    check_blob(K_TOPK, t); /* exact */
    size_t *st = zipf_stream(ks.n, 20000, 1.0, 77);
    cfs_topk *u = cfs_topk_new(40);
    cr_assert(u);
    for (size_t i = 0; i < 20000; i++) add_key(i & 1 ? t : u, &ks, st[i], 1);
    cfs_topk_merge(t, u);
    cr_assert(cfs_topk_error_bound(t) > 0);
    check_blob(K_TOPK, t); /* after evictions and a truncating merge */
    cfs_topk_free(t);
    cfs_topk_free(u);
    free(st);
    keys_free(&ks);
}

Test(io, blobs_follow_each_other_in_one_stream)
{
    cfs_hist *h = calloc(1, sizeof *h), *h2 = calloc(1, sizeof *h2);
    cfs_hll *l = calloc(1, sizeof *l), *l2 = calloc(1, sizeof *l2);
    cfs_topk *t = cfs_topk_new(4), *t2 = NULL;
    cr_assert(h && h2 && l && l2 && t);
    cfs_hist_add(h, 250);
    cfs_hll_add_hash(l, hash_u64(1));
    cfs_topk_add(t, "a", 1, 1, 1);
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    cr_assert(f);
    cr_assert_eq(cfs_hist_write(f, h), CFS_OK);
    cr_assert_eq(cfs_hll_write(f, l), CFS_OK);
    cr_assert_eq(cfs_topk_write(f, t), CFS_OK);
    fclose(f);
    f = fmemopen(p, n, "r");
    cr_assert(f);
    cr_assert_eq(cfs_hist_read(f, h2), CFS_OK);
    cr_assert_eq(cfs_hll_read(f, l2), CFS_OK);
    cr_assert_eq(cfs_topk_read(f, &t2), CFS_OK);
    cr_assert_eq(cfs_hist_read(f, h2), CFS_E_TRUNCATED); /* nothing left */
    fclose(f);
    cr_assert(cfs_hist_equal(h, h2) && cfs_hll_equal(l, l2));
    cr_assert_eq(cfs_topk_total(t2), 1);
    /* a blob of one kind is not read as another */
    f = fmemopen(p, n, "r");
    cr_assert_eq(cfs_hll_read(f, l2), CFS_E_CORRUPT);
    fclose(f);
    free(p);
    cfs_hist_free(h), free(h);
    cfs_hist_free(h2), free(h2);
    cfs_hll_free(l), free(l);
    cfs_hll_free(l2), free(l2);
    cfs_topk_free(t);
    cfs_topk_free(t2);
}

/* ---- hand-framed payloads: a valid checksum around contents that break the rules ---- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    for (; v >= 0x80; v >>= 7) p[n++] = (uint8_t)(0x80 | (v & 0x7f));
    p[n++] = (uint8_t)v;
    return n;
}

static blob frame(const char magic[4], unsigned version, const uint8_t *payload, size_t n)
{
    blob b = {malloc(n + 18), n + 18};
    cr_assert(b.p);
    uint8_t *q = (uint8_t *)b.p;
    memcpy(q, magic, 4);
    q[4] = (uint8_t)version;
    q[5] = (uint8_t)(version >> 8);
    for (int i = 0; i < 4; i++) q[6 + i] = (uint8_t)(n >> (8 * i));
    memcpy(q + 10, payload, n);
    uint64_t h = XXH3_64bits(payload, n);
    for (int i = 0; i < 8; i++) q[10 + n + i] = (uint8_t)(h >> (8 * i));
    return b;
}

static cfs_status read_framed(blob_kind kind, const char magic[4], unsigned version, const uint8_t *payload,
                              size_t n)
{
    blob b = frame(magic, version, payload, n);
    void *out;
    cfs_status st = read_blob(kind, b.p, b.n, &out);
    free_sketch(kind, out);
    free(b.p);
    return st;
}

Test(io, hand_framed_payloads)
{
    uint8_t p[64];
    size_t n;
    /* histogram: count 2, sum 10, one bucket (index 5) holding 2 -> valid */
    n = 0;
    n += put_varint(p + n, 2), n += put_varint(p + n, 10), n += put_varint(p + n, 1);
    n += put_varint(p + n, 5), n += put_varint(p + n, 2);
    cr_assert_eq(read_framed(K_HIST, "CFHG", 1, p, n), CFS_OK);
    cr_assert_eq(read_framed(K_HIST, "CFHG", 2, p, n), CFS_E_UNSUPPORTED);
    cr_assert_eq(read_framed(K_HIST, "CFHG", 0, p, n), CFS_E_CORRUPT);
    cr_assert_eq(read_framed(K_HIST, "CFHX", 1, p, n), CFS_E_CORRUPT);
    p[0] = 3; /* count disagrees with the buckets */
    cr_assert_eq(read_framed(K_HIST, "CFHG", 1, p, n), CFS_E_CORRUPT);
    p[0] = 2;
    p[n++] = 0; /* trailing byte */
    cr_assert_eq(read_framed(K_HIST, "CFHG", 1, p, n), CFS_E_CORRUPT);
    /* bucket index past the last used bucket */
    n = 0;
    n += put_varint(p + n, 1), n += put_varint(p + n, 1), n += put_varint(p + n, 1);
    n += put_varint(p + n, cfs_hist_bucket(UINT32_MAX) + 1), n += put_varint(p + n, 1);
    cr_assert_eq(read_framed(K_HIST, "CFHG", 1, p, n), CFS_E_CORRUPT);
    /* overlong varint (11 bytes) */
    memset(p, 0xFF, 11);
    cr_assert_eq(read_framed(K_HIST, "CFHG", 1, p, 11), CFS_E_CORRUPT);

    /* HLL sparse: register 7 = 3 valid; = 60 (above the 51 a 50-bit rank allows) refused */
    uint8_t q[] = {1, 1, 7, 3};
    cr_assert_eq(read_framed(K_HLL, "CFLL", 1, q, sizeof q), CFS_OK);
    q[3] = 60;
    cr_assert_eq(read_framed(K_HLL, "CFLL", 1, q, sizeof q), CFS_E_CORRUPT);
    q[0] = 2;
    cr_assert_eq(read_framed(K_HLL, "CFLL", 1, q, sizeof q), CFS_E_CORRUPT);

    /* top-k: capacity 2, total 5, floor 0, flags 0, 2 entries "a":3 and "b":2 -> valid */
    uint8_t t[] = {2, 5, 0, 0, 2, 1, 'a', 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 'b', 2, 0, 0, 0, 0, 0, 0, 0, 2, 0};
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, t, sizeof t), CFS_OK);
    t[18] = 'a'; /* duplicate key (same hash) */
    t[19] = 1;
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, t, sizeof t), CFS_E_CORRUPT);
    t[18] = 'b';
    t[19] = 2;
    t[1] = 4; /* counts exceed the total: mass invariant broken */
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, t, sizeof t), CFS_E_CORRUPT);
    t[1] = 5;
    t[16] = 1; /* error 1 with floor 0 */
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, t, sizeof t), CFS_E_CORRUPT);
    t[16] = 0;
    t[0] = 1; /* more entries than capacity */
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, t, sizeof t), CFS_E_CORRUPT);
    t[0] = 0; /* capacity 0 */
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, t, sizeof t), CFS_E_CORRUPT);
    /* huge declared key length with few bytes behind it */
    uint8_t big[] = {2, 5, 0, 0, 1, 0xFF, 0xFF, 0x3F, 'a'};
    cr_assert_eq(read_framed(K_TOPK, "CFTK", 1, big, sizeof big), CFS_E_CORRUPT);
    /* header claiming a 4 GiB payload in a short stream */
    blob b = frame("CFTK", 1, t, sizeof t);
    memset(b.p + 6, 0xFF, 4);
    void *out;
    cr_assert_eq(read_blob(K_TOPK, b.p, b.n, &out), CFS_E_TRUNCATED);
    free(b.p);

    /* capacity 3, total 20, floor 3, a 5/0 and c 4/3: not full, yet inexact (mass
     * (5-3) + (4-3) + 3*3 = 12 <= 20).  A new key then starts at the floor: e = 3 + 2,
     * error 3. */
    uint8_t nf[] = {3, 20, 3, 0,   2, 1, 'a', 9, 0, 0, 0, 0, 0, 0, 0,
                    5, 0,  1, 'c', 8, 0, 0,   0, 0, 0, 0, 0, 4, 3};
    b = frame("CFTK", 1, nf, sizeof nf);
    cr_assert_eq(read_blob(K_TOPK, b.p, b.n, &out), CFS_OK);
    add_str(out, "e", 2);
    expect_items(out, (const char *const[]){"a", "e", "c"}, (const uint64_t[]){5, 5, 4},
                 (const uint64_t[]){0, 3, 3}, 3, 3);
    cr_assert_eq(cfs_topk_total(out), 22);
    cfs_topk_free(out);
    free(b.p);
}

/* A cleared summary behaves exactly like a new one of the same capacity (the scan
 * recycles per-file summaries through a pool). */
Test(topk, clear_then_reuse_equals_fresh)
{
    cfs_topk *used = cfs_topk_new(8), *fresh = cfs_topk_new(8);
    char key[32];
    for (int i = 0; i < 200; i++) { /* overflow it: evictions, floor > 0, long keys */
        int n = snprintf(key, sizeof key, "/old/key/%d", i % 37);
        cfs_topk_add(used, key, (size_t)n, (uint64_t)(i % 37) * 0x9E3779B97F4A7C15ull, 1);
    }
    cr_assert(cfs_topk_error_bound(used) > 0);
    cfs_topk_clear(used);
    cr_assert_eq(cfs_topk_size(used), 0);
    cr_assert_eq(cfs_topk_total(used), 0);
    cr_assert_eq(cfs_topk_error_bound(used), 0);
    for (int i = 0; i < 50; i++) {
        int n = snprintf(key, sizeof key, "k%d", i % 6);
        uint64_t h = (uint64_t)(i % 6) * 0x9E3779B97F4A7C15ull + 1;
        cfs_topk_add(used, key, (size_t)n, h, 1);
        cfs_topk_add(fresh, key, (size_t)n, h, 1);
    }
    cfs_topk_item a[8], b[8];
    size_t na = cfs_topk_list(used, a, 8), nb = cfs_topk_list(fresh, b, 8);
    cr_assert_eq(na, 6);
    cr_assert_eq(na, nb);
    for (size_t i = 0; i < na; i++) {
        cr_assert_eq(a[i].n, b[i].n);
        cr_assert(memcmp(a[i].key, b[i].key, a[i].n) == 0);
        cr_assert_eq(a[i].count, b[i].count);
        cr_assert_eq(a[i].error, 0);
    }
    /* 50 adds over 6 keys: k0,k1 9 times each (i%6 in 0..1 for 9 values of i), the rest 8 */
    cr_assert_eq(a[0].count, 9);
    cr_assert_eq(a[5].count, 8);
    cfs_topk_free(used);
    cfs_topk_free(fresh);
}
