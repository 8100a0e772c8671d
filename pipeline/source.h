/* The source stage: turn command-line paths into the list of inputs (files found by
 * walking directories, or standard input), parse CloudFront file names for the
 * distribution id and hour, and prune whole files by --since/--until before opening. */
#ifndef CFSCAN_PIPELINE_SOURCE_H
#define CFSCAN_PIPELINE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pipeline/types.h"

#define CFS_DIST_MAX 24 /* distribution ids are 13-14 chars; longer names are not ids */

typedef struct cfs_input {
    char *path;              /* "-" for standard input; "s3://bucket/key" for an S3 object */
    uint64_t size;           /* bytes on disk (an S3 object's as listed); 0 for stdin and pipes */
    int64_t mtime;           /* seconds since epoch (an S3 object's LastModified); 0 when unknown */
    char *etag;              /* an S3 object's ETag as listed (no quotes); NULL for local inputs */
    char dist[CFS_DIST_MAX]; /* from the file name; "" when the name is not CloudFront's */
    int64_t name_hour;       /* epoch seconds of the hour in the name, CFS_NO_TIME if none */
    int regular;             /* a regular file (mmap-able); 0 for stdin, FIFOs, devices */
    uint64_t seq;            /* position in the walk (cfs_scan_walk): the input order that
                              * breaks ties between `requests` rows of one second */
} cfs_input;

/* A path that could not be used: it is reported and the run goes on (exit status 4). */
typedef struct cfs_input_error {
    char *path;
    char *msg;
    size_t at;    /* inputs in cfs_inputs.v when it was found: it comes before v[at] in
                   * the walk (the v[] of a batch are sorted by size only later) */
    uint64_t seq; /* its place in the walk among the inputs (cfs_scan_walk), 0 unless set */
} cfs_input_error;

typedef struct cfs_inputs {
    cfs_input *v;
    size_t n, cap;
    cfs_input_error *err;
    size_t nerr, errcap;
    uint64_t pruned; /* files skipped by name because of --since/--until */
} cfs_inputs;

/* Add one command-line path: a file, a directory (walked recursively, symlinks to
 * directories not followed, so loops cannot occur), "-", or s3://bucket/prefix (every
 * object whose key starts with prefix, listed page by page: pruned by its key's base name
 * like a file by its name, so no object outside the window is ever fetched).  Files outside
 * [since, until) by their name's hour are counted in `pruned` and not added.
 * Problems are appended to in->err.  Holds every input in memory: for a whole archive
 * use the streamed walk below. */
void cfs_inputs_add(cfs_inputs *in, const char *path, int64_t since, int64_t until);

/* The streamed walk over command-line paths, in the same order as cfs_inputs_add: its
 * memory does not depend on the number of files (a few directory chunks of names).
 * cfs_walk_next appends up to `max` inputs (and up to `max` problems) to `in` and
 * returns 0 once the walk is exhausted and nothing was appended. */
typedef struct cfs_walk cfs_walk;
/* NULL when out of memory (recorded, xalloc.h): cfs_walk_next then yields nothing. */
cfs_walk *cfs_walk_open(const char *const *paths, size_t n, int64_t since, int64_t until);
/* Also skip, unopened and counted in pruned, files whose CloudFront name gives another
 * distribution than dist (--dist; the string must outlive the walk). */
void cfs_walk_set_dist(cfs_walk *w, const char *dist);
int cfs_walk_next(cfs_walk *w, cfs_inputs *in, size_t max);
void cfs_walk_close(cfs_walk *w);
/* Pass every file the walk finds (not "-") through fn first: 1 keeps it, 0 skips it
 * silently, -1 reports it as an unusable input with the reason fn put in why (exit 4).
 * etag is an S3 object's ETag, NULL for a local file. */
typedef int (*cfs_walk_filter_fn)(void *ctx, const char *path, uint64_t size, const char *etag, char *why,
                                  size_t whylen);
void cfs_walk_set_filter(cfs_walk *w, cfs_walk_filter_fn fn, void *ctx);
/* Whether this run owns a path (a shard: the files whose hash falls to it), asked, with the
 * filter's ctx, of an entry found inside a directory that cannot be used (a dangling link,
 * an unreadable subdirectory) before it is listed as an error: so each such entry is one
 * shard's error, as each file is one shard's input.  NULL (the default): every run's. */
typedef int (*cfs_walk_owns_fn)(void *ctx, const char *path);
void cfs_walk_set_owner(cfs_walk *w, cfs_walk_owns_fn fn);
/* The name under which the walk read the file standard input is redirected from, when it
 * found it under one (a path given, or a directory's entry, link or hard link): '-' was
 * then not read.  NULL otherwise; valid until cfs_walk_close. */
const char *cfs_walk_stdin_read_as(const cfs_walk *w);
/* Drop command-line paths that name inputs another path already names, so that no file
 * is read twice: a path naming the same file or directory as an earlier one (after
 * resolving links, "." and ".."), a file or directory inside a directory also given (one
 * that the walk reaches: within its 64 levels), and an s3:// prefix that another
 * s3:// path given is a prefix of, and "-" after the first (standard input is read
 * once).  Paths that cannot be resolved (the walk reports them) are kept.  The kept paths stay in their order at the front; returns how
 * many, and sets *first to the first path dropped (NULL when none). */
size_t cfs_paths_drop_repeats(const char **paths, size_t n, const char **first);
/* Order for scheduling: largest first, then by path (deterministic). */
void cfs_inputs_sort(cfs_inputs *in);
void cfs_inputs_free(cfs_inputs *in);

/* Parse "DISTID.YYYY-MM-DD-HH.UNIQUE[.ext...]" (only the base name is looked at).
 * Returns 0 and fills dist (NUL-terminated) and *hour on success, -1 otherwise. */
int cfs_parse_log_name(const char *path, char dist[CFS_DIST_MAX], int64_t *hour);

/* Parse a --since/--until value: "YYYY-MM-DD", "YYYY-MM-DDTHH[:MM[:SS]]" or with a
 * space for the T (UTC), either followed by a zone: "Z", "+HH", "+HH:MM" or "+HHMM" (or
 * "-"; one space may come before it), converted to UTC; or "@EPOCH".  Returns 0 on
 * success, -1 when the value has none of these forms or lies outside
 * CFS_TIME_MIN..CFS_TIME_MAX (types.h) once in UTC. */
int cfs_parse_time_arg(const char *s, int64_t *out);
/* The same for the end of a window (--until: since <= t < until), which may also be
 * CFS_TIME_MAX itself, 2100-01-01T00:00:00Z: the window can then hold every time a log
 * line may have, and the help's "up to 2100-01-01" is a value that is taken. */
int cfs_parse_time_end(const char *s, int64_t *out);

/* Open a file the user named as evidence (--config, --waf-logs, a summary's state.cfs)
 * for reading, refusing anything that is not a regular file without ever blocking: a
 * FIFO would make open() wait for a writer forever, a device could do anything.  Links
 * to regular files are followed (a config named on the command line may be one).
 * Returns the descriptor (close-on-exec, blocking reads), or -1 with the reason
 * ("not a regular file (a FIFO)", or strerror) in why. */
int cfs_open_regular(const char *path, char *why, size_t whylen);

/* An unlinked temporary file ("w+b") in $TMPDIR (else /tmp; glibc's tmpfile() ignores
 * TMPDIR), named cfscan-<tag>.XXXXXX while it exists.  NULL with why set ("cannot create a
 * temporary file in DIR for <what>: reason") when it cannot be made. */
FILE *cfs_temp_file(const char *tag, const char *what, char *why, size_t whylen);

/* Write all n bytes of p to fd, again after a signal: 0, or -1 with errno set (EIO when
 * the descriptor took nothing). */
int cfs_write_all(int fd, const void *p, size_t n);

#endif
