/* Fuzz target: v2 JSON lines (pipeline/v2json.c).  The input is cut into lines; each line
 * goes through one state that keeps the shape it learned (so the fast path runs on lines
 * like the one before) and through a fresh state (the strict parser alone).  Oracle
 * besides "no crash, no leak": both give the same verdict and, for an accepted line, the
 * same bytes in every field and the same time and status, so the fast path never accepts,
 * refuses or reads a line differently from the strict parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/fields.h"
#include "pipeline/v2json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_record(const cfs_record *a, const cfs_record *b)
{
    if (a->ts != b->ts || a->status != b->status || a->result != b->result) abort();
    for (unsigned f = 0; f < CFS_F_COUNT; f++) {
        cfs_span x = a->f[f], y = b->f[f];
        if (x.n != y.n || (x.p == NULL) != (y.p == NULL)) abort();
        if (x.n && memcmp(x.p, y.p, x.n) != 0) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfs_fields_init();
    cfs_v2json keep, fresh;
    memset(&keep, 0, sizeof keep);
    memset(&fresh, 0, sizeof fresh);
    const char *p = (const char *)data, *end = p + size;
    /* the first byte picks what the caller needs: every field, or the lean ones */
    unsigned need = size && (data[0] & 1) ? CFS_PARSE_ALL : 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cfs_record a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        int la, lb;
        int ra = cfs_v2json_line(&keep, p, n, &a, need, &la);
        int rb = cfs_v2json_line(&fresh, p, n, &b, need, &lb);
        if (ra != rb) abort();
        if (ra == CFS_RECORD_OK) same_record(&a, &b);
        /* a fresh state for every line: it must never learn from another */
        cfs_v2json_free(&fresh);
        p += n + 1;
    }
    cfs_v2json_free(&keep);
    return 0;
}
