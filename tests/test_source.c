/* Tests for the source stage: CloudFront file names, --since/--until values, directory
 * walking (sorted, recursive, symlink loops, FIFOs) and pruning by name. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline/source.h"
#include "tests/util.h"

Test(names, cloudfront_scheme)
{
    char d[CFS_DIST_MAX];
    int64_t h;
    /* reference §1.1 example: example-prefix/EMLARXS9EXAMPLE.2019-11-14-20.RT4KCN4SGK9.gz */
    cr_assert_eq(cfs_parse_log_name("example-prefix/EMLARXS9EXAMPLE.2019-11-14-20.RT4KCN4SGK9.gz", d, &h), 0);
    cr_assert_str_eq(d, "EMLARXS9EXAMPLE");
    cr_assert_eq(h, 1573761600); /* date -u -d '2019-11-14 20:00:00' +%s */
    cr_assert_eq(cfs_parse_log_name("E1.2026-02-29-00.X.gz", d, &h), -1); /* 2026 is no leap year */
    cr_assert_eq(cfs_parse_log_name("e1.2026-01-01-00.X.gz", d, &h), -1); /* ids are upper case */
    cr_assert_eq(cfs_parse_log_name("E1.2026-01-01-24.X.gz", d, &h), -1);
    cr_assert_eq(cfs_parse_log_name("access.log", d, &h), -1);
    cr_assert_eq(cfs_parse_log_name("E1.2026-01-01-05.X", d, &h), 0);
    cr_assert_eq(h, 1767243600); /* 2026-01-01 05:00:00 UTC */
}

Test(names, time_arguments)
{
    int64_t t;
    cr_assert_eq(cfs_parse_time_arg("2026-11-01", &t), 0);
    cr_assert_eq(t, 1793491200 /* date -u -d 2026-11-01 +%s */);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01T10", &t), 0);
    cr_assert_eq(t, 1793491200 /* date -u -d 2026-11-01 +%s */ + 36000);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01T10:30Z", &t), 0);
    cr_assert_eq(t, 1793491200 /* date -u -d 2026-11-01 +%s */ + 37800);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01 10:30:15", &t), 0);
    cr_assert_eq(t, 1793491200 /* date -u -d 2026-11-01 +%s */ + 37815);
    cr_assert_eq(cfs_parse_time_arg("@1793491242", &t), 0);
    cr_assert_eq(t, 1793491242);
    /* outside 1990..2100 (types.h): refused, not wrapped */
    cr_assert_eq(cfs_parse_time_arg("@42", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("@9223372036854775809", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("2100-01-01", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("@4102444800", &t), -1);
    /* the end of a window (since <= t < until) may be the end of the range itself, no later */
    cr_assert_eq(cfs_parse_time_end("2100-01-01", &t), 0);
    cr_assert_eq(t, 4102444800 /* date -u -d 2100-01-01 +%s */);
    t = 0;
    cr_assert_eq(cfs_parse_time_end("2100-01-01T01:00+01:00", &t), 0);
    cr_assert_eq(t, 4102444800);
    t = 0;
    cr_assert_eq(cfs_parse_time_end("@4102444800", &t), 0);
    cr_assert_eq(t, 4102444800);
    cr_assert_eq(cfs_parse_time_end("2100-01-01T00:00:01", &t), -1);
    cr_assert_eq(cfs_parse_time_end("@4102444801", &t), -1);
    cr_assert_eq(cfs_parse_time_end("1989-12-31T23:59:59Z", &t), -1);
    cr_assert_eq(cfs_parse_time_end("2026-11-01T10", &t), 0);
    cr_assert_eq(t, 1793491200 /* date -u -d 2026-11-01 +%s */ + 36000);
    cr_assert_eq(cfs_parse_time_arg("1990-01-01", &t), 0);
    cr_assert_eq(t, 631152000 /* date -u -d 1990-01-01 +%s */);
    cr_assert_eq(cfs_parse_time_arg("yesterday", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("2026-13-01", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01T1", &t), -1);
    /* a day in a zone, as the help and README say ("either with a zone"): it was refused
     * unless an hour came first */
    cr_assert_eq(cfs_parse_time_arg("2026-11-01Z", &t), 0);
    cr_assert_eq(t, 1793491200);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01+05:30", &t), 0);
    cr_assert_eq(t, 1793491200 - 19800 /* the local midnight is 18:30 UTC the day before */);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01 +0530", &t), 0);
    cr_assert_eq(t, 1793491200 - 19800);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01-08", &t), 0);
    cr_assert_eq(t, 1793491200 + 28800);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01T", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01 ", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01x", &t), -1);
    cr_assert_eq(cfs_parse_time_arg("2026-11-01+15", &t), -1);
}

Test(walk, recursive_sorted_loops_fifos_and_pruning)
{
    char *dir = tu_mkdtemp();
    char p[512];
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/sub/deeper", dir);
    mkdir(p, 0755);
    free(tu_write_str(dir, "E1.2026-11-01-09.A.gz", "x"));
    free(tu_write_str(dir, "sub/E1.2026-11-01-10.B.gz", "xx"));
    free(tu_write_str(dir, "sub/deeper/E1.2026-11-01-11.C.gz", "xxx"));
    free(tu_write_str(dir, "sub/notes.txt", "four"));
    /* a symlink loop and a FIFO must neither hang nor recurse forever */
    snprintf(p, sizeof p, "%s/sub/deeper/loop", dir);
    char target[512];
    snprintf(target, sizeof target, "%s/sub", dir);
    cr_assert_eq(symlink(target, p), 0);
    snprintf(p, sizeof p, "%s/sub/fifo", dir);
    cr_assert_eq(mkfifo(p, 0644), 0);

    cfs_inputs in;
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, dir, CFS_NO_TIME, CFS_NO_TIME);
    cr_assert_eq(in.n, 4);
    cr_assert_eq(in.nerr, 0);
    cfs_inputs_sort(&in); /* largest first */
    cr_assert(strstr(in.v[0].path, "notes.txt"));
    cr_assert(strstr(in.v[1].path, "E1.2026-11-01-11.C.gz"));
    cr_assert_str_eq(in.v[1].dist, "E1");
    cr_assert_eq(in.v[3].dist[0], 'E');
    cr_assert_eq(in.v[0].dist[0], 0); /* not a CloudFront name */
    cfs_inputs_free(&in);

    /* --since 10:00 --until 11:00 keeps the 10:00 file and the unnamed one */
    int64_t since, until;
    cfs_parse_time_arg("2026-11-01T10", &since);
    cfs_parse_time_arg("2026-11-01T11", &until);
    memset(&in, 0, sizeof in);
    cfs_inputs_add(&in, dir, since, until);
    cr_assert_eq(in.n, 2);
    cr_assert_eq(in.pruned, 2);
    cfs_inputs_free(&in);
    tu_rmrf(dir);
}

/* Paths that name an input another path names are dropped, the rest kept in order
 * (cfs_paths_drop_repeats); every expectation here is written out by hand. */
Test(walk, paths_named_twice_are_read_once)
{
    char *dir = tu_mkdtemp();
    char d[512], d2[512], sub[512], fifo[512], link[512], dotdot[512];
    snprintf(d, sizeof d, "%s/logs", dir);
    snprintf(d2, sizeof d2, "%s/logs-2", dir); /* sorts between "logs" and "logs/..." by bytes */
    snprintf(sub, sizeof sub, "%s/logs/sub", dir);
    cr_assert_eq(mkdir(d, 0755), 0);
    cr_assert_eq(mkdir(d2, 0755), 0);
    cr_assert_eq(mkdir(sub, 0755), 0);
    char *a = tu_write_str(d, "a.gz", "x");
    char *b = tu_write_str(sub, "b.gz", "x");
    char *c = tu_write_str(d2, "c.gz", "x");
    char *e = tu_write_str(dir, "e.gz", "x");
    snprintf(fifo, sizeof fifo, "%s/logs/fifo", dir);
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    snprintf(link, sizeof link, "%s/link-to-e", dir);
    cr_assert_eq(symlink(e, link), 0);
    snprintf(dotdot, sizeof dotdot, "%s/logs/sub/../a.gz", dir); /* a.gz again */
    /* a file 70 directories below logs: past the walk's 64 levels, so kept */
    char deep[4096];
    int o = snprintf(deep, sizeof deep, "%s", d);
    for (int i = 0; i < 70; i++) {
        o += snprintf(deep + o, sizeof deep - (size_t)o, "/d");
        cr_assert_eq(mkdir(deep, 0755), 0);
    }
    char *z = tu_write_str(deep, "z.gz", "x");

    const char *v[] = {a,                       /* inside logs (given later): dropped */
                       "-",                     /* standard input: kept */
                       d,                       /* kept */
                       b,                       /* inside logs: dropped */
                       sub,                     /* inside logs: dropped */
                       c,                       /* under logs-2, not logs: kept */
                       e,                       /* kept */
                       link,                    /* e through a link: dropped */
                       fifo,                    /* never walked: kept */
                       dotdot,                  /* a.gz: dropped */
                       "/nonexistent/x.gz",     /* the walk reports it: kept */
                       z,                       /* past the walk's depth: kept */
                       "s3://bkt/logs/",        /* under the whole bucket: dropped */
                       "s3://bkt/logs/E1.2026", /* likewise */
                       "s3://bkt",              /* the whole bucket: kept */
                       "s3://bkt2/x",           /* another bucket: kept */
                       d};                      /* logs again: dropped */
    const char *want[] = {"-", d, c, e, fifo, "/nonexistent/x.gz", z, "s3://bkt", "s3://bkt2/x"};
    const size_t n = sizeof v / sizeof v[0], nwant = sizeof want / sizeof want[0];
    const char *first = NULL;
    size_t kept = cfs_paths_drop_repeats(v, n, &first);
    cr_assert_eq(kept, nwant, "kept %zu", kept);
    for (size_t i = 0; i < nwant; i++) cr_assert_str_eq(v[i], want[i], "path %zu: %s", i, v[i]);
    cr_assert_eq(first, a);
    /* nothing named twice: all kept, in order, and no first */
    const char *u[] = {d2, e, "-"};
    cr_assert_eq(cfs_paths_drop_repeats(u, 3, &first), 3);
    cr_assert_null(first);
    cr_assert_str_eq(u[0], d2);
    cr_assert_str_eq(u[1], e);
    cr_assert_str_eq(u[2], "-");
    /* standard input named again: one stream, read once (the first "-" kept) */
    const char *w[] = {"-", e, "-", "-"};
    cr_assert_eq(cfs_paths_drop_repeats(w, 4, &first), 2);
    cr_assert_str_eq(first, "-");
    cr_assert_str_eq(w[0], "-");
    cr_assert_str_eq(w[1], e);
    free(a);
    free(b);
    free(c);
    free(e);
    free(z);
    tu_rmrf(dir);
    free(dir);
}

/* From a review: a link to a file inside a directory given is read by that directory's
 * walk (which follows links to files), two names of one file are one input, and a
 * directory one level past the walk's reach is kept, not dropped. */
Test(walk, links_hard_links_and_the_walks_depth)
{
    char *dir = tu_mkdtemp();
    char d2[512], other[512], lnk[512], hard[512], deep[4096];
    snprintf(d2, sizeof d2, "%s/d2", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    cr_assert_eq(mkdir(d2, 0755), 0);
    cr_assert_eq(mkdir(other, 0755), 0);
    char *x = tu_write_str(other, "x.gz", "x");
    snprintf(lnk, sizeof lnk, "%s/d2/link.gz", dir);
    cr_assert_eq(symlink(x, lnk), 0);
    snprintf(hard, sizeof hard, "%s/other/hard.gz", dir);
    cr_assert_eq(link(x, hard), 0);
    /* deep/d/.../d: the walk of deep enters 64 levels, so a directory 64 levels down (63
     * separators below deep) is reached and one 65 levels down is not */
    int o = snprintf(deep, sizeof deep, "%s/deep", dir);
    cr_assert_eq(mkdir(deep, 0755), 0);
    char at63[4096] = "", at64[4096] = "";
    for (int i = 1; i <= 65; i++) {
        o += snprintf(deep + o, sizeof deep - (size_t)o, "/d");
        cr_assert_eq(mkdir(deep, 0755), 0);
        if (i == 64) snprintf(at63, sizeof at63, "%s", deep); /* 63 separators below deep */
        if (i == 65) snprintf(at64, sizeof at64, "%s", deep); /* 64: one level too deep */
    }
    char top[600];
    snprintf(top, sizeof top, "%s/deep", dir);
    const char *v[] = {d2, lnk, x, hard, top, at63, at64};
    const char *first = NULL;
    size_t kept = cfs_paths_drop_repeats(v, 7, &first);
    cr_assert_eq(kept, 4, "kept %zu", kept);
    cr_assert_str_eq(v[0], d2);
    cr_assert_str_eq(v[1], x); /* the link sits in d2: dropped; the hard link: dropped */
    cr_assert_str_eq(v[2], top);
    cr_assert_str_eq(v[3], at64, "a directory past the walk's reach is kept");
    cr_assert_eq(first, lnk);
    free(x);
    tu_rmrf(dir);
    free(dir);
}
