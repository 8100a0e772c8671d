/* The summary's Parquet tables for analysts (traffic, latency, distinct_clients,
 * top_uris, top_clients, waf_rules, inputs), written from a settled aggregate; each
 * table's columns are documented in README.md. */
#include "pipeline/summary.h"
#include "pipeline/summary_internal.h"
#include "pipeline/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/parquet.h"
#include "pipeline/report.h"
#include "pipeline/sketch.h"
#include "pipeline/waf.h"

/* A table's column count, from its column array. */
#define NCOLS(cols) (sizeof(cols) / sizeof((cols)[0]))

/* ---- Parquet tables ------------------------------------------------------------------------------ */
/* Parquet STRING columns must hold UTF-8 (DuckDB refuses a file with one invalid value).
 * Log values are CloudFront-encoded ASCII, but garbage that parsed and file names may
 * not be: bytes that are not UTF-8, and control bytes, are written percent-encoded the
 * way CloudFront itself encodes them (reference §1.3). */
static void pstrn(cfs_pq_writer *w, size_t c, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t l = cfs_utf8_len(u + i, n - i);
        if (!l || u[i] < 0x20 || u[i] == 0x7f) break;
        i += l;
    }
    if (i == n) {
        cfs_pq_str(w, c, s, n);
        return;
    }
    char *buf = cfs_malloc(n * 3 + 1, "writing a Parquet table");
    if (!buf) return; /* out of memory (recorded): the publish fails before the rename */
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t l = cfs_utf8_len(u + i, n - i);
        if (l && u[i] >= 0x20 && u[i] != 0x7f) {
            memcpy(buf + o, u + i, l);
            o += l;
            i += l;
        } else {
            o += (size_t)sprintf(buf + o, "%%%02X", u[i]);
            i++;
        }
    }
    cfs_pq_str(w, c, buf, o);
    free(buf);
}

static void pstr(cfs_pq_writer *w, size_t c, const char *s) { pstrn(w, c, s, strlen(s)); }

static cfs_status write_traffic(const cfs_agg *a, const char *path, char *err, size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"hour", CFS_PQ_TIMESTAMP_MS, 0, 0},
        {"distribution", CFS_PQ_STRING, 0, 1},
        {"edge", CFS_PQ_STRING, 0, 1},
        {"status", CFS_PQ_INT32, 0, 0},
        {"cause", CFS_PQ_STRING, 0, 1},
        {"evidence", CFS_PQ_STRING, 0, 1},
        {"rule", CFS_PQ_STRING, 0, 1},
        {"requests", CFS_PQ_INT64, 0, 0},
        {"bytes", CFS_PQ_INT64, 0, 0},
        /* undecided 403s (cause unknown): the causes left open, "waf_block|origin_custom" */
        {"candidates", CFS_PQ_STRING, 1, 1},
    };
    cfs_pq_writer *w;
    CFS_FORWARD_IF_ERROR(cfs_pq_open(&w, path, cols, NCOLS(cols), err, errlen));
    void **rows = cfs_sum_sorted_traffic(&a->traffic);
    if (!rows) {
        cfs_pq_abort(w);
        return cfs_nomem_status(NULL, err, errlen);
    }
    for (size_t i = 0; i < a->traffic.n; i++) {
        const cfs_trow *t = rows[i];
        cfs_pq_i64(w, 0, t->k.hour * 1000);
        pstr(w, 1, t->k.dist);
        pstr(w, 2, t->k.edge);
        cfs_pq_i64(w, 3, t->k.status);
        pstr(w, 4, cfs_cause_name((cfs_cause)t->k.cause));
        pstr(w, 5, cfs_evidence_name((cfs_evidence)t->k.evidence));
        pstr(w, 6, cfs_rule_name(t->k.rule));
        cfs_pq_i64(w, 7, (int64_t)t->requests);
        cfs_pq_i64(w, 8, (int64_t)t->bytes);
        uint32_t cand = cfs_candidates(t->k.rule, t->k.excl);
        if (cand) {
            char cs[256];
            size_t n = cfs_candidates_str(cand, cs, sizeof cs);
            cfs_pq_str(w, 9, cs, n);
        } else {
            cfs_pq_null(w, 9);
        }
        cfs_pq_end_row(w);
    }
    free(rows);
    return cfs_pq_close(w, err, errlen);
}

static cfs_status write_groups(const cfs_agg *a, const char *lat_path, const char *dc_path, char *err,
                               size_t errlen)
{
    static const cfs_pq_column lcols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1}, {"cause", CFS_PQ_STRING, 0, 1},
        {"metric", CFS_PQ_STRING, 0, 1},       {"bucket_ms", CFS_PQ_INT64, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},
    };
    static const cfs_pq_column dcols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1},    {"cause", CFS_PQ_STRING, 0, 1},
        {"distinct_clients", CFS_PQ_INT64, 0, 0}, {"relative_std_error", CFS_PQ_DOUBLE, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},
    };
    cfs_pq_writer *lw, *dw;
    CFS_FORWARD_IF_ERROR(cfs_pq_open(&lw, lat_path, lcols, NCOLS(lcols), err, errlen));
    cfs_status st = cfs_pq_open(&dw, dc_path, dcols, NCOLS(dcols), err, errlen);
    if (st != CFS_OK) {
        cfs_pq_abort(lw);
        return st;
    }
    /* HyperLogLog's relative standard error for m registers is 1.04 / sqrt(m): Flajolet,
     * Fusy, Gandouet and Meunier, "HyperLogLog: the analysis of a near-optimal cardinality
     * estimation algorithm" (AofA 2007), theorem 1, where 1.04 rounds sqrt(3 ln 2 - 1). */
    const double rse = 1.04 / sqrt((double)CFS_HLL_REGS);
    void **rows = cfs_sum_sorted_rows(&a->groups, cfs_sum_cmp_gkey);
    if (!rows) {
        cfs_pq_abort(lw);
        cfs_pq_abort(dw);
        return cfs_nomem_status(NULL, err, errlen);
    }
    for (size_t i = 0; i < a->groups.n; i++) {
        const cfs_grow *g = rows[i];
        const char *cause = cfs_cause_name((cfs_cause)g->k.cause);
        const cfs_hist *hs[2] = {&g->g->tt, &g->g->ttfb};
        static const char *const names[2] = {"time_taken", "time_to_first_byte"};
        for (int m = 0; m < 2; m++) {
            uint64_t v;
            for (unsigned b = cfs_hist_next(hs[m], 0, &v); b < CFS_HIST_BUCKETS;
                 b = cfs_hist_next(hs[m], b + 1, &v)) {
                pstr(lw, 0, g->k.dist);
                pstr(lw, 1, cause);
                pstr(lw, 2, names[m]);
                cfs_pq_i64(lw, 3, cfs_hist_bucket_value(b));
                cfs_pq_i64(lw, 4, (int64_t)v);
                cfs_pq_end_row(lw);
            }
        }
        pstr(dw, 0, g->k.dist);
        pstr(dw, 1, cause);
        cfs_pq_i64(dw, 2, (int64_t)(cfs_hll_estimate(&g->g->clients) + 0.5));
        cfs_pq_f64(dw, 3, rse);
        cfs_pq_i64(dw, 4, (int64_t)g->g->tt.count);
        cfs_pq_end_row(dw);
    }
    free(rows);
    char e2[256] = "";
    cfs_status s1 = cfs_pq_close(lw, err, errlen);
    cfs_status s2 = cfs_pq_close(dw, e2, sizeof e2);
    if (s1 == CFS_OK && s2 != CFS_OK) snprintf(err, errlen, "%s", e2);
    return s1 != CFS_OK ? s1 : s2;
}

static cfs_status write_heavy(const cfs_agg *a, const char *upath, const char *cpath, char *err,
                              size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1}, {"cause", CFS_PQ_STRING, 0, 1},
        {"rank", CFS_PQ_INT32, 0, 0},          {"value", CFS_PQ_STRING, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},      {"error", CFS_PQ_INT64, 0, 0},
        {"error_bound", CFS_PQ_INT64, 0, 0},   {"cause_requests", CFS_PQ_INT64, 0, 0},
    };
    cfs_pq_writer *w[2];
    const char *paths[2] = {upath, cpath};
    for (int k = 0; k < 2; k++) {
        cfs_status st = cfs_pq_open(&w[k], paths[k], cols, NCOLS(cols), err, errlen);
        if (st != CFS_OK) {
            if (k) cfs_pq_abort(w[0]);
            return st;
        }
    }
    void **rows = cfs_sum_sorted_rows(&a->heavy, cfs_sum_cmp_gkey);
    if (!rows) {
        cfs_pq_abort(w[0]);
        cfs_pq_abort(w[1]);
        return cfs_nomem_status(NULL, err, errlen);
    }
    cfs_topk_item items[100];
    for (size_t i = 0; i < a->heavy.n; i++) {
        const cfs_hrow *h = rows[i];
        const cfs_topk *t[2] = {h->uris, h->ips};
        for (int k = 0; k < 2; k++) {
            size_t n = cfs_topk_list(t[k], items, 100);
            for (size_t j = 0; j < n; j++) {
                pstr(w[k], 0, h->k.dist);
                pstr(w[k], 1, cfs_cause_name((cfs_cause)h->k.cause));
                cfs_pq_i64(w[k], 2, (int64_t)j + 1);
                pstrn(w[k], 3, items[j].key, items[j].n);
                cfs_pq_i64(w[k], 4, (int64_t)items[j].count);
                cfs_pq_i64(w[k], 5, (int64_t)items[j].error);
                cfs_pq_i64(w[k], 6, (int64_t)cfs_topk_error_bound(t[k]));
                cfs_pq_i64(w[k], 7, (int64_t)cfs_topk_total(t[k]));
                cfs_pq_end_row(w[k]);
            }
        }
    }
    free(rows);
    char e2[256] = "";
    cfs_status s1 = cfs_pq_close(w[0], err, errlen);
    cfs_status s2 = cfs_pq_close(w[1], e2, sizeof e2);
    if (s1 == CFS_OK && s2 != CFS_OK) snprintf(err, errlen, "%s", e2);
    return s1 != CFS_OK ? s1 : s2;
}

static int cmp_wrow_named(const void *a, const void *b)
{
    const cfs_wrow *x = *(const cfs_wrow *const *)a, *y = *(const cfs_wrow *const *)b;
    int c = strcmp(x->dist, y->dist);
    if (c) return c;
    return x->count > y->count ? -1 : x->count < y->count ? 1 : (x->rule > y->rule) - (x->rule < y->rule);
}

static cfs_status write_waf(const cfs_summary *s, const cfs_agg *a, const char *path, char *err,
                            size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"distribution", CFS_PQ_STRING, 0, 1},
        {"rule", CFS_PQ_STRING, 0, 1},
        {"blocks", CFS_PQ_INT64, 0, 0},
    };
    cfs_pq_writer *w;
    CFS_FORWARD_IF_ERROR(cfs_pq_open(&w, path, cols, NCOLS(cols), err, errlen));
    void **rows = cfs_sum_sorted_rows(&a->waf, cmp_wrow_named);
    if (!rows) {
        cfs_pq_abort(w);
        return cfs_nomem_status(NULL, err, errlen);
    }
    for (size_t i = 0; i < a->waf.n; i++) {
        const cfs_wrow *r = rows[i];
        const char *nm = cfs_sum_waf_name(s, r->rule);
        /* the notes' reserved names (waf.h) count 403s, not blocks: not in this table */
        if (strncmp(nm, CFS_WAF_NOTE_PREFIX, sizeof CFS_WAF_NOTE_PREFIX - 1) == 0) continue;
        pstr(w, 0, r->dist);
        pstr(w, 1, nm);
        cfs_pq_i64(w, 2, (int64_t)r->count);
        cfs_pq_end_row(w);
    }
    free(rows);
    return cfs_pq_close(w, err, errlen);
}

static cfs_status write_inputs(const cfs_summary *s, const char *path, char *err, size_t errlen)
{
    static const cfs_pq_column cols[] = {
        {"path", CFS_PQ_STRING, 0, 0},           {"distribution", CFS_PQ_STRING, 1, 1},
        {"format", CFS_PQ_STRING, 0, 1},         {"size_bytes", CFS_PQ_INT64, 0, 0},
        {"modified", CFS_PQ_TIMESTAMP_MS, 1, 0}, {"bytes_read", CFS_PQ_INT64, 0, 0},
        {"bytes_decoded", CFS_PQ_INT64, 0, 0},   {"lines", CFS_PQ_INT64, 0, 0},
        {"requests", CFS_PQ_INT64, 0, 0},        {"filtered", CFS_PQ_INT64, 0, 0},
        {"rejected", CFS_PQ_INT64, 0, 0},        {"error", CFS_PQ_STRING, 1, 0},
    };
    cfs_pq_writer *w;
    /* Row groups of 16384 inputs: this table is the one that grows with the number of
     * inputs, and a row group is what the writer holds in memory. */
    cfs_pq_options opt = {.row_group_rows = 16384};
    CFS_FORWARD_IF_ERROR(cfs_pq_open_opts(&w, path, cols, NCOLS(cols), &opt, err, errlen));
    cfs_sum_input row;
    int more = cfs_summary_inputs_begin(s) == 0 ? 1 : -1;
    while (more > 0 && (more = cfs_summary_inputs_next(s, &row)) > 0) {
        const cfs_sum_input *x = &row;
        const cfs_file_stats *f = &x->st;
        uint64_t rej = 0;
        for (int r = 0; r < CFS_REJ_COUNT; r++) rej += f->rejected[r];
        pstr(w, 0, x->path);
        if (x->dist[0]) pstr(w, 1, x->dist);
        else cfs_pq_null(w, 1);
        pstr(w, 2, cfs_format_name(f->fmt));
        cfs_pq_i64(w, 3, (int64_t)x->size);
        /* An mtime whose milliseconds do not fit 64 bits (tmpfs keeps any time) is
         * written as unknown rather than overflowed. */
        if (x->mtime && x->mtime <= INT64_MAX / 1000 && x->mtime >= INT64_MIN / 1000)
            cfs_pq_i64(w, 4, x->mtime * 1000);
        else cfs_pq_null(w, 4);
        cfs_pq_i64(w, 5, (int64_t)f->bytes_in);
        cfs_pq_i64(w, 6, (int64_t)f->bytes_out);
        cfs_pq_i64(w, 7, (int64_t)f->lines);
        cfs_pq_i64(w, 8, (int64_t)f->aggregated);
        cfs_pq_i64(w, 9, (int64_t)f->filtered);
        cfs_pq_i64(w, 10, (int64_t)rej);
        if (f->status != CFS_OK) pstr(w, 11, f->error[0] ? f->error : cfs_status_str(f->status));
        else cfs_pq_null(w, 11);
        cfs_pq_end_row(w);
        free(row.path);
    }
    if (more < 0) {
        cfs_pq_abort(w);
        snprintf(err, errlen, "%s: reading the input rows back from a temporary file failed", path);
        return CFS_E_IO;
    }
    return cfs_pq_close(w, err, errlen);
}

cfs_status cfs_sum_write_tables(const cfs_summary *s, const cfs_agg *settled, char *const *path, char *err,
                                size_t errlen)
{
    cfs_status st = write_traffic(settled, path[CFS_SUM_TRAFFIC], err, errlen);
    if (st == CFS_OK)
        st = write_groups(settled, path[CFS_SUM_LATENCY], path[CFS_SUM_DISTINCT_CLIENTS], err, errlen);
    if (st == CFS_OK)
        st = write_heavy(settled, path[CFS_SUM_TOP_URIS], path[CFS_SUM_TOP_CLIENTS], err, errlen);
    if (st == CFS_OK) st = write_waf(s, settled, path[CFS_SUM_WAF_RULES], err, errlen);
    if (st == CFS_OK) st = write_inputs(s, path[CFS_SUM_INPUTS], err, errlen);
    return st;
}
