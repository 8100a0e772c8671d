/* Parquet reader (see parquet_read.h): CloudFront v2 Parquet logs to W3C text.
 *
 * The footer (Thrift compact FileMetaData) is parsed once; then, row group after row
 * group, every projected column keeps a cursor in its column chunk: its dictionary (one
 * page, decoded once per chunk) and its current data page (decompressed into the column's
 * own buffer, or read in place when UNCOMPRESSED).  Values are decoded BATCH at a time
 * into spans, never across a page boundary, so a span stays valid until its batch is
 * used; rows are assembled from the columns' batches into text pieces.
 *
 * Memory: per projected column one decompressed data page and one dictionary page (each
 * at most MAX_PAGE bytes, as declared in its header and checked against the codec's own
 * size) plus 16 bytes per dictionary entry (their count rounded up to a power of two, at
 * least 256: DICT_PAD) and BATCH spans; plus the output piece (one
 * row at least) and the footer's chunk table (40 bytes per row group and projected
 * column).  Nothing grows with the number of rows.
 *
 * Untrusted input: every offset, length and count from the file is checked against the
 * bytes that hold it before it is used (a list of n elements needs n bytes, a page of n
 * values lies inside its chunk, an index lies inside its dictionary), so a damaged or
 * hostile file is an error message, never a crash or an allocation the file cannot back.
 * Format facts: apache/parquet-format src/main/thrift/parquet.thrift and Encodings.md. */
#include "pipeline/parquet_read.h"

#include <libdeflate.h>
#include <math.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pipeline/decode.h"
#include "pipeline/fields.h"
#include "pipeline/le.h"
#include "pipeline/thrift.h"
#include "pipeline/xalloc.h"

/* ---- parquet.thrift enum values ---------------------------------------------------- */
enum {
    PT_BOOLEAN = 0,
    PT_INT32 = 1,
    PT_INT64 = 2,
    PT_INT96 = 3,
    PT_FLOAT = 4,
    PT_DOUBLE = 5,
    PT_BYTE_ARRAY = 6,
    PT_FIXED_LEN_BYTE_ARRAY = 7
};
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1, REP_REPEATED = 2 };
/* ConvertedType, the older annotation a LogicalType supersedes (parquet.thrift) */
enum {
    CT_UTF8 = 0,
    CT_ENUM = 4,
    CT_DECIMAL = 5,
    CT_DATE = 6,
    CT_TIME_MILLIS = 7,
    CT_TIME_MICROS = 8,
    CT_TIMESTAMP_MILLIS = 9,
    CT_TIMESTAMP_MICROS = 10,
    CT_UINT_8 = 11,
    CT_UINT_64 = 14,
    CT_INT_8 = 15,
    CT_INT_64 = 18,
    CT_JSON = 19
};
/* LogicalType's members (a union: the member's field id names it) */
enum {
    LT_STRING = 1,
    LT_ENUM = 4,
    LT_DECIMAL = 5,
    LT_DATE = 6,
    LT_TIME = 7,
    LT_TIMESTAMP = 8,
    LT_INTEGER = 10,
    LT_UNKNOWN = 11,
    LT_JSON = 12
};
/* How a column's values become text (vkind_of): as stored, or by their annotation. */
typedef enum vkind { VK_AS_IS, VK_DATE, VK_DECIMAL, VK_TIME, VK_TIMESTAMP, VK_UNSIGNED } vkind;
/* TIME and TIMESTAMP units (TimeUnit's members) and their ticks a second */
enum { UNIT_MILLIS = 1, UNIT_MICROS = 2, UNIT_NANOS = 3 };
enum {
    ENC_PLAIN = 0,
    ENC_PLAIN_DICTIONARY = 2,
    ENC_RLE = 3,
    ENC_DELTA_BINARY_PACKED = 5,
    ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    ENC_RLE_DICTIONARY = 8
};
enum { CODEC_UNCOMPRESSED = 0, CODEC_SNAPPY = 1, CODEC_GZIP = 2, CODEC_ZSTD = 6 };
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };

static const char *const codec_names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                          "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
static const char *const enc_names[] = {
    "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
    "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
    "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};

#define BATCH 1024
/* A page (or dictionary) may declare at most this many uncompressed bytes: CloudFront's
 * and DuckDB's pages are about 1 MiB, cfscan's own writer caps them at 256 MiB but cuts
 * them at 1 MiB.  A larger claim is refused rather than allocated. */
#define MAX_PAGE ((size_t)128 << 20)
/* FileMetaData of a log file is kilobytes; a row group of 45 columns takes a few KB. */
#define MAX_FOOTER ((size_t)64 << 20)
#define MAX_LEAVES 4096
#define NUM_TEXT 48 /* bytes for one number as text: a DECIMAL(38) with its sign and "0." */

typedef struct span {
    const char *p; /* NULL: null value */
    uint32_t n;
    uint32_t esc; /* how many TAB, LF and CR it holds (escaped when written), | ESC_CTRL */
} span;
/* In span.esc: the value holds another control byte (below 0x20, or DEL).  The scan
 * classifies a rejected line holding one as binary, so a row holding one goes as text
 * (cfs_pqr_next_rows). */
#define ESC_CTRL 0x80000000u
/* A null or empty value: "-", as CloudFront writes an empty field. */
static const span k_dash = {"-", 1, 0};
/* A dictionary's spans are a power of two, at least DICT_PAD: every index of the width
 * a writer gives a dictionary of that many entries (the fewest bits that hold its last
 * index) falls in them.  Those past the last entry are k_past_dict, whose length no value
 * has (a page is at most MAX_PAGE bytes), so that a batch of indices is looked up without
 * a check on each and the sum of its lengths says whether one was out of range
 * (fill_batch). */
#define DICT_PAD 256
#define PAST_DICT_N 0x80000000u
static const span k_past_dict = {"-", PAST_DICT_N, 0};
/* The esc of a batch without any value to escape. */
static const uint32_t k_no_esc[BATCH];
#define ESC_COUNT(e) ((e) & ~ESC_CTRL)

/* RLE / bit-packed hybrid (Encodings.md "Run Length Encoding / Bit-Packing Hybrid"). */
typedef struct rle {
    const uint8_t *p, *end;
    unsigned bw;
    uint64_t rle_left, bp_left;
    uint32_t rle_val;
    uint64_t acc;
    unsigned acc_bits;
    int bad; /* a run header did not parse: every later read fails */
} rle;

/* DELTA_BINARY_PACKED (Encodings.md): a header <block size> <miniblocks per block>
 * <total count> <first value>, then blocks of <min delta> <one bit width per miniblock>
 * <miniblocks of bit-packed deltas>.  Read lazily, one value at a time. */
typedef struct dbp {
    const uint8_t *p, *end;
    uint64_t per_mini, nmini, left;
    int64_t prev, min_delta;
    int first_pending;
    const uint8_t *widths, *mini_start;
    uint64_t mini_idx, mini_left;
    unsigned bw, acc_bits;
    uint64_t acc;
} dbp;

typedef struct chunk {
    uint64_t start, end; /* byte range of the column chunk (dictionary page first) */
    uint64_t num_values;
    int codec;
} chunk;

typedef struct pcol {
    int leaf, field, ptype, optional;
    vkind vk;        /* how its values become text (vkind_of) */
    int scale, unit; /* VK_DECIMAL: digits after the point; VK_TIME, VK_TIMESTAMP: UNIT_* */
    int tlen;        /* PT_FIXED_LEN_BYTE_ARRAY: the bytes of a value */
    int skip;        /* a cursor's column it does not decode (cfs_pqr_range): every value "-" */
    char name[64];   /* the Parquet column name, for messages */
    /* chunk cursor */
    const uint8_t *cp, *cend;
    uint64_t values_left;
    int codec;
    /* dictionary of this chunk */
    span *dict;
    uint32_t ndict, dict_cap;
    uint8_t *dict_buf; /* decompressed dictionary page */
    size_t dict_buf_cap;
    char *dict_text; /* numeric entries as text */
    size_t dict_text_cap;
    int have_dict;
    uint32_t dict_esc_or; /* every entry's esc OR-ed */
    uint64_t dict_tmax;   /* the longest entry as text */
    /* data page */
    uint8_t *page;
    size_t page_cap;
    uint32_t page_left; /* values left in the page */
    int has_defs, enc;
    rle defs, idx;
    dbp delta;                /* DELTA_BINARY_PACKED values, or DELTA_LENGTH_BYTE_ARRAY lengths */
    const uint8_t *dp, *dend; /* DELTA_LENGTH_BYTE_ARRAY: the concatenated values */
    const uint8_t *vp, *vend; /* PLAIN values */
    unsigned bool_bit;
    /* batch: its values as the text writes them ("-" for a null or empty one), their
     * span.esc, and their lengths as text summed from the batch's start (tsum[i] is that of
     * values [0, i)); esc_or and tmax: every esc OR-ed and the longest text, which tell a
     * window (cfs_pqr_next_rows) whether any row needs a closer look */
    cfs_span val[BATCH];
    uint32_t esc[BATCH];
    uint64_t tsum[BATCH + 1];
    uint32_t esc_or;
    uint64_t tmax;
    uint32_t bpos, bn;
    char num[BATCH * NUM_TEXT];
} pcol;

struct cfs_pqr {
    const uint8_t *f;
    size_t n;
    uint64_t num_rows, rows_done;
    uint32_t nrg, rg;
    uint64_t *rg_rows;
    chunk *chunks; /* nrg x ncol */
    pcol *col;
    uint32_t ncol;
    uint64_t rg_left; /* rows left in the current row group */
    int rg_open;
    char *out;
    size_t out_cap, out_n;
    char *header;
    size_t header_n;
    int header_done, done, failed; /* failed: 1 error returned, 2 error pending */
    char pending[200];
    cfs_status pending_st;
    struct libdeflate_decompressor *ld;
    ZSTD_DCtx *zd;
    uint32_t tmp[BATCH];
    uint32_t tmp2[BATCH];
    /* The window (window()): each column's values and esc from the window's first row */
    const cfs_span *seg[CFS_F_COUNT];
    const uint32_t *segesc[CFS_F_COUNT];
    uint8_t as_text[BATCH]; /* cfs_pqr_next_rows: the rows that go as text */
    cfs_span *dash;         /* BATCH values "-", for the columns skipped */
    /* A cursor of cfs_pqr_range: rows of row groups [rg, nrg) only; chunks, rg_rows and
     * header belong to the file's reader (shared), which outlives the cursor. */
    int shared;
    uint64_t text_bytes; /* the rows handed out, as text */
};

static cfs_status fail(char *err, size_t errlen, cfs_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static cfs_status fail(char *err, size_t errlen, cfs_status st, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

int cfs_pqr_sniff(const unsigned char *p, size_t n)
{
    return n >= 12 && memcmp(p, "PAR1", 4) == 0 && memcmp(p + n - 4, "PAR1", 4) == 0;
}

/* Thrift compact-protocol decoding: cfs_td (thrift.h). */

/* ---- footer -------------------------------------------------------------------------- */
typedef struct leaf {
    int ptype, rep, nchild, conv, tlen;
    int scale; /* DECIMAL: from the LogicalType, else the SchemaElement's */
    int lt;    /* the LogicalType's member (LT_*), 0 without one */
    int unit;  /* TIME, TIMESTAMP: UNIT_*, 0 when not named */
    int unsig; /* INTEGER: isSigned false */
    const uint8_t *name;
    size_t name_n;
} leaf;

/* A TimeUnit: a union of empty structs, whose member's id is the unit. */
static int parse_unit(cfs_td *t)
{
    int16_t last = 0, id;
    int ft, unit = 0;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        if (ft == CFS_TC_STRUCT && id >= UNIT_MILLIS && id <= UNIT_NANOS) unit = id;
        cfs_td_skip(t, ft, 2);
    }
    return unit;
}

/* The member's struct: DecimalType {1: scale, 2: precision}, TimeType and TimestampType
 * {1: isAdjustedToUTC, 2: unit}, IntType {1: bitWidth, 2: isSigned}; a bool's value is its
 * field type in the compact protocol. */
static void parse_member(cfs_td *t, leaf *l)
{
    int16_t last = 0, id;
    int ft;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        if (l->lt == LT_DECIMAL && id == 1 && ft == CFS_TC_I32) l->scale = cfs_td_i32(t);
        else if ((l->lt == LT_TIME || l->lt == LT_TIMESTAMP) && id == 2 && ft == CFS_TC_STRUCT)
            l->unit = parse_unit(t);
        else if (l->lt == LT_INTEGER && id == 2 && (ft == CFS_TC_BOOL_TRUE || ft == CFS_TC_BOOL_FALSE))
            l->unsig = ft == CFS_TC_BOOL_FALSE;
        else cfs_td_skip(t, ft, 2);
    }
}

static void parse_logical(cfs_td *t, leaf *l)
{
    /* LogicalType is a union: the id of its one member names the type */
    int16_t last = 0, id;
    int ft;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        l->lt = id;
        if (ft == CFS_TC_STRUCT) parse_member(t, l);
        else cfs_td_skip(t, ft, 1);
    }
}

static void parse_schema_element(cfs_td *t, leaf *l)
{
    memset(l, 0, sizeof *l);
    l->ptype = -1;
    l->conv = -1;
    int16_t last = 0, id;
    int ft, conv_scale = 0;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        if (id == 1 && ft == CFS_TC_I32) l->ptype = cfs_td_i32(t);
        else if (id == 2 && ft == CFS_TC_I32) l->tlen = cfs_td_i32(t);
        else if (id == 7 && ft == CFS_TC_I32) conv_scale = cfs_td_i32(t);
        else if (id == 3 && ft == CFS_TC_I32) l->rep = cfs_td_i32(t);
        else if (id == 4 && ft == CFS_TC_BINARY) l->name = cfs_td_binary(t, &l->name_n);
        else if (id == 5 && ft == CFS_TC_I32) l->nchild = cfs_td_i32(t);
        else if (id == 6 && ft == CFS_TC_I32) l->conv = cfs_td_i32(t);
        else if (id == 10 && ft == CFS_TC_STRUCT) parse_logical(t, l);
        else cfs_td_skip(t, ft, 1);
    }
    if (l->lt == 0 && l->conv == CT_DECIMAL) l->scale = conv_scale;
}

/* Leaf l's physical type and its annotation, as parquet.thrift names them, for messages:
 * "FIXED_LEN_BYTE_ARRAY(16) DECIMAL(scale 3)". */
static void describe_leaf(const leaf *l, char *o, size_t cap)
{
    static const char *const pt[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                                     "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    static const char *const lts[] = {"",        "STRING",  "MAP",      "LIST",      "ENUM",
                                      "DECIMAL", "DATE",    "TIME",     "TIMESTAMP", "INTERVAL",
                                      "INTEGER", "UNKNOWN", "JSON",     "BSON",      "UUID",
                                      "FLOAT16", "VARIANT", "GEOMETRY", "GEOGRAPHY"};
    static const char *const cts[] = {"UTF8",
                                      "MAP",
                                      "MAP_KEY_VALUE",
                                      "LIST",
                                      "ENUM",
                                      "DECIMAL",
                                      "DATE",
                                      "TIME_MILLIS",
                                      "TIME_MICROS",
                                      "TIMESTAMP_MILLIS",
                                      "TIMESTAMP_MICROS",
                                      "UINT_8",
                                      "UINT_16",
                                      "UINT_32",
                                      "UINT_64",
                                      "INT_8",
                                      "INT_16",
                                      "INT_32",
                                      "INT_64",
                                      "JSON",
                                      "BSON",
                                      "INTERVAL"};
    size_t k = 0;
    if (l->ptype >= 0 && l->ptype < (int)(sizeof pt / sizeof *pt))
        k = (size_t)snprintf(o, cap, "%s", pt[l->ptype]);
    else k = (size_t)snprintf(o, cap, "physical type %d", l->ptype);
    if (l->ptype == PT_FIXED_LEN_BYTE_ARRAY && k < cap)
        k += (size_t)snprintf(o + k, cap - k, "(%d)", l->tlen);
    if (k >= cap) return;
    if (l->lt > 0 && l->lt < (int)(sizeof lts / sizeof *lts))
        k += (size_t)snprintf(o + k, cap - k, " %s", lts[l->lt]);
    else if (l->lt > 0) k += (size_t)snprintf(o + k, cap - k, " logical type %d", l->lt);
    else if (l->conv >= 0 && l->conv < (int)(sizeof cts / sizeof *cts))
        k += (size_t)snprintf(o + k, cap - k, " %s", cts[l->conv]);
    else if (l->conv >= 0) k += (size_t)snprintf(o + k, cap - k, " converted type %d", l->conv);
    if (k < cap && (l->lt == LT_DECIMAL || (l->lt == 0 && l->conv == CT_DECIMAL)))
        snprintf(o + k, cap - k, "(scale %d)", l->scale);
}

/* How leaf l's values are written as text, or -1 with *why set when cfscan cannot write
 * them as the value they stand for: a number must not be read as another (a DECIMAL's
 * unscaled integer, microseconds as seconds).  The LogicalType decides, else the
 * ConvertedType (parquet-format LogicalTypes.md). */
static int vkind_of(const leaf *l, int *unit, const char **why)
{
    const int p = l->ptype, ints = p == PT_INT32 || p == PT_INT64;
    int lt = l->lt;
    *unit = l->unit;
    if (lt == 0) {
        /* the ConvertedType as the LogicalType it stands for */
        switch (l->conv) {
        case -1:
        case CT_UTF8:
        case CT_ENUM:
        case CT_JSON: break;
        case CT_DECIMAL: lt = LT_DECIMAL; break;
        case CT_DATE: lt = LT_DATE; break;
        case CT_TIME_MILLIS:
        case CT_TIME_MICROS:
            lt = LT_TIME;
            *unit = l->conv == CT_TIME_MILLIS ? UNIT_MILLIS : UNIT_MICROS;
            break;
        case CT_TIMESTAMP_MILLIS:
        case CT_TIMESTAMP_MICROS:
            lt = LT_TIMESTAMP;
            *unit = l->conv == CT_TIMESTAMP_MILLIS ? UNIT_MILLIS : UNIT_MICROS;
            break;
        default:
            if (l->conv >= CT_UINT_8 && l->conv <= CT_UINT_64) return ints ? VK_UNSIGNED : VK_AS_IS;
            if (l->conv >= CT_INT_8 && l->conv <= CT_INT_64) return VK_AS_IS;
            *why = "an annotation (ConvertedType) cfscan does not read";
            return -1;
        }
    }
    if (p == PT_INT96) {
        /* the legacy timestamp of Impala and Spark: nanoseconds of a Julian day */
        *unit = UNIT_NANOS;
        return VK_TIMESTAMP;
    }
    switch (lt) {
    case 0:
    case LT_STRING:
    case LT_ENUM:
    case LT_JSON:
    case LT_UNKNOWN:
        if (p == PT_FIXED_LEN_BYTE_ARRAY) break;
        return VK_AS_IS;
    case LT_INTEGER: return ints && l->unsig ? VK_UNSIGNED : VK_AS_IS;
    case LT_DATE:
        if (p != PT_INT32) break;
        return VK_DATE;
    case LT_DECIMAL:
        if (l->scale < 0 || l->scale > 38) break;
        if (ints || (p == PT_FIXED_LEN_BYTE_ARRAY && l->tlen >= 1 && l->tlen <= 16)) return VK_DECIMAL;
        break;
    case LT_TIME:
    case LT_TIMESTAMP:
        if (*unit < UNIT_MILLIS || (lt == LT_TIME && *unit == UNIT_MILLIS ? p != PT_INT32 : p != PT_INT64))
            break;
        return lt == LT_TIME ? VK_TIME : VK_TIMESTAMP;
    default: *why = "a logical type cfscan does not read"; return -1;
    }
    *why = "an annotation its physical type cannot hold, or one cfscan does not read in it";
    return -1;
}

typedef struct cmeta {
    int type, codec, has;
    int64_t num_values, total_compressed, data_off, dict_off;
} cmeta;

static void parse_column_meta(cfs_td *t, cmeta *m)
{
    int16_t last = 0, id;
    int ft;
    m->has = 1;
    m->dict_off = -1;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        if (id == 1 && ft == CFS_TC_I32) m->type = cfs_td_i32(t);
        else if (id == 4 && ft == CFS_TC_I32) m->codec = cfs_td_i32(t);
        else if (id == 5 && ft == CFS_TC_I64) m->num_values = cfs_td_i64(t);
        else if (id == 7 && ft == CFS_TC_I64) m->total_compressed = cfs_td_i64(t);
        else if (id == 9 && ft == CFS_TC_I64) m->data_off = cfs_td_i64(t);
        else if (id == 11 && ft == CFS_TC_I64) m->dict_off = cfs_td_i64(t);
        else cfs_td_skip(t, ft, 2);
    }
}

static void parse_column_chunk(cfs_td *t, cmeta *m)
{
    memset(m, 0, sizeof *m);
    int16_t last = 0, id;
    int ft;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        if (id == 1 && ft == CFS_TC_BINARY) {
            /* file_path: the chunk lives in another file; log files never do that */
            size_t n;
            cfs_td_binary(t, &n);
            m->type = -2;
        } else if (id == 3 && ft == CFS_TC_STRUCT) parse_column_meta(t, m);
        else cfs_td_skip(t, ft, 2);
    }
}

/* Column name to log field: "x_edge_location" -> "x-edge-location", "timestamp_ms" ->
 * "timestamp(ms)"; fields.c resolves "cs-user-agent" and friends (the real-time names)
 * to cs(User-Agent) etc. */
int cfs_pqr_field_name(const char *col, size_t n, char *out, size_t outlen)
{
    if (outlen == 0) return CFS_F_UNKNOWN;
    out[0] = 0;
    if (n == 0 || n >= outlen || n > 64) return CFS_F_UNKNOWN;
    for (size_t i = 0; i < n; i++) out[i] = col[i] == '_' ? '-' : col[i];
    out[n] = 0;
    if (cfs_ascii_ieq(out, n, "timestamp-ms", 12)) snprintf(out, outlen, "%s", "timestamp(ms)");
    cfs_field f = cfs_field_lookup(out, strlen(out));
    if (f != CFS_F_UNKNOWN) snprintf(out, outlen, "%s", cfs_field_name(f));
    return (int)f;
}

/* Column chunk k of row group i, as parse_column_chunk read it (m), into the chunk table
 * when its column is read (proj[k] >= 0): its type and codec must be the schema's and
 * readable, and its bytes lie inside the file's data (before the footer, data_end). */
static cfs_status take_chunk(cfs_pqr *r, const cmeta *m, uint32_t i, int proj_k, size_t data_end, char *err,
                             size_t errlen)
{
    if (proj_k < 0) return CFS_OK;
    pcol *c = &r->col[proj_k];
    chunk *ch = &r->chunks[(size_t)i * r->ncol + (size_t)proj_k];
    if (!m->has || m->type == -2)
        return fail(err, errlen, CFS_E_UNSUPPORTED,
                    "Parquet column %s in row group %u has no metadata or lives in another file", c->name, i);
    if (m->type != c->ptype)
        return fail(err, errlen, CFS_E_CORRUPT,
                    "Parquet column %s: chunk type %d differs from the schema's %d", c->name, m->type,
                    c->ptype);
    if (m->codec != CODEC_UNCOMPRESSED && m->codec != CODEC_SNAPPY && m->codec != CODEC_GZIP &&
        m->codec != CODEC_ZSTD)
        return fail(err, errlen, CFS_E_UNSUPPORTED,
                    "Parquet column %s uses codec %s, which cfscan does not read (it reads "
                    "UNCOMPRESSED, SNAPPY, GZIP and ZSTD)",
                    c->name, m->codec >= 0 && m->codec < 8 ? codec_names[m->codec] : "unknown");
    int64_t start = m->data_off;
    if (m->dict_off > 0 && m->dict_off < start) start = m->dict_off;
    if (start < 4 || m->total_compressed < 0 || (uint64_t)start > data_end ||
        (uint64_t)m->total_compressed > data_end - (uint64_t)start || m->num_values < 0 ||
        m->data_off > start + m->total_compressed)
        return fail(
            err, errlen, CFS_E_CORRUPT,
            "Parquet column %s in row group %u: offset %lld and length %lld lie outside the file's data",
            c->name, i, (long long)start, (long long)m->total_compressed);
    ch->start = (uint64_t)start;
    ch->end = (uint64_t)start + (uint64_t)m->total_compressed;
    ch->num_values = (uint64_t)m->num_values;
    ch->codec = m->codec;
    return CFS_OK;
}

/* Row group i (a RowGroup struct at g): its column chunks (nleaf of them, the read ones
 * into the chunk table) and its row count, which every read column must hold.  Returns
 * CFS_OK with *rows set, or the error; a RowGroup that does not parse leaves g->bad or
 * *rows < 0 for the caller to report. */
static cfs_status parse_row_group(cfs_pqr *r, cfs_td *g, uint32_t i, uint32_t nleaf, const int *proj,
                                  size_t data_end, int64_t *rows, char *err, size_t errlen)
{
    int16_t gl = 0, gid;
    int gt;
    uint32_t ncc = 0;
    *rows = -1;
    while (!g->bad && (gt = cfs_td_field(g, &gl, &gid)) != 0) {
        if (gid == 1 && gt == CFS_TC_LIST) {
            int ct = cfs_td_list(g, &ncc);
            if (ct != CFS_TC_STRUCT || ncc != nleaf)
                return fail(err, errlen, CFS_E_CORRUPT,
                            "Parquet row group %u has %u column chunks for %u columns", i, ncc, nleaf);
            for (uint32_t k = 0; k < ncc && !g->bad; k++) {
                cmeta m;
                parse_column_chunk(g, &m);
                if (g->bad) break;
                cfs_status st = take_chunk(r, &m, i, proj[k], data_end, err, errlen);
                if (st != CFS_OK) return st;
            }
        } else if (gid == 3 && gt == CFS_TC_I64) *rows = cfs_td_i64(g);
        else cfs_td_skip(g, gt, 1);
    }
    if (g->bad || *rows < 0) return CFS_OK;
    if (ncc != nleaf) return fail(err, errlen, CFS_E_CORRUPT, "Parquet row group %u lists no columns", i);
    for (uint32_t c = 0; c < r->ncol; c++) {
        const uint64_t nv = r->chunks[(size_t)i * r->ncol + c].num_values;
        if (nv != (uint64_t)*rows)
            return fail(err, errlen, CFS_E_CORRUPT,
                        "Parquet column %s in row group %u holds %llu values for %lld rows", r->col[c].name,
                        i, (unsigned long long)nv, (long long)*rows);
    }
    return CFS_OK;
}

/* The footer's row-group list (at rgs, NULL when it has none, up to end): every row
 * group's chunks and rows, which must add up to r->num_rows. */
static cfs_status parse_row_groups(cfs_pqr *r, const uint8_t *rgs, const uint8_t *end, size_t data_end,
                                   uint32_t nleaf, const int *proj, char *err, size_t errlen)
{
    if (!rgs) {
        if (r->num_rows != 0)
            return fail(err, errlen, CFS_E_CORRUPT, "Parquet footer says %llu rows and has no row group",
                        (unsigned long long)r->num_rows);
        return CFS_OK;
    }
    cfs_td g = {rgs, end, 0};
    uint32_t nrg;
    int et = cfs_td_list(&g, &nrg);
    if (et != CFS_TC_STRUCT && nrg) g.bad = 1;
    if (!g.bad && nrg) {
        r->rg_rows = cfs_calloc(nrg, sizeof *r->rg_rows, "reading Parquet row groups");
        r->chunks = cfs_calloc((size_t)nrg * (r->ncol ? r->ncol : 1), sizeof *r->chunks,
                               "reading Parquet row groups");
        if (!r->rg_rows || !r->chunks) return cfs_nomem_status("reading Parquet row groups", err, errlen);
    }
    uint64_t sum = 0;
    for (uint32_t i = 0; i < nrg && !g.bad; i++) {
        int64_t rows;
        cfs_status st = parse_row_group(r, &g, i, nleaf, proj, data_end, &rows, err, errlen);
        if (st != CFS_OK) return st;
        if (g.bad || rows < 0) break;
        r->rg_rows[i] = (uint64_t)rows;
        sum += (uint64_t)rows;
        r->nrg = i + 1;
    }
    if (g.bad || r->nrg != nrg)
        return fail(err, errlen, CFS_E_CORRUPT, "%s",
                    "Parquet footer is damaged (a row group does not parse)");
    if (sum != r->num_rows)
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet footer says %llu rows, its row groups hold %llu",
                    (unsigned long long)r->num_rows, (unsigned long long)sum);
    return CFS_OK;
}

static cfs_status parse_footer(cfs_pqr *r, char *err, size_t errlen)
{
    size_t flen = (size_t)cfs_le_get(r->f + r->n - 8, 4);
    if (flen > r->n - 12 || flen > MAX_FOOTER || flen < 2)
        return fail(err, errlen, CFS_E_CORRUPT,
                    "Parquet footer length %zu does not fit the file of %zu bytes", flen, r->n);
    const uint8_t *fp = r->f + r->n - 8 - flen;
    cfs_td t = {fp, fp + flen, 0};
    leaf *lv = NULL;
    uint32_t nschema = 0;
    int64_t num_rows = -1;
    const uint8_t *rgs = NULL;
    int16_t last = 0, id;
    int ft;
    cfs_status st = CFS_OK;
    while (!t.bad && (ft = cfs_td_field(&t, &last, &id)) != 0) {
        if (id == 2 && ft == CFS_TC_LIST && !lv) {
            int et = cfs_td_list(&t, &nschema);
            if (et != CFS_TC_STRUCT || nschema < 2 || nschema > MAX_LEAVES + 1) {
                t.bad = 1;
                break;
            }
            lv = cfs_calloc(nschema, sizeof *lv, "reading a Parquet schema");
            if (!lv) return cfs_nomem_status("reading a Parquet schema", err, errlen);
            for (uint32_t i = 0; i < nschema && !t.bad; i++) parse_schema_element(&t, &lv[i]);
        } else if (id == 3 && ft == CFS_TC_I64) num_rows = cfs_td_i64(&t);
        else if (id == 4 && ft == CFS_TC_LIST) {
            rgs = t.p; /* parsed below, once the schema says which columns are read */
            cfs_td_skip(&t, ft, 1);
        } else cfs_td_skip(&t, ft, 1);
    }
    if (t.bad || !lv || num_rows < 0) {
        free(lv);
        return fail(err, errlen, CFS_E_CORRUPT, "%s",
                    "Parquet footer is damaged (FileMetaData does not parse)");
    }
    /* A flat schema: the root, then nschema - 1 leaves. */
    uint32_t nleaf = nschema - 1;
    if (lv[0].nchild < 0 || (uint32_t)lv[0].nchild != nleaf) {
        free(lv);
        return fail(err, errlen, CFS_E_UNSUPPORTED, "%s",
                    "Parquet schema is nested (cfscan reads flat tables, as CloudFront writes them)");
    }
    r->col = cfs_calloc(nleaf < CFS_F_COUNT ? nleaf : CFS_F_COUNT, sizeof *r->col, "reading Parquet columns");
    if (!r->col) {
        free(lv);
        return cfs_nomem_status("reading Parquet columns", err, errlen);
    }
    int taken[CFS_F_COUNT], twice = CFS_F_UNKNOWN;
    memset(taken, 0, sizeof taken);
    int *proj = cfs_calloc(nleaf, sizeof *proj, "reading a Parquet schema");
    if (!proj) {
        free(lv);
        return cfs_nomem_status("reading a Parquet schema", err, errlen);
    }
    for (uint32_t i = 0; i < nleaf; i++) {
        leaf *l = &lv[i + 1];
        proj[i] = -1;
        if (l->nchild > 0 || l->rep == REP_REPEATED) {
            st = fail(
                err, errlen, CFS_E_UNSUPPORTED, "%s",
                "Parquet schema is nested or repeated (cfscan reads flat tables, as CloudFront writes them)");
            goto out;
        }
        char nm[72];
        int f = cfs_pqr_field_name((const char *)l->name, l->name_n, nm, sizeof nm);
        if (f == CFS_F_UNKNOWN) continue; /* not read */
        if (taken[f]) {
            /* a field named twice: which column holds it?  The header names it twice, so
             * that the rows are rejected as bad_header, as a text log's lines would be */
            twice = f;
            continue;
        }
        const char *why = "a physical type cfscan does not read";
        int unit = 0, vk = l->ptype >= PT_BOOLEAN && l->ptype <= PT_FIXED_LEN_BYTE_ARRAY
                               ? vkind_of(l, &unit, &why)
                               : -1;
        if (vk < 0) {
            char what[96];
            describe_leaf(l, what, sizeof what);
            st = fail(err, errlen, CFS_E_UNSUPPORTED, "Parquet column %.*s is %s: %s",
                      (int)(l->name_n > 64 ? 64 : l->name_n), (const char *)l->name, what, why);
            goto out;
        }
        taken[f] = 1;
        pcol *c = &r->col[r->ncol];
        c->leaf = (int)i;
        c->field = f;
        c->ptype = l->ptype;
        c->optional = l->rep == REP_OPTIONAL;
        c->vk = (vkind)vk;
        c->scale = l->scale;
        c->unit = unit;
        c->tlen = l->tlen;
        snprintf(c->name, sizeof c->name, "%.*s", (int)(l->name_n > 60 ? 60 : l->name_n),
                 (const char *)l->name);
        proj[i] = (int)r->ncol++;
    }
    /* the header: "#Version: 1.0" and "#Fields:" with the projected columns' log names */
    {
        size_t cap = 64 + ((size_t)r->ncol + 1) * 40; /* names are under 40 bytes */
        r->header = cfs_malloc(cap, "reading a Parquet schema");
        if (!r->header) {
            st = cfs_nomem_status("reading a Parquet schema", err, errlen);
            goto out;
        }
        size_t k = (size_t)snprintf(r->header, cap, "#Version: 1.0\n#Fields:");
        for (uint32_t c = 0; c < r->ncol; c++)
            k += (size_t)snprintf(r->header + k, cap - k, " %s", cfs_field_name((cfs_field)r->col[c].field));
        if (twice != CFS_F_UNKNOWN)
            k += (size_t)snprintf(r->header + k, cap - k, " %s", cfs_field_name((cfs_field)twice));
        k += (size_t)snprintf(r->header + k, cap - k, "\n");
        r->header_n = k;
    }
    /* row groups */
    r->num_rows = (uint64_t)num_rows;
    st = parse_row_groups(r, rgs, fp + flen, r->n - 8 - flen, nleaf, proj, err, errlen);
out:
    free(proj);
    free(lv);
    return st;
}

cfs_status cfs_pqr_open(cfs_pqr **out, const unsigned char *p, size_t n, char *err, size_t errlen)
{
    *out = NULL;
    if (!cfs_pqr_sniff(p, n))
        return fail(err, errlen, CFS_E_TRUNCATED, "%s", /* as a gzip or zstd file cut short */
                    "Parquet file is truncated (no \"PAR1\" at its end, or under 12 bytes)");
    cfs_pqr *r = cfs_calloc(1, sizeof *r, "reading a Parquet file");
    if (!r) return cfs_nomem_status("reading a Parquet file", err, errlen);
    r->f = p;
    r->n = n;
    cfs_status st = parse_footer(r, err, errlen);
    if (st != CFS_OK) {
        cfs_pqr_close(r);
        return st;
    }
    *out = r;
    return CFS_OK;
}

/* ---- pages ---------------------------------------------------------------------------- */
typedef struct phdr {
    int type;
    int32_t usize, csize;
    int32_t nvalues, enc, def_enc; /* v1 data page, dictionary page */
    int32_t v2_nulls, v2_dlen, v2_rlen, v2_compressed;
    int has_data;
} phdr;

static void parse_page_header(cfs_td *t, phdr *h)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->usize = h->csize = -1;
    h->v2_compressed = 1; /* is_compressed defaults to true */
    int16_t last = 0, id;
    int ft;
    while (!t->bad && (ft = cfs_td_field(t, &last, &id)) != 0) {
        if (id == 1 && ft == CFS_TC_I32) h->type = cfs_td_i32(t);
        else if (id == 2 && ft == CFS_TC_I32) h->usize = cfs_td_i32(t);
        else if (id == 3 && ft == CFS_TC_I32) h->csize = cfs_td_i32(t);
        else if ((id == 5 || id == 7 || id == 8) && ft == CFS_TC_STRUCT) {
            int16_t l2 = 0, i2;
            int f2;
            h->has_data = 1;
            while (!t->bad && (f2 = cfs_td_field(t, &l2, &i2)) != 0) {
                if (f2 == CFS_TC_I32 && i2 == 1) h->nvalues = cfs_td_i32(t);
                else if (id != 8 && f2 == CFS_TC_I32 && i2 == 2) h->enc = cfs_td_i32(t);
                else if (id == 5 && f2 == CFS_TC_I32 && i2 == 3) h->def_enc = cfs_td_i32(t);
                else if (id == 8 && f2 == CFS_TC_I32 && i2 == 2) h->v2_nulls = cfs_td_i32(t);
                else if (id == 8 && f2 == CFS_TC_I32 && i2 == 4) h->enc = cfs_td_i32(t);
                else if (id == 8 && f2 == CFS_TC_I32 && i2 == 5) h->v2_dlen = cfs_td_i32(t);
                else if (id == 8 && f2 == CFS_TC_I32 && i2 == 6) h->v2_rlen = cfs_td_i32(t);
                else if (id == 8 && i2 == 7 && (f2 == CFS_TC_BOOL_TRUE || f2 == CFS_TC_BOOL_FALSE))
                    h->v2_compressed = f2 == CFS_TC_BOOL_TRUE;
                else cfs_td_skip(t, f2, 2);
            }
        } else cfs_td_skip(t, ft, 1);
    }
}

/* Decompress n bytes at src into a buffer of exactly usize bytes (*dst, grown as
 * needed); UNCOMPRESSED pages are used in place. */
static cfs_status inflate_page(cfs_pqr *r, pcol *c, const uint8_t *src, size_t n, size_t usize, uint8_t **buf,
                               size_t *cap, const uint8_t **outp, char *err, size_t errlen)
{
    if (usize > MAX_PAGE)
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: a page claims %zu bytes (more than %zu)",
                    c->name, usize, MAX_PAGE);
    if (c->codec == CODEC_UNCOMPRESSED) {
        if (n != usize)
            return fail(err, errlen, CFS_E_CORRUPT,
                        "Parquet column %s: uncompressed page of %zu bytes claims %zu", c->name, n, usize);
        *outp = src;
        return CFS_OK;
    }
    if (*cap < usize + 1) {
        uint8_t *nb = cfs_realloc(*buf, usize + 1, "decompressing a Parquet page");
        if (!nb) return cfs_nomem_status("decompressing a Parquet page", err, errlen);
        *buf = nb;
        *cap = usize + 1;
    }
    int ok = 0;
    if (c->codec == CODEC_SNAPPY) {
        size_t got = 0;
        ok = snappy_uncompressed_length((const char *)src, n, &got) == SNAPPY_OK && got == usize;
        if (ok) {
            got = usize;
            ok = snappy_uncompress((const char *)src, n, (char *)*buf, &got) == SNAPPY_OK && got == usize;
        }
    } else if (c->codec == CODEC_GZIP) {
        if (!r->ld) r->ld = libdeflate_alloc_decompressor();
        if (!r->ld) return cfs_nomem_status("decompressing a Parquet page", err, errlen);
        size_t got = 0;
        ok = libdeflate_gzip_decompress(r->ld, src, n, *buf, usize, &got) == LIBDEFLATE_SUCCESS &&
             got == usize;
    } else if (c->codec == CODEC_ZSTD) {
        if (!r->zd) r->zd = ZSTD_createDCtx();
        if (!r->zd) return cfs_nomem_status("decompressing a Parquet page", err, errlen);
        size_t got = ZSTD_decompressDCtx(r->zd, *buf, usize, src, n);
        ok = !ZSTD_isError(got) && got == usize;
    }
    if (!ok)
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: corrupt %s page", c->name,
                    codec_names[c->codec]);
    *outp = *buf;
    return CFS_OK;
}

static void rle_init(rle *d, const uint8_t *p, size_t n, unsigned bw)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = p + n;
    d->bw = bw;
}

/* The next run's header: 0, or -1 (for good: d->bad) when it does not parse. */
static int rle_next_run(rle *d)
{
    const uint32_t mask = d->bw >= 32 ? 0xffffffffu : (1u << d->bw) - 1;
    cfs_td t = {d->p, d->end, 0};
    uint64_t h = cfs_td_uvar(&t);
    if (d->bad || t.bad) goto bad;
    d->p = t.p;
    if (h & 1) {
        d->bp_left = (h >> 1) * 8;
        d->acc = 0;
        d->acc_bits = 0;
        if (d->bp_left == 0) goto bad;
    } else {
        unsigned nb = (d->bw + 7) / 8;
        if ((size_t)(d->end - d->p) < nb) goto bad;
        uint64_t v = cfs_le_get(d->p, nb);
        d->p += nb;
        if (v > mask) goto bad;
        d->rle_val = (uint32_t)v;
        d->rle_left = h >> 1;
        if (d->rle_left == 0) goto bad;
    }
    return 0;
bad:
    d->bad = 1;
    return -1;
}

/* What a walk over the hybrid's values (rle_walk) does with them: put(x, i, v) takes value
 * v as the i-th, run(x, i, k, v) takes k values v from the i-th on.  rle_walk is inlined
 * with each pair, so that neither is a call per value. */
typedef void (*rle_put_fn)(void *x, size_t i, uint32_t v);
typedef void (*rle_run_fn)(void *x, size_t i, size_t k, uint32_t v);

/* Read n values into put and run; 0 on success, -1 when the data runs out or is
 * malformed. */
static inline __attribute__((always_inline)) int rle_walk(rle *d, size_t n, rle_put_fn put, rle_run_fn run,
                                                          void *x)
{
    const uint32_t mask = d->bw >= 32 ? 0xffffffffu : (1u << d->bw) - 1;
    size_t i = 0;
    while (i < n) {
        if (d->rle_left) {
            size_t k = n - i < d->rle_left ? n - i : (size_t)d->rle_left;
            run(x, i, k, d->rle_val);
            i += k;
            d->rle_left -= k;
            continue;
        }
        if (d->bp_left) {
            size_t k = n - i < d->bp_left ? n - i : (size_t)d->bp_left;
            size_t j = 0;
            if (d->acc_bits == 0 && d->bw <= 8) {
                /* up to 8 bits a value (a dictionary of at most 256 entries, the usual
                 * one): the group's bw bytes are one load */
                const unsigned bw = d->bw;
                while (k - j >= 8 && (size_t)(d->end - d->p) >= 8) {
                    uint64_t w;
                    memcpy(&w, d->p, 8);
                    for (unsigned t = 0; t < 8; t++) put(x, i + j + t, (uint32_t)(w >> (t * bw)) & mask);
                    d->p += bw;
                    j += 8;
                }
            } else if (d->acc_bits == 0 && d->bw <= 32) {
                /* From a byte boundary, 8 values are the next bw bytes: each read with one
                 * unaligned 8-byte load while the page holds 8 bytes past them. */
                const size_t bw = d->bw;
                while (k - j >= 8 && (size_t)(d->end - d->p) >= bw + 8) {
                    for (size_t t = 0; t < 8; t++) {
                        uint64_t w;
                        memcpy(&w, d->p + ((t * bw) >> 3), 8);
                        put(x, i + j + t, (uint32_t)(w >> ((t * bw) & 7)) & mask);
                    }
                    d->p += bw;
                    j += 8;
                }
            }
            for (; j < k; j++) {
                while (d->acc_bits < d->bw) {
                    if (d->p >= d->end) return -1;
                    d->acc |= (uint64_t)*d->p++ << d->acc_bits;
                    d->acc_bits += 8;
                }
                put(x, i + j, (uint32_t)d->acc & mask);
                d->acc >>= d->bw;
                d->acc_bits -= d->bw;
            }
            i += k;
            d->bp_left -= k;
            continue;
        }
        if (rle_next_run(d) != 0) return -1;
    }
    return 0;
}

static inline void ix_put(void *x, size_t i, uint32_t v) { ((uint32_t *)x)[i] = v; }
static inline void ix_run(void *x, size_t i, size_t k, uint32_t v)
{
    for (size_t j = 0; j < k; j++) ((uint32_t *)x)[i + j] = v;
}

/* A batch of dictionary values looked up as their indices are unpacked (fill_batch):
 * the spans and their lengths summed, as fill_batch writes them. */
typedef struct dict_sink {
    const span *dict;
    cfs_span *val;
    uint64_t *tsum; /* tsum[0] is 0 */
    uint64_t sum;
} dict_sink;

static inline void dict_put(void *x, size_t i, uint32_t v)
{
    dict_sink *s = x;
    const span e = s->dict[v];
    s->val[i] = (cfs_span){e.p, e.n};
    s->sum += e.n;
    s->tsum[i + 1] = s->sum;
}

static inline void dict_run(void *x, size_t i, size_t k, uint32_t v)
{
    for (size_t j = 0; j < k; j++) dict_put(x, i + j, v);
}

/* Read n values to out; 0 on success, -1 when the data runs out or is malformed. */
static int rle_get(rle *d, uint32_t *out, size_t n) { return rle_walk(d, n, ix_put, ix_run, out); }

/* Whether the next n values are all v, within the current run (or the next, when the
 * current one is used up): then they are taken.  A column without nulls has definition
 * levels of one run of 1s per page, so its levels cost no more than this. */
static int rle_take_run(rle *d, uint32_t v, size_t n)
{
    if (!d->rle_left && !d->bp_left && rle_next_run(d) != 0) return 0; /* rle_get fails the same way */
    if (d->rle_left < n || d->rle_val != v) return 0;
    d->rle_left -= n;
    return 1;
}

/* Whether the w-byte words x hold a byte below 0x20 ((x - 0x20..) & ~x & 0x80..) or a
 * DEL (a zero byte in x ^ 0x7f..). */
#define CTL_IN_WORD(x, lo, hi) \
    ((((x) - (lo)*0x20) & ~(x) & (hi)) | ((((x) ^ ((lo)*0x7f)) - (lo)) & ~((x) ^ ((lo)*0x7f)) & (hi)))

/* Whether p[0..n) holds a byte below 0x20 or a DEL: whole blocks, the last one
 * overlapping the one before, so the usual value (none) costs a few tests. */
static inline int any_control(const char *p, size_t n)
{
    const uint64_t lo8 = 0x0101010101010101ull, hi8 = 0x8080808080808080ull;
    if (n >= 16) {
#if defined(__SSE2__)
        /* unsigned min(x, 0x1f) == x finds the bytes below 0x20 */
        const __m128i c1f = _mm_set1_epi8(0x1f), c7f = _mm_set1_epi8(0x7f);
        __m128i bad = _mm_setzero_si128();
        for (size_t i = 0;; i += 16) {
            if (i + 16 > n) i = n - 16;
            const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            bad = _mm_or_si128(bad,
                               _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x), _mm_cmpeq_epi8(x, c7f)));
            if (i + 16 == n) break;
        }
        return _mm_movemask_epi8(bad) != 0;
#endif
    }
    if (n >= 8) {
        uint64_t bad = 0;
        for (size_t i = 0;; i += 8) {
            if (i + 8 > n) i = n - 8;
            uint64_t x;
            memcpy(&x, p + i, 8);
            bad |= CTL_IN_WORD(x, lo8, hi8);
            if (i + 8 == n) break;
        }
        return bad != 0;
    }
    if (n >= 4) {
        const uint32_t lo4 = 0x01010101u, hi4 = 0x80808080u;
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        return (CTL_IN_WORD(a, lo4, hi4) | CTL_IN_WORD(b, lo4, hi4)) != 0;
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++) bad |= (unsigned char)p[i] < 0x20 || p[i] == 0x7f;
    return bad;
}

/* span.esc of a value: its TAB, LF and CR bytes counted (each is written as three), and
 * ESC_CTRL when it holds another control byte. */
static uint32_t needs_escape(const char *p, size_t n)
{
    if (!any_control(p, n)) return 0;
    uint32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f) {
            if (ch == '\t' || ch == '\n' || ch == '\r') k++;
            else k |= ESC_CTRL;
        }
    }
    return k;
}

/* Days since 1970-01-01 to YYYY-MM-DD (Howard Hinnant's civil_from_days). */
static int fmt_date(char *o, int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) y++;
    if (y < 0 || y > 9999) return snprintf(o, NUM_TEXT, "%lld", (long long)(z - 719468));
    return snprintf(o, NUM_TEXT, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

/* A FLOAT as its shortest text that reads back as the same float ("0.077", not the
 * double 0.076999999582767487 it widens to: a latency would lose a millisecond). */
static int fmt_float(char *o, float v)
{
    int k = 0;
    for (int digits = 6; digits <= 9; digits++) {
        k = snprintf(o, NUM_TEXT, "%.*g", digits, (double)v);
        if (strtof(o, NULL) == v) break;
    }
    /* a whole number is written whole, as DOUBLE's %.15g writes it ("1000000", not the
     * "1e+06" a few digits give, which a byte count would not parse as) */
    if (memchr(o, 'e', (size_t)k) && fabsf(v) < 1e15f && v == truncf(v))
        k = snprintf(o, NUM_TEXT, "%.0f", (double)v);
    return k;
}

static int fmt_double(char *o, double v)
{
    int k = snprintf(o, NUM_TEXT, "%.15g", v);
    if (strtod(o, NULL) != v) k = snprintf(o, NUM_TEXT, "%.17g", v);
    return k;
}

/* 128-bit integers, for DECIMAL(38) values (a GCC extension, as the build's compilers have). */
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* A DECIMAL's unscaled value v with scale digits after the point ("0.775" for 775 at
 * scale 3, "-0.05" for -5 at 2). */
static int fmt_decimal(char *o, i128 v, int scale)
{
    char d[48];
    int n = 0;
    u128 u = v < 0 ? -(u128)v : (u128)v;
    do {
        d[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale) d[n++] = '0'; /* at least one digit before the point */
    int k = 0;
    if (v < 0) o[k++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        o[k++] = d[i];
        if (i == scale && scale > 0) o[k++] = '.';
    }
    o[k] = 0;
    return k;
}

/* Ticks of a TIME or TIMESTAMP unit in a second, and the digits of a fraction of one. */
static int64_t unit_ticks(int unit)
{
    return unit == UNIT_MILLIS ? 1000 : unit == UNIT_MICROS ? 1000000 : 1000000000;
}
static int unit_digits(int unit) { return unit == UNIT_MILLIS ? 3 : unit == UNIT_MICROS ? 6 : 9; }

/* HH:MM:SS of second sod of a day, and the fraction when there is one (a log's time has
 * none; one that does is written, not dropped, and is then no time a log holds). */
static int fmt_clock(char *o, int64_t sod, int64_t frac, int unit)
{
    int k = snprintf(o, NUM_TEXT, "%02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac) k += snprintf(o + k, (size_t)(NUM_TEXT - k), ".%0*lld", unit_digits(unit), (long long)frac);
    return k;
}

/* A TIME of the day, ticks since midnight. */
static int fmt_time(char *o, int64_t v, int unit)
{
    const int64_t t = unit_ticks(unit);
    if (v < 0 || v / t >= 86400) return snprintf(o, NUM_TEXT, "%lld", (long long)v); /* no time of day */
    return fmt_clock(o, v / t, v % t, unit);
}

/* A TIMESTAMP, ticks since the epoch, as the field its column stands for reads it: epoch
 * milliseconds for timestamp(ms), the date or the time of day for date and time, else
 * epoch seconds with the unit's fraction (v2's timestamp: "1793491203.541"). */
static int fmt_timestamp(char *o, int64_t v, int unit, int field)
{
    const int64_t t = unit_ticks(unit);
    int64_t sec = v / t, frac = v % t;
    if (frac < 0) {
        frac += t;
        sec--;
    }
    if (field == CFS_F_TIMESTAMP_MS && frac % (t / 1000) == 0)
        return snprintf(o, NUM_TEXT, "%lld", (long long)(sec * 1000 + frac / (t / 1000)));
    int64_t day = sec / 86400, sod = sec % 86400;
    if (sod < 0) {
        sod += 86400;
        day--;
    }
    if (field == CFS_F_DATE) return fmt_date(o, day);
    if (field == CFS_F_TIME) return fmt_clock(o, sod, frac, unit);
    return snprintf(o, NUM_TEXT, "%lld.%0*lld", (long long)sec, unit_digits(unit), (long long)frac);
}

/* An INT32 or INT64 value of c (v: the INT32 widened with its sign) as text, by the
 * column's annotation (a status's zeros: status_zeros). */
static int fmt_int(const pcol *c, int64_t v, char *o)
{
    switch (c->vk) {
    case VK_DATE: return fmt_date(o, v);
    case VK_DECIMAL: return fmt_decimal(o, v, c->scale);
    case VK_TIME: return fmt_time(o, v, c->unit);
    case VK_TIMESTAMP: return fmt_timestamp(o, v, c->unit, c->field);
    case VK_UNSIGNED:
        return snprintf(o, NUM_TEXT, "%llu",
                        (unsigned long long)(c->ptype == PT_INT32 ? (uint64_t)(uint32_t)v : (uint64_t)v));
    case VK_AS_IS: break;
    }
    return snprintf(o, NUM_TEXT, "%lld", (long long)v);
}

/* A status stored as a number loses the zeros of "000" (a request without a response):
 * they are put back, whatever the number's type (signed, unsigned, DECIMAL(3,0), DOUBLE).
 * n: the length of the number's text at o; the length of the status's. */
static uint32_t status_zeros(const pcol *c, char *o, uint32_t n)
{
    if (c->field != CFS_F_SC_STATUS || n != 1 || o[0] != '0') return n;
    memcpy(o, "000", 4);
    return 3;
}

/* One PLAIN BYTE_ARRAY value at *p (bounded by end) as a span: its length, then its bytes. */
static inline int plain_bytes(const uint8_t **p, const uint8_t *end, span *s)
{
    size_t left = (size_t)(end - *p);
    if (left < 4) return -1;
    uint64_t n = cfs_le32(*p);
    if (n > left - 4) return -1;
    s->p = (const char *)*p + 4;
    s->n = (uint32_t)n;
    s->esc = needs_escape(s->p, s->n);
    *p += 4 + n;
    return 0;
}

/* One PLAIN value of c at *p (bounded by end) as a span; text of numbers goes to o. */
static int plain_value(pcol *c, const uint8_t **p, const uint8_t *end, char *o, span *s)
{
    size_t left = (size_t)(end - *p);
    switch (c->ptype) {
    case PT_BYTE_ARRAY: return plain_bytes(p, end, s);
    case PT_INT32: {
        if (left < 4) return -1;
        int32_t v = (int32_t)(uint32_t)cfs_le_get(*p, 4);
        *p += 4;
        s->n = (uint32_t)fmt_int(c, v, o);
        break;
    }
    case PT_INT64: {
        if (left < 8) return -1;
        int64_t v = (int64_t)cfs_le_get(*p, 8);
        *p += 8;
        s->n = (uint32_t)fmt_int(c, v, o);
        break;
    }
    case PT_INT96: {
        /* nanoseconds of the day, then the Julian day (2440588 is 1970-01-01) */
        if (left < 12) return -1;
        const uint64_t ns = cfs_le_get(*p, 8);
        const int64_t jd = (int64_t)(uint32_t)cfs_le_get(*p + 8, 4);
        *p += 12;
        const i128 t = (i128)(jd - 2440588) * 86400 * 1000000000 + ns;
        if (t > INT64_MAX || t < INT64_MIN)
            s->n = (uint32_t)snprintf(o, NUM_TEXT, "julian-day-%lld", (long long)jd);
        else s->n = (uint32_t)fmt_timestamp(o, (int64_t)t, UNIT_NANOS, c->field);
        break;
    }
    case PT_FIXED_LEN_BYTE_ARRAY: {
        /* a DECIMAL (vkind_of): big-endian two's complement of tlen (1..16) bytes */
        const size_t k = (size_t)c->tlen;
        if (left < k) return -1;
        u128 u = (**p & 0x80) ? ~(u128)0 : 0;
        for (size_t i = 0; i < k; i++) u = u << 8 | (*p)[i];
        *p += k;
        s->n = (uint32_t)fmt_decimal(o, (i128)u, c->scale);
        break;
    }
    case PT_FLOAT: {
        if (left < 4) return -1;
        uint32_t u = (uint32_t)cfs_le_get(*p, 4);
        float f;
        memcpy(&f, &u, 4);
        *p += 4;
        s->n = (uint32_t)fmt_float(o, f);
        break;
    }
    case PT_DOUBLE: {
        if (left < 8) return -1;
        uint64_t u = cfs_le_get(*p, 8);
        double d;
        memcpy(&d, &u, 8);
        *p += 8;
        s->n = (uint32_t)fmt_double(o, d);
        break;
    }
    case PT_BOOLEAN: {
        if (left < 1) return -1;
        int b = (**p >> c->bool_bit) & 1;
        if (++c->bool_bit == 8) {
            c->bool_bit = 0;
            (*p)++;
        }
        s->n = (uint32_t)snprintf(o, NUM_TEXT, "%s", b ? "true" : "false");
        break;
    }
    default: return -1;
    }
    s->n = status_zeros(c, o, s->n);
    s->p = o;
    s->esc = 0;
    return 0;
}

static int dbp_init(dbp *d, const uint8_t *p, const uint8_t *end)
{
    memset(d, 0, sizeof *d);
    cfs_td t = {p, end, 0};
    uint64_t block = cfs_td_uvar(&t), nmini = cfs_td_uvar(&t), total = cfs_td_uvar(&t);
    int64_t first = cfs_td_i64(&t);
    /* block size a multiple of 128, miniblocks of a multiple of 32 values (Encodings.md) */
    if (t.bad || block == 0 || block % 128 || block > ((uint64_t)1 << 24) || nmini == 0 || block % nmini ||
        (block / nmini) % 32)
        return -1;
    d->p = t.p;
    d->end = end;
    d->per_mini = block / nmini;
    d->nmini = nmini;
    d->left = total;
    d->prev = first;
    d->first_pending = total > 0;
    d->mini_idx = nmini; /* a block header comes first */
    d->mini_start = t.p;
    return 0;
}

static int dbp_get(dbp *d, int64_t *v)
{
    if (d->left == 0) return -1;
    d->left--;
    if (d->first_pending) {
        d->first_pending = 0;
        *v = d->prev;
        return 0;
    }
    if (d->mini_left == 0) {
        if (d->mini_idx == d->nmini) {
            cfs_td t = {d->p, d->end, 0};
            d->min_delta = cfs_td_i64(&t);
            if (t.bad || (uint64_t)(d->end - t.p) < d->nmini) return -1;
            d->widths = t.p;
            d->p = t.p + d->nmini;
            d->mini_idx = 0;
        }
        d->bw = d->widths[d->mini_idx++];
        if (d->bw > 64) return -1;
        d->mini_left = d->per_mini;
        d->mini_start = d->p;
        d->acc = 0;
        d->acc_bits = 0;
    }
    uint64_t x = 0;
    unsigned got = 0;
    while (got < d->bw) {
        if (d->acc_bits == 0) {
            if (d->p >= d->end) return -1;
            d->acc = *d->p++;
            d->acc_bits = 8;
        }
        unsigned take = d->bw - got < d->acc_bits ? d->bw - got : d->acc_bits;
        x |= (d->acc & ((1u << take) - 1)) << got;
        d->acc >>= take;
        d->acc_bits -= take;
        got += take;
    }
    d->mini_left--;
    d->prev = (int64_t)((uint64_t)d->prev + (uint64_t)d->min_delta + x);
    *v = d->prev;
    return 0;
}

/* Where the encoded values end, once every value has been read: the current miniblock
 * is padded to its full size; later miniblocks of the block take no bytes (Encodings.md). */
static const uint8_t *dbp_end(const dbp *d)
{
    if (!d->widths) return d->p;
    size_t bytes = (size_t)(d->per_mini / 8) * d->bw;
    if ((size_t)(d->end - d->mini_start) < bytes) return NULL;
    return d->mini_start + bytes;
}

static cfs_status load_dictionary(cfs_pqr *r, pcol *c, const phdr *h, const uint8_t *body, char *err,
                                  size_t errlen)
{
    if (c->have_dict)
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: a second dictionary page in one chunk",
                    c->name);
    if (h->enc != ENC_PLAIN && h->enc != ENC_PLAIN_DICTIONARY)
        return fail(err, errlen, CFS_E_UNSUPPORTED, "Parquet column %s: dictionary page encoding %d", c->name,
                    h->enc);
    const uint8_t *d;
    cfs_status st = inflate_page(r, c, body, (size_t)h->csize, (size_t)h->usize, &c->dict_buf,
                                 &c->dict_buf_cap, &d, err, errlen);
    if (st != CFS_OK) return st;
    /* every entry takes at least 4 bytes (a BYTE_ARRAY length, an INT32 or FLOAT; a
     * boolean column has no dictionary), a narrower FIXED_LEN_BYTE_ARRAY DECIMAL its width;
     * and a dictionary holds at most MAX_PAGE / 4 entries whatever their width, so its
     * spans and numbers' text cost at most that many times 16 + NUM_TEXT bytes */
    const size_t least = c->ptype == PT_FIXED_LEN_BYTE_ARRAY && c->tlen < 4 ? (size_t)c->tlen : 4;
    if (h->nvalues < 0 || (size_t)h->nvalues > (size_t)h->usize / least || (size_t)h->nvalues > MAX_PAGE / 4)
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: dictionary of %d entries in %d bytes",
                    c->name, h->nvalues, h->usize);
    uint32_t nv = (uint32_t)h->nvalues;
    c->dict_esc_or = 0;
    c->dict_tmax = 1; /* "-" for a null */
    uint32_t cap = DICT_PAD;
    while (cap < nv) cap *= 2; /* nv is at most MAX_PAGE */
    if (cap > c->dict_cap) {
        span *ns = cfs_realloc(c->dict, (size_t)cap * sizeof *ns, "reading a Parquet dictionary");
        if (!ns) return cfs_nomem_status("reading a Parquet dictionary", err, errlen);
        c->dict = ns;
        c->dict_cap = cap;
    }
    if (c->ptype != PT_BYTE_ARRAY && (size_t)nv * NUM_TEXT > c->dict_text_cap) {
        char *nt = cfs_realloc(c->dict_text, (size_t)nv * NUM_TEXT, "reading a Parquet dictionary");
        if (!nt) return cfs_nomem_status("reading a Parquet dictionary", err, errlen);
        c->dict_text = nt;
        c->dict_text_cap = (size_t)nv * NUM_TEXT;
    }
    const uint8_t *p = d, *end = d + h->usize;
    c->bool_bit = 0;
    for (uint32_t i = 0; i < nv; i++) {
        if (plain_value(c, &p, end, c->dict_text ? c->dict_text + (size_t)i * NUM_TEXT : NULL, &c->dict[i]) !=
            0)
            return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: dictionary page ends inside entry %u",
                        c->name, i);
        if (c->dict[i].n == 0) c->dict[i] = k_dash;
        const uint64_t t = c->dict[i].n + 2 * (uint64_t)ESC_COUNT(c->dict[i].esc);
        c->dict_esc_or |= c->dict[i].esc;
        if (t > c->dict_tmax) c->dict_tmax = t;
    }
    for (uint32_t i = nv; i < c->dict_cap; i++) c->dict[i] = k_past_dict;
    c->ndict = nv;
    c->have_dict = 1;
    return CFS_OK;
}

/* Move c to its next data page (dictionary and index pages are taken on the way). */
static cfs_status next_page(cfs_pqr *r, pcol *c, char *err, size_t errlen)
{
    for (;;) {
        if (c->cp >= c->cend)
            return fail(err, errlen, CFS_E_CORRUPT,
                        "Parquet column %s: chunk ends with %llu values still to come", c->name,
                        (unsigned long long)c->values_left);
        cfs_td t = {c->cp, c->cend, 0};
        phdr h;
        parse_page_header(&t, &h);
        if (t.bad || h.usize < 0 || h.csize < 0 || (size_t)h.csize > (size_t)(c->cend - t.p))
            return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: damaged page header at offset %zu",
                        c->name, (size_t)(c->cp - r->f));
        const uint8_t *body = t.p;
        c->cp = body + h.csize;
        if (h.type == PAGE_DICTIONARY) {
            if (!h.has_data)
                return fail(err, errlen, CFS_E_CORRUPT,
                            "Parquet column %s: dictionary page without its header", c->name);
            cfs_status st = load_dictionary(r, c, &h, body, err, errlen);
            if (st != CFS_OK) return st;
            continue;
        }
        if (h.type != PAGE_DATA && h.type != PAGE_DATA_V2) continue; /* index pages and others */
        if (!h.has_data || h.nvalues < 0 || (uint64_t)h.nvalues > c->values_left)
            return fail(err, errlen, CFS_E_CORRUPT,
                        "Parquet column %s: a data page of %d values where %llu remain in the chunk", c->name,
                        h.nvalues, (unsigned long long)c->values_left);
        if (h.nvalues == 0) continue;
        const uint8_t *d, *dend;
        if (h.type == PAGE_DATA) {
            cfs_status st = inflate_page(r, c, body, (size_t)h.csize, (size_t)h.usize, &c->page, &c->page_cap,
                                         &d, err, errlen);
            if (st != CFS_OK) return st;
            dend = d + h.usize;
            c->has_defs = c->optional;
            if (c->optional) {
                if (h.def_enc != ENC_RLE)
                    return fail(err, errlen, CFS_E_UNSUPPORTED,
                                "Parquet column %s: definition levels encoded as %d (cfscan reads RLE)",
                                c->name, h.def_enc);
                if (dend - d < 4) goto short_page;
                uint64_t dl = cfs_le_get(d, 4);
                if (dl > (uint64_t)(dend - d - 4)) goto short_page;
                rle_init(&c->defs, d + 4, (size_t)dl, 1);
                d += 4 + dl;
            }
        } else {
            if (h.v2_dlen < 0 || h.v2_rlen != 0 || (size_t)h.v2_dlen > (size_t)h.csize || h.v2_dlen > h.usize)
                return fail(err, errlen, CFS_E_CORRUPT,
                            "Parquet column %s: bad level lengths in a v2 data page", c->name);
            c->has_defs = c->optional;
            if (c->optional) rle_init(&c->defs, body, (size_t)h.v2_dlen, 1);
            const uint8_t *vb = body + h.v2_dlen;
            size_t vn = (size_t)h.csize - (size_t)h.v2_dlen, vu = (size_t)h.usize - (size_t)h.v2_dlen;
            if (h.v2_compressed) {
                cfs_status st = inflate_page(r, c, vb, vn, vu, &c->page, &c->page_cap, &d, err, errlen);
                if (st != CFS_OK) return st;
            } else {
                if (vn != vu) goto short_page;
                d = vb;
            }
            dend = d + vu;
        }
        c->enc = h.enc;
        if (h.enc == ENC_PLAIN) {
            c->vp = d;
            c->vend = dend;
            c->bool_bit = 0;
        } else if (h.enc == ENC_RLE_DICTIONARY || h.enc == ENC_PLAIN_DICTIONARY) {
            if (!c->have_dict)
                return fail(err, errlen, CFS_E_CORRUPT,
                            "Parquet column %s: dictionary-encoded page without a dictionary", c->name);
            if (d >= dend) goto short_page;
            unsigned bw = *d;
            if (bw > 32)
                return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: dictionary index width %u",
                            c->name, bw);
            rle_init(&c->idx, d + 1, (size_t)(dend - d - 1), bw);
        } else if (h.enc == ENC_DELTA_BINARY_PACKED && (c->ptype == PT_INT32 || c->ptype == PT_INT64)) {
            if (dbp_init(&c->delta, d, dend) != 0) goto bad_delta;
        } else if (h.enc == ENC_DELTA_LENGTH_BYTE_ARRAY && c->ptype == PT_BYTE_ARRAY) {
            /* The lengths come first, then the values: read the lengths once to find
             * where the values start (and that they fit), then again as rows need them. */
            if (dbp_init(&c->delta, d, dend) != 0 || c->delta.left > (uint64_t)h.nvalues) goto bad_delta;
            uint64_t sum = 0;
            int64_t ln;
            while (c->delta.left) {
                if (dbp_get(&c->delta, &ln) != 0 || ln < 0 || ln > (int64_t)(dend - d)) goto bad_delta;
                sum += (uint64_t)ln;
            }
            const uint8_t *vals = dbp_end(&c->delta);
            if (!vals || sum > (uint64_t)(dend - vals)) goto bad_delta;
            dbp_init(&c->delta, d, dend);
            c->dp = vals;
            c->dend = dend;
        } else {
            return fail(
                err, errlen, CFS_E_UNSUPPORTED,
                "Parquet column %s: data page encoding %s, which cfscan does not read (it reads PLAIN, "
                "PLAIN_DICTIONARY, RLE_DICTIONARY, DELTA_BINARY_PACKED and DELTA_LENGTH_BYTE_ARRAY)",
                c->name, h.enc >= 0 && h.enc < 10 ? enc_names[h.enc] : "unknown");
        }
        c->page_left = (uint32_t)h.nvalues;
        c->values_left -= (uint64_t)h.nvalues;
        return CFS_OK;
    bad_delta:
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: damaged %s page", c->name,
                    enc_names[h.enc]);
    short_page:
        return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: data page shorter than its levels say",
                    c->name);
    }
}

/* Value i of c's batch: as the text writes it, its esc, and the batch's sums. */
static inline void batch_put(pcol *c, uint32_t i, span s)
{
    if (s.n == 0) s = k_dash; /* null (p NULL) or empty */
    c->val[i] = (cfs_span){s.p, s.n};
    c->esc[i] = s.esc;
    const uint64_t t = s.n + 2 * (uint64_t)ESC_COUNT(s.esc);
    c->tsum[i + 1] = c->tsum[i] + t;
    c->esc_or |= s.esc;
    if (t > c->tmax) c->tmax = t;
}

/* The error of a batch of dictionary indices ix[0..nn) that holds one out of range: the
 * first such index. */
static cfs_status bad_index(const pcol *c, const uint32_t *ix, uint32_t nn, char *err, size_t errlen)
{
    uint32_t i = 0;
    while (i + 1 < nn && ix[i] < c->ndict) i++;
    return fail(err, errlen, CFS_E_CORRUPT,
                "Parquet column %s: dictionary index %u, the dictionary holds %u entries", c->name, ix[i],
                c->ndict);
}

/* Decode c's next batch (at most BATCH values, within one page). */
static cfs_status fill_batch(cfs_pqr *r, pcol *c, char *err, size_t errlen)
{
    if (c->page_left == 0) {
        cfs_status st = next_page(r, c, err, errlen);
        if (st != CFS_OK) return st;
    }
    uint32_t n = c->page_left < BATCH ? c->page_left : BATCH;
    const uint32_t *def = NULL; /* NULL: no value of the batch is null */
    uint32_t nn = n;
    if (c->has_defs && !rle_take_run(&c->defs, 1, n)) {
        uint32_t *d = r->tmp;
        if (rle_get(&c->defs, d, n) != 0)
            return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: definition levels run out", c->name);
        nn = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (d[i] > 1)
                return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: definition level %u", c->name,
                            d[i]);
            nn += d[i];
        }
        def = d;
    }
    c->tsum[0] = 0;
    c->esc_or = 0;
    c->tmax = 0;
    if (c->enc == ENC_PLAIN) {
        const int bytes = c->ptype == PT_BYTE_ARRAY; /* strings: most columns */
        for (uint32_t i = 0; i < n; i++) {
            span s = {NULL, 0, 0};
            if ((!def || def[i]) &&
                (bytes ? plain_bytes(&c->vp, c->vend, &s)
                       : plain_value(c, &c->vp, c->vend, c->num + (size_t)i * NUM_TEXT, &s)) != 0)
                return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: page ends inside a value",
                            c->name);
            batch_put(c, i, s);
        }
    } else if (c->enc == ENC_DELTA_BINARY_PACKED || c->enc == ENC_DELTA_LENGTH_BYTE_ARRAY) {
        for (uint32_t i = 0; i < n; i++) {
            span s = {NULL, 0, 0};
            if (def && !def[i]) {
                batch_put(c, i, s);
                continue;
            }
            int64_t v;
            if (dbp_get(&c->delta, &v) != 0)
                return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: delta-encoded values run out",
                            c->name);
            if (c->enc == ENC_DELTA_BINARY_PACKED) {
                char *o = c->num + (size_t)i * NUM_TEXT;
                s.n = status_zeros(c, o, (uint32_t)fmt_int(c, v, o));
                s.p = o;
            } else {
                if (v < 0 || v > c->dend - c->dp)
                    return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: a value runs past its page",
                                c->name);
                s.p = (const char *)c->dp;
                s.n = (uint32_t)v;
                s.esc = needs_escape(s.p, s.n);
                c->dp += v;
            }
            batch_put(c, i, s);
        }
    } else {
        uint32_t *ix = r->tmp2;
        const span *dict = c->dict;
        const uint32_t nd = c->ndict;
        if (!def && !c->dict_esc_or && ((uint64_t)1 << c->idx.bw) <= c->dict_cap) {
            /* The usual batch: no null, no entry to escape, and indices no wider than the
             * dictionary's spans, looked up as they are unpacked.  An index past the last
             * entry reads k_past_dict (load_dictionary), so that the batch's sum of
             * lengths reaches PAST_DICT_N; the batch's indices are then read again and
             * checked, which names the index. */
            const rle before = c->idx;
            dict_sink ds = {dict, c->val, c->tsum, 0};
            if (rle_walk(&c->idx, n, dict_put, dict_run, &ds) != 0) goto run_out;
            c->tmax = c->dict_tmax;
            if (ds.sum >= PAST_DICT_N) {
                c->idx = before;
                if (rle_get(&c->idx, ix, nn) != 0) goto run_out;
                for (uint32_t i = 0; i < nn; i++)
                    if (ix[i] >= nd) return bad_index(c, ix, nn, err, errlen);
            }
        } else {
            if (rle_get(&c->idx, ix, nn) != 0) goto run_out;
            for (uint32_t i = 0; i < nn; i++)
                if (ix[i] >= nd) return bad_index(c, ix, nn, err, errlen);
            if (!c->dict_esc_or) {
                /* no entry to escape (the usual dictionary): the values and their lengths
                 * only; the batch's esc are all 0 (window() reads k_no_esc) */
                uint64_t sum = 0;
                for (uint32_t i = 0, k = 0; i < n; i++) {
                    const span d = def && !def[i] ? k_dash : dict[ix[k++]];
                    c->val[i] = (cfs_span){d.p, d.n};
                    sum += d.n;
                    c->tsum[i + 1] = sum;
                }
                c->tmax = c->dict_tmax;
            } else {
                for (uint32_t i = 0, k = 0; i < n; i++)
                    batch_put(c, i, def && !def[i] ? k_dash : dict[ix[k++]]);
            }
        }
    }
    c->page_left -= n;
    c->bpos = 0;
    c->bn = n;
    return CFS_OK;
run_out:
    return fail(err, errlen, CFS_E_CORRUPT, "Parquet column %s: dictionary indices run out", c->name);
}

/* The bytes of the current row group's chunks: asked for ahead when the row
 * group starts, given back (they stay in the page cache) once it is done, so a mapped
 * file of any size costs about one row group of resident memory. */
static void rg_advise(const cfs_pqr *r, int advice)
{
    const uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (uint32_t i = 0; i < r->ncol; i++) {
        if (r->col[i].skip) continue; /* never read: neither asked for nor mapped */
        const chunk *ch = &r->chunks[(size_t)r->rg * r->ncol + i];
        const uintptr_t lo = ((uintptr_t)r->f + (uintptr_t)ch->start + pg - 1) & ~(pg - 1);
        const uintptr_t hi = ((uintptr_t)r->f + (uintptr_t)ch->end) & ~(pg - 1);
        if (ch->end > ch->start && hi > lo) madvise((void *)lo, hi - lo, advice);
    }
}

static void open_row_group(cfs_pqr *r)
{
    rg_advise(r, MADV_WILLNEED);
    for (uint32_t i = 0; i < r->ncol; i++) {
        pcol *c = &r->col[i];
        if (c->skip) continue;
        const chunk *ch = &r->chunks[(size_t)r->rg * r->ncol + i];
        c->cp = r->f + ch->start;
        c->cend = r->f + ch->end;
        c->values_left = ch->num_values;
        c->codec = ch->codec;
        c->have_dict = 0;
        c->ndict = 0;
        c->page_left = 0;
        c->bpos = c->bn = 0;
    }
    r->rg_left = r->rg_rows[r->rg];
    r->rg_open = 1;
}

static int reserve_out(cfs_pqr *r, size_t more)
{
    if (r->out_n + more <= r->out_cap) return 0;
    size_t cap = r->out_cap ? r->out_cap : CFS_DECODE_PIECE + 4096;
    while (cap < r->out_n + more) cap *= 2;
    char *no = cfs_realloc(r->out, cap, "writing Parquet rows as text");
    if (!no) return -1;
    r->out = no;
    r->out_cap = cap;
    return 0;
}

/* n bytes from p to o: a value is mostly a few bytes, where a call to memcpy costs more
 * than the copy; two overlapping fixed-size copies read and write only [p, p + n). */
static inline char *put_bytes(char *o, const char *p, uint32_t n)
{
    if (n <= 16) {
        if (n >= 8) {
            memcpy(o, p, 8);
            memcpy(o + n - 8, p + n - 8, 8);
        } else if (n >= 4) {
            memcpy(o, p, 4);
            memcpy(o + n - 4, p + n - 4, 4);
        } else if (n) {
            o[0] = p[0];
            o[n / 2] = p[n / 2];
            o[n - 1] = p[n - 1];
        }
    } else if (n <= 32) {
        memcpy(o, p, 16);
        memcpy(o + n - 16, p + n - 16, 16);
    } else {
        memcpy(o, p, n);
    }
    return o + n;
}

static inline char *put_value(char *o, cfs_span v, uint32_t esc)
{
    if (!esc) return put_bytes(o, v.p, v.n);
    /* TAB, LF and CR would split the line: written percent-encoded, as CloudFront's text
     * logs encode them */
    for (uint32_t i = 0; i < v.n; i++) {
        char ch = v.p[i];
        if (ch == '\t' || ch == '\n' || ch == '\r') {
            *o++ = '%';
            *o++ = '0';
            *o++ = ch == '\t' ? '9' : ch == '\n' ? 'A' : 'D';
        } else *o++ = ch;
    }
    return o;
}

/* The next window of rows: every column's batch filled, *m rows that all of them still
 * hold (at most BATCH, within one row group), r->seg and r->segesc at its first row.
 * *m == 0 at the end of the rows.  Nothing moves past them until advance(). */
static cfs_status window(cfs_pqr *r, uint32_t *m, char *err, size_t errlen)
{
    *m = 0;
    while (!r->rg_open || r->rg_left == 0) {
        if (r->rg_open) {
            rg_advise(r, MADV_DONTNEED);
            r->rg++;
        }
        r->rg_open = 0;
        while (r->rg < r->nrg && r->rg_rows[r->rg] == 0) r->rg++;
        if (r->rg >= r->nrg) {
            r->done = 1;
            return CFS_OK;
        }
        open_row_group(r);
    }
    uint64_t k = r->rg_left < BATCH ? r->rg_left : BATCH;
    for (uint32_t i = 0; i < r->ncol; i++) {
        pcol *c = &r->col[i];
        if (c->skip) {
            r->seg[i] = r->dash;
            r->segesc[i] = k_no_esc;
            continue;
        }
        if (c->bpos == c->bn) {
            cfs_status st = fill_batch(r, c, err, errlen);
            if (st != CFS_OK) return st;
        }
        if (c->bn - c->bpos < k) k = c->bn - c->bpos;
        r->seg[i] = c->val + c->bpos;
        r->segesc[i] = c->esc_or ? c->esc + c->bpos : k_no_esc;
    }
    *m = (uint32_t)k;
    return CFS_OK;
}

/* The window's first m rows are handed out: the columns move past them, and their text
 * (values, and a TAB or LF after each; an empty line when no column is read) counts. */
static void advance(cfs_pqr *r, uint32_t m)
{
    uint64_t t = (uint64_t)m * (r->ncol ? r->ncol : 1);
    for (uint32_t i = 0; i < r->ncol; i++) {
        pcol *c = &r->col[i];
        if (c->skip) {
            t += m; /* "-" */
            continue;
        }
        t += c->tsum[c->bpos + m] - c->tsum[c->bpos];
        c->bpos += m;
    }
    r->text_bytes += t;
    r->rg_left -= m;
    r->rows_done += m;
}

/* Row k of the window as text: its length with the LF, and the row written at o. */
static uint64_t row_len(const cfs_pqr *r, uint32_t k)
{
    uint64_t t = r->ncol ? r->ncol : 1;
    for (uint32_t i = 0; i < r->ncol; i++) t += r->seg[i][k].n + 2 * (uint64_t)ESC_COUNT(r->segesc[i][k]);
    return t;
}

static char *write_row(const cfs_pqr *r, uint32_t k, char *o)
{
    if (!r->ncol) {
        *o++ = '\n';
        return o;
    }
    for (uint32_t i = 0; i < r->ncol; i++) {
        o = put_value(o, r->seg[i][k], r->segesc[i][k]);
        *o++ = '\t';
    }
    o[-1] = '\n';
    return o;
}

cfs_status cfs_pqr_next(cfs_pqr *r, const char **buf, size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    if (r->failed == 2) {
        r->failed = 1;
        return fail(err, errlen, r->pending_st, "%s", r->pending);
    }
    if (r->done || r->failed) return CFS_OK;
    if (!r->header_done) {
        r->header_done = 1;
        *buf = r->header;
        *len = r->header_n;
        return CFS_OK;
    }
    r->out_n = 0;
    cfs_status st = CFS_OK;
    while (r->out_n < CFS_DECODE_PIECE) {
        uint32_t m;
        st = window(r, &m, err, errlen);
        if (st != CFS_OK || m == 0) break;
        uint32_t k = 0;
        for (; k < m && r->out_n < CFS_DECODE_PIECE; k++) {
            const uint64_t need = row_len(r, k);
            if (reserve_out(r, need) != 0) return cfs_nomem_status("writing Parquet rows", err, errlen);
            r->out_n = (size_t)(write_row(r, k, r->out + r->out_n) - r->out);
        }
        advance(r, k);
    }
    if (st != CFS_OK) {
        r->failed = 1;
        if (r->out_n) {
            /* hand out the rows before the damage; the error comes with the next call */
            r->failed = 2;
            snprintf(r->pending, sizeof r->pending, "%s", err);
            r->pending_st = st;
        }
    }
    *buf = r->out;
    *len = r->out_n;
    return r->out_n ? CFS_OK : st;
}

cfs_status cfs_pqr_next_rows(cfs_pqr *r, cfs_pqr_rows *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    if (r->failed == 2) {
        r->failed = 1;
        return fail(err, errlen, r->pending_st, "%s", r->pending);
    }
    if (r->done || r->failed) return CFS_OK;
    uint32_t m;
    cfs_status st = window(r, &m, err, errlen);
    if (st != CFS_OK) {
        r->failed = 1;
        return st;
    }
    if (m == 0) return CFS_OK;
    /* Which rows go as text: the window's batches say whether any value holds a byte to
     * escape or a control byte, and how long a row can be at most; a first value starting
     * with '#' or '{' makes a directive or JSON line.  Only then is each row looked at. */
    uint64_t most = r->ncol;
    uint32_t esc = r->ncol ? 0 : 1; /* no column: empty lines, as the text has them */
    for (uint32_t i = 0; i < r->ncol; i++) {
        most += r->col[i].skip ? 1 : r->col[i].tmax;
        esc |= r->col[i].skip ? 0 : r->col[i].esc_or;
    }
    int look = esc != 0 || most > CFS_MAX_LINE;
    for (uint32_t k = 0; k < m && !look; k++) look = r->seg[0][k].p[0] == '#' || r->seg[0][k].p[0] == '{';
    if (look) {
        for (uint32_t k = 0; k < m; k++) {
            uint32_t e = r->ncol ? r->seg[0][k].p[0] == '#' || r->seg[0][k].p[0] == '{' : 1;
            for (uint32_t i = 0; i < r->ncol; i++) e |= r->segesc[i][k];
            r->as_text[k] = e != 0 || (most > CFS_MAX_LINE && row_len(r, k) > CFS_MAX_LINE);
        }
        b->as_text = r->as_text;
    }
    b->col = r->seg;
    b->ncol = r->ncol;
    b->n = m;
    advance(r, m);
    return CFS_OK;
}

cfs_status cfs_pqr_row_text(cfs_pqr *r, uint32_t k, const char **p, size_t *n, char *err, size_t errlen)
{
    *p = NULL;
    *n = 0;
    r->out_n = 0;
    if (reserve_out(r, row_len(r, k)) != 0) return cfs_nomem_status("writing a Parquet row", err, errlen);
    *n = (size_t)(write_row(r, k, r->out) - r->out);
    *p = r->out;
    return CFS_OK;
}

uint64_t cfs_pqr_rows_total(const cfs_pqr *r) { return r->num_rows; }
uint64_t cfs_pqr_text_bytes(const cfs_pqr *r) { return r->text_bytes; }
uint32_t cfs_pqr_row_groups(const cfs_pqr *r) { return r->nrg; }
uint64_t cfs_pqr_group_bytes(const cfs_pqr *r, uint32_t g)
{
    uint64_t b = 0;
    for (uint32_t i = 0; g < r->nrg && i < r->ncol; i++) {
        const chunk *ch = &r->chunks[(size_t)g * r->ncol + i];
        b += ch->end - ch->start;
    }
    return b;
}

void cfs_pqr_header(const cfs_pqr *r, const char **p, size_t *n)
{
    *p = r->header;
    *n = r->header_n;
}

cfs_status cfs_pqr_range(cfs_pqr **out, const cfs_pqr *file, uint32_t from, uint32_t to, uint64_t decode,
                         char *err, size_t errlen)
{
    cfs_pqr *r = *out;
    *out = NULL;
    if (r && (!r->shared || r->ncol != file->ncol)) {
        cfs_pqr_close(r);
        r = NULL;
    }
    if (to > file->nrg) to = file->nrg;
    if (from > to) from = to;
    if (r) {
        /* a cursor used before: its buffers (pages, dictionaries, the text) are kept, so
         * they are not allocated and faulted in again for every range */
        cfs_pqr old = *r;
        pcol *col = r->col;
        memset(r, 0, sizeof *r);
        r->col = col;
        r->out = old.out;
        r->out_cap = old.out_cap;
        r->ld = old.ld;
        r->zd = old.zd;
        r->dash = old.dash;
        for (uint32_t i = 0; i < old.ncol; i++) {
            pcol c = col[i];
            memset(&col[i], 0, offsetof(pcol, val));
            col[i].dict = c.dict;
            col[i].dict_cap = c.dict_cap;
            col[i].dict_buf = c.dict_buf;
            col[i].dict_buf_cap = c.dict_buf_cap;
            col[i].dict_text = c.dict_text;
            col[i].dict_text_cap = c.dict_text_cap;
            col[i].page = c.page;
            col[i].page_cap = c.page_cap;
        }
    } else {
        r = cfs_calloc(1, sizeof *r, "reading a Parquet row group");
        if (!r) return cfs_nomem_status("reading a Parquet row group", err, errlen);
        if (file->ncol) {
            r->col = cfs_calloc(file->ncol, sizeof *r->col, "reading a Parquet row group");
            if (!r->col) {
                free(r);
                return cfs_nomem_status("reading a Parquet row group", err, errlen);
            }
        }
    }
    r->f = file->f;
    r->n = file->n;
    r->shared = 1;
    r->chunks = file->chunks;
    r->rg_rows = file->rg_rows;
    r->header = file->header;
    r->header_n = file->header_n;
    r->header_done = 1;
    r->rg = from;
    r->nrg = to;
    for (uint32_t g = from; g < to; g++) r->num_rows += file->rg_rows[g];
    r->ncol = file->ncol;
    for (uint32_t i = 0; i < r->ncol; i++) {
        pcol *c = &r->col[i];
        const pcol *fc = &file->col[i];
        c->leaf = fc->leaf;
        c->field = fc->field;
        c->ptype = fc->ptype;
        c->optional = fc->optional;
        c->vk = fc->vk;
        c->scale = fc->scale;
        c->unit = fc->unit;
        c->tlen = fc->tlen;
        c->skip = !(decode >> fc->field & 1); /* fields are below 64 (presence.h) and unique */
        memcpy(c->name, fc->name, sizeof c->name);
        if (c->skip && !r->dash) {
            r->dash = cfs_malloc(BATCH * sizeof *r->dash, "reading a Parquet row group");
            if (!r->dash) {
                cfs_pqr_close(r);
                return cfs_nomem_status("reading a Parquet row group", err, errlen);
            }
            for (uint32_t k = 0; k < BATCH; k++) r->dash[k] = (cfs_span){"-", 1};
        }
    }
    *out = r;
    return CFS_OK;
}
uint64_t cfs_pqr_rows_done(const cfs_pqr *r) { return r->rows_done; }

void cfs_pqr_close(cfs_pqr *r)
{
    if (!r) return;
    for (uint32_t i = 0; r->col && i < r->ncol; i++) {
        free(r->col[i].dict);
        free(r->col[i].dict_buf);
        free(r->col[i].dict_text);
        free(r->col[i].page);
    }
    free(r->col);
    free(r->dash);
    if (!r->shared) {
        free(r->chunks);
        free(r->rg_rows);
        free(r->header);
    }
    free(r->out);
    if (r->ld) libdeflate_free_decompressor(r->ld);
    if (r->zd) ZSTD_freeDCtx(r->zd);
    free(r);
}
