/* The decode stage: open one input and hand out its decompressed bytes in pieces.
 * Compression is detected from magic bytes, never from the file name. */
#ifndef CFSCAN_PIPELINE_DECODE_H
#define CFSCAN_PIPELINE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/source.h"
#include "pipeline/types.h"

/* CFS_FMT_PARQUET: CloudFront v2 Parquet, handed out as W3C text (parquet_read.h). */
typedef enum cfs_format { CFS_FMT_PLAIN, CFS_FMT_GZIP, CFS_FMT_ZSTD, CFS_FMT_PARQUET } cfs_format;

/* Which gzip decoder to use.  AUTO and ISAL: ISA-L igzip streaming, in CFS_DECODE_PIECE
 * pieces parsed while they are in cache.  ZLIB: zlib streaming.  LIBDEFLATE: libdeflate on
 * the whole mapped file for regular files up to CFS_GZ_WHOLE_MAX compressed bytes, ISA-L
 * above that and for pipes (AUTO up to issue 11: libdeflate decodes alone about as fast
 * as ISA-L here, but its whole-file output, tens of MB, is parsed from memory; end to end
 * the two measured the same, and ISA-L needs no buffer the size of the file). */
typedef enum cfs_gz_mode { CFS_GZ_AUTO, CFS_GZ_ZLIB, CFS_GZ_ISAL, CFS_GZ_LIBDEFLATE } cfs_gz_mode;
#define CFS_GZ_WHOLE_MAX ((uint64_t)16 << 20)

/* Regular files up to this many bytes are parsed in one go by one thread (scan.c, unless
 * --split-above sets another limit), so the reader asks the kernel to read such a mapped
 * file ahead whole; larger ones are cut into blocks that run in parallel and are released
 * behind the scan, where reading everything ahead would only fill memory. */
#define CFS_BIG_FILE ((uint64_t)64 << 20)

/* Streaming decoders (zstd, ISA-L, zlib) hand out pieces of at most this many bytes.  The
 * scan parses each piece as soon as it is handed out, so a piece, the decoder's window and
 * the parser's state should all fit in one core's L2 (1 MiB on the machines measured):
 * decoded bytes are then read back from cache instead of from memory. */
#ifndef CFS_DECODE_PIECE
#define CFS_DECODE_PIECE ((size_t)256 << 10)
#endif

typedef struct cfs_reader cfs_reader;

cfs_status cfs_reader_open(cfs_reader **out, const cfs_input *in, cfs_gz_mode gz, char *err, size_t errlen);
/* The same, mapping a regular file only when it is larger than map_above bytes (the
 * scan's block size threshold, so that exactly the inputs it cuts into blocks are
 * mapped); cfs_reader_open maps above CFS_BIG_FILE. */
cfs_status cfs_reader_open_map(cfs_reader **out, const cfs_input *in, cfs_gz_mode gz, uint64_t map_above,
                               char *err, size_t errlen);
/* Next piece of decompressed bytes: *len == 0 at the end.  The piece stays valid until
 * the next call or close.  On an error the pieces already returned stay counted and
 * err says what went wrong (naming neither path nor stage: the caller adds the path). */
cfs_status cfs_reader_next(cfs_reader *r, const char **buf, size_t *len, char *err, size_t errlen);
cfs_format cfs_reader_format(const cfs_reader *r);
/* The Parquet reader of a CFS_FMT_PARQUET input (its row groups are read in parallel by
 * cursors, scan.c), else NULL. */
struct cfs_pqr *cfs_reader_parquet(cfs_reader *r);
const char *cfs_format_name(cfs_format f);
uint64_t cfs_reader_in_bytes(const cfs_reader *r); /* compressed bytes consumed so far */
/* Call once every piece has been used (a mapped piece is read by the scan after it was
 * handed out): CFS_E_IO and err "file changed while being read" when a regular file was
 * truncated or rewritten meanwhile (a mapped file's bytes past its new end read as zeros
 * instead of raising SIGBUS), else CFS_OK.  NULL is CFS_OK. */
cfs_status cfs_reader_check(const cfs_reader *r, char *err, size_t errlen);
void cfs_reader_close(cfs_reader *r);

#endif
