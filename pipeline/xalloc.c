/* The out-of-memory policy in one place (see xalloc.h): allocation that records what
 * failed, the fault-injection hook of the tests, and the memory budget. */
#include "pipeline/xalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- allocation and the sticky failure ------------------------------------------------ */
static _Atomic(const char *) g_nomem;              /* what failed first; NULL: nothing */
static _Atomic uint64_t g_fail_after = UINT64_MAX; /* test hook: allocations left to succeed */

void cfs_nomem(const char *what)
{
    const char *none = NULL;
    atomic_compare_exchange_strong(&g_nomem, &none, what ? what : "");
}

int cfs_nomem_failed(void) { return atomic_load_explicit(&g_nomem, memory_order_relaxed) != NULL; }

const char *cfs_nomem_what(void)
{
    const char *w = atomic_load(&g_nomem);
    return w ? w : "";
}

cfs_status cfs_nomem_status(const char *fallback, char *err, size_t errlen)
{
    const char *w = atomic_load(&g_nomem);
    if (!w) w = fallback ? fallback : "";
    if (err && errlen) snprintf(err, errlen, "out of memory%s%s", *w ? " " : "", w);
    return CFS_E_NOMEM;
}

void cfs_nomem_reset(void) { atomic_store(&g_nomem, NULL); }

void cfs_alloc_fail_after(uint64_t n) { atomic_store(&g_fail_after, n); }

/* 0 when this allocation may be tried: nothing failed yet and the test hook (if set) has
 * allocations left.  The hook's counter is touched only while it is set. */
static int refuse(const char *what)
{
    if (atomic_load_explicit(&g_nomem, memory_order_relaxed)) return 1;
    uint64_t left = atomic_load_explicit(&g_fail_after, memory_order_relaxed);
    while (left != UINT64_MAX) {
        if (left == 0) {
            cfs_nomem(what);
            return 1;
        }
        if (atomic_compare_exchange_weak(&g_fail_after, &left, left - 1)) break;
    }
    return 0;
}

static void *check(void *p, const char *what)
{
    if (!p) cfs_nomem(what);
    return p;
}

void *cfs_malloc(size_t n, const char *what) { return refuse(what) ? NULL : check(malloc(n ? n : 1), what); }

void *cfs_calloc(size_t n, size_t size, const char *what)
{
    return refuse(what) ? NULL : check(calloc(n ? n : 1, size ? size : 1), what);
}

void *cfs_realloc(void *p, size_t n, const char *what)
{
    return refuse(what) ? NULL : check(realloc(p, n ? n : 1), what);
}

char *cfs_strdup(const char *s, const char *what)
{
    size_t n = strlen(s) + 1;
    char *d = cfs_malloc(n, what);
    return d ? memcpy(d, s, n) : NULL;
}

/* ---- memory budget --------------------------------------------------------------------- */
static _Atomic int64_t g_held;
static _Atomic uint64_t g_limit;
static atomic_int g_over;
static _Atomic int64_t g_peak;
static _Atomic uint64_t g_refused;

void cfs_mem_charge(int64_t delta)
{
    int64_t now = atomic_fetch_add_explicit(&g_held, delta, memory_order_relaxed) + delta;
    if (delta <= 0) return;
    int64_t peak = atomic_load_explicit(&g_peak, memory_order_relaxed);
    while (now > peak && !atomic_compare_exchange_weak_explicit(&g_peak, &peak, now, memory_order_relaxed,
                                                                memory_order_relaxed)) {}
    uint64_t lim = atomic_load_explicit(&g_limit, memory_order_relaxed);
    if (lim && now > 0 && (uint64_t)now > lim) atomic_store_explicit(&g_over, 1, memory_order_relaxed);
}

int cfs_mem_refuse(size_t more)
{
    const uint64_t lim = atomic_load_explicit(&g_limit, memory_order_relaxed);
    const int64_t held = atomic_load_explicit(&g_held, memory_order_relaxed);
    if (!lim || more < ((size_t)1 << 20) || (held > 0 ? (uint64_t)held : 0) + more <= lim) return 0;
    uint64_t none = 0;
    atomic_compare_exchange_strong(&g_refused, &none, (uint64_t)more);
    atomic_store_explicit(&g_over, 1, memory_order_relaxed);
    return 1;
}

uint64_t cfs_mem_refused(void) { return atomic_load(&g_refused); }

int64_t cfs_mem_peak(void) { return atomic_load_explicit(&g_peak, memory_order_relaxed); }

int64_t cfs_mem_held(void) { return atomic_load_explicit(&g_held, memory_order_relaxed); }

void cfs_mem_set_limit(uint64_t bytes)
{
    atomic_store(&g_limit, bytes);
    atomic_store(&g_over, 0);
    atomic_store(&g_refused, 0);
    atomic_store(&g_peak, atomic_load(&g_held));
}

/* A number from a one-line file ("max" or anything else: 0). */
static uint64_t read_u64_file(const char *path)
{
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    char buf[64] = "";
    uint64_t v = 0;
    if (fgets(buf, sizeof buf, f)) {
        char *end;
        unsigned long long x = strtoull(buf, &end, 10);
        if (end != buf && (*end == '\n' || *end == 0)) v = x;
    }
    fclose(f);
    return v;
}

uint64_t cfs_mem_default_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
    uint64_t mem = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
    /* cgroup v2: "0::/path" in /proc/self/cgroup names this process's group */
    char line[512], path[700];
    FILE *f = fopen("/proc/self/cgroup", "re");
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "0::", 3) != 0) continue;
        line[strcspn(line, "\n")] = 0;
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", line + 3);
        uint64_t v = read_u64_file(path);
        if (v && (!mem || v < mem)) mem = v;
    }
    if (f) fclose(f);
    uint64_t v = read_u64_file("/sys/fs/cgroup/memory.max");
    if (v && (!mem || v < mem)) mem = v;
    return mem ? mem / 2 : (uint64_t)4 << 30; /* unknown: 4 GiB */
}

uint64_t cfs_mem_parse(const char *s)
{
    if (!s || *s < '0' || *s > '9') return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return 0;
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10, end++;
    else if (*end == 'M' || *end == 'm') shift = 20, end++;
    else if (*end == 'G' || *end == 'g') shift = 30, end++;
    if (*end) return 0;
    if (shift && v > (UINT64_MAX >> shift)) return 0;
    return (uint64_t)v << shift;
}

uint64_t cfs_mem_limit(void) { return atomic_load(&g_limit); }

/* A failed allocation stops the run where going over the budget does. */
int cfs_mem_over(void) { return atomic_load_explicit(&g_over, memory_order_relaxed) || cfs_nomem_failed(); }

void *cfs_realloc_charged(void *p, size_t old, size_t n, const char *what)
{
    void *q = cfs_realloc(p, n, what);
    if (!q) return NULL;
    cfs_mem_charge((int64_t)n - (int64_t)old + (p ? 0 : CFS_MEM_BLOCK));
    return q;
}

void cfs_free_charged(void *p, size_t n)
{
    if (!p) return;
    free(p);
    cfs_mem_charge(-(int64_t)n - CFS_MEM_BLOCK);
}
