/* CloudFront v2 Parquet logs as cfscan input (pipeline/parquet_read.c): the same logs read
 * as Parquet and as TSV give the same report, for files written by DuckDB (each codec, v1
 * and v2 data pages, dictionary on and off, small row groups; tests/js/parquet_logs.mjs)
 * and by cfscan's own writer (cfsgen --layout parquet); every line is accounted for; and
 * malformed files, built here byte by byte, are a per-file error (exit 4) naming the file. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/parquet.h"
#include "pipeline/presence.h"
#include "pipeline/thrift.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    if (g_dir) tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(parquet_input, .init = setup, .fini = teardown, .timeout = 300);

/* The number after "key": in a JSON report (the first occurrence: inputs come first). */
static long long jnum(const char *json, const char *key)
{
    const long long v = tu_json_count(json, key);
    cr_assert(v >= 0, "no %s in %s", key, json);
    return v;
}

/* The report from "by_status" on: everything but the inputs' byte counts and paths. */
static const char *totals(const char *json)
{
    const char *p = strstr(json, "\"by_status\"");
    cr_assert(p, "no by_status in %s", json);
    return p;
}

/* cfsgen's 24 v2 log files of one distribution as plain text in dir/v2, and one TSV of
 * all their lines under one #Fields: line in dir/all.log; returns the data lines, counted
 * here (lines not starting with '#'). */
static long make_v2_logs_n(int lines_per_file)
{
    char *err = NULL;
    int rc = tu_sh(NULL, &err,
                   "%s -o %s/v2 --seed 11 --dists 1 --days 1 --lines-per-file %d --layout v2 --format plain "
                   "-j1 >/dev/null && cd %s/v2 && f=$(ls *.log | head -1) && head -1 \"$f\" > ../all.log && "
                   "for f in *.log; do tail -n +2 \"$f\"; done >> ../all.log",
                   tu_prog("cfsgen"), g_dir, lines_per_file, g_dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
    char path[1024];
    snprintf(path, sizeof path, "%s/all.log", g_dir);
    char *t = tu_read(path, NULL);
    cr_assert(t);
    long n = 0;
    for (char *p = t; *p;) {
        if (*p != '#') n++;
        char *e = strchr(p, '\n');
        if (!e) break;
        p = e + 1;
    }
    free(t);
    return n;
}

static long make_v2_logs(void) { return make_v2_logs_n(120); }

static void need_duckdb(void)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/tests/js/node_modules/@duckdb/node-api/package.json", CFS_SOURCE_DIR);
    if (access(p, R_OK) != 0 || system("node --version >/dev/null 2>&1") != 0)
        cr_skip_test("DuckDB for Node.js (@duckdb/node-api) or node missing: run `npm ci --prefix tests/js` "
                     "(package nodejs, npm)");
}

/* DuckDB runs sql (its double quotes escaped for the shell) in g_dir: a file it writes
 * there. */
static void duckdb_sql(const char *sql)
{
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && node '%s/tests/js/summary_sql.mjs' duckdb \"%s\"", g_dir,
                   CFS_SOURCE_DIR, sql);
    cr_assert_eq(rc, 0, "DuckDB: %s", err ? err : "");
    free(err);
}

Test(parquet_input, duckdb_files_give_the_tsv_report)
{
    need_duckdb();
    long rows = make_v2_logs();
    cr_assert_gt(rows, 2000);
    char *ref = tu_scan_json(g_dir, 0, "scan all.log -j2");
    cr_assert_eq(jnum(ref, "requests"), rows);
    /* codec, rows per row group, dictionary, data page version, "-" as NULL */
    static const struct {
        const char *codec, *rg, *dict, *ver, *nulls;
    } v[] = {
        {"uncompressed", "100000", "on", "V1", "1"}, {"snappy", "500", "off", "V1", "1"},
        {"gzip", "1000", "on", "V2", "0"},           {"zstd", "100000", "off", "V2", "1"},
        {"snappy", "100000", "on", "V1", "0"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_sh(&out, &err,
                       "cd %s && node '%s/tests/js/parquet_logs.mjs' t%zu.parquet %s %s %s %s %s all.log",
                       g_dir, CFS_SOURCE_DIR, i, v[i].codec, v[i].rg, v[i].dict, v[i].ver, v[i].nulls);
        cr_assert_eq(rc, 0, "DuckDB %s: %s", v[i].codec, err ? err : "");
        /* DuckDB's own count of the rows it wrote */
        cr_assert_eq(jnum(out, "rows"), rows, "%s", out);
        char *got = tu_scan_json(g_dir, 0, "scan t%zu.parquet -j2", i);
        /* every row is a request; the two header lines are the synthetic #Version/#Fields */
        cr_assert_eq(jnum(got, "requests"), rows, "%s %s", v[i].codec, got);
        cr_assert_eq(jnum(got, "lines"), rows + 2, "%s", got);
        cr_assert_eq(jnum(got, "header_lines"), 2);
        cr_assert_eq(jnum(got, "rejected"), 0);
        cr_assert_str_eq(totals(got), totals(ref), "%s %s %s %s: the Parquet report differs from the TSV one",
                         v[i].codec, v[i].rg, v[i].dict, v[i].ver);
        free(got);
        free(out);
        free(err);
    }
    free(ref);
}

Test(parquet_input, own_writer_gives_the_text_report_at_any_thread_count)
{
    char *err = NULL;
    int rc = tu_sh(
        NULL, &err,
        "%s -o %s/p --seed 5 --dists 2 --days 1 --lines-per-file 80 --layout parquet -j2 >/dev/null && "
        "%s -o %s/t --seed 5 --dists 2 --days 1 --lines-per-file 80 --layout v2 --format plain -j2 "
        ">/dev/null && mkdir %s/pl %s/tl && mv %s/p/*.parquet %s/pl/ && mv %s/t/*.log %s/tl/",
        tu_prog("cfsgen"), g_dir, tu_prog("cfsgen"), g_dir, g_dir, g_dir, g_dir, g_dir, g_dir, g_dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
    char *t = tu_scan_json(g_dir, 0, "scan tl -j2");
    char *p1 = tu_scan_json(g_dir, 0, "scan pl -j1");
    char *p2 = tu_scan_json(g_dir, 0, "scan pl -j2");
    cr_assert_str_eq(p1, p2, "-j1 and -j2 differ");
    /* 2 distributions x 24 hours x 80 lines, named by CloudFront's file names */
    cr_assert_eq(jnum(p1, "requests"), 2 * 24 * 80);
    cr_assert_eq(jnum(p1, "lines"), 2 * 24 * 80 + 48 * 2);
    cr_assert_str_eq(totals(p1), totals(t));
    cr_assert(strstr(p1, "\"by_distribution\":{\"E"), "%s", p1);
    free(t);
    free(p1);
    free(p2);
}

/* The bytes of the TSV at path as a scan of the same rows in Parquet counts them: the
 * header lines as they are; on a data line, each value of a column the scan decodes
 * (cfs_pres_analysed, without WAF logs) and "-" for any other, a TAB or LF after each. */
static size_t decoded_bytes(const char *path)
{
    char *t = tu_read(path, NULL);
    cr_assert(t, "%s", path);
    int analysed[CFS_MAX_COLS];
    size_t ncol = 0, total = 0;
    const uint64_t m = cfs_pres_analysed(0);
    for (char *line = t; *line;) {
        char *e = strchr(line, '\n');
        cr_assert(e, "%s: a line without LF", path);
        if (line[0] == '#') {
            if (strncmp(line, "#Fields:", 8) == 0) {
                ncol = 0;
                for (char *p = line + 8; p < e;) {
                    while (p < e && *p == ' ') p++;
                    char *q = p;
                    while (q < e && *q != ' ') q++;
                    if (q > p) {
                        cfs_field f = cfs_field_lookup(p, (size_t)(q - p));
                        cr_assert(ncol < CFS_MAX_COLS);
                        analysed[ncol++] = f != CFS_F_UNKNOWN && (m >> f & 1);
                    }
                    p = q;
                }
            }
            total += (size_t)(e - line) + 1;
        } else {
            size_t c = 0;
            for (char *p = line; p <= e; c++) {
                char *q = p;
                while (q < e && *q != '\t') q++;
                cr_assert(c < ncol, "%s: more columns than names", path);
                total += (analysed[c] ? (size_t)(q - p) : 1) + 1;
                p = q + 1;
            }
        }
        line = e + 1;
    }
    free(t);
    return total;
}

/* all.log written as dir/NAME by DuckDB (tests/js/parquet_logs.mjs), in row groups of rg rows */
static void duckdb_write(const char *name, const char *codec, int rg, const char *nulls, long rows)
{
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "cd %s && node '%s/tests/js/parquet_logs.mjs' %s %s %d on V1 %s all.log",
                   g_dir, CFS_SOURCE_DIR, name, codec, rg, nulls);
    cr_assert_eq(rc, 0, "DuckDB: %s", err ? err : "");
    cr_assert_eq(jnum(out, "rows"), rows, "%s", out);
    free(out);
    free(err);
}

/* Several row groups (DuckDB writes at least 2048 rows in each, so 12,000 rows make six),
 * cut into units of one row group each by --split-above 1 (parquet_read.h, scan.c): the
 * units run on any thread and fold in file order, so -j1 and -j2 give byte-identical JSON,
 * and the totals are those of the same lines read as TSV, as they are when the file is
 * read as one unit.  bytes_decoded is the text the rows make of the columns the scan
 * decodes, "-" for the others (decoded_bytes of all.log, whose #Fields: line is the one
 * the reader writes), and the "#Version: 1.0" line. */
Test(parquet_input, row_groups_in_parallel_give_the_tsv_report)
{
    need_duckdb();
    long rows = make_v2_logs_n(500);
    cr_assert_eq(rows, 24 * 500);
    duckdb_write("m.parquet", "snappy", 2048, "0", rows);
    char *ref = tu_scan_json(g_dir, 0, "scan all.log -j1");
    char *j1 = tu_scan_json(g_dir, 0, "scan m.parquet -j1 --split-above 1");
    char *j2 = tu_scan_json(g_dir, 0, "scan m.parquet -j2 --split-above 1");
    char *whole = tu_scan_json(g_dir, 0, "scan m.parquet -j2");
    cr_assert_str_eq(j1, j2, "-j1 and -j2 differ on a file read by row groups");
    cr_assert_eq(jnum(j1, "requests"), rows);
    cr_assert_eq(jnum(j1, "lines"), rows + 2);
    cr_assert_eq(jnum(j1, "rejected"), 0);
    cr_assert_str_eq(totals(j1), totals(ref), "the row-group units' report differs from the TSV one");
    cr_assert_str_eq(totals(whole), totals(ref), "the one-unit report differs from the TSV one");
    char path[1024];
    snprintf(path, sizeof path, "%s/all.log", g_dir);
    size_t tsv_bytes = 0;
    free(tu_read(path, &tsv_bytes));
    const size_t want = decoded_bytes(path) + strlen("#Version: 1.0\n");
    /* the user agent and the request id at least are not decoded */
    cr_assert_lt(want, tsv_bytes - (size_t)rows * 40, "%zu of %zu", want, tsv_bytes);
    cr_assert_eq(jnum(j1, "bytes_decoded"), (long long)want);
    cr_assert_eq(jnum(whole, "bytes_decoded"), jnum(j1, "bytes_decoded"));
    free(ref);
    free(j1);
    free(j2);
    free(whole);
}

/* A file damaged in the middle, read by row group: the damaged unit is the file's error
 * (exit 4, naming the file), the rows of the other units and those before the damage
 * are counted, and -j1 and -j2 report the same (the first damage in file order). */
Test(parquet_input, damaged_row_group_is_reported_the_same_at_any_thread_count)
{
    need_duckdb();
    long rows = make_v2_logs_n(500);
    duckdb_write("d.parquet", "snappy", 2048, "0", rows);
    char path[1024];
    snprintf(path, sizeof path, "%s/d.parquet", g_dir);
    size_t n = 0;
    char *b = tu_read(path, &n);
    cr_assert(b && n > 4096);
    memset(b + n / 2, 0xff, 256); /* inside a middle row group's pages */
    free(tu_write(g_dir, "d.parquet", b, n));
    free(b);
    char *out[2] = {NULL, NULL}, *err[2] = {NULL, NULL};
    for (int j = 0; j < 2; j++) {
        int rc = tu_sh(&out[j], &err[j], "cd %s && %s scan d.parquet --format json -q -j%d --split-above 1",
                       g_dir, tu_prog("cfscan"), j + 1);
        cr_assert_eq(rc, 4, "-j%d: exit %d: %s", j + 1, rc, err[j]);
        cr_assert(strstr(err[j], "d.parquet") && strstr(err[j], "Parquet column"), "%s", err[j]);
    }
    cr_assert_str_eq(out[0], out[1], "-j1 and -j2 differ on a damaged file");
    cr_assert_str_eq(err[0], err[1]);
    long long got = jnum(out[0], "requests");
    /* six row groups: the units before and after the damaged one are counted */
    cr_assert(got > 2048 && got < rows, "%lld of %ld rows", got, rows);
    for (int j = 0; j < 2; j++) {
        free(out[j]);
        free(err[j]);
    }
}

/* `requests` parses every field of every line (CFS_PARSE_ALL), so the reader writes every
 * column of every row: its rows of a non-403 status, with every field of the log as a
 * column, are those it prints from the TSV, value for value. */
Test(parquet_input, requests_sees_every_field_of_a_non_403_row)
{
    need_duckdb();
    long rows = make_v2_logs();
    duckdb_write("r.parquet", "zstd", 2048, "0", rows);
    char path[1024];
    snprintf(path, sizeof path, "%s/all.log", g_dir);
    char *t = tu_read(path, NULL);
    cr_assert(t && strncmp(t, "#Fields: ", 9) == 0, "%s", t);
    /* the header's names, comma-separated, as --fields */
    char fields[2048];
    size_t k = 0;
    for (const char *p = t + 9; *p && *p != '\n' && k + 1 < sizeof fields; p++)
        fields[k++] = *p == ' ' ? ',' : *p;
    fields[k] = 0;
    free(t);
    /* x-edge-request-id: a field no non-403 line's lean parse reads, never "-" in cfsgen's logs */
    const char *rid = strstr(fields, "x-edge-request-id");
    cr_assert(rid && strstr(fields, "c-ip"), "%s", fields);
    int rid_col = 0;
    for (const char *p = fields; p < rid; p++) rid_col += *p == ',';
    char *a = NULL, *b = NULL, *err = NULL;
    int rc = tu_sh(&a, &err, "cd %s && %s requests all.log --status 200 --fields '%s' --format tsv -j1",
                   g_dir, tu_prog("cfscan"), fields);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    err = NULL;
    rc = tu_sh(&b, &err, "cd %s && %s requests r.parquet --status 200 --fields '%s' --format tsv -j2", g_dir,
               tu_prog("cfscan"), fields);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    /* many rows, the first (after the names) with its request id */
    size_t nl = 0;
    for (const char *p = a; *p; p++) nl += *p == '\n';
    cr_assert_gt(nl, 100, "%s", a);
    const char *v = strchr(a, '\n') + 1; /* after the header line */
    for (int c = 0; c < rid_col && v; c++) v = strchr(v, '\t') ? strchr(v, '\t') + 1 : NULL;
    cr_assert(v && strcspn(v, "\t\n") > 1, "no request id in column %d: %.300s", rid_col, a);
    cr_assert_str_eq(b, a, "requests prints other values from the Parquet file than from the TSV");
    free(a);
    free(b);
}

/* ---- values that text cannot hold as they are ------------------------------------------
 * A file written by cfscan's own writer whose values hold what a log line cannot: a TAB,
 * LF or CR (written percent-encoded, as CloudFront's text logs encode them), another
 * control byte (the line is binary when rejected), nothing (null or empty: "-"), a first
 * value starting with '#' (bad_value: a row is no directive, and no "#Fields:" line) or '{' (a JSON
 * line), and a
 * row longer than a line may be.  The same rows written here as TSV by that rule give the
 * same `requests` rows (every field); a scan, which decodes only the columns it reads
 * (cfs_pres_analysed: not the referer, the user agent nor, without WAF logs, the request
 * id), gives the report and bytes_decoded of that TSV with "-" in the other columns, which
 * is also the report of the whole TSV; with WAF logs, the request id is read and a 403 is
 * joined to its BLOCK record.  At -j1, and at -j2 in row groups of 700 rows read as units
 * of their own. */
static const char *const k_hv_cols[] = {"date",
                                        "time",
                                        "x_edge_location",
                                        "sc_bytes",
                                        "c_ip",
                                        "cs_method",
                                        "cs_host",
                                        "cs_uri_stem",
                                        "sc_status",
                                        "cs_referer",
                                        "cs_user_agent",
                                        "cs_uri_query",
                                        "x_edge_result_type",
                                        "x_edge_request_id",
                                        "time_taken",
                                        "x_edge_detailed_result_type"};
#define HV_COLS (sizeof k_hv_cols / sizeof k_hv_cols[0])
#define HV_ROWS 3000
/* A row whose text is a "#Fields:" line: the schema names a Parquet file's columns, so it
 * is bad_value, as the text line written for it ("%Fields: ...", a bad date) is; inside the second row
 * group, so that the rows after it in its unit and in later units are read alike (it
 * renamed the columns for the rest of its unit only, and the counts changed with the cut) */
#define HV_FIELDS_ROW 1000
#define K_HV_T0 1793491200 /* 2026-11-01T00:00:00Z, the rows' day */
static const char k_hv_fields[] =
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "
    "sc-status cs(Referer) cs(User-Agent) cs-uri-query x-edge-result-type "
    "x-edge-request-id time-taken x-edge-detailed-result-type\n";

/* Row i's values (NULL: null); buf holds the ones made here. */
static void hv_row(int i, const char *v[HV_COLS], char buf[HV_COLS][64], char *huge)
{
    static const int status[8] = {200, 200, 304, 403, 404, 200, 403, 502};
    static const char *const edge[4] = {"IAD89-C1", "FRA56-P2", "NRT20-C3", "LHR\t1"};
    const int st = status[i % 8];
    v[0] = "2026-11-01";
    snprintf(buf[1], 64, "%02d:%02d:%02d", i / 3600 % 24, i / 60 % 60, i % 60);
    v[1] = buf[1];
    v[2] = edge[i % 89 == 3 ? 3 : i % 3]; /* a dictionary entry holding a TAB */
    snprintf(buf[3], 64, "%d", i * 7);
    v[3] = buf[3];
    snprintf(buf[4], 64, "192.0.2.%d", i % 250);
    v[4] = buf[4];
    v[5] = "GET";
    v[6] = "d111111abcdef8.cloudfront.net";
    snprintf(buf[7], 64, i % 101 == 7 ? "/a\nb/%d" : "/p/%d", i % 50);
    v[7] = buf[7];
    snprintf(buf[8], 64, "%d", st);
    v[8] = buf[8];
    v[9] = i % 5 == 0 ? "" : i % 5 == 1 ? NULL : "https://example.com/";
    v[10] = i % 97 == 5 ? "Mozilla\t5.0" : "Mozilla/5.0";
    v[11] = i % 4 == 0 ? NULL : "a=1";
    v[12] = st == 403 || st >= 404 ? "Error"
            : st == 304            ? "Hit"
                                   : (const char *[]){"Hit", "Miss", "RefreshHit"}[i % 3];
    snprintf(buf[13], 64, "rid%05d", i);
    v[13] = buf[13];
    v[14] = i % 83 == 2 ? "0.5\r" : i % 2 ? "0.012" : "1.500";
    v[15] = st == 403 ? (i % 3 ? "Error" : "-") : NULL;
    /* rows the reader must hand over as text */
    if (i == 31 || i == 1331 || i == 2631) {
        v[8] = "2x0"; /* rejected, and binary: a control byte in another value */
        v[11] = "a=\x01";
    }
    if (i == 41 || i == 2041) v[0] = "2026-13-45";                 /* bad_value */
    if (i == 13) v[0] = "#a note";                                 /* bad_value, no directive */
    if (i == 17) v[0] = "{\"date\":1";                             /* a JSON line: bad_json */
    if (i == 19) v[11] = huge;                                     /* line_too_long */
    if (i == HV_FIELDS_ROW) v[0] = "#Fields: date time sc-status"; /* bad_value (README) */
}

/* v as a log's text: "-" for nothing, TAB, LF and CR percent-encoded. */
static void hv_text(FILE *f, const char *v)
{
    if (!v || !*v) {
        fputc('-', f);
        return;
    }
    for (; *v; v++) {
        if (*v == '\t') fputs("%09", f);
        else if (*v == '\n') fputs("%0A", f);
        else if (*v == '\r') fputs("%0D", f);
        else fputc(*v, f);
    }
}

Test(parquet_input, values_text_cannot_hold_give_the_report_of_their_text)
{
    size_t hn = ((size_t)1 << 20) + 100;
    char *huge = malloc(hn + 1);
    cr_assert(huge);
    memset(huge, 'a', hn);
    huge[hn] = 0;
    cfs_pq_column cols[HV_COLS];
    for (size_t c = 0; c < HV_COLS; c++)
        cols[c] = (cfs_pq_column){k_hv_cols[c], CFS_PQ_STRING, 1, c == 2 || c == 12};
    char pq[1024], tsv[1024], tsv_read[1024], err[512];
    snprintf(pq, sizeof pq, "%s/h.parquet", g_dir);
    snprintf(tsv, sizeof tsv, "%s/h.log", g_dir);
    snprintf(tsv_read, sizeof tsv_read, "%s/hs.log", g_dir);
    /* which columns a scan decodes: by the names of the #Fields: line */
    int decoded[HV_COLS];
    size_t nd = 0;
    for (const char *p = k_hv_fields + 9; *p != '\n';) {
        const char *q = p;
        while (*q != ' ' && *q != '\n') q++;
        cfs_field fld = cfs_field_lookup(p, (size_t)(q - p));
        cr_assert(fld != CFS_F_UNKNOWN && nd < HV_COLS, "%.*s", (int)(q - p), p);
        decoded[nd++] = (int)(cfs_pres_analysed(0) >> fld & 1);
        p = *q == ' ' ? q + 1 : q;
    }
    cr_assert_eq(nd, HV_COLS);
    cr_assert(!decoded[9] && !decoded[10] && !decoded[13] && decoded[11] && decoded[7]);
    cfs_pq_options opt = {.row_group_rows = 700};
    cfs_pq_writer *w = NULL;
    cr_assert_eq(cfs_pq_open_opts(&w, pq, cols, HV_COLS, &opt, err, sizeof err), CFS_OK, "%s", err);
    FILE *f = fopen(tsv, "w"), *fs = fopen(tsv_read, "w");
    cr_assert(f && fs);
    fputs("#Version: 1.0\n", f);
    fputs(k_hv_fields, f);
    fputs("#Version: 1.0\n", fs);
    fputs(k_hv_fields, fs);
    for (int i = 0; i < HV_ROWS; i++) {
        const char *v[HV_COLS];
        char buf[HV_COLS][64];
        hv_row(i, v, buf, huge);
        for (size_t c = 0; c < HV_COLS; c++) {
            if (v[c]) cfs_pq_str(w, c, v[c], strlen(v[c]));
            else cfs_pq_null(w, c);
            if (c) fputc('\t', f), fputc('\t', fs);
            /* a '#' row as a text line of its length that is bad_value too: a bad date */
            char pct[64];
            const char *t = v[c];
            if (c == 0 && t && t[0] == '#') {
                snprintf(pct, sizeof pct, "%%%s", t + 1);
                t = pct;
            }
            hv_text(f, t);
            hv_text(fs, decoded[c] ? t : NULL);
        }
        cfs_pq_end_row(w);
        fputc('\n', f);
        fputc('\n', fs);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(fclose(fs), 0);
    free(huge);

    /* exit 3: lines were rejected */
    char *ref = tu_scan_json(g_dir, 3, "scan hs.log -j1");
    char *whole = tu_scan_json(g_dir, 3, "scan h.log -j1");
    cr_assert_str_eq(totals(whole), totals(ref), "a column the scan does not decode changed its report");
    free(whole);
    /* counted here: the two header lines; three binary rows, two bad dates, row 13's note
     * and the "#Fields:" row, one JSON line, one long line */
    cr_assert_eq(jnum(ref, "lines"), HV_ROWS + 2);
    cr_assert_eq(jnum(ref, "header_lines"), 2);
    cr_assert_eq(jnum(ref, "binary"), 3);
    cr_assert_eq(jnum(ref, "bad_value"), 4);
    cr_assert_eq(jnum(ref, "bad_json"), 1);
    cr_assert_eq(jnum(ref, "line_too_long"), 1);
    cr_assert_eq(jnum(ref, "too_many_fields"), 0);
    cr_assert_eq(jnum(ref, "requests"), HV_ROWS - 9);
    /* --delimiter is for text logs: the rows are TAB-separated (it split them on '|') */
    const char *runs[3] = {"-j1", "-j2 --split-above 1", "-j1 --delimiter '|'"};
    for (int k = 0; k < 3; k++) {
        char *got = tu_scan_json(g_dir, 3, "scan h.parquet %s", runs[k]);
        cr_assert_eq(jnum(got, "lines"), jnum(ref, "lines"), "%s: %s", runs[k], got);
        cr_assert_eq(jnum(got, "bytes_decoded"), jnum(ref, "bytes_decoded"), "%s", runs[k]);
        cr_assert_str_eq(totals(got), totals(ref), "%s: the Parquet report differs from its text's", runs[k]);
        free(got);
    }
    free(ref);
    /* WAF logs: row 11, a 403, was blocked by rule "rate" */
    char wdir[1024], wrec[1024];
    snprintf(wdir, sizeof wdir, "%s/waf", g_dir);
    cr_assert_eq(mkdir(wdir, 0700), 0);
    snprintf(wrec, sizeof wrec,
             "{\"timestamp\":%lld000,\"formatVersion\":1,\"webaclId\":\"w\",\"terminatingRuleId\":\"rate\","
             "\"terminatingRuleType\":\"RATE_BASED\",\"action\":\"BLOCK\",\"httpSourceName\":\"CF\","
             "\"httpRequest\":{\"clientIp\":\"192.0.2.11\",\"uri\":\"/p/11\",\"requestId\":\"rid00011\"}}\n",
             (long long)K_HV_T0 + 11);
    free(tu_write(wdir, "waf.log", wrec, strlen(wrec)));
    ref = tu_scan_json(g_dir, 3, "scan h.log -j1 --waf-logs waf");
    cr_assert(strstr(ref, "waf_log_block"), "%s", ref);
    for (int k = 0; k < 2; k++) {
        char *got = tu_scan_json(g_dir, 3, "scan h.parquet %s --waf-logs waf", runs[k]);
        cr_assert_str_eq(totals(got), totals(ref), "%s: with WAF logs, the Parquet report differs", runs[k]);
        free(got);
    }
    free(ref);
    /* every field of every kept row, 403 or not (CFS_PARSE_ALL) */
    char fields[512];
    size_t n = 0;
    for (const char *p = k_hv_fields + 9; *p != '\n'; p++) fields[n++] = *p == ' ' ? ',' : *p;
    fields[n] = 0;
    static const char *const status[2] = {"200", "403"};
    for (int k = 0; k < 2; k++) {
        char *a = NULL, *b = NULL, *e = NULL;
        cr_assert_eq(tu_sh(&a, &e, "cd %s && %s requests h.log --status %s --fields '%s' --format tsv -j1",
                           g_dir, tu_prog("cfscan"), status[k], fields),
                     3, "%s", e);
        free(e);
        e = NULL;
        cr_assert_eq(tu_sh(&b, &e,
                           "cd %s && %s requests h.parquet --status %s --fields '%s' --format tsv -j2 "
                           "--split-above 1",
                           g_dir, tu_prog("cfscan"), status[k], fields),
                     3, "%s", e);
        free(e);
        size_t nl = 0;
        for (const char *p = a; *p; p++) nl += *p == '\n';
        cr_assert_gt(nl, 700, "%s", a);
        /* the TAB of row 5's user agent (a 200), the LF of row 310's URI (a 403) */
        cr_assert(strstr(a, k ? "/a%0Ab" : "Mozilla%095.0"), "%.400s", a);
        cr_assert_str_eq(b, a, "requests prints other rows from the Parquet file than from its text");
        free(a);
        free(b);
    }
}

/* A file whose columns name one field twice (sc_status and sc-status): which holds it?  As
 * a text log whose #Fields: line names it twice, every row is rejected as bad_header with
 * the header's warning (the first column used to win without a word). */
Test(parquet_input, a_field_named_twice_is_a_bad_header_as_in_text)
{
    static const char *const names[] = {"date", "time", "sc_status", "x_edge_location", "sc-status"};
    cfs_pq_column cols[5];
    for (size_t c = 0; c < 5; c++) cols[c] = (cfs_pq_column){names[c], CFS_PQ_STRING, 0, 0};
    char pq[1024], err[512];
    snprintf(pq, sizeof pq, "%s/dup.parquet", g_dir);
    cfs_pq_writer *w = NULL;
    cr_assert_eq(cfs_pq_open_opts(&w, pq, cols, 5, &(cfs_pq_options){0}, err, sizeof err), CFS_OK, "%s", err);
    for (int i = 0; i < 3; i++) {
        const char *v[5] = {"2026-11-01", "10:00:00", "200", "IAD89-C1", "403"};
        for (size_t c = 0; c < 5; c++) cfs_pq_str(w, c, v[c], strlen(v[c]));
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
    char *got = tu_scan_json(g_dir, 3, "scan dup.parquet -j1");
    cr_assert_eq(jnum(got, "requests"), 0, "%s", got);
    cr_assert_eq(jnum(got, "bad_header"), 4, "the #Fields: line and the 3 rows: %s", got);
    cr_assert(strstr(got, "a field named twice"), "%s", got);
    free(got);
}

/* A file none of whose columns is a field cfscan knows: its #Fields: line is an unusable
 * header, and each row is bad_header as a text log's lines under it are.  The text of
 * such a row held no column and was its LF alone, so every row counted as a blank line:
 * read, and left out without a warning. */
Test(parquet_input, rows_of_no_known_column_are_bad_header_not_blank)
{
    static const char *const names[] = {"foo", "bar"};
    cfs_pq_column cols[2];
    for (size_t c = 0; c < 2; c++) cols[c] = (cfs_pq_column){names[c], CFS_PQ_STRING, 0, 0};
    char pq[1024], err[512];
    snprintf(pq, sizeof pq, "%s/unknown.parquet", g_dir);
    cfs_pq_writer *w = NULL;
    cr_assert_eq(cfs_pq_open_opts(&w, pq, cols, 2, &(cfs_pq_options){0}, err, sizeof err), CFS_OK, "%s", err);
    for (int i = 0; i < 10; i++) {
        cfs_pq_str(w, 0, "x", 1);
        cfs_pq_str(w, 1, "y", 1);
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
    for (int j = 1; j <= 2; j++) {
        char *got = tu_scan_json(g_dir, 3, "scan unknown.parquet -j%d --split-above 1", j);
        cr_assert_eq(jnum(got, "requests"), 0, "%s", got);
        cr_assert_eq(jnum(got, "blank_lines"), 0, "%s", got);
        cr_assert_eq(jnum(got, "bad_header"), 11, "the #Fields: line and the 10 rows: %s", got);
        free(got);
    }
}

/* FLOAT columns (a file another tool rewrote) print as the float's shortest text, "0.077",
 * not the double it widens to (0.076999999582767487, whose milliseconds are 76: a latency
 * under a threshold it is not under), and a whole one whole; DOUBLE columns as the
 * double's. */
Test(parquet_input, float_columns_print_as_the_float_was_written)
{
    need_duckdb();
    duckdb_sql(
        "COPY (SELECT '2026-11-01' AS date, "
        "'10:00:00' AS time, 'IAD89-C1' AS x_edge_location, '403' AS sc_status, 'Error' AS "
        "x_edge_result_type, CAST(0.077 AS FLOAT) AS time_taken, CAST(0.02 AS FLOAT) AS "
        "time_to_first_byte, CAST(0.3 AS DOUBLE) AS origin_fbl, CAST(1500000 AS FLOAT) AS sc_bytes) TO "
        "'f.parquet' (FORMAT parquet)");
    char *out = NULL;
    cr_assert_eq(
        tu_sh(&out, NULL,
              "cd %s && %s requests f.parquet --fields time-taken,time-to-first-byte,origin-fbl,sc-bytes "
              "--format tsv -q",
              g_dir, tu_prog("cfscan")),
        0);
    /* and a whole number whole (a few digits would give "1.5e+06", no byte count) */
    cr_assert(strstr(out, "\n0.077\t0.02\t0.3\t1500000\t"), "%s", out);
    free(out);
}

/* Columns another tool typed (README "v2 Parquet logs"): their annotation says what the
 * stored number stands for, and the text is that value, never the stored integer.  Every
 * expected text is worked out by hand: DECIMAL 775 at scale 3 is 0.775; 2026-11-01T10:00Z
 * is 1793527200 (1793491200, the day's start, + 36000); a TIMESTAMP in microseconds (DuckDB's
 * TIMESTAMP) is that in milliseconds for timestamp(ms); a status stored as the number 0 is
 * "000".  A type cfscan cannot write as its value (a UUID) refuses the file, naming it. */
Test(parquet_input, typed_columns_print_the_values_they_stand_for)
{
    need_duckdb();
    duckdb_sql("COPY (SELECT * FROM (VALUES "
               "(DATE '2026-11-01', TIME '10:00:00', TIMESTAMP '2026-11-01 10:00:00.541', "
               "TIMESTAMP_NS '2026-11-01 10:00:00.541', 'IAD89-C1', CAST(0 AS BIGINT), 'Error', "
               "CAST(0.775 AS DECIMAL(9,3)), CAST(0.002 AS DECIMAL(38,3)), CAST(-0.05 AS DECIMAL(4,2)), "
               "CAST(4294967295 AS UINTEGER), CAST(919 AS DECIMAL(18,0))), "
               "(DATE '2026-11-01', TIME '10:00:01', TIMESTAMP '2026-11-01 10:00:01', "
               "TIMESTAMP_NS '2026-11-01 10:00:01', 'IAD89-C1', CAST(403 AS BIGINT), 'Error', "
               "CAST(12.5 AS DECIMAL(9,3)), CAST(1 AS DECIMAL(38,3)), CAST(3 AS DECIMAL(4,2)), "
               "CAST(443 AS UINTEGER), CAST(0 AS DECIMAL(18,0)))) "
               "AS t(date, time, timestamp_ms, timestamp, x_edge_location, sc_status, x_edge_result_type, "
               "time_taken, time_to_first_byte, origin_fbl, c_port, sc_content_len)) "
               "TO 'typed.parquet' (FORMAT parquet)");
    char *out = NULL;
    cr_assert_eq(
        tu_sh(&out, NULL,
              "cd %s && %s requests typed.parquet --fields 'date,time,timestamp(ms),timestamp,sc-status,"
              "time-taken,time-to-first-byte,origin-fbl,c-port,sc-content-len' --format tsv -q",
              g_dir, tu_prog("cfscan")),
        0, "%s", out ? out : "");
    cr_assert(strstr(out, "\n2026-11-01\t10:00:00\t1793527200541\t1793527200.541000000\t000\t0.775\t0.002\t"
                          "-0.05\t4294967295\t919\t"),
              "%s", out);
    cr_assert(strstr(out, "\n2026-11-01\t10:00:01\t1793527201000\t1793527201.000000000\t403\t12.500\t1.000\t"
                          "3.00\t443\t0\t"),
              "%s", out);
    free(out);

    /* a status of 0 is "000" whatever the number's type: unsigned, DECIMAL(3,0), DOUBLE */
    duckdb_sql(
        "COPY (SELECT DATE '2026-11-01' AS date, '10:00:00' AS time, 'IAD89-C1' AS x_edge_location, "
        "'Error' AS x_edge_result_type, CAST(0 AS USMALLINT) AS sc_status) TO 'u.parquet' (FORMAT parquet)");
    duckdb_sql(
        "COPY (SELECT DATE '2026-11-01' AS date, '10:00:00' AS time, 'IAD89-C1' AS x_edge_location, "
        "'Error' AS x_edge_result_type, CAST(0 AS DECIMAL(3,0)) AS sc_status) TO 'd.parquet' (FORMAT parquet)");
    duckdb_sql(
        "COPY (SELECT DATE '2026-11-01' AS date, '10:00:00' AS time, 'IAD89-C1' AS x_edge_location, "
        "'Error' AS x_edge_result_type, CAST(0 AS DOUBLE) AS sc_status) TO 'f.parquet' (FORMAT parquet)");
    for (int k = 0; k < 3; k++) {
        const char *f = k == 0 ? "u.parquet" : k == 1 ? "d.parquet" : "f.parquet";
        cr_assert_eq(tu_sh(&out, NULL, "cd %s && %s requests %s --fields sc-status --format tsv -q", g_dir,
                           tu_prog("cfscan"), f),
                     0, "%s: %s", f, out ? out : "");
        cr_assert(strstr(out, "\n000\t"), "%s: %s", f, out);
        free(out);
        out = NULL;
    }

    /* a UUID (16 bytes that are no number) in a column cfscan reads */
    duckdb_sql("COPY (SELECT DATE '2026-11-01' AS date, "
               "'10:00:00' AS time, 'IAD89-C1' AS x_edge_location, '403' AS sc_status, "
               "'5a3d0e8e-6b8e-4c1e-9a9e-1f2b3c4d5e6f'::UUID AS x_edge_request_id) TO 'uuid.parquet' "
               "(FORMAT parquet)");
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s scan uuid.parquet -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "uuid.parquet") &&
                  strstr(err, "x_edge_request_id is FIXED_LEN_BYTE_ARRAY(16) UUID"),
              "%s", err);
    free(err);
}

/* Two distributions in two row groups, their ids dictionary-encoded: the second group's id
 * sits at the address the first group's had (the dictionary's buffer is reused), and must
 * still be noted as a distribution of its own, with the fields its rows lack (a scan once
 * took the same address for the same id).  The report equals that of the same rows as TSV,
 * and lists fields absent for both. */
Test(parquet_input, distributions_of_successive_row_groups_are_each_noted)
{
    static const char *const names[] = {
        "date", "time", "sc_status", "distributionid", "x_edge_location", "x_edge_result_type"};
    cfs_pq_column cols[6];
    for (size_t c = 0; c < 6; c++) cols[c] = (cfs_pq_column){names[c], CFS_PQ_STRING, 0, c >= 3};
    char pq[1024], err[512];
    snprintf(pq, sizeof pq, "%s/two.parquet", g_dir);
    cfs_pq_options opt = {.row_group_rows = 100};
    cfs_pq_writer *w = NULL;
    cr_assert_eq(cfs_pq_open_opts(&w, pq, cols, 6, &opt, err, sizeof err), CFS_OK, "%s", err);
    char tsv[1024];
    snprintf(tsv, sizeof tsv, "%s/two.log", g_dir);
    FILE *f = fopen(tsv, "w");
    cr_assert(f);
    fputs("#Version: 1.0\n#Fields: date time sc-status distributionid x-edge-location x-edge-result-type\n",
          f);
    for (int i = 0; i < 200; i++) {
        char t[16];
        snprintf(t, sizeof t, "10:%02d:%02d", i / 60, i % 60);
        const char *v[6] = {"2026-11-01",
                            t,
                            i % 2 ? "403" : "200",
                            i < 100 ? "E1AAAAAAAAAAAA" : "E2BBBBBBBBBBBB",
                            "IAD89-C1",
                            i % 2 ? "Error" : "Hit"};
        for (size_t c = 0; c < 6; c++) {
            cfs_pq_str(w, c, v[c], strlen(v[c]));
            fprintf(f, "%s%c", v[c], c == 5 ? '\n' : '\t');
        }
        cfs_pq_end_row(w);
    }
    cr_assert_eq(cfs_pq_close(w, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_eq(fclose(f), 0);
    char *ref = tu_scan_json(g_dir, 0, "scan two.log -j1");
    const char *runs[2] = {"-j1", "-j2 --split-above 1"};
    for (int k = 0; k < 2; k++) {
        char *got = tu_scan_json(g_dir, 0, "scan two.parquet %s", runs[k]);
        cr_assert_str_eq(totals(got), totals(ref), "%s: the Parquet report differs from its text's", runs[k]);
        free(got);
    }
    size_t lists = 0;
    for (const char *p = ref; (p = strstr(p, "\"fields_absent\":[{")) != NULL; p++) lists++;
    cr_assert_geq(lists, 2, "both distributions lack fields: %s", ref);
    free(ref);
}

/* ---- malformed files, built here ------------------------------------------------------
 * Three REQUIRED string columns (date, time, sc_status), one row group; each chunk is a
 * PLAIN dictionary page of one entry and an RLE_DICTIONARY data page of one run. */
enum { K_VALID, K_TRUNC, K_FOOTLEN, K_OFFSET, K_HUGE, K_BADINDEX, K_BADPACKED, K_CORRUPT };

typedef struct bb {
    uint8_t p[8192];
    size_t n;
} bb;

static void put(bb *b, const void *s, size_t n)
{
    cr_assert(b->n + n <= sizeof b->p);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void page_header(bb *b, int dict, uint32_t nvalues, size_t usize, size_t csize)
{
    cfs_tc t;
    cfs_tc_init(&t);
    cfs_tc_struct_begin(&t);
    cfs_tc_field_i32(&t, 1, dict ? 2 : 0);
    cfs_tc_field_i32(&t, 2, (int32_t)usize);
    cfs_tc_field_i32(&t, 3, (int32_t)csize);
    cfs_tc_field_struct(&t, dict ? 7 : 5);
    cfs_tc_field_i32(&t, 1, (int32_t)nvalues);
    cfs_tc_field_i32(&t, 2, dict ? 0 : 8);
    if (!dict) {
        cfs_tc_field_i32(&t, 3, 3);
        cfs_tc_field_i32(&t, 4, 3);
    }
    cfs_tc_struct_end(&t);
    cfs_tc_struct_end(&t);
    cr_assert(!t.failed);
    put(b, t.p, t.n);
    cfs_tc_free(&t);
}

static void build(bb *b, int kind, uint32_t rows)
{
    static const char *names[3] = {"date", "time", "sc_status"};
    static const char *vals[3] = {"2026-11-01", "10:00:00", "403"};
    b->n = 0;
    put(b, "PAR1", 4);
    uint64_t start[3], data_off[3], len[3];
    for (int c = 0; c < 3; c++) {
        start[c] = b->n;
        uint8_t d[32];
        uint32_t vl = (uint32_t)strlen(vals[c]);
        d[0] = (uint8_t)vl;
        d[1] = d[2] = d[3] = 0;
        memcpy(d + 4, vals[c], vl);
        page_header(b, 1, 1, 4 + vl, 4 + vl);
        put(b, d, 4 + vl);
        data_off[c] = b->n;
        /* bit width 1, one RLE run of `rows` copies of index 0 (1 with K_BADINDEX); with
         * K_BADPACKED, sc_status's are bit width 2, bit-packed, all 0 but the third
         * last, 2 */
        uint8_t body[512];
        size_t k = 0;
        if (kind == K_BADPACKED && c == 2) {
            cr_assert(rows % 8 == 0 && rows / 4 + 8 <= sizeof body);
            body[k++] = 2;
            k += cfs_tc_put_uvarint(body + k, (uint64_t)rows / 8 << 1 | 1);
            memset(body + k, 0, rows / 4);
            const uint32_t v = rows - 3; /* value v's two bits: bits 2v, 2v + 1 */
            body[k + v / 4] |= (uint8_t)(2u << (2 * (v % 4)));
            k += rows / 4;
        } else {
            body[k++] = 1;
            k += cfs_tc_put_uvarint(body + k, (uint64_t)rows << 1);
            body[k++] = kind == K_BADINDEX && c == 2 ? 1 : 0;
        }
        if (kind == K_CORRUPT && c == 1) {
            /* claims ZSTD (in the footer): these bytes are no zstd frame */
            static const uint8_t junk[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x99, 0x01, 0x02};
            page_header(b, 0, rows, k, sizeof junk);
            put(b, junk, sizeof junk);
        } else {
            page_header(b, 0, rows, k, k);
            put(b, body, k);
        }
        len[c] = b->n - start[c];
    }
    int64_t nrows = kind == K_HUGE ? (int64_t)1 << 60 : (int64_t)rows;
    cfs_tc t;
    cfs_tc_init(&t);
    cfs_tc_struct_begin(&t);
    cfs_tc_field_i32(&t, 1, 1);
    cfs_tc_field_list(&t, 2, CFS_TC_STRUCT, 4);
    cfs_tc_struct_begin(&t);
    cfs_tc_field_binary(&t, 4, "schema", 6);
    cfs_tc_field_i32(&t, 5, 3);
    cfs_tc_struct_end(&t);
    for (int c = 0; c < 3; c++) {
        cfs_tc_struct_begin(&t);
        cfs_tc_field_i32(&t, 1, 6);
        cfs_tc_field_i32(&t, 3, 0);
        cfs_tc_field_binary(&t, 4, names[c], strlen(names[c]));
        cfs_tc_struct_end(&t);
    }
    cfs_tc_field_i64(&t, 3, nrows);
    cfs_tc_field_list(&t, 4, CFS_TC_STRUCT, 1);
    cfs_tc_struct_begin(&t);
    cfs_tc_field_list(&t, 1, CFS_TC_STRUCT, 3);
    for (int c = 0; c < 3; c++) {
        cfs_tc_struct_begin(&t);
        cfs_tc_field_i64(&t, 2, (int64_t)start[c]);
        cfs_tc_field_struct(&t, 3);
        cfs_tc_field_i32(&t, 1, 6);
        cfs_tc_field_list(&t, 2, CFS_TC_I32, 2);
        cfs_tc_i32(&t, 0);
        cfs_tc_i32(&t, 8);
        cfs_tc_field_list(&t, 3, CFS_TC_BINARY, 1);
        cfs_tc_binary(&t, names[c], strlen(names[c]));
        cfs_tc_field_i32(&t, 4, kind == K_CORRUPT && c == 1 ? 6 : 0);
        cfs_tc_field_i64(&t, 5, nrows);
        cfs_tc_field_i64(&t, 6, (int64_t)len[c]);
        cfs_tc_field_i64(&t, 7, (int64_t)len[c]);
        cfs_tc_field_i64(&t, 9, kind == K_OFFSET && c == 1 ? (int64_t)1 << 40 : (int64_t)data_off[c]);
        cfs_tc_field_i64(&t, 11, (int64_t)start[c]);
        cfs_tc_struct_end(&t);
        cfs_tc_struct_end(&t);
    }
    cfs_tc_field_i64(&t, 2, 100);
    cfs_tc_field_i64(&t, 3, nrows);
    cfs_tc_struct_end(&t);
    cfs_tc_struct_end(&t);
    cr_assert(!t.failed);
    put(b, t.p, t.n);
    uint8_t tail[8] = {(uint8_t)t.n, (uint8_t)(t.n >> 8), 0, 0, 'P', 'A', 'R', '1'};
    if (kind == K_FOOTLEN) tail[2] = tail[3] = 0x7f;
    put(b, tail, 8);
    cfs_tc_free(&t);
    if (kind == K_TRUNC) b->n -= 20; /* the file cut inside its footer */
}

static void scan_built(int kind, int want_rc, const char *want_msg, long long want_requests)
{
    bb b;
    build(&b, kind, 1000);
    char *path = tu_write(g_dir, "x.parquet", b.p, b.n);
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "cd %s && %s scan x.parquet --format json -q -j2", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, want_rc, "kind %d: exit %d: %s", kind, rc, err);
    if (want_msg) {
        /* one line on stderr names the file and the problem */
        cr_assert(strstr(err, "x.parquet") && strstr(err, want_msg), "kind %d: %s", kind, err);
        cr_assert(strstr(out, want_msg), "kind %d: the JSON errors list it: %s", kind, out);
    }
    if (want_requests >= 0) cr_assert_eq(jnum(out, "requests"), want_requests, "kind %d: %s", kind, out);
    free(out);
    free(err);
    free(path);
}

Test(parquet_input, built_file_is_read)
{
    /* 1000 rows of 2026-11-01 10:00:00, status 403: all counted, nothing rejected */
    scan_built(K_VALID, 0, NULL, 1000);
}

Test(parquet_input, truncated_footer)
{
    scan_built(K_TRUNC, 4, "truncated", 0);
    /* the status is a cut file's, as for gzip and zstd (review of 2026-12-08: it was
     * corrupt data under a message that said truncated) */
    char *out = NULL;
    cr_assert_eq(tu_sh(&out, NULL, "cd %s && %s scan x.parquet --format json -q", g_dir, tu_prog("cfscan")),
                 4);
    cr_assert(strstr(out, "\"status\":\"truncated data\""), "%s", out);
    free(out);
}
Test(parquet_input, lying_footer_length) { scan_built(K_FOOTLEN, 4, "footer length", 0); }
Test(parquet_input, lying_offset) { scan_built(K_OFFSET, 4, "outside the file", 0); }
/* 2^60 rows claimed, 1000 present: the 1000 are counted, then the error; no allocation
 * follows the claim */
Test(parquet_input, huge_counts) { scan_built(K_HUGE, 4, "values still to come", 1000); }
Test(parquet_input, bad_dictionary_index) { scan_built(K_BADINDEX, 4, "dictionary index 1", 0); }
/* one index out of range among bit-packed ones: named, and the batch that holds it fails */
Test(parquet_input, bad_packed_dictionary_index)
{
    scan_built(K_BADPACKED, 4, "dictionary index 2, the dictionary holds 1 entries", 0);
}
Test(parquet_input, corrupt_compressed_page) { scan_built(K_CORRUPT, 4, "corrupt ZSTD page", 0); }

/* A Parquet file read from a pipe (standard input) is copied to a temporary file first,
 * its footer coming last (decode.c, spool_parquet): the report is the file's (it was
 * refused, "not a regular file"). */
Test(parquet_input, pipe_is_read_as_the_file)
{
    bb b;
    build(&b, K_VALID, 10);
    char *path = tu_write(g_dir, "x.parquet", b.p, b.n);
    char *file = tu_scan_json(g_dir, 0, "scan x.parquet");
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "cd %s && cat x.parquet | %s scan - -q --format json", g_dir,
                   tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_gt(jnum(file, "requests"), 0, "%s", file);
    cr_assert_str_eq(totals(out), totals(file), "the pipe's report is the file's");
    free(out);
    free(err);
    free(file);
    free(path);
}
