/* s3:// inputs (issue 14).  The signer is checked against botocore's S3SigV4Auth
 * (tests/s3_botocore_sign.py, python3-boto3); the credentials chain against the
 * environment, shared files and a stand-in IMDSv2 (tests/js/s3_imds.mjs).  End to end, the
 * built cfscan reads a bucket served by a real S3-compatible server, s3rver
 * (tests/js/s3_server.mjs), on 127.0.0.1 and a free port, directly or through a
 * fault-injecting proxy (tests/js/s3_fault_proxy.mjs) for what s3rver cannot do.  Every
 * server is stopped by its pid in the suite's fini, which Criterion runs on every path.
 *
 * Paging is exercised through the CFS_S3_PAGE_KEYS test hook (7 keys a page, so 48 objects
 * take 7 pages) rather than with more than 1000 objects, and CFS_S3_PART_SIZE=4096 makes
 * each object several ranged GETs. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/s3.h"
#include "tests/util.h"

#ifndef CFS_SOURCE_DIR
#error "CFS_SOURCE_DIR must name the source tree (CMake defines it for every test)"
#endif

#define SECRET "SeCrEt-42-do-not-print"
#define TOKEN "ToKeN-77-never-shown"

static char *g_dir;
static int g_pids[4];
static int g_npids;

static void setup(void) { g_dir = tu_mkdtemp(); }

static void teardown(void)
{
    /* servers are grandchildren (started by a shell with &): stopped by pid, waited for */
    for (int i = 0; i < g_npids; i++) {
        if (g_pids[i] <= 0) continue;
        kill(g_pids[i], SIGTERM);
        for (int k = 0; k < 60 && kill(g_pids[i], 0) == 0; k++) usleep(50000);
        if (kill(g_pids[i], 0) == 0) kill(g_pids[i], SIGKILL);
    }
    g_npids = 0;
    if (g_dir) tu_rmrf(g_dir);
    free(g_dir);
    g_dir = NULL;
}

TestSuite(s3, .init = setup, .fini = teardown, .timeout = 120);

static void need_node(void)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/tests/js/node_modules/s3rver/package.json", CFS_SOURCE_DIR);
    if (tu_sh(NULL, NULL, "node --version >/dev/null 2>&1") != 0 || access(p, R_OK) != 0)
        cr_skip("needs Node.js (package nodejs) and the npm package s3rver: npm ci --prefix tests/js");
}

/* Start `node tests/js/SCRIPT ARGS` in the background (its output to dir/NAME.log), and
 * wait for its port file dir/NAME.port.  Returns the port. */
static int start_node(const char *name, const char *script, const char *args)
{
    char *out = NULL;
    int rc = tu_sh(
        &out, NULL,
        "cd '%s/tests/js' && FORCE_COLOR=1 NODE_OPTIONS=--openssl-legacy-provider node %s --port-file "
        "'%s/%s.port' %s >'%s/%s.log' 2>&1 </dev/null & echo $!",
        CFS_SOURCE_DIR, script, g_dir, name, args, g_dir, name);
    cr_assert_eq(rc, 0);
    int pid = atoi(out);
    free(out);
    cr_assert_gt(pid, 0);
    g_pids[g_npids++] = pid;
    char pf[1024];
    snprintf(pf, sizeof pf, "%s/%s.port", g_dir, name);
    for (int i = 0; i < 400; i++) {
        char *s = tu_read(pf, NULL);
        if (s) {
            int port = atoi(s);
            free(s);
            if (port > 0) return port;
        }
        if (kill(pid, 0) != 0) break;
        usleep(50000);
    }
    char lf[1024];
    snprintf(lf, sizeof lf, "%s/%s.log", g_dir, name);
    char *log = tu_read(lf, NULL);
    cr_assert_fail("%s did not start: %s", script, log ? log : "(no log)");
    return 0;
}

/* g_dir/logs: cfsgen's 48 hourly files of 2 distributions; hour 05 as zstd, hour 06 plain. */
static void make_logs(void)
{
    char *err = NULL;
    int rc = tu_sh(
        NULL, &err,
        "cd '%s' && %s -o g --dists 2 --days 1 --lines-per-file 100 >/dev/null && mkdir logs && mv g/*.gz "
        "logs/ && cd logs && for f in *-05.*.gz; do gzip -dc $f | zstd -q -o ${f%%.gz}.zst && rm $f; done "
        "&& for f in *-06.*.gz; do gzip -dc $f > ${f%%.gz}.log && rm $f; done",
        g_dir, tu_prog("cfsgen"));
    cr_assert_eq(rc, 0, "making the logs: %s", err ? err : "");
    free(err);
}

/* s3rver serving g_dir/logs as s3://logs/cf/; its port. */
static int start_s3(void)
{
    need_node();
    char args[2048];
    snprintf(args, sizeof args, "--dir '%s/store' --bucket logs --upload '%s/logs' --prefix cf/", g_dir,
             g_dir);
    return start_node("s3rver", "s3_server.mjs", args);
}

static int start_proxy(int target, const char *faults)
{
    char args[2048];
    snprintf(args, sizeof args, "--target %d --log '%s/proxy.req' %s", target, g_dir, faults);
    return start_node("proxy", "s3_fault_proxy.mjs", args);
}

/* The environment of every cfscan run against the test server: fixed credentials, no
 * shared files, no instance metadata. */
#define ENV                                                                                        \
    "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 AWS_ACCESS_KEY_ID=S3RVER "      \
    "AWS_SECRET_ACCESS_KEY=" SECRET " AWS_SESSION_TOKEN=" TOKEN " AWS_EC2_METADATA_DISABLED=true " \
    "AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_REGION=us-east-1 "

/* cfscan scan over s3://logs/cf/ at port with extra (env settings first, then options):
 * exit status, stdout (JSON) and stderr. */
static int s3_scan(int port, const char *envx, const char *opts, char **out, char **err)
{
    return tu_sh(out, err,
                 "cd '%s' && " ENV
                 "%s %s scan --endpoint-url http://127.0.0.1:%d s3://logs/cf/ %s --format json",
                 g_dir, envx, tu_prog("cfscan"), port, opts);
}

static char *local_scan(const char *dir, int want, const char *opts)
{
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "cd '%s' && %s scan %s %s --format json", g_dir, tu_prog("cfscan"), dir, opts);
    cr_assert_eq(rc, want, "local scan: exit %d: %s", rc, err ? err : "");
    free(err);
    return out;
}

/* s with every "s3://logs/cf/" made "logs/" (malloc'd). */
static char *map_paths(const char *s)
{
    const char *from = "s3://logs/cf/", *to = "logs/";
    char *o = malloc(strlen(s) + 1);
    size_t n = 0;
    for (const char *p = s; *p;) {
        if (!strncmp(p, from, strlen(from))) {
            memcpy(o + n, to, strlen(to));
            n += strlen(to);
            p += strlen(from);
        } else {
            o[n++] = *p++;
        }
    }
    o[n] = 0;
    return o;
}

static long json_num(const char *js, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    cr_assert_not_null(p, "no %s in %s", key, js);
    return atol(p + strlen(pat));
}

/* How many lines of file name (in g_dir) contain every one of the NULL-terminated strings. */
static int count_lines(const char *name, ...)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    char *s = tu_read(path, NULL);
    if (!s) return 0;
    /* s3rver's log is coloured (FORCE_COLOR=1 keeps its lines whole): ESC [ ... m dropped */
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == 0x1b && s[i + 1] == '[') {
            i += 2;
            while (s[i] && s[i] != 'm') i++;
            if (!s[i]) break;
            continue;
        }
        s[o++] = s[i];
    }
    s[o] = 0;
    int n = 0;
    for (char *line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
        va_list ap;
        va_start(ap, name);
        int all = 1;
        for (const char *w; (w = va_arg(ap, const char *)) != NULL;)
            if (!strstr(line, w)) all = 0;
        va_end(ap);
        n += all;
    }
    free(s);
    return n;
}

/* The base name of the one file in g_dir/logs whose name holds pat (static buffer). */
static const char *log_named(const char *pat)
{
    static char name[256];
    char *out = NULL;
    cr_assert_eq(tu_sh(&out, NULL, "cd '%s/logs' && ls | grep -e '%s' | head -1", g_dir, pat), 0);
    cr_assert(out && *out, "no log file matches %s", pat);
    snprintf(name, sizeof name, "%s", out);
    name[strcspn(name, "\n")] = 0;
    free(out);
    return name;
}

/* ---- signing ------------------------------------------------------------------------------- */
static void check_sign(const char *host, const char *path, const char *query, const char *region,
                       const char *token)
{
    cfs_s3_creds c;
    memset(&c, 0, sizeof c);
    snprintf(c.access_key, sizeof c.access_key, "AKIDEXAMPLE");
    snprintf(c.secret_key, sizeof c.secret_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    cfs_s3_sigreq q = {"GET",
                       host,
                       path,
                       query,
                       "20261101T103000Z",
                       region,
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                       token};
    char auth[1024], canon[8192];
    cr_assert_eq(cfs_s3_sign(&q, &c, auth, sizeof auth, canon, sizeof canon), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_sh(
        &out, &err,
        "python3 '%s/tests/s3_botocore_sign.py' GET 'http://%s%s%s%s' %s 20261101T103000Z %s '%s' '%s'",
        CFS_SOURCE_DIR, host, path, *query ? "?" : "", query, region, c.access_key, c.secret_key,
        token ? token : "");
    if (rc != 0 && err && strstr(err, "No module named"))
        cr_skip("needs botocore (package python3-boto3) for the reference signer");
    cr_assert_eq(rc, 0, "botocore: %s", err ? err : "");
    char *sep = strstr(out, "\n----\n");
    cr_assert_not_null(sep);
    *sep = 0;
    char *ref_auth = sep + 6;
    ref_auth[strcspn(ref_auth, "\n")] = 0;
    cr_assert_str_eq(canon, out, "canonical request differs from botocore's");
    cr_assert_str_eq(auth, ref_auth, "Authorization differs from botocore's");
    free(out);
    free(err);
}

Test(s3, sigv4_matches_botocore)
{
    check_sign("127.0.0.1:4568", "/logs/", "list-type=2&max-keys=1000&prefix=cf%2F", "us-east-1", NULL);
    check_sign("examplebucket.s3.eu-west-3.amazonaws.com", "/",
               "list-type=2&max-keys=1000&prefix=", "eu-west-3", NULL);
    /* a continuation token (base64: + / =) and a session token */
    char q[256], enc[200];
    cr_assert_eq(cfs_s3_uri_encode("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=+", 0, enc, sizeof enc), 0);
    snprintf(q, sizeof q, "continuation-token=%s&list-type=2&max-keys=7&prefix=cf%%2F", enc);
    check_sign("127.0.0.1:9000", "/logs/", q, "ap-southeast-2", "FwoGZXIvYXdzEJr//////////wEaDOKEN=");
    /* a key with a space, a plus, a tilde and UTF-8 */
    char key[256];
    cr_assert_eq(
        cfs_s3_uri_encode("logs/a b+c~d/\xc3\xa9t\xc3\xa9/E2.2026-11-01-10.x.gz", 1, key, sizeof key), 0);
    char path[300];
    snprintf(path, sizeof path, "/bucket/%s", key);
    check_sign("s3.us-west-2.amazonaws.com", path, "", "us-west-2", NULL);
}

Test(s3, url_parse)
{
    char err[200], *b, *p;
    cr_assert_eq(cfs_s3_parse_url("s3://my-bucket/cf/logs/", &b, &p, err, sizeof err), CFS_OK);
    cr_assert_str_eq(b, "my-bucket");
    cr_assert_str_eq(p, "cf/logs/");
    free(b);
    free(p);
    cr_assert_eq(cfs_s3_parse_url("s3://my-bucket", &b, &p, err, sizeof err), CFS_OK);
    cr_assert_str_eq(p, "");
    free(b);
    free(p);
    cr_assert_eq(cfs_s3_parse_url("s3://", &b, &p, err, sizeof err), CFS_E_USAGE);
    cr_assert_eq(cfs_s3_parse_url("s3://a b/x", &b, &p, err, sizeof err), CFS_E_USAGE);
}

Test(s3, unreachable_endpoint_is_an_input_error)
{
    /* a port nothing listens on: bound, then closed */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(ntohs(a.sin_port), "", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "s3://logs/cf/") && strstr(err, "connection error") && strstr(err, "(4 tries)"),
              "%s", err);
    cr_assert(!strstr(err, SECRET) && !strstr(err, TOKEN));
    free(out);
    free(err);
}

/* The bucket is asked its region also when one is configured; a server that never
 * answers that HEAD costs 5 s, then the configured region is used (it waited out the
 * 30 s stall limit). */
Test(s3, an_unanswered_region_question_costs_five_seconds)
{
    make_logs();
    int pp = start_proxy(start_s3(), "--stall-head 1");
    char *out = NULL, *err = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = s3_scan(pp, "", "--since 2026-11-01T10:00 --until 2026-11-01T11:00", &out, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert(s < 20, "%.1f s", s);
    cr_assert_eq(count_lines("proxy.req", "GET", " us-east-1 ", NULL), 3);
    free(out);
    free(err);
}

/* An endpoint URL with a path, a query or a fragment is refused with what is wrong,
 * before any request: the path was dropped, and the requests went to the host alone.
 * Given as --endpoint-url it is a bad value (exit 2); from the environment, the input's
 * error (exit 4).  So is an s3:// URL that names no bucket. */
Test(s3, endpoint_url_with_a_path_is_refused)
{
    static const char *const bad[] = {"http://127.0.0.1:9/prefix",
                                      "http://127.0.0.1:9?x=1",
                                      "http://127.0.0.1:9/#f",
                                      "ftp://127.0.0.1:9",
                                      "http://127.0.0.1:99999",
                                      "http://user@127.0.0.1:9",
                                      "http://::1",
                                      "http://[::1:9000",
                                      "http://h]:80",
                                      "http://["};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_sh(&out, &err,
                       "cd '%s' && " ENV "%s scan --endpoint-url '%s' s3://logs/cf/ --format json", g_dir,
                       tu_prog("cfscan"), bad[i]);
        cr_assert_eq(rc, 2, "%s: exit %d: %s", bad[i], rc, err);
        cr_assert(strstr(err, "bad --endpoint-url") && strstr(err, bad[i]) && strstr(err, "no path"), "%s",
                  err);
        cr_assert_str_empty(out, "%s", out);
        free(out);
        free(err);
    }
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err,
                   "cd '%s' && " ENV
                   "AWS_ENDPOINT_URL_S3=http://127.0.0.1:9/prefix %s scan s3://logs/cf/ --format json",
                   g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "s3://logs/cf/: bad endpoint URL http://127.0.0.1:9/prefix") &&
                  strstr(err, "no path"),
              "%s", err);
    cr_assert_null(strstr(err, "connection error"), "%s", err);
    free(out);
    free(err);
    static const char *const bad_url[] = {"s3://ab/cf/", "s3://Bad_Bucket!/cf/", "s3:///cf/"};
    for (size_t i = 0; i < sizeof bad_url / sizeof bad_url[0]; i++) {
        rc = tu_sh(&out, &err, "cd '%s' && " ENV "%s scan '%s' --format json", g_dir, tu_prog("cfscan"),
                   bad_url[i]);
        cr_assert_eq(rc, 2, "%s: exit %d: %s", bad_url[i], rc, err);
        cr_assert(strstr(err, bad_url[i]) && strstr(err, "not a bucket name"), "%s", err);
        cr_assert_str_empty(out, "%s", out);
        free(out);
        free(err);
    }
}

/* An s3:// scan with CFSCAN_LIBCURL=lib must fail for that input (exit 4) with both texts
 * in its message. */
static void libcurl_refused(const char *lib, const char *said, const char *also)
{
    char *out = NULL, *err = NULL, env[256];
    snprintf(env, sizeof env, "CFSCAN_LIBCURL=%s", lib);
    int rc = s3_scan(1, env, "", &out, &err);
    cr_assert_eq(rc, 4, "%s: exit %d: %s", lib, rc, err);
    cr_assert(strstr(err, said) && strstr(err, also), "%s", err);
    free(out);
    free(err);
}

/* libcurl is loaded when an s3:// input needs it, not linked (pipeline/s3_curl.h): cfscan
 * does not depend on it, and one that cannot be loaded, or is not libcurl, is that
 * input's error (exit 4), which names the library. */
Test(s3, libcurl_loaded_only_for_s3_inputs)
{
    char *out = NULL, *err = NULL;
    int rc = tu_sh(&out, &err, "ldd %s", tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "ldd: %s", err);
    cr_assert(strstr(out, "libc.so") && !strstr(out, "libcurl"), "cfscan's libraries:\n%s", out);
    free(out);
    free(err);
    libcurl_refused("/nonexistent/libcurl.so.4",
                    "s3://logs/cf/: s3:// inputs need libcurl (Debian: libcurl4), which could not be loaded: "
                    "/nonexistent/libcurl.so.4",
                    "(the library CFSCAN_LIBCURL names)");
    /* a library that loads but is not libcurl (zlib, which cfscan links anyway) */
    libcurl_refused("libz.so.1", "s3://logs/cf/: libz.so.1 (the library CFSCAN_LIBCURL names)",
                    "has no curl_global_init");
}

/* ---- credentials ---------------------------------------------------------------------------- */
static void clear_aws_env(void)
{
    const char *v[] = {"AWS_ACCESS_KEY_ID",
                       "AWS_SECRET_ACCESS_KEY",
                       "AWS_SESSION_TOKEN",
                       "AWS_PROFILE",
                       "AWS_REGION",
                       "AWS_DEFAULT_REGION",
                       "AWS_CONFIG_FILE",
                       "AWS_SHARED_CREDENTIALS_FILE",
                       "AWS_EC2_METADATA_SERVICE_ENDPOINT"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) unsetenv(v[i]);
    setenv("HOME", g_dir, 1);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

Test(s3, credentials_order)
{
    clear_aws_env();
    char err[512];
    cfs_s3_creds c;
    /* nothing anywhere: an error naming the places, never a value */
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_E_IO);
    cr_assert(strstr(err, "no AWS credentials found") && strstr(err, "'default'"), "%s", err);
    /* ~/.aws/credentials, profile from AWS_PROFILE; the config file's [profile x] form */
    char awsdir[1024];
    snprintf(awsdir, sizeof awsdir, "%s/.aws", g_dir);
    mkdir(awsdir, 0700);
    free(tu_write_str(awsdir, "credentials",
                      "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = skdefault\n\n"
                      "# comment\n[work]\naws_access_key_id=AKWORK\naws_secret_access_key = skwork\n"
                      "aws_session_token = tokwork\n"));
    free(tu_write_str(awsdir, "config",
                      "[default]\nregion = eu-north-1\n[profile cfg]\nregion = sa-east-1\n"
                      "aws_access_key_id = AKCFG\naws_secret_access_key = skcfg\n"));
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_str_eq(c.access_key, "AKDEFAULT");
    cr_assert_str_eq(c.token, "");
    setenv("AWS_PROFILE", "work", 1);
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_str_eq(c.access_key, "AKWORK");
    cr_assert_str_eq(c.secret_key, "skwork");
    cr_assert_str_eq(c.token, "tokwork");
    setenv("AWS_PROFILE", "cfg", 1); /* only in the config file */
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_str_eq(c.access_key, "AKCFG");
    char region[64];
    cr_assert_eq(cfs_s3_region_configured(region, sizeof region), 0);
    cr_assert_str_eq(region, "sa-east-1");
    setenv("AWS_REGION", "us-west-1", 1); /* the environment before the file */
    cr_assert_eq(cfs_s3_region_configured(region, sizeof region), 0);
    cr_assert_str_eq(region, "us-west-1");
    /* AWS_SHARED_CREDENTIALS_FILE moves the file */
    unsetenv("AWS_PROFILE");
    char *other = tu_write_str(g_dir, "other-creds",
                               "[default]\naws_access_key_id=AKOTHER\naws_secret_access_key=sko\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", other, 1);
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_str_eq(c.access_key, "AKOTHER");
    free(other);
    /* the environment before every file */
    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "skenv", 1);
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_str_eq(c.access_key, "AKENV");
    cr_assert_str_eq(c.source, "environment");
}

Test(s3, credentials_imds_v2_token_first)
{
    need_node();
    clear_aws_env();
    char err[512];
    cfs_s3_creds c;
    char args[1024];
    snprintf(args, sizeof args, "--log '%s/imds.req' --key AKIMDS --secret skimds --token tokimds", g_dir);
    int port = start_node("imds", "s3_imds.mjs", args);
    char ep[64];
    snprintf(ep, sizeof ep, "http://127.0.0.1:%d", port);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
    /* disabled: not asked at all */
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_E_IO);
    cr_assert_eq(count_lines("imds.req", "/", NULL), 0);
    unsetenv("AWS_EC2_METADATA_DISABLED");
    cr_assert_eq(cfs_s3_creds_resolve(&c, err, sizeof err), CFS_OK, "%s", err);
    cr_assert_str_eq(c.access_key, "AKIMDS");
    cr_assert_str_eq(c.secret_key, "skimds");
    cr_assert_str_eq(c.token, "tokimds");
    /* the token was PUT first, and every GET carried it */
    char *log = tu_read(strcat(strcpy(err, g_dir), "/imds.req"), NULL);
    cr_assert(log && !strncmp(log, "PUT /latest/api/token", 21), "%s", log ? log : "");
    cr_assert_eq(count_lines("imds.req", "GET", " 0", NULL), 0, "%s", log);
    cr_assert_eq(count_lines("imds.req", "GET", " 1", NULL), 2, "%s", log);
    free(log);
}

/* ---- end to end against s3rver ---------------------------------------------------------------- */
Test(s3, scan_equals_local_paged_and_in_parts)
{
    make_logs();
    int port = start_s3();
    char *local = local_scan("logs", 0, "-j1");
    cr_assert_eq(json_num(local, "files"), 48);
    for (int j = 1; j <= 2; j++) {
        char opts[32], *out = NULL, *err = NULL;
        snprintf(opts, sizeof opts, "-j%d", j);
        int rc = s3_scan(port, "CFS_S3_PAGE_KEYS=7 CFS_S3_PART_SIZE=4096", opts, &out, &err);
        cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
        char *m = map_paths(out);
        cr_assert_str_eq(m, local, "-j%d: the S3 scan's JSON differs from the local scan's", j);
        free(m);
        free(out);
        free(err);
    }
    /* 48 keys at 7 a page: 7 listing requests per run; objects above 4 KiB in several parts */
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/?", "list-type=2", NULL), 14);
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/?", "continuation-token", NULL), 12);
    cr_assert_gt(count_lines("s3rver.log", "GET /logs/cf/", " 206 ", NULL), 2 * 48);
    free(local);
}

/* v2 Parquet logs are delivered to S3 only (reference §2): an object read from its footer
 * is copied to a temporary file first (decode.c, spool_parquet), and the report is the one
 * of the same files read locally (it refused every object: "not a regular file"). */
Test(s3, parquet_objects_read_as_local_files)
{
    char *err = NULL;
    int rc = tu_sh(
        NULL, &err,
        "cd '%s' && %s -o g --dists 1 --days 1 --lines-per-file 100 --layout parquet >/dev/null && "
        "mkdir logs && mv g/*.parquet logs/ && ls logs | grep -c parquet",
        g_dir, tu_prog("cfsgen"));
    cr_assert_eq(rc, 0, "making the logs: %s", err ? err : "");
    free(err);
    int port = start_s3();
    char *out = NULL;
    rc = s3_scan(port, "", "-j2", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    char *local = local_scan("logs", 0, "-j2");
    char *m = map_paths(out);
    cr_assert_str_eq(m, local);
    cr_assert_eq(json_num(out, "files"), 24);
    cr_assert_eq(json_num(out, "requests"), 2400);
    free(m);
    free(local);
    free(out);
    free(err);
}

Test(s3, since_prunes_before_any_get)
{
    make_logs();
    int port = start_s3();
    const char *win = "--since 2026-11-01T10:00 --until 2026-11-01T12:00";
    char *out = NULL, *err = NULL;
    int rc = s3_scan(port, "", win, &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    char *local = local_scan("logs", 0, win);
    char *m = map_paths(out);
    cr_assert_str_eq(m, local);
    cr_assert_eq(json_num(out, "files"), 4);
    cr_assert_eq(json_num(out, "files_pruned"), 44);
    /* the server saw GETs for exactly the 4 objects of hours 10 and 11 */
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", NULL), 4);
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", ".2026-11-01-10.", NULL) +
                     count_lines("s3rver.log", "GET /logs/cf/", ".2026-11-01-11.", NULL),
                 4);
    free(m);
    free(local);
    free(out);
    free(err);
}

/* Logs and s3rver started, the object of the hour matching hour_re in key, and a fault
 * proxy in front of the server that does `flag` to that object: the proxy's port. */
static int fault_proxy(const char *hour_re, const char *flag, char key[256])
{
    make_logs();
    int port = start_s3();
    snprintf(key, 256, "%s", log_named(hour_re));
    char f[300];
    snprintf(f, sizeof f, "%s '%s'", flag, key);
    return start_proxy(port, f);
}

Test(s3, missing_object_is_a_per_object_error)
{
    char key[256];
    int pp = fault_proxy("-03\\.", "--not-found", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    char want[400];
    snprintf(want, sizeof want, "s3://logs/cf/%s", key);
    cr_assert(strstr(err, want) && strstr(err, "HTTP 404 NoSuchKey"), "%s", err);
    cr_assert_eq(json_num(out, "files_failed"), 1);
    /* the other 47 objects counted in full */
    cr_assert_eq(tu_sh(NULL, NULL, "cd '%s' && mkdir l47 && cp logs/* l47/ && rm 'l47/%s'", g_dir, key), 0);
    char *local = local_scan("l47", 0, "");
    cr_assert_eq(json_num(out, "requests"), json_num(local, "requests"));
    free(local);
    free(out);
    free(err);
}

/* A 200 that is no S3 listing (a web page: a wrong port, a captive proxy) is an error of
 * the listing, exit 4, naming the endpoint; it read as a prefix without objects (exit 3,
 * "holds no file to read"). */
Test(s3, a_web_page_for_a_listing_is_an_error)
{
    make_logs();
    int pp = start_proxy(start_s3(), "--not-s3 1");
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "s3://logs/cf/") && strstr(err, "not an S3 listing"), "%s", err);
    free(out);
    free(err);
}

/* A key is opaque: "cf/x/../NAME" is a key of its own, and its GET must carry the path as
 * listed (SigV4 signs that path; libcurl would squash the dot segments unless told not to,
 * s3.c CURLOPT_PATH_AS_IS).  s3rver cannot store such a key, so the proxy lists one and
 * serves it (s3_fault_proxy.mjs --dot-key): every GET of it must have reached the proxy with
 * "/x/../" in its path, and the report must count its lines. */
Test(s3, dot_segments_in_a_key_are_sent_as_listed)
{
    char key[256];
    int pp = fault_proxy("-05\\.", "--dot-key", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "CFS_S3_PART_SIZE=4096", "-j2", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    char *local = local_scan("logs", 0, "-j2");
    cr_assert_eq(json_num(out, "files"), 48);
    cr_assert_eq(json_num(out, "requests"), json_num(local, "requests"));
    const int gets = count_lines("proxy.req", "GET /logs/cf/", key, NULL);
    cr_assert_gt(gets, 0, "the key was never fetched");
    cr_assert_eq(count_lines("proxy.req", "GET /logs/cf/x/../", key, NULL), gets,
                 "a GET of the key lost its dot segments");
    free(local);
    free(out);
    free(err);
}

Test(s3, truncated_object_counts_like_a_truncated_file)
{
    make_logs();
    const char *key = log_named("-04\\.");
    cr_assert_eq(tu_sh(NULL, NULL, "cd '%s/logs' && head -c 3000 '%s' > t && mv t '%s'", g_dir, key, key), 0);
    int port = start_s3();
    char *out = NULL, *err = NULL;
    int rc = s3_scan(port, "", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, key) && strstr(err, "truncated"), "%s", err);
    char *local = local_scan("logs", 4, "");
    char *m = map_paths(out);
    cr_assert_str_eq(m, local);
    free(m);
    free(local);
    free(out);
    free(err);
}

Test(s3, fails_twice_then_succeeds)
{
    char key[256];
    int pp = fault_proxy("-07\\.", "--fail-twice", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "-j2", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    char *local = local_scan("logs", 0, "-j2");
    char *m = map_paths(out);
    cr_assert_str_eq(m, local);
    /* two 503s, then the GET that passed */
    cr_assert_eq(count_lines("proxy.req", "GET /logs/cf/", key, NULL), 3);
    free(m);
    free(local);
    free(out);
    free(err);
}

Test(s3, server_stops_mid_transfer)
{
    char key[256];
    int pp = fault_proxy("-08\\.", "--cut-later", key);
    char *out = NULL, *err = NULL;
    /* parts of 4 KiB: the first part arrives whole, every later one is cut in half */
    int rc = s3_scan(pp, "CFS_S3_PART_SIZE=4096", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, key) && strstr(err, "HTTP 206") && strstr(err, "4 tries"), "%s", err);
    /* one GET of the first part, four of the second */
    cr_assert_eq(count_lines("proxy.req", "GET /logs/cf/", key, NULL), 5);
    /* the lines of the first part are counted, as for a local copy cut after 4096 bytes */
    cr_assert_eq(
        tu_sh(NULL, NULL, "cd '%s' && mkdir cut && head -c 4096 'logs/%s' > 'cut/%s'", g_dir, key, key), 0);
    char *cut = local_scan("cut", 4, "");
    long lines = json_num(cut, "requests");
    cr_assert_gt(lines, 0);
    char *local = local_scan("logs", 0, "");
    cr_assert_eq(json_num(out, "requests"), json_num(local, "requests") - 100 + lines);
    free(cut);
    free(local);
    free(out);
    free(err);
}

/* A store that ignores If-Match and answers another version of an object than the one
 * listed (another ETag) fails that object, once (a changed object is not tried again),
 * with exit 4; its parts would otherwise mix two versions. */
Test(s3, another_etag_than_the_listed_one_fails_the_object)
{
    char key[256];
    int pp = fault_proxy("-06\\.", "--other-etag", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, key) && strstr(err, "the object changed since it was listed") &&
                  strstr(err, "(1 try)"),
              "%s", err);
    cr_assert_eq(json_num(out, "files_failed"), 1);
    cr_assert_eq(count_lines("proxy.req", "GET /logs/cf/", key, NULL), 1);
    free(out);
    free(err);
}

/* The same version answered with a weak ETag (W/"...", as a proxy may rewrite it) is the
 * listed one: read as any object (a review found it failed as changed). */
Test(s3, a_weak_etag_of_the_listed_one_is_read)
{
    char key[256];
    int pp = fault_proxy("-06\\.", "--weak-etag", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "", &out, &err);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    char *local = local_scan("logs", 0, "");
    cr_assert_eq(json_num(out, "requests"), json_num(local, "requests"));
    free(local);
    free(out);
    free(err);
}

Test(s3, retries_end_with_the_status)
{
    char key[256];
    int pp = fault_proxy("-09\\.", "--fail-always", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, key) && strstr(err, "HTTP 500 InternalError") && strstr(err, "(4 tries)"), "%s",
              err);
    cr_assert_eq(count_lines("proxy.req", "GET /logs/cf/", key, NULL), CFS_S3_TRIES);
    free(out);
    free(err);
}

Test(s3, secrets_never_printed)
{
    char key[256];
    int pp = fault_proxy("-03\\.", "--not-found", key);
    char *out = NULL, *err = NULL;
    int rc = s3_scan(pp, "", "-v -o sum", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(!strstr(out, SECRET) && !strstr(out, TOKEN) && !strstr(err, SECRET) && !strstr(err, TOKEN));
    /* nor in any file of the summary (which exists: 47 objects read, the missing one not) */
    cr_assert_eq(tu_manifest_entries(g_dir, "sum"), 47);
    cr_assert_neq(tu_sh(NULL, NULL, "grep -r -a -l -e '%s' -e '%s' '%s/sum'", SECRET, TOKEN, g_dir), 0);
    char *txt = NULL;
    rc = tu_sh(&txt, NULL,
               "cd '%s' && " ENV "%s scan --endpoint-url http://127.0.0.1:%d s3://logs/cf/ -v 2>&1", g_dir,
               tu_prog("cfscan"), pp);
    cr_assert(txt && !strstr(txt, SECRET) && !strstr(txt, TOKEN));
    /* the token was sent, signed */
    cr_assert_gt(count_lines("proxy.req", "GET", " us-east-1 1", NULL), 0);
    cr_assert_eq(count_lines("proxy.req", "GET", " 0", NULL), 0);
    free(txt);
    free(out);
    free(err);
}

Test(s3, region_from_the_bucket)
{
    make_logs();
    int port = start_s3();
    int pp = start_proxy(port, "--region eu-west-3");
    /* first without a region configured, then with us-east-1 (ENV's), which is not the
     * bucket's: the bucket's answer wins (AWS answers requests signed for another region
     * 301 PermanentRedirect; every request failed so).  Each run asks once, then signs
     * every request for the bucket's region. */
    const char *env[2] = {"AWS_REGION= AWS_DEFAULT_REGION=", ""};
    for (int k = 0; k < 2; k++) {
        char *out = NULL, *err = NULL;
        int rc = s3_scan(pp, env[k], "--since 2026-11-01T10:00 --until 2026-11-01T11:00", &out, &err);
        cr_assert_eq(rc, 0, "run %d: exit %d: %s", k, rc, err);
        cr_assert_eq(count_lines("proxy.req", "HEAD /logs ", NULL), k + 1);
        cr_assert_eq(count_lines("proxy.req", "GET", " eu-west-3 ", NULL), 3 * (k + 1), "run %d", k);
        cr_assert_eq(count_lines("proxy.req", "GET", NULL), 3 * (k + 1), "run %d", k);
        free(out);
        free(err);
    }
}

Test(s3, update_reads_new_objects_and_refuses_changed_ones)
{
    make_logs();
    int port = start_s3();
    char *out = NULL, *err = NULL;
    int rc = s3_scan(port, "", "-o sum", &out, &err);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tu_manifest_entries(g_dir, "sum"), 48);
    cr_assert_eq(count_lines("sum/inputs.cfm", "\ts3://logs/cf/", NULL), 48);
    free(out);
    free(err);
    /* a new object, and an old key rewritten with other bytes */
    const char *newkey = "EZZNEWDIST0001.2026-11-02-00.NEWOBJ01.gz";
    char oldkey[256];
    snprintf(oldkey, sizeof oldkey, "%s", log_named("-02\\."));
    const char *src = log_named("-12\\.");
    cr_assert_eq(
        tu_sh(NULL, NULL,
              "cd '%s/logs' && curl -sf -X PUT --data-binary @'%s' http://127.0.0.1:%d/logs/cf/%s && "
              "curl -sf -X PUT --data-binary @'%s' http://127.0.0.1:%d/logs/cf/'%s'",
              g_dir, src, port, newkey, src, port, oldkey),
        0);
    int gets0 = count_lines("s3rver.log", "GET /logs/cf/", NULL);
    rc = s3_scan(port, "", "-o sum --update", &out, &err);
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, oldkey) && strstr(err, "changed since the summary counted it"), "%s", err);
    cr_assert_eq(tu_manifest_entries(g_dir, "sum"), 49);
    /* only the new object was fetched */
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", NULL) - gets0, 1);
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", newkey, NULL), 1);
    free(out);
    free(err);
}

Test(s3, shards_split_the_bucket)
{
    make_logs();
    int port = start_s3();
    long total = 0;
    for (int i = 0; i < 2; i++) {
        char opts[64], *out = NULL, *err = NULL;
        snprintf(opts, sizeof opts, "--shard %d/2 -o s%d", i, i);
        int rc = s3_scan(port, "", opts, &out, &err);
        cr_assert_eq(rc, 0, "%s", err);
        char nm[8];
        snprintf(nm, sizeof nm, "s%d", i);
        long n = tu_manifest_entries(g_dir, nm);
        cr_assert_gt(n, 0);
        total += n;
        free(out);
        free(err);
    }
    cr_assert_eq(total, 48);
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", NULL), 48);
}

Test(s3, requests_with_dist_equals_local)
{
    make_logs();
    int port = start_s3();
    char dist[32];
    snprintf(dist, sizeof dist, "%s", log_named("-00\\."));
    dist[strcspn(dist, ".")] = 0;
    char *out = NULL, *err = NULL, *lout = NULL;
    int rc = tu_sh(&out, &err,
                   "cd '%s' && " ENV
                   "%s requests --endpoint-url http://127.0.0.1:%d s3://logs/cf/ --dist %s --status 403 -j2",
                   g_dir, tu_prog("cfscan"), port, dist);
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cr_assert_eq(tu_sh(&lout, NULL, "cd '%s' && %s requests logs --dist %s --status 403 -j2", g_dir,
                       tu_prog("cfscan"), dist),
                 0);
    cr_assert_str_eq(out, lout);
    cr_assert(strchr(out, '\n') && strchr(out, '\n') != strrchr(out, '\n'), "no 403 rows: %s", out);
    /* only the 24 objects of that distribution were fetched */
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", NULL), 24);
    cr_assert_eq(count_lines("s3rver.log", "GET /logs/cf/", dist, NULL), 24);
    free(out);
    free(lout);
    free(err);
}
