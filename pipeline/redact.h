/* Client-address redaction for `--redact-clients`: one function that every output path
 * (top-client lists, hence reports, Parquet and state.cfs; `requests` rows) applies before
 * an address is stored or printed, so a summary can leave the team without personal data. */
#ifndef CFSCAN_PIPELINE_REDACT_H
#define CFSCAN_PIPELINE_REDACT_H

#include <stddef.h>

/* Longest redacted address: "ffff:ffff:ffff::" is 16 bytes; room for the NUL too. */
#define CFS_REDACT_MAX 24

/* Truncate the address p[0..n) to its network prefix and write it NUL-terminated to out:
 *   IPv4 -> /24 ("192.0.2.17" -> "192.0.2.0"),
 *   IPv6 -> /48, its first three groups then "::" ("2001:db8:85a3::8a2e:370:7334" ->
 *           "2001:db8:85a3::"; IPv4-mapped and other addresses in ::/48 become "0:0:0::"),
 *   empty or "-" (no value) -> "-",
 *   anything else -> "redacted" (never echoed: it may hold an address in a form not parsed).
 * Returns the length written. */
size_t cfs_redact_ip(const char *p, size_t n, char out[CFS_REDACT_MAX]);

/* The same for a comma-separated list (x-forwarded-for): each item, surrounding blanks
 * dropped (space and TAB, raw or percent-encoded as CloudFront logs them: "%20", "%09",
 * and "%2520", "%2509" of the twice-encoded logs before 2020), is redacted, and the
 * results are joined by the separators of the input as they were ("," or "%2C").
 * "203.0.113.9,%20198.51.100.7" gives "203.0.113.0,198.51.100.0".  out must hold
 * cfs_redact_list_cap(p, n) bytes; returns the length written (NUL not counted). */
size_t cfs_redact_list_cap(const char *p, size_t n);
size_t cfs_redact_ip_list(const char *p, size_t n, char *out);

#endif
