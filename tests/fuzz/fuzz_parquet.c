/* Fuzz target: a Parquet writer round trip.  The fuzzer's bytes choose the columns
 * (type, OPTIONAL, dictionary), small tuning options (so row-group, page and
 * dictionary-fallback boundaries are crossed) and a stream of values, nulls and
 * occasional misuse.  Oracles: no crash, no leak; cfs_pq_close returns CFS_E_USAGE iff
 * the stream misused the API; a file that closed fine starts and ends with "PAR1", its
 * footer length fits, and its Thrift footer parses with FileMetaData.num_rows and the sum
 * of RowGroup.num_rows equal to the rows ended. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/parquet.h"
#include "pipeline/thrift.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input cursor ---- */
typedef struct cur {
    const uint8_t *p;
    size_t n;
} cur;

static unsigned take8(cur *c)
{
    if (!c->n) return 0;
    c->n--;
    return *c->p++;
}

static uint64_t take64(cur *c)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | take8(c);
    return v;
}

/* FileMetaData: field 3 num_rows (i64), field 4 row_groups (list<RowGroup>), RowGroup
 * field 3 num_rows (i64).  Returns 0 when the footer parses. */
static int footer_rows(const uint8_t *p, size_t n, int64_t *num_rows, int64_t *rg_sum)
{
    cfs_td t = {p, p + n, 0};
    int16_t last = 0, id = 0;
    int type;
    *num_rows = -1;
    *rg_sum = 0;
    while (!t.bad && (type = cfs_td_field(&t, &last, &id)) != 0) {
        if (id == 3 && type == CFS_TC_I64) {
            *num_rows = cfs_td_i64(&t);
        } else if (id == 4 && type == CFS_TC_LIST) {
            uint32_t cnt;
            if (cfs_td_list(&t, &cnt) != CFS_TC_STRUCT) return -1;
            for (uint32_t i = 0; i < cnt && !t.bad; i++) {
                int16_t l2 = 0, id2 = 0;
                int t2;
                while (!t.bad && (t2 = cfs_td_field(&t, &l2, &id2)) != 0) {
                    if (id2 == 3 && t2 == CFS_TC_I64) *rg_sum += cfs_td_i64(&t);
                    else cfs_td_skip(&t, t2, 1);
                }
            }
        } else {
            cfs_td_skip(&t, type, 0);
        }
    }
    return t.bad ? -1 : 0;
}

static char g_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_path[0]) {
        snprintf(g_path, sizeof g_path, "/tmp/cfsfuzz-pq.%ld.parquet", (long)getpid());
    }
    cur c = {data, size};
    size_t ncols = 1 + take8(&c) % 6;
    cfs_pq_column cols[6];
    static const char *const names[6] = {"a", "b", "c", "d", "e", "f"};
    for (size_t i = 0; i < ncols; i++) {
        unsigned b = take8(&c);
        cols[i] = (cfs_pq_column){names[i], (cfs_pq_type)(b % 7), (b >> 3) & 1, (b >> 4) & 1};
    }
    cfs_pq_options o;
    memset(&o, 0, sizeof o);
    o.row_group_rows = 1 + take8(&c) % 64;
    o.page_bytes = 16 + take8(&c) * 8;
    o.dict_entries = 1 + take8(&c) % 32;
    o.dict_bytes = 8 + take8(&c) * 4;
    o.zstd_level = 1;
    cfs_pq_writer *w = NULL;
    char err[256];
    if (cfs_pq_open_opts(&w, g_path, cols, ncols, &o, err, sizeof err) != CFS_OK) abort();
    int misuse = 0;
    uint64_t rows = 0;
    while (c.n) {
        for (size_t i = 0; i < ncols; i++) {
            unsigned op = take8(&c); /* 0 (unset) once the input is used up */
            if (op < 16) {
                /* an unset OPTIONAL column is null; an unset REQUIRED one is misuse */
                if (!cols[i].optional) misuse = 1;
                continue;
            }
            if (op < 32) {
                cfs_pq_null(w, i);
                if (!cols[i].optional) misuse = 1;
                continue;
            }
            if (op == 255) { /* deliberate misuse: a setter of another type */
                if (cols[i].type == CFS_PQ_DOUBLE) cfs_pq_str(w, i, "x", 1);
                else cfs_pq_f64(w, i, 1.0);
                misuse = 1;
                continue;
            }
            switch (cols[i].type) {
            case CFS_PQ_INT32: cfs_pq_i64(w, i, (int32_t)(uint32_t)take64(&c)); break;
            case CFS_PQ_INT64:
            case CFS_PQ_TIMESTAMP_MS: cfs_pq_i64(w, i, (int64_t)take64(&c)); break;
            case CFS_PQ_BOOL: cfs_pq_i64(w, i, op & 1); break;
            case CFS_PQ_DOUBLE: {
                uint64_t bits = take64(&c);
                double d;
                memcpy(&d, &bits, sizeof d);
                cfs_pq_f64(w, i, d);
                break;
            }
            case CFS_PQ_STRING:
            case CFS_PQ_BINARY: {
                size_t n = take8(&c) % 24;
                if (n > c.n) n = c.n;
                cfs_pq_str(w, i, (const char *)c.p, n);
                c.p += n;
                c.n -= n;
                break;
            }
            }
        }
        cfs_pq_end_row(w);
        rows++;
    }
    cfs_status st = cfs_pq_close(w, err, sizeof err);
    if (misuse != (st == CFS_E_USAGE)) abort();     /* misuse must be reported, and only misuse */
    if (st != CFS_OK && st != CFS_E_USAGE) abort(); /* /tmp is not full: no I/O error expected */
    if (st == CFS_OK) {
        FILE *f = fopen(g_path, "rb");
        if (!f) abort();
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        uint8_t *b = malloc((size_t)len + 1);
        if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) abort();
        fclose(f);
        if (len < 12 || memcmp(b, "PAR1", 4) || memcmp(b + len - 4, "PAR1", 4)) abort();
        uint32_t flen = (uint32_t)b[len - 8] | (uint32_t)b[len - 7] << 8 | (uint32_t)b[len - 6] << 16 |
                        (uint32_t)b[len - 5] << 24;
        if ((long)flen > len - 12) abort();
        int64_t nr, rg;
        if (footer_rows(b + len - 8 - flen, flen, &nr, &rg) != 0) abort();
        if (nr != (int64_t)rows || rg != (int64_t)rows) abort();
        free(b);
    }
    unlink(g_path);
    return 0;
}
