/* Hostile state.cfs files given to `cfscan merge` (issue 18, items 2 and 10).  `merge`
 * combines summaries from other machines and teams, so a state that passes its checksum
 * is still untrusted: counts, capacities and hours it claims, and strings it carries.
 * Each state here is crafted byte by byte as cfs_state_write frames it (header, zstd
 * payload, trailer with XXH3-64), with the sketch blobs from the library's own writers,
 * and run through the built binary, measuring the child's peak RSS with wait4. */
#include <criterion/criterion.h>
#define XXH_INLINE_ALL
#include <xxhash.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include "pipeline/aggregate.h"
#include "pipeline/attribute.h"
#include "pipeline/sketch.h"
#include "pipeline/sketch_io.h"
#include "pipeline/summary.h"
#include "tests/util.h"

#define UNDER_ASAN TU_UNDER_ASAN

/* Peak RSS a rejected state may cost.  The reader's budget for a small state is 64 MiB
 * (summary_state.c): the largest case below measured 70 MB, 103 MB under ASan (its shadow and
 * allocator overhead); before the fix the same states took about 2 GB. */
#define RSS_LIMIT_KB (UNDER_ASAN ? 300L * 1024 : 200L * 1024)

/* ---- payload writer (the encoding of summary_state.c's w_* helpers) ------------------------ */
static void p_u8(FILE *f, uint8_t v) { fputc(v, f); }
static void p_le(FILE *f, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) fputc((int)(uint8_t)(v >> (8 * i)), f);
}
static void p_str(FILE *f, const char *s, size_t n)
{
    p_le(f, n, 4);
    fwrite(s, 1, n, f);
}
static void p_key(FILE *f, const char *s) /* a CFS_KEY_STR field, zero padded */
{
    char k[CFS_KEY_STR];
    memset(k, 0, sizeof k);
    strncpy(k, s, sizeof k - 1);
    fwrite(k, 1, sizeof k, f);
}
static void p_tag(FILE *f, const char t[4], uint64_t count)
{
    fwrite(t, 1, 4, f);
    p_le(f, count, 8);
}
static void p_rules(FILE *f)
{
    p_tag(f, "RULE", cfs_rule_count());
    for (unsigned i = 0; i < cfs_rule_count(); i++) {
        const char *nm = cfs_rule_name((uint16_t)i);
        p_str(f, nm, strlen(nm));
    }
}
static void p_gkey(FILE *f, const char *dist, uint16_t rule, uint8_t cause, uint8_t lat)
{
    p_key(f, dist);
    p_le(f, rule, 2);
    p_u8(f, cause);
    p_u8(f, lat);
}
/* One input row of the FILE section (cfs_sum_input_put in summary_state.c). */
static void p_input(FILE *f, const char *path, cfs_status status, const char *error)
{
    p_str(f, path, strlen(path));
    p_str(f, "E1", 2);
    p_le(f, 100, 8);        /* size */
    p_le(f, 1793527200, 8); /* mtime */
    /* bytes_in, bytes_out, lines, header_lines, blank_lines, aggregated, filtered: a
     * readable input had 7 lines, all aggregated */
    uint64_t ok = status == CFS_OK ? 7 : 0;
    const uint64_t v[7] = {ok * 100, ok * 100, ok, 0, 0, ok, 0};
    for (int i = 0; i < 7; i++) p_le(f, v[i], 8);
    p_le(f, CFS_REJ_COUNT, 4);
    for (int i = 0; i < CFS_REJ_COUNT; i++) p_le(f, 0, 8);
    for (int i = 0; i < 4; i++) p_le(f, 0, 8); /* short_lines, trailing_tab, crlf, layouts */
    p_u8(f, 0);                                /* fmt */
    p_u8(f, (uint8_t)status);
    p_str(f, error, strlen(error));
}

/* The blobs of an empty histogram and HyperLogLog, written by the library. */
static char *blob_of(int which, size_t *n)
{
    char *b = NULL;
    FILE *f = open_memstream(&b, n);
    static cfs_hist h;
    static cfs_hll l;
    cr_assert_eq(which ? cfs_hll_write(f, &l) : cfs_hist_write(f, &h), CFS_OK);
    fclose(f);
    return b;
}

/* The schema version the crafted states declare: this cfscan's, unless a test asks for an
 * older one (and puts it back). */
static uint32_t g_schema = CFS_SUMMARY_SCHEMA;

/* header + zstd(payload) + "CFSSEND!" + XXH3-64 of all before, as cfs_state_write;
 * raw_len is the length the header declares (normally the payload's). */
static void write_state(const char *path, const char *p, size_t n, uint64_t raw_len, size_t *file_size)
{
    size_t bound = ZSTD_compressBound(n);
    unsigned char *f = malloc(36 + bound);
    cr_assert(f);
    memcpy(f, "CFSSTATE", 8);
    for (int i = 0; i < 4; i++) f[8 + i] = (unsigned char)(g_schema >> (8 * i));
    for (int i = 0; i < 8; i++) f[12 + i] = (unsigned char)(raw_len >> (8 * i));
    size_t zn = ZSTD_compress(f + 20, bound, p, n, 9);
    cr_assert(!ZSTD_isError(zn));
    uint64_t h = cfs_hash_bytes(f, 20 + zn);
    memcpy(f + 20 + zn, "CFSSEND!", 8);
    for (int i = 0; i < 8; i++) f[28 + zn + i] = (unsigned char)(h >> (8 * i));
    FILE *o = fopen(path, "wb");
    cr_assert(o, "%s", path);
    cr_assert_eq(fwrite(f, 1, 36 + zn, o), 36 + zn);
    fclose(o);
    if (file_size) *file_size = 36 + zn;
    free(f);
}

typedef struct run_out {
    int rc;
    long rss_kb;
    char *out, *err; /* stdout, stderr */
} run_out;

/* `cfscan merge DIR -o OUT` as a child; peak RSS from wait4.  Without ASan the child
 * also gets a 3 GiB address-space limit, so that a regression fails this test instead
 * of taking the machine's memory (ASan reserves terabytes of address space: no limit). */
static run_out merge(const char *dir, const char *outdir)
{
    char op[1024], ep[1024];
    snprintf(op, sizeof op, "%s.stdout", outdir);
    snprintf(ep, sizeof ep, "%s.stderr", outdir);
    char *prog = tu_prog("cfscan");
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int o = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644),
            e = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0) _exit(127);
        dup2(o, 1);
        dup2(e, 2);
        if (!UNDER_ASAN) {
            struct rlimit rl = {3UL << 30, 3UL << 30};
            setrlimit(RLIMIT_AS, &rl);
        }
        /* no ASan quarantine: it would keep freed memory resident (a no-op without ASan) */
        const char *a = getenv("ASAN_OPTIONS");
        char env[1024];
        snprintf(env, sizeof env, "%s%squarantine_size_mb=0", a ? a : "", a && *a ? ":" : "");
        setenv("ASAN_OPTIONS", env, 1);
        execl(prog, prog, "merge", dir, "-o", outdir, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    cr_assert_eq(wait4(pid, &status, 0, &ru), pid);
    run_out r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.rss_kb = ru.ru_maxrss;
    size_t n;
    r.out = tu_read(op, &n);
    r.err = tu_read(ep, &n);
    cr_assert(r.out && r.err);
    free(prog);
    return r;
}

/* The state in a fresh summary directory; merge it; the caller checks and frees. */
typedef struct crafted {
    char *dir, *state, *out;
    size_t file_size;
    run_out r;
} crafted;

static crafted craft_and_merge(FILE *payload, char **buf, size_t *len, uint64_t raw_override)
{
    fclose(payload);
    crafted c;
    char *root = tu_mkdtemp();
    c.dir = root;
    size_t n = strlen(root) + 64;
    c.state = malloc(n);
    c.out = malloc(n);
    snprintf(c.state, n, "%s/in", root);
    cr_assert_eq(mkdir(c.state, 0755), 0);
    snprintf(c.state, n, "%s/in/state.cfs", root);
    snprintf(c.out, n, "%s/out", root);
    write_state(c.state, *buf, *len, raw_override ? raw_override : *len, &c.file_size);
    free(*buf);
    char in[1100];
    snprintf(in, sizeof in, "%s/in", root);
    c.r = merge(in, c.out);
    return c;
}

static void crafted_free(crafted *c)
{
    tu_rmrf(c->dir);
    free(c->dir);
    free(c->state);
    free(c->out);
    free(c->r.out);
    free(c->r.err);
}

/* A damaged input: exit 4, the file named on stderr, bounded memory, no summary. */
static void assert_rejected(const crafted *c, const char *what)
{
    cr_log_info("%s: %zu-byte state, exit %d, peak RSS %ld KiB, stderr: %s", what, c->file_size, c->r.rc,
                c->r.rss_kb, c->r.err);
    cr_assert_eq(c->r.rc, 4, "%s: exit %d (want 4, damaged input); stderr: %s", what, c->r.rc, c->r.err);
    cr_assert(strstr(c->r.err, c->state), "%s: stderr names %s: %s", what, c->state, c->r.err);
    cr_assert_lt(c->r.rss_kb, RSS_LIMIT_KB, "%s: peak RSS %ld KiB for a %zu-byte state", what, c->r.rss_kb,
                 c->file_size);
    char p[1200];
    snprintf(p, sizeof p, "%s/state.cfs", c->out);
    cr_assert(access(p, F_OK) != 0, "%s: no summary is published from a rejected state", what);
}

/* Empty sections from `from` (an index into the order below) to the end. */
static void p_rest(FILE *f, int from)
{
    static const char *const order[] = {"STRS", "TRAF", "GRPS", "HEAV", "ORIG", "ORGL", "WAFR", "FILE"};
    for (int i = from; i < 8; i++) p_tag(f, order[i], 0);
    p_le(f, 0, 8); /* pruned */
}

/* The sections up to TRAF (RULE, STRS of E1 and FRA1) and TRAF with one row of E1 at FRA1:
 * its hour, status, cause, exclusions (schema 8) and counts; rule, evidence and latency
 * class 0. */
static void p_one_traffic_row(FILE *f, int64_t hour, uint16_t status, uint8_t cause, uint8_t excl,
                              uint64_t requests, uint64_t bytes)
{
    p_rules(f);
    p_tag(f, "STRS", 2);
    p_str(f, "E1", 2);
    p_str(f, "FRA1", 4);
    p_tag(f, "TRAF", 1);
    p_le(f, 0, 4);
    p_le(f, 1, 4);
    p_le(f, (uint64_t)hour, 8);
    p_le(f, status, 2);
    p_le(f, 0, 2);
    p_u8(f, cause);
    p_u8(f, 0);
    p_u8(f, 0);
    p_u8(f, excl);
    p_le(f, requests, 8);
    p_le(f, bytes, 8);
}

/* ---- control: the crafting is right ------------------------------------------------------- */
Test(state_hostile, crafted_benign_state_merges, .timeout = 60)
{
    /* The same helpers with sane values must give a state merge accepts, or every
     * rejection below could be a crafting mistake. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t hn, ln;
    char *hb = blob_of(0, &hn), *lb = blob_of(1, &ln);
    p_one_traffic_row(f, 1793527200 /* 2026-10-31T08:00Z */, 403, CFS_CAUSE_GEO_RESTRICTION, 0, 7, 700);
    p_tag(f, "GRPS", 3);
    for (int i = 0; i < 3; i++) {
        p_gkey(f, "E1", 0, (uint8_t)(1 + i), 0);
        fwrite(hb, 1, hn, f);
        fwrite(hb, 1, hn, f);
        fwrite(lb, 1, ln, f);
    }
    p_tag(f, "HEAV", 0);
    p_tag(f, "ORIG", 0);
    p_tag(f, "ORGL", 0);
    p_tag(f, "WAFR", 0);
    p_tag(f, "FILE", 1);
    p_input(f, "/logs/E1.2026-10-31-08.abc.gz", CFS_OK, "");
    p_le(f, 0, 8);
    crafted c = craft_and_merge(f, &buf, &len, 0);
    cr_assert_eq(c.r.rc, 0, "exit %d; stderr: %s", c.r.rc, c.r.err);
    cr_assert(strstr(c.r.out, "E1"), "the distribution is reported: %s", c.r.out);
    free(hb);
    free(lb);
    crafted_free(&c);
}

/* ---- item 2: memory ---------------------------------------------------------------------- */
Test(state_hostile, many_tiny_groups, .timeout = 120)
{
    /* 20,000 distinct groups with empty sketches: under 2 bytes each after zstd, but a
     * dense group took 32 KiB: merge reached 1.9 GB before the sparse sketches (and
     * exited 0).  Now an empty group costs a few hundred bytes, which the reader's
     * budget (2048 bytes per byte of state, 64 MiB at least) allows: the state merges,
     * in bounded memory.  What the budget still refuses is the top-k bomb below. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    size_t hn, ln;
    char *hb = blob_of(0, &hn), *lb = blob_of(1, &ln);
    p_rules(f);
    p_tag(f, "STRS", 0);
    p_tag(f, "TRAF", 0);
    const uint32_t ng = 20000;
    p_tag(f, "GRPS", ng);
    for (uint32_t i = 0; i < ng; i++) {
        char dist[32];
        snprintf(dist, sizeof dist, "E%u", i / (256u * (CFS_CAUSE_COUNT - 1)));
        p_gkey(f, dist, 0, (uint8_t)(1 + (i / 256) % (CFS_CAUSE_COUNT - 1)), (uint8_t)(i % 256));
        fwrite(hb, 1, hn, f);
        fwrite(hb, 1, hn, f);
        fwrite(lb, 1, ln, f);
    }
    p_rest(f, 3);
    crafted c = craft_and_merge(f, &buf, &len, 0);
    cr_assert_lt(c.file_size, 64 * 1024, "a small state: %zu bytes", c.file_size);
    cr_log_info("many tiny groups: %zu-byte state, exit %d, peak RSS %ld KiB", c.file_size, c.r.rc,
                c.r.rss_kb);
    cr_assert_eq(c.r.rc, 0, "many tiny groups: exit %d; stderr: %s", c.r.rc, c.r.err);
    cr_assert_lt(c.r.rss_kb, RSS_LIMIT_KB, "many tiny groups: peak RSS %ld KiB for a %zu-byte state",
                 c.r.rss_kb, c.file_size);
    free(hb);
    free(lb);
    crafted_free(&c);
}

Test(state_hostile, topk_capacity_bomb, .timeout = 120)
{
    /* Top-k blobs claiming capacity 65536 with a single entry: before the fix each
     * allocated its 65536 counters up front (about 5 MB) for ~30 payload bytes: refused.
     * Then the capacity this cfscan uses (256), many times over: before the sparse
     * sketches each took its 256 counters up front and the budget refused the state; now
     * counters come on demand, a one-entry summary costs what it holds, and the state
     * merges in bounded memory. */
    static const uint32_t caps[] = {CFS_TOPK_MAX_CAPACITY, CFS_TOPK_CAPACITY};
    for (int ci = 0; ci < 2; ci++) {
        cfs_topk *t = cfs_topk_new(caps[ci]);
        cr_assert(t);
        cfs_topk_add(t, "/x", 2, cfs_hash_bytes("/x", 2), 1);
        char *tb = NULL;
        size_t tn = 0;
        FILE *tf = open_memstream(&tb, &tn);
        cr_assert_eq(cfs_topk_write(tf, t), CFS_OK);
        fclose(tf);
        cfs_topk_free(t);

        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        p_rules(f);
        p_tag(f, "STRS", 0);
        p_tag(f, "TRAF", 0);
        p_tag(f, "GRPS", 0);
        const uint32_t nh = 2000;
        p_tag(f, "HEAV", nh);
        for (uint32_t i = 0; i < nh; i++) {
            char dist[32];
            snprintf(dist, sizeof dist, "E%u", i / 256);
            p_gkey(f, dist, 0, CFS_CAUSE_GEO_RESTRICTION, (uint8_t)(i % 256));
            fwrite(tb, 1, tn, f);
            fwrite(tb, 1, tn, f);
        }
        p_rest(f, 4);
        crafted c = craft_and_merge(f, &buf, &len, 0);
        cr_assert_lt(c.file_size, 64 * 1024, "a small state: %zu bytes", c.file_size);
        char what[64];
        snprintf(what, sizeof what, "top-k capacity %u", caps[ci]);
        if (caps[ci] != CFS_TOPK_CAPACITY) assert_rejected(&c, what);
        else {
            cr_assert_eq(c.r.rc, 0, "%s: exit %d; stderr: %s", what, c.r.rc, c.r.err);
            cr_assert_lt(c.r.rss_kb, RSS_LIMIT_KB, "%s: peak RSS %ld KiB", what, c.r.rss_kb);
        }
        free(tb);
        crafted_free(&c);
    }
}

Test(state_hostile, count_larger_than_payload, .timeout = 60)
{
    /* Counts that the payload cannot hold, in every counted section: the reader must
     * refuse them from the count, not trust them for an allocation.  The TRAF case
     * declares a 1 TiB payload in the header, so that a bound on the declared length
     * alone would let a count of 2^33 rows through. */
    static const struct {
        const char *sec;
        uint64_t count, raw;
    } cases[] = {
        {"STRS", UINT64_C(1) << 32, 0}, {"TRAF", UINT64_C(1) << 33, UINT64_C(1) << 40},
        {"GRPS", UINT32_MAX, 0},        {"HEAV", UINT32_MAX, 0},
        {"ORIG", UINT32_MAX, 0},        {"ORGL", UINT32_MAX, 0},
        {"WAFR", UINT32_MAX, 0},        {"FILE", UINT64_C(1) << 40, 0},
    };
    static const char *const order[] = {"STRS", "TRAF", "GRPS", "HEAV", "ORIG", "ORGL", "WAFR", "FILE"};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        p_rules(f);
        int i = 0;
        while (strcmp(order[i], cases[k].sec)) p_tag(f, order[i++], 0);
        p_tag(f, cases[k].sec, cases[k].count);
        /* a few bytes of records: far fewer than the count claims */
        for (int j = 0; j < 200; j++) p_le(f, 0, 8);
        crafted c = craft_and_merge(f, &buf, &len, cases[k].raw);
        char what[64];
        snprintf(what, sizeof what, "%s count %llu", cases[k].sec, (unsigned long long)cases[k].count);
        assert_rejected(&c, what);
        crafted_free(&c);
    }
}

/* A traffic row's exclusions (schema 8 on) beyond the bits that stand for causes:
 * refused.  Bit 6 (CFS_EXCL_KEYED) came with schema 9, so a schema 8 state that sets it
 * is refused too, and one of schema 9 is read. */
Test(state_hostile, traffic_exclusions_out_of_range, .timeout = 60)
{
    static const struct {
        uint32_t schema;
        uint8_t excl;
        int ok;
    } cases[] = {{CFS_SUMMARY_SCHEMA, 128, 0}, {8, 64, 0}, {8, 63, 1}, {CFS_SUMMARY_SCHEMA, 64, 1}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        p_one_traffic_row(f, 1793527200, 403, CFS_CAUSE_UNKNOWN, cases[k].excl, 1, 10);
        p_rest(f, 2);
        g_schema = cases[k].schema;
        crafted c = craft_and_merge(f, &buf, &len, 0);
        g_schema = CFS_SUMMARY_SCHEMA;
        char what[64];
        snprintf(what, sizeof what, "schema %u exclusions %u", cases[k].schema, cases[k].excl);
        if (cases[k].ok) {
            cr_assert_eq(c.r.rc, 0, "%s: exit %d (%s)", what, c.r.rc, c.r.err);
        } else {
            assert_rejected(&c, what);
            char want[32];
            snprintf(want, sizeof want, "exclusions %u", cases[k].excl);
            cr_assert(strstr(c.r.err, want), "%s: %s", what, c.r.err);
        }
        crafted_free(&c);
    }
}

Test(state_hostile, hour_out_of_range, .timeout = 60)
{
    /* An hour of INT64_MAX overflowed hour * 1000 in the Parquet writer; any hour outside
     * cfs_time_in_range, or not at the start of an hour, is no key a scan writes. */
    static const int64_t hours[] = {INT64_MAX, INT64_MIN, -3600, INT64_C(4102444800), INT64_C(1793527201)};
    for (size_t k = 0; k < sizeof hours / sizeof hours[0]; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        p_one_traffic_row(f, hours[k], 200, 0, 0, 1, 10);
        p_rest(f, 2);
        crafted c = craft_and_merge(f, &buf, &len, 0);
        char what[64];
        snprintf(what, sizeof what, "hour %lld", (long long)hours[k]);
        assert_rejected(&c, what);
        crafted_free(&c);
    }
}

/* ---- item 10: error strings from a state ------------------------------------------------- */
Test(state_hostile, input_error_strings_are_escaped, .timeout = 60)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    p_rules(f);
    p_tag(f, "STRS", 0);
    p_tag(f, "TRAF", 0);
    p_tag(f, "GRPS", 0);
    p_tag(f, "HEAV", 0);
    p_tag(f, "ORIG", 0);
    p_tag(f, "ORGL", 0);
    p_tag(f, "WAFR", 0);
    p_tag(f, "FILE", 2);
    p_input(f, "/logs/E1.2026-10-31-08.a.gz", CFS_E_CORRUPT, "boom1 \x1b[31mred\x1b[0m");
    p_input(f, "/logs/E1.2026-10-31-08.b.gz", CFS_E_TRUNCATED, "boom2 \x1b]0;t\x07 title");
    p_le(f, 0, 8);
    crafted c = craft_and_merge(f, &buf, &len, 0);
    /* inputs that could not be read: exit 4, and the summary is still written */
    cr_assert_eq(c.r.rc, 4, "exit %d; stderr: %s", c.r.rc, c.r.err);
    char p[1200];
    snprintf(p, sizeof p, "%s/report.txt", c.out);
    size_t n;
    char *txt = tu_read(p, &n);
    cr_assert(txt, "%s", p);
    const char *outs[2] = {c.r.out, txt};
    const char *names[2] = {"stdout", "report.txt"};
    for (int i = 0; i < 2; i++) {
        cr_assert(strstr(outs[i], "boom1") && strstr(outs[i], "boom2"), "%s lists both errors: %s", names[i],
                  outs[i]);
        cr_assert_null(strchr(outs[i], 0x1b), "%s holds no ESC byte: %s", names[i], outs[i]);
        cr_assert_null(strchr(outs[i], 0x07), "%s holds no BEL byte", names[i]);
    }
    free(txt);
    crafted_free(&c);
}

/* ---- schema 5: the held-back 403s and what judges them (FCTS, PAGE, EVNT, DEFR) ---------- */
/* The sections before them, empty, with one readable input; then EVID empty. */
static void p_head_sections(FILE *f)
{
    p_rules(f);
    p_rest(f, 0);
    /* p_rest wrote FILE with no rows and pruned: rows are not needed to reach EVID */
    p_tag(f, "EVID", 0);
}

static uint16_t rule_id(const char *name)
{
    for (unsigned i = 0; i < cfs_rule_count(); i++)
        if (!strcmp(cfs_rule_name((uint16_t)i), name)) return (uint16_t)i;
    cr_assert_fail("no rule %s", name);
    return 0;
}

/* One DEFR record of distribution E1 at 2026-10-31T08:00Z with the given fields. */
static void p_record_x(FILE *f, uint16_t rule, uint8_t cause, uint32_t uri_n, const char *uri, uint8_t excl)
{
    p_key(f, "E1");
    p_key(f, "FRA1");
    p_key(f, "");
    p_le(f, 1793527200, 8); /* hour */
    p_le(f, 1793527205, 8); /* ts */
    p_le(f, 500, 8);        /* bytes */
    p_le(f, 42, 8);         /* client hash */
    p_le(f, 7, 8);          /* event key */
    const uint32_t u32[] = {UINT32_MAX, 0, 1, 1, 1, uri_n, 0};
    for (int i = 0; i < 7; i++) p_le(f, u32[i], 4);
    p_le(f, 403, 2);
    p_le(f, rule, 2);
    p_u8(f, cause);
    p_u8(f, CFS_EV_CONFIRMED);
    p_u8(f, 0);
    p_u8(f, excl);                   /* schema 8 */
    p_le(f, (uint64_t)INT64_MIN, 8); /* its config version's facts row */
    if (uri) fwrite(uri, 1, strlen(uri), f);
}

static void p_record(FILE *f, uint16_t rule, uint8_t cause, uint32_t uri_n, const char *uri)
{
    p_record_x(f, rule, cause, uri_n, uri, 0);
}

/* The sections up to DEFR holding one valid held-back record: a geo block of E1 (facts: a
 * 10 s error-caching TTL, no config, no custom page) on /geo/page. */
static void p_geo_record(FILE *f)
{
    p_head_sections(f);
    p_tag(f, "FCTS", 1);
    p_str(f, "E1", 2);
    p_le(f, (uint64_t)INT64_MIN, 8); /* config version: untimed, or none (schema 8) */
    p_le(f, 10, 8);
    p_u8(f, 0);
    p_u8(f, 0);
    p_tag(f, "PAGE", 0);
    p_tag(f, "EVNT", 0);
    p_tag(f, "DEFR", 1);
    p_record(f, rule_id("drt_client_geo_blocked"), CFS_CAUSE_GEO_RESTRICTION, 9, "/geo/page");
}

/* Control: a valid record is read back and counted: the merged report has one 403 of E1,
 * a geo block, with its URI. */
Test(state_hostile, held_back_record_is_counted, .timeout = 60)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    p_geo_record(f);
    crafted c = craft_and_merge(f, &buf, &len, 0);
    cr_assert_eq(c.r.rc, 0, "exit %d; stderr: %s", c.r.rc, c.r.err);
    cr_assert(strstr(c.r.out, "E1") && strstr(c.r.out, "geo_restriction") && strstr(c.r.out, "/geo/page"),
              "the record is counted: %s", c.r.out);
    crafted_free(&c);
}

/* Damaged schema 5 sections: each refused, naming the file, in bounded memory. */
Test(state_hostile, held_back_sections_refused, .timeout = 60)
{
    for (int k = 0; k < 7; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        p_head_sections(f);
        p_tag(f, "FCTS", 0);
        p_tag(f, "PAGE", 0);
        const char *what = "";
        switch (k) {
        case 0: /* a cause past the table */
            what = "cause out of range";
            p_tag(f, "EVNT", 0);
            p_tag(f, "DEFR", 1);
            p_record(f, 0, CFS_CAUSE_COUNT, 1, "/");
            break;
        case 1: /* a URI longer than any line */
            what = "URI length";
            p_tag(f, "EVNT", 0);
            p_tag(f, "DEFR", 1);
            p_record(f, 0, CFS_CAUSE_GEO_RESTRICTION, 1u << 30, NULL);
            break;
        case 2: /* more records than the payload holds */
            what = "record count";
            p_tag(f, "EVNT", 0);
            p_tag(f, "DEFR", (uint64_t)1 << 40);
            break;
        case 3: /* a filter size that is not a power of two */
            what = "filter bits";
            p_tag(f, "EVNT", 1);
            p_le(f, 40000, 8);
            p_le(f, 0, 8);
            break;
        case 4: /* a filter of 2^40 bits */
            what = "filter size";
            p_tag(f, "EVNT", 1);
            p_le(f, (uint64_t)1 << 40, 8);
            p_le(f, 0, 8);
            break;
        case 5: /* exclusion bits no cause stands for (attribute.h, CFS_EXCL_*) */
            what = "exclusions";
            p_tag(f, "EVNT", 0);
            p_tag(f, "DEFR", 1);
            p_record_x(f, 0, CFS_CAUSE_GEO_RESTRICTION, 1, "/", 128);
            break;
        default: /* a rule id past the RULE section */
            what = "rule id";
            p_tag(f, "EVNT", 0);
            p_tag(f, "DEFR", 1);
            p_record(f, 60000, CFS_CAUSE_GEO_RESTRICTION, 1, "/");
            break;
        }
        crafted c = craft_and_merge(f, &buf, &len, 0);
        assert_rejected(&c, what);
        crafted_free(&c);
    }
}

/* ---- schema 6: the fields each distribution's lines had (PRES) ------------------------------ */
/* The held-back record of E1 (so that E1 has a 403 and a report section), then PRES:
 * three field names and the rows given. */
static void p_pres_head(FILE *f, uint64_t rows, uint32_t names)
{
    p_geo_record(f);
    p_tag(f, "PRES", rows);
    p_le(f, names, 4);
    static const char *const nm[] = {"sc-status", "x-edge-detailed-result-type", "no-such-field"};
    for (uint32_t i = 0; i < names; i++) p_str(f, nm[i % 3], strlen(nm[i % 3]));
}
static void p_pres_row(FILE *f, const char *dist, uint64_t any, uint64_t all)
{
    p_str(f, dist, strlen(dist));
    p_le(f, any, 8);
    p_le(f, all, 8);
}

/* Control: bits map by name (bit 1 is x-edge-detailed-result-type, absent from every
 * line; a name this cfscan does not know is dropped; fields the file does not name count
 * as present), so the report names that one field and no other. */
Test(state_hostile, field_presence_is_read_by_name, .timeout = 60)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    p_pres_head(f, 1, 3);
    p_pres_row(f, "E1", 0x5, 0x1);
    crafted c = craft_and_merge(f, &buf, &len, 0);
    cr_assert_eq(c.r.rc, 0, "exit %d; stderr: %s", c.r.rc, c.r.err);
    /* one field: c-country is present as far as the file says (not named) */
    cr_assert_not_null(strstr(c.r.out, "\n  Fields absent: x-edge-detailed-result-type (from all lines)\n"),
                       "%s", c.r.out);
    cr_assert_not_null(strstr(c.r.out, "\n  x-edge-detailed-result-type: geo blocks"), "its cost: %s",
                       c.r.out);
    crafted_free(&c);
}

Test(state_hostile, field_presence_refused, .timeout = 60)
{
    for (int k = 0; k < 4; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        const char *what = "";
        switch (k) {
        case 0: /* a field in every line that no line had */
            what = "every-line mask outside the any-line mask";
            p_pres_head(f, 1, 3);
            p_pres_row(f, "E1", 0x1, 0x3);
            break;
        case 1: /* a bit no name stands for */
            what = "unnamed bit";
            p_pres_head(f, 1, 3);
            p_pres_row(f, "E1", 0x9, 0x1);
            break;
        case 2: /* more names than a mask has bits */
            what = "65 names";
            p_pres_head(f, 0, 65);
            break;
        default: /* one distribution twice */
            what = "a distribution twice";
            p_pres_head(f, 2, 3);
            p_pres_row(f, "E1", 0x1, 0x1);
            p_pres_row(f, "E1", 0x1, 0x1);
            break;
        }
        crafted c = craft_and_merge(f, &buf, &len, 0);
        assert_rejected(&c, what);
        crafted_free(&c);
    }
}

/* ---- schema 7: the sampling rates of the runs (SAMP) ----------------------------------------- */
/* E1's held-back record, an empty PRES, then SAMP with the rates given (one byte each). */
static void p_samp(FILE *f, const uint8_t *rates, uint64_t n, uint64_t claimed)
{
    p_pres_head(f, 0, 3);
    p_tag(f, "SAMP", claimed);
    for (uint64_t i = 0; i < n; i++) p_u8(f, rates[i]);
}

/* Control: 0 (runs not sampled), 25 and 101 (a rate not known) read back, so the merged
 * report says all three. */
Test(state_hostile, sampling_rates_are_read, .timeout = 60)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    static const uint8_t r[] = {0, 25, 101};
    p_samp(f, r, 3, 3);
    crafted c = craft_and_merge(f, &buf, &len, 0);
    cr_assert_eq(c.r.rc, 0, "exit %d; stderr: %s", c.r.rc, c.r.err);
    cr_assert_not_null(strstr(c.r.out, "\nSampling: the runs behind this report sampled requests at 25%, and "
                                       "some read logs that are not sampled, and the rate of some is not "
                                       "known (real-time logs read with --log-fields, or a summary written "
                                       "before schema 7);"),
                       "%s", c.r.out);
    crafted_free(&c);
}

Test(state_hostile, sampling_rates_refused, .timeout = 60)
{
    /* each refused for its own reason: 103 values are refused by count, before their
     * order (zeros) is read */
    static const struct {
        const char *what, *says;
        uint8_t r[103];
        uint64_t n, claimed;
    } bad[] = {
        {"rates out of order", "sampling rate 10 out of order", {25, 10}, 2, 2},
        {"a rate twice", "sampling rate 25 out of order", {25, 25}, 2, 2},
        {"a value above 101 (not known)", "sampling rate 102 out of order or above 101", {102}, 1, 1},
        {"103 values claimed", "section SAMP claims 103 records", {0}, 103, 103},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        p_samp(f, bad[k].r, bad[k].n, bad[k].claimed);
        crafted c = craft_and_merge(f, &buf, &len, 0);
        assert_rejected(&c, bad[k].what);
        cr_assert_not_null(strstr(c.r.err, bad[k].says), "%s: %s", bad[k].what, c.r.err);
        crafted_free(&c);
    }
}

/* ---- rule tables: `diff` of summaries written by cfscans whose rules differ -------------- */

/* A summary directory root/name holding an empty state whose RULE section lists this
 * cfscan's rule names, the first two swapped when swap is set (as a version that ordered
 * or named its rules otherwise would write them; every name still known). */
static void empty_summary(const char *root, const char *name, int swap)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert(f);
    p_tag(f, "RULE", cfs_rule_count());
    for (unsigned i = 0; i < cfs_rule_count(); i++) {
        unsigned k = swap && i < 2 ? 1 - i : i;
        const char *nm = cfs_rule_name((uint16_t)k);
        p_str(f, nm, strlen(nm));
    }
    p_rest(f, 0);
    fclose(f);
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", root, name);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/%s/state.cfs", root, name);
    write_state(p, buf, len, len, NULL);
    free(buf);
}

/* `cfscan SUB ROOT/A ROOT/B EXTRA` (0: no B), which must exit 0; whether its stdout
 * (else its stderr) holds text, and whether that is what want says. */
static void expect_run(const char *root, const char *sub, const char *a, const char *b, const char *extra,
                       int on_stderr, const char *text, int want)
{
    char cmd[4096], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof cmd, "%s %s %s/%s %s%s%s %s", tu_prog("cfscan"), sub, root, a, b ? root : "",
             b ? "/" : "", b ? b : "", extra);
    cr_assert_eq(tu_run(cmd, &out, &err), 0, "%s: %s", cmd, err);
    const char *in = on_stderr ? err : out;
    cr_expect((strstr(in, text) != NULL) == want, "%s: %s \"%s\" in: %s", cmd, want ? "no" : "unexpected",
              text, in);
    free(out);
    free(err);
}

/* The rules fingerprint also says what the rules mean (summary_state.c, RULES_MEANING): a
 * state whose RULE names are this cfscan's but whose RPRV is the fingerprint of those
 * names alone (as a cfscan before the meaning was counted wrote it) holds verdicts of other
 * rules, so merge warns and diff says so; with this cfscan's fingerprint, neither. */
Test(state_hostile, rules_of_another_meaning_are_other_rules, .timeout = 60)
{
    char *root = tu_mkdtemp();
    uint64_t names_only = 0; /* summary_state.c's fingerprint before the meaning: XXH3 chained */
    for (unsigned i = 0; i < cfs_rule_count(); i++) {
        const char *nm = cfs_rule_name((uint16_t)i);
        names_only = XXH3_64bits_withSeed(nm, strlen(nm) + 1, names_only);
    }
    if (names_only <= 1) names_only += 2;
    const uint64_t fps[2] = {names_only, cfs_rules_fingerprint()};
    const char *dirs[2] = {"old", "now"};
    for (int k = 0; k < 2; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        cr_assert(f);
        p_rules(f);
        p_rest(f, 0);
        /* the optional sections before RPRV, empty (summary_state.c, k_state_readers) */
        static const char *const empty[] = {"EVID", "FCTS", "PAGE", "EVNT", "DEFR", "PRES", "SAMP"};
        for (size_t e = 0; e < sizeof empty / sizeof empty[0]; e++) {
            p_tag(f, empty[e], 0);
            if (!strcmp(empty[e], "PRES")) p_le(f, 0, 4); /* no field names */
        }
        p_tag(f, "RPRV", 1);
        p_le(f, fps[k], 8);
        fclose(f);
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", root, dirs[k]);
        cr_assert_eq(mkdir(p, 0755), 0);
        snprintf(p, sizeof p, "%s/%s/state.cfs", root, dirs[k]);
        write_state(p, buf, len, len, NULL);
        free(buf);
    }
    cr_assert_neq(fps[0], fps[1], "the meaning is part of the fingerprint");
    char o[1200];
    snprintf(o, sizeof o, "-o %s/m1 -q", root);
    expect_run(root, "merge", "old", NULL, o, 1, "judged by attribution rules other than this cfscan's", 1);
    snprintf(o, sizeof o, "-o %s/m2 -q", root);
    expect_run(root, "merge", "now", NULL, o, 1, "judged by attribution rules other", 0);
    expect_run(root, "diff", "old", "now", "--format json", 0, "\"same_rules\":false", 1);
    tu_rmrf(root);
    free(root);
}

Test(state_hostile, diff_says_when_rule_tables_differ, .timeout = 60)
{
    char *root = tu_mkdtemp();
    empty_summary(root, "a", 0);
    empty_summary(root, "b", 0);
    empty_summary(root, "swapped", 1);
    const char *note = "OLD and NEW hold verdicts made by different attribution rules";
    expect_run(root, "diff", "a", "swapped", "", 0, note, 1);
    expect_run(root, "diff", "a", "swapped", "--format json", 0, "\"same_rules\":false", 1);
    /* the same rule table on both sides: no note */
    expect_run(root, "diff", "a", "b", "", 0, note, 0);
    expect_run(root, "diff", "a", "b", "--format json", 0, "\"same_rules\":true", 1);
    /* A merge keeps what its parts' verdicts came from: one part of other rules makes the
     * merged summary's verdicts mixed, which a diff with a plain one says (and the merge
     * warns, naming the part); parts of this cfscan's rules merge without either. */
    const char *warn = "/swapped: its 403s were judged by attribution rules other than this cfscan's";
    char o[1200];
    snprintf(o, sizeof o, "-o %s/mixed -q", root);
    expect_run(root, "merge", "a", "swapped", o, 1, warn, 1);
    snprintf(o, sizeof o, "-o %s/same -q", root);
    expect_run(root, "merge", "a", "b", o, 1, "judged by attribution rules other", 0);
    expect_run(root, "diff", "same", "mixed", "--format json", 0, "\"same_rules\":false", 1);
    expect_run(root, "diff", "same", "a", "--format json", 0, "\"same_rules\":true", 1);
    tu_rmrf(root);
    free(root);
}
