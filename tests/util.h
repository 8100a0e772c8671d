/* Small helpers shared by the test executables: temp dirs, files, running the built
 * programs and capturing their output. */
#ifndef CFSCAN_TESTS_UTIL_H
#define CFSCAN_TESTS_UTIL_H

#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the string. */
char *tu_mkdtemp(void);
/* Write n bytes to dir/name; returns the malloc'd full path. */
char *tu_write(const char *dir, const char *name, const void *data, size_t n);
char *tu_write_str(const char *dir, const char *name, const char *s);
/* gzip-compress data (one member) with zlib at level 6. */
void *tu_gzip(const void *data, size_t n, size_t *out_n);
void *tu_zstd(const void *data, size_t n, size_t *out_n);
/* Path of a built program (CFS_BUILD_DIR env, else the compile-time default). */
char *tu_prog(const char *name);
/* Run a shell command; returns its exit status (or -1) and its stdout (malloc'd, NUL
 * terminated) in *out when out is non-NULL. stderr goes to *err when err is non-NULL. */
int tu_run(const char *cmd, char **out, char **err);
/* Read a whole file (NUL terminated); *n, if given, gets its size in bytes (NULs
 * included); NULL if it cannot be read. */
char *tu_read(const char *path, size_t *n);
/* Remove a directory tree. */
void tu_rmrf(const char *dir);
/* Run `cmd` through /bin/sh -c with stdout to out_path and stderr to err_path (NULL: the
 * test's own stderr); returns the exit status (128 + signal when killed, -1 when it could
 * not be started) and the peak RSS of that one child in KiB (wait4: RUSAGE_CHILDREN would
 * keep the maximum over every child so far).  Prefix cmd with `exec` to measure the
 * program rather than the shell. */
int tu_run_rss(const char *cmd, const char *out_path, const char *err_path, long *rss_kb);

/* 1 in a build with AddressSanitizer (peak RSS and speed differ there). */
#if defined(__SANITIZE_ADDRESS__)
#define TU_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TU_UNDER_ASAN 1
#endif
#endif
#ifndef TU_UNDER_ASAN
#define TU_UNDER_ASAN 0
#endif

/* The rest of the TSV row whose first column is key ("" when none), less its last column:
 * "cause\tevidence\trule" of a request id in `cfscan requests --fields x-edge-request-id`
 * output (whose last column is the candidates).  Static buffer: valid until the next call. */
const char *tu_tsv_row(const char *tsv, const char *key);
/* The same with every column after the key (candidates included).  The same buffer. */
const char *tu_tsv_rest(const char *tsv, const char *key);

/* 1 if the shared samples directory exists. */
int tu_have_samples(void);

/* ---- hand-written log lines (util_log.c) ---- */
typedef struct tu_kv {
    const char *k, *v;
} tu_kv;
typedef struct tu_buf {
    char *p;
    size_t n, cap;
} tu_buf;
#define TU_LOG_NF 35
/* The 33 legacy fields (reference §1.2), distribution-tenant-id and primary-distribution-id. */
extern const char *const tu_log_fields[TU_LOG_NF];
void tu_buf_add(tu_buf *b, const char *s);
/* "#Version: 1.0" and "#Fields:" naming tu_log_fields. */
void tu_log_header(tu_buf *b);
/* One line: the base (an edge-generated text/html 403 of 919 bytes over https, Error in
 * all three result types, 1 ms, 2026-11-01 10:00:00, URI /index.html, request id R00) with
 * base_over and then over applied by field name (NULL-terminated lists, either NULL). */
void tu_log_line(tu_buf *b, const tu_kv *base_over, const tu_kv *over);
/* The same for a layout without the field named omit (NULL: none). */
void tu_log_header_omit(tu_buf *b, const char *omit);
void tu_log_line_omit(tu_buf *b, const char *omit, const tu_kv *base_over, const tu_kv *over);
/* The log file name the tests give distribution E1TESTDIST0001's hand-written lines. */
#define TU_LOG_NAME "E1TESTDIST0001.2026-11-01-10.abcd1234.log"
/* A config file of E1TESTDIST0001 (d111111abcdef8.cloudfront.net) in dir: dc is the
 * DistributionConfig object, wrapped as `aws cloudfront get-distribution` prints it
 * (with_distribution: Id, ARN, Status, DomainName, plus members such as a
 * "LastModifiedTime" member with its trailing comma, or NULL) or as
 * get-distribution-config does ({"ETag", "DistributionConfig"}).  Returns the path. */
char *tu_write_config(const char *dir, const char *name, const char *dc, int with_distribution,
                      const char *members);
/* `cfscan requests` over b written to dir as TU_LOG_NAME: --status 403, the request id and
 * the verdict columns, then args; asserts exit 0 and returns stdout. */
char *tu_log_requests(const char *dir, const tu_buf *b, const char *args);

/* ---- nightly and scale-out tests (util_nightly.c) ---- */
/* Run a shell command line made from fmt: its exit status, stdout and stderr in *out and
 * *err (either may be NULL). */
int tu_sh(char **out, char **err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* dir/logs: cfsgen's 48 hourly log files of 2 distributions over one day. */
void tu_make_day_logs(const char *dir);
/* `cfscan ARGS --format json -q` run in dir, asserting exit want_rc: its JSON report. */
char *tu_scan_json(const char *dir, int want_rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Entries of dir/SUM/inputs.cfm; -1 when absent. */
long tu_manifest_entries(const char *dir, const char *sum);
/* The whole number after the first "key": in a JSON report, or -1 when it has none. */
long long tu_json_count(const char *json, const char *key);
/* a and b are the same report (what a merge of parts gives against one scan of all), and
 * a holds 403 causes. */
void tu_assert_merge_exact(const char *a, const char *b, const char *what);
/* Rewrite path (a state.cfs of a scan without evidence) as schema 3 wrote it. */
void tu_downgrade_state(const char *path);
/* The same as schema 3, 5 or 6 wrote it (6: without the SAMP section; 5: also without bad_json counts
 * and the PRES section). */
void tu_downgrade_state_to(const char *path, unsigned schema);

#endif
