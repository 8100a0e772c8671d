/* AWS WAF logs as 403 evidence: reads JSON-lines files (gzip, zstd or plain, files or directory
 * trees), keeps the terminating non-ALLOW records inside the run's time window, and
 * indexes them by httpRequest.requestId (= the CloudFront log's x-edge-request-id). */
#include "pipeline/waf.h"
#include "pipeline/json.h"
#include "pipeline/decode.h"
#include "pipeline/source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* WAF's `timestamp` is when WAF saw the request; the access log's date/time is when the
 * response finished.  Five minutes covers slow origins and clock rounding either way. */
#define WAF_SKEW_S 300
/* A JSON number holds integers exactly up to 2^53; epoch milliseconds stay below that
 * until the year 287396. */
#define WAF_MAX_TS_MS 9007199254740992.0

/* One kept record: 16 bytes (8 hash + 4 rule + 1 action, padded).  The index stores no
 * request id, only its XXH3-64 hash, so a lookup of an id that is absent from the index
 * falsely matches a kept record with probability about n / 2^64 for n kept records
 * (1e8 records: ~5e-12 per lookup) -- far below any other error in attribution. */
typedef struct waf_entry {
    uint64_t h;     /* XXH3-64 of the request id; 0 marks an empty slot (real 0 -> 1) */
    uint32_t rule;  /* index into the rule-name table */
    uint8_t action; /* CFS_WAF_BLOCK / CAPTCHA / CHALLENGE */
    uint16_t code;  /* responseCodeSent, 0 when null (fits the padding: still 16 bytes) */
} waf_entry;

/* Interned NUL-terminated strings in one arena, found through a small power-of-two hash
 * table of (index + 1), 0 = empty.  Used for rule names, distributions and web ACLs. */
typedef struct strtab {
    char *names;
    size_t names_len, names_cap;
    uint32_t *off;
    uint32_t n, cap;
    uint32_t *slots;
    uint32_t mask; /* slots has mask + 1 entries */
} strtab;

/* Memory: each kept record costs one 16-byte entry while loading, then one slot of a
 * table held at most 75 % full, i.e. 16 / 0.75 ~= 21 bytes per kept record once loaded
 * (peak ~37 bytes during the one-time build).  It scales with the number of blocking
 * records in the time window, not with all WAF traffic (ALLOW records only bump their
 * distribution's coverage counters); a terabyte run over months should be windowed with
 * --since/--until. */
struct cfs_waf_index {
    /* Nothing below changes after cfs_waf_load returns, so any number of threads may
     * call cfs_waf_lookup / cfs_waf_rule_name / cfs_waf_covers concurrently without locks. */
    waf_entry *slots; /* open addressing, linear probing */
    uint32_t nslots;  /* 0 for an empty index */
    strtab rules;     /* terminatingRuleId names */
    strtab srcs;      /* httpSourceId values; src[i] belongs to srcs entry i */
    cfs_waf_source *src;
    uint32_t *src_order; /* srcs indexes sorted by id (set at the end of the load) */
    strtab acls;         /* webaclId values */
    uint32_t *acl_order;
    cfs_waf_stats stats;
    cfs_waf_path *paths; /* one per --waf-logs path, in the order given */
    size_t npaths;
    char *errors[CFS_WAF_MAX_ERRORS]; /* "PATH: reason", the first CFS_WAF_MAX_ERRORS */
    size_t nerrors;                   /* all of them */
};

typedef struct loader {
    cfs_waf_index *w;
    waf_entry *pend; /* kept records in file order, hashed into slots at the end */
    size_t n_pend, cap_pend;
    int64_t lo_ms, hi_ms; /* inclusive window in epoch milliseconds */
    cfs_json_doc doc;     /* reused for every line */
    char *buf;            /* line buffer, grows up to CFS_MAX_LINE + 1 */
    size_t cap;
    cfs_status status; /* first failure seen */
    char *err;
    size_t errlen;
    int nomem;
    cfs_waf_path *cur; /* the path being read */
    uint32_t *cur_map; /* srcs index -> cur->src index + 1 (0: none yet) */
    size_t cur_map_n;
} loader;

static void note_error(loader *L, cfs_status st, const char *fmt, ...)
{
    if (st == CFS_E_NOMEM) L->nomem = 1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* every failure is listed (up to a bound), not only the first */
    if (L->w && st != CFS_E_NOMEM) {
        if (L->w->nerrors < CFS_WAF_MAX_ERRORS) L->w->errors[L->w->nerrors] = strdup(msg);
        L->w->nerrors++;
    }
    if (L->status != CFS_OK) return; /* the status and message of the first */
    L->status = st;
    if (L->err && L->errlen) snprintf(L->err, L->errlen, "%s", msg);
}

static uint64_t id_hash(const char *p, size_t n)
{
    uint64_t h = XXH3_64bits(p, n);
    return h ? h : 1;
}

/* ---- interned strings ------------------------------------------------------------- */

static uint64_t name_hash(const char *p, size_t n) { return XXH3_64bits(p, n); }

static void strtab_free(strtab *t)
{
    free(t->names);
    free(t->off);
    free(t->slots);
}

static int strtab_grow(strtab *t)
{
    uint32_t ncap = t->mask ? (t->mask + 1) * 2 : 64;
    uint32_t *ns = calloc(ncap, sizeof *ns);
    if (!ns) return 0;
    for (uint32_t r = 0; r < t->n; r++) {
        const char *s = t->names + t->off[r];
        uint32_t i = (uint32_t)name_hash(s, strlen(s)) & (ncap - 1);
        while (ns[i]) i = (i + 1) & (ncap - 1);
        ns[i] = r + 1;
    }
    free(t->slots);
    t->slots = ns;
    t->mask = ncap - 1;
    return 1;
}

/* Index of s[0..n) or UINT32_MAX when absent.  Read-only: safe from many threads. */
static uint32_t strtab_find(const strtab *t, const char *s, size_t n)
{
    if (!t->slots) return UINT32_MAX;
    uint32_t i = (uint32_t)name_hash(s, n) & t->mask;
    while (t->slots[i]) {
        uint32_t r = t->slots[i] - 1;
        const char *x = t->names + t->off[r];
        if (strncmp(x, s, n) == 0 && x[n] == '\0') return r;
        i = (i + 1) & t->mask;
    }
    return UINT32_MAX;
}

/* Index of the interned string, adding it when new (unless the table holds `limit`
 * strings already: then UINT32_MAX - 1); UINT32_MAX when out of memory.  *added says
 * whether it was new. */
static uint32_t strtab_intern(strtab *t, const char *s, size_t n, uint32_t limit, int *added)
{
    /* Stored names are NUL-terminated, so a name with an embedded NUL (\u0000) would
     * not compare equal to itself: cut it at the first NUL. */
    const char *z = memchr(s, '\0', n);
    if (z) n = (size_t)(z - s);
    if (added) *added = 0;
    uint32_t found = strtab_find(t, s, n);
    if (found != UINT32_MAX) return found;
    if (t->n >= limit) return UINT32_MAX - 1;
    if (t->n * 2 >= t->mask && !strtab_grow(t)) return UINT32_MAX;
    uint32_t i = (uint32_t)name_hash(s, n) & t->mask;
    while (t->slots[i]) i = (i + 1) & t->mask;
    if (t->n == t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 16;
        uint32_t *no = realloc(t->off, nc * sizeof *no);
        if (!no) return UINT32_MAX;
        t->off = no;
        t->cap = nc;
    }
    if (t->names_len + n + 1 > t->names_cap) {
        size_t nc = t->names_cap ? t->names_cap : 1024;
        while (nc < t->names_len + n + 1) nc *= 2;
        char *nn = realloc(t->names, nc);
        if (!nn) return UINT32_MAX;
        t->names = nn;
        t->names_cap = nc;
    }
    if (t->names_len > UINT32_MAX - n - 1) return UINT32_MAX;
    memcpy(t->names + t->names_len, s, n);
    t->names[t->names_len + n] = '\0';
    t->off[t->n] = (uint32_t)t->names_len;
    t->names_len += n + 1;
    t->slots[i] = t->n + 1;
    if (added) *added = 1;
    return t->n++;
}

static const char *strtab_at(const strtab *t, uint32_t i) { return t->names + t->off[i]; }

/* ---- one line --------------------------------------------------------------------- */

static int parse_action(const char *a)
{
    if (!a) return -1;
    if (strcmp(a, "ALLOW") == 0) return CFS_WAF_ALLOW;
    if (strcmp(a, "BLOCK") == 0) return CFS_WAF_BLOCK;
    if (strcmp(a, "CAPTCHA") == 0) return CFS_WAF_CAPTCHA;
    if (strcmp(a, "CHALLENGE") == 0) return CFS_WAF_CHALLENGE;
    return -1;
}

/* 1 when the line is certainly an ALLOW record that would not be kept, so the DOM parse
 * can be skipped (most WAF traffic is ALLOW).  Exact, not a guess: a record whose
 * top-level action is BLOCK, CAPTCHA or CHALLENGE contains that value as the raw bytes
 * "BLOCK" (etc.) -- inside other strings a quote is always escaped, and a value could
 * only be spelled differently through \u escapes, whose presence disables the skip.
 * Lines skipped this way count as records but are not checked for being well-formed. */
static int surely_not_kept(const char *p, size_t n)
{
    if (n < 2 || p[0] != '{' || p[n - 1] != '}') return 0;
    const char *e = p + n;
    int allow = 0;
    /* One pass over the quotes (glibc memmem was slower than the parse it saves).  A
     * quote is never the last byte, which is '}', so q[1] is inside the line. */
    for (const char *q = memchr(p, '"', n); q; q = memchr(q + 1, '"', (size_t)(e - q - 1))) {
        size_t left = (size_t)(e - q);
        if (q[1] == 'a') {
            if (left >= 16 && memcmp(q, "\"action\":\"ALLOW\"", 16) == 0) allow = 1;
        } else if (q[1] == 'B') {
            if (left >= 7 && memcmp(q, "\"BLOCK\"", 7) == 0) return 0;
        } else if (q[1] == 'C') {
            if (left >= 9 && memcmp(q, "\"CAPTCHA\"", 9) == 0) return 0;
            if (left >= 11 && memcmp(q, "\"CHALLENGE\"", 11) == 0) return 0;
        }
    }
    if (!allow) return 0;
    for (const char *b = memchr(p, '\\', n); b; b = memchr(b + 1, '\\', (size_t)(e - b - 1)))
        if (b[1] == 'u') return 0;
    return 1;
}

/* The same for the path being read: its own span per distribution.  The map from the
 * index's source ids is as long as the source table (at most CFS_WAF_MAX_SOURCES). */
static void path_cover(loader *L, uint32_t i, int64_t ms)
{
    cfs_waf_path *p = L->cur;
    if (!p) return;
    if (i >= L->cur_map_n) {
        size_t nn = L->cur_map_n ? L->cur_map_n : 16;
        while (nn <= i) nn *= 2;
        uint32_t *nm = realloc(L->cur_map, nn * sizeof *nm);
        if (!nm) {
            note_error(L, CFS_E_NOMEM, "out of memory indexing WAF coverage");
            return;
        }
        memset(nm + L->cur_map_n, 0, (nn - L->cur_map_n) * sizeof *nm);
        L->cur_map = nm;
        L->cur_map_n = nn;
    }
    if (!L->cur_map[i]) {
        cfs_waf_path_src *ns = realloc(p->src, (p->nsrc + 1) * sizeof *ns);
        if (!ns) {
            note_error(L, CFS_E_NOMEM, "out of memory indexing WAF coverage");
            return;
        }
        p->src = ns;
        /* id is set once the string arena stops moving (cfs_waf_load) */
        ns[p->nsrc] = (cfs_waf_path_src){NULL, INT64_MAX, INT64_MIN, 0, i};
        L->cur_map[i] = (uint32_t)++p->nsrc;
    }
    cfs_waf_path_src *s = &p->src[L->cur_map[i] - 1];
    s->records++;
    if (ms < s->first_ms) s->first_ms = ms;
    if (ms > s->last_ms) s->last_ms = ms;
}

/* Count one in-window record toward coverage: its distribution's action counts and
 * span, and its web ACL.  Only a failed allocation is an error. */
static void cover(loader *L, int64_t ms, int action, const char *src, size_t src_n, const char *acl,
                  size_t acl_n)
{
    cfs_waf_index *w = L->w;
    int added = 0;
    /* a regional web ACL's records (httpSourceName ALB, APIGW, ...) name their resource,
     * never a distribution id (upper-case letters and digits): they cover no CloudFront
     * line, and are counted apart so that the logs' distributions stay distribution ids */
    if (src && src_n && !(src_n <= 64 && cfs_upper_alnum(src, src_n))) {
        w->stats.other_sources++;
        return;
    }
    if (acl && acl_n) {
        if (strtab_intern(&w->acls, acl, acl_n, CFS_WAF_MAX_ACLS, NULL) == UINT32_MAX) {
            note_error(L, CFS_E_NOMEM, "out of memory indexing WAF web ACLs");
            return;
        }
    }
    if (!src || src_n == 0) {
        w->stats.no_source++;
        return;
    }
    uint32_t i = strtab_intern(&w->srcs, src, src_n, CFS_WAF_MAX_SOURCES, &added);
    if (i == UINT32_MAX) {
        note_error(L, CFS_E_NOMEM, "out of memory indexing WAF distributions");
        return;
    }
    if (i == UINT32_MAX - 1) {
        w->stats.sources_dropped++;
        return;
    }
    if (added) {
        /* src grows with the table's offset array: same capacity, so one realloc per
         * doubling (a distinct id is rare next to records). */
        if (i % 16 == 0) {
            cfs_waf_source *ns = realloc(w->src, (size_t)(i + 16) * sizeof *ns);
            if (!ns) {
                note_error(L, CFS_E_NOMEM, "out of memory indexing WAF distributions");
                return;
            }
            w->src = ns;
        }
        memset(&w->src[i], 0, sizeof w->src[i]);
        w->src[i].first_ms = INT64_MAX;
        w->src[i].last_ms = INT64_MIN;
    }
    cfs_waf_source *c = &w->src[i];
    c->actions[action]++;
    if (ms < c->first_ms) c->first_ms = ms;
    if (ms > c->last_ms) c->last_ms = ms;
    path_cover(L, i, ms);
}

/* The top-level "timestamp", "webaclId" and "httpSourceId" (and "action", which must be
 * ALLOW) of a line surely_not_kept()
 * accepted (an ALLOW record without \u escapes), without building the DOM: one walk that
 * tracks string and nesting state, so a key inside httpRequest or a header value that
 * happens to spell one of these names is not taken.  Returns 1 with all three found in
 * their plain form (digits; strings without escapes), else 0 and the caller parses the
 * line fully. */
static int allow_fields(const char *p, size_t n, int64_t *ms, const char **src, size_t *src_n,
                        const char **acl, size_t *acl_n)
{
    int depth = 0, have_ts = 0, have_action = 0;
    *src = *acl = NULL;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') depth--;
        else if (c == '"') {
            /* The closing quote: the next '"' not escaped, i.e. preceded by an even run
             * of backslashes.  memchr, since strings are most of a record's bytes. */
            size_t k0 = i + 1, j = k0;
            for (;;) {
                const char *q = j < n ? memchr(p + j, '"', n - j) : NULL;
                if (!q) return 0;
                j = (size_t)(q - p);
                size_t b = j;
                while (b > k0 && p[b - 1] == '\\') b--;
                if ((j - b) % 2 == 0) break;
                j++;
            }
            size_t kn = j - k0;
            i = j;
            if (depth != 1) continue;
            size_t v = j + 1;
            while (v < n && (p[v] == ' ' || p[v] == '\t')) v++;
            if (v >= n || p[v] != ':') continue; /* a string value, not a key */
            v++;
            while (v < n && (p[v] == ' ' || p[v] == '\t')) v++;
            if (kn == 9 && memcmp(p + k0, "timestamp", 9) == 0 && !have_ts) {
                int64_t t = 0;
                size_t d = v;
                while (d < n && p[d] >= '0' && p[d] <= '9' && d - v < 16) t = t * 10 + (p[d++] - '0');
                if (d == v || d - v >= 16 || (d < n && p[d] != ',' && p[d] != '}' && p[d] != ' ')) return 0;
                *ms = t;
                have_ts = 1;
            } else if ((kn == 8 && memcmp(p + k0, "webaclId", 8) == 0 && !*acl) ||
                       (kn == 12 && memcmp(p + k0, "httpSourceId", 12) == 0 && !*src)) {
                if (v >= n || p[v] != '"') return 0;
                size_t e = v + 1;
                while (e < n && p[e] != '"' && p[e] != '\\') e++;
                if (e >= n || p[e] != '"') return 0;
                if (kn == 8) {
                    *acl = p + v + 1;
                    *acl_n = e - v - 1;
                } else {
                    *src = p + v + 1;
                    *src_n = e - v - 1;
                }
                i = e;
            } else if (kn == 6 && memcmp(p + k0, "action", 6) == 0 && !have_action) {
                /* surely_not_kept saw "action":"ALLOW" somewhere; make sure it is this one */
                if (n - v < 7 || memcmp(p + v, "\"ALLOW\"", 7) != 0) return 0;
                have_action = 1;
                i = v + 6;
            }
            if (have_ts && have_action && *acl && *src) return 1;
        }
    }
    return 0;
}

/* Room for GROUP/RULE: WAF names a rule in 1 to 128 characters of letters, digits, '_'
 * and '-' (so '/' cannot be part of one); longer names than fit keep the group's alone. */
#define WAF_RULE_NAME_MAX 512

/* A block by a rule group (terminatingRuleType GROUP, or MANAGED_RULE_GROUP for AWS's and
 * Marketplace groups) names in terminatingRuleId the web ACL's rule that holds the group,
 * e.g. "AWS-AWSManagedRulesCommonRuleSet".  The rule inside the group that matched, the
 * one a user overrides to Count to stop the blocks (e.g. "SizeRestrictions_BODY"), is the
 * terminatingRule.ruleId of the group's entry in ruleGroupList (WAF developer guide, "Log
 * fields for web ACL traffic"); the other groups the request went through have a null
 * terminatingRule there.  Writes "GROUP/RULE" to out and returns its length, or 0 (the
 * record's terminatingRuleId stands alone) when the terminating rule is no group, or no
 * entry names a rule that took the record's action.  Of several such entries the last is
 * taken: the web ACL stops at the terminating group, so it is the last one evaluated. */
static size_t group_rule_name(const cfs_json *root, int action, const char *rule, size_t rule_n, char *out)
{
    const char *type = cfs_json_str(cfs_json_get(root, "terminatingRuleType"));
    if (!type || (strcmp(type, "GROUP") != 0 && strcmp(type, "MANAGED_RULE_GROUP") != 0)) return 0;
    const char *inner = NULL;
    size_t inner_n = 0;
    const cfs_json *list = cfs_json_get(root, "ruleGroupList");
    if (!list || list->type != CFS_JSON_ARRAY) return 0;
    for (const cfs_json *g = cfs_json_first(list); g; g = cfs_json_next(g)) {
        const cfs_json *t = cfs_json_get(g, "terminatingRule");
        size_t n = 0;
        const char *id = cfs_json_strn(cfs_json_get(t, "ruleId"), &n);
        if (id && n && parse_action(cfs_json_str(cfs_json_get(t, "action"))) == action) {
            inner = id;
            inner_n = n;
        }
    }
    if (!inner || rule_n + 1 + inner_n > WAF_RULE_NAME_MAX) return 0;
    memcpy(out, rule, rule_n);
    out[rule_n] = '/';
    memcpy(out + rule_n + 1, inner, inner_n);
    return rule_n + 1 + inner_n;
}

static void process_line(loader *L, const char *line, size_t n)
{
    cfs_waf_stats *st = &L->w->stats;
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    size_t lead = 0;
    while (lead < n && (line[lead] == ' ' || line[lead] == '\t')) lead++;
    if (lead == n) return; /* blank lines are not records */
    st->records++;
    if (L->cur) L->cur->records++;
    if (surely_not_kept(line + lead, n - lead)) {
        int64_t ms;
        const char *src, *acl;
        size_t src_n = 0, acl_n = 0;
        if (allow_fields(line + lead, n - lead, &ms, &src, &src_n, &acl, &acl_n)) {
            if (ms >= L->lo_ms && ms <= L->hi_ms) cover(L, ms, CFS_WAF_ALLOW, src, src_n, acl, acl_n);
            else if (L->cur) L->cur->outside++;
            return;
        }
        /* unusual spelling: the full parse below decides */
    }

    if (cfs_json_parse(&L->doc, line + lead, n - lead, NULL, 0) != CFS_OK) {
        st->bad_lines++;
        st->lost++; /* it may have been a block's */
        if (L->cur) L->cur->bad_lines++;
        return;
    }
    /* Record fields per the WAF developer guide "Log fields for web ACL traffic" (§5.3):
     * action, terminatingRuleId, timestamp (epoch ms), httpRequest.requestId, and for
     * coverage httpSourceId (the distribution id) and webaclId. */
    const cfs_json *root = cfs_json_root(&L->doc);
    int action = parse_action(cfs_json_str(cfs_json_get(root, "action")));
    size_t rule_n, rid_n, src_n = 0, acl_n = 0;
    const char *rule = cfs_json_strn(cfs_json_get(root, "terminatingRuleId"), &rule_n);
    const char *rid = cfs_json_strn(cfs_json_path(root, "httpRequest.requestId"), &rid_n);
    const char *src = cfs_json_strn(cfs_json_get(root, "httpSourceId"), &src_n);
    const char *acl = cfs_json_strn(cfs_json_get(root, "webaclId"), &acl_n);
    double ts;
    if (action < 0 || !rule || !rid || rid_n == 0 || !cfs_json_num(cfs_json_get(root, "timestamp"), &ts) ||
        !(ts >= 0 && ts <= WAF_MAX_TS_MS) || ts != (double)(int64_t)ts) {
        st->bad_lines++;
        /* a record whose action is some other known word (EXCLUDED_AS_COUNT) was no block;
         * one without an action, or a block without its fields, may have been */
        if (action == CFS_WAF_BLOCK || !cfs_json_str(cfs_json_get(root, "action"))) st->lost++;
        if (L->cur) L->cur->bad_lines++;
        return;
    }
    /* out_of_window counts the blocking records the window dropped (ALLOW records are
     * never kept, so whether they fall inside says nothing). */
    int64_t ms = (int64_t)ts;
    if (ms < L->lo_ms || ms > L->hi_ms) {
        if (action != CFS_WAF_ALLOW) st->out_of_window++;
        if (L->cur) L->cur->outside++;
        return;
    }
    cover(L, ms, action, src, src_n, acl, acl_n);
    if (action == CFS_WAF_ALLOW) return;
    /* responseCodeSent: the custom response code of the terminating rule, null for
     * WAF's default (403 for Block). */
    double code = 0;
    uint16_t code16 = 0;
    if (cfs_json_num(cfs_json_get(root, "responseCodeSent"), &code) && code >= 100 && code <= 999)
        code16 = (uint16_t)code;

    char named[WAF_RULE_NAME_MAX];
    const size_t named_n = group_rule_name(root, action, rule, rule_n, named);
    if (named_n) {
        rule = named;
        rule_n = named_n;
    }
    uint32_t r = strtab_intern(&L->w->rules, rule, rule_n, UINT32_MAX - 2, NULL);
    if (r >= UINT32_MAX - 1) {
        note_error(L, CFS_E_NOMEM, "out of memory indexing WAF rule names");
        return;
    }
    if (L->n_pend == L->cap_pend) {
        size_t nc = L->cap_pend ? L->cap_pend * 2 : 1024;
        waf_entry *np = realloc(L->pend, nc * sizeof *np);
        if (!np) {
            note_error(L, CFS_E_NOMEM, "out of memory indexing WAF records");
            return;
        }
        L->pend = np;
        L->cap_pend = nc;
    }
    waf_entry *e = &L->pend[L->n_pend++];
    memset(e, 0, sizeof *e);
    e->h = id_hash(rid, rid_n);
    e->rule = r;
    e->action = (uint8_t)action;
    e->code = code16;
}

/* ---- files ------------------------------------------------------------------------ */

/* Make room for need bytes in the line buffer (need <= CFS_MAX_LINE); 0 when out of memory. */
static int buf_reserve(loader *L, size_t need, const char *path)
{
    if (need <= L->cap) return 1;
    size_t nc = L->cap * 2 > need ? L->cap * 2 : need;
    if (nc > CFS_MAX_LINE) nc = CFS_MAX_LINE;
    char *nb = realloc(L->buf, nc);
    if (!nb) {
        note_error(L, CFS_E_NOMEM, "out of memory reading %s", path);
        return 0;
    }
    L->buf = nb;
    L->cap = nc;
    return 1;
}

static void count_bad_line(loader *L)
{
    L->w->stats.records++;
    L->w->stats.bad_lines++;
    L->w->stats.lost++; /* too long or cut: it may have been a block's */
    if (L->cur) {
        L->cur->records++;
        L->cur->bad_lines++;
    }
}

/* Read one file line by line through the decode stage, which tells gzip (concatenated
 * members are one stream, which is how WAF's S3 delivery writes), zstd and plain text
 * apart by their first bytes, as it does for access logs.  Lines are handed to
 * process_line in place when a piece holds them whole, else assembled in L->buf. */
static void load_file(loader *L, const cfs_input *in)
{
    const char *path = in->path;
    /* The type is checked on the opened file: a path swapped for a FIFO after the walk
     * looked at it must not block the run (the decode stage opens it again without
     * blocking, and a FIFO named by the user is refused here, naming it). */
    char why[128];
    int fd = cfs_open_regular(path, why, sizeof why);
    if (fd < 0) {
        note_error(L, CFS_E_IO, "%s: %s", path, why);
        return;
    }
    close(fd);
    char err[200] = "";
    cfs_reader *r = NULL;
    cfs_status st = cfs_reader_open(&r, in, CFS_GZ_AUTO, err, sizeof err);
    if (st != CFS_OK) {
        note_error(L, st, "%s: %s", path, err[0] ? err : cfs_status_str(st));
        return;
    }
    size_t len = 0;   /* bytes of the unfinished line in L->buf */
    int skipping = 0; /* inside a line already counted as too long */
    while (!L->nomem) {
        const char *p;
        size_t n;
        st = cfs_reader_next(r, &p, &n, err, sizeof err);
        if (st != CFS_OK) {
            note_error(L, st, "%s: %s", path, err[0] ? err : cfs_status_str(st));
            /* Whatever partial line is left was cut by the error: count it as bad. */
            if (len && !skipping) count_bad_line(L);
            len = 0;
            skipping = 1;
            break;
        }
        if (n == 0) break;
        while (n && !L->nomem) {
            const char *nl = memchr(p, '\n', n);
            size_t take = nl ? (size_t)(nl - p) : n;
            if (skipping) {
                /* dropping the rest of a long line */
            } else if (len + take > CFS_MAX_LINE) {
                /* More than CFS_MAX_LINE bytes without a newline: count the line once,
                 * then drop bytes until its end. */
                count_bad_line(L);
                skipping = 1;
                len = 0;
            } else if (nl && len == 0) {
                process_line(L, p, take);
            } else {
                if (!buf_reserve(L, len + take, path)) break;
                memcpy(L->buf + len, p, take);
                len += take;
                if (nl) {
                    process_line(L, L->buf, len);
                    len = 0;
                }
            }
            if (!nl) break;
            skipping = 0;
            p = nl + 1;
            n -= take + 1;
        }
    }
    /* Last line without a final newline. */
    if (!L->nomem && !skipping && len) process_line(L, L->buf, len);
    /* a mapped file cut short while it was read reads as zeros: say so, as for logs */
    if (st == CFS_OK && cfs_reader_check(r, err, sizeof err) != CFS_OK)
        note_error(L, CFS_E_IO, "%s: %s", path, err);
    cfs_reader_close(r);
}

/* The files of one --waf-logs path, found by the source stage's walk as log files are:
 * a directory is walked recursively in name order (symbolic links to directories are not
 * followed, so loops cannot occur) and FIFOs, sockets and devices in it are skipped. */
static void load_path(loader *L, const char *path)
{
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, path, CFS_NO_TIME, CFS_NO_TIME);
    for (size_t i = 0; i < in.nerr; i++) note_error(L, CFS_E_IO, "%s: %s", in.err[i].path, in.err[i].msg);
    for (size_t i = 0; i < in.n && !L->nomem; i++) {
        if (L->cur) L->cur->files++;
        load_file(L, &in.v[i]);
    }
    cfs_inputs_free(&in);
}

static int cmp_path_src(const void *a, const void *b)
{
    return strcmp(((const cfs_waf_path_src *)a)->id, ((const cfs_waf_path_src *)b)->id);
}

/* ---- index ------------------------------------------------------------------------ */

static uint32_t home_slot(uint64_t h, uint32_t nslots)
{
    /* Multiply-shift range reduction of the high 32 bits: no power-of-two table, so the
     * table can be sized exactly to the 75 % load target. */
    return (uint32_t)(((h >> 32) * (uint64_t)nslots) >> 32);
}

/* How much a record proves of a 403: a BLOCK answered 403 (WAF's default or a custom 403)
 * most, then a BLOCK with another code, then CAPTCHA and CHALLENGE (waf_join). */
static int proof_rank(const waf_entry *e)
{
    if (e->action == CFS_WAF_BLOCK) return e->code == 0 || e->code == 403 ? 3 : 2;
    return 1;
}

/* Of two records of one request id, whether a (kept) stays before b: the higher proof,
 * then the rule name, the action and the code, so the choice does not depend on the order
 * the records were read in. */
static int first_wins(const cfs_waf_index *w, const waf_entry *a, const waf_entry *b)
{
    const int ra = proof_rank(a), rb = proof_rank(b);
    if (ra != rb) return ra > rb;
    const int c = strcmp(strtab_at(&w->rules, a->rule), strtab_at(&w->rules, b->rule));
    if (c) return c < 0;
    if (a->action != b->action) return a->action < b->action;
    return a->code <= b->code;
}

static cfs_status build_index(loader *L)
{
    cfs_waf_index *w = L->w;
    if (L->n_pend == 0) return CFS_OK;
    /* Shrink the pending array first so the peak is entries + table, not 2x entries. */
    waf_entry *shrunk = realloc(L->pend, L->n_pend * sizeof *shrunk);
    if (shrunk) L->pend = shrunk;
    uint64_t ns = (uint64_t)L->n_pend * 4 / 3 + 1;
    if (ns >= UINT32_MAX) return CFS_E_NOMEM;
    w->slots = calloc((size_t)ns, sizeof *w->slots);
    if (!w->slots) return CFS_E_NOMEM;
    w->nslots = (uint32_t)ns;
    uint64_t kept = 0;
    for (size_t k = 0; k < L->n_pend; k++) {
        const waf_entry *e = &L->pend[k];
        uint32_t i = home_slot(e->h, w->nslots);
        while (w->slots[i].h && w->slots[i].h != e->h) i = i + 1 == w->nslots ? 0 : i + 1;
        /* The same request id twice (a log delivered twice, or S3 and CloudWatch copies
         * both given, or records that disagree): the record that proves the most stays,
         * whatever order the files came in (first_wins) */
        if (w->slots[i].h) {
            if (!first_wins(w, &w->slots[i], e)) w->slots[i] = *e;
            continue;
        }
        w->slots[i] = *e;
        kept++;
    }
    w->stats.kept = kept;
    return CFS_OK;
}

typedef struct named_ix {
    const char *s;
    uint32_t i;
} named_ix;

static int cmp_named(const void *a, const void *b)
{
    return strcmp(((const named_ix *)a)->s, ((const named_ix *)b)->s);
}

/* Name order of a string table, so reports list distributions and ACLs the same way
 * whatever order the files were read in. */
static uint32_t *sorted_order(const strtab *t, int *fail)
{
    if (t->n == 0) return NULL;
    named_ix *v = malloc(t->n * sizeof *v);
    uint32_t *o = malloc(t->n * sizeof *o);
    if (!v || !o) {
        free(v);
        free(o);
        *fail = 1;
        return NULL;
    }
    for (uint32_t i = 0; i < t->n; i++) v[i] = (named_ix){strtab_at(t, i), i};
    qsort(v, t->n, sizeof *v, cmp_named);
    for (uint32_t i = 0; i < t->n; i++) o[i] = v[i].i;
    free(v);
    return o;
}

cfs_status cfs_waf_load(cfs_waf_index **out, const char *const *paths, size_t npaths, int64_t since,
                        int64_t until, char *err, size_t errlen)
{
    *out = NULL;
    if (err && errlen) err[0] = '\0';
    loader L;
    memset(&L, 0, sizeof L);
    L.err = err;
    L.errlen = errlen;
    L.w = calloc(1, sizeof *L.w);
    L.cap = 64 << 10;
    L.buf = malloc(L.cap);
    if (!L.w || !L.buf) {
        free(L.w);
        free(L.buf);
        if (err && errlen) snprintf(err, errlen, "out of memory");
        return CFS_E_NOMEM;
    }
    /* Window in ms, saturating at the int64 ends; an open end is unbounded. */
    const int64_t lim = INT64_MAX / 1000 - WAF_SKEW_S - 1;
    L.lo_ms = since == CFS_NO_TIME || since < -lim ? INT64_MIN
              : since > lim                        ? INT64_MAX
                                                   : (since - WAF_SKEW_S) * 1000;
    L.hi_ms = until == CFS_NO_TIME || until > lim ? INT64_MAX
              : until < -lim                      ? INT64_MIN
                                                  : (until + WAF_SKEW_S) * 1000 + 999;

    L.w->paths = calloc(npaths ? npaths : 1, sizeof *L.w->paths);
    if (!L.w->paths) L.nomem = 1;
    for (size_t i = 0; i < npaths && !L.nomem; i++) {
        L.cur = &L.w->paths[i];
        L.cur->path = paths[i];
        L.w->npaths = i + 1;
        if (L.cur_map) memset(L.cur_map, 0, L.cur_map_n * sizeof *L.cur_map);
        load_path(&L, paths[i]);
    }
    L.cur = NULL;
    free(L.cur_map);
    free(L.buf);
    cfs_json_doc_free(&L.doc);

    if (!L.nomem) {
        cfs_status st = build_index(&L);
        if (st != CFS_OK) note_error(&L, st, "out of memory building the WAF index");
        int fail = 0;
        L.w->src_order = sorted_order(&L.w->srcs, &fail);
        L.w->acl_order = sorted_order(&L.w->acls, &fail);
        if (fail) note_error(&L, CFS_E_NOMEM, "out of memory sorting the WAF coverage");
        /* The arena no longer moves: the ids can point into it now. */
        for (uint32_t i = 0; !L.nomem && i < L.w->srcs.n; i++) L.w->src[i].id = strtab_at(&L.w->srcs, i);
        for (size_t k = 0; !L.nomem && k < L.w->npaths; k++) {
            cfs_waf_path *p = &L.w->paths[k];
            for (size_t j = 0; j < p->nsrc; j++) p->src[j].id = strtab_at(&L.w->srcs, p->src[j].slot);
            if (p->nsrc > 1) qsort(p->src, p->nsrc, sizeof *p->src, cmp_path_src);
        }
    }
    free(L.pend);
    if (L.nomem) {
        cfs_waf_free(L.w);
        return CFS_E_NOMEM;
    }
    *out = L.w;
    return L.status;
}

void cfs_waf_free(cfs_waf_index *w)
{
    if (!w) return;
    free(w->slots);
    strtab_free(&w->rules);
    strtab_free(&w->srcs);
    strtab_free(&w->acls);
    free(w->src);
    free(w->src_order);
    free(w->acl_order);
    for (size_t i = 0; i < w->npaths; i++) free(w->paths[i].src);
    free(w->paths);
    for (size_t i = 0; i < w->nerrors && i < CFS_WAF_MAX_ERRORS; i++) free(w->errors[i]);
    free(w);
}

size_t cfs_waf_error_count(const cfs_waf_index *w) { return w ? w->nerrors : 0; }

const char *cfs_waf_error_at(const cfs_waf_index *w, size_t i)
{
    return w && i < w->nerrors && i < CFS_WAF_MAX_ERRORS && w->errors[i] ? w->errors[i] : "(not kept)";
}

int cfs_waf_incomplete(const cfs_waf_index *w) { return w && (w->nerrors > 0 || w->stats.lost > 0); }

size_t cfs_waf_path_count(const cfs_waf_index *w) { return w ? w->npaths : 0; }

const cfs_waf_path *cfs_waf_path_at(const cfs_waf_index *w, size_t i)
{
    return w && i < w->npaths ? &w->paths[i] : NULL;
}

int cfs_waf_lookup(const cfs_waf_index *w, cfs_span request_id, cfs_waf_hit *hit)
{
    if (!w || w->nslots == 0 || !request_id.p || request_id.n == 0) return 0;
    uint64_t h = id_hash(request_id.p, request_id.n);
    uint32_t i = home_slot(h, w->nslots);
    /* The table is at most 75 % full, so an empty slot always ends the probe. */
    while (w->slots[i].h) {
        if (w->slots[i].h == h) {
            if (hit) {
                hit->action = w->slots[i].action;
                hit->code = w->slots[i].code;
                hit->rule = w->slots[i].rule;
            }
            return 1;
        }
        i = i + 1 == w->nslots ? 0 : i + 1;
    }
    return 0;
}

const char *cfs_waf_rule_name(const cfs_waf_index *w, uint32_t rule)
{
    if (!w || rule >= w->rules.n) return NULL;
    return strtab_at(&w->rules, rule);
}

size_t cfs_waf_rule_count(const cfs_waf_index *w) { return w ? w->rules.n : 0; }

const cfs_waf_stats *cfs_waf_get_stats(const cfs_waf_index *w) { return w ? &w->stats : NULL; }

size_t cfs_waf_source_count(const cfs_waf_index *w) { return w ? w->srcs.n : 0; }

const cfs_waf_source *cfs_waf_source_at(const cfs_waf_index *w, size_t i)
{
    if (!w || i >= w->srcs.n || !w->src_order) return NULL;
    return &w->src[w->src_order[i]];
}

size_t cfs_waf_acl_count(const cfs_waf_index *w) { return w ? w->acls.n : 0; }

const char *cfs_waf_acl_at(const cfs_waf_index *w, size_t i)
{
    if (!w || i >= w->acls.n || !w->acl_order) return NULL;
    return strtab_at(&w->acls, w->acl_order[i]);
}

int cfs_waf_covers(const cfs_waf_index *w, cfs_span dist, int64_t ts)
{
    if (!w || !dist.p || dist.n == 0 || ts == CFS_NO_TIME || cfs_waf_incomplete(w)) return 0;
    uint32_t i = strtab_find(&w->srcs, dist.p, dist.n);
    if (i == UINT32_MAX) return 0;
    const cfs_waf_source *c = &w->src[i];
    /* Compared in seconds: the span's ends rounded outwards, then widened by the skew. */
    int64_t lo = c->first_ms / 1000 - CFS_WAF_COVER_SKEW_S;
    int64_t hi = c->last_ms / 1000 + CFS_WAF_COVER_SKEW_S;
    return ts >= lo && ts <= hi;
}

const char *cfs_waf_note_name(int note)
{
    switch (note) {
    case CFS_WAF_NOTE_CHALLENGE_ON_403: return CFS_WAF_NOTE_PREFIX "captcha_or_challenge_on_403";
    case CFS_WAF_NOTE_CODE_NOT_403: return CFS_WAF_NOTE_PREFIX "block_code_not_403";
    case CFS_WAF_NOTE_OUTSIDE_COVERAGE: return CFS_WAF_NOTE_PREFIX "outside_coverage_403";
    default: return NULL;
    }
}

size_t cfs_waf_name_count(const cfs_waf_index *w) { return w ? w->rules.n + CFS_WAF_NOTE_COUNT : 0; }

const char *cfs_waf_name(const cfs_waf_index *w, uint32_t id)
{
    if (!w) return NULL;
    if (id < w->rules.n) return strtab_at(&w->rules, id);
    return cfs_waf_note_name((int)(id - w->rules.n));
}
