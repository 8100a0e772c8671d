/* Test helpers for the nightly and scale-out tests (test_merge_dedupe, test_shard,
 * test_update): a shell runner, a generated day of logs, a scan's JSON report, an input
 * manifest's size and the part of a report that a merge keeps exactly. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* json without the values of every "causes" and "settle_with" key: what a merge gives
 * exactly.  Each scan judges the 403s it holds back to the end of its pass (error-cache
 * copies, learned pages, origin references) against its own inputs only, so the split of
 * those 403s between causes may differ from one scan over everything; their totals (per
 * distribution "forbidden", by_status) and every other count may not. */
char *tu_merge_exact_part(const char *json)
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

/* a and b agree on everything a merge keeps exactly (tu_merge_exact_part), and a holds causes. */
void tu_assert_merge_exact(const char *a, const char *b, const char *what)
{
    cr_assert(strstr(a, "\"causes\":[{"), "%s: the report has 403 causes to compare", what);
    char *x = tu_merge_exact_part(a), *y = tu_merge_exact_part(b);
    cr_assert(strlen(x) > 1000, "%s: something left to compare", what);
    cr_assert_str_eq(x, y, "%s", what);
    free(x);
    free(y);
}
