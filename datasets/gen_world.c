/* datasets/gen_world.c: everything fixed before the first line is written, derived from
 * the seed alone: the viewer population (addresses, countries, user agents, home edges),
 * the distributions (ids, hosts, prefixes, geo blacklists, keys), the popularity tables,
 * the interleaved 403 cause sequence and the #Fields headers of every layout. */
#include <math.h>

#include "datasets/gen.h"

/* Share of the 403s per cause, in percent; every cause >= 4% so that each stays above 2% of
 * the 403s of any data set of 20k lines (the draw is stratified, see cause_cycle). */
static const uint8_t cause_weight[NCAUSE] = {
    0, 10, 20, 10, 8, 6, 8, 7, 4, 12, 8, 7, 0 /* edge_function: 15% of edge_other's draws */};

static const char alnum_lc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
static const char hexd[] = "0123456789abcdef";

/* clang-format off */
static const char *const field_name[NF] = {
    "date", "time", "x-edge-location", "sc-bytes", "c-ip", "cs-method", "cs(Host)",
    "cs-uri-stem", "sc-status", "cs(Referer)", "cs(User-Agent)", "cs-uri-query", "cs(Cookie)",
    "x-edge-result-type", "x-edge-request-id", "x-host-header", "cs-protocol", "cs-bytes",
    "time-taken", "x-forwarded-for", "ssl-protocol", "ssl-cipher", "x-edge-response-result-type",
    "cs-protocol-version", "fle-status", "fle-encrypted-fields", "c-port", "time-to-first-byte",
    "x-edge-detailed-result-type", "sc-content-type", "sc-content-len", "sc-range-start",
    "sc-range-end", "timestamp(ms)", "c-country"};
/* clang-format on */

/* The v2 (standard logging v2, W3C output) field set: user-chosen, in the user's order. */
/* clang-format off */
static const uint8_t v2_fields[] = {
    F_TS_MS, F_DATE, F_TIME, F_C_IP, F_EDGE, F_STATUS, F_METHOD, F_URI, F_HOSTHDR, F_PROTO,
    F_TT, F_SC_BYTES, F_RT, F_DRT, F_RRT, F_REQID, F_CT, F_CLEN, F_QUERY, F_COOKIE, F_TTFB,
    F_PROTOVER, F_COUNTRY, F_HOST};
/* clang-format on */

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

static sv encode_alloc(const char *s, size_t n)
{
    char *d = malloc(3 * n + 1);
    if (!d) die_nomem();
    char *e = cfs_gen_log_encode(d, s, n);
    *e = 0;
    return (sv){d, (uint32_t)(e - d)};
}

/* One IPv6 group: lowercase hex without leading zeros. */
static char *put_hex_group(char *p, uint32_t v)
{
    char tmp[4];
    int n = 0;
    do {
        tmp[n++] = hexd[v & 15];
        v >>= 4;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
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
        static const char *const pre[] = {"2a02", "2001", "2600", "2603", "2a01", "2405",
                                          "2409", "2804", "2c0f", "240e", "2406", "2a00"};
        p = put_str(p, pre[rng_below(r, (uint32_t)(sizeof pre / sizeof pre[0]))]);
        int compress = rng_pct(r, 25); /* some addresses use '::' */
        int groups = compress ? 3 : 7;
        for (int g = 0; g < groups; g++) {
            *p++ = ':';
            p = put_hex_group(p, rng_below(r, 65536));
        }
        if (compress) {
            *p++ = ':';
            *p++ = ':';
            p = put_hex_group(p, rng_range(r, 1, 0xffff));
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
        if (!strcmp(cfs_gen_edges[e].cc, edge_cc)) idx[n++] = e;
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

/* Popularity tables, the weight tables pick_w reads, and the user agents as logged. */
static void world_tables(world_t *W)
{
    double ew[NEDGE];
    for (uint32_t e = 0; e < NEDGE; e++) ew[e] = cfs_gen_edges[e].weight;
    cfs_gen_build_cum(W->edge_cum, NEDGE, 0, 1, ew);
    double cw[NCOUNTRY];
    for (uint32_t c = 0; c < NCOUNTRY; c++) cw[c] = cfs_gen_countries[c].weight;
    cfs_gen_build_cum(W->country_cum, NCOUNTRY, 0, 1, cw);
    cfs_gen_build_cum(W->obj_cum, 512, 1.0, 3.0, NULL);
    for (uint32_t u = 0; u < NUA; u++) {
        W->ua_w[u] = cfs_gen_uas[u].weight;
        W->ua_enc[u] = encode_alloc(cfs_gen_uas[u].ua, strlen(cfs_gen_uas[u].ua));
        /* pre-2020-01-28 logs encoded twice: space -> %2520 (reference §1.3) */
        W->ua_enc2[u] = encode_alloc(W->ua_enc[u].p, W->ua_enc[u].n);
    }
    for (uint32_t k = 0; k < NWAFRULE; k++) W->waf_w[k] = cfs_gen_waf_rules[k].weight;
}

/* Viewer population: Zipf-skewed popularity, ~20% IPv6, fixed country, home edge and
 * (mostly) one user agent per viewer; then the small pool of viewers from blocked
 * countries that only geo_restriction lines use. */
static void world_viewers(world_t *W, rng_t *r)
{
    W->ncl = 20000;
    W->cl = calloc(W->ncl, sizeof *W->cl);
    W->cl_cum = calloc(W->ncl, sizeof *W->cl_cum);
    if (!W->cl || !W->cl_cum) die_nomem();
    for (uint32_t i = 0; i < W->ncl; i++) {
        client_t *c = &W->cl[i];
        gen_ip(r, c, rng_pct(r, 20));
        c->country = (uint8_t)pick_cum(r, W->country_cum, NCOUNTRY);
        c->ua = (uint8_t)pick_w(r, W->ua_w, NUA);
        c->home_edge = home_edge_for(r, cfs_gen_countries[c->country].edge_cc, W->edge_cum);
    }
    cfs_gen_build_cum(W->cl_cum, W->ncl, 0.9, 10.0, NULL);
    for (uint32_t b = 0; b < NBLOCKED; b++)
        for (uint32_t k = 0; k < GEO_PER_COUNTRY; k++) {
            client_t *c = &W->geo[b * GEO_PER_COUNTRY + k];
            gen_ip(r, c, rng_pct(r, 15));
            c->country = (uint8_t)b;
            c->ua = (uint8_t)pick_w(r, W->ua_w, NUA);
            c->home_edge = home_edge_for(r, cfs_gen_blocked_countries[b].edge_cc, W->edge_cum);
        }
}

/* geo blacklist: 2 or 3 distinct blocked countries, listed in table order so that the
 * config reads naturally */
static void dist_geo(dist_t *D, rng_t *dr)
{
    D->ngeo = rng_range(dr, 2, 3);
    uint8_t perm[NBLOCKED];
    for (uint32_t i = 0; i < NBLOCKED; i++) perm[i] = (uint8_t)i;
    for (uint32_t i = NBLOCKED - 1; i > 0; i--) {
        uint32_t j = rng_below(dr, i + 1);
        uint8_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    for (uint32_t i = 0; i < D->ngeo; i++) D->geo[i] = perm[i];
    for (uint32_t i = 0; i < D->ngeo; i++)
        for (uint32_t j = i + 1; j < D->ngeo; j++)
            if (D->geo[j] < D->geo[i]) {
                uint8_t t = D->geo[i];
                D->geo[i] = D->geo[j];
                D->geo[j] = t;
            }
}

/* A random UUID-shaped string (8-4-4-4-12 lowercase hex), 36 chars and a NUL. */
static void rand_uuid(rng_t *r, char *u)
{
    for (int i = 0; i < 36; i++)
        u[i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : hexd[rng_below(r, 16)];
    u[36] = 0;
}

/* Distribution d (0-based), from its own stream so that --dists does not shift the others. */
static void dist_init(dist_t *D, uint64_t seed, uint32_t d)
{
    static const char *const restricted[] = {"/private/", "/premium/", "/members/"};
    static const char *const secure[] = {"/secure/", "/account/", "/checkout/"};
    rng_t dr;
    rng_seed(&dr, mix2(seed, 0x64697374ull + d)); /* "dist" */
    D->num = d + 1;
    D->id[0] = 'E';
    cfs_gen_rand_str(&dr, D->id + 1, 13, cfs_gen_alnum_uc, 36);
    D->domain[0] = 'd';
    cfs_gen_rand_str(&dr, D->domain + 1, 13, alnum_lc, 36);
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
    dist_geo(D, &dr);
    D->key_pair_id[0] = 'K';
    cfs_gen_rand_str(&dr, D->key_pair_id + 1, 13, cfs_gen_alnum_uc, 36);
    rand_uuid(&dr, D->key_group_id);
    D->oac_id[0] = 'E';
    cfs_gen_rand_str(&dr, D->oac_id + 1, 13, cfs_gen_alnum_uc, 36);
    char u[37];
    rand_uuid(&dr, u);
    snprintf(D->webacl_arn, sizeof D->webacl_arn,
             "arn:aws:wafv2:us-east-1:123456789012:global/webacl/example-%u-web-acl/%s", D->num, u);
    D->etag[0] = 'E';
    cfs_gen_rand_str(&dr, D->etag + 1, 13, cfs_gen_alnum_uc, 36);
    snprintf(D->referer[0], sizeof D->referer[0], "https://www.example-%u.com/", D->num);
    snprintf(D->referer[1], sizeof D->referer[1], "https://www.example-%u.com/blog/", D->num);
    snprintf(D->referer[2], sizeof D->referer[2], "https://media.example-%u.com/gallery.html", D->num);
    D->salt = rng_next(&dr);
}

/* Stratified cause sequence: smooth weighted round robin over cause_weight, so that any
 * window of consecutive 403s has close to the target shares. */
static void cause_cycle(uint8_t cycle[100])
{
    int cur[NCAUSE] = {0};
    for (int s = 0; s < 100; s++) {
        int best = 1;
        for (int c = 1; c < NCAUSE; c++) {
            cur[c] += cause_weight[c];
            if (cur[c] > cur[best]) best = c;
        }
        cur[best] -= 100;
        cycle[s] = (uint8_t)best;
    }
}

/* --situations that change whole distributions: each goes to its own distribution while
 * there are enough (custom page 1st, remap 2nd, cookies-off 3rd, fast origin 4th,
 * config-newer 5th, default domain 6th), wrapping around otherwise.  A distribution both
 * serving a custom page and remapping cannot be: the remap wins.  Nothing here draws from
 * a stream, so the distributions' own values stay those of a run without situations. */
static void world_situations(world_t *W)
{
    const opts_t *o = W->o;
    uint32_t n = o->dists, on = o->situations;
    W->newer_from = o->start_day * 86400 + 12 * 3600;
    if (on & 1u << SIT_CUSTOM_ERROR_PAGE) {
        W->dist[0].sit_page = 1;
        W->dist[1 % n].sit_remap = 1;
        if (n == 1) W->dist[0].sit_page = 0;
    }
    if (on & 1u << SIT_COOKIES_OFF) {
        dist_t *D = &W->dist[2 % n];
        D->sit_cookies_off = 1;
        D->cookie_logging = 0;
    }
    if (on & 1u << SIT_FAST_ORIGIN) W->dist[3 % n].sit_fast_origin = 1;
    if (on & 1u << SIT_CONFIG_NEWER) W->dist[4 % n].sit_config_newer = 1;
    if (on & 1u << SIT_DEFAULT_DOMAIN) W->dist[5 % n].sit_default_domain = 1;
    for (uint32_t d = 0; d < n; d++) {
        W->dist[d].sit_functions = (on & 1u << SIT_EDGE_FUNCTION) != 0;
        /* a fixed page size per distribution: /errors/403.html or the SPA's /index.html */
        W->dist[d].page_len = W->dist[d].sit_remap ? 1874 + 3 * W->dist[d].num : 2046 + W->dist[d].num;
    }
}

const char *cfs_gen_field_name(int f) { return f >= 0 && f < NF ? field_name[f] : "?"; }

void cfs_gen_opts_default(opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->dists = 3;
    o->days = 2;
    o->start_day = cfs_gen_days_from_civil(2026, 11, 1);
    o->fph = 1;
    o->lpf = 2000;
    o->fmt = FMT_GZ;
    o->layout = LAY_33;
    o->share403 = 0.08;
    o->configs = 1;
    o->waf = 1;
    o->delim = '|';
}

void cfs_gen_world_init(world_t *W, const opts_t *o)
{
    memset(W, 0, sizeof *W);
    W->o = o;
    rng_t r;
    /* --world-seed: the same distributions and viewers under another seed's traffic (two
     * nights of one site); without it the seed makes both */
    uint64_t ws = o->world_seed_set ? o->world_seed : o->seed;
    rng_seed(&r, mix2(ws, 0x776f726c64ull)); /* "world" */
    world_tables(W);
    world_viewers(W, &r);
    W->dist = calloc(o->dists, sizeof *W->dist);
    if (!W->dist) die_nomem();
    for (uint32_t d = 0; d < o->dists; d++) dist_init(&W->dist[d], ws, d);
    world_situations(W);
    W->dist[0].plant_geo = (o->plant & 1u << PLANT_GEO) != 0;
    cause_cycle(W->cycle);
    for (int l = 0; l < NLAYOUT; l++) layout_init(&W->lay[l], l);
}

void cfs_gen_world_free(world_t *W)

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
