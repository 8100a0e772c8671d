/* The input manifest of a summary (inputs.cfm) and what is built on it: which inputs a
 * summary has counted (so `merge` never counts one twice and `scan --update` reads only
 * new ones), the stable hash that assigns an input to a shard, and the shard coverage a
 * summary records (so a final merge can name the shards that are missing).
 *
 * An input is its path relative to the scanned root (the command-line path it was found
 * under; a file named directly is its base name), its size, mtime and a fingerprint: XXH3
 * of its first and last 64 KiB.  Two entries are the same input when path, size and
 * fingerprint agree; mtime is recorded but not compared, since a re-synced copy on another
 * machine may carry a new one.
 *
 * The file is a TSV, one line per input in the order the scan met them, written through a
 * temporary file (nothing held in memory).  Lookups go through a cfs_mf_set: two sorted
 * arrays of 64-bit hashes (path, identity), 16 bytes per input whatever the path length. */
#ifndef CFSCAN_PIPELINE_INPUTS_MANIFEST_H
#define CFSCAN_PIPELINE_INPUTS_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pipeline/types.h"

#define CFS_MF_FILE "inputs.cfm"
#define CFS_MF_MAX_SHARDS 1000000u

/* 64-bit XXH3 of a relative path: the set's key and (mod N) the shard of the input. */
uint64_t cfs_mf_path_hash(const char *rel);
/* The shard (0..n-1) of relative path rel among n. */
uint32_t cfs_mf_shard_of(const char *rel, uint32_t n);
/* What identifies an input's content besides its path: a hash of size and fingerprint. */
uint64_t cfs_mf_ident(uint64_t size, uint64_t fp);
/* XXH3 of the first and last 64 KiB of the regular file at path (the whole file when it
 * is up to 128 KiB).  CFS_E_IO with err naming path when it cannot be read. */
cfs_status cfs_mf_fingerprint(const char *path, uint64_t size, uint64_t *fp, char *err, size_t errlen);
/* The path of `path` relative to the root among roots[0..n) it was found under (longest
 * matching directory prefix; a root that is the path itself gives its base name).  Points
 * into path.  An S3 object is recorded whole ("s3://bucket/key"): a bucket is one global
 * namespace, and its objects must not be taken for a local copy's files. */
const char *cfs_mf_relpath(const char *path, const char *const *roots, size_t n);

/* Which shards of how many a summary covers: n == 0 for an unsharded summary.  The shards
 * are those of one scan: scan identifies what its command selected (the roots' names, the
 * window and the filters: cfscan.c, scan_identity), so that shards of two days are not
 * taken for one day's; label names it in messages.  A manifest written before scans were
 * recorded has scan 0 and an empty label. */
#define CFS_MF_LABEL 160
typedef struct cfs_mf_shards {
    uint32_t n;
    uint8_t *have; /* n bytes, 1 = covered */
    uint64_t scan;
    char label[CFS_MF_LABEL];
    int with_other; /* the summary holds whole scans of its own beside these shards */
} cfs_mf_shards;

/* The window and filters the inputs of a summary were read under, and what they left out
 * of those inputs: --update never reads a counted input again, so a later run with another
 * window or filters would never count those lines (cfscan.c refuses it, cfs_mf_selection_allows).
 * Left out by a window of whole hours from files CloudFront named by an hour inside it are
 * only requests that finished after the window's end (late): a later window that does not
 * overlap [late_since, late_until) skips those files by name, as a fresh scan would, so only
 * a window that overlaps it would lose them.  id 0 with known set: parts of several
 * selections merged. */
typedef struct cfs_mf_selection {
    int known;    /* 0: a manifest written before selections were recorded */
    int excluded; /* lines that any other window or filters could count were left out */
    int late;     /* late requests were left out, of files named by hours in the window below */
    int64_t late_since, late_until; /* the hull of such windows; CFS_NO_TIME: open */
    uint64_t id;
    char label[CFS_MF_LABEL];
} cfs_mf_selection;

/* Whether a run with selection id and window [since, until) (CFS_NO_TIME: open) may add to a
 * summary of selection s without losing what s left out. */
int cfs_mf_selection_allows(const cfs_mf_selection *s, uint64_t id, int64_t since, int64_t until);

/* The scan that shards belong to (cfs_mf_shards.scan) and its label, from the paths given
 * and the window and filters (names and values, as the report names them).  A path counts
 * by its last component (an S3 URL whole), so that workers that see one archive under
 * different mount points run one scan; the order of paths does not count. */
void cfs_mf_scan_of(const char *const *roots, size_t nroots, const char *const *names,
                    const char *const *values, size_t nsel, uint64_t *scan, char label[CFS_MF_LABEL]);

/* A manifest being written: entries go to an unlinked temporary file. */
typedef struct cfs_mf_writer {
    FILE *tmp;
    uint64_t count;
    cfs_mf_shards shards; /* the coverage the result records (cfs_mf_writer_save) */
    int parts;            /* manifests appended or shards recorded */
    int any_other;        /* a part records no shards, or all the shards of another scan
                           * than shards': it stands for a whole scan of its own */
    cfs_mf_selection sel; /* of the parts appended, then of this run (cfs_mf_writer_selection) */
} cfs_mf_writer;

void cfs_mf_writer_init(cfs_mf_writer *w);
/* Record that w covers shard i of n (n: 1..CFS_MF_MAX_SHARDS) of the scan named scan and
 * label (this run's: --update adds it to the summary's own shard, whatever scan that was).
 * CFS_E_USAGE when w already covers shards of another count. */
cfs_status cfs_mf_writer_shard(cfs_mf_writer *w, uint32_t i, uint32_t n, uint64_t scan, const char *label,
                               char *err, size_t errlen);
cfs_status cfs_mf_writer_add(cfs_mf_writer *w, const char *rel, uint64_t size, int64_t mtime, uint64_t fp,
                             char *err, size_t errlen);
/* Append every entry of the manifest file at path and add its shard coverage to w's: a
 * part that holds all the shards of its scan stands for an unsharded one beside parts of
 * other scans, and parts that hold some of their scan's shards must all be of one scan
 * (CFS_E_USAGE, naming both, else). */
cfs_status cfs_mf_writer_append_file(cfs_mf_writer *w, const char *path, char *err, size_t errlen);
/* Record that this run read its inputs under selection id (label) and window [since,
 * until), and what it left out of them (cfs_mf_selection: excluded, late).  Added to a
 * summary (--update) that allows it, the summary's selection becomes this run's, and the
 * late windows of both stay on record. */
void cfs_mf_writer_selection(cfs_mf_writer *w, uint64_t id, int excluded, int late, int64_t since,
                             int64_t until, const char *label);
/* Write the manifest (header, then the entries) to path and fsync it. */
cfs_status cfs_mf_writer_save(cfs_mf_writer *w, const char *path, char *err, size_t errlen);
void cfs_mf_writer_free(cfs_mf_writer *w);

/* One entry read back; rel points into the reader's line buffer (valid until the next). */
typedef struct cfs_mf_entry {
    const char *rel;
    uint64_t size;
    int64_t mtime;
    uint64_t fp;
} cfs_mf_entry;

typedef struct cfs_mf_reader {
    FILE *f;
    const char *path;
    char *line;
    size_t cap;
    char *rel; /* unescaped path */
    size_t relcap;
    uint64_t lineno;
    cfs_mf_shards shards;
    cfs_mf_selection sel;
    int pending; /* line holds the first entry, read with the header */
} cfs_mf_reader;

/* Open a manifest and read its header.  CFS_E_IO when it cannot be opened (errno ENOENT
 * for a summary made before manifests), CFS_E_FORMAT when it is not one; err names path. */
cfs_status cfs_mf_open(cfs_mf_reader *r, const char *path, char *err, size_t errlen);
/* 1 with *e set, 0 at the end, -1 on a bad line (err says which). */
int cfs_mf_next(cfs_mf_reader *r, cfs_mf_entry *e, char *err, size_t errlen);
void cfs_mf_close(cfs_mf_reader *r);

/* The compact lookup set of a manifest: path hashes sorted, with their identities. */
typedef struct cfs_mf_set {
    uint64_t *key;
    uint64_t *ident;
    size_t n;
    cfs_mf_shards shards;
    cfs_mf_selection sel;
} cfs_mf_set;

/* Load the manifest at path into s (streamed: 16 bytes per entry).  Errors as cfs_mf_open. */
cfs_status cfs_mf_set_load(cfs_mf_set *s, const char *path, char *err, size_t errlen);
/* The index of path hash key in s, or -1. */
long cfs_mf_set_find(const cfs_mf_set *s, uint64_t key);
/* 1 when s holds path hash key with identity ident (size + fingerprint, cfs_mf_ident). */
int cfs_mf_set_holds(const cfs_mf_set *s, uint64_t key, uint64_t ident);
/* How many keys a and b share. */
size_t cfs_mf_set_common(const cfs_mf_set *a, const cfs_mf_set *b);
/* 1 when every entry of a (path and identity) is in b. */
int cfs_mf_set_subset(const cfs_mf_set *a, const cfs_mf_set *b);
void cfs_mf_set_free(cfs_mf_set *s);

/* Which files a scan reads (a cfs_walk_filter_fn, source.h): those of shard shard_i of
 * shard_n (shard_n 0: all), and of those, with `known` set (--update), only the ones
 * whose path it does not hold.  A known path whose size or fingerprint changed is refused
 * (-1: an unusable input, never counted twice). */
typedef struct cfs_mf_select {
    const char *const *roots;
    size_t nroots;
    uint32_t shard_i, shard_n;
    const cfs_mf_set *known;
    uint64_t other_shard, known_skipped, changed; /* files passed over, by reason */
} cfs_mf_select;
int cfs_mf_select_input(void *ctx, const char *path, uint64_t size, const char *etag, char *why,
                        size_t whylen);
/* Whether path falls to this run's shard (always without shards): a cfs_walk_owns_fn. */
int cfs_mf_select_owns(void *ctx, const char *path);
/* The fingerprint of an S3 object: XXH3 of its ETag (the object's bytes are not read: the
 * ETag changes whenever they do). */
uint64_t cfs_mf_fingerprint_etag(const char *etag);

/* "0-3,5,7-9" for the covered shards, into buf (truncated with "..." when long). */
void cfs_mf_shards_str(const cfs_mf_shards *s, int covered, char *buf, size_t len);

#endif
