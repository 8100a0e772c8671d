/* Fuzz target: the summary state reader behind `cfscan merge` (state.cfs).  The file's
 * XXH3 checksum would stop a fuzzer at the door, so by default the fuzzer's bytes are
 * the decompressed *payload* and this target wraps them as the writer does (header,
 * zstd frame, checksum trailer); when the first byte is 0xFF the rest is the raw file,
 * which exercises the header, trailer and checksum checks.  An accepted state is merged
 * into an empty summary, written back and read again.  Oracle: no crash, no leak, and a
 * state that was read once is read again after writing it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "pipeline/summary.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* header + zstd(payload) + "CFSSEND!" + XXH3-64 of everything before, as cfs_state_write. */
static uint8_t *wrap(const uint8_t *p, size_t n, size_t *outn)
{
    size_t bound = ZSTD_compressBound(n);
    uint8_t *f = malloc(20 + bound + 16);
    if (!f) abort();
    memcpy(f, "CFSSTATE", 8);
    for (int i = 0; i < 4; i++) f[8 + i] = (uint8_t)(CFS_SUMMARY_SCHEMA >> (8 * i));
    for (int i = 0; i < 8; i++) f[12 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    size_t zn = ZSTD_compress(f + 20, bound, p, n, 1);
    if (ZSTD_isError(zn)) abort();
    uint64_t h = cfs_hash_bytes(f, 20 + zn);
    memcpy(f + 20 + zn, "CFSSEND!", 8);
    for (int i = 0; i < 8; i++) f[28 + zn + i] = (uint8_t)(h >> (8 * i));
    *outn = 36 + zn;
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *file;
    size_t fn;
    if (size && data[0] == 0xff) {
        file = malloc(size);
        if (!file) abort();
        memcpy(file, data + 1, size - 1);
        fn = size - 1;
    } else {
        file = wrap(data, size, &fn);
    }
    char path[64];
    int fd = fz_memfile(file, fn, path);
    free(file);
    cfs_summary s;
    char err[512];
    cfs_status st = cfs_state_read(&s, path, err, sizeof err);
    if (st == CFS_OK) {
        cfs_summary all;
        memset(&all, 0, sizeof all);
        cfs_agg_init(&all.agg);
        cfs_summary_merge(&all, &s);
        char tmp[] = "/tmp/cfsfuzz-state.XXXXXX";
        int tfd = mkstemp(tmp);
        if (tfd < 0) abort();
        close(tfd);
        if (cfs_state_write(&all, tmp, err, sizeof err) == CFS_OK) {
            cfs_summary again;
            if (cfs_state_read(&again, tmp, err, sizeof err) != CFS_OK) abort(); /* written, unreadable */
            if (again.ninputs != all.ninputs) abort();
            cfs_summary_free(&again);
        }
        unlink(tmp);
        cfs_summary_free(&all);
    }
    cfs_summary_free(&s);
    close(fd);
    return 0;
}
