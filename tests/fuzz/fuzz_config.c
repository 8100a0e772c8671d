/* Fuzz target: the distribution-config reader (`aws cloudfront get-distribution[-config]`
 * JSON) on a file of the fuzzer's bytes, then the lookups attribution makes with it.
 * Oracle: no crash, no leak; a loaded config answers lookups for any host and URI. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/config.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fz_memfile(data, size, path);
    cfs_config_set set;
    memset(&set, 0, sizeof set);
    char err[256];
    if (cfs_config_load(&set, path, err, sizeof err) == CFS_OK) {
        static const char *const hosts[] = {"", "www.example.com", "a.b.example.com",
                                            "d111111abcdef8.cloudfront.net"};
        static const char *const uris[] = {"", "/", "/images/a.jpg", "/api/v1/x", "*"};
        for (size_t h = 0; h < 4; h++) {
            cfs_span host = {hosts[h], (uint32_t)strlen(hosts[h])};
            const cfs_dist_config *d = cfs_config_find(&set, (cfs_span){"", 0}, host);
            if (!d) continue;
            (void)cfs_config_host_associated(d, host);
            for (size_t u = 0; u < 5; u++)
                (void)cfs_config_behavior(d, (cfs_span){uris[u], (uint32_t)strlen(uris[u])},
                                          (cfs_span){uris[u], (uint32_t)strlen(uris[u])});
        }
    }
    cfs_config_free(&set);
    close(fd);
    return 0;
}
