/* Optional evidence inputs for attribution: CloudFront distribution configs (the JSON
 * printed by `aws cloudfront get-distribution-config` or `get-distribution`): names,
 * origins and origin groups, cache behaviors with their function associations, and
 * LastModifiedTime. */
#ifndef CFSCAN_PIPELINE_CONFIG_H
#define CFSCAN_PIPELINE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/types.h"

/* clang-format off */
typedef enum cfs_vpp {
    CFS_VPP_UNKNOWN = 0, CFS_VPP_ALLOW_ALL, CFS_VPP_REDIRECT_TO_HTTPS, CFS_VPP_HTTPS_ONLY
} cfs_vpp;
/* clang-format on */

typedef enum cfs_origin_kind {
    CFS_ORIGIN_UNKNOWN = 0,
    CFS_ORIGIN_S3_REST,    /* bucket.s3.amazonaws.com / bucket.s3.<region>.amazonaws.com */
    CFS_ORIGIN_S3_WEBSITE, /* bucket.s3-website-<region>.amazonaws.com (a custom origin) */
    CFS_ORIGIN_CUSTOM,
    CFS_ORIGIN_CLOUDFRONT, /* dxxxx.cloudfront.net: another distribution in front of ours */
    CFS_ORIGIN_MIXED       /* an origin group whose members differ in kind: attribution
                            * treats it as unknown */
} cfs_origin_kind;

typedef struct cfs_cfg_origin {
    char *id;
    char *domain;
    cfs_origin_kind kind;
    int has_oac_or_oai; /* OriginAccessControlId non-empty or S3OriginConfig.OriginAccessIdentity */
} cfs_cfg_origin;

/* OriginGroups.Items[]: failover pairs.  A behavior that targets a group is served by
 * its primary member, or by the secondary after the primary failed (cfs_config_origin_kind
 * says which a 403 came from, where the method and FailoverCriteria tell). */
typedef struct cfs_cfg_origin_group {
    char *id;
    int *members; /* indexes into origins, -1 for a member naming no origin; the primary
                   * first */
    size_t n_members;
    cfs_origin_kind kind; /* the members' common kind, CFS_ORIGIN_MIXED when they differ,
                           * CFS_ORIGIN_UNKNOWN without members; two S3 kinds (REST and
                           * website) share S3_WEBSITE, the one no REST-only rule takes */
    int failover_403;     /* FailoverCriteria.StatusCodes lists 403: 1, does not: 0,
                           * not in the config: -1 */
} cfs_cfg_origin_group;

/* Code at the edge associated with a cache behavior (edge_functions bits):
 * FunctionAssociations (CloudFront Functions: viewer-request, viewer-response) and
 * LambdaFunctionAssociations (Lambda@Edge: viewer-request, viewer-response,
 * origin-request, origin-response), by their EventType. */
#define CFS_FN_CF_VIEWER_REQUEST ((uint8_t)0x01)
#define CFS_FN_CF_VIEWER_RESPONSE ((uint8_t)0x02)
#define CFS_FN_LE_VIEWER_REQUEST ((uint8_t)0x04)
#define CFS_FN_LE_VIEWER_RESPONSE ((uint8_t)0x08)
#define CFS_FN_LE_ORIGIN_REQUEST ((uint8_t)0x10)
#define CFS_FN_LE_ORIGIN_RESPONSE ((uint8_t)0x20)
/* The ones that run before CloudFront looks at its cache and can answer a viewer request
 * themselves. */
#define CFS_FN_VIEWER_REQUEST (CFS_FN_CF_VIEWER_REQUEST | CFS_FN_LE_VIEWER_REQUEST)

typedef struct cfs_cfg_behavior {
    char *path_pattern; /* "*" for the default cache behavior */
    cfs_vpp viewer_protocol_policy;
    int restricted;           /* TrustedKeyGroups or TrustedSigners enabled with items */
    uint32_t allowed_methods; /* bit (1u << cfs_method) per allowed method; 0 = unknown */
    int origin;               /* index into origins, -1 if unknown or a group */
    int origin_group;         /* index into origin_groups when TargetOriginId names a
                               * group, else -1 */
    uint8_t edge_functions;   /* CFS_FN_* of the associations listed */
    int functions_known;      /* 1 when the behavior has FunctionAssociations or
                               * LambdaFunctionAssociations (even empty) and no list is cut
                               * short (Quantity above the Items given): then
                               * edge_functions is the whole set */
    int restricted_unknown;   /* neither TrustedKeyGroups nor TrustedSigners is in the config:
                               * whether the behavior checks signers is unknown */
} cfs_cfg_behavior;

typedef struct cfs_dist_config {
    char *path;        /* the file it was loaded from */
    char *id;          /* "E2S54QFYG78KRA"; from Distribution.Id or the file name */
    char *domain_name; /* "d111111abcdef8.cloudfront.net" when known */
    char **aliases;    /* alternate domain names (may hold "*.example.com") */
    size_t n_aliases;
    int aliases_known;   /* 1 when the config has an Aliases object (even an empty
                          * one): then n_aliases is the whole list */
    int include_cookies; /* Logging.IncludeCookies: 1 true, 0 false, -1 not in the
                          * config (cs(Cookie) is logged only when true) */
    int tenant_only;     /* ConnectionMode "tenant-only": a multi-tenant distribution, whose
                          * tenants answer to domains its Aliases do not list */
    int geo_type;        /* 0 none, 1 whitelist, 2 blacklist, -1 no Restrictions.GeoRestriction
                          * in the config (unknown) */
    char **geo_countries;
    size_t n_geo_countries;
    char *web_acl_id;          /* empty string when none */
    int web_acl_unknown;       /* WebACLId is not in the config: unknown, not "none" */
    char *default_root_object; /* empty string when none */
    /* CustomErrorResponses entry for ErrorCode 403 (issue 10 item 4): err403 is 1 when
     * there is one.  err403_page: ResponsePagePath ("" when none); err403_code: its
     * ResponseCode as a number, 0 when empty (the viewer then gets 403 itself);
     * err403_ttl: ErrorCachingMinTTL in seconds, -1 when absent. */
    int err403;
    char *err403_page;
    unsigned err403_code;
    long long err403_ttl;
    cfs_cfg_behavior *behaviors; /* ordered cache behaviors, the default one last */
    size_t n_behaviors;
    cfs_cfg_origin *origins;
    size_t n_origins;
    cfs_cfg_origin_group *origin_groups;
    size_t n_origin_groups;
    /* Distribution.LastModifiedTime (get-distribution only), seconds since the epoch, or
     * CFS_NO_TIME when absent or not read; last_modified_unread is 1 when it is there but
     * is no ISO 8601 time with a zone inside the time range (types.h). */
    int64_t last_modified;
    int last_modified_unread;
    struct cfs_name_map *names; /* hashed domain name and aliases; NULL: match linearly */
    /* Several configs of one Id (a history of snapshots): each links to the first one
     * loaded (first_version, index + 1 in the set; 0 when it is the first or alone), and
     * the first holds the versions with a LastModifiedTime in its order (by_time, ntimed
     * indexes) and how many there are in all (nversions), for cfs_config_version_at. */
    size_t first_version;
    size_t *by_time, ntimed, nversions;
} cfs_dist_config;

/* Loaded configs and hash indexes over them (built by cfs_config_load; a set made by
 * hand without them is searched linearly), so finding the config of a 403 line costs
 * the same with 300,000 aliases as with three. */
typedef struct cfs_config_set {
    cfs_dist_config *d;
    size_t n, cap;
    struct cfs_name_map *ids, *exact, *wild; /* id / name / wildcard suffix -> first d[] */
    int any_403_remap; /* some config remaps 403 to another status (cfs_config_403_remap):
                        * lets the per-line path skip the hidden-403 test otherwise */
} cfs_config_set;

/* Load one config file and append it to set.  err names the file and the problem. */
cfs_status cfs_config_load(cfs_config_set *set, const char *path, char *err, size_t errlen);
void cfs_config_free(cfs_config_set *set);
/* The distribution config for a log line: by id first, else by domain name / alias
 * matching the cs(Host) or x-host-header value, except that a line whose dist_id has a
 * distribution id's shape is not given another id's config by its host.  NULL when none
 * matches. */
const cfs_dist_config *cfs_config_find(const cfs_config_set *set, cfs_span dist_id, cfs_span host);
/* Of the configs loaded for d's Id, the one in force at ts: the latest whose
 * LastModifiedTime is at or before ts; for a line older than all of them, the oldest (the
 * line is then older than its config); with ts CFS_NO_TIME (a question about the
 * distribution, not a line), the latest.  Configs without a LastModifiedTime are taken
 * only when none has one (then the first loaded); cfs_config_untimed_versions counts
 * them, for a warning.  d itself when it is its Id's only config.  O(log versions). */
const cfs_dist_config *cfs_config_version_at(const cfs_config_set *set, const cfs_dist_config *d, int64_t ts);
/* How many configs are loaded for d's Id (1 when it is alone). */
size_t cfs_config_versions(const cfs_config_set *set, const cfs_dist_config *d);
/* Of those, how many no version_at can pick: without a LastModifiedTime, beside versions
 * that have one. */
size_t cfs_config_untimed_versions(const cfs_config_set *set, const cfs_dist_config *d);
/* The cache behavior of a line: the one whose PathPattern is the line's logged
 * cache-behavior-path-pattern (v2; empty span: none), else the one whose PathPattern
 * matches uri_stem, its percent-encoding undone once (CloudFront order: first match in list
 * order, the default behavior last).  Patterns use '*' and '?' wildcards.  Without a path
 * (uri_stem.p NULL: the layout lacks cs-uri-stem) and without a logged pattern, only a
 * config of the default behavior alone gives one; else NULL, the behavior unknown. */
const cfs_cfg_behavior *cfs_config_behavior(const cfs_dist_config *d, cfs_span uri_stem, cfs_span logged);
/* Kind of the origin b targets: its origin's, its origin group's common kind, or
 * CFS_ORIGIN_UNKNOWN. */
cfs_origin_kind cfs_config_behavior_origin_kind(const cfs_dist_config *d, const cfs_cfg_behavior *b);
/* Kind of the origin that answered a 403 of method m (cfs_method) under b: for an origin
 * group, the primary's where no failover can have happened (a method other than GET, HEAD
 * and OPTIONS, never failed over), the secondary's where the primary's 403 would have
 * failed over (403 among the FailoverCriteria), else the common kind; otherwise as
 * cfs_config_behavior_origin_kind. */
cfs_origin_kind cfs_config_origin_kind(const cfs_dist_config *d, const cfs_cfg_behavior *b, int m);
/* 1 if host (x-host-header) is the distribution's domain or one of its aliases
 * (a wildcard alias "*.example.com" matches every name that ends in ".example.com"). */
int cfs_config_host_associated(const cfs_dist_config *d, cfs_span host);
/* 1 if two Host values name the same host: case-insensitive, a ":port" suffix and a
 * trailing '.' ignored.  0 when either is empty. */
int cfs_config_same_host(cfs_span a, cfs_span b);
/* The status a 403 of d reaches viewers as when CustomErrorResponses remaps it to another
 * code (200 for single-page apps, 404, ...), else 0. */
unsigned cfs_config_403_remap(const cfs_dist_config *d);
/* 1 when d answers its 403s with a custom error page and status 403 (ResponsePagePath set,
 * ResponseCode empty or 403): every 403 then carries that page's type and length. */
int cfs_config_403_page(const cfs_dist_config *d);

#endif
