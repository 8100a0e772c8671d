/* Client-address redaction (see redact.h): prefix truncation, IPv4 to /24 and IPv6 to /48.
 * Truncation rather than a keyed hash keeps the output readable (a network, an ISP) and
 * needs no key management; what it keeps is the part registries publish anyway. */
#include "pipeline/redact.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t cfs_redact_ip(const char *p, size_t n, char out[CFS_REDACT_MAX])
{
    if (n == 0 || (n == 1 && p[0] == '-')) {
        memcpy(out, "-", 2);
        return 1;
    }
    /* INET6_ADDRSTRLEN is 46 with the NUL: a longer span cannot be an address */
    char buf[48];
    if (n >= sizeof buf || memchr(p, 0, n)) goto garbage;
    memcpy(buf, p, n);
    buf[n] = 0;
    uint8_t a[16];
    int len;
    if (memchr(buf, ':', n) == NULL) {
        if (inet_pton(AF_INET, buf, a) != 1) goto garbage;
        len = snprintf(out, CFS_REDACT_MAX, "%u.%u.%u.0", a[0], a[1], a[2]);
    } else {
        if (inet_pton(AF_INET6, buf, a) != 1) goto garbage;
        len = snprintf(out, CFS_REDACT_MAX, "%x:%x:%x::", (unsigned)(a[0] << 8 | a[1]),
                       (unsigned)(a[2] << 8 | a[3]), (unsigned)(a[4] << 8 | a[5]));
    }
    return (size_t)len;
garbage:
    memcpy(out, "redacted", 9);
    return 8;
}

size_t cfs_redact_list_cap(const char *p, size_t n)
{
    size_t items = 1;
    for (size_t i = 0; i < n; i++) items += p[i] == ',';
    return items * CFS_REDACT_MAX + 1;
}

static int blank(char c) { return c == ' ' || c == '\t'; }

size_t cfs_redact_ip_list(const char *p, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (;;) {
        size_t e = i;
        while (e < n && p[e] != ',') e++;
        size_t s = i, t = e;
        while (s < t && blank(p[s])) s++;
        while (t > s && blank(p[t - 1])) t--;
        if (o) out[o++] = ',';
        o += cfs_redact_ip(p + s, t - s, out + o);
        if (e >= n) break;
        i = e + 1;
    }
    out[o] = 0;
    return o;
}
