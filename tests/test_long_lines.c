/* Lines longer than CFS_MAX_LINE through the built binary: every way an input is read
 * (one piece at a time on one thread, zero-copy blocks of a mapped file, blocks copied
 * from a stream or a decompressor) must count such a line once and account for all of
 * its bytes, so the same log gives the same totals whichever path reads it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/json.h"
#include "tests/util.h"

static double num_at(const cfs_json *root, const char *path)
{
    double v = -1;
    cr_assert(cfs_json_num(cfs_json_path(root, path), &v), "%s missing", path);
    return v;
}

/* The JSON report of cmd (a test's mode m), which must exit want_rc, parsed into doc; the
 * text doc points into, which the caller frees after doc. */
static char *report(const char *cmd, int want_rc, int m, cfs_json_doc *doc)
{
    char *out, *err;
    cr_assert_eq(tu_run(cmd, &out, &err), want_rc, "mode %d: %s", m, err);
    free(err);
    char jerr[128];
    cr_assert_eq(cfs_json_parse(doc, out, strlen(out), jerr, sizeof jerr), CFS_OK, "%s", jerr);
    return out;
}

/* A count of a report that every way of reading must give: the JSON path, its value. */
typedef struct want_num {
    const char *path;
    double value;
} want_num;

/* Each of the n commands exits want_rc, and its report holds every count of want (ended by
 * a NULL path). */
static void expect_every_way(char cmds[][1024], int n, int want_rc, const want_num *want)
{
    for (int m = 0; m < n; m++) {
        cfs_json_doc doc = {0};
        char *out = report(cmds[m], want_rc, m, &doc);
        const cfs_json *r = cfs_json_root(&doc);
        for (const want_num *w = want; w->path; w++) {
            const double got = num_at(r, w->path);
            cr_expect_eq(got, w->value, "mode %d: %s %.0f, want %.0f", m, w->path, got, w->value);
        }
        cfs_json_doc_free(&doc);
        free(out);
    }
}

/* The three ways a file is read, as commands into cmds[0..2]: mapped whole, cut into
 * blocks (--split-above split), and piped; opts go to each. */
static void read_three_ways(char cmds[][1024], const char *cfscan, const char *path, const char *split,
                            const char *opts)
{
    snprintf(cmds[0], 1024, "%s scan %s --format json -q %s", cfscan, path, opts);
    snprintf(cmds[1], 1024, "%s scan %s --split-above %s --format json -q %s", cfscan, path, split, opts);
    snprintf(cmds[2], 1024, "cat %s | %s scan - --format json -q %s", path, cfscan, opts);
}

/* A 20 MiB line (longer than the 8 MiB blocks large and streamed inputs are cut into,
 * so the block producer drops its bytes itself) between ordinary lines.  bytes_decoded
 * is the size of the decompressed log, known here without asking cfscan: the file as
 * written, or the bytes handed to the compressor. */
Test(long_lines, bytes_decoded_counts_a_skipped_line_on_every_path)
{
    char *dir = tu_mkdtemp();
    const char *hdr = "#Version: 1.0\n#Fields: date time x-edge-location sc-status\n";
    const char *good = "2026-11-01\t10:00:00\tLAX3\t200\n";
    size_t big = (size_t)20 << 20;
    size_t cap = strlen(hdr) + 5 * strlen(good) + big + 16, o = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    o += (size_t)sprintf(buf + o, "%s%s%s%s", hdr, good, good, good);
    memset(buf + o, 'y', big);
    o += big;
    buf[o++] = '\n';
    o += (size_t)sprintf(buf + o, "%s%s", good, good);
    char *plain = tu_write(dir, "long.log", buf, o);
    size_t gzn;
    void *gz = tu_gzip(buf, o, &gzn);
    char *gzp = tu_write(dir, "long.log.gz", gz, gzn);
    char *cfscan = tu_prog("cfscan");
    char cmds[4][1024];
    /* sequential; zero-copy blocks; blocks copied from stdin; blocks from a decompressor */
    read_three_ways(cmds, cfscan, plain, "1", "");
    snprintf(cmds[3], sizeof cmds[3], "%s scan %s --split-above 1 --format json -q", cfscan, gzp);
    /* bytes_decoded: the log's size */
    expect_every_way(cmds, 4, 3,
                     (const want_num[]){{"inputs.bytes_decoded", (double)o},
                                        {"inputs.lines", 8},
                                        {"inputs.requests", 5},
                                        {"inputs.rejected_by_reason.line_too_long", 1},
                                        {NULL, 0}});
    free(cfscan);
    free(gz);
    free(gzp);
    free(plain);
    free(buf);
    tu_rmrf(dir);
}

/* A #Fields: line of exactly CFS_MAX_LINE bytes before its CR is one byte too long: the
 * parse rejects it (line_too_long) on every path, and the producer of blocks, which
 * follows headers so that the next block starts with the right layout, must not take
 * it either.  It measured the line without its CR and gave the 8 MiB of 3-column lines
 * after it that header's layout when the file was cut into blocks (piped or split):
 * thousands of requests, where the mapped file read whole rejected them. */
Test(long_lines, crlf_header_one_byte_over_sets_no_layout_on_any_path)
{
    char *dir = tu_mkdtemp();
    const size_t max = (size_t)1 << 20; /* CFS_MAX_LINE */
    const char *hdr = "#Version: 1.0\n#Fields: date time x-edge-location sc-status\n";
    const char *good = "2026-11-01\t10:00:00\tLAX3\t200\n";
    const char *pre = "#Fields: date time sc-status ";
    const char *three = "2026-11-01\t10:00:01\t403\n"; /* too few fields for the first header */
    const size_t n3 = ((size_t)9 << 20) / strlen(three) + 1;
    size_t cap = strlen(hdr) + 3 * strlen(good) + max + 2 + (n3 + 1) * strlen(three), o = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    o += (size_t)sprintf(buf, "%s%s%s%s", hdr, good, good, good);
    memcpy(buf + o, pre, strlen(pre));
    memset(buf + o + strlen(pre), 'x', max - strlen(pre));
    o += max;
    buf[o++] = '\r';
    buf[o++] = '\n';
    size_t n = 0;
    while (o + strlen(three) <= cap && o < ((size_t)9 << 20)) {
        memcpy(buf + o, three, strlen(three));
        o += strlen(three);
        n++;
    }
    char *plain = tu_write(dir, "crlf.log", buf, o);
    char *cfscan = tu_prog("cfscan");
    char cmds[3][1024];
    read_three_ways(cmds, cfscan, plain, "1K", "-j2");
    expect_every_way(cmds, 3, 3,
                     (const want_num[]){{"inputs.requests", 3},
                                        {"inputs.rejected_by_reason.line_too_long", 1},
                                        {"inputs.rejected_by_reason.too_few_fields", (double)n},
                                        {NULL, 0}});
    free(cfscan);
    free(plain);
    free(buf);
    tu_rmrf(dir);
}

/* A compressed log cut in the middle of its stream: the lines before the damage count, the
 * cut-off last line is rejected as truncated, and its bytes are part of bytes_decoded on
 * every path.  The one-piece-at-a-time reader is the reference for the block reader. */
Test(long_lines, truncated_stream_bytes_same_on_every_path)
{
    char *dir = tu_mkdtemp();
    size_t cap = (size_t)4 << 20, o = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    o += (size_t)sprintf(buf, "#Version: 1.0\n#Fields: date time x-edge-location sc-status cs-uri-stem\n");
    for (int i = 0; o + 128 < cap; i++)
        o += (size_t)sprintf(buf + o, "2026-11-01\t10:00:%02d\tLAX3\t200\t/a/%d/%u\n", i % 60, i,
                             (unsigned)(i * 2654435761u));
    size_t gzn;
    char *gz = tu_gzip(buf, o, &gzn);
    char *cut = tu_write(dir, "cut.log.gz", gz, gzn * 6 / 10);
    char *cfscan = tu_prog("cfscan");
    double lines[2], bytes[2], trunc[2];
    for (int m = 0; m < 2; m++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s scan %s %s--format json -q", cfscan, cut, m ? "--split-above 1 " : "");
        cfs_json_doc doc = {0};
        char *out = report(cmd, 4, m, &doc);
        const cfs_json *r = cfs_json_root(&doc);
        lines[m] = num_at(r, "inputs.lines");
        bytes[m] = num_at(r, "inputs.bytes_decoded");
        trunc[m] = num_at(r, "inputs.rejected_by_reason.truncated");
        cfs_json_doc_free(&doc);
        free(out);
    }
    cr_expect_eq(trunc[0], 1, "the cut-off line is rejected as truncated");
    cr_expect_eq(trunc[1], 1, "the cut-off line is rejected as truncated (blocks)");
    cr_expect_eq(lines[1], lines[0], "lines: blocks %.0f, one piece at a time %.0f", lines[1], lines[0]);
    cr_expect_eq(bytes[1], bytes[0], "bytes_decoded: blocks %.0f, one piece at a time %.0f", bytes[1],
                 bytes[0]);
    cr_expect(bytes[0] > 0 && bytes[0] < (double)o, "some bytes decoded before the cut: %.0f of %zu",
              bytes[0], o);
    free(cut);
    free(gz);
    free(buf);
    tu_rmrf(dir);
    free(dir);
}

/* x_n bytes of lowercase letters from a fixed sequence: text that gzip cannot shrink much,
 * so that cutting a few kilobytes off a compressed file cuts as few decoded bytes. */
static void letters(char *p, size_t n)
{
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (char)('a' + (x >> 16) % 26);
    }
}

/* A compressed log cut inside a last line that is already longer than CFS_MAX_LINE when the
 * damage comes: that line is too long, not truncated, on every path.  Read one piece at a
 * time it is counted too long once a WINDOW holds no LF; the block reader rejected the
 * cut-off tail as truncated, whatever its length, so the JSON of one file depended on how
 * it was read. */
Test(long_lines, a_cut_off_line_already_too_long_is_too_long_on_every_path)
{
    char *dir = tu_mkdtemp();
    const char *hdr = "#Version: 1.0\n#Fields: date time x-edge-location sc-status\n";
    const char *good = "2026-11-01\t10:00:00\tLAX3\t200\n";
    const size_t big = (size_t)3 << 19; /* 1.5 MiB */
    size_t cap = strlen(hdr) + 3 * strlen(good) + 32 + big, o = 0;
    char *buf = malloc(cap);
    cr_assert(buf);
    o += (size_t)sprintf(buf, "%s%s%s%s2026-11-01\t10:00:01\t", hdr, good, good, good);
    letters(buf + o, big);
    o += big;
    buf[o++] = '\n';
    size_t gzn;
    char *gz = tu_gzip(buf, o, &gzn);
    /* 2,000 compressed bytes off the end: a few kilobytes of the long line's text */
    char *cut = tu_write(dir, "cut.log.gz", gz, gzn - 2000);
    char *cfscan = tu_prog("cfscan");
    char cmds[4][1024];
    read_three_ways(cmds, cfscan, cut, "1", "");
    snprintf(cmds[3], sizeof cmds[3], "%s scan %s -j3 --split-above 1 --format json -q", cfscan, cut);
    /* lines: 2 headers, 3 lines, the long one */
    expect_every_way(cmds, 4, 4,
                     (const want_num[]){{"inputs.lines", 6},
                                        {"inputs.requests", 3},
                                        {"inputs.rejected_by_reason.line_too_long", 1},
                                        {"inputs.rejected_by_reason.truncated", 0},
                                        {NULL, 0}});
    free(cfscan);
    free(cut);
    free(gz);
    free(buf);
    tu_rmrf(dir);
    free(dir);
}

/* The JSON report of cmd with the input's path and compressed size taken out: what must
 * not depend on how the same decoded bytes were read. */
static char *report_sans_input(const char *cmd)
{
    char full[1400];
    snprintf(
        full, sizeof full,
        "%s | sed -e 's#\"path\":\"[^\"]*\"#\"path\":\"\"#g' -e 's#\"bytes\":[0-9]*,\"bytes_decoded\"#\"bytes_decoded\"#'",
        cmd);
    char *out = NULL;
    cr_assert_eq(tu_sh(&out, NULL, "%s", full), 0, "%s", full);
    return out;
}

/* A line longer than CFS_MAX_LINE that starts before the 8 MiB mark where a large input is
 * cut into blocks, and ends more than a WINDOW past it: a mapped file, the same bytes piped
 * and the same bytes gzipped must be cut into the same blocks, since each block's top-k
 * summaries fold into the report (the top lists here are approximate: a few thousand URIs
 * and clients among the 403s of one cause).  The mapped path cut after the long line, the
 * streamed ones before it, and the top lists differed. */
Test(long_lines, a_long_line_across_a_block_cut_is_cut_alike_mapped_piped_and_decompressed)
{
    char *dir = tu_mkdtemp();
    tu_buf b = {0};
    tu_log_header(&b);
    const size_t cut = (size_t)8 << 20, long_at = cut - ((size_t)1 << 19), long_n = (size_t)3 << 20;
    uint32_t x = 7;
    int placed = 0;
    while (b.n < ((size_t)20 << 20)) {
        if (!placed && b.n >= long_at - 600) {
            /* the long line, as a 403 whose URI is 3 MiB of letters */
            char *l = malloc(long_n + 1);
            cr_assert(l);
            letters(l, long_n);
            l[long_n] = 0;
            tu_kv o[] = {{"cs-uri-stem", l}, {NULL, NULL}};
            tu_log_line(&b, NULL, o);
            free(l);
            placed = 1;
            continue;
        }
        char uri[32], ip[32], id[16];
        x = x * 1103515245u + 12345u;
        const uint32_t r = x >> 8;
        /* URIs skewed towards small numbers, clients spread */
        snprintf(uri, sizeof uri, "/p/%u", (r % 4000) % (1 + (r >> 12) % 400));
        snprintf(ip, sizeof ip, "10.%u.%u.%u", r % 4, (r >> 4) % 256, (r >> 12) % 256);
        snprintf(id, sizeof id, "R%u", r % 100000);
        tu_kv o[] = {{"cs-uri-stem", uri},
                     {"c-ip", ip},
                     {"x-edge-request-id", id},
                     {"x-edge-detailed-result-type", "ClientGeoBlocked"},
                     {NULL, NULL}};
        tu_log_line(&b, NULL, o);
    }
    cr_assert(placed);
    char *plain = tu_write(dir, "long.log", b.p, b.n);
    size_t gzn;
    void *gz = tu_gzip(b.p, b.n, &gzn);
    char *gzp = tu_write(dir, "long.log.gz", gz, gzn);
    char *cfscan = tu_prog("cfscan");
    char cmds[3][1024];
    read_three_ways(cmds, cfscan, plain, "1", "-j2");
    char *mapped = report_sans_input(cmds[1]);
    char *piped = report_sans_input(cmds[2]);
    char gzcmd[1024];
    snprintf(gzcmd, sizeof gzcmd, "%s scan %s --split-above 1 --format json -q -j2", cfscan, gzp);
    char *unzipped = report_sans_input(gzcmd);
    cr_assert_not_null(strstr(mapped, "\"line_too_long\":1"), "%.600s", mapped);
    int approximate = 0; /* some top list is approximate, so its blocks' order shows */
    for (const char *q = mapped; (q = strstr(q, "\"error_bound\":")) != NULL; q++)
        if (q[14] >= '1' && q[14] <= '9') approximate = 1;
    cr_assert(approximate, "%.600s", mapped);
    cr_assert_str_eq(piped, mapped, "piped and mapped: the same blocks");
    cr_assert_str_eq(unzipped, mapped, "gzipped and mapped: the same blocks");
    free(unzipped);
    free(piped);
    free(mapped);
    free(cfscan);
    free(gzp);
    free(gz);
    free(plain);
    free(b.p);
    tu_rmrf(dir);
    free(dir);
}
