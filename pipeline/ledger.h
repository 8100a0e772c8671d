/* The run ledger: what the report says about inputs.  Totals over every input, and the
 * first CFS_MAX_LISTED failed and CFS_MAX_LISTED warned inputs by path, the rest only
 * counted, so its memory does not grow with the number of inputs (a nightly job may walk
 * ten million files).  Per-input rows for summaries go through the scan's file sink. */
#ifndef CFSCAN_PIPELINE_LEDGER_H
#define CFSCAN_PIPELINE_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/decode.h"
#include "pipeline/types.h"

/* Failed inputs, and inputs with warnings, listed one by one (each list); beyond this
 * they are only counted.  The one definition: the report prints what the ledger kept. */
#define CFS_MAX_LISTED 1000

/* Everything counted for one input.  Invariant (the nothing-lost audit):
 *   lines == header_lines + blank_lines + aggregated + filtered + sum(rejected). */
typedef struct cfs_file_stats {
    uint64_t bytes_in;    /* compressed bytes read */
    uint64_t bytes_out;   /* decompressed bytes scanned */
    uint64_t lines;
    uint64_t header_lines;
    uint64_t blank_lines;
    uint64_t aggregated;
    uint64_t filtered;    /* outside --since/--until by the line's own time */
    uint64_t rejected[CFS_REJ_COUNT];
    uint64_t short_lines; /* tolerated: missing trailing fields */
    uint64_t trailing_tab;/* tolerated: empty extra column */
    uint64_t crlf;        /* tolerated: CR before LF */
    uint64_t layouts;     /* #Fields: lines that switched the layout */
    cfs_format fmt;
    cfs_status status;    /* CFS_OK, or why the input is incomplete */
    char error[200];
} cfs_file_stats;

/* d += s for every counter (status, format and error are left alone). */
void cfs_stats_add(cfs_file_stats *d, const cfs_file_stats *s);
uint64_t cfs_stats_rejected(const cfs_file_stats *f);
/* An input read completely that gave no request (empty, binary, no #Fields:, ...). */
int cfs_stats_warned(const cfs_file_stats *f);
/* Why such an input gave nothing, or NULL when it is not warned. */
const char *cfs_stats_warning(const cfs_file_stats *f);

typedef struct cfs_file_note {
    char *path;
    cfs_file_stats st;
    int unusable;         /* the path itself could not be used; st.error says why */
} cfs_file_note;

typedef struct cfs_ledger {
    cfs_file_stats tot;   /* sums of the counters (status and error unused) */
    size_t failed;        /* inputs not read completely, plus unusable paths */
    size_t warned;        /* inputs that gave no request */
    size_t rejecting;     /* inputs with rejected lines */
    uint64_t pruned;      /* files skipped by name (--since/--until) */
    cfs_file_note *notes; /* listed inputs, in input order */
    size_t nnotes, cap;
    size_t errors_listed, warnings_listed;
    size_t errors_unlisted, warnings_unlisted;
} cfs_ledger;

/* Account one input (in input order). */
void cfs_ledger_file(cfs_ledger *l, const char *path, const cfs_file_stats *st);
/* Account one path that could not be used. */
void cfs_ledger_unusable(cfs_ledger *l, const char *path, const char *msg);
/* 0 all inputs read and no line rejected; 3 lines rejected or inputs without requests;
 * 4 an input or path could not be read completely (README "Exit status"). */
int cfs_ledger_exit_status(const cfs_ledger *l);
void cfs_ledger_free(cfs_ledger *l);

#endif
