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
    "                         files, also .json.gz/.json.zst); get-distribution\n"
    "                         adds DomainName and LastModifiedTime: 403 lines older than\n"
    "                         it lose one evidence level on config-based verdicts\n"
    "  --waf-logs PATH        AWS WAF logs (JSON lines; gz, zst or plain; files or directories; repeatable)\n"
    "  --gzip-decoder D       auto or isal (ISA-L streaming, parsed in 256 KiB pieces),\n"
    "                         zlib (streaming), libdeflate (whole files up to 16 MiB\n"
    "                         compressed, ISA-L above that and for pipes)\n"
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

/* --fields into *out (the caller frees it): 0, -1 after a usage message, -2 after
 * saying that memory ran out. */
static int parse_fields(const char *s, cfs_field **out, size_t *n)
{
    size_t cap = 8;
    free(*out); /* a repeated --fields: the last one counts */
    *out = malloc(cap * sizeof **out);
    *n = 0;
    if (!*out) {
        say("--fields", NULL, "out of memory");
        return -2;
    }
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
            cfs_field *grown = realloc(*out, cap * 2 * sizeof **out);
            if (!grown) {
                say("--fields", NULL, "out of memory");
                return -2;
            }
            *out = grown;
            cap *= 2;
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
} input_sink;

static void on_input(void *ctx, const cfs_input *in, const cfs_file_stats *st)
{
    input_sink *k = ctx;
    if (st->status != CFS_OK) say(NULL, in->path, st->error[0] ? st->error : cfs_status_str(st->status));
    if (k->sum) cfs_summary_add_input(k->sum, in, st);
}

/* Everything one `scan` or `requests` run holds: the steps below are functions of it,
 * and every way out of the run frees it in one place (scan_cmd_free). */
typedef struct scan_cmd {
    int requests_mode;
    /* options */
    const char *outdir;
    int json, quiet, verbose, top;
    strv paths, configs, wafs;
    cfs_field *fields; /* --fields, or NULL for k_default_fields */
    size_t nfields;
    cfs_scan_opts o;
    cfs_req_filter f;
    /* what the run loaded and made */
    cfs_config_set cfg;
    cfs_waf_index *waf;
    cfs_summary sum;   /* -o only: sink.sum points to it while it is live */
    input_sink sink;
    cfs_scan_result res;
    double scan_seconds;
    cfs_run_end outcome; /* what the exit status is made from */
    char err[512];
} scan_cmd;

static void scan_cmd_init(scan_cmd *c, int requests_mode)
{
    memset(c, 0, sizeof *c);
    c->requests_mode = requests_mode;
    c->o.since = c->o.until = CFS_NO_TIME;
    c->o.progress = isatty(2);
    c->top = CFS_REPORT_TOP_DEFAULT;
    cfs_mem_set_limit(cfs_mem_default_limit());
    c->f.status = -1;
    c->f.cause = -1;
    c->outcome.fatal = CFS_OK;
}

static void scan_cmd_free(scan_cmd *c)
{
    if (c->sink.sum) cfs_summary_free(&c->sum);
    cfs_scan_result_free(&c->res);
    cfs_waf_free(c->waf);
    cfs_config_free(&c->cfg);
    free(c->paths.v);
    free(c->configs.v);
    free(c->wafs.v);
    free(c->fields);
}

/* The command line of `scan` or `requests` into c: -1 to go on, else the exit status
 * (a usage error, or 0 after --help). */
static int parse_scan_args(scan_cmd *c, int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV()                                                     \
    do {                                                            \
        if (!v) return usage_error("option %s needs a value", a);   \
        i++;                                                        \
    } while (0)
        if (strcmp(a, "-") == 0 || a[0] != '-') {
            if (strv_push(&c->paths, a) != 0) return CFS_EXIT_FATAL;
        } else if (!strcmp(a, "-j") || !strcmp(a, "--threads")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > 1024)
                return usage_error("bad thread count '%s' (1..1024)", v);
            c->o.threads = (int)n;
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            uint64_t n;
            if (cfs_parse_u64(a + 2, strlen(a + 2), &n) != 0 || n < 1 || n > 1024)
                return usage_error("bad thread count '%s' (1..1024)", a + 2);
            c->o.threads = (int)n;
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
            if (a[2] == 's') c->o.since = t;
            else c->o.until = t;
        } else if (!strcmp(a, "--config")) {
            NEEDV();
            if (strv_push(&c->configs, v) != 0) return CFS_EXIT_FATAL;
        } else if (!strcmp(a, "--waf-logs")) {
            NEEDV();
            if (strv_push(&c->wafs, v) != 0) return CFS_EXIT_FATAL;
        } else if (!strcmp(a, "--gzip-decoder")) {
            NEEDV();
            if (!strcmp(v, "zlib")) c->o.gz = CFS_GZ_ZLIB;
            else if (!strcmp(v, "isal")) c->o.gz = CFS_GZ_ISAL;
            else if (!strcmp(v, "libdeflate")) c->o.gz = CFS_GZ_LIBDEFLATE;
            else if (!strcmp(v, "auto")) c->o.gz = CFS_GZ_AUTO;
            else return usage_error("unknown gzip decoder '%s' (auto, zlib, isal, libdeflate)", v);
        } else if (!strcmp(a, "--split-above")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0) return usage_error("bad byte count '%s'", v);
            c->o.big_file = n;
        } else if (!strcmp(a, "--memory-limit")) {
            NEEDV();
            if (set_memory_limit(v) != 0) return CFS_EXIT_USAGE;
        } else if (!strcmp(a, "--progress")) {
            c->o.progress = 1;
        } else if (!strcmp(a, "--no-progress")) {
            c->o.progress = 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c->quiet = 1;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            c->verbose = 1;
        } else if (!strcmp(a, "--redact-clients")) {
            c->o.attr.redact_clients = 1;
        } else if (!c->requests_mode && !strcmp(a, "--format")) {
            NEEDV();
            if (!strcmp(v, "json")) c->json = 1;
            else if (!strcmp(v, "text")) c->json = 0;
            else return usage_error("unknown format '%s' (text, json)", v);
        } else if (!c->requests_mode && (!strcmp(a, "-o") || !strcmp(a, "--output"))) {
            NEEDV();
            c->outdir = v;
        } else if (!c->requests_mode && !strcmp(a, "--top")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0 || n < 1 || n > 64)
                return usage_error("bad --top '%s' (1..64)", v);
            c->top = (int)n;
        } else if (c->requests_mode && !strcmp(a, "--request-id")) {
            NEEDV();
            c->f.request_id = v;
        } else if (c->requests_mode && !strcmp(a, "--status")) {
            NEEDV();
            uint64_t n;
            if (cfs_parse_u64(v, strlen(v), &n) != 0 || n > 999) return usage_error("bad status '%s'", v);
            c->f.status = (int)n;
        } else if (c->requests_mode && !strcmp(a, "--cause")) {
            NEEDV();
            c->f.cause = cfs_cause_lookup(v);
            if (c->f.cause < 0) return usage_error("unknown cause '%s'", v);
        } else if (c->requests_mode && !strcmp(a, "--dist")) {
            NEEDV();
            c->f.dist = v;
        } else if (c->requests_mode && !strcmp(a, "--edge")) {
            NEEDV();
            c->f.edge = v;
        } else if (c->requests_mode && !strcmp(a, "--ip")) {
            NEEDV();
            if (parse_cidr(v, &c->f) != 0) return usage_error("bad address or CIDR '%s'", v);
        } else if (c->requests_mode && !strcmp(a, "--uri-prefix")) {
            NEEDV();
            c->f.uri_prefix = v;
        } else if (c->requests_mode && !strcmp(a, "--fields")) {
            NEEDV();
            int pf = parse_fields(v, &c->fields, &c->nfields);
            if (pf != 0) return pf == -2 ? CFS_EXIT_FATAL : CFS_EXIT_USAGE;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        } else {
            return usage_error("unknown option '%s'", a);
        }
#undef NEEDV
    }
    if (!c->paths.n) return usage_error("%s", "no input paths given");
    return -1;
}

/* Refuse a bad -o now, not after a long scan (publishing checks again). */
static int check_output_dir(scan_cmd *c)
{
    if (!c->outdir || c->requests_mode) return 0;
    c->outcome.fatal = cfs_summary_check_output(c->outdir, c->err, sizeof c->err);
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
        size_t njson = 0;
        for (size_t k = 0; k < cf.n; k++) {
            /* In a directory only *.json files (plain, or compressed as .json.gz or
             * .json.zst) are configs, however many there are (a lone notes.txt beside
             * nothing else is not one); a file named directly is read whatever its name. */
            if (is_dir && !config_file_name(cf.v[k].path)) continue;
            njson++;
            if (cfs_config_load(&c->cfg, cf.v[k].path, c->err, sizeof c->err) != CFS_OK) {
                say("--config", NULL, c->err);
                c->outcome.evidence_failed = 1;
            }
        }
        if (is_dir && !njson && !cf.nerr) {
            say("--config", c->configs.v[i],
                "no .json files in this directory (only *.json, *.json.gz and *.json.zst files in it are configs)");
            c->outcome.evidence_failed = 1;
        }
        cfs_inputs_free(&cf);
    }
    if (c->configs.n) c->o.attr.config = &c->cfg;
    return 0;
}

/* --waf-logs: one index over every WAF log; a failure is an evidence failure. */
static void load_waf_logs(scan_cmd *c)
{
    if (!c->wafs.n) return;
    c->err[0] = 0;
    cfs_status st = cfs_waf_load(&c->waf, c->wafs.v, c->wafs.n, c->o.since, c->o.until, c->err, sizeof c->err);
    if (st != CFS_OK) {
        say("--waf-logs", NULL, c->err[0] ? c->err : cfs_status_str(st));
        c->outcome.evidence_failed = 1;
    }
    c->o.attr.waf = c->waf;
}

/* `requests`: the filter and the output fields go to the scan. */
static void set_request_filter(scan_cmd *c)
{
    /* For tests only: a small row-memory cap makes `requests` spill its rows to a
     * temporary file (the default is CFS_ROWS_MEM_DEFAULT). */
    const char *cap = getenv("CFS_REQUESTS_SPILL_BYTES");
    uint64_t capn;
    if (cap && cfs_parse_u64(cap, strlen(cap), &capn) == 0 && capn > 0) c->o.rows_mem = capn;
    if (c->fields) {
        c->f.out = c->fields;
        c->f.nout = c->nfields;
    } else {
        c->f.out = k_default_fields;
        c->f.nout = sizeof k_default_fields / sizeof k_default_fields[0];
    }
    c->o.filter = &c->f;
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
    double t0 = now_s();
    cfs_walk *walk = cfs_walk_open((const char *const *)c->paths.v, c->paths.n, c->o.since, c->o.until);
    cfs_status st = cfs_scan_walk(walk, &c->o, &c->res);
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
    c->scan_seconds = now_s() - t0;
    return 0;
}

/* `requests`: the header, then one TSV row per matching request, then the inputs with
 * rejected lines on stderr.  Nonzero when the rows could not be read back. */
static int print_request_rows(scan_cmd *c)
{
    const cfs_req_filter *f = &c->f;
    for (size_t i = 0; i < f->nout; i++) {
        if (i) fputc('\t', stdout);
        fputs(f->out[i] == CFS_F_UNKNOWN ? "distribution" : cfs_field_name(f->out[i]), stdout);
    }
    fputs("\tcause\tevidence\trule\tcandidates\n", stdout);
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
    say_rejections(&c->res.ledger);
    return 0;
}

/* -o: the summary directory, replaced atomically, with the report files made from ro and
 * the scan's settled view v (so they are the report printed).  Nonzero when the run ends
 * here (a fatal publish error); an interrupted publish goes on to the exit status 130. */
static int publish_summary(scan_cmd *c, const cfs_report_opts *ro, const cfs_view *v)
{
    cfs_summary_add_state(&c->sum, c->res.state, v, c->waf);
    c->sum.clients_redacted = c->o.attr.redact_clients;
    c->sum.stop = &g_stop;
    c->sum.report = ro;
    char *line = argv_line(g_argc, g_argv);
    if (!line) {
        say("summary not written", NULL, "out of memory");
        c->outcome.fatal = CFS_E_NOMEM;
        return -1;
    }
    char perr[512] = "";
    cfs_status pst = cfs_summary_publish(&c->sum, v, c->outdir, line, perr, sizeof perr);
    free(line);
    cfs_summary_free(&c->sum);
    c->sink.sum = NULL;
    if (pst == CFS_E_INTERRUPTED) {
        say("interrupted", c->outdir, "summary not written");
        c->res.interrupted = 1;
    } else if (pst != CFS_OK) {
        say("summary not written", NULL, perr);
        c->outcome.fatal = pst;
        return -1;
    }
    return 0;
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
    cfs_report_opts ro = {c->top, c->configs.n > 0, c->wafs.n > 0, wnames, nw,
                          &g_stop, c->waf, c->configs.n ? &c->cfg : NULL};
    /* The scan ended settled: the report and the summary's tables read its view. */
    cfs_view v = cfs_scan_view(&c->res);
    /* The report is made before the summary is published, so that running out of memory
     * making it leaves no summary behind either (xalloc.h); it is printed after. */
    char *rep = NULL;
    size_t replen = 0;
    FILE *mf = open_memstream(&rep, &replen);
    if (!mf) cfs_nomem("holding the report");
    else if (c->json) cfs_report_json(mf, &v, &ro);
    else cfs_report_text(mf, &v, &ro);
    if (mf && fclose(mf) != 0) cfs_nomem("holding the report");
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
    if (!stop && !g_stop && rep) fwrite(rep, 1, replen, stdout);
    free(rep);
    free(wnames);
    return stop;
}

/* Nonzero when stdout could not be written completely (a full disk, a closed pipe). */
static int flush_output(scan_cmd *c)
{
    if (fflush(stdout) == 0 && !ferror(stdout)) return 0;
    fprintf(stderr, "cfscan: writing the output failed: %s\n", strerror(errno));
    c->outcome.fatal = CFS_E_IO;
    return -1;
}

/* Throughput (unless -q) and, with -v, the aggregation's memory peak, on stderr. */
static void say_run_stats(const scan_cmd *c)
{
    double el = c->scan_seconds;
    uint64_t bytes = c->res.ledger.tot.bytes_out, lines = c->res.ledger.tot.lines;
    if (!c->quiet)
        fprintf(stderr, "cfscan: %zu files, %.1f MB decoded, %llu lines in %.3f s: %.0f MB/s, %.2f M lines/s\n",
                c->res.nfiles, bytes / 1e6, (unsigned long long)lines, el, el > 0 ? bytes / 1e6 / el : 0.0,
                el > 0 ? lines / 1e6 / el : 0.0);
    if (c->verbose)
        fprintf(stderr, "cfscan: aggregation memory peak %lld bytes (budget %llu)\n", (long long)cfs_mem_peak(),
                (unsigned long long)cfs_mem_limit());
}

/* The steps of a parsed `scan` or `requests` run, in order; a step that returns
 * nonzero ends the run there, with c->outcome saying why. */
static void scan_cmd_steps(scan_cmd *c)
{
    if (check_output_dir(c) != 0) return;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    c->o.stop = &g_stop;
    if (load_configs(c) != 0) return;
    load_waf_logs(c);
    if (c->requests_mode) set_request_filter(c);
    if (scan_inputs(c) != 0) return;
    if (c->verbose) fprintf(stderr, "cfscan: scan kernel %s\n", c->res.kernel);
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

/* `merge` into all (initialized and freed by merge_cmd); returns the exit status. */
static int merge_summaries(int argc, char **argv, strv *dirs, cfs_summary *all)
{
    const char *out = NULL;
    int json = 0, quiet = 0;
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
        else if (strv_push(dirs, a) != 0) return CFS_EXIT_FATAL;
    }
    if (!out) return usage_error("%s", "merge needs -o OUT");
    if (!dirs->n) return usage_error("%s", "merge needs at least one summary directory");
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
    /* The merge is redacted only if every input is: one full address makes it personal. */
    all->clients_redacted = 1;
    for (size_t i = 0; i < dirs->n && !g_stop; i++) {
        if (!cfs_summary_dir_redacted(dirs->v[i])) all->clients_redacted = 0;
        char path[4096], err[512] = "";
        snprintf(path, sizeof path, "%s/state.cfs", dirs->v[i]);
        cfs_summary one;
        cfs_status st = cfs_state_read(&one, path, err, sizeof err);
        if (st != CFS_OK) {
            say("merge", NULL, err);
            /* a state of another schema: 2 (rescan); out of memory: 1; a state that cannot
             * be read or is corrupt or implausible (summary_state.c's checks): 4, a damaged input */
            if (st == CFS_E_FORMAT) outcome.fatal = CFS_E_USAGE;
            else if (st == CFS_E_NOMEM) outcome.fatal = st;
            else outcome.evidence_failed = 1;
            return exit_status(&outcome);
        }
        cfs_summary_merge(all, &one);
        cfs_summary_free(&one);
        if (out_of_memory(&outcome, "summary not written")) return exit_status(&outcome);
        if (cfs_mem_over()) {
            say_summary_over_budget(all);
            outcome.over_budget = 1;
            return exit_status(&outcome);
        }
    }
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
    cfs_report_opts ro = {CFS_REPORT_TOP_DEFAULT, 0, all->nwaf_rules > 0, (const char *const *)all->waf_rules, all->nwaf_rules, &g_stop, NULL, NULL};
    char *rep = NULL;
    size_t replen = 0;
    FILE *mf = st == CFS_OK ? open_memstream(&rep, &replen) : NULL;
    if (st == CFS_OK && !mf) cfs_nomem("holding the report");
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
    int rc = exit_status(&outcome);
    if (!quiet) fprintf(stderr, "cfscan: merged %zu summaries (%llu inputs) in %.3f s\n", dirs->n, (unsigned long long)all->ninputs, now_s() - t0);
    cfs_view_free(&v);
    return rc;
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
