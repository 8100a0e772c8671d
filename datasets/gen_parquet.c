/* datasets/gen_parquet.c: `cfsgen --layout parquet` writes each log file as CloudFront's
 * standard logging v2 Parquet output instead of text: the v2 layout's fields as columns
 * named as CloudFront names them in Parquet (underscores: x_edge_location, cs_user_agent,
 * timestamp_ms), every column an OPTIONAL string, "-" written as null.  Written with
 * cfscan's own Parquet writer (pipeline/parquet.c: ZSTD, dictionary pages), so that the
 * reader (pipeline/parquet_read.c) is tested against files no DuckDB wrote. */
#include <errno.h>
#include <sys/stat.h>

#include "datasets/gen.h"
#include "pipeline/parquet.h"

/* "cs(User-Agent)" -> "cs_user_agent", "timestamp(ms)" -> "timestamp_ms" */
static void pq_name(const char *f, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        char ch = f[i];
        if (ch == '(') ch = '_';
        else if (ch == ')') continue;
        else if (ch == '-') ch = '_';
        else if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        out[k++] = ch;
    }
    out[k] = 0;
}

int cfs_gen_write_parquet(const char *path, const char *text, size_t n, uint64_t *out_bytes)
{
    /* the text holds one "#Fields:" line and then data lines (v2 has no #Version:) */
    const char *end = text + n, *p = text;
    const char *nl = memchr(p, '\n', n);
    if (!nl || n < 8 || memcmp(p, "#Fields:", 8) != 0) return EINVAL;
    char names[NF][48];
    cfs_pq_column cols[NF];
    size_t nc = 0;
    for (const char *q = p + 8; q < nl && nc < NF;) {
        while (q < nl && *q == ' ') q++;
        const char *s = q;
        while (q < nl && *q != ' ') q++;
        if (q == s) break;
        pq_name(s, (size_t)(q - s), names[nc], sizeof names[nc]);
        cols[nc] = (cfs_pq_column){names[nc], CFS_PQ_STRING, 1, 1};
        nc++;
    }
    cfs_pq_writer *w;
    char err[256];
    if (cfs_pq_open(&w, path, cols, nc, err, sizeof err) != CFS_OK) return EIO;
    for (p = nl + 1; p < end;) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        const char *s = p;
        for (size_t c = 0; c < nc; c++) {
            const char *t = s;
            while (t < e && *t != '\t') t++;
            if (t - s == 1 && *s == '-') cfs_pq_null(w, c);
            else cfs_pq_str(w, c, s, (size_t)(t - s));
            s = t < e ? t + 1 : e;
        }
        cfs_pq_end_row(w);
        p = e + 1;
    }
    if (cfs_pq_close(w, err, sizeof err) != CFS_OK) return EIO;
    struct stat st;
    *out_bytes = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    return 0;
}
