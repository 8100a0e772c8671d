/* Client-address redaction (see redact.h): prefix truncation, IPv4 to /24 and IPv6 to /48.
 * Truncation rather than a keyed hash keeps the output readable (a network, an ISP) and
 * needs no key management; what it keeps is the part registries publish anyway. */
#include "pipeline/redact.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* x-forwarded-for as CloudFront logs it (reference §1.3): a space inside a value is
 * percent-encoded, so "a, b" arrives as "a,%20b" (and as "a,%2520b" in logs written
 * before 2020, which encoded twice); a TAB likewise as %09.  The items are separated by
 * a comma, which CloudFront leaves as it is; a "%2C" (another tool's encoding) separates
 * too, and the output keeps each separator's bytes as they came. */
static int pct(const char *p, size_t n, const char *code)
{
    size_t k = strlen(code);
    return n >= k && strncasecmp(p, code, k) == 0;
}

/* Length of the separator at p[0..n): 1 for ",", 3 for "%2C"; 0 when none starts there. */
static size_t sep_at(const char *p, size_t n)
{
    if (n && p[0] == ',') return 1;
    return pct(p, n, "%2C") ? 3 : 0;
}

/* Length of the blank that p[0..n) starts with, raw or percent-encoded; 0 when none. */
static size_t blank_at(const char *p, size_t n)
{
    if (n && (p[0] == ' ' || p[0] == '\t')) return 1;
    if (pct(p, n, "%20") || pct(p, n, "%09")) return 3;
    return pct(p, n, "%2520") || pct(p, n, "%2509") ? 5 : 0;
}

/* Length of the blank that p[0..n) ends with; 0 when none. */
static size_t blank_before(const char *p, size_t n)
{
    if (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) return 1;
    if (n >= 5 && blank_at(p + n - 5, 5) == 5) return 5;
    return n >= 3 && blank_at(p + n - 3, 3) == 3 ? 3 : 0;
}

size_t cfs_redact_list_cap(const char *p, size_t n)
{
    /* each item redacts to under CFS_REDACT_MAX - 3 bytes: room for its separator too */
    size_t items = 1;
    for (size_t i = 0; i < n; i++) items += sep_at(p + i, n - i) != 0;
    return items * CFS_REDACT_MAX + 1;
}

size_t cfs_redact_ip_list(const char *p, size_t n, char *out)
{
    size_t o = 0, i = 0, sl = 0;
    for (;;) {
        size_t e = i, next_sl = 0;
        while (e < n && !(next_sl = sep_at(p + e, n - e))) e++;
        size_t s = i, t = e, b;
        while (s < t && (b = blank_at(p + s, t - s))) s += b;
        while (t > s && (b = blank_before(p + s, t - s))) t -= b;
        if (sl) { /* the separator before this item, as it was */
            memcpy(out + o, p + i - sl, sl);
            o += sl;
        }
        o += cfs_redact_ip(p + s, t - s, out + o);
        if (e >= n) break;
        sl = next_sl;
        i = e + sl;
    }
    out[o] = 0;
    return o;
}
