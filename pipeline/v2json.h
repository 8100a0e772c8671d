/* Standard logging v2 JSON lines (one object per line, every value a string, keys the field
 * names verbatim, any subset and order): one line into the record stage's cfs_record. */
#ifndef CFSCAN_PIPELINE_V2JSON_H
#define CFSCAN_PIPELINE_V2JSON_H

#include <stddef.h>
#include <stdint.h>
#include "pipeline/json.h"
#include "pipeline/types.h"

/* The shape a parse sequence learned from its first well-formed line: the keys in order
 * and the field each names.  The fast path checks each line against it byte for byte
 * and falls back to the strict parser (pipeline/json.c) on anything else. */
#define CFS_V2JSON_KEYBUF 4096
typedef struct cfs_v2json {
    uint16_t nkeys;                 /* 0: nothing learned yet */
    uint8_t field[CFS_MAX_COLS];    /* cfs_field of key i (CFS_F_UNKNOWN: ignored) */
    uint16_t pre_off[CFS_MAX_COLS]; /* key i as it precedes its value: `{"k":"` or `,"k":"` */
    uint16_t pre_len[CFS_MAX_COLS];
    char pre[CFS_V2JSON_KEYBUF];
    uint64_t shape_mask;   /* the learned shape's fields (cfs_pres_mask of their bits) */
    uint64_t shape_fields; /* the same as field bits (bit f: field f), which its lines set */
    uint64_t line_mask;    /* the same for the last line accepted: its fields, made once per
                            * shape on the fast path, per line on the strict one */
    cfs_json_doc doc;      /* the strict parser's buffers (values of its lines point here) */
    uint64_t fast, strict; /* lines taken by each path (tests, --verbose) */
} cfs_v2json;

/* Parse line[0..n) (no line end; starts with '{') into r's spans and members.  Spans point
 * into line, or into st's buffers until the next call.  Returns CFS_RECORD_OK
 * (fields.h) or the reason the line is rejected: bad_json for a line that is not one
 * JSON object whose values are strings, or that names a field twice; bad_value for one
 * whose status, date or time is not of its form; too_few_fields when it lacks the status
 * or any time (date and time, timestamp(ms) or timestamp); binary for a control byte in a
 * value.  The fast path never rejects by itself (it hands the line to the strict parser),
 * so both give one reason for one line.
 * *learned is set to 1 when this line taught st its shape (the caller counts a layout). */
int cfs_v2json_line(cfs_v2json *st, const char *line, size_t n, cfs_record *r, unsigned need, int *learned);
void cfs_v2json_free(cfs_v2json *st);

#endif
