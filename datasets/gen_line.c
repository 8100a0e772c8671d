/* datasets/gen_line.c: one log line.  gen_line draws the time and the viewer, then a
 * request: an ordinary one of a weighted kind (kind_gen[]) or a 403 with the signature of
 * its cause (cause_gen[], as datasets/README.md "403 causes" lists them), then writes the
 * cookies, protocol, encoded query and numbers.  Every field is a span into the line's
 * scratch or a table; emit_line (gen.h) writes them in a layout's order. */
#include <math.h>

#include "datasets/gen.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/* CloudFront signed-URL alphabet: base64 with '+' '=' '/' replaced by '-' '_' '~'
 * (private-content-linux-openssl.md: tr '+=/' '-_~'). */
static const char b64cf[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~";

static const sv methods[] = {SV("GET"),    SV("HEAD"),    SV("POST"), SV("PUT"),
                             SV("DELETE"), SV("OPTIONS"), SV("PATCH")};

static const sv dash = {"-", 1};

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

/* How a request is signed: signed cookies (only where cookies are logged, cookie_pct of
 * those), else a canned-policy query (canned_pct) or a custom-policy query. */
static int sign_how(const dist_t *D, rng_t *r, uint32_t cookie_pct, uint32_t canned_pct)
{
    /* cookies-off: the viewers send signed cookies all the same; the log just omits them */
    if ((D->cookie_logging || D->sit_cookies_off) && rng_pct(r, cookie_pct)) return SIG_COOKIES;
    return rng_pct(r, canned_pct) ? SIG_CANNED_QUERY : SIG_POLICY_QUERY;
}

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
/* clang-format off */
enum { K_HIT, K_MISS, K_REFRESH, K_API, K_SIGNED_OK, K_304, K_206, K_301, K_307, K_404, K_000, K_502, K_503, K_OPTIONS, NKIND };
/* clang-format on */
static const uint16_t kind_w[NKIND] = {500, 150, 30, 80, 30, 60, 30, 30, 5, 50, 10, 7, 3, 15};

static const sv rt_hit = SV("Hit"), rt_miss = SV("Miss"), rt_refresh = SV("RefreshHit"),
                rt_error = SV("Error"), rt_redirect = SV("Redirect");

/* The request and response of one line, decided by its kind or cause before the fields
 * are written.  The query and cookie are the viewer's raw bytes, encoded at the end. */
typedef struct req {
    int method, http, beh, type, status, ranged, signed_cookie;
    int ws;              /* slow-downloads WebSocket: cs-protocol ws/wss */
    uint32_t min_api_ms; /* fast-origin: the custom origin's first byte takes at least this */
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
    R->ws = 0;
    R->min_api_ms = 0;
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
    /* fast-origin: this distribution's API answers its 2xx after 120 ms or more (no draw:
     * the other distributions keep their bytes) */
    if (R->beh == B_API && R->ttfb < R->min_api_ms) R->ttfb = R->min_api_ms + R->ttfb % 80;
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

/* A fixed text/html answer of the edge itself (redirects, capacity), after the path. */
static void edge_answer(rng_t *r, req_t *R, int status, sv rt, int64_t clen, uint64_t body)
{
    R->status = status;
    set_rt(R, rt);
    R->ct = SV("text/html");
    R->clen = clen;
    R->body = body;
    edge_times(r, R);
}

/* ---- ordinary traffic, one function per kind ---- */

typedef void kind_fn(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind);

static void kind_cached(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 48 ? B_DEFAULT : bv < 90 ? B_STATIC : B_SECURE;
    R->method = rng_pct(r, 5) ? M_HEAD : M_GET;
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    uint64_t sz = R->beh == B_SECURE && R->type == O_HTML ? 3000 + rng_below(r, 40000)
                                                          : cfs_gen_obj_size(F->D, R->type, R->objn);
    R->clen = (int64_t)sz;
    R->body = R->method == M_HEAD ? 0 : sz;
    R->ct = cfs_gen_otypes[R->type].ct;
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
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
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
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    uint64_t sz = cfs_gen_obj_size(D, R->type, R->objn);
    int how = sign_how(D, r, 30, 70);
    put_signed(F, r, how, L->ts + rng_range(r, 300, 86400), D->key_pair_id, &R->q, &R->ck);
    R->signed_cookie = how == SIG_COOKIES;
    R->ct = cfs_gen_otypes[R->type].ct;
    if (R->type == O_MP4 || R->type == O_ZIP) {
        R->status = S_206;
        draw_range(r, R, sz, 0);
        set_rt(R, rng_pct(r, 60) ? rt_hit : rt_miss);
    } else {
        R->clen = (int64_t)sz;
        R->body = sz;
        set_rt(R, rng_pct(r, 60) ? rt_hit : rt_miss);
    }
    if (R->rt.p == rt_hit.p) hit_times(r, R, R->body);
    else origin_times(r, R, R->body);
}

static void kind_304(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    R->beh = rng_pct(r, 50) ? B_DEFAULT : B_STATIC;
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_304;
    R->ct = cfs_gen_otypes[R->type].ct;
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
        R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
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
    draw_range(r, R, cfs_gen_obj_size(F->D, R->type, R->objn), 20);
    R->status = S_206;
    R->ct = cfs_gen_otypes[R->type].ct;
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
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    edge_answer(r, R, S_301, rt_redirect, 167, R->method == M_HEAD ? 0 : 167);
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
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    edge_answer(r, R, S_307, rt_redirect, 167, 167);
}

static void kind_404(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 55 ? B_DEFAULT : bv < 85 ? B_STATIC : B_API;
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
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
    if (rng_pct(r, 20)) edge_times(r, R); /* cached error response (DRT Error covers it) */
    else origin_times(r, R, R->body);
}

/* the viewer hung up before the response started */
static void kind_000(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 45 ? B_DEFAULT : bv < 85 ? B_STATIC : B_API;
    if (R->beh == B_API && rng_pct(r, 40)) R->method = M_POST;
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->status = S_000;
    R->rt = rt_error;
    R->rrt = rng_pct(r, 50) ? rt_hit : rt_miss;
    R->drt = SV("ClientCommError");
    R->ct = cfs_gen_otypes[R->type].ct;
    R->body = 0;
    R->clen = -1;
    if (R->rrt.p == rt_hit.p) hit_times(r, R, 0);
    else origin_times(r, R, 0);
}

static void kind_502(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    static const char *const d5[] = {"OriginDnsError", "OriginConnectError", "OriginCommError"};
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 40 ? B_DEFAULT : B_API;
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
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
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
    edge_answer(r, R, S_503, SV("CapacityExceeded"), 494, 494);
}

/* CORS preflight on behaviors that allow OPTIONS */
static void kind_options(const fctx_t *F, rng_t *r, line_t *L, req_t *R, int kind)
{
    (void)kind;
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 50 ? B_API : bv < 85 ? B_STATIC : B_SECURE;
    R->method = M_OPTIONS;
    R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
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
    if (R->rt.p == rt_hit.p) hit_times(r, R, 0);
    else origin_times(r, R, 0);
}

/* clang-format off */
static kind_fn *const kind_gen[NKIND] = {
    [K_HIT] = kind_cached, [K_MISS] = kind_cached, [K_REFRESH] = kind_cached, [K_API] = kind_api,
    [K_SIGNED_OK] = kind_signed_ok, [K_304] = kind_304, [K_206] = kind_206, [K_301] = kind_301,
    [K_307] = kind_307, [K_404] = kind_404, [K_000] = kind_000, [K_502] = kind_502,
    [K_503] = kind_503, [K_OPTIONS] = kind_options,
};
/* clang-format on */

/* ---- 403s: the signature of each cause per datasets/README.md "403 causes" ---- */

typedef void cause_fn(const fctx_t *F, rng_t *r, line_t *L, req_t *R);

static void cause_geo(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    R->method = rng_pct(r, 5) ? M_HEAD : M_GET;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->drt = SV("ClientGeoBlocked");
    R->clen = 1081;
    edge_times(r, R);
}

static void cause_waf(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    /* what the WAF rules typically catch; the viewer's own %-encoding */
    /* clang-format off */
    static const char *const bad[] = {
        "id=1%27%20OR%20%271%27=%271", "file=../../../../etc/passwd", "q=%3Cscript%3Ealert(1)%3C/script%3E",
        "cmd=;cat%20/etc/shadow", "redirect=http://evil.example.net/", "search=UNION%20SELECT%20password%20FROM%20users"};
    /* clang-format on */
    if (rng_pct(r, 60)) {
        R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    } else {
        R->beh = B_API;
        R->method = rng_pct(r, 50) ? M_GET : M_POST;
    }
    cfs_gen_path(F, r, L, R->beh, &R->objn);
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
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    if (rng_pct(r, 25)) R->q = put_str(R->q, rng_pct(r, 50) ? "download=1" : "v=3");
    R->ct = SV("text/xml"); /* MissingKey */
    R->clen = 146;
    edge_times(r, R);
}

static void cause_sig_expired(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    const dist_t *D = F->D;
    R->beh = B_RESTRICTED;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    int64_t exp_at = L->ts - (int64_t)rng_range(r, 60, 30 * 86400);
    int how = sign_how(D, r, 30, 65);
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
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    int64_t exp_at = L->ts + (int64_t)rng_range(r, 60, 7 * 86400);
    int how = sign_how(D, r, 25, 70);
    /* a third use a key id the behavior does not trust (InvalidKey), the rest a bad
     * signature (MalformedSignature / query string changed after signing) */
    char other_key[16];
    other_key[0] = 'K';
    cfs_gen_rand_str(r, other_key + 1, 13, cfs_gen_alnum_uc, 36);
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
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->clen = 915;
    edge_times(r, R);
    /* config-newer: the prefix became https-only at the config's LastModifiedTime; before
     * it, a plain-http GET there was redirected like on any redirect-to-https behavior */
    if (F->D->sit_config_newer && R->beh == B_SECURE && L->ts < F->W->newer_from) {
        R->method = M_GET;
        edge_answer(r, R, S_301, rt_redirect, 167, 167);
    }
}

static void cause_method(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    static const uint16_t mw[] = {0, 0, 60, 20, 15, 0, 5};
    uint32_t bv = rng_below(r, 100);
    R->beh = bv < 50 ? B_DEFAULT : bv < 85 ? B_STATIC : B_SECURE;
    R->method = (int)pick_w(r, mw, 7);
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->drt = SV("InvalidRequestMethod");
    R->clen = 1053;
    edge_times(r, R);
}

static void cause_cname(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    L->v[F_HOSTHDR] = sv_z(F->D->badhost[rng_below(r, 3)]);
    R->clen = 915;
    edge_times(r, R);
}

static void cause_origin_s3(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    (void)F;
    R->beh = B_DEFAULT;
    R->method = rng_pct(r, 6) ? M_HEAD : M_GET;
    cfs_gen_s3_denied_path(r, L, &R->type);
    R->ct = SV("application/xml"); /* S3 AccessDenied */
    R->clen = 243 + rng_below(r, 5);
    if (rng_pct(r, 20)) {
        set_rt(R, rt_hit); /* cached 403 served from the edge */
        edge_times(r, R);
    } else origin_times(r, R, (uint64_t)R->clen);
}

static void cause_origin_custom(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    static const uint16_t mw[] = {60, 0, 30, 5, 5, 0, 0};
    R->beh = B_API;
    R->method = (int)pick_w(r, mw, 7);
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->ct = rng_pct(r, 50) ? SV("text/html") : SV("application/json");
    R->clen = (int64_t)(100 * pow(50.0, rng_unit(r)));
    origin_times(r, R, (uint64_t)R->clen);
    if (L->situation == SIT_CACHED_ORIGIN) {
        /* a cacheable origin 403: GET, the origin's own HTML page */
        R->method = M_GET;
        R->ct = SV("text/html");
    }
    if (F->D->sit_fast_origin) {
        /* fast-origin: a cache or load balancer in front of the API answers 403 at once */
        R->ttfb = rng_range(r, 20, 40);
        R->tt = R->ttfb + rng_below(r, 3);
        R->ct = SV("text/html");
        if (L->situation == SIT_NONE) L->situation = SIT_FAST_ORIGIN;
    }
}

static void cause_edge_other(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 70) ? B_DEFAULT : B_STATIC;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    uint32_t ev = rng_below(r, 100);
    if (ev < 25) R->drt = SV("InvalidRequestBlocked");
    else if (ev < 45) R->drt = SV("InvalidRequest");
    else if (ev < 65) R->drt = SV("InvalidRequestHeader");
    else if (ev < 85) set_rt(R, SV("LimitExceeded"));
    else {
        /* a CloudFront Function answered: code at the edge, its own cause (issue 10) */
        set_rt(R, SV("FunctionGeneratedResponse"));
        L->cause = C_EDGE_FUNCTION;
    }
    /* CloudFront answers malformed requests and quota refusals with its generic "Bad
     * request" page, the page of unassociated hosts and HTTPS-only refusals (915 bytes
     * here); a function writes a body of its own.  The draw is kept for both so that the
     * rest of the stream does not move. */
    uint32_t own = 900 + rng_below(r, 200);
    R->clen = ev < 85 ? 915 : own;
    edge_times(r, R);
    if (ev >= 85) R->tt = R->ttfb = R->tt + 1; /* the function ran */
}

/* ---- --situations: the lines of one situation (datasets/README.md "Situations") ---- */

/* waf-http: a WAF block of a plain-http GET on a redirect-to-https behavior (WAF answers
 * before the viewer protocol policy redirects). */
static void sit_waf_http(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 60) ? B_DEFAULT : B_STATIC;
    R->http = 1;
    R->method = M_GET;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    L->waf_rule = pick_w(r, F->W->waf_w, NWAFRULE);
    R->clen = 919;
    edge_times(r, R);
    R->tt += rng_below(r, 3);
    R->ttfb = R->tt;
}

/* waf-custom-response: a rule's custom response, 403 with a small JSON body of the
 * user's choosing (one per web ACL), answered at the edge */
static void sit_waf_custom(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    cause_waf(F, r, L, R);
    R->ct = SV("application/json");
    R->clen = 38; /* {"error":"forbidden","code":"WAF-403"} */
    R->body = 38;
    L->waf_code403 = 1;
}

/* empty-key-pair-id: a Signature with `Key-Pair-Id=` empty, or without Key-Pair-Id at all:
 * CloudFront answers MissingKey */
static void sit_empty_key(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = B_RESTRICTED;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    R->q = put_str(R->q, "Expires=");
    R->q = put_u64(R->q, (uint64_t)(L->ts + rng_range(r, 300, 86400)));
    R->q = put_str(R->q, "&Signature=");
    R->q = put_signature(R->q, r);
    if (rng_pct(r, 60)) R->q = put_str(R->q, "&Key-Pair-Id=");
    R->ct = SV("text/xml"); /* MissingKey */
    R->clen = 146;
    edge_times(r, R);
}

/* edge-function: the viewer-request CloudFront Function of the default and /static/
 * behaviors, or the Lambda@Edge function of /api/, answers 403 itself */
static void sit_edge_function(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    if (rng_pct(r, 50)) {
        R->beh = rng_pct(r, 50) ? B_DEFAULT : B_STATIC;
        cfs_gen_path(F, r, L, R->beh, &R->objn);
        set_rt(R, SV("FunctionGeneratedResponse"));
        if (rng_pct(r, 60)) {
            R->ct = dash; /* only a status code */
            R->clen = 0;
        } else R->clen = rng_range(r, 40, 200);
        edge_times(r, R);
        R->tt = R->ttfb = R->tt + 1;
    } else {
        R->beh = B_API;
        R->method = rng_pct(r, 70) ? M_GET : M_POST;
        cfs_gen_path(F, r, L, R->beh, &R->objn);
        set_rt(R, SV("LambdaGeneratedResponse"));
        R->ct = rng_pct(r, 50) ? SV("application/json") : SV("text/html");
        R->clen = rng_range(r, 20, 500);
        R->ttfb = rng_range(r, 5, 60); /* the function's run time */
        R->tt = R->ttfb + rng_below(r, 2);
    }
}

/* captcha (not 403): the WAF answered a CAPTCHA (405) or a silent challenge (202) */
static void sit_captcha_page(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    R->beh = rng_pct(r, 70) ? B_DEFAULT : B_STATIC;
    cfs_gen_path(F, r, L, R->beh, &R->objn);
    int captcha = rng_pct(r, 50);
    R->status = captcha ? S_405 : S_202;
    set_rt(R, rt_error);
    R->ct = SV("text/html");
    R->clen = captcha ? 2380 : 1942;
    R->body = (uint64_t)R->clen;
    edge_times(r, R);
    R->tt += rng_below(r, 3);
    R->ttfb = R->tt;
    L->waf_action = captcha ? WA_CAPTCHA : WA_CHALLENGE;
}

/* slow-downloads (not 403): large Miss downloads whose time-taken runs to the last byte,
 * WebSocket connections logged as Miss when they close, and 304 RefreshHit revalidations */
static void sit_slow(const fctx_t *F, rng_t *r, line_t *L, req_t *R)
{
    uint32_t k = rng_below(r, 3);
    R->status = S_200;
    set_rt(R, rt_miss);
    if (k == 0) {
        R->beh = B_STATIC;
        char *s = L->sp, *p = s;
        p = put_str(p, "/static/downloads/");
        p = put_word(p, r);
        p = put_str(p, rng_pct(r, 50) ? "-installer.zip" : "-full.mp4");
        L->v[F_URI] = (sv){s, (uint32_t)(p - s)};
        L->sp = p;
        R->ct = p[-1] == 'p' ? SV("application/zip") : SV("video/mp4");
        uint64_t sz = (uint64_t)rng_range(r, 50, 800) << 20;
        R->clen = (int64_t)sz;
        R->body = sz;
        R->ttfb = origin_ms(r);
        R->tt = R->ttfb + (uint32_t)(sz / ((uint64_t)rng_range(r, 1, 20) * 1000u));
    } else if (k == 1) {
        R->beh = B_API;
        R->ws = 1;
        R->status = S_101;
        R->protover = SV("HTTP/1.1");
        L->v[F_URI] = rng_pct(r, 50) ? SV("/api/socket") : SV("/api/live/updates");
        R->ct = dash;
        R->clen = -1;
        R->body = rng_range(r, 1000, 4000000);
        R->ttfb = origin_ms(r);
        R->tt = R->ttfb + rng_range(r, 60000, 900000); /* the connection's whole life */
    } else {
        R->beh = rng_pct(r, 50) ? B_DEFAULT : B_STATIC;
        R->type = cfs_gen_path(F, r, L, R->beh, &R->objn);
        R->status = S_304;
        set_rt(R, rt_refresh);
        R->ct = cfs_gen_otypes[R->type].ct;
        origin_times(r, R, 0);
        R->ttfb += rng_range(r, 50, 400); /* the revalidation waits for the origin */
        R->tt = R->ttfb;
    }
}

/* clang-format off */
static cause_fn *const cause_gen[NCAUSE] = {
    [C_GEO] = cause_geo, [C_WAF] = cause_waf, [C_SIG_MISSING] = cause_sig_missing,
    [C_SIG_EXPIRED] = cause_sig_expired, [C_SIG_INVALID] = cause_sig_invalid, [C_HTTPS] = cause_https,
    [C_METHOD] = cause_method, [C_CNAME] = cause_cname, [C_ORIGIN_S3] = cause_origin_s3,
    [C_ORIGIN_CUSTOM] = cause_origin_custom, [C_EDGE_OTHER] = cause_edge_other,
    [C_EDGE_FUNCTION] = sit_edge_function,
};
/* clang-format on */

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
        L->country = sv_z(cfs_gen_blocked_countries[c->country].cc);
    } else {
        c = &W->cl[pick_cum(r, W->cl_cum, W->ncl)];
        L->country = sv_z(cfs_gen_countries[c->country].cc);
    }
    L->v[F_COUNTRY] = L->country;
    L->v[F_C_IP] = (sv){c->ip, c->iplen};
    L->edge = rng_pct(r, 85) ? c->home_edge : (uint16_t)pick_cum(r, W->edge_cum, NEDGE);
    L->v[F_EDGE] = sv_z(cfs_gen_edges[L->edge].code);
    uint32_t ua = rng_pct(r, 90) ? c->ua : pick_w(r, W->ua_w, NUA);
    if (cause == C_WAF && rng_pct(r, 50)) ua = UA_FIRST_BOT + rng_below(r, NUA - UA_FIRST_BOT);
    int old = F->old_enc || rng_below(r, 100) < 2; /* a small share keeps %2520 always */
    L->v[F_UA] = old ? W->ua_enc2[ua] : W->ua_enc[ua];
    L->raw_ua = sv_z(cfs_gen_uas[ua].ua);

    uint32_t rv = rng_below(r, 100);
    L->v[F_REFERER] = rv < 50   ? dash
                      : rv < 75 ? sv_z(D->referer[rv % 3])
                      : rv < 90 ? SV("https://www.google.com/")
                      : rv < 93 ? SV("https://www.bing.com/")
                      : rv < 96 ? SV("https://duckduckgo.com/")
                                : SV("https://t.co/");
    L->v[F_HOST] = (sv){D->domain, D->domainlen};
    uint32_t hv = rng_below(r, 100);
    L->v[F_HOSTHDR] = hv < 55   ? sv_z(D->alias[0])
                      : hv < 75 ? sv_z(D->alias[1])
                                : (sv){D->domain, D->domainlen};
    if (D->sit_default_domain) /* default-domain: most viewers use dxxxx.cloudfront.net itself */
        L->v[F_HOSTHDR] = hv < 60   ? (sv){D->domain, D->domainlen}
                          : hv < 85 ? sv_z(D->alias[0])
                                    : sv_z(D->alias[1]);
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
            L->v[F_SSLC] = cv < 70   ? SV("TLS_AES_128_GCM_SHA256")
                           : cv < 90 ? SV("TLS_AES_256_GCM_SHA384")
                                     : SV("TLS_CHACHA20_POLY1305_SHA256");
        } else {
            L->v[F_SSLP] = SV("TLSv1.2");
            cv = rng_below(r, 100);
            L->v[F_SSLC] = cv < 75   ? SV("ECDHE-RSA-AES128-GCM-SHA256")
                           : cv < 95 ? SV("ECDHE-RSA-AES256-GCM-SHA384")
                                     : SV("ECDHE-RSA-CHACHA20-POLY1305");
        }
    }
    L->v[F_PROTOVER] = R->protover;
    L->v[F_METHOD] = methods[R->method];
    L->method_idx = (uint8_t)R->method;
    L->status = (uint8_t)R->status;
    L->v[F_STATUS] = (sv){cfs_gen_status_str[R->status], 3};
    L->v[F_RT] = R->rt;
    L->v[F_RRT] = R->rrt;
    L->v[F_DRT] = R->drt;
    L->v[F_CT] = R->ct;
    L->v[F_FLE_STATUS] = dash;
    L->v[F_FLE_FIELDS] = dash;
    if (R->ws) L->v[F_PROTO] = R->http ? SV("ws") : SV("wss");
}

/* query and cookie: raw bytes kept for WAF, encoded per §1.3 for the log */
static void line_query_cookie(const fctx_t *F, line_t *L, const req_t *R)
{
    if (R->q > R->qbuf) {
        char *raw = L->sp;
        size_t n = (size_t)(R->q - R->qbuf);
        memcpy(raw, R->qbuf, n);
        L->raw_query = (sv){raw, (uint32_t)n};
        char *e = cfs_gen_log_encode(raw + n, R->qbuf, n);
        L->v[F_QUERY] = (sv){raw + n, (uint32_t)(e - (raw + n))};
        L->sp = e;
    } else {
        L->raw_query = (sv){"", 0};
        L->v[F_QUERY] = dash;
    }
    if (R->ck > R->cbuf && F->D->cookie_logging) {
        char *s = L->sp;
        char *e = cfs_gen_log_encode(s, R->cbuf, (size_t)(R->ck - R->cbuf));
        L->v[F_COOKIE] = (sv){s, (uint32_t)(e - s)};
        L->sp = e;
    } else L->v[F_COOKIE] = dash;
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
    uint64_t csb = 60 + rng_below(r, 300) + L->v[F_UA].n / 2 + (uint64_t)(R->ck - R->cbuf) +
                   (uint64_t)(R->q - R->qbuf);
    if (R->method == M_POST || R->method == M_PUT || R->method == M_PATCH) csb += rng_range(r, 40, 8000);
    put_num_field(L, F_CS_BYTES, csb);
    if (R->ttfb > R->tt) R->ttfb = R->tt;
    put_secs_field(L, F_TT, R->tt);
    put_secs_field(L, F_TTFB, R->ttfb);
    put_num_field(L, F_C_PORT, rng_range(r, 1024, 65535));
    if (R->clen >= 0) put_num_field(L, F_CLEN, (uint64_t)R->clen);
    else L->v[F_CLEN] = dash;
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
    } else L->v[F_XFF] = dash;
}

/* The situation a 403 line belongs to when no line-level situation claimed it: what its
 * distribution's own situation changed about it. */
static int dist_situation(const fctx_t *F, const line_t *L, const req_t *R)
{
    const dist_t *D = F->D;
    if (D->sit_page) return SIT_CUSTOM_ERROR_PAGE;
    if (D->sit_cookies_off && R->signed_cookie && (L->cause == C_SIG_EXPIRED || L->cause == C_SIG_INVALID))
        return SIT_COOKIES_OFF;
    if (D->sit_config_newer && L->ts < F->W->newer_from) return SIT_CONFIG_NEWER;
    if (D->sit_default_domain && L->v[F_HOSTHDR].n == D->domainlen &&
        !memcmp(L->v[F_HOSTHDR].p, D->domain, D->domainlen))
        return SIT_DEFAULT_DOMAIN;
    return SIT_NONE;
}

/* CustomErrorResponses of the distribution, applied to a 403 as CloudFront does: the
 * custom page's type and length (a WAF custom response takes precedence), or the remap to
 * 200 with /index.html, logged as result type Error. */
static void custom_error(const fctx_t *F, line_t *L, req_t *R)
{
    const dist_t *D = F->D;
    if (L->waf_code403) return; /* a WAF custom response is sent as the rule says */
    if (D->sit_remap) {
        R->status = S_200;
        /* a 200 that is an error response: Error before responding too (x-edge-response-
         * result-type; Error after it alone is a viewer that went away, reference §4) */
        R->rt = R->rrt = R->drt = rt_error;
        L->hidden = 1;
    } else if (!D->sit_page) return;
    R->ct = SV("text/html");
    R->clen = D->page_len;
    R->body = R->method == M_HEAD ? 0 : D->page_len;
}

void cfs_gen_line(const fctx_t *F, rng_t *r, line_t *L, int cause)
{
    cfs_gen_line_sit(F, r, L, cause, SIT_NONE);
}

void cfs_gen_line_sit(const fctx_t *F, rng_t *r, line_t *L, int cause, int sit)
{
    L->sp = L->scratch;
    L->situation = (uint8_t)sit;
    L->waf_action = 0;
    L->waf_code403 = 0;
    L->hidden = 0;
    /* a line-level situation decides the true cause */
    if (sit == SIT_WAF_HTTP || sit == SIT_WAF_CUSTOM_RESPONSE) cause = C_WAF;
    else if (sit == SIT_EMPTY_KEY_PAIR_ID) cause = C_SIG_MISSING;
    else if (sit == SIT_EDGE_FUNCTION) cause = C_EDGE_FUNCTION;
    else if ((sit == SIT_CAPTCHA && cause != C_NONE) || sit == SIT_CACHED_ORIGIN) cause = C_ORIGIN_CUSTOM;
    L->cause = (uint8_t)cause;
    line_time(F, r, L);
    line_viewer(F, r, L, cause);

    req_t R;
    req_init(&R);
    if (F->D->sit_fast_origin) R.min_api_ms = 120;
    uint32_t pv = rng_below(r, 100);
    R.protover = pv < 65   ? SV("HTTP/2.0")
                 : pv < 89 ? SV("HTTP/1.1")
                 : pv < 98 ? SV("HTTP/3.0")
                           : SV("HTTP/1.0");
    if (cause == C_NONE) {
        if (sit == SIT_CAPTCHA) sit_captcha_page(F, r, L, &R);
        else if (sit == SIT_SLOW_DOWNLOADS) sit_slow(F, r, L, &R);
        else {
            int kind = (int)pick_w(r, kind_w, NKIND);
            kind_gen[kind](F, r, L, &R, kind);
        }
    } else {
        R.status = S_403;
        set_rt(&R, rt_error);
        R.ct = SV("text/html");
        if (sit == SIT_WAF_HTTP) sit_waf_http(F, r, L, &R);
        else if (sit == SIT_WAF_CUSTOM_RESPONSE) sit_waf_custom(F, r, L, &R);
        else if (sit == SIT_EMPTY_KEY_PAIR_ID) sit_empty_key(F, r, L, &R);
        else cause_gen[cause](F, r, L, &R);
        if (sit == SIT_CAPTCHA) L->waf_action = WA_CAPTCHA; /* a mixed-up id: a CAPTCHA record for a 403 */
        if (R.body == 0 && R.method != M_HEAD && R.clen > 0) R.body = (uint64_t)R.clen;
        if (R.status == S_403) {
            custom_error(F, L, &R);
            if (L->situation == SIT_NONE) L->situation = (uint8_t)dist_situation(F, L, &R);
        }
    }
    line_cookies(F, r, L, &R);
    line_protocol(r, L, &R);
    line_query_cookie(F, L, &R);
    line_numbers(F, r, L, &R);
}

/* ---- cached-origin ---- */

/* Field f as the time hh:mm:ss of second sec of the file's hour (and timestamp(ms)). */
static void set_time(const fctx_t *F, line_t *L, uint32_t sec, uint32_t ms)
{
    L->ts = F->hour_epoch + sec;
    L->ms = ms;
    char *p = L->sp;
    put_2d(p, (unsigned)F->hour);
    p[2] = ':';
    put_2d(p + 3, sec / 60);
    p[5] = ':';
    put_2d(p + 6, sec % 60);
    L->v[F_TIME] = (sv){p, 8};
    p += 8;
    char *q = p;
    p = put_u64(p, (uint64_t)L->ts * 1000 + ms);
    L->v[F_TS_MS] = (sv){q, (uint32_t)(p - q)};
    L->sp = p;
}

void cfs_gen_cached_line(const fctx_t *F, uint64_t evseed, uint32_t k, line_t *L)
{
    /* the origin's 403 first: every copy repeats its URI, edge, type and length */
    rng_t r;
    rng_seed(&r, evseed);
    cfs_gen_line_sit(F, &r, L, C_ORIGIN_CUSTOM, SIT_CACHED_ORIGIN);
    uint32_t sec = (uint32_t)(L->ts - F->hour_epoch);
    if (sec > 3589) sec -= 11; /* the copies stay inside the hour */
    uint32_t ms = L->ms;
    if (k == 0) {
        set_time(F, L, sec, ms);
        return;
    }
    char uri[512];
    sv u = L->v[F_URI];
    if (u.n >= sizeof uri) u.n = sizeof uri - 1;
    memcpy(uri, u.p, u.n);
    uint16_t edge = L->edge;
    sv ct = L->v[F_CT], clen = L->v[F_CLEN], st = L->v[F_STATUS];
    char clen_s[24];
    uint32_t cln = clen.n < 23 ? clen.n : 23;
    memcpy(clen_s, clen.p, cln);
    clen_s[cln] = 0;
    uint8_t status = L->status, hidden = L->hidden;

    /* copy k: another viewer at the same edge, 1-10 s later, served from the error cache */
    rng_t rc;
    rng_seed(&rc, mix2(evseed, k));
    cfs_gen_line_sit(F, &rc, L, C_ORIGIN_CUSTOM, SIT_CACHED_ORIGIN);
    uint32_t later = sec + (uint32_t)(k * 2 + rng_below(&rc, 3)); /* within 10 s, k <= 4 */
    set_time(F, L, later, rng_below(&rc, 1000));
    char *p = L->sp;
    memcpy(p, uri, u.n);
    L->v[F_URI] = (sv){p, u.n};
    p += u.n;
    memcpy(p, clen_s, cln);
    L->v[F_CLEN] = (sv){p, cln};
    p += cln;
    L->edge = edge;
    L->v[F_EDGE] = sv_z(cfs_gen_edges[edge].code);
    L->v[F_CT] = ct;
    L->v[F_STATUS] = st;
    L->status = status;
    L->hidden = hidden;
    L->v[F_RT] = L->v[F_RRT] = L->v[F_DRT] = rt_error;
    uint32_t tt = rng_below(&rc, 3);
    uint32_t ttfb = tt ? tt - rng_below(&rc, 2) : 0;
    char *s = p;
    p = put_secs(p, tt);
    L->v[F_TT] = (sv){s, (uint32_t)(p - s)};
    s = p;
    p = put_secs(p, ttfb);
    L->v[F_TTFB] = (sv){s, (uint32_t)(p - s)};
    s = p;
    p = put_u64(p, rng_range(&rc, 280, 620) + strtoull(clen_s[0] == '-' ? "0" : clen_s, NULL, 10));
    L->v[F_SC_BYTES] = (sv){s, (uint32_t)(p - s)};
    L->sp = p;
}
