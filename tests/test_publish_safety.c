/* Publishing a summary directory safely (issue 18, items 1, 7, 11, 12), driven through the
 * built `cfscan`: a symlinked -o DIR is refused and its target left whole, foreign files
 * are never swept away, a FIFO at DIR/manifest.json does not hang the run, modes follow
 * the umask and the summary being replaced; and --redact-clients keeps every full client
 * address out of every output. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/json.h"
#include "pipeline/redact.h"
#include "tests/util.h"

#define HDR                                                                                              \
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem "    \
    "sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id " \
    "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher "             \
    "x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port "            \
    "time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start "      \
    "sc-range-end\n"

/* The client addresses of the log (c-ip), and the x-forwarded-for values, with what
 * --redact-clients must turn each into (IPv4 /24, IPv6 /48, worked out by hand). */
static const char *const k_ips[] = {"192.0.2.17", "198.51.100.201", "2001:db8:85a3:7:8a2e:370:7334:1",
                                    "203.0.113.99"};
static const char *const k_red[] = {"192.0.2.0", "198.51.100.0", "2001:db8:85a3::", "203.0.113.0"};
static const char *const k_xff = "100.64.1.77, 2001:db8:aaaa:bbbb::5";

static char *g_dir, *g_log;

static void line(FILE *f, int i, const char *ip, int status, const char *drt)
{
    fprintf(
        f,
        "2026-11-01\t10:00:%02d\tFRA56-P2\t900\t%s\tGET\td1.cloudfront.net\t/v/%d.mp4\t%03d\t-\tcurl/8.0\t-\t-\t"
        "Error\tR%02d\twww.example.com\thttps\t120\t0.001\t%s\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tError\t"
        "HTTP/1.1\t-\t-\t5555\t0.001\t%s\ttext/html\t500\t-\t-\n",
        i % 60, ip, i, status, i, k_xff, drt);
}

static void setup(void)
{
    g_dir = tu_mkdtemp();
    char p[1024];
    snprintf(p, sizeof p, "%s/log.txt", g_dir);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(HDR, f);
    /* every address is a blocked (geo) client, so each one is a top client of the cause */
    for (int i = 0; i < 40; i++) line(f, i, k_ips[i % 4], 403, "ClientGeoBlocked");
    line(f, 41, k_ips[0], 200, "Hit");
    fclose(f);
    g_log = strdup(p);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_log);
}

TestSuite(publish, .init = setup, .fini = teardown, .timeout = 60);

/* Run cfscan with ARGS (a shell fragment) after `umask U` in DIR's parent; exit status. */
static int cfscan(const char *umask_s, const char *args, char **out, char **err)
{
    char cmd[16384];
    /* The kill guard only ends a hung child (Criterion's .timeout fails the test first);
     * it asserts no time. */
    snprintf(cmd, sizeof cmd, "cd '%s' && umask %s && timeout -s KILL 50 %s %s", g_dir, umask_s,
             tu_prog("cfscan"), args);
    return tu_run(cmd, out, err);
}

static const char *const k_files[] = {"traffic.parquet",  "latency.parquet",     "distinct_clients.parquet",
                                      "top_uris.parquet", "top_clients.parquet", "waf_rules.parquet",
                                      "inputs.parquet",   "report.txt",          "report.json",
                                      "manifest.json",    "state.cfs",           NULL};

static char *at(const char *name)
{
    static char p[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
    return p[k];
}

static void assert_whole_summary(const char *name)
{
    for (int i = 0; k_files[i]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", at(name), k_files[i]);
        struct stat st;
        cr_assert(stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0, "%s missing or empty", p);
    }
}

static size_t count_tmp(const char *name)
{
    char pat[1200];
    snprintf(pat, sizeof pat, "%s.tmp-*", at(name));
    glob_t gl;
    size_t n = glob(pat, 0, NULL, &gl) == 0 ? gl.gl_pathc : 0;
    globfree(&gl);
    return n;
}

static void scan_ok(const char *umask_s, const char *dir)
{
    char args[1200], *err;
    snprintf(args, sizeof args, "scan -q log.txt -o %s >/dev/null", dir);
    int rc = cfscan(umask_s, args, NULL, &err);
    cr_assert_eq(rc, 0, "scan -o %s: exit %d: %s", dir, rc, err);
    free(err);
}

/* ---- item 1: a symlinked output directory ---------------------------------------------------- */
Test(publish, symlink_to_summary_is_refused_and_target_kept)
{
    scan_ok("022", "real");
    cr_assert_eq(symlink("real", at("link")), 0);
    char *err;
    int rc = cfscan("022", "scan -q log.txt -o link >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d (want 2, usage): %s", rc, err);
    cr_assert(strstr(err, "link") && strstr(err, "symbolic link"), "message names DIR and why: %s", err);
    cr_assert(strstr(err, "target"), "message says to pass the target: %s", err);
    free(err);
    assert_whole_summary("real");
    struct stat st;
    cr_assert(lstat(at("link"), &st) == 0 && S_ISLNK(st.st_mode), "the link itself is left alone");
    cr_assert_eq(count_tmp("link"), 0, "no temporary directory left");
    cr_assert_eq(count_tmp("real"), 0, "no temporary directory left");
}

Test(publish, merge_into_symlink_is_refused)
{
    scan_ok("022", "a");
    cr_assert_eq(symlink("a", at("alink")), 0);
    char *err;
    int rc = cfscan("022", "merge -q a -o alink >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "alink"), "%s", err);
    free(err);
    assert_whole_summary("a");
}

/* A symlink to a directory that is no summary is refused the same way (the rule is about
 * the link, not where it points). */
Test(publish, symlink_to_empty_dir_is_refused)
{
    cr_assert_eq(mkdir(at("empty"), 0755), 0);
    cr_assert_eq(symlink("empty", at("elink")), 0);
    char *err;
    int rc = cfscan("022", "scan -q log.txt -o elink >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
    free(err);
    DIR *d = opendir(at("empty"));
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    cr_assert_eq(n, 0, "nothing written through the link");
}

/* ---- item 11: foreign files in a summary directory ------------------------------------------ */
Test(publish, foreign_file_in_summary_is_refused)
{
    scan_ok("022", "sum");
    cr_assert_not_null(tu_write_str(at("sum"), "my-notes.txt", "keep me\n"));
    char *err;
    int rc = cfscan("022", "scan -q log.txt -o sum >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d (want 2): %s", rc, err);
    cr_assert(strstr(err, "sum") && strstr(err, "my-notes.txt"), "names DIR and the entry: %s", err);
    free(err);
    char *notes = tu_read(at("sum/my-notes.txt"), NULL);
    cr_assert(notes && strcmp(notes, "keep me\n") == 0, "the user's file stays where it was");
    free(notes);
    assert_whole_summary("sum");
    cr_assert_eq(count_tmp("sum"), 0, "no temporary directory left");
}

/* A plain republish (nothing foreign) still replaces the summary. */
Test(publish, republish_replaces_summary)
{
    scan_ok("022", "again");
    scan_ok("022", "again");
    assert_whole_summary("again");
    cr_assert_eq(count_tmp("again"), 0);
}

/* ---- item 7: a FIFO at DIR/manifest.json ----------------------------------------------------- */
Test(publish, fifo_manifest_does_not_hang, .timeout = 30)
{
    cr_assert_eq(mkdir(at("fifo"), 0755), 0);
    cr_assert_eq(mkfifo(at("fifo/manifest.json"), 0644), 0);
    char *err;
    int rc = cfscan("022", "scan -q log.txt -o fifo >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d (want 2): %s", rc, err);
    cr_assert(strstr(err, "fifo") && strstr(err, "manifest.json"), "message: %s", err);
    free(err);
    struct stat st;
    cr_assert(lstat(at("fifo/manifest.json"), &st) == 0 && S_ISFIFO(st.st_mode), "FIFO left alone");
}

/* ---- item 12: modes ------------------------------------------------------------------------ */
static mode_t mode_of(const char *p)
{
    struct stat st;
    cr_assert_eq(lstat(p, &st), 0, "%s", p);
    return st.st_mode & 07777;
}

static void assert_modes(const char *name, mode_t dmode, mode_t fmode)
{
    cr_assert_eq(mode_of(at(name)), dmode, "%s: mode %o, want %o", name, mode_of(at(name)), dmode);
    for (int i = 0; k_files[i]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", at(name), k_files[i]);
        cr_assert_eq(mode_of(p), fmode, "%s: mode %o, want %o", p, mode_of(p), fmode);
    }
}

Test(publish, new_summary_honours_umask)
{
    scan_ok("077", "private");
    assert_modes("private", 0700, 0600);
    scan_ok("027", "group");
    assert_modes("group", 0750, 0640);
    scan_ok("022", "public");
    assert_modes("public", 0755, 0644);
}

Test(publish, republish_keeps_hardened_modes)
{
    scan_ok("022", "hard");
    cr_assert_eq(chmod(at("hard"), 0700), 0);
    for (int i = 0; k_files[i]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", at("hard"), k_files[i]);
        cr_assert_eq(chmod(p, 0600), 0);
    }
    scan_ok("022", "hard");
    assert_modes("hard", 0700, 0600);
    /* and merge's -o keeps them too */
    char *err;
    int rc = cfscan("022", "merge -q hard -o hard2 >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_assert_eq(chmod(at("hard2"), 0750), 0);
    rc = cfscan("000", "merge -q hard -o hard2 >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    assert_modes("hard2", 0750, 0644);
}

/* ---- item 12: --redact-clients --------------------------------------------------------------- */
static void assert_no_full_ip(const char *what, const char *bytes, size_t n)
{
    const char *full[] = {k_ips[0], k_ips[1], k_ips[2], k_ips[3], "100.64.1.77", "2001:db8:aaaa:bbbb::5",
                          /* the IPv6 address's host part must not survive in any spelling */
                          "8a2e:370:7334", NULL};
    for (int i = 0; full[i]; i++)
        cr_assert_null(memmem(bytes, n, full[i], strlen(full[i])), "%s holds the full address %s", what,
                       full[i]);
}

static void assert_file_clean(const char *path)
{
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *b = NULL;
    size_t cap = 0;
    for (;;) {
        if (n == cap) b = realloc(b, cap = cap ? cap * 2 : 65536);
        size_t k = fread(b + n, 1, cap - n, f);
        if (!k) break;
        n += k;
    }
    fclose(f);
    assert_no_full_ip(path, b, n);
    free(b);
}

static int manifest_flag(const char *name)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/manifest.json", at(name));
    char *m = tu_read(p, NULL);
    cr_assert_not_null(m, "%s", p);
    int r = strstr(m, "\"clients_redacted\": true") ? 1 : strstr(m, "\"clients_redacted\": false") ? 0 : -1;
    free(m);
    cr_assert_neq(r, -1, "%s has no clients_redacted", p);
    return r;
}

static double distinct_clients(const char *json)
{
    cfs_json_doc d;
    memset(&d, 0, sizeof d);
    char e[256];
    cr_assert_eq(cfs_json_parse(&d, json, strlen(json), e, sizeof e), 0, "json: %s", e);
    double v = -1;
    cr_assert(
        cfs_json_num(cfs_json_path(cfs_json_root(&d), "forbidden.distributions.0.causes.0.distinct_clients"),
                     &v),
        "no distinct_clients in %s", json);
    cfs_json_doc_free(&d);
    return v;
}

Test(publish, redact_clients_scan_outputs)
{
    char *out, *err;
    int rc = cfscan("022", "scan -q log.txt --redact-clients --format json -o red", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(err);
    assert_no_full_ip("scan --format json", out, strlen(out));
    for (int i = 0; i < 4; i++) cr_assert(strstr(out, k_red[i]), "json lacks %s: %s", k_red[i], out);
    /* the distinct count still hashes the full address: 4 clients, as without the option */
    cr_assert_eq(distinct_clients(out), 4.0);
    free(out);
    rc = cfscan("022", "scan -q log.txt --format json", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(distinct_clients(out), 4.0);
    cr_assert(strstr(out, k_ips[1]), "without the option the address is kept");
    free(out);
    free(err);
    rc = cfscan("022", "scan -q log.txt --redact-clients", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    assert_no_full_ip("scan text", out, strlen(out));
    cr_assert(strstr(out, k_red[2]), "text lacks %s: %s", k_red[2], out);
    free(out);
    free(err);

    for (int i = 0; k_files[i]; i++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", at("red"), k_files[i]);
        assert_file_clean(p);
    }
    cr_assert_eq(manifest_flag("red"), 1);

    /* state.cfs is zstd inside: read it back through merge, whose report comes from it */
    rc = cfscan("022", "merge -q red --format json -o redm", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    assert_no_full_ip("merge of the redacted state", out, strlen(out));
    for (int i = 0; i < 4; i++) cr_assert(strstr(out, k_red[i]), "merge lacks %s", k_red[i]);
    free(out);
    free(err);

    /* Parquet strings are compressed: read top_clients with DuckDB */
    char nm[1024];
    snprintf(nm, sizeof nm, "%s/tests/js/node_modules/@duckdb/node-api", CFS_SOURCE_DIR);
    struct stat st;
    cr_assert(stat(nm, &st) == 0, "DuckDB reader missing: run `npm ci --prefix tests/js`");
    char cmd[3000];
    snprintf(cmd, sizeof cmd,
             "node %s/tests/js/summary_sql.mjs duckdb \"SELECT DISTINCT value FROM '%s/top_clients.parquet' "
             "ORDER BY value\"",
             CFS_SOURCE_DIR, at("red"));
    rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "duckdb: %s", err);
    cr_assert_str_eq(out, "[[\"192.0.2.0\"],[\"198.51.100.0\"],[\"2001:db8:85a3::\"],[\"203.0.113.0\"]]\n");
    free(out);
    free(err);
}

Test(publish, redact_clients_requests_rows)
{
    char *out, *err;
    int rc = cfscan("022", "requests -q log.txt --redact-clients", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    assert_no_full_ip("requests", out, strlen(out));
    cr_assert(strstr(out, "\t203.0.113.0\t"), "%s", out);
    free(out);
    free(err);
    rc = cfscan("022", "requests -q log.txt --redact-clients --status 200 --fields c-ip,x-forwarded-for",
                &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert_str_eq(out, "c-ip\tx-forwarded-for\tcause\tevidence\trule\tcandidates\n"
                          "192.0.2.0\t100.64.1.0,2001:db8:aaaa::\tnone\tnone\tnot_403\t-\n");
    free(out);
    free(err);
    /* the --ip filter still matches the full address */
    rc = cfscan("022", "requests -q log.txt --redact-clients --ip 198.51.100.201 --fields c-ip", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_str_eq(out, "c-ip\tcause\tevidence\trule\tcandidates\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n"
                          "198.51.100.0\tgeo_restriction\tconfirmed\tdrt_client_geo_blocked\t-\n");
    free(out);
    free(err);
}

Test(publish, merge_keeps_redacted_flag_only_if_all_inputs_are)
{
    char *err;
    int rc = cfscan("022", "scan -q log.txt --redact-clients -o r1 >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    /* u1 reads a copy under another name: merge refuses to count one input twice (issue 13) */
    char cp[2048];
    snprintf(cp, sizeof cp, "cp '%s/log.txt' '%s/log-copy.txt'", g_dir, g_dir);
    cr_assert_eq(tu_run(cp, NULL, NULL), 0);
    rc = cfscan("022", "scan -q log-copy.txt -o u1 >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_assert_eq(manifest_flag("u1"), 0);
    /* --dedupe: r1 twice would share its inputs (issue 13: refused without it) */
    rc = cfscan("022", "merge -q r1 r1 --dedupe -o mr >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_assert_eq(manifest_flag("mr"), 1);
    rc = cfscan("022", "merge -q r1 u1 -o mu >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_assert_eq(manifest_flag("mu"), 0);

    /* a long argument line (recorded in the manifest) does not hide the flag */
    char args[8192] = "scan -q --redact-clients -o r2";
    for (int k = 0; k < 3; k++) {
        strcat(args, " ");
        for (int i = 0; i < 1000; i++) strcat(args, "./");
        strcat(args, "log.txt");
    }
    strcat(args, " >/dev/null");
    rc = cfscan("022", args, NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_assert_eq(manifest_flag("r2"), 1);
    rc = cfscan("022", "merge -q r2 r1 --dedupe -o mr2 >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    cr_assert_eq(manifest_flag("mr2"), 1);
}

/* The redaction function itself, on cases worked out by hand. */
static void red(const char *in, const char *want)
{
    char out[CFS_REDACT_MAX];
    memset(out, 'X', sizeof out);
    size_t n = cfs_redact_ip(in, strlen(in), out);
    cr_assert_str_eq(out, want, "redact(\"%s\")", in);
    cr_assert_eq(n, strlen(want));
}

Test(redact, ipv4_keeps_the_slash_24)
{
    red("192.0.2.17", "192.0.2.0");
    red("255.255.255.255", "255.255.255.0");
    red("10.0.0.0", "10.0.0.0");
}

Test(redact, ipv6_keeps_the_slash_48)
{
    red("2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::");
    red("2001:DB8:85A3:1:2:3:4:5", "2001:db8:85a3::");
    red("2001:db8::1", "2001:db8:0::");
    red("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff::");
    /* the IPv4 address inside a mapped one lies past /48: all of it goes */
    red("::ffff:192.0.2.17", "0:0:0::");
    red("::1", "0:0:0::");
}

Test(redact, no_value_and_garbage)
{
    red("-", "-");
    red("", "-");
    red("garbage", "redacted");
    red("192.0.2.17:443", "redacted"); /* not an address: never echoed */
    red("192.0.2.17 ", "redacted");
    red("1.2.3.4.5", "redacted");
    red("fe80::1%eth0", "redacted");
    red("192.0.2.1700000000000000000000000000000000000000000000000000", "redacted");
    char nul[] = {'1', '.', '2', 0, '3'};
    char out[CFS_REDACT_MAX];
    cfs_redact_ip(nul, sizeof nul, out);
    cr_assert_str_eq(out, "redacted");
}

Test(redact, forwarded_for_lists)
{
    const char *in = "100.64.1.77, 2001:db8:aaaa:bbbb::5,junk,-";
    char *out = malloc(cfs_redact_list_cap(in, strlen(in)));
    size_t n = cfs_redact_ip_list(in, strlen(in), out);
    cr_assert_str_eq(out, "100.64.1.0,2001:db8:aaaa::,redacted,-");
    cr_assert_eq(n, strlen(out));
    n = cfs_redact_ip_list("", 0, out);
    cr_assert_str_eq(out, "-");
    free(out);
}

/* CloudFront logs the space after a comma percent-encoded (reference §1.3: space is
 * %20; %2520 in logs written before 2020, TAB %09): it is a blank around the item, as a
 * raw space is, not part of the address, which would otherwise become "redacted".  The
 * comma, or a "%2C" separating the items, stays as it came. */
static void red_list(const char *in, const char *want)
{
    char *out = malloc(cfs_redact_list_cap(in, strlen(in)));
    size_t n = cfs_redact_ip_list(in, strlen(in), out);
    cr_assert_str_eq(out, want, "%s", in);
    cr_assert_eq(n, strlen(want), "%s", in);
    free(out);
}

Test(redact, forwarded_for_lists_with_encoded_spaces)
{
    red_list("203.0.113.9,%20198.51.100.7", "203.0.113.0,198.51.100.0");
    red_list("203.0.113.9, 198.51.100.7", "203.0.113.0,198.51.100.0");
    red_list("%20203.0.113.9%20,%2520198.51.100.7%09", "203.0.113.0,198.51.100.0");
    red_list("2001:db8:aaaa:bbbb::5,%202001:db8:cccc::1", "2001:db8:aaaa::,2001:db8:cccc::");
    red_list("203.0.113.9%2C%20198.51.100.7", "203.0.113.0%2C198.51.100.0");
    red_list("203.0.113.9%2c198.51.100.7,192.0.2.1", "203.0.113.0%2c198.51.100.0,192.0.2.0");
    red_list("%20", "-");
    /* a percent-escape that is not a blank is part of the item: not an address */
    red_list("203.0.113.9,%41198.51.100.7", "203.0.113.0,redacted");
}

/* ---- the output's parent -------------------------------------------------------------------- */
/* The README's nightly job writes -o days/DATE and merges -o months/MONTH on a fresh
 * machine: the missing parents are made before any input is read.  A parent that cannot
 * be made is refused then too (2), naming it, and nothing is written. */
Test(publish, missing_parents_are_made_first)
{
    scan_ok("022", "days/2026-12-03");
    assert_whole_summary("days/2026-12-03");
    struct stat st;
    cr_assert(stat(at("days"), &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755,
              "the parent follows the umask");
    char *err;
    int rc = cfscan("022", "merge -q days/2026-12-03 -o months/2026-12 >/dev/null", NULL, &err);
    cr_assert_eq(rc, 0, "merge: exit %d: %s", rc, err);
    free(err);
    assert_whole_summary("months/2026-12");
    /* a regular file where a parent would go: refused before the scan (its message is
     * the one a missing input would add after it otherwise) */
    free(tu_write_str(g_dir, "plainfile", "x"));
    rc = cfscan("022", "scan -q log.txt nosuchinput -o plainfile/sub/x >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d (want 2, usage): %s", rc, err);
    cr_assert(strstr(err, "plainfile/sub") && strstr(err, "parent"), "names the parent: %s", err);
    cr_assert_null(strstr(err, "nosuchinput"), "refused before any input is read: %s", err);
    free(err);
    /* "new/." and "new/.." are not a directory's own name: refused first, nothing made */
    rc = cfscan("022", "scan -q log.txt -o newq/. >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d (want 2, usage): %s", rc, err);
    free(err);
    rc = cfscan("022", "scan -q log.txt -o newp/.. >/dev/null", NULL, &err);
    cr_assert_eq(rc, 2, "exit %d (want 2, usage): %s", rc, err);
    free(err);
    struct stat st2;
    cr_assert(stat(at("newq"), &st2) != 0 && stat(at("newp"), &st2) != 0, "nothing was made");
}
