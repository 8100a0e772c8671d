/* A small strict JSON (RFC 8259) reader for the evidence inputs: distribution configs and
 * WAF log lines.  One call parses a whole buffer into a flat array of nodes laid out in
 * document order; accessors walk it without recursion.  Not a hot-path component. */
#ifndef CFSCAN_PIPELINE_JSON_H
#define CFSCAN_PIPELINE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/types.h"

/* Limits.  Depth 64 is far above any AWS document (a distribution config nests about 7
 * deep) and keeps the parser's explicit stack a fixed array.  Inputs above the size limit
 * are refused before any allocation: a node costs 32 bytes and needs at least 2 input
 * bytes ("0,"), so 64 MiB of input bounds the node array near 1 GiB in the worst case,
 * while real configs are kilobytes and WAF lines are capped at CFS_MAX_LINE. */
#define CFS_JSON_MAX_DEPTH 64
#define CFS_JSON_MAX_INPUT ((size_t)64 << 20) /* 64 MiB */
#define CFS_JSON_MAX_NUMBER_CHARS 400         /* longer number literals are refused */

/* clang-format off */
typedef enum cfs_json_type {
    CFS_JSON_NULL = 0, CFS_JSON_FALSE, CFS_JSON_TRUE, CFS_JSON_NUMBER, CFS_JSON_STRING,
    CFS_JSON_ARRAY, CFS_JSON_OBJECT
} cfs_json_type;
/* clang-format on */

/* One value.  Nodes sit in one array in document order: a container's first child is the
 * next node, and a node's next sibling is `size` nodes further on, so a pointer to a node
 * is all an accessor needs.  Strings (keys and values) point into the document's string
 * pool, unescaped and NUL-terminated (they may also contain U+0000, hence the lengths). */
typedef struct cfs_json {
    uint8_t type;     /* cfs_json_type */
    uint8_t last;     /* 1 when this is the last child of its parent (or the root) */
    uint32_t size;    /* nodes in this subtree, itself included (>= 1) */
    uint32_t len;     /* children of an array/object; bytes of a string */
    uint32_t key_len; /* member of an object: bytes of its key */
    const char *key;  /* member of an object: its key; NULL otherwise */
    union {
        double num;      /* CFS_JSON_NUMBER */
        const char *str; /* CFS_JSON_STRING */
    } v;
} cfs_json;

/* A parsed document.  Zero-initialise, parse any number of times (buffers are reused, so
 * a loop over log lines allocates only while lines grow), then cfs_json_doc_free. */
typedef struct cfs_json_doc {
    cfs_json *nodes;
    size_t n_nodes, cap_nodes;
    char *pool; /* unescaped strings; never larger than the input */
    size_t cap_pool;
} cfs_json_doc;

/* Parse buf[0..n) (need not be NUL-terminated).  On failure returns CFS_E_FORMAT with
 * "<reason> at offset <byte>" in err (e.g. "expected ':' at offset 123"), or
 * CFS_E_NOMEM; the document is then empty.  Leading/trailing whitespace is allowed,
 * anything else after the value is an error. */
cfs_status cfs_json_parse(cfs_json_doc *doc, const char *buf, size_t n, char *err, size_t errlen);
void cfs_json_doc_free(cfs_json_doc *doc);
/* The root value, NULL when the last parse failed or nothing was parsed. */
const cfs_json *cfs_json_root(const cfs_json_doc *doc);

/* Accessors: every one accepts NULL and answers NULL / 0 for a missing or wrongly typed
 * value, so chains like cfs_json_str(cfs_json_get(o, "Id")) need no checks between. */
const cfs_json *cfs_json_get(const cfs_json *obj, const char *key);
/* Dotted path of object keys: "Distribution.DistributionConfig.Aliases.Items"; an
 * all-digit segment indexes an array ("Origins.Items.0.Id").  Keys holding '.' cannot be
 * reached this way (use cfs_json_get). */
const cfs_json *cfs_json_path(const cfs_json *root, const char *path);
/* Children of an array or object (object children are its members: ->key is set). */
const cfs_json *cfs_json_first(const cfs_json *container);
const cfs_json *cfs_json_next(const cfs_json *child);
const cfs_json *cfs_json_at(const cfs_json *array, size_t i);
size_t cfs_json_count(const cfs_json *container);
/* String value or NULL; *len (optional) receives its byte length. */
const char *cfs_json_str(const cfs_json *v);
const char *cfs_json_strn(const cfs_json *v, size_t *len);
/* 1 and *out for a number, else 0. */
int cfs_json_num(const cfs_json *v, double *out);
/* 1 for true, 0 for false, -1 for anything else. */
int cfs_json_bool(const cfs_json *v);

#endif
