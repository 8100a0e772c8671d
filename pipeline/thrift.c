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

/* ---- decoding ---------------------------------------------------------------------------- */
uint64_t cfs_td_uvar(cfs_td *t)
{
    uint64_t v = 0;
    for (unsigned s = 0; s < 64; s += 7) {
        if (t->p >= t->end) break;
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) return v;
    }
    t->bad = 1;
    return 0;
}

int64_t cfs_td_i64(cfs_td *t)
{
    uint64_t u = cfs_td_uvar(t);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

int32_t cfs_td_i32(cfs_td *t)
{
    int64_t v = cfs_td_i64(t);
    if (v < INT32_MIN || v > INT32_MAX) t->bad = 1;
    return (int32_t)v;
}

/* Next field header of the current struct: its type (0 at the stop byte), id in *id. */
int cfs_td_field(cfs_td *t, int16_t *last, int16_t *id)
{
    if (t->p >= t->end) {
        t->bad = 1;
        return 0;
    }
    uint8_t b = *t->p++;
    int type = b & 0x0f;
    if (type == 0) return 0;
    if (b >> 4) *id = (int16_t)(*last + (b >> 4));
    else *id = (int16_t)cfs_td_i64(t);
    *last = *id;
    return type;
}

/* A list header: the element type; *n elements, each at least one byte, so n is
 * checked against the bytes left (a huge count is damage, not an allocation). */
int cfs_td_list(cfs_td *t, uint32_t *n)
{
    *n = 0;
    if (t->p >= t->end) {
        t->bad = 1;
        return 0;
    }
    uint8_t b = *t->p++;
    uint64_t k = b >> 4;
    if (k == 15) k = cfs_td_uvar(t);
    if (k > (uint64_t)(t->end - t->p)) {
        t->bad = 1;
        k = 0;
    }
    *n = (uint32_t)k;
    return b & 0x0f;
}

const uint8_t *cfs_td_binary(cfs_td *t, size_t *n)
{
    uint64_t k = cfs_td_uvar(t);
    if (t->bad || k > (uint64_t)(t->end - t->p)) {
        t->bad = 1;
        *n = 0;
        return NULL;
    }
    const uint8_t *p = t->p;
    t->p += k;
    *n = (size_t)k;
    return p;
}

void cfs_td_skip(cfs_td *t, int type, int depth)
{
    if (depth > 32) {
        t->bad = 1;
        return;
    }
    switch (type) {
    case CFS_TC_BOOL_TRUE:
    case CFS_TC_BOOL_FALSE: return; /* the value is in the type nibble */
    case CFS_TC_BYTE:
        if (t->p < t->end) t->p++;
        else t->bad = 1;
        return;
    case CFS_TC_I16:
    case CFS_TC_I32:
    case CFS_TC_I64: cfs_td_uvar(t); return;
    case CFS_TC_DOUBLE:
        if (t->end - t->p >= 8) t->p += 8;
        else t->bad = 1;
        return;
    case CFS_TC_BINARY: {
        size_t n;
        cfs_td_binary(t, &n);
        return;
    }
    case CFS_TC_LIST:
    case CFS_TC_SET: {
        uint32_t n;
        int et = cfs_td_list(t, &n);
        for (uint32_t i = 0; i < n && !t->bad; i++) {
            /* list elements of boolean type are one byte each */
            if (et == CFS_TC_BOOL_TRUE || et == CFS_TC_BOOL_FALSE) cfs_td_skip(t, CFS_TC_BYTE, depth + 1);
            else cfs_td_skip(t, et, depth + 1);
        }
        return;
    }
    case CFS_TC_MAP: {
        uint64_t n = cfs_td_uvar(t);
        if (n == 0) return;
        if (t->p >= t->end || n > (uint64_t)(t->end - t->p)) {
            t->bad = 1;
            return;
        }
        uint8_t kv = *t->p++;
        for (uint64_t i = 0; i < n && !t->bad; i++) {
            cfs_td_skip(t, kv >> 4, depth + 1);
            cfs_td_skip(t, kv & 0x0f, depth + 1);
        }
        return;
    }
    case CFS_TC_STRUCT: {
        int16_t last = 0, id;
        int ft;
        while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) cfs_td_skip(t, ft, depth + 1);
        return;
    }
    default: t->bad = 1;
    }
}
