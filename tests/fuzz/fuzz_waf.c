/* Fuzz target: the AWS WAF log reader (JSON lines, gzip or plain) on a file of the
 * fuzzer's bytes, with and without a time window.  Oracle: no crash, no leak, and
 * records == kept + bad_lines + (ALLOW/non-terminating or out-of-window) never goes
 * negative: kept and bad_lines are each at most records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/waf.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fz_memfile(data, size, path);
    const char *paths[1] = {path};
    for (int windowed = 0; windowed < 2; windowed++) {
        cfs_waf_index *w = NULL;
        char err[256];
        int64_t since = windowed ? 1700000000 : CFS_NO_TIME, until = windowed ? 1800000000 : CFS_NO_TIME;
        (void)cfs_waf_load(&w, paths, 1, since, until, err, sizeof err);
        if (w) {
            const cfs_waf_stats *s = cfs_waf_get_stats(w);
            if (s->kept > s->records || s->bad_lines > s->records) abort();
            for (size_t i = 0; i < cfs_waf_rule_count(w); i++)
                if (!cfs_waf_rule_name(w, (uint32_t)i)) abort();
            cfs_waf_hit hit;
            (void)cfs_waf_lookup(w, (cfs_span){"abc", 3}, &hit);
            if (size >= 8) (void)cfs_waf_lookup(w, (cfs_span){(const char *)data, 8}, &hit);
        }
        cfs_waf_free(w);
    }
    close(fd);
    return 0;
}
