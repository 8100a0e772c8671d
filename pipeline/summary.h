/* The summary sink: `cfscan scan -o DIR` and `cfscan merge`.  A summary directory holds
 * Parquet tables for analysts, the report (text and JSON), a manifest, and the full
 * aggregate state (state.cfs: versioned, checksummed) from which merges are exact. */
#ifndef CFSCAN_PIPELINE_SUMMARY_H
#define CFSCAN_PIPELINE_SUMMARY_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include "pipeline/aggregate.h"
#include "pipeline/evidence.h"
#include "pipeline/sampling.h"
#include "pipeline/source.h"
#include "pipeline/view.h"
#include "pipeline/waf.h"

/* 10: a held-back 403 (DEFR) whose line's layout lacks what a cached copy is matched by
 *    has the event key CFS_EVKEY_BLIND, where schema 9 gave it none (CFS_EVKEY_NONE, as a
 *    request never answered from the cache): a merge then keeps the origin open for it
 *    (cfs_fast_evidence.copy_blind).  A schema 9 state reads as before, with such lines
 *    judged as edge refusals when edge-fast; the layout is schema 8's.
 * 9: the exclusions of traffic rows and held-back 403s may hold CFS_EXCL_KEYED (a key id
 *    in every signer set the line showed: no signed_url_missing), which a schema 8 reader
 *    would refuse as out of range; the layout is schema 8's.
 * 8: traffic rows (TRAF) and held-back 403s (DEFR) carry the causes their lines rule out
 *    (cfs_attribution.excl), which narrow an undecided row's candidates, and the facts
 *    (FCTS) are per config version, which each held-back 403 names (cfs_frow.from); an
 *    older state reads as rows that rule nothing out (the candidates its scan reported)
 *    and facts of one version.
 * 7: a SAMP section ends the payload: the sampling rates of the runs the summary holds
 *    (sampling.h); an older state reads as runs that were not sampled.
 * 6: inputs count a ninth reject reason, bad_json (a schema 5 state's lines of that kind
 *    are in bad_value, and it reads with bad_json 0), and a PRES section ends the
 *    payload: per distribution, which fields the lines counted for it had (every line,
 *    some), for the report's "Fields absent" line; an older state reads as one whose
 *    lines had every field, so its report says nothing of absent fields.
 * 5: the held-back 403s stay records (DEFR) with what judges them (FCTS, PAGE, EVNT), so
 *    that a merge judges them against every part; a schema 4 state (judged by its own
 *    scan) is still read.
 * 4: an EVID section ends the payload: the evidence inputs the scan used (evidence.h);
 *    a schema 3 state (without it) is still read, as one without evidence.
 * 2: origin rows carry their time-to-first-byte sample count, and their histograms hold
 * the issue 10 reference samples (a schema 1 histogram pooled every Miss/RefreshHit).
 * 3: cause ids gained edge_function before unknown, so a schema 2 cause id would be misread. */
#define CFS_SUMMARY_SCHEMA 10
/* Summaries of this schema and later count alike (7 only added the sampling rates, 8 and 9
 * the candidates' exclusions, 10 an event key), so `diff` compares one of them with
 * another; older pairs must be of one schema. */
#define CFS_SUMMARY_SAME_COUNTS 6
/* A new schema must say whether it counts as 6 to 10 do: raise CFS_SUMMARY_SAME_COUNTS to
 * it if not, then this check. */
_Static_assert(CFS_SUMMARY_SCHEMA == 10,
               "does the new schema count as 6 to 10 do? (CFS_SUMMARY_SAME_COUNTS)");
/* The oldest schema this cfscan still reads. */
#define CFS_SUMMARY_SCHEMA_MIN 3

/* One input as remembered by a summary (inputs.parquet and state.cfs). */
typedef struct cfs_sum_input {
    char *path;
    char dist[CFS_DIST_MAX];
    uint64_t size;
    int64_t mtime;
    cfs_file_stats st;
} cfs_sum_input;

/* What a summary holds: the unsettled aggregate and a row per input.  The rows are in a
 * temporary file (see summary_rows.c), so a summary of ten million inputs fits in memory. */
typedef struct cfs_summary {
    cfs_agg agg;
    FILE *rows;            /* per-input rows, NULL until the first */
    char rows_failed[256]; /* "" or why the rows' temporary file failed: publishing and
                            * reading a state then fail with it (CFS_E_IO) */
    uint64_t ninputs;
    char **waf_rules; /* names for cfs_wrow.rule */
    size_t nwaf_rules;
    size_t waf_cap;      /* room in waf_rules (0: exactly nwaf_rules) */
    uint32_t *waf_slot;  /* hash index over waf_rules: id + 1, 0 = empty */
    size_t waf_slot_cap; /* power of two, 0 until the first lookup */
    size_t waf_indexed;  /* waf_rules[0..waf_indexed) are in the index */
    uint64_t pruned;
    int clients_redacted;        /* client addresses were truncated (--redact-clients); the
                                  * manifest records it */
    volatile sig_atomic_t *stop; /* set by a signal handler: publish gives up (CFS_E_INTERRUPTED) */
    int threads;                 /* the run's -j (0: every core): above one, publish writes the
                                  * state file beside the tables and reports */
    /* The options of the report the command prints, so that report.txt and report.json
     * are that report (what evidence was given, top lists); NULL: a report without
     * config and with the summary's own WAF rule names. */
    const struct cfs_report_opts *report;
    cfs_evid_set evidence; /* the evidence inputs of the scans it holds (merged by the
                            * caller with cfs_evid_merge, which can fail) */
    cfs_sampling sampling; /* the sampling rates of the runs it holds (a scan adds its own:
                            * cfs_sampling_add; cfs_summary_merge joins them) */
    /* The input manifest published as inputs.cfm (inputs_manifest.h), owned; NULL: none
     * (a merge with a summary made before manifests: what it holds is unknown).  Filled by the caller (scan: one entry per regular input; merge: the
     * parts' manifests), not by cfs_summary_merge, since merge checks overlaps first. */
    struct cfs_mf_writer *mf;
    /* The attribution rules its verdicts came from: a fingerprint of their names in order
     * (cfs_rules_fingerprint), or CFS_RULES_MIXED for several tables.  rules_known is 0 for
     * a summary this cfscan is making (its own rules); a state file gives both, and
     * cfs_summary_merge combines them.  `diff` says when two summaries' differ. */
    uint64_t rules_fp;
    int rules_known;
    /* The directory did not exist when the run began (no summary to lock then): publishing
     * never replaces one another run put there meanwhile, it fails instead. */
    int new_dir;
} cfs_summary;

#define CFS_RULES_MIXED 1u

/* An empty summary.  Pass cfs_summary_add_input as the scan's on_input with the
 * summary as its context, so it gets a row per input (the only part of a summary that
 * grows with the number of inputs), then cfs_summary_add_state. */
void cfs_summary_init(cfs_summary *s);
void cfs_summary_add_input(void *summary, const cfs_input *in, const cfs_file_stats *st);
/* Add a run's merged aggregate as it was before settling (the scan's keep_state) and
 * what its settled view counts besides (files skipped by name).  state is taken over:
 * it is left empty (moved into a summary that holds no aggregate yet, else merged).
 * waf_index (NULL without --waf-logs) gives the names of the WAF rules its rows index. */
void cfs_summary_add_state(cfs_summary *s, cfs_agg *state, const cfs_view *v, const cfs_waf_index *waf_index);
/* The distinct keys s holds, for the message of a run stopped by its memory budget. */
void cfs_summary_count_keys(const cfs_summary *s, cfs_key_counts *k);
/* Read the rows back in input order: begin (0 or -1 on an I/O error), then next until it
 * returns 0 (end) or -1 (the temporary file failed); x->path is the caller's to free.
 * Appending again after a full pass is allowed. */
int cfs_summary_inputs_begin(const cfs_summary *s);
int cfs_summary_inputs_next(const cfs_summary *s, cfs_sum_input *x);
/* Drop the rows of inputs that could not be read at all (cfs_stats_unread: a path that
 * could not be used, a file that could not be opened, one changed since the summary
 * counted it): the input manifest leaves them out, so `scan --update` looks at each again where it walks it, and
 * lists what it still cannot read; the summary's list of such inputs is the latest run's.
 * A damaged file (partly read, in the manifest) keeps its row.  0, or -1 when the rows'
 * temporary file failed (s->rows_failed says why). */
int cfs_summary_drop_retried(cfs_summary *s);
void cfs_summary_free(cfs_summary *s);

/* Write the state file / read it back (CFS_E_CORRUPT/TRUNCATED on damage, CFS_E_FORMAT
 * for another schema version; err names the file and the problem).  The writer reads the
 * input rows from s->rows's file as flushed, without moving the stream: flush them first
 * (cfs_summary_publish does, then reads them on another thread meanwhile). */
cfs_status cfs_state_write(const cfs_summary *s, const char *path, char *err, size_t errlen);
cfs_status cfs_state_read(cfs_summary *s, const char *path, char *err, size_t errlen);
/* The checks cfs_state_read makes before the payload (a regular file, its size, magic,
 * schema version, trailer and checksum), without reading the payload: `scan --update`
 * refuses a damaged summary before it reads any input.  The same statuses. */
cfs_status cfs_state_verify(const char *path, char *err, size_t errlen);
/* The digest a state file's trailer records (XXH3-64 of its bytes before the trailer,
 * unchecked), 0 when there is none to read: `merge` orders its parts by it, so that its
 * result does not depend on the order they were named in. */
uint64_t cfs_state_digest(const char *path);

/* A fingerprint of this cfscan's attribution rule table (its rule names in order), never
 * 0 or CFS_RULES_MIXED. */
uint64_t cfs_rules_fingerprint(void);
/* The rules s's verdicts came from (rules_fp, or this cfscan's when it is making s). */
uint64_t cfs_summary_rules(const cfs_summary *s);

/* dst += src (inputs appended, tables merged, top-k folded in call order). */
void cfs_summary_merge(cfs_summary *dst, const cfs_summary *src);

/* The settled view of s, how `merge` ends: s's aggregate settled on a copy (s is
 * unchanged) and a ledger of s's input rows.  CFS_E_IO (err says why) when the rows
 * cannot be read back; free v with cfs_view_free either way. */
cfs_status cfs_summary_view(const cfs_summary *s, cfs_view *v, char *err, size_t errlen);
/* What of a report's options is the summary's own: the evidence its runs had (with_config,
 * with_waf), its WAF rule names (its view's WAF rows index them), evidence records,
 * sampling rates and stop flag, set in *ro.  The summary's report files take them; so must
 * a report printed from its view (while s lives), and diff. */
void cfs_summary_own_report(const cfs_summary *s, struct cfs_report_opts *ro);

/* Write a complete summary directory atomically: everything goes to a temporary
 * directory beside `dir`, then replaces `dir` in one rename (RENAME_EXCHANGE when it
 * exists).  Refused (CFS_E_USAGE, see cfs_summary_check_output): a `dir` that is a
 * symbolic link, is not a directory, or is neither empty nor a summary holding only its
 * own files.  A new summary's modes follow the umask; a replaced one's keep its
 * directory mode and its manifest's file mode.  `argv_line` is recorded in the manifest.
 * The tables and report files are made from v, the settled view of s: the scan's own
 * (cfs_scan_view) for a summary of that one scan, so report.txt is the printed report,
 * or cfs_summary_view(s); state.cfs keeps s's unsettled aggregate.  s is unchanged. */
cfs_status cfs_summary_publish(const cfs_summary *s, const cfs_view *v, const char *dir,
                               const char *argv_line, char *err, size_t errlen);

/* The checks publishing makes on `dir` before writing anything, for a caller that wants
 * to refuse a bad -o before a long scan: CFS_OK when it is absent, an empty directory or
 * a summary; CFS_E_USAGE with err naming dir (and the first foreign entry) otherwise;
 * CFS_E_IO when it cannot be inspected. */
cfs_status cfs_summary_check_output(const char *dir, char *err, size_t errlen);
/* Make dir's missing parent directories (as mkdir -p; modes from the umask), where
 * publishing writes its temporary directory beside dir: a nightly `-o days/DATE` works on
 * a fresh machine.  CFS_E_USAGE with err naming dir when a parent cannot be made or is
 * not a directory. */
cfs_status cfs_summary_make_parent(const char *dir, char *err, size_t errlen);
/* Whether the summary can be written beside dir: a temporary directory made there and
 * removed, as publishing makes one (CFS_E_IO with err when it cannot be: a read-only file
 * system, no write permission), so that a long run is not spent first. */
cfs_status cfs_summary_check_writable(const char *dir, char *err, size_t errlen);
/* Hold the summary at dir for this run (CFS_OK with *fd the lock's descriptor, -1 when
 * there is no dir yet): an exclusive flock on the directory, taken before its manifest is
 * read and kept until the process ends, so that two runs writing one summary (two
 * --update runs of a nightly job that overlap, or a merge into it meanwhile) cannot both
 * read what it counted and then each add their inputs to the other's result.  A summary
 * another run holds is CFS_E_IO with err saying so, before any input is read.  The lock is
 * on the directory's inode, which a publish swaps out: one taken while another run
 * published is taken again on the directory now there.  A file system without flock
 * (some network ones) is not locked.  *absent: 1 when there is no dir yet (then *fd is -1
 * too, as where nothing could be locked). */
cfs_status cfs_summary_lock(const char *dir, int *fd, int *absent, char *err, size_t errlen);
/* 1 when dir's manifest says its client addresses were redacted, else 0. */
int cfs_summary_dir_redacted(const char *dir);

#endif
