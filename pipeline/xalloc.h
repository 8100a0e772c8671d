/* Allocation that cannot fail from the caller's point of view: cfscan has no useful way
 * to continue a scan without memory, so these print one message and exit(1). */
#ifndef CFSCAN_PIPELINE_XALLOC_H
#define CFSCAN_PIPELINE_XALLOC_H

#include <stddef.h>
#include <stdint.h>

void *cfs_xmalloc(size_t n);            /* n == 0 allocates 1 byte */
void *cfs_xcalloc(size_t n, size_t size);
void *cfs_xrealloc(void *p, size_t n);
char *cfs_xstrdup(const char *s);
_Noreturn void cfs_out_of_memory(void); /* the message and exit(1) */

/* ---- the aggregation's memory budget (--memory-limit) ---------------------------------
 * The bytes held by the aggregation (hash tables, their rows, the sketches), all threads
 * together, in one atomic counter charged where that memory is allocated or released:
 * table growth and sketch growth, which happen once per new key or doubling, never per
 * line.  Once the total passes the limit the "over" flag stays set; the scan and merge
 * check it between windows and inputs and stop.  Heap bookkeeping is counted as
 * CFS_MEM_BLOCK bytes per allocation. */
#define CFS_MEM_BLOCK 16
void cfs_mem_charge(int64_t delta);     /* + allocated, - released */
int64_t cfs_mem_held(void);
void cfs_mem_set_limit(uint64_t bytes); /* 0: no limit; clears the flag */
uint64_t cfs_mem_limit(void);
int cfs_mem_over(void);
int64_t cfs_mem_peak(void);             /* the most held since the limit was set */
/* The default budget: half of the smaller of physical memory and the cgroup v2
 * memory.max of this process (/proc/self/cgroup, under /sys/fs/cgroup), if any. */
uint64_t cfs_mem_default_limit(void);
/* "BYTES" with an optional K, M or G suffix (powers of 1024); 0 if malformed, zero or
 * too large. */
uint64_t cfs_mem_parse(const char *s);
/* realloc/free that charge the counter: old and n are the sizes of p before and after
 * (p NULL: a new block) */
void *cfs_xrealloc_charged(void *p, size_t old, size_t n);
void cfs_free_charged(void *p, size_t n);

#endif
