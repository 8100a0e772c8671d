/* Fuzz target: the CloudFront file-name parser (DISTID.YYYY-MM-DD-HH.unique.gz) and the
 * --since/--until argument parser.  Oracle: no crash, and an accepted name yields a
 * NUL-terminated id of [A-Z0-9] and an hour that is a multiple of 3600. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0; /* paths and arguments are C strings; an embedded NUL just ends them */
    char dist[CFS_DIST_MAX];
    int64_t hour = 0;
    if (cfs_parse_log_name(s, dist, &hour) == 0) {
        size_t n = strnlen(dist, CFS_DIST_MAX);
        if (n == 0 || n >= CFS_DIST_MAX) abort();
        for (size_t i = 0; i < n; i++)
            if (!((dist[i] >= 'A' && dist[i] <= 'Z') || (dist[i] >= '0' && dist[i] <= '9'))) abort();
        if (hour % 3600 != 0) abort();
    }
    /* an accepted --since/--until value lies in the range every log time must (types.h) */
    int64_t t;
    if (cfs_parse_time_arg(s, &t) == 0 && !cfs_time_in_range(t)) abort();
    free(s);
    return 0;
}
