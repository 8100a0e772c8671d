/* The settle stage and the settled view.  Scan and merge both end by settling their merged
 * aggregate (cfs_settle); report and summary sinks then read a cfs_view: the settled
 * string-keyed aggregate, the inputs' ledger and what the run says about itself, never the
 * scan driver's result type. */
#ifndef CFSCAN_PIPELINE_VIEW_H
#define CFSCAN_PIPELINE_VIEW_H

#include <stddef.h>
#include "pipeline/aggregate.h"
#include "pipeline/ledger.h"

/* Settle a merged aggregate in place (cfs_agg_settle: provisional 403s take the cause the
 * origin-latency test gives them) and mark it settled.  Returns 1 when it settled, 0 for
 * an aggregate already settled, which is left as it is: a settle is never applied twice. */
int cfs_settle(cfs_agg *a);
/* The last stages of a merge, on a copy: dst (uninitialised) becomes a copy of the
 * unsettled state, its held-back 403s judged against all of it (cfs_fast_resolve, with the
 * facts the state keeps in place of configs, on `threads` threads: the same tables at any
 * count), then settled.  state is left as it was.  CFS_E_IO with err set when the held-back 403s could not be read back (a temporary
 * file); dst is then settled without them and must still be freed. */
cfs_status cfs_judge_and_settle(cfs_agg *dst, const cfs_agg *state, int threads, char *err, size_t errlen);
/* 1 when a has been through cfs_settle. */
int cfs_is_settled(const cfs_agg *a);

/* The settled aggregate and ledger that a view made from summaries owns. */
typedef struct cfs_view_own {
    cfs_agg agg;
    cfs_ledger ledger;
} cfs_view_own;


/* What a report or a summary's tables are made from. */
typedef struct cfs_view {
    const cfs_agg *agg;       /* settled (cfs_is_settled): traffic, groups, heavy, origin,
                               * olabel and waf tables with string keys */
    const cfs_ledger *ledger; /* the inputs' counts and the listed errors and warnings */
    size_t nfiles;            /* inputs the view counts */
    const char *kernel;       /* the scan kernel, NULL for a view of summaries */
    double seconds;           /* the scan's time, 0 for a view of summaries */
    int interrupted;          /* the scan stopped early on a signal */
    int over_budget;          /* the memory budget was exceeded: agg is incomplete */
    cfs_key_counts keys;      /* with over_budget: what the tables held */
    cfs_view_own *own;        /* what a view made from summaries owns (cfs_view_free) */
    /* The 403 timeline at a resolution finer than the hour (--resolution): rows of
     * cfs_tl_row, timeline_s seconds per bucket; NULL and 0 when the report's
     * timeline is the hourly one of agg (always for a view of summaries). */
    const cfs_kmap *timeline;
    int timeline_s;
} cfs_view;

/* Release what v owns (a view of a scan owns nothing: the scan result holds it). */
void cfs_view_free(cfs_view *v);

#endif
