/* Layouts for logs that carry no #Fields: line: real-time logs (their fields from
 * --log-fields or from a real-time log configuration) and v2 Plain output. */
#ifndef CFSCAN_PIPELINE_V2LAYOUT_H
#define CFSCAN_PIPELINE_V2LAYOUT_H

#include <stddef.h>
#include "pipeline/types.h"

/* Position of a real-time log field in CloudFront's fixed column order (reference §3:
 * columns come in this order whatever order the configuration lists them in), or -1. */
int cfs_realtime_rank(const char *name, size_t n);

/* A layout from "a,b,c" (--log-fields: the columns in file order), split by delim (0:
 * TAB).  Every name must be a field cfscan knows or a real-time log field; the layout
 * must hold a time and the status.  CFS_E_USAGE with a message naming the problem. */
cfs_status cfs_layout_from_list(cfs_layout *l, const char *list, char delim, char *err, size_t errlen);

/* 1 when a --log-fields list can only describe standard logs (legacy or v2), which are
 * never sampled: it names a field only they have (date, time, timestamp(ms),
 * distributionid, cs(Host), ...) and none that only real-time logs have (cs-host,
 * cs-user-agent, cs-headers, cmcd-*, ...).  0 otherwise: real-time logs, a list that
 * could be either (timestamp, c-ip, sc-status, ...) or one that mixes both kinds' names,
 * whose sampling rate is not known. */
int cfs_log_fields_standard(const char *list);

/* A layout from the JSON of `aws cloudfront get-realtime-log-config` (or the
 * RealtimeLogConfig object alone) in path: its Fields put in the real-time column order,
 * and its SamplingRate (1..100) in *sampling.  CFS_E_IO / CFS_E_FORMAT naming the path. */
cfs_status cfs_layout_from_realtime_config(cfs_layout *l, int *sampling, const char *path, char *err,
                                           size_t errlen);

#endif
