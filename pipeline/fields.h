/* The record stage: #Fields: header lines become a cfs_layout, and one data line (its
 * TAB map already made by the scan kernel) becomes a typed cfs_record. */
#ifndef CFSCAN_PIPELINE_FIELDS_H
#define CFSCAN_PIPELINE_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include "kernels/kernels.h"
#include "pipeline/types.h"

/* Build the lookup tables once, before any parallel region (idempotent). */
void cfs_fields_init(void);

/* Parse a "#Fields: a b c" line (names separated by spaces or TABs; CR already
 * stripped).  Returns CFS_OK, or CFS_E_FORMAT when the line names no usable layout:
 * no date/time (or timestamp) or no sc-status, a known field named twice, or more than
 * CFS_MAX_COLS names; *l is then the empty layout marked bad, under which every line is
 * rejected as bad_header. */
cfs_status cfs_layout_parse(cfs_layout *l, const char *line, size_t n);
/* The same for logs whose fields are split by another byte than TAB (v2 Plain/W3C with a
 * fieldDelimiter): names joined by a byte other than space or TAB give l->delim; else
 * delim (0: TAB).  Lines under a layout whose delim is not TAB go to cfs_record_parse_delim. */
cfs_status cfs_layout_parse_delim(cfs_layout *l, const char *line, size_t n, char delim);

/* Tolerated irregularities, counted per file (the line is still aggregated). */
enum {
    CFS_TOL_SHORT = 1u << 0,        /* fewer columns than #Fields: names */
    CFS_TOL_TRAILING_TAB = 1u << 1, /* empty extra column(s) after the last field */
};

/* Split a data line into r (spans point into base).  The line is base[ls..le) without
 * its line end; tabs is the TAB map of base as the scan kernel kn wrote it, whose column
 * locators (kernels.h) find only the TABs around the fields the line needs.  Returns
 * CFS_RECORD_OK when the record is accepted (and ORs CFS_TOL_* bits into *tol),
 * CFS_RECORD_PLAIN for a common line when need has CFS_PARSE_PLAIN (below), else the
 * cfs_reject reason. */
enum { CFS_RECORD_OK = -1, CFS_RECORD_PLAIN = -2 }; /* not cfs_rejects: those are indexes from 0 */
/* What a caller needs of every line beyond the lean fields (need, OR-ed). */
enum {
    CFS_PARSE_ALL = 1u << 0,         /* every field of every line (`requests`) */
    CFS_PARSE_ERROR_WHOLE = 1u << 1, /* Error lines parsed whole (a config that remaps
                                      * 403s: attribute.c, hidden_403; fields.c,
                                      * parse_whole) */
    CFS_PARSE_PLAIN = 1u << 2,       /* the caller counts a common line by its time, edge,
                                      * bytes and status alone: see below */
    CFS_PARSE_PLAIN_MISS = 1u << 3,  /* with CFS_PARSE_PLAIN: and a Miss's origin sample by
                                      * its latencies and protocol (no config: see below) */
    CFS_PARSE_PLAIN_DIST = 1u << 4,  /* with CFS_PARSE_PLAIN: and the spans of distributionid
                                      * and cs(Host), which name its distribution when the
                                      * file name does not */
};
int cfs_record_parse(const cfs_layout *l, const char *base, uint32_t ls, uint32_t le, const uint64_t *tabs,
                     const cfs_kernel *kn, cfs_record *r, unsigned *tol, unsigned need);

/* With CFS_PARSE_PLAIN (and without CFS_PARSE_ALL), a common line returns
 * CFS_RECORD_PLAIN: a line of exactly the layout's width whose date, time and status
 * parse, whose status is not 403, whose result type is not Error when need has
 * CFS_PARSE_ERROR_WHOLE, and not Miss unless need has CFS_PARSE_PLAIN_MISS and the layout
 * has no cache-behavior-path-pattern.  Only its ts, status, sc_bytes, result,
 * time_taken_ms, ttfb_ms, protocol and the edge location's span are set, as the full
 * parse would set them (the three after result are parsed only for a Miss with a 2xx or
 * 3xx status other than 304, as on the lean path below), and with CFS_PARSE_PLAIN_DIST
 * the spans of distributionid and cs(Host) (empty where the layout lacks them); every
 * other member, span included, is left as it was and means nothing.  Any other line is
 * parsed as without the flag.  That is all such a line is counted by once its
 * distribution is known (aggregate.h, cfs_agg_add_plain: no attribution, and for a Miss,
 * which needs no config, an origin sample without an origin label), so none of the rest
 * is parsed.  (The layout
 * must have date, time, edge, bytes, status and result type: cfs_layout.plain_ok.)
 *
 * Without CFS_PARSE_ALL, a line whose status is not 403 gets only what a non-403 request
 * is counted by: the spans of the lean fields of the first tier (fields.c, k_lean: time,
 * edge, bytes, status, result type, distribution id and Host) and ts, status, sc_bytes and
 * result; the second tier (time-taken, time-to-first-byte, protocol, URI, Host header,
 * behavior pattern) and time_taken_ms, ttfb_ms and protocol only on a Miss with a 2xx or
 * 3xx status other than 304 (a possible origin fetch, cfs_origin_sample_status).  Every
 * other span and parsed member is cleared (zero, CFS_NO_MILLIS).  403 lines, Error lines
 * with CFS_PARSE_ERROR_WHOLE (whether one is a remapped 403 reads its response result
 * type), and every line with CFS_PARSE_ALL (the `requests` command, whose filters and
 * output may use any field), get everything. */

/* A data line line[0..n) (no line end) under a layout with another delimiter than TAB:
 * split without the kernel's TAB map, then as cfs_record_from_spans.  Same results and
 * rejections as cfs_record_parse for the same line written with TABs. */
int cfs_record_parse_delim(const cfs_layout *l, const char *line, size_t n, cfs_record *r, unsigned *tol,
                           unsigned need);
/* r->f holds the span of every field the line has (a JSON line, pipeline/v2json.c), and
 * no span outside `set` (bit f: field f; a larger set is fine) is non-empty: parse it as
 * cfs_record_parse would the same line in a TAB layout, clearing the spans its lean path
 * would not set, so that the aggregates see one record whatever the format.  Returns
 * CFS_RECORD_OK or the cfs_reject reason. */
int cfs_record_from_spans(cfs_record *r, unsigned need, uint64_t set);

/* A row given as values (a Parquet row, pipeline/parquet_read.c): col[c][k] is the text of
 * column c of row k, for every one of the layout's l->ncols columns (the caller checks
 * that the row has them all, and that no value holds the layout's delimiter).  Parsed
 * as cfs_record_parse would the same values joined by TABs, with the same results. */
int cfs_record_from_cols(const cfs_layout *l, const cfs_span *const *col, uint32_t k, cfs_record *r,
                         unsigned need);

/* Prepare r for a layout: clears every field span (call when the layout changes). */
void cfs_record_reset(cfs_record *r);

#endif
