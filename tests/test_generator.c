/* Tests for the data set generator cfsgen: runs the built binary into temporary
 * directories and reads its output back with a minimal reader written here (zlib inflate
 * member by member, ZSTD_decompressStream), independent of the generator and of cfscore. */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#ifndef CFS_BUILD_DIR
#define CFS_BUILD_DIR "."
#endif

/* ---- running the binary -------------------------------------------------------------- */

static const char *gen_binary(void)
{
    static char path[4096];
    const char *dir = getenv("CFS_BUILD_DIR");
    snprintf(path, sizeof path, "%s/cfsgen", dir && *dir ? dir : CFS_BUILD_DIR);
    return path;
}

/* Runs cfsgen with args (NULL-terminated); returns the exit status, stderr into err. */
static int run_gen(const char *const *args, char *err, size_t errlen)
{
    char errpath[] = "/tmp/cfsgen-test-stderr-XXXXXX";
    int efd = mkstemp(errpath);
    cr_assert(efd >= 0);
    const char *argv[64];
    int n = 0;
    argv[n++] = gen_binary();
    for (int i = 0; args[i] && n < 63; i++) argv[n++] = args[i];
    argv[n] = NULL;
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int nul = open("/dev/null", O_WRONLY);
        dup2(nul, 1);
        dup2(efd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (err && errlen) {
        ssize_t k = pread(efd, err, errlen - 1, 0);
        err[k > 0 ? k : 0] = 0;
    }
    close(efd);
    unlink(errpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void make_tmpdir(char *out, size_t n)
{
    snprintf(out, n, "/tmp/cfsgen-test-XXXXXX");
    cr_assert_not_null(mkdtemp(out));
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}
static void rm_tree(const char *dir) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static void gen_ok(const char *const *args)
{
    char err[4096];
    int rc = run_gen(args, err, sizeof err);
    cr_assert_eq(rc, 0, "cfsgen failed (%d): %s", rc, err);
}

/* ---- reading files --------------------------------------------------------------------- */

typedef struct bytes {
    char *p;
    size_t n, cap;
} bytes;

static void bytes_add(bytes *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 65536;
        while (c < b->n + n) c *= 2;
        b->p = realloc(b->p, c);
        cr_assert_not_null(b->p);
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static int read_raw(const char *path, bytes *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0) bytes_add(out, tmp, k);
    fclose(f);
    return 0;
}

/* gzip: inflate member after member; returns 0, or -1 if the data is damaged or cut. */
static int gunzip(const bytes *in, bytes *out, int *members)
{
    size_t pos = 0;
    *members = 0;
    char tmp[65536];
    while (pos < in->n) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 16) != Z_OK) return -1;
        z.next_in = (Bytef *)in->p + pos;
        z.avail_in = (uInt)(in->n - pos);
        int rc;
        do {
            z.next_out = (Bytef *)tmp;
            z.avail_out = sizeof tmp;
            rc = inflate(&z, Z_NO_FLUSH);
            bytes_add(out, tmp, sizeof tmp - z.avail_out);
        } while (rc == Z_OK);
        size_t used = (size_t)(z.next_in - (Bytef *)in->p) - pos;
        inflateEnd(&z);
        if (rc != Z_STREAM_END) return -1; /* Z_BUF_ERROR: input ended inside the stream */
        (*members)++;
        pos += used;
    }
    return *members ? 0 : -1;
}

static int unzstd(const bytes *in, bytes *out)
{
    ZSTD_DCtx *d = ZSTD_createDCtx();
    ZSTD_inBuffer ib = {in->p, in->n, 0};
    char tmp[65536];
    size_t r;
    for (;;) {
        ZSTD_outBuffer ob = {tmp, sizeof tmp, 0};
        r = ZSTD_decompressStream(d, &ob, &ib);
        if (ZSTD_isError(r)) break;
        bytes_add(out, tmp, ob.pos);
        /* all input consumed and the decoder had less than a buffer left: done */
        if (ib.pos == ib.size && ob.pos < ob.size) break;
    }
    ZSTD_freeDCtx(d);
    return !ZSTD_isError(r) && r == 0 ? 0 : -1; /* r > 0: the frame is incomplete */
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* ---- counting -------------------------------------------------------------------------- */

typedef struct kv {
    char k[72];
    long n;
} kv;
typedef struct kvmap {
    kv *v;
    size_t n, cap;
} kvmap;

static void kv_add(kvmap *m, const char *k, size_t kn, long d)
{
    if (kn >= sizeof m->v[0].k) kn = sizeof m->v[0].k - 1;
    for (size_t i = 0; i < m->n; i++)
        if (strlen(m->v[i].k) == kn && !memcmp(m->v[i].k, k, kn)) {
            m->v[i].n += d;
            return;
        }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 32;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        cr_assert_not_null(m->v);
    }
    memcpy(m->v[m->n].k, k, kn);
    m->v[m->n].k[kn] = 0;
    m->v[m->n].n = d;
    m->n++;
}
static long kv_get(const kvmap *m, const char *k)
{
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->v[i].k, k)) return m->v[i].n;
    return -1;
}
static void kv_assert_equal(const kvmap *a, const kvmap *b, const char *what)
{
    cr_assert_eq(a->n, b->n, "%s: %zu keys vs %zu keys", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        cr_assert_eq(kv_get(b, a->v[i].k), a->v[i].n, "%s[%s]: counted %ld, expected.json %ld", what,
                     a->v[i].k, a->v[i].n, kv_get(b, a->v[i].k));
}

typedef struct rid {
    char id[57];
    char file[80];
} rid;

/* One 403 line of a 33-field file, kept for the signature checks. */
typedef struct line403 {
    char id[57];
    char *f[33]; /* copies of the fields */
} line403;

typedef struct tally {
    long files, lines, bin, too_long, too_few, no_header, unexpected, trailing_tab, crlf_lines;
    long gz_multi_member_files, header_switch_files, empty_files, v6, v4, versionless_files;
    long headerless_files, lines_with_2520;
    kvmap status, edge, dist;
    char damaged[16][80];
    int ndamaged;
    rid *r403;
    size_t n403, cap403;
    rid *all;
    size_t nall, capall;
    line403 *keep;
    size_t nkeep, capkeep;
    int keep_lines; /* keep copies of 403 lines of 33-field layouts */
    int fields_seen[8];
    int nfields_seen;
} tally;

static void rid_push(rid **v, size_t *n, size_t *cap, const char *id, size_t idn, const char *file)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 1024;
        *v = realloc(*v, *cap * sizeof **v);
        cr_assert_not_null(*v);
    }
    rid *r = &(*v)[(*n)++];
    size_t k = idn < 56 ? idn : 56;
    memcpy(r->id, id, k);
    r->id[k] = 0;
    snprintf(r->file, sizeof r->file, "%s", file);
}

static int cmp_rid(const void *a, const void *b)
{
    return strcmp(((const rid *)a)->id, ((const rid *)b)->id);
}

static void note_fields(tally *t, int n)
{
    for (int i = 0; i < t->nfields_seen; i++)
        if (t->fields_seen[i] == n) return;
    if (t->nfields_seen < 8) t->fields_seen[t->nfields_seen++] = n;
}

/* Split the data of one log file into lines and count them the way a correct reader
 * must: header lines set the columns, then each line is good or rejected with a reason. */
static void scan_text(tally *t, const char *name, const char *p, size_t n)
{
    int ncols = 0, col_status = -1, col_edge = -1, col_id = -1, col_ip = -1;
    int fields_lines = 0, first_ncols = 0, has_version = 0, has_2520 = 0;
    size_t pos = 0;
    while (pos < n) {
        const char *s = p + pos;
        const char *e = memchr(s, '\n', n - pos);
        size_t len = e ? (size_t)(e - s) : n - pos;
        pos += len + 1;
        if (len && s[len - 1] == '\r') {
            len--;
            t->crlf_lines++;
        }
        if (len >= 9 && !memcmp(s, "#Version:", 9)) {
            has_version = 1;
            continue;
        }
        if (len >= 8 && !memcmp(s, "#Fields:", 8)) {
            fields_lines++;
            ncols = 0;
            col_status = col_edge = col_id = col_ip = -1;
            size_t i = 8;
            while (i < len) {
                while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
                size_t j = i;
                while (j < len && s[j] != ' ' && s[j] != '\t') j++;
                if (j > i) {
                    size_t w = j - i;
                    if (w == 9 && !memcmp(s + i, "sc-status", 9)) col_status = ncols;
                    if (w == 15 && !memcmp(s + i, "x-edge-location", 15)) col_edge = ncols;
                    if (w == 17 && !memcmp(s + i, "x-edge-request-id", 17)) col_id = ncols;
                    if (w == 4 && !memcmp(s + i, "c-ip", 4)) col_ip = ncols;
                    ncols++;
                }
                i = j;
            }
            if (fields_lines == 1) first_ncols = ncols;
            if (fields_lines > 1 && ncols != first_ncols) t->header_switch_files++;
            note_fields(t, ncols);
            continue;
        }
        if (pos > n && len == 0) break; /* no bytes after the last newline */
        int binary = 0;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)s[i] < 0x09) {
                binary = 1;
                break;
            }
        if (binary) {
            t->bin++;
            continue;
        }
        if (len > (1u << 20)) {
            t->too_long++;
            continue;
        }
        if (!ncols) {
            t->no_header++;
            continue;
        }
        /* field boundaries */
        const char *fs[40];
        size_t fl[40];
        int nf = 0;
        size_t a = 0;
        for (size_t i = 0; i <= len; i++)
            if (i == len || s[i] == '\t') {
                if (nf < 40) {
                    fs[nf] = s + a;
                    fl[nf] = i - a;
                }
                nf++;
                a = i + 1;
            }
        if (nf < ncols) {
            t->too_few++;
            continue;
        }
        if (nf == ncols + 1 && fl[ncols] == 0) t->trailing_tab++;
        else if (nf != ncols) {
            t->unexpected++;
            continue;
        }
        t->lines++;
        cr_assert(col_status >= 0 && col_edge >= 0 && col_id >= 0, "%s: #Fields lacks status/edge/id", name);
        kv_add(&t->status, fs[col_status], fl[col_status], 1);
        kv_add(&t->edge, fs[col_edge], fl[col_edge], 1);
        kv_add(&t->dist, name, 14, 1);
        if (col_ip >= 0) {
            if (memchr(fs[col_ip], ':', fl[col_ip])) t->v6++;
            else t->v4++;
        }
        if (memmem(s, len, "%2520", 5)) has_2520 = 1, t->lines_with_2520++;
        rid_push(&t->all, &t->nall, &t->capall, fs[col_id], fl[col_id], name);
        if (fl[col_status] == 3 && !memcmp(fs[col_status], "403", 3)) {
            rid_push(&t->r403, &t->n403, &t->cap403, fs[col_id], fl[col_id], name);
            if (t->keep_lines && ncols == 33) {
                if (t->nkeep == t->capkeep) {
                    t->capkeep = t->capkeep ? t->capkeep * 2 : 256;
                    t->keep = realloc(t->keep, t->capkeep * sizeof *t->keep);
                }
                line403 *k = &t->keep[t->nkeep++];
                snprintf(k->id, sizeof k->id, "%.*s", (int)fl[col_id], fs[col_id]);
                for (int i = 0; i < 33; i++) k->f[i] = strndup(fs[i], fl[i]);
            }
        }
    }
    if (!fields_lines && n) t->headerless_files++;
    if (fields_lines && !has_version) t->versionless_files++;
    (void)has_2520;
}

static void scan_dir(tally *t, const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!(ends_with(nm, ".gz") || ends_with(nm, ".zst") || ends_with(nm, ".log"))) continue;
        t->files++;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        bytes raw = {0}, txt = {0};
        cr_assert_eq(read_raw(path, &raw), 0);
        int bad = 0;
        if (raw.n == 0) t->empty_files++;
        else if (ends_with(nm, ".gz")) {
            int members = 0;
            bad = gunzip(&raw, &txt, &members);
            if (!bad && members > 1) t->gz_multi_member_files++;
        } else if (ends_with(nm, ".zst")) bad = unzstd(&raw, &txt);
        else bytes_add(&txt, raw.p, raw.n);
        if (bad) {
            cr_assert_lt(t->ndamaged, 16);
            snprintf(t->damaged[t->ndamaged++], 80, "%.79s", nm);
        } else scan_text(t, nm, txt.p, txt.n);
        free(raw.p);
        free(txt.p);
    }
    closedir(d);
}

static void tally_free(tally *t)
{
    free(t->status.v);
    free(t->edge.v);
    free(t->dist.v);
    free(t->r403);
    free(t->all);
    for (size_t i = 0; i < t->nkeep; i++)
        for (int k = 0; k < 33; k++) free(t->keep[i].f[k]);
    free(t->keep);
}

/* ---- expected.json, labels.tsv ----------------------------------------------------------- */

static char *slurp(const char *path)
{
    bytes b = {0};
    if (read_raw(path, &b)) return NULL;
    bytes_add(&b, "", 1);
    return b.p;
}

/* "key": N at any depth (the keys used here are unique in expected.json) */
static long json_num(const char *js, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    cr_assert_not_null(p, "expected.json has no %s", key);
    return strtol(p + strlen(pat), NULL, 10);
}

/* "key": { "a": 1, "b": 2 } -> map */
static void json_obj(const char *js, const char *key, kvmap *m)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    cr_assert_not_null(p, "expected.json has no %s", key);
    p = strchr(p, '{');
    const char *end = strchr(p, '}');
    for (;;) {
        const char *q = strchr(p, '"');
        if (!q || q > end) break;
        const char *qe = strchr(q + 1, '"');
        const char *colon = strchr(qe, ':');
        kv_add(m, q + 1, (size_t)(qe - q - 1), strtol(colon + 1, NULL, 10));
        p = colon + 1;
    }
}

static int json_str_list(const char *js, const char *key, char out[][80], int max)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(js, pat);
    cr_assert_not_null(p);
    p = strchr(p, '[');
    const char *end = strchr(p, ']');
    int n = 0;
    for (;;) {
        const char *q = strchr(p, '"');
        if (!q || q > end || n >= max) break;
        const char *qe = strchr(q + 1, '"');
        snprintf(out[n++], 80, "%.*s", (int)(qe - q - 1), q + 1);
        p = qe + 1;
    }
    return n;
}

typedef struct label {
    char id[57];
    char cause[32];
    char file[80];
    char situation[32]; /* "-" for ordinary lines */
} label;

static int cmp_label(const void *a, const void *b)
{
    return strcmp(((const label *)a)->id, ((const label *)b)->id);
}

static label *read_labels(const char *dir, size_t *n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/labels.tsv", dir);
    char *s = slurp(path);
    cr_assert_not_null(s);
    static const char hdr[] = "request_id\tcause\tfile\tsituation\n";
    cr_assert(!strncmp(s, hdr, sizeof hdr - 1), "labels.tsv header");
    size_t cap = 1024, k = 0;
    label *v = malloc(cap * sizeof *v);
    char *p = s + sizeof hdr - 1;
    while (*p) {
        char *e = strchr(p, '\n');
        cr_assert_not_null(e);
        *e = 0;
        if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        char *t1 = strchr(p, '\t');
        cr_assert_not_null(t1);
        char *t2 = strchr(t1 + 1, '\t');
        cr_assert_not_null(t2);
        char *t3 = strchr(t2 + 1, '\t');
        cr_assert_not_null(t3, "labels.tsv row without a situation column");
        snprintf(v[k].id, sizeof v[k].id, "%.*s", (int)(t1 - p), p);
        snprintf(v[k].cause, sizeof v[k].cause, "%.*s", (int)(t2 - t1 - 1), t1 + 1);
        snprintf(v[k].file, sizeof v[k].file, "%.*s", (int)(t3 - t2 - 1), t2 + 1);
        snprintf(v[k].situation, sizeof v[k].situation, "%s", t3 + 1);
        k++;
        p = e + 1;
    }
    free(s);
    *n = k;
    return v;
}

/* Everything counted from the logs must equal expected.json and labels.tsv. */
static void check_against_expected(const char *dir, tally *t)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/expected.json", dir);
    char *js = slurp(path);
    cr_assert_not_null(js);
    cr_assert_eq(t->unexpected, 0, "%ld lines with more fields than #Fields", t->unexpected);
    cr_assert_eq(json_num(js, "files"), t->files);
    cr_assert_eq(json_num(js, "lines"), t->lines);
    cr_assert_eq(json_num(js, "binary"), t->bin);
    cr_assert_eq(json_num(js, "line_too_long"), t->too_long);
    cr_assert_eq(json_num(js, "too_few_fields"), t->too_few);
    cr_assert_eq(json_num(js, "no_header"), t->no_header);
    kvmap st = {0}, ed = {0}, di = {0};
    json_obj(js, "by_status", &st);
    json_obj(js, "by_edge", &ed);
    json_obj(js, "by_distribution", &di);
    kv_assert_equal(&t->status, &st, "by_status");
    kv_assert_equal(&t->edge, &ed, "by_edge");
    kv_assert_equal(&t->dist, &di, "by_distribution");
    char dam[16][80];
    int nd = json_str_list(js, "damaged_files", dam, 16);
    cr_assert_eq(nd, t->ndamaged, "damaged files: expected.json %d, found %d", nd, t->ndamaged);
    for (int i = 0; i < nd; i++) {
        int found = 0;
        for (int k = 0; k < t->ndamaged; k++) found |= !strcmp(dam[i], t->damaged[k]);
        cr_assert(found, "%s listed as damaged but reads fine", dam[i]);
    }
    /* labels: exactly the 403 lines, same request ids and files */
    size_t nl;
    label *lb = read_labels(dir, &nl);
    cr_assert_eq(nl, t->n403, "labels.tsv has %zu rows, logs have %zu 403 lines", nl, t->n403);
    qsort(lb, nl, sizeof *lb, cmp_label);
    qsort(t->r403, t->n403, sizeof *t->r403, cmp_rid);
    kvmap bc = {0}, lc = {0};
    for (size_t i = 0; i < nl; i++) {
        cr_assert_str_eq(lb[i].id, t->r403[i].id);
        cr_assert_str_eq(lb[i].file, t->r403[i].file);
        kv_add(&lc, lb[i].cause, strlen(lb[i].cause), 1);
    }
    json_obj(js, "by_cause", &bc);
    kv_assert_equal(&lc, &bc, "by_cause");
    free(bc.v);
    free(lc.v);
    free(lb);
    /* request ids: 56 chars of base64url ending "==", unique */
    qsort(t->all, t->nall, sizeof *t->all, cmp_rid);
    for (size_t i = 0; i < t->nall; i++) {
        const char *id = t->all[i].id;
        cr_assert_eq(strlen(id), 56, "request id '%s'", id);
        cr_assert(id[54] == '=' && id[55] == '=');
        for (int k = 0; k < 54; k++)
            cr_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", id[k]) &&
                      id[k]);
        if (i) cr_assert(strcmp(t->all[i - 1].id, id) != 0, "duplicate request id %s", id);
    }
    free(st.v);
    free(ed.v);
    free(di.v);
    free(js);
}

/* ---- tests --------------------------------------------------------------------------------- */

static int valid_edge(const char *e)
{
    int i = 0;
    for (; i < 3; i++)
        if (!(e[i] >= 'A' && e[i] <= 'Z')) return 0;
    int d = 0;
    while (e[i] >= '0' && e[i] <= '9') i++, d++;
    if (!d) return 0;
    if (!e[i]) return 1;
    if (e[i] != '-' || (e[i + 1] != 'C' && e[i + 1] != 'P')) return 0;
    i += 2;
    d = 0;
    while (e[i] >= '0' && e[i] <= '9') i++, d++;
    return d && !e[i];
}

static int valid_log_name(const char *nm)
{
    /* DISTID.YYYY-MM-DD-HH.UNIQUE.ext */
    size_t n = strlen(nm);
    if (n < 14 + 1 + 13 + 1 + 8 + 1 + 2) return 0;
    if (nm[0] != 'E') return 0;
    for (int i = 0; i < 14; i++)
        if (!((nm[i] >= 'A' && nm[i] <= 'Z') || (nm[i] >= '0' && nm[i] <= '9'))) return 0;
    if (nm[14] != '.' || nm[19] != '-' || nm[22] != '-' || nm[25] != '-' || nm[28] != '.') return 0;
    for (int i = 29; i < 37; i++)
        if (!((nm[i] >= 'A' && nm[i] <= 'Z') || (nm[i] >= '0' && nm[i] <= '9'))) return 0;
    return nm[37] == '.' && (!strcmp(nm + 38, "gz") || !strcmp(nm + 38, "zst") || !strcmp(nm + 38, "log"));
}

Test(generator, basic_gz_counts_match)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const char *args[] = {"-o",     dir, "--seed",           "7",   "--dists", "2",
                          "--days", "1", "--lines-per-file", "150", NULL};
    gen_ok(args);
    tally t = {0};
    scan_dir(&t, dir);
    cr_assert_eq(t.files, 2 * 24, "one file per distribution and hour");
    cr_assert_eq(t.lines, 2 * 24 * 150);
    cr_assert_eq(t.versionless_files, 0, "legacy files start with #Version:");
    cr_assert_eq(t.headerless_files, 0);
    cr_assert_eq(t.nfields_seen, 1);
    cr_assert_eq(t.fields_seen[0], 33);
    cr_assert_eq(t.crlf_lines, 0, "no CRLF without the crlf fault");
    cr_assert_eq(t.trailing_tab, 0, "no trailing TAB without the fault");
    check_against_expected(dir, &t);
    /* ~20% IPv6 viewers, skewed population */
    double v6 = (double)t.v6 / (double)(t.v6 + t.v4);
    cr_assert(v6 > 0.10 && v6 < 0.30, "IPv6 share %.3f", v6);
    /* 403 share near the default 0.08 */
    double s403 = (double)kv_get(&t.status, "403") / (double)t.lines;
    cr_assert(s403 > 0.06 && s403 < 0.10, "403 share %.3f", s403);
    /* edge location codes look like CloudFront's, and there are many */
    cr_assert_geq(t.edge.n, 30, "only %zu edges", t.edge.n);
    for (size_t i = 0; i < t.edge.n; i++) cr_assert(valid_edge(t.edge.v[i].k), "edge '%s'", t.edge.v[i].k);
    /* file names and one config per distribution */
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)))
        if (ends_with(de->d_name, ".gz")) cr_assert(valid_log_name(de->d_name), "name %s", de->d_name);
    closedir(d);
    for (size_t i = 0; i < t.dist.n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/config/%s.json", dir, t.dist.v[i].k);
        char *cfg = slurp(path);
        cr_assert_not_null(cfg, "missing %s", path);
        char want[96];
        snprintf(want, sizeof want, "\"Id\": \"%s\"", t.dist.v[i].k);
        cr_assert_not_null(strstr(cfg, want));
        cr_assert_not_null(strstr(cfg, "\"TrustedKeyGroups\""));
        cr_assert_not_null(strstr(cfg, "\"RestrictionType\": \"blacklist\""));
        cr_assert_not_null(strstr(cfg, "\"WebACLId\": \"arn:aws:wafv2:"));
        free(cfg);
    }
    tally_free(&t);
    rm_tree(dir);
}

/* Compare two directory trees byte for byte (returns 1 if identical). */
static int same_tree(const char *a, const char *b, const char *sub)
{
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s%s", a, sub);
    snprintf(pb, sizeof pb, "%s%s", b, sub);
    DIR *d = opendir(pa);
    if (!d) return 0;
    int same = 1;
    size_t na = 0, nb = 0;
    struct dirent *de;
    while ((de = readdir(d)) && same) {
        if (de->d_name[0] == '.') continue;
        na++;
        char fa[4096], fb[4096];
        snprintf(fa, sizeof fa, "%.3800s/%.255s", pa, de->d_name);
        snprintf(fb, sizeof fb, "%.3800s/%.255s", pb, de->d_name);
        struct stat st;
        if (stat(fa, &st)) return 0;
        if (S_ISDIR(st.st_mode)) {
            char s2[512];
            snprintf(s2, sizeof s2, "%s/%s", sub, de->d_name);
            same &= same_tree(a, b, s2);
            continue;
        }
        bytes x = {0}, y = {0};
        if (read_raw(fa, &x) || read_raw(fb, &y)) same = 0;
        else same &= x.n == y.n && (x.n == 0 || !memcmp(x.p, y.p, x.n));
        free(x.p);
        free(y.p);
    }
    closedir(d);
    d = opendir(pb);
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') nb++;
    if (d) closedir(d);
    return same && na == nb;
}

Test(generator, deterministic_for_any_thread_count)
{
    char d1[64], d2[64], d3[64];
    make_tmpdir(d1, sizeof d1);
    make_tmpdir(d2, sizeof d2);
    make_tmpdir(d3, sizeof d3);
    const char *a1[] = {
        "-o", d1,         "--seed", "11",       "--dists", "2",  "--days", "2", "--lines-per-file",
        "60", "--faults", "all",    "--layout", "mixed",   "-j", "1",      NULL};
    const char *a2[] = {
        "-o", d2,         "--seed", "11",       "--dists", "2",  "--days", "2", "--lines-per-file",
        "60", "--faults", "all",    "--layout", "mixed",   "-j", "2",      NULL};
    const char *a3[] = {
        "-o", d3,         "--seed", "12",       "--dists", "2",  "--days", "2", "--lines-per-file",
        "60", "--faults", "all",    "--layout", "mixed",   "-j", "2",      NULL};
    gen_ok(a1);
    gen_ok(a2);
    gen_ok(a3);
    cr_assert(same_tree(d1, d2, ""), "-j1 and -j2 differ");
    cr_assert(!same_tree(d1, d3, ""), "seeds 11 and 12 give the same output");
    char p1[4096], p3[4096];
    snprintf(p1, sizeof p1, "%s/labels.tsv", d1);
    snprintf(p3, sizeof p3, "%s/labels.tsv", d3);
    char *l1 = slurp(p1), *l3 = slurp(p3);
    cr_assert(strcmp(l1, l3) != 0);
    free(l1);
    free(l3);
    rm_tree(d1);
    rm_tree(d2);
    rm_tree(d3);
}

Test(generator, faults_in_gz)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const char *args[] = {"-o", dir,        "--seed", "3", "--dists", "1", "--days", "1", "--lines-per-file",
                          "80", "--faults", "all",    NULL};
    gen_ok(args);
    tally t = {0};
    scan_dir(&t, dir);
    check_against_expected(dir, &t);
    cr_assert_eq(t.files, 24 + 7,
                 "7 fault files: truncated-gz corrupt-zst no-header empty multi-member header-switch crlf");
    cr_assert_eq(t.ndamaged, 2);
    int gz = 0, zst = 0;
    for (int i = 0; i < t.ndamaged; i++) {
        gz += ends_with(t.damaged[i], ".gz");
        zst += ends_with(t.damaged[i], ".zst");
    }
    cr_assert(gz == 1 && zst == 1, "a cut .gz and a corrupt .zst");
    cr_assert_geq(t.bin, 2, "garbage lines in 2 files");
    cr_assert_eq(t.too_long, 1);
    cr_assert_geq(t.too_few, 4);
    cr_assert_eq(t.no_header, 80);
    cr_assert_eq(t.empty_files, 1);
    cr_assert_eq(t.gz_multi_member_files, 1);
    cr_assert_eq(t.header_switch_files, 1);
    cr_assert_geq(t.crlf_lines, 82, "CRLF file: 2 header lines and 80 data lines");
    cr_assert_geq(t.trailing_tab, 1);
    tally_free(&t);
    rm_tree(dir);
}

Test(generator, zstd_and_plain_formats)
{
    const char *fmts[] = {"zst", "plain"};
    for (int k = 0; k < 2; k++) {
        char dir[64];
        make_tmpdir(dir, sizeof dir);
        /* clang-format off */
        const char *args[] = {"-o", dir, "--seed", "5", "--dists", "1", "--days", "1", "--lines-per-file", "100",
                              "--format", fmts[k], "--faults", "corrupt-zst,truncated-gz,crlf,no-header", "--no-waf", NULL};
        /* clang-format on */
        gen_ok(args);
        tally t = {0};
        scan_dir(&t, dir);
        check_against_expected(dir, &t);
        cr_assert_eq(t.ndamaged, 2);
        cr_assert_eq(t.files, 24 + 4);
        DIR *d = opendir(dir);
        struct dirent *de;
        int with_ext = 0;
        while ((de = readdir(d))) with_ext += ends_with(de->d_name, k == 0 ? ".zst" : ".log");
        closedir(d);
        cr_assert_geq(with_ext, 24);
        char wafdir[128];
        snprintf(wafdir, sizeof wafdir, "%s/waf", dir);
        struct stat st;
        cr_assert_neq(stat(wafdir, &st), 0, "--no-waf writes no waf/");
        tally_free(&t);
        rm_tree(dir);
    }
}

Test(generator, layouts)
{
    static const struct {
        const char *name;
        int nf;
    } lay[] = {{"19", 19}, {"24", 24}, {"26", 26}, {"v2", 24}};
    for (size_t k = 0; k < sizeof lay / sizeof lay[0]; k++) {
        char dir[64];
        make_tmpdir(dir, sizeof dir);
        const char *args[] = {"-o", dir,        "--dists",   "1",        "--days", "1", "--lines-per-file",
                              "40", "--layout", lay[k].name, "--format", "plain",  NULL};
        gen_ok(args);
        tally t = {0};
        scan_dir(&t, dir);
        check_against_expected(dir, &t);
        cr_assert_eq(t.nfields_seen, 1);
        cr_assert_eq(t.fields_seen[0], lay[k].nf, "layout %s: %d fields", lay[k].name, t.fields_seen[0]);
        cr_assert_eq(t.versionless_files, !strcmp(lay[k].name, "v2") ? 24 : 0);
        tally_free(&t);
        rm_tree(dir);
    }
    /* v2: the user's field order, starting with timestamp(ms) */
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const char *args[] = {"-o", dir,        "--dists", "1",        "--days", "1", "--lines-per-file",
                          "30", "--layout", "mixed",   "--format", "plain",  NULL};
    gen_ok(args);
    tally t = {0};
    scan_dir(&t, dir);
    check_against_expected(dir, &t);
    cr_assert_eq(t.nfields_seen, 4, "mixed: 33, 26, 24 (19 fields and v2 with 24) -> 4 distinct counts");
    cr_assert_gt(t.versionless_files, 0);
    DIR *d = opendir(dir);
    struct dirent *de;
    int v2 = 0;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".log")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *s = slurp(path);
        if (!strncmp(s, "#Fields: timestamp(ms) date time c-ip x-edge-location sc-status", 63)) v2++;
        free(s);
    }
    closedir(d);
    cr_assert_gt(v2, 0);
    tally_free(&t);
    rm_tree(dir);
}

/* Field of a kept 33-field 403 line, by legacy position (1-based as in reference §1.2). */
#define FLD(l, i) ((l)->f[(i)-1])

static const label *find_label(const label *lb, size_t n, const char *id)
{
    label key;
    snprintf(key.id, sizeof key.id, "%s", id);
    return bsearch(&key, lb, n, sizeof *lb, cmp_label);
}

static int64_t line_epoch(const line403 *l)
{
    int y, m, d, H, M, S;
    sscanf(FLD(l, 1), "%d-%d-%d", &y, &m, &d);
    sscanf(FLD(l, 2), "%d:%d:%d", &H, &M, &S);
    /* days from civil, independent of the generator's code (count days year by year) */
    int64_t days = 0;
    for (int yy = 1970; yy < y; yy++) days += (yy % 4 == 0 && (yy % 100 != 0 || yy % 400 == 0)) ? 366 : 365;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int mm = 1; mm < m; mm++)
        days += mdays[mm - 1] + (mm == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
    days += d - 1;
    return days * 86400 + H * 3600 + M * 60 + S;
}

static int64_t expires_of(const char *s, const char *key)
{
    const char *p = strstr(s, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

Test(generator, causes_and_signatures)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const char *args[] = {"-o",     dir, "--seed",           "21",  "--dists", "3",
                          "--days", "1", "--lines-per-file", "300", NULL};
    gen_ok(args);
    tally t = {0};
    t.keep_lines = 1;
    scan_dir(&t, dir);
    cr_assert_geq(t.lines, 20000);
    check_against_expected(dir, &t);
    size_t nl;
    label *lb = read_labels(dir, &nl);
    qsort(lb, nl, sizeof *lb, cmp_label);
    static const char *const causes[] = {
        "geo_restriction",    "waf_block",      "signed_url_missing", "signed_url_expired",
        "signed_url_invalid", "https_required", "method_not_allowed", "cname_not_associated",
        "origin_s3",          "origin_custom",  "edge_other",         "edge_function"};
    kvmap per = {0};
    for (size_t i = 0; i < nl; i++) kv_add(&per, lb[i].cause, strlen(lb[i].cause), 1);
    cr_assert_eq(per.n, 12, "every generated cause present, nothing else");
    for (size_t c = 0; c < 12; c++) {
        long n = kv_get(&per, causes[c]);
        /* edge_function: the 15% of edge_other's 7% that a CloudFront Function answers */
        long min_share = c == 11 ? 200 : 50;
        cr_assert(n * min_share >= (long)nl, "%s: %ld of %zu 403s", causes[c], n, nl);
    }
    for (size_t i = 0; i < nl; i++)
        cr_assert_str_eq(lb[i].situation, "-", "no situation without --situations");
    /* aliases per distribution from the configs */
    for (size_t i = 0; i < t.nkeep; i++) {
        const line403 *l = &t.keep[i];
        const label *lab = find_label(lb, nl, l->id);
        cr_assert_not_null(lab);
        const char *c = lab->cause, *method = FLD(l, 6), *uri = FLD(l, 8), *query = FLD(l, 12),
                   *cookie = FLD(l, 13);
        const char *proto = FLD(l, 17), *drt = FLD(l, 29), *ct = FLD(l, 30), *host = FLD(l, 16);
        int restricted = !strncmp(uri, "/private/", 9) || !strncmp(uri, "/premium/", 9) ||
                         !strncmp(uri, "/members/", 9);
        int sig = strstr(query, "Signature=") || strstr(cookie, "CloudFront-Signature=");
        double tt = atof(FLD(l, 19)), ttfb = atof(FLD(l, 28));
        cr_assert_leq(ttfb, tt, "TTFB > time-taken in %s", l->id);
        if (strcmp(c, "https_required")) cr_assert_str_eq(proto, "https", "%s over http", c);
        if (!strcmp(c, "geo_restriction")) cr_assert_str_eq(drt, "ClientGeoBlocked");
        else if (!strcmp(c, "method_not_allowed")) {
            cr_assert_str_eq(drt, "InvalidRequestMethod");
            cr_assert(strcmp(method, "GET") && strcmp(method, "HEAD"));
            cr_assert(strncmp(uri, "/api/", 5) != 0, "method_not_allowed on /api/ which allows all methods");
            cr_assert_str_eq(FLD(l, 31), "1053");
        } else if (!strcmp(c, "https_required")) {
            cr_assert_str_eq(proto, "http");
            cr_assert_str_eq(FLD(l, 21), "-");
            cr_assert_str_eq(FLD(l, 22), "-");
        } else if (!strcmp(c, "signed_url_missing")) {
            cr_assert(restricted && !sig && !strstr(query, "Key-Pair-Id") &&
                      !strstr(cookie, "CloudFront-Key-Pair-Id"));
            cr_assert_str_eq(ct, "text/xml");
        } else if (!strcmp(c, "signed_url_expired") || !strcmp(c, "signed_url_invalid")) {
            cr_assert(restricted && sig, "%s without signature: %s / %s", c, query, cookie);
            int64_t exp = expires_of(query, "Expires=");
            if (exp < 0) exp = expires_of(cookie, "CloudFront-Expires=");
            if (exp >= 0) {
                if (!strcmp(c, "signed_url_expired")) cr_assert_lt(exp, line_epoch(l));
                else cr_assert_gt(exp, line_epoch(l));
            } else cr_assert_not_null(strstr(query, "Policy="));
        } else if (!strcmp(c, "cname_not_associated")) {
            cr_assert(strstr(host, ".cloudfront.net") == NULL, "cname line with the CloudFront domain %s",
                      host);
        } else if (!strcmp(c, "origin_s3")) {
            cr_assert_str_eq(ct, "application/xml");
            cr_assert(!restricted && strncmp(uri, "/api/", 5) != 0);
        } else if (!strcmp(c, "origin_custom")) {
            cr_assert(!strncmp(uri, "/api/", 5));
            cr_assert_gt(tt, 0.015, "origin fetch takes origin time");
        } else if (!strcmp(c, "waf_block")) {
            cr_assert(!sig);
            cr_assert_str_eq(drt, "Error");
        } else if (!strcmp(c, "edge_other")) {
            cr_assert(!strcmp(drt, "InvalidRequestBlocked") || !strcmp(drt, "InvalidRequest") ||
                          !strcmp(drt, "InvalidRequestHeader") || !strcmp(drt, "LimitExceeded"),
                      "edge_other DRT %s", drt);
        } else if (!strcmp(c, "edge_function")) {
            /* code at the edge answered (issue 10): its own cause, not edge_other */
            cr_assert_str_eq(drt, "FunctionGeneratedResponse");
        }
        if (!strcmp(drt, "FunctionGeneratedResponse")) cr_assert_str_eq(c, "edge_function");
    }
    /* cname lines: host header is none of the distribution's names (from its config) */
    for (size_t i = 0; i < t.nkeep; i++) {
        const line403 *l = &t.keep[i];
        const label *lab = find_label(lb, nl, l->id);
        char path[4096];
        snprintf(path, sizeof path, "%s/config/%.14s.json", dir, lab->file);
        char *cfg = slurp(path);
        cr_assert_not_null(cfg);
        const char *al = strstr(cfg, "\"Aliases\"");
        const char *al_end = strchr(al, ']');
        char quoted[128];
        snprintf(quoted, sizeof quoted, "\"%s\"", FLD(l, 16));
        const char *hit = strstr(al, quoted);
        int associated = (hit && hit < al_end) || !strcmp(FLD(l, 16), FLD(l, 7));
        if (!strcmp(lab->cause, "cname_not_associated"))
            cr_assert(!associated, "%s is associated", FLD(l, 16));
        else cr_assert(associated, "%s: host %s not associated", lab->cause, FLD(l, 16));
        free(cfg);
    }
    /* WAF: one BLOCK record per waf_block line, same request id; some ALLOW records */
    long block = 0, allow = 0;
    DIR *d;
    char wafdir[128];
    snprintf(wafdir, sizeof wafdir, "%s/waf", dir);
    d = opendir(wafdir);
    cr_assert_not_null(d);
    struct dirent *de;
    int nfiles = 0;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".log.gz")) continue;
        nfiles++;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", wafdir, de->d_name);
        bytes raw = {0}, txt = {0};
        read_raw(path, &raw);
        int members;
        cr_assert_eq(gunzip(&raw, &txt, &members), 0);
        bytes_add(&txt, "", 1);
        for (char *p = txt.p; *p;) {
            char *e = strchr(p, '\n');
            cr_assert_not_null(e);
            *e = 0;
            cr_assert(p[0] == '{' && e[-1] == '}');
            cr_assert_not_null(strstr(p, "\"httpSourceName\":\"CF\""));
            const char *rq = strstr(p, "\"requestId\":\"");
            cr_assert_not_null(rq);
            char id[57];
            snprintf(id, sizeof id, "%.56s", rq + 13);
            if (strstr(p, "\"action\":\"BLOCK\"")) {
                block++;
                const label *lab = find_label(lb, nl, id);
                cr_assert_not_null(lab, "BLOCK record %s has no 403 line", id);
                cr_assert_str_eq(lab->cause, "waf_block");
                char src[64];
                snprintf(src, sizeof src, "\"httpSourceId\":\"%.14s\"", lab->file);
                cr_assert_not_null(strstr(p, src));
            } else {
                cr_assert_not_null(strstr(p, "\"terminatingRuleId\":\"Default_Action\""));
                allow++;
            }
            p = e + 1;
        }
        free(raw.p);
        free(txt.p);
    }
    closedir(d);
    cr_assert_eq(nfiles, 1, "one WAF file per day");
    cr_assert_eq(block, kv_get(&per, "waf_block"));
    cr_assert(allow > block / 2 && allow <= block, "ALLOW %ld vs BLOCK %ld", allow, block);
    free(per.v);
    free(lb);
    tally_free(&t);
    rm_tree(dir);
}

Test(generator, old_double_encoding)
{
    char d1[64], d2[64];
    make_tmpdir(d1, sizeof d1);
    make_tmpdir(d2, sizeof d2);
    const char *a1[] = {"-o",       d1,       "--start", "2019-12-01",       "--dists",
                        "1",        "--days", "1",       "--lines-per-file", "50",
                        "--format", "plain",  NULL};
    const char *a2[] = {"-o",       d2,       "--start", "2020-02-01",       "--dists",
                        "1",        "--days", "1",       "--lines-per-file", "50",
                        "--format", "plain",  NULL};
    gen_ok(a1);
    gen_ok(a2);
    tally t1 = {0}, t2 = {0};
    scan_dir(&t1, d1);
    scan_dir(&t2, d2);
    /* before 2020-01-28 user agents are double-encoded (%2520) apart from UAs without spaces */
    cr_assert_gt(t1.lines_with_2520 * 10, t1.lines * 8, "%ld of %ld", t1.lines_with_2520, t1.lines);
    cr_assert_lt(t2.lines_with_2520 * 10, t2.lines, "%ld of %ld", t2.lines_with_2520, t2.lines);
    cr_assert_gt(t2.lines_with_2520, 0, "a small share keeps the old form");
    tally_free(&t1);
    tally_free(&t2);
    rm_tree(d1);
    rm_tree(d2);
}

Test(generator, size_option)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const char *args[] = {"-o",     dir, "--size",   "3M",    "--dists",      "1",
                          "--days", "1", "--format", "plain", "--no-configs", NULL};
    gen_ok(args);
    DIR *d = opendir(dir);
    struct dirent *de;
    long long total = 0;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".log")) continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        stat(path, &st);
        total += st.st_size;
    }
    closedir(d);
    double want = 3.0 * 1024 * 1024;
    cr_assert(total > want * 0.85 && total < want * 1.15, "--size 3M wrote %lld bytes", total);
    char cfg[128];
    snprintf(cfg, sizeof cfg, "%s/config", dir);
    struct stat st;
    cr_assert_neq(stat(cfg, &st), 0, "--no-configs writes no config/");
    rm_tree(dir);
}

Test(generator, command_line_errors)
{
    char err[4096];
    static const struct {
        const char *a[6];
        const char *names;
    } bad[] = {
        {{"-o", "/tmp/cfsgen-test-never", "--bogus", NULL}, "--bogus"},
        {{"-o", "/tmp/cfsgen-test-never", "--days", "x", NULL}, "--days"},
        {{"-o", "/tmp/cfsgen-test-never", "--days", "0", NULL}, "--days"},
        {{"-o", "/tmp/cfsgen-test-never", "--format", "rar", NULL}, "--format"},
        {{"-o", "/tmp/cfsgen-test-never", "--layout", "27", NULL}, "--layout"},
        {{"-o", "/tmp/cfsgen-test-never", "--faults", "nope", NULL},
         "--faults: unknown fault 'nope' (known:"},
        {{"-o", "/tmp/cfsgen-test-never", "--faults", "crlf,", NULL}, "empty item in the list"},
        {{"-o", "/tmp/cfsgen-test-never", "--situations", "captcha,nope", NULL},
         "--situations: unknown situation 'nope' (known: cached-origin,"},
        {{"-o", "/tmp/cfsgen-test-never", "--situations", "", NULL}, "a comma-separated list of situations"},
        {{"-o", "/tmp/cfsgen-test-never", "--plant", "geo,x", NULL},
         "--plant: unknown change 'x' (known: waf-uri,"},
        {{"-o", "/tmp/cfsgen-test-never", "--start", "2026-02-30", NULL}, "--start"},
        {{"-o", "/tmp/cfsgen-test-never", "--403-share", "1.5", NULL}, "--403-share"},
        {{"-o", "/tmp/cfsgen-test-never", "--size", "12Q", NULL}, "--size"},
        {{"-o", "/tmp/cfsgen-test-never", "--seed", NULL}, "--seed"},
        {{"--dists", "2", NULL}, "-o"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run_gen(bad[i].a, err, sizeof err);
        cr_assert_eq(rc, 2, "case %zu: exit %d (%s)", i, rc, err);
        cr_assert_not_null(strstr(err, bad[i].names), "case %zu: message '%s' does not name %s", i, err,
                           bad[i].names);
    }
    struct stat st;
    cr_assert_neq(stat("/tmp/cfsgen-test-never", &st), 0, "nothing written on a usage error");
    const char *help[] = {"--help", NULL};
    cr_assert_eq(run_gen(help, err, sizeof err), 0);
}

/* v2 files carry c-country: geo-restricted 403s come from the distribution's blacklist,
 * every other line from elsewhere (the config and the log agree). */
Test(generator, v2_country_matches_geo_blacklist)
{
    char dir[64];
    make_tmpdir(dir, sizeof dir);
    const char *args[] = {"-o",       dir,     "--seed",           "9",   "--dists",  "1",
                          "--days",   "1",     "--lines-per-file", "300", "--layout", "v2",
                          "--format", "plain", "--no-waf",         NULL};
    gen_ok(args);
    size_t nl;
    label *lb = read_labels(dir, &nl);
    qsort(lb, nl, sizeof *lb, cmp_label);
    cr_assert_gt(nl, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/config/%.14s.json", dir, lb[0].file);
    char *cfg = slurp(path);
    cr_assert_not_null(cfg);
    const char *geo = strstr(cfg, "\"GeoRestriction\"");
    cr_assert_not_null(geo);
    const char *items = strstr(geo, "\"Items\"");
    const char *items_end = strchr(items, ']');
    long geo_lines = 0, other = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".log")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        char *s = slurp(path);
        /* #Fields: timestamp(ms) date time c-ip x-edge-location sc-status cs-method cs-uri-stem
         * x-host-header cs-protocol time-taken sc-bytes x-edge-result-type
         * x-edge-detailed-result-type x-edge-response-result-type x-edge-request-id ... c-country cs(Host) */
        cr_assert(!strncmp(s, "#Fields: timestamp(ms) ", 23));
        char *save = NULL;
        for (char *ln = strtok_r(s, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
            if (ln[0] == '#') continue;
            char *f[24];
            int n = 0;
            for (char *p = ln; n < 24; n++) {
                f[n] = p;
                char *t = strchr(p, '\t');
                if (!t) {
                    n++;
                    break;
                }
                *t = 0;
                p = t + 1;
            }
            cr_assert_eq(n, 24);
            char q[8];
            snprintf(q, sizeof q, "\"%s\"", f[22]);
            const char *hit = strstr(items, q);
            int blocked = hit && hit < items_end;
            const label *lab = !strcmp(f[5], "403") ? find_label(lb, nl, f[15]) : NULL;
            if (lab && !strcmp(lab->cause, "geo_restriction")) {
                geo_lines++;
                cr_assert(blocked, "geo 403 from %s, not in the blacklist", f[22]);
                cr_assert_str_eq(f[13], "ClientGeoBlocked");
            } else {
                other++;
                cr_assert(!blocked, "line from blocked country %s with status %s", f[22], f[5]);
            }
            /* timestamp(ms) falls in the second given by date and time */
            long long ms = atoll(f[0]);
            int H, M, S;
            sscanf(f[2], "%d:%d:%d", &H, &M, &S);
            cr_assert_eq((ms / 1000) % 86400, H * 3600 + M * 60 + S);
        }
        free(s);
    }
    closedir(d);
    cr_assert_gt(geo_lines, 10);
    cr_assert_gt(other, 6000);
    free(cfg);
    free(lb);
    rm_tree(dir);
}

/* ---- --situations ------------------------------------------------------------------------ */

/* Every data line of a plain 33-field data set, split into fields (one allocation per file). */
typedef struct sline {
    char *f[33];
    int dist;         /* distribution number - 1 (the config's "example-N") */
    int file;         /* index of its file */
    const label *lab; /* NULL for a line that is not a 403 */
} sline;

typedef struct sset {
    sline *v;
    size_t n, cap;
    char ids[8][15]; /* distribution id per number - 1 */
    int nd;
    char *texts[512];
    int nfiles;
} sset;

static int dist_of(const sset *s, const char *name)
{
    for (int d = 0; d < s->nd; d++)
        if (!strncmp(name, s->ids[d], 14)) return d;
    cr_assert_fail("file %s of no distribution", name);
    return -1;
}

/* Distribution ids by number, from each config's Comment "example-N (cfsgen)". */
static void read_dist_ids(const char *dir, sset *s)
{
    char cdir[4096];
    snprintf(cdir, sizeof cdir, "%s/config", dir);
    DIR *d = opendir(cdir);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".json")) continue;
        char path[4096 + 260];
        snprintf(path, sizeof path, "%s/%s", cdir, de->d_name);
        char *cfg = slurp(path);
        const char *c = strstr(cfg, "\"Comment\": \"example-");
        cr_assert_not_null(c);
        int num = atoi(c + 20);
        cr_assert(num >= 1 && num <= 8);
        snprintf(s->ids[num - 1], sizeof s->ids[0], "%.14s", de->d_name);
        if (num > s->nd) s->nd = num;
        free(cfg);
    }
    closedir(d);
}

static void read_plain_lines(const char *dir, sset *s, const label *lb, size_t nl)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".log")) continue;
        char path[4096 + 260];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        bytes b = {0};
        cr_assert_eq(read_raw(path, &b), 0);
        bytes_add(&b, "", 1);
        cr_assert_lt(s->nfiles, 512);
        int fi = s->nfiles;
        s->texts[s->nfiles++] = b.p;
        int dist = dist_of(s, de->d_name);
        char *save = NULL;
        for (char *line = strtok_r(b.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == '#') continue;
            if (s->n == s->cap)
                cr_assert_not_null(
                    s->v = realloc(s->v, (s->cap = s->cap ? 2 * s->cap : 4096) * sizeof *s->v));
            sline *l = &s->v[s->n++];
            int nf = 0;
            for (char *p = line; nf < 33;) {
                l->f[nf++] = p;
                char *t = strchr(p, '\t');
                if (!t) break;
                *t = 0;
                p = t + 1;
            }
            cr_assert_eq(nf, 33);
            l->dist = dist;
            l->file = fi;
            l->lab = strcmp(l->f[8], "403") ? NULL : find_label(lb, nl, l->f[14]);
            if (!strcmp(l->f[8], "403")) cr_assert_not_null(l->lab, "403 line %s without a label", l->f[14]);
        }
    }
    closedir(d);
}

static int secs_of(const sline *l)
{
    return atoi(l->f[1]) * 3600 + atoi(l->f[1] + 3) * 60 + atoi(l->f[1] + 6);
}
static int is_sit(const sline *l, const char *sit) { return l->lab && !strcmp(l->lab->situation, sit); }

/* The WAF record of request id, or NULL (records are one per line). */
static const char *waf_record(const char *waf, const char *id)
{
    char key[80];
    snprintf(key, sizeof key, "\"requestId\":\"%s\"", id);
    const char *p = strstr(waf, key);
    if (!p) return NULL;
    while (p > waf && p[-1] != '\n') p--;
    return p;
}

Test(generator, situations_all, .timeout = 120)
{
    char dir[64], dir2[64];
    make_tmpdir(dir, sizeof dir);
    make_tmpdir(dir2, sizeof dir2);
    /* clang-format off */
    const char *a1[] = {"-o", dir, "--seed", "4", "--dists", "8", "--days", "1", "--files-per-hour", "2",
                        "--lines-per-file", "120", "--format", "plain", "--situations", "all", "-j", "1", NULL};
    /* clang-format on */
    /* clang-format off */
    const char *a2[] = {"-o", dir2, "--seed", "4", "--dists", "8", "--days", "1", "--files-per-hour", "2",
                        "--lines-per-file", "120", "--format", "plain", "--situations", "all", "-j", "2", NULL};
    /* clang-format on */
    gen_ok(a1);
    gen_ok(a2);
    cr_assert(same_tree(dir, dir2, ""), "--situations all: -j1 and -j2 differ");
    rm_tree(dir2);
    tally t = {0};
    scan_dir(&t, dir);
    check_against_expected(dir, &t);
    size_t nl;
    label *lb = read_labels(dir, &nl);
    qsort(lb, nl, sizeof *lb, cmp_label);
    sset s = {0};
    read_dist_ids(dir, &s);
    cr_assert_eq(s.nd, 8);
    read_plain_lines(dir, &s, lb, nl);
    char wp[4096];
    bytes wraw = {0}, waf = {0};
    snprintf(wp, sizeof wp, "%s/waf/waf-2026-11-01.log.gz", dir);
    cr_assert_eq(read_raw(wp, &wraw), 0);
    int members;
    cr_assert_eq(gunzip(&wraw, &waf, &members), 0);
    bytes_add(&waf, "", 1);

    /* the situations, and ordinary lines the majority (8 distributions: 2 keep no situation) */
    static const char *const sits[] = {"cached-origin",  "fast-origin",       "custom-error-page",
                                       "cookies-off",    "waf-http",          "waf-custom-response",
                                       "captcha",        "empty-key-pair-id", "edge-function",
                                       "default-domain", "config-newer"};
    kvmap per = {0};
    for (size_t i = 0; i < nl; i++) kv_add(&per, lb[i].situation, strlen(lb[i].situation), 1);
    cr_assert_gt(kv_get(&per, "-") * 2, (long)nl, "ordinary 403s are the majority");
    for (size_t k = 0; k < sizeof sits / sizeof sits[0]; k++)
        cr_assert_gt(kv_get(&per, sits[k]), 0, "situation %s has no 403 line", sits[k]);
    cr_assert_eq(per.n, 1 + sizeof sits / sizeof sits[0], "no other situation name");

    /* roles by distribution number (README): 1 custom page, 2 remap, 3 cookies-off,
     * 4 fast origin, 5 config-newer, 6 default domain */
    long hidden = 0, page_len = -1, copies = 0, cross_file = 0, ws = 0, big = 0, c405 = 0, c202 = 0;
    long fast_api_2xx = 0, newer_301 = 0;
    for (size_t i = 0; i < s.n; i++) {
        const sline *l = &s.v[i];
        const char *st = l->f[8], *rt = l->f[13], *ct = l->f[29], *clen = l->f[30];
        double tt = atof(l->f[18]), ttfb = atof(l->f[27]);
        if (l->dist == 1 && !strcmp(st, "403")) /* WAF custom responses take precedence over error pages */
            cr_assert_str_eq(l->lab->situation, "waf-custom-response",
                             "the remapping distribution logs no other 403");
        if (l->dist == 1 && !strcmp(st, "200") && !strcmp(rt, "Error")) {
            hidden++;
            cr_assert_str_eq(ct, "text/html");
        } else
            cr_assert(strcmp(rt, "Error") || strcmp(st, "200"),
                      "an Error 200 outside the remapping distribution");
        if (!strcmp(st, "101")) {
            ws++;
            cr_assert(!strcmp(l->f[16], "ws") || !strcmp(l->f[16], "wss"));
            cr_assert_str_eq(rt, "Miss");
            cr_assert_geq(tt, 60.0, "a WebSocket connection lasts minutes");
        }
        if (!strcmp(st, "200") && !strcmp(rt, "Miss") && strcmp(clen, "-") && atoll(clen) >= 50ll << 20) {
            big++;
            cr_assert_lt(ttfb, 3.1, "a large download starts like any other");
        }
        if (!strcmp(st, "405") || !strcmp(st, "202")) {
            const char *w = waf_record(waf.p, l->f[14]);
            cr_assert_not_null(w, "%s answer without a WAF record", st);
            cr_assert(!strncmp(strstr(w, "\"action\":"),
                               !strcmp(st, "405") ? "\"action\":\"CAPTCHA\"" : "\"action\":\"CHALLENGE\"",
                               18));
            *(st[2] == '5' ? &c405 : &c202) += 1;
        }
        if (l->dist == 3 && !strncmp(l->f[7], "/api/", 5) && st[0] == '2' && !strcmp(rt, "Miss")) {
            fast_api_2xx++;
            cr_assert_geq(ttfb, 0.120, "fast-origin: the API's 2xx take 120 ms or more");
        }
        if (l->dist == 4 && !strcmp(st, "301") && !strcmp(l->f[16], "http") && secs_of(l) < 12 * 3600 &&
            strstr(l->f[7], "/") &&
            (!strncmp(l->f[7], "/secure/", 8) || !strncmp(l->f[7], "/account/", 9) ||
             !strncmp(l->f[7], "/checkout/", 10)))
            newer_301++;
        if (!l->lab) continue;
        const char *cause = l->lab->cause;
        if (l->dist == 0 && strcmp(l->lab->situation, "waf-custom-response")) {
            /* one custom page for every 403, whatever the cause */
            cr_assert_str_eq(ct, "text/html");
            if (page_len < 0) page_len = atol(clen);
            cr_assert_eq(atol(clen), page_len, "custom page length");
            cr_assert_str_neq(l->lab->situation, "-",
                              "every 403 of the custom-page distribution is in a situation");
        }
        if (is_sit(l, "waf-http")) {
            cr_assert_str_eq(cause, "waf_block");
            cr_assert_str_eq(l->f[16], "http");
            cr_assert_str_eq(l->f[5], "GET");
            const char *w = waf_record(waf.p, l->f[14]);
            cr_assert(w && strstr(w, "\"action\":\"BLOCK\""));
        } else if (is_sit(l, "waf-custom-response")) {
            cr_assert_str_eq(cause, "waf_block");
            cr_assert_str_eq(ct, "application/json");
            cr_assert_str_eq(clen, "38");
            const char *w = waf_record(waf.p, l->f[14]);
            cr_assert(w && strstr(w, "\"action\":\"BLOCK\""));
            cr_assert(strstr(w, "\"responseCodeSent\":403") < strchr(w, '\n'),
                      "custom response code in the record");
        } else if (is_sit(l, "captcha")) {
            cr_assert_str_eq(cause, "origin_custom");
            const char *w = waf_record(waf.p, l->f[14]);
            cr_assert(w && !strncmp(strstr(w, "\"action\":"), "\"action\":\"CAPTCHA\"", 18),
                      "a CAPTCHA record for a 403");
        } else if (is_sit(l, "empty-key-pair-id")) {
            cr_assert_str_eq(cause, "signed_url_missing");
            const char *q = l->f[11], *k = strstr(q, "Key-Pair-Id=");
            cr_assert(strstr(q, "Signature="));
            cr_assert(!k || k[12] == 0 || k[12] == '&', "Key-Pair-Id not empty: %s", q);
            if (l->dist != 0) cr_assert_str_eq(ct, "text/xml"); /* MissingKey, unless the custom page */
        } else if (is_sit(l, "edge-function")) {
            cr_assert_str_eq(cause, "edge_function");
            cr_assert(!strcmp(rt, "FunctionGeneratedResponse") || !strcmp(rt, "LambdaGeneratedResponse"),
                      "%s", rt);
        } else if (is_sit(l, "cookies-off")) {
            cr_assert_eq(l->dist, 2);
            cr_assert(!strcmp(cause, "signed_url_expired") || !strcmp(cause, "signed_url_invalid"));
            cr_assert_str_eq(l->f[12], "-", "cookies are not logged");
            cr_assert_null(strstr(l->f[11], "Signature="), "signed with cookies, not the query");
        } else if (is_sit(l, "fast-origin")) {
            cr_assert_eq(l->dist, 3);
            cr_assert_str_eq(cause, "origin_custom");
            cr_assert(ttfb >= 0.020 && ttfb <= 0.040, "fast origin TTFB %s", l->f[27]);
        } else if (is_sit(l, "default-domain")) {
            cr_assert_eq(l->dist, 5);
            cr_assert_str_eq(l->f[15], l->f[6], "the distribution's own name");
        } else if (is_sit(l, "config-newer")) {
            cr_assert_eq(l->dist, 4);
            cr_assert_lt(secs_of(l), 12 * 3600, "config-newer lines predate the config");
        } else if (is_sit(l, "cached-origin") && tt <= 0.002) {
            /* a copy: its origin 403 is 1-10 s earlier, same URI, edge, type and length */
            copies++;
            cr_assert_str_eq(rt, "Error");
            cr_assert(ttfb <= 0.002);
            const sline *origin = NULL;
            for (size_t k = 0; k < s.n && !origin; k++) {
                const sline *o = &s.v[k];
                if (is_sit(o, "cached-origin") && atof(o->f[18]) > 0.015 && o->dist == l->dist &&
                    !strcmp(o->f[7], l->f[7]) && !strcmp(o->f[2], l->f[2]) && secs_of(l) - secs_of(o) >= 1 &&
                    secs_of(l) - secs_of(o) <= 10)
                    origin = o;
            }
            cr_assert_not_null(origin, "cached copy %s without its origin 403", l->f[14]);
            cr_assert_str_eq(origin->f[29], ct);
            cr_assert_str_eq(origin->f[30], clen);
            cross_file += origin->file != l->file;
        }
        if (l->dist == 4 && !strcmp(cause, "https_required") &&
            (!strncmp(l->f[7], "/secure/", 8) || !strncmp(l->f[7], "/account/", 9) ||
             !strncmp(l->f[7], "/checkout/", 10)))
            cr_assert_geq(secs_of(l), 12 * 3600, "https-only only from the config's noon");
    }
    cr_assert_gt(hidden, 0);
    char ep[4096];
    snprintf(ep, sizeof ep, "%s/expected.json", dir);
    char *js = slurp(ep);
    char key[64];
    snprintf(key, sizeof key, "\"%s\": %ld", s.ids[1], hidden);
    cr_assert_not_null(strstr(strstr(js, "\"hidden_403\""), key), "expected.json hidden_403 of %s is %ld",
                       s.ids[1], hidden);
    cr_assert(copies > 0 && cross_file > 0, "cached copies %ld, in another file than their origin 403 %ld",
              copies, cross_file);
    cr_assert(ws > 0 && big > 0 && c405 > 0 && c202 > 0 && fast_api_2xx > 0 && newer_301 > 0,
              "ws %ld, large downloads %ld, 405 %ld, 202 %ld, fast-origin API 2xx %ld, 301 before noon %ld",
              ws, big, c405, c202, fast_api_2xx, newer_301);

    /* the configs say what the lines show */
    for (int d = 0; d < 6; d++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/config/%s.json", dir, s.ids[d]);
        char *cfg = slurp(path);
        cr_assert_eq(strstr(cfg, "\"ResponsePagePath\": \"/errors/403.html\"") != NULL, d == 0);
        cr_assert_eq(strstr(cfg, "\"ResponsePagePath\": \"/index.html\"") != NULL, d == 1);
        if (d == 1) cr_assert_not_null(strstr(cfg, "\"ResponseCode\": \"200\""));
        if (d == 2) cr_assert_not_null(strstr(cfg, "\"IncludeCookies\": false"));
        cr_assert_eq(strstr(cfg, "\"LastModifiedTime\": \"2026-11-01T12:00:00") != NULL, d == 4);
        cr_assert_eq(strstr(cfg, "\"Distribution\":") == NULL, d == 5, "get-distribution-config shape");
        cr_assert_not_null(strstr(cfg, "\"FunctionARN\""));
        cr_assert_not_null(strstr(cfg, "\"LambdaFunctionARN\""));
        free(cfg);
    }
    free(js);
    free(lb);
    free(per.v);
    for (int i = 0; i < s.nfiles; i++) free(s.texts[i]);
    free(s.v);
    free(wraw.p);
    free(waf.p);
    tally_free(&t);
    rm_tree(dir);
}
