/* Source stage: expand paths into inputs, read CloudFront file names, prune by time.
 * Directory walks use openat/fstatat on directory descriptors and never follow
 * symbolic links to directories, so a link loop cannot make the walk endless. */
#include "pipeline/source.h"
#include "pipeline/s3.h"
#include "pipeline/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels/kernels.h"

/* Out of memory the walk goes on without what it cannot hold: the failure is recorded
 * (xalloc.h) and the scan stops with CFS_E_NOMEM at its next check. */
static void add_error(cfs_inputs *in, const char *path, const char *msg)
{
    if (in->nerr == in->errcap) {
        size_t cap = in->errcap ? in->errcap * 2 : 8;
        void *v = cfs_realloc(in->err, cap * sizeof *in->err, "listing an unusable input");
        if (!v) return;
        in->err = v;
        in->errcap = cap;
    }
    char *p = cfs_strdup(path, "listing an unusable input"),
         *m = p ? cfs_strdup(msg, "listing an unusable input") : NULL;
    if (!m) {
        free(p);
        return;
    }
    in->err[in->nerr].path = p;
    in->err[in->nerr].msg = m;
    in->err[in->nerr].at = in->n;
    in->err[in->nerr].seq = 0;
    in->nerr++;
}

static int digits(const char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return 0;
    return 1;
}

int cfs_parse_log_name(const char *path, char dist[CFS_DIST_MAX], int64_t *hour)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* DISTID: uppercase letters and digits (reference §1.1: "<distribution ID>.YYYY-MM-DD-HH.unique-ID.gz"). */
    size_t k = 0;
    while ((base[k] >= 'A' && base[k] <= 'Z') || (base[k] >= '0' && base[k] <= '9')) k++;
    if (k == 0 || k >= CFS_DIST_MAX || base[k] != '.') return -1;
    const char *d = base + k + 1;
    if (strlen(d) < 14 || !digits(d, 4) || d[4] != '-' || !digits(d + 5, 2) || d[7] != '-' ||
        !digits(d + 8, 2) || d[10] != '-' || !digits(d + 11, 2) || d[13] != '.')
        return -1;
    int64_t t;
    char hh[9] = {d[11], d[12], ':', '0', '0', ':', '0', '0', 0};
    if (cfs_parse_date_time(d, 10, hh, 8, &t) != 0) return -1;
    memcpy(dist, base, k);
    dist[k] = 0;
    *hour = t;
    return 0;
}

/* The zone after a time argument's date or time, z[0..zn): nothing or Z (UTC), or an
 * ISO 8601 / RFC 3339 offset +HH, +HH:MM or +HHMM (or -), optionally after one space as
 * date(1) prints it ("... +0530").  Its offset in seconds east of UTC into *offset: 0,
 * else -1. */
static int parse_zone(const char *z, size_t zn, int64_t *offset)
{
    *offset = 0;
    if (zn && z[0] == ' ') {
        z++;
        zn--;
        if (!zn) return -1;
    }
    if (zn == 0 || (zn == 1 && (z[0] == 'Z' || z[0] == 'z'))) return 0;
    if (z[0] != '+' && z[0] != '-') return -1;
    int oh, om = 0;
    if (zn == 3 && digits(z + 1, 2)) {
        oh = (z[1] - '0') * 10 + (z[2] - '0');
    } else if (zn == 5 && digits(z + 1, 4)) {
        oh = (z[1] - '0') * 10 + (z[2] - '0');
        om = (z[3] - '0') * 10 + (z[4] - '0');
    } else if (zn == 6 && digits(z + 1, 2) && z[3] == ':' && digits(z + 4, 2)) {
        oh = (z[1] - '0') * 10 + (z[2] - '0');
        om = (z[4] - '0') * 10 + (z[5] - '0');
    } else {
        return -1;
    }
    /* Real zones lie within -12:00 .. +14:00; minutes name a quarter-hour at most 59. */
    if (om > 59 || oh * 60 + om > 14 * 60) return -1;
    *offset = (int64_t)(oh * 3600 + om * 60) * (z[0] == '-' ? -1 : 1);
    return 0;
}

/* s in UTC seconds, in CFS_TIME_MIN..last (inclusive), into *out: 0, else -1.  s is
 * @EPOCH, or YYYY-MM-DD, then optionally T (or a space) and HH, HH:MM or HH:MM:SS, then
 * optionally a zone (parse_zone), so a day in a zone is "2026-11-01+05:30". */
static int parse_time(const char *s, int64_t last, int64_t *out)
{
    size_t n = strlen(s);
    if (n > 1 && s[0] == '@') {
        /* Compared as unsigned before any conversion: "@9223372036854775809" must not
         * wrap to a time before 1970. */
        uint64_t v;
        if (cfs_parse_u64(s + 1, n - 1, &v) != 0) return -1;
        if (v < (uint64_t)CFS_TIME_MIN || v > (uint64_t)last) return -1;
        *out = (int64_t)v;
        return 0;
    }
    if (n < 10) return -1;
    char t[9] = "00:00:00";
    const char *z = s + 10; /* the zone, after the date or the time */
    size_t zn = n - 10;
    const int has_time = n > 11 && (s[10] == 'T' || s[10] == 't' || s[10] == ' ') && s[11] >= '0' &&
                         s[11] <= '9';
    if (has_time) {
        const char *r = s + 11;
        size_t rn = n - 11;
        size_t tn = 0;
        while (tn < rn && ((r[tn] >= '0' && r[tn] <= '9') || r[tn] == ':')) tn++;
        if (tn != 2 && tn != 5 && tn != 8) return -1;
        memcpy(t, r, tn);
        z = r + tn;
        zn = rn - tn;
    }
    int64_t offset, v;
    if (parse_zone(z, zn, &offset) != 0) return -1;
    if (cfs_parse_date_time(s, 10, t, 8, &v) != 0) return -1;
    v -= offset;
    if (v < CFS_TIME_MIN || v > last) return -1;
    *out = v;
    return 0;
}

int cfs_parse_time_arg(const char *s, int64_t *out) { return parse_time(s, CFS_TIME_MAX - 1, out); }

int cfs_parse_time_end(const char *s, int64_t *out) { return parse_time(s, CFS_TIME_MAX, out); }

static const char *file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    return "of another kind";
}

int cfs_open_regular(const char *path, char *why, size_t whylen)
{
    /* stat first, so a device or FIFO is never opened at all (opening some devices has
     * effects); then open without blocking and check the opened file itself, which
     * closes the window in which the path could be swapped for a FIFO. */
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file (%s)", file_kind(st.st_mode));
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "not a regular file (%s)", file_kind(st.st_mode));
        close(fd);
        return -1;
    }
    /* O_NONBLOCK means nothing for a regular file; cleared so the descriptor is an
     * ordinary one for fdopen/gzdopen. */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

/* Whether a file named for distribution dist and hour can hold no line of the selection:
 * its hour [hour, hour + 3600) outside [since, until), or another distribution than --dist.
 * The hour is when its requests occurred (reference §1.1), a line's time when one finished
 * (§1.2), so one that occurred before since and finished after it is in a file skipped
 * here (README: the trade-off, which keeps the files of adjacent windows disjoint for
 * merge). */
static int outside_selection(const char *dist, int64_t hour, int64_t since, int64_t until,
                             const char *only_dist)
{
    return (since != CFS_NO_TIME && hour + 3600 <= since) || (until != CFS_NO_TIME && hour >= until) ||
           (only_dist &&
            !cfs_ascii_ieq(dist, strlen(dist), only_dist, strlen(only_dist))); /* as --dist compares lines */
}

/* One input: path (copied), its size, mtime and kind; etag (copied) for an S3 object. */
static void push_entry(cfs_inputs *in, const char *path, uint64_t size, int64_t mtime, int regular,
                       const char *etag)
{
    cfs_input x;
    memset(&x, 0, sizeof x);
    x.name_hour = CFS_NO_TIME;
    /* (a name outside the selection never gets here: skip_by_name) */
    if (cfs_parse_log_name(path, x.dist, &x.name_hour) != 0) {
        x.dist[0] = 0;
        x.name_hour = CFS_NO_TIME;
    }
    x.path = cfs_strdup(path, "listing an input");
    if (!x.path) return;
    if (etag && !(x.etag = cfs_strdup(etag, "listing an input"))) {
        free(x.path);
        return;
    }
    x.regular = regular;
    x.size = size;
    x.mtime = mtime;
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        cfs_input *v = cfs_realloc(in->v, cap * sizeof *in->v, "listing an input");
        if (!v) {
            free(x.path);
            free(x.etag);
            return;
        }
        in->v = v;
        in->cap = cap;
    }
    in->v[in->n++] = x;
}

static void push_input(cfs_inputs *in, const char *path, const struct stat *st)
{
    int regular = st && S_ISREG(st->st_mode);
    push_entry(in, path, regular ? (uint64_t)st->st_size : 0, st ? (int64_t)st->st_mtime : 0, regular, NULL);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- streamed walk ---------------------------------------------------------------------
 * The walk holds one frame per open directory on the current path (at most
 * CFS_WALK_MAX_DEPTH + 1) and, per frame, one chunk of at most WALK_CHUNK names, so its
 * memory does not grow with the number of files: a directory of ten million files is
 * read WALK_CHUNK names at a time.  Names are sorted within a chunk, so a directory that
 * fits one chunk (every CloudFront hour-per-server layout seen) is walked in name order;
 * a larger one is walked in readdir order, chunk by chunk, which is stable for an
 * unchanged directory, so repeated runs and any -j see the same order. */
#define WALK_CHUNK 4096
#define CFS_WALK_MAX_DEPTH 64

typedef struct walk_frame {
    DIR *d;
    char *path;
    unsigned depth;
    char **names; /* the current chunk, sorted */
    size_t nn, next;
    int eof;
} walk_frame;

struct cfs_walk {
    char **paths;
    size_t npaths, next_path;
    int64_t since, until;
    const char *dist; /* cfs_walk_set_dist */
    walk_frame stack[CFS_WALK_MAX_DEPTH + 1];
    size_t depth;              /* frames in use */
    cfs_walk_filter_fn filter; /* NULL: every file is kept */
    void *filter_ctx;
    cfs_walk_owns_fn owns; /* NULL: every entry's error is this run's */
    /* '-' comes last; when standard input is a regular file, its identity, and the first
     * name under which the walk found that file (then '-' is not read) */
    int in_file;
    dev_t in_dev;
    ino_t in_ino;
    char *in_seen;
    /* the identities of the regular files named on the command line (cfs_paths_drop_repeats
     * left them: none lies inside a directory given), sorted: the walk of a directory
     * leaves another name of such a file (a hard link, a link to it) to the name given */
    struct file_id *named;
    size_t nnamed;
    cfs_s3_lister *s3; /* the s3:// path being listed, else NULL */
    const char *s3_root;
};

struct file_id {
    dev_t dev;
    ino_t ino;
};

static int file_id_cmp(const void *pa, const void *pb)
{
    const struct file_id *a = pa, *b = pb;
    if (a->dev != b->dev) return a->dev < b->dev ? -1 : 1;
    return a->ino < b->ino ? -1 : a->ino > b->ino;
}

/* Whether a file the walk found inside a directory is one named on the command line. */
static int named_elsewhere(const cfs_walk *w, const struct stat *st)
{
    const struct file_id k = {st->st_dev, st->st_ino};
    return w->nnamed && bsearch(&k, w->named, w->nnamed, sizeof k, file_id_cmp) != NULL;
}

void cfs_walk_set_filter(cfs_walk *w, cfs_walk_filter_fn fn, void *ctx)
{
    w->filter = fn;
    w->filter_ctx = ctx;
}

void cfs_walk_set_owner(cfs_walk *w, cfs_walk_owns_fn fn)
{
    if (w) w->owns = fn;
}

/* An entry found inside a directory could not be used: listed by the run that owns it. */
static void entry_error(cfs_walk *w, cfs_inputs *in, const char *path, const char *msg)
{
    if (!w->owns || w->owns(w->filter_ctx, path)) add_error(in, path, msg);
}

/* A directory of the walk could not be used: a path given (depth 0) is every run's error,
 * one found inside a directory the owning run's. */
static void walk_error(cfs_walk *w, cfs_inputs *in, unsigned depth, const char *path, const char *msg)
{
    if (depth) entry_error(w, in, path, msg);
    else add_error(in, path, msg);
}

/* Whether path's CloudFront name leaves it out (hour outside the window, another
 * distribution than --dist). */
static int pruned_by_name(const cfs_walk *w, const char *path)
{
    char dist[CFS_DIST_MAX];
    int64_t hour = CFS_NO_TIME;
    if (cfs_parse_log_name(path, dist, &hour) != 0) return 0;
    return outside_selection(dist, hour, w->since, w->until, w->dist);
}

static int filter_keeps(cfs_walk *w, cfs_inputs *in, const char *path, uint64_t size, const char *etag);

/* A file its name leaves out: counted as skipped by name by the one run that owns it (a
 * shard's files, cfs_walk_set_owner), so a merge of the shards counts it once; the other
 * shards' filter counts it as another shard's (the shard test comes first, nothing is
 * read), so no shard takes a walk that found it for one that found no file. */
static int skip_by_name(cfs_walk *w, cfs_inputs *in, const char *path, uint64_t size, const char *etag)
{
    if (!pruned_by_name(w, path)) return 0;
    if (!w->owns || w->owns(w->filter_ctx, path)) in->pruned++;
    else if (w->filter) (void)filter_keeps(w, in, path, size, etag);
    return 1;
}

/* The walk's filter (a shard, a summary's manifest) on one input: 1 keeps it; 0 leaves
 * it out, noted as an unusable input when the filter says why (it returned -1). */
static int filter_keeps(cfs_walk *w, cfs_inputs *in, const char *path, uint64_t size, const char *etag)
{
    char why[256] = "";
    int k = w->filter(w->filter_ctx, path, size, etag, why, sizeof why);
    if (k < 0) add_error(in, path, why);
    return k > 0;
}

static void push_filtered(cfs_walk *w, cfs_inputs *in, const char *path, const struct stat *st)
{
    if (w->in_file && !w->in_seen && st->st_dev == w->in_dev && st->st_ino == w->in_ino)
        w->in_seen = cfs_strdup(path, "walking the inputs"); /* out of memory: '-' is read too */
    /* the filter may read the file: not for one the name leaves out anyway */
    if (skip_by_name(w, in, path, (uint64_t)st->st_size, NULL)) return;
    if (w->filter && !filter_keeps(w, in, path, (uint64_t)st->st_size, NULL)) return;
    push_input(in, path, st);
}

cfs_walk *cfs_walk_open(const char *const *paths, size_t n, int64_t since, int64_t until)
{
    cfs_walk *w = cfs_calloc(1, sizeof *w, "starting the walk of the inputs");
    if (!w) return NULL;
    w->paths = cfs_calloc(n ? n : 1, sizeof *w->paths, "starting the walk of the inputs");
    for (size_t i = 0; w->paths && i < n; i++) {
        if (!(w->paths[i] = cfs_strdup(paths[i], "starting the walk of the inputs"))) {
            w->npaths = i;
            cfs_walk_close(w);
            return NULL;
        }
    }
    if (!w->paths) {
        free(w);
        return NULL;
    }
    w->npaths = n;
    w->since = since;
    w->until = until;
    /* '-' last, so that a walk that finds standard input's file under its own name reads
     * it there (and records it in a summary's manifest), not twice */
    for (size_t i = 0; i + 1 < n; i++)
        if (strcmp(w->paths[i], "-") == 0) {
            char *dash = w->paths[i];
            memmove(w->paths + i, w->paths + i + 1, (n - i - 1) * sizeof *w->paths);
            w->paths[n - 1] = dash;
            break;
        }
    w->named = cfs_calloc(n ? n : 1, sizeof *w->named, "starting the walk of the inputs");
    for (size_t i = 0; w->named && i < n; i++) {
        struct stat st;
        if (strcmp(w->paths[i], "-") != 0 && !cfs_s3_is_url(w->paths[i]) && stat(w->paths[i], &st) == 0 &&
            S_ISREG(st.st_mode))
            w->named[w->nnamed++] = (struct file_id){st.st_dev, st.st_ino};
    }
    if (w->nnamed > 1) qsort(w->named, w->nnamed, sizeof *w->named, file_id_cmp);
    struct stat in_st;
    if (n && strcmp(w->paths[n - 1], "-") == 0 && fstat(0, &in_st) == 0 && S_ISREG(in_st.st_mode)) {
        w->in_file = 1;
        w->in_dev = in_st.st_dev;
        w->in_ino = in_st.st_ino;
    }
    return w;
}

const char *cfs_walk_stdin_read_as(const cfs_walk *w) { return w ? w->in_seen : NULL; }

static void frame_free_names(walk_frame *f)
{
    for (size_t i = f->next; i < f->nn; i++) free(f->names[i]);
    free(f->names);
    f->names = NULL;
    f->nn = f->next = 0;
}

static void walk_pop(cfs_walk *w)
{
    walk_frame *f = &w->stack[--w->depth];
    frame_free_names(f);
    closedir(f->d);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* Open directory fd `dfd` (owned) as a new frame. */
static void walk_push(cfs_walk *w, cfs_inputs *in, int dfd, const char *path, unsigned depth)
{
    if (depth > CFS_WALK_MAX_DEPTH) {
        walk_error(w, in, depth, path, "directory tree deeper than 64 levels; not descended");
        close(dfd);
        return;
    }
    DIR *d = fdopendir(dfd);
    if (!d) {
        walk_error(w, in, depth, path, strerror(errno));
        close(dfd);
        return;
    }
    char *p = cfs_strdup(path, "walking a directory");
    if (!p) {
        closedir(d);
        return;
    }
    walk_frame *f = &w->stack[w->depth++];
    memset(f, 0, sizeof *f);
    f->d = d;
    f->path = p;
    f->depth = depth;
}

/* Read the frame's next chunk of names; 0 when the directory is exhausted. */
static int frame_refill(cfs_walk *w, walk_frame *f, cfs_inputs *in)
{
    frame_free_names(f);
    if (f->eof) return 0;
    f->names = cfs_malloc(WALK_CHUNK * sizeof *f->names, "walking a directory");
    if (!f->names) {
        f->eof = 1;
        return 0;
    }
    struct dirent *e;
    errno = 0;
    while (f->nn < WALK_CHUNK && (e = readdir(f->d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char *nm = cfs_strdup(e->d_name, "walking a directory");
        if (nm) f->names[f->nn++] = nm;
        errno = 0;
    }
    if (f->nn < WALK_CHUNK) {
        f->eof = 1;
        if (errno) walk_error(w, in, f->depth, f->path, strerror(errno));
    }
    if (f->nn > 1) qsort(f->names, f->nn, sizeof *f->names, cmp_names);
    return f->nn > 0;
}

/* One directory entry of the top frame. */
static void walk_entry(cfs_walk *w, cfs_inputs *in, walk_frame *f, const char *name)
{
    size_t plen = strlen(f->path);
    size_t need = plen + strlen(name) + 2;
    char *child = cfs_malloc(need, "walking a directory");
    if (!child) return;
    snprintf(child, need, "%s%s%s", f->path, (plen && f->path[plen - 1] == '/') ? "" : "/", name);
    struct stat st;
    if (fstatat(dirfd(f->d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        entry_error(w, in, child, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        int cfd = openat(dirfd(f->d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (cfd < 0) entry_error(w, in, child, strerror(errno));
        else walk_push(w, in, cfd, child, f->depth + 1); /* may move nothing: f stays valid */
    } else if (S_ISLNK(st.st_mode)) {
        /* Follow links to files, never to directories (no loops). */
        struct stat ts;
        if (fstatat(dirfd(f->d), name, &ts, 0) != 0) entry_error(w, in, child, strerror(errno));
        else if (S_ISREG(ts.st_mode) && !named_elsewhere(w, &ts)) push_filtered(w, in, child, &ts);
    } else if (S_ISREG(st.st_mode) && !named_elsewhere(w, &st)) {
        push_filtered(w, in, child, &st);
    }
    /* FIFOs, sockets and devices inside directories are skipped: a walk must not block
     * on a pipe.  Named explicitly on the command line they are read. */
    free(child);
}

/* One object of an S3 listing: pruned by its key's base name (before any GET), then
 * through the filter (a shard, --update's manifest: by the listed ETag, nothing read). */
static void push_s3(cfs_walk *w, cfs_inputs *in, const cfs_s3_entry *e)
{
    if (skip_by_name(w, in, e->url, e->size, e->etag ? e->etag : "")) return;
    if (w->filter && !filter_keeps(w, in, e->url, e->size, e->etag ? e->etag : "")) return;
    /* not "regular": read as a stream (decode.c), never mapped */
    push_entry(in, e->url, e->size, e->mtime, 0, e->etag ? e->etag : "");
}

/* The next object of the listing in progress; 0 once it is over (or failed, recorded). */
static int walk_s3(cfs_walk *w, cfs_inputs *in)
{
    cfs_s3_entry e;
    char err[512] = "";
    int k = cfs_s3_list_next(w->s3, &e, err, sizeof err);
    if (k > 0) {
        push_s3(w, in, &e);
        free(e.url);
        free(e.etag);
        return 1;
    }
    if (k < 0) add_error(in, w->s3_root, err[0] ? err : "listing failed");
    cfs_s3_list_close(w->s3);
    w->s3 = NULL;
    return 0;
}

/* One command-line path. */
static void walk_top(cfs_walk *w, cfs_inputs *in, const char *path)
{
    if (cfs_s3_is_url(path)) {
        char err[512] = "";
        if (cfs_s3_list_open(&w->s3, path, err, sizeof err) != CFS_OK) add_error(in, path, err);
        else w->s3_root = path;
        return;
    }
    if (strcmp(path, "-") == 0) {
        if (!w->in_seen) push_input(in, "-", NULL);
        return;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        add_error(in, path, strerror(errno));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) add_error(in, path, strerror(errno));
        else walk_push(w, in, dfd, path, 0);
        return;
    }
    push_filtered(w, in, path, &st);
}

int cfs_walk_next(cfs_walk *w, cfs_inputs *in, size_t max)
{
    if (!w) return 0; /* cfs_walk_open ran out of memory (recorded) */
    size_t start = in->n, start_err = in->nerr;
    while (in->n - start < max && in->nerr - start_err < max) {
        if (w->s3) {
            walk_s3(w, in);
            continue;
        }
        if (w->depth == 0) {
            if (w->next_path == w->npaths) return in->n > start || in->nerr > start_err;
            walk_top(w, in, w->paths[w->next_path++]);
            continue;
        }
        walk_frame *f = &w->stack[w->depth - 1];
        if (f->next == f->nn && !frame_refill(w, f, in)) {
            walk_pop(w);
            continue;
        }
        char *name = f->names[f->next++];
        walk_entry(w, in, f, name);
        free(name);
    }
    return 1;
}

void cfs_walk_close(cfs_walk *w)
{
    if (!w) return;
    cfs_s3_list_close(w->s3);
    while (w->depth) walk_pop(w);
    for (size_t i = 0; i < w->npaths; i++) free(w->paths[i]);
    free(w->paths);
    free(w->in_seen);
    free(w->named);
    free(w);
}

/* ---- paths named more than once ---------------------------------------------------------- */
typedef struct named_path {
    char *key;  /* where it sits, resolved (a link to a file: its own directory's resolved
                 * path and its name, as the walk of a directory holding it reads it), or
                 * the s3:// URL */
    size_t idx; /* its place on the command line */
    int s3, dir;
    int link;  /* a symbolic link to a regular file */
    dev_t dev; /* a regular file's identity: two names of one file are one input */
    ino_t ino;
} named_path;

/* Resolved paths ordered with '/' before every other byte, so that everything under a
 * directory follows it without a gap ("d", "d/x", "d/y/z", "d-2"); s3:// URLs after the
 * local paths, plain byte order (a prefix comes first, what it lists right after it);
 * the first given first among equals. */
static int named_cmp(const void *pa, const void *pb)
{
    const named_path *a = pa, *b = pb;
    if (a->s3 != b->s3) return a->s3 - b->s3;
    const unsigned char *x = (const unsigned char *)a->key, *y = (const unsigned char *)b->key;
    for (; *x && *x == *y; x++, y++) {}
    if (*x != *y) {
        if (!*x || !*y) return *x ? 1 : -1; /* a prefix first */
        if (!a->s3) {
            if (*x == '/') return -1;
            if (*y == '/') return 1;
        }
        return *x < *y ? -1 : 1;
    }
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Whether resolved path p is dir itself or lies under it; with reach, also whether the walk
 * of dir reaches p (p_dir: a directory, which the walk must enter), within its depth. */
static int under(const char *dir, const char *p, int reach, int p_dir)
{
    size_t n = strlen(dir);
    if (strncmp(dir, p, n) != 0) return 0;
    if (n > 0 && dir[n - 1] != '/') {
        if (p[n] == 0) return 1;
        if (p[n] != '/') return 0;
        n++;
    }
    if (!reach) return 1;
    unsigned depth = 0; /* directories between dir and p's own name */
    for (const char *c = p + n; *c; c++) depth += *c == '/';
    /* a file is read in the frame of its directory (depth: its separators); a directory
     * is a frame of its own, one deeper */
    return depth + (p_dir ? 1u : 0u) <= CFS_WALK_MAX_DEPTH;
}

/* Regular files by identity, the first given first. */
static int same_file_cmp(const void *pa, const void *pb)
{
    const named_path *a = pa, *b = pb;
    if (a->dev != b->dev) return a->dev < b->dev ? -1 : 1;
    if (a->ino != b->ino) return a->ino < b->ino ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Where a link to a file sits: its directory resolved, then its own name (malloc'd; NULL
 * when the directory cannot be resolved). */
static char *link_place(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? cfs_malloc((size_t)(slash - path) + 2, "checking the paths given") : NULL;
    if (slash && !dir) return NULL;
    if (dir) {
        memcpy(dir, path, (size_t)(slash - path));
        dir[slash - path] = 0;
        if (!dir[0]) strcpy(dir, "/"); /* "/name" */
    }
    char *rd = realpath(dir ? dir : ".", NULL);
    free(dir);
    if (!rd) return NULL;
    const char *name = slash ? slash + 1 : path;
    const size_t len = strlen(rd) + strlen(name) + 2;
    char *key = cfs_malloc(len, "checking the paths given");
    if (key) snprintf(key, len, "%s%s%s", rd, strcmp(rd, "/") ? "/" : "", name);
    free(rd);
    return key;
}

/* A name the system gives a file descriptor: an entry of a process's fd directory
 * (/proc/PID/fd/N, /dev/fd/N), or a link to one (/dev/stdin), however written. */
static int fd_alias(const char *p)
{
    char target[PATH_MAX];
    struct stat ls;
    const char *q = p;
    if (lstat(p, &ls) == 0 && S_ISLNK(ls.st_mode)) {
        ssize_t k = readlink(p, target, sizeof target - 1);
        if (k > 0) {
            target[k] = 0;
            if (strncmp(target, "/proc/", 6) == 0) q = target; /* /dev/stdin -> /proc/self/fd/0 */
        }
    }
    const char *slash = strrchr(q, '/');
    if (!slash || slash == q) return 0;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - q), q);
    char *real = realpath(dir, NULL);
    if (!real) return 0;
    const size_t n = strlen(real);
    const int is = strncmp(real, "/proc/", 6) == 0 && n >= 3 && strcmp(real + n - 3, "/fd") == 0;
    free(real);
    return is;
}

size_t cfs_paths_drop_repeats(const char **paths, size_t n, const char **first)
{
    *first = NULL;
    named_path *v = n ? cfs_calloc(n, sizeof *v, "checking the paths given") : NULL;
    unsigned char *drop = n ? cfs_calloc(n, 1, "checking the paths given") : NULL;
    size_t m = 0;
    if (!v || !drop) { /* out of memory (recorded): every path kept */
        free(v);
        free(drop);
        return n;
    }
    /* Standard input is one stream: read again it would be empty (a second input, warned
     * as such) or, on a terminal, wait for a second end of file.  So '-' is read once, and
     * another name of it ("/dev/stdin", "/dev/fd/0": the same pipe, terminal or file) is
     * left out for '-'.  A file standard input is redirected from that the walk also finds
     * under a name of its own is read by that name, and '-' then left out (cfs_walk). */
    int dash_seen = 0, have_in = 0;
    struct stat in_st;
    for (size_t i = 0; i < n && !have_in; i++)
        if (strcmp(paths[i], "-") == 0) have_in = fstat(0, &in_st) == 0 ? 1 : -1;
    for (size_t i = 0; i < n; i++) {
        named_path e = {.key = NULL, .idx = i, .s3 = cfs_s3_is_url(paths[i])};
        struct stat st;
        if (strcmp(paths[i], "-") == 0) {
            drop[i] = (unsigned char)dash_seen;
            dash_seen = 1;
            continue;
        }
        const int in_stream = have_in > 0 && !S_ISREG(in_st.st_mode) && !S_ISDIR(in_st.st_mode);
        if (have_in > 0 && !e.s3 && (in_stream || (S_ISREG(in_st.st_mode) && fd_alias(paths[i]))) &&
            stat(paths[i], &st) == 0 && st.st_dev == in_st.st_dev && st.st_ino == in_st.st_ino) {
            drop[i] = 1;
            continue;
        }
        if (e.s3) {
            /* a bare bucket lists all of it: "s3://b" as "s3://b/", which "s3://b2/..."
             * does not start with */
            const char *bucket = paths[i] + 5;
            const int bare = strchr(bucket, '/') == NULL;
            const size_t len = strlen(paths[i]);
            if ((e.key = cfs_malloc(len + 2, "checking the paths given")))
                snprintf(e.key, len + 2, "%s%s", paths[i], bare ? "/" : "");
        } else if (stat(paths[i], &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
            /* FIFOs and devices are read only where named, never by a walk: kept */
            e.dir = S_ISDIR(st.st_mode);
            e.dev = st.st_dev;
            e.ino = st.st_ino;
            struct stat ls;
            e.link = !e.dir && lstat(paths[i], &ls) == 0 && S_ISLNK(ls.st_mode);
            if (e.link) e.key = link_place(paths[i]);
            else e.key = realpath(paths[i], NULL);
        }
        if (e.key) v[m++] = e;
    }
    qsort(v, m, sizeof *v, named_cmp);
    /* In that order a path kept covers those right after it that it names or holds.  The
     * local paths kept around the current one form a chain, each inside the one before (a
     * directory too deep for the walk of one above it covers its own part of the tree, and
     * that part ends before the rest of the tree above); an s3:// prefix covers every URL
     * that starts with it. */
    const named_path **chain = m ? cfs_malloc(m * sizeof *chain, "checking the paths given") : NULL;
    size_t depth = 0;
    const named_path *prefix = NULL;
    for (size_t k = 0; chain && k < m; k++) {
        const named_path *e = &v[k];
        if (e->s3) {
            if (prefix && strncmp(e->key, prefix->key, strlen(prefix->key)) == 0) drop[e->idx] = 1;
            else prefix = e;
            continue;
        }
        while (depth && !(chain[depth - 1]->dir ? under(chain[depth - 1]->key, e->key, 0, 0)
                                                : !strcmp(chain[depth - 1]->key, e->key)))
            depth--;
        if (depth &&
            (!strcmp(chain[depth - 1]->key, e->key) || under(chain[depth - 1]->key, e->key, 1, e->dir))) {
            drop[e->idx] = 1;
            continue;
        }
        chain[depth++] = e;
    }
    free(chain);
    /* A link named outside a directory given, to a file that directory's walk reaches: the
     * walk reads the file, under its place in the directory (what a summary's manifest
     * records, whatever the link), and the link is left out. */
    for (size_t k = 0; k < m; k++) {
        const named_path *e = &v[k];
        if (!e->link || drop[e->idx]) continue;
        char *target = realpath(paths[e->idx], NULL);
        for (size_t j = 0; target && j < m && !drop[e->idx]; j++)
            if (v[j].dir && !v[j].s3 && !drop[v[j].idx] && under(v[j].key, target, 1, 0)) drop[e->idx] = 1;
        free(target);
    }
    /* Two names of one regular file (hard links, a link and its target) kept so far: the
     * first given is read. */
    size_t nf = 0;
    for (size_t k = 0; k < m; k++) {
        free(v[k].key);
        v[k].key = NULL;
        if (!v[k].s3 && !v[k].dir && !drop[v[k].idx]) v[nf++] = v[k];
    }
    qsort(v, nf, sizeof *v, same_file_cmp);
    for (size_t k = 1; k < nf; k++)
        if (v[k].dev == v[k - 1].dev && v[k].ino == v[k - 1].ino) drop[v[k].idx] = 1;
    free(v);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!drop[i]) paths[kept++] = paths[i];
        else if (!*first) *first = paths[i];
    }
    free(drop);
    return kept;
}

void cfs_walk_set_dist(cfs_walk *w, const char *dist)
{
    if (w) w->dist = dist;
}

void cfs_inputs_add(cfs_inputs *in, const char *path, int64_t since, int64_t until)
{
    cfs_walk *w = cfs_walk_open(&path, 1, since, until);
    while (cfs_walk_next(w, in, (size_t)-1)) {}
    cfs_walk_close(w);
}

static int cmp_inputs(const void *a, const void *b)
{
    const cfs_input *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return strcmp(x->path, y->path);
}

void cfs_inputs_sort(cfs_inputs *in)
{
    if (in->n > 1) qsort(in->v, in->n, sizeof *in->v, cmp_inputs);
}

void cfs_inputs_free(cfs_inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->v[i].path);
        free(in->v[i].etag);
    }
    for (size_t i = 0; i < in->nerr; i++) {
        free(in->err[i].path);
        free(in->err[i].msg);
    }
    free(in->v);
    free(in->err);
    memset(in, 0, sizeof *in);
}

int cfs_write_all(int fd, const void *p, size_t n)
{
    for (const char *c = p; n;) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k == 0) errno = EIO; /* took nothing: no errno of its own */
        if (k <= 0) return -1;
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

FILE *cfs_temp_file(const char *tag, const char *what, char *why, size_t whylen)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    size_t n = strlen(dir) + strlen(tag) + 16;
    char *tmpl = malloc(n);
    FILE *f = NULL;
    int e = ENOMEM;
    if (tmpl) {
        snprintf(tmpl, n, "%s/cfscan-%s.XXXXXX", dir, tag);
        int fd = mkostemp(tmpl, O_CLOEXEC);
        e = errno;
        if (fd >= 0) {
            unlink(tmpl);
            if (!(f = fdopen(fd, "w+b"))) {
                e = errno;
                close(fd);
            }
        }
        free(tmpl);
    }
    if (!f) snprintf(why, whylen, "cannot create a temporary file in %s for %s: %s", dir, what, strerror(e));
    return f;
}
