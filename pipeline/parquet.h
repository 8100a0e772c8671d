/* Parquet writer: flat tables of INT32/INT64/DOUBLE/STRING/BINARY/TIMESTAMP_MS/BOOL
 * columns, REQUIRED or OPTIONAL, ZSTD-compressed Data Page V1 pages, optional dictionary
 * encoding for strings, chunk min/max statistics.  Written here because Debian 12 packages
 * no Parquet library; format from apache/parquet-format (parquet.thrift, Encodings.md).
 * One writer belongs to one thread; it holds at most one row group in memory. */
#ifndef CFSCAN_PIPELINE_PARQUET_H
#define CFSCAN_PIPELINE_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/types.h"

typedef enum cfs_pq_type {
    CFS_PQ_INT32,        /* INT32 */
    CFS_PQ_INT64,        /* INT64 */
    CFS_PQ_DOUBLE,       /* DOUBLE */
    CFS_PQ_STRING,       /* BYTE_ARRAY, STRING/UTF8 annotation; bytes are kept as given */
    CFS_PQ_TIMESTAMP_MS, /* INT64, TIMESTAMP(isAdjustedToUTC=true, MILLIS): ms since epoch */
    CFS_PQ_BOOL,         /* BOOLEAN */
    CFS_PQ_BINARY,       /* BYTE_ARRAY without annotation (DuckDB: BLOB) */
} cfs_pq_type;
/* STRING vs BINARY: the writer never checks or changes the bytes, but the format says a
 * STRING value is UTF-8 and DuckDB refuses to read a STRING column holding anything else
 * ("Invalid string encoding found in Parquet file").  Raw CloudFront fields are ASCII
 * (percent-encoded); a column that can hold percent-DECODED bytes (Latin-1 %E9 occurs in
 * real query strings) should be BINARY, or be transcoded before cfs_pq_str. */

typedef struct cfs_pq_column {
    const char *name; /* copied at open */
    cfs_pq_type type;
    int optional;   /* 1: OPTIONAL (nulls allowed), 0: REQUIRED */
    int dictionary; /* STRING/BINARY only: try dictionary encoding (low cardinality) */
} cfs_pq_column;

/* Tuning; a zero field means its default. */
typedef struct cfs_pq_options {
    size_t row_group_rows;  /* rows per row group; default 131072 */
    size_t row_group_bytes; /* flush a row group once this much is buffered; default 64 MiB */
    size_t page_bytes;      /* target uncompressed data page size; default 1 MiB */
    size_t dict_entries;    /* dictionary fallback to PLAIN above this many entries; 65536 */
    size_t dict_bytes;      /* ... or above this many dictionary bytes; default 1 MiB */
    int zstd_level;         /* default 1 */
} cfs_pq_options;

typedef struct cfs_pq_writer cfs_pq_writer;

/* Create (truncate) `path` and start a file with these columns (at least one, unique
 * names).  Row groups are written to `path` as they fill, so it holds a valid file only
 * after cfs_pq_close.  On failure *w is NULL and err names the path and the reason. */
cfs_status cfs_pq_open(cfs_pq_writer **w, const char *path, const cfs_pq_column *cols, size_t ncols,
                       char *err, size_t errlen);
/* The same with tuning options (NULL = defaults). */
cfs_status cfs_pq_open_opts(cfs_pq_writer **w, const char *path, const cfs_pq_column *cols, size_t ncols,
                            const cfs_pq_options *opt, char *err, size_t errlen);

/* One value per column per row, columns in any order, then cfs_pq_end_row.  Misuse (a
 * setter of the wrong type, a value set twice, a required column left unset, an INT32
 * value out of range, a null for a REQUIRED column) does not crash: it is remembered and
 * cfs_pq_close reports it as CFS_E_USAGE.  An OPTIONAL column left unset is null. */
void cfs_pq_i64(cfs_pq_writer *w, size_t col, int64_t v); /* INT32, INT64, TIMESTAMP_MS, BOOL */
void cfs_pq_f64(cfs_pq_writer *w, size_t col, double v);
void cfs_pq_str(cfs_pq_writer *w, size_t col, const char *p, size_t n); /* STRING, BINARY */
void cfs_pq_null(cfs_pq_writer *w, size_t col);
void cfs_pq_end_row(cfs_pq_writer *w);

/* Rows ended so far. */
uint64_t cfs_pq_rows(const cfs_pq_writer *w);
/* CFS_OK, or the first error so far (a write error is known here as soon as a row group
 * is written, so a long run can stop early); cfs_pq_close reports it with its message. */
cfs_status cfs_pq_status(const cfs_pq_writer *w);

/* Write the last row group and the footer, fsync, close and free.  On any failure
 * (write error such as ENOSPC/EIO, out of memory, earlier misuse) the partial file is
 * removed (only if it is the regular file open created: never a device such as
 * /dev/full), err says why naming the path, and the status is CFS_E_IO, CFS_E_NOMEM or
 * CFS_E_USAGE.  A NULL writer returns CFS_E_USAGE. */
cfs_status cfs_pq_close(cfs_pq_writer *w, char *err, size_t errlen);
/* Close without finishing, remove the file, free.  NULL is a no-op. */
void cfs_pq_abort(cfs_pq_writer *w);

#endif
