/* What each attribution rule rests on and which documentation it cites, for `cfscan rules`
 * (issue 17 item 6: rule names and evidence levels were explained nowhere a user looks).
 * The rule table itself (cause, evidence level, predicate) is pipeline/attribute.c; this
 * is its reader's companion, keyed by rule name so the two cannot silently disagree:
 * cfs_rule_doc returns NULL for a rule without an entry, which tests/test_rules_doc.c
 * forbids.  Sections (§) are those of shared/reference/cloudfront-logs.md. */
#include "pipeline/rules_doc.h"

#include <string.h>

/* The sources the reference names (S1, S4, S5, the WAF guide, the Knowledge Center). */
#define S1 "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html"
#define S3V2 "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging.html"
#define S4 "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-permission-denied.html"
#define S5 "https://repost.aws/knowledge-center/cloudfront-troubleshoot-403-errors"
#define WAF "https://docs.aws.amazon.com/waf/latest/developerguide/logging-fields.html"
#define KCSIGN "https://repost.aws/knowledge-center/cloudfront-troubleshoot-signed-url-cookies"
#define KCS3 "https://repost.aws/knowledge-center/s3-rest-api-cloudfront-error-403"
#define KCWEB "https://repost.aws/knowledge-center/s3-website-cloudfront-error-403"

/* Shared wording of the latency rules' facts. */
#define EDGE_FAST "an Error 403 with CloudFront's HTML page (or no type), edge-fast (<= 5 ms to the first byte)"
#define LAT_CITE "§5.1 (edge vs origin), §4 (Error result type); " S4 " ; " S5

static const cfs_rule_doc docs[] = {
    {"not_403", "the line's status is not 403: no cause", "§1.2 field sc-status; " S1},
    {"waf_log_block", "a terminating BLOCK record in the WAF logs has this line's x-edge-request-id as httpRequest.requestId (with the default or a 403 custom response)", "§5.3; " WAF},
    {"drt_client_geo_blocked", "x-edge-detailed-result-type is ClientGeoBlocked, logged only for geographic restriction", "§4, §5.2; " S1 " ; " S5},
    {"drt_invalid_request_method", "x-edge-detailed-result-type is InvalidRequestMethod: the method is not in the behavior's AllowedMethods", "§4; " S1},
    {"drt_invalid_request_blocked", "x-edge-detailed-result-type InvalidRequestBlocked (\"access to the requested resource is blocked\"): an edge refusal", "§4; " S1},
    {"drt_invalid_request", "x-edge-detailed-result-type InvalidRequest: the edge refused a malformed request", "§4; " S1},
    {"drt_invalid_request_header", "x-edge-detailed-result-type InvalidRequestHeader: a request header the edge refuses", "§4; " S1},
    {"drt_invalid_request_certificate", "x-edge-detailed-result-type InvalidRequestCertificate: the distribution does not match the TLS certificate of the connection", "§4; " S1},
    {"rt_limit_exceeded", "x-edge-result-type LimitExceeded: a CloudFront quota was exceeded", "§4; " S1},
    {"rt_lambda_execution_error", "x-edge-result-type LambdaExecutionError: a Lambda@Edge function did not complete", "§4; " S1},
    {"drt_miss_generated_response", "x-edge-detailed-result-type MissGeneratedResponse: an origin-request Lambda@Edge made the response", "§4; " S1},
    {"rt_function_generated_response_associated", "FunctionGeneratedResponse in the result type, and the config shows a viewer-request CloudFront Function on the matched behavior", "§4 (seen in the wild, not in the AWS list [3p]); " S1},
    {"rt_function_generated_response_no_function", "FunctionGeneratedResponse, but the config shows the matched behavior has no function: a newer config or another meaning", "§4 [3p]; " S1},
    {"rt_function_generated_response", "FunctionGeneratedResponse in the result type, without a config to corroborate it", "§4 [3p]; " S1},
    {"rt_function_error_associated", "FunctionExecutionError/FunctionThrottledError, and the config shows a CloudFront Function on the matched behavior", "§4 [3p]; " S1},
    {"rt_function_error_no_function", "FunctionExecutionError/FunctionThrottledError, but the config shows no function on the matched behavior", "§4 [3p]; " S1},
    {"rt_function_error", "FunctionExecutionError/FunctionThrottledError in the result type, without a config", "§4 [3p]; " S1},
    {"rt_lambda_generated_response_associated", "LambdaGeneratedResponse, and the config shows a request-event Lambda@Edge on the matched behavior", "§4 [3p]; " S1},
    {"rt_lambda_generated_response_no_function", "LambdaGeneratedResponse, but the config shows no Lambda@Edge on the matched behavior", "§4 [3p]; " S1},
    {"rt_lambda_generated_response", "LambdaGeneratedResponse in the result type, without a config", "§4 [3p]; " S1},
    {"host_not_associated", "x-host-header differs from cs(Host) and is neither the config's DomainName nor one of its Aliases (get-distribution gives both)", "§5.5, §1.2 fields 7 and 16; " S5},
    {"host_not_associated_partial_identity", "the same, from a config without DomainName (get-distribution-config): the identity is partial", "§5.5; " S5},
    {"https_only_behavior_http", "cs-protocol http on a behavior whose ViewerProtocolPolicy is https-only (config), with a CloudFront body", "§5.5; " S5},
    {"redirect_behavior_http10_non_get", "a non-GET/HEAD request over HTTP/1.0 to a redirect-to-https behavior, which cannot be redirected", "§5.1, §5.5 (archived developer guide, S2)"},
    {"behavior_method_not_allowed", "the method is not in the matched behavior's AllowedMethods (config), on a log without the detailed result type", "§4; " S1},
    {"behavior_method_not_allowed_drt_error", "the same, but the detailed result type says plain Error where CloudFront would say InvalidRequestMethod: the config may be newer", "§4; " S1},
    {"signed_missing_on_restricted_behavior", "a restricted behavior (TrustedKeyGroups/TrustedSigners) and no non-empty Key-Pair-Id in the query or the logged cookies", "§5.4 (KC checklist 1-2), §1.2 field 13; " KCSIGN},
    {"signed_missing_on_restricted_behavior_cookies_unlogged", "the same with cookies not logged (Logging.IncludeCookies off or unknown): signed cookies may have been sent and refused", "§5.4, §1.2 field 13; " KCSIGN},
    {"signed_query_expired", "the query's Expires (canned) or the policy's DateLessThan lies before the request arrived", "§5.4; " KCSIGN},
    {"signed_cookie_expired", "the logged CloudFront-Expires / policy cookie lies before the request arrived", "§5.4; " KCSIGN},
    {"signed_expiry_same_second", "the expiry falls in the second the request arrived in: the log's one-second time cannot prove it", "§5.4; " KCSIGN},
    {"s3_root_without_default_object", "S3's XML refusal for the root (/) of an S3 origin without a Default Root Object", "§5.1, §5.6 item 6; " KCS3},
    {"s3_rest_trailing_slash", "S3's XML refusal for a path ending in / on an S3 REST origin (no index documents there)", "§5.1, §5.6; " KCS3},
    {"s3_xml_body", "application/xml (S3's AccessDenied body) and the config names an S3 origin for the behavior", "§5.1, §5.6; " KCS3},
    {"s3_xml_body_unconfigured", "application/xml (S3's AccessDenied body) without a config naming the origin", "§5.1, §5.6; " KCS3},
    {"custom_origin_xml_body", "application/xml and the config says the behavior's origin is custom: the origin answered XML of its own", "§5.1, §5.7; " S5},
    {"cloudfront_origin_xml_body", "application/xml from an origin that is another distribution (a cloudfront.net name): its 403 reached us as an origin's", "§5.1; " S5},
    {"signed_policy_not_yet_valid", "a custom policy whose DateGreaterThan lies after the request", "§5.4 (KC item 4); " KCSIGN},
    {"signed_present_refused", "a signer present and not expired, yet CloudFront's signed-URL text/xml refusal: unknown key, bad signature or policy", "§5.4 (KC items 3, 5); " KCSIGN},
    {"signed_present_time_unknown", "a signer present but the line's time is unusable: expired and invalid cannot be told apart", "§5.4; " KCSIGN},
    {"signed_missing_xml_error", "CloudFront's text/xml refusal and no signer, without a config saying the behavior is restricted", "§5.1, §5.4; " KCSIGN},
    {"signed_missing_xml_error_cookies_unlogged", "the same with cookies not logged: signed cookies may have been sent", "§5.1, §5.4, §1.2 field 13; " KCSIGN},
    {"origin_first_byte_logged_s3", "v2 origin-fbl holds a value (CloudFront fetched from the origin) and the origin is S3", "§2; " S3V2},
    {"origin_first_byte_logged", "v2 origin-fbl holds a value: the origin answered this request", "§2; " S3V2},
    {"origin_result_type_s3", "result type Hit/RefreshHit/Miss/OriginShieldHit: the 403 came from the cache or the (S3) origin", "§4; " S1},
    {"origin_result_type_cloudfront", "result type Hit/RefreshHit/Miss from an origin that is another distribution", "§4; " S1},
    {"origin_result_type", "result type Hit/RefreshHit/Miss/OriginShieldHit: the 403 came from the cache or the origin", "§4; " S1},
    {"latency_pending_body_s3", "provisional (settled after the pass): a non-CloudFront body where a web ACL may be attached, S3 origin", "§5.3, §5.1; " WAF},
    {"latency_pending_body", "provisional (settled after the pass): a non-CloudFront body (JSON, text) where a web ACL may be attached", "§5.3, §5.1; " WAF},
    {"non_cloudfront_body_s3", "a body type CloudFront never writes (JSON, plain text) on an S3 origin: the origin's", "§5.1; " S4},
    {"non_cloudfront_body", "a body type CloudFront never writes (JSON, plain text): the origin's", "§5.1; " S4},
    {"http_403_error_page_over_http", "provisional: " EDGE_FAST " to plain http, the behavior's protocol policy unknown", LAT_CITE},
    {"latency_pending", "provisional: an Error 403 with CloudFront's HTML page; the latency against the origin reference decides after the pass", LAT_CITE},
    {"latency_pending_s3", "provisional: the same on an S3 origin", LAT_CITE},
    {"latency_pending_waf_unlogged", "provisional: the same where WAF logs cover the line and hold no record of it", LAT_CITE},
    {"latency_pending_waf_unlogged_s3", "provisional: the same on an S3 origin", LAT_CITE},
    {"latency_pending_no_acl", "provisional: the same where the config shows no web ACL", LAT_CITE},
    {"latency_pending_no_acl_s3", "provisional: the same on an S3 origin", LAT_CITE},
    {"unclassified", "a 403 no rule explains (an unusual result type)", "§4; " S1},
    {"latency_edge_waf", EDGE_FAST "; the distribution's origin is measurably slower (reference >= 12 ms): a WAF block is the edge 403 with this signature", LAT_CITE},
    {"latency_edge_waf_unlogged", EDGE_FAST "; WAF logs cover it and hold no block record (blocks are logged): another edge refusal", LAT_CITE " ; " WAF},
    {"latency_edge_no_acl", EDGE_FAST "; the config shows no web ACL: another edge refusal", LAT_CITE},
    {"latency_edge_http", EDGE_FAST " to plain http: HTTPS Only or a WAF block of an http request, the same page", LAT_CITE},
    {"latency_edge_waf_absolute", EDGE_FAST "; no origin reference (too few origin fetches): the origin's speed is unknown", LAT_CITE},
    {"latency_edge_waf_unlogged_absolute", "the same as latency_edge_waf_unlogged with no origin reference", LAT_CITE},
    {"latency_edge_no_acl_absolute", "the same as latency_edge_no_acl with no origin reference", LAT_CITE},
    {"latency_edge_http_absolute", "the same as latency_edge_http with no origin reference", LAT_CITE},
    {"latency_origin_custom", "20 ms or more to the first byte (no edge refusal takes that long), or 5-20 ms where the origin's own fetches are that fast", LAT_CITE},
    {"latency_origin_s3", "the same on an S3 origin", LAT_CITE},
    {"latency_ambiguous_http", "5-20 ms, or edge-fast next to an origin as fast as the edge, to plain http: undecided", LAT_CITE},
    {"latency_ambiguous", "5-20 ms, or edge-fast next to an origin as fast as the edge: edge or origin cannot be told", LAT_CITE},
    {"latency_ambiguous_s3", "the same on an S3 origin", LAT_CITE},
    {"latency_ambiguous_waf_unlogged", "the same where WAF logs cover the line and hold no record of it", LAT_CITE},
    {"latency_ambiguous_waf_unlogged_s3", "the same on an S3 origin", LAT_CITE},
    {"latency_ambiguous_no_acl", "the same where the config shows no web ACL", LAT_CITE},
    {"latency_ambiguous_no_acl_s3", "the same on an S3 origin", LAT_CITE},
    {"latency_no_time_taken_http", "no time-taken or time-to-first-byte on the line (plain http): the latency test cannot run", "§1.4 (older layouts); " S1},
    {"latency_no_time_taken", "no time-taken or time-to-first-byte on the line: the latency test cannot run", "§1.4; " S1},
    {"latency_no_time_taken_s3", "the same on an S3 origin", "§1.4; " S1},
    {"latency_no_time_taken_waf_unlogged", "the same where WAF logs cover the line and hold no record of it", "§1.4; " S1},
    {"latency_no_time_taken_waf_unlogged_s3", "the same on an S3 origin", "§1.4; " S1},
    {"latency_no_time_taken_no_acl", "the same where the config shows no web ACL", "§1.4; " S1},
    {"latency_no_time_taken_no_acl_s3", "the same on an S3 origin", "§1.4; " S1},
    {"latency_edge_custom_body", "a non-CloudFront body answered edge-fast where a web ACL may be attached: a WAF custom response or a fast origin", "§5.3; " WAF},
    {"latency_edge_custom_body_s3", "the same on an S3 origin", "§5.3; " WAF},
    {"cached_origin_403", "edge-fast, and an origin-served 403 of the same URI, content type and length ended within ErrorCachingMinTTL before it: CloudFront's cached copy", "§5.1 (error caching); " S4},
    {"cached_origin_403_s3", "the same on an S3 origin", "§5.1; " S4},
    {"learned_error_page", "edge-fast with the content type and length of a page this distribution's confirmed 403s of one cause showed", "§5.1; " S4},
    {"learned_generic_error_page", "edge-fast with the length of CloudFront's generic Bad request page here: not WAF's block page, cause undecided", "§5.1; " S4},
    {"one_error_page_for_all", "one type and length carries causes with pages of their own: one custom error page answers every 403, the body proves nothing", "§5.1 (CustomErrorResponses); " S4},
    {"origin_behind_one_error_page", "an origin-served 403 behind that one custom page: S3 and a custom origin cannot be told apart without the config", "§5.1; " S4},
    {"hidden_403_remapped", "an Error line whose status is the one CustomErrorResponses remaps 403 to: a 403 viewers never saw as one (no cause)", "§5.1 (CustomErrorResponses); " S4},
};

/* "<rule>_config_newer": a config-based verdict on a line older than the config's
 * LastModifiedTime, one level lower (attribute.c CONFIG_TWINS). */
static const cfs_rule_doc twin = {
    NULL,
    "the rule without _config_newer, on a line older than the config's LastModifiedTime: the "
    "setting may have been different then, so one evidence level lower",
    "§5 (settings read from get-distribution); "
    "https://docs.aws.amazon.com/cli/latest/reference/cloudfront/get-distribution.html"};

const cfs_rule_doc *cfs_rule_doc_find(const char *name)
{
    static const char suffix[] = "_config_newer";
    size_t n = strlen(name), sl = sizeof suffix - 1;
    if (n > sl && !strcmp(name + n - sl, suffix)) {
        /* a twin documents itself through its base rule's entry */
        for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
            if (strlen(docs[i].name) == n - sl && !strncmp(docs[i].name, name, n - sl)) return &twin;
        return NULL;
    }
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        if (!strcmp(docs[i].name, name)) return &docs[i];
    return NULL;
}
