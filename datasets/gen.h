/* datasets/gen.h: the model shared by the files of the generator core (datasets/gen_*.c) and
 * cfsgen.c: the options, the content tables, the world (distributions and viewers), one
 * log line, and the plan of files with the jobs that write them.  What each file does:
 *   gen_util.c      small helpers (gen_util.h: buffers, decimal writers, PRNG and pickers)
 *   gen_tables.c    the content tables: statuses, causes, edges, countries, agents, objects
 *   gen_world.c     distributions, viewers, layouts and the 403 cause sequence, from the seed
 *   gen_path.c      request paths (cs-uri-stem), table-driven per cache behavior
 *   gen_line.c      one log line: every field of an ordinary request or a 403 of one cause
 *   gen_files.c     the plan of files, generating and compressing each, --size sampling
 *   gen_faults.c    the damaged files and injected bad lines of --faults
 *   gen_companion.c labels.tsv, expected.json, config/ and waf/ (with a small JSON writer)
 *   cfsgen.c        the command line and main()
 * External symbols start with cfs_gen_ (project rule: a cfs_ prefix on external names). */
#ifndef DATASETS_GEN_H
#define DATASETS_GEN_H

#include <stdint.h>

#include <libdeflate.h>
#include <zstd.h>

#include "datasets/gen_api.h"
#include "datasets/gen_util.h"

/* ---- content tables (gen_tables.c) ---- */

/* Statuses written.  expected.json keys are these strings exactly as logged. */
/* clang-format off */
enum { S_000, S_200, S_201, S_204, S_206, S_301, S_304, S_307, S_403, S_404, S_502, S_503,
       S_101, S_202, S_405, /* only with --situations (WebSocket, WAF CHALLENGE and CAPTCHA) */
       NSTATUS };
/* clang-format on */
extern const char *const cfs_gen_status_str[NSTATUS];

/* Cause ids, same numbering and spelling as enum cfs_cause / cfs_cause_name() in
 * pipeline/types.h ("unknown" is never generated on purpose). */
/* clang-format off */
enum {
    C_NONE, C_GEO, C_WAF, C_SIG_MISSING, C_SIG_EXPIRED, C_SIG_INVALID, C_HTTPS, C_METHOD,
    C_CNAME, C_ORIGIN_S3, C_ORIGIN_CUSTOM, C_EDGE_OTHER, C_EDGE_FUNCTION, NCAUSE
};
/* clang-format on */

/* --situations (issue 10): real-distribution situations that mislead 403 attribution,
 * each written on request and named in labels.tsv's 4th column.  The order is the
 * --situations order of datasets/README.md; SIT_NONE is the `-` of ordinary lines. */
/* clang-format off */
enum {
    SIT_NONE, SIT_CACHED_ORIGIN, SIT_FAST_ORIGIN, SIT_CUSTOM_ERROR_PAGE, SIT_COOKIES_OFF, SIT_WAF_HTTP,
    SIT_WAF_CUSTOM_RESPONSE, SIT_CAPTCHA, SIT_EMPTY_KEY_PAIR_ID, SIT_SLOW_DOWNLOADS, SIT_EDGE_FUNCTION,
    SIT_DEFAULT_DOMAIN, SIT_CONFIG_NEWER, NSIT
};
/* clang-format on */
extern const char *const cfs_gen_situation_name[NSIT]; /* "-", "cached-origin", ... */
extern const char *const cfs_gen_cause_name[NCAUSE];

/* Table sizes are spelled out here because world_t and job_t hold arrays of them; a
 * definition in gen_tables.c with another count does not compile. */
#define NEDGE 62u
#define NCOUNTRY 34u
#define NBLOCKED 6u
#define NUA 21u
#define NWORDS 32u
#define NWAFRULE 6u
#define GEO_PER_COUNTRY 64u
#define UA_FIRST_BOT 13u /* cfs_gen_uas[13..] are bots and scripts, preferred by waf_block lines */

/* Edge locations (reference section 6): 3 letters (IATA-like) + site number + optional
 * -C<n>/-P<n>, and the country whose viewers it mostly serves. */
typedef struct edge_def {
    const char *code;
    const char *cc;
    uint16_t weight; /* global popularity for viewers away from home */
} edge_def;
extern const edge_def cfs_gen_edges[NEDGE];

/* Viewer countries: code, share of viewers, country of the edges that serve them. */
typedef struct country_def {
    const char *cc;
    uint16_t weight;
    const char *edge_cc;
} country_def;
extern const country_def cfs_gen_countries[NCOUNTRY];
/* Countries that a distribution may block (geo restriction blacklist). */
extern const country_def cfs_gen_blocked_countries[NBLOCKED];

typedef struct ua_def {
    const char *ua;
    uint16_t weight;
    uint8_t bot;
} ua_def;
extern const ua_def cfs_gen_uas[NUA];

extern const char *const cfs_gen_words[NWORDS];

/* Object kinds: extension, Content-Type and a size range (bytes, log-uniform). */
/* clang-format off */
enum { O_HTML, O_JS, O_CSS, O_JPG, O_PNG, O_WEBP, O_SVG, O_ICO, O_WOFF2, O_MP4, O_M3U8, O_PDF, O_ZIP, O_JSON, O_XML, O_TXT, NOTYPE };
/* clang-format on */
typedef struct otype_def {
    sv ext, ct;
    uint32_t min, max;
} otype_def;
extern const otype_def cfs_gen_otypes[NOTYPE];

/* AWS WAF rules that block (terminatingRuleId, terminatingRuleType).  A rule group's
 * block also names its group (ruleGroupList's ruleGroupId) and one of the group's rules
 * (its terminatingRule), chosen by the request id; other rules have group NULL. */
typedef struct waf_rule {
    const char *id, *type;
    uint16_t weight;
    const char *group;
    const char *inner[3]; /* the group's rules that block; unused ones NULL */
} waf_rule;
extern const waf_rule cfs_gen_waf_rules[NWAFRULE];
/* The rule --plant waf-uri adds (line_t.waf_rule == NWAFRULE names it). */
extern const waf_rule cfs_gen_plant_waf_rule;

extern const char cfs_gen_alnum_uc[]; /* A-Z 0-9: distribution ids, key ids, file names */

/* ---- field catalogue and layouts ---- */

/* clang-format off */
enum {
    F_DATE, F_TIME, F_EDGE, F_SC_BYTES, F_C_IP, F_METHOD, F_HOST, F_URI, F_STATUS, F_REFERER,
    F_UA, F_QUERY, F_COOKIE, F_RT, F_REQID, F_HOSTHDR, F_PROTO, F_CS_BYTES, F_TT, F_XFF,
    F_SSLP, F_SSLC, F_RRT, F_PROTOVER, F_FLE_STATUS, F_FLE_FIELDS, F_C_PORT, F_TTFB, F_DRT,
    F_CT, F_CLEN, F_RSTART, F_REND, /* the 33 legacy fields, in #Fields: order (§1.2) */
    F_TS_MS, F_COUNTRY,             /* standard logging v2 additions */
    NF
};
/* clang-format on */

enum { LAY_33, LAY_19, LAY_24, LAY_26, LAY_V2, NLAYOUT, LAY_MIXED = NLAYOUT };
extern const char *const cfs_gen_layout_name[NLAYOUT + 1]; /* --layout values, "mixed" last */

typedef struct layout {
    uint8_t nf;
    uint8_t f[NF];
    buf_t header; /* "#Version: 1.0\n#Fields: ...\n" (no #Version: for v2) */
    buf_t header_crlf;
} layout_t;

/* ---- options (cfsgen.c parses them) ---- */

enum { FMT_GZ, FMT_ZST, FMT_PLAIN };

/* clang-format off */
enum {
    FAULT_TRUNC_GZ, FAULT_CORRUPT_ZST, FAULT_GARBAGE, FAULT_LONG_LINE, FAULT_SHORT_LINES,
    FAULT_NO_HEADER, FAULT_EMPTY, FAULT_MULTI_MEMBER, FAULT_HEADER_SWITCH, FAULT_CRLF,
    FAULT_TRAILING_TAB, NFAULT
};
/* clang-format on */
/* --plant (cfscan diff's tests): changes to the first distribution's traffic from hour
 * plant_from of the run on (gen_plant.c). */
enum { PLANT_WAF_URI, PLANT_ORIGIN_403, PLANT_GEO, NPLANT };
extern const char *const cfs_gen_plant_name[NPLANT]; /* "waf-uri", "origin-403", "geo" */

typedef struct opts {
    const char *out;
    uint64_t seed;
    uint64_t world_seed; /* --world-seed: distributions and viewers (default: seed) */
    int world_seed_set;
    uint32_t plant;      /* bit per PLANT_* */
    uint32_t plant_from; /* --plant-from: hours from the start of the run */
    uint32_t dists, days, fph, lpf;
    int64_t start_day;
    uint64_t size; /* 0 = use lpf */
    int fmt, layout;
    int parquet;         /* --layout parquet: the v2 layout written as Parquet files */
    uint32_t faults;     /* bit per FAULT_* */
    uint32_t situations; /* bit per SIT_* (bit 0 unused) */
    double share403;
    int configs, waf;
    int threads; /* 0 = OpenMP default */
    /* --layout json|plain|realtime: the v2 field set written as standard logging v2 JSON
     * lines, as v2 W3C with another delimiter (delim; its #Fields: names joined by it), or
     * as headerless real-time log lines (real-time names in their fixed order), with file
     * names that are not CloudFront's legacy ones (gen_files.c) */
    int v2out;
    char delim;
} opts_t;
enum { V2OUT_NONE, V2OUT_JSON, V2OUT_PLAIN, V2OUT_REALTIME };

/* ---- the world: distributions and viewers, all derived from the seed (gen_world.c) ---- */

typedef struct client {
    char ip[40];
    uint8_t iplen;
    uint8_t v6;
    uint8_t country; /* index into cfs_gen_countries[] (cfs_gen_blocked_countries[] in the geo pool) */
    uint8_t ua;
    uint16_t home_edge;
} client_t;

enum { B_DEFAULT, B_STATIC, B_API, B_RESTRICTED, B_SECURE };

typedef struct dist {
    uint32_t num;    /* example-<num> */
    char id[15];     /* E + 13 uppercase alnum */
    char domain[40]; /* dxxxxxxxxxxxxx.cloudfront.net */
    uint32_t domainlen;
    char alias[2][48];      /* www.example-N.com, media.example-N.com */
    char badhost[3][48];    /* hosts that are NOT associated with this distribution */
    const char *restricted; /* "/private/" ... (signed URLs / cookies required) */
    const char *secure;     /* "/secure/" ... (HTTPS only) */
    int cookie_logging;
    uint8_t geo[3]; /* indices into cfs_gen_blocked_countries[] */
    uint32_t ngeo;
    char key_pair_id[16]; /* trusted public key id, K + 13 */
    char key_group_id[40];
    char oac_id[16];
    char webacl_arn[160];
    char etag[16];
    char referer[3][64];
    uint64_t salt; /* object sizes, names */
    /* --situations that change this whole distribution (gen_world.c assigns them) */
    uint8_t sit_page;           /* custom-error-page: CustomErrorResponses 403 -> /errors/403.html */
    uint8_t sit_remap;          /* custom-error-page: 403 remapped to 200 /index.html (hidden 403s) */
    uint8_t sit_cookies_off;    /* cookies-off: signed cookies sent, cookie logging off */
    uint8_t sit_fast_origin;    /* fast-origin: API Miss >= 120 ms, its 403s in 20-40 ms */
    uint8_t sit_config_newer;   /* config-newer: LastModifiedTime noon of day 1, https-only from then */
    uint8_t sit_default_domain; /* default-domain: get-distribution-config shape, viewers on dxxx */
    uint8_t sit_functions;      /* edge-function: CloudFront Function + Lambda@Edge associations */
    uint32_t page_len;          /* sc-content-len of the custom 403 page / of /index.html */
    uint8_t plant_geo;          /* --plant geo: the config blocks cfs_gen_plant_geo too */
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
    int64_t newer_from; /* config-newer: epoch of the config's LastModifiedTime (noon, day 1) */
} world_t;

/* Write a generated v2 file's text (its #Fields: line and data lines) to path as
 * CloudFront v2 Parquet (gen_parquet.c); 0 or an errno value. */
int cfs_gen_write_parquet(const char *path, const char *text, size_t n, uint64_t *out_bytes);

/* Options as cfsgen has them without arguments (out stays NULL). */
void cfs_gen_opts_default(opts_t *o);
const char *cfs_gen_field_name(int f); /* the standard name of F_* */
/* --layout realtime: realtime-config.json (as `aws cloudfront get-realtime-log-config`
 * prints it) in the output directory; non-zero when it cannot be written. */
int cfs_gen_write_realtime_config(const world_t *W);
void cfs_gen_world_init(world_t *W, const opts_t *o);
void cfs_gen_world_free(world_t *W);

/* ---- one log line (gen_path.c, gen_line.c) ---- */

#define LINE_SCRATCH 16384
#define MAX_LINE 12288 /* no generated line is longer; checked after each line */

typedef struct line {
    sv v[NF];
    char *sp; /* next free byte of scratch */
    /* facts for accounting and the WAF record */
    int64_t ts;  /* epoch seconds of date+time */
    uint32_t ms; /* millisecond part of timestamp(ms) */
    uint8_t status, cause, method_idx;
    uint16_t edge;
    sv raw_query; /* what the viewer sent (WAF args); "" when none */
    sv raw_ua;    /* decoded user agent */
    sv country;
    uint32_t waf_rule;
    uint8_t situation;   /* SIT_* named in labels.tsv (SIT_NONE: ordinary) */
    uint8_t waf_action;  /* WAF record other than the cause's own: WA_CAPTCHA, WA_CHALLENGE */
    uint8_t waf_code403; /* the BLOCK record carries responseCodeSent 403 (custom response) */
    uint8_t hidden;      /* a 403 remapped by CustomErrorResponses to another status */
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

enum { M_GET, M_HEAD, M_POST, M_PUT, M_DELETE, M_OPTIONS, M_PATCH };

enum { WA_ALLOW, WA_BLOCK, WA_CAPTCHA, WA_CHALLENGE };

/* Fill every field of L.  cause = C_NONE for ordinary traffic, else the 403 to write. */
void cfs_gen_line(const fctx_t *F, rng_t *r, line_t *L, int cause);
/* The same with a line-level situation (SIT_NONE, or one cfs_gen_draw_situation returned). */
void cfs_gen_line_sit(const fctx_t *F, rng_t *r, line_t *L, int cause, int sit);
/* cached-origin: line k of one cached-origin event seeded by evseed: k = 0 is the origin's
 * own 403, k >= 1 a copy served from the edge's cache within 10 s. */
void cfs_gen_cached_line(const fctx_t *F, uint64_t evseed, uint32_t k, line_t *L);
/* A path for behavior beh into L; returns the object kind, *objn its popularity index. */
int cfs_gen_path(const fctx_t *F, rng_t *r, line_t *L, int beh, uint32_t *objn);
/* A path for origin_s3 403s: "/", directory-like paths ending '/', and missing objects. */
void cfs_gen_s3_denied_path(rng_t *r, line_t *L, int *type);
uint64_t cfs_gen_obj_size(const dist_t *D, int type, uint32_t n);

static inline char *put_word(char *p, rng_t *r) { return put_str(p, cfs_gen_words[rng_below(r, NWORDS)]); }

/* Write the line in the layout's field order. */
static inline char *emit_line(char *out, const line_t *L, const layout_t *lay, int nf_limit, int crlf,
                              int ttab)
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

/* ---- files: the plan, one job per file (gen_files.c, gen_faults.c) ---- */

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
    uint32_t fidx; /* index of the file in its hour (0..--files-per-hour-1) */
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
    uint64_t hidden403;
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

/* Per-thread resources. */
typedef struct tls {
    line_t *line;
    line_t *pline; /* a line --plant writes in place of line */
    buf_t text, comp;
    struct libdeflate_compressor *gz;
    ZSTD_CCtx *zc;
} tls_t;

typedef struct inj {
    uint32_t pos;
    uint8_t what;
} inj_t;

void cfs_gen_plan_build(const world_t *W, plan_t *P);
void cfs_gen_plan_free(plan_t *P);
void cfs_gen_fctx_init(const world_t *W, uint32_t dist, uint32_t day, uint32_t hour, fctx_t *F);
/* The 403 cause of the next line: C_NONE, or the next step of the cause sequence. */
int cfs_gen_draw_cause(const world_t *W, rng_t *r, uint32_t off, uint32_t *k403);
/* With --situations: the line-level situation of the next line (SIT_NONE mostly). */
int cfs_gen_draw_situation(const world_t *W, rng_t *r, int cause);
void cfs_gen_job_generate(const world_t *W, job_t *J, tls_t *T);
void cfs_gen_job_write(const world_t *W, job_t *J, tls_t *T);
void cfs_gen_tls_init(tls_t *T);
void cfs_gen_tls_free(tls_t *T);
double cfs_gen_mean_line_bytes(const world_t *W, const plan_t *P);

/* gen_plant.c: with --plant, 1 when the regular line L (of job J) is replaced in the log
 * by P, a planted line drawn from rp (L itself stays as it was, for the draws the caller
 * makes after it). */
int cfs_gen_plant_line(const fctx_t *F, const job_t *J, rng_t *rp, const line_t *L, line_t *P);
/* The countries --plant geo adds to the first distribution's geo restriction: its
 * config lists them, NULL-terminated. */
extern const char *const cfs_gen_plant_geo[];

/* gen_faults.c */
size_t cfs_gen_plan_faults(const opts_t *o, plan_t *P, size_t n);
int cfs_gen_inject_plan(rng_t *r, const job_t *J, inj_t *inj);
void cfs_gen_inject_line(const fctx_t *F, rng_t *r, job_t *J, tls_t *T, const layout_t *lay, int crlf,
                         uint8_t what);
void cfs_gen_fault_damage(const job_t *J, buf_t *comp);

/* ---- companion files (gen_companion.c) ---- */

void cfs_gen_waf_record(job_t *J, const fctx_t *F, const line_t *L, int action, rng_t *r);
int cfs_gen_write_labels(const world_t *W, const plan_t *P);
int cfs_gen_write_expected(const world_t *W, const plan_t *P);
int cfs_gen_write_configs(const world_t *W);
int cfs_gen_write_waf(const world_t *W, const plan_t *P);

#endif
