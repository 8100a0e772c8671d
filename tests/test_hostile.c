/* Safe output under hostile bytes: terminal escapes, control bytes, quotes, backslashes,
 * invalid UTF-8 and C1 controls in every printed field (edge, URI, client IP, user agent,
 * request id) and in file names must not reach a terminal, break a TSV row or make the
 * JSON invalid, through `cfscan scan` (text, JSON, summary files) and `cfscan requests`.
 * Also replays the fuzzers' regression inputs (tests/regress/<target>/) through the same
 * entry points the fuzz targets use. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "pipeline/config.h"
#include "pipeline/decode.h"
#include "pipeline/json.h"
#include "pipeline/scan.h"
#include "pipeline/summary.h"
#include "pipeline/waf.h"
#include "tests/util.h"

#define F15 \
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id\n"

/* Values that would do harm if printed raw.  None holds TAB or LF (CloudFront fields
 * cannot: they are the separators), everything else is fair game. */
static const char *const k_hostile[] = {
    "\x1b[31mRED\x1b[0m", /* ANSI colour */
    "\x1b]0;pwned\x07",   /* OSC: set the terminal title */
    "\x1b[2J\x1b[H",      /* clear screen, cursor home */
    "a\rb",               /* carriage return: overwrites the line */
    "bs\x08\x08\x7f",     /* backspace and DEL */
    "c1\xc2\x9b"
    "31m", /* UTF-8 C1 CSI (U+009B) */
    "raw\x9b"
    "31m\xff\xfe",                  /* raw 8-bit CSI and invalid UTF-8 */
    "q\"uote\\back\\\"slash",       /* JSON metacharacters */
    "nul\x01\x02\x1f",              /* other C0 controls */
    "over\xc0\xaf\xed\xa0\x80long", /* overlong '/' and a UTF-16 surrogate */
    "%1b%5b31m%0a%09%00",           /* percent-encoded controls */
    "rlo\xe2\x80\xaegpj.exe",       /* right-to-left override: shows as "exe.jpg" */
    "iso\xe2\x81\xa7x\xd8\x9cy",    /* right-to-left isolate, Arabic letter mark */
};
#define NHOSTILE (sizeof k_hostile / sizeof k_hostile[0])

/* The log: one 403 line per hostile value, the value in edge, URI, c-ip, UA and
 * request id (so top lists and the `requests` rows carry them). */
static char *hostile_log(size_t *n)
{
    size_t cap = 1 << 16, o = 0;
    char *b = malloc(cap);
    o += (size_t)snprintf(b, cap, "%s", F15);
    for (size_t i = 0; i < NHOSTILE; i++) {
        const char *h = k_hostile[i];
        o += (size_t)snprintf(
            b + o, cap - o,
            "2026-11-01\t10:00:%02zu\tE%s\t512\t%s\tGET\td1.cloudfront.net\t/%s\t403\t-\tUA%s\t-\t-\tError\tR%s\n",
            i, h, h, h, h, h);
    }
    *n = o;
    return b;
}

/* No byte a terminal acts on: C0 other than TAB/LF, DEL, raw 8-bit C1, the UTF-8 C1
 * range, and no byte sequence that is not valid UTF-8. */
static void assert_terminal_safe(const char *what, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        cr_assert(!((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f),
                  "%s: control byte 0x%02x at %zu: ...%.40s", what, c, i, s + (i > 20 ? i - 20 : 0));
        if (c < 0x80) {
            i++;
            continue;
        }
        /* a valid UTF-8 sequence (no overlong, no surrogates) and not U+0080..U+009F */
        size_t l = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        cr_assert(l && i + l <= n, "%s: invalid UTF-8 lead 0x%02x at %zu", what, c, i);
        for (size_t k = 1; k < l; k++)
            cr_assert((u[i + k] & 0xc0) == 0x80, "%s: bad continuation at %zu", what, i + k);
        cr_assert(!(c == 0xc2 && u[i + 1] < 0xa0), "%s: C1 control at %zu", what, i);
        /* nor a bidi control (U+061C, U+200E/F, U+202A..E, U+2066..9): it reorders what
         * follows, so a value could show as another */
        cr_assert(!(c == 0xd8 && u[i + 1] == 0x9c) &&
                      !(c == 0xe2 && u[i + 1] == 0x80 &&
                        (u[i + 2] == 0x8e || u[i + 2] == 0x8f || (u[i + 2] >= 0xaa && u[i + 2] <= 0xae))) &&
                      !(c == 0xe2 && u[i + 1] == 0x81 && u[i + 2] >= 0xa6 && u[i + 2] <= 0xa9),
                  "%s: bidi control at %zu", what, i);
        cr_assert(!(c == 0xe0 && u[i + 1] < 0xa0) && !(c == 0xed && u[i + 1] >= 0xa0) &&
                      !(c == 0xf0 && u[i + 1] < 0x90),
                  "%s: overlong or surrogate at %zu", what, i);
        i += l;
    }
}

static char *g_dir, *g_log, *g_cfscan;

static void setup(void)
{
    g_dir = tu_mkdtemp();
    g_cfscan = tu_prog("cfscan");
    size_t n;
    char *b = hostile_log(&n);
    g_log = tu_write(g_dir, "E1HOSTILE.2026-11-01-10.abc", b, n);
    free(b);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
    free(g_log);
    free(g_cfscan);
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 120);

Test(hostile, every_line_is_accepted)
{
    /* otherwise the tests below would prove nothing about printing */
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, g_log, CFS_NO_TIME, CFS_NO_TIME);
    cfs_scan_opts o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.since = o.until = CFS_NO_TIME;
    cfs_scan_result r;
    cr_assert_eq(cfs_scan_run(&in, &o, &r), CFS_OK);
    cr_assert_eq(r.files[0].aggregated, NHOSTILE, "aggregated %llu of %zu",
                 (unsigned long long)r.files[0].aggregated, NHOSTILE);
    cfs_scan_result_free(&r);
    cfs_inputs_free(&in);
}

Test(hostile, text_report_and_stderr_are_terminal_safe)
{
    /* a hostile file name too: it is printed in the report's warnings and on stderr */
    char *evil = tu_write_str(g_dir, "empty\x1b[31m\x07\rname", "");
    char cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan --top 64 %s '%s' '%s/missing\x1b]0;t\x07'", g_cfscan, g_log, evil,
             g_dir);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 4, "missing input: exit 4, got %d", rc);
    assert_terminal_safe("text report", out, strlen(out));
    assert_terminal_safe("stderr", err, strlen(err));
    cr_assert(strstr(out, "RED") != NULL, "the hostile values are printed (made safe)");
    free(out);
    free(err);
    free(evil);
}

Test(hostile, json_parses_and_keeps_every_value)
{
    char cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan -q --top 64 --format json %s", g_cfscan, g_log);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    assert_terminal_safe("json", out, strlen(out));
    cfs_json_doc doc = {0};
    char jerr[128];
    cr_assert_eq(cfs_json_parse(&doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "invalid JSON: %s", jerr);
    const cfs_json *root = cfs_json_root(&doc);
    cr_assert_eq(cfs_json_count(cfs_json_get(root, "by_edge")), NHOSTILE, "one edge per hostile value");
    const cfs_json *c0 = cfs_json_at(
        cfs_json_get(cfs_json_at(cfs_json_path(root, "forbidden.distributions"), 0), "causes"), 0);
    cr_assert_eq(cfs_json_count(cfs_json_path(c0, "top_uris.items")), NHOSTILE);
    cr_assert_eq(cfs_json_count(cfs_json_path(c0, "top_clients.items")), NHOSTILE);
    /* a value of plain ASCII with JSON metacharacters comes back exactly */
    int found = 0;
    for (const cfs_json *it = cfs_json_first(cfs_json_path(c0, "top_uris.items")); it; it = cfs_json_next(it))
        if (!strcmp(cfs_json_str(cfs_json_get(it, "value")), "/q\"uote\\back\\\"slash")) found = 1;
    cr_assert(found, "the quote/backslash URI round-trips through the JSON");
    cfs_json_doc_free(&doc);
    free(out);
    free(err);
}

Test(hostile, requests_rows_keep_their_columns)
{
    char cmd[4096], *out, *err;
    snprintf(
        cmd, sizeof cmd,
        "%s requests -q %s --fields 'distribution,x-edge-location,c-ip,cs-uri-stem,cs(User-Agent),x-edge-request-id'",
        g_cfscan, g_log);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    assert_terminal_safe("requests", out, strlen(out));
    /* header + one row per line, each with 6 fields + cause, evidence, rule, candidates = 9 TABs */
    size_t rows = 0;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        cr_assert(nl, "the output ends with LF");
        size_t tabs = 0;
        for (char *p = line; p < nl; p++) tabs += *p == '\t';
        cr_assert_eq(tabs, 9, "row %zu has %zu TABs: %.*s", rows, tabs, (int)(nl - line), line);
        rows++;
        line = nl + 1;
    }
    cr_assert_eq(rows, 1 + NHOSTILE);
    free(out);
    free(err);
}

Test(hostile, summary_files_are_safe_and_valid)
{
    char cmd[4096], *err;
    snprintf(cmd, sizeof cmd, "%s scan -q %s -o %s/sum", g_cfscan, g_log, g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "%s", err);
    free(err);
    static const char *const files[] = {"report.txt", "report.json", "manifest.json"};
    for (int i = 0; i < 3; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s/sum/%s", g_dir, files[i]);
        size_t n;
        char *s = tu_read(p, &n);
        cr_assert(s, "%s missing", p);
        assert_terminal_safe(files[i], s, n);
        if (i) {
            cfs_json_doc doc = {0};
            char jerr[128];
            cr_assert_eq(cfs_json_parse(&doc, s, n, jerr, sizeof jerr), CFS_OK, "%s: %s", files[i], jerr);
            cfs_json_doc_free(&doc);
        }
        free(s);
    }
}

/* The HTML report (issue 15) of the same lines, printed and in the summary: no byte a
 * terminal acts on, valid UTF-8 (invalid bytes become U+FFFD), and the quote and backslash
 * value escaped for an attribute, never raw.  The markup-injection lines are in
 * test_html_report.c, which opens the page in a browser. */
Test(hostile, html_report_is_safe)
{
    char cmd[4096], *out, *err;
    snprintf(cmd, sizeof cmd, "%s scan -q --top 64 %s --format html -o %s/hsum", g_cfscan, g_log, g_dir);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    free(err);
    assert_terminal_safe("HTML report", out, strlen(out));
    cr_assert(strstr(out, "q&quot;uote\\back\\&quot;slash") != NULL,
              "the quoted value is not escaped: %.200s", out);
    cr_assert(strstr(out, "q\"uote") == NULL, "a raw double quote from the log");
    char p[600];
    snprintf(p, sizeof p, "%s/hsum/report.html", g_dir);
    size_t n;
    char *s = tu_read(p, &n);
    cr_assert(s && n == strlen(out) && memcmp(s, out, n) == 0, "report.html is not the printed page");
    free(s);
    free(out);
}

/* ---- fuzzers' regression inputs ---------------------------------------------------------- */
/* Each file under tests/regress/<target>/ once crashed or hung the fuzz target of that
 * name; here it goes through the same entry point (without libFuzzer), under whatever
 * sanitizer this suite is built with.  The assertion is that it returns at all, with the
 * nothing-lost invariant for scans. */
static void replay(const char *target, const char *path)
{
    char err[512];
    if (!strcmp(target, "fuzz_fields") || !strcmp(target, "fuzz_decode")) {
        cfs_inputs in;
        memset(&in, 0, sizeof in);
        cfs_inputs_add(&in, path, CFS_NO_TIME, CFS_NO_TIME);
        for (int split = 0; split < 2; split++) {
            cfs_scan_opts o;
            memset(&o, 0, sizeof o);
            o.threads = 2;
            o.since = o.until = CFS_NO_TIME;
            o.big_file = split;
            cfs_scan_result r;
            cr_assert_eq(cfs_scan_run(&in, &o, &r), CFS_OK);
            for (size_t i = 0; i < r.nfiles; i++) {
                const cfs_file_stats *f = &r.files[i];
                uint64_t rej = 0;
                for (int k = 0; k < CFS_REJ_COUNT; k++) rej += f->rejected[k];
                cr_assert_eq(f->lines, f->header_lines + f->blank_lines + f->aggregated + f->filtered + rej,
                             "%s", path);
            }
            cfs_scan_result_free(&r);
        }
        cfs_inputs_free(&in);
    } else if (!strcmp(target, "fuzz_config")) {
        cfs_config_set set;
        memset(&set, 0, sizeof set);
        (void)cfs_config_load(&set, path, err, sizeof err);
        cfs_config_free(&set);
    } else if (!strcmp(target, "fuzz_waf")) {
        cfs_waf_index *w = NULL;
        const char *paths[1] = {path};
        (void)cfs_waf_load(&w, paths, 1, CFS_NO_TIME, CFS_NO_TIME, err, sizeof err);
        cfs_waf_free(w);
    } else if (!strcmp(target, "fuzz_state") || !strcmp(target, "fuzz_merge")) {
        /* the fuzzer's bytes are the payload: wrap them as fuzz_state.c and fuzz_merge.c
         * do (header, zstd frame, checksum trailer), unless the first byte 0xFF says "raw
         * file" */
        size_t n = 0;
        char *in = tu_read(path, &n);
        cr_assert(in != NULL, "%s", path);
        size_t bound = ZSTD_compressBound(n);
        unsigned char *f = malloc(36 + bound);
        size_t fn;
        if (n && (unsigned char)in[0] == 0xff) {
            memcpy(f, in + 1, n - 1);
            fn = n - 1;
        } else {
            memcpy(f, "CFSSTATE", 8);
            for (int i = 0; i < 4; i++) f[8 + i] = (unsigned char)(CFS_SUMMARY_SCHEMA >> (8 * i));
            for (int i = 0; i < 8; i++) f[12 + i] = (unsigned char)((uint64_t)n >> (8 * i));
            size_t zn = ZSTD_compress(f + 20, bound, in, n, 1);
            cr_assert(!ZSTD_isError(zn));
            uint64_t h = cfs_hash_bytes(f, 20 + zn);
            memcpy(f + 20 + zn, "CFSSEND!", 8);
            for (int i = 0; i < 8; i++) f[28 + zn + i] = (unsigned char)(h >> (8 * i));
            fn = 36 + zn;
        }
        char *dir = tu_mkdtemp();
        char *sp = tu_write(dir, "state.cfs", f, fn);
        cfs_summary s;
        (void)cfs_state_read(&s, sp, err, sizeof err);
        cfs_summary_free(&s);
        tu_rmrf(dir);
        free(dir);
        free(sp);
        free(f);
        free(in);
    }
}

Test(regress, fuzz_inputs_replay)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/tests/regress", CFS_SOURCE_DIR);
    DIR *d = opendir(root);
    if (!d) cr_skip_test("regress: no tests/regress directory (no fuzz finding kept yet)");
    struct dirent *e;
    size_t n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char sub[1300];
        snprintf(sub, sizeof sub, "%s/%s", root, e->d_name);
        DIR *s = opendir(sub);
        if (!s) continue;
        struct dirent *f;
        while ((f = readdir(s)) != NULL) {
            if (f->d_name[0] == '.' || !strcmp(f->d_name, "README.md")) continue;
            char p[2600];
            snprintf(p, sizeof p, "%s/%s", sub, f->d_name);
            replay(e->d_name, p);
            n++;
        }
        closedir(s);
    }
    closedir(d);
    cr_log_info("replayed %zu regression inputs", n);
}

/* 200,000 empty gzip members, then one member with a header and one log line (4 MB).
 * gzip allows any number of members, empty ones included; the whole-file libdeflate
 * path once recursed once per empty member and overflowed the stack (segfault).  Every
 * decoder must read the file and agree: two lines, one request, exit 0. */
Test(hostile, many_empty_gzip_members_are_read_by_every_decoder)
{
    size_t en, ln;
    void *empty = tu_gzip("", 0, &en);
    static const char body[] = F15
        "2026-11-01\t10:00:00\tIAD89-C1\t512\t192.0.2.1\tGET\td1.cloudfront.net\t/x\t403\t-\tUA\t-\t-\tError\tR1\n";
    void *last = tu_gzip(body, sizeof body - 1, &ln);
    const size_t members = 200000;
    size_t total = members * en + ln;
    char *buf = malloc(total);
    cr_assert(buf);
    for (size_t i = 0; i < members; i++) memcpy(buf + i * en, empty, en);
    memcpy(buf + members * en, last, ln);
    char *gz = tu_write(g_dir, "E1EMPTY.2026-11-01-10.abc.gz", buf, total);
    free(buf);
    free(empty);
    free(last);
    static const char *const decoders[] = {"auto", "zlib", "isal"};
    for (size_t d = 0; d < 3; d++) {
        char cmd[4096], *out = NULL;
        snprintf(cmd, sizeof cmd, "%s scan '%s' --gzip-decoder %s --format json -q", g_cfscan, gz,
                 decoders[d]);
        int rc = tu_run(cmd, &out, NULL);
        cr_assert_eq(rc, 0, "%s decoder: exit %d", decoders[d], rc);
        cr_assert(out && strstr(out, "\"lines\":3,\"requests\":1,"), "%s decoder: %.300s", decoders[d],
                  out ? out : "(no output)");
        free(out);
    }
    free(gz);
}
