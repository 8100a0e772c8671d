/* Publishing a summary directory: the checks on -o, the report files and manifest, and
 * the atomic replacement of the directory (write beside it, then one rename), so that a
 * reader never sees half a summary and nothing of a user's is ever deleted. */
#include "pipeline/summary.h"
#include "pipeline/summary_internal.h"
#include "pipeline/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline/inputs_manifest.h"
#include "pipeline/ledger.h"
#include "pipeline/report.h"

/* ---- directory publishing -------------------------------------------------------------------------- */
/* What a summary directory holds, in writing order: the manifest goes last, so a directory
 * without it is never taken for a summary.  Nothing else is ever removed from one.  The one
 * list of these names: cleanup, the manifest and writing all read it. */
#define NSUMFILES CFS_SUM_NFILES
static const char *const k_sum_files[NSUMFILES] = {
    [CFS_SUM_TRAFFIC] = "traffic.parquet",
    [CFS_SUM_LATENCY] = "latency.parquet",
    [CFS_SUM_DISTINCT_CLIENTS] = "distinct_clients.parquet",
    [CFS_SUM_TOP_URIS] = "top_uris.parquet",
    [CFS_SUM_TOP_CLIENTS] = "top_clients.parquet",
    [CFS_SUM_WAF_RULES] = "waf_rules.parquet",
    [CFS_SUM_INPUTS] = "inputs.parquet",
    [CFS_SUM_REPORT_TXT] = "report.txt",
    [CFS_SUM_REPORT_JSON] = "report.json",
    [CFS_SUM_REPORT_HTML] = "report.html",
    [CFS_SUM_STATE] = "state.cfs",
    [CFS_SUM_INPUT_MANIFEST] = CFS_MF_FILE,
    [CFS_SUM_MANIFEST] = "manifest.json",
};

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = cfs_malloc(n, "naming the summary's files");
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p; /* NULL: out of memory (recorded) */
}

static int is_sum_file(const char *name)
{
    for (int i = 0; i < NSUMFILES; i++)
        if (strcmp(name, k_sum_files[i]) == 0) return 1;
    return 0;
}

/* Remove a summary tree we made or swapped out.  Everything goes through a descriptor
 * opened without following links: if the name was swapped for a link meanwhile, only the
 * link goes (never what it points to); only the known file names are unlinked, so a
 * directory holding anything else stays (at worst a stale DIR.tmp-*), and nothing of a
 * user's is deleted. */
static void rm_tree(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        struct stat st;
        if (errno == ELOOP && lstat(dir, &st) == 0 && S_ISLNK(st.st_mode)) unlink(dir);
        return;
    }
    for (int i = 0; i < NSUMFILES; i++) unlinkat(fd, k_sum_files[i], 0);
    close(fd);
    rmdir(dir);
}

/* Open dir/manifest.json for reading without blocking (a FIFO there would hang fopen)
 * and without following a link; -1 with errno unless it is a regular file. */
static int open_manifest(int dfd, struct stat *st)
{
    int fd = openat(dfd, "manifest.json", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* The first bytes of a regular manifest.json (NUL-terminated in buf); 0, or -1. */
static int read_manifest(int dfd, char *buf, size_t cap, struct stat *st)
{
    int fd = open_manifest(dfd, st);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    return 0;
}

/* What publishing into an existing path found there. */
typedef struct out_info {
    int exists;     /* dir exists (an empty directory or a summary) */
    mode_t dmode;   /* its permission bits */
    int have_fmode; /* it is a summary: fmode is its manifest's mode */
    mode_t fmode;
} out_info;

static cfs_status check_output_at(const char *dir, out_info *oi, char *err, size_t errlen);

/* "DIR/" names a link's target, not the link: look at DIR itself. */
static cfs_status check_output(const char *dir, out_info *oi, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    char *d = cfs_malloc(n + 1, "checking the output directory");
    if (!d) return cfs_nomem_status(NULL, err, errlen);
    memcpy(d, dir, n);
    d[n] = 0;
    /* "DIR/." and "DIR/..": publishing renames DIR's own name into place, which these
     * are not (the rename fails after the scan, or replaces another directory) */
    const char *base = strrchr(d, '/') ? strrchr(d, '/') + 1 : d;
    if (!strcmp(base, ".") || !strcmp(base, "..")) {
        snprintf(err, errlen, "%s: ends in '%s'; name the summary directory itself", dir, base);
        free(d);
        return CFS_E_USAGE;
    }
    cfs_status st = check_output_at(d, oi, err, errlen);
    free(d);
    return st;
}

static cfs_status check_output_at(const char *dir, out_info *oi, char *err, size_t errlen)
{
    memset(oi, 0, sizeof *oi);
    struct stat sb;
    if (lstat(dir, &sb) != 0) {
        /* absent (ENOTDIR: a parent is a file), which cfs_summary_make_parent says */
        if (errno == ENOENT || errno == ENOTDIR) return CFS_OK;
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return CFS_E_IO;
    }
    if (S_ISLNK(sb.st_mode)) {
        /* Exchanging a link swaps the link, not its target, and whoever can plant one
         * in a shared directory could aim cleanup at someone else's files: refuse. */
        char target[1024];
        ssize_t n = readlink(dir, target, sizeof target - 1);
        if (n < 0) n = 0;
        target[n] = 0;
        snprintf(err, errlen,
                 "%s: is a symbolic link%s%s; refusing to publish through it (pass the link's "
                 "target instead)",
                 dir, n ? " to " : "", target);
        return CFS_E_USAGE;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a directory; refusing to replace it", dir);
        return CFS_E_USAGE;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return errno == ELOOP || errno == ENOTDIR ? CFS_E_USAGE : CFS_E_IO;
    }
    if (fstat(dfd, &sb) != 0) sb.st_mode = 0755;
    oi->exists = 1;
    oi->dmode = sb.st_mode & 07777;
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (!d) {
        if (dup_fd >= 0) close(dup_fd);
        snprintf(err, errlen, "%s: cannot list it: %s", dir, strerror(errno));
        close(dfd);
        return CFS_E_IO;
    }
    /* An empty directory may be filled; one with entries must be a summary holding
     * nothing but a summary's own regular files (anything else would be moved into
     * the stale DIR.tmp-* or lost). */
    char foreign[256] = "";
    int any = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        any = 1;
        struct stat fs;
        if (!foreign[0] && (!is_sum_file(e->d_name) ||
                            (fstatat(dfd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(fs.st_mode))))
            snprintf(foreign, sizeof foreign, "%s", e->d_name);
    }
    closedir(d);
    cfs_status st = CFS_OK;
    if (any) {
        char buf[256];
        struct stat ms;
        if (read_manifest(dfd, buf, sizeof buf, &ms) != 0) {
            snprintf(err, errlen,
                     "%s: exists and is not a cfscan summary (manifest.json %s); refusing to "
                     "overwrite it",
                     dir, errno == ENOENT ? "missing" : "is not a readable regular file");
            st = CFS_E_USAGE;
        } else if (!strstr(buf, "\"cfscan_summary\": true")) {
            snprintf(err, errlen,
                     "%s: exists and is not a cfscan summary (manifest.json is not a cfscan "
                     "manifest); refusing to overwrite it",
                     dir);
            st = CFS_E_USAGE;
        } else if (foreign[0]) {
            snprintf(err, errlen,
                     "%s: holds '%s', which is not part of a cfscan summary; refusing to "
                     "replace the directory (move it out first)",
                     dir, foreign);
            st = CFS_E_USAGE;
        } else {
            oi->have_fmode = 1;
            oi->fmode = ms.st_mode & 0777;
        }
    }
    close(dfd);
    return st;
}

cfs_status cfs_summary_check_output(const char *dir, char *err, size_t errlen)
{
    out_info oi;
    return check_output(dir, &oi, err, errlen);
}

cfs_status cfs_summary_make_parent(const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    while (n > 0 && dir[n - 1] != '/') n--; /* the parent: up to the last '/' */
    while (n > 1 && dir[n - 1] == '/') n--;
    if (n == 0 || (n == 1 && dir[0] == '/')) return CFS_OK; /* the working directory or / */
    char *p = cfs_malloc(n + 1, "making the output directory's parent");
    if (!p) return cfs_nomem_status(NULL, err, errlen);
    memcpy(p, dir, n);
    p[n] = 0;
    cfs_status st = CFS_OK;
    struct stat sb;
    if (stat(p, &sb) != 0) {
        /* as mkdir -p: each missing directory from the top, modes from the umask */
        for (size_t i = 1; i <= n && st == CFS_OK; i++) {
            if (i < n && p[i] != '/') continue;
            const char keep = p[i];
            p[i] = 0;
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "%s: cannot make its parent directory %s: %s", dir, p, strerror(errno));
                st = CFS_E_USAGE;
            }
            p[i] = keep;
        }
    }
    if (st == CFS_OK && (stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
        snprintf(err, errlen, "%s: its parent %s is not a directory", dir, p);
        st = CFS_E_USAGE;
    }
    free(p);
    return st;
}

/* The temporary directory publishing writes into, made beside dir[0..n) (the same file
 * system, so that the rename is atomic): its path (malloc'd), or NULL with *st and err
 * set. */
static char *make_tmp_beside(const char *dir, size_t n, cfs_status *st, char *err, size_t errlen)
{
    char *tmp = cfs_malloc(n + 32, "naming the summary's files");
    if (!tmp) {
        *st = cfs_nomem_status(NULL, err, errlen);
        return NULL;
    }
    snprintf(tmp, n + 32, "%.*s.tmp-XXXXXX", (int)n, dir);
    if (!mkdtemp(tmp)) {
        snprintf(err, errlen, "%.*s: cannot create a temporary directory beside it: %s", (int)n, dir,
                 strerror(errno));
        free(tmp);
        *st = CFS_E_IO;
        return NULL;
    }
    return tmp;
}

cfs_status cfs_summary_check_writable(const char *dir, char *err, size_t errlen)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    cfs_status st = CFS_OK;
    char *tmp = make_tmp_beside(dir, n, &st, err, errlen);
    if (tmp) rmdir(tmp);
    free(tmp);
    return st;
}

/* The flag sits before the arguments (which may be long), within the first bytes. */
int cfs_summary_dir_redacted(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return 0;
    char buf[4096];
    struct stat st;
    int r = read_manifest(dfd, buf, sizeof buf, &st) == 0 &&
            strstr(buf, "\"clients_redacted\": true") != NULL;
    close(dfd);
    return r;
}

void cfs_summary_own_report(const cfs_summary *s, cfs_report_opts *ro)
{
    /* what evidence its runs had, not the latest run's alone (an --update without
     * --config of a summary made with it still holds config verdicts) */
    ro->with_config = cfs_evid_has_kind(&s->evidence, CFS_EVID_CONFIG);
    ro->with_waf = s->nwaf_rules > 0 || cfs_evid_has_kind(&s->evidence, CFS_EVID_WAF);
    ro->waf_rules = (const char *const *)s->waf_rules;
    ro->nwaf_rules = s->nwaf_rules;
    ro->stop = s->stop;
    ro->evidence = &s->evidence;
    ro->sampling = s->sampling;
}

/* fmt: 0 text, 1 JSON, 2 HTML. */
static cfs_status write_text_file(const char *path, int fmt, const cfs_summary *s, const cfs_view *v,
                                  char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    /* The printed report's options (evidence, size, window and filters: the files are that
     * report, byte for byte), else a merge's defaults; the WAF rule names, evidence records
     * and sampling rates are the summary's own (its wrow ids index those names). */
    cfs_report_opts ro = {.top = CFS_REPORT_TOP_DEFAULT};
    if (s->report) ro = *s->report;
    cfs_summary_own_report(s, &ro);
    if (fmt == 2) cfs_report_html(f, v, &ro);
    else if (fmt == 1) cfs_report_json(f, v, &ro);
    else cfs_report_text(f, v, &ro);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    int saved = errno;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(saved ? saved : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

static cfs_status write_manifest(const char *path, const cfs_summary *s, const char *argv_line, char *err,
                                 size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return CFS_E_IO;
    }
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f,
            "{\n  \"cfscan_summary\": true,\n  \"cfscan_version\": \"%s\",\n  \"schema_version\": %d,\n"
            "  \"created\": \"%s\",\n  \"clients_redacted\": %s,\n  \"arguments\": ",
            CFS_VERSION, CFS_SUMMARY_SCHEMA, ts, s->clients_redacted ? "true" : "false");
    cfs_write_json_str(f, argv_line ? argv_line : "", argv_line ? strlen(argv_line) : 0);
    fputs(",\n  \"tables\": [", f);
    for (int i = 0; i < CFS_SUM_NTABLES; i++) fprintf(f, "%s\"%s\"", i ? ", " : "", k_sum_files[i]);
    fprintf(f, "],\n  \"state\": \"%s\",\n  \"inputs\": %llu,\n  \"inputs_table\": \"%s\"\n}\n",
            k_sum_files[CFS_SUM_STATE], (unsigned long long)s->ninputs, k_sum_files[CFS_SUM_INPUTS]);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno ? errno : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The threads the run asked for (-j; 0 meant every core), as the scan counted them:
 * judging uses that many, and above one the publish writes the state beside the tables. */
static int run_threads(const cfs_summary *s) { return s->threads > 0 ? s->threads : omp_get_max_threads(); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The ledger of a summary's rows, and the files they name (*nfiles).  An input no run
 * could read at all (an unread row, cfs_stats_unread) may have several rows: beside the
 * row that counted it (--update: a file changed since, or unreadable now), or beside the
 * same error from another part (a path every shard named, merged).  Each such path is one
 * file and one failure: the files are the rows read plus the paths only unread rows name,
 * and an unread row of a path that failed already (another unread row, or a read row that
 * failed, e.g. a truncated file since replaced) is left out of the ledger.  One pass
 * over the rows, a second only when some were unread.  0, or -1 when reading the rows
 * failed; out of memory, every row counts (cfs_nomem_failed says so). */
static int ledger_of_rows(const cfs_summary *s, cfs_ledger *L, size_t *nfiles)
{
    *nfiles = (size_t)s->ninputs;
    char **unread = NULL; /* the paths of the unread rows, then the distinct ones, sorted */
    size_t n = 0, cap = 0;
    int listed = 1, rc = cfs_summary_inputs_begin(s);
    cfs_sum_input x;
    while (rc == 0 && (rc = cfs_summary_inputs_next(s, &x)) > 0) {
        cfs_ledger_file(L, x.path, &x.st);
        rc = 0;
        if (listed && cfs_stats_unread(&x.st) && n == cap) {
            char **more = cfs_realloc(unread, (cap ? 2 * cap : 16) * sizeof *unread,
                                      "counting a summary's files");
            if (more) unread = more, cap = cap ? 2 * cap : 16;
            else listed = 0;
        }
        if (listed && cfs_stats_unread(&x.st)) unread[n++] = x.path;
        else free(x.path);
    }
    size_t u = 0, live = n; /* distinct paths; entries of unread to free */
    /* per distinct path: 1 a read row names it, 4 a read row of it failed, 2 in the ledger */
    unsigned char *mark = NULL;
    if (rc == 0 && listed && n) {
        qsort(unread, n, sizeof *unread, cmp_str);
        for (size_t i = 0; i < n; i++)
            if (u && strcmp(unread[u - 1], unread[i]) == 0) free(unread[i]);
            else unread[u++] = unread[i];
        live = u;
        mark = cfs_calloc(u, 1, "counting a summary's files");
    }
    if (mark) {
        /* which unread paths a read row names (1), and a read row that failed (4) */
        rc = cfs_summary_inputs_begin(s);
        while (rc == 0 && (rc = cfs_summary_inputs_next(s, &x)) > 0) {
            char **hit = cfs_stats_unread(&x.st) ? NULL
                                                 : bsearch(&x.path, unread, u, sizeof *unread, cmp_str);
            if (hit) mark[hit - unread] |= x.st.status == CFS_OK ? 1 : 5;
            free(x.path);
            rc = 0;
        }
        int redo = u < n;
        for (size_t i = 0; i < u; i++) redo |= (mark[i] & 4) != 0;
        if (rc == 0 && redo) {
            /* the ledger again, without the unread rows of a path that failed already: a
             * repeat of an unread one (2), or one a read row failed (4) */
            const uint64_t pruned = L->pruned;
            cfs_ledger_free(L);
            memset(L, 0, sizeof *L);
            L->pruned = pruned;
            rc = cfs_summary_inputs_begin(s);
            while (rc == 0 && (rc = cfs_summary_inputs_next(s, &x)) > 0) {
                char **hit = cfs_stats_unread(&x.st) ? bsearch(&x.path, unread, u, sizeof *unread, cmp_str)
                                                     : NULL;
                if (!hit || !(mark[hit - unread] & 6)) cfs_ledger_file(L, x.path, &x.st);
                if (hit) mark[hit - unread] |= 2;
                free(x.path);
                rc = 0;
            }
        }
        *nfiles = (size_t)s->ninputs - n;
        for (size_t i = 0; i < u; i++) *nfiles += !(mark[i] & 1);
        free(mark);
    }
    for (size_t i = 0; i < live; i++) free(unread[i]);
    free(unread);
    return rc < 0 ? -1 : 0;
}

cfs_status cfs_summary_view(const cfs_summary *s, cfs_view *v, char *err, size_t errlen)
{
    memset(v, 0, sizeof *v);
    v->own = cfs_calloc(1, sizeof *v->own, "making the view of a summary");
    if (!v->own) return cfs_nomem_status(NULL, err, errlen);
    v->agg = &v->own->agg;
    v->ledger = &v->own->ledger;
    /* The ledger, as the scans counted their inputs (ledger_of_rows) */
    v->own->ledger.pruned = s->pruned;
    const int rc = ledger_of_rows(s, &v->own->ledger, &v->nfiles);
    /* The tables: judging the held-back 403s against everything merged, then settling,
     * are the last stages of a merge; s keeps its unsettled state.  Judging needs no
     * config: each record's distribution has its facts in the state. */
    char ferr[256];
    cfs_status fst = cfs_judge_and_settle(&v->own->agg, &s->agg, run_threads(s), ferr, sizeof ferr);
    if (cfs_nomem_failed()) return cfs_nomem_status(NULL, err, errlen);
    if (fst != CFS_OK) {
        snprintf(err, errlen, "%s", ferr);
        return fst;
    }
    if (rc < 0) {
        snprintf(err, errlen, "reading back the summary's input rows (a temporary file) failed: %s",
                 strerror(errno ? errno : EIO));
        return CFS_E_IO;
    }
    return CFS_OK;
}

cfs_status cfs_summary_publish(const cfs_summary *s, const cfs_view *v, const char *dir,
                               const char *argv_line, char *err, size_t errlen)
{
    if (!v || !v->agg || !cfs_is_settled(v->agg)) { /* a caller's mistake, never the data's */
        snprintf(err, errlen, "%s: the summary's tables must come from a settled view", dir);
        return CFS_E_USAGE;
    }
    if (s->rows_failed[0]) {
        snprintf(err, errlen, "%s", s->rows_failed);
        return CFS_E_IO;
    }
    if (cfs_nomem_failed()) return cfs_nomem_status(NULL, err, errlen);
    out_info oi;
    CFS_FORWARD_IF_ERROR(check_output(dir, &oi, err, errlen));
    /* Modes: a new summary honours the umask (read by setting it back at once; the scan's
     * threads are done by now); a replaced one keeps the modes its owner gave it. */
    mode_t um = umask(0);
    umask(um);
    mode_t dmode = oi.exists ? oi.dmode : (0777 & ~um);
    mode_t fmode = oi.have_fmode ? oi.fmode : (0666 & ~um);
    /* The temporary directory sits beside dir (same file system, so rename is atomic). */
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    /* The rename gets dir without trailing slashes: "DIR/" would follow a link put at
     * DIR since the check. */
    char *bare = cfs_malloc(n + 1, "naming the summary's files");
    if (!bare) return cfs_nomem_status(NULL, err, errlen);
    memcpy(bare, dir, n);
    bare[n] = 0;
    dir = bare;
    cfs_status tst = CFS_OK;
    char *tmp = make_tmp_beside(dir, n, &tst, err, errlen);
    if (!tmp) {
        free(bare);
        return tst;
    }
    /* Tables and reports come from the settled view; the state keeps provisional entries. */
    char *p[NSUMFILES];
    cfs_status st = CFS_OK;
    for (int i = 0; i < NSUMFILES; i++)
        if (!(p[i] = join(tmp, k_sum_files[i]))) st = cfs_nomem_status(NULL, err, errlen);
    /* the state copies the input rows as flushed (cfs_state_write) */
    if (st == CFS_OK && s->rows && fflush(s->rows) != 0) {
        snprintf(err, errlen, "writing the summary's input rows to a temporary file failed: %s",
                 strerror(errno ? errno : EIO));
        st = CFS_E_IO;
    }
    if (st == CFS_OK) {
        /* The state file (the unsettled aggregate) and the tables and reports (the settled
         * view) read different data into different files: with a second thread they are
         * written at once.  The state was about half the time of a publish on the 1 GB
         * benchmark set, which is serial after a parallel scan.  An error of the tables
         * and reports is reported before one of the state, as when they ran in turn. */
        char serr[512] = "";
        cfs_status sst = CFS_OK;
        const int two = run_threads(s) > 1;
#pragma omp parallel sections num_threads(2) if (two)
        {
#pragma omp section
            sst = cfs_state_write(s, p[CFS_SUM_STATE], serr, sizeof serr);
#pragma omp section
            {
                st = cfs_sum_write_tables(s, v->agg, p, err, errlen);
                if (st == CFS_OK) st = write_text_file(p[CFS_SUM_REPORT_TXT], 0, s, v, err, errlen);
                if (st == CFS_OK) st = write_text_file(p[CFS_SUM_REPORT_JSON], 1, s, v, err, errlen);
                if (st == CFS_OK) st = write_text_file(p[CFS_SUM_REPORT_HTML], 2, s, v, err, errlen);
            }
        }
        if (st == CFS_OK && sst != CFS_OK) {
            st = sst;
            snprintf(err, errlen, "%s", serr);
        }
    }
    if (st == CFS_OK && s->mf) st = cfs_mf_writer_save(s->mf, p[CFS_SUM_INPUT_MANIFEST], err, errlen);
    if (st == CFS_OK) st = write_manifest(p[CFS_SUM_MANIFEST], s, argv_line, err, errlen);
    /* Out of memory anywhere above (a report that printed nothing, a table cut short, or
     * a failure that showed as another error): nothing is published, and it says so. */
    if (cfs_nomem_failed()) st = cfs_nomem_status(NULL, err, errlen);
    /* The files were made in our own 0700 directory: their modes can be set by name.
     * The directory's mode comes last, since it may deny us writing. */
    for (int i = 0; i < NSUMFILES && st == CFS_OK; i++)
        if ((i != CFS_SUM_INPUT_MANIFEST || s->mf) && chmod(p[i], fmode) != 0) {
            snprintf(err, errlen, "%s: cannot set its mode: %s", p[i], strerror(errno));
            st = CFS_E_IO;
        }
    for (int i = 0; i < NSUMFILES; i++) free(p[i]);
    if (st == CFS_OK && chmod(tmp, dmode) != 0) {
        snprintf(err, errlen, "%s: cannot set its mode: %s", tmp, strerror(errno));
        st = CFS_E_IO;
    }
    /* Interrupted while writing: the previous summary stays, the new one is dropped. */
    if (st == CFS_OK && s->stop && *s->stop) {
        snprintf(err, errlen, "%s: interrupted", dir);
        st = CFS_E_INTERRUPTED;
    }
    if (st == CFS_OK) {
        fsync_dir(tmp);
        int rc;
        /* With no summary there, RENAME_NOREPLACE: whatever appeared meanwhile is kept.  So
         * too where there was none when the run began (new_dir): a summary another run
         * published since, which no lock held, is not replaced by this one. */
        const int replace = oi.exists && !s->new_dir;
        if (replace) rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE);
        else {
            rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE);
            if (rc != 0 && errno == EINVAL && !oi.exists) rc = rename(tmp, dir); /* no such flag there */
        }
        if (rc != 0 && !replace && (errno == EEXIST || errno == ENOTEMPTY || errno == EINVAL) && s->new_dir) {
            snprintf(err, errlen,
                     "%s: another run published a summary there while this one ran: this run's is not "
                     "written (run again, with --update to add to it)",
                     dir);
            st = CFS_E_IO;
        } else if (rc != 0) {
            snprintf(err, errlen, "%s: cannot move the new summary into place: %s", dir, strerror(errno));
            st = CFS_E_IO;
        } else {
            /* the parent directory entry must reach the disk too */
            char *parent = strdup(dir); /* out of memory: in place, only not synced */
            char *slash = parent ? strrchr(parent, '/') : NULL;
            if (slash && slash != parent) *slash = 0;
            else if (slash) slash[1] = 0;
            else if (parent) strcpy(parent, ".");
            if (parent) fsync_dir(parent);
            free(parent);
        }
    }
    rm_tree(tmp); /* after an exchange, tmp holds the previous summary */
    free(tmp);
    free(bare);
    return st;
}

cfs_status cfs_summary_lock(const char *dir, int *fd_out, int *absent, char *err, size_t errlen)
{
    *fd_out = -1;
    *absent = 0;
    for (int tries = 0; tries < 64; tries++) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) { /* no summary yet: nothing counted to add to */
                *absent = 1;
                return CFS_OK;
            }
            snprintf(err, errlen, "%s: cannot open the summary to hold it: %s", dir, strerror(errno));
            return CFS_E_IO;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            close(fd);
            if (e == EWOULDBLOCK) {
                snprintf(
                    err, errlen,
                    "%s: another cfscan is writing this summary (its scan -o or merge -o has not ended); "
                    "nothing was read or written: run again when it has",
                    dir);
                return CFS_E_IO;
            }
            if (e == ENOLCK || e == EINVAL || e == ENOTSUP) return CFS_OK; /* no locks there */
            snprintf(err, errlen, "%s: cannot hold the summary: %s", dir, strerror(e));
            return CFS_E_IO;
        }
        /* the directory locked is still the one at dir, not one a publish swapped out */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(dir, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            *fd_out = fd;
            return CFS_OK;
        }
        close(fd);
    }
    snprintf(err, errlen, "%s: replaced again and again while this run tried to hold it", dir);
    return CFS_E_IO;
}
