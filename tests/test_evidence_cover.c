/* Evidence inputs and what they cover (issue 17 items 1 and 8), through the built cfscan
 * on cfsgen archives: every --waf-logs and --config input says in the report what it
 * covered, and one that covers none of the scanned traffic or is not what it claims to be
 * (WAF logs of another day or web ACL, the config directory or an unrelated file given as
 * WAF logs, a config of another distribution) is a warning with exit status 3.  Summaries
 * keep the evidence record and `merge` reports it; a state.cfs of the schema before it
 * still merges.  Expected values come from the generator (expected.json, the WAF and
 * config files it wrote, counted here), never from cfscan's own output. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/json.h"
#include "tests/util.h"

static char *g_dir; /* g: the scanned day; day5: same distributions, another day; other:
                     * another seed, so other distribution ids (another web ACL's) */

static void gen_one(const char *name, const char *args)
{
    char cmd[2048], *err = NULL;
    char *prog = tu_prog("cfsgen");
    snprintf(cmd, sizeof cmd, "%s -o %s/%s --dists 2 --days 1 --lines-per-file 40 -j1 %s", prog, g_dir, name,
             args);
    free(prog);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    free(err);
}

/* Every test scans g; the other two sets are made by the tests that use them (each test
 * runs in its own process with its own g_dir), which keeps each test to a few seconds
 * under ASan. */
static void gen(void)
{
    g_dir = tu_mkdtemp();
    gen_one("g", "--seed 3");
}

static void cleanup(void) { tu_rmrf(g_dir); }

TestSuite(evidence, .init = gen, .fini = cleanup, .timeout = 120);

/* Run cfscan with args (g_dir substituted for every %s... given by the caller). */
static int cfscan(char **out, char **err, const char *fmt, ...)
{
    char args[4096], cmd[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *prog = tu_prog("cfscan");
    snprintf(cmd, sizeof cmd, "cd %s && timeout -s KILL 60 %s %s", g_dir, prog, args);
    free(prog);
    return tu_run(cmd, out, err);
}

static cfs_json_doc parse(const char *s)
{
    cfs_json_doc doc = {0};
    char err[128];
    cr_assert_eq(cfs_json_parse(&doc, s, strlen(s), err, sizeof err), 0, "JSON: %s", err);
    return doc;
}

/* The evidence entry of kind and path in a report's JSON, or NULL. */
static const cfs_json *evid(const cfs_json_doc *doc, const char *kind, const char *path)
{
    const cfs_json *ev = cfs_json_get(cfs_json_root(doc), "evidence");
    for (const cfs_json *e = cfs_json_first(ev); e; e = cfs_json_next(e)) {
        const char *k = cfs_json_str(cfs_json_get(e, "kind")), *p = cfs_json_str(cfs_json_get(e, "path"));
        if (k && p && !strcmp(k, kind) && !strcmp(p, path)) return e;
    }
    return NULL;
}

static double num(const cfs_json *o, const char *key)
{
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_get(o, key), &v), "no number %s", key);
    return v;
}

/* An integer from a shell pipeline run in g_dir (wc -l and the like). */
static long shell_count(const char *pipeline)
{
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd, "cd %s && %s", g_dir, pipeline);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0, "%s", cmd);
    long n = strtol(out, NULL, 10);
    free(out);
    return n;
}

/* The generator's request count of a set (expected.json by_distribution, summed). */
static double generated_requests(const char *set)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/expected.json", g_dir, set);
    char *s = tu_read(p, NULL);
    cr_assert_not_null(s);
    cfs_json_doc d = parse(s);
    double t = 0, v;
    for (const cfs_json *e = cfs_json_first(cfs_json_get(cfs_json_root(&d), "by_distribution")); e;
         e = cfs_json_next(e))
        if (cfs_json_num(e, &v)) t += v;
    cfs_json_doc_free(&d);
    free(s);
    return t;
}

/* The "distributions" array of an entry as one space-separated string. */
static void dists_of(const cfs_json *e, char *buf, size_t cap)
{
    buf[0] = 0;
    for (const cfs_json *d = cfs_json_first(cfs_json_get(e, "distributions")); d; d = cfs_json_next(d)) {
        size_t l = strlen(buf);
        snprintf(buf + l, cap - l, "%s%s", l ? " " : "", cfs_json_str(d));
    }
}

static void shell_str(const char *pipeline, char *buf, size_t cap)
{
    char cmd[2048], *out = NULL;
    snprintf(cmd, sizeof cmd, "cd %s && %s", g_dir, pipeline);
    cr_assert_eq(tu_run(cmd, &out, NULL), 0, "%s", cmd);
    snprintf(buf, cap, "%s", out);
    size_t l = strlen(buf);
    while (l && buf[l - 1] == '\n') buf[--l] = 0;
    free(out);
}

Test(evidence, matching_evidence_reports_its_coverage)
{
    char *out = NULL, *err = NULL;
    int rc = cfscan(&out, &err, "scan g/*.gz -q -j1 --config g/config --waf-logs g/waf --format json");
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cfs_json_doc d = parse(out);
    double total = generated_requests("g");
    cr_assert_gt(total, 0);

    const cfs_json *w = evid(&d, "waf_logs", "g/waf");
    cr_assert_not_null(w, "no waf_logs evidence entry in %s", out);
    /* records: the lines of the WAF file; distributions: its httpSourceId values */
    cr_assert_eq((long)num(w, "records"), shell_count("zcat g/waf/*.gz | wc -l"));
    cr_assert_eq((long)num(w, "not_records"), 0);
    char want[512], got[512];
    shell_str("zcat g/waf/*.gz | grep -o '\"httpSourceId\":\"[A-Z0-9]*\"' | cut -d'\"' -f4 | sort -u | "
              "tr '\\n' ' ' | sed 's/ $//'",
              want, sizeof want);
    dists_of(w, got, sizeof got);
    cr_assert_str_eq(got, want);
    cr_assert_eq(num(w, "covered_requests"), total);
    cr_assert(cfs_json_get(w, "warning") && !cfs_json_str(cfs_json_get(w, "warning")), "unexpected warning");
    const char *first = cfs_json_str(cfs_json_get(w, "first"));
    cr_assert(first && !strncmp(first, "2026-11-01T", 11), "first %s", first ? first : "(null)");

    const cfs_json *c = evid(&d, "config", "g/config");
    cr_assert_not_null(c, "no config evidence entry");
    cr_assert_eq((long)num(c, "records"), shell_count("ls g/config/*.json | wc -l"));
    shell_str("ls g/config | sed 's/\\.json$//' | sort | tr '\\n' ' ' | sed 's/ $//'", want, sizeof want);
    dists_of(c, got, sizeof got);
    cr_assert_str_eq(got, want);
    cr_assert_eq(num(c, "covered_requests"), total);
    cfs_json_doc_free(&d);

    /* the same at -j2, byte for byte */
    char *out2 = NULL;
    cr_assert_eq(cfscan(&out2, NULL, "scan g/*.gz -q -j2 --config g/config --waf-logs g/waf --format json"),
                 0);
    cr_assert_str_eq(out, out2);
    free(out2);
    free(out);
    free(err);

    /* the text report says it too */
    cr_assert_eq(cfscan(&out, NULL, "scan g/*.gz -q -j1 --config g/config --waf-logs g/waf"), 0);
    cr_assert_not_null(strstr(out, "\nEvidence\n"), "no Evidence section");
    cr_assert_not_null(strstr(out, "--waf-logs g/waf:"));
    cr_assert_not_null(strstr(out, "--config g/config:"));
    cr_assert_null(strstr(out, "WARNING"));
    free(out);
}

/* One evidence input that covers nothing: exit 3, a warning on stderr naming the option
 * and the path, a WARNING in the text report and the JSON entry's warning. */
static void uncovered(const char *opt, const char *path, const char *why)
{
    char *out = NULL, *err = NULL;
    int rc = cfscan(&out, &err, "scan g/*.gz -q -j1 %s %s", opt, path);
    cr_assert_eq(rc, 3, "%s %s: exit %d, stderr: %s", opt, path, rc, err);
    char needle[600];
    snprintf(needle, sizeof needle, "%s %s", opt, path);
    cr_assert_not_null(strstr(err, needle), "stderr does not name %s: %s", needle, err);
    cr_assert_not_null(strstr(err, why), "stderr lacks '%s': %s", why, err);
    snprintf(needle, sizeof needle, "WARNING %s %s", opt, path);
    cr_assert_not_null(strstr(out, needle), "report lacks '%s'", needle);
    free(out);
    free(err);
    rc = cfscan(&out, NULL, "scan g/*.gz -q -j1 --format json %s %s", opt, path);
    cr_assert_eq(rc, 3);
    cfs_json_doc d = parse(out);
    const cfs_json *e = evid(&d, !strcmp(opt, "--config") ? "config" : "waf_logs", path);
    cr_assert_not_null(e, "no evidence entry for %s", path);
    const char *w = cfs_json_str(cfs_json_get(e, "warning"));
    cr_assert(w && strstr(w, why), "JSON warning %s", w ? w : "(null)");
    cr_assert_eq(num(e, "covered_requests"), 0);
    cfs_json_doc_free(&d);
    free(out);
}

Test(evidence, waf_logs_of_another_day)
{
    gen_one("day5", "--seed 3 --start 2026-11-05");
    uncovered("--waf-logs", "day5/waf", "covers none of the scanned");
}

Test(evidence, waf_logs_of_another_web_acl)
{
    gen_one("other", "--seed 4");
    uncovered("--waf-logs", "other/waf", "covers none of the scanned");
}

Test(evidence, config_directory_as_waf_logs) { uncovered("--waf-logs", "g/config", "not WAF logs"); }

Test(evidence, unrelated_file_as_waf_logs) { uncovered("--waf-logs", "g/labels.tsv", "not WAF logs"); }

Test(evidence, config_of_a_distribution_not_in_the_logs)
{
    char path[256], id[64];
    gen_one("other", "--seed 4");
    shell_str("ls other/config | head -1", id, sizeof id);
    snprintf(path, sizeof path, "other/config/%s", id);
    uncovered("--config", path, "covers none of the scanned");
    /* no config applied: the report still says what that means */
    char *out = NULL;
    cr_assert_eq(cfscan(&out, NULL, "scan g/*.gz -q -j1 --config %s", path), 3);
    cr_assert_not_null(strstr(out, "without --config"), "the no-config note is gone");
    free(out);
}

Test(evidence, requests_warns_on_stderr_too)
{
    /* `requests` prints rows, not a report: the warning goes to stderr, exit 3 */
    char *out = NULL, *err = NULL;
    gen_one("day5", "--seed 3 --start 2026-11-05");
    int rc = cfscan(&out, &err, "requests g/*.gz -q -j1 --status 403 --waf-logs day5/waf");
    cr_assert_eq(rc, 3, "exit %d: %s", rc, err);
    cr_assert_not_null(strstr(err, "--waf-logs day5/waf: covers none of the scanned"), "stderr: %s", err);
    /* the rows are still printed: the header and one per 403 (the generator's labels) */
    long rows = 0;
    for (const char *p = out; *p; p++) rows += *p == '\n';
    cr_assert_eq(rows - 1, shell_count("tail -n +2 g/labels.tsv | wc -l"));
    free(out);
    free(err);
    rc = cfscan(NULL, &err, "requests g/*.gz -q -j1 --status 403 --waf-logs g/waf");
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    free(err);
}

Test(evidence, config_directory_with_one_matching_config_is_fine)
{
    /* A directory of configs (some of other distributions) covers the logs when any of
     * its configs does: no warning. */
    char cmd[512];
    gen_one("other", "--seed 4");
    snprintf(cmd, sizeof cmd, "mkdir -p mix && cp g/config/*.json other/config/*.json mix/ && echo ok");
    char buf[16];
    shell_str(cmd, buf, sizeof buf);
    char *out = NULL, *err = NULL;
    int rc = cfscan(&out, &err, "scan g/*.gz -q -j1 --config mix --format json");
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    cfs_json_doc d = parse(out);
    const cfs_json *c = evid(&d, "config", "mix");
    cr_assert_not_null(c);
    cr_assert_eq((long)num(c, "records"), shell_count("ls mix/*.json | wc -l"));
    cr_assert_eq(num(c, "covered_requests"), generated_requests("g"));
    cfs_json_doc_free(&d);
    free(out);
    free(err);
}

Test(evidence, unreadable_config_stays_a_load_failure)
{
    int rc = cfscan(NULL, NULL, "scan g/*.gz -q -j1 --config g/labels.tsv");
    cr_assert_eq(rc, 4, "exit %d", rc);
}

/* ---- item 8: summaries keep the evidence, merge reports it ---------------------------- */

Test(evidence, merge_reports_the_evidence_of_its_summaries)
{
    char *err = NULL;
    int rc = cfscan(NULL, &err, "scan g/*.gz -q -j1 --config g/config --waf-logs g/waf -o s1");
    cr_assert_eq(rc, 0, "scan -o: %d %s", rc, err);
    free(err);
    char *out = NULL;
    rc = cfscan(&out, &err, "merge s1 -o m1 -q");
    cr_assert_eq(rc, 0, "merge: %d %s", rc, err);
    cr_assert_null(strstr(out, "without --config"), "merged report says without --config:\n%s", out);
    cr_assert_not_null(strstr(out, "--config g/config:"), "merged report lacks the config input");
    cr_assert_not_null(strstr(out, "--waf-logs g/waf:"), "merged report lacks the WAF input");
    free(out);
    free(err);
    rc = cfscan(&out, NULL, "merge s1 -o m2 -q --format json");
    cr_assert_eq(rc, 0);
    cfs_json_doc d = parse(out);
    const cfs_json *c = evid(&d, "config", "g/config"), *w = evid(&d, "waf_logs", "g/waf");
    cr_assert(c && w, "merged JSON lacks the evidence");
    cr_assert_eq(num(c, "covered_requests"), generated_requests("g"));
    cr_assert_eq((long)num(w, "records"), shell_count("zcat g/waf/*.gz | wc -l"));
    cfs_json_doc_free(&d);
    free(out);
}

/* Two nightly runs over other logs with the same --config and --waf-logs: the merge reads
 * the inputs' files and records once, not once a run ("8 configs" for 4), while the
 * traffic they covered adds up. */
Test(evidence, merge_counts_a_shared_input_once)
{
    char *err = NULL;
    int rc = cfscan(NULL, &err,
                    "scan $(ls g/*.gz | head -n 24) -q -j1 --config g/config --waf-logs g/waf -o a");
    cr_assert_eq(rc, 0, "scan a: %d %s", rc, err);
    free(err);
    rc = cfscan(NULL, &err, "scan $(ls g/*.gz | tail -n +25) -q -j1 --config g/config --waf-logs g/waf -o b");
    cr_assert_eq(rc, 0, "scan b: %d %s", rc, err);
    free(err);
    char *out = NULL;
    rc = cfscan(&out, &err, "merge a b -o m -q --format json");
    cr_assert_eq(rc, 0, "merge: %d %s", rc, err);
    cfs_json_doc d = parse(out);
    const cfs_json *c = evid(&d, "config", "g/config"), *w = evid(&d, "waf_logs", "g/waf");
    cr_assert(c && w, "merged JSON lacks the evidence");
    cr_assert_eq((long)num(c, "records"), shell_count("ls g/config/*.json | wc -l"));
    cr_assert_eq((long)num(c, "files"), shell_count("ls g/config/*.json | wc -l"));
    cr_assert_eq((long)num(w, "records"), shell_count("zcat g/waf/*.gz | wc -l"));
    cr_assert_eq((long)num(w, "files"), shell_count("ls g/waf/*.gz | wc -l"));
    cr_assert_eq(num(c, "covered_requests"), generated_requests("g"));
    cfs_json_doc_free(&d);
    free(out);
    free(err);
}

/* One --waf-logs given to every part of a nightly job, some of whose parts hold none of
 * its distributions (a shard, a batch of other distributions): each such part warns on
 * its own, but the merge decides on the sum.  It kept one entry a part that warned, so a
 * merge of 40 shards listed the same WAF logs 10 times with 9 warnings where one scan of
 * the same logs has none. */
Test(evidence, merge_decides_coverage_on_the_sum)
{
    gen_one("other", "--seed 4 --no-waf");
    char *out = NULL, *err = NULL;
    int rc = cfscan(&out, &err, "scan g/*.gz -q -j1 --waf-logs g/waf -o a --format json");
    cr_assert_eq(rc, 0, "scan a: %d %s", rc, err);
    cfs_json_doc da = parse(out);
    const double covered = num(evid(&da, "waf_logs", "g/waf"), "covered_requests");
    cr_assert_gt(covered, 0);
    cfs_json_doc_free(&da);
    free(out);
    free(err);
    rc = cfscan(NULL, &err, "scan other/*.gz -q -j1 --waf-logs g/waf -o b");
    cr_assert_eq(rc, 3, "scan b covers none of its traffic: %d %s", rc, err);
    free(err);
    /* two parts that each covered none: the warning stays, without what one part's logs
     * held (it named the first part's hours as if they were all the logs') */
    rc = cfscan(NULL, &err, "scan $(ls other/*.gz | head -n 4) -q -j1 --waf-logs g/waf -o b1");
    cr_assert_eq(rc, 3, "%d %s", rc, err);
    free(err);
    rc = cfscan(NULL, &err, "scan $(ls other/*.gz | tail -n 4) -q -j1 --waf-logs g/waf -o b2");
    cr_assert_eq(rc, 3, "%d %s", rc, err);
    free(err);
    /* and the merge says it on stderr and exits 3, as one scan of both parts does (it
     * exited 0) */
    rc = cfscan(&out, &err, "merge b1 b2 -o m12 -q --format json");
    cr_assert_eq(rc, 3, "merge: %d %s", rc, err);
    cr_assert(strstr(err, "cfscan: --waf-logs g/waf: covers none of the scanned traffic"), "%s", err);
    {
        cfs_json_doc d = parse(out);
        const char *warn = cfs_json_str(cfs_json_get(evid(&d, "waf_logs", "g/waf"), "warning"));
        cr_assert(warn && strstr(warn, "covers none of the scanned traffic: its records are of ") &&
                      strstr(warn, "; in every run merged") && !strstr(warn, "the logs are of"),
                  "%s", out);
        cfs_json_doc_free(&d);
    }
    free(out);
    free(err);
    /* a part that held no traffic at all (an empty shard) gives no warning of its own; beside
     * one that covered none, the sum covers none, and the warning stays (it went when the
     * part without one came first) */
    rc = cfscan(NULL, &err, "scan $(mkdir none && echo none) -q -j1 --waf-logs g/waf -o e");
    cr_assert_eq(rc, 3, "an empty scan: %d %s", rc, err);
    free(err);
    for (int order = 0; order < 2; order++) {
        rc = cfscan(&out, &err, "merge %s -o n%d -q --format json", order ? "b e" : "e b", order);
        cr_assert_eq(rc, 3, "merge: %d %s", rc, err);
        cfs_json_doc d = parse(out);
        const cfs_json *w = evid(&d, "waf_logs", "g/waf");
        cr_assert_eq(num(w, "covered_requests"), 0);
        const char *warn = cfs_json_str(cfs_json_get(w, "warning"));
        cr_assert(warn && strstr(warn, "covers none of the scanned traffic"), "%s", out);
        cfs_json_doc_free(&d);
        free(out);
        free(err);
    }
    for (int order = 0; order < 2; order++) {
        rc = cfscan(&out, &err, "merge %s -o m%d -q --format json", order ? "b a" : "a b", order);
        cr_assert_eq(rc, 0, "merge: %d %s", rc, err);
        cfs_json_doc d = parse(out);
        const cfs_json *ev = cfs_json_get(cfs_json_root(&d), "evidence");
        int n = 0;
        for (const cfs_json *e = cfs_json_first(ev); e; e = cfs_json_next(e)) n++;
        cr_assert_eq(n, 1, "one entry for g/waf: %s", out);
        const cfs_json *w = evid(&d, "waf_logs", "g/waf");
        cr_assert_eq(num(w, "covered_requests"), covered);
        cr_assert_eq(cfs_json_get(w, "warning")->type, CFS_JSON_NULL, "%s", out);
        cfs_json_doc_free(&d);
        free(out);
        free(err);
    }
}

/* An evidence path named twice in one run is read once, as a log file named twice is:
 * one entry each, covering the scanned requests once, in the printed report and in the
 * summary's (whose evidence once added the two entries up: 2 x the requests). */
Test(evidence, evidence_named_twice_is_read_once)
{
    char *out = NULL, *err = NULL;
    int rc = cfscan(
        &out, &err,
        "scan g/*.gz -q -j1 --config g/config --config g/config/ --waf-logs g/waf --waf-logs g/waf "
        "--format json -o twice");
    cr_assert_eq(rc, 0, "scan: %d %s", rc, err);
    cr_assert(strstr(err, "--config warning: g/config/: named more than once"), "stderr: %s", err);
    cr_assert(strstr(err, "--waf-logs warning: g/waf: named more than once"), "stderr: %s", err);
    char path[4096];
    snprintf(path, sizeof path, "%s/twice/report.json", g_dir);
    char *saved = tu_read(path, NULL);
    cr_assert_not_null(saved);
    const char *docs[2] = {out, saved};
    for (int i = 0; i < 2; i++) {
        cfs_json_doc d = parse(docs[i]);
        const cfs_json *ev = cfs_json_get(cfs_json_root(&d), "evidence");
        int n = 0;
        for (const cfs_json *e = cfs_json_first(ev); e; e = cfs_json_next(e)) n++;
        cr_assert_eq(n, 2, "%s: %d evidence entries", i ? "report.json" : "stdout", n);
        const cfs_json *c = evid(&d, "config", "g/config"), *w = evid(&d, "waf_logs", "g/waf");
        cr_assert(c && w, "%s: the entries", i ? "report.json" : "stdout");
        cr_assert_eq(num(c, "covered_requests"), generated_requests("g"));
        cr_assert_eq((long)num(c, "records"), shell_count("ls g/config/*.json | wc -l"));
        cr_assert_eq((long)num(w, "records"), shell_count("zcat g/waf/*.gz | wc -l"));
        cfs_json_doc_free(&d);
    }
    free(saved);
    free(out);
    free(err);
}

/* A --config file inside a --config directory is not a repeat when the directory does not
 * read it (only *.json files there are configs; a file named directly is read whatever its
 * name): both are read, each its own entry. */
Test(evidence, config_file_in_a_named_directory_is_still_read)
{
    char buf[16];
    shell_str("cp \"$(ls g/config/*.json | head -n 1)\" g/config/site.conf && echo ok", buf, sizeof buf);
    char *out = NULL, *err = NULL;
    int rc = cfscan(&out, &err,
                    "scan g/*.gz -q -j1 --config g/config --config g/config/site.conf --format json");
    cr_assert_eq(rc, 0, "scan: %d %s", rc, err);
    cr_assert_null(strstr(err, "named more than once"), "stderr: %s", err);
    cfs_json_doc d = parse(out);
    const cfs_json *dir = evid(&d, "config", "g/config"), *file = evid(&d, "config", "g/config/site.conf");
    cr_assert(dir && file, "both config inputs are in the evidence:\n%s", out);
    cr_assert_eq((long)num(dir, "records"), shell_count("ls g/config/*.json | wc -l"));
    cr_assert_eq((long)num(file, "records"), 1);
    cfs_json_doc_free(&d);
    free(out);
    free(err);
}

Test(evidence, state_of_the_previous_schema_still_merges)
{
    cr_assert_eq(cfscan(NULL, NULL, "scan g/*.gz -q -j1 -o old"), 0);
    cr_assert_eq(cfscan(NULL, NULL, "scan g/*.gz -q -j1 --config g/config -o new"), 0);
    char p[1024];
    snprintf(p, sizeof p, "%s/old/state.cfs", g_dir);
    tu_downgrade_state(p);
    /* a cfscan that wrote schema 3 wrote no input manifest either (issue 13 added it):
     * without one, merge cannot tell that old and new share their inputs */
    snprintf(p, sizeof p, "%s/old/inputs.cfm", g_dir);
    cr_assert_eq(unlink(p), 0, "%s", p);
    char *out = NULL, *err = NULL;
    int rc = cfscan(&out, &err, "merge old -o m3 -q --format json");
    cr_assert_eq(rc, 0, "old state: exit %d: %s", rc, err);
    cfs_json_doc d = parse(out);
    cr_assert_eq(num(cfs_json_get(cfs_json_root(&d), "inputs"), "requests"), generated_requests("g"));
    cr_assert_eq(cfs_json_count(cfs_json_get(cfs_json_root(&d), "evidence")), 0);
    cfs_json_doc_free(&d);
    free(out);
    free(err);
    /* old and new together: the new one's evidence is reported */
    rc = cfscan(&out, &err, "merge old new -o m4 -q --format json");
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err);
    d = parse(out);
    cr_assert_not_null(evid(&d, "config", "g/config"));
    cfs_json_doc_free(&d);
    free(out);
    free(err);
}
