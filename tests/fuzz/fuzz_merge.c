/* Fuzz target: `cfscan merge` over mutated states.  As in fuzz_state, the fuzzer's bytes
 * are the decompressed state.cfs payload, wrapped with a valid header, zstd frame and
 * checksum (first byte 0xFF: the raw file), so mutations reach the section parser.  An
 * accepted state goes the whole way merge takes it: merged twice into an empty summary
 * (the second time every key collides), settled, and reported as text and JSON.
 * Oracle: no crash, no leak, and memory bounded by run.sh's -rss_limit_mb (the reader's
 * budget for a small state is 64 MiB); the text report holds no control byte but LF (so
 * no string from a state reaches a terminal raw) and the JSON report parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "pipeline/json.h"
#include "pipeline/report.h"
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

static void report(const cfs_summary *all)
{
    cfs_view res;
    char verr[256];
    if (cfs_summary_view(all, &res, verr, sizeof verr) != CFS_OK) abort();
    cfs_report_opts ro = {.top = 5,
                          .with_waf = all->nwaf_rules > 0,
                          .waf_rules = (const char *const *)all->waf_rules,
                          .nwaf_rules = all->nwaf_rules};
    char *txt = NULL, *js = NULL;
    size_t tn = 0, jn = 0;
    FILE *t = open_memstream(&txt, &tn), *j = open_memstream(&js, &jn);
    if (!t || !j) abort();
    cfs_report_text(t, &res, &ro);
    cfs_report_json(j, &res, &ro);
    fclose(t);
    fclose(j);
    for (size_t i = 0; i < tn; i++)
        if (((unsigned char)txt[i] < 0x20 && txt[i] != '\n') || txt[i] == 0x7f)
            abort(); /* raw control byte */
    cfs_json_doc doc;
    memset(&doc, 0, sizeof doc);
    char jerr[256];
    if (cfs_json_parse(&doc, js, jn, jerr, sizeof jerr) != CFS_OK) abort();
    cfs_json_doc_free(&doc);
    free(txt);
    free(js);
    cfs_view_free(&res);
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
    if (cfs_state_read(&s, path, err, sizeof err) == CFS_OK) {
        cfs_summary all;
        memset(&all, 0, sizeof all);
        cfs_agg_init(&all.agg);
        cfs_summary_merge(&all, &s);
        cfs_summary_merge(&all, &s);
        if (all.ninputs != 2 * s.ninputs) abort();
        report(&all);
        cfs_summary_free(&all);
    } else if (!err[0]) {
        abort(); /* a refusal always says why */
    }
    cfs_summary_free(&s);
    close(fd);
    return 0;
}
