/* The one source of cfscan's command-line documentation: commands, options (with the
 * values they take), the introduction and the exit statuses.  `cfscan help` renders it as
 * text (tools/cfscan.c), and tools/cfscan_doc.c renders it at build time as the man page
 * cfscan(1) and the bash and zsh completions, so the three cannot drift apart.  Add an
 * option here and every output gains it. */
#ifndef CFSCAN_TOOLS_CLI_HELP_H
#define CFSCAN_TOOLS_CLI_HELP_H

#include <stddef.h>

/* Commands, as bits of cfs_cli_opt.cmds. */
enum { CFS_CMD_SCAN = 1u, CFS_CMD_REQUESTS = 2u, CFS_CMD_MERGE = 4u, CFS_CMD_RULES = 8u, CFS_CMD_DIFF = 16u };

typedef struct cfs_cli_cmd {
    const char *name;
    unsigned bit;         /* CFS_CMD_*, 0 for commands without options */
    const char *synopsis; /* after "cfscan NAME " */
    const char *summary;
} cfs_cli_cmd;

static const cfs_cli_cmd cfs_cli_cmds[] = {
    {"scan", CFS_CMD_SCAN, "PATH... [options]", "report requests and explain 403s"},
    {"requests", CFS_CMD_REQUESTS, "PATH... [options]",
     "one row per matching request, in time order (forensics)"},
    {"merge", CFS_CMD_MERGE, "DIR... -o OUT [options]", "merge summary directories exactly"},
    {"diff", CFS_CMD_DIFF, "OLD NEW [--format text|json|html] [--top N]",
     "compare two summary directories: 403s per distribution and cause, new and gone top entries, the origin "
     "reference; exit 5 when a change is flagged as unlikely to be noise"},
    {"rules", CFS_CMD_RULES, "[RULE...] [--format text|tsv]",
     "every attribution rule: its cause, evidence level, the facts it rests on and the documentation it cites"},
    {"version", 0, "", "print the version"},
    {"help", 0, "", "print this text"},
};

/* Option groups, in the order help and the man page list them. */
typedef struct cfs_cli_section {
    const char *title;
} cfs_cli_section;
enum {
    CFS_SEC_COMMON,
    CFS_SEC_SCAN,
    CFS_SEC_FILTERS,
    CFS_SEC_REQUESTS,
    CFS_SEC_MERGE,
    CFS_SEC_DIFF,
    CFS_SEC_RULES,
    CFS_SEC_COUNT
};
static const cfs_cli_section cfs_cli_sections[CFS_SEC_COUNT] = {
    [CFS_SEC_COMMON] = {"common options (scan and requests)"},
    [CFS_SEC_SCAN] = {"scan options"},
    [CFS_SEC_FILTERS] =
        {"filters (scan and requests; each takes one value; all given must match; the report "
         "names them; a line that does not pass is counted as filtered; nothing selected: exit 3)"},
    [CFS_SEC_REQUESTS] = {"requests options (rows in time order; ties in input order, then line order)"},
    [CFS_SEC_MERGE] = {"merge options"},
    [CFS_SEC_DIFF] = {"diff options (OLD and NEW are summary directories; exit 0: nothing flagged, 5: a change "
                      "flagged, 2: usage or different schema versions, 4: a summary unreadable)"},
    [CFS_SEC_RULES] = {"rules options"},
};

/* What a value-taking option completes to: a word list, or one of these. */
#define CFS_CLI_FILES "@files"
#define CFS_CLI_DIRS "@dirs"
#define CFS_CLI_CAUSES "@causes"
#define CFS_CLI_FIELDS "@fields"

/* What the parser (tools/cfscan.c, getopt_long) hands out for each option: its short
 * letter where it has one, else a number above 255. */
enum cfs_cli_opt_id {
    O_PATH = 1, /* a non-option argument */
    O_HELP = 'h',
    O_THREADS = 'j',
    O_OUTPUT = 'o',
    O_QUIET = 'q',
    O_VERBOSE = 'v',
    O_VERSION = 'V',
    O_SINCE = 256,
    O_UNTIL,
    O_CONFIG,
    O_WAF_LOGS,
    O_GZIP_DECODER,
    O_SPLIT_ABOVE,
    O_MEMORY_LIMIT,
    O_PROGRESS,
    O_NO_PROGRESS,
    O_REDACT_CLIENTS,
    O_FORMAT,
    O_BRIEF,
    O_TOP,
    O_RESOLUTION,
    O_REQUEST_ID,
    O_STATUS,
    O_CAUSE,
    O_DIST,
    O_EDGE,
    O_IP,
    O_URI_PREFIX,
    O_FIELDS,
    O_UPDATE,
    O_REBUILD,
    O_SHARD,
    O_DEDUPE,
    O_EXPECT,
    O_ENDPOINT_URL,
    O_LOG_FIELDS,
    O_REALTIME_CONFIG,
    O_DELIMITER,
};

typedef struct cfs_cli_opt {
    int id;                /* enum cfs_cli_opt_id: the parser's answer for it */
    const char *shortname; /* "-j", or NULL */
    const char *longname;  /* "--threads" */
    const char *arg;       /* "N", or NULL for a flag */
    int section;           /* CFS_SEC_* */
    unsigned cmds;         /* CFS_CMD_* bits of the commands that take it */
    const char *values;    /* completion: space-separated words, CFS_CLI_*, or NULL (free) */
    const char *help;      /* one paragraph; renderers wrap it */
} cfs_cli_opt;

#define CFS_CMD_SR (CFS_CMD_SCAN | CFS_CMD_REQUESTS)

static const cfs_cli_opt cfs_cli_opts[] = {
    {O_THREADS, "-j", "--threads", "N", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "worker threads (default: all cores)"},
    {O_SINCE, NULL, "--since", "T", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "keep requests with since <= time < until; T is YYYY-MM-DD or YYYY-MM-DDTHH[:MM[:SS]] (UTC), either with "
     "a zone Z, +HH, +HH:MM or +HHMM (or -) converted to UTC, or @EPOCH; from 1990-01-01 up to 2100-01-01 (until "
     "may be 2100-01-01 itself, since must be before it); "
     "whole files outside the window are skipped by name before they are opened; since must be before until"},
    {O_UNTIL, NULL, "--until", "T", CFS_SEC_COMMON, CFS_CMD_SR, NULL, "the end of the window (see --since)"},
    {O_CONFIG, NULL, "--config", "FILE|DIR", CFS_SEC_COMMON, CFS_CMD_SR, CFS_CLI_FILES,
     "distribution config(s) from `aws cloudfront get-distribution` or get-distribution-config (repeatable; in a "
     "DIR, the *.json files, also .json.gz/.json.zst); get-distribution adds DomainName and LastModifiedTime: 403 "
     "lines older than it lose one evidence level on config-based verdicts. The report says what each covered; "
     "one that covers none of the scanned traffic makes the exit status 3"},
    {O_WAF_LOGS, NULL, "--waf-logs", "PATH", CFS_SEC_COMMON, CFS_CMD_SR, CFS_CLI_FILES,
     "AWS WAF logs (JSON lines; gz, zst or plain; files or directories; repeatable). The report says what each "
     "covered; one that covers none of the scanned traffic or holds no WAF record makes the exit status 3"},
    {O_GZIP_DECODER, NULL, "--gzip-decoder", "D", CFS_SEC_COMMON, CFS_CMD_SR, "auto isal zlib libdeflate",
     "auto or isal (ISA-L streaming, parsed in 256 KiB pieces), zlib (streaming), libdeflate (whole files up to "
     "16 MiB compressed, ISA-L above that and for pipes)"},
    {O_SPLIT_ABOVE, NULL, "--split-above", "BYTES", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "cut inputs larger than this into blocks that all threads share (K, M, G suffixes; default 64M; pipes and "
     "stdin are always cut)"},
    {O_ENDPOINT_URL, NULL, "--endpoint-url", "URL", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "S3-compatible endpoint for s3:// inputs (http://HOST:PORT or https://...; addressed path-style); default "
     "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS"},
    {O_LOG_FIELDS, NULL, "--log-fields", "a,b,...", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "the columns of logs without a #Fields: line (real-time logs, v2 Plain), in file order: standard or "
     "real-time log field names; a #Fields: line in a file still takes over. With a name only standard logs "
     "have (date, time, cs(Host), ...) and none only real-time logs have (cs-host, cs-user-agent, ...) the "
     "lines are standard logs, never sampled; otherwise the report says their sampling rate is not known. Not "
     "--fields, which chooses the columns `requests` prints"},
    {O_REALTIME_CONFIG, NULL, "--realtime-config", "FILE", CFS_SEC_COMMON, CFS_CMD_SR, CFS_CLI_FILES,
     "the JSON of `aws cloudfront get-realtime-log-config`: its Fields, put in CloudFront's real-time column "
     "order, are the columns of headerless logs; its SamplingRate is stated in the report (counts are of logged "
     "requests)"},
    {O_DELIMITER, NULL, "--delimiter", "C", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "field delimiter of v2 Plain/W3C logs (fieldDelimiter: one byte, or 'tab'; default TAB), where a #Fields: "
     "line does not show it; v2 JSON lines are found by their first byte and need no option"},
    {O_PROGRESS, NULL, "--progress", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "progress line on stderr (default: when stderr is a terminal)"},
    {O_NO_PROGRESS, NULL, "--no-progress", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL, "no progress line"},
    {O_QUIET, "-q", "--quiet", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL, "no throughput line on stderr"},
    {O_VERBOSE, "-v", "--verbose", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "say which scan kernel runs (CFSCAN_KERNEL=name forces one), the aggregation's memory peak, and the "
     "seconds each phase took (reading and counting, merging the threads' tables, judging held-back 403s, "
     "settling), on stderr"},
    {O_REDACT_CLIENTS, NULL, "--redact-clients", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "client addresses (c-ip, x-forwarded-for) cut to their network, IPv4 /24 (a.b.c.0) and IPv6 /48 (a:b:c::), "
     "in every output: reports, summary tables and state, requests rows"},
    {O_MEMORY_LIMIT, NULL, "--memory-limit", "BYTES", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "budget for the aggregation's tables and sketches (K, M, G suffixes; default half of RAM or of the cgroup's "
     "memory.max); past it the run stops, writes nothing and exits 5"},
    {O_HELP, "-h", "--help", NULL, CFS_SEC_COMMON, CFS_CMD_SR | CFS_CMD_MERGE | CFS_CMD_DIFF | CFS_CMD_RULES,
     NULL, "print this text"},
    {O_VERSION, "-V", "--version", NULL, CFS_SEC_COMMON,
     CFS_CMD_SR | CFS_CMD_MERGE | CFS_CMD_DIFF | CFS_CMD_RULES, NULL, "print the version and exit"},
    {O_FORMAT, NULL, "--format", "text|json|html", CFS_SEC_SCAN, CFS_CMD_SCAN, "text json html",
     "report format on stdout (default text); html: one self-contained page with charts"},
    {O_BRIEF, NULL, "--brief", NULL, CFS_SEC_SCAN, CFS_CMD_SCAN, NULL,
     "text report of one screen per distribution: causes, counts, evidence and one next step each (the "
     "summary's report.txt stays the full report)"},
    {O_TOP, NULL, "--top", "N", CFS_SEC_SCAN, CFS_CMD_SCAN, NULL,
     "entries in each top list (default 5, at most 64)"},
    {O_RESOLUTION, NULL, "--resolution", "R", CFS_SEC_SCAN, CFS_CMD_SCAN, "1m 5m 15m 1h",
     "the 403 timeline per 1m, 5m, 15m or 1h (default: from the --since/--until window, up to 2 h 1m, 12 h 5m, "
     "48 h 15m, else 1h)"},
    {O_OUTPUT, "-o", "--output", "DIR", CFS_SEC_SCAN, CFS_CMD_SCAN, CFS_CLI_DIRS,
     "also write a summary directory (Parquet tables, report.txt, report.json, manifest.json, state.cfs, "
     "inputs.cfm), "
     "replaced atomically; DIR must not be a symbolic link, and an existing DIR must be empty or a summary "
     "holding nothing else"},
    {O_UPDATE, NULL, "--update", NULL, CFS_SEC_SCAN, CFS_CMD_SCAN, NULL,
     "with -o: read only the inputs DIR's summary has not counted (by path under the scanned root, size and "
     "fingerprint) and publish the summary of both; a counted path whose file changed is an unusable input (4), "
     "never counted twice"},
    {O_REBUILD, NULL, "--rebuild", NULL, CFS_SEC_SCAN, CFS_CMD_SCAN, NULL,
     "with -o: rescan everything and replace DIR (the default)"},
    {O_SHARD, NULL, "--shard", "I/N|auto[/N]", CFS_SEC_SCAN, CFS_CMD_SCAN, NULL,
     "read only the inputs whose path hash falls in shard I of N; auto: I and N from Slurm "
     "(SLURM_ARRAY_TASK_ID/_COUNT), AWS Batch (AWS_BATCH_JOB_ARRAY_INDEX/_SIZE) or Kubernetes "
     "(JOB_COMPLETION_INDEX, N from auto/N or CFSCAN_SHARD_COUNT)"},
    {O_OUTPUT, "-o", "--output", "OUT", CFS_SEC_MERGE, CFS_CMD_MERGE, CFS_CLI_DIRS,
     "the merged summary directory (required), written as scan -o writes one"},
    {O_FORMAT, NULL, "--format", "text|json|html", CFS_SEC_MERGE, CFS_CMD_MERGE, "text json html",
     "format of the merged summary's report on stdout (default text)"},
    {O_MEMORY_LIMIT, NULL, "--memory-limit", "BYTES", CFS_SEC_MERGE, CFS_CMD_MERGE, NULL,
     "as for scan: past it the merge writes nothing and exits 5"},
    {O_QUIET, "-q", "--quiet", NULL, CFS_SEC_MERGE, CFS_CMD_MERGE, NULL, "no throughput line on stderr"},
    {O_TOP, NULL, "--top", "N", CFS_SEC_MERGE, CFS_CMD_MERGE, NULL,
     "entries in each top list of the report (default 5, at most 64; the summary keeps 256 a list)"},
    {O_EXPECT, NULL, "--expect", "N", CFS_SEC_MERGE, CFS_CMD_MERGE, NULL,
     "the parts are shards of N of one scan: refuse (4) naming the missing shards"},
    {O_DEDUPE, NULL, "--dedupe", NULL, CFS_SEC_MERGE, CFS_CMD_MERGE, NULL,
     "drop a part whose inputs another part holds all of, instead of refusing (4) parts that share inputs"},
    {O_DIST, NULL, "--dist", "ID", CFS_SEC_FILTERS, CFS_CMD_SR, NULL,
     "one distribution; other distributions' files are skipped by name"},
    {O_EDGE, NULL, "--edge", "E", CFS_SEC_FILTERS, CFS_CMD_SR, NULL,
     "edge location: full id IAD89-C1, POP IAD89 or airport IAD"},
    {O_STATUS, NULL, "--status", "N", CFS_SEC_FILTERS, CFS_CMD_SR, NULL, "HTTP status as logged (0..999)"},
    {O_CAUSE, NULL, "--cause", "C", CFS_SEC_FILTERS, CFS_CMD_SR, CFS_CLI_CAUSES,
     "403 cause (scan keeps 403s awaiting the latency reference)"},
    {O_IP, NULL, "--ip", "ADDR[/BITS]", CFS_SEC_FILTERS, CFS_CMD_SR, NULL,
     "client address or CIDR (IPv4 or IPv6)"},
    {O_URI_PREFIX, NULL, "--uri-prefix", "P", CFS_SEC_FILTERS, CFS_CMD_SR, NULL,
     "cs-uri-stem starts with P (a leading / is implied: api/ = /api/)"},
    {O_REQUEST_ID, NULL, "--request-id", "ID", CFS_SEC_FILTERS, CFS_CMD_SR, NULL, "one x-edge-request-id"},
    {O_FIELDS, NULL, "--fields", "a,b,...", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, CFS_CLI_FIELDS,
     "log field names, `distribution`, or the verdict columns cause, evidence, rule, waf_rule (the blocking WAF "
     "rule), candidates"},
    {O_FORMAT, NULL, "--format", "tsv|json", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, "tsv json",
     "TSV with a header (default), or JSON lines: one object a row"},
    {O_FORMAT, NULL, "--format", "text|json|html", CFS_SEC_DIFF, CFS_CMD_DIFF, "text json html",
     "text (default), JSON (the contract in the README) or a self-contained HTML page (no script, no external "
     "URL)"},
    {O_TOP, NULL, "--top", "N", CFS_SEC_DIFF, CFS_CMD_DIFF, NULL,
     "entries of each top list (edges, URIs, clients per cause; WAF rules) whose arrivals and departures are "
     "compared (default 5, at most 64)"},
    {O_FORMAT, NULL, "--format", "text|tsv", CFS_SEC_RULES, CFS_CMD_RULES, "text tsv",
     "text (default) or one TSV row per rule: rule, cause, evidence, rests_on, cites"},
};

static const char cfs_cli_intro[] =
    "PATH is a CloudFront log file (W3C/TSV, v2 JSON lines or v2 Parquet; gzip, zstd or plain; detected from "
    "its bytes), a directory (walked recursively), s3://BUCKET/PREFIX (every object under it) or - for "
    "standard input; a path named twice, or inside a directory also named, is read once. Options may come before or after the paths, as --opt VALUE or "
    "--opt=VALUE (-jN for -j N); -- ends the options. An unknown option or value is a usage error (2) that "
    "names the nearest valid one.";

/* Exit statuses: code and meaning (README "Exit status"; cfs_run_exit_status). */
static const struct {
    int code;
    const char *meaning;
} cfs_cli_exit[] = {
    {0, "all inputs read and every line used"},
    {2, "usage error (diff: also summaries of different schema versions)"},
    {3,
     "some lines were rejected or an input held no usable lines (counts in the report), an evidence input "
     "(--config, --waf-logs) covered none of the scanned traffic or was not what it claims, the window and "
     "filters selected nothing (said on stderr and in the report), or the paths given hold no file"},
    {4,
     "an input could not be read completely (missing, unreadable, truncated or corrupt), or an evidence file "
     "failed to load; for merge, parts that share inputs or missing shards (--expect); for diff, a summary "
     "that cannot be read (missing, not a summary, corrupt)"},
    {5, "the distinct keys outgrew --memory-limit (nothing written); for diff: a change was flagged"},
    {1, "other fatal error"},
    {130, "interrupted (SIGINT, SIGTERM)"},
    {141, "standard output closed before the output was written (cfscan requests ... | head): SIGPIPE"},
};
static const char cfs_cli_exit_order[] = "When several apply: 130, then 2, 1, 5, 4, 3.";

#endif
