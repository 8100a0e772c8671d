/* Issue 13, incremental nightly runs: `scan PATH -o DIR --update` reads only the inputs
 * DIR's summary has not counted (late files are new inputs), a counted path whose file
 * changed is an unusable input named in the report (exit 4) and never counted twice, and
 * --rebuild rescans.  The oracle is one plain `cfscan scan` over the same files.  Also
 * measures what the manifest's lookup set costs per input on 1 million entries. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/inputs_manifest.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(update, .init = setup, .fini = teardown, .timeout = 120);

/* Night 1 has hours 00-09; night 2 the whole day (the late hours arrive): the updated
 * summary, its report file and the printed report equal one scan of the whole day. */
Test(update, late_files_are_new_inputs_and_counts_equal_one_scan)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir %s/in && cp %s/logs/*-0[0-9].* %s/in/", g_dir, g_dir, g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan in -o U --update")); /* no summary yet: reads everything */
    cr_assert_eq(tu_manifest_entries(g_dir, "U"), 20);
    cr_assert_eq(tu_sh(NULL, NULL, "cp %s/logs/* %s/in/", g_dir, g_dir), 0); /* re-copied too: new mtimes */
    char *err = NULL, *out = NULL;
    int rc = tu_sh(&out, &err, "cd %s && %s scan in -o U --update --format json", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "%s", err ? err : "");
    /* only the 28 new files were read (the throughput line counts the files scanned) */
    cr_assert(strstr(err, "cfscan: 28 files"), "only new files are read: %s", err);
    tu_assert_merge_exact(out, full, "the printed report is the whole updated summary's");
    cr_assert_eq(tu_manifest_entries(g_dir, "U"), 48);
    char p[4096];
    snprintf(p, sizeof p, "%s/U/report.json", g_dir);
    char *rep = tu_read(p, NULL);
    cr_assert_not_null(rep);
    char *stdout_rep = malloc(strlen(rep) + 2);
    sprintf(stdout_rep, "%s%s", rep, rep[strlen(rep) - 1] == '\n' ? "" : "\n");
    tu_assert_merge_exact(stdout_rep, full, "report.json equals one scan");
    free(stdout_rep);
    /* a night with nothing new changes nothing */
    char *again = tu_scan_json(g_dir, 0, "scan in -o U --update");
    cr_assert_str_eq(again, out, "a night with nothing new changes nothing");
    free(err);
    free(out);
    free(rep);
    free(again);
    free(full);
}

/* Two cfscan runs over one summary, in g_dir: the first (cfscan first, reading the FIFO f)
 * is held until `ready` (a shell condition) says it got where the test needs it; then the
 * second runs to its end, and the first is fed the day's file `last` through f.  Each
 * run's stdout, stderr and exit status land in rN.out, rN.err and rN.rc.  Every wait is
 * bounded, so nothing outlives a failed test. */
static void race(const char *first, const char *ready, const char *second, const char *last)
{
    char *err = NULL;
    int rc = tu_sh(NULL, &err,
                   "cd %s || exit 1; CF=%s; "
                   "(timeout -k 2 60 \"$CF\" %s >r1.out 2>r1.err; echo $? >r1.rc) & "
                   "i=0; while ! { %s; }; do i=$((i + 1)); [ $i -gt 400 ] && break; sleep 0.05; done; "
                   "\"$CF\" %s >r2.out 2>r2.err; echo $? >r2.rc; "
                   "timeout 30 sh -c 'cat logs/%s > f'; wait",
                   g_dir, tu_prog("cfscan"), first, ready, second, last);
    cr_assert_eq(rc, 0, "%s", err ? err : "");
    free(err);
}

/* A file the race left in g_dir (never NULL). */
static char *race_file(const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    char *s = tu_read(p, NULL);
    cr_assert(s, "%s", p);
    return s;
}

/* Two runs writing one summary at once (two nights' --update overlapping): the second is
 * refused before it reads anything (exit 1, naming the summary), so neither adds its inputs
 * to a result that already holds the other's (a review's case: 481392 requests where one
 * scan counts 320928).  The first holds the summary while it waits on a FIFO, which feeds
 * it the day's last file once the second has given up; it then ends as it would alone:
 * its report equals one scan of the day. */
Test(update, a_summary_another_run_is_writing_is_refused)
{
    tu_make_day_logs(g_dir);
    char *last = NULL;
    cr_assert_eq(tu_sh(&last, NULL, "cd %s/logs && ls | tail -1 | tr -d '\\n'", g_dir), 0);
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir %s/in && cp %s/logs/*-0[0-9].* %s/in/", g_dir, g_dir, g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan in -o U"));
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && cp logs/* in/ && rm in/%s && mkfifo f", g_dir, last), 0);
    /* the oracle reads the last file through a pipe too: its lines, named by no file, are
     * keyed by their Host in both */
    char *full = tu_scan_json(g_dir, 0, "scan in - < logs/%s", last);
    /* the first run's lock is seen in /proc/locks (by U's inode), without trying it: a
     * probe that took the lock itself (flock -n) could make the first run find it held */
    race("scan in f -o U --update --format json -q", "grep -q \":$(stat -c %i U) \" /proc/locks",
         "scan in -o U --update --format json -q", last);
    char *rc2 = race_file("r2.rc"), *err2 = race_file("r2.err");
    cr_assert_eq(atoi(rc2), 1, "the second run: exit %s (%s)", rc2, err2);
    cr_assert(strstr(err2, "U: another cfscan is writing this summary"), "%s", err2);
    char *rc1 = race_file("r1.rc"), *out1 = race_file("r1.out");
    cr_assert_eq(atoi(rc1), 0, "the first run: exit %s", rc1);
    tu_assert_merge_exact(out1, full, "the first run's report is one scan of the day");
    free(rc1);
    free(out1);
    free(rc2);
    free(err2);
    free(last);
    free(full);
}

/* Two first runs into one new directory: no summary is there to lock when they begin, so
 * the later to publish replaced the other's (documented before).  Now it fails instead and
 * the first one stays.  The held run makes the parent P (prepare_output_dir), so P's
 * appearance says it has looked and found no summary; f, a FIFO, holds it until the other
 * has published. */
Test(update, a_summary_another_run_published_first_is_not_replaced)
{
    tu_make_day_logs(g_dir);
    char *last = NULL;
    cr_assert_eq(tu_sh(&last, NULL, "cd %s/logs && ls | tail -1 | tr -d '\\n'", g_dir), 0);
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir %s/in && cp %s/logs/*-0[0-9].* %s/in/ && mkfifo %s/f", g_dir, g_dir,
                       g_dir, g_dir),
                 0);
    race("scan in f -o P/N -q", "[ -d P ]", "scan in -o P/N --format json -q", last);
    char *rc2 = race_file("r2.rc");
    cr_assert_eq(atoi(rc2), 0, "the second run published first: exit %s", rc2);
    char *rc1 = race_file("r1.rc"), *err1 = race_file("r1.err");
    cr_assert_neq(atoi(rc1), 0, "the held run must not publish over it: %s", err1);
    cr_assert(strstr(err1, "another run published a summary there while this one ran"), "%s", err1);
    /* what is there is the second run's: its report, byte for byte */
    char *j2 = race_file("r2.out"), *pub = race_file("P/N/report.json");
    cr_assert_str_eq(pub, j2, "P/N holds the second run's summary");
    free(j2);
    free(pub);
    free(rc1);
    free(err1);
    free(rc2);
    free(last);
}

/* The state an update adds to, missing or damaged, is refused as merge refuses such a
 * part (exit 4, naming it) and before any input is read, not after the whole scan with
 * exit 1 (a review's case).  f, a FIFO nobody writes, would hold a run that reads its
 * inputs until the timeout. */
Test(update, a_damaged_state_is_refused_before_any_input_is_read)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir %s/in && cp %s/logs/*-0[0-9].* %s/in/", g_dir, g_dir, g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan in -o U"));
    cr_assert_eq(tu_sh(NULL, NULL, "cp %s/logs/* %s/in/ && mkfifo %s/f", g_dir, g_dir, g_dir), 0);
    static const struct {
        const char *damage, *says;
    } cases[] = {
        {"truncate -s 100 V/state.cfs", "V/state.cfs: state file is truncated"},
        {"printf '\\377' | dd of=V/state.cfs bs=1 seek=40 conv=notrunc 2>/dev/null",
         "V/state.cfs: state file is corrupt (checksum mismatch)"},
        {"rm V/state.cfs", "V/state.cfs: "},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cr_assert_eq(tu_sh(NULL, NULL, "cd %s && rm -rf V && cp -r U V && %s", g_dir, cases[k].damage), 0);
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && timeout -k 2 20 %s scan in f -o V --update >/dev/null", g_dir,
                       tu_prog("cfscan"));
        cr_assert_eq(rc, 4, "%s: exit %d (%s)", cases[k].damage, rc, err);
        cr_assert(strstr(err, cases[k].says), "%s: %s", cases[k].damage, err);
        free(err);
    }
}

/* The old summary with the run's inputs added is held under the memory budget too: over it,
 * nothing is written and the exit status is 5, as for a scan or a merge (a review found the
 * update written with exit 0 at three times its --memory-limit).  The summary of the first
 * half is read back whole; its state file is unchanged. */
Test(update, an_update_over_the_memory_budget_writes_nothing)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir %s/in && cp %s/logs/*-0[0-9].* %s/in/", g_dir, g_dir, g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan in -o U"));
    char *before = NULL, *after = NULL, *err = NULL;
    cr_assert_eq(tu_sh(&before, NULL, "cd %s && md5sum < U/state.cfs", g_dir), 0);
    cr_assert_eq(tu_sh(NULL, NULL, "cp %s/logs/* %s/in/", g_dir, g_dir), 0);
    int rc = tu_sh(NULL, &err, "cd %s && %s scan in -o U --update -j1 --memory-limit 2M -q >/dev/null", g_dir,
                   tu_prog("cfscan"));
    cr_assert_eq(rc, 5, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "memory limit reached") && strstr(err, "nothing was written"), "%s", err);
    cr_assert_eq(tu_sh(&after, NULL, "cd %s && md5sum < U/state.cfs", g_dir), 0);
    cr_assert_str_eq(after, before, "the summary is left as it was");
    free(before);
    free(after);
    free(err);
}

/* A file named beside the directory holding it, however spelled, is read by the
 * directory's walk, so the manifest records it by its place in that directory, as a run
 * that names only the directory does: the next night's --update finds it counted (under
 * its base name it was a new input, read again: a review's case). */
Test(update, a_file_named_beside_its_directory_keeps_its_place_in_the_manifest)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    char *one = NULL;
    cr_assert_eq(tu_sh(&one, NULL,
                       "cd %s/logs && f=$(ls | head -1) && mkdir sub && mv $f sub/ && printf %%s $f", g_dir),
                 0);
    /* spelled otherwise than the directory (absolute): its place is still sub/NAME */
    free(tu_scan_json(g_dir, 0, "scan logs %s/logs/sub/%s -o U", g_dir, one));
    char *mf = NULL;
    cr_assert_eq(tu_sh(&mf, NULL, "cut -f4 %s/U/inputs.cfm | grep -c -x 'sub/%s'", g_dir, one), 0, "%s", mf);
    free(mf);
    char *upd = tu_scan_json(g_dir, 0, "scan logs -o U --update");
    tu_assert_merge_exact(upd, full, "nothing counted twice");
    free(upd);
    free(one);
    free(full);
}

/* A counted file that changed is named, exit 4, and nothing of it is counted again. */
Test(update, changed_known_file_is_an_error_never_a_double_count)
{
    tu_make_day_logs(g_dir);
    char *before = tu_scan_json(g_dir, 0, "scan logs -o U");
    /* replace one known file's content with another's (same name, new bytes) */
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s/logs && set -- $(ls) && cp \"$2\" \"$1\"", g_dir), 0);
    char *err = NULL, *out = NULL;
    int rc = tu_sh(&out, &err, "cd %s && %s scan logs -o U --update --format json", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "changed since the summary counted it"), "%s", err);
    cr_assert(strstr(err, "--rebuild"), "%s", err);
    cr_assert(strstr(out, "changed since the summary counted it"), "named in the report: %s", out);
    /* the requests counted are the first night's: the changed file was not read */
    const char *a = strstr(before, "\"requests\":"), *b = strstr(out, "\"requests\":");
    cr_assert(a && b);
    cr_assert_eq(strtoull(a + 11, NULL, 10), strtoull(b + 11, NULL, 10), "no request counted twice");
    /* and no file: the changed one is counted once (its first night's row), and failed
     * in this run (it used to count twice: "49 files (1 failed)" for 48) */
    cr_assert_eq(tu_json_count(before, "files"), 48, "%s", before);
    cr_assert_eq(tu_json_count(out, "files"), 48, "the changed file is one file: %s", out);
    cr_assert(strstr(out, "\"files_failed\":1,"), "%s", out);
    char *text = NULL;
    cr_assert_eq(tu_sh(&text, NULL, "cd %s && %s scan logs -o U --update", g_dir, tu_prog("cfscan")), 4);
    cr_assert(strstr(text, "Inputs: 48 files (1 failed,"), "the text report too: %s", text);
    free(text);
    /* --rebuild rescans: exit 0, and the counts are one scan of the files as they are now */
    char *now = tu_scan_json(g_dir, 0, "scan logs");
    char *rebuilt = tu_scan_json(g_dir, 0, "scan logs -o U --rebuild");
    cr_assert_str_eq(rebuilt, now);
    free(err);
    free(out);
    free(before);
    free(now);
    free(rebuilt);
}

/* The changed file put back as it was counted: the next --update finds nothing wrong, so
 * its report lists no error and counts each file once (the failed run's row stayed in
 * the summary for good, the file counted twice, "1 failed" at exit 0). */
Test(update, changed_file_restored_leaves_no_error_behind)
{
    tu_make_day_logs(g_dir);
    char *before = tu_scan_json(g_dir, 0, "scan logs -o U");
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s/logs && set -- $(ls) && cp -p \"$1\" %s/saved && cp \"$2\" \"$1\"",
                       g_dir, g_dir),
                 0);
    free(tu_scan_json(g_dir, 4, "scan logs -o U --update"));
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s/logs && set -- $(ls) && cp -p %s/saved \"$1\"", g_dir, g_dir), 0);
    char *after = tu_scan_json(g_dir, 0, "scan logs -o U --update");
    cr_assert(strstr(after, "\"errors\":[]"), "no error left: %s", after);
    cr_assert(strstr(after, "\"files_failed\":0"), "%s", after);
    const char *a = strstr(before, "\"files\":"), *b = strstr(after, "\"files\":");
    cr_assert(a && b);
    cr_assert_eq(strtoull(a + 8, NULL, 10), strtoull(b + 8, NULL, 10), "each file counted once");
    free(before);
    free(after);
}

/* The inputs a summary could not read at all are the latest run's: each --update looks
 * again at what it walks and lists what it still cannot read, so an error fixed since
 * leaves nothing behind, however the path was written or sharded (a missing directory
 * that exists now kept "ERROR logs2: No such file or directory" for good).  A damaged
 * file is in the manifest, is not read again, and keeps its error. */
Test(update, the_inputs_not_read_are_the_latest_runs)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && mkdir a && mv logs/*-0[0-4].* a/ && "
                       "printf 'PAR1\\0\\0\\0garbagegarbage\\020\\0\\0\\0PAR1' > a/bad.parquet && "
                       "ln -s /nonexistent/x.gz a/EM28SNUQ3HJTA1.2026-11-01-04.DANGLING.gz",
                       g_dir),
                 0);
    char *first = tu_scan_json(g_dir, 4, "scan a b -o U --update");
    cr_assert(strstr(first, "\"files_failed\":3"), "the link, the directory b and bad.parquet: %s", first);
    free(first);
    /* b exists now, the link points somewhere: only the damaged file is left */
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && mkdir b && mv logs/*-0[5-9].* b/ && rm a/*DANGLING.gz && "
                       "cp b/$(ls b | head -n 1) a/EM28SNUQ3HJTA1.2026-11-01-04.DANGLING.gz",
                       g_dir),
                 0);
    /* exit 0: this run read all it was given (the damaged file is not read again) */
    char *again = tu_scan_json(g_dir, 0, "scan ./a b/ -o U --update");
    cr_assert(strstr(again, "\"files_failed\":1"), "%s", again);
    cr_assert(strstr(again, "bad.parquet") && !strstr(again, "No such file"), "%s", again);
    free(again);
}

/* The report of an --update is the whole summary's: it names none of this run's filters
 * (they chose only what this run added) and, when they chose nothing, does not call the
 * summary empty; the run itself still says so on stderr and exits 3.  The report files
 * said "Selection: --dist ..." and "this report is empty" above every earlier request. */
Test(update, report_of_an_update_names_no_filter_of_the_run)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(
        tu_sh(NULL, NULL, "cd %s && mkdir a b && mv logs/*-0[0-4].* a/ && mv logs/*-0[5-9].* b/", g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan a -o U"));
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "cd %s && %s scan b --dist EZZZZZZZZZZZZZ -o U --update -q", g_dir,
                   tu_prog("cfscan"));
    cr_assert_eq(rc, 3, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "selected nothing"), "the run says so: %s", err);
    char p[4096];
    snprintf(p, sizeof p, "%s/U/report.txt", g_dir);
    char *file = tu_read(p, NULL);
    cr_assert_not_null(file);
    cr_expect_str_eq(file, out, "report.txt is the printed report");
    cr_expect(!strstr(out, "Selection:") && !strstr(out, "selected nothing"), "%s", out);
    cr_expect(strstr(out, "Why viewers got 403s") || strstr(out, " were 403"), "the summary's 403s: %s", out);
    free(file);
    free(out);
    free(err);
}

/* An --update whose filters leave nothing of what it read new says so (stderr, exit 3),
 * as any scan does: it was quiet at exit 0 whenever some file of the summary was passed
 * over as counted. */
Test(update, a_filter_that_keeps_nothing_new_says_so)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && mkdir a && mv logs/*-0[0-4].* a/", g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan a -o U"));
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && mv logs/*-05.* a/", g_dir), 0);
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s scan a -o U --update --edge NOPE1 -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 3, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "selected nothing"), "%s", err);
    free(err);
}

/* '-' and /dev/stdin, standard input redirected from a file: one input, never recorded by
 * the name /dev/stdin (an --update from another file was refused as "/dev/stdin: changed
 * since the summary counted it"). */
Test(update, stdin_named_twice_is_no_input_of_the_manifest)
{
    tu_make_day_logs(g_dir);
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s scan - /dev/stdin -o U -q < logs/$(ls logs | head -n 1)", g_dir,
                   tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    free(err);
    cr_assert_eq(tu_manifest_entries(g_dir, "U"), 0);
    rc = tu_sh(NULL, &err, "cd %s && %s scan - /dev/stdin -o U --update -q < logs/$(ls logs | tail -n 1)",
               g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    free(err);
}

/* A nightly window rerun when nothing new arrived: exit 0, not "selected nothing" (its
 * files are in the summary), and the files the window skips by name are counted once,
 * not once more per run. */
Test(update, window_rerun_with_nothing_new_is_clean)
{
    tu_make_day_logs(g_dir);
    const char *win = "--since 2026-11-01T03 --until 2026-11-01T05";
    char *first = tu_scan_json(g_dir, 0, "scan logs %s -o U --update", win);
    const char *p = strstr(first, "\"files_pruned\":");
    cr_assert(p && strtoull(p + 15, NULL, 10) > 0, "the window skips files by name: %s", first);
    const unsigned long long pruned = strtoull(p + 15, NULL, 10);
    /* the reruns print the summary's report (an hourly timeline, where the first run's
     * own had a sub-hour one: README, --resolution), the same each night */
    char *second = tu_scan_json(g_dir, 0, "scan logs %s -o U --update", win);
    p = strstr(second, "\"files_pruned\":");
    cr_assert(p && strtoull(p + 15, NULL, 10) == pruned, "skipped by name counted once: %s", second);
    char *third = tu_scan_json(g_dir, 0, "scan logs %s -o U --update", win);
    cr_assert_str_eq(third, second, "a rerun with nothing new changes nothing");
    /* an input of the window that still cannot be opened reads nothing either: exit 4 for
     * it, but no "selected nothing" (the window chose files the summary counted) */
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && ln -s /nonexistent/x.gz logs/EM28SNUQ3HJTA1.2026-11-01-04.DANG.gz", g_dir),
                 0);
    for (int night = 0; night < 2; night++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && %s scan logs %s -o U --update -q", g_dir, tu_prog("cfscan"),
                       win);
        cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
        cr_assert(!strstr(err, "selected nothing"), "night %d: %s", night, err);
        free(err);
    }
    free(first);
    free(second);
    free(third);
}

/* --resolution with --update adding to a summary: the report is the summary's, hourly, and
 * the option is not silently ignored (README, --resolution). */
Test(update, resolution_on_an_existing_summary_warns)
{
    tu_make_day_logs(g_dir);
    const char *args = "scan logs --since 2026-11-01T00 --until 2026-11-01T12 --resolution 15m -o U --update";
    char *first = tu_scan_json(g_dir, 0, "%s", args);
    cr_assert(strstr(first, "\"resolution\":\"15m\""), "no summary yet: the scan's own report: %s", first);
    char *err = NULL, *out = NULL;
    int rc = tu_sh(&out, &err, "cd %s && %s %s --format json", g_dir, tu_prog("cfscan"), args);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(out, "\"resolution\":\"1h\""), "the summary's timeline is hourly: %s", out);
    cr_assert(strstr(err, "--resolution applies to a scan without a summary"), "said: %s", err);
    free(first);
    free(out);
    free(err);
}

Test(update, usage_errors)
{
    tu_make_day_logs(g_dir);
    char *err = NULL;
    cr_assert_eq(tu_sh(NULL, &err, "cd %s && %s scan logs --update -q", g_dir, tu_prog("cfscan")), 2);
    cr_assert(strstr(err, "need -o DIR"), "%s", err);
    free(err);
    err = NULL;
    cr_assert_eq(
        tu_sh(NULL, &err, "cd %s && %s scan logs -o U --update --rebuild -q", g_dir, tu_prog("cfscan")), 2);
    free(err);
    /* a summary without a manifest: what it counted is unknown */
    free(tu_scan_json(g_dir, 0, "scan logs -o U"));
    char p[4096];
    snprintf(p, sizeof p, "%s/U/inputs.cfm", g_dir);
    cr_assert_eq(unlink(p), 0);
    err = NULL;
    cr_assert_eq(tu_sh(NULL, &err, "cd %s && %s scan logs -o U --update -q", g_dir, tu_prog("cfscan")), 2);
    cr_assert(strstr(err, "--rebuild"), "%s", err);
    free(err);
}

static long rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The cost of the lookup set on 1 million synthetic entries: printed, not timed. */
Test(update, manifest_set_of_a_million_inputs)
{
    cfs_mf_writer w;
    cfs_mf_writer_init(&w);
    char err[512], rel[64];
    const long n = 1000000;
    for (long i = 0; i < n; i++) {
        snprintf(rel, sizeof rel, "E%013ld.2026-11-01-%02ld.%08lx.gz", i % 7, i % 24, (unsigned long)i);
        cr_assert_eq(
            cfs_mf_writer_add(&w, rel, (uint64_t)i, 1700000000, (uint64_t)i * 2654435761u, err, sizeof err),
            CFS_OK, "%s", err);
    }
    char p[4096];
    snprintf(p, sizeof p, "%s/inputs.cfm", g_dir);
    cr_assert_eq(cfs_mf_writer_save(&w, p, err, sizeof err), CFS_OK, "%s", err);
    cfs_mf_writer_free(&w);
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0);
    long r0 = rss_kb();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    cfs_mf_set s;
    cr_assert_eq(cfs_mf_set_load(&s, p, err, sizeof err), CFS_OK, "%s", err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long r1 = rss_kb();
    cr_assert_eq(s.n, (size_t)n);
    /* every entry is found, with its identity */
    for (long i = 0; i < n; i += 997) {
        snprintf(rel, sizeof rel, "E%013ld.2026-11-01-%02ld.%08lx.gz", i % 7, i % 24, (unsigned long)i);
        long at = cfs_mf_set_find(&s, cfs_mf_path_hash(rel));
        cr_assert_geq(at, 0);
        cr_assert_eq(s.ident[at], cfs_mf_ident((uint64_t)i, (uint64_t)i * 2654435761u));
    }
    snprintf(rel, sizeof rel, "not-there.gz");
    cr_assert_eq(cfs_mf_set_find(&s, cfs_mf_path_hash(rel)), -1);
    fprintf(stderr,
            "manifest of %ld inputs: %lld bytes on disk (%.1f per input); set holds %zu bytes "
            "(%.1f per input); peak RSS grew %ld KiB while loading (%.1f bytes per input); load %.2f s\n",
            n, (long long)sb.st_size, (double)sb.st_size / n, s.n * 16, 16.0, r1 - r0, (r1 - r0) * 1024.0 / n,
            (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    cfs_mf_set_free(&s);
}

/* A shard's summary is updated as that shard: the same inputs as one scan of the shard,
 * and another shard spec is refused before anything is read. */
Test(update, shard_summary_updates_as_its_shard)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL, "mkdir %s/in && cp %s/logs/*-0[0-9].* %s/in/", g_dir, g_dir, g_dir), 0);
    free(tu_scan_json(g_dir, 0, "scan in --shard 1/4 -o U"));
    cr_assert_eq(tu_sh(NULL, NULL, "cp %s/logs/* %s/in/", g_dir, g_dir), 0);
    char *upd = tu_scan_json(g_dir, 0, "scan in --shard 1/4 -o U --update");
    char *one = tu_scan_json(g_dir, 0, "scan logs --shard 1/4 -o R");
    tu_assert_merge_exact(upd, one, "an updated shard equals one scan of the shard");
    cr_assert_eq(tu_manifest_entries(g_dir, "U"), tu_manifest_entries(g_dir, "R"));
    free(tu_scan_json(g_dir, 2, "scan in --shard 2/4 -o U --update"));
    free(tu_scan_json(g_dir, 2, "scan in -o U --update"));
    free(upd);
    free(one);
}

/* With --config and --waf-logs, the report --update prints is the updated summary's, as
 * its report files are, and so one scan's of every file: the WAF rule names and the
 * evidence's coverage are the whole summary's.  (It printed this run's WAF rule names
 * under the summary's rule ids, so counts went under other rules' names, and evidence
 * covering only the files this run read.) */
Test(update, printed_report_with_evidence_equals_the_report_files_and_one_scan)
{
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && %s -o day --seed 1 --world-seed 7 --days 1 --lines-per-file 200 -j1 && "
                       "mkdir day/logs in && mv day/E*.gz day/logs/ && cp day/logs/*-0[0-9].*.gz in/",
                       g_dir, tu_prog("cfsgen")),
                 0);
    const char *ev = "--config day/config --waf-logs day/waf";
    free(tu_scan_json(g_dir, 0, "scan in %s -o U", ev));
    cr_assert_eq(tu_sh(NULL, NULL, "cp %s/day/logs/* %s/in/", g_dir, g_dir), 0);
    char *full = tu_scan_json(g_dir, 0, "scan in %s", ev);
    cr_assert(strstr(full, "\"waf_rules\""), "the oracle has WAF rules to compare: %.300s", full);
    char *upd = tu_scan_json(g_dir, 0, "scan in %s -o U --update", ev);
    tu_assert_merge_exact(upd, full, "the printed report of --update is one scan's");
    char p[4096];
    snprintf(p, sizeof p, "%s/U/report.json", g_dir);
    char *file = tu_read(p, NULL);
    cr_assert_not_null(file);
    cr_assert(!strncmp(upd, file, strlen(file)), "the printed report is report.json");
    free(file);
    /* the text form too, from a run that finds nothing new */
    char *text = NULL;
    cr_assert_eq(tu_sh(&text, NULL, "cd %s && %s scan in %s -o U --update -q", g_dir, tu_prog("cfscan"), ev),
                 0);
    snprintf(p, sizeof p, "%s/U/report.txt", g_dir);
    file = tu_read(p, NULL);
    cr_assert_not_null(file);
    cr_assert_str_eq(text, file, "the printed text report is report.txt");
    free(text);
    free(file);
    /* an --update given no evidence reports the summary, which holds config and WAF
     * verdicts, with them: its WAF parts, and no "without --config" note (it reported as
     * if this run's evidence were the summary's) */
    char *bare = tu_scan_json(g_dir, 0, "scan in -o U --update");
    cr_assert(strstr(bare, "\"waf_anomalies\"") && strstr(bare, "\"waf_outside_coverage_403\""),
              "the WAF parts of the report: %.300s", bare);
    cr_assert_eq(tu_sh(&text, NULL, "cd %s && %s scan in -o U --update -q", g_dir, tu_prog("cfscan")), 0);
    cr_assert(strstr(text, "\nWAF logs\n") && !strstr(text, "without --config"), "%s", text);
    free(text);
    free(bare);
    free(upd);
    free(full);
}

/* Summaries of adjacent windows (the README's day summaries merged into a month, here two
 * halves of a day) read disjoint files, so merge takes them, and counts every request of
 * the day once: a window skips the files of the hours before it by name (README: a request
 * that straddles the window's start is in one of those). */
Test(update, summaries_of_adjacent_windows_merge_into_one_scan)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    free(tu_scan_json(g_dir, 0, "scan logs --since 2026-11-01T00 --until 2026-11-01T12 -o A"));
    free(tu_scan_json(g_dir, 0, "scan logs --since 2026-11-01T12 --until 2026-11-02 -o B"));
    char *out = tu_scan_json(g_dir, 0, "merge A B -o M");
    cr_assert_gt(tu_json_count(full, "requests"), 0);
    cr_assert_eq(tu_json_count(out, "requests"), tu_json_count(full, "requests"), "every request once: %s",
                 out);
    const char *a = strstr(full, "\"by_status\":"), *b = strstr(out, "\"by_status\":");
    cr_assert(a && b);
    cr_assert_eq(strncmp(a, b, (size_t)(strchr(a, '}') - a)), 0, "%.200s\n%.200s", a, b);
    free(out);
    free(full);
}

/* --redact-clients promises no full address in any output: --update with it refuses a
 * summary made without it (which holds full addresses; it published them with exit 0),
 * and adds to one made with it. */
Test(update, redact_clients_refuses_a_summary_with_full_addresses)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs -o F"));
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s scan logs -o F --update --redact-clients -q", g_dir,
                   tu_prog("cfscan"));
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "holds full client addresses") && strstr(err, "--rebuild --redact-clients"), "%s",
              err);
    free(err);
    free(tu_scan_json(g_dir, 0, "scan logs -o R --redact-clients"));
    free(tu_scan_json(g_dir, 0, "scan logs -o R --update --redact-clients"));
}

/* A file that failed when it was counted (truncated) and changed since (replaced whole):
 * one file and one failure, its first row's (the new row, "changed since", is another
 * failure of the same file; "1 files (2 failed)" before). */
Test(update, a_failed_file_changed_since_is_one_failure)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && mkdir one && f=$(ls logs/*.gz | head -1) && cp \"$f\" full.gz && "
                       "head -c 300 full.gz > one/E1.2026-11-01-00.x.gz",
                       g_dir),
                 0);
    free(tu_scan_json(g_dir, 4, "scan one -o U"));
    cr_assert_eq(tu_sh(NULL, NULL, "cd %s && cp full.gz one/E1.2026-11-01-00.x.gz", g_dir), 0);
    char *out = tu_scan_json(g_dir, 4, "scan one -o U --update");
    cr_assert(strstr(out, "\"files\":1,\"files_failed\":1,"), "%.400s", out);
    free(out);
}

/* A counted input is never read again, so lines that one run's window or filters left out
 * of its inputs would never be counted by a later run with another window: two half-hour
 * windows counted 92 of an hour's 200 requests (exit 0), and a v2 JSON day back-filled in
 * halves its first half only.  Such a run is refused (exit 2, the summary untouched);
 * the same window again, and windows that leave no line out (whole hours of files named by
 * the hour), go on, and a day of such windows counts what one scan of it counts. */
Test(update, another_window_that_would_lose_lines_is_refused)
{
    tu_make_day_logs(g_dir);
    const char *h10a = "--since 2026-11-01T10:00 --until 2026-11-01T10:30",
               *h10b = "--since 2026-11-01T10:30 --until 2026-11-01T11:00";
    char *first = tu_scan_json(g_dir, 0, "scan logs %s -o U --update", h10a);
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s scan logs %s -o U --update -q", g_dir, tu_prog("cfscan"), h10b);
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "U: read with --since 2026-11-01T10:00:00Z --until 2026-11-01T10:30:00Z") &&
                  strstr(err, "so with --since 2026-11-01T10:30:00Z --until 2026-11-01T11:00:00Z they would "
                              "never be counted"),
              "%s", err);
    free(err);
    char *again = tu_scan_json(g_dir, 0, "scan logs %s -o U --update", h10a);
    cr_assert_eq(tu_json_count(again, "requests"), tu_json_count(first, "requests"), "U as it was");
    free(again);
    /* hours of files named by the hour: each window reads whole files, but for a request
     * that finished after its file's hour (made here in hour 05's file): the window
     * 00-06 leaves it out, and every later window skips that file by name, so the next
     * window is no reason to refuse (it was: exit 2), and the day counts one request less
     * than one scan of it, as merged windows do (README, --since) */
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && f=$(ls logs/*.2026-11-01-05.* | head -n 1) && zcat $f | tail -n 1 | "
                       "sed 's/^2026-11-01\t[0-9:]*\t/2026-11-01\t06:00:00\t/' | gzip >> $f",
                       g_dir),
                 0);
    static const char *const ends[] = {"2026-11-01T00", "2026-11-01T06", "2026-11-01T12", "2026-11-01T18",
                                       "2026-11-02T00"};
    for (int w = 0; w < 4; w++)
        free(tu_scan_json(g_dir, 0, "scan logs --since %s --until %s -o H --update", ends[w], ends[w + 1]));
    /* ...but a window that reads hour 05's file again, as no window does, would have
     * counted that request in a fresh scan: refused, naming the windows that would do */
    rc = tu_sh(NULL, &err, "cd %s && %s scan logs -o H --update -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err ? err : "");
    cr_assert(
        strstr(err,
               "H: its windows of whole hours (2026-11-01T00:00:00Z .. 2026-11-01T06:00:00Z) left out") &&
            strstr(err, "give a window that ends by 2026-11-01T00:00:00Z or that starts at "
                        "2026-11-01T06:00:00Z or later, or --rebuild"),
        "%s", err);
    free(err);
    free(tu_scan_json(g_dir, 0, "scan logs --since 2026-11-01T12 --until 2026-11-02 -o H --update"));
    char *day = tu_scan_json(g_dir, 0, "merge H -o H2");
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    cr_assert_gt(tu_json_count(full, "requests"), 0);
    cr_assert_eq(tu_json_count(day, "requests") + 1, tu_json_count(full, "requests"));
    free(day);
    free(full);
    free(first);
}
