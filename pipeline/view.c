/* The settle stage and the settled view (view.h).  Settling is kept in one place so that
 * the order "merge everything, judge the held-back 403s, then settle" is the pipeline's and
 * no caller's, and so that a settled aggregate is marked and never settled again. */
#include "pipeline/view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cfs_settle(cfs_agg *a)
{
    if (a->settled) return 0;
    cfs_agg_settle(a);
    a->settled = 1;
    return 1;
}

cfs_status cfs_judge_and_settle(cfs_agg *dst, const cfs_agg *state, int threads, char *err, size_t errlen)
{
    cfs_agg_copy(dst, state);
    cfs_fast_copy(dst, state);
    cfs_status st = cfs_fast_resolve(dst, NULL, NULL, threads > 1 ? threads : 1, err, errlen);
    if (dst->events && dst->events->saturated) /* as the scan says it (scan.c) */
        fprintf(stderr,
                "cfscan: warning: %llu origin-served 403s are too many to join cached copies reliably; "
                "edge-fast 403s were judged without that join\n",
                (unsigned long long)dst->events->inserts);
    cfs_settle(dst);
    return st;
}

int cfs_is_settled(const cfs_agg *a) { return a->settled != 0; }

void cfs_view_free(cfs_view *v)
{
    if (v->own) {
        cfs_agg_free(&v->own->agg);
        cfs_ledger_free(&v->own->ledger);
        free(v->own);
    }
    memset(v, 0, sizeof *v);
}
