/* Tests for the record stage's lean path (pipeline/fields.c): on random #Fields: layouts
 * (any subset and order of fields, unknown names among them) and random lines of every
 * width (regular, short, with empty trailing columns, with extra filled columns), the
 * spans cfs_record_parse gives must equal what a plain split of the line on TAB gives,
 * field by field: all of them on the full path (CFS_PARSE_ALL, and every 403), the lean
 * ones on the lean path, whose second tier (latencies, protocol, URI, Host header,
 * behavior pattern) is filled only on a Miss with a 2xx/3xx status but 304; an Error with
 * CFS_PARSE_ERROR_WHOLE gets them all, as a 403 does.  With CFS_PARSE_PLAIN a common line (fields.h: not
 * 403, the layout's width, an Error only without CFS_PARSE_ERROR_WHOLE, a Miss only with
 * CFS_PARSE_PLAIN_MISS and no behavior pattern) gives the time, status, bytes, edge,
 * result type, latencies and protocol the full parse gives, and every other line what it
 * gives without it.  Statuses, times, bytes and latencies are now and then malformed, so
 * the lane's and the full parse's refusals are compared too.  Every kernel this CPU runs
 * is used, and the line is placed at every offset of a 64-byte word so its TABs fall
 * everywhere. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "pipeline/fields.h"

/* The lean fields in their two tiers, as fields.h states them. */
static const cfs_field k_every[] = {
    CFS_F_DATE,     CFS_F_TIME,      CFS_F_TIMESTAMP_MS,     CFS_F_TIMESTAMP,       CFS_F_EDGE_LOCATION,
    CFS_F_SC_BYTES, CFS_F_SC_STATUS, CFS_F_EDGE_RESULT_TYPE, CFS_F_DISTRIBUTION_ID, CFS_F_CS_HOST};
static const cfs_field k_more[] = {CFS_F_TIME_TAKEN,  CFS_F_TIME_TO_FIRST_BYTE,
                                   CFS_F_CS_PROTOCOL, CFS_F_CS_URI_STEM,
                                   CFS_F_HOST_HEADER, CFS_F_CACHE_BEHAVIOR_PATH_PATTERN};

static int in_list(cfs_field f, const cfs_field *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (l[i] == f) return 1;
    return 0;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15u;
static unsigned rnd(unsigned bound)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (unsigned)(g_rng % bound);
}

/* A plausible value for field f (status and result type chosen by the caller). */
static void value_for(cfs_field f, unsigned status, const char *result, char *out, size_t cap)
{
    static const char *const words[] = {"-",     "x",     "LAX1-C1", "/a/b.png", "d111.cloudfront.net",
                                        "https", "0.012", "1.500",   "text/html"};
    switch (f) {
    case CFS_F_DATE: {
        static const char *const odd[] = {"2026-13-01", "-", "2026-11-1", "2026/11/01"};
        if (rnd(16)) snprintf(out, cap, "2026-11-%02u", 1 + rnd(28));
        else snprintf(out, cap, "%s", odd[rnd(4)]);
        break;
    }
    case CFS_F_TIME: {
        static const char *const odd[] = {"25:00:00", "-", "1:02:03", "12:0a:00"};
        if (rnd(16)) snprintf(out, cap, "%02u:%02u:%02u", rnd(24), rnd(60), rnd(60));
        else snprintf(out, cap, "%s", odd[rnd(4)]);
        break;
    }
    case CFS_F_SC_STATUS: {
        static const char *const odd[] = {"-", "20", "2x0", "4030"};
        if (rnd(16)) snprintf(out, cap, "%u", status);
        else snprintf(out, cap, "%s", odd[rnd(4)]);
        break;
    }
    case CFS_F_EDGE_RESULT_TYPE: snprintf(out, cap, "%s", result); break;
    case CFS_F_SC_BYTES: {
        /* up to 5 digits mostly; else none, empty, 8 to 20 digits, or a stray byte */
        static const char *const odd[] = {
            "-",   "", "12345678", "99999999", "100000000", "18446744073709551615", "99999999999999999999",
            "12a4"};
        if (rnd(4)) snprintf(out, cap, "%u", rnd(100000));
        else snprintf(out, cap, "%s", odd[rnd(8)]);
        break;
    }
    case CFS_F_TIME_TAKEN:
    case CFS_F_TIME_TO_FIRST_BYTE: {
        /* mostly "D.DDD", sometimes longer, shorter, or not a number at all */
        static const char *const odd[] = {"-",     "12.345", "1.5",   "7",    "a.123",   "1:234",
                                          "0.x12", "0.1/2",  "0.12:", "0.12", "123.4567"};
        if (rnd(3)) snprintf(out, cap, "%u.%03u", rnd(10), rnd(1000));
        else snprintf(out, cap, "%s", odd[rnd(sizeof odd / sizeof odd[0])]);
        break;
    }
    case CFS_F_CS_PROTOCOL: {
        static const char *const protos[] = {"http", "https", "ws", "wss", "-"};
        snprintf(out, cap, "%s", protos[rnd(5)]);
        break;
    }
    case CFS_F_TIMESTAMP_MS: snprintf(out, cap, "17%011u", rnd(1000000000)); break;
    case CFS_F_TIMESTAMP: snprintf(out, cap, "17%08u.%03u", rnd(100000000), rnd(1000)); break;
    default: {
        /* anything from empty to long, so TABs fall on every bit of a word */
        unsigned n = rnd(4) == 0 ? rnd(150) : 0;
        if (n) {
            size_t k = n < cap - 1 ? n : cap - 1;
            for (size_t i = 0; i < k; i++) out[i] = (char)('a' + rnd(26));
            out[k] = 0;
        } else {
            snprintf(out, cap, "%s", words[rnd(sizeof words / sizeof words[0])]);
        }
    }
    }
}

typedef struct {
    const char *p;
    uint32_t n;
} piece;

/* Split line[0..n) on TAB: the oracle. */
static size_t split(const char *line, size_t n, piece *cols, size_t cap)
{
    size_t c = 0, s = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || line[i] == '\t') {
            if (c < cap) cols[c] = (piece){line + s, (uint32_t)(i - s)};
            c++;
            s = i + 1;
        }
    return c;
}

/* r is the kernel's record, reused from line to line under one layout as the scan reuses
 * it (reset only when a #Fields: line changes the layout), so spans a previous line set
 * and this one must not carry are caught too. */
/* Bytes scanned after a test line's LF (TABs among them, in the line's last TAB-map words):
 * a span walk must stop at the line's end. */
#define AFTER_LINE 70

static void check_one(const cfs_kernel *k, const cfs_layout *l, const cfs_field *fields, size_t nf, char *buf,
                      size_t off, size_t len, unsigned need, int iter, cfs_record *rec)
{
    const char *line = buf + off;
    uint64_t tabs[64];
    uint32_t lf[4096 + CFS_SCAN_POS_SLACK];
    cr_assert_lt(off + len + 1 + AFTER_LINE, sizeof tabs * 8);
    (void)k->scan((const uint8_t *)buf, off + len + 1 + AFTER_LINE, tabs, lf);
    piece cols[256];
    size_t ncols = split(line, len, cols, 256);
    cfs_record *const r = rec;
    cfs_record *chk = r; /* the record whose spans are checked against the split */
    unsigned tol = 0;
    /* with CFS_PARSE_PLAIN, the same line parsed without it (on a copy of the record) is
     * the reference for the common line's values */
    cfs_record ref = *rec;
    unsigned ref_tol = 0;
    const int ref_rc = (need & CFS_PARSE_PLAIN)
                           ? cfs_record_parse(l, buf, (uint32_t)off, (uint32_t)(off + len), tabs, k, &ref,
                                              &ref_tol, need & ~CFS_PARSE_PLAIN)
                           : CFS_RECORD_OK;
    int rc = cfs_record_parse(l, buf, (uint32_t)off, (uint32_t)(off + len), tabs, k, r, &tol, need);
    if (need & CFS_PARSE_PLAIN) {
        /* the common line (fields.h): the layout's exact width, date, time, edge, bytes,
         * status and result type in the layout, status not 403, result not Error when
         * Errors are parsed whole, not Miss unless asked for in a layout without
         * the behavior pattern, and accepted by the full parse */
        int has = 0, behavior = 0;
        const char *res = NULL;
        unsigned res_n = 0;
        for (size_t c = 0; c < nf; c++) {
            cfs_field f = fields[c];
            has |= (f == CFS_F_DATE) << 0 | (f == CFS_F_TIME) << 1 | (f == CFS_F_EDGE_LOCATION) << 2 |
                   (f == CFS_F_SC_BYTES) << 3 | (f == CFS_F_SC_STATUS) << 4 |
                   (f == CFS_F_EDGE_RESULT_TYPE) << 5;
            behavior |= f == CFS_F_CACHE_BEHAVIOR_PATH_PATTERN;
            if (f == CFS_F_EDGE_RESULT_TYPE && c < ncols) res = cols[c].p, res_n = cols[c].n;
        }
        const int miss = res && res_n == 4 && !memcmp(res, "Miss", 4);
        const int error = res && res_n == 5 && !memcmp(res, "Error", 5);
        const int common = !(need & CFS_PARSE_ALL) && ncols == nf && has == 0x3f && ref_rc == CFS_RECORD_OK &&
                           ref.status != 403 && !(error && (need & CFS_PARSE_ERROR_WHOLE)) &&
                           !(miss && (!(need & CFS_PARSE_PLAIN_MISS) || behavior));
        if (common) {
            cr_assert_eq(rc, CFS_RECORD_PLAIN, "%s iter %d: a common line got rc %d", k->name, iter, rc);
            cr_assert_eq(tol, 0);
            cr_assert_eq(r->ts, ref.ts, "%s iter %d", k->name, iter);
            cr_assert_eq(r->status, ref.status);
            cr_assert_eq(r->sc_bytes, ref.sc_bytes);
            /* what a Miss's origin sample is decided and measured by (NO_MILLIS and none
             * on any other common line, as on the lean path) */
            cr_assert_eq(r->result, ref.result, "%s iter %d", k->name, iter);
            cr_assert_eq(r->time_taken_ms, ref.time_taken_ms, "%s iter %d", k->name, iter);
            cr_assert_eq(r->ttfb_ms, ref.ttfb_ms, "%s iter %d", k->name, iter);
            cr_assert_eq(r->protocol, ref.protocol, "%s iter %d", k->name, iter);
            const cfs_span e = r->f[CFS_F_EDGE_LOCATION], re = ref.f[CFS_F_EDGE_LOCATION];
            cr_assert(e.p == re.p && e.n == re.n, "%s iter %d: edge '%.*s', expected '%.*s'", k->name, iter,
                      (int)e.n, e.p ? e.p : "", (int)re.n, re.p ? re.p : "");
            /* with CFS_PARSE_PLAIN_DIST, what the line's distribution is found by (empty
             * where the layout lacks the field) */
            static const cfs_field dist_fields[] = {CFS_F_DISTRIBUTION_ID, CFS_F_CS_HOST};
            for (size_t d = 0; (need & CFS_PARSE_PLAIN_DIST) && d < 2; d++) {
                const cfs_span a = r->f[dist_fields[d]], b = ref.f[dist_fields[d]];
                cr_assert(a.p == b.p && a.n == b.n, "%s iter %d: %s '%.*s', expected '%.*s'", k->name, iter,
                          cfs_field_name(dist_fields[d]), (int)a.n, a.p ? a.p : "", (int)b.n, b.p ? b.p : "");
            }
            /* and the reference's spans are checked against the split below */
            chk = &ref;
            rc = ref_rc;
            tol = ref_tol;
        } else {
            cr_assert_neq(rc, CFS_RECORD_PLAIN, "%s iter %d: not a common line (%zu of %zu columns)", k->name,
                          iter, ncols, nf);
            cr_assert_eq(rc, ref_rc, "%s iter %d: rc %d, without CFS_PARSE_PLAIN %d", k->name, iter, rc,
                         ref_rc);
        }
    }
    /* the width rules, from the split */
    int want_rc = CFS_RECORD_OK;
    unsigned want_tol = 0;
    if (ncols > nf) {
        for (size_t c = nf; c < ncols; c++)
            if (cols[c].n) want_rc = CFS_REJ_TOO_MANY_FIELDS;
        want_tol = CFS_TOL_TRAILING_TAB;
    } else if (ncols < (size_t)l->min_cols) {
        want_rc = CFS_REJ_TOO_FEW_FIELDS;
    } else if (ncols < nf) {
        want_tol = CFS_TOL_SHORT;
    }
    if (want_rc != CFS_RECORD_OK) {
        cr_assert_eq(rc, want_rc, "%s iter %d: rc %d, expected %d (%zu of %zu columns)", k->name, iter, rc,
                     want_rc, ncols, nf);
        return;
    }
    if (rc == CFS_REJ_BAD_VALUE) return; /* a time or status the random values made invalid */
    cr_assert_eq(rc, CFS_RECORD_OK, "%s iter %d: rc %d (%zu of %zu columns)", k->name, iter, rc, ncols, nf);
    cr_assert_eq(tol, want_tol, "%s iter %d: tol %u, expected %u", k->name, iter, tol, want_tol);
    const char *res = NULL;
    unsigned res_n = 0;
    for (size_t c = 0; c < nf && c < ncols; c++)
        if (fields[c] == CFS_F_EDGE_RESULT_TYPE) res = cols[c].p, res_n = cols[c].n;
    /* the second tier: a Miss that may be an origin fetch (2xx/3xx but 304); every field:
     * asked for, a 403, or an Error when asked for (CFS_PARSE_ERROR_WHOLE) */
    unsigned st = chk->status;
    int more = res && res_n == 4 && !memcmp(res, "Miss", 4) && st >= 200 && st <= 399 && st != 304;
    int all = (need & CFS_PARSE_ALL) || chk->status == 403 ||
              (res && res_n == 5 && !memcmp(res, "Error", 5) && (need & CFS_PARSE_ERROR_WHOLE));
    for (size_t c = 0; c < nf; c++) {
        cfs_field f = fields[c];
        if (f == CFS_F_UNKNOWN) continue;
        const int lean1 = in_list(f, k_every, 10), lean2 = in_list(f, k_more, 6);
        if (!all && !lean1 && !lean2) continue; /* not read on the lean path */
        const int expect_set = all || lean1 || more;
        cfs_span s = chk->f[f];
        if (!expect_set || c >= ncols) {
            /* a second-tier field of a line that is no Miss or Error, or a column past the
             * end of a short line: absent */
            cr_assert(s.p == NULL && s.n == 0, "%s iter %d: field %s (column %zu of %zu) is set", k->name,
                      iter, cfs_field_name(f), c, ncols);
            continue;
        }
        cr_assert(s.p == cols[c].p && s.n == cols[c].n,
                  "%s iter %d: field %s (column %zu of %zu) is '%.*s', expected '%.*s'", k->name, iter,
                  cfs_field_name(f), c, ncols, (int)s.n, s.p ? s.p : "", (int)cols[c].n, cols[c].p);
        if (f == CFS_F_SC_BYTES) {
            /* the record's bytes are cfs_parse_u64's reading of the column, 0 when none */
            uint64_t b = 0;
            const uint64_t want = cols[c].n && cfs_parse_u64(cols[c].p, cols[c].n, &b) == 0 ? b : 0;
            cr_assert_eq(chk->sc_bytes, want, "%s iter %d: sc-bytes '%.*s' read as %llu", k->name, iter,
                         (int)cols[c].n, cols[c].p, (unsigned long long)chk->sc_bytes);
        }
        if (f == CFS_F_TIME_TAKEN) {
            /* the record's milliseconds are cfs_parse_millis's reading of the column */
            uint32_t ms = 0;
            const uint32_t want = cols[c].n && cfs_parse_millis(cols[c].p, cols[c].n, &ms) == 0
                                      ? ms
                                      : CFS_NO_MILLIS;
            cr_assert_eq(chk->time_taken_ms, want, "%s iter %d: time-taken '%.*s' read as %u", k->name, iter,
                         (int)cols[c].n, cols[c].p, chk->time_taken_ms);
        }
    }
}

Test(fields, lean_and_full_spans_equal_a_plain_split)
{
    size_t nk = 0;
    const cfs_kernel *table = cfs_kernel_table(&nk);
    unsigned features = cfs_cpu_features();
    cfs_fields_init();
    static const unsigned statuses[] = {200, 304, 399, 403, 404, 503};
    static const char *const results[] = {"Hit", "Miss", "Error", "RefreshHit", "-", "LimitExceeded"};
    for (int iter = 0; iter < 3000; iter++) {
        /* a layout: time, status, then a random subset of the rest, shuffled, with
         * an unknown name now and then */
        cfs_field fields[CFS_F_COUNT + 4];
        size_t nf = 0;
        /* half the legacy layouts have every field a common line is counted by (CFS_PARSE_PLAIN) */
        int v2 = rnd(4) == 0;
        const int plainish = !v2 && rnd(2) == 0;
        if (v2) fields[nf++] = rnd(2) ? CFS_F_TIMESTAMP_MS : CFS_F_TIMESTAMP;
        else {
            fields[nf++] = CFS_F_DATE;
            fields[nf++] = CFS_F_TIME;
        }
        fields[nf++] = CFS_F_SC_STATUS;
        for (unsigned f = 0; f < CFS_F_COUNT; f++) {
            if (f == CFS_F_DATE || f == CFS_F_TIME || f == CFS_F_TIMESTAMP_MS || f == CFS_F_TIMESTAMP ||
                f == CFS_F_SC_STATUS)
                continue;
            if (rnd(3) == 0 || (plainish && (f == CFS_F_EDGE_LOCATION || f == CFS_F_SC_BYTES ||
                                             f == CFS_F_EDGE_RESULT_TYPE)))
                fields[nf++] = (cfs_field)f;
        }
        if (rnd(3) == 0) fields[nf++] = CFS_F_UNKNOWN;
        for (size_t i = nf - 1; i > 0; i--) {
            size_t j = rnd((unsigned)i + 1);
            cfs_field t = fields[i];
            fields[i] = fields[j];
            fields[j] = t;
        }
        char hdr[2048];
        size_t o = (size_t)snprintf(hdr, sizeof hdr, "#Fields:");
        for (size_t c = 0; c < nf; c++)
            o += (size_t)snprintf(hdr + o, sizeof hdr - o, " %s",
                                  fields[c] == CFS_F_UNKNOWN ? "x-unknown-name" : cfs_field_name(fields[c]));
        cfs_layout l;
        cr_assert_eq(cfs_layout_parse(&l, hdr, o), CFS_OK, "%s", hdr);
        cfs_record recs[16];
        cr_assert_leq(nk, sizeof recs / sizeof recs[0]);
        for (size_t ki = 0; ki < nk; ki++) cfs_record_reset(&recs[ki]);
        for (int li = 0; li < 4; li++) {
            /* a line of nf columns, then cut short, padded with empty columns, or given an
             * extra filled one */
            unsigned status = statuses[rnd(6)];
            const char *result = results[rnd(6)];
            char line[3000];
            size_t n = 0;
            for (size_t c = 0; c < nf; c++) {
                char v[200];
                value_for(fields[c], status, result, v, sizeof v);
                n += (size_t)snprintf(line + n, sizeof line - n, "%s%s", c ? "\t" : "", v);
            }
            switch (rnd(6)) {
            case 0: { /* short: cut after a random TAB */
                size_t cut = rnd((unsigned)n);
                while (cut > 0 && line[cut] != '\t') cut--;
                if (cut > 0) n = cut;
                break;
            }
            case 1: n += (size_t)snprintf(line + n, sizeof line - n, "\t\t"); break;
            case 2: n += (size_t)snprintf(line + n, sizeof line - n, "\textra"); break;
            default: break;
            }
            char buf[4096];
            size_t off = rnd(64);
            /* neighbours with TABs in the same 64-bit words: the line's own bounds must mask them */
            for (size_t i = 0; i < off; i++) buf[i] = i % 3 ? 'z' : '\t';
            if (off) buf[off - 1] = '\n';
            memcpy(buf + off, line, n);
            buf[off + n] = '\n';
            for (size_t i = 0; i < AFTER_LINE; i++) buf[off + n + 1 + i] = i % 2 ? 'q' : '\t';
            unsigned need = (rnd(4) == 0 ? CFS_PARSE_ALL : 0) | (rnd(2) ? CFS_PARSE_ERROR_WHOLE : 0) |
                            (rnd(2) ? CFS_PARSE_PLAIN | (rnd(2) ? CFS_PARSE_PLAIN_MISS : 0) |
                                          (iter & 1 ? CFS_PARSE_PLAIN_DIST : 0)
                                    : 0);
            for (size_t ki = 0; ki < nk; ki++)
                if ((table[ki].required & ~features) == 0)
                    check_one(&table[ki], &l, fields, nf, buf, off, n, need, iter, &recs[ki]);
        }
    }
}

/* cfs_layout_parse_delim remembers the last header line of its thread with what parsing
 * it gave (fields.c): asking again for those bytes must give exactly what a parse with
 * an empty memo gave, for a usable header, an unusable one, the same bytes under another
 * delimiter, and a header longer than the memo holds. */
Test(layout, the_memo_gives_what_a_parse_gives)
{
    static char longest[2600]; /* about 80 columns: fewer than CFS_MAX_COLS */
    size_t n = (size_t)snprintf(longest, sizeof longest, "#Fields: date time x-edge-location sc-status");
    for (int i = 0; n + 16 < sizeof longest; i++)
        n += (size_t)snprintf(longest + n, sizeof longest - n, " x-a-rather-long-unknown-name-%d", i);
    cr_assert_gt(n, 2048, "longer than the memo");
    const struct {
        const char *line;
        char delim;
        cfs_status st;
    } cases[] = {
        {"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status", 0,
         CFS_OK},
        {"#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status", ',',
         CFS_OK},
        {"#Fields: date,time,x-edge-location,sc-status", 0, CFS_OK},
        {"#Fields: date time x-edge-location sc-status sc-status", 0, CFS_E_FORMAT},
        {"#Fields: cs-method cs-uri-stem", 0, CFS_E_FORMAT},
        {longest, 0, CFS_OK},
    };
    const size_t nc = sizeof cases / sizeof cases[0];
    /* an empty memo (n == 0) remembers no line: an empty one is unusable like any other */
    static cfs_layout empty;
    cr_assert_eq(cfs_layout_parse_delim(&empty, "", 0, 0), CFS_E_FORMAT, "the empty line, memo empty");
    cr_assert_eq(empty.bad, 1);
    static cfs_layout fresh[6], again;
    for (size_t i = 0; i < nc; i++) {
        /* another header first, so this one is parsed, not remembered */
        const char *other = cases[(i + 1) % nc].line;
        (void)cfs_layout_parse_delim(&again, other, strlen(other), cases[(i + 1) % nc].delim);
        cr_assert_eq(cfs_layout_parse_delim(&fresh[i], cases[i].line, strlen(cases[i].line), cases[i].delim),
                     cases[i].st, "case %zu parsed", i);
    }
    /* the same and the comma delimiter: one set of bytes, two layouts */
    cr_assert_eq(fresh[0].delim, '\t');
    cr_assert_eq(fresh[1].delim, ',');
    cr_assert_eq(fresh[2].delim, ',', "named by the header itself");
    cr_assert_eq(fresh[3].bad, 1);
    cr_assert_eq(fresh[5].col_of[CFS_F_SC_STATUS], 3);
    for (size_t i = 0; i < nc; i++) {
        for (int k = 0; k < 2; k++) { /* the second time from the memo (but the longest) */
            memset(&again, 0x5a, sizeof again);
            cr_assert_eq(cfs_layout_parse_delim(&again, cases[i].line, strlen(cases[i].line), cases[i].delim),
                         cases[i].st, "case %zu, call %d", i, k);
            cr_assert_eq(memcmp(&again, &fresh[i], sizeof again), 0, "case %zu, call %d: the same layout", i,
                         k);
        }
    }
}
