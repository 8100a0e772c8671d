/* Thrift compact-protocol encoder: just enough to write Parquet page headers and the
 * FileMetaData footer.  Output goes to a growable byte buffer owned by the encoder.
 * Spec: apache/thrift doc/specs/thrift-compact-protocol.md. */
#ifndef CFSCAN_PIPELINE_THRIFT_H
#define CFSCAN_PIPELINE_THRIFT_H

#include <stddef.h>
#include <stdint.h>

/* Compact-protocol type nibbles (spec, "Struct encoding").  A boolean field carries its
 * value in the type nibble (1 true, 2 false), so there is no separate BOOL code here. */
enum {
    CFS_TC_BOOL_TRUE = 1,
    CFS_TC_BOOL_FALSE = 2,
    CFS_TC_BYTE = 3,
    CFS_TC_I16 = 4,
    CFS_TC_I32 = 5,
    CFS_TC_I64 = 6,
    CFS_TC_DOUBLE = 7,
    CFS_TC_BINARY = 8,
    CFS_TC_LIST = 9,
    CFS_TC_SET = 10,
    CFS_TC_MAP = 11,
    CFS_TC_STRUCT = 12,
};

/* Parquet nests at most FileMetaData > RowGroup > ColumnChunk > ColumnMetaData >
 * Statistics (5 levels) plus the schema's LogicalType > TimestampType > TimeUnit; 16
 * leaves room.  Deeper nesting marks the encoder failed instead of overflowing. */
#define CFS_TC_MAX_DEPTH 16

typedef struct cfs_tc {
    uint8_t *p;
    size_t n, cap;
    int failed;                     /* out of memory or misuse: the bytes are unusable */
    int depth;                      /* open structs */
    int16_t last[CFS_TC_MAX_DEPTH]; /* last field id written in each open struct */
} cfs_tc;

void cfs_tc_init(cfs_tc *t);
void cfs_tc_free(cfs_tc *t);
/* Empty the buffer (keeping its memory) and clear the failed flag and struct stack. */
void cfs_tc_reset(cfs_tc *t);

/* Open a struct that is the top-level message or a list element; cfs_tc_struct_end
 * writes its stop byte. */
void cfs_tc_struct_begin(cfs_tc *t);
void cfs_tc_struct_end(cfs_tc *t);

/* Fields of the innermost open struct, in any id order (ids 1..32767). */
void cfs_tc_field_bool(cfs_tc *t, int16_t id, int v);
void cfs_tc_field_i32(cfs_tc *t, int16_t id, int32_t v);
void cfs_tc_field_i64(cfs_tc *t, int16_t id, int64_t v);
void cfs_tc_field_binary(cfs_tc *t, int16_t id, const void *p, size_t n);
/* A struct-valued field: fields follow, then cfs_tc_struct_end. */
void cfs_tc_field_struct(cfs_tc *t, int16_t id);
/* A list-valued field of count elements of elem_type; the elements follow (for
 * CFS_TC_STRUCT elements: cfs_tc_struct_begin ... cfs_tc_struct_end each). */
void cfs_tc_field_list(cfs_tc *t, int16_t id, uint8_t elem_type, uint32_t count);

/* List elements. */
void cfs_tc_i32(cfs_tc *t, int32_t v);
void cfs_tc_binary(cfs_tc *t, const void *p, size_t n);

/* Raw helpers, exposed for tests and for the Parquet RLE/bit-packed hybrid, which uses
 * the same ULEB128 varint for its run headers. */
size_t cfs_tc_put_uvarint(uint8_t out[10], uint64_t v);
static inline uint64_t cfs_tc_zigzag64(int64_t v)
{
    /* (v << 1) ^ (v >> 63) without shifting a negative value left (undefined in C). */
    return ((uint64_t)v << 1) ^ (uint64_t)(0 - ((uint64_t)v >> 63));
}

/* ---- decoding (the Parquet reader's footer and page headers, and the fuzz harness's
 * check of the writer) ----
 * A cursor over untrusted bytes: a read past the end or a malformed value sets bad and
 * yields 0 (NULL), so a caller checks bad once after a sequence of reads. */
typedef struct cfs_td {
    const uint8_t *p, *end;
    int bad;
} cfs_td;
uint64_t cfs_td_uvar(cfs_td *t); /* ULEB128 varint */
int64_t cfs_td_i64(cfs_td *t);   /* zigzag varint (i16, i32, i64 all encode so) */
int32_t cfs_td_i32(cfs_td *t);   /* the same, out of int32 range is bad */
/* Next field header of the current struct: its type (0 at the stop byte), id in *id
 * (*last is the previous field's id, 0 at the start of a struct). */
int cfs_td_field(cfs_td *t, int16_t *last, int16_t *id);
/* A list header: the element type, and *n elements, checked against the bytes left (each
 * takes at least one), so a huge count is damage, never an allocation. */
int cfs_td_list(cfs_td *t, uint32_t *n);
const uint8_t *cfs_td_binary(cfs_td *t, size_t *n); /* *n bytes in place */
/* Skip one value of type (nesting deeper than 32 is bad); depth: 0 at the top. */
void cfs_td_skip(cfs_td *t, int type, int depth);

#endif
