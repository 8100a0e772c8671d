/* The fields a scan decodes of a Parquet file (cfs_pres_analysed, presence.h) are all the
 * fields the analysis reads: every field the attribution, aggregation and judging code
 * names (CFS_F_... in their sources, read here) and every field the record stage parses
 * into a record's members must be in the list, or a Parquet scan would see "-" where the
 * same log as text has a value.  The enum's order is read from pipeline/types.h, so a new
 * field needs no change here. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/presence.h"
#include "tests/util.h"

/* The names of the cfs_field values, in order, from the enum in types.h. */
static size_t field_names(char names[][64], size_t max)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/pipeline/types.h", CFS_SOURCE_DIR);
    char *t = tu_read(path, NULL);
    cr_assert(t, "%s", path);
    char *p = strstr(t, "typedef enum cfs_field {");
    cr_assert(p, "no cfs_field enum in %s", path);
    size_t n = 0;
    for (;;) {
        p = strstr(p, "CFS_F_");
        cr_assert(p, "no CFS_F_COUNT in the enum");
        size_t k = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        cr_assert(k < 64 && n < max);
        if (k == strlen("CFS_F_COUNT") && strncmp(p, "CFS_F_COUNT", k) == 0) break;
        memcpy(names[n], p, k);
        names[n++][k] = 0;
        p += k;
    }
    free(t);
    cr_assert_eq(n, CFS_F_COUNT, "the enum read has %zu names", n);
    return n;
}

static int field_of(char names[][64], size_t n, const char *tok)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], tok) == 0) return (int)i;
    return -1;
}

/* Every CFS_F_ name in the source file rel that is not in `allowed` (space-separated) is a
 * field of mask m. */
static void names_are_in(const char *rel, uint64_t m, const char *allowed)
{
    char names[CFS_F_COUNT + 8][64];
    size_t n = field_names(names, CFS_F_COUNT + 8);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", CFS_SOURCE_DIR, rel);
    char *t = tu_read(path, NULL);
    cr_assert(t, "%s", path);
    size_t seen = 0;
    for (char *p = t; (p = strstr(p, "CFS_F_")) != NULL;) {
        char tok[64];
        size_t k = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
        cr_assert(k < sizeof tok);
        memcpy(tok, p, k);
        tok[k] = 0;
        p += k;
        if (strcmp(tok, "CFS_F_COUNT") == 0 || strcmp(tok, "CFS_F_UNKNOWN") == 0) continue;
        char pad[80];
        snprintf(pad, sizeof pad, " %s ", tok);
        char list[512];
        snprintf(list, sizeof list, " %s ", allowed);
        if (strstr(list, pad)) continue;
        int f = field_of(names, n, tok);
        cr_assert(f >= 0, "%s names %s, which is no field of the enum", rel, tok);
        cr_assert(m >> f & 1,
                  "%s reads %s, which a Parquet scan does not decode (presence.c, cfs_pres_analysed)", rel,
                  tok);
        seen++;
    }
    free(t);
    cr_assert_gt(seen, 0, "%s names no field: is it still the file that reads them?", rel);
}

Test(presence_reads, attribution_and_aggregation_read_only_decoded_fields)
{
    const uint64_t m = cfs_pres_analysed(1);
    names_are_in("pipeline/attribute.c", m, "");
    names_are_in("pipeline/aggregate.c", m, "");
    names_are_in("pipeline/edgefast.c", m, "");
    /* the scan driver: x-forwarded-for and c-ip only for `requests` rows (--redact-clients),
     * which ask for every field */
    names_are_in("pipeline/scan.c", m, "CFS_F_FORWARDED_FOR");
}

Test(presence_reads, the_record_members_come_from_decoded_fields)
{
    /* what fields.c (record_tail, parse_ts) parses into a record's members */
    static const cfs_field parsed[] = {CFS_F_DATE,
                                       CFS_F_TIME,
                                       CFS_F_TIMESTAMP_MS,
                                       CFS_F_TIMESTAMP,
                                       CFS_F_SC_STATUS,
                                       CFS_F_SC_BYTES,
                                       CFS_F_TIME_TAKEN,
                                       CFS_F_EDGE_RESULT_TYPE,
                                       CFS_F_TIME_TO_FIRST_BYTE,
                                       CFS_F_CS_PROTOCOL,
                                       CFS_F_CS_METHOD,
                                       CFS_F_CS_PROTOCOL_VERSION,
                                       CFS_F_EDGE_RESPONSE_RESULT_TYPE,
                                       CFS_F_EDGE_DETAILED_RESULT_TYPE};
    const uint64_t m = cfs_pres_analysed(0);
    for (size_t i = 0; i < sizeof parsed / sizeof parsed[0]; i++)
        cr_assert(m >> parsed[i] & 1, "%s is parsed into a record but not decoded",
                  cfs_field_name(parsed[i]));
}

Test(presence_reads, request_id_only_with_waf_logs)
{
    cr_assert(cfs_pres_analysed(1) >> CFS_F_EDGE_REQUEST_ID & 1);
    cr_assert(!(cfs_pres_analysed(0) >> CFS_F_EDGE_REQUEST_ID & 1));
    /* and what no verdict or count reads is not decoded */
    static const cfs_field unread[] = {CFS_F_CS_USER_AGENT, CFS_F_CS_REFERER, CFS_F_C_PORT, CFS_F_CS_BYTES,
                                       CFS_F_SSL_CIPHER};
    for (size_t i = 0; i < sizeof unread / sizeof unread[0]; i++)
        cr_assert(!(cfs_pres_analysed(1) >> unread[i] & 1), "%s", cfs_field_name(unread[i]));
}
