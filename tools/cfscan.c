/* The cfscan command line: argument parsing, evidence loading and printing only; the
 * work is done by cfs_scan_run (pipeline/scan.c). */
#include <errno.h>
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
#include "pipeline/fields.h"
#include "pipeline/report.h"
#include "pipeline/scan.h"
#include "pipeline/summary.h"
#include "pipeline/waf.h"
#include "pipeline/xalloc.h"

/* A macro's value as a string literal, for the usage text. */
#define CFS_STRINGIFY_(x) #x
#define CFS_STRINGIFY(x) CFS_STRINGIFY_(x)

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static const char *const USAGE =
    "usage: cfscan scan PATH... [options]      report requests and explain 403s\n"
    "       cfscan requests PATH... [options]  one TSV row per matching request (forensics)\n"
    "       cfscan merge DIR... -o OUT         merge summary directories exactly\n"
    "       cfscan version | help\n"
    "\n"
    "PATH is a CloudFront log file (gzip, zstd or plain; detected from its bytes), a\n"
    "directory (walked recursively) or - for standard input.\n"
    "\n"
    "common options:\n"
    "  -j, --threads N        worker threads (default: all cores)\n"
    "  --since T, --until T   keep requests with since <= time < until (UTC; YYYY-MM-DD,\n"
    "                         YYYY-MM-DDTHH[:MM[:SS]][Z] or @EPOCH, from 1990-01-01 up to\n"
    "                         2100-01-01); whole files outside the window are skipped by\n"
    "                         name before they are opened\n"
    "  --config FILE|DIR      distribution config(s) from `aws cloudfront get-distribution`\n"
    "                         or get-distribution-config (repeatable; in a DIR, the *.json\n"
    "                         files); get-distribution\n"
    "                         adds DomainName and LastModifiedTime: 403 lines older than\n"
    "                         it lose one evidence level on config-based verdicts\n"
    "  --waf-logs PATH        AWS WAF logs (JSON lines, gz or plain; repeatable)\n"
    "  --gzip-decoder D       auto (libdeflate on whole files up to 16 MiB compressed,\n"
    "                         ISA-L streaming above that and for pipes), zlib or isal\n"
    "                         (always streaming)\n"
    "  --split-above BYTES    cut inputs larger than this into blocks that all threads\n"
    "                         share (default 64 MiB; pipes and stdin are always cut)\n"
    "  --progress, --no-progress  progress line on stderr (default: when stderr is a terminal)\n"
    "  -q, --quiet            no throughput line on stderr\n"
    "  -v, --verbose          say which scan kernel runs (CFSCAN_KERNEL=name forces one)\n"
    "  --redact-clients       client addresses (c-ip, x-forwarded-for) cut to their network,\n"
    "                         IPv4 /24 (a.b.c.0) and IPv6 /48 (a:b:c::), in every output:\n"
    "                         reports, summary tables and state, requests rows\n"
    "  --memory-limit BYTES   budget for the aggregation's tables and sketches (K, M, G\n"
    "                         suffixes; default half of RAM or of the cgroup's memory.max);\n"
    "                         past it the run stops, writes nothing and exits 5\n"
    "\n"
    "scan options:\n"
    "  --format text|json     report format on stdout (default text)\n"
    "  --top N                entries in each top list (default " CFS_STRINGIFY(CFS_REPORT_TOP_DEFAULT) ")\n"
    "  -o, --output DIR       also write a summary directory (Parquet tables, report.txt,\n"
    "                         report.json, manifest.json, state.cfs), replaced atomically;\n"
    "                         DIR must not be a symbolic link, and an existing DIR must be\n"
    "                         empty or a summary holding nothing else\n"
    "\n"
    "requests options (all filters must match):\n"
    "  --request-id ID  --status N  --cause C  --dist ID  --edge E  --ip CIDR\n"
    "  --uri-prefix P   --fields a,b,...  (log field names, or `distribution`)\n"
    "\n"
    "exit status: 0 all inputs read and every line used; 2 usage error; 3 some lines were\n"
    "rejected or an input held no usable lines (counts in the report); 4 an input could\n"
    "not be read completely (missing, unreadable, truncated or corrupt); 5 the distinct\n"
    "keys outgrew --memory-limit (nothing written); 1 other fatal error; 130 interrupted.\n"
    "When several apply: 130, then 2, 1, 5, 4, 3.\n";

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

static void strv_push(strv *s, const char *x)
{
    const char **nv = realloc(s->v, (s->n + 1) * sizeof *nv);
    if (!nv) {
        say(NULL, NULL, "out of memory");
        exit(CFS_EXIT_FATAL);
    }
    s->v = nv;
    s->v[s->n++] = x;
}

static int parse_cidr(const char *s, cfs_req_filter *f)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    unsigned bits;
    if (slash) *slash = 0;
    int fam = strchr(buf, ':') ? 6 : 4;
    if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, f->ip) != 1) return -1;
    unsigned maxb = fam == 4 ? 32 : 128;
    if (slash) {
        uint64_t v;
        if (cfs_parse_u64(slash + 1, strlen(slash + 1), &v) != 0 || v > maxb) return -1;
        bits = (unsigned)v;
    } else {
        bits = maxb;
    }
    f->ip_family = fam;
    f->ip_prefix = bits;
    return 0;
}

static int parse_fields(const char *s, cfs_field **out, size_t *n)
{
    size_t cap = 8;
    *out = malloc(cap * sizeof **out);
    *n = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        cfs_field f;
        if (len == 12 && memcmp(p, "distribution", 12) == 0) f = CFS_F_UNKNOWN;
        else {
            f = cfs_field_lookup(p, len);
            if (f == CFS_F_UNKNOWN) {
                fprintf(stderr, "cfscan: unknown field '%.*s' in --fields\n", (int)len, p);
                return -1;
            }
        }
        if (*n == cap) {
            cap *= 2;
            *out = realloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = f;
        p += len;
        if (*p == ',') p++;
    }
    return *n ? 0 : -1;
}

static const cfs_field k_default_fields[] = {
    CFS_F_UNKNOWN /* distribution */, CFS_F_DATE, CFS_F_TIME, CFS_F_EDGE_LOCATION, CFS_F_C_IP,
    CFS_F_CS_METHOD, CFS_F_CS_PROTOCOL, CFS_F_HOST_HEADER, CFS_F_CS_URI_STEM, CFS_F_SC_STATUS,
    CFS_F_EDGE_RESULT_TYPE, CFS_F_EDGE_DETAILED_RESULT_TYPE, CFS_F_SC_CONTENT_TYPE,
    CFS_F_TIME_TAKEN, CFS_F_EDGE_REQUEST_ID,
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static char *argv_line(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
    char *s = malloc(n);
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
    fprintf(stderr,
            "cfscan: memory limit reached: the aggregation held %lld bytes, over the budget of %llu bytes "
            "(%.1f MiB), with %llu distribution x cause groups, %llu distributions, %llu edges, %llu hours "
            "(%llu exact-counter rows); the key space that grew: %s\n"
            "cfscan: nothing was written; raise --memory-limit, or narrow the run with --since/--until "
            "(or fewer inputs) and combine the parts with `cfscan merge`\n",
            (long long)cfs_mem_peak(), (unsigned long long)lim, lim / 1048576.0,
            (unsigned long long)k->groups, (unsigned long long)k->dists, (unsigned long long)k->edges,
            (unsigned long long)k->hours, (unsigned long long)k->traffic, cfs_key_counts_largest(k));
}

static void say_agg_over_budget(const cfs_agg *a)
{
    cfs_key_counts k;
    const cfs_agg *all[1] = {a};
    cfs_agg_count_keys(all, 1, &k);
    say_over_budget(&k);
}

/* Per-input callback of the scan (in input order): errors go to stderr as each batch
 * finishes, and with -o the summary keeps the input's row. */
typedef struct input_sink {
    cfs_summary *sum;
} input_sink;

static void on_input(void *ctx, const cfs_input *in, const cfs_file_stats *st)
{
    input_sink *k = ctx;
    if (st->status != CFS_OK) say(NULL, in->path, st->error[0] ? st->error : cfs_status_str(st->status));
    if (k->sum) cfs_summary_add_input(k->sum, in, st);
}

static int run(int argc, char **argv, int requests_mode)
{
    const char *outdir = NULL;
    /* Function-static: run() executes once per process, and on a fatal exit() what
     * these hold stays reachable (LeakSanitizer does not report it). */
    static strv paths, configs, wafs;
    cfs_scan_opts o;
    memset(&o, 0, sizeof o);
    o.since = o.until = CFS_NO_TIME;
    o.progress = isatty(2);
    int json = 0, quiet = 0, verbose = 0, top = CFS_REPORT_TOP_DEFAULT;
    cfs_mem_set_limit(cfs_mem_default_limit());
    cfs_req_filter f;
    memset(&f, 0, sizeof f);
    f.status = -1;
    f.cause = -1;
    static cfs_field *fields;
    size_t nfields = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                     \
    do {                                                            \
        if (!v) return usage_error("option %s needs a value", a);   \
        i++;                                                        \
    } while (0)
        if (strcmp(a, "-") == 0 || a[0] != '-') {
            strv_push(&paths, a);
        } else if (!strcmp(a, "-j") || !strcmp(a, "--threads")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > 1024)
                return usage_error("bad thread count '%s' (1..1024)", v);
            o.threads = (int)n;
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            uint64_t n;
            if (cfs_parse_u64(a + 2, strlen(a + 2), &n) != 0 || n < 1 || n > 1024)
                return usage_error("bad thread count '%s' (1..1024)", a + 2);
            o.threads = (int)n;
        } else if (!strcmp(a, "--since") || !strcmp(a, "--until")) {
            NEEDV();
            int64_t t;
            if (cfs_parse_time_arg(v, &t) != 0) {
                /* Also refused: times outside the range every log time must lie in (a
                 * time past it cannot match a line, and an epoch past 2^63 would wrap). */
                char msg[400];
                snprintf(msg, sizeof msg,
                         "%s: bad time '%.200s' (YYYY-MM-DD, YYYY-MM-DDTHH[:MM[:SS]][Z] or @EPOCH, "
                         "from 1990-01-01 up to 2100-01-01 UTC)", a, v);
                return usage_error("%s", msg);
            }
            if (a[2] == 's') o.since = t;
            else o.until = t;
        } else if (!strcmp(a, "--config")) {
            NEEDV();
            strv_push(&configs, v);
        } else if (!strcmp(a, "--waf-logs")) {
            NEEDV();
            strv_push(&wafs, v);
        } else if (!strcmp(a, "--gzip-decoder")) {
            NEEDV();
            if (!strcmp(v, "zlib")) o.gz = CFS_GZ_ZLIB;
            else if (!strcmp(v, "isal")) o.gz = CFS_GZ_ISAL;
            else if (!strcmp(v, "auto") || !strcmp(v, "libdeflate")) o.gz = CFS_GZ_AUTO;
            else return usage_error("unknown gzip decoder '%s' (auto, zlib, isal)", v);
        } else if (!strcmp(a, "--split-above")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0) return usage_error("bad byte count '%s'", v);
            o.big_file = n;
        } else if (!strcmp(a, "--memory-limit")) {
            NEEDV();
            if (set_memory_limit(v) != 0) return CFS_EXIT_USAGE;
        } else if (!strcmp(a, "--progress")) {
            o.progress = 1;
        } else if (!strcmp(a, "--no-progress")) {
            o.progress = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (!strcmp(a, "--redact-clients")) {
            o.attr.redact_clients = 1;
        } else if (!requests_mode && !strcmp(a, "--format")) {
            NEEDV();
            if (!strcmp(v, "json")) json = 1;
            else if (!strcmp(v, "text")) json = 0;
            else return usage_error("unknown format '%s' (text, json)", v);
        } else if (!requests_mode && (!strcmp(a, "-o") || !strcmp(a, "--output"))) {
            NEEDV();
            outdir = v;
        } else if (!requests_mode && !strcmp(a, "--top")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > 64)
                return usage_error("bad --top '%s' (1..64)", v);
            top = (int)n;
        } else if (requests_mode && !strcmp(a, "--request-id")) {
            NEEDV();
            f.request_id = v;
        } else if (requests_mode && !strcmp(a, "--status")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0 || n > 999) return usage_error("bad status '%s'", v);
            f.status = (int)n;
        } else if (requests_mode && !strcmp(a, "--cause")) {
            NEEDV();
            f.cause = cfs_cause_lookup(v);
            if (f.cause < 0) return usage_error("unknown cause '%s'", v);
        } else if (requests_mode && !strcmp(a, "--dist")) {
            NEEDV();
            f.dist = v;
        } else if (requests_mode && !strcmp(a, "--edge")) {
            NEEDV();
            f.edge = v;
        } else if (requests_mode && !strcmp(a, "--ip")) {
            NEEDV();
            if (parse_cidr(v, &f) != 0) return usage_error("bad address or CIDR '%s'", v);
        } else if (requests_mode && !strcmp(a, "--uri-prefix")) {
            NEEDV();
            f.uri_prefix = v;
        } else if (requests_mode && !strcmp(a, "--fields")) {
            NEEDV();
            if (parse_fields(v, &fields, &nfields) != 0) exit(CFS_EXIT_USAGE);
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        } else {
            return usage_error("unknown option '%s'", a);
        }
#undef NEEDV
    }
    if (!paths.n) return usage_error("%s", "no input paths given");
    char err[512] = "";
    cfs_run_end outcome = {.ledger = NULL, .fatal = CFS_OK};
    if (outdir && !requests_mode) {
        /* Refuse a bad -o now, not after a long scan (publishing checks again). */
        outcome.fatal = cfs_summary_check_output(outdir, err, sizeof err);
        if (outcome.fatal != CFS_OK) {
            say("summary not written", NULL, err);
            return exit_status(&outcome);
        }
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    o.stop = &g_stop;

    static cfs_config_set cfg;
    for (size_t i = 0; i < configs.n; i++) {
        /* A directory stands for the *.json files in it (e.g. one per distribution). */
        cfs_inputs cf;
        memset(&cf, 0, sizeof cf);
        struct stat sb;
        int is_dir = stat(configs.v[i], &sb) == 0 && S_ISDIR(sb.st_mode);
        if (is_dir) {
            cfs_inputs_add(&cf, configs.v[i], CFS_NO_TIME, CFS_NO_TIME);
        } else {
            cf.v = calloc(1, sizeof *cf.v);
            if (!cf.v || !(cf.v[0].path = strdup(configs.v[i]))) {
                say("--config", NULL, "out of memory");
                exit(CFS_EXIT_FATAL);
            }
            cf.n = 1;
        }
        for (size_t k = 0; k < cf.nerr; k++) {
            say("--config", cf.err[k].path, cf.err[k].msg);
            outcome.evidence_failed = 1;
        }
        size_t njson = 0;
        for (size_t k = 0; k < cf.n; k++) {
            /* In a directory only *.json files are configs, however many there are (a
             * lone notes.txt beside nothing else is not one); a file named directly is
             * read whatever its name. */
            size_t pl = strlen(cf.v[k].path);
            if (is_dir && (pl < 5 || strcmp(cf.v[k].path + pl - 5, ".json") != 0)) continue;
            njson++;
            if (cfs_config_load(&cfg, cf.v[k].path, err, sizeof err) != CFS_OK) {
                say("--config", NULL, err);
                outcome.evidence_failed = 1;
            }
        }
        if (is_dir && !njson && !cf.nerr) {
            say("--config", configs.v[i], "no .json files in this directory (only *.json files in it are configs)");
            outcome.evidence_failed = 1;
        }
        cfs_inputs_free(&cf);
    }
    if (configs.n) o.attr.config = &cfg;
    static cfs_waf_index *waf;
    if (wafs.n) {
        err[0] = 0;
        cfs_status st = cfs_waf_load(&waf, wafs.v, wafs.n, o.since, o.until, err, sizeof err);
        if (st != CFS_OK) {
            say("--waf-logs", NULL, err[0] ? err : cfs_status_str(st));
            outcome.evidence_failed = 1;
        }
        o.attr.waf = waf;
    }

    if (requests_mode) {
        /* For tests only: a small row-memory cap makes `requests` spill its rows to a
         * temporary file (the default is CFS_ROWS_MEM_DEFAULT). */
        const char *cap = getenv("CFS_REQUESTS_SPILL_BYTES");
        uint64_t capn;
        if (cap && cfs_parse_u64(cap, strlen(cap), &capn) == 0 && capn > 0) o.rows_mem = capn;
        if (fields) {
            f.out = fields;
            f.nout = nfields;
        } else {
            f.out = k_default_fields;
            f.nout = sizeof k_default_fields / sizeof k_default_fields[0];
        }
        o.filter = &f;
    }
    /* Inputs stream from the walk in batches: nothing here grows with the number of
     * files except the summary's per-input rows (-o). */
    static cfs_summary sum;
    static input_sink sink;
    sink.sum = outdir && !requests_mode ? &sum : NULL;
    if (sink.sum) cfs_summary_init(&sum);
    o.on_input = on_input;
    o.on_input_ctx = &sink;
    double t0 = now_s();
    static cfs_scan_result res;
    cfs_walk *walk = cfs_walk_open((const char *const *)paths.v, paths.n, o.since, o.until);
    cfs_status st = cfs_scan_walk(walk, &o, &res);
    cfs_walk_close(walk);
    outcome.ledger = &res.ledger;
    if (st == CFS_E_IO && requests_mode && cfs_scan_rows_begin(&res, err, sizeof err) != CFS_OK) {
        say("requests", NULL, err); /* the rows could not be spilled */
        outcome.fatal = CFS_E_IO;
        exit(exit_status(&outcome));
    }
    if (st != CFS_OK) {
        outcome.fatal = st;
        exit(exit_status(&outcome));
    }
    if (res.interrupted) outcome.interrupted = 1;
    if (res.over_budget) {
        say_over_budget(&res.keys);
        outcome.over_budget = 1;
        int brc = exit_status(&outcome);
        if (sink.sum) cfs_summary_free(&sum);
        cfs_scan_result_free(&res);
        return brc;
    }
    double el = now_s() - t0;
    if (verbose) fprintf(stderr, "cfscan: scan kernel %s\n", res.kernel);

    if (requests_mode) {
        for (size_t i = 0; i < f.nout; i++) {
            if (i) fputc('\t', stdout);
            fputs(f.out[i] == CFS_F_UNKNOWN ? "distribution" : cfs_field_name(f.out[i]), stdout);
        }
        fputs("\tcause\tevidence\trule\tcandidates\n", stdout);
        const cfs_req_row *row;
        int more;
        if (cfs_scan_rows_begin(&res, err, sizeof err) != CFS_OK) {
            say("requests", NULL, err);
            outcome.fatal = CFS_E_IO;
            exit(exit_status(&outcome));
        }
        while (!g_stop && (more = cfs_scan_rows_next(&res, &row, err, sizeof err)) != 0) {
            if (more < 0) {
                say("requests", NULL, err);
                outcome.fatal = CFS_E_IO;
                exit(exit_status(&outcome));
            }
            /* fields are raw log bytes: TABs separate them; each value is made safe */
            const char *p = row->text, *end = row->text + row->len;
            while (p <= end) {
                const char *t = memchr(p, '\t', (size_t)(end - p));
                size_t len = t ? (size_t)(t - p) : (size_t)(end - p);
                cfs_write_safe(stdout, p, len);
                if (!t) break;
                fputc('\t', stdout);
                p = t + 1;
            }
            /* an undecided line (cause unknown) names the causes the data leaves open */
            char cand[256];
            uint32_t mask = cfs_rule_candidates(row->at.rule);
            if (mask) cfs_candidates_str(mask, cand, sizeof cand);
            printf("\t%s\t%s\t%s\t%s\n", cfs_cause_name((cfs_cause)row->at.cause),
                   cfs_evidence_name((cfs_evidence)row->at.evidence), cfs_rule_name(row->at.rule),
                   mask ? cand : "-");
        }
        say_rejections(&res.ledger);
    } else {
        /* Every phase after the scan checks the stop flag too: SIGINT/SIGTERM during the
         * publish or the report ends the run with 130, and nothing is half-published. */
        if (outdir) test_raise_at("publish");
        if (g_stop) res.interrupted = 1;
        /* rule names and the notes' reserved names (waf.h), indexed as cfs_wrow.rule */
        size_t nw = waf ? cfs_waf_name_count(waf) : 0;
        const char **wnames = calloc(nw ? nw : 1, sizeof *wnames);
        if (!wnames) {
            say(NULL, NULL, "out of memory");
            outcome.fatal = CFS_E_NOMEM;
            exit(exit_status(&outcome));
        }
        for (size_t i = 0; i < nw; i++) wnames[i] = cfs_waf_name(waf, (uint32_t)i);
        /* one set of report options: the printed report and the summary's report files */
        cfs_report_opts ro = {top, configs.n > 0, wafs.n > 0, wnames, nw, &g_stop, waf, configs.n ? &cfg : NULL};
        if (outdir && res.interrupted) {
            /* A partial scan must not replace the previous summary (exit status 130). */
            say("interrupted", outdir, "summary not written");
        } else if (outdir) {
            cfs_summary_from_scan(&sum, &res, waf);
            if (cfs_mem_over()) {
                say_agg_over_budget(&sum.agg);
                outcome.over_budget = 1;
                cfs_summary_free(&sum);
                free(wnames);
                return exit_status(&outcome);
            }
            sum.clients_redacted = o.attr.redact_clients;
            sum.stop = &g_stop;
            sum.report = &ro;
            char *line = argv_line(g_argc, g_argv);
            char perr[512] = "";
            cfs_status pst = cfs_summary_publish(&sum, outdir, line, perr, sizeof perr);
            free(line);
            cfs_summary_free(&sum);
            if (pst == CFS_E_INTERRUPTED) {
                say("interrupted", outdir, "summary not written");
                res.interrupted = 1;
            } else if (pst != CFS_OK) {
                say("summary not written", NULL, perr);
                outcome.fatal = pst;
                exit(exit_status(&outcome));
            }
        }
        test_raise_at("report");
        if (!g_stop) {
            cfs_agg_settle(&res.agg);
            if (cfs_mem_over()) {
                say_agg_over_budget(&res.agg);
                outcome.over_budget = 1;
                free(wnames);
                return exit_status(&outcome);
            }
            if (json) cfs_report_json(stdout, &res, &ro);
            else cfs_report_text(stdout, &res, &ro);
        }
        free(wnames);
    }
    if (g_stop) res.interrupted = 1;
    if (res.interrupted) outcome.interrupted = 1;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "cfscan: writing the output failed: %s\n", strerror(errno));
        outcome.fatal = CFS_E_IO;
        exit(exit_status(&outcome));
    }
    uint64_t bytes = res.ledger.tot.bytes_out, lines = res.ledger.tot.lines;
    if (!quiet)
        fprintf(stderr, "cfscan: %zu files, %.1f MB decoded, %llu lines in %.3f s: %.0f MB/s, %.2f M lines/s\n",
                res.nfiles, bytes / 1e6, (unsigned long long)lines, el, el > 0 ? bytes / 1e6 / el : 0.0,
                el > 0 ? lines / 1e6 / el : 0.0);
    if (verbose)
        fprintf(stderr, "cfscan: aggregation memory peak %lld bytes (budget %llu)\n", (long long)cfs_mem_peak(),
                (unsigned long long)cfs_mem_limit());
    int rc = exit_status(&outcome);
    if (sink.sum) cfs_summary_free(&sum);
    cfs_scan_result_free(&res);
    cfs_waf_free(waf);
    cfs_config_free(&cfg);
    free(paths.v);
    free(configs.v);
    free(wafs.v);
    free(fields);
    return rc;
}

static int merge_cmd(int argc, char **argv)
{
    const char *out = NULL;
    int json = 0, quiet = 0;
    static strv dirs;
    cfs_mem_set_limit(cfs_mem_default_limit());
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) out = argv[++i];
        else if (!strcmp(a, "--format") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "json")) json = 1;
            else if (strcmp(v, "text")) return usage_error("unknown format '%s' (text, json)", v);
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) quiet = 1;
        else if (!strcmp(a, "--memory-limit")) {
            if (i + 1 >= argc) return usage_error("option %s needs a value", a);
            if (set_memory_limit(argv[++i]) != 0) return CFS_EXIT_USAGE;
        }
        else if (a[0] == '-') return usage_error("unknown or incomplete option '%s'", a);
        else strv_push(&dirs, a);
    }
    if (!out) return usage_error("%s", "merge needs -o OUT");
    if (!dirs.n) return usage_error("%s", "merge needs at least one summary directory");
    cfs_run_end outcome = {.ledger = NULL, .fatal = CFS_OK};
    {
        char err[512] = "";
        outcome.fatal = cfs_summary_check_output(out, err, sizeof err);
        if (outcome.fatal != CFS_OK) {
            say("summary not written", NULL, err);
            return exit_status(&outcome);
        }
    }
    double t0 = now_s();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    static cfs_summary all;
    cfs_agg_init(&all.agg);
    /* The merge is redacted only if every input is: one full address makes it personal. */
    all.clients_redacted = 1;
    for (size_t i = 0; i < dirs.n && !g_stop; i++) {
        if (!cfs_summary_dir_redacted(dirs.v[i])) all.clients_redacted = 0;
        char path[4096], err[512] = "";
        snprintf(path, sizeof path, "%s/state.cfs", dirs.v[i]);
        cfs_summary one;
        cfs_status st = cfs_state_read(&one, path, err, sizeof err);
        if (st != CFS_OK) {
            say("merge", NULL, err);
            cfs_summary_free(&all);
            /* a state of another schema: 2 (rescan); out of memory: 1; a state that cannot
             * be read or is corrupt or implausible (summary.c's checks): 4, a damaged input */
            if (st == CFS_E_FORMAT) outcome.fatal = CFS_E_USAGE;
            else if (st == CFS_E_NOMEM) outcome.fatal = st;
            else outcome.evidence_failed = 1;
            return exit_status(&outcome);
        }
        cfs_summary_merge(&all, &one);
        cfs_summary_free(&one);
        if (cfs_mem_over()) {
            say_agg_over_budget(&all.agg);
            outcome.over_budget = 1;
            cfs_summary_free(&all);
            return exit_status(&outcome);
        }
    }
    test_raise_at("publish");
    cfs_status st = CFS_E_INTERRUPTED;
    char err[512] = "";
    if (!g_stop) {
        char *line = argv_line(g_argc, g_argv);
        all.stop = &g_stop;
        st = cfs_summary_publish(&all, out, line, err, sizeof err);
        free(line);
    }
    if (st == CFS_E_INTERRUPTED) {
        say("interrupted", out, "summary not written");
        cfs_summary_free(&all);
        outcome.interrupted = 1;
        return exit_status(&outcome);
    }
    if (st != CFS_OK) {
        say("summary not written", NULL, err);
        cfs_summary_free(&all);
        outcome.fatal = st;
        return exit_status(&outcome);
    }
    test_raise_at("report");
    cfs_scan_result res;
    cfs_summary_as_result(&all, &res);
    if (!g_stop) {
        cfs_agg_settle(&res.agg);
        cfs_report_opts ro = {CFS_REPORT_TOP_DEFAULT, 0, all.nwaf_rules > 0, (const char *const *)all.waf_rules, all.nwaf_rules, &g_stop, NULL, NULL};
        if (json) cfs_report_json(stdout, &res, &ro);
        else cfs_report_text(stdout, &res, &ro);
    }
    outcome.ledger = &res.ledger;
    if (res.interrupted) outcome.interrupted = 1;
    int rc = exit_status(&outcome);
    if (!quiet) fprintf(stderr, "cfscan: merged %zu summaries (%llu inputs) in %.3f s\n", dirs.n, (unsigned long long)all.ninputs, now_s() - t0);
    cfs_scan_result_free(&res);
    cfs_summary_free(&all);
    free(dirs.v);
    return rc;
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CFS_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "scan")) return run(argc - 2, argv + 2, 0);
    if (!strcmp(cmd, "requests")) return run(argc - 2, argv + 2, 1);
    if (!strcmp(cmd, "merge")) return merge_cmd(argc - 2, argv + 2);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("cfscan %s\n", CFS_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(USAGE, stdout);
        return 0;
    }
    return usage_error("unknown command '%s'", cmd);
}
