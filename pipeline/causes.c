/* The 403 cause vocabulary: stable names of causes and evidence levels (used in every
 * output, so never renamed), their inverse lookup, and the next steps a reader should take
 * for each cause, written from the troubleshooting guide (reference section 5). */
#include <stdio.h>
#include <string.h>

#include "pipeline/attribute.h"
#include "pipeline/types.h"

/* Index = enum cfs_cause.  These strings are the contract with the generator, the report,
 * the Parquet sink and the tests; keep them in step with the comment on enum cfs_cause. */
static const char *const cause_names[CFS_CAUSE_COUNT] = {
    [CFS_CAUSE_NONE] = "none",
    [CFS_CAUSE_GEO_RESTRICTION] = "geo_restriction",
    [CFS_CAUSE_WAF_BLOCK] = "waf_block",
    [CFS_CAUSE_SIGNED_URL_MISSING] = "signed_url_missing",
    [CFS_CAUSE_SIGNED_URL_EXPIRED] = "signed_url_expired",
    [CFS_CAUSE_SIGNED_URL_INVALID] = "signed_url_invalid",
    [CFS_CAUSE_HTTPS_REQUIRED] = "https_required",
    [CFS_CAUSE_METHOD_NOT_ALLOWED] = "method_not_allowed",
    [CFS_CAUSE_CNAME_NOT_ASSOCIATED] = "cname_not_associated",
    [CFS_CAUSE_ORIGIN_S3] = "origin_s3",
    [CFS_CAUSE_ORIGIN_CUSTOM] = "origin_custom",
    [CFS_CAUSE_EDGE_OTHER] = "edge_other",
    [CFS_CAUSE_EDGE_FUNCTION] = "edge_function",
    [CFS_CAUSE_UNKNOWN] = "unknown",
};

static const char *const evidence_names[CFS_EV_COUNT] = {
    [CFS_EV_NONE] = "none",
    [CFS_EV_CONFIRMED] = "confirmed",
    [CFS_EV_LIKELY] = "likely",
    [CFS_EV_POSSIBLE] = "possible",
};

/* Next steps per cause.  Each paraphrases the matching part of the reference (geo §5.2,
 * WAF §5.3, signed URLs §5.4 and its KC checklist, viewer protocol / CNAME §5.5, S3 §5.6,
 * custom origin §5.7) and names where to look in the console or the CLI. */
static const char *const cause_advice[CFS_CAUSE_COUNT] = {
    [CFS_CAUSE_NONE] = "Not a 403; nothing to do.",
    [CFS_CAUSE_GEO_RESTRICTION] =
        "The distribution's geographic restriction turned the viewer away because of the "
        "country its IP address maps to. Review the allow or block list under Security > "
        "Geographic restrictions, or Restrictions.GeoRestriction in `aws cloudfront "
        "get-distribution-config --id <ID>`. Viewers behind VPNs and proxies are placed by the "
        "proxy's address; v2 logs carry c-country to check where they were placed. If blocked "
        "visitors should see a friendlier page, configure a custom error response for 403.",
    [CFS_CAUSE_WAF_BLOCK] =
        "An AWS WAF web ACL on the distribution stopped the request before CloudFront's cache "
        "was consulted. Look up the line's x-edge-request-id as httpRequest.requestId in the WAF "
        "logs (or the web ACL's sampled requests in the console) to see the terminating rule. "
        "If the block is a false positive, narrow that rule's match, add a scope-down "
        "statement or an allow rule ahead of it, or switch the rule to Count while you "
        "investigate. A custom response configured in WAF replaces CloudFront's error page.",
    [CFS_CAUSE_SIGNED_URL_MISSING] =
        "The request reached a cache behavior with Restrict viewer access turned on but carried "
        "no Signature/Key-Pair-Id query parameters and no CloudFront-Signature / "
        "CloudFront-Key-Pair-Id cookies. Check which PathPattern has TrustedKeyGroups or "
        "TrustedSigners enabled (get-distribution-config) and whether that path is meant to "
        "be private. If it is, have the application hand out signed URLs, or set all three "
        "signed cookies with a Domain, Path and Secure flag that make the browser send them.",
    [CFS_CAUSE_SIGNED_URL_EXPIRED] =
        "The signed URL or cookie arrived after its expiry time (Expires for a canned policy, "
        "DateLessThan for a custom one). Sign again or lengthen the validity window your "
        "signer uses, and make sure links embedded in cached pages outlive the page's TTL. "
        "Compare the signing host's clock with UTC and check that the value is Unix time in "
        "seconds, not milliseconds or local time.",
    [CFS_CAUSE_SIGNED_URL_INVALID] =
        "A signature was presented and had not expired, yet CloudFront refused it. Check that "
        "Key-Pair-Id names a public key in a key group trusted by the matched behavior "
        "(behavior > Restrict viewer access > Trusted key groups), that the signature was made "
        "with the matching private key over exactly the URL or policy sent, and that nothing "
        "added or reordered query parameters after signing. For a custom policy also check the "
        "Resource pattern, DateGreaterThan and any IpAddress condition against the viewer.",
    [CFS_CAUSE_HTTPS_REQUIRED] =
        "The viewer used plain HTTP where the behavior's viewer protocol policy is HTTPS Only, "
        "or sent a non-GET/HEAD request over HTTP/1.0 to a Redirect HTTP to HTTPS behavior, "
        "which cannot be redirected. Fix the links or client to use https://, or set the "
        "behavior's ViewerProtocolPolicy to redirect-to-https if a redirect is acceptable "
        "(check each behavior in get-distribution-config).",
    [CFS_CAUSE_METHOD_NOT_ALLOWED] =
        "The method (for example POST or PUT) is not in the AllowedMethods of the cache "
        "behavior whose PathPattern matched. If the method is legitimate, allow GET, HEAD, "
        "OPTIONS, PUT, POST, PATCH, DELETE on that behavior and make sure the origin handles "
        "writes; otherwise the traffic is a client or bot sending writes to read-only "
        "content and the 403 is intended.",
    [CFS_CAUSE_CNAME_NOT_ASSOCIATED] =
        "The Host header is neither the distribution's cloudfront.net name nor one of its "
        "alternate domain names. Add the name under Settings > Alternate domain names (with a "
        "certificate that covers it), or correct the DNS record that points it at CloudFront. "
        "Compare x-host-header with Aliases.Items in get-distribution-config; a wildcard alias "
        "*.example.com covers every name that ends in .example.com.",
    [CFS_CAUSE_ORIGIN_S3] =
        "The S3 origin answered AccessDenied and CloudFront passed it on (possibly from cache). "
        "Check that the bucket policy grants s3:GetObject to the distribution (OAC: principal "
        "cloudfront.amazonaws.com with AWS:SourceArn of this distribution; OAI: its principal) "
        "and that the object exists: without s3:ListBucket S3 reports a missing key as 403, "
        "not 404. Requests for / need a Default Root Object, and a REST endpoint has no index "
        "documents for paths ending in /. Also check KMS key policies, object ownership, "
        "Requester Pays and Block Public Access. A website endpoint (bucket.s3-website-REGION) "
        "is a custom origin to CloudFront, where OAC and OAI do not apply: its objects must be "
        "publicly readable (a bucket policy granting everyone s3:GetObject, Block Public Access "
        "off, no SSE-KMS).",
    [CFS_CAUSE_ORIGIN_CUSTOM] =
        "The custom origin itself returned the 403. Reproduce it by requesting the same URL "
        "from the origin directly (curl -v with the Host header CloudFront forwards) and read "
        "the origin's access and firewall logs around the request time. Usual culprits: an IP "
        "allow-list without CloudFront's origin-facing ranges, a missing secret custom header, "
        "Host or Authorization not forwarded by the origin request policy, or a WAF in front "
        "of the origin.",
    [CFS_CAUSE_EDGE_OTHER] =
        "CloudFront refused the request at the edge for a reason other than the ones above. "
        "Where x-edge-result-type or x-edge-detailed-result-type name it (LimitExceeded, "
        "InvalidRequest*), a quota was exceeded or the request was malformed: check the "
        "distribution's quotas in Service Quotas and the client that sent the request. Where "
        "they say only Error, the reason is not in the log: a cached origin 403, CloudFront's "
        "generic \"Bad request\" page or a signer check may have answered (pass --config and "
        "--waf-logs, compare the body's length with the origin's 403s).",
    [CFS_CAUSE_EDGE_FUNCTION] =
        "Code running at the edge answered or caused the 403: a CloudFront Function or a "
        "Lambda@Edge function associated with the matched behavior (viewer request, origin "
        "request or response). Read the behavior's function associations in "
        "get-distribution-config, then the function's code and its CloudWatch logs "
        "(Lambda@Edge logs land in the region nearest the edge; CloudFront Functions log to "
        "us-east-1) for the branch that returns 403.",
    [CFS_CAUSE_UNKNOWN] =
        "The log line alone does not say why. \"What would settle it\" names the evidence that "
        "would, where cfscan knows of any (--config with the JSON of aws cloudfront "
        "get-distribution, --waf-logs); otherwise look up the x-edge-request-id in the WAF and "
        "origin logs (cfscan requests --cause unknown lists them); AWS Support can trace a "
        "request by that id as well.",
};

const char *cfs_cause_name(cfs_cause c)
{
    if ((unsigned)c >= CFS_CAUSE_COUNT) return "invalid";
    return cause_names[c];
}

int cfs_cause_lookup(const char *name)
{
    if (name == NULL) return -1;
    for (int c = 0; c < CFS_CAUSE_COUNT; c++)
        if (strcmp(name, cause_names[c]) == 0) return c;
    return -1;
}

const char *cfs_evidence_name(cfs_evidence e)
{
    if ((unsigned)e >= CFS_EV_COUNT) return "invalid";
    return evidence_names[e];
}

const char *cfs_cause_advice(cfs_cause c)
{
    if ((unsigned)c >= CFS_CAUSE_COUNT) return cause_advice[CFS_CAUSE_UNKNOWN];
    return cause_advice[c];
}

/* The single most useful next step per cause, at most 52 characters so that `--brief`
 * keeps a cause to one line of 100 columns; the full advice is cfs_cause_advice. */
static const char *const cause_step[CFS_CAUSE_COUNT] = {
    [CFS_CAUSE_NONE] = "-",
    [CFS_CAUSE_GEO_RESTRICTION] = "Review the allow/block list in GeoRestriction",
    [CFS_CAUSE_WAF_BLOCK] = "Find the WAF rule: the request id in the WAF logs",
    [CFS_CAUSE_SIGNED_URL_MISSING] = "Sign URLs or cookies for the restricted path",
    [CFS_CAUSE_SIGNED_URL_EXPIRED] = "Sign again; check the signer's clock and Expires",
    [CFS_CAUSE_SIGNED_URL_INVALID] = "Check the key pair is in a trusted key group",
    [CFS_CAUSE_HTTPS_REQUIRED] = "Link with https://, or use redirect-to-https",
    [CFS_CAUSE_METHOD_NOT_ALLOWED] = "Allow the method in the behavior's AllowedMethods",
    [CFS_CAUSE_CNAME_NOT_ASSOCIATED] = "Add the Host to the distribution's Aliases",
    [CFS_CAUSE_ORIGIN_S3] = "Bucket policy: grant CloudFront s3:GetObject",
    [CFS_CAUSE_ORIGIN_CUSTOM] = "Request the URL from the origin; read its logs",
    [CFS_CAUSE_EDGE_OTHER] = "Read x-edge-detailed-result-type; check quotas",
    [CFS_CAUSE_EDGE_FUNCTION] = "Read the function's code and its CloudWatch logs",
    [CFS_CAUSE_UNKNOWN] = "Pass --waf-logs and --config to decide it",
};

const char *cfs_cause_first_step(cfs_cause c)
{
    if ((unsigned)c >= CFS_CAUSE_COUNT) return cause_step[CFS_CAUSE_UNKNOWN];
    return cause_step[c];
}

size_t cfs_candidates_str(uint32_t mask, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap) buf[0] = 0;
    for (int c = 1; c < CFS_CAUSE_COUNT; c++) {
        if (!(mask & (1u << c))) continue;
        int w = snprintf(buf + n, cap > n ? cap - n : 0, "%s%s", n ? "|" : "", cause_names[c]);
        if (w > 0) n += (size_t)w;
    }
    if (cap && n >= cap) n = cap - 1;
    return n;
}
