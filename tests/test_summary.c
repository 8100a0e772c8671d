/* Summary directories checked by real readers and by merging: DuckDB and hyparquet read
 * every table and their totals equal the scan's JSON; a split archive scanned in three
 * parts and merged gives the report of one scan over the whole; a SIGKILL mid-run leaves
 * the previous summary intact; damaged state files are refused by name. */
#include <criterion/criterion.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/json.h"
#include "tests/util.h"

static char *g_dir;   /* generated logs */
static char *g_files; /* all log files, space separated */
static char *g_part[3];

static void gen(void)
{
    g_dir = tu_mkdtemp();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -o %s/gen --seed 21 --dists 3 --days 1 --lines-per-file 500 -j2",
             tu_prog("cfsgen"), g_dir);
    char *err;
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    char pat[1024];
    snprintf(pat, sizeof pat, "%s/gen/*.gz", g_dir);
    glob_t gl;
    cr_assert_eq(glob(pat, 0, NULL, &gl), 0);
    size_t cap = 64;
    for (size_t i = 0; i < gl.gl_pathc; i++) cap += strlen(gl.gl_pathv[i]) + 1;
    g_files = calloc(1, cap);
    for (int k = 0; k < 3; k++) g_part[k] = calloc(1, cap);
    for (size_t i = 0; i < gl.gl_pathc; i++) {
        strcat(g_files, gl.gl_pathv[i]);
        strcat(g_files, " ");
        strcat(g_part[i % 3], gl.gl_pathv[i]);
        strcat(g_part[i % 3], " ");
    }
    globfree(&gl);
}

static void cleanup(void) { tu_rmrf(g_dir); }

TestSuite(summary, .init = gen, .fini = cleanup, .timeout = 300);

static char *js(void)
{
    static char p[1024];
    snprintf(p, sizeof p, "node %s/tests/js/summary_sql.mjs", CFS_SOURCE_DIR);
    char nm[1024];
    snprintf(nm, sizeof nm, "%s/tests/js/node_modules/@duckdb/node-api", CFS_SOURCE_DIR);
    struct stat st;
    cr_assert(stat(nm, &st) == 0,
              "DuckDB reader missing: run `npm ci --prefix tests/js` (tools/test.sh does)");
    return p;
}

static double jnum(const cfs_json *root, const char *path)
{
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_path(root, path), &v), "no number at %s", path);
    return v;
}

/* DuckDB queries whose results are single integers, batched into one Node process
 * (starting DuckDB costs far more than the queries). */
#define MAXQ 64
static char *g_sql[MAXQ];
static long long g_want[MAXQ];
static char g_what[MAXQ][96];
static int g_nq;

static void expect_sql(long long want, const char *what, const char *sql)
{
    cr_assert(g_nq < MAXQ);
    g_sql[g_nq] = strdup(sql);
    g_want[g_nq] = want;
    snprintf(g_what[g_nq], sizeof g_what[0], "%s", what);
    g_nq++;
}

static void run_expected(void)
{
    size_t cap = 256;
    for (int i = 0; i < g_nq; i++) cap += strlen(g_sql[i]) + 8;
    char *cmd = malloc(cap), *out, *err;
    snprintf(cmd, cap, "%s duckdb", js());
    for (int i = 0; i < g_nq; i++) {
        strcat(cmd, " \"");
        strcat(cmd, g_sql[i]);
        strcat(cmd, "\"");
    }
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "duckdb: %s", err);
    char *line = out;
    for (int i = 0; i < g_nq; i++) {
        long long v = -1;
        cr_assert(line && sscanf(line, "[[\"%lld\"]]", &v) == 1, "unexpected result for %s", g_sql[i]);
        cr_assert_eq(v, g_want[i], "%s: DuckDB %lld, JSON %lld (%s)", g_what[i], v, g_want[i], g_sql[i]);
        line = strchr(line, '\n');
        if (line) line++;
    }
    free(cmd);
    g_nq = 0;
}

Test(summary, duckdb_and_hyparquet_agree_with_the_json)
{
    char cmd[8192], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/s --format json -q", tu_prog("cfscan"), g_files, g_dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "scan: %s", err);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    const cfs_json *root = cfs_json_root(&doc);
    char sql[1024];
    snprintf(sql, sizeof sql, "select sum(requests)::BIGINT from '%s/s/traffic.parquet'", g_dir);
    expect_sql((long long)jnum(root, "inputs.requests"), "requests", sql);
    snprintf(sql, sizeof sql, "select sum(requests)::BIGINT from '%s/s/traffic.parquet' where status = 403",
             g_dir);
    expect_sql((long long)jnum(root, "by_status.403"), "403s", sql);
    snprintf(sql, sizeof sql, "select sum(lines)::BIGINT from '%s/s/inputs.parquet'", g_dir);
    expect_sql((long long)jnum(root, "inputs.lines"), "lines", sql);
    snprintf(sql, sizeof sql, "select count(*)::BIGINT from '%s/s/inputs.parquet'", g_dir);
    expect_sql((long long)jnum(root, "inputs.files"), "files", sql);
    /* per distribution, from the JSON map */
    const cfs_json *bd = cfs_json_get(root, "by_distribution");
    for (const cfs_json *m = cfs_json_first(bd); m; m = cfs_json_next(m)) {
        double v;
        cfs_json_num(m, &v);
        snprintf(sql, sizeof sql,
                 "select sum(requests)::BIGINT from '%s/s/traffic.parquet' where distribution = '%s'", g_dir,
                 m->key);
        expect_sql((long long)v, m->key, sql);
    }
    /* per cause of the first distribution in the JSON */
    const cfs_json *d0 = cfs_json_at(cfs_json_path(root, "forbidden.distributions"), 0);
    const char *dist = cfs_json_str(cfs_json_get(d0, "distribution"));
    for (const cfs_json *c = cfs_json_first(cfs_json_get(d0, "causes")); c; c = cfs_json_next(c)) {
        const char *cause = cfs_json_str(cfs_json_get(c, "cause"));
        double v;
        cfs_json_num(cfs_json_get(c, "requests"), &v);
        snprintf(
            sql, sizeof sql,
            "select sum(requests)::BIGINT from '%s/s/traffic.parquet' where distribution = '%s' and cause = '%s'",
            g_dir, dist, cause);
        expect_sql((long long)v, cause, sql);
        snprintf(
            sql, sizeof sql,
            "select sum(requests)::BIGINT from '%s/s/latency.parquet' where distribution = '%s' and cause = '%s' and metric = 'time_taken'",
            g_dir, dist, cause);
        expect_sql((long long)v, "latency histogram mass", sql);
    }
    /* column types as the README documents them */
    char *types;
    snprintf(
        cmd, sizeof cmd,
        "%s duckdb \"select string_agg(column_name || ':' || column_type, ',') from (describe select * from '%s/s/traffic.parquet')\"",
        js(), g_dir);
    cr_assert_eq(tu_run(cmd, &types, NULL), 0);
    cr_assert(
        strstr(
            types,
            "hour:TIMESTAMP WITH TIME ZONE,distribution:VARCHAR,edge:VARCHAR,status:INTEGER,cause:VARCHAR,evidence:VARCHAR,rule:VARCHAR,requests:BIGINT,bytes:BIGINT,candidates:VARCHAR"),
        "%s", types);
    /* every table opens in DuckDB */
    static const char *const tables[] = {
        "traffic", "latency", "distinct_clients", "top_uris", "top_clients", "waf_rules", "inputs"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(sql, sizeof sql, "select (count(*) >= 0)::BIGINT from '%s/s/%s.parquet'", g_dir, tables[i]);
        expect_sql(1, tables[i], sql);
    }
    run_expected();
    /* the second reader */
    snprintf(cmd, sizeof cmd, "%s hyparquet %s/s/traffic.parquet", js(), g_dir);
    char *hy;
    cr_assert_eq(tu_run(cmd, &hy, &err), 0, "hyparquet: %s", err);
    char want[128];
    snprintf(want, sizeof want, "\"requests\":\"%lld\"", (long long)jnum(root, "inputs.requests"));
    cr_assert(strstr(hy, want), "hyparquet sums %s, want %s", hy, want);
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        snprintf(cmd, sizeof cmd, "%s hyparquet %s/s/%s.parquet", js(), g_dir, tables[i]);
        cr_assert_eq(tu_run(cmd, &hy, &err), 0, "hyparquet %s: %s", tables[i], err);
    }
    cfs_json_doc_free(&doc);
}

Test(summary, split_in_three_and_merge_equals_one_scan)
{
    char cmd[8192], *err;
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/whole -q >/dev/null", tu_prog("cfscan"), g_files, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    for (int k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd, "%s scan %s -o %s/part%d -q -j%d >/dev/null", tu_prog("cfscan"), g_part[k],
                 g_dir, k, 1 + k % 2);
        cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    }
    /* merge in two different orders and groupings: associative and order-independent */
    snprintf(cmd, sizeof cmd, "%s merge %s/part0 %s/part1 %s/part2 -o %s/m1 -q >/dev/null", tu_prog("cfscan"),
             g_dir, g_dir, g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    snprintf(
        cmd, sizeof cmd,
        "%s merge %s/part2 %s/part0 -o %s/m2a -q >/dev/null && %s merge %s/part1 %s/m2a -o %s/m2 -q >/dev/null",
        tu_prog("cfscan"), g_dir, g_dir, g_dir, tu_prog("cfscan"), g_dir, g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    char p[1024];
    snprintf(p, sizeof p, "%s/whole/report.json", g_dir);
    char *whole = tu_read(p, NULL);
    snprintf(p, sizeof p, "%s/m1/report.json", g_dir);
    char *m1 = tu_read(p, NULL);
    snprintf(p, sizeof p, "%s/m2/report.json", g_dir);
    char *m2 = tu_read(p, NULL);
    cr_assert(whole && m1 && m2);
    /* Every top list stays below its Space-Saving capacity here (gen() keeps each group
     * under 256 distinct clients: at 800 lines a file the WAF groups had over 300, and the
     * match held only by luck of merge order), so even the sketches are exact and the
     * reports must match byte for byte. */
    cr_assert_str_eq(m1, whole);
    cr_assert_str_eq(m2, whole);
}

Test(summary, sigkill_leaves_the_previous_summary_intact)
{
    char cmd[8192], *err;
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/k -q >/dev/null", tu_prog("cfscan"), g_part[0], g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    char p[1024];
    snprintf(p, sizeof p, "%s/k/report.json", g_dir);
    char *before = tu_read(p, NULL);
    cr_assert(before);
    /* what a completed run over everything publishes */
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/kfull -q >/dev/null", tu_prog("cfscan"), g_files, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    char fp[1024];
    snprintf(fp, sizeof fp, "%s/kfull/report.json", g_dir);
    char *full = tu_read(fp, NULL);
    cr_assert(full);
    /* Kill full scans of everything at growing delays, so some kills land while the new
     * summary is being written. */
    int landed = 0;
    for (int i = 0; i < 10; i++) {
        snprintf(
            cmd, sizeof cmd,
            "%s scan %s -o %s/k -q -j1 >/dev/null 2>&1 & pid=$!; sleep 0.%03d; kill -9 $pid 2>/dev/null; wait $pid; echo $?",
            tu_prog("cfscan"), g_files, g_dir, 20 + i * 25);
        char *st = NULL;
        tu_run(cmd, &st, NULL);
        if (st && atoi(st) == 137) landed++;
        free(st);
        char *now = tu_read(p, NULL);
        cr_assert(now, "report.json missing after kill %d", i);
        /* never half-written: the old summary, or the complete new one if the run finished
         * (or was killed after the final rename) */
        cr_assert(!strcmp(now, before) || !strcmp(now, full), "summary damaged by a killed run (kill %d)", i);
        free(now);
        /* and the state still merges */
        snprintf(cmd, sizeof cmd, "%s merge %s/k -o %s/k2 -q >/dev/null", tu_prog("cfscan"), g_dir, g_dir);
        cr_assert_eq(tu_run(cmd, NULL, &err), 0, "state unreadable after kill %d: %s", i, err);
    }
    fprintf(stderr, "sigkill: %d of 10 kills landed before the run finished\n", landed);
}

Test(summary, damaged_state_and_foreign_directories_are_refused)
{
    char cmd[8192], *err;
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/d -q >/dev/null", tu_prog("cfscan"), g_part[1], g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    char sp[1024];
    snprintf(sp, sizeof sp, "%s/d/state.cfs", g_dir);
    FILE *f = fopen(sp, "r+b");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    /* one flipped byte in the middle: checksum */
    fseek(f, len / 2, SEEK_SET);
    int c = fgetc(f);
    fseek(f, len / 2, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s merge %s/d -o %s/d2 -q", tu_prog("cfscan"), g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 4);
    cr_assert(strstr(err, "state.cfs") && strstr(err, "checksum"), "%s", err);
    /* truncated */
    cr_assert_eq(truncate(sp, len / 3), 0);
    cr_assert_eq(tu_run(cmd, NULL, &err), 4);
    cr_assert(strstr(err, "state.cfs") && strstr(err, "truncated"), "%s", err);
    /* another schema version */
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/d -q >/dev/null", tu_prog("cfscan"), g_part[1], g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    f = fopen(sp, "r+b");
    fseek(f, 8, SEEK_SET);
    fputc(99, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s merge %s/d -o %s/d2 -q", tu_prog("cfscan"), g_dir, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 2);
    cr_assert(strstr(err, "schema version 99"), "%s", err);
    /* a directory that is not a summary is never overwritten */
    char np[1024];
    snprintf(np, sizeof np, "%s/precious", g_dir);
    mkdir(np, 0755);
    free(tu_write_str(np, "keep.txt", "data"));
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s -q", tu_prog("cfscan"), g_part[1], np);
    cr_assert_eq(tu_run(cmd, NULL, &err), 2);
    cr_assert(strstr(err, "not a cfscan summary"), "%s", err);
    char *kept = tu_read(strcat(np, "/keep.txt"), NULL);
    cr_assert_str_eq(kept, "data");
}

Test(summary, non_utf8_values_stay_readable)
{
    /* A 403 whose URI holds a Latin-1 byte and a control byte: DuckDB refuses a STRING
     * column with invalid UTF-8, so the writer percent-encodes such bytes. */
    char *dir = tu_mkdtemp();
    const char *log =
        "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs-uri-stem sc-status x-edge-result-type x-edge-detailed-result-type sc-content-type time-taken\n"
        "2026-11-01\t10:00:00\tLAX3\t100\t192.0.2.1\tGET\t/caf\xe9\x01.html\t403\tError\tClientGeoBlocked\ttext/html\t0.001\n";
    char *p = tu_write_str(dir, "E9.2026-11-01-10.A.log", log);
    char cmd[4096], *err, *out;
    snprintf(cmd, sizeof cmd, "%s scan %s -o %s/s -q >/dev/null", tu_prog("cfscan"), p, dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    snprintf(cmd, sizeof cmd, "%s duckdb \"select value from '%s/s/top_uris.parquet'\"", js(), dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "duckdb: %s", err);
    cr_assert_str_eq(out, "[[\"/caf%E9%01.html\"]]\n");
    tu_rmrf(dir);
}
