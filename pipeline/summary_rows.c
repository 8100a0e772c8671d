/* The summary's per-input rows: one record per input (in its state.cfs encoding, see
 * summary_state.c) appended to an unlinked temporary file and read back in input order,
 * the only part of a summary that grows with the number of inputs. */
#include "pipeline/summary.h"
#include "pipeline/summary_internal.h"
#include "pipeline/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The per-input rows live in an unlinked temporary file, in their state.cfs encoding:
 * ten million inputs cost disk (about 230 bytes each), not memory. */
FILE *cfs_sum_rows_file(cfs_summary *s)
{
    if (!s->rows && !s->rows_failed[0] &&
        !(s->rows = cfs_temp_file("rows", "the summary's input rows", s->rows_failed,
                                  sizeof s->rows_failed)) &&
        !s->rows_failed[0])
        snprintf(s->rows_failed, sizeof s->rows_failed,
                 "cannot make a temporary file for the summary's input rows");
    return s->rows; /* NULL: s->rows_failed says why */
}

void cfs_sum_rows_check(cfs_summary *s)
{
    if (s->rows && !s->rows_failed[0] && (fflush(s->rows) != 0 || ferror(s->rows)))
        snprintf(s->rows_failed, sizeof s->rows_failed,
                 "writing the summary's input rows to a temporary file failed: %s",
                 strerror(errno ? errno : EIO));
}

/* Append every row of `rows` to `to`; `rows` stays positioned for appending.  0 or -1
 * when reading the rows failed (write errors show on `to`). */
int cfs_sum_rows_copy(FILE *rows, FILE *to)
{
    char buf[1 << 16];
    size_t k;
    if (fflush(rows) != 0 || fseek(rows, 0, SEEK_SET) != 0) return -1;
    while ((k = fread(buf, 1, sizeof buf, rows)) > 0) fwrite(buf, 1, k, to);
    int bad = ferror(rows);
    fseek(rows, 0, SEEK_END);
    return bad ? -1 : 0;
}

int cfs_sum_rows_copy_at(FILE *rows, FILE *to)
{
    char buf[1 << 16];
    const int fd = fileno(rows);
    for (off_t at = 0;;) {
        ssize_t k = pread(fd, buf, sizeof buf, at);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) return 0;
        fwrite_unlocked(buf, 1, (size_t)k, to);
        at += k;
    }
}

void cfs_summary_add_input(void *summary, const cfs_input *in, const cfs_file_stats *st)
{
    cfs_summary *s = summary;
    cfs_sum_input x;
    memset(&x, 0, sizeof x);
    x.path = in->path;
    memcpy(x.dist, in->dist, CFS_DIST_MAX);
    x.size = in->size;
    x.mtime = in->mtime;
    x.st = *st;
    FILE *f = cfs_sum_rows_file(s);
    if (f) cfs_sum_input_put(f, &x);
    s->ninputs++;
}

int cfs_summary_inputs_begin(const cfs_summary *s)
{
    if (!s->rows) return 0;
    if (fflush(s->rows) != 0 || fseek(s->rows, 0, SEEK_SET) != 0) return -1;
    return 0;
}

int cfs_summary_inputs_next(const cfs_summary *s, cfs_sum_input *x)
{
    if (!s->rows) return 0;
    int rc = cfs_sum_input_get(s->rows, x);
    if (rc <= 0) fseek(s->rows, 0, SEEK_END); /* later rows append */
    return rc;
}

/* An input that could not be read at all: what the manifest leaves out (tools/cfscan.c,
 * on_input), so that the next --update reads it again. */
static int retried(const cfs_sum_input *x) { return x->st.status == CFS_E_IO && x->st.bytes_in == 0; }

static int u64_cmp(const void *a, const void *b)
{
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The paths of run's rows and the unchanged ones, as sorted 64-bit hashes (a collision
 * would drop an old error row of another path, which the run did not look at again). */
static int retried_paths(const cfs_summary *run, const uint64_t *unchanged, size_t nunchanged, uint64_t **out,
                         size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = nunchanged;
    if (cap && !(*out = cfs_malloc(cap * sizeof **out, "matching an update's inputs to its summary's")))
        return -1;
    if (cap) memcpy(*out, unchanged, cap * sizeof **out);
    *n = nunchanged;
    cfs_sum_input x;
    int rc = cfs_summary_inputs_begin(run);
    while (rc == 0 && (rc = cfs_summary_inputs_next(run, &x)) > 0) {
        rc = 0;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            uint64_t *v = cfs_realloc(*out, nc * sizeof *v, "matching an update's inputs to its summary's");
            if (!v) rc = -1;
            else *out = v, cap = nc;
        }
        if (rc == 0) (*out)[(*n)++] = cfs_hash_bytes(x.path, strlen(x.path));
        free(x.path);
    }
    if (rc < 0) return -1;
    if (*n) qsort(*out, *n, sizeof **out, u64_cmp);
    return 0;
}

static int has_path(const uint64_t *v, size_t n, const char *path)
{
    const uint64_t h = cfs_hash_bytes(path, strlen(path));
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == h;
}

int cfs_summary_drop_retried(cfs_summary *s, const cfs_summary *run, const uint64_t *unchanged,
                             size_t nunchanged)
{
    if (!s->rows) return s->rows_failed[0] ? -1 : 0;
    uint64_t *seen;
    size_t nseen;
    if (retried_paths(run, unchanged, nunchanged, &seen, &nseen) != 0) {
        if (!s->rows_failed[0])
            snprintf(s->rows_failed, sizeof s->rows_failed,
                     "reading back the update's input rows (a temporary file) failed: %s",
                     strerror(errno ? errno : EIO));
        return -1;
    }
    FILE *old = s->rows;
    s->rows = NULL;
    FILE *keep = cfs_sum_rows_file(s); /* a new temporary file for the rows kept */
    if (!keep) {
        s->rows = old;
        free(seen);
        return -1;
    }
    uint64_t n = 0;
    cfs_sum_input x;
    int rc = fflush(old) != 0 || fseek(old, 0, SEEK_SET) != 0 ? -1 : 0;
    while (rc == 0 && (rc = cfs_sum_input_get(old, &x)) > 0) {
        if (!(retried(&x) && has_path(seen, nseen, x.path))) {
            cfs_sum_input_put(keep, &x);
            n++;
        }
        free(x.path);
        rc = 0;
    }
    fclose(old);
    free(seen);
    if (rc < 0 && !s->rows_failed[0])
        snprintf(s->rows_failed, sizeof s->rows_failed,
                 "reading back the summary's input rows (a temporary file) failed: %s",
                 strerror(errno ? errno : EIO));
    s->ninputs = n;
    cfs_sum_rows_check(s);
    return s->rows_failed[0] ? -1 : 0;
}
