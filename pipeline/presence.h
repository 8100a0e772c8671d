/* Which fields the lines of each distribution had (issue 16: a format that lacks a field
 * the attribution reads says so in the report).  A line's fields are a bit mask over
 * cfs_field, made once per #Fields: layout or JSON shape (never per line), with the
 * substitutes that stand in for a field already set; each distribution keeps the OR
 * (fields some line had) and the AND (fields every line had) of its lines' masks, which
 * combine the same way in any order, so -j, merge and --update give one scan's answer. */
#ifndef CFSCAN_PIPELINE_PRESENCE_H
#define CFSCAN_PIPELINE_PRESENCE_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/kmap.h"
#include "pipeline/types.h"

#define CFS_PRES_BIT(f) ((uint64_t)1 << (f))

/* One distribution's row of cfs_agg.present. */
typedef struct cfs_pres_row {
    char dist[CFS_KEY_STR];
    uint64_t any; /* fields at least one of its lines had */
    uint64_t all; /* fields every one of its lines had */
} cfs_pres_row;

/* The mask of a line whose fields are `fields` (bits of cfs_field), with the substitutes
 * applied: x-edge-detailed-result-type makes c-country moot (ClientGeoBlocked decides geo
 * blocks), so a line with the first counts as having the second. */
uint64_t cfs_pres_mask(uint64_t fields);
/* The same for the fields of a #Fields: layout (0 for a layout with no columns). */
uint64_t cfs_pres_layout_mask(const cfs_layout *l);

/* Fold one line's mask into dist's row of m (created with any = all = mask). */
void cfs_pres_note(cfs_kmap *m, const char dist[CFS_KEY_STR], uint64_t mask);
/* dst += src, row by row (OR of any, AND of all). */
void cfs_pres_merge(cfs_kmap *dst, const cfs_kmap *src);

/* A field the attribution or the report reads, and what its absence costs. */
typedef struct cfs_field_cost {
    cfs_field field; /* named by cfs_field_name (the standard logging spelling) */
    const char *cost;
} cfs_field_cost;
/* The fields the report names when absent, in report order; *n gets their number. */
const cfs_field_cost *cfs_pres_costs(size_t *n);
/* The fields a scan reads of a record, as bits of cfs_field: the time and status, the lean
 * fields (fields.h), every field above, and the two that mark a multi-tenant distribution;
 * x-edge-request-id only when WAF logs are joined (waf).  A Parquet scan decodes these
 * columns and no other (parquet_read.h); `requests` and the filters that read other fields
 * ask for every field instead.  tests/test_presence_reads.c checks the list against what
 * the attribution and aggregation code names. */
uint64_t cfs_pres_analysed(int waf);

enum { CFS_PRES_PRESENT = 0, CFS_PRES_SOME = 1, CFS_PRES_ALL = 2 };
/* Whether field f was absent from all, some or none of the lines of a row. */
static inline int cfs_pres_absent(const cfs_pres_row *r, cfs_field f)
{
    if (!(r->any & CFS_PRES_BIT(f))) return CFS_PRES_ALL;
    return (r->all & CFS_PRES_BIT(f)) ? CFS_PRES_PRESENT : CFS_PRES_SOME;
}
/* "all" or "some" (the JSON report's words). */
const char *cfs_pres_word(int absent);

#endif
