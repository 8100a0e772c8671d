/* The HTML report (`--format html`, a summary's report.html), driven through the built
 * cfscan on a cfsgen archive (every situation, configs and WAF logs) plus hand-written
 * hostile lines, and opened in a real browser: Debian's chromium, headless, through
 * puppeteer-core (tests/js/html_check.mjs).  The browser checks that the numbers shown equal
 * the JSON report's, that nothing but the page is requested, that no console error, page
 * error or dialog occurs, that the hostile strings show as text and no injected element
 * exists, that the tables are there with JavaScript off and that the page fits a phone; it
 * takes the screenshots.  A tampered page and JSON prove the checker can fail. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/util.h"

/* The hostile values: markup and script in a URI, the host (the distribution of a file not
 * named as CloudFront names its logs), the edge, the client, the user agent and the file
 * name.  None holds a TAB or LF (the separators). */
#define H_URI1 "/<script>alert(1)</script>"
#define H_URI2 "/\"><svg onload=alert(1)>"
#define H_URI3 "javascript:alert(1)"
#define H_HOST "\"><img src=x onerror=alert(2)>"
#define H_EDGE "<b>X</b><svg/onload=alert(3)>"
#define H_IP "<script>alert(4)</script>"
#define H_UA "<img src=x onerror=alert(6)>"
#define H_FILE "\"><svg onload=alert(5)>.log"

static char *g_dir;

static void sh_ok(const char *what, const char *cmd, int ok_rc2)
{
    char *err = NULL;
    int rc = tu_run(cmd, NULL, &err);
    cr_assert(rc == 0 || rc == ok_rc2, "%s: exit %d: %s", what, rc, err ? err : "");
    free(err);
}

static void setup(void)
{
    g_dir = tu_mkdtemp();
    char cmd[8192];
    snprintf(
        cmd, sizeof cmd,
        "%s -o '%s/gen' --seed 7 --dists 3 --days 1 --lines-per-file 150 --situations all --format plain -j2 "
        ">/dev/null",
        tu_prog("cfsgen"), g_dir);
    sh_ok("cfsgen", cmd, 0);
    /* 4 lines of each hostile URI (so they lead the host's top URIs), and one line too
     * short to use (so the hostile file name is listed as an input with a warning) */
    tu_buf b = {0};
    tu_buf_add(&b, "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) "
                   "cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) "
                   "x-edge-result-type x-edge-request-id\n");
    static const char *const uris[] = {H_URI1, H_URI2, H_URI3};
    for (int i = 0; i < 12; i++) {
        char line[1024];
        snprintf(line, sizeof line,
                 "2026-11-01\t10:%02d:00\t%s\t512\t%s\tGET\t%s\t%s\t403\t-\t%s\t-\t-\tError\tR%d\n", i,
                 H_EDGE, H_IP, H_HOST, uris[i % 3], H_UA, i);
        tu_buf_add(&b, line);
    }
    tu_buf_add(&b, "too\tshort\n");
    char hd[4096];
    snprintf(hd, sizeof hd, "%s/hostile", g_dir);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", hd);
    sh_ok("mkdir", cmd, 0);
    free(tu_write(hd, H_FILE, b.p, b.n));
    free(b.p);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(html, .init = setup, .fini = teardown, .timeout = 300);

/* `cfscan scan` of the archive and the hostile file with configs and WAF logs, in format
 * fmt, to DIR/name; -o DIR/outdir too when outdir is given.  Exit 3: the rejected lines. */
static void scan_to(const char *fmt, const char *name, const char *jobs, const char *outdir)
{
    char cmd[8192], o[4200] = "";
    if (outdir) snprintf(o, sizeof o, "-o '%s/%s'", g_dir, outdir);
    snprintf(
        cmd, sizeof cmd,
        "cd '%s' && %s scan gen hostile -q %s --config gen/config --waf-logs gen/waf --format %s %s > '%s'",
        g_dir, tu_prog("cfscan"), jobs, fmt, o, name);
    sh_ok(name, cmd, 3);
}

static char *at(const char *name)
{
    static char p[4][4200];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", g_dir, name);
    return p[k];
}

/* What the browser test needs, else a skip naming the package. */
static void need_browser(void)
{
    if (system("node --version >/dev/null 2>&1") != 0)
        cr_skip_test("html: node not found (Debian package nodejs)");
    if (access("/usr/bin/chromium", X_OK) != 0)
        cr_skip_test("html: /usr/bin/chromium not found (Debian package chromium)");
    char p[1024];
    snprintf(p, sizeof p, "%s/tests/js/node_modules/puppeteer-core/package.json", CFS_SOURCE_DIR);
    if (access(p, R_OK) != 0)
        cr_skip_test("html: npm package puppeteer-core not installed (npm ci --prefix tests/js)");
}

/* Run tests/js/html_check.mjs; its exit status, its output in *out. */
static int check_page(const char *page, const char *json, const char *shots, char **out)
{
    char cmd[16384];
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s' && timeout -s KILL 200 node '%s/tests/js/html_check.mjs' '%s' '%s' '%s' "
             "--text '%s' --text '%s' --text '%s' --text '%s' --text '%s' --text '%s' 2>&1",
             shots, CFS_SOURCE_DIR, page, json, shots, H_URI1, "/\"><svg onload=alert(1)>", H_URI3,
             "\"><img src=x onerror=alert(2)>", H_IP, "<b>X</b><svg/onload=alert(3)>");
    /* the single quotes above hold no single quote: none of the values has one */
    return tu_run(cmd, out, NULL);
}

Test(html, page_in_a_browser_matches_the_json_and_runs_nothing_injected)
{
    need_browser();
    scan_to("html", "page.html", "-j2", NULL);
    scan_to("json", "page.json", "-j2", NULL);
    /* the hostile values must reach the report, or the browser would prove nothing */
    size_t n = 0;
    char *json = tu_read(at("page.json"), &n);
    cr_assert(json && strstr(json, "alert(1)</script>") && strstr(json, "onerror=alert(2)") &&
                  strstr(json, "svg/onload=alert(3)") && strstr(json, "<script>alert(4)"),
              "the hostile values are not in the JSON report");
    free(json);
    const char *shots = getenv("CFS_HTML_SHOTS") ? getenv("CFS_HTML_SHOTS") : at("shots");
    char *out = NULL;
    int rc = check_page(at("page.html"), at("page.json"), shots, &out);
    cr_log_info("html_check: %s(screenshots in %s; set CFS_HTML_SHOTS=DIR to keep them)", out ? out : "",
                shots);
    cr_assert_eq(rc, 0, "the browser checks failed:\n%s", out ? out : "");
    free(out);
    char p[4400];
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", shots, i ? "report-390.png" : "report-1366.png");
        size_t sz = 0;
        char *png = tu_read(p, &sz);
        cr_assert(png && sz > 1000 && memcmp(png, "\x89PNG", 4) == 0, "no screenshot %s", p);
        free(png);
    }
}

/* The checker itself: a page with an injected handler and image and its CSP removed, and a
 * JSON with one number changed, must fail each check that guards against them. */
Test(html, the_browser_checker_catches_injection_requests_and_wrong_numbers)
{
    need_browser();
    scan_to("html", "good.html", "-j1", NULL);
    scan_to("json", "good.json", "-j1", NULL);
    char cmd[16384];
    snprintf(
        cmd, sizeof cmd,
        "cd '%s' && sed -e 's/<meta http-equiv=\"Content-Security-Policy\"[^>]*>//' "
        "-e 's|<main>|<main><svg onload=\"alert(7)\"></svg><img src=\"http://127.0.0.1:9/x.png\">|' good.html "
        "> bad.html && sed -e 's/\"forbidden\":\\([0-9]*\\),\"origin_reference_ms\"/\"forbidden\":1\\1,"
        "\"origin_reference_ms\"/' good.json > bad.json && ! cmp -s good.json bad.json && ! cmp -s good.html "
        "bad.html",
        g_dir);
    sh_ok("tampering", cmd, 0);
    char *out = NULL;
    int rc = check_page(at("bad.html"), at("bad.json"), at("badshots"), &out);
    cr_assert_neq(rc, 0, "the checker passed a tampered page:\n%s", out ? out : "");
    static const char *const want[] = {"CSP lacks default-src", "dialog (alert): 7",
                                       "request leaves the page: http://127.0.0.1:9/x.png", "svg[onload]",
                                       "403s: page shows"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert(out && strstr(out, want[i]), "the checker did not report \"%s\":\n%s", want[i],
                  out ? out : "");
    free(out);
}

/* Without a browser: the hostile values never reach the page's bytes as markup, only
 * escaped, and nothing is fetched from elsewhere. */
Test(html, hostile_values_are_escaped_in_the_bytes)
{
    scan_to("html", "raw.html", "-j1", NULL);
    size_t n = 0;
    char *p = tu_read(at("raw.html"), &n);
    cr_assert(p && n > 1000);
    static const char *const raw[] = {"<script>alert", "<svg onload",        "<svg/onload",
                                      "<img",          "onerror=alert(2)\"", "<b>X</b>"};
    for (size_t i = 0; i < sizeof raw / sizeof *raw; i++)
        cr_assert(strstr(p, raw[i]) == NULL, "raw markup in the page: %s", raw[i]);
    static const char *const esc[] = {"&lt;script&gt;alert(1)&lt;/script&gt;",
                                      "&quot;&gt;&lt;svg onload=alert(1)&gt;", "javascript:alert(1)",
                                      "&lt;b&gt;X&lt;/b&gt;&lt;svg/onload=alert(3)&gt;",
                                      "&quot;&gt;&lt;svg onload=alert(5)&gt;.log"};
    for (size_t i = 0; i < sizeof esc / sizeof *esc; i++)
        cr_assert(strstr(p, esc[i]) != NULL, "the escaped value is missing: %s", esc[i]);
    /* one script, cfscan's; no URL but the page's own anchors */
    size_t scripts = 0;
    for (const char *q = p; (q = strstr(q, "<script")) != NULL; q++) scripts++;
    cr_assert_eq(scripts, 1, "%zu <script> elements", scripts);
    /* an attribute or a style that could fetch: advice text may mention https:// */
    static const char *const fetch[] = {"=\"http",           "='http", "url(", "@import", "src=\"", "src='",
                                        "href=\"javascript", "srcset"};
    for (size_t i = 0; i < sizeof fetch / sizeof *fetch; i++)
        cr_assert(strstr(p, fetch[i]) == NULL, "the page could fetch or run something: %s", fetch[i]);
    /* the user agent is not shown; it must not appear raw either (checked above: <img) */
    free(p);
}

/* report.html in the summary is the page the scan printed; merge writes one and prints one
 * with --format html; the page does not depend on the thread count; `requests` refuses it. */
Test(html, summary_and_merge_write_report_html)
{
    scan_to("html", "j1.html", "-j1", "S1");
    scan_to("html", "j2.html", "-j2", "S2");
    size_t n1 = 0, n2 = 0, ns = 0;
    char *a = tu_read(at("j1.html"), &n1), *b = tu_read(at("j2.html"), &n2),
         *s = tu_read(at("S1/report.html"), &ns);
    cr_assert(a && b && s && n1 > 1000);
    cr_assert(n1 == n2 && memcmp(a, b, n1) == 0, "the page differs between -j1 and -j2");
    cr_assert(n1 == ns && memcmp(a, s, n1) == 0, "S1/report.html is not the page the scan printed");
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s merge S1 -o M --format html -q > merged.html", g_dir,
             tu_prog("cfscan"));
    sh_ok("merge", cmd, 3);
    size_t nm = 0, nmf = 0;
    char *m = tu_read(at("merged.html"), &nm), *mf = tu_read(at("M/report.html"), &nmf);
    cr_assert(m && mf && nm > 1000 && nm == nmf && memcmp(m, mf, nm) == 0,
              "merge's printed page is not M/report.html");
    cr_assert(strstr(m, "<!DOCTYPE html>") == m && strstr(m, "</html>") != NULL);
    free(a);
    free(b);
    free(s);
    free(m);
    free(mf);
    snprintf(cmd, sizeof cmd, "cd '%s' && %s requests gen --format html >/dev/null 2>&1", g_dir,
             tu_prog("cfscan"));
    cr_assert_eq(tu_run(cmd, NULL, NULL), 2, "requests --format html is not a usage error");
}
