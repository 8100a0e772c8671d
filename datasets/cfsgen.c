/* cfsgen: seeded generator of realistic Amazon CloudFront standard access logs, with the
 * true 403 cause of every 403 line (labels.tsv), its own counts (expected.json), the
 * distribution configs, AWS WAF logs and optional injected faults.  See datasets/README.md.
 * This file is the command line and main(); the generator core is datasets/gen_*.c (gen.h
 * lists what each file does). */
#include <errno.h>
#include <inttypes.h>
#include <omp.h>

#include "datasets/gen.h"

/* Every value of every field is written from tables and integers with memcpy; the only
 * printf-style formatting is in the config/expected/WAF writers, which are not per line. */

/* clang-format off */
static const char *const fault_name[NFAULT] = {
    "truncated-gz", "corrupt-zst", "garbage", "long-line", "short-lines", "no-header",
    "empty", "multi-member", "header-switch", "crlf", "trailing-tab"};
/* clang-format on */

static void usage(FILE *f)
{
    fputs("usage: cfsgen -o DIR [options]\n"
          "Writes seeded, realistic Amazon CloudFront standard access logs plus labels.tsv (true\n"
          "cause of every 403), expected.json (the generator's counts), config/ and waf/.\n"
          "\n"
          "  -o DIR                 output directory (created if needed)\n"
          "  --seed N               seed (default 1); same seed and options => same bytes\n"
          "  --world-seed N         seed of the distributions and viewers only (default: --seed);\n"
          "                         same world seed, other --seed: another night of the same site\n"
          "  --dists N              distributions (default 3)\n"
          "  --days N               days of logs (default 2)\n"
          "  --start YYYY-MM-DD     first day, UTC (default 2026-11-01)\n"
          "  --files-per-hour N     log files per distribution and hour (default 1)\n"
          "  --lines-per-file N     data lines per log file (default 2000)\n"
          "  --size S               total uncompressed size, e.g. 1G, 200M, 512K (overrides\n"
          "                         --lines-per-file; K/M/G are powers of 1024)\n"
          "  --format gz|zst|plain  compression of the log files (default gz)\n"
          "  --layout 33|19|24|26|v2|mixed   field layout (default 33)\n"
          "  --layout json|plain|realtime    the v2 field set as standard logging v2 JSON lines,\n"
          "                         as v2 W3C split by --delimiter, or as headerless real-time\n"
          "                         log lines (with realtime-config.json); not CloudFront's\n"
          "                         legacy file names, so the distribution is in the lines\n"
          "  --delimiter C          field delimiter of --layout plain (default |)\n"
          "  --layout parquet       the v2 layout as CloudFront's v2 Parquet files (*.parquet)\n"
          "  --faults LIST          comma-separated: truncated-gz, corrupt-zst, garbage,\n"
          "                         long-line, short-lines, no-header, empty, multi-member,\n"
          "                         header-switch, crlf, trailing-tab, or all\n"
          "  --situations LIST      comma-separated: cached-origin, fast-origin,\n"
          "                         custom-error-page, cookies-off, waf-http,\n"
          "                         waf-custom-response, captcha, empty-key-pair-id,\n"
          "                         slow-downloads, edge-function, default-domain,\n"
          "                         config-newer, or all (default none)\n"
          "  --403-share F          share of 403 lines, 0..1 (default 0.08)\n"
          "  --plant LIST           comma-separated changes to the 1st distribution's traffic:\n"
          "                         waf-uri (a new WAF rule BlockLegacyExport blocks\n"
          "                         /api/v1/legacy-export), origin-403 (its /api/ origin answers\n"
          "                         403), geo (viewers from BR get geo 403s), or all; every\n"
          "                         other line keeps its bytes\n"
          "  --plant-from H         planted from hour H of the run on (default 0: all of it)\n"
          "  --no-configs           do not write config/DISTID.json\n"
          "  --no-waf               do not write waf/waf-YYYY-MM-DD.log.gz\n"
          "  -j N                   threads (default: all cores); output does not depend on it\n"
          "  -h, --help             this text\n",
          f);
}

static void bad_value(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "cfsgen: %s: bad value '%s' (%s)\n", opt, val, want);
    exit(2);
}

static uint64_t parse_u64(const char *opt, const char *v, uint64_t lo, uint64_t hi)
{
    char *end;
    if (!v[0] || v[0] == '-' || v[0] == '+' || v[0] == ' ') goto bad;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < lo || x > hi) goto bad;
    return x;
bad:;
    char want[96];
    snprintf(want, sizeof want, "expected an integer from %" PRIu64 " to %" PRIu64, lo, hi);
    bad_value(opt, v, want);
    return 0;
}

static uint64_t parse_size(const char *opt, const char *v)
{
    char *end;
    if (!v[0] || !(v[0] >= '0' && v[0] <= '9')) goto bad;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v) goto bad;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'k':
        case 'K': mul = 1024.0; break;
        case 'm':
        case 'M': mul = 1024.0 * 1024; break;
        case 'g':
        case 'G': mul = 1024.0 * 1024 * 1024; break;
        case 't':
        case 'T': mul = 1024.0 * 1024 * 1024 * 1024; break;
        default: goto bad;
        }
        end++;
        if (*end == 'B' || *end == 'b') end++;
        if (*end) goto bad;
    }
    x *= mul;
    if (!(x >= 1024 && x <= 16.0 * 1024 * 1024 * 1024 * 1024)) goto bad;
    return (uint64_t)x;
bad:
    bad_value(opt, v, "expected a size such as 1G, 200M or 512K, at least 1K");
    return 0;
}

static int64_t parse_date(const char *opt, const char *v)
{
    int y, m, d;
    char tail;
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' || sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        goto bad;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(v[i] >= '0' && v[i] <= '9')) goto bad;
    if (y < 1990 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31) goto bad;
    int64_t days = cfs_gen_days_from_civil(y, m, d);
    int yy, mm, dd;
    cfs_gen_civil_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) goto bad; /* e.g. 2026-02-30 */
    return days;
bad:
    bad_value(opt, v, "expected a date YYYY-MM-DD between 1990 and 2099");
    return 0;
}

/* A comma-separated LIST of names[first..n) or "all" (every one of them) into a bit set,
 * bit i for names[i]: --situations, --plant, --faults.  An unknown or empty item exits 2,
 * naming the `what` and the known names. */
static uint32_t parse_name_list(const char *opt, const char *v, const char *what, const char *const *names,
                                int first, int n)
{
    uint32_t bits = 0;
    const char *p = v;
    if (!*p) {
        char why[80];
        snprintf(why, sizeof why, "expected a comma-separated list of %ss", what);
        bad_value(opt, v, why);
    }
    while (*p) {
        const size_t len = strcspn(p, ",");
        int found = 0;
        if (len == 3 && !memcmp(p, "all", 3)) {
            for (int i = first; i < n; i++) bits |= 1u << i;
            found = 1;
        }
        for (int i = first; i < n && !found; i++)
            if (strlen(names[i]) == len && !memcmp(p, names[i], len)) {
                bits |= 1u << i;
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "cfsgen: %s: unknown %s '%.*s' (known:", opt, what, (int)(len < 60 ? len : 60),
                    p);
            for (int i = first; i < n; i++) fprintf(stderr, " %s,", names[i]);
            fputs(" all)\n", stderr);
            exit(2);
        }
        p += len;
        if (*p == ',' && !*++p) bad_value(opt, v, "empty item in the list");
    }
    return bits;
}

/* Splits argv[i] into an option name and, when attached, its value: "--opt=value",
 * "--opt", "-oDIR", "-o", "-jN", "-j", "-h". */
static void split_arg(const char *a, char name[64], const char **val)
{
    *val = NULL;
    if (a[0] == '-' && a[1] == '-') {
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        if (n >= 64) n = 63;
        memcpy(name, a, n);
        name[n] = 0;
        if (eq) *val = eq + 1;
    } else if (a[0] == '-' && (a[1] == 'o' || a[1] == 'j' || a[1] == 'h')) {
        name[0] = '-';
        name[1] = a[1];
        name[2] = 0;
        if (a[2]) *val = a + 2;
    } else {
        fprintf(stderr, "cfsgen: unexpected argument '%s' (see --help)\n", a);
        exit(2);
    }
}

/* The options without a value; returns 0 when name is not one of them. */
static int set_flag(opts_t *o, const char *name, const char *val)
{
    int flag = !strcmp(name, "--no-configs") || !strcmp(name, "--no-waf") || !strcmp(name, "--help") ||
               !strcmp(name, "-h");
    if (!flag) return 0;
    if (val) {
        fprintf(stderr, "cfsgen: %s: takes no value\n", name);
        exit(2);
    }
    if (!strcmp(name, "--no-configs")) o->configs = 0;
    else if (!strcmp(name, "--no-waf")) o->waf = 0;
    else {
        usage(stdout);
        exit(0);
    }
    return 1;
}

static int takes_value(const char *name)
{
    /* clang-format off */
    static const char *const known[] = {"-o", "-j", "--seed", "--dists", "--days", "--start",
                                        "--files-per-hour", "--lines-per-file", "--size",
                                        "--format", "--layout", "--faults", "--situations", "--403-share",
                                        "--out", "--threads", "--world-seed", "--plant", "--plant-from",
                                        "--delimiter"};
    /* clang-format on */
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (!strcmp(name, known[k])) return 1;
    return 0;
}

static int parse_format(const char *name, const char *val)
{
    if (!strcmp(val, "gz")) return FMT_GZ;
    if (!strcmp(val, "zst")) return FMT_ZST;
    if (!strcmp(val, "plain")) return FMT_PLAIN;
    bad_value(name, val, "expected gz, zst or plain");
    return 0;
}

static int parse_layout(opts_t *o, const char *name, const char *val)
{
    /* the v2 field set in another output format (gen.h, V2OUT_*) */
    static const char *const v2out[] = {"json", "plain", "realtime"};
    for (int k = 0; k < 3; k++)
        if (!strcmp(val, v2out[k])) {
            o->v2out = V2OUT_JSON + k;
            return LAY_V2;
        }
    o->v2out = V2OUT_NONE;
    for (int k = 0; k <= LAY_MIXED; k++)
        if (!strcmp(val, cfs_gen_layout_name[k])) return k;
    bad_value(name, val, "expected 33, 19, 24, 26, v2, mixed, json, plain, realtime or parquet");
    return 0;
}

static double parse_share(const char *name, const char *val)
{
    char *end;
    errno = 0;
    double x = strtod(val, &end);
    if (errno || end == val || *end || !(x >= 0.0 && x <= 1.0))
        bad_value(name, val, "expected a number from 0 to 1");
    return x;
}

/* One option with its value (takes_value(name) holds). */
static void set_value(opts_t *o, const char *name, const char *val)
{
    if (!strcmp(name, "-o") || !strcmp(name, "--out")) {
        if (!*val) bad_value(name, val, "expected a directory");
        o->out = val;
    } else if (!strcmp(name, "-j") || !strcmp(name, "--threads"))
        o->threads = (int)parse_u64(name, val, 1, 1024);
    else if (!strcmp(name, "--seed")) o->seed = parse_u64(name, val, 0, UINT64_MAX);
    else if (!strcmp(name, "--dists")) o->dists = (uint32_t)parse_u64(name, val, 1, 1000);
    else if (!strcmp(name, "--days")) o->days = (uint32_t)parse_u64(name, val, 1, 3660);
    else if (!strcmp(name, "--start")) o->start_day = parse_date(name, val);
    else if (!strcmp(name, "--files-per-hour")) o->fph = (uint32_t)parse_u64(name, val, 1, 60);
    else if (!strcmp(name, "--lines-per-file")) o->lpf = (uint32_t)parse_u64(name, val, 1, 50000000);
    else if (!strcmp(name, "--size")) o->size = parse_size(name, val);
    else if (!strcmp(name, "--format")) o->fmt = parse_format(name, val);
    else if (!strcmp(name, "--layout") && !strcmp(val, "parquet")) {
        o->layout = LAY_V2;
        o->v2out = V2OUT_NONE;
        o->parquet = 1;
    } else if (!strcmp(name, "--layout")) {
        o->layout = parse_layout(o, name, val);
        o->parquet = 0;
    } else if (!strcmp(name, "--delimiter")) {
        if (strlen(val) != 1 || val[0] <= ' ' || val[0] >= 0x7f || val[0] == '%' || val[0] == '{' ||
            val[0] == '#' || val[0] == '-' || (val[0] >= '0' && val[0] <= '9') ||
            (val[0] >= 'a' && val[0] <= 'z') || (val[0] >= 'A' && val[0] <= 'Z'))
            bad_value(name, val,
                      "expected one printable byte other than a letter, digit, '%', '-', '{' or '#'");
        o->delim = val[0];
    } else if (!strcmp(name, "--faults"))
        o->faults = parse_name_list(name, val, "fault", fault_name, 0, NFAULT);
    else if (!strcmp(name, "--situations"))
        o->situations = parse_name_list(name, val, "situation", cfs_gen_situation_name, 1, NSIT);
    else if (!strcmp(name, "--403-share")) o->share403 = parse_share(name, val);
    else if (!strcmp(name, "--world-seed")) {
        o->world_seed = parse_u64(name, val, 0, UINT64_MAX);
        o->world_seed_set = 1;
    } else if (!strcmp(name, "--plant"))
        o->plant = parse_name_list(name, val, "change", cfs_gen_plant_name, 0, NPLANT);
    else if (!strcmp(name, "--plant-from")) o->plant_from = (uint32_t)parse_u64(name, val, 0, 3660 * 24);
}

static void parse_args(int argc, char **argv, opts_t *o)
{
    cfs_gen_opts_default(o);
    for (int i = 1; i < argc; i++) {
        char name[64];
        const char *val;
        split_arg(argv[i], name, &val);
        if (set_flag(o, name, val)) continue;
        if (!takes_value(name)) {
            fprintf(stderr, "cfsgen: unknown option '%s' (see --help)\n", name);
            exit(2);
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cfsgen: %s: missing value\n", name);
                exit(2);
            }
            val = argv[++i];
        }
        set_value(o, name, val);
    }
    if (!o->out) {
        fputs("cfsgen: -o DIR is required (see --help)\n", stderr);
        exit(2);
    }
    if (o->v2out != V2OUT_NONE && o->faults) {
        /* the damage is written in the TAB layouts' terms (gen_faults.c) */
        fputs("cfsgen: --faults applies to the TAB layouts, not to --layout json, plain or realtime\n",
              stderr);
        exit(2);
    }
    /* cfscan takes times up to 2100-01-01 (day 47482) only (pipeline/types.h), so the
     * generated lines must end by then, or they would all be bad values. */
    /* the faults damage text and its compression; a Parquet file has neither */
    if (o->parquet && o->faults) {
        fputs("cfsgen: --faults cannot be combined with --layout parquet\n", stderr);
        exit(2);
    }
    if (o->start_day + (int64_t)o->days > 47482) {
        fputs("cfsgen: --start plus --days must end by 2100-01-01\n", stderr);
        exit(2);
    }
    if (o->plant_from >= o->days * 24u) {
        fprintf(stderr, "cfsgen: --plant-from %u: the run has only %u hours (0..%u)\n", o->plant_from,
                o->days * 24, o->days * 24 - 1);
        exit(2);
    }
    /* every file keeps its counts until the end (~1 KB each) */
    if ((uint64_t)o->dists * o->days * 24 * o->fph > 500000) {
        fputs("cfsgen: --dists x --days x 24 x --files-per-hour: more than 500000 files\n", stderr);
        exit(2);
    }
}

/* --size: the lines per regular file that make about o->size bytes in all. */
static void apply_size(const world_t *W, plan_t *P, opts_t *o)
{
    double mean = cfs_gen_mean_line_bytes(W, P);
    double lines = (double)o->size / (mean * (double)P->nregular);
    uint32_t lpf = lines < 1 ? 1 : lines > 50000000 ? 50000000 : (uint32_t)(lines + 0.5);
    o->lpf = lpf;
    for (size_t i = 0; i < P->nregular; i++) P->j[i].nlines = lpf;
}

/* Every log file, on all threads; returns non-zero when one could not be written. */
static int write_logs(const world_t *W, plan_t *P)
{
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        tls_t T;
        cfs_gen_tls_init(&T);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < P->n; i++) {
            cfs_gen_job_generate(W, &P->j[i], &T);
            cfs_gen_job_write(W, &P->j[i], &T);
            if (P->j[i].err) failed = 1;
        }
        cfs_gen_tls_free(&T);
    }
    return failed;
}

int main(int argc, char **argv)
{
    opts_t o;
    parse_args(argc, argv, &o);
    if (o.threads) omp_set_num_threads(o.threads);
    if (cfs_gen_make_dir(o.out)) {
        fprintf(stderr, "cfsgen: -o: cannot create directory '%s': %s\n", o.out, strerror(errno));
        return 1;
    }
    double t0 = omp_get_wtime();
    world_t *W = malloc(sizeof *W);
    if (!W) die_nomem();
    cfs_gen_world_init(W, &o);
    plan_t P;
    cfs_gen_plan_build(W, &P);
    if (o.size) apply_size(W, &P, &o);

    int failed = write_logs(W, &P);
    uint64_t raw = 0, out = 0, lines = 0;
    for (size_t i = 0; i < P.n; i++) {
        if (P.j[i].err)
            fprintf(stderr, "cfsgen: cannot write %s/%s: %s\n", o.out, P.j[i].name, strerror(P.j[i].err));
        raw += P.j[i].raw_bytes;
        out += P.j[i].out_bytes;
        lines += P.j[i].lines;
    }
    double t1 = omp_get_wtime();

    if (cfs_gen_write_labels(W, &P)) failed = 1;
    if (cfs_gen_write_expected(W, &P)) failed = 1;
    if (o.configs && cfs_gen_write_configs(W)) failed = 1;
    if (o.waf && cfs_gen_write_waf(W, &P)) failed = 1;
    if (o.v2out == V2OUT_REALTIME && cfs_gen_write_realtime_config(W)) failed = 1;
    double t2 = omp_get_wtime();
    fprintf(stderr,
            "cfsgen: %zu files, %" PRIu64 " lines, %.1f MB uncompressed -> %.1f MB written; logs %.2f s "
            "(%.0f MB/s), total %.2f s (%.0f MB/s)\n",
            P.n, lines, raw / 1e6, out / 1e6, t1 - t0, raw / 1e6 / (t1 - t0), t2 - t0, raw / 1e6 / (t2 - t0));

    cfs_gen_plan_free(&P);
    cfs_gen_world_free(W);
    free(W);
    return failed ? 1 : 0;
}
