/* Issue 13, shards: `scan --shard I/N` keeps the inputs whose XXH3 hash of the path under
 * the scanned root falls in shard I (checked here with xxHash directly, not through
 * cfscan's code), `--shard auto` takes I and N from Slurm, AWS Batch or Kubernetes
 * variables, and merging the shards, also as a tree, equals one scan; `merge --expect N`
 * names missing shards instead of merging what is there.  Also the files of tools/deploy
 * (Kubernetes Indexed Job, AWS Batch), checked and run offline. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "pipeline/inputs_manifest.h"
#include "pipeline/json.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(shard, .init = setup, .fini = teardown, .timeout = 120);

/* 1 when g_dir/SUM/inputs.cfm lists exactly the files of logs/ whose hash mod n is i. */
static void check_shard_files(const char *sum, unsigned i, unsigned n)
{
    char *names = NULL;
    cr_assert_eq(tu_sh(&names, NULL, "ls %s/logs", g_dir), 0);
    char p[4096];
    snprintf(p, sizeof p, "%s/%s/inputs.cfm", g_dir, sum);
    char *mf = tu_read(p, NULL);
    cr_assert_not_null(mf, "%s has a manifest", sum);
    long want = 0;
    for (char *s = strtok(names, "\n"); s; s = strtok(NULL, "\n")) {
        int mine = XXH3_64bits(s, strlen(s)) % n == i;
        char needle[512];
        snprintf(needle, sizeof needle, "\t%s\n", s);
        cr_assert_eq(strstr(mf, needle) != NULL, mine, "%s: %s %s", sum, s,
                     mine ? "missing" : "not its shard");
        want += mine;
    }
    cr_assert_eq(tu_manifest_entries(g_dir, sum), want);
    free(names);
    free(mf);
}

/* The shard record (second line) of g_dir/SUM/inputs.cfm, with its LF (the caller frees). */
static char *shards_line(const char *sum)
{
    char *line = NULL;
    cr_assert_eq(tu_sh(&line, NULL, "sed -n 2p %s/%s/inputs.cfm", g_dir, sum), 0);
    return line;
}

Test(shard, shards_partition_by_path_hash_and_merge_to_one_scan)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    for (unsigned i = 0; i < 4; i++) {
        char a[64];
        snprintf(a, sizeof a, "scan logs --shard %u/4 -o s%u", i, i);
        free(tu_scan_json(g_dir, 0, "%s", a));
        snprintf(a, sizeof a, "s%u", i);
        check_shard_files(a, i, 4);
    }
    char *m = tu_scan_json(g_dir, 0, "merge s0 s1 s2 s3 --expect 4 -o M");
    tu_assert_merge_exact(m, full, "the shards' merge equals one scan");
    /* a tree: pairs first, then the pairs */
    free(tu_scan_json(g_dir, 0, "merge s0 s2 -o A"));
    free(tu_scan_json(g_dir, 0, "merge s3 s1 -o B"));
    char *t = tu_scan_json(g_dir, 0, "merge A B --expect 4 -o T");
    tu_assert_merge_exact(t, full, "a tree merge equals one scan");
    cr_assert_str_eq(t, m, "the tree and the flat merge are the same summary");
    free(full);
    free(m);
    free(t);
}

/* A file the window leaves out by its name is skipped by the one shard that owns it, so
 * the shards' merge counts it once (it counted once per shard: "171 skipped by name" for
 * 57 with 3 shards). */
Test(shard, a_file_skipped_by_name_counts_in_its_own_shard)
{
    tu_make_day_logs(g_dir);
    const char *win = "--since 2026-11-01T10 --until 2026-11-01T14";
    char *full = tu_scan_json(g_dir, 0, "scan logs %s", win);
    cr_assert(strstr(full, "\"files_pruned\":40,"), "the 40 other hours: %.300s", full);
    for (unsigned i = 0; i < 3; i++)
        free(tu_scan_json(g_dir, 0, "scan logs %s --shard %u/3 -o s%u", win, i, i));
    char *m = tu_scan_json(g_dir, 0, "merge s0 s1 s2 --expect 3 -o M");
    /* one file, and a window that skips it: the shard that owns it says it selected
     * nothing; the others found only another shard's file, never "the path holds no
     * file" (it does) */
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && mkdir one && cp \"$(ls logs/* | head -1)\" one/", g_dir), 0);
    int said = 0;
    for (unsigned i = 0; i < 3; i++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && %s scan one --since 2026-11-02 --shard %u/3 -o t%u -q", g_dir,
                       tu_prog("cfscan"), i, i);
        cr_assert(rc == 0 || rc == 3, "exit %d: %s", rc, err);
        cr_assert(!strstr(err, "hold no file") && !strstr(err, "holds no file"), "%s", err);
        said += strstr(err, "selected nothing: ") != NULL;
        free(err);
    }
    cr_assert_eq(said, 1, "the one owner says so");
    /* the merge names no window (it has none of its own), so its inputs are compared */
    const char *a = strstr(full, "\"inputs\":"), *b = strstr(m, "\"inputs\":");
    cr_assert(a && b);
    cr_assert_eq(strncmp(a, b, (size_t)(strstr(a, "\"rejected_by_reason\"") - a)), 0, "%.300s\n%.300s", a, b);
    free(m);
    free(full);
}

/* A path given that cannot be used is every shard's error (none can tell whose it would
 * be), but one input: the shards' merge counts it once, listed once, as one scan does (it
 * was one file per shard, failed and listed per shard).  Two summaries of the same
 * missing path merged are one failed file too. */
Test(shard, a_missing_path_given_is_one_failed_input_in_the_merge)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 4, "scan logs nosuch.gz");
    for (unsigned i = 0; i < 3; i++) {
        char a[64];
        snprintf(a, sizeof a, "scan logs nosuch.gz --shard %u/3 -o s%u", i, i);
        free(tu_scan_json(g_dir, 4, "%s", a));
    }
    char *m = tu_scan_json(g_dir, 4, "merge s0 s1 s2 --expect 3 -o M");
    tu_assert_merge_exact(m, full, "the shards' merge equals one scan");
    /* with a window, the files skipped by name stay counted (they were wiped when the
     * missing path's repeats were left out) */
    char *fw = tu_scan_json(g_dir, 4, "scan logs nosuch.gz --since 2026-11-01T12");
    for (unsigned i = 0; i < 2; i++)
        free(tu_scan_json(g_dir, 4, "scan logs nosuch.gz --since 2026-11-01T12 --shard %u/2 -o w%u", i, i));
    char *mw = tu_scan_json(g_dir, 4, "merge w0 w1 --expect 2 -o MW");
    cr_assert_gt(tu_json_count(fw, "files_pruned"), 0);
    cr_assert_eq(tu_json_count(mw, "files_pruned"), tu_json_count(fw, "files_pruned"), "%.300s", mw);
    free(fw);
    free(mw);
    free(tu_scan_json(g_dir, 4, "scan nosuch.gz -o A"));
    free(tu_scan_json(g_dir, 4, "scan nosuch.gz -o B"));
    char *ab = tu_scan_json(g_dir, 4, "merge A B -o AB");
    cr_assert(strstr(ab, "\"files\":1,\"files_failed\":1,"), "%s", ab);
    const char *e = strstr(ab, "nosuch.gz");
    cr_assert(e && !strstr(e + 1, "nosuch.gz"), "listed once: %s", ab);
    free(ab);
    free(m);
    free(full);
}

/* The order the parts are named in does not change the merge, also where a top list holds
 * more distinct clients than its 256 counters (there the order of the adds changes an
 * approximate list: `merge s2 s1 s0` listed other clients than `merge s0 s1 s2`). */
Test(shard, merge_does_not_depend_on_the_order_of_its_parts)
{
    char *err = NULL;
    int rc = tu_sh(NULL, &err,
                   "%s -o %s/g --seed 11 --world-seed 5 --dists 4 --days 1 --files-per-hour 2 "
                   "--lines-per-file 500 -j1 >/dev/null && mkdir %s/logs && mv %s/g/*.gz %s/logs/",
                   tu_prog("cfsgen"), g_dir, g_dir, g_dir, g_dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
    for (unsigned i = 0; i < 3; i++) free(tu_scan_json(g_dir, 0, "scan logs -j1 --shard %u/3 -o s%u", i, i));
    char *a = tu_scan_json(g_dir, 0, "merge s0 s1 s2 -o A");
    char *b = tu_scan_json(g_dir, 0, "merge s2 s1 s0 -o B");
    char *c = tu_scan_json(g_dir, 0, "merge s1 s2 s0 -o C");
    cr_assert(strstr(a, "\"error_bound\":1"), "a top list past its capacity (an error bound): %s", a);
    cr_assert_str_eq(b, a, "merge s2 s1 s0 reports as merge s0 s1 s2");
    cr_assert_str_eq(c, a, "merge s1 s2 s0 reports as merge s0 s1 s2");
    cr_assert_eq(
        tu_sh(NULL, NULL, "cd %s && cmp A/state.cfs B/state.cfs && cmp A/state.cfs C/state.cfs", g_dir), 0,
        "the same state");
    free(a);
    free(b);
    free(c);
}

/* Scan logs/ as 3 shards (summaries s0..s2): how many shards' stderr named what, each
 * shard exiting with one of the two statuses allowed and naming it exactly when it exits
 * with the second (4: an input failed). */
static int shards_naming(const char *what, int rc_ok, int rc_failed)
{
    int naming = 0;
    for (unsigned i = 0; i < 3; i++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && %s scan logs --shard %u/3 -o s%u -q -j1", g_dir,
                       tu_prog("cfscan"), i, i);
        cr_assert(rc == rc_ok || rc == rc_failed, "shard %u: exit %d: %s", i, rc, err ? err : "");
        const int named = strstr(err, what) != NULL;
        cr_assert_eq(named, rc == rc_failed, "shard %u names %s only when it fails: %s", i, what, err);
        naming += named;
        free(err);
    }
    return naming;
}

/* An entry of a walked directory that cannot be used (a dangling link) is one shard's
 * error, as each file is one shard's input: every shard listed it, and the merge of the
 * shards listed it once per shard. */
Test(shard, an_unusable_entry_is_one_shards_error)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && ln -s /nonexistent/x.gz logs/EM28SNUQ3HJTA1.2026-11-01-05.DANG.gz", g_dir),
                 0);
    cr_assert_eq(shards_naming("DANG.gz", 0, 4), 1, "exactly one shard lists the link");
    char *m = tu_scan_json(g_dir, 4, "merge s0 s1 s2 --expect 3 -o M");
    cr_assert(strstr(m, "\"files_failed\":1"), "%s", m);
    free(m);
}

/* The same for a directory too deep to walk, found inside one given: one shard lists it
 * (every shard did, and a merge counted one directory as several failed inputs).  The
 * tree holds no log, so the other shards read nothing (3). */
Test(shard, a_directory_too_deep_is_one_shards_error)
{
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && mkdir logs && p=logs/deep && i=0 && while [ $i -lt 66 ]; do p=$p/d$i; "
                       "i=$((i+1)); done && mkdir -p $p",
                       g_dir),
                 0);
    cr_assert_eq(shards_naming("deeper than 64 levels", 3, 4), 1, "exactly one shard lists the directory");
}

Test(shard, merge_names_missing_shards)
{
    tu_make_day_logs(g_dir);
    for (unsigned i = 0; i < 4; i++)
        if (i != 2) free(tu_scan_json(g_dir, 0, "scan logs --shard %u/4 -o s%u", i, i));
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge s0 s1 s3 --expect 4 -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "1 of 4 shards missing: 2"), "%s", err);
    free(err);
    err = NULL;
    /* an unsharded summary cannot stand for shards */
    free(tu_scan_json(g_dir, 0, "scan logs -o F"));
    rc = tu_sh(NULL, &err, "cd %s && %s merge F --expect 4 -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "records no shards"), "%s", err);
    free(err);
}

/* The nightly tree when the shard count changes between days: a day merged from all its
 * shards covers what an unsharded scan does, so halves of a day sharded 4 and 2 ways merge
 * (it was "shards of different counts (4 and 2) cannot be combined", exit 4), and the merge
 * counts what one scan counts; parts holding some shards of each count are still refused. */
Test(shard, days_sharded_differently_merge)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    const char *am = "--since 2026-11-01T00 --until 2026-11-01T12",
               *pm = "--since 2026-11-01T12 --until 2026-11-02";
    for (unsigned i = 0; i < 4; i++)
        free(tu_scan_json(g_dir, 0, "scan logs %s --shard %u/4 -o a%u", am, i, i));
    for (unsigned i = 0; i < 2; i++)
        free(tu_scan_json(g_dir, 0, "scan logs %s --shard %u/2 -o p%u", pm, i, i));
    free(tu_scan_json(g_dir, 0, "merge a0 a1 a2 a3 --expect 4 -o AM"));
    free(tu_scan_json(g_dir, 0, "merge p0 p1 --expect 2 -o PM"));
    char *day = tu_scan_json(g_dir, 0, "merge AM PM -o DAY");
    cr_assert_eq(tu_json_count(day, "requests"), tu_json_count(full, "requests"));
    cr_assert_eq(tu_json_count(day, "files"), 48);
    cr_assert_eq(tu_json_count(full, "files"), 48);
    char *mf = shards_line("DAY");
    cr_assert_str_eq(mf, "shards\t0\t-\n");
    free(mf);
    /* a complete set merged again keeps its shards on record (it lost them: "records no
     * shards" at the next --expect) */
    free(tu_scan_json(g_dir, 0, "merge AM -o AM2"));
    free(tu_scan_json(g_dir, 0, "merge AM2 --expect 4 -o AM3"));
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge a0 p1 -o X -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "shards of different counts"), "%s", err);
    free(err);
    /* ... whatever else comes with them and in whatever order: a complete pair of shards
     * of 2 beside one shard of 2 and one of 4 was refused or not by the order merge met
     * them in (it sorts its parts by digest: two windows of the pair give both orders) */
    free(tu_scan_json(g_dir, 0, "scan logs --since 2026-11-01T13 --until 2026-11-01T16 --shard 0/2 -o c2"));
    free(tu_scan_json(g_dir, 0, "scan logs --since 2026-11-01T18 --until 2026-11-02 --shard 0/4 -o b4"));
    for (int hours = 6; hours <= 8; hours += 2) {
        for (unsigned i = 0; i < 2; i++)
            free(tu_scan_json(
                g_dir, 0, "scan logs --since 2026-11-01T00 --until 2026-11-01T%02d --shard %u/2 -o x%d-%u",
                hours, i, hours, i));
        free(tu_scan_json(g_dir, 0, "merge x%d-0 x%d-1 --expect 2 -o x%d", hours, hours, hours));
        err = NULL;
        rc = tu_sh(NULL, &err, "cd %s && %s merge x%d c2 b4 -o Y%d -q", g_dir, tu_prog("cfscan"), hours,
                   hours);
        cr_assert_eq(rc, 4, "hours 00-%02d: exit %d: %s", hours, rc, err ? err : "");
        cr_assert(strstr(err, "shards of different counts"), "%s", err);
        free(err);
    }
    free(day);
    free(full);
}

/* --shard auto reads each scheduler's variables; the files match --shard I/N's. */
Test(shard, auto_from_slurm_aws_batch_and_kubernetes)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs --shard 1/4 -o want"));
    const char *envs[] = {
        "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=4",
        "SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=1 CFSCAN_SHARD_COUNT=4", /* a rerun: sbatch --array=1 */
        "AWS_BATCH_JOB_ARRAY_INDEX=1 AWS_BATCH_JOB_ARRAY_SIZE=4",
        "JOB_COMPLETION_INDEX=1 CFSCAN_SHARD_COUNT=4",
    };
    for (size_t k = 0; k < sizeof envs / sizeof envs[0]; k++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && env %s %s scan logs --shard auto -o got%zu -q >/dev/null", g_dir,
                       envs[k], tu_prog("cfscan"), k);
        cr_assert_eq(rc, 0, "%s: %s", envs[k], err ? err : "");
        free(err);
        char s[32];
        snprintf(s, sizeof s, "got%zu", k);
        check_shard_files(s, 1, 4);
    }
    /* Kubernetes gives no count: auto/N */
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && env JOB_COMPLETION_INDEX=1 %s scan logs --shard auto/4 -o k -q >/dev/null",
                       g_dir, tu_prog("cfscan")),
                 0);
    check_shard_files("k", 1, 4);
    char *err = NULL;
    int rc = tu_sh(NULL, &err,
                   "cd %s && env -u CFSCAN_SHARD_COUNT JOB_COMPLETION_INDEX=1 %s scan logs --shard auto -q",
                   g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 2, "no count: usage error, got %d", rc);
    cr_assert(strstr(err, "no shard count"), "%s", err);
    free(err);
    err = NULL;
    rc = tu_sh(NULL, &err, "cd %s && %s scan logs --shard 4/4 -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 2, "index out of range: %d", rc);
    free(err);
}

/* ---- tools/deploy: the Kubernetes and AWS Batch files, checked offline ------------------------
 * kubectl cannot validate without an API server (discovery), so the files are JSON, parsed
 * here; their shell commands are run as the scheduler would run them, with `aws s3 sync`
 * replaced by a local stand-in and /work by a temporary folder, and the merge they produce
 * is compared with one scan. */
static cfs_json_doc g_doc;

static const cfs_json *load_deploy(const char *name)
{
    char p[4096], err[256];
    snprintf(p, sizeof p, "%s/tools/deploy/%s", CFS_SOURCE_DIR, name);
    size_t n;
    char *t = tu_read(p, &n);
    cr_assert_not_null(t, "%s", p);
    cfs_json_doc_free(&g_doc);
    memset(&g_doc, 0, sizeof g_doc);
    cr_assert_eq(cfs_json_parse(&g_doc, t, n, err, sizeof err), CFS_OK, "%s: %s", name, err);
    free(t);
    return cfs_json_root(&g_doc);
}

static double num_at(const cfs_json *r, const char *path)
{
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_path(r, path), &v), "%s is a number", path);
    return v;
}

static const char *str_at(const cfs_json *r, const char *path)
{
    const char *s = cfs_json_str(cfs_json_path(r, path));
    cr_assert_not_null(s, "%s is a string", path);
    return s;
}

/* The value of env var `name` in a container's env list (k8s: name/value). */
static const char *env_of(const cfs_json *list, const char *name)
{
    for (const cfs_json *e = cfs_json_first(list); e; e = cfs_json_next(e))
        if (cfs_json_str(cfs_json_get(e, "name")) && !strcmp(cfs_json_str(cfs_json_get(e, "name")), name))
            return cfs_json_str(cfs_json_get(e, "value"));
    return NULL;
}

/* Run a deploy command (sh -euc CMD ARGS...) with /work under g_dir/work.N, a stand-in
 * `aws` that maps s3://BUCKET/ to g_dir/s3/BUCKET/, cfscan on PATH and env set. */
static int run_deploy(const char *cmd, const char *env, const char *args, int n)
{
    char *c = malloc(strlen(cmd) * 2 + 4096), *w = c;
    cr_assert_not_null(c);
    char work[1024];
    snprintf(work, sizeof work, "%s/work.%d/", g_dir, n);
    for (const char *p = cmd; *p;) {
        if (!strncmp(p, "/work/", 6)) {
            w += sprintf(w, "%s", work);
            p += 6;
        } else *w++ = *p++;
    }
    *w = 0;
    char *bindir = strdup(tu_prog("cfscan"));
    *strrchr(bindir, '/') = 0;
    FILE *f = fopen(strcat(strcpy(work, g_dir), "/cmd.sh"), "w");
    cr_assert_not_null(f);
    fputs(c, f);
    fclose(f);
    int rc = tu_sh(
        NULL, NULL,
        "cd %s && mkdir -p work.%d && PATH='%s/bin:%s':\"$PATH\" env %s sh -euc \"$(cat cmd.sh)\" %s", g_dir,
        n, g_dir, bindir, env, args);
    free(c);
    free(bindir);
    return rc;
}

/* the stand-in aws: `aws s3 sync [--only-show-errors] [--delete] [--exclude '*' --include
 * PATTERN] SRC DST`, s3://B/x being g_dir/s3/B/x */
static void fake_aws(void)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/bin", g_dir);
    mkdir(p, 0755);
    char script[4096];
    snprintf(
        script, sizeof script,
        "#!/bin/sh\nset -eu\n[ \"$1 $2\" = 's3 sync' ] || exit 9\nshift 2\ninc='*'\nwhile [ $# -gt 2 ]; do\n"
        "  case $1 in --include) inc=$2; shift 2;; --exclude) shift 2;; *) shift;; esac\ndone\n"
        "m() { case $1 in s3://*) echo \"%s/s3/${1#s3://}\";; *) echo \"$1\";; esac; }\n"
        "src=$(m \"$1\"); dst=$(m \"$2\"); mkdir -p \"$dst\"\n"
        "cd \"$src\" && find . -type f -name \"$inc\" | while read -r f; do mkdir -p \"$dst/$(dirname \"$f\")\"; "
        "cp \"$f\" \"$dst/$f\"; done\n",
        g_dir);
    char *path = tu_write(p, "aws", script, strlen(script));
    chmod(path, 0755);
    free(path);
}

/* The day's logs in the stand-in bucket B, with one empty log object among them: the
 * shard that reads it exits 3 (a warning; its summary is written), which the jobs must
 * take as success (they took it as a failure, and nothing was uploaded). */
static void day_logs_in_bucket(void)
{
    tu_make_day_logs(g_dir);
    fake_aws();
    cr_assert_eq(tu_sh(NULL, NULL,
                       ": > %s/logs/EXXXXXXXXXXXXX.2026-11-01-05.EMPTY.gz && mkdir -p %s/s3/B/cloudfront && "
                       "cp %s/logs/* %s/s3/B/cloudfront/",
                       g_dir, g_dir, g_dir, g_dir),
                 0);
}

/* The day's summary the merge job uploaded (to the stand-in bucket B) agrees with one scan
 * of all the logs on everything a merge keeps exactly. */
static void assert_uploaded_day_is_one_scan(const char *what)
{
    char *full = tu_scan_json(g_dir, 3, "scan logs"); /* 3: the empty log object */
    char p[4096];
    snprintf(p, sizeof p, "%s/s3/B/cfscan/days/2026-11-01/summary/report.json", g_dir);
    char *rep = tu_read(p, NULL);
    cr_assert_not_null(rep, "%s: the merge job uploaded the day's summary", what);
    /* the empty object's warning names it where its shard read it, g_dir/work.N/logs/...;
     * the local scan, from g_dir, as logs/... */
    char pre[4096];
    const int pl = snprintf(pre, sizeof pre, "%s/work.", g_dir);
    for (char *q; (q = strstr(rep, pre)) != NULL;) {
        char *e = q + pl;
        while (*e >= '0' && *e <= '9') e++;
        if (*e == '/') e++;
        memmove(q, e, strlen(e) + 1);
    }
    char *rep_nl = malloc(strlen(rep) + 2);
    cr_assert_not_null(rep_nl);
    sprintf(rep_nl, "%s%s", rep, rep[strlen(rep) - 1] == '\n' ? "" : "\n");
    tu_assert_merge_exact(rep_nl, full, what);
    free(rep_nl);
    free(rep);
    free(full);
}

Test(shard, deploy_kubernetes_indexed_job)
{
    const cfs_json *r = load_deploy("k8s-indexed-job.json");
    cr_assert_str_eq(str_at(r, "apiVersion"), "batch/v1");
    cr_assert_str_eq(str_at(r, "kind"), "Job");
    cr_assert_str_eq(str_at(r, "spec.completionMode"), "Indexed");
    int n = (int)num_at(r, "spec.completions");
    cr_assert_geq(n, 1);
    cr_assert_leq(num_at(r, "spec.parallelism"), n);
    cr_assert_str_eq(str_at(r, "spec.template.spec.restartPolicy"), "Never");
    const cfs_json *ct = cfs_json_path(r, "spec.template.spec.containers.0");
    cr_assert_not_null(ct);
    const char *cnt = env_of(cfs_json_get(ct, "env"), "CFSCAN_SHARD_COUNT");
    cr_assert(cnt && atoi(cnt) == n, "CFSCAN_SHARD_COUNT equals completions");
    char want[64];
    snprintf(want, sizeof want, "--shard auto/%d ", n);
    char *shard_cmd = strdup(str_at(ct, "command.2"));
    cr_assert(strstr(shard_cmd, want), "%s", shard_cmd);
    const cfs_json *m = load_deploy("k8s-merge-job.json");
    snprintf(want, sizeof want, "--expect %d ", n);
    char *merge_cmd = strdup(str_at(m, "spec.template.spec.containers.0.command.2"));
    cr_assert(strstr(merge_cmd, want), "%s", merge_cmd);
    /* run the pods: one per completion index, then the merge */
    day_logs_in_bucket();
    for (int i = 0; i < n; i++) {
        char env[256];
        snprintf(env, sizeof env, "JOB_COMPLETION_INDEX=%d BUCKET=B DAY=2026-11-01", i);
        cr_assert_eq(run_deploy(shard_cmd, env, "", i), 0, "pod %d", i);
    }
    cr_assert_eq(run_deploy(merge_cmd, "BUCKET=B DAY=2026-11-01", "", 99), 0, "merge pod");
    assert_uploaded_day_is_one_scan("Kubernetes shards merged");
    free(shard_cmd);
    free(merge_cmd);
    cfs_json_doc_free(&g_doc);
}

Test(shard, deploy_aws_batch)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/tools/deploy/batch-submit.sh", CFS_SOURCE_DIR);
    char *sub = tu_read(p, NULL);
    cr_assert_not_null(sub);
    const char *s = strstr(sub, "\nSHARDS=");
    cr_assert_not_null(s, "batch-submit.sh sets SHARDS");
    int n = atoi(s + 8);
    cr_assert_geq(n, 1);
    cr_assert(strstr(sub, "--array-properties size=$SHARDS"), "the array has SHARDS children");
    cr_assert(strstr(sub, "--depends-on jobId=\"$ARRAY\""), "the merge waits for the whole array");
    cr_assert_eq(tu_sh(NULL, NULL, "sh -n %s", p), 0, "batch-submit.sh parses");
    free(sub);
    const cfs_json *r = load_deploy("batch-shard-job.json");
    cr_assert_str_eq(str_at(r, "jobDefinitionName"), "cfscan-shard");
    cr_assert_str_eq(str_at(r, "type"), "container");
    cr_assert(strlen(str_at(r, "containerProperties.image")) > 0);
    const char *cnt = env_of(cfs_json_path(r, "containerProperties.environment"), "CFSCAN_SHARD_COUNT");
    cr_assert(cnt && atoi(cnt) == n, "CFSCAN_SHARD_COUNT equals SHARDS");
    cnt = NULL; /* points into the document, which the next load_deploy frees */
    int vcpu = 0, mem = 0;
    for (const cfs_json *e = cfs_json_first(cfs_json_path(r, "containerProperties.resourceRequirements")); e;
         e = cfs_json_next(e)) {
        const char *t = cfs_json_str(cfs_json_get(e, "type"));
        vcpu |= t && !strcmp(t, "VCPU");
        mem |= t && !strcmp(t, "MEMORY");
    }
    cr_assert(vcpu && mem, "VCPU and MEMORY requirements");
    char *shard_cmd = strdup(str_at(r, "containerProperties.command.2"));
    cr_assert(strstr(shard_cmd, "--shard auto "), "%s", shard_cmd);
    cr_assert_str_eq(str_at(r, "containerProperties.command.3"), "Ref::day");
    cr_assert_str_eq(str_at(r, "containerProperties.command.4"), "Ref::bucket");
    const cfs_json *m = load_deploy("batch-merge-job.json");
    cr_assert_str_eq(str_at(m, "jobDefinitionName"), "cfscan-merge");
    char *merge_cmd = strdup(str_at(m, "containerProperties.command.2"));
    cr_assert(strstr(merge_cmd, "--expect $2 "), "%s", merge_cmd);
    cr_assert_str_eq(str_at(m, "containerProperties.command.5"), "Ref::shards");
    /* run the array's children (Ref:: parameters substituted as Batch does), then the merge */
    day_logs_in_bucket();
    for (int i = 0; i < n; i++) {
        char env[256];
        /* the count from the job definition, checked equal to SHARDS above */
        snprintf(env, sizeof env,
                 "AWS_BATCH_JOB_ARRAY_INDEX=%d AWS_BATCH_JOB_ARRAY_SIZE=%d CFSCAN_SHARD_COUNT=%d", i, n, n);
        cr_assert_eq(run_deploy(shard_cmd, env, "2026-11-01 B", i), 0, "child %d", i);
    }
    char args[64];
    snprintf(args, sizeof args, "2026-11-01 B %d", n);
    cr_assert_eq(run_deploy(merge_cmd, "", args, 99), 0, "merge job");
    assert_uploaded_day_is_one_scan("AWS Batch shards merged");
    free(shard_cmd);
    free(merge_cmd);
    cfs_json_doc_free(&g_doc);
}

/* A shard's report and manifest do not depend on the thread count. */
Test(shard, same_with_any_thread_count)
{
    tu_make_day_logs(g_dir);
    char *a = tu_scan_json(g_dir, 0, "scan logs --shard 1/3 -o A -j1");
    char *b = tu_scan_json(g_dir, 0, "scan logs --shard 1/3 -o B -j2");
    cr_assert_str_eq(a, b);
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s/A/inputs.cfm", g_dir);
    snprintf(pb, sizeof pb, "%s/B/inputs.cfm", g_dir);
    char *ma = tu_read(pa, NULL), *mb = tu_read(pb, NULL);
    cr_assert(ma && mb);
    cr_assert_str_eq(ma, mb, "inputs.cfm is the same whatever -j");
    free(a);
    free(b);
    free(ma);
    free(mb);
}

/* Shards are a scan's: one day's complete set beside another day's first shard read as
 * every shard there ("shards 4 0-3"), so `merge --expect 4` took the pair and `diff` said
 * nothing of the three shards missing.  Now the coverage recorded is the partial day's, a
 * merge of some shards of two days is refused, naming both, and a worker that sees the
 * archive under another mount point runs the same scan. */
Test(shard, shards_of_two_days_are_not_one_day)
{
    tu_make_day_logs(g_dir);
    const char *am = "--since 2026-11-01T00 --until 2026-11-01T12",
               *pm = "--since 2026-11-01T12 --until 2026-11-02";
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && mkdir -p mnt/b && cp -r logs mnt/b/", g_dir), 0);
    for (unsigned i = 0; i < 4; i++)
        free(tu_scan_json(g_dir, 0, "scan %s %s --shard %u/4 -o a%u", i == 1 ? "mnt/b/logs/" : "logs", am, i,
                          i));
    free(tu_scan_json(g_dir, 0, "scan logs %s --shard 0/4 -o p0", pm));
    /* a1 read the same archive under another path: still the scan of a0, a2 and a3 */
    free(tu_scan_json(g_dir, 0, "merge a0 a1 a2 a3 --expect 4 -o AM"));
    char *mf = shards_line("AM");
    cr_assert(!strncmp(mf, "shards\t4\t0-3\t", 13) && strstr(mf, "\tlogs --since 2026-11-01T00"), "%s", mf);
    free(mf);
    free(tu_scan_json(g_dir, 0, "merge AM p0 -o X"));
    mf = shards_line("X");
    cr_assert(!strncmp(mf, "shards\t4\t0\t", 10) && strstr(mf, "\tlogs --since 2026-11-01T12"), "%s", mf);
    free(mf);
    char *out = NULL, *err = NULL;
    cr_assert_eq(tu_sh(&out, NULL, "cd %s && %s diff AM X", g_dir, tu_prog("cfscan")), 0);
    cr_assert(strstr(out, "Incomplete: NEW 1 of 4 shards only"), "%s", out);
    free(out);
    int rc = tu_sh(NULL, &err, "cd %s && %s merge AM p0 --expect 4 -o Y -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "holds shards of another scan (logs --since 2026-11-01T12"), "%s", err);
    free(err);
    err = NULL;
    rc = tu_sh(NULL, &err, "cd %s && %s merge a0 p0 -o Y -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "shards of two scans cannot be combined (logs --since 2026-11-01T") &&
                  strstr(err, "merge each scan's shards on their own first"),
              "%s", err);
    free(err);
}

/* What makes one scan: a path by its last component ("." by the directory it is), an S3
 * URL whole (a prefix with and without its slash lists other keys), the order of paths
 * not, the window and filters. */
Test(shard, a_scan_is_its_paths_last_components_window_and_filters)
{
    const char *names[] = {"since"}, *values[] = {"2026-11-01T00:00:00Z"},
               *other[] = {"2026-11-02T00:00:00Z"};
    uint64_t a, b;
    char la[CFS_MF_LABEL], lb[CFS_MF_LABEL];
    const char *r1[] = {"logs", "s3://b/cf/"}, *r2[] = {"s3://b/cf/", "/mnt/x/logs//"};
    cfs_mf_scan_of(r1, 2, names, values, 1, &a, la);
    cfs_mf_scan_of(r2, 2, names, values, 1, &b, lb);
    cr_assert(a == b && a != 0 && !strcmp(la, lb), "%s / %s", la, lb);
    cr_assert_str_eq(la, "logs s3://b/cf/ --since 2026-11-01T00:00:00Z");
    const char *r3[] = {"logs", "s3://b/cf"};
    cfs_mf_scan_of(r3, 2, names, values, 1, &b, lb);
    cr_assert_neq(a, b, "s3://b/cf and s3://b/cf/ list other objects");
    cfs_mf_scan_of(r1, 2, names, other, 1, &b, lb);
    cr_assert_neq(a, b, "another window");
    cfs_mf_scan_of(r1, 2, NULL, NULL, 0, &b, lb);
    cr_assert_neq(a, b, "no window");
    /* "." and "sub/.." are the directory they name */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/logs/sub", g_dir);
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir -p '%s'", dir), 0);
    char cwd[4096];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    cr_assert_eq(chdir(dir), 0);
    const char *r4[] = {"..", "s3://b/cf/"}, *r5[] = {".", "s3://b/cf/"};
    cfs_mf_scan_of(r4, 2, names, values, 1, &b, lb);
    cr_assert(b == a && !strcmp(lb, la), "'..' in logs/sub is logs: %s", lb);
    cr_assert_eq(chdir(".."), 0);
    cfs_mf_scan_of(r5, 2, names, values, 1, &b, lb);
    cr_assert(b == a && !strcmp(lb, la), "'.' in logs is logs: %s", lb);
    /* reached through a link, "." is named as the shell names it ($PWD), as a path given
     * through the link is: both are the scan "logsln" */
    char link[4200];
    snprintf(link, sizeof link, "%s/logsln", g_dir);
    cr_assert_eq(symlink("logs", link), 0);
    cr_assert_eq(chdir(link), 0);
    const char *oldpwd = getenv("PWD");
    char *saved = oldpwd ? strdup(oldpwd) : NULL;
    setenv("PWD", link, 1);
    const char *r6[] = {"."}, *r7[] = {link};
    cfs_mf_scan_of(r6, 1, NULL, NULL, 0, &a, la);
    cfs_mf_scan_of(r7, 1, NULL, NULL, 0, &b, lb);
    if (saved) setenv("PWD", saved, 1);
    else unsetenv("PWD");
    free(saved);
    cr_assert_eq(chdir(cwd), 0);
    cr_assert(a == b && !strcmp(la, "logsln") && !strcmp(lb, "logsln"), "%s / %s", la, lb);
}

/* Whether a merge records a scan's shards does not depend on the shape of the tree: a
 * part that holds another scan whole beside one shard says so ("+"), so the tree that
 * completes the shards later records none, as the flat merge does, and --expect refuses
 * both.  It recorded "4 0-3" for the tree and took it with --expect 4.  Damaged records
 * (a scan that is not 16 hex digits, a raw TAB in the label) are refused. */
Test(shard, a_tree_of_merges_records_what_the_flat_merge_records)
{
    tu_make_day_logs(g_dir);
    const char *am = "--since 2026-11-01T00 --until 2026-11-01T12",
               *pm = "--since 2026-11-01T12 --until 2026-11-02";
    for (unsigned i = 0; i < 4; i++) {
        free(tu_scan_json(g_dir, 0, "scan logs %s --shard %u/4 -o a%u", am, i, i));
        free(tu_scan_json(g_dir, 0, "scan logs %s --shard %u/4 -o p%u", pm, i, i));
    }
    free(tu_scan_json(g_dir, 0, "merge p0 p1 p2 p3 --expect 4 -o PM"));
    free(tu_scan_json(g_dir, 0, "merge a0 a1 a2 a3 PM -o FLAT"));
    free(tu_scan_json(g_dir, 0, "merge a0 PM -o X"));
    char *mf = shards_line("X");
    cr_assert(!strncmp(mf, "shards\t4\t0\t", 10) && strstr(mf, "\t+\n"), "%s", mf);
    free(mf);
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge X a1 a2 a3 --expect 4 -o E -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "--expect takes no part that holds another scan whole: exit %d: %s", rc,
                 err ? err : "");
    cr_assert(strstr(err, "X holds whole scans beside its shards of 4"), "%s", err);
    free(err);
    free(tu_scan_json(g_dir, 0, "merge X a1 a2 a3 -o TREE"));
    for (int t = 0; t < 2; t++) {
        mf = shards_line(t ? "TREE" : "FLAT");
        cr_assert_str_eq(mf, "shards\t0\t-\n", "%s", t ? "TREE" : "FLAT");
        free(mf);
        err = NULL;
        rc = tu_sh(NULL, &err, "cd %s && %s merge %s --expect 4 -o E%d -q", g_dir, tu_prog("cfscan"),
                   t ? "TREE" : "FLAT", t);
        cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
        cr_assert(strstr(err, "records no shards"), "%s", err);
        free(err);
    }
    /* damaged shard records */
    static const char *const bad[] = {"s/\t[0-9a-f]{16}\t/\t0x00000000000001\t/",
                                      "s/\t[0-9a-f]{16}\t/\t 000000000000001\t/",
                                      "s/\tlogs --since/\tlo\tgs --since/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        cr_assert_eq(tu_sh(NULL, NULL, "cd %s && rm -rf B && cp -r a1 B && sed -i -E '2%s' B/inputs.cfm",
                           g_dir, bad[i]),
                     0);
        rc = tu_sh(NULL, &err, "cd %s && %s merge a0 B -o D -q", g_dir, tu_prog("cfscan"));
        cr_assert_eq(rc, 4, "%s: exit %d: %s", bad[i], rc, err ? err : "");
        cr_assert(strstr(err, "bad shard record"), "%s: %s", bad[i], err);
        free(err);
    }
}
