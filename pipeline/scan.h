/* The whole pipeline in one call: inputs -> decode -> scan kernel -> records ->
 * attribution -> per-thread aggregates -> one merge -> settled result. */
#ifndef CFSCAN_PIPELINE_SCAN_H
#define CFSCAN_PIPELINE_SCAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "pipeline/aggregate.h"
#include "pipeline/decode.h"
#include "pipeline/source.h"

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

/* A matching request for `cfscan requests`: the raw line and its attribution. */
typedef struct cfs_req_row {
    char *text;      /* the chosen fields' raw values joined by TAB */
    uint32_t len;
    char dist[CFS_KEY_STR];
    cfs_attribution at;
    uint32_t time_taken_ms;
} cfs_req_row;

/* Filter for `cfscan requests`; a NULL/0 member matches everything. */
typedef struct cfs_req_filter {
    const char *request_id;
    int status;              /* -1 = any */
    int cause;               /* -1 = any */
    const char *dist;
    const char *edge;
    int ip_family;           /* 0 = any, 4 or 6 */
    uint8_t ip[16];
    unsigned ip_prefix;
    const char *uri_prefix;
    const cfs_field *out;    /* fields to copy into each row, in order */
    size_t nout;
} cfs_req_filter;

typedef struct cfs_scan_opts {
    int threads;             /* 0 = all cores */
    int64_t since, until;    /* CFS_NO_TIME for open ends */
    cfs_gz_mode gz;
    cfs_attr_ctx attr;
    int progress;            /* progress line on stderr */
    const cfs_req_filter *filter; /* non-NULL: collect matching rows */
    uint64_t big_file;       /* split files above this many bytes into blocks (0 = default) */
    volatile sig_atomic_t *stop; /* set by a signal handler to stop early */
} cfs_scan_opts;

typedef struct cfs_scan_result {
    cfs_agg agg;             /* merged, NOT settled: call cfs_agg_settle before reporting */
    cfs_file_stats *files;   /* one per input, in input order */
    size_t nfiles;
    cfs_req_row *rows;       /* matching rows in input order (requests mode) */
    size_t nrows;
    double seconds;
    int interrupted;
    const char *kernel;
} cfs_scan_result;

cfs_status cfs_scan_run(const cfs_inputs *in, const cfs_scan_opts *o, cfs_scan_result *res);
void cfs_scan_result_free(cfs_scan_result *res);

#endif
