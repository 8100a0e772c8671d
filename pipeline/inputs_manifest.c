/* The input manifest (inputs.cfm), the shard hash and the compact lookup set: see
 * inputs_manifest.h.  All work here is per input (a stat's worth of data and at most
 * 128 KiB read for the fingerprint), never per log line. */
#include "pipeline/inputs_manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <xxhash.h>

#include "pipeline/s3.h"
#include "pipeline/source.h"

#define FP_PART (64u * 1024u)
#define MF_MAGIC "cfscan-inputs\t1"

uint64_t cfs_mf_path_hash(const char *rel)
{
    /* A fixed algorithm and seed: shards and manifests outlive the binary that made them. */
    return XXH3_64bits(rel, strlen(rel));
}

uint32_t cfs_mf_shard_of(const char *rel, uint32_t n)
{
    return n ? (uint32_t)(cfs_mf_path_hash(rel) % n) : 0;
}

uint64_t cfs_mf_ident(uint64_t size, uint64_t fp)
{
    uint64_t v[2] = {size, fp};
    return XXH3_64bits(v, sizeof v);
}

static int read_full(int fd, unsigned char *buf, size_t n, off_t at)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, at + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

cfs_status cfs_mf_fingerprint(const char *path, uint64_t size, uint64_t *fp, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot read it for its fingerprint: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    unsigned char *buf = malloc(2 * FP_PART);
    if (!buf) {
        close(fd);
        snprintf(err, errlen, "%s: out of memory", path);
        return CFS_E_NOMEM;
    }
    /* first 64 KiB, then the last 64 KiB (whatever of them does not overlap the first) */
    size_t head = size < FP_PART ? (size_t)size : FP_PART;
    size_t tail = size > FP_PART ? (size_t)(size - FP_PART < FP_PART ? size - FP_PART : FP_PART) : 0;
    int bad = read_full(fd, buf, head, 0) != 0 ||
              (tail && read_full(fd, buf + head, tail, (off_t)(size - tail)) != 0);
    int saved = errno;
    close(fd);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read it for its fingerprint: %s", path,
                 saved ? strerror(saved) : "shorter than its size");
        return CFS_E_IO;
    }
    *fp = XXH3_64bits(buf, head + tail);
    free(buf);
    return CFS_OK;
}

uint64_t cfs_mf_fingerprint_etag(const char *etag) { return XXH3_64bits(etag, strlen(etag)); }

const char *cfs_mf_relpath(const char *path, const char *const *roots, size_t n)
{
    if (cfs_s3_is_url(path)) return path;
    size_t best = 0;
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(roots[i]);
        while (l > 1 && roots[i][l - 1] == '/') l--;
        if (!strcmp(path, roots[i])) { /* a file named directly: its base name */
            const char *b = strrchr(path, '/');
            return b ? b + 1 : path;
        }
        if (l <= strlen(path) && !strncmp(path, roots[i], l) && (path[l] == '/' || roots[i][l - 1] == '/') &&
            (!found || l > best)) {
            best = l;
            found = 1;
        }
    }
    if (!found) return path;
    const char *r = path + best;
    while (*r == '/') r++;
    return r;
}

/* ---- shard coverage ---------------------------------------------------------------------------- */
typedef struct root_name {
    const char *p;
    size_t n;
} root_name;

static int root_name_cmp(const void *a, const void *b)
{
    const root_name *x = a, *y = b;
    const int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The working directory as the shell names it: $PWD when it is "." (the path the user
 * went through, symbolic links and all, as a named path counts), else getcwd's.  Malloc'd,
 * or NULL. */
static char *logical_cwd(void)
{
    const char *pwd = getenv("PWD");
    struct stat a, b;
    if (pwd && pwd[0] == '/' && stat(pwd, &a) == 0 && stat(".", &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return strdup(pwd);
    return getcwd(NULL, 0);
}

/* path made absolute from the logical working directory, its "." and ".." components
 * resolved as names (not through the file system, as a shell's cd does).  Malloc'd, or
 * NULL. */
static char *logical_path(const char *path)
{
    char *cwd = path[0] == '/' ? strdup("") : logical_cwd();
    if (!cwd) return NULL;
    const size_t cl = strlen(cwd), pl = strlen(path);
    char *out = malloc(cl + pl + 3);
    if (!out) {
        free(cwd);
        return NULL;
    }
    memcpy(out, cwd, cl);
    size_t o = cl;
    free(cwd);
    for (const char *p = path; *p;) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        const size_t k = (size_t)(e - p);
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            while (o > 0 && out[o - 1] != '/') o--; /* drop the last component */
            if (o > 0) o--;
        } else if (k && !(k == 1 && p[0] == '.')) {
            out[o++] = '/';
            memcpy(out + o, p, k);
            o += k;
        }
        p = e;
    }
    if (!o) out[o++] = '/';
    out[o] = 0;
    return out;
}

/* What a root counts by in a scan's identity: an S3 URL whole, as given (a prefix with and
 * without its trailing slash lists other keys), a local path its last component, trailing
 * slashes dropped ("/" stays "/"), and "." or ".." the name of the directory they are, as
 * the shell names it (resolved into *owned, which the caller frees). */
static root_name root_name_of(const char *path, char **owned)
{
    size_t n = strlen(path);
    if (cfs_s3_is_url(path)) return (root_name){path, n};
    while (n > 1 && path[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && path[s - 1] != '/') s--;
    const root_name last = s == n ? (root_name){path, n} : (root_name){path + s, n - s};
    const int dots = (last.n == 1 && last.p[0] == '.') ||
                     (last.n == 2 && last.p[0] == '.' && last.p[1] == '.');
    if (dots && !*owned && (*owned = logical_path(path)) != NULL) return root_name_of(*owned, owned);
    return last;
}

static void label_add(char *label, size_t *o, const char *p, size_t n)
{
    if (*o + n + 4 >= CFS_MF_LABEL) {
        if (*o + 4 < CFS_MF_LABEL) *o += (size_t)snprintf(label + *o, CFS_MF_LABEL - *o, "...");
        *o = CFS_MF_LABEL; /* full: nothing more */
        return;
    }
    memcpy(label + *o, p, n);
    *o += n;
    label[*o] = 0;
}

void cfs_mf_scan_of(const char *const *roots, size_t nroots, const char *const *names,
                    const char *const *values, size_t nsel, uint64_t *scan, char label[CFS_MF_LABEL])
{
    root_name *rn = calloc(nroots ? nroots : 1, sizeof *rn);
    char **real = calloc(nroots ? nroots : 1, sizeof *real); /* where "." resolves */
    XXH3_state_t *h = XXH3_createState();
    label[0] = 0;
    *scan = 0;
    if (rn && real && h) {
        XXH3_64bits_reset(h);
        for (size_t i = 0; i < nroots; i++) rn[i] = root_name_of(roots[i], &real[i]);
        qsort(rn, nroots, sizeof *rn, root_name_cmp);
        size_t o = 0;
        for (size_t i = 0; i < nroots; i++) {
            XXH3_64bits_update(h, rn[i].p, rn[i].n);
            XXH3_64bits_update(h, "", 1);
            if (i) label_add(label, &o, " ", 1);
            label_add(label, &o, rn[i].p, rn[i].n);
        }
        XXH3_64bits_update(h, "\1", 1);
        for (size_t i = 0; i < nsel; i++) {
            XXH3_64bits_update(h, names[i], strlen(names[i]) + 1);
            XXH3_64bits_update(h, values[i], strlen(values[i]) + 1);
            label_add(label, &o, o ? " --" : "--", o ? 3 : 2);
            label_add(label, &o, names[i], strlen(names[i]));
            label_add(label, &o, " ", 1);
            label_add(label, &o, values[i], strlen(values[i]));
        }
        /* 0 is the scan of manifests written before scans were recorded */
        *scan = XXH3_64bits_digest(h) | 1;
    }
    XXH3_freeState(h);
    for (size_t i = 0; real && i < nroots; i++) free(real[i]);
    free(real);
    free(rn);
}

static cfs_status shards_set_n(cfs_mf_shards *s, uint32_t n, char *err, size_t errlen)
{
    if (s->n == n) return CFS_OK;
    if (s->n) {
        snprintf(err, errlen, "shards of different counts (%" PRIu32 " and %" PRIu32 ") cannot be combined",
                 s->n, n);
        return CFS_E_USAGE;
    }
    s->have = calloc(n, 1);
    if (!s->have) {
        snprintf(err, errlen, "out of memory");
        return CFS_E_NOMEM;
    }
    s->n = n;
    return CFS_OK;
}

void cfs_mf_shards_str(const cfs_mf_shards *s, int covered, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        if ((s->have[i] != 0) != (covered != 0)) continue;
        uint32_t j = i;
        while (j + 1 < s->n && (s->have[j + 1] != 0) == (covered != 0)) j++;
        char part[32];
        if (j > i) snprintf(part, sizeof part, "%s%" PRIu32 "-%" PRIu32, o ? "," : "", i, j);
        else snprintf(part, sizeof part, "%s%" PRIu32, o ? "," : "", i);
        if (o + strlen(part) + 4 >= len) {
            snprintf(buf + o, len - o, "...");
            return;
        }
        o += (size_t)snprintf(buf + o, len - o, "%s", part);
        i = j;
    }
}

/* The escaped text at p (put_escaped's \\ \t \n \r) into out, cut to cap - 1 bytes;
 * -1 on a bad escape. */
static int unescape_label(const char *p, char *out, size_t cap)
{
    size_t o = 0;
    for (; *p; p++) {
        char c = *p;
        if (c == '\t' || c == '\n' || c == '\r') return -1; /* written escaped */
        if (c == '\\') {
            p++;
            c = *p == '\\' ? '\\' : *p == 't' ? '\t' : *p == 'n' ? '\n' : *p == 'r' ? '\r' : 0;
            if (!c) return -1;
        }
        if (o + 1 < cap) out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

/* 16 lowercase or uppercase hex digits at p into *v; -1 otherwise (strtoull would take
 * blanks, a sign or "0x"). */
static int hex16(const char *p, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 16; i++) {
        const char c = p[i];
        const int d = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (d < 0) return -1;
        x = x << 4 | (uint64_t)d;
    }
    *v = x;
    return 0;
}

/* "N\tRANGES[\tSCAN\tLABEL[\t+]]" after "shards\t" into s (SCAN 16 hex digits; "+": the
 * summary holds whole scans beside these shards; manifests written before scans were
 * recorded end after RANGES); -1 when malformed. */
static int shards_parse(cfs_mf_shards *s, const char *p)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(p, &end, 10);
    if (errno || end == p || n > CFS_MF_MAX_SHARDS || *end != '\t') return -1;
    p = end + 1;
    const char *tab = strchr(p, '\t');
    if (tab) {
        if (hex16(tab + 1, &s->scan) != 0 || tab[17] != '\t') return -1;
        char label[4 * CFS_MF_LABEL];
        const char *lab = tab + 18, *more = strchr(lab, '\t');
        const size_t ln = more ? (size_t)(more - lab) : strlen(lab);
        if (ln >= sizeof label) return -1;
        memcpy(label, lab, ln);
        label[ln] = 0;
        if (unescape_label(label, s->label, sizeof s->label) != 0) return -1;
        if (more && strcmp(more + 1, "+") != 0) return -1;
        s->with_other = more != NULL;
    }
    const char *ranges_end = tab ? tab : p + strlen(p);
    if (n == 0) return ranges_end - p == 1 && *p == '-' ? 0 : -1;
    char e[64];
    if (shards_set_n(s, (uint32_t)n, e, sizeof e) != CFS_OK) return -1;
    if (ranges_end - p == 1 && *p == '-') return 0; /* none covered */
    for (;;) {
        unsigned long a = strtoul(p, &end, 10), b = a;
        if (end == p) return -1;
        if (*end == '-') {
            p = end + 1;
            b = strtoul(p, &end, 10);
            if (end == p) return -1;
        }
        if (a > b || b >= n) return -1;
        for (unsigned long i = a; i <= b; i++) s->have[i] = 1;
        if (end == ranges_end) return 0;
        if (*end != ',') return -1;
        p = end + 1;
    }
}

/* ---- writing ---------------------------------------------------------------------------------- */
void cfs_mf_writer_init(cfs_mf_writer *w) { memset(w, 0, sizeof *w); }

static cfs_status writer_file(cfs_mf_writer *w, char *err, size_t errlen)
{
    if (w->tmp) return CFS_OK;
    char why[256];
    w->tmp = cfs_temp_file("inputs", "the input manifest", why, sizeof why);
    if (!w->tmp) {
        snprintf(err, errlen, "%s", why);
        return CFS_E_IO;
    }
    return CFS_OK;
}

cfs_status cfs_mf_writer_shard(cfs_mf_writer *w, uint32_t i, uint32_t n, uint64_t scan, const char *label,
                               char *err, size_t errlen)
{
    if (n == 0 || n > CFS_MF_MAX_SHARDS || i >= n) {
        snprintf(err, errlen, "bad shard %" PRIu32 "/%" PRIu32, i, n);
        return CFS_E_USAGE;
    }
    CFS_FORWARD_IF_ERROR(shards_set_n(&w->shards, n, err, errlen));
    w->shards.have[i] = 1;
    w->shards.scan = scan;
    snprintf(w->shards.label, sizeof w->shards.label, "%s", label);
    w->parts++;
    return CFS_OK;
}

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') fputs("\\\\", f);
        else if (*s == '\t') fputs("\\t", f);
        else if (*s == '\n') fputs("\\n", f);
        else if (*s == '\r') fputs("\\r", f);
        else fputc(*s, f);
    }
}

cfs_status cfs_mf_writer_add(cfs_mf_writer *w, const char *rel, uint64_t size, int64_t mtime, uint64_t fp,
                             char *err, size_t errlen)
{
    CFS_FORWARD_IF_ERROR(writer_file(w, err, errlen));
    fprintf(w->tmp, "%" PRIu64 "\t%" PRId64 "\t%016" PRIx64 "\t", size, mtime, fp);
    put_escaped(w->tmp, rel);
    fputc('\n', w->tmp);
    w->count++;
    if (ferror(w->tmp)) {
        snprintf(err, errlen, "writing the input manifest's temporary file failed: %s",
                 strerror(errno ? errno : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

/* Whether s holds every one of its shards. */
static int shards_complete(const cfs_mf_shards *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (!s->have[i]) return 0;
    return s->n > 0;
}

/* d's late window widened to hold [since, until) (CFS_NO_TIME: open). */
static void late_add(cfs_mf_selection *d, int64_t since, int64_t until)
{
    if (!d->late) {
        d->late = 1;
        d->late_since = since;
        d->late_until = until;
        return;
    }
    if (since == CFS_NO_TIME || (d->late_since != CFS_NO_TIME && since < d->late_since))
        d->late_since = since;
    if (until == CFS_NO_TIME || (d->late_until != CFS_NO_TIME && until > d->late_until))
        d->late_until = until;
}

/* The selection of parts merged: theirs when they share one, else several (id 0). */
static void sel_merge(cfs_mf_selection *d, const cfs_mf_selection *s)
{
    if (!s->known) return;
    if (!d->known) {
        *d = *s;
        return;
    }
    if (d->id != s->id) {
        d->id = 0;
        snprintf(d->label, sizeof d->label, "%s", "several windows or filters");
    }
    d->excluded |= s->excluded;
    if (s->late) late_add(d, s->late_since, s->late_until);
}

int cfs_mf_selection_allows(const cfs_mf_selection *s, uint64_t id, int64_t since, int64_t until)
{
    if (!s->known || s->id == id) return 1;
    if (s->excluded) return 0;
    if (!s->late) return 1;
    /* a window that ends by the late window's start, or starts at its end or after, opens
     * none of the files named by its hours */
    return (since != CFS_NO_TIME && s->late_until != CFS_NO_TIME && since >= s->late_until) ||
           (until != CFS_NO_TIME && s->late_since != CFS_NO_TIME && until <= s->late_since);
}

void cfs_mf_writer_selection(cfs_mf_writer *w, uint64_t id, int excluded, int late, int64_t since,
                             int64_t until, const char *label)
{
    cfs_mf_selection *d = &w->sel;
    if (!d->known || d->id != id) {
        /* what the summary left out allows this run (cfscan.c refuses it otherwise): the
         * selection is this run's from now on, and what it leaves out is added */
        d->known = 1;
        d->id = id;
        d->excluded = 0;
        snprintf(d->label, sizeof d->label, "%s", label);
    }
    d->excluded |= excluded != 0;
    if (late) late_add(d, since, until);
}

cfs_status cfs_mf_writer_append_file(cfs_mf_writer *w, const char *path, char *err, size_t errlen)
{
    cfs_mf_reader r;
    CFS_FORWARD_IF_ERROR(cfs_mf_open(&r, path, err, errlen));
    cfs_status st = CFS_OK;
    /* A part that holds every shard of its scan (a day merged from its shards) covers what
     * an unsharded scan does, so beside parts of other scans it stands for an unsharded one
     * (days merge into a month, recording no shards), and with parts of its own scan its
     * shards stay on record through a tree of merges.  Parts that hold some of their
     * shards must all be of one scan, whatever the order they come in: the coverage then
     * recorded is theirs, and says what is missing. */
    const cfs_mf_shards *p = &r.shards;
    cfs_mf_shards *have = &w->shards;
    const int same = have->n && p->n == have->n && p->scan == have->scan;
    if (p->with_other) w->any_other = 1; /* the whole scans it holds besides */
    if (!p->n) {
        w->any_other = 1;
    } else if (same || !have->n || (shards_complete(have) && !shards_complete(p))) {
        if (!same && have->n) {
            /* the complete set held so far stands for a whole scan of its own */
            w->any_other = 1;
            free(have->have);
            have->have = NULL;
            have->n = 0;
        }
        st = shards_set_n(have, p->n, err, errlen);
        for (uint32_t i = 0; st == CFS_OK && i < p->n; i++)
            if (p->have[i]) have->have[i] = 1;
        have->scan = p->scan;
        memcpy(have->label, p->label, sizeof have->label);
    } else if (shards_complete(p)) {
        w->any_other = 1;
    } else if (p->n != have->n) {
        snprintf(err, errlen, "shards of different counts (%" PRIu32 " and %" PRIu32 ") cannot be combined",
                 have->n, p->n);
        st = CFS_E_USAGE;
    } else {
        snprintf(err, errlen,
                 "shards of two scans cannot be combined (%s and %s): merge each scan's shards on "
                 "their own first",
                 have->label[0] ? have->label : "a scan recorded before scans were named",
                 p->label[0] ? p->label : "a scan recorded before scans were named");
        st = CFS_E_USAGE;
    }
    sel_merge(&w->sel, &r.sel);
    w->parts++;
    cfs_mf_entry e;
    int rc = 0;
    while (st == CFS_OK && (rc = cfs_mf_next(&r, &e, err, errlen)) > 0)
        st = cfs_mf_writer_add(w, e.rel, e.size, e.mtime, e.fp, err, errlen);
    if (st == CFS_OK && rc < 0) st = CFS_E_FORMAT;
    cfs_mf_close(&r);
    return st;
}

cfs_status cfs_mf_writer_save(cfs_mf_writer *w, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    fputs(MF_MAGIC "\n", f);
    /* The shards of one scan, unless they are all there beside other parts: the result
     * then covers whole scans only, as an unsharded one does. */
    if (w->shards.n && !(w->any_other && shards_complete(&w->shards))) {
        char *ranges = malloc((size_t)w->shards.n * 16 + 8);
        if (!ranges) {
            fclose(f);
            snprintf(err, errlen, "out of memory");
            return CFS_E_NOMEM;
        }
        cfs_mf_shards_str(&w->shards, 1, ranges, (size_t)w->shards.n * 16 + 8);
        fprintf(f, "shards\t%" PRIu32 "\t%s\t%016" PRIx64 "\t", w->shards.n, ranges[0] ? ranges : "-",
                w->shards.scan);
        put_escaped(f, w->shards.label);
        fputs(w->any_other ? "\t+\n" : "\n", f);
        free(ranges);
    } else {
        fputs("shards\t0\t-\n", f);
    }
    if (w->sel.known) {
        /* what was left out: 0 nothing, 1 lines another selection could count, or
         * "late:SINCE:UNTIL" (epoch seconds, '-' open) */
        fprintf(f, "selection\t%016" PRIx64 "\t", w->sel.id);
        if (w->sel.excluded || !w->sel.late) {
            fputc(w->sel.excluded ? '1' : '0', f);
        } else {
            fputs("late:", f);
            if (w->sel.late_since == CFS_NO_TIME) fputc('-', f);
            else fprintf(f, "%" PRId64, w->sel.late_since);
            fputc(':', f);
            if (w->sel.late_until == CFS_NO_TIME) fputc('-', f);
            else fprintf(f, "%" PRId64, w->sel.late_until);
        }
        fputc('\t', f);
        put_escaped(f, w->sel.label);
        fputc('\n', f);
    }
    int bad = 0;
    if (w->tmp) {
        char buf[65536];
        size_t n;
        if (fflush(w->tmp) != 0 || fseek(w->tmp, 0, SEEK_SET) != 0) bad = 1;
        while (!bad && (n = fread(buf, 1, sizeof buf, w->tmp)) > 0)
            if (fwrite(buf, 1, n, f) != n) bad = 1;
        if (ferror(w->tmp)) bad = 1;
        fseek(w->tmp, 0, SEEK_END); /* more entries may follow */
    }
    int saved = errno;
    if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) bad = 1;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(saved ? saved : errno ? errno : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

void cfs_mf_writer_free(cfs_mf_writer *w)
{
    if (w->tmp) fclose(w->tmp);
    free(w->shards.have);
    memset(w, 0, sizeof *w);
}

/* ---- reading ---------------------------------------------------------------------------------- */
static ssize_t read_line(cfs_mf_reader *r)
{
    ssize_t n = getline(&r->line, &r->cap, r->f);
    if (n > 0 && r->line[n - 1] == '\n') r->line[--n] = 0;
    if (n >= 0) r->lineno++;
    return n;
}

/* One end of a late window at *p ('-' or an epoch second) into *t; -1 when malformed. */
static int late_end_parse(const char **p, int64_t *t)
{
    if (**p == '-') {
        *t = CFS_NO_TIME;
        (*p)++;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(*p, &end, 10);
    if (errno || end == *p || **p < '0' || **p > '9') return -1;
    *t = (int64_t)v;
    *p = end;
    return 0;
}

/* The selection's LEFT field at p ("0", "1" or "late:SINCE:UNTIL") into s; *end past it. */
static int sel_left_parse(cfs_mf_selection *s, const char *p, const char **end)
{
    s->excluded = s->late = 0;
    if (*p == '0' || *p == '1') {
        s->excluded = *p == '1';
        *end = p + 1;
        return 0;
    }
    if (strncmp(p, "late:", 5) != 0) return -1;
    p += 5;
    if (late_end_parse(&p, &s->late_since) != 0 || *p++ != ':' || late_end_parse(&p, &s->late_until) != 0)
        return -1;
    if (s->late_since != CFS_NO_TIME && s->late_until != CFS_NO_TIME && s->late_since >= s->late_until)
        return -1;
    s->late = 1;
    *end = p;
    return 0;
}

cfs_status cfs_mf_open(cfs_mf_reader *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    char why[256];
    int fd = cfs_open_regular(path, why, sizeof why);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return CFS_E_IO;
    }
    r->f = fdopen(fd, "rb");
    if (!r->f) {
        close(fd);
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    if (read_line(r) < 0 || strcmp(r->line, MF_MAGIC) != 0) {
        snprintf(err, errlen, "%s: not a cfscan input manifest", path);
        cfs_mf_close(r);
        return CFS_E_FORMAT;
    }
    if (read_line(r) < 0 || strncmp(r->line, "shards\t", 7) != 0 ||
        shards_parse(&r->shards, r->line + 7) != 0) {
        snprintf(err, errlen, "%s: line 2: bad shard record", path);
        cfs_mf_close(r);
        return CFS_E_FORMAT;
    }
    /* "selection\tID\tEXCLUDED\tLABEL", absent from manifests written before it: an entry
     * starts with its size, so the line is then the first entry */
    if (read_line(r) >= 0) {
        if (strncmp(r->line, "selection\t", 10) != 0) {
            r->pending = 1;
            return CFS_OK;
        }
        const char *p = r->line + 10;
        if (hex16(p, &r->sel.id) != 0 || p[16] != '\t' || sel_left_parse(&r->sel, p + 17, &p) != 0 ||
            *p != '\t' || unescape_label(p + 1, r->sel.label, sizeof r->sel.label) != 0) {
            snprintf(err, errlen, "%s: line 3: bad selection record", path);
            cfs_mf_close(r);
            return CFS_E_FORMAT;
        }
        r->sel.known = 1;
    } else if (ferror(r->f)) {
        snprintf(err, errlen, "%s: read failed: %s", path, strerror(errno ? errno : EIO));
        cfs_mf_close(r);
        return CFS_E_IO;
    }
    return CFS_OK;
}

int cfs_mf_next(cfs_mf_reader *r, cfs_mf_entry *e, char *err, size_t errlen)
{
    ssize_t n = r->pending ? (ssize_t)strlen(r->line) : read_line(r);
    r->pending = 0;
    if (n < 0) {
        if (ferror(r->f)) {
            snprintf(err, errlen, "%s: read failed: %s", r->path, strerror(errno ? errno : EIO));
            return -1;
        }
        return 0;
    }
    char *p = r->line, *end;
    errno = 0;
    e->size = strtoull(p, &end, 10);
    if (end == p || *end != '\t') goto bad;
    p = end + 1;
    e->mtime = strtoll(p, &end, 10);
    if (end == p || *end != '\t') goto bad;
    p = end + 1;
    e->fp = strtoull(p, &end, 16);
    if (end != p + 16 || *end != '\t' || errno) goto bad;
    p = end + 1;
    if (!*p) goto bad;
    size_t need = strlen(p) + 1;
    if (need > r->relcap) {
        char *nr = realloc(r->rel, need);
        if (!nr) {
            snprintf(err, errlen, "%s: out of memory", r->path);
            return -1;
        }
        r->rel = nr;
        r->relcap = need;
    }
    char *o = r->rel;
    for (; *p; p++) {
        if (*p != '\\') {
            *o++ = *p;
            continue;
        }
        p++;
        if (*p == '\\') *o++ = '\\';
        else if (*p == 't') *o++ = '\t';
        else if (*p == 'n') *o++ = '\n';
        else if (*p == 'r') *o++ = '\r';
        else goto bad;
    }
    *o = 0;
    e->rel = r->rel;
    return 1;
bad:
    snprintf(err, errlen, "%s: line %" PRIu64 ": not an input entry (size, mtime, fingerprint, path)",
             r->path, r->lineno);
    return -1;
}

void cfs_mf_close(cfs_mf_reader *r)
{
    if (r->f) fclose(r->f);
    free(r->line);
    free(r->rel);
    free(r->shards.have);
    memset(r, 0, sizeof *r);
}

/* ---- the lookup set --------------------------------------------------------------------------- */
typedef struct kv {
    uint64_t k, v;
} kv;

static int cmp_kv(const void *a, const void *b)
{
    const kv *x = a, *y = b;
    if (x->k != y->k) return x->k < y->k ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

cfs_status cfs_mf_set_load(cfs_mf_set *s, const char *path, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    cfs_mf_reader r;
    CFS_FORWARD_IF_ERROR(cfs_mf_open(&r, path, err, errlen));
    /* The pairs are read into one array, sorted, then split in place into the two
     * arrays (16 bytes per entry throughout; paths are never kept). */
    kv *v = NULL;
    size_t n = 0, cap = 0;
    cfs_mf_entry e;
    int rc;
    cfs_status st = CFS_OK;
    while ((rc = cfs_mf_next(&r, &e, err, errlen)) > 0) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            kv *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                snprintf(err, errlen, "%s: out of memory", path);
                st = CFS_E_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        v[n].k = cfs_mf_path_hash(e.rel);
        v[n].v = cfs_mf_ident(e.size, e.fp);
        n++;
    }
    if (st == CFS_OK && rc < 0) st = CFS_E_FORMAT;
    s->shards = r.shards;
    s->sel = r.sel;
    r.shards.have = NULL;
    r.shards.n = 0;
    cfs_mf_close(&r);
    if (st != CFS_OK) {
        free(v);
        free(s->shards.have);
        memset(s, 0, sizeof *s);
        return st;
    }
    if (n > 1) qsort(v, n, sizeof *v, cmp_kv);
    /* A file named twice on one command line is one input to the set (that scan's own
     * double count is not another summary's overlap). */
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || v[i].k != v[u - 1].k || v[i].v != v[u - 1].v) v[u++] = v[i];
    n = u;
    s->key = malloc((n ? n : 1) * sizeof *s->key);
    s->ident = malloc((n ? n : 1) * sizeof *s->ident);
    if (!s->key || !s->ident) {
        free(v);
        cfs_mf_set_free(s);
        snprintf(err, errlen, "%s: out of memory", path);
        return CFS_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        s->key[i] = v[i].k;
        s->ident[i] = v[i].v;
    }
    free(v);
    s->n = n;
    return CFS_OK;
}

long cfs_mf_set_find(const cfs_mf_set *s, uint64_t key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->key[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->n && s->key[lo] == key ? (long)lo : -1;
}

int cfs_mf_set_holds(const cfs_mf_set *s, uint64_t key, uint64_t ident)
{
    long at = cfs_mf_set_find(s, key); /* the first entry of key: one path may have several */
    for (size_t i = at < 0 ? s->n : (size_t)at; i < s->n && s->key[i] == key; i++)
        if (s->ident[i] == ident) return 1;
    return 0;
}

size_t cfs_mf_set_common(const cfs_mf_set *a, const cfs_mf_set *b)
{
    size_t i = 0, j = 0, c = 0;
    while (i < a->n && j < b->n) {
        if (a->key[i] < b->key[j]) i++;
        else if (a->key[i] > b->key[j]) j++;
        else {
            c++;
            i++;
            j++;
        }
    }
    return c;
}

int cfs_mf_set_subset(const cfs_mf_set *a, const cfs_mf_set *b)
{
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        while (j < b->n && (b->key[j] < a->key[i] || (b->key[j] == a->key[i] && b->ident[j] < a->ident[i])))
            j++;
        if (j == b->n || b->key[j] != a->key[i] || b->ident[j] != a->ident[i]) return 0;
        j++;
    }
    return 1;
}

void cfs_mf_set_free(cfs_mf_set *s)
{
    free(s->key);
    free(s->ident);
    free(s->shards.have);
    memset(s, 0, sizeof *s);
}

/* ---- choosing the inputs of a run ------------------------------------------------------------- */
int cfs_mf_select_owns(void *ctx, const char *path)
{
    const cfs_mf_select *sel = ctx;
    if (!sel->shard_n) return 1;
    return cfs_mf_path_hash(cfs_mf_relpath(path, sel->roots, sel->nroots)) % sel->shard_n == sel->shard_i;
}

int cfs_mf_select_input(void *ctx, const char *path, uint64_t size, const char *etag, char *why,
                        size_t whylen)
{
    cfs_mf_select *sel = ctx;
    const char *rel = cfs_mf_relpath(path, sel->roots, sel->nroots);
    uint64_t key = cfs_mf_path_hash(rel);
    if (sel->shard_n && key % sel->shard_n != sel->shard_i) {
        sel->other_shard++;
        return 0;
    }
    if (!sel->known) return 1;
    long at = cfs_mf_set_find(sel->known, key);
    if (at < 0) return 1; /* new, or delivered late: read it */
    /* The fingerprint is read only for a known path: new files pay nothing here. */
    uint64_t fp;
    if (etag) fp = cfs_mf_fingerprint_etag(etag);
    else if (cfs_mf_fingerprint(path, size, &fp, why, whylen) != CFS_OK) return -1;
    if (cfs_mf_set_holds(sel->known, key, cfs_mf_ident(size, fp))) {
        sel->known_skipped++;
        return 0;
    }
    sel->changed++;
    snprintf(why, whylen,
             "changed since the summary counted it (size or content differs from its entry in " CFS_MF_FILE
             "); not read again, so nothing is counted twice: rescan with --rebuild");
    return -1;
}
