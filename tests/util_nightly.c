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

#include "pipeline/kmap.h"
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

/* Entries of dir/SUM/inputs.cfm (the lines that start with a digit, an entry's size: the
 * header's magic, shards and selection lines do not); -1 when absent. */
long tu_manifest_entries(const char *dir, const char *sum)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/inputs.cfm", dir, sum);
    char *t = tu_read(p, NULL);
    if (!t) return -1;
    long n = 0;
    for (const char *q = t; q && *q;) {
        n += *q >= '0' && *q <= '9';
        q = strchr(q, '\n');
        if (q) q++;
    }
    free(t);
    return n;
}

/* a and b are the same report (a merge gives exactly one scan's: causes, what would settle
 * them and top lists included, while no cause has more distinct values than a top list
 * holds), and a holds causes. */
long long tu_json_count(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? strtoll(p + strlen(k), NULL, 10) : -1;
}

void tu_assert_merge_exact(const char *a, const char *b, const char *what)
{
    cr_assert(strstr(a, "\"causes\":[{"), "%s: the report has 403 causes to compare", what);
    cr_assert(strlen(a) > 1000, "%s: something to compare", what);
    cr_assert_str_eq(a, b, "%s", what);
}

/* ---- older state files, for the readers of older schemas ---- */
static uint64_t le_at(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The end of the input row at p[i..n) whose stats hold `reasons` reject counts, or 0 when
 * the bytes there are not one (summary_state.c, cfs_sum_input_put and w_stats); *rej is
 * the offset of its reason count. */
static size_t input_row_end(const unsigned char *p, size_t n, size_t i, unsigned reasons, size_t *rej)
{
    for (int s = 0; s < 2; s++) { /* path, distribution */
        if (i + 4 > n || le_at(p + i, 4) > 65536) return 0;
        i += 4 + le_at(p + i, 4);
    }
    i += 8 * 2 + 8 * 7; /* size, mtime; bytes in/out, lines, header, blank, aggregated, filtered */
    if (i + 4 > n || le_at(p + i, 4) != reasons) return 0;
    *rej = i;
    i += 4 + 8 * (size_t)reasons + 8 * 4 + 2;
    if (i + 4 > n || le_at(p + i, 4) > 512) return 0;
    i += 4 + le_at(p + i, 4);
    return i <= n ? i : 0;
}

/* Drop the ninth reject count (bad_json, schema 6) from every row of the FILE section of
 * payload p[0..*n), which ends at `end` where the pruned count follows: found as the
 * "FILE" tag from which its rows parse exactly up to there. */
static void drop_bad_json_counts(unsigned char *p, size_t *n, size_t end)
{
    for (size_t at = end; at-- > 0;) {
        if (memcmp(p + at, "FILE", 4) != 0 || at + 12 > end) continue;
        uint64_t rows = le_at(p + at + 4, 8);
        size_t i = at + 12, r = 0, rej = 0;
        size_t *rejs = malloc((rows + 1) * sizeof *rejs);
        cr_assert_not_null(rejs);
        while (r < rows && i < end && (i = input_row_end(p, end, i, 9, &rej)) != 0) rejs[r++] = rej;
        if (r != rows || i != end) {
            free(rejs);
            continue;
        }
        /* from the last row back, so that earlier offsets stay valid */
        while (r-- > 0) {
            size_t k = rejs[r];
            p[k] = 8;
            size_t cut = k + 4 + 8 * 8; /* the bad_json count */
            memmove(p + cut, p + cut + 8, *n - cut - 8);
            *n -= 8;
        }
        free(rejs);
        return;
    }
    cr_assert_fail("no FILE section ends before the pruned count");
}

/* Cut n bytes at each of the offsets cuts[0..k) (ascending) out of payload p[0..*len). */
static void cut_at(unsigned char *p, size_t *len, const size_t *cuts, size_t k, size_t n)
{
    while (k-- > 0) { /* from the last back: earlier offsets stay valid */
        memmove(p + cuts[k], p + cuts[k] + n, *len - cuts[k] - n);
        *len -= n;
    }
}

/* Schema 8's additions out of payload p[0..*n) (summary_state.c), which leaves what schema
 * 7 wrote: the excl column of TRAF, found as the "TRAF" tag whose rows of 40 bytes end
 * where GRPS starts; the config version (u64) after each FCTS row's distribution, found as
 * the "FCTS" tag whose rows end where PAGE starts; and each DEFR record's excl byte and
 * config version (u64) at the end of its fixed part, found as the "DEFR" tag whose
 * records end where PRES starts. */
static void drop_schema8(unsigned char *p, size_t *n)
{
    size_t traf = 0, rows = 0;
    for (size_t at = 0; at + 12 <= *n && !traf; at++) {
        if (memcmp(p + at, "TRAF", 4) != 0) continue;
        uint64_t k = le_at(p + at + 4, 8);
        if (k > *n / 40 || at + 12 + 40 * k + 4 > *n || memcmp(p + at + 12 + 40 * k, "GRPS", 4) != 0)
            continue;
        traf = at;
        rows = (size_t)k;
    }
    cr_assert(traf, "the payload has no TRAF section before GRPS");
    size_t cut = traf + 12 + 23 * rows; /* dist, edge, hour, status, rule, cause, evidence, lat_class */
    memmove(p + cut, p + cut + rows, *n - cut - rows);
    *n -= rows;
    int facts = 0;
    for (size_t at = traf; at + 12 <= *n && !facts; at++) {
        if (memcmp(p + at, "FCTS", 4) != 0) continue;
        uint64_t k = le_at(p + at + 4, 8);
        size_t i = at + 12, r = 0;
        size_t *cuts = malloc((k + 1) * sizeof *cuts);
        cr_assert_not_null(cuts);
        size_t name = 0, name_n = 0; /* the row before's distribution */
        int repeated = 0;
        for (; r < k && i + 4 <= *n; r++) { /* u32 length, the name, u64 from, u64 TTL, 2 flags */
            const size_t len = le_at(p + i, 4);
            repeated |= r && len == name_n && i + 4 + len <= *n && !memcmp(p + i + 4, p + name, len);
            name = i + 4;
            name_n = len;
            i += 4 + len;
            cuts[r] = i;
            i += 8 + 8 + 2;
        }
        if (r == k && i + 4 <= *n && memcmp(p + i, "PAGE", 4) == 0) {
            /* rows are sorted by distribution; schema 7 holds one a distribution, so a
             * state with facts of several config versions has no older form */
            cr_assert(!repeated,
                      "a state with facts of several config versions cannot be written as schema 7");
            cut_at(p, n, cuts, k, 8);
            facts = 1;
        }
        free(cuts);
    }
    cr_assert(facts, "the payload has no FCTS section before PAGE");
    const size_t key = CFS_KEY_STR, fixed = 3 * key + 5 * 8 + 7 * 4 + 2 * 2 + 3 + 9;
    for (size_t at = *n - 12; at-- > traf;) {
        if (memcmp(p + at, "DEFR", 4) != 0) continue;
        uint64_t recs = le_at(p + at + 4, 8);
        size_t i = at + 12, r = 0;
        size_t *cuts = malloc((recs + 1) * sizeof *cuts);
        cr_assert_not_null(cuts);
        for (; r < recs && i + fixed <= *n; r++) {
            cuts[r] = i + fixed - 9;
            i += fixed + le_at(p + i + 3 * key + 40 + 20, 4) + le_at(p + i + 3 * key + 40 + 24, 4);
        }
        if (r != recs || i + 4 > *n || memcmp(p + i, "PRES", 4) != 0) {
            free(cuts);
            continue;
        }
        cut_at(p, n, cuts, recs, 9);
        free(cuts);
        return;
    }
    cr_assert_fail("the payload has no DEFR section before PRES");
}

/* path rewritten as a state of that schema holding payload p[0..plen), with its checksum. */
static void write_state_as(const char *path, const unsigned char *p, size_t plen, unsigned schema)
{
    size_t cap = ZSTD_compressBound(plen);
    unsigned char *o = malloc(20 + cap + 16);
    memcpy(o, "CFSSTATE", 8);
    for (int i = 0; i < 4; i++) o[8 + i] = (unsigned char)(schema >> (8 * i));
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
}

/* Rewrite a state.cfs as an older schema wrote it (a state `merge` still reads), with the
 * old version and a valid checksum.  Every older schema: schema 8's exclusions (schema 9's
 * and 10's too) and config versions go (drop_schema8; schema 7 ends there).  Schema 6: the SAMP section goes, and the
 * optional RPRV after it.  Schema 5
 * and 3 besides: every input row loses its bad_json count.  Schema 5: the PRES section goes
 * too.  Schema 3 and 5 need a scan without evidence (an empty EVID section); 6 takes any.  Schema 3: the payload up to its empty EVID
 * section; the schema 5 sections after EVID go too, so the 403s a schema 5 scan held back
 * as records are not in the tables (a schema 3 writer had counted them there): compare
 * only what the input rows say, and the scan must have had no evidence (an empty EVID). */
void tu_downgrade_state_to(const char *path, unsigned schema)
{
    cr_assert(schema == 3 || schema == 5 || schema == 6 || schema == 7);
    size_t n = 0;
    unsigned char *f = (unsigned char *)tu_read(path, &n);
    cr_assert(f && n > 36 && !memcmp(f, "CFSSTATE", 8));
    /* schemas 9 and 10 have schema 8's layout (only its exclusions may hold one bit more,
     * and its event keys one value), and all go with drop_schema8 */
    cr_assert_eq(le_at(f + 8, 4), 10, "a schema 10 state to rewrite");
    uint64_t raw = le_at(f + 12,
                         8); /* the header's payload length (the writer streams: the frame lacks it) */
    cr_assert(raw >= 12 && raw < (64u << 20));
    unsigned char *p = malloc(raw);
    cr_assert_eq(ZSTD_decompress(p, raw, f + 20, n - 36), raw);
    size_t plen7 = raw;
    drop_schema8(p, &plen7);
    raw = plen7;
    if (schema == 7) {
        write_state_as(path, p, raw, 7);
        free(p);
        free(f);
        return;
    }
    /* RPRV, the optional last section (tag, u64 count 1, u64 the rules' fingerprint),
     * which no older schema wrote */
    if (raw >= 20 && !memcmp(p + raw - 20, "RPRV", 4) && le_at(p + raw - 16, 8) == 1) raw -= 20;
    /* SAMP, the last section of schema 7: tag, u64 rates, a byte each (at most 101) */
    size_t samp = 0;
    for (size_t at = raw - 12; at + 12 + 101 >= raw && at > 0 && !samp; at--)
        if (!memcmp(p + at, "SAMP", 4) && at + 12 + le_at(p + at + 4, 8) == raw) samp = at;
    cr_assert(samp, "the payload has no SAMP section at its end");
    raw = samp;
    /* the empty EVID section (schema 6 keeps any), and where the payload of the schema ends */
    static const unsigned char evid0[16] = {'E', 'V', 'I', 'D', 0, 0, 0, 0, 0, 0, 0, 0, 'F', 'C', 'T', 'S'};
    size_t evid = 0, plen = raw;
    for (size_t i = raw - 16; schema < 6 && i > 0 && !evid; i--)
        if (!memcmp(p + i, evid0, 16)) evid = i;
    cr_assert(schema == 6 || evid, "the payload has no empty EVID section");
    if (schema == 3) plen = evid;
    else if (schema == 6) plen = raw;
    else {
        /* PRES: u64 rows, u32 names, the names (u32 length + bytes), then each row a
         * distribution (u32 length + bytes) and two u64 masks; the last section */
        size_t pres = 0;
        for (size_t at = raw - 12; at > evid && !pres; at--) {
            if (memcmp(p + at, "PRES", 4) != 0) continue;
            uint64_t rows = le_at(p + at + 4, 8);
            size_t i = at + 12;
            if (i + 4 > raw) continue;
            uint64_t names = le_at(p + i, 4);
            i += 4;
            for (uint64_t k = 0; k < names + rows && i + 4 <= raw; k++)
                i += 4 + le_at(p + i, 4) + (k >= names ? 16 : 0);
            if (i == raw) pres = at;
        }
        cr_assert(pres, "the payload has no PRES section at its end");
        plen = pres;
    }
    if (schema < 6) drop_bad_json_counts(p, &plen, evid - 8);
    write_state_as(path, p, plen, schema);
    free(p);
    free(f);
}

void tu_downgrade_state(const char *path) { tu_downgrade_state_to(path, 3); }
