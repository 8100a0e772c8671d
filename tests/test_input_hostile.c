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

#define HDR15 "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id\n"

/* One legacy 15-field line. */
static size_t line15(char *b, size_t cap, const char *date, const char *time, const char *edge, int status)
{
    return (size_t)snprintf(b, cap, "%s\t%s\t%s\t512\t192.0.2.1\tGET\td1.cloudfront.net\t/x\t%03d\t-\tUA\t-\t-\t%s\tRID\n",
                            date, time, edge, status, status == 403 ? "Error" : "Hit");
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

Test(evidence_fifo, waf_logs_fifo_fails_with_exit_4_naming_it)
{
    char *dir = tu_mkdtemp(), *log = good_log(dir), *fifo = make_fifo(dir, "waf.log");
    char *err = NULL;
    int rc = run(NULL, &err, "scan %s --waf-logs %s -q", log, fifo);
    cr_assert_eq(rc, 4, "a FIFO as --waf-logs: exit %d, stderr: %s", rc, err);
    cr_assert(strstr(err, fifo) && strstr(err, "not a regular file"), "stderr names the FIFO: %s", err);
    free(err);
    free(fifo);
    free(log);
    tu_rmrf(dir);
    free(dir);
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
