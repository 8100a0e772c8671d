/* The cfscan command line: argument parsing, evidence loading and printing only; the
 * work is done by cfs_scan_run (pipeline/scan.c). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "kernels/kernels.h"
#include "pipeline/config.h"
#include "pipeline/diff.h"
#include "pipeline/evidence.h"
#include "pipeline/fields.h"
#include "pipeline/inputs_manifest.h"
#include "pipeline/report.h"
#include "pipeline/rules_doc.h"
#include "pipeline/s3.h"
#include "pipeline/scan.h"
#include "pipeline/stop.h"
#include "pipeline/summary.h"
#include "pipeline/v2layout.h"
#include "pipeline/waf.h"
#include "pipeline/xalloc.h"
#include "tools/cli_help.h"
/* The commit this binary was built from (`cfscan version`; bench/run.sh labels its results
 * with it), written at every CMake build; builds outside CMake (tools/tsan.sh, the fuzz
 * builds) do not know it. */
#ifdef CFS_HAVE_BUILD_COMMIT
#include "cfs_build_commit.h"
#else
#define CFS_BUILD_COMMIT "unknown"
#endif


static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* SIGINT and SIGTERM raise g_stop.  Without SA_RESTART, so that a read waiting on an
 * idle pipe returns and sees it, as do the S3 requests (pipeline/stop.h). */
static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    cfs_stop_watch(&g_stop);
}

/* ---- help: rendered from the one table (tools/cli_help.h) that also makes the man page
 * and the shell completions (tools/cfscan_doc.c) ---------------------------------------- */
_Static_assert(CFS_REPORT_TOP_DEFAULT == 5, "cli_help.h says --top defaults to 5");

/* Write text word-wrapped to width columns, the first line starting at column col, the
 * rest indented by indent. */
static void wrap(FILE *f, const char *text, int col, int indent, int width)
{
    const char *p = text;
    while (*p) {
        const char *w = p;
        while (*w && *w != ' ') w++;
        int len = (int)(w - p);
        if (col > indent && col + 1 + len > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, (size_t)len, f);
        col += len;
        p = w;
        while (*p == ' ') p++;
    }
    fputc('\n', f);
}

static void print_usage(FILE *f)
{
    for (size_t i = 0; i < sizeof cfs_cli_cmds / sizeof cfs_cli_cmds[0]; i++) {
        const cfs_cli_cmd *c = &cfs_cli_cmds[i];
        char head[128];
        int n = snprintf(head, sizeof head, "%s cfscan %s%s%s", i ? "      " : "usage:", c->name,
                         c->synopsis[0] ? " " : "", c->synopsis);
        fputs(head, f);
        /* the summary in a column of its own, below a synopsis too long for it */
        if (n < 42) fprintf(f, "%*s", 42 - n, "");
        else fprintf(f, "\n%*s", 42, "");
        wrap(f, c->summary, 42, 42, 88);
    }
    fputc('\n', f);
    wrap(f, cfs_cli_intro, 0, 0, 88);
    for (int sec = 0; sec < CFS_SEC_COUNT; sec++) {
        int any = 0;
        for (size_t i = 0; i < sizeof cfs_cli_opts / sizeof cfs_cli_opts[0]; i++) {
            const cfs_cli_opt *o = &cfs_cli_opts[i];
            if (o->section != sec) continue;
            if (!any) fprintf(f, "\n%s:\n", cfs_cli_sections[sec].title);
            any = 1;
            char names[96];
            int n = snprintf(names, sizeof names, "  %s%s%s%s%s", o->shortname ? o->shortname : "",
                             o->shortname ? ", " : "", o->longname, o->arg ? " " : "", o->arg ? o->arg : "");
            fputs(names, f);
            if (n < 25) fprintf(f, "%*s", 25 - n, "");
            else {
                fprintf(f, "\n%*s", 25, "");
                n = 25;
            }
            wrap(f, o->help, n < 25 ? 25 : n, 25, 88);
        }
    }
    fputs("\nexit status:\n", f);
    for (size_t i = 0; i < sizeof cfs_cli_exit / sizeof cfs_cli_exit[0]; i++) {
        fprintf(f, "  %-4d", cfs_cli_exit[i].code);
        wrap(f, cfs_cli_exit[i].meaning, 6, 6, 88);
    }
    fprintf(f, "%s\n", cfs_cli_exit_order);
}

/* stderr is often a terminal: paths, arguments and messages (which may quote paths or
 * log bytes) go through cfs_write_safe, so no input can carry a terminal escape there.
 * Prints "cfscan: [a: ][b: ]c". */
static void say(const char *a, const char *b, const char *c)
{
    fputs("cfscan: ", stderr);
    const char *parts[3] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        if (!parts[i]) continue;
        cfs_write_safe(stderr, parts[i], strlen(parts[i]));
        if (i < 2) fputs(": ", stderr);
    }
    fputc('\n', stderr);
}

/* An allocation failed somewhere in the library (xalloc.h): say what, and end the run
 * with CFS_E_NOMEM (exit status 1) having published nothing.  1 when it did. */
static int out_of_memory(cfs_run_end *e, const char *what_not)
{
    if (!cfs_nomem_failed()) return 0;
    char msg[300];
    cfs_nomem_status(NULL, msg, sizeof msg);
    say(msg, NULL, what_not);
    e->fatal = CFS_E_NOMEM;
    return 1;
}

/* For tests only: CFSCAN_TEST_RAISE_AT=publish|report sends SIGTERM to this process as
 * that phase starts, so tests can interrupt a phase after the scan without racing it. */
static void test_raise_at(const char *phase)
{
    const char *at = getenv("CFSCAN_TEST_RAISE_AT");
    if (at && !strcmp(at, phase)) raise(SIGTERM);
}

static int usage_error(const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    say(NULL, NULL, msg);
    fprintf(stderr, "(run `cfscan help` for usage)\n");
    return CFS_EXIT_USAGE;
}

/* --top N (1..64) into *top: -1 to go on, else the exit status (scan, merge, diff). */
static int parse_top(const char *v, int *top)
{
    uint64_t n;
    if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > 64)
        return usage_error("bad --top '%s' (1..64)", v);
    *top = (int)n;
    return -1;
}

/* The exit status of a command that got as far as e says: a signal that arrived at any
 * point counts, whatever the code that noticed the end saw (cfs_run_exit_status has the
 * one precedence). */
static int exit_status(cfs_run_end *e)
{
    if (g_stop) e->interrupted = 1;
    return (int)cfs_run_exit_status(e);
}

typedef struct strv {
    const char **v;
    size_t n;
} strv;

/* Append x; -1 (after saying so) when out of memory. */
static int strv_push(strv *s, const char *x)
{
    const char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);
    if (!nv) {
        say(NULL, NULL, "out of memory");
        return -1;
    }
    s->v = nv;
    s->v[s->n++] = x;
    return 0;
}

static int bad_value(const char *opt, const char *v, const char *const *valid, size_t n);

/* "name": on stdout (names are ours: field names need no escaping beyond the quotes). */
static void json_key(const char *name)
{
    cfs_write_json_str(stdout, name, strlen(name));
    fputc(':', stdout);
}

/* `requests` output columns: a log field (copied by the scan into each row's text, in
 * the order of the log list) or one of the verdict columns, known only once settled. */
enum { COL_LOG, COL_CAUSE, COL_EVIDENCE, COL_RULE, COL_WAF_RULE, COL_CANDIDATES, COL_KINDS };
static const char *const k_verdict_cols[COL_KINDS] = {NULL,   "cause",    "evidence",
                                                      "rule", "waf_rule", "candidates"};
#define MAX_COLS 256 /* the message of parse_fields says 256 too */

typedef struct out_col {
    int kind;   /* COL_* */
    size_t log; /* COL_LOG: index in the row's log values */
} out_col;

typedef struct out_cols {
    out_col v[MAX_COLS];
    size_t n;
    cfs_field log[MAX_COLS]; /* the log fields the scan copies (CFS_F_UNKNOWN: distribution) */
    size_t nlog;
} out_cols;

static void cols_add_log(out_cols *o, cfs_field f)
{
    o->v[o->n++] = (out_col){COL_LOG, o->nlog};
    o->log[o->nlog++] = f;
}

/* Where o has the column of kind (and log field f, CFS_F_UNKNOWN for distribution), or -1. */
static int col_index(const out_cols *o, int kind, cfs_field f)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->v[i].kind == kind && (kind != COL_LOG || o->log[o->v[i].log] == f)) return (int)i;
    return -1;
}

/* --fields into o: 0, or the exit status of a usage error. */
static int parse_fields(const char *s, out_cols *o)
{
    o->n = o->nlog = 0; /* a repeated --fields: the last one counts */
    for (const char *p = s;;) {
        size_t len = strcspn(p, ",");
        if (!len) return usage_error("%s", "--fields: an empty field name (a,b,... of log field names)");
        int kind = COL_LOG;
        cfs_field f = CFS_F_UNKNOWN;
        for (int k = 1; k < COL_KINDS; k++)
            if (strlen(k_verdict_cols[k]) == len && !memcmp(p, k_verdict_cols[k], len)) kind = k;
        if (kind == COL_LOG && !(len == 12 && !memcmp(p, "distribution", 12))) {
            f = cfs_field_lookup(p, len);
            if (f == CFS_F_UNKNOWN) {
                char one[128];
                snprintf(one, sizeof one, "%.*s", (int)(len < 127 ? len : 127), p);
                const char *names[CFS_F_COUNT + COL_KINDS];
                size_t k = 0;
                names[k++] = "distribution";
                for (int i = 0; i < CFS_F_COUNT; i++) names[k++] = cfs_field_name((cfs_field)i);
                for (int i = 1; i < COL_KINDS; i++) names[k++] = k_verdict_cols[i];
                return bad_value("fields", one, names, k);
            }
        }
        if (o->n == MAX_COLS) return usage_error("--fields: more than %s columns", "256");
        if (col_index(o, kind, f) >= 0) {
            /* a column named twice would be two columns of one name (TSV) or one key twice
             * (JSON): printed once, where first named */
            char one[160];
            snprintf(one, sizeof one, "%.*s named more than once; printed once", (int)(len < 127 ? len : 127),
                     p);
            say("--fields warning", NULL, one);
        } else if (kind == COL_LOG) {
            cols_add_log(o, f);
        } else {
            o->v[o->n++] = (out_col){kind, 0};
        }
        p += len;
        if (!*p) break;
        p++;
    }
    return 0;
}

/* clang-format off */
static const cfs_field k_default_fields[] = {
    CFS_F_UNKNOWN /* distribution */, CFS_F_DATE, CFS_F_TIME, CFS_F_EDGE_LOCATION, CFS_F_C_IP,
    CFS_F_CS_METHOD, CFS_F_CS_PROTOCOL, CFS_F_HOST_HEADER, CFS_F_CS_URI_STEM, CFS_F_SC_STATUS,
    CFS_F_EDGE_RESULT_TYPE, CFS_F_EDGE_DETAILED_RESULT_TYPE, CFS_F_SC_CONTENT_TYPE,
    CFS_F_TIME_TAKEN, CFS_F_EDGE_REQUEST_ID,
};
/* clang-format on */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* The command line as one string (for the manifest), or NULL when out of memory. */
static char *argv_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    s[0] = 0;
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

static int g_argc;
static char **g_argv;

/* `requests` prints rows, not the report: the inputs the report would list for rejected
 * lines (or for having no usable line) are named on stderr instead, so a file whose
 * lines were all refused is not mistaken for one without matches. */
static void say_rejections(const cfs_ledger *L)
{
    for (size_t i = 0; i < L->nnotes; i++) {
        const cfs_file_note *nt = &L->notes[i];
        if (nt->unusable) continue; /* already said by on_input */
        const cfs_file_stats *f = &nt->st;
        uint64_t fr = cfs_stats_rejected(f);
        const char *w = cfs_stats_warning(f);
        if (!fr && !w) continue;
        char msg[512];
        size_t o = (size_t)snprintf(msg, sizeof msg, "%s", w ? w : "");
        if (fr && o < sizeof msg)
            o += (size_t)snprintf(msg + o, sizeof msg - o, "%s%llu lines rejected (", w ? "; " : "",
                                  (unsigned long long)fr);
        for (int r = 0; fr && r < CFS_REJ_COUNT && o < sizeof msg; r++)
            if (f->rejected[r])
                o += (size_t)snprintf(msg + o, sizeof msg - o, "%s=%llu ", cfs_reject_name((cfs_reject)r),
                                      (unsigned long long)f->rejected[r]);
        if (fr && o < sizeof msg) msg[o - 1] = ')';
        say(NULL, nt->path, msg);
    }
    if (L->warnings_unlisted)
        fprintf(stderr, "cfscan: %zu more inputs with rejected lines or warnings (not listed)\n",
                L->warnings_unlisted);
}

/* --memory-limit's value, or -1 (after a usage message) when malformed. */
static int set_memory_limit(const char *v)
{
    uint64_t n = cfs_mem_parse(v);
    if (!n) {
        usage_error("bad --memory-limit '%s' (bytes > 0, optional K, M or G suffix)", v);
        return -1;
    }
    cfs_mem_set_limit(n);
    return 0;
}

/* The run outgrew its memory budget: say what grew and what to do (exit status 5). */
static void say_over_budget(const cfs_key_counts *k)
{
    uint64_t lim = cfs_mem_limit();
    char held[160];
    /* stopped before a step that would pass it: the join of the threads' tables
     * (scan.c: join_over_budget), or a table's growth (cfs_mem_refuse) */
    if ((k->need || cfs_mem_refused()) && cfs_mem_peak() >= 0 && (uint64_t)cfs_mem_peak() <= lim)
        snprintf(held, sizeof held, "the aggregation held %lld bytes and %s needed about %llu more",
                 (long long)cfs_mem_peak(), k->need ? "joining the threads' tables" : "growing a table",
                 (unsigned long long)(k->need ? k->need : cfs_mem_refused()));
    else snprintf(held, sizeof held, "the aggregation held %lld bytes", (long long)cfs_mem_peak());
    fprintf(stderr,
            "cfscan: memory limit reached: %s, over the budget of %llu bytes "
            "(%.1f MiB), with %llu distribution x cause groups, %llu distributions, %llu edges, %llu hours "
            "(%llu exact-counter rows); the key space that grew: %s\n"
            "cfscan: nothing was written; raise --memory-limit, or narrow the run with --since/--until "
            "(or fewer inputs) and combine the parts with `cfscan merge`\n",
            held, (unsigned long long)lim, lim / 1048576.0, (unsigned long long)k->groups,
            (unsigned long long)k->dists, (unsigned long long)k->edges, (unsigned long long)k->hours,
            (unsigned long long)k->traffic, cfs_key_counts_largest(k));
}

static void say_summary_over_budget(const cfs_summary *s)
{
    cfs_key_counts k;
    cfs_summary_count_keys(s, &k);
    say_over_budget(&k);
}

/* Per-input callback of the scan (in input order): errors go to stderr as each batch
 * finishes, and with -o the summary keeps the input's row. */
typedef struct input_sink {
    cfs_summary *sum;
    const char *const *roots; /* the command-line paths: inputs.cfm names inputs relative to them */
    size_t nroots;
    cfs_status mf_status; /* the first failure to record an input in the manifest */
    char mf_err[512];
    uint64_t interrupted; /* inputs left unread (or cut short) by SIGINT/SIGTERM */
    /* The window (and --dist) alone select, on whole hours: what they leave out of a file
     * CloudFront named by its hour (and distribution) is a request that finished after the
     * window's end, in a file that a later window skips by name unless it overlaps this
     * one (cfs_mf_selection.late). */
    int by_name_only;
    int left_out;  /* lines of a counted input were left out that another window could count */
    int left_late; /* requests that finished after the window's end, in files named by its hours */
} input_sink;

static void on_input(void *ctx, const cfs_input *in, const cfs_file_stats *st)
{
    input_sink *k = ctx;
    /* An interruption leaves every input not yet read "interrupted": the first is named,
     * the rest counted once the walk is over (scan_inputs), not listed by the thousand. */
    const int counted_only = st->status == CFS_E_INTERRUPTED && k->interrupted++ > 0;
    if (st->status != CFS_OK && !counted_only) {
        /* the problem and what of the file still counts (the report's "lines read before it") */
        char msg[320];
        snprintf(msg, sizeof msg, "%s (%llu lines read before it)",
                 st->error[0] ? st->error : cfs_status_str(st->status), (unsigned long long)st->lines);
        say(NULL, in->path, msg);
    }
    if (k->sum) cfs_summary_add_input(k->sum, in, st);
    if (st->filtered && !k->left_out) {
        char dist[CFS_DIST_MAX];
        int64_t hour;
        if (k->by_name_only && cfs_parse_log_name(in->path, dist, &hour) == 0) k->left_late = 1;
        else k->left_out = 1;
    }
    /* The manifest holds every regular file (and S3 object) whose lines may be in the
     * counts (a truncated one too: reading it again would count its first part twice); a
     * file that could not be opened at all counted nothing and may be read by a later
     * --update.  An S3 object's fingerprint is its listed ETag's. */
    if (k->sum && k->sum->mf && (in->regular || in->etag) && k->mf_status == CFS_OK &&
        !cfs_stats_unread(st)) {
        uint64_t fp;
        char why[512];
        if (in->etag) {
            fp = cfs_mf_fingerprint_etag(in->etag);
        } else if (cfs_mf_fingerprint(in->path, in->size, &fp, why, sizeof why) != CFS_OK) {
            say(NULL, NULL, why); /* vanished since it was read: not in the manifest */
            return;
        }
        k->mf_status = cfs_mf_writer_add(k->sum->mf, cfs_mf_relpath(in->path, k->roots, k->nroots), in->size,
                                         in->mtime, fp, k->mf_err, sizeof k->mf_err);
    }
}

/* Window and filter options a run can name in its report. */
#define SEL_MAX 12

/* Everything one `scan` or `requests` run holds: the steps below are functions of it,
 * and every way out of the run frees it in one place (scan_cmd_free). */
typedef struct scan_cmd {
    int requests_mode;
    /* options */
    const char *outdir;
    int json, html, quiet, verbose, top, brief; /* html: --format html (scan) */
    strv paths, configs, wafs;
    out_cols cols;  /* requests: --fields, or k_default_fields */
    int tail[4];    /* requests: which of k_tail_cols end every row (those not in cols) */
    int resolution; /* --resolution in seconds, 0 for the default (set_resolution) */
    int have_cols;
    cfs_scan_opts o;
    cfs_req_filter f;     /* requests: the rows wanted */
    cfs_filter flt;       /* --dist, --edge, ... as given */
    cfs_filter dist_only; /* requests: --dist alone, for the lines (set_filters) */
    /* what the run loaded and made */
    cfs_config_set cfg;
    cfs_waf_index *waf;
    cfs_evid_set ev; /* what each --config / --waf-logs input held and covered */
    cfs_summary sum; /* -o only: sink.sum points to it while it is live */
    input_sink sink;
    cfs_scan_result res;
    double scan_seconds;
    cfs_run_end outcome; /* what the exit status is made from */
    char err[1024];      /* room for a refusal that names two selections */
    /* the window and filters as the report names them (set_selection) */
    const char *ip_text; /* --ip as given */
    const char *sel_names[SEL_MAX], *sel_values[SEL_MAX];
    size_t nsel;
    char sel_time[2][32];
    char sel_status[16];
    char nothing_why[160];
    uint64_t rows_out; /* requests: rows printed */
    /* --update, --rebuild, --shard: which inputs this run reads (inputs_manifest.h) */
    int update, rebuild;
    const char *shard_arg;
    cfs_mf_select sel;
    cfs_mf_set known; /* --update: what the summary in -o counted */
    uint64_t sel_id;  /* -o: the window and filters (cfs_mf_selection) */
    char sel_label[CFS_MF_LABEL];
    int have_old;    /* --update found a summary in -o to add to */
    cfs_view merged; /* --update: the view of the updated summary, which is printed */
    int have_merged;
    cfs_report_opts update_ro; /* --update: its report options (the summary's own: WAF rule
                                * names, evidence and sampling of every run) */
    cfs_summary updated;       /* --update: the summary published, whose names update_ro
                                * points into; kept for the printed report */
    int have_updated;
    /* headerless logs: --log-fields or --realtime-config, built once every option is read */
    const char *log_fields, *rt_config;
    cfs_layout start_layout;
    int sampling; /* --realtime-config's SamplingRate, 0 without */
} scan_cmd;

static void scan_cmd_init(scan_cmd *c, int requests_mode)
{
    memset(c, 0, sizeof *c);
    c->requests_mode = requests_mode;
    c->o.since = c->o.until = CFS_NO_TIME;
    c->o.progress = isatty(2);
    c->top = CFS_REPORT_TOP_DEFAULT;
    cfs_mem_set_limit(cfs_mem_default_limit());
    cfs_filter_init(&c->flt);
    cfs_filter_init(&c->dist_only);
    c->outcome.fatal = CFS_OK;
}

static void scan_cmd_free(scan_cmd *c)
{
    if (c->sink.sum) cfs_summary_free(&c->sum);
    cfs_mf_set_free(&c->known);
    if (c->have_merged) cfs_view_free(&c->merged);
    if (c->have_updated) cfs_summary_free(&c->updated);
    cfs_scan_result_free(&c->res);
    cfs_waf_free(c->waf);
    cfs_config_free(&c->cfg);
    cfs_evid_free(&c->ev);
    free(c->paths.v);
    free(c->configs.v);
    free(c->wafs.v);
    cfs_filter_free(&c->flt);
    cfs_filter_free(&c->dist_only);
}

/* ---- options ----------------------------------------------------------------------------
 * One table for every command's options, parsed by getopt_long (GNU conventions: --opt
 * value, --opt=value, -j4, unambiguous prefixes of long names, options before or after the
 * paths, -- ends them).  Each entry says which commands take it, so a mistyped or
 * misplaced option gets the nearest valid one, by edit distance, as a suggestion. */
enum {
    CMD_SCAN = CFS_CMD_SCAN,
    CMD_REQUESTS = CFS_CMD_REQUESTS,
    CMD_MERGE = CFS_CMD_MERGE,
    CMD_DIFF = CFS_CMD_DIFF,
    CMD_RULES = CFS_CMD_RULES,
};

/* The options are those of the help table (tools/cli_help.h), so that what is parsed and
 * what is documented, in help, the man page and the completions, cannot differ. */
#define NOPTS (sizeof cfs_cli_opts / sizeof cfs_cli_opts[0])
static const char *long_name(size_t i) { return cfs_cli_opts[i].longname + 2; /* past "--" */ }

static const char *cmd_name(unsigned cmd)
{
    return cmd == CMD_SCAN       ? "scan"
           : cmd == CMD_REQUESTS ? "requests"
           : cmd == CMD_DIFF     ? "diff"
           : cmd == CMD_RULES    ? "rules"
                                 : "merge";
}

/* The long name of option id (for messages), or NULL. */
static const char *opt_name(int id)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (cfs_cli_opts[i].id == id) return long_name(i);
    return NULL;
}

/* Edit distance of a and b, counting a swap of two neighbours as one edit (optimal
 * string alignment): "scna" is one edit from "scan".  Each is cut to 63 bytes. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strnlen(a, 63), nb = strnlen(b, 63);
    size_t d[64][64];
    for (size_t i = 0; i <= na; i++) d[i][0] = i;
    for (size_t j = 0; j <= nb; j++) d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[na][nb];
}

/* The candidate nearest to s, or NULL when none is near enough to be a likely typo: at
 * most a third of the longer name changed (at least 1, at most 3 edits), or s a prefix. */
static const char *nearest(const char *s, const char *const *cand, size_t n)
{
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(s, cand[i]);
        size_t l = strlen(cand[i]) > strlen(s) ? strlen(cand[i]) : strlen(s);
        size_t lim = l / 3 < 1 ? 1 : l / 3 > 3 ? 3 : l / 3;
        if (strlen(s) >= 2 && !strncmp(cand[i], s, strlen(s))) d = 1; /* a truncated name */
        if (d <= lim && d < bd) {
            best = cand[i];
            bd = d;
        }
    }
    return best;
}

/* A bad value of an option: exit 2, the nearest valid value, and every valid one. */
static int bad_value(const char *opt, const char *v, const char *const *valid, size_t n)
{
    const char *near = nearest(v, valid, n);
    fprintf(stderr, "cfscan: --%s: unknown value '", opt);
    cfs_write_safe(stderr, v, strnlen(v, 200));
    fputc('\'', stderr);
    if (near) fprintf(stderr, " (did you mean %s?)", near);
    fputs("; valid values: ", stderr);
    for (size_t i = 0; i < n; i++) fprintf(stderr, "%s%s", i ? ", " : "", valid[i]);
    fputs("\n(run `cfscan help` for usage)\n", stderr);
    return CFS_EXIT_USAGE;
}

static const char *const k_formats[] = {"text", "json", "html"};
static const char *const k_row_formats[] = {"tsv", "json"};
static const char *const k_resolutions[] = {"1m", "5m", "15m", "1h"};
static const int k_resolution_s[] = {60, 300, 900, 3600};
static const char *const k_gzip_decoders[] = {"auto", "isal", "zlib", "libdeflate"};

/* The accepted time forms, for the help text and every bad-time message. */
#define TIME_FORMS                                                                               \
    "YYYY-MM-DD, YYYY-MM-DDTHH[:MM[:SS]] (or a space for the T), optionally followed by Z or a " \
    "UTC offset +HH, +HH:MM or +HHMM (or -), or @EPOCH; from 1990-01-01 up to 2100-01-01 UTC "   \
    "(--until may be 2100-01-01 itself, --since must be before it)"

/* An option that no command knows, or one of another command: the nearest valid one. */
static int unknown_option(unsigned cmd, const char *arg)
{
    /* arg is "--name[=value]" or "-x" */
    char name[64];
    const char *p = arg + (arg[1] == '-' ? 2 : 1);
    size_t n = strcspn(p, "=");
    snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), p);
    fputs("cfscan: ", stderr);
    fprintf(stderr, "%s: unknown option '", cmd_name(cmd));
    cfs_write_safe(stderr, arg, strcspn(arg, "="));
    fputc('\'', stderr);
    if (arg[1] == '-') {
        const char *mine[NOPTS], *other = NULL;
        size_t nm = 0;
        int prefixed = 0;
        for (size_t i = 0; i < NOPTS; i++) {
            if (cfs_cli_opts[i].cmds & cmd) {
                mine[nm++] = long_name(i);
                if (n && !strncmp(long_name(i), name, n)) prefixed++;
            } else if (!strcmp(long_name(i), name)) {
                other = long_name(i);
            }
        }
        const char *near = nearest(name, mine, nm);
        if (prefixed > 1) {
            /* name them: "--s" is --since or --status or ... */
            fputs(" (ambiguous: it begins", stderr);
            int k = 0;
            for (size_t i = 0; i < nm; i++) {
                if (strncmp(mine[i], name, n) != 0) continue;
                fprintf(stderr, "%s --%s", k == 0 ? "" : k + 1 == prefixed ? " and" : ",", mine[i]);
                k++;
            }
            fputc(')', stderr);
        } else if (other) fprintf(stderr, " (--%s is not an option of %s)", other, cmd_name(cmd));
        else if (near) fprintf(stderr, " (did you mean --%s?)", near);
    }
    fputs("\n(run `cfscan help` for usage)\n", stderr);
    return CFS_EXIT_USAGE;
}

/* Parse argv[1..argc) (argv[0] is the command's name) with getopt_long for command cmd;
 * each option and each path goes to on(ctx, id, value), which returns -1 to go on or an
 * exit status.  Returns -1 when every argument was taken, else the exit status. */
typedef int (*opt_fn)(void *ctx, int id, const char *v);
static int parse_opts(unsigned cmd, int argc, char **argv, opt_fn on, void *ctx)
{
    struct option lo[NOPTS + 1];
    size_t n = 0;
    for (size_t i = 0; i < NOPTS; i++)
        if (cfs_cli_opts[i].cmds & cmd)
            lo[n++] = (struct option){long_name(i), cfs_cli_opts[i].arg ? required_argument : no_argument,
                                      NULL, cfs_cli_opts[i].id};
    lo[n] = (struct option){NULL, 0, NULL, 0};
    /* "-": paths come back in order as O_PATH (no permutation, whatever POSIXLY_CORRECT
     * says); ":": no messages from getopt itself, a missing value returns ':'. */
    const char *shorts = cmd == CMD_MERGE                      ? "-:o:qhV"
                         : cmd == CMD_DIFF || cmd == CMD_RULES ? "-:hV"
                         : cmd == CMD_SCAN                     ? "-:j:o:qvhV"
                                                               : "-:j:qvhV";
    /* getopt_long may reorder argv; the manifest's command line is g_argv, so a copy. */
    char **av = malloc(((size_t)argc + 1) * sizeof *av);
    if (!av) {
        say(NULL, NULL, "out of memory");
        return CFS_EXIT_FATAL;
    }
    memcpy(av, argv, (size_t)argc * sizeof *av);
    av[argc] = NULL;
    optind = 0; /* GNU: full reinitialization */
    opterr = 0;
    int rc = -1, c;
    while (rc < 0 && (c = getopt_long(argc, av, shorts, lo, NULL)) != -1) {
        if (c == '?') {
            const char *arg = av[optind - 1];
            if (optopt && opt_name(optopt) && arg[0] == '-' && arg[1] == '-') {
                /* a known option without a value, given one */
                char msg[160];
                snprintf(msg, sizeof msg, "option --%s takes no value", opt_name(optopt));
                rc = usage_error("%s", msg);
            } else if (optopt) {
                char sh[3] = {'-', (char)optopt, 0};
                rc = unknown_option(cmd, sh);
            } else {
                rc = unknown_option(cmd, arg);
            }
        } else if (c == ':') {
            const char *nm = opt_name(optopt);
            char msg[160];
            if (nm && optopt < 256) snprintf(msg, sizeof msg, "option -%c/--%s needs a value", optopt, nm);
            else snprintf(msg, sizeof msg, "option --%s needs a value", nm ? nm : "?");
            rc = usage_error("%s", msg);
        } else {
            rc = on(ctx, c, optarg);
        }
    }
    /* after "--" the rest are paths */
    while (rc < 0 && optind < argc) rc = on(ctx, O_PATH, av[optind++]);
    free(av);
    return rc;
}

/* --threads N */
static int parse_threads(const char *v, int *out)
{
    uint64_t n;
    if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > 1024)
        return usage_error("bad thread count '%s' (1..1024)", v);
    *out = (int)n;
    return -1;
}

/* t as YYYY-MM-DDTHH:MM:SSZ. */
static void utc_str(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, n, "@%lld", (long long)t);
}

/* --since/--until T into *t (UTC seconds): -1, or the exit status of a usage error. */
static int parse_time_opt(const char *opt, const char *v, int64_t *t)
{
    /* as a filter (filter_opt): a second value would silently replace the first */
    if (*t != CFS_NO_TIME) return usage_error("--%s given twice: the window has one of each end", opt);
    /* the window is since <= t < until: its end may be the end of the range itself */
    if ((strcmp(opt, "until") ? cfs_parse_time_arg(v, t) : cfs_parse_time_end(v, t)) == 0) return -1;
    /* Also refused: times outside the range every log time must lie in (a time past it
     * cannot match a line, and an epoch past 2^63 would wrap). */
    fprintf(stderr, "cfscan: --%s: bad time '", opt);
    cfs_write_safe(stderr, v, strnlen(v, 200));
    fputs("'; accepted: " TIME_FORMS "\n(run `cfscan help` for usage)\n", stderr);
    return CFS_EXIT_USAGE;
}

/* The end of a command whose whole answer is what it printed (help, version, rules): 0,
 * or 1 when standard output could not be written (README "Exit status": a full disk, a
 * closed file), said on stderr as the scan says it. */
static int stdout_done(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return CFS_EXIT_OK;
    /* a signal that stops the run interrupts a write into a full pipe: the run says
     * interrupted (130), not that the output failed */
    if (g_stop) return CFS_EXIT_INTERRUPTED;
    fprintf(stderr, "cfscan: writing the output failed: %s\n", strerror(errno ? errno : EIO));
    return CFS_EXIT_FATAL;
}

static int version(void)
{
    printf("cfscan %s (commit %s)\n", CFS_VERSION, CFS_BUILD_COMMIT);
    return stdout_done();
}

static int help(void)
{
    print_usage(stdout);
    return stdout_done();
}

/* An environment variable holding a whole number, into *out: 1, or 0 when unset. */
static int env_u32(const char *name, uint32_t *out, int *bad)
{
    const char *v = getenv(name);
    uint64_t n;
    if (!v || !*v) return 0;
    if (cfs_parse_u64(v, strlen(v), &n) != 0 || n > CFS_MF_MAX_SHARDS) {
        say(NULL, name, "not a whole number up to 1000000");
        *bad = 1;
        return 0;
    }
    *out = (uint32_t)n;
    return 1;
}

/* --shard I/N, auto or auto/N: -1 to go on, else the exit status (2).  auto takes the
 * index from the scheduler that set one: a Slurm array (SLURM_ARRAY_TASK_ID, so arrays
 * count from 0; SLURM_ARRAY_TASK_COUNT), an AWS Batch array (AWS_BATCH_JOB_ARRAY_INDEX,
 * AWS_BATCH_JOB_ARRAY_SIZE) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX; Kubernetes
 * sets no count).  The count: auto/N, else CFSCAN_SHARD_COUNT, else the scheduler's; a
 * rerun of one task (sbatch --array=2) has a count of 1, so job scripts give auto/N. */
static int parse_shard(const char *v, uint32_t *i, uint32_t *n)
{
    uint32_t idx = 0, cnt = 0;
    int have_i = 0, have_n = 0, bad = 0;
    const char *slash = strchr(v, '/');
    uint64_t a, b;
    if (!strncmp(v, "auto", 4) && (v[4] == 0 || v[4] == '/')) {
        uint32_t envn = 0;
        int have_envn = env_u32("CFSCAN_SHARD_COUNT", &envn, &bad);
        if (env_u32("SLURM_ARRAY_TASK_ID", &idx, &bad)) {
            have_i = 1;
            have_n = env_u32("SLURM_ARRAY_TASK_COUNT", &cnt, &bad);
        } else if (env_u32("AWS_BATCH_JOB_ARRAY_INDEX", &idx, &bad)) {
            have_i = 1;
            have_n = env_u32("AWS_BATCH_JOB_ARRAY_SIZE", &cnt, &bad);
        } else if (env_u32("JOB_COMPLETION_INDEX", &idx, &bad)) {
            have_i = 1;
        }
        if (have_envn) {
            cnt = envn;
            have_n = 1;
        }
        if (v[4] == '/') {
            if (cfs_parse_u64(v + 5, strlen(v + 5), &b) != 0 || b < 1 || b > CFS_MF_MAX_SHARDS)
                return usage_error("bad --shard count in '%s' (1..1000000)", v);
            cnt = (uint32_t)b;
            have_n = 1;
        }
        if (bad) return CFS_EXIT_USAGE;
        if (!have_i)
            return usage_error("--shard %s: no shard index in the environment (SLURM_ARRAY_TASK_ID, "
                               "AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX)",
                               v);
        if (!have_n)
            return usage_error("--shard %s: no shard count (give auto/N, or set CFSCAN_SHARD_COUNT)", v);
    } else {
        if (!slash || cfs_parse_u64(v, (size_t)(slash - v), &a) != 0 ||
            cfs_parse_u64(slash + 1, strlen(slash + 1), &b) != 0 || b < 1 || b > CFS_MF_MAX_SHARDS)
            return usage_error("bad --shard '%s' (I/N with 0 <= I < N <= 1000000, or auto, or auto/N)", v);
        idx = (uint32_t)(a > UINT32_MAX ? UINT32_MAX : a);
        cnt = (uint32_t)b;
    }
    if (cnt < 1 || idx >= cnt) {
        char msg[128];
        snprintf(msg, sizeof msg, "--shard %s: index %u is not below the count %u", v, idx, cnt);
        return usage_error("%s", msg);
    }
    *i = idx;
    *n = cnt;
    return -1;
}

/* Whether filter option id holds a value already (cfs_filter: NULL, -1 or 0 until given). */
static int filter_given(const cfs_filter *f, int id)
{
    switch (id) {
    case O_REQUEST_ID: return f->request_id != NULL;
    case O_STATUS: return f->status >= 0;
    case O_CAUSE: return f->cause >= 0;
    case O_DIST: return f->dist != NULL;
    case O_EDGE: return f->edge != NULL;
    case O_IP: return f->ip_family != 0;
    case O_URI_PREFIX: return f->uri_prefix != NULL;
    }
    return 0;
}

/* A filter option of `scan` or `requests` into c: -1 to go on, else the exit status.  One
 * value each: a second one would silently replace the first. */
static int filter_opt(scan_cmd *c, int id, const char *v)
{
    if (filter_given(&c->flt, id)) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "--%s given twice: a filter takes one value (run once per value, or use the wider filter)",
                 opt_name(id));
        return usage_error("%s", msg);
    }
    /* an empty id, edge, distribution or prefix matches nothing (or, as a prefix,
     * everything): a mistake in the command, not a question */
    if (!*v && (id == O_REQUEST_ID || id == O_DIST || id == O_EDGE || id == O_URI_PREFIX))
        return usage_error("--%s: an empty value", opt_name(id));
    uint64_t n;
    switch (id) {
    case O_REQUEST_ID: c->flt.request_id = v; return -1;
    case O_STATUS:
        if (cfs_parse_u64(v, strlen(v), &n) != 0 || n > 999)
            return usage_error("bad --status '%s' (0..999)", v);
        c->flt.status = (int)n;
        return -1;
    case O_CAUSE: {
        c->flt.cause = cfs_cause_lookup(v);
        if (c->flt.cause >= 0 && c->flt.cause != CFS_CAUSE_NONE) return -1;
        const char *names[CFS_CAUSE_COUNT];
        size_t k = 0;
        for (int i = 1; i < CFS_CAUSE_COUNT; i++) names[k++] = cfs_cause_name((cfs_cause)i);
        return bad_value("cause", v, names, k);
    }
    case O_DIST: c->flt.dist = v; return -1;
    case O_EDGE: c->flt.edge = v; return -1;
    case O_IP:
        if (cfs_filter_set_ip(&c->flt, v) != 0) return usage_error("bad --ip address or CIDR '%s'", v);
        c->ip_text = v;
        return -1;
    case O_URI_PREFIX: c->flt.uri_prefix = v; return -1;
    }
    return usage_error("%s", "internal error: a filter without a handler");
}

/* One option or path of `scan` or `requests` into c: -1 to go on, else the exit status. */
static int scan_opt(void *ctx, int id, const char *v)
{
    scan_cmd *c = ctx;
    uint64_t n;
    switch (id) {
    case O_PATH: return strv_push(&c->paths, v) != 0 ? CFS_EXIT_FATAL : -1;
    case O_THREADS: return parse_threads(v, &c->o.threads);
    case O_SINCE: return parse_time_opt("since", v, &c->o.since);
    case O_UNTIL: return parse_time_opt("until", v, &c->o.until);
    case O_CONFIG:
    case O_WAF_LOGS:
        /* evidence is read from files and directories, whose names the report states */
        if (!strcmp(v, "-"))
            return usage_error("--%s reads files and directories, not standard input ('-')",
                               id == O_CONFIG ? "config" : "waf-logs");
        return strv_push(id == O_CONFIG ? &c->configs : &c->wafs, v) != 0 ? CFS_EXIT_FATAL : -1;
    case O_GZIP_DECODER:
        if (!strcmp(v, "zlib")) c->o.gz = CFS_GZ_ZLIB;
        else if (!strcmp(v, "isal")) c->o.gz = CFS_GZ_ISAL;
        else if (!strcmp(v, "libdeflate")) c->o.gz = CFS_GZ_LIBDEFLATE;
        else if (!strcmp(v, "auto")) c->o.gz = CFS_GZ_AUTO;
        else return bad_value("gzip-decoder", v, k_gzip_decoders, 4);
        return -1;
    case O_SPLIT_ABOVE:
        /* bytes, with K, M or G as --memory-limit takes them (0: the default) */
        if (cfs_parse_u64(v, strlen(v), &n) != 0 && !(n = cfs_mem_parse(v)))
            return usage_error("bad --split-above byte count '%s' (bytes, optional K, M or G suffix)", v);
        c->o.big_file = n;
        return -1;
    case O_ENDPOINT_URL:
        if (!cfs_s3_endpoint_ok(v))
            return usage_error("bad --endpoint-url '%s' (want http://HOST[:PORT] or https://HOST[:PORT], "
                               "no path, query or fragment)",
                               v);
        cfs_s3_set_endpoint(v);
        return -1;
    case O_MEMORY_LIMIT: return set_memory_limit(v) != 0 ? CFS_EXIT_USAGE : -1;
    case O_PROGRESS: c->o.progress = 1; return -1;
    case O_NO_PROGRESS: c->o.progress = 0; return -1;
    case O_QUIET: c->quiet = 1; return -1;
    case O_VERBOSE: c->verbose = 1; return -1;
    case O_REDACT_CLIENTS: c->o.attr.redact_clients = 1; return -1;
    case O_FORMAT:
        c->json = c->html = 0;
        if (!strcmp(v, "json")) c->json = 1;
        else if (!c->requests_mode && !strcmp(v, "html")) c->html = 1;
        else if (strcmp(v, c->requests_mode ? "tsv" : "text") != 0)
            return bad_value("format", v, c->requests_mode ? k_row_formats : k_formats,
                             c->requests_mode ? 2 : 3);
        return -1;
    case O_OUTPUT: c->outdir = v; return -1;
    case O_TOP: return parse_top(v, &c->top);
    case O_REQUEST_ID:
    case O_STATUS:
    case O_CAUSE:
    case O_DIST:
    case O_EDGE:
    case O_IP:
    case O_URI_PREFIX: return filter_opt(c, id, v);
    case O_FIELDS: {
        c->have_cols = 1;
        return parse_fields(v, &c->cols) == 0 ? -1 : CFS_EXIT_USAGE;
    }
    case O_BRIEF: c->brief = 1; return -1;
    case O_RESOLUTION:
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, k_resolutions[i])) c->resolution = k_resolution_s[i];
        return c->resolution ? -1 : bad_value("resolution", v, k_resolutions, 4);
    case O_UPDATE: c->update = 1; return -1;
    case O_REBUILD: c->rebuild = 1; return -1;
    case O_SHARD: c->shard_arg = v; return parse_shard(v, &c->sel.shard_i, &c->sel.shard_n);
    case O_LOG_FIELDS: c->log_fields = v; return -1;
    case O_REALTIME_CONFIG: c->rt_config = v; return -1;
    case O_DELIMITER:
        /* one byte that cannot be part of a value or a name; "tab" for the default */
        if (!strcmp(v, "tab") || !strcmp(v, "\\t")) c->o.delim = '\t';
        else if (strlen(v) == 1 && v[0] > ' ' && v[0] < 0x7f && !isalnum((unsigned char)v[0]) &&
                 v[0] != '%' && v[0] != '-' && v[0] != '{' && v[0] != '#')
            c->o.delim = v[0];
        else
            return usage_error(
                "bad --delimiter '%s' (one printable byte other than a letter, digit, '%%', '-', "
                "'{' or '#'; or tab)",
                v);
        return -1;
    case O_HELP: return help();
    case O_VERSION: return version();
    }
    return usage_error("%s", "internal error: an option without a handler");
}

/* The report's timeline resolution: --resolution, else from the window's length when
 * both ends are given (up to 2 hours: 1m, 12 hours: 5m, 48 hours: 15m), else 1h.  A
 * sub-hour timeline is counted during the scan; the hourly one comes with the aggregate. */
static void set_resolution(scan_cmd *c)
{
    int s = c->resolution;
    if (!s && c->o.since != CFS_NO_TIME && c->o.until != CFS_NO_TIME) {
        int64_t w = c->o.until - c->o.since;
        s = w <= 2 * 3600 ? 60 : w <= 12 * 3600 ? 300 : w <= 48 * 3600 ? 900 : 3600;
    }
    /* with --cause the 403s whose cause is known only at the end go into a sub-hour
     * timeline as they settle (scan.c: line_extra, and the judging of those held back) */
    c->o.timeline_s = s && s < 3600 ? s : 0;
}

/* The warning for paths of one list dropped as repeats: first names the first of them,
 * how says what made them repeats (NULL: the same path). */
static void say_repeats(const char *option, const char *first, size_t dropped, const char *how)
{
    char what[64], msg[200];
    snprintf(what, sizeof what, "%s%swarning", option ? option : "", option ? " " : "");
    snprintf(msg, sizeof msg, "named more than once%s%s%s; read once%s", how ? " (" : "", how ? how : "",
             how ? ")" : "", dropped > 1 ? ", as are other such paths" : "");
    say(what, first, msg);
}

/* Paths of one list (the log inputs, or one evidence option's) that name what an earlier
 * one names are dropped, with a warning naming the first of them (cfs_paths_drop_repeats). */
static void drop_repeats(strv *l, const char *option)
{
    const char *first = NULL;
    const size_t named = l->n;
    l->n = cfs_paths_drop_repeats((const char **)l->v, l->n, &first);
    if (first) say_repeats(option, first, named - l->n, "the same file, or inside a directory also named");
}

/* Paths of l that resolve to the same file or directory as an earlier one are dropped,
 * with the warning drop_repeats gives; paths that do not resolve are kept (loading them
 * reports why). */
static void drop_same_paths(strv *l, const char *option)
{
    char *real[256] = {0};
    const char *first = NULL;
    size_t kept = 0, n = l->n < 256 ? l->n : 256, dropped = 0;
    for (size_t i = 0; i < n; i++) {
        char *r = realpath(l->v[i], NULL);
        int seen = 0;
        for (size_t k = 0; r && k < kept && !seen; k++) seen = real[k] && strcmp(real[k], r) == 0;
        if (seen) {
            if (!first) first = l->v[i];
            dropped++;
            free(r);
            continue;
        }
        real[kept] = r;
        l->v[kept++] = l->v[i];
    }
    for (size_t i = n; i < l->n; i++) l->v[kept++] = l->v[i]; /* past 256: kept as given */
    l->n = kept;
    for (size_t k = 0; k < kept && k < 256; k++) free(real[k]);
    if (first) say_repeats(option, first, dropped, NULL);
}

/* The command line of `scan` or `requests` into c: -1 to go on, else the exit status
 * (a usage error, or 0 after --help or --version). */
static int parse_scan_args(scan_cmd *c, int argc, char **argv)
{
    int rc = parse_opts(c->requests_mode ? CMD_REQUESTS : CMD_SCAN, argc, argv, scan_opt, c);
    if (rc >= 0) return rc;
    if (!c->paths.n) return usage_error("%s", "no input paths given");
    /* An s3:// path that names no bucket is a mistake in the command, said before any
     * input is read, as for every other bad value. */
    for (size_t i = 0; i < c->paths.n; i++) {
        char *bucket, *prefix, e[200];
        if (!cfs_s3_is_url(c->paths.v[i])) continue;
        const cfs_status st = cfs_s3_parse_url(c->paths.v[i], &bucket, &prefix, e, sizeof e);
        free(bucket);
        free(prefix);
        if (st == CFS_E_USAGE) {
            char msg[600];
            snprintf(msg, sizeof msg, "%.380s: %s", c->paths.v[i], e);
            return usage_error("%s", msg);
        }
    }
    /* A file named twice, or inside a directory also named, is read once (its lines
     * would otherwise count twice); said, as it is likely a mistake in the command. */
    drop_repeats(&c->paths, NULL);
    /* The same for the evidence: an input read twice would count its coverage twice.  A
     * --config directory stands for its *.json files only, while a file named directly
     * is read whatever its name, so only the same config path twice is dropped there. */
    drop_same_paths(&c->configs, "--config");
    drop_repeats(&c->wafs, "--waf-logs");
    if (c->o.since != CFS_NO_TIME && c->o.until != CFS_NO_TIME && c->o.since >= c->o.until) {
        char a[32], b[32], msg[200];
        utc_str(c->o.since, a, sizeof a);
        utc_str(c->o.until, b, sizeof b);
        snprintf(msg, sizeof msg, "--since %s is not before --until %s: the window is empty", a, b);
        return usage_error("%s", msg);
    }
    if (c->brief && (c->json || c->html))
        return usage_error("%s", "--brief shapes the text report; it does not go with --format json or html");
    if ((c->update || c->rebuild) && !c->outdir)
        return usage_error("%s", "--update and --rebuild need -o DIR");
    if (c->update && c->rebuild) return usage_error("%s", "--update and --rebuild exclude each other");
    if (c->outdir && !c->requests_mode && c->flt.cause >= 0)
        return usage_error("%s",
                           "--cause does not go with -o: a summary keeps the 403s that are judged at the "
                           "end unjudged, and a merge judges them again; write the summary without it and "
                           "filter its tables by cause");
    if (c->shard_arg)
        for (size_t i = 0; i < c->paths.n; i++)
            if (!strcmp(c->paths.v[i], "-")) return usage_error("%s", "--shard cannot split standard input");
    if (c->log_fields && c->rt_config)
        return usage_error("%s", "--log-fields and --realtime-config exclude each other");
    if (c->log_fields || c->rt_config) {
        char e[400];
        cfs_status st = c->log_fields
                            ? cfs_layout_from_list(&c->start_layout, c->log_fields, c->o.delim, e, sizeof e)
                            : cfs_layout_from_realtime_config(&c->start_layout, &c->sampling, c->rt_config, e,
                                                              sizeof e);
        if (st != CFS_OK) {
            char msg[480];
            snprintf(msg, sizeof msg, "%s %s", c->log_fields ? "--log-fields:" : "--realtime-config", e);
            return usage_error("%s", msg);
        }
        c->o.start_layout = &c->start_layout;
    }
    return -1;
}

/* The window and filters given, in a fixed order, for the report (and stderr). */
static void set_selection(scan_cmd *c)
{
#define SEL(name, value)                    \
    do {                                    \
        c->sel_names[c->nsel] = (name);     \
        c->sel_values[c->nsel++] = (value); \
    } while (0)
    if (c->o.since != CFS_NO_TIME) {
        utc_str(c->o.since, c->sel_time[0], sizeof c->sel_time[0]);
        SEL("since", c->sel_time[0]);
    }
    if (c->o.until != CFS_NO_TIME) {
        utc_str(c->o.until, c->sel_time[1], sizeof c->sel_time[1]);
        SEL("until", c->sel_time[1]);
    }
    if (c->flt.request_id) SEL("request-id", c->flt.request_id);
    if (c->flt.dist) SEL("dist", c->flt.dist);
    if (c->flt.edge) SEL("edge", c->flt.edge);
    if (c->flt.status >= 0) {
        snprintf(c->sel_status, sizeof c->sel_status, "%03d", c->flt.status);
        SEL("status", c->sel_status);
    }
    if (c->flt.cause >= 0) SEL("cause", cfs_cause_name((cfs_cause)c->flt.cause));
    if (c->ip_text) SEL("ip", c->ip_text);
    if (c->flt.uri_prefix) SEL("uri-prefix", c->flt.uri_prefix);
#undef SEL
}

/* After the scan: did the window and filters select nothing?  Then say so on stderr
 * (one line naming them) and in the report, and the exit status is 3.  selected is what
 * came through (requests: rows printed; scan: lines aggregated). */
static void check_selection(scan_cmd *c, uint64_t selected)
{
    const cfs_ledger *L = &c->res.ledger;
    /* The paths named held no file at all (an empty directory, a sync that fetched
     * nothing): that is no answer either.  A shard or --update whose selection passed
     * files over is not this: those files exist and are another run's. */
    if (!c->res.nfiles && !L->failed && !L->pruned && !c->sel.other_shard && !c->sel.known_skipped &&
        !c->sel.changed) {
        snprintf(c->nothing_why, sizeof c->nothing_why, "%s", "the paths given hold no file");
        /* named, up to three, through say's escaping (paths may hold any byte) */
        char names[600];
        size_t o = 0;
        for (size_t i = 0; i < c->paths.n && i < 3; i++)
            o += (size_t)snprintf(names + o, sizeof names - o, "%s%.180s", i ? ", " : "", c->paths.v[i]);
        if (c->paths.n > 3) snprintf(names + o, sizeof names - o, " and %zu more", c->paths.n - 3);
        say(c->paths.n > 1 ? "the paths given hold no file to read" : "the path given holds no file to read",
            NULL, names);
        c->outcome.selected_nothing = 1;
        return;
    }
    /* Only when something was there to select from: inputs that held no line at all are
     * reported as such (warned) already. */
    /* Nor when it chose only files an earlier run counted (--update, not a byte read: an
     * input that still cannot be opened reads none): they are in the summary, which the
     * report is. */
    if (!c->nsel || selected || (c->sel.known_skipped && !L->tot.bytes_in && !L->tot.lines) ||
        !(L->pruned || L->tot.filtered || L->tot.aggregated))
        return;
    /* requests: the rows are chosen among the requests the scan read, and none matched,
     * so every one of them was filtered out: the counts a scan with the same selection
     * gives */
    const uint64_t filtered = L->tot.filtered + (c->requests_mode ? L->tot.aggregated : 0);
    snprintf(c->nothing_why, sizeof c->nothing_why,
             "%llu files skipped by name, %llu lines filtered out, %llu requests read",
             (unsigned long long)L->pruned, (unsigned long long)filtered,
             (unsigned long long)(c->requests_mode ? 0 : L->tot.aggregated));
    fputs("cfscan: the window and filters (", stderr);
    for (size_t i = 0; i < c->nsel; i++) {
        fprintf(stderr, "%s--%s ", i ? " " : "", c->sel_names[i]);
        cfs_write_safe(stderr, c->sel_values[i], strlen(c->sel_values[i]));
    }
    fprintf(stderr, ") selected nothing: %s\n", c->nothing_why);
    c->outcome.selected_nothing = 1;
}

/* -o DIR did not exist when prepare_output_dir looked (one -o a process). */
static int g_out_new;

/* -o DIR of scan or merge, before any input is read: refused now rather than after a long
 * run (publishing checks again), its missing parents made, and checked again once they
 * exist ("new/../old" names a directory only then), and a place where the summary can be
 * written. */
static cfs_status prepare_output_dir(const char *dir, char *err, size_t errlen)
{
    cfs_status st = cfs_summary_check_output(dir, err, errlen);
    if (st == CFS_OK) st = cfs_summary_make_parent(dir, err, errlen);
    if (st == CFS_OK) st = cfs_summary_check_output(dir, err, errlen);
    if (st == CFS_OK) st = cfs_summary_check_writable(dir, err, errlen);
    /* held until the process ends (its exit lets go of the lock) */
    int lock = -1, absent = 0;
    if (st == CFS_OK) st = cfs_summary_lock(dir, &lock, &absent, err, errlen);
    /* no directory to lock: the summary published must be the first there (new_dir); a
     * file system without locks leaves an existing one unlocked, not absent */
    g_out_new = st == CFS_OK && absent;
    return st;
}

static int check_output_dir(scan_cmd *c)
{
    if (!c->outdir || c->requests_mode) return 0;
    c->outcome.fatal = prepare_output_dir(c->outdir, c->err, sizeof c->err);
    if (c->outcome.fatal == CFS_OK) return 0;
    say("summary not written", NULL, c->err);
    return -1;
}

/* 1 when a file found in a --config directory is a config by its name. */
static int config_file_name(const char *path)
{
    static const char *const ends[] = {".json", ".json.gz", ".json.zst"};
    size_t pl = strlen(path);
    for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++) {
        size_t el = strlen(ends[i]);
        if (pl >= el && strcmp(path + pl - el, ends[i]) == 0) return 1;
    }
    return 0;
}

/* --config: files and directories of distribution configs.  A config that fails to
 * load is an evidence failure; the run goes on without it. */
static int load_configs(scan_cmd *c)
{
    for (size_t i = 0; i < c->configs.n; i++) {
        /* A directory stands for the *.json files in it (e.g. one per distribution). */
        cfs_inputs cf;
        memset(&cf, 0, sizeof cf);
        struct stat sb;
        int is_dir = stat(c->configs.v[i], &sb) == 0 && S_ISDIR(sb.st_mode);
        if (is_dir) {
            cfs_inputs_add(&cf, c->configs.v[i], CFS_NO_TIME, CFS_NO_TIME);
        } else {
            cf.v = calloc(1, sizeof *cf.v);
            if (!cf.v || !(cf.v[0].path = strdup(c->configs.v[i]))) {
                free(cf.v);
                say("--config", NULL, "out of memory");
                c->outcome.fatal = CFS_E_NOMEM;
                return -1;
            }
            cf.n = 1;
        }
        for (size_t k = 0; k < cf.nerr; k++) {
            say("--config", cf.err[k].path, cf.err[k].msg);
            c->outcome.evidence_failed = 1;
        }
        size_t njson = 0, failed = 0, before = c->cfg.n;
        for (size_t k = 0; k < cf.n; k++) {
            /* In a directory only *.json files (plain, or compressed as .json.gz or
             * .json.zst) are configs, however many there are (a lone notes.txt beside
             * nothing else is not one); a file named directly is read whatever its name. */
            if (is_dir && !config_file_name(cf.v[k].path)) continue;
            njson++;
            if (cfs_config_load(&c->cfg, cf.v[k].path, c->err, sizeof c->err) != CFS_OK) {
                say("--config", NULL, c->err);
                c->outcome.evidence_failed = 1;
                failed++;
            }
        }
        if (cfs_evid_add_config(&c->ev, c->configs.v[i], &c->cfg, before, c->cfg.n, njson, failed) !=
            CFS_OK) {
            cfs_inputs_free(&cf);
            say("--config", NULL, "out of memory");
            c->outcome.fatal = CFS_E_NOMEM;
            return -1;
        }
        if (is_dir && !njson && !cf.nerr) {
            say("--config", c->configs.v[i],
                "no .json files in this directory (only *.json, *.json.gz and *.json.zst files in it are configs)");
            c->outcome.evidence_failed = 1;
        }
        cfs_inputs_free(&cf);
    }
    /* versions of one distribution that no line can be judged by: said, not silent */
    for (size_t i = 0; i < c->cfg.n; i++) {
        const cfs_dist_config *d = &c->cfg.d[i];
        const size_t untimed = d->first_version ? 0 : cfs_config_untimed_versions(&c->cfg, d);
        if (!untimed) continue;
        char msg[300];
        snprintf(
            msg, sizeof msg,
            "%zu of the %zu configs of %s have no LastModifiedTime (or none read) and judge no line: each line is "
            "judged by the timed one in force when it was written (`aws cloudfront get-distribution` "
            "gives the time)",
            untimed, cfs_config_versions(&c->cfg, d), d->id);
        say("--config warning", NULL, msg);
    }
    if (c->configs.n) c->o.attr.config = &c->cfg;
    return 0;
}

/* --waf-logs: one index over every WAF log; a failure is an evidence failure. */
static int load_waf_logs(scan_cmd *c)
{
    if (!c->wafs.n) return 0;
    c->err[0] = 0;
    cfs_status st = cfs_waf_load(&c->waf, c->wafs.v, c->wafs.n, c->o.since, c->o.until, c->err,
                                 sizeof c->err);
    if (st != CFS_OK) {
        /* every file that failed, by name (the first is c->err) */
        const size_t ne = cfs_waf_error_count(c->waf);
        if (ne == 0) say("--waf-logs", NULL, c->err[0] ? c->err : cfs_status_str(st));
        for (size_t i = 0; i < ne && i < CFS_WAF_MAX_ERRORS; i++)
            say("--waf-logs", NULL, cfs_waf_error_at(c->waf, i));
        if (ne > CFS_WAF_MAX_ERRORS) {
            char more[96];
            snprintf(more, sizeof more, "and %zu more files that could not be read", ne - CFS_WAF_MAX_ERRORS);
            say("--waf-logs", NULL, more);
        }
        c->outcome.evidence_failed = 1;
    }
    const cfs_waf_stats *ws = cfs_waf_get_stats(c->waf);
    if (ws && ws->bad_lines) {
        /* a line that is no WAF record may have been a block's: said, and exit 3 */
        char msg[200];
        snprintf(msg, sizeof msg, "%llu lines are not WAF records (their paths are among the warnings)",
                 (unsigned long long)ws->bad_lines);
        say("--waf-logs warning", NULL, msg);
        c->outcome.evidence_uncovered = 1;
    }
    if (cfs_waf_incomplete(c->waf))
        say("--waf-logs warning", NULL,
            "the WAF logs were not read whole: a 403 without a block record is not taken for one WAF "
            "did not block (a joined block still proves one)");
    c->o.attr.waf = c->waf;
    if (cfs_evid_add_waf(&c->ev, c->waf) != CFS_OK) {
        say("--waf-logs", NULL, "out of memory");
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    return 0;
}

/* The filters go to the scan: `scan` counts the lines they exclude as filtered;
 * `requests` judges every line of the selected distributions (their verdicts need it)
 * and collects the rows that pass.  Nonzero when the run ends here. */
static int set_filters(scan_cmd *c)
{
    if (cfs_filter_compile(&c->flt, c->err, sizeof c->err) != CFS_OK) {
        say(NULL, NULL, c->err);
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    if (!c->requests_mode) {
        c->o.lines = cfs_filter_any(&c->flt) ? &c->flt : NULL;
        return 0;
    }
    c->dist_only.dist = c->flt.dist;
    if (cfs_filter_compile(&c->dist_only, c->err, sizeof c->err) != CFS_OK) {
        say(NULL, NULL, c->err);
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    c->o.lines = c->flt.dist ? &c->dist_only : NULL;
    return 0;
}

/* `requests`: the filter and the output fields go to the scan. */
static void set_request_filter(scan_cmd *c)
{
    c->f.sel = &c->flt;
    /* For tests only: a small row-memory cap makes `requests` spill its rows to a
     * temporary file (the default is CFS_ROWS_MEM_DEFAULT). */
    const char *cap = getenv("CFS_REQUESTS_SPILL_BYTES");
    uint64_t capn;
    if (cap && cfs_parse_u64(cap, strlen(cap), &capn) == 0 && capn > 0) c->o.rows_mem = capn;
    if (!c->have_cols)
        for (size_t i = 0; i < sizeof k_default_fields / sizeof k_default_fields[0]; i++)
            cols_add_log(&c->cols, k_default_fields[i]);
    c->f.out = c->cols.log;
    c->f.nout = c->cols.nlog;
    c->o.filter = &c->f;
}

/* -o: the summary's input manifest, with the shard it covers; --update also loads what
 * the summary in -o counted (into c->known, which the walk's filter reads) and starts
 * the new manifest with its entries.  Nonzero when the run ends here. */
static int setup_manifest(scan_cmd *c)
{
    cfs_mf_writer *w = calloc(1, sizeof *w);
    if (!w) {
        say(NULL, NULL, "out of memory");
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    cfs_mf_writer_init(w);
    c->sum.mf = w;
    cfs_status st = CFS_OK;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->outdir, CFS_MF_FILE);
    struct stat sb;
    snprintf(c->err, sizeof c->err, "%s", "");
    cfs_mf_scan_of(NULL, 0, c->sel_names, c->sel_values, c->nsel, &c->sel_id, c->sel_label);
    if (c->update) {
        /* No summary there yet: the first night of a nightly job reads everything. */
        char mpath[4096];
        snprintf(mpath, sizeof mpath, "%s/manifest.json", c->outdir);
        if (stat(mpath, &sb) == 0) {
            st = cfs_mf_set_load(&c->known, path, c->err, sizeof c->err);
            if (st == CFS_E_IO && errno == ENOENT) {
                snprintf(c->err, sizeof c->err,
                         "%s: has no %s (made by a cfscan without input manifests), so "
                         "what it counted is unknown: rescan with --rebuild",
                         c->outdir, CFS_MF_FILE);
                st = CFS_E_USAGE;
            }
            /* A counted input is never read again: lines the summary's window or filters
             * left out of one would never be counted by a run with others. */
            const cfs_mf_selection *ks = &c->known.sel;
            if (st == CFS_OK && !cfs_mf_selection_allows(ks, c->sel_id, c->o.since, c->o.until)) {
                const char *now = c->sel_label[0] ? c->sel_label : "no window or filters";
                if (ks->excluded) {
                    snprintf(
                        c->err, sizeof c->err,
                        "%.200s: read with %.160s, which left lines of its inputs uncounted; --update never "
                        "reads a counted input again, so with %.160s they would never be counted: give the "
                        "same window and filters, or --rebuild",
                        c->outdir, ks->id ? ks->label : "several windows or filters (parts merged)", now);
                } else { /* late requests: which windows would do (cfs_mf_selection_allows) */
                    char a[32] = "", b[32] = "";
                    if (ks->late_since != CFS_NO_TIME) utc_str(ks->late_since, a, sizeof a);
                    if (ks->late_until != CFS_NO_TIME) utc_str(ks->late_until, b, sizeof b);
                    snprintf(
                        c->err, sizeof c->err,
                        "%.200s: its windows of whole hours (%s .. %s) left out requests that ended after "
                        "them, in files --update never reads again; with %.160s, which reads those files' "
                        "hours, they would never be counted: give a window %s%s%s%s%s%s, or --rebuild",
                        c->outdir, a[0] ? a : "the start", b[0] ? b : "the end", now,
                        a[0] ? "that ends by " : "", a, a[0] && b[0] ? " or " : "",
                        b[0] ? "that starts at " : "", b, b[0] ? " or later" : "");
                }
                st = CFS_E_USAGE;
            }
            if (st == CFS_OK) st = cfs_mf_writer_append_file(w, path, c->err, sizeof c->err);
            /* The state the new counts are added to, checked before any input is read: a
             * damaged one would otherwise be found after the whole scan, at publishing. */
            if (st == CFS_OK) {
                char spath[4096];
                snprintf(spath, sizeof spath, "%s/state.cfs", c->outdir);
                st = cfs_state_verify(spath, c->err, sizeof c->err);
                if (st != CFS_OK && st != CFS_E_FORMAT && st != CFS_E_NOMEM) {
                    /* missing, unreadable or damaged: an input that cannot be read (4) */
                    say("summary not written", NULL, c->err);
                    c->outcome.evidence_failed = 1;
                    return -1;
                }
            }
            if (st == CFS_OK && c->known.shards.n && !c->sel.shard_n) {
                snprintf(c->err, sizeof c->err,
                         "%s: is a summary of shards of %u: --update it with its own --shard", c->outdir,
                         c->known.shards.n);
                st = CFS_E_USAGE;
            }
            /* --redact-clients promises no full address in any output: a summary that
             * holds them (made without it) cannot be redacted by adding to it */
            if (st == CFS_OK && c->o.attr.redact_clients && !cfs_summary_dir_redacted(c->outdir)) {
                snprintf(c->err, sizeof c->err,
                         "%s: holds full client addresses (made without --redact-clients), which "
                         "--update cannot redact: rescan with --rebuild --redact-clients",
                         c->outdir);
                st = CFS_E_USAGE;
            }
            c->have_old = st == CFS_OK;
            if (c->have_old) c->sel.known = &c->known;
            /* The report is then the updated summary's, whose timeline is hourly as a
             * merge's (the summary holds the traffic by hour): no sub-hour one to count. */
            if (c->have_old && c->o.timeline_s && c->resolution)
                say("scan --update: warning", c->outdir,
                    "its report is the updated summary's, whose 403 timeline is hourly: --resolution "
                    "applies to a scan without a summary to add to");
            if (c->have_old) c->o.timeline_s = 0;
        }
    }
    if (st == CFS_OK && c->sel.shard_n) {
        uint64_t scan;
        char label[CFS_MF_LABEL];
        cfs_mf_scan_of((const char *const *)c->paths.v, c->paths.n, c->sel_names, c->sel_values, c->nsel,
                       &scan, label);
        st = cfs_mf_writer_shard(w, c->sel.shard_i, c->sel.shard_n, scan, label, c->err, sizeof c->err);
    }
    if (st == CFS_OK && c->have_old && c->sel.shard_n && c->known.shards.n == c->sel.shard_n) {
        uint32_t covered = 0;
        for (uint32_t i = 0; i < c->known.shards.n; i++) covered += c->known.shards.have[i];
        if (covered != 1 || !c->known.shards.have[c->sel.shard_i]) {
            snprintf(c->err, sizeof c->err,
                     "%s: covers other shards than %u/%u: --update it with its own --shard", c->outdir,
                     c->sel.shard_i, c->sel.shard_n);
            st = CFS_E_USAGE;
        }
    }
    if (st != CFS_OK) {
        say("summary not written", NULL, c->err);
        c->outcome.fatal = st == CFS_E_FORMAT ? CFS_E_USAGE : st;
        return -1;
    }
    return 0;
}

/* Walk and scan every input.  Nonzero when the run ends here (fatal or over budget). */
static int scan_inputs(scan_cmd *c)
{
    /* Inputs stream from the walk in batches: nothing here grows with the number of
     * files except the summary's per-input rows (-o). */
    c->sink.sum = c->outdir && !c->requests_mode ? &c->sum : NULL;
    if (c->sink.sum) cfs_summary_init(&c->sum);
    c->o.keep_state = c->sink.sum != NULL; /* the summary stores the unsettled aggregate */
    c->o.on_input = on_input;
    c->o.on_input_ctx = &c->sink;
    c->sink.roots = c->paths.v;
    c->sink.nroots = c->paths.n;
    c->sink.by_name_only = !c->flt.record && c->flt.cause < 0 &&
                           (c->o.since == CFS_NO_TIME || c->o.since % 3600 == 0) &&
                           (c->o.until == CFS_NO_TIME || c->o.until % 3600 == 0);
    if (c->sink.sum && setup_manifest(c) != 0) return -1;
    double t0 = now_s();
    cfs_walk *walk = cfs_walk_open((const char *const *)c->paths.v, c->paths.n, c->o.since, c->o.until);
    if (!walk) { /* out of memory (recorded) */
        if (!out_of_memory(&c->outcome, "nothing read")) {
            say("out of memory", NULL, "nothing read");
            c->outcome.fatal = CFS_E_NOMEM;
        }
        return -1;
    }
    cfs_walk_set_dist(walk, c->flt.dist);
    c->sel.roots = c->paths.v;
    c->sel.nroots = c->paths.n;
    if (c->sel.shard_n || c->update) {
        cfs_walk_set_filter(walk, cfs_mf_select_input, &c->sel);
        cfs_walk_set_owner(walk, cfs_mf_select_owns);
    }
    cfs_status st = cfs_scan_walk(walk, &c->o, &c->res);
    const char *in_as = cfs_walk_stdin_read_as(walk);
    if (in_as) say("warning: -: standard input is the file the walk found as", in_as, "not read again as -");
    if (c->sink.interrupted > 1)
        fprintf(stderr, "cfscan: and %llu more inputs: interrupted\n",
                (unsigned long long)(c->sink.interrupted - 1));
    cfs_walk_close(walk);
    c->outcome.ledger = &c->res.ledger;
    if (out_of_memory(&c->outcome, c->requests_mode ? "no rows printed" : "nothing written")) return -1;
    if (st == CFS_E_IO && c->requests_mode && cfs_scan_rows_begin(&c->res, c->err, sizeof c->err) != CFS_OK) {
        say("requests", NULL, c->err); /* the rows could not be spilled */
        c->outcome.fatal = CFS_E_IO;
        return -1;
    }
    if (st != CFS_OK) {
        c->outcome.fatal = st;
        return -1;
    }
    if (c->res.interrupted) c->outcome.interrupted = 1;
    if (c->res.over_budget) {
        say_over_budget(&c->res.keys);
        c->outcome.over_budget = 1;
        return -1;
    }
    /* what the summary's next --update must keep to (cfs_mf_selection) */
    if (c->sum.mf)
        cfs_mf_writer_selection(c->sum.mf, c->sel_id, c->sink.left_out, c->sink.left_late, c->o.since,
                                c->o.until, c->sel_label);
    c->scan_seconds = now_s() - t0;
    return 0;
}

/* The value of verdict column kind for row (NUL-terminated; cand is room for the
 * candidates). */
static const char *verdict_value(int kind, const cfs_req_row *row, const cfs_waf_index *w, char *cand,
                                 size_t n)
{
    switch (kind) {
    case COL_CAUSE: return cfs_cause_name((cfs_cause)row->at.cause);
    case COL_EVIDENCE: return cfs_evidence_name((cfs_evidence)row->at.evidence);
    case COL_RULE: return cfs_rule_name(row->at.rule);
    case COL_WAF_RULE: {
        const char *r = cfs_req_row_waf_rule(row, w);
        return r ? r : "-";
    }
    default: {
        /* an undecided line (cause unknown) names the causes the data leaves open */
        uint32_t mask = cfs_candidates(row->at.rule, row->at.excl);
        if (!mask) return "-";
        cfs_candidates_str(mask, cand, n);
        return cand;
    }
    }
}

/* The name of output column i. */
static const char *col_name(const out_cols *o, size_t i)
{
    const out_col *k = &o->v[i];
    if (k->kind != COL_LOG) return k_verdict_cols[k->kind];
    return o->log[k->log] == CFS_F_UNKNOWN ? "distribution" : cfs_field_name(o->log[k->log]);
}

/* The verdict columns every row ends with, each unless --fields chose it already (a
 * TSV header naming one column twice reads as two columns in DuckDB and pandas). */
static const int k_tail_cols[] = {COL_CAUSE, COL_EVIDENCE, COL_RULE, COL_CANDIDATES};
#define NTAIL (sizeof k_tail_cols / sizeof k_tail_cols[0])
_Static_assert(NTAIL == sizeof((scan_cmd *)0)->tail / sizeof(int),
               "scan_cmd.tail has a flag per tail column");

/* One row: TSV or a JSON object, the columns, then cause, evidence, rule and candidates
 * unless chosen already.  Log values are raw log bytes: TAB separates them in the row's
 * text; each is made safe. */
static void print_row(scan_cmd *c, const cfs_req_row *row)
{
    const out_cols *o = &c->cols;
    const char *val[MAX_COLS];
    size_t len[MAX_COLS];
    const char *p = row->text, *end = row->text + row->len;
    for (size_t i = 0; i < o->nlog; i++) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        val[i] = p;
        len[i] = t ? (size_t)(t - p) : (size_t)(end - p);
        p = t ? t + 1 : end;
    }
    char cand[256];
    for (size_t i = 0; i < o->n; i++) {
        const out_col *k = &o->v[i];
        if (c->json) {
            fputs(i ? "," : "{", stdout);
            json_key(col_name(o, i));
        } else if (i) {
            fputc('\t', stdout);
        }
        if (k->kind == COL_LOG) {
            if (c->json) cfs_write_json_str(stdout, val[k->log], len[k->log]);
            else cfs_write_safe(stdout, val[k->log], len[k->log]);
        } else {
            const char *v = verdict_value(k->kind, row, c->waf, cand, sizeof cand);
            if (c->json) cfs_write_json_str(stdout, v, strlen(v));
            else cfs_write_safe(stdout, v, strlen(v));
        }
    }
    int any = o->n > 0;
    for (size_t t = 0; t < NTAIL; t++) {
        if (c->tail[t] == 0) continue;
        const char *v = verdict_value(k_tail_cols[t], row, c->waf, cand, sizeof cand);
        if (c->json) {
            fputs(any ? "," : "{", stdout);
            json_key(k_verdict_cols[k_tail_cols[t]]);
            cfs_write_json_str(stdout, v, strlen(v));
        } else {
            if (any) fputc('\t', stdout);
            cfs_write_safe(stdout, v, strlen(v));
        }
        any = 1;
    }
    fputs(c->json ? "}\n" : "\n", stdout);
}

/* `requests`: the TSV header, then one row per matching request in time order (TSV, or
 * JSON lines with --format json), then the inputs with rejected lines on stderr.
 * Nonzero when the rows could not be read back. */
static int print_request_rows(scan_cmd *c)
{
    for (size_t t = 0; t < NTAIL; t++) c->tail[t] = col_index(&c->cols, k_tail_cols[t], CFS_F_UNKNOWN) < 0;
    if (!c->json) {
        size_t n = 0;
        for (size_t i = 0; i < c->cols.n; i++)
            fprintf(stdout, "%s%s", n++ ? "\t" : "", col_name(&c->cols, i));
        for (size_t t = 0; t < NTAIL; t++)
            if (c->tail[t]) fprintf(stdout, "%s%s", n++ ? "\t" : "", k_verdict_cols[k_tail_cols[t]]);
        fputc('\n', stdout);
    }
    const cfs_req_row *row;
    int more;
    if (cfs_scan_rows_begin(&c->res, c->err, sizeof c->err) != CFS_OK) {
        say("requests", NULL, c->err);
        c->outcome.fatal = cfs_nomem_failed() ? CFS_E_NOMEM : CFS_E_IO;
        return -1;
    }
    while (!g_stop && (more = cfs_scan_rows_next(&c->res, &row, c->err, sizeof c->err)) != 0) {
        if (more < 0) {
            say("requests", NULL, c->err);
            c->outcome.fatal = cfs_nomem_failed() ? CFS_E_NOMEM : CFS_E_IO;
            return -1;
        }
        print_row(c, row);
        c->rows_out++;
    }
    if (!g_stop) check_selection(c, c->rows_out);
    say_rejections(&c->res.ledger);
    return 0;
}

/* Each evidence input's warning on stderr ("--waf-logs PATH: covers none ..."); how many. */
static size_t say_evidence_warnings(const cfs_evid_set *es)
{
    size_t n = 0;
    for (size_t i = 0; i < es->n; i++) {
        const cfs_evid_input *e = &es->v[i];
        if (!e->warning) continue;
        char who[600];
        snprintf(who, sizeof who, "%s %.500s", cfs_evid_kind_option(e->kind), e->path);
        say(who, NULL, e->warning);
        n++;
    }
    return n;
}

/* What each evidence input covered; one that covered none of the scanned traffic, or is
 * not what it claims to be, is said on stderr (and in the report) and makes the exit
 * status 3. */
static void say_evidence(scan_cmd *c, const cfs_view *v)
{
    if (!cfs_evid_assess(&c->ev, v, c->configs.n ? &c->cfg : NULL)) return;
    say_evidence_warnings(&c->ev);
    c->outcome.evidence_uncovered = 1;
}

/* This run's sampling rate (sampling.h): --realtime-config's SamplingRate; not known for
 * real-time logs read with --log-fields, or a list that could name either kind's columns
 * (cfs_log_fields_standard); standard logs, v2 Plain read with --log-fields included, are
 * not sampled. */
static int run_sampling(const scan_cmd *c)
{
    if (c->sampling) return c->sampling; /* --realtime-config's SamplingRate */
    /* headerless lines: real-time logs have a rate their configuration holds, standard
     * logs (v2 Plain without its header) none */
    if (c->log_fields && !cfs_log_fields_standard(c->log_fields)) return CFS_SAMPLING_UNKNOWN;
    return CFS_SAMPLING_NONE;
}

/* The sampling of this run's lines into s: the rate its option gives is that of the
 * lines read by the option's fields; inputs that named their own fields (a #Fields: line,
 * v2 JSON, Parquet) are standard logs, never sampled, so a run of both has both. */
static void add_run_sampling(const scan_cmd *c, cfs_sampling *s)
{
    const int rate = run_sampling(c);
    const cfs_ledger *l = &c->res.ledger;
    if (rate == CFS_SAMPLING_NONE || l->headerless || !l->described) cfs_sampling_add(s, rate);
    if (rate != CFS_SAMPLING_NONE && l->described) cfs_sampling_add(s, CFS_SAMPLING_NONE);
}

/* --update: the summary in -o plus this run's (c->sum, which gives up its manifest: it
 * already starts with the old entries), published as one; its view is kept in c->merged
 * for the printed report. */
static cfs_status publish_update(scan_cmd *c, const cfs_report_opts *ro, const char *line, char *err,
                                 size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/state.cfs", c->outdir);
    cfs_summary *old = &c->updated;
    cfs_status st = cfs_state_read(old, path, err, errlen);
    /* damaged past the checks made before the scan (implausible content), or since: as
     * merge says of such a part, an input that cannot be read (publish_summary: 4) */
    if (st != CFS_OK && st != CFS_E_FORMAT && st != CFS_E_NOMEM && st != CFS_E_INTERRUPTED)
        return CFS_E_CORRUPT;
    if (st != CFS_OK) return st == CFS_E_FORMAT ? CFS_E_USAGE : st;
    c->have_updated = 1; /* freed with c */
    if (cfs_summary_rules(old) != cfs_rules_fingerprint())
        say("scan --update: warning", c->outdir,
            "its 403s so far were judged by attribution rules other than this cfscan's and keep those "
            "causes (rescan all its logs to judge them again)");
    /* What the earlier runs could not read at all is this run's to look at again: its own
     * rows say what it still cannot read (an error fixed since is gone, one still there is
     * listed once). */
    if (cfs_summary_drop_retried(old) != 0) {
        snprintf(err, errlen, "%s", old->rows_failed);
        return CFS_E_IO;
    }
    /* This run walked the same paths: the files its window skipped by name are the ones
     * the earlier runs skipped (a sum counted them once per run). */
    const uint64_t pruned = c->sum.pruned;
    cfs_summary_merge(old, &c->sum);
    old->pruned = pruned;
    if (cfs_evid_merge(&old->evidence, &c->sum.evidence) != CFS_OK) {
        snprintf(err, errlen, "out of memory merging the evidence records");
        return CFS_E_NOMEM;
    }
    old->mf = c->sum.mf;
    c->sum.mf = NULL;
    /* redacted only if both parts are: one full address makes it personal */
    old->clients_redacted = c->sum.clients_redacted && cfs_summary_dir_redacted(c->outdir);
    old->stop = c->sum.stop;
    old->threads = c->sum.threads;
    /* the report covers the old runs too: their sampling rates with this run's */
    c->update_ro = *ro;
    cfs_summary_own_report(old, &c->update_ro);
    /* The report is the whole summary's, as a merge's: this run's window and filters
     * chose only what this run added, so it names none, and does not call the summary
     * empty when they chose nothing (stderr and the exit status say that). */
    c->update_ro.sel_names = c->update_ro.sel_values = NULL;
    c->update_ro.nsel = 0;
    c->update_ro.selected_nothing = 0;
    c->update_ro.nothing_why = NULL;
    old->report = &c->update_ro;
    st = cfs_summary_view(old, &c->merged, err, errlen);
    c->have_merged = 1;
    /* The old summary with this run's added holds more than the scan did: over the budget
     * here, nothing is written, as merge says of its parts (publish_summary: 5). */
    if (st == CFS_OK && cfs_mem_over()) {
        say_summary_over_budget(old);
        c->outcome.over_budget = 1;
        return CFS_E_NOMEM;
    }
    if (st == CFS_OK) st = cfs_summary_publish(old, &c->merged, c->outdir, line, err, errlen);
    return st; /* old stays until the report is printed: update_ro points into it */
}

/* -o: the summary directory, replaced atomically, with the report files made from ro and
 * the scan's settled view v (so they are the report printed).  Nonzero when the run ends
 * here (a fatal publish error); an interrupted publish goes on to the exit status 130. */
static int publish_summary(scan_cmd *c, const cfs_report_opts *ro, const cfs_view *v)
{
    cfs_summary_add_state(&c->sum, c->res.state, v, c->waf);
    /* the rates of this run's lines: an update that read none (no new input, or only ones
     * that failed) adds none */
    if (!c->have_old || c->res.ledger.tot.lines) add_run_sampling(c, &c->sum.sampling);
    if (cfs_evid_merge(&c->sum.evidence, &c->ev) != CFS_OK) {
        say("summary not written", NULL, "out of memory");
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    c->sum.clients_redacted = c->o.attr.redact_clients;
    c->sum.stop = &g_stop;
    c->sum.new_dir = g_out_new;
    c->sum.threads = c->o.threads;
    c->sum.report = ro;
    char *line = argv_line(g_argc, g_argv);
    if (!line) {
        say("summary not written", NULL, "out of memory");
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    char perr[512] = "";
    cfs_status pst = c->sink.mf_status;
    if (pst != CFS_OK) snprintf(perr, sizeof perr, "%s", c->sink.mf_err);
    else if (c->have_old) pst = publish_update(c, ro, line, perr, sizeof perr);
    else pst = cfs_summary_publish(&c->sum, v, c->outdir, line, perr, sizeof perr);
    free(line);
    cfs_summary_free(&c->sum);
    c->sink.sum = NULL;
    if (pst == CFS_E_INTERRUPTED) {
        say("interrupted", c->outdir, "summary not written");
        c->res.interrupted = 1;
    } else if (pst != CFS_OK) {
        if (c->outcome.over_budget) return -1; /* said: nothing written (5) */
        say("summary not written", NULL, perr);
        /* publishing writes: only the state --update reads can be damaged (4) */
        if (pst == CFS_E_CORRUPT) c->outcome.evidence_failed = 1;
        else c->outcome.fatal = pst;
        return -1;
    }
    return 0;
}

/* The report of view v in the format asked for, into a buffer (*rep, *len; the caller
 * frees it); running out of memory is recorded (cfs_nomem) for the caller to report. */
static void render_report(const scan_cmd *c, const cfs_view *v, const cfs_report_opts *ro, char **rep,
                          size_t *len)
{
    free(*rep);
    *rep = NULL;
    *len = 0;
    FILE *mf = open_memstream(rep, len);
    if (!mf) {
        cfs_nomem("holding the report");
        return;
    }
    if (c->html) cfs_report_html(mf, v, ro);
    else if (c->json) cfs_report_json(mf, v, ro);
    else if (c->brief) cfs_report_brief(mf, v, ro);
    else cfs_report_text(mf, v, ro);
    if (fclose(mf) != 0) cfs_nomem("holding the report");
}

/* `scan`: publish the summary (-o), then print the report.  Nonzero when the run ends
 * here. */
static int publish_and_report(scan_cmd *c)
{
    /* Every phase after the scan checks the stop flag too: SIGINT/SIGTERM during the
     * publish or the report ends the run with 130, and nothing is half-published. */
    if (c->outdir) test_raise_at("publish");
    if (g_stop) c->res.interrupted = 1;
    /* rule names and the notes' reserved names (waf.h), indexed as cfs_wrow.rule */
    size_t nw = c->waf ? cfs_waf_name_count(c->waf) : 0;
    const char **wnames = calloc(nw ? nw : 1, sizeof *wnames);
    if (!wnames) {
        say(NULL, NULL, "out of memory");
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    for (size_t i = 0; i < nw; i++) wnames[i] = cfs_waf_name(c->waf, (uint32_t)i);
    /* one set of report options: the printed report and the summary's report files */
    cfs_report_opts ro = {.top = c->top,
                          .with_config = c->configs.n > 0,
                          .with_waf = c->wafs.n > 0,
                          .waf_rules = wnames,
                          .nwaf_rules = nw,
                          .stop = &g_stop,
                          .waf = c->waf,
                          .config = c->configs.n ? &c->cfg : NULL,
                          .evidence = &c->ev,
                          .sel_names = c->sel_names,
                          .sel_values = c->sel_values,
                          .nsel = c->nsel,
                          .selected_nothing = c->outcome.selected_nothing,
                          .nothing_why = c->nothing_why};
    add_run_sampling(c, &ro.sampling);
    /* The scan ended settled: the report and the summary's tables read its view. */
    cfs_view v = cfs_scan_view(&c->res);
    say_evidence(c, &v);
    /* The report is made before the summary is published, so that running out of memory
     * making it leaves no summary behind either (xalloc.h); it is printed after.  With
     * --update the report printed is the updated summary's, which exists only once
     * published: it is made then. */
    char *rep = NULL;
    size_t replen = 0;
    if (!c->have_old) render_report(c, &v, &ro, &rep, &replen);
    int stop = 0;
    if (out_of_memory(&c->outcome, "nothing written")) {
        stop = -1;
    } else if (c->outdir && c->res.interrupted) {
        /* A partial scan must not replace the previous summary (exit status 130). */
        say("interrupted", c->outdir, "summary not written");
    } else if (c->outdir) {
        stop = publish_summary(c, &ro, &v);
    }
    if (!stop) test_raise_at("report");
    if (!stop && !g_stop && c->have_merged) {
        render_report(c, &c->merged, &c->update_ro, &rep, &replen);
        if (out_of_memory(&c->outcome, "report not printed (the summary was published)")) stop = -1;
    }
    if (!stop && !g_stop && rep) fwrite(rep, 1, replen, stdout);
    free(rep);
    free(wnames);
    return stop;
}

/* Nonzero when stdout could not be written completely (a full disk, a closed pipe). */
static int flush_output(scan_cmd *c)
{
    if (stdout_done() == CFS_EXIT_OK) return 0;
    c->outcome.fatal = CFS_E_IO;
    return -1;
}

/* Throughput (unless -q) and, with -v, the aggregation's memory peak, on stderr. */
static void say_run_stats(const scan_cmd *c)
{
    double el = c->scan_seconds;
    uint64_t bytes = c->res.ledger.tot.bytes_out, lines = c->res.ledger.tot.lines;
    if (!c->quiet)
        fprintf(stderr,
                "cfscan: %zu files, %.1f MB decoded, %llu lines in %.3f s: %.0f MB/s, %.2f M lines/s\n",
                c->res.nfiles, bytes / 1e6, (unsigned long long)lines, el, el > 0 ? bytes / 1e6 / el : 0.0,
                el > 0 ? lines / 1e6 / el : 0.0);
    if (c->verbose) {
        fprintf(stderr, "cfscan: aggregation memory peak %lld bytes (budget %llu)\n",
                (long long)cfs_mem_peak(), (unsigned long long)cfs_mem_limit());
        fprintf(stderr,
                "cfscan: phases: reading and counting %.3f s, merging the threads' tables %.3f s, judging "
                "held-back 403s %.3f s, settling %.3f s\n",
                c->res.t_pass, c->res.t_merge, c->res.t_judge, c->res.t_settle);
    }
}

/* The steps of a parsed `scan` or `requests` run, in order; a step that returns
 * nonzero ends the run there, with c->outcome saying why. */
static void scan_cmd_steps(scan_cmd *c)
{
    if (check_output_dir(c) != 0) return;
    catch_stop_signals();
    c->o.stop = &g_stop;
    if (load_configs(c) != 0) return;
    if (load_waf_logs(c) != 0) return;
    if (set_filters(c) != 0) return;
    if (c->requests_mode) set_request_filter(c);
    set_selection(c);
    if (!c->requests_mode) set_resolution(c);
    if (scan_inputs(c) != 0) return;
    if (!c->requests_mode && !c->res.interrupted) check_selection(c, c->res.ledger.tot.aggregated);
    if (c->verbose) fprintf(stderr, "cfscan: scan kernel %s\n", c->res.kernel);
    if (c->requests_mode) {
        /* no report: an evidence input that covered nothing is said on stderr only */
        cfs_view v = cfs_scan_view(&c->res);
        say_evidence(c, &v);
    }
    if (c->requests_mode ? print_request_rows(c) : publish_and_report(c)) return;
    if (g_stop) c->res.interrupted = 1;
    if (c->res.interrupted) c->outcome.interrupted = 1;
    if (flush_output(c) != 0) return;
    say_run_stats(c);
}

static int run(int argc, char **argv, int requests_mode)
{
    scan_cmd c;
    scan_cmd_init(&c, requests_mode);
    int rc = parse_scan_args(&c, argc, argv);
    if (rc < 0) {
        scan_cmd_steps(&c);
        if (c.res.interrupted) c.outcome.interrupted = 1;
        rc = exit_status(&c.outcome);
    }
    scan_cmd_free(&c);
    return rc;
}

typedef struct merge_args {
    strv *dirs;
    const char *out;
    int json, html, quiet;
    int dedupe;
    uint32_t expect; /* --expect N, 0 when not given */
    int top;         /* --top N */
} merge_args;

/* One option or path of `merge`: -1 to go on, else the exit status. */
static int merge_opt(void *ctx, int id, const char *v)
{
    merge_args *m = ctx;
    switch (id) {
    case O_PATH: return strv_push(m->dirs, v) != 0 ? CFS_EXIT_FATAL : -1;
    case O_OUTPUT: m->out = v; return -1;
    case O_FORMAT:
        m->json = !strcmp(v, "json");
        m->html = !strcmp(v, "html");
        if (!m->json && !m->html && strcmp(v, "text") != 0) return bad_value("format", v, k_formats, 3);
        return -1;
    case O_QUIET: m->quiet = 1; return -1;
    case O_MEMORY_LIMIT: return set_memory_limit(v) != 0 ? CFS_EXIT_USAGE : -1;
    case O_DEDUPE: m->dedupe = 1; return -1;
    case O_TOP: return parse_top(v, &m->top);
    case O_EXPECT: {
        uint64_t n;
        if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > CFS_MF_MAX_SHARDS)
            return usage_error("bad --expect shard count '%s' (1..1000000)", v);
        m->expect = (uint32_t)n;
        return -1;
    }
    case O_HELP: return help();
    case O_VERSION: return version();
    }
    return usage_error("%s", "internal error: an option without a handler");
}

/* ---- what a merge may add: no input twice, every expected shard ------------------------- */
typedef struct owned_key {
    uint64_t key;
    size_t owner;
} owned_key;

static int cmp_owned(const void *a, const void *b)
{
    const owned_key *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->owner < y->owner ? -1 : x->owner > y->owner;
}

typedef struct part_pair {
    size_t a, b; /* a < b */
    uint64_t shared;
} part_pair;

static int cmp_pair(const void *x, const void *y)
{
    const part_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

/* Name (at most *left more) the inputs of part a's manifest that part b's set holds. */
static void name_shared(const char *dir_a, const cfs_mf_set *b, int *left)
{
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/%s", dir_a, CFS_MF_FILE);
    cfs_mf_reader r;
    if (cfs_mf_open(&r, path, err, sizeof err) != CFS_OK) return;
    cfs_mf_entry e;
    while (*left > 0 && cfs_mf_next(&r, &e, err, sizeof err) > 0) {
        const uint64_t key = cfs_mf_path_hash(e.rel);
        if (cfs_mf_set_find(b, key) < 0) continue;
        /* the same file, or another one under the same path (scanned from other roots:
         * the path is what an input is known by, so the two cannot be told apart) */
        const int same = cfs_mf_set_holds(b, key, cfs_mf_ident(e.size, e.fp));
        fputs("cfscan:   shared input: ", stderr);
        cfs_write_safe(stderr, e.rel, strlen(e.rel));
        fputs(same ? "\n"
                   : " (not the same file there: its size or fingerprint differs; scanned from two roots?)\n",
              stderr);
        (*left)--;
    }
    cfs_mf_close(&r);
}

/* Each part's input set into sets[i] (a part without a manifest, allowed without --dedupe
 * and --expect: left empty, *unchecked set).  -1 to go on, else the exit status. */
static int load_parts(const merge_args *ma, cfs_mf_set *sets, int *unchecked)
{
    size_t n = ma->dirs->n;
    cfs_run_end outcome = {.ledger = NULL, .fatal = CFS_OK};
    char err[512];
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        /* A part that is no summary at all is that, not one without a manifest. */
        snprintf(path, sizeof path, "%s/state.cfs", ma->dirs->v[i]);
        if (access(path, F_OK) != 0) {
            say("merge", path, strerror(errno));
            outcome.evidence_failed = 1;
            return exit_status(&outcome);
        }
        snprintf(path, sizeof path, "%s/%s", ma->dirs->v[i], CFS_MF_FILE);
        cfs_status st = cfs_mf_set_load(&sets[i], path, err, sizeof err);
        if (st == CFS_E_IO && errno == ENOENT && !ma->expect && !ma->dedupe) {
            /* A summary made before manifests: merged as before, unchecked, and the
             * merge records no manifest either (what it holds is not known). */
            char msg[600];
            snprintf(msg, sizeof msg,
                     "has no %s (made by a cfscan without input manifests): it cannot be checked "
                     "for inputs another summary also counted, and the merge gets no %s",
                     CFS_MF_FILE, CFS_MF_FILE);
            say("merge: warning", ma->dirs->v[i], msg);
            *unchecked = 1;
            continue;
        }
        if (st == CFS_E_IO && errno == ENOENT)
            snprintf(err, sizeof err,
                     "%s: has no %s (made by a cfscan without input manifests), so --%s cannot be "
                     "applied; rescan it",
                     ma->dirs->v[i], CFS_MF_FILE, ma->expect ? "expect" : "dedupe");
        if (st != CFS_OK) {
            say("merge", NULL, err);
            outcome.fatal = st == CFS_E_NOMEM ? st : CFS_OK;
            outcome.evidence_failed = 1;
            return exit_status(&outcome);
        }
    }
    return -1;
}

/* The pairs of parts that share inputs, a < b, with how many (sorted by a, then b);
 * *out_n of them.  NULL when memory ran out. */
static part_pair *shared_pairs(const cfs_mf_set *sets, size_t n, size_t *out_n)
{
    /* Every (path hash, part) pair, sorted: equal neighbours are shared inputs. */
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += sets[i].n;
    owned_key *all = malloc((total ? total : 1) * sizeof *all);
    part_pair *pairs = NULL;
    size_t npairs = 0, pcap = 0;
    if (!all) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < sets[i].n; j++) all[k++] = (owned_key){sets[i].key[j], i};
    qsort(all, total, sizeof *all, cmp_owned);
    size_t u = 0; /* a path once per part, whatever identities it has there */
    for (size_t i = 0; i < total; i++)
        if (!u || all[i].key != all[u - 1].key || all[i].owner != all[u - 1].owner) all[u++] = all[i];
    total = u;
    for (size_t i = 0; i < total;) {
        size_t j = i + 1;
        while (j < total && all[j].key == all[i].key) j++;
        for (size_t x = i; x < j; x++)
            for (size_t y = x + 1; y < j; y++) {
                if (all[x].owner == all[y].owner) continue;
                if (npairs == pcap) {
                    pcap = pcap ? pcap * 2 : 64;
                    part_pair *np = realloc(pairs, pcap * sizeof *np);
                    if (!np) {
                        free(all);
                        free(pairs);
                        return NULL;
                    }
                    pairs = np;
                }
                pairs[npairs++] = (part_pair){all[x].owner, all[y].owner, 1};
            }
        i = j;
    }
    free(all);
    if (npairs > 1) qsort(pairs, npairs, sizeof *pairs, cmp_pair);
    size_t m = 0; /* fold equal pairs into counts */
    for (size_t i = 0; i < npairs; i++) {
        if (m && pairs[m - 1].a == pairs[i].a && pairs[m - 1].b == pairs[i].b) pairs[m - 1].shared++;
        else pairs[m++] = pairs[i];
    }
    *out_n = m;
    if (!pairs) pairs = malloc(sizeof *pairs); /* none shared: an empty list, not a failure */
    return pairs;
}

/* Why part i may not be one of --expect N's shards (into msg), or NULL when it may: the
 * parts are shards of N, of the scan of part first, and hold nothing else. */
static const char *not_expected_shard(const merge_args *ma, const cfs_mf_set *sets, size_t i, size_t first,
                                      char *msg, size_t len)
{
    const cfs_mf_shards *sh = &sets[i].shards;
    const char *dir = ma->dirs->v[i];
    if (sh->n != ma->expect && sh->n)
        snprintf(msg, len, "%s holds shards of %u, not of %u", dir, sh->n, ma->expect);
    else if (sh->n != ma->expect)
        snprintf(msg, len,
                 "%s records no shards (made without --shard, or merged with such a summary), so --expect %u "
                 "cannot be checked",
                 dir, ma->expect);
    else if (sh->with_other) /* a merge of shards with whole scans of others */
        snprintf(
            msg, len,
            "%s holds whole scans beside its shards of %u (a merge with other summaries), so it is not a "
            "part of one scan's shards",
            dir, ma->expect);
    else if (sh->scan != sets[first].shards.scan) /* shards of two days would read as one day's */
        snprintf(msg, len, "%s holds shards of another scan (%s) than %s (%s)", dir,
                 sh->label[0] ? sh->label : "recorded before scans were named", ma->dirs->v[first],
                 sets[first].shards.label[0] ? sets[first].shards.label : "recorded before scans were named");
    else return NULL;
    return msg;
}

/* --expect N: every part left is a shard summary of N of one scan, and together they hold
 * every shard (the missing ones are named).  0 when so, 1 when refused (said), -1 out of
 * memory. */
static int check_expected_shards(const merge_args *ma, const cfs_mf_set *sets, const uint8_t *skip)
{
    size_t n = ma->dirs->n;
    uint8_t *have = calloc(ma->expect, 1);
    if (!have) return -1;
    int bad = 0;
    size_t first = SIZE_MAX; /* the first part: every other must be of its scan */
    for (size_t i = 0; i < n && !bad; i++) {
        if (skip[i]) continue;
        if (first == SIZE_MAX) first = i;
        char msg[1024];
        if (not_expected_shard(ma, sets, i, first, msg, sizeof msg)) {
            say("merge refused", NULL, msg);
            bad = 1;
            break;
        }
        for (uint32_t s = 0; s < ma->expect; s++) have[s] |= sets[i].shards.have[s];
    }
    if (!bad) {
        cfs_mf_shards cov = {.n = ma->expect, .have = have};
        char ranges[512], msg[700];
        uint32_t missing = 0;
        for (uint32_t s = 0; s < ma->expect; s++) missing += !have[s];
        if (missing) {
            cfs_mf_shards_str(&cov, 0, ranges, sizeof ranges);
            snprintf(msg, sizeof msg, "%u of %u shards missing: %s (rerun them; nothing merged)", missing,
                     ma->expect, ranges);
            say("merge refused", NULL, msg);
            bad = 1;
        }
    }
    free(have);
    return bad;
}

/* Decide which parts a merge adds (skip[i] = 1 for the others) from their manifests:
 * parts that share an input are refused (exit 4, naming up to 10 shared inputs), except
 * with --dedupe a part whose every input (path, size, fingerprint) another part also
 * holds, which is left out (of equal parts the first is kept).  A partial overlap cannot
 * be resolved from summaries: the shared inputs' counts are inside both aggregates and
 * cannot be subtracted.  --expect N: every part must be a shard summary of N and
 * together they must cover every shard.  -1 to go on, else the exit status.  Memory:
 * 16 bytes per input in the sets plus 16 per input for the overlap search. */
static int plan_merge(const merge_args *ma, uint8_t *skip, int *unchecked)
{
    size_t n = ma->dirs->n, npairs = 0;
    cfs_run_end outcome = {.ledger = NULL, .fatal = CFS_OK};
    cfs_mf_set *sets = calloc(n ? n : 1, sizeof *sets);
    part_pair *pairs = NULL;
    int rc = -1;
    if (!sets) goto nomem;
    if ((rc = load_parts(ma, sets, unchecked)) >= 0) goto done;
    if (!(pairs = shared_pairs(sets, n, &npairs))) goto nomem;
    if (ma->dedupe)
        for (size_t i = 0; i < npairs; i++) {
            size_t a = pairs[i].a, b = pairs[i].b; /* a < b: of equal parts, b goes */
            if (pairs[i].shared == sets[b].n && cfs_mf_set_subset(&sets[b], &sets[a])) skip[b] = 1;
            else if (pairs[i].shared == sets[a].n && cfs_mf_set_subset(&sets[a], &sets[b])) skip[a] = 1;
        }
    /* What is left must be disjoint. */
    int left = 10, bad = 0;
    uint64_t unnamed = 0;
    for (size_t i = 0; i < npairs; i++) {
        size_t a = pairs[i].a, b = pairs[i].b;
        if (skip[a] || skip[b]) continue;
        char msg[1024];
        snprintf(msg, sizeof msg, "%s and %s share %llu input%s%s", ma->dirs->v[a], ma->dirs->v[b],
                 (unsigned long long)pairs[i].shared, pairs[i].shared == 1 ? "" : "s",
                 ma->dedupe
                     ? " and neither holds all of the other's inputs: the shared inputs' counts are inside "
                       "both summaries and cannot be taken once (rescan them, or merge one that holds the "
                       "other)"
                     : ": merging them would count those inputs twice (--dedupe leaves out a summary whose "
                       "inputs another one holds all of)");
        say("merge refused", NULL, msg);
        int before = left;
        name_shared(ma->dirs->v[a], &sets[b], &left);
        unnamed += pairs[i].shared - (uint64_t)(before - left);
        bad = 1;
    }
    if (bad) {
        if (unnamed) fprintf(stderr, "cfscan:   and %llu more shared inputs\n", (unsigned long long)unnamed);
        outcome.evidence_failed = 1;
        rc = exit_status(&outcome);
        goto done;
    }
    if (ma->expect) {
        int ex = check_expected_shards(ma, sets, skip);
        if (ex < 0) goto nomem;
        if (ex > 0) {
            outcome.evidence_failed = 1;
            rc = exit_status(&outcome);
            goto done;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (skip[i] && !ma->quiet)
            say("merge --dedupe", ma->dirs->v[i], "left out: another summary holds all of its inputs");
    goto done;
nomem:
    say("merge", NULL, "out of memory");
    outcome.fatal = CFS_E_NOMEM;
    rc = exit_status(&outcome);
done:
    for (size_t i = 0; sets && i < n; i++) cfs_mf_set_free(&sets[i]);
    free(sets);
    free(pairs);
    return rc;
}

/* Read and add the parts not skipped to all, with the union of their manifests.  -1 to
 * go on, else the exit status (a part that cannot be read, memory). */
static int add_parts(const strv *dirs, const uint8_t *skip, cfs_summary *all)
{
    cfs_run_end outcome = {.ledger = NULL, .fatal = CFS_OK};
    /* The merge is redacted only if every input is: one full address makes it personal. */
    all->clients_redacted = 1;
    for (size_t i = 0; i < dirs->n && !g_stop; i++) {
        if (skip[i]) continue;
        if (!cfs_summary_dir_redacted(dirs->v[i])) all->clients_redacted = 0;
        char path[4096], err[512] = "";
        snprintf(path, sizeof path, "%s/state.cfs", dirs->v[i]);
        cfs_summary one;
        cfs_status st = cfs_state_read(&one, path, err, sizeof err);
        if (st == CFS_OK && all->mf) { /* the union of the manifests, checked disjoint above */
            char mpath[4096];
            snprintf(mpath, sizeof mpath, "%s/%s", dirs->v[i], CFS_MF_FILE);
            st = cfs_mf_writer_append_file(all->mf, mpath, err, sizeof err);
            if (st != CFS_OK) cfs_summary_free(&one);
        }
        if (st != CFS_OK) {
            say("merge", NULL, err);
            /* a state of another schema: 2 (rescan); out of memory: 1; a state that cannot
             * be read or is corrupt or implausible (summary_state.c's checks): 4, a damaged input */
            if (st == CFS_E_FORMAT) outcome.fatal = CFS_E_USAGE;
            else if (st == CFS_E_NOMEM) outcome.fatal = st;
            else outcome.evidence_failed = 1;
            return exit_status(&outcome);
        }
        if (cfs_summary_rules(&one) != cfs_rules_fingerprint())
            say("merge: warning", dirs->v[i],
                "its 403s were judged by attribution rules other than this cfscan's and keep those "
                "causes (rescan its logs to judge them again)");
        cfs_summary_merge(all, &one);
        /* the evidence each summary's scan used, reported by the merge (issue 17) */
        cfs_status est = cfs_evid_merge(&all->evidence, &one.evidence);
        cfs_summary_free(&one);
        if (est != CFS_OK) {
            say("merge", NULL, "out of memory merging the evidence records: summary not written");
            outcome.fatal = est;
            return exit_status(&outcome);
        }
        if (out_of_memory(&outcome, "summary not written")) {
            return exit_status(&outcome);
        }
        if (cfs_mem_over()) {
            say_summary_over_budget(all);
            outcome.over_budget = 1;
            return exit_status(&outcome);
        }
    }
    return -1;
}

/* The parts in the order of their states' digests (cfs_state_digest; the order named
 * where two are equal or unreadable, which the merge reports later), skip (the parts
 * --dedupe leaves out, by index) reordered with them.  The parts' held-back
 * 403s are judged in part order and a top list past its capacity depends on the order of
 * what it counts, so without this `merge a b` and `merge b a` could list other clients. */
typedef struct part_key {
    uint64_t digest;
    size_t at;
    const char *dir;
} part_key;

static int part_key_cmp(const void *a, const void *b)
{
    const part_key *x = a, *y = b;
    if (x->digest != y->digest) return x->digest < y->digest ? -1 : 1;
    return x->at < y->at ? -1 : x->at > y->at;
}

static int order_parts(strv *dirs, uint8_t *skip)
{
    part_key *k = calloc(dirs->n ? dirs->n : 1, sizeof *k);
    uint8_t *sk = malloc(dirs->n ? dirs->n : 1);
    if (!k || !sk) {
        free(k);
        free(sk);
        return -1;
    }
    for (size_t i = 0; i < dirs->n; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/state.cfs", dirs->v[i]);
        k[i] = (part_key){cfs_state_digest(p), i, dirs->v[i]};
    }
    qsort(k, dirs->n, sizeof *k, part_key_cmp);
    for (size_t i = 0; i < dirs->n; i++) {
        dirs->v[i] = k[i].dir;
        sk[i] = skip[k[i].at];
    }
    memcpy(skip, sk, dirs->n);
    free(k);
    free(sk);
    return 0;
}

/* `merge` into all (initialized and freed by merge_cmd); returns the exit status. */
static int merge_summaries(int argc, char **argv, strv *dirs, cfs_summary *all)
{
    merge_args ma = {.dirs = dirs, .top = CFS_REPORT_TOP_DEFAULT};
    cfs_mem_set_limit(cfs_mem_default_limit());
    int prc = parse_opts(CMD_MERGE, argc, argv, merge_opt, &ma);
    if (prc >= 0) return prc;
    const char *out = ma.out;
    int json = ma.json, quiet = ma.quiet;
    if (!out) return usage_error("%s", "merge needs -o OUT");
    if (!dirs->n) return usage_error("%s", "merge needs at least one summary directory");
    cfs_run_end outcome = {.ledger = NULL, .fatal = CFS_OK};
    {
        char err[512] = "";
        outcome.fatal = prepare_output_dir(out, err, sizeof err);
        if (outcome.fatal != CFS_OK) {
            say("summary not written", NULL, err);
            return exit_status(&outcome);
        }
    }
    double t0 = now_s();
    catch_stop_signals();
    uint8_t *skip = calloc(dirs->n ? dirs->n : 1, 1);
    all->mf = calloc(1, sizeof *all->mf);
    if (!skip || !all->mf) {
        free(skip);
        say("merge", NULL, "out of memory");
        outcome.fatal = CFS_E_NOMEM;
        return exit_status(&outcome);
    }
    cfs_mf_writer_init(all->mf);
    int unchecked = 0;
    int prc2 = plan_merge(&ma, skip, &unchecked);
    if (prc2 >= 0) {
        free(skip);
        return prc2;
    }
    /* which parts --dedupe leaves out is decided in the order named (of equal ones the
     * first named stays, README); then they are merged in the digests' order */
    if (order_parts(dirs, skip) != 0) {
        free(skip);
        say("merge", NULL, "out of memory");
        outcome.fatal = CFS_E_NOMEM;
        return exit_status(&outcome);
    }
    if (unchecked) {
        cfs_mf_writer_free(all->mf);
        free(all->mf);
        all->mf = NULL;
    }
    int arc = add_parts(dirs, skip, all);
    free(skip);
    if (arc >= 0) return arc;
    test_raise_at("publish");
    if (g_stop) {
        say("interrupted", out, "summary not written");
        outcome.interrupted = 1;
        return exit_status(&outcome);
    }
    /* The merge ends settled: the summary's tables, its report files and the report
     * printed here all read this one view. */
    cfs_view v;
    char err[512] = "";
    cfs_status st = cfs_summary_view(all, &v, err, sizeof err);
    if (st == CFS_OK && out_of_memory(&outcome, "summary not written")) {
        cfs_view_free(&v);
        return exit_status(&outcome);
    }
    if (st == CFS_OK && cfs_mem_over()) {
        say_summary_over_budget(all);
        outcome.over_budget = 1;
        cfs_view_free(&v);
        return exit_status(&outcome);
    }
    /* The report first (see publish_and_report): out of memory making it, nothing is
     * published. */
    cfs_report_opts ro = {.top = ma.top};
    cfs_summary_own_report(all, &ro);
    ro.stop = &g_stop;
    char *rep = NULL;
    size_t replen = 0;
    FILE *mf = st == CFS_OK ? open_memstream(&rep, &replen) : NULL;
    if (st == CFS_OK && !mf) cfs_nomem("holding the report");
    else if (mf && ma.html) cfs_report_html(mf, &v, &ro);
    else if (mf && json) cfs_report_json(mf, &v, &ro);
    else if (mf) cfs_report_text(mf, &v, &ro);
    if (mf && fclose(mf) != 0) cfs_nomem("holding the report");
    if (st == CFS_OK && out_of_memory(&outcome, "summary not written")) {
        free(rep);
        cfs_view_free(&v);
        return exit_status(&outcome);
    }
    if (st == CFS_OK) {
        char *line = argv_line(g_argc, g_argv);
        all->stop = &g_stop;
        all->new_dir = g_out_new;
        all->report = &ro; /* the summary's report files are the printed report (--top) */
        if (line) {
            st = cfs_summary_publish(all, &v, out, line, err, sizeof err);
        } else {
            snprintf(err, sizeof err, "out of memory");
            st = CFS_E_NOMEM;
        }
        free(line);
    }
    if (st == CFS_E_INTERRUPTED) {
        say("interrupted", out, "summary not written");
        outcome.interrupted = 1;
    } else if (st != CFS_OK) {
        say("summary not written", NULL, err);
        outcome.fatal = st;
    }
    if (st != CFS_OK) {
        free(rep);
        cfs_view_free(&v);
        return exit_status(&outcome);
    }
    test_raise_at("report");
    if (!g_stop && rep) fwrite(rep, 1, replen, stdout);
    free(rep);
    outcome.ledger = v.ledger;
    /* An evidence input that covered none of the merged traffic (the parts' coverage is
     * summed: cfs_evid_append) is said, and the status is 3, as one scan of it gives. */
    if (say_evidence_warnings(&all->evidence)) outcome.evidence_uncovered = 1;
    int rc = exit_status(&outcome);
    if (!quiet)
        fprintf(stderr, "cfscan: merged %zu summaries (%llu inputs) in %.3f s\n", dirs->n,
                (unsigned long long)all->ninputs, now_s() - t0);
    cfs_view_free(&v);
    return rc;
}

/* `cfscan rules`: every rule of the attribution table with its cause, evidence level,
 * the facts it rests on and the documentation it cites (pipeline/rules_doc.c). */
typedef struct rules_args {
    strv names; /* the rules asked for; none: all */
    int tsv;
} rules_args;

static int rules_opt(void *ctx, int id, const char *v)
{
    rules_args *a = ctx;
    switch (id) {
    case O_FORMAT: {
        static const char *const formats[] = {"text", "tsv"};
        if (strcmp(v, "tsv") && strcmp(v, "text")) return bad_value("format", v, formats, 2);
        a->tsv = !strcmp(v, "tsv"); /* the last one given */
        return -1;
    }
    case O_PATH: {
        unsigned r = 0;
        while (r < cfs_rule_count() && strcmp(cfs_rule_name((uint16_t)r), v)) r++;
        if (r == cfs_rule_count()) {
            /* the nearest rule name, as for an option's value */
            const char **names = malloc(cfs_rule_count() * sizeof *names);
            const char *near = NULL;
            char low[200]; /* rule names are lower case: DRT_... is a typo of drt_... */
            size_t ln = 0;
            for (; v[ln] && ln + 1 < sizeof low; ln++) low[ln] = (char)tolower((unsigned char)v[ln]);
            low[ln] = 0;
            if (names) {
                for (unsigned k = 0; k < cfs_rule_count(); k++) names[k] = cfs_rule_name((uint16_t)k);
                near = nearest(low, names, cfs_rule_count());
            }
            char msg[400];
            snprintf(msg, sizeof msg, "unknown rule '%.200s'%s%s%s; `cfscan rules` lists them", v,
                     near ? " (did you mean " : "", near ? near : "", near ? "?)" : "");
            free(names);
            return usage_error("%s", msg);
        }
        return strv_push(&a->names, v) != 0 ? CFS_EXIT_FATAL : -1;
    }
    case O_HELP: return help();
    case O_VERSION: return version();
    }
    return usage_error("%s", "option not taken by rules");
}

static int rules_cmd(int argc, char **argv)
{
    rules_args a = {{NULL, 0}, 0};
    int rc = parse_opts(CMD_RULES, argc, argv, rules_opt, &a);
    if (rc >= 0) {
        free(a.names.v);
        return rc;
    }
    if (a.tsv) fputs("rule\tcause\tevidence\trests_on\tcites\n", stdout);
    else
        fputs(
            "Attribution rules, in evaluation order.  Evidence: confirmed = a log field, a joined WAF\n"
            "record or the config proves the cause; likely = the line fits the cause and other\n"
            "explanations are rare; possible = another cause fits too.  An undecided rule lists the\n"
            "causes it leaves open; each line's candidates leave out besides those the line itself,\n"
            "or the config in force when it was written, rules out (README, \"403 causes\").\n"
            "Sections (\xc2\xa7) are those of the CloudFront log reference the rules were written from.\n\n",
            stdout);
    for (unsigned r = 0; r < cfs_rule_count(); r++) {
        const char *name = cfs_rule_name((uint16_t)r);
        int want = a.names.n == 0;
        for (size_t i = 0; !want && i < a.names.n; i++) want = !strcmp(a.names.v[i], name);
        if (!want) continue;
        const cfs_rule_doc *d = cfs_rule_doc_find(name);
        const char *cause = cfs_cause_name(cfs_rule_cause((uint16_t)r));
        const char *ev = cfs_evidence_name(cfs_rule_evidence((uint16_t)r));
        const char *facts = d ? d->facts : "(not documented)", *cites = d ? d->cites : "-";
        if (a.tsv) {
            printf("%s\t%s\t%s\t%s\t%s\n", name, cause, ev, facts, cites);
            continue;
        }
        printf("%s\n  cause %s, evidence %s\n  rests on: %s\n", name, cause, ev, facts);
        const uint32_t cand = cfs_rule_candidates((uint16_t)r);
        if (cand) {
            char cs[256];
            cfs_candidates_str(cand, cs, sizeof cs);
            printf("  candidates: %s\n", cs);
        }
        printf("  cites:    %s\n\n", cites);
    }
    free(a.names.v);
    return stdout_done();
}

static int merge_cmd(int argc, char **argv)
{
    strv dirs = {0};
    cfs_summary all;
    cfs_summary_init(&all);
    int rc = merge_summaries(argc, argv, &dirs, &all);
    cfs_summary_free(&all);
    free(dirs.v);
    return rc;
}

/* ---- diff ------------------------------------------------------------------------------------ */
/* --format: k_formats, whose order is cfs_diff_format's */
typedef struct diff_args {
    strv dirs;
    int format; /* cfs_diff_format */
    int top;
} diff_args;

/* One option or path of `diff`: -1 to go on, else the exit status. */
static int diff_opt(void *ctx, int id, const char *v)
{
    diff_args *a = ctx;
    switch (id) {
    case O_PATH: return strv_push(&a->dirs, v) != 0 ? CFS_EXIT_FATAL : -1;
    case O_FORMAT:
        for (int i = 0; i < 3; i++)
            if (!strcmp(v, k_formats[i])) {
                a->format = i;
                return -1;
            }
        return bad_value("format", v, k_formats, 3);
    case O_TOP: return parse_top(v, &a->top);
    case O_HELP: return help();
    case O_VERSION: return version();
    }
    return usage_error("%s", "internal error: an option without a handler");
}

/* `cfscan diff OLD NEW`: 0 nothing flagged, 5 a change flagged (a nightly job alerts on
 * it), 2 usage or summaries of different schema versions (as merge refuses them), 4 a
 * summary that cannot be read, 1 out of memory or output that cannot be written. */
static int diff_cmd(int argc, char **argv)
{
    diff_args a = {{NULL, 0}, CFS_DIFF_TEXT, 0};
    int rc = parse_opts(CMD_DIFF, argc, argv, diff_opt, &a);
    if (rc < 0 && a.dirs.n != 2) rc = usage_error("%s", "diff needs two summary directories: OLD NEW");
    if (rc >= 0) {
        free(a.dirs.v);
        return rc;
    }
    cfs_mem_set_limit(cfs_mem_default_limit());
    cfs_diff *d = NULL;
    char err[1024] = "";
    cfs_status st = cfs_diff_open(&d, a.dirs.v[0], a.dirs.v[1], a.top, err, sizeof err);
    free(a.dirs.v);
    if (st != CFS_OK) {
        say("diff", NULL, err);
        return st == CFS_E_FORMAT  ? CFS_EXIT_USAGE
               : st == CFS_E_NOMEM ? CFS_EXIT_FATAL
                                   : CFS_EXIT_INPUT_FAILED;
    }
    cfs_diff_write(stdout, d, (cfs_diff_format)a.format);
    rc = cfs_diff_flagged(d) ? CFS_DIFF_EXIT_FLAGGED : CFS_EXIT_OK;
    cfs_diff_free(d);
    if (cfs_nomem_failed()) {
        say("diff", NULL, cfs_nomem_what());
        return CFS_EXIT_FATAL;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        say("diff", "standard output", strerror(errno ? errno : EIO));
        return CFS_EXIT_FATAL;
    }
    return rc;
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    /* For tests only (fault injection, xalloc.h): the library's allocation after the next
     * N fails, and every later one. */
    const char *fail = getenv("CFSCAN_FAIL_ALLOC_AFTER");
    uint64_t failn;
    if (fail && cfs_parse_u64(fail, strlen(fail), &failn) == 0) cfs_alloc_fail_after(failn);
    if (argc < 2) {
        print_usage(stderr);
        return CFS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "scan")) return run(argc - 1, argv + 1, 0);
    if (!strcmp(cmd, "requests")) return run(argc - 1, argv + 1, 1);
    if (!strcmp(cmd, "merge")) return merge_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "diff")) return diff_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "rules")) return rules_cmd(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V"))
        return argc > 2 ? usage_error("%s", "version takes no arguments") : version();
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) return help();
    static const char *const cmds[] = {"scan", "requests", "merge", "diff", "rules", "version", "help"};
    const char *near = nearest(cmd, cmds, sizeof cmds / sizeof cmds[0]);
    fputs("cfscan: unknown command '", stderr);
    cfs_write_safe(stderr, cmd, strnlen(cmd, 200));
    fputc('\'', stderr);
    if (near) fprintf(stderr, " (did you mean %s?)", near);
    fputs("; commands: scan, requests, merge, diff, rules, version, help\n(run `cfscan help` for usage)\n",
          stderr);
    return CFS_EXIT_USAGE;
}
