/* Documentation of the attribution rules for `cfscan rules`: per rule name, the facts it
 * rests on and the documentation it cites (pipeline/rules_doc.c). */
#ifndef CFSCAN_PIPELINE_RULES_DOC_H
#define CFSCAN_PIPELINE_RULES_DOC_H

typedef struct cfs_rule_doc {
    const char *name;  /* the rule (NULL for the shared entry of the _config_newer twins) */
    const char *facts; /* what in the line, the config or the WAF logs it rests on */
    const char *cites; /* reference sections (shared/reference/cloudfront-logs.md) and URLs */
} cfs_rule_doc;

/* The entry of a rule name (cfs_rule_name), or NULL when it has none. */
const cfs_rule_doc *cfs_rule_doc_find(const char *name);

#endif
