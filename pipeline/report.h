/* The report sink: a settled view (view.h) of a scan or of merged summaries as a human
 * text report or as the JSON contract (documented in README.md).  Every attacker-controlled byte is escaped on the way out. */
#ifndef CFSCAN_PIPELINE_REPORT_H
#define CFSCAN_PIPELINE_REPORT_H

#include <signal.h>
#include <stdio.h>
#include "pipeline/config.h"
#include "pipeline/source.h"
#include "pipeline/view.h"
#include "pipeline/evidence.h"
#include "pipeline/sampling.h"
#include "pipeline/waf.h"

/* Entries per top list when --top is not given (the command line, merge's report and a
 * summary's report files all use it). */
#define CFS_REPORT_TOP_DEFAULT 5

typedef struct cfs_report_opts {
    int top;                      /* entries per top list (CFS_REPORT_TOP_DEFAULT when <= 0) */
    int with_config;              /* --config was given */
    int with_waf;                 /* --waf-logs was given */
    const char *const *waf_rules; /* names for cfs_wrow.rule (NULL without WAF logs) */
    size_t nwaf_rules;
    volatile sig_atomic_t *stop;  /* set by a signal handler: stop building, print nothing */
    const cfs_waf_index *waf;     /* the loaded WAF logs, for their coverage; NULL when the
                                   * report is made from summaries (merge) */
    const cfs_config_set *config; /* the loaded --config files, to say what was read from
                                   * each distribution's; NULL without them (or on merge) */
    const cfs_evid_set *evidence; /* what each evidence input covered (evidence.h); NULL:
                                   * none recorded */
    /* The window and filters the run applied (--since, --dist, ...): option names without
     * the dashes and their values as given, nsel of them (0: none); the report names
     * them, and says so when they selected nothing (selected_nothing, why: what was
     * skipped), so an empty answer does not read as a clean one. */
    const char *const *sel_names, *const *sel_values;
    size_t nsel;
    int selected_nothing;
    const char *nothing_why;
    /* The sampling rates of the runs behind the report (sampling.h): a scan's one rate
     * (--realtime-config's SamplingRate; unknown with --log-fields; none otherwise), a
     * merge's every part's.  Stated when some run was sampled or of an unknown rate,
     * since counts are then of logged requests, not of all requests; all zero or only
     * "not sampled": nothing is printed. */
    cfs_sampling sampling;
} cfs_report_opts;

/* v->agg must be settled (cfs_is_settled); an unsettled one prints nothing.  So does a
 * report that runs out of memory (cfs_nomem_failed, xalloc.h): the caller checks that. */
void cfs_report_text(FILE *out, const cfs_view *v, const cfs_report_opts *o);
void cfs_report_json(FILE *out, const cfs_view *v, const cfs_report_opts *o);
/* One self-contained HTML page (report_html.c): the JSON report's numbers with charts as
 * inline SVG; loads nothing, reads the same without its one small script (sorting and
 * filtering tables); every log string escaped by cfs_html_esc (html.h). */
void cfs_report_html(FILE *out, const cfs_view *v, const cfs_report_opts *o);
/* One screen per distribution (`--brief`): causes, counts, evidence, one next step each;
 * every line fits 100 columns. */
void cfs_report_brief(FILE *out, const cfs_view *v, const cfs_report_opts *o);

/* The sampling sentence of the text and HTML reports ("the real-time log configuration
 * samples 25% of requests; ..."), without "Sampling: " and the final stop; nothing when
 * cfs_sampling_stated(s) is 0. */
void cfs_sampling_sentence(FILE *out, const cfs_sampling *s);
/* The rates 1..100 of s as "10%, 25% and 50%" (nothing when it holds none). */
void cfs_sampling_rates_text(FILE *out, const cfs_sampling *s);
/* The JSON members "rates_percent":[...],"unsampled_runs":B,"unknown_rate_runs":B of s
 * (the report's and diff's sampling objects). */
void cfs_sampling_json_members(FILE *out, const cfs_sampling *s);

/* Write bytes for a terminal or TSV cell: control bytes, DEL, TAB, backslash and
 * invalid UTF-8 become \xNN, so no escape sequence or row break can get through. */
void cfs_write_safe(FILE *out, const char *p, size_t n);
/* Write a JSON string literal (with quotes); invalid UTF-8 bytes become \u00XX. */
void cfs_write_json_str(FILE *out, const char *p, size_t n);

#endif
