/* Types shared by every pipeline stage: status codes, byte spans, the CloudFront field
 * catalogue, the #Fields: layout, the typed record view of one log line, and the 403
 * cause vocabulary.  Stages pass these plain structs along; none reaches back. */
#ifndef CFSCAN_PIPELINE_TYPES_H
#define CFSCAN_PIPELINE_TYPES_H

#include <stddef.h>
#include <stdint.h>

/* ---- status ------------------------------------------------------------------------ */
typedef enum cfs_status {
    CFS_OK = 0,
    CFS_E_IO,          /* open/read/stat failed */
    CFS_E_CORRUPT,     /* compressed stream is damaged */
    CFS_E_TRUNCATED,   /* compressed stream ends early */
    CFS_E_UNSUPPORTED, /* input of a kind we do not read */
    CFS_E_NOMEM,
    CFS_E_USAGE,
    CFS_E_FORMAT, /* text/JSON that does not have the expected form */
    CFS_E_INTERRUPTED,
} cfs_status;

const char *cfs_status_str(cfs_status s);

/* zstd-style forwarding: return the status of a failing call unchanged. */
#define CFS_FORWARD_IF_ERROR(expr)               \
    do {                                         \
        cfs_status cfs_fwd_ = (expr);            \
        if (cfs_fwd_ != CFS_OK) return cfs_fwd_; \
    } while (0)

/* ---- time range ---------------------------------------------------------------------
 * Every time cfscan takes in (log dates, v2 epoch timestamps, --since/--until, hours read
 * back from a state.cfs) must lie in [1990-01-01, 2100-01-01) UTC.  CloudFront started in
 * 2008, so this loses nothing real, and it keeps every later product (hour * 1000 for
 * millisecond columns, gmtime_r, hour strings) far from overflow.  A time outside it is a
 * bad value, never a key. */
#define CFS_TIME_MIN INT64_C(631152000)  /* 1990-01-01T00:00:00Z */
#define CFS_TIME_MAX INT64_C(4102444800) /* 2100-01-01T00:00:00Z, exclusive */
static inline int cfs_time_in_range(int64_t t) { return t >= CFS_TIME_MIN && t < CFS_TIME_MAX; }

/* ---- spans -------------------------------------------------------------------------- */
/* A field value is a span into the decoded buffer; nothing is copied on the hot path. */
typedef struct cfs_span {
    const char *p;
    uint32_t n;
} cfs_span;

static inline int cfs_span_is(cfs_span s, const char *lit, size_t litn)
{
    return s.n == litn && (litn == 0 || __builtin_memcmp(s.p, lit, litn) == 0);
}
#define CFS_SPAN_IS(s, lit) cfs_span_is((s), (lit), sizeof(lit) - 1)

/* a[0..n) == b[0..n) for short strings on hot paths, without a libc call: 8-byte (or
 * 4-byte) words, the last one overlapping the previous, cover every length from 4 up, and
 * no load leaves either string. */
static inline int cfs_short_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y, diff = 0;
        for (size_t i = 0; i + 8 < n; i += 8) {
            __builtin_memcpy(&x, a + i, 8);
            __builtin_memcpy(&y, b + i, 8);
            diff |= x ^ y;
        }
        __builtin_memcpy(&x, a + n - 8, 8);
        __builtin_memcpy(&y, b + n - 8, 8);
        return (diff | (x ^ y)) == 0;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        __builtin_memcpy(&x, a, 4);
        __builtin_memcpy(&y, b, 4);
        __builtin_memcpy(&u, a + n - 4, 4);
        __builtin_memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}
/* CloudFront writes '-' for "no value" in every field where that applies. */
static inline int cfs_span_empty(cfs_span s) { return s.n == 0 || (s.n == 1 && s.p[0] == '-'); }

/* ---- bytes of text ------------------------------------------------------------------ */
/* 1 when s[0..n) is upper-case ASCII letters and digits only, the alphabet of CloudFront
 * distribution ids (config.c and waf.c add their own length bounds). */
static inline int cfs_upper_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) return 0;
    return 1;
}

/* Value of one hex digit (either case), -1 for any other byte: percent-encoding in log
 * fields and \u escapes in JSON. */
static inline int cfs_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ASCII-only case folding: field names, DNS names and media types are ASCII, and the C
 * library's tolower() would depend on the locale. */
static inline char cfs_ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* a[0..an) == b[0..bn) without regard to ASCII case. */
static inline int cfs_ascii_ieq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn) return 0;
    for (size_t i = 0; i < an; i++)
        if (cfs_ascii_lower(a[i]) != cfs_ascii_lower(b[i])) return 0;
    return 1;
}
#define CFS_ASCII_IEQ(p, n, lit) cfs_ascii_ieq((p), (n), (lit), sizeof(lit) - 1)

/* Write code point cp (at most U+10FFFF) as UTF-8 at o: 1 to 4 bytes, their count
 * returned.  The one encoder for the JSON reader's and the S3 listing's escapes. */
static inline size_t cfs_utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length (1..4) of the well-formed UTF-8 sequence at p[0..n) (n >= 1), 0 if the bytes
 * there are not one.  Well-formed per Unicode table 3-7: no overlongs, no encoded
 * surrogates, nothing above U+10FFFF.  The one validator for the JSON reader (which
 * refuses what this refuses) and the writers (which escape it). */
static inline size_t cfs_utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates U+D800..DFFF */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else return 0;
    if (n < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if (p[k] < 0x80 || p[k] > 0xBF) return 0;
    return len;
}

/* The code point of the well-formed 2- or 3-byte UTF-8 sequence p[0..l) (the deceptive
 * ones below are all of those lengths). */
static inline uint32_t cfs_utf8_cp23(const unsigned char *p, size_t l)
{
    return l == 2 ? (uint32_t)(p[0] & 0x1F) << 6 | (p[1] & 0x3F)
                  : (uint32_t)(p[0] & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
}

/* Whether the well-formed UTF-8 sequence p[0..l) is a control a reader could be fooled by:
 * a C1 control (U+0080..U+009F: terminal escapes) or a bidirectional formatting character
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069: they reorder the text after
 * them, so a URI could show as another).  The text and HTML writers show them escaped. */
static inline int cfs_utf8_deceptive(const unsigned char *p, size_t l)
{
    if (l == 2) return (p[0] == 0xC2 && p[1] < 0xA0) || (p[0] == 0xD8 && p[1] == 0x9C);
    if (l != 3 || p[0] != 0xE2) return 0;
    if (p[1] == 0x80) return p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xAA && p[2] <= 0xAE);
    return p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9;
}

/* ---- field catalogue ---------------------------------------------------------------- */
/* Every field name cfscan understands.  Legacy standard-log names first (fields 1..35 of
 * the AWS "standard logging reference"), then the v2 additions.  Unknown names in a
 * #Fields: line map to CFS_F_UNKNOWN and their columns are ignored. */
/* clang-format off */
typedef enum cfs_field {
    CFS_F_DATE, CFS_F_TIME, CFS_F_EDGE_LOCATION, CFS_F_SC_BYTES, CFS_F_C_IP, CFS_F_CS_METHOD,
    CFS_F_CS_HOST, CFS_F_CS_URI_STEM, CFS_F_SC_STATUS, CFS_F_CS_REFERER, CFS_F_CS_USER_AGENT,
    CFS_F_CS_URI_QUERY, CFS_F_CS_COOKIE, CFS_F_EDGE_RESULT_TYPE, CFS_F_EDGE_REQUEST_ID,
    CFS_F_HOST_HEADER, CFS_F_CS_PROTOCOL, CFS_F_CS_BYTES, CFS_F_TIME_TAKEN, CFS_F_FORWARDED_FOR,
    CFS_F_SSL_PROTOCOL, CFS_F_SSL_CIPHER, CFS_F_EDGE_RESPONSE_RESULT_TYPE,
    CFS_F_CS_PROTOCOL_VERSION, CFS_F_FLE_STATUS, CFS_F_FLE_ENCRYPTED_FIELDS, CFS_F_C_PORT,
    CFS_F_TIME_TO_FIRST_BYTE, CFS_F_EDGE_DETAILED_RESULT_TYPE, CFS_F_SC_CONTENT_TYPE,
    CFS_F_SC_CONTENT_LEN, CFS_F_SC_RANGE_START, CFS_F_SC_RANGE_END,
    CFS_F_DISTRIBUTION_TENANT_ID, CFS_F_CONNECTION_ID,
    /* standard logging v2 / real-time derived */
    CFS_F_TIMESTAMP_MS, CFS_F_TIMESTAMP, CFS_F_ORIGIN_FBL, CFS_F_ORIGIN_LBL, CFS_F_ASN,
    CFS_F_C_COUNTRY, CFS_F_CACHE_BEHAVIOR_PATH_PATTERN, CFS_F_DISTRIBUTION_ID,
    /* continuous deployment: set on a staging distribution's lines (reference §3) */
    CFS_F_PRIMARY_DISTRIBUTION_ID,
    CFS_F_COUNT,
    CFS_F_UNKNOWN = 0xff
} cfs_field;
/* clang-format on */

/* Canonical name ("cs(User-Agent)", "x-edge-location", ...) of a field id. */
const char *cfs_field_name(cfs_field f);
/* Field id for a #Fields: name (case-insensitive, real-time aliases such as "cs-host"
 * accepted); CFS_F_UNKNOWN if not known. */
cfs_field cfs_field_lookup(const char *name, size_t n);

/* ---- layout (the current #Fields: line) --------------------------------------------- */
#define CFS_MAX_COLS 128
typedef struct cfs_layout {
    uint16_t ncols;                     /* 0 = no #Fields: line seen yet */
    uint8_t field_of_col[CFS_MAX_COLS]; /* cfs_field or CFS_F_UNKNOWN */
    int16_t col_of[CFS_F_COUNT];        /* column index, -1 if the field is absent */
    int16_t min_cols;                   /* columns a line needs to carry the essentials */
    uint8_t bad;                        /* with ncols == 0: the last #Fields: line was
                                         * unusable, so its lines are bad_header, not no_header */
    uint8_t realtime; /* real-time log columns: cs-uri-stem carries the query string (cut at '?') */
    char delim;       /* field delimiter of the data lines: '\t' (or 0) through the scan kernel's TAB
                 * map, another byte (v2 Plain/W3C fieldDelimiter) split by fields.c alone */
    /* Filled by cfs_layout_parse for cfs_record_parse's lean path: the fields of the
     * layout that a non-403 line is counted by (lean_field, in column lean_col), the
     * first nlean_every of them needed by every line; and the TABs that bound them (TAB
     * c - 1 starts column c, TAB c ends it, the last column ends the line), ascending,
     * for the kernel's picking locator: want_every for those first fields, want_more for
     * the second pick, which the others need (none when their TABs are all first-tier
     * ones).  When every TAB only the others add lies after the last of want_every,
     * more_from is that TAB's number + 1 and want_more holds those TABs counted from it,
     * so the second pick starts there instead of at the line start; otherwise more_from
     * is 0 and want_more holds the TABs of both tiers (a pick may write past its wanted
     * TABs, kernels.h, which would land on first-tier TABs that a second-tier column
     * between them reads). */
    uint8_t nlean, nlean_every, nwant_every, nwant_more, more_from;
    /* 1 when the layout has date, time, edge, bytes, status and result type, which is
     * what a common line is counted by (fields.h, CFS_PARSE_PLAIN) */
    uint8_t plain_ok;
    /* 1 when plain_ok and the layout has no cache-behavior-path-pattern: then a Miss's
     * origin sample needs no label from the line (fields.h, CFS_PARSE_PLAIN_MISS) */
    uint8_t plain_miss_ok;
    uint8_t lean_field[16];
    uint8_t lean_col[16];
    uint8_t want_every[32], want_more[32]; /* each at most 2 x 16 lean fields */
} cfs_layout;

/* ---- enumerated values -------------------------------------------------------------- */
/* x-edge-result-type, x-edge-response-result-type and x-edge-detailed-result-type share
 * one vocabulary (reference section 4). */
/* clang-format off */
typedef enum cfs_result {
    CFS_R_NONE = 0, /* '-' or field absent */
    CFS_R_HIT, CFS_R_REFRESH_HIT, CFS_R_MISS, CFS_R_LIMIT_EXCEEDED, CFS_R_CAPACITY_EXCEEDED,
    CFS_R_ERROR, CFS_R_REDIRECT, CFS_R_LAMBDA_EXECUTION_ERROR, CFS_R_FUNCTION_GENERATED_RESPONSE,
    CFS_R_FUNCTION_EXECUTION_ERROR, CFS_R_FUNCTION_THROTTLED_ERROR, CFS_R_LAMBDA_GENERATED_RESPONSE,
    CFS_R_ORIGIN_SHIELD_HIT, CFS_R_MISS_GENERATED_RESPONSE,
    CFS_R_ABORTED_ORIGIN, CFS_R_CLIENT_COMM_ERROR, CFS_R_CLIENT_GEO_BLOCKED,
    CFS_R_CLIENT_HUNG_UP_REQUEST, CFS_R_INVALID_REQUEST, CFS_R_INVALID_REQUEST_BLOCKED,
    CFS_R_INVALID_REQUEST_CERTIFICATE, CFS_R_INVALID_REQUEST_HEADER, CFS_R_INVALID_REQUEST_METHOD,
    CFS_R_ORIGIN_COMM_ERROR, CFS_R_ORIGIN_CONNECT_ERROR, CFS_R_ORIGIN_CONTENT_RANGE_LENGTH_ERROR,
    CFS_R_ORIGIN_DNS_ERROR, CFS_R_ORIGIN_ERROR, CFS_R_ORIGIN_HEADER_TOO_BIG_ERROR,
    CFS_R_ORIGIN_INVALID_RESPONSE_ERROR, CFS_R_ORIGIN_READ_ERROR, CFS_R_ORIGIN_WRITE_ERROR,
    CFS_R_ORIGIN_ZERO_SIZE_OBJECT_ERROR, CFS_R_SLOW_READER_ORIGIN_ERROR,
    CFS_R_OTHER, /* a value not in the list above */
    CFS_R_COUNT
} cfs_result;
/* clang-format on */

/* clang-format off */
typedef enum cfs_proto {
    CFS_P_NONE = 0, CFS_P_HTTP, CFS_P_HTTPS, CFS_P_WS, CFS_P_WSS, CFS_P_GRPCS, CFS_P_OTHER
} cfs_proto;
/* clang-format on */

/* clang-format off */
typedef enum cfs_method {
    CFS_M_NONE = 0, CFS_M_GET, CFS_M_HEAD, CFS_M_POST, CFS_M_PUT, CFS_M_DELETE, CFS_M_OPTIONS,
    CFS_M_PATCH, CFS_M_OTHER
} cfs_method;
/* clang-format on */

/* ---- record: typed view of one accepted log line ------------------------------------ */
#define CFS_NO_MILLIS UINT32_MAX
#define CFS_NO_TIME INT64_MIN
typedef struct cfs_record {
    cfs_span f[CFS_F_COUNT];        /* raw value per field; {NULL,0} when the layout lacks it */
    cfs_span dist;                  /* distribution id: file name, else distributionid, else cs(Host) */
    int64_t ts;                     /* seconds since epoch (UTC) of date+time, or CFS_NO_TIME */
    uint64_t sc_bytes;              /* 0 when '-' */
    uint32_t time_taken_ms;         /* CFS_NO_MILLIS when absent or '-' */
    uint32_t ttfb_ms;               /* time-to-first-byte, CFS_NO_MILLIS when absent */
    uint16_t status;                /* sc-status; 0 for "000" (viewer hung up) */
    uint8_t result;                 /* x-edge-result-type */
    uint8_t response_result;        /* x-edge-response-result-type */
    uint8_t detailed_result;        /* x-edge-detailed-result-type */
    uint8_t protocol;               /* cfs_proto */
    uint8_t method;                 /* cfs_method */
    uint8_t http_major, http_minor; /* cs-protocol-version, 0.0 when absent */
    uint8_t spans_all;              /* for the record parsers: spans beyond the lean set may be set (any
                                     * parser that may leave them sets it, on rejects too; the TAB path's
                                     * lean parse then clears every span) */
    uint8_t spans_more;             /* internal to cfs_record_parse: second-tier lean spans may be set */
} cfs_record;

/* A status an origin fetch of the edge-versus-origin reference may have: 2xx or 3xx,
 * except 304, whose quick answer says little about the origin (attribute.c). */
static inline int cfs_origin_sample_status(unsigned status)
{
    return status >= 200 && status <= 399 && status != 304;
}

/* ---- 403 causes --------------------------------------------------------------------- */
/* Stable identifiers, used in every output (issue "403 cause attribution"). */
typedef enum cfs_cause {
    CFS_CAUSE_NONE = 0, /* not a 403 */
    CFS_CAUSE_GEO_RESTRICTION,
    CFS_CAUSE_WAF_BLOCK,
    CFS_CAUSE_SIGNED_URL_MISSING,
    CFS_CAUSE_SIGNED_URL_EXPIRED,
    CFS_CAUSE_SIGNED_URL_INVALID,
    CFS_CAUSE_HTTPS_REQUIRED,
    CFS_CAUSE_METHOD_NOT_ALLOWED,
    CFS_CAUSE_CNAME_NOT_ASSOCIATED,
    CFS_CAUSE_ORIGIN_S3,
    CFS_CAUSE_ORIGIN_CUSTOM,
    CFS_CAUSE_EDGE_OTHER,
    CFS_CAUSE_EDGE_FUNCTION, /* a CloudFront Function or Lambda@Edge answered the 403 */
    CFS_CAUSE_UNKNOWN,
    CFS_CAUSE_COUNT
} cfs_cause;

/* clang-format off */
typedef enum cfs_evidence {
    CFS_EV_NONE = 0, CFS_EV_CONFIRMED, CFS_EV_LIKELY, CFS_EV_POSSIBLE, CFS_EV_COUNT
} cfs_evidence;
/* clang-format on */

/* "geo_restriction", ... ; "none" for CFS_CAUSE_NONE. */
const char *cfs_cause_name(cfs_cause c);
/* Inverse of cfs_cause_name; -1 if unknown. */
int cfs_cause_lookup(const char *name);
const char *cfs_evidence_name(cfs_evidence e);

/* ---- rejected-line reasons ---------------------------------------------------------- */
/* Every line read is either aggregated, filtered by --since/--until, or rejected for
 * exactly one of these reasons. */
typedef enum cfs_reject {
    CFS_REJ_NO_HEADER,       /* data line before any #Fields: line */
    CFS_REJ_TOO_FEW_FIELDS,  /* lacks a column the report needs (date, time, status, edge) */
    CFS_REJ_TOO_MANY_FIELDS, /* more non-empty columns than #Fields: names */
    CFS_REJ_LINE_TOO_LONG,   /* over CFS_MAX_LINE bytes */
    CFS_REJ_BINARY,          /* NUL or other control bytes: not a text log line */
    CFS_REJ_BAD_VALUE,       /* date, time or status not of their form */
    CFS_REJ_BAD_HEADER,      /* a #Fields: line we cannot use (no time or status field, a
                              * field named twice, too many), and every line under it */
    CFS_REJ_TRUNCATED,       /* last line of an input cut short by a read/decompression error */
    CFS_REJ_BAD_JSON,        /* a v2 JSON line that is not one object of string values (a syntax
                              * error, a number, null or object as a value, a field named twice);
                              * last, so that the older reasons keep their indexes in state.cfs */
    CFS_REJ_COUNT
} cfs_reject;
const char *cfs_reject_name(cfs_reject r);

#define CFS_MAX_LINE ((size_t)1 << 20) /* 1 MiB: longer lines are rejected, not parsed */

#endif
