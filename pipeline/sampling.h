/* The sampling rates behind a report.  Real-time logs are sampled (--realtime-config's
 * SamplingRate, 1..100), and a summary merged from several runs, or updated by one, may
 * hold runs of several rates and runs of logs that are not sampled at all; every count is
 * then of logged requests, so the report states every rate (report.c), the summary keeps
 * the set (state.cfs SAMP) and `diff` compares the two sides'. */
#ifndef CFSCAN_PIPELINE_SAMPLING_H
#define CFSCAN_PIPELINE_SAMPLING_H

#include <stdint.h>

/* A set of rates: bit r (1..100) for runs sampled at r%, bit CFS_SAMPLING_NONE (0) for
 * runs of logs that are not sampled (standard logs log every request), bit
 * CFS_SAMPLING_UNKNOWN (101) for runs whose rate nobody recorded: real-time logs read
 * with --log-fields instead of --realtime-config, and summaries written before schema 7
 * that may hold real-time runs (schema 6).  All zero: no run yet. */
typedef struct cfs_sampling {
    uint64_t bits[2];
} cfs_sampling;

#define CFS_SAMPLING_NONE 0
#define CFS_SAMPLING_MAX 100
#define CFS_SAMPLING_UNKNOWN 101

/* Add one run: its rate 1..100, CFS_SAMPLING_NONE or CFS_SAMPLING_UNKNOWN. */
static inline void cfs_sampling_add(cfs_sampling *s, int rate)
{
    if (rate >= 0 && rate <= CFS_SAMPLING_UNKNOWN) s->bits[rate >> 6] |= (uint64_t)1 << (rate & 63);
}
static inline int cfs_sampling_has(const cfs_sampling *s, int rate)
{
    return rate >= 0 && rate <= CFS_SAMPLING_UNKNOWN && (s->bits[rate >> 6] >> (rate & 63) & 1);
}
static inline void cfs_sampling_merge(cfs_sampling *d, const cfs_sampling *s)
{
    d->bits[0] |= s->bits[0];
    d->bits[1] |= s->bits[1];
}
/* Bits 1..100 of the set: the known rates. */
#define CFS_SAMPLING_RATES_LO (~(uint64_t)1)
#define CFS_SAMPLING_RATES_HI (((uint64_t)1 << (CFS_SAMPLING_MAX + 1 - 64)) - 1)
/* How many distinct rates 1..100 the set holds. */
static inline int cfs_sampling_rates(const cfs_sampling *s)
{
    return __builtin_popcountll(s->bits[0] & CFS_SAMPLING_RATES_LO) +
           __builtin_popcountll(s->bits[1] & CFS_SAMPLING_RATES_HI);
}
/* How many values the set holds: rates, "not sampled" and "not known" (cfs_sampling_add
 * sets no bit past CFS_SAMPLING_UNKNOWN). */
static inline int cfs_sampling_count(const cfs_sampling *s)
{
    return __builtin_popcountll(s->bits[0]) + __builtin_popcountll(s->bits[1]);
}
/* 1 when a report must speak of sampling: some run was sampled, or its rate is unknown. */
static inline int cfs_sampling_stated(const cfs_sampling *s)
{
    return cfs_sampling_rates(s) > 0 || cfs_sampling_has(s, CFS_SAMPLING_UNKNOWN);
}
/* The one rate of a set of runs that were all sampled at it; 0 otherwise (none sampled,
 * several rates, some runs not sampled or of an unknown rate). */
static inline int cfs_sampling_single(const cfs_sampling *s)
{
    if (cfs_sampling_rates(s) != 1 || cfs_sampling_has(s, CFS_SAMPLING_NONE) ||
        cfs_sampling_has(s, CFS_SAMPLING_UNKNOWN))
        return 0;
    const uint64_t lo = s->bits[0] & CFS_SAMPLING_RATES_LO;
    return lo ? __builtin_ctzll(lo) : 64 + __builtin_ctzll(s->bits[1] & CFS_SAMPLING_RATES_HI);
}
static inline int cfs_sampling_equal(const cfs_sampling *a, const cfs_sampling *b)
{
    return a->bits[0] == b->bits[0] && a->bits[1] == b->bits[1];
}

#endif
