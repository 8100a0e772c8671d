/* Run ledger (see ledger.h): totals and a bounded list of noteworthy inputs. */
#include "pipeline/ledger.h"
#include "pipeline/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t cfs_stats_rejected(const cfs_file_stats *f)
{
    uint64_t s = 0;
    for (int r = 0; r < CFS_REJ_COUNT; r++) s += f->rejected[r];
    return s;
}

/* A file whose lines the window or filters excluded held usable lines: not warned (a
 * run that selected nothing at all says so itself, cfs_run_end.selected_nothing). */
int cfs_stats_warned(const cfs_file_stats *f)
{
    return f->status == CFS_OK && f->aggregated == 0 && f->filtered == 0;
}

int cfs_stats_unread(const cfs_file_stats *f) { return f->status == CFS_E_IO && f->bytes_in == 0; }

const char *cfs_stats_warning(const cfs_file_stats *f)
{
    if (!cfs_stats_warned(f)) return NULL;
    if (f->lines == 0) return "empty input: no lines";
    /* a file of blank lines (and directives) has no line to map: no header is missing */
    if (f->blank_lines + f->header_lines == f->lines) return "no log lines: only blank lines or directives";
    if (f->rejected[CFS_REJ_BINARY] * 2 >= f->lines)
        return "binary data, not a text log (or line ends other than LF and CR LF, such as CR alone)";
    /* JSON lines teach no #Fields: layout: say what was wrong with them instead */
    if (f->rejected[CFS_REJ_BAD_JSON] * 2 >= f->lines)
        return "malformed JSON lines (not one JSON object of string values each): rejected as bad_json";
    /* before the header test: a layout given by --log-fields or --realtime-config is no
     * #Fields: line, and lines that do not match it are what is wrong */
    if ((f->rejected[CFS_REJ_TOO_FEW_FIELDS] + f->rejected[CFS_REJ_TOO_MANY_FIELDS]) * 2 >= f->lines)
        return "lines with fewer or more fields than their layout (#Fields:, --log-fields or "
               "--realtime-config) names: rejected as too_few_fields or too_many_fields";
    if (f->layouts == 0)
        return f->rejected[CFS_REJ_BAD_HEADER]
                   ? "unusable #Fields: header line (a field named twice, no time or status field, "
                     "or over 128 fields): its lines are rejected as bad_header"
               : f->rejected[CFS_REJ_LINE_TOO_LONG]
                   ? "no #Fields: header line read: lines cannot be mapped to fields (a line over the 1 MiB "
                     "maximum was rejected, and a #Fields: line that long is not read either)"
                   : "no #Fields: header line: lines cannot be mapped to fields (headerless logs, such "
                     "as real-time logs, need --realtime-config or --log-fields; a byte-order mark or "
                     "other bytes before #Fields: hide it)";
    return "no usable log lines";
}

void cfs_stats_add(cfs_file_stats *d, const cfs_file_stats *s)
{
    d->bytes_in += s->bytes_in;
    d->bytes_out += s->bytes_out;
    d->lines += s->lines;
    d->header_lines += s->header_lines;
    d->blank_lines += s->blank_lines;
    d->aggregated += s->aggregated;
    d->filtered += s->filtered;
    for (int i = 0; i < CFS_REJ_COUNT; i++) d->rejected[i] += s->rejected[i];
    d->short_lines += s->short_lines;
    d->trailing_tab += s->trailing_tab;
    d->crlf += s->crlf;
    d->layouts += s->layouts;
}

/* NULL when out of memory (recorded, xalloc.h): the totals still count the input, and the
 * run fails with CFS_E_NOMEM at its next check. */
static cfs_file_note *note_new(cfs_ledger *l, const char *path)
{
    if (l->nnotes == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        cfs_file_note *v = cfs_realloc(l->notes, cap * sizeof *l->notes,
                                       "listing an input in the run's ledger");
        if (!v) return NULL;
        l->notes = v;
        l->cap = cap;
    }
    char *p = cfs_strdup(path, "listing an input in the run's ledger");
    if (!p) return NULL;
    cfs_file_note *n = &l->notes[l->nnotes++];
    memset(n, 0, sizeof *n);
    n->path = p;
    return n;
}

void cfs_ledger_file(cfs_ledger *l, const char *path, const cfs_file_stats *st)
{
    cfs_stats_add(&l->tot, st);
    if (st->aggregated || st->filtered) {
        if (st->layouts) l->described++;
        else l->headerless++;
    }
    int failed = st->status != CFS_OK, warned = cfs_stats_warned(st);
    int rejecting = cfs_stats_rejected(st) > 0;
    l->failed += (size_t)failed;
    l->warned += (size_t)warned;
    l->rejecting += (size_t)rejecting;
    if (failed) {
        if (l->errors_listed == CFS_MAX_LISTED) {
            l->errors_unlisted++;
            return;
        }
        l->errors_listed++;
    } else if (warned || rejecting) {
        if (l->warnings_listed == CFS_MAX_LISTED) {
            l->warnings_unlisted++;
            return;
        }
        l->warnings_listed++;
    } else {
        return;
    }
    cfs_file_note *n = note_new(l, path);
    if (n) n->st = *st;
}

void cfs_ledger_unusable(cfs_ledger *l, const char *path, const char *msg)
{
    l->failed++;
    if (l->errors_listed == CFS_MAX_LISTED) {
        l->errors_unlisted++;
        return;
    }
    l->errors_listed++;
    cfs_file_note *n = note_new(l, path);
    if (!n) return;
    n->unusable = 1;
    n->st.status = CFS_E_IO;
    snprintf(n->st.error, sizeof n->st.error, "%s", msg);
}

cfs_exit_code cfs_run_exit_status(const cfs_run_end *e)
{
    const cfs_ledger *l = e->ledger;
    if (e->interrupted) return CFS_EXIT_INTERRUPTED;
    if (e->fatal == CFS_E_USAGE) return CFS_EXIT_USAGE;
    if (e->fatal != CFS_OK) return CFS_EXIT_FATAL;
    if (e->over_budget) return CFS_EXIT_OVER_BUDGET;
    if (e->evidence_failed || (l && l->failed)) return CFS_EXIT_INPUT_FAILED;
    if ((l && (l->warned || l->rejecting)) || e->evidence_uncovered || e->selected_nothing)
        return CFS_EXIT_REJECTED;
    return CFS_EXIT_OK;
}

void cfs_ledger_free(cfs_ledger *l)
{
    for (size_t i = 0; i < l->nnotes; i++) free(l->notes[i].path);
    free(l->notes);
    memset(l, 0, sizeof *l);
}
