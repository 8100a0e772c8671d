/* cfsgen: seeded generator of realistic Amazon CloudFront standard access logs, with the
 * true 403 cause of every 403 line (labels.tsv), its own counts (expected.json), the
 * distribution configs, AWS WAF logs and optional injected faults.  See datasets/README.md. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <libdeflate.h>
#include <omp.h>
#include <zstd.h>

/* Every value of every field is written from tables and integers with memcpy; the only
 * printf-style formatting is in the config/expected/WAF writers, which are not per line. */

/* ===================================================================================== */
/* small utilities                                                                        */
/* ===================================================================================== */

typedef struct sv {
    const char *p;
    uint32_t n;
} sv;
#define SV(s) ((sv){(s), (uint32_t)(sizeof(s) - 1)})

static sv sv_z(const char *s) { return (sv){s, (uint32_t)strlen(s)}; }

typedef struct buf {
    char *p;
    size_t n, cap;
} buf_t;

static void die_nomem(void)
{
    fputs("cfsgen: out of memory\n", stderr);
    exit(1);
}

static void buf_reserve(buf_t *b, size_t extra)
{
    if (b->n + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) die_nomem();
    b->p = p;
    b->cap = cap;
}

static void buf_put(buf_t *b, const void *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }
static void buf_putsv(buf_t *b, sv s) { buf_put(b, s.p, s.n); }
static void buf_putc(buf_t *b, char c) { buf_put(b, &c, 1); }

static void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* Decimal writers for the hot path. */
static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}
static inline char *put_2d(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}
/* Seconds with millisecond resolution, the time-taken / time-to-first-byte format ("0.082"). */
static inline char *put_secs(char *p, uint32_t ms)
{
    p = put_u64(p, ms / 1000);
    *p++ = '.';
    p[0] = (char)('0' + ms / 100 % 10);
    p[1] = (char)('0' + ms / 10 % 10);
    p[2] = (char)('0' + ms % 10);
    return p + 3;
}
static inline char *put_sv(char *p, sv s)
{
    memcpy(p, s.p, s.n);
    return p + s.n;
}
static inline char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* ===================================================================================== */
/* PRNG: splitmix64 for seeding, xoshiro256** for streams                                 */
/* ===================================================================================== */

typedef struct rng {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One 64-bit value from (a, b): used for per-file seeds, names and object sizes, so that
 * every derived value depends only on the seed and a stable index, never on threads. */
static uint64_t mix2(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD1B54A32D192ED03ull);
    splitmix64(&x);
    return splitmix64(&x);
}

static void rng_seed(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return res;
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-32, irrelevant here). */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
static inline uint32_t rng_range(rng_t *r, uint32_t lo, uint32_t hi) /* inclusive */
{
    return lo + rng_below(r, hi - lo + 1);
}
static inline double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static inline int rng_pct(rng_t *r, uint32_t pct) { return rng_below(r, 100) < pct; }

/* Pick from small weight tables by linear scan. */
static uint32_t pick_w(rng_t *r, const uint16_t *w, uint32_t n)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += w[i];
    uint32_t x = rng_below(r, total);
    for (uint32_t i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return n - 1;
}

/* Skewed (Zipf-like) popularity over n items: cum[i] is the cumulative weight up to item i,
 * scaled so that cum[n-1] == 2^31; pick with a binary search on 31 random bits. */
static void build_cum(uint32_t *cum, uint32_t n, double s, double q, const double *w_or_null)
{
    double total = 0;
    for (uint32_t i = 0; i < n; i++) total += w_or_null ? w_or_null[i] : 1.0 / pow(i + q, s);
    double acc = 0;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc += w_or_null ? w_or_null[i] : 1.0 / pow(i + q, s);
        double v = acc / total * 2147483648.0;
        uint32_t c = v >= 2147483648.0 ? 2147483648u : (uint32_t)v;
        if (c <= prev) c = prev + 1; /* every item keeps a non-zero chance */
        cum[i] = c;
        prev = c;
    }
    cum[n - 1] = prev > 2147483648u ? prev : 2147483648u;
}

static inline uint32_t pick_cum(rng_t *r, const uint32_t *cum, uint32_t n)
{
    uint32_t x = (uint32_t)(rng_next(r) >> 33) % cum[n - 1];
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cum[mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* ===================================================================================== */
/* dates                                                                                  */
/* ===================================================================================== */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

/* "YYYY-MM-DD" (10 bytes, no NUL) */
static void fmt_date(char *out, int64_t days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = out;
    p = put_2d(p, (unsigned)(y / 100));
    p = put_2d(p, (unsigned)(y % 100));
    *p++ = '-';
    p = put_2d(p, (unsigned)m);
    *p++ = '-';
    put_2d(p, (unsigned)d);
}

/* ===================================================================================== */
/* static content tables                                                                  */
/* ===================================================================================== */

/* Statuses written.  expected.json keys are these strings exactly as logged. */
enum { S_000, S_200, S_201, S_204, S_206, S_301, S_304, S_307, S_403, S_404, S_502, S_503, NSTATUS };
static const char *const status_str[NSTATUS] = {"000", "200", "201", "204", "206", "301",
                                                "304", "307", "403", "404", "502", "503"};

/* Cause ids, same numbering and spelling as enum cfs_cause / cfs_cause_name() in
 * pipeline/types.h ("unknown" is never generated on purpose). */
enum {
    C_NONE, C_GEO, C_WAF, C_SIG_MISSING, C_SIG_EXPIRED, C_SIG_INVALID, C_HTTPS, C_METHOD,
    C_CNAME, C_ORIGIN_S3, C_ORIGIN_CUSTOM, C_EDGE_OTHER, NCAUSE
};
static const char *const cause_name[NCAUSE] = {
    "none", "geo_restriction", "waf_block", "signed_url_missing", "signed_url_expired",
    "signed_url_invalid", "https_required", "method_not_allowed", "cname_not_associated",
    "origin_s3", "origin_custom", "edge_other"};
/* Share of the 403s per cause, in percent; every cause >= 4% so that each stays above 2% of
 * the 403s of any data set of 20k lines (the draw is stratified, see cause_cycle). */
static const uint8_t cause_weight[NCAUSE] = {0, 10, 20, 10, 8, 6, 8, 7, 4, 12, 8, 7};

/* Edge locations (reference section 6): 3 letters (IATA-like) + site number + optional
 * -C<n>/-P<n>; the second column is the country whose viewers it mostly serves. */
typedef struct edge_def {
    const char *code;
    const char *cc;
    uint16_t weight; /* global popularity for viewers away from home */
} edge_def;
static const edge_def edges[] = {
    {"IAD89-C1", "US", 60}, {"IAD55-P3", "US", 40}, {"IAD12-C2", "US", 20},
    {"ORD52-C1", "US", 30}, {"ORD56-P1", "US", 15}, {"LAX3", "US", 25},
    {"LAX50-C1", "US", 25}, {"SEA19-C1", "US", 15}, {"SEA73-P2", "US", 8},
    {"DFW56-P1", "US", 20}, {"DFW3", "US", 10},     {"ATL56-C1", "US", 15},
    {"JFK50-C2", "US", 20}, {"EWR53-C1", "US", 15}, {"MIA3-C1", "US", 10},
    {"SFO53-C1", "US", 20}, {"HIO52-C1", "US", 8},  {"DEN52-C1", "US", 8},
    {"BOS50-C1", "US", 6},  {"PHX50-C1", "US", 5},  {"YTO50-C1", "CA", 8},
    {"YUL62-C2", "CA", 4},  {"GRU3-C1", "BR", 10},  {"GIG51-C1", "BR", 4},
    {"QRO51-C1", "MX", 5},  {"EZE50-C1", "AR", 3},  {"FRA56-P2", "DE", 30},
    {"FRA6-C1", "DE", 15},  {"MUC50-C1", "DE", 6},  {"DUS51-C1", "DE", 5},
    {"TXL50-P1", "DE", 5},  {"HAM50-C1", "DE", 4},  {"LHR62-C2", "GB", 25},
    {"LHR50-P3", "GB", 12}, {"MAN50-C1", "GB", 5},  {"CDG52-P2", "FR", 15},
    {"MRS53-P3", "FR", 4},  {"AMS1-C1", "NL", 12},  {"AMS54-C1", "NL", 6},
    {"ARN56-P1", "SE", 5},  {"MAD50-C1", "ES", 6},  {"MXP64-C1", "IT", 6},
    {"WAW50-C1", "PL", 5},  {"SOF50-P2", "BG", 3},  {"VIE50-C1", "AT", 3},
    {"ZRH55-C1", "CH", 3},  {"DUB56-P1", "IE", 4},  {"NRT57-C2", "JP", 15},
    {"NRT20-C4", "JP", 8},  {"KIX56-C1", "JP", 5},  {"ICN54-C1", "KR", 8},
    {"SIN2-C1", "SG", 10},  {"SIN52-C2", "SG", 5},  {"HKG62-C1", "HK", 8},
    {"BOM78-P2", "IN", 8},  {"DEL54-C1", "IN", 6},  {"SYD1-C1", "AU", 8},
    {"MEL50-C1", "AU", 4},  {"JNB50-C1", "ZA", 3},  {"DXB52-P1", "AE", 4},
    {"TPE50-C1", "TW", 4},  {"CGK51-C1", "ID", 4},
};
#define NEDGE ((uint32_t)(sizeof edges / sizeof edges[0]))

/* Viewer countries: code, share of viewers, country of the edges that serve them. */
typedef struct country_def {
    const char *cc;
    uint16_t weight;
    const char *edge_cc;
} country_def;
static const country_def countries[] = {
    {"US", 300, "US"}, {"DE", 60, "DE"}, {"GB", 55, "GB"}, {"FR", 40, "FR"}, {"JP", 40, "JP"},
    {"IN", 40, "IN"},  {"BR", 30, "BR"}, {"CA", 30, "CA"}, {"AU", 20, "AU"}, {"NL", 20, "NL"},
    {"SE", 10, "SE"},  {"KR", 20, "KR"}, {"SG", 12, "SG"}, {"ES", 15, "ES"}, {"IT", 15, "IT"},
    {"PL", 12, "PL"},  {"MX", 15, "MX"}, {"ID", 12, "ID"}, {"CN", 15, "HK"}, {"ZA", 6, "ZA"},
    {"TR", 8, "DE"},   {"BG", 4, "BG"},  {"AE", 6, "AE"},  {"TW", 8, "TW"},  {"IE", 5, "IE"},
    {"CH", 6, "CH"},   {"AT", 5, "AT"},  {"HK", 6, "HK"},  {"AR", 6, "AR"},  {"NG", 4, "ZA"},
    {"VN", 6, "SG"},   {"PH", 5, "SG"},  {"EG", 3, "DE"},  {"UA", 4, "PL"},
};
#define NCOUNTRY ((uint32_t)(sizeof countries / sizeof countries[0]))

/* Countries that a distribution may block (geo restriction blacklist).  Viewers from these
 * appear only in geo_restriction lines, so that c-country (v2 layout) stays consistent. */
static const country_def blocked_countries[] = {
    {"KP", 1, "KR"}, {"IR", 1, "AE"}, {"SY", 1, "AE"}, {"CU", 1, "US"}, {"RU", 1, "DE"}, {"BY", 1, "PL"},
};
#define NBLOCKED ((uint32_t)(sizeof blocked_countries / sizeof blocked_countries[0]))
#define GEO_PER_COUNTRY 64u

typedef struct ua_def {
    const char *ua;
    uint16_t weight;
    uint8_t bot;
} ua_def;
static const ua_def uas[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", 300, 0},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", 100, 0},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", 140, 0},
    {"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.102 Mobile Safari/537.36", 100, 0},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", 60, 0},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.2849.68", 60, 0},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", 80, 0},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", 30, 0},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0", 20, 0},
    {"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", 30, 0},
    {"Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.6668.100 Mobile Safari/537.36", 50, 0},
    {"MyShopApp/3.2.1 (iPhone; iOS 18.1; Scale/3.00)", 20, 0},
    {"okhttp/4.12.0", 20, 0},
    {"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 30, 1},
    {"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 10, 1},
    {"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 8, 1},
    {"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", 8, 1},
    {"curl/8.4.0", 20, 1},
    {"python-requests/2.31.0", 20, 1},
    {"Go-http-client/1.1", 10, 1},
    {"Wget/1.21.3", 5, 1},
};
#define NUA ((uint32_t)(sizeof uas / sizeof uas[0]))
#define UA_FIRST_BOT 13u /* uas[13..] are bots and scripts, preferred by waf_block lines */

static const char *const words[] = {
    "hero",    "banner", "summer", "winter", "launch", "report", "guide",  "intro",
    "product", "team",   "logo",   "promo",  "sale",   "gallery", "travel", "recipe",
    "news",    "update", "review", "howto",  "demo",   "keynote", "trailer", "episode",
    "chart",   "map",    "city",   "ocean",  "forest", "garden", "studio", "archive",
};
#define NWORDS 32u

/* Object kinds: extension, Content-Type and a size range (bytes, log-uniform). */
enum { O_HTML, O_JS, O_CSS, O_JPG, O_PNG, O_WEBP, O_SVG, O_ICO, O_WOFF2, O_MP4, O_M3U8, O_PDF, O_ZIP, O_JSON, O_XML, O_TXT, NOTYPE };
typedef struct otype_def {
    sv ext, ct;
    uint32_t min, max;
} otype_def;
static const otype_def otypes[NOTYPE] = {
    {SV("html"), SV("text/html"), 2000, 120000},
    {SV("js"), SV("application/javascript"), 5000, 800000},
    {SV("css"), SV("text/css"), 2000, 200000},
    {SV("jpg"), SV("image/jpeg"), 5000, 2000000},
    {SV("png"), SV("image/png"), 1000, 1000000},
    {SV("webp"), SV("image/webp"), 3000, 500000},
    {SV("svg"), SV("image/svg+xml"), 500, 30000},
    {SV("ico"), SV("image/x-icon"), 1000, 15000},
    {SV("woff2"), SV("font/woff2"), 10000, 120000},
    {SV("mp4"), SV("video/mp4"), 500000, 80000000},
    {SV("m3u8"), SV("application/vnd.apple.mpegurl"), 200, 4000},
    {SV("pdf"), SV("application/pdf"), 30000, 5000000},
    {SV("zip"), SV("application/zip"), 100000, 50000000},
    {SV("json"), SV("application/json"), 50, 20000},
    {SV("xml"), SV("application/xml"), 1000, 50000},
    {SV("txt"), SV("text/plain"), 50, 500},
};

/* AWS WAF rules that block (terminatingRuleId, terminatingRuleType). */
typedef struct waf_rule {
    const char *id, *type;
    uint16_t weight;
} waf_rule;
static const waf_rule waf_rules[] = {
    {"AWS-AWSManagedRulesCommonRuleSet", "MANAGED_RULE_GROUP", 35},
    {"AWS-AWSManagedRulesSQLiRuleSet", "MANAGED_RULE_GROUP", 12},
    {"AWS-AWSManagedRulesKnownBadInputsRuleSet", "MANAGED_RULE_GROUP", 8},
    {"AWS-AWSManagedRulesAmazonIpReputationList", "MANAGED_RULE_GROUP", 5},
    {"RateLimit-1000", "RATE_BASED", 25},
    {"BlockBadBots", "REGULAR", 15},
};
#define NWAFRULE ((uint32_t)(sizeof waf_rules / sizeof waf_rules[0]))

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/* CloudFront signed-URL alphabet: base64 with '+' '=' '/' replaced by '-' '_' '~'
 * (private-content-linux-openssl.md: tr '+=/' '-_~'). */
static const char b64cf[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~";
static const char alnum_uc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char alnum_lc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
static const char hexd[] = "0123456789abcdef";

/* ===================================================================================== */
/* field catalogue and layouts                                                            */
/* ===================================================================================== */

enum {
    F_DATE, F_TIME, F_EDGE, F_SC_BYTES, F_C_IP, F_METHOD, F_HOST, F_URI, F_STATUS, F_REFERER,
    F_UA, F_QUERY, F_COOKIE, F_RT, F_REQID, F_HOSTHDR, F_PROTO, F_CS_BYTES, F_TT, F_XFF,
    F_SSLP, F_SSLC, F_RRT, F_PROTOVER, F_FLE_STATUS, F_FLE_FIELDS, F_C_PORT, F_TTFB, F_DRT,
    F_CT, F_CLEN, F_RSTART, F_REND, /* the 33 legacy fields, in #Fields: order (§1.2) */
    F_TS_MS, F_COUNTRY,             /* standard logging v2 additions */
    NF
};
static const char *const field_name[NF] = {
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)",
    "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes",
    "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher", "x-edge-response-result-type",
    "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port", "time-to-first-byte",
    "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start",
    "sc-range-end", "timestamp(ms)", "c-country"};

/* The v2 (standard logging v2, W3C output) field set: user-chosen, in the user's order. */
static const uint8_t v2_fields[] = {
    F_TS_MS, F_DATE, F_TIME, F_C_IP, F_EDGE, F_STATUS, F_METHOD, F_URI, F_HOSTHDR, F_PROTO,
    F_TT, F_SC_BYTES, F_RT, F_DRT, F_RRT, F_REQID, F_CT, F_CLEN, F_QUERY, F_COOKIE, F_TTFB,
    F_PROTOVER, F_COUNTRY, F_HOST};

enum { LAY_33, LAY_19, LAY_24, LAY_26, LAY_V2, NLAYOUT, LAY_MIXED = NLAYOUT };
static const char *const layout_name[] = {"33", "19", "24", "26", "v2", "mixed"};
/* `mixed` rotates through these, by file index. */
static const uint8_t mixed_rotation[] = {LAY_33, LAY_26, LAY_24, LAY_19, LAY_V2};

typedef struct layout {
    uint8_t nf;
    uint8_t f[NF];
    buf_t header; /* "#Version: 1.0\n#Fields: ...\n" (no #Version: for v2) */
    buf_t header_crlf;
} layout_t;

static void layout_init(layout_t *L, int which)
{
    memset(L, 0, sizeof *L);
    if (which == LAY_V2) {
        L->nf = (uint8_t)sizeof v2_fields;
        memcpy(L->f, v2_fields, sizeof v2_fields);
    } else {
        L->nf = which == LAY_19 ? 19 : which == LAY_24 ? 24 : which == LAY_26 ? 26 : 33;
        for (uint8_t i = 0; i < L->nf; i++) L->f[i] = i;
    }
    for (int crlf = 0; crlf < 2; crlf++) {
        buf_t *h = crlf ? &L->header_crlf : &L->header;
        const char *eol = crlf ? "\r\n" : "\n";
        if (which != LAY_V2) {
            buf_puts(h, "#Version: 1.0");
            buf_puts(h, eol);
        }
        buf_puts(h, "#Fields:");
        for (uint8_t i = 0; i < L->nf; i++) {
            buf_putc(h, ' ');
            buf_puts(h, field_name[L->f[i]]);
        }
        buf_puts(h, eol);
    }
}

/* ===================================================================================== */
/* options                                                                                */
/* ===================================================================================== */

enum { FMT_GZ, FMT_ZST, FMT_PLAIN };
static const char *const fmt_ext[] = {"gz", "zst", "log"};

enum {
    FAULT_TRUNC_GZ, FAULT_CORRUPT_ZST, FAULT_GARBAGE, FAULT_LONG_LINE, FAULT_SHORT_LINES,
    FAULT_NO_HEADER, FAULT_EMPTY, FAULT_MULTI_MEMBER, FAULT_HEADER_SWITCH, FAULT_CRLF,
    FAULT_TRAILING_TAB, NFAULT
};
static const char *const fault_name[NFAULT] = {
    "truncated-gz", "corrupt-zst", "garbage", "long-line", "short-lines", "no-header",
    "empty", "multi-member", "header-switch", "crlf", "trailing-tab"};

typedef struct opts {
    const char *out;
    uint64_t seed;
    uint32_t dists, days, fph, lpf;
    int64_t start_day;
    uint64_t size; /* 0 = use lpf */
    int fmt, layout;
    uint32_t faults; /* bit per FAULT_* */
    double share403;
    int configs, waf;
    int threads; /* 0 = OpenMP default */
} opts_t;

static void usage(FILE *f)
{
    fputs(
        "usage: cfsgen -o DIR [options]\n"
        "Writes seeded, realistic Amazon CloudFront standard access logs plus labels.tsv (true\n"
        "cause of every 403), expected.json (the generator's counts), config/ and waf/.\n"
        "\n"
        "  -o DIR                 output directory (created if needed)\n"
        "  --seed N               seed (default 1); same seed and options => same bytes\n"
        "  --dists N              distributions (default 3)\n"
        "  --days N               days of logs (default 2)\n"
        "  --start YYYY-MM-DD     first day, UTC (default 2026-11-01)\n"
        "  --files-per-hour N     log files per distribution and hour (default 1)\n"
        "  --lines-per-file N     data lines per log file (default 2000)\n"
        "  --size S               total uncompressed size, e.g. 1G, 200M, 512K (overrides\n"
        "                         --lines-per-file; K/M/G are powers of 1024)\n"
        "  --format gz|zst|plain  compression of the log files (default gz)\n"
        "  --layout 33|19|24|26|v2|mixed   field layout (default 33)\n"
        "  --faults LIST          comma-separated: truncated-gz, corrupt-zst, garbage,\n"
        "                         long-line, short-lines, no-header, empty, multi-member,\n"
        "                         header-switch, crlf, trailing-tab, or all\n"
        "  --403-share F          share of 403 lines, 0..1 (default 0.08)\n"
        "  --no-configs           do not write config/DISTID.json\n"
        "  --no-waf               do not write waf/waf-YYYY-MM-DD.log.gz\n"
        "  -j N                   threads (default: all cores); output does not depend on it\n"
        "  -h, --help             this text\n",
        f);
}

static void bad_value(const char *opt, const char *val, const char *want)
{
    fprintf(stderr, "cfsgen: %s: bad value '%s' (%s)\n", opt, val, want);
    exit(2);
}

static uint64_t parse_u64(const char *opt, const char *v, uint64_t lo, uint64_t hi)
{
    char *end;
    if (!v[0] || v[0] == '-' || v[0] == '+' || v[0] == ' ') goto bad;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < lo || x > hi) goto bad;
    return x;
bad:;
    char want[96];
    snprintf(want, sizeof want, "expected an integer from %" PRIu64 " to %" PRIu64, lo, hi);
    bad_value(opt, v, want);
    return 0;
}

static uint64_t parse_size(const char *opt, const char *v)
{
    char *end;
    if (!v[0] || !(v[0] >= '0' && v[0] <= '9')) goto bad;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v) goto bad;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1024.0; break;
        case 'm': case 'M': mul = 1024.0 * 1024; break;
        case 'g': case 'G': mul = 1024.0 * 1024 * 1024; break;
        case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; break;
        default: goto bad;
        }
        end++;
        if (*end == 'B' || *end == 'b') end++;
        if (*end) goto bad;
    }
    x *= mul;
    if (!(x >= 1024 && x <= 16.0 * 1024 * 1024 * 1024 * 1024)) goto bad;
    return (uint64_t)x;
bad:
    bad_value(opt, v, "expected a size such as 1G, 200M or 512K, at least 1K");
    return 0;
}

static int64_t parse_date(const char *opt, const char *v)
{
    int y, m, d;
    char tail;
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-' || sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        goto bad;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !(v[i] >= '0' && v[i] <= '9')) goto bad;
    if (y < 1990 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) goto bad;
    int64_t days = days_from_civil(y, m, d);
    int yy, mm, dd;
    civil_from_days(days, &yy, &mm, &dd);
    if (yy != y || mm != m || dd != d) goto bad; /* e.g. 2026-02-30 */
    return days;
bad:
    bad_value(opt, v, "expected a date YYYY-MM-DD between 1990 and 2200");
    return 0;
}

static uint32_t parse_faults(const char *opt, const char *v)
{
    uint32_t bits = 0;
    const char *p = v;
    if (!*p) bad_value(opt, v, "expected a comma-separated list of faults");
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        if (n == 3 && !memcmp(p, "all", 3)) {
            bits |= (1u << NFAULT) - 1;
            found = 1;
        }
        for (int i = 0; i < NFAULT && !found; i++)
            if (strlen(fault_name[i]) == n && !memcmp(p, fault_name[i], n)) {
                bits |= 1u << i;
                found = 1;
            }
        if (!found) {
            char item[64];
            snprintf(item, sizeof item, "%.*s", (int)(n < 60 ? n : 60), p);
            fprintf(stderr, "cfsgen: %s: unknown fault '%s' (known: truncated-gz, corrupt-zst, garbage, "
                            "long-line, short-lines, no-header, empty, multi-member, header-switch, crlf, "
                            "trailing-tab, all)\n", opt, item);
            exit(2);
        }
        p += n;
        if (*p == ',') {
            p++;
            if (!*p) bad_value(opt, v, "empty item in the list");
        }
    }
    return bits;
}

static void parse_args(int argc, char **argv, opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->dists = 3;
    o->days = 2;
    o->start_day = days_from_civil(2026, 11, 1);
    o->fph = 1;
    o->lpf = 2000;
    o->fmt = FMT_GZ;
    o->layout = LAY_33;
    o->share403 = 0.08;
    o->configs = 1;
    o->waf = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char name[64];
        const char *val = NULL;
        /* "--opt=value", "--opt value", "-o DIR", "-oDIR", "-j N", "-jN" */
        if (a[0] == '-' && a[1] == '-') {
            const char *eq = strchr(a, '=');
            size_t n = eq ? (size_t)(eq - a) : strlen(a);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, a, n);
            name[n] = 0;
            if (eq) val = eq + 1;
        } else if (a[0] == '-' && (a[1] == 'o' || a[1] == 'j' || a[1] == 'h') ) {
            name[0] = '-';
            name[1] = a[1];
            name[2] = 0;
            if (a[2]) val = a + 2;
        } else {
            fprintf(stderr, "cfsgen: unexpected argument '%s' (see --help)\n", a);
            exit(2);
        }
        int flag = !strcmp(name, "--no-configs") || !strcmp(name, "--no-waf") ||
                   !strcmp(name, "--help") || !strcmp(name, "-h");
        if (flag) {
            if (val) {
                fprintf(stderr, "cfsgen: %s: takes no value\n", name);
                exit(2);
            }
            if (!strcmp(name, "--no-configs")) o->configs = 0;
            else if (!strcmp(name, "--no-waf")) o->waf = 0;
            else {
                usage(stdout);
                exit(0);
            }
            continue;
        }
        static const char *const known[] = {"-o", "-j", "--seed", "--dists", "--days", "--start",
                                            "--files-per-hour", "--lines-per-file", "--size",
                                            "--format", "--layout", "--faults", "--403-share",
                                            "--out", "--threads"};
        int ok = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) ok |= !strcmp(name, known[k]);
        if (!ok) {
            fprintf(stderr, "cfsgen: unknown option '%s' (see --help)\n", name);
            exit(2);
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cfsgen: %s: missing value\n", name);
                exit(2);
            }
            val = argv[++i];
        }
        if (!strcmp(name, "-o") || !strcmp(name, "--out")) {
            if (!*val) bad_value(name, val, "expected a directory");
            o->out = val;
        } else if (!strcmp(name, "-j") || !strcmp(name, "--threads"))
            o->threads = (int)parse_u64(name, val, 1, 1024);
        else if (!strcmp(name, "--seed"))
            o->seed = parse_u64(name, val, 0, UINT64_MAX);
        else if (!strcmp(name, "--dists"))
            o->dists = (uint32_t)parse_u64(name, val, 1, 1000);
        else if (!strcmp(name, "--days"))
            o->days = (uint32_t)parse_u64(name, val, 1, 3660);
        else if (!strcmp(name, "--start"))
            o->start_day = parse_date(name, val);
        else if (!strcmp(name, "--files-per-hour"))
            o->fph = (uint32_t)parse_u64(name, val, 1, 60);
        else if (!strcmp(name, "--lines-per-file"))
            o->lpf = (uint32_t)parse_u64(name, val, 1, 50000000);
        else if (!strcmp(name, "--size"))
            o->size = parse_size(name, val);
        else if (!strcmp(name, "--format")) {
            if (!strcmp(val, "gz")) o->fmt = FMT_GZ;
            else if (!strcmp(val, "zst")) o->fmt = FMT_ZST;
            else if (!strcmp(val, "plain")) o->fmt = FMT_PLAIN;
            else bad_value(name, val, "expected gz, zst or plain");
        } else if (!strcmp(name, "--layout")) {
            int found = -1;
            for (int k = 0; k <= LAY_MIXED; k++)
                if (!strcmp(val, layout_name[k])) found = k;
            if (found < 0) bad_value(name, val, "expected 33, 19, 24, 26, v2 or mixed");
            o->layout = found;
        } else if (!strcmp(name, "--faults"))
            o->faults = parse_faults(name, val);
        else if (!strcmp(name, "--403-share")) {
            char *end;
            errno = 0;
            double x = strtod(val, &end);
            if (errno || end == val || *end || !(x >= 0.0 && x <= 1.0))
                bad_value(name, val, "expected a number from 0 to 1");
            o->share403 = x;
        }
    }
    if (!o->out) {
        fputs("cfsgen: -o DIR is required (see --help)\n", stderr);
        exit(2);
    }
    /* every file keeps its counts until the end (~1 KB each) */
    if ((uint64_t)o->dists * o->days * 24 * o->fph > 500000) {
        fputs("cfsgen: --dists x --days x 24 x --files-per-hour: more than 500000 files\n", stderr);
        exit(2);
    }
}

/* ===================================================================================== */
/* the world: distributions and viewers, all derived from the seed                        */
/* ===================================================================================== */

typedef struct client {
    char ip[40];
    uint8_t iplen;
    uint8_t v6;
    uint8_t country; /* index into countries[] (or blocked_countries[] in the geo pool) */
    uint8_t ua;
    uint16_t home_edge;
} client_t;

enum { B_DEFAULT, B_STATIC, B_API, B_RESTRICTED, B_SECURE };

typedef struct dist {
    uint32_t num;       /* example-<num> */
    char id[15];        /* E + 13 uppercase alnum */
    char domain[40];    /* dxxxxxxxxxxxxx.cloudfront.net */
    uint32_t domainlen;
    char alias[2][48];  /* www.example-N.com, media.example-N.com */
    char badhost[3][48];/* hosts that are NOT associated with this distribution */
    const char *restricted; /* "/private/" ... (signed URLs / cookies required) */
    const char *secure;     /* "/secure/" ... (HTTPS only) */
    int cookie_logging;
    uint8_t geo[3];     /* indices into blocked_countries[] */
    uint32_t ngeo;
    char key_pair_id[16]; /* trusted public key id, K + 13 */
    char key_group_id[40];
    char oac_id[16];
    char webacl_arn[160];
    char etag[16];
    char referer[3][64];
    uint64_t salt;      /* object sizes, names */
} dist_t;

typedef struct world {
    const opts_t *o;
    dist_t *dist;
    client_t *cl;
    uint32_t ncl;
    uint32_t *cl_cum;
    client_t geo[NBLOCKED * GEO_PER_COUNTRY];
    uint32_t edge_cum[NEDGE];
    uint32_t obj_cum[512];
    uint32_t country_cum[NCOUNTRY];
    uint16_t ua_w[NUA];
    uint16_t waf_w[NWAFRULE];
    sv ua_enc[NUA], ua_enc2[NUA]; /* §1.3 single and pre-2020 double encoding */
    uint8_t cycle[100];
    layout_t lay[NLAYOUT];
} world_t;

static void rand_str(rng_t *r, char *out, size_t n, const char *alpha, uint32_t nalpha)
{
    for (size_t i = 0; i < n; i++) out[i] = alpha[rng_below(r, nalpha)];
    out[n] = 0;
}

/* §1.3: URL-encode bytes 0-32, >= 127 and < > " # % { } | \ ^ ~ [ ] ` ' (space -> %20). */
static inline int needs_enc(unsigned char c)
{
    if (c <= 32 || c >= 127) return 1;
    switch (c) {
    case '<': case '>': case '"': case '#': case '%': case '{': case '}': case '|':
    case '\\': case '^': case '~': case '[': case ']': case '`': case '\'':
        return 1;
    default:
        return 0;
    }
}
static char *log_encode(char *dst, const char *src, size_t n)
{
    static const char HX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (needs_enc(c)) {
            *dst++ = '%';
            *dst++ = HX[c >> 4];
            *dst++ = HX[c & 15];
        } else
            *dst++ = (char)c;
    }
    return dst;
}

static sv encode_alloc(const char *s, size_t n)
{
    char *d = malloc(3 * n + 1);
    if (!d) die_nomem();
    char *e = log_encode(d, s, n);
    *e = 0;
    return (sv){d, (uint32_t)(e - d)};
}

static void gen_ip(rng_t *r, client_t *c, int v6)
{
    char *p = c->ip;
    c->v6 = (uint8_t)v6;
    if (!v6) {
        static const uint8_t bad[] = {0, 10, 100, 127, 169, 172, 192, 198, 224};
        uint32_t a;
        int ok;
        do {
            a = rng_range(r, 1, 223);
            ok = 1;
            for (size_t i = 0; i < sizeof bad; i++) ok &= a != bad[i];
        } while (!ok);
        p = put_u64(p, a);
        for (int i = 0; i < 3; i++) {
            *p++ = '.';
            p = put_u64(p, rng_below(r, 256));
        }
    } else {
        static const char *const pre[] = {"2a02", "2001", "2600", "2603", "2a01", "2405", "2409", "2804", "2c0f", "240e", "2406", "2a00"};
        p = put_str(p, pre[rng_below(r, (uint32_t)(sizeof pre / sizeof pre[0]))]);
        int compress = rng_pct(r, 25); /* some addresses use '::' */
        int groups = compress ? 3 : 7;
        for (int g = 0; g < groups; g++) {
            *p++ = ':';
            uint32_t v = rng_below(r, 65536);
            char tmp[4];
            int n = 0;
            do {
                tmp[n++] = hexd[v & 15];
                v >>= 4;
            } while (v);
            while (n) *p++ = tmp[--n];
        }
        if (compress) {
            *p++ = ':';
            *p++ = ':';
            uint32_t v = rng_range(r, 1, 0xffff);
            char tmp[4];
            int n = 0;
            do {
                tmp[n++] = hexd[v & 15];
                v >>= 4;
            } while (v);
            while (n) *p++ = tmp[--n];
        }
    }
    *p = 0;
    c->iplen = (uint8_t)(p - c->ip);
}

/* Home edge of a viewer from country edge_cc: an edge of that country, the first listed
 * ones more often; falls back to the global skew when no edge serves that country. */
static uint16_t home_edge_for(rng_t *r, const char *edge_cc, const uint32_t *edge_cum)
{
    uint32_t idx[NEDGE], n = 0;
    for (uint32_t e = 0; e < NEDGE; e++)
        if (!strcmp(edges[e].cc, edge_cc)) idx[n++] = e;
    if (!n) return (uint16_t)pick_cum(r, edge_cum, NEDGE);
    /* weight 1/(k+1) over the country's edges */
    double tot = 0;
    for (uint32_t k = 0; k < n; k++) tot += 1.0 / (k + 1);
    double x = rng_unit(r) * tot;
    for (uint32_t k = 0; k < n; k++) {
        x -= 1.0 / (k + 1);
        if (x < 0) return (uint16_t)idx[k];
    }
    return (uint16_t)idx[n - 1];
}

static void world_init(world_t *W, const opts_t *o)
{
    memset(W, 0, sizeof *W);
    W->o = o;
    rng_t r;
    rng_seed(&r, mix2(o->seed, 0x776f726c64ull)); /* "world" */

    double ew[NEDGE];
    for (uint32_t e = 0; e < NEDGE; e++) ew[e] = edges[e].weight;
    build_cum(W->edge_cum, NEDGE, 0, 1, ew);
    double cw[NCOUNTRY];
    for (uint32_t c = 0; c < NCOUNTRY; c++) cw[c] = countries[c].weight;
    build_cum(W->country_cum, NCOUNTRY, 0, 1, cw);
    build_cum(W->obj_cum, 512, 1.0, 3.0, NULL);
    for (uint32_t u = 0; u < NUA; u++) {
        W->ua_w[u] = uas[u].weight;
        W->ua_enc[u] = encode_alloc(uas[u].ua, strlen(uas[u].ua));
        /* pre-2020-01-28 logs encoded twice: space -> %2520 (reference §1.3) */
        W->ua_enc2[u] = encode_alloc(W->ua_enc[u].p, W->ua_enc[u].n);
    }
    for (uint32_t k = 0; k < NWAFRULE; k++) W->waf_w[k] = waf_rules[k].weight;

    /* Viewer population: Zipf-skewed popularity, ~20% IPv6, fixed country, home edge and
     * (mostly) one user agent per viewer. */
    W->ncl = 20000;
    W->cl = calloc(W->ncl, sizeof *W->cl);
    W->cl_cum = calloc(W->ncl, sizeof *W->cl_cum);
    if (!W->cl || !W->cl_cum) die_nomem();
    for (uint32_t i = 0; i < W->ncl; i++) {
        client_t *c = &W->cl[i];
        gen_ip(&r, c, rng_pct(&r, 20));
        c->country = (uint8_t)pick_cum(&r, W->country_cum, NCOUNTRY);
        c->ua = (uint8_t)pick_w(&r, W->ua_w, NUA);
        c->home_edge = home_edge_for(&r, countries[c->country].edge_cc, W->edge_cum);
    }
    build_cum(W->cl_cum, W->ncl, 0.9, 10.0, NULL);
    for (uint32_t b = 0; b < NBLOCKED; b++)
        for (uint32_t k = 0; k < GEO_PER_COUNTRY; k++) {
            client_t *c = &W->geo[b * GEO_PER_COUNTRY + k];
            gen_ip(&r, c, rng_pct(&r, 15));
            c->country = (uint8_t)b;
            c->ua = (uint8_t)pick_w(&r, W->ua_w, NUA);
            c->home_edge = home_edge_for(&r, blocked_countries[b].edge_cc, W->edge_cum);
        }

    /* Distributions. */
    static const char *const restricted[] = {"/private/", "/premium/", "/members/"};
    static const char *const secure[] = {"/secure/", "/account/", "/checkout/"};
    W->dist = calloc(o->dists, sizeof *W->dist);
    if (!W->dist) die_nomem();
    for (uint32_t d = 0; d < o->dists; d++) {
        dist_t *D = &W->dist[d];
        rng_t dr;
        rng_seed(&dr, mix2(o->seed, 0x64697374ull + d)); /* "dist" */
        D->num = d + 1;
        D->id[0] = 'E';
        rand_str(&dr, D->id + 1, 13, alnum_uc, 36);
        D->domain[0] = 'd';
        rand_str(&dr, D->domain + 1, 13, alnum_lc, 36);
        strcat(D->domain, ".cloudfront.net");
        D->domainlen = (uint32_t)strlen(D->domain);
        snprintf(D->alias[0], sizeof D->alias[0], "www.example-%u.com", D->num);
        snprintf(D->alias[1], sizeof D->alias[1], "media.example-%u.com", D->num);
        snprintf(D->badhost[0], sizeof D->badhost[0], "legacy.example-%u.com", D->num);
        snprintf(D->badhost[1], sizeof D->badhost[1], "www.example-%u.net", D->num);
        snprintf(D->badhost[2], sizeof D->badhost[2], "cdn.example-%u.org", D->num + 500);
        D->restricted = restricted[rng_below(&dr, 3)];
        D->secure = secure[rng_below(&dr, 3)];
        D->cookie_logging = d % 2 == 0; /* signed cookies only show where cookies are logged */
        /* geo blacklist: 2 or 3 distinct blocked countries */
        D->ngeo = rng_range(&dr, 2, 3);
        uint8_t perm[NBLOCKED];
        for (uint32_t i = 0; i < NBLOCKED; i++) perm[i] = (uint8_t)i;
        for (uint32_t i = NBLOCKED - 1; i > 0; i--) {
            uint32_t j = rng_below(&dr, i + 1);
            uint8_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (uint32_t i = 0; i < D->ngeo; i++) D->geo[i] = perm[i];
        /* keep the list sorted by table order so the config reads naturally */
        for (uint32_t i = 0; i < D->ngeo; i++)
            for (uint32_t j = i + 1; j < D->ngeo; j++)
                if (D->geo[j] < D->geo[i]) {
                    uint8_t t = D->geo[i];
                    D->geo[i] = D->geo[j];
                    D->geo[j] = t;
                }
        D->key_pair_id[0] = 'K';
        rand_str(&dr, D->key_pair_id + 1, 13, alnum_uc, 36);
        char u[37];
        for (int i = 0, k = 0; i < 36; i++) u[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hexd[rng_below(&dr, 16)], (void)k;
        u[36] = 0;
        memcpy(D->key_group_id, u, 37);
        D->oac_id[0] = 'E';
        rand_str(&dr, D->oac_id + 1, 13, alnum_uc, 36);
        for (int i = 0; i < 36; i++) u[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hexd[rng_below(&dr, 16)];
        snprintf(D->webacl_arn, sizeof D->webacl_arn,
                 "arn:aws:wafv2:us-east-1:123456789012:global/webacl/example-%u-web-acl/%s", D->num, u);
        D->etag[0] = 'E';
        rand_str(&dr, D->etag + 1, 13, alnum_uc, 36);
        snprintf(D->referer[0], sizeof D->referer[0], "https://www.example-%u.com/", D->num);
        snprintf(D->referer[1], sizeof D->referer[1], "https://www.example-%u.com/blog/", D->num);
        snprintf(D->referer[2], sizeof D->referer[2], "https://media.example-%u.com/gallery.html", D->num);
        D->salt = rng_next(&dr);
    }

    /* Stratified cause sequence: smooth weighted round robin over cause_weight, so that any
     * window of consecutive 403s has close to the target shares. */
    int cur[NCAUSE] = {0};
    for (int s = 0; s < 100; s++) {
        int best = 1;
        for (int c = 1; c < NCAUSE; c++) {
            cur[c] += cause_weight[c];
            if (cur[c] > cur[best]) best = c;
        }
        cur[best] -= 100;
        W->cycle[s] = (uint8_t)best;
    }
    for (int l = 0; l < NLAYOUT; l++) layout_init(&W->lay[l], l);
}

static void world_free(world_t *W)
{
    for (uint32_t u = 0; u < NUA; u++) {
        free((void *)W->ua_enc[u].p);
        free((void *)W->ua_enc2[u].p);
    }
    for (int l = 0; l < NLAYOUT; l++) {
        buf_free(&W->lay[l].header);
        buf_free(&W->lay[l].header_crlf);
    }
    free(W->cl);
    free(W->cl_cum);
    free(W->dist);
}

/* ===================================================================================== */
/* one log line                                                                           */
/* ===================================================================================== */

#define LINE_SCRATCH 16384
#define MAX_LINE 12288 /* no generated line is longer; checked after each line */

typedef struct line {
    sv v[NF];
    char *sp; /* next free byte of scratch */
    /* facts for accounting and the WAF record */
    int64_t ts;   /* epoch seconds of date+time */
    uint32_t ms;  /* millisecond part of timestamp(ms) */
    uint8_t status, cause, method_idx;
    uint16_t edge;
    sv raw_query; /* what the viewer sent (WAF args); "" when none */
    sv raw_ua;    /* decoded user agent */
    sv country;
    uint32_t waf_rule;
    char scratch[LINE_SCRATCH];
} line_t;

/* Per-file context. */
typedef struct fctx {
    const world_t *W;
    const dist_t *D;
    int64_t hour_epoch;
    int hour;
    char date[11];
    int old_enc; /* file dated before 2020-01-28: double-encoded user agents */
} fctx_t;

static const sv methods[] = {SV("GET"), SV("HEAD"), SV("POST"), SV("PUT"), SV("DELETE"), SV("OPTIONS"), SV("PATCH")};
enum { M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_OPTIONS, M_PATCH };

static const sv dash = {"-", 1};

/* Object size: fixed per (distribution, kind, object number) as for real objects. */
static uint64_t obj_size(const dist_t *D, int type, uint32_t n)
{
    const otype_def *t = &otypes[type];
    uint64_t h = mix2(D->salt, ((uint64_t)type << 32) | n);
    double u = (double)(h >> 11) * 0x1.0p-53;
    return (uint64_t)(t->min * pow((double)t->max / t->min, u * u)); /* skew to small */
}

static inline char *put_word(char *p, rng_t *r) { return put_str(p, words[rng_below(r, NWORDS)]); }
static inline char *put_hex8(char *p, uint64_t h)
{
    for (int i = 0; i < 8; i++) p[i] = hexd[(h >> (4 * i)) & 15];
    return p + 8;
}

/* Paths are drawn from per-behavior tables of {weight, generator}: one draw v in [0, 100)
 * picks the rule whose weight band holds it.  Every random draw happens before the rule
 * runs (object number n, v, then the object hash h), so a rule only formats; h decides
 * the words, years and kinds of a path, so one object always has the same URI. */
typedef struct path_rule path_rule;
typedef char *path_gen(char *p, const path_rule *R, uint64_t h, uint32_t n);
struct path_rule {
    uint8_t weight;      /* percent of the behavior's requests; a table sums to 100 */
    path_gen *gen;
    const char *text;    /* the fixed part written first */
    const char *suffix;  /* NULL: "." and the kind's extension */
    uint8_t shift;       /* the word is words[(h >> shift) % NWORDS] */
    uint8_t hex_shift;   /* path_word_hex: the 8 hex digits are h >> hex_shift */
    int32_t objn;        /* the object number reported; -1 keeps the drawn n */
    uint32_t base;       /* path_number: the number written is base + n */
    uint8_t nkinds;      /* the object kind is kinds[h % nkinds] */
    uint8_t kinds[3];
};

static char *path_fixed(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    (void)h, (void)n;
    return put_str(p, R->text);
}

/* DIR WORD-N.EXT, the shape of most objects */
static char *path_word_num(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    p = put_str(p, R->text);
    p = put_str(p, words[(h >> R->shift) % NWORDS]);
    *p++ = '-';
    p = put_u64(p, n);
    if (R->suffix) return put_str(p, R->suffix);
    *p++ = '.';
    return put_sv(p, otypes[R->kinds[h % R->nkinds]].ext);
}

/* /blog/YEAR/WORD-N.html */
static char *path_blog(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    p = put_str(p, R->text);
    p = put_u64(p, 2019 + h % 8);
    *p++ = '/';
    p = put_str(p, words[h % NWORDS]);
    *p++ = '-';
    p = put_u64(p, n);
    return put_str(p, R->suffix);
}

/* DIR WORD.HASH8.EXT, fingerprinted static assets */
static char *path_word_hex(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    (void)n;
    p = put_str(p, R->text);
    p = put_str(p, words[(h >> R->shift) % NWORDS]);
    *p++ = '.';
    p = put_hex8(p, h >> R->hex_shift);
    return put_str(p, R->suffix);
}

static char *path_font(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    (void)n;
    p = put_str(p, R->text);
    p = put_str(p, words[(h >> R->shift) % NWORDS]);
    return put_str(p, (h & 2) ? "-regular.woff2" : "-bold.woff2");
}

static const char *const api_resources[] = {"users", "orders", "products", "cart", "sessions", "events"};

/* /api/v1/RESOURCE, and with R->base set /api/v1/RESOURCE/ID */
static char *path_api(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    p = put_str(p, R->text);
    p = put_str(p, api_resources[h % 6]);
    if (!R->base) return p;
    *p++ = '/';
    return put_u64(p, R->base + n * 7);
}

/* DIR (base + n) and the suffix, if any */
static char *path_number(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    (void)h;
    p = put_str(p, R->text);
    p = put_u64(p, R->base + n);
    return R->suffix ? put_str(p, R->suffix) : p;
}

#define KIND(k) .nkinds = 1, .kinds = {k}
static const path_rule default_paths[] = {
    {8, path_fixed, "/", .objn = 0, KIND(O_HTML)},
    {10, path_fixed, "/index.html", .objn = 1, KIND(O_HTML)},
    {3, path_fixed, "/favicon.ico", .objn = 2, KIND(O_ICO)},
    {2, path_fixed, "/robots.txt", .objn = 3, KIND(O_TXT)},
    {2, path_fixed, "/sitemap.xml", .objn = 4, KIND(O_XML)},
    {20, path_blog, "/blog/", ".html", .objn = -1, KIND(O_HTML)},
    {10, path_word_num, "/products/", ".html", .shift = 8, .objn = -1, KIND(O_HTML)},
    {31, path_word_num, "/images/", NULL, .shift = 16, .objn = -1, .nkinds = 3, .kinds = {O_JPG, O_PNG, O_WEBP}},
    {8, path_word_num, "/videos/", ".mp4", .shift = 24, .objn = -1, KIND(O_MP4)},
    {6, path_word_num, "/downloads/", NULL, .shift = 32, .objn = -1, .nkinds = 2, .kinds = {O_ZIP, O_PDF}},
};
static const path_rule static_paths[] = {
    {30, path_word_hex, "/static/js/", ".js", .hex_shift = 8, .objn = -1, KIND(O_JS)},
    {20, path_word_hex, "/static/css/", ".css", .hex_shift = 12, .objn = -1, KIND(O_CSS)},
    {35, path_word_num, "/static/img/", NULL, .shift = 20, .objn = -1, .nkinds = 3, .kinds = {O_PNG, O_SVG, O_WEBP}},
    {8, path_font, "/static/fonts/", .shift = 28, .objn = -1, KIND(O_WOFF2)},
    {7, path_word_num, "/static/media/", ".mp4", .shift = 36, .objn = -1, KIND(O_MP4)},
};
static const path_rule api_paths[] = {
    {45, path_api, "/api/v1/", .base = 1000, .objn = -1, KIND(O_JSON)},
    {30, path_api, "/api/v1/", .objn = -1, KIND(O_JSON)},
    {15, path_fixed, "/api/v2/search", .objn = -1, KIND(O_JSON)},
    {5, path_fixed, "/api/v1/session", .objn = -1, KIND(O_JSON)},
    {5, path_fixed, "/api/health", .objn = -1, KIND(O_JSON)},
};
/* after the distribution's restricted prefix ("/private/" ...) */
static const path_rule restricted_paths[] = {
    {30, path_word_num, "reports/", ".pdf", .objn = -1, KIND(O_PDF)},
    {30, path_word_num, "video/", ".mp4", .objn = -1, KIND(O_MP4)},
    {25, path_word_num, "hls/", "/index.m3u8", .objn = -1, KIND(O_M3U8)},
    {15, path_word_num, "downloads/", ".zip", .objn = -1, KIND(O_ZIP)},
};
/* after the distribution's HTTPS-only prefix ("/secure/" ...) */
static const path_rule secure_paths[] = {
    {30, path_fixed, "overview", .objn = -1, KIND(O_HTML)},
    {20, path_fixed, "settings", .objn = -1, KIND(O_HTML)},
    {30, path_number, "orders/", .base = 100000, .objn = -1, KIND(O_HTML)},
    {20, path_number, "invoices/invoice-", ".pdf", .base = 20000, .objn = -1, KIND(O_PDF)},
};
#undef KIND

typedef struct path_table {
    const path_rule *rules;
    size_t n;
} path_table;
#define PATH_TABLE(t) {t, sizeof t / sizeof t[0]}
static const path_table path_tables[] = {
    [B_DEFAULT] = PATH_TABLE(default_paths), [B_STATIC] = PATH_TABLE(static_paths),
    [B_API] = PATH_TABLE(api_paths),         [B_RESTRICTED] = PATH_TABLE(restricted_paths),
    [B_SECURE] = PATH_TABLE(secure_paths),
};
#undef PATH_TABLE

/* A path for behavior beh; returns the object kind, *objn its popularity index. */
static int gen_path(const fctx_t *F, rng_t *r, line_t *L, int beh, uint32_t *objn)
{
    const dist_t *D = F->D;
    char *s = L->sp, *p = s;
    uint32_t n = pick_cum(r, F->W->obj_cum, 512);
    uint32_t v = rng_below(r, 100);
    uint64_t h = mix2(D->salt, n);
    const path_table *T = &path_tables[beh];
    const path_rule *R = T->rules;
    for (uint32_t band = R->weight; v >= band && R + 1 < T->rules + T->n; band += R->weight) R++;
    if (beh == B_RESTRICTED) p = put_str(p, D->restricted);
    if (beh == B_SECURE) p = put_str(p, D->secure);
    p = R->gen(p, R, h, n);
    L->v[F_URI] = (sv){s, (uint32_t)(p - s)};
    L->sp = p;
    *objn = R->objn < 0 ? n : (uint32_t)R->objn;
    return R->kinds[h % R->nkinds];
}

/* A path for origin_s3 403s: "/", directory-like paths ending '/', and missing objects. */
static void gen_s3_denied_path(rng_t *r, line_t *L, int *type)
{
    uint32_t v = rng_below(r, 100);
    char *s = L->sp, *p = s;
    *type = O_XML;
    if (v < 10)
        p = put_str(p, "/");
    else if (v < 35) {
        static const char *const dirs[] = {"/blog/2026/", "/images/", "/static/img/", "/docs/", "/downloads/", "/static/"};
        p = put_str(p, dirs[rng_below(r, 6)]);
    } else {
        /* a missing object: unknown number or an old name (no s3:ListBucket => 403, §5.6) */
        static const char *const pre[] = {"/images/old-", "/static/js/legacy-", "/assets/", "/wp-content/uploads/", "/images/"};
        p = put_str(p, pre[rng_below(r, 5)]);
        p = put_word(p, r);
        *p++ = '-';
        p = put_u64(p, 5000 + rng_below(r, 90000));
        static const char *const ext[] = {".png", ".jpg", ".js", ".css", ".html", ".php"};
        p = put_str(p, ext[rng_below(r, 6)]);
    }
    L->v[F_URI] = (sv){s, (uint32_t)(p - s)};
    L->sp = p;
}

static uint32_t edge_ms(rng_t *r) { return rng_below(r, 4); } /* 0.000-0.003 s */

/* Origin first-byte latency: log-normal around 80 ms, 20-600 ms, rare slow tail. */
static uint32_t origin_ms(rng_t *r)
{
    double z = (rng_unit(r) + rng_unit(r) + rng_unit(r) + rng_unit(r) - 2.0) * 1.7320508;
    double ms = 80.0 * exp(0.6 * z);
    if (ms < 20) ms = 20 + rng_below(r, 10);
    if (ms > 600) ms = 600;
    if (rng_below(r, 1000) < 8) ms = 600 + rng_below(r, 2400);
    return (uint32_t)ms;
}

/* Transfer time of a body at 2-60 MB/s. */
static uint32_t transfer_ms(rng_t *r, uint64_t bytes)
{
    uint32_t mbps = rng_range(r, 2, 60);
    return (uint32_t)(bytes / (mbps * 1000u));
}

static char *put_reqid(char *p, rng_t *r)
{
    /* x-edge-request-id: base64url of 40 random bytes = 54 chars + "==" (56 in all); the
     * 54th char carries 2 bits only, so it is one of A Q g w as in real ids. */
    uint8_t b[40];
    for (int i = 0; i < 5; i++) {
        uint64_t x = rng_next(r);
        memcpy(b + 8 * i, &x, 8);
    }
    for (int i = 0; i < 39; i += 3) {
        uint32_t t = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        p[0] = b64url[t >> 18];
        p[1] = b64url[(t >> 12) & 63];
        p[2] = b64url[(t >> 6) & 63];
        p[3] = b64url[t & 63];
        p += 4;
    }
    p[0] = b64url[b[39] >> 2];
    p[1] = b64url[(b[39] & 3) << 4];
    p[2] = '=';
    p[3] = '=';
    return p + 4;
}

/* Base64 in the CloudFront URL-safe alphabet (+=/ -> -_~). */
static char *put_b64cf(char *p, const uint8_t *s, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t t = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *p++ = b64cf[t >> 18];
        *p++ = b64cf[(t >> 12) & 63];
        *p++ = b64cf[(t >> 6) & 63];
        *p++ = b64cf[t & 63];
    }
    if (n - i == 1) {
        uint32_t t = (uint32_t)s[i] << 16;
        *p++ = b64cf[t >> 18];
        *p++ = b64cf[(t >> 12) & 63];
        *p++ = '_';
        *p++ = '_';
    } else if (n - i == 2) {
        uint32_t t = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        *p++ = b64cf[t >> 18];
        *p++ = b64cf[(t >> 12) & 63];
        *p++ = b64cf[(t >> 6) & 63];
        *p++ = '_';
    }
    return p;
}

/* An RSA-2048 signature: 256 bytes -> 344 chars ending "__". */
static char *put_signature(char *p, rng_t *r)
{
    uint8_t b[256];
    for (int i = 0; i < 32; i++) {
        uint64_t x = rng_next(r);
        memcpy(b + 8 * i, &x, 8);
    }
    return put_b64cf(p, b, sizeof b);
}

/* Custom policy JSON, base64 (CloudFront alphabet). */
static char *put_policy(char *p, const dist_t *D, const char *restricted, int64_t expires)
{
    char json[256];
    char *j = json;
    j = put_str(j, "{\"Statement\":[{\"Resource\":\"https://");
    j = put_str(j, D->alias[1]);
    j = put_str(j, restricted);
    j = put_str(j, "*\",\"Condition\":{\"DateLessThan\":{\"AWS:EpochTime\":");
    j = put_u64(j, (uint64_t)expires);
    j = put_str(j, "}}}]}");
    return put_b64cf(p, (const uint8_t *)json, (size_t)(j - json));
}

enum { SIG_CANNED_QUERY, SIG_POLICY_QUERY, SIG_COOKIES };

/* Signed-URL parameters (query) or signed cookies, expiring at `expires`; key = key pair id. */
static void put_signed(const fctx_t *F, rng_t *r, int how, int64_t expires, const char *key, char **qraw,
                       char **craw)
{
    const dist_t *D = F->D;
    if (how == SIG_COOKIES) {
        char *p = *craw;
        p = put_str(p, "CloudFront-Expires=");
        p = put_u64(p, (uint64_t)expires);
        p = put_str(p, "; CloudFront-Signature=");
        p = put_signature(p, r);
        p = put_str(p, "; CloudFront-Key-Pair-Id=");
        p = put_str(p, key);
        *craw = p;
        return;
    }
    char *p = *qraw;
    if (rng_pct(r, 15)) p = put_str(p, "response-content-disposition=attachment&");
    if (how == SIG_CANNED_QUERY) {
        p = put_str(p, "Expires=");
        p = put_u64(p, (uint64_t)expires);
    } else {
        p = put_str(p, "Policy=");
        p = put_policy(p, D, D->restricted, expires);
    }
    p = put_str(p, "&Signature=");
    p = put_signature(p, r);
    p = put_str(p, "&Key-Pair-Id=");
    p = put_str(p, key);
    *qraw = p;
}

/* Normal (non-403) line kinds and their weights per 1000 lines. */
enum { K_HIT, K_MISS, K_REFRESH, K_API, K_SIGNED_OK, K_304, K_206, K_301, K_307, K_404, K_000, K_502, K_503, K_OPTIONS, NKIND };
static const uint16_t kind_w[NKIND] = {500, 150, 30, 80, 30, 60, 30, 30, 5, 50, 10, 7, 3, 15};

static const sv rt_hit = SV("Hit"), rt_miss = SV("Miss"), rt_refresh = SV("RefreshHit"), rt_error = SV("Error"),
                rt_redirect = SV("Redirect");

/* The request and response of one line, decided by its kind or cause before the fields
 * are written.  The query and cookie are the viewer's raw bytes, encoded at the end. */
typedef struct req {
    int method, http, beh, type, status, ranged, signed_cookie;
    sv protover, rt, rrt, drt, ct;
    int64_t clen;  /* -1 => '-' */
    uint64_t body; /* bytes of body sent */
    uint64_t range_lo, range_hi;
    uint32_t tt, ttfb, objn;
    char *q, *ck; /* next free byte of qbuf, cbuf */
    char qbuf[1200], cbuf[1200];
} req_t;

/* A 200 GET Hit on the default behavior until the kind or cause says otherwise; the
 * query and cookie buffers are not cleared, only their ends reset (a line is hot code). */
static void req_init(req_t *R)
{
    R->method = M_GET;
    R->http = 0;
    R->beh = B_DEFAULT;
    R->type = O_HTML;
    R->status = S_200;
    R->ranged = 0;
    R->signed_cookie = 0;
    R->rt = R->rrt = R->drt = rt_hit;
    R->ct = dash;
    R->clen = -1;
    R->body = 0;
    R->range_lo = R->range_hi = 0;
    R->tt = R->ttfb = R->objn = 0;
    R->q = R->qbuf;
    R->ck = R->cbuf;
}

/* Response timings: answered by the edge itself, fetched from the origin, served from cache. */
static void edge_times(rng_t *r, req_t *R)
{
    R->tt = edge_ms(r);
    R->ttfb = R->tt ? R->tt - rng_below(r, 2) : 0;
    if (R->ttfb > R->tt) R->ttfb = R->tt;
}
static void origin_times(rng_t *r, req_t *R, uint64_t bytes)
{
    R->ttfb = origin_ms(r);
    R->tt = R->ttfb + transfer_ms(r, bytes);
}
static void hit_times(rng_t *r, req_t *R, uint64_t bytes)
{
    R->ttfb = rng_below(r, 3);
    uint32_t edge = rng_below(r, 2); /* drawn before the transfer time: keeps the data sets' bytes */
    R->tt = R->ttfb + edge + transfer_ms(r, bytes);
}
/* All three result-type fields alike. */
static void set_rt(req_t *R, sv rt) { R->rt = R->rrt = R->drt = rt; }

/* A ranged 206 of an object of sz bytes: 1-16 chunks of 64 KiB, aligned. */
static void draw_range(rng_t *r, req_t *R, uint64_t sz, int from_start_pct)
{
    uint64_t chunk = (uint64_t)rng_range(r, 1, 16) * 65536;
    if (chunk > sz) chunk = sz;
    R->range_lo = sz > chunk ? (uint64_t)rng_below(r, (uint32_t)((sz - chunk) / 65536 + 1)) * 65536 : 0;
    if (from_start_pct && rng_pct(r, (uint32_t)from_start_pct)) R->range_lo = 0;
    R->range_hi = R->range_lo + chunk - 1;
    R->ranged = 1;
    R->body = chunk;
    R->clen = (int64_t)chunk;
}

/* ---- ordinary traffic, one function per kind ---- */

typedef void kind_fn(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind);

static void kind_cached(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 48 ? B_DEFAULT : bv < 90 ? B_STATIC : B_SECURE;
    R->method = rng_pct(r, 5) ? M_HEAD : M_GET;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    uint64_t sz = R->beh == B_SECURE && R->type == O_HTML ? 3000 + rng_below(r, 40000) : obj_size(F->D, R->type, R->objn);
    R->clen = (int64_t)sz;
    R->body = R->method == M_HEAD ? 0 : sz;
    R->ct = otypes[R->type].ct;
    if (R->beh == B_SECURE) kind = K_MISS; /* per-user pages are not cached */
    if (kind == K_HIT) {
        set_rt(R, rt_hit);
        hit_times(r, R, R->body);
        return;
    }
    set_rt(R, kind == K_MISS ? rt_miss : rt_refresh);
    origin_times(r, R, R->body);
    if (kind == K_MISS && (R->type == O_JS || R->type == O_JSON || R->type == O_HTML) && rng_pct(r, 30))
        R->clen = -1; /* chunked from the origin */
}

static void kind_api(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    static const uint16_t mw[] = {60, 0, 25, 7, 5, 0, 3};
    R->beh = B_API;
    R->method = (int)pick_w(r, mw, 7);
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = R->method == M_POST && rng_pct(r, 60) ? S_201 : R->method == M_DELETE ? S_204 : S_200;
    set_rt(R, rt_miss);
    R->ct = R->status == S_204 ? dash : SV("application/json");
    R->body = R->status == S_204 ? 0 : rng_range(r, 30, 20000);
    R->clen = R->status == S_204 ? -1 : rng_pct(r, 40) ? -1 : (int64_t)R->body;
    origin_times(r, R, R->body);
    if (R->method == M_GET && rng_pct(r, 30)) {
        R->q = put_str(R->q, rng_pct(r, 50) ? "page=" : "limit=");
        R->q = put_u64(R->q, rng_range(r, 1, 50));
        if (rng_pct(r, 40)) {
            R->q = put_str(R->q, "&q=");
            R->q = put_word(R->q, r);
            R->q = put_str(R->q, "%20");
            R->q = put_word(R->q, r);
        }
    }
}

static void kind_signed_ok(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    const dist_t *D = F->D;
    R->beh = B_RESTRICTED;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    uint64_t sz = obj_size(D, R->type, R->objn);
    int how = D->cookie_logging && rng_pct(r, 30) ? SIG_COOKIES : rng_pct(r, 70) ? SIG_CANNED_QUERY : SIG_POLICY_QUERY;
    put_signed(F, r, how, L->ts + rng_range(r, 300, 86400), D->key_pair_id, &R->q, &R->ck);
    R->signed_cookie = how == SIG_COOKIES;
    R->ct = otypes[R->type].ct;
    if (R->type == O_MP4 || R->type == O_ZIP) {
        R->status = S_206;
        draw_range(r, R, sz, 0);
        set_rt(R, rng_pct(r, 60) ? rt_hit : rt_miss);
    } else {
        R->clen = (int64_t)sz;
        R->body = sz;
        set_rt(R, rng_pct(r, 60) ? rt_hit : rt_miss);
    }
    if (R->rt.p == rt_hit.p)
        hit_times(r, R, R->body);
    else
        origin_times(r, R, R->body);
}

static void kind_304(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    R->beh = rng_pct(r, 50) ? B_DEFAULT : B_STATIC;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_304;
    R->ct = otypes[R->type].ct;
    if (rng_pct(r, 70)) {
        set_rt(R, rt_hit);
        hit_times(r, R, 0);
    } else {
        set_rt(R, rt_refresh);
        origin_times(r, R, 0);
    }
}

static int is_media(int type) { return type == O_MP4 || type == O_PDF || type == O_ZIP; }

static void kind_206(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    R->beh = rng_pct(r, 70) ? B_DEFAULT : B_STATIC;
    /* pick until a media/download object comes up (bounded) */
    for (int tries = 0; tries < 8; tries++) {
        char *save = L->sp;
        R->type = gen_path(F, r, L, R->beh, &R->objn);
        if (is_media(R->type)) break;
        L->sp = save;
    }
    if (!is_media(R->type)) {
        char *s = L->sp, *p = s;
        p = put_str(p, "/videos/");
        p = put_word(p, r);
        p = put_str(p, "-1.mp4");
        L->v[F_URI] = (sv){s, (uint32_t)(p - s)};
        L->sp = p;
        R->type = O_MP4;
        R->objn = 1;
    }
    draw_range(r, R, obj_size(F->D, R->type, R->objn), 20);
    R->status = S_206;
    R->ct = otypes[R->type].ct;
    if (rng_pct(r, 65)) {
        set_rt(R, rt_hit);
        hit_times(r, R, R->body);
    } else {
        set_rt(R, rt_miss);
        origin_times(r, R, R->body);
    }
}

/* http GET/HEAD on a redirect-to-https behavior */
static void kind_301(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    R->beh = rng_pct(r, 70) ? B_DEFAULT : B_STATIC;
    R->http = 1;
    R->method = rng_pct(r, 8) ? M_HEAD : M_GET;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_301;
    set_rt(R, rt_redirect);
    R->ct = SV("text/html");
    R->clen = 167;
    R->body = R->method == M_HEAD ? 0 : 167;
    edge_times(r, R);
}

/* http POST/PUT/DELETE/OPTIONS (HTTP >= 1.1) on the /api/ behavior (redirect-to-https) */
static void kind_307(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    static const uint16_t mw[] = {0, 0, 60, 15, 10, 15, 0};
    R->beh = B_API;
    R->http = 1;
    R->method = (int)pick_w(r, mw, 7);
    R->protover = SV("HTTP/1.1");
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_307;
    set_rt(R, rt_redirect);
    R->ct = SV("text/html");
    R->clen = 167;
    R->body = 167;
    edge_times(r, R);
}

static void kind_404(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 55 ? B_DEFAULT : bv < 85 ? B_STATIC : B_API;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_404;
    set_rt(R, rt_error);
    if (R->beh == B_API) {
        R->ct = rng_pct(r, 50) ? SV("application/json") : SV("text/html");
        R->body = rng_range(r, 40, 1500);
    } else {
        R->ct = SV("application/xml"); /* S3 NoSuchKey */
        R->body = rng_range(r, 280, 420);
    }
    R->clen = (int64_t)R->body;
    if (rng_pct(r, 20))
        edge_times(r, R); /* cached error response (DRT Error covers it) */
    else
        origin_times(r, R, R->body);
}

/* the viewer hung up before the response started */
static void kind_000(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 45 ? B_DEFAULT : bv < 85 ? B_STATIC : B_API;
    if (R->beh == B_API && rng_pct(r, 40)) R->method = M_POST;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_000;
    R->rt = rt_error;
    R->rrt = rng_pct(r, 50) ? rt_hit : rt_miss;
    R->drt = SV("ClientCommError");
    R->ct = otypes[R->type].ct;
    R->body = 0;
    R->clen = -1;
    if (R->rrt.p == rt_hit.p)
        hit_times(r, R, 0);
    else
        origin_times(r, R, 0);
}

static void kind_502(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    static const char *const d5[] = {"OriginDnsError", "OriginConnectError", "OriginCommError"};
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 40 ? B_DEFAULT : B_API;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_502;
    R->rt = R->rrt = rt_error;
    R->drt = sv_z(d5[rng_below(r, 3)]);
    R->ct = SV("text/html");
    R->clen = 507;
    R->body = 507;
    R->ttfb = R->tt = rng_range(r, 90, 3000);
}

static void kind_503(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    R->beh = rng_pct(r, 50) ? B_DEFAULT : B_STATIC;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_503;
    set_rt(R, SV("CapacityExceeded"));
    R->ct = SV("text/html");
    R->clen = 494;
    R->body = 494;
    edge_times(r, R);
}

/* CORS preflight on behaviors that allow OPTIONS */
static void kind_options(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 50 ? B_API : bv < 85 ? B_STATIC : B_SECURE;
    R->method = M_OPTIONS;
    R->type = gen_path(F, r, L, R->beh, &R->objn);
    R->status = R->beh == B_API ? S_204 : S_200;
    R->ct = dash;
    R->clen = 0;
    R->body = 0;
    if (R->beh == B_API) {
        set_rt(R, rt_miss);
        origin_times(r, R, 0);
        return;
    }
    set_rt(R, rng_pct(r, 70) ? rt_hit : rt_miss);
    if (R->rt.p == rt_hit.p)
        hit_times(r, R, 0);
    else
        origin_times(r, R, 0);
}

static kind_fn *const kind_gen[NKIND] = {
    [K_HIT] = kind_cached, [K_MISS] = kind_cached, [K_REFRESH] = kind_cached, [K_API] = kind_api,
    [K_SIGNED_OK] = kind_signed_ok, [K_304] = kind_304, [K_206] = kind_206, [K_301] = kind_301,
    [K_307] = kind_307, [K_404] = kind_404, [K_000] = kind_000, [K_502] = kind_502,
    [K_503] = kind_503, [K_OPTIONS] = kind_options,
};

/* ---- 403s: the signature of each cause per datasets/README.md "403 causes" ---- */

typedef void cause_fn(const fctx_t *F, rng_t *r, line_t *L, req_t *R);

static void cause_geo(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    R->method = rng_pct(r, 5) ? M_HEAD : M_GET;
    gen_path(F, r, L, R->beh, &R->objn);
    R->drt = SV("ClientGeoBlocked");
    R->clen = 1081;
    edge_times(r, R);
}

static void cause_waf(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    /* what the WAF rules typically catch; the viewer's own %-encoding */
    static const char *const bad[] = {
        "id=1%27%20OR%20%271%27=%271", "file=../../../../etc/passwd", "q=%3Cscript%3Ealert(1)%3C/script%3E",
        "cmd=;cat%20/etc/shadow", "redirect=http://evil.example.net/", "search=UNION%20SELECT%20password%20FROM%20users"};
    if (rng_pct(r, 60)) {
        R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    } else {
        R->beh = B_API;
        R->method = rng_pct(r, 50) ? M_GET : M_POST;
    }
    gen_path(F, r, L, R->beh, &R->objn);
    if (rng_pct(r, 40)) R->q = put_str(R->q, bad[rng_below(r, 6)]);
    L->waf_rule = pick_w(r, F->W->waf_w, NWAFRULE);
    R->clen = 919;
    edge_times(r, R);
    R->tt += rng_below(r, 3); /* WAF evaluation */
    R->ttfb = R->tt;
}

static void cause_sig_missing(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = B_RESTRICTED;
    R->method = rng_pct(r, 5) ? M_HEAD : M_GET;
    gen_path(F, r, L, R->beh, &R->objn);
    if (rng_pct(r, 25)) R->q = put_str(R->q, rng_pct(r, 50) ? "download=1" : "v=3");
    R->ct = SV("text/xml"); /* MissingKey */
    R->clen = 146;
    edge_times(r, R);
}

static void cause_sig_expired(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    const dist_t *D = F->D;
    R->beh = B_RESTRICTED;
    gen_path(F, r, L, R->beh, &R->objn);
    int64_t exp_at = L->ts - (int64_t)rng_range(r, 60, 30 * 86400);
    int how = D->cookie_logging && rng_pct(r, 30) ? SIG_COOKIES : rng_pct(r, 65) ? SIG_CANNED_QUERY : SIG_POLICY_QUERY;
    put_signed(F, r, how, exp_at, D->key_pair_id, &R->q, &R->ck);
    R->signed_cookie = how == SIG_COOKIES;
    R->ct = SV("text/xml"); /* AccessDenied */
    R->clen = 110;
    edge_times(r, R);
}

static void cause_sig_invalid(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    const dist_t *D = F->D;
    R->beh = B_RESTRICTED;
    gen_path(F, r, L, R->beh, &R->objn);
    int64_t exp_at = L->ts + (int64_t)rng_range(r, 60, 7 * 86400);
    int how = D->cookie_logging && rng_pct(r, 25) ? SIG_COOKIES : rng_pct(r, 70) ? SIG_CANNED_QUERY : SIG_POLICY_QUERY;
    /* a third use a key id the behavior does not trust (InvalidKey), the rest a bad
     * signature (MalformedSignature / query string changed after signing) */
    char other_key[16];
    other_key[0] = 'K';
    rand_str(r, other_key + 1, 13, alnum_uc, 36);
    int unknown_key = rng_pct(r, 33);
    put_signed(F, r, how, exp_at, unknown_key ? other_key : D->key_pair_id, &R->q, &R->ck);
    if (!unknown_key && how != SIG_COOKIES && rng_pct(r, 30)) R->q = put_str(R->q, "&utm_source=newsletter");
    R->signed_cookie = how == SIG_COOKIES;
    R->ct = SV("text/xml");
    R->clen = unknown_key ? 124 : 137;
    edge_times(r, R);
}

static void cause_https(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    static const uint16_t https_only_mw[] = {85, 5, 0, 0, 0, 10, 0};
    static const uint16_t redirect_mw[] = {0, 0, 60, 20, 20, 0, 0};
    R->http = 1;
    R->protover = rng_pct(r, 80) ? SV("HTTP/1.1") : SV("HTTP/1.0");
    if (rng_pct(r, 80)) {
        R->beh = B_SECURE; /* ViewerProtocolPolicy https-only */
        R->method = (int)pick_w(r, https_only_mw, 7);
    } else {
        /* redirect-to-https answers 403 to non-GET/HEAD over HTTP/1.0 */
        R->beh = B_API;
        R->method = (int)pick_w(r, redirect_mw, 7);
        R->protover = SV("HTTP/1.0");
    }
    gen_path(F, r, L, R->beh, &R->objn);
    R->clen = 915;
    edge_times(r, R);
}

static void cause_method(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    static const uint16_t mw[] = {0, 0, 60, 20, 15, 0, 5};
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 50 ? B_DEFAULT : bv < 85 ? B_STATIC : B_SECURE;
    R->method = (int)pick_w(r, mw, 7);
    gen_path(F, r, L, R->beh, &R->objn);
    R->drt = SV("InvalidRequestMethod");
    R->clen = 1053;
    edge_times(r, R);
}

static void cause_cname(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    gen_path(F, r, L, R->beh, &R->objn);
    L->v[F_HOSTHDR] = sv_z(F->D->badhost[rng_below(r, 3)]);
    R->clen = 915;
    edge_times(r, R);
}

static void cause_origin_s3(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    (void)F;
    R->beh = B_DEFAULT;
    R->method = rng_pct(r, 6) ? M_HEAD : M_GET;
    gen_s3_denied_path(r, L, &R->type);
    R->ct = SV("application/xml"); /* S3 AccessDenied */
    R->clen = 243 + rng_below(r, 5);
    if (rng_pct(r, 20)) {
        set_rt(R, rt_hit); /* cached 403 served from the edge */
        edge_times(r, R);
    } else
        origin_times(r, R, (uint64_t)R->clen);
}

static void cause_origin_custom(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    static const uint16_t mw[] = {60, 0, 30, 5, 5, 0, 0};
    R->beh = B_API;
    R->method = (int)pick_w(r, mw, 7);
    gen_path(F, r, L, R->beh, &R->objn);
    R->ct = rng_pct(r, 50) ? SV("text/html") : SV("application/json");
    R->clen = (int64_t)(100 * pow(50.0, rng_unit(r)));
    origin_times(r, R, (uint64_t)R->clen);
}

static void cause_edge_other(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 70) ? B_DEFAULT : B_STATIC;
    gen_path(F, r, L, R->beh, &R->objn);
    uint32_t ev = rng_below(r, 100);
    if (ev < 25) R->drt = SV("InvalidRequestBlocked");
    else if (ev < 45) R->drt = SV("InvalidRequest");
    else if (ev < 65) R->drt = SV("InvalidRequestHeader");
    else if (ev < 85) set_rt(R, SV("LimitExceeded"));
    else set_rt(R, SV("FunctionGeneratedResponse"));
    R->clen = 900 + rng_below(r, 200);
    edge_times(r, R);
    if (ev >= 85) R->tt = R->ttfb = R->tt + 1; /* the function ran */
}

static cause_fn *const cause_gen[NCAUSE] = {
    [C_GEO] = cause_geo, [C_WAF] = cause_waf, [C_SIG_MISSING] = cause_sig_missing,
    [C_SIG_EXPIRED] = cause_sig_expired, [C_SIG_INVALID] = cause_sig_invalid, [C_HTTPS] = cause_https,
    [C_METHOD] = cause_method, [C_CNAME] = cause_cname, [C_ORIGIN_S3] = cause_origin_s3,
    [C_ORIGIN_CUSTOM] = cause_origin_custom, [C_EDGE_OTHER] = cause_edge_other,
};

/* ---- the parts of a line that do not depend on its kind ---- */

/* date, time and timestamp(ms): inside the file's hour, not sorted */
static void line_time(const fctx_t *F, rng_t *r, line_t *L)
{
    uint32_t sec = rng_below(r, 3600);
    L->ms = rng_below(r, 1000);
    L->ts = F->hour_epoch + sec;
    L->v[F_DATE] = (sv){F->date, 10};
    char *p = L->sp;
    put_2d(p, (unsigned)F->hour);
    p[2] = ':';
    put_2d(p + 3, sec / 60);
    p[5] = ':';
    put_2d(p + 6, sec % 60);
    L->v[F_TIME] = (sv){p, 8};
    p += 8;
    char *q = p;
    p = put_u64(p, (uint64_t)L->ts * 1000 + L->ms);
    L->v[F_TS_MS] = (sv){q, (uint32_t)(p - q)};
    L->sp = p;
}

/* who asks and from where: address, country, edge, user agent, referer, hosts, request id */
static void line_viewer(const fctx_t *F, rng_t *r, line_t *L, int cause)
{
    const world_t *W = F->W;
    const dist_t *D = F->D;
    const client_t *c;
    if (cause == C_GEO) {
        uint32_t b = D->geo[rng_below(r, D->ngeo)];
        c = &W->geo[b * GEO_PER_COUNTRY + rng_below(r, GEO_PER_COUNTRY)];
        L->country = sv_z(blocked_countries[c->country].cc);
    } else {
        c = &W->cl[pick_cum(r, W->cl_cum, W->ncl)];
        L->country = sv_z(countries[c->country].cc);
    }
    L->v[F_COUNTRY] = L->country;
    L->v[F_C_IP] = (sv){c->ip, c->iplen};
    L->edge = rng_pct(r, 85) ? c->home_edge : (uint16_t)pick_cum(r, W->edge_cum, NEDGE);
    L->v[F_EDGE] = sv_z(edges[L->edge].code);
    uint32_t ua = rng_pct(r, 90) ? c->ua : pick_w(r, W->ua_w, NUA);
    if (cause == C_WAF && rng_pct(r, 50)) ua = UA_FIRST_BOT + rng_below(r, NUA - UA_FIRST_BOT);
    int old = F->old_enc || rng_below(r, 100) < 2; /* a small share keeps %2520 always */
    L->v[F_UA] = old ? W->ua_enc2[ua] : W->ua_enc[ua];
    L->raw_ua = sv_z(uas[ua].ua);

    uint32_t rv = rng_below(r, 100);
    L->v[F_REFERER] = rv < 50 ? dash
                      : rv < 75 ? sv_z(D->referer[rv % 3])
                      : rv < 90 ? SV("https://www.google.com/")
                      : rv < 93 ? SV("https://www.bing.com/")
                      : rv < 96 ? SV("https://duckduckgo.com/")
                                : SV("https://t.co/");
    L->v[F_HOST] = (sv){D->domain, D->domainlen};
    uint32_t hv = rng_below(r, 100);
    L->v[F_HOSTHDR] = hv < 55 ? sv_z(D->alias[0]) : hv < 75 ? sv_z(D->alias[1]) : (sv){D->domain, D->domainlen};
    L->v[F_REQID] = (sv){L->sp, 56};
    L->sp = put_reqid(L->sp, r);
}

/* cookies (only logged where cookie logging is on) */
static void line_cookies(const fctx_t *F, rng_t *r, const line_t *L, req_t *R)
{
    if (!F->D->cookie_logging) return;
    if (!R->signed_cookie && rng_pct(r, 35)) {
        R->ck = put_str(R->ck, "session-id=");
        uint64_t x = rng_next(r);
        R->ck = put_hex8(R->ck, x);
        R->ck = put_hex8(R->ck, x >> 32);
        R->ck = put_str(R->ck, "; _ga=GA1.2.");
        R->ck = put_u64(R->ck, rng_range(r, 100000000, 999999999));
        *R->ck++ = '.';
        R->ck = put_u64(R->ck, (uint64_t)L->ts - rng_below(r, 30 * 86400));
    } else if (R->signed_cookie && rng_pct(r, 40)) {
        R->ck = put_str(R->ck, "; lang=en-US");
    }
}

/* protocol and TLS (ssl-* are '-' for http), then the fields fixed by the request */
static void line_protocol(rng_t *r, line_t *L, req_t *R)
{
    if (R->http) {
        L->v[F_PROTO] = SV("http");
        if (R->protover.p[5] == '2' || R->protover.p[5] == '3') R->protover = SV("HTTP/1.1");
        L->v[F_SSLP] = dash;
        L->v[F_SSLC] = dash;
    } else {
        L->v[F_PROTO] = SV("https");
        int tls13 = R->protover.p[5] == '3' || rng_pct(r, 62);
        uint32_t cv;
        if (tls13) {
            L->v[F_SSLP] = SV("TLSv1.3");
            cv = rng_below(r, 100);
            L->v[F_SSLC] = cv < 70 ? SV("TLS_AES_128_GCM_SHA256") : cv < 90 ? SV("TLS_AES_256_GCM_SHA384") : SV("TLS_CHACHA20_POLY1305_SHA256");
        } else {
            L->v[F_SSLP] = SV("TLSv1.2");
            cv = rng_below(r, 100);
            L->v[F_SSLC] = cv < 75 ? SV("ECDHE-RSA-AES128-GCM-SHA256") : cv < 95 ? SV("ECDHE-RSA-AES256-GCM-SHA384") : SV("ECDHE-RSA-CHACHA20-POLY1305");
        }
    }
    L->v[F_PROTOVER] = R->protover;
    L->v[F_METHOD] = methods[R->method];
    L->method_idx = (uint8_t)R->method;
    L->status = (uint8_t)R->status;
    L->v[F_STATUS] = (sv){status_str[R->status], 3};
    L->v[F_RT] = R->rt;
    L->v[F_RRT] = R->rrt;
    L->v[F_DRT] = R->drt;
    L->v[F_CT] = R->ct;
    L->v[F_FLE_STATUS] = dash;
    L->v[F_FLE_FIELDS] = dash;
}

/* query and cookie: raw bytes kept for WAF, encoded per §1.3 for the log */
static void line_query_cookie(line_t *L, const req_t *R)
{
    if (R->q > R->qbuf) {
        char *raw = L->sp;
        size_t n = (size_t)(R->q - R->qbuf);
        memcpy(raw, R->qbuf, n);
        L->raw_query = (sv){raw, (uint32_t)n};
        char *e = log_encode(raw + n, R->qbuf, n);
        L->v[F_QUERY] = (sv){raw + n, (uint32_t)(e - (raw + n))};
        L->sp = e;
    } else {
        L->raw_query = (sv){"", 0};
        L->v[F_QUERY] = dash;
    }
    if (R->ck > R->cbuf) {
        char *s = L->sp;
        char *e = log_encode(s, R->cbuf, (size_t)(R->ck - R->cbuf));
        L->v[F_COOKIE] = (sv){s, (uint32_t)(e - s)};
        L->sp = e;
    } else
        L->v[F_COOKIE] = dash;
}

/* Field f as the decimal v, written at L->sp. */
static void put_num_field(line_t *L, int f, uint64_t v)
{
    char *s = L->sp;
    L->sp = put_u64(s, v);
    L->v[f] = (sv){s, (uint32_t)(L->sp - s)};
}
static void put_secs_field(line_t *L, int f, uint32_t ms)
{
    char *s = L->sp;
    L->sp = put_secs(s, ms);
    L->v[f] = (sv){s, (uint32_t)(L->sp - s)};
}

/* byte counts, timings, port, content length, range, x-forwarded-for */
static void line_numbers(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    const world_t *W = F->W;
    uint32_t hdr = R->status == S_000 ? 0 : rng_range(r, 280, 620);
    put_num_field(L, F_SC_BYTES, R->status == S_000 ? 0 : hdr + R->body);
    uint64_t csb = 60 + rng_below(r, 300) + L->v[F_UA].n / 2 + (uint64_t)(R->ck - R->cbuf) + (uint64_t)(R->q - R->qbuf);
    if (R->method == M_POST || R->method == M_PUT || R->method == M_PATCH) csb += rng_range(r, 40, 8000);
    put_num_field(L, F_CS_BYTES, csb);
    if (R->ttfb > R->tt) R->ttfb = R->tt;
    put_secs_field(L, F_TT, R->tt);
    put_secs_field(L, F_TTFB, R->ttfb);
    put_num_field(L, F_C_PORT, rng_range(r, 1024, 65535));
    if (R->clen >= 0)
        put_num_field(L, F_CLEN, (uint64_t)R->clen);
    else
        L->v[F_CLEN] = dash;
    if (R->ranged) {
        put_num_field(L, F_RSTART, R->range_lo);
        put_num_field(L, F_REND, R->range_hi);
    } else {
        L->v[F_RSTART] = dash;
        L->v[F_REND] = dash;
    }
    /* x-forwarded-for: a proxy in front of some viewers */
    if (rng_below(r, 100) < 4) {
        const client_t *o = &W->cl[rng_below(r, W->ncl)];
        char *s = L->sp;
        L->sp = put_sv(s, (sv){o->ip, o->iplen});
        L->v[F_XFF] = (sv){s, o->iplen};
    } else
        L->v[F_XFF] = dash;
}

/* Fill every field of L.  cause = C_NONE for ordinary traffic, else the 403 to write. */
static void gen_line(const fctx_t *F, rng_t *r, line_t *L, int cause)
{
    L->sp = L->scratch;
    L->cause = (uint8_t)cause;
    line_time(F, r, L);
    line_viewer(F, r, L, cause);

    req_t R;
    req_init(&R);
    uint32_t pv = rng_below(r, 100);
    R.protover = pv < 65 ? SV("HTTP/2.0") : pv < 89 ? SV("HTTP/1.1") : pv < 98 ? SV("HTTP/3.0") : SV("HTTP/1.0");
    if (cause == C_NONE) {
        int kind = (int)pick_w(r, kind_w, NKIND);
        kind_gen[kind](F, r, L, &R, kind);
    } else {
        R.status = S_403;
        set_rt(&R, rt_error);
        R.ct = SV("text/html");
        cause_gen[cause](F, r, L, &R);
        if (R.body == 0 && R.method != M_HEAD && R.clen > 0) R.body = (uint64_t)R.clen;
    }
    line_cookies(F, r, L, &R);
    line_protocol(r, L, &R);
    line_query_cookie(L, &R);
    line_numbers(F, r, L, &R);
}

/* Write the line in the layout's field order. */
static inline char *emit_line(char *out, const line_t *L, const layout_t *lay, int nf_limit, int crlf, int ttab)
{
    int nf = nf_limit > 0 && nf_limit < lay->nf ? nf_limit : lay->nf;
    for (int i = 0; i < nf; i++) {
        sv v = L->v[lay->f[i]];
        memcpy(out, v.p, v.n);
        out += v.n;
        *out++ = '\t';
    }
    if (!ttab) out--; /* drop the separator after the last field */
    if (crlf) *out++ = '\r';
    *out++ = '\n';
    return out;
}

/* ===================================================================================== */
/* files: the plan, one job per file                                                      */
/* ===================================================================================== */

enum { J_REGULAR, J_TRUNC_GZ, J_CORRUPT_ZST, J_NO_HEADER, J_EMPTY, J_MULTI, J_HDR_SWITCH, J_CRLF };
enum { INJ_GARBAGE = 1, INJ_LONG = 2, INJ_SHORT = 4, INJ_TTAB = 8 };

typedef struct wrec {
    int64_t ts_ms;
    size_t off;
    uint32_t len;
} wrec_t;

typedef struct job {
    uint8_t kind, fmt, layout, good, damaged, inject;
    uint32_t dist, day, hour;
    uint32_t nlines;
    uint64_t seed;
    char name[80];
    size_t cut[2]; /* multi-member: gzip member boundaries (line starts) */
    /* results */
    uint64_t lines, raw_bytes, out_bytes;
    uint64_t st[NSTATUS];
    uint32_t edge[NEDGE];
    uint64_t cause[NCAUSE];
    uint64_t rej_binary, rej_short, rej_long, rej_nohdr;
    buf_t labels;
    buf_t waf;
    wrec_t *wr;
    size_t nwr, capwr;
    int err;
} job_t;

typedef struct plan {
    job_t *j;
    size_t n, nregular;
} plan_t;

static void job_name(const world_t *W, job_t *J, uint64_t salt)
{
    char date[11];
    fmt_date(date, W->o->start_day + J->day);
    date[10] = 0;
    uint64_t h = mix2(W->o->seed ^ 0x6e616d65ull, salt); /* "name" */
    char uniq[9];
    for (int i = 0; i < 8; i++) {
        uniq[i] = alnum_uc[h % 36];
        h /= 36;
    }
    uniq[8] = 0;
    snprintf(J->name, sizeof J->name, "%s.%s-%02u.%s.%s", W->dist[J->dist].id, date, J->hour, uniq, fmt_ext[J->fmt]);
}

static int cmp_name(const void *a, const void *b)
{
    const job_t *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static void plan_build(const world_t *W, plan_t *P)
{
    const opts_t *o = W->o;
    size_t nreg = (size_t)o->dists * o->days * 24 * o->fph;
    size_t cap = nreg + NFAULT + 4;
    P->j = calloc(cap, sizeof *P->j);
    if (!P->j) die_nomem();
    size_t n = 0;
    for (uint32_t d = 0; d < o->dists; d++)
        for (uint32_t day = 0; day < o->days; day++)
            for (uint32_t h = 0; h < 24; h++)
                for (uint32_t k = 0; k < o->fph; k++) {
                    job_t *J = &P->j[n];
                    J->kind = J_REGULAR;
                    J->fmt = (uint8_t)o->fmt;
                    J->layout = (uint8_t)(o->layout == LAY_MIXED ? mixed_rotation[n % sizeof mixed_rotation] : o->layout);
                    J->good = 1;
                    J->dist = d;
                    J->day = day;
                    J->hour = h;
                    J->nlines = o->lpf;
                    n++;
                }
    P->nregular = n;
    /* Faults: each adds its own file (after the regular ones) or lines in regular files. */
    uint32_t fault_lines = o->lpf < 10 ? 10 : o->lpf > 500 ? 500 : o->lpf;
    rng_t r;
    rng_seed(&r, mix2(o->seed, 0x6661756c74ull)); /* "fault" */
    static const struct { int fault, kind, fmt; } extra[] = {
        {FAULT_TRUNC_GZ, J_TRUNC_GZ, FMT_GZ},       {FAULT_CORRUPT_ZST, J_CORRUPT_ZST, FMT_ZST},
        {FAULT_NO_HEADER, J_NO_HEADER, -1},         {FAULT_EMPTY, J_EMPTY, FMT_PLAIN},
        {FAULT_MULTI_MEMBER, J_MULTI, FMT_GZ},      {FAULT_HEADER_SWITCH, J_HDR_SWITCH, -2},
        {FAULT_CRLF, J_CRLF, -1},
    };
    for (size_t e = 0; e < sizeof extra / sizeof extra[0]; e++) {
        if (!(o->faults & (1u << extra[e].fault))) continue;
        job_t *J = &P->j[n];
        J->kind = (uint8_t)extra[e].kind;
        J->fmt = (uint8_t)(extra[e].fmt == -1 ? o->fmt : extra[e].fmt == -2 ? (o->fmt == FMT_PLAIN ? FMT_PLAIN : FMT_GZ) : extra[e].fmt);
        J->layout = LAY_33;
        J->good = J->kind != J_NO_HEADER && J->kind != J_TRUNC_GZ && J->kind != J_CORRUPT_ZST && J->kind != J_EMPTY;
        J->damaged = J->kind == J_TRUNC_GZ || J->kind == J_CORRUPT_ZST;
        J->dist = 0;
        J->day = 0;
        J->hour = (uint32_t)(6 + e * 2);
        J->nlines = J->kind == J_EMPTY ? 0 : fault_lines;
        if (J->kind == J_TRUNC_GZ || J->kind == J_CORRUPT_ZST) J->nlines = fault_lines < 200 ? 200 : fault_lines; /* enough to cut mid-stream */
        n++;
    }
    /* line-level faults go into a few regular files */
    static const struct { int fault, inj, files; } lf[] = {
        {FAULT_GARBAGE, INJ_GARBAGE, 2}, {FAULT_LONG_LINE, INJ_LONG, 1},
        {FAULT_SHORT_LINES, INJ_SHORT, 2}, {FAULT_TRAILING_TAB, INJ_TTAB, 2},
    };
    for (size_t f = 0; f < sizeof lf / sizeof lf[0]; f++) {
        if (!(o->faults & (1u << lf[f].fault))) continue;
        for (int k = 0; k < lf[f].files; k++) P->j[rng_below(&r, (uint32_t)P->nregular)].inject |= (uint8_t)lf[f].inj;
    }
    P->n = n;
    for (size_t i = 0; i < n; i++) {
        P->j[i].seed = mix2(o->seed, 0x66696c65ull + i); /* "file" */
        job_name(W, &P->j[i], i);
    }
    /* File names must be unique; a clash of the 8-char ids (36^8) is renamed. */
    job_t **v = malloc(n * sizeof *v);
    if (!v) die_nomem();
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < n; i++) v[i] = &P->j[i];
        qsort(v, n, sizeof *v, cmp_name);
        int clash = 0;
        for (size_t i = 1; i < n; i++)
            if (!strcmp(v[i]->name, v[i - 1]->name)) {
                job_name(W, v[i], (uint64_t)(v[i] - P->j) + ((uint64_t)(round + 1) << 40));
                clash = 1;
            }
        if (!clash) break;
    }
    free(v);
}

/* Per-thread resources. */
typedef struct tls {
    line_t *line;
    buf_t text, comp;
    struct libdeflate_compressor *gz;
    ZSTD_CCtx *zc;
} tls_t;

static void fctx_init(const world_t *W, const job_t *J, fctx_t *F)
{
    F->W = W;
    F->D = &W->dist[J->dist];
    int64_t day = W->o->start_day + J->day;
    F->hour = (int)J->hour;
    F->hour_epoch = day * 86400 + (int64_t)J->hour * 3600;
    fmt_date(F->date, day);
    F->date[10] = 0;
    F->old_enc = day < days_from_civil(2020, 1, 28);
}

static void waf_record(const world_t *W, job_t *J, const fctx_t *F, const line_t *L, int block, rng_t *r);

typedef struct inj {
    uint32_t pos;
    uint8_t what;
} inj_t;

static int cmp_inj(const void *a, const void *b)
{
    const inj_t *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos ? 1 : x->what - y->what;
}

/* Generate one file's text into T->text, counting what a correct reader must see. */
static void job_generate(const world_t *W, job_t *J, tls_t *T)
{
    const opts_t *o = W->o;
    rng_t r;
    rng_seed(&r, J->seed);
    fctx_t F;
    fctx_init(W, J, &F);
    buf_t *b = &T->text;
    b->n = 0;
    const layout_t *lay = &W->lay[J->layout];
    int crlf = J->kind == J_CRLF;
    if (J->kind != J_NO_HEADER && J->kind != J_EMPTY) buf_putsv(b, crlf ? (sv){lay->header_crlf.p, (uint32_t)lay->header_crlf.n} : (sv){lay->header.p, (uint32_t)lay->header.n});

    /* injected bad lines: positions drawn up front */
    inj_t inj[16];
    int ninj = 0;
    if (J->inject & INJ_GARBAGE)
        for (uint32_t k = rng_range(&r, 1, 3); k; k--) inj[ninj++] = (inj_t){rng_below(&r, J->nlines + 1), INJ_GARBAGE};
    if (J->inject & INJ_LONG) inj[ninj++] = (inj_t){rng_below(&r, J->nlines + 1), INJ_LONG};
    if (J->inject & INJ_SHORT)
        for (uint32_t k = rng_range(&r, 2, 5); k; k--) inj[ninj++] = (inj_t){rng_below(&r, J->nlines + 1), INJ_SHORT};
    qsort(inj, (size_t)ninj, sizeof inj[0], cmp_inj);
    int next = 0;

    uint32_t off = rng_below(&r, 100), k403 = 0, pending_allow = 0;
    size_t cut[2] = {0, 0};
    line_t *L = T->line;
    double share = o->share403;
    for (uint32_t i = 0; i <= J->nlines; i++) {
        while (next < ninj && inj[next].pos == i) {
            uint8_t what = inj[next++].what;
            if (what == INJ_GARBAGE) {
                /* 200 random bytes, no '\n', the first forced to NUL */
                buf_reserve(b, 202);
                char *p = b->p + b->n;
                for (int k = 0; k < 200; k++) {
                    uint8_t c = (uint8_t)rng_next(&r);
                    p[k] = (char)(c == '\n' || c == '\r' ? 0x01 : c);
                }
                p[0] = 0;
                p[200] = '\n';
                b->n += 201;
                J->rej_binary++;
            } else if (what == INJ_LONG) {
                /* > 1 MiB of printable bytes, no TAB */
                size_t n = (1u << 20) + 4096;
                buf_reserve(b, n + 1);
                char *p = b->p + b->n;
                for (size_t k = 0; k < n; k += 8) {
                    uint64_t x = rng_next(&r);
                    for (size_t m = 0; m < 8 && k + m < n; m++) p[k + m] = (char)(0x21 + ((x >> (8 * m)) & 0xff) % 94);
                }
                p[n] = '\n';
                b->n += n + 1;
                J->rej_long++;
            } else {
                /* only the first 5 fields of a real-looking line */
                gen_line(&F, &r, L, C_NONE);
                buf_reserve(b, MAX_LINE);
                b->n = (size_t)(emit_line(b->p + b->n, L, lay, 5, crlf, 0) - b->p);
                J->rej_short++;
            }
        }
        if (i == J->nlines) break;
        if (J->kind == J_HDR_SWITCH && i == J->nlines / 2) {
            /* the file goes on in the 26-field layout after a new header */
            lay = &W->lay[LAY_26];
            buf_putsv(b, (sv){lay->header.p, (uint32_t)lay->header.n});
        }
        if (J->kind == J_MULTI) {
            if (i == J->nlines / 3) cut[0] = b->n;
            if (i == 2 * J->nlines / 3) cut[1] = b->n;
        }
        int cause = C_NONE;
        if (share > 0 && rng_unit(&r) < share) cause = W->cycle[(off + k403++) % 100];
        gen_line(&F, &r, L, cause);
        /* Every field is bounded (longest: a policy query or signed cookies, < 1.5 KB encoded),
         * so a line needs < 4 KB of scratch and of output; MAX_LINE leaves a wide margin. */
        int ttab = (J->inject & INJ_TTAB) && (i == 0 || rng_below(&r, 100) < 3);
        buf_reserve(b, MAX_LINE);
        char *s = b->p + b->n;
        char *e = emit_line(s, L, lay, 0, crlf, ttab);
        b->n += (size_t)(e - s);
        if (!J->good) {
            if (J->kind == J_NO_HEADER) J->rej_nohdr++;
            continue;
        }
        J->lines++;
        J->st[L->status]++;
        J->edge[L->edge]++;
        if (L->status == S_403) {
            J->cause[L->cause]++;
            buf_reserve(&J->labels, 200);
            buf_putsv(&J->labels, L->v[F_REQID]);
            buf_putc(&J->labels, '\t');
            buf_puts(&J->labels, cause_name[L->cause]);
            buf_putc(&J->labels, '\t');
            buf_puts(&J->labels, J->name);
            buf_putc(&J->labels, '\n');
        }
        if (o->waf) {
            if (L->cause == C_WAF) {
                waf_record(W, J, &F, L, 1, &r);
                pending_allow++;
            } else if (pending_allow && L->status != S_403 && rng_pct(&r, 50)) {
                waf_record(W, J, &F, L, 0, &r);
                pending_allow--;
            }
        }
    }
    if (J->kind == J_MULTI) {
        if (cut[0] == 0) cut[0] = b->n / 3;
        if (cut[1] < cut[0]) cut[1] = cut[0];
    }
    J->cut[0] = cut[0];
    J->cut[1] = cut[1];
    J->raw_bytes = b->n;
}

/* ===================================================================================== */
/* JSON writing (configs, expected.json, WAF records)                                     */
/* ===================================================================================== */

typedef struct jw {
    buf_t *b;
    int pretty, depth;
    int first[32];
    int after_key;
} jw_t;

static void jw_nl(jw_t *w)
{
    if (!w->pretty) return;
    buf_putc(w->b, '\n');
    for (int i = 0; i < w->depth; i++) buf_put(w->b, "  ", 2);
}
static void jw_sep(jw_t *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth > 0) {
        if (!w->first[w->depth]) buf_putc(w->b, ',');
        w->first[w->depth] = 0;
        jw_nl(w);
    }
}
static void jw_rawstr(jw_t *w, const char *s, size_t n)
{
    buf_reserve(w->b, n * 6 + 2);
    char *o = w->b->p + w->b->n;
    *o++ = '"';
    size_t run = 0; /* bytes that need no escape, copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        memcpy(o, s + i - run, run);
        o += run;
        run = 0;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else {
            static const char HX[] = "0123456789abcdef";
            memcpy(o, "\\u00", 4);
            o[4] = HX[c >> 4];
            o[5] = HX[c & 15];
            o += 6;
        }
    }
    memcpy(o, s + n - run, run);
    o += run;
    *o++ = '"';
    w->b->n = (size_t)(o - w->b->p);
}
static void jw_key(jw_t *w, const char *k)
{
    jw_sep(w);
    jw_rawstr(w, k, strlen(k));
    buf_puts(w->b, w->pretty ? ": " : ":");
    w->after_key = 1;
}
static void jw_open(jw_t *w, char c)
{
    jw_sep(w);
    buf_putc(w->b, c);
    w->depth++;
    w->first[w->depth] = 1;
}
static void jw_close(jw_t *w, char c)
{
    int empty = w->first[w->depth];
    w->depth--;
    if (!empty) jw_nl(w);
    buf_putc(w->b, c);
}
static void jw_str(jw_t *w, const char *s)
{
    jw_sep(w);
    jw_rawstr(w, s, strlen(s));
}
static void jw_sv(jw_t *w, sv s)
{
    jw_sep(w);
    jw_rawstr(w, s.p, s.n);
}
static void jw_u64(jw_t *w, uint64_t v)
{
    jw_sep(w);
    char tmp[24];
    buf_put(w->b, tmp, (size_t)(put_u64(tmp, v) - tmp));
}
static void jw_bool(jw_t *w, int v)
{
    jw_sep(w);
    buf_puts(w->b, v ? "true" : "false");
}
static void jw_null(jw_t *w)
{
    jw_sep(w);
    buf_puts(w->b, "null");
}
static void jw_kstr(jw_t *w, const char *k, const char *v) { jw_key(w, k); jw_str(w, v); }
static void jw_ku64(jw_t *w, const char *k, uint64_t v) { jw_key(w, k); jw_u64(w, v); }
static void jw_kbool(jw_t *w, const char *k, int v) { jw_key(w, k); jw_bool(w, v); }
/* {"Quantity":0} */
static void jw_kempty(jw_t *w, const char *k)
{
    jw_key(w, k);
    jw_open(w, '{');
    jw_ku64(w, "Quantity", 0);
    jw_close(w, '}');
}
static void jw_kstrlist(jw_t *w, const char *k, const char *const *items, size_t n)
{
    jw_key(w, k);
    jw_open(w, '[');
    for (size_t i = 0; i < n; i++) jw_str(w, items[i]);
    jw_close(w, ']');
}

/* ===================================================================================== */
/* AWS WAF log records (shape of an AWS WAF log for a CloudFront web ACL, §5.3)            */
/* ===================================================================================== */

static void waf_record(const world_t *W, job_t *J, const fctx_t *F, const line_t *L, int block, rng_t *r)
{
    (void)W;
    const dist_t *D = F->D;
    /* WAF evaluates when the request arrives; the log line's time is when the response
     * ended, so the record is up to ~2 s earlier. */
    int64_t ts_ms = L->ts * 1000 + L->ms - rng_below(r, 2000);
    size_t start = J->waf.n;
    jw_t w = {.b = &J->waf};
    jw_open(&w, '{');
    jw_ku64(&w, "timestamp", (uint64_t)ts_ms);
    jw_ku64(&w, "formatVersion", 1);
    jw_kstr(&w, "webaclId", D->webacl_arn);
    const waf_rule *rule = block ? &waf_rules[L->waf_rule] : NULL;
    jw_kstr(&w, "terminatingRuleId", block ? rule->id : "Default_Action");
    jw_kstr(&w, "terminatingRuleType", block ? rule->type : "REGULAR");
    jw_kstr(&w, "action", block ? "BLOCK" : "ALLOW");
    jw_key(&w, "terminatingRuleMatchDetails");
    jw_open(&w, '[');
    jw_close(&w, ']');
    jw_kstr(&w, "httpSourceName", "CF");
    jw_kstr(&w, "httpSourceId", D->id);
    jw_key(&w, "ruleGroupList");
    jw_open(&w, '[');
    jw_close(&w, ']');
    jw_key(&w, "rateBasedRuleList");
    jw_open(&w, '[');
    jw_close(&w, ']');
    jw_key(&w, "nonTerminatingMatchingRules");
    jw_open(&w, '[');
    jw_close(&w, ']');
    jw_key(&w, "requestHeadersInserted");
    jw_null(&w);
    jw_key(&w, "responseCodeSent");
    jw_null(&w);
    jw_key(&w, "httpRequest");
    jw_open(&w, '{');
    jw_key(&w, "clientIp");
    jw_sv(&w, L->v[F_C_IP]);
    jw_key(&w, "country");
    jw_sv(&w, L->country);
    jw_key(&w, "headers");
    jw_open(&w, '[');
    jw_open(&w, '{');
    jw_kstr(&w, "name", "host");
    jw_key(&w, "value");
    jw_sv(&w, L->v[F_HOSTHDR]);
    jw_close(&w, '}');
    jw_open(&w, '{');
    jw_kstr(&w, "name", "user-agent");
    jw_key(&w, "value");
    jw_sv(&w, L->raw_ua);
    jw_close(&w, '}');
    jw_open(&w, '{');
    jw_kstr(&w, "name", "accept");
    jw_kstr(&w, "value", "*/*");
    jw_close(&w, '}');
    jw_close(&w, ']');
    jw_key(&w, "uri");
    jw_sv(&w, L->v[F_URI]);
    jw_key(&w, "args");
    jw_sv(&w, L->raw_query);
    jw_key(&w, "httpVersion");
    jw_sv(&w, L->v[F_PROTOVER]);
    jw_key(&w, "httpMethod");
    jw_sv(&w, L->v[F_METHOD]);
    jw_key(&w, "requestId");
    jw_sv(&w, L->v[F_REQID]);
    jw_kstr(&w, "fragment", "");
    jw_key(&w, "scheme");
    jw_sv(&w, L->v[F_PROTO]);
    jw_key(&w, "host");
    jw_sv(&w, L->v[F_HOSTHDR]);
    jw_close(&w, '}');
    jw_key(&w, "labels");
    jw_open(&w, '[');
    if (block && !strcmp(rule->type, "MANAGED_RULE_GROUP")) {
        jw_open(&w, '{');
        jw_key(&w, "name");
        char lab[128];
        snprintf(lab, sizeof lab, "awswaf:managed:aws:%s", rule->id + 4);
        jw_str(&w, lab);
        jw_close(&w, '}');
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    buf_putc(&J->waf, '\n');
    if (J->nwr == J->capwr) {
        J->capwr = J->capwr ? J->capwr * 2 : 16;
        J->wr = realloc(J->wr, J->capwr * sizeof *J->wr);
        if (!J->wr) die_nomem();
    }
    J->wr[J->nwr++] = (wrec_t){ts_ms, start, (uint32_t)(J->waf.n - start)};
}

/* ===================================================================================== */
/* compression and writing                                                                */
/* ===================================================================================== */

static int write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(p, 1, n, f) : 0;
    int bad = w != n;
    if (fclose(f) != 0) bad = 1;
    return bad ? -1 : 0;
}

static size_t gz_into(tls_t *T, const char *in, size_t n)
{
    size_t bound = libdeflate_gzip_compress_bound(T->gz, n);
    buf_reserve(&T->comp, bound);
    size_t w = libdeflate_gzip_compress(T->gz, in, n, T->comp.p + T->comp.n, bound);
    T->comp.n += w;
    return w;
}

static void job_write(const world_t *W, job_t *J, tls_t *T)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", W->o->out, J->name);
    const char *data = T->text.p;
    size_t n = T->text.n;
    T->comp.n = 0;
    if (J->fmt == FMT_PLAIN) {
        J->out_bytes = n;
        if (write_file(path, data, n)) J->err = errno ? errno : EIO;
        return;
    }
    if (J->fmt == FMT_GZ) {
        if (J->kind == J_MULTI) {
            /* 3 gzip members, split at line starts: a valid .gz that naive readers truncate */
            gz_into(T, data, J->cut[0]);
            gz_into(T, data + J->cut[0], J->cut[1] - J->cut[0]);
            gz_into(T, data + J->cut[1], n - J->cut[1]);
        } else
            gz_into(T, data, n);
        if (J->kind == J_TRUNC_GZ) {
            /* cut inside the deflate stream: well after the 10-byte header, before the trailer */
            size_t keep = T->comp.n / 2;
            if (keep < 16) keep = T->comp.n > 9 ? T->comp.n - 9 : T->comp.n;
            T->comp.n = keep;
        }
    } else {
        size_t bound = ZSTD_compressBound(n);
        buf_reserve(&T->comp, bound);
        size_t w = ZSTD_compress2(T->zc, T->comp.p, bound, data, n);
        if (ZSTD_isError(w)) {
            J->err = EIO;
            return;
        }
        T->comp.n = w;
        if (J->kind == J_CORRUPT_ZST && w > 64) {
            /* flip bytes mid-frame; the frame checksum makes the damage detectable even when
             * the block still decodes */
            for (size_t k = 0; k < 24; k++) T->comp.p[w / 2 + k] ^= (char)0x5A;
        }
    }
    J->out_bytes = T->comp.n;
    if (write_file(path, T->comp.p, T->comp.n)) J->err = errno ? errno : EIO;
}

static void tls_init(tls_t *T)
{
    memset(T, 0, sizeof *T);
    T->line = malloc(sizeof *T->line);
    /* libdeflate level 1 and zstd level 1: whole in-memory files, fast (task: >= 100 MB/s) */
    T->gz = libdeflate_alloc_compressor(1);
    T->zc = ZSTD_createCCtx();
    if (!T->line || !T->gz || !T->zc) die_nomem();
    ZSTD_CCtx_setParameter(T->zc, ZSTD_c_compressionLevel, 1);
    ZSTD_CCtx_setParameter(T->zc, ZSTD_c_checksumFlag, 1);
}
static void tls_free(tls_t *T)
{
    free(T->line);
    buf_free(&T->text);
    buf_free(&T->comp);
    libdeflate_free_compressor(T->gz);
    ZSTD_freeCCtx(T->zc);
}

/* ===================================================================================== */
/* --size: estimate the mean line length of the layouts in use from a sample               */
/* ===================================================================================== */

static double mean_line_bytes(const world_t *W, const plan_t *P)
{
    tls_t T;
    tls_init(&T);
    uint64_t per_layout[NLAYOUT] = {0};
    for (size_t i = 0; i < P->nregular; i++) per_layout[P->j[i].layout]++;
    double total = 0;
    uint64_t files = 0;
    for (int l = 0; l < NLAYOUT; l++) {
        if (!per_layout[l]) continue;
        job_t J;
        memset(&J, 0, sizeof J);
        J.kind = J_REGULAR;
        J.layout = (uint8_t)l;
        J.good = 0; /* no accounting */
        J.nlines = 4000;
        J.seed = mix2(W->o->seed, 0x73616d70ull + (uint64_t)l); /* "samp" */
        snprintf(J.name, sizeof J.name, "sample");
        job_generate(W, &J, &T);
        double mean = (double)(T.text.n - W->lay[l].header.n) / J.nlines;
        total += mean * (double)per_layout[l];
        files += per_layout[l];
    }
    tls_free(&T);
    return total / (double)files;
}

/* ===================================================================================== */
/* outputs after generation                                                               */
/* ===================================================================================== */

static int write_buf_path(const char *dir, const char *name, const buf_t *b)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (write_file(path, b->p, b->n)) {
        fprintf(stderr, "cfsgen: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static int write_expected(const world_t *W, const plan_t *P)
{
    uint64_t st[NSTATUS] = {0}, cause[NCAUSE] = {0}, edge[NEDGE] = {0};
    uint64_t *bydist = calloc(W->o->dists, sizeof *bydist);
    uint64_t lines = 0, rb = 0, rs = 0, rl = 0, rn = 0;
    if (!bydist) die_nomem();
    const char **damaged = malloc((P->n + 1) * sizeof *damaged);
    size_t ndam = 0;
    for (size_t i = 0; i < P->n; i++) {
        const job_t *J = &P->j[i];
        for (int s = 0; s < NSTATUS; s++) st[s] += J->st[s];
        for (int c = 0; c < NCAUSE; c++) cause[c] += J->cause[c];
        for (uint32_t e = 0; e < NEDGE; e++) edge[e] += J->edge[e];
        bydist[J->dist] += J->lines;
        lines += J->lines;
        rb += J->rej_binary;
        rs += J->rej_short;
        rl += J->rej_long;
        rn += J->rej_nohdr;
        if (J->damaged) damaged[ndam++] = J->name;
    }
    qsort(damaged, ndam, sizeof *damaged, cmp_str);
    /* keys sorted: by_cause, by_distribution, by_edge, by_status, damaged_files, files, lines, rejected */
    buf_t b = {0};
    jw_t w = {.b = &b, .pretty = 1};
    jw_open(&w, '{');
    jw_key(&w, "by_cause");
    jw_open(&w, '{');
    {
        const char *names[NCAUSE];
        size_t n = 0;
        for (int c = 1; c < NCAUSE; c++)
            if (cause[c]) names[n++] = cause_name[c];
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t k = 0; k < n; k++)
            for (int c = 1; c < NCAUSE; c++)
                if (!strcmp(names[k], cause_name[c])) jw_ku64(&w, names[k], cause[c]);
    }
    jw_close(&w, '}');
    jw_key(&w, "by_distribution");
    jw_open(&w, '{');
    {
        const char **ids = malloc(W->o->dists * sizeof *ids);
        if (!ids) die_nomem();
        for (uint32_t d = 0; d < W->o->dists; d++) ids[d] = W->dist[d].id;
        qsort(ids, W->o->dists, sizeof *ids, cmp_str);
        for (uint32_t k = 0; k < W->o->dists; k++)
            for (uint32_t d = 0; d < W->o->dists; d++)
                if (ids[k] == W->dist[d].id && bydist[d]) jw_ku64(&w, ids[k], bydist[d]);
        free(ids);
    }
    jw_close(&w, '}');
    jw_key(&w, "by_edge");
    jw_open(&w, '{');
    {
        const char *names[NEDGE];
        size_t n = 0;
        for (uint32_t e = 0; e < NEDGE; e++)
            if (edge[e]) names[n++] = edges[e].code;
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t k = 0; k < n; k++)
            for (uint32_t e = 0; e < NEDGE; e++)
                if (names[k] == edges[e].code) jw_ku64(&w, names[k], edge[e]);
    }
    jw_close(&w, '}');
    jw_key(&w, "by_status");
    jw_open(&w, '{');
    for (int s = 0; s < NSTATUS; s++) /* status_str[] is already in string order */
        if (st[s]) jw_ku64(&w, status_str[s], st[s]);
    jw_close(&w, '}');
    jw_key(&w, "damaged_files");
    jw_open(&w, '[');
    for (size_t k = 0; k < ndam; k++) jw_str(&w, damaged[k]);
    jw_close(&w, ']');
    jw_ku64(&w, "files", P->n);
    jw_ku64(&w, "lines", lines);
    jw_key(&w, "rejected");
    jw_open(&w, '{');
    jw_ku64(&w, "binary", rb);
    jw_ku64(&w, "line_too_long", rl);
    jw_ku64(&w, "no_header", rn);
    jw_ku64(&w, "too_few_fields", rs);
    jw_close(&w, '}');
    jw_close(&w, '}');
    buf_putc(&b, '\n');
    int rc = write_buf_path(W->o->out, "expected.json", &b);
    buf_free(&b);
    free(bydist);
    free(damaged);
    return rc;
}

static void jw_methods(jw_t *w, int which)
{
    /* AllowedMethods as `aws cloudfront get-distribution` prints them */
    static const char *const gh[] = {"HEAD", "GET"};
    static const char *const gho[] = {"HEAD", "GET", "OPTIONS"};
    static const char *const all[] = {"HEAD", "DELETE", "POST", "GET", "OPTIONS", "PUT", "PATCH"};
    const char *const *items = which == 0 ? gh : which == 1 ? gho : all;
    size_t n = which == 0 ? 2 : which == 1 ? 3 : 7;
    jw_key(w, "AllowedMethods");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", n);
    jw_kstrlist(w, "Items", items, n);
    jw_key(w, "CachedMethods");
    jw_open(w, '{');
    jw_ku64(w, "Quantity", which == 1 ? 3 : 2);
    jw_kstrlist(w, "Items", which == 1 ? gho : gh, which == 1 ? 3 : 2);
    jw_close(w, '}');
    jw_close(w, '}');
}

static void jw_behavior(jw_t *w, const dist_t *D, const char *pattern, const char *origin, const char *vpp,
                        int restricted, int mset, int cached)
{
    jw_open(w, '{');
    if (pattern) jw_kstr(w, "PathPattern", pattern);
    jw_kstr(w, "TargetOriginId", origin);
    jw_key(w, "TrustedSigners");
    jw_open(w, '{');
    jw_kbool(w, "Enabled", 0);
    jw_ku64(w, "Quantity", 0);
    jw_close(w, '}');
    jw_key(w, "TrustedKeyGroups");
    jw_open(w, '{');
    jw_kbool(w, "Enabled", restricted);
    jw_ku64(w, "Quantity", restricted ? 1 : 0);
    if (restricted) {
        const char *kg = D->key_group_id;
        jw_kstrlist(w, "Items", &kg, 1);
    }
    jw_close(w, '}');
    jw_kstr(w, "ViewerProtocolPolicy", vpp);
    jw_methods(w, mset);
    jw_kbool(w, "SmoothStreaming", 0);
    jw_kbool(w, "Compress", 1);
    jw_kempty(w, "LambdaFunctionAssociations");
    jw_kempty(w, "FunctionAssociations");
    jw_kstr(w, "FieldLevelEncryptionId", "");
    /* AWS managed cache policies CachingOptimized / CachingDisabled */
    jw_kstr(w, "CachePolicyId", cached ? "658327ea-f89d-4fab-a63d-7e88639e58f6" : "4135ea2d-6df8-44a3-9df3-4b5a84be39ad");
    jw_close(w, '}');
}

/* One `aws cloudfront get-distribution --id ...` document per distribution. */
static int write_config(const world_t *W, const dist_t *D, const char *dir)
{
    buf_t b = {0};
    jw_t w = {.b = &b, .pretty = 1};
    char tmp[256];
    jw_open(&w, '{');
    jw_kstr(&w, "ETag", D->etag);
    jw_key(&w, "Distribution");
    jw_open(&w, '{');
    jw_kstr(&w, "Id", D->id);
    snprintf(tmp, sizeof tmp, "arn:aws:cloudfront::123456789012:distribution/%s", D->id);
    jw_kstr(&w, "ARN", tmp);
    jw_kstr(&w, "Status", "Deployed");
    {
        char date[11];
        fmt_date(date, W->o->start_day - 30 - (int64_t)D->num);
        date[10] = 0;
        snprintf(tmp, sizeof tmp, "%sT09:%02u:17.512000+00:00", date, D->num % 60);
        jw_kstr(&w, "LastModifiedTime", tmp);
    }
    jw_ku64(&w, "InProgressInvalidationBatches", 0);
    jw_kstr(&w, "DomainName", D->domain);
    jw_key(&w, "ActiveTrustedSigners");
    jw_open(&w, '{');
    jw_kbool(&w, "Enabled", 0);
    jw_ku64(&w, "Quantity", 0);
    jw_close(&w, '}');
    jw_key(&w, "ActiveTrustedKeyGroups");
    jw_open(&w, '{');
    jw_kbool(&w, "Enabled", 1);
    jw_ku64(&w, "Quantity", 1);
    jw_key(&w, "Items");
    jw_open(&w, '[');
    jw_open(&w, '{');
    jw_kstr(&w, "KeyGroupId", D->key_group_id);
    jw_key(&w, "KeyPairIds");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 1);
    const char *kp = D->key_pair_id;
    jw_kstrlist(&w, "Items", &kp, 1);
    jw_close(&w, '}');
    jw_close(&w, '}');
    jw_close(&w, ']');
    jw_close(&w, '}');

    jw_key(&w, "DistributionConfig");
    jw_open(&w, '{');
    snprintf(tmp, sizeof tmp, "cfsgen-%" PRIu64 "-%u", W->o->seed, D->num);
    jw_kstr(&w, "CallerReference", tmp);
    jw_key(&w, "Aliases");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 2);
    const char *al[2] = {D->alias[0], D->alias[1]};
    jw_kstrlist(&w, "Items", al, 2);
    jw_close(&w, '}');
    jw_kstr(&w, "DefaultRootObject", "index.html");
    jw_key(&w, "Origins");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 2);
    jw_key(&w, "Items");
    jw_open(&w, '[');
    jw_open(&w, '{');
    jw_kstr(&w, "Id", "s3-origin");
    snprintf(tmp, sizeof tmp, "example-%u-site.s3.us-east-1.amazonaws.com", D->num);
    jw_kstr(&w, "DomainName", tmp);
    jw_kstr(&w, "OriginPath", "");
    jw_kempty(&w, "CustomHeaders");
    jw_key(&w, "S3OriginConfig");
    jw_open(&w, '{');
    jw_kstr(&w, "OriginAccessIdentity", "");
    jw_close(&w, '}');
    jw_ku64(&w, "ConnectionAttempts", 3);
    jw_ku64(&w, "ConnectionTimeout", 10);
    jw_key(&w, "OriginShield");
    jw_open(&w, '{');
    jw_kbool(&w, "Enabled", 0);
    jw_close(&w, '}');
    jw_kstr(&w, "OriginAccessControlId", D->oac_id);
    jw_close(&w, '}');
    jw_open(&w, '{');
    jw_kstr(&w, "Id", "api-origin");
    snprintf(tmp, sizeof tmp, "api.example-%u.com", D->num);
    jw_kstr(&w, "DomainName", tmp);
    jw_kstr(&w, "OriginPath", "");
    jw_kempty(&w, "CustomHeaders");
    jw_key(&w, "CustomOriginConfig");
    jw_open(&w, '{');
    jw_ku64(&w, "HTTPPort", 80);
    jw_ku64(&w, "HTTPSPort", 443);
    jw_kstr(&w, "OriginProtocolPolicy", "https-only");
    jw_key(&w, "OriginSslProtocols");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 1);
    const char *tls12 = "TLSv1.2";
    jw_kstrlist(&w, "Items", &tls12, 1);
    jw_close(&w, '}');
    jw_ku64(&w, "OriginReadTimeout", 30);
    jw_ku64(&w, "OriginKeepaliveTimeout", 5);
    jw_close(&w, '}');
    jw_ku64(&w, "ConnectionAttempts", 3);
    jw_ku64(&w, "ConnectionTimeout", 10);
    jw_key(&w, "OriginShield");
    jw_open(&w, '{');
    jw_kbool(&w, "Enabled", 0);
    jw_close(&w, '}');
    jw_kstr(&w, "OriginAccessControlId", "");
    jw_close(&w, '}');
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_kempty(&w, "OriginGroups");
    jw_key(&w, "DefaultCacheBehavior");
    jw_behavior(&w, D, NULL, "s3-origin", "redirect-to-https", 0, 0, 1);
    jw_key(&w, "CacheBehaviors");
    jw_open(&w, '{');
    jw_ku64(&w, "Quantity", 4);
    jw_key(&w, "Items");
    jw_open(&w, '[');
    snprintf(tmp, sizeof tmp, "%s*", D->restricted);
    jw_behavior(&w, D, tmp, "s3-origin", "https-only", 1, 0, 1);
    snprintf(tmp, sizeof tmp, "%s*", D->secure);
    jw_behavior(&w, D, tmp, "s3-origin", "https-only", 0, 1, 0);
    jw_behavior(&w, D, "/api/*", "api-origin", "redirect-to-https", 0, 2, 0);
    jw_behavior(&w, D, "/static/*", "s3-origin", "redirect-to-https", 0, 1, 1);
    jw_close(&w, ']');
    jw_close(&w, '}');
    jw_kempty(&w, "CustomErrorResponses");
    snprintf(tmp, sizeof tmp, "example-%u (cfsgen)", D->num);
    jw_kstr(&w, "Comment", tmp);
    jw_key(&w, "Logging");
    jw_open(&w, '{');
    jw_kbool(&w, "Enabled", 1);
    jw_kbool(&w, "IncludeCookies", D->cookie_logging);
    snprintf(tmp, sizeof tmp, "example-%u-logs.s3.amazonaws.com", D->num);
    jw_kstr(&w, "Bucket", tmp);
    jw_kstr(&w, "Prefix", "cloudfront/");
    jw_close(&w, '}');
    jw_kstr(&w, "PriceClass", "PriceClass_All");
    jw_kbool(&w, "Enabled", 1);
    jw_key(&w, "ViewerCertificate");
    jw_open(&w, '{');
    jw_kbool(&w, "CloudFrontDefaultCertificate", 0);
    snprintf(tmp, sizeof tmp, "arn:aws:acm:us-east-1:123456789012:certificate/%s", D->key_group_id);
    jw_kstr(&w, "ACMCertificateArn", tmp);
    jw_kstr(&w, "SSLSupportMethod", "sni-only");
    jw_kstr(&w, "MinimumProtocolVersion", "TLSv1.2_2021");
    jw_kstr(&w, "Certificate", tmp);
    jw_kstr(&w, "CertificateSource", "acm");
    jw_close(&w, '}');
    jw_key(&w, "Restrictions");
    jw_open(&w, '{');
    jw_key(&w, "GeoRestriction");
    jw_open(&w, '{');
    jw_kstr(&w, "RestrictionType", "blacklist");
    jw_ku64(&w, "Quantity", D->ngeo);
    const char *geo[3];
    for (uint32_t i = 0; i < D->ngeo; i++) geo[i] = blocked_countries[D->geo[i]].cc;
    jw_kstrlist(&w, "Items", geo, D->ngeo);
    jw_close(&w, '}');
    jw_close(&w, '}');
    jw_kstr(&w, "WebACLId", D->webacl_arn);
    jw_kstr(&w, "HttpVersion", "http2and3");
    jw_kbool(&w, "IsIPV6Enabled", 1);
    jw_close(&w, '}');
    jw_close(&w, '}');
    jw_close(&w, '}');
    buf_putc(&b, '\n');
    char name[64];
    snprintf(name, sizeof name, "%s.json", D->id);
    int rc = write_buf_path(dir, name, &b);
    buf_free(&b);
    return rc;
}

typedef struct wref {
    int64_t ts_ms;
    const char *p;
    uint32_t len;
} wref_t;

static int cmp_wref(const void *a, const void *b)
{
    const wref_t *x = a, *y = b;
    if (x->ts_ms != y->ts_ms) return x->ts_ms < y->ts_ms ? -1 : 1;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* waf/waf-YYYY-MM-DD.log.gz per day, records in time order (ties by bytes: deterministic). */
static int write_waf(const world_t *W, const plan_t *P, const char *dir)
{
    int rc = 0;
    uint32_t days = W->o->days;
#pragma omp parallel for schedule(dynamic, 1) reduction(| : rc)
    for (uint32_t day = 0; day < days; day++) {
        size_t n = 0;
        for (size_t i = 0; i < P->n; i++)
            if (P->j[i].day == day) n += P->j[i].nwr;
        wref_t *v = malloc((n + 1) * sizeof *v);
        if (!v) die_nomem();
        size_t k = 0, bytes = 0;
        for (size_t i = 0; i < P->n; i++) {
            const job_t *J = &P->j[i];
            if (J->day != day) continue;
            for (size_t m = 0; m < J->nwr; m++) {
                v[k++] = (wref_t){J->wr[m].ts_ms, J->waf.p + J->wr[m].off, J->wr[m].len};
                bytes += J->wr[m].len;
            }
        }
        qsort(v, n, sizeof *v, cmp_wref);
        char *text = malloc(bytes + 1);
        if (!text) die_nomem();
        size_t pos = 0;
        for (size_t m = 0; m < n; m++) {
            memcpy(text + pos, v[m].p, v[m].len);
            pos += v[m].len;
        }
        struct libdeflate_compressor *c = libdeflate_alloc_compressor(3);
        if (!c) die_nomem();
        size_t bound = libdeflate_gzip_compress_bound(c, pos);
        char *out = malloc(bound);
        if (!out) die_nomem();
        size_t w = libdeflate_gzip_compress(c, text, pos, out, bound);
        char date[11], name[64];
        fmt_date(date, W->o->start_day + day);
        date[10] = 0;
        snprintf(name, sizeof name, "waf-%s.log.gz", date);
        buf_t b = {out, w, bound};
        if (write_buf_path(dir, name, &b)) rc |= 1;
        libdeflate_free_compressor(c);
        free(out);
        free(text);
        free(v);
    }
    return rc ? -1 : 0;
}

static int make_dir(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];
            tmp[i] = 0;
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
            tmp[i] = c;
        }
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int main(int argc, char **argv)
{
    opts_t o;
    parse_args(argc, argv, &o);
    if (o.threads) omp_set_num_threads(o.threads);
    if (make_dir(o.out)) {
        fprintf(stderr, "cfsgen: -o: cannot create directory '%s': %s\n", o.out, strerror(errno));
        return 1;
    }
    double t0 = omp_get_wtime();
    world_t *W = malloc(sizeof *W);
    if (!W) die_nomem();
    world_init(W, &o);
    plan_t P;
    plan_build(W, &P);
    if (o.size) {
        double mean = mean_line_bytes(W, &P);
        double lines = (double)o.size / (mean * (double)P.nregular);
        uint32_t lpf = lines < 1 ? 1 : lines > 50000000 ? 50000000 : (uint32_t)(lines + 0.5);
        o.lpf = lpf;
        for (size_t i = 0; i < P.nregular; i++) P.j[i].nlines = lpf;
    }

    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        tls_t T;
        tls_init(&T);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < P.n; i++) {
            job_generate(W, &P.j[i], &T);
            job_write(W, &P.j[i], &T);
            if (P.j[i].err) failed = 1;
        }
        tls_free(&T);
    }
    uint64_t raw = 0, out = 0, lines = 0;
    for (size_t i = 0; i < P.n; i++) {
        if (P.j[i].err) fprintf(stderr, "cfsgen: cannot write %s/%s: %s\n", o.out, P.j[i].name, strerror(P.j[i].err));
        raw += P.j[i].raw_bytes;
        out += P.j[i].out_bytes;
        lines += P.j[i].lines;
    }
    double t1 = omp_get_wtime();

    /* labels.tsv: one row per 403 line of the good files, in file then line order */
    {
        char path[4096];
        snprintf(path, sizeof path, "%s/labels.tsv", o.out);
        FILE *f = fopen(path, "wb");
        int bad = !f;
        if (f) {
            fputs("request_id\tcause\tfile\n", f);
            for (size_t i = 0; i < P.n; i++)
                if (P.j[i].labels.n && fwrite(P.j[i].labels.p, 1, P.j[i].labels.n, f) != P.j[i].labels.n) bad = 1;
            if (fclose(f)) bad = 1;
        }
        if (bad) {
            fprintf(stderr, "cfsgen: cannot write %s: %s\n", path, strerror(errno));
            failed = 1;
        }
    }
    if (write_expected(W, &P)) failed = 1;
    if (o.configs) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/config", o.out);
        if (make_dir(dir)) {
            fprintf(stderr, "cfsgen: cannot create %s: %s\n", dir, strerror(errno));
            failed = 1;
        } else
            for (uint32_t d = 0; d < o.dists; d++)
                if (write_config(W, &W->dist[d], dir)) failed = 1;
    }
    if (o.waf) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/waf", o.out);
        if (make_dir(dir)) {
            fprintf(stderr, "cfsgen: cannot create %s: %s\n", dir, strerror(errno));
            failed = 1;
        } else if (write_waf(W, &P, dir))
            failed = 1;
    }
    double t2 = omp_get_wtime();
    fprintf(stderr,
            "cfsgen: %zu files, %" PRIu64 " lines, %.1f MB uncompressed -> %.1f MB written; logs %.2f s "
            "(%.0f MB/s), total %.2f s (%.0f MB/s)\n",
            P.n, lines, raw / 1e6, out / 1e6, t1 - t0, raw / 1e6 / (t1 - t0), t2 - t0, raw / 1e6 / (t2 - t0));

    for (size_t i = 0; i < P.n; i++) {
        buf_free(&P.j[i].labels);
        buf_free(&P.j[i].waf);
        free(P.j[i].wr);
    }
    free(P.j);
    world_free(W);
    free(W);
    return failed ? 1 : 0;
}
