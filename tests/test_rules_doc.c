/* The report in the user's language (issue 17 item 6), through the built cfscan:
 * `cfscan rules` lists every rule of the attribution table (read here from the source of
 * pipeline/attribute.c, not from cfscan) with its cause, evidence level, the facts it
 * rests on and the documentation it cites; the text report ends with a legend and states
 * the origin reference in one sentence (the formula is in the README); `--brief` fits one
 * screen (60 lines of 100 columns) on a generated set with every situation, and its 403
 * counts per distribution are the generator's labels. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/attribute.h"
#include "pipeline/report_model.h"
#include "tests/util.h"

/* cfscan ARGS, which must exit want_rc: its stdout, and its stderr in *err_out when asked
 * for (both freed by the caller). */
static char *cfscan_run(int want_rc, const char *args, char **err_out)
{
    char cmd[4096], *out = NULL, *err = NULL;
    char *prog = tu_prog("cfscan");
    snprintf(cmd, sizeof cmd, "timeout -s KILL 60 %s %s", prog, args);
    free(prog);
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, want_rc, "cfscan %s: exit %d: %s", args, rc, err);
    if (err_out) *err_out = err;
    else free(err);
    return out;
}

static char *cfscan_out(int want_rc, const char *args) { return cfscan_run(want_rc, args, NULL); }

/* Its stderr only. */
static char *cfscan_err(int want_rc, const char *args)
{
    char *err;
    free(cfscan_run(want_rc, args, &err));
    return err;
}

static char *sh(const char *cmd)
{
    char *out = NULL;
    cr_assert_eq(tu_run(cmd, &out, NULL), 0, "%s", cmd);
    return out;
}

/* "name cause evidence" per line: every rule of the table in pipeline/attribute.c, the
 * `_config_newer` twins from its CONFIG_TWINS list. */
static char *rules_from_source(void)
{
    char cmd[2048];
    snprintf(
        cmd, sizeof cmd,
        "f=%s/pipeline/attribute.c; "
        "tr '\\n' ' ' < $f | grep -o '\\] = {\"[a-z0-9_]*\", *C([A-Z_0-9]*), *E([A-Z]*)' | "
        "sed 's/.*{\"\\([a-z0-9_]*\\)\", *C(\\([A-Z_0-9]*\\)), *E(\\([A-Z]*\\)).*/\\1 \\2 \\3/'; "
        "sed -n '/^#define CONFIG_TWINS/,/^$/p' $f | tr '\\n' ' ' | sed 's/\\\\//g' | "
        "grep -o 'X(R_[A-Z0-9_]*, *\"[a-z0-9_]*\", *[A-Z_0-9]*, *[A-Z]*)' | "
        "sed 's/X(R_[A-Z0-9_]*, *\"\\([a-z0-9_]*\\)\", *\\([A-Z_0-9]*\\), *\\([A-Z]*\\))/\\1_config_newer \\2 \\3/'",
        CFS_SOURCE_DIR);
    return sh(cmd);
}

static void lower(char *s)
{
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

Test(rules, every_rule_is_listed_with_cause_evidence_facts_and_citation, .timeout = 60)
{
    char *src = rules_from_source();
    char *tsv = cfscan_out(0, "rules --format tsv");
    size_t nsrc = 0, ntsv = 0;
    for (const char *p = tsv; *p; p++) ntsv += *p == '\n';
    char *save = NULL;
    for (char *line = strtok_r(src, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[128], cause[64], ev[32];
        cr_assert_eq(sscanf(line, "%127s %63s %31s", name, cause, ev), 3, "source line %s", line);
        nsrc++;
        lower(cause);
        lower(ev);
        /* CFS_CAUSE_NONE / CFS_EV_NONE print as "none" (causes.c) */
        char want[256];
        snprintf(want, sizeof want, "\n%s\t%s\t%s\t", name, cause, ev);
        const char *row = strstr(tsv, want);
        cr_assert_not_null(row, "rule %s (%s, %s) missing from `cfscan rules --format tsv`", name, cause, ev);
        /* facts and citation are non-empty; the citation names a reference section */
        const char *facts = row + strlen(want);
        const char *tab = strchr(facts, '\t'), *end = strchr(facts, '\n');
        cr_assert(tab && end && tab > facts && end > tab + 1, "rule %s: empty facts or citation", name);
        cr_assert(memchr(tab, 0xc2, (size_t)(end - tab)) != NULL, "rule %s cites no section (§)", name);
    }
    cr_assert_gt(nsrc, 90, "only %zu rules parsed from the source", nsrc);
    cr_assert_eq(ntsv, nsrc + 1, "tsv rows %zu (with header) vs %zu rules in the source", ntsv, nsrc);
    free(tsv);
    free(src);

    /* the text form: one rule looked up by name */
    char *txt = cfscan_out(0, "rules latency_edge_waf");
    cr_assert_not_null(strstr(txt, "latency_edge_waf"));
    cr_assert_not_null(strstr(txt, "waf_block"));
    cr_assert_not_null(strstr(txt, "likely"));
    cr_assert_not_null(strstr(txt, "rests on:"));
    cr_assert_not_null(strstr(txt, "cites:"));
    cr_assert_null(strstr(txt, "candidates:"), "a decided rule lists no candidates: %s", txt);
    free(txt);
    /* an undecided rule lists the causes it leaves open (the generic page's three, §5.1) */
    txt = cfscan_out(0, "rules learned_generic_error_page");
    cr_assert_not_null(strstr(txt, "\n  candidates: https_required|cname_not_associated|edge_other\n"), "%s",
                       txt);
    free(txt);
    free(cfscan_out(2, "rules no_such_rule"));
    /* a misspelt rule name gets the nearest, as a misspelt option value does */
    char *err = cfscan_err(2, "rules waf_log_blok");
    cr_assert(strstr(err, "unknown rule 'waf_log_blok' (did you mean waf_log_block?)"), "%s", err);
    free(err);
    err = cfscan_err(2, "rules DRT_CLIENT_GEO_BLOCKED");
    cr_assert(strstr(err, "(did you mean drt_client_geo_blocked?)"), "%s", err);
    free(err);
}

static char *g_dir;

static void gen(void)
{
    g_dir = tu_mkdtemp();
    char cmd[2048], *err = NULL;
    char *prog = tu_prog("cfsgen");
    snprintf(cmd, sizeof cmd,
             "%s -o %s/g --seed 7 --dists 3 --days 1 --lines-per-file 60 --situations all -j1", prog, g_dir);
    free(prog);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    free(err);
}

static void cleanup(void) { tu_rmrf(g_dir); }

Test(rules, report_ends_with_a_legend_and_states_the_reference_in_one_sentence, .init = gen, .fini = cleanup,
     .timeout = 60)
{
    char args[1024];
    snprintf(args, sizeof args, "scan %s/g/*.gz -q -j1 --config %s/g/config", g_dir, g_dir);
    char *txt = cfscan_out(0, args);
    const char *leg = strstr(txt, "\nLegend:");
    cr_assert_not_null(leg, "no legend");
    cr_assert_not_null(strstr(leg, "confirmed"));
    cr_assert_not_null(strstr(leg, "cfscan rules"));
    int refs = 0;
    for (const char *p = txt; (p = strstr(p, "Origin-fetch reference:")) != NULL; p++) {
        const char *e = strchr(p, '\n');
        cr_assert_lt((size_t)(e - p), 160, "reference line of %zu bytes", (size_t)(e - p));
        cr_assert(!memmem(p, (size_t)(e - p), "25th percentile", 15), "the formula is still in the report");
        refs++;
    }
    cr_assert_eq(refs, 3);
    free(txt);
    /* the formula now lives in the README */
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", CFS_SOURCE_DIR);
    char *readme = tu_read(path, NULL);
    cr_assert(readme && strstr(readme, "25th percentile"));
    free(readme);
}

Test(rules, brief_fits_one_screen_and_counts_the_generator_403s, .init = gen, .fini = cleanup, .timeout = 60)
{
    char args[1024];
    snprintf(args, sizeof args, "scan %s/g/*.gz -q -j1 --config %s/g/config --waf-logs %s/g/waf --brief",
             g_dir, g_dir, g_dir);
    char *txt = cfscan_out(0, args);
    size_t lines = 0, width = 0, cur = 0;
    for (const char *p = txt; *p; p++) {
        if (*p == '\n') {
            lines++;
            if (cur > width) width = cur;
            cur = 0;
        } else if (((unsigned char)*p & 0xc0) != 0x80) {
            cur++; /* columns: one per UTF-8 character */
        }
    }
    cr_assert_leq(lines, 60, "--brief: %zu lines\n%s", lines, txt);
    cr_assert_leq(width, 100, "--brief: a line of %zu columns\n%s", width, txt);
    /* per distribution, the 403 count is the number of labelled 403s (labels.tsv) */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cut -f3 %s/g/labels.tsv | tail -n +2 | cut -d. -f1 | sort | uniq -c", g_dir);
    char *counts = sh(cmd), *save = NULL;
    int ndist = 0;
    for (char *l = strtok_r(counts, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        long n;
        char dist[64], want[128];
        cr_assert_eq(sscanf(l, "%ld %63s", &n, dist), 2);
        snprintf(want, sizeof want, "%s: %ld of ", dist, n);
        cr_assert_not_null(strstr(txt, want), "no '%s' in --brief:\n%s", want, txt);
        ndist++;
    }
    cr_assert_eq(ndist, 3);
    cr_assert_not_null(strstr(txt, "next"), "no next steps");
    free(counts);
    free(txt);
}

/* The next steps are written as if the cause were proven; under a cause with 403s that are
 * only likely or possible they say how many and to check first (a review found "The
 * viewer used plain HTTP where the behavior's policy is HTTPS Only" under a possible
 * verdict).  Checked against each cause's own counts line, for every cause of the report. */
Test(rules, next_steps_say_when_the_cause_is_not_confirmed, .init = gen, .fini = cleanup, .timeout = 60)
{
    char args[1024];
    snprintf(args, sizeof args, "scan %s/g/*.gz -q -j1", g_dir);
    char *txt = cfscan_out(0, args);
    int causes = 0, hedged = 0, plain = 0;
    for (const char *p = txt; (p = strstr(p, "\n  ")) != NULL; p++) {
        int k;
        char cause[64];
        unsigned long long n, conf, lik, pos;
        if (sscanf(p + 1, " %d. %63s %llu %*f%% confirmed %llu, likely %llu, possible %llu", &k, cause, &n,
                   &conf, &lik, &pos) != 6)
            continue;
        causes++;
        cr_assert_eq(conf + lik + pos, n, "%s: levels add up", cause);
        const char *next = strstr(p, "\n      next    ");
        cr_assert_not_null(next, "%s has next steps", cause);
        next += strlen("\n      next    ");
        char want[128];
        snprintf(want, sizeof want, "(%llu of %llu not confirmed: check the cause before acting) ", n - conf,
                 n);
        const int hedge = strcmp(cause, "unknown") != 0 && conf < n;
        if (hedge) {
            cr_expect_eq(strncmp(next, want, strlen(want)), 0, "%s (%llu confirmed of %llu): %.80s", cause,
                         conf, n, next);
            hedged++;
        } else {
            cr_expect_neq(next[0], '(', "%s: all confirmed or undecided, no caveat: %.80s", cause, next);
            plain++;
        }
    }
    cr_assert_gt(hedged, 0, "the generated set has causes not confirmed (%d causes)", causes);
    cr_assert_gt(plain, 0, "and causes that are (%d causes)", causes);
    free(txt);
}

/* --brief names the window and filters as the full report does, and a selection that chose
 * nothing is said instead of "No 403 responses" (it printed only that, exit status 3). */
Test(rules, brief_names_the_selection, .init = gen, .fini = cleanup, .timeout = 60)
{
    char args[1024];
    snprintf(args, sizeof args, "scan %s/g/*.gz -q -j1 --brief --status 403", g_dir);
    char *txt = cfscan_out(0, args);
    cr_assert_not_null(strstr(txt, "\nSelection: --status 403\n"), "%s", txt);
    free(txt);
    snprintf(args, sizeof args, "scan %s/g/*.gz -q -j1 --brief --since 2027-01-01", g_dir);
    txt = cfscan_out(3, args);
    cr_assert_not_null(strstr(txt, "\nSelection: --since 2027-01-01T00:00:00Z\n"), "%s", txt);
    cr_assert_not_null(strstr(txt, "\nSelected nothing: "), "%s", txt);
    cr_assert_null(strstr(txt, "No 403 responses"), "an empty selection is not clean logs:\n%s", txt);
    free(txt);
}

/* --brief's next step for edge_other names x-edge-detailed-result-type only to users whose
 * logs have it: the 26-field layout (2014-2019) does not, and some of its 403s are still
 * edge_other (the generator's labels say how many). */
static void brief_edge_other(const char *layout, int names_field)
{
    char cmd[1024], *err = NULL;
    char *prog = tu_prog("cfsgen");
    snprintf(cmd, sizeof cmd,
             "%s -o %s/l%s --layout %s --dists 2 --days 1 --lines-per-file 300 --situations all -j1", prog,
             g_dir, layout, layout);
    free(prog);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
    free(err);
    snprintf(cmd, sizeof cmd, "cut -f2 %s/l%s/labels.tsv | grep -cx edge_other", g_dir, layout);
    char *n = sh(cmd);
    cr_assert_gt(atol(n), 0, "the generator wrote no edge_other 403 in layout %s", layout);
    free(n);
    char args[1024];
    snprintf(args, sizeof args, "scan %s/l%s/*.gz -q -j1 --brief", g_dir, layout);
    char *txt = cfscan_out(0, args);
    const char *row = strstr(txt, "\n  edge_other ");
    cr_assert_not_null(row, "no edge_other row in --brief (layout %s):\n%s", layout, txt);
    const char *end = strchr(row + 1, '\n');
    const int named = memmem(row, (size_t)(end - row), "x-edge-detailed-result-type", 27) != NULL;
    cr_assert_eq(named, names_field, "layout %s, edge_other's step:\n%.*s", layout, (int)(end - row), row);
    free(txt);
}

Test(rules, brief_step_names_no_field_the_logs_lack, .init = gen, .fini = cleanup, .timeout = 60)
{
    brief_edge_other("26", 0);
    brief_edge_other("33", 1);
}

/* `rules` parses its options as every other command does (README: `COMMAND --help`
 * prints the help; a mistyped option names the nearest valid one). */
Test(rules_doc, options_as_every_command)
{
    char *out = cfscan_out(0, "rules --help");
    cr_assert(strstr(out, "usage: cfscan") && strstr(out, "rules options"), "%s", out);
    free(out);
    out = cfscan_out(0, "rules -h");
    cr_assert(strstr(out, "usage: cfscan"), "%s", out);
    free(out);
    out = cfscan_err(2, "rules --formt tsv");
    cr_assert(strstr(out, "did you mean --format?"), "%s", out);
    free(out);
    out = cfscan_err(2, "rules --top 3");
    cr_assert(strstr(out, "not an option of rules"), "%s", out);
    free(out);
    /* --format=VALUE, and a rule named before it: one header and that rule's row */
    out = cfscan_out(0, "rules not_403 --format=tsv");
    cr_assert(!strncmp(out, "rule\tcause\t", 10), "%s", out);
    const char *row = strchr(out, '\n');
    cr_assert(row && !strncmp(row + 1, "not_403\tnone\tnone\t", 18), "%s", out);
    cr_assert_null(strchr(strchr(row + 1, '\n') + 1, '\n'), "one row only: %s", out);
    free(out);
    /* the last --format given wins, as for every option */
    out = cfscan_out(0, "rules not_403 --format tsv --format text");
    cr_assert(!strncmp(out, "Attribution rules", 17), "%s", out);
    free(out);
}

/* Every rule's candidate set, as the reports print it, fits the report model's keys
 * (KV_KEY) whole: the widest, an undecided legacy line whose origin kind is unknown, names
 * every edge cause but edge_function and both origins. */
Test(rules, candidate_sets_fit_the_report)
{
    size_t longest = 0;
    for (unsigned r = 0; r < cfs_rule_count(); r++) {
        char buf[512];
        size_t n = cfs_candidates_str(cfs_rule_candidates((uint16_t)r), buf, sizeof buf);
        cr_expect_lt(n, (size_t)KV_KEY, "%s: %s", cfs_rule_name((uint16_t)r), buf);
        if (n > longest) longest = n;
    }
    size_t want = strlen("geo_restriction|waf_block|signed_url_missing|signed_url_expired|signed_url_invalid|"
                         "https_required|method_not_allowed|cname_not_associated|origin_s3|origin_custom|"
                         "edge_other");
    cr_expect_eq(longest, want, "the longest candidate set is %zu bytes", longest);
}

/* A summary's state names its writer's whole rule table, and a reader refuses a name it
 * does not know ("rescan"), so a rule name once written stays in the table even when no
 * line gets it any more: otherwise every summary made before would stop reading (a removed
 * _config_newer twin did that).  The names written up to now are a fixture. */
Test(rules_doc, every_rule_name_once_written_is_still_known)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/rules/names-written.txt", CFS_SOURCE_DIR);
    char *t = tu_read(path, NULL);
    cr_assert_not_null(t, "%s", path);
    size_t names = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        int known = 0;
        for (unsigned k = 0; k < cfs_rule_count() && !known; k++)
            known = !strcmp(cfs_rule_name((uint16_t)k), line);
        cr_expect(known, "rule %s left the table", line);
        names++;
    }
    cr_assert_gt(names, 100);
    free(t);
}
