/* Hostile inputs that are not log bytes (issue 18, items 7-9), driven through the built
 * cfscan: evidence files that are FIFOs must not hang the run, times outside 1990..2100
 * must be rejected (never turned into hour keys or overflowed millisecond columns), and a
 * #Fields: header that names a field twice must be rejected on every path. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/json.h"
#include "tests/util.h"

/* Every cfscan run is wrapped in timeout(1): if a run blocks (the FIFO bug), the test
 * fails with 137 instead of leaving a blocked process behind when Criterion's timeout
 * kills the test. */
#define RUN_LIMIT "timeout -s KILL 30 "

static int run(char **out, char **err, const char *fmt, ...)
{
    char args[4096], cmd[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *prog = tu_prog("cfscan");
    snprintf(cmd, sizeof cmd, RUN_LIMIT "%s %s", prog, args);
    free(prog);
    return tu_run(cmd, out, err);
}

#define HDR15 \
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id\n"

/* One legacy 15-field line. */
static size_t line15(char *b, size_t cap, const char *date, const char *time, const char *edge, int status)
{
    return (size_t)snprintf(
        b, cap, "%s\t%s\t%s\t512\t192.0.2.1\tGET\td1.cloudfront.net\t/x\t%03d\t-\tUA\t-\t-\t%s\tRID\n", date,
        time, edge, status, status == 403 ? "Error" : "Hit");
}

/* A log whose every line is used (exit 0 on its own). */
static char *good_log(const char *dir)
{
    char b[2048];
    size_t o = (size_t)snprintf(b, sizeof b, HDR15);
    o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:00", "IAD89-C1", 200);
    o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:01", "IAD89-C1", 403);
    return tu_write(dir, "good.log", b, o);
}

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static char *make_fifo(const char *dir, const char *name)
{
    char *p = path_in(dir, name);
    cr_assert_eq(mkfifo(p, 0600), 0, "mkfifo %s", p);
    return p;
}

/* ---- item 7: evidence files that are not regular files ----------------------------- */

TestSuite(evidence_fifo, .timeout = 60);

Test(evidence_fifo, config_fifo_fails_with_exit_4_naming_it)
{
    char *dir = tu_mkdtemp(), *log = good_log(dir), *fifo = make_fifo(dir, "E2EXAMPLE12345.json");
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s --config %s -q", log, fifo);
    cr_assert_eq(rc, 4, "a FIFO as --config: exit %d (137 = blocked), stderr: %s", rc, err);
    cr_assert(strstr(err, fifo) && strstr(err, "not a regular file"), "stderr names the FIFO: %s", err);
    free(err);
    /* A symbolic link to the FIFO is no better. */
    char *link = path_in(dir, "link.json");
    cr_assert_eq(symlink(fifo, link), 0);
    rc = run(NULL, &err, "requests %s --config %s -q", log, link);
    cr_assert_eq(rc, 4, "a link to a FIFO as --config: exit %d, stderr: %s", rc, err);
    cr_assert(strstr(err, link) && strstr(err, "not a regular file"), "stderr names the link: %s", err);
    free(err);
    /* A load failure outranks rejected lines (exit 3), as a failed input does. */
    char *rej = tu_write_str(dir, "rejecting.log", HDR15 "2026-11-01\t10:00:00\tIAD89-C1\t512\n");
    rc = run(NULL, &err, "scan %s --config %s -q", rej, fifo);
    cr_assert_eq(rc, 4, "rejected lines and a FIFO as --config: exit %d, stderr: %s", rc, err);
    free(err);
    free(rej);
    free(link);
    free(fifo);
    free(log);
    tu_rmrf(dir);
    free(dir);
}

Test(evidence_fifo, config_symlink_to_a_file_still_loads)
{
    char *dir = tu_mkdtemp(), *log = good_log(dir), *link = path_in(dir, "cfg.json");
    cr_assert_eq(symlink(CFS_SOURCE_DIR "/tests/fixtures/config/E2EXAMPLE12345.json", link), 0);
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s --config %s -q", log, link);
    cr_assert_eq(rc, 0, "a symlink to a config file is a config: exit %d, stderr: %s", rc, err);
    free(err);
    free(link);
    free(log);
    tu_rmrf(dir);
    free(dir);
}

Test(evidence_fifo, config_directory_with_a_fifo_does_not_block)
{
    /* Guard (the walk already skipped FIFOs): a FIFO named like a config inside a
     * --config directory is not opened, the real config beside it is loaded. */
    char *dir = tu_mkdtemp(), *log = good_log(dir), *cdir = path_in(dir, "configs");
    cr_assert_eq(mkdir(cdir, 0755), 0);
    char *cfg = tu_read(CFS_SOURCE_DIR "/tests/fixtures/config/E2EXAMPLE12345.json", NULL);
    cr_assert(cfg);
    free(tu_write_str(cdir, "E2EXAMPLE12345.json", cfg));
    free(make_fifo(cdir, "E3EXAMPLE12345.json"));
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s --config %s -q", log, cdir);
    cr_assert_eq(rc, 0, "exit %d, stderr: %s", rc, err);
    free(err);
    free(cfg);
    free(cdir);
    free(log);
    tu_rmrf(dir);
    free(dir);
}

/* A FIFO given to the evidence option `opt` (a file named `name`) fails with exit want_rc,
 * naming it, and never waits for a writer. */
static void fifo_option_refused(const char *opt, const char *name, int want_rc)
{
    char *dir = tu_mkdtemp(), *log = good_log(dir), *fifo = make_fifo(dir, name);
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s %s %s -q", log, opt, fifo);
    cr_assert_eq(rc, want_rc, "a FIFO as %s: exit %d (137 = blocked), stderr: %s", opt, rc, err);
    cr_assert(strstr(err, fifo) && strstr(err, "not a regular file"), "stderr names the FIFO: %s", err);
    free(err);
    free(fifo);
    free(log);
    tu_rmrf(dir);
    free(dir);
}

Test(evidence_fifo, waf_logs_fifo_fails_with_exit_4_naming_it)
{
    fifo_option_refused("--waf-logs", "waf.log", 4);
}

/* --realtime-config is read before the scan: a FIFO there is a usage error naming it
 * (exit 2), never a wait for a writer (it was opened with fopen and blocked). */
Test(evidence_fifo, realtime_config_fifo_is_refused_naming_it)
{
    fifo_option_refused("--realtime-config", "rt.json", 2);
}

Test(evidence_fifo, merge_of_a_state_that_is_a_fifo_fails_with_exit_4)
{
    char *dir = tu_mkdtemp(), *log = good_log(dir), *sum = path_in(dir, "sum"), *out = path_in(dir, "out");
    char *err = NULL;
    cr_assert_eq(run(NULL, &err, "scan %s -o %s -q", log, sum), 0, "%s", err);
    free(err);
    char *state = path_in(sum, "state.cfs");
    cr_assert_eq(unlink(state), 0);
    cr_assert_eq(mkfifo(state, 0600), 0);
    int rc = run(NULL, &err, "merge %s -o %s -q", sum, out);
    cr_assert_eq(rc, 4, "merge of a FIFO state.cfs: exit %d (137 = blocked), stderr: %s", rc, err);
    cr_assert(strstr(err, state) && strstr(err, "not a regular file"), "stderr names state.cfs: %s", err);
    free(err);
    free(state);
    free(out);
    free(sum);
    free(log);
    tu_rmrf(dir);
    free(dir);
}

/* ---- item 8: times outside 1990..2100 ----------------------------------------------- */

TestSuite(times, .timeout = 120);

static double jnum(const cfs_json *root, const char *path)
{
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_path(root, path), &v), "no number at %s", path);
    return v;
}

/* Every "hourly" key of the JSON report must be want_hour ("YYYY-MM-DDTHH:00Z"), and
 * there must be at least one. */
static void assert_hour_keys(const cfs_json *root, const char *want_hour)
{
    const cfs_json *ds = cfs_json_path(root, "forbidden.distributions");
    size_t nkeys = 0;
    for (const cfs_json *d = cfs_json_first(ds); d; d = cfs_json_next(d)) {
        const cfs_json *hs[64];
        size_t nh = 0;
        hs[nh++] = cfs_json_get(d, "hourly");
        for (const cfs_json *c = cfs_json_first(cfs_json_get(d, "causes")); c && nh < 64;
             c = cfs_json_next(c))
            hs[nh++] = cfs_json_get(c, "hourly");
        for (size_t i = 0; i < nh; i++)
            for (const cfs_json *k = cfs_json_first(hs[i]); k; k = cfs_json_next(k)) {
                cr_assert_str_eq(k->key, want_hour, "hour key %s", k->key);
                nkeys++;
            }
    }
    cr_assert(nkeys > 0, "no hourly keys at all");
}

/* scan --format json at -j1 and -j2 (byte-identical), then the checks. */
static void scan_json_checks(const char *log, double bad_value, double requests, const char *want_hour)
{
    char *out1 = NULL, *out2 = NULL, *err = NULL;
    int rc = run(&out1, &err, "scan %s --format json -q -j1", log);
    cr_assert_eq(rc, 3, "exit %d, stderr: %s", rc, err);
    free(err);
    rc = run(&out2, &err, "scan %s --format json -q -j2", log);
    cr_assert_eq(rc, 3, "exit %d, stderr: %s", rc, err);
    free(err);
    cr_assert_str_eq(out1, out2, "-j1 and -j2 JSON differ");
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out1, strlen(out1), jerr, sizeof jerr), CFS_OK, "invalid JSON: %s",
                 jerr);
    const cfs_json *root = cfs_json_root(&doc);
    cr_assert_eq(jnum(root, "inputs.rejected_by_reason.bad_value"), bad_value);
    cr_assert_eq(jnum(root, "inputs.rejected"), bad_value);
    cr_assert_eq(jnum(root, "inputs.requests"), requests);
    assert_hour_keys(root, want_hour);
    cfs_json_doc_free(&doc);
    free(out1);
    free(out2);
}

/* traffic.parquet of `scan -o`, read by DuckDB: rows, sum(requests) and the hour range in
 * ms.  Today's overflow of hour * 1000 would show here as garbage hours (plain build) or
 * abort the run (UBSan build). */
static void parquet_checks(const char *log, const char *sum, const char *want)
{
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s -o %s -q", log, sum);
    cr_assert_eq(rc, 3, "scan -o: exit %d, stderr: %s", rc, err);
    free(err);
    char nm[1024];
    snprintf(nm, sizeof nm, "%s/tests/js/node_modules/@duckdb/node-api", CFS_SOURCE_DIR);
    struct stat st;
    cr_assert(stat(nm, &st) == 0,
              "DuckDB reader missing: run `npm ci --prefix tests/js` (tools/test.sh does)");
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "node %s/tests/js/summary_sql.mjs duckdb \"select count(*)::BIGINT, sum(requests)::BIGINT, "
             "min(epoch_ms(hour))::BIGINT, max(epoch_ms(hour))::BIGINT from '%s/traffic.parquet'\"",
             CFS_SOURCE_DIR, sum);
    char *out = NULL;
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "duckdb: %s", err);
    cr_assert(strstr(out, want), "traffic.parquet gives %s, want %s", out, want);
    free(out);
    free(err);
}

Test(times, v2_timestamps_outside_the_range_are_bad_values)
{
    char *dir = tu_mkdtemp();
    /* v2 W3C: any field order; the time is the `timestamp` field (epoch seconds).
     * 1793527200 = 2026-11-01T10:00:00Z, 631152000 = 1990-01-01T00:00:00Z and
     * 4102444799 = 2099-12-31T23:59:59Z (date -u -d @N): the first and last seconds of
     * the range are accepted; one second outside either end is not. */
    static const char log[] =
        "#Fields: timestamp distributionid x-edge-location sc-bytes c-ip cs-method cs-uri-stem sc-status x-edge-result-type time-taken\n"
        "1793527200\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "1793527200\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t200\tHit\t0.001\n"
        "631152000\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t200\tHit\t0.001\n"
        "4102444799\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t200\tHit\t0.001\n"
        "9223372036854775807\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "-1\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "0\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "1000000000000000000\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "631151999\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "4102444800\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t403\tError\t0.001\n"
        "9223372036854775807\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t200\tHit\t0.001\n"
        "1000000000000000000\tE1V2\tIAD89-C1\t10\t192.0.2.1\tGET\t/a\t200\tHit\t0.001\n";
    char *p = tu_write_str(dir, "v2.log", log);
    scan_json_checks(p, 8, 4, "2026-11-01T10:00Z");
    char *sum = path_in(dir, "sum");
    /* rows: (10:00, 403), (10:00, 200), (1990-01-01T00:00, 200), (2099-12-31T23:00, 200);
     * 2099-12-31T23:00Z = 4102444800 - 3600 = 4102441200. */
    parquet_checks(p, sum, "[[\"4\",\"4\",\"631152000000\",\"4102441200000\"]]");
    free(sum);
    free(p);
    tu_rmrf(dir);
    free(dir);
}

Test(times, v2_timestamp_ms_outside_the_range_are_bad_values)
{
    char *dir = tu_mkdtemp();
    static const char log[] =
        "#Fields: timestamp(ms) distributionid x-edge-location sc-status x-edge-result-type\n"
        "1793527200123\tE1V2\tIAD89-C1\t403\tError\n"
        "9223372036854775807\tE1V2\tIAD89-C1\t403\tError\n"
        "0\tE1V2\tIAD89-C1\t403\tError\n"
        "631151999999\tE1V2\tIAD89-C1\t403\tError\n";
    char *p = tu_write_str(dir, "v2ms.log", log);
    scan_json_checks(p, 3, 1, "2026-11-01T10:00Z");
    free(p);
    tu_rmrf(dir);
    free(dir);
}

Test(times, legacy_dates_outside_the_range_are_bad_values)
{
    char *dir = tu_mkdtemp();
    char b[8192];
    size_t o = (size_t)snprintf(b, sizeof b, HDR15);
    static const struct {
        const char *d, *t;
        int status;
    } L[] = {
        {"2026-11-01", "10:00:00", 403}, {"2026-11-01", "10:59:59", 200}, /* accepted */
        {"2099-12-31", "23:59:59", 200},                                  /* accepted: last second */
        {"1970-01-01", "00:00:00", 403}, {"1970-01-01", "00:00:00", 200}, {"9999-12-31", "23:59:59", 403},
        {"9999-12-31", "23:59:59", 200}, {"1989-12-31", "23:59:59", 403}, {"2100-01-01", "00:00:00", 403},
    };
    for (size_t i = 0; i < sizeof L / sizeof L[0]; i++)
        o += line15(b + o, sizeof b - o, L[i].d, L[i].t, "IAD89-C1", L[i].status);
    char *p = tu_write(dir, "E1LEGACY.2026-11-01-10.abcd", b, o);
    scan_json_checks(p, 6, 3, "2026-11-01T10:00Z");
    char *sum = path_in(dir, "sum");
    /* 2026-11-01T10:00Z = 1793527200, 2099-12-31T23:00Z = 4102441200 (date -u -d). */
    parquet_checks(p, sum, "[[\"3\",\"3\",\"1793527200000\",\"4102441200000\"]]");
    free(sum);
    free(p);
    tu_rmrf(dir);
    free(dir);
}

Test(times, since_and_until_outside_the_range_are_usage_errors)
{
    char *dir = tu_mkdtemp(), *log = good_log(dir);
    static const struct {
        const char *opt, *val;
    } bad[] = {
        {"--since", "@9223372036854775809"}, /* wrapped to a negative time before */
        {"--until", "@9223372036854775807"},
        {"--since", "@42"},
        {"--since", "1970-01-01"},
        {"--until", "9999-12-31T23:59:59Z"},
        {"--until", "2100-01-01T00:00:01Z"},
        {"--since", "@99999999999999999999"}, /* 20 digits: not parseable */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int req = 0; req < (i == 0 ? 2 : 1); req++) { /* `requests` parses them alike */
            char *err = NULL;
            int rc = run(NULL, &err, "%s %s %s %s -q", req ? "requests" : "scan", log, bad[i].opt,
                         bad[i].val);
            cr_assert_eq(rc, 2, "%s %s: exit %d, stderr: %s", bad[i].opt, bad[i].val, rc, err);
            cr_assert(strstr(err, bad[i].opt) && strstr(err, "1990-01-01") && strstr(err, "2100-01-01"),
                      "%s %s: the message names the option and the range: %s", bad[i].opt, bad[i].val, err);
            free(err);
        }
    }
    /* --since must lie before the end of the range, in any spelling */
    static const char *const since_end[] = {"2100-01-01", "@4102444800", "2100-01-01T01:00+01:00"};
    for (size_t i = 0; i < 3; i++) {
        char *err = NULL;
        int rc = run(NULL, &err, "scan %s --since %s -q", log, since_end[i]);
        cr_assert_eq(rc, 2, "--since %s: exit %d, stderr: %s", since_end[i], rc, err);
        free(err);
    }
    /* The ends of the range and ordinary values are still accepted. */
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s --since @631152000 --until 2099-12-31T23:59:59Z -q", log);
    cr_assert_eq(rc, 0, "exit %d, stderr: %s", rc, err);
    free(err);
    /* The window is since <= t < until, so its end may be the range's end itself, as the
     * help says ("up to 2100-01-01"), however it is written: both lines of the log are in
     * it, for scan and requests alike. */
    static const char *const until_end[] = {"2100-01-01", "2100-01-01T00:00:00Z", "@4102444800",
                                            "2100-01-01T01:00+01:00"};
    for (size_t i = 0; i < 4; i++) {
        char *out = NULL;
        rc = run(&out, &err, "scan %s --since 2026-11-01 --until %s --format json -q", log, until_end[i]);
        cr_assert_eq(rc, 0, "--until %s: exit %d, stderr: %s", until_end[i], rc, err);
        cr_assert(strstr(out, "\"requests\":2,\"filtered\":0,"), "--until %s: %s", until_end[i], out);
        cr_assert(strstr(out, "\"until\":\"2100-01-01T00:00:00Z\""), "--until %s: %s", until_end[i], out);
        free(out);
        free(err);
        rc = run(&out, &err, "requests %s --until %s -q", log, until_end[i]);
        cr_assert_eq(rc, 0, "requests --until %s: exit %d, stderr: %s", until_end[i], rc, err);
        free(out);
        free(err);
    }
    free(log);
    tu_rmrf(dir);
    free(dir);
}

Test(times, input_modified_far_in_the_future)
{
    /* tmpfs keeps any 64-bit mtime (ext4 clamps it): inputs.parquet's `modified` (ms)
     * must not overflow mtime * 1000; such a time is written as NULL. */
    struct stat st;
    if (stat("/dev/shm", &st) != 0 || !S_ISDIR(st.st_mode)) cr_skip_test("no /dev/shm");
    char tmpl[] = "/dev/shm/cfstest-XXXXXX";
    if (!mkdtemp(tmpl)) cr_skip_test("cannot create a directory in /dev/shm");
    char *log = good_log(tmpl);
    struct timespec ts[2] = {{0, UTIME_OMIT}, {INT64_MAX, 0}};
    if (utimensat(AT_FDCWD, log, ts, 0) != 0 || stat(log, &st) != 0 || st.st_mtime != INT64_MAX) {
        free(log);
        tu_rmrf(tmpl);
        cr_skip_test("this tmpfs does not keep a 64-bit mtime");
    }
    char *sum = path_in(tmpl, "sum"), *err = NULL;
    int rc = run(NULL, &err, "scan %s -o %s -q", log, sum);
    cr_assert_eq(rc, 0, "exit %d, stderr: %s", rc, err);
    free(err);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "node %s/tests/js/summary_sql.mjs duckdb \"select count(*)::BIGINT from '%s/inputs.parquet' "
             "where modified is null\"",
             CFS_SOURCE_DIR, sum);
    char *out = NULL;
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "duckdb: %s", err);
    cr_assert(strstr(out, "[[\"1\"]]"), "modified of the input: %s", out);
    free(out);
    free(err);
    free(sum);
    free(log);
    tu_rmrf(tmpl);
}

/* ---- item 9: a field named twice in #Fields: ---------------------------------------- */

TestSuite(dup_fields, .timeout = 60);

/* x-edge-location is named twice and the two columns differ: before, 403 lines (and every
 * line of `requests`) took the last column and other lines the first. */
#define HDR_DUP \
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status x-edge-location\n"
#define DUP_403 "2026-11-01\t10:00:00\tFIRST1\t5\t192.0.2.1\tGET\td1.cloudfront.net\t/a\t403\tSECOND2\n"
#define DUP_200 "2026-11-01\t10:00:00\tFIRST1\t5\t192.0.2.1\tGET\td1.cloudfront.net\t/a\t200\tSECOND2\n"

Test(dup_fields, header_naming_a_field_twice_is_rejected_on_every_path)
{
    char *dir = tu_mkdtemp();
    char *p = tu_write_str(dir, "dup.log", HDR_DUP DUP_403 DUP_200 DUP_403);
    for (int j = 1; j <= 2; j++) {
        char *out = NULL, *err = NULL;
        int rc = run(&out, &err, "scan %s --format json -q -j%d", p, j);
        cr_assert_eq(rc, 3, "-j%d: exit %d, stderr: %s", j, rc, err);
        cfs_json_doc doc = {0};
        char jerr[128];
        cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "invalid JSON: %s",
                     jerr);
        const cfs_json *root = cfs_json_root(&doc);
        /* the header line and the three lines under it */
        cr_assert_eq(jnum(root, "inputs.rejected_by_reason.bad_header"), 4);
        cr_assert_eq(jnum(root, "inputs.rejected"), 4);
        cr_assert_eq(jnum(root, "inputs.requests"), 0);
        cr_assert_eq(cfs_json_count(cfs_json_path(root, "by_edge")), 0, "no edge from a rejected header");
        cr_assert_str_eq(cfs_json_str(cfs_json_path(root, "inputs.warnings.0.path")), p);
        cr_assert(strstr(cfs_json_str(cfs_json_path(root, "inputs.warnings.0.warning")), "#Fields:"),
                  "the warning says why: %s", cfs_json_str(cfs_json_path(root, "inputs.warnings.0.warning")));
        cfs_json_doc_free(&doc);
        free(out);
        free(err);

        rc = run(&out, &err, "requests %s -q -j%d --fields x-edge-location,sc-status", p, j);
        cr_assert_eq(rc, 3, "requests -j%d: exit %d, stderr: %s", j, rc, err);
        cr_assert_str_eq(out, "x-edge-location\tsc-status\tcause\tevidence\trule\tcandidates\n",
                         "no rows: %s", out);
        cr_assert(strstr(err, p) && strstr(err, "bad_header=4"), "requests names the input and why: %s", err);
        free(out);
        free(err);
    }
    free(p);
    tu_rmrf(dir);
    free(dir);
}

Test(dup_fields, only_the_lines_under_the_bad_header_are_rejected)
{
    char *dir = tu_mkdtemp();
    char b[4096];
    size_t o = (size_t)snprintf(b, sizeof b, HDR15);
    o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:00", "GOOD1", 200);
    o += (size_t)snprintf(b + o, sizeof b - o, "%s", HDR_DUP DUP_403 DUP_200);
    o += (size_t)snprintf(b + o, sizeof b - o, HDR15);
    o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:01", "GOOD2", 403);
    /* A repeated name cfscan does not know is harmless (its columns are ignored). */
    o += (size_t)snprintf(b + o, sizeof b - o,
                          "#Fields: date time x-unknown sc-status x-unknown x-edge-location\n"
                          "2026-11-01\t10:00:02\ta\t200\tb\tGOOD3\n");
    char *p = tu_write(dir, "mixed.log", b, o);
    for (int j = 1; j <= 2; j++) {
        char *out = NULL, *err = NULL;
        int rc = run(&out, &err, "scan %s --format json -q -j%d", p, j);
        cr_assert_eq(rc, 3, "exit %d, stderr: %s", rc, err);
        cfs_json_doc doc = {0};
        char jerr[128];
        cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "invalid JSON: %s",
                     jerr);
        const cfs_json *root = cfs_json_root(&doc);
        cr_assert_eq(jnum(root, "inputs.rejected_by_reason.bad_header"), 3);
        cr_assert_eq(jnum(root, "inputs.rejected"), 3);
        cr_assert_eq(jnum(root, "inputs.requests"), 3);
        cr_assert_eq(jnum(root, "by_edge.GOOD1"), 1);
        cr_assert_eq(jnum(root, "by_edge.GOOD2"), 1);
        cr_assert_eq(jnum(root, "by_edge.GOOD3"), 1);
        cr_assert_eq(cfs_json_count(cfs_json_path(root, "by_edge")), 3);
        cfs_json_doc_free(&doc);
        free(out);
        free(err);
    }
    free(p);
    tu_rmrf(dir);
    free(dir);
}

/* ---- a NUL byte inside a key field --------------------------------------------------- */
TestSuite(nul_in_keys, .timeout = 60);

/* CloudFront encodes bytes 0-32 (reference §1.3), so a NUL in a field is damage; one in
 * the edge made that edge's key end early, so "IAD89-C1\0B" and "IAD89-C1" were one edge
 * in the JSON, two in the HTML report's heat map, which then read a NULL edge and crashed
 * (so did `-o`, which writes report.html).  The key is written as CloudFront would,
 * "%00": two edges everywhere. */
Test(nul_in_keys, edge_with_a_nul_is_its_own_edge_in_every_output)
{
    char *dir = tu_mkdtemp();
    char b[1024];
    size_t o = (size_t)snprintf(b, sizeof b, HDR15);
    o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:00", "IAD89-C1", 403);
    const size_t at = o + strlen("2026-11-01\t10:00:01\tIAD89-C1");
    o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:01", "IAD89-C1xB", 403);
    b[at] = '\0'; /* the x */
    char *p = tu_write(dir, "nul.log", b, o);
    char *out = NULL, *err = NULL;
    int rc = run(&out, &err, "scan %s --format json -q -j1", p);
    cr_assert_eq(rc, 0, "exit %d, stderr: %s", rc, err);
    cr_assert(strstr(out, "\"by_edge\":{\"IAD89-C1\":1,\"IAD89-C1%00B\":1}"), "%s", out);
    free(out);
    free(err);
    rc = run(&out, &err, "scan %s --format html -q -j1", p);
    cr_assert_eq(rc, 0, "html: exit %d, stderr: %s", rc, err);
    cr_assert(strstr(out, "IAD89-C1%00B"), "the HTML report lacks the second edge");
    free(out);
    free(err);
    rc = run(NULL, &err, "scan %s -q -j2 -o %s/sum", p, dir);
    cr_assert_eq(rc, 0, "-o: exit %d, stderr: %s", rc, err);
    free(err);
    free(p);
    /* A key of more than 16 bytes is checked against the line before's key by its bytes:
     * "ABCDEFGHIJKLMNOPQR\0" matched the key "ABCDEFGHIJKLMNOPQR" there, so the counts
     * depended on the lines' order (and on -j).  Both orders, two edges each. */
    const char *E = "ABCDEFGHIJKLMNOPQR";
    for (int order = 0; order < 2; order++) {
        o = (size_t)snprintf(b, sizeof b, HDR15);
        char nul_edge[32];
        snprintf(nul_edge, sizeof nul_edge, "%sx", E);
        size_t at2 = 0;
        for (int k = 0; k < 2; k++) {
            const int with_nul = k != order;
            if (with_nul) at2 = o + strlen("2026-11-01\t10:00:00\t") + strlen(E);
            o += line15(b + o, sizeof b - o, "2026-11-01", "10:00:00", with_nul ? nul_edge : E, 200);
        }
        b[at2] = '\0';
        p = tu_write(dir, order ? "long-b.log" : "long-a.log", b, o);
        rc = run(&out, &err, "scan %s --format json -q -j1", p);
        cr_assert_eq(rc, 0, "exit %d, stderr: %s", rc, err);
        cr_assert(strstr(out, "\"by_edge\":{\"ABCDEFGHIJKLMNOPQR\":1,\"ABCDEFGHIJKLMNOPQR%00\":1}"),
                  "order %d: %s", order, out);
        free(out);
        free(err);
        free(p);
    }
    tu_rmrf(dir);
    free(dir);
}
