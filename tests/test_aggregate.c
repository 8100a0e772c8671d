/* Tests for the aggregate stage: the generic xxHash map, latency classes used to settle
 * provisional 403s, and merge/settle arithmetic on hand-built records. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/aggregate.h"
#include "pipeline/xalloc.h"

Test(kmap, insert_find_grow)
{
    cfs_kmap m;
    cfs_kmap_init(&m, sizeof(uint64_t), 2 * sizeof(uint64_t));
    for (uint64_t i = 0; i < 100000; i++) {
        int created;
        uint64_t *row = cfs_kmap_get(&m, &i, &created);
        cr_assert(created);
        row[1] = i * 3;
    }
    cr_assert_eq(m.n, 100000);
    for (uint64_t i = 0; i < 100000; i += 777) {
        int created;
        uint64_t *row = cfs_kmap_get(&m, &i, &created);
        cr_assert(!created);
        cr_assert_eq(row[1], i * 3);
    }
    cfs_kmap_free(&m);
}

/* Three maps of disjoint keys (i % 3 picks the map) joined into an empty map (which takes
 * the first as it is, or on 4 threads copies and indexes every part in parallel), with
 * room to spare or not, and into a map that holds a key already (every part copied):
 * every key is found with its row, the count is the sum, the rows keep the parts' order,
 * and the parts are left empty. */
Test(kmap, concat_of_disjoint_maps_holds_every_row)
{
    for (int run = 0; run < 4; run++) {
        const int held = run & 1, threads = run < 2 ? 1 : 4;
        const int64_t mem0 = cfs_mem_held(); /* what the budget is charged, before the maps */
        cfs_kmap parts[3], m;
        for (int p = 0; p < 3; p++) cfs_kmap_init(&parts[p], sizeof(uint64_t), 2 * sizeof(uint64_t));
        for (uint64_t i = 0; i < 30000; i++) {
            uint64_t *row = cfs_kmap_get(&parts[i % 3], &i, NULL);
            row[1] = i * 5 + 1;
        }
        cfs_kmap_init(&m, sizeof(uint64_t), 2 * sizeof(uint64_t));
        const uint64_t own = 99999;
        if (held) ((uint64_t *)cfs_kmap_get(&m, &own, NULL))[1] = 7;
        cfs_kmap_concat(&m, parts, 3, 500, threads);
        cr_assert_eq(m.n, 30000 + (size_t)held);
        for (int p = 0; p < 3; p++) cr_assert_eq(parts[p].n, 0);
        /* dst's own row, then the first part's rows in their order: 0, 3, 6, ... */
        if (held) cr_assert_eq(*(uint64_t *)cfs_kmap_row(&m, 0), own);
        for (uint64_t r = 0; r < 10000; r++)
            cr_assert_eq(*(uint64_t *)cfs_kmap_row(&m, r + (size_t)held), r * 3);
        for (uint64_t i = 0; i < 30000; i++) {
            int created;
            uint64_t *row = cfs_kmap_get(&m, &i, &created);
            cr_assert(!created, "key %llu lost", (unsigned long long)i);
            cr_assert_eq(row[1], i * 5 + 1);
        }
        uint64_t k = 30000;
        cr_assert_null(cfs_kmap_find(&m, &k));
        /* the room asked for: 500 more keys without growing */
        const size_t cap = m.cap;
        for (uint64_t i = 100000; i < 100500; i++) (void)cfs_kmap_get(&m, &i, NULL);
        cr_assert_eq(m.cap, cap);
        cfs_kmap_free(&m);
        for (int p = 0; p < 3; p++) cfs_kmap_free(&parts[p]);
        /* every byte the join took charged, and given back with the maps */
        cr_assert_eq(cfs_mem_held(), mem0, "run %d: %lld bytes still charged", run,
                     (long long)(cfs_mem_held() - mem0));
    }
}

Test(latency, classes_monotone_and_within_13_percent)
{
    unsigned prev = 0;
    for (uint64_t v = 0; v <= 0xFFFFFFFEull; v = v < 64 ? v + 1 : v + v / 7) {
        unsigned c = cfs_lat_class((uint32_t)v);
        cr_assert(c >= prev && c < 128, "class of %llu", (unsigned long long)v);
        prev = c;
        uint32_t r = cfs_lat_class_value((uint8_t)c);
        if (v < 16) cr_assert_eq(r, v); /* exact below 16 ms */
        double e = v ? ((double)r - (double)v) / (double)v : 0;
        cr_assert(e <= 0.13 && e >= -0.13, "%llu -> %u", (unsigned long long)v, r);
    }
    cr_assert_eq(cfs_lat_class(CFS_NO_MILLIS), CFS_LAT_UNKNOWN);
    cr_assert_eq(cfs_lat_class_value(CFS_LAT_UNKNOWN), CFS_NO_MILLIS);
    /* 16..19 share a class whose midpoint is 17 (written out by hand) */
    cr_assert_eq(cfs_lat_class(16), cfs_lat_class(19));
    cr_assert_neq(cfs_lat_class(19), cfs_lat_class(20));
    cr_assert_eq(cfs_lat_class_value(cfs_lat_class(17)), 17);
}

static cfs_record rec(const char *dist, const char *edge, int status, uint32_t tt, int64_t ts)
{
    cfs_record r;
    memset(&r, 0, sizeof r);
    r.dist = (cfs_span){dist, (uint32_t)strlen(dist)};
    r.f[CFS_F_EDGE_LOCATION] = (cfs_span){edge, (uint32_t)strlen(edge)};
    r.f[CFS_F_C_IP] = (cfs_span){"192.0.2.1", 9};
    r.f[CFS_F_CS_URI_STEM] = (cfs_span){"/a", 2};
    r.status = (uint16_t)status;
    r.time_taken_ms = tt;
    r.ttfb_ms = tt;
    r.ts = ts;
    r.sc_bytes = 100;
    r.result = CFS_R_MISS;
    return r;
}

Test(agg, merge_is_sum_and_hours_floor)
{
    cfs_thread_agg a, b;
    cfs_agg m;
    cfs_thread_agg_init(&a, NULL);
    cfs_thread_agg_init(&b, NULL);
    cfs_agg_init(&m);
    cfs_attr_line none = {{CFS_CAUSE_NONE, CFS_EV_NONE, 0, 0}, 0, 0};
    cfs_record r1 = rec("E1", "IAD89-C1", 200, 50, 7200 + 3599);
    cfs_record r2 = rec("E1", "IAD89-C1", 200, 50, 7200);
    cfs_agg_add(&a, NULL, &r1, none, NULL);
    cfs_agg_add(&b, NULL, &r2, none, NULL);
    cfs_agg_add(&b, NULL, &r2, none, NULL);
    cfs_counter_flush(&a.counter);
    cfs_counter_flush(&b.counter);
    cfs_agg_merge_thread(&m, &a);
    cfs_agg_merge_thread(&m, &b);
    cr_assert_eq(m.traffic.n, 1); /* same hour 02:00 */
    const cfs_trow *t = cfs_kmap_row(&m.traffic, 0);
    cr_assert_eq(t->requests, 3);
    cr_assert_eq(t->bytes, 300);
    cr_assert_eq(t->k.hour, 7200);
    cr_assert_str_eq(t->k.dist, "E1");
    uint64_t fetches;
    cfs_agg_reference_ms(&m, t->k.dist, &fetches);
    cr_assert_eq(fetches, 3); /* Miss responses feed the origin reference */
    cfs_thread_agg_free(&a);
    cfs_thread_agg_free(&b);
    cfs_agg_free(&m);
}

/* The top-k pool (aggregate.c) hands out summaries of CFS_TOPK_CAPACITY only.  A heavy
 * row's summary of another capacity (a state.cfs may hold one) is freed, not pooled, when
 * its table goes, so a row made afterwards still lists up to CFS_TOPK_CAPACITY URIs
 * (it held 4 when the capacity-4 summary came back from the pool). */
Test(agg, pooled_topk_summaries_keep_the_full_capacity)
{
    cfs_topk_pool_drain();
    cfs_agg a;
    cfs_agg_init(&a);
    cfs_gkey k;
    memset(&k, 0, sizeof k);
    strcpy(k.dist, "E1");
    k.cause = CFS_CAUSE_GEO_RESTRICTION;
    cfs_hrow *h = cfs_kmap_get(&a.heavy, &k, NULL);
    h->uris = cfs_topk_new(4);
    h->ips = cfs_topk_new(4);
    cfs_agg_free(&a); /* both go to topk_put */

    cfs_agg b;
    cfs_agg_init(&b);
    cfs_attribution at = {CFS_CAUSE_GEO_RESTRICTION, 0, 0, 0};
    char uri[16];
    for (int i = 0; i < 10; i++) {
        cfs_line403 l;
        memset(&l, 0, sizeof l);
        strcpy(l.dist, "E1");
        strcpy(l.edge, "IAD89-C1");
        l.hour = 1762000000 / 3600 * 3600;
        l.status = 403;
        l.tt = l.ttfb = CFS_NO_MILLIS;
        l.iph = (uint64_t)i * 0x9e3779b97f4a7c15ull;
        snprintf(uri, sizeof uri, "/u/%d", i);
        l.uri = (cfs_span){uri, (uint32_t)strlen(uri)};
        l.ip = (cfs_span){"10.0.0.1", 8};
        cfs_agg_add_line403_sketch(&b, &l, at);
    }
    cr_assert_eq(b.heavy.n, 1);
    const cfs_hrow *r = cfs_kmap_row(&b.heavy, 0);
    cr_assert_eq(cfs_topk_capacity(r->uris), CFS_TOPK_CAPACITY);
    cfs_topk_item items[16];
    cr_assert_eq(cfs_topk_list(r->uris, items, 16), 10, "every URI is listed");
    cfs_agg_free(&b);
    cfs_topk_pool_drain();
}
