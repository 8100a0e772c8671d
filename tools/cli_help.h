/* The one source of cfscan's command-line documentation: commands, options (with the
 * values they take), the introduction and the exit statuses.  `cfscan help` renders it as
 * text (tools/cfscan.c), and tools/cfscan_doc.c renders it at build time as the man page
 * cfscan(1) and the bash and zsh completions, so the three cannot drift apart.  Add an
 * option here and every output gains it. */
#ifndef CFSCAN_TOOLS_CLI_HELP_H
#define CFSCAN_TOOLS_CLI_HELP_H

#include <stddef.h>

/* Commands, as bits of cfs_cli_opt.cmds. */
enum { CFS_CMD_SCAN = 1u, CFS_CMD_REQUESTS = 2u, CFS_CMD_MERGE = 4u, CFS_CMD_RULES = 8u };

typedef struct cfs_cli_cmd {
    const char *name;
    unsigned bit;         /* CFS_CMD_*, 0 for commands without options */
    const char *synopsis; /* after "cfscan NAME " */
    const char *summary;
} cfs_cli_cmd;

static const cfs_cli_cmd cfs_cli_cmds[] = {
    {"scan", CFS_CMD_SCAN, "PATH... [options]", "report requests and explain 403s"},
    {"requests", CFS_CMD_REQUESTS, "PATH... [options]", "one TSV row per matching request (forensics)"},
    {"merge", CFS_CMD_MERGE, "DIR... -o OUT [options]", "merge summary directories exactly"},
    {"rules", CFS_CMD_RULES, "[RULE...] [--format text|tsv]",
     "every attribution rule: its cause, evidence level, the facts it rests on and the documentation it cites"},
    {"version", 0, "", "print the version"},
    {"help", 0, "", "print this text"},
};

/* Option groups, in the order help and the man page list them. */
typedef struct cfs_cli_section {
    const char *title;
} cfs_cli_section;
enum { CFS_SEC_COMMON, CFS_SEC_SCAN, CFS_SEC_REQUESTS, CFS_SEC_MERGE, CFS_SEC_RULES, CFS_SEC_COUNT };
static const cfs_cli_section cfs_cli_sections[CFS_SEC_COUNT] = {
    [CFS_SEC_COMMON] = {"common options (scan and requests)"},
    [CFS_SEC_SCAN] = {"scan options"},
    [CFS_SEC_REQUESTS] = {"requests options (all filters must match)"},
    [CFS_SEC_MERGE] = {"merge options"},
    [CFS_SEC_RULES] = {"rules options"},
};

/* What a value-taking option completes to: a word list, or one of these. */
#define CFS_CLI_FILES "@files"
#define CFS_CLI_DIRS "@dirs"
#define CFS_CLI_CAUSES "@causes"
#define CFS_CLI_FIELDS "@fields"

typedef struct cfs_cli_opt {
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
    {"-j", "--threads", "N", CFS_SEC_COMMON, CFS_CMD_SR, NULL, "worker threads (default: all cores)"},
    {NULL, "--since", "T", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "keep requests with since <= time < until (UTC; YYYY-MM-DD, YYYY-MM-DDTHH[:MM[:SS]][Z] or @EPOCH, from "
     "1990-01-01 up to 2100-01-01); whole files outside the window are skipped by name before they are opened"},
    {NULL, "--until", "T", CFS_SEC_COMMON, CFS_CMD_SR, NULL, "the end of the window (see --since)"},
    {NULL, "--config", "FILE|DIR", CFS_SEC_COMMON, CFS_CMD_SR, CFS_CLI_FILES,
     "distribution config(s) from `aws cloudfront get-distribution` or get-distribution-config (repeatable; in a "
     "DIR, the *.json files, also .json.gz/.json.zst); get-distribution adds DomainName and LastModifiedTime: 403 "
     "lines older than it lose one evidence level on config-based verdicts. The report says what each covered; "
     "one that covers none of the scanned traffic makes the exit status 3"},
    {NULL, "--waf-logs", "PATH", CFS_SEC_COMMON, CFS_CMD_SR, CFS_CLI_FILES,
     "AWS WAF logs (JSON lines; gz, zst or plain; files or directories; repeatable). The report says what each "
     "covered; one that covers none of the scanned traffic or holds no WAF record makes the exit status 3"},
    {NULL, "--gzip-decoder", "D", CFS_SEC_COMMON, CFS_CMD_SR, "auto isal zlib libdeflate",
     "auto or isal (ISA-L streaming, parsed in 256 KiB pieces), zlib (streaming), libdeflate (whole files up to "
     "16 MiB compressed, ISA-L above that and for pipes)"},
    {NULL, "--split-above", "BYTES", CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "cut inputs larger than this into blocks that all threads share (default 64 MiB; pipes and stdin are always "
     "cut)"},
    {NULL, "--progress", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "progress line on stderr (default: when stderr is a terminal)"},
    {NULL, "--no-progress", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL, "no progress line"},
    {"-q", "--quiet", NULL, CFS_SEC_COMMON, CFS_CMD_SR | CFS_CMD_MERGE, NULL, "no throughput line on stderr"},
    {"-v", "--verbose", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "say which scan kernel runs (CFSCAN_KERNEL=name forces one)"},
    {NULL, "--redact-clients", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL,
     "client addresses (c-ip, x-forwarded-for) cut to their network, IPv4 /24 (a.b.c.0) and IPv6 /48 (a:b:c::), "
     "in every output: reports, summary tables and state, requests rows"},
    {NULL, "--memory-limit", "BYTES", CFS_SEC_COMMON, CFS_CMD_SR | CFS_CMD_MERGE, NULL,
     "budget for the aggregation's tables and sketches (K, M, G suffixes; default half of RAM or of the cgroup's "
     "memory.max); past it the run stops, writes nothing and exits 5"},
    {NULL, "--format", "text|json", CFS_SEC_SCAN, CFS_CMD_SCAN | CFS_CMD_MERGE, "text json",
     "report format on stdout (default text)"},
    {NULL, "--brief", NULL, CFS_SEC_SCAN, CFS_CMD_SCAN, NULL,
     "text report of one screen per distribution: causes, counts, evidence and one next step each (the "
     "summary's report.txt stays the full report)"},
    {NULL, "--top", "N", CFS_SEC_SCAN, CFS_CMD_SCAN, NULL, "entries in each top list (default 5, at most 64)"},
    {"-o", "--output", "DIR", CFS_SEC_SCAN, CFS_CMD_SCAN | CFS_CMD_MERGE, CFS_CLI_DIRS,
     "also write a summary directory (Parquet tables, report.txt, report.json, manifest.json, state.cfs), "
     "replaced atomically; DIR must not be a symbolic link, and an existing DIR must be empty or a summary "
     "holding nothing else (merge: required)"},
    {NULL, "--request-id", "ID", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, NULL,
     "the request with this x-edge-request-id"},
    {NULL, "--status", "N", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, NULL, "requests with this HTTP status"},
    {NULL, "--cause", "C", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, CFS_CLI_CAUSES, "403s attributed to this cause"},
    {NULL, "--dist", "ID", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, NULL, "requests of this distribution"},
    {NULL, "--edge", "E", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, NULL, "requests served by this edge location"},
    {NULL, "--ip", "CIDR", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, NULL,
     "requests from this client address or network"},
    {NULL, "--uri-prefix", "P", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, NULL, "requests whose URI starts with P"},
    {NULL, "--fields", "a,b,...", CFS_SEC_REQUESTS, CFS_CMD_REQUESTS, CFS_CLI_FIELDS,
     "the columns to print: log field names, or `distribution`"},
    {NULL, "--format", "text|tsv", CFS_SEC_RULES, CFS_CMD_RULES, "text tsv",
     "text (default) or one TSV row per rule: rule, cause, evidence, rests_on, cites"},
    {"-h", "--help", NULL, CFS_SEC_COMMON, CFS_CMD_SR, NULL, "print this text"},
};

static const char cfs_cli_intro[] =
    "PATH is a CloudFront log file (gzip, zstd or plain; detected from its bytes), a directory (walked "
    "recursively) or - for standard input.";

/* Exit statuses: code and meaning (README "Exit status"; cfs_run_exit_status). */
static const struct {
    int code;
    const char *meaning;
} cfs_cli_exit[] = {
    {0, "all inputs read and every line used"},
    {2, "usage error"},
    {3, "some lines were rejected or an input held no usable lines (counts in the report), or an evidence input "
        "(--config, --waf-logs) covered none of the scanned traffic or was not what it claims"},
    {4, "an input could not be read completely (missing, unreadable, truncated or corrupt), or an evidence file "
        "failed to load"},
    {5, "the distinct keys outgrew --memory-limit (nothing written)"},
    {1, "other fatal error"},
    {130, "interrupted"},
};
static const char cfs_cli_exit_order[] = "When several apply: 130, then 2, 1, 5, 4, 3.";

#endif
