/* Which fields the lines of each distribution had, and what each absent one costs (see
 * presence.h).  The list below is what pipeline/attribute.c, aggregate.c and edgefast.c
 * read of a record (grep CFS_F_ and the parsed members there); a field none of them reads
 * (s-ip, cs(User-Agent), ssl-*, asn, origin-lbl, ...) changes no verdict and no count, so
 * it is not named.  date/time and sc-status are not listed either: a line without them is
 * rejected, not counted. */
#include "pipeline/presence.h"

#include <string.h>

_Static_assert(CFS_F_COUNT <= 64, "a field mask is one 64-bit word");

/* clang-format off */
static const cfs_field_cost k_costs[] = {
    {CFS_F_DISTRIBUTION_ID, "no distribution id (nor one in the file name): distributions are keyed by "
                            "cs(Host), the CloudFront domain"},
    {CFS_F_EDGE_RESULT_TYPE, "no origin-fetch reference (it is made of Miss lines), and cache or origin "
                             "403s may be taken for edge Errors"},
    {CFS_F_EDGE_RESPONSE_RESULT_TYPE, "an Error whose response came from the cache or the origin (a viewer "
                                      "that hung up) is taken for an edge refusal"},
    {CFS_F_EDGE_DETAILED_RESULT_TYPE, "geo blocks, method and malformed-request refusals are not named by the "
                                      "log: c-country (likely at best), the config, the body and the latency "
                                      "must decide them"},
    {CFS_F_C_COUNTRY, "with no x-edge-detailed-result-type either, geo blocks cannot be found from the "
                      "config's GeoRestriction"},
    {CFS_F_ORIGIN_FBL, "whether CloudFront contacted the origin is not logged: edge and origin 403s are "
                       "told apart by latency alone"},
    {CFS_F_TIME_TAKEN, "no time-taken percentiles; with time-to-first-byte absent too, no latency at all: "
                       "no origin-fetch reference, latency-decided 403s possible at most"},
    {CFS_F_TIME_TO_FIRST_BYTE, "latencies (and the origin-fetch reference) are time-taken, which includes "
                               "sending the response to the viewer"},
    {CFS_F_SC_CONTENT_TYPE, "the 403 body's type is unknown: CloudFront, signed-URL, S3 and custom bodies "
                            "cannot be told apart"},
    {CFS_F_SC_CONTENT_LEN, "origin error pages cannot be recognised by their length when 403s held back "
                           "for the end of the pass are judged"},
    {CFS_F_EDGE_REQUEST_ID, "403s cannot be joined to WAF logs (--waf): no waf_log_block"},
    {CFS_F_CS_URI_QUERY, "signed-URL query parameters are not seen: expired, invalid and missing "
                         "signatures cannot be told apart"},
    {CFS_F_CS_COOKIE, "signed cookies are not seen: a request signed by cookie may be taken for one without "
                      "a signature"},
    {CFS_F_CS_PROTOCOL, "HTTP requests refused by an HTTPS-only or redirect behavior (https_required) "
                        "cannot be found"},
    {CFS_F_CS_PROTOCOL_VERSION, "HTTP/1.0 non-GET requests refused under redirect-to-HTTPS cannot be "
                                "found"},
    {CFS_F_CS_METHOD, "methods outside a behavior's AllowedMethods (method_not_allowed) cannot be found "
                      "from the config"},
    {CFS_F_HOST_HEADER, "a Host that is not one of the distribution's names (cname_not_associated) "
                        "cannot be found"},
    {CFS_F_CS_HOST, "the config is found by the distribution id alone, not by the CloudFront domain"},
    {CFS_F_CS_URI_STEM, "the config's cache behavior cannot be matched by path, and no top URIs"},
    {CFS_F_CACHE_BEHAVIOR_PATH_PATTERN, "a line's cache behavior, and so its origin, is found only by "
                                        "matching its path against --config: without one, a distribution's "
                                        "origins are not told apart (one origin-fetch reference for all)"},
    {CFS_F_C_IP, "no distinct or top clients"},
    {CFS_F_EDGE_LOCATION, "no split by edge location"},
    {CFS_F_SC_BYTES, "no byte counts"},
};
/* clang-format on */

const cfs_field_cost *cfs_pres_costs(size_t *n)
{
    *n = sizeof k_costs / sizeof k_costs[0];
    return k_costs;
}

uint64_t cfs_pres_analysed(int waf)
{
    static const cfs_field also[] = {CFS_F_DATE,
                                     CFS_F_TIME,
                                     CFS_F_TIMESTAMP_MS,
                                     CFS_F_TIMESTAMP,
                                     CFS_F_SC_STATUS,
                                     CFS_F_DISTRIBUTION_TENANT_ID,
                                     CFS_F_PRIMARY_DISTRIBUTION_ID};
    uint64_t m = 0;
    for (size_t i = 0; i < sizeof also / sizeof also[0]; i++) m |= CFS_PRES_BIT(also[i]);
    for (size_t i = 0; i < sizeof k_costs / sizeof k_costs[0]; i++) m |= CFS_PRES_BIT(k_costs[i].field);
    if (!waf) m &= ~CFS_PRES_BIT(CFS_F_EDGE_REQUEST_ID);
    return m;
}

uint64_t cfs_pres_mask(uint64_t fields)
{
    if (fields & CFS_PRES_BIT(CFS_F_EDGE_DETAILED_RESULT_TYPE)) fields |= CFS_PRES_BIT(CFS_F_C_COUNTRY);
    return fields;
}

uint64_t cfs_pres_layout_mask(const cfs_layout *l)
{
    uint64_t m = 0;
    for (unsigned f = 0; f < CFS_F_COUNT; f++)
        if (l->ncols && l->col_of[f] >= 0) m |= CFS_PRES_BIT(f);
    /* a real-time cs-uri-stem carries the query string (scan.c reads it from there) */
    if (l->ncols && l->realtime && l->col_of[CFS_F_CS_URI_STEM] >= 0) m |= CFS_PRES_BIT(CFS_F_CS_URI_QUERY);
    return cfs_pres_mask(m);
}

void cfs_pres_note(cfs_kmap *m, const char dist[CFS_KEY_STR], uint64_t mask)
{
    int created;
    cfs_pres_row *r = cfs_kmap_get(m, dist, &created);
    if (created) {
        r->any = r->all = mask;
    } else {
        r->any |= mask;
        r->all &= mask;
    }
}

void cfs_pres_merge(cfs_kmap *dst, const cfs_kmap *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const cfs_pres_row *s = cfs_kmap_row(src, i);
        int created;
        cfs_pres_row *d = cfs_kmap_get(dst, s->dist, &created);
        if (created) {
            d->any = s->any;
            d->all = s->all;
        } else {
            d->any |= s->any;
            d->all &= s->all;
        }
    }
}

const char *cfs_pres_word(int absent) { return absent == CFS_PRES_ALL ? "all" : "some"; }
