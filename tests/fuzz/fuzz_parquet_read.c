/* Fuzz target: the Parquet log reader (pipeline/parquet_read.c) on arbitrary bytes.  The
 * input is the whole file; one leading byte choice wraps bytes without "PAR1" at both ends
 * into a footer-shaped file ("PAR1" + bytes + length + "PAR1"), so the Thrift footer
 * parser is reached without the fuzzer having to find both magics.  Oracles: no crash, no
 * leak, no read outside the buffer (ASan), and never more rows handed out than the
 * footer claims, each piece ending in a line end.  The same file is then read by row
 * group through cursors (cfs_pqr_range, as the scan reads it), once projected and once
 * with every column: unprojected, the text handed out is exactly cfs_pqr_text_bytes;
 * projected, it is never longer; both count the same rows and text bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/fields.h"
#include "pipeline/parquet_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const uint8_t *p, size_t n)
{
    cfs_pqr *r = NULL;
    char err[256];
    if (cfs_pqr_open(&r, p, n, err, sizeof err) != CFS_OK) return;
    for (int guard = 0; guard < 4096; guard++) {
        const char *buf;
        size_t len;
        if (cfs_pqr_next(r, &buf, &len, err, sizeof err) != CFS_OK || len == 0) break;
        if (buf[len - 1] != '\n') abort();
        if (cfs_pqr_rows_done(r) > cfs_pqr_rows_total(r)) abort();
    }
    /* by row group: a cursor reused from group to group, as each scan thread does */
    cfs_pqr *cur[2] = {NULL, NULL};
    uint32_t nrg = cfs_pqr_row_groups(r);
    for (uint32_t g = 0; g < nrg && g < 64; g++) {
        uint64_t rows[2] = {0, 0}, text[2] = {0, 0}, out[2] = {0, 0};
        int ok[2] = {1, 1};
        for (int all = 0; all < 2; all++) {
            if (cfs_pqr_range(&cur[all], r, g, g + 1, all ? CFS_PARSE_ALL : 0, err, sizeof err) != CFS_OK) {
                ok[all] = 0;
                continue;
            }
            for (int guard = 0; guard < 4096; guard++) {
                const char *buf;
                size_t len;
                cfs_status st = cfs_pqr_next(cur[all], &buf, &len, err, sizeof err);
                if (st != CFS_OK) ok[all] = 0;
                if (st != CFS_OK || len == 0) break;
                if (buf[len - 1] != '\n') abort();
                out[all] += len;
            }
            rows[all] = cfs_pqr_rows_done(cur[all]);
            text[all] = cfs_pqr_text_bytes(cur[all]);
            if (rows[all] > cfs_pqr_rows_total(cur[all])) abort();
            if (out[all] > text[all]) abort();
            if (all && ok[all] && out[all] != text[all]) abort();
        }
        if (ok[0] && ok[1] && (rows[0] != rows[1] || text[0] != text[1])) abort();
    }
    cfs_pqr_close(cur[0]);
    cfs_pqr_close(cur[1]);
    cfs_pqr_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (cfs_pqr_sniff(data, size)) {
        /* a copy of exactly size bytes, so ASan sees any read past the end */
        uint8_t *c = malloc(size);
        if (!c) return 0;
        memcpy(c, data, size);
        run(c, size);
        free(c);
        return 0;
    }
    size_t n = size + 12;
    uint8_t *w = malloc(n);
    if (!w) return 0;
    memcpy(w, "PAR1", 4);
    memcpy(w + 4, data, size);
    /* the footer: the last half of the bytes (at least one) */
    size_t flen = size / 2 ? size / 2 : (size ? 1 : 0);
    w[size + 4] = (uint8_t)flen;
    w[size + 5] = (uint8_t)(flen >> 8);
    w[size + 6] = (uint8_t)(flen >> 16);
    w[size + 7] = (uint8_t)(flen >> 24);
    memcpy(w + size + 8, "PAR1", 4);
    run(w, n);
    free(w);
    return 0;
}
