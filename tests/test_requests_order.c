/* `cfscan requests` rows in time order, stable across -j and spills (ties: input order,
 * then line order), the verdict fields selectable with --fields (cause, evidence, rule,
 * waf_rule, candidates) and --format json (issue 17 item 4).  The expected order is made
 * by sort(1) over awk's reading of the generated files; the WAF rule of a row is looked up
 * in cfsgen's WAF log by its request id. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json.h"
#include "tests/util.h"

static char *g_dir;

static void setup(void)
{
    g_dir = tu_mkdtemp();
    char cmd[1024], *err;
    /* 2 files per hour of different sizes: size order is not name order */
    snprintf(cmd, sizeof cmd,
             "%s -o %s/gen --seed 9 --dists 2 --days 1 --files-per-hour 2 --lines-per-file 60 "
             "--format plain -j2",
             tu_prog("cfsgen"), g_dir);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    free(err);
}

static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(requests_order, .init = setup, .fini = teardown, .timeout = 60);

/* stdout of a shell command run in the generated folder ($G); exit status asserted 0. */
static char *sh(const char *fmt, const char *arg)
{
    char c1[2048], cmd[4096], *out, *err;
    snprintf(c1, sizeof c1, fmt, arg);
    snprintf(cmd, sizeof cmd, "export LC_ALL=C; G=%s/gen; cd $G && %s", g_dir, c1);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, err);
    free(err);
    return out;
}

Test(requests_order, time_order_ties_by_input_then_line)
{
    char *prog = tu_prog("cfscan");
    /* Every data line's time, file rank (name order, as the walk yields them), line number
     * and request id; stable sort by time, then rank, then line. */
    char *want = sh("ls *.log | sort | awk '{print FILENAME_RANK++ \"\\t\" $0}' > ranks; "
                    "while IFS=\"$(printf '\\t')\" read k f; do awk -F'\\t' -v k=$k '!/^#/ && $9 == \"403\" "
                    "{print $1 \" \" $2 \"\\t\" k \"\\t\" FNR \"\\t\" $15}' \"$f\"; done < ranks | "
                    "sort -t\"$(printf '\\t')\" -k1,1 -k2,2n -k3,3n | cut -f4; rm ranks%s",
                    "");
    cr_assert_gt(strlen(want), 1000);
    const char *variants[] = {"-j1", "-j2", "-j2 --split-above 4096", "-j1 --split-above 4096"};
    char *first = NULL;
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        char args[512];
        snprintf(args, sizeof args,
                 "%s requests *.log -q --status 403 --fields x-edge-request-id %s | tail -n +2 | cut -f1",
                 prog, variants[i]);
        char *got = sh("%s", args);
        cr_expect_str_eq(got, want, "%s: not in time order", variants[i]);
        if (!first) first = got;
        else free(got);
    }
    /* rows spilled to a temporary file come back in the same order */
    char args[512];
    snprintf(args, sizeof args,
             "CFS_REQUESTS_SPILL_BYTES=2048 %s requests *.log -q -j2 --status 403 "
             "--fields x-edge-request-id | tail -n +2 | cut -f1",
             prog);
    char *spilled = sh("%s", args);
    cr_expect_str_eq(spilled, want, "spilled rows out of order");
    free(spilled);
    free(first);
    free(want);
}

Test(requests_order, verdict_fields_and_waf_rule)
{
    char *prog = tu_prog("cfscan");
    char args[1024];
    snprintf(args, sizeof args,
             "%s requests *.log -q --waf-logs waf --status 403 "
             "--fields x-edge-request-id,cause,waf_rule,evidence,rule,candidates",
             prog);
    char *out = sh("%s", args);
    /* the chosen columns, each once: the four verdict columns that end every row are
     * all chosen here, so none is repeated after them (a header naming a column twice
     * reads as two columns in DuckDB and pandas) */
    const char *hdr = "x-edge-request-id\tcause\twaf_rule\tevidence\trule\tcandidates\n";
    cr_assert(strncmp(out, hdr, strlen(hdr)) == 0, "header: %.200s", out);
    int blocks = 0, grouped = 0;
    for (char *line = strchr(out, '\n') + 1; *line;) {
        char *nl = strchr(line, '\n');
        *nl = 0;
        char id[128], cause[64], waf[128], ev[32], rule[96], cand[256];
        int tabs = 0;
        for (const char *q = line; *q; q++) tabs += *q == '\t';
        cr_assert_eq(tabs, 5, "%s", line);
        cr_assert_eq(sscanf(line, "%127[^\t]\t%63[^\t]\t%127[^\t]\t%31[^\t]\t%95[^\t]\t%255s", id, cause, waf,
                            ev, rule, cand),
                     6, "%s", line);
        /* a decided cause has no candidates (README: candidates are of undecided 403s) */
        if (strcmp(cause, "unknown") != 0) cr_expect_str_eq(cand, "-", "%s", line);
        if (strcmp(waf, "-") != 0) {
            /* the BLOCK record of this request names the same terminating rule, and for a
             * rule group's block the rule in it (README: GROUP/RULE): the group entry's
             * terminatingRule, which cfsgen writes for the managed groups it blocks with */
            char q[768];
            snprintf(q, sizeof q,
                     "zcat waf/*.gz | grep -F '\"requestId\":\"%s\"' | grep -o "
                     "'\"terminatingRuleId\":\"[^\"]*\"\\|\"terminatingRule\":{\"ruleId\":\"[^\"]*\"' | "
                     "sed 's/.*\"\\([^\"]*\\)\"$/\\1/' | paste -sd/",
                     id);
            char *r = sh("%s", q);
            char *e = strchr(r, '\n');
            if (e) *e = 0;
            cr_expect_str_eq(waf, r, "request %s", id);
            cr_expect_str_eq(cause, "waf_block", "request %s", id);
            free(r);
            blocks++;
            grouped += strchr(waf, '/') != NULL;
        }
        line = nl + 1;
    }
    cr_expect_gt(blocks, 0, "no row named a WAF rule");
    cr_expect_gt(grouped, 0, "no row named a rule inside a rule group");
    free(out);
}

/* A column named twice in --fields is printed once, where first named, with a warning on
 * stderr: a TSV header naming a column twice reads as two columns, a JSON object with a
 * key twice as one of them. */
Test(requests_order, field_named_twice_is_printed_once)
{
    char *prog = tu_prog("cfscan");
    char *out = sh("%s requests *.log -q --status 403 --fields cause,c-ip,c-ip,cause 2>err | head -n 1",
                   prog);
    cr_expect_str_eq(out, "cause\tc-ip\tevidence\trule\tcandidates\n");
    free(out);
    out = sh("cat err", "");
    cr_expect(strstr(out, "--fields warning: c-ip named more than once") &&
                  strstr(out, "--fields warning: cause named more than once"),
              "stderr: %s", out);
    free(out);
    out = sh(
        "%s requests *.log -q --status 403 --format json --fields cause,c-ip,cause 2>/dev/null | head -n 1",
        prog);
    const char *c1 = strstr(out, "\"cause\":");
    cr_assert_not_null(c1, "%s", out);
    cr_expect_null(strstr(c1 + 1, "\"cause\":"), "a key twice: %s", out);
    free(out);
    free(prog);
}

Test(requests_order, json_lines)
{
    char *prog = tu_prog("cfscan");
    char args[512];
    snprintf(args, sizeof args,
             "%s requests *.log -q --status 403 --format json --fields x-edge-request-id,cs-uri-stem,cause",
             prog);
    char *out = sh("%s", args);
    snprintf(args, sizeof args,
             "%s requests *.log -q --status 403 --format tsv --fields x-edge-request-id,cs-uri-stem,cause",
             prog);
    char *tsv = sh("%s", args);
    /* one object per row, in the TSV's order, with the same values */
    char *t = strchr(tsv, '\n') + 1;
    int rows = 0;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = 0;
        cfs_json_doc doc = {0};
        char jerr[128];
        cr_assert_eq(cfs_json_parse(&doc, line, strlen(line), jerr, sizeof jerr), CFS_OK, "%s: %s", jerr,
                     line);
        const cfs_json *o = cfs_json_root(&doc);
        char want[1024];
        char *tn = strchr(t, '\n');
        cr_assert_not_null(tn);
        snprintf(want, sizeof want, "%.*s", (int)(tn - t), t);
        char got[1024];
        /* cause chosen: the TSV, like the object, has it once, where it was chosen */
        snprintf(got, sizeof got, "%s\t%s\t%s\t%s\t%s\t%s",
                 cfs_json_str(cfs_json_get(o, "x-edge-request-id")),
                 cfs_json_str(cfs_json_get(o, "cs-uri-stem")), cfs_json_str(cfs_json_get(o, "cause")),
                 cfs_json_str(cfs_json_get(o, "evidence")), cfs_json_str(cfs_json_get(o, "rule")),
                 cfs_json_str(cfs_json_get(o, "candidates")));
        cr_expect_str_eq(got, want);
        cfs_json_doc_free(&doc);
        t = tn + 1;
        line = nl + 1;
        rows++;
    }
    cr_expect_gt(rows, 10);
    cr_expect_eq(*t, 0, "more TSV rows than JSON lines");
    free(out);
    free(tsv);
}

/* Bytes that need escaping in a JSON string come out escaped (a hand-written line). */
Test(requests_order, json_escapes)
{
    tu_buf b = {0};
    tu_log_header(&b);
    tu_kv over[] = {{"cs-uri-stem", "/a\"b\\c"}, {"cs(User-Agent)", "x\xffy"}, {NULL, NULL}};
    tu_log_line(&b, NULL, over);
    char *p = tu_write(g_dir, TU_LOG_NAME, b.p, b.n);
    char cmd[1024], *out, *err;
    snprintf(cmd, sizeof cmd, "%s requests %s -q --format json --fields 'cs-uri-stem,cs(User-Agent)'",
             tu_prog("cfscan"), p);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s", err);
    cr_expect(strstr(out, "\"cs-uri-stem\":\"/a\\\"b\\\\c\"") != NULL, "%s", out);
    cr_expect(strstr(out, "\"cs(User-Agent)\":\"x\\u00ffy\"") != NULL, "%s", out);
    free(out);
    free(err);
    free(p);
    free(b.p);
}
