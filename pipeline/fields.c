/* Record stage: the CloudFront field catalogue, #Fields: layouts, and the typed view of
 * one log line.  Values stay spans into the decoded buffer; only the numbers and
 * enumerations that the aggregates need are parsed, without strtod or strcmp chains. */
#include "pipeline/fields.h"

#include <pthread.h>
#include <string.h>

#include "kernels/kernels.h"

/* ---- field names ---------------------------------------------------------------- */
/* Canonical names, in cfs_field order (reference §1.2 and §2). */
/* clang-format off */
static const char *const k_field_names[CFS_F_COUNT] = {
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)",
    "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes",
    "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher",
    "x-edge-response-result-type", "cs-protocol-version", "fle-status", "fle-encrypted-fields",
    "c-port", "time-to-first-byte", "x-edge-detailed-result-type", "sc-content-type",
    "sc-content-len", "sc-range-start", "sc-range-end", "distribution-tenant-id",
    "connection-id", "timestamp(ms)", "timestamp", "origin-fbl", "origin-lbl", "asn",
    "c-country", "cache-behavior-path-pattern", "distributionid", "primary-distribution-id",
};
/* clang-format on */

/* Real-time log names differ from the standard ones (reference §3 note). */
static const struct {
    const char *name;
    cfs_field f;
} k_field_aliases[] = {
    {"cs-host", CFS_F_CS_HOST},         {"cs-user-agent", CFS_F_CS_USER_AGENT},
    {"cs-referer", CFS_F_CS_REFERER},   {"cs-cookie", CFS_F_CS_COOKIE},
    {"cs(referrer)", CFS_F_CS_REFERER}, {"distribution-id", CFS_F_DISTRIBUTION_ID},
};

const char *cfs_field_name(cfs_field f) { return (unsigned)f < CFS_F_COUNT ? k_field_names[f] : "unknown"; }

cfs_field cfs_field_lookup(const char *name, size_t n)
{
    /* Header lines are rare: a linear, case-insensitive search is plenty. */
    for (unsigned i = 0; i < CFS_F_COUNT; i++)
        if (cfs_ascii_ieq(name, n, k_field_names[i], strlen(k_field_names[i]))) return (cfs_field)i;
    for (size_t i = 0; i < sizeof k_field_aliases / sizeof k_field_aliases[0]; i++)
        if (cfs_ascii_ieq(name, n, k_field_aliases[i].name, strlen(k_field_aliases[i].name)))
            return k_field_aliases[i].f;
    return CFS_F_UNKNOWN;
}

/* ---- result types ----------------------------------------------------------------- */
/* clang-format off */
static const char *const k_result_names[CFS_R_COUNT] = {
    "-", "Hit", "RefreshHit", "Miss", "LimitExceeded", "CapacityExceeded", "Error", "Redirect",
    "LambdaExecutionError", "FunctionGeneratedResponse", "FunctionExecutionError",
    "FunctionThrottledError", "LambdaGeneratedResponse", "OriginShieldHit",
    "MissGeneratedResponse", "AbortedOrigin", "ClientCommError", "ClientGeoBlocked",
    "ClientHungUpRequest", "InvalidRequest", "InvalidRequestBlocked",
    "InvalidRequestCertificate", "InvalidRequestHeader", "InvalidRequestMethod",
    "OriginCommError", "OriginConnectError", "OriginContentRangeLengthError", "OriginDnsError",
    "OriginError", "OriginHeaderTooBigError", "OriginInvalidResponseError", "OriginReadError",
    "OriginWriteError", "OriginZeroSizeObjectError", "SlowReaderOriginError", "other",
};
/* clang-format on */

/* Result types are parsed on every line, three times.  A 256-slot open-addressed table
 * indexed by a cheap hash of (length, first, middle and last byte), verified with one
 * memcmp, replaces a chain of string compares. */
#define RT_SLOTS 256
static uint8_t g_rt_slot[RT_SLOTS];   /* cfs_result, 0 = empty */
static uint8_t g_rt_len[CFS_R_COUNT]; /* strlen of each name, so lookups never call strlen */
static pthread_once_t g_init_once = PTHREAD_ONCE_INIT;

static unsigned rt_hash(const char *p, size_t n)
{
    return ((unsigned)n * 31u + (unsigned char)p[0] * 7u + (unsigned char)p[n / 2] * 3u +
            (unsigned char)p[n - 1]) &
           (RT_SLOTS - 1);
}

static void init_tables(void)
{
    for (unsigned r = 0; r < CFS_R_COUNT; r++) g_rt_len[r] = (uint8_t)strlen(k_result_names[r]);
    for (unsigned r = CFS_R_HIT; r < CFS_R_OTHER; r++) {
        const char *nm = k_result_names[r];
        unsigned h = rt_hash(nm, strlen(nm));
        while (g_rt_slot[h]) h = (h + 1) & (RT_SLOTS - 1);
        g_rt_slot[h] = (uint8_t)r;
    }
}

void cfs_fields_init(void) { pthread_once(&g_init_once, init_tables); }

static inline cfs_result result_parse(const char *p, size_t n)
{
    /* The values on nearly every line (reference section 4): decided by their length and
     * a constant-size compare the compiler turns into one or two loads. */
    switch (n) {
    case 3:
        if (memcmp(p, "Hit", 3) == 0) return CFS_R_HIT;
        break;
    case 4:
        if (memcmp(p, "Miss", 4) == 0) return CFS_R_MISS;
        break;
    case 5:
        if (memcmp(p, "Error", 5) == 0) return CFS_R_ERROR;
        break;
    case 10:
        if (memcmp(p, "RefreshHit", 10) == 0) return CFS_R_REFRESH_HIT;
        break;
    default: break;
    }
    if (n == 0 || (n == 1 && p[0] == '-')) return CFS_R_NONE;
    if (n > 40) return CFS_R_OTHER;
    cfs_fields_init(); /* after the first call, one atomic load */
    unsigned h = rt_hash(p, n);
    for (unsigned probe = 0; probe < RT_SLOTS; probe++, h = (h + 1) & (RT_SLOTS - 1)) {
        unsigned r = g_rt_slot[h];
        if (r == 0) return CFS_R_OTHER;
        if (g_rt_len[r] == n && cfs_short_eq(k_result_names[r], p, n)) return (cfs_result)r;
    }
    return CFS_R_OTHER;
}

/* ---- small enumerations ------------------------------------------------------------ */
static uint8_t parse_proto(cfs_span s)
{
    /* cs-protocol: http, https, ws, wss, grpcs (reference §1.2 field 17). */
    switch (s.n) {
    case 0: return CFS_P_NONE;
    case 1: return s.p[0] == '-' ? CFS_P_NONE : CFS_P_OTHER;
    case 2: return memcmp(s.p, "ws", 2) == 0 ? CFS_P_WS : CFS_P_OTHER;
    case 3: return memcmp(s.p, "wss", 3) == 0 ? CFS_P_WSS : CFS_P_OTHER;
    case 4: return memcmp(s.p, "http", 4) == 0 ? CFS_P_HTTP : CFS_P_OTHER;
    case 5:
        if (memcmp(s.p, "https", 5) == 0) return CFS_P_HTTPS;
        return memcmp(s.p, "grpcs", 5) == 0 ? CFS_P_GRPCS : CFS_P_OTHER;
    default: return CFS_P_OTHER;
    }
}

static uint8_t parse_method(cfs_span s)
{
    switch (s.n) {
    case 0: return CFS_M_NONE;
    case 1: return s.p[0] == '-' ? CFS_M_NONE : CFS_M_OTHER;
    case 3:
        if (memcmp(s.p, "GET", 3) == 0) return CFS_M_GET;
        return memcmp(s.p, "PUT", 3) == 0 ? CFS_M_PUT : CFS_M_OTHER;
    case 4:
        if (memcmp(s.p, "HEAD", 4) == 0) return CFS_M_HEAD;
        return memcmp(s.p, "POST", 4) == 0 ? CFS_M_POST : CFS_M_OTHER;
    case 5: return memcmp(s.p, "PATCH", 5) == 0 ? CFS_M_PATCH : CFS_M_OTHER;
    case 6: return memcmp(s.p, "DELETE", 6) == 0 ? CFS_M_DELETE : CFS_M_OTHER;
    case 7: return memcmp(s.p, "OPTIONS", 7) == 0 ? CFS_M_OPTIONS : CFS_M_OTHER;
    default: return CFS_M_OTHER;
    }
}

/* ---- layout ------------------------------------------------------------------------ */
/* The fields a non-403 request is counted by (see fields.h), in two tiers.  Every line
 * needs the first K_LEAN_EVERY: its time, edge, bytes, status and result type, and the
 * distribution when the file name does not give it. */
/* clang-format off */
#define K_LEAN_FIRST(X) \
    X(CFS_F_DATE) X(CFS_F_TIME) X(CFS_F_TIMESTAMP_MS) X(CFS_F_TIMESTAMP) X(CFS_F_EDGE_LOCATION) \
    X(CFS_F_SC_BYTES) X(CFS_F_SC_STATUS) X(CFS_F_EDGE_RESULT_TYPE) X(CFS_F_DISTRIBUTION_ID) X(CFS_F_CS_HOST)
/* Only a Miss (lean_more): for the origin-fetch reference, which its latency and protocol
 * decide, and which origin it belongs to (the config behavior of the URI, or v2's
 * pattern; the Host header finds the config when the id is not in the file name).  An
 * Error under a config's 403 remap is parsed whole instead (parse_whole). */
#define K_LEAN_SECOND(X) \
    X(CFS_F_TIME_TAKEN) X(CFS_F_TIME_TO_FIRST_BYTE) X(CFS_F_CS_PROTOCOL) X(CFS_F_CS_URI_STEM) \
    X(CFS_F_HOST_HEADER) X(CFS_F_CACHE_BEHAVIOR_PATH_PATTERN)
/* clang-format on */
#define LEAN_ITEM(f) f,
#define LEAN_BIT(f) | ((uint64_t)1 << (f))
static const cfs_field k_lean[] = {K_LEAN_FIRST(LEAN_ITEM) K_LEAN_SECOND(LEAN_ITEM)};
static const cfs_field k_lean_first[] = {K_LEAN_FIRST(LEAN_ITEM)};
#define K_LEAN_EVERY (sizeof k_lean_first / sizeof k_lean_first[0])
/* each tier as a field set, for the paths that set spans by name (cfs_record_from_spans) */
static const uint64_t k_lean_first_set = 0 K_LEAN_FIRST(LEAN_BIT);
static const uint64_t k_lean_second_set = 0 K_LEAN_SECOND(LEAN_BIT);
_Static_assert(sizeof k_lean / sizeof k_lean[0] <= sizeof((cfs_layout *)0)->lean_field,
               "cfs_layout has room for every lean field");
_Static_assert(2 * (sizeof k_lean / sizeof k_lean[0]) <= sizeof((cfs_layout *)0)->want_every,
               "cfs_layout has room for the TABs around every lean field");

/* Whether a line is parsed whole (every span, and record_tail's all): when asked for every
 * field, a 403, or an Error line under a config's 403 remap, whose response result type
 * decides whether it is a hidden 403 (attribute.c, hidden_403).  rt: its result type. */
static inline int parse_whole(unsigned need, unsigned status, cfs_span rt)
{
    if ((need & CFS_PARSE_ALL) || status == 403) return 1;
    return (need & CFS_PARSE_ERROR_WHOLE) && result_parse(rt.p, rt.n) == CFS_R_ERROR;
}

/* Whether a non-403 line that is not parsed whole needs the second tier of lean fields: a
 * Miss that can be an origin fetch of the reference. */
static inline int lean_more(unsigned result, unsigned status)
{
    return result == CFS_R_MISS && cfs_origin_sample_status(status);
}


/* A byte of a field name (reference §1.2, §2, §3: letters, digits, '-', '(', ')', '_'). */
static int name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '(' || c == ')' || c == '_';
}

cfs_status cfs_layout_parse(cfs_layout *l, const char *line, size_t n)
{
    return cfs_layout_parse_delim(l, line, n, 0);
}

static cfs_status layout_parse(cfs_layout *l, const char *line, size_t n, char delim)
{
    cfs_layout nl;
    memset(&nl, 0, sizeof nl);
    for (unsigned f = 0; f < CFS_F_COUNT; f++) nl.col_of[f] = -1;
    /* The data lines' delimiter: a header whose names are joined by another byte than a
     * space or TAB names it (v2 W3C with a fieldDelimiter, README "Log formats"); else the
     * caller's (--delimiter), else TAB. */
    {
        size_t k = n >= 8 ? 8 : n;
        while (k < n && (line[k] == ' ' || line[k] == '\t')) k++;
        while (k < n && name_byte((unsigned char)line[k])) k++;
        if (k < n && line[k] != ' ' && line[k] != '\t' && (unsigned char)line[k] > 0x20 &&
            (unsigned char)line[k] < 0x7f)
            delim = line[k];
    }
    nl.delim = delim && delim != '\t' ? delim : '\t';
    const char sep = name_byte((unsigned char)nl.delim) ? ' ' : nl.delim;

    /* Until it proves usable, the layout is the bad one: the lines under an unusable
     * header are rejected as bad_header. */
    memset(l, 0, sizeof *l);
    l->bad = 1;
    size_t i = 0;
    if (n >= 8 && memcmp(line, "#Fields:", 8) == 0) i = 8;
    else return CFS_E_FORMAT;
    /* Names are space separated per AWS; one real fixture uses TABs (reference §1.1). */
    while (i < n) {
        while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == sep)) i++;
        if (i >= n) break;
        size_t s = i;
        while (i < n && line[i] != ' ' && line[i] != '\t' && line[i] != sep) i++;
        if (nl.ncols >= CFS_MAX_COLS) return CFS_E_FORMAT;
        cfs_field f = cfs_field_lookup(line + s, i - s);
        nl.field_of_col[nl.ncols] = (uint8_t)f;
        /* A known field named twice (or under two of its names, "cs-host" and
         * "cs(Host)") has no safe meaning: which column holds the value?  Reading the
         * first for some lines and the last for others put one line under two edges, so
         * the whole header is refused.  Unknown names are ignored, repeated or not. */
        if (f != CFS_F_UNKNOWN) {
            if (nl.col_of[f] >= 0) return CFS_E_FORMAT;
            nl.col_of[f] = (int16_t)nl.ncols;
        }
        nl.ncols++;
    }
    int has_time = (nl.col_of[CFS_F_DATE] >= 0 && nl.col_of[CFS_F_TIME] >= 0) ||
                   nl.col_of[CFS_F_TIMESTAMP_MS] >= 0 || nl.col_of[CFS_F_TIMESTAMP] >= 0;
    if (!has_time || nl.col_of[CFS_F_SC_STATUS] < 0) return CFS_E_FORMAT;
    /* The essentials a line must carry: its time and its status (and the edge when the
     * layout has one).  Later columns may be missing (tolerated, counted). */
    static const cfs_field essentials[] = {CFS_F_DATE,      CFS_F_TIME,      CFS_F_TIMESTAMP_MS,
                                           CFS_F_TIMESTAMP, CFS_F_SC_STATUS, CFS_F_EDGE_LOCATION};
    int16_t need = 0;
    for (size_t k = 0; k < sizeof essentials / sizeof essentials[0]; k++)
        if (nl.col_of[essentials[k]] + 1 > need) need = (int16_t)(nl.col_of[essentials[k]] + 1);
    nl.min_cols = need;
    /* Lean fields in the layout, and the TABs that bound them: column c ends at TAB c,
     * the last column at the line end.  Absent fields are not listed: their spans stay
     * zero (see cfs_record_reset). */
    uint8_t tab_tier[CFS_MAX_COLS]; /* 0: not needed, 1: by every line, 2: by the rest */
    memset(tab_tier, 0, sizeof tab_tier);
    for (size_t k = 0; k < sizeof k_lean / sizeof k_lean[0]; k++) {
        if (k == K_LEAN_EVERY) nl.nlean_every = nl.nlean;
        int16_t c = nl.col_of[k_lean[k]];
        if (c < 0) continue;
        nl.lean_field[nl.nlean] = (uint8_t)k_lean[k];
        nl.lean_col[nl.nlean] = (uint8_t)c;
        nl.nlean++;
        uint8_t tier = k < K_LEAN_EVERY ? 1 : 2;
        if (c > 0 && (!tab_tier[c - 1] || tab_tier[c - 1] > tier)) tab_tier[c - 1] = tier;
        if (c + 1 < (int16_t)nl.ncols && (!tab_tier[c] || tab_tier[c] > tier)) tab_tier[c] = tier;
    }
    nl.plain_ok = nl.col_of[CFS_F_DATE] >= 0 && nl.col_of[CFS_F_TIME] >= 0 &&
                  nl.col_of[CFS_F_EDGE_LOCATION] >= 0 && nl.col_of[CFS_F_SC_BYTES] >= 0 &&
                  nl.col_of[CFS_F_SC_STATUS] >= 0 && nl.col_of[CFS_F_EDGE_RESULT_TYPE] >= 0;
    nl.plain_miss_ok = nl.plain_ok && nl.col_of[CFS_F_CACHE_BEHAVIOR_PATH_PATTERN] < 0;
    uint8_t second[32]; /* the TABs only the second tier adds: at most 2 x 16 lean fields */
    unsigned nsecond = 0;
    for (unsigned t = 0; t < CFS_MAX_COLS; t++) {
        if (tab_tier[t] == 1) nl.want_every[nl.nwant_every++] = (uint8_t)t;
        if (tab_tier[t] == 2) second[nsecond++] = (uint8_t)t;
    }
    if (nsecond && nl.nwant_every && second[0] > nl.want_every[nl.nwant_every - 1]) {
        nl.more_from = (uint8_t)(nl.want_every[nl.nwant_every - 1] + 1);
        for (unsigned w = 0; w < nsecond; w++)
            nl.want_more[nl.nwant_more++] = (uint8_t)(second[w] - nl.more_from);
    } else if (nsecond) {
        for (unsigned t = 0; t < CFS_MAX_COLS; t++)
            if (tab_tier[t]) nl.want_more[nl.nwant_more++] = (uint8_t)t;
    }
    *l = nl;
    return CFS_OK;
}

/* The last header line each thread parsed, with what the parse gave (*l is written on
 * every path, the unusable layout included).  CloudFront starts every file with the same
 * #Fields: line, and a distribution with little traffic writes files of a few dozen
 * lines: parsing the header again cost about 28,000 instructions a file, more than its
 * 20 lines.  Longer lines than the memo holds are parsed every time. */
#define LAYOUT_MEMO_MAX 2048
static _Thread_local struct {
    size_t n; /* 0: empty */
    char delim;
    cfs_status st;
    cfs_layout l;
    char line[LAYOUT_MEMO_MAX];
} t_layout_memo;

cfs_status cfs_layout_parse_delim(cfs_layout *l, const char *line, size_t n, char delim)
{
    if (n && n == t_layout_memo.n && delim == t_layout_memo.delim &&
        memcmp(line, t_layout_memo.line, n) == 0) {
        *l = t_layout_memo.l;
        return t_layout_memo.st;
    }
    cfs_status st = layout_parse(l, line, n, delim);
    if (n && n <= LAYOUT_MEMO_MAX) {
        memcpy(t_layout_memo.line, line, n);
        t_layout_memo.n = n;
        t_layout_memo.delim = delim;
        t_layout_memo.st = st;
        t_layout_memo.l = *l;
    }
    return st;
}

void cfs_record_reset(cfs_record *r) { memset(r, 0, sizeof *r); }

/* ---- record ------------------------------------------------------------------------- */
static inline int parse_status(cfs_span s, uint16_t *out)
{
    /* sc-status is three digits; "000" means the viewer closed the connection. */
    if (s.n != 3) return -1;
    unsigned a = (unsigned char)s.p[0] - '0', b = (unsigned char)s.p[1] - '0',
             c = (unsigned char)s.p[2] - '0';
    if (a > 9 || b > 9 || c > 9) return -1;
    *out = (uint16_t)(a * 100 + b * 10 + c);
    return 0;
}

static inline uint32_t parse_ms_or_none(cfs_span s)
{
    /* What CloudFront writes for nearly every request under 10 s, "D.DDD", inline;
     * anything else by cfs_parse_millis (the same value for these five bytes). */
    if (s.n == 5 && s.p[1] == '.') {
        const unsigned a = (unsigned)(unsigned char)s.p[0] - '0', b = (unsigned)(unsigned char)s.p[2] - '0',
                       c = (unsigned)(unsigned char)s.p[3] - '0', d = (unsigned)(unsigned char)s.p[4] - '0';
        if (a <= 9 && b <= 9 && c <= 9 && d <= 9) return a * 1000 + b * 100 + c * 10 + d;
    }
    uint32_t v;
    if (s.n == 0 || cfs_parse_millis(s.p, s.n, &v) != 0) return CFS_NO_MILLIS;
    return v;
}

/* Date parsing dominates number parsing: lines of a file share few distinct dates, so
 * each thread remembers the last "YYYY-MM-DD" and its day number. */
static _Thread_local char t_last_date[10];
static _Thread_local int64_t t_last_days = INT64_MIN;

/* The time of a "YYYY-MM-DD" and "HH:MM:SS" pair (d.n == 10, t.n == 8). */
static inline int parse_date_time(cfs_span d, cfs_span t, int64_t *out)
{
    int64_t days;
    uint64_t d8, c8;
    uint16_t d2, c2;
    memcpy(&d8, d.p, 8);
    memcpy(&d2, d.p + 8, 2);
    memcpy(&c8, t_last_date, 8);
    memcpy(&c2, t_last_date + 8, 2);
    if (t_last_days != INT64_MIN && d8 == c8 && d2 == c2) {
        days = t_last_days;
    } else {
        int64_t secs;
        if (cfs_parse_date_time(d.p, 10, "00:00:00", 8, &secs) != 0) return -1;
        days = secs / 86400;
        memcpy(t_last_date, d.p, 10);
        t_last_days = days;
    }
    int32_t tod = cfs_parse_time_of_day(t.p, t.n);
    if (tod < 0) return -1;
    /* The year is four digits, so days is within +-3.7 million: no overflow here. */
    int64_t ts = days * 86400 + tod;
    if (!cfs_time_in_range(ts)) return -1;
    *out = ts;
    return 0;
}

static int parse_ts(const cfs_record *r, int64_t *out)
{
    cfs_span d = r->f[CFS_F_DATE], t = r->f[CFS_F_TIME];
    if (d.n && t.n) return d.n == 10 && t.n == 8 ? parse_date_time(d, t, out) : -1;
    /* Without both date and time (a v2 layout may choose date alone, or time alone):
     * v2: timestamp(ms) is epoch milliseconds; timestamp is epoch seconds, possibly with a
     * fractional part of digits (real-time logs: "1607374321.541").  Both are unsigned, at
     * most 19 digits (cfs_parse_u64), and compared as unsigned before any conversion, so
     * 9223372036854775807 or 10^18 can never become a key (types.h: time range). */
    uint64_t v;
    cfs_span ms = r->f[CFS_F_TIMESTAMP_MS];
    if (ms.n) {
        if (cfs_parse_u64(ms.p, ms.n, &v) != 0) return -1;
        v /= 1000;
    } else {
        cfs_span s = r->f[CFS_F_TIMESTAMP];
        if (!s.n) return -1;
        size_t k = 0;
        while (k < s.n && s.p[k] != '.') k++;
        if (cfs_parse_u64(s.p, k, &v) != 0) return -1;
        if (k < s.n && k + 1 == s.n) return -1; /* "123." */
        for (size_t i = k + 1; i < s.n; i++)
            if (s.p[i] < '0' || s.p[i] > '9') return -1;
    }
    if (v < (uint64_t)CFS_TIME_MIN || v >= (uint64_t)CFS_TIME_MAX) return -1;
    *out = (int64_t)v;
    return 0;
}


/* The TABs of a line in a position list: pos[0] is one before the line (unsigned, so
 * ls = 0 wraps and wraps back), pos[1 + t] is TAB t, and the entry after the line's last
 * TAB is its end; column c is then pos[c] + 1 up to pos[c + 1].  locate fills the list
 * for the first k columns; the lean path picks only the TABs its fields need
 * (cfs_layout.want_every, want_more), so other entries are not set or hold junk (a pick
 * may write past its wanted TABs, kernels.h).  Both return the line's TAB count. */
#define POS_SLOTS (2 + CFS_MAX_COLS + CFS_COLS_SLACK)
static inline size_t locate(const cfs_kernel *kn, const uint64_t *tabs, uint32_t ls, uint32_t le, size_t k,
                            uint32_t pos[POS_SLOTS])
{
    pos[0] = ls - 1;
    const size_t ntabs = kn->cols(tabs, ls, le, k, pos + 1);
    if (ntabs <= k) pos[1 + ntabs] = le;
    return ntabs;
}

/* Every column of line [ls, le) (ls < le) below use, the line's columns counted (use <=
 * its TABs + 1), as a span of the field the layout names there: straight from the TAB
 * map, each TAB ending a column as it is found, without the position list a locate
 * writes and the loop that reads it back (the full parse of a 403 line of the layout's
 * width: callgrind, 2 files of half 403s, 244 instructions a 403 line fewer).  Column c
 * ends at TAB c, the line's last column at le. */
static inline void spans_from_tabs(const cfs_layout *l, const char *base, const uint64_t *tabs, uint32_t ls,
                                   uint32_t le, size_t use, cfs_record *r)
{
    size_t c = 0, w = ls >> 6;
    const size_t last = (size_t)(le - 1) >> 6;
    const uint64_t end_mask = (le & 63) ? ((uint64_t)1 << (le & 63)) - 1 : ~(uint64_t)0;
    uint32_t s = ls; /* the column's first byte */
    uint64_t m = tabs[w] & (~(uint64_t)0 << (ls & 63));
    for (;;) {
        if (w == last) m &= end_mask;
        for (; m; m &= m - 1) {
            const uint32_t t = (uint32_t)(w << 6) + (uint32_t)__builtin_ctzll(m);
            const unsigned f = l->field_of_col[c];
            if (f != CFS_F_UNKNOWN) r->f[f] = (cfs_span){base + s, t - s};
            s = t + 1;
            if (++c == use) return;
        }
        if (w == last) break;
        m = tabs[++w];
    }
    const unsigned f = l->field_of_col[c]; /* c == the TABs < use: the last column */
    if (f != CFS_F_UNKNOWN) r->f[f] = (cfs_span){base + s, le - s};
}

/* Column c of a position list: from pos[c] + 1 to pos[c + 1], in unsigned 32 bits (pos[0]
 * = ls - 1 wraps back). */
static inline cfs_span col_span(const char *base, const uint32_t *pos, size_t c)
{
    const uint32_t s0 = pos[c] + 1;
    return (cfs_span){base + s0, pos[c + 1] - s0};
}

/* Spans of lean fields [from, to) from a position list (locate, or picked). */
static inline void set_lean(const cfs_layout *l, const char *base, const uint32_t *pos, size_t ntabs,
                            unsigned from, unsigned to, cfs_record *r)
{
    if (ntabs + 1 >= l->ncols) {
        /* the layout's width (or more: trailing TABs), so every lean column is there */
        for (unsigned f = from; f < to; f++) r->f[l->lean_field[f]] = col_span(base, pos, l->lean_col[f]);
        return;
    }
    for (unsigned f = from; f < to; f++) {
        const size_t c = l->lean_col[f];
        /* past the end of a short line: absent */
        r->f[l->lean_field[f]] = c <= ntabs ? col_span(base, pos, c) : (cfs_span){NULL, 0};
    }
}

/* What every accepted line gets after its spans are set: the time, the numbers and the
 * enumerations (all: every field; else the lean members only, see fields.h). */
static int record_tail(cfs_record *r, int all)
{
    if (parse_ts(r, &r->ts) != 0) return CFS_REJ_BAD_VALUE;

    uint64_t v;
    cfs_span b = r->f[CFS_F_SC_BYTES];
    r->sc_bytes = (b.n && cfs_parse_u64(b.p, b.n, &v) == 0) ? v : 0;
    r->time_taken_ms = parse_ms_or_none(r->f[CFS_F_TIME_TAKEN]);
    if (all) {
        cfs_span rt = r->f[CFS_F_EDGE_RESULT_TYPE];
        r->result = (uint8_t)result_parse(rt.p, rt.n);
    } else {
        /* The rest matters only to attribution (403s) and to `requests`.  On the lean path
         * its spans are all empty, which parses to exactly these values.  A Miss that can
         * be an origin fetch also gets its time-to-first-byte and protocol (their spans are
         * empty on any other): they decide whether and by which measure it feeds the
         * distribution's origin-fetch reference (aggregate.c). */
        if (r->result == CFS_R_MISS) {
            r->ttfb_ms = parse_ms_or_none(r->f[CFS_F_TIME_TO_FIRST_BYTE]);
            r->protocol = parse_proto(r->f[CFS_F_CS_PROTOCOL]);
        } else {
            r->ttfb_ms = CFS_NO_MILLIS;
            r->protocol = CFS_P_NONE;
        }
        r->response_result = r->detailed_result = CFS_R_NONE;
        r->method = CFS_M_NONE;
        r->http_major = r->http_minor = 0;
        return CFS_RECORD_OK;
    }
    r->ttfb_ms = parse_ms_or_none(r->f[CFS_F_TIME_TO_FIRST_BYTE]);
    cfs_span rrt = r->f[CFS_F_EDGE_RESPONSE_RESULT_TYPE], drt = r->f[CFS_F_EDGE_DETAILED_RESULT_TYPE];
    r->response_result = (uint8_t)result_parse(rrt.p, rrt.n);
    r->detailed_result = (uint8_t)result_parse(drt.p, drt.n);
    r->protocol = parse_proto(r->f[CFS_F_CS_PROTOCOL]);
    r->method = parse_method(r->f[CFS_F_CS_METHOD]);
    cfs_span pv = r->f[CFS_F_CS_PROTOCOL_VERSION];
    /* "HTTP/1.1", "HTTP/2.0"; anything else leaves 0.0. */
    if (pv.n == 8 && memcmp(pv.p, "HTTP/", 5) == 0 && pv.p[6] == '.' && (unsigned)(pv.p[5] - '0') <= 9 &&
        (unsigned)(pv.p[7] - '0') <= 9) {
        r->http_major = (uint8_t)(pv.p[5] - '0');
        r->http_minor = (uint8_t)(pv.p[7] - '0');
    } else {
        r->http_major = r->http_minor = 0;
    }
    return CFS_RECORD_OK;
}

/* The second tier's TABs (want_more, counted from TAB more_from) into pos, whose first
 * tier the first pick set, for a line of the layout's width whose end the caller put
 * after its last TAB (pos[ncols]): from the line's start, or from the last first-tier TAB
 * when they all lie after it (cfs_layout).  A pick may write past its last wanted TAB
 * (kernels.h), so the end is put back. */
static inline void pick_more(const cfs_layout *l, const uint64_t *tabs, const cfs_kernel *kn, uint32_t ls,
                             uint32_t le, uint32_t *pos)
{
    if (!l->nwant_more) return; /* every TAB the second tier needs is a first-tier one */
    const uint32_t from = l->more_from ? pos[l->more_from] + 1 : ls;
    (void)kn->pick(tabs, from, le, l->want_more, l->nwant_more, pos + 1 + l->more_from);
    pos[l->ncols] = le;
}

/* Field f's column from a position list whose TABs around it are set, or the empty span
 * when the layout lacks f. */
static inline cfs_span lean_span(const cfs_layout *l, const char *base, const uint32_t *pos, cfs_field f)
{
    const int c = l->col_of[f];
    return c < 0 ? (cfs_span){NULL, 0} : col_span(base, pos, (size_t)c);
}

/* CFS_PARSE_PLAIN's common line (fields.h) from its picked TABs (pos, a line of the
 * layout's width): 1 and r's members as fields.h lists them when the line is one, else 0
 * (the full parse then decides).  A Miss that can be an origin fetch picks its second
 * tier for the latencies and the protocol. */
static int plain_line(const cfs_layout *l, const char *base, uint32_t ls, uint32_t le, const uint64_t *tabs,
                      const cfs_kernel *kn, uint32_t *pos, cfs_record *r, unsigned need)
{
#define PLAIN_SPAN(field) col_span(base, pos, (size_t)l->col_of[field])
    if (parse_status(PLAIN_SPAN(CFS_F_SC_STATUS), &r->status) != 0 || r->status == 403) return 0;
    const cfs_span rt = PLAIN_SPAN(CFS_F_EDGE_RESULT_TYPE);
    const cfs_result res = result_parse(rt.p, rt.n);
    /* an Error under a config's 403 remap is parsed whole (parse_whole); the second tier,
     * as the lean path reads it: a Miss's for its origin sample */
    if (res == CFS_R_ERROR && (need & CFS_PARSE_ERROR_WHOLE)) return 0;
    const int more = lean_more(res, r->status);
    if (res == CFS_R_MISS && !((need & CFS_PARSE_PLAIN_MISS) && l->plain_miss_ok)) return 0;
    const cfs_span d = PLAIN_SPAN(CFS_F_DATE), t = PLAIN_SPAN(CFS_F_TIME);
    if (d.n != 10 || t.n != 8 || parse_date_time(d, t, &r->ts) != 0) return 0;
    const cfs_span b = PLAIN_SPAN(CFS_F_SC_BYTES);
    uint64_t v;
    r->sc_bytes = (b.n && cfs_parse_u64_in(b.p, b.n, base + le, &v) == 0) ? v : 0;
    r->f[CFS_F_EDGE_LOCATION] = PLAIN_SPAN(CFS_F_EDGE_LOCATION);
#undef PLAIN_SPAN
    if (need & CFS_PARSE_PLAIN_DIST) {
        /* first-tier fields: their TABs are picked */
        r->f[CFS_F_DISTRIBUTION_ID] = lean_span(l, base, pos, CFS_F_DISTRIBUTION_ID);
        r->f[CFS_F_CS_HOST] = lean_span(l, base, pos, CFS_F_CS_HOST);
    }
    r->result = (uint8_t)res;
    if (more) {
        /* as record_tail sets them for a Miss of the lean path */
        pick_more(l, tabs, kn, ls, le, pos);
        r->time_taken_ms = parse_ms_or_none(lean_span(l, base, pos, CFS_F_TIME_TAKEN));
        r->ttfb_ms = parse_ms_or_none(lean_span(l, base, pos, CFS_F_TIME_TO_FIRST_BYTE));
        r->protocol = parse_proto(lean_span(l, base, pos, CFS_F_CS_PROTOCOL));
    } else {
        r->time_taken_ms = r->ttfb_ms = CFS_NO_MILLIS;
        r->protocol = CFS_P_NONE;
    }
    return 1;
}

/* The second tier's spans, cleared once after the line that set them, not on every line. */
static void clear_more(const cfs_layout *l, cfs_record *r)
{
    for (unsigned f = l->nlean_every; f < l->nlean; f++) r->f[l->lean_field[f]] = (cfs_span){NULL, 0};
    r->spans_more = 0;
}

int cfs_record_parse(const cfs_layout *l, const char *base, uint32_t ls, uint32_t le, const uint64_t *tabs,
                     const cfs_kernel *kn, cfs_record *r, unsigned *tol, unsigned need)
{
    if (l->ncols == 0) return l->bad ? CFS_REJ_BAD_HEADER : CFS_REJ_NO_HEADER;
    uint32_t pos[POS_SLOTS];
    const int full = (need & CFS_PARSE_ALL) != 0;
    size_t ntabs;
    int located = full; /* pos holds the TABs of every column, not only the lean ones */
    if (full) {
        ntabs = locate(kn, tabs, ls, le, l->ncols, pos);
    } else {
        pos[0] = ls - 1;
        ntabs = kn->pick(tabs, ls, le, l->want_every, l->nwant_every, pos + 1);
        if (ntabs + 1 == l->ncols) {
            pos[1 + ntabs] = le;
            if ((need & CFS_PARSE_PLAIN) && l->plain_ok &&
                plain_line(l, base, ls, le, tabs, kn, pos, r, need))
                return CFS_RECORD_PLAIN;
        }
    }
    const size_t ncols = ntabs + 1;
    /* A line of another width than the layout's: every column it has is located. */
    if (ncols != l->ncols && !located) {
        ntabs = locate(kn, tabs, ls, le, l->ncols, pos);
        located = 1;
    }
    if (ncols > l->ncols) {
        /* Extra columns are tolerated only when empty (a trailing TAB, seen in the AWS
         * example, reference §1.1): then the extra TABs are the line's last bytes. */
        const size_t extra = ncols - l->ncols;
        for (size_t j = 1; j <= extra; j++)
            if (base[le - j] != '\t') return CFS_REJ_TOO_MANY_FIELDS;
        *tol |= CFS_TOL_TRAILING_TAB;
    } else if (ncols < (size_t)l->min_cols) {
        return CFS_REJ_TOO_FEW_FIELDS;
    } else if (ncols < l->ncols) {
        *tol |= CFS_TOL_SHORT;
    }

    /* The status first: it decides how much of the line the aggregates need.  The line
     * has the status column (min_cols), and the position list its TABs (want_every). */
    if (parse_status(col_span(base, pos, (size_t)l->col_of[CFS_F_SC_STATUS]), &r->status) != 0)
        return CFS_REJ_BAD_VALUE;
    const int rtc = l->col_of[CFS_F_EDGE_RESULT_TYPE]; /* a first-tier field: its TABs are in pos */
    const int all = parse_whole(need, r->status,
                                rtc >= 0 && (size_t)rtc < ncols ? col_span(base, pos, (size_t)rtc)
                                                                : (cfs_span){NULL, 0});
    if (all) {
        const size_t use = ncols < l->ncols ? ncols : l->ncols;
        memset(r->f, 0, sizeof r->f);
        if (!located) {
            spans_from_tabs(l, base, tabs, ls, le, use, r);
        } else {
            for (size_t c = 0; c < use; c++) {
                unsigned f = l->field_of_col[c];
                if (f != CFS_F_UNKNOWN) r->f[f] = col_span(base, pos, c);
            }
        }
        r->spans_all = 1;
    } else {
        /* The lean fields.  The other spans are cleared once after a full parse instead
         * of on every line, and those of lean fields the layout lacks stay clear from the
         * reset. */
        if (r->spans_all) {
            memset(r->f, 0, sizeof r->f);
            r->spans_all = 0;
        }
        set_lean(l, base, pos, ntabs, 0, l->nlean_every, r);
        cfs_span rt = r->f[CFS_F_EDGE_RESULT_TYPE];
        r->result = (uint8_t)result_parse(rt.p, rt.n);
        if (lean_more(r->result, r->status)) {
            if (!located) pick_more(l, tabs, kn, ls, le, pos);
            set_lean(l, base, pos, ntabs, l->nlean_every, l->nlean, r);
            r->spans_more = 1;
        } else if (r->spans_more) {
            clear_more(l, r);
        }
    }
    return record_tail(r, all);
}

int cfs_record_from_cols(const cfs_layout *l, const cfs_span *const *col, uint32_t k, cfs_record *r,
                         unsigned need)
{
    if (l->ncols == 0) return l->bad ? CFS_REJ_BAD_HEADER : CFS_REJ_NO_HEADER;
    /* as cfs_record_parse, with every column there: the lean fields first */
    if (r->spans_all) {
        memset(r->f, 0, sizeof r->f);
        r->spans_all = 0;
    }
    for (unsigned f = 0; f < l->nlean_every; f++) r->f[l->lean_field[f]] = col[l->lean_col[f]][k];
    if (parse_status(r->f[CFS_F_SC_STATUS], &r->status) != 0) return CFS_REJ_BAD_VALUE;
    const int all = parse_whole(need, r->status, r->f[CFS_F_EDGE_RESULT_TYPE]);
    if (all) {
        memset(r->f, 0, sizeof r->f);
        for (size_t c = 0; c < l->ncols; c++) {
            unsigned f = l->field_of_col[c];
            if (f != CFS_F_UNKNOWN) r->f[f] = col[c][k];
        }
        r->spans_all = 1;
    } else {
        cfs_span rt = r->f[CFS_F_EDGE_RESULT_TYPE];
        r->result = (uint8_t)result_parse(rt.p, rt.n);
        if (lean_more(r->result, r->status)) {
            for (unsigned f = l->nlean_every; f < l->nlean; f++)
                r->f[l->lean_field[f]] = col[l->lean_col[f]][k];
            r->spans_more = 1;
        } else if (r->spans_more) {
            clear_more(l, r);
        }
    }
    return record_tail(r, all);
}

_Static_assert(CFS_F_COUNT <= 64, "a field set fits a 64-bit mask");

int cfs_record_from_spans(cfs_record *r, unsigned need, uint64_t set)
{
    /* Every span may be set: the next TAB-path line clears them all (cfs_record_parse). */
    r->spans_all = 1;
    r->spans_more = 0;
    if (parse_status(r->f[CFS_F_SC_STATUS], &r->status) != 0) return CFS_REJ_BAD_VALUE;
    const int all = parse_whole(need, r->status, r->f[CFS_F_EDGE_RESULT_TYPE]);
    if (!all) {
        /* As the TAB path leaves a non-403 line: the spans of the first tier, the second
         * tier only on a line that needs it (lean_more), nothing else, so that the
         * aggregates see the same record whatever the format. */
        cfs_span rt = r->f[CFS_F_EDGE_RESULT_TYPE];
        r->result = (uint8_t)result_parse(rt.p, rt.n);
        uint64_t keep = k_lean_first_set;
        if (lean_more(r->result, r->status)) keep |= k_lean_second_set;
        /* only the spans the line set can be non-empty: a JSON line's thirty-odd of about
         * fifty fields, and no test for the others */
        for (uint64_t m = set & ~keep; m; m &= m - 1) r->f[__builtin_ctzll(m)] = (cfs_span){NULL, 0};
    }
    return record_tail(r, all);
}

int cfs_record_parse_delim(const cfs_layout *l, const char *line, size_t n, cfs_record *r, unsigned *tol,
                           unsigned need)
{
    if (l->ncols == 0) return l->bad ? CFS_REJ_BAD_HEADER : CFS_REJ_NO_HEADER;
    const char d = l->delim;
    /* Column starts: CloudFront percent-encodes its delimiters inside values (reference
     * §1.3), so the split needs no quoting rules. */
    uint32_t start[CFS_MAX_COLS + 1];
    size_t ncols = 0, i = 0;
    for (;;) {
        if (ncols < CFS_MAX_COLS + 1) start[ncols] = (uint32_t)i;
        ncols++;
        const char *q = memchr(line + i, d, n - i);
        if (!q) break;
        i = (size_t)(q - line) + 1;
    }
    if (ncols > l->ncols) {
        /* extra columns only when empty: trailing delimiters, as a trailing TAB */
        const size_t extra = ncols - l->ncols;
        for (size_t j = 1; j <= extra; j++)
            if (n < j || line[n - j] != d) return CFS_REJ_TOO_MANY_FIELDS;
        *tol |= CFS_TOL_TRAILING_TAB;
    } else if (ncols < (size_t)l->min_cols) {
        return CFS_REJ_TOO_FEW_FIELDS;
    } else if (ncols < l->ncols) {
        *tol |= CFS_TOL_SHORT;
    }
    memset(r->f, 0, sizeof r->f);
    const size_t use = ncols < l->ncols ? ncols : l->ncols;
    uint64_t set = 0;
    for (size_t c = 0; c < use; c++) {
        unsigned f = l->field_of_col[c];
        if (f == CFS_F_UNKNOWN) continue;
        const uint32_t e = c + 1 < ncols ? start[c + 1] - 1 : (uint32_t)n;
        r->f[f] = (cfs_span){line + start[c], e - start[c]};
        set |= (uint64_t)1 << f;
    }
    return cfs_record_from_spans(r, need, set);
}
