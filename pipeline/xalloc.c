/* The out-of-memory policy in one place (see xalloc.h). */
#include "pipeline/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p)
{
    if (!p) {
        fprintf(stderr, "cfscan: out of memory\n");
        exit(1);
    }
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
