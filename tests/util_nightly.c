/* Test helpers for the nightly and scale-out tests (test_merge_dedupe, test_shard,
 * test_update): a shell runner, a generated day of logs, a scan's JSON report, an input
 * manifest's size and a report compared with one scan's. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tests/util.h"

/* Run a shell command line made from fmt; its exit status, stderr in *err (may be NULL). */
int tu_sh(char **out, char **err, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out, err);
}

/* dir/logs: cfsgen's 48 hourly log files of 2 distributions over one day (nothing else,
 * so every input is a log file). */
void tu_make_day_logs(const char *dir)
{
    char *err = NULL;
    int rc = tu_sh(NULL, &err,
                   "%s -o %s/g --dists 2 --days 1 --lines-per-file 100 >/dev/null && mkdir %s/logs && "
                   "mv %s/g/*.gz %s/logs/",
                   tu_prog("cfsgen"), dir, dir, dir, dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
}

/* `cfscan ARGS --format json -q` from dir: its JSON report (the caller frees it). */
char *tu_scan_json(const char *dir, int want_rc, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "cd %s && %s %s --format json -q", dir, tu_prog("cfscan"), args);
    cr_assert_eq(rc, want_rc, "cfscan %s: exit %d, wanted %d: %s", args, rc, want_rc, err ? err : "");
    free(err);
    return out;
}

/* Entries (lines after the two header lines) of dir/SUM/inputs.cfm; -1 when absent. */
long tu_manifest_entries(const char *dir, const char *sum)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/inputs.cfm", dir, sum);
    char *t = tu_read(p, NULL);
    if (!t) return -1;
    long n = 0;
    for (char *q = t; *q; q++) n += *q == '\n';
    free(t);
    return n - 2;
}

/* a and b are the same report (a merge gives exactly one scan's: causes, what would settle
 * them and top lists included, while no cause has more distinct values than a top list
 * holds), and a holds causes. */
void tu_assert_merge_exact(const char *a, const char *b, const char *what)
{
    cr_assert(strstr(a, "\"causes\":[{"), "%s: the report has 403 causes to compare", what);
    cr_assert(strlen(a) > 1000, "%s: something to compare", what);
    cr_assert_str_eq(a, b, "%s", what);
}

/* Rewrite a state.cfs as schema 3 wrote it (a state `merge` still reads): the payload up
 * to its empty EVID section, recompressed, with the old version and a valid checksum.
 * The schema 5 sections after EVID go too, so the 403s a schema 5 scan held back as
 * records are not in the tables (a schema 3 writer had counted them there): compare only
 * what the input rows say.  The scan must have had no evidence (an empty EVID). */
void tu_downgrade_state(const char *path)
{
    size_t n = 0;
    unsigned char *f = (unsigned char *)tu_read(path, &n);
    cr_assert(f && n > 36 && !memcmp(f, "CFSSTATE", 8));
    uint64_t raw = 0; /* the header's payload length (the writer streams: the frame lacks it) */
    for (int i = 0; i < 8; i++) raw |= (uint64_t)f[12 + i] << (8 * i);
    cr_assert(raw >= 12 && raw < (64u << 20));
    unsigned char *p = malloc(raw);
    cr_assert_eq(ZSTD_decompress(p, raw, f + 20, n - 36), raw);
    static const unsigned char evid0[16] = {'E', 'V', 'I', 'D', 0, 0, 0, 0, 0, 0, 0, 0, 'F', 'C', 'T', 'S'};
    size_t plen = 0;
    for (size_t i = raw - 12; i > 0 && !plen; i--)
        if (!memcmp(p + i, evid0, 12) && (i + 12 == raw || (i + 16 <= raw && !memcmp(p + i, evid0, 16))))
            plen = i;
    cr_assert(plen, "the payload has no empty EVID section");
    size_t cap = ZSTD_compressBound(plen);
    unsigned char *o = malloc(20 + cap + 16);
    memcpy(o, "CFSSTATE", 8);
    for (int i = 0; i < 4; i++) o[8 + i] = (unsigned char)(3u >> (8 * i));
    for (int i = 0; i < 8; i++) o[12 + i] = (unsigned char)((uint64_t)plen >> (8 * i));
    size_t z = ZSTD_compress(o + 20, cap, p, plen, 3);
    cr_assert(!ZSTD_isError(z));
    uint64_t h = XXH3_64bits(o, 20 + z);
    memcpy(o + 20 + z, "CFSSEND!", 8);
    for (int i = 0; i < 8; i++) o[20 + z + 8 + i] = (unsigned char)(h >> (8 * i));
    FILE *w = fopen(path, "wb");
    cr_assert_not_null(w);
    cr_assert_eq(fwrite(o, 1, 20 + z + 16, w), 20 + z + 16);
    fclose(w);
    free(o);
    free(p);
    free(f);
}
