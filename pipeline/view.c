/* The settle stage and the settled view (view.h).  Settling is kept in one place so that
 * the order "merge everything, judge the held-back 403s, then settle" is the pipeline's and
 * no caller's, and so that a settled aggregate is marked and never settled again. */
#include "pipeline/view.h"

#include <stdlib.h>
#include <string.h>

int cfs_settle(cfs_agg *a)
{
    if (a->settled) return 0;
    cfs_agg_settle(a);
    a->settled = 1;
    return 1;
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
