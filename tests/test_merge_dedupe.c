/* Issue 13, "nothing counted twice": every summary carries its input manifest
 * (inputs.cfm), `merge` refuses (exit 4, naming the shared inputs) summaries that share an
 * input, and --dedupe leaves out a summary whose inputs another one holds all of, so the
 * counts equal one scan over the union.  The oracle is always one `cfscan scan` over the
 * union of the files, run here. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/util.h"

static char *g_dir;

static void setup(void) { g_dir = tu_mkdtemp(); }
static void teardown(void)
{
    tu_rmrf(g_dir);
    free(g_dir);
}

TestSuite(merge_dedupe, .init = setup, .fini = teardown, .timeout = 120);

static int count_of(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what)) n++;
    return n;
}

/* The bug as filed: a summary merged with itself doubled every count without a word. */
Test(merge_dedupe, same_summary_twice_is_refused_naming_inputs)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs -o S"));
    cr_assert_eq(tu_manifest_entries(g_dir, "S"), 48, "every log file is in the manifest");
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge S S -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "merge S S must be refused with 4, got %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "share 48 inputs"), "the overlap is counted: %s", err);
    /* at most 10 named, then a count of the rest */
    cr_assert_eq(count_of(err, "shared input: E"), 10, "ten inputs named: %s", err);
    cr_assert(strstr(err, "and 38 more shared inputs"), "the rest counted: %s", err);
    cr_assert_null(strstr(err, "not the same file"), "the same files: %s", err);
    char p[4096];
    struct stat sb;
    snprintf(p, sizeof p, "%s/M", g_dir);
    cr_assert_neq(stat(p, &sb), 0, "nothing is written by a refused merge");
    free(err);
}

/* Two files of one name under two roots are one input to a merge (an input is its path
 * under its root): refused as shared, and the named input says it is not the same file
 * there (a review found the message claimed a double count of one file). */
Test(merge_dedupe, another_file_under_a_shared_path_is_said_to_be_another)
{
    tu_make_day_logs(g_dir);
    cr_assert_eq(tu_sh(NULL, NULL,
                       "cd %s && mkdir P1 P2 && a=$(ls logs | head -1) && b=$(ls logs | sed -n 2p) && "
                       "cp logs/$a P1/ && cp logs/$b P2/$a",
                       g_dir),
                 0);
    free(tu_scan_json(g_dir, 0, "scan P1 -o A"));
    free(tu_scan_json(g_dir, 0, "scan P2 -o B"));
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge A B -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "share 1 input") &&
                  strstr(err, "(not the same file there: its size or fingerprint differs"),
              "%s", err);
    free(err);
}

/* Summaries of disjoint inputs merge as before, and the merged manifest is the union. */
Test(merge_dedupe, disjoint_parts_merge_to_one_scan_and_union_manifest)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs");
    free(tu_scan_json(g_dir, 0, "scan logs/*-0[0-9].* -o A"));
    free(tu_scan_json(g_dir, 0, "scan logs/*-1[0-9].* logs/*-2[0-9].* -o B"));
    cr_assert_eq(tu_manifest_entries(g_dir, "A") + tu_manifest_entries(g_dir, "B"), 48);
    char *m = tu_scan_json(g_dir, 0, "merge A B -o M");
    tu_assert_merge_exact(m, full, "merge of disjoint halves equals one scan");
    cr_assert_eq(tu_manifest_entries(g_dir, "M"), 48, "the merged manifest is the union");
    /* ...so merging the merge with a part again is refused */
    free(tu_scan_json(g_dir, 4, "merge M A -o M2"));
    free(full);
    free(m);
    /* merge --top N prints the top lists one scan with --top N prints (merge had no
     * --top: a scan with it merged into a report of five) */
    full = tu_scan_json(g_dir, 0, "scan logs --top 9");
    m = tu_scan_json(g_dir, 0, "merge A B -o M3 --top 9");
    tu_assert_merge_exact(m, full, "merge --top 9 equals one scan with --top 9");
    cr_assert(strstr(m, "\"top_edges\":{") != NULL);
    char p[4096];
    snprintf(p, sizeof p, "%s/M3/report.json", g_dir);
    char *file = tu_read(p, NULL);
    cr_assert(file && !strncmp(m, file, strlen(file)) && strlen(file) > 1000,
              "the summary's report.json is the printed report, --top 9 included");
    free(file);
    free(full);
    free(m);
}

/* --dedupe: a part whose inputs another holds all of is left out, in either order; the
 * counts equal one scan over the union. */
Test(merge_dedupe, dedupe_subset_equals_one_scan_over_union)
{
    tu_make_day_logs(g_dir);
    char *full = tu_scan_json(g_dir, 0, "scan logs -o F");
    free(tu_scan_json(g_dir, 0, "scan logs/*-0[0-9].* -o H"));
    char *a = tu_scan_json(g_dir, 0, "merge F H --dedupe -o M1");
    char *b = tu_scan_json(g_dir, 0, "merge H F --dedupe -o M2");
    char *c = tu_scan_json(g_dir, 0, "merge F F --dedupe -o M3");
    cr_assert_str_eq(a, full, "F + H(subset of F) with --dedupe is F");
    cr_assert_str_eq(b, full, "order does not matter");
    cr_assert_str_eq(c, full, "a summary twice is taken once");
    cr_assert_eq(tu_manifest_entries(g_dir, "M1"), 48);
    free(full);
    free(a);
    free(b);
    free(c);
}

/* Of two summaries of the same inputs, --dedupe keeps the one named first (README), also
 * now that the parts are merged in the order of their state digests: R, with its clients
 * redacted, and P, without, hold the same inputs and different states. */
Test(merge_dedupe, dedupe_keeps_the_first_named_of_equal_parts)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs -o P"));
    free(tu_scan_json(g_dir, 0, "scan logs --redact-clients -o R"));
    const char *order[2][3] = {{"P R", "R", "P"}, {"R P", "P", "R"}};
    for (int k = 0; k < 2; k++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && %s merge %s --dedupe -o M%d", g_dir, tu_prog("cfscan"),
                       order[k][0], k);
        cr_assert_eq(rc, 0, "merge %s: exit %d: %s", order[k][0], rc, err ? err : "");
        char want[64];
        snprintf(want, sizeof want, "merge --dedupe: %s: left out", order[k][1]);
        cr_expect(strstr(err, want) != NULL, "merge --dedupe %s leaves out %s: %s", order[k][0], order[k][1],
                  err);
        snprintf(want, sizeof want, "merge --dedupe: %s: left out", order[k][2]);
        cr_expect(strstr(err, want) == NULL, "and keeps %s: %s", order[k][2], err);
        free(err);
    }
}

/* A partial overlap cannot be undone from summaries (the shared inputs' counts are inside
 * both aggregates): --dedupe refuses it too, and says why. */
Test(merge_dedupe, dedupe_refuses_partial_overlap)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs/*-0[0-9].* logs/*-1[0-1].* -o A"));
    free(tu_scan_json(g_dir, 0, "scan logs/*-1[0-9].* -o B"));
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge A B --dedupe -o M -q", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "share 4 inputs"), "hours 10 and 11 of 2 distributions: %s", err);
    cr_assert(strstr(err, "neither holds all of the other's inputs"), "%s", err);
    cr_assert_eq(count_of(err, "shared input: E"), 4, "%s", err);
    free(err);
}

/* A summary made before manifests cannot be checked: merged as before with a warning,
 * and the merge records no manifest (what it holds is unknown); --dedupe and --expect,
 * which need it, refuse. */
Test(merge_dedupe, summary_without_manifest_merges_unchecked)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs/*-0[0-9].* -o A"));
    free(tu_scan_json(g_dir, 0, "scan logs/*-1[0-9].* -o B"));
    char p[4096];
    snprintf(p, sizeof p, "%s/B/inputs.cfm", g_dir);
    cr_assert_eq(unlink(p), 0);
    char *err = NULL;
    int rc = tu_sh(NULL, &err, "cd %s && %s merge A B -o M -q >/dev/null", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 0, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "B: has no inputs.cfm"), "%s", err);
    cr_assert_eq(tu_manifest_entries(g_dir, "M"), -1, "no manifest for a merge of unknown inputs");
    free(err);
    err = NULL;
    rc = tu_sh(NULL, &err, "cd %s && %s merge A B --dedupe -o M2 -q >/dev/null", g_dir, tu_prog("cfscan"));
    cr_assert_eq(rc, 4, "exit %d: %s", rc, err ? err : "");
    cr_assert(strstr(err, "--dedupe cannot be applied"), "%s", err);
    free(err);
}

/* A part that is no summary at all (a mistyped directory) is said to be that, exit 4,
 * and not taken for a summary without a manifest, with --dedupe and --expect too (before,
 * --dedupe answered "has no inputs.cfm ... rescan it"). */
Test(merge_dedupe, missing_part_is_named_as_missing)
{
    tu_make_day_logs(g_dir);
    free(tu_scan_json(g_dir, 0, "scan logs/*-0[0-9].* -o A"));
    const char *const extra[] = {"", "--dedupe", "--expect 2"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++) {
        char *err = NULL;
        int rc = tu_sh(NULL, &err, "cd %s && %s merge A Typo %s -o M -q >/dev/null", g_dir, tu_prog("cfscan"),
                       extra[i]);
        cr_assert_eq(rc, 4, "%s: exit %d: %s", extra[i], rc, err ? err : "");
        cr_assert(strstr(err, "Typo/state.cfs: No such file or directory"), "%s: %s", extra[i], err);
        cr_assert(!strstr(err, "inputs.cfm"), "%s: %s", extra[i], err);
        free(err);
    }
}
