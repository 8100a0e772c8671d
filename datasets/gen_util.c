/* datasets/gen_util.c: the generator's helpers that are not per field: Zipf-like cumulative
 * tables, civil dates, random identifiers, the CloudFront log encoding of §1.3, and
 * writing a whole file or a directory path. */
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "datasets/gen_util.h"

/* Skewed (Zipf-like) popularity over n items: cum[i] is the cumulative weight up to item i,
 * scaled so that cum[n-1] == 2^31; pick with a binary search on 31 random bits. */
void cfs_gen_build_cum(uint32_t *cum, uint32_t n, double s, double q, const double *w_or_null)
{
    double total = 0;
    for (uint32_t i = 0; i < n; i++) total += w_or_null ? w_or_null[i] : 1.0 / pow(i + q, s);
    double acc = 0;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc += w_or_null ? w_or_null[i] : 1.0 / pow(i + q, s);
        double v = acc / total * 2147483648.0;
        uint32_t c = v >= 2147483648.0 ? 2147483648u : (uint32_t)v;
        if (c <= prev) c = prev + 1; /* every item keeps a non-zero chance */
        cum[i] = c;
        prev = c;
    }
    cum[n - 1] = prev > 2147483648u ? prev : 2147483648u;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
int64_t cfs_gen_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cfs_gen_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

/* "YYYY-MM-DD" (10 bytes, no NUL) */
void cfs_gen_fmt_date(char *out, int64_t days)
{
    int y, m, d;
    cfs_gen_civil_from_days(days, &y, &m, &d);
    char *p = out;
    p = put_2d(p, (unsigned)(y / 100));
    p = put_2d(p, (unsigned)(y % 100));
    *p++ = '-';
    p = put_2d(p, (unsigned)m);
    *p++ = '-';
    put_2d(p, (unsigned)d);
}

void cfs_gen_rand_str(rng_t *r, char *out, size_t n, const char *alpha, uint32_t nalpha)
{
    for (size_t i = 0; i < n; i++) out[i] = alpha[rng_below(r, nalpha)];
    out[n] = 0;
}

/* §1.3: URL-encode bytes 0-32, >= 127 and < > " # % { } | \ ^ ~ [ ] ` ' (space -> %20). */
static inline int needs_enc(unsigned char c)
{
    if (c <= 32 || c >= 127) return 1;
    switch (c) {
    case '<':
    case '>':
    case '"':
    case '#':
    case '%':
    case '{':
    case '}':
    case '|':
    case '\\':
    case '^':
    case '~':
    case '[':
    case ']':
    case '`':
    case '\'': return 1;
    default: return 0;
    }
}

char *cfs_gen_log_encode(char *dst, const char *src, size_t n)
{
    static const char HX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        if (needs_enc(c)) {
            *dst++ = '%';
            *dst++ = HX[c >> 4];
            *dst++ = HX[c & 15];
        } else *dst++ = (char)c;
    }
    return dst;
}

int cfs_gen_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(p, 1, n, f) : 0;
    int bad = w != n;
    if (fclose(f) != 0) bad = 1;
    return bad ? -1 : 0;
}

int cfs_gen_make_dir(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == 0) {
            char c = tmp[i];
            tmp[i] = 0;
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST) return -1;
            tmp[i] = c;
        }
    }
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}
