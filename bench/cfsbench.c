/* cfsbench: microbenchmarks of the structural scan kernels next to memchr and a plain byte
 * loop, and decompression-only baselines, all on one in-memory buffer of CloudFront lines;
 * plus `cfsbench decode FILE...`, decode-only through the pipeline's own reader (run.sh). */
#include <errno.h>
#include <libdeflate.h>
#include <malloc.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>
#include <zstd.h>

#include "datasets/gen_api.h"
#include "kernels/kernels.h"
#include "pipeline/decode.h"
#include "pipeline/source.h"
#include "pipeline/types.h"

/* Streaming decoders hand out pieces of this size, as pipeline/decode.c does, so the zlib
 * and zstd baselines pay the same per-piece costs as cfscan. */
#define STREAM_PIECE CFS_DECODE_PIECE
/* The pipeline scans in windows of one longest legal line plus its LF (scan.c WINDOW). */
#define DEFAULT_WINDOW (CFS_MAX_LINE + 1)
#define MAX_ENTRIES 32
#define MAX_RUNS 1000

/* ---- the data ------------------------------------------------------------------------ */

/* The buffer holds cfsgen's own lines (datasets/gen_api.h): the 33-field layout with the
 * generator's mix of statuses, 403 causes, user agents, queries and cookies, so that the
 * kernels see the separator density and line lengths of the generated data sets. */

/* ---- the benchmarked functions ---------------------------------------------------------- */

typedef struct bctx {
    const uint8_t *plain;
    size_t plain_len;
    uint64_t lines;
    const uint8_t *gz;
    size_t gz_len;
    const uint8_t *zst;
    size_t zst_len;
    size_t window;
    uint32_t *pos;  /* window + CFS_SCAN_POS_SLACK entries (LF offsets), reused like a thread's */
    uint64_t *tabs; /* the window's TAB map */
    uint8_t *out;   /* plain_len bytes: libdeflate's whole-buffer target */
    uint8_t *piece; /* STREAM_PIECE bytes: the streaming decoders' output */
    struct libdeflate_decompressor *ld;
    ZSTD_DStream *zd;
} bctx;

/* Every function returns a count that the harness checks against an independent answer,
 * which also keeps the compiler from discarding the work.  With `verify` set (the
 * warm-up run only) decoders also compare their output with the original bytes. */
typedef uint64_t (*bench_fn)(const bctx *c, const void *arg, int verify);

typedef struct bench_entry {
    char name[32];
    const char *group; /* "scan", "baseline" or "decode" */
    bench_fn fn;
    const void *arg;
} bench_entry;

/* The TABs the pipeline picks on every line of the standard 33-field layout (fields.c,
 * cfs_layout.want_every): around date, time, edge, bytes, cs(Host), status and
 * x-edge-result-type. */
static const uint8_t k_bench_want[] = {0, 1, 2, 3, 5, 6, 7, 8, 12, 13};

/* A scan kernel over the buffer in pipeline-sized windows, as the pipeline uses it: the
 * line ends, then each complete line's lean TABs with the kernel's picking locator.
 * Returns LFs plus the TABs of those lines. */
static uint64_t b_scan(const bctx *c, const void *arg, int verify)
{
    const cfs_kernel *k = arg;
    (void)verify;
    uint64_t total = 0;
    uint32_t cols[16 + CFS_COLS_SLACK];
    for (size_t off = 0; off < c->plain_len; off += c->window) {
        size_t w = c->plain_len - off < c->window ? c->plain_len - off : c->window;
        size_t nlf = k->scan(c->plain + off, w, c->tabs, c->pos);
        uint32_t ls = 0;
        for (size_t i = 0; i < nlf; i++) {
            total += 1 + k->pick(c->tabs, ls, c->pos[i], k_bench_want, sizeof k_bench_want, cols);
            ls = c->pos[i] + 1;
        }
    }
    return total;
}

static uint64_t b_memchr_lf(const bctx *c, const void *arg, int verify)
{
    (void)arg, (void)verify;
    uint64_t n = 0;
    const uint8_t *p = c->plain, *end = c->plain + c->plain_len;
    while (p < end) {
        const uint8_t *q = memchr(p, '\n', (size_t)(end - p));
        if (!q) break;
        n++;
        p = q + 1;
    }
    return n;
}

/* What the compiler makes of the simplest loop at the build's optimisation level. */
static uint64_t b_byteloop_lf(const bctx *c, const void *arg, int verify)
{
    (void)arg, (void)verify;
    uint64_t n = 0;
    for (size_t i = 0; i < c->plain_len; i++) n += c->plain[i] == '\n';
    return n;
}

static uint64_t b_libdeflate_gz(const bctx *c, const void *arg, int verify)
{
    (void)arg;
    size_t got = 0;
    if (libdeflate_gzip_decompress(c->ld, c->gz, c->gz_len, c->out, c->plain_len, &got) != LIBDEFLATE_SUCCESS)
        return 0;
    if (verify && (got != c->plain_len || memcmp(c->out, c->plain, got) != 0)) return 0;
    return got;
}

static uint64_t b_zlib_gz(const bctx *c, const void *arg, int verify)
{
    (void)arg;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return 0;
    zs.next_in = (Bytef *)(uintptr_t)c->gz;
    zs.avail_in = (uInt)c->gz_len;
    uint64_t total = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = c->piece;
        zs.avail_out = (uInt)STREAM_PIECE;
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) break;
        size_t got = STREAM_PIECE - zs.avail_out;
        if (verify && (total + got > c->plain_len || memcmp(c->piece, c->plain + total, got)))
            rc = Z_DATA_ERROR;
        total += got;
        if (rc == Z_DATA_ERROR || (got == 0 && rc == Z_OK)) break;
    }
    inflateEnd(&zs);
    return rc == Z_STREAM_END ? total : 0;
}

static uint64_t b_zstd_stream(const bctx *c, const void *arg, int verify)
{
    (void)arg;
    if (ZSTD_isError(ZSTD_initDStream(c->zd))) return 0;
    ZSTD_inBuffer ib = {c->zst, c->zst_len, 0};
    uint64_t total = 0;
    size_t rc = 1;
    while (rc != 0) {
        ZSTD_outBuffer ob = {c->piece, STREAM_PIECE, 0};
        rc = ZSTD_decompressStream(c->zd, &ob, &ib);
        if (ZSTD_isError(rc)) return 0;
        if (verify && (total + ob.pos > c->plain_len || memcmp(c->piece, c->plain + total, ob.pos))) return 0;
        total += ob.pos;
        if (ob.pos == 0 && ib.pos == ib.size) break; /* input used up mid-frame */
    }
    return rc == 0 ? total : 0;
}

/* ---- timing ----------------------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct bench_result {
    double median_s, min_s;
    uint64_t value; /* what the warm-up (verifying) run returned */
    int ok;         /* value matched the independent answer */
} bench_result;

/* One verifying warm-up run (it also faults in the output buffers), then `runs` timed runs.
 * Every timed run must return the warm-up's value, or the entry is marked failed. */
static void run_entry(const bctx *c, const bench_entry *e, int runs, bench_result *r)
{
    double t[MAX_RUNS];
    r->value = e->fn(c, e->arg, 1);
    int same = 1;
    for (int i = 0; i < runs; i++) {
        double t0 = now_s();
        uint64_t v = e->fn(c, e->arg, 0);
        t[i] = now_s() - t0;
        same &= v == r->value;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp_double);
    r->min_s = t[0];
    r->median_s = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
    r->ok = same;
}

/* ---- setup and output -------------------------------------------------------------------- */

static void cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        v++;
        while (*v == ' ') v++;
        snprintf(out, n, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

/* Print s as a JSON string (the CPU model is the only free text; keep it valid anyway). */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

static const char *const USAGE =
    "usage: cfsbench [--runs N] [--size MIB] [--seed N] [--window BYTES] [--only a,b]\n"
    "                [--csv | --json] [--list]\n"
    "       cfsbench decode [-j N] [--gzip-decoder auto|zlib|isal|libdeflate] FILE...\n"
    "\n"
    "The first form times every scan kernel this CPU runs, a memchr LF count, a byte loop,\n"
    "and libdeflate/zlib/zstd decompression of the same bytes (built in memory: MIB MiB of\n"
    "cfsgen's 33-field lines for --seed N, default 64), one warm-up and N timed runs\n"
    "(default 10);\n"
    "GB/s = 1e9 uncompressed bytes per second; ratio = median GB/s / memchr_lf median GB/s.\n"
    "The decode form decodes FILEs with the pipeline's reader on N threads, no parsing, and\n"
    "prints one JSON line (the decode-only floor for `cfscan scan` with the same -j).\n";

static int parse_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || cfs_parse_u64(s, strlen(s), out) != 0 || *out < lo || *out > hi) return -1;
    return 0;
}

/* Does `name` pass the --only filter (comma-separated substrings)? */
static int selected(const char *only, const char *name)
{
    if (!only) return 1;
    const char *p = only;
    while (*p) {
        size_t k = strcspn(p, ",");
        if (k && k <= strlen(name)) {
            for (const char *q = name; *q; q++)
                if (strncmp(q, p, k) == 0) return 1;
        }
        p += k;
        if (*p == ',') p++;
    }
    return 0;
}

static size_t add_entry(bench_entry *t, size_t n, const char *name, const char *group, bench_fn fn,
                        const void *arg)
{
    if (n >= MAX_ENTRIES) return n;
    snprintf(t[n].name, sizeof t[n].name, "%s", name);
    t[n].group = group;
    t[n].fn = fn;
    t[n].arg = arg;
    return n + 1;
}

/* The independent answer each entry must return: scan kernels the scalar reference's
 * count, LF counters the lines written, decoders the uncompressed length. */
static uint64_t expected_value(const bench_entry *e, const bctx *c, uint64_t scalar_count)
{
    if (strcmp(e->group, "scan") == 0) return scalar_count;
    if (strcmp(e->group, "baseline") == 0) return c->lines;
    return c->plain_len;
}

static int bench_main(int argc, char **argv)
{
    uint64_t runs = 10, size_mib = 64, seed = 1, window = DEFAULT_WINDOW;
    const char *only = NULL;
    int csv = 0, json = 0, list = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--runs")) {
            if (parse_num(v, 1, MAX_RUNS, &runs)) goto bad;
            i++;
        } else if (!strcmp(a, "--size")) {
            if (parse_num(v, 1, 1024, &size_mib)) goto bad;
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (parse_num(v, 0, UINT64_MAX, &seed)) goto bad;
            i++;
        } else if (!strcmp(a, "--window")) {
            /* at least one longest line, at most what uint32_t offsets allow */
            if (parse_num(v, 4096, CFS_SCAN_MAX_LEN, &window)) goto bad;
            i++;
        } else if (!strcmp(a, "--only")) {
            if (!v) goto bad;
            only = v;
            i++;
        } else if (!strcmp(a, "--csv")) {
            csv = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(USAGE, stdout);
            return 0;
        } else {
            fprintf(stderr, "cfsbench: unknown option or bad value at '%s'\n%s", a, USAGE);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "cfsbench: bad or missing value for %s\n", a);
        return 2;
    }
    if (csv && json) {
        fprintf(stderr, "cfsbench: --csv and --json exclude each other\n");
        return 2;
    }

    /* The table: every kernel this CPU runs, then the baselines, then the decoders. */
    bench_entry table[MAX_ENTRIES];
    size_t nt = 0, nk = 0;
    const cfs_kernel *kt = cfs_kernel_table(&nk);
    for (size_t i = 0; i < nk; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "scan_%s", kt[i].name);
        if (!cfs_kernel_by_name(kt[i].name)) {
            if (!csv && !json) fprintf(stderr, "cfsbench: %s skipped: not supported by this CPU\n", nm);
            continue;
        }
        nt = add_entry(table, nt, nm, "scan", b_scan, cfs_kernel_by_name(kt[i].name));
    }
    nt = add_entry(table, nt, "memchr_lf", "baseline", b_memchr_lf, NULL);
    nt = add_entry(table, nt, "byteloop_lf", "baseline", b_byteloop_lf, NULL);
    nt = add_entry(table, nt, "gunzip_libdeflate", "decode", b_libdeflate_gz, NULL);
    nt = add_entry(table, nt, "gunzip_zlib_stream", "decode", b_zlib_gz, NULL);
    nt = add_entry(table, nt, "unzstd_stream", "decode", b_zstd_stream, NULL);
    if (list) {
        for (size_t i = 0; i < nt; i++) printf("%s\t%s\n", table[i].name, table[i].group);
        return 0;
    }

    /* Data: lines, then gzip (libdeflate level 1, one member) and zstd (level 1 with the
     * content checksum) as cfsgen writes them, so decode costs match the generated sets. */
    bctx c;
    memset(&c, 0, sizeof c);
    size_t target = (size_t)size_mib << 20;
    uint8_t *plain = malloc(target);
    c.window = (size_t)window;
    c.pos = malloc((c.window + CFS_SCAN_POS_SLACK) * sizeof *c.pos);
    c.tabs = malloc(CFS_SCAN_WORDS(c.window) * sizeof *c.tabs);
    c.out = malloc(target);
    c.piece = malloc(STREAM_PIECE);
    struct libdeflate_compressor *lc = libdeflate_alloc_compressor(1);
    if (!plain || !c.pos || !c.tabs || !c.out || !c.piece || !lc) {
        fprintf(stderr, "cfsbench: out of memory\n");
        return 1;
    }
    c.plain_len = cfs_gen_sample_text(seed, (char *)plain, target, &c.lines);
    c.plain = plain;
    size_t gz_cap = libdeflate_gzip_compress_bound(lc, c.plain_len);
    uint8_t *gz = malloc(gz_cap);
    size_t zst_cap = ZSTD_compressBound(c.plain_len);
    uint8_t *zst = malloc(zst_cap);
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    if (!gz || !zst || !zc) {
        fprintf(stderr, "cfsbench: out of memory\n");
        return 1;
    }
    c.gz_len = libdeflate_gzip_compress(lc, plain, c.plain_len, gz, gz_cap);
    ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1);
    c.zst_len = ZSTD_compress2(zc, zst, zst_cap, plain, c.plain_len);
    if (c.gz_len == 0 || ZSTD_isError(c.zst_len)) {
        fprintf(stderr, "cfsbench: compressing the test data failed\n");
        return 1;
    }
    c.gz = gz;
    c.zst = zst;
    c.ld = libdeflate_alloc_decompressor();
    c.zd = ZSTD_createDStream();
    if (!c.ld || !c.zd) {
        fprintf(stderr, "cfsbench: out of memory\n");
        return 1;
    }
    /* The scalar kernel is the oracle for the others' counts (tests prove positions). */
    uint64_t scalar_count = b_scan(&c, cfs_kernel_by_name("scalar"), 0);

    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    const cfs_kernel *active = cfs_kernel_active();
    bench_result res[MAX_ENTRIES];
    int ran[MAX_ENTRIES] = {0};
    double memchr_gbps = 0;
    int failed = 0;
    for (size_t i = 0; i < nt; i++) {
        /* memchr always runs: every ratio is taken to it, measured in this same run */
        if (!selected(only, table[i].name) && strcmp(table[i].name, "memchr_lf") != 0) continue;
        run_entry(&c, &table[i], (int)runs, &res[i]);
        res[i].ok &= res[i].value == expected_value(&table[i], &c, scalar_count);
        failed |= !res[i].ok;
        ran[i] = 1;
        if (!strcmp(table[i].name, "memchr_lf")) memchr_gbps = c.plain_len / res[i].median_s / 1e9;
    }

    if (csv) {
        printf("name,group,bytes,runs,median_s,min_s,median_gbps,best_gbps,ratio_to_memchr,ok\n");
    } else if (json) {
        printf("{\"cpu\":");
        json_str(stdout, cpu);
        printf(",\"active_kernel\":\"%s\",\"bytes\":%zu,\"lines\":%llu,\"gz_bytes\":%zu,"
               "\"zst_bytes\":%zu,\"runs\":%llu,\"window\":%zu,\"threads\":1,\"results\":[",
               active->name, c.plain_len, (unsigned long long)c.lines, c.gz_len, c.zst_len,
               (unsigned long long)runs, c.window);
    } else {
        printf("cfsbench: %s, kernel chosen by dispatch: %s\n", cpu, active->name);
        printf("data: %.1f MiB, %llu lines (%.0f bytes/line, 33 fields), gz %.1f MiB (%.2fx), "
               "zst %.1f MiB (%.2fx)\n",
               c.plain_len / 1048576.0, (unsigned long long)c.lines, (double)c.plain_len / (double)c.lines,
               c.gz_len / 1048576.0, (double)c.plain_len / (double)c.gz_len, c.zst_len / 1048576.0,
               (double)c.plain_len / (double)c.zst_len);
        printf("one thread, 1 warm-up + %llu runs; scan window %zu bytes; GB/s = 1e9 "
               "uncompressed bytes/s\n\n",
               (unsigned long long)runs, c.window);
        printf("%-20s %-9s %12s %10s %10s %9s %s\n", "name", "group", "median GB/s", "best GB/s", "ns/line",
               "x memchr", "check");
    }
    int first = 1;
    for (size_t i = 0; i < nt; i++) {
        if (!ran[i]) continue;
        const bench_result *r = &res[i];
        double med = c.plain_len / r->median_s / 1e9, best = c.plain_len / r->min_s / 1e9;
        double ratio = memchr_gbps > 0 ? med / memchr_gbps : 0;
        if (csv) {
            printf("%s,%s,%zu,%llu,%.6f,%.6f,%.3f,%.3f,%.3f,%d\n", table[i].name, table[i].group, c.plain_len,
                   (unsigned long long)runs, r->median_s, r->min_s, med, best, ratio, r->ok);
        } else if (json) {
            printf("%s{\"name\":\"%s\",\"group\":\"%s\",\"median_s\":%.6f,\"min_s\":%.6f,"
                   "\"median_gbps\":%.3f,\"best_gbps\":%.3f,\"ratio_to_memchr\":%.3f,\"ok\":%s}",
                   first ? "" : ",", table[i].name, table[i].group, r->median_s, r->min_s, med, best, ratio,
                   r->ok ? "true" : "false");
        } else {
            printf("%-20s %-9s %12.2f %10.2f %10.1f %9.2f %s\n", table[i].name, table[i].group, med, best,
                   r->median_s * 1e9 / (double)c.lines, ratio, r->ok ? "ok" : "MISMATCH");
        }
        first = 0;
    }
    if (json) printf("]}\n");
    if (failed) fprintf(stderr, "cfsbench: some entries returned a wrong count (see check)\n");

    ZSTD_freeCCtx(zc);
    ZSTD_freeDStream(c.zd);
    libdeflate_free_compressor(lc);
    libdeflate_free_decompressor(c.ld);
    free(plain);
    free(gz);
    free(zst);
    free(c.pos);
    free(c.tabs);
    free(c.out);
    free(c.piece);
    return failed ? 1 : 0;
}

/* ---- decode-only over files ------------------------------------------------------------ */

/* Decode every input with cfs_reader on `threads` threads (dynamic schedule, largest file
 * first as cfscan orders them) and touch one byte per 4 KiB of output, so plain files
 * pay their page faults as a scan would.  This is exactly cfscan's decode path minus the
 * scan, parse and aggregate stages. */
static int decode_main(int argc, char **argv)
{
    uint64_t threads = 0;
    cfs_gz_mode gz = CFS_GZ_AUTO;
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-j") || !strcmp(a, "--threads")) {
            if (parse_num(v, 1, 1024, &threads)) {
                fprintf(stderr, "cfsbench: bad thread count\n");
                return 2;
            }
            i++;
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            if (parse_num(a + 2, 1, 1024, &threads)) {
                fprintf(stderr, "cfsbench: bad thread count\n");
                return 2;
            }
        } else if (!strcmp(a, "--gzip-decoder")) {
            if (v && !strcmp(v, "zlib")) gz = CFS_GZ_ZLIB;
            else if (v && !strcmp(v, "isal")) gz = CFS_GZ_ISAL;
            else if (v && !strcmp(v, "libdeflate")) gz = CFS_GZ_LIBDEFLATE;
            else if (v && !strcmp(v, "auto")) gz = CFS_GZ_AUTO;
            else {
                fprintf(stderr, "cfsbench: --gzip-decoder auto|zlib|isal|libdeflate\n");
                return 2;
            }
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "cfsbench decode: unknown option '%s'\n", a);
            return 2;
        } else {
            cfs_inputs_add(&in, a, CFS_NO_TIME, CFS_NO_TIME);
        }
    }
    for (size_t i = 0; i < in.nerr; i++) fprintf(stderr, "cfsbench: %s: %s\n", in.err[i].path, in.err[i].msg);
    if (!in.n) {
        fprintf(stderr, "cfsbench decode: no input files\n");
        return 2;
    }
    cfs_inputs_sort(&in);
    if (threads) omp_set_num_threads((int)threads);
    /* With nothing else allocated, glibc gives each file's reader fresh pages: the buffers
     * freed at its end leave the top of the thread's heap, which is trimmed, and the next
     * file faults them in again (73,000 page faults and 1.9 CPU-s on the 1 GB zst set at
     * -j2, against 1,200 and 0.8 CPU-s with these settings; a scan keeps other memory
     * above them and takes 31,000 either way).  The floor is the decoder's speed, not the
     * allocator's. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    uint64_t bytes_in = 0, bytes_out = 0, touched = 0;
    int errors = 0;
    double t0 = now_s();
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : bytes_in, bytes_out, touched, errors)
    for (size_t i = 0; i < in.n; i++) {
        char err[256];
        cfs_reader *r = NULL;
        if (cfs_reader_open(&r, &in.v[i], gz, err, sizeof err) != CFS_OK) {
            fprintf(stderr, "cfsbench: %s: %s\n", in.v[i].path, err);
            errors++;
            continue;
        }
        for (;;) {
            const char *buf;
            size_t len;
            if (cfs_reader_next(r, &buf, &len, err, sizeof err) != CFS_OK) {
                fprintf(stderr, "cfsbench: %s: %s\n", in.v[i].path, err);
                errors++;
                break;
            }
            if (len == 0) break;
            for (size_t k = 0; k < len; k += 4096) touched += (unsigned char)buf[k];
            bytes_out += len;
        }
        bytes_in += cfs_reader_in_bytes(r);
        cfs_reader_close(r);
    }
    double el = now_s() - t0;
    printf("{\"files\":%zu,\"threads\":%d,\"bytes_in\":%llu,\"bytes_decoded\":%llu,\"seconds\":%.6f,"
           "\"mb_per_s\":%.1f,\"errors\":%d,\"touch\":%llu}\n",
           in.n, threads ? (int)threads : omp_get_max_threads(), (unsigned long long)bytes_in,
           (unsigned long long)bytes_out, el, el > 0 ? bytes_out / el / 1e6 : 0.0, errors,
           (unsigned long long)(touched & 0xff));
    cfs_inputs_free(&in);
    return errors ? 4 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "decode")) return decode_main(argc, argv);
    return bench_main(argc, argv);
}
