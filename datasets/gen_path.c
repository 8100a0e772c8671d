/* datasets/gen_path.c: request paths (cs-uri-stem) and object sizes.  Each cache behavior
 * (default, /static/, /api/, the restricted and the HTTPS-only prefix) has a table of
 * {weight, generator} rules; origin_s3 403s have their own paths that S3 refuses. */
#include <math.h>

#include "datasets/gen.h"

/* Object size: fixed per (distribution, kind, object number) as for real objects. */
uint64_t cfs_gen_obj_size(const dist_t *D, int type, uint32_t n)
{
    const otype_def *t = &cfs_gen_otypes[type];
    uint64_t h = mix2(D->salt, ((uint64_t)type << 32) | n);
    double u = (double)(h >> 11) * 0x1.0p-53;
    return (uint64_t)(t->min * pow((double)t->max / t->min, u * u)); /* skew to small */
}

/* Paths are drawn from per-behavior tables of {weight, generator}: one draw v in [0, 100)
 * picks the rule whose weight band holds it.  Every random draw happens before the rule
 * runs (object number n, v, then the object hash h), so a rule only formats; h decides
 * the words, years and kinds of a path, so one object always has the same URI. */
typedef struct path_rule path_rule;
typedef char *path_gen(char *p, const path_rule *R, uint64_t h, uint32_t n);
struct path_rule {
    uint8_t weight; /* percent of the behavior's requests; a table sums to 100 */
    path_gen *gen;
    const char *text;   /* the fixed part written first */
    const char *suffix; /* NULL: "." and the kind's extension */
    uint8_t shift;      /* the word is words[(h >> shift) % NWORDS] */
    uint8_t hex_shift;  /* path_word_hex: the 8 hex digits are h >> hex_shift */
    int32_t objn;       /* the object number reported; -1 keeps the drawn n */
    uint32_t base;      /* path_number: the number written is base + n */
    uint8_t nkinds;     /* the object kind is kinds[h % nkinds] */
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
    p = put_str(p, cfs_gen_words[(h >> R->shift) % NWORDS]);
    *p++ = '-';
    p = put_u64(p, n);
    if (R->suffix) return put_str(p, R->suffix);
    *p++ = '.';
    return put_sv(p, cfs_gen_otypes[R->kinds[h % R->nkinds]].ext);
}

/* /blog/YEAR/WORD-N.html */
static char *path_blog(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    p = put_str(p, R->text);
    p = put_u64(p, 2019 + h % 8);
    *p++ = '/';
    p = put_str(p, cfs_gen_words[h % NWORDS]);
    *p++ = '-';
    p = put_u64(p, n);
    return put_str(p, R->suffix);
}

/* DIR WORD.HASH8.EXT, fingerprinted static assets */
static char *path_word_hex(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    (void)n;
    p = put_str(p, R->text);
    p = put_str(p, cfs_gen_words[(h >> R->shift) % NWORDS]);
    *p++ = '.';
    p = put_hex8(p, h >> R->hex_shift);
    return put_str(p, R->suffix);
}

static char *path_font(char *p, const path_rule *R, uint64_t h, uint32_t n)
{
    (void)n;
    p = put_str(p, R->text);
    p = put_str(p, cfs_gen_words[(h >> R->shift) % NWORDS]);
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
    {31, path_word_num, "/images/", NULL, .shift = 16, .objn = -1, .nkinds = 3,
     .kinds = {O_JPG, O_PNG, O_WEBP}},
    {8, path_word_num, "/videos/", ".mp4", .shift = 24, .objn = -1, KIND(O_MP4)},
    {6, path_word_num, "/downloads/", NULL, .shift = 32, .objn = -1, .nkinds = 2, .kinds = {O_ZIP, O_PDF}},
};
static const path_rule static_paths[] = {
    {30, path_word_hex, "/static/js/", ".js", .hex_shift = 8, .objn = -1, KIND(O_JS)},
    {20, path_word_hex, "/static/css/", ".css", .hex_shift = 12, .objn = -1, KIND(O_CSS)},
    {35, path_word_num, "/static/img/", NULL, .shift = 20, .objn = -1, .nkinds = 3,
     .kinds = {O_PNG, O_SVG, O_WEBP}},
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
#define PATH_TABLE(t)             \
    {                             \
        t, sizeof t / sizeof t[0] \
    }
static const path_table path_tables[] = {
    [B_DEFAULT] = PATH_TABLE(default_paths), [B_STATIC] = PATH_TABLE(static_paths),
    [B_API] = PATH_TABLE(api_paths),         [B_RESTRICTED] = PATH_TABLE(restricted_paths),
    [B_SECURE] = PATH_TABLE(secure_paths),
};
#undef PATH_TABLE

int cfs_gen_path(const fctx_t *F, rng_t *r, line_t *L, int beh, uint32_t *objn)
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

void cfs_gen_s3_denied_path(rng_t *r, line_t *L, int *type)
{
    uint32_t v = rng_below(r, 100);
    char *s = L->sp, *p = s;
    *type = O_XML;
    if (v < 10) p = put_str(p, "/");
    else if (v < 35) {
        static const char *const dirs[] = {"/blog/2026/", "/images/",    "/static/img/",
                                           "/docs/",      "/downloads/", "/static/"};
        p = put_str(p, dirs[rng_below(r, 6)]);
    } else {
        /* a missing object: unknown number or an old name (no s3:ListBucket => 403, §5.6) */
        static const char *const pre[] = {"/images/old-", "/static/js/legacy-", "/assets/",
                                          "/wp-content/uploads/", "/images/"};
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
