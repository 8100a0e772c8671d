/* Test helpers: temporary files, compression for fixtures, and running the built cfscan
 * and cfsgen programs with their output captured. */
#include "tests/util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    char *p = malloc(strlen(base) + 32);
    sprintf(p, "%s/cfstest.XXXXXX", base);
    if (!mkdtemp(p)) {
        perror("mkdtemp");
        abort();
    }
    return p;
}

char *tu_write(const char *dir, const char *name, const void *data, size_t n)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) {
        perror(p);
        abort();
    }
    if (n && fwrite(data, 1, n, f) != n) abort();
    fclose(f);
    return p;
}

char *tu_write_str(const char *dir, const char *name, const char *s)
{
    return tu_write(dir, name, s, strlen(s));
}

void *tu_gzip(const void *data, size_t n, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t cap = deflateBound(&zs, (uLong)n) + 64;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) abort();
    *out_n = zs.total_out;
    deflateEnd(&zs);
    return out;
}

void *tu_zstd(const void *data, size_t n, size_t *out_n)
{
    size_t cap = ZSTD_compressBound(n);
    void *out = malloc(cap);
    size_t r = ZSTD_compress(out, cap, data, n, 3);
    if (ZSTD_isError(r)) abort();
    *out_n = r;
    return out;
}

char *tu_prog(const char *name)
{
    const char *dir = getenv("CFS_BUILD_DIR");
#ifdef CFS_BUILD_DIR
    if (!dir || !*dir) dir = CFS_BUILD_DIR;
#endif
    if (!dir) dir = ".";
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* The whole stream, NUL-terminated; *len (if given) gets its byte count, which is also
 * right for binary data holding NULs. */
static char *slurp_fd_len(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t k;
    while ((k = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (cap - n < 2) {
            cap *= 2;
            b = realloc(b, cap);
        }
    }
    b[n] = 0;
    if (len) *len = n;
    return b;
}

static char *slurp_fd(FILE *f) { return slurp_fd_len(f, NULL); }

int tu_run(const char *cmd, char **out, char **err)
{
    char errpath[] = "/tmp/cfstest-err.XXXXXX";
    int efd = mkstemp(errpath);
    if (efd < 0) abort();
    close(efd);
    size_t need = strlen(cmd) + strlen(errpath) + 16;
    char *full = malloc(need);
    snprintf(full, need, "%s 2>%s", cmd, errpath);
    FILE *p = popen(full, "r");
    free(full);
    if (!p) return -1;
    char *o = slurp_fd(p);
    int st = pclose(p);
    if (out) *out = o;
    else free(o);
    if (err) *err = tu_read(errpath, NULL);
    unlink(errpath);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

char *tu_read(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *b = slurp_fd_len(f, n);
    fclose(f);
    return b;
}

void tu_rmrf(const char *dir)
{
    if (!dir || strlen(dir) < 8) return;
    char *cmd = malloc(strlen(dir) + 16);
    sprintf(cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) { /* best effort */
    }
    free(cmd);
}

int tu_have_samples(void)
{
#ifdef CFS_SAMPLES_DIR
    struct stat st;
    return stat(CFS_SAMPLES_DIR "/elastic-integrations-test-cloudfront.log", &st) == 0;
#else
    return 0;
#endif
}

int tu_run_rss(const char *cmd, const char *out_path, const char *err_path, long *rss_kb)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = err_path ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : 2;
        if (fd < 0 || fe < 0) _exit(127);
        dup2(fd, 1);
        dup2(fe, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) return -1;
    *rss_kb = ru.ru_maxrss;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

const char *tu_tsv_rest(const char *tsv, const char *key)
{
    static char buf[512];
    buf[0] = '\0';
    size_t kn = strlen(key);
    for (const char *p = tsv; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n > kn && strncmp(p, key, kn) == 0 && p[kn] == '\t') {
            size_t k = n - kn - 1;
            if (k >= sizeof buf) k = sizeof buf - 1;
            memcpy(buf, p + kn + 1, k);
            buf[k] = '\0';
            break;
        }
        p = nl ? nl + 1 : NULL;
    }
    return buf;
}

const char *tu_tsv_row(const char *tsv, const char *key)
{
    /* without the last column (`requests`: the candidates) */
    char *rest = (char *)tu_tsv_rest(tsv, key);
    char *last = strrchr(rest, '\t');
    if (last) *last = '\0';
    return rest;
}
