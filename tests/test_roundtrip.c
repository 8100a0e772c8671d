/* Generator round trip: cfsgen writes logs and counts what it wrote (expected.json);
 * cfscan's JSON totals per status, distribution and edge must equal those counts for
 * every compression and field layout, and injected faults must come back as the errors
 * and rejected-line counts the generator recorded. */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json.h"
#include "tests/util.h"

/* Every member of object a equals the same member of b, and both have as many. */
static void same_map(const cfs_json *a, const cfs_json *b, const char *what)
{
    cr_assert(a && b, "%s missing", what);
    cr_assert_eq(cfs_json_count(a), cfs_json_count(b), "%s: %zu vs %zu keys", what, cfs_json_count(a),
                 cfs_json_count(b));
    for (const cfs_json *m = cfs_json_first(a); m; m = cfs_json_next(m)) {
        double x, y;
        cr_assert(cfs_json_num(m, &x));
        cr_assert(cfs_json_num(cfs_json_get(b, m->key), &y), "%s: key %s missing", what, m->key);
        cr_assert_eq(x, y, "%s[%s]: scan %.0f, generator %.0f", what, m->key, x, y);
    }
}

static char *logs_of(const char *dir)
{
    static const char *const pats[] = {"%s/*.gz", "%s/*.zst", "%s/*.log"};
    size_t cap = 1 << 16, n = 0;
    char *s = calloc(1, cap);
    for (int k = 0; k < 3; k++) {
        char pat[1024];
        snprintf(pat, sizeof pat, pats[k], dir);
        glob_t g;
        if (glob(pat, 0, NULL, &g) != 0) continue;
        for (size_t i = 0; i < g.gl_pathc; i++) {
            size_t l = strlen(g.gl_pathv[i]);
            if (n + l + 2 > cap) s = realloc(s, cap *= 2);
            memcpy(s + n, g.gl_pathv[i], l);
            n += l;
            s[n++] = ' ';
            s[n] = 0;
        }
        globfree(&g);
    }
    return s;
}

typedef struct docs {
    cfs_json_doc scan, gen;
    const cfs_json *s, *g;
    int rc;
} docs;

static void gen_and_scan(docs *d, const char *opts, const char *scan_opts)
{
    char *dir = tu_mkdtemp();
    char cmd[1 << 17], *err;
    snprintf(cmd, sizeof cmd, "%s -o %s --seed 7 --dists 2 --days 1 --lines-per-file 400 -j2 %s",
             tu_prog("cfsgen"), dir, opts);
    cr_assert_eq(tu_run(cmd, NULL, &err), 0, "cfsgen %s: %s", opts, err);
    char *files = logs_of(dir);
    char *out;
    snprintf(cmd, sizeof cmd, "%s scan %s --format json -q %s", tu_prog("cfscan"), files, scan_opts);
    d->rc = tu_run(cmd, &out, &err);
    free(files);
    char p[1024], jerr[128];
    snprintf(p, sizeof p, "%s/expected.json", dir);
    char *exp = tu_read(p, NULL);
    cr_assert(exp);
    memset(&d->scan, 0, sizeof d->scan);
    memset(&d->gen, 0, sizeof d->gen);
    cr_assert_eq(cfs_json_parse(&d->scan, out, strlen(out), jerr, sizeof jerr), CFS_OK, "scan JSON: %s (%s)",
                 jerr, err);
    cr_assert_eq(cfs_json_parse(&d->gen, exp, strlen(exp), jerr, sizeof jerr), CFS_OK, "expected.json: %s",
                 jerr);
    d->s = cfs_json_root(&d->scan);
    d->g = cfs_json_root(&d->gen);
    tu_rmrf(dir);
}

static void check_clean(const char *opts)
{
    docs d;
    gen_and_scan(&d, opts, "-j2");
    cr_assert_eq(d.rc, 0, "%s: exit %d", opts, d.rc);
    double a, b;
    cr_assert(cfs_json_num(cfs_json_path(d.s, "inputs.requests"), &a) &&
              cfs_json_num(cfs_json_get(d.g, "lines"), &b));
    cr_assert_eq(a, b, "%s: requests %.0f vs generated lines %.0f", opts, a, b);
    cr_assert(cfs_json_num(cfs_json_path(d.s, "inputs.rejected"), &a) && a == 0, "%s: rejected", opts);
    same_map(cfs_json_get(d.s, "by_status"), cfs_json_get(d.g, "by_status"), "by_status");
    same_map(cfs_json_get(d.s, "by_distribution"), cfs_json_get(d.g, "by_distribution"), "by_distribution");
    same_map(cfs_json_get(d.s, "by_edge"), cfs_json_get(d.g, "by_edge"), "by_edge");
    cfs_json_doc_free(&d.scan);
    cfs_json_doc_free(&d.gen);
}

Test(roundtrip, gz_33, .timeout = 60) { check_clean("--format gz --layout 33"); }
Test(roundtrip, zst_33, .timeout = 60) { check_clean("--format zst --layout 33"); }
Test(roundtrip, plain_33, .timeout = 60) { check_clean("--format plain --layout 33"); }
Test(roundtrip, gz_19, .timeout = 60) { check_clean("--format gz --layout 19"); }
Test(roundtrip, zst_24, .timeout = 60) { check_clean("--format zst --layout 24"); }
Test(roundtrip, plain_26, .timeout = 60) { check_clean("--format plain --layout 26"); }
Test(roundtrip, gz_v2, .timeout = 60) { check_clean("--format gz --layout v2"); }
Test(roundtrip, plain_mixed, .timeout = 60) { check_clean("--format plain --layout mixed"); }

Test(roundtrip, every_fault_reported_and_counted, .timeout = 60)
{
    docs d;
    gen_and_scan(&d, "--faults all", "-j2");
    cr_assert_eq(d.rc, 4, "damaged archives make the result partial: exit %d", d.rc);
    /* the rejected lines the generator injected, reason by reason */
    const cfs_json *want = cfs_json_get(d.g, "rejected");
    for (const cfs_json *m = cfs_json_first(want); m; m = cfs_json_next(m)) {
        double x, y;
        cfs_json_num(m, &y);
        char path[128];
        snprintf(path, sizeof path, "inputs.rejected_by_reason.%s", m->key);
        cr_assert(cfs_json_num(cfs_json_path(d.s, path), &x), "no %s", path);
        cr_assert_eq(x, y, "rejected %s: scan %.0f, generator %.0f", m->key, x, y);
    }
    /* each damaged file is named in errors[] */
    const cfs_json *errs = cfs_json_path(d.s, "inputs.errors");
    const cfs_json *dam = cfs_json_get(d.g, "damaged_files");
    cr_assert_eq(cfs_json_count(errs), cfs_json_count(dam));
    double before = 0;
    for (const cfs_json *f = cfs_json_first(dam); f; f = cfs_json_next(f)) {
        int found = 0;
        for (const cfs_json *e = cfs_json_first(errs); e; e = cfs_json_next(e)) {
            const char *p = cfs_json_str(cfs_json_get(e, "path"));
            if (p && strstr(p, cfs_json_str(f))) {
                found = 1;
                double n;
                cfs_json_num(cfs_json_get(e, "lines_before_error"), &n);
                before += n;
            }
        }
        cr_assert(found, "damaged file %s not reported", cfs_json_str(f));
    }
    /* the good files' requests are all there; the damaged ones add at most their prefix */
    double a, b;
    cfs_json_num(cfs_json_path(d.s, "inputs.requests"), &a);
    cfs_json_num(cfs_json_get(d.g, "lines"), &b);
    cr_assert(a >= b && a - b <= before, "requests %.0f, generated good lines %.0f, prefix lines %.0f", a, b,
              before);
    /* the empty file is a warning */
    int empty = 0;
    for (const cfs_json *w = cfs_json_first(cfs_json_path(d.s, "inputs.warnings")); w; w = cfs_json_next(w))
        if (strstr(cfs_json_str(cfs_json_get(w, "warning")), "empty")) empty++;
    cr_assert_eq(empty, 1);
    cfs_json_doc_free(&d.scan);
    cfs_json_doc_free(&d.gen);
}
