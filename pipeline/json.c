/* Strict RFC 8259 JSON reader: one pass over the input, an explicit fixed-size stack
 * instead of recursion (so a "[[[[..." bomb is refused at depth 64, never overflows the C
 * stack), and every byte read bounds-checked against the input length. */
#include "pipeline/json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_NODE SIZE_MAX

typedef struct parser {
    const char *s;
    size_t n;
    size_t i; /* next byte to read; every read checks i < n first */
    cfs_json_doc *doc;
    size_t pool_used;
    char *err;
    size_t errlen;
} parser;

static cfs_status fail(parser *p, size_t at, const char *what)
{
    if (p->err && p->errlen) snprintf(p->err, p->errlen, "%s at offset %zu", what, at);
    return CFS_E_FORMAT;
}

static void skip_ws(parser *p)
{
    /* RFC 8259 whitespace is exactly these four bytes. */
    while (p->i < p->n) {
        char c = p->s[p->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->i++;
    }
}

/* Append a zeroed node; returns its index, or NO_NODE when memory runs out. */
static size_t new_node(parser *p)
{
    cfs_json_doc *d = p->doc;
    if (d->n_nodes == d->cap_nodes) {
        size_t cap = d->cap_nodes ? d->cap_nodes * 2 : 64;
        cfs_json *nn = realloc(d->nodes, cap * sizeof *nn);
        if (!nn) return NO_NODE;
        d->nodes = nn;
        d->cap_nodes = cap;
    }
    cfs_json *v = &d->nodes[d->n_nodes];
    memset(v, 0, sizeof *v);
    v->size = 1;
    return d->n_nodes++;
}

/* Four hex digits at s[i..i+4) -> code unit, or -1. */
static long hex4(const parser *p, size_t i)
{
    if (p->n - i < 4) return -1;
    long u = 0;
    for (int k = 0; k < 4; k++) {
        int h = cfs_hexval(p->s[i + (size_t)k]);
        if (h < 0) return -1;
        u = (u << 4) | h;
    }
    return u;
}

/* Nonzero when any byte of w is '"', '\\', below 0x20 or at/above 0x80.  Exact in the
 * direction that matters: zero is returned only when all eight bytes are plain.
 * (w - 0x20 each) sets a byte's top bit for bytes < 0x20 (no borrow reaches the lowest
 * such byte, since the bytes below it are plain) and w itself for bytes >= 0x80;
 * has_zero(w ^ c) is the classic exact test for a byte equal to c. */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull
static inline uint64_t has_zero(uint64_t x) { return (x - SWAR_ONES) & ~x & SWAR_HIGH; }
static inline uint64_t swar_special(uint64_t w)
{
    return ((w - 0x20 * SWAR_ONES) | w | has_zero(w ^ ('"' * SWAR_ONES)) | has_zero(w ^ ('\\' * SWAR_ONES))) &
           SWAR_HIGH;
}

/* String starting at the opening quote s[p->i].  Output goes to the pool; the pool holds
 * n + 1 bytes, which always suffices: every output byte consumes at least one distinct
 * input byte between the quotes and the NUL stands for the closing quote. */
static cfs_status parse_string(parser *p, const char **out, uint32_t *out_len)
{
    size_t start = p->i;
    char *o0 = p->doc->pool + p->pool_used;
    char *o = o0;
    p->i++; /* opening quote */
    for (;;) {
        /* Eight plain bytes at a time (not '"', '\\', < 0x20 or >= 0x80); any special
         * byte, or a false alarm, drops to the byte loop below for one byte. */
        while (p->n - p->i >= 8) {
            uint64_t w;
            memcpy(&w, p->s + p->i, 8);
            if (swar_special(w)) break;
            memcpy(o, &w, 8);
            o += 8;
            p->i += 8;
        }
        if (p->i >= p->n) return fail(p, start, "unterminated string");
        unsigned char c = (unsigned char)p->s[p->i];
        if (c == '"') {
            p->i++;
            break;
        }
        if (c < 0x20) return fail(p, p->i, "control character in string");
        if (c < 0x80 && c != '\\') {
            *o++ = (char)c;
            p->i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = cfs_utf8_len((const unsigned char *)p->s + p->i, p->n - p->i);
            if (!k) return fail(p, p->i, "invalid UTF-8 in string");
            memcpy(o, p->s + p->i, k);
            o += k;
            p->i += k;
            continue;
        }
        /* backslash escape */
        size_t esc = p->i;
        if (p->i + 1 >= p->n) return fail(p, start, "unterminated string");
        char e = p->s[p->i + 1];
        p->i += 2;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            long u = hex4(p, p->i);
            if (u < 0) return fail(p, esc, "bad \\u escape");
            p->i += 4;
            uint32_t cp = (uint32_t)u;
            if (u >= 0xDC00 && u <= 0xDFFF) return fail(p, esc, "lone low surrogate");
            if (u >= 0xD800 && u <= 0xDBFF) {
                /* A high surrogate must be followed at once by \u and a low surrogate. */
                long lo = -1;
                if (p->n - p->i >= 6 && p->s[p->i] == '\\' && p->s[p->i + 1] == 'u') lo = hex4(p, p->i + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) return fail(p, esc, "unpaired high surrogate");
                p->i += 6;
                cp = 0x10000u + (((uint32_t)u - 0xD800u) << 10) + ((uint32_t)lo - 0xDC00u);
            }
            o += cfs_utf8_put(o, cp);
            break;
        }
        default: return fail(p, esc, "bad escape");
        }
    }
    size_t len = (size_t)(o - o0);
    *o++ = '\0';
    p->pool_used += len + 1;
    *out = o0;
    *out_len = (uint32_t)len; /* < CFS_JSON_MAX_INPUT */
    return CFS_OK;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? checked by hand, converted by strtod on
 * a bounded NUL-terminated copy (the input need not be terminated).  cfscan never calls
 * setlocale, so strtod's decimal point is '.'. */
static cfs_status parse_number(parser *p, double *out)
{
    size_t st = p->i, i = p->i;
    const char *s = p->s;
    size_t n = p->n;
    if (i < n && s[i] == '-') i++;
    if (i >= n || !is_digit(s[i])) return fail(p, i, "expected a digit");
    if (s[i] == '0') {
        i++;
    } else {
        while (i < n && is_digit(s[i])) i++;
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !is_digit(s[i])) return fail(p, i, "expected a digit after '.'");
        while (i < n && is_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !is_digit(s[i])) return fail(p, i, "expected a digit in exponent");
        while (i < n && is_digit(s[i])) i++;
    }
    size_t len = i - st;
    if (len > CFS_JSON_MAX_NUMBER_CHARS) return fail(p, st, "number too long");
    char tmp[CFS_JSON_MAX_NUMBER_CHARS + 1];
    memcpy(tmp, s + st, len);
    tmp[len] = '\0';
    double v = strtod(tmp, NULL);
    /* Overflow to infinity is refused; underflow to 0 or a subnormal is kept. */
    if (isinf(v)) return fail(p, st, "number out of range");
    *out = v;
    p->i = i;
    return CFS_OK;
}

static cfs_status parse_literal(parser *p, const char *word, size_t wl)
{
    if (p->n - p->i < wl || memcmp(p->s + p->i, word, wl) != 0) return fail(p, p->i, "invalid literal");
    p->i += wl;
    return CFS_OK;
}

/* "key" ws ':' ws, at p->i (whitespace before the key already skipped). */
static cfs_status parse_key(parser *p, const char **key, uint32_t *klen)
{
    if (p->i >= p->n) return fail(p, p->i, "unexpected end of input");
    if (p->s[p->i] != '"') return fail(p, p->i, "expected '\"' (object key)");
    CFS_FORWARD_IF_ERROR(parse_string(p, key, klen));
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] != ':') return fail(p, p->i, "expected ':'");
    p->i++;
    skip_ws(p);
    return CFS_OK;
}

static void close_container(cfs_json_doc *d, size_t idx, size_t last_child)
{
    d->nodes[idx].size = (uint32_t)(d->n_nodes - idx);
    if (last_child != NO_NODE) d->nodes[last_child].last = 1;
}

static cfs_status parse_doc(parser *p)
{
    cfs_json_doc *d = p->doc;
    size_t stack[CFS_JSON_MAX_DEPTH]; /* open containers, innermost last */
    size_t lastc[CFS_JSON_MAX_DEPTH]; /* their most recent child */
    size_t depth = 0;
    const char *key = NULL;
    uint32_t klen = 0;

    skip_ws(p);
    for (;;) {
        /* ---- one value at p->i (whitespace skipped) ---- */
        if (p->i >= p->n) return fail(p, p->i, "unexpected end of input");
        size_t idx = new_node(p);
        if (idx == NO_NODE) return CFS_E_NOMEM;
        cfs_json *v = &d->nodes[idx];
        if (depth > 0) {
            size_t parent = stack[depth - 1];
            d->nodes[parent].len++;
            lastc[depth - 1] = idx;
            if (d->nodes[parent].type == CFS_JSON_OBJECT) {
                v->key = key;
                v->key_len = klen;
            }
        }
        char c = p->s[p->i];
        int closed_now = 0;
        if (c == '{' || c == '[') {
            if (depth == CFS_JSON_MAX_DEPTH) return fail(p, p->i, "nesting deeper than 64");
            v->type = c == '{' ? CFS_JSON_OBJECT : CFS_JSON_ARRAY;
            char close = c == '{' ? '}' : ']';
            p->i++;
            stack[depth] = idx;
            lastc[depth] = NO_NODE;
            depth++;
            skip_ws(p);
            if (p->i < p->n && p->s[p->i] == close) {
                p->i++;
                depth--;
                close_container(d, idx, NO_NODE);
                closed_now = 1;
            } else if (v->type == CFS_JSON_OBJECT) {
                CFS_FORWARD_IF_ERROR(parse_key(p, &key, &klen));
                continue;
            } else {
                continue;
            }
        }
        if (!closed_now) {
            if (c == '"') {
                const char *str;
                uint32_t sl;
                CFS_FORWARD_IF_ERROR(parse_string(p, &str, &sl));
                v = &d->nodes[idx];
                v->type = CFS_JSON_STRING;
                v->v.str = str;
                v->len = sl;
            } else if (c == '-' || is_digit(c)) {
                double num = 0;
                CFS_FORWARD_IF_ERROR(parse_number(p, &num));
                v->type = CFS_JSON_NUMBER;
                v->v.num = num;
            } else if (c == 't') {
                CFS_FORWARD_IF_ERROR(parse_literal(p, "true", 4));
                v->type = CFS_JSON_TRUE;
            } else if (c == 'f') {
                CFS_FORWARD_IF_ERROR(parse_literal(p, "false", 5));
                v->type = CFS_JSON_FALSE;
            } else if (c == 'n') {
                CFS_FORWARD_IF_ERROR(parse_literal(p, "null", 4));
                v->type = CFS_JSON_NULL;
            } else {
                return fail(p, p->i, "expected a value");
            }
        }
        /* ---- after a value: ',' or the closer of the enclosing container(s) ---- */
        for (;;) {
            skip_ws(p);
            if (depth == 0) {
                if (p->i != p->n) return fail(p, p->i, "unexpected data after the JSON value");
                d->nodes[0].last = 1;
                return CFS_OK;
            }
            size_t top = stack[depth - 1];
            int is_obj = d->nodes[top].type == CFS_JSON_OBJECT;
            if (p->i >= p->n) return fail(p, p->i, "unexpected end of input");
            char t = p->s[p->i];
            if (t == ',') {
                p->i++;
                skip_ws(p);
                if (is_obj) CFS_FORWARD_IF_ERROR(parse_key(p, &key, &klen));
                break; /* next value */
            }
            if (t == (is_obj ? '}' : ']')) {
                p->i++;
                depth--;
                close_container(d, top, lastc[depth]);
                continue;
            }
            return fail(p, p->i, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
}

cfs_status cfs_json_parse(cfs_json_doc *doc, const char *buf, size_t n, char *err, size_t errlen)
{
    if (err && errlen) err[0] = '\0';
    doc->n_nodes = 0;
    if (n > CFS_JSON_MAX_INPUT) {
        if (err && errlen)
            snprintf(err, errlen, "JSON input of %zu bytes exceeds the %zu-byte limit", n,
                     (size_t)CFS_JSON_MAX_INPUT);
        return CFS_E_FORMAT;
    }
    if (doc->cap_pool < n + 1) {
        char *np = malloc(n + 1);
        if (!np) return CFS_E_NOMEM;
        free(doc->pool);
        doc->pool = np;
        doc->cap_pool = n + 1;
    }
    parser p = {.s = buf, .n = n, .i = 0, .doc = doc, .pool_used = 0, .err = err, .errlen = errlen};
    cfs_status st = parse_doc(&p);
    if (st != CFS_OK) {
        if (st == CFS_E_NOMEM && err && errlen) snprintf(err, errlen, "out of memory parsing JSON");
        doc->n_nodes = 0;
    }
    return st;
}

void cfs_json_doc_free(cfs_json_doc *doc)
{
    if (!doc) return;
    free(doc->nodes);
    free(doc->pool);
    memset(doc, 0, sizeof *doc);
}

const cfs_json *cfs_json_root(const cfs_json_doc *doc) { return doc && doc->n_nodes ? &doc->nodes[0] : NULL; }

/* ---- accessors ------------------------------------------------------------------- */

const cfs_json *cfs_json_first(const cfs_json *c)
{
    if (!c || (c->type != CFS_JSON_ARRAY && c->type != CFS_JSON_OBJECT) || c->len == 0) return NULL;
    return c + 1;
}

const cfs_json *cfs_json_next(const cfs_json *child)
{
    if (!child || child->last) return NULL;
    return child + child->size;
}

size_t cfs_json_count(const cfs_json *c)
{
    if (!c || (c->type != CFS_JSON_ARRAY && c->type != CFS_JSON_OBJECT)) return 0;
    return c->len;
}

const cfs_json *cfs_json_at(const cfs_json *a, size_t i)
{
    if (!a || a->type != CFS_JSON_ARRAY || i >= a->len) return NULL;
    const cfs_json *v = cfs_json_first(a);
    while (i-- > 0) v = cfs_json_next(v);
    return v;
}

static const cfs_json *get_n(const cfs_json *obj, const char *key, size_t kl)
{
    if (!obj || obj->type != CFS_JSON_OBJECT) return NULL;
    /* First member with that key wins when a (non-conforming) document repeats one. */
    for (const cfs_json *m = cfs_json_first(obj); m; m = cfs_json_next(m))
        if (m->key_len == kl && memcmp(m->key, key, kl) == 0) return m;
    return NULL;
}

const cfs_json *cfs_json_get(const cfs_json *obj, const char *key)
{
    return key ? get_n(obj, key, strlen(key)) : NULL;
}

const cfs_json *cfs_json_path(const cfs_json *root, const char *path)
{
    const cfs_json *v = root;
    const char *s = path;
    if (!path) return NULL;
    while (v && *s) {
        const char *dot = strchr(s, '.');
        size_t sl = dot ? (size_t)(dot - s) : strlen(s);
        if (v->type == CFS_JSON_ARRAY) {
            /* An all-digit segment indexes an array: "Origins.Items.0.Id". */
            size_t idx = 0;
            int ok = sl > 0 && sl < 10;
            for (size_t k = 0; ok && k < sl; k++) {
                if (!is_digit(s[k])) ok = 0;
                else idx = idx * 10 + (size_t)(s[k] - '0');
            }
            v = ok ? cfs_json_at(v, idx) : NULL;
        } else {
            v = get_n(v, s, sl);
        }
        if (!dot) break;
        s = dot + 1;
    }
    return v;
}

const char *cfs_json_strn(const cfs_json *v, size_t *len)
{
    if (!v || v->type != CFS_JSON_STRING) {
        if (len) *len = 0;
        return NULL;
    }
    if (len) *len = v->len;
    return v->v.str;
}

const char *cfs_json_str(const cfs_json *v) { return cfs_json_strn(v, NULL); }

int cfs_json_num(const cfs_json *v, double *out)
{
    if (!v || v->type != CFS_JSON_NUMBER) return 0;
    if (out) *out = v->v.num;
    return 1;
}

int cfs_json_bool(const cfs_json *v)
{
    if (!v) return -1;
    if (v->type == CFS_JSON_TRUE) return 1;
    if (v->type == CFS_JSON_FALSE) return 0;
    return -1;
}
