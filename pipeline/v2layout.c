/* Layouts for headerless logs (see v2layout.h): real-time logs and v2 Plain output.  The
 * layout is written as a #Fields: line and parsed by fields.c like any header, so the
 * record stage has one notion of a layout. */
#include "pipeline/v2layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/fields.h"
#include "pipeline/json.h"
#include "pipeline/source.h"
#include "pipeline/xalloc.h"

/* Real-time log fields in the order CloudFront writes them (reference §3: 1-46 from the
 * developer guide's list, 47-69 as the AWS Terraform provider orders them). */
/* clang-format off */
static const char *const k_realtime_order[] = {
    "timestamp", "c-ip", "s-ip", "time-to-first-byte", "sc-status", "sc-bytes", "cs-method",
    "cs-protocol", "cs-host", "cs-uri-stem", "cs-bytes", "x-edge-location", "x-edge-request-id",
    "x-host-header", "time-taken", "cs-protocol-version", "c-ip-version", "cs-user-agent",
    "cs-referer", "cs-cookie", "cs-uri-query", "x-edge-response-result-type", "x-forwarded-for",
    "ssl-protocol", "ssl-cipher", "x-edge-result-type", "fle-encrypted-fields", "fle-status",
    "sc-content-type", "sc-content-len", "sc-range-start", "sc-range-end", "c-port",
    "x-edge-detailed-result-type", "c-country", "cs-accept-encoding", "cs-accept",
    "cache-behavior-path-pattern", "cs-headers", "cs-header-names", "cs-headers-count",
    "primary-distribution-id", "primary-distribution-dns-name", "origin-fbl", "origin-lbl", "asn",
    "cmcd-encoded-bitrate", "cmcd-buffer-length", "cmcd-buffer-starvation", "cmcd-content-id",
    "cmcd-object-duration", "cmcd-deadline", "cmcd-measured-throughput", "cmcd-next-object-request",
    "cmcd-next-range-request", "cmcd-object-type", "cmcd-playback-rate",
    "cmcd-requested-maximum-throughput", "cmcd-streaming-format", "cmcd-session-id",
    "cmcd-stream-type", "cmcd-startup", "cmcd-top-bitrate", "cmcd-version", "r-host", "sr-reason",
    "x-edge-mqcs", "distribution-tenant-id", "connection-id",
};
/* clang-format on */
#define NRT (sizeof k_realtime_order / sizeof k_realtime_order[0])

int cfs_realtime_rank(const char *name, size_t n)
{
    for (size_t i = 0; i < NRT; i++)
        if (cfs_ascii_ieq(name, n, k_realtime_order[i], strlen(k_realtime_order[i]))) return (int)i;
    return -1;
}

/* Real-time logs swap two names against standard logs (real-time-logs.md in the developer
 * guide, S2): their cs-host is the Host header the viewer sent (standard: x-host-header)
 * and their x-host-header the distribution's CloudFront domain (standard: cs(Host)).  The
 * other real-time spellings (cs-user-agent, ...) are aliases fields.c knows. */
static void realtime_name(const char **p, size_t *n)
{
    if (cfs_ascii_ieq(*p, *n, "cs-host", 7)) {
        *p = "x-host-header";
        *n = 13;
    } else if (cfs_ascii_ieq(*p, *n, "x-host-header", 13)) {
        *p = "cs(Host)";
        *n = 8;
    }
}

/* "#Fields: " + the names, joined by spaces, then parsed as a header; realtime: the names
 * are real-time log names (realtime_name). */
static cfs_status layout_from_names(cfs_layout *l, const char *const *names_in, const size_t *lens_in,
                                    size_t n, char delim, int realtime, char *err, size_t errlen)
{
    const char *names[CFS_MAX_COLS];
    size_t lens[CFS_MAX_COLS];
    if (n == 0) {
        snprintf(err, errlen, "no field names");
        return CFS_E_USAGE;
    }
    if (n > CFS_MAX_COLS) {
        snprintf(err, errlen, "%zu field names, more than %d", n, CFS_MAX_COLS);
        return CFS_E_USAGE;
    }
    size_t cap = 9;
    for (size_t i = 0; i < n; i++) {
        names[i] = names_in[i];
        lens[i] = lens_in[i];
        if (realtime) realtime_name(&names[i], &lens[i]);
        cap += lens[i] + 1;
    }
    /* a field named twice: which column holds it?  Named, as the list's own error */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (cfs_ascii_ieq(names_in[i], lens_in[i], names_in[j], lens_in[j])) {
                snprintf(err, errlen, "field %.*s is named twice", (int)(lens_in[i] > 64 ? 64 : lens_in[i]),
                         names_in[i]);
                return CFS_E_USAGE;
            }
    char *line = cfs_malloc(cap, "building the layout of headerless logs");
    if (!line) {
        snprintf(err, errlen, "out of memory");
        return CFS_E_NOMEM;
    }
    size_t w = 0;
    memcpy(line, "#Fields:", 8);
    w = 8;
    for (size_t i = 0; i < n; i++) {
        line[w++] = ' ';
        memcpy(line + w, names[i], lens[i]);
        w += lens[i];
    }
    cfs_status st = cfs_layout_parse_delim(l, line, w, delim);
    free(line);
    l->realtime = (uint8_t)(st == CFS_OK && realtime);
    /* A line of these logs carries every field named (a real-time record, a v2 Plain
     * line: "-" for an empty one), unlike a legacy log of a layout that grew: a shorter
     * line says the list does not match the logs, and its columns would be read as other
     * fields, so it is rejected (too_few_fields) instead of tolerated as short. */
    if (st == CFS_OK) l->min_cols = (int16_t)l->ncols;
    if (st != CFS_OK) {
        snprintf(err, errlen,
                 "the fields cannot be used: they need the status (sc-status) and a time (date and time, "
                 "timestamp or timestamp(ms)), each named once");
        return CFS_E_USAGE;
    }
    return CFS_OK;
}

/* Names that say which logs a --log-fields list describes (reference §2, §3): real-time
 * logs spell four headers differently and have fields standard logging (legacy or v2)
 * cannot select; standard logs have date and time (real-time ones only timestamp), the
 * v2 additions timestamp(ms) and distributionid, and the parenthesised header names. */
/* clang-format off */
static const char *const k_realtime_only[] = {
    "cs-host", "cs-user-agent", "cs-referer", "cs-cookie", "s-ip", "c-ip-version",
    "cs-accept-encoding", "cs-accept", "cs-headers", "cs-header-names", "cs-headers-count",
    "r-host", "sr-reason", "x-edge-mqcs",
};
static const char *const k_standard_only[] = {
    "date", "time", "timestamp(ms)", "distributionid", "cs(Host)", "cs(User-Agent)", "cs(Referer)",
    "cs(Cookie)",
};
/* clang-format on */

static int name_in(const char *p, size_t n, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (cfs_ascii_ieq(p, n, list[i], strlen(list[i]))) return 1;
    return 0;
}

/* What the names[0..n) say about the logs they describe: LOGS_REALTIME when one is a name
 * only real-time logs have, LOGS_STANDARD when one is a name only standard logs have
 * (both bits for a list that mixes them). */
enum { LOGS_REALTIME = 1, LOGS_STANDARD = 2 };
static unsigned names_kind(const char *const *names, const size_t *lens, size_t n)
{
    unsigned kind = 0;
    for (size_t i = 0; i < n; i++) {
        if (name_in(names[i], lens[i], k_realtime_only, sizeof k_realtime_only / sizeof *k_realtime_only) ||
            (lens[i] > 5 && cfs_ascii_ieq(names[i], 5, "cmcd-", 5)))
            kind |= LOGS_REALTIME;
        if (name_in(names[i], lens[i], k_standard_only, sizeof k_standard_only / sizeof *k_standard_only))
            kind |= LOGS_STANDARD;
    }
    return kind;
}

/* Splits "a,b,c" into names (at most CFS_MAX_COLS + 1 of them); returns how many. */
static size_t split_list(const char *list, const char **names, size_t *lens)
{
    size_t n = 0;
    for (const char *p = list; n <= CFS_MAX_COLS; p++) {
        const char *e = strchr(p, ',');
        names[n] = p;
        lens[n++] = e ? (size_t)(e - p) : strlen(p);
        if (!e) break;
        p = e;
    }
    return n;
}

int cfs_log_fields_standard(const char *list)
{
    const char *names[CFS_MAX_COLS + 1];
    size_t lens[CFS_MAX_COLS + 1];
    return names_kind(names, lens, split_list(list, names, lens)) == LOGS_STANDARD;
}

static int name_known(const char *p, size_t n)
{
    return cfs_field_lookup(p, n) != CFS_F_UNKNOWN || cfs_realtime_rank(p, n) >= 0;
}

cfs_status cfs_layout_from_list(cfs_layout *l, const char *list, char delim, char *err, size_t errlen)
{
    const char *names[CFS_MAX_COLS + 1];
    size_t lens[CFS_MAX_COLS + 1];
    const size_t n = split_list(list, names, lens);
    for (size_t i = 0; i < n; i++) {
        if (lens[i] == 0 || !name_known(names[i], lens[i])) {
            snprintf(err, errlen, "unknown log field '%.*s' (standard or real-time log field names)",
                     (int)(lens[i] > 60 ? 60 : lens[i]), names[i]);
            return CFS_E_USAGE;
        }
        if (i >= CFS_MAX_COLS) {
            snprintf(err, errlen, "more than %d field names", CFS_MAX_COLS);
            return CFS_E_USAGE;
        }
    }
    /* Real-time columns, whose cs-host and x-host-header mean what real-time logs mean by
     * them (realtime_name): a list with cs-host, or with another name only real-time logs
     * have and none only standard logs have (a mixed list, cs-user-agent beside cs(Host),
     * keeps the standard meanings, which its own cs(Host) would clash with otherwise). */
    int has_cs_host = 0;
    for (size_t i = 0; i < n; i++) has_cs_host |= cfs_ascii_ieq(names[i], lens[i], "cs-host", 7);
    return layout_from_names(l, names, lens, n, delim,
                             has_cs_host || names_kind(names, lens, n) == LOGS_REALTIME, err, errlen);
}

typedef struct ranked {
    int rank;
    const char *name;
    size_t len;
} ranked;

static int cmp_rank(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

cfs_status cfs_layout_from_realtime_config(cfs_layout *l, int *sampling, const char *path, char *err,
                                           size_t errlen)
{
    /* a file the user named: a FIFO or a device is refused, never waited on */
    char why[128];
    int fd = cfs_open_regular(path, why, sizeof why);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) {
            snprintf(why, sizeof why, "%s", strerror(errno));
            close(fd);
        }
        snprintf(err, errlen, "%s: %s", path, why);
        return CFS_E_IO;
    }
    /* A configuration is a few kilobytes; 1 MiB is plenty and bounds what is read. */
    const size_t cap = (size_t)1 << 20;
    char *buf = cfs_malloc(cap, "reading a real-time log configuration");
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return CFS_E_NOMEM;
    }
    size_t n = fread(buf, 1, cap, f);
    int bad_read = ferror(f) || (n == cap && fgetc(f) != EOF);
    fclose(f);
    if (bad_read) {
        free(buf);
        snprintf(err, errlen, "%s: unreadable or larger than 1 MiB", path);
        return CFS_E_IO;
    }
    cfs_json_doc doc;
    memset(&doc, 0, sizeof doc);
    char jerr[120];
    cfs_status st = cfs_json_parse(&doc, buf, n, jerr, sizeof jerr);
    free(buf);
    if (st != CFS_OK) {
        snprintf(err, errlen, "%s: not JSON (%s)", path, jerr);
        cfs_json_doc_free(&doc);
        return st == CFS_E_NOMEM ? st : CFS_E_FORMAT;
    }
    const cfs_json *root = cfs_json_root(&doc);
    const cfs_json *cfg = cfs_json_get(root, "RealtimeLogConfig");
    if (!cfg) cfg = root;
    const cfs_json *fields = cfs_json_get(cfg, "Fields");
    double rate = 0;
    st = CFS_E_FORMAT;
    if (!fields || fields->type != CFS_JSON_ARRAY || cfs_json_count(fields) == 0) {
        snprintf(
            err, errlen,
            "%s: no RealtimeLogConfig.Fields list (the output of aws cloudfront get-realtime-log-config)",
            path);
    } else if (!cfs_json_num(cfs_json_get(cfg, "SamplingRate"), &rate) || rate < 1 || rate > 100 ||
               rate != (double)(int)rate) {
        snprintf(err, errlen, "%s: SamplingRate missing or not a whole number from 1 to 100", path);
    } else if (cfs_json_count(fields) > CFS_MAX_COLS) {
        snprintf(err, errlen, "%s: more than %d fields", path, CFS_MAX_COLS);
    } else {
        ranked v[CFS_MAX_COLS];
        size_t k = 0;
        st = CFS_OK;
        for (const cfs_json *e = cfs_json_first(fields); e; e = cfs_json_next(e)) {
            size_t len = 0;
            const char *s = cfs_json_strn(e, &len);
            int rank = s ? cfs_realtime_rank(s, len) : -1;
            if (rank < 0) {
                /* its column cannot be placed: every later column would be misread */
                snprintf(err, errlen, "%s: '%.*s' is not a real-time log field cfscan knows the position of",
                         path, s ? (int)(len > 60 ? 60 : len) : 6, s ? s : "(none)");
                st = CFS_E_FORMAT;
                break;
            }
            v[k++] = (ranked){rank, s, len};
        }
        if (st == CFS_OK) {
            qsort(v, k, sizeof v[0], cmp_rank);
            const char *names[CFS_MAX_COLS];
            size_t lens[CFS_MAX_COLS];
            for (size_t i = 0; i < k; i++) {
                names[i] = v[i].name;
                lens[i] = v[i].len;
            }
            char lerr[200];
            st = layout_from_names(l, names, lens, k, 0, 1, lerr, sizeof lerr);
            if (st != CFS_OK) {
                snprintf(err, errlen, "%s: %s", path, lerr);
                if (st == CFS_E_USAGE) st = CFS_E_FORMAT;
            } else {
                *sampling = (int)rate;
            }
        }
    }
    cfs_json_doc_free(&doc);
    return st;
}
