/* The sampling rates behind a report.  Real-time logs are sampled (--realtime-config's
 * SamplingRate, 1..100), and a summary merged from several runs, or updated by one, may
 * hold runs of several rates and runs of logs that are not sampled at all; every count is
 * then of logged requests, so the report states every rate (report.c), the summary keeps
 * the set (state.cfs SAMP) and `diff` compares the two sides'. */
#ifndef CFSCAN_PIPELINE_SAMPLING_H
#define CFSCAN_PIPELINE_SAMPLING_H

#include <stdint.h>

/* A set of rates: bit r (1..100) for runs sampled at r%, bit 0 for runs read without a
 * rate (standard logs, --log-fields).  All zero: nothing known (no run yet). */
typedef struct cfs_sampling {
    uint64_t bits[2];
} cfs_sampling;

#define CFS_SAMPLING_MAX 100

/* Add one run: its rate 1..100, or 0 when it had none. */
static inline void cfs_sampling_add(cfs_sampling *s, int rate)
{
    if (rate >= 0 && rate <= CFS_SAMPLING_MAX) s->bits[rate >> 6] |= (uint64_t)1 << (rate & 63);
}
static inline int cfs_sampling_has(const cfs_sampling *s, int rate)
{
    return rate >= 0 && rate <= CFS_SAMPLING_MAX && (s->bits[rate >> 6] >> (rate & 63) & 1);
}
static inline void cfs_sampling_merge(cfs_sampling *d, const cfs_sampling *s)
{
    d->bits[0] |= s->bits[0];
    d->bits[1] |= s->bits[1];
}
/* How many distinct rates 1..100 the set holds (bit 0 not counted). */
static inline int cfs_sampling_rates(const cfs_sampling *s)
{
    return __builtin_popcountll(s->bits[0] & ~(uint64_t)1) + __builtin_popcountll(s->bits[1]);
}
/* The one rate of a set of runs that were all sampled at it; 0 otherwise (none sampled,
 * several rates, or some runs not sampled). */
static inline int cfs_sampling_single(const cfs_sampling *s)
{
    if (cfs_sampling_rates(s) != 1 || cfs_sampling_has(s, 0)) return 0;
    return s->bits[0] & ~(uint64_t)1 ? __builtin_ctzll(s->bits[0]) : 64 + __builtin_ctzll(s->bits[1]);
}
static inline int cfs_sampling_equal(const cfs_sampling *a, const cfs_sampling *b)
{
    return a->bits[0] == b->bits[0] && a->bits[1] == b->bits[1];
}

#endif
