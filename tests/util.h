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
/* Read a whole file (NUL terminated); NULL if it cannot be read. */
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

/* The rest of the TSV row whose first column is key ("" when none), e.g. "cause\tevidence\trule"
 * of a request id in `cfscan requests` output.  Static buffer: valid until the next call. */
const char *tu_tsv_row(const char *tsv, const char *key);

/* 1 if the shared samples directory exists. */
int tu_have_samples(void);

#endif
