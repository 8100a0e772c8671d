/* The exit status: cfs_run_exit_status (pipeline/ledger.c) over every combination of
 * the things a run can end with, checked against the README's precedence written out
 * independently, and the built cfscan for the combinations a user meets (rejected lines
 * with a failed evidence file, interruption or the memory budget on top of them).  An
 * interruption while over budget cannot be provoked through the binary without a race
 * (an over-budget scan ends before it reads on), so the table test covers it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/ledger.h"
#include "tests/util.h"

/* ---- the function itself --------------------------------------------------------- */

/* The README's table ranks the outcomes; a run ends with the highest-ranked one that
 * applies.  Written as a ranking (not an if-chain) so it is not the code under test. */
static const int k_rank[] = {0, 3, 4, 5, 1, 2, 130}; /* lowest first */

static int rank_of(int code)
{
    for (int i = 0; i < (int)(sizeof k_rank / sizeof k_rank[0]); i++)
        if (k_rank[i] == code) return i;
    cr_assert_fail("code %d not in the table", code);
    return -1;
}

static int worst(int a, int b) { return rank_of(a) >= rank_of(b) ? a : b; }

Test(exit_status, every_combination_follows_one_precedence)
{
    static const cfs_status fatals[] = {CFS_OK, CFS_E_USAGE, CFS_E_IO, CFS_E_NOMEM};
    int seen[131] = {0};
    for (int mask = 0; mask < 1 << 7; mask++) {
        for (size_t fi = 0; fi < sizeof fatals / sizeof fatals[0]; fi++) {
            cfs_ledger l;
            memset(&l, 0, sizeof l);
            l.failed = (mask & 1) ? 2 : 0;
            l.warned = (mask & 2) ? 1 : 0;
            l.rejecting = (mask & 4) ? 3 : 0;
            cfs_run_end e = {
                .ledger = (mask & 64) ? NULL : &l,
                .evidence_failed = (mask & 8) != 0,
                .over_budget = (mask & 16) != 0,
                .interrupted = (mask & 32) != 0,
                .fatal = fatals[fi],
            };
            int want = 0;
            if (!(mask & 64) && (l.warned || l.rejecting)) want = worst(want, 3);
            if (!(mask & 64) && l.failed) want = worst(want, 4);
            if (e.evidence_failed) want = worst(want, 4);
            if (e.over_budget) want = worst(want, 5);
            if (e.fatal == CFS_E_USAGE) want = worst(want, 2);
            else if (e.fatal != CFS_OK) want = worst(want, 1);
            if (e.interrupted) want = worst(want, 130);
            int got = (int)cfs_run_exit_status(&e);
            cr_assert_eq(got, want, "mask %#x fatal %d: got %d, want %d", mask, (int)e.fatal, got, want);
            seen[got] = 1;
        }
    }
    /* every row of the table is reachable */
    for (int i = 0; i < (int)(sizeof k_rank / sizeof k_rank[0]); i++)
        cr_assert(seen[k_rank[i]], "%d", k_rank[i]);
}

Test(exit_status, named_cases)
{
    cfs_ledger l;
    memset(&l, 0, sizeof l);
    l.rejecting = 1;
    cfs_run_end e = {.ledger = &l};
    cr_assert_eq(cfs_run_exit_status(&e), 3);
    e.evidence_failed = 1; /* the bug of issue 12: this stayed 3 */
    cr_assert_eq(cfs_run_exit_status(&e), 4);
    e.over_budget = 1;
    cr_assert_eq(cfs_run_exit_status(&e), 5);
    e.interrupted = 1;
    cr_assert_eq(cfs_run_exit_status(&e), 130);
    cfs_run_end none = {.ledger = NULL};
    cr_assert_eq(cfs_run_exit_status(&none), 0);
}

/* ---- through the built binary ---------------------------------------------------- */

static char *g_dir;
static char *g_cfscan;

/* One good line and one that is too short to be a log line (rejected). */
static const char k_log[] = "#Version: 1.0\n"
                            "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
                            "cs-uri-stem sc-status\n"
                            "2026-11-01\t10:00:00\tIAD\t100\t192.0.2.1\tGET\th.example\t/\t200\n"
                            "not a log line\n";

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_cfscan = tu_prog("cfscan");
    free(tu_write_str(g_dir, "rejecting.log", k_log));
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
    free(g_cfscan);
}

static int run_cfscan(const char *env, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s '%s' %s -q >/dev/null 2>&1", g_dir, env ? env : "", g_cfscan,
             args);
    return tu_run(cmd, NULL, NULL);
}

TestSuite(exit_binary, .init = setup, .fini = teardown);

Test(exit_binary, rejected_lines_alone_are_3) { cr_assert_eq(run_cfscan(NULL, "scan rejecting.log"), 3); }

Test(exit_binary, rejected_lines_and_a_missing_config_are_4)
{
    cr_assert_eq(run_cfscan(NULL, "scan rejecting.log --config missing.json"), 4);
    cr_assert_eq(run_cfscan(NULL, "scan rejecting.log --format json --config missing.json"), 4);
    cr_assert_eq(run_cfscan(NULL, "requests rejecting.log --config missing.json"), 4);
}

Test(exit_binary, rejected_lines_and_a_missing_waf_log_are_4)
{
    cr_assert_eq(run_cfscan(NULL, "scan rejecting.log --waf-logs missing.json.gz"), 4);
    cr_assert_eq(run_cfscan(NULL, "requests rejecting.log --waf-logs missing.json.gz"), 4);
}

Test(exit_binary, a_failed_input_with_rejected_lines_is_4)
{
    cr_assert_eq(run_cfscan(NULL, "scan rejecting.log missing.log"), 4);
}

Test(exit_binary, over_budget_outranks_a_failed_evidence_file)
{
    cr_assert_eq(run_cfscan(NULL, "scan rejecting.log --config missing.json --memory-limit 1"), 5);
}

Test(exit_binary, interrupted_outranks_everything_else)
{
    cr_assert_eq(
        run_cfscan("CFSCAN_TEST_RAISE_AT=report", "scan rejecting.log missing.log --config missing.json"),
        130);
}

/* ---- --config DIR reads only the .json files in it ------------------------------- */

/* A directory holding one config saved under another extension: before, the lone file
 * was loaded whatever its name (two or more files were filtered by .json); now the
 * directory has no config, which is an evidence failure (4) that says so. */
Test(exit_binary, config_dir_without_json_is_refused)
{
    char *cfgdir = NULL;
    cr_assert(asprintf(&cfgdir, "%s/cfg", g_dir) > 0);
    cr_assert_eq(mkdir(cfgdir, 0700), 0);
    size_t n;
    char *json = tu_read(CFS_SOURCE_DIR "/tests/fixtures/config/get-distribution.json", &n);
    cr_assert(json);
    free(tu_write(cfgdir, "get-distribution.txt", json, n));
    char cmd[2048], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "'%s' scan '%s/rejecting.log' -q --config '%s'", g_cfscan, g_dir, cfgdir);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 4, "stderr: %s", err);
    cr_assert(strstr(err, "cfg") && strstr(err, "no .json"), "stderr: %s", err);

    /* the same file named .json in that directory is read (exit 3: the rejected line) */
    free(tu_write(cfgdir, "get-distribution.json", json, n));
    free(out);
    free(err);
    rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 3, "stderr: %s", err);
    cr_assert_str_eq(err, "");
    free(out);
    free(err);

    /* compressed configs in a directory count too (the decode stage reads them) */
    char *zdir = NULL;
    cr_assert(asprintf(&zdir, "%s/cfgz", g_dir) > 0);
    cr_assert_eq(mkdir(zdir, 0700), 0);
    size_t gzn;
    void *gz = tu_gzip(json, n, &gzn);
    free(tu_write(zdir, "get-distribution.json.gz", gz, gzn));
    snprintf(cmd, sizeof cmd, "'%s' scan '%s/rejecting.log' -q --config '%s'", g_cfscan, g_dir, zdir);
    rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 3, "stderr: %s", err);
    cr_assert_str_eq(err, "");
    free(out);
    free(err);
    free(gz);
    free(zdir);
    free(json);
    free(cfgdir);
}

/* Paths that hold no file are no answer (3), said on stderr and in the report, also for a
 * shard or --update; a shard that its selection leaves no file is another thing: its
 * files are another run's (0). */
Test(exit_binary, paths_holding_no_file_are_3)
{
    char cmd[2048], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "cd '%s' && mkdir -p empty/sub && '%s' scan empty --format json -q", g_dir,
             g_cfscan);
    cr_assert_eq(tu_run(cmd, &out, &err), 3, "stderr: %s", err);
    cr_assert(strstr(err, "cfscan: the path given holds no file to read: empty\n"), "stderr: %s", err);
    cr_assert(strstr(out, "\"selected_nothing\":true"), "%s", out);
    free(out);
    free(err);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' requests empty empty/sub -q", g_dir, g_cfscan);
    cr_assert_eq(tu_run(cmd, &out, &err), 3, "stderr: %s", err);
    free(out);
    free(err);
    /* one file among the paths: its rejected line decides (3), and the empty directory
     * says nothing */
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' scan empty rejecting.log -q", g_dir, g_cfscan);
    cr_assert_eq(tu_run(cmd, &out, &err), 3, "stderr: %s", err);
    cr_assert_null(strstr(err, "no file to read"), "stderr: %s", err);
    free(out);
    free(err);
    /* a shard of nothing is nothing too (3); a shard whose selection passed the one file
     * over to the other shard is not (0): each of the two shards is 0 */
    cr_assert_eq(run_cfscan(NULL, "scan empty --shard 1/2 -o sharded"), 3);
    snprintf(cmd, sizeof cmd, "%s/one", g_dir);
    cr_assert_eq(mkdir(cmd, 0700), 0);
    free(tu_write_str(
        cmd, "good.log",
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
        "cs-uri-stem sc-status\n2026-11-01\t10:00:00\tIAD\t100\t192.0.2.1\tGET\th.example\t/\t200\n"));
    cr_assert_eq(run_cfscan(NULL, "scan one --shard 0/2 -o shard0"), 0);
    cr_assert_eq(run_cfscan(NULL, "scan one --shard 1/2 -o shard1"), 0);
}

/* Review of 2026-12-08: a file of blank lines was warned "no #Fields: header line", and a
 * header over the line limit too; each warning now says what the file lacks. */
Test(exit_status, warnings_say_what_a_file_lacks)
{
    cfs_file_stats f;
    memset(&f, 0, sizeof f);
    f.status = CFS_OK;
    f.lines = f.blank_lines = 3;
    cr_expect_str_eq(cfs_stats_warning(&f), "no log lines: only blank lines or directives");
    f.blank_lines = 0;
    f.rejected[CFS_REJ_LINE_TOO_LONG] = 1;
    f.rejected[CFS_REJ_NO_HEADER] = 2;
    cr_expect(strstr(cfs_stats_warning(&f), "a #Fields: line that long is not read"), "%s",
              cfs_stats_warning(&f));
    f.rejected[CFS_REJ_LINE_TOO_LONG] = 0;
    f.rejected[CFS_REJ_NO_HEADER] = 3;
    cr_expect(strstr(cfs_stats_warning(&f), "no #Fields: header line: ") &&
                  strstr(cfs_stats_warning(&f), "byte-order mark"),
              "%s", cfs_stats_warning(&f));
    f.rejected[CFS_REJ_NO_HEADER] = 0;
    f.rejected[CFS_REJ_BINARY] = 3;
    cr_expect(strstr(cfs_stats_warning(&f), "such as CR alone"), "%s", cfs_stats_warning(&f));
}
