/* Line filters of `scan` and `requests` (see filter.h): compiled once from the options,
 * asked per line only when given, so a run without filters pays one pointer test. */
#include "pipeline/filter.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"

void cfs_filter_init(cfs_filter *f)
{
    memset(f, 0, sizeof *f);
    f->status = -1;
    f->cause = -1;
}

int cfs_filter_set_ip(cfs_filter *f, const char *s)
{
    char buf[64];
    if (strlen(s) >= sizeof buf) return -1;
    snprintf(buf, sizeof buf, "%s", s);
    char *slash = strchr(buf, '/');
    if (slash) *slash = 0;
    int fam = strchr(buf, ':') ? 6 : 4;
    uint8_t a[16] = {0};
    if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, a) != 1) return -1;
    unsigned maxb = fam == 4 ? 32 : 128, bits = maxb;
    if (slash) {
        uint64_t v;
        if (cfs_parse_u64(slash + 1, strlen(slash + 1), &v) != 0 || v > maxb) return -1;
        bits = (unsigned)v;
    }
    memcpy(f->ip, a, sizeof a);
    f->ip_family = fam;
    f->ip_prefix = bits;
    return 0;
}

cfs_status cfs_filter_compile(cfs_filter *f, char *err, size_t errlen)
{
    free(f->uri);
    f->uri = NULL;
    f->uri_n = 0;
    if (f->uri_prefix) {
        /* cs-uri-stem always starts with /: "api/" means "/api/", never "matches nothing" */
        size_t n = strlen(f->uri_prefix);
        int slash = f->uri_prefix[0] != '/';
        f->uri = malloc(n + 2);
        if (!f->uri) {
            snprintf(err, errlen, "--uri-prefix: out of memory");
            return CFS_E_NOMEM;
        }
        f->uri[0] = '/';
        memcpy(f->uri + slash, f->uri_prefix, n + 1);
        f->uri_n = n + (size_t)slash;
    }
    f->edge_n = f->edge ? strlen(f->edge) : 0;
    f->dist_n = f->dist ? strlen(f->dist) : 0;
    f->rid_n = f->request_id ? strlen(f->request_id) : 0;
    f->record = f->request_id || f->status >= 0 || f->edge || f->ip_family || f->uri_prefix;
    return CFS_OK;
}

void cfs_filter_free(cfs_filter *f)
{
    free(f->uri);
    f->uri = NULL;
}

int cfs_filter_any(const cfs_filter *f) { return f && (f->record || f->dist || f->cause >= 0); }

int cfs_filter_file(const cfs_filter *f, const char *dist)
{
    return !f || !f->dist || !dist[0] || cfs_ascii_ieq(dist, strlen(dist), f->dist, f->dist_n);
}

static int is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static char upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }

int cfs_filter_edge(const char *w, size_t n, cfs_span e)
{
    /* Edge ids are an IATA airport code, a number and sometimes -C1/-P2 (IAD89-C1,
     * LAX3): a value matches at the end of one of those parts, never inside a number. */
    if (e.n < n) return 0;
    for (size_t i = 0; i < n; i++)
        if (upper(w[i]) != upper(e.p[i])) return 0;
    if (e.n == n || e.p[n] == '-') return 1;
    int airport = n > 0;
    for (size_t i = 0; i < n; i++) airport &= is_alpha(w[i]);
    return airport && e.p[n] >= '0' && e.p[n] <= '9';
}

static int ip_matches(const cfs_filter *f, cfs_span ip)
{
    char buf[64];
    if (ip.n == 0 || ip.n >= sizeof buf) return 0;
    memcpy(buf, ip.p, ip.n);
    buf[ip.n] = 0;
    uint8_t a[16];
    int fam = memchr(buf, ':', ip.n) ? 6 : 4;
    if (fam != f->ip_family) return 0;
    if (inet_pton(fam == 4 ? AF_INET : AF_INET6, buf, a) != 1) return 0;
    unsigned bits = f->ip_prefix;
    for (unsigned i = 0; i < bits / 8; i++)
        if (a[i] != f->ip[i]) return 0;
    if (bits % 8) {
        uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));
        if ((a[bits / 8] & mask) != (f->ip[bits / 8] & mask)) return 0;
    }
    return 1;
}

int cfs_filter_record(const cfs_filter *f, const cfs_record *r)
{
    if (!f->record) return 1;
    if (f->request_id) {
        cfs_span s = r->f[CFS_F_EDGE_REQUEST_ID];
        if (s.n != f->rid_n || memcmp(s.p, f->request_id, s.n) != 0) return 0;
    }
    if (f->status >= 0 && r->status != f->status) return 0;
    if (f->edge && !cfs_filter_edge(f->edge, f->edge_n, r->f[CFS_F_EDGE_LOCATION])) return 0;
    if (f->uri) {
        cfs_span u = r->f[CFS_F_CS_URI_STEM];
        if (u.n < f->uri_n || memcmp(u.p, f->uri, f->uri_n) != 0) return 0;
    }
    if (f->ip_family && !ip_matches(f, r->f[CFS_F_C_IP])) return 0;
    return 1;
}

int cfs_filter_cause(const cfs_filter *f, cfs_attribution at, int final)
{
    if (f->cause < 0 || at.cause == f->cause) return 1;
    return !final && cfs_attr_may_settle(at);
}
