/* Tests for distribution-config loading and matching (pipeline/config.c) against the
 * hand-written fixtures in tests/fixtures/config/: every parsed field, cache-behavior
 * path matching, host association, origin kinds, and errors for bad files. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "pipeline/config.h"
#include "tests/util.h"

#define FIX CFS_SOURCE_DIR "/tests/fixtures/config/"
#define M(m) (1u << (m))

static cfs_span sp(const char *s) { return (cfs_span){s, s ? (uint32_t)strlen(s) : 0}; }

static char err[512];

static void load_ok(cfs_config_set *set, const char *path)
{
    cfs_status st = cfs_config_load(set, path, err, sizeof err);
    cr_assert_eq(st, CFS_OK, "%s: %s", path, err);
    cr_assert_str_eq(err, "");
}

Test(config, get_distribution_shape_every_field)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "get-distribution.json");
    cr_assert_eq(set.n, 1);
    const cfs_dist_config *d = &set.d[0];
    cr_assert_str_eq(d->id, "E1TESTDIST0001");
    cr_assert_str_eq(d->domain_name, "d111111abcdef8.cloudfront.net");
    cr_assert_eq(d->n_aliases, 3);
    cr_assert_str_eq(d->aliases[0], "www.example.com");
    cr_assert_str_eq(d->aliases[1], "example.com");
    cr_assert_str_eq(d->aliases[2], "shop.example.net");
    cr_assert_str_eq(d->default_root_object, "index.html");
    cr_assert_str_eq(d->web_acl_id, "arn:aws:wafv2:us-east-1:123456789012:global/webacl/fixture-acl/"
                                    "0123abcd-0000-1111-2222-333344445555");
    cr_assert_eq(d->geo_type, 1);
    cr_assert_eq(d->n_geo_countries, 2);
    cr_assert_str_eq(d->geo_countries[0], "US");
    cr_assert_str_eq(d->geo_countries[1], "CA");

    cr_assert_eq(d->n_origins, 2);
    cr_assert_str_eq(d->origins[0].id, "site-bucket");
    cr_assert_str_eq(d->origins[0].domain, "site-bucket.s3.us-east-1.amazonaws.com");
    cr_assert_eq(d->origins[0].kind, CFS_ORIGIN_S3_REST);
    cr_assert_eq(d->origins[0].has_oac_or_oai, 1, "OriginAccessControlId is set");
    cr_assert_str_eq(d->origins[1].id, "api-origin");
    cr_assert_str_eq(d->origins[1].domain, "api.example.internal");
    cr_assert_eq(d->origins[1].kind, CFS_ORIGIN_CUSTOM);
    cr_assert_eq(d->origins[1].has_oac_or_oai, 0);

    /* Two listed behaviors in order, then the default one with pattern "*". */
    cr_assert_eq(d->n_behaviors, 3);
    const cfs_cfg_behavior *b = d->behaviors;
    cr_assert_str_eq(b[0].path_pattern, "/private/*");
    cr_assert_eq(b[0].restricted, 1);
    cr_assert_eq(b[0].viewer_protocol_policy, CFS_VPP_HTTPS_ONLY);
    cr_assert_eq(b[0].allowed_methods, M(CFS_M_GET) | M(CFS_M_HEAD) | M(CFS_M_OPTIONS));
    cr_assert_eq(b[0].origin, 0);
    cr_assert_str_eq(b[1].path_pattern, "/api/*");
    cr_assert_eq(b[1].restricted, 0);
    cr_assert_eq(b[1].viewer_protocol_policy, CFS_VPP_ALLOW_ALL);
    cr_assert_eq(b[1].allowed_methods, M(CFS_M_GET) | M(CFS_M_HEAD) | M(CFS_M_POST) | M(CFS_M_PUT) |
                                           M(CFS_M_DELETE) | M(CFS_M_OPTIONS) | M(CFS_M_PATCH));
    cr_assert_eq(b[1].origin, 1);
    cr_assert_str_eq(b[2].path_pattern, "*");
    cr_assert_eq(b[2].restricted, 0);
    cr_assert_eq(b[2].viewer_protocol_policy, CFS_VPP_REDIRECT_TO_HTTPS);
    cr_assert_eq(b[2].allowed_methods, M(CFS_M_GET) | M(CFS_M_HEAD));
    cr_assert_eq(b[2].origin, 0);
    cfs_config_free(&set);
    cr_assert_eq(set.n, 0);
    cr_assert_null(set.d);
}

Test(config, get_distribution_config_shape_id_from_file_name)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "E2EXAMPLE12345.json");
    const cfs_dist_config *d = &set.d[0];
    cr_assert_str_eq(d->id, "E2EXAMPLE12345");
    cr_assert_str_eq(d->domain_name, "", "get-distribution-config output has no DomainName");
    cr_assert_eq(d->n_aliases, 1);
    cr_assert_str_eq(d->aliases[0], "static.example.org");
    cr_assert_str_eq(d->default_root_object, "");
    cr_assert_str_eq(d->web_acl_id, "");
    cr_assert_eq(d->geo_type, 2);
    cr_assert_eq(d->n_geo_countries, 3);
    cr_assert_str_eq(d->geo_countries[0], "KP");
    cr_assert_str_eq(d->geo_countries[2], "SY");
    cr_assert_eq(d->n_origins, 1);
    cr_assert_str_eq(d->origins[0].domain, "static-site.s3-website-us-west-2.amazonaws.com");
    cr_assert_eq(d->origins[0].kind, CFS_ORIGIN_S3_WEBSITE);
    cr_assert_eq(d->origins[0].has_oac_or_oai, 0);
    cr_assert_eq(d->n_behaviors, 1, "no CacheBehaviors items: only the default");
    cr_assert_str_eq(d->behaviors[0].path_pattern, "*");
    cr_assert_eq(d->behaviors[0].restricted, 1, "legacy TrustedSigners enabled with one item");
    cr_assert_eq(d->behaviors[0].viewer_protocol_policy, CFS_VPP_HTTPS_ONLY);
    cr_assert_eq(d->behaviors[0].allowed_methods, M(CFS_M_GET) | M(CFS_M_HEAD) | M(CFS_M_OPTIONS));
    cr_assert_eq(d->behaviors[0].origin, 0);
    cfs_config_free(&set);
}

Test(config, wildcard_fixture_every_field)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "wildcard-site.json");
    const cfs_dist_config *d = &set.d[0];
    cr_assert_str_eq(d->id, "", "stem 'wildcard-site' is not a distribution id");
    cr_assert_str_eq(d->domain_name, "");
    cr_assert_eq(d->n_aliases, 1);
    cr_assert_str_eq(d->aliases[0], "*.Example.NET");
    /* Missing optional sections: no Restrictions, WebACLId or DefaultRootObject.  Absent
     * is unknown, not "none" (a geo restriction and a web ACL may exist). */
    cr_assert_eq(d->geo_type, -1);
    cr_assert_eq(d->n_geo_countries, 0);
    cr_assert_str_eq(d->web_acl_id, "");
    cr_assert_eq(d->web_acl_unknown, 1);
    cr_assert_str_eq(d->default_root_object, "");

    cr_assert_eq(d->n_origins, 4);
    cr_assert_eq(d->origins[0].kind, CFS_ORIGIN_S3_REST, "legacy s3-<region> endpoint, dotted bucket");
    cr_assert_eq(d->origins[0].has_oac_or_oai, 1, "OAI set");
    cr_assert_eq(d->origins[1].kind, CFS_ORIGIN_S3_WEBSITE, "s3-website.<region> endpoint");
    cr_assert_eq(d->origins[1].has_oac_or_oai, 0);
    cr_assert_eq(d->origins[2].kind, CFS_ORIGIN_S3_REST);
    cr_assert_eq(d->origins[2].has_oac_or_oai, 0, "empty OAI and empty OAC");
    cr_assert_eq(d->origins[3].kind, CFS_ORIGIN_CUSTOM);

    cr_assert_eq(d->n_behaviors, 6);
    const cfs_cfg_behavior *b = d->behaviors;
    static const char *pat[] = {"images/*.jpg", "/v?/status", "/Docs/*", "*.php", "/logs/*/*.gz", "*"};
    static const int origin[] = {1, 3, 2, -1, 0, 3};
    static const int restricted[] = {0, 0, 0, 0, 1, 0};
    static const cfs_vpp vpp[] = {CFS_VPP_REDIRECT_TO_HTTPS, CFS_VPP_HTTPS_ONLY, CFS_VPP_ALLOW_ALL,
                                  CFS_VPP_UNKNOWN,           CFS_VPP_HTTPS_ONLY, CFS_VPP_ALLOW_ALL};
    static const uint32_t methods[] = {M(CFS_M_GET) | M(CFS_M_HEAD),
                                       M(CFS_M_GET) | M(CFS_M_HEAD),
                                       0,
                                       M(CFS_M_GET) | M(CFS_M_POST) /* TRACE is not a method we know */,
                                       0,
                                       0};
    for (int i = 0; i < 6; i++) {
        cr_assert_str_eq(b[i].path_pattern, pat[i]);
        cr_assert_eq(b[i].origin, origin[i], "behavior %d origin", i);
        /* #2: key groups enabled with Quantity 0, signers listed but disabled: not restricted.
         * #4: key groups enabled, no Quantity but one item: restricted. */
        cr_assert_eq(b[i].restricted, restricted[i], "behavior %d restricted", i);
        cr_assert_eq(b[i].viewer_protocol_policy, vpp[i], "behavior %d vpp", i);
        cr_assert_eq(b[i].allowed_methods, methods[i], "behavior %d methods", i);
    }
    cfs_config_free(&set);
}

static const cfs_cfg_behavior *beh(const cfs_dist_config *d, const char *uri)
{
    return cfs_config_behavior(d, sp(uri), (cfs_span){NULL, 0});
}

Test(config, behavior_matching_first_match_default_last)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "get-distribution.json");
    const cfs_dist_config *d = &set.d[0];
    const cfs_cfg_behavior *b = beh(d, "/private/a.mp4");
    cr_assert_eq(b, &d->behaviors[0]);
    cr_assert(b->restricted);
    b = beh(d, "/api/x");
    cr_assert_eq(b, &d->behaviors[1]);
    cr_assert_eq(d->origins[b->origin].kind, CFS_ORIGIN_CUSTOM);
    cr_assert_eq(beh(d, "/"), &d->behaviors[2]);
    cr_assert_eq(beh(d, ""), &d->behaviors[2]);
    cr_assert_eq(beh(d, "/private"), &d->behaviors[2], "no trailing slash: '/private/*' needs it");
    cr_assert_eq(beh(d, "/private/"), &d->behaviors[0], "'*' matches the empty string");
    cr_assert_eq(beh(d, "/private/deep/er/x.ts"), &d->behaviors[0], "'*' crosses '/'");
    cr_assert_eq(beh(d, "/API/x"), &d->behaviors[2], "patterns are case-sensitive");
    cr_assert_eq(beh(d, "private/a"), &d->behaviors[0], "leading '/' optional on either side");
    /* Span bounds are honoured: only the first 6 bytes ("/api/x") are the stem here. */
    cfs_span s = {"/api/x?q=1", 6};
    cr_assert_eq(cfs_config_behavior(d, s, (cfs_span){NULL, 0}), &d->behaviors[1]);
    cfs_span s2 = {"/api/x", 4}; /* "/api" */
    cr_assert_eq(cfs_config_behavior(d, s2, (cfs_span){NULL, 0}), &d->behaviors[2]);
    cr_assert_null(cfs_config_behavior(NULL, sp("/"), (cfs_span){NULL, 0}));
    cfs_config_free(&set);
}

/* The log writes the path percent-encoded (reference §1.3: "~" as %7E, "'" as %27, a
 * viewer's own "%41" as %2541), the config's patterns are plain: the stem is decoded once
 * before it is matched, so "/%7Ejane/p.jpg" is the behavior for /~jane/ paths; it went to the
 * default behavior (and a https-only default made an allow-all line https_required). */
Test(config, behavior_matched_on_the_decoded_stem)
{
    cfs_config_set set = {0};
    char dir[] = "/tmp/cfs-cfg-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *p = tu_write_config(
        dir, "E1.json",
        "{\"CacheBehaviors\":{\"Quantity\":2,\"Items\":["
        "{\"PathPattern\":\"/~jane/*\",\"TargetOriginId\":\"o\",\"ViewerProtocolPolicy\":\"allow-all\"},"
        "{\"PathPattern\":\"/it's/*\",\"TargetOriginId\":\"o\",\"ViewerProtocolPolicy\":\"allow-all\"}]},"
        "\"DefaultCacheBehavior\":{\"TargetOriginId\":\"o\",\"ViewerProtocolPolicy\":\"https-only\"}}",
        1, NULL);
    load_ok(&set, p);
    const cfs_dist_config *d = &set.d[0];
    cr_assert_eq(beh(d, "/%7Ejane/p.jpg"), &d->behaviors[0]);
    cr_assert_eq(beh(d, "/%7ejane/p.jpg"), &d->behaviors[0], "either case of hex digit");
    cr_assert_eq(beh(d, "/it%27s/a"), &d->behaviors[1]);
    cr_assert_eq(beh(d, "/%257Ejane/p.jpg"), &d->behaviors[2], "decoded once: the viewer sent %7E");
    cr_assert_eq(beh(d, "/%7"), &d->behaviors[2], "a cut escape is literal");
    cr_assert_eq(beh(d, "/%zz/%7Ejane"), &d->behaviors[2]);
    cfs_config_free(&set);
    free(p);
    tu_rmrf(dir);
}

/* v2 logs name the behavior (cache-behavior-path-pattern): the config's behavior of that
 * pattern is the line's, whatever the stem; a pattern the config does not have (a config
 * newer than the line) falls back to matching the stem. */
Test(config, behavior_named_by_the_log)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "get-distribution.json");
    const cfs_dist_config *d = &set.d[0];
    cr_assert_eq(cfs_config_behavior(d, sp("/x"), sp("/private/*")), &d->behaviors[0]);
    cr_assert_eq(cfs_config_behavior(d, sp("/x"), sp("private/*")), &d->behaviors[0]);
    cr_assert_eq(cfs_config_behavior(d, sp("/private/a"), sp("*")), &d->behaviors[2], "the default's");
    cr_assert_eq(cfs_config_behavior(d, sp("/api/x"), sp("/gone/*")), &d->behaviors[1], "not in the config");
    cr_assert_eq(cfs_config_behavior(d, sp("/api/x"), sp("-")), &d->behaviors[1], "'-': not logged");
    cfs_config_free(&set);
}

Test(config, behavior_wildcards)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "wildcard-site.json");
    const cfs_dist_config *d = &set.d[0];
    const cfs_cfg_behavior *b = d->behaviors;
    cr_assert_eq(beh(d, "/images/cat.jpg"), &b[0]);
    cr_assert_eq(beh(d, "/images/a/b/c.jpg"), &b[0]);
    cr_assert_eq(beh(d, "/images/.jpg"), &b[0]);
    cr_assert_eq(beh(d, "/images/cat.jpg.png"), &b[5]);
    cr_assert_eq(beh(d, "/images/cat.JPG"), &b[5]);
    cr_assert_eq(beh(d, "/v1/status"), &b[1]);
    cr_assert_eq(beh(d, "/vX/status"), &b[1]);
    cr_assert_eq(beh(d, "/v/status"), &b[5], "'?' needs exactly one byte");
    cr_assert_eq(beh(d, "/v10/status"), &b[5], "'?' takes only one byte");
    cr_assert_eq(beh(d, "/Docs/guide.pdf"), &b[2]);
    cr_assert_eq(beh(d, "/docs/guide.pdf"), &b[5]);
    cr_assert_eq(beh(d, "/index.php"), &b[3]);
    cr_assert_eq(beh(d, "/images/x.php"), &b[3], "first match in list order");
    cr_assert_eq(beh(d, "/Docs/x.php"), &b[2], "an earlier behavior wins over a later one");
    cr_assert_eq(beh(d, "/logs/2024/a.gz"), &b[4]);
    cr_assert_eq(beh(d, "/logs/2024/05/a.gz"), &b[4]);
    cr_assert_eq(beh(d, "/logs/a.gz"), &b[5], "'/logs/*/*.gz' needs two more slashes");
    /* Backtracking: several '*' over a subject with many partial matches. */
    cr_assert_eq(beh(d, "/logs/g.gz/g.gz/x"), &b[5]);
    cr_assert_eq(beh(d, "/logs/g.gz/g.gz/x.gz"), &b[4]);
    cfs_config_free(&set);
}

Test(config, find_by_id_then_host)
{
    cfs_config_set set = {0};
    /* Wildcard set first: exact aliases elsewhere must still win over it. */
    load_ok(&set, FIX "wildcard-site.json");
    load_ok(&set, FIX "get-distribution.json");
    load_ok(&set, FIX "E2EXAMPLE12345.json");
    cr_assert_eq(set.n, 3);
    const cfs_dist_config *wild = &set.d[0], *gd = &set.d[1], *e2 = &set.d[2];

    cr_assert_eq(cfs_config_find(&set, sp("E1TESTDIST0001"), sp("")), gd);
    cr_assert_eq(cfs_config_find(&set, sp("E2EXAMPLE12345"), sp("www.example.com")), e2, "id before host");
    /* a line of another distribution id is not given E1's config by a host E1 lists (it
     * was, and E1's https-only policy made E0's http 403s https_required, confirmed); one
     * keyed by its cs(Host) domain (no id) is, and so is a config without a known Id */
    cr_assert_null(cfs_config_find(&set, sp("EUNKNOWN000000"), sp("www.example.com")), "another id");
    cr_assert_eq(cfs_config_find(&set, sp("d9.cloudfront.net"), sp("www.example.com")), gd, "no id: host");
    cr_assert_eq(cfs_config_find(&set, sp("EUNKNOWN000000"), sp("a.example.net")), wild, "config without Id");
    cr_assert_eq(cfs_config_find(&set, sp("e1testdist0001"), sp("")), NULL, "ids compare exactly");
    cr_assert_eq(cfs_config_find(&set, sp("-"), sp("d111111abcdef8.cloudfront.net")), gd);
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("WWW.Example.COM")), gd, "hosts are case-insensitive");
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("example.com:443")), gd, "port ignored");
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("example.com.")), gd, "trailing dot ignored");
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("static.example.org")), e2);
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("a.example.net")), wild);
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("API.EXAMPLE.NET")), wild);
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("shop.example.net")), gd, "exact alias beats wildcard");
    /* a wildcard alias covers every name ending in its suffix, "marketing.product-name.
     * example.com" for "*.example.com" (CloudFront "Using wildcards in alternate domain
     * names"; a certificate's wildcard covers one level, but that is TLS's check) */
    cr_assert_eq(cfs_config_find(&set, sp(""), sp("a.b.example.net")), wild, "wildcard covers deeper names");
    cr_assert_null(cfs_config_find(&set, sp(""), sp("a..example.net")), "an empty label is no name");
    cr_assert_null(cfs_config_find(&set, sp(""), sp("example.net")), "wildcard needs a label");
    cr_assert_null(cfs_config_find(&set, sp(""), sp(".example.net")));
    cr_assert_null(cfs_config_find(&set, sp(""), sp("xexample.net")));
    cr_assert_null(cfs_config_find(&set, sp(""), sp("www.example.com.evil")));
    cr_assert_null(cfs_config_find(&set, sp(""), sp("-")));
    cr_assert_null(cfs_config_find(&set, sp(""), sp("")));
    cr_assert_null(cfs_config_find(NULL, sp("E1TESTDIST0001"), sp("")));
    cfs_config_free(&set);
}

Test(config, host_association)
{
    cfs_config_set set = {0};
    load_ok(&set, FIX "get-distribution.json");
    load_ok(&set, FIX "wildcard-site.json");
    const cfs_dist_config *gd = &set.d[0], *wild = &set.d[1];
    cr_assert(cfs_config_host_associated(gd, sp("www.example.com")));
    cr_assert(cfs_config_host_associated(gd, sp("Example.com")));
    cr_assert(cfs_config_host_associated(gd, sp("d111111abcdef8.cloudfront.net")));
    cr_assert_not(cfs_config_host_associated(gd, sp("api.example.com")));
    cr_assert_not(cfs_config_host_associated(gd, sp("d222222abcdef8.cloudfront.net")));
    cr_assert_not(cfs_config_host_associated(gd, sp("-")));
    cr_assert(cfs_config_host_associated(wild, sp("x.example.net")));
    cr_assert(cfs_config_host_associated(wild, sp("x.y.example.net")));
    cr_assert(cfs_config_host_associated(wild, sp("marketing.product-name.Example.net")));
    cr_assert_not(cfs_config_host_associated(wild, sp("x.example.net.evil")));
    cr_assert_not(cfs_config_host_associated(wild, sp("xexample.net")));
    cr_assert_not(cfs_config_host_associated(wild, sp("example.net")));
    cr_assert_not(cfs_config_host_associated(NULL, sp("x.example.net")));
    cfs_config_free(&set);
}

/* ---- files written at run time -------------------------------------------------- */

/* Criterion runs each test in its own process, so each test that writes files makes its
 * own directory and removes it at the end. */
static char tmpdir[64];

static void tmp_begin(void)
{
    strcpy(tmpdir, "/tmp/cfs_test_config_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void tmp_end(void)
{
    DIR *dp = opendir(tmpdir);
    if (dp) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(dp)) != NULL) {
            if (de->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
            unlink(p);
        }
        closedir(dp);
    }
    rmdir(tmpdir);
}

static const char *write_tmp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void expect_error(cfs_config_set *set, const char *path, cfs_status want, const char *needle)
{
    size_t before = set->n;
    cfs_status st = cfs_config_load(set, path, err, sizeof err);
    cr_assert_eq(st, want, "%s: got %d (%s)", path, st, err);
    cr_assert(strstr(err, path) == err, "error does not start with the file name: %s", err);
    cr_assert(strstr(err, needle) != NULL, "error lacks '%s': %s", needle, err);
    cr_assert_eq(set->n, before, "a failed load appends nothing");
}

Test(config, bad_files_are_errors_naming_the_file)
{
    cfs_config_set set = {0};
    tmp_begin();
    load_ok(&set, FIX "E2EXAMPLE12345.json");
    expect_error(&set, "/nonexistent/dir/E1.json", CFS_E_IO, "No such file");
    expect_error(&set, write_tmp("notjson.json", "ETag: E1\nDistributionConfig: {}\n"), CFS_E_FORMAT,
                 "expected a value at offset 0");
    expect_error(&set, write_tmp("colon.json", "{\"DistributionConfig\" {}}"), CFS_E_FORMAT,
                 "expected ':' at offset 22");
    expect_error(&set, write_tmp("array.json", "[{\"DistributionConfig\": {}}]"), CFS_E_FORMAT,
                 "not an object");
    expect_error(&set, write_tmp("nodc.json", "{\"ETag\": \"E1\", \"Distribution\": {\"Id\": \"E1X\"}}"),
                 CFS_E_FORMAT, "DistributionConfig");
    expect_error(&set, write_tmp("etagonly.json", "{\"ETag\": \"E1\"}"), CFS_E_FORMAT, "DistributionConfig");
    expect_error(&set, write_tmp("dcnum.json", "{\"DistributionConfig\": 5}"), CFS_E_FORMAT,
                 "DistributionConfig");
    expect_error(&set,
                 write_tmp("nopattern.json",
                           "{\"DistributionConfig\": {\"CacheBehaviors\": {\"Quantity\": 2, \"Items\": ["
                           "{\"PathPattern\": \"/a/*\"}, {\"TargetOriginId\": \"x\"}]}}}"),
                 CFS_E_FORMAT, "CacheBehaviors.Items[1] has no PathPattern");
    expect_error(&set, write_tmp("empty.json", ""), CFS_E_FORMAT, "unexpected end of input");
    expect_error(&set, tmpdir, CFS_E_IO, "not a regular file");
    cr_assert_eq(set.n, 1);
    cr_assert_str_eq(set.d[0].id, "E2EXAMPLE12345", "earlier configs are untouched");

    /* A minimal config: every section missing still loads, with no behaviors at all. */
    load_ok(&set, write_tmp("EMINIMAL000001.json", "{\"DistributionConfig\": {}}"));
    const cfs_dist_config *m = &set.d[1];
    cr_assert_str_eq(m->id, "EMINIMAL000001");
    cr_assert_eq(m->n_behaviors, 0);
    cr_assert_eq(m->n_origins, 0);
    cr_assert_eq(m->n_aliases, 0);
    cr_assert_null(cfs_config_behavior(m, sp("/x"), (cfs_span){NULL, 0}));

    /* Sections of the wrong type count as absent: an object where "Items" should be an
     * array is not read member by member. */
    load_ok(&set, write_tmp("EWRONGTYPES001.json",
                            "{\"DistributionConfig\": {\"Aliases\": {\"Items\": {\"a\": \"x.example\"}},"
                            " \"Origins\": {\"Items\": {\"o\": {\"Id\": \"o\"}}},"
                            " \"CacheBehaviors\": {\"Items\": {\"PathPattern\": \"/a\"}},"
                            " \"DefaultCacheBehavior\": {\"AllowedMethods\": {\"Items\": \"GET\"},"
                            " \"TrustedKeyGroups\": {\"Enabled\": true, \"Items\": {\"k\": 1}}},"
                            " \"WebACLId\": 7, \"Restrictions\": {\"GeoRestriction\": 3}}}"));
    m = &set.d[2];
    cr_assert_eq(m->n_aliases, 0);
    cr_assert_eq(m->n_origins, 0);
    cr_assert_eq(m->n_behaviors, 1);
    cr_assert_eq(m->behaviors[0].allowed_methods, 0);
    cr_assert_eq(m->behaviors[0].restricted, 0);
    cr_assert_eq(m->behaviors[0].restricted_unknown, 0, "TrustedKeyGroups is there");
    cr_assert_eq(m->behaviors[0].origin, -1);
    cr_assert_str_eq(m->web_acl_id, "");
    cr_assert_eq(m->web_acl_unknown, 1, "a WebACLId that is no string says nothing");
    cr_assert_eq(m->geo_type, -1, "nor does a GeoRestriction that is no object");
    /* a section of the wrong type is no file the API wrote: an error naming it (it was
     * read as "none": no behaviors, no aliases) */
    cr_assert_eq(cfs_config_load(&set,
                                 write_tmp("EWRONGTYPES002.json",
                                           "{\"DistributionConfig\": {\"DefaultCacheBehavior\": \"oops\"}}"),
                                 err, sizeof err),
                 CFS_E_FORMAT);
    cr_assert(strstr(err, "EWRONGTYPES002.json") && strstr(err, "DefaultCacheBehavior is not an object"),
              "%s", err);
    cr_assert_eq(cfs_config_load(
                     &set, write_tmp("EWRONGTYPES003.json", "{\"DistributionConfig\": {\"Aliases\": \"x\"}}"),
                     err, sizeof err),
                 CFS_E_FORMAT);
    cr_assert(strstr(err, "Aliases is not an object"), "%s", err);
    /* lists cut short (Quantity above their Items) are not whole: unknown, not empty (the
     * alias list was taken as complete, every Host then foreign; the geo allowlist as
     * allowing no country) */
    load_ok(&set, write_tmp("ECUTSHORT00001.json",
                            "{\"DistributionConfig\": {\"Aliases\": {\"Quantity\": 1},"
                            " \"Restrictions\": {\"GeoRestriction\": {\"RestrictionType\": \"whitelist\","
                            " \"Quantity\": 1}}}}"));
    cr_assert_eq(set.d[3].aliases_known, 0);
    cr_assert_eq(set.d[3].geo_type, -1);
    load_ok(&set, write_tmp("EWHOLELISTS001.json",
                            "{\"DistributionConfig\": {\"Aliases\": {\"Quantity\": 0},"
                            " \"Restrictions\": {\"GeoRestriction\": {\"RestrictionType\": \"whitelist\","
                            " \"Quantity\": 1, \"Items\": [\"US\"]}}}}"));
    cr_assert_eq(set.d[4].aliases_known, 1);
    cr_assert_eq(set.d[4].geo_type, 1);
    /* an item that is no string is no alias: the list is not whole */
    load_ok(&set,
            write_tmp(
                "ENONSTRING0001.json",
                "{\"DistributionConfig\": {\"Aliases\": {\"Quantity\": 2, \"Items\": [\"a.example\", 5]}}}"));
    cr_assert_eq(set.d[5].aliases_known, 0);
    cr_assert_eq(set.n, 6);
    cfs_config_free(&set);
    tmp_end();
}

Test(config, id_from_file_name_needs_id_shape)
{
    cfs_config_set set = {0};
    tmp_begin();
    const char *body = "{\"DistributionConfig\": {}}";
    load_ok(&set, write_tmp("ABCDEFGHIJ.json", body));            /* 10 chars: yes */
    load_ok(&set, write_tmp("ABCDEFGHIJ0123456789.json", body));  /* 20 chars: yes */
    load_ok(&set, write_tmp("ABCDEFGHIJ01234567890.json", body)); /* 21: no */
    load_ok(&set, write_tmp("ABCDEFGHI.json", body));             /* 9: no */
    load_ok(&set, write_tmp("E2example12345.json", body));        /* lower case: no */
    load_ok(&set, write_tmp("E2EXAMPLE12345.config.json", body)); /* stem before first '.' */
    cr_assert_eq(set.n, 6);
    cr_assert_str_eq(set.d[0].id, "ABCDEFGHIJ");
    cr_assert_str_eq(set.d[1].id, "ABCDEFGHIJ0123456789");
    cr_assert_str_eq(set.d[2].id, "");
    cr_assert_str_eq(set.d[3].id, "");
    cr_assert_str_eq(set.d[4].id, "");
    cr_assert_str_eq(set.d[5].id, "E2EXAMPLE12345");
    /* An empty id never matches an empty or '-' dist id. */
    cr_assert_null(cfs_config_find(&set, sp(""), sp("x")));
    cfs_config_free(&set);
    tmp_end();
}

Test(config, origin_kinds_from_domain_names)
{
    static const struct {
        const char *domain;
        const char *cfg;
        cfs_origin_kind kind;
    } cases[] = {
        {"b.s3.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"B.S3.AMAZONAWS.COM", "S3", CFS_ORIGIN_S3_REST},
        {"b.s3.us-east-1.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"b.s3-us-west-2.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"b.s3-external-1.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"b.s3.dualstack.us-east-1.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"b.s3.cn-north-1.amazonaws.com.cn", "S3", CFS_ORIGIN_S3_REST},
        {"my.dotted.bucket.s3.eu-west-1.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"b.s3.amazonaws.com.", "S3", CFS_ORIGIN_S3_REST},
        /* An S3 REST name configured as a custom origin is still answered by S3's REST API. */
        {"b.s3.us-east-1.amazonaws.com", "Custom", CFS_ORIGIN_S3_REST},
        {"b.s3-website-us-east-1.amazonaws.com", "Custom", CFS_ORIGIN_S3_WEBSITE},
        {"b.s3-website.eu-central-1.amazonaws.com", "Custom", CFS_ORIGIN_S3_WEBSITE},
        {"b.s3-website.cn-north-1.amazonaws.com.cn", "Custom", CFS_ORIGIN_S3_WEBSITE},
        /* Not S3 endpoints. */
        {"s3.amazonaws.com", "Custom", CFS_ORIGIN_CUSTOM}, /* no bucket label */
        {"s3-website-us-east-1.amazonaws.com", "Custom", CFS_ORIGIN_CUSTOM},
        {"b.s3.amazonaws.com.evil.example", "Custom", CFS_ORIGIN_CUSTOM},
        {"my-lb-1.us-east-1.elb.amazonaws.com", "Custom", CFS_ORIGIN_CUSTOM},
        {"origin.example.com", "Custom", CFS_ORIGIN_CUSTOM},
        {"ap-1234.s3-accesspoint.us-east-1.amazonaws.com", "Custom", CFS_ORIGIN_CUSTOM},
        /* S3OriginConfig means the S3 REST API whatever the name says. */
        {"ap-1234.s3-accesspoint.us-east-1.amazonaws.com", "S3", CFS_ORIGIN_S3_REST},
        {"", "Custom", CFS_ORIGIN_UNKNOWN},
    };
    size_t nc = sizeof cases / sizeof cases[0];
    char *json = malloc(64 * 1024);
    cr_assert_not_null(json);
    size_t o = (size_t)sprintf(json, "{\"DistributionConfig\": {\"Origins\": {\"Items\": [");
    for (size_t i = 0; i < nc; i++)
        o += (size_t)sprintf(json + o, "%s{\"Id\": \"o%zu\", \"DomainName\": \"%s\", \"%sOriginConfig\": {}}",
                             i ? ", " : "", i, cases[i].domain, cases[i].cfg);
    sprintf(json + o, "]}}}");
    cfs_config_set set = {0};
    tmp_begin();
    load_ok(&set, write_tmp("origins.json", json));
    free(json);
    cr_assert_eq(set.d[0].n_origins, nc);
    for (size_t i = 0; i < nc; i++)
        cr_assert_eq(set.d[0].origins[i].kind, cases[i].kind, "%s (%s): kind %d, want %d", cases[i].domain,
                     cases[i].cfg, set.d[0].origins[i].kind, cases[i].kind);
    cfs_config_free(&set);
    tmp_end();
}

/* Configs go through the decode stage like logs and WAF logs: the same JSON compressed with
 * gzip or zstd loads to the same distribution; a decompression bomb past the size a config
 * can have, and a damaged archive, are refused naming the file. */
Test(config, compressed_configs_through_the_decode_stage)
{
    size_t n;
    char *json = tu_read(FIX "get-distribution.json", &n);
    cr_assert(json);
    char *dir = tu_mkdtemp();
    size_t gzn, zn;
    void *gz = tu_gzip(json, n, &gzn), *zs = tu_zstd(json, n, &zn);
    char *pg = tu_write(dir, "d.json.gz", gz, gzn), *pz = tu_write(dir, "d.json.zst", zs, zn);
    const char *paths[] = {pg, pz};
    for (int i = 0; i < 2; i++) {
        cfs_config_set set = {0};
        load_ok(&set, paths[i]);
        cr_assert_eq(set.n, 1);
        cr_expect_str_eq(set.d[0].id, "E1TESTDIST0001", "%s", paths[i]);
        cr_expect_eq(set.d[0].n_aliases, 3, "%s", paths[i]);
        cfs_config_free(&set);
    }
    /* 70 MB of spaces compress to almost nothing: refused once decompressed past the limit */
    size_t big = (size_t)70 << 20;
    char *sp_buf = malloc(big);
    cr_assert(sp_buf);
    memset(sp_buf, ' ', big);
    size_t bn;
    void *bomb = tu_gzip(sp_buf, big, &bn);
    char *pb = tu_write(dir, "bomb.json.gz", bomb, bn);
    cfs_config_set set = {0};
    cr_expect_neq(cfs_config_load(&set, pb, err, sizeof err), CFS_OK);
    cr_expect(strstr(err, "bomb.json.gz") && strstr(err, "decompressed"), "%s", err);
    cfs_config_free(&set);
    /* a gzip cut short */
    char *pt = tu_write(dir, "cut.json.gz", gz, gzn / 2);
    cr_expect_neq(cfs_config_load(&set, pt, err, sizeof err), CFS_OK);
    cr_expect(strstr(err, "cut.json.gz") != NULL, "%s", err);
    cfs_config_free(&set);
    free(pt);
    free(pb);
    free(bomb);
    free(sp_buf);
    free(pg);
    free(pz);
    free(gz);
    free(zs);
    free(json);
    tu_rmrf(dir);
    free(dir);
}

/* ConnectionMode "tenant-only" marks a multi-tenant distribution (its tenants answer to
 * domains its Aliases do not list); "direct" and no ConnectionMode do not. */
Test(config, connection_mode_tenant_only)
{
    cfs_config_set set = {0};
    tmp_begin();
    static const struct {
        const char *mode;
        int tenant;
    } c[] = {{"\"tenant-only\"", 1}, {"\"direct\"", 0}, {NULL, 0}};
    for (size_t i = 0; i < 3; i++) {
        char json[512], name[32];
        snprintf(json, sizeof json, "{\"DistributionConfig\": {\"Aliases\": {\"Quantity\": 0}%s%s}}",
                 c[i].mode ? ", \"ConnectionMode\": " : "", c[i].mode ? c[i].mode : "");
        snprintf(name, sizeof name, "E%zuMODE.json", i);
        load_ok(&set, write_tmp(name, json));
        cr_assert_eq(set.d[i].tenant_only, c[i].tenant, "%s", json);
    }
    cfs_config_free(&set);
    tmp_end();
}
