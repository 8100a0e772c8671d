/* Parquet reader for CloudFront standard logging v2 Parquet output: a flat schema of
 * string (and a few plain numeric) columns, read column by column, a row group at a
 * time, and handed out as W3C log text (a #Version/#Fields: header naming the projected
 * columns, then one TAB-separated line per row) so the record stage reads it like any
 * other log, or as values that the record stage takes without text (cfs_pqr_next_rows).
 * Only columns whose names map to a log field cfscan knows are decoded.
 * Format: apache/parquet-format (parquet.thrift, Encodings.md). */
#ifndef CFSCAN_PIPELINE_PARQUET_READ_H
#define CFSCAN_PIPELINE_PARQUET_READ_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/types.h"

typedef struct cfs_pqr cfs_pqr;

/* 1 when the n bytes at p look like a whole Parquet file ("PAR1" at both ends). */
int cfs_pqr_sniff(const unsigned char *p, size_t n);

/* Read the footer of the file held in [p, p + n) (which must stay valid until
 * cfs_pqr_close; decode.c maps it).  Malformed footers, unsupported schemas (nested
 * columns) and lying offsets are refused here with CFS_E_CORRUPT / CFS_E_UNSUPPORTED
 * and a message in err (without the path: the caller adds it). */
cfs_status cfs_pqr_open(cfs_pqr **out, const unsigned char *p, size_t n, char *err, size_t errlen);

/* Next piece of text (at least one line, about CFS_DECODE_PIECE bytes): the header
 * first, then rows in file order.  *len == 0 at the end.  The piece stays valid until
 * the next call.  Damage found in a page (corrupt compressed data, a bad dictionary
 * index, values that run out) is an error after the rows before it were handed out. */
cfs_status cfs_pqr_next(cfs_pqr *r, const char **buf, size_t *len, char *err, size_t errlen);

/* The footer's row count, and the rows handed out so far. */
uint64_t cfs_pqr_rows_total(const cfs_pqr *r);
uint64_t cfs_pqr_rows_done(const cfs_pqr *r);

/* Row groups, for reading a file in parallel (scan.c): their count, the bytes of group g's
 * chunks of the columns read, and the header text (#Version and #Fields lines) that
 * cfs_pqr_next hands out first. */
uint32_t cfs_pqr_row_groups(const cfs_pqr *r);
uint64_t cfs_pqr_group_bytes(const cfs_pqr *r, uint32_t g);
void cfs_pqr_header(const cfs_pqr *r, const char **p, size_t *n);

/* A cursor over row groups [from, to) of the open file `file` (which must outlive it), in
 * *out; a cursor already there (from an earlier range, of any file) is reused, keeping
 * its buffers.  Only the columns whose field is in decode (bits of cfs_field; UINT64_MAX
 * for all) are decoded: the others are never read, their pages neither decompressed nor
 * mapped, and every value of theirs is "-" (so counted in cfs_pqr_text_bytes as one byte,
 * and never a reason to go as text).  Read it with cfs_pqr_next (text: their rows only,
 * no header) or with cfs_pqr_next_rows.  Close with cfs_pqr_close. */
cfs_status cfs_pqr_range(cfs_pqr **out, const cfs_pqr *file, uint32_t from, uint32_t to, uint64_t decode,
                         char *err, size_t errlen);

/* Rows as values, for the record stage without text (scan.c): col[c][k] is column c's
 * value in row k, exactly as cfs_pqr_next writes it ("-" for a null or empty value), for
 * c < ncol (the header's #Fields: columns) and k < n.  A row whose text differs from its
 * values joined by TABs, or is more than a value split (a value holds a TAB, LF, CR or
 * another control byte, the first value starts with '#' or '{', or the row is longer
 * than CFS_MAX_LINE) has as_text[k] set (as_text is NULL when no row has): hand it to the
 * record stage as cfs_pqr_row_text writes it. */
typedef struct cfs_pqr_rows {
    const cfs_span *const *col;
    const uint8_t *as_text;
    uint32_t ncol, n;
} cfs_pqr_rows;
/* The next rows (at most 1024): n == 0 at the end.  They stay valid until the next call,
 * and count as handed out (rows done, text bytes).  Damage is an error after the rows
 * before it. */
cfs_status cfs_pqr_next_rows(cfs_pqr *r, cfs_pqr_rows *b, char *err, size_t errlen);
/* Row k of the last cfs_pqr_next_rows as one text line with its LF, valid until the next
 * call of either. */
cfs_status cfs_pqr_row_text(cfs_pqr *r, uint32_t k, const char **p, size_t *n, char *err, size_t errlen);

/* Bytes of the rows handed out so far, as text (bytes_decoded). */
uint64_t cfs_pqr_text_bytes(const cfs_pqr *r);

void cfs_pqr_close(cfs_pqr *r);

/* The log field name a Parquet column name stands for, written to out (NUL-terminated):
 * CloudFront's Parquet columns use underscores (`x_edge_location`, `cs_user_agent`,
 * `timestamp_ms`); hyphenated W3C names are kept.  Returns the cfs_field, or
 * CFS_F_UNKNOWN for a column cfscan does not read. */
int cfs_pqr_field_name(const char *col, size_t n, char *out, size_t outlen);

#endif
