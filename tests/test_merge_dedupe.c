/* Issue 13, "nothing counted twice": every summary carries its input manifest
 * (inputs.cfm), `merge` refuses (exit 4, naming the shared inputs) summaries that share an
 * input, and --dedupe leaves out a summary whose inputs another one holds all of, so the
 * counts equal one scan over the union.  The oracle is always one `cfscan scan` over the
 * union of the files, run here. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

/* Run a shell command line made from fmt; its exit status, stderr in *err (may be NULL). */
static int sh(char **out, char **err, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return tu_run(cmd, out, err);
}

/* g_dir/logs: cfsgen's 48 hourly log files of 2 distributions over one day (nothing else,
 * so every input is a log file). */
static void make_logs(void)
{
    char *err = NULL;
    int rc = sh(NULL, &err, "%s -o %s/g --dists 2 --days 1 --lines-per-file 100 >/dev/null && mkdir %s/logs && "
                "mv %s/g/*.gz %s/logs/", tu_prog("cfsgen"), g_dir, g_dir, g_dir, g_dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
}

/* `cfscan ARGS --format json -q` from g_dir: its JSON report (the caller frees it). */
static char *scan_json(int want_rc, const char *fmt, ...)
{
    char args[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *out = NULL, *err = NULL;
    int rc = sh(&out, &err, "cd %s && %s %s --format json -q", g_dir, tu_prog("cfscan"), args);
    cr_assert_eq(rc, want_rc, "cfscan %s: exit %d, wanted %d: %s", args, rc, want_rc, err ? err : "");
    free(err);
    return out;
}

/* Entries (lines after the two header lines) of g_dir/SUM/inputs.cfm; -1 when absent. */
static long manifest_entries(const char *sum)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/inputs.cfm", g_dir, sum);
    char *t = tu_read(p, NULL);
    if (!t) return -1;
    long n = 0;
    for (char *q = t; *q; q++) n += *q == '\n';
    free(t);
    return n - 2;
}

/* json without the values of every "causes" and "settle_with" key: what a merge gives
 * exactly.  Each scan judges the 403s it holds back to the end of its pass (error-cache
 * copies, learned pages, origin references) against its own inputs only, so the split of
 * those 403s between causes may differ from one scan over everything; their totals (per
 * distribution "forbidden", by_status) and every other count may not. */
static char *exact_part(const char *json)
{
    size_t n = strlen(json);
    char *o = malloc(n + 1), *w = o;
    cr_assert_not_null(o);
    const char *p = json;
    while (*p) {
        if (!strncmp(p, "\"causes\":", 9) || !strncmp(p, "\"settle_with\":", 14)) {
            p = strchr(p, ':') + 1;
            int depth = 0, in_str = 0;
            do { /* skip one value, strings aware */
                if (in_str) {
                    if (*p == '\\') p++;
                    else if (*p == '"') in_str = 0;
                } else if (*p == '"') in_str = 1;
                else if (*p == '[' || *p == '{') depth++;
                else if (*p == ']' || *p == '}') depth--;
                p++;
            } while (*p && (depth > 0 || in_str));
            continue;
        }
        if (*p == '"') { /* copy a string whole, so a key inside one is not taken */
            *w++ = *p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) *w++ = *p++;
                *w++ = *p++;
            }
            if (*p) *w++ = *p++;
            continue;
        }
        *w++ = *p++;
    }
    *w = 0;
    return o;
}

/* a and b agree on everything a merge keeps exactly (exact_part), and a holds causes. */
static void assert_merge_exact(const char *a, const char *b, const char *what)
{
    cr_assert(strstr(a, "\"causes\":[{"), "%s: the report has 403 causes to compare", what);
    char *x = exact_part(a), *y = exact_part(b);
    cr_assert(strlen(x) > 1000, "%s: something left to compare", what);
    cr_assert_str_eq(x, y, "%s", what);
    free(x);
    free(y);
}

TestSuite(merge_dedupe, .init = setup, .fini = teardown, .timeout = 120);

static int count_of(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

/* The bug as filed: a summary merged with itself doubled every count without a word. */
Test(merge_dedupe, same_summary_twice_is_refused_naming_inputs)
{
    make_logs();
    free(scan_json(0, "scan logs -o S"));
    cr_assert_eq(manifest_entries("S"), 48, "every log file is in the manifest");
    char *err = NULL;
    int rc = sh(NULL, &err, "cd %s && %s merge S S -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "merge S S must be refused with 4, got %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "share 48 inputs"), "the overlap is counted: %s", err);
    /* at most 10 named, then a count of the rest */
    cr_assert_eq(count_of(err, "shared input: E"), 10, "ten inputs named: %s", err);
    cr_assert(strstr(err, "and 38 more shared inputs"), "the rest counted: %s", err);
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/M", g_dir);
    cr_assert_neq(stat(p, &sb), 0, "nothing is written by a refused merge");
    free(err);
}

/* Summaries of disjoint inputs merge as before, and the merged manifest is the union. */
Test(merge_dedupe, disjoint_parts_merge_to_one_scan_and_union_manifest)
{
    make_logs();
    char *full = scan_json(0, "scan logs");
    free(scan_json(0, "scan logs/*-0[0-9].* -o A"));
    free(scan_json(0, "scan logs/*-1[0-9].* logs/*-2[0-9].* -o B"));
    cr_assert_eq(manifest_entries("A") + manifest_entries("B"), 48);
    char *m = scan_json(0, "merge A B -o M");
    assert_merge_exact(m, full, "merge of disjoint halves equals one scan");
    cr_assert_eq(manifest_entries("M"), 48, "the merged manifest is the union");
    /* ...so merging the merge with a part again is refused */
    free(scan_json(4, "merge M A -o M2"));
    free(full);
    free(m);
}

/* --dedupe: a part whose inputs another holds all of is left out, in either order; the
 * counts equal one scan over the union. */
Test(merge_dedupe, dedupe_subset_equals_one_scan_over_union)
{
    make_logs();
    char *full = scan_json(0, "scan logs -o F");
    free(scan_json(0, "scan logs/*-0[0-9].* -o H"));
    char *a = scan_json(0, "merge F H --dedupe -o M1");
    char *b = scan_json(0, "merge H F --dedupe -o M2");
    char *c = scan_json(0, "merge F F --dedupe -o M3");
    cr_assert_str_eq(a, full, "F + H(subset of F) with --dedupe is F");
    cr_assert_str_eq(b, full, "order does not matter");
    cr_assert_str_eq(c, full, "a summary twice is taken once");
    cr_assert_eq(manifest_entries("M1"), 48);
    free(full);
    free(a);
    free(b);
    free(c);
}

/* A partial overlap cannot be undone from summaries (the shared inputs' counts are inside
 * both aggregates): --dedupe refuses it too, and says why. */
Test(merge_dedupe, dedupe_refuses_partial_overlap)
{
    make_logs();
    free(scan_json(0, "scan logs/*-0[0-9].* logs/*-1[0-1].* -o A"));
    free(scan_json(0, "scan logs/*-1[0-9].* -o B"));
    char *err = NULL;
    int rc = sh(NULL, &err, "cd %s && %s merge A B --dedupe -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "share 4 inputs"), "hours 10 and 11 of 2 distributions: %s", err);
    cr_assert(strstr(err, "neither holds all of the other's inputs"), "%s", err);
    cr_assert_eq(count_of(err, "shared input: E"), 4, "%s", err);
    free(err);
}

/* A summary made before manifests cannot be checked: merged as before with a warning,
 * and the merge records no manifest (what it holds is unknown); --dedupe and --expect,
 * which need it, refuse. */
Test(merge_dedupe, summary_without_manifest_merges_unchecked)
{
    make_logs();
    free(scan_json(0, "scan logs/*-0[0-9].* -o A"));
    free(scan_json(0, "scan logs/*-1[0-9].* -o B"));
    char p[4096];
    snprintf(p, sizeof p, "%s/B/inputs.cfm", g_dir);
    cr_assert_eq(unlink(p), 0);
    char *err = NULL;
    int rc = sh(NULL, &err, "cd %s && %s merge A B -o M -q >/dev/null", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "B: has no inputs.cfm"), "%s", err);
    cr_assert_eq(manifest_entries("M"), -1, "no manifest for a merge of unknown inputs");
    free(err);
    err = NULL;
    rc = sh(NULL, &err, "cd %s && %s merge A B --dedupe -o M2 -q >/dev/null", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "--dedupe cannot be applied"), "%s", err);
    free(err);
}

/* A part that is no summary at all (a mistyped directory) is said to be that, exit 4,
 * and not taken for a summary without a manifest, with --dedupe and --expect too (before,
 * --dedupe answered "has no inputs.cfm ... rescan it"). */
Test(merge_dedupe, missing_part_is_named_as_missing)
{
    make_logs();
    free(scan_json(0, "scan logs/*-0[0-9].* -o A"));
    const char *const extra[] = {"", "--dedupe", "--expect 2"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        char *err = NULL;
        int rc = sh(NULL, &err, "cd %s && %s merge A Typo %s -o M -q >/dev/null", g_dir, tu_prog("cfscan"), extra[i]);
        cr_assert_eq(rc, 4, "%s: exit %d: %s", extra[i], rc, err ? err : "");
        cr_assert(strstr(err, "Typo/state.cfs: No such file or directory"), "%s: %s", extra[i], err);
        cr_assert(!strstr(err, "inputs.cfm"), "%s: %s", extra[i], err);
        free(err);
    }
}
