/* End-to-end tests of the scan pipeline on hand-made inputs and the shared real samples:
 * counts read by hand, every bad input of the foundation issue, and thread-count
 * independence.  Expected values are derived from the inputs the tests write. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pipeline/json.h"
#include "pipeline/report.h"
#include "pipeline/scan.h"
#include "tests/util.h"

#define F33 \
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n"

/* One 33-field line with the given edge, status and result type. */
static int line33(char *buf, size_t n, const char *edge, int status, const char *rt, int id)
{
    return snprintf(
        buf, n,
        "2026-11-01\t10:%02d:%02d\t%s\t512\t192.0.2.%d\tGET\td111111abcdef8.cloudfront.net\t/p/%d.jpg\t%03d\t-\tcurl/8.0\t-\t-\t%s\tREQ%08dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx==\twww.example.com\thttps\t100\t0.002\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\t%s\tHTTP/2.0\t-\t-\t443\t0.001\t%s\ttext/html\t10\t-\t-\n",
        (id / 60) % 60, id % 60, edge, id % 250, id % 7, status, rt, id, rt, rt);
}

/* A log body: header + n lines cycling over 3 edges and statuses 200/403/404. */
static char *make_log(int n, int with_header)
{
    size_t cap = (size_t)n * 400 + 2048;
    char *b = malloc(cap);
    size_t o = 0;
    if (with_header) o += (size_t)snprintf(b + o, cap - o, "#Version: 1.0\n" F33);
    static const char *edges[] = {"IAD89-C1", "FRA56-P2", "LAX3"};
    static const int st[] = {200, 403, 404};
    static const char *rts[] = {"Hit", "Error", "Error"};
    for (int i = 0; i < n; i++) o += (size_t)line33(b + o, cap - o, edges[i % 3], st[i % 3], rts[i % 3], i);
    b[o] = 0;
    return b;
}

static cfs_scan_result scan_paths(const char **paths, size_t n, int threads, cfs_inputs *in)
{
    memset(in, 0, sizeof *in);
    for (size_t i = 0; i < n; i++) cfs_inputs_add(in, paths[i], CFS_NO_TIME, CFS_NO_TIME);
    cfs_inputs_sort(in);
    cfs_scan_opts o;
    memset(&o, 0, sizeof o);
    o.threads = threads;
    o.since = o.until = CFS_NO_TIME;
    cfs_scan_result res;
    cr_assert_eq(cfs_scan_run(in, &o, &res), CFS_OK); /* the scan ends settled */
    return res;
}

static void assert_nothing_lost(const cfs_file_stats *f)
{
    uint64_t rej = 0;
    for (int r = 0; r < CFS_REJ_COUNT; r++) rej += f->rejected[r];
    cr_assert_eq(f->lines, f->header_lines + f->blank_lines + f->aggregated + f->filtered + rej,
                 "nothing-lost invariant broken: lines %llu", (unsigned long long)f->lines);
}

static uint64_t status_count(const cfs_scan_result *r, int status)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->agg.traffic.n; i++) {
        const cfs_trow *t = cfs_kmap_row(&r->agg.traffic, i);
        if (t->k.status == status) n += t->requests;
    }
    return n;
}

static uint64_t edge_count(const cfs_scan_result *r, const char *edge)
{
    uint64_t n = 0;
    for (size_t i = 0; i < r->agg.traffic.n; i++) {
        const cfs_trow *t = cfs_kmap_row(&r->agg.traffic, i);
        if (!strcmp(t->k.edge, edge)) n += t->requests;
    }
    return n;
}

/* ---- the shared real samples (counted by hand from the files) ---------------------------- */
Test(samples, elastic_fixture)
{
    if (!tu_have_samples()) cr_skip_test("samples.elastic_fixture: ../shared/samples not present");
    const char *p = CFS_SAMPLES_DIR "/elastic-integrations-test-cloudfront.log";
    cfs_inputs in;
    cfs_scan_result r = scan_paths(&p, 1, 1, &in);
    const cfs_file_stats *f = &r.files[0];
    /* 2 header lines + 12 data lines; the last one has 31 of 33 fields (tolerated). */
    cr_assert_eq(f->lines, 14);
    cr_assert_eq(f->header_lines, 2);
    cr_assert_eq(f->aggregated, 12);
    cr_assert_eq(f->short_lines, 1);
    cr_assert_eq(f->status, CFS_OK);
    assert_nothing_lost(f);
    cr_assert_eq(status_count(&r, 200), 7);
    cr_assert_eq(status_count(&r, 502), 3);
    cr_assert_eq(status_count(&r, 0), 1); /* "000": viewer closed the connection */
    cr_assert_eq(status_count(&r, 404), 1);
    cr_assert_eq(edge_count(&r, "LAX1"), 3);
    cr_assert_eq(edge_count(&r, "SEA19-C1"), 2);
    cr_assert_eq(edge_count(&r, "SEA19-C2"), 6);
    cr_assert_eq(edge_count(&r, "EWR53-C1"), 1);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
}

Test(samples, claygregory_tab_header)
{
    if (!tu_have_samples()) cr_skip_test("samples.claygregory_tab_header: ../shared/samples not present");
    const char *p = CFS_SAMPLES_DIR "/claygregory-web-2019-12-tabheader.log";
    cfs_inputs in;
    cfs_scan_result r = scan_paths(&p, 1, 1, &in);
    const cfs_file_stats *f = &r.files[0];
    /* TAB-separated #Version/#Fields lines, 3 data lines, the last with a trailing TAB and
     * no final newline. */
    cr_assert_eq(f->lines, 5);
    cr_assert_eq(f->header_lines, 2);
    cr_assert_eq(f->aggregated, 3);
    cr_assert_eq(f->trailing_tab, 1);
    cr_assert_eq(status_count(&r, 200), 3);
    cr_assert_eq(edge_count(&r, "LAX1"), 3);
    assert_nothing_lost(f);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
}

/* ---- formats ------------------------------------------------------------------------------ */
static void check_body_counts(const char *path, int n)
{
    cfs_inputs in;
    cfs_scan_result r = scan_paths(&path, 1, 2, &in);
    cr_assert_eq(r.files[0].status, CFS_OK, "%s: %s", path, r.files[0].error);
    cr_assert_eq(r.files[0].aggregated, (uint64_t)n);
    cr_assert_eq(status_count(&r, 200), (uint64_t)(n + 2) / 3);
    cr_assert_eq(status_count(&r, 403), (uint64_t)(n + 1) / 3);
    cr_assert_eq(status_count(&r, 404), (uint64_t)n / 3);
    assert_nothing_lost(&r.files[0]);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
}

Test(formats, plain_gzip_zstd_and_multimember)
{
    char *dir = tu_mkdtemp();
    int n = 3001;
    char *body = make_log(n, 1);
    size_t len = strlen(body), gzn, zn;
    void *gz = tu_gzip(body, len, &gzn);
    void *zs = tu_zstd(body, len, &zn);
    char *p1 = tu_write(dir, "E1.2026-11-01-10.A.log", body, len);
    char *p2 = tu_write(dir, "E1.2026-11-01-10.B.gz", gz, gzn);
    char *p3 = tu_write(dir, "noext", zs, zn);
    check_body_counts(p1, n);
    check_body_counts(p2, n);
    check_body_counts(p3, n);
    /* Two gzip members, split in the middle of a line: the line must be rejoined. */
    size_t cut = len / 2 + 7, g1n, g2n;
    void *g1 = tu_gzip(body, cut, &g1n);
    void *g2 = tu_gzip(body + cut, len - cut, &g2n);
    char *mm = malloc(g1n + g2n);
    memcpy(mm, g1, g1n);
    memcpy(mm + g1n, g2, g2n);
    char *p4 = tu_write(dir, "multi.gz", mm, g1n + g2n);
    check_body_counts(p4, n);
    free(body);
    free(mm);
    tu_rmrf(dir);
}

Test(formats, header_switch_crlf_and_v2_order)
{
    char *dir = tu_mkdtemp();
    /* 2 lines in the 33-field layout, then a reordered v2-style layout, CRLF endings. */
    char b[8192];
    size_t o = 0;
    o += (size_t)snprintf(b + o, sizeof b - o, "#Version: 1.0\r\n" F33);
    o += (size_t)line33(b + o, sizeof b - o, "IAD89-C1", 200, "Hit", 1);
    o += (size_t)line33(b + o, sizeof b - o, "IAD89-C1", 403, "Error", 2);
    o += (size_t)snprintf(b + o, sizeof b - o,
                          "#Fields: sc-status timestamp(ms) x-edge-location c-ip\r\n"
                          "404\t1762000000000\tNRT57-C2\t198.51.100.7\r\n"
                          "403\t1762000001000\tNRT57-C2\t198.51.100.8\r\n"
                          "200\t1762000002000\tSOF50-P2\t2001:db8::1\r\n");
    char *p = tu_write(dir, "switch.log", b, o);
    cfs_inputs in;
    cfs_scan_result r = scan_paths((const char **)&p, 1, 1, &in);
    const cfs_file_stats *f = &r.files[0];
    cr_assert_eq(f->aggregated, 5);
    cr_assert_eq(f->layouts, 2);
    /* the three v2 lines: tolerated counts are of lines read as requests, so the CRs of
     * #Version and the v2 #Fields are not counted */
    cr_assert_eq(f->crlf, 3);
    cr_assert_eq(status_count(&r, 403), 2);
    cr_assert_eq(status_count(&r, 404), 1);
    cr_assert_eq(edge_count(&r, "NRT57-C2"), 2);
    cr_assert_eq(edge_count(&r, "SOF50-P2"), 1);
    assert_nothing_lost(f);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
    tu_rmrf(dir);
}

/* ---- bad input ----------------------------------------------------------------------------- */
Test(bad_input, truncated_gzip_keeps_prefix)
{
    char *dir = tu_mkdtemp();
    char *body = make_log(20000, 1);
    size_t gzn;
    unsigned char *gz = tu_gzip(body, strlen(body), &gzn);
    char *p = tu_write(dir, "cut.gz", gz, gzn / 2);
    cfs_inputs in;
    cfs_scan_result r = scan_paths((const char **)&p, 1, 1, &in);
    const cfs_file_stats *f = &r.files[0];
    cr_assert_eq(f->status, CFS_E_TRUNCATED, "status %d: %s", f->status, f->error);
    cr_assert(strstr(f->error, "truncated") != NULL);
    cr_assert(f->aggregated > 1000 && f->aggregated < 20000, "prefix lines %llu",
              (unsigned long long)f->aggregated);
    cr_assert_leq(f->rejected[CFS_REJ_TRUNCATED], 1);
    assert_nothing_lost(f);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
    free(body);
    tu_rmrf(dir);
}

Test(bad_input, corrupt_zstd)
{
    char *dir = tu_mkdtemp();
    char *body = make_log(20000, 1);
    size_t zn;
    unsigned char *z = tu_zstd(body, strlen(body), &zn);
    for (size_t i = zn / 2; i < zn / 2 + 64; i++) z[i] ^= 0x5a;
    char *p = tu_write(dir, "bad.zst", z, zn);
    cfs_inputs in;
    cfs_scan_result r = scan_paths((const char **)&p, 1, 1, &in);
    const cfs_file_stats *f = &r.files[0];
    cr_assert_eq(f->status, CFS_E_CORRUPT, "status %d: %s", f->status, f->error);
    cr_assert(strstr(f->error, "zstd") != NULL);
    assert_nothing_lost(f);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
    free(body);
    tu_rmrf(dir);
}

Test(bad_input, binary_empty_noheader_long_short)
{
    char *dir = tu_mkdtemp();
    unsigned char bin[4096];
    srand(7);
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)(rand() & 0xff);
    bin[0] = 0;
    char *pb = tu_write(dir, "a-binary", bin, sizeof bin);
    char *pe = tu_write(dir, "b-empty", "", 0);
    char *nh = make_log(3, 0);
    char *pn = tu_write_str(dir, "c-noheader", nh);
    /* one good line, one over-long line (1 MiB + 10 bytes), one good, one short line */
    size_t cap = (1u << 20) + 8192;
    char *b = malloc(cap);
    size_t o = (size_t)snprintf(b, cap, F33);
    o += (size_t)line33(b + o, cap - o, "LAX3", 200, "Hit", 1);
    memset(b + o, 'x', (1u << 20) + 10);
    o += (1u << 20) + 10;
    b[o++] = '\n';
    o += (size_t)line33(b + o, cap - o, "LAX3", 200, "Hit", 2);
    o += (size_t)snprintf(b + o, cap - o, "2026-11-01\t10:00:00\tLAX3\t1\n");
    char *pl = tu_write(dir, "d-long", b, o);
    const char *paths[] = {pb, pe, pn, pl};
    cfs_inputs in;
    cfs_scan_result r = scan_paths(paths, 4, 2, &in);
    for (size_t i = 0; i < r.nfiles; i++) {
        const cfs_file_stats *f = &r.files[i];
        const char *name = strrchr(in.v[i].path, '/') + 1;
        assert_nothing_lost(f);
        cr_assert_eq(f->status, CFS_OK, "%s", name);
        if (!strcmp(name, "a-binary")) {
            cr_assert_eq(f->aggregated, 0);
            cr_assert(f->rejected[CFS_REJ_BINARY] >= 1);
        } else if (!strcmp(name, "b-empty")) {
            cr_assert_eq(f->lines, 0);
        } else if (!strcmp(name, "c-noheader")) {
            cr_assert_eq(f->rejected[CFS_REJ_NO_HEADER], 3);
        } else {
            cr_assert_eq(f->aggregated, 2);
            cr_assert_eq(f->rejected[CFS_REJ_LINE_TOO_LONG], 1);
            cr_assert_eq(f->rejected[CFS_REJ_TOO_FEW_FIELDS], 1);
        }
    }
    cr_assert_eq(cfs_run_exit_status(&(cfs_run_end){.ledger = &r.ledger}), CFS_EXIT_REJECTED);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
    free(nh);
    free(b);
    tu_rmrf(dir);
}

Test(bad_input, long_line_across_gzip_pieces)
{
    /* A 3 MiB line inside a gzip member crosses the 4 MiB streaming pieces' carry. */
    char *dir = tu_mkdtemp();
    size_t big = 3u << 20, cap = big + (6u << 20);
    char *b = malloc(cap);
    size_t o = (size_t)snprintf(b, cap, F33);
    for (int i = 0; i < 12000; i++) o += (size_t)line33(b + o, cap - o, "LAX3", 200, "Hit", i);
    memset(b + o, 'y', big);
    o += big;
    b[o++] = '\n';
    for (int i = 0; i < 100; i++) o += (size_t)line33(b + o, cap - o, "LAX3", 403, "Error", i);
    size_t gzn;
    void *gz = tu_gzip(b, o, &gzn);
    char *p = tu_write(dir, "long.gz", gz, gzn);
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, p, CFS_NO_TIME, CFS_NO_TIME);
    cfs_scan_opts opt;
    memset(&opt, 0, sizeof opt);
    opt.threads = 2;
    opt.since = opt.until = CFS_NO_TIME;
    opt.gz = CFS_GZ_ZLIB;
    for (int pass = 0; pass < 2; pass++) {
        opt.big_file = pass ? 1 : 0; /* sequential, then cut into blocks */
        cfs_scan_result r;
        cr_assert_eq(cfs_scan_run(&in, &opt, &r), CFS_OK);
        cr_assert_eq(r.files[0].aggregated, 12100, "pass %d: %llu", pass,
                     (unsigned long long)r.files[0].aggregated);
        cr_assert_eq(r.files[0].rejected[CFS_REJ_LINE_TOO_LONG], 1, "pass %d", pass);
        cr_assert_eq(status_count(&r, 403), 100);
        assert_nothing_lost(&r.files[0]);
        cfs_scan_result_free(&r);
    }
    cfs_inputs_free(&in);
    free(b);
    tu_rmrf(dir);
}

Test(bad_input, missing_path_is_an_input_error)
{
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, "/nonexistent/cfscan/path", CFS_NO_TIME, CFS_NO_TIME);
    cr_assert_eq(in.n, 0);
    cr_assert_eq(in.nerr, 1);
    cr_assert_str_eq(in.err[0].path, "/nonexistent/cfscan/path");
    cr_assert(strstr(in.err[0].msg, "No such file") != NULL);
    cfs_inputs_free(&in);
}

/* ---- thread-count independence through the CLI ----------------------------------------- */
Test(cli, json_identical_for_j1_and_j2_and_blocks)
{
    char *dir = tu_mkdtemp();
    char name[64];
    for (int i = 0; i < 6; i++) {
        char *body = make_log(2000 + 500 * i, 1);
        size_t gzn;
        void *gz = tu_gzip(body, strlen(body), &gzn);
        snprintf(name, sizeof name, "E2ABCDEF%06d.2026-11-01-%02d.X.gz", i % 2, i);
        free(tu_write(dir, name, gz, gzn));
        free(gz);
        free(body);
    }
    char *prog = tu_prog("cfscan");
    char cmd[1024];
    char *out1, *out2, *out3;
    snprintf(cmd, sizeof cmd, "%s scan %s -j1 --format json -q", prog, dir);
    cr_assert_eq(tu_run(cmd, &out1, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s scan %s -j2 --format json -q", prog, dir);
    cr_assert_eq(tu_run(cmd, &out2, NULL), 0);
    snprintf(cmd, sizeof cmd, "%s scan %s -j2 --format json -q --split-above 1000 --gzip-decoder zlib", prog,
             dir);
    cr_assert_eq(tu_run(cmd, &out3, NULL), 0);
    cr_assert_str_eq(out1, out2);
    cr_assert_str_eq(out1, out3);
    /* and the contract's totals, computed from what make_log wrote */
    cfs_json_doc doc = {0};
    char err[128];
    cr_assert_eq(cfs_json_parse(&doc, out1, strlen(out1), err, sizeof err), CFS_OK, "%s", err);
    const cfs_json *root = cfs_json_root(&doc);
    double v;
    uint64_t total = 0;
    for (int i = 0; i < 6; i++) total += 2000 + 500 * i;
    cr_assert(cfs_json_num(cfs_json_path(root, "inputs.files"), &v) && v == 6);
    cr_assert(cfs_json_num(cfs_json_path(root, "inputs.requests"), &v) && v == (double)total);
    cr_assert(cfs_json_num(cfs_json_path(root, "inputs.rejected"), &v) && v == 0);
    uint64_t n403 = 0;
    for (int i = 0; i < 6; i++) n403 += (uint64_t)(2000 + 500 * i + 1) / 3;
    cr_assert(cfs_json_num(cfs_json_path(root, "by_status.403"), &v) && v == (double)n403);
    cr_assert(cfs_json_num(cfs_json_path(root, "by_distribution.E2ABCDEF000000"), &v));
    cr_assert_eq(v, (double)(2000 + 3000 + 4000));
    cfs_json_doc_free(&doc);
    tu_rmrf(dir);
}

/* `cfscan scan INPUTS ARGS --format json -q -o DIR` with the plain lane and without it
 * (the test hook CFS_PLAIN_LANE=0): the same exit status, the same report byte for byte,
 * and the same summary files (`files`: what the report does not print, such as bytes per
 * row). */
static void assert_alike_without_the_lane(const char *prog, const char *dir, const char *inputs,
                                          const char *args, const char *const *files, size_t nfiles)
{
    char *with = NULL, *without = NULL;
    int r1 = tu_sh(&with, NULL, "%s scan %s %s --format json -q -o %s/with", prog, inputs, args, dir);
    int r2 = tu_sh(&without, NULL, "CFS_PLAIN_LANE=0 %s scan %s %s --format json -q -o %s/without", prog,
                   inputs, args, dir);
    cr_assert_eq(r1, r2, "%s %s: exit %d and %d", inputs, args, r1, r2);
    cr_assert(with && strlen(with) > 1000, "%s %s: a report", inputs, args);
    cr_assert_str_eq(with, without, "%s %s: the reports differ", inputs, args);
    for (size_t f = 0; f < nfiles; f++) {
        char p1[512], p2[512];
        snprintf(p1, sizeof p1, "%s/with/%s", dir, files[f]);
        snprintf(p2, sizeof p2, "%s/without/%s", dir, files[f]);
        size_t n1 = 0, n2 = 0;
        char *b1 = tu_read(p1, &n1), *b2 = tu_read(p2, &n2);
        cr_assert(b1 && b2 && n1 > 0 && n1 == n2 && memcmp(b1, b2, n1) == 0, "%s %s: %s differs", inputs,
                  args, files[f]);
        free(b1);
        free(b2);
    }
    free(with);
    free(without);
    tu_sh(NULL, NULL, "rm -rf %s/with %s/without", dir, dir);
}

/* Common lines (status not 403, distribution from the file name; an Error only without a
 * config's 403 remap, a Miss only without a config) are counted without a record, a
 * Miss's origin sample included (fields.h, CFS_PARSE_PLAIN); the test hook
 * CFS_PLAIN_LANE=0 counts them from their records like every other line.  Both must give
 * the same report byte for byte: generated traffic with every situation and every fault
 * (short lines, trailing TABs, CRLF, header switches, garbage) in mixed layouts, with
 * configs and WAF logs, with a time window, at -j1 and -j2. */
Test(cli, common_lines_counted_alike_with_and_without_the_plain_lane, .timeout = 240)
{
    char *dir = tu_mkdtemp(), *err = NULL;
    char *gen = tu_prog("cfsgen"), *prog = tu_prog("cfscan");
    int rc = tu_sh(
        NULL, &err,
        "%s -o %s/logs --seed 11 --dists 2 --days 1 --lines-per-file 300 --situations all --faults all "
        "--layout mixed --format plain -j2",
        gen, dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
    /* The configs without their 403 remaps: then Error lines are common with a config. */
    rc = tu_sh(
        NULL, NULL,
        "mkdir %s/noremap && for f in %s/logs/config/*.json; do "
        "sed 's/\"ErrorCode\": 403/\"ErrorCode\": 404/' \"$f\" > %s/noremap/\"$(basename \"$f\")\"; done",
        dir, dir, dir);
    cr_assert_eq(rc, 0);
    /* the window's ends inside hours, so that lines of one file fall on both sides */
    static const char *const args[] = {
        "-j2",
        "-j1 --since 2026-11-01T05:30 --until 2026-11-01T16:30",
        "-j2 --config %s/logs/config --waf-logs %s/logs/waf",
        "-j2 --config %s/noremap",
    };
    static const char *const files[] = {"state.cfs", "traffic.parquet"};
    char logs[512];
    snprintf(logs, sizeof logs, "%s/logs", dir);
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
        char a[600];
        snprintf(a, sizeof a, args[i], dir, dir);
        assert_alike_without_the_lane(prog, dir, logs, a, files, 2);
    }
    tu_rmrf(dir);
    free(dir);
}

/* A file no generator writes: two TAB layouts, one without distributionid and cs(Host)
 * and one with both, v2 JSON lines with a distributionid between the TAB lines of each,
 * several distributions in one file (two ids longer than the 40-byte key that share their
 * first 43 bytes, so one key of the counter, and a host longer than it), lines with
 * neither (counted under "-"), every result type and status mix that decides the lane,
 * and JSON lines whose ids the strict parser unescapes. */
static void write_mixed_distributions(const char *dir)
{
    static const char *const ids[] = {"EAAAAAAAAAAAA1", "EBBBBBBBBBBBB2", "-",
                                      "ELONGDISTRIBUTIONIDENTIFIERXXXXXXXXXXXXXXX-one",
                                      "ELONGDISTRIBUTIONIDENTIFIERXXXXXXXXXXXXXXX-two"};
    static const char *const hosts[] = {"d1.cloudfront.net", "-", "d3.cloudfront.net",
                                        "dlonglonglonglonglonglonglonglonglonglong.cloudfront.net", "-"};
    static const char *const results[] = {"Hit", "Miss", "Error", "RefreshHit", "Miss"};
    static const char *const statuses[] = {"200", "304", "404", "403", "500", "206", "200"};
    static const char *const edges[] = {"IAD89-C1", "FRA56-P2", "NRT57-C3"};
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    cr_assert_not_null(b);
    for (int i = 0; i < 600; i++) {
        const int with_dist = (i / 100) % 2; /* the layout switches every 100 lines */
        if (i % 100 == 0)
            n += (size_t)snprintf(b + n, cap - n,
                                  "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes sc-status "
                                  "x-edge-result-type time-taken%s time-to-first-byte cs-protocol\n",
                                  with_dist ? " distributionid cs(Host)" : "");
        const char *id = ids[i % 5], *host = hosts[(i / 5) % 5], *res = results[i % 5];
        const char *st = statuses[i % 7], *edge = edges[i % 3];
        const int sec = i % 60, min = (i / 60) % 60;
        if (i % 3 == 2) {
            n += (size_t)snprintf(b + n, cap - n,
                                  "{\"date\":\"2026-11-01\",\"time\":\"01:%02d:%02d\",\"x-edge-location\":"
                                  "\"%s\",\"sc-bytes\":\"%d\",\"sc-status\":\"%s\",\"x-edge-result-type\":"
                                  "\"%s\",\"time-taken\":\"0.0%02d\",\"distributionid\":\"%s\"}\n",
                                  min, sec, edge, 100 + i, st, res, 10 + i % 80, id);
        } else if (with_dist) {
            n += (size_t)snprintf(
                b + n, cap - n, "2026-11-01\t01:%02d:%02d\t%s\t%d\t%s\t%s\t0.0%02d\t%s\t%s\t0.0%02d\t%s\n",
                min, sec, edge, 100 + i, st, res, 10 + i % 80, id, host, 5 + i % 50, i % 4 ? "https" : "wss");
        } else {
            n += (size_t)snprintf(
                b + n, cap - n, "2026-11-01\t01:%02d:%02d\t%s\t%d\t%s\t%s\t0.0%02d\t0.0%02d\t%s\n", min, sec,
                edge, 100 + i, st, res, 10 + i % 80, 5 + i % 50, i % 4 ? "https" : "ws");
        }
        cr_assert(n < cap);
    }
    /* JSON lines alone whose ids hold an escape: the strict parser's values lie in its
     * own buffer, at one address line after line, so only their text tells them apart */
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(b + n, cap - n,
                              "{\"date\":\"2026-11-01\",\"time\":\"02:00:%02d\",\"x-edge-location\":\"%s\","
                              "\"sc-bytes\":\"%d\",\"sc-status\":\"200\",\"x-edge-result-type\":\"Hit\","
                              "\"distributionid\":\"E\\u004%cSCAPED%d\"}\n",
                              i, edges[i % 3], 1000 + i, "ABC"[i % 3], i % 2);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/in-handmade", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    free(tu_write(sub, "mixed-lines.log", b, n));
    free(b);
}

/* Where the file name does not give the distribution, a common line is counted under
 * its distributionid or its Host (scan.c, line_dist), and so is a common record of a
 * JSON line or a Parquet row (record_is_common).  The same comparison as above, on
 * inputs whose lines name their distributions: the TAB logs of two distributions as one
 * file (their lines alternate between distributions file by file), v2 JSON lines of both
 * in one file, the same with a behavior pattern on every line (a Miss's origin sample
 * then has an origin label, so it is no common line), and v2 Parquet files renamed so
 * that no name gives a distribution. */
Test(cli, lines_naming_their_distribution_counted_alike_with_and_without_the_plain_lane, .timeout = 240)
{
    char *dir = tu_mkdtemp(), *err = NULL;
    char *gen = tu_prog("cfsgen"), *prog = tu_prog("cfscan");
    int rc = tu_sh(
        NULL, &err,
        "%s -o %s/tab --seed 11 --dists 2 --days 1 --lines-per-file 300 --situations all --faults all "
        "--layout mixed --format plain -j2 && "
        "%s -o %s/json --seed 12 --dists 2 --days 1 --lines-per-file 300 --situations all "
        "--layout json --format plain -j2 && "
        "%s -o %s/parquet --seed 13 --dists 2 --days 1 --lines-per-file 300 --situations all "
        "--layout parquet -j2",
        gen, dir, gen, dir, gen, dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
    rc = tu_sh(NULL, NULL,
               "cd %s && mkdir in-tab in-json in-parquet && cat tab/*.log > in-tab/all-lines.log && "
               "cat json/*.json > in-json/all-lines.json && mkdir in-pattern && "
               "sed 's|^{|{\"cache-behavior-path-pattern\":\"/img/*\",|' in-json/all-lines.json "
               "> in-pattern/all-lines.json && "
               "i=0; for f in parquet/*.parquet; do i=$((i+1)); cp \"$f\" in-parquet/part-$i.parquet; done",
               dir);
    cr_assert_eq(rc, 0);
    /* each input with the configs and WAF logs generated with it */
    write_mixed_distributions(dir);
    static const char *const sets[][2] = {
        {"tab", "tab"}, {"json", "json"}, {"pattern", "json"}, {"parquet", "parquet"}, {"handmade", "json"}};
    static const char *const args[] = {
        "-j2",
        "-j1 --since 2026-11-01T05:30 --until 2026-11-01T16:30",
        "-j2 --config %s/%s/config --waf-logs %s/%s/waf",
    };
    for (size_t k = 0; k < sizeof sets / sizeof *sets; k++)
        for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
            char a[600];
            snprintf(a, sizeof a, args[i], dir, sets[k][1], dir, sets[k][1]);
            char in[512];
            snprintf(in, sizeof in, "%s/in-%s", dir, sets[k][0]);
            static const char *const files[] = {"state.cfs"};
            assert_alike_without_the_lane(prog, dir, in, a, files, 1);
        }
    tu_rmrf(dir);
    free(dir);
}

/* The fold of the units' top-k summaries (scan.c, fold_pending) runs each summary's
 * merges in input order from a queue, on any thread.  With more distinct URIs and clients
 * per 403 group than a summary holds, the merges are approximate and their order shows in
 * the report (error bounds and counts), so running them out of order would change it.
 * The test hook CFS_FOLD_HOLD=1 runs the queues only at the end of the pass, when they are
 * long (every merge of a summary waits in one queue); the report and state must be those
 * of the usual run, at one thread and two, whole files or cut into blocks. */
Test(cli, fold_queues_keep_each_summarys_merges_in_input_order, .timeout = 240)
{
    char *dir = tu_mkdtemp(), *err = NULL;
    char *gen = tu_prog("cfsgen"), *prog = tu_prog("cfscan");
    int rc = tu_sh(NULL, &err,
                   "%s -o %s/logs --seed 5 --dists 1 --days 1 --lines-per-file 2500 --403-share 0.5 "
                   "--format plain --no-waf --no-configs -j2",
                   gen, dir);
    cr_assert_eq(rc, 0, "cfsgen: %s", err ? err : "");
    free(err);
    /* the same lines as one file of about 29 MB, which --split-above cuts into 8 MiB
     * blocks: units of one file, folded in block order */
    rc = tu_sh(NULL, NULL, "mkdir %s/one && cat %s/logs/*.log > %s/one/EF7MZ4P3R5TI7Q.2026-11-01-00.ALL.log",
               dir, dir, dir);
    cr_assert_eq(rc, 0);
    static const char *const modes[] = {"%s/logs/*.log", "%s/one/*.log --split-above 1000000"};
    for (size_t m = 0; m < 2; m++) {
        char in[512], *ref = NULL;
        snprintf(in, sizeof in, modes[m], dir);
        cr_assert_eq(tu_sh(&ref, NULL, "%s scan %s -j1 --format json -q -o %s/ref", prog, in, dir), 0);
        /* the merges are approximate: some list has a nonzero error bound */
        int approx = 0;
        for (const char *e = ref; (e = strstr(e, "\"error_bound\":")) != NULL; e++)
            approx |= e[14] >= '1' && e[14] <= '9';
        cr_assert(approx, "%s: no top-k list evicted, so merge order would not show", in);
        char pref[512];
        snprintf(pref, sizeof pref, "%s/ref/state.cfs", dir);
        size_t nref = 0;
        char *sref = tu_read(pref, &nref);
        cr_assert(sref && nref > 0);
        static const char *const runs[] = {"CFS_FOLD_HOLD=1 %s scan %s -j1", "CFS_FOLD_HOLD=1 %s scan %s -j2",
                                           "%s scan %s -j2", "%s scan %s -j3"};
        for (size_t r = 0; r < sizeof runs / sizeof *runs; r++) {
            char cmd[1024];
            snprintf(cmd, sizeof cmd, runs[r], prog, in);
            char *out = NULL;
            cr_assert_eq(tu_sh(&out, NULL, "%s --format json -q -o %s/run", cmd, dir), 0);
            cr_assert_str_eq(out, ref, "%s: the report differs", cmd);
            char prun[512];
            snprintf(prun, sizeof prun, "%s/run/state.cfs", dir);
            size_t n = 0;
            char *st = tu_read(prun, &n);
            cr_assert(st && n == nref && memcmp(st, sref, n) == 0, "%s: state.cfs differs", cmd);
            free(st);
            free(out);
            tu_sh(NULL, NULL, "rm -rf %s/run", dir);
        }
        free(sref);
        free(ref);
        tu_sh(NULL, NULL, "rm -rf %s/ref", dir);
    }
    tu_rmrf(dir);
    free(dir);
}

Test(cli, exit_codes_and_errors_name_the_path)
{
    char *dir = tu_mkdtemp();
    char *body = make_log(300, 1);
    size_t gzn;
    unsigned char *gz = tu_gzip(body, strlen(body), &gzn);
    free(tu_write(dir, "ok.gz", gz, gzn));
    char *prog = tu_prog("cfscan");
    char cmd[1024];
    char *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s -q", prog, dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "stderr: %s", err);
    cr_assert(strstr(out, "Why viewers got 403s") != NULL);
    free(tu_write(dir, "cut.gz", gz, gzn / 2));
    cr_assert_eq(tu_run(cmd, &out, &err), 4);
    cr_assert(strstr(err, "cut.gz") != NULL, "stderr names the file: %s", err);
    snprintf(cmd, sizeof cmd, "%s scan %s/nope -q", prog, dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 4);
    cr_assert(strstr(err, "/nope") != NULL);
    snprintf(cmd, sizeof cmd, "%s scan --bogus x", prog);
    cr_assert_eq(tu_run(cmd, &out, &err), 2);
    cr_assert(strstr(err, "--bogus") != NULL);
    free(body);
    tu_rmrf(dir);
}

Test(cli, stdin_and_time_window)
{
    char *dir = tu_mkdtemp();
    char *body = make_log(600, 1); /* times 10:00:00 .. 10:09:59 */
    size_t gzn;
    void *gz = tu_gzip(body, strlen(body), &gzn);
    char *p = tu_write(dir, "E3.2026-11-01-10.X.gz", gz, gzn);
    char *prog = tu_prog("cfscan");
    char cmd[1024], *out, *err;
    /* standard input, gzip detected from the bytes */
    snprintf(cmd, sizeof cmd, "cat %s | %s scan - --format json -q", p, prog);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    cfs_json_doc doc = {0};
    char jerr[128];
    double v;
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.requests"), &v) && v == 600);
    /* lines 10:05:00 <= t < 10:07:00 are 120 of the 600 (one line per second) */
    snprintf(cmd, sizeof cmd,
             "%s scan %s --since 2026-11-01T10:05:00Z --until 2026-11-01T10:07:00Z --format json -q", prog,
             p);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.requests"), &v) && v == 120, "%f", v);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.filtered"), &v) && v == 480);
    /* a window that excludes the file's hour skips it by name, unopened; it selected
     * nothing, which is not a clean answer (exit 3, issue 17 item 2) */
    snprintf(cmd, sizeof cmd, "%s scan %s --since 2026-11-01T11 --format json -q", prog, p);
    cr_assert_eq(tu_run(cmd, &out, &err), 3, "%s", err);
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.files_pruned"), &v) && v == 1);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.files"), &v) && v == 0);
    cfs_json_doc_free(&doc);
    free(body);
    tu_rmrf(dir);
}

Test(bad_input, lines_longer_than_a_block_on_every_path)
{
    /* An 8.5 MiB and a 20 MiB line (longer than the 8 MiB blocks large inputs are cut
     * into): each is one line_too_long on the sequential, zero-copy block and streamed
     * (stdin) paths, and the lines around them all count. */
    char *dir = tu_mkdtemp();
    const char *hdr = "#Version: 1.0\n#Fields: date time x-edge-location sc-status\n";
    const char *good = "2026-11-01\t10:00:00\tLAX3\t200\n";
    size_t a = (size_t)(8.5 * (1 << 20)), b = (size_t)20 << 20;
    size_t cap = strlen(hdr) + 6 * strlen(good) + a + b + 16, o = 0;
    char *buf = malloc(cap);
    o += (size_t)sprintf(buf + o, "%s%s%s%s", hdr, good, good, good);
    memset(buf + o, 'x', a);
    o += a;
    buf[o++] = '\n';
    o += (size_t)sprintf(buf + o, "%s%s", good, good);
    memset(buf + o, 'y', b);
    o += b;
    buf[o++] = '\n';
    o += (size_t)sprintf(buf + o, "%s", good);
    char *p = tu_write(dir, "long.log", buf, o);
    static const char *const modes[] = {"%s scan %s --format json -q",
                                        "%s scan %s --split-above 1 --format json -q",
                                        "cat %2$s | %1$s scan - --format json -q"};
    for (int m = 0; m < 3; m++) {
        char cmd[1024], *out, *err;
        snprintf(cmd, sizeof cmd, modes[m], tu_prog("cfscan"), p);
        cr_assert_eq(tu_run(cmd, &out, &err), 3, "mode %d: %s", m, err);
        cfs_json_doc doc = {0};
        char jerr[128];
        cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
        const cfs_json *r = cfs_json_root(&doc);
        double lines, req, tl, rej;
        cfs_json_num(cfs_json_path(r, "inputs.lines"), &lines);
        cfs_json_num(cfs_json_path(r, "inputs.requests"), &req);
        cfs_json_num(cfs_json_path(r, "inputs.rejected_by_reason.line_too_long"), &tl);
        cfs_json_num(cfs_json_path(r, "inputs.rejected"), &rej);
        cr_assert_eq(lines, 10, "mode %d", m);
        cr_assert_eq(req, 6, "mode %d", m);
        cr_assert_eq(tl, 2, "mode %d", m);
        cr_assert_eq(rej, 2, "mode %d", m);
        cfs_json_doc_free(&doc);
    }
    free(buf);
    tu_rmrf(dir);
}

Test(cli, warnings_are_listed_up_to_a_thousand)
{
    char *dir = tu_mkdtemp();
    char name[32];
    for (int i = 0; i < 1003; i++) {
        snprintf(name, sizeof name, "empty%04d.log", i);
        free(tu_write(dir, name, "", 0));
    }
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s --format json -q", tu_prog("cfscan"), dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 3, "%s", err);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    double v;
    cr_assert_eq(cfs_json_count(cfs_json_path(cfs_json_root(&doc), "inputs.warnings")), 1000);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.warnings_not_listed"), &v) && v == 3);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.files"), &v) && v == 1003);
    snprintf(cmd, sizeof cmd, "%s scan %s -q", tu_prog("cfscan"), dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 3);
    cr_assert(strstr(out, "WARNING 3 more inputs with warnings"), "text report counts the rest");
    cfs_json_doc_free(&doc);
    tu_rmrf(dir);
}

/* The path of listed entry i of the report's JSON array at path ("" when none). */
static const char *listed_path(const cfs_json_doc *doc, const char *path, size_t i)
{
    const char *s = cfs_json_str(
        cfs_json_get(cfs_json_at(cfs_json_path(cfs_json_root(doc), path), i), "path"));
    return s ? s : "";
}

/* 1 when s ends with tail. */
static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && !strcmp(s + n - t, tail);
}

/* Errors and warnings are listed in input order (README: the order the paths and the
 * directory walks give), not in the largest-first order the inputs are scanned in, and
 * an unusable path sits where it was named, not ahead of the inputs.  The sizes are
 * chosen so that size order differs from input order in both lists. */
Test(cli, errors_and_warnings_are_listed_in_input_order)
{
    char *dir = tu_mkdtemp();
    char sub[512], p[2048];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    /* named first, the second smallest: two lines without a #Fields: header */
    free(tu_write_str(dir, "z_small.log", "a\tb\nc\td\n"));
    /* in sub/, walked by name: the largest (one line over 1 MiB), a gzip cut in half (an
     * error), an empty file */
    char *body = make_log(3, 1);
    size_t long_n = (size_t)1 << 21, bn = strlen(body);
    char *big = malloc(bn + long_n + 1);
    memcpy(big, body, bn);
    memset(big + bn, 'x', long_n);
    big[bn + long_n] = '\n';
    free(tu_write(sub, "a_big.log", big, bn + long_n + 1));
    char *log300 = make_log(300, 1);
    size_t gzn;
    unsigned char *gz = tu_gzip(log300, strlen(log300), &gzn);
    free(tu_write(sub, "b_cut.gz", gz, gzn / 2));
    free(tu_write(sub, "c_empty.log", "", 0));
    /* then a missing path, then a file whose one line has 3 fields too many */
    char wrong[2048];
    int o = snprintf(wrong, sizeof wrong, "#Version: 1.0\n" F33);
    o += line33(wrong + o, sizeof wrong - (size_t)o, "LAX3", 200, "Hit", 1) - 1; /* over the LF */
    snprintf(wrong + o, sizeof wrong - (size_t)o, "\tx\ty\tz\n");
    free(tu_write_str(dir, "m_wrong.log", wrong));
    snprintf(p, sizeof p, "%s/z_small.log %s %s/missing %s/m_wrong.log", dir, sub, dir, dir);
    char cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s --format json -q", tu_prog("cfscan"), p);
    cr_assert_eq(tu_run(cmd, &out, &err), 4, "%s", err);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    cr_assert_eq(cfs_json_count(cfs_json_path(cfs_json_root(&doc), "inputs.errors")), 2);
    cr_assert(ends_with(listed_path(&doc, "inputs.errors", 0), "/sub/b_cut.gz"), "%s", out);
    cr_assert(ends_with(listed_path(&doc, "inputs.errors", 1), "/missing"), "%s", out);
    static const char *const warned[] = {"/z_small.log", "/sub/a_big.log", "/sub/c_empty.log",
                                         "/m_wrong.log"};
    cr_assert_eq(cfs_json_count(cfs_json_path(cfs_json_root(&doc), "inputs.warnings")), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert(ends_with(listed_path(&doc, "inputs.warnings", i), warned[i]), "warning %zu: %s", i, out);
    cfs_json_doc_free(&doc);
    /* the text report: one list, errors and warnings interleaved as the inputs came */
    snprintf(cmd, sizeof cmd, "%s scan %s -q", tu_prog("cfscan"), p);
    cr_assert_eq(tu_run(cmd, &out, &err), 4, "%s", err);
    static const char *const text[] = {
        "WARNING %s/z_small.log:",     "WARNING %s/sub/a_big.log:", "ERROR %s/sub/b_cut.gz:",
        "WARNING %s/sub/c_empty.log:", "ERROR %s/missing:",         "WARNING %s/m_wrong.log:"};
    const char *at = out;
    for (size_t i = 0; i < 6; i++) {
        char want[640];
        snprintf(want, sizeof want, text[i], dir);
        const char *hit = strstr(at, want);
        cr_assert(hit != NULL, "\"%s\" missing or out of order in:\n%s", want, out);
        at = hit + strlen(want);
    }
    free(big);
    free(body);
    free(log300);
    free(gz);
    tu_rmrf(dir);
    free(dir);
}

/* Every inputs.errors entry has the members README's JSON contract gives it (path, error,
 * status, lines_before_error), a path that could not be used too: an I/O error with no
 * line read.  `files` counts every input, such paths included (one each), as the
 * summary's inputs.parquet has a row for each, so files_failed never exceeds files. */
Test(cli, every_error_entry_has_the_contract_members_and_files_counts_it)
{
    char *dir = tu_mkdtemp();
    char *body = make_log(300, 1);
    size_t gzn;
    unsigned char *gz = tu_gzip(body, strlen(body), &gzn);
    char sub[512], link[600], cut[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(tu_write(sub, "ok.gz", gz, gzn));
    snprintf(link, sizeof link, "%s/dangling.log", sub); /* a link to nothing: the walk cannot stat it */
    cr_assert_eq(symlink("nowhere.log", link), 0);
    free(tu_write(dir, "cut.gz", gz, gzn / 2));
    snprintf(cut, sizeof cut, "%s/cut.gz", dir);
    char cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s %s/missing %s --format json -q", tu_prog("cfscan"), sub, dir, cut);
    cr_assert_eq(tu_run(cmd, &out, &err), 4, "%s", err);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    const cfs_json *root = cfs_json_root(&doc);
    double files, failed;
    cr_assert(cfs_json_num(cfs_json_path(root, "inputs.files"), &files));
    cr_assert(cfs_json_num(cfs_json_path(root, "inputs.files_failed"), &failed));
    /* ok.gz, the dangling link, the missing path, cut.gz; all but ok.gz failed */
    cr_assert_eq(files, 4, "%s", out);
    cr_assert_eq(failed, 3, "%s", out);
    const cfs_json *errors = cfs_json_path(root, "inputs.errors");
    cr_assert_eq(cfs_json_count(errors), 3, "%s", out);
    static const char *const tails[] = {"/sub/dangling.log", "/missing", "/cut.gz"};
    for (size_t i = 0; i < 3; i++) {
        const cfs_json *e = cfs_json_at(errors, i);
        double n = -1;
        const char *path = cfs_json_str(cfs_json_get(e, "path")),
                   *status = cfs_json_str(cfs_json_get(e, "status"));
        cr_assert(path && ends_with(path, tails[i]), "entry %zu: %s", i, out);
        cr_assert(cfs_json_str(cfs_json_get(e, "error")) != NULL, "entry %zu: %s", i, out);
        cr_assert(status != NULL, "entry %zu has no status: %s", i, out);
        cr_assert(cfs_json_num(cfs_json_get(e, "lines_before_error"), &n), "entry %zu: %s", i, out);
        if (i < 2) { /* could not be used at all: nothing was read */
            cr_assert_str_eq(status, "I/O error");
            cr_assert_eq(n, 0);
        } else { /* half a gzip: truncated, after some of its lines */
            cr_assert_str_eq(status, "truncated data");
            cr_assert(n > 0 && n < 301, "%f", n);
        }
    }
    cfs_json_doc_free(&doc);
    free(body);
    free(gz);
    tu_rmrf(dir);
    free(dir);
}

/* The cap on listed entries keeps the first CFS_MAX_LISTED in input order: the last file
 * of the walk, the largest (scanned first), is the one counted as not listed. */
Test(cli, the_listed_warnings_are_the_first_thousand_inputs)
{
    char *dir = tu_mkdtemp();
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "w%04d.log", i);
        free(tu_write(dir, name, "", 0));
    }
    free(tu_write_str(dir, "w1000.log", "no header here\nnor here\n"));
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan %s --format json -q", tu_prog("cfscan"), dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 3, "%s", err);
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    double v;
    cr_assert_eq(cfs_json_count(cfs_json_path(cfs_json_root(&doc), "inputs.warnings")), 1000);
    cr_assert(cfs_json_num(cfs_json_path(cfs_json_root(&doc), "inputs.warnings_not_listed"), &v) && v == 1);
    cr_assert(ends_with(listed_path(&doc, "inputs.warnings", 0), "/w0000.log"));
    cr_assert(ends_with(listed_path(&doc, "inputs.warnings", 999), "/w0999.log"));
    cfs_json_doc_free(&doc);
    tu_rmrf(dir);
    free(dir);
}

/* Every gzip decoder (libdeflate whole-file, zlib streaming, ISA-L streaming) gives the
 * same counts on good, multi-member, truncated and corrupt input. */
Test(formats, every_gzip_decoder_agrees)
{
    char *dir = tu_mkdtemp();
    int n = 9000;
    char *body = make_log(n, 1);
    size_t len = strlen(body), g1n, g2n;
    size_t cut = len / 3 + 11;
    unsigned char *g1 = tu_gzip(body, cut, &g1n);
    unsigned char *g2 = tu_gzip(body + cut, len - cut, &g2n);
    unsigned char *mm = malloc(g1n + g2n);
    memcpy(mm, g1, g1n);
    memcpy(mm + g1n, g2, g2n);
    char *multi = tu_write(dir, "multi.gz", mm, g1n + g2n);
    char *trunc = tu_write(dir, "trunc.gz", mm, g1n + g2n / 2);
    for (size_t i = g1n + g2n / 3; i < g1n + g2n / 3 + 32; i++) mm[i] ^= 0xa5;
    char *corrupt = tu_write(dir, "corrupt.gz", mm, g1n + g2n);
    static const cfs_gz_mode modes[] = {CFS_GZ_LIBDEFLATE, CFS_GZ_ZLIB, CFS_GZ_ISAL};
    uint64_t trunc_lines[3], corrupt_lines[3];
    for (int m = 0; m < 3; m++) {
        cfs_inputs in;
        memset(&in, 0, sizeof in);
        cfs_inputs_add(&in, multi, CFS_NO_TIME, CFS_NO_TIME);
        cfs_inputs_add(&in, trunc, CFS_NO_TIME, CFS_NO_TIME);
        cfs_inputs_add(&in, corrupt, CFS_NO_TIME, CFS_NO_TIME);
        cfs_scan_opts o;
        memset(&o, 0, sizeof o);
        o.threads = 2;
        o.since = o.until = CFS_NO_TIME;
        o.gz = modes[m];
        cfs_scan_result r;
        cr_assert_eq(cfs_scan_run(&in, &o, &r), CFS_OK);
        for (size_t i = 0; i < in.n; i++) {
            const cfs_file_stats *f = &r.files[i];
            assert_nothing_lost(f);
            const char *name = strrchr(in.v[i].path, '/') + 1;
            if (!strcmp(name, "multi.gz")) {
                cr_assert_eq(f->status, CFS_OK, "mode %d: %s", m, f->error);
                cr_assert_eq(f->aggregated, (uint64_t)n, "mode %d", m);
            } else if (!strcmp(name, "trunc.gz")) {
                cr_assert_eq(f->status, CFS_E_TRUNCATED, "mode %d: %d %s", m, f->status, f->error);
                cr_assert(f->aggregated >= (uint64_t)n / 3 - 1 && f->aggregated < (uint64_t)n, "mode %d", m);
                trunc_lines[m] = f->aggregated;
            } else {
                cr_assert_eq(f->status, CFS_E_CORRUPT, "mode %d: %d %s", m, f->status, f->error);
                corrupt_lines[m] = f->aggregated;
            }
        }
        cfs_scan_result_free(&r);
        cfs_inputs_free(&in);
    }
    /* the first member is intact in both damaged files: at least its lines always count */
    for (int m = 0; m < 3; m++) {
        cr_assert_geq(trunc_lines[m], (uint64_t)n / 3 - 1);
        cr_assert_geq(corrupt_lines[m], (uint64_t)n / 3 - 1);
    }
    free(body);
    free(mm);
    tu_rmrf(dir);
}
