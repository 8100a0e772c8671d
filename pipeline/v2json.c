/* Standard logging v2 JSON lines into the record stage (see v2json.h).  CloudFront writes
 * every line of a delivery with the same keys in the same order, all values strings that
 * are percent-encoded like the W3C format (reference §1.3, §2), so a JSON string holds no
 * quote, backslash or control byte in practice.  The fast path relies on exactly that and
 * refuses anything else; the strict parser then decides, so an odd line is never guessed. */
#include "pipeline/v2json.h"

#include <string.h>

#include "pipeline/fields.h"
#include "pipeline/presence.h"

/* Bytes that end the fast path's walk through a value: its closing quote, and what needs
 * the strict parser: an escape, a control byte (rejected there), a byte >= 0x80 (UTF-8
 * the strict parser validates; CloudFront percent-encodes such bytes, §1.3). */
static inline int stop_byte(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c >= 0x80; }

/* Eight bytes at a time: nonzero when any of w's is a stop byte.  (w - 0x20 per byte) sets
 * the top bit of a byte below 0x20 and w's own top bit marks one >= 0x80; a byte equal to
 * c is a zero byte of w ^ c, found by the usual (x - 0x01..) & ~x & 0x80.. test, exact
 * when no byte below it borrowed, which a lower stop byte would have reported anyway. */
#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull
static inline uint64_t zero_byte(uint64_t x) { return (x - ONES) & ~x & HIGH; }
static inline uint64_t stop_word(uint64_t w)
{
    return ((w - 0x20 * ONES) | w | zero_byte(w ^ ('"' * ONES)) | zero_byte(w ^ ('\\' * ONES))) & HIGH;
}

/* The checks after the spans are set, common to both paths (set: the fields set). */
static int finish(cfs_record *r, unsigned need, uint64_t set)
{
    if (!r->f[CFS_F_SC_STATUS].p) return CFS_REJ_TOO_FEW_FIELDS;
    const int has_time = (r->f[CFS_F_DATE].p && r->f[CFS_F_TIME].p) || r->f[CFS_F_TIMESTAMP_MS].p ||
                         r->f[CFS_F_TIMESTAMP].p;
    if (!has_time) return CFS_REJ_TOO_FEW_FIELDS;
    return cfs_record_from_spans(r, need, set);
}

/* Fast path: the line is st's learned shape, byte for byte, and no value holds an escape.
 * Returns 1 with r's spans set, 0 when the strict parser must decide. */
static int fast(const cfs_v2json *st, const char *line, size_t n, cfs_record *r)
{
    size_t i = 0;
    for (unsigned k = 0; k < st->nkeys; k++) {
        const size_t pl = st->pre_len[k];
        if (n - i < pl + 1 || !cfs_short_eq(line + i, st->pre + st->pre_off[k], pl)) return 0;
        i += pl;
        const size_t v0 = i;
        for (;;) {
            if (n - i < 8) {
                while (i < n && !stop_byte((unsigned char)line[i])) i++;
                break;
            }
            uint64_t w;
            memcpy(&w, line + i, 8);
            const uint64_t m = stop_word(w);
            if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                /* the lowest flagged byte is the first stop byte (see stop_word) */
                i += (size_t)__builtin_ctzll(m) >> 3;
#else
                while (!stop_byte((unsigned char)line[i])) i++;
#endif
                break;
            }
            i += 8;
        }
        if (i >= n || line[i] != '"') return 0;
        const unsigned f = st->field[k];
        if (f != CFS_F_UNKNOWN) r->f[f] = (cfs_span){line + v0, (uint32_t)(i - v0)};
        i++;
    }
    return i + 1 == n && line[i] == '}';
}

/* Learn the shape of a line the strict parser accepted: its keys in order, as they are
 * written.  The parser hands out keys decoded, so a key that held an escape (a quote, a
 * backslash or a control byte once decoded) would be learned as bytes the line did not
 * write, and the fast path would then accept the same bytes written raw, which is not
 * JSON: such a line, like one with too many keys or too long, leaves nothing learned. */
static void learn(cfs_v2json *st, const cfs_json *root)
{
    size_t used = 0;
    unsigned k = 0;
    st->nkeys = 0;
    st->shape_fields = 0;
    for (const cfs_json *m = cfs_json_first(root); m; m = cfs_json_next(m), k++) {
        if (k >= CFS_MAX_COLS || used + m->key_len + 6 > sizeof st->pre) return;
        for (size_t b = 0; b < m->key_len; b++)
            if (m->key[b] == '"' || m->key[b] == '\\' || (unsigned char)m->key[b] < 0x20) return;
        char *p = st->pre + used;
        size_t w = 0;
        p[w++] = k ? ',' : '{';
        p[w++] = '"';
        memcpy(p + w, m->key, m->key_len);
        w += m->key_len;
        memcpy(p + w, "\":\"", 3);
        w += 3;
        st->pre_off[k] = (uint16_t)used;
        st->pre_len[k] = (uint16_t)w;
        st->field[k] = (uint8_t)cfs_field_lookup(m->key, m->key_len);
        if (st->field[k] != CFS_F_UNKNOWN) st->shape_fields |= (uint64_t)1 << st->field[k];
        used += w;
    }
    st->nkeys = (uint16_t)k;
}

int cfs_v2json_line(cfs_v2json *st, const char *line, size_t n, cfs_record *r, unsigned need, int *learned)
{
    *learned = 0;
    memset(r->f, 0, sizeof r->f);
    /* Any span may be set from here on, also when the line is rejected: the next line of
     * the TAB path clears them all (cfs_record_parse), so that a TAB line after a rejected
     * JSON line in one input never reads the JSON line's distributionid as its own. */
    r->spans_all = 1;
    r->spans_more = 0;
    if (st->nkeys && fast(st, line, n, r)) {
        st->fast++;
        st->line_mask = st->shape_mask;
        return finish(r, need, st->shape_fields);
    }
    st->strict++;
    memset(r->f, 0, sizeof r->f);
    char err[96];
    if (cfs_json_parse(&st->doc, line, n, err, sizeof err) != CFS_OK) return CFS_REJ_BAD_JSON;
    const cfs_json *root = cfs_json_root(&st->doc);
    if (!root || root->type != CFS_JSON_OBJECT) return CFS_REJ_BAD_JSON;
    int control = 0;
    uint64_t fields = 0;
    for (const cfs_json *m = cfs_json_first(root); m; m = cfs_json_next(m)) {
        /* every v2 value is a string (reference §2): a number or null is damage */
        if (m->type != CFS_JSON_STRING) return CFS_REJ_BAD_JSON;
        cfs_field f = cfs_field_lookup(m->key, m->key_len);
        for (uint32_t j = 0; j < m->len; j++) {
            unsigned char c = (unsigned char)m->v.str[j];
            if (c < 0x20) control = 1;
        }
        if (f == CFS_F_UNKNOWN) continue;
        /* a field named twice: which value is it?  (as a #Fields: line naming it twice) */
        if (r->f[f].p) return CFS_REJ_BAD_JSON;
        r->f[f] = (cfs_span){m->v.str, m->len};
        fields |= CFS_PRES_BIT(f);
    }
    /* A raw control byte cannot reach here (the parser refuses it); an escaped one would
     * break the TAB-separated `requests` rows and is never written by CloudFront. */
    if (control) return CFS_REJ_BINARY;
    int rc = finish(r, need, fields);
    if (rc == CFS_RECORD_OK) {
        st->line_mask = cfs_pres_mask(fields);
        learn(st, root);
        st->shape_mask = st->line_mask;
        *learned = st->nkeys != 0;
    }
    return rc;
}

void cfs_v2json_free(cfs_v2json *st)
{
    if (!st) return;
    cfs_json_doc_free(&st->doc);
    memset(st, 0, sizeof *st);
}
