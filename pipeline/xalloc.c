/* The out-of-memory policy in one place (see xalloc.h). */
#include "pipeline/xalloc.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void cfs_mem_charge(int64_t delta)
{
    int64_t now = atomic_fetch_add_explicit(&g_held, delta, memory_order_relaxed) + delta;
    uint64_t lim = atomic_load_explicit(&g_limit, memory_order_relaxed);
    if (delta > 0 && lim && now > 0 && (uint64_t)now > lim)
        atomic_store_explicit(&g_over, 1, memory_order_relaxed);
}

int64_t cfs_mem_held(void) { return atomic_load_explicit(&g_held, memory_order_relaxed); }

void cfs_mem_set_limit(uint64_t bytes)
{
    atomic_store(&g_limit, bytes);
    atomic_store(&g_over, 0);
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
