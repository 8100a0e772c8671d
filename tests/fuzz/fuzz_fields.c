/* Fuzz target: the #Fields: header and line parser, through the whole scan pipeline
 * (decode, structural scan kernel, layout, record, attribution, aggregation, the
 * `requests` row collector) on one file of the fuzzer's bytes.  The first byte picks
 * options: bit 0 cuts the input into blocks (the large-file path), bit 1 collects
 * `requests` rows, bit 2 names a distribution as a CloudFront file name would (so common
 * lines are counted without a record, fields.h CFS_PARSE_PLAIN).  Oracles: no crash, no
 * leak, the nothing-lost invariant
 *   lines == header + blank + aggregated + filtered + rejected,
 * every collected row is one line (no LF) of the chosen fields, and with bit 2 the same
 * counts, traffic table and origin histograms as every line counted from its record
 * (CFS_PLAIN_LANE=0). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/aggregate.h"
#include "pipeline/fields.h"
#include "pipeline/scan.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const cfs_field k_out[] = {CFS_F_UNKNOWN,     CFS_F_DATE,          CFS_F_EDGE_LOCATION,  CFS_F_C_IP,
                                  CFS_F_CS_URI_STEM, CFS_F_CS_USER_AGENT, CFS_F_EDGE_REQUEST_ID};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned opt = data[0];
    data++;
    size--;
    /* The layout parser alone on the first line (it is also reached through the scan). */
    const uint8_t *nl = memchr(data, '\n', size);
    size_t first = nl ? (size_t)(nl - data) : size;
    cfs_fields_init();
    cfs_layout l;
    memset(&l, 0, sizeof l);
    if (cfs_layout_parse(&l, (const char *)data, first) == CFS_OK && (l.ncols == 0 || l.ncols > CFS_MAX_COLS))
        abort();

    char path[64];
    int fd = fz_memfile(data, size, path);
    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, path, CFS_NO_TIME, CFS_NO_TIME);
    cfs_filter flt; /* no selection: every row is collected */
    cfs_filter_init(&flt);
    char ferr[128];
    if (cfs_filter_compile(&flt, ferr, sizeof ferr) != CFS_OK) abort();
    cfs_req_filter f;
    memset(&f, 0, sizeof f);
    f.sel = &flt;
    f.out = k_out;
    f.nout = sizeof k_out / sizeof k_out[0];
    cfs_scan_opts o;
    memset(&o, 0, sizeof o);
    o.threads = 1;
    o.since = o.until = CFS_NO_TIME;
    o.big_file = (opt & 1) ? 1 : 0;
    o.filter = (opt & 2) ? &f : NULL;
    if (opt & 4) snprintf(in.v[0].dist, sizeof in.v[0].dist, "%s", "EFUZZDIST00001");
    cfs_scan_result res;
    if (cfs_scan_run(&in, &o, &res) != CFS_OK) abort();
    if (!cfs_is_settled(&res.agg)) abort(); /* the scan ends settled */
    if ((opt & 4) && !(opt & 2)) {
        /* the same scan with every line counted from its record (rows turn the lane off) */
        cfs_scan_result ref;
        setenv("CFS_PLAIN_LANE", "0", 1);
        cfs_status st = cfs_scan_run(&in, &o, &ref);
        unsetenv("CFS_PLAIN_LANE");
        if (st != CFS_OK || ref.nfiles != res.nfiles) abort();
        for (size_t i = 0; i < res.nfiles; i++) {
            const cfs_file_stats *a = &res.files[i], *b = &ref.files[i];
            if (a->lines != b->lines || a->aggregated != b->aggregated || a->filtered != b->filtered ||
                memcmp(a->rejected, b->rejected, sizeof a->rejected) != 0)
                abort();
        }
        if (res.agg.traffic.n != ref.agg.traffic.n) abort();
        for (size_t i = 0; i < res.agg.traffic.n; i++) {
            const cfs_trow *t = cfs_kmap_row(&res.agg.traffic, i);
            const cfs_trow *u = cfs_kmap_find(&ref.agg.traffic, &t->k);
            if (!u || u->requests != t->requests || u->bytes != t->bytes) abort();
        }
        /* a common Miss gives its origin sample on the lane (no config here) */
        if (res.agg.origin.n != ref.agg.origin.n) abort();
        for (size_t i = 0; i < res.agg.origin.n; i++) {
            const cfs_orow *t = cfs_kmap_row(&res.agg.origin, i);
            const cfs_orow *u = cfs_kmap_find(&ref.agg.origin, t->dist);
            if (!u || u->ttfb != t->ttfb || (!t->h) != (!u->h) || (t->h && !cfs_hist_equal(t->h, u->h)))
                abort();
        }
        cfs_scan_result_free(&ref);
    }
    for (size_t i = 0; i < res.nfiles; i++) {
        const cfs_file_stats *s = &res.files[i];
        uint64_t rej = 0;
        for (int r = 0; r < CFS_REJ_COUNT; r++) rej += s->rejected[r];
        if (s->lines != s->header_lines + s->blank_lines + s->aggregated + s->filtered + rej) abort();
        if (s->bytes_out != size && s->status == CFS_OK) abort();
    }
    for (size_t i = 0; i < res.nrows; i++) {
        if (memchr(res.rows[i].text, '\n', res.rows[i].len)) abort();
        size_t tabs = 0;
        for (uint32_t k = 0; k < res.rows[i].len; k++) tabs += res.rows[i].text[k] == '\t';
        if (tabs != f.nout - 1) abort(); /* a value holding a TAB would shift the columns */
    }
    cfs_scan_result_free(&res);
    cfs_filter_free(&flt);
    cfs_inputs_free(&in);
    close(fd);
    return 0;
}
