/* Tests for kernels/numbers.c: integer, millisecond and date-time parsing and the civil
 * day count.  Expected values were worked out by hand or with `date -u -d ... +%s`, and a
 * random loop compares cfs_parse_date_time with glibc's timegm() as an independent oracle. */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/kernels.h"

/* ---- cfs_parse_u64 ---------------------------------------------------------------- */

static void expect_u64(const char *s, uint64_t want)
{
    uint64_t v = 12345;
    cr_assert_eq(cfs_parse_u64(s, strlen(s), &v), 0, "'%s' refused", s);
    cr_assert_eq(v, want, "'%s' -> %llu, expected %llu", s, (unsigned long long)v, (unsigned long long)want);
}

static void reject_u64(const char *s)
{
    uint64_t v = 12345;
    cr_assert_eq(cfs_parse_u64(s, strlen(s), &v), -1, "'%s' accepted", s);
    cr_assert_eq(v, 12345, "'%s': output written on failure", s);
}

Test(parse_u64, values)
{
    expect_u64("0", 0);
    expect_u64("7", 7);
    expect_u64("007", 7);
    expect_u64("392", 392);
    expect_u64("4294967296", 4294967296u);
    expect_u64("1234567890123456789", 1234567890123456789u);
    expect_u64("9999999999999999999", 9999999999999999999u); /* 19 digits, the maximum */
    expect_u64("0000000000000000001", 1);
}

Test(parse_u64, rejections)
{
    reject_u64("");
    reject_u64("-");
    reject_u64("-1");
    reject_u64("+1");
    reject_u64(" 1");
    reject_u64("1 ");
    reject_u64("1a");
    reject_u64("0x10");
    reject_u64("12.0");
    reject_u64("18446744073709551615"); /* UINT64_MAX, but 20 digits */
    reject_u64("10000000000000000000"); /* 20 digits */
    reject_u64("00000000000000000001"); /* 20 digits even though small */
    reject_u64("99999999999999999999999");
}

Test(parse_u64, span_length_is_respected)
{
    uint64_t v = 0;
    /* only the first n bytes count: the tab after the field is not looked at */
    cr_assert_eq(cfs_parse_u64("123\t456", 3, &v), 0);
    cr_assert_eq(v, 123);
    cr_assert_eq(cfs_parse_u64("123456", 2, &v), 0);
    cr_assert_eq(v, 12);
    cr_assert_eq(cfs_parse_u64("5", 0, &v), -1);
    cr_assert_eq(cfs_parse_u64(NULL, 0, &v), -1);
}

/* cfs_parse_u64_in (kernels.h), the one-word form for spans with 8 readable bytes, gives
 * cfs_parse_u64's answer on random spans of digits with now and then another byte (one
 * just outside '0'..'9' or a TAB), of every length up to 20, at every distance from the
 * end of the readable bytes (a buffer of exactly those bytes, so ASan sees any overread). */
Test(parse_u64, one_word_form_agrees_with_the_loop)
{
    static const char odd[] = {'/', ':', '\t', '-', ' ', 'a', (char)0xB0, 0};
    uint64_t rng = 0x2545F4914F6CDD1Dull;
    for (int iter = 0; iter < 200000; iter++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        const size_t n = (size_t)(rng % 21), extra = (size_t)(rng >> 8) % 10;
        char *buf = malloc(n + extra + 1);
        cr_assert_not_null(buf);
        for (size_t i = 0; i < n + extra; i++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            buf[i] = (rng >> 11) % 16 == 0 ? odd[(rng >> 20) % 8] : (char)('0' + (rng >> 24) % 10);
        }
        uint64_t a = 777, b = 777;
        const int ra = cfs_parse_u64(buf, n, &a), rb = cfs_parse_u64_in(buf, n, buf + n + extra, &b);
        cr_assert_eq(ra, rb, "'%.*s' (n %zu, %zu after): %d and %d", (int)n, buf, n, extra, ra, rb);
        cr_assert_eq(a, b, "'%.*s': %llu and %llu", (int)n, buf, (unsigned long long)a,
                     (unsigned long long)b);
        free(buf);
    }
    uint64_t v = 0;
    cr_assert_eq(cfs_parse_u64_in("12345678\t", 8, "12345678\t" + 9, &v), 0);
    cr_assert_eq(v, 12345678);
    cr_assert_eq(cfs_parse_u64_in("00000001\t", 8, "00000001\t" + 9, &v), 0);
    cr_assert_eq(v, 1);
    cr_assert_eq(cfs_parse_u64_in("99999999\t", 8, "99999999\t" + 9, &v), 0);
    cr_assert_eq(v, 99999999);
}

/* ---- cfs_parse_millis ------------------------------------------------------------- */

static void expect_ms(const char *s, uint32_t want)
{
    uint32_t v = 777;
    cr_assert_eq(cfs_parse_millis(s, strlen(s), &v), 0, "'%s' refused", s);
    cr_assert_eq(v, want, "'%s' -> %u ms, expected %u", s, v, want);
}

static void reject_ms(const char *s)
{
    uint32_t v = 777;
    cr_assert_eq(cfs_parse_millis(s, strlen(s), &v), -1, "'%s' accepted", s);
    cr_assert_eq(v, 777, "'%s': output written on failure", s);
}

Test(parse_millis, values)
{
    expect_ms("0.082", 82);
    expect_ms("12", 12000);
    expect_ms("1.5", 1500);
    expect_ms("1.50", 1500);
    expect_ms("0", 0);
    expect_ms("0.000", 0);
    expect_ms("0.001", 1);
    expect_ms("0.0001", 0); /* fourth decimal truncated */
    expect_ms("0.0019", 1); /* truncated, not rounded */
    expect_ms("1.999999", 1999);
    expect_ms("10.010", 10010);
    expect_ms("0012.5", 12500);            /* leading zeros are digits like any other */
    expect_ms("4294967.295", 4294967295u); /* UINT32_MAX ms exactly */
    expect_ms("4294967", 4294967000u);
}

Test(parse_millis, rejections)
{
    reject_ms("");
    reject_ms("-");
    reject_ms("-1");
    reject_ms("+1");
    reject_ms(".5"); /* CloudFront always writes the leading digit */
    reject_ms("5."); /* and at least one decimal after a point */
    reject_ms(".");
    reject_ms("1e3");
    reject_ms("1.5e3");
    reject_ms("1.2.3");
    reject_ms("1,5");
    reject_ms(" 1");
    reject_ms("0.08 ");
    reject_ms("0.0a");
    reject_ms("4294967.296"); /* one ms over UINT32_MAX */
    reject_ms("4294968");
    reject_ms("99999999999999999999999999.0");
}

Test(parse_millis, span_length_is_respected)
{
    uint32_t v = 0;
    cr_assert_eq(cfs_parse_millis("0.082\t0.075", 5, &v), 0);
    cr_assert_eq(v, 82);
    cr_assert_eq(cfs_parse_millis("1.234", 3, &v), 0); /* "1.2" */
    cr_assert_eq(v, 1200);
    cr_assert_eq(cfs_parse_millis("1.234", 2, &v), -1); /* "1." */
    cr_assert_eq(cfs_parse_millis(NULL, 0, &v), -1);
}

/* ---- cfs_days_from_civil ---------------------------------------------------------- */

Test(days_from_civil, hand_checked)
{
    cr_assert_eq(cfs_days_from_civil(1970, 1, 1), 0);
    cr_assert_eq(cfs_days_from_civil(1970, 1, 2), 1);
    cr_assert_eq(cfs_days_from_civil(1969, 12, 31), -1);
    cr_assert_eq(cfs_days_from_civil(1971, 1, 1), 365);
    cr_assert_eq(cfs_days_from_civil(1972, 3, 1), 365 + 365 + 31 + 29); /* 1972 leap */
    /* date -u -d 2000-03-01 +%s = 951868800 = 11017 * 86400 */
    cr_assert_eq(cfs_days_from_civil(2000, 3, 1), 11017);
    cr_assert_eq(cfs_days_from_civil(2000, 2, 29), 11016);
    /* date -u -d 2019-12-04 +%s = 1575417600 = 18234 * 86400 */
    cr_assert_eq(cfs_days_from_civil(2019, 12, 4), 18234);
    /* date -u -d 1600-01-01 +%s = -11676096000 = -135140 * 86400 */
    cr_assert_eq(cfs_days_from_civil(1600, 1, 1), -135140);
    /* 0000-03-01 starts the algorithm's era 0.  From 0000-03-01 to 1970-03-01 are 1970
     * years of 365 days plus one per leap year in 1..1970 (492 multiples of 4, less 19
     * centuries, plus 400/800/1200/1600: 477); then back 59 days to 1970-01-01. */
    cr_assert_eq(cfs_days_from_civil(0, 3, 1), -(1970 * 365 + 477 - 59));
    cr_assert_eq(cfs_days_from_civil(0, 3, 1), -719468);
    /* Before it: year 0 is leap (divisible by 400), so January + February are 60 days;
     * -0001-03-01 is 366 days back (it spans 0000-02-29); one 400-year cycle is 146097
     * days (400 * 365 + 97 leap days).  These exercise the floor division for y < 0. */
    cr_assert_eq(cfs_days_from_civil(0, 1, 1), -719468 - 60);
    cr_assert_eq(cfs_days_from_civil(-1, 3, 1), -719468 - 366);
    cr_assert_eq(cfs_days_from_civil(-1, 12, 31), -719468 - 60 - 1);
    cr_assert_eq(cfs_days_from_civil(-400, 3, 1), -719468 - 146097);
    cr_assert_eq(cfs_days_from_civil(-400, 1, 1), -719468 - 146097 - 60);
}

/* Consecutive dates must give consecutive day numbers, over 1600..2400 (two full
 * 400-year cycles, both century rules); the calendar walk below is independent code. */
Test(days_from_civil, consecutive_days)
{
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t expect = -135140; /* 1600-01-01, from date(1) above */
    for (int y = 1600; y <= 2400; y++) {
        const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for (unsigned m = 1; m <= 12; m++) {
            const unsigned last = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
            for (unsigned d = 1; d <= last; d++) {
                const int64_t got = cfs_days_from_civil(y, m, d);
                if (got != expect)
                    cr_assert_fail("%04d-%02u-%02u -> %lld, expected %lld", y, m, d, (long long)got,
                                   (long long)expect);
                expect++;
            }
        }
    }
    /* 2401-01-01 follows: 801 years of 365 days plus 195 leap days (201 multiples of 4
     * in 1600..2400, less 1700/1800/1900/2100/2200/2300): 157420, as date(1) says. */
    cr_assert_eq(expect, -135140 + 801 * 365 + 195);
    cr_assert_eq(expect, cfs_days_from_civil(2401, 1, 1));
}

/* ---- cfs_parse_time_of_day -------------------------------------------------------- */

/* The reference, byte by byte as the time is specified ("HH:MM:SS", hours 0-23, minutes
 * 0-59, seconds 0-60), written independently of kernels.h's word-at-a-time form. */
static int32_t ref_time_of_day(const unsigned char t[8])
{
    for (int i = 0; i < 8; i++) {
        if (i == 2 || i == 5) {
            if (t[i] != ':') return -1;
        } else if (t[i] < '0' || t[i] > '9') {
            return -1;
        }
    }
    int hh = (t[0] - '0') * 10 + (t[1] - '0'), mm = (t[3] - '0') * 10 + (t[4] - '0'),
        ss = (t[6] - '0') * 10 + (t[7] - '0');
    if (hh > 23 || mm > 59 || ss > 60) return -1;
    return hh * 3600 + mm * 60 + ss;
}

Test(parse_time_of_day, every_digit_string_and_every_byte_at_every_place)
{
    /* all 10^6 digit strings "ab:cd:ef" (valid ones and out-of-range ones alike) */
    char t[9];
    for (int v = 0; v < 1000000; v++) {
        snprintf(t, sizeof t, "%02d:%02d:%02d", v / 10000, v / 100 % 100, v % 100);
        int32_t want = ref_time_of_day((const unsigned char *)t);
        cr_assert_eq(cfs_parse_time_of_day(t, 8), want, "'%s'", t);
    }
    cr_assert_eq(cfs_parse_time_of_day("23:59:60", 8), 86400, "a leap second is the next day's 0");
    /* every byte value at every place of a few times, and pairs of places */
    const char *base[] = {"00:00:00", "09:59:59", "19:09:60", "23:59:59", "12:34:56"};
    for (size_t b = 0; b < sizeof base / sizeof *base; b++)
        for (int i = 0; i < 8; i++)
            for (int c = 0; c < 256; c++) {
                unsigned char u[8];
                memcpy(u, base[b], 8);
                u[i] = (unsigned char)c;
                cr_assert_eq(cfs_parse_time_of_day((const char *)u, 8), ref_time_of_day(u),
                             "%s with byte %d = %d", base[b], i, c);
                for (int j = 0; j < 8; j++) {
                    unsigned char w2[8];
                    memcpy(w2, u, 8);
                    w2[j] = (unsigned char)(c * 7 + j * 31);
                    cr_assert_eq(cfs_parse_time_of_day((const char *)w2, 8), ref_time_of_day(w2));
                }
            }
    cr_assert_eq(cfs_parse_time_of_day("12:34:5", 7), -1);
    cr_assert_eq(cfs_parse_time_of_day("12:34:567", 9), -1);
    cr_assert_eq(cfs_parse_time_of_day(NULL, 8), -1);
}

/* ---- cfs_parse_date_time ---------------------------------------------------------- */

static void expect_dt(const char *d, const char *t, int64_t want)
{
    int64_t v = 42;
    cr_assert_eq(cfs_parse_date_time(d, strlen(d), t, strlen(t), &v), 0, "'%s %s' refused", d, t);
    cr_assert_eq(v, want, "'%s %s' -> %lld, expected %lld", d, t, (long long)v, (long long)want);
}

static void reject_dt(const char *d, const char *t)
{
    int64_t v = 42;
    cr_assert_eq(cfs_parse_date_time(d, strlen(d), t, strlen(t), &v), -1, "'%s %s' accepted", d, t);
    cr_assert_eq(v, 42, "'%s %s': output written on failure", d, t);
}

/* Values from `date -u -d 'DATE TIME' +%s` (GNU coreutils). */
Test(parse_date_time, hand_checked)
{
    expect_dt("2019-12-04", "21:02:31", 1575493351);
    expect_dt("1970-01-01", "00:00:00", 0);
    expect_dt("1969-12-31", "23:59:59", -1);
    expect_dt("2024-02-29", "12:00:00", 1709208000); /* leap day */
    expect_dt("2000-02-29", "23:59:59", 951868799);  /* 2000 is leap (divisible by 400) */
    expect_dt("2038-01-19", "03:14:08", 2147483648); /* first second past INT32_MAX */
    expect_dt("2100-03-01", "00:00:00", 4107542400);
    expect_dt("9999-12-31", "23:59:59", 253402300799);
    expect_dt("1900-03-01", "00:00:00", -2203891200);
    expect_dt("0001-01-01", "00:00:00", -62135596800);
    /* leap second: counted as the next minute's :00, as timegm() does */
    expect_dt("2016-12-31", "23:59:60", 1483228800);
    expect_dt("2017-01-01", "00:00:00", 1483228800);
}

Test(parse_date_time, rejections)
{
    reject_dt("2023-02-29", "00:00:00"); /* 2023 is not leap */
    reject_dt("2100-02-29", "00:00:00"); /* century, not divisible by 400 */
    reject_dt("2019-04-31", "00:00:00");
    reject_dt("2019-12-32", "00:00:00");
    reject_dt("2019-12-00", "00:00:00");
    reject_dt("2019-00-04", "00:00:00");
    reject_dt("2019-13-04", "00:00:00");
    reject_dt("2019-12-04", "24:00:00");
    reject_dt("2019-12-04", "23:60:00");
    reject_dt("2019-12-04", "23:59:61");
    reject_dt("2019/12/04", "21:02:31");
    reject_dt("2019-12-04", "21-02-31");
    reject_dt("2019-12-04", "21:02:3");
    reject_dt("2019-12-04", "21:02:311");
    reject_dt("2019-12-4", "21:02:31");
    reject_dt("2019-12-041", "21:02:31");
    reject_dt("2019-1a-04", "21:02:31");
    reject_dt("-019-12-04", "21:02:31");
    reject_dt("+019-12-04", "21:02:31");
    reject_dt("2019-12-04", " 1:02:31");
    reject_dt("2019-12-04", "21:02:3\n");
    reject_dt("-", "-");
    reject_dt("", "");
    int64_t v = 0;
    cr_assert_eq(cfs_parse_date_time(NULL, 0, "21:02:31", 8, &v), -1);
}

/* timegm() is glibc's own calendar code: an independent oracle.  Random fields, day up
 * to 31 on purpose: a date is valid exactly when timegm() does not normalise it into
 * another month, and then both must agree on the seconds. */
Test(parse_date_time, random_against_timegm)
{
    const char *s = getenv("CFS_TEST_SEED");
    uint64_t state = (s != NULL && s[0] != '\0') ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
    fprintf(stderr, "test_numbers: random seed %llu (set CFS_TEST_SEED to repeat)\n",
            (unsigned long long)state);
    const uint64_t seed = state;
    unsigned valid = 0, invalid = 0;
    for (int i = 0; i < 20000; i++) {
        /* 64-bit LCG (MMIX constants), high bits folded down */
        state = state * 6364136223846793005u + 1442695040888963407u;
        uint64_t r = state ^ (state >> 29);
        const int year = (i % 4 == 0) ? (int)(1 + r % 9999) : (int)(1970 + r % 130);
        r /= 10007;
        const int mon = (int)(1 + r % 12);
        r /= 12;
        const int day = (int)(1 + r % 31);
        r /= 31;
        const int hour = (int)(r % 24);
        r /= 24;
        const int min = (int)(r % 60);
        r /= 60;
        const int sec = (int)(r % 61); /* 60 included */

        char d[16], t[16];
        snprintf(d, sizeof d, "%04d-%02d-%02d", year, mon, day);
        snprintf(t, sizeof t, "%02d:%02d:%02d", hour, min, sec);

        struct tm tm;
        memset(&tm, 0, sizeof tm);
        tm.tm_year = year - 1900;
        tm.tm_mon = mon - 1;
        tm.tm_mday = day;
        tm.tm_hour = hour;
        tm.tm_min = min;
        tm.tm_sec = sec;
        const time_t oracle = timegm(&tm);
        /* tm now holds the normalised date; second 60 may legitimately roll the date
         * over, so judge validity on the date of second 0 of the same minute */
        struct tm tm0;
        memset(&tm0, 0, sizeof tm0);
        tm0.tm_year = year - 1900;
        tm0.tm_mon = mon - 1;
        tm0.tm_mday = day;
        (void)timegm(&tm0);
        const bool ok = tm0.tm_mday == day && tm0.tm_mon == mon - 1;

        int64_t got = 0;
        const int rc = cfs_parse_date_time(d, 10, t, 8, &got);
        if (ok) {
            valid++;
            if (rc != 0 || got != (int64_t)oracle)
                cr_assert_fail("seed %llu: '%s %s' -> rc %d, %lld; timegm %lld", (unsigned long long)seed, d,
                               t, rc, (long long)got, (long long)oracle);
        } else {
            invalid++;
            if (rc != -1)
                cr_assert_fail("seed %llu: invalid '%s %s' accepted", (unsigned long long)seed, d, t);
        }
    }
    /* about 2% of random days 29..31 do not exist; both kinds must have been exercised */
    cr_assert_gt(valid, 15000);
    cr_assert_gt(invalid, 50);
}
