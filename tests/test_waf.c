/* Tests for the WAF log index (pipeline/waf.c): the real CloudFront WAF record from
 * ../shared/samples, gzip (single and multi-member) and plain files written at run time,
 * bad lines, the time window, directory walking, truncated input and many records. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pipeline/waf.h"

static cfs_span sp(const char *s) { return (cfs_span){s, (uint32_t)strlen(s)}; }

/* ---- temp files (Criterion forks per test: each test makes and removes its own) ---- */

static char tmpdir[64];

static void tmp_begin(void)
{
    strcpy(tmpdir, "/tmp/cfs_test_waf_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tree(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp) return;
    struct dirent *de;
    char p[512];
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(p);
        else unlink(p);
    }
    closedir(dp);
    rmdir(dir);
}

static void tmp_end(void) { rm_tree(tmpdir); }

static const char *tmp_path(const char *name)
{
    static char bufs[4][512];
    static int k;
    char *p = bufs[k++ & 3];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static void write_plain(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fwrite(text, 1, n, f), n);
    fclose(f);
}

/* mode "wb" starts a gzip file, "ab" appends one more gzip member to it. */
static void write_gz(const char *path, const char *mode, const char *text)
{
    gzFile g = gzopen(path, mode);
    cr_assert_not_null(g, "%s", path);
    size_t n = strlen(text);
    if (n) cr_assert_eq(gzwrite(g, text, (unsigned)n), (int)n);
    cr_assert_eq(gzclose(g), Z_OK);
}

/* One WAF record shaped like the real ones (see the sample), with nested objects that
 * carry their own "action" keys: only the top-level one may count. */
static int rec(char *out, size_t cap, long long ts_ms, const char *action, const char *rule,
               const char *request_id)
{
    return snprintf(out, cap,
                    "{\"timestamp\":%lld,\"formatVersion\":1,\"webaclId\":\"arn:aws:wafv2:us-east-1:"
                    "123456789012:global/webacl/t/1\",\"terminatingRuleId\":\"%s\",\"terminatingRuleType\":"
                    "\"REGULAR\",\"action\":\"%s\",\"terminatingRuleMatchDetails\":[],\"httpSourceName\":"
                    "\"CF\",\"httpSourceId\":\"E3DTJP8YLL6OBQ\",\"ruleGroupList\":[{\"ruleGroupId\":\"g\","
                    "\"terminatingRule\":null,\"nonTerminatingMatchingRules\":[{\"ruleId\":\"r\","
                    "\"action\":\"COUNT\"}]}],\"rateBasedRuleList\":[],\"nonTerminatingMatchingRules\":"
                    "[{\"ruleId\":\"c\",\"action\":\"COUNT\"}],\"requestHeadersInserted\":null,"
                    "\"responseCodeSent\":null,\"httpRequest\":{\"clientIp\":\"192.0.2.1\",\"country\":"
                    "\"NL\",\"headers\":[{\"name\":\"host\",\"value\":\"d1.cloudfront.net\"}],\"uri\":"
                    "\"/x\",\"args\":\"\",\"httpVersion\":\"HTTP/2.0\",\"httpMethod\":\"GET\","
                    "\"requestId\":\"%s\"},\"labels\":[{\"name\":\"awswaf:clientip:geo:country:NL\"}]}",
                    ts_ms, rule, action, request_id);
}

static char err[1024];

static cfs_waf_index *load1(const char *path, int64_t since, int64_t until, cfs_status want)
{
    cfs_waf_index *w = NULL;
    const char *paths[] = {path};
    cfs_status st = cfs_waf_load(&w, paths, 1, since, until, err, sizeof err);
    cr_assert_eq(st, want, "load %s: status %d, err '%s'", path, st, err);
    cr_assert_not_null(w);
    return w;
}

static void expect_hit(const cfs_waf_index *w, const char *rid, int action, const char *rule)
{
    cfs_waf_hit hit = {0};
    cr_assert(cfs_waf_lookup(w, sp(rid), &hit), "no hit for %s", rid);
    cr_assert_eq(hit.action, action, "%s: action %d", rid, hit.action);
    cr_assert_str_eq(cfs_waf_rule_name(w, hit.rule), rule);
}

static void expect_stats(const cfs_waf_index *w, uint64_t records, uint64_t kept, uint64_t bad,
                         uint64_t out_of_window)
{
    const cfs_waf_stats *s = cfs_waf_get_stats(w);
    cr_assert_eq(s->records, records, "records %llu", (unsigned long long)s->records);
    cr_assert_eq(s->kept, kept, "kept %llu", (unsigned long long)s->kept);
    cr_assert_eq(s->bad_lines, bad, "bad %llu", (unsigned long long)s->bad_lines);
    cr_assert_eq(s->out_of_window, out_of_window, "out_of_window %llu", (unsigned long long)s->out_of_window);
}

/* ---- the real record ------------------------------------------------------------- */

#define SAMPLE CFS_SAMPLES_DIR "/otel-waf-cloudfront-record.json"
/* Read by hand from the sample file. */
#define SAMPLE_RID "n6LHLPqblIh_4qRsVj0940K9LxKyrkiUUE7lyMol1eTptabtlhHiXQ=="
#define SAMPLE_TS_S 1748208718LL /* "timestamp":1748208718574 */

Test(waf, real_record_allow_is_not_kept)
{
    if (access(SAMPLE, R_OK) != 0) cr_skip_test("waf::real_record_allow_is_not_kept: %s absent", SAMPLE);
    /* The record says "action":"ALLOW", "terminatingRuleId":"Default_Action". */
    cfs_waf_index *w = load1(SAMPLE, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 1, 0, 0, 0);
    cr_assert_not(cfs_waf_lookup(w, sp(SAMPLE_RID), NULL));
    cr_assert_eq(cfs_waf_rule_count(w), 0);
    cfs_waf_free(w);
}

Test(waf, real_record_as_block_is_found_and_windowed)
{
    if (access(SAMPLE, R_OK) != 0)
        cr_skip_test("waf::real_record_as_block_is_found_and_windowed: %s absent", SAMPLE);
    FILE *f = fopen(SAMPLE, "rb");
    cr_assert_not_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Same record with the action turned into a block by the default action. */
    char *a = strstr(buf, "\"action\":\"ALLOW\"");
    cr_assert_not_null(a);
    memcpy(a + 10, "BLOCK", 5);
    tmp_begin();
    const char *p = tmp_path("blocked.json");
    write_plain(p, buf, n);

    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 1, 1, 0, 0);
    expect_hit(w, SAMPLE_RID, CFS_WAF_BLOCK, "Default_Action");
    cr_assert_eq(cfs_waf_rule_count(w), 1);
    /* One byte different (the final '=' dropped) is another id. */
    cr_assert_not(cfs_waf_lookup(w, sp("n6LHLPqblIh_4qRsVj0940K9LxKyrkiUUE7lyMol1eTptabtlhHiXQ="), NULL));
    cfs_waf_free(w);

    /* Window edges (skew 300 s): the record is at 1748208718.574 s. */
    w = load1(p, SAMPLE_TS_S + 300, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 1, 1, 0, 0);
    cfs_waf_free(w);
    w = load1(p, SAMPLE_TS_S + 301, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 1, 0, 0, 1);
    cr_assert_not(cfs_waf_lookup(w, sp(SAMPLE_RID), NULL));
    cfs_waf_free(w);
    w = load1(p, CFS_NO_TIME, SAMPLE_TS_S - 300, CFS_OK);
    expect_stats(w, 1, 1, 0, 0);
    cfs_waf_free(w);
    w = load1(p, CFS_NO_TIME, SAMPLE_TS_S - 301, CFS_OK);
    expect_stats(w, 1, 0, 0, 1);
    cfs_waf_free(w);
    tmp_end();
}

/* ---- generated files -------------------------------------------------------------- */

#define T0 1700000000000LL /* 2023-11-14T22:13:20Z in ms */

Test(waf, gzip_block_and_allow_lines)
{
    tmp_begin();
    char text[16384], *o = text;
    size_t cap = sizeof text;
    struct {
        const char *action, *rule, *rid;
    } r[] = {
        {"BLOCK", "RateLimit", "blockA=="}, {"ALLOW", "Default_Action", "allowA=="},
        {"BLOCK", "SQLi_BODY", "blockB=="}, {"CAPTCHA", "BotControl", "captchaA=="},
        {"BLOCK", "RateLimit", "blockC=="}, {"CHALLENGE", "Challenge_All", "challengeA=="},
        {"ALLOW", "AllowList", "allowB=="},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        int k = rec(o, cap, T0 + (long long)i, r[i].action, r[i].rule, r[i].rid);
        o += k;
        *o++ = '\n';
        cap -= (size_t)k + 1;
    }
    *o = '\0';
    const char *p = tmp_path("waf.log.gz");
    write_gz(p, "wb", text);
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 7, 5, 0, 0);
    expect_hit(w, "blockA==", CFS_WAF_BLOCK, "RateLimit");
    expect_hit(w, "blockB==", CFS_WAF_BLOCK, "SQLi_BODY");
    expect_hit(w, "blockC==", CFS_WAF_BLOCK, "RateLimit");
    expect_hit(w, "captchaA==", CFS_WAF_CAPTCHA, "BotControl");
    expect_hit(w, "challengeA==", CFS_WAF_CHALLENGE, "Challenge_All");
    cr_assert_not(cfs_waf_lookup(w, sp("allowA=="), NULL));
    cr_assert_not(cfs_waf_lookup(w, sp("allowB=="), NULL));
    cr_assert_not(cfs_waf_lookup(w, sp("nothere=="), NULL));
    cr_assert_not(cfs_waf_lookup(w, (cfs_span){NULL, 0}, NULL));
    /* Rule names are interned: RateLimit once; ALLOW rules are never stored. */
    cr_assert_eq(cfs_waf_rule_count(w), 4);
    cfs_waf_hit h1, h2;
    cfs_waf_lookup(w, sp("blockA=="), &h1);
    cfs_waf_lookup(w, sp("blockC=="), &h2);
    cr_assert_eq(h1.rule, h2.rule);
    cr_assert_null(cfs_waf_rule_name(w, 4));
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, multi_member_gzip_with_a_line_split_across_members)
{
    tmp_begin();
    char l1[4096], l2[4096], l3[4096];
    rec(l1, sizeof l1, T0, "BLOCK", "R1", "m1==");
    rec(l2, sizeof l2, T0, "BLOCK", "R2", "m2==");
    rec(l3, sizeof l3, T0, "BLOCK", "R3", "m3==");
    /* member 1: line 1 and the first half of line 2; member 2: the rest of line 2;
     * member 3 (empty); member 4: line 3 without a final newline. */
    size_t half = strlen(l2) / 2;
    char part1[8192], part2[8192];
    snprintf(part1, sizeof part1, "%s\n%.*s", l1, (int)half, l2);
    snprintf(part2, sizeof part2, "%s\n", l2 + half);
    const char *p = tmp_path("multi.gz");
    write_gz(p, "wb", part1);
    write_gz(p, "ab", part2);
    write_gz(p, "ab", "");
    write_gz(p, "ab", l3);
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 3, 3, 0, 0);
    expect_hit(w, "m1==", CFS_WAF_BLOCK, "R1");
    expect_hit(w, "m2==", CFS_WAF_BLOCK, "R2");
    expect_hit(w, "m3==", CFS_WAF_BLOCK, "R3");
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, bad_lines_are_counted_and_skipped)
{
    tmp_begin();
    size_t cap = 8 << 20;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t o = 0;
#define ADD(...) (o += (size_t)snprintf(text + o, cap - o, __VA_ARGS__))
    char r[4096];
    rec(r, sizeof r, T0, "BLOCK", "Good1", "good1==");
    ADD("%s\r\n", r);          /* 1 good, CRLF */
    ADD("\n   \n\t\r\n");      /* blank lines: not records */
    ADD("this is not json\n"); /* 2 bad */
    ADD("[1,2,3]\n");          /* 3 bad: not an object */
    ADD("{\"action\":\"BLOCK\",\"terminatingRuleId\":\"x\",\"timestamp\":%lld}\n", T0); /* 4 no requestId */
    ADD("{\"terminatingRuleId\":\"x\",\"timestamp\":%lld,\"httpRequest\":{\"requestId\":\"a\"}}\n",
        T0); /* 5 no action */
    ADD("{\"action\":\"BLOCK\",\"timestamp\":%lld,\"httpRequest\":{\"requestId\":\"b\"}}\n",
        T0); /* 6 no terminatingRuleId */
    ADD("{\"action\":\"COUNT\",\"terminatingRuleId\":\"x\",\"timestamp\":%lld,"
        "\"httpRequest\":{\"requestId\":\"c\"}}\n",
        T0); /* 7 not a terminating action */
    ADD("{\"action\":\"BLOCK\",\"terminatingRuleId\":\"x\",\"timestamp\":\"%lld\","
        "\"httpRequest\":{\"requestId\":\"d\"}}\n",
        T0); /* 8 timestamp is a string */
    ADD("{\"action\":\"BLOCK\",\"terminatingRuleId\":\"x\",\"timestamp\":-5,"
        "\"httpRequest\":{\"requestId\":\"e\"}}\n"); /* 9 negative timestamp */
    ADD("{\"action\":\"BLOCK\",\"terminatingRuleId\":\"x\",\"timestamp\":1.5,"
        "\"httpRequest\":{\"requestId\":\"f\"}}\n"); /* 10 fractional timestamp */
    ADD("{\"action\":\"BLOCK\",\"terminatingRuleId\":\"x\",\"timestamp\":%lld,"
        "\"httpRequest\":{\"requestId\":\"\"}}\n",
        T0); /* 11 empty requestId */
    ADD("{\"action\":\"BLOCK\",\"terminatingRuleId\":\"x\",\"timestamp\":%lld,"
        "\"httpRequest\":{\"requestId\":\"g\"}\n",
        T0); /* 12 truncated JSON */
    /* 13: exactly CFS_MAX_LINE bytes (padded with trailing spaces): still a record. */
    rec(r, sizeof r, T0, "BLOCK", "Big", "big==");
    size_t rl = strlen(r);
    memcpy(text + o, r, rl);
    memset(text + o + rl, ' ', CFS_MAX_LINE - rl);
    o += CFS_MAX_LINE;
    text[o++] = '\n';
    /* 14: CFS_MAX_LINE + 1 bytes: too long, bad, and its tail must not leak into the next. */
    rec(r, sizeof r, T0, "BLOCK", "TooBig", "toobig==");
    memcpy(text + o, r, rl = strlen(r));
    memset(text + o + rl, ' ', CFS_MAX_LINE + 1 - rl);
    o += CFS_MAX_LINE + 1;
    text[o++] = '\n';
    rec(r, sizeof r, T0, "CHALLENGE", "Good2", "good2==");
    ADD("%s\n", r); /* 15 good */
    rec(r, sizeof r, T0, "BLOCK", "Good3", "good3==");
    ADD("%s", r); /* 16 good, no final newline */
#undef ADD
    const char *p = tmp_path("bad.log");
    write_plain(p, text, o);
    free(text);
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 16, 4, 12, 0);
    expect_hit(w, "good1==", CFS_WAF_BLOCK, "Good1");
    expect_hit(w, "big==", CFS_WAF_BLOCK, "Big");
    expect_hit(w, "good2==", CFS_WAF_CHALLENGE, "Good2");
    expect_hit(w, "good3==", CFS_WAF_BLOCK, "Good3");
    cr_assert_not(cfs_waf_lookup(w, sp("toobig=="), NULL));
    cr_assert_not(cfs_waf_lookup(w, sp("c"), NULL));
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, time_window_filters_with_skew)
{
    tmp_begin();
    /* since = T0/1000 s, until = since + 3600 s; kept: [since - 300 s, until + 300 s]. */
    const int64_t since = T0 / 1000, until = since + 3600;
    struct {
        long long ms;
        const char *rid;
        int in;
    } r[] = {
        {T0 - 300001, "early2", 0}, /* 300.001 s before since */
        {T0 - 300000, "early1", 1}, /* exactly since - 300 s */
        {T0, "mid0", 1},
        {T0 + 3600000 + 300999, "late1", 1}, /* last ms of second until + 300 */
        {T0 + 3600000 + 301000, "late2", 0},
        {0, "epoch", 0},
    };
    char text[32768], *o = text;
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        o += rec(o, sizeof text - (size_t)(o - text), r[i].ms, "BLOCK", "W", r[i].rid);
        *o++ = '\n';
    }
    /* An ALLOW record is never kept, so it does not count as out of window. */
    o += rec(o, sizeof text - (size_t)(o - text), 5, "ALLOW", "W", "allow-old");
    *o++ = '\n';
    const char *p = tmp_path("window.log");
    write_plain(p, text, (size_t)(o - text));

    cfs_waf_index *w = load1(p, since, until, CFS_OK);
    expect_stats(w, 7, 3, 0, 3);
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        cr_assert_eq(cfs_waf_lookup(w, sp(r[i].rid), NULL), r[i].in, "%s", r[i].rid);
    cfs_waf_free(w);
    /* Open ends keep everything. */
    w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 7, 6, 0, 0);
    cfs_waf_free(w);
    /* Extreme bounds do not overflow. */
    w = load1(p, INT64_MIN + 1, INT64_MAX, CFS_OK);
    expect_stats(w, 7, 6, 0, 0);
    cfs_waf_free(w);
    w = load1(p, INT64_MAX, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 7, 0, 0, 6);
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, directories_are_walked_and_bad_paths_reported)
{
    tmp_begin();
    char r[4096];
    char dir[512], sub[512], subsub[512];
    snprintf(dir, sizeof dir, "%s/logs", tmpdir);
    snprintf(sub, sizeof sub, "%s/logs/2024", tmpdir);
    snprintf(subsub, sizeof subsub, "%s/logs/2024/05", tmpdir);
    cr_assert_eq(mkdir(dir, 0700), 0);
    cr_assert_eq(mkdir(sub, 0700), 0);
    cr_assert_eq(mkdir(subsub, 0700), 0);
    char path[600], line[4200];
    rec(r, sizeof r, T0, "BLOCK", "Top", "d0==");
    snprintf(line, sizeof line, "%s\n", r);
    snprintf(path, sizeof path, "%s/a.log", dir);
    write_plain(path, line, strlen(line));
    rec(r, sizeof r, T0, "BLOCK", "Mid", "d1==");
    snprintf(line, sizeof line, "%s\n", r);
    snprintf(path, sizeof path, "%s/b.log.gz", sub);
    write_gz(path, "wb", line);
    rec(r, sizeof r, T0, "CAPTCHA", "Deep", "d2==");
    snprintf(line, sizeof line, "%s\n", r);
    snprintf(path, sizeof path, "%s/c", subsub);
    write_gz(path, "wb", line);
    /* A link to a file outside the tree is read; a link to a directory is not followed
     * (it points back up: following it would loop). */
    rec(r, sizeof r, T0, "BLOCK", "Linked", "d3==");
    snprintf(line, sizeof line, "%s\n", r);
    write_plain(tmp_path("outside.log"), line, strlen(line));
    snprintf(path, sizeof path, "%s/link.log", sub);
    cr_assert_eq(symlink(tmp_path("outside.log"), path), 0);
    snprintf(path, sizeof path, "%s/loop", subsub);
    cr_assert_eq(symlink(dir, path), 0);

    const char *missing = tmp_path("no-such-file.gz");
    char missing_copy[512];
    snprintf(missing_copy, sizeof missing_copy, "%s", missing);
    const char *paths[] = {missing_copy, dir};
    cfs_waf_index *w = NULL;
    cfs_status st = cfs_waf_load(&w, paths, 2, CFS_NO_TIME, CFS_NO_TIME, err, sizeof err);
    cr_assert_eq(st, CFS_E_IO, "err: %s", err);
    cr_assert(strstr(err, missing_copy) != NULL, "error names the file: %s", err);
    cr_assert_not_null(w, "the load goes on past a bad path");
    expect_stats(w, 4, 4, 0, 0);
    expect_hit(w, "d0==", CFS_WAF_BLOCK, "Top");
    expect_hit(w, "d1==", CFS_WAF_BLOCK, "Mid");
    expect_hit(w, "d2==", CFS_WAF_CAPTCHA, "Deep");
    expect_hit(w, "d3==", CFS_WAF_BLOCK, "Linked");
    cfs_waf_free(w);

    /* Only the first error is kept. */
    const char *paths2[] = {missing_copy, tmp_path("also-missing"), dir};
    st = cfs_waf_load(&w, paths2, 3, CFS_NO_TIME, CFS_NO_TIME, err, sizeof err);
    cr_assert_eq(st, CFS_E_IO);
    cr_assert(strstr(err, missing_copy) != NULL && strstr(err, "also-missing") == NULL, "%s", err);
    expect_stats(w, 4, 4, 0, 0);
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, truncated_and_corrupt_gzip_keep_what_was_read)
{
    tmp_begin();
    /* Enough lines that the cut falls well after the first ones. */
    size_t cap = 1 << 20;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t o = 0;
    char rid[32];
    for (int i = 0; i < 200; i++) {
        snprintf(rid, sizeof rid, "t%d==", i);
        o += (size_t)rec(text + o, cap - o, T0, "BLOCK", "T", rid);
        text[o++] = '\n';
    }
    text[o] = '\0';
    const char *p = tmp_path("full.gz");
    write_gz(p, "wb", text);
    free(text);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    static char gz[1 << 20];
    size_t gzn = fread(gz, 1, sizeof gz, f);
    fclose(f);
    cr_assert_gt(gzn, 100);

    const char *cut = tmp_path("cut.gz");
    write_plain(cut, gz, gzn * 2 / 3);
    cfs_waf_index *w = load1(cut, CFS_NO_TIME, CFS_NO_TIME, CFS_E_TRUNCATED);
    cr_assert(strstr(err, cut) != NULL, "%s", err);
    const cfs_waf_stats *s = cfs_waf_get_stats(w);
    cr_assert_gt(s->kept, 10);
    cr_assert_lt(s->kept, 200);
    cr_assert_eq(s->bad_lines, 1, "the one line cut in half");
    expect_hit(w, "t0==", CFS_WAF_BLOCK, "T");
    cr_assert_not(cfs_waf_lookup(w, sp("t199=="), NULL));
    cfs_waf_free(w);

    /* Flip bytes in the middle of the deflate data: a data error, not a crash. */
    for (size_t i = gzn / 2; i < gzn / 2 + 16; i++) gz[i] ^= 0x55;
    const char *bad = tmp_path("corrupt.gz");
    write_plain(bad, gz, gzn);
    w = NULL;
    const char *paths[] = {bad};
    cfs_status st = cfs_waf_load(&w, paths, 1, CFS_NO_TIME, CFS_NO_TIME, err, sizeof err);
    cr_assert(st == CFS_E_CORRUPT || st == CFS_E_TRUNCATED, "status %d: %s", st, err);
    cr_assert(strstr(err, bad) != NULL, "%s", err);
    cr_assert_not_null(w);
    cr_assert_lt(cfs_waf_get_stats(w)->kept, 200);
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, duplicate_request_ids_keep_the_first)
{
    tmp_begin();
    char text[16384], *o = text;
    o += rec(o, 4096, T0, "BLOCK", "First", "dup==");
    *o++ = '\n';
    o += rec(o, 4096, T0 + 1, "CAPTCHA", "Second", "dup==");
    *o++ = '\n';
    const char *p = tmp_path("dup.log");
    write_plain(p, text, (size_t)(o - text));
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 2, 1, 0, 0);
    expect_hit(w, "dup==", CFS_WAF_BLOCK, "First");
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, empty_inputs)
{
    cfs_waf_index *w = NULL;
    cfs_status st = cfs_waf_load(&w, NULL, 0, CFS_NO_TIME, CFS_NO_TIME, err, sizeof err);
    cr_assert_eq(st, CFS_OK);
    cr_assert_not_null(w);
    expect_stats(w, 0, 0, 0, 0);
    cr_assert_not(cfs_waf_lookup(w, sp("x"), NULL));
    cr_assert_eq(cfs_waf_rule_count(w), 0);
    cfs_waf_free(w);
    cr_assert_not(cfs_waf_lookup(NULL, sp("x"), NULL));
    cr_assert_null(cfs_waf_get_stats(NULL));

    tmp_begin();
    const char *p = tmp_path("empty.gz");
    write_gz(p, "wb", "");
    w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 0, 0, 0, 0);
    cfs_waf_free(w);
    p = tmp_path("empty.log");
    write_plain(p, "", 0);
    w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 0, 0, 0, 0);
    cfs_waf_free(w);
    tmp_end();
}

Test(waf, many_records_all_found_none_invented)
{
    tmp_begin();
    const int n = 40000;
    size_t cap = (size_t)n * 128;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    size_t o = 0;
    /* Compact records (only the needed fields) with ids shaped like x-edge-request-id. */
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(text + o, cap - o,
                              "{\"timestamp\":%lld,\"action\":\"%s\",\"terminatingRuleId\":\"rule%d\","
                              "\"httpRequest\":{\"requestId\":\"Req%08dAbCdEfGh==\"}}\n",
                              T0 + i, i % 3 == 2 ? "ALLOW" : "BLOCK", i % 7, i);
    const char *p = tmp_path("many.gz");
    gzFile g = gzopen(p, "wb1");
    cr_assert_not_null(g);
    cr_assert_eq(gzwrite(g, text, (unsigned)o), (int)o);
    gzclose(g);
    free(text);
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    /* i % 3 == 2 are ALLOW: 13333 of 40000. */
    expect_stats(w, (uint64_t)n, (uint64_t)(n - n / 3), 0, 0);
    cr_assert_eq(cfs_waf_rule_count(w), 7);
    char rid[64], want[16];
    for (int i = 0; i < n; i++) {
        snprintf(rid, sizeof rid, "Req%08dAbCdEfGh==", i);
        cfs_waf_hit h;
        int found = cfs_waf_lookup(w, sp(rid), &h);
        cr_assert_eq(found, i % 3 != 2, "%s", rid);
        if (found) {
            snprintf(want, sizeof want, "rule%d", i % 7);
            cr_assert_str_eq(cfs_waf_rule_name(w, h.rule), want);
        }
        snprintf(rid, sizeof rid, "Req%08dAbCdEfGh=!", i);
        cr_assert_not(cfs_waf_lookup(w, sp(rid), NULL), "%s", rid);
    }
    cfs_waf_free(w);
    tmp_end();
}

/* Records appended to a local buffer: o the end of the text so far, left the room after it. */
#define ADD(...)                                 \
    do {                                         \
        int k_ = snprintf(o, left, __VA_ARGS__); \
        o += k_;                                 \
        left -= (size_t)k_;                      \
    } while (0)

Test(waf, allow_prefilter_never_hides_a_block)
{
    tmp_begin();
    char text[32768], *o = text;
    size_t left = sizeof text;
    /* 1: BLOCK whose header value holds the text "action":"ALLOW" (escaped quotes). */
    ADD("{\"timestamp\":%lld,\"action\":\"BLOCK\",\"terminatingRuleId\":\"Hdr\",\"httpRequest\":{"
        "\"headers\":[{\"name\":\"x\",\"value\":\"{\\\"action\\\":\\\"ALLOW\\\"}\"}],"
        "\"requestId\":\"p1==\"}}\n",
        T0);
    /* 2: top-level BLOCK after a nested "action":"ALLOW" (a rule group's rule). */
    ADD("{\"ruleGroupList\":[{\"terminatingRule\":{\"ruleId\":\"g\",\"action\":\"ALLOW\"}}],"
        "\"timestamp\":%lld,\"action\":\"BLOCK\",\"terminatingRuleId\":\"Nested\","
        "\"httpRequest\":{\"requestId\":\"p2==\"}}\n",
        T0);
    /* 3: BLOCK spelled with a \u escape, plus an "action":"ALLOW" elsewhere. */
    ADD("{\"x\":{\"action\":\"ALLOW\"},\"timestamp\":%lld,\"action\":\"\\u0042LOCK\","
        "\"terminatingRuleId\":\"Esc\",\"httpRequest\":{\"requestId\":\"p3==\"}}\n",
        T0);
    /* 4: CAPTCHA at top level, "action":"ALLOW" nested. */
    ADD("{\"x\":{\"action\":\"ALLOW\"},\"timestamp\":%lld,\"action\":\"CAPTCHA\","
        "\"terminatingRuleId\":\"Cap\",\"httpRequest\":{\"requestId\":\"p4==\"}}\n",
        T0);
    /* 5: ALLOW at top level with a nested BLOCK: parsed, not kept. */
    ADD("{\"ruleGroupList\":[{\"terminatingRule\":{\"ruleId\":\"g\",\"action\":\"BLOCK\"}}],"
        "\"timestamp\":%lld,\"action\":\"ALLOW\",\"terminatingRuleId\":\"Default_Action\","
        "\"httpRequest\":{\"requestId\":\"p5==\"}}\n",
        T0);
    /* 6: plain ALLOW (skipped without a parse). */
    ADD("{\"timestamp\":%lld,\"action\":\"ALLOW\",\"terminatingRuleId\":\"Default_Action\","
        "\"httpRequest\":{\"requestId\":\"p6==\"}}\n",
        T0);
    const char *p = tmp_path("prefilter.log");
    write_plain(p, text, (size_t)(o - text));
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 6, 4, 0, 0);
    expect_hit(w, "p1==", CFS_WAF_BLOCK, "Hdr");
    expect_hit(w, "p2==", CFS_WAF_BLOCK, "Nested");
    expect_hit(w, "p3==", CFS_WAF_BLOCK, "Esc");
    expect_hit(w, "p4==", CFS_WAF_CAPTCHA, "Cap");
    cr_assert_not(cfs_waf_lookup(w, sp("p5=="), NULL));
    cr_assert_not(cfs_waf_lookup(w, sp("p6=="), NULL));
    cfs_waf_free(w);
    tmp_end();
}

/* A block by a rule inside a rule group is named GROUP/RULE: terminatingRuleId is the web
 * ACL's rule that holds the group, and the rule that matched is the terminatingRule of the
 * group's ruleGroupList entry (the records below are shaped like published ones of
 * managed groups, whose ruleGroupId spells the group "AWS#..."). */
Test(waf, rule_inside_a_group_is_named)
{
    tmp_begin();
    char text[8192], *o = text;
    size_t left = sizeof text;
#define GROUPS(type, list)                                                                                 \
    "{\"timestamp\":%lld,\"action\":\"BLOCK\",\"terminatingRuleId\":\"AWS-AWSManagedRulesCommonRuleSet\"," \
    "\"terminatingRuleType\":\"" type "\",\"ruleGroupList\":" list                                         \
    ",\"httpRequest\":{\"requestId\":\"%s\"}}\n"
    /* g1: a managed group; the group before it in the list did not terminate */
    ADD(GROUPS(
            "MANAGED_RULE_GROUP",
            "[{\"ruleGroupId\":\"AWS#AWSManagedRulesAmazonIpReputationList\",\"terminatingRule\":null,"
            "\"nonTerminatingMatchingRules\":[{\"ruleId\":\"AWSManagedIPDDoSList\",\"action\":\"COUNT\"}]},"
            "{\"ruleGroupId\":\"AWS#AWSManagedRulesCommonRuleSet\",\"terminatingRule\":{\"ruleId\":"
            "\"SizeRestrictions_BODY\",\"action\":\"BLOCK\",\"ruleMatchDetails\":null}}]"),
        T0, "g1==");
    /* g2: the user's own group (GROUP) */
    ADD(GROUPS("GROUP", "[{\"ruleGroupId\":\"arn:aws:wafv2:us-east-1:123456789012:global/rulegroup/mine/1\","
                        "\"terminatingRule\":{\"ruleId\":\"BlockLegacyExport\",\"action\":\"BLOCK\"}}]"),
        T0, "g2==");
    /* g3: a REGULAR rule blocked; a group's rule overridden to Count stays out of its name */
    ADD(GROUPS("REGULAR",
               "[{\"ruleGroupId\":\"AWS#AWSManagedRulesCommonRuleSet\",\"terminatingRule\":{\"ruleId\":"
               "\"NoUserAgent_HEADER\",\"action\":\"BLOCK\"}}]"),
        T0, "g3==");
    /* g4: a group block whose list names no rule (null terminatingRule, or one that took
     * another action than the record's): the group's name alone */
    ADD(GROUPS(
            "MANAGED_RULE_GROUP",
            "[{\"ruleGroupId\":\"AWS#AWSManagedRulesCommonRuleSet\",\"terminatingRule\":null},"
            "{\"ruleGroupId\":\"AWS#X\",\"terminatingRule\":{\"ruleId\":\"Cap\",\"action\":\"CAPTCHA\"}}]"),
        T0, "g4==");
    /* g5: ruleGroupList of the wrong type */
    ADD(GROUPS("MANAGED_RULE_GROUP", "{\"terminatingRule\":{\"ruleId\":\"R\",\"action\":\"BLOCK\"}}"), T0,
        "g5==");
#undef GROUPS
#undef ADD
    const char *p = tmp_path("groups.log");
    write_plain(p, text, (size_t)(o - text));
    cfs_waf_index *w = load1(p, CFS_NO_TIME, CFS_NO_TIME, CFS_OK);
    expect_stats(w, 5, 5, 0, 0);
    expect_hit(w, "g1==", CFS_WAF_BLOCK, "AWS-AWSManagedRulesCommonRuleSet/SizeRestrictions_BODY");
    expect_hit(w, "g2==", CFS_WAF_BLOCK, "AWS-AWSManagedRulesCommonRuleSet/BlockLegacyExport");
    expect_hit(w, "g3==", CFS_WAF_BLOCK, "AWS-AWSManagedRulesCommonRuleSet");
    expect_hit(w, "g4==", CFS_WAF_BLOCK, "AWS-AWSManagedRulesCommonRuleSet");
    expect_hit(w, "g5==", CFS_WAF_BLOCK, "AWS-AWSManagedRulesCommonRuleSet");
    cfs_waf_free(w);
    tmp_end();
}
