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
/* The name behind a cfs_wrow.rule of s ("?" for an id it does not hold). */
const char *cfs_sum_waf_name(const cfs_summary *s, uint32_t rule);
/* The rows of m in an array sorted by cmp (the caller frees the array, not the rows);
 * cfs_sum_cmp_trow is the traffic key order of the state and traffic.parquet. */
void **cfs_sum_sorted_rows(const cfs_kmap *m, int (*cmp)(const void *, const void *));
int cfs_sum_cmp_trow(const void *a, const void *b);
/* cfs_sum_sorted_rows(m, cfs_sum_cmp_trow) for a traffic table, without comparing strings
 * in the sort: each distinct distribution and edge is ranked once, and rows are sorted by
 * three words of their key (a traffic table is ~190k rows for 1 GB of logs, and the
 * strcmp sort through row pointers was a sixth of writing the state). */
void **cfs_sum_sorted_traffic(const cfs_kmap *m);
/* More key orders for the state file, whose sections are written in key order so that
 * the file does not depend on the thread count (the tables' own order does). */
int cfs_sum_cmp_gkey(const void *a, const void *b);
int cfs_sum_cmp_dist(const void *a, const void *b);
int cfs_sum_cmp_dist_label(const void *a, const void *b);

/* ---- per-input rows (summary_rows.c) ---- */
/* The summary's temporary file of input rows, created on first use. */
FILE *cfs_sum_rows_file(cfs_summary *s);
/* Exits with a message when writing the rows failed. */
void cfs_sum_rows_check(cfs_summary *s);
/* Append every row of `rows` to `to`; `rows` stays positioned for appending.  0 or -1
 * when reading the rows failed (write errors show on `to`). */
int cfs_sum_rows_copy(FILE *rows, FILE *to);
/* The same for rows flushed beforehand, read with pread: neither the stream's position
 * nor its buffer is touched, so another thread may read the rows through it meanwhile
 * (cfs_summary_publish writes the state beside the tables, which read them). */
int cfs_sum_rows_copy_at(FILE *rows, FILE *to);

/* ---- one input row in its state.cfs encoding (summary_state.c) ---- */
void cfs_sum_input_put(FILE *f, const cfs_sum_input *x);
/* 1: a row (x->path is the caller's to free), 0: end of input before a row, -1: bad. */
int cfs_sum_input_get(FILE *f, cfs_sum_input *x);

/* ---- the files of a summary directory ---- */
/* In writing order: the Parquet tables first, the manifest last (a directory without it
 * is never taken for a summary).  Their names are in one table, k_sum_files in
 * summary_publish.c, which everything that lists them (writing, cleanup, the manifest)
 * reads. */
enum {
    CFS_SUM_TRAFFIC,
    CFS_SUM_LATENCY,
    CFS_SUM_DISTINCT_CLIENTS,
    CFS_SUM_TOP_URIS,
    CFS_SUM_TOP_CLIENTS,
    CFS_SUM_WAF_RULES,
    CFS_SUM_INPUTS,
    CFS_SUM_NTABLES, /* the Parquet tables end here */
    CFS_SUM_REPORT_TXT = CFS_SUM_NTABLES,
    CFS_SUM_REPORT_JSON,
    CFS_SUM_REPORT_HTML, /* the HTML report (report_html.c) */
    CFS_SUM_STATE,
    CFS_SUM_INPUT_MANIFEST, /* inputs.cfm: what was counted (inputs_manifest.h) */
    CFS_SUM_MANIFEST,
    CFS_SUM_NFILES
};

/* ---- Parquet tables (summary_parquet.c) ---- */
/* Write the Parquet tables to path[CFS_SUM_TRAFFIC .. CFS_SUM_NTABLES) from the settled
 * aggregate; the WAF rule names and the input rows come from s. */
cfs_status cfs_sum_write_tables(const cfs_summary *s, const cfs_agg *settled, char *const *path, char *err,
                                size_t errlen);

#endif
