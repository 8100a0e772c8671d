/* 403 cause attribution: the troubleshooting guide as a table of rules over one log
 * line, plus the distribution-level edge-versus-origin latency test settled after the
 * single pass.  Non-403 lines get CFS_CAUSE_NONE. */
#ifndef CFSCAN_PIPELINE_ATTRIBUTE_H
#define CFSCAN_PIPELINE_ATTRIBUTE_H

#include <stdint.h>
#include "pipeline/types.h"
#include "pipeline/config.h"
#include "pipeline/waf.h"
#include "pipeline/sketch.h"

typedef struct cfs_attribution {
    uint8_t cause;    /* cfs_cause */
    uint8_t evidence; /* cfs_evidence */
    uint16_t rule;    /* rule id: cfs_rule_name(rule) */
    uint8_t excl;     /* CFS_EXCL_* bits: the causes the 403 line itself or its config
                       * rules out, which an undecided verdict's candidates leave out
                       * (cfs_candidates); kept through the settles, 0 for other lines */
} cfs_attribution;

/* Causes a 403 line, or the config in force when it was written, rules out whatever its
 * rule (cfs_attribution.excl).  Only certain facts count: the line's cs-protocol, its
 * method, its x-edge-detailed-result-type, x-host-header equal to cs(Host); and the
 * config's GeoRestriction, web ACL, the behavior's ViewerProtocolPolicy, AllowedMethods
 * and trusted signers, the aliases (never from a config modified after the line); WAF
 * logs that cover the line without a block record; a non-empty Key-Pair-Id in every set of
 * signer values the line shows, with the query and the cookies both logged (KEYED: a
 * state of schema 8 or older has no such bit). */
enum {
    CFS_EXCL_GEO = 1,     /* geo_restriction */
    CFS_EXCL_WAF = 2,     /* waf_block */
    CFS_EXCL_SIGNED = 4,  /* signed_url_missing, signed_url_expired, signed_url_invalid */
    CFS_EXCL_HTTPS = 8,   /* https_required */
    CFS_EXCL_METHOD = 16, /* method_not_allowed */
    CFS_EXCL_CNAME = 32,  /* cname_not_associated */
    CFS_EXCL_KEYED = 64,  /* signed_url_missing: every signer set the viewer sent names a key */
    CFS_EXCL_ALL = 127    /* every bit above; higher ones stand for nothing */
};

typedef struct cfs_attr_ctx {
    const cfs_config_set *config; /* NULL without --config */
    const cfs_waf_index *waf;     /* NULL without --waf-logs */
    int redact_clients;           /* --redact-clients: addresses are truncated (redact.h)
                                   * before they enter a top-client list or a row */
} cfs_attr_ctx;

/* Attribute one record.  Pure and thread-safe.  Where only the edge-versus-origin
 * latency test can decide (an `Error` 403 that no other rule explains), the result is
 * provisional: cfs_attr_needs_latency() is true, and the caller keeps the request's
 * latency (cfs_attr_latency_ms) until cfs_attr_settle() is called after the pass. */
cfs_attribution cfs_attribute(const cfs_record *r, const cfs_attr_ctx *ctx);
/* The same with what the aggregation of the line needs besides, so that it never looks
 * the line up in the WAF logs again. */
typedef struct cfs_attr_line {
    cfs_attribution at;
    uint32_t waf;      /* with WAF logs: 1 + the row of the report's WAF table this 403 counts
                   * under, i.e. the terminating rule (cfs_waf_rule_name index) of the
                   * BLOCK record that proves a WAF block (cause waf_block), or
                   * cfs_waf_rule_count() + the CFS_WAF_NOTE_* the logs add to the line (a
                   * joined record that is no 403 block, or a line outside the logs'
                   * coverage); 0 for neither, and always without WAF logs. */
    uint32_t waf_held; /* set by `scan --cause` (scan.c, line_extra) on a 403 held back to
                        * be judged at the end: its waf row, counted only if the 403
                        * settles into the cause (cfs_judged_cause); else 0 */
} cfs_attr_line;
/* The rule table, for any line (cfs_attribute_line calls it for 403s and for lines a
 * config may have remapped from 403). */
cfs_attr_line cfs_attribute_line_rules(const cfs_record *r, const cfs_attr_ctx *ctx);
int cfs_attr_needs_latency(cfs_attribution a);
/* Whether a's verdict may still change at the end of the pass: a provisional one, or one
 * judged again with what the pass learns (a cache or origin result type, which a single
 * error page for every 403 leaves undecided: cfs_attr_settle_fast). */
int cfs_attr_may_settle(cfs_attribution a);
/* 1 when the rule table has the shape cfs_attribute relies on (for the tests). */
int cfs_attr_table_ok(void);
/* The rule id every non-403 line gets (never provisional), so per-line callers can skip
 * cfs_attr_needs_latency() for it; the one exception, also never provisional, is a 403
 * remapped by CustomErrorResponses (cfs_rule_is_hidden_403). */
#define CFS_RULE_NOT_403 0
/* Inline so that the common line, no 403 and nothing a config could have remapped from
 * one (hidden_403 in attribute.c looks only at an Error), costs a compare, not a call. */
static inline cfs_attr_line cfs_attribute_line(const cfs_record *r, const cfs_attr_ctx *ctx)
{
    if (r->status != 403 &&
        (r->result != CFS_R_ERROR || ctx == NULL || ctx->config == NULL || !ctx->config->any_403_remap)) {
        const cfs_attr_line plain = {{CFS_CAUSE_NONE, CFS_EV_NONE, CFS_RULE_NOT_403, 0}, 0, 0};
        return plain;
    }
    return cfs_attribute_line_rules(r, ctx);
}
/* 1 for the rule of a non-403 line that is a 403 remapped by the distribution's
 * CustomErrorResponses (result type Error, status = the 403 entry's ResponseCode). */
int cfs_rule_is_hidden_403(uint16_t rule);
/* 1 for the rule of a 403 judged by a distribution config newer than the line (its
 * LastModifiedTime after the line's time): a config-based verdict lowered one evidence
 * level, named "<rule>_config_newer".  The report counts them per distribution. */
int cfs_rule_is_config_newer(uint16_t rule);

/* The latency the edge-versus-origin test compares, for a reference sample and for a
 * provisional 403 alike: time-to-first-byte when the line has it, else time-taken
 * (CFS_NO_MILLIS when it has neither). */
uint32_t cfs_attr_latency_ms(const cfs_record *r);
/* The latency a 403 is judged by: cfs_attr_latency_ms, or 0 when v2's origin-fbl is '-'
 * (CloudFront did not contact the origin for it). */
uint32_t cfs_attr_decision_ms(const cfs_record *r);
/* The config of r's distribution in set (NULL for none): found by the line's distribution
 * id or cs(Host), else by its x-host-header (then *via_host_header is 1: that name is
 * associated by construction; via_host_header may be NULL), and of a history of configs
 * the one in force when the line was written (cfs_config_version_at). */
const cfs_dist_config *cfs_attr_config_of(const cfs_record *r, const cfs_config_set *set,
                                          int *via_host_header);
/* 1 when r is an origin fetch fit for the reference: a 2xx/3xx Miss, not a 304
 * revalidation, not a WebSocket (ws/wss) connection, with a latency. */
int cfs_attr_origin_sample(const cfs_record *r);
/* The distribution's origin-fetch reference in ms, derived from the histogram of
 * cfs_attr_latency_ms over its cfs_attr_origin_sample responses.
 * 0 when there is too little data to judge (fewer than 20 fetches). */
uint32_t cfs_attr_reference_ms(const cfs_hist *origin_fetch);
/* Settle a provisional attribution, given the request's decision latency and the reference. */
cfs_attribution cfs_attr_settle(cfs_attribution a, uint32_t ms, uint32_t reference_ms);

/* Held-back 403s (cfs_attr_deferred; the edge-fast ones, cfs_attr_edge_fast, above all) are
 * judged after the pass against what the whole pass learned about their distribution,
 * before the latency test:
 *   cached: an origin-served 403 (cfs_attr_origin_served) of the same distribution, URI,
 *           content type and length ended within the error-caching TTL before it;
 *   page_causes: bit (1u << cause) for each cause whose confirmed 403s of the distribution
 *           (cfs_attr_page_cause) had this content type and length, often enough;
 *   origin_page: origin-served 403s of the distribution had this type and length too. */
typedef struct cfs_fast_evidence {
    int cached;
    uint32_t page_causes;
    int origin_page;
    int one_page;   /* the type and length are proven for several causes with different
                   * pages (or for an edge cause and the origin): the distribution answers
                   * every 403 with one page (CustomErrorResponses), the body says nothing */
    int copy_blind; /* the line's layout lacks the URI, or both the body's type and length:
                     * no cached copy can be seen (cached is 0), yet one may be there */
} cfs_fast_evidence;
int cfs_attr_edge_fast(cfs_attribution a, uint32_t ms);
/* 1 for the 403s judged after the pass (cfs_attr_settle_fast, then the latency test
 * against their own origin's reference): every provisional one with a latency, and those
 * whose origin verdict rests on the body being the origin's own (a cache/origin result
 * type), which a distribution that answers every 403 with one custom page contradicts. */
int cfs_attr_deferred(cfs_attribution a, uint32_t ms);
/* 1 for a 403 the origin answered by the rules (origin-fbl) or by its latency (>= 20 ms on
 * a provisional or body rule); such lines are what cached copies are copies of. */
int cfs_attr_origin_served(cfs_attribution a, uint32_t ms);
/* The cause whose edge page a confirmed 403 shows (geo, method, WAF-joined, ...), or 0. */
int cfs_attr_page_cause(cfs_attribution a);
/* a (a cfs_attr_deferred line with decision latency ms) judged by that evidence
 * (cached_origin_403, learned_error_page, ...), or a unchanged when it decides nothing. */
cfs_attribution cfs_attr_settle_fast(cfs_attribution a, uint32_t ms, const cfs_fast_evidence *ev);
/* For an undecided (unknown) settled rule: bit (1u << cause) per candidate cause, else 0. */
uint32_t cfs_rule_candidates(uint16_t rule);
/* The same for one verdict or row: its rule's candidates less the causes its excl rules
 * out, unless that leaves none (the facts then contradict the rule's premise, and its own
 * set stands). */
uint32_t cfs_candidates(uint16_t rule, uint8_t excl);
/* The part of excl that a row keyed by the rule keeps: all of it while the rule is
 * provisional (its settled rule is not known yet), else the bits of its candidates, so
 * that rows of a decided verdict, or exclusions its candidates do not name, never split. */
uint8_t cfs_excl_kept(uint16_t rule, uint8_t excl);
/* What extra evidence would decide a 403 of this rule (issue 10, "what would settle it"):
 * the report counts them per distribution. */
typedef enum cfs_settle_hint {
    CFS_HINT_NONE = 0,
    CFS_HINT_WAF_LOGS,     /* WAF block or not: --waf-logs would say */
    CFS_HINT_CONFIG,       /* the behavior's settings would say: --config */
    CFS_HINT_COOKIES,      /* cookie logging off or unknown: signed cookies unseen */
    CFS_HINT_TIME,         /* no time-taken / time-to-first-byte on the line */
    CFS_HINT_REFERENCE,    /* too few origin fetches, or an origin as fast as the edge */
    CFS_HINT_ORIGIN,       /* edge versus origin undecided: the origin's access logs */
    CFS_HINT_CONFIG_NEWER, /* judged by a config modified after the line */
    CFS_HINT_LAYOUT,       /* the log layout lacks the fields that name edge refusals */
    CFS_HINT_COUNT
} cfs_settle_hint;
cfs_settle_hint cfs_rule_settle_hint(uint16_t rule, int with_config, int with_waf);
/* "waf_block|origin_custom" for a candidate mask ("" for 0); returns the length. */
size_t cfs_candidates_str(uint32_t mask, char *buf, size_t cap);
/* One line describing how the edge-versus-origin test works, for the report. */
const char *cfs_attr_reference_rule(void);
/* Which measure a reference of `samples` samples, `ttfb` of them time-to-first-byte,
 * used: "time_to_first_byte", "time_taken", "mixed", or "none" without samples. */
const char *cfs_attr_reference_measure(uint64_t samples, uint64_t ttfb);

/* Rule table access (for reports and tests). */
const char *cfs_rule_name(uint16_t rule);
unsigned cfs_rule_count(void);
cfs_cause cfs_rule_cause(uint16_t rule);
cfs_evidence cfs_rule_evidence(uint16_t rule);
/* Next steps for a cause, from the troubleshooting guide, in our words (one paragraph). */
const char *cfs_cause_advice(cfs_cause c);
/* The single most useful next step for a cause, one short line (`--brief`). */
const char *cfs_cause_first_step(cfs_cause c);

#endif
