/* `cfscan diff OLD NEW`: what changed between two summary directories (two nights, or
 * before and after a deploy), per distribution and 403 cause, with a stated test that
 * tells a change from the noise of two samples of the same traffic.  The summaries are
 * loaded as `merge` loads them (state.cfs, settled into a view); the comparison and its
 * three renderings (text, JSON, a small HTML page) live here. */
#ifndef CFSCAN_PIPELINE_DIFF_H
#define CFSCAN_PIPELINE_DIFF_H

#include <stddef.h>
#include <stdio.h>
#include "pipeline/types.h"

/* The test, written into every output (README "cfscan diff").  A count (a distribution's
 * 403s, one cause's, one top-list entry's) is compared as a share of its distribution's
 * requests in each summary, with the two-proportion z test; it is flagged only when all
 * three hold:
 *   |z| >= CFS_DIFF_MIN_Z: 5 standard errors, so that the hundreds of comparisons of one
 *     diff raise a false flag about once in a thousand diffs (normal tail 5.7e-7 each);
 *   the count moved by at least CFS_DIFF_MIN_CHANGE requests once OLD is scaled to NEW's
 *     traffic: a change of a handful of requests is never news;
 *   the share moved by a factor of at least CFS_DIFF_MIN_RATIO either way: on a large
 *     distribution a 2% drift is "significant" and still not worth a page.
 * A top-list entry whose count is an estimate (top URIs and clients: Space-Saving, with
 * error bounds) is tested on the bounds least favourable to a change: a new entry with
 * its lowest possible count in NEW against its highest possible one in OLD (for an entry
 * not listed there, the list's error bound N/k), a gone entry the other way round; so an
 * entry near the bottom of a list that drops out is not news. */
#define CFS_DIFF_MIN_Z 5.0
#define CFS_DIFF_MIN_CHANGE 20
#define CFS_DIFF_MIN_RATIO 1.25
/* The origin reference (25th percentile of the distribution's 2xx/3xx Miss latency): with
 * r = OLD's reference, the share of each summary's origin fetches at or below r (25% in
 * OLD by construction) is compared with the same z test; flagged when |z| >=
 * CFS_DIFF_MIN_Z and the reference moved by at least CFS_DIFF_REF_MIN_MOVE (a fraction
 * of OLD's) and CFS_DIFF_REF_MIN_MS.  A reference present on one side only (the other
 * has fewer than 20 fetches) is flagged when the side that has it counts at least
 * CFS_DIFF_REF_MIN_FETCHES fetches. */
#define CFS_DIFF_REF_MIN_MOVE 0.25
#define CFS_DIFF_REF_MIN_MS 2
#define CFS_DIFF_REF_MIN_FETCHES 100

/* The command's exit status when something is flagged (5, the memory-budget status of scan
 * and merge: diff builds no aggregate, so the two cannot meet). */
#define CFS_DIFF_EXIT_FLAGGED 5

typedef enum cfs_diff_format { CFS_DIFF_TEXT = 0, CFS_DIFF_JSON, CFS_DIFF_HTML } cfs_diff_format;

typedef struct cfs_diff cfs_diff;

/* Read OLD's and NEW's state.cfs (old_dir/state.cfs, new_dir/state.cfs), settle each as
 * merge does, and compare them; top entries per list (<= 0: CFS_REPORT_TOP_DEFAULT, at
 * most 64) are the "top" whose new and gone entries are reported.  Errors, err naming the
 * file: CFS_E_FORMAT when the two summaries have different schema versions or one has a
 * version this cfscan does not read; CFS_E_NOMEM; any other status when a summary cannot
 * be read (missing, not a state file, corrupt, truncated, implausible). */
cfs_status cfs_diff_open(cfs_diff **out, const char *old_dir, const char *new_dir, int top, char *err,
                         size_t errlen);
/* How many changes were flagged (the command exits 5 when any). */
size_t cfs_diff_flagged(const cfs_diff *d);
/* The comparison as text, JSON (the contract in README "cfscan diff") or a self-contained
 * HTML page (inline CSS, no script, no external URL; every string from a summary escaped
 * with cfs_html_esc).  Out of memory while writing, the output is cut short and
 * cfs_nomem_failed() says so. */
void cfs_diff_write(FILE *out, const cfs_diff *d, cfs_diff_format f);
void cfs_diff_free(cfs_diff *d);

#endif
