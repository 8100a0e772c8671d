/* The summary's per-input rows: one record per input (in its state.cfs encoding, see
 * summary_state.c) appended to an unlinked temporary file and read back in input order,
 * the only part of a summary that grows with the number of inputs. */
#include "pipeline/summary.h"
#include "pipeline/ledger.h"
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

int cfs_summary_drop_retried(cfs_summary *s)
{
    if (!s->rows) return s->rows_failed[0] ? -1 : 0;
    FILE *old = s->rows;
    s->rows = NULL;
    FILE *keep = cfs_sum_rows_file(s); /* a new temporary file for the rows kept */
    if (!keep) {
        s->rows = old;
        return -1;
    }
    uint64_t n = 0;
    cfs_sum_input x;
    int rc = fflush(old) != 0 || fseek(old, 0, SEEK_SET) != 0 ? -1 : 0;
    while (rc == 0 && (rc = cfs_sum_input_get(old, &x)) > 0) {
        if (!cfs_stats_unread(&x.st)) {
            cfs_sum_input_put(keep, &x);
            n++;
        }
        free(x.path);
        rc = 0;
    }
    fclose(old);
    if (rc < 0 && !s->rows_failed[0])
        snprintf(s->rows_failed, sizeof s->rows_failed,
                 "reading back the summary's input rows (a temporary file) failed: %s",
                 strerror(errno ? errno : EIO));
    s->ninputs = n;
    cfs_sum_rows_check(s);
    return s->rows_failed[0] ? -1 : 0;
}
