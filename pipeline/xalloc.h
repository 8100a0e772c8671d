/* Allocation that cannot fail from the caller's point of view: cfscan has no useful way
 * to continue a scan without memory, so these print one message and exit(1). */
#ifndef CFSCAN_PIPELINE_XALLOC_H
#define CFSCAN_PIPELINE_XALLOC_H

#include <stddef.h>

void *cfs_xmalloc(size_t n);            /* n == 0 allocates 1 byte */
void *cfs_xcalloc(size_t n, size_t size);
void *cfs_xrealloc(void *p, size_t n);
char *cfs_xstrdup(const char *s);

#endif
