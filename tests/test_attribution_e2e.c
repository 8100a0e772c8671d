/* Precision and recall of 403 cause attribution against the generator's ground truth:
 * cfsgen labels every 403 with its true cause; `cfscan requests --status 403` attributes
 * each one; the test joins both on the request id.  Thresholds from the attribution
 * issue: >= 0.95 for every cause the log alone identifies, and 1.0 for waf_block once WAF
 * logs are joined (with configs, every cause >= 0.95). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/types.h"
#include "tests/util.h"

typedef struct pair {
    char *id;
    int cause;
    const char *rt; /* x-edge-result-type (attributed rows only) */
} pair;

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const pair *)a)->id, ((const pair *)b)->id);
}

/* Parse TSV text: column idc is the request id, column cc the cause name, column rtc (if
 * not -1) the result type. */
static pair *parse_tsv(char *text, int idc, int cc, int rtc, size_t *n)
{
    size_t cap = 1024;
    pair *v = malloc(cap * sizeof *v);
    *n = 0;
    char *save = NULL;
    int first = 1;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (first) {
            first = 0;
            continue;
        } /* header row */
        char *cols[16] = {0};
        int nc = 0;
        for (char *p = line; nc < 16;) {
            cols[nc++] = p;
            char *t = strchr(p, '\t');
            if (!t) break;
            *t = 0;
            p = t + 1;
        }
        cr_assert(nc > idc && nc > cc, "short TSV row");
        if (*n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[*n].id = cols[idc];
        v[*n].cause = cfs_cause_lookup(cols[cc]);
        v[*n].rt = rtc >= 0 && rtc < nc ? cols[rtc] : "";
        cr_assert(v[*n].cause > 0, "unknown cause '%s'", cols[cc]);
        (*n)++;
    }
    qsort(v, *n, sizeof *v, cmp_pair);
    return v;
}

typedef struct score {
    double p[CFS_CAUSE_COUNT], r[CFS_CAUSE_COUNT];
    size_t n[CFS_CAUSE_COUNT];
} score;

static score evaluate(const char *dir, const char *extra)
{
    char *prog = tu_prog("cfscan");
    char cmd[2048];
    /* only the log files: the generator also writes config/ and waf/ beside them */
    snprintf(cmd, sizeof cmd,
             "%s requests %s/*.gz --status 403 --fields x-edge-request-id,x-edge-result-type -q %s", prog,
             dir, extra);
    char *out, *err;
    int rc = tu_run(cmd, &out, &err);
    cr_assert_eq(rc, 0, "cfscan requests failed (%d): %s", rc, err);
    char lp[1024];
    snprintf(lp, sizeof lp, "%s/labels.tsv", dir);
    char *labels = tu_read(lp, NULL);
    cr_assert(labels);
    size_t nl, np;
    pair *L = parse_tsv(labels, 0, 1, -1, &nl);
    pair *P = parse_tsv(out, 0, 2, 1, &np);
    cr_assert_eq(np, nl, "every labeled 403 is attributed once (%zu vs %zu)", np, nl);
    size_t tp[CFS_CAUSE_COUNT] = {0}, fp[CFS_CAUSE_COUNT] = {0}, fn[CFS_CAUSE_COUNT] = {0};
    for (size_t i = 0; i < nl; i++) {
        cr_assert_str_eq(L[i].id, P[i].id, "same request ids");
        /* cfsgen labels its FunctionGeneratedResponse 403s edge_other; code at the edge
         * answering is edge_function now (issue 10), whatever the generator says until it
         * labels them so itself. */
        if (L[i].cause == CFS_CAUSE_EDGE_OTHER && !strcmp(P[i].rt, "FunctionGeneratedResponse"))
            L[i].cause = CFS_CAUSE_EDGE_FUNCTION;
        if (L[i].cause == P[i].cause) tp[L[i].cause]++;
        else {
            fn[L[i].cause]++;
            fp[P[i].cause]++;
        }
    }
    score s;
    memset(&s, 0, sizeof s);
    fprintf(stderr, "attribution %s\n%-22s %6s %9s %6s\n", extra[0] ? extra : "(log only)", "cause", "n",
            "precision", "recall");
    for (int c = 1; c < CFS_CAUSE_COUNT; c++) {
        s.n[c] = tp[c] + fn[c];
        s.p[c] = tp[c] + fp[c] ? (double)tp[c] / (double)(tp[c] + fp[c]) : 1.0;
        s.r[c] = s.n[c] ? (double)tp[c] / (double)s.n[c] : 1.0;
        if (s.n[c] || fp[c])
            fprintf(stderr, "%-22s %6zu %9.3f %6.3f\n", cfs_cause_name((cfs_cause)c), s.n[c], s.p[c], s.r[c]);
    }
    free(L);
    free(P);
    return s;
}

static char *g_dir;

static void gen(void)
{
    g_dir = tu_mkdtemp();
    char *gp = tu_prog("cfsgen");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s -o %s --seed 11 --dists 3 --days 1 --lines-per-file 1500 -j2", gp, g_dir);
    char *err;
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen: %s", err);
}

static void cleanup(void) { tu_rmrf(g_dir); }

TestSuite(attribution, .init = gen, .fini = cleanup, .timeout = 120);

Test(attribution, log_only_causes_above_095)
{
    score s = evaluate(g_dir, "");
    /* Identified by the log alone: everything but cname_not_associated (needs the config:
     * the Host header must be compared with the distribution's aliases) and waf_block
     * (confirmed only by WAF logs; without them an unassociated host looks the same). */
    for (int c = 1; c < CFS_CAUSE_COUNT; c++) {
        if (c == CFS_CAUSE_CNAME_NOT_ASSOCIATED || c == CFS_CAUSE_WAF_BLOCK || c == CFS_CAUSE_UNKNOWN)
            continue;
        /* edge_function is ~1% of the 403s (the FunctionGeneratedResponse share of edge_other) */
        cr_assert(s.n[c] > (c == CFS_CAUSE_EDGE_FUNCTION ? 20u : 50u), "%s: the data set must exercise it",
                  cfs_cause_name((cfs_cause)c));
        cr_expect(s.p[c] >= 0.95, "%s precision %.3f", cfs_cause_name((cfs_cause)c), s.p[c]);
        cr_expect(s.r[c] >= 0.95, "%s recall %.3f", cfs_cause_name((cfs_cause)c), s.r[c]);
    }
    cr_expect(s.r[CFS_CAUSE_WAF_BLOCK] >= 0.95, "waf_block recall %.3f", s.r[CFS_CAUSE_WAF_BLOCK]);
}

Test(attribution, with_configs_and_waf_logs)
{
    char extra[1024];
    snprintf(extra, sizeof extra, "--config %s/config --waf-logs %s/waf", g_dir, g_dir);
    score s = evaluate(g_dir, extra);
    for (int c = 1; c < CFS_CAUSE_COUNT; c++) {
        if (c == CFS_CAUSE_UNKNOWN) continue;
        cr_assert(s.n[c] > (c == CFS_CAUSE_EDGE_FUNCTION ? 20u : 50u), "%s: the data set must exercise it",
                  cfs_cause_name((cfs_cause)c));
        cr_expect(s.p[c] >= 0.95, "%s precision %.3f", cfs_cause_name((cfs_cause)c), s.p[c]);
        cr_expect(s.r[c] >= 0.95, "%s recall %.3f", cfs_cause_name((cfs_cause)c), s.r[c]);
    }
    cr_expect_eq(s.p[CFS_CAUSE_WAF_BLOCK], 1.0, "waf_block precision with WAF logs joined");
    cr_expect_eq(s.r[CFS_CAUSE_WAF_BLOCK], 1.0, "waf_block recall with WAF logs joined");
}
