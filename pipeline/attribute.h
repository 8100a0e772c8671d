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
} cfs_attribution;

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
int cfs_attr_needs_latency(cfs_attribution a);
/* For a 403 with WAF logs given: the CFS_WAF_NOTE_* the WAF logs add to its attribution
 * (a joined record that is no 403 block, or a line outside the logs' coverage), or -1. */
int cfs_attr_waf_note(const cfs_record *r, const cfs_attr_ctx *ctx);
/* The rule id every non-403 line gets (never provisional), so per-line callers can skip
 * cfs_attr_needs_latency() for it; the one exception, also never provisional, is a 403
 * remapped by CustomErrorResponses (cfs_rule_is_hidden_403). */
#define CFS_RULE_NOT_403 0
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
/* 1 when r is an origin fetch fit for the reference: a 2xx/3xx Miss, not a 304
 * revalidation, not a WebSocket (ws/wss) connection, with a latency. */
int cfs_attr_origin_sample(const cfs_record *r);
/* The distribution's origin-fetch reference in ms, derived from the histogram of
 * cfs_attr_latency_ms over its cfs_attr_origin_sample responses.
 * 0 when there is too little data to judge. */
uint32_t cfs_attr_reference_ms(const cfs_hist *origin_fetch);
/* Settle a provisional attribution, given the request's latency and the reference. */
cfs_attribution cfs_attr_settle(cfs_attribution a, uint32_t time_taken_ms, uint32_t reference_ms);
/* One line describing how reference_ms was derived, for the report. */
const char *cfs_attr_reference_rule(void);
/* Which measure a reference of `samples` samples, `ttfb` of them time-to-first-byte,
 * used: "time_to_first_byte", "time_taken", "mixed", or "none" without samples. */
const char *cfs_attr_reference_measure(uint64_t samples, uint64_t ttfb);

/* Rule table access (for reports and tests). */
const char *cfs_rule_name(uint16_t rule);
unsigned cfs_rule_count(void);
/* Next steps for a cause, from the troubleshooting guide, in our words (one paragraph). */
const char *cfs_cause_advice(cfs_cause c);

#endif
