/* Issue 13, shards: `scan --shard I/N` keeps the inputs whose XXH3 hash of the path under
 * the scanned root falls in shard I (checked here with xxHash directly, not through
 * cfscan's code), `--shard auto` takes I and N from Slurm, AWS Batch or Kubernetes
 * variables, and merging the shards, also as a tree, equals one scan; `merge --expect N`
 * names missing shards instead of merging what is there. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

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

TestSuite(shard, .init = setup, .fini = teardown, .timeout = 120);

/* 1 when g_dir/SUM/inputs.cfm lists exactly the files of logs/ whose hash mod n is i. */
static void check_shard_files(const char *sum, unsigned i, unsigned n)
{
    char *names = NULL;
    cr_assert_eq(sh(&names, NULL, "ls %s/logs", g_dir), 0);
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/inputs.cfm", g_dir, sum);
    char *mf = tu_read(p, NULL);
    cr_assert_not_null(mf, "%s has a manifest", sum);
    long want = 0;
    for (char *s = strtok(names, "\n"); s; s = strtok(NULL, "\n")) {
        int mine = XXH3_64bits(s, strlen(s)) % n == i;
        char needle[512];
        snprintf(needle, sizeof needle, "\t%s\n", s);
        cr_assert_eq(strstr(mf, needle) != NULL, mine, "%s: %s %s", sum, s, mine ? "missing" : "not its shard");
        want += mine;
    }
    cr_assert_eq(manifest_entries(sum), want);
    free(names);
    free(mf);
}

Test(shard, shards_partition_by_path_hash_and_merge_to_one_scan)
{
    make_logs();
    char *full = scan_json(0, "scan logs");
    for (unsigned i = 0; i < 4; i++) {
        char a[64];
        snprintf(a, sizeof a, "scan logs --shard %u/4 -o s%u", i, i);
        free(scan_json(0, "%s", a));
        snprintf(a, sizeof a, "s%u", i);
        check_shard_files(a, i, 4);
    }
    char *m = scan_json(0, "merge s0 s1 s2 s3 --expect 4 -o M");
    assert_merge_exact(m, full, "the shards' merge equals one scan");
    /* a tree: pairs first, then the pairs */
    free(scan_json(0, "merge s0 s2 -o A"));
    free(scan_json(0, "merge s3 s1 -o B"));
    char *t = scan_json(0, "merge A B --expect 4 -o T");
    assert_merge_exact(t, full, "a tree merge equals one scan");
    cr_assert_str_eq(t, m, "the tree and the flat merge are the same summary");
    free(full);
    free(m);
    free(t);
}

Test(shard, merge_names_missing_shards)
{
    make_logs();
    for (unsigned i = 0; i < 4; i++)
        if (i != 2) free(scan_json(0, "scan logs --shard %u/4 -o s%u", i, i));
    char *err = NULL;
    int rc = sh(NULL, &err, "cd %s && %s merge s0 s1 s3 --expect 4 -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "1 of 4 shards missing: 2"), "%s", err);
    free(err);
    err = NULL;
    /* an unsharded summary cannot stand for shards */
    free(scan_json(0, "scan logs -o F"));
    rc = sh(NULL, &err, "cd %s && %s merge F --expect 4 -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "records no shards"), "%s", err);
    free(err);
}

/* --shard auto reads each scheduler's variables; the files match --shard I/N's. */
Test(shard, auto_from_slurm_aws_batch_and_kubernetes)
{
    make_logs();
    free(scan_json(0, "scan logs --shard 1/4 -o want"));
    const char *envs[] = {
        "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4",
        "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=1 CFSCAN_SHARD_COUNT=4", /* a rerun: sbatch --array=1 */
        "AWS_BATCH_JOB_ARRAY_INDEX=1 AWS_BATCH_JOB_ARRAY_SIZE=4",
        "JOB_COMPLETION_INDEX=1 CFSCAN_SHARD_COUNT=4",
    };
    for (size_t k = 0; k < sizeof envs / sizeof envs[0]; k++) {
        char *err = NULL;
        int rc = sh(NULL, &err, "cd %s && env %s %s scan logs --shard auto -o got%zu -q >/dev/null", g_dir,
                    envs[k], tu_prog("cfscan"), k);
        cr_assert_eq(rc, 0, "%s: %s", envs[k], err ? err : "");
        free(err);
        char s[32];
        snprintf(s, sizeof s, "got%zu", k);
        check_shard_files(s, 1, 4);
    }
    /* Kubernetes gives no count: auto/N */
    cr_assert_eq(sh(NULL, NULL, "cd %s && env JOB_COMPLETION_INDEX=1 %s scan logs --shard auto/4 -o k -q >/dev/null",
                    g_dir, tu_prog("cfscan")), 0);
    check_shard_files("k", 1, 4);
    char *err = NULL;
    int rc = sh(NULL, &err, "cd %s && env -u CFSCAN_SHARD_COUNT JOB_COMPLETION_INDEX=1 %s scan logs --shard auto -q",
                g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 2, "no count: usage error, got %d", rc);
    cr_assert(strstr(err, "no shard count"), "%s", err);
    free(err);
    err = NULL;
    rc = sh(NULL, &err, "cd %s && %s scan logs --shard 4/4 -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 2, "index out of range: %d", rc);
    free(err);
}
