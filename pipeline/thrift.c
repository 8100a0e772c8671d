/* Thrift compact-protocol encoder used by the Parquet writer (pipeline/parquet.c) for
 * page headers and the file footer.  Integers are zigzag ULEB128 varints, field headers
 * carry the id as a delta from the previous field of the same struct when it fits in a
 * nibble, and a struct ends with a 0 byte (thrift-compact-protocol.md). */
#include "pipeline/thrift.h"

#include <stdlib.h>
#include <string.h>

void cfs_tc_init(cfs_tc *t) { memset(t, 0, sizeof *t); }

void cfs_tc_free(cfs_tc *t)
{
    free(t->p);
    memset(t, 0, sizeof *t);
}

void cfs_tc_reset(cfs_tc *t)
{
    t->n = 0;
    t->failed = 0;
    t->depth = 0;
}

/* Make room for `need` more bytes; on failure mark the encoder failed and return 0 so
 * every writer below silently stops (the caller checks `failed` once at the end). */
static int reserve(cfs_tc *t, size_t need)
{
    if (t->failed) return 0;
    if (t->cap - t->n >= need) return 1;
    size_t cap = t->cap ? t->cap : 256;
    while (cap - t->n < need) {
        if (cap > SIZE_MAX / 2) {
            t->failed = 1;
            return 0;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(t->p, cap);
    if (!p) {
        t->failed = 1;
        return 0;
    }
    t->p = p;
    t->cap = cap;
    return 1;
}

static void put(cfs_tc *t, const void *p, size_t n)
{
    if (n == 0 || !reserve(t, n)) return;
    memcpy(t->p + t->n, p, n);
    t->n += n;
}

static void put_byte(cfs_tc *t, uint8_t b) { put(t, &b, 1); }

size_t cfs_tc_put_uvarint(uint8_t out[10], uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        out[i++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[i++] = (uint8_t)v;
    return i;
}

static void put_uvarint(cfs_tc *t, uint64_t v)
{
    uint8_t b[10];
    put(t, b, cfs_tc_put_uvarint(b, v));
}

/* Field header: short form (delta << 4 | type) when the id is 1..15 above the previous
 * one in this struct, else the type byte followed by the id as a zigzag varint i16. */
static void field_header(cfs_tc *t, int16_t id, uint8_t type)
{
    if (t->depth <= 0 || id <= 0) {
        t->failed = 1;
        return;
    }
    int16_t *last = &t->last[t->depth - 1];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        put_byte(t, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(t, type);
        put_uvarint(t, cfs_tc_zigzag64(id));
    }
    *last = id;
}

void cfs_tc_struct_begin(cfs_tc *t)
{
    if (t->depth >= CFS_TC_MAX_DEPTH) {
        t->failed = 1;
        return;
    }
    t->last[t->depth++] = 0;
}

void cfs_tc_struct_end(cfs_tc *t)
{
    if (t->depth <= 0) {
        t->failed = 1;
        return;
    }
    put_byte(t, 0); /* field stop */
    t->depth--;
}

void cfs_tc_field_bool(cfs_tc *t, int16_t id, int v)
{
    field_header(t, id, v ? CFS_TC_BOOL_TRUE : CFS_TC_BOOL_FALSE);
}

void cfs_tc_field_i32(cfs_tc *t, int16_t id, int32_t v)
{
    field_header(t, id, CFS_TC_I32);
    put_uvarint(t, cfs_tc_zigzag64(v));
}

void cfs_tc_field_i64(cfs_tc *t, int16_t id, int64_t v)
{
    field_header(t, id, CFS_TC_I64);
    put_uvarint(t, cfs_tc_zigzag64(v));
}

void cfs_tc_field_binary(cfs_tc *t, int16_t id, const void *p, size_t n)
{
    field_header(t, id, CFS_TC_BINARY);
    cfs_tc_binary(t, p, n);
}

void cfs_tc_field_struct(cfs_tc *t, int16_t id)
{
    field_header(t, id, CFS_TC_STRUCT);
    cfs_tc_struct_begin(t);
}

void cfs_tc_field_list(cfs_tc *t, int16_t id, uint8_t elem_type, uint32_t count)
{
    field_header(t, id, CFS_TC_LIST);
    /* Short form packs a size of 0..14 into the high nibble; 15 there means the size
     * follows as a varint. */
    if (count < 15) {
        put_byte(t, (uint8_t)(count << 4 | (elem_type & 0x0f)));
    } else {
        put_byte(t, (uint8_t)(0xf0 | (elem_type & 0x0f)));
        put_uvarint(t, count);
    }
}

void cfs_tc_i32(cfs_tc *t, int32_t v) { put_uvarint(t, cfs_tc_zigzag64(v)); }

void cfs_tc_binary(cfs_tc *t, const void *p, size_t n)
{
    put_uvarint(t, n);
    put(t, p, n);
}
