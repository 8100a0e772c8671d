/* The library's one out-of-memory policy.  Nothing in pipeline/ exits: an allocation that
 * fails returns NULL and records a sticky failure that names what could not be allocated
 * (the first failure wins).  From then on every allocation made through these functions
 * fails too, so that nothing grows after the run is already lost, and cfs_mem_over()
 * reports 1: the scan and the merge stop at their next budget check (between windows and
 * inputs, never per line) and return CFS_E_NOMEM.  Call sites that run per new key (the
 * counter, the maps, the sketches) keep their structure as it was and count into a
 * throw-away slot instead; everything else returns CFS_E_NOMEM with the message.  Only
 * the command line turns that into an exit status (1). */
#ifndef CFSCAN_PIPELINE_XALLOC_H
#define CFSCAN_PIPELINE_XALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/types.h"

/* what: the object being allocated, completing "out of memory <what>" (a string literal
 * or one that lives as long as the process). */
void *cfs_malloc(size_t n, const char *what); /* n == 0 allocates 1 byte */
void *cfs_calloc(size_t n, size_t size, const char *what);
void *cfs_realloc(void *p, size_t n, const char *what); /* NULL: p is left as it was */
char *cfs_strdup(const char *s, const char *what);
/* Record a failure of an allocation made elsewhere (a zstd context, a libc call). */
void cfs_nomem(const char *what);
/* 1 once an allocation failed (until cfs_nomem_reset). */
int cfs_nomem_failed(void);
/* What failed: "out of memory <what>"; "" when nothing did. */
const char *cfs_nomem_what(void);
/* CFS_E_NOMEM, with "out of memory <what>" in err (what: the recorded failure, else
 * fallback). */
cfs_status cfs_nomem_status(const char *fallback, char *err, size_t errlen);
void cfs_nomem_reset(void); /* for tests: forget the failure */
/* Test hook (fault injection): the allocation made through these functions after the
 * next n succeeds fails, as does every later one; UINT64_MAX turns it off.  The command
 * line sets it from CFSCAN_FAIL_ALLOC_AFTER. */
void cfs_alloc_fail_after(uint64_t n);

/* ---- the aggregation's memory budget (--memory-limit) ---------------------------------
 * The bytes held by the aggregation (hash tables, their rows, the sketches), all threads
 * together, in one atomic counter charged where that memory is allocated or released:
 * table growth and sketch growth, which happen once per new key or doubling, never per
 * line.  Once the total passes the limit the "over" flag stays set; the scan and merge
 * check it between windows and inputs and stop.  Heap bookkeeping is counted as
 * CFS_MEM_BLOCK bytes per allocation. */
#define CFS_MEM_BLOCK 16
void cfs_mem_charge(int64_t delta); /* + allocated, - released */
int64_t cfs_mem_held(void);
void cfs_mem_set_limit(uint64_t bytes); /* 0: no limit; clears the flag */
uint64_t cfs_mem_limit(void);
int cfs_mem_over(void);     /* 1 once over the limit, or once an allocation failed */
int64_t cfs_mem_peak(void); /* the most held since the limit was set */
/* Whether to refuse a growth of `more` bytes (1 MiB or more) that would pass the limit:
 * then 1, and the "over" flag is set, so the run stops at its next check, as if the
 * growth had been made.  Only for tables that take a refused growth as one that could
 * not be made and whose run has a check after them (the per-thread counters, counter.c):
 * a hash table's doubling is the one step between two checks that can take the bytes held
 * far past the limit. */
int cfs_mem_refuse(size_t more);
/* The bytes of the first growth refused since the limit was set, 0 for none. */
uint64_t cfs_mem_refused(void);
/* The default budget: half of the smaller of physical memory and the cgroup v2
 * memory.max of this process (/proc/self/cgroup, under /sys/fs/cgroup), if any. */
uint64_t cfs_mem_default_limit(void);
/* "BYTES" with an optional K, M or G suffix (powers of 1024); 0 if malformed, zero or
 * too large. */
uint64_t cfs_mem_parse(const char *s);
/* realloc/free that charge the counter: old and n are the sizes of p before and after
 * (p NULL: a new block); NULL (nothing charged, p as it was) when it fails. */
void *cfs_realloc_charged(void *p, size_t old, size_t n, const char *what);
void cfs_free_charged(void *p, size_t n);

#endif
