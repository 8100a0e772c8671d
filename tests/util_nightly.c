/* Test helpers for the nightly and scale-out tests (test_merge_dedupe, test_shard,
 * test_update): a shell runner, a generated day of logs, a scan's JSON report, an input
 * manifest's size and a report compared with one scan's. */
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

/* a and b are the same report (a merge gives exactly one scan's: causes, what would settle
 * them and top lists included, while no cause has more distinct values than a top list
 * holds), and a holds causes. */
void tu_assert_merge_exact(const char *a, const char *b, const char *what)
{
    cr_assert(strstr(a, "\"causes\":[{"), "%s: the report has 403 causes to compare", what);
    cr_assert(strlen(a) > 1000, "%s: something to compare", what);
    cr_assert_str_eq(a, b, "%s", what);
}
