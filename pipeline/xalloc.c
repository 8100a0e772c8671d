/* The out-of-memory policy in one place (see xalloc.h). */
#include "pipeline/xalloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void cfs_out_of_memory(void)
{
    fprintf(stderr, "cfscan: out of memory\n");
    exit(1);
}

static void *check(void *p)
{
    if (!p) cfs_out_of_memory();
    return p;
}

void *cfs_xmalloc(size_t n) { return check(malloc(n ? n : 1)); }
void *cfs_xcalloc(size_t n, size_t size) { return check(calloc(n ? n : 1, size ? size : 1)); }
void *cfs_xrealloc(void *p, size_t n) { return check(realloc(p, n ? n : 1)); }

char *cfs_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(cfs_xmalloc(n), s, n);
}

/* ---- memory budget --------------------------------------------------------------------- */
static _Atomic int64_t g_held;
static _Atomic uint64_t g_limit;
static atomic_int g_over;
static _Atomic int64_t g_peak;

void cfs_mem_charge(int64_t delta)
{
    int64_t now = atomic_fetch_add_explicit(&g_held, delta, memory_order_relaxed) + delta;
    if (delta <= 0) return;
    int64_t peak = atomic_load_explicit(&g_peak, memory_order_relaxed);
    while (now > peak && !atomic_compare_exchange_weak_explicit(&g_peak, &peak, now, memory_order_relaxed,
                                                                memory_order_relaxed)) {
    }
    uint64_t lim = atomic_load_explicit(&g_limit, memory_order_relaxed);
    if (lim && now > 0 && (uint64_t)now > lim) atomic_store_explicit(&g_over, 1, memory_order_relaxed);
}

int64_t cfs_mem_peak(void) { return atomic_load_explicit(&g_peak, memory_order_relaxed); }

int64_t cfs_mem_held(void) { return atomic_load_explicit(&g_held, memory_order_relaxed); }

void cfs_mem_set_limit(uint64_t bytes)
{
    atomic_store(&g_limit, bytes);
    atomic_store(&g_over, 0);
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

int cfs_mem_over(void) { return atomic_load_explicit(&g_over, memory_order_relaxed); }

void *cfs_xrealloc_charged(void *p, size_t old, size_t n)
{
    void *q = cfs_xrealloc(p, n);
    cfs_mem_charge((int64_t)n - (int64_t)old + (p ? 0 : CFS_MEM_BLOCK));
    return q;
}

void cfs_free_charged(void *p, size_t n)
{
    if (!p) return;
    free(p);
    cfs_mem_charge(-(int64_t)n - CFS_MEM_BLOCK);
}
