/* Fuzz target: the Parquet log reader (pipeline/parquet_read.c) on arbitrary bytes.  The
 * input is the whole file; one leading byte choice wraps bytes without "PAR1" at both ends
 * into a footer-shaped file ("PAR1" + bytes + length + "PAR1"), so the Thrift footer
 * parser is reached without the fuzzer having to find both magics.  Oracles: no crash, no
 * leak, no read outside the buffer (ASan), and never more rows handed out than the
 * footer claims, each piece ending in a line end.  The same file is then read by row
 * group through cursors (cfs_pqr_range, as the scan reads it, every column or some), once
 * as text and once as values (cfs_pqr_next_rows): the text handed out is exactly cfs_pqr_text_bytes; row by
 * row, a row not marked as_text is its values joined by TABs, and any row's
 * cfs_pqr_row_text is the text's line; both count the same rows and text bytes. */
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
    /* by row group: a cursor reused from group to group, as each scan thread does */
    cfs_pqr *cur[2] = {NULL, NULL};
    char *text = NULL;
    size_t cap = 0;
    uint32_t nrg = cfs_pqr_row_groups(r);
    for (uint32_t g = 0; g < nrg && g < 64; g++) {
        /* every column, or some only (a skipped column's values are "-") */
        const uint64_t decode = g % 2 ? UINT64_MAX : 0x9e3779b97f4a7c15ull * (g + 1);
        /* as text, kept for the comparison below */
        size_t tn = 0;
        int ok = cfs_pqr_range(&cur[0], r, g, g + 1, decode, err, sizeof err) == CFS_OK;
        for (int guard = 0; ok && guard < 4096; guard++) {
            const char *buf;
            size_t len;
            cfs_status st = cfs_pqr_next(cur[0], &buf, &len, err, sizeof err);
            if (st != CFS_OK) ok = 0;
            if (st != CFS_OK || len == 0) break;
            if (buf[len - 1] != '\n') abort();
            if (tn + len > cap) {
                cap = (tn + len) * 2;
                char *t = realloc(text, cap);
                if (!t) abort();
                text = t;
            }
            memcpy(text + tn, buf, len);
            tn += len;
        }
        if (!ok) continue;
        if (cfs_pqr_text_bytes(cur[0]) != tn || cfs_pqr_rows_done(cur[0]) > cfs_pqr_rows_total(cur[0]))
            abort();
        /* as values: row by row against that text */
        if (cfs_pqr_range(&cur[1], r, g, g + 1, decode, err, sizeof err) != CFS_OK) abort();
        size_t at = 0;
        for (;;) {
            cfs_pqr_rows b;
            if (cfs_pqr_next_rows(cur[1], &b, err, sizeof err) != CFS_OK) abort(); /* the text read it */
            if (b.n == 0) break;
            for (uint32_t k = 0; k < b.n; k++) {
                const char *line;
                size_t ln;
                if (cfs_pqr_row_text(cur[1], k, &line, &ln, err, sizeof err) != CFS_OK) abort();
                if (at + ln > tn || memcmp(text + at, line, ln) != 0) abort();
                if (!(b.as_text && b.as_text[k])) {
                    /* the values joined by TABs are the line, which is not a directive
                     * or JSON and fits a line */
                    size_t o = at;
                    for (uint32_t c = 0; c < b.ncol; c++) {
                        const cfs_span v = b.col[c][k];
                        if (v.n == 0 || o + v.n >= at + ln || memcmp(text + o, v.p, v.n) != 0) abort();
                        /* and holds no byte the text would escape or call binary */
                        for (uint32_t q = 0; q < v.n; q++)
                            if ((unsigned char)v.p[q] < 0x20 || v.p[q] == 0x7f) abort();
                        o += v.n;
                        if (text[o] != (c + 1 == b.ncol ? '\n' : '\t')) abort();
                        o++;
                    }
                    if (o != at + ln || text[at] == '#' || text[at] == '{' || ln > CFS_MAX_LINE) abort();
                }
                at += ln;
            }
        }
        if (at != tn || cfs_pqr_text_bytes(cur[1]) != tn) abort();
        if (cfs_pqr_rows_done(cur[1]) != cfs_pqr_rows_done(cur[0])) abort();
    }
    free(text);
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
