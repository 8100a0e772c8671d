/* Fuzz target: the Parquet log reader (pipeline/parquet_read.c) on arbitrary bytes.  The
 * input is the whole file; one leading byte choice wraps bytes without "PAR1" at both ends
 * into a footer-shaped file ("PAR1" + bytes + length + "PAR1"), so the Thrift footer
 * parser is reached without the fuzzer having to find both magics.  Oracles: no crash, no
 * leak, no read outside the buffer (ASan), and never more rows handed out than the
 * footer claims, each piece ending in a line end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
