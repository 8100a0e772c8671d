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
    uint64_t bytes_in;  /* compressed bytes read */
    uint64_t bytes_out; /* decompressed bytes scanned */
    uint64_t lines;
    uint64_t header_lines;
    uint64_t blank_lines;
    uint64_t aggregated;
    uint64_t filtered; /* outside --since/--until by the line's own time */
    uint64_t rejected[CFS_REJ_COUNT];
    uint64_t short_lines;  /* tolerated: missing trailing fields */
    uint64_t trailing_tab; /* tolerated: empty extra column */
    uint64_t crlf;         /* tolerated: a line read as a request ended with CR before LF */
    uint64_t layouts;      /* #Fields: lines that switched the layout */
    cfs_format fmt;
    cfs_status status; /* CFS_OK, or why the input is incomplete */
    char error[200];
} cfs_file_stats;

/* d += s for every counter (status, format and error are left alone). */
void cfs_stats_add(cfs_file_stats *d, const cfs_file_stats *s);
uint64_t cfs_stats_rejected(const cfs_file_stats *f);
/* An input read completely that gave no request (empty, binary, no #Fields:, ...); one
 * whose lines were only filtered out (window, filters) is not warned. */
int cfs_stats_warned(const cfs_file_stats *f);
/* Why such an input gave nothing, or NULL when it is not warned. */
const char *cfs_stats_warning(const cfs_file_stats *f);
/* An input that could not be read at all (an I/O error before its first byte): a summary's
 * input manifest leaves it out, so the next `scan --update` reads it again. */
int cfs_stats_unread(const cfs_file_stats *f);

typedef struct cfs_file_note {
    char *path;
    cfs_file_stats st;
    int unusable; /* the path itself could not be used; st.error says why */
} cfs_file_note;

typedef struct cfs_ledger {
    cfs_file_stats tot;   /* sums of the counters (status and error unused) */
    size_t failed;        /* inputs not read completely, plus unusable paths */
    size_t warned;        /* inputs that gave no request */
    size_t rejecting;     /* inputs with rejected lines */
    uint64_t pruned;      /* files skipped by name (--since/--until) */
    size_t described;     /* inputs with requests whose lines named their fields (a
                           * #Fields: line, v2 JSON, Parquet): standard logs, never sampled */
    size_t headerless;    /* inputs with requests read by the fields an option gave
                           * (--log-fields, --realtime-config) */
    cfs_file_note *notes; /* listed inputs, in input order */
    size_t nnotes, cap;
    size_t errors_listed, warnings_listed;
    size_t errors_unlisted, warnings_unlisted;
} cfs_ledger;

/* Account one input (in input order). */
void cfs_ledger_file(cfs_ledger *l, const char *path, const cfs_file_stats *st);
/* Account one path that could not be used. */
void cfs_ledger_unusable(cfs_ledger *l, const char *path, const char *msg);
/* The exit statuses of the command line (README "Exit status"). */
typedef enum cfs_exit_code {
    CFS_EXIT_OK = 0,           /* every input read completely, every line used */
    CFS_EXIT_FATAL = 1,        /* other fatal error (output not written, out of memory) */
    CFS_EXIT_USAGE = 2,        /* usage error */
    CFS_EXIT_REJECTED = 3,     /* lines rejected, an input held no usable line, or the
                                * window or filters selected nothing */
    CFS_EXIT_INPUT_FAILED = 4, /* an input or evidence file could not be read completely */
    CFS_EXIT_OVER_BUDGET = 5,  /* the keys outgrew the memory budget: nothing written */
    CFS_EXIT_INTERRUPTED = 130 /* SIGINT/SIGTERM, in any phase */
} cfs_exit_code;

/* How a run ended: everything the exit status depends on. */
typedef struct cfs_run_end {
    const cfs_ledger *ledger; /* the inputs' counts; NULL when none were read */
    int evidence_failed;      /* a --config or --waf-logs input failed to load (or a
                               * merge's state.cfs could not be read) */
    int evidence_uncovered;   /* a --config or --waf-logs input covered none of the scanned
                               * traffic or was not what it claims (evidence.h): 3 */
    int over_budget;          /* the memory budget was exceeded */
    int interrupted;          /* SIGINT/SIGTERM arrived */
    int selected_nothing;     /* --since/--until or a filter selected no input or line:
                               * an empty answer must not look like a clean one (3) */
    cfs_status fatal;         /* CFS_OK, or why the run could not finish (CFS_E_USAGE:
                               * a usage error found late, e.g. the -o directory) */
} cfs_run_end;

/* The exit status of a run, by one precedence, the first that applies:
 *   130 interrupted > 2 usage > 1 fatal > 5 over budget > 4 input or evidence failed
 *   > 3 lines rejected, an input without requests, an evidence input that covered none
 *   of the scanned traffic, or a window or filter that selected nothing > 0.
 * An interruption comes first because it is why everything after it failed or is
 * partial; a fatal error (nothing written) outranks what the inputs held; among the
 * input outcomes the worse one wins: a run over budget wrote nothing, a failed input
 * lost lines, a rejected line was read but not used. */
cfs_exit_code cfs_run_exit_status(const cfs_run_end *e);
void cfs_ledger_free(cfs_ledger *l);

#endif
