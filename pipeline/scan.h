/* The whole pipeline in one call: inputs -> decode -> scan kernel -> records ->
 * attribution -> per-thread aggregates -> one merge -> held-back 403s judged -> settled
 * result.  Sinks read it through cfs_scan_view (view.h). */
#ifndef CFSCAN_PIPELINE_SCAN_H
#define CFSCAN_PIPELINE_SCAN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "pipeline/aggregate.h"
#include "pipeline/decode.h"
#include "pipeline/filter.h"
#include "pipeline/ledger.h"
#include "pipeline/source.h"
#include "pipeline/view.h"

/* A matching request for `cfscan requests`: the raw line and its attribution. */
typedef struct cfs_req_row {
    char *text; /* the chosen fields' raw values joined by TAB */
    uint32_t len;
    char dist[CFS_KEY_STR];
    cfs_attribution at;
    uint32_t time_taken_ms; /* the latency settling judges: cfs_attr_decision_ms */
    /* what an edge-fast 403 is judged by after the pass (cfs_fast_settle) */
    uint32_t clen, cth;
    uint64_t evkey;
    int64_t ts;
    char label[CFS_KEY_STR]; /* cfs_origin_label */
    /* Rows come out by (ts, file, line): time order, ties in input order (the walk's),
     * then line order (block << 32 | line within the block), whatever the thread count. */
    uint64_t order_file, order_line;
    uint32_t waf; /* cfs_attr_line.waf: 1 + the WAF name row, 0 for none */
} cfs_req_row;

/* What `cfscan requests` collects: the rows that pass sel (filter.h), with the fields
 * out[0..nout) (CFS_F_UNKNOWN stands for the distribution). */
typedef struct cfs_req_filter {
    const cfs_filter *sel; /* never NULL */
    const cfs_field *out;  /* fields to copy into each row, in order */
    size_t nout;
} cfs_req_filter;

typedef struct cfs_scan_opts {
    int threads; /* 0 = all cores */
    /* Seconds per bucket of the report's 403 timeline when finer than the hour (60, 300,
     * 900): counted per thread while scanning; 0: the hourly timeline of the aggregate. */
    int timeline_s;
    int64_t since, until; /* CFS_NO_TIME for open ends */
    cfs_gz_mode gz;
    cfs_attr_ctx attr;
    int progress;                 /* progress line on stderr */
    const cfs_req_filter *filter; /* non-NULL: collect matching rows */
    /* Lines that do not pass are counted as filtered and not aggregated (their origin
     * fetches still feed the distribution's latency reference, unless --dist excluded
     * them); NULL: no filter, no cost. */
    const cfs_filter *lines;
    uint64_t big_file;           /* split files above this many bytes into blocks (0 = CFS_BIG_FILE) */
    volatile sig_atomic_t *stop; /* set by a signal handler to stop early */
    /* Bytes of matching rows (text plus bookkeeping) held in memory before they spill to
     * an unlinked temporary file in $TMPDIR (0 = CFS_ROWS_MEM_DEFAULT). */
    uint64_t rows_mem;
    /* Called for every input once it is complete, in input order, from the thread that
     * called the scan; unusable paths come with a zero-size input and status CFS_E_IO.
     * Summaries keep their per-input rows this way; NULL when not needed. */
    void (*on_input)(void *ctx, const cfs_input *in, const cfs_file_stats *st);
    void *on_input_ctx;
    /* Also return the merged aggregate as it was before judging and settling (res->state):
     * what a summary stores, so that a merge judges and settles the union exactly. */
    int keep_state;
    /* Logs without a #Fields: line (real-time logs, v2 Plain): the layout their lines are
     * read with until a #Fields: line says otherwise (--log-fields, --realtime-config);
     * NULL: such lines are rejected as no_header. */
    const cfs_layout *start_layout;
    /* The field delimiter of lines under a #Fields: line whose names do not give it
     * (--delimiter; 0: TAB). */
    char delim;
} cfs_scan_opts;

typedef struct cfs_scan_result {
    cfs_agg agg;           /* merged and settled: the scan's last stage is cfs_settle */
    cfs_agg *state;        /* o->keep_state: the merged aggregate before the held-back
                            * 403s were judged and before settling, with those 403s as
                            * records (for a summary, cfs_summary_add_state); else NULL.
                            * It owns the events filter agg was judged with */
    cfs_agg *judged;       /* while spilled `requests` rows wait to be judged: the
                            * aggregate they are judged against (unsettled); else NULL */
    cfs_ledger ledger;     /* totals and the listed errors and warnings */
    cfs_file_stats *files; /* cfs_scan_run only: one per input, in input order */
    size_t nfiles;         /* inputs scanned, and paths that could not be used */
    /* Matching rows (requests mode): some may have spilled to a temporary file;
     * rows[0..nrows) are the others, settled, filtered and in time order.
     * Read them all, in order, with cfs_scan_rows_begin / cfs_scan_rows_next. */
    cfs_req_row *rows;
    size_t nrows, rows_cap;
    struct cfs_row_spill *spill; /* NULL while every row is in memory */
    double seconds;
    /* where a scan's time went (cfscan -v): reading and counting, merging the per-thread
     * tables, judging the held-back 403s (those three make `seconds`), settling */
    double t_pass, t_merge, t_judge, t_settle;
    int interrupted;
    int over_budget; /* the memory budget (cfs_mem_set_limit) was exceeded: agg
                      * and rows are incomplete; keys says what they held */
    cfs_key_counts keys;
    const char *kernel;
    cfs_kmap timeline; /* cfs_tl_row, with opts.timeline_s */
    int timeline_s;
    int fast_failed; /* the held-back 403s could not all be read back (temporary
                      * file): their counts are missing; the scan returns CFS_E_IO */
} cfs_scan_result;

/* The WAF rule that blocked a row's request (its BLOCK record's terminatingRuleId), or
 * NULL when no WAF record proves a block. */
const char *cfs_req_row_waf_rule(const cfs_req_row *row, const cfs_waf_index *w);

/* Matching rows kept in memory by default before spilling (requests mode). */
#define CFS_ROWS_MEM_DEFAULT ((uint64_t)32 << 20)

/* Iterate every matching row in time order (cfs_req_row.order_*): the spilled ones are
 * read back (settled and filtered here) through a sorted index of their keys, merged
 * with rows[], which the scan sorted.  begin returns CFS_OK or CFS_E_IO (err says why); next
 * returns 1 with *row set (valid until the next call), 0 at the end, -1 on a read error
 * (err says why). */
cfs_status cfs_scan_rows_begin(cfs_scan_result *res, char *err, size_t errlen);
int cfs_scan_rows_next(cfs_scan_result *res, const cfs_req_row **row, char *err, size_t errlen);

/* Inputs are scanned in batches of at most this many, largest first within a batch. */
#define CFS_SCAN_BATCH 8192

/* Scan a list of inputs held in memory (scheduled in the given order; sort it with
 * cfs_inputs_sort); res->files gets each input's counts.  Both account the inputs (the
 * ledger, o->on_input) in input order, by cfs_input.seq, which cfs_scan_walk sets. */
cfs_status cfs_scan_run(const cfs_inputs *in, const cfs_scan_opts *o, cfs_scan_result *res);
/* Scan everything a streamed walk yields, CFS_SCAN_BATCH inputs at a time: memory does
 * not grow with the number of inputs; res->files stays NULL (use o->on_input). */
cfs_status cfs_scan_walk(cfs_walk *w, const cfs_scan_opts *o, cfs_scan_result *res);
void cfs_scan_result_free(cfs_scan_result *res);

/* The settled view of a scan, for the report and the summary: it points into res (valid
 * while res is) and owns nothing. */
cfs_view cfs_scan_view(const cfs_scan_result *res);

#endif
