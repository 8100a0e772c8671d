/* 403 cause attribution: one ordered table of rules over a log line (first match wins),
 * plus the after-pass edge-versus-origin latency test for the `Error` 403s that only
 * timing can place.  "§N" below cites shared/reference/cloudfront-logs.md. */
#include <stdint.h>
#include <string.h>

#include "pipeline/attribute.h"

#include <pthread.h>

/* ---- verdicts that rest on the config -------------------------------------------------
 * Issue 10: a config is what the distribution is now; a line written before its
 * LastModifiedTime was served by an earlier one, so a verdict that rests on the config
 * (host association, protocol policy, allowed methods, restricted behaviors, origin kind,
 * web ACL presence, cookie logging, function associations) loses one evidence level there.
 * Such a line gets the rule's twin: the same cause, one level lower, the name with
 * "_config_newer", so every output (report, JSON, `requests`, Parquet, state) shows it and
 * the report counts the twins per distribution (cfs_rule_is_config_newer).  Rules already
 * at possible have no twin: nothing to lower; a twin of a rule that became possible stays
 * in the table, never given (no lower level), so that the states that name it still read
 * (behavior_method_not_allowed_drt_error's).  Each entry: the rule, its name, its cause,
 * the twin's evidence (one below the rule's). */
#define CONFIG_TWINS(X)                                                                                   \
    X(R_COUNTRY_GEO, "c_country_geo_restricted", GEO_RESTRICTION, POSSIBLE)                               \
    X(R_HOST_NOT_ASSOCIATED, "host_not_associated", CNAME_NOT_ASSOCIATED, POSSIBLE)                       \
    X(R_HTTPS_ONLY_HTTP, "https_only_behavior_http", HTTPS_REQUIRED, LIKELY)                              \
    X(R_REDIRECT_HTTP10_NON_GET, "redirect_behavior_http10_non_get", HTTPS_REQUIRED, LIKELY)              \
    X(R_BEHAVIOR_METHOD, "behavior_method_not_allowed", METHOD_NOT_ALLOWED, LIKELY)                       \
    X(R_BEHAVIOR_METHOD_DRT_ERROR, "behavior_method_not_allowed_drt_error", METHOD_NOT_ALLOWED, POSSIBLE) \
    X(R_SIGNED_MISSING_RESTRICTED, "signed_missing_on_restricted_behavior", SIGNED_URL_MISSING, LIKELY)   \
    X(R_SIGNED_MISSING_XML, "signed_missing_xml_error", SIGNED_URL_MISSING, POSSIBLE)                     \
    X(R_SIGNED_PAGE_MISSING, "signed_missing_behind_custom_page", SIGNED_URL_MISSING, POSSIBLE)           \
    X(R_SIGNED_PAGE_EXPIRED, "signed_expired_behind_custom_page", SIGNED_URL_EXPIRED, POSSIBLE)           \
    X(R_S3_ROOT, "s3_root_without_default_object", ORIGIN_S3, LIKELY)                                     \
    X(R_S3_TRAILING_SLASH, "s3_rest_trailing_slash", ORIGIN_S3, LIKELY)                                   \
    X(R_S3_XML, "s3_xml_body", ORIGIN_S3, LIKELY)                                                         \
    X(R_CUSTOM_XML, "custom_origin_xml_body", ORIGIN_CUSTOM, POSSIBLE)                                    \
    X(R_CLOUDFRONT_XML, "cloudfront_origin_xml_body", ORIGIN_CUSTOM, POSSIBLE)                            \
    X(R_ORIGIN_RESULT_S3, "origin_result_type_s3", ORIGIN_S3, POSSIBLE)                                   \
    X(R_ORIGIN_RESULT_CLOUDFRONT, "origin_result_type_cloudfront", ORIGIN_CUSTOM, POSSIBLE)               \
    X(R_BODY_S3, "non_cloudfront_body_s3", ORIGIN_S3, POSSIBLE)                                           \
    X(R_BODY, "non_cloudfront_body", ORIGIN_CUSTOM, POSSIBLE)                                             \
    X(R_RT_FUNCTION_GENERATED_ASSOC, "rt_function_generated_response_associated", EDGE_FUNCTION, LIKELY)  \
    X(R_RT_FUNCTION_ERROR_ASSOC, "rt_function_error_associated", EDGE_FUNCTION, LIKELY)                   \
    X(R_RT_LAMBDA_GENERATED_ASSOC, "rt_lambda_generated_response_associated", EDGE_FUNCTION, LIKELY)

/* ---- rule ids ------------------------------------------------------------------------
 * The id is the index into the rule table and is what cfs_attribution.rule carries, so
 * reports print cfs_rule_name(id).  Order = evaluation order.  Entries after
 * R_UNCLASSIFIED have no predicate: cfs_attr_settle() is the only way to reach them. */
/* clang-format off */
enum rule_id {
    R_NOT_403,
    /* the log (or the WAF log) names the cause */
    R_WAF_LOG_BLOCK,
    R_DRT_GEO, R_DRT_METHOD,
    /* v2's c-country against the config's GeoRestriction, where no detailed type is logged */
    R_COUNTRY_GEO,
    R_DRT_BLOCKED, R_DRT_INVALID, R_DRT_HEADER, R_DRT_CERT,
    R_RT_LIMIT,
    /* code at the edge (edge_function); _ASSOC: the config shows a matching association on
     * the matched behavior, _NO_FN: the config shows the behavior has none */
    R_RT_LAMBDA_ERROR, R_DRT_MISS_GENERATED,
    R_RT_FUNCTION_GENERATED_ASSOC, R_RT_FUNCTION_GENERATED_NO_FN, R_RT_FUNCTION_GENERATED,
    R_RT_FUNCTION_ERROR_ASSOC, R_RT_FUNCTION_ERROR_NO_FN, R_RT_FUNCTION_ERROR,
    R_RT_LAMBDA_GENERATED_ASSOC, R_RT_LAMBDA_GENERATED_NO_FN, R_RT_LAMBDA_GENERATED,
    /* the distribution config plus the line */
    R_HOST_NOT_ASSOCIATED, R_HOST_NOT_ASSOCIATED_PARTIAL,
    R_HTTPS_ONLY_HTTP, R_REDIRECT_HTTP10_NON_GET,
    R_BEHAVIOR_METHOD, R_BEHAVIOR_METHOD_DRT_ERROR,
    /* signed URLs and cookies */
    R_SIGNED_MISSING_RESTRICTED, R_SIGNED_MISSING_RESTRICTED_UNLOGGED, R_SIGNED_QUERY_EXPIRED, R_SIGNED_COOKIE_EXPIRED,
    R_SIGNED_SAME_SECOND,
    /* the same behind a custom 403 page, which hides CloudFront's text/xml refusal; the
     * R_PENDING_SIGNED* ids are provisional like the R_PENDING* ones below */
    R_SIGNED_PAGE_MISSING, R_SIGNED_PAGE_EXPIRED, R_SIGNED_PAGE_MISSING_OR_WAF, R_SIGNED_PAGE_EXPIRED_OR_WAF,
    /* the same refusals answered with an HTML page and no custom page to explain it */
    R_SIGNED_HTML_MISSING, R_SIGNED_HTML_EXPIRED, R_SIGNED_HTML_MISSING_OR_WAF, R_SIGNED_HTML_EXPIRED_OR_WAF,
    R_PENDING_SIGNED_S3, R_PENDING_SIGNED, R_PENDING_SIGNED_OPEN_S3, R_PENDING_SIGNED_OPEN,
    R_PENDING_SIGNED_WAF_S3, R_PENDING_SIGNED_WAF, /* the last of the block (cfs_attribute_line_rules) */
    /* origin bodies */
    R_S3_ROOT, R_S3_TRAILING_SLASH, R_S3_XML, R_S3_XML_UNCONFIGURED, R_CUSTOM_XML, R_CLOUDFRONT_XML,
    R_SIGNED_NOT_YET_VALID, R_SIGNED_REFUSED, R_SIGNED_TIME_UNKNOWN, R_SIGNED_MISSING_XML,
    R_SIGNED_MISSING_XML_UNLOGGED,
    R_ORIGIN_FBL_S3, R_ORIGIN_FBL_ANY, R_ORIGIN_FBL,
    R_ORIGIN_RESULT_S3, R_ORIGIN_RESULT_CLOUDFRONT, R_ORIGIN_RESULT_ANY, R_ORIGIN_RESULT, R_PENDING_BODY_S3,
    R_PENDING_BODY,
    R_BODY_S3, R_BODY,
    /* provisional: settled after the pass (held-back lines: cfs_attr_settle_fast, then by
     * latency: cfs_attr_settle), each with its entry in the `variants` table. */
    R_PENDING_HTTP, R_PENDING, R_PENDING_S3, R_PENDING_WAF_UNLOGGED,
    R_PENDING_WAF_UNLOGGED_S3, R_PENDING_NO_ACL, R_PENDING_NO_ACL_S3,
    R_PENDING_WAF_UNLOGGED_ANY, R_PENDING_BLIND, R_PENDING_BLIND_S3, R_PENDING_BLIND_ANY, R_PENDING_NO_ACL_ANY,
    R_PENDING_ANY, R_PENDING_BLIND_NOWAF, R_PENDING_BLIND_NOWAF_S3, R_PENDING_BLIND_NOWAF_ANY,
    R_UNCLASSIFIED,
    /* settled results (reached through cfs_attr_settle / cfs_attr_settle_fast only) */
    R_EDGE_WAF, R_EDGE_WAF_UNLOGGED, R_EDGE_NO_ACL, R_EDGE_HTTP,
    R_EDGE_WAF_ABS, R_EDGE_WAF_UNLOGGED_ABS, R_EDGE_NO_ACL_ABS, R_EDGE_HTTP_ABS,
    R_EDGE_SIGNED, R_EDGE_SIGNED_ABS, R_EDGE_SIGNED_OPEN, R_EDGE_SIGNED_WAF, R_EDGE_BLIND, R_EDGE_BLIND_NOWAF,
    R_ORIGIN_CUSTOM, R_ORIGIN_S3, R_ORIGIN_ANY,
    R_AMBIG_HTTP, R_AMBIG, R_AMBIG_S3, R_AMBIG_WAF_UNLOGGED, R_AMBIG_WAF_UNLOGGED_S3,
    R_AMBIG_NO_ACL, R_AMBIG_NO_ACL_S3, R_AMBIG_SIGNED, R_AMBIG_SIGNED_S3,
    R_AMBIG_SIGNED_OPEN, R_AMBIG_SIGNED_OPEN_S3, R_AMBIG_SIGNED_WAF, R_AMBIG_SIGNED_WAF_S3, R_AMBIG_NO_ACL_ANY,
    R_AMBIG_WAF_UNLOGGED_ANY, R_AMBIG_BLIND, R_AMBIG_BLIND_S3, R_AMBIG_BLIND_ANY,
    R_AMBIG_ANY, R_AMBIG_BLIND_NOWAF, R_AMBIG_BLIND_NOWAF_S3, R_AMBIG_BLIND_NOWAF_ANY,
    R_NO_TIME_HTTP, R_NO_TIME, R_NO_TIME_S3, R_NO_TIME_WAF_UNLOGGED, R_NO_TIME_WAF_UNLOGGED_S3,
    R_NO_TIME_NO_ACL, R_NO_TIME_NO_ACL_S3, R_NO_TIME_SIGNED, R_NO_TIME_SIGNED_S3,
    R_NO_TIME_SIGNED_OPEN, R_NO_TIME_SIGNED_OPEN_S3, R_NO_TIME_SIGNED_WAF, R_NO_TIME_SIGNED_WAF_S3,
    R_NO_TIME_NO_ACL_ANY,
    R_NO_TIME_WAF_UNLOGGED_ANY, R_NO_TIME_BLIND, R_NO_TIME_BLIND_S3, R_NO_TIME_BLIND_ANY,
    R_NO_TIME_ANY, R_NO_TIME_BLIND_NOWAF, R_NO_TIME_BLIND_NOWAF_S3, R_NO_TIME_BLIND_NOWAF_ANY,
    R_EDGE_BODY, R_EDGE_BODY_S3,
    R_CACHED_ORIGIN, R_CACHED_ORIGIN_S3, R_CACHED_ORIGIN_ANY, R_LEARNED_PAGE, R_LEARNED_GENERIC_PAGE,
    R_SHARED_PAGE, R_ORIGIN_ONE_PAGE,
    /* a non-403 line that is a remapped 403 (cfs_attribute's non-403 path) */
    R_HIDDEN_403,
    /* a config-based verdict on a line older than the config's LastModifiedTime (see
     * CONFIG_TWINS below) */
#define TWIN_ID(base, name, cause, ev) base##_OLD,
    CONFIG_TWINS(TWIN_ID)
#undef TWIN_ID
    /* retired: rules no line gets any more, kept so that the summaries whose state names
     * them still read (a state lists its writer's whole table; tests/test_rules_doc.c) */
    R_RETIRED_SIGNED_PAGE_PRESENT_OR_WAF, R_RETIRED_SIGNED_PAGE_PRESENT_OR_WAF_S3,
    R_RETIRED_ORIGIN_CUSTOM_ABS, R_RETIRED_ORIGIN_S3_ABS, R_RETIRED_WAF_CHALLENGE,
    R_COUNT
};
/* clang-format on */

/* ---- facts about one 403 line ----------------------------------------------------------
 * Computed once per 403 before the table runs, so predicates are one-liners over plain
 * values and the table reads like the troubleshooting guide. */
enum ct_kind { CT_NONE, CT_HTML, CT_TEXT_XML, CT_APP_XML, CT_JSON, CT_OTHER };
enum tri { T_UNKNOWN = -1, T_NO = 0, T_YES = 1 };
/* The latency zones (see "latency" below): edge-fast up to EDGE_MAX_MS, origin-served from
 * ORIGIN_MIN_MS. */
enum { EDGE_MAX_MS = 5, ORIGIN_MIN_MS = 20 };
enum signer_src { SRC_NONE, SRC_QUERY, SRC_COOKIE };
enum expiry {
    EXP_ABSENT,      /* neither Expires nor Policy */
    EXP_UNREADABLE,  /* Policy not decodable / no DateLessThan, or Expires not a number */
    EXP_NO_TIME,     /* the line has no usable date+time */
    EXP_PAST,        /* expired before the earliest moment the request can have arrived */
    EXP_SAME_SECOND, /* expiry inside the window the request arrived in */
    EXP_NOT_YET,     /* custom policy DateGreaterThan after the latest arrival moment */
    EXP_FUTURE,      /* still valid when the request arrived */
};

typedef struct facts {
    const cfs_record *r;
    uint64_t results; /* bit v set: one of the line's three result types is v (has_result) */
    const cfs_attr_ctx *ctx;
    const cfs_dist_config *d;    /* NULL without a matching config */
    const cfs_cfg_behavior *b;   /* NULL when d is NULL or no behavior matched */
    cfs_origin_kind origin_kind; /* of b's origin; CFS_ORIGIN_UNKNOWN when unknown */
    cfs_vpp vpp;                 /* of b; CFS_VPP_UNKNOWN when unknown */
    int acl;                     /* enum tri: distribution has a web ACL */
    int restricted;              /* enum tri: b restricts viewer access */
    int host_unassociated;       /* config proves x-host-header is not ours */
    int host_associated;         /* config proves x-host-header is ours */
    int geo_type;                /* the config's GeoRestriction (cfs_dist_config.geo_type)
                                  * as it applies to the line: -1 unknown, also for a
                                  * tenant's line */
    int tenant;                  /* a distribution tenant's line: distribution-tenant-id, or
                                  * a tenant-only config (config_facts) */
    int identity_full;           /* the config gives both DomainName and Aliases */
    int cookies_logged;          /* enum tri: cs(Cookie) holds every cookie sent */
    int cookies_from_config;     /* cookies_logged is T_YES because the config says so
                                  * (not because the line shows a cookie) */
    int signers_logged;          /* every signer the viewer may have sent is on the line:
                                  * its layout has cs-uri-query, and the cookies were
                                  * logged (a layout without cs(Cookie) logs none, whatever
                                  * the config says); an absent signer proves nothing else */
    int viewer_fn;               /* enum tri: the matched behavior has a viewer-request
                                  * CloudFront Function or Lambda@Edge, which can answer
                                  * a 403 itself; T_UNKNOWN without a config, when the
                                  * config does not list functions, or when the line is
                                  * older than the config */
    int config_older;            /* the line was written before the config's
                                  * LastModifiedTime: config-based verdicts lose a level */
    int waf_hit;                 /* a joined record proves a WAF 403 (see waf_join) */
    int waf_note;                /* CFS_WAF_NOTE_* or -1 */
    uint32_t waf_rule;           /* with waf_hit: the record's terminating rule */
    int waf_covered;             /* the WAF logs cover this line's distribution and time */
    enum ct_kind ct;
    int ct_logged;        /* the line has an sc-content-type field (older layouts lack it) */
    int drt_logged;       /* the line has an x-edge-detailed-result-type field */
    int plain;            /* cs-protocol http or ws: no TLS */
    int origin_contacted; /* enum tri: v2 origin-fbl present ('-' = T_NO) */
    int origin_path;      /* response came through cache or origin */
    int edge_error;       /* RT/RRT Error or absent, DRT Error-like or absent */
    int refusable;        /* edge_error and no origin fetch logged (origin-fbl): the line can be
                           * an edge refusal, which happens before any fetch */
    int origin_timed;     /* its own latency (cfs_attr_latency_ms) is ORIGIN_MIN_MS or more, which
                           * no edge refusal takes: the rules that name one only from the config
                           * or a [?] signature do not fire on it */
    int signer;           /* a non-empty Key-Pair-Id present */
    int keyed;            /* certainly no MissingKey: every set of signer values on the line
                           * (query, cookies) has a non-empty Key-Pair-Id, and both fields
                           * were logged when it was written (CFS_EXCL_KEYED) */
    enum signer_src src;
    enum expiry exp;
    uint16_t pending; /* provisional rule id this line would get */
    /* signer_page, signer_page_refused, signer_html_refused and waf_excluded, once (several
     * rules read them) */
    uint8_t page, page_refused, html_refused, no_waf;
} facts;

typedef int (*rule_pred)(const facts *f);

enum rule_kind { K_MATCH, K_PROVISIONAL, K_SETTLED };

typedef struct attr_rule {
    const char *name;
    uint8_t cause;
    uint8_t evidence;
    uint8_t kind;
    rule_pred pred;
} attr_rule;

/* ---- small byte helpers ------------------------------------------------------------- */
/* Percent-decoding reader.  A decoded '%' that starts another "%XX" is decoded again, so
 * the log's re-encoding of the viewer's own escapes ("%257E" = viewer "%7E" = "~") and the
 * pre-2020 double encoding ("%2520") both yield the byte meant (§1.3).  Only used on
 * parameter names and on values whose alphabet has no '%' (digits, base64), where decoding
 * more than once cannot damage anything. */
typedef struct pdec {
    const char *p;
    size_t n, i;
    int raw; /* no '%' in [p, p + n): every byte is itself (nearly every name and value) */
} pdec;

static inline pdec pdec_of(cfs_span s)
{
    return (pdec){s.p, s.n, 0, s.n == 0 || memchr(s.p, '%', s.n) == NULL};
}

static inline int pdec_next(pdec *d)
{
    if (d->i >= d->n) return -1;
    int c = (unsigned char)d->p[d->i++];
    if (d->raw) return c;
    while (c == '%' && d->n - d->i >= 2) {
        int hi = cfs_hexval(d->p[d->i]), lo = cfs_hexval(d->p[d->i + 1]);
        if (hi < 0 || lo < 0) break;
        c = hi * 16 + lo;
        d->i += 2;
    }
    return c;
}

/* The name less its leading spaces, as logged or escaped once ("%20", "%09"): cookie pairs
 * are separated by "; ", logged as ";%20".  What is taken off decodes to spaces that
 * name_is would skip anyway (a decoded byte other than '%' is never decoded again), so
 * name_is reads the rest; nearly every rest is free of '%' and compared as it is. */
static cfs_span name_rest(cfs_span s)
{
    for (;;) {
        if (s.n >= 1 && (s.p[0] == ' ' || s.p[0] == '\t')) {
            s.p++;
            s.n--;
        } else if (s.n >= 3 && s.p[0] == '%' &&
                   ((s.p[1] == '2' && s.p[2] == '0') || (s.p[1] == '0' && s.p[2] == '9'))) {
            s.p += 3;
            s.n -= 3;
        } else {
            return s;
        }
    }
}

/* 1 when the decoded name (read by d, a copy: the caller's reader stays at the start of
 * the name's rest, name_rest), less leading spaces, equals prefix (np bytes) followed by
 * lit (nl bytes). */
static int name_is(pdec d, const char *prefix, size_t np, const char *lit, size_t nl)
{
    if (d.raw) /* name_rest left no space in front */
        return d.n == np + nl && memcmp(d.p, prefix, np) == 0 && memcmp(d.p + np, lit, nl) == 0;
    int c = pdec_next(&d);
    while (c == ' ' || c == '\t') c = pdec_next(&d);
    for (size_t i = 0; i < np; i++) {
        if (c != (unsigned char)prefix[i]) return 0;
        c = pdec_next(&d);
    }
    for (size_t i = 0; i < nl; i++) {
        if (c != (unsigned char)lit[i]) return 0;
        c = pdec_next(&d);
    }
    return c == -1;
}
#define NAME_IS(d, prefix, np, lit) name_is(d, prefix, np, lit, sizeof lit - 1)

/* Whether a name's rest (name_rest, so no space in front) can decode to prefix followed
 * by anything (name_is): its first byte decides for nearly every pair of a query string or
 * cookie, and only an escape needs the decoding compare.  With no prefix, first is the
 * first letters the caller looks for. */
static int may_start(cfs_span rest, const char *prefix, const char *first)
{
    if (rest.n == 0) return 0;
    const char c = rest.p[0];
    if (c == '%') return 1;
    if (*prefix) return c == *prefix;
    return strchr(first, c) != NULL;
}

/* Next "name=value" pair of s separated by sep; *pos advances.  0 at the end. */
static int next_pair(cfs_span s, size_t *pos, char sep, cfs_span *name, cfs_span *val)
{
    if (*pos >= s.n) return 0;
    const char *start = s.p + *pos, *stop = s.p + s.n;
    const char *end = memchr(start, sep, (size_t)(stop - start));
    if (end == NULL) end = stop;
    *pos = (size_t)(end - s.p) + 1;
    const char *eq = memchr(start, '=', (size_t)(end - start));
    name->p = start;
    if (eq != NULL) {
        name->n = (uint32_t)(eq - start);
        val->p = eq + 1;
        val->n = (uint32_t)(end - eq - 1);
    } else {
        name->n = (uint32_t)(end - start);
        val->p = end;
        val->n = 0;
    }
    return 1;
}

/* Decimal seconds (percent-decoded), at most 15 digits so that *1000 cannot overflow. */
static int parse_epoch(cfs_span v, int64_t *out)
{
    pdec d = pdec_of(v);
    int64_t x = 0;
    int digits = 0, c;
    while ((c = pdec_next(&d)) != -1) {
        if (c < '0' || c > '9' || digits == 15) return 0;
        x = x * 10 + (c - '0');
        digits++;
    }
    if (digits == 0) return 0;
    *out = x;
    return 1;
}

/* Base64 of a Policy as CloudFront documents it: standard base64 with '+', '=', '/' made
 * URL-safe as '-', '_', '~' (§5.4, `tr '+=/' '-_~'`); both alphabets are accepted since
 * hand-made URLs mix them.  Padding ends the input.  Output stops at cap (a longer policy
 * is read up to cap).  Returns the bytes written, or -1 on a byte outside the alphabet. */
static long b64_policy_decode(cfs_span v, unsigned char *out, size_t cap)
{
    pdec d = pdec_of(v);
    uint32_t acc = 0;
    int bits = 0, c;
    size_t n = 0;
    while ((c = pdec_next(&d)) != -1 && n < cap) {
        int x;
        if (c >= 'A' && c <= 'Z') x = c - 'A';
        else if (c >= 'a' && c <= 'z') x = c - 'a' + 26;
        else if (c >= '0' && c <= '9') x = c - '0' + 52;
        else if (c == '-' || c == '+') x = 62;
        else if (c == '~' || c == '/') x = 63;
        else if (c == '_' || c == '=') break;
        else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        else return -1;
        acc = (acc << 6) | (uint32_t)x;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1u;
        }
    }
    return (long)n;
}

static const unsigned char *find_bytes(const unsigned char *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    if (nn == 0 || hn < nn) return NULL;
    const unsigned char *last = h + (hn - nn); /* the last place a match can start */
    for (const unsigned char *p = h; p <= last; p++) {
        p = memchr(p, needle[0], (size_t)(last - p) + 1);
        if (p == NULL) return NULL;
        if (memcmp(p, needle, nn) == 0) return p;
    }
    return NULL;
}

/* The "AWS:EpochTime" number of condition cond ("DateLessThan") in policy JSON: the
 * condition key, then the EpochTime key before the condition object's closing brace, then
 * ':' and the digits (a quoted number is tolerated).  No JSON library: the policy grammar
 * is fixed by CloudFront (§5.4) and anything else is "unreadable". */
static int policy_epoch(const unsigned char *j, size_t n, const char *cond, int64_t *out)
{
    const unsigned char *k = find_bytes(j, n, cond);
    if (k == NULL) return 0;
    const unsigned char *end = j + n;
    const unsigned char *close = k;
    while (close < end && *close != '}') close++;
    const unsigned char *t = find_bytes(k, (size_t)(close - k), "\"AWS:EpochTime\"");
    if (t == NULL) return 0;
    const unsigned char *p = t + sizeof("\"AWS:EpochTime\"") - 1;
    while (p < close && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    if (p >= close || *p != ':') return 0;
    p++;
    while (p < close && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '"')) p++;
    int64_t x = 0;
    int digits = 0;
    while (p < close && *p >= '0' && *p <= '9' && digits < 15) {
        x = x * 10 + (*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || (p < close && *p >= '0' && *p <= '9')) return 0;
    *out = x;
    return 1;
}

/* ---- signed URL / cookie evidence --------------------------------------------------- */
typedef struct signer_set {
    int sig, kpid, any;
    int has_expires, has_policy;
    cfs_span expires, policy;
} signer_set;

/* Canned policy: Expires, Signature, Key-Pair-Id; custom: Policy, Signature, Key-Pair-Id.
 * As cookies the same names carry the "CloudFront-" prefix (§5.4). */
static void scan_signer(cfs_span s, char sep, const char *prefix, signer_set *o)
{
    memset(o, 0, sizeof *o);
    if (cfs_span_empty(s)) return;
    const size_t np = strlen(prefix);
    size_t pos = 0;
    cfs_span name, val;
    while (next_pair(s, &pos, sep, &name, &val)) {
        const cfs_span rest = name_rest(name);
        if (!may_start(rest, prefix, "SKEP")) continue;
        const pdec nd = pdec_of(rest);
        if (NAME_IS(nd, prefix, np, "Signature")) {
            o->sig = 1;
        } else if (NAME_IS(nd, prefix, np, "Key-Pair-Id")) {
            /* "Key-Pair-Id=" names no key: MissingKey, as if it were absent (§5.4). */
            if (val.n > 0) o->kpid = 1;
        } else if (NAME_IS(nd, prefix, np, "Expires")) {
            o->has_expires = 1;
            o->expires = val;
        } else if (NAME_IS(nd, prefix, np, "Policy")) {
            o->has_policy = 1;
            o->policy = val;
        } else {
            continue;
        }
        o->any = 1;
    }
}

/* Arrival window of the request, in ms since the epoch.  The log's date+time is the second
 * in which the response *finished* (§1.2 field 2) and time-taken runs from receipt to the
 * last byte (field 19), so receipt = finish - time-taken.  Whether the service truncates
 * or rounds to the second is not documented, so the earliest bound allows half a second of
 * rounding; the latest assumes truncation (the later of the two).  Expiry is judged at
 * receipt time (§5.4: a download started before expiry completes). */
static enum expiry judge_expiry(const cfs_record *r, int have_e, int64_t e, int have_g, int64_t g)
{
    if (r->ts == CFS_NO_TIME || r->ts < 0 || r->ts > INT64_C(100000000000000)) return EXP_NO_TIME;
    int64_t tt = r->time_taken_ms == CFS_NO_MILLIS ? 0 : (int64_t)r->time_taken_ms;
    int64_t earliest = r->ts * 1000 - 500 - tt;
    int64_t latest = r->ts * 1000 + 999 - tt;
    /* DateLessThan is strict: access is granted only while arrival < expiry.  So the URL
     * is certainly expired when even the earliest arrival is at or after the expiry, and
     * an expiry inside the window (e.g. Expires equal to the logged second) is "likely". */
    if (have_e && e * 1000 <= earliest) return EXP_PAST;
    if (have_e && e * 1000 <= latest) return EXP_SAME_SECOND;
    if (have_g && g * 1000 > latest) return EXP_NOT_YET;
    return EXP_FUTURE;
}

static void signer_facts(facts *f)
{
    const cfs_record *r = f->r;
    signer_set q, c;
    scan_signer(r->f[CFS_F_CS_URI_QUERY], '&', "", &q);
    scan_signer(r->f[CFS_F_CS_COOKIE], ';', "CloudFront-", &c);
    /* Which set CloudFront reads when both carry signer values is not documented [?]; the
     * query string is the more specific (per URL), so it wins when it signs: a Signature
     * or a Key-Pair-Id.  An Expires or Policy parameter alone (an application's own
     * "Expires" among them) does not hide a signer the cookies carry. */
    const signer_set *s = (q.sig || q.kpid) ? &q : c.any ? &c : q.any ? &q : NULL;
    f->src = s == NULL ? SRC_NONE : (s == &q ? SRC_QUERY : SRC_COOKIE);
    /* §5.4: MissingKey ("Missing Key-Pair-Id query parameter or cookie value") is answered
     * whenever the key id is absent or empty, whatever Signature, Expires or Policy say: a
     * Signature alone names no key to check it with. */
    f->signer = s != NULL && s->kpid;
    /* Whichever set CloudFront reads, it names a key: each set the line shows has one, and
     * a set the line does not show was not sent (every signer logged, the cookies by the
     * line or a config that held when it was written, not only a newer config's word). */
    f->keyed = (q.kpid || c.kpid) && (!q.any || q.kpid) && (!c.any || c.kpid) && f->signers_logged &&
               !(f->cookies_from_config && f->config_older);
    f->exp = EXP_ABSENT;
    if (s == NULL) return;

    int64_t e = 0, g = 0;
    int have_e = 0, have_g = 0;
    if (s->has_policy) {
        /* A custom policy wins over Expires: Expires is only the canned form. */
        unsigned char json[4096];
        long n = b64_policy_decode(s->policy, json, sizeof json);
        if (n <= 0 || !policy_epoch(json, (size_t)n, "\"DateLessThan\"", &e)) {
            f->exp = EXP_UNREADABLE;
            return;
        }
        have_e = 1;
        have_g = policy_epoch(json, (size_t)n, "\"DateGreaterThan\"", &g);
    } else if (s->has_expires) {
        if (!parse_epoch(s->expires, &e)) {
            f->exp = EXP_UNREADABLE;
            return;
        }
        have_e = 1;
    } else {
        return;
    }
    f->exp = judge_expiry(r, have_e, e, have_g, g);
}

/* ---- facts ---------------------------------------------------------------------------- */
/* sc-content-type, media type only (parameters after ';' or an encoded space ignored). */
static enum ct_kind classify_ct(cfs_span s)
{
    if (cfs_span_empty(s)) return CT_NONE;
    size_t n = 0;
    while (n < s.n && s.p[n] != ';' && s.p[n] != '%' && s.p[n] != ' ') n++;
    if (CFS_ASCII_IEQ(s.p, n, "text/html")) return CT_HTML;
    if (CFS_ASCII_IEQ(s.p, n, "text/xml")) return CT_TEXT_XML;
    if (CFS_ASCII_IEQ(s.p, n, "application/xml")) return CT_APP_XML;
    if (CFS_ASCII_IEQ(s.p, n, "application/json")) return CT_JSON;
    return CT_OTHER;
}

_Static_assert(CFS_R_COUNT <= 64, "facts.results holds a bit per result type");

/* Whether x-edge-result-type, x-edge-response-result-type or x-edge-detailed-result-type
 * is v: one bit test, since several rules ask it of every 403. */
static int has_result(const facts *f, cfs_result v) { return (f->results >> v) & 1u; }

static int is_s3(cfs_origin_kind k) { return k == CFS_ORIGIN_S3_REST || k == CFS_ORIGIN_S3_WEBSITE; }

static uint16_t pending_variant(const facts *f);
static int signer_page_refused(const facts *f);
static int signer_html_refused(const facts *f);
static int signer_page(const facts *f);
static int waf_excluded(const facts *f);

const cfs_dist_config *cfs_attr_config_of(const cfs_record *r, const cfs_config_set *set,
                                          int *via_host_header)
{
    if (via_host_header) *via_host_header = 0;
    if (set == NULL) return NULL;
    const cfs_dist_config *d = cfs_config_find(set, r->dist, r->f[CFS_F_CS_HOST]);
    if (d == NULL && !cfs_span_empty(r->f[CFS_F_HOST_HEADER])) {
        /* found only through the Host header: then that name is associated by construction */
        d = cfs_config_find(set, r->dist, r->f[CFS_F_HOST_HEADER]);
        if (via_host_header) *via_host_header = d != NULL;
    }
    return cfs_config_version_at(set, d, r->ts);
}

/* Facts from the distribution config; the line's own evidence (a logged cookie) is
 * applied after, in build_facts. */
static void config_facts(facts *f)
{
    const cfs_record *r = f->r;
    const cfs_config_set *set = f->ctx ? f->ctx->config : NULL;
    if (set == NULL) return;
    cfs_span host_header = r->f[CFS_F_HOST_HEADER];
    int via_host_header = 0;
    const cfs_dist_config *d = cfs_attr_config_of(r, set, &via_host_header);
    if (d == NULL) return;
    f->d = d;
    /* a config without WebACLId (not the CLI's output) says nothing of a web ACL */
    /* A distribution tenant may override or disable the multi-tenant distribution's web
     * ACL and geographic restrictions (CloudFront API reference, Customizations): for a
     * tenant's line the config says nothing of either. */
    f->tenant |= d->tenant_only;
    const int tenant = f->tenant;
    f->acl = d->web_acl_unknown || tenant                          ? T_UNKNOWN
             : (d->web_acl_id != NULL && d->web_acl_id[0] != '\0') ? T_YES
                                                                   : T_NO;
    f->geo_type = tenant ? -1 : d->geo_type;
    /* LastModifiedTime is when the config took its present form; a line that finished
     * before that second was served under an earlier one.  Lines without a time are not
     * judged older (nothing says they are). */
    f->config_older = d->last_modified != CFS_NO_TIME && r->ts != CFS_NO_TIME && r->ts < d->last_modified;

    /* The association test needs to know the distribution's own name or at least one alias,
     * else every Host would look foreign. */
    int domain_known = d->domain_name != NULL && d->domain_name[0] != '\0';
    int identity_known = domain_known || d->n_aliases > 0;
    f->identity_full = domain_known && d->aliases_known;
    /* §1.2 field 7: cs(Host) is always the distribution's own cloudfront.net name, so a
     * viewer that used that name (x-host-header equal to cs(Host)) is associated, whether
     * or not the config names it (get-distribution-config has no DomainName).  A tenant's
     * line (distribution-tenant-id, §1.2) answers to the tenant's domains and a staging
     * distribution's (primary-distribution-id, §3) to the primary's names, neither of them
     * in this config's Aliases: those lines are not alias-tested, nor any line of a
     * multi-tenant distribution (ConnectionMode tenant-only), whose logs may not carry the
     * tenant id (a legacy layout, or a v2 one without that field). */
    int alias_testable = !via_host_header && identity_known && !d->tenant_only &&
                         !cfs_span_empty(host_header) &&
                         !cfs_config_same_host(host_header, r->f[CFS_F_CS_HOST]) &&
                         cfs_span_empty(r->f[CFS_F_DISTRIBUTION_TENANT_ID]) &&
                         cfs_span_empty(r->f[CFS_F_PRIMARY_DISTRIBUTION_ID]);
    if (alias_testable) {
        f->host_associated = cfs_config_host_associated(d, host_header);
        f->host_unassociated = !f->host_associated;
    }
    /* found by x-host-header (cfs_attr_config_of): the host is one of the config's names */
    if (via_host_header) f->host_associated = 1;
    /* §1.2 field 13: cookies are logged only when Logging.IncludeCookies is on. */
    if (d->include_cookies == 1) {
        f->cookies_logged = T_YES;
        f->cookies_from_config = 1;
    } else if (d->include_cookies == 0) {
        f->cookies_logged = T_NO;
    }

    const cfs_cfg_behavior *b = cfs_config_behavior(d, r->f[CFS_F_CS_URI_STEM],
                                                    r->f[CFS_F_CACHE_BEHAVIOR_PATH_PATTERN]);
    if (b == NULL) return;
    f->b = b;
    f->vpp = b->viewer_protocol_policy;
    f->restricted = b->restricted ? T_YES : b->restricted_unknown ? T_UNKNOWN : T_NO;
    /* an origin group: the member that answered where the method and its FailoverCriteria
     * tell, else the members' common kind (config.h) */
    f->origin_kind = cfs_config_origin_kind(d, b, r->method);
    if (b->edge_functions & CFS_FN_VIEWER_REQUEST) f->viewer_fn = T_YES;
    else if (b->functions_known) f->viewer_fn = T_NO;
    if (f->config_older) f->viewer_fn = T_UNKNOWN;
}

/* §5.3: a terminating record whose httpRequest.requestId equals x-edge-request-id is what
 * WAF did with this request.  Only a BLOCK answered with WAF's default code (403) or a
 * custom 403 proves a WAF 403.  CAPTCHA and CHALLENGE answer the viewer 405 and 202 (AWS
 * WAF guide, "CAPTCHA and Challenge actions"), and a BLOCK with another custom
 * responseCodeSent answers that code: joined to a 403 line they contradict the line (a
 * request id reused, logs mixed up), so they prove nothing, are noted, and the line is
 * judged as if unjoined.  "No record, so WAF did not block it" needs the logs to cover the
 * line: its distribution among the records' httpSourceIds (the line's distribution id, or
 * the id of the config it matched) and its time inside their span (waf.h), and the line
 * must be one a record could be joined to: a line without x-edge-request-id (a layout
 * without it, or "-") is never covered, since the BLOCK record of that very request
 * could not be found. */
static void waf_join(const cfs_record *r, const cfs_attr_ctx *ctx, const cfs_dist_config *d, int *hit_out,
                     int *note, int *covered, uint32_t *rule)
{
    *hit_out = 0;
    *rule = 0;
    *note = -1;
    *covered = 0;
    if (ctx == NULL || ctx->waf == NULL) return;
    cfs_waf_hit hit;
    if (!cfs_span_empty(r->f[CFS_F_EDGE_REQUEST_ID]) &&
        cfs_waf_lookup(ctx->waf, r->f[CFS_F_EDGE_REQUEST_ID], &hit) && hit.action != CFS_WAF_ALLOW) {
        if (hit.action == CFS_WAF_BLOCK && (hit.code == 0 || hit.code == r->status)) {
            *hit_out = 1;
            *rule = hit.rule;
            *covered = 1;
            return;
        }
        *note = hit.action == CFS_WAF_BLOCK ? CFS_WAF_NOTE_CODE_NOT_403 : CFS_WAF_NOTE_CHALLENGE_ON_403;
    }
    *covered = !cfs_span_empty(r->f[CFS_F_EDGE_REQUEST_ID]) &&
               (cfs_waf_covers(ctx->waf, r->dist, r->ts) ||
                (d != NULL && d->id != NULL &&
                 cfs_waf_covers(ctx->waf, (cfs_span){d->id, strlen(d->id)}, r->ts)));
    if (!*covered && *note < 0) *note = CFS_WAF_NOTE_OUTSIDE_COVERAGE;
}

/* The longest cs-cookie a real-time log writes (§3). */
#define CFS_RT_COOKIE_MAX 800

static void build_facts(facts *f, const cfs_record *r, const cfs_attr_ctx *ctx)
{
    memset(f, 0, sizeof *f);
    f->r = r;
    f->ctx = ctx;
    f->acl = T_UNKNOWN;
    f->geo_type = -1;
    f->tenant = !cfs_span_empty(r->f[CFS_F_DISTRIBUTION_TENANT_ID]);
    f->restricted = T_UNKNOWN;
    f->vpp = CFS_VPP_UNKNOWN;
    f->origin_kind = CFS_ORIGIN_UNKNOWN;
    f->cookies_logged = T_UNKNOWN;
    f->viewer_fn = T_UNKNOWN;
    config_facts(f);
    /* Any cookie on the line shows cookie logging was on when it was written (§1.2 field
     * 13), whatever the (possibly newer) config says. */
    if (!cfs_span_empty(r->f[CFS_F_CS_COOKIE])) {
        f->cookies_logged = T_YES;
        f->cookies_from_config = 0;
    }
    /* A field the line's layout lacks (a legacy layout, a v2 field list, JSON without the
     * key: its span is NULL, where a logged empty value is "-") shows no absence. */
    if (r->f[CFS_F_CS_COOKIE].p == NULL) f->cookies_logged = T_UNKNOWN;
    /* A real-time log keeps the first 800 bytes of the cookies (§3): a field that long may
     * have lost a signer cookie, so it shows no absence.  The record does not say which kind
     * of log it came from, and a standard log's cookies that long are rare: either way it
     * is taken as cut. */
    f->signers_logged = f->cookies_logged == T_YES && r->f[CFS_F_CS_URI_QUERY].p != NULL &&
                        r->f[CFS_F_CS_COOKIE].n < CFS_RT_COOKIE_MAX;

    waf_join(r, ctx, f->d, &f->waf_hit, &f->waf_note, &f->waf_covered, &f->waf_rule);

    f->ct = classify_ct(r->f[CFS_F_SC_CONTENT_TYPE]);
    f->ct_logged = r->f[CFS_F_SC_CONTENT_TYPE].p != NULL;
    f->drt_logged = r->f[CFS_F_EDGE_DETAILED_RESULT_TYPE].p != NULL;
    f->plain = r->protocol == CFS_P_HTTP || r->protocol == CFS_P_WS;
    /* §4: field 14 is decided after the last byte, field 23 before responding; RT=Error with
     * RRT=Hit/Miss is a viewer that hung up on a cache/origin response.  Either one naming
     * the cache or the origin means the 403 came from there. */
    f->results = (UINT64_C(1) << r->result) | (UINT64_C(1) << r->response_result) |
                 (UINT64_C(1) << r->detailed_result);
    f->origin_path = has_result(f, CFS_R_HIT) || has_result(f, CFS_R_REFRESH_HIT) ||
                     has_result(f, CFS_R_MISS) || r->detailed_result == CFS_R_ORIGIN_SHIELD_HIT;
    int rt_ok = r->result == CFS_R_ERROR || r->result == CFS_R_NONE;
    int rrt_ok = r->response_result == CFS_R_ERROR || r->response_result == CFS_R_NONE;
    int drt_ok = r->detailed_result == CFS_R_ERROR || r->detailed_result == CFS_R_NONE ||
                 r->detailed_result == CFS_R_CLIENT_COMM_ERROR;
    f->edge_error = rt_ok && rrt_ok && drt_ok && !f->origin_path;
    /* v2 origin-fbl (first-byte latency of the origin fetch, §2): a value says CloudFront
     * talked to the origin for this request, '-' that it did not (an edge refusal or a
     * cached copy).  Legacy logs lack the field. */
    cfs_span fbl = r->f[CFS_F_ORIGIN_FBL];
    f->origin_contacted = fbl.p == NULL ? T_UNKNOWN : (cfs_span_empty(fbl) ? T_NO : T_YES);
    f->refusable = f->edge_error && f->origin_contacted != T_YES;
    /* the line's own latency: origin-fbl '-' beside a slow line does not make it an edge
     * refusal's (cfs_attr_decision_ms takes it as between the zones) */
    const uint32_t ms = cfs_attr_latency_ms(r);
    f->origin_timed = ms != CFS_NO_MILLIS && ms >= ORIGIN_MIN_MS;
    signer_facts(f);
    f->page = (uint8_t)signer_page(f);
    f->page_refused = (uint8_t)signer_page_refused(f);
    f->html_refused = (uint8_t)signer_html_refused(f);
    f->no_waf = (uint8_t)waf_excluded(f);
    f->pending = pending_variant(f);
}

/* CloudFront's own 403 bodies are its HTML error page and the signed-URL XML (§5.1); a
 * line without sc-content-type cannot contradict them. */
static int ct_cloudfront(const facts *f)
{
    return f->ct == CT_HTML || f->ct == CT_TEXT_XML || f->ct == CT_NONE;
}

/* An edge refusal the config proves (HTTPS Only, a restricted behavior, a refused
 * country: §5.5, §5.4, §5.2) answers before any fetch, with a body the reference does not
 * give for certain [?]; application/xml on such a line, S3's body by §5.1 [3p/?], is a fact
 * that disagrees, not one that outweighs the documented refusal.  Such a rule takes the
 * line one level less sure (xml_conflict, cfs_attribute_line_rules), and the S3 rules after
 * it in the order do not get it. */
static int refusal_xml(const facts *f) { return f->ct == CT_APP_XML; }

/* Signed-URL refusals are text/xml `<Error>` bodies (§5.4).  On a behavior the config says
 * is restricted a missing content type is accepted too; without that knowledge the XML
 * type is required. */
static int ct_signer(const facts *f)
{
    if (f->ct == CT_TEXT_XML) return 1;
    return f->ct == CT_NONE && f->restricted == T_YES;
}

/* The WAF logs cover the line (its distribution and time) and hold no block for it:
 * blocks are logged (§5.3), so WAF did not answer.  Logs that do not cover the line say
 * nothing about it, nor do they about a tenant's line: the tenant may have a web ACL of
 * its own (CloudFront API reference, Customizations), whose logs may not be among them. */
static int waf_logs_rule_out(const facts *f)
{
    return f->ctx != NULL && f->ctx->waf != NULL && !f->waf_hit && f->waf_covered && !f->tenant;
}

/* WAF did not answer: the config shows no web ACL (and held when the line was written), or
 * the WAF logs rule it out. */
static int waf_excluded(const facts *f)
{
    return (f->acl == T_NO && !f->config_older) || waf_logs_rule_out(f);
}

/* Whether the config's GeoRestriction (geo_type 1 or 2) refuses country c: listed in a
 * blacklist, missing from a whitelist. */
static int country_refused(const cfs_dist_config *d, int geo_type, cfs_span c)
{
    int listed = 0;
    for (size_t i = 0; i < d->n_geo_countries && !listed; i++)
        listed = cfs_ascii_ieq(c.p, c.n, d->geo_countries[i], strlen(d->geo_countries[i]));
    return geo_type == 2 ? listed : !listed;
}

/* Geographic restriction did not answer.  §4: a geo refusal logs ClientGeoBlocked as its
 * detailed result type, so another logged one says so, but not a viewer's hang-up
 * (ClientCommError, ClientHungUpRequest), which may be logged for a refusal the viewer did
 * not wait for; or a config in force when the line was written has no restriction, or one
 * that lets its v2 c-country through. */
static int geo_excluded(const facts *f)
{
    const cfs_record *r = f->r;
    const unsigned drt = r->detailed_result;
    if (drt != CFS_R_NONE && drt != CFS_R_CLIENT_GEO_BLOCKED && drt != CFS_R_CLIENT_COMM_ERROR &&
        drt != CFS_R_CLIENT_HUNG_UP_REQUEST)
        return 1;
    if (f->d == NULL || f->config_older) return 0;
    const cfs_span c = r->f[CFS_F_C_COUNTRY];
    return f->geo_type == 0 ||
           (f->geo_type > 0 && !cfs_span_empty(c) && !country_refused(f->d, f->geo_type, c));
}

/* §5.1, §5.4: a custom 403 page (CustomErrorResponses) replaces the body of every 403,
 * CloudFront's text/xml signed-URL refusal included, so on a behavior the config says
 * checks signers the content type cannot show the refusal.  An edge Error there that
 * nothing earlier in the table explains (no logged cause, host, protocol or method), that
 * geo restriction did not answer and that v2's origin-fbl does not give to the origin is
 * the signer check's, WAF's (unless excluded), or, when a signer may have passed the
 * check, the origin's.  On a line older than the config the verdicts rest on a config
 * that may not have held: the likely ones have twins (CONFIG_TWINS), and a live signer's
 * edge refusal is not named (pending_variant). */
static int signer_page(const facts *f)
{
    return cfs_config_403_page(f->d) && f->restricted == T_YES && f->refusable && !ct_signer(f) &&
           geo_excluded(f);
}

/* No signer that may pass the check: none on the line with every signer logged, or an
 * expired one.  On a restricted behavior such a request is refused before any fetch. */
static int signer_cannot_pass(const facts *f) { return f->signer ? f->exp == EXP_PAST : f->signers_logged; }

/* signer_page for a request whose signer cannot pass the check. */
static int signer_page_refused(const facts *f) { return f->page && signer_cannot_pass(f); }

/* The same refusal with CloudFront's HTML page and no custom page: on a behavior the
 * config says is restricted, no signer (every cookie logged) or an expired one, so the
 * signer check refuses the request unless something refused it first; geo restriction
 * did not, the origin was not asked and the line is not timed as the origin's.  The body
 * is not the text/xml refusal seen in the wild (§5.4 [3p]), so the signer cause is only
 * possible here, or undecided with WAF where a web ACL may have answered (§5.3). */
static int signer_html_refused(const facts *f)
{
    return f->restricted == T_YES && f->ct == CT_HTML && !cfs_config_403_page(f->d) && f->refusable &&
           !f->origin_timed && geo_excluded(f) && signer_cannot_pass(f);
}

/* The origin's kind for the verdicts made by timing (the latency test, the judging of the
 * held-back 403s) and by v2's origin-fbl: those have no _config_newer twins, so on a line
 * older than its config, where the config's origin may not have held, they judge the line
 * as without a config's origin kind (the log alone), as the twins lower the others. */
static cfs_origin_kind timed_kind(const facts *f)
{
    return f->config_older ? CFS_ORIGIN_UNKNOWN : f->origin_kind;
}

/* The origin's kind is unknown (no config, or an origin group of mixed kinds) and no
 * content type can show S3's XML refusal (§5.1): the line logs none, or a custom 403 page
 * replaces every 403's body.  An origin 403 may be S3's as well as a custom origin's. */
static int origin_kind_blind(const facts *f)
{
    const cfs_origin_kind k = timed_kind(f);
    return (!f->ct_logged || cfs_config_403_page(f->d)) && (k == CFS_ORIGIN_UNKNOWN || k == CFS_ORIGIN_MIXED);
}

/* The line lacks the fields that tell CloudFront's own refusals from a WAF block: without
 * x-edge-detailed-result-type geo restriction, disallowed methods and invalid requests are
 * plain Errors (§4: ClientGeoBlocked, InvalidRequest*), and without sc-content-type a
 * signed-URL refusal shows no text/xml (§5.4) unless the config says the behavior checks
 * no signers.  Layouts before December 2019 (19 to 26 fields) lack both. */
static int edge_blind(const facts *f) { return !f->drt_logged || (!f->ct_logged && f->restricted != T_NO); }

/* The vpp policy is unknown (no config, or no behavior matched). */
static int vpp_unknown(const facts *f) { return f->vpp == CFS_VPP_UNKNOWN; }

/* The provisional variant carries what the latency settlement needs to know (settle sees
 * only the attribution): which edge cause to name if the 403 was edge-generated, and which
 * origin kind if it came from the origin. */
static uint16_t pending_variant(const facts *f)
{
    int s3 = is_s3(timed_kind(f));
    if (vpp_unknown(f) && f->plain && f->ct == CT_HTML) return R_PENDING_HTTP;
    /* A signer that may have passed the check behind a custom page: an edge answer is the
     * check's refusal, a slow one the origin's.  _SIGNED: a live signer on the line, so an
     * edge refusal says it is invalid; _OPEN: an expiry in the request's second, no usable
     * time, or cookies that were not logged (signed cookies may have been sent), so which
     * of the signer causes is open; _WAF: a web ACL may have answered instead. */
    if (f->page && !f->page_refused) {
        if (!f->no_waf) return s3 ? R_PENDING_SIGNED_WAF_S3 : R_PENDING_SIGNED_WAF;
        int live = f->signer && !f->config_older &&
                   (f->exp == EXP_FUTURE || f->exp == EXP_ABSENT || f->exp == EXP_UNREADABLE ||
                    f->exp == EXP_NOT_YET);
        if (live) return s3 ? R_PENDING_SIGNED_S3 : R_PENDING_SIGNED;
        return s3 ? R_PENDING_SIGNED_OPEN_S3 : R_PENDING_SIGNED_OPEN;
    }
    /* _any: the origin's kind is unknown (origin_kind_blind).  _blind: the line cannot
     * name the edge's refusal (edge_blind), whatever excludes WAF; _nowaf: WAF excluded.
     * "No web ACL" is the config's word for now: a line older than the config may have met
     * one, so it is judged as if the config did not say (waf_excluded). */
    const int any = origin_kind_blind(f);
    if (edge_blind(f)) {
        if (f->no_waf)
            return any ? R_PENDING_BLIND_NOWAF_ANY : s3 ? R_PENDING_BLIND_NOWAF_S3 : R_PENDING_BLIND_NOWAF;
        return any ? R_PENDING_BLIND_ANY : s3 ? R_PENDING_BLIND_S3 : R_PENDING_BLIND;
    }
    if (f->acl == T_NO && !f->config_older)
        return any ? R_PENDING_NO_ACL_ANY : s3 ? R_PENDING_NO_ACL_S3 : R_PENDING_NO_ACL;
    if (waf_logs_rule_out(f))
        return any ? R_PENDING_WAF_UNLOGGED_ANY : s3 ? R_PENDING_WAF_UNLOGGED_S3 : R_PENDING_WAF_UNLOGGED;
    return any ? R_PENDING_ANY : s3 ? R_PENDING_S3 : R_PENDING;
}

/* ---- predicates ----------------------------------------------------------------------- */
static int p_not_403(const facts *f) { return f->r->status != 403; }
static int p_waf_block(const facts *f) { return f->waf_hit; }
static int p_drt_geo(const facts *f) { return f->r->detailed_result == CFS_R_CLIENT_GEO_BLOCKED; }

/* §2, §5.2: a v2 line's c-country (the viewer's country, from its IP) is one the config's
 * GeoRestriction refuses (listed in a blacklist, missing from a whitelist), the line is an
 * edge Error, and no x-edge-detailed-result-type is logged: had one been, ClientGeoBlocked
 * (R_DRT_GEO) or its absence would decide.  Legacy logs have no c-country, so their
 * verdicts cannot change. */
static int p_country_geo(const facts *f)
{
    const cfs_record *r = f->r;
    cfs_span c = r->f[CFS_F_C_COUNTRY];
    if (f->d == NULL || f->geo_type <= 0 || cfs_span_empty(c) || r->result != CFS_R_ERROR) return 0;
    /* the geo refusal is CloudFront's HTML page before any fetch (§5.1, §5.2): a line that
     * shows another body (where no custom 403 page sets every 403's), a logged origin fetch
     * or an origin's latency is not one */
    if (!(f->ct == CT_HTML || f->ct == CT_NONE || refusal_xml(f) || cfs_config_403_page(f->d)) ||
        !f->refusable || f->origin_timed)
        return 0;
    if (!cfs_span_empty(r->f[CFS_F_EDGE_DETAILED_RESULT_TYPE])) return 0;
    return country_refused(f->d, f->geo_type, c);
}
static int p_drt_method(const facts *f) { return f->r->detailed_result == CFS_R_INVALID_REQUEST_METHOD; }
static int p_drt_blocked(const facts *f) { return f->r->detailed_result == CFS_R_INVALID_REQUEST_BLOCKED; }
static int p_drt_invalid(const facts *f) { return f->r->detailed_result == CFS_R_INVALID_REQUEST; }
static int p_drt_header(const facts *f) { return f->r->detailed_result == CFS_R_INVALID_REQUEST_HEADER; }
static int p_drt_cert(const facts *f) { return f->r->detailed_result == CFS_R_INVALID_REQUEST_CERTIFICATE; }
static int p_rt_limit(const facts *f) { return has_result(f, CFS_R_LIMIT_EXCEEDED); }
static int p_rt_lambda_error(const facts *f) { return has_result(f, CFS_R_LAMBDA_EXECUTION_ERROR); }
static int p_drt_miss_generated(const facts *f) { return has_result(f, CFS_R_MISS_GENERATED_RESPONSE); }
/* The matched behavior lists an association with one of the CFS_FN_* bits. */
static int fn_assoc(const facts *f, uint8_t bits)
{
    return f->b != NULL && (f->b->edge_functions & bits) != 0;
}
/* The config shows the matched behavior runs no code at the edge at all.  Only a config
 * that held when the line was written can say so: on an older line a function may have
 * been associated then and removed since. */
static int fn_none(const facts *f)
{
    return f->b != NULL && f->b->functions_known && f->b->edge_functions == 0 && !f->config_older;
}
static int p_rt_function_generated(const facts *f)
{
    return has_result(f, CFS_R_FUNCTION_GENERATED_RESPONSE);
}
/* Only a viewer-request function can answer instead of forwarding the request. */
static int p_rt_function_generated_assoc(const facts *f)
{
    return p_rt_function_generated(f) && fn_assoc(f, CFS_FN_CF_VIEWER_REQUEST);
}
static int p_rt_function_generated_no_fn(const facts *f) { return p_rt_function_generated(f) && fn_none(f); }
static int p_rt_function_error(const facts *f)
{
    return has_result(f, CFS_R_FUNCTION_EXECUTION_ERROR) || has_result(f, CFS_R_FUNCTION_THROTTLED_ERROR);
}
/* Either CloudFront Function event can fail or be throttled. */
static int p_rt_function_error_assoc(const facts *f)
{
    return p_rt_function_error(f) && fn_assoc(f, CFS_FN_CF_VIEWER_REQUEST | CFS_FN_CF_VIEWER_RESPONSE);
}
static int p_rt_function_error_no_fn(const facts *f) { return p_rt_function_error(f) && fn_none(f); }
static int p_rt_lambda_generated(const facts *f) { return has_result(f, CFS_R_LAMBDA_GENERATED_RESPONSE); }
/* Lambda@Edge generates responses from the request events (viewer-request, and
 * origin-request, which is also logged as MissGeneratedResponse). */
static int p_rt_lambda_generated_assoc(const facts *f)
{
    return p_rt_lambda_generated(f) && fn_assoc(f, CFS_FN_LE_VIEWER_REQUEST | CFS_FN_LE_ORIGIN_REQUEST);
}
static int p_rt_lambda_generated_no_fn(const facts *f) { return p_rt_lambda_generated(f) && fn_none(f); }

static int host_not_associated(const facts *f)
{
    return f->host_unassociated && f->refusable && !f->origin_timed && (f->ct == CT_HTML || f->ct == CT_NONE);
}
static int p_host_not_associated(const facts *f) { return host_not_associated(f) && f->identity_full; }
static int p_host_not_associated_partial(const facts *f)
{
    return host_not_associated(f) && !f->identity_full;
}

static int p_https_only_http(const facts *f)
{
    return f->vpp == CFS_VPP_HTTPS_ONLY && f->plain && !f->origin_path && f->origin_contacted != T_YES &&
           (ct_cloudfront(f) || refusal_xml(f));
}

static int p_redirect_http10(const facts *f)
{
    const cfs_record *r = f->r;
    int version_known = r->http_major != 0 || r->http_minor != 0;
    int below_11 = r->http_major == 0 || (r->http_major == 1 && r->http_minor == 0);
    int non_get = r->method != CFS_M_GET && r->method != CFS_M_HEAD && r->method != CFS_M_NONE;
    return f->vpp == CFS_VPP_REDIRECT_TO_HTTPS && f->plain && non_get && version_known && below_11 &&
           !f->origin_path && f->origin_contacted != T_YES && (ct_cloudfront(f) || refusal_xml(f));
}

static int behavior_refuses_method(const facts *f)
{
    const cfs_record *r = f->r;
    if (f->b == NULL || f->b->allowed_methods == 0 || r->method == CFS_M_NONE) return 0;
    if (r->method >= 32) return 0;
    return (f->b->allowed_methods & (1u << r->method)) == 0 && !f->origin_path &&
           f->origin_contacted != T_YES && (f->ct == CT_HTML || f->ct == CT_NONE);
}
static int p_behavior_method(const facts *f)
{
    return behavior_refuses_method(f) && f->r->detailed_result == CFS_R_NONE;
}
static int p_behavior_method_drt_error(const facts *f)
{
    return behavior_refuses_method(f) && f->r->detailed_result == CFS_R_ERROR;
}

static int signed_missing_restricted(const facts *f)
{
    return f->restricted == T_YES && !f->signer && f->refusable && (ct_signer(f) || refusal_xml(f));
}
static int p_signed_missing_restricted(const facts *f)
{
    return signed_missing_restricted(f) && f->signers_logged;
}
static int p_signed_missing_restricted_unlogged(const facts *f)
{
    return signed_missing_restricted(f) && !f->signers_logged;
}
/* With a config that says the behavior is not restricted, CloudFront does not check
 * signatures there at all, so no signed-URL cause applies (T_NO blocks every rule below).
 * Without a config a line timed as the origin's is not the check's refusal: a text/xml
 * body there may be the origin's own (§5.1 [?]). */
static int signer_rule_base(const facts *f)
{
    return f->restricted != T_NO && f->signer && f->refusable &&
           !(f->restricted == T_UNKNOWN && f->origin_timed);
}
static int p_signed_query_expired(const facts *f)
{
    return signer_rule_base(f) && f->src == SRC_QUERY && f->exp == EXP_PAST &&
           (f->ct == CT_TEXT_XML || f->ct == CT_NONE || (f->restricted == T_YES && refusal_xml(f)));
}
static int p_signed_cookie_expired(const facts *f)
{
    return signer_rule_base(f) && f->src == SRC_COOKIE && f->exp == EXP_PAST &&
           (f->ct == CT_TEXT_XML || f->ct == CT_NONE || (f->restricted == T_YES && refusal_xml(f)));
}
static int p_signed_same_second(const facts *f)
{
    return signer_rule_base(f) && f->exp == EXP_SAME_SECOND && (f->ct == CT_TEXT_XML || f->ct == CT_NONE);
}

/* Behind a custom 403 page, refused before any fetch (signer_page_refused): no signer, or
 * an expired one; WAF excluded or not. */
static int p_signed_page_missing(const facts *f) { return f->page_refused && !f->signer && f->no_waf; }
static int p_signed_page_expired(const facts *f) { return f->page_refused && f->signer && f->no_waf; }
static int p_signed_page_missing_or_waf(const facts *f) { return f->page_refused && !f->signer; }
static int p_signed_page_expired_or_waf(const facts *f) { return f->page_refused && f->signer; }
static int p_signed_html_missing(const facts *f) { return f->html_refused && !f->signer && f->no_waf; }
static int p_signed_html_expired(const facts *f) { return f->html_refused && f->signer && f->no_waf; }
static int p_signed_html_missing_or_waf(const facts *f) { return f->html_refused && !f->signer; }
static int p_signed_html_expired_or_waf(const facts *f) { return f->html_refused && f->signer; }

static int stem_is_root(const facts *f) { return CFS_SPAN_IS(f->r->f[CFS_F_CS_URI_STEM], "/"); }
static int p_s3_root(const facts *f)
{
    const char *dro = f->d ? f->d->default_root_object : NULL;
    return f->ct == CT_APP_XML && f->origin_kind == CFS_ORIGIN_S3_REST && stem_is_root(f) &&
           (dro == NULL || dro[0] == '\0');
}
static int p_s3_trailing_slash(const facts *f)
{
    cfs_span s = f->r->f[CFS_F_CS_URI_STEM];
    return f->ct == CT_APP_XML && f->origin_kind == CFS_ORIGIN_S3_REST && s.n > 1 && s.p[s.n - 1] == '/';
}
static int p_s3_xml(const facts *f) { return f->ct == CT_APP_XML && is_s3(f->origin_kind); }
/* An origin group of mixed kinds says no more than no config. */
static int p_s3_xml_unconfigured(const facts *f)
{
    return f->ct == CT_APP_XML &&
           (f->origin_kind == CFS_ORIGIN_UNKNOWN || f->origin_kind == CFS_ORIGIN_MIXED);
}
static int p_custom_xml(const facts *f) { return f->ct == CT_APP_XML && f->origin_kind == CFS_ORIGIN_CUSTOM; }
static int p_cloudfront_xml(const facts *f)
{
    return f->ct == CT_APP_XML && f->origin_kind == CFS_ORIGIN_CLOUDFRONT;
}

static int p_signed_not_yet_valid(const facts *f)
{
    return signer_rule_base(f) && f->exp == EXP_NOT_YET && ct_signer(f);
}
static int p_signed_refused(const facts *f)
{
    return signer_rule_base(f) && ct_signer(f) &&
           (f->exp == EXP_FUTURE || f->exp == EXP_ABSENT || f->exp == EXP_UNREADABLE);
}
static int p_signed_time_unknown(const facts *f)
{
    return signer_rule_base(f) && ct_signer(f) && f->exp == EXP_NO_TIME;
}
static int signed_missing_xml(const facts *f)
{
    return f->restricted == T_UNKNOWN && !f->signer && f->refusable && !f->origin_timed &&
           f->ct == CT_TEXT_XML;
}
static int p_signed_missing_xml(const facts *f) { return signed_missing_xml(f) && f->signers_logged; }
static int p_signed_missing_xml_unlogged(const facts *f)
{
    return signed_missing_xml(f) && !f->signers_logged;
}

static int p_origin_fbl(const facts *f) { return f->origin_contacted == T_YES && f->edge_error; }
static int p_origin_fbl_s3(const facts *f) { return p_origin_fbl(f) && is_s3(timed_kind(f)); }
static int p_origin_fbl_any(const facts *f) { return p_origin_fbl(f) && origin_kind_blind(f); }
static int p_origin_result_s3(const facts *f) { return f->origin_path && is_s3(f->origin_kind); }
static int p_origin_result_cloudfront(const facts *f)
{
    return f->origin_path && f->origin_kind == CFS_ORIGIN_CLOUDFRONT;
}
static int p_origin_result_any(const facts *f) { return f->origin_path && origin_kind_blind(f); }
static int p_origin_result(const facts *f) { return f->origin_path; }
/* A web ACL may have answered: the config shows one or cannot say (no config), and the
 * WAF logs do not rule it out (WAF logs that do not cover the line say nothing of it). */
static int waf_may_answer(const facts *f)
{
    return (f->acl != T_NO || f->config_older) && !waf_logs_rule_out(f);
}
/* A body CloudFront does not write for this line: JSON, plain text and other types, and
 * text/xml on a behavior a config in force says checks no signers (CloudFront's text/xml is
 * the signer check's refusal, §5.4; without signers it is the origin's or a WAF custom
 * response, review of 2026-12-08, where it was taken for WAF's page). */
static int foreign_body(const facts *f)
{
    return f->ct == CT_JSON || f->ct == CT_OTHER ||
           (f->ct == CT_TEXT_XML && f->restricted == T_NO && !f->config_older);
}
/* With a custom 403 page every 403 carries the page's type, so a non-CloudFront type says
 * nothing about WAF custom responses either: such lines take the body rules directly
 * (lowered to possible in cfs_attribute) instead of waiting for the latency test, whose
 * settlement would restore their usual evidence. */
static int pending_body(const facts *f)
{
    return foreign_body(f) && f->edge_error && waf_may_answer(f) && !cfs_config_403_page(f->d);
}
static int p_pending_body_s3(const facts *f) { return pending_body(f) && is_s3(timed_kind(f)); }
static int p_pending_body(const facts *f) { return pending_body(f); }
static int p_body_s3(const facts *f) { return foreign_body(f) && is_s3(f->origin_kind); }
static int p_body(const facts *f) { return foreign_body(f); }

/* The provisional variants' rows (pending_variant names the one a line gets, cfs_attribute_line_rules
 * matches it without a call): a marker, never called. */
static int p_variant(const facts *f)
{
    (void)f;
    return 0;
}
static int p_always(const facts *f)
{
    (void)f;
    return 1;
}

/* ---- the rule table ----------------------------------------------------------------- */
#define C(x) CFS_CAUSE_##x
#define E(x) CFS_EV_##x
static const attr_rule rules[R_COUNT] = {
    /* Only 403s are attributed. */
    [R_NOT_403] = {"not_403", C(NONE), E(NONE), K_MATCH, p_not_403},

    /* §5.3: WAF evaluates the request before CloudFront's cache and everything after it; a
     * terminating BLOCK record with a 403 response (default or custom) whose
     * httpRequest.requestId equals x-edge-request-id is the WAF's own statement that it
     * answered this request with this 403 (waf_join). */
    [R_WAF_LOG_BLOCK] = {"waf_log_block", C(WAF_BLOCK), E(CONFIRMED), K_MATCH, p_waf_block},

    /* §4, §5.2: DRT ClientGeoBlocked is logged only for geo restriction [doc S1, KC S5]. */
    [R_DRT_GEO] = {"drt_client_geo_blocked", C(GEO_RESTRICTION), E(CONFIRMED), K_MATCH, p_drt_geo},
    /* §2, §5.2: likely, not confirmed: CloudFront's own country lookup for the block is not
     * documented to be the one that fills c-country [?]. */
    [R_COUNTRY_GEO] = {"c_country_geo_restricted", C(GEO_RESTRICTION), E(LIKELY), K_MATCH, p_country_geo},
    /* §4: InvalidRequestMethod = method not allowed by the cache behavior [doc S1; real
     * line POST 403 text/html 1053]. */
    [R_DRT_METHOD] = {"drt_invalid_request_method", C(METHOD_NOT_ALLOWED), E(CONFIRMED), K_MATCH,
                      p_drt_method},
    /* §4: the documented InvalidRequest* detailed types are the edge's own refusal of a bad
     * request [doc S1]; the cause is edge_other even though AWS gives no status mapping. */
    [R_DRT_BLOCKED] = {"drt_invalid_request_blocked", C(EDGE_OTHER), E(CONFIRMED), K_MATCH, p_drt_blocked},
    [R_DRT_INVALID] = {"drt_invalid_request", C(EDGE_OTHER), E(CONFIRMED), K_MATCH, p_drt_invalid},
    [R_DRT_HEADER] = {"drt_invalid_request_header", C(EDGE_OTHER), E(CONFIRMED), K_MATCH, p_drt_header},
    [R_DRT_CERT] = {"drt_invalid_request_certificate", C(EDGE_OTHER), E(CONFIRMED), K_MATCH, p_drt_cert},
    /* §4: LimitExceeded = denied because a CloudFront quota was exceeded [doc S1]. */
    [R_RT_LIMIT] = {"rt_limit_exceeded", C(EDGE_OTHER), E(CONFIRMED), K_MATCH, p_rt_limit},
    /* Code at the edge made or broke the response: edge_function (issue 10), the user's
     * own function to look at rather than a CloudFront setting.
     * §4: LambdaExecutionError = Lambda@Edge did not complete (malformed association,
     * timeout, ...) [doc S1]: the function broke the response.  Documented, so the field
     * proves it, whatever a config says about associations (a config without one is
     * newer than the line or matched another behavior; the field still names the cause). */
    [R_RT_LAMBDA_ERROR] = {"rt_lambda_execution_error", C(EDGE_FUNCTION), E(CONFIRMED), K_MATCH,
                           p_rt_lambda_error},
    /* §4: MissGeneratedResponse = an origin-request Lambda@Edge made the response [doc S1]:
     * documented as above. */
    [R_DRT_MISS_GENERATED] = {"drt_miss_generated_response", C(EDGE_FUNCTION), E(CONFIRMED), K_MATCH,
                              p_drt_miss_generated},
    /* §4: FunctionGeneratedResponse (a CloudFront Function answered instead of forwarding),
     * FunctionExecutionError / FunctionThrottledError (it failed or was throttled) and
     * LambdaGeneratedResponse (a Lambda@Edge answered) are seen in the wild but not in the
     * AWS list [3p], so the field alone gives likely.  The config showing a matching
     * association on the matched behavior (a viewer-request CloudFront Function for a
     * generated response, any CloudFront Function for an error, a request-event Lambda@Edge
     * for a Lambda response) corroborates the field: confirmed.  The config showing the
     * behavior has no association at all contradicts it (another behavior matched by a
     * path pattern newer than the line, or the field means something else): possible. */
    [R_RT_FUNCTION_GENERATED_ASSOC] = {"rt_function_generated_response_associated", C(EDGE_FUNCTION),
                                       E(CONFIRMED), K_MATCH, p_rt_function_generated_assoc},
    [R_RT_FUNCTION_GENERATED_NO_FN] = {"rt_function_generated_response_no_function", C(EDGE_FUNCTION),
                                       E(POSSIBLE), K_MATCH, p_rt_function_generated_no_fn},
    [R_RT_FUNCTION_GENERATED] = {"rt_function_generated_response", C(EDGE_FUNCTION), E(LIKELY), K_MATCH,
                                 p_rt_function_generated},
    [R_RT_FUNCTION_ERROR_ASSOC] = {"rt_function_error_associated", C(EDGE_FUNCTION), E(CONFIRMED), K_MATCH,
                                   p_rt_function_error_assoc},
    [R_RT_FUNCTION_ERROR_NO_FN] = {"rt_function_error_no_function", C(EDGE_FUNCTION), E(POSSIBLE), K_MATCH,
                                   p_rt_function_error_no_fn},
    [R_RT_FUNCTION_ERROR] = {"rt_function_error", C(EDGE_FUNCTION), E(LIKELY), K_MATCH, p_rt_function_error},
    [R_RT_LAMBDA_GENERATED_ASSOC] = {"rt_lambda_generated_response_associated", C(EDGE_FUNCTION),
                                     E(CONFIRMED), K_MATCH, p_rt_lambda_generated_assoc},
    [R_RT_LAMBDA_GENERATED_NO_FN] = {"rt_lambda_generated_response_no_function", C(EDGE_FUNCTION),
                                     E(POSSIBLE), K_MATCH, p_rt_lambda_generated_no_fn},
    [R_RT_LAMBDA_GENERATED] = {"rt_lambda_generated_response", C(EDGE_FUNCTION), E(LIKELY), K_MATCH,
                               p_rt_lambda_generated},

    /* §5.5: a Host that is not the distribution's name or an alias gets CloudFront's "Bad
     * Request" 403 page.  It comes first among the config rules because CloudFront picks
     * the distribution (and so every later setting) by that name.  Only likely: how such
     * requests are logged is undocumented and the config may be newer than the log.  The
     * Host is compared only where it differs from cs(Host) (the distribution's own name,
     * §1.2 field 7) and the line is no tenant's or staging distribution's.  Likely needs
     * the whole identity, DomainName and Aliases (get-distribution); a config without
     * DomainName (get-distribution-config) leaves only possible. */
    [R_HOST_NOT_ASSOCIATED] = {"host_not_associated", C(CNAME_NOT_ASSOCIATED), E(LIKELY), K_MATCH,
                               p_host_not_associated},
    [R_HOST_NOT_ASSOCIATED_PARTIAL] = {"host_not_associated_partial_identity", C(CNAME_NOT_ASSOCIATED),
                                       E(POSSIBLE), K_MATCH, p_host_not_associated_partial},
    /* §5.5: HTTPS Only + an http request => 403 [doc S2 using-https-viewers]; CloudFront
     * refuses it before the cache, so a CloudFront body (or none) and no cache/origin
     * result type is all the line must agree with. */
    [R_HTTPS_ONLY_HTTP] = {"https_only_behavior_http", C(HTTPS_REQUIRED), E(CONFIRMED), K_MATCH,
                           p_https_only_http},
    /* §5.1/§5.5: Redirect HTTP to HTTPS answers 301/307, except a non-GET/HEAD request over
     * HTTP/1.0 (or 0.9), which cannot be redirected and gets 403 [doc S2]. */
    [R_REDIRECT_HTTP10_NON_GET] = {"redirect_behavior_http10_non_get", C(HTTPS_REQUIRED), E(CONFIRMED),
                                   K_MATCH, p_redirect_http10},
    /* §4: a method outside the behavior's AllowedMethods is refused at the edge.  Logs that
     * predate the detailed-result-type field cannot say so, and then the config is the
     * evidence (confirmed; likely unless a web ACL and a geo restriction are both ruled
     * out: the reference gives no order for the checks, so either may have answered first,
     * cfs_attribute_line_rules).  When the field is there and says plain Error, CloudFront
     * did not log InvalidRequestMethod: the config may be newer than the log, or WAF or
     * another check answered first: possible. */
    [R_BEHAVIOR_METHOD] = {"behavior_method_not_allowed", C(METHOD_NOT_ALLOWED), E(CONFIRMED), K_MATCH,
                           p_behavior_method},
    [R_BEHAVIOR_METHOD_DRT_ERROR] = {"behavior_method_not_allowed_drt_error", C(METHOD_NOT_ALLOWED),
                                     E(POSSIBLE), K_MATCH, p_behavior_method_drt_error},

    /* §5.4 (KC checklist 1-2): a restricted behavior needs a signer; without a non-empty
     * Key-Pair-Id in the query or cookies CloudFront answers MissingKey in text/xml.  The
     * cookies are evidence only when they were logged (§1.2 field 13: '-' also when
     * Logging.IncludeCookies is off): confirmed when the config says they are logged or
     * the line shows some cookie, and the layout has both cs(Cookie) and cs-uri-query;
     * otherwise the viewer may have sent a signer the log does not show, refused for
     * another reason (expired, unknown key), so only possible. */
    [R_SIGNED_MISSING_RESTRICTED] = {"signed_missing_on_restricted_behavior", C(SIGNED_URL_MISSING),
                                     E(CONFIRMED), K_MATCH, p_signed_missing_restricted},
    [R_SIGNED_MISSING_RESTRICTED_UNLOGGED] = {"signed_missing_on_restricted_behavior_cookies_unlogged",
                                              C(SIGNED_URL_MISSING), E(POSSIBLE), K_MATCH,
                                              p_signed_missing_restricted_unlogged},
    /* §5.4: Expires (canned) or the policy's DateLessThan (custom) before the request
     * arrived => CloudFront refuses it; the arithmetic is in judge_expiry().  An expired
     * signer explains the refusal whatever else might be wrong with it, so confirmed. */
    [R_SIGNED_QUERY_EXPIRED] = {"signed_query_expired", C(SIGNED_URL_EXPIRED), E(CONFIRMED), K_MATCH,
                                p_signed_query_expired},
    [R_SIGNED_COOKIE_EXPIRED] = {"signed_cookie_expired", C(SIGNED_URL_EXPIRED), E(CONFIRMED), K_MATCH,
                                 p_signed_cookie_expired},
    /* Expiry inside the second the request arrived in (e.g. Expires equal to the logged
     * time): DateLessThan is strict so it is most probably expired, but the log's
     * one-second resolution cannot prove it. */
    [R_SIGNED_SAME_SECOND] = {"signed_expiry_same_second", C(SIGNED_URL_EXPIRED), E(LIKELY), K_MATCH,
                              p_signed_same_second},
    /* §5.1, §5.4 behind a custom 403 page (signer_page): the page hides the text/xml body
     * that made the rules above confirmed.  What is left to rely on is the config (the
     * behavior checks signers; the page) and the line (no signer, or an expired one), so
     * likely, and only where WAF cannot have answered instead; otherwise WAF and the signer
     * check are the candidates (a signer refusal happens before any fetch, so no origin). */
    [R_SIGNED_PAGE_MISSING] = {"signed_missing_behind_custom_page", C(SIGNED_URL_MISSING), E(LIKELY), K_MATCH,
                               p_signed_page_missing},
    [R_SIGNED_PAGE_EXPIRED] = {"signed_expired_behind_custom_page", C(SIGNED_URL_EXPIRED), E(LIKELY), K_MATCH,
                               p_signed_page_expired},
    [R_SIGNED_PAGE_MISSING_OR_WAF] = {"signed_missing_or_waf_behind_custom_page", C(UNKNOWN), E(POSSIBLE),
                                      K_MATCH, p_signed_page_missing_or_waf},
    [R_SIGNED_PAGE_EXPIRED_OR_WAF] = {"signed_expired_or_waf_behind_custom_page", C(UNKNOWN), E(POSSIBLE),
                                      K_MATCH, p_signed_page_expired_or_waf},
    /* §5.4 with an HTML body and no custom page (signer_html_refused): the config and the
     * line say the check refuses the request, the body is not its text/xml [3p]: possible,
     * or undecided with WAF where a web ACL may have answered first. */
    [R_SIGNED_HTML_MISSING] = {"signed_missing_html_body", C(SIGNED_URL_MISSING), E(POSSIBLE), K_MATCH,
                               p_signed_html_missing},
    [R_SIGNED_HTML_EXPIRED] = {"signed_expired_html_body", C(SIGNED_URL_EXPIRED), E(POSSIBLE), K_MATCH,
                               p_signed_html_expired},
    [R_SIGNED_HTML_MISSING_OR_WAF] = {"signed_missing_or_waf_html_body", C(UNKNOWN), E(POSSIBLE), K_MATCH,
                                      p_signed_html_missing_or_waf},
    [R_SIGNED_HTML_EXPIRED_OR_WAF] = {"signed_expired_or_waf_html_body", C(UNKNOWN), E(POSSIBLE), K_MATCH,
                                      p_signed_html_expired_or_waf},
    /* A signer that may have passed the check (one on the line, not expired; or cookies
     * not logged): the latency test tells the check's refusal (edge-fast) from the
     * origin's answer.  _open: which signer cause is open (expiry in the request's second,
     * no usable time, cookies not logged); _waf: WAF may have answered instead. */
    [R_PENDING_SIGNED_S3] = {"latency_pending_signed_custom_page_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                             p_variant},
    [R_PENDING_SIGNED] = {"latency_pending_signed_custom_page", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                          p_variant},
    [R_PENDING_SIGNED_OPEN_S3] = {"latency_pending_signed_open_custom_page_s3", C(UNKNOWN), E(POSSIBLE),
                                  K_PROVISIONAL, p_variant},
    [R_PENDING_SIGNED_OPEN] = {"latency_pending_signed_open_custom_page", C(UNKNOWN), E(POSSIBLE),
                               K_PROVISIONAL, p_variant},
    [R_PENDING_SIGNED_WAF_S3] = {"latency_pending_signed_or_waf_custom_page_s3", C(UNKNOWN), E(POSSIBLE),
                                 K_PROVISIONAL, p_variant},
    [R_PENDING_SIGNED_WAF] = {"latency_pending_signed_or_waf_custom_page", C(UNKNOWN), E(POSSIBLE),
                              K_PROVISIONAL, p_variant},

    /* §5.1: application/xml is S3's AccessDenied body; CloudFront's own bodies are text/html
     * or text/xml.  That holds for cached 403s served from the edge too (RT Hit, ~1 ms):
     * they are origin 403s whatever their latency.  With the config naming an S3 origin the
     * cause is confirmed and the §5.6 checklist gives the hint: the root without a Default
     * Root Object (item 6), a trailing '/' on a REST endpoint (no index documents there),
     * otherwise a missing object without s3:ListBucket (item 5) or a policy refusal. */
    [R_S3_ROOT] = {"s3_root_without_default_object", C(ORIGIN_S3), E(CONFIRMED), K_MATCH, p_s3_root},
    [R_S3_TRAILING_SLASH] = {"s3_rest_trailing_slash", C(ORIGIN_S3), E(CONFIRMED), K_MATCH,
                             p_s3_trailing_slash},
    [R_S3_XML] = {"s3_xml_body", C(ORIGIN_S3), E(CONFIRMED), K_MATCH, p_s3_xml},
    [R_S3_XML_UNCONFIGURED] = {"s3_xml_body_unconfigured", C(ORIGIN_S3), E(LIKELY), K_MATCH,
                               p_s3_xml_unconfigured},
    /* The config says the origin is custom: it answered XML of its own (it may front S3). */
    [R_CUSTOM_XML] = {"custom_origin_xml_body", C(ORIGIN_CUSTOM), E(LIKELY), K_MATCH, p_custom_xml},
    /* The origin is another distribution (a cloudfront.net name, §5.1 stacked
     * distributions): its 403 (its own edge's or its origin's) reaches us as an origin's.
     * origin_custom, named apart so the report says where to look. */
    [R_CLOUDFRONT_XML] = {"cloudfront_origin_xml_body", C(ORIGIN_CUSTOM), E(LIKELY), K_MATCH,
                          p_cloudfront_xml},

    /* §5.4: a custom policy whose DateGreaterThan lies after the request is refused like an
     * invalid one (KC item 4); named apart because the fix is the signer's clock. */
    [R_SIGNED_NOT_YET_VALID] = {"signed_policy_not_yet_valid", C(SIGNED_URL_INVALID), E(LIKELY), K_MATCH,
                                p_signed_not_yet_valid},
    /* §5.4: a signer present and not expired, yet a signed-URL XML refusal: unknown key,
     * bad signature, malformed policy, or params added after signing (KC items 3, 5). */
    [R_SIGNED_REFUSED] = {"signed_present_refused", C(SIGNED_URL_INVALID), E(LIKELY), K_MATCH,
                          p_signed_refused},
    /* The line's time is unusable, so expired and invalid cannot be told apart. */
    [R_SIGNED_TIME_UNKNOWN] = {"signed_present_time_unknown", C(SIGNED_URL_INVALID), E(POSSIBLE), K_MATCH,
                               p_signed_time_unknown},
    /* §5.1/§5.4: without the config, CloudFront's text/xml refusal and no signer at all
     * is the MissingKey answer; likely, since the behavior's restriction is not known. */
    [R_SIGNED_MISSING_XML] = {"signed_missing_xml_error", C(SIGNED_URL_MISSING), E(LIKELY), K_MATCH,
                              p_signed_missing_xml},
    /* The same with cookies that may not have been logged (as for the restricted rule). */
    [R_SIGNED_MISSING_XML_UNLOGGED] = {"signed_missing_xml_error_cookies_unlogged", C(SIGNED_URL_MISSING),
                                       E(POSSIBLE), K_MATCH, p_signed_missing_xml_unlogged},

    /* §2 (v2 only): origin-fbl holds the origin's first-byte latency when CloudFront fetched
     * from the origin for this request.  An `Error` 403 with it set is the origin's answer;
     * an edge refusal (WAF, geo, signed URLs, ...) happens before any fetch.  The field
     * proves it, hence confirmed. */
    [R_ORIGIN_FBL_S3] = {"origin_first_byte_logged_s3", C(ORIGIN_S3), E(CONFIRMED), K_MATCH, p_origin_fbl_s3},
    /* The origin answered, but neither the config nor a content type says which kind of
     * origin (origin_kind_blind): S3 or custom. */
    [R_ORIGIN_FBL_ANY] = {"origin_first_byte_logged_unknown_kind", C(UNKNOWN), E(POSSIBLE), K_MATCH,
                          p_origin_fbl_any},
    [R_ORIGIN_FBL] = {"origin_first_byte_logged", C(ORIGIN_CUSTOM), E(CONFIRMED), K_MATCH, p_origin_fbl},
    /* §4: a 403 whose result type is Hit/RefreshHit/Miss (or OriginShieldHit) came from the
     * cache or the origin, not from an edge refusal. */
    [R_ORIGIN_RESULT_S3] = {"origin_result_type_s3", C(ORIGIN_S3), E(LIKELY), K_MATCH, p_origin_result_s3},
    [R_ORIGIN_RESULT_CLOUDFRONT] = {"origin_result_type_cloudfront", C(ORIGIN_CUSTOM), E(LIKELY), K_MATCH,
                                    p_origin_result_cloudfront},
    /* The same where neither the config nor a content type says which kind of origin: S3
     * or custom, undecided (origin_kind_blind). */
    [R_ORIGIN_RESULT_ANY] = {"origin_result_type_unknown_kind", C(UNKNOWN), E(POSSIBLE), K_MATCH,
                             p_origin_result_any},
    [R_ORIGIN_RESULT] = {"origin_result_type", C(ORIGIN_CUSTOM), E(LIKELY), K_MATCH, p_origin_result},
    /* §5.3: a WAF rule's custom response carries a body of the user's choosing (JSON, plain
     * text, ...) and is answered at the edge.  So where a web ACL may be attached, an `Error`
     * 403 with such a body waits for the latency test: edge-fast, it may be WAF's as well as
     * a fast origin's (latency_edge_custom_body, possible); otherwise it is the origin's as
     * below. */
    [R_PENDING_BODY_S3] = {"latency_pending_body_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                           p_pending_body_s3},
    [R_PENDING_BODY] = {"latency_pending_body", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_pending_body},
    /* §5.1: a body type CloudFront never generates (JSON, plain text, ...) is the origin's;
     * likely, because a custom error page could have any type. */
    [R_BODY_S3] = {"non_cloudfront_body_s3", C(ORIGIN_S3), E(LIKELY), K_MATCH, p_body_s3},
    [R_BODY] = {"non_cloudfront_body", C(ORIGIN_CUSTOM), E(LIKELY), K_MATCH, p_body},

    /* What is left is an `Error` 403 with CloudFront's HTML page, no type, or text/xml no
     * signer rule named (a behavior that checks no signer; a WAF custom response may carry
     * any type): WAF blocks,
     * other edge refusals and origin HTML bodies all look like this (§5.1, S4: CloudFront
     * cannot tell a WAF 403 from an origin one).  Only time-taken separates edge-generated
     * from origin-fetched, against the distribution's own origin fetch times, which are
     * known after the pass: these stay provisional (cause unknown, possible) until
     * cfs_attr_settle().  The variant records what the settlement needs:
     *   _http: plain http, text/html and the behavior's protocol policy unknown: if
     *          edge-generated, most probably the HTTPS-only page (§5.5);
     *   (none): web ACL present or unknown: edge => WAF block, the common edge 403;
     *   _waf_unlogged: WAF logs were given, cover the line (waf_join) and hold no block
     *          record for this request; outside their coverage the plain variant applies;
     *   _no_acl: the config shows no web ACL, so edge => some other edge refusal;
     *   _s3: the behavior's origin is S3 (website endpoints answer HTML). */
    [R_PENDING_HTTP] = {"http_403_error_page_over_http", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING] = {"latency_pending", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING_S3] = {"latency_pending_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING_WAF_UNLOGGED] = {"latency_pending_waf_unlogged", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                                p_variant},
    [R_PENDING_WAF_UNLOGGED_S3] = {"latency_pending_waf_unlogged_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                                   p_variant},
    [R_PENDING_NO_ACL] = {"latency_pending_no_acl", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING_NO_ACL_S3] = {"latency_pending_no_acl_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    /*   _blind: the line lacks the detailed result type, or the content type on a behavior
     *          that may check signers (edge_blind): an edge answer may be any refusal;
     *   _any: the origin's kind is unknown and no content type can show S3's XML (none
     *          logged, or a custom 403 page; origin_kind_blind): an origin answer may be
     *          S3's or a custom origin's. */
    [R_PENDING_WAF_UNLOGGED_ANY] = {"latency_pending_waf_unlogged_unknown_origin", C(UNKNOWN), E(POSSIBLE),
                                    K_PROVISIONAL, p_variant},
    [R_PENDING_BLIND] = {"latency_pending_blind", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING_BLIND_S3] = {"latency_pending_blind_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING_BLIND_ANY] = {"latency_pending_blind_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                             p_variant},
    [R_PENDING_NO_ACL_ANY] = {"latency_pending_no_acl_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                              p_variant},
    [R_PENDING_ANY] = {"latency_pending_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL, p_variant},
    [R_PENDING_BLIND_NOWAF] = {"latency_pending_blind_no_waf", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                               p_variant},
    [R_PENDING_BLIND_NOWAF_S3] = {"latency_pending_blind_no_waf_s3", C(UNKNOWN), E(POSSIBLE), K_PROVISIONAL,
                                  p_variant},
    [R_PENDING_BLIND_NOWAF_ANY] = {"latency_pending_blind_no_waf_unknown_origin", C(UNKNOWN), E(POSSIBLE),
                                   K_PROVISIONAL, p_variant},

    /* Anything else (odd result types with 403, ...). */
    [R_UNCLASSIFIED] = {"unclassified", C(UNKNOWN), E(POSSIBLE), K_MATCH, p_always},

    /* Settled after the pass by the line's latency (time-to-first-byte, else time-taken):
     * see the "latency" section below for the zones.  Edge-fast (<= 5 ms) against a
     * distribution whose origin fetches are slower: a WAF block is the edge 403 KC S5
     * describes for this signature, hence likely.  When WAF logs were joined, cover the line
     * and hold no record for the request, WAF did not block it (blocks are logged, §5.3):
     * some other edge refusal, possible; likewise when the config shows no web ACL. */
    [R_EDGE_WAF] = {"latency_edge_waf", C(WAF_BLOCK), E(LIKELY), K_SETTLED, NULL},
    [R_EDGE_WAF_UNLOGGED] = {"latency_edge_waf_unlogged", C(EDGE_OTHER), E(POSSIBLE), K_SETTLED, NULL},
    [R_EDGE_NO_ACL] = {"latency_edge_no_acl", C(EDGE_OTHER), E(POSSIBLE), K_SETTLED, NULL},
    /* Edge-fast HTML 403 to plain http with the protocol policy unknown: HTTPS Only (§5.5)
     * or a WAF block of an http request (§5.3), the same page and timing: possible. */
    [R_EDGE_HTTP] = {"latency_edge_http", C(HTTPS_REQUIRED), E(POSSIBLE), K_SETTLED, NULL},
    /* The same with no origin reference for the distribution (too few origin fetches): the
     * origin's own speed is unknown, so never more than possible. */
    [R_EDGE_WAF_ABS] = {"latency_edge_waf_absolute", C(WAF_BLOCK), E(POSSIBLE), K_SETTLED, NULL},
    [R_EDGE_WAF_UNLOGGED_ABS] = {"latency_edge_waf_unlogged_absolute", C(EDGE_OTHER), E(POSSIBLE), K_SETTLED,
                                 NULL},
    [R_EDGE_NO_ACL_ABS] = {"latency_edge_no_acl_absolute", C(EDGE_OTHER), E(POSSIBLE), K_SETTLED, NULL},
    [R_EDGE_HTTP_ABS] = {"latency_edge_http_absolute", C(HTTPS_REQUIRED), E(POSSIBLE), K_SETTLED, NULL},
    /* Edge-fast behind a custom 403 page on a behavior that checks signers, with a signer
     * present and not expired, WAF excluded: the check refused it (R_PENDING_SIGNED). */
    [R_EDGE_SIGNED] = {"latency_edge_signed_refused", C(SIGNED_URL_INVALID), E(LIKELY), K_SETTLED, NULL},
    [R_EDGE_SIGNED_ABS] = {"latency_edge_signed_refused_absolute", C(SIGNED_URL_INVALID), E(POSSIBLE),
                           K_SETTLED, NULL},
    /* Edge-fast on a line without the fields that tell the edge's refusals apart
     * (edge_blind): any edge refusal, undecided; with or without a reference. */
    [R_EDGE_BLIND] = {"latency_edge_blind", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* The same where WAF is excluded (no web ACL, or WAF logs without a block). */
    [R_EDGE_BLIND_NOWAF] = {"latency_edge_blind_no_waf", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* Edge-fast behind a custom 403 page (R_PENDING_SIGNED_OPEN, _WAF): the signer check
     * refused it, for a reason the line cannot tell, or (_waf) WAF did. */
    [R_EDGE_SIGNED_OPEN] = {"latency_edge_signed_open", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_EDGE_SIGNED_WAF] = {"latency_edge_signed_or_waf", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* 20 ms or more to the first byte: no edge refusal takes that long, so the origin (or a
     * cache or load balancer in front of it) answered, however fast its 2xx fetches are
     * (issue 10 item 3); or between 5 and 20 ms where the distribution's own origin fetches
     * are that fast (at least a third of their reference). */
    [R_ORIGIN_CUSTOM] = {"latency_origin_custom", C(ORIGIN_CUSTOM), E(LIKELY), K_SETTLED, NULL},
    [R_ORIGIN_S3] = {"latency_origin_s3", C(ORIGIN_S3), E(LIKELY), K_SETTLED, NULL},
    /* The same where the origin's kind is unknown (origin_kind_blind): S3 or custom. */
    [R_ORIGIN_ANY] = {"latency_origin_unknown_kind", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* Between the zones, or edge-fast on a distribution whose origin answers about as fast
     * as the edge: the data cannot decide.  Cause unknown; the candidates
     * (cfs_rule_candidates) are the variant's edge cause and its origin. */
    [R_AMBIG_HTTP] = {"latency_ambiguous_http", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG] = {"latency_ambiguous", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_S3] = {"latency_ambiguous_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_WAF_UNLOGGED] = {"latency_ambiguous_waf_unlogged", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_WAF_UNLOGGED_S3] = {"latency_ambiguous_waf_unlogged_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                                 NULL},
    [R_AMBIG_NO_ACL] = {"latency_ambiguous_no_acl", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_NO_ACL_S3] = {"latency_ambiguous_no_acl_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_SIGNED] = {"latency_ambiguous_signed", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_SIGNED_S3] = {"latency_ambiguous_signed_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_SIGNED_OPEN] = {"latency_ambiguous_signed_open", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_SIGNED_OPEN_S3] = {"latency_ambiguous_signed_open_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_SIGNED_WAF] = {"latency_ambiguous_signed_or_waf", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_SIGNED_WAF_S3] = {"latency_ambiguous_signed_or_waf_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                               NULL},
    [R_AMBIG_NO_ACL_ANY] = {"latency_ambiguous_no_acl_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                            NULL},
    [R_AMBIG_ANY] = {"latency_ambiguous_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_BLIND_NOWAF] = {"latency_ambiguous_blind_no_waf", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_BLIND_NOWAF_S3] = {"latency_ambiguous_blind_no_waf_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                                NULL},
    [R_AMBIG_BLIND_NOWAF_ANY] = {"latency_ambiguous_blind_no_waf_unknown_origin", C(UNKNOWN), E(POSSIBLE),
                                 K_SETTLED, NULL},
    [R_AMBIG_WAF_UNLOGGED_ANY] = {"latency_ambiguous_waf_unlogged_unknown_origin", C(UNKNOWN), E(POSSIBLE),
                                  K_SETTLED, NULL},
    [R_AMBIG_BLIND] = {"latency_ambiguous_blind", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_BLIND_S3] = {"latency_ambiguous_blind_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_AMBIG_BLIND_ANY] = {"latency_ambiguous_blind_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                           NULL},
    /* No time-taken or time-to-first-byte on the line: the same candidates. */
    [R_NO_TIME_HTTP] = {"latency_no_time_taken_http", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME] = {"latency_no_time_taken", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_S3] = {"latency_no_time_taken_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_WAF_UNLOGGED] = {"latency_no_time_taken_waf_unlogged", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                                NULL},
    [R_NO_TIME_WAF_UNLOGGED_S3] = {"latency_no_time_taken_waf_unlogged_s3", C(UNKNOWN), E(POSSIBLE),
                                   K_SETTLED, NULL},
    [R_NO_TIME_NO_ACL] = {"latency_no_time_taken_no_acl", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_NO_ACL_S3] = {"latency_no_time_taken_no_acl_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_SIGNED] = {"latency_no_time_taken_signed", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_SIGNED_S3] = {"latency_no_time_taken_signed_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_SIGNED_OPEN] = {"latency_no_time_taken_signed_open", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_SIGNED_OPEN_S3] = {"latency_no_time_taken_signed_open_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                                  NULL},
    [R_NO_TIME_SIGNED_WAF] = {"latency_no_time_taken_signed_or_waf", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                              NULL},
    [R_NO_TIME_SIGNED_WAF_S3] = {"latency_no_time_taken_signed_or_waf_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                                 NULL},
    [R_NO_TIME_NO_ACL_ANY] = {"latency_no_time_taken_no_acl_unknown_origin", C(UNKNOWN), E(POSSIBLE),
                              K_SETTLED, NULL},
    [R_NO_TIME_ANY] = {"latency_no_time_taken_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_BLIND_NOWAF] = {"latency_no_time_taken_blind_no_waf", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                               NULL},
    [R_NO_TIME_BLIND_NOWAF_S3] = {"latency_no_time_taken_blind_no_waf_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                                  NULL},
    [R_NO_TIME_BLIND_NOWAF_ANY] = {"latency_no_time_taken_blind_no_waf_unknown_origin", C(UNKNOWN),
                                   E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_WAF_UNLOGGED_ANY] = {"latency_no_time_taken_waf_unlogged_unknown_origin", C(UNKNOWN),
                                    E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_BLIND] = {"latency_no_time_taken_blind", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_BLIND_S3] = {"latency_no_time_taken_blind_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_NO_TIME_BLIND_ANY] = {"latency_no_time_taken_blind_unknown_origin", C(UNKNOWN), E(POSSIBLE), K_SETTLED,
                             NULL},
    /* A non-CloudFront body answered edge-fast where a web ACL may be attached: a WAF custom
     * response (§5.3) or a cached or fast origin answer; the body cannot tell (see
     * R_PENDING_BODY).  Unknown, candidates waf_block and the origin. */
    [R_EDGE_BODY] = {"latency_edge_custom_body", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    [R_EDGE_BODY_S3] = {"latency_edge_custom_body_s3", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* Issue 10 item 2: CloudFront caches error responses (ErrorCachingMinTTL, 10 s by
     * default) and serves the copy as `Error`/`Error` in about a millisecond.  An edge-fast
     * 403 whose URI got an origin-served 403 of the same content type and length shortly
     * before (within the TTL, a second of slack each side) is that copy
     * (cfs_attr_settle_fast).  Likely: the join is by URI, body and time, not by id. */
    [R_CACHED_ORIGIN] = {"cached_origin_403", C(ORIGIN_CUSTOM), E(LIKELY), K_SETTLED, NULL},
    [R_CACHED_ORIGIN_S3] = {"cached_origin_403_s3", C(ORIGIN_S3), E(LIKELY), K_SETTLED, NULL},
    /* The same where the origin's kind is unknown (origin_kind_blind): S3 or custom. */
    [R_CACHED_ORIGIN_ANY] = {"cached_origin_403_unknown_kind", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* CloudFront's own error pages have one length per distribution and cause.  Lengths
     * learned from this distribution's proven 403s (cfs_attr_page_cause) identify the
     * unproven edge-fast 403s with the same type and length, when exactly one proven cause
     * and no origin-served 403 has it.  The cause is the learned one (set by
     * cfs_attr_settle_fast; the table's is a placeholder). */
    [R_LEARNED_PAGE] = {"learned_error_page", C(UNKNOWN), E(LIKELY), K_SETTLED, NULL},
    /* The same length is that of CloudFront's generic "Bad request" page on this
     * distribution (proven by a cause that uses it): not WAF's block page, so not a WAF
     * block with its default response; which of the generic page's causes is undecided. */
    [R_LEARNED_GENERIC_PAGE] = {"learned_generic_error_page", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* The same type and length carries causes with different pages of their own (geo and
     * method, or an edge cause and the origin): the distribution answers every 403 with
     * one custom error page (CustomErrorResponses, §5.1), so the body proves nothing and an
     * edge-fast line is any edge refusal without a log signature of its own. */
    [R_SHARED_PAGE] = {"one_error_page_for_all", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* An origin-served 403 (by latency or result type) with that one page: the origin
     * answered, but its body was replaced, so S3's XML cannot be told from a custom
     * origin's answer without the config. */
    [R_ORIGIN_ONE_PAGE] = {"origin_behind_one_error_page", C(UNKNOWN), E(POSSIBLE), K_SETTLED, NULL},
    /* Issue 10 item 4: on a distribution whose CustomErrorResponses remap 403 to another
     * status, an `Error` line with that status is a 403 viewers never saw as one.  No cause
     * (its status is not 403, so no 403 count includes it): the report counts the rule per
     * distribution as hidden_403. */
    [R_HIDDEN_403] = {"hidden_403_remapped", C(NONE), E(NONE), K_SETTLED, NULL},
    /* Retired (see the enum): their causes and levels as they were given. */
    [R_RETIRED_SIGNED_PAGE_PRESENT_OR_WAF] = {"signed_present_or_waf_behind_custom_page", C(UNKNOWN),
                                              E(POSSIBLE), K_SETTLED, NULL},
    [R_RETIRED_SIGNED_PAGE_PRESENT_OR_WAF_S3] = {"signed_present_or_waf_behind_custom_page_s3", C(UNKNOWN),
                                                 E(POSSIBLE), K_SETTLED, NULL},
    [R_RETIRED_ORIGIN_CUSTOM_ABS] = {"latency_origin_custom_absolute", C(ORIGIN_CUSTOM), E(POSSIBLE),
                                     K_SETTLED, NULL},
    [R_RETIRED_ORIGIN_S3_ABS] = {"latency_origin_s3_absolute", C(ORIGIN_S3), E(POSSIBLE), K_SETTLED, NULL},
    [R_RETIRED_WAF_CHALLENGE] = {"waf_log_captcha_or_challenge", C(WAF_BLOCK), E(CONFIRMED), K_SETTLED, NULL},
/* The twins of CONFIG_TWINS: no predicate; cfs_attribute picks them. */
#define TWIN_ROW(base, name, cause, ev) [base##_OLD] = {name "_config_newer", C(cause), E(ev), K_MATCH, NULL},
    CONFIG_TWINS(TWIN_ROW)
#undef TWIN_ROW
};
#undef C
#undef E

_Static_assert(R_COUNT < UINT16_MAX, "rule ids fit cfs_attribution.rule");
static cfs_attribution make(uint16_t id)
{
    cfs_attribution a = {rules[id].cause, rules[id].evidence, id, 0};
    return a;
}

_Static_assert(R_NOT_403 == CFS_RULE_NOT_403, "attribute.h names rule 0");
_Static_assert(CFS_RULE_NOT_403 == 0, "cfs_attribute_line (attribute.h) gives rule 0 to the common line");

/* The twin of rule id for a line older than the config, when this line's verdict rests on
 * the config; else 0.  Most rules of CONFIG_TWINS rest on it whenever they fire; two only
 * for some lines: signed_missing_xml_error when the config (not a logged cookie) says
 * cookies are logged, non_cloudfront_body when the config's missing web ACL (not joined
 * WAF logs) kept the line from the latency test. */
static uint16_t config_twin(uint16_t id, const facts *f)
{
    if (id == R_SIGNED_MISSING_XML && !f->cookies_from_config) return 0;
    if (id == R_BODY && !(f->acl == T_NO && !waf_logs_rule_out(f))) return 0;
    switch (id) {
#define TWIN_CASE(base, name, cause, ev) \
    case base: return base##_OLD;
        CONFIG_TWINS(TWIN_CASE)
#undef TWIN_CASE
    default: return 0;
    }
}

int cfs_rule_is_config_newer(uint16_t rule)
{
    switch (rule) {
#define TWIN_CASE(base, name, cause, ev) case base##_OLD:
        CONFIG_TWINS(TWIN_CASE)
#undef TWIN_CASE
        return 1;
    default: return 0;
    }
}

/* Rules whose verdict rests on the 403's content type alone (S3's application/xml, the
 * signed-URL text/xml refusal without a known restriction, non-CloudFront bodies).  On a
 * distribution with a custom 403 page the type is the page's, whatever the cause. */
static int ct_only_rule(uint16_t id)
{
    switch (id) {
    case R_S3_ROOT:
    case R_S3_TRAILING_SLASH:
    case R_S3_XML:
    case R_S3_XML_UNCONFIGURED:
    case R_CUSTOM_XML:
    case R_CLOUDFRONT_XML:
    case R_SIGNED_NOT_YET_VALID:
    case R_SIGNED_REFUSED:
    case R_SIGNED_MISSING_XML:
    case R_BODY_S3:
    case R_BODY: return 1;
    default: return 0;
    }
}

/* The two runs of variant rows (p_variant), which first_match decides by f->pending. */
static int in_signed_run(uint16_t id) { return id >= R_PENDING_SIGNED_S3 && id <= R_PENDING_SIGNED_WAF; }
static int in_pending_run(uint16_t id) { return id >= R_PENDING_HTTP && id < R_UNCLASSIFIED; }

/* The first row of [from, to) whose predicate holds for f, else 0 (rows there all have
 * one: cfs_attr_table_ok). */
static uint16_t first_row(const facts *f, uint16_t from, uint16_t to)
{
    for (uint16_t id = from; id < to; id++)
        if (rules[id].pred(f)) return id;
    return 0;
}

/* The first rule of the table that holds for f.  A run of variant rows is decided at once:
 * the line's own variant (pending_variant) if it is in the run, else none; the rules behind
 * a custom 403 page all need signer_page.  (Calling every row's predicate took about a
 * fifth of a 403 line's attribution.) */
static uint16_t first_match(const facts *f)
{
    uint16_t id = first_row(f, R_NOT_403 + 1, R_SIGNED_PAGE_MISSING);
    if (id) return id;
    if (f->page && (id = first_row(f, R_SIGNED_PAGE_MISSING, R_SIGNED_HTML_MISSING)) != 0) return id;
    if (f->html_refused && (id = first_row(f, R_SIGNED_HTML_MISSING, R_PENDING_SIGNED_S3)) != 0) return id;
    if (f->edge_error && in_signed_run(f->pending)) return f->pending;
    if ((id = first_row(f, R_PENDING_SIGNED_WAF + 1, R_PENDING_HTTP)) != 0) return id;
    if (f->edge_error && in_pending_run(f->pending)) return f->pending;
    return R_UNCLASSIFIED;
}

/* The rules that take an application/xml line one level less sure (refusal_xml). */
static int xml_conflict_rule(uint16_t id)
{
    switch (id) {
    case R_COUNTRY_GEO:
    case R_HTTPS_ONLY_HTTP:
    case R_REDIRECT_HTTP10_NON_GET:
    case R_SIGNED_MISSING_RESTRICTED:
    case R_SIGNED_MISSING_RESTRICTED_UNLOGGED:
    case R_SIGNED_QUERY_EXPIRED:
    case R_SIGNED_COOKIE_EXPIRED: return 1;
    default: return 0;
    }
}

/* The confirmed signer rules, which accept a line without a content type. */
static int signer_body_rule(uint16_t id)
{
    return id == R_SIGNED_MISSING_RESTRICTED || id == R_SIGNED_QUERY_EXPIRED || id == R_SIGNED_COOKIE_EXPIRED;
}

/* A non-403 line that is a 403 remapped by CustomErrorResponses: result type Error (and
 * response result type Error, where logged) and the status the distribution's 403 entry
 * answers with.  A remap to a 4xx or 5xx counts the origin's own errors of that status
 * too, which are logged alike: the report calls that count an upper bound.  The config is
 * looked up only when some config remaps 403 and the line is an Error, so other runs pay
 * one branch. */
static int hidden_403(const cfs_record *r, const cfs_attr_ctx *ctx)
{
    if (ctx == NULL || ctx->config == NULL || !ctx->config->any_403_remap || r->result != CFS_R_ERROR)
        return 0;
    /* Error with another response result type is a viewer that went away (§4), not an
     * error response (the line is parsed whole: fields.c, parse_whole) */
    if (r->response_result != CFS_R_NONE && r->response_result != CFS_R_ERROR) return 0;
    unsigned to = cfs_config_403_remap(cfs_attr_config_of(r, ctx->config, NULL));
    return to != 0 && to == r->status;
}

cfs_attribution cfs_attribute(const cfs_record *r, const cfs_attr_ctx *ctx)
{
    return cfs_attribute_line(r, ctx).at;
}

/* The causes this 403 line cannot have, whatever rule it gets (CFS_EXCL_*, attribute.h):
 * from the line alone, or from a config that held when it was written.  These narrow the
 * candidates of an undecided verdict; the rules themselves look at most of the same
 * facts, but a rule's candidate set is fixed, so without this an undecided verdict could
 * name a cause its own line rules out (https_required for an https request). */
static uint8_t excl_of(const facts *f)
{
    const cfs_record *r = f->r;
    const cfs_dist_config *d = f->config_older ? NULL : f->d; /* the config held then */
    const cfs_cfg_behavior *b = d ? f->b : NULL;
    uint8_t x = 0;
    if (geo_excluded(f)) x |= CFS_EXCL_GEO;
    if (waf_excluded(f)) x |= CFS_EXCL_WAF;
    if (b && f->restricted == T_NO) x |= CFS_EXCL_SIGNED;
    if (f->keyed) x |= CFS_EXCL_KEYED; /* §5.4: MissingKey is a missing or empty key id */
    /* §5.1: HTTPS-only refuses plain http (and ws); a request over TLS was not refused for
     * its protocol, nor any on a behavior that allows all */
    if (r->protocol == CFS_P_HTTPS || r->protocol == CFS_P_WSS || r->protocol == CFS_P_GRPCS ||
        (b && f->vpp == CFS_VPP_ALLOW_ALL))
        x |= CFS_EXCL_HTTPS;
    /* AllowedMethods always holds GET and HEAD (§5.1); a refused method is logged
     * InvalidRequestMethod (§4), so another logged detailed result type rules it out, as
     * one other than ClientGeoBlocked rules out geo (geo_excluded) */
    const unsigned drt = r->detailed_result;
    if ((drt != CFS_R_NONE && drt != CFS_R_INVALID_REQUEST_METHOD && drt != CFS_R_CLIENT_COMM_ERROR &&
         drt != CFS_R_CLIENT_HUNG_UP_REQUEST) ||
        r->method == CFS_M_GET || r->method == CFS_M_HEAD ||
        (b && b->allowed_methods && r->method != CFS_M_NONE && r->method < 32 &&
         (b->allowed_methods & (1u << r->method))))
        x |= CFS_EXCL_METHOD;
    /* the viewer used the distribution's own cloudfront.net name (x-host-header equal to
     * cs(Host), §1.2 field 7), or a name the config lists */
    if (cfs_config_same_host(r->f[CFS_F_HOST_HEADER], r->f[CFS_F_CS_HOST]) || (d && f->host_associated))
        x |= CFS_EXCL_CNAME;
    return x;
}

cfs_attr_line cfs_attribute_line_rules(const cfs_record *r, const cfs_attr_ctx *ctx)
{
    cfs_attr_line out;
    out.waf = 0;
    out.waf_held = 0;
    /* Rule 0 needs no facts: keep the common (non-403) path free of any parsing. */
    if (r->status != 403) {
        out.at = make(hidden_403(r, ctx) ? R_HIDDEN_403 : R_NOT_403);
        return out;
    }
    facts f;
    build_facts(&f, r, ctx);
    const uint16_t id = first_match(&f);
    cfs_attribution a = make(id);
    if (ct_only_rule(id) && cfs_config_403_page(f.d) && a.evidence < CFS_EV_POSSIBLE)
        a.evidence = CFS_EV_POSSIBLE;
    /* The signer rules' proof is CloudFront's text/xml refusal; a line without a
     * content type cannot show it, and a web ACL or a geo restriction may have
     * answered before the signer check: likely at most, unless both are ruled out. */
    if (signer_body_rule(id) && f.ct == CT_NONE && !(f.no_waf && geo_excluded(&f)) &&
        a.evidence < CFS_EV_LIKELY)
        a.evidence = CFS_EV_LIKELY;
    /* the config's method refusal, with no log field to agree (R_BEHAVIOR_METHOD): as the
     * signer rules, unless WAF and geo are both ruled out */
    if (id == R_BEHAVIOR_METHOD && !(f.no_waf && geo_excluded(&f)) && a.evidence < CFS_EV_LIKELY)
        a.evidence = CFS_EV_LIKELY;
    /* the protocol policy's refusal likewise: the reference gives no order for it and the
     * web ACL's or the geo check (§5.3, §5.5) */
    if ((id == R_HTTPS_ONLY_HTTP || id == R_REDIRECT_HTTP10_NON_GET) && !(f.no_waf && geo_excluded(&f)) &&
        a.evidence < CFS_EV_LIKELY)
        a.evidence = CFS_EV_LIKELY;
    /* An expired signer without a config: nothing shows the behavior checks signers (an
     * unrestricted one ignores them), so the proof is the text/xml body alone, which §5.1
     * and §5.4 mark [?]: likely, as a missing signer without a config is
     * (signed_missing_xml_error). */
    if ((id == R_SIGNED_QUERY_EXPIRED || id == R_SIGNED_COOKIE_EXPIRED) && f.restricted != T_YES &&
        a.evidence < CFS_EV_LIKELY)
        a.evidence = CFS_EV_LIKELY;
    /* an edge refusal the config proves, on a line whose body is S3's (refusal_xml) */
    if (xml_conflict_rule(id) && refusal_xml(&f) && a.evidence < CFS_EV_POSSIBLE) a.evidence++;
    /* origin-fbl proves the origin answered, not which kind of origin: an S3 website
     * endpoint answers 403 with HTML too (§5.6), so the custom origin is confirmed only
     * where the config says so (and held when the line was written) */
    if (id == R_ORIGIN_FBL && timed_kind(&f) != CFS_ORIGIN_CUSTOM &&
        timed_kind(&f) != CFS_ORIGIN_CLOUDFRONT && a.evidence < CFS_EV_LIKELY)
        a.evidence = CFS_EV_LIKELY;
    /* A config newer than the line: its verdicts lose a level (CONFIG_TWINS). */
    uint16_t twin = f.config_older ? config_twin(id, &f) : 0;
    if (twin && a.evidence < CFS_EV_POSSIBLE) {
        a.rule = twin;
        a.evidence = (uint8_t)(a.evidence + 1);
    }
    /* The WAF table's row (cfs_attr_line): what the logs add to the line, else
     * the proving record's rule when the verdict is that block. */
    if (f.waf_note >= 0) out.waf = (uint32_t)(cfs_waf_rule_count(ctx->waf) + (size_t)f.waf_note) + 1;
    else if (a.cause == CFS_CAUSE_WAF_BLOCK && f.waf_hit) out.waf = f.waf_rule + 1;
    /* only a verdict that is, or may become, undecided has candidates to narrow */
    if (rules[a.rule].kind == K_PROVISIONAL || cfs_rule_candidates(a.rule)) a.excl = excl_of(&f);
    out.at = a;
    return out;
}

int cfs_attr_needs_latency(cfs_attribution a)
{
    return a.rule < R_COUNT && rules[a.rule].kind == K_PROVISIONAL;
}

int cfs_attr_may_settle(cfs_attribution a) { return cfs_attr_needs_latency(a) || a.rule == R_ORIGIN_RESULT; }

/* ---- latency ----------------------------------------------------------------------------
 * An `Error` 403 with CloudFront's HTML page (or a body of its own where a web ACL may
 * answer) is an edge refusal, a copy of an origin 403 from the cache, or the origin's own
 * answer.  The measure is the line's latency: time-to-first-byte where the line has it
 * (issue 10 item 9: time-taken runs to the last byte, so a large download is slow however
 * near its origin), else time-taken, and 0 when v2's origin-fbl says the origin was not
 * contacted (cfs_attr_decision_ms).
 * Zones.  Edge-generated responses take 0-3 ms (the generator's model, datasets/README.md,
 * from real logs: reference §5.1); a response that needed the origin takes a round trip
 * to it.  So:
 *   <= EDGE_MAX_MS (5 ms): edge-fast: an edge refusal, or a cached copy of an origin 403
 *      (cfs_attr_settle_fast tells them apart before the latency test runs);
 *   >= ORIGIN_MIN_MS (20 ms): the origin (or a cache or load balancer in front of it)
 *      answered, whatever the distribution's 2xx fetches take (issue 10 item 3: an origin
 *      answering 403 in 20-40 ms next to 120 ms fetches is still the origin);
 *   in between: the origin when its own fetches are that fast (at least a third of the
 *      reference), otherwise undecided.
 * The reference: the 25th percentile of the same latency over the distribution's
 * 2xx/3xx `Miss` responses, 304 and ws/wss excluded (RefreshHit and 304 are revalidations
 * the origin may answer without the body; 4xx/5xx are errors or timeouts; a WebSocket is
 * logged when it closes), at least REF_MIN_FETCHES of them.  It decides two things: an
 * edge-fast line is an edge refusal at the rule's evidence only when the origin is
 * measurably slower than the edge (reference >= REF_USABLE_MS); with no reference the
 * origin's speed is unknown (the _absolute rules, possible); with a reference under 12 ms
 * the origin answers about as fast as the edge and the line is undecided.  p25 rather than
 * the median so that a slow tail does not drag it up, and rather than p10 because with the
 * minimum of 20 samples p10 is the 2nd smallest value, a single outlier. */
enum {
    REF_MIN_FETCHES = 20,
    REF_USABLE_MS = 12,
};
#define REF_QUANTILE 0.25

uint32_t cfs_attr_reference_ms(const cfs_hist *origin_fetch)
{
    if (origin_fetch == NULL || origin_fetch->count < REF_MIN_FETCHES) return 0;
    /* A first quartile under 1 ms is an origin as fast as the edge: a reference (1 ms, in
     * the histogram's whole milliseconds), unusable for telling them apart (under
     * REF_USABLE_MS), not "none", which would judge its 403s by the zones alone. */
    const uint32_t q = cfs_hist_quantile(origin_fetch, REF_QUANTILE);
    return q ? q : 1;
}

uint32_t cfs_attr_latency_ms(const cfs_record *r)
{
    return r->ttfb_ms != CFS_NO_MILLIS ? r->ttfb_ms : r->time_taken_ms;
}

uint32_t cfs_attr_decision_ms(const cfs_record *r)
{
    const uint32_t ms = cfs_attr_latency_ms(r);
    cfs_span fbl = r->f[CFS_F_ORIGIN_FBL];
    if (fbl.p == NULL || !cfs_span_empty(fbl)) return ms;
    /* origin-fbl '-': no first byte from the origin, read as "not asked" (what '-' means
     * is not documented, §2).  A line timed as edge-fast, or not timed, agrees: 0.  One
     * timed slower disagrees, and neither reading wins: it is taken as between the zones
     * (just under ORIGIN_MIN_MS), the origin's only where the distribution's own fetches
     * are that fast, otherwise undecided (cfs_attr_settle). */
    if (ms == CFS_NO_MILLIS || ms <= EDGE_MAX_MS) return 0;
    return ms < ORIGIN_MIN_MS ? ms : ORIGIN_MIN_MS - 1;
}

int cfs_attr_origin_sample(const cfs_record *r)
{
    return r->result == CFS_R_MISS && cfs_origin_sample_status(r->status) && r->protocol != CFS_P_WS &&
           r->protocol != CFS_P_WSS && cfs_attr_latency_ms(r) != CFS_NO_MILLIS;
}

const char *cfs_attr_reference_rule(void)
{
    /* Printed once per distribution in the text report: kept short. */
    return "latency = time-to-first-byte, else time-taken; an unexplained Error 403 is "
           "edge-generated at <= 5 ms (a cached origin 403 when the same URI and body came "
           "from the origin within the error-caching TTL), origin-served at >= 20 ms, and "
           "between the two origin-served only when the reference (25th percentile over the "
           "distribution's 2xx/3xx Miss responses, 304 and ws/wss excluded, at least 20) is at "
           "most 3x its latency; edge verdicts need a reference of >= 12 ms";
}

const char *cfs_attr_reference_measure(uint64_t samples, uint64_t ttfb)
{
    if (samples == 0) return "none";
    if (ttfb == samples) return "time_to_first_byte";
    return ttfb == 0 ? "time_taken" : "mixed";
}

/* What each provisional variant settles to: its edge verdict (calibrated, and with no
 * reference), its origin verdict, and its undecided ones with their candidate causes. */
typedef struct variant {
    uint16_t pending, edge, edge_abs, origin, ambiguous, no_time, cached;
    uint32_t edge_set, origin_set; /* the candidate causes on each side (bits of cfs_cause) */
} variant;

#define B(c) (1u << CFS_CAUSE_##c)
#define ANY_ORIGIN (B(ORIGIN_S3) | B(ORIGIN_CUSTOM))
#define SIGNER_CAUSES (B(SIGNED_URL_MISSING) | B(SIGNED_URL_EXPIRED) | B(SIGNED_URL_INVALID))
/* Every edge refusal a line without the detailed result type and content type may be
 * (edge_blind); edge functions have result types of their own. */
#define BLIND_EDGE                                                                                   \
    (B(GEO_RESTRICTION) | B(WAF_BLOCK) | SIGNER_CAUSES | B(HTTPS_REQUIRED) | B(METHOD_NOT_ALLOWED) | \
     B(CNAME_NOT_ASSOCIATED) | B(EDGE_OTHER))
#define V(p, e, o, ec, oc)                                                                  \
    {                                                                                       \
        R_PENDING##p, R_EDGE_##e, R_EDGE_##e##_ABS, R_ORIGIN_##o, R_AMBIG##p, R_NO_TIME##p, \
            B(oc) == B(ORIGIN_S3) ? R_CACHED_ORIGIN_S3 : R_CACHED_ORIGIN, B(ec), B(oc)      \
    }
/* The same with every rule and set given (sides that name several causes, or an origin
 * of unknown kind). */
#define VX(p, e, eabs, o, cached, edge_set, origin_set)                                  \
    {                                                                                    \
        R_PENDING##p, e, eabs, o, R_AMBIG##p, R_NO_TIME##p, cached, edge_set, origin_set \
    }
static const variant variants[] = {
    V(_HTTP, HTTP, CUSTOM, HTTPS_REQUIRED, ORIGIN_CUSTOM),
    V(, WAF, CUSTOM, WAF_BLOCK, ORIGIN_CUSTOM),
    V(_S3, WAF, S3, WAF_BLOCK, ORIGIN_S3),
    V(_WAF_UNLOGGED, WAF_UNLOGGED, CUSTOM, EDGE_OTHER, ORIGIN_CUSTOM),
    V(_WAF_UNLOGGED_S3, WAF_UNLOGGED, S3, EDGE_OTHER, ORIGIN_S3),
    V(_NO_ACL, NO_ACL, CUSTOM, EDGE_OTHER, ORIGIN_CUSTOM),
    V(_NO_ACL_S3, NO_ACL, S3, EDGE_OTHER, ORIGIN_S3),
    V(_SIGNED, SIGNED, CUSTOM, SIGNED_URL_INVALID, ORIGIN_CUSTOM),
    V(_SIGNED_S3, SIGNED, S3, SIGNED_URL_INVALID, ORIGIN_S3),
    VX(_WAF_UNLOGGED_ANY, R_EDGE_WAF_UNLOGGED, R_EDGE_WAF_UNLOGGED_ABS, R_ORIGIN_ANY, R_CACHED_ORIGIN_ANY,
       B(EDGE_OTHER), ANY_ORIGIN),
    VX(_SIGNED_OPEN, R_EDGE_SIGNED_OPEN, R_EDGE_SIGNED_OPEN, R_ORIGIN_CUSTOM, R_CACHED_ORIGIN, SIGNER_CAUSES,
       B(ORIGIN_CUSTOM)),
    VX(_SIGNED_OPEN_S3, R_EDGE_SIGNED_OPEN, R_EDGE_SIGNED_OPEN, R_ORIGIN_S3, R_CACHED_ORIGIN_S3,
       SIGNER_CAUSES, B(ORIGIN_S3)),
    VX(_SIGNED_WAF, R_EDGE_SIGNED_WAF, R_EDGE_SIGNED_WAF, R_ORIGIN_CUSTOM, R_CACHED_ORIGIN,
       B(WAF_BLOCK) | SIGNER_CAUSES, B(ORIGIN_CUSTOM)),
    VX(_SIGNED_WAF_S3, R_EDGE_SIGNED_WAF, R_EDGE_SIGNED_WAF, R_ORIGIN_S3, R_CACHED_ORIGIN_S3,
       B(WAF_BLOCK) | SIGNER_CAUSES, B(ORIGIN_S3)),
    VX(_NO_ACL_ANY, R_EDGE_NO_ACL, R_EDGE_NO_ACL_ABS, R_ORIGIN_ANY, R_CACHED_ORIGIN_ANY, B(EDGE_OTHER),
       ANY_ORIGIN),
    VX(_BLIND, R_EDGE_BLIND, R_EDGE_BLIND, R_ORIGIN_CUSTOM, R_CACHED_ORIGIN, BLIND_EDGE, B(ORIGIN_CUSTOM)),
    VX(_BLIND_S3, R_EDGE_BLIND, R_EDGE_BLIND, R_ORIGIN_S3, R_CACHED_ORIGIN_S3, BLIND_EDGE, B(ORIGIN_S3)),
    VX(_BLIND_ANY, R_EDGE_BLIND, R_EDGE_BLIND, R_ORIGIN_ANY, R_CACHED_ORIGIN_ANY, BLIND_EDGE, ANY_ORIGIN),
    VX(_BLIND_NOWAF, R_EDGE_BLIND_NOWAF, R_EDGE_BLIND_NOWAF, R_ORIGIN_CUSTOM, R_CACHED_ORIGIN,
       BLIND_EDGE & ~B(WAF_BLOCK), B(ORIGIN_CUSTOM)),
    VX(_BLIND_NOWAF_S3, R_EDGE_BLIND_NOWAF, R_EDGE_BLIND_NOWAF, R_ORIGIN_S3, R_CACHED_ORIGIN_S3,
       BLIND_EDGE & ~B(WAF_BLOCK), B(ORIGIN_S3)),
    VX(_BLIND_NOWAF_ANY, R_EDGE_BLIND_NOWAF, R_EDGE_BLIND_NOWAF, R_ORIGIN_ANY, R_CACHED_ORIGIN_ANY,
       BLIND_EDGE & ~B(WAF_BLOCK), ANY_ORIGIN),
    VX(_ANY, R_EDGE_WAF, R_EDGE_WAF_ABS, R_ORIGIN_ANY, R_CACHED_ORIGIN_ANY, B(WAF_BLOCK), ANY_ORIGIN),
};
#undef VX
#undef V
#define NVARIANTS (sizeof variants / sizeof variants[0])

static const variant *variant_of(uint16_t rule)
{
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i].pending == rule) return &variants[i];
    return NULL;
}

static uint32_t rule_candidates(uint16_t rule)
{
    for (size_t i = 0; i < NVARIANTS; i++) {
        const variant *v = &variants[i];
        if (rule == v->ambiguous || rule == v->no_time) return v->edge_set | v->origin_set;
    }
    if (rule == R_EDGE_BLIND) return BLIND_EDGE;
    if (rule == R_EDGE_BLIND_NOWAF) return BLIND_EDGE & ~B(WAF_BLOCK);
    if (rule == R_EDGE_SIGNED_OPEN) return SIGNER_CAUSES;
    if (rule == R_EDGE_SIGNED_WAF) return B(WAF_BLOCK) | SIGNER_CAUSES;
    if (rule == R_ORIGIN_ANY || rule == R_ORIGIN_RESULT_ANY || rule == R_CACHED_ORIGIN_ANY ||
        rule == R_ORIGIN_FBL_ANY || rule == R_ORIGIN_ONE_PAGE)
        return ANY_ORIGIN;
    if (rule == R_SIGNED_PAGE_MISSING_OR_WAF) return B(WAF_BLOCK) | B(SIGNED_URL_MISSING);
    if (rule == R_SIGNED_PAGE_EXPIRED_OR_WAF) return B(WAF_BLOCK) | B(SIGNED_URL_EXPIRED);
    if (rule == R_SIGNED_HTML_MISSING_OR_WAF) return B(WAF_BLOCK) | B(SIGNED_URL_MISSING);
    if (rule == R_SIGNED_HTML_EXPIRED_OR_WAF) return B(WAF_BLOCK) | B(SIGNED_URL_EXPIRED);
    /* One page for every 403: any edge refusal without a log signature of its own. */
    if (rule == R_SHARED_PAGE)
        return B(WAF_BLOCK) | SIGNER_CAUSES | B(HTTPS_REQUIRED) | B(CNAME_NOT_ASSOCIATED) | B(EDGE_OTHER);
    if (rule == R_LEARNED_GENERIC_PAGE) return B(CNAME_NOT_ASSOCIATED) | B(HTTPS_REQUIRED) | B(EDGE_OTHER);
    if (rule == R_EDGE_BODY) return (1u << CFS_CAUSE_WAF_BLOCK) | (1u << CFS_CAUSE_ORIGIN_CUSTOM);
    if (rule == R_EDGE_BODY_S3) return (1u << CFS_CAUSE_WAF_BLOCK) | (1u << CFS_CAUSE_ORIGIN_S3);
    return 0;
}

/* Every rule's candidates, made once: cfs_excl_kept asks for them on every 403 line, and
 * the search through the variants cost about 20 instructions a line of the plain
 * benchmark set (callgrind). */
static uint32_t g_candidates[R_COUNT];
/* With them: for each set of CFS_EXCL_* bits the causes it rules out, and for each rule
 * the bits that rule out one of its candidates. */
static uint32_t g_excl_causes[CFS_EXCL_ALL + 1];
static uint8_t g_excl_named[R_COUNT];
static pthread_once_t g_candidates_once = PTHREAD_ONCE_INIT;
static void candidates_init(void)
{
    for (unsigned x = 0; x <= CFS_EXCL_ALL; x++) {
        uint32_t m = 0;
        if (x & CFS_EXCL_GEO) m |= B(GEO_RESTRICTION);
        if (x & CFS_EXCL_WAF) m |= B(WAF_BLOCK);
        if (x & CFS_EXCL_SIGNED) m |= SIGNER_CAUSES;
        if (x & CFS_EXCL_HTTPS) m |= B(HTTPS_REQUIRED);
        if (x & CFS_EXCL_METHOD) m |= B(METHOD_NOT_ALLOWED);
        if (x & CFS_EXCL_CNAME) m |= B(CNAME_NOT_ASSOCIATED);
        if (x & CFS_EXCL_KEYED) m |= B(SIGNED_URL_MISSING);
        g_excl_causes[x] = m;
    }
    for (uint16_t r = 0; r < R_COUNT; r++) {
        g_candidates[r] = rule_candidates(r);
        for (unsigned bit = 1; bit <= CFS_EXCL_KEYED; bit <<= 1)
            if (g_excl_causes[bit] & g_candidates[r]) g_excl_named[r] |= (uint8_t)bit;
    }
}

uint32_t cfs_rule_candidates(uint16_t rule)
{
    if (rule >= R_COUNT) return 0;
    pthread_once(&g_candidates_once, candidates_init);
    return g_candidates[rule];
}

/* The causes a set of CFS_EXCL_* bits rules out. */
static uint32_t excl_causes(uint8_t excl)
{
    pthread_once(&g_candidates_once, candidates_init);
    return g_excl_causes[excl & CFS_EXCL_ALL];
}

/* The shape first_match relies on (tests/test_attribute.c): every matching row has a
 * predicate, the variant rows are exactly its two runs, each with its variant, and the
 * matching rows end with R_UNCLASSIFIED, which always holds; and the variants' no-time
 * and undecided verdicts lie in the run cfs_rule_settle_hint looks in. */
int cfs_attr_table_ok(void)
{
    for (uint16_t id = 0; id < R_COUNT; id++) {
        const int run = in_signed_run(id) || in_pending_run(id);
        if ((rules[id].pred == p_variant) != run) return 0;
        if (id > R_NOT_403 && id <= R_UNCLASSIFIED && rules[id].pred == NULL) return 0;
        if (run && (rules[id].kind != K_PROVISIONAL || variant_of(id) == NULL)) return 0;
    }
    /* cfs_rule_settle_hint looks for the no-time and undecided verdicts in one run */
    for (size_t i = 0; i < NVARIANTS; i++)
        if (variants[i].ambiguous < R_AMBIG_HTTP || variants[i].ambiguous >= R_EDGE_BODY ||
            variants[i].no_time < R_AMBIG_HTTP || variants[i].no_time >= R_EDGE_BODY)
            return 0;
    return rules[R_UNCLASSIFIED].pred == p_always;
}

static int is_body_pending(uint16_t rule) { return rule == R_PENDING_BODY || rule == R_PENDING_BODY_S3; }

int cfs_attr_edge_fast(cfs_attribution a, uint32_t ms)
{
    return cfs_attr_needs_latency(a) && ms != CFS_NO_MILLIS && ms <= EDGE_MAX_MS;
}

int cfs_attr_deferred(cfs_attribution a, uint32_t ms)
{
    return a.rule == R_ORIGIN_RESULT || (cfs_attr_needs_latency(a) && ms != CFS_NO_MILLIS);
}

int cfs_attr_origin_served(cfs_attribution a, uint32_t ms)
{
    if (a.rule == R_ORIGIN_FBL || a.rule == R_ORIGIN_FBL_S3 || a.rule == R_ORIGIN_FBL_ANY) return 1;
    int timed = cfs_attr_needs_latency(a) || a.rule == R_BODY || a.rule == R_BODY_S3;
    return timed && ms != CFS_NO_MILLIS && ms >= ORIGIN_MIN_MS;
}

int cfs_attr_page_cause(cfs_attribution a)
{
    /* Rules that prove an edge refusal with the edge's own page, confirmed: their lines'
     * content type and length are the distribution's page for that cause. */
    if (a.evidence != CFS_EV_CONFIRMED) return 0;
    switch (a.rule) {
    case R_WAF_LOG_BLOCK:
    case R_DRT_GEO:
    case R_DRT_METHOD:
    case R_DRT_BLOCKED:
    case R_DRT_INVALID:
    case R_DRT_HEADER:
    case R_DRT_CERT:
    case R_RT_LIMIT:
    case R_HTTPS_ONLY_HTTP:
    case R_REDIRECT_HTTP10_NON_GET:
    case R_BEHAVIOR_METHOD: return a.cause;
    default: return 0;
    }
}

static cfs_attribution settle_fast(cfs_attribution a, uint32_t ms, const cfs_fast_evidence *ev);
static cfs_attribution settle(cfs_attribution a, uint32_t ms, uint32_t reference_ms);

/* A settle names another rule; the line's exclusions stay with it. */
cfs_attribution cfs_attr_settle_fast(cfs_attribution a, uint32_t ms, const cfs_fast_evidence *ev)
{
    cfs_attribution s = settle_fast(a, ms, ev);
    s.excl = a.excl;
    return s;
}

cfs_attribution cfs_attr_settle(cfs_attribution a, uint32_t ms, uint32_t reference_ms)
{
    cfs_attribution s = settle(a, ms, reference_ms);
    s.excl = a.excl;
    return s;
}

static cfs_attribution settle_fast(cfs_attribution a, uint32_t ms, const cfs_fast_evidence *ev)
{
    if (ev == NULL || !cfs_attr_deferred(a, ms)) return a;
    /* One page for every 403 (a custom error page the config would have named): the body
     * cannot say which origin answered, nor which edge refusal. */
    if (!cfs_attr_edge_fast(a, ms)) return ev->one_page ? make(R_ORIGIN_ONE_PAGE) : a;
    const variant *v = variant_of(a.rule);
    if (ev->cached)
        return make(v != NULL                     ? v->cached
                    : a.rule == R_PENDING_BODY_S3 ? R_CACHED_ORIGIN_S3
                                                  : R_CACHED_ORIGIN);
    /* Edge-fast: only the edge causes that have no log signature of their own remain.  One
     * page for every 403 says no more: any of them, and for a variant whose edge verdict is
     * already undecided (a line that cannot name the edge's refusals) that verdict's wider
     * set. */
    if (ev->one_page)
        return make(v != NULL && rules[v->edge].cause == CFS_CAUSE_UNKNOWN ? v->edge : R_SHARED_PAGE);
    /* a page of a cause the line rules out (its excl: a logged detailed result type
     * other than ClientGeoBlocked for geo's page, a GET for the method refusal's) is no
     * page this line can show, whatever its length */
    uint32_t pc = ev->page_causes & ~excl_causes(a.excl);
    /* No page learned.  A line no cached copy can be seen on (copy_blind): CloudFront
     * serves a cached origin 403 as fast as its own refusals, logged Error (§4: "includes
     * serving a cached error response"), so edge-fast says edge or origin, undecided
     * between the variant's two sides. */
    if (pc == 0) return ev->copy_blind && v != NULL ? make(v->ambiguous) : a;
    /* CloudFront answers several causes with one generic page ("Bad request": hosts that
     * are not associated, HTTPS-only refusals, malformed requests; §5.1), and geo
     * restriction, disallowed methods and WAF blocks with pages of their own.  So a length
     * proven for a specific page names that cause; one proven for the generic page says
     * only that the line is not a WAF block with WAF's page. */
    const uint32_t generic = (1u << CFS_CAUSE_EDGE_OTHER) | (1u << CFS_CAUSE_HTTPS_REQUIRED) |
                             (1u << CFS_CAUSE_CNAME_NOT_ASSOCIATED);
    const uint32_t waf = 1u << CFS_CAUSE_WAF_BLOCK;
    /* WAF is a candidate unless the config shows no web ACL or WAF logs cover the line
     * without a block (the _no_acl and _waf_unlogged variants). */
    int waf_possible = v == NULL || (v->edge_set & B(WAF_BLOCK)) || a.rule == R_PENDING_HTTP;
    uint32_t specific = pc & ~generic;
    if (specific) {
        /* pages collide, or the origin's has the length too: it names no cause */
        if ((specific & (specific - 1)) != 0 || (pc & generic) != 0 || ev->origin_page) return a;
        if (specific == waf && !waf_possible) return a;
        cfs_attribution r = make(R_LEARNED_PAGE);
        r.cause = (uint8_t)__builtin_ctz(specific);
        return r;
    }
    /* generic page only: it settles a line whose edge verdict would have been WAF, also
     * when an origin-served 403 had its length: this line, edge-fast and no cached copy
     * (above), is an edge refusal, and the length is not WAF's page */
    if (v != NULL && (v->edge_set & B(WAF_BLOCK))) return make(R_LEARNED_GENERIC_PAGE);
    /* a body that is not CloudFront's, of a length the origin served too: the origin's */
    if (ev->origin_page) return a;
    if (a.rule == R_PENDING_BODY || a.rule == R_PENDING_BODY_S3) return make(R_LEARNED_GENERIC_PAGE);
    return a;
}

static cfs_attribution settle(cfs_attribution a, uint32_t ms, uint32_t reference_ms)
{
    if (!cfs_attr_needs_latency(a)) return a;
    int usable = reference_ms >= REF_USABLE_MS;
    /* The middle zone is origin-like when the distribution's own fetches are that fast. */
    int origin_like = ms != CFS_NO_MILLIS &&
                      (ms >= ORIGIN_MIN_MS || (ms > EDGE_MAX_MS && usable && ms * 3 >= reference_ms));
    int edge = ms != CFS_NO_MILLIS && ms <= EDGE_MAX_MS;
    /* A non-CloudFront body keeps the body rule it would have had without a web ACL unless
     * it is edge-fast, where a WAF custom response and a fast origin look the same. */
    if (is_body_pending(a.rule)) {
        int s3 = a.rule == R_PENDING_BODY_S3;
        if (edge) return make(s3 ? R_EDGE_BODY_S3 : R_EDGE_BODY);
        return make(s3 ? R_BODY_S3 : R_BODY);
    }
    const variant *v = variant_of(a.rule);
    if (v == NULL) return a;
    if (ms == CFS_NO_MILLIS) return make(v->no_time);
    if (origin_like) return make(v->origin);
    if (edge) {
        if (reference_ms == 0) return make(v->edge_abs);
        return make(usable ? v->edge : v->ambiguous);
    }
    return make(v->ambiguous);
}

uint32_t cfs_candidates(uint16_t rule, uint8_t excl)
{
    const uint32_t c = cfs_rule_candidates(rule), n = c & ~g_excl_causes[excl & CFS_EXCL_ALL];
    return n ? n : c;
}

uint8_t cfs_excl_kept(uint16_t rule, uint8_t excl)
{
    if (rule >= R_COUNT) return 0;
    if (rules[rule].kind == K_PROVISIONAL) return excl;
    const uint32_t c = cfs_rule_candidates(rule); /* also makes the tables */
    if (!c) return 0;
    const uint8_t kept = excl & g_excl_named[rule];
    /* one that would leave no candidate changes nothing (cfs_candidates): 0, so that a
     * row's candidates and its kept exclusions name each other */
    return (c & ~g_excl_causes[kept]) ? kept : 0;
}

cfs_settle_hint cfs_rule_settle_hint(uint16_t rule, int with_config, int with_waf)
{
    if (cfs_rule_is_config_newer(rule)) return CFS_HINT_CONFIG_NEWER;
    switch (rule) {
    case R_SIGNED_MISSING_RESTRICTED_UNLOGGED:
    case R_SIGNED_MISSING_XML_UNLOGGED: return CFS_HINT_COOKIES;
    case R_EDGE_WAF_ABS:
    case R_EDGE_WAF_UNLOGGED_ABS:
    case R_EDGE_NO_ACL_ABS:
    case R_EDGE_HTTP_ABS:
    case R_EDGE_SIGNED_ABS: return CFS_HINT_REFERENCE;
    case R_EDGE_HTTP:
    case R_AMBIG_HTTP:
    case R_HOST_NOT_ASSOCIATED_PARTIAL:
    case R_LEARNED_GENERIC_PAGE:
    case R_SHARED_PAGE:
    case R_ORIGIN_ONE_PAGE:
    case R_SIGNED_MISSING_XML:
    case R_S3_XML_UNCONFIGURED:
    case R_ORIGIN_ANY:
    case R_ORIGIN_RESULT_ANY:
    case R_CACHED_ORIGIN_ANY:
    case R_ORIGIN_FBL_ANY: return with_config ? CFS_HINT_NONE : CFS_HINT_CONFIG;
    case R_EDGE_WAF:
    case R_EDGE_BODY:
    case R_EDGE_BODY_S3:
    case R_SIGNED_PAGE_MISSING_OR_WAF:
    case R_SIGNED_PAGE_EXPIRED_OR_WAF:
    case R_SIGNED_HTML_MISSING_OR_WAF:
    case R_SIGNED_HTML_EXPIRED_OR_WAF:
    case R_EDGE_SIGNED_WAF: return with_waf ? CFS_HINT_NONE : CFS_HINT_WAF_LOGS;
    case R_EDGE_BLIND: return with_waf ? CFS_HINT_LAYOUT : CFS_HINT_WAF_LOGS;
    case R_EDGE_BLIND_NOWAF: return CFS_HINT_LAYOUT;
    default: break;
    }
    /* A variant's verdicts without a time (the line's latency fields are empty) and its
     * undecided ones (between the zones; R_AMBIG_HTTP above: the config settles it), which
     * the rule ids hold in one run (the report asks once per 403 row). */
    if (rule < R_AMBIG_HTTP || rule >= R_EDGE_BODY) return CFS_HINT_NONE;
    for (size_t i = 0; i < NVARIANTS; i++) {
        if (rule == variants[i].no_time) return CFS_HINT_TIME;
        if (rule == variants[i].ambiguous) return CFS_HINT_ORIGIN;
    }
    return CFS_HINT_NONE;
}

const char *cfs_rule_name(uint16_t rule)
{
    if (rule >= R_COUNT) return "invalid_rule";
    return rules[rule].name;
}

unsigned cfs_rule_count(void) { return R_COUNT; }

int cfs_rule_is_hidden_403(uint16_t rule) { return rule == R_HIDDEN_403; }

/* A rule's cause and evidence level as the table gives them (`cfscan rules`). */
cfs_cause cfs_rule_cause(uint16_t rule)
{
    return rule < R_COUNT ? (cfs_cause)rules[rule].cause : CFS_CAUSE_NONE;
}
cfs_evidence cfs_rule_evidence(uint16_t rule)
{
    return rule < R_COUNT ? (cfs_evidence)rules[rule].evidence : CFS_EV_NONE;
}
