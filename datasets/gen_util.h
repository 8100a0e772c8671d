/* datasets/gen_util.h: the generator's small building blocks, shared by every datasets/gen_*.c
 * file and by cfsgen.c: string views, growable buffers, the decimal writers of the hot
 * path, and the seeded PRNG with its pickers (uniform, weighted, Zipf-like cumulative).
 * They are static inline: the line writer calls them per field, and they are tiny. */
#ifndef DATASETS_GEN_UTIL_H
#define DATASETS_GEN_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sv {
    const char *p;
    uint32_t n;
} sv;
#define SV(s) ((sv){(s), (uint32_t)(sizeof(s) - 1)})

static inline sv sv_z(const char *s) { return (sv){s, (uint32_t)strlen(s)}; }

typedef struct buf {
    char *p;
    size_t n, cap;
} buf_t;

/* The generator has no use for a half-written data set: out of memory ends the run. */
static inline void die_nomem(void)
{
    fputs("cfsgen: out of memory\n", stderr);
    exit(1);
}

static inline void buf_reserve(buf_t *b, size_t extra)
{
    if (b->n + extra <= b->cap) return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + extra) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) die_nomem();
    b->p = p;
    b->cap = cap;
}

static inline void buf_put(buf_t *b, const void *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}
static inline void buf_puts(buf_t *b, const char *s) { buf_put(b, s, strlen(s)); }
static inline void buf_putsv(buf_t *b, sv s) { buf_put(b, s.p, s.n); }
static inline void buf_putc(buf_t *b, char c) { buf_put(b, &c, 1); }

static inline void buf_free(buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* Decimal writers for the hot path. */
static inline char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) *p++ = tmp[--n];
    return p;
}
static inline char *put_2d(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}
/* Seconds with millisecond resolution, the time-taken / time-to-first-byte format ("0.082"). */
static inline char *put_secs(char *p, uint32_t ms)
{
    p = put_u64(p, ms / 1000);
    *p++ = '.';
    p[0] = (char)('0' + ms / 100 % 10);
    p[1] = (char)('0' + ms / 10 % 10);
    p[2] = (char)('0' + ms % 10);
    return p + 3;
}
static inline char *put_sv(char *p, sv s)
{
    memcpy(p, s.p, s.n);
    return p + s.n;
}
static inline char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* 8 hex digits of h, lowest nibble first (object hashes in paths, cookie ids). */
static inline char *put_hex8(char *p, uint64_t h)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) p[i] = hx[(h >> (4 * i)) & 15];
    return p + 8;
}

/* ---- PRNG: splitmix64 for seeding, xoshiro256** for streams ---- */

typedef struct rng {
    uint64_t s[4];
} rng_t;

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* One 64-bit value from (a, b): used for per-file seeds, names and object sizes, so that
 * every derived value depends only on the seed and a stable index, never on threads. */
static inline uint64_t mix2(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ (b * 0xD1B54A32D192ED03ull);
    splitmix64(&x);
    return splitmix64(&x);
}

static inline void rng_seed(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return res;
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-32, irrelevant here). */
static inline uint32_t rng_below(rng_t *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}
static inline uint32_t rng_range(rng_t *r, uint32_t lo, uint32_t hi) /* inclusive */
{
    return lo + rng_below(r, hi - lo + 1);
}
static inline double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
static inline int rng_pct(rng_t *r, uint32_t pct) { return rng_below(r, 100) < pct; }

/* Pick from small weight tables by linear scan. */
static inline uint32_t pick_w(rng_t *r, const uint16_t *w, uint32_t n)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) total += w[i];
    uint32_t x = rng_below(r, total);
    for (uint32_t i = 0; i < n; i++) {
        if (x < w[i]) return i;
        x -= w[i];
    }
    return n - 1;
}

static inline uint32_t pick_cum(rng_t *r, const uint32_t *cum, uint32_t n)
{
    uint32_t x = (uint32_t)(rng_next(r) >> 33) % cum[n - 1];
    uint32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (cum[mid] > x) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* ---- in gen_util.c ---- */

void cfs_gen_build_cum(uint32_t *cum, uint32_t n, double s, double q, const double *w_or_null);
int64_t cfs_gen_days_from_civil(int64_t y, int m, int d);
void cfs_gen_civil_from_days(int64_t z, int *y, int *m, int *d);
void cfs_gen_fmt_date(char *out, int64_t days);
void cfs_gen_rand_str(rng_t *r, char *out, size_t n, const char *alpha, uint32_t nalpha);
char *cfs_gen_log_encode(char *dst, const char *src, size_t n);
int cfs_gen_write_file(const char *path, const void *p, size_t n);
int cfs_gen_make_dir(const char *path);

#endif
