/* What the summary's files share and nobody else needs: the summary sink is split by job
 * (summary.c model and merge, summary_rows.c per-input rows, summary_state.c the state
 * codec, summary_parquet.c the tables, summary_publish.c the directory), and these are the
 * seams between them.  Not part of the library's interface: include summary.h instead. */
#ifndef CFSCAN_PIPELINE_SUMMARY_INTERNAL_H
#define CFSCAN_PIPELINE_SUMMARY_INTERNAL_H

#include <stdio.h>
#include "pipeline/summary.h"

/* ---- model (summary.c) ---- */
/* The id of WAF rule `name` in s, added when new (merge and the state reader re-key rows
 * by name, since ids are per summary). */
uint32_t cfs_sum_waf_rule_id(cfs_summary *s, const char *name);
/* The rows of m in an array sorted by cmp (the caller frees the array, not the rows);
 * cfs_sum_cmp_trow is the traffic key order of the state and traffic.parquet. */
void **cfs_sum_sorted_rows(const cfs_kmap *m, int (*cmp)(const void *, const void *));
int cfs_sum_cmp_trow(const void *a, const void *b);

/* ---- per-input rows (summary_rows.c) ---- */
/* The summary's temporary file of input rows, created on first use. */
FILE *cfs_sum_rows_file(cfs_summary *s);
/* Exits with a message when writing the rows failed. */
void cfs_sum_rows_check(cfs_summary *s);
/* Append every row of `rows` to `to`; `rows` stays positioned for appending.  0 or -1
 * when reading the rows failed (write errors show on `to`). */
int cfs_sum_rows_copy(FILE *rows, FILE *to);

/* ---- one input row in its state.cfs encoding (summary_state.c) ---- */
void cfs_sum_input_put(FILE *f, const cfs_sum_input *x);
/* 1: a row (x->path is the caller's to free), 0: end of input before a row, -1: bad. */
int cfs_sum_input_get(FILE *f, cfs_sum_input *x);

/* ---- Parquet tables (summary_parquet.c) ---- */
/* Write the seven Parquet tables to path[0..7) (traffic, latency, distinct_clients,
 * top_uris, top_clients, waf_rules, inputs) from the settled aggregate; the WAF rule
 * names and the input rows come from s. */
cfs_status cfs_sum_write_tables(const cfs_summary *s, const cfs_agg *settled, char *const *path, char *err,
                                size_t errlen);

#endif
