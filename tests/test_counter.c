/* Tests for the per-thread exact counter (pipeline/counter.c): ids past their 16 key bits,
 * the previous-key shortcut under alternating keys, and the merge that maps ids back to
 * strings.  Every expected count is computed here from the lines the test made. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/aggregate.h"
#include "pipeline/counter.h"

/* The merged row of (dist, edge, hour, status, no attribution), or NULL. */
static const cfs_trow *find_row(const cfs_agg *m, const char *dist, const char *edge, int64_t hour,
                                uint16_t status)
{
    cfs_tkey k;
    memset(&k, 0, sizeof k);
    cfs_key_str(k.dist, dist, strlen(dist));
    cfs_key_str(k.edge, edge, strlen(edge));
    k.hour = hour;
    k.status = status;
    return cfs_kmap_find(&m->traffic, &k);
}

/* c (moved into t) merged into a new string-keyed m, as scan_end merges a thread's. */
static void merge_counter(cfs_counter *c, cfs_thread_agg *t, cfs_agg *m)
{
    cfs_thread_agg_init(t, NULL);
    cfs_counter_free(&t->counter);
    t->counter = *c;
    cfs_counter_flush(&t->counter);
    cfs_agg_init(m);
    cfs_agg_merge_thread(m, t);
}

/* One line without attribution, as cfs_agg_add counts it (through the memo). */
static void add(cfs_counter *c, const char *dist, const char *edge, int64_t hour, uint16_t status,
                uint64_t bytes)
{
    uint32_t d = cfs_counter_dist(c, dist, strlen(dist));
    cfs_counter_add_plain(c, d, edge, strlen(edge), hour, status, bytes);
}

/* The same line through the general path (interned edge, packed verdict). */
static void add_full(cfs_counter *c, const char *dist, const char *edge, int64_t hour, uint16_t status,
                     uint64_t bytes)
{
    uint32_t d = cfs_counter_dist(c, dist, strlen(dist));
    uint32_t e = cfs_counter_edge(c, edge, strlen(edge));
    cfs_counter_add(c, d, e, hour, cfs_counter_verdict(status, 0, 0, 0, 0, 0), bytes);
}

/* Sum of requests and bytes over every row the counter yields, once the memo's counts
 * are in the rows (cfs_counter_flush, as the scan's end runs it). */
static void totals(cfs_counter *c, uint64_t *req, uint64_t *bytes, size_t *rows)
{
    cfs_counter_flush(c);
    *req = *bytes = 0;
    *rows = 0;
    size_t it = 0;
    cfs_count_row r;
    while (cfs_counter_next(c, &it, &r)) {
        *req += r.requests;
        *bytes += r.bytes;
        (*rows)++;
    }
}

Test(counter, alternating_keys_count_exactly)
{
    cfs_counter c;
    cfs_counter_init(&c);
    /* Two keys alternating line by line, then runs of three, then a third key between
     * runs: the previous-key shortcut must never credit a line to the wrong key. */
    const char *edges[3] = {"IAD89-C1", "CDG52-P2", "LHR62-C2"};
    uint64_t want_req[3] = {0}, want_bytes[3] = {0};
    for (int i = 0; i < 1000; i++) {
        int k = i % 2;
        add(&c, "E1", edges[k], 7200, 200, (uint64_t)i);
        want_req[k]++;
        want_bytes[k] += (uint64_t)i;
    }
    for (int i = 0; i < 999; i++) {
        int k = (i / 3) % 3;
        /* the general path counts into the same rows as the memo path */
        (i % 2 ? add : add_full)(&c, "E1", edges[k], 7200, 200, 7);
        want_req[k]++;
        want_bytes[k] += 7;
    }
    cfs_thread_agg t;
    cfs_agg m;
    merge_counter(&c, &t, &m);
    cr_assert_eq(m.traffic.n, 3);
    for (int k = 0; k < 3; k++) {
        const cfs_trow *r = find_row(&m, "E1", edges[k], 7200, 200);
        cr_assert(r, "row of %s", edges[k]);
        cr_assert_eq(r->requests, want_req[k], "%s: %llu", edges[k], (unsigned long long)r->requests);
        cr_assert_eq(r->bytes, want_bytes[k]);
    }
    cfs_agg_free(&m);
    cfs_thread_agg_free(&t);
}

/* Counts held in the memo reach their rows whatever takes the memo entry over: another
 * key (6,000 keys of two distributions and three hours for 1,024 entries), the table
 * growing (a rehash, from its first size), or a flush in the middle of the lines (which
 * must empty what it moved: the last flush would add it again); each row against an
 * independent count. */
Test(counter, memo_counts_reach_their_rows)
{
    enum { DISTS = 2, HOURS = 3, EDGES = 100, STATUSES = 10, LINES = 200000 };
    static uint64_t want_req[DISTS][HOURS][EDGES][STATUSES], want_bytes[DISTS][HOURS][EDGES][STATUSES];
    memset(want_req, 0, sizeof want_req);
    memset(want_bytes, 0, sizeof want_bytes);
    cfs_counter c;
    cfs_counter_init(&c);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    char edge[16];
    for (int i = 0; i < LINES; i++) {
        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        /* a few keys often (memo hits), the rest now and then (the entry changes hands) */
        const unsigned x = (unsigned)(rng >> 33);
        const int e = x % 4 ? (int)(x % 7) : (int)(x % EDGES), st = (int)(x >> 12) % STATUSES;
        /* runs of one hour and distribution, as files bring them */
        const int h = (i / 5000) % HOURS, d = (i / 15000) % DISTS;
        snprintf(edge, sizeof edge, "EDG%d-C1", e);
        const uint64_t bytes = x % 1000;
        (i % 9 ? add : add_full)(&c, d ? "E2" : "E1", edge, 3600 * (int64_t)(1 + h), (uint16_t)(200 + st),
                                 bytes);
        want_req[d][h][e][st]++;
        want_bytes[d][h][e][st] += bytes;
        if (i == LINES / 2) cfs_counter_flush(&c);
    }
    cfs_counter_flush(&c);
    size_t it = 0, rows = 0;
    cfs_count_row r;
    while (cfs_counter_next(&c, &it, &r)) {
        int e = -1;
        cr_assert_eq(sscanf(cfs_counter_edge_str(&c, r.edge), "EDG%d-C1", &e), 1);
        const int st = r.status - 200, h = (int)(r.hour / 3600) - 1,
                  d = strcmp(cfs_counter_dist_str(&c, r.dist), "E2") == 0;
        cr_assert(e >= 0 && e < EDGES && st >= 0 && st < STATUSES && h >= 0 && h < HOURS);
        cr_assert_eq(r.requests, want_req[d][h][e][st], "dist %d hour %d edge %d status %d: %llu requests", d,
                     h, e, r.status, (unsigned long long)r.requests);
        cr_assert_eq(r.bytes, want_bytes[d][h][e][st], "dist %d hour %d edge %d status %d", d, h, e,
                     r.status);
        rows++;
    }
    size_t want_rows = 0;
    for (int d = 0; d < DISTS; d++)
        for (int h = 0; h < HOURS; h++)
            for (int e = 0; e < EDGES; e++)
                for (int st = 0; st < STATUSES; st++) want_rows += want_req[d][h][e][st] != 0;
    cr_assert_eq(rows, want_rows);
    cfs_counter_free(&c);
}

Test(counter, alternating_status_and_hour)
{
    cfs_counter c;
    cfs_counter_init(&c);
    /* status and hour change under one edge: each combination is its own row */
    uint64_t want[2][3] = {{0}};
    const uint16_t st[3] = {200, 304, 206};
    for (int i = 0; i < 3000; i++) {
        int h = (i / 7) % 2, s = i % 3;
        (i % 5 ? add : add_full)(&c, "E1", "IAD89-C1", 3600 * (int64_t)(1 + h), st[s], 1);
        want[h][s]++;
    }
    cfs_counter_flush(&c); /* the memo's counts into the rows, as the scan's end does */
    size_t it = 0, rows = 0;
    cfs_count_row r;
    while (cfs_counter_next(&c, &it, &r)) {
        int h = (int)(r.hour / 3600) - 1, s = r.status == 200 ? 0 : r.status == 304 ? 1 : 2;
        cr_assert(h == 0 || h == 1);
        cr_assert_eq(r.requests, want[h][s], "hour %d status %u", h, r.status);
        cr_assert_eq(r.bytes, want[h][s]);
        cr_assert_str_eq(cfs_counter_edge_str(&c, r.edge), "IAD89-C1");
        rows++;
    }
    cr_assert_eq(rows, 6);
    cfs_counter_free(&c);
}

/* More edges than 16 bits can number: the lines past the limit are counted under their
 * full key, every one of them exactly, and the merge names each edge. */
Test(counter, edge_ids_past_16_bits)
{
    enum { EDGES = 70000 };
    cfs_counter c;
    cfs_counter_init(&c);
    char name[16];
    for (int i = 0; i < EDGES; i++) {
        snprintf(name, sizeof name, "X%06d", i);
        add(&c, "E1", name, 0, 200, (uint64_t)i);
        /* every tenth edge comes back, alternating with one edge seen throughout (its key
         * is not 0, so each rehash moves its slot under the memo) */
        if (i % 10 == 0) {
            add(&c, "E1", name, 0, 200, 1);
            add(&c, "E1", "Y-REPEAT", 0, 200, 1);
        }
    }
    uint64_t req, bytes;
    size_t rows;
    totals(&c, &req, &bytes, &rows);
    uint64_t want_bytes = 0;
    for (int i = 0; i < EDGES; i++)
        want_bytes += (uint64_t)i + (i % 10 == 0 ? 2 : 0); /* 1 its own, 1 Y-REPEAT */
    cr_assert_eq(rows, EDGES + 1);
    cr_assert_eq(req, EDGES + 2 * (EDGES / 10));
    cr_assert_eq(bytes, want_bytes);
    cr_assert(c.overflow.n > 0, "ids past 0xFFFE must take the overflow table");

    cfs_thread_agg t;
    cfs_agg m;
    merge_counter(&c, &t, &m);
    cr_assert_eq(m.traffic.n, EDGES + 1);
    const cfs_trow *y = find_row(&m, "E1", "Y-REPEAT", 0, 200);
    cr_assert(y);
    cr_assert_eq(y->requests, EDGES / 10, "Y-REPEAT: %llu", (unsigned long long)y->requests);
    cr_assert_eq(y->bytes, EDGES / 10);
    const int probe[] = {0, 1, 65533, 65534, 65535, 65536, 69990, 69999};
    for (size_t j = 0; j < sizeof probe / sizeof *probe; j++) {
        int i = probe[j];
        snprintf(name, sizeof name, "X%06d", i);
        const cfs_trow *r = find_row(&m, "E1", name, 0, 200);
        cr_assert(r, "row of %s", name);
        uint64_t wr = 1 + (i % 10 == 0 ? 1 : 0);
        uint64_t wb = (uint64_t)i + (i % 10 == 0 ? 1 : 0);
        cr_assert_eq(r->requests, wr, "%s: %llu", name, (unsigned long long)r->requests);
        cr_assert_eq(r->bytes, wb, "%s bytes", name);
    }
    cfs_agg_free(&m);
    cfs_thread_agg_free(&t);
}

/* Hours past 16 bits of ids take the overflow table too, and keep their own rows. */
Test(counter, hour_ids_past_16_bits)
{
    enum { HOURS = 66000 };
    cfs_counter c;
    cfs_counter_init(&c);
    for (int i = 0; i < HOURS; i++) add(&c, "E1", "IAD89-C1", 3600 * (int64_t)i, 200, 3);
    for (int i = HOURS - 1; i >= HOURS - 100; i--) add(&c, "E1", "IAD89-C1", 3600 * (int64_t)i, 200, 3);
    cfs_counter_flush(&c); /* the memo's counts into the rows, as the scan's end does */
    size_t it = 0, rows = 0;
    cfs_count_row r;
    while (cfs_counter_next(&c, &it, &r)) {
        int i = (int)(r.hour / 3600);
        uint64_t want = i >= HOURS - 100 ? 2 : 1;
        cr_assert_eq(r.requests, want, "hour %d", i);
        cr_assert_eq(r.bytes, 3 * want);
        rows++;
    }
    cr_assert_eq(rows, HOURS);
    cfs_counter_free(&c);
}

/* Two threads number the same strings differently (first-seen order); the merge maps
 * each id back to its string, so equal keys add up and different ones stay apart. */
Test(counter, merge_remaps_ids)
{
    const char *d[2] = {"E1", "E2"}, *e[3] = {"IAD89-C1", "CDG52-P2", "FRA2-C1"};
    cfs_thread_agg t[2];
    uint64_t want[2][3] = {{0}};
    for (int n = 0; n < 2; n++) {
        cfs_thread_agg_init(&t[n], NULL);
        for (int i = 0; i < 600; i++) {
            /* thread 0 sees (E1, IAD) first, thread 1 (E2, FRA) first */
            int di = n == 0 ? (i / 5) % 2 : 1 - (i / 5) % 2, ei = n == 0 ? i % 3 : 2 - i % 3;
            add(&t[n].counter, d[di], e[ei], 36000, 200, 10);
            want[di][ei]++;
        }
    }
    cr_assert_neq(cfs_counter_dist(&t[0].counter, "E1", 2), cfs_counter_dist(&t[1].counter, "E1", 2),
                  "the threads must number E1 differently for this test");
    cfs_agg m;
    cfs_agg_init(&m);
    for (int n = 0; n < 2; n++) cfs_counter_flush(&t[n].counter);
    cfs_agg_merge_thread(&m, &t[0]);
    cfs_agg_merge_thread(&m, &t[1]);
    cr_assert_eq(m.traffic.n, 6);
    for (int di = 0; di < 2; di++)
        for (int ei = 0; ei < 3; ei++) {
            const cfs_trow *r = find_row(&m, d[di], e[ei], 36000, 200);
            cr_assert(r);
            cr_assert_eq(r->requests, want[di][ei], "%s %s", d[di], e[ei]);
            cr_assert_eq(r->bytes, 10 * want[di][ei]);
        }
    cfs_agg_free(&m);
    for (int n = 0; n < 2; n++) cfs_thread_agg_free(&t[n]);
}

/* The scan's merge (scan.c, merge_threads): three threads' counters, numbering the same
 * strings differently, cut into np partitions each built from every counter, joined by
 * cfs_kmap_concat; every key is in one partition only (the partitions' rows add up to the
 * keys), and each row's counts are those worked out here, for np = 1 to 4, with hours before
 * 1970 and with every line in one hour (which must still spread over the partitions). */
Test(counter, partitioned_merge_gives_every_key_once)
{
    const char *d[3] = {"E1", "E2", "d111111abcdef8.cloudfront.net"},
               *e[4] = {"IAD89-C1", "CDG52-P2", "FRA2-C1", "NRT20-C3"};
    const int64_t hours[4] = {-7200, -3600, 36000, 39600};
    for (int one_hour = 0; one_hour < 2; one_hour++) {
        for (unsigned np = 1; np <= 4; np++) {
            cfs_thread_agg t[3];
            uint64_t want[3][4][4] = {{{0}}};
            for (int n = 0; n < 3; n++) {
                cfs_thread_agg_init(&t[n], NULL);
                for (int i = 0; i < 900; i++) {
                    /* each thread meets the strings in another order */
                    int di = (i / 7 + n) % 3, ei = (i + 3 * n) % 4, hi = one_hour ? 2 : (i / 3 + n) % 4;
                    add_full(&t[n].counter, d[di], e[ei], hours[hi], 403, 5);
                    want[di][ei][hi]++;
                }
            }
            cfs_kmap parts[4];
            cfs_traffic_split split[3];
            for (int n = 0; n < 3; n++) cr_assert_eq(cfs_agg_traffic_split(&split[n], &t[n], np), 0);
            size_t rows = 0;
            for (unsigned p = 0; p < np; p++) {
                cfs_kmap_init(&parts[p], sizeof(cfs_tkey), sizeof(cfs_trow));
                cfs_agg_traffic_part(&parts[p], t, split, 3, p);
                rows += parts[p].n;
                /* with more keys than partitions, none is left empty */
                cr_assert_gt(parts[p].n, 0, "np %u: partition %u is empty (one hour: %d)", np, p, one_hour);
            }
            cfs_agg m;
            cfs_agg_init(&m);
            cfs_kmap_concat(&m.traffic, parts, np, 0, (int)np);
            size_t keys = 0;
            for (int di = 0; di < 3; di++)
                for (int ei = 0; ei < 4; ei++)
                    for (int hi = 0; hi < 4; hi++) {
                        if (!want[di][ei][hi]) continue;
                        keys++;
                        const cfs_trow *r = find_row(&m, d[di], e[ei], hours[hi], 403);
                        cr_assert(r, "np %u: %s %s %lld missing", np, d[di], e[ei], (long long)hours[hi]);
                        cr_assert_eq(r->requests, want[di][ei][hi]);
                        cr_assert_eq(r->bytes, 5 * want[di][ei][hi]);
                    }
            cr_assert_eq(rows, keys, "np %u: %zu rows in the partitions for %zu keys", np, rows, keys);
            cr_assert_eq(m.traffic.n, keys);
            cfs_agg_free(&m);
            for (unsigned p = 0; p < np; p++) cfs_kmap_free(&parts[p]);
            for (int n = 0; n < 3; n++) {
                cfs_agg_traffic_split_free(&split[n]);
                cfs_thread_agg_free(&t[n]);
            }
        }
    }
}

/* part holds, thread by thread and in counter order, exactly the rows of the nt threads
 * t that cfs_counter_next yields and cfs_agg_traffic_partition puts in partition p of np
 * (np 0: every row); returns how many. */
static size_t expect_part_rows(const cfs_thread_agg *t, int nt, unsigned np, unsigned p, const cfs_kmap *part)
{
    size_t row = 0; /* the partition's rows in the order they were put there */
    for (int n = 0; n < nt; n++) {
        const cfs_counter *c = &t[n].counter;
        size_t it = 0;
        cfs_count_row r;
        while (cfs_counter_next(c, &it, &r)) {
            const char *d = cfs_counter_dist_str(c, r.dist), *e = cfs_counter_edge_str(c, r.edge);
            if (np && cfs_agg_traffic_partition(d, e, r.hour, np) != p) continue;
            cr_assert_lt(row, part->n, "np %u partition %u: %zu rows", np, p, part->n);
            const cfs_trow *got = cfs_kmap_row(part, row++);
            cr_assert(strcmp(got->k.dist, d) == 0 && strcmp(got->k.edge, e) == 0 && got->k.hour == r.hour &&
                          got->requests == r.requests && got->bytes == r.bytes,
                      "np %u partition %u row %zu: %s %s %lld, want %s %s %lld", np, p, row - 1, got->k.dist,
                      got->k.edge, (long long)got->k.hour, d, e, (long long)r.hour);
        }
    }
    cr_assert_eq(row, part->n, "np %u partition %u: %zu rows, %zu expected", np, p, part->n, row);
    return row;
}

/* The merge reads rows a few ahead of the one it adds (aggregate.c, traffic_add_rows):
 * with fewer rows than it reads ahead, and around that number, every row still goes in
 * once and in counter order, through the whole-counter path (cfs_agg_merge_thread) and
 * through partitions of np = 1 to 3 of two threads. */
Test(counter, few_rows_merge_in_counter_order)
{
    char name[16];
    for (int rows = 0; rows <= 40; rows++) {
        cfs_thread_agg t[2];
        for (int n = 0; n < 2; n++) {
            cfs_thread_agg_init(&t[n], NULL);
            for (int i = 0; i < rows; i++) {
                snprintf(name, sizeof name, "X%03d-C1", n ? rows - 1 - i : i);
                add(&t[n].counter, n ? "E2" : "E1", name, 3600 * (int64_t)(i % 2), 200, (uint64_t)(i + 1));
                /* a second key now and then, and a line of a key already counted (the
                 * threads' keys stay apart: their distributions differ) */
                if (i % 3 == 0) add(&t[n].counter, n ? "E2" : "E1", name, 3600 * (int64_t)(i % 2), 304, 5);
                if (i % 4 == 1) add(&t[n].counter, n ? "E2" : "E1", name, 3600 * (int64_t)(i % 2), 200, 7);
            }
            cfs_counter_flush(&t[n].counter);
        }
        cfs_agg m;
        cfs_agg_init(&m);
        cfs_agg_merge_thread(&m, &t[0]);
        cr_assert_eq(expect_part_rows(t, 1, 0, 0, &m.traffic), m.traffic.n);
        cfs_agg_free(&m);
        for (unsigned np = 1; np <= 3; np++) {
            cfs_traffic_split split[2];
            for (int n = 0; n < 2; n++) cr_assert_eq(cfs_agg_traffic_split(&split[n], &t[n], np), 0);
            for (unsigned p = 0; p < np; p++) {
                cfs_kmap part;
                cfs_kmap_init(&part, sizeof(cfs_tkey), sizeof(cfs_trow));
                cfs_agg_traffic_part(&part, t, split, 2, p);
                (void)expect_part_rows(t, 2, np, p, &part);
                cfs_kmap_free(&part);
            }
            for (int n = 0; n < 2; n++) cfs_agg_traffic_split_free(&split[n]);
        }
        for (int n = 0; n < 2; n++) cfs_thread_agg_free(&t[n]);
    }
}

/* The split the scan's merge builds its partitions from (cfs_agg_traffic_split), against
 * an independent reading: two threads with 70,000 edges each (so ids past 16 bits, rows in
 * the overflow table, which the split reads through cfs_counter_key_at), cut into np = 1 to
 * 5 partitions; partition p must hold, thread by thread and in counter order, exactly the
 * rows that cfs_counter_next yields and cfs_agg_traffic_partition puts in p. */
Test(counter, split_partitions_rows_in_counter_order)
{
    enum { EDGES = 70000 };
    cfs_thread_agg t[2];
    char name[16];
    for (int n = 0; n < 2; n++) {
        cfs_thread_agg_init(&t[n], NULL);
        for (int i = 0; i < EDGES; i++) {
            /* the threads meet the edges in opposite orders, over three hours */
            int e = n ? EDGES - 1 - i : i;
            snprintf(name, sizeof name, "X%06d", e);
            add_full(&t[n].counter, n ? "E2" : "E1", name, 3600 * (i % 3), 200, 1);
        }
        cr_assert(t[n].counter.overflow.n > 0, "thread %d: ids past 0xFFFE must take the overflow table", n);
    }
    for (unsigned np = 1; np <= 5; np++) {
        cfs_traffic_split split[2];
        for (int n = 0; n < 2; n++) cr_assert_eq(cfs_agg_traffic_split(&split[n], &t[n], np), 0);
        size_t total = 0;
        for (unsigned p = 0; p < np; p++) {
            cfs_kmap part;
            cfs_kmap_init(&part, sizeof(cfs_tkey), sizeof(cfs_trow));
            cfs_agg_traffic_part(&part, t, split, 2, p);
            total += expect_part_rows(t, 2, np, p, &part);
            cfs_kmap_free(&part);
        }
        cr_assert_eq(total, 2 * (size_t)EDGES, "np %u", np);
        for (int n = 0; n < 2; n++) cfs_agg_traffic_split_free(&split[n]);
    }
    for (int n = 0; n < 2; n++) cfs_thread_agg_free(&t[n]);
}

/* Strings longer than 16 bytes (compared as strings, not words) and the empty string,
 * which keys as "-" like a logged "-". */
Test(counter, long_and_empty_strings)
{
    cfs_counter c;
    cfs_counter_init(&c);
    const char *longd = "d111111abcdef8.cloudfront.net", *longe = "SOME-VERY-LONG-EDGE-CODE-1";
    for (int i = 0; i < 10; i++) {
        add(&c, longd, longe, 0, 200, 1);
        add(&c, longd, "", 0, 200, 1);
        add(&c, longd, "-", 0, 200, 1);
        add(&c, "d111111abcdef9.cloudfront.net", longe, 0, 200, 1);
    }
    cfs_counter_flush(&c); /* the memo's counts into the rows, as the scan's end does */
    size_t it = 0, rows = 0;
    cfs_count_row r;
    while (cfs_counter_next(&c, &it, &r)) {
        const char *ds = cfs_counter_dist_str(&c, r.dist), *es = cfs_counter_edge_str(&c, r.edge);
        if (strcmp(es, "-") == 0) cr_assert_eq(r.requests, 20, "'' and '-' are one edge");
        else cr_assert_eq(r.requests, 10, "%s %s", ds, es);
        rows++;
    }
    cr_assert_eq(rows, 3);
    cfs_counter_free(&c);
}
