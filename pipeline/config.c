/* Distribution configs as evidence for 403 attribution: reads the JSON that
 * `aws cloudfront get-distribution` / `get-distribution-config` print, keeps the parts
 * that decide a 403 (aliases, origins and origin groups, cache behaviors with their
 * function associations, geo restriction, WAF ACL, cookie logging, the custom error
 * response for 403, LastModifiedTime), and
 * answers "which distribution is this line" and "which cache behavior served this path". */
#include "pipeline/config.h"
#include "pipeline/decode.h"
#include "pipeline/json.h"
#include "pipeline/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- small helpers ---------------------------------------------------------------- */

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Copy of a JSON string value, "" when absent or not a string. */
static char *dup_str(const cfs_json *v)
{
    size_t n;
    const char *s = cfs_json_strn(v, &n);
    return s ? dupn(s, n) : dupn("", 0);
}

static int ends_with_nocase(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && cfs_ascii_ieq(s + n - k, k, suf, k);
}

/* ---- name index --------------------------------------------------------------------
 * An open-addressed map from a name (compared without case, as DNS names are, or with
 * case for distribution ids) to a value: the first config index holding it, or flags.
 * Only config files insert; log lines only look up.  The hash folds case itself
 * (FNV-1a over lowered bytes), so a lookup needs no lowered copy of the host. */
#define NAME_DEAD UINT32_MAX /* entry of a config that failed to load: absent */
typedef struct name_slot {
    char *key; /* NULL = empty */
    size_t n;
    uint64_t h;
    uint32_t val;
} name_slot;

typedef struct cfs_name_map {
    name_slot *s;
    size_t cap, n; /* cap: power of two, at most half full */
    int cased;     /* compare with case (ids) */
} cfs_name_map;

static uint64_t name_hash(const cfs_name_map *m, const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)(m->cased ? p[i] : cfs_ascii_lower(p[i]))) * 1099511628211ull;
    return h ^ (h >> 29);
}

static int name_eq(const cfs_name_map *m, const char *a, size_t an, const char *b, size_t bn)
{
    return m->cased ? an == bn && memcmp(a, b, an) == 0 : cfs_ascii_ieq(a, an, b, bn);
}

static void name_map_free(cfs_name_map *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->s[i].key);
    free(m->s);
    free(m);
}

static name_slot *name_find(const cfs_name_map *m, const char *p, size_t n, uint64_t h)
{
    size_t j = (size_t)h & (m->cap - 1);
    while (m->s[j].key) {
        if (m->s[j].h == h && name_eq(m, m->s[j].key, m->s[j].n, p, n)) return &m->s[j];
        j = (j + 1) & (m->cap - 1);
    }
    return &m->s[j];
}

/* Insert name -> val unless present; with or_flags, OR val into a present one instead.
 * *m is created on first use.  CFS_E_NOMEM leaves the map as it was. */
static cfs_status name_put(cfs_name_map **mp, int cased, const char *p, size_t n, uint32_t val, int or_flags)
{
    if (!*mp && !(*mp = calloc(1, sizeof **mp))) return CFS_E_NOMEM;
    cfs_name_map *m = *mp;
    m->cased = cased;
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        name_slot *ns = calloc(cap, sizeof *ns);
        if (!ns) return CFS_E_NOMEM;
        cfs_name_map nm = {ns, cap, m->n, cased};
        for (size_t i = 0; i < m->cap; i++)
            if (m->s[i].key) *name_find(&nm, m->s[i].key, m->s[i].n, m->s[i].h) = m->s[i];
        free(m->s);
        *m = nm;
    }
    uint64_t h = name_hash(m, p, n);
    name_slot *sl = name_find(m, p, n, h);
    if (sl->key) {
        if (or_flags) sl->val |= val;
        else if (sl->val == NAME_DEAD) sl->val = val;
        return CFS_OK;
    }
    if (!(sl->key = dupn(p, n))) return CFS_E_NOMEM;
    sl->n = n;
    sl->h = h;
    sl->val = val;
    m->n++;
    return CFS_OK;
}

/* The value of name + 1, or 0 when absent (or no map). */
static uint32_t name_get(const cfs_name_map *m, const char *p, size_t n)
{
    if (!m || !m->n) return 0;
    name_slot *sl = name_find(m, p, n, name_hash(m, p, n));
    return sl->key && sl->val != NAME_DEAD ? sl->val + 1 : 0;
}

/* Forget the entries pointing at config index val (a load that failed half-indexed);
 * their keys stay, so probe runs through them are unchanged. */
static void name_drop(cfs_name_map *m, uint32_t val)
{
    for (size_t i = 0; m && i < m->cap; i++)
        if (m->s[i].key && m->s[i].val == val) m->s[i].val = NAME_DEAD;
}

static void free_dist(cfs_dist_config *d)
{
    free(d->path);
    free(d->id);
    free(d->domain_name);
    for (size_t i = 0; i < d->n_aliases; i++) free(d->aliases[i]);
    free(d->aliases);
    for (size_t i = 0; i < d->n_geo_countries; i++) free(d->geo_countries[i]);
    free(d->geo_countries);
    free(d->web_acl_id);
    free(d->default_root_object);
    free(d->err403_page);
    for (size_t i = 0; i < d->n_behaviors; i++) free(d->behaviors[i].path_pattern);
    free(d->behaviors);
    for (size_t i = 0; i < d->n_origins; i++) {
        free(d->origins[i].id);
        free(d->origins[i].domain);
    }
    free(d->origins);
    for (size_t i = 0; i < d->n_origin_groups; i++) {
        free(d->origin_groups[i].id);
        free(d->origin_groups[i].members);
    }
    free(d->origin_groups);
    name_map_free(d->names);
    free(d->by_time);
    memset(d, 0, sizeof *d);
}

/* v when it is an array, else NULL: an "Items" that is an object or a scalar is treated
 * as absent rather than iterated member by member. */
static const cfs_json *array_or_null(const cfs_json *v) { return v && v->type == CFS_JSON_ARRAY ? v : NULL; }

/* A {Quantity, Items} list of strings whose Quantity says more entries than its Items
 * hold as strings (string_items skips the others). */
static int cut_short(const cfs_json *list)
{
    double q = 0;
    size_t n = 0;
    for (const cfs_json *v = cfs_json_first(array_or_null(cfs_json_get(list, "Items"))); v;
         v = cfs_json_next(v))
        n += v->type == CFS_JSON_STRING;
    return cfs_json_num(cfs_json_get(list, "Quantity"), &q) && q > (double)n;
}

/* Strings of an "Items" array (Aliases, GeoRestriction); non-strings are skipped. */
static cfs_status string_items(const cfs_json *items, char ***out, size_t *n)
{
    size_t cap = cfs_json_count(items);
    *out = NULL;
    *n = 0;
    if (cap == 0) return CFS_OK;
    char **a = calloc(cap, sizeof *a);
    if (!a) return CFS_E_NOMEM;
    size_t k = 0;
    for (const cfs_json *v = cfs_json_first(items); v; v = cfs_json_next(v)) {
        if (v->type != CFS_JSON_STRING) continue;
        a[k] = dup_str(v);
        if (!a[k]) {
            for (size_t j = 0; j < k; j++) free(a[j]);
            free(a);
            return CFS_E_NOMEM;
        }
        k++;
    }
    *out = a;
    *n = k;
    return CFS_OK;
}

/* ---- origins ---------------------------------------------------------------------- */

/* Kind of origin from its domain name.  S3 endpoint shapes (S3 "Regions and endpoints"
 * and the reference, section 5.6):
 *   REST:    bucket.s3.amazonaws.com, bucket.s3.<region>.amazonaws.com,
 *            bucket.s3-<region>.amazonaws.com (legacy), bucket.s3.dualstack.<region>...
 *   website: bucket.s3-website-<region>.amazonaws.com, bucket.s3-website.<region>...
 * China regions end in .amazonaws.com.cn.  A website endpoint is always a custom origin
 * to CloudFront, an S3OriginConfig always means the REST API answers, whatever the name.
 * A name under cloudfront.net is another distribution (reference §5.1, stacked
 * distributions): its 403s reach this one as an origin's. */
static int label_is(cfs_span l, const char *w) { return cfs_ascii_ieq(l.p, l.n, w, strlen(w)); }

static int label_starts(cfs_span l, const char *w)
{
    size_t k = strlen(w);
    return l.n > k && cfs_ascii_ieq(l.p, k, w, k);
}

static cfs_origin_kind origin_kind(const char *dom, int has_s3_config)
{
    size_t n = strlen(dom);
    if (n && dom[n - 1] == '.') n--; /* fully qualified form */
    if (n > strlen(".cloudfront.net") && ends_with_nocase(dom, n, ".cloudfront.net"))
        return CFS_ORIGIN_CLOUDFRONT;
    size_t suf = 0;
    if (ends_with_nocase(dom, n, ".amazonaws.com")) suf = strlen(".amazonaws.com");
    else if (ends_with_nocase(dom, n, ".amazonaws.com.cn")) suf = strlen(".amazonaws.com.cn");
    if (suf) {
        /* The last four labels before the suffix, innermost first: lab[0] is the label
         * just before ".amazonaws.com".  nl counts how many exist. */
        cfs_span lab[4];
        size_t nl = 0, end = n - suf;
        while (nl < 4 && end > 0) {
            size_t st = end;
            while (st > 0 && dom[st - 1] != '.') st--;
            lab[nl++] = (cfs_span){dom + st, (uint32_t)(end - st)};
            end = st ? st - 1 : 0;
            if (st == 0) break;
        }
        /* nl > k means a bucket label sits before the k + 1 endpoint labels. */
        if (nl >= 2 && label_starts(lab[0], "s3-website-")) return CFS_ORIGIN_S3_WEBSITE;
        if (nl >= 3 && label_is(lab[1], "s3-website")) return CFS_ORIGIN_S3_WEBSITE;
        if (nl >= 2 && label_is(lab[0], "s3")) return CFS_ORIGIN_S3_REST;
        if (nl >= 2 && label_starts(lab[0], "s3-")) return CFS_ORIGIN_S3_REST;
        if (nl >= 3 && label_is(lab[1], "s3")) return CFS_ORIGIN_S3_REST;
        if (nl >= 4 && label_is(lab[2], "s3") && label_is(lab[1], "dualstack")) return CFS_ORIGIN_S3_REST;
    }
    if (has_s3_config) return CFS_ORIGIN_S3_REST;
    return n ? CFS_ORIGIN_CUSTOM : CFS_ORIGIN_UNKNOWN;
}

static cfs_status read_origins(cfs_dist_config *d, const cfs_json *dc)
{
    const cfs_json *items = array_or_null(cfs_json_path(dc, "Origins.Items"));
    size_t cap = cfs_json_count(items);
    if (cap == 0) return CFS_OK;
    d->origins = calloc(cap, sizeof *d->origins);
    if (!d->origins) return CFS_E_NOMEM;
    for (const cfs_json *o = cfs_json_first(items); o; o = cfs_json_next(o)) {
        if (o->type != CFS_JSON_OBJECT) continue;
        cfs_cfg_origin *og = &d->origins[d->n_origins++];
        og->id = dup_str(cfs_json_get(o, "Id"));
        og->domain = dup_str(cfs_json_get(o, "DomainName"));
        if (!og->id || !og->domain) return CFS_E_NOMEM;
        const cfs_json *s3 = cfs_json_get(o, "S3OriginConfig");
        int has_s3 = s3 && s3->type == CFS_JSON_OBJECT;
        og->kind = origin_kind(og->domain, has_s3);
        /* OAC: Origin.OriginAccessControlId; OAI: S3OriginConfig.OriginAccessIdentity
         * ("origin-access-identity/cloudfront/<id>"); both are "" when unused. */
        size_t l1 = 0, l2 = 0;
        cfs_json_strn(cfs_json_get(o, "OriginAccessControlId"), &l1);
        cfs_json_strn(cfs_json_get(s3, "OriginAccessIdentity"), &l2);
        og->has_oac_or_oai = l1 > 0 || l2 > 0;
    }
    return CFS_OK;
}

/* Index of the origin whose Id is id[0..n), or -1. */
static int origin_index(const cfs_dist_config *d, const char *id, size_t n)
{
    for (size_t i = 0; id && i < d->n_origins; i++)
        if (strlen(d->origins[i].id) == n && memcmp(d->origins[i].id, id, n) == 0) return (int)i;
    return -1;
}

/* The kind two origins share: S3's REST and website endpoints are both S3 (their 403s
 * look alike to every rule but the REST-only ones, which S3_WEBSITE keeps from firing). */
static cfs_origin_kind common_kind(cfs_origin_kind a, cfs_origin_kind b)
{
    if (a == b) return a;
    const int s3a = a == CFS_ORIGIN_S3_REST || a == CFS_ORIGIN_S3_WEBSITE;
    const int s3b = b == CFS_ORIGIN_S3_REST || b == CFS_ORIGIN_S3_WEBSITE;
    return s3a && s3b ? CFS_ORIGIN_S3_WEBSITE : CFS_ORIGIN_MIXED;
}

/* OriginGroups.Items[] (CloudFront API OriginGroup): {Id, FailoverCriteria, Members:
 * {Quantity, Items: [{OriginId}]}}.  CloudFront sends a request to the primary member and
 * retries on the other when the primary answers a failover status, so a 403 may be
 * either member's: the group's kind is the one its members share. */
static cfs_status read_origin_groups(cfs_dist_config *d, const cfs_json *dc)
{
    const cfs_json *items = array_or_null(cfs_json_path(dc, "OriginGroups.Items"));
    size_t cap = cfs_json_count(items);
    if (cap == 0) return CFS_OK;
    d->origin_groups = calloc(cap, sizeof *d->origin_groups);
    if (!d->origin_groups) return CFS_E_NOMEM;
    for (const cfs_json *g = cfs_json_first(items); g; g = cfs_json_next(g)) {
        if (g->type != CFS_JSON_OBJECT) continue;
        cfs_cfg_origin_group *og = &d->origin_groups[d->n_origin_groups++];
        og->id = dup_str(cfs_json_get(g, "Id"));
        if (!og->id) return CFS_E_NOMEM;
        const cfs_json *mem = array_or_null(cfs_json_path(g, "Members.Items"));
        size_t mc = cfs_json_count(mem);
        if (mc && !(og->members = calloc(mc, sizeof *og->members))) return CFS_E_NOMEM;
        og->kind = CFS_ORIGIN_UNKNOWN;
        for (const cfs_json *m = cfs_json_first(mem); m; m = cfs_json_next(m)) {
            if (m->type != CFS_JSON_OBJECT) continue;
            size_t n;
            const char *oid = cfs_json_strn(cfs_json_get(m, "OriginId"), &n);
            int at = origin_index(d, oid, oid ? n : 0);
            /* A member naming no origin is of unknown kind, so it differs from any kind
             * the others have: the group is then mixed (treated as unknown). */
            cfs_origin_kind k = at >= 0 ? d->origins[at].kind : CFS_ORIGIN_UNKNOWN;
            og->kind = og->n_members == 0 ? k : common_kind(og->kind, k);
            og->members[og->n_members++] = at;
        }
        og->failover_403 = -1;
        const cfs_json *codes = array_or_null(cfs_json_path(g, "FailoverCriteria.StatusCodes.Items"));
        if (codes) {
            og->failover_403 = 0;
            for (const cfs_json *c = cfs_json_first(codes); c; c = cfs_json_next(c)) {
                const char *v = c->type == CFS_JSON_STRING ? cfs_json_str(c) : NULL;
                double num = 0;
                if ((cfs_json_num(c, &num) && num == 403) || (v && strcmp(v, "403") == 0))
                    og->failover_403 = 1;
            }
        }
    }
    return CFS_OK;
}

static cfs_origin_kind member_kind(const cfs_dist_config *d, const cfs_cfg_origin_group *g, size_t i)
{
    if (i >= g->n_members || g->members[i] < 0 || (size_t)g->members[i] >= d->n_origins)
        return CFS_ORIGIN_UNKNOWN;
    return d->origins[g->members[i]].kind;
}

cfs_origin_kind cfs_config_origin_kind(const cfs_dist_config *d, const cfs_cfg_behavior *b, int m)
{
    if (d == NULL || b == NULL) return CFS_ORIGIN_UNKNOWN;
    if (b->origin >= 0 || b->origin_group < 0 || (size_t)b->origin_group >= d->n_origin_groups ||
        !d->origin_groups)
        return cfs_config_behavior_origin_kind(d, b);
    const cfs_cfg_origin_group *g = &d->origin_groups[b->origin_group];
    /* "CloudFront fails over to the secondary origin only when the HTTP method of the
     * viewer request is GET, HEAD, or OPTIONS" (origin failover, developer guide) */
    const int may_fail_over = m == CFS_M_GET || m == CFS_M_HEAD || m == CFS_M_OPTIONS;
    if (m != CFS_M_NONE && !may_fail_over) return member_kind(d, g, 0);
    /* the primary's 403 fails over, so a 403 the viewer got is the secondary's answer */
    if (may_fail_over && g->failover_403 == 1 && g->n_members == 2) return member_kind(d, g, 1);
    return g->kind;
}

cfs_origin_kind cfs_config_behavior_origin_kind(const cfs_dist_config *d, const cfs_cfg_behavior *b)
{
    if (d == NULL || b == NULL) return CFS_ORIGIN_UNKNOWN;
    if (b->origin >= 0 && (size_t)b->origin < d->n_origins && d->origins) return d->origins[b->origin].kind;
    if (b->origin_group >= 0 && (size_t)b->origin_group < d->n_origin_groups && d->origin_groups)
        return d->origin_groups[b->origin_group].kind;
    return CFS_ORIGIN_UNKNOWN;
}

/* ---- cache behaviors -------------------------------------------------------------- */

static cfs_vpp parse_vpp(const cfs_json *v)
{
    const char *s = cfs_json_str(v);
    if (!s) return CFS_VPP_UNKNOWN;
    if (strcmp(s, "allow-all") == 0) return CFS_VPP_ALLOW_ALL;
    if (strcmp(s, "redirect-to-https") == 0) return CFS_VPP_REDIRECT_TO_HTTPS;
    if (strcmp(s, "https-only") == 0) return CFS_VPP_HTTPS_ONLY;
    return CFS_VPP_UNKNOWN;
}

static uint32_t parse_methods(const cfs_json *items)
{
    static const struct {
        const char *name;
        cfs_method m;
    } tab[] = {
        {"GET", CFS_M_GET},       {"HEAD", CFS_M_HEAD},       {"POST", CFS_M_POST},   {"PUT", CFS_M_PUT},
        {"DELETE", CFS_M_DELETE}, {"OPTIONS", CFS_M_OPTIONS}, {"PATCH", CFS_M_PATCH},
    };
    uint32_t bits = 0;
    for (const cfs_json *v = cfs_json_first(items); v; v = cfs_json_next(v)) {
        const char *s = cfs_json_str(v);
        if (!s) continue;
        for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++)
            if (strcmp(s, tab[k].name) == 0) bits |= 1u << tab[k].m;
    }
    return bits;
}

/* TrustedKeyGroups / TrustedSigners: {Enabled, Quantity, Items}.  Restricted viewer
 * access is on when Enabled is true and at least one key group / signer is listed. */
static int trusted_on(const cfs_json *t)
{
    if (cfs_json_bool(cfs_json_get(t, "Enabled")) != 1) return 0;
    double q = 0;
    if (cfs_json_num(cfs_json_get(t, "Quantity"), &q)) return q > 0;
    return cfs_json_count(array_or_null(cfs_json_get(t, "Items"))) > 0;
}

/* One association list of a behavior ({Quantity, Items: [{..., EventType}]}): ORs the
 * flags of the EventTypes in tab into *mask.  Returns -1 when the object is absent (or not
 * an object), 0 when it is cut short (Quantity above the entries given: the CLI omits
 * Items only when Quantity is 0, so a missing entry is an unknown one), 1 when complete.
 * An EventType not in tab (a CloudFront Function cannot take origin events) is ignored
 * but still counts as given. */
typedef struct fn_event {
    const char *name;
    uint8_t bit;
} fn_event;

static int read_associations(const cfs_json *obj, const fn_event *tab, size_t ntab, uint8_t *mask)
{
    if (obj == NULL || obj->type != CFS_JSON_OBJECT) return -1;
    const cfs_json *items = array_or_null(cfs_json_get(obj, "Items"));
    double given = 0;
    for (const cfs_json *a = cfs_json_first(items); a; a = cfs_json_next(a)) {
        if (a->type != CFS_JSON_OBJECT) continue;
        given++;
        const char *ev = cfs_json_str(cfs_json_get(a, "EventType"));
        for (size_t k = 0; ev && k < ntab; k++)
            if (strcmp(ev, tab[k].name) == 0) *mask |= tab[k].bit;
    }
    double q;
    if (cfs_json_num(cfs_json_get(obj, "Quantity"), &q) && q > given) return 0;
    return 1;
}

static void read_functions(cfs_cfg_behavior *cb, const cfs_json *b)
{
    static const fn_event cf[] = {{"viewer-request", CFS_FN_CF_VIEWER_REQUEST},
                                  {"viewer-response", CFS_FN_CF_VIEWER_RESPONSE}};
    static const fn_event le[] = {{"viewer-request", CFS_FN_LE_VIEWER_REQUEST},
                                  {"viewer-response", CFS_FN_LE_VIEWER_RESPONSE},
                                  {"origin-request", CFS_FN_LE_ORIGIN_REQUEST},
                                  {"origin-response", CFS_FN_LE_ORIGIN_RESPONSE}};
    uint8_t mask = 0;
    int f = read_associations(cfs_json_get(b, "FunctionAssociations"), cf, sizeof cf / sizeof cf[0], &mask);
    int l = read_associations(cfs_json_get(b, "LambdaFunctionAssociations"), le, sizeof le / sizeof le[0],
                              &mask);
    cb->edge_functions = mask;
    /* Known when some list is given and none is cut short.  An absent list counts as
     * empty next to a given one: configs older than CloudFront Functions (2021) have only
     * the Lambda@Edge list, and then there were none of the other kind. */
    cb->functions_known = (f == 1 || l == 1) && f != 0 && l != 0;
}

static cfs_status read_behavior(cfs_dist_config *d, const cfs_json *b, const char *pattern, size_t plen)
{
    cfs_cfg_behavior *cb = &d->behaviors[d->n_behaviors++];
    cb->path_pattern = dupn(pattern, plen);
    if (!cb->path_pattern) return CFS_E_NOMEM;
    cb->viewer_protocol_policy = parse_vpp(cfs_json_get(b, "ViewerProtocolPolicy"));
    cb->restricted = trusted_on(cfs_json_get(b, "TrustedKeyGroups")) ||
                     trusted_on(cfs_json_get(b, "TrustedSigners"));
    const cfs_json *tk = cfs_json_get(b, "TrustedKeyGroups"), *ts = cfs_json_get(b, "TrustedSigners");
    cb->restricted_unknown = !(tk && tk->type == CFS_JSON_OBJECT) && !(ts && ts->type == CFS_JSON_OBJECT);
    cb->allowed_methods = parse_methods(array_or_null(cfs_json_path(b, "AllowedMethods.Items")));
    read_functions(cb, b);
    size_t tl = 0;
    const char *target = cfs_json_strn(cfs_json_get(b, "TargetOriginId"), &tl);
    cb->origin = origin_index(d, target, tl);
    cb->origin_group = -1;
    /* TargetOriginId names an origin or an origin group (CacheBehavior, CloudFront API). */
    for (size_t i = 0; target && cb->origin < 0 && i < d->n_origin_groups; i++)
        if (strlen(d->origin_groups[i].id) == tl && memcmp(d->origin_groups[i].id, target, tl) == 0) {
            cb->origin_group = (int)i;
            break;
        }
    return CFS_OK;
}

static cfs_status read_behaviors(cfs_dist_config *d, const cfs_json *dc, char *why, size_t whylen)
{
    const cfs_json *items = array_or_null(cfs_json_path(dc, "CacheBehaviors.Items"));
    const cfs_json *def = cfs_json_get(dc, "DefaultCacheBehavior");
    size_t cap = cfs_json_count(items) + 1;
    d->behaviors = calloc(cap, sizeof *d->behaviors);
    if (!d->behaviors) return CFS_E_NOMEM;
    size_t k = 0;
    for (const cfs_json *b = cfs_json_first(items); b; b = cfs_json_next(b), k++) {
        size_t pl;
        const char *pat = cfs_json_strn(cfs_json_get(b, "PathPattern"), &pl);
        /* A behavior without a pattern could never be matched the way CloudFront does;
         * refusing the file is better than a silently different behavior order. */
        if (b->type != CFS_JSON_OBJECT || !pat) {
            snprintf(why, whylen, "CacheBehaviors.Items[%zu] has no PathPattern string", k);
            return CFS_E_FORMAT;
        }
        CFS_FORWARD_IF_ERROR(read_behavior(d, b, pat, pl));
    }
    /* The default behavior is processed last and its pattern is "*" (CacheBehavior
     * PathPattern, CloudFront API reference). */
    if (def && def->type == CFS_JSON_OBJECT) CFS_FORWARD_IF_ERROR(read_behavior(d, def, "*", 1));
    return CFS_OK;
}

/* ---- custom error responses ------------------------------------------------------ */

/* CustomErrorResponses.Items[] (CloudFront API CustomErrorResponse): ErrorCode (integer),
 * ResponsePagePath and ResponseCode (strings, "" when unused; ResponseCode is a string in
 * the API, but a number is accepted too) and ErrorCachingMinTTL (integer seconds).  Only
 * the 403 entry matters here; the first one wins. */
static cfs_status read_error_responses(cfs_dist_config *d, const cfs_json *dc, char *why, size_t whylen)
{
    d->err403_ttl = -1;
    const cfs_json *items = array_or_null(cfs_json_path(dc, "CustomErrorResponses.Items"));
    for (const cfs_json *e = cfs_json_first(items); e; e = cfs_json_next(e)) {
        double code;
        if (e->type != CFS_JSON_OBJECT || !cfs_json_num(cfs_json_get(e, "ErrorCode"), &code) || code != 403.0)
            continue;
        d->err403 = 1;
        d->err403_page = dup_str(cfs_json_get(e, "ResponsePagePath"));
        if (!d->err403_page) return CFS_E_NOMEM;
        const cfs_json *rc = cfs_json_get(e, "ResponseCode");
        size_t n = 0;
        const char *s = cfs_json_strn(rc, &n);
        double v = 0;
        if (s && n) {
            char *end = NULL, tmp[16];
            if (n >= sizeof tmp) n = sizeof tmp - 1;
            memcpy(tmp, s, n);
            tmp[n] = '\0';
            v = strtod(tmp, &end);
            if (!end || *end) v = -1;
        } else if (!s && rc && !cfs_json_num(rc, &v)) {
            v = -1;
        }
        if (v < 0 || v > 999 || v != (double)(unsigned)v) {
            snprintf(why, whylen, "CustomErrorResponses: the 403 entry's ResponseCode is not an HTTP status");
            return CFS_E_FORMAT;
        }
        d->err403_code = (unsigned)v;
        double ttl;
        if (cfs_json_num(cfs_json_get(e, "ErrorCachingMinTTL"), &ttl) && ttl >= 0 && ttl < 1e15)
            d->err403_ttl = (long long)ttl;
        return CFS_OK;
    }
    return CFS_OK;
}

unsigned cfs_config_403_remap(const cfs_dist_config *d)
{
    return d && d->err403 && d->err403_code && d->err403_code != 403 ? d->err403_code : 0;
}

int cfs_config_403_page(const cfs_dist_config *d)
{
    return d && d->err403 && d->err403_page && d->err403_page[0] &&
           (d->err403_code == 0 || d->err403_code == 403);
}

/* ---- loading ---------------------------------------------------------------------- */

/* 1 if s[0..n) has the shape of a distribution id (id_from_path's test). */
static int id_shaped(const char *s, size_t n) { return n >= 10 && n <= 20 && cfs_upper_alnum(s, n); }

/* "E2EXAMPLE12345" from ".../E2EXAMPLE12345.json" when the stem looks like a distribution
 * id ([A-Z0-9]{10,20}: AWS ids are 13-14 upper-case alphanumerics today), else "". */
static char *id_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strcspn(base, ".");
    return id_shaped(base, n) ? dupn(base, n) : dupn("", 0);
}

/* The whole decompressed file, through the decode stage that reads logs and WAF logs, so a
 * config may be plain, gzip or zstd.  At most CFS_JSON_MAX_INPUT bytes once decompressed
 * (a small compressed file can expand without bound). */
static cfs_status read_file(const char *path, char **out, size_t *outn, char *why, size_t whylen)
{
    /* Type checked before anything can block: a FIFO here used to hang the run. */
    int fd = cfs_open_regular(path, why, whylen);
    if (fd < 0) return CFS_E_IO;
    struct stat stbuf;
    int sterr = fstat(fd, &stbuf) != 0 ? errno : 0;
    close(fd);
    if (sterr) {
        snprintf(why, whylen, "%s", strerror(sterr));
        return CFS_E_IO;
    }
    cfs_input in;
    memset(&in, 0, sizeof in);
    in.path = (char *)path;
    in.size = (uint64_t)stbuf.st_size;
    in.mtime = (int64_t)stbuf.st_mtime;
    in.name_hour = CFS_NO_TIME;
    in.regular = 1;
    cfs_reader *r = NULL;
    cfs_status st = cfs_reader_open(&r, &in, CFS_GZ_AUTO, why, whylen);
    if (st != CFS_OK) return st;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        const char *p;
        size_t k;
        if ((st = cfs_reader_next(r, &p, &k, why, whylen)) != CFS_OK || k == 0) break;
        if (n + k > CFS_JSON_MAX_INPUT) {
            snprintf(why, whylen,
                     "more than %llu bytes once decompressed: larger than a distribution config can be",
                     (unsigned long long)CFS_JSON_MAX_INPUT);
            st = CFS_E_FORMAT;
            break;
        }
        if (n + k + 1 > cap) {
            size_t nc = cap ? cap : 4096;
            while (nc < n + k + 1) nc *= 2;
            char *nb = realloc(buf, nc);
            if (!nb) {
                st = CFS_E_NOMEM;
                break;
            }
            buf = nb;
            cap = nc;
        }
        memcpy(buf + n, p, k);
        n += k;
    }
    if (st == CFS_OK) st = cfs_reader_check(r, why, whylen);
    cfs_reader_close(r);
    if (st != CFS_OK) {
        free(buf);
        return st;
    }
    if (!buf && !(buf = malloc(1))) return CFS_E_NOMEM; /* an empty file: the parser says so */
    *out = buf;
    *outn = n;
    return CFS_OK;
}

/* ---- LastModifiedTime --------------------------------------------------------------
 * ISO 8601 as the CLI prints it: "2026-11-01T12:34:56.789Z" (CLI v1) or
 * "2026-11-01T12:34:56.789000+00:00" (CLI v2), i.e. YYYY-MM-DDThh:mm:ss, optional fraction
 * (dropped: log times have whole seconds), then Z or +hh:mm / -hh:mm (or +hhmm).  A time
 * without a zone could be any of 27 hours, so it is not read; neither is one outside the
 * time range of types.h. */
static int digits(const char *s, size_t n, size_t at, size_t k, int *out)
{
    if (at + k > n) return 0;
    int v = 0;
    for (size_t i = at; i < at + k; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (era arithmetic:
 * 400-year cycles of 146097 days, the year starting in March so that the leap day is
 * last). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t parse_iso8601(const char *s, size_t n)
{
    int y, mo, d, h, mi, se;
    if (!digits(s, n, 0, 4, &y) || n < 19 || s[4] != '-' || !digits(s, n, 5, 2, &mo) || s[7] != '-' ||
        !digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &mi) || s[16] != ':' ||
        !digits(s, n, 17, 2, &se))
        return CFS_NO_TIME;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || h > 23 ||
        mi > 59 || se > 59)
        return CFS_NO_TIME;
    size_t i = 19;
    if (i < n && (s[i] == '.' || s[i] == ',')) {
        size_t f = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == f) return CFS_NO_TIME;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, oh, om;
        size_t mpos = i + 3 < n && s[i + 3] == ':' ? i + 4 : i + 3;
        if (!digits(s, n, i + 1, 2, &oh) || !digits(s, n, mpos, 2, &om) || oh > 23 || om > 59)
            return CFS_NO_TIME;
        off = sign * (int64_t)(oh * 3600 + om * 60);
        i = mpos + 2;
    } else {
        return CFS_NO_TIME;
    }
    if (i != n) return CFS_NO_TIME;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    return cfs_time_in_range(t) ? t : CFS_NO_TIME;
}

static void read_last_modified(cfs_dist_config *d, const cfs_json *v)
{
    d->last_modified = CFS_NO_TIME;
    d->last_modified_unread = 0;
    if (v == NULL) return;
    size_t n = 0;
    const char *s = cfs_json_strn(v, &n);
    d->last_modified = s ? parse_iso8601(s, n) : CFS_NO_TIME;
    /* Not a reason to refuse the file: everything else in it still holds; the report says
     * the time was not read, and no line is judged older than the config. */
    d->last_modified_unread = d->last_modified == CFS_NO_TIME;
}

static cfs_status build(cfs_dist_config *d, const cfs_json *root, const char *path, char *why, size_t whylen)
{
    const cfs_json *dist = cfs_json_get(root, "Distribution");
    const cfs_json *dc = NULL;
    d->path = dupn(path, strlen(path));
    if (!d->path) return CFS_E_NOMEM;
    /* get-distribution has Distribution.LastModifiedTime; get-distribution-config has no
     * time at all (read_last_modified(NULL): absent). */
    read_last_modified(d, dist ? cfs_json_get(dist, "LastModifiedTime") : NULL);
    if (dist) {
        /* get-distribution: {"ETag", "Distribution": {"Id", "DomainName", "DistributionConfig"}} */
        dc = cfs_json_get(dist, "DistributionConfig");
        d->id = dup_str(cfs_json_get(dist, "Id"));
        d->domain_name = dup_str(cfs_json_get(dist, "DomainName"));
        if (d->id && !d->id[0]) {
            free(d->id);
            d->id = id_from_path(path);
        }
    } else {
        /* get-distribution-config: {"ETag", "DistributionConfig"} and no id inside. */
        dc = cfs_json_get(root, "DistributionConfig");
        d->id = id_from_path(path);
        d->domain_name = dupn("", 0);
    }
    if (!d->id || !d->domain_name) return CFS_E_NOMEM;
    if (!dc || dc->type != CFS_JSON_OBJECT) {
        snprintf(why, whylen,
                 "no DistributionConfig object (expected the output of "
                 "`aws cloudfront get-distribution` or `get-distribution-config`)");
        return CFS_E_FORMAT;
    }
    CFS_FORWARD_IF_ERROR(
        string_items(array_or_null(cfs_json_path(dc, "Aliases.Items")), &d->aliases, &d->n_aliases));
    const cfs_json *aliases = cfs_json_get(dc, "Aliases");
    /* a list cut short (Quantity above its Items, which the CLI omits only at 0) is not
     * the whole list: unknown, as read_associations takes such a list */
    d->aliases_known = aliases != NULL && aliases->type == CFS_JSON_OBJECT && !cut_short(aliases);
    /* A member of the wrong type is a file the API did not write: refused, as a behavior
     * without a pattern is, rather than read as "none". */
    static const char *const objects[] = {
        "Aliases",      "DefaultCacheBehavior", "CacheBehaviors",       "Origins",
        "OriginGroups", "Restrictions",         "CustomErrorResponses", "Logging"};
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++) {
        const cfs_json *v = cfs_json_get(dc, objects[i]);
        if (v && v->type != CFS_JSON_OBJECT && v->type != CFS_JSON_NULL) {
            snprintf(why, whylen, "DistributionConfig.%s is not an object", objects[i]);
            return CFS_E_FORMAT;
        }
    }
    /* Cookie logging is one distribution-wide switch (reference §1.2 field 13, §2); it
     * decides whether a '-' in cs(Cookie) means "no cookie sent" or "not logged". */
    d->include_cookies = cfs_json_bool(cfs_json_path(dc, "Logging.IncludeCookies"));
    /* A multi-tenant distribution ("tenant-only"; "direct" is the usual kind) serves its
     * tenants' domains, which its own Aliases do not list. */
    const char *mode = cfs_json_str(cfs_json_get(dc, "ConnectionMode"));
    d->tenant_only = mode && strcmp(mode, "tenant-only") == 0;
    d->default_root_object = dup_str(cfs_json_get(dc, "DefaultRootObject"));
    d->web_acl_id = dup_str(cfs_json_get(dc, "WebACLId"));
    d->web_acl_unknown = cfs_json_str(cfs_json_get(dc, "WebACLId")) == NULL;
    if (!d->default_root_object || !d->web_acl_id) return CFS_E_NOMEM;

    const cfs_json *geo = cfs_json_path(dc, "Restrictions.GeoRestriction");
    const char *rt = cfs_json_str(cfs_json_get(geo, "RestrictionType"));
    /* API values are none | whitelist | blacklist; the console now says allow/block list. */
    if (rt && (strcmp(rt, "whitelist") == 0 || strcmp(rt, "allowlist") == 0)) d->geo_type = 1;
    else if (rt && (strcmp(rt, "blacklist") == 0 || strcmp(rt, "blocklist") == 0)) d->geo_type = 2;
    else if (rt && strcmp(rt, "none") == 0) d->geo_type = 0;
    else d->geo_type = -1; /* not in the config, or a type the API does not have: unknown */
    if (d->geo_type > 0 && cut_short(geo)) d->geo_type = -1; /* its countries not all given */
    CFS_FORWARD_IF_ERROR(
        string_items(array_or_null(cfs_json_get(geo, "Items")), &d->geo_countries, &d->n_geo_countries));

    CFS_FORWARD_IF_ERROR(read_error_responses(d, dc, why, whylen));
    CFS_FORWARD_IF_ERROR(read_origins(d, dc)); /* before groups and behaviors: they refer to origins */
    CFS_FORWARD_IF_ERROR(read_origin_groups(d, dc));
    return read_behaviors(d, dc, why, whylen);
}

/* Name keys as name_matches compares them: one trailing '.' dropped; a wildcard alias
 * "*.example.com" is keyed by its suffix ".example.com". */
#define NAME_EXACT 1u
#define NAME_WILD 2u
static size_t name_len(const char *name)
{
    size_t nl = strlen(name);
    return nl && name[nl - 1] == '.' ? nl - 1 : nl;
}

static int is_wild(const char *name, size_t nl) { return nl >= 3 && name[0] == '*' && name[1] == '.'; }

/* Index d (about to become set->d[set->n]): its own name map, and the set's maps, where
 * the first config holding a name or id keeps it (cfs_config_find returns the first).
 * A load that fails after indexing its names drops them again. */
static cfs_status index_names(cfs_config_set *set, cfs_dist_config *d, uint32_t at)
{
    if (d->id && d->id[0]) CFS_FORWARD_IF_ERROR(name_put(&set->ids, 1, d->id, strlen(d->id), at, 0));
    for (size_t i = 0; i <= d->n_aliases; i++) {
        const char *nm = i < d->n_aliases ? d->aliases[i] : d->domain_name;
        if (!nm) continue;
        size_t nl = name_len(nm);
        if (nl) {
            CFS_FORWARD_IF_ERROR(name_put(&d->names, 0, nm, nl, NAME_EXACT, 1));
            CFS_FORWARD_IF_ERROR(name_put(&set->exact, 0, nm, nl, at, 0));
        }
        if (i < d->n_aliases && is_wild(nm, nl)) {
            CFS_FORWARD_IF_ERROR(name_put(&d->names, 0, nm + 1, nl - 1, NAME_WILD, 1));
            CFS_FORWARD_IF_ERROR(name_put(&set->wild, 0, nm + 1, nl - 1, at, 0));
        }
    }
    /* Without a name the config still needs an (empty) map, so lookups use the index. */
    if (!d->names && !(d->names = calloc(1, sizeof *d->names))) return CFS_E_NOMEM;
    return CFS_OK;
}

static cfs_status index_dist(cfs_config_set *set, cfs_dist_config *d)
{
    if (set->n >= NAME_DEAD - 1) return CFS_E_NOMEM;
    uint32_t at = (uint32_t)set->n;
    cfs_status st = index_names(set, d, at);
    if (st != CFS_OK) {
        name_drop(set->ids, at);
        name_drop(set->exact, at);
        name_drop(set->wild, at);
    }
    return st;
}

/* v (to become set->d[vi]) is another version of head (set->d[hi]): head's list of the
 * timed versions, sorted by LastModifiedTime (then by load order), takes it in. */
static cfs_status add_version(cfs_config_set *set, cfs_dist_config *head, size_t hi, const cfs_dist_config *v,
                              size_t vi)
{
    if (!head->nversions) {
        head->nversions = 1;
        if (head->last_modified != CFS_NO_TIME) {
            if (!(head->by_time = malloc(sizeof *head->by_time))) return CFS_E_NOMEM;
            head->by_time[head->ntimed++] = hi;
        }
    }
    if (v->last_modified == CFS_NO_TIME) {
        head->nversions++;
        return CFS_OK;
    }
    size_t *bt = realloc(head->by_time, (head->ntimed + 1) * sizeof *bt);
    if (!bt) return CFS_E_NOMEM;
    head->by_time = bt;
    head->nversions++;
    size_t at = head->ntimed;
    while (at > 0 && set->d[bt[at - 1]].last_modified > v->last_modified) {
        bt[at] = bt[at - 1];
        at--;
    }
    bt[at] = vi;
    head->ntimed++;
    return CFS_OK;
}

cfs_status cfs_config_load(cfs_config_set *set, const char *path, char *err, size_t errlen)
{
    char why[256] = "";
    char *buf = NULL;
    size_t n = 0;
    cfs_dist_config d;
    memset(&d, 0, sizeof d);
    cfs_json_doc doc = {0};

    cfs_status st = read_file(path, &buf, &n, why, sizeof why);
    if (st == CFS_OK) {
        st = cfs_json_parse(&doc, buf, n, why, sizeof why);
        const cfs_json *root = cfs_json_root(&doc);
        if (st == CFS_OK && root->type != CFS_JSON_OBJECT) {
            snprintf(why, sizeof why, "top-level JSON value is not an object");
            st = CFS_E_FORMAT;
        }
        if (st == CFS_OK) st = build(&d, root, path, why, sizeof why);
    }
    if (st == CFS_OK && set->n == set->cap) { /* geometric growth: one copy per doubling */
        size_t cap = set->cap ? set->cap * 2 : 8;
        cfs_dist_config *nd = realloc(set->d, cap * sizeof *nd);
        if (!nd) st = CFS_E_NOMEM;
        else {
            set->d = nd;
            set->cap = cap;
        }
    }
    if (st == CFS_OK) st = index_dist(set, &d);
    if (st == CFS_OK) {
        if (cfs_config_403_remap(&d)) set->any_403_remap = 1;
        /* another config of this Id: a version, put in the first one's order by time */
        uint32_t first = d.id && d.id[0] ? name_get(set->ids, d.id, strlen(d.id)) : 0;
        if (first && first - 1 != set->n) {
            d.first_version = first;
            st = add_version(set, &set->d[first - 1], first - 1, &d, set->n);
        }
        if (st == CFS_OK) {
            set->d[set->n++] = d;
        } else { /* its names point nowhere again */
            name_drop(set->ids, (uint32_t)set->n);
            name_drop(set->exact, (uint32_t)set->n);
            name_drop(set->wild, (uint32_t)set->n);
        }
    }
    if (st != CFS_OK) {
        if (st == CFS_E_NOMEM) snprintf(why, sizeof why, "out of memory");
        if (err && errlen) snprintf(err, errlen, "%s: %s", path, why);
        free_dist(&d);
    } else if (err && errlen) {
        err[0] = '\0';
    }
    cfs_json_doc_free(&doc);
    free(buf);
    return st;
}

void cfs_config_free(cfs_config_set *set)
{
    if (!set) return;
    for (size_t i = 0; i < set->n; i++) free_dist(&set->d[i]);
    free(set->d);
    name_map_free(set->ids);
    name_map_free(set->exact);
    name_map_free(set->wild);
    memset(set, 0, sizeof *set);
}

/* ---- matching --------------------------------------------------------------------- */

/* Host without a ":port" suffix or a trailing '.', so "Example.COM.:443" compares as
 * "example.com" (DNS names are case-insensitive). */
static cfs_span host_key(cfs_span h)
{
    if (!h.p) return (cfs_span){NULL, 0};
    uint32_t n = h.n;
    for (uint32_t i = n; i > 0; i--) {
        char c = h.p[i - 1];
        if (c == ':') {
            n = i - 1;
            break;
        }
        if (c < '0' || c > '9') break;
    }
    if (n && h.p[n - 1] == '.') n--;
    return (cfs_span){h.p, n};
}

/* Exact (mode 0) or wildcard (mode 1) match of host against one name.  A wildcard alias
 * "*.example.com" covers any name that ends with ".example.com" after a label of its own:
 * a.example.com and marketing.product-name.example.com, not example.com (CloudFront
 * "Using wildcards in alternate domain names": "any domain name that ends with
 * example.com ... such as www.example.com, product-name.example.com,
 * marketing.product-name.example.com"; a certificate's wildcard covers one level, but
 * that is the TLS handshake's check, which fails before any request is logged). */
static int name_matches(const char *name, cfs_span host, int mode)
{
    size_t nl = strlen(name);
    if (nl && name[nl - 1] == '.') nl--;
    if (mode == 0) return nl > 0 && cfs_ascii_ieq(name, nl, host.p, host.n);
    if (nl < 3 || name[0] != '*' || name[1] != '.') return 0;
    size_t sl = nl - 1; /* ".example.com" */
    if (host.n <= sl) return 0;
    size_t lab = host.n - sl; /* the labels before it */
    return cfs_ascii_ieq(name + 1, sl, host.p + lab, sl) && host.p[lab - 1] != '.';
}

static int host_matches(const cfs_dist_config *d, cfs_span host, int mode)
{
    if (mode == 0 && d->domain_name && name_matches(d->domain_name, host, 0)) return 1;
    for (size_t i = 0; i < d->n_aliases; i++)
        if (name_matches(d->aliases[i], host, mode)) return 1;
    return 0;
}

/* The value m holds for the longest suffix of host that a wildcard alias could be keyed
 * by (index_names: "*.example.com" as ".example.com") and whose value has bits `want`
 * (0: any): host from one of its '.', after a non-empty label, so "a.b.example.com" tries
 * ".b.example.com", then ".example.com", then ".com"; the longest is the most specific
 * name, which CloudFront routes to.  0: none. */
static uint32_t wild_get(const cfs_name_map *m, cfs_span host, uint32_t want)
{
    for (size_t i = 1; i < host.n; i++)
        if (host.p[i] == '.' && host.p[i - 1] != '.') {
            uint32_t v = name_get(m, host.p + i, host.n - i);
            if (v && (!want || ((v - 1) & want))) return v;
        }
    return 0;
}

int cfs_config_host_associated(const cfs_dist_config *d, cfs_span host)
{
    if (!d) return 0;
    host = host_key(host);
    if (cfs_span_empty(host)) return 0;
    if (d->names) {
        uint32_t v = name_get(d->names, host.p, host.n);
        if (v && ((v - 1) & NAME_EXACT)) return 1;
        return wild_get(d->names, host, NAME_WILD) != 0;
    }
    return host_matches(d, host, 0) || host_matches(d, host, 1);
}

int cfs_config_same_host(cfs_span a, cfs_span b)
{
    a = host_key(a);
    b = host_key(b);
    if (cfs_span_empty(a) || cfs_span_empty(b)) return 0;
    if (a.n == b.n && memcmp(a.p, b.p, a.n) == 0) return 1; /* as logged, nearly always */
    return cfs_ascii_ieq(a.p, a.n, b.p, b.n);
}

/* A config found by a host name is the line's unless the line names its distribution by
 * id and the config names another: a log of E1 is E1's, and E2's settings say nothing of
 * it even where E2 lists the Host among its aliases (that name then is not E1's, which is
 * what cname_not_associated is about).  A config without a known Id (get-distribution-config
 * in a file not named by the id) may be any distribution's. */
static const cfs_dist_config *by_host(const cfs_dist_config *d, int line_has_id)
{
    return d && line_has_id && d->id && d->id[0] ? NULL : d;
}

const cfs_dist_config *cfs_config_find(const cfs_config_set *set, cfs_span dist_id, cfs_span host)
{
    if (!set) return NULL;
    const int has_id = !cfs_span_empty(dist_id) && id_shaped(dist_id.p, dist_id.n);
    if (set->ids || set->exact || set->wild) {
        uint32_t i;
        if (!cfs_span_empty(dist_id) && (i = name_get(set->ids, dist_id.p, dist_id.n))) return &set->d[i - 1];
        host = host_key(host);
        if (cfs_span_empty(host)) return NULL;
        if ((i = name_get(set->exact, host.p, host.n))) return by_host(&set->d[i - 1], has_id);
        if ((i = wild_get(set->wild, host, 0))) return by_host(&set->d[i - 1], has_id);
        return NULL;
    }
    if (!cfs_span_empty(dist_id))
        for (size_t i = 0; i < set->n; i++) {
            const char *id = set->d[i].id;
            if (id && id[0] && strlen(id) == dist_id.n && memcmp(id, dist_id.p, dist_id.n) == 0)
                return &set->d[i];
        }
    host = host_key(host);
    if (cfs_span_empty(host)) return NULL;
    /* An exact alternate domain name wins over a wildcard one, whichever distribution
     * holds it, as CloudFront routes the more specific name. */
    for (int mode = 0; mode < 2; mode++)
        for (size_t i = 0; i < set->n; i++)
            if (host_matches(&set->d[i], host, mode)) return by_host(&set->d[i], has_id);
    return NULL;
}

/* Glob match, '*' = any run of bytes (including '/'), '?' = one byte, everything else
 * literal and case-sensitive (CloudFront path patterns are case-sensitive).  Iterative
 * with one backtrack point: on a mismatch, the last '*' absorbs one more byte.  This is
 * complete because a later '*' can always take over what an earlier one would. */
static int glob_match(const char *pat, size_t pn, const char *s, size_t sn)
{
    size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
    while (si < sn) {
        if (pi < pn && (pat[pi] == '?' || (pat[pi] != '*' && pat[pi] == s[si]))) {
            pi++;
            si++;
        } else if (pi < pn && pat[pi] == '*') {
            star_p = pi++;
            star_s = si;
        } else if (star_p != SIZE_MAX) {
            pi = star_p + 1;
            si = ++star_s;
        } else {
            return 0;
        }
    }
    while (pi < pn && pat[pi] == '*') pi++;
    return pi == pn;
}

/* s[0..n) without one leading '/' ("CloudFront behavior is the same with or without the
 * leading /", CacheBehavior PathPattern): both sides are compared so. */
static cfs_span no_slash(const char *s, size_t n)
{
    if (n && s[0] == '/') return (cfs_span){s + 1, (uint32_t)(n - 1)};
    return (cfs_span){s, (uint32_t)n};
}

/* s[0..n) with its percent-encoding undone once, into out (n bytes at least): its length.
 * The log writes the path CloudFront matched with bytes 0-32, 127 and up, and " # % < > [
 * \ ] ^ ` { | } ~ ' encoded (reference §1.3; a viewer's own "%7E" is logged "%257E"), so a
 * behavior for the paths under /~jane/ matches the logged "/%7Ejane/p.jpg" once it
 * is decoded. */
static size_t pct_decode(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = cfs_hexval(s[i + 1])) >= 0 &&
            (lo = cfs_hexval(s[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    return o;
}

/* The behavior whose pattern is p (as logged by v2's cache-behavior-path-pattern, taken
 * as it is and decoded once), or NULL. */
static const cfs_cfg_behavior *behavior_named(const cfs_dist_config *d, cfs_span p, char *tmp)
{
    const cfs_span raw = no_slash(p.p, p.n);
    const cfs_span dec = no_slash(tmp, pct_decode(p.p, p.n, tmp));
    for (size_t i = 0; i < d->n_behaviors; i++) {
        const cfs_span pat = no_slash(d->behaviors[i].path_pattern, strlen(d->behaviors[i].path_pattern));
        if ((pat.n == raw.n && memcmp(pat.p, raw.p, raw.n) == 0) ||
            (pat.n == dec.n && memcmp(pat.p, dec.p, dec.n) == 0))
            return &d->behaviors[i];
    }
    return NULL;
}

const cfs_cfg_behavior *cfs_config_behavior(const cfs_dist_config *d, cfs_span uri_stem, cfs_span logged)
{
    if (!d || d->n_behaviors == 0) return NULL;
    const size_t need = uri_stem.n > logged.n ? uri_stem.n : logged.n;
    char small[1024];
    char *tmp = need <= sizeof small ? small : malloc(need);
    if (!tmp) return NULL; /* out of memory: the line is judged without its behavior */
    const cfs_cfg_behavior *found = NULL;
    /* v2 logs name the behavior that served the line: that one, when the config has it
     * (a config newer than the line may not) */
    if (!cfs_span_empty(logged)) found = behavior_named(d, logged, tmp);
    if (!found && !uri_stem.p) {
        /* A layout without cs-uri-stem: the path is unknown, so is the behavior, unless
         * the default is the only one (matching an empty path would take the default for
         * every such line, on paths another behavior serves). */
        found = d->n_behaviors == 1 && strcmp(d->behaviors[0].path_pattern, "*") == 0 ? &d->behaviors[0]
                                                                                      : NULL;
    } else if (!found) {
        const cfs_span s = no_slash(tmp, uri_stem.p ? pct_decode(uri_stem.p, uri_stem.n, tmp) : 0);
        for (size_t i = 0; i < d->n_behaviors && !found; i++) {
            const char *pat = d->behaviors[i].path_pattern;
            const cfs_span ps = no_slash(pat, strlen(pat));
            if (glob_match(ps.p, ps.n, s.p, s.n)) found = &d->behaviors[i];
        }
    }
    if (tmp != small) free(tmp);
    return found;
}

/* ---- versions of one distribution ----------------------------------------------------- */

/* The first version of d's Id loaded, which holds the versions' order (by_time). */
static const cfs_dist_config *version_head(const cfs_config_set *set, const cfs_dist_config *d)
{
    return d->first_version ? &set->d[d->first_version - 1] : d;
}

const cfs_dist_config *cfs_config_version_at(const cfs_config_set *set, const cfs_dist_config *d, int64_t ts)
{
    if (!set || !d) return d;
    const cfs_dist_config *head = version_head(set, d);
    if (!head->nversions || !head->ntimed) return head; /* alone, or none timed: the first */
    const size_t *bt = head->by_time;
    if (ts == CFS_NO_TIME) return &set->d[bt[head->ntimed - 1]];
    /* the last version with LastModifiedTime <= ts, by bisection */
    size_t lo = 0, hi = head->ntimed;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (set->d[bt[mid]].last_modified <= ts) lo = mid + 1;
        else hi = mid;
    }
    return &set->d[bt[lo ? lo - 1 : 0]];
}

size_t cfs_config_versions(const cfs_config_set *set, const cfs_dist_config *d)
{
    if (!set || !d) return 0;
    const cfs_dist_config *head = version_head(set, d);
    return head->nversions ? head->nversions : 1;
}

size_t cfs_config_untimed_versions(const cfs_config_set *set, const cfs_dist_config *d)
{
    if (!set || !d) return 0;
    const cfs_dist_config *head = version_head(set, d);
    return head->nversions && head->ntimed ? head->nversions - head->ntimed : 0;
}
