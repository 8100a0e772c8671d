/* Number parsing for CloudFront fields without strtod/sscanf/strtol: unsigned integers
 * (sc-bytes, cs-bytes, c-port, ...), seconds with millisecond resolution (time-taken,
 * time-to-first-byte) and the date + time columns as Unix seconds.  Each parser accepts
 * one exact shape and writes its output only on success, so a refusal leaves it untouched. */
#include "kernels/kernels.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int cfs_parse_u64(const char *p, size_t n, uint64_t *out)
{
    /* 19 digits are at most 9,999,999,999,999,999,999 < 2^64 - 1, so capping the length
     * is the whole overflow check; a 20th digit is refused even when it would fit. */
    if (p == NULL || n == 0 || n > 19) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        /* One unsigned compare: bytes below '0' wrap to large values. */
        const unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int cfs_parse_millis(const char *p, size_t n, uint32_t *out_ms)
{
    /* Form: DIGITS [ '.' DIGITS ].  CloudFront writes time-taken as e.g. "0.082" (doc:
     * "Seconds with ms resolution"), always with a leading digit, so ".5" and "5." are
     * refused rather than guessed at; so are signs, exponents and "-" (no value). */
    if (p == NULL || n == 0) return -1;
    /* Fast path for what CloudFront writes on nearly every line: 1 to 6 digits, '.', and
     * exactly 3 decimals ("0.082", "12.345").  The value then stays below
     * 999,999,999 ms, so no overflow checks are needed; the result is the one the
     * general parse below gives.  Anything else falls through to it. */
    if (n >= 5 && n <= 10 && p[n - 4] == '.') {
        const unsigned d1 = (unsigned)(unsigned char)p[n - 3] - '0';
        const unsigned d2 = (unsigned)(unsigned char)p[n - 2] - '0';
        const unsigned d3 = (unsigned)(unsigned char)p[n - 1] - '0';
        if (d1 <= 9 && d2 <= 9 && d3 <= 9) {
            uint32_t whole = 0;
            size_t k = 0;
            for (; k < n - 4; k++) {
                const unsigned d = (unsigned)(unsigned char)p[k] - '0';
                if (d > 9) break;
                whole = whole * 10 + d;
            }
            if (k == n - 4) {
                *out_ms = whole * 1000 + d1 * 100 + d2 * 10 + d3;
                return 0;
            }
        }
    }
    size_t i = 0;
    uint64_t secs = 0;
    while (i < n && is_digit(p[i])) {
        secs = secs * 10 + (uint64_t)(p[i] - '0');
        /* Stop before secs * 1000 could exceed UINT32_MAX; also bounds secs for the
         * multiply above, however many leading digits follow. */
        if (secs > UINT32_MAX / 1000u) return -1;
        i++;
    }
    if (i == 0) return -1;
    uint64_t frac = 0;
    if (i < n) {
        if (p[i] != '.') return -1;
        i++;
        const size_t first = i;
        unsigned kept = 0;
        while (i < n && is_digit(p[i])) {
            /* Keep three decimals; the rest are checked but truncated away. */
            if (kept < 3) {
                frac = frac * 10 + (uint64_t)(p[i] - '0');
                kept++;
            }
            i++;
        }
        if (i == first || i != n) return -1;
        while (kept < 3) {
            frac *= 10;
            kept++;
        }
    }
    const uint64_t ms = secs * 1000 + frac;
    if (ms > UINT32_MAX) return -1;
    *out_ms = (uint32_t)ms;
    return 0;
}

/* Value of the two digits at p, or -1 if either is not a digit. */
static int two_digits(const char *p)
{
    if (!is_digit(p[0]) || !is_digit(p[1])) return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned days_in_month(int y, unsigned m)
{
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29u : days[m - 1];
}

int64_t cfs_days_from_civil(int y, unsigned m, unsigned d)
{
    /* Count from a year that starts on 1 March, so the leap day is the last day of the
     * counted year and months March..February have a fixed day offset; then split the
     * year into 400-year eras of 146,097 days each (the Gregorian cycle), which makes
     * the leap-year arithmetic work on a non-negative year-of-era even for y < 0.
     * int64_t throughout so that no input can overflow. */
    const int64_t year = (int64_t)y - (m <= 2 ? 1 : 0);
    const int64_t era = (year >= 0 ? year : year - 399) / 400; /* floor division */
    const int64_t yoe = year - era * 400;                      /* 0..399 */
    /* Month index with March = 0 .. February = 11. */
    const int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
    /* Days before month mp in a March-based year: the month lengths 31,30,31,30,31 repeat,
     * and (153 * mp + 2) / 5 reproduces 0,31,61,92,122,153,184,214,245,275,306,337. */
    const int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;   /* 0..365 */
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    /* 719,468 = days from 0000-03-01 (era 0, day 0) to 1970-01-01. */
    return era * 146097 + doe - 719468;
}

int cfs_parse_date_time(const char *d, size_t dn, const char *t, size_t tn, int64_t *out)
{
    /* Exactly "YYYY-MM-DD" and "HH:MM:SS": CloudFront's date and time fields are UTC and
     * carry no fractional seconds (cloudfront-logs.md, fields 1 and 2). */
    if (d == NULL || dn != 10) return -1;
    if (d[4] != '-' || d[7] != '-') return -1;
    const int yh = two_digits(d), yl = two_digits(d + 2);
    const int mon = two_digits(d + 5), day = two_digits(d + 8);
    if (yh < 0 || yl < 0 || mon < 0 || day < 0) return -1;
    const int year = yh * 100 + yl;
    if (mon < 1 || mon > 12 || day < 1 || (unsigned)day > days_in_month(year, (unsigned)mon)) return -1;
    const int32_t tod = cfs_parse_time_of_day(t, tn); /* leap second: see kernels.h */
    if (tod < 0) return -1;
    *out = cfs_days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + tod;
    return 0;
}
