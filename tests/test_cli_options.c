/* The command line as a user types it (issue 17 items 5 and 2): GNU option conventions
 * (--opt=value, -V), suggestions for mistyped options and values, times with a UTC
 * offset, and windows or filters that select nothing (exit 3, said on stderr and in the
 * report).  Every expectation is worked out from the hand-written log below. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/util.h"

static char *g_dir, *g_file;

/* Six 403 lines of E1TESTDIST0001 at 10:00:00, 10:10:00, ..., 10:50:00 UTC on 2026-11-01,
 * request ids T0..T5. */
static void setup(void)
{
    g_dir = tu_mkdtemp();
    tu_buf b = {0};
    tu_log_header(&b);
    for (int i = 0; i < 6; i++) {
        char t[16], id[8];
        snprintf(t, sizeof t, "10:%02d:00", i * 10);
        snprintf(id, sizeof id, "T%d", i);
        tu_kv over[] = {{"time", t}, {"x-edge-request-id", id}, {NULL, NULL}};
        tu_log_line(&b, NULL, over);
    }
    g_file = tu_write(g_dir, TU_LOG_NAME, b.p, b.n);
    free(b.p);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
    free(g_file);
}

TestSuite(cli, .init = setup, .fini = teardown);

/* cfscan with args (%s is the log file where the args name it); exit status, stdout and
 * stderr (both freed by the caller). */
static int cfscan(const char *args, char **out, char **err)
{
    char cmd[4096], a[3000];
    snprintf(a, sizeof a, args, g_file);
    snprintf(cmd, sizeof cmd, "%s %s", tu_prog("cfscan"), a);
    return tu_run(cmd, out, err);
}

/* Request ids of `requests` output (first column), joined by spaces. */
static char *ids(const char *tsv)
{
    static char buf[256];
    buf[0] = 0;
    const char *p = strchr(tsv, '\n'); /* skip the header */
    while (p && p[1]) {
        p++;
        const char *tab = strchr(p, '\t');
        if (!tab) break;
        if (buf[0]) strcat(buf, " ");
        strncat(buf, p, (size_t)(tab - p));
        p = strchr(p, '\n');
    }
    return buf;
}

Test(cli, opt_equals_value_everywhere)
{
    char *out, *err;
    int rc = cfscan("scan %s -q --format=json --top=3 --threads=1 --memory-limit=1G --split-above=100000 "
                    "--gzip-decoder=zlib",
                    &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(out[0] == '{', "not JSON: %.80s", out);
    free(out);
    free(err);
    rc = cfscan("requests --status=403 --fields=x-edge-request-id --since=2026-11-01T10:20 -q %s", &out,
                &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert_str_eq(ids(out), "T2 T3 T4 T5");
    free(out);
    free(err);
    /* merge takes --format=json and --output=DIR too */
    char args[1024];
    snprintf(args, sizeof args, "scan %%s -q -o %s/s1", g_dir);
    rc = cfscan(args, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(out);
    free(err);
    snprintf(args, sizeof args, "merge %s/s1 --output=%s/m -q --format=json", g_dir, g_dir);
    rc = cfscan(args, &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(out[0] == '{');
    free(out);
    free(err);
}

Test(cli, version_short_and_long)
{
    const char *forms[] = {"-V", "--version", "version", "scan -V", "requests --version", "merge -V"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char *out, *err;
        int rc = cfscan(forms[i], &out, &err);
        cr_expect_eq(rc, 0, "%s: exit %d: %s", forms[i], rc, err);
        cr_expect(strncmp(out, "cfscan ", 7) == 0, "%s: %s", forms[i], out);
        free(out);
        free(err);
    }
}

/* Help and version are output like any report: when standard output cannot take them
 * (Linux's /dev/full: every write fails with ENOSPC) the exit status is 1 with a message
 * on stderr (README "Exit status": 1 = output could not be written), never a silent 0.
 * `rules`, and the same forms with stdout writable, are the control. */
Test(cli, help_and_version_fail_when_stdout_cannot_be_written)
{
    struct stat st;
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode))
        cr_assert_fail("/dev/full is missing: this test needs Linux's full device");
    const char *forms[] = {"help",         "--help",      "-h",           "scan --help", "requests --help",
                           "merge --help", "diff --help", "rules --help", "version",     "--version",
                           "-V",           "scan -V",     "rules"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char args[64], *out, *err;
        int rc = cfscan(forms[i], &out, &err);
        cr_expect_eq(rc, 0, "%s to a pipe: exit %d: %s", forms[i], rc, err);
        cr_expect(out[0] != 0, "%s printed nothing", forms[i]);
        free(out);
        free(err);
        snprintf(args, sizeof args, "%s >/dev/full", forms[i]);
        rc = cfscan(args, &out, &err);
        cr_expect_eq(rc, 1, "%s >/dev/full: exit %d", forms[i], rc);
        cr_expect(strstr(err, "cfscan: writing the output failed: ") != NULL, "%s >/dev/full: stderr: %s",
                  forms[i], err);
        free(out);
        free(err);
    }
}

/* -v says where the time went, phase by phase, on stderr only: each phase a plausible
 * number of seconds (0 to a minute, for a run of a few lines). */
Test(cli, verbose_names_the_phases)
{
    char *out, *err;
    int rc = cfscan("scan %s -v -q --format json", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    const char *p = strstr(err, "cfscan: phases: reading and counting ");
    cr_assert(p, "%s", err);
    double t[4];
    cr_assert_eq(sscanf(p,
                        "cfscan: phases: reading and counting %lf s, merging the threads' tables %lf s, "
                        "judging held-back 403s %lf s, settling %lf s",
                        &t[0], &t[1], &t[2], &t[3]),
                 4, "%s", p);
    for (int i = 0; i < 4; i++) cr_assert(t[i] >= 0 && t[i] < 60, "%s", p);
    cr_assert(out[0] == '{' && !strstr(out, "phases"), "%s", out);
    free(out);
    free(err);
}

/* A mistyped option: exit 2 and the nearest valid one named. */
/* cfscan args must exit want_rc and say want on stderr. */
static void expect_exit_saying(const char *args, int want_rc, const char *want)
{
    char *out, *err;
    int rc = cfscan(args, &out, &err);
    cr_expect_eq(rc, want_rc, "%s: exit %d", args, rc);
    cr_expect(strstr(err, want) != NULL, "%s: stderr lacks '%s': %s", args, want, err);
    free(out);
    free(err);
}

static void expect_suggestion(const char *args, const char *want) { expect_exit_saying(args, 2, want); }

Test(cli, unknown_option_suggests_nearest)
{
    expect_suggestion("scan %s --sinse 2026-11-01", "did you mean --since?");
    expect_suggestion("scan %s --untill=2026-11-02", "did you mean --until?");
    expect_suggestion("requests %s --feilds x-edge-request-id", "did you mean --fields?");
    expect_suggestion("merge x -o y --formt json", "did you mean --format?");
    expect_suggestion("scna %s", "did you mean scan?");
    /* a prefix of several options names them all (review of 2026-12-08) */
    expect_suggestion("requests %s --u 2026-11-01", "(ambiguous: it begins --until and --uri-prefix)");
    expect_suggestion("requests %s --s 403", "--since, --split-above and --status");
}

Test(cli, bad_value_lists_valid_values)
{
    expect_suggestion("scan %s --format jsno", "did you mean json?");
    expect_suggestion("scan %s --format jsno", "text, json");
    expect_suggestion("requests %s --cause waf_blok", "did you mean waf_block?");
    /* every cause is listed */
    /* clang-format off */
    const char *causes[] = {"geo_restriction", "waf_block", "signed_url_missing", "signed_url_expired",
                            "signed_url_invalid", "https_required", "method_not_allowed",
                            "cname_not_associated", "origin_s3", "origin_custom", "edge_other",
                            "edge_function", "unknown"};
    /* clang-format on */
    for (size_t i = 0; i < sizeof causes / sizeof causes[0]; i++)
        expect_suggestion("requests %s --cause nonsense", causes[i]);
    expect_suggestion("scan %s --gzip-decoder zlb", "did you mean zlib?");
    /* a bad time lists the accepted forms */
    expect_suggestion("scan %s --since 2026-13-01", "YYYY-MM-DD");
    expect_suggestion("scan %s --since 2026-13-01", "+HH:MM");
    expect_suggestion("scan %s --top", "--top needs a value");
    expect_suggestion("scan %s --quiet=yes", "--quiet takes no value");
}

/* A time with a UTC offset is converted: 12:20+02:00 is 10:20Z, 15:50+0530 is 10:20Z,
 * 05:20-05:00 is 10:20Z; the lines at 10:20 and later are T2..T5. */
Test(cli, times_with_offsets_are_utc)
{
    const char *forms[] = {"2026-11-01T12:20+02:00", "2026-11-01T10:20Z",      "'2026-11-01 15:50 +0530'",
                           "2026-11-01T05:20-05:00", "2026-11-01T12:20:00+02", "2026-11-01T10:20:00z"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        char args[512], *out, *err;
        snprintf(args, sizeof args, "requests %%s -q --status 403 --fields x-edge-request-id --since %s",
                 forms[i]);
        int rc = cfscan(args, &out, &err);
        cr_expect_eq(rc, 0, "%s: exit %d: %s", forms[i], rc, err);
        cr_expect_str_eq(ids(out), "T2 T3 T4 T5", "%s", forms[i]);
        free(out);
        free(err);
    }
    /* an offset past +-14:00 or with bad minutes is refused */
    expect_suggestion("scan %s --since 2026-11-01T10:00+15:00", "bad time");
    expect_suggestion("scan %s --since 2026-11-01T10:00+02:60", "bad time");
}

Test(cli, options_before_and_after_paths)
{
    char *o1, *o2, *e1, *e2;
    cr_assert_eq(
        cfscan("requests -q --status 403 --fields x-edge-request-id %s --until 2026-11-01T10:30", &o1, &e1),
        0);
    cr_assert_eq(
        cfscan("requests --until=2026-11-01T10:30 %s -q --status 403 --fields x-edge-request-id", &o2, &e2),
        0);
    cr_assert_str_eq(ids(o1), "T0 T1 T2");
    cr_assert_str_eq(o1, o2);
    free(o1);
    free(o2);
    free(e1);
    free(e2);
}

/* Item 2: --since not before --until is a usage error. */
Test(cli, since_not_before_until_is_usage_error)
{
    expect_suggestion("scan %s --since 2026-11-02 --until 2026-11-01", "--since");
    expect_suggestion("requests %s --since 2026-11-01T10:00 --until 2026-11-01T10:00", "--until");
}

/* Item 2: a window that selects no input (by name) or no line says so, exit 3. */
Test(cli, empty_window_is_not_clean)
{
    char *out, *err;
    /* the wrong year: the file is skipped by its name */
    int rc = cfscan("scan %s -q --since 2025-11-01 --until 2025-11-02", &out, &err);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "selected nothing") != NULL, "stderr: %s", err);
    cr_expect(strstr(err, "--since 2025-11-01T00:00:00Z") != NULL, "stderr names the window: %s", err);
    cr_expect(strstr(out, "selected nothing") != NULL, "report: %s", out);
    cr_expect(strstr(out, "No 403 responses") == NULL, "looks clean: %s", out);
    free(out);
    free(err);
    /* inside the file's hour, but after every line: the lines are outside the window */
    rc = cfscan("scan %s -q --format json --since 2026-11-01T10:55", &out, &err);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "selected nothing") != NULL, "stderr: %s", err);
    cr_expect(strstr(out, "\"selected_nothing\":true") != NULL, "json: %s", out);
    free(out);
    free(err);
    /* a window that keeps some lines is fine */
    rc = cfscan("scan %s -q --format json --since 2026-11-01T10:45", &out, &err);
    cr_expect_eq(rc, 0, "exit %d: %s", rc, err);
    cr_expect(strstr(out, "\"selected_nothing\":false") != NULL, "json: %.300s", out);
    free(out);
    free(err);
    /* requests: a filter that matches no line */
    rc = cfscan("requests %s -q --dist E1NOSUCHDIST00", &out, &err);
    cr_expect_eq(rc, 3, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "--dist E1NOSUCHDIST00") != NULL, "stderr names the filter: %s", err);
    free(out);
    free(err);
}

/* A run that read no request does not look clean: a headerless log (every line rejected
 * no_header) and an empty file both said "No 403 responses in the scanned logs."  The
 * headerless log's warning names the options it needs. */
Test(cli, no_request_read_is_not_no_403)
{
    static const char *const fmts[] = {"", "--brief", "--format html"};
    char *headerless = tu_write(g_dir, "headerless.log", "a\tb\tc\n", 6);
    char *empty = tu_write(g_dir, "empty.log", "", 0);
    for (int i = 0; i < 3; i++) {
        char *out, *err, args[4096];
        snprintf(args, sizeof args, "scan %s -q %s", headerless, fmts[i]);
        int rc = cfscan(args, &out, &err);
        cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
        cr_assert(strstr(out, "No request could be read from the scanned logs: every line was rejected") &&
                      !strstr(out, "No 403 responses"),
                  "%s: %s", fmts[i], out);
        if (i == 0)
            cr_assert(strstr(out, "real-time logs, need --realtime-config or --log-fields"), "%s", out);
        free(out);
        free(err);
        snprintf(args, sizeof args, "scan %s -q %s", empty, fmts[i]);
        rc = cfscan(args, &out, &err);
        cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
        cr_assert(strstr(out, "No request in the scanned logs.") && !strstr(out, "No 403 responses"),
                  "%s: %s", fmts[i], out);
        free(out);
        free(err);
    }
    free(headerless);
    free(empty);
}

/* A link or a hard link named beside a directory that holds its target is one input: each
 * was read twice, once by its name and once by the directory's walk (12 requests for 6).
 * The link is left to the walk, which reads the file at its place in the directory (so a
 * summary's manifest names it as a run naming only the directory does); the hard link is
 * read by its name, and the walk leaves the file out. */
Test(cli, link_named_beside_its_directory_is_read_once)
{
    char cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir d out && cp %s d/ && ln -s ../d/%s out/a.log && ln d/%s out/hard.log", g_dir,
             TU_LOG_NAME, TU_LOG_NAME, TU_LOG_NAME);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    const char *forms[] = {"d out/a.log", "out/a.log d", "out/hard.log d", "d out/hard.log out/a.log"};
    for (int i = 0; i < 4; i++) {
        snprintf(cmd, sizeof cmd, "cd %s && %s scan %s --format json -q", g_dir, tu_prog("cfscan"), forms[i]);
        cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
        cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,"), "%s: %s",
                  forms[i], out);
        free(out);
        free(err);
    }
    /* the link's case says so */
    snprintf(cmd, sizeof cmd, "cd %s && %s scan d out/a.log -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    cr_assert(strstr(err, "out/a.log: named more than once"), "%s", err);
    free(err);
}

/* A file named twice, or named beside the directory that holds it, is read once, and the
 * run says so (its 6 lines would otherwise count 12 times in the report). */
Test(cli, file_named_twice_is_read_once)
{
    char *out, *err;
    cr_assert_eq(cfscan("scan %1$s %1$s --format json -q", &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert(strstr(err, "named more than once"), "%s", err);
    cr_assert(strstr(err, TU_LOG_NAME), "the warning names the path: %s", err);
    free(out);
    free(err);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s requests --fields x-edge-request-id %s %s", tu_prog("cfscan"), g_file,
             g_dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    cr_assert_str_eq(ids(out), "T0 T1 T2 T3 T4 T5");
    cr_assert(strstr(err, "named more than once"), "%s", err);
    free(out);
    free(err);
    /* named once: no warning */
    cr_assert_eq(cfscan("scan %s --format json -q", &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert_null(strstr(err, "named more than once"), "%s", err);
    free(out);
    free(err);
}

/* Standard input named twice is one input too: read once, with the same warning (a
 * second read would find it empty: files 2, an "empty input" warning, exit 3). */
Test(cli, stdin_named_twice_is_read_once)
{
    char *out, *err;
    cr_assert_eq(cfscan("scan - - --format json < %s", &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert(strstr(out, "\"warnings\":[]"), "%s", out);
    cr_assert(strstr(err, "-: named more than once"), "%s", err);
    free(out);
    free(err);
    /* beside the file standard input is redirected from: that file is read by its name,
     * once, and '-' left out (it was read twice, 12 requests) */
    cr_assert_eq(cfscan("scan - %1$s - --format json < %1$s", &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert(strstr(err, "standard input is the file the walk found as"), "%s", err);
    free(out);
    free(err);
    /* ... and inside a directory given, also through a link the walk follows: the walk
     * reads it, '-' is left out (it was read by both, 12 requests) */
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "(d=$(mktemp -d) && ln -s %1$s \"$d\"/link.log && %2$s scan \"$d\" - --format json < %1$s; "
             "rc=$?; rm -rf \"$d\"; exit $rc)",
             g_file, tu_prog("cfscan"));
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert(strstr(err, "standard input is the file the walk found as") && strstr(err, "link.log"), "%s",
              err);
    free(out);
    free(err);
    /* /dev/stdin is standard input too: from a pipe it was read again, empty, a second
     * input warned as such (exit 3) */
    snprintf(cmd, sizeof cmd, "cat %s | %s scan - /dev/stdin --format json", g_file, tu_prog("cfscan"));
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert(strstr(err, "/dev/stdin: named more than once"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(cfscan("requests --fields x-edge-request-id - - < %s", &out, &err), 0, "%s", err);
    cr_assert_str_eq(ids(out), "T0 T1 T2 T3 T4 T5");
    free(out);
    free(err);
    /* other spellings of /dev/stdin are standard input too (a file redirected from was read
     * by that name, and a summary recorded it as the input "stdin") */
    cr_assert_eq(cfscan("scan - /dev/./stdin //dev/stdin /dev/fd/0 --format json < %s", &out, &err), 0, "%s",
                 err);
    cr_assert(strstr(out, "\"inputs\":{\"files\":1,") && strstr(out, "\"requests\":6,\"filtered\":0,"), "%s",
              out);
    cr_assert(!strstr(err, "standard input is the file the walk found as"), "'-' is read: %s", err);
    free(out);
    free(err);
    /* evidence is not read from standard input */
    cr_assert_eq(cfscan("scan %s --waf-logs - -q < /dev/null", &out, &err), 2, "%s", err);
    cr_assert(strstr(err, "--waf-logs reads files and directories, not standard input"), "%s", err);
    free(out);
    free(err);
    cr_assert_eq(cfscan("scan %s --config - -q < /dev/null", &out, &err), 2, "%s", err);
    free(out);
    free(err);
}

/* From a user-level review: options that were silently ignored or half taken. */
Test(cli, repeated_filters_suffixes_and_stray_arguments)
{
    char *out, *err;
    /* a second --ip replaced the first without a word: now a usage error naming it */
    expect_exit_saying("scan %s --ip 10.0.0.0/8 --ip 192.0.2.1 -q", 2, "--ip given twice");
    expect_exit_saying("requests %s --status 403 --status=404", 2, "--status given twice");
    /* so are the window's ends, which the README lists with the filters (a second
     * --since widened the window without a word) */
    expect_exit_saying("requests %s --since 2026-11-01T10:01 --since 2026-11-01T09:00 -q", 2,
                       "--since given twice");
    expect_exit_saying("scan %s --until 2026-11-02 --until=2026-11-03 -q", 2, "--until given twice");
    /* an empty value matches nothing (a prefix: everything), so it is refused by name
     * instead of "selected nothing" */
    expect_exit_saying("requests %s --edge= -q", 2, "--edge: an empty value");
    expect_exit_saying("scan %s --dist '' -q", 2, "--dist: an empty value");
    expect_exit_saying("requests %s --request-id= -q", 2, "--request-id: an empty value");
    expect_exit_saying("scan %s --uri-prefix= -q", 2, "--uri-prefix: an empty value");
    /* an empty --fields name gets its own message, not the list of every field */
    expect_exit_saying("requests %s --fields date, -q", 2, "--fields: an empty field name");
    expect_exit_saying("requests %s --fields date,,time -q", 2, "--fields: an empty field name");
    /* --split-above takes the suffixes --memory-limit takes; the counts do not change */
    cr_assert_eq(cfscan("scan %s --split-above 1K --format json -q", &out, &err), 0, "%s", err);
    cr_assert(strstr(out, "\"requests\":6,\"filtered\":0,"), "%s", out);
    free(out);
    free(err);
    expect_exit_saying("scan %s --split-above 1X -q", 2, "bad --split-above");
    /* --brief shapes the text report only */
    expect_exit_saying("scan %s --brief --format json -q", 2, "--brief");
    cr_assert_eq(cfscan("version --bogus", &out, &err), 2, "%s", err);
    cr_assert_str_eq(out, "");
    free(out);
    free(err);
    /* requests that read lines but matched none say what a scan with the same selection
     * says: every line filtered out (it said "0 lines filtered out, 6 requests read and
     * none of them matched" where the scan said "6 lines filtered out, 0 requests read") */
    expect_exit_saying("requests %s --status 599 -q", 3,
                       "0 files skipped by name, 6 lines filtered out, 0 requests read");
    expect_exit_saying("scan %s --status 599 -q", 3,
                       "0 files skipped by name, 6 lines filtered out, 0 requests read");
}
