/* Tests for the Parquet writer (pipeline/parquet.c) and its Thrift encoder: files are
 * written from values the test computes itself, then read back by two independent
 * readers, DuckDB and hyparquet, through tests/js/read_parquet.mjs (Node.js). */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/parquet.h"
#include "pipeline/thrift.h"

#ifndef CFS_SOURCE_DIR
#error "CFS_SOURCE_DIR must name the source tree (CMake defines it for every test)"
#endif

/* ---- scratch directory, one per test process ---------------------------------------- */
static char g_dir[256];

static void mk_dir(void)
{
    snprintf(g_dir, sizeof g_dir, "%s/cfs-pq-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    cr_assert_not_null(mkdtemp(g_dir), "mkdtemp: %s", strerror(errno));
}

static void rm_dir(void)
{
    if (getenv("CFS_TEST_KEEP")) return; /* keep the files to look at them */
    DIR *d = opendir(g_dir);
    if (!d) return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(g_dir);
}

static const char *tmp_path(const char *name)
{
    static char p[2][512];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
    return p[k];
}

/* ---- running the readers ---------------------------------------------------------- */
/* The readers are npm packages; CI installs them with `npm ci --prefix tests/js`.  Their
 * absence is a failure, never a skip: a writer no real reader has checked proves nothing. */
static void need_readers(void)
{
    static const char *pkgs[] = {"@duckdb/node-api", "hyparquet", "hyparquet-compressors"};
    char p[1024];
    for (size_t i = 0; i < sizeof pkgs / sizeof *pkgs; i++) {
        snprintf(p, sizeof p, "%s/tests/js/node_modules/%s/package.json", CFS_SOURCE_DIR, pkgs[i]);
        if (access(p, R_OK) != 0)
            cr_assert_fail("Parquet reader package %s is not installed (%s missing): "
                           "run `npm ci --prefix tests/js` in the source tree",
                           pkgs[i], p);
    }
    if (system("node --version >/dev/null 2>&1") != 0)
        cr_assert_fail("`node` (Node.js 18+) is not on PATH; install it, then run "
                       "`npm ci --prefix tests/js` in the source tree");
}

typedef struct jtok {
    char *s; /* NUL-terminated, unescaped; NULL for JSON null */
    size_t n;
} jtok;

typedef struct jrow {
    jtok *t;
    size_t n;
} jrow;

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse one line holding a JSON array of strings and nulls (what read_parquet.mjs
 * prints), unescaping strings in place.  Returns 0 on anything else. */
static int parse_line(char *s, jrow *row)
{
    size_t cap = 8;
    row->n = 0;
    row->t = malloc(cap * sizeof *row->t);
    if (*s++ != '[') return 0;
    if (*s == ']') return 1;
    for (;;) {
        if (row->n == cap) row->t = realloc(row->t, (cap *= 2) * sizeof *row->t);
        jtok *t = &row->t[row->n++];
        if (strncmp(s, "null", 4) == 0) {
            t->s = NULL;
            t->n = 0;
            s += 4;
        } else if (*s == '"') {
            char *o = ++s;
            t->s = o;
            while (*s != '"') {
                if (*s == 0) return 0;
                if (*s != '\\') {
                    *o++ = *s++;
                    continue;
                }
                s++;
                switch (*s++) {
                case '"': *o++ = '"'; break;
                case '\\': *o++ = '\\'; break;
                case '/': *o++ = '/'; break;
                case 'b': *o++ = '\b'; break;
                case 'f': *o++ = '\f'; break;
                case 'n': *o++ = '\n'; break;
                case 'r': *o++ = '\r'; break;
                case 't': *o++ = '\t'; break;
                case 'u': {
                    unsigned u = 0;
                    for (int k = 0; k < 4; k++) {
                        int h = hexval(*s++);
                        if (h < 0) return 0;
                        u = u * 16 + (unsigned)h;
                    }
                    /* JSON.stringify escapes only control characters and lone
                     * surrogates; write them as (WTF-)8 so nothing is dropped */
                    if (u < 0x80) {
                        *o++ = (char)u;
                    } else if (u < 0x800) {
                        *o++ = (char)(0xc0 | u >> 6);
                        *o++ = (char)(0x80 | (u & 0x3f));
                    } else {
                        *o++ = (char)(0xe0 | u >> 12);
                        *o++ = (char)(0x80 | ((u >> 6) & 0x3f));
                        *o++ = (char)(0x80 | (u & 0x3f));
                    }
                    break;
                }
                default: return 0;
                }
            }
            s++;
            t->n = (size_t)(o - t->s);
            *o = 0;
        } else {
            return 0;
        }
        if (*s == ']') return s[1] == 0;
        if (*s++ != ',') return 0;
    }
}

/* One mode's lines of a reader run. */
typedef struct jsec {
    const char *mode;
    const jrow *rows;
    size_t nrows;
} jsec;

typedef struct jset {
    char *text;
    jrow *all;
    size_t nall;
    jsec sec[8];
    size_t nsec;
    int status;     /* exit status of the reader */
    char err[4096]; /* start of its stderr */
} jset;

static char *slurp(FILE *f)
{
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t k;
    while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n < 2) b = realloc(b, cap *= 2);
    }
    b[n] = 0;
    return b;
}

/* Run `node read_parquet.mjs MODES FILE` (MODES comma-separated: one Node start-up and
 * one DuckDB instance for all of them) and split its lines by mode. */
static jset run_readers(const char *modes, const char *file)
{
    need_readers();
    cr_assert(strchr(file, '\'') == NULL && strchr(CFS_SOURCE_DIR, '\'') == NULL);
    jset r;
    memset(&r, 0, sizeof r);
    char errpath[600], cmd[2048];
    snprintf(errpath, sizeof errpath, "%s/reader-stderr.txt", g_dir);
    snprintf(cmd, sizeof cmd, "node '%s/tests/js/read_parquet.mjs' %s '%s' 2>'%s'", CFS_SOURCE_DIR, modes,
             file, errpath);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p, "popen: %s", strerror(errno));
    r.text = slurp(p);
    int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
    FILE *e = fopen(errpath, "r");
    if (e) {
        size_t k = fread(r.err, 1, sizeof r.err - 1, e);
        r.err[k] = 0;
        fclose(e);
    }
    size_t cap = 64;
    r.all = malloc(cap * sizeof *r.all);
    for (char *line = r.text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        cr_assert_not_null(nl, "reader %s: unterminated line", modes);
        *nl = 0;
        if (r.nall == cap) r.all = realloc(r.all, (cap *= 2) * sizeof *r.all);
        cr_assert(parse_line(line, &r.all[r.nall]), "reader %s: bad line: %s", modes, line);
        r.nall++;
    }
    /* sections start at ["#", MODE] */
    for (size_t i = 0; i < r.nall; i++) {
        const jrow *row = &r.all[i];
        if (row->n == 2 && row->t[0].s && strcmp(row->t[0].s, "#") == 0 && row->t[1].s) {
            cr_assert_lt(r.nsec, sizeof r.sec / sizeof *r.sec);
            r.sec[r.nsec++] = (jsec){.mode = row->t[1].s, .rows = row + 1};
        } else {
            cr_assert_gt(r.nsec, 0, "reader %s: output before a section header", modes);
            r.sec[r.nsec - 1].nrows++;
        }
    }
    return r;
}

static jset readers(const char *modes, const char *file)
{
    jset r = run_readers(modes, file);
    cr_assert_eq(r.status, 0, "reader %s failed on %s (exit %d):\n%s", modes, file, r.status, r.err);
    return r;
}

static const jsec *sec(const jset *r, const char *mode)
{
    for (size_t i = 0; i < r->nsec; i++)
        if (strcmp(r->sec[i].mode, mode) == 0) return &r->sec[i];
    cr_assert_fail("reader printed no %s section", mode);
    return NULL;
}

static void jset_free(jset *r)
{
    for (size_t i = 0; i < r->nall; i++) free(r->all[i].t);
    free(r->all);
    free(r->text);
}

static int tok_is(const jtok *t, const char *s) { return t->s && strcmp(t->s, s) == 0; }

/* ---- expected values: computed here, never read from the writer ------------------- */
typedef struct val {
    int null;
    int64_t i;
    double d;
    uint8_t s[256];
    size_t n;
} val;

static void hex_of(const uint8_t *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
    out[2 * n] = 0;
}

static double bits_double(uint64_t b)
{
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static uint64_t double_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* Text of a value as read_parquet.mjs prints it (see its header). */
static const char *token_of(cfs_pq_type t, const val *v, char *buf)
{
    if (v->null) return NULL;
    switch (t) {
    case CFS_PQ_DOUBLE: sprintf(buf, "%016" PRIx64, double_bits(v->d)); break;
    case CFS_PQ_STRING:
    case CFS_PQ_BINARY: hex_of(v->s, v->n, buf); break;
    default: sprintf(buf, "%" PRId64, v->i); break;
    }
    return buf;
}

static void put_val(cfs_pq_writer *w, size_t c, cfs_pq_type t, const val *v)
{
    if (v->null) cfs_pq_null(w, c);
    else if (t == CFS_PQ_DOUBLE) cfs_pq_f64(w, c, v->d);
    else if (t == CFS_PQ_STRING || t == CFS_PQ_BINARY) cfs_pq_str(w, c, (const char *)v->s, v->n);
    else cfs_pq_i64(w, c, v->i);
}

static void set_str(val *v, const char *s)
{
    v->n = strlen(s);
    memcpy(v->s, s, v->n);
}

/* The main table: every type, REQUIRED and OPTIONAL, dictionary and plain strings. */
enum { C_ID, C_BIG, C_RATIO, C_EDGE, C_URI, C_TS, C_OK, C_RAW, NCOL };
static const cfs_pq_column k_cols[NCOL] = {
    {"id", CFS_PQ_INT32, 0, 0},    {"big", CFS_PQ_INT64, 1, 0},  {"ratio", CFS_PQ_DOUBLE, 1, 0},
    {"edge", CFS_PQ_STRING, 1, 1}, {"uri", CFS_PQ_STRING, 0, 0}, {"ts", CFS_PQ_TIMESTAMP_MS, 0, 0},
    {"ok", CFS_PQ_BOOL, 1, 0},     {"raw", CFS_PQ_BINARY, 1, 0},
};
static const char *const k_edges[5] = {"IAD89-C1", "FRA56-P2", "", "NRT12-C3",
                                       "LHR61-P1 \xc3\xa9\xe2\x82\xac"}; /* "é€": UTF-8 */

static val value_of(int c, uint64_t r)
{
    val v;
    memset(&v, 0, sizeof v);
    switch (c) {
    case C_ID: v.i = (int32_t)(uint32_t)(r * 2654435761u); break;
    case C_BIG: /* nulls in runs of 50, so definition levels get RLE runs too */
        if ((r / 50) % 3 == 0) v.null = 1;
        else if (r == 51) v.i = INT64_MIN;
        else if (r == 52) v.i = INT64_MAX;
        else v.i = (int64_t)(r * 0x9E3779B97F4A7C15ull);
        break;
    case C_RATIO:
        if (r % 5 == 4) v.null = 1;
        else if (r == 1) v.d = bits_double(0x7ff8000000000000ull); /* NaN */
        else if (r == 2) v.d = INFINITY;
        else if (r == 3) v.d = -INFINITY;
        else if (r == 5) v.d = -0.0;
        else if (r == 6) v.d = bits_double(1); /* smallest denormal */
        else if (r == 7) v.d = DBL_MAX;
        else v.d = (double)r / 7.0 - 100.0;
        break;
    case C_EDGE: /* runs of 37 (RLE runs of indices), then a scatter (bit-packed) */
        if (r % 11 == 0) v.null = 1;
        else set_str(&v, k_edges[r < 1500 ? (r / 37) % 5 : (r * r) % 5]);
        break;
    case C_URI: {
        int k = snprintf((char *)v.s, sizeof v.s, "/p%" PRIu64 "/", r);
        for (uint64_t j = 0; j < r % 40; j++) v.s[k++] = (uint8_t)('a' + r % 26);
        v.n = (size_t)k;
        break;
    }
    case C_TS: v.i = r == 0 ? -1 : 1600000000000LL + (int64_t)r * 1000003; break;
    case C_OK:
        if (r % 13 == 5) v.null = 1;
        else v.i = (r / 4) % 3 == 0;
        break;
    case C_RAW: /* any byte: NUL, 0x80..0xff, not UTF-8 */
        if (r % 17 == 1) v.null = 1;
        v.n = r % 9;
        for (size_t k = 0; k < v.n; k++) v.s[k] = (uint8_t)(r * 31 + k * 97);
        break;
    }
    return v;
}

static void write_main(const char *path, uint64_t nrows, const cfs_pq_options *o)
{
    cfs_pq_writer *w = NULL;
    char err[512];
    cr_assert_eq(cfs_pq_open_opts(&w, path, k_cols, NCOL, o, err, sizeof err), CFS_OK, "%s", err);
    for (uint64_t r = 0; r < nrows; r++) {
        /* columns in reverse order: the API takes them in any order */
        for (int c = NCOL - 1; c >= 0; c--) {
            val v = value_of(c, r);
            put_val(w, (size_t)c, k_cols[c].type, &v);
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_rows(w), nrows);
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
}

/* Compare a reader's rows with value_of, every value. */
static void check_rows(const jsec *s, uint64_t nrows)
{
    cr_assert_eq(s->nrows, nrows, "%s: %zu rows, wrote %" PRIu64, s->mode, s->nrows, nrows);
    char buf[600];
    for (uint64_t i = 0; i < nrows; i++) {
        cr_assert_eq(s->rows[i].n, (size_t)NCOL, "%s row %" PRIu64 ": %zu columns", s->mode, i, s->rows[i].n);
        for (int c = 0; c < NCOL; c++) {
            val v = value_of(c, i);
            const char *want = token_of(k_cols[c].type, &v, buf);
            const jtok *got = &s->rows[i].t[c];
            if (!want)
                cr_assert_null(got->s, "%s row %" PRIu64 " %s: want null, got %s", s->mode, i, k_cols[c].name,
                               got->s);
            else
                cr_assert(tok_is(got, want), "%s row %" PRIu64 " %s: want %s, got %s", s->mode, i,
                          k_cols[c].name, want, got->s ? got->s : "null");
        }
    }
}

TestSuite(parquet, .init = mk_dir, .fini = rm_dir, .timeout = 60);

/* ---- Thrift compact encoding, bytes worked out by hand from the spec ---------------- */
Test(parquet, thrift_compact_bytes)
{
    cfs_tc t;
    cfs_tc_init(&t);
    cfs_tc_struct_begin(&t);
    cfs_tc_field_i32(&t, 1, 1);                   /* 0x15 (delta 1, i32), zigzag 1 = 0x02 */
    cfs_tc_field_i64(&t, 3, -1);                  /* 0x26 (delta 2, i64), zigzag -1 = 0x01 */
    cfs_tc_field_i32(&t, 20, 300);                /* delta 17: 0x05, zigzag 20 = 0x28, 600 = d8 04 */
    cfs_tc_field_bool(&t, 21, 1);                 /* 0x11 */
    cfs_tc_field_bool(&t, 22, 0);                 /* 0x12 */
    cfs_tc_field_list(&t, 23, CFS_TC_I32, 2);     /* 0x19, header 0x25 */
    cfs_tc_i32(&t, -64);                          /* zigzag 127 = 0x7f */
    cfs_tc_i32(&t, 64);                           /* zigzag 128 = 0x80 0x01 */
    cfs_tc_field_list(&t, 24, CFS_TC_BINARY, 15); /* 0x19, 0xf8, size 0x0f */
    for (int i = 0; i < 15; i++) cfs_tc_binary(&t, "ab", i == 0 ? 2 : 0); /* 02 61 62, 00... */
    cfs_tc_field_struct(&t, 2);         /* backwards: 0x0c, zigzag 2 = 0x04 */
    cfs_tc_field_binary(&t, 4, "x", 1); /* 0x48, 01 78 */
    cfs_tc_struct_end(&t);              /* 00 */
    cfs_tc_struct_end(&t);              /* 00 */
    /* clang-format off */
    static const uint8_t want[] = {
        0x15, 0x02, 0x26, 0x01, 0x05, 0x28, 0xd8, 0x04, 0x11, 0x12, 0x19, 0x25, 0x7f,
        0x80, 0x01, 0x19, 0xf8, 0x0f, 0x02, 0x61, 0x62, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0x0c, 0x04, 0x48, 0x01, 0x78, 0x00, 0x00,
    };
    /* clang-format on */
    cr_assert_eq(t.failed, 0);
    cr_assert_eq(t.depth, 0);
    cr_assert_eq(t.n, sizeof want, "got %zu bytes", t.n);
    cr_assert_arr_eq(t.p, want, sizeof want);
    /* zigzag at the extremes */
    cr_assert_eq(cfs_tc_zigzag64(INT64_MIN), UINT64_MAX);
    cr_assert_eq(cfs_tc_zigzag64(INT64_MAX), UINT64_MAX - 1);
    uint8_t b[10];
    cr_assert_eq(cfs_tc_put_uvarint(b, UINT64_MAX), 10u);
    cr_assert_eq(b[9], 0x01);
    /* misuse marks the encoder failed instead of writing garbage */
    cfs_tc_reset(&t);
    cfs_tc_struct_end(&t);
    cr_assert(t.failed);
    cfs_tc_free(&t);
}

/* ---- every type, both readers, several row groups and pages ---------------------- */
#define MAIN_ROWS 3000
#define MAIN_RG 1000
static const cfs_pq_options k_main_opts = {.row_group_rows = MAIN_RG, .page_bytes = 4096};

Test(parquet, main_table_values_and_types)
{
    const char *path = tmp_path("main.parquet");
    write_main(path, MAIN_ROWS, &k_main_opts);
    jset r = readers("duckdb-describe,duckdb-rows,hyparquet-meta,hyparquet-rows", path);
    check_rows(sec(&r, "duckdb-rows"), MAIN_ROWS);
    check_rows(sec(&r, "hyparquet-rows"), MAIN_ROWS);

    /* TIMESTAMP(isAdjustedToUTC=true, MILLIS) is TIMESTAMP WITH TIME ZONE in DuckDB (an
     * unadjusted one would be plain TIMESTAMP); unannotated BYTE_ARRAY is BLOB. */
    static const char *const duck[NCOL] = {
        "INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "VARCHAR", "TIMESTAMP WITH TIME ZONE", "BOOLEAN", "BLOB"};
    const jsec *d = sec(&r, "duckdb-describe");
    cr_assert_eq(d->nrows, (size_t)NCOL);
    for (int c = 0; c < NCOL; c++) {
        cr_assert(tok_is(&d->rows[c].t[0], k_cols[c].name));
        cr_assert(tok_is(&d->rows[c].t[1], duck[c]), "%s: DuckDB type %s, want %s", k_cols[c].name,
                  d->rows[c].t[1].s, duck[c]);
    }

    /* the footer as hyparquet parses it: counts, created_by, types and annotations */
    const jsec *m = sec(&r, "hyparquet-meta");
    cr_assert_eq(m->nrows, (size_t)NCOL + 1);
    cr_assert(tok_is(&m->rows[0].t[1], "1"));    /* version */
    cr_assert(tok_is(&m->rows[0].t[2], "3000")); /* num_rows */
    cr_assert(tok_is(&m->rows[0].t[3], "3"));    /* row groups */
    cr_assert(m->rows[0].t[4].s && strncmp(m->rows[0].t[4].s, "cfscan version ", 15) == 0);
    static const char *const phys[NCOL] = {"INT32",      "INT64", "DOUBLE",  "BYTE_ARRAY",
                                           "BYTE_ARRAY", "INT64", "BOOLEAN", "BYTE_ARRAY"};
    for (int c = 0; c < NCOL; c++) {
        const jrow *e = &m->rows[c + 1];
        cr_assert(tok_is(&e->t[1], k_cols[c].name));
        cr_assert(tok_is(&e->t[2], phys[c]), "%s: physical %s", k_cols[c].name, e->t[2].s);
        cr_assert(tok_is(&e->t[3], k_cols[c].optional ? "OPTIONAL" : "REQUIRED"));
        if (k_cols[c].type == CFS_PQ_STRING) {
            cr_assert(tok_is(&e->t[4], "UTF8") && tok_is(&e->t[5], "STRING"));
        } else if (k_cols[c].type == CFS_PQ_TIMESTAMP_MS) {
            cr_assert(tok_is(&e->t[4], "TIMESTAMP_MILLIS") && tok_is(&e->t[5], "TIMESTAMP"));
            cr_assert(tok_is(&e->t[6], "true:MILLIS"));
        } else {
            cr_assert_null(e->t[4].s, "%s: converted type %s", k_cols[c].name, e->t[4].s);
            cr_assert_null(e->t[5].s);
        }
    }
    jset_free(&r);
}

/* ---- statistics ------------------------------------------------------------------ */
/* Parse DuckDB's rendering of a TIMESTAMP WITH TIME ZONE stat ("2020-09-13 12:26:40.5+00")
 * back into epoch milliseconds. */
static int64_t parse_ts(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int used = 0;
    cr_assert_eq(sscanf(s, "%d-%d-%d %d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                        &tm.tm_min, &tm.tm_sec, &used),
                 6, "timestamp %s", s);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    s += used;
    if (*s == '.') {
        int scale = 100;
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10) ms += (*s - '0') * scale;
    }
    cr_assert_str_eq(s, "+00", "timestamp zone in %s", s);
    return ms;
}

static int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    for (size_t i = 0; i < an && i < bn; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return an < bn ? -1 : an > bn;
}

/* Check one column chunk's statistics against the n values the test wrote there, as
 * DuckDB's parquet_metadata() renders them (duck: [rg, col, path, type, num_values, min,
 * max, null_count, ...]) and as hyparquet decodes them (hy: [rg, col, null_count, min,
 * max], tokens as in rows). */
static void check_stats(const jrow *duck, const jrow *hy, cfs_pq_type type, const val *vals, size_t n)
{
    int have = 0;
    uint64_t nulls = 0;
    val lo = {0}, hi = {0};
    for (size_t i = 0; i < n; i++) {
        const val *v = &vals[i];
        if (v->null) {
            nulls++;
            continue;
        }
        if (type == CFS_PQ_DOUBLE && isnan(v->d)) continue; /* never a bound */
        if (!have) {
            lo = hi = *v;
            have = 1;
            continue;
        }
        if (type == CFS_PQ_DOUBLE) {
            if (v->d < lo.d || (v->d == 0 && lo.d == 0 && signbit(v->d))) lo = *v;
            if (v->d > hi.d || (v->d == 0 && hi.d == 0 && !signbit(v->d))) hi = *v;
        } else if (type == CFS_PQ_STRING || type == CFS_PQ_BINARY) {
            if (bytes_cmp(v->s, v->n, lo.s, lo.n) < 0) lo = *v;
            if (bytes_cmp(v->s, v->n, hi.s, hi.n) > 0) hi = *v;
        } else {
            if (v->i < lo.i) lo = *v;
            if (v->i > hi.i) hi = *v;
        }
    }
    /* a zero bound is written -0.0 as min and +0.0 as max (parquet.thrift ColumnOrder) */
    if (type == CFS_PQ_DOUBLE && have && lo.d == 0) lo.d = -0.0;
    if (type == CFS_PQ_DOUBLE && have && hi.d == 0) hi.d = 0.0;
    /* strings over 64 bytes are left out of the statistics */
    if (have && (type == CFS_PQ_STRING || type == CFS_PQ_BINARY) && (lo.n > 64 || hi.n > 64)) have = 0;
    const char *col = duck->t[2].s;
    char want[600];

    /* hyparquet: exact tokens for every type */
    snprintf(want, sizeof want, "%" PRIu64, nulls);
    cr_assert(tok_is(&hy->t[2], want), "%s: null_count %s, want %s", col, hy->t[2].s, want);
    if (have) {
        cr_assert(tok_is(&hy->t[3], token_of(type, &lo, want)), "%s: hyparquet min %s, want %s", col,
                  hy->t[3].s, want);
        cr_assert(tok_is(&hy->t[4], token_of(type, &hi, want)), "%s: hyparquet max %s, want %s", col,
                  hy->t[4].s, want);
    } else {
        cr_assert(!hy->t[3].s && !hy->t[4].s, "%s: hyparquet min/max %s %s, want none", col, hy->t[3].s,
                  hy->t[4].s);
    }

    /* DuckDB: its text rendering, parsed back */
    snprintf(want, sizeof want, "%" PRIu64, nulls);
    cr_assert(tok_is(&duck->t[7], want), "%s: null_count %s, want %s", col, duck->t[7].s, want);
    if (!have) {
        cr_assert_null(duck->t[5].s, "%s: min %s, want none", col, duck->t[5].s);
        cr_assert_null(duck->t[6].s, "%s: max %s, want none", col, duck->t[6].s);
        return;
    }
    const jtok *gmin = &duck->t[5], *gmax = &duck->t[6];
    switch (type) {
    case CFS_PQ_DOUBLE:
        /* DuckDB's parquet_metadata() shows no double bounds when one is infinite; the
         * hyparquet check above covers those */
        if (!isfinite(lo.d) || !isfinite(hi.d)) break;
        cr_assert(gmin->s && gmax->s, "%s: no min/max", col);
        cr_assert_eq(double_bits(strtod(gmin->s, NULL)), double_bits(lo.d), "%s: min %s", col, gmin->s);
        cr_assert_eq(double_bits(strtod(gmax->s, NULL)), double_bits(hi.d), "%s: max %s", col, gmax->s);
        break;
    case CFS_PQ_STRING: /* only valid UTF-8 here, so DuckDB prints the bytes as they are */
        cr_assert(gmin->s && gmin->n == lo.n && memcmp(gmin->s, lo.s, lo.n) == 0, "%s: min %s", col, gmin->s);
        cr_assert(gmax->s && gmax->n == hi.n && memcmp(gmax->s, hi.s, hi.n) == 0, "%s: max %s", col, gmax->s);
        break;
    case CFS_PQ_BINARY: /* DuckDB escapes BLOB bytes; presence only */
        cr_assert(gmin->s && gmax->s, "%s: no min/max", col);
        break;
    case CFS_PQ_TIMESTAMP_MS:
        cr_assert(gmin->s && gmax->s, "%s: no min/max", col);
        cr_assert_eq(parse_ts(gmin->s), lo.i, "%s: min %s", col, gmin->s);
        cr_assert_eq(parse_ts(gmax->s), hi.i, "%s: max %s", col, gmax->s);
        break;
    case CFS_PQ_BOOL:
        cr_assert(tok_is(gmin, lo.i ? "true" : "false"), "%s: min %s", col, gmin->s);
        cr_assert(tok_is(gmax, hi.i ? "true" : "false"), "%s: max %s", col, gmax->s);
        break;
    default:
        cr_assert(gmin->s && gmax->s, "%s: no min/max", col);
        cr_assert_eq(strtoll(gmin->s, NULL, 10), lo.i, "%s: min %s", col, gmin->s);
        cr_assert_eq(strtoll(gmax->s, NULL, 10), hi.i, "%s: max %s", col, gmax->s);
        break;
    }
}

/* Pages as hyparquet's Thrift decoder walks them ([rg, col, page type, num_values,
 * encoding, uncompressed, compressed]), DuckDB's view of the column chunks, and the
 * statistics of every chunk from both. */
Test(parquet, main_table_pages_and_statistics)
{
    const char *path = tmp_path("pages.parquet");
    write_main(path, MAIN_ROWS, &k_main_opts);
    jset r = readers("hyparquet-pages,hyparquet-stats,duckdb-meta", path);

    const jsec *pg = sec(&r, "hyparquet-pages");
    unsigned data_pages[3][NCOL] = {{0}}, dict_pages[3][NCOL] = {{0}};
    uint64_t values[3][NCOL] = {{0}};
    for (size_t i = 0; i < pg->nrows; i++) {
        const jrow *p = &pg->rows[i];
        unsigned g = (unsigned)atoi(p->t[0].s), c = (unsigned)atoi(p->t[1].s);
        int type = atoi(p->t[2].s), enc = atoi(p->t[4].s);
        cr_assert(g < 3 && c < NCOL);
        if (type == 2) { /* DICTIONARY_PAGE: first in its chunk, PLAIN */
            cr_assert_eq(data_pages[g][c], 0u, "dictionary page after data pages");
            cr_assert_eq(enc, 0);
            dict_pages[g][c]++;
            continue;
        }
        cr_assert_eq(type, 0, "only DATA_PAGE (V1) pages are written");
        values[g][c] += (uint64_t)atoll(p->t[3].s);
        data_pages[g][c]++;
        /* the dictionary column has RLE_DICTIONARY pages, all others PLAIN */
        cr_assert_eq(enc, c == C_EDGE ? 8 : 0, "rg %u col %u encoding %d", g, c, enc);
        /* pages are cut near 4 KiB of encoded values (one value may overshoot) */
        cr_assert_leq(atoll(p->t[5].s), 4096 + 1024, "page of %s bytes", p->t[5].s);
    }
    for (unsigned g = 0; g < 3; g++)
        for (unsigned c = 0; c < NCOL; c++) {
            cr_assert_eq(values[g][c], MAIN_RG, "rg %u col %u: %" PRIu64 " values", g, c, values[g][c]);
            cr_assert_eq(dict_pages[g][c], c == C_EDGE ? 1u : 0u);
        }
    /* 1000 values of ~30-byte strings or 8-byte numbers do not fit one 4 KiB page */
    cr_assert_geq(data_pages[0][C_URI], 5u);
    cr_assert_geq(data_pages[1][C_BIG], 2u);
    cr_assert_eq(data_pages[2][C_OK], 1u); /* 1000 booleans are 125 bytes */

    /* DuckDB sees the same three row groups, ZSTD, a dictionary only on "edge" */
    const jsec *dm = sec(&r, "duckdb-meta");
    const jsec *hs = sec(&r, "hyparquet-stats");
    cr_assert_eq(dm->nrows, 3u * NCOL);
    cr_assert_eq(hs->nrows, 3u * NCOL);
    val *vals = malloc(MAIN_RG * sizeof *vals);
    for (size_t i = 0; i < dm->nrows; i++) {
        const jrow *m = &dm->rows[i];
        int g = atoi(m->t[0].s), c = atoi(m->t[1].s);
        cr_assert(tok_is(&m->t[2], k_cols[c].name));
        cr_assert(tok_is(&m->t[8], "ZSTD"), "compression %s", m->t[8].s);
        cr_assert(tok_is(&m->t[4], "1000") && tok_is(&m->t[11], "1000"));
        cr_assert_eq(m->t[10].s != NULL, c == C_EDGE, "dictionary_page_offset on column %d", c);
        cr_assert(tok_is(&hs->rows[i].t[0], m->t[0].s) && tok_is(&hs->rows[i].t[1], m->t[1].s));
        for (int k = 0; k < MAIN_RG; k++) vals[k] = value_of(c, (uint64_t)(g * MAIN_RG + k));
        check_stats(m, &hs->rows[i], k_cols[c].type, vals, MAIN_RG);
    }
    free(vals);
    jset_free(&r);
}

/* Hand-picked values for the ordering rules: signed ints, unsigned bytes for strings,
 * NaN skipped, signed zeros, long strings left out, all-null chunks. */
enum { S_I32, S_I64, S_STR, S_DICT, S_DBL, S_TS, S_BOOL, NS };
static const cfs_pq_column k_scols[NS] = {
    {"i32", CFS_PQ_INT32, 0, 0},   {"i64", CFS_PQ_INT64, 1, 0},  {"str", CFS_PQ_STRING, 1, 0},
    {"dict", CFS_PQ_STRING, 1, 1}, {"dbl", CFS_PQ_DOUBLE, 1, 0}, {"ts", CFS_PQ_TIMESTAMP_MS, 0, 0},
    {"flag", CFS_PQ_BOOL, 0, 0},
};
#define SROWS 15 /* three row groups of five */

static val sval(int c, int r)
{
    static const int64_t i32[SROWS] = {3, -5, 4, 0, -1, INT32_MIN, INT32_MAX, 0, -7, 7, 1, 1, 1, 1, 1};
    static const int64_t i64[SROWS] = {-1, 1, -2, 2, 0, INT64_MAX, -3, INT64_MIN, 5, 6, 9, 9, 9, 9, 9};
    /* clang-format off */
    static const char *const str[SROWS] = {
        "apple", "Zebra", "zoo", "\xc3\xa9" "clair", "apple", /* min Zebra, max éclair */
        "b", NULL, "a", "bb", "ab",
        NULL, NULL, NULL, NULL, NULL, /* all null: no min/max */
    };
    /* clang-format on */
    /* clang-format off */
    static const char *const dict[SROWS] = {
        "m", NULL, "\xc3\xa9", "M", NULL,
        "b", "LONG", "a", "c", "d", /* LONG: a 70-byte max, so no min/max */
        NULL, NULL, NULL, NULL, NULL,
    };
    /* clang-format on */
    static const double dbl[SROWS] = {0.0, 0, 1.5, -2.25, 0.0, 0.0, -0.0, 0.0, -0.0, 0.0};
    val v;
    memset(&v, 0, sizeof v);
    switch (c) {
    case S_I32: v.i = i32[r]; break;
    case S_I64:
        v.i = i64[r];
        v.null = r == 4;
        break;
    case S_STR:
        if (!str[r]) v.null = 1;
        else set_str(&v, str[r]);
        break;
    case S_DICT:
        if (!dict[r]) v.null = 1;
        else if (strcmp(dict[r], "LONG") == 0) memset(v.s, 'z', v.n = 70);
        else set_str(&v, dict[r]);
        break;
    case S_DBL: /* NaN at row 1 and in the whole third group */
        v.d = r == 1 || r >= 10 ? bits_double(0x7ff8000000000000ull) : dbl[r];
        break;
    case S_TS: v.i = 1600000000000LL + (int64_t)((r * 7919) % 13) * 86400123LL - 5000; break;
    case S_BOOL: v.i = r < 5 ? 1 : r < 10 ? (r & 1) : 0; break;
    }
    return v;
}

Test(parquet, statistics_ordering_rules)
{
    const char *path = tmp_path("sorder.parquet");
    cfs_pq_writer *w = NULL;
    char err[512];
    cfs_pq_options o = {.row_group_rows = 5};
    cr_assert_eq(cfs_pq_open_opts(&w, path, k_scols, NS, &o, err, sizeof err), CFS_OK, "%s", err);
    for (int r = 0; r < SROWS; r++) {
        for (int c = 0; c < NS; c++) {
            val v = sval(c, r);
            put_val(w, (size_t)c, k_scols[c].type, &v);
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);

    jset r = readers("duckdb-meta,hyparquet-stats,duckdb-rows,hyparquet-rows", path);
    const jsec *dm = sec(&r, "duckdb-meta"), *hs = sec(&r, "hyparquet-stats");
    cr_assert_eq(dm->nrows, 3u * NS);
    cr_assert_eq(hs->nrows, 3u * NS);
    for (size_t i = 0; i < dm->nrows; i++) {
        const jrow *m = &dm->rows[i];
        int g = atoi(m->t[0].s), c = atoi(m->t[1].s);
        val vals[5];
        for (int k = 0; k < 5; k++) vals[k] = sval(c, g * 5 + k);
        check_stats(m, &hs->rows[i], k_scols[c].type, vals, 5);
    }
    /* spot checks written out by hand, independent of check_stats' own min/max */
    const jrow *d = dm->rows;
    cr_assert(tok_is(&d[0 * NS + S_I32].t[5], "-5") && tok_is(&d[0 * NS + S_I32].t[6], "4"));
    cr_assert(tok_is(&d[1 * NS + S_I32].t[5], "-2147483648"));
    cr_assert(tok_is(&d[1 * NS + S_I64].t[6], "9223372036854775807"));
    cr_assert(tok_is(&d[0 * NS + S_STR].t[5], "Zebra"));
    cr_assert(tok_is(&d[0 * NS + S_STR].t[6], "\xc3\xa9"
                                              "clair"));
    cr_assert(tok_is(&d[0 * NS + S_DICT].t[5], "M"));
    cr_assert(tok_is(&d[0 * NS + S_DICT].t[6], "\xc3\xa9"));
    cr_assert(tok_is(&d[0 * NS + S_DBL].t[5], "-2.25") && tok_is(&d[0 * NS + S_DBL].t[6], "1.5"));
    cr_assert(tok_is(&d[1 * NS + S_DBL].t[5], "-0.0") && tok_is(&d[1 * NS + S_DBL].t[6], "0.0"));
    cr_assert_null(d[2 * NS + S_DBL].t[5].s);                              /* NaN only */
    cr_assert(tok_is(&hs->rows[1 * NS + S_DBL].t[3], "8000000000000000")); /* -0.0 */

    /* and the values themselves survive, through both readers */
    const char *modes[2] = {"duckdb-rows", "hyparquet-rows"};
    char buf[600];
    for (int k = 0; k < 2; k++) {
        const jsec *s = sec(&r, modes[k]);
        cr_assert_eq(s->nrows, (size_t)SROWS);
        for (int i = 0; i < SROWS; i++)
            for (int c = 0; c < NS; c++) {
                val v = sval(c, i);
                const char *want = token_of(k_scols[c].type, &v, buf);
                const jtok *got = &s->rows[i].t[c];
                cr_assert(want ? tok_is(got, want) : got->s == NULL, "%s row %d col %s: %s vs %s", modes[k],
                          i, k_scols[c].name, want ? want : "null", got->s ? got->s : "null");
            }
    }
    jset_free(&r);
}

/* ---- empty table ---------------------------------------------------------------- */
Test(parquet, empty_table)
{
    const char *path = tmp_path("empty.parquet");
    write_main(path, 0, NULL);
    jset r = readers("duckdb-describe,duckdb-rows,hyparquet-rows,hyparquet-meta", path);
    cr_assert_eq(sec(&r, "duckdb-describe")->nrows, (size_t)NCOL);
    check_rows(sec(&r, "duckdb-rows"), 0);
    check_rows(sec(&r, "hyparquet-rows"), 0);
    const jsec *m = sec(&r, "hyparquet-meta");
    cr_assert(tok_is(&m->rows[0].t[2], "0") && tok_is(&m->rows[0].t[3], "0"));
    cr_assert_eq(m->nrows, (size_t)NCOL + 1);
    jset_free(&r);
    /* "PAR1", footer, length, "PAR1": no pages at all */
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_lt(st.st_size, 2048);
}

/* ---- bytes that are not UTF-8 ---------------------------------------------------- */
static size_t bin_value(int r, uint8_t *b)
{
    for (int k = 0; k < r; k++) b[k] = (uint8_t)(r + k); /* NUL, 0x80..0xff, any byte */
    return (size_t)r;
}

Test(parquet, binary_and_non_utf8_bytes)
{
    static const cfs_pq_column cols[3] = {
        {"bin", CFS_PQ_BINARY, 0, 0}, {"bindict", CFS_PQ_BINARY, 1, 1}, {"latin1", CFS_PQ_STRING, 0, 0}};
    const char *path = tmp_path("bin.parquet");
    cfs_pq_writer *w = NULL;
    char err[512];
    uint8_t b[300];
    cr_assert_eq(cfs_pq_open(&w, path, cols, 3, err, sizeof err), CFS_OK, "%s", err);
    /* row r: bytes r, r+1, ... (mod 256); r % 5 of them in the dictionary column, null on
     * every third row; and a Latin-1 "café" (0xe9), which is not UTF-8 */
    for (int r = 0; r < 256; r++) {
        size_t n = bin_value(r, b);
        cfs_pq_str(w, 0, (const char *)b, n);
        if (r % 3) cfs_pq_str(w, 1, (const char *)b, (size_t)(r % 5));
        cfs_pq_str(w, 2, "caf\xe9", 4);
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);

    /* hyparquet does not validate UTF-8: every byte of every column comes back; DuckDB
     * refuses a STRING column holding invalid UTF-8 (why CFS_PQ_BINARY exists) */
    char want[700];
    jset r = run_readers("hyparquet-rows,duckdb-rows", path);
    cr_assert_neq(r.status, 0, "DuckDB accepted invalid UTF-8 in a STRING column");
    cr_assert(strstr(r.err, "duckdb-rows") && (strstr(r.err, "UTF8") || strstr(r.err, "UTF-8")),
              "unexpected error: %s", r.err);
    const jsec *s = sec(&r, "hyparquet-rows");
    cr_assert_eq(s->nrows, 256u);
    for (int i = 0; i < 256; i++) {
        size_t n = bin_value(i, b);
        hex_of(b, n, want);
        cr_assert(tok_is(&s->rows[i].t[0], want), "row %d: %s", i, s->rows[i].t[0].s);
        hex_of(b, (size_t)(i % 5), want);
        if (i % 3) cr_assert(tok_is(&s->rows[i].t[1], want), "row %d: %s", i, s->rows[i].t[1].s);
        else cr_assert_null(s->rows[i].t[1].s);
        cr_assert(tok_is(&s->rows[i].t[2], "636166e9"));
    }
    jset_free(&r);

    /* ... and reads BINARY columns exactly, as BLOB */
    path = tmp_path("bin2.parquet");
    cr_assert_eq(cfs_pq_open(&w, path, cols, 2, err, sizeof err), CFS_OK, "%s", err);
    for (int i = 0; i < 256; i++) {
        size_t n = bin_value(i, b);
        cfs_pq_str(w, 0, (const char *)b, n);
        if (i % 3) cfs_pq_str(w, 1, (const char *)b, (size_t)(i % 5));
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
    r = readers("duckdb-describe,duckdb-rows", path);
    const jsec *d = sec(&r, "duckdb-describe");
    cr_assert(tok_is(&d->rows[0].t[1], "BLOB") && tok_is(&d->rows[1].t[1], "BLOB"));
    s = sec(&r, "duckdb-rows");
    cr_assert_eq(s->nrows, 256u);
    for (int i = 0; i < 256; i++) {
        size_t n = bin_value(i, b);
        hex_of(b, n, want);
        cr_assert(tok_is(&s->rows[i].t[0], want), "row %d: %s", i, s->rows[i].t[0].s);
        hex_of(b, (size_t)(i % 5), want);
        if (i % 3) cr_assert(tok_is(&s->rows[i].t[1], want), "row %d: %s", i, s->rows[i].t[1].s);
        else cr_assert_null(s->rows[i].t[1].s);
    }
    jset_free(&r);
}

/* ---- dictionary fallback -------------------------------------------------------- */
static size_t fallback_value(int r, char *s) { return (size_t)sprintf(s, "k%d", (r * 7919) % 250); }

Test(parquet, dictionary_falls_back_to_plain)
{
    static const cfs_pq_column cols[2] = {{"key", CFS_PQ_STRING, 1, 1}, {"n", CFS_PQ_INT64, 0, 0}};
    const char *path = tmp_path("fallback.parquet");
    cfs_pq_writer *w = NULL;
    char err[512], s[32];
    /* 250 distinct keys against a 100-entry dictionary: the first chunk switches to
     * PLAIN part way, the second never builds a dictionary */
    cfs_pq_options o = {.row_group_rows = 1000, .dict_entries = 100, .page_bytes = 2048};
    cr_assert_eq(cfs_pq_open_opts(&w, path, cols, 2, &o, err, sizeof err), CFS_OK, "%s", err);
    for (int r = 0; r < 2000; r++) {
        size_t n = fallback_value(r, s);
        if (r % 10 == 9) cfs_pq_null(w, 0);
        else cfs_pq_str(w, 0, s, n);
        cfs_pq_i64(w, 1, r);
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);

    jset r = readers("hyparquet-pages,duckdb-rows,hyparquet-rows", path);
    const jsec *pg = sec(&r, "hyparquet-pages");
    unsigned dict[2] = {0}, rle_dict[2] = {0}, plain[2] = {0};
    int seen_plain = 0;
    for (size_t i = 0; i < pg->nrows; i++) {
        const jrow *p = &pg->rows[i];
        int g = atoi(p->t[0].s), c = atoi(p->t[1].s), type = atoi(p->t[2].s), enc = atoi(p->t[4].s);
        if (c != 0) continue;
        if (type == 2) {
            dict[g]++;
            cr_assert(tok_is(&p->t[3], "100"), "dictionary of %s entries", p->t[3].s);
        } else if (enc == 8) {
            cr_assert(!seen_plain, "dictionary-encoded page after the fallback");
            rle_dict[g]++;
        } else {
            cr_assert_eq(enc, 0);
            seen_plain = 1;
            plain[g]++;
        }
    }
    cr_assert_eq(dict[0], 1u);
    cr_assert_geq(rle_dict[0], 1u);
    cr_assert_geq(plain[0], 1u);
    cr_assert_eq(dict[1], 0u);
    cr_assert_eq(rle_dict[1], 0u);
    cr_assert_geq(plain[1], 1u);

    const char *modes[2] = {"duckdb-rows", "hyparquet-rows"};
    char want[64];
    for (int k = 0; k < 2; k++) {
        const jsec *rows = sec(&r, modes[k]);
        cr_assert_eq(rows->nrows, 2000u);
        for (int i = 0; i < 2000; i++) {
            hex_of((const uint8_t *)s, fallback_value(i, s), want);
            if (i % 10 == 9) cr_assert_null(rows->rows[i].t[0].s, "%s row %d", modes[k], i);
            else
                cr_assert(tok_is(&rows->rows[i].t[0], want), "%s row %d: %s", modes[k], i,
                          rows->rows[i].t[0].s);
            snprintf(want, sizeof want, "%d", i);
            cr_assert(tok_is(&rows->rows[i].t[1], want));
        }
    }
    jset_free(&r);
}

/* ---- default options: 128k-row groups, 1 MiB pages -------------------------------- */
#define DEF_ROWS 140000u
static const char *const k_status[4] = {"200", "403", "404", "503"};
static const char *def_status(uint64_t r) { return k_status[(r / 1000 + r % 7) % 4]; }

Test(parquet, default_row_groups_and_pages)
{
    static const cfs_pq_column cols[3] = {
        {"seq", CFS_PQ_INT64, 0, 0}, {"status", CFS_PQ_STRING, 0, 1}, {"body", CFS_PQ_STRING, 1, 0}};
    const char *path = tmp_path("defaults.parquet");
    cfs_pq_writer *w = NULL;
    char err[512];
    cr_assert_eq(cfs_pq_open(&w, path, cols, 3, err, sizeof err), CFS_OK, "%s", err);
    /* groups of 131072 and 8928 rows; "body" carries 1000 bytes on every 100th row, so
     * its first chunk holds 1.3 MB and must be cut into more than one 1 MiB page */
    char body[1000];
    for (uint64_t r = 0; r < DEF_ROWS; r++) {
        cfs_pq_i64(w, 0, (int64_t)(r * r));
        cfs_pq_str(w, 1, def_status(r), 3);
        if (r % 100 == 0) {
            memset(body, 'a' + (int)(r % 26), sizeof body);
            cfs_pq_str(w, 2, body, sizeof body);
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);

    jset r = readers("duckdb-meta,hyparquet-pages,duckdb-rows,hyparquet-rows", path);
    const jsec *m = sec(&r, "duckdb-meta");
    cr_assert_eq(m->nrows, 6u);
    for (int i = 0; i < 6; i++)
        cr_assert(tok_is(&m->rows[i].t[11], i < 3 ? "131072" : "8928"), "rg rows %s", m->rows[i].t[11].s);

    const jsec *pg = sec(&r, "hyparquet-pages");
    unsigned body_pages = 0;
    for (size_t i = 0; i < pg->nrows; i++) {
        const jrow *p = &pg->rows[i];
        if (!tok_is(&p->t[0], "0") || !tok_is(&p->t[1], "2")) continue;
        body_pages++;
        cr_assert_leq(atoll(p->t[5].s), (1 << 20) + 2000, "page of %s bytes", p->t[5].s);
    }
    cr_assert_geq(body_pages, 2u);

    const char *modes[2] = {"duckdb-rows", "hyparquet-rows"};
    char want[2048];
    for (int k = 0; k < 2; k++) {
        const jsec *s = sec(&r, modes[k]);
        cr_assert_eq(s->nrows, (size_t)DEF_ROWS);
        for (uint64_t i = 0; i < DEF_ROWS; i++) {
            const jrow *row = &s->rows[i];
            snprintf(want, sizeof want, "%" PRId64, (int64_t)(i * i));
            cr_assert(tok_is(&row->t[0], want), "%s row %" PRIu64, modes[k], i);
            hex_of((const uint8_t *)def_status(i), 3, want);
            cr_assert(tok_is(&row->t[1], want), "%s row %" PRIu64, modes[k], i);
            if (i % 100 == 0) {
                memset(body, 'a' + (int)(i % 26), sizeof body);
                hex_of((const uint8_t *)body, sizeof body, want);
                cr_assert(tok_is(&row->t[2], want), "%s row %" PRIu64, modes[k], i);
            } else {
                cr_assert_null(row->t[2].s);
            }
        }
    }
    jset_free(&r);
}

/* ---- random tables --------------------------------------------------------------- */
/* Random options (row groups of 50..3049 rows, pages of 256 B..64 KiB, dictionaries of 1 to
 * 70000 entries) and random data with runs of equal values and of nulls, so the RLE /
 * bit-packed hybrid sees bit widths 1 to 13 and run/literal boundaries everywhere
 * (wide_dictionary covers up to 17 bits).  CFS_TEST_SEED=N repeats a run. */
static uint64_t rnd_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define RND_ROWS 6000
#define RND_COLS 8

/* A cell is an id; its value is a pure function of (type, id). */
static val rnd_value(cfs_pq_type t, int64_t id)
{
    val v;
    memset(&v, 0, sizeof v);
    if (id < 0) {
        v.null = 1;
        return v;
    }
    uint64_t h = (uint64_t)id * 0xD6E8FEB86659FD93ull;
    switch (t) {
    case CFS_PQ_INT32: v.i = (int32_t)(uint32_t)(h >> 32); break;
    case CFS_PQ_BOOL: v.i = id & 1; break;
    /* within DuckDB's range (it reads timestamps as int64 microseconds): +-317 years */
    case CFS_PQ_TIMESTAMP_MS: v.i = (int64_t)(h % 20000000000000ull) - 10000000000000LL; break;
    case CFS_PQ_DOUBLE: v.d = (double)(int64_t)h / 1e6; break;
    case CFS_PQ_STRING:
        v.n = (size_t)sprintf((char *)v.s, "v%" PRId64 "-%.*s", id, (int)(id % 23),
                              "abcdefghijklmnopqrstuvw");
        break;
    case CFS_PQ_BINARY:
        v.n = (size_t)(id % 13);
        for (size_t k = 0; k < v.n; k++) v.s[k] = (uint8_t)(h >> (k % 8 * 8));
        break;
    default: v.i = (int64_t)h; break;
    }
    return v;
}

Test(parquet, random_tables)
{
    uint64_t seed = getenv("CFS_TEST_SEED") ? strtoull(getenv("CFS_TEST_SEED"), NULL, 0)
                                            : (uint64_t)time(NULL);
    cr_log_info("random_tables: CFS_TEST_SEED=%" PRIu64, seed);
    /* clang-format off */
    static const cfs_pq_type types[RND_COLS] = {
        CFS_PQ_INT32, CFS_PQ_INT64, CFS_PQ_DOUBLE, CFS_PQ_STRING,
        CFS_PQ_STRING, CFS_PQ_TIMESTAMP_MS, CFS_PQ_BOOL, CFS_PQ_BINARY};
    /* clang-format on */
    static const char *const names[RND_COLS] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    int64_t *ids = malloc((size_t)RND_ROWS * RND_COLS * sizeof *ids);
    /* one table per run (a reader start-up costs more than the table); the seed varies
     * from run to run */
    for (int round = 0; round < 1; round++) {
        uint64_t s = seed * 2 + (uint64_t)round;
        cfs_pq_column cols[RND_COLS];
        int64_t domain[RND_COLS];
        unsigned repeat[RND_COLS], nullp[RND_COLS];
        for (int c = 0; c < RND_COLS; c++) {
            cols[c] = (cfs_pq_column){names[c], types[c], (int)(rnd_next(&s) & 1),
                                      (int)(rnd_next(&s) % 4 != 0)};
            static const int64_t domains[6] = {1, 2, 100, 3000, 40000, 1000000};
            domain[c] = domains[rnd_next(&s) % 6];
            repeat[c] = (unsigned)(rnd_next(&s) % 100); /* % chance to repeat the last */
            nullp[c] = cols[c].optional ? (unsigned)(rnd_next(&s) % 60) : 0;
        }
        cfs_pq_options o = {
            .row_group_rows = 50 + rnd_next(&s) % 3000,
            .page_bytes = (size_t)256 << (rnd_next(&s) % 9),
            .dict_entries = (size_t)1 + rnd_next(&s) % 70000,
            .dict_bytes = (size_t)1024 << (rnd_next(&s) % 12),
        };
        const char *path = tmp_path(round ? "rnd1.parquet" : "rnd0.parquet");
        cfs_pq_writer *w = NULL;
        char err[512];
        cr_assert_eq(cfs_pq_open_opts(&w, path, cols, RND_COLS, &o, err, sizeof err), CFS_OK, "%s", err);
        int64_t last[RND_COLS];
        for (int c = 0; c < RND_COLS; c++) last[c] = 0;
        for (int r = 0; r < RND_ROWS; r++) {
            for (int c = 0; c < RND_COLS; c++) {
                int64_t id = last[c];
                if (rnd_next(&s) % 100 >= repeat[c]) {
                    id = rnd_next(&s) % 100 < nullp[c] ? -1 : (int64_t)(rnd_next(&s) % (uint64_t)domain[c]);
                }
                last[c] = id;
                ids[(size_t)r * RND_COLS + (size_t)c] = id;
                val v = rnd_value(types[c], id);
                put_val(w, (size_t)c, types[c], &v);
            }
            cfs_pq_end_row(w);
        }
        cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "seed %" PRIu64 ": %s", seed, err);

        jset rr = readers("duckdb-rows,hyparquet-rows", path);
        const char *modes[2] = {"duckdb-rows", "hyparquet-rows"};
        char buf[600];
        for (int k = 0; k < 2; k++) {
            const jsec *sc = sec(&rr, modes[k]);
            cr_assert_eq(sc->nrows, (size_t)RND_ROWS, "seed %" PRIu64, seed);
            for (int r = 0; r < RND_ROWS; r++)
                for (int c = 0; c < RND_COLS; c++) {
                    val v = rnd_value(types[c], ids[(size_t)r * RND_COLS + (size_t)c]);
                    const char *want = token_of(types[c], &v, buf);
                    const jtok *got = &sc->rows[r].t[c];
                    cr_assert(want ? tok_is(got, want) : got->s == NULL,
                              "seed %" PRIu64 " round %d %s row %d col %d: want %s, got %s", seed, round,
                              modes[k], r, c, want ? want : "null", got->s ? got->s : "null");
                }
        }
        jset_free(&rr);
    }
    free(ids);
}

/* 70000 distinct values in one chunk: dictionary indices of 17 bits, in a scattered
 * order (bit-packed runs); a second column with runs (RLE runs) and nulls. */
#define WIDE_ROWS 70000
static size_t wide_value(int r, char *s) { return (size_t)sprintf(s, "%d", (r * 7919) % WIDE_ROWS); }

Test(parquet, wide_dictionary)
{
    static const cfs_pq_column cols[2] = {{"k", CFS_PQ_STRING, 0, 1}, {"run", CFS_PQ_STRING, 1, 1}};
    const char *path = tmp_path("wide.parquet");
    cfs_pq_writer *w = NULL;
    char err[512], s[32];
    cfs_pq_options o = {.row_group_rows = WIDE_ROWS, .dict_entries = 1 << 17, .dict_bytes = 4 << 20};
    cr_assert_eq(cfs_pq_open_opts(&w, path, cols, 2, &o, err, sizeof err), CFS_OK, "%s", err);
    for (int r = 0; r < WIDE_ROWS; r++) {
        cfs_pq_str(w, 0, s, wide_value(r, s));
        if ((r / 100) % 4 == 3) cfs_pq_null(w, 1);
        else cfs_pq_str(w, 1, &"abc"[(r / 100) % 4], 1);
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);

    jset r = readers("hyparquet-pages,duckdb-rows,hyparquet-rows", path);
    const jsec *pg = sec(&r, "hyparquet-pages");
    cr_assert_geq(pg->nrows, 2u);
    cr_assert(tok_is(&pg->rows[0].t[2], "2") && tok_is(&pg->rows[0].t[3], "70000"),
              "first page: type %s, %s entries", pg->rows[0].t[2].s, pg->rows[0].t[3].s);
    for (size_t i = 1; i < pg->nrows && tok_is(&pg->rows[i].t[1], "0"); i++)
        cr_assert(tok_is(&pg->rows[i].t[4], "8"), "page %zu encoding %s", i, pg->rows[i].t[4].s);
    const char *modes[2] = {"duckdb-rows", "hyparquet-rows"};
    char want[64];
    for (int k = 0; k < 2; k++) {
        const jsec *rows = sec(&r, modes[k]);
        cr_assert_eq(rows->nrows, (size_t)WIDE_ROWS);
        for (int i = 0; i < WIDE_ROWS; i++) {
            hex_of((const uint8_t *)s, wide_value(i, s), want);
            cr_assert(tok_is(&rows->rows[i].t[0], want), "%s row %d: %s", modes[k], i, rows->rows[i].t[0].s);
            if ((i / 100) % 4 == 3) {
                cr_assert_null(rows->rows[i].t[1].s, "%s row %d", modes[k], i);
            } else {
                hex_of((const uint8_t *)&"abc"[(i / 100) % 4], 1, want);
                cr_assert(tok_is(&rows->rows[i].t[1], want), "%s row %d", modes[k], i);
            }
        }
    }
    jset_free(&r);
}

/* ---- errors ---------------------------------------------------------------------- */
Test(parquet, write_to_dev_full_is_an_io_error)
{
    struct stat st;
    if (stat("/dev/full", &st) != 0 || !S_ISCHR(st.st_mode))
        cr_assert_fail("/dev/full is missing: this test needs Linux's full device");
    cfs_pq_writer *w = NULL;
    char err[512];
    cr_assert_eq(cfs_pq_open(&w, "/dev/full", k_cols, NCOL, err, sizeof err), CFS_OK, "%s", err);
    for (uint64_t r = 0; r < 100; r++) {
        for (int c = 0; c < NCOL; c++) {
            val v = value_of(c, r);
            put_val(w, (size_t)c, k_cols[c].type, &v);
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_status(w), CFS_E_IO, "the first write already failed");
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_E_IO);
    cr_assert(strstr(err, "/dev/full"), "message does not name the path: %s", err);
    cr_assert(strstr(err, strerror(ENOSPC)), "message does not give the reason: %s", err);
    /* never "cleaned up" */
    cr_assert_eq(stat("/dev/full", &st), 0);
    cr_assert(S_ISCHR(st.st_mode));
}

Test(parquet, file_size_limit_mid_file_is_an_io_error)
{
    /* RLIMIT_FSIZE makes write() fail with EFBIG once the file reaches 64 KiB: a write
     * error in the middle of the file, after row groups were written fine. */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {.rlim_cur = 64 * 1024, .rlim_max = RLIM_INFINITY};
    getrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = 64 * 1024;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0, "setrlimit: %s", strerror(errno));
    const char *path = tmp_path("big.parquet");
    cfs_pq_writer *w = NULL;
    char err[512];
    cfs_pq_options o = {.row_group_rows = 500};
    cr_assert_eq(cfs_pq_open_opts(&w, path, k_cols, NCOL, &o, err, sizeof err), CFS_OK, "%s", err);
    uint64_t r = 0;
    for (; r < 200000 && cfs_pq_status(w) == CFS_OK; r++) {
        for (int c = 0; c < NCOL; c++) {
            val v = value_of(c, r);
            put_val(w, (size_t)c, k_cols[c].type, &v);
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_status(w), CFS_E_IO, "no error after %" PRIu64 " rows", r);
    cr_assert_gt(r, 500u, "failed before the first row group");
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_E_IO);
    cr_assert(strstr(err, path), "message does not name the path: %s", err);
    cr_assert(strstr(err, strerror(EFBIG)), "message does not give the reason: %s", err);
    cr_assert_neq(access(path, F_OK), 0, "partial file left behind");
}

Test(parquet, missing_directory_is_named)
{
    const char *path = tmp_path("no-such-dir/out.parquet");
    cfs_pq_writer *w = (cfs_pq_writer *)&w; /* must be reset to NULL */
    char err[512] = "";
    cr_assert_eq(cfs_pq_open(&w, path, k_cols, NCOL, err, sizeof err), CFS_E_IO);
    cr_assert_null(w);
    cr_assert(strstr(err, path), "message does not name the path: %s", err);
    cr_assert(strstr(err, strerror(ENOENT)), "message does not give the reason: %s", err);
}

Test(parquet, misuse_is_reported_and_removes_the_file)
{
    static const cfs_pq_column cols[3] = {
        {"a", CFS_PQ_INT32, 0, 0}, {"b", CFS_PQ_STRING, 1, 0}, {"c", CFS_PQ_DOUBLE, 0, 0}};
    char err[512];
    cfs_pq_writer *w;
    for (int k = 0; k < 6; k++) {
        const char *path = tmp_path("misuse.parquet");
        cr_assert_eq(cfs_pq_open(&w, path, cols, 3, err, sizeof err), CFS_OK, "%s", err);
        cfs_pq_i64(w, 0, 1);
        cfs_pq_str(w, 1, "x", 1);
        cfs_pq_f64(w, 2, 1.0);
        cfs_pq_end_row(w);
        switch (k) {
        case 0: cfs_pq_f64(w, 0, 1.0); break; /* wrong type */
        case 1: cfs_pq_null(w, 0); break;     /* null in REQUIRED */
        case 2:
            cfs_pq_i64(w, 0, 1);
            cfs_pq_i64(w, 0, 2);
            break;                                         /* twice */
        case 3: cfs_pq_i64(w, 0, (int64_t)1 << 31); break; /* out of INT32 range */
        case 4:
            cfs_pq_i64(w, 0, 1);
            cfs_pq_end_row(w);
            break;                          /* REQUIRED "c" unset */
        case 5: cfs_pq_i64(w, 7, 1); break; /* no such column */
        }
        cfs_pq_end_row(w);
        cr_assert_eq(cfs_pq_status(w), CFS_E_USAGE, "case %d", k);
        cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_E_USAGE, "case %d", k);
        cr_assert(strstr(err, path), "case %d: %s", k, err);
        cr_assert_neq(access(path, F_OK), 0, "case %d: file left behind", k);
    }
    /* bad schemas */
    static const cfs_pq_column dup[2] = {{"a", CFS_PQ_INT32, 0, 0}, {"a", CFS_PQ_INT64, 0, 0}};
    cr_assert_eq(cfs_pq_open(&w, tmp_path("x.parquet"), dup, 2, err, sizeof err), CFS_E_USAGE);
    cr_assert(strstr(err, "duplicate"), "%s", err);
    cr_assert_eq(cfs_pq_open(&w, tmp_path("x.parquet"), cols, 0, err, sizeof err), CFS_E_USAGE);
    cr_assert_eq(cfs_pq_close(NULL, err, sizeof err), CFS_E_USAGE);
    cfs_pq_abort(NULL);
    /* an optional column left unset is a null, not an error */
    const char *path = tmp_path("unset.parquet");
    cr_assert_eq(cfs_pq_open(&w, path, cols, 3, err, sizeof err), CFS_OK, "%s", err);
    cfs_pq_i64(w, 0, 5);
    cfs_pq_f64(w, 2, 2.5);
    cfs_pq_end_row(w);
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
    jset r = readers("hyparquet-rows", path);
    const jsec *s = sec(&r, "hyparquet-rows");
    cr_assert_eq(s->nrows, 1u);
    cr_assert(tok_is(&s->rows[0].t[0], "5"));
    cr_assert_null(s->rows[0].t[1].s);
    cr_assert(tok_is(&s->rows[0].t[2], "4004000000000000")); /* 2.5 */
    jset_free(&r);
}

Test(parquet, abort_removes_the_file)
{
    const char *path = tmp_path("aborted.parquet");
    cfs_pq_writer *w;
    char err[512];
    cfs_pq_options o = {.row_group_rows = 10};
    cr_assert_eq(cfs_pq_open_opts(&w, path, k_cols, NCOL, &o, err, sizeof err), CFS_OK, "%s", err);
    for (uint64_t r = 0; r < 25; r++) {
        for (int c = 0; c < NCOL; c++) {
            val v = value_of(c, r);
            put_val(w, (size_t)c, k_cols[c].type, &v);
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(access(path, F_OK), 0, "row groups are written as they fill");
    cfs_pq_abort(w);
    cr_assert_neq(access(path, F_OK), 0, "file left behind");
}
