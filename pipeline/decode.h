/* The decode stage: open one input and hand out its decompressed bytes in pieces.
 * Compression is detected from magic bytes, never from the file name. */
#ifndef CFSCAN_PIPELINE_DECODE_H
#define CFSCAN_PIPELINE_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/source.h"
#include "pipeline/types.h"

typedef enum cfs_format { CFS_FMT_PLAIN, CFS_FMT_GZIP, CFS_FMT_ZSTD } cfs_format;

/* Which gzip decoder to use.  AUTO: libdeflate on the whole mapped file for regular files
 * up to CFS_GZ_WHOLE_MAX compressed bytes (the fastest decoder measured here; CloudFront's
 * hourly files are far smaller), ISA-L igzip streaming for pipes and larger files, so a
 * large file is never materialised whole.  ZLIB and ISAL force that streaming decoder. */
typedef enum cfs_gz_mode { CFS_GZ_AUTO, CFS_GZ_ZLIB, CFS_GZ_ISAL } cfs_gz_mode;
#define CFS_GZ_WHOLE_MAX ((uint64_t)16 << 20)

/* Regular files up to this many bytes are parsed in one go by one thread (scan.c, unless
 * --split-above sets another limit), so the reader asks the kernel to read such a mapped
 * file ahead whole; larger ones are cut into blocks that run in parallel and are released
 * behind the scan, where reading everything ahead would only fill memory. */
#define CFS_BIG_FILE ((uint64_t)64 << 20)

typedef struct cfs_reader cfs_reader;

cfs_status cfs_reader_open(cfs_reader **out, const cfs_input *in, cfs_gz_mode gz, char *err,
                           size_t errlen);
/* Next piece of decompressed bytes: *len == 0 at the end.  The piece stays valid until
 * the next call or close.  On an error the pieces already returned stay counted and
 * err says what went wrong (naming neither path nor stage: the caller adds the path). */
cfs_status cfs_reader_next(cfs_reader *r, const char **buf, size_t *len, char *err,
                           size_t errlen);
cfs_format cfs_reader_format(const cfs_reader *r);
const char *cfs_format_name(cfs_format f);
uint64_t cfs_reader_in_bytes(const cfs_reader *r);  /* compressed bytes consumed so far */
/* Call once every piece has been used (a mapped piece is read by the scan after it was
 * handed out): CFS_E_IO and err "file changed while being read" when a regular file was
 * truncated or rewritten meanwhile (a mapped file's bytes past its new end read as zeros
 * instead of raising SIGBUS), else CFS_OK.  NULL is CFS_OK. */
cfs_status cfs_reader_check(const cfs_reader *r, char *err, size_t errlen);
void cfs_reader_close(cfs_reader *r);

#endif
